//! E3 (people both ways) and E5 (trucks leaving): one generic count-and-event check.
//!
//! For a camera and a direction it makes three checks, `<prefix>.count.<camera>` (the spec's
//! daily figure: `1 − |reported − true| / true` ≥ 90 % every CST day), `<prefix>.events.<camera>`
//! (event-level F1 ≥ 90 %) and `<prefix>.errors.<camera>` (misses + extras ≤ 10 % of the true
//! events, so that a miss and a phantom never cancel). Exclusions are applied and disclosed on
//! all three; missing data makes a check INCONCLUSIVE with what the lab must supply.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use eseal_protocol::Clause;
use eseal_simulator::scenario::{Camera, PersonDirection, TruckDirection};
use eseal_simulator::truth::EventKind;

use super::exclusion::{self, Kept};
use super::pairing::{Paired, Stamp, pair};
use super::{
    COUNT_FLOOR, Ctx, ERROR_CEILING, EXCLUSION_LIMIT, MatchingExport, Out, Parsed, Req, Timed,
};
use super::{base, count_accuracy, day_of, days_of, pass_if, pct};
use crate::judge::matching::EventLevel;
use crate::judge::verdict::{Check, Verdict};

pub(super) const E3: Req = Req {
    clause: "E3",
    zh: "人员双向计数",
    en: "People counted both ways",
    text: "Count pedestrians in both directions; counting accuracy ≥ 90 %.",
};
pub(super) const E5: Req = Req {
    clause: "E5",
    zh: "货运车辆识别计数",
    en: "Trucks recognised and counted",
    text: "Truck recognition and counting; each truck leaving gives one U2 JPEG at once (reference profile: held to E3's 90 % floor).",
};

/// One report of a count: its times, its file (none for a count-log entry) and the daily number
/// it carries (U1/U2).
#[derive(Debug, Clone)]
pub(super) struct Report<'a> {
    pub stamp: Stamp,
    pub file: Option<&'a str>,
    pub count: Option<u32>,
}

/// Where the device's daily figure comes from.
pub(super) enum Daily {
    /// The highest daily number in its names (U1, U2).
    Counter,
    /// Its day report, per CST day; `None`: no day report was given to the judge (with why,
    /// when fetching it failed).
    Figures(Option<BTreeMap<NaiveDate, u32>>, Option<String>),
}

/// What is counted on one camera in one direction.
pub(super) struct Subject<'s> {
    pub req: &'static Req,
    /// `E3.down`, `E3.up`, `E5`.
    pub prefix: &'static str,
    pub camera: String,
    /// `people going down` …
    pub what: &'static str,
    /// How the true events and reports are named in the disclosure.
    pub nouns: (&'static str, &'static str),
    pub truth: Vec<f64>,
    /// `None`: the device gives no event-level record of these (no count log).
    pub reports: Option<Vec<Report<'s>>>,
    pub daily: Daily,
    /// What the lab supplies when the event-level record is missing.
    pub supply_events: &'static str,
    pub misfit: &'s dyn Fn(usize, usize) -> f64,
    pub miss_line: &'s dyn Fn(usize) -> String,
    pub extra_line: &'s dyn Fn(usize) -> String,
}

/// The outcome E4 builds on: pairs, and what stays after the exclusions.
pub(super) struct Scored {
    pub paired: Paired,
    pub kept: Kept,
    /// False when the camera's exclusions make the scenario no evidence (> 50 %).
    pub conclusive: bool,
}

/// E3 down: U1 uploads against people going down; returns the scoring E4 uses.
pub(super) fn people_down(ctx: &Ctx<'_>, cam: &Camera, out: &mut Out) -> DownScore {
    let code = cam.code.to_string();
    let people: Vec<(f64, u32)> = crossings(ctx, cam, PersonDirection::Down);
    let u1: Vec<&Parsed<'_>> = ctx.uploads_of(cam.code, Clause::U1);
    let fit = |i: usize, j: usize| super::capture::fit(ctx, people[i].1, &u1[j].upload.name);
    let misfit = |i: usize, j: usize| 1.0 - fit(i, j);
    let miss = |i: usize| {
        format!(
            "person {} going down at {:.1} s: no U1",
            people[i].1, people[i].0
        )
    };
    let extra = |j: usize| {
        format!(
            "{} at {:.1} s matches nobody going down",
            u1[j].upload.name, u1[j].t_s
        )
    };
    let subject = Subject {
        req: &E3,
        prefix: "E3.down",
        camera: code,
        what: "people going down",
        nouns: ("true crossings", "U1 uploads"),
        truth: people.iter().map(|p| p.0).collect(),
        reports: Some(u1.iter().map(|p| upload_report(p)).collect()),
        daily: Daily::Counter,
        supply_events: "",
        misfit: &misfit,
        miss_line: &miss,
        extra_line: &extra,
    };
    let scored = score(ctx, &subject, out);
    DownScore {
        people,
        files: u1.iter().map(|p| p.upload.name.clone()).collect(),
        scored,
    }
}

