//! What the streaming workbook readers (xlsx, ods) share once a part's cells arrive
//! through a [`Feed`]: counting cells against the limits, finding the header row, the
//! one-pass shape when the file declares its columns, and the two passes otherwise.
//!
//! # One pass when the file says where its table is
//! The table's edges (see [`super::shape`]) depend on every cell, so a plain stream
//! would need two passes. A sheet often declares its columns first (xlsx:
//! `<dimension ref="A1:L100001"/>`; ods: its `table:table-column` elements). When the
//! header row reaches both of the declared edge columns, the edges are known once the
//! header row is read, and the sheet is converted in one pass; trailing empty rows are
//! held back and dropped. Otherwise the sheet is read twice, as the shape rules require.
//!
//! A file whose cells lie outside the columns it declared contradicts itself; once rows
//! have been passed on, ogpipe cannot take them back, so it stops with an error that
//! names the cell rather than drop that cell's column.

use super::feed::{Feed, Malformed};
use super::shape::{self, Assembler, Bounds, Scan, Shape};
use super::{ReadError, ReadOptions, ReadSummary};
use crate::table::{TableInfo, TableSink, Value};

/// How a format turns its cells into values.
pub(crate) trait Decode {
    type Cell: Copy;

    /// The cell's 0-based row and column.
    fn at(cell: &Self::Cell) -> (u32, u32);
    /// Whether [`Decode::value`] would give an empty value, without building it.
    fn is_empty(&self, cell: &Self::Cell, text: &str) -> bool;
    /// The cell as a person sees it (see [`super::spreadsheet`]'s module doc).
    fn value(&self, cell: &Self::Cell, text: &str) -> Result<Value, ReadError>;
}

/// One read of one sheet: where it is and what the options ask for.
pub(crate) struct Reading<'a> {
    pub file: &'a str,
    pub sheet: String,
    /// The package member the cells come from, for messages.
    pub part: String,
    pub options: &'a ReadOptions,
    pub bounds: Option<Bounds>,
    pub cells_seen: u64,
    /// Bytes of text the cells may carry in all, when repeats can multiply the file's
    /// own text (ods); `None` when the text is the file's own.
    pub text_budget: Option<u64>,
    pub text_seen: u64,
    /// The row of the cell before, for the order check in [`Reading::next`].
    last_row: u32,
}

/// The header row as found while streaming: its cells, and the first cell after it.
pub(crate) struct Header {
    pub row: u32,
    pub cells: Vec<(u32, Value)>,
    pub next: Option<(u32, u32, Value)>,
}

impl<'a> Reading<'a> {
    pub fn new(file: &'a str, part: &str, options: &'a ReadOptions) -> Result<Self, ReadError> {
        Ok(Reading {
            file,
            sheet: String::new(),
            part: part.to_string(),
            options,
            bounds: super::spreadsheet::bounds(file, options)?,
            cells_seen: 0,
            text_budget: None,
            text_seen: 0,
            last_row: 0,
        })
    }

    /// Starts counting again, for another pass over the cells.
    pub fn restart(&mut self) {
        self.cells_seen = 0;
        self.text_seen = 0;
        self.last_row = 0;
    }

    pub fn malformed(&self, m: Malformed) -> ReadError {
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
    pub fn next<D: Decode, H>(
        &mut self,
        cells: &mut Feed<D::Cell, H>,
    ) -> Result<Option<D::Cell>, ReadError> {
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
            if let Some(budget) = self.text_budget {
                self.text_seen += cells.text().len() as u64;
                if self.text_seen > budget {
                    return Err(ReadError::Limit {
                        file: self.file.into(),
                        limit: "max_uncompressed_bytes",
                        what: format!(
                            "sheet \"{}\" repeats its cells to over {} bytes of text",
                            self.sheet, self.text_seen
                        ),
                        value: self.text_seen,
                        max: budget,
                    });
                }
            }
            let (row, col) = D::at(&cell);
            // Rows come in order (ECMA-376 §18.3.1.73; ods has no positions to break
            // it). A cell placed in an earlier row cannot be put back once later rows
            // were passed on: refused, not read as a different table.
            if row < self.last_row {
                return Err(ReadError::Sheet {
                    file: self.file.into(),
                    sheet: self.sheet.clone(),
                    detail: format!(
                        "part \"{}\": cell {}{} comes after row {}, out of order; the workbook is damaged, re-save it in its application",
                        self.part,
                        crate::table::column_letter(col as usize),
                        row + 1,
                        self.last_row + 1
                    ),
                });
            }
            self.last_row = row;
            super::spreadsheet::check_cell_chars(
                self.file,
                cells.text(),
                limits.max_cell_chars,
                || {
                    format!(
                        "sheet \"{}\", cell {}{}",
                        self.sheet,
                        crate::table::column_letter(col as usize),
                        row + 1
                    )
                },
            )?;
            if self.bounds.is_none_or(|b| b.contains(row, col)) {
                return Ok(Some(cell));
            }
        }
    }

