//! Import of mine base data (P9): CSV with a header row, or a JSON array of [`MineConfig`].
//!
//! Validation collects **all** errors, each naming its row (CSV: the file's line of the record,
//! the header being row 1; JSON: the array item, from 1), the column (Chinese and English name)
//! and the expected form; an import with any error imports nothing.
//!
//! CSV columns (either name may head a column; order is free; unknown columns are errors):
//!
//! | Chinese | English | form | required |
//! |---|---|---|---|
//! | 矿山编码 | `mine_code` (or `mine`) | 12 digits, first six a county code (R1) | yes |
//! | 矿山名称 | `name` | text | yes |
//! | 矿山状态 | `state` | 停产 / 停建 / 关闭 (or `stopped` / `construction_stopped` / `closing`) | yes |
//! | 停产日期 | `shutdown_date` | YYYY-MM-DD | no |
//! | 一停四不停 | `one_stop_four_continue` | 是/否 (or true/false, yes/no, 1/0); empty = 否 | no |
//! | 每日预计下井人数 | `expected_people_per_day` | integer 0–9999 | no |
//! | 关闭日期 | `closing_date` | YYYY-MM-DD | no |
//! | 回撤期 | `in_withdrawal` | 是/否; 是 needs the next two columns | no |
//! | 回撤期限 | `withdrawal_deadline` | YYYY-MM-DD | with 回撤期 = 是 |
//! | 回撤期每日下井人数 | `withdrawal_people_per_day` | integer 0–9999 | with 回撤期 = 是 |
//! | 车辆阈值 | `truck_threshold` | integer 0–9999 | no |
//! | 人员阈值 | `people_threshold` | integer 0–9999 | no |
//! | 摄像头位置 | `cameras` | `20=副井口;30=车辆出入口` (camera code 10–39 = site name) | no |
//!
//! An empty cell is an absent value. A UTF-8 byte-order mark (spreadsheet exports) is ignored.
//! JSON field names are those of [`MineConfig`] (`mine` also accepts `mine_code`); the
//! withdrawal period is an object `{"deadline": "YYYY-MM-DD", "expected_people_per_day": n}`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::NaiveDate;
use eseal_protocol::{CameraCode, MineCode};

use super::{MineConfig, MineState, Withdrawal};
use crate::supervision::UnitCode;

/// Where an import error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The input as a whole (not CSV / not a JSON array).
    File,
    /// A CSV row: the header is row 1, the first record row 2.
    Row(usize),
    /// A JSON array item, from 1.
    Item(usize),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::File => f.write_str("input"),
            Place::Row(n) => write!(f, "row {n}"),
            Place::Item(n) => write!(f, "item {n}"),
        }
    }
}

/// One error of an import (P9).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{place}{}: expected {expected}{}", column.as_ref().map(|c| format!(", column {c}")).unwrap_or_default(), found.as_ref().map(|f| format!(", found {f:?}")).unwrap_or_default())]
pub struct ImportError {
    /// Row or item.
    pub place: Place,
    /// The column, `中文 (english)`, when one is to blame.
    pub column: Option<String>,
    /// The expected form.
    pub expected: String,
    /// What was found, when there was something.
    pub found: Option<String>,
}

/// Every error of a refused import, in input order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("mine import refused (P9), nothing imported; {} error(s):\n{}", .0.len(), .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct ImportErrors(pub Vec<ImportError>);

/// The CSV columns (module doc's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Col {
    Mine,
    Name,
    State,
    ShutdownDate,
    Flag,
    Expected,
    ClosingDate,
    InWithdrawal,
    WithdrawalDeadline,
    WithdrawalPeople,
    Trucks,
    People,
    Cameras,
}

const DATE: &str = "YYYY-MM-DD";
const COUNT: &str = "an integer 0-9999";
const YES_NO: &str = "是/否 (true/false, yes/no, 1/0)";

