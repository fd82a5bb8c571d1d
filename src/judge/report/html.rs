//! `report.html`: one self-contained page (inline CSS and SVG, no script, no fetch) in Simplified
//! Chinese with English alongside, rendered from the report and the timings by plain string
//! writing.

use std::fmt::Write as _;

use crate::judge::verdict::{
    CameraDelays, CertificationReport, Check, CountSeries, EvidenceFile, ScenarioReport, Timing,
    Verdict,
};

/// JPEG thumbnails shown per scenario; the rest are counted.
pub const MAX_THUMBNAILS: usize = 24;
/// Other evidence links (MP4 …) shown per scenario; the rest are counted.
pub const MAX_FILE_LINKS: usize = 24;
/// Findings shown under one check; the rest are counted (all are in `report.json`).
pub const MAX_FINDINGS: usize = 50;
/// Evidence links shown under one check.
pub const MAX_CHECK_EVIDENCE: usize = 8;

/// `write!` into a `String`, which cannot fail.
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{ let _ = write!($out, $($arg)*); }};
}

/// Escapes text for HTML (element content and quoted attribute values): `& < > " '`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a relative (or absolute) path for a URL: every byte but `A–Z a–z 0–9 - . _ ~ /`.
/// The result needs no further escaping in an attribute, and a path such as `javascript:x`
/// stays a relative path (`javascript%3Ax`).
pub fn url_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            w!(out, "%{b:02X}");
        }
    }
    out
}

/// A number as the page shows it: integers without a fraction, others with at most 3 decimals.
pub fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "—".to_owned()
        } else if x > 0.0 {
            "∞".to_owned()
        } else {
            "−∞".to_owned()
        };
    }
    let x = x + 0.0; // −0 → 0
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{x:.0}");
    }
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// The CSS class of a verdict (`v-pass`, `v-fail`, `v-amb`, `v-na`, `v-inc`).
pub(super) fn class(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "v-pass",
        Verdict::Fail => "v-fail",
        Verdict::AmbiguousInSpec => "v-amb",
        Verdict::NotApplicable => "v-na",
        Verdict::Inconclusive => "v-inc",
    }
}

fn badge(v: Verdict) -> String {
    format!(
        r#"<span class="badge {}">{} {}</span>"#,
        class(v),
        v.label_zh(),
        v.label()
    )
}

fn is_ext(path: &str, exts: &[&str]) -> bool {
    let lower = path.to_ascii_lowercase();
    exts.iter().any(|e| lower.ends_with(e))
}

