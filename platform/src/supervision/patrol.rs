//! Automatic patrol (P2, P8): whether each mine and each camera is online, from upload
//! activity and by probing the registered live-stream addresses (U6); data-stability figures;
//! the network-status query by region, mine state and online state.
//!
//! Key design decision: **online means "a sign of life within the policy's silence", and every
//! state change is dated by the evidence, not by the check that noticed it.** The spec defines
//! no heartbeat (U8), so the reference profile takes two signs of life: an upload received
//! (any of U1–U5; U5 counts for the mine, not a camera) and a stream probe that got JPEG frames.
//! A camera (and a mine: the union of its cameras and its camera-less uploads) is
//! - **offline** once neither has been seen for [`PatrolPolicy::offline_after`]; it went offline
//!   at `last_seen + offline_after` exactly, whenever the patrol runs;
//! - **online again** at the first upload after it went offline (an upload is proof), or after
//!   [`PatrolPolicy::recover_probes`] successful probes in a row (flap damping: a stream that
//!   answers every other probe stays offline rather than raising an alarm per probe).
//!   A failed probe alone never takes a camera offline: only silence does.
//!
//! The patrol is clock-injected (`now` is a parameter; nothing here reads the wall clock, except
//! that a probe measures its own latency) and stateless between runs: its state is the
//! `patrol_status` table, and each run reads the uploads received since the previous run's
//! `checked_at`. Every change is appended to `patrol_transitions` (migration `0002_patrol`),
//! from which the data-stability figures of any period are computed exactly. A run returns its
//! transitions so that the caller raises [`super::AlarmKind::MineOffline`] for mines that went
//! offline (see [`Transition::mine_went_offline`]).
//!
//! Checks run every [`PatrolPolicy::probe_interval`], which must not exceed `offline_after`:
//! a silence longer than `offline_after + probe_interval` is then always seen.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use eseal_protocol::{CameraCode, MineCode};
use futures::StreamExt;
use serde::Serialize;

use super::export::{Cell, Column, Table};
use super::stats::{
    MINE_COLUMNS, Period, known_mines, like, mine_col, mine_state_zh, named, reader_unit,
    require_reader,
};
use super::{Actor, UnitCode};
use crate::db::{Conn, Db, Row, Value};
use crate::error::{Error, Result};

/// The patrol's policy. Defaults: offline after 15 minutes of silence, checks every 5 minutes,
/// probes time out after 5 seconds, 2 successful probes in a row bring a camera back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatrolPolicy {
    offline_after: Duration,
    probe_interval: Duration,
    probe_timeout: StdDuration,
    recover_probes: u32,
}

impl Default for PatrolPolicy {
    fn default() -> Self {
        PatrolPolicy {
            // Three probe intervals: one lost probe or a quiet stopped mine is not an outage.
            offline_after: Duration::minutes(15),
            probe_interval: Duration::minutes(5),
            probe_timeout: StdDuration::from_secs(5),
            recover_probes: 2,
        }
    }
}

impl PatrolPolicy {
    /// A builder starting from the defaults.
    pub fn builder() -> PatrolPolicyBuilder {
        PatrolPolicyBuilder(PatrolPolicy::default())
    }

    /// Silence after which a camera or mine is offline.
    pub fn offline_after(&self) -> Duration {
        self.offline_after
    }

    /// Time between two checks (and probes).
    pub fn probe_interval(&self) -> Duration {
        self.probe_interval
    }

    /// How long one probe may take.
    pub fn probe_timeout(&self) -> StdDuration {
        self.probe_timeout
    }

    /// Successful probes in a row that bring an offline camera back (without an upload).
    pub fn recover_probes(&self) -> u32 {
        self.recover_probes
    }
}

/// Builder of a [`PatrolPolicy`].
#[derive(Debug, Clone, Copy)]
pub struct PatrolPolicyBuilder(PatrolPolicy);

impl PatrolPolicyBuilder {
    /// Silence after which a camera or mine is offline (default 15 min).
    pub fn offline_after(mut self, d: Duration) -> Self {
        self.0.offline_after = d;
        self
    }

    /// Time between checks (default 5 min).
    pub fn probe_interval(mut self, d: Duration) -> Self {
        self.0.probe_interval = d;
        self
    }

    /// Timeout of one probe (default 5 s).
    pub fn probe_timeout(mut self, d: StdDuration) -> Self {
        self.0.probe_timeout = d;
        self
    }

    /// Successful probes in a row that bring a camera back (default 2).
    pub fn recover_probes(mut self, n: u32) -> Self {
        self.0.recover_probes = n;
        self
    }

    /// The policy, if consistent.
    pub fn build(self) -> Result<PatrolPolicy> {
        let p = self.0;
        let secs = |d: Duration| format!("{} s", d.num_seconds());
        if p.probe_interval <= Duration::zero() {
            return Err(Error::invalid(
                "probe_interval",
                "a positive duration",
                secs(p.probe_interval),
            ));
        }
        if p.offline_after < p.probe_interval {
            return Err(Error::invalid(
                "offline_after",
                &format!(
                    "at least probe_interval ({}), or silences go unseen",
                    secs(p.probe_interval)
                ),
                secs(p.offline_after),
            ));
        }
        let timeout_ok = Duration::from_std(p.probe_timeout).is_ok_and(|t| t < p.probe_interval);
        if p.probe_timeout.is_zero() || !timeout_ok {
            return Err(Error::invalid(
                "probe_timeout",
                "a positive duration shorter than probe_interval",
                format!("{:?}", p.probe_timeout),
            ));
        }
        if p.recover_probes == 0 {
            return Err(Error::invalid("recover_probes", "1 or more", "0"));
        }
        Ok(p)
    }
}

/// The result of probing one stream address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeOutcome {
    /// When the probe ran (the patrol's clock).
    pub at: DateTime<Utc>,
    /// Whether the address answered with JPEG frames.
    pub ok: bool,
    /// Time to the first JPEG bytes, or to the failure, in milliseconds (measured, not clocked).
    pub latency_ms: u64,
    /// Why it failed.
    pub error: Option<String>,
}

