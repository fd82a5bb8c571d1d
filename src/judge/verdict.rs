//! What the judge concludes, as data: a verdict per check, per scenario, and overall. The report
//! writers ([`super::report`]) render these types and nothing else; `report.json` is their serde
//! form (schema `eseal-certification/2`, documented in `docs/report-schema.md`).
//!
//! Key design decision: **the JSON report is a pure function of scenario, seed and device.** It
//! holds no wall-clock figure (run times, generation date); those go to `timings.json` and the
//! HTML page, so two runs of the same case give byte-identical `report.json` files and golden
//! snapshots need no redaction.

use serde::{Deserialize, Serialize};

/// Schema identifier written into every `report.json`.
pub const SCHEMA: &str = "eseal-certification/2";

/// The verdict of one check, one scenario or a whole certification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Verdict {
    #[serde(rename = "PASS")]
    Pass,
    /// The spec can be read more than one way here; the report says what the device chose.
    #[serde(rename = "AMBIGUOUS-IN-SPEC")]
    AmbiguousInSpec,
    /// Nothing in the scenario exercises the clause (e.g. no trucks at a shaft mouth).
    #[serde(rename = "NOT-APPLICABLE")]
    NotApplicable,
    /// The scenario exercises the clause but the judge has no data to decide it (no day report
    /// from an external device, no count log, no arrival times, most of a camera's events in
    /// tamper windows …). Never a pass: the check's `supply` says what the lab must provide.
    #[serde(rename = "INCONCLUSIVE")]
    Inconclusive,
    #[serde(rename = "FAIL")]
    Fail,
}

impl Verdict {
    /// The label used in every format.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::AmbiguousInSpec => "AMBIGUOUS-IN-SPEC",
            Verdict::NotApplicable => "NOT-APPLICABLE",
            Verdict::Inconclusive => "INCONCLUSIVE",
            Verdict::Fail => "FAIL",
        }
    }

    /// The Chinese label of the HTML page.
    pub fn label_zh(self) -> &'static str {
        match self {
            Verdict::Pass => "通过",
            Verdict::AmbiguousInSpec => "规范存在歧义",
            Verdict::NotApplicable => "不适用",
            Verdict::Inconclusive => "无法判定",
            Verdict::Fail => "不通过",
        }
    }

    /// The verdict of a set of checks: FAIL if any failed; else INCONCLUSIVE if any could not
    /// be decided (what was not checked is never passed); else PASS if any passed or was
    /// ambiguous (an ambiguity never fails a device); else NOT-APPLICABLE.
    pub fn combine(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        let (mut any_applicable, mut inconclusive) = (false, false);
        for v in verdicts {
            match v {
                Verdict::Fail => return Verdict::Fail,
                Verdict::Inconclusive => inconclusive = true,
                Verdict::Pass | Verdict::AmbiguousInSpec => any_applicable = true,
                Verdict::NotApplicable => {}
            }
        }
        if inconclusive {
            Verdict::Inconclusive
        } else if any_applicable {
            Verdict::Pass
        } else {
            Verdict::NotApplicable
        }
    }
}

/// One check of one clause on one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Stable identifier, clause first: `E3.down.count`, `U1.name`, `U3.form` …
    pub id: String,
    /// The clause of `spec/REQUIREMENTS.md` it checks (`E3`, `U1`, `R4` …).
    pub clause: String,
    /// Short titles.
    pub title_zh: String,
    pub title_en: String,
    /// The requirement, in English, as the digest states it.
    pub requirement: String,
    pub verdict: Verdict,
    /// What the spec (or the bar) expects, and what the device did, in words with units.
    pub expected: String,
    pub actual: String,
    /// The measured figure and the bar, where the check is numeric (same unit as `unit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bar: Option<f64>,
    /// Unit of `value`/`bar`: `ratio`, `s`, `count` …
    pub unit: String,
    /// Evidence files behind the check, as paths relative to the report's directory.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// What went wrong, one line each (a missed person, an extra upload, a bad name …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
    /// True events and reports left out of the score, and why (tamper windows: don't-care
    /// regions). Present on every E3/E4/E5/U2 check whose camera has a window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded: Option<Excluded>,
    /// For an INCONCLUSIVE check: what the lab must supply for the judge to decide it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supply: Option<String>,
}

/// What a check left out of its score (see the exclusion rule in `docs/report-schema.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excluded {
    /// True events inside an exclusion window.
    pub truth: u32,
    /// Reports left out with them (matched to an excluded event, or unmatched with their own
    /// time inside a window).
    pub reports: u32,
    /// The windows, e.g. `camera 20 occluded 00:01:05–00:02:10`.
    pub reason: String,
}

/// Median, 95th percentile and maximum of a set of seconds, with the file of the maximum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub median_s: f64,
    pub p95_s: f64,
    pub max_s: f64,
    /// The upload behind `max_s`.
    pub worst: String,
}

