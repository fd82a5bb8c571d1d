//! `eseal load alarms`: how long an alarm takes from an acknowledged upload to the live feed,
//! under load (issue 6: 1 000 mines, 50 uploads/s for 5 minutes, p99 < 50 ms).
//!
//! An in-process reference platform (temp dir, SQLite unless `--database-url`) is seeded with N
//! mines spread over several provinces, cities and counties, each with its FTP account, its
//! county's unit and a filed configuration (停产/停建/关闭, some with 一停四不停 and expected people
//! per day, some in a withdrawal period, some with truck thresholds, county defaults for the
//! rest). Every mine keeps one FTP control connection, logged in with its own account. Uploads
//! follow an **open-loop** schedule: upload `i` starts at `i / rate` seconds whether or not the
//! earlier ones finished (only a mine's own previous upload can hold it back, as on a device),
//! so a slow platform shows as latency, never as a lower offered rate.
//!
//! Key design decision: **which upload raises which alarm is known before the run.** The plan
//! comes from one seeded RNG; each mine's uploads are, in order, run through the platform's own
//! rule engine (its rule table, with the dedup memory of that mine) on the numbers the mine's
//! configuration gives that CST day ([`MineConfig::effective`]). A notice on the feed is matched
//! to its upload by the evidence name it carries; an expected alarm that never arrives and an
//! alarm nobody expected are both counted, and either fails the run.
//!
//! The mix is built around the reference rules' dedup keys (`platform/rules/default.toml`), so
//! that most uploads raise an alarm while every mine-day stays a plausible story: people over
//! the limit raise once per mine, CST day and grade band (the 1st, 3rd and 10th over the
//! limit), trucks once per band (1st and 5th over), a belt once per running period (a start,
//! then `00`), a tampered camera once per camera and day (a repeat later that day raises
//! nothing). The names' days advance from `--first-day`, one day per round of the mines, so a
//! run of any length keeps that fraction; the names' times are a virtual clock, the platform
//! judges them the same way.

#![allow(clippy::print_stdout)] // a command-line tool: its report is its output

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use eseal_platform::Platform;
use eseal_platform::accounts::username_for;
use eseal_platform::config::PlatformConfig;
use eseal_platform::demo::{demo_password, demo_token};
use eseal_platform::store::RegionLevel;
use eseal_platform::supervision::mines::{
    CountyDefaults, Effective, MineConfig, MineState, Withdrawal,
};
use eseal_platform::supervision::push::{Item, NoticeEvent, Published};
use eseal_platform::supervision::rules::{EventKind, RuleEngine, RuleInput, RuleTable};
use eseal_platform::supervision::{Actor, AlarmKind, UnitCode};
use eseal_protocol::{
    CameraCode, DailyCount, EvidenceName, MineCode, MineTime, TamperKind, TransportState,
};
use futures::{StreamExt, TryStreamExt};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use suppaftp::tokio::AsyncFtpStream;

use crate::demo::{self, RunningPlatform};
use crate::load::{Latency, login, unique_jpeg};

/// Default seed of every random choice (mines, configurations, the plan).
pub const DEFAULT_SEED: u64 = 20261203;

/// Arguments of `eseal load alarms`.
#[derive(Debug, Clone, clap::Args)]
pub struct AlarmLoadArgs {
    /// Mines seeded, each with its account, configuration and FTP connection.
    #[arg(long, default_value_t = 1000)]
    pub mines: usize,
    /// Uploads started per second (open loop).
    #[arg(long, default_value_t = 50.0)]
    pub rate: f64,
    /// Seconds of uploads.
    #[arg(long, default_value_t = 300.0)]
    pub seconds: f64,
    /// Seed of every random choice; printed and written in the report.
    #[arg(long, env = "ESEAL_SEED", default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Database of the platform (default: SQLite in the temp dir); a PostgreSQL URL must name
    /// an empty database.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// First CST day of the uploads' names (one more day per round of the mines).
    #[arg(long, default_value = "2026-12-03")]
    pub first_day: NaiveDate,
    /// Seconds to wait after the last upload for alarms still on their way.
    #[arg(long, default_value_t = 10.0)]
    pub grace: f64,
    /// Logins (and account creations) at a time; each costs one argon2 hash on the platform.
    #[arg(long, default_value_t = 8)]
    pub login_concurrency: usize,
}

impl AlarmLoadArgs {
    /// The acceptance point with the default seed; tests shrink it.
    pub fn new(mines: usize, rate: f64, seconds: f64) -> AlarmLoadArgs {
        AlarmLoadArgs {
            mines,
            rate,
            seconds,
            seed: DEFAULT_SEED,
            database_url: None,
            json: None,
            first_day: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap_or_default(),
            grace: 10.0,
            login_concurrency: 8,
        }
    }
}