const CSS: &str = r#"
:root{--fg:#1b1f24;--muted:#5f6368;--line:#d8dee4;--head:#f3f5f7;
--pass:#1e7b34;--pass-bg:#e6f4ea;--fail:#b3261e;--fail-bg:#fce8e6;
--amb:#8a5a00;--amb-bg:#fff3cd;--na:#5f6368;--na-bg:#eceff1;--inc:#5b2c91;--inc-bg:#efe7fa}
*{box-sizing:border-box}
body{margin:0;background:#fff;color:var(--fg);font:14px/1.5 "Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif}
main{max-width:1216px;margin:0 auto;padding:28px 32px 48px}
h1{font-size:26px;margin:0;font-weight:700;letter-spacing:.5px}
h2{font-size:19px;margin:36px 0 8px;padding-bottom:6px;border-bottom:2px solid var(--fg);display:flex;align-items:center;gap:12px;flex-wrap:wrap}
h3{font-size:15px;margin:20px 0 6px}
.en{color:var(--muted);font-weight:400}
.sub{color:var(--muted);margin:2px 0 0}
code,.mono{font-family:"DejaVu Sans Mono","Noto Sans Mono CJK SC",ui-monospace,monospace;font-size:12px;overflow-wrap:anywhere}
.nowrap{white-space:nowrap}
.banner{display:flex;align-items:center;justify-content:space-between;margin:18px 0;padding:16px 22px;border-radius:6px;color:#fff;font-size:20px;font-weight:700}
.banner .big{font-size:28px;letter-spacing:1px}
.banner.v-pass{background:var(--pass)}.banner.v-fail{background:var(--fail)}
.banner.v-amb{background:#b7791f}.banner.v-na{background:#6b7280}.banner.v-inc{background:var(--inc)}
.supply{border:2px solid var(--inc);border-radius:6px;padding:8px 16px;margin:0 0 18px;background:var(--inc-bg)}
table{border-collapse:collapse;width:100%;margin:6px 0 14px}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:var(--head);font-size:12px;font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
table.kv th{width:220px;background:none;font-size:13px;color:var(--muted)}
.badge{display:inline-block;padding:1px 9px;border-radius:11px;font-size:12px;font-weight:700;white-space:nowrap;border:1px solid}
.badge.v-pass{background:var(--pass-bg);color:var(--pass)}.badge.v-fail{background:var(--fail-bg);color:var(--fail)}
.badge.v-amb{background:var(--amb-bg);color:var(--amb)}.badge.v-na{background:var(--na-bg);color:var(--na)}
.badge.v-inc{background:var(--inc-bg);color:var(--inc)}
tr.check td:first-child{border-left:4px solid transparent}
tr.check.v-pass td:first-child{border-left-color:var(--pass)}tr.check.v-fail td:first-child{border-left-color:var(--fail)}
tr.check.v-amb td:first-child{border-left-color:#d4a017}tr.check.v-na td:first-child{border-left-color:#9aa0a6}
tr.check.v-inc td:first-child{border-left-color:var(--inc)}tr.check.v-inc{background:#fbf8ff}
tr.check.v-fail{background:#fffafa}
.req{color:var(--muted);font-size:12px;margin-top:2px}
tr.detail td{border-top:none;padding-top:0;font-size:13px}
tr.detail.v-fail td{background:#fffafa}
tr.detail ul{margin:2px 0 4px;padding-left:20px}
.label{font-weight:600;font-size:12px;color:var(--muted)}
.more{color:var(--muted);font-size:12px}
svg.meter{display:block;margin-top:4px}
figure.plot{margin:8px 0 16px}
figure.plot figcaption{color:var(--muted);font-size:12px}
svg.count-plot{border:1px solid var(--line);border-radius:4px;background:#fff}
.thumbs{display:grid;grid-template-columns:repeat(auto-fill,minmax(168px,1fr));gap:10px;margin:8px 0}
.thumbs figure{margin:0;border:1px solid var(--line);border-radius:4px;padding:4px;background:#fafbfc}
.thumbs img{display:block;width:100%;height:104px;object-fit:cover;background:#e9ecef}
.thumbs figcaption{font-size:11px;margin-top:3px}
ul.files{margin:4px 0;padding-left:20px}
table.timings{width:auto;min-width:60%}
.sign{display:grid;grid-template-columns:1fr 1fr 1fr;gap:24px;margin-top:40px}
.sign div{border-top:1px solid var(--fg);padding-top:6px;font-size:12px;color:var(--muted)}
footer{margin-top:28px;color:var(--muted);font-size:12px}
@media print{main{padding:0}h2{break-after:avoid}tr{break-inside:avoid}}
"#;

/// Renders the page of an unsigned report.
pub fn render_html(report: &CertificationReport, timings: &[Timing]) -> String {
    render_html_signed(report, timings, None)
}

/// Renders the page; `fingerprint` is the signing key's (see [`crate::judge::sign`]), shown in
/// the identity table, or `None` for an unsigned report.
pub fn render_html_signed(
    report: &CertificationReport,
    timings: &[Timing],
    fingerprint: Option<&str>,
) -> String {
    let mut o = String::with_capacity(16 * 1024);
    o.push_str("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    o.push_str("<title>电子封条认证报告 / E-seal certification report</title>\n");
    w!(o, "<style>{CSS}</style>\n</head>\n<body>\n<main>\n");

    o.push_str("<header>\n<h1>电子封条认证报告 <span class=\"en\">/ E-seal certification report</span></h1>\n");
    w!(
        o,
        "<p class=\"sub\">矿山电子封条 · {} · <span class=\"mono\">{}</span></p>\n</header>\n",
        escape(&report.device.name),
        escape(&report.schema)
    );
    if let Some(d) = &report.device.detector {
        w!(
            o,
            "<p class=\"sub\">检测器 / Detector: <span class=\"mono\" id=\"detector\">{}</span></p>\n",
            escape(d)
        );
    }
    w!(
        o,
        "<div class=\"banner {}\" id=\"overall\"><span>总体结论 <span style=\"font-weight:400\">/ Overall verdict</span></span><span class=\"big\">{} {}</span></div>\n",
        class(report.verdict),
        report.verdict.label_zh(),
        report.verdict.label()
    );
    if !report.must_supply.is_empty() {
        o.push_str("<div class=\"supply\" id=\"must-supply\"><div class=\"label\">判定前须补充 / To decide every check, the lab must supply</div>\n<ul>\n");
        for what in &report.must_supply {
            w!(o, "<li>{}</li>\n", escape(what));
        }
        o.push_str("</ul></div>\n");
    }

    identity(&mut o, report, timings, fingerprint);
    summary(&mut o, report);
    for (i, s) in report.scenarios.iter().enumerate() {
        let own: Vec<&Timing> = timings
            .iter()
            .filter(|t| t.scenario == s.scenario)
            .collect();
        scenario(&mut o, i + 1, s, &own);
    }

    o.push_str("<div class=\"sign\"><div>检测人员 / Tested by</div><div>审核 / Reviewed by</div><div>批准 / Approved by · 日期 / Date</div></div>\n");
    w!(
        o,
        "<footer>由 {} {} 生成 / Generated by {} {}. 报告文件与证据的 SHA-256 见 <span class=\"mono\">MANIFEST.sha256</span> / \
         SHA-256 of the report files and the evidence: <span class=\"mono\">MANIFEST.sha256</span> \
         (<span class=\"mono\">sha256sum -c MANIFEST.sha256</span>).</footer>\n",
        escape(&report.tool),
        escape(&report.tool_version),
        escape(&report.tool),
        escape(&report.tool_version)
    );
    o.push_str("</main>\n</body>\n</html>\n");
    o
}

fn identity(
    o: &mut String,
    r: &CertificationReport,
    timings: &[Timing],
    fingerprint: Option<&str>,
) {
    o.push_str("<section id=\"identity\">\n<h2><span>被测设备与判定条件 <span class=\"en\">/ Device and judging conditions</span></span></h2>\n<table class=\"kv\">\n");
    let d = &r.device;
    w!(
        o,
        "<tr><th>被测设备 / Device</th><td>{} <span class=\"mono\">{}</span> <span class=\"en\">({})</span></td></tr>\n",
        escape(&d.name),
        escape(&d.version),
        escape(&d.kind)
    );
    let faults = if d.faults.is_empty() {
        "无 / none".to_owned()
    } else {
        d.faults
            .iter()
            .map(|f| format!("<code>{}</code>", escape(f)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    w!(
        o,
        "<tr><th>注入故障 / Injected faults</th><td>{faults}</td></tr>\n"
    );
    w!(
        o,
        "<tr><th>判定工具 / Tool</th><td>{} <span class=\"mono\">{}</span></td></tr>\n",
        escape(&r.tool),
        escape(&r.tool_version)
    );
    w!(
        o,
        "<tr><th>报告格式 / Schema</th><td><span class=\"mono\">{}</span></td></tr>\n",
        escape(&r.schema)
    );
    let id = crate::judge::sign::HTML_FINGERPRINT_ID;
    match fingerprint {
        Some(fp) => w!(
            o,
            "<tr><th>签名密钥指纹 / Signing key fingerprint</th><td><span class=\"mono\" id=\"{id}\">{}</span> \
             <span class=\"en\">(Ed25519, SHA-256; 验证 / verify: <span class=\"mono\">eseal verify DIR --public-key FILE</span>)</span></td></tr>\n",
            escape(fp)
        ),
        None => {
            let unsigned = crate::judge::sign::UNSIGNED;
            w!(
                o,
                "<tr><th>签名密钥指纹 / Signing key fingerprint</th><td><span id=\"{id}\">{unsigned}</span></td></tr>\n"
            );
        }
    }
    let (skew, latency) = (fmt_num(r.skew_s), fmt_num(r.latency_s));
    let late = fmt_num(r.skew_s + r.latency_s);
    w!(
        o,
        "<tr><th>R2 时间窗 / R2 window</th><td>时钟偏差 ±{skew} s，上报时延 ≤ {latency} s：上报可早于事件 {skew} s、晚于事件 {late} s \
         <span class=\"en\">/ clock skew ±{skew} s, upload latency ≤ {latency} s: a report may come {skew} s before to {late} s after the event</span></td></tr>\n"
    );
    let all = r
        .scenarios
        .iter()
        .flat_map(|s| &s.checks)
        .map(|c| c.verdict);
    w!(
        o,
        "<tr><th>场景与检查 / Scenarios and checks</th><td>{} 个场景 / scenarios · {}</td></tr>\n",
        r.scenarios.len(),
        tally(all)
    );
    if !timings.is_empty() {
        let wall: f64 = timings.iter().map(|t| t.wall_s).sum();
        let sim: f64 = timings.iter().map(|t| t.scenario_s).sum();
        let speedup = if wall > 0.0 {
            format!("，{}× 实时 / real time", speedup(sim / wall))
        } else {
            String::new()
        };
        w!(
            o,
            "<tr><th>运行耗时 / Run time</th><td>墙钟 {} s，场景 {} s{speedup} <span class=\"en\">/ wall {} s for {} s of scenario (not part of report.json)</span></td></tr>\n",
            fmt_num(wall),
            fmt_num(sim),
            fmt_num(wall),
            fmt_num(sim)
        );
    }
    o.push_str("</table>\n</section>\n");
}

/// `4 项检查 / checks · 1 × 通过 PASS …`, verdicts with no check left out.
fn tally(verdicts: impl Iterator<Item = Verdict>) -> String {
    let verdicts: Vec<Verdict> = verdicts.collect();
    format!(
        "{} 项检查 / checks · {}",
        verdicts.len(),
        breakdown(verdicts.into_iter())
    )
}

/// Compact per-verdict counts for the summary table: `1 × 通过 PASS` …
fn breakdown(verdicts: impl Iterator<Item = Verdict>) -> String {
    let order = [
        Verdict::Pass,
        Verdict::Fail,
        Verdict::Inconclusive,
        Verdict::AmbiguousInSpec,
        Verdict::NotApplicable,
    ];
    let verdicts: Vec<Verdict> = verdicts.collect();
    let parts: Vec<String> = order
        .iter()
        .filter_map(|v| {
            let k = verdicts.iter().filter(|x| *x == v).count();
            (k > 0).then(|| format!("<span class=\"nowrap\">{k} × {}</span>", badge(*v)))
        })
        .collect();
    parts.join(" ")
}

fn summary(o: &mut String, r: &CertificationReport) {
    o.push_str("<section id=\"summary\">\n<h2><span>场景汇总 <span class=\"en\">/ Scenario summary</span></span></h2>\n<table class=\"summary\">\n");
    o.push_str(
        "<tr><th class=\"num\">#</th><th>场景 / Scenario</th><th>文件 / File</th><th>矿井编码 / Mine</th>\
         <th class=\"num\">种子 / Seed</th><th class=\"num\">时长 / Duration (s)</th><th class=\"num\">检查 / Checks</th>\
         <th>分项 / Breakdown</th><th>结论 / Verdict</th></tr>\n",
    );
    for (i, s) in r.scenarios.iter().enumerate() {
        w!(
            o,
            "<tr class=\"scenario-row {}\"><td class=\"num\">{}</td><td><a href=\"#scenario-{}\">{}</a></td><td class=\"mono\">{}</td>\
             <td class=\"mono nowrap\">{}</td><td class=\"num mono\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>\n",
            class(s.verdict),
            i + 1,
            i + 1,
            escape(&s.scenario),
            escape(&s.file),
            escape(&s.mine),
            s.seed,
            fmt_num(s.duration_s),
            s.checks.len(),
            breakdown(s.checks.iter().map(|c| c.verdict)),
            badge(s.verdict)
        );
    }
    o.push_str("</table>\n</section>\n");
}

fn scenario(o: &mut String, n: usize, s: &ScenarioReport, timings: &[&Timing]) {
    w!(
        o,
        "<section class=\"scenario\" id=\"scenario-{n}\">\n<h2><span>场景 {n} <span class=\"en\">/ Scenario {n}</span> · {}</span> {}</h2>\n",
        escape(&s.scenario),
        badge(s.verdict)
    );
    w!(
        o,
        "<p class=\"sub\">文件 / File <code>{}</code> · 矿井编码 / Mine <code>{}</code> · 开始 / Start {} · 时长 / Duration {} s · 种子 / Seed <code>{}</code></p>\n",
        escape(&s.file),
        escape(&s.mine),
        escape(&s.start),
        fmt_num(s.duration_s),
        s.seed
    );

    o.push_str(
        "<h3>判定结果 <span class=\"en\">/ Verdicts</span></h3>\n<table class=\"verdicts\">\n",
    );
    o.push_str(
        "<tr><th>条款 / Clause</th><th>检查 / Check</th><th>名称 / Title</th><th>结论 / Verdict</th>\
         <th>期望 / Expected</th><th>实际 / Actual</th><th class=\"num\">数值 / Value</th><th>单位 / Unit</th></tr>\n",
    );
    for c in &s.checks {
        check_rows(o, c);
    }
    o.push_str("</table>\n");
    if !s.delays.is_empty() {
        delays(o, &s.delays);
    }

    if !s.series.is_empty() {
        o.push_str("<h3>累计计数 <span class=\"en\">/ Cumulative counts over time</span></h3>\n");
        for (i, series) in s.series.iter().enumerate() {
            plot(o, &format!("plot-{n}-{}", i + 1), series, s.duration_s);
        }
    }
    if !s.evidence.is_empty() {
        evidence(o, &s.evidence);
    }
    if !timings.is_empty() {
        o.push_str("<h3>运行耗时 <span class=\"en\">/ Timings (not part of report.json)</span></h3>\n<table class=\"timings\">\n");
        o.push_str(
            "<tr><th class=\"num\">帧数 / Frames</th><th class=\"num\">墙钟耗时 / Wall time (s)</th>\
             <th class=\"num\">场景时长 / Scenario time (s)</th><th class=\"num\">加速比 / Speed-up over real time</th></tr>\n",
        );
        for t in timings {
            w!(
                o,
                "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}×</td></tr>\n",
                t.frames,
                fmt_num(t.wall_s),
                fmt_num(t.scenario_s),
                speedup(t.speedup)
            );
        }
        o.push_str("</table>\n");
    }
    o.push_str("</section>\n");
}

fn check_rows(o: &mut String, c: &Check) {
    let value = match (c.value, c.bar) {
        (Some(v), Some(b)) => format!(
            "{}<br><span class=\"more\">门槛 / bar {}</span>{}",
            fmt_num(v),
            fmt_num(b),
            meter(c, v, b)
        ),
        (Some(v), None) => fmt_num(v),
        (None, Some(b)) => format!("<span class=\"more\">门槛 / bar {}</span>", fmt_num(b)),
        (None, None) => "—".to_owned(),
    };
    w!(
        o,
        "<tr class=\"check {}\" data-check=\"{}\"><td class=\"mono\">{}</td><td class=\"mono\">{}</td>\
         <td>{}<br><span class=\"en\">{}</span><div class=\"req\">{}</div></td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{value}</td><td>{}</td></tr>\n",
        class(c.verdict),
        escape(&c.id),
        escape(&c.clause),
        escape(&c.id),
        escape(&c.title_zh),
        escape(&c.title_en),
        escape(&c.requirement),
        badge(c.verdict),
        escape(&c.expected),
        escape(&c.actual),
        escape(&c.unit)
    );
    if c.findings.is_empty() && c.evidence.is_empty() && c.excluded.is_none() && c.supply.is_none()
    {
        return;
    }
    w!(
        o,
        "<tr class=\"detail {}\"><td></td><td colspan=\"7\">",
        class(c.verdict)
    );
    if let Some(what) = &c.supply {
        w!(
            o,
            "<div class=\"label\">须补充 / Must supply</div><div>{}</div>\n",
            escape(what)
        );
    }
    if let Some(e) = &c.excluded {
        w!(
            o,
            "<div class=\"label\">不计入 / Excluded</div><div>{} 个真实事件、{} 条上报：{} <span class=\"en\">/ {} true events, {} reports</span></div>\n",
            e.truth,
            e.reports,
            escape(&e.reason),
            e.truth,
            e.reports
        );
    }
    if !c.findings.is_empty() {
        w!(
            o,
            "<div class=\"label\">发现 / Findings ({})</div>\n<ul class=\"findings\">\n",
            c.findings.len()
        );
        for f in c.findings.iter().take(MAX_FINDINGS) {
            w!(o, "<li>{}</li>\n", escape(f));
        }
        o.push_str("</ul>\n");
        if c.findings.len() > MAX_FINDINGS {
            w!(
                o,
                "<div class=\"more\">另有 {0} 条未显示，全部见 report.json / {0} more not shown, all are in report.json</div>\n",
                c.findings.len() - MAX_FINDINGS
            );
        }
    }
    if !c.evidence.is_empty() {
        o.push_str("<div class=\"label\">证据 / Evidence</div>\n<div>");
        let links: Vec<String> = c
            .evidence
            .iter()
            .take(MAX_CHECK_EVIDENCE)
            .map(|p| {
                format!(
                    "<a class=\"mono\" href=\"{}\">{}</a>",
                    url_path(p),
                    escape(p)
                )
            })
            .collect();
        o.push_str(&links.join(" · "));
        if c.evidence.len() > MAX_CHECK_EVIDENCE {
            w!(
                o,
                " <span class=\"more\">+{} 个 / more</span>",
                c.evidence.len() - MAX_CHECK_EVIDENCE
            );
        }
        o.push_str("</div>\n");
    }
    o.push_str("</td></tr>\n");
}

/// R2 per camera: the device's clock error and its delay, both from the true event.
fn delays(o: &mut String, rows: &[CameraDelays]) {
    o.push_str("<h3>时钟偏差与上报时延 <span class=\"en\">/ Clock error and delay from the true event (R2)</span></h3>\n<table class=\"delays\">\n");
    o.push_str(
        "<tr><th>摄像机 / Camera</th><th class=\"num\">上报 / Reports</th><th class=\"num\">|时钟偏差| 中位 / p95 / 最大 (s)<br><span class=\"en\">|clock error| median / p95 / max</span></th>\
         <th>最差文件 / Worst file</th><th class=\"num\">时延 中位 / p95 / 最大 (s)<br><span class=\"en\">delay median / p95 / max</span></th><th>最差文件 / Worst file</th></tr>\n",
    );
    for d in rows {
        let c = &d.clock_error;
        let (delay, worst) = match &d.delay {
            Some(s) => (
                format!(
                    "{} / {} / {}",
                    fmt_num(s.median_s),
                    fmt_num(s.p95_s),
                    fmt_num(s.max_s)
                ),
                s.worst.clone(),
            ),
            None => ("未知 / unknown".to_owned(), String::new()),
        };
        w!(
            o,
            "<tr><td class=\"mono\">{}</td><td class=\"num\">{}</td><td class=\"num\">{} / {} / {}</td><td class=\"mono\">{}</td><td class=\"num\">{delay}</td><td class=\"mono\">{}</td></tr>\n",
            escape(&d.camera),
            d.reports,
            fmt_num(c.median_s),
            fmt_num(c.p95_s),
            fmt_num(c.max_s),
            escape(&c.worst),
            escape(&worst)
        );
    }
    o.push_str("</table>\n");
}

/// A small bar under a ratio: the value filled in the verdict's colour, the bar as a tick.
fn meter(c: &Check, value: f64, bar: f64) -> String {
    if c.unit != "ratio" || !(0.0..=1.0).contains(&value) || !(0.0..=1.0).contains(&bar) {
        return String::new();
    }
    let colour = match c.verdict {
        Verdict::Pass => "#1e7b34",
        Verdict::Fail => "#b3261e",
        Verdict::AmbiguousInSpec => "#d4a017",
        Verdict::NotApplicable => "#9aa0a6",
        Verdict::Inconclusive => "#5b2c91",
    };
    let (w, v, b) = (96.0, value * 96.0, bar * 96.0);
    format!(
        "<svg class=\"meter\" width=\"{w}\" height=\"10\" viewBox=\"0 0 {w} 10\" role=\"img\" aria-label=\"{} / {}\">\
         <rect x=\"0\" y=\"2\" width=\"{w}\" height=\"6\" rx=\"3\" fill=\"#e6e9ed\"/>\
         <rect x=\"0\" y=\"2\" width=\"{v:.1}\" height=\"6\" rx=\"3\" fill=\"{colour}\"/>\
         <line x1=\"{b:.1}\" y1=\"0\" x2=\"{b:.1}\" y2=\"10\" stroke=\"#1b1f24\" stroke-width=\"1.5\"/></svg>",
        fmt_num(value),
        fmt_num(bar)
    )
}

/// A tick step of 1, 2 or 5 × 10ⁿ giving about `target` intervals over `range`.
fn nice_step(range: f64, target: f64) -> f64 {
    let raw = (range / target).max(f64::MIN_POSITIVE);
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let k = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    k * mag
}

fn sorted_finite(times: &[f64]) -> Vec<f64> {
    let mut t: Vec<f64> = times.iter().copied().filter(|x| x.is_finite()).collect();
    t.sort_by(f64::total_cmp);
    t
}

/// Plot geometry (SVG user units).
const PLOT_W: f64 = 760.0;
const PLOT_H: f64 = 270.0;
const M_LEFT: f64 = 58.0;
const M_RIGHT: f64 = 20.0;
const M_TOP: f64 = 34.0;
const M_BOTTOM: f64 = 44.0;

/// True and reported cumulative counts as two step lines, with axes, ticks and a legend.
fn plot(o: &mut String, id: &str, s: &CountSeries, duration_s: f64) {
    let truth = sorted_finite(&s.truth_s);
    let reported = sorted_finite(&s.reported_s);
    let first = truth
        .first()
        .into_iter()
        .chain(reported.first())
        .copied()
        .fold(0.0, f64::min);
    let last = truth
        .last()
        .into_iter()
        .chain(reported.last())
        .copied()
        .fold(duration_s.max(0.0), f64::max);
    let (x_step, y_step) = {
        let range = (last - first).max(1.0);
        let y_max = truth.len().max(reported.len()).max(1) as f64;
        (
            nice_step(range, 8.0),
            nice_step(y_max, 5.0).max(1.0).round(),
        )
    };
    let x0 = (first / x_step).floor() * x_step;
    let x1 = (last / x_step).ceil().max(x0 / x_step + 1.0) * x_step;
    let y1 = ((truth.len().max(reported.len()).max(1) as f64) / y_step).ceil() * y_step;
    let (pw, ph) = (PLOT_W - M_LEFT - M_RIGHT, PLOT_H - M_TOP - M_BOTTOM);
    let sx = |t: f64| M_LEFT + (t - x0) / (x1 - x0) * pw;
    let sy = |n: f64| M_TOP + ph - n / y1 * ph;

    w!(o, "<figure class=\"plot\">\n");
    w!(
        o,
        "<svg class=\"count-plot\" id=\"{id}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{PLOT_W}\" height=\"{PLOT_H}\" \
         viewBox=\"0 0 {PLOT_W} {PLOT_H}\" role=\"img\" aria-labelledby=\"{id}-title\" font-size=\"11\" \
         font-family=\"Noto Sans CJK SC, sans-serif\">\n<title id=\"{id}-title\">累计计数 / Cumulative count: {} — 真值 / truth {}, 上报 / reported {}</title>\n",
        escape(&s.what),
        truth.len(),
        reported.len()
    );
    // Grid, ticks and labels.
    o.push_str("<g class=\"axis axis-x\" stroke=\"#d8dee4\">\n");
    let mut t = x0;
    let mut ticks = 0;
    while t <= x1 + x_step * 1e-9 && ticks < 100 {
        let x = sx(t);
        w!(
            o,
            "<line class=\"tick\" x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#5f6368\" stroke=\"none\">{}</text>\n",
            M_TOP,
            M_TOP + ph + 4.0,
            M_TOP + ph + 16.0,
            fmt_num(t)
        );
        t += x_step;
        ticks += 1;
    }
    o.push_str("</g>\n<g class=\"axis axis-y\" stroke=\"#d8dee4\">\n");
    let mut n = 0.0;
    while n <= y1 + 1e-9 {
        let y = sy(n);
        w!(
            o,
            "<line class=\"tick\" x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#5f6368\" stroke=\"none\">{}</text>\n",
            M_LEFT - 4.0,
            M_LEFT + pw,
            M_LEFT - 7.0,
            y + 4.0,
            fmt_num(n)
        );
        n += y_step;
    }
    o.push_str("</g>\n");
    w!(
        o,
        "<rect class=\"frame\" x=\"{M_LEFT}\" y=\"{M_TOP}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#8c959f\"/>\n"
    );
    w!(
        o,
        "<text class=\"axis-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#1b1f24\">时间 / time (s)</text>\n",
        M_LEFT + pw / 2.0,
        PLOT_H - 8.0
    );
    w!(
        o,
        "<text class=\"axis-label\" transform=\"translate(14 {:.1}) rotate(-90)\" text-anchor=\"middle\" fill=\"#1b1f24\">累计 / cumulative</text>\n",
        M_TOP + ph / 2.0
    );
    // The two step lines: reported drawn dashed over truth, so agreement shows as both.
    let step_path = |times: &[f64]| {
        let mut d = format!("M{:.1},{:.1}", sx(x0), sy(0.0));
        for (i, &t) in times.iter().enumerate() {
            w!(d, " H{:.1} V{:.1}", sx(t), sy(i as f64 + 1.0));
        }
        w!(d, " H{:.1}", sx(x1));
        d
    };
    w!(
        o,
        "<path class=\"series-truth\" d=\"{}\" fill=\"none\" stroke=\"#1f4e79\" stroke-width=\"2.2\"/>\n",
        step_path(&truth)
    );
    w!(
        o,
        "<path class=\"series-reported\" d=\"{}\" fill=\"none\" stroke=\"#e07b00\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>\n",
        step_path(&reported)
    );
    // Legend above the plot area.
    let lx = M_LEFT;
    w!(
        o,
        "<g class=\"legend\"><line x1=\"{lx}\" y1=\"14\" x2=\"{:.1}\" y2=\"14\" stroke=\"#1f4e79\" stroke-width=\"2.2\"/>\
         <text x=\"{:.1}\" y=\"18\" fill=\"#1b1f24\">真值 / truth ({})</text>\
         <line x1=\"{:.1}\" y1=\"14\" x2=\"{:.1}\" y2=\"14\" stroke=\"#e07b00\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>\
         <text x=\"{:.1}\" y=\"18\" fill=\"#1b1f24\">上报 / reported ({})</text>\
         <text x=\"{:.1}\" y=\"18\" text-anchor=\"end\" fill=\"#5f6368\">{}</text></g>\n",
        lx + 24.0,
        lx + 30.0,
        truth.len(),
        lx + 150.0,
        lx + 174.0,
        lx + 180.0,
        reported.len(),
        M_LEFT + pw,
        escape(&s.what)
    );
    o.push_str("</svg>\n");
    w!(
        o,
        "<figcaption>{}：真值 {} 次，上报 {} 次 / truth {}, reported {}</figcaption>\n</figure>\n",
        escape(&s.what),
        truth.len(),
        reported.len(),
        truth.len(),
        reported.len()
    );
}

fn evidence(o: &mut String, files: &[EvidenceFile]) {
    let (jpegs, others): (Vec<&EvidenceFile>, Vec<&EvidenceFile>) = files
        .iter()
        .partition(|f| is_ext(&f.path, &[".jpg", ".jpeg"]));
    w!(
        o,
        "<h3>证据 <span class=\"en\">/ Evidence</span> <span class=\"more\">({} 个文件 / files)</span></h3>\n",
        files.len()
    );
    if !jpegs.is_empty() {
        o.push_str("<div class=\"thumbs\">\n");
        for f in jpegs.iter().take(MAX_THUMBNAILS) {
            let href = url_path(&f.path);
            w!(
                o,
                "<figure><a href=\"{href}\"><img src=\"{href}\" loading=\"lazy\" decoding=\"async\" width=\"160\" height=\"104\" alt=\"{}\"></a>\
                 <figcaption class=\"mono\">{}<br><span class=\"more\">{} · sha256 {}…</span></figcaption></figure>\n",
                escape(&f.name),
                escape(&f.name),
                size(f.bytes),
                escape(f.sha256.get(..12).unwrap_or(&f.sha256))
            );
        }
        o.push_str("</div>\n");
        if jpegs.len() > MAX_THUMBNAILS {
            w!(
                o,
                "<p class=\"more\">另有 {0} 张图片未显示，全部在 evidence/ 并列于 MANIFEST.sha256 / {0} more JPEG files not shown; all are in evidence/ and MANIFEST.sha256</p>\n",
                jpegs.len() - MAX_THUMBNAILS
            );
        }
    }
    if !others.is_empty() {
        o.push_str("<ul class=\"files\">\n");
        for f in others.iter().take(MAX_FILE_LINKS) {
            let kind = if is_ext(&f.path, &[".mp4"]) {
                "视频 / video"
            } else {
                "文件 / file"
            };
            w!(
                o,
                "<li>{kind}: <a class=\"mono\" href=\"{}\">{}</a> <span class=\"more\">{} · sha256 {}…</span></li>\n",
                url_path(&f.path),
                escape(&f.name),
                size(f.bytes),
                escape(f.sha256.get(..12).unwrap_or(&f.sha256))
            );
        }
        o.push_str("</ul>\n");
        if others.len() > MAX_FILE_LINKS {
            w!(
                o,
                "<p class=\"more\">另有 {0} 个文件未列出 / {0} more files not listed (see MANIFEST.sha256)</p>\n",
                others.len() - MAX_FILE_LINKS
            );
        }
    }
}

/// A speed-up with one decimal (`24×`, `25.5×`).
fn speedup(x: f64) -> String {
    fmt_num((x * 10.0).round() / 10.0)
}

fn size(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!(
            "{} KiB",
            fmt_num((bytes as f64 / 1024.0 * 10.0).round() / 10.0)
        )
    } else {
        format!(
            "{} MiB",
            fmt_num((bytes as f64 / 1048576.0 * 10.0).round() / 10.0)
        )
    }
}
