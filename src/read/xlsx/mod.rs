//! xlsx and xlsm, read by ogpipe itself rather than through calamine: the sheet is
//! streamed cell by cell in constant memory (one row and a few batches of cells, plus
//! the shared strings). A second thread inflates and parses the sheet part
//! ([`super::feed`]) while this one builds values and feeds the sink.
//!
//! A worksheet usually declares its used range first (`<dimension ref="A1:L100001"/>`);
//! when the header row reaches both of its edge columns the sheet is read in one pass,
//! else in two ([`super::stream`] has the rules, shared with ods).

mod book;
pub(crate) mod numfmt;
mod sheet;
pub(crate) mod text;

use std::io::{Read, Seek};

use calamine::{ExcelDateTime, ExcelDateTimeType};
use zip::ZipArchive;

use self::book::{Book, Lookup};
use self::numfmt::Kind;
use self::sheet::{Cell, Cells, Raw};
use super::feed::{parse_on_thread, Inflate};
use super::guard::Meter;
use super::shape::Bounds;
use super::spreadsheet::{self, push_table};
use super::stream::{Decode, Reading};
use super::{ErrorCellPolicy, Limits, ReadError, ReadOptions, ReadSummary};
use crate::table::{column_letter, TableSink, Value};

/// The worksheet's cells, with its declared dimension as the feed's head.
type Feed = super::feed::Feed<Cell, Option<Bounds>>;

/// The names of the workbook's sheets, in workbook order.
pub(crate) fn sheet_names<R: Read + Seek>(
    file: &str,
    reader: R,
    limits: &Limits,
) -> Result<Vec<String>, ReadError> {
    let mut meter = Meter::new(file, limits);
    let reader = meter.count(reader);
    let names = Book::open(file, reader, meter.clone())
        .map(|book| book.sheets.into_iter().map(|s| s.name).collect());
    meter.verdict(names)
}

pub(crate) fn read<R: Read + Seek + Send>(
    file: &str,
    reader: R,
    options: &ReadOptions,
    sink: &mut dyn TableSink,
) -> Result<ReadSummary, ReadError> {
    let mut meter = Meter::new(file, &options.limits);
    let reader = meter.count(reader);
    let read = read_metered(file, reader, options, sink, meter.clone());
    meter.verdict(read)
}

fn read_metered<R: Read + Seek + Send>(
    file: &str,
    reader: R,
    options: &ReadOptions,
    sink: &mut dyn TableSink,
    meter: Meter,
) -> Result<ReadSummary, ReadError> {
    let mut book = Book::open(file, reader, meter)?;
    let sheet =
        spreadsheet::choose_sheet(file, &book.sheets, options.sheet_selector(file)?.as_ref())?;
    let index = book
        .sheets
        .iter()
        .position(|s| s.name == sheet)
        .unwrap_or(0);
    let part = book.parts[index].clone().ok_or_else(|| {
        ReadError::corrupt(file, format!("sheet \"{sheet}\" has no part in the package; the workbook is damaged, re-save it in its application"))
    })?;
    book.load_cell_parts()?;
    let mut reading = Reading::new(file, &part, options)?;
    reading.sheet = sheet;
    let decode = Values {
        lookup: &book.lookup,
        file,
        sheet: reading.sheet.clone(),
        error_cells: options.error_cells,
        max_cell_chars: options.limits.max_cell_chars,
    };
    let streamed = with_cells(
        &mut book.zip,
        &book.meter,
        &mut reading,
        |reading, cells| {
            let Some(found) = reading.header(&decode, cells)? else {
                return Ok(None);
            };
            // A single-cell dimension is what Excel writes when it does not know.
            let dimension = cells
                .head
                .flatten()
                .filter(|d| (d.first_row, d.first_col) != (d.last_row, d.last_col));
            match reading.one_pass_shape(dimension, &found) {
                Some(shape) => reading.stream(&decode, cells, found, shape, sink).map(Some),
                None => Ok(None),
            }
        },
    )?;
    if let Some(summary) = streamed {
        return Ok(summary);
    }
    let scan = with_cells(
        &mut book.zip,
        &book.meter,
        &mut reading,
        |reading, cells| reading.scan(&decode, cells),
    )?;
    let (sheet, max_cells) = (reading.sheet.clone(), options.limits.max_cells);
    push_table(file, sheet, scan, sink, max_cells, |asm| {
        with_cells(
            &mut book.zip,
            &book.meter,
            &mut reading,
            |reading, cells| reading.fill(&decode, cells, asm),
        )
    })
}

