//! Case files (issue 5, deliver 6): a scenario file is a conformant case; a *violation case* is a
//! small TOML file naming a scenario, the faults the reference device is given, and the checks
//! that must fail because of them.
//!
//! ```toml
//! about = "The device forgets the midnight reset: the U1 counter runs on after 00:00 CST."
//! scenario = "../conformant/midnight-reset.toml"   # relative to this file
//! duration_s = 120                                 # optional: judge only the first 120 s
//! [faults]
//! no_midnight_reset = true
//! [expect]
//! fail = ["U1.counter", "E3.down.count"]           # check-id prefixes that must FAIL
//! ambiguous = []                                   # … that must be AMBIGUOUS-IN-SPEC
//! ```
//!
//! Every other check must not fail: the data-driven test over `scenarios/violations/` holds each
//! case to exactly what it names.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use eseal_protocol::CameraCode;
use eseal_simulator::Scenario;
use eseal_vision::device::Faults;
use serde::Deserialize;

use super::certify::Case;
use super::verdict::{ScenarioReport, Verdict};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    about: String,
    scenario: PathBuf,
    #[serde(default)]
    duration_s: Option<f64>,
    #[serde(default)]
    faults: FaultSpec,
    #[serde(default)]
    platform: PlatformFaultSpec,
    expect: Expect,
}

/// Faults of the reference platform (the device is conformant): `[platform] push = false`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlatformFaultSpec {
    /// Alarms are pushed on the county's live feed (P14); `false` raises them silently.
    #[serde(default = "yes")]
    push: bool,
}

impl Default for PlatformFaultSpec {
    fn default() -> Self {
        PlatformFaultSpec { push: true }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultSpec {
    #[serde(default)]
    drop_every_nth_person: u32,
    #[serde(default)]
    no_midnight_reset: bool,
    /// `"20->21"`.
    #[serde(default)]
    rename_camera: Option<String>,
    #[serde(default)]
    swap_load_state: bool,
    #[serde(default)]
    no_rectangle: bool,
    #[serde(default)]
    u3_rule_form: bool,
    #[serde(default)]
    upload_batch_s: Option<f64>,
    #[serde(default)]
    clip_s: Option<f64>,
}

/// What a violation case must produce.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Check-id prefixes that must FAIL (each must match at least one check).
    #[serde(default)]
    pub fail: Vec<String>,
    /// Check-id prefixes that must be AMBIGUOUS-IN-SPEC.
    #[serde(default)]
    pub ambiguous: Vec<String>,
}

/// A loaded case and, for a violation case, what it must produce.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    pub case: Case,
    pub about: Option<String>,
    pub expect: Option<Expect>,
}

/// Loads a scenario file or a violation case file (told apart by a top-level `scenario` key).
pub fn load(path: &Path, seed: Option<u64>) -> Result<LoadedCase> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("{}: not TOML", path.display()))?;
    let mut loaded = if table.contains_key("scenario")
        && table.get("scenario").is_some_and(toml::Value::is_str)
    {
        let spec: CaseFile = toml::from_str(&text).with_context(|| {
            format!("{}: a violation case needs about, scenario, [faults] and [expect] (see scenarios/violations/README.md)", path.display())
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let scenario_path = base.join(&spec.scenario);
        let mut scenario = load_scenario(&scenario_path)?;
        if let Some(d) = spec.duration_s {
            if !(d.is_finite() && d > 0.0) {
                bail!(
                    "{}: duration_s must be a positive number of seconds, found {d}",
                    path.display()
                );
            }
            scenario.duration_ns = scenario.duration_ns.min((d * 1e9) as u64);
        }
        let f = &spec.faults;
        let rename_camera = match &f.rename_camera {
            None => None,
            Some(s) => Some(
                parse_rename(s)
                    .with_context(|| format!("{}: faults.rename_camera", path.display()))?,
            ),
        };
        let faults = Faults {
            drop_every_nth_person: f.drop_every_nth_person,
            no_midnight_reset: f.no_midnight_reset,
            rename_camera,
            swap_load_state: f.swap_load_state,
            no_rectangle: f.no_rectangle,
            u3_rule_form: f.u3_rule_form,
        };
        if spec.expect.fail.is_empty() && spec.expect.ambiguous.is_empty() {
            bail!(
                "{}: [expect] names no check (fail = [...] or ambiguous = [...])",
                path.display()
            );
        }
        let name = path
            .file_stem()
            .map_or_else(|| "case".to_owned(), |s| s.to_string_lossy().into_owned());
        LoadedCase {
            case: Case {
                name,
                file: path.display().to_string(),
                scenario,
                faults,
                upload_batch_s: f.upload_batch_s,
                clip_s: f.clip_s,
                platform_push_disabled: !spec.platform.push,
            },
            about: Some(spec.about),
            expect: Some(spec.expect),
        }
    } else {
        LoadedCase {
            case: Case::conformant(load_scenario(path)?),
            about: None,
            expect: None,
        }
    };
    if let Some(s) = seed {
        loaded.case.scenario.seed = s;
    }
    Ok(loaded)
}

fn load_scenario(path: &Path) -> Result<Scenario> {
    Scenario::load(path).map_err(|e| anyhow::anyhow!("{e}"))
}

fn parse_rename(s: &str) -> Result<(CameraCode, CameraCode)> {
    let (a, b) = s.split_once("->").with_context(|| {
        format!("expected \"FROM->TO\" camera codes, e.g. \"20->21\", found {s:?}")
    })?;
    let code = |x: &str| {
        CameraCode::parse(x.trim()).map_err(|e| anyhow::anyhow!("camera code {x:?}: {e}"))
    };
    Ok((code(a)?, code(b)?))
}

/// The case files named: files as given, directories as their `*.toml` files in name order
/// (files named `EXAMPLE.toml` or starting with `_` are left out).
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("reading {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "toml"))
                .filter(|f| {
                    f.file_name().is_some_and(|n| {
                        n != "EXAMPLE.toml" && !n.to_string_lossy().starts_with('_')
                    })
                })
                .collect();
            v.sort();
            if v.is_empty() {
                bail!("{}: no *.toml case in this directory", p.display());
            }
            out.extend(v);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            bail!("{}: no such file or directory", p.display());
        }
    }
    Ok(out)
}

/// What a violation case's outcome got wrong (empty when it is exactly as expected): every
/// expected prefix matches a check with that verdict, and no other check failed.
pub fn expectation_errors(report: &ScenarioReport, expect: &Expect) -> Vec<String> {
    let mut errors = Vec::new();
    let matches = |id: &str, list: &[String]| list.iter().any(|p| id.starts_with(p.as_str()));
    for (list, want) in [
        (&expect.fail, Verdict::Fail),
        (&expect.ambiguous, Verdict::AmbiguousInSpec),
    ] {
        for p in list {
            let hits: Vec<_> = report
                .checks
                .iter()
                .filter(|c| c.id.starts_with(p.as_str()))
                .collect();
            if hits.is_empty() {
                errors.push(format!("no check {p}* was made"));
            } else if !hits.iter().any(|c| c.verdict == want) {
                errors.push(format!(
                    "{p}* should be {} but is {}",
                    want.label(),
                    hits.iter()
                        .map(|c| format!("{} {}", c.id, c.verdict.label()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
    }
    for c in &report.checks {
        if c.verdict == Verdict::Fail && !matches(&c.id, &expect.fail) {
            errors.push(format!(
                "{} failed, which the case does not target: {} ({})",
                c.id,
                c.actual,
                c.findings.first().map_or("", String::as_str)
            ));
        }
    }
    errors
}
