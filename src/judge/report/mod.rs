//! Report writers: a [`CertificationReport`] on disk as the files a certification lab archives
//! and signs — `report.json`, `timings.json`, `report.html`, `junit.xml` and `MANIFEST.sha256` —
//! plus a headless-Chromium screenshot of the page. Formats: `docs/report-schema.md`.
//!
//! Key design decision: **every file is a pure function of its inputs, and the manifest seals
//! the directory.** `report.json` and `junit.xml` depend on the report alone; `report.html` on
//! the report and the timings; all are built by plain string writing (no template engine, no
//! map iteration, fixed number formats), so the same inputs give the same bytes. The page is one
//! self-contained file (inline CSS and SVG, no script, no fetch; evidence only by relative
//! link), so the directory can be archived and opened offline years later, and
//! `sha256sum -c MANIFEST.sha256` proves that neither the reports nor any evidence file under
//! `evidence/` changed since the judge wrote them.

mod html;
mod junit;

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::verdict::{CertificationReport, Timing};

pub use html::render_html;
pub use junit::render_junit;

/// File names inside a report directory.
pub const REPORT_JSON: &str = "report.json";
pub const TIMINGS_JSON: &str = "timings.json";
pub const REPORT_HTML: &str = "report.html";
pub const JUNIT_XML: &str = "junit.xml";
pub const MANIFEST: &str = "MANIFEST.sha256";
/// The folder (relative to the report directory) the caller copies evidence into.
pub const EVIDENCE_DIR: &str = "evidence";

/// How long [`screenshot`] waits for Chromium before killing it.
pub const SCREENSHOT_TIMEOUT: Duration = Duration::from_secs(120);
/// Viewport of [`screenshot`], CSS pixels at device scale 1 (so the PNG is 1280 px wide).
pub const SCREENSHOT_SIZE: (u32, u32) = (1280, 2400);

/// What can go wrong writing a report or taking its screenshot.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("could not {what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not serialise {what}: {source}")]
    Json {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// Chromium is not installed (or not on `PATH`).
    #[error(
        "`{program}` not found: install the Debian package `chromium` (and `fonts-noto-cjk` for \
         the Chinese text), e.g. with `just setup`"
    )]
    ChromiumMissing { program: String },
    #[error("chromium did not finish the screenshot of {} within {} s", html.display(), timeout.as_secs())]
    ChromiumTimeout { html: PathBuf, timeout: Duration },
    #[error("chromium failed on {} ({status}): {stderr}", html.display())]
    ChromiumFailed {
        html: PathBuf,
        status: String,
        stderr: String,
    },
}

fn io_err<'a>(
    what: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> ReportError + 'a {
    move |source| ReportError::Io {
        what,
        path: path.to_owned(),
        source,
    }
}

/// Where [`write_report`] put each file (all inside `dir`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPaths {
    pub dir: PathBuf,
    pub json: PathBuf,
    pub timings: PathBuf,
    pub html: PathBuf,
    pub junit: PathBuf,
    pub manifest: PathBuf,
}

/// Writes the report files into `dir` (created if needed), then the manifest over them and
/// every file under `dir/evidence/` (which the caller fills first). The report is written as
/// given: call [`CertificationReport::settle`] before if the verdicts may be stale. Existing
/// files of the same names are replaced.
pub fn write_report(
    dir: &Path,
    report: &CertificationReport,
    timings: &[Timing],
) -> Result<ReportPaths, ReportError> {
    std::fs::create_dir_all(dir).map_err(io_err("create", dir))?;
    let paths = ReportPaths {
        dir: dir.to_owned(),
        json: dir.join(REPORT_JSON),
        timings: dir.join(TIMINGS_JSON),
        html: dir.join(REPORT_HTML),
        junit: dir.join(JUNIT_XML),
        manifest: dir.join(MANIFEST),
    };
    write(&paths.json, &render_json(report)?)?;
    write(&paths.timings, &render_timings(timings)?)?;
    write(&paths.html, render_html(report, timings).as_bytes())?;
    write(&paths.junit, render_junit(report).as_bytes())?;
    write(&paths.manifest, render_manifest(dir)?.as_bytes())?;
    Ok(paths)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    std::fs::write(path, bytes).map_err(io_err("write", path))
}

