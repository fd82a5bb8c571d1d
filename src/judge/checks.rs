//! The checks, clause by clause (issue 5, deliver 2): from the scenario's ground truth and what
//! a device delivered ([`Observed`]), one [`Check`] per clause, camera and direction.
//!
//! Key design decision: **the judge reads only what any device delivers.** Uploads as the
//! platform accepted them (name, bytes, virtual arrival time), what the platform refused, the
//! registered stream addresses and what they served, the device's own day report (E3
//! "statistics report") and, where the device exposes one, its event-level count log. It never
//! looks at the reference device's internal decisions, so a vendor's box is judged by exactly
//! the same code.
//!
//! Rules, stated so the figures can be checked by hand:
//! - Matching (R2): [`super::matching`], per camera and kind (and state or lock where there is
//!   one), on the name's CST second.
//! - Tamper windows: while a camera is covered or turned (truth interval ± 1 s) it cannot see;
//!   they are don't-care regions for E3/E4/E5, as in MOT benchmarks. A true event inside a window
//!   leaves the score together with the reports that belong to it (its nearest admitted true
//!   event: best rectangle fit, then time); a true event outside keeps its reports wherever their
//!   second falls; a report that belongs to no true event leaves the score when its name second
//!   `[t, t + 1)` touches a window. U4 is what the device owes then.
//! - E3 count-level accuracy is `1 − |reported − true| / true` per camera, direction and day,
//!   the reported figure being the device's own daily counter (the last U1 count of the day for
//!   people down, the day report for people up); the check's value is the worst day. Event-level
//!   precision, recall and F1 come from the matching; F1 is held to the same 90 % floor.
//! - E4 capture rate: true people going down whose matched U1 carries a drawn rectangle with
//!   IoU ≥ 0.5 against that person's full or visible truth box (R4) in the frame the JPEG shows.
//! - E5, E2: trucks leaving and transport state changes with the same rules as E3's events (E5
//!   held to E3's floor; E2/U3 must report every change: recall and precision 1).
//! - U1/U2 counters: per camera and CST day, counts run 0001, 0002, … in time order; a day
//!   starting above 0001 is a missed midnight reset.
//! - Protocol: every name parses, carries the scenario's mine code and one of its camera codes
//!   of the right kind, and arrived within `skew + latency` of its time; nothing was refused;
//!   nothing arrived twice.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use eseal_protocol::{AnalysisType, Clause, EvidenceName};
use eseal_simulator::Scenario;
use eseal_simulator::render::BoxPx;
use eseal_simulator::scenario::{PersonDirection, TruckDirection};
use eseal_simulator::scene::SiteKind;
use eseal_simulator::truth::{Event, EventKind};

use super::capture::{corners, iou};
use super::matching::{EventLevel, Window, match_all, match_times_by};
use super::verdict::{Check, Verdict};

/// The spec's floors (E3, E4).
pub const COUNT_FLOOR: f64 = 0.90;
pub const CAPTURE_FLOOR: f64 = 0.95;
/// R4: the drawn rectangle must overlap the truth this much.
pub const IOU_FLOOR: f64 = 0.5;
/// R3: clip length accepted, seconds.
pub const CLIP_RANGE_S: (f64, f64) = (9.5, 10.5);

/// One accepted upload.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
    /// Virtual (or wall) arrival, seconds from the scenario start, when known.
    pub arrived_s: Option<f64>,
}

/// Where a U1/U2 JPEG's drawn rectangle was found, and the truth of that frame.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureFound {
    /// The frame the picture shows, ns from the start.
    pub pts_ns: u64,
    /// The drawn rectangle `[x0, y0, x1, y1)`.
    pub rect: [u32; 4],
    /// Truth objects of that frame: (actor id, full box, visible box).
    pub objects: Vec<(u32, Option<BoxPx>, Option<BoxPx>)>,
}

/// A registered stream address and what it served (U6), as the run's probe saw it.
pub use crate::edge::run::StreamProbe as StreamSeen;

/// A U3/U5 clip as probed.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipSeen {
    pub duration_s: f64,
    pub h264: bool,
    pub width: u32,
    pub height: u32,
}

/// Everything the judge knows of a device's run.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub uploads: Vec<Upload>,
    /// Uploads the platform refused: (name, reason).
    pub refused: Vec<(String, String)>,
    pub streams: Vec<StreamSeen>,
    /// The device's day report: date → camera → (people down, people up, trucks out).
    pub day_report: Option<DayReport>,
    /// The device's event-level count of people coming up, (camera, seconds from the start),
    /// where the device exposes one (the spec has no upload for people coming up).
    pub counted_up: Option<Vec<(String, f64)>>,
    /// Per U1/U2 name: where its rectangle is, or why it could not be found.
    pub captures: BTreeMap<String, Result<CaptureFound, String>>,
    /// Per U3/U5 name: the probed clip, or why it could not be probed.
    pub clips: BTreeMap<String, Result<ClipSeen, String>>,
    /// The platform's alarm handling as the judge drove it (P4), when observed.
    pub closure: Option<super::closure::ClosureRun>,
}

/// A day's figures of one camera in the device's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DayCounts {
    pub people_down: u32,
    pub people_up: u32,
    pub trucks_out: u32,
}

/// A device's day report as the judge reads it: date → camera → figures.
pub type DayReport = BTreeMap<NaiveDate, BTreeMap<String, DayCounts>>;

/// Reads a day report, `{"days": {"YYYY-MM-DD": {"<camera>": {"people_down": n, "people_up": n,
/// "trucks_out": n, ...}}}}` (the reference device's `/report.json`); a figure left out counts 0,
/// other keys are ignored, so a vendor's richer report reads too.
pub fn parse_day_report(v: &serde_json::Value) -> anyhow::Result<DayReport> {
    use anyhow::Context as _;
    let mut out = BTreeMap::new();
    let days = v
        .get("days")
        .and_then(|d| d.as_object())
        .context("the report has no \"days\" object")?;
    for (day, cams) in days {
        let date: NaiveDate = day
            .parse()
            .with_context(|| format!("days.{day}: expected a date YYYY-MM-DD"))?;
        let mut per = BTreeMap::new();
        for (cam, f) in cams.as_object().into_iter().flatten() {
            let n = |k: &str| {
                f.get(k)
                    .and_then(serde_json::Value::as_u64)
                    .map_or(0, |x| x.min(u64::from(u32::MAX)) as u32)
            };
            per.insert(
                cam.clone(),
                DayCounts {
                    people_down: n("people_down"),
                    people_up: n("people_up"),
                    trucks_out: n("trucks_out"),
                },
            );
        }
        out.insert(date, per);
    }
    Ok(out)
}

