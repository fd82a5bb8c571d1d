//! Report writers (issue 5, deliver 4): one [`CertificationReport`] as `report.json`, a
//! self-contained `report.html` (zh-CN with English), `junit.xml`, `timings.json`, and a
//! `MANIFEST.sha256` over all of them and the evidence.
//!
//! Key design decision: **every writer is a pure function of the report (and the timings).** No
//! clock, no environment, no map iteration order leaks into a file: the same report gives the
//! same bytes, so `report.json` and `junit.xml` are byte-identical across runs of the same case,
//! and the manifest (`sha256sum -c` format) lets a lab show later that nothing was changed.
//! The HTML page needs no network and no script: inline CSS, inline SVG plots, evidence as
//! relative links to the files beside it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use super::verdict::{Check, CertificationReport, CountSeries, ScenarioReport, Timing, Verdict};

/// Where the report's files went.
#[derive(Debug, Clone)]
pub struct ReportPaths {
    pub json: PathBuf,
    pub html: PathBuf,
    pub junit: PathBuf,
    pub timings: PathBuf,
    pub manifest: PathBuf,
}

/// Writes every report file into `dir` (evidence must already be under `dir/evidence/`).
pub fn write_report(dir: &Path, report: &CertificationReport, timings: &[Timing]) -> Result<ReportPaths> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let paths = ReportPaths {
        json: dir.join("report.json"),
        html: dir.join("report.html"),
        junit: dir.join("junit.xml"),
        timings: dir.join("timings.json"),
        manifest: dir.join("MANIFEST.sha256"),
    };
    write(&paths.json, &json(report)?)?;
    let mut t = serde_json::to_vec_pretty(timings)?;
    t.push(b'\n');
    write(&paths.timings, &t)?;
    write(&paths.html, html(report, timings).as_bytes())?;
    write(&paths.junit, junit(report).as_bytes())?;
    write(&paths.manifest, manifest(dir)?.as_bytes())?;
    Ok(paths)
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// `report.json`: the pretty serde form and a newline.
pub fn json(report: &CertificationReport) -> Result<Vec<u8>> {
    let mut b = serde_json::to_vec_pretty(report)?;
    b.push(b'\n');
    Ok(b)
}

/// Escapes text for HTML and XML (element content and quoted attributes).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // XML 1.0 forbids most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn badge(v: Verdict) -> String {
    let class = match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::AmbiguousInSpec => "amb",
        Verdict::NotApplicable => "na",
    };
    format!("<span class=\"badge {class}\">{} {}</span>", v.label_zh(), v.label())
}

fn figure(c: &Check) -> String {
    let f = |v: f64| if c.unit == "ratio" { format!("{:.1} %", v * 100.0) } else { format!("{v:.2} {}", c.unit) };
    match (c.value, c.bar) {
        (Some(v), Some(b)) => format!("{} / {}", f(v), f(b)),
        (Some(v), None) => f(v),
        (None, Some(b)) => format!("— / {}", f(b)),
        (None, None) => "—".to_owned(),
    }
}

