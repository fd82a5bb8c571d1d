//! E4: capture of people going down. A true person going down is captured when the U1 matched to
//! them (E3 down's matching, rectangles breaking ties) shows a drawn rectangle with IoU ≥ 0.5
//! against that person's full or visible truth box (R4) in the frame the JPEG shows — located by
//! the judge's own pass over the simulation ([`crate::judge::capture_pass`]).

use eseal_simulator::scenario::Camera;

use super::counting::DownScore;
use super::{CAPTURE_FLOOR, Ctx, IOU_FLOOR, Out, Req, base, pass_if, pct};
use crate::judge::capture::{corners, iou};
use crate::judge::verdict::{Check, Verdict};

const E4: Req = Req {
    clause: "E4",
    zh: "人员抓拍",
    en: "Capture of people going down",
    text: "Person detection, tracking and snapshot capture; capture rate ≥ 95 %; the rectangle must overlap the true person (R4: IoU ≥ 0.5).",
};

/// How well an upload's rectangle fits a person: the best IoU against their full or visible box
/// in the frame the picture shows (0 when the rectangle was not found).
pub(super) fn fit(ctx: &Ctx<'_>, person: u32, file: &str) -> f64 {
    match ctx.seen.captures.get(file) {
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
}

pub(super) fn check(ctx: &Ctx<'_>, cam: &Camera, down: &DownScore, out: &mut Out) {
    let code = cam.code.to_string();
    let id = format!("E4.capture.{code}");
    let Some(scored) = &down.scored else { return };
    let excluded = scored.kept.excluded.clone();
    let words = |c: &mut Check| {
        super::exclusion::disclose(c, excluded.as_ref(), ("people going down", "U1 uploads"));
    };
    if !scored.conclusive {
        let n = scored.kept.truth.len();
        let left = scored.kept.truth.iter().filter(|k| !**k).count();
        let mut c = Check {
            expected: format!(
                "at most {} of the camera's people going down in tamper windows",
                pct(super::EXCLUSION_LIMIT)
            ),
            actual: format!(
                "{left} of {n} people going down fall in tamper windows: the scenario is not evidence for E4 on camera {code}"
            ),
            unit: "ratio".into(),
            supply: Some(format!(
                "摄像机 {code} 大部分时间未被遮挡的场景 / a scenario in which camera {code} sees most of its people going down"
            )),
            ..base(&E4, id, Verdict::Inconclusive)
        };
        words(&mut c);
        out.checks.push(c);
        return;
    }
    let m = scored.kept.restrict(&scored.paired.matching);
    let kept_people = scored.kept.truth.iter().filter(|k| **k).count();
    let kept_files = scored.kept.reports.iter().filter(|k| **k).count();
    if kept_people == 0 && kept_files == 0 {
        let mut c = Check {
            expected: "—".into(),
            actual: "nobody went down".into(),
            unit: "ratio".into(),
            ..base(&E4, id, Verdict::NotApplicable)
        };
        words(&mut c);
        out.checks.push(c);
        return;
    }
    let mut findings = Vec::new();
    let mut evidence = Vec::new();
    let mut captured = 0usize;
    for &(i, j) in &m.pairs {
        let (t, person) = down.people[i];
        let name = &down.files[j];
        match ctx.seen.captures.get(name) {
            Some(Ok(_)) => {
                let v = fit(ctx, person, name);
                if v + 1e-12 >= IOU_FLOOR {
                    captured += 1;
                } else {
                    findings.push(format!(
                        "person {person} at {t:.1} s: {name} rectangle IoU {v:.2} < {IOU_FLOOR}"
                    ));
                    evidence.push(ctx.evidence_path(name));
                }
            }
            Some(Err(e)) => {
                findings.push(format!("person {person} at {t:.1} s: {name}: {e}"));
                evidence.push(ctx.evidence_path(name));
            }
            None => findings.push(format!(
                "person {person} at {t:.1} s: {name} was not examined"
            )),
        }
    }
    for &i in &m.missed {
        findings.push(format!(
            "person {} going down at {:.1} s: not captured",
            down.people[i].1, down.people[i].0
        ));
    }
    let rate = if kept_people == 0 {
        1.0
    } else {
        captured as f64 / kept_people as f64
    };
    let mut c = Check {
        expected: format!("capture rate ≥ {} (IoU ≥ {IOU_FLOOR})", pct(CAPTURE_FLOOR)),
        actual: format!("{captured} of {kept_people} captured: {}", pct(rate)),
        value: Some(super::round6(rate)),
        bar: Some(CAPTURE_FLOOR),
        unit: "ratio".into(),
        findings,
        evidence,
        ..base(&E4, id, pass_if(rate + 1e-12 >= CAPTURE_FLOOR))
    };
    words(&mut c);
    out.checks.push(c);
}