/// Runs `f` over the sheet's cells, inflated and parsed on a second thread.
fn with_cells<R: Read + Seek + Send, T>(
    zip: &mut ZipArchive<R>,
    meter: &Meter,
    reading: &mut Reading<'_>,
    f: impl FnOnce(&mut Reading<'_>, &mut Feed) -> Result<T, ReadError>,
) -> Result<T, ReadError> {
    reading.restart();
    let member = book::member(zip, meter, reading.file, &reading.part)?.ok_or_else(|| {
        ReadError::corrupt(reading.file, format!("sheet \"{}\" is missing its part \"{}\"; the workbook is damaged, re-save it in its application", reading.sheet, reading.part))
    })?;
    parse_on_thread(member, Inflate::WithParsing, Cells::open, |cells| {
        f(reading, cells)
    })
}

/// What a cell's value is read against.
struct Values<'a> {
    lookup: &'a Lookup,
    file: &'a str,
    sheet: String,
    error_cells: ErrorCellPolicy,
    max_cell_chars: u64,
}

impl Decode for Values<'_> {
    type Cell = Cell;

    fn at(cell: &Cell) -> (u32, u32) {
        (cell.row, cell.col)
    }

    fn is_empty(&self, cell: &Cell, text: &str) -> bool {
        match cell.raw {
            Raw::Empty => true,
            Raw::Number(_) | Raw::Bool(_) => false,
            // A bad index is not empty: the second pass reports it.
            Raw::Shared(i) => self.lookup.strings.get(i).is_some_and(str::is_empty),
            Raw::Text | Raw::Iso => text.is_empty(),
            Raw::Error => self.error_cells == ErrorCellPolicy::Empty,
        }
    }

    fn value(&self, cell: &Cell, text: &str) -> Result<Value, ReadError> {
        let lookup = self.lookup;
        Ok(match cell.raw {
            Raw::Empty => Value::Empty,
            Raw::Number(n) => match lookup.styles.get(cell.style) {
                Some(Kind::DateTime) => spreadsheet::excel_datetime(&ExcelDateTime::new(
                    n,
                    ExcelDateTimeType::DateTime,
                    lookup.date1904,
                )),
                Some(Kind::Timestamp) => spreadsheet::excel_timestamp(&ExcelDateTime::new(
                    n,
                    ExcelDateTimeType::DateTime,
                    lookup.date1904,
                )),
                Some(Kind::Duration) => spreadsheet::excel_datetime(&ExcelDateTime::new(
                    n,
                    ExcelDateTimeType::TimeDelta,
                    lookup.date1904,
                )),
                _ => spreadsheet::number(n),
            },
            Raw::Shared(i) => match lookup.strings.get(i) {
                Some(s) => {
                    spreadsheet::check_cell_chars(self.file, s, self.max_cell_chars, || {
                        format!(
                            "sheet \"{}\", cell {}{}",
                            self.sheet,
                            column_letter(cell.col as usize),
                            cell.row + 1
                        )
                    })?;
                    Value::Text(s.to_string())
                }
                None => {
                    return Err(ReadError::Sheet {
                        file: self.file.into(),
                        sheet: self.sheet.clone(),
                        detail: format!(
                            "cell {}{} refers to shared string {i}, but the workbook has {}; the workbook is damaged, re-save it in its application",
                            column_letter(cell.col as usize),
                            cell.row + 1,
                            lookup.strings.len()
                        ),
                    })
                }
            },
            Raw::Text => Value::Text(text.to_string()),
            Raw::Bool(b) => Value::Bool(b),
            Raw::Error => spreadsheet::error_text(text.trim(), self.error_cells),
            Raw::Iso => spreadsheet::iso_datetime(text),
        })
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
