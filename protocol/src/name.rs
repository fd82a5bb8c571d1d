//! [`EvidenceName`]: the file names of uploads U1–U5, parsed into typed
//! fields, with [`Finding`]s for readings of ambiguous clauses.

use std::fmt;
use std::ops::Range;

use chrono::{Datelike, Timelike};
use serde::Serialize;

use crate::codes::{
    AnalysisType, CameraCode, Clause, DailyCount, Extension, LockCode, LockState, MineCode,
    TamperKind, TransportState,
};
use crate::error::{Field, NameError};
use crate::time::MineTime;

/// The longest input [`EvidenceName::parse`] looks into, in characters (and
/// four times that in bytes). The longest form is 34 digits + `.jpg` = 38.
pub const MAX_NAME_LEN: usize = 64;

/// Clause cited before the form of a name is known.
const ANY: &str = "U1-U5";

/// One evidence file name, typed. Every value is a valid name and
/// [`Display`](fmt::Display) writes it exactly.
///
/// | variant | clause | digits | layout | ext |
/// |---|---|---|---|---|
/// | `People` | U1 | 34 | mine(12) camera(2) `01` count(4) time(14) | `.jpg` |
/// | `Truck` | U2 | 34 | mine camera `02` count time | `.jpg` |
/// | `Transport`, `state: None` | U3 | 30 | mine camera `03` time (the naming rule) | `.mp4` |
/// | `Transport`, `state: Some` | U3 | 32 | mine camera `03` state(2) time (the example) | `.mp4` |
/// | `Tamper` | U4 | 30 | mine camera `04`/`05` time | `.jpg` |
/// | `Lock` | U5 | 32 | mine lock(2) state(4) time | `.mp4` (example), `.jpg` (table) |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EvidenceName {
    /// U1: a person going down, JPEG.
    People {
        /// Mine code.
        mine: MineCode,
        /// The camera that saw the person.
        camera: CameraCode,
        /// People down so far today (CST), this one included.
        count: DailyCount,
        /// When, CST.
        time: MineTime,
    },
    /// U2: a truck leaving, JPEG.
    Truck {
        /// Mine code.
        mine: MineCode,
        /// The camera that saw the truck.
        camera: CameraCode,
        /// Trucks out so far today (CST), this one included.
        count: DailyCount,
        /// When, CST.
        time: MineTime,
    },
    /// U3: transport equipment started, or changed load while running; a
    /// 10-second MP4.
    Transport {
        /// Mine code.
        mine: MineCode,
        /// The camera on the transport equipment.
        camera: CameraCode,
        /// `None`: the 30-digit rule form; `Some`: the 32-digit example form
        /// (reference profile).
        state: Option<TransportState>,
        /// When, CST.
        time: MineTime,
    },
    /// U4: a camera occluded or moved, JPEG.
    Tamper {
        /// Mine code.
        mine: MineCode,
        /// The camera tampered with.
        camera: CameraCode,
        /// Occluded (04) or moved (05).
        kind: TamperKind,
        /// When, CST.
        time: MineTime,
    },
    /// U5: an electronic lock moved or damaged; a 10-second H.264 MP4 sent by
    /// HTTPS POST with a [`LockEventMetadata`](crate::LockEventMetadata).
    Lock {
        /// Mine code.
        mine: MineCode,
        /// The lock.
        lock: LockCode,
        /// Moved or damaged.
        state: LockState,
        /// When, CST.
        time: MineTime,
        /// `.mp4` in the reference profile; `.jpg` (the table) parses with a
        /// finding.
        ext: Extension,
    },
}

/// What kind of ambiguity a [`Finding`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// U3 in the example's 32-digit form, with a state code (reference
    /// profile). Serialized `u3_example_form_32`.
    #[serde(rename = "u3_example_form_32")]
    U3ExampleForm32,
    /// U3 in the naming rule's 30-digit form, without a state code.
    /// Serialized `u3_rule_form_30`.
    #[serde(rename = "u3_rule_form_30")]
    U3RuleForm30,
    /// U5 with `.jpg`, as the table says, while the example (and the H.264
    /// MP4 payload) say `.mp4`.
    U5JpgExtension,
}