/// Judge options.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub window: Window,
    /// The tamper check cadence the device was configured with, seconds (U4: hourly).
    pub tamper_interval_s: f64,
}

struct Req {
    clause: &'static str,
    zh: &'static str,
    en: &'static str,
    text: &'static str,
}

const E3: Req = Req {
    clause: "E3",
    zh: "人员双向计数",
    en: "People counted both ways",
    text: "Count pedestrians in both directions; counting accuracy ≥ 90 %.",
};
const E4: Req = Req {
    clause: "E4",
    zh: "人员抓拍",
    en: "Capture of people going down",
    text: "Person detection, tracking and snapshot capture; capture rate ≥ 95 %; the rectangle must overlap the true person (R4: IoU ≥ 0.5).",
};
const E5: Req = Req {
    clause: "E5",
    zh: "货运车辆识别计数",
    en: "Trucks recognised and counted",
    text: "Truck recognition and counting; each truck leaving gives one U2 JPEG at once (reference profile: held to E3's 90 % floor).",
};
const E2: Req = Req {
    clause: "E2",
    zh: "运输设备状态",
    en: "Belt and skip state",
    text: "Recognise the working state of belts and skips; each start and each loaded↔empty change while running gives one U3 10-second MP4 at once.",
};
const U1: Req = Req {
    clause: "U1",
    zh: "入井人员日累计编号",
    en: "Daily people counter in U1 names",
    text: "The 4-digit count is cumulative for the day (00:00:00–23:59:59 CST) and reset to zero each day.",
};
const U2: Req = Req {
    clause: "U2",
    zh: "车辆日累计编号",
    en: "Daily truck counter in U2 names",
    text: "The 4-digit count is cumulative for the day (00:00:00–23:59:59 CST) and reset to zero each day.",
};
const U3: Req = Req {
    clause: "U3",
    zh: "运输状态视频",
    en: "Transport state clips",
    text: "One 10-second MP4 per state change (R3: 9.5–10.5 s), H.264.",
};
const U3_FORM: Req = Req {
    clause: "U3",
    zh: "运输状态文件名形式",
    en: "Transport state name form",
    text: "The naming rule gives 30 digits, the spec's example 32 (a state code after the type): ambiguous in spec.",
};
const U4: Req = Req {
    clause: "U4",
    zh: "遮挡与角度挪动",
    en: "Camera occluded or moved",
    text: "Checked once per hour; each camera found occluded (04) or moved (05) gives one JPEG at once.",
};
const U5: Req = Req {
    clause: "U5",
    zh: "电子锁事件",
    en: "E-lock events",
    text: "Each time a lock is moved or damaged, one 10-second H.264 MP4 by HTTPS POST at once.",
};
const U5_EXT: Req = Req {
    clause: "U5",
    zh: "电子锁文件扩展名",
    en: "E-lock file extension",
    text: "The table says .jpg, the example .mp4: ambiguous in spec.",
};
const U6: Req = Req {
    clause: "U6",
    zh: "实时视频流地址",
    en: "Live stream addresses",
    text: "For every camera an mjpeg-streamer style HTTP URL of its live stream is registered, and registered again whenever it changes.",
};
const U8: Req = Req {
    clause: "U8",
    zh: "规范空白",
    en: "Spec gaps",
    text: "No camera code for the return-air shaft; no rule for retries, duplicates or late uploads: surfaced, not guessed.",
};
const NAMES: Req = Req {
    clause: "U1-U5",
    zh: "文件名与编码",
    en: "File names and codes",
    text: "Digits only, then the extension; mine code of the mine, camera code of the camera of that kind (main shaft 10, auxiliary 20, gate 30), analysis type of the clause.",
};
const TIMING: Req = Req {
    clause: "R2",
    zh: "上传及时性",
    en: "Uploads at once",
    text: "Uploaded at once: arrived within the clock skew plus the latency bound after the time in the name (R2).",
};
const DELIVERY: Req = Req {
    clause: "U7",
    zh: "上传被接收",
    en: "Uploads accepted, once each",
    text: "Every upload is accepted by the platform; nothing arrives twice.",
};
const CONTENT: Req = Req {
    clause: "U1-U5",
    zh: "文件内容",
    en: "File content",
    text: "A .jpg is a JPEG of the camera's picture; an .mp4 an MP4 clip.",
};

/// Builds checks with less noise.
struct Out {
    checks: Vec<Check>,
}

impl Out {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        req: &Req,
        id: String,
        verdict: Verdict,
        expected: String,
        actual: String,
        value: Option<f64>,
        bar: Option<f64>,
        unit: &str,
        findings: Vec<String>,
        evidence: Vec<String>,
    ) {
        self.checks.push(Check {
            id,
            clause: req.clause.to_owned(),
            title_zh: req.zh.to_owned(),
            title_en: req.en.to_owned(),
            requirement: req.text.to_owned(),
            verdict,
            expected,
            actual,
            value: value.map(round6),
            bar,
            unit: unit.to_owned(),
            evidence,
            findings,
        });
    }
}

/// Figures in the JSON are rounded so they print the same on every machine.
fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn pass_if(ok: bool) -> Verdict {
    if ok { Verdict::Pass } else { Verdict::Fail }
}

