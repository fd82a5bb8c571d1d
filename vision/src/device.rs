//! The edge device: every camera's analysers, the daily counters, the clip recorders and the
//! spool, behind one `process(camera, frame)` call.
//!
//! Key design decision: **decide, count, persist, spool — in that order, before anything is
//! sent.** When an analyser recognises something, the device takes the day's next number from
//! its counters (U1/U2: cumulative per CST day, reset at 00:00), writes the counters durably,
//! builds the spec-named evidence and pushes it to the durable spool; the uploader
//! ([`crate::upload`]) delivers spooled items later, in order, however long the platform is
//! away. A crash can at worst skip a number; it can never give two pieces of evidence the same
//! number or lose one that was decided. A restarted device re-opens the same counters and spool
//! and carries on. Clips (U3 transport changes, U5 lock events) come from per-camera ring
//! buffers, so they hold the seconds before the event as well as after it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use eseal_protocol::{
    CameraCode, Clause, DailyCount, EvidenceName, Extension, LockCode, LockEventMetadata,
    LockState, MineTime, StreamRegistration, TamperKind, TransportState,
};
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::clock::DeviceClock;
use crate::config::{CameraConfig, DeviceConfig, Site};
use crate::equipment::{BeltAnalyzer, SkipAnalyzer, SkipEvent, TransportChange};
use crate::evidence::Outgoing;
use crate::frame::Frame;
use crate::media::clip::{ClipRecorder, ClipSettings};
use crate::media::jpeg::{self, JpegOptions, Rect};
use crate::people::{Direction, PeopleAnalyzer, Shot};
use crate::spool::{SharedSpool, Spool};
use crate::tamper::TamperAnalyzer;
use crate::trucks::TruckAnalyzer;

/// One day's figures of one camera (E3 "statistics report").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayFigures {
    pub people_down: u32,
    pub people_up: u32,
    pub trucks_out: u32,
    pub trucks_in: u32,
    pub skip_trips: u32,
    pub transport_changes: u32,
    pub tamper_findings: u32,
}

/// One of the figures of [`DayFigures`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    PeopleDown,
    PeopleUp,
    TrucksOut,
    TrucksIn,
    SkipTrips,
    TransportChanges,
    TamperFindings,
}

impl Counter {
    fn field(self, d: &mut DayFigures) -> &mut u32 {
        match self {
            Counter::PeopleDown => &mut d.people_down,
            Counter::PeopleUp => &mut d.people_up,
            Counter::TrucksOut => &mut d.trucks_out,
            Counter::TrucksIn => &mut d.trucks_in,
            Counter::SkipTrips => &mut d.skip_trips,
            Counter::TransportChanges => &mut d.transport_changes,
            Counter::TamperFindings => &mut d.tamper_findings,
        }
    }
}

/// One count the device made, with the instant of the event (the report's figures, event by
/// event: what lets a judge match people coming up, who have no upload, to the truth).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub camera: CameraCode,
    pub counter: Counter,
    pub event_ns: u64,
}

/// The per-day report: `date → camera → figures`, as JSON, with the people counted coming up
/// one by one (`events`): the spec has no upload for them, so this log is what lets a judge
/// check that the day's figure is made of real crossings (docs/external-device.md).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyReport {
    pub mine: String,
    pub days: BTreeMap<NaiveDate, BTreeMap<String, DayFigures>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<CountEvent>,
}

/// One person counted coming up, as the day report lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountEvent {
    pub camera: String,
    /// Always `people_up` today.
    pub counter: String,
    /// The crossing's instant, CST, RFC 3339 with milliseconds.
    pub time: String,
}

/// Durable daily counters (`state_dir/counters.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Counters {
    days: BTreeMap<NaiveDate, BTreeMap<String, DayFigures>>,
}