/// Provinces → cities → counties the mines are spread over (GB/T 2260 codes).
type Geography = &'static [(&'static str, &'static str, &'static [City])];
type City = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const GEOGRAPHY: Geography = &[
    (
        "140000",
        "山西省",
        &[
            (
                "140100",
                "太原市",
                &[("140121", "清徐县"), ("140181", "古交市")],
            ),
            (
                "140400",
                "长治市",
                &[("140421", "长治县"), ("140423", "襄垣县")],
            ),
            (
                "140500",
                "晋城市",
                &[("140521", "沁水县"), ("140522", "阳城县")],
            ),
            (
                "140900",
                "忻州市",
                &[("140923", "代县"), ("140924", "繁峙县")],
            ),
            (
                "141100",
                "吕梁市",
                &[("141125", "柳林县"), ("141181", "孝义市")],
            ),
        ],
    ),
    (
        "150000",
        "内蒙古自治区",
        &[
            ("150200", "包头市", &[("150222", "固阳县")]),
            (
                "150600",
                "鄂尔多斯市",
                &[("150622", "准格尔旗"), ("150627", "伊金霍洛旗")],
            ),
        ],
    ),
    (
        "610000",
        "陕西省",
        &[
            ("610600", "延安市", &[("610632", "黄陵县")]),
            (
                "610800",
                "榆林市",
                &[("610822", "府谷县"), ("610881", "神木市")],
            ),
        ],
    ),
    (
        "520000",
        "贵州省",
        &[
            (
                "520200",
                "六盘水市",
                &[("520221", "水城县"), ("520281", "盘州市")],
            ),
            (
                "520500",
                "毕节市",
                &[("520524", "织金县"), ("520525", "纳雍县")],
            ),
        ],
    ),
    (
        "130000",
        "河北省",
        &[
            ("130200", "唐山市", &[("130283", "迁安市")]),
            (
                "130400",
                "邯郸市",
                &[("130406", "峰峰矿区"), ("130481", "武安市")],
            ),
        ],
    ),
];

const SITES: &[&str] = &[
    "东山",
    "西沟",
    "南峪",
    "北坡",
    "王家庄",
    "李家沟",
    "马兰",
    "石门",
    "红岩",
    "长岭",
];
const KINDS: &[&str] = &["煤矿", "铁矿", "金矿", "铝土矿"];

/// Cameras of every mine (R3): shafts for people, the gate for trucks, a belt for U3.
const MAIN_SHAFT: &str = "10";
const BELT: &str = "11";
const AUX_SHAFT: &str = "20";
const GATE: &str = "30";

fn camera(code: &str) -> Result<CameraCode> {
    Ok(CameraCode::parse(code)?)
}

/// One seeded mine.
#[derive(Debug, Clone)]
struct Mine {
    code: MineCode,
    config: MineConfig,
    county: Option<CountyDefaults>,
}

impl Mine {
    fn effective(&self, date: NaiveDate) -> Effective {
        self.config.effective(date, self.county.as_ref())
    }
}

/// What the seed made, by configuration kind (for the report).
#[derive(Debug, Clone, Default, Serialize)]
pub struct SeedReport {
    pub provinces: usize,
    pub cities: usize,
    pub counties: usize,
    pub counties_with_defaults: usize,
    pub mines: usize,
    /// Mines by state (停产 / 停建 / 关闭).
    pub states: BTreeMap<String, usize>,
    pub one_stop_four_continue: usize,
    pub expected_people_filed: usize,
    pub withdrawal_periods: usize,
    pub truck_thresholds: usize,
    /// Regions, units, county defaults.
    pub hierarchy_s: f64,
    /// Mine rows and their configurations (one audited transaction each).
    pub mines_s: f64,
    /// FTP accounts (one argon2 hash each).
    pub accounts_s: f64,
}

/// The mines' configurations, drawn from the seed.
fn draw_mines(
    rng: &mut ChaCha8Rng,
    n: usize,
    first_day: NaiveDate,
) -> Result<(Vec<Mine>, Vec<CountyDefaults>)> {
    let counties: Vec<(&str, &str)> = GEOGRAPHY
        .iter()
        .flat_map(|p| p.2.iter())
        .flat_map(|c| c.2.iter().copied())
        .collect();
    // Two counties in three set defaults for the mines that filed no number (P10).
    let mut defaults = BTreeMap::new();
    for &(code, _) in &counties {
        if rng.random_bool(2.0 / 3.0) {
            let d = CountyDefaults {
                county: UnitCode::parse(code)?,
                people_threshold: Some(rng.random_range(1..=3)),
                truck_threshold: Some(rng.random_range(0..=1)),
            };
            defaults.insert(code, d);
        }
    }
    let mut serial: HashMap<&str, u32> = HashMap::new();
    let mut mines = Vec::with_capacity(n);
    for _ in 0..n {
        let &(county, county_name) = &counties[rng.random_range(0..counties.len())];
        let k = serial.entry(county).or_insert(100_000);
        *k += 1;
        let code = MineCode::parse(&format!("{county}{k:06}"))?;
        let name = format!(
            "{county_name}{}{}（负载 {}）",
            SITES[rng.random_range(0..SITES.len())],
            KINDS[rng.random_range(0..KINDS.len())],
            *k - 100_000
        );
        let state = match rng.random_range(0..100) {
            0..55 => MineState::Stopped,
            55..75 => MineState::ConstructionStopped,
            _ => MineState::Closing,
        };
        let mut c = MineConfig::new(code, &name, state);
        c.shutdown_date = Some(first_day - chrono::Days::new(rng.random_range(30..900)));
        if state == MineState::Closing {
            c.closing_date = Some(first_day + chrono::Days::new(rng.random_range(30..365)));
            if rng.random_bool(0.3) {
                c.withdrawal = Some(Withdrawal {
                    deadline: first_day + chrono::Days::new(rng.random_range(10..60)),
                    expected_people_per_day: rng.random_range(2..=5),
                });
            }
        } else if rng.random_bool(0.4) {
            // Duty staff continue; most file their number, the rest get the county's default.
            c.one_stop_four_continue = true;
            if rng.random_bool(0.6) {
                c.expected_people_per_day = Some(rng.random_range(1..=4));
            }
        }
        if rng.random_bool(0.3) {
            c.truck_threshold = Some(rng.random_range(1..=3));
        }
        for (cam, site) in [
            (MAIN_SHAFT, "主井口"),
            (BELT, "主井皮带"),
            (AUX_SHAFT, "副井口"),
            (GATE, "车辆出入口"),
        ] {
            c.cameras.insert(camera(cam)?, site.to_owned());
        }
        mines.push(Mine {
            code,
            config: c,
            county: defaults.get(county).cloned(),
        });
    }
    Ok((mines, defaults.into_values().collect()))
}

