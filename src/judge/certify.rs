//! A certification run of the reference device (issue 5, deliver 5): every case run in process
//! at virtual time through the device into a reference platform, judged, its evidence kept.
//!
//! Key design decision: **the judge turns a run into an [`Observed`] before it judges.** The
//! in-process run hands over far more than a vendor's box ever would (decisions, truth boxes);
//! [`observe`] keeps only what any device delivers — the platform's accepted files with their
//! virtual arrival, its refusals, the registered streams as probed, the day report and the count
//! log — and [`checks::judge`] sees nothing else. The capture check's frame truth comes from the
//! judge's own second pass over the simulation ([`super::capture_pass`]), not from the run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};
use eseal_simulator::Scenario;
use eseal_simulator::scenario::{PersonDirection, TruckDirection};
use eseal_simulator::scene::SiteKind;
use eseal_simulator::truth::EventKind;
use eseal_vision::config::DetectorConfig;
use eseal_vision::device::{Counter, Faults};
use sha2::{Digest, Sha256};

use super::alarm_closure::Limits;
use super::checks::{self, ClipSeen, MatchingExport, Observed, Options, Upload};
use super::mp4;
use super::verdict::{
    CertificationReport, CountSeries, DeviceIdentity, EvidenceFile, SCHEMA, ScenarioReport, Timing,
    Verdict,
};
use crate::edge::run::{RunOptions, RunResult, run_in_process};

/// One case: a scenario and how the reference device is set up for it.
#[derive(Debug, Clone)]
pub struct Case {
    /// The case's name (the scenario's, or the violation case's file stem).
    pub name: String,
    /// The file it came from, as given.
    pub file: String,
    pub scenario: Scenario,
    pub faults: Faults,
    /// See [`RunOptions::upload_batch_s`].
    pub upload_batch_s: Option<f64>,
    /// See [`RunOptions::clip_s`].
    pub clip_s: Option<f64>,
    /// A platform fault: alarms never pushed (see [`RunOptions::platform_push_disabled`]).
    pub platform_push_disabled: bool,
    /// See [`RunOptions::clock_offset_s`].
    pub clock_offset_s: Option<f64>,
    /// See [`RunOptions::upload_hold_s`].
    pub upload_hold_s: Option<f64>,
}

/// The numbers the judge files for every case's mine before the run (P9, P10): two duty staff
/// may go down a day under 一停四不停 and one truck may leave, so the third person and the
/// second truck of a day must alarm — and the first ones must not.
pub const ALARM_LIMITS: Limits = Limits {
    people: 2,
    trucks: 1,
};

impl Case {
    /// A conformant case of `scenario` (no fault).
    pub fn conformant(scenario: Scenario) -> Case {
        Case {
            name: checks::scenario_name(&scenario),
            file: scenario.file.clone(),
            scenario,
            faults: Faults::default(),
            upload_batch_s: None,
            clip_s: None,
            platform_push_disabled: false,
            clock_offset_s: None,
            upload_hold_s: None,
        }
    }

    /// Fault words for the report.
    pub fn fault_words(&self) -> Vec<String> {
        let mut f = self.faults.describe();
        if let Some(b) = self.upload_batch_s {
            f.push(format!("upload_batch_s={b}"));
        }
        if let Some(c) = self.clip_s {
            f.push(format!("clip_s={c}"));
        }
        if self.platform_push_disabled {
            f.push("platform_push_disabled".to_owned());
        }
        if let Some(s) = self.clock_offset_s {
            f.push(format!("clock_offset_s={s}"));
        }
        if let Some(s) = self.upload_hold_s {
            f.push(format!("upload_hold_s={s}"));
        }
        f
    }
}

/// How to judge.
#[derive(Debug, Clone)]
pub struct CertifyOptions {
    pub judge: Options,
    /// Where `evidence/<case>/<file>` are written (nothing is written when `None`).
    pub out_dir: Option<PathBuf>,
    /// Cases run at once.
    pub jobs: usize,
    /// The reference device's person detector (default: the device configuration's default).
    pub detector: Option<DetectorConfig>,
    /// How the report names that detector (e.g. the model file and its SHA-256).
    pub detector_name: Option<String>,
}

impl Default for CertifyOptions {
    fn default() -> Self {
        CertifyOptions {
            judge: Options {
                window: super::matching::Window::default(),
                tamper_interval_s: 5.0,
            },
            out_dir: None,
            jobs: 1,
            detector: None,
            detector_name: None,
        }
    }
}

/// One judged case.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    pub report: ScenarioReport,
    pub timing: Timing,
    /// Fault words of the case.
    pub faults: Vec<String>,
    /// The event-level matchings behind the report (`--export-matching`).
    pub exports: Vec<MatchingExport>,
}