/// Bytes of the body read at most while looking for the first JPEG frame.
const PROBE_READ_LIMIT: usize = 64 * 1024;

/// JPEG start-of-image marker and the first byte of the next marker.
const JPEG_SOI: [u8; 3] = [0xFF, 0xD8, 0xFF];

/// Probes an mjpg-streamer style HTTP address (U6): it must answer 2xx within `timeout`, and
/// either be `multipart/x-mixed-replace` with a JPEG frame in its first 64 KiB, or a body that
/// starts as a JPEG (a snapshot URL). Never fails: a failure is an outcome.
pub async fn probe_stream(
    client: &reqwest::Client,
    url: &str,
    timeout: StdDuration,
    at: DateTime<Utc>,
) -> ProbeOutcome {
    let started = Instant::now();
    let result = match tokio::time::timeout(timeout, probe_once(client, url)).await {
        Ok(r) => r,
        Err(_) => Err(format!("no JPEG frame within {} ms", timeout.as_millis())),
    };
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    ProbeOutcome {
        at,
        ok: result.is_ok(),
        latency_ms,
        error: result.err(),
    }
}

async fn probe_once(client: &reqwest::Client, url: &str) -> std::result::Result<(), String> {
    let mut resp = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(format!("HTTP status {status}"));
    }
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let multipart = content_type.starts_with("multipart/x-mixed-replace");
    let mut seen: Vec<u8> = Vec::new();
    while seen.len() < PROBE_READ_LIMIT {
        let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| format!("reading the body: {e}"))?
        else {
            break;
        };
        seen.extend_from_slice(&chunk);
        let found = if multipart {
            seen.windows(JPEG_SOI.len()).any(|w| w == JPEG_SOI)
        } else {
            seen.len() >= JPEG_SOI.len()
        };
        if found {
            break;
        }
    }
    let jpeg = if multipart {
        seen.windows(JPEG_SOI.len()).any(|w| w == JPEG_SOI)
    } else {
        seen.starts_with(&JPEG_SOI)
    };
    match (jpeg, multipart) {
        (true, _) => Ok(()),
        (false, true) => Err("multipart/x-mixed-replace without a JPEG frame".to_owned()),
        (false, false) => Err(format!(
            "not an MJPEG stream: content type {content_type:?} and the body is not a JPEG"
        )),
    }
}

/// A registered live-stream address (U6) to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamTarget {
    /// The mine.
    pub mine: MineCode,
    /// The camera.
    pub camera: CameraCode,
    /// Its address.
    pub url: String,
}

/// The probe of one camera.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CameraProbe {
    /// The mine.
    pub mine: MineCode,
    /// The camera.
    pub camera: CameraCode,
    /// What the probe found.
    pub outcome: ProbeOutcome,
}

/// Probes at most this many addresses at once.
const PROBE_CONCURRENCY: usize = 32;

/// Probes every target (at most 32 at a time) with the policy's timeout, all dated `at`.
pub async fn probe_streams(
    client: &reqwest::Client,
    targets: &[StreamTarget],
    policy: &PatrolPolicy,
    at: DateTime<Utc>,
) -> Vec<CameraProbe> {
    // Owned targets and client per probe: the future stays `Send` for any caller (a spawned
    // patrol timer), which borrowed closures in `map` would not be.
    let timeout = policy.probe_timeout;
    futures::stream::iter(targets.to_vec())
        .map(|t| {
            let client = client.clone();
            async move {
                let outcome = probe_stream(&client, &t.url, timeout, at).await;
                CameraProbe {
                    mine: t.mine,
                    camera: t.camera,
                    outcome,
                }
            }
        })
        .buffer_unordered(PROBE_CONCURRENCY)
        .collect()
        .await
}

/// The patrol's view of a mine (`camera` `None`) or of one camera.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatrolStatus {
    /// The mine.
    pub mine: MineCode,
    /// The camera; `None` for the mine as a whole.
    pub camera: Option<CameraCode>,
    /// 在线 / 离线.
    pub online: bool,
    /// Since when it is in this state.
    pub since: DateTime<Utc>,
    /// The latest sign of life (upload or successful probe).
    pub last_seen: Option<DateTime<Utc>>,
    /// The check that wrote this.
    pub checked_at: DateTime<Utc>,
    /// Successful probes in a row.
    pub ok_probes: u32,
}

/// A change of online state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// The mine.
    pub mine: MineCode,
    /// The camera; `None` for the mine.
    pub camera: Option<CameraCode>,
    /// The new state.
    pub online: bool,
    /// When the new state began.
    pub at: DateTime<Utc>,
}

impl Transition {
    /// Whether this is a whole mine going offline: the caller raises `MineOffline` for it.
    pub fn mine_went_offline(&self) -> bool {
        self.camera.is_none() && !self.online
    }
}

/// The signs of life of one camera or mine since the previous check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    /// The first upload received since the previous check.
    pub first_upload: Option<DateTime<Utc>>,
    /// The last upload received since the previous check.
    pub last_upload: Option<DateTime<Utc>>,
    /// This check's probe (for a mine: ok when any of its cameras answered).
    pub probe: Option<ProbeOutcome>,
}

impl Evidence {
    fn merge(&mut self, other: &Evidence) {
        self.first_upload = min_opt(self.first_upload, other.first_upload);
        self.last_upload = self.last_upload.max(other.last_upload);
        if let Some(p) = &other.probe {
            self.merge_probe(p);
        }
    }

    /// Keeps the better probe: a successful one over a failed one, then the later one.
    fn merge_probe(&mut self, p: &ProbeOutcome) {
        self.probe = match self.probe.take() {
            Some(q) if (q.ok, q.at) >= (p.ok, p.at) => Some(q),
            _ => Some(p.clone()),
        };
    }
}