impl Col {
    const ALL: [Col; 13] = [
        Col::Mine,
        Col::Name,
        Col::State,
        Col::ShutdownDate,
        Col::Flag,
        Col::Expected,
        Col::ClosingDate,
        Col::InWithdrawal,
        Col::WithdrawalDeadline,
        Col::WithdrawalPeople,
        Col::Trucks,
        Col::People,
        Col::Cameras,
    ];

    /// (Chinese, English) names.
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Col::Mine => ("矿山编码", "mine_code"),
            Col::Name => ("矿山名称", "name"),
            Col::State => ("矿山状态", "state"),
            Col::ShutdownDate => ("停产日期", "shutdown_date"),
            Col::Flag => ("一停四不停", "one_stop_four_continue"),
            Col::Expected => ("每日预计下井人数", "expected_people_per_day"),
            Col::ClosingDate => ("关闭日期", "closing_date"),
            Col::InWithdrawal => ("回撤期", "in_withdrawal"),
            Col::WithdrawalDeadline => ("回撤期限", "withdrawal_deadline"),
            Col::WithdrawalPeople => ("回撤期每日下井人数", "withdrawal_people_per_day"),
            Col::Trucks => ("车辆阈值", "truck_threshold"),
            Col::People => ("人员阈值", "people_threshold"),
            Col::Cameras => ("摄像头位置", "cameras"),
        }
    }

    fn label(self) -> String {
        let (zh, en) = self.names();
        format!("{zh} ({en})")
    }

    fn from_header(h: &str) -> Option<Col> {
        Col::ALL
            .into_iter()
            .find(|c| c.names().0 == h || c.names().1 == h || (*c == Col::Mine && h == "mine"))
    }

    fn required(self) -> bool {
        matches!(self, Col::Mine | Col::Name | Col::State)
    }
}

/// Collects the errors of one import.
struct Errors {
    list: Vec<ImportError>,
}

impl Errors {
    fn push(&mut self, place: Place, column: Option<String>, expected: &str, found: Option<&str>) {
        self.list.push(ImportError {
            place,
            column,
            expected: expected.to_owned(),
            found: found.map(str::to_owned),
        });
    }
}

/// One CSV record's cells, by column; parses each into its type, recording errors.
struct Cells<'a> {
    row: usize,
    cells: BTreeMap<Col, &'a str>,
}

