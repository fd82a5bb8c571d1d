//! `eseal name parse` / `eseal name format`: the protocol crate's name codec for people who debug
//! devices by hand.

use eseal_protocol::{
    CameraCode, DailyCount, EvidenceName, Extension, LockCode, LockState, MineCode, MineTime,
    NameError, TamperKind, TransportState,
};
use serde_json::{Value, json};

/// The fields of a name as JSON, for `name parse --json`, the demo report and tests.
pub fn fields(name: &EvidenceName) -> Value {
    let mut v = json!({
        "name": name.to_string(),
        "clause": name.clause().to_string(),
        "mine": name.mine().as_str(),
        "county": name.mine().county_code(),
        "time_cst": name.time().to_string(),
        "time_utc": name.time().to_utc().to_rfc3339(),
        "extension": name.extension().to_string(),
    });
    let obj = v.as_object_mut().expect("json! object");
    if let Some(c) = name.camera() {
        obj.insert("camera".into(), json!(c.to_string()));
    }
    if let Some(t) = name.analysis_type() {
        obj.insert("analysis_type".into(), json!(t.code()));
    }
    if let Some(n) = name.count() {
        obj.insert("count".into(), json!(n.get()));
    }
    if let Some(s) = name.transport_state() {
        obj.insert("transport_state".into(), json!(s.to_string()));
    }
    if let Some(l) = name.lock() {
        obj.insert("lock".into(), json!(l.to_string()));
    }
    if let Some(s) = name.lock_state() {
        obj.insert("lock_state".into(), json!(s.to_string()));
    }
    v
}

/// One line per name: the fields, or the error naming the field. Returns the text and whether
/// every name parsed.
pub fn parse_report(names: &[String], as_json: bool) -> (String, bool) {
    let mut out = String::new();
    let mut all_ok = true;
    for raw in names {
        match EvidenceName::parse(raw) {
            Ok(parsed) => {
                let mut v = fields(&parsed.name);
                v["findings"] = json!(parsed.findings);
                if as_json {
                    out.push_str(&v.to_string());
                } else {
                    out.push_str(&format!("{raw}: ok"));
                    if let Some(obj) = v.as_object() {
                        for (k, val) in obj {
                            if k == "name" || k == "findings" {
                                continue;
                            }
                            let shown = val.as_str().map_or_else(|| val.to_string(), str::to_owned);
                            out.push_str(&format!("\n  {k:<16}{shown}"));
                        }
                    }
                    for f in &parsed.findings {
                        out.push_str(&format!("\n  finding ({}): {}", f.clause, f.message));
                    }
                }
            }
            Err(err) => {
                all_ok = false;
                if as_json {
                    out.push_str(
                        &json!({ "name": raw, "error": err, "message": err.to_string() })
                            .to_string(),
                    );
                } else {
                    out.push_str(&format!("{raw:?}: {err}"));
                }
            }
        }
        out.push('\n');
    }
    (out, all_ok)
}

/// What `name format` is given, before validation.
#[derive(Debug, Default, Clone)]
pub struct FormatArgs {
    pub clause: String,
    pub mine: String,
    pub camera: Option<String>,
    pub count: Option<u16>,
    pub time: String,
    pub state: Option<String>,
    pub kind: Option<String>,
    pub lock: Option<String>,
    pub lock_state: Option<String>,
    pub ext: Option<String>,
}

/// Builds a name from fields; errors name the missing or malformed field.
pub fn format_name(a: &FormatArgs) -> Result<EvidenceName, String> {
    let need = |v: &Option<String>, flag: &str| {
        v.clone()
            .ok_or_else(|| format!("--{flag} is required for {}", a.clause.to_uppercase()))
    };
    let e = |err: NameError| err.to_string();
    let mine = MineCode::parse(&a.mine).map_err(e)?;
    let time = MineTime::parse(&a.time).map_err(e)?;
    let camera = || -> Result<CameraCode, String> {
        CameraCode::parse(&need(&a.camera, "camera")?).map_err(e)
    };
    let count = || -> Result<DailyCount, String> {
        let n = a
            .count
            .ok_or_else(|| format!("--count is required for {}", a.clause.to_uppercase()))?;
        DailyCount::new(n).map_err(e)
    };
    let name = match a.clause.to_uppercase().as_str() {
        "U1" => EvidenceName::People {
            mine,
            camera: camera()?,
            count: count()?,
            time,
        },
        "U2" => EvidenceName::Truck {
            mine,
            camera: camera()?,
            count: count()?,
            time,
        },
        "U3" => EvidenceName::Transport {
            mine,
            camera: camera()?,
            state: a
                .state
                .as_deref()
                .map(TransportState::parse)
                .transpose()
                .map_err(e)?,
            time,
        },
        "U4" => EvidenceName::Tamper {
            mine,
            camera: camera()?,
            kind: TamperKind::parse(&need(&a.kind, "kind")?).map_err(e)?,
            time,
        },
        "U5" => EvidenceName::Lock {
            mine,
            lock: LockCode::parse(&need(&a.lock, "lock")?).map_err(e)?,
            state: LockState::parse(&need(&a.lock_state, "lock-state")?).map_err(e)?,
            time,
            ext: match a.ext.as_deref() {
                None | Some("mp4") | Some(".mp4") => Extension::Mp4,
                Some("jpg") | Some(".jpg") => Extension::Jpg,
                Some(other) => return Err(format!("--ext: expected mp4 or jpg, found {other:?}")),
            },
        },
        other => {
            return Err(format!(
                "--clause: expected one of U1, U2, U3, U4, U5, found {other:?}"
            ));
        }
    };
    Ok(name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parse_report_names_the_field_of_a_bad_name() {
        let (out, ok) = parse_report(
            &["14042100786620010a0520210104224515.jpg".to_owned()],
            false,
        );
        assert!(!ok);
        assert!(out.contains("field count"), "{out}");
    }

    #[test]
    fn format_then_parse_gives_the_spec_example() {
        let args = FormatArgs {
            clause: "u1".into(),
            mine: "140421007866".into(),
            camera: Some("20".into()),
            count: Some(5),
            time: "20210104224515".into(),
            ..FormatArgs::default()
        };
        let name = format_name(&args).expect("valid fields");
        assert_eq!(name.to_string(), "1404210078662001000520210104224515.jpg");
    }

    #[test]
    fn format_names_the_missing_flag() {
        let args = FormatArgs {
            clause: "U4".into(),
            mine: "140421007866".into(),
            camera: Some("20".into()),
            time: "20210104094515".into(),
            ..FormatArgs::default()
        };
        assert_eq!(format_name(&args).unwrap_err(), "--kind is required for U4");
    }
}
