//! xlsx and xlsm, read by ogpipe itself rather than through calamine: the sheet is
//! streamed cell by cell in constant memory (one row and a few batches of cells, plus
//! the shared strings). A second thread inflates and parses the sheet part ([`feed`])
//! while this one builds values and feeds the sink.
//!
//! # One pass when the file says where its table is
//! The table's edges (see [`super::shape`]) depend on every cell, so a plain stream
//! would need two passes. A worksheet usually declares its used range first
//! (`<dimension ref="A1:L100001"/>`). When the header row reaches both of the declared
//! range's edge columns, the edges are known once the header row is read, and the sheet
//! is converted in one pass; trailing empty rows are held back and dropped. Otherwise
//! (no dimension, a single-cell one, or a header row narrower than it) the sheet is read
//! twice, as the shape rules require.
//!
//! A file whose cells lie outside the range it declared contradicts itself; once rows
//! have been passed on, ogpipe cannot take them back, so it stops with an error that
//! names the cell rather than drop that cell's column.

mod book;
mod feed;
pub(crate) mod numfmt;
mod sheet;
mod text;

use std::io::{Read, Seek};

use calamine::{ExcelDateTime, ExcelDateTimeType};
use zip::ZipArchive;

use self::book::{Book, Lookup};
use self::feed::{parse_on_thread, Feed};
use self::numfmt::Kind;
use self::sheet::{Cell, Malformed, Raw};
use super::shape::{self, Assembler, Bounds, Scan, Shape};
use super::spreadsheet::{self, push_table};
use super::{ErrorCellPolicy, ReadError, ReadOptions, ReadSummary};
use crate::table::{column_letter, TableInfo, TableSink, Value};

/// The names of the workbook's sheets, in workbook order.
pub(crate) fn sheet_names<R: Read + Seek>(file: &str, reader: R) -> Result<Vec<String>, ReadError> {
    Ok(Book::open(file, reader)?
        .sheets
        .into_iter()
        .map(|s| s.name)
        .collect())
}

pub(crate) fn read<R: Read + Seek + Send>(
    file: &str,
    reader: R,
    options: &ReadOptions,
    sink: &mut dyn TableSink,
) -> Result<ReadSummary, ReadError> {
    let mut book = Book::open(file, reader)?;
    let sheet = spreadsheet::choose_sheet(file, &book.sheets, options.sheet.as_ref())?;
    let index = book
        .sheets
        .iter()
        .position(|s| s.name == sheet)
        .unwrap_or(0);
    let part = book.parts[index].clone().ok_or_else(|| {
        ReadError::corrupt(file, format!("sheet \"{sheet}\" has no part in the package; the workbook is damaged, re-save it in its application"))
    })?;
    book.load_cell_parts()?;
    let mut reading = Reading {
        file,
        sheet: sheet.clone(),
        part,
        options,
        bounds: spreadsheet::bounds(file, options)?,
        cells_seen: 0,
    };
    let lookup = &book.lookup;
    let streamed = reading.with_cells(&mut book.zip, |reading, cells| {
        let Some(found) = reading.header(lookup, cells)? else {
            return Ok(None);
        };
        match reading.one_pass_shape(cells.dimension, &found) {
            Some(shape) => reading.stream(lookup, cells, found, shape, sink).map(Some),
            None => Ok(None),
        }
    })?;
    match streamed {
        Some(summary) => Ok(summary),
        None => reading.two_passes(&mut book.zip, lookup, sink),
    }
}

/// One read of one sheet: where it is and what the options ask for.
struct Reading<'a> {
    file: &'a str,
    sheet: String,
    part: String,
    options: &'a ReadOptions,
    bounds: Option<Bounds>,
    cells_seen: u64,
}

/// The header row as found while streaming: its cells, and the first cell after it.
struct Header {
    row: u32,
    cells: Vec<(u32, Value)>,
    next: Option<(u32, u32, Value)>,
}