/// A name that is valid under one reading of an ambiguous clause: reported,
/// neither passed silently nor failed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Finding {
    /// The ambiguous clause, e.g. `U3`.
    pub clause: &'static str,
    /// Which ambiguity.
    pub kind: FindingKind,
    /// One sentence for a report.
    pub message: String,
}

/// A parsed name and the ambiguities it hit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ParsedName {
    /// The typed name.
    pub name: EvidenceName,
    /// Findings, empty for an unambiguous name.
    pub findings: Vec<Finding>,
}

impl EvidenceName {
    /// Parses a bare file name such as `1404210078662001000520210104224515.jpg`.
    ///
    /// The form is told by the digit count (34, 32 or 30), the extension and
    /// the type digits at 14..16: in 32-digit names `03` there is U3's example
    /// form and `00` (the start of lock state `0001`/`0002`) is U5. Fields
    /// are then checked in order and the first bad one is reported with its
    /// byte span. Never panics.
    pub fn parse(name: &str) -> Result<ParsedName, NameError> {
        parse(name)
    }

    /// The clause of this form.
    pub const fn clause(&self) -> Clause {
        match self {
            EvidenceName::People { .. } => Clause::U1,
            EvidenceName::Truck { .. } => Clause::U2,
            EvidenceName::Transport { .. } => Clause::U3,
            EvidenceName::Tamper { .. } => Clause::U4,
            EvidenceName::Lock { .. } => Clause::U5,
        }
    }

    /// The mine code.
    pub const fn mine(&self) -> MineCode {
        match *self {
            EvidenceName::People { mine, .. }
            | EvidenceName::Truck { mine, .. }
            | EvidenceName::Transport { mine, .. }
            | EvidenceName::Tamper { mine, .. }
            | EvidenceName::Lock { mine, .. } => mine,
        }
    }

    /// The camera code; `None` for U5.
    pub const fn camera(&self) -> Option<CameraCode> {
        match *self {
            EvidenceName::People { camera, .. }
            | EvidenceName::Truck { camera, .. }
            | EvidenceName::Transport { camera, .. }
            | EvidenceName::Tamper { camera, .. } => Some(camera),
            EvidenceName::Lock { .. } => None,
        }
    }

    /// The analysis type; `None` for U5.
    pub const fn analysis_type(&self) -> Option<AnalysisType> {
        match *self {
            EvidenceName::People { .. } => Some(AnalysisType::People),
            EvidenceName::Truck { .. } => Some(AnalysisType::Vehicles),
            EvidenceName::Transport { .. } => Some(AnalysisType::TransportState),
            EvidenceName::Tamper { kind, .. } => Some(kind.analysis_type()),
            EvidenceName::Lock { .. } => None,
        }
    }

    /// The daily count; U1 and U2 only.
    pub const fn count(&self) -> Option<DailyCount> {
        match *self {
            EvidenceName::People { count, .. } | EvidenceName::Truck { count, .. } => Some(count),
            _ => None,
        }
    }

    /// The time, CST.
    pub const fn time(&self) -> MineTime {
        match *self {
            EvidenceName::People { time, .. }
            | EvidenceName::Truck { time, .. }
            | EvidenceName::Transport { time, .. }
            | EvidenceName::Tamper { time, .. }
            | EvidenceName::Lock { time, .. } => time,
        }
    }

    /// The extension.
    pub const fn extension(&self) -> Extension {
        match *self {
            EvidenceName::People { .. }
            | EvidenceName::Truck { .. }
            | EvidenceName::Tamper { .. } => Extension::Jpg,
            EvidenceName::Transport { .. } => Extension::Mp4,
            EvidenceName::Lock { ext, .. } => ext,
        }
    }