impl Counters {
    fn load(path: &Path) -> Result<Counters, Error> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                Error::io(
                    format!("reading {}", path.display()),
                    std::io::Error::new(std::io::ErrorKind::InvalidData, e),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Counters::default()),
            Err(e) => Err(Error::io(format!("reading {}", path.display()), e)),
        }
    }

    /// Temp file, fsync, rename, fsync the directory.
    fn save(&self, path: &Path) -> Result<(), Error> {
        use std::io::Write;
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::io("encoding counters", std::io::Error::other(e)))?;
        let what = || format!("writing {}", tmp.display());
        let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io(what(), e))?;
        f.write_all(&text).map_err(|e| Error::io(what(), e))?;
        f.sync_all().map_err(|e| Error::io(what(), e))?;
        std::fs::rename(&tmp, path)
            .map_err(|e| Error::io(format!("renaming to {}", path.display()), e))?;
        if let Some(dir) = path.parent()
            && let Ok(d) = std::fs::File::open(dir)
        {
            d.sync_all()
                .map_err(|e| Error::io(format!("syncing {}", dir.display()), e))?;
        }
        Ok(())
    }

    fn day(&mut self, date: NaiveDate, camera: CameraCode) -> &mut DayFigures {
        self.days
            .entry(date)
            .or_default()
            .entry(camera.to_string())
            .or_default()
    }
}

/// What a camera's clip is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClipTag {
    Transport {
        state: TransportState,
        time: MineTime,
    },
    Lock {
        lock: LockCode,
        state: LockState,
        time: MineTime,
    },
}

#[derive(Debug)]
enum Analysis {
    People(Box<PeopleAnalyzer>),
    Trucks(Box<TruckAnalyzer>),
    Belt(Box<BeltAnalyzer>),
    Skip(Box<SkipAnalyzer>),
    None,
}

#[derive(Debug)]
struct Unit {
    camera: CameraConfig,
    analysis: Analysis,
    tamper: TamperAnalyzer,
    clips: Option<ClipRecorder<ClipTag>>,
    /// CST day of the last frame (skip trips restart at 00:00).
    day: Option<NaiveDate>,
}

/// Something the device decided, for logs and diagnostics (the platform holds the uploads).
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Spool sequence number of the evidence.
    pub seq: u64,
    /// The evidence's label (file name or `stream <camera>`).
    pub label: String,
    /// Presentation time of the event.
    pub event_ns: u64,
    /// Presentation time of the frame on which it was decided.
    pub decided_ns: u64,
    /// For U1/U2 captures: the frame shown and the rectangle drawn.
    pub capture: Option<(u64, [u32; 4])>,
}

/// Misbehaviours the reference device can be told to have, so the judge can be shown to fail a
/// device (issue 5 uses them). All off by default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Drop every n-th person going down (0: none): not counted, nothing uploaded.
    pub drop_every_nth_person: u32,
    /// Never reset the daily counters: every count goes on the first day's counter (U1/U2).
    pub no_midnight_reset: bool,
    /// Name this camera's evidence with that code instead (a misconfigured camera code).
    pub rename_camera: Option<(CameraCode, CameraCode)>,
    /// Swap loaded and empty in U3 names (a state that contradicts the belt).
    pub swap_load_state: bool,
    /// U1/U2 pictures without the rectangle (E4/R4).
    pub no_rectangle: bool,
    /// U3 names in the naming rule's 30-digit form, without the state code (the spec's other
    /// reading: AMBIGUOUS-IN-SPEC, not a failure).
    pub u3_rule_form: bool,
    /// Log every n-th person coming up 30 s after they crossed (0: none): the day's figure stays
    /// right, the event log holds a miss and a phantom (errors that cancel at count level).
    pub phantom_up_every_nth: u32,
}

impl Faults {
    /// The faults switched on, as `key=value` words for a report (empty when none).
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.drop_every_nth_person > 0 {
            out.push(format!(
                "drop_every_nth_person={}",
                self.drop_every_nth_person
            ));
        }
        if self.no_midnight_reset {
            out.push("no_midnight_reset".to_owned());
        }
        if let Some((a, b)) = self.rename_camera {
            out.push(format!("rename_camera={a}->{b}"));
        }
        if self.swap_load_state {
            out.push("swap_load_state".to_owned());
        }
        if self.no_rectangle {
            out.push("no_rectangle".to_owned());
        }
        if self.u3_rule_form {
            out.push("u3_rule_form".to_owned());
        }
        if self.phantom_up_every_nth > 0 {
            out.push(format!(
                "phantom_up_every_nth={}",
                self.phantom_up_every_nth
            ));
        }
        out
    }

    fn camera(&self, c: CameraCode) -> CameraCode {
        match self.rename_camera {
            Some((from, to)) if from == c => to,
            _ => c,
        }
    }
}

