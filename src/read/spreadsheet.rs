//! Workbooks: xlsx/xlsm ([`super::xlsx`]) and ods ([`super::ods`]) stream cell by cell
//! through ogpipe's own readers, and xls ([`super::xls`]) row block by row block through
//! another; xlsb loads the chosen sheet through calamine.
//!
//! # Values, as a person sees them
//! - Numbers: a float with no fractional part within ±2^53 is `Int`, else `Float`.
//! - Dates: a number is a date when its number format is a date format, in either the
//!   1900 or the 1904 date system. The serial number decides: below 1 (no day part)
//!   → `Time` (except serial 0 in the 1904 system, which is 1904-01-01); whole →
//!   `Date`; otherwise `DateTime`. A format that shows both a date and a time of day
//!   (`yyyy-mm-dd hh:mm`, built-in 22) makes a whole serial a `DateTime` at midnight:
//!   the producer styled it as a date-time.
//!   Duration formats (`[h]:mm`) → `Duration` as ISO 8601 (`PT36H30M`).
//! - ods ISO values: `DateTimeIso` → `Date`/`DateTime`/`Time` by its shape;
//!   `DurationIso` (ods stores times of day this way) → `Time` when under 24 hours,
//!   else `Duration`.
//! - Formulas: their cached value. Booleans: `Bool`. Text: exactly as stored (never
//!   trimmed). Error cells: per [`ErrorCellPolicy`].
//!
//! Table shaping (header, range, edges, merged cells) is in [`super::shape`].

use std::io::{Read, Seek};

use calamine::{Data, ExcelDateTime, Reader, SheetType, SheetVisible, Xlsb};
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use super::shape::{self, Assembler, Scan};
use super::{
    guard, ErrorCellPolicy, Format, Limits, ReadError, ReadOptions, ReadSummary, SheetSelector,
};
use crate::table::{TableInfo, TableSink, Value};

const MAX_EXACT_INT: f64 = 9_007_199_254_740_992.0; // 2^53

pub(crate) fn sheet_names<R: Read + Seek>(
    format: Format,
    file: &str,
    mut reader: R,
    limits: &Limits,
) -> Result<Vec<String>, ReadError> {
    guard_input(format, file, &mut reader, limits)?;
    Ok(match format {
        Format::Xlsx | Format::Xlsm => super::xlsx::sheet_names(file, reader, limits)?,
        Format::Xlsb => open::<_, Xlsb<_>>(file, reader)?.sheet_names(),
        Format::Xls => super::xls::sheet_names(file, reader)?,
        Format::Ods => super::ods::sheet_names(file, reader, limits)?,
        Format::Csv | Format::Xml => {
            return Err(ReadError::NotAWorkbook {
                file: file.into(),
                format,
            })
        }
    })
}

pub(crate) fn read<R: Read + Seek + Send>(
    format: Format,
    file: &str,
    mut reader: R,
    options: &ReadOptions,
    sink: &mut dyn TableSink,
) -> Result<ReadSummary, ReadError> {
    guard_input(format, file, &mut reader, &options.limits)?;
    match format {
        Format::Xlsx | Format::Xlsm => super::xlsx::read(file, reader, options, sink),
        Format::Xlsb => read_loaded(file, open::<_, Xlsb<_>>(file, reader)?, options, sink),
        Format::Xls => super::xls::read(file, reader, options, sink),
        Format::Ods => super::ods::read(file, reader, options, sink),
        Format::Csv | Format::Xml => Err(ReadError::NotAWorkbook {
            file: file.into(),
            format,
        }),
    }
}

fn guard_input<R: Read + Seek>(
    format: Format,
    file: &str,
    reader: &mut R,
    limits: &Limits,
) -> Result<(), ReadError> {
    guard::check_input_size(file, reader, limits)?;
    if format.is_zip() {
        guard::check_not_encrypted(file, reader)?;
        guard::check_zip(file, format, reader, limits)?;
    }
    Ok(())
}

fn open<RS: Read + Seek, W: Reader<RS>>(file: &str, reader: RS) -> Result<W, ReadError>
where
    W::Error: Into<calamine::Error>,
{
    W::new(reader).map_err(|e| map_error(file, None, e.into()))
}

