//! `junit.xml`: one `<testsuite>` per scenario and one `<testcase>` per check, so CI systems show
//! a certification like a test run. Like `report.json` it depends on the report alone (no
//! times, no timestamps).

use std::fmt::Write as _;

use crate::judge::verdict::{CertificationReport, Check, ScenarioReport, Verdict};

macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{ let _ = write!($out, $($arg)*); }};
}

/// Escapes text for an XML 1.0 attribute value: `& < > " '` as entities, tab and line breaks as
/// character references (so the parser keeps them), other control characters (not allowed in
/// XML 1.0) as U+FFFD.
pub fn escape(text: &str) -> String {
    escape_with(text, true)
}

/// Escapes text for XML 1.0 element content: as [`escape`], but tabs and line feeds stay
/// literal so the file reads well.
pub fn escape_text(text: &str) -> String {
    escape_with(text, false)
}

fn escape_with(text: &str, attr: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' | '\n' if !attr => out.push(c),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    skipped: usize,
}

fn counts<'a>(checks: impl IntoIterator<Item = &'a Check>) -> Counts {
    let mut n = Counts::default();
    for c in checks {
        n.tests += 1;
        match c.verdict {
            Verdict::Fail => n.failures += 1,
            Verdict::NotApplicable => n.skipped += 1,
            Verdict::Pass | Verdict::AmbiguousInSpec => {}
        }
    }
    n
}

/// Renders `junit.xml`.
pub fn render_junit(report: &CertificationReport) -> String {
    let mut o = String::with_capacity(8 * 1024);
    o.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let all = counts(report.scenarios.iter().flat_map(|s| &s.checks));
    w!(
        o,
        "<testsuites name=\"{} certification of {} {}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">\n",
        escape(&report.tool),
        escape(&report.device.name),
        escape(&report.device.version),
        all.tests,
        all.failures,
        all.skipped
    );
    for (i, s) in report.scenarios.iter().enumerate() {
        suite(&mut o, i, s, report);
    }
    o.push_str("</testsuites>\n");
    o
}

fn suite(o: &mut String, id: usize, s: &ScenarioReport, r: &CertificationReport) {
    let n = counts(&s.checks);
    w!(
        o,
        "  <testsuite name=\"{}\" id=\"{id}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">\n",
        escape(&s.scenario),
        n.tests,
        n.failures,
        n.skipped
    );
    o.push_str("    <properties>\n");
    let props: [(&str, String); 9] = [
        ("file", s.file.clone()),
        ("seed", s.seed.to_string()),
        ("mine", s.mine.clone()),
        ("start", s.start.clone()),
        ("verdict", s.verdict.label().to_owned()),
        (
            "device",
            format!("{} {} ({})", r.device.name, r.device.version, r.device.kind),
        ),
        ("tool", format!("{} {}", r.tool, r.tool_version)),
        ("skew_s", r.skew_s.to_string()),
        ("latency_s", r.latency_s.to_string()),
    ];
    for (k, v) in &props {
        w!(
            o,
            "      <property name=\"{k}\" value=\"{}\"/>\n",
            escape(v)
        );
    }
    o.push_str("    </properties>\n");
    for c in &s.checks {
        case(o, &s.scenario, c);
    }
    o.push_str("  </testsuite>\n");
}

fn case(o: &mut String, scenario: &str, c: &Check) {
    w!(
        o,
        "    <testcase classname=\"{}\" name=\"{} ({})\"",
        escape(scenario),
        escape(&c.id),
        escape(&c.clause)
    );
    let measured = match (c.value, c.bar) {
        (Some(v), Some(b)) => format!("\nvalue: {v} {u} (bar {b} {u})", u = c.unit),
        (Some(v), None) => format!("\nvalue: {v} {}", c.unit),
        _ => String::new(),
    };
    match c.verdict {
        Verdict::Pass => o.push_str("/>\n"),
        Verdict::Fail => {
            let message = format!(
                "{}: expected {}; actual {}",
                c.title_en, c.expected, c.actual
            );
            let mut body = format!(
                "{} / {}\nrequirement: {}\nexpected: {}\nactual: {}{measured}",
                c.title_zh, c.title_en, c.requirement, c.expected, c.actual
            );
            if !c.findings.is_empty() {
                body.push_str("\nfindings:");
                for f in &c.findings {
                    w!(body, "\n- {f}");
                }
            }
            for e in &c.evidence {
                w!(body, "\nevidence: {e}");
            }
            w!(
                o,
                ">\n      <failure message=\"{}\" type=\"FAIL\">{}</failure>\n    </testcase>\n",
                escape(&message),
                escape_text(&body)
            );
        }
        Verdict::NotApplicable => {
            let message = format!("NOT-APPLICABLE: {}", c.actual);
            w!(
                o,
                ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                escape(&message)
            );
        }
        Verdict::AmbiguousInSpec => {
            let mut out = format!(
                "AMBIGUOUS-IN-SPEC: the spec can be read more than one way ({}); passed.\nrequirement: {}\nexpected: {}\nthe device chose: {}{measured}",
                c.clause, c.requirement, c.expected, c.actual
            );
            for f in &c.findings {
                w!(out, "\n- {f}");
            }
            w!(
                o,
                ">\n      <system-out>{}</system-out>\n    </testcase>\n",
                escape_text(&out)
            );
        }
    }
}