/// The reference edge device.
#[derive(Debug)]
pub struct Device {
    config: DeviceConfig,
    clock: DeviceClock,
    units: Vec<Unit>,
    counters: Counters,
    counters_path: PathBuf,
    spool: SharedSpool,
    decisions: Vec<Decision>,
    counts: Vec<Counted>,
    faults: Faults,
    people_seen: u32,
    /// People counted coming up (for [`Faults::phantom_up_every_nth`]).
    ups_seen: u32,
}

/// Clip settings from the analysis configuration.
fn clip_settings(config: &DeviceConfig, clock: &DeviceClock) -> ClipSettings {
    ClipSettings {
        clip_s: config.analysis.clip_s,
        pre_s: config.analysis.clip_pre_s,
        epoch_unix_s: clock.epoch().timestamp(),
        ..ClipSettings::default()
    }
}

impl Device {
    /// Opens the device on its state directory (counters and spool), creating it if needed.
    pub fn open(config: DeviceConfig, clock: DeviceClock) -> Result<Device, Error> {
        config.validate()?;
        std::fs::create_dir_all(&config.state_dir)
            .map_err(|e| Error::io(format!("creating {}", config.state_dir.display()), e))?;
        let counters_path = config.state_dir.join("counters.json");
        let counters = Counters::load(&counters_path)?;
        let spool = Spool::open(config.state_dir.join("spool"))?.shared();
        let lock_cameras: Vec<CameraCode> = config.locks.iter().map(|l| l.camera).collect();
        let mut units = Vec::new();
        for c in &config.cameras {
            let analysis = match c.site {
                Site::ShaftMouth | Site::ReturnAirShaft => {
                    PeopleAnalyzer::with_config(c, &config.analysis.detector)?
                        .map_or(Analysis::None, |a| Analysis::People(Box::new(a)))
                }
                Site::VehicleGate => TruckAnalyzer::with_config(c, &config.analysis.detector)?
                    .map_or(Analysis::None, |a| Analysis::Trucks(Box::new(a))),
                Site::Belt => Analysis::Belt(Box::new(BeltAnalyzer::new(c))),
                Site::SkipHeadframe => Analysis::Skip(Box::new(SkipAnalyzer::new(c))),
            };
            let needs_clips = matches!(c.site, Site::Belt | Site::SkipHeadframe)
                || lock_cameras.contains(&c.code);
            let clips = if needs_clips {
                Some(ClipRecorder::new(
                    clip_settings(&config, &clock),
                    f64::from(c.fps),
                )?)
            } else {
                None
            };
            units.push(Unit {
                camera: c.clone(),
                analysis,
                tamper: TamperAnalyzer::new(c, config.analysis.tamper_interval_s),
                clips,
                day: None,
            });
        }
        Ok(Device {
            config,
            clock,
            units,
            counters,
            counters_path,
            spool,
            decisions: Vec::new(),
            counts: Vec::new(),
            ups_seen: 0,
            faults: Faults::default(),
            people_seen: 0,
        })
    }

    /// Turns on deliberate faults (judge violation cases).
    pub fn with_faults(mut self, faults: Faults) -> Device {
        self.faults = faults;
        self
    }

    /// The spool the uploader drains.
    pub fn spool(&self) -> SharedSpool {
        self.spool.clone()
    }

    /// The configuration.
    pub fn config(&self) -> &DeviceConfig {
        &self.config
    }

    /// The device clock.
    pub fn clock(&self) -> &DeviceClock {
        &self.clock
    }

    /// Everything decided since the device was opened.
    pub fn decisions(&self) -> &[Decision] {
        &self.decisions
    }

    /// Every count made since the device was opened, in order (the daily counters hold the
    /// totals across restarts; this is the event-level view of the same counts).
    pub fn counts(&self) -> &[Counted] {
        &self.counts
    }

    /// The per-day in/out report (E3), all days the counters hold.
    pub fn report(&self) -> DailyReport {
        let days = self.counters.days.clone();
        // This instance's log (a restarted device lists what it counted since), of the report's days.
        let events = self
            .counts
            .iter()
            .filter(|c| {
                c.counter == Counter::PeopleUp && days.contains_key(&self.clock.day(c.event_ns))
            })
            .map(|c| CountEvent {
                camera: c.camera.to_string(),
                counter: "people_up".to_owned(),
                time: self
                    .clock
                    .at(c.event_ns)
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
            })
            .collect();
        DailyReport {
            mine: self.config.mine.to_string(),
            days,
            events,
        }
    }