fn map_error(file: &str, sheet: Option<&str>, e: calamine::Error) -> ReadError {
    use calamine::Error as E;
    match e {
        E::Xlsx(calamine::XlsxError::Password)
        | E::Xlsb(calamine::XlsbError::Password)
        | E::Ods(calamine::OdsError::Password) => ReadError::Encrypted { file: file.into() },
        E::Io(source) => ReadError::io(file, source),
        other => {
            let detail = other.to_string();
            let detail = match sheet {
                Some(s) => format!("sheet \"{s}\" could not be read ({detail})"),
                None => format!("the workbook could not be read ({detail})"),
            };
            ReadError::corrupt(file, detail)
        }
    }
}

/// The sheet named by `selector`, else the first visible worksheet, else the first sheet.
pub(super) fn choose_sheet(
    file: &str,
    sheets: &[calamine::Sheet],
    selector: Option<&SheetSelector>,
) -> Result<String, ReadError> {
    let names: Vec<String> = sheets.iter().map(|s| s.name.clone()).collect();
    let unknown = |sheet: String| ReadError::UnknownSheet {
        file: file.into(),
        sheet,
        available: names.clone(),
    };
    match selector {
        Some(SheetSelector::Name(n)) => names
            .iter()
            .find(|s| *s == n)
            .cloned()
            .ok_or_else(|| unknown(format!("\"{n}\""))),
        Some(SheetSelector::Index(i)) => names
            .get(*i)
            .cloned()
            .ok_or_else(|| unknown(format!("number {i} (0-based; there are {})", names.len()))),
        None => sheets
            .iter()
            .find(|s| s.visible == SheetVisible::Visible && s.typ == SheetType::WorkSheet)
            .or(sheets.first())
            .map(|s| s.name.clone())
            .ok_or_else(|| ReadError::corrupt(file, "the workbook has no sheets")),
    }
}

pub(super) fn bounds(
    file: &str,
    options: &ReadOptions,
) -> Result<Option<shape::Bounds>, ReadError> {
    options
        .range
        .as_deref()
        .map(|r| shape::parse_range(r).ok_or_else(|| ReadError::corrupt(file, format!("the range \"{r}\" is not a cell range like B3:F200; fix read.range in the manifest"))))
        .transpose()
}

fn cell_limit(file: &str, sheet: &str, count: u64, limits: &Limits) -> Result<(), ReadError> {
    if count > limits.max_cells {
        return Err(ReadError::Limit {
            file: file.into(),
            limit: "max_cells",
            what: format!("sheet \"{sheet}\" has over {count} cells"),
            value: count,
            max: limits.max_cells,
        });
    }
    Ok(())
}

/// Refuses a cell whose text is over `limits.max_cell_chars`; `place` names it (`sheet
/// "Data", cell B7`). The byte length is compared first: a text is never more characters
/// than bytes, so only a text already long costs a count.
pub(crate) fn check_cell_chars(
    file: &str,
    text: &str,
    max: u64,
    place: impl FnOnce() -> String,
) -> Result<(), ReadError> {
    if text.len() as u64 <= max {
        return Ok(());
    }
    let chars = text.chars().count() as u64;
    if chars <= max {
        return Ok(());
    }
    Err(ReadError::Limit {
        file: file.into(),
        limit: "max_cell_chars",
        what: format!("{} holds {chars} characters", place()),
        value: chars,
        max,
    })
}

