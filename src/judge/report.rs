//! Report writers (placeholder until the HTML/JUnit writers land this session): report.json.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::verdict::{CertificationReport, Timing};

/// Where the report's files went.
#[derive(Debug, Clone)]
pub struct ReportPaths {
    pub json: PathBuf,
    pub html: PathBuf,
}

/// Writes `report.json` and `timings.json` into `dir`.
pub fn write_report(dir: &Path, report: &CertificationReport, timings: &[Timing]) -> Result<ReportPaths> {
    let json = dir.join("report.json");
    let mut bytes = serde_json::to_vec_pretty(report)?;
    bytes.push(b'\n');
    std::fs::write(&json, bytes).with_context(|| format!("writing {}", json.display()))?;
    std::fs::write(dir.join("timings.json"), serde_json::to_vec_pretty(timings)?)?;
    Ok(ReportPaths { html: dir.join("report.html"), json })
}