/// What the judge keeps of a run: only what any device delivers (see the module note).
pub fn observe(run: &RunResult) -> Observed {
    // Arrival on the virtual clock, the spool's drain after the last frame included; an upload
    // whose arrival was not seen has none (R2.latency is then INCONCLUSIVE, never passed).
    let uploads = run
        .uploads
        .iter()
        .map(|u| Upload {
            name: u.name.clone(),
            bytes: u.bytes.clone(),
            arrived_s: u.arrived_ns.map(|n| n as f64 / 1e9),
        })
        .collect::<Vec<_>>();
    let clips = uploads
        .iter()
        .filter(|u| u.name.ends_with(".mp4"))
        .map(|u| {
            let probe = mp4::probe(&u.bytes)
                .map(|p| ClipSeen {
                    duration_s: p.duration_s,
                    h264: p.is_h264(),
                    width: p.width,
                    height: p.height,
                })
                .map_err(|e| e.to_string());
            (u.name.clone(), probe)
        })
        .collect();
    // Read through its JSON, exactly as an external device's report is read.
    let day_report = serde_json::to_value(&run.report)
        .ok()
        .and_then(|v| checks::parse_day_report(&v).ok());
    let counted_up = run
        .counts
        .iter()
        .filter(|c| c.counter == Counter::PeopleUp)
        .map(|c| (c.camera.to_string(), c.event_ns as f64 / 1e9))
        .collect();
    Observed {
        uploads,
        refused: run.violations.clone(),
        streams: run.stream_probes.clone(),
        day_report,
        day_report_error: None,
        counted_up: Some(counted_up),
        captures: BTreeMap::new(),
        clips,
        judge_stream_prefixes: Vec::new(),
        closure: run.closure.clone(),
    }
}

/// Plots: true and reported event times of people going down and trucks leaving.
fn series(
    scenario: &Scenario,
    truth: &[eseal_simulator::truth::Event],
    seen: &Observed,
) -> Vec<CountSeries> {
    let mut out = Vec::new();
    let reported = |prefix: &str| -> Vec<f64> {
        let mut v: Vec<f64> = seen
            .uploads
            .iter()
            .filter(|u| u.name.starts_with(prefix))
            .filter_map(|u| eseal_protocol::EvidenceName::parse(&u.name).ok())
            .map(|p| (p.name.time().to_cst() - scenario.start).num_milliseconds() as f64 / 1000.0)
            .collect();
        v.sort_by(f64::total_cmp);
        v
    };
    for cam in &scenario.cameras {
        let code = cam.code.to_string();
        let prefix = format!("{}{code}", scenario.mine.code);
        let of = |want: &dyn Fn(&EventKind) -> bool| -> Vec<f64> {
            truth
                .iter()
                .filter(|e| e.camera == Some(cam.code) && want(&e.kind))
                .map(|e| e.t_ns as f64 / 1e9)
                .collect()
        };
        if cam.edge.is_some() && matches!(cam.site, SiteKind::ShaftMouth | SiteKind::ReturnAirShaft)
        {
            out.push(CountSeries {
                what: format!("入井人数 people down, camera {code}"),
                truth_s: of(&|k| {
                    matches!(
                        k,
                        EventKind::Crossing {
                            direction: PersonDirection::Down,
                            ..
                        }
                    )
                }),
                reported_s: reported(&format!("{prefix}01")),
            });
        }
        if cam.site == SiteKind::VehicleGate {
            out.push(CountSeries {
                what: format!("出矿车辆 trucks out, camera {code}"),
                truth_s: of(&|k| {
                    matches!(
                        k,
                        EventKind::Truck {
                            direction: TruckDirection::Out,
                            ..
                        }
                    )
                }),
                reported_s: reported(&format!("{prefix}02")),
            });
        }
    }
    out
}

/// Runs and judges one case.
pub fn judge_case(case: &Case, opts: &CertifyOptions) -> Result<CaseOutcome> {
    let run_opts = RunOptions {
        tamper_interval_s: Some(opts.judge.tamper_interval_s),
        faults: case.faults.clone(),
        upload_batch_s: case.upload_batch_s,
        clip_s: case.clip_s,
        closure: Some(ALARM_LIMITS),
        platform_push_disabled: case.platform_push_disabled,
        clock_offset_s: case.clock_offset_s,
        upload_hold_s: case.upload_hold_s,
        detector: opts.detector.clone(),
        ..RunOptions::default()
    };
    let run = run_in_process(&case.scenario, &run_opts)
        .with_context(|| format!("running {}", case.file))?;
    let mut seen = observe(&run);
    let (report, exports) = scenario_report(case, &run.truth, &mut seen, opts)?;
    let wall_s = run.wall.as_secs_f64();
    let timing = Timing {
        scenario: case.name.clone(),
        frames: run.frames,
        wall_s,
        scenario_s: run.scenario_s,
        speedup: run.scenario_s / wall_s.max(1e-9),
    };
    Ok(CaseOutcome {
        report,
        timing,
        faults: case.fault_words(),
        exports,
    })
}

