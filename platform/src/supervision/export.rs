//! Export of statistics tables and reports (P7, P12): CSV and XLSX.
//!
//! Key design decision: **the writers know one neutral [`Table`], not the statistics.** Every
//! result of [`super::stats`] and [`super::patrol`] that a user may export turns itself into a
//! `Table` (a title, bilingual column headers and typed cells), and a report is a list of them;
//! the CSV and XLSX writers below only lay tables out. A new figure therefore needs no change
//! here, and both formats always show the same headers and the same numbers.
//!
//! Formats, each chosen for the spreadsheet regulators actually open the file with:
//! - **CSV** is UTF-8 *with* a byte-order mark, because Excel reads a BOM-less CSV in the
//!   system's ANSI code page and garbles the Chinese; headers read `报警数(alarms)`. A text cell
//!   that starts with `=`, `+`, `-` or `@` is prefixed with `'` so that a spreadsheet does not
//!   run it as a formula (CSV injection: mine names are typed in by users). A report is one
//!   CSV with each table under a title line and a blank line between tables.
//! - **XLSX** has one sheet per table, named by its Chinese title (Excel allows 31 characters
//!   and no `[]:*?/\`), the header row bold and frozen, columns as wide as their content
//!   (CJK characters counted twice), numbers stored as numbers with their decimals as format.

use std::collections::BTreeSet;

use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::Serialize;

use crate::error::{Error, Result};

/// A column of a [`Table`]: its header in Chinese and in English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    /// Chinese header (`报警数`).
    pub zh: &'static str,
    /// English header (`alarms`).
    pub en: &'static str,
}

impl Column {
    /// A column.
    pub const fn new(zh: &'static str, en: &'static str) -> Column {
        Column { zh, en }
    }

    /// The header as written: Chinese with English in parentheses, `报警数(alarms)`.
    pub fn header(&self) -> String {
        format!("{}({})", self.zh, self.en)
    }
}

/// One cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    /// Text (codes, names, dates).
    Text(String),
    /// A whole number.
    Int(i64),
    /// A number shown with this many decimals.
    Number {
        /// The value.
        value: f64,
        /// Decimals shown.
        decimals: u8,
    },
    /// No value (a rate of zero alarms, a time of nothing handled): empty in both formats.
    Empty,
}

impl Cell {
    /// Text.
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// A count.
    pub fn count(n: u64) -> Cell {
        Cell::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }

    /// A number with `decimals` decimals, or empty.
    pub fn number(v: Option<f64>, decimals: u8) -> Cell {
        v.map_or(Cell::Empty, |value| Cell::Number { value, decimals })
    }

    /// The cell as text, as shown (the CSV writer adds the formula guard of the module doc).
    pub fn display(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Number { value, decimals } => format!("{value:.*}", usize::from(*decimals)),
            Cell::Empty => String::new(),
        }
    }

    /// The cell as written to CSV: a text starting with `=`, `+`, `-` or `@` gets a `'` first.
    fn csv(&self) -> String {
        match self {
            Cell::Text(s) if s.starts_with(['=', '+', '-', '@']) => format!("'{s}"),
            other => other.display(),
        }
    }
}

/// A table to export: a title and rows of cells under bilingual headers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// Chinese title (also the XLSX sheet name).
    pub title_zh: String,
    /// English title.
    pub title_en: String,
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows; each as long as `columns`.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table titled in Chinese and English, with these columns, one row per item of `items`.
    pub fn new<T>(
        title: (&str, &str),
        columns: impl IntoIterator<Item = Column>,
        items: impl IntoIterator<Item = T>,
        row: impl FnMut(T) -> Vec<Cell>,
    ) -> Table {
        Table {
            title_zh: title.0.to_owned(),
            title_en: title.1.to_owned(),
            columns: columns.into_iter().collect(),
            rows: items.into_iter().map(row).collect(),
        }
    }

    /// The title as written above the table in a report: `报警统计(Alarm statistics)`.
    pub fn title(&self) -> String {
        format!("{}({})", self.title_zh, self.title_en)
    }

    fn check(&self) -> Result<()> {
        match self.rows.iter().position(|r| r.len() != self.columns.len()) {
            None => Ok(()),
            Some(i) => Err(Error::invalid(
                &format!("table {:?} row {}", self.title_en, i + 1),
                &format!("{} cells, one per column", self.columns.len()),
                format!("{} cells", self.rows[i].len()),
            )),
        }
    }
}

fn csv_error(e: csv::Error) -> Error {
    Error::Internal(format!("writing CSV: {e}"))
}