    fn mine_time(&self, pts_ns: u64) -> Result<MineTime, Error> {
        self.clock.mine_time(pts_ns).ok_or_else(|| {
            Error::Video(format!(
                "presentation time {pts_ns} ns is past the year 9999"
            ))
        })
    }

    fn spool_item(
        &mut self,
        item: Outgoing,
        event_ns: u64,
        decided_ns: u64,
        capture: Option<(u64, [u32; 4])>,
    ) -> Result<u64, Error> {
        let label = item.label();
        let seq = {
            let mut spool = self
                .spool
                .lock()
                .map_err(|_| Error::Video("spool lock poisoned".into()))?;
            spool.push(&item)?
        };
        tracing::info!(seq, %label, "evidence spooled");
        self.decisions.push(Decision {
            seq,
            label,
            event_ns,
            decided_ns,
            capture,
        });
        Ok(seq)
    }

    /// Takes the next number of the day for `camera` and persists it before it is used.
    fn next_count(&mut self, camera: CameraCode, event_ns: u64, f: Counter) -> Result<u32, Error> {
        self.next_count_on(camera, event_ns, event_ns, f)
    }

    /// [`Self::next_count`] on the day of `day_ns` (when the count is taken), logged at `event_ns`.
    fn next_count_on(
        &mut self,
        camera: CameraCode,
        day_ns: u64,
        event_ns: u64,
        f: Counter,
    ) -> Result<u32, Error> {
        let date = if self.faults.no_midnight_reset {
            self.clock.day(0)
        } else {
            self.clock.day(day_ns)
        };
        let n = {
            let v = f.field(self.counters.day(date, camera));
            *v += 1;
            *v
        };
        self.counters.save(&self.counters_path)?;
        let mut logged_ns = event_ns;
        if f == Counter::PeopleUp && self.faults.phantom_up_every_nth > 0 {
            self.ups_seen += 1;
            if self
                .ups_seen
                .is_multiple_of(self.faults.phantom_up_every_nth)
            {
                logged_ns = event_ns.saturating_add(30_000_000_000);
            }
        }
        self.counts.push(Counted {
            camera,
            counter: f,
            event_ns: logged_ns,
        });
        Ok(n)
    }

    fn bump(&mut self, camera: CameraCode, event_ns: u64, f: Counter) -> Result<(), Error> {
        self.next_count(camera, event_ns, f).map(|_| ())
    }

    /// U1 / U2: the day's next number, then the JPEG of the best view with the rectangle drawn
    /// round the person or truck, spooled under its name. `when` is (event, decided).
    ///
    /// The name's time is when the device recognised the crossing (the spec's "当前时间", the
    /// current time), and the number is that instant's day's next: so numbers run in the order
    /// of the names' times even when a person who crossed earlier is recognised later.
    fn capture(
        &mut self,
        clause: Clause,
        camera: CameraCode,
        when: (u64, u64),
        shot: Option<Shot>,
        frame: &Frame,
    ) -> Result<u64, Error> {
        let (event_ns, decided_ns) = when;
        let counter = if clause == Clause::U1 {
            Counter::PeopleDown
        } else {
            Counter::TrucksOut
        };
        let count = self.next_count_on(camera, decided_ns, event_ns, counter)?;
        let (mine, count, time) = (self.config.mine, daily(count)?, self.mine_time(decided_ns)?);
        let camera = self.faults.camera(camera);
        let name = if clause == Clause::U1 {
            EvidenceName::People {
                mine,
                camera,
                count,
                time,
            }
        } else {
            EvidenceName::Truck {
                mine,
                camera,
                count,
                time,
            }
        };
        // Counted but never well seen (should not happen): the current frame.
        let shot = shot.unwrap_or_else(|| Shot {
            frame: frame.clone(),
            bbox: [0; 4],
            quality: 0.0,
        });
        let b = shot.bbox;
        let rect = Rect::new(b[0] as i32, b[1] as i32, b[2] as i32, b[3] as i32);
        let rects: &[Rect] = if self.faults.no_rectangle {
            &[]
        } else {
            &[rect]
        };
        let bytes = jpeg::encode_with_boxes(&shot.frame, rects, &JpegOptions::default())?;
        self.spool_item(
            Outgoing::Ftp { name, bytes },
            event_ns,
            decided_ns,
            Some((shot.frame.pts_ns, shot.bbox)),
        )
    }

