//! The tabular data model that every stage between read and package shares.
//!
//! Readers *push* rows into a [`TableSink`] (the push model of ripgrep's `Sink`), so a
//! table never has to sit in memory whole: the screen, the validator and the converters
//! are all sinks, and [`Tee`] feeds one row to several of them in a single pass.
//!
//! Row numbers are the ones a person sees in the source (1-based, header counted), so a
//! finding or a violation can be looked up in the spreadsheet without arithmetic.

use std::fmt;
use std::io;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

/// One cell, typed as the source said it was.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Empty,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    Time(NaiveTime),
    /// An ISO 8601 duration as text (`PT1H30M`), from spreadsheets' duration cells.
    Duration(String),
    /// A spreadsheet error cell (`#N/A`, `#DIV/0!`), kept so a policy can decide.
    Error(String),
}

/// How decimals are written out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecimalStyle {
    /// As Excel shows them at full precision: 15 significant digits, so `0.1 + 0.2` is
    /// `0.3`. Default.
    #[default]
    Excel,
    /// The shortest text that reads back as the same binary number.
    RoundTrip,
}

impl Value {
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Empty => true,
            Value::Text(s) => s.is_empty(),
            _ => false,
        }
    }

    /// The cell as a person sees it, in the form the CSV output writes.
    pub fn display(&self, style: DecimalStyle) -> CellDisplay<'_> {
        CellDisplay { value: self, style }
    }

    /// The text of a text cell, if it is one.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// Display adapter returned by [`Value::display`].
pub struct CellDisplay<'a> {
    value: &'a Value,
    style: DecimalStyle,
}

impl fmt::Display for CellDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.value {
            Value::Empty => Ok(()),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write_decimal(f, *x, self.style),
            Value::Text(s) | Value::Duration(s) | Value::Error(s) => f.write_str(s),
            Value::Date(d) => write_date(f, *d),
            Value::DateTime(dt) => {
                write_date(f, dt.date())?;
                f.write_str("T")?;
                write_time(f, dt.time())?;
                let nanos = dt.and_utc().timestamp_subsec_nanos();
                if nanos == 0 {
                    Ok(())
                } else {
                    write!(f, ".{:03}", nanos % 1_000_000_000 / 1_000_000)
                }
            }
            Value::Time(t) => write_time(f, *t),
        }
    }
}

/// `2024-03-15`. Written by hand rather than through a strftime pattern, which chrono
/// parses again for every cell; years outside 0–9999 keep chrono's signed form.
fn write_date(f: &mut fmt::Formatter<'_>, d: NaiveDate) -> fmt::Result {
    if (0..=9999).contains(&d.year()) {
        write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
    } else {
        write!(f, "{}", d.format("%Y-%m-%d"))
    }
}

/// `13:45:30` (fractions of a second are the caller's).
fn write_time(f: &mut fmt::Formatter<'_>, t: NaiveTime) -> fmt::Result {
    write!(f, "{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
}

/// Writes a float as Excel would show it (15 significant digits) or in its shortest
/// round-trip form. Integral values never get a `.0`.
fn write_decimal(f: &mut fmt::Formatter<'_>, x: f64, style: DecimalStyle) -> fmt::Result {
    if !x.is_finite() {
        return write!(f, "{x}");
    }
    let x = match style {
        // Rounding to 15 significant digits and reading back gives the double that the
        // shortest-representation printer below turns into Excel's text.
        DecimalStyle::Excel => format!("{x:.14e}").parse::<f64>().unwrap_or(x),
        DecimalStyle::RoundTrip => x,
    };
    let x = if x == 0.0 { 0.0 } else { x }; // -0 prints as 0, as Excel does
    if x.fract() == 0.0 && x.abs() < 1e15 {
        write!(f, "{}", x as i64)
    } else {
        write!(f, "{x}")
    }
}

/// The spreadsheet column letter for a 0-based column index: 0 → `A`, 26 → `AA`.
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII letters")
}

