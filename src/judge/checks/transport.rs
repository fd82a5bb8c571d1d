//! E2/U3: belt and skip state changes, each one 10-second H.264 clip (R3: 9.5–10.5 s). While
//! the camera is covered or turned, its state changes are left out as E3–E5 leave out crossings
//! (`exclusion`), disclosed on the check.

use eseal_protocol::Clause;
use eseal_simulator::scenario::Camera;
use eseal_simulator::truth::EventKind;

use super::counting::events_line;
use super::exclusion;
use super::pairing::{Stamp, pair_by_key};
use super::{CLIP_RANGE_S, Ctx, EXCLUSION_LIMIT, Out, Parsed, Req, Timed, base, pass_if, pct};
use crate::judge::verdict::{Check, Verdict};

const E2: Req = Req {
    clause: "E2",
    zh: "运输设备状态",
    en: "Belt and skip state",
    text: "Recognise the working state of belts and skips; each start and each loaded↔empty change while running gives one U3 10-second MP4 at once.",
};
const U3: Req = Req {
    clause: "U3",
    zh: "运输状态视频",
    en: "Transport state clips",
    text: "One 10-second MP4 per state change (R3: 9.5–10.5 s), H.264.",
};

pub(super) fn check(ctx: &Ctx<'_>, cam: &Camera, out: &mut Out) {
    let code = cam.code.to_string();
    let changes: Vec<(&'static str, f64)> = ctx
        .truth
        .iter()
        .filter(|e| e.camera == Some(cam.code))
        .filter_map(|e| match &e.kind {
            EventKind::Transport { state, .. } => Some((state.code(), e.t_ns as f64 / 1e9)),
            _ => None,
        })
        // Stopped at the start is the initial state, not a change.
        .filter(|(s, t)| !(*t == 0.0 && *s == "00"))
        .collect();
    let u3 = ctx.uploads_of(cam.code, Clause::U3);
    let stamp = |p: &Parsed<'_>| Stamp {
        name_s: p.t_s,
        arrived_s: p.upload.arrived_s,
    };
    // A 30-digit name carries no state: when no name has one, states are not compared
    // (the form is AMBIGUOUS-IN-SPEC, see U3.form).
    let stateless = u3.iter().all(|p| p.name.transport_state().is_none());
    let key = |s: Option<&'static str>| if stateless { None } else { s };
    let truth: Vec<(Option<&str>, f64)> = changes.iter().map(|c| (key(Some(c.0)), c.1)).collect();
    let reports: Vec<(Option<&str>, Stamp)> = u3
        .iter()
        .map(|p| (key(p.name.transport_state().map(|s| s.code())), stamp(p)))
        .collect();
    let all = pair_by_key(&truth, &reports, ctx.opts.window).matching;
    // What a covered or turned camera cannot see is left out, as of E3–E5 (issue 15's rule,
    // disclosed and bounded): a change inside a tamper window, and a clip named inside one
    // unless it is paired with a change outside.
    let truth_s: Vec<f64> = changes.iter().map(|c| c.1).collect();
    let names: Vec<f64> = u3.iter().map(|p| p.t_s).collect();
    let windows = ctx.windows_of(&code);
    let kept = exclusion::apply(windows, &code, ctx.duration_s, &truth_s, &names, &all);
    if !changes.is_empty() && kept.excluded_share() > EXCLUSION_LIMIT {
        out.checks.push(not_evidence(&code, &kept));
        clips(ctx, out, &U3, format!("U3.clip.{code}"), &u3);
        return;
    }
    let m = kept.restrict(&all);
    let ev = m.event_level();
    let mut f: Vec<String> = m
        .missed
        .iter()
        .map(|&i| format!("state {} at {:.1} s: no U3", changes[i].0, changes[i].1))
        .collect();
    f.extend(m.extra.iter().map(|&j| {
        format!(
            "{} at {:.1} s matches no state change (its state contradicts the equipment or nothing changed)",
            u3[j].upload.name, u3[j].t_s
        )
    }));
    for (i, j) in &m.pairs {
        out.timed.push(Timed {
            camera: code.clone(),
            file: u3[*j].upload.name.clone(),
            truth_s: changes[*i].1,
            name_s: u3[*j].t_s,
            arrived_s: u3[*j].upload.arrived_s,
        });
    }
    let id = format!("E2.transport.{code}");
    let mut check = if changes.is_empty() && u3.is_empty() {
        Check {
            expected: "—".into(),
            actual: "no state change".into(),
            unit: "ratio".into(),
            ..base(&E2, id, Verdict::NotApplicable)
        }
    } else {
        Check {
            expected: "every state change reported, nothing else".into(),
            actual: events_line(&ev),
            value: Some(super::round6(ev.f1)),
            bar: Some(1.0),
            unit: "ratio".into(),
            findings: f,
            ..base(&E2, id, pass_if(ev.recall >= 1.0 && ev.precision >= 1.0))
        }
    };
    exclusion::disclose(&mut check, kept.excluded.as_ref(), NOUNS);
    out.checks.push(check);
    clips(ctx, out, &U3, format!("U3.clip.{code}"), &u3);
}