/// What E4 needs of E3 down: the people (time, id), the U1 files, and the scoring.
pub(super) struct DownScore {
    pub people: Vec<(f64, u32)>,
    pub files: Vec<String>,
    pub scored: Option<Scored>,
}

/// E3 up: the device's count log (where it gives one) against people coming up; the daily
/// figure from its day report.
pub(super) fn people_up(ctx: &Ctx<'_>, cam: &Camera, out: &mut Out) {
    let code = cam.code.to_string();
    let people: Vec<f64> = crossings(ctx, cam, PersonDirection::Up)
        .into_iter()
        .map(|p| p.0)
        .collect();
    let log: Option<Vec<f64>> = ctx.seen.counted_up.as_ref().map(|c| {
        c.iter()
            .filter(|(c, _)| *c == code)
            .map(|(_, t)| *t)
            .collect()
    });
    let figures = ctx.seen.day_report.as_ref().map(|r| {
        r.iter()
            .map(|(day, cams)| (*day, cams.get(&code).map_or(0, |f| f.people_up)))
            .collect::<BTreeMap<_, _>>()
    });
    let miss = |i: usize| format!("person coming up at {:.1} s: not counted", people[i]);
    let log_ref = log.clone().unwrap_or_default();
    let extra = |j: usize| format!("counted coming up at {:.1} s: matches nobody", log_ref[j]);
    let subject = Subject {
        req: &E3,
        prefix: "E3.up",
        camera: code,
        what: "people coming up",
        nouns: ("true crossings", "counted"),
        truth: people.clone(),
        reports: log.map(|l| {
            l.iter()
                .map(|t| Report {
                    stamp: Stamp {
                        name_s: *t,
                        arrived_s: None,
                    },
                    file: None,
                    count: None,
                })
                .collect()
        }),
        daily: Daily::Figures(figures, ctx.seen.day_report_error.clone()),
        supply_events: "设备的上井人员逐条计数记录 / the device's per-person log of people coming up (day report `events`, docs/external-device.md)",
        misfit: &|_, _| 0.0,
        miss_line: &miss,
        extra_line: &extra,
    };
    score(ctx, &subject, out);
}

/// E5: U2 uploads against trucks leaving.
pub(super) fn trucks(ctx: &Ctx<'_>, cam: &Camera, out: &mut Out) {
    let code = cam.code.to_string();
    let leaving: Vec<f64> = ctx
        .truth
        .iter()
        .filter(|e| e.camera == Some(cam.code))
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Truck {
                    direction: TruckDirection::Out,
                    ..
                }
            )
        })
        .map(|e| e.t_ns as f64 / 1e9)
        .collect();
    let u2 = ctx.uploads_of(cam.code, Clause::U2);
    let miss = |i: usize| format!("truck leaving at {:.1} s: no U2", leaving[i]);
    let extra = |j: usize| {
        format!(
            "{} at {:.1} s matches no truck leaving",
            u2[j].upload.name, u2[j].t_s
        )
    };
    let subject = Subject {
        req: &E5,
        prefix: "E5",
        camera: code,
        what: "trucks leaving",
        nouns: ("trucks leaving", "U2 uploads"),
        truth: leaving.clone(),
        reports: Some(u2.iter().map(|p| upload_report(p)).collect()),
        daily: Daily::Counter,
        supply_events: "",
        misfit: &|_, _| 0.0,
        miss_line: &miss,
        extra_line: &extra,
    };
    score(ctx, &subject, out);
    super::protocol::counter(
        out,
        &super::protocol::U2,
        format!("U2.counter.{}", cam.code),
        &u2,
    );
}