fn min_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The state after one check: the pure core of the patrol. Returns the new state and the
/// transitions it made (none, one, or two when a camera came back and went silent again between
/// two checks).
pub fn step(
    policy: &PatrolPolicy,
    prev: Option<&PatrolStatus>,
    ev: &Evidence,
    mine: MineCode,
    camera: Option<CameraCode>,
    now: DateTime<Utc>,
) -> (PatrolStatus, Vec<Transition>) {
    let probe_ok_at = ev.probe.as_ref().filter(|p| p.ok).map(|p| p.at);
    let last_seen = prev
        .and_then(|p| p.last_seen)
        .max(ev.last_upload)
        .max(probe_ok_at);
    let ok_probes = match &ev.probe {
        Some(p) if p.ok => prev.map_or(0, |p| p.ok_probes).saturating_add(1),
        Some(_) => 0,
        None => prev.map_or(0, |p| p.ok_probes),
    };
    let fresh = |t: Option<DateTime<Utc>>| t.is_some_and(|t| now - t < policy.offline_after);
    let went_silent_at = last_seen.map_or(now, |t| t + policy.offline_after);
    let mut transitions = Vec::new();
    let mut change = |online: bool, at: DateTime<Utc>| {
        transitions.push(Transition {
            mine,
            camera,
            online,
            at,
        });
        (online, at)
    };
    let (online, since) = match prev {
        // The first check: fresh is online since the latest sign of life we know of.
        None if fresh(last_seen) => change(true, last_seen.unwrap_or(now)),
        None => change(false, went_silent_at),
        Some(p) if p.online && fresh(last_seen) => (true, p.since),
        Some(p) if p.online => change(false, went_silent_at.max(p.since)),
        Some(p) => {
            let by_upload = ev
                .first_upload
                .filter(|u| p.last_seen.is_none_or(|s| *u > s));
            let by_probes = probe_ok_at.filter(|_| ok_probes >= policy.recover_probes);
            match by_upload.or(by_probes) {
                Some(back) => {
                    let back = back.max(p.since);
                    change(true, back);
                    if fresh(last_seen) {
                        (true, back)
                    } else {
                        change(false, went_silent_at.max(back))
                    }
                }
                None => (false, p.since),
            }
        }
    };
    let status = PatrolStatus {
        mine,
        camera,
        online,
        since,
        last_seen,
        checked_at: now,
        ok_probes,
    };
    (status, transitions)
}

/// The result of one patrol run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatrolRun {
    /// Every mine's and camera's status after the run (mines first within each mine).
    pub statuses: Vec<PatrolStatus>,
    /// The changes, in order of time.
    pub transitions: Vec<Transition>,
}

impl PatrolRun {
    /// The mines that went offline in this run (raise `MineOffline` for each).
    pub fn mines_offline(&self) -> impl Iterator<Item = &Transition> {
        self.transitions.iter().filter(|t| t.mine_went_offline())
    }
}

/// The automatic patrol over one database.
#[derive(Debug, Clone)]
pub struct Patrol {
    db: Db,
    policy: PatrolPolicy,
}

fn camera_col(row: &Row, column: &str) -> Result<Option<CameraCode>> {
    let Some(s) = row.get::<Option<String>>(column)? else {
        return Ok(None);
    };
    CameraCode::parse(&s).map(Some).map_err(|_| Error::Column {
        column: column.to_owned(),
        expected: "a camera code 10-39".to_owned(),
        found: format!("text {s:?}"),
    })
}

fn status_of(r: &Row) -> Result<PatrolStatus> {
    Ok(PatrolStatus {
        mine: mine_col(r, "mine")?,
        camera: camera_col(r, "camera")?,
        online: r.bool("online")?,
        // Rows written before 0002 have no `since`: the check that wrote them.
        since: match r.get::<Option<DateTime<Utc>>>("since")? {
            Some(t) => t,
            None => r.time("checked_at")?,
        },
        last_seen: r.get("last_seen")?,
        checked_at: r.time("checked_at")?,
        ok_probes: u32::try_from(r.i64("ok_probes")?).unwrap_or(0),
    })
}

const STATUS_COLUMNS: &str = "mine, camera, online, since, last_seen, checked_at, ok_probes";

type Key = (MineCode, Option<CameraCode>);

impl Patrol {
    /// A patrol with `policy`.
    pub fn new(db: Db, policy: PatrolPolicy) -> Patrol {
        Patrol { db, policy }
    }

    /// The policy.
    pub fn policy(&self) -> &PatrolPolicy {
        &self.policy
    }

    /// One check at `now` with this check's probes (empty when only uploads are watched):
    /// reads the uploads received since the previous check from `events`, steps every known
    /// mine and camera, and writes `patrol_status` and `patrol_transitions` in one transaction.
    pub async fn run(&self, probes: Vec<CameraProbe>, now: DateTime<Utc>) -> Result<PatrolRun> {
        let policy = self.policy;
        self.db
            .transaction(move |c| run_conn(c, &policy, &probes, now))
            .await
    }
}