/// Seeds regions, units, county defaults, mines with their configurations and accounts.
async fn seed(
    p: &Platform,
    mines: &[Mine],
    defaults: &[CountyDefaults],
    concurrency: usize,
) -> Result<SeedReport> {
    let (sup, store, system) = (&p.supervision, &p.store, Actor::System);
    let now = sup.now();
    let t = Instant::now();
    let mut r = SeedReport::default();
    let mut units = vec![(UnitCode::national(), "国家矿山安全监察局（负载）")];
    for &(pc, pn, cities) in GEOGRAPHY {
        store
            .upsert_region(pc, pn, RegionLevel::Province, None)
            .await?;
        units.push((UnitCode::parse(pc)?, pn));
        r.provinces += 1;
        for &(cc, cn, counties) in cities {
            store
                .upsert_region(cc, cn, RegionLevel::City, Some(pc))
                .await?;
            units.push((UnitCode::parse(cc)?, cn));
            r.cities += 1;
            for &(kc, kn) in counties {
                store
                    .upsert_region(kc, kn, RegionLevel::County, Some(cc))
                    .await?;
                units.push((UnitCode::parse(kc)?, kn));
                r.counties += 1;
            }
        }
    }
    for (unit, name) in &units {
        if sup.users().unit(unit).await?.is_none() {
            sup.users().create_unit(&system, unit, name, now).await?;
        }
    }
    for d in defaults {
        sup.desk()
            .set_county_defaults(&system, d.clone(), now)
            .await?;
    }
    r.counties_with_defaults = defaults.len();
    r.hierarchy_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    futures::stream::iter(mines)
        .map(|m| async move {
            let c = &m.config;
            store
                .upsert_mine(m.code.as_str(), &c.name, m.code.county_code(), c.state.zh())
                .await?;
            sup.desk().file_mine(&Actor::System, c.clone(), now).await?;
            anyhow::Ok(())
        })
        .buffer_unordered(4)
        .try_collect::<()>()
        .await?;
    r.mines_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let accounts = &p.accounts;
    futures::stream::iter(mines)
        .map(|m| async move {
            let username = username_for(&m.code);
            if accounts.get(&username).await?.is_none() {
                accounts
                    .create_account_with(
                        &m.code,
                        username,
                        password(&m.code),
                        demo_token(m.code.as_str()),
                    )
                    .await?;
            }
            anyhow::Ok(())
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect::<()>()
        .await?;
    r.accounts_s = t.elapsed().as_secs_f64();

    r.mines = mines.len();
    for m in mines {
        let c = &m.config;
        *r.states.entry(c.state.zh().to_owned()).or_default() += 1;
        r.one_stop_four_continue += usize::from(c.one_stop_four_continue);
        r.expected_people_filed += usize::from(c.expected_people_per_day.is_some());
        r.withdrawal_periods += usize::from(c.withdrawal.is_some());
        r.truck_thresholds += usize::from(c.truck_threshold.is_some());
    }
    Ok(r)
}

/// The password of a load mine: derived from the demo's public seed, like the demo mines'.
fn password(mine: &MineCode) -> String {
    demo_password(mine.as_str())
}

/// One planned upload.
#[derive(Debug, Clone)]
struct Planned {
    /// Position in the open-loop schedule: starts at `slot / rate` seconds.
    slot: usize,
    name: String,
    clause: &'static str,
    /// The alarms it must raise (kinds, from the platform's rule engine).
    expect: Vec<AlarmKind>,
}

/// A mine-day's incidents; each story type at most once a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Story {
    /// U1: everyone allowed down, then 1–3 more (the 1st and 3rd over the limit alarm).
    People,
    /// U2: the trucks allowed out, then 1–2 more.
    Trucks,
    /// U3: the belt starts (loaded, or empty then loaded) and stops.
    Belt,
    /// U4: a camera occluded or moved, sometimes found again later that day.
    Tamper,
}

const STORIES: [(Story, u32); 4] = [
    (Story::People, 4),
    (Story::Trucks, 2),
    (Story::Belt, 2),
    (Story::Tamper, 3),
];

/// The uploads of one mine on CST day `date`, in time order.
fn mine_day(rng: &mut ChaCha8Rng, mine: &Mine, date: NaiveDate) -> Result<Vec<EvidenceName>> {
    let eff = mine.effective(date);
    let m = mine.code;
    let mut stories: Vec<Story> = Vec::new();
    let wanted = [1, 1, 2, 2, 3][rng.random_range(0..5)];
    while stories.len() < wanted {
        let left: Vec<_> = STORIES
            .iter()
            .filter(|(s, _)| !stories.contains(s))
            .collect();
        let total: u32 = left.iter().map(|(_, w)| w).sum();
        let mut pick = rng.random_range(0..total);
        for &&(s, w) in &left {
            if pick < w {
                stories.push(s);
                break;
            }
            pick -= w;
        }
    }
    let start = date.and_hms_opt(6, 0, 0).context("06:00 of a day")?;
    let mut clock = start + chrono::Duration::seconds(rng.random_range(0..4 * 3600));
    let mut tick = |rng: &mut ChaCha8Rng| -> Result<MineTime> {
        clock += chrono::Duration::seconds(rng.random_range(60..600));
        Ok(MineTime::from_naive(clock)?)
    };
    let mut out = Vec::new();
    for story in stories {
        match story {
            Story::People | Story::Trucks => {
                let (limit, more) = match story {
                    Story::People => (
                        eff.people.value,
                        [1, 1, 1, 2, 3, 3, 3][rng.random_range(0..7)],
                    ),
                    _ => (eff.trucks.value, [1, 1, 1, 2][rng.random_range(0..4)]),
                };
                for n in 1..=limit + more {
                    let (count, time) = (DailyCount::new(n)?, tick(rng)?);
                    out.push(match story {
                        Story::People => {
                            let cam = camera(if rng.random_bool(0.5) {
                                MAIN_SHAFT
                            } else {
                                AUX_SHAFT
                            })?;
                            EvidenceName::People {
                                mine: m,
                                camera: cam,
                                count,
                                time,
                            }
                        }
                        _ => EvidenceName::Truck {
                            mine: m,
                            camera: camera(GATE)?,
                            count,
                            time,
                        },
                    });
                }
            }
            Story::Belt => {
                let states: &[TransportState] = if rng.random_bool(0.5) {
                    &[TransportState::RunningLoaded, TransportState::Stopped]
                } else {
                    &[
                        TransportState::RunningEmpty,
                        TransportState::RunningLoaded,
                        TransportState::Stopped,
                    ]
                };
                for &s in states {
                    out.push(EvidenceName::Transport {
                        mine: m,
                        camera: camera(BELT)?,
                        state: Some(s),
                        time: tick(rng)?,
                    });
                }
            }
            Story::Tamper => {
                let cam = camera([MAIN_SHAFT, BELT, AUX_SHAFT, GATE][rng.random_range(0..4)])?;
                let kind = if rng.random_bool(0.6) {
                    TamperKind::Occlusion
                } else {
                    TamperKind::AngleMoved
                };
                let times = if rng.random_bool(0.3) { 2 } else { 1 };
                for _ in 0..times {
                    out.push(EvidenceName::Tamper {
                        mine: m,
                        camera: cam,
                        kind,
                        time: tick(rng)?,
                    });
                }
            }
        }
    }
    Ok(out)
}

/// The event the rules see for an upload of `name` (as the platform's ingest stores it).
fn rule_input(name: &EvidenceName) -> Result<RuleInput> {
    let kind = match *name {
        EvidenceName::People { count, .. } => EventKind::PersonDown {
            daily_count: count.get(),
        },
        EvidenceName::Truck { count, .. } => EventKind::TruckOut {
            daily_count: count.get(),
        },
        EvidenceName::Transport { state, .. } => EventKind::Transport { state },
        EvidenceName::Tamper { kind, .. } => EventKind::Tamper { kind },
        _ => bail!("the alarm load uploads U1–U4 only, not {name}"),
    };
    Ok(RuleInput {
        mine: name.mine(),
        camera: name.camera(),
        kind,
        time: name.time(),
        evidence: None,
    })
}

/// The whole run's uploads, in schedule order, with the alarms each must raise.
#[derive(Debug)]
struct Plan {
    uploads: Vec<Planned>,
    /// Uploads per mine, in the mine's order (indices into `uploads`).
    by_mine: Vec<Vec<usize>>,
    days: usize,
}

fn plan(
    rng: &mut ChaCha8Rng,
    mines: &[Mine],
    rules: &RuleTable,
    total: usize,
    first_day: NaiveDate,
) -> Result<Plan> {
    let mut engines: Vec<RuleEngine> = mines
        .iter()
        .map(|_| RuleEngine::new(rules.clone()))
        .collect();
    let mut per_mine: Vec<Vec<Planned>> = vec![Vec::new(); mines.len()];
    let (mut n, mut day, mut days) = (0usize, 0usize, 0usize);
    let mut order: Vec<usize> = (0..mines.len()).collect();
    'days: while n < total {
        let date = first_day + chrono::Days::new(day as u64);
        order.shuffle(rng);
        for &i in &order {
            let eff = mines[i].effective(date);
            for name in mine_day(rng, &mines[i], date)? {
                if n == total {
                    break 'days;
                }
                let drafts = engines[i].evaluate(&rule_input(&name)?, &eff)?;
                per_mine[i].push(Planned {
                    slot: 0,
                    name: name.to_string(),
                    clause: name.clause().as_str(),
                    expect: drafts.iter().map(|d| d.kind).collect(),
                });
                n += 1;
                days = day + 1;
            }
        }
        day += 1;
    }
    // Schedule: round r holds every mine's r-th upload, mines shuffled, so a mine's uploads are
    // spread over the run and consecutive slots are different mines.
    let mut uploads = Vec::with_capacity(total);
    let mut by_mine = vec![Vec::new(); mines.len()];
    for r in 0.. {
        let mut round: Vec<usize> = (0..mines.len())
            .filter(|&i| per_mine[i].len() > r)
            .collect();
        if round.is_empty() {
            break;
        }
        round.shuffle(rng);
        for i in round {
            let mut u = per_mine[i][r].clone();
            u.slot = uploads.len();
            by_mine[i].push(u.slot);
            uploads.push(u);
        }
    }
    Ok(Plan {
        uploads,
        by_mine,
        days,
    })
}