/// `1 − |reported − true| / true` (1 when both are 0, 0 when only truth is 0), at least 0.
pub fn count_accuracy(reported: u32, truth: u32) -> f64 {
    if truth == 0 {
        return if reported == 0 { 1.0 } else { 0.0 };
    }
    (1.0 - (f64::from(reported) - f64::from(truth)).abs() / f64::from(truth)).max(0.0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn loopback_ports_are_redacted_and_other_addresses_kept() {
        assert_eq!(
            stable_url("http://127.0.0.1:33117/cam/10?action=stream"),
            "http://127.0.0.1:<port>/cam/10?action=stream"
        );
        assert_eq!(
            stable_url("http://10.1.2.3:8080/cam/10"),
            "http://10.1.2.3:8080/cam/10"
        );
    }

    #[test]
    fn tamper_windows_are_dont_care_regions() {
        // Frozen from 85 s to 105 s: true events in [84, 106] leave the score.
        let w = [TamperWindow {
            start_s: 85.0,
            end_s: 105.0,
            analysis: "04".into(),
        }];
        let truth = [80.0, 95.0, 106.74];
        // 80.0 reported at 80; 95 at 96 (inside); 106.74 reported at second 106, which touches
        // the window but belongs to the event outside it; a phantom at 90 and one at 130.
        let reported = [80.0, 96.0, 106.0, 90.0, 130.0];
        let (t, r) = dont_care(&w, Window::default(), &truth, &reported, &|_, _| 0.0);
        assert_eq!(t, [true, false, true]);
        // 90 is admitted for 80 (10 s latency) but 95 is nearer: it belongs to the frozen one.
        assert_eq!(r, [true, false, true, false, true]);
        // A report owned by nobody is dropped only when its second touches a window.
        let (_, r) = dont_care(
            &w,
            Window::default(),
            &[],
            &[83.5, 82.9, 106.0, 107.0],
            &|_, _| 0.0,
        );
        assert_eq!(r, [false, true, false, true]);
        // The misfit picks the owner before time does.
        let truth = [100.0, 106.74];
        assert_eq!(
            dont_care(&w, Window::default(), &truth, &[103.0], &|_, _| 0.0).1,
            [false]
        );
        assert_eq!(
            dont_care(&w, Window::default(), &truth, &[103.0], &|i, _| if i == 1 {
                0.0
            } else {
                1.0
            })
            .1,
            [true]
        );
    }

    #[test]
    fn count_accuracy_is_one_minus_the_relative_error() {
        assert_eq!(count_accuracy(9, 10), 0.9);
        assert_eq!(count_accuracy(11, 10), 0.9);
        assert_eq!(count_accuracy(30, 10), 0.0);
        assert_eq!(count_accuracy(0, 0), 1.0);
        assert_eq!(count_accuracy(1, 0), 0.0);
    }
}

fn pct(v: f64) -> String {
    format!("{:.1} %", v * 100.0)
}

/// Event-level F1 against the floor; not applicable when nothing happened and nothing was
/// reported.
fn events_verdict(e: &EventLevel) -> Verdict {
    if e.truth == 0 && e.reported == 0 {
        Verdict::NotApplicable
    } else {
        pass_if(e.f1 + 1e-12 >= COUNT_FLOOR)
    }
}

fn events_value(e: &EventLevel) -> Option<f64> {
    (e.truth > 0 || e.reported > 0).then_some(e.f1)
}

fn events_line(e: &EventLevel) -> String {
    format!(
        "{} true, {} reported, {} matched: precision {}, recall {}, F1 {}",
        e.truth,
        e.reported,
        e.matched,
        pct(e.precision),
        pct(e.recall),
        pct(e.f1)
    )
}

struct Parsed<'a> {
    upload: &'a Upload,
    name: EvidenceName,
    /// Seconds from the scenario start of the name's time.
    t_s: f64,
}