/// `report.json`: the pretty serde form and a trailing newline.
pub fn render_json(report: &CertificationReport) -> Result<Vec<u8>, ReportError> {
    let mut bytes = serde_json::to_vec_pretty(report).map_err(|source| ReportError::Json {
        what: REPORT_JSON,
        source,
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// `timings.json`: the timings as a pretty JSON array and a trailing newline.
pub fn render_timings(timings: &[Timing]) -> Result<Vec<u8>, ReportError> {
    let mut bytes = serde_json::to_vec_pretty(timings).map_err(|source| ReportError::Json {
        what: TIMINGS_JSON,
        source,
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// `MANIFEST.sha256` of `dir`: one `sha256sum` line (`<hex>  <path>`) for each of the four
/// report files and every regular file under `evidence/` (recursively, symbolic links
/// followed), sorted by relative path (`/`-separated, byte order).
pub fn render_manifest(dir: &Path) -> Result<String, ReportError> {
    let mut files: Vec<String> = [REPORT_JSON, REPORT_HTML, JUNIT_XML, TIMINGS_JSON]
        .map(String::from)
        .to_vec();
    let evidence = dir.join(EVIDENCE_DIR);
    if evidence.is_dir() {
        walk(&evidence, EVIDENCE_DIR, &mut files)?;
    }
    files.sort();
    let mut out = String::new();
    for rel in &files {
        let path = dir.join(rel);
        let bytes = std::fs::read(&path).map_err(io_err("read", &path))?;
        let hex = hex::encode(Sha256::digest(&bytes));
        // sha256sum's own escape for names holding a backslash or a line break.
        if rel.contains(['\\', '\n', '\r']) {
            let escaped = rel
                .replace('\\', "\\\\")
                .replace('\n', "\\n")
                .replace('\r', "\\r");
            let _ = writeln!(out, "\\{hex}  {escaped}");
        } else {
            let _ = writeln!(out, "{hex}  {rel}");
        }
    }
    Ok(out)
}

fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) -> Result<(), ReportError> {
    for entry in std::fs::read_dir(dir).map_err(io_err("list", dir))? {
        let entry = entry.map_err(io_err("list", dir))?;
        let path = entry.path();
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            return Err(ReportError::Io {
                what: "name in the manifest (not UTF-8)",
                path,
                source: std::io::Error::from(std::io::ErrorKind::InvalidData),
            });
        };
        let rel = format!("{rel}/{name}");
        let meta = std::fs::metadata(&path).map_err(io_err("stat", &path))?;
        if meta.is_dir() {
            walk(&path, &rel, out)?;
        } else if meta.is_file() {
            out.push(rel);
        }
    }
    Ok(())
}

/// Screenshots `html` into `png` with headless Chromium (`chromium` on `PATH`, Debian package
/// `chromium`) at [`SCREENSHOT_SIZE`], killing it after [`SCREENSHOT_TIMEOUT`]. Each call uses
/// its own throw-away profile, so concurrent calls do not hand off to one browser.
pub fn screenshot(html: &Path, png: &Path) -> Result<(), ReportError> {
    screenshot_with("chromium", html, png, SCREENSHOT_TIMEOUT)
}

fn screenshot_with(
    program: &str,
    html: &Path,
    png: &Path,
    timeout: Duration,
) -> Result<(), ReportError> {
    let html = std::fs::canonicalize(html).map_err(io_err("find", html))?;
    let png = absolute(png)?;
    match std::fs::remove_file(&png) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(ReportError::Io {
                what: "replace",
                path: png,
                source: e,
            });
        }
    }
    let profile = tempfile::tempdir().map_err(io_err(
        "create a profile directory in",
        &std::env::temp_dir(),
    ))?;
    let (w, h) = SCREENSHOT_SIZE;
    let mut child = Command::new(program)
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--hide-scrollbars",
            "--no-first-run",
        ])
        .args(["--disable-dev-shm-usage", "--force-device-scale-factor=1"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("--window-size={w},{h}"))
        .arg(format!(
            "file://{}",
            html::url_path(&html.to_string_lossy())
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ReportError::ChromiumMissing {
                program: program.to_owned(),
            },
            _ => ReportError::Io {
                what: "start",
                path: PathBuf::from(program),
                source: e,
            },
        })?;
    // Drain stderr on a thread so a chatty browser never blocks on a full pipe.
    let mut stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.read_to_string(&mut text);
        }
        text
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child
            .try_wait()
            .map_err(io_err("wait for", Path::new(program)))?
        {
            Some(status) => break status,
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ReportError::ChromiumTimeout { html, timeout });
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    let stderr = reader.join().unwrap_or_default();
    if !status.success() || !png.is_file() {
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        let tail = tail.into_iter().rev().collect::<Vec<_>>().join(" | ");
        let status = if status.success() {
            "no PNG written".to_owned()
        } else {
            status.to_string()
        };
        return Err(ReportError::ChromiumFailed {
            html,
            status,
            stderr: tail,
        });
    }
    Ok(())
}

fn absolute(path: &Path) -> Result<PathBuf, ReportError> {
    if path.is_absolute() {
        return Ok(path.to_owned());
    }
    let cwd = std::env::current_dir().map_err(io_err("find", Path::new(".")))?;
    Ok(cwd.join(path))
}

#[cfg(test)]
mod tests;