/// The payloads: one base JPEG and one base MP4, made unique per upload.
#[derive(Debug)]
struct Payloads {
    jpeg: Vec<u8>,
    mp4: Vec<u8>,
}

impl Payloads {
    fn make(dir: &Path) -> Result<Payloads> {
        let jpeg = crate::assets::jpeg_with_rectangle(640, 360, (213, 90, 106, 180), 7)?;
        let path = dir.join("belt.mp4");
        crate::assets::mp4_clip(&path, crate::assets::Codec::H264, 10, 5, 0)?;
        let mp4 =
            std::fs::read(&path).with_context(|| format!("could not read {}", path.display()))?;
        Ok(Payloads { jpeg, mp4 })
    }

    /// Distinct bytes for upload `n`: a JPEG comment, or a trailing MP4 `free` box.
    fn bytes(&self, clause: &str, n: usize) -> Vec<u8> {
        if clause == "U3" {
            let note = format!("eseal-load {n}");
            let mut out = self.mp4.clone();
            out.extend_from_slice(&(note.len() as u32 + 8).to_be_bytes());
            out.extend_from_slice(b"free");
            out.extend_from_slice(note.as_bytes());
            out
        } else {
            unique_jpeg(&self.jpeg, n)
        }
    }
}

/// What happened to one upload.
#[derive(Debug, Clone, Copy)]
struct Done {
    slot: usize,
    /// STOR started.
    began: Instant,
    /// `226` received (`None`: failed, after one retry on a fresh connection).
    acked: Option<Instant>,
}