/// The second half every reader shares: once the scan has found the table, push it
/// (the cells come from `feed`), or push an empty table when there is none.
pub(super) fn push_table(
    file: &str,
    sheet: String,
    scan: Scan,
    sink: &mut dyn TableSink,
    max_cells: u64,
    feed: impl FnOnce(&mut Assembler<'_>) -> Result<(), ReadError>,
) -> Result<ReadSummary, ReadError> {
    let info = TableInfo {
        source: file.into(),
        sheet: Some(sheet.clone()),
        ..TableInfo::default()
    };
    let Some(found) = scan.finish() else {
        shape::empty_table(&info, sink)?;
        return Ok(ReadSummary {
            rows: 0,
            columns: 0,
            sheet: Some(sheet),
        });
    };
    let mut asm = Assembler::new(found, info, sink, max_cells);
    let columns = asm.width();
    feed(&mut asm)?;
    let rows = asm.finish()?;
    Ok(ReadSummary {
        rows,
        columns,
        sheet: Some(sheet),
    })
}

pub(super) fn read_loaded<RS: Read + Seek, W: Reader<RS>>(
    file: &str,
    mut wb: W,
    options: &ReadOptions,
    sink: &mut dyn TableSink,
) -> Result<ReadSummary, ReadError>
where
    W::Error: Into<calamine::Error>,
{
    let sheet = choose_sheet(
        file,
        wb.sheets_metadata(),
        options.sheet_selector(file)?.as_ref(),
    )?;
    let range = wb
        .worksheet_range(&sheet)
        .map_err(|e| map_error(file, Some(&sheet), e.into()))?;
    let (h, w) = range.get_size();
    cell_limit(
        file,
        &sheet,
        (h as u64).saturating_mul(w as u64),
        &options.limits,
    )?;
    let (r0, c0) = range.start().unwrap_or((0, 0));
    let cells = || {
        range
            .used_cells()
            .map(|(r, c, d)| (r0 + r as u32, c0 + c as u32, d))
    };
    let mut scan = Scan::new(bounds(file, options)?, options.header_row);
    for (r, c, d) in cells() {
        scan.cell_is_empty(r, c, data_is_empty(d, options.error_cells));
    }
    push_table(file, sheet, scan, sink, options.limits.max_cells, |asm| {
        for (r, c, d) in cells() {
            asm.cell(r, c, convert(d, options.error_cells))?;
        }
        Ok(())
    })
}

/// Whether [`convert`] would give an empty value ([`Value::is_empty`]), without
/// building it.
fn data_is_empty(d: &Data, policy: ErrorCellPolicy) -> bool {
    match d {
        Data::Empty => true,
        Data::String(s) | Data::DateTimeIso(s) => s.is_empty(),
        Data::Error(_) => policy == ErrorCellPolicy::Empty,
        Data::Int(_)
        | Data::Float(_)
        | Data::Bool(_)
        | Data::DateTime(_)
        | Data::DurationIso(_) => false,
    }
}

/// One calamine cell as a [`Value`] (see the module doc).
pub fn convert(d: &Data, policy: ErrorCellPolicy) -> Value {
    match d {
        Data::String(s) => Value::Text(s.clone()),
        Data::Int(i) => Value::Int(*i),
        Data::Float(f) => number(*f),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(dt) => excel_datetime(dt),
        Data::DateTimeIso(s) => iso_datetime(s),
        Data::DurationIso(s) => iso_duration(s),
        Data::Error(e) => error_cell(e, policy),
        Data::Empty => Value::Empty,
    }
}

pub(crate) fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() <= MAX_EXACT_INT {
        Value::Int(f as i64)
    } else {
        Value::Float(f)
    }
}

fn error_cell(e: &calamine::CellErrorType, policy: ErrorCellPolicy) -> Value {
    error_text(&e.to_string(), policy)
}

/// An error cell (`#N/A`) by its text, as the policy says.
pub(super) fn error_text(text: &str, policy: ErrorCellPolicy) -> Value {
    match policy {
        ErrorCellPolicy::Report => Value::Error(text.to_string()),
        ErrorCellPolicy::Empty => Value::Empty,
        ErrorCellPolicy::Text => Value::Text(text.to_string()),
    }
}

/// As [`excel_datetime`], for a format that shows a date and a time of day: a value at
/// midnight stays a date-time (the producer styled it so), where a date-only format
/// gives a date.
pub(super) fn excel_timestamp(dt: &ExcelDateTime) -> Value {
    match excel_datetime(dt) {
        Value::Date(d) => Value::DateTime(d.and_time(NaiveTime::MIN)),
        other => other,
    }
}