/// Judges what was seen of a case's run (any device): locates the captures, runs the checks,
/// keeps the evidence (written under `opts.out_dir` when set) and builds the scenario's report,
/// with the event-level matchings behind it.
pub fn scenario_report(
    case: &Case,
    truth: &[eseal_simulator::truth::Event],
    seen: &mut Observed,
    opts: &CertifyOptions,
) -> Result<(ScenarioReport, Vec<MatchingExport>)> {
    seen.captures = super::capture_pass::locate(&case.scenario, &seen.uploads, opts.judge.window)
        .with_context(|| format!("examining the captures of {}", case.file))?;
    let judged = checks::judge(&case.scenario, truth, seen, &opts.judge);
    let mut checks = judged.checks;
    // Evidence paths are per case.
    let dir = format!("evidence/{}", case.name);
    for c in &mut checks {
        for e in &mut c.evidence {
            if let Some(file) = e.rsplit('/').next() {
                *e = format!("{dir}/{file}");
            }
        }
    }
    let mut evidence = Vec::new();
    for u in &seen.uploads {
        let sha = hex::encode(Sha256::digest(&u.bytes));
        let path = format!("{dir}/{}", u.name);
        if let Some(out) = &opts.out_dir {
            write_file(&out.join(&path), &u.bytes)?;
        }
        evidence.push(EvidenceFile {
            name: u.name.clone(),
            path,
            sha256: sha,
            bytes: u.bytes.len() as u64,
        });
    }
    let report = ScenarioReport {
        scenario: case.name.clone(),
        file: case.file.clone(),
        seed: case.scenario.seed,
        mine: case.scenario.mine.code.to_string(),
        start: case.scenario.start.to_rfc3339(),
        duration_s: case.scenario.duration_ns as f64 / 1e9,
        verdict: Verdict::combine(checks.iter().map(|c| c.verdict)),
        series: series(&case.scenario, truth, seen),
        checks,
        evidence,
        delays: judged.delays,
    };
    Ok((report, judged.exports))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// Runs every case (`opts.jobs` at once), calling `progress(done, total, name)` as each ends.
/// Outcomes come back in the order of `cases`, whatever order they finished in.
pub fn run_cases(
    cases: &[Case],
    opts: &CertifyOptions,
    progress: &(dyn Fn(usize, usize, &str) + Sync),
) -> Result<Vec<CaseOutcome>> {
    let next = Mutex::new(0usize);
    let done = Mutex::new(0usize);
    let results: Mutex<Vec<Option<Result<CaseOutcome>>>> =
        Mutex::new((0..cases.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.clamp(1, cases.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap_or_else(|e| e.into_inner());
                        let i = *n;
                        *n += 1;
                        i
                    };
                    let Some(case) = cases.get(i) else { break };
                    let r = judge_case(case, opts);
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                    let d = {
                        let mut d = done.lock().unwrap_or_else(|e| e.into_inner());
                        *d += 1;
                        *d
                    };
                    progress(d, cases.len(), &case.name);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(anyhow::anyhow!("a case was not run"))))
        .collect()
}

/// The certification report of judged cases of one device.
pub fn certification(outcomes: &[CaseOutcome], opts: &CertifyOptions) -> CertificationReport {
    let faults: Vec<String> = {
        let mut f: Vec<String> = outcomes
            .iter()
            .flat_map(|o| o.faults.iter().cloned())
            .collect();
        f.sort();
        f.dedup();
        f
    };
    let mut report = CertificationReport {
        schema: SCHEMA.to_owned(),
        tool: "eseal".to_owned(),
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        device: DeviceIdentity {
            kind: "reference".to_owned(),
            name: "eseal reference edge device 参考前置分析设备".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            faults,
            detector: opts.detector_name.clone(),
        },
        skew_s: opts.judge.window.skew_s,
        latency_s: opts.judge.window.latency_s,
        verdict: Verdict::NotApplicable,
        must_supply: Vec::new(),
        scenarios: outcomes.iter().map(|o| o.report.clone()).collect(),
    };
    report.settle();
    report
}