/// Where a table came from and what its columns are, given to sinks before any row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TableInfo {
    /// The source file's name as the manifest gives it.
    pub source: String,
    /// The sheet, for workbooks.
    pub sheet: Option<String>,
    pub headers: Vec<String>,
    /// The source row number (1-based) of the header row.
    pub header_row: u64,
    /// The 0-based source column of the table's first column, so column letters stay
    /// true when a range starts further right.
    pub first_column: usize,
}

impl TableInfo {
    /// `file "x.xlsx", sheet "Budget", row 12, column D ("amount")`
    pub fn locate(&self, row: u64, column: usize) -> String {
        let mut s = format!("file \"{}\"", self.source);
        if let Some(sheet) = &self.sheet {
            s.push_str(&format!(", sheet \"{sheet}\""));
        }
        s.push_str(&format!(", row {row}"));
        s.push_str(&format!(
            ", column {}",
            column_letter(self.first_column + column)
        ));
        if let Some(h) = self.headers.get(column) {
            s.push_str(&format!(" (\"{h}\")"));
        }
        s
    }

    pub fn column_letter(&self, column: usize) -> String {
        column_letter(self.first_column + column)
    }
}

/// One data row, numbered as in the source.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub number: u64,
    pub cells: &'a [Value],
}

/// A row whose cells are consecutive pieces of one text, as a CSV record is read:
/// cell `i` is `text[ends[i - 1]..ends[i]]` (from 0 for the first), `Value::Empty` when
/// that piece is empty and `Value::Text` otherwise, exactly as `cells` holds them.
///
/// `cells` is `None` when the reader has only the text (XML). A reader sends such a row
/// only to a sink that [takes text](TableSink::takes_text); any other sink would make
/// the values for itself, row by row.
#[derive(Debug, Clone, Copy)]
pub struct TextRow<'a> {
    pub number: u64,
    pub cells: Option<&'a [Value]>,
    pub text: &'a str,
    pub ends: &'a [usize],
}

impl<'a> TextRow<'a> {
    /// The text of each cell, in order.
    pub fn pieces(&self) -> impl Iterator<Item = &'a str> + '_ {
        let text = self.text;
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(self.ends).map(move |(a, &b)| &text[a..b])
    }

    /// The cells as values, made from the text.
    pub fn values(&self) -> Vec<Value> {
        (self.pieces())
            .map(|p| match p {
                "" => Value::Empty,
                p => Value::Text(p.to_string()),
            })
            .collect()
    }
}

/// Receives a table pushed by a reader, one row at a time.
///
/// `begin` is called once before any row, `end` once after the last. A sink that finds
/// problems in the data records them (they are results); it returns `Err` only when it
/// cannot do its job at all, such as a failed write.
pub trait TableSink {
    fn begin(&mut self, info: &TableInfo) -> io::Result<()>;
    fn row(&mut self, row: Row<'_>) -> io::Result<()>;
    fn end(&mut self) -> io::Result<()>;

    /// The same as [`TableSink::row`], for a row the reader holds as one text. A sink
    /// that copies rows (to hand them to another thread: [`crate::offload`]) copies the
    /// text once instead of cell by cell; one that writes text (CSV) writes it as it is.
    fn text_row(&mut self, row: TextRow<'_>) -> io::Result<()> {
        let made;
        let cells = match row.cells {
            Some(cells) => cells,
            None => {
                made = row.values();
                &made
            }
        };
        self.row(Row {
            number: row.number,
            cells,
        })
    }

    /// Whether [`TableSink::text_row`] does its work from the text alone, so that a
    /// reader that has only text need not make values for it.
    fn takes_text(&self) -> bool {
        false
    }
}

impl<T: TableSink + ?Sized> TableSink for &mut T {
    fn begin(&mut self, info: &TableInfo) -> io::Result<()> {
        (**self).begin(info)
    }
    fn row(&mut self, row: Row<'_>) -> io::Result<()> {
        (**self).row(row)
    }
    fn text_row(&mut self, row: TextRow<'_>) -> io::Result<()> {
        (**self).text_row(row)
    }
    fn takes_text(&self) -> bool {
        (**self).takes_text()
    }
    fn end(&mut self) -> io::Result<()> {
        (**self).end()
    }
}

/// Feeds every row to each of several sinks, in order.
pub struct Tee<'a> {
    sinks: Vec<&'a mut dyn TableSink>,
}