    /// The lock code; U5 only.
    pub const fn lock(&self) -> Option<LockCode> {
        match *self {
            EvidenceName::Lock { lock, .. } => Some(lock),
            _ => None,
        }
    }

    /// The lock state; U5 only.
    pub const fn lock_state(&self) -> Option<LockState> {
        match *self {
            EvidenceName::Lock { state, .. } => Some(state),
            _ => None,
        }
    }

    /// The transport state; U3 in the 32-digit form only.
    pub const fn transport_state(&self) -> Option<TransportState> {
        match *self {
            EvidenceName::Transport { state, .. } => state,
            _ => None,
        }
    }

    /// The tamper kind; U4 only.
    pub const fn tamper_kind(&self) -> Option<TamperKind> {
        match *self {
            EvidenceName::Tamper { kind, .. } => Some(kind),
            _ => None,
        }
    }

    /// Number of digits before the extension: 34, 32 or 30.
    pub const fn digit_len(&self) -> usize {
        match self {
            EvidenceName::People { .. } | EvidenceName::Truck { .. } => 34,
            EvidenceName::Transport { state: Some(_), .. } | EvidenceName::Lock { .. } => 32,
            EvidenceName::Transport { state: None, .. } | EvidenceName::Tamper { .. } => 30,
        }
    }

    /// The findings this name carries when parsed (see [`ParsedName`]).
    pub fn findings(&self) -> Vec<Finding> {
        match *self {
            EvidenceName::Transport {
                state: Some(state), ..
            } => vec![Finding {
                clause: "U3",
                kind: FindingKind::U3ExampleForm32,
                message: format!(
                    "U3 name in the spec example's 32-digit form (state {} = {}); the naming \
                     rule has 30 digits and no state code: ambiguous in spec, accepted \
                     (reference profile form)",
                    state.code(),
                    state.label()
                ),
            }],
            EvidenceName::Transport { state: None, .. } => vec![Finding {
                clause: "U3",
                kind: FindingKind::U3RuleForm30,
                message: "U3 name in the 30-digit rule form (no state code); the spec example \
                          has a 2-digit state after the type: ambiguous in spec, accepted"
                    .to_owned(),
            }],
            EvidenceName::Lock {
                ext: Extension::Jpg,
                ..
            } => vec![Finding {
                clause: "U5",
                kind: FindingKind::U5JpgExtension,
                message: "U5 name with .jpg as the table says while the example uses .mp4 (and \
                          the payload is an H.264 MP4): ambiguous in spec, accepted \
                          (reference profile: .mp4)"
                    .to_owned(),
            }],
            _ => Vec::new(),
        }
    }
}

impl fmt::Display for EvidenceName {
    /// Writes the exact name, e.g. `1404210078662001000520210104224515.jpg`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut b = NameBuf::default();
        b.push(self.mine().as_str());
        match self {
            EvidenceName::People { camera, count, .. }
            | EvidenceName::Truck { camera, count, .. } => {
                b.num(u32::from(camera.get()), 2);
                b.push(self.analysis_type().map_or("", AnalysisType::code));
                b.num(u32::from(count.get()), 4);
            }
            EvidenceName::Transport { camera, state, .. } => {
                b.num(u32::from(camera.get()), 2);
                b.push(AnalysisType::TransportState.code());
                b.push(state.map_or("", TransportState::code));
            }
            EvidenceName::Tamper { camera, kind, .. } => {
                b.num(u32::from(camera.get()), 2);
                b.push(kind.code());
            }
            EvidenceName::Lock { lock, state, .. } => {
                b.num(u32::from(lock.get()), 2);
                b.push(state.code());
            }
        }
        let t = self.time().naive();
        // `MineTime` years are 0001-9999.
        b.num(t.year().unsigned_abs(), 4);
        for part in [t.month(), t.day(), t.hour(), t.minute(), t.second()] {
            b.num(part, 2);
        }
        b.push(self.extension().suffix());
        f.write_str(b.as_str())
    }
}