/// What the exclusion disclosure calls the true events and the reports.
const NOUNS: (&str, &str) = ("state changes", "U3 clips");

/// Most of the camera's state changes fall in tamper windows: no verdict on E2.
fn not_evidence(code: &str, kept: &exclusion::Kept) -> Check {
    let n = kept.truth.len();
    let left = kept.truth.iter().filter(|k| !**k).count();
    let mut c = Check {
        expected: format!(
            "at most {} of the camera's state changes in tamper windows",
            pct(EXCLUSION_LIMIT)
        ),
        actual: format!(
            "{left} of {n} state changes fall in tamper windows: the scenario is not evidence for E2 on camera {code}"
        ),
        unit: "ratio".into(),
        supply: Some(format!(
            "摄像机 {code} 大部分时间未被遮挡的场景 / a scenario in which camera {code} sees most of its equipment's state changes"
        )),
        ..base(&E2, format!("E2.transport.{code}"), Verdict::Inconclusive)
    };
    exclusion::disclose(&mut c, kept.excluded.as_ref(), NOUNS);
    c
}

/// Every clip H.264 and 9.5–10.5 s long (U3, U5).
pub(super) fn clips(ctx: &Ctx<'_>, out: &mut Out, req: &Req, id: String, uploads: &[&Parsed<'_>]) {
    if uploads.is_empty() {
        out.checks.push(Check {
            expected: "—".into(),
            actual: "no clip".into(),
            unit: "s".into(),
            ..base(req, id, Verdict::NotApplicable)
        });
        return;
    }
    let mut f = Vec::new();
    let mut ev = Vec::new();
    let mut shortest = f64::INFINITY;
    for p in uploads {
        let name = &p.upload.name;
        match ctx.seen.clips.get(name) {
            Some(Ok(c)) => {
                shortest = shortest.min(c.duration_s);
                if !(CLIP_RANGE_S.0..=CLIP_RANGE_S.1).contains(&c.duration_s) || !c.h264 {
                    f.push(format!(
                        "{name}: {:.2} s{}",
                        c.duration_s,
                        if c.h264 { "" } else { ", not H.264" }
                    ));
                    ev.push(ctx.evidence_path(name));
                }
            }
            Some(Err(e)) => {
                f.push(format!("{name}: {e}"));
                ev.push(ctx.evidence_path(name));
            }
            None => f.push(format!("{name}: not examined")),
        }
    }
    let n = uploads.len();
    let ok = f.is_empty();
    out.checks.push(Check {
        expected: format!("H.264, {}–{} s (R3)", CLIP_RANGE_S.0, CLIP_RANGE_S.1),
        actual: format!("{} of {n} clip(s) wrong", f.len()),
        value: shortest.is_finite().then(|| super::round6(shortest)),
        unit: "s".into(),
        findings: f,
        evidence: ev,
        ..base(req, id, pass_if(ok))
    });
}
