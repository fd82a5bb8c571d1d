//! U4: every tamper interval found within the check cadence, no false finding. The window a U4
//! may come in runs from 1 s + skew before the interval to its end + the cadence + skew +
//! latency (a device checks on its cadence, then uploads at once).

use std::collections::BTreeSet;

use eseal_protocol::Clause;
use eseal_simulator::scenario::Camera;

use super::{Ctx, Out, Req, base, pass_if};
use crate::judge::verdict::Check;

const U4: Req = Req {
    clause: "U4",
    zh: "遮挡与角度挪动",
    en: "Camera occluded or moved",
    text: "Checked once per hour; each camera found occluded (04) or moved (05) gives one JPEG at once.",
};

pub(super) fn check(ctx: &Ctx<'_>, cam: &Camera, out: &mut Out) {
    let code = cam.code.to_string();
    let u4 = ctx.uploads_of(cam.code, Clause::U4);
    let windows = ctx.windows_of(&code);
    if windows.is_empty() && u4.is_empty() {
        return;
    }
    let w = ctx.opts.window;
    let mut f = Vec::new();
    let mut found = 0;
    let mut used = BTreeSet::new();
    for win in windows {
        let end = win.end_s.unwrap_or(ctx.duration_s);
        let (a, b) = (
            win.start_s - 1.0 - w.skew_s,
            end + ctx.opts.tamper_interval_s + w.skew_s + w.latency_s,
        );
        let hits: Vec<usize> = u4
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                p.name.tamper_kind().map(|k| k.code()) == Some(win.analysis.as_str())
                    && p.t_s >= a
                    && p.t_s <= b
            })
            .map(|(j, _)| j)
            .collect();
        if hits.is_empty() {
            f.push(format!(
                "{} from {:.1} s to {}: no U4 of type {} within the check cadence ({} s)",
                win.label(),
                win.start_s,
                win.end_s
                    .map_or("the end".to_owned(), |e| format!("{e:.1} s")),
                win.analysis,
                ctx.opts.tamper_interval_s
            ));
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
    let value = if windows.is_empty() {
        if false_alarms == 0 { 1.0 } else { 0.0 }
    } else {
        found as f64 / windows.len() as f64
    };
    out.checks.push(Check {
        expected: "every tamper interval found within the check cadence, no false finding".into(),
        actual: format!(
            "{found} of {} intervals found, {false_alarms} false finding(s), {} U4 upload(s)",
            windows.len(),
            u4.len()
        ),
        value: Some(super::round6(value)),
        bar: Some(1.0),
        unit: "ratio".into(),
        findings: f,
        ..base(
            &U4,
            format!("U4.tamper.{code}"),
            pass_if(found == windows.len() && false_alarms == 0),
        )
    });
}
