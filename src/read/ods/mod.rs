//! ods (OpenDocument spreadsheets), read by ogpipe itself rather than through
//! calamine: `content.xml` is streamed cell by cell in constant memory (one row and a
//! few batches of cells). One thread inflates the part, another parses it, and this one
//! builds values and feeds the sink ([`super::feed`]).
//!
//! # Passes
//! ods has no used range, but a table declares its columns (`table:table-column`)
//! before its rows. When the header row reaches the first and the last declared
//! column, the table is read in one pass (the rules are in [`super::stream`]);
//! otherwise (more columns declared than the header spans, one or none declared) in two,
//! which costs about twice the parsing. The chosen table is the first visible one
//! unless the options name another: the tables before it are passed over without
//! building a cell, and those after it are never read.
//!
//! # Values
//! As calamine gave them, so outputs did not change: `office:value` numbers,
//! `office:date-value` and `office:time-value` through the ISO rules of
//! [`super::spreadsheet`], `office:boolean-value`, and text from
//! `office:string-value` or else the cell's paragraphs joined by `\n`, with `text:s`
//! runs of spaces.
//!
//! Where calamine departed from the specification, the specification wins:
//! - a covered cell (`table:covered-table-cell`, hidden by a merge) is empty, whatever
//!   it keeps (§9.1.5; our merge rule in [`super::shape`]);
//! - `office:value-type` says which attribute holds the value (§19.385), and a boolean
//!   is `true` or `1` (calamine: the first value attribute written; `TRUE` or `true`);
//! - `text:tab` is a tab and `text:line-break` a line break (§6.1.4, §6.1.5; calamine
//!   dropped them), headings separate like paragraphs, and neither white space between
//!   paragraphs nor the text of drawings anchored in the cell is part of the value;
//! - a row holding anything but cells (white space, a soft page break) is read, not
//!   refused;
//! - a LibreOffice error cell (`calcext:value-type="error"`, beside an empty
//!   `office:string-value`) is an error cell with its shown text (`#DIV/0!`), under the
//!   error-cell policy like xlsx and xls ones (calamine: empty text, silently).
//!
//! Text inside a paragraph is kept exactly as stored: §6.1.2 would collapse runs of
//! white space, but LibreOffice writes every space that matters as `text:s` and Calc
//! keeps literal ones, and the rule for all of ogpipe is that text is never altered.

mod cell;
mod content;
mod package;

use std::io::{BufReader, Read, Seek};

use calamine::Sheet;
use zip::ZipArchive;

use self::content::{Cell, Content, Head, Pick, Raw};
use super::feed::{parse_on_thread, CellParser, Inflate, Malformed};
use super::guard::Meter;
use super::shape::{Bounds, Scan};
use super::spreadsheet::{self, push_table};
use super::stream::{Decode, Reading};
use super::{ErrorCellPolicy, Limits, ReadError, ReadOptions, ReadSummary, SheetSelector};
use crate::table::{TableSink, Value};

type Feed = super::feed::Feed<Cell, Head>;

/// The names of the workbook's sheets (its named tables), in workbook order. The
/// tables are passed over, so one thread is enough.
pub(crate) fn sheet_names<R: Read + Seek>(
    file: &str,
    reader: R,
    limits: &Limits,
) -> Result<Vec<String>, ReadError> {
    let mut meter = Meter::new(file, limits);
    let reader = meter.count(reader);
    let names = (|| {
        let mut zip = package::open(file, reader)?;
        let member = package::content(&mut zip, &meter, file)?;
        let xml = quick_xml::Reader::from_reader(BufReader::with_capacity(64 << 10, member));
        let mut content = Content::open(xml, Pick::Nothing, limits.max_xml_depth)
            .map_err(|m| content_error(file, m))?;
        Ok(content.head().sheets.into_iter().map(|s| s.name).collect())
    })();
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
    let read = read_metered(file, reader, options, sink, &meter);
    meter.verdict(read)
}

fn read_metered<R: Read + Seek + Send>(
    file: &str,
    reader: R,
    options: &ReadOptions,
    sink: &mut dyn TableSink,
    meter: &Meter,
) -> Result<ReadSummary, ReadError> {
    let mut zip = package::open(file, reader)?;
    let mut reading = Reading::new(file, package::CONTENT, options)?;
    reading.text_budget = Some(options.limits.max_uncompressed_bytes);
    let selector = options.sheet_selector(file)?;
    let pick = Pick::Sheet(selector.as_ref());
    let index = match one_pass(&mut zip, meter, &mut reading, pick, sink)? {
        Pass::Done(summary) => return Ok(summary),
        Pass::Twice(index) => index,
        Pass::NotFound(sheets) => {
            // No visible sheet (choose_sheet then takes the first), or no such sheet
            // (choose_sheet says which there are).
            let name = spreadsheet::choose_sheet(file, &sheets, selector.as_ref())?;
            let index = sheets.iter().position(|s| s.name == name).unwrap_or(0);
            let again = SheetSelector::Index(index);
            match one_pass(&mut zip, meter, &mut reading, Pick::Sheet(Some(&again)), sink)? {
                Pass::Done(summary) => return Ok(summary),
                Pass::Twice(index) => index,
                Pass::NotFound(_) => {
                    return Err(ReadError::corrupt(
                        file,
                        format!("sheet \"{name}\" was not found again in {}; the file changed while it was read", package::CONTENT),
                    ))
                }
            }
        }
    };
    let again = SheetSelector::Index(index);
    let pick = Pick::Sheet(Some(&again));
    let values = Values::of(options);
    let scan = with_cells(&mut zip, meter, &mut reading, pick, |reading, cells| {
        reading.scan(&values, cells)
    })?;
    let (sheet, max_cells) = (reading.sheet.clone(), options.limits.max_cells);
    push_table(file, sheet, scan, sink, max_cells, |asm| {
        with_cells(&mut zip, meter, &mut reading, pick, |reading, cells| {
            reading.fill(&values, cells, asm)
        })
    })
}