impl Reading<'_> {
    /// Runs `f` over the sheet's cells, inflated and parsed on a second thread.
    fn with_cells<R: Read + Seek + Send, T>(
        &mut self,
        zip: &mut ZipArchive<R>,
        f: impl FnOnce(&mut Self, &mut Feed) -> Result<T, ReadError>,
    ) -> Result<T, ReadError> {
        self.cells_seen = 0;
        let member = book::member(zip, self.file, &self.part)?.ok_or_else(|| {
            ReadError::corrupt(self.file, format!("sheet \"{}\" is missing its part \"{}\"; the workbook is damaged, re-save it in its application", self.sheet, self.part))
        })?;
        parse_on_thread(member, |cells| f(self, cells))
    }

    fn malformed(&self, m: Malformed) -> ReadError {
        ReadError::Sheet {
            file: self.file.into(),
            sheet: self.sheet.clone(),
            detail: format!(
                "part \"{}\", byte {}: {}; the workbook is damaged, re-save it in its application",
                self.part, m.at, m.detail
            ),
        }
    }

    /// The next cell inside the range (if any), counted against `max_cells`.
    fn next(&mut self, cells: &mut Feed) -> Result<Option<Cell>, ReadError> {
        loop {
            let Some(cell) = cells.next().map_err(|m| self.malformed(m))? else {
                return Ok(None);
            };
            self.cells_seen += 1;
            let limits = &self.options.limits;
            if self.cells_seen > limits.max_cells {
                return Err(ReadError::Limit {
                    file: self.file.into(),
                    limit: "max_cells",
                    what: format!(
                        "sheet \"{}\" has over {} cells",
                        self.sheet, self.cells_seen
                    ),
                    value: self.cells_seen,
                    max: limits.max_cells,
                });
            }
            if self.bounds.is_none_or(|b| b.contains(cell.row, cell.col)) {
                return Ok(Some(cell));
            }
        }
    }

    /// Streams up to the end of the header row (explicit, or the first with a
    /// non-empty cell). `None` when the sheet has no header row.
    fn header(&mut self, lookup: &Lookup, cells: &mut Feed) -> Result<Option<Header>, ReadError> {
        let explicit = self.options.header_row.map(|h| h.saturating_sub(1));
        let mut header = Header {
            row: 0,
            cells: Vec::new(),
            next: None,
        };
        let mut found = explicit;
        while let Some(cell) = self.next(cells)? {
            if explicit.is_some_and(|h| cell.row < h) {
                continue;
            }
            let value = self.value(lookup, &cell, cells.text())?;
            match found {
                None if value.is_empty() => {}
                None => {
                    found = Some(cell.row);
                    header.cells.push((cell.col, value));
                }
                Some(h) if cell.row == h => header.cells.push((cell.col, value)),
                Some(_) => {
                    header.next = Some((cell.row, cell.col, value));
                    break;
                }
            }
        }
        Ok(found.map(|row| Header { row, ..header }))
    }

    /// The table's shape when the declared dimension and the header row fix it.
    fn one_pass_shape(&self, dimension: Option<Bounds>, header: &Header) -> Option<Shape> {
        let cols = header
            .cells
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(c, _)| *c);
        shape::one_pass_shape(dimension, self.bounds, header.row, cols)
    }

    fn stream(
        &mut self,
        lookup: &Lookup,
        cells: &mut Feed,
        header: Header,
        shape: Shape,
        sink: &mut dyn TableSink,
    ) -> Result<ReadSummary, ReadError> {
        let mut asm = Assembler::new(shape, self.info(), sink, self.options.limits.max_cells);
        let columns = asm.width();
        for (col, value) in header.cells {
            asm.cell(header.row, col, value)?;
        }
        if let Some((row, col, value)) = header.next {
            self.outside(&shape, row, col, &value)?;
            asm.cell(row, col, value)?;
        }
        while let Some(cell) = self.next(cells)? {
            let value = self.value(lookup, &cell, cells.text())?;
            self.outside(&shape, cell.row, cell.col, &value)?;
            asm.cell(cell.row, cell.col, value)?;
        }
        let rows = asm.finish()?;
        Ok(ReadSummary {
            rows,
            columns,
            sheet: Some(self.sheet.clone()),
        })
    }

    /// Refuses a value the one-pass shape would lose: the file's dimension was wrong.
    fn outside(&self, shape: &Shape, row: u32, col: u32, value: &Value) -> Result<(), ReadError> {
        shape::check_inside(self.file, &self.sheet, shape, row, col, value.is_empty())
    }

    fn two_passes<R: Read + Seek + Send>(
        &mut self,
        zip: &mut ZipArchive<R>,
        lookup: &Lookup,
        sink: &mut dyn TableSink,
    ) -> Result<ReadSummary, ReadError> {
        let scan = self.with_cells(zip, |reading, cells| {
            let mut scan = Scan::new(reading.bounds, reading.options.header_row);
            while let Some(cell) = reading.next(cells)? {
                scan.cell_is_empty(
                    cell.row,
                    cell.col,
                    reading.is_empty(lookup, &cell, cells.text()),
                );
            }
            Ok(scan)
        })?;
        let (file, sheet) = (self.file, self.sheet.clone());
        let max_cells = self.options.limits.max_cells;
        push_table(file, sheet, scan, sink, max_cells, |asm| {
            self.with_cells(zip, |reading, cells| {
                while let Some(cell) = reading.next(cells)? {
                    let value = reading.value(lookup, &cell, cells.text())?;
                    asm.cell(cell.row, cell.col, value)?;
                }
                Ok(())
            })
        })
    }

    fn info(&self) -> TableInfo {
        TableInfo {
            source: self.file.into(),
            sheet: Some(self.sheet.clone()),
            ..TableInfo::default()
        }
    }

    /// Whether [`Reading::value`] would give an empty value, without building it.
    fn is_empty(&self, lookup: &Lookup, cell: &Cell, text: &str) -> bool {
        match cell.raw {
            Raw::Empty => true,
            Raw::Number(_) | Raw::Bool(_) => false,
            // A bad index is not empty: the second pass reports it.
            Raw::Shared(i) => lookup.strings.get(i).is_some_and(str::is_empty),
            Raw::Text | Raw::Iso => text.is_empty(),
            Raw::Error => self.options.error_cells == ErrorCellPolicy::Empty,
        }
    }

    /// A cell as a person sees it (see [`super::spreadsheet`]'s module doc).
    fn value(&self, lookup: &Lookup, cell: &Cell, text: &str) -> Result<Value, ReadError> {
        Ok(match cell.raw {
            Raw::Empty => Value::Empty,
            Raw::Number(n) => match lookup.styles.get(cell.style) {
                Some(Kind::DateTime) => spreadsheet::excel_datetime(&ExcelDateTime::new(
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
                Some(s) => Value::Text(s.to_string()),
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
            Raw::Error => spreadsheet::error_text(text.trim(), self.options.error_cells),
            Raw::Iso => spreadsheet::iso_datetime(text),
        })
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
