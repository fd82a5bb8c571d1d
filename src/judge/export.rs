//! `eseal certify --export-matching DIR`: the event-level matchings behind every E3/E5 events
//! check, as JSON files an independent scorer can read (`tests/scorers/sed_eval_check.py` runs
//! `sed_eval` on them in CI, so the judge's precision and recall are checked by code nobody here
//! wrote).
//!
//! One file per check: `DIR/<case>/<check id>.json` holding `check`, `window` (`skew_s`,
//! `latency_s`: a report at `r` may be event `t` when `t − skew ≤ r ≤ t + skew + latency`),
//! `truth_s` and `reported_s` (seconds from the scenario start, after the exclusions) and
//! `judge` (the judge's own `truth`, `reported`, `matched`, `precision`, `recall`, `f1`).

use std::path::Path;

use anyhow::{Context, Result};

use super::checks::MatchingExport;

/// Writes one case's matchings under `dir/<case>/`.
pub fn write_matchings(dir: &Path, case: &str, exports: &[MatchingExport]) -> Result<()> {
    let sub = dir.join(case);
    std::fs::create_dir_all(&sub).with_context(|| format!("creating {}", sub.display()))?;
    for e in exports {
        let path = sub.join(format!("{}.json", e.check));
        let json = serde_json::to_vec_pretty(e).context("serialising a matching")?;
        std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