const CSS: &str = r#"
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;margin:24px 32px;color:#1d2329;background:#fff;font-size:14px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:2px solid #d8dee4;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}.sub{color:#57606a;margin:0 0 16px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}th,td{border:1px solid #d0d7de;padding:4px 7px;text-align:left;vertical-align:top}
th{background:#f3f5f7;font-weight:600}tr.fail td{background:#fff5f5}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
.pass{background:#dafbe1;color:#116329}.fail{background:#ffd7d5;color:#a40e26}.amb{background:#fff1c2;color:#7a5300}.na{background:#eaeef2;color:#57606a}
.banner{padding:14px 18px;border-radius:8px;font-size:20px;font-weight:700;margin:12px 0}
.banner.pass{border:2px solid #2da44e}.banner.fail{border:2px solid #cf222e}.banner.na,.banner.amb{border:2px solid #8c959f}
code,.mono{font-family:"DejaVu Sans Mono",monospace;font-size:12px}ul.findings{margin:4px 0 0 18px;padding:0;color:#a40e26}
.thumbs{display:flex;flex-wrap:wrap;gap:8px}.thumbs figure{margin:0;width:176px}.thumbs img{width:176px;border:1px solid #d0d7de}
.thumbs figcaption{font-size:10px;word-break:break-all;color:#57606a}svg.plot{border:1px solid #d0d7de;background:#fff;margin:4px 0}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:0}dl.meta dt{color:#57606a}dl.meta dd{margin:0}
"#;

/// The HTML page.
pub fn html(report: &CertificationReport, timings: &[Timing]) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>电子封条认证报告 / E-seal certification report</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
    );
    let _ = writeln!(h, "<h1>矿山电子封条认证报告 · E-seal certification report</h1>");
    let _ = writeln!(
        h,
        "<p class=\"sub\">依据《矿山电子封条》技术规范（2021）逐条判定 · judged clause by clause against the 2021 e-seal specification (clause IDs of <code>spec/REQUIREMENTS.md</code>)</p>"
    );
    let v = report.verdict;
    let class = match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::AmbiguousInSpec => "amb",
        Verdict::NotApplicable => "na",
    };
    let _ = writeln!(h, "<div class=\"banner {class}\" id=\"verdict\">总体结论 Overall verdict: {} {}</div>", v.label_zh(), v.label());
    let d = &report.device;
    let _ = writeln!(
        h,
        "<dl class=\"meta\"><dt>被测设备 Device</dt><dd>{} ({}) {}</dd><dt>故障注入 Faults</dt><dd>{}</dd><dt>判定工具 Tool</dt><dd>{} {}</dd><dt>容差窗口 Window (R2)</dt><dd>时钟偏差 skew ±{} s，上传时延 latency {} s</dd><dt>报告格式 Schema</dt><dd><code>{}</code></dd></dl>",
        escape(&d.name),
        escape(&d.kind),
        escape(&d.version),
        if d.faults.is_empty() { "无 none".to_owned() } else { escape(&d.faults.join(", ")) },
        escape(&report.tool),
        escape(&report.tool_version),
        report.skew_s,
        report.latency_s,
        escape(&report.schema)
    );
    // Summary.
    let _ = writeln!(h, "<h2>场景汇总 Scenarios</h2>\n<table class=\"summary\"><tr><th>场景 Scenario</th><th>种子 Seed</th><th>矿井 Mine</th><th>开始 Start (CST)</th><th>时长 Duration</th><th>检查 Checks</th><th>结论 Verdict</th></tr>");
    for s in &report.scenarios {
        let fails = s.checks.iter().filter(|c| c.verdict == Verdict::Fail).count();
        let _ = writeln!(
            h,
            "<tr><td><a href=\"#s-{id}\">{name}</a></td><td>{seed}</td><td class=\"mono\">{mine}</td><td>{start}</td><td>{dur:.0} s</td><td>{n} ({fails} 不通过 failed)</td><td>{b}</td></tr>",
            id = escape(&s.scenario),
            name = escape(&s.scenario),
            seed = s.seed,
            mine = escape(&s.mine),
            start = escape(&s.start),
            dur = s.duration_s,
            n = s.checks.len(),
            b = badge(s.verdict)
        );
    }
    let _ = writeln!(h, "</table>");
    for s in &report.scenarios {
        scenario_html(&mut h, s);
    }
    // Timings.
    let _ = writeln!(h, "<h2>运行时间 Run times</h2>\n<table class=\"timings\"><tr><th>场景 Scenario</th><th>帧数 Frames</th><th>墙钟 Wall</th><th>场景时长 Scenario</th><th>加速比 Speed-up</th></tr>");
    for t in timings {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{:.1} s</td><td>{:.0} s</td><td>{:.1}×</td></tr>",
            escape(&t.scenario),
            t.frames,
            t.wall_s,
            t.scenario_s,
            t.speedup
        );
    }
    let _ = writeln!(h, "</table>\n<p class=\"sub\">证据文件及其 SHA-256 见 <code>MANIFEST.sha256</code>（<code>sha256sum -c MANIFEST.sha256</code> 可校验）· evidence hashes in MANIFEST.sha256.</p>\n</body>\n</html>");
    h
}

/// Evidence pictures shown per scenario; the rest are counted.
const MAX_THUMBS: usize = 24;

fn scenario_html(h: &mut String, s: &ScenarioReport) {
    let _ = writeln!(
        h,
        "<h2 id=\"s-{}\">场景 Scenario: {} {}</h2>\n<p class=\"sub\">文件 <code>{}</code> · 种子 seed {} · 矿井 mine <code>{}</code> · {} · {:.0} s</p>",
        escape(&s.scenario),
        escape(&s.scenario),
        badge(s.verdict),
        escape(&s.file),
        s.seed,
        escape(&s.mine),
        escape(&s.start),
        s.duration_s
    );
    let _ = writeln!(
        h,
        "<table class=\"verdicts\"><tr><th>条款 Clause</th><th>检查 Check</th><th>要求 Requirement</th><th>结论 Verdict</th><th>期望 Expected</th><th>实际 Actual</th><th>数值/门限 Value / bar</th></tr>"
    );
    for c in &s.checks {
        let row_class = if c.verdict == Verdict::Fail { " class=\"fail\"" } else { "" };
        let mut findings = String::new();
        if !c.findings.is_empty() {
            findings.push_str("<ul class=\"findings\">");
            for f in c.findings.iter().take(40) {
                let _ = write!(findings, "<li>{}</li>", escape(f));
            }
            if c.findings.len() > 40 {
                let _ = write!(findings, "<li>… {} more</li>", c.findings.len() - 40);
            }
            findings.push_str("</ul>");
        }
        let mut links = String::new();
        for e in c.evidence.iter().take(12) {
            let _ = write!(links, " <a class=\"mono\" href=\"{}\">{}</a>", escape(e), escape(e.rsplit('/').next().unwrap_or(e)));
        }
        let _ = writeln!(
            h,
            "<tr{row_class}><td>{}</td><td class=\"mono\">{}</td><td><b>{}</b> {}<br><small>{}</small></td><td>{}</td><td>{}</td><td>{}{findings}{links}</td><td>{}</td></tr>",
            escape(&c.clause),
            escape(&c.id),
            escape(&c.title_zh),
            escape(&c.title_en),
            escape(&c.requirement),
            badge(c.verdict),
            escape(&c.expected),
            escape(&c.actual),
            escape(&figure(c))
        );
    }
    let _ = writeln!(h, "</table>");
    if !s.series.is_empty() {
        let _ = writeln!(h, "<h3>真值与上报累计计数 True vs reported cumulative counts</h3>");
        for series in &s.series {
            h.push_str(&plot(series, s.duration_s));
        }
    }
    let pictures: Vec<_> = s.evidence.iter().filter(|e| e.name.ends_with(".jpg")).collect();
    let clips: Vec<_> = s.evidence.iter().filter(|e| !e.name.ends_with(".jpg")).collect();
    if !pictures.is_empty() {
        let _ = writeln!(h, "<h3>证据图片 Evidence pictures ({})</h3>\n<div class=\"thumbs\">", pictures.len());
        for e in pictures.iter().take(MAX_THUMBS) {
            let _ = writeln!(
                h,
                "<figure><a href=\"{p}\"><img loading=\"lazy\" src=\"{p}\" alt=\"{n}\"></a><figcaption>{n}</figcaption></figure>",
                p = escape(&e.path),
                n = escape(&e.name)
            );
        }
        let _ = writeln!(h, "</div>");
        if pictures.len() > MAX_THUMBS {
            let _ = writeln!(h, "<p class=\"sub\">另有 {} 张未显示 · {} more not shown (see evidence/).</p>", pictures.len() - MAX_THUMBS, pictures.len() - MAX_THUMBS);
        }
    }
    if !clips.is_empty() {
        let _ = writeln!(h, "<h3>证据视频 Evidence clips ({})</h3>\n<ul>", clips.len());
        for e in &clips {
            let _ = writeln!(h, "<li><a class=\"mono\" href=\"{}\">{}</a> ({} bytes)</li>", escape(&e.path), escape(&e.name), e.bytes);
        }
        let _ = writeln!(h, "</ul>");
    }
}

/// A step plot of true and reported cumulative counts over the scenario, as inline SVG.
pub fn plot(s: &CountSeries, duration_s: f64) -> String {
    let (w, hgt) = (640.0, 220.0);
    let (left, right, top, bottom) = (48.0, 16.0, 26.0, 34.0);
    let pw = w - left - right;
    let ph = hgt - top - bottom;
    let t_max = duration_s.max(1.0);
    let n_max = s.truth_s.len().max(s.reported_s.len()).max(1) as f64;
    let x = |t: f64| left + (t.clamp(0.0, t_max) / t_max) * pw;
    let y = |n: f64| top + ph - (n / n_max) * ph;
    let steps = |times: &[f64]| -> String {
        let mut v: Vec<f64> = times.to_vec();
        v.sort_by(f64::total_cmp);
        let mut d = format!("M{:.1},{:.1}", x(0.0), y(0.0));
        for (i, t) in v.iter().enumerate() {
            let _ = write!(d, " H{:.1} V{:.1}", x(*t), y((i + 1) as f64));
        }
        let _ = write!(d, " H{:.1}", x(t_max));
        d
    };
    let mut g = String::new();
    let _ = write!(
        g,
        "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{hgt}\" viewBox=\"0 0 {w} {hgt}\" role=\"img\"><title>{}</title>",
        escape(&s.what)
    );
    let _ = write!(g, "<text x=\"{left}\" y=\"16\" font-size=\"12\" fill=\"#1d2329\">{}</text>", escape(&s.what));
    // Axes and ticks.
    let _ = write!(g, "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#57606a\"/>", top + ph, left + pw, top + ph);
    let _ = write!(g, "<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{}\" stroke=\"#57606a\"/>", top + ph);
    let t_step = nice_step(t_max / 6.0);
    let mut t = 0.0;
    while t <= t_max + 1e-9 {
        let _ = write!(
            g,
            "<line x1=\"{xx:.1}\" y1=\"{y0}\" x2=\"{xx:.1}\" y2=\"{y1}\" stroke=\"#57606a\"/><text x=\"{xx:.1}\" y=\"{ty}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#57606a\">{t:.0}</text>",
            xx = x(t),
            y0 = top + ph,
            y1 = top + ph + 4.0,
            ty = top + ph + 15.0
        );
        t += t_step;
    }
    let _ = write!(g, "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\" fill=\"#57606a\">时间 time (s)</text>", left + pw, hgt - 3.0);
    let n_step = nice_step(n_max / 4.0).max(1.0);
    let mut n = 0.0;
    while n <= n_max + 1e-9 {
        let _ = write!(
            g,
            "<line x1=\"{x0}\" y1=\"{yy:.1}\" x2=\"{left}\" y2=\"{yy:.1}\" stroke=\"#57606a\"/><text x=\"{tx}\" y=\"{ty:.1}\" font-size=\"10\" text-anchor=\"end\" fill=\"#57606a\">{n:.0}</text>",
            x0 = left - 4.0,
            yy = y(n),
            tx = left - 6.0,
            ty = y(n) + 3.5
        );
        n += n_step;
    }
    let _ = write!(g, "<path class=\"truth\" d=\"{}\" fill=\"none\" stroke=\"#0969da\" stroke-width=\"2\"/>", steps(&s.truth_s));
    let _ = write!(
        g,
        "<path class=\"reported\" d=\"{}\" fill=\"none\" stroke=\"#cf222e\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>",
        steps(&s.reported_s)
    );
    // Legend.
    let lx = left + 12.0;
    let _ = write!(
        g,
        "<line x1=\"{lx}\" y1=\"{a}\" x2=\"{b}\" y2=\"{a}\" stroke=\"#0969da\" stroke-width=\"2\"/><text x=\"{c}\" y=\"{d}\" font-size=\"11\">真值 truth ({nt})</text><line x1=\"{lx}\" y1=\"{e}\" x2=\"{b}\" y2=\"{e}\" stroke=\"#cf222e\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/><text x=\"{c}\" y=\"{f}\" font-size=\"11\">上报 reported ({nr})</text>",
        a = top + 8.0,
        b = lx + 22.0,
        c = lx + 28.0,
        d = top + 12.0,
        e = top + 24.0,
        f = top + 28.0,
        nt = s.truth_s.len(),
        nr = s.reported_s.len()
    );
    g.push_str("</svg>\n");
    g
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * p >= raw {
            return m * p;
        }
    }
    10.0 * p
}

/// `junit.xml`: one test suite per scenario, one test case per check.
pub fn junit(report: &CertificationReport) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let count = |v: Verdict| report.scenarios.iter().flat_map(|s| &s.checks).filter(|c| c.verdict == v).count();
    let total: usize = report.scenarios.iter().map(|s| s.checks.len()).sum();
    let _ = writeln!(
        x,
        "<testsuites name=\"eseal certification\" tests=\"{total}\" failures=\"{}\" skipped=\"{}\" errors=\"0\">",
        count(Verdict::Fail),
        count(Verdict::NotApplicable)
    );
    for s in &report.scenarios {
        let f = s.checks.iter().filter(|c| c.verdict == Verdict::Fail).count();
        let sk = s.checks.iter().filter(|c| c.verdict == Verdict::NotApplicable).count();
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" skipped=\"{sk}\" errors=\"0\">",
            escape(&s.scenario),
            s.checks.len()
        );
        let _ = writeln!(x, "    <properties><property name=\"seed\" value=\"{}\"/><property name=\"file\" value=\"{}\"/></properties>", s.seed, escape(&s.file));
        for c in &s.checks {
            let _ = write!(x, "    <testcase classname=\"{}\" name=\"{} ({})\"", escape(&s.scenario), escape(&c.id), escape(&c.clause));
            let detail = || {
                let mut d = format!("expected: {}\nactual: {}", c.expected, c.actual);
                for f in &c.findings {
                    d.push_str("\n- ");
                    d.push_str(f);
                }
                d
            };
            match c.verdict {
                Verdict::Pass => x.push_str("/>\n"),
                Verdict::Fail => {
                    let _ = writeln!(x, ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>", escape(&c.actual), escape(&detail()));
                }
                Verdict::NotApplicable => {
                    let _ = writeln!(x, ">\n      <skipped message=\"NOT-APPLICABLE: {}\"/>\n    </testcase>", escape(&c.actual));
                }
                Verdict::AmbiguousInSpec => {
                    let _ = writeln!(x, ">\n      <system-out>AMBIGUOUS-IN-SPEC: {}</system-out>\n    </testcase>", escape(&detail()));
                }
            }
        }
        let _ = writeln!(x, "  </testsuite>");
    }
    x.push_str("</testsuites>\n");
    x
}