fn run_conn(
    c: &mut Conn,
    policy: &PatrolPolicy,
    probes: &[CameraProbe],
    now: DateTime<Utc>,
) -> Result<PatrolRun> {
    let mut prev: BTreeMap<Key, PatrolStatus> = BTreeMap::new();
    for r in c.query(&format!("SELECT {STATUS_COLUMNS} FROM patrol_status"), &[])? {
        let s = status_of(&r)?;
        prev.insert((s.mine, s.camera), s);
    }
    let previous_check = prev.values().map(|s| s.checked_at).max();
    // Every time text is greater than the empty text: the first run reads all uploads.
    let after: Value = previous_check.map_or_else(|| "".into(), Value::from);
    let uploads = c.query(
        "SELECT mine, camera, MIN(received_at) AS first_at, MAX(received_at) AS last_at \
           FROM events \
          WHERE received_at > $1 AND received_at <= $2 \
          GROUP BY mine, camera",
        &[after, now.into()],
    )?;
    let mut evidence: BTreeMap<Key, Evidence> = BTreeMap::new();
    for key in prev.keys() {
        evidence.entry(*key).or_default();
    }
    for (code, _) in known_mines(c, &UnitCode::national())? {
        if let Ok(mine) = MineCode::parse(&code) {
            evidence.entry((mine, None)).or_default();
        }
    }
    for r in &uploads {
        // An upload of a camera code the protocol does not know still proves the mine alive.
        let camera = camera_col(r, "camera").ok().flatten();
        let ev = Evidence {
            first_upload: Some(r.time("first_at")?),
            last_upload: Some(r.time("last_at")?),
            probe: None,
        };
        let mine = mine_col(r, "mine")?;
        evidence.entry((mine, camera)).or_default().merge(&ev);
    }
    for p in probes {
        evidence
            .entry((p.mine, Some(p.camera)))
            .or_default()
            .merge_probe(&p.outcome);
    }
    // A mine's evidence is the union of its cameras' and its own (camera-less uploads).
    let mines: BTreeSet<MineCode> = evidence.keys().map(|(m, _)| *m).collect();
    for mine in mines {
        let union = evidence
            .range((mine, None)..)
            .take_while(|((m, _), _)| *m == mine)
            .filter(|((_, camera), _)| camera.is_some())
            .fold(Evidence::default(), |mut acc, (_, e)| {
                acc.merge(e);
                acc
            });
        evidence.entry((mine, None)).or_default().merge(&union);
    }
    let mut run = PatrolRun {
        statuses: Vec::with_capacity(evidence.len()),
        transitions: Vec::new(),
    };
    for ((mine, camera), ev) in &evidence {
        let (status, transitions) =
            step(policy, prev.get(&(*mine, *camera)), ev, *mine, *camera, now);
        write_status(c, &status)?;
        for t in &transitions {
            c.execute(
                "INSERT INTO patrol_transitions (mine, camera, online, at) VALUES ($1, $2, $3, $4)",
                &[
                    t.mine.as_str().into(),
                    t.camera.map(|c| c.to_string()).into(),
                    t.online.into(),
                    t.at.into(),
                ],
            )?;
        }
        run.statuses.push(status);
        run.transitions.extend(transitions);
    }
    run.transitions.sort_by_key(|t| t.at);
    Ok(run)
}

fn write_status(c: &mut Conn, s: &PatrolStatus) -> Result<()> {
    let conflict = match s.camera {
        None => "(mine) WHERE camera IS NULL",
        Some(_) => "(mine, camera) WHERE camera IS NOT NULL",
    };
    c.execute(
        &format!(
            "INSERT INTO patrol_status ({STATUS_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT {conflict} DO UPDATE SET online = excluded.online, \
             since = excluded.since, last_seen = excluded.last_seen, \
             checked_at = excluded.checked_at, ok_probes = excluded.ok_probes"
        ),
        &[
            s.mine.as_str().into(),
            s.camera.map(|c| c.to_string()).into(),
            s.online.into(),
            s.since.into(),
            s.last_seen.into(),
            s.checked_at.into(),
            i64::from(s.ok_probes).into(),
        ],
    )?;
    Ok(())
}

/// Data-stability figures of one mine over a period (P2).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Stability {
    /// The mine.
    #[schema(value_type = String, pattern = "^[0-9]{12}$", example = "140421007866")]
    pub mine: MineCode,
    /// Its name ("" when unknown).
    pub name: String,
    /// 在线率 — online time / observed time, in percent; `None` when never observed.
    pub availability: Option<f64>,
    /// Seconds of the period with a known state (from the first transition on, up to `now`).
    pub observed_s: i64,
    /// Seconds of it online.
    pub online_s: i64,
    /// 离线次数 — offline spells that overlap the period.
    pub outages: u32,
    /// 最长离线时长 — the longest of them inside the period, in seconds.
    pub longest_outage_s: i64,
    /// 上传次数 — uploads received in the period.
    pub uploads: u64,
    /// 平均上传间隔 — mean seconds between consecutive uploads; `None` with fewer than two.
    pub mean_upload_interval_s: Option<f64>,
}

/// The stability figures of every mine of `unit` over `period` (clipped at `now`), by code.
/// Availability is time-weighted from `patrol_transitions`: since checks run every
/// `probe_interval` and transitions are dated exactly, it equals the share of probe windows
/// online whenever states change on window boundaries, and is exact otherwise.
pub async fn stability(
    db: &Db,
    reader: &Actor,
    unit: &UnitCode,
    period: Period,
    now: DateTime<Utc>,
) -> Result<Vec<Stability>> {
    require_reader(reader, unit)?;
    let unit = unit.clone();
    db.run(move |c| stability_conn(c, &unit, &period, now))
        .await
}

fn stability_conn(
    c: &mut Conn,
    unit: &UnitCode,
    period: &Period,
    now: DateTime<Utc>,
) -> Result<Vec<Stability>> {
    let end = period.to.min(now);
    let mut timelines: BTreeMap<String, Vec<(DateTime<Utc>, bool)>> = BTreeMap::new();
    let rows = c.query(
        "SELECT mine, online, at FROM patrol_transitions \
          WHERE camera IS NULL AND mine LIKE $1 AND at < $2 ORDER BY mine, at, id",
        &[like(unit).into(), end.into()],
    )?;
    for r in &rows {
        timelines
            .entry(r.text("mine")?)
            .or_default()
            .push((r.time("at")?, r.bool("online")?));
    }
    let mut uploads: BTreeMap<String, Vec<DateTime<Utc>>> = BTreeMap::new();
    let rows = c.query(
        "SELECT mine, received_at FROM events \
          WHERE mine LIKE $1 AND received_at >= $2 AND received_at < $3 ORDER BY mine, received_at",
        &[like(unit).into(), period.from.into(), end.into()],
    )?;
    for r in &rows {
        uploads
            .entry(r.text("mine")?)
            .or_default()
            .push(r.time("received_at")?);
    }
    let mut mines = known_mines(c, unit)?;
    for code in timelines.keys().chain(uploads.keys()) {
        mines.entry(code.clone()).or_default();
    }
    let mut out = Vec::with_capacity(mines.len());
    for (code, info) in mines {
        let Ok(mine) = MineCode::parse(&code) else {
            continue;
        };
        let mut s = Stability {
            mine,
            name: info.name,
            availability: None,
            observed_s: 0,
            online_s: 0,
            outages: 0,
            longest_outage_s: 0,
            uploads: 0,
            mean_upload_interval_s: None,
        };
        let timeline = timelines.remove(&code).unwrap_or_default();
        // Spells: each transition's state lasts until the next one (or the end).
        for (i, (at, online)) in timeline.iter().enumerate() {
            let until = timeline.get(i + 1).map_or(end, |(t, _)| *t);
            let (a, b) = ((*at).max(period.from), until.min(end));
            if b <= a {
                continue;
            }
            let secs = (b - a).num_seconds();
            s.observed_s += secs;
            if *online {
                s.online_s += secs;
            } else {
                s.outages += 1;
                s.longest_outage_s = s.longest_outage_s.max(secs);
            }
        }
        if s.observed_s > 0 {
            s.availability = Some(s.online_s as f64 * 100.0 / s.observed_s as f64);
        }
        let times = uploads.remove(&code).unwrap_or_default();
        s.uploads = times.len() as u64;
        if let (Some(first), Some(last)) = (times.first(), times.last())
            && times.len() >= 2
        {
            s.mean_upload_interval_s = Some(
                (*last - *first).num_milliseconds() as f64 / 1000.0 / (times.len() - 1) as f64,
            );
        }
        out.push(s);
    }
    Ok(out)
}