fn upload_report<'a>(p: &Parsed<'a>) -> Report<'a> {
    Report {
        stamp: Stamp {
            name_s: p.t_s,
            arrived_s: p.upload.arrived_s,
        },
        file: Some(p.upload.name.as_str()),
        count: Some(p.name.count().map_or(0, |c| u32::from(c.get()))),
    }
}

/// True crossings of one camera in one direction: (seconds, person id).
fn crossings(ctx: &Ctx<'_>, cam: &Camera, dir: PersonDirection) -> Vec<(f64, u32)> {
    ctx.truth
        .iter()
        .filter(|e| e.camera == Some(cam.code))
        .filter_map(|e| match &e.kind {
            EventKind::Crossing { id, direction, .. } if *direction == dir => {
                Some((e.t_ns as f64 / 1e9, *id))
            }
            _ => None,
        })
        .collect()
}

/// The three checks of a subject; the scoring when the device gave event-level reports.
pub(super) fn score(ctx: &Ctx<'_>, s: &Subject<'_>, out: &mut Out) -> Option<Scored> {
    let windows = ctx.windows_of(&s.camera);
    let Some(reports) = &s.reports else {
        no_event_record(ctx, s, out);
        return None;
    };
    let stamps: Vec<Stamp> = reports.iter().map(|r| r.stamp).collect();
    let paired = pair(&s.truth, &stamps, ctx.opts.window, s.misfit);
    let names: Vec<f64> = stamps.iter().map(|r| r.name_s).collect();
    let kept = exclusion::apply(
        windows,
        &s.camera,
        ctx.duration_s,
        &s.truth,
        &names,
        &paired.matching,
    );
    if kept.excluded_share() > EXCLUSION_LIMIT {
        not_evidence(s, &kept, out);
        return Some(Scored {
            paired,
            kept,
            conclusive: false,
        });
    }
    let m = kept.restrict(&paired.matching);
    let ev = m.event_level();
    // Count level, per day.
    let rows = daily_rows(ctx, s, reports, &kept);
    let disclose = |c: &mut Check| exclusion::disclose(c, kept.excluded.as_ref(), s.nouns);
    match rows {
        Ok(rows) => out.checks.push(count_check(s, &rows, &disclose)),
        Err(c) => out.checks.push(*c),
    }
    let mut findings: Vec<String> = m.missed.iter().map(|i| (s.miss_line)(*i)).collect();
    findings.extend(m.extra.iter().map(|j| (s.extra_line)(*j)));
    let id = format!("{}.events.{}", s.prefix, s.camera);
    let mut c = Check {
        expected: format!("F1 ≥ {}", pct(COUNT_FLOOR)),
        actual: events_line(&ev),
        value: (ev.truth > 0 || ev.reported > 0).then_some(ev.f1),
        bar: Some(COUNT_FLOOR),
        unit: "ratio".into(),
        findings: findings.clone(),
        ..base(s.req, id.clone(), events_verdict(&ev))
    };
    disclose(&mut c);
    out.checks.push(c);
    out.checks.push(errors_check(s, &ev, findings, &disclose));
    // The same figures, exportable for an independent scorer.
    let effective = paired.effective(&stamps);
    out.exports.push(MatchingExport {
        check: id,
        window: ctx.opts.window,
        truth_s: s
            .truth
            .iter()
            .zip(&kept.truth)
            .filter(|(_, k)| **k)
            .map(|(t, _)| *t)
            .collect(),
        reported_s: effective
            .iter()
            .zip(&kept.reports)
            .filter(|(_, k)| **k)
            .map(|(t, _)| *t)
            .collect(),
        judge: ev,
    });
    for (i, j) in &m.pairs {
        if let Some(file) = reports[*j].file {
            out.timed.push(Timed {
                camera: s.camera.clone(),
                file: file.to_owned(),
                truth_s: s.truth[*i],
                name_s: reports[*j].stamp.name_s,
                arrived_s: reports[*j].stamp.arrived_s,
            });
        }
    }
    Some(Scored {
        paired,
        kept,
        conclusive: true,
    })
}