/// Drives one mine's uploads over its connection at their scheduled instants.
async fn drive(
    mut ftp: AsyncFtpStream,
    login_as: (std::net::SocketAddr, String, String),
    jobs: Vec<(usize, String, &'static str)>,
    payloads: Arc<Payloads>,
    start: Instant,
    period: Duration,
) -> Vec<Done> {
    let mut out = Vec::with_capacity(jobs.len());
    for (slot, name, clause) in jobs {
        tokio::time::sleep_until((start + period.mul_f64(slot as f64)).into()).await;
        let began = Instant::now();
        let bytes = payloads.bytes(clause, slot);
        let mut acked = match ftp.put_file(&name, &mut bytes.as_slice()).await {
            Ok(_) => Some(Instant::now()),
            Err(e) => {
                tracing::warn!(%name, error = %e, "upload failed; retrying on a new connection");
                None
            }
        };
        if acked.is_none() {
            let (addr, user, password) = &login_as;
            match login(*addr, user, password).await {
                Ok(fresh) => {
                    ftp = fresh;
                    acked = match ftp.put_file(&name, &mut bytes.as_slice()).await {
                        Ok(_) => Some(Instant::now()),
                        Err(e) => {
                            tracing::warn!(%name, error = %e, "upload failed again");
                            None
                        }
                    };
                }
                Err(e) => tracing::warn!(%name, error = %e, "could not log in again"),
            }
        }
        out.push(Done { slot, began, acked });
    }
    let _ = ftp.quit().await;
    out
}

/// Counts of the upload mix.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MixReport {
    pub uploads: usize,
    /// Uploads by clause (U1–U4).
    pub by_clause: BTreeMap<String, usize>,
    /// Uploads that must raise an alarm, by clause.
    pub alarming_by_clause: BTreeMap<String, usize>,
    pub alarming_uploads: usize,
    pub alarms_expected: usize,
    /// `alarming_uploads / uploads`.
    pub alarming_fraction: f64,
    /// Alarms expected by kind.
    pub alarms_by_kind: BTreeMap<String, usize>,
    /// CST days the names span.
    pub days: usize,
}

/// What one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct AlarmLoadReport {
    pub seed: u64,
    pub mines: usize,
    pub rate_target: f64,
    pub seconds: f64,
    pub database: String,
    pub seeded: SeedReport,
    /// Seconds to open and log in every mine's connection.
    pub connect_s: f64,
    pub mix: MixReport,
    pub uploads_ok: usize,
    pub uploads_failed: usize,
    /// Acknowledged uploads / max(scheduled duration, first slot → last `226`).
    pub uploads_per_s: f64,
    /// STOR sent later than scheduled (a mine's previous upload still running), ms.
    pub start_lag_ms: Latency,
    /// Scheduled start → `226` (open loop: includes any start lag), ms.
    pub ack_ms: Latency,
    /// Upload's `226` → its notice on the live feed, ms (negative: the notice came first).
    pub alarm_ms: Latency,
    pub alarm_ms_min: f64,
    pub alarms_received: usize,
    /// Expected alarms of acknowledged uploads that never arrived (must be 0).
    pub alarms_missing: usize,
    /// Notices no upload was expected to raise (must be 0).
    pub alarms_unexpected: usize,
    /// Notices the subscription lost (the feed's `lagged`).
    pub feed_lagged: u64,
    /// The supervision worker's counters at the end.
    pub worker_evaluated: u64,
    pub worker_raised: u64,
    pub worker_skipped: u64,
    /// The same latencies by window of the schedule (does the platform keep up all along?).
    pub windows: Vec<WindowReport>,
    /// Why the run failed; empty when it passed.
    pub failures: Vec<String>,
}