/// Every check of one scenario.
pub fn judge(scenario: &Scenario, truth: &[Event], seen: &Observed, opts: &Options) -> Vec<Check> {
    let mut out = Out { checks: Vec::new() };
    let start = scenario.start;
    let evidence_path = |name: &str| format!("evidence/{}/{name}", scenario_name(scenario));
    // Parse every upload once.
    let mut parsed: Vec<Parsed<'_>> = Vec::new();
    let mut bad_names = Vec::new();
    for u in &seen.uploads {
        match EvidenceName::parse(&u.name) {
            Ok(p) => {
                let t = p.name.time().to_cst();
                let t_s = (t - start).num_milliseconds() as f64 / 1000.0;
                parsed.push(Parsed {
                    upload: u,
                    name: p.name,
                    t_s,
                });
            }
            Err(e) => bad_names.push(format!("{}: {e}", u.name)),
        }
    }
    let tamper = tamper_windows(truth);
    let no_windows = Vec::new();
    let windows_of = |cam: &str| tamper.get(cam).unwrap_or(&no_windows);
    let outside_tamper_by =
        |cam: &str, truth: &[f64], reported: &[f64], misfit: &dyn Fn(usize, usize) -> f64| {
            dont_care(windows_of(cam), opts.window, truth, reported, misfit)
        };
    let outside_tamper = |cam: &str, truth: &[f64], reported: &[f64]| {
        outside_tamper_by(cam, truth, reported, &|_, _| 0.0)
    };
    let secs = |e: &Event| e.t_ns as f64 / 1e9;
    let cam_of = |e: &Event| e.camera.map(|c| c.to_string()).unwrap_or_default();

    for cam in &scenario.cameras {
        let code = cam.code.to_string();
        let ours = |e: &&Event| cam_of(e) == code;
        let uploads_of = |clause: Clause| -> Vec<&Parsed<'_>> {
            parsed
                .iter()
                .filter(|p| p.name.clause() == clause && p.name.camera() == Some(cam.code))
                .collect()
        };
        let counting = cam.edge.is_some()
            && matches!(cam.site, SiteKind::ShaftMouth | SiteKind::ReturnAirShaft);
        if counting {
            // ---- E3 down, E4 capture, U1 counter.
            let down: Vec<(f64, u32)> = truth
                .iter()
                .filter(ours)
                .filter_map(|e| match &e.kind {
                    EventKind::Crossing {
                        id,
                        direction: PersonDirection::Down,
                        ..
                    } => Some((secs(e), *id)),
                    _ => None,
                })
                .collect();
            let all_u1 = uploads_of(Clause::U1);
            let fit = |person: u32, upload: &Parsed<'_>| -> f64 {
                match seen.captures.get(&upload.upload.name) {
                    Some(Ok(c)) => c
                        .objects
                        .iter()
                        .filter(|(id, _, _)| *id == person)
                        .flat_map(|(_, f, v)| [f, v])
                        .flatten()
                        .map(|b| iou(c.rect, corners(b)))
                        .fold(0.0, f64::max),
                    _ => 0.0,
                }
            };
            // Among pairings with the most pairs, prefer those whose rectangles fit: people going
            // down together within one second are told apart by where the rectangle is.
            let match_down = |down: &[(f64, u32)], u1: &[&Parsed<'_>]| {
                let t: Vec<f64> = down.iter().map(|d| d.0).collect();
                let r: Vec<f64> = u1.iter().map(|p| p.t_s).collect();
                match_times_by(&t, &r, opts.window, |i, j| 1.0 - fit(down[i].1, u1[j]))
            };
            let (keep_t, keep_r) = outside_tamper_by(
                &code,
                &down.iter().map(|d| d.0).collect::<Vec<_>>(),
                &all_u1.iter().map(|p| p.t_s).collect::<Vec<_>>(),
                &|i, j| 1.0 - fit(down[i].1, all_u1[j]),
            );
            let down: Vec<(f64, u32)> = kept(down, keep_t);
            let u1: Vec<&Parsed<'_>> = kept(all_u1.iter().copied(), keep_r);
            let iou_of = |i: usize, j: usize| fit(down[i].1, u1[j]);
            let m = match_down(&down, &u1);
            let ev = m.event_level();
            let mut findings = Vec::new();
            for &i in &m.missed {
                findings.push(format!(
                    "person {} going down at {:.1} s: no U1",
                    down[i].1, down[i].0
                ));
            }
            for &j in &m.extra {
                findings.push(format!(
                    "{} at {:.1} s matches nobody going down",
                    u1[j].upload.name, u1[j].t_s
                ));
            }
            // Count level, per day: the device's own counter (last U1 count of the day).
            let day_acc = day_accuracy(
                &down.iter().map(|d| d.0).collect::<Vec<_>>(),
                &all_u1
                    .iter()
                    .map(|p| (p.t_s, p.name.count().map_or(0, |c| u32::from(c.get()))))
                    .collect::<Vec<_>>(),
                &u1.iter().map(|p| p.t_s).collect::<Vec<_>>(),
                scenario,
            );
            push_counts(
                &mut out,
                &E3,
                format!("E3.down.count.{code}"),
                &format!("camera {code}, people going down"),
                &day_acc,
            );
            out.push(
                &E3,
                format!("E3.down.events.{code}"),
                events_verdict(&ev),
                format!("F1 ≥ {}", pct(COUNT_FLOOR)),
                events_line(&ev),
                events_value(&ev),
                Some(COUNT_FLOOR),
                "ratio",
                findings,
                Vec::new(),
            );
            // E4 capture.
            let mut cap_findings = Vec::new();
            let mut captured = 0usize;
            let mut cap_evidence = Vec::new();
            for &(i, j) in &m.pairs {
                let name = &u1[j].upload.name;
                match seen.captures.get(name) {
                    Some(Ok(_)) => {
                        let v = iou_of(i, j);
                        if v + 1e-12 >= IOU_FLOOR {
                            captured += 1;
                        } else {
                            cap_findings.push(format!(
                                "person {} at {:.1} s: {name} rectangle IoU {v:.2} < {IOU_FLOOR}",
                                down[i].1, down[i].0
                            ));
                            cap_evidence.push(evidence_path(name));
                        }
                    }
                    Some(Err(e)) => {
                        cap_findings.push(format!(
                            "person {} at {:.1} s: {name}: {e}",
                            down[i].1, down[i].0
                        ));
                        cap_evidence.push(evidence_path(name));
                    }
                    None => cap_findings.push(format!(
                        "person {} at {:.1} s: {name} was not examined",
                        down[i].1, down[i].0
                    )),
                }
            }
            for &i in &m.missed {
                cap_findings.push(format!(
                    "person {} going down at {:.1} s: not captured",
                    down[i].1, down[i].0
                ));
            }
            let rate = if down.is_empty() {
                1.0
            } else {
                captured as f64 / down.len() as f64
            };
            if down.is_empty() && u1.is_empty() {
                out.push(
                    &E4,
                    format!("E4.capture.{code}"),
                    Verdict::NotApplicable,
                    "—".into(),
                    "nobody went down".into(),
                    None,
                    None,
                    "ratio",
                    Vec::new(),
                    Vec::new(),
                );
            } else {
                out.push(
                    &E4,
                    format!("E4.capture.{code}"),
                    pass_if(rate + 1e-12 >= CAPTURE_FLOOR),
                    format!("capture rate ≥ {} (IoU ≥ {IOU_FLOOR})", pct(CAPTURE_FLOOR)),
                    format!("{captured} of {} captured: {}", down.len(), pct(rate)),
                    Some(rate),
                    Some(CAPTURE_FLOOR),
                    "ratio",
                    cap_findings,
                    cap_evidence,
                );
            }
            push_counter(&mut out, &U1, format!("U1.counter.{code}"), &all_u1);

            // ---- E3 up.
            let up: Vec<f64> = truth
                .iter()
                .filter(ours)
                .filter(|e| {
                    matches!(
                        e.kind,
                        EventKind::Crossing {
                            direction: PersonDirection::Up,
                            ..
                        }
                    )
                })
                .map(secs)
                .collect();
            let counted: Option<Vec<f64>> = seen.counted_up.as_ref().map(|c| {
                c.iter()
                    .filter(|(c, _)| *c == code)
                    .map(|(_, t)| *t)
                    .collect()
            });
            let (keep_t, keep_r) =
                outside_tamper(&code, &up, counted.as_deref().unwrap_or_default());
            let up: Vec<f64> = kept(up, keep_t);
            // What the device counted, split by the don't-care windows.
            let (counted_out, counted_in): (Vec<_>, Vec<_>) = counted
                .iter()
                .flatten()
                .copied()
                .zip(keep_r)
                .partition(|(_, k)| *k);
            if let Some(report) = &seen.day_report {
                // The report's figure per day, less what the device counted in tamper windows
                // when it says when it counted.
                let in_windows: Vec<f64> = counted_in.iter().map(|(t, _)| *t).collect();
                let mut rows = Vec::new();
                for day in days_of(scenario) {
                    let truth_n = up.iter().filter(|t| day_of(scenario, **t) == day).count() as u32;
                    let rep = report
                        .get(&day)
                        .and_then(|d| d.get(&code))
                        .map_or(0, |f| f.people_up);
                    let excluded = in_windows
                        .iter()
                        .filter(|t| day_of(scenario, **t) == day)
                        .count() as u32;
                    rows.push((day, truth_n, rep.saturating_sub(excluded)));
                }
                push_counts(
                    &mut out,
                    &E3,
                    format!("E3.up.count.{code}"),
                    &format!("camera {code}, people coming up"),
                    &rows,
                );
            } else {
                // The spec asks for statistics reports (E3) but defines no interface for them.
                out.push(
                    &E3,
                    format!("E3.up.count.{code}"),
                    Verdict::NotApplicable,
                    "a day report (E3 statistics report)".into(),
                    "no day report was given to the judge (eseal certify --device-report URL)"
                        .into(),
                    None,
                    None,
                    "ratio",
                    Vec::new(),
                    Vec::new(),
                );
            }
            match &seen.counted_up {
                Some(_) => {
                    let c: Vec<((), f64)> = counted_out.iter().map(|(t, _)| ((), *t)).collect();
                    let t: Vec<((), f64)> = up.iter().map(|t| ((), *t)).collect();
                    let m = match_all(&t, &c, opts.window);
                    let ev = m.event_level();
                    let mut f = Vec::new();
                    for &i in &m.missed {
                        f.push(format!("person coming up at {:.1} s: not counted", t[i].1));
                    }
                    for &j in &m.extra {
                        f.push(format!("counted coming up at {:.1} s: matches nobody", c[j].1));
                    }
                    out.push(&E3, format!("E3.up.events.{code}"), events_verdict(&ev), format!("F1 ≥ {}", pct(COUNT_FLOOR)), events_line(&ev), events_value(&ev), Some(COUNT_FLOOR), "ratio", f, Vec::new());
                }
                None => out.push(&E3, format!("E3.up.events.{code}"), Verdict::NotApplicable, "an event-level count log".into(), "the device exposes no per-person log of people coming up (the spec has no upload for them)".into(), None, None, "ratio", Vec::new(), Vec::new()),
            }
        }
        if cam.site == SiteKind::VehicleGate {
            let trucks: Vec<f64> = truth
                .iter()
                .filter(ours)
                .filter(|e| {
                    matches!(
                        e.kind,
                        EventKind::Truck {
                            direction: TruckDirection::Out,
                            ..
                        }
                    )
                })
                .map(secs)
                .collect();
            let all_u2 = uploads_of(Clause::U2);
            let (keep_t, keep_r) = outside_tamper(
                &code,
                &trucks,
                &all_u2.iter().map(|p| p.t_s).collect::<Vec<_>>(),
            );
            let trucks: Vec<f64> = kept(trucks, keep_t);
            let u2: Vec<&Parsed<'_>> = kept(all_u2.iter().copied(), keep_r);
            let t: Vec<((), f64)> = trucks.iter().map(|t| ((), *t)).collect();
            let r: Vec<((), f64)> = u2.iter().map(|p| ((), p.t_s)).collect();
            let m = match_all(&t, &r, opts.window);
            let ev = m.event_level();
            let mut f = Vec::new();
            for &i in &m.missed {
                f.push(format!("truck leaving at {:.1} s: no U2", t[i].1));
            }
            for &j in &m.extra {
                f.push(format!(
                    "{} at {:.1} s matches no truck leaving",
                    u2[j].upload.name, u2[j].t_s
                ));
            }
            let rows = day_accuracy(
                &trucks,
                &all_u2
                    .iter()
                    .map(|p| (p.t_s, p.name.count().map_or(0, |c| u32::from(c.get()))))
                    .collect::<Vec<_>>(),
                &u2.iter().map(|p| p.t_s).collect::<Vec<_>>(),
                scenario,
            );
            push_counts(
                &mut out,
                &E5,
                format!("E5.count.{code}"),
                &format!("camera {code}, trucks leaving"),
                &rows,
            );
            out.push(
                &E5,
                format!("E5.events.{code}"),
                events_verdict(&ev),
                format!("F1 ≥ {}", pct(COUNT_FLOOR)),
                events_line(&ev),
                events_value(&ev),
                Some(COUNT_FLOOR),
                "ratio",
                f,
                Vec::new(),
            );
            push_counter(&mut out, &U2, format!("U2.counter.{code}"), &all_u2);
        }
        if matches!(cam.site, SiteKind::Belt | SiteKind::SkipHeadframe) {
            let changes: Vec<(&'static str, f64)> = truth
                .iter()
                .filter(ours)
                .filter_map(|e| match &e.kind {
                    EventKind::Transport { state, .. } => Some((state.code(), secs(e))),
                    _ => None,
                })
                // Stopped at the start is the initial state, not a change.
                .filter(|(s, t)| !(*t == 0.0 && *s == "00"))
                .collect();
            let u3 = uploads_of(Clause::U3);
            // A 30-digit name carries no state: it may match any change (AMBIGUOUS form).
            let state_of = |p: &Parsed<'_>| p.name.transport_state().map(|s| s.code());
            let r: Vec<(Option<&'static str>, f64)> =
                u3.iter().map(|p| (state_of(p), p.t_s)).collect();
            let m = if r.iter().all(|x| x.0.is_none()) {
                let t: Vec<((), f64)> = changes.iter().map(|c| ((), c.1)).collect();
                let rr: Vec<((), f64)> = r.iter().map(|x| ((), x.1)).collect();
                match_all(&t, &rr, opts.window)
            } else {
                let t: Vec<(Option<&str>, f64)> =
                    changes.iter().map(|c| (Some(c.0), c.1)).collect();
                match_all(&t, &r, opts.window)
            };
            let ev = m.event_level();
            let mut f = Vec::new();
            for &i in &m.missed {
                f.push(format!(
                    "state {} at {:.1} s: no U3",
                    changes[i].0, changes[i].1
                ));
            }
            for &j in &m.extra {
                f.push(format!("{} at {:.1} s matches no state change (its state contradicts the equipment or nothing changed)", u3[j].upload.name, u3[j].t_s));
            }
            if changes.is_empty() && u3.is_empty() {
                out.push(
                    &E2,
                    format!("E2.transport.{code}"),
                    Verdict::NotApplicable,
                    "—".into(),
                    "no state change".into(),
                    None,
                    None,
                    "ratio",
                    Vec::new(),
                    Vec::new(),
                );
            } else {
                out.push(
                    &E2,
                    format!("E2.transport.{code}"),
                    pass_if(ev.recall >= 1.0 && ev.precision >= 1.0),
                    "every state change reported, nothing else".into(),
                    events_line(&ev),
                    Some(ev.f1),
                    Some(1.0),
                    "ratio",
                    f,
                    Vec::new(),
                );
            }
            push_clips(
                &mut out,
                &U3,
                format!("U3.clip.{code}"),
                &u3,
                seen,
                &evidence_path,
            );
        }
        // ---- U4 on every camera with a tamper interval or a U4.
        let u4 = uploads_of(Clause::U4);
        let windows = tamper.get(&code).cloned().unwrap_or_default();
        if !windows.is_empty() || !u4.is_empty() {
            let mut f = Vec::new();
            let mut found = 0;
            let mut used = BTreeSet::new();
            for w in &windows {
                let (a, b) = (
                    w.start_s - 1.0 - opts.window.skew_s,
                    w.end_s + opts.tamper_interval_s + opts.window.skew_s + opts.window.latency_s,
                );
                let hits: Vec<usize> = u4
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| {
                        p.name.tamper_kind().map(|k| k.code()) == Some(w.analysis.as_str())
                            && p.t_s >= a
                            && p.t_s <= b
                    })
                    .map(|(j, _)| j)
                    .collect();
                if hits.is_empty() {
                    f.push(format!("{} from {:.1} s to {:.1} s: no U4 of type {} within the check cadence ({} s)", w.label(), w.start_s, w.end_s, w.analysis, opts.tamper_interval_s));
                } else {
                    found += 1;
                }
                used.extend(hits);
            }
            for (j, p) in u4.iter().enumerate() {
                if !used.contains(&j) {
                    f.push(format!(
                        "{} at {:.1} s: no tamper of that type then (false alarm)",
                        p.upload.name, p.t_s
                    ));
                }
            }
            let false_alarms = u4.len() - used.len();
            out.push(
                &U4,
                format!("U4.tamper.{code}"),
                pass_if(found == windows.len() && false_alarms == 0),
                "every tamper interval found within the check cadence, no false finding".into(),
                format!("{found} of {} intervals found, {false_alarms} false finding(s), {} U4 upload(s)", windows.len(), u4.len()),
                Some(if windows.is_empty() { if false_alarms == 0 { 1.0 } else { 0.0 } } else { found as f64 / windows.len() as f64 }),
                Some(1.0),
                "ratio",
                f,
                Vec::new(),
            );
        }
        // ---- U6.
        let s: Vec<&StreamSeen> = seen.streams.iter().filter(|s| s.camera == code).collect();
        let serving = s.iter().any(|s| {
            s.status == Some(200)
                && s.content_type.starts_with("multipart/x-mixed-replace")
                && s.jpeg
        });
        let actual = match s.last() {
            None => "no address registered".to_owned(),
            Some(s) => format!(
                "{} → {}{}",
                stable_url(&s.url),
                s.status.map_or("no answer".to_owned(), |c| format!(
                    "HTTP {c} {}",
                    s.content_type
                )),
                if let Some(e) = &s.error {
                    format!(" ({e})")
                } else if s.jpeg {
                    ", JPEG frames".to_owned()
                } else {
                    ", no JPEG".to_owned()
                }
            ),
        };
        out.push(
            &U6,
            format!("U6.stream.{code}"),
            pass_if(serving),
            "a registered HTTP address serving multipart/x-mixed-replace JPEG frames".into(),
            actual,
            None,
            None,
            "",
            Vec::new(),
            Vec::new(),
        );
    }

    // ---- U5.
    let locks: Vec<(String, f64)> = truth
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Lock { lock, state } => Some((format!("{lock}/{state}"), secs(e))),
            _ => None,
        })
        .collect();
    let u5: Vec<&Parsed<'_>> = parsed
        .iter()
        .filter(|p| p.name.clause() == Clause::U5)
        .collect();
    if locks.is_empty() && u5.is_empty() {
        out.push(
            &U5,
            "U5.lock".into(),
            Verdict::NotApplicable,
            "—".into(),
            "no lock event".into(),
            None,
            None,
            "ratio",
            Vec::new(),
            Vec::new(),
        );
    } else {
        let r: Vec<(String, f64)> = u5
            .iter()
            .map(|p| {
                (
                    format!(
                        "{}/{}",
                        p.name.lock().map(|l| l.to_string()).unwrap_or_default(),
                        p.name
                            .lock_state()
                            .map(|s| s.to_string())
                            .unwrap_or_default()
                    ),
                    p.t_s,
                )
            })
            .collect();
        let m = match_all(&locks, &r, opts.window);
        let ev = m.event_level();
        let mut f = Vec::new();
        for &i in &m.missed {
            f.push(format!("lock {} at {:.1} s: no U5", locks[i].0, locks[i].1));
        }
        for &j in &m.extra {
            f.push(format!(
                "{} at {:.1} s matches no lock event",
                u5[j].upload.name, u5[j].t_s
            ));
        }
        out.push(
            &U5,
            "U5.lock".into(),
            pass_if(ev.recall >= 1.0 && ev.precision >= 1.0),
            "every lock event reported, nothing else".into(),
            events_line(&ev),
            Some(ev.f1),
            Some(1.0),
            "ratio",
            f,
            Vec::new(),
        );
        push_clips(&mut out, &U5, "U5.clip".into(), &u5, seen, &evidence_path);
        let jpg = u5
            .iter()
            .filter(|p| p.name.extension() == eseal_protocol::Extension::Jpg)
            .count();
        out.push(
            &U5_EXT,
            "U5.extension".into(),
            Verdict::AmbiguousInSpec,
            "the spec's table says .jpg, its example .mp4".into(),
            format!(
                "the device used .mp4 for {} and .jpg for {jpg} of {} U5 upload(s)",
                u5.len() - jpg,
                u5.len()
            ),
            None,
            None,
            "",
            Vec::new(),
            Vec::new(),
        );
    }
    // ---- U3 form (ambiguous).
    let u3: Vec<&Parsed<'_>> = parsed
        .iter()
        .filter(|p| p.name.clause() == Clause::U3)
        .collect();
    if !u3.is_empty() {
        let long = u3.iter().filter(|p| p.name.digit_len() == 32).count();
        out.push(
            &U3_FORM,
            "U3.form".into(),
            Verdict::AmbiguousInSpec,
            "the rule's 30 digits or the example's 32 (with a state code)".into(),
            format!(
                "{long} of {} U3 name(s) in the 32-digit form, {} in the 30-digit form",
                u3.len(),
                u3.len() - long
            ),
            None,
            None,
            "",
            Vec::new(),
            Vec::new(),
        );
    }
    // ---- U8: the return-air camera code is the device's choice.
    let return_air: Vec<String> = scenario
        .cameras
        .iter()
        .filter(|c| c.site == SiteKind::ReturnAirShaft)
        .map(|c| c.code.to_string())
        .collect();
    if !return_air.is_empty() {
        out.push(
            &U8,
            "U8.return-air-code".into(),
            Verdict::AmbiguousInSpec,
            "the spec gives no camera code for the return-air shaft".into(),
            format!(
                "return-air camera(s) configured as {}",
                return_air.join(", ")
            ),
            None,
            None,
            "",
            Vec::new(),
            Vec::new(),
        );
    }

    // ---- Protocol: names and codes.
    let mut f = bad_names;
    let mine = scenario.mine.code;
    for p in &parsed {
        if p.name.mine() != mine {
            f.push(format!(
                "{}: mine code {} is not the mine's {mine}",
                p.upload.name,
                p.name.mine()
            ));
        }
        if let Some(cam) = p.name.camera() {
            match scenario.cameras.iter().find(|c| c.code == cam) {
                None => f.push(format!(
                    "{}: camera code {cam} is none of the mine's cameras ({})",
                    p.upload.name,
                    scenario
                        .cameras
                        .iter()
                        .map(|c| c.code.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                Some(c) => {
                    let ok = match p.name.analysis_type() {
                        Some(AnalysisType::People) => {
                            matches!(c.site, SiteKind::ShaftMouth | SiteKind::ReturnAirShaft)
                        }
                        Some(AnalysisType::Vehicles) => c.site == SiteKind::VehicleGate,
                        Some(AnalysisType::TransportState) => {
                            matches!(c.site, SiteKind::Belt | SiteKind::SkipHeadframe)
                        }
                        _ => true,
                    };
                    if !ok {
                        f.push(format!(
                            "{}: analysis type {} from camera {cam}, a {:?} camera",
                            p.upload.name,
                            p.name.clause(),
                            c.site
                        ));
                    }
                }
            }
        }
        if p.t_s < -opts.window.skew_s
            || p.t_s > scenario.duration_ns as f64 / 1e9 + opts.window.skew_s
        {
            f.push(format!(
                "{}: time {:.1} s is outside the run",
                p.upload.name, p.t_s
            ));
        }
    }
    let n = seen.uploads.len();
    out.push(
        &NAMES,
        "protocol.names".into(),
        pass_if(f.is_empty()),
        "every name parses and carries the mine's codes".into(),
        format!("{} of {n} upload(s) wrong", f.len()),
        None,
        None,
        "count",
        f,
        Vec::new(),
    );
    // Timing.
    let bound = opts.window.skew_s + opts.window.latency_s;
    let mut late = Vec::new();
    let mut known = 0;
    for p in &parsed {
        if let Some(a) = p.upload.arrived_s {
            known += 1;
            // Arrival is seen at the judge's poll interval: one second of grace.
            if a - p.t_s > bound + 1.0 {
                late.push(format!(
                    "{}: arrived {:.1} s after its time (bound {bound} s)",
                    p.upload.name,
                    a - p.t_s
                ));
            }
        }
    }
    if known == 0 {
        out.push(
            &TIMING,
            "protocol.latency".into(),
            Verdict::NotApplicable,
            format!("arrival ≤ {bound} s after the name's time"),
            "no arrival times known".into(),
            None,
            None,
            "s",
            Vec::new(),
            Vec::new(),
        );
    } else {
        out.push(
            &TIMING,
            "protocol.latency".into(),
            pass_if(late.is_empty()),
            format!("arrival ≤ {bound} s after the name's time"),
            format!("{} of {known} upload(s) late", late.len()),
            None,
            Some(bound),
            "s",
            late,
            Vec::new(),
        );
    }
    // Delivery.
    let mut f: Vec<String> = seen
        .refused
        .iter()
        .map(|(n, why)| format!("refused {n}: {why}"))
        .collect();
    let mut names = BTreeSet::new();
    for u in &seen.uploads {
        if !names.insert(&u.name) {
            f.push(format!("{} arrived twice", u.name));
        }
    }
    out.push(
        &DELIVERY,
        "protocol.delivery".into(),
        pass_if(f.is_empty()),
        "every upload accepted, once".into(),
        format!("{n} accepted, {} refused", seen.refused.len()),
        None,
        None,
        "count",
        f,
        Vec::new(),
    );
    // Content.
    let mut f = Vec::new();
    for p in &parsed {
        let b = &p.upload.bytes;
        let ok = match p.name.extension() {
            eseal_protocol::Extension::Jpg => {
                b.starts_with(&[0xFF, 0xD8])
                    && image::load_from_memory_with_format(b, image::ImageFormat::Jpeg).is_ok()
            }
            eseal_protocol::Extension::Mp4 => b.len() > 8 && &b[4..8] == b"ftyp",
        };
        if !ok {
            f.push(format!(
                "{}: not a {} file",
                p.upload.name,
                p.name.extension()
            ));
        }
    }
    out.push(
        &CONTENT,
        "protocol.content".into(),
        pass_if(f.is_empty()),
        "content of the name's type".into(),
        format!("{} of {} file(s) wrong", f.len(), parsed.len()),
        None,
        None,
        "count",
        f,
        Vec::new(),
    );
    // Alarm closure on the platform (P4): raised, pushed, handled to closure, supervised.
    out.checks
        .extend(super::closure::checks(&seen.uploads, seen.closure.as_ref()));
    out.checks
}

/// A loopback address's port is ephemeral: written `<port>` so the report stays a function of
/// the case (deterministic JSON).
fn stable_url(url: &str) -> String {
    for host in ["127.0.0.1:", "localhost:", "[::1]:"] {
        if let Some(at) = url.find(host) {
            let rest = &url[at + host.len()..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            return format!("{}{host}<port>{}", &url[..at], &rest[digits..]);
        }
    }
    url.to_owned()
}

/// The scenario's name: its file's stem.
pub fn scenario_name(s: &Scenario) -> String {
    std::path::Path::new(&s.file)
        .file_stem()
        .map_or_else(|| s.file.clone(), |x| x.to_string_lossy().into_owned())
}

fn day_of(scenario: &Scenario, t_s: f64) -> NaiveDate {
    (scenario.start + chrono::Duration::milliseconds((t_s * 1000.0) as i64)).date_naive()
}

fn days_of(scenario: &Scenario) -> Vec<NaiveDate> {
    let first = scenario.start.date_naive();
    let last = day_of(scenario, scenario.duration_ns as f64 / 1e9);
    first.iter_days().take_while(|d| *d <= last).collect()
}

/// Per day: (day, true count, reported count). The reported count is the device's own counter
/// (the highest count in the day's names) less the uploads inside tamper windows (which the
/// truth leaves out), so both sides cover the same moments.
fn day_accuracy(
    truth_s: &[f64],
    all: &[(f64, u32)],
    outside_tamper_s: &[f64],
    scenario: &Scenario,
) -> Vec<(NaiveDate, u32, u32)> {
    days_of(scenario)
        .into_iter()
        .map(|day| {
            let t = truth_s
                .iter()
                .filter(|t| day_of(scenario, **t) == day)
                .count() as u32;
            let counter = all
                .iter()
                .filter(|(t, _)| day_of(scenario, *t) == day)
                .map(|(_, c)| *c)
                .max()
                .unwrap_or(0);
            let n_all = all
                .iter()
                .filter(|(t, _)| day_of(scenario, *t) == day)
                .count() as u32;
            let n_out = outside_tamper_s
                .iter()
                .filter(|t| day_of(scenario, **t) == day)
                .count() as u32;
            (day, t, counter.saturating_sub(n_all - n_out))
        })
        .collect()
}

fn push_counts(out: &mut Out, req: &Req, id: String, what: &str, rows: &[(NaiveDate, u32, u32)]) {
    let applicable: Vec<_> = rows.iter().filter(|(_, t, r)| *t > 0 || *r > 0).collect();
    if applicable.is_empty() {
        out.push(
            req,
            id,
            Verdict::NotApplicable,
            "—".into(),
            format!("{what}: none, none reported"),
            None,
            None,
            "ratio",
            Vec::new(),
            Vec::new(),
        );
        return;
    }
    let worst = applicable
        .iter()
        .map(|(_, t, r)| count_accuracy(*r, *t))
        .fold(1.0, f64::min);
    let actual = applicable
        .iter()
        .map(|(d, t, r)| format!("{d}: {r} reported of {t} ({})", pct(count_accuracy(*r, *t))))
        .collect::<Vec<_>>()
        .join("; ");
    out.push(
        req,
        id,
        pass_if(worst + 1e-12 >= COUNT_FLOOR),
        format!(
            "1 − |reported − true| / true ≥ {} every day",
            pct(COUNT_FLOOR)
        ),
        actual,
        Some(worst),
        Some(COUNT_FLOOR),
        "ratio",
        Vec::new(),
        Vec::new(),
    );
}

/// U1/U2: per CST day, counts run 1, 2, 3 … in time order.
fn push_counter(out: &mut Out, req: &Req, id: String, uploads: &[&Parsed<'_>]) {
    if uploads.is_empty() {
        out.push(
            req,
            id,
            Verdict::NotApplicable,
            "—".into(),
            "no upload".into(),
            None,
            None,
            "",
            Vec::new(),
            Vec::new(),
        );
        return;
    }
    let mut by_day: BTreeMap<NaiveDate, Vec<(f64, u32, &str)>> = BTreeMap::new();
    for p in uploads {
        let day = p.name.time().to_cst().date_naive();
        by_day.entry(day).or_default().push((
            p.t_s,
            p.name.count().map_or(0, |c| u32::from(c.get())),
            &p.upload.name,
        ));
    }
    let mut f = Vec::new();
    for (day, mut v) in by_day {
        v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (k, (_, c, name)) in v.iter().enumerate() {
            let want = k as u32 + 1;
            if *c != want {
                let why = if k == 0 && *c > 1 {
                    " (the counter was not reset at 00:00 CST?)"
                } else {
                    ""
                };
                f.push(format!(
                    "{day}: {name} carries count {c:04}, expected {want:04}{why}"
                ));
                break;
            }
        }
    }
    out.push(
        req,
        id,
        pass_if(f.is_empty()),
        "0001, 0002, … each CST day, reset at 00:00".into(),
        if f.is_empty() {
            format!("{} upload(s) in order", uploads.len())
        } else {
            f[0].clone()
        },
        None,
        None,
        "",
        f,
        Vec::new(),
    );
}

fn push_clips(
    out: &mut Out,
    req: &Req,
    id: String,
    uploads: &[&Parsed<'_>],
    seen: &Observed,
    evidence_path: &dyn Fn(&str) -> String,
) {
    if uploads.is_empty() {
        out.push(
            req,
            id,
            Verdict::NotApplicable,
            "—".into(),
            "no clip".into(),
            None,
            None,
            "s",
            Vec::new(),
            Vec::new(),
        );
        return;
    }
    let mut f = Vec::new();
    let mut ev = Vec::new();
    let mut shortest = f64::INFINITY;
    for p in uploads {
        let name = &p.upload.name;
        match seen.clips.get(name) {
            Some(Ok(c)) => {
                shortest = shortest.min(c.duration_s);
                if !(CLIP_RANGE_S.0..=CLIP_RANGE_S.1).contains(&c.duration_s) || !c.h264 {
                    f.push(format!(
                        "{name}: {:.2} s{}",
                        c.duration_s,
                        if c.h264 { "" } else { ", not H.264" }
                    ));
                    ev.push(evidence_path(name));
                }
            }
            Some(Err(e)) => {
                f.push(format!("{name}: {e}"));
                ev.push(evidence_path(name));
            }
            None => f.push(format!("{name}: not examined")),
        }
    }
    let n = uploads.len();
    out.push(
        req,
        id,
        pass_if(f.is_empty()),
        format!("H.264, {}–{} s (R3)", CLIP_RANGE_S.0, CLIP_RANGE_S.1),
        format!("{} of {n} clip(s) wrong", f.len()),
        shortest.is_finite().then_some(shortest),
        None,
        "s",
        f,
        ev,
    );
}

#[derive(Debug, Clone)]
struct TamperWindow {
    start_s: f64,
    end_s: f64,
    analysis: String,
}

impl TamperWindow {
    fn label(&self) -> &'static str {
        if self.analysis == "05" {
            "moved"
        } else {
            "occluded"
        }
    }
}

/// The items whose flag is set (the flags from [`dont_care`]).
fn kept<T>(items: impl IntoIterator<Item = T>, keep: Vec<bool>) -> Vec<T> {
    items
        .into_iter()
        .zip(keep)
        .filter_map(|(x, k)| k.then_some(x))
        .collect()
}

/// Which true events and which reports stay in a score, given the camera's tamper windows (module
/// doc: tamper windows). A report belongs to the true event nearest to it (by `misfit`, then by
/// time) among those the matching window admits; one-to-one matching is left to the score.
fn dont_care(
    windows: &[TamperWindow],
    window: Window,
    truth: &[f64],
    reported: &[f64],
    misfit: &dyn Fn(usize, usize) -> f64,
) -> (Vec<bool>, Vec<bool>) {
    let touches = |a: f64, b: f64| {
        windows
            .iter()
            .any(|w| b >= w.start_s - 1.0 && a <= w.end_s + 1.0)
    };
    let keep_t: Vec<bool> = truth.iter().map(|t| !touches(*t, *t)).collect();
    let keep_r = reported
        .iter()
        .enumerate()
        .map(|(j, r)| {
            let owner = (0..truth.len())
                .filter(|&i| window.admits(truth[i], *r))
                .min_by(|&a, &b| {
                    misfit(a, j)
                        .total_cmp(&misfit(b, j))
                        .then((truth[a] - r).abs().total_cmp(&(truth[b] - r).abs()))
                });
            match owner {
                Some(i) => keep_t[i],
                // The name's second stands for [t, t + 1).
                None => !touches(*r, *r + 1.0 - 1e-9),
            }
        })
        .collect();
    (keep_t, keep_r)
}

fn tamper_windows(truth: &[Event]) -> BTreeMap<String, Vec<TamperWindow>> {
    let mut out: BTreeMap<String, Vec<TamperWindow>> = BTreeMap::new();
    let mut open: BTreeMap<String, (f64, String)> = BTreeMap::new();
    for e in truth {
        let cam = e.camera.map(|c| c.to_string()).unwrap_or_default();
        match &e.kind {
            EventKind::TamperStart { analysis, .. } => {
                open.insert(cam, (e.t_ns as f64 / 1e9, analysis.clone()));
            }
            EventKind::TamperEnd { .. } => {
                if let Some((s, analysis)) = open.remove(&cam) {
                    out.entry(cam).or_default().push(TamperWindow {
                        start_s: s,
                        end_s: e.t_ns as f64 / 1e9,
                        analysis,
                    });
                }
            }
            _ => {}
        }
    }
    for (cam, (s, analysis)) in open {
        out.entry(cam).or_default().push(TamperWindow {
            start_s: s,
            end_s: f64::INFINITY,
            analysis,
        });
    }
    out
}