/// Per CST day: (day, true count kept, the device's figure less what was excluded that day).
fn daily_rows(
    ctx: &Ctx<'_>,
    s: &Subject<'_>,
    reports: &[Report<'_>],
    kept: &Kept,
) -> Result<Vec<(NaiveDate, u32, u32)>, Box<Check>> {
    let sc = ctx.scenario;
    let figures: BTreeMap<NaiveDate, u32> = match &s.daily {
        Daily::Counter => {
            let mut f = BTreeMap::new();
            for r in reports {
                let c = f.entry(day_of(sc, r.stamp.name_s)).or_insert(0);
                *c = (*c).max(r.count.unwrap_or(0));
            }
            f
        }
        Daily::Figures(Some(f), _) => f.clone(),
        Daily::Figures(None, why) => return Err(Box::new(no_day_report(s, why.as_deref()))),
    };
    Ok(days_of(sc)
        .into_iter()
        .map(|day| {
            let t = s
                .truth
                .iter()
                .zip(&kept.truth)
                .filter(|(t, k)| **k && day_of(sc, **t) == day)
                .count() as u32;
            let left_out = reports
                .iter()
                .zip(&kept.reports)
                .filter(|(r, k)| !**k && day_of(sc, r.stamp.name_s) == day)
                .count() as u32;
            (
                day,
                t,
                figures
                    .get(&day)
                    .copied()
                    .unwrap_or(0)
                    .saturating_sub(left_out),
            )
        })
        .collect())
}

fn count_check(
    s: &Subject<'_>,
    rows: &[(NaiveDate, u32, u32)],
    disclose: &dyn Fn(&mut Check),
) -> Check {
    let id = format!("{}.count.{}", s.prefix, s.camera);
    let what = format!("camera {}, {}", s.camera, s.what);
    let applicable: Vec<_> = rows.iter().filter(|(_, t, r)| *t > 0 || *r > 0).collect();
    let mut c = if applicable.is_empty() {
        Check {
            expected: "—".into(),
            actual: format!("{what}: none, none reported"),
            unit: "ratio".into(),
            ..base(s.req, id, Verdict::NotApplicable)
        }
    } else {
        let worst = applicable
            .iter()
            .map(|(_, t, r)| count_accuracy(*r, *t))
            .fold(1.0, f64::min);
        let actual = applicable
            .iter()
            .map(|(d, t, r)| format!("{d}: {r} reported of {t} ({})", pct(count_accuracy(*r, *t))))
            .collect::<Vec<_>>()
            .join("; ");
        Check {
            expected: format!(
                "1 − |reported − true| / true ≥ {} every day",
                pct(COUNT_FLOOR)
            ),
            actual,
            value: Some(super::round6(worst)),
            bar: Some(COUNT_FLOOR),
            unit: "ratio".into(),
            ..base(s.req, id, pass_if(worst + 1e-12 >= COUNT_FLOOR))
        }
    };
    disclose(&mut c);
    c
}

/// Misses + extras against the true events: the check errors cannot cancel in.
fn errors_check(
    s: &Subject<'_>,
    ev: &EventLevel,
    findings: Vec<String>,
    disclose: &dyn Fn(&mut Check),
) -> Check {
    let id = format!("{}.errors.{}", s.prefix, s.camera);
    let errors = (ev.truth - ev.matched) + (ev.reported - ev.matched);
    let expected = format!(
        "misses + extras ≤ {} of the true events",
        pct(ERROR_CEILING)
    );
    let mut c = if ev.truth == 0 && ev.reported == 0 {
        Check {
            expected,
            actual: format!("no {}, none reported", s.what),
            unit: "ratio".into(),
            ..base(s.req, id, Verdict::NotApplicable)
        }
    } else {
        let share = if ev.truth == 0 {
            f64::INFINITY
        } else {
            errors as f64 / ev.truth as f64
        };
        Check {
            expected,
            actual: format!(
                "{} missed + {} extra = {errors} error(s) of {} true: {}",
                ev.truth - ev.matched,
                ev.reported - ev.matched,
                ev.truth,
                if share.is_finite() {
                    pct(share)
                } else {
                    "no true event".to_owned()
                }
            ),
            value: share.is_finite().then(|| super::round6(share)),
            bar: Some(ERROR_CEILING),
            unit: "ratio".into(),
            findings,
            ..base(s.req, id, pass_if(share <= ERROR_CEILING + 1e-12))
        }
    };
    disclose(&mut c);
    c
}

fn events_verdict(e: &EventLevel) -> Verdict {
    if e.truth == 0 && e.reported == 0 {
        Verdict::NotApplicable
    } else {
        pass_if(e.f1 + 1e-12 >= COUNT_FLOOR)
    }
}

/// `14 true, 13 reported, 13 matched: precision 100.0 %, recall 92.9 %, F1 96.3 %`; with no
/// report, precision is not a number: `no reports`.
pub(super) fn events_line(e: &EventLevel) -> String {
    if e.reported == 0 {
        return format!("{} true, no reports: recall {}", e.truth, pct(e.recall));
    }
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

/// More than half the camera's true events were in tamper windows: its count checks cannot
/// say anything about counting.
fn not_evidence(s: &Subject<'_>, kept: &Kept, out: &mut Out) {
    let n = kept.truth.len();
    let left = kept.truth.iter().filter(|k| !**k).count();
    for kind in ["count", "events", "errors"] {
        let mut c = Check {
            expected: format!(
                "at most {} of the camera's true events in tamper windows",
                pct(EXCLUSION_LIMIT)
            ),
            actual: format!(
                "{left} of {n} {} fall in tamper windows: the scenario is not evidence for {} on camera {}",
                s.nouns.0, s.req.clause, s.camera
            ),
            unit: "ratio".into(),
            supply: Some(format!(
                "摄像机 {} 大部分时间未被遮挡的场景 / a scenario in which camera {} sees most of its {}",
                s.camera, s.camera, s.what
            )),
            ..base(
                s.req,
                format!("{}.{kind}.{}", s.prefix, s.camera),
                Verdict::Inconclusive,
            )
        };
        exclusion::disclose(&mut c, kept.excluded.as_ref(), s.nouns);
        out.checks.push(c);
    }
}

fn no_day_report(s: &Subject<'_>, why: Option<&str>) -> Check {
    Check {
        expected: "the device's day report (E3 statistics report)".into(),
        actual: match why {
            None => "no day report was given to the judge".into(),
            Some(e) => format!("the device's day report could not be read: {e}"),
        },
        unit: "ratio".into(),
        supply: Some("设备日报 / the device's day report (eseal certify --device-report URL, docs/external-device.md)".into()),
        ..base(s.req, format!("{}.count.{}", s.prefix, s.camera), Verdict::Inconclusive)
    }
}

/// The device gives no event-level record: the daily figure alone, and only where no true
/// event was excluded (else the figure covers moments the camera could not see).
fn no_event_record(ctx: &Ctx<'_>, s: &Subject<'_>, out: &mut Out) {
    let windows = ctx.windows_of(&s.camera);
    let none = crate::judge::matching::Matching {
        missed: (0..s.truth.len()).collect(),
        ..Default::default()
    };
    let kept = exclusion::apply(windows, &s.camera, ctx.duration_s, &s.truth, &[], &none);
    let excluded_truth = kept.truth.iter().filter(|k| !**k).count();
    let count = if excluded_truth > 0 {
        Check {
            expected: "a day figure covering only what the camera could see".into(),
            actual: format!(
                "{excluded_truth} {} fall in tamper windows and the device gives no log to leave its counts then out",
                s.nouns.0
            ),
            unit: "ratio".into(),
            supply: Some(s.supply_events.to_owned()),
            ..base(
                s.req,
                format!("{}.count.{}", s.prefix, s.camera),
                Verdict::Inconclusive,
            )
        }
    } else {
        match daily_rows(ctx, s, &[], &kept) {
            Ok(rows) => count_check(s, &rows, &|_| {}),
            Err(c) => *c,
        }
    };
    out.checks.push(count);
    for kind in ["events", "errors"] {
        let id = format!("{}.{kind}.{}", s.prefix, s.camera);
        let c = if s.truth.is_empty() {
            Check {
                expected: "—".into(),
                actual: format!("no {}; the day figure is checked at count level", s.what),
                unit: "ratio".into(),
                ..base(s.req, id, Verdict::NotApplicable)
            }
        } else {
            Check {
                expected: "an event-level record to match against the truth".into(),
                actual: format!(
                    "{} true; the device gave no per-event record of {}",
                    s.truth.len(),
                    s.what
                ),
                unit: "ratio".into(),
                supply: Some(s.supply_events.to_owned()),
                ..base(s.req, id, Verdict::Inconclusive)
            }
        };
        out.checks.push(c);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn no_reports_is_said_not_counted_as_precision() {
        let e = EventLevel {
            truth: 14,
            reported: 0,
            matched: 0,
            precision: 1.0,
            recall: 0.0,
            f1: 0.0,
        };
        assert_eq!(events_line(&e), "14 true, no reports: recall 0.0 %");
    }
}