/// How the first read of the content went.
enum Pass {
    Done(ReadSummary),
    /// The table (its index among the sheets) needs two passes.
    Twice(usize),
    /// No table was chosen; these are the sheets.
    NotFound(Vec<Sheet>),
}

/// Streams the chosen table in one pass when its declared columns allow it.
fn one_pass<R: Read + Seek + Send>(
    zip: &mut ZipArchive<R>,
    meter: &Meter,
    reading: &mut Reading<'_>,
    pick: Pick<'_>,
    sink: &mut dyn TableSink,
) -> Result<Pass, ReadError> {
    with_cells(zip, meter, reading, pick, |reading, cells| {
        let Some(index) = cells.head.as_ref().and_then(|h| h.chosen) else {
            let sheets = cells.head.take().map(|h| h.sheets).unwrap_or_default();
            return Ok(Pass::NotFound(sheets));
        };
        let columns = cells.head.as_ref().map_or(0, |h| h.columns);
        let values = Values::of(reading.options);
        let Some(found) = reading.header(&values, cells)? else {
            // Every cell was read and none has a value: an empty table.
            let scan = Scan::new(reading.bounds, reading.options.header_row);
            let (file, sheet) = (reading.file, reading.sheet.clone());
            let max_cells = reading.options.limits.max_cells;
            return push_table(file, sheet, scan, sink, max_cells, |_| Ok(())).map(Pass::Done);
        };
        // Some writers declare one column whatever they write (a title row in A1 would
        // then seem to fix the table): a single declared column is not trusted.
        let declared = (columns > 1).then(|| Bounds {
            first_row: 0,
            last_row: u32::MAX,
            first_col: 0,
            last_col: u32::try_from(columns - 1).unwrap_or(u32::MAX),
        });
        match reading.one_pass_shape(declared, &found) {
            Some(shape) => reading
                .stream(&values, cells, found, shape, sink)
                .map(Pass::Done),
            None => Ok(Pass::Twice(index)),
        }
    })
}

/// Runs `f` over the chosen table's cells, inflated and parsed on two more threads.
fn with_cells<R: Read + Seek + Send, T>(
    zip: &mut ZipArchive<R>,
    meter: &Meter,
    reading: &mut Reading<'_>,
    pick: Pick<'_>,
    f: impl FnOnce(&mut Reading<'_>, &mut Feed) -> Result<T, ReadError>,
) -> Result<T, ReadError> {
    reading.restart();
    let member = package::content(zip, meter, reading.file)?;
    let max_depth = reading.options.limits.max_xml_depth;
    let open = move |xml| Content::open(xml, pick, max_depth);
    parse_on_thread(member, Inflate::Apart, open, |cells| {
        match &cells.head {
            Some(head) => {
                if let Some(i) = head.chosen {
                    reading.sheet = head.sheets[i].name.clone();
                }
            }
            // Before any table was chosen: the document's fault, not a sheet's.
            None => {
                let m = cells.next().err().unwrap_or(Malformed {
                    at: 0,
                    detail: "the part could not be read".into(),
                });
                return Err(content_error(reading.file, m));
            }
        }
        f(reading, cells)
    })
}

fn content_error(file: &str, m: Malformed) -> ReadError {
    ReadError::corrupt(
        file,
        format!(
            "part \"{}\", byte {}: {}; the workbook is damaged, re-save it in its application",
            package::CONTENT,
            m.at,
            m.detail
        ),
    )
}

/// ods values need nothing beyond the cell (its type is in its attributes) but the
/// policy for error cells.
struct Values {
    error_cells: ErrorCellPolicy,
}

impl Values {
    fn of(options: &ReadOptions) -> Values {
        Values {
            error_cells: options.error_cells,
        }
    }
}

impl Decode for Values {
    type Cell = Cell;

    fn at(cell: &Cell) -> (u32, u32) {
        (cell.row, cell.col)
    }

    fn is_empty(&self, cell: &Cell, text: &str) -> bool {
        match cell.raw {
            Raw::Text | Raw::Date => text.is_empty(),
            Raw::Error => self.error_cells == ErrorCellPolicy::Empty,
            Raw::Number(_) | Raw::Bool(_) | Raw::Time => false,
        }
    }

    fn value(&self, cell: &Cell, text: &str) -> Result<Value, ReadError> {
        Ok(match cell.raw {
            Raw::Number(n) => spreadsheet::number(n),
            Raw::Bool(b) => Value::Bool(b),
            Raw::Text => Value::Text(text.to_string()),
            Raw::Date => spreadsheet::iso_datetime(text),
            Raw::Time => spreadsheet::iso_duration(text),
            Raw::Error => spreadsheet::error_text(text.trim(), self.error_cells),
        })
    }
}

#[cfg(test)]
mod tests;