/// A name assembled in place (names are at most 38 bytes).
struct NameBuf {
    bytes: [u8; 40],
    len: usize,
}

impl Default for NameBuf {
    fn default() -> Self {
        NameBuf {
            bytes: [0; 40],
            len: 0,
        }
    }
}

impl NameBuf {
    fn byte(&mut self, b: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    fn push(&mut self, s: &str) {
        for &b in s.as_bytes() {
            self.byte(b);
        }
    }

    /// `value` as exactly `width` decimal digits, zero-padded.
    fn num(&mut self, value: u32, width: u32) {
        for i in (0..width).rev() {
            // A digit 0-9 fits u8.
            self.byte(b'0' + ((value / 10u32.pow(i)) % 10) as u8);
        }
    }

    fn as_str(&self) -> &str {
        // Only ASCII is ever pushed.
        std::str::from_utf8(self.bytes.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }
}

/// Serializes as the file name.
impl Serialize for EvidenceName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

// ---------------------------------------------------------------------------

/// The digits before the extension, indexed by character so that a
/// multi-byte character (full-width `１`) still falls in the field it
/// replaces, while spans stay in bytes.
struct Stem<'a> {
    text: &'a str,
    /// Byte offset of each character, then `text.len()`; `None` when ASCII.
    offsets: Option<Vec<usize>>,
    chars: usize,
}

impl<'a> Stem<'a> {
    fn new(text: &'a str) -> Self {
        if text.is_ascii() {
            Stem {
                text,
                offsets: None,
                chars: text.len(),
            }
        } else {
            let offsets: Vec<usize> = text
                .char_indices()
                .map(|(i, _)| i)
                .chain([text.len()])
                .collect();
            let chars = offsets.len() - 1;
            Stem {
                text,
                offsets: Some(offsets),
                chars,
            }
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.offsets {
            None => char_index.min(self.text.len()),
            Some(o) => o.get(char_index).copied().unwrap_or(self.text.len()),
        }
    }

    /// Characters `chars` of the stem and their byte span.
    fn get(&self, chars: Range<usize>) -> (&'a str, Range<usize>) {
        let span = self.byte(chars.start)..self.byte(chars.end);
        (self.text.get(span.clone()).unwrap_or_default(), span)
    }

    /// Parses characters `chars` with `parse`, placing any error at the
    /// field's byte span and citing `clause`.
    fn field<T>(
        &self,
        chars: Range<usize>,
        clause: &'static str,
        parse: fn(&str) -> Result<T, NameError>,
    ) -> Result<T, NameError> {
        let (text, span) = self.get(chars);
        parse(text).map_err(|e| e.within(span.start, clause))
    }
}

/// The extension as parsed, with its span (the dot included).
struct Ext {
    ext: Extension,
    span: Range<usize>,
}

impl Ext {
    /// `Ok` when the name's extension is `want`, for a `what`-clause name.
    fn require(&self, want: Extension, clause: &'static str, what: &str) -> Result<(), NameError> {
        if self.ext == want {
            Ok(())
        } else {
            Err(NameError::new(
                Field::Extension,
                self.span.clone(),
                self.ext.suffix(),
                format!("\"{}\": {what}", want.suffix()),
                clause,
            ))
        }
    }
}

fn parse(name: &str) -> Result<ParsedName, NameError> {
    if name.is_empty() {
        return Err(NameError::new(
            Field::Name,
            0..0,
            "",
            "a non-empty file name",
            ANY,
        ));
    }
    if name.len() > 4 * MAX_NAME_LEN || name.chars().count() > MAX_NAME_LEN {
        return Err(NameError::new(
            Field::Length,
            0..name.len(),
            name,
            format!("at most {MAX_NAME_LEN} characters (the longest form is 34 digits + \".jpg\")"),
            ANY,
        ));
    }
    // The first `/`, `\` or `..`.
    let path = name.bytes().enumerate().find_map(|(i, b)| match b {
        b'/' | b'\\' => Some(i..i + 1),
        b'.' if name.as_bytes().get(i + 1) == Some(&b'.') => Some(i..i + 2),
        _ => None,
    });
    if let Some(span) = path {
        let found = name.get(span.clone()).unwrap_or_default();
        return Err(NameError::new(
            Field::Name,
            span,
            found,
            "a bare file name, no path components",
            ANY,
        ));
    }
    let Some(dot) = name.find('.') else {
        return Err(NameError::new(
            Field::Extension,
            name.len()..name.len(),
            "",
            "\".jpg\" or \".mp4\" after the digits",
            ANY,
        ));
    };
    let ext_text = name.get(dot + 1..).unwrap_or_default();
    let ext = match ext_text {
        "jpg" => Extension::Jpg,
        "mp4" => Extension::Mp4,
        other => {
            let expected = if other.eq_ignore_ascii_case("jpg") {
                "\".jpg\" in lower case, as in the spec examples"
            } else if other.eq_ignore_ascii_case("mp4") {
                "\".mp4\" in lower case, as in the spec examples"
            } else {
                "\".jpg\" or \".mp4\" (one extension, lower case)"
            };
            let found = name.get(dot..).unwrap_or_default();
            return Err(NameError::new(
                Field::Extension,
                dot..name.len(),
                found,
                expected,
                ANY,
            ));
        }
    };
    let ext = Ext {
        ext,
        span: dot..name.len(),
    };
    let stem = Stem::new(name.get(..dot).unwrap_or_default());

    let parsed = match stem.chars {
        34 => parse_34(&stem, &ext),
        30 => parse_30(&stem, &ext),
        32 => parse_32(&stem, &ext),
        n => Err(bad_length(&stem, n)),
    }?;
    let findings = parsed.findings();
    Ok(ParsedName {
        name: parsed,
        findings,
    })
}

/// A stem of no known length: point at a stray character if there is one,
/// else report the length.
fn bad_length(stem: &Stem<'_>, chars: usize) -> NameError {
    match stem.text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, c)) => NameError::new(
            Field::Name,
            i..i + c.len_utf8(),
            &c.to_string(),
            "ASCII digits 0-9 then the extension (names are digits only)",
            ANY,
        ),
        None => NameError::new(
            Field::Length,
            0..stem.text.len(),
            &format!("{chars} digits"),
            "34 digits (U1, U2), 32 (U3 example form, U5) or 30 (U3 rule form, U4) \
             before the extension",
            ANY,
        ),
    }
}