/// Runs the whole load: platform, seed, plan, connections, uploads, feed.
pub async fn run(args: &AlarmLoadArgs) -> Result<AlarmLoadReport> {
    if args.mines == 0
        || !(args.rate.is_finite() && args.rate > 0.0)
        || !(args.seconds.is_finite() && args.seconds > 0.0)
    {
        bail!("--mines, --rate and --seconds must be positive");
    }
    let total = (args.rate * args.seconds).round() as usize;
    if total == 0 {
        bail!("--rate × --seconds plans no upload");
    }
    let dir = tempfile::tempdir().context("could not make a temp dir")?;
    let mut config = PlatformConfig::builder()
        .data_dir(dir.path())
        .ftp_addr(demo::loopback0())
        .https_addr(demo::loopback0());
    if let Some(url) = &args.database_url {
        config = config.database_url(url);
    }
    let config = config.build()?;
    let database = if args.database_url.is_some() {
        "postgresql"
    } else {
        "sqlite"
    }
    .to_owned();
    let running = demo::start_with_config(config, false).await?;
    let result = run_on(&running, args, total, dir.path(), database).await;
    running.shutdown().await;
    result
}

async fn run_on(
    running: &RunningPlatform,
    args: &AlarmLoadArgs,
    total: usize,
    dir: &Path,
    database: String,
) -> Result<AlarmLoadReport> {
    let p = running.platform();
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let (mines, defaults) = draw_mines(&mut rng, args.mines, args.first_day)?;
    println!(
        "seeding {} mines (seed {}); {} counties set defaults",
        mines.len(),
        args.seed,
        defaults.len()
    );
    let seeded = seed(p, &mines, &defaults, args.login_concurrency).await?;
    let rules = p.supervision.settings().rules.clone();
    let plan = plan(&mut rng, &mines, &rules, total, args.first_day)?;
    let mix = mix_report(&plan);
    let payloads = Arc::new(Payloads::make(dir)?);

    let t = Instant::now();
    let addr = running.ftp_addr;
    let active: Vec<usize> = (0..mines.len())
        .filter(|&i| !plan.by_mine[i].is_empty())
        .collect();
    let conns: Vec<(usize, AsyncFtpStream)> = futures::stream::iter(active)
        .map(|i| {
            let code = mines[i].code;
            async move {
                let ftp = login(addr, &username_for(&code), &password(&code)).await?;
                anyhow::Ok((i, ftp))
            }
        })
        .buffer_unordered(args.login_concurrency.max(1))
        .try_collect()
        .await?;
    let connect_s = t.elapsed().as_secs_f64();
    println!(
        "seeded in {:.1} s (hierarchy {:.1} s, mines and configurations {:.1} s, accounts {:.1} s); {} connections logged in in {connect_s:.1} s",
        seeded.hierarchy_s + seeded.mines_s + seeded.accounts_s,
        seeded.hierarchy_s,
        seeded.mines_s,
        seeded.accounts_s,
        conns.len()
    );
    println!(
        "plan: {} uploads over {} CST days, {} alarming ({:.1} %), {} alarms expected; {:.1} uploads/s for {} s",
        mix.uploads,
        mix.days,
        mix.alarming_uploads,
        100.0 * mix.alarming_fraction,
        mix.alarms_expected,
        args.rate,
        args.seconds
    );

    // The live feed, subscribed before the first upload.
    let mut sub = p.supervision.feed().subscribe(&Actor::System, None);
    let received = Arc::new(AtomicUsize::new(0));
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let feed_task = {
        let received = received.clone();
        tokio::spawn(async move {
            let (mut got, mut lagged): (Vec<(Instant, Arc<Published>)>, u64) = (Vec::new(), 0);
            loop {
                tokio::select! {
                    item = sub.recv() => match item {
                        Some(Item::Notice(n)) => {
                            let at = Instant::now();
                            if n.notice.event == NoticeEvent::Raised {
                                got.push((at, n));
                                received.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Some(Item::Lagged { missed }) => lagged += missed,
                        None => break,
                    },
                    _ = &mut stopped => break,
                }
            }
            (got, lagged)
        })
    };

    let period = Duration::from_secs_f64(1.0 / args.rate);
    let start = Instant::now() + Duration::from_millis(200);
    let mut tasks = Vec::with_capacity(conns.len());
    for (i, ftp) in conns {
        let code = mines[i].code;
        let jobs = plan.by_mine[i]
            .iter()
            .map(|&s| (s, plan.uploads[s].name.clone(), plan.uploads[s].clause))
            .collect();
        let login_as = (addr, username_for(&code), password(&code));
        tasks.push(tokio::spawn(drive(
            ftp,
            login_as,
            jobs,
            payloads.clone(),
            start,
            period,
        )));
    }
    let mut done: Vec<Option<Done>> = vec![None; plan.uploads.len()];
    for t in tasks {
        for d in t.await.context("a mine's upload task panicked")? {
            done[d.slot] = Some(d);
        }
    }
    let acked = |s: usize| done[s].and_then(|d| d.acked);
    let expected: usize = plan
        .uploads
        .iter()
        .filter(|u| acked(u.slot).is_some())
        .map(|u| u.expect.len())
        .sum();
    let deadline = Instant::now() + Duration::from_secs_f64(args.grace);
    while received.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A little longer, for any alarm nobody expected.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = stop.send(());
    let (got, feed_lagged) = feed_task.await.context("the feed task panicked")?;

    // Match every notice to its upload by evidence name and kind.
    let slot_of: HashMap<&str, usize> = plan
        .uploads
        .iter()
        .map(|u| (u.name.as_str(), u.slot))
        .collect();
    let mut pending: Vec<Vec<AlarmKind>> = plan.uploads.iter().map(|u| u.expect.clone()).collect();
    let (mut alarm_ms, mut unexpected) = (Vec::new(), 0usize);
    for (at, n) in &got {
        let hit = n
            .notice
            .evidence
            .iter()
            .find_map(|e| slot_of.get(e.name.as_str()).copied());
        let matched = hit.and_then(|s| {
            let k = pending[s].iter().position(|k| *k == n.notice.kind)?;
            pending[s].swap_remove(k);
            Some(s)
        });
        match matched.and_then(|s| Some((s, acked(s)?))) {
            Some((s, t0)) => alarm_ms.push((s, signed_ms(*at, t0))),
            None => unexpected += 1,
        }
    }
    let missing: usize = plan
        .uploads
        .iter()
        .filter(|u| acked(u.slot).is_some())
        .map(|u| pending[u.slot].len())
        .sum();

    let ok: Vec<Done> = done
        .iter()
        .flatten()
        .filter(|d| d.acked.is_some())
        .copied()
        .collect();
    let scheduled = |slot: usize| start + period.mul_f64(slot as f64);
    let last = ok.iter().filter_map(|d| d.acked).max().unwrap_or(start);
    let span = (plan.uploads.len() as f64 / args.rate)
        .max(last.saturating_duration_since(start).as_secs_f64());
    let uploads_per_s = ok.len() as f64 / span;
    let alarm_ms_min = alarm_ms.iter().map(|a| a.1).fold(f64::INFINITY, f64::min);
    let windows = windows(args, &ok, &alarm_ms, scheduled);
    let stats = p.supervision.stats().await;
    let mut report = AlarmLoadReport {
        seed: args.seed,
        mines: mines.len(),
        rate_target: args.rate,
        seconds: args.seconds,
        database,
        seeded,
        connect_s,
        uploads_ok: ok.len(),
        uploads_failed: plan.uploads.len() - ok.len(),
        uploads_per_s,
        start_lag_ms: Latency::of(
            ok.iter()
                .map(|d| signed_ms(d.began, scheduled(d.slot)))
                .collect(),
        ),
        ack_ms: Latency::of(
            ok.iter()
                .filter_map(|d| Some(signed_ms(d.acked?, scheduled(d.slot))))
                .collect(),
        ),
        alarms_received: alarm_ms.len(),
        alarm_ms: Latency::of(alarm_ms.into_iter().map(|a| a.1).collect()),
        windows,
        alarm_ms_min,
        alarms_missing: missing,
        alarms_unexpected: unexpected,
        feed_lagged,
        worker_evaluated: stats.evaluated,
        worker_raised: stats.raised,
        worker_skipped: stats.skipped,
        mix,
        failures: Vec::new(),
    };
    report.failures = failures(&report);
    Ok(report)
}

/// Latencies of the uploads scheduled in one window of the run.
#[derive(Debug, Clone, Serialize)]
pub struct WindowReport {
    /// Start of the window, seconds after the first slot.
    pub from_s: f64,
    pub uploads: usize,
    pub ack_ms_p99: f64,
    pub alarms: usize,
    pub alarm_ms_median: f64,
    pub alarm_ms_p99: f64,
}

/// Ten windows (at least 1 s each) over the schedule.
fn windows(
    args: &AlarmLoadArgs,
    ok: &[Done],
    alarms: &[(usize, f64)],
    scheduled: impl Fn(usize) -> Instant,
) -> Vec<WindowReport> {
    let width = (args.seconds / 10.0).max(1.0);
    let count = (args.seconds / width).ceil() as usize;
    let index =
        |slot: usize| (((slot as f64 / args.rate) / width) as usize).min(count.saturating_sub(1));
    let mut acks = vec![Vec::new(); count];
    let mut lat = vec![Vec::new(); count];
    for d in ok {
        if let Some(a) = d.acked {
            acks[index(d.slot)].push(signed_ms(a, scheduled(d.slot)));
        }
    }
    for &(slot, ms) in alarms {
        lat[index(slot)].push(ms);
    }
    acks.into_iter()
        .zip(lat)
        .enumerate()
        .map(|(i, (a, l))| {
            let (a, l) = (Latency::of(a), Latency::of(l));
            WindowReport {
                from_s: i as f64 * width,
                uploads: a.n,
                ack_ms_p99: a.p99,
                alarms: l.n,
                alarm_ms_median: l.median,
                alarm_ms_p99: l.p99,
            }
        })
        .collect()
}

fn signed_ms(a: Instant, b: Instant) -> f64 {
    match a.checked_duration_since(b) {
        Some(d) => d.as_secs_f64() * 1000.0,
        None => -(b.duration_since(a).as_secs_f64() * 1000.0),
    }
}

fn mix_report(plan: &Plan) -> MixReport {
    let mut m = MixReport {
        uploads: plan.uploads.len(),
        days: plan.days,
        ..MixReport::default()
    };
    for u in &plan.uploads {
        *m.by_clause.entry(u.clause.to_owned()).or_default() += 1;
        if !u.expect.is_empty() {
            *m.alarming_by_clause.entry(u.clause.to_owned()).or_default() += 1;
            m.alarming_uploads += 1;
        }
        for k in &u.expect {
            *m.alarms_by_kind.entry(k.id().to_owned()).or_default() += 1;
            m.alarms_expected += 1;
        }
    }
    m.alarming_fraction = m.alarming_uploads as f64 / m.uploads.max(1) as f64;
    m
}

/// The acceptance conditions the run failed.
fn failures(r: &AlarmLoadReport) -> Vec<String> {
    let mut f = Vec::new();
    if r.uploads_failed > 0 {
        f.push(format!("{} uploads failed", r.uploads_failed));
    }
    if r.alarms_missing > 0 {
        f.push(format!(
            "{} expected alarms never reached the feed",
            r.alarms_missing
        ));
    }
    if r.alarms_unexpected > 0 {
        f.push(format!(
            "{} notices matched no expected alarm",
            r.alarms_unexpected
        ));
    }
    if r.uploads_per_s < 0.95 * r.rate_target {
        f.push(format!(
            "{:.1} uploads/s achieved, below 95 % of {:.1}",
            r.uploads_per_s, r.rate_target
        ));
    }
    f
}

/// `eseal load alarms`.
pub async fn alarms(args: AlarmLoadArgs) -> Result<ExitCode> {
    println!(
        "eseal load alarms: {} mines, {} uploads/s for {} s, seed {} (rerun with --seed {} or ESEAL_SEED={})",
        args.mines, args.rate, args.seconds, args.seed, args.seed, args.seed
    );
    let r = run(&args).await?;
    let json = serde_json::to_string_pretty(&r)?;
    println!("{json}");
    if let Some(path) = &args.json {
        std::fs::write(path, &json)
            .with_context(|| format!("could not write {}", path.display()))?;
    }
    println!(
        "uploads {} ok / {} failed, {:.1} uploads/s; ack (scheduled → 226) median {:.1} ms, p99 {:.1} ms",
        r.uploads_ok, r.uploads_failed, r.uploads_per_s, r.ack_ms.median, r.ack_ms.p99
    );
    println!(
        "alarms {} received / {} expected ({} missing, {} unexpected); 226 → feed median {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        r.alarms_received,
        r.mix.alarms_expected,
        r.alarms_missing,
        r.alarms_unexpected,
        r.alarm_ms.median,
        r.alarm_ms.p90,
        r.alarm_ms.p99,
        r.alarm_ms.max
    );
    println!(
        "| {} | {:.0} | {:.0} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
        r.mines,
        r.rate_target,
        r.seconds,
        r.uploads_ok,
        r.alarms_received,
        r.uploads_per_s,
        r.ack_ms.median,
        r.ack_ms.p99,
        r.alarm_ms.median,
        r.alarm_ms.p90,
        r.alarm_ms.p99,
        r.alarm_ms.max,
        r.alarms_missing
    );
    println!("window from (s) | uploads | ack p99 ms | alarms | 226 → feed median ms | p99 ms");
    for w in &r.windows {
        println!(
            "{:>15.0} | {:>7} | {:>10.1} | {:>6} | {:>20.1} | {:>6.1}",
            w.from_s, w.uploads, w.ack_ms_p99, w.alarms, w.alarm_ms_median, w.alarm_ms_p99
        );
    }
    if r.failures.is_empty() {
        println!("PASS (seed {})", r.seed);
        Ok(ExitCode::SUCCESS)
    } else {
        println!("FAIL (seed {}): {}", r.seed, r.failures.join("; "));
        Ok(ExitCode::from(1))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn default_plan(seed: u64) -> (Vec<Mine>, Plan) {
        let args = AlarmLoadArgs::new(1000, 50.0, 300.0);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (mines, _) = draw_mines(&mut rng, args.mines, args.first_day).unwrap();
        let rules = RuleTable::reference().unwrap();
        let plan = plan(&mut rng, &mines, &rules, 15_000, args.first_day).unwrap();
        (mines, plan)
    }

    #[test]
    fn the_acceptance_plan_is_deterministic_and_mostly_alarming() {
        let (mines, a) = default_plan(DEFAULT_SEED);
        let (_, b) = default_plan(DEFAULT_SEED);
        let names = |p: &Plan| p.uploads.iter().map(|u| u.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&a), names(&b));
        let m = mix_report(&a);
        assert_eq!(m.uploads, 15_000);
        assert!(m.alarming_fraction > 0.5, "{m:?}");
        assert_eq!(m.by_clause.len(), 4, "U1–U4 all present: {m:?}");
        // Names are unique, slots are the schedule order, and each mine's uploads keep their order.
        let unique: std::collections::HashSet<_> = a.uploads.iter().map(|u| &u.name).collect();
        assert_eq!(unique.len(), a.uploads.len());
        assert!(a.uploads.iter().enumerate().all(|(i, u)| u.slot == i));
        for (i, slots) in a.by_mine.iter().enumerate() {
            assert!(slots.windows(2).all(|w| w[0] < w[1]));
            assert!(
                slots
                    .iter()
                    .all(|&s| a.uploads[s].name.starts_with(mines[i].code.as_str()))
            );
        }
        // Every mine uploads, and most mines have several alarming uploads.
        assert!(a.by_mine.iter().all(|s| !s.is_empty()));
        assert_eq!(mines.len(), 1000);
        // A different seed, a different plan.
        assert_ne!(names(&a), names(&default_plan(1).1));
    }
}