impl Cells<'_> {
    fn get(&self, c: Col) -> Option<&str> {
        self.cells.get(&c).copied().filter(|s| !s.is_empty())
    }

    fn parse<T>(
        &self,
        errors: &mut Errors,
        c: Col,
        expected: &str,
        f: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let s = self.get(c)?;
        let v = f(s);
        if v.is_none() {
            errors.push(Place::Row(self.row), Some(c.label()), expected, Some(s));
        }
        v
    }

    fn date(&self, errors: &mut Errors, c: Col) -> Option<NaiveDate> {
        self.parse(errors, c, DATE, parse_date)
    }

    fn count(&self, errors: &mut Errors, c: Col) -> Option<u16> {
        self.parse(errors, c, COUNT, parse_count)
    }

    fn flag(&self, errors: &mut Errors, c: Col) -> bool {
        self.parse(errors, c, YES_NO, parse_yes_no).unwrap_or(false)
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn parse_count(s: &str) -> Option<u16> {
    s.parse::<u16>().ok().filter(|n| *n <= 9999)
}

fn parse_yes_no(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "是" | "true" | "yes" | "y" | "1" => Some(true),
        "否" | "false" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

fn parse_cameras(s: &str) -> Option<BTreeMap<CameraCode, String>> {
    let mut out = BTreeMap::new();
    for part in s
        .split([';', '；'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (code, site) = part.split_once('=')?;
        let site = site.trim();
        if site.is_empty() {
            return None;
        }
        let code = CameraCode::parse(code.trim()).ok()?;
        if out.insert(code, site.to_owned()).is_some() {
            return None;
        }
    }
    Some(out)
}

/// Imports mine base data from CSV text (module doc's columns). All-or-nothing.
pub fn import_csv(text: &str) -> Result<Vec<MineConfig>, ImportErrors> {
    import_csv_placed(text).map(unplaced)
}

/// As [`import_csv`], each mine with the row it came from.
pub fn import_csv_placed(text: &str) -> Result<Vec<(Place, MineConfig)>, ImportErrors> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut errors = Errors { list: Vec::new() };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(file_error(&format!("CSV with a header row ({e})"))),
        None => return Err(file_error("a header row naming the columns")),
    };
    let mut columns: Vec<Option<Col>> = Vec::new();
    let mut seen = BTreeSet::new();
    for h in header.iter().map(str::trim) {
        let col = Col::from_header(h);
        match col {
            None => errors.push(
                Place::Row(1),
                Some(h.to_owned()),
                "a known column (矿山编码/mine_code, 矿山名称/name, ... see the import doc)",
                None,
            ),
            Some(c) if !seen.insert(c) => {
                errors.push(Place::Row(1), Some(c.label()), "each column once", Some(h))
            }
            Some(_) => {}
        }
        columns.push(col);
    }
    for c in Col::ALL
        .into_iter()
        .filter(|c| c.required() && !seen.contains(c))
    {
        errors.push(
            Place::Row(1),
            Some(c.label()),
            "this required column in the header",
            None,
        );
    }
    let mut mines = Vec::new();
    let mut places = Vec::new();
    let mut lines = Lines::new(text);
    for (i, record) in records.enumerate() {
        // The file's line of the record: the reader skips empty lines, so it is not `i + 2`.
        let mut line = |p: Option<&csv::Position>| p.map_or(i + 2, |p| lines.at(p.byte()));
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let row = line(e.position());
                errors.push(Place::Row(row), None, &format!("a CSV record ({e})"), None);
                continue;
            }
        };
        let row = line(record.position());
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if record.len() > columns.len() {
            let n = columns.len().to_string();
            errors.push(
                Place::Row(row),
                None,
                &format!("at most {n} cells, as the header"),
                Some(&record.len().to_string()),
            );
        }
        let cells = Cells {
            row,
            cells: columns
                .iter()
                .zip(record.iter())
                .filter_map(|(c, v)| c.map(|c| (c, v.trim())))
                .collect(),
        };
        if let Some(m) = csv_mine(&cells, &mut errors) {
            mines.push(m);
            places.push(Place::Row(row));
        }
    }
    check_all(&mines, &places, &mut errors);
    finish(mines, places, errors)
}

