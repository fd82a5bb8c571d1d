//! Diagnostics: every problem in a scenario file, named by file, 1-based line and field path,
//! with what was expected and what was found; how a field path is located in the text; and how
//! values are named in messages.

use std::fmt;
use std::ops::Range;

use crate::scene::SiteKind;

/// One problem in a scenario file, located by file, line and field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as given to the loader (e.g. `scenarios/x.toml`).
    pub file: String,
    /// 1-based line of the offending value (or of its table when the value is missing).
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// Field path, e.g. `cameras[1].tilt_deg`; `.` for the whole document.
    pub field: String,
    /// What is wrong: expected and found.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.field, self.message
        )
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{path}: cannot read scenario file: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid scenario; every problem found, in file order.
    #[error("{}", join_lines(.0))]
    Invalid(Vec<Diagnostic>),
}

impl ScenarioError {
    /// The diagnostics (empty for I/O errors).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ScenarioError::Io { .. } => &[],
            ScenarioError::Invalid(d) => d,
        }
    }
}

fn join_lines(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------------
// Locating fields

/// Finds where a field path's value stands in the text, for its diagnostic's line and column.
pub(super) struct Locator<'a> {
    text: &'a str,
    file: String,
    doc: Option<toml::Spanned<toml::de::DeTable<'a>>>,
}

impl<'a> Locator<'a> {
    pub(super) fn new(text: &'a str, file: &str) -> Locator<'a> {
        Locator {
            text,
            file: file.to_owned(),
            doc: toml::de::DeTable::parse(text).ok(),
        }
    }

    pub(super) fn at_span(
        &self,
        span: Option<Range<usize>>,
        field: &str,
        message: &str,
    ) -> Diagnostic {
        let start = span.map_or(0, |s| s.start).min(self.text.len());
        let before = self.text.get(..start).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Diagnostic {
            file: self.file.clone(),
            line,
            column,
            field: field.to_owned(),
            message: message.trim().to_owned(),
        }
    }

    /// The span of the value at `path` (`a.b[2].c`), or of its nearest existing ancestor.
    fn span_of(&self, path: &str) -> Option<Range<usize>> {
        let doc = self.doc.as_ref()?;
        let mut best = doc.span();
        let mut table: Option<&toml::de::DeTable<'_>> = Some(doc.get_ref());
        let mut value: Option<&toml::Spanned<toml::de::DeValue<'_>>> = None;
        for seg in path_segments(path) {
            let next = match (seg, table, value) {
                (Seg::Key(k), Some(t), _) => t.get(k),
                (Seg::Key(k), None, Some(v)) => v.get_ref().get(k),
                (Seg::Index(i), _, Some(v)) => v.get_ref().get(i),
                _ => None,
            };
            let Some(next) = next else { break };
            best = next.span();
            value = Some(next);
            table = None;
        }
        Some(best)
    }

    pub(super) fn at_path(&self, path: &str, message: &str) -> Diagnostic {
        self.at_span(self.span_of(path), path, message)
    }
}

enum Seg<'p> {
    Key(&'p str),
    Index(usize),
}

fn path_segments(path: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            out.push(Seg::Key(key));
        }
        for idx in rest.split('[') {
            if let Ok(i) = idx.trim_end_matches(']').parse() {
                out.push(Seg::Index(i));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Naming values in messages

/// snake_case name of a site kind, as in scenario files.
pub fn site_name(s: SiteKind) -> &'static str {
    match s {
        SiteKind::ShaftMouth => "shaft_mouth",
        SiteKind::ReturnAirShaft => "return_air_shaft",
        SiteKind::VehicleGate => "vehicle_gate",
        SiteKind::Belt => "belt",
        SiteKind::SkipHeadframe => "skip_headframe",
    }
}

/// `+HH:MM:SS.mmm` of an offset in ns.
pub fn fmt_offset(ns: u64) -> String {
    let ms = ns / 1_000_000;
    let (h, m, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    if milli == 0 {
        format!("+{h:02}:{m:02}:{s:02}")
    } else {
        format!("+{h:02}:{m:02}:{s:02}.{milli:03}")
    }
}
