//! U5: every e-lock event reported by HTTPS at once with a 10-second H.264 clip; the spec's
//! table and example disagree on the extension (AMBIGUOUS-IN-SPEC).

use eseal_protocol::{Clause, Extension};
use eseal_simulator::truth::EventKind;

use super::counting::events_line;
use super::pairing::{Stamp, pair_by_key};
use super::{Ctx, Out, Parsed, Req, Timed, base, pass_if};
use crate::judge::verdict::{Check, Verdict};

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

pub(super) fn check(ctx: &Ctx<'_>, out: &mut Out) {
    let locks: Vec<(String, f64)> = ctx
        .truth
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Lock { lock, state } => {
                Some((format!("{lock}/{state}"), e.t_ns as f64 / 1e9))
            }
            _ => None,
        })
        .collect();
    let u5: Vec<&Parsed<'_>> = ctx
        .parsed
        .iter()
        .filter(|p| p.name.clause() == Clause::U5)
        .collect();
    if locks.is_empty() && u5.is_empty() {
        out.checks.push(Check {
            expected: "—".into(),
            actual: "no lock event".into(),
            unit: "ratio".into(),
            ..base(&U5, "U5.lock", Verdict::NotApplicable)
        });
        return;
    }
    let key = |p: &Parsed<'_>| {
        format!(
            "{}/{}",
            p.name.lock().map(|l| l.to_string()).unwrap_or_default(),
            p.name
                .lock_state()
                .map(|s| s.to_string())
                .unwrap_or_default()
        )
    };
    let reports: Vec<(String, Stamp)> = u5
        .iter()
        .map(|p| {
            (
                key(p),
                Stamp {
                    name_s: p.t_s,
                    arrived_s: p.upload.arrived_s,
                },
            )
        })
        .collect();
    let m = pair_by_key(&locks, &reports, ctx.opts.window).matching;
    let ev = m.event_level();
    let mut f: Vec<String> = m
        .missed
        .iter()
        .map(|&i| format!("lock {} at {:.1} s: no U5", locks[i].0, locks[i].1))
        .collect();
    f.extend(m.extra.iter().map(|&j| {
        format!(
            "{} at {:.1} s matches no lock event",
            u5[j].upload.name, u5[j].t_s
        )
    }));
    for (i, j) in &m.pairs {
        out.timed.push(Timed {
            camera: "locks".into(),
            file: u5[*j].upload.name.clone(),
            truth_s: locks[*i].1,
            name_s: u5[*j].t_s,
            arrived_s: u5[*j].upload.arrived_s,
        });
    }
    out.checks.push(Check {
        expected: "every lock event reported, nothing else".into(),
        actual: events_line(&ev),
        value: Some(super::round6(ev.f1)),
        bar: Some(1.0),
        unit: "ratio".into(),
        findings: f,
        ..base(
            &U5,
            "U5.lock",
            pass_if(ev.recall >= 1.0 && ev.precision >= 1.0),
        )
    });
    super::transport::clips(ctx, out, &U5, "U5.clip".into(), &u5);
    let jpg = u5
        .iter()
        .filter(|p| p.name.extension() == Extension::Jpg)
        .count();
    out.checks.push(Check {
        expected: "the spec's table says .jpg, its example .mp4".into(),
        actual: format!(
            "the device used .mp4 for {} and .jpg for {jpg} of {} U5 upload(s)",
            u5.len() - jpg,
            u5.len()
        ),
        ..base(&U5_EXT, "U5.extension", Verdict::AmbiguousInSpec)
    });
}