/// R2 per camera: over every report matched to a true event (U1, U2, U3, U5), the device's
/// clock error (name time − truth) and its delay (arrival − truth).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraDelays {
    /// Camera code, or `locks` for U5 (lock events carry no camera).
    pub camera: String,
    /// Matched reports behind the figures.
    pub reports: u32,
    /// |name time − truth|, the name's second taken as the interval it stands for.
    pub clock_error: Spread,
    /// arrival − truth; absent when no arrival time is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<Spread>,
}

/// True and reported cumulative counts over time, for the plots (E3, E5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountSeries {
    /// e.g. `people down camera 20`.
    pub what: String,
    /// Seconds from the scenario start of every true event.
    pub truth_s: Vec<f64>,
    /// Seconds from the scenario start of every reported event.
    pub reported_s: Vec<f64>,
}

/// Who was judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceIdentity {
    /// `reference` or `external`.
    pub kind: String,
    /// Name and version as the device or the operator gave them.
    pub name: String,
    pub version: String,
    /// Deliberate faults switched on (violation cases), e.g. `drop_every_nth_person=5`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<String>,
    /// The reference device's person detector: `classical`, or `learned <model> sha256:<hex>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detector: Option<String>,
}

/// One evidence file the device uploaded, as kept next to the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceFile {
    /// The upload's file name (the spec's name).
    pub name: String,
    /// Path relative to the report's directory.
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

/// The judge's view of one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioReport {
    /// Scenario name and the file it came from (as given on the command line).
    pub scenario: String,
    pub file: String,
    /// The seed the run used (printed on failure with the command that reproduces it).
    pub seed: u64,
    pub mine: String,
    /// Scenario start, CST, RFC 3339.
    pub start: String,
    pub duration_s: f64,
    pub verdict: Verdict,
    pub checks: Vec<Check>,
    #[serde(default)]
    pub series: Vec<CountSeries>,
    #[serde(default)]
    pub evidence: Vec<EvidenceFile>,
    /// R2 figures per camera (clock error and delay from the truth).
    #[serde(default)]
    pub delays: Vec<CameraDelays>,
}

/// A whole certification: what `report.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificationReport {
    pub schema: String,
    /// `eseal` and its version.
    pub tool: String,
    pub tool_version: String,
    pub device: DeviceIdentity,
    /// Tolerance window used for matching (R2), seconds.
    pub skew_s: f64,
    pub latency_s: f64,
    pub verdict: Verdict,
    /// What the lab must supply before the judge can decide every check (from the
    /// INCONCLUSIVE checks, each once, in order of first appearance).
    #[serde(default)]
    pub must_supply: Vec<String>,
    pub scenarios: Vec<ScenarioReport>,
}

impl CertificationReport {
    /// Recomputes the scenario and overall verdicts from the checks, and what must be supplied.
    pub fn settle(&mut self) {
        for s in &mut self.scenarios {
            s.verdict = Verdict::combine(s.checks.iter().map(|c| c.verdict));
        }
        self.verdict = Verdict::combine(self.scenarios.iter().map(|s| s.verdict));
        self.must_supply.clear();
        for c in self.scenarios.iter().flat_map(|s| &s.checks) {
            if c.verdict == Verdict::Inconclusive
                && let Some(what) = &c.supply
                && !self.must_supply.contains(what)
            {
                self.must_supply.push(what.clone());
            }
        }
    }
}

/// Wall-clock figures of a run, kept out of `report.json` (see the module note).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    pub scenario: String,
    /// Frames analysed, wall seconds, scenario seconds, and their ratio (speed-up over real
    /// time).
    pub frames: u64,
    pub wall_s: f64,
    pub scenario_s: f64,
    pub speedup: f64,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn any_failure_fails_and_ambiguity_never_does() {
        use Verdict::*;
        assert_eq!(Verdict::combine([Pass, AmbiguousInSpec, Fail]), Fail);
        assert_eq!(Verdict::combine([Pass, AmbiguousInSpec]), Pass);
        assert_eq!(Verdict::combine([AmbiguousInSpec, NotApplicable]), Pass);
        assert_eq!(Verdict::combine([NotApplicable]), NotApplicable);
        assert_eq!(Verdict::combine([]), NotApplicable);
    }

    #[test]
    fn what_was_not_checked_is_never_passed() {
        use Verdict::*;
        assert_eq!(
            Verdict::combine([Pass, Inconclusive, NotApplicable]),
            Inconclusive
        );
        assert_eq!(Verdict::combine([Inconclusive, Fail]), Fail);
        assert_eq!(
            Verdict::combine([AmbiguousInSpec, Inconclusive]),
            Inconclusive
        );
    }

    #[test]
    fn verdicts_serialise_as_their_labels() {
        for v in [
            Verdict::Pass,
            Verdict::Fail,
            Verdict::AmbiguousInSpec,
            Verdict::NotApplicable,
            Verdict::Inconclusive,
        ] {
            assert_eq!(
                serde_json::to_string(&v).unwrap(),
                format!("\"{}\"", v.label())
            );
        }
    }
}
