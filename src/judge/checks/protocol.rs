//! The wire: names and codes (U1–U5), the daily counters in U1/U2 names, delivery (U7), file
//! types, and the spec's ambiguities surfaced rather than guessed (U3 form, U8 return-air code).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use eseal_protocol::{AnalysisType, Clause, Extension};
use eseal_simulator::scene::SiteKind;

use super::{Ctx, Out, Parsed, Req, base, pass_if};
use crate::judge::verdict::{Check, Verdict};

pub(super) const U1: Req = Req {
    clause: "U1",
    zh: "入井人员日累计编号",
    en: "Daily people counter in U1 names",
    text: "The 4-digit count is cumulative for the day (00:00:00–23:59:59 CST) and reset to zero each day.",
};
pub(super) const U2: Req = Req {
    clause: "U2",
    zh: "车辆日累计编号",
    en: "Daily truck counter in U2 names",
    text: "The 4-digit count is cumulative for the day (00:00:00–23:59:59 CST) and reset to zero each day.",
};
const U3_FORM: Req = Req {
    clause: "U3",
    zh: "运输状态文件名形式",
    en: "Transport state name form",
    text: "The naming rule gives 30 digits, the spec's example 32 (a state code after the type): ambiguous in spec.",
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
const DELIVERY: Req = Req {
    clause: "U7",
    zh: "上传被接收",
    en: "Uploads accepted, once each",
    text: "Every upload is accepted by the platform; nothing arrives twice.",
};
const FILE_TYPE: Req = Req {
    clause: "U1-U5",
    zh: "文件类型",
    en: "File type",
    text: "A .jpg decodes as a JPEG, an .mp4 is an ISO-BMFF file. (Whether a picture shows the camera's frame is E4's frame comparison.)",
};

pub(super) fn check(ctx: &Ctx<'_>, out: &mut Out) {
    ambiguities(ctx, out);
    names(ctx, out);
    delivery(ctx, out);
    file_types(ctx, out);
}

fn ambiguities(ctx: &Ctx<'_>, out: &mut Out) {
    let u3: Vec<&Parsed<'_>> = ctx
        .parsed
        .iter()
        .filter(|p| p.name.clause() == Clause::U3)
        .collect();
    if !u3.is_empty() {
        let long = u3.iter().filter(|p| p.name.digit_len() == 32).count();
        out.checks.push(Check {
            expected: "the rule's 30 digits or the example's 32 (with a state code)".into(),
            actual: format!(
                "{long} of {} U3 name(s) in the 32-digit form, {} in the 30-digit form",
                u3.len(),
                u3.len() - long
            ),
            ..base(&U3_FORM, "U3.form", Verdict::AmbiguousInSpec)
        });
    }
    let return_air: Vec<String> = ctx
        .scenario
        .cameras
        .iter()
        .filter(|c| c.site == SiteKind::ReturnAirShaft)
        .map(|c| c.code.to_string())
        .collect();
    if !return_air.is_empty() {
        out.checks.push(Check {
            expected: "the spec gives no camera code for the return-air shaft".into(),
            actual: format!(
                "return-air camera(s) configured as {}",
                return_air.join(", ")
            ),
            ..base(&U8, "U8.return-air-code", Verdict::AmbiguousInSpec)
        });
    }
}

/// Every name parses and carries the mine's codes. (Whether its time is right is R2.skew's.)
fn names(ctx: &Ctx<'_>, out: &mut Out) {
    let sc = ctx.scenario;
    let mut f = ctx.bad_names.clone();
    let mine = sc.mine.code;
    for p in &ctx.parsed {
        if p.name.mine() != mine {
            f.push(format!(
                "{}: mine code {} is not the mine's {mine}",
                p.upload.name,
                p.name.mine()
            ));
        }
        let Some(cam) = p.name.camera() else { continue };
        match sc.cameras.iter().find(|c| c.code == cam) {
            None => f.push(format!(
                "{}: camera code {cam} is none of the mine's cameras ({})",
                p.upload.name,
                sc.cameras
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
    let n = ctx.seen.uploads.len();
    let ok = f.is_empty();
    out.checks.push(Check {
        expected: "every name parses and carries the mine's codes".into(),
        actual: format!("{} of {n} upload(s) wrong", f.len()),
        unit: "count".into(),
        findings: f,
        ..base(&NAMES, "protocol.names", pass_if(ok))
    });
}

fn delivery(ctx: &Ctx<'_>, out: &mut Out) {
    let mut f: Vec<String> = ctx
        .seen
        .refused
        .iter()
        .map(|(n, why)| format!("refused {n}: {why}"))
        .collect();
    let mut names = BTreeSet::new();
    for u in &ctx.seen.uploads {
        if !names.insert(&u.name) {
            f.push(format!("{} arrived twice", u.name));
        }
    }
    let ok = f.is_empty();
    out.checks.push(Check {
        expected: "every upload accepted, once".into(),
        actual: format!(
            "{} accepted, {} refused",
            ctx.seen.uploads.len(),
            ctx.seen.refused.len()
        ),
        unit: "count".into(),
        findings: f,
        ..base(&DELIVERY, "protocol.delivery", pass_if(ok))
    });
}

fn file_types(ctx: &Ctx<'_>, out: &mut Out) {
    let mut f = Vec::new();
    for p in &ctx.parsed {
        let b = &p.upload.bytes;
        let ok = match p.name.extension() {
            Extension::Jpg => {
                b.starts_with(&[0xFF, 0xD8])
                    && image::load_from_memory_with_format(b, image::ImageFormat::Jpeg).is_ok()
            }
            Extension::Mp4 => b.len() > 8 && &b[4..8] == b"ftyp",
        };
        if !ok {
            f.push(format!(
                "{}: not a {} file",
                p.upload.name,
                p.name.extension()
            ));
        }
    }
    let ok = f.is_empty();
    out.checks.push(Check {
        expected: "each file of the type its extension names".into(),
        actual: format!("{} of {} file(s) wrong", f.len(), ctx.parsed.len()),
        unit: "count".into(),
        findings: f,
        ..base(&FILE_TYPE, "protocol.file-type", pass_if(ok))
    });
}

/// U1/U2: per CST day, counts run 1, 2, 3 … in time order.
pub(super) fn counter(out: &mut Out, req: &Req, id: String, uploads: &[&Parsed<'_>]) {
    if uploads.is_empty() {
        out.checks.push(Check {
            expected: "—".into(),
            actual: "no upload".into(),
            ..base(req, id, Verdict::NotApplicable)
        });
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
    let ok = f.is_empty();
    out.checks.push(Check {
        expected: "0001, 0002, … each CST day, reset at 00:00".into(),
        actual: if ok {
            format!("{} upload(s) in order", uploads.len())
        } else {
            f[0].clone()
        },
        findings: f,
        ..base(req, id, pass_if(ok))
    });
}