/// The data-stability table (P2).
pub fn stability_table(rows: &[Stability]) -> Table {
    let columns = MINE_COLUMNS.into_iter().chain([
        Column::new("在线率%", "availability %"),
        Column::new("离线次数", "outages"),
        Column::new("最长离线(分钟)", "longest outage, min"),
        Column::new("上传次数", "uploads"),
        Column::new("平均上传间隔(分钟)", "mean upload interval, min"),
    ]);
    Table::new(("数据稳定性", "Data stability"), columns, rows, |s| {
        let mut row = named(s.mine.as_str(), &s.name).to_vec();
        row.extend([
            Cell::number(s.availability, 2),
            Cell::Int(s.outages.into()),
            Cell::number(Some(s.longest_outage_s as f64 / 60.0), 1),
            Cell::count(s.uploads),
            Cell::number(s.mean_upload_interval_s.map(|s| s / 60.0), 1),
        ]);
        row
    })
}

/// The filter of the network-status query (P8). Every field narrows; `None` keeps all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkFilter {
    /// A unit inside the reader's jurisdiction (province, city, county or mine).
    pub region: Option<UnitCode>,
    /// The filed mine state: 停产, 停建, 关闭 or `stopped`, `construction_stopped`, `closing`.
    pub mine_state: Option<String>,
    /// Online (`true`) or offline mines only.
    pub online: Option<bool>,
}

/// One mine's network status (P8, P1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NetworkStatus {
    /// The mine.
    #[schema(value_type = String, pattern = "^[0-9]{12}$", example = "140421007866")]
    pub mine: MineCode,
    /// Its name ("" when unknown).
    pub name: String,
    /// Its county.
    pub county: String,
    /// Its filed state id (`stopped`, ...), when filed.
    pub mine_state: Option<String>,
    /// The mine as a whole.
    pub online: bool,
    /// Since when.
    pub since: DateTime<Utc>,
    /// The latest sign of life.
    pub last_seen: Option<DateTime<Utc>>,
    /// The last check.
    pub checked_at: DateTime<Utc>,
    /// Cameras online.
    pub cameras_online: u32,
    /// Cameras known.
    pub cameras: u32,
}

fn parse_mine_state(s: &str) -> Result<&'static str> {
    super::mines::MineState::parse(s)
        .map(|m| m.id())
        .ok_or_else(|| {
            Error::invalid(
                "mine_state",
                "停产, 停建 or 关闭 (stopped, construction_stopped or closing)",
                format!("{s:?}"),
            )
        })
}

/// The network status of the mines of the reader's jurisdiction, narrowed by `filter` (P8).
/// A region outside the jurisdiction is [`Error::Forbidden`]; an unknown mine state is
/// [`Error::Invalid`]. Only mines the patrol has checked appear.
pub async fn network_status(
    db: &Db,
    reader: &Actor,
    filter: NetworkFilter,
) -> Result<Vec<NetworkStatus>> {
    let region = filter.region.clone().unwrap_or_else(|| reader_unit(reader));
    require_reader(reader, &region)?;
    let state = filter
        .mine_state
        .as_deref()
        .map(parse_mine_state)
        .transpose()?;
    db.run(move |c| {
        let rows = c.query(
            &format!(
                "SELECT {STATUS_COLUMNS} FROM patrol_status WHERE mine LIKE $1 \
                  ORDER BY mine, camera IS NOT NULL, camera"
            ),
            &[like(&region).into()],
        )?;
        let info = known_mines(c, &region)?;
        let mut out: Vec<NetworkStatus> = Vec::new();
        for r in &rows {
            let s = status_of(r)?;
            match (s.camera, out.last_mut()) {
                (Some(_), Some(last)) if last.mine == s.mine => {
                    last.cameras += 1;
                    last.cameras_online += u32::from(s.online);
                }
                (Some(_), _) => {} // a camera whose mine row is missing: not a mine status
                (None, _) => {
                    let known = info.get(s.mine.as_str()).cloned().unwrap_or_default();
                    out.push(NetworkStatus {
                        mine: s.mine,
                        name: known.name,
                        county: s.mine.county_code().to_owned(),
                        mine_state: known.state,
                        online: s.online,
                        since: s.since,
                        last_seen: s.last_seen,
                        checked_at: s.checked_at,
                        cameras_online: 0,
                        cameras: 0,
                    });
                }
            }
        }
        out.retain(|m| {
            filter.online.is_none_or(|o| m.online == o)
                && state.is_none_or(|st| m.mine_state.as_deref() == Some(st))
        });
        Ok(out)
    })
    .await
}