    /// Streams up to the end of the header row (explicit, or the first with a
    /// non-empty cell). `None` when the sheet has no header row.
    pub fn header<D: Decode, H>(
        &mut self,
        decode: &D,
        cells: &mut Feed<D::Cell, H>,
    ) -> Result<Option<Header>, ReadError> {
        let explicit = self.options.header_row.map(|h| h.saturating_sub(1));
        let mut header = Header {
            row: 0,
            cells: Vec::new(),
            next: None,
        };
        let mut found = explicit;
        while let Some(cell) = self.next::<D, H>(cells)? {
            let (row, col) = D::at(&cell);
            if explicit.is_some_and(|h| row < h) {
                continue;
            }
            let value = decode.value(&cell, cells.text())?;
            match found {
                None if value.is_empty() => {}
                None => {
                    found = Some(row);
                    header.cells.push((col, value));
                }
                Some(h) if row == h => header.cells.push((col, value)),
                Some(_) => {
                    header.next = Some((row, col, value));
                    break;
                }
            }
        }
        Ok(found.map(|row| Header { row, ..header }))
    }

    /// The table's shape when the declared range and the header row fix it.
    pub fn one_pass_shape(&self, declared: Option<Bounds>, header: &Header) -> Option<Shape> {
        let cols = (header.cells.iter())
            .filter(|(_, v)| !v.is_empty())
            .map(|(c, _)| *c);
        shape::one_pass_shape(declared, self.bounds, header.row, cols)
    }

    /// The one pass: the header row read, the rest streamed into the sink.
    pub fn stream<D: Decode, H>(
        &mut self,
        decode: &D,
        cells: &mut Feed<D::Cell, H>,
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
        while let Some(cell) = self.next::<D, H>(cells)? {
            let (row, col) = D::at(&cell);
            let value = decode.value(&cell, cells.text())?;
            self.outside(&shape, row, col, &value)?;
            asm.cell(row, col, value)?;
        }
        let rows = asm.finish()?;
        Ok(ReadSummary {
            rows,
            columns,
            sheet: Some(self.sheet.clone()),
        })
    }

    /// Refuses a value the one-pass shape would lose: the file's declaration was wrong.
    fn outside(&self, shape: &Shape, row: u32, col: u32, value: &Value) -> Result<(), ReadError> {
        shape::check_inside(self.file, &self.sheet, shape, row, col, value.is_empty())
    }

    /// The first of two passes: where the table is.
    pub fn scan<D: Decode, H>(
        &mut self,
        decode: &D,
        cells: &mut Feed<D::Cell, H>,
    ) -> Result<Scan, ReadError> {
        let mut scan = Scan::new(self.bounds, self.options.header_row);
        while let Some(cell) = self.next::<D, H>(cells)? {
            let (row, col) = D::at(&cell);
            scan.cell_is_empty(row, col, decode.is_empty(&cell, cells.text()));
        }
        Ok(scan)
    }

    /// The second of two passes: every cell into the assembler.
    pub fn fill<D: Decode, H>(
        &mut self,
        decode: &D,
        cells: &mut Feed<D::Cell, H>,
        asm: &mut Assembler<'_>,
    ) -> Result<(), ReadError> {
        while let Some(cell) = self.next::<D, H>(cells)? {
            let (row, col) = D::at(&cell);
            asm.cell(row, col, decode.value(&cell, cells.text())?)?;
        }
        Ok(())
    }

    fn info(&self) -> TableInfo {
        TableInfo {
            source: self.file.into(),
            sheet: Some(self.sheet.clone()),
            ..TableInfo::default()
        }
    }
}