/// `MANIFEST.sha256` in `sha256sum` format over every file under `dir` but itself, sorted by
/// path.
pub fn manifest(dir: &Path) -> Result<String> {
    let mut files = Vec::new();
    walk(dir, dir, &mut files)?;
    files.retain(|p| p != "MANIFEST.sha256");
    files.sort();
    let mut out = String::new();
    for rel in files {
        let bytes = std::fs::read(dir.join(&rel)).with_context(|| format!("reading {rel}"))?;
        let _ = writeln!(out, "{}  {rel}", hex::encode(Sha256::digest(&bytes)));
    }
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    for e in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let p = e?.path();
        if p.is_dir() {
            walk(root, &p, out)?;
        } else if let Ok(rel) = p.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// Screenshots an HTML page with headless Chromium (Debian package `chromium`).
pub fn screenshot(html: &Path, png: &Path, width: u32, height: u32) -> Result<()> {
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()));
    let Some(chromium) = chromium else {
        bail!("no headless Chromium found: install the Debian package `chromium` (bash scripts/setup.sh does)");
    };
    let html = std::fs::canonicalize(html).with_context(|| format!("{}", html.display()))?;
    let profile = tempfile::tempdir()?;
    let mut child = Command::new(chromium)
        .args(["--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars", "--no-first-run", "--disable-dev-shm-usage"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("file://{}", html.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("starting chromium")?;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait()? {
            if !status.success() && !png.is_file() {
                bail!("chromium exited with {status} and wrote no screenshot");
            }
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("chromium took more than 60 s to screenshot {}", html.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if !png.is_file() {
        bail!("chromium wrote no screenshot at {}", png.display());
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::judge::verdict::{DeviceIdentity, SCHEMA};

    fn check(id: &str, verdict: Verdict, findings: Vec<String>) -> Check {
        Check {
            id: id.to_owned(),
            clause: id.split('.').next().unwrap_or_default().to_owned(),
            title_zh: "人员双向计数".to_owned(),
            title_en: "People counted both ways".to_owned(),
            requirement: "accuracy ≥ 90 %".to_owned(),
            verdict,
            expected: "≥ 90 %".to_owned(),
            actual: "80 %".to_owned(),
            value: Some(0.8),
            bar: Some(0.9),
            unit: "ratio".to_owned(),
            evidence: Vec::new(),
            findings,
        }
    }

    pub(crate) fn sample() -> CertificationReport {
        let s = |name: &str, checks: Vec<Check>| ScenarioReport {
            scenario: name.to_owned(),
            file: format!("scenarios/{name}.toml"),
            seed: 7,
            mine: "140421007866".to_owned(),
            start: "2026-11-28T08:00:00+08:00".to_owned(),
            duration_s: 60.0,
            verdict: Verdict::NotApplicable,
            checks,
            series: vec![CountSeries { what: "people down, camera 20".to_owned(), truth_s: vec![5.0, 12.0, 30.0], reported_s: vec![6.0, 31.0] }],
            evidence: Vec::new(),
        };
        let mut r = CertificationReport {
            schema: SCHEMA.to_owned(),
            tool: "eseal".to_owned(),
            tool_version: "0.1.0".to_owned(),
            device: DeviceIdentity { kind: "reference".into(), name: "ref".into(), version: "1".into(), faults: vec![] },
            skew_s: 5.0,
            latency_s: 10.0,
            verdict: Verdict::NotApplicable,
            scenarios: vec![
                s("a", vec![check("E3.down.count.20", Verdict::Fail, vec!["person 3 <script>alert(1)</script> missed".into()]), check("U3.form", Verdict::AmbiguousInSpec, vec![])]),
                s("b", vec![check("E3.up.count.20", Verdict::Pass, vec![]), check("P4.alarm-closure", Verdict::NotApplicable, vec![])]),
            ],
        };
        r.settle();
        r
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
        let h = html(&sample(), &[]);
        assert!(!h.contains("<script>"), "a finding's markup must be escaped");
        assert!(h.contains("&lt;script&gt;"));
    }

    #[test]
    fn the_page_has_the_verdict_table_and_a_plot_per_series() {
        let r = sample();
        assert_eq!(r.verdict, Verdict::Fail);
        let h = html(&r, &[]);
        assert_eq!(h.matches("<table class=\"verdicts\">").count(), 2);
        assert_eq!(h.matches("<svg class=\"plot\"").count(), 2);
        assert!(h.contains("E3.down.count.20") && h.contains("不通过 FAIL") && h.contains("规范存在歧义 AMBIGUOUS-IN-SPEC"));
        assert!(h.contains("class=\"truth\"") && h.contains("class=\"reported\""));
    }

    #[test]
    fn junit_counts_failures_and_skips() {
        let x = junit(&sample());
        assert!(x.contains("<testsuites name=\"eseal certification\" tests=\"4\" failures=\"1\" skipped=\"1\" errors=\"0\">"), "{x}");
        assert!(x.contains("<testcase classname=\"a\" name=\"E3.down.count.20 (E3)\">\n      <failure message=\"80 %\">"), "{x}");
        assert!(x.contains("<system-out>AMBIGUOUS-IN-SPEC"));
        assert!(x.contains("<skipped message=\"NOT-APPLICABLE"));
    }

    #[test]
    fn nice_steps_are_1_2_5() {
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(13.0), 20.0);
        assert_eq!(nice_step(30.0), 50.0);
        assert_eq!(nice_step(0.0), 1.0);
    }
}