/// U1, U2: mine camera type count time, `.jpg`.
fn parse_34(stem: &Stem<'_>, ext: &Ext) -> Result<EvidenceName, NameError> {
    let clause = match stem.get(14..16).0 {
        "01" => "U1",
        "02" => "U2",
        "03" => "U3",
        "04" | "05" => "U4",
        _ => "U1/U2",
    };
    let mine = stem.field(0..12, clause, MineCode::parse)?;
    let camera = stem.field(12..14, clause, CameraCode::parse)?;
    let kind = stem.field(14..16, clause, AnalysisType::parse)?;
    let no_count = |expected: &str| {
        let (found, span) = stem.get(16..20);
        Err(NameError::new(Field::Count, span, found, expected, clause))
    };
    match kind {
        AnalysisType::People | AnalysisType::Vehicles => {}
        AnalysisType::TransportState => {
            return no_count(
                "no count field here: a U3 transport name is mine+camera+03[+state]+time \
                 (30 or 32 digits), this one has 34",
            );
        }
        AnalysisType::Occlusion | AnalysisType::AngleMoved => {
            return no_count(
                "no count field here: a U4 tamper name is mine+camera+type+time \
                 (30 digits), this one has 34",
            );
        }
    }
    ext.require(Extension::Jpg, clause, "U1/U2 evidence is a JPEG image")?;
    let count = stem.field(16..20, clause, DailyCount::parse)?;
    let time = stem.field(20..34, clause, MineTime::parse)?;
    Ok(match kind {
        AnalysisType::People => EvidenceName::People {
            mine,
            camera,
            count,
            time,
        },
        _ => EvidenceName::Truck {
            mine,
            camera,
            count,
            time,
        },
    })
}