/// Line numbers of byte offsets of a text, asked in increasing order.
struct Lines<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        Lines {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// The line (from 1) of the first byte at or after `byte` that is not a line break: where a
    /// record the reader started reading at `byte` (before the empty lines it skips) begins.
    fn at(&mut self, byte: u64) -> usize {
        let start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        let rest = &self.text[start..];
        let start = start
            + rest
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
        if start >= self.offset {
            let breaks = self.text[self.offset..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.line += breaks;
            self.offset = start;
        }
        self.line
    }
}

fn csv_mine(cells: &Cells<'_>, errors: &mut Errors) -> Option<MineConfig> {
    let place = Place::Row(cells.row);
    let mut missing = |c: Col| {
        errors.push(place, Some(c.label()), "a value (required)", None);
    };
    let (code, name, state) = (
        cells.get(Col::Mine),
        cells.get(Col::Name),
        cells.get(Col::State),
    );
    for (c, v) in [(Col::Mine, code), (Col::Name, name), (Col::State, state)] {
        if v.is_none() {
            missing(c);
        }
    }
    let mine = cells.parse(errors, Col::Mine, "12 digits (R1)", |s| {
        MineCode::parse(s).ok()
    });
    let state = cells.parse(errors, Col::State, "停产, 停建 or 关闭", MineState::parse);
    let shutdown_date = cells.date(errors, Col::ShutdownDate);
    let one_stop_four_continue = cells.flag(errors, Col::Flag);
    let expected_people_per_day = cells.count(errors, Col::Expected);
    let closing_date = cells.date(errors, Col::ClosingDate);
    let in_withdrawal = cells.flag(errors, Col::InWithdrawal);
    let deadline = cells.date(errors, Col::WithdrawalDeadline);
    let w_people = cells.count(errors, Col::WithdrawalPeople);
    let truck_threshold = cells.count(errors, Col::Trucks);
    let people_threshold = cells.count(errors, Col::People);
    let cameras = cells
        .parse(
            errors,
            Col::Cameras,
            "code=site pairs separated by ';', e.g. 20=副井口;30=车辆出入口",
            parse_cameras,
        )
        .unwrap_or_default();
    let withdrawal = if in_withdrawal {
        for (c, present) in [
            (
                Col::WithdrawalDeadline,
                cells.get(Col::WithdrawalDeadline).is_some(),
            ),
            (
                Col::WithdrawalPeople,
                cells.get(Col::WithdrawalPeople).is_some(),
            ),
        ] {
            if !present {
                errors.push(
                    place,
                    Some(c.label()),
                    "a value when 回撤期 (in_withdrawal) is 是",
                    None,
                );
            }
        }
        deadline
            .zip(w_people)
            .map(|(deadline, expected_people_per_day)| Withdrawal {
                deadline,
                expected_people_per_day,
            })
    } else {
        for c in [Col::WithdrawalDeadline, Col::WithdrawalPeople] {
            if let Some(v) = cells.get(c) {
                errors.push(
                    place,
                    Some(c.label()),
                    "empty unless 回撤期 (in_withdrawal) is 是",
                    Some(v),
                );
            }
        }
        None
    };
    Some(MineConfig {
        mine: mine?,
        name: name?.to_owned(),
        state: state?,
        shutdown_date,
        one_stop_four_continue,
        expected_people_per_day,
        closing_date,
        withdrawal,
        truck_threshold,
        people_threshold,
        cameras,
    })
}

/// Imports mine base data from a JSON array of [`MineConfig`]. All-or-nothing.
pub fn import_json(text: &str) -> Result<Vec<MineConfig>, ImportErrors> {
    import_json_placed(text).map(unplaced)
}

/// As [`import_json`], each mine with the array item it came from.
pub fn import_json_placed(text: &str) -> Result<Vec<(Place, MineConfig)>, ImportErrors> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| file_error(&format!("a JSON array of mine configurations ({e})")))?;
    let serde_json::Value::Array(items) = value else {
        return Err(file_error("a JSON array of mine configurations"));
    };
    let mut errors = Errors { list: Vec::new() };
    let mut mines = Vec::new();
    let mut places = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let place = Place::Item(i + 1);
        match serde_path_to_error::deserialize::<_, MineConfig>(item) {
            Ok(m) => {
                mines.push(m);
                places.push(place);
            }
            Err(e) => {
                let path = serde_field(&e.path().to_string(), &e.inner().to_string());
                let found = lookup(item, e.path()).map(|v| v.to_string());
                let field = path.rsplit('.').next().unwrap_or(&path);
                let form = json_form(field);
                let expected = format!("{form}({})", e.inner());
                errors.push(place, Some(path), &expected, found.as_deref());
            }
        }
    }
    check_all(&mines, &places, &mut errors);
    finish(mines, places, errors)
}

/// The field a serde error is about: its path, or for a missing / unknown field at the top
/// (path `.`) the name in the message.
pub(crate) fn serde_field(path: &str, message: &str) -> String {
    if path != "." {
        return path.to_owned();
    }
    ["missing field `", "unknown field `"]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .and_then(|rest| rest.split('`').next())
        .map_or_else(|| path.to_owned(), str::to_owned)
}