impl<'a> Tee<'a> {
    pub fn new(sinks: Vec<&'a mut dyn TableSink>) -> Self {
        Tee { sinks }
    }
}

impl TableSink for Tee<'_> {
    fn begin(&mut self, info: &TableInfo) -> io::Result<()> {
        self.sinks.iter_mut().try_for_each(|s| s.begin(info))
    }
    fn row(&mut self, row: Row<'_>) -> io::Result<()> {
        self.sinks.iter_mut().try_for_each(|s| s.row(row))
    }
    fn text_row(&mut self, row: TextRow<'_>) -> io::Result<()> {
        self.sinks.iter_mut().try_for_each(|s| s.text_row(row))
    }
    fn takes_text(&self) -> bool {
        self.sinks.iter().all(|s| s.takes_text())
    }
    fn end(&mut self) -> io::Result<()> {
        self.sinks.iter_mut().try_for_each(|s| s.end())
    }
}

/// A sink that keeps the whole table: for tests and small tables only.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Collect {
    pub info: TableInfo,
    pub rows: Vec<(u64, Vec<Value>)>,
}

impl TableSink for Collect {
    fn begin(&mut self, info: &TableInfo) -> io::Result<()> {
        self.info = info.clone();
        Ok(())
    }
    fn row(&mut self, row: Row<'_>) -> io::Result<()> {
        self.rows.push((row.number, row.cells.to_vec()));
        Ok(())
    }
    fn end(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_decimals_hide_binary_noise() {
        let v = Value::Float(0.1 + 0.2);
        assert_eq!(v.display(DecimalStyle::Excel).to_string(), "0.3");
        assert_eq!(
            v.display(DecimalStyle::RoundTrip).to_string(),
            "0.30000000000000004"
        );
    }

    #[test]
    fn integral_floats_have_no_trailing_zero() {
        assert_eq!(
            Value::Float(42.0).display(DecimalStyle::Excel).to_string(),
            "42"
        );
        assert_eq!(
            Value::Float(-0.0).display(DecimalStyle::Excel).to_string(),
            "0"
        );
        assert_eq!(
            Value::Float(1234.5)
                .display(DecimalStyle::Excel)
                .to_string(),
            "1234.5"
        );
    }

    #[test]
    fn dates_and_times_are_iso_8601_as_chrono_writes_them() {
        let show = |v: Value| v.display(DecimalStyle::Excel).to_string();
        for (y, m, d) in [
            (2024, 2, 29),
            (1900, 1, 1),
            (9, 12, 31),
            (9999, 12, 31),
            (10_000, 1, 1),
            (-1, 1, 1),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).expect("valid");
            assert_eq!(show(Value::Date(date)), date.format("%Y-%m-%d").to_string());
            let at = date.and_hms_milli_opt(7, 5, 9, 26).expect("valid");
            assert_eq!(
                show(Value::DateTime(at)),
                at.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
            );
            let whole = date.and_hms_opt(23, 59, 59).expect("valid");
            assert_eq!(
                show(Value::DateTime(whole)),
                whole.format("%Y-%m-%dT%H:%M:%S").to_string()
            );
        }
        let t = NaiveTime::from_hms_opt(8, 3, 0).expect("valid");
        assert_eq!(show(Value::Time(t)), "08:03:00");
    }

    #[test]
    fn column_letters_follow_spreadsheet_order() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn locate_names_file_sheet_row_and_column() {
        let info = TableInfo {
            source: "b.xlsx".into(),
            sheet: Some("Budget".into()),
            headers: vec!["year".into(), "amount".into()],
            header_row: 1,
            first_column: 2,
        };
        assert_eq!(
            info.locate(12, 1),
            "file \"b.xlsx\", sheet \"Budget\", row 12, column D (\"amount\")"
        );
    }
}