/// The network-status table (P8).
pub fn network_table(rows: &[NetworkStatus]) -> Table {
    let time = |t: Option<DateTime<Utc>>| {
        t.map_or(Cell::Empty, |t| {
            Cell::text(format!(
                "{}",
                (t + Duration::hours(8)).format("%Y-%m-%d %H:%M:%S")
            ))
        })
    };
    let columns = MINE_COLUMNS.into_iter().chain([
        Column::new("县", "county"),
        Column::new("矿山状态", "mine state"),
        Column::new("在线状态", "online"),
        Column::new("状态起始(北京时间)", "since, CST"),
        Column::new("最后活动(北京时间)", "last seen, CST"),
        Column::new("在线摄像头", "cameras online"),
        Column::new("摄像头", "cameras"),
    ]);
    Table::new(("联网状态", "Network status"), columns, rows, |m| {
        let mut row = named(m.mine.as_str(), &m.name).to_vec();
        row.extend([
            Cell::text(&m.county),
            Cell::text(m.mine_state.as_deref().map(mine_state_zh).unwrap_or("")),
            Cell::text(if m.online {
                "在线(online)"
            } else {
                "离线(offline)"
            }),
            time(Some(m.since)),
            time(m.last_seen),
            Cell::Int(m.cameras_online.into()),
            Cell::Int(m.cameras.into()),
        ]);
        row
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::db::testing::on_both_backends;
    use crate::supervision::Role;
    use crate::supervision::stats::testing::{create_events, cst, event, mine_config, units};

    const M: &str = "140923000001";
    const N: &str = "140924000001";

    fn mine(s: &str) -> MineCode {
        MineCode::parse(s).unwrap()
    }

    fn cam(s: &str) -> CameraCode {
        CameraCode::parse(s).unwrap()
    }

    /// Minutes after 2021-01-05 10:00 CST.
    fn t(minutes: i64) -> DateTime<Utc> {
        cst("2021-01-05 10:00:00") + Duration::minutes(minutes)
    }

    /// `yyyyMMddHHmmss` of [`t`].
    fn mine_time(minutes: i64) -> String {
        (t(minutes) + Duration::hours(8))
            .format("%Y%m%d%H%M%S")
            .to_string()
    }

    async fn upload(db: &Db, m: &'static str, camera: Option<&'static str>, minutes: i64) {
        let clause = if camera.is_some() { "U1" } else { "U5" };
        db.run(move |c| {
            event(c, clause, m, camera, Some(1), None, &mine_time(minutes));
            Ok(())
        })
        .await
        .unwrap();
    }

    fn probe(m: &str, camera: &str, minutes: i64, ok: bool) -> CameraProbe {
        CameraProbe {
            mine: mine(m),
            camera: cam(camera),
            outcome: ProbeOutcome {
                at: t(minutes),
                ok,
                latency_ms: 5,
                error: (!ok).then(|| "HTTP status 404 Not Found".to_owned()),
            },
        }
    }

    /// The run's transitions as (camera or "mine", online, minutes).
    fn changes(run: &PatrolRun) -> Vec<(String, bool, i64)> {
        run.transitions
            .iter()
            .map(|x| {
                let who = x.camera.map_or("mine".to_owned(), |c| c.to_string());
                (who, x.online, (x.at - t(0)).num_seconds() / 60)
            })
            .collect()
    }

    fn ch(who: &str, online: bool, minutes: i64) -> (String, bool, i64) {
        (who.to_owned(), online, minutes)
    }

    on_both_backends!(
        a_silent_camera_goes_offline_at_the_policys_time_and_back_on_upload,
        flapping_streams_need_two_good_probes_in_a_row,
        camera_less_uploads_keep_the_mine_online,
        stability_figures_over_a_period_are_exact,
        network_status_is_scoped_and_filtered,
    );

    async fn a_silent_camera_goes_offline_at_the_policys_time_and_back_on_upload(db: Db) {
        create_events(&db).await;
        let patrol = Patrol::new(db.clone(), PatrolPolicy::default());
        upload(&db, M, Some("20"), 0).await;
        let run = patrol.run(vec![], t(1)).await.unwrap();
        assert_eq!(changes(&run), [ch("mine", true, 0), ch("20", true, 0)]);
        for m in [5, 10] {
            assert!(
                patrol
                    .run(vec![], t(m))
                    .await
                    .unwrap()
                    .transitions
                    .is_empty()
            );
        }
        // 15 minutes of silence: offline at exactly 10:15, whenever the check runs after it.
        let run = patrol.run(vec![], t(16)).await.unwrap();
        assert_eq!(changes(&run), [ch("mine", false, 15), ch("20", false, 15)]);
        let offline: Vec<&Transition> = run.mines_offline().collect();
        assert_eq!((offline.len(), offline[0].mine), (1, mine(M)));
        assert!(
            patrol
                .run(vec![], t(20))
                .await
                .unwrap()
                .transitions
                .is_empty()
        );
        // The next upload brings it back at the upload's time.
        upload(&db, M, Some("20"), 27).await;
        let run = patrol.run(vec![], t(30)).await.unwrap();
        assert_eq!(changes(&run), [ch("mine", true, 27), ch("20", true, 27)]);
        let s = &run.statuses[0];
        assert_eq!(
            (s.camera, s.online, s.since, s.last_seen),
            (None, true, t(27), Some(t(27)))
        );
        // One row per mine and camera, however many checks.
        let n = db
            .query_one("SELECT COUNT(*) AS n FROM patrol_status", vec![])
            .await
            .unwrap()
            .i64("n")
            .unwrap();
        assert_eq!(n, 2);
        // Back and silent again between two checks: both changes, each at its own time.
        upload(&db, M, Some("20"), 31).await;
        let run = patrol.run(vec![], t(60)).await.unwrap();
        assert_eq!(changes(&run), [ch("mine", false, 46), ch("20", false, 46)]);
        // Back and silent again while the patrol was not looking: both changes of one check.
        upload(&db, M, Some("20"), 70).await;
        let run = patrol.run(vec![], t(100)).await.unwrap();
        let expected = [
            ch("mine", true, 70),
            ch("20", true, 70),
            ch("mine", false, 85),
            ch("20", false, 85),
        ];
        assert_eq!(changes(&run), expected);
        assert!(!run.statuses[0].online);
    }

    async fn flapping_streams_need_two_good_probes_in_a_row(db: Db) {
        create_events(&db).await;
        let patrol = Patrol::new(db.clone(), PatrolPolicy::default());
        let mut seen = Vec::new();
        for (minute, ok) in [
            (0, true),
            (5, true),
            (10, false),
            (15, false),
            (20, false), // 15 min after the last good probe: offline at 10:20
            (25, true),  // one good probe: still offline
            (30, false),
            (35, true),
            (40, true), // two in a row: online at 10:40
        ] {
            let run = patrol
                .run(vec![probe(M, "10", minute, ok)], t(minute))
                .await
                .unwrap();
            seen.extend(changes(&run).into_iter().filter(|c| c.0 == "10"));
        }
        assert_eq!(
            seen,
            [ch("10", true, 0), ch("10", false, 20), ch("10", true, 40)]
        );
    }

    async fn camera_less_uploads_keep_the_mine_online(db: Db) {
        create_events(&db).await;
        let patrol = Patrol::new(db.clone(), PatrolPolicy::default());
        upload(&db, M, Some("30"), 0).await;
        patrol.run(vec![], t(1)).await.unwrap();
        upload(&db, M, None, 10).await; // U5: no camera
        let run = patrol.run(vec![], t(20)).await.unwrap();
        assert_eq!(changes(&run), [ch("30", false, 15)]);
        let mine_row = run.statuses.iter().find(|s| s.camera.is_none()).unwrap();
        assert!(mine_row.online);
        assert_eq!(mine_row.last_seen, Some(t(10)));
    }

    async fn stability_figures_over_a_period_are_exact(db: Db) {
        create_events(&db).await;
        let patrol = Patrol::new(db.clone(), PatrolPolicy::default());
        upload(&db, M, Some("20"), 0).await;
        upload(&db, M, Some("20"), 27).await;
        // Checks every 5 minutes; the uploads at 0 and 27 give online 0-15 and 27-42.
        for m in (0..=60).step_by(5) {
            patrol
                .run(vec![], t(m) + Duration::seconds(1))
                .await
                .unwrap();
        }
        let hour = Period::new(t(0), t(60)).unwrap();
        let s = stability(
            &db,
            &Actor::System,
            &UnitCode::parse(M).unwrap(),
            hour,
            t(60),
        )
        .await
        .unwrap();
        assert_eq!(s.len(), 1);
        let s = &s[0];
        assert_eq!((s.observed_s, s.online_s), (3600, 1800));
        assert_eq!(s.availability, Some(50.0));
        // Outages 10:15-10:27 (12 min) and 10:42-11:00 (18 min, to the period's end).
        assert_eq!((s.outages, s.longest_outage_s), (2, 18 * 60));
        assert_eq!(
            (s.uploads, s.mean_upload_interval_s),
            (2, Some(27.0 * 60.0))
        );
        // A window inside: 10:10-10:30 is online 10:10-10:15 and 10:27-10:30: 8 of 20 minutes.
        let part = Period::new(t(10), t(30)).unwrap();
        let s = stability(
            &db,
            &Actor::System,
            &UnitCode::parse("140923").unwrap(),
            part,
            t(60),
        )
        .await
        .unwrap();
        assert_eq!(s[0].availability, Some(40.0));
        assert_eq!(
            (s[0].outages, s[0].longest_outage_s, s[0].uploads),
            (1, 12 * 60, 1)
        );
        // Clipped at `now`: the figures of a period still running count what has happened.
        let s = stability(
            &db,
            &Actor::System,
            &UnitCode::parse(M).unwrap(),
            hour,
            t(30),
        )
        .await
        .unwrap();
        assert_eq!((s[0].observed_s, s[0].online_s), (1800, 18 * 60));
        let table = stability_table(&s);
        assert_eq!(table.rows[0][2].display(), "60.00");
        let viewer = Actor::user("v", UnitCode::parse("140924").unwrap(), Role::Viewer);
        let e = stability(&db, &viewer, &UnitCode::parse(M).unwrap(), hour, t(60)).await;
        assert!(matches!(e, Err(Error::Forbidden(_))));
    }

    async fn network_status_is_scoped_and_filtered(db: Db) {
        create_events(&db).await;
        db.transaction(|c| {
            units(
                c,
                &[
                    ("000000", "国家"),
                    ("140000", "山西省"),
                    ("140900", "忻州市"),
                ],
            );
            units(c, &[("140923", "代县"), ("140924", "繁峙县"), (M, "甲矿")]);
            mine_config(c, M, "甲矿", "stopped");
            mine_config(c, N, "丙矿", "closing");
            Ok(())
        })
        .await
        .unwrap();
        let patrol = Patrol::new(db.clone(), PatrolPolicy::default());
        upload(&db, M, Some("20"), 0).await;
        upload(&db, M, Some("30"), 0).await;
        // N never uploaded: it is known from its configuration and offline from the first check.
        let run = patrol
            .run(vec![probe(M, "30", 1, false)], t(1))
            .await
            .unwrap();
        assert!(run.mines_offline().any(|x| x.mine == mine(N)));
        let user = |unit: &str| Actor::user("v", UnitCode::parse(unit).unwrap(), Role::Viewer);
        let codes = |rows: &[NetworkStatus]| -> Vec<String> {
            rows.iter().map(|r| r.mine.to_string()).collect()
        };
        let all = network_status(&db, &user("140900"), NetworkFilter::default())
            .await
            .unwrap();
        assert_eq!(codes(&all), [M, N]);
        let m = &all[0];
        assert_eq!((m.name.as_str(), m.county.as_str()), ("甲矿", "140923"));
        assert_eq!((m.online, m.cameras_online, m.cameras), (true, 2, 2));
        assert_eq!(m.mine_state.as_deref(), Some("stopped"));
        // A county reader sees its own mines only; another county is forbidden.
        let a = network_status(&db, &user("140923"), NetworkFilter::default())
            .await
            .unwrap();
        assert_eq!(codes(&a), [M]);
        let other = NetworkFilter {
            region: Some(UnitCode::parse("140924").unwrap()),
            ..NetworkFilter::default()
        };
        let e = network_status(&db, &user("140923"), other.clone())
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Forbidden(_)), "{e}");
        assert_eq!(
            codes(&network_status(&db, &user("140900"), other).await.unwrap()),
            [N]
        );
        // By online state and by mine state (Chinese or id).
        let offline = NetworkFilter {
            online: Some(false),
            ..NetworkFilter::default()
        };
        assert_eq!(
            codes(&network_status(&db, &Actor::System, offline).await.unwrap()),
            [N]
        );
        for state in ["停产", "stopped"] {
            let f = NetworkFilter {
                mine_state: Some(state.to_owned()),
                ..NetworkFilter::default()
            };
            assert_eq!(
                codes(&network_status(&db, &Actor::System, f).await.unwrap()),
                [M]
            );
        }
        let bad = NetworkFilter {
            mine_state: Some("生产".to_owned()),
            ..NetworkFilter::default()
        };
        let e = network_status(&db, &Actor::System, bad)
            .await
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            r#"mine_state: expected 停产, 停建 or 关闭 (stopped, construction_stopped or closing), found "生产""#
        );
        let table = network_table(&all);
        assert_eq!(table.rows[1][3], Cell::text("关闭"));
        assert_eq!(table.rows[1][4], Cell::text("离线(offline)"));
        assert_eq!(table.rows[0][5], Cell::text("2021-01-05 10:00:00"));
    }

    #[test]
    fn policies_that_would_miss_silences_are_refused() {
        let p = PatrolPolicy::builder().build().unwrap();
        assert_eq!(p, PatrolPolicy::default());
        assert_eq!(
            (
                p.offline_after().num_minutes(),
                p.probe_interval().num_minutes()
            ),
            (15, 5)
        );
        let e = PatrolPolicy::builder()
            .offline_after(Duration::minutes(4))
            .build()
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "offline_after: expected at least probe_interval (300 s), or silences go unseen, found 240 s"
        );
        assert!(PatrolPolicy::builder().recover_probes(0).build().is_err());
        assert!(
            PatrolPolicy::builder()
                .probe_timeout(StdDuration::ZERO)
                .build()
                .is_err()
        );
        assert!(
            PatrolPolicy::builder()
                .probe_interval(Duration::zero())
                .build()
                .is_err()
        );
    }

    /// A small real JPEG.
    fn jpeg() -> Vec<u8> {
        let img = image::RgbImage::from_pixel(16, 16, image::Rgb([90, 120, 200]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    /// A local stream server: `/stream` serves one MJPEG part, `/snapshot` a JPEG, `/page` HTML,
    /// `/slow` answers after 2 s, anything else is 404.
    async fn server() -> String {
        use axum::http::header::CONTENT_TYPE;
        use axum::routing::get;
        let frame = jpeg();
        let mut part = b"--frame\r\nContent-Type: image/jpeg\r\n".to_vec();
        part.extend(format!("Content-Length: {}\r\n\r\n", frame.len()).as_bytes());
        part.extend(&frame);
        part.extend(b"\r\n");
        let app = axum::Router::new()
            .route(
                "/stream",
                get(move || async move {
                    (
                        [(CONTENT_TYPE, "multipart/x-mixed-replace; boundary=frame")],
                        part,
                    )
                }),
            )
            .route(
                "/snapshot",
                get(move || async move { ([(CONTENT_TYPE, "image/jpeg")], frame) }),
            )
            .route(
                "/page",
                get(|| async { ([(CONTENT_TYPE, "text/html")], "<html></html>") }),
            )
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(StdDuration::from_secs(2)).await;
                    "late"
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn the_prober_wants_jpeg_frames_from_a_2xx_answer() {
        let base = server().await;
        let client = reqwest::Client::new();
        let timeout = StdDuration::from_millis(500);
        let at = t(0);
        let probe = |path: &'static str| {
            let (client, url) = (client.clone(), format!("{base}{path}"));
            async move { probe_stream(&client, &url, timeout, at).await }
        };
        let ok = probe("/stream").await;
        assert!(ok.ok, "{ok:?}");
        assert_eq!((ok.at, ok.error), (at, None));
        assert!(probe("/snapshot").await.ok);
        let e = probe("/missing").await;
        assert!(!e.ok);
        assert_eq!(e.error.as_deref(), Some("HTTP status 404 Not Found"));
        let e = probe("/page").await.error.unwrap();
        assert!(
            e.starts_with(r#"not an MJPEG stream: content type "text/html""#),
            "{e}"
        );
        let slow = probe("/slow").await;
        assert_eq!(slow.error.as_deref(), Some("no JPEG frame within 500 ms"));
        assert!((500..2000).contains(&slow.latency_ms), "{slow:?}");
        // A closed port.
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/stream", closed.local_addr().unwrap());
        drop(closed);
        let e = probe_stream(&client, &url, timeout, at)
            .await
            .error
            .unwrap();
        assert!(e.starts_with("request failed"), "{e}");
        // Many at once, each named by its camera.
        let targets: Vec<StreamTarget> = [("10", "/stream"), ("20", "/missing")]
            .iter()
            .map(|(c, p)| StreamTarget {
                mine: mine(M),
                camera: cam(c),
                url: format!("{base}{p}"),
            })
            .collect();
        let policy = PatrolPolicy::builder()
            .probe_timeout(timeout)
            .build()
            .unwrap();
        let mut got: Vec<(String, bool)> = probe_streams(&client, &targets, &policy, at)
            .await
            .into_iter()
            .map(|p| (p.camera.to_string(), p.outcome.ok))
            .collect();
        got.sort();
        assert_eq!(got, [("10".to_owned(), true), ("20".to_owned(), false)]);
    }
}