/// The documented form of a JSON field, by name.
fn json_form(field: &str) -> String {
    let form = match field {
        "shutdown_date" | "closing_date" | "deadline" => DATE,
        "expected_people_per_day" | "truck_threshold" | "people_threshold" => COUNT,
        "one_stop_four_continue" => "true or false",
        "mine" | "mine_code" => "12 digits (R1)",
        "state" => "停产, 停建 or 关闭",
        _ => return String::new(),
    };
    format!("{form} ")
}

/// The value at a serde path inside `v`, for "found".
fn lookup<'a>(
    v: &'a serde_json::Value,
    path: &serde_path_to_error::Path,
) -> Option<&'a serde_json::Value> {
    use serde_path_to_error::Segment;
    path.iter().try_fold(v, |v, seg| match seg {
        Segment::Seq { index } => v.get(*index),
        Segment::Map { key } => v.get(key.as_str()),
        Segment::Enum { .. } | Segment::Unknown => Some(v),
    })
}

/// Checks across fields and records, the same for CSV and JSON: the mine code names a county
/// (R1), names are not empty, each mine appears once.
fn check_all(mines: &[MineConfig], places: &[Place], errors: &mut Errors) {
    let mut first: BTreeMap<MineCode, Place> = BTreeMap::new();
    for (m, place) in mines.iter().zip(places) {
        let code_col = Some(Col::Mine.label());
        if UnitCode::parse(m.mine.as_str()).is_err() {
            errors.push(
                *place,
                code_col.clone(),
                "a mine code whose first six digits are a county code (R1)",
                Some(m.mine.as_str()),
            );
        }
        if m.name.trim().is_empty() {
            errors.push(
                *place,
                Some(Col::Name.label()),
                "a non-empty name",
                Some(&m.name),
            );
        }
        match first.get(&m.mine) {
            Some(p) => errors.push(
                *place,
                code_col,
                &format!("each mine once (already at {p})"),
                Some(m.mine.as_str()),
            ),
            None => {
                first.insert(m.mine, *place);
            }
        }
    }
}

fn file_error(expected: &str) -> ImportErrors {
    ImportErrors(vec![ImportError {
        place: Place::File,
        column: None,
        expected: expected.to_owned(),
        found: None,
    }])
}

fn unplaced(mines: Vec<(Place, MineConfig)>) -> Vec<MineConfig> {
    mines.into_iter().map(|(_, m)| m).collect()
}