/// UTF-8 byte-order mark: Excel reads the file as UTF-8 only with it.
pub const BOM: &str = "\u{feff}";

fn write_rows(w: &mut csv::Writer<Vec<u8>>, table: &Table) -> Result<()> {
    table.check()?;
    w.write_record(table.columns.iter().map(Column::header))
        .map_err(csv_error)?;
    for row in &table.rows {
        w.write_record(row.iter().map(Cell::csv))
            .map_err(csv_error)?;
    }
    Ok(())
}

fn finish_csv(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>> {
    let body = w
        .into_inner()
        .map_err(|e| Error::Internal(format!("writing CSV: {}", e.error())))?;
    let mut out = BOM.as_bytes().to_vec();
    out.extend(body);
    Ok(out)
}

/// One table as CSV: BOM, the header row, the rows.
pub fn table_csv(table: &Table) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    write_rows(&mut w, table)?;
    finish_csv(w)
}

/// Several tables as one CSV: a title line (`title`, then each table's title), the table, a
/// blank line. Rows have different lengths, so read it back with a flexible reader.
pub fn tables_csv(title: &str, tables: &[Table]) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    w.write_record([title]).map_err(csv_error)?;
    for table in tables {
        w.write_record([""]).map_err(csv_error)?;
        w.write_record([table.title()]).map_err(csv_error)?;
        write_rows(&mut w, table)?;
    }
    finish_csv(w)
}

fn xlsx_error(e: XlsxError) -> Error {
    Error::Internal(format!("writing XLSX: {e}"))
}

/// Display width of a text in a spreadsheet column: CJK and other wide characters count 2.
fn width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// A sheet name Excel accepts, unique among `taken`: at most 31 characters, none of
/// `[]:*?/\`, not empty, no leading or trailing `'`.
fn sheet_name(title: &str, taken: &mut BTreeSet<String>) -> String {
    let clean: String = title
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .collect();
    let clean = clean.trim_matches('\'').trim();
    let base = if clean.is_empty() { "Sheet" } else { clean };
    for n in 1.. {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!(" ({n})")
        };
        let keep = 31 - suffix.chars().count();
        let name: String = base.chars().take(keep).chain(suffix.chars()).collect();
        if taken.insert(name.to_lowercase()) {
            return name;
        }
    }
    unreachable!("an unbounded range finds a free name")
}

/// Tables as an XLSX workbook, one sheet per table.
pub fn tables_xlsx(tables: &[Table]) -> Result<Vec<u8>> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let mut taken = BTreeSet::new();
    for table in tables {
        table.check()?;
        let sheet = book.add_worksheet();
        sheet
            .set_name(sheet_name(&table.title_zh, &mut taken))
            .map_err(xlsx_error)?;
        let mut widths: Vec<usize> = Vec::with_capacity(table.columns.len());
        for (c, column) in table.columns.iter().enumerate() {
            let header = column.header();
            widths.push(width(&header));
            sheet
                .write_string_with_format(0, col(c)?, header, &bold)
                .map_err(xlsx_error)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).map_err(|_| too_big("rows", r))?;
            for (c, cell) in row.iter().enumerate() {
                let (cc, shown) = (col(c)?, cell.display());
                if let Some(w) = widths.get_mut(c) {
                    *w = (*w).max(width(&shown));
                }
                match cell {
                    Cell::Text(s) => sheet.write_string(r, cc, s).map(drop),
                    Cell::Int(n) => sheet.write_number(r, cc, *n as f64).map(drop),
                    Cell::Number { value, decimals } => {
                        let f = Format::new().set_num_format(match decimals {
                            0 => "0".to_owned(),
                            d => format!("0.{}", "0".repeat(usize::from(*d))),
                        });
                        sheet.write_number_with_format(r, cc, *value, &f).map(drop)
                    }
                    Cell::Empty => Ok(()),
                }
                .map_err(xlsx_error)?;
            }
        }
        for (c, w) in widths.iter().enumerate() {
            sheet
                .set_column_width(col(c)?, (*w + 2).min(60) as f64)
                .map_err(xlsx_error)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    }
    if tables.is_empty() {
        // A workbook needs a sheet.
        book.add_worksheet();
    }
    book.save_to_buffer().map_err(xlsx_error)
}

fn too_big(what: &str, n: usize) -> Error {
    Error::invalid(what, "at most what a spreadsheet holds", n.to_string())
}