    /// Analyses one frame of camera `camera`; returns the spool sequence numbers of the evidence
    /// it produced. Frames of unknown cameras are an error naming the camera.
    pub fn process(&mut self, camera: CameraCode, frame: &Frame) -> Result<Vec<u64>, Error> {
        let Some(ui) = self.units.iter().position(|u| u.camera.code == camera) else {
            return Err(Error::Video(format!(
                "frame of camera {camera}, which is not configured"
            )));
        };
        let mine = self.config.mine;
        let mut out = Vec::new();
        let day = self.clock.day(frame.pts_ns);
        let new_day = self.units[ui].day.is_some_and(|d| d != day);
        self.units[ui].day = Some(day);

        // Clips first, so a clip requested by this frame's event includes this frame.
        let finished = match self.units[ui].clips.as_mut() {
            Some(c) => c.push(frame)?,
            None => Vec::new(),
        };
        for f in finished {
            out.extend(self.clip_done(
                camera,
                f.tag,
                f.event_pts_ns,
                f.clip.map(|c| (c.mp4, c.duration)),
            )?);
        }

        // Tamper (U4), on its own cadence.
        if let Some(finding) = self.units[ui].tamper.push(frame) {
            let kind: TamperKind = finding.kind;
            let time = self.mine_time(finding.pts_ns)?;
            let bytes = jpeg::encode(frame, 85)?;
            self.bump(camera, finding.pts_ns, Counter::TamperFindings)?;
            let name = EvidenceName::Tamper {
                mine,
                camera: self.faults.camera(camera),
                kind,
                time,
            };
            out.push(self.spool_item(
                Outgoing::Ftp { name, bytes },
                finding.pts_ns,
                frame.pts_ns,
                None,
            )?);
        }

        match &mut self.units[ui].analysis {
            Analysis::People(a) => {
                let crossings = a.push(frame);
                for c in crossings {
                    match c.direction {
                        Direction::Up => self.bump(camera, c.crossing_ns, Counter::PeopleUp)?,
                        Direction::Down => {
                            self.people_seen += 1;
                            let n = self.faults.drop_every_nth_person;
                            if n > 0 && self.people_seen.is_multiple_of(n) {
                                tracing::warn!("fault: person dropped");
                                continue;
                            }
                            let when = (c.crossing_ns, c.decided_ns);
                            out.push(self.capture(Clause::U1, camera, when, c.capture, frame)?);
                        }
                    }
                }
            }
            Analysis::Trucks(a) => {
                let crossings = a.push(frame);
                for c in crossings {
                    match c.direction {
                        Direction::Down => self.bump(camera, c.crossing_ns, Counter::TrucksIn)?,
                        Direction::Up => {
                            let when = (c.crossing_ns, c.decided_ns);
                            out.push(self.capture(Clause::U2, camera, when, c.capture, frame)?);
                        }
                    }
                }
            }
            Analysis::Belt(a) => {
                let changes = a.push(frame);
                for ch in changes {
                    self.transport_change(ui, camera, ch)?;
                }
            }
            Analysis::Skip(a) => {
                if new_day {
                    a.new_day();
                }
                let events = a.push(frame);
                for e in events {
                    match e {
                        SkipEvent::Transport(ch) => self.transport_change(ui, camera, ch)?,
                        SkipEvent::Trip { pts_ns, .. } => {
                            self.bump(camera, pts_ns, Counter::SkipTrips)?
                        }
                    }
                }
            }
            Analysis::None => {}
        }
        Ok(out)
    }

    /// U3: a clip for every start and every loaded↔empty change while running; a stop gets a
    /// clip too (state 00 of the reference profile), so the platform sees the equipment at rest.
    fn transport_change(
        &mut self,
        ui: usize,
        camera: CameraCode,
        ch: TransportChange,
    ) -> Result<(), Error> {
        let time = self.mine_time(ch.pts_ns)?;
        self.bump(camera, ch.pts_ns, Counter::TransportChanges)?;
        if let Some(clips) = self.units[ui].clips.as_mut() {
            clips.request(
                ch.pts_ns,
                ClipTag::Transport {
                    state: ch.state,
                    time,
                },
            );
        }
        Ok(())
    }