fn finish(
    mines: Vec<MineConfig>,
    places: Vec<Place>,
    errors: Errors,
) -> Result<Vec<(Place, MineConfig)>, ImportErrors> {
    if errors.list.is_empty() {
        Ok(places.into_iter().zip(mines).collect())
    } else {
        let mut list = errors.list;
        list.sort_by_key(|e| match e.place {
            Place::File => 0,
            Place::Row(n) | Place::Item(n) => n,
        });
        Err(ImportErrors(list))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mines");

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!("{FIXTURES}/{name}")).expect(name)
    }

    #[test]
    fn chinese_and_english_headers_import_the_same_mines() {
        let zh = import_csv(&fixture("mines-zh.csv")).expect("zh imports");
        let en = import_csv(&fixture("mines-en.csv")).expect("en imports");
        assert_eq!(zh, en);
        assert_eq!(zh.len(), 3);
        let w = zh[1].withdrawal.expect("second mine in withdrawal");
        assert_eq!(w.expected_people_per_day, 12);
        assert_eq!(zh[0].cameras.len(), 2);
        assert!(zh[0].one_stop_four_continue);
        assert_eq!(zh[2].state, MineState::Closing);
    }

    #[test]
    fn json_imports_what_csv_imports() {
        let csv = import_csv(&fixture("mines-zh.csv")).expect("csv");
        let json = import_json(&fixture("mines.json")).expect("json");
        assert_eq!(csv, json);
        let round = serde_json::to_string(&json).expect("serialises");
        assert_eq!(import_json(&round).expect("round trip"), json);
    }

    #[test]
    fn csv_errors_are_all_collected_with_row_column_and_form() {
        let e = import_csv(&fixture("mines-bad.csv")).expect_err("refused");
        let lines: Vec<String> = e.0.iter().map(|e| e.to_string()).collect();
        let expected = [
            r#"row 2, column 关闭日期 (closing_date): expected YYYY-MM-DD, found "2026/13/01""#,
            r#"row 3, column 矿山编码 (mine_code): expected 12 digits (R1), found "14042100786""#,
            r#"row 3, column 矿山状态 (state): expected 停产, 停建 or 关闭, found "生产""#,
            r#"row 4, column 回撤期限 (withdrawal_deadline): expected a value when 回撤期 (in_withdrawal) is 是"#,
            r#"row 4, column 每日预计下井人数 (expected_people_per_day): expected an integer 0-9999, found "-3""#,
            r#"row 5, column 矿山编码 (mine_code): expected each mine once (already at row 2), found "140421007866""#,
            r#"row 5, column 一停四不停 (one_stop_four_continue): expected 是/否 (true/false, yes/no, 1/0), found "maybe""#,
        ];
        let mut got = lines.clone();
        got.sort();
        let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(got, want, "{}", lines.join("\n"));
        assert!(
            e.to_string()
                .starts_with("mine import refused (P9), nothing imported; 7 error(s)")
        );
    }

    #[test]
    fn header_problems_are_named() {
        let e = import_csv("矿山编码,colour,矿山编码\n140421007866,red,140421007866\n")
            .expect_err("refused");
        let lines: Vec<String> = e.0.iter().map(|e| e.to_string()).collect();
        assert!(
            lines
                .iter()
                .any(|l| l.contains("column colour: expected a known column")),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("矿山编码 (mine_code): expected each column once"))
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("矿山名称 (name): expected this required column"))
        );
        assert!(import_csv("").is_err());
    }

    #[test]
    fn json_errors_name_item_field_and_form() {
        let text = r#"[
            {"mine": "140421007866", "name": "甲", "state": "停产"},
            {"mine": "140421007867", "name": "乙", "state": "停产", "closing_date": "2026/13/01"},
            {"mine": "1404210", "name": "丙", "state": "关闭"},
            {"mine": "140421007869", "state": "停产"}
        ]"#;
        let e = import_json(text).expect_err("refused");
        assert_eq!(e.0.len(), 3, "{e}");
        assert!(
            e.0[2]
                .to_string()
                .starts_with("item 4, column name: expected (missing field `name`"),
            "{e}"
        );
        let first = e.0[0].to_string();
        assert!(
            first.starts_with("item 2, column closing_date: expected YYYY-MM-DD ("),
            "{first}"
        );
        assert!(first.ends_with(r#"found "\"2026/13/01\"""#), "{first}");
        assert!(
            e.0[1]
                .to_string()
                .starts_with("item 3, column mine: expected 12 digits (R1)")
        );
        assert!(import_json(r#"{"mine": 1}"#).is_err());
    }

    #[test]
    fn a_bom_and_blank_lines_are_ignored() {
        let text = "\u{feff}mine_code,name,state\n140421007866,甲,停产\n,,\n";
        assert_eq!(import_csv(text).expect("imports").len(), 1);
    }

    /// Regression: rows are the file's lines even after an empty line, which the CSV reader
    /// skips (it used to count records, naming the row above the one at fault).
    #[test]
    fn rows_after_an_empty_line_are_the_files_lines() {
        let text = "mine_code,name,state\n140421007866,甲,停产\n\n140421007867,乙,停运\n";
        let e = import_csv(text).expect_err("refused");
        assert_eq!(e.0[0].place, Place::Row(4), "{e}");
        let ok = "mine_code,name,state\n140421007866,甲,停产\n\n\n140421007867,乙,停建\n";
        let rows: Vec<Place> = import_csv_placed(ok)
            .expect("imports")
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(rows, [Place::Row(2), Place::Row(5)]);
    }
}