fn col(c: usize) -> Result<u16> {
    u16::try_from(c).map_err(|_| too_big("columns", c))
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use std::io::Read;

    use super::*;

    fn sample() -> Table {
        Table {
            title_zh: "报警统计".to_owned(),
            title_en: "Alarm statistics".to_owned(),
            columns: vec![
                Column::new("单位", "unit"),
                Column::new("报警数", "alarms"),
                Column::new("处置率%", "handling rate %"),
            ],
            rows: vec![
                vec![
                    Cell::text("代县"),
                    Cell::Int(3),
                    Cell::number(Some(200.0 / 3.0), 1),
                ],
                vec![Cell::text("=cmd()"), Cell::Int(0), Cell::Empty],
            ],
        }
    }

    /// The CSV's records after its BOM, read back with a flexible reader.
    pub(crate) fn parse_csv(bytes: &[u8]) -> Vec<Vec<String>> {
        let text = std::str::from_utf8(bytes).unwrap();
        let body = text.strip_prefix(BOM).expect("CSV starts with a UTF-8 BOM");
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(body.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect()
    }

    /// The text of one part of an XLSX (zip) file.
    pub(crate) fn xlsx_part(bytes: &[u8], name: &str) -> String {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn csv_has_a_bom_bilingual_headers_and_reads_back() {
        let bytes = table_csv(&sample()).unwrap();
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
        assert_eq!(
            parse_csv(&bytes),
            [
                vec!["单位(unit)", "报警数(alarms)", "处置率%(handling rate %)"],
                vec!["代县", "3", "66.7"],
                // A formula-looking text is defused; an empty cell stays empty.
                vec!["'=cmd()", "0", ""],
            ]
        );
    }

    #[test]
    fn a_report_csv_stacks_titled_tables() {
        let mut second = sample();
        second.title_zh = "第二".to_owned();
        second.title_en = "Second".to_owned();
        let rows = parse_csv(&tables_csv("周报(Weekly report)", &[sample(), second]).unwrap());
        assert_eq!(rows[0], ["周报(Weekly report)"]);
        // Each table: an empty line (an empty cell), its title, its header and rows.
        assert_eq!(rows[1], [""]);
        assert_eq!(rows[2], ["报警统计(Alarm statistics)"]);
        assert_eq!(rows[3][1], "报警数(alarms)");
        assert_eq!(rows[7], ["第二(Second)"]);
        assert_eq!(rows.len(), 11);
    }

    #[test]
    fn xlsx_is_a_zip_with_one_sheet_per_table_and_the_values() {
        let mut second = sample();
        second.rows[0][0] = Cell::text("繁峙县");
        let bytes = tables_xlsx(&[sample(), second]).unwrap();
        assert!(bytes.starts_with(b"PK"));
        let book = xlsx_part(&bytes, "xl/workbook.xml");
        assert!(book.contains(r#"name="报警统计""#), "{book}");
        assert!(book.contains(r#"name="报警统计 (2)""#), "{book}");
        let sheet1 = xlsx_part(&bytes, "xl/worksheets/sheet1.xml");
        // Numbers are numbers (the rate keeps its full value; the format shows one decimal).
        assert!(sheet1.contains("<v>3</v>"), "{sheet1}");
        assert!(sheet1.contains("<v>66.66666666666667</v>"), "{sheet1}");
        assert!(sheet1.contains("<cols>"), "column widths are set: {sheet1}");
        let strings = xlsx_part(&bytes, "xl/sharedStrings.xml");
        for s in ["报警数(alarms)", "代县", "繁峙县", "=cmd()"] {
            assert!(strings.contains(s), "{s} in {strings}");
        }
        let styles = xlsx_part(&bytes, "xl/styles.xml");
        assert!(
            styles.contains("<b/>"),
            "a bold font for the header: {styles}"
        );
    }

    #[test]
    fn ragged_rows_are_refused_with_the_row_named() {
        let mut t = sample();
        t.rows[1].pop();
        let e = table_csv(&t).unwrap_err().to_string();
        assert_eq!(
            e,
            r#"table "Alarm statistics" row 2: expected 3 cells, one per column, found 2 cells"#
        );
        assert!(tables_xlsx(&[t]).is_err());
    }

    #[test]
    fn sheet_names_are_legal_and_unique() {
        let mut taken = BTreeSet::new();
        assert_eq!(sheet_name("a/b:c", &mut taken), "a_b_c");
        assert_eq!(sheet_name("A/B:C", &mut taken), "A_B_C (2)");
        let long = "长".repeat(40);
        assert_eq!(sheet_name(&long, &mut taken).chars().count(), 31);
        assert_eq!(sheet_name("''", &mut taken), "Sheet");
    }
}