    fn clip_done(
        &mut self,
        camera: CameraCode,
        tag: ClipTag,
        event_ns: u64,
        clip: Result<(Vec<u8>, std::time::Duration), Error>,
    ) -> Result<Option<u64>, Error> {
        let (mp4, duration) = match clip {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(%camera, error = %e, "clip could not be made; event kept in the log only");
                return Ok(None);
            }
        };
        let mine = self.config.mine;
        let item = match tag {
            ClipTag::Transport { state, time } => {
                let state = match state {
                    TransportState::RunningLoaded if self.faults.swap_load_state => {
                        TransportState::RunningEmpty
                    }
                    TransportState::RunningEmpty if self.faults.swap_load_state => {
                        TransportState::RunningLoaded
                    }
                    s => s,
                };
                let state = (!self.faults.u3_rule_form).then_some(state);
                let camera = self.faults.camera(camera);
                Outgoing::Ftp {
                    name: EvidenceName::Transport {
                        mine,
                        camera,
                        state,
                        time,
                    },
                    bytes: mp4,
                }
            }
            ClipTag::Lock { lock, state, time } => {
                let name = EvidenceName::Lock {
                    mine,
                    lock,
                    state,
                    time,
                    ext: Extension::Mp4,
                };
                Outgoing::Lock {
                    metadata: LockEventMetadata {
                        mine_code: mine,
                        lock_code: lock,
                        lock_state: state,
                        time,
                        file_name: name.to_string(),
                        duration_s: Some(duration.as_secs_f64()),
                        device_id: Some(self.config.device_id.clone()),
                        description: Some(lock_text(lock, state)),
                    },
                    video: mp4,
                }
            }
        };
        let decided = event_ns;
        self.spool_item(item, event_ns, decided, None).map(Some)
    }

    /// U5: an e-lock wired to the box reports moved / damaged at `pts_ns`; its 10-second clip
    /// comes from the lock's camera (configured in `locks`).
    pub fn lock_signal(
        &mut self,
        lock: LockCode,
        state: LockState,
        pts_ns: u64,
    ) -> Result<(), Error> {
        let Some(cfg) = self.config.locks.iter().find(|l| l.code == lock) else {
            return Err(Error::Video(format!(
                "lock {lock} is not configured (locks[].code)"
            )));
        };
        let camera = cfg.camera;
        let time = self.mine_time(pts_ns)?;
        let Some(unit) = self.units.iter_mut().find(|u| u.camera.code == camera) else {
            return Err(Error::Video(format!(
                "lock {lock}: camera {camera} is not configured"
            )));
        };
        match unit.clips.as_mut() {
            Some(c) => c.request(pts_ns, ClipTag::Lock { lock, state, time }),
            None => return Err(Error::Video(format!("camera {camera} keeps no clips"))),
        }
        Ok(())
    }

    /// U6: registers (or re-registers, after a change) a camera's live-stream address.
    pub fn register_stream(
        &mut self,
        camera: CameraCode,
        url: &str,
        at_ns: u64,
    ) -> Result<u64, Error> {
        let registration = StreamRegistration {
            mine_code: self.config.mine,
            camera_code: camera,
            url: url.to_owned(),
            codec: Some("mjpeg".to_owned()),
        };
        registration
            .validate()
            .map_err(|e| Error::Video(format!("stream address of camera {camera}: {e}")))?;
        self.spool_item(Outgoing::Stream { registration }, at_ns, at_ns, None)
    }

    /// End of the input: finishes pending clips with what there is.
    pub fn finish(&mut self) -> Result<Vec<u64>, Error> {
        let mut out = Vec::new();
        for ui in 0..self.units.len() {
            let camera = self.units[ui].camera.code;
            let finished = match self.units[ui].clips.as_mut() {
                Some(c) => c.flush(),
                None => Vec::new(),
            };
            for f in finished {
                out.extend(self.clip_done(
                    camera,
                    f.tag,
                    f.event_pts_ns,
                    f.clip.map(|c| (c.mp4, c.duration)),
                )?);
            }
        }
        Ok(out)
    }
}

fn daily(n: u32) -> Result<DailyCount, Error> {
    DailyCount::new(n.min(9999) as u16).map_err(|e| Error::Video(format!("daily count {n}: {e}")))
}

fn lock_text(lock: LockCode, state: LockState) -> String {
    let what = match lock.get() / 10 {
        1 => "提升机",
        2 => "皮带",
        3 => "绞车",
        4 => "矿车",
        5 => "箕斗",
        _ => "设备",
    };
    let how = match state {
        LockState::Damaged => "被破坏",
        LockState::Moved => "被挪动",
    };
    format!("{what}电子锁{how} (lock {lock} {state})")
}