pub(super) fn excel_datetime(dt: &ExcelDateTime) -> Value {
    let serial = dt.as_f64();
    if dt.is_duration() {
        return match dt.as_duration() {
            Some(d) => Value::Duration(iso_from_millis(d.num_milliseconds())),
            None => number(serial),
        };
    }
    let Some(when) = dt.as_datetime() else {
        return number(serial);
    };
    // A serial below 1 has no day: a time of day. Serial 0 exactly is midnight in the
    // 1900 system (day 0 is no date) but 1904-01-01 in the 1904 system.
    let day_zero_is_a_date = serial == 0.0 && when.date().year() >= 1904;
    if (0.0..1.0).contains(&serial) && !day_zero_is_a_date {
        Value::Time(when.time())
    } else if when.time() == NaiveTime::MIN {
        Value::Date(when.date())
    } else {
        Value::DateTime(when)
    }
}

/// `PT36H30M`, `PT0.5S`, `-PT1H`: hours, minutes, seconds (with milliseconds if any).
fn iso_from_millis(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    let (h, m, s, frac) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    let mut out = format!("{sign}PT");
    if h > 0 {
        out.push_str(&format!("{h}H"));
    }
    if m > 0 {
        out.push_str(&format!("{m}M"));
    }
    if s > 0 || frac > 0 || (h == 0 && m == 0) {
        if frac > 0 {
            out.push_str(&format!("{s}.{frac:03}S"));
        } else {
            out.push_str(&format!("{s}S"));
        }
    }
    out
}

pub(super) fn iso_datetime(s: &str) -> Value {
    let t = s.trim();
    if let Some(v) = quick_iso(t) {
        return v;
    }
    if let Ok(dt) = NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f") {
        return if dt.time() == NaiveTime::MIN && !t.contains('T') {
            Value::Date(dt.date())
        } else {
            Value::DateTime(dt)
        };
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Value::Date(d);
    }
    if let Ok(tm) = NaiveTime::parse_from_str(t, "%H:%M:%S%.f") {
        return Value::Time(tm);
    }
    Value::Text(s.to_string())
}

/// `YYYY-MM-DD` and `YYYY-MM-DDTHH:MM:SS`, the shapes ods writes for every date cell,
/// read without a pattern parse; anything else (fractions, leap seconds, other shapes)
/// is left to chrono.
fn quick_iso(t: &str) -> Option<Value> {
    let b = t.as_bytes();
    let num = |at: usize, len: usize| -> Option<u32> {
        b.get(at..at + len)?.iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 2)?, num(8, 2)?)?;
    match b.len() {
        10 => Some(Value::Date(date)),
        19 if b[10] == b'T' && b[13] == b':' && b[16] == b':' => {
            let time = NaiveTime::from_hms_opt(num(11, 2)?, num(14, 2)?, num(17, 2)?)?;
            Some(Value::DateTime(date.and_time(time)))
        }
        _ => None,
    }
}

/// ods `PT12H30M00S` (a time of day) → `Time`; 24 hours or more, or days → `Duration`.
pub(super) fn iso_duration(s: &str) -> Value {
    let parsed = parse_iso_duration(s.trim());
    match parsed {
        Some((0, secs)) if (0.0..86_400.0).contains(&secs) => {
            let whole = secs.trunc() as u32;
            let nanos = ((secs.fract() * 1000.0).round() as u32) * 1_000_000;
            NaiveTime::from_num_seconds_from_midnight_opt(whole, nanos)
                .map(|t| Value::Time(t.with_nanosecond(nanos).unwrap_or(t)))
                .unwrap_or_else(|| Value::Duration(s.to_string()))
        }
        _ => Value::Duration(s.to_string()),
    }
}

/// `P[nD]T[nH][nM][n.nS]` → (days, seconds of the time part).
fn parse_iso_duration(s: &str) -> Option<(u64, f64)> {
    let rest = s.strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    let days = if days.is_empty() {
        0
    } else {
        days.strip_suffix('D')?.parse().ok()?
    };
    let mut secs = 0.0;
    let mut num = String::new();
    for ch in time.chars() {
        match ch {
            '0'..='9' | '.' => num.push(ch),
            'H' | 'M' | 'S' => {
                let n: f64 = num.parse().ok()?;
                secs += n * match ch {
                    'H' => 3600.0,
                    'M' => 60.0,
                    _ => 1.0,
                };
                num.clear();
            }
            _ => return None,
        }
    }
    num.is_empty().then_some((days, secs))
}

#[cfg(test)]
#[path = "spreadsheet_tests.rs"]
mod tests;