/// U3 rule form (`.mp4`) and U4 (`.jpg`): mine camera type time.
fn parse_30(stem: &Stem<'_>, ext: &Ext) -> Result<EvidenceName, NameError> {
    let clause = match stem.get(14..16).0 {
        "01" => "U1",
        "02" => "U2",
        "03" => "U3",
        "04" | "05" => "U4",
        _ => "U3/U4",
    };
    let mine = stem.field(0..12, clause, MineCode::parse)?;
    let camera = stem.field(12..14, clause, CameraCode::parse)?;
    let kind = stem.field(14..16, clause, AnalysisType::parse)?;
    let tamper = match kind {
        AnalysisType::People | AnalysisType::Vehicles => {
            let (_, span) = stem.get(16..16);
            return Err(NameError::new(
                Field::Count,
                span,
                "",
                "a 4-digit daily count after the type (U1/U2 names have 34 digits; this one has 30)",
                clause,
            ));
        }
        AnalysisType::TransportState => None,
        AnalysisType::Occlusion => Some(TamperKind::Occlusion),
        AnalysisType::AngleMoved => Some(TamperKind::AngleMoved),
    };
    match tamper {
        None => ext.require(
            Extension::Mp4,
            clause,
            "U3 evidence is a 10-second MP4 clip",
        )?,
        Some(_) => ext.require(Extension::Jpg, clause, "U4 evidence is a JPEG image")?,
    }
    let time = stem.field(16..30, clause, MineTime::parse)?;
    Ok(match tamper {
        None => EvidenceName::Transport {
            mine,
            camera,
            state: None,
            time,
        },
        Some(kind) => EvidenceName::Tamper {
            mine,
            camera,
            kind,
            time,
        },
    })
}

/// U3 example form (`03` at 14..16) and U5 (anything else; lock state
/// `0001`/`0002` starts with `00`).
fn parse_32(stem: &Stem<'_>, ext: &Ext) -> Result<EvidenceName, NameError> {
    if stem.get(14..16).0 == "03" {
        let clause = "U3";
        let mine = stem.field(0..12, clause, MineCode::parse)?;
        let camera = stem.field(12..14, clause, CameraCode::parse)?;
        ext.require(
            Extension::Mp4,
            clause,
            "U3 evidence is a 10-second MP4 clip",
        )?;
        let state = stem.field(16..18, clause, TransportState::parse)?;
        let time = stem.field(18..32, clause, MineTime::parse)?;
        Ok(EvidenceName::Transport {
            mine,
            camera,
            state: Some(state),
            time,
        })
    } else {
        let clause = "U5";
        let mine = stem.field(0..12, clause, MineCode::parse)?;
        let lock = stem.field(12..14, clause, LockCode::parse)?;
        let state = stem.field(14..18, clause, LockState::parse)?;
        let time = stem.field(18..32, clause, MineTime::parse)?;
        Ok(EvidenceName::Lock {
            mine,
            lock,
            state,
            time,
            ext: ext.ext,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_u1_example() -> Result<(), NameError> {
        let p = EvidenceName::parse("1404210078662001000520210104224515.jpg")?;
        assert_eq!(p.name.count().map(DailyCount::get), Some(5));
        assert!(p.findings.is_empty());
        assert_eq!(p.name.to_string(), "1404210078662001000520210104224515.jpg");
        Ok(())
    }

    #[test]
    fn error_span_points_at_the_field() {
        let e = EvidenceName::parse("14042100786620010a0520210104224515.jpg").err();
        assert_eq!(
            e.map(|e| e.to_string()),
            Some(r#"field count: expected 4 digits at 16..20, found "0a05" (U1)"#.to_owned())
        );
    }
}
