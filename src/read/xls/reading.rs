//! One read of one sheet: the one-pass or two-pass plan (see the parent module), with
//! the records parsed and the values built on a second thread while this one shapes
//! the table and feeds the sink. Parsing and building values are under half of a
//! conversion's work, writing the outputs the rest: on two cores the halves overlap.

use std::io::{Read, Seek};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread;

use calamine::{ExcelDateTime, ExcelDateTimeType};

use super::book::{self, Globals};
use super::cfb::{Cfb, Stream};
use super::records::Records;
use super::sheet::{Block, Cell, Item, Raw, SheetParser};
use super::{error_name, Kind, XlsError};
use crate::read::shape::{self, Assembler, Bounds, Scan};
use crate::read::spreadsheet::{self, push_table};
use crate::read::{ErrorCellPolicy, ReadError, ReadOptions, ReadSummary};
use crate::table::{column_letter, TableInfo, TableSink, Value};

/// Cells per batch handed over: a few row blocks, so handing over costs nothing per
/// cell and memory stays flat.
const BATCH: usize = 4096;
/// Batches in flight.
const DEPTH: usize = 4;

/// What one read needs to know; shared with the walking thread.
pub(super) struct Ctx<'a> {
    pub file: &'a str,
    pub sheet: String,
    /// The sheet's `BOF` in the workbook stream.
    pub offset: u64,
    pub globals: &'a Globals,
    pub options: &'a ReadOptions,
    pub bounds: Option<Bounds>,
}

/// A walk over the sheet's records, one sorted block of cells at a time.
struct Walk<'s, R> {
    records: Records<Stream<'s, R>>,
    parser: SheetParser,
    dimension: Option<Bounds>,
    /// The last row of the blocks passed, to tell blocks out of order.
    last_row: Option<u32>,
    in_order: bool,
    ended: bool,
    cells_seen: u64,
}

impl<R: Read + Seek> Walk<'_, R> {
    /// The next block of cells, sorted; `false` once the sheet has no more.
    fn next_block(&mut self) -> Result<bool, XlsError> {
        self.parser.block.clear();
        while !self.ended {
            let Some(r) = self.records.next()? else {
                // A sheet without its EOF was cut short, or its records were read from
                // the wrong offsets (a damaged length): what was read may be part of it.
                return Err(XlsError::Corrupt(
                    "a sheet ends without its EOF record: the file is truncated or damaged (re-save it in Excel or LibreOffice)".into(),
                ));
            };
            match self.parser.record(&r)? {
                Item::Dimension(d) => self.dimension = d,
                Item::End => self.ended = true,
                _ => {}
            }
            if std::mem::take(&mut self.parser.boundary) && !self.parser.block.cells.is_empty() {
                break;
            }
        }
        let block = &mut self.parser.block;
        if block.cells.is_empty() {
            return Ok(false);
        }
        block.sort();
        let (first, last) = (block.cells[0].row, block.cells[block.cells.len() - 1].row);
        if self.last_row.is_some_and(|l| first < l) {
            self.in_order = false;
        }
        self.last_row = Some(self.last_row.map_or(last, |l| l.max(last)));
        Ok(true)
    }
}

/// Cells with their values, from the walking thread.
struct Batch {
    cells: Vec<(u32, u32, Value)>,
    dimension: Option<Bounds>,
}

/// The consuming end: valued cells in sheet order.
struct Valued {
    rx: Receiver<Result<Batch, ReadError>>,
    cells: std::vec::IntoIter<(u32, u32, Value)>,
    dimension: Option<Bounds>,
}

impl Valued {
    fn next(&mut self) -> Result<Option<(u32, u32, Value)>, ReadError> {
        loop {
            if let Some(cell) = self.cells.next() {
                return Ok(Some(cell));
            }
            match self.rx.recv() {
                Ok(Ok(batch)) => {
                    self.dimension = batch.dimension;
                    self.cells = batch.cells.into_iter();
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(None),
            }
        }
    }
}

impl Ctx<'_> {
    fn fail(&self, e: XlsError) -> ReadError {
        e.into_read(self.file)
    }

    /// Starts a walk at the sheet's `BOF`.
    fn walk<'s, R: Read + Seek>(&self, cfb: &'s mut Cfb<R>) -> Result<Walk<'s, R>, ReadError> {
        let mut stream = book::workbook_stream(cfb).map_err(|e| self.fail(e))?;
        if self.offset >= stream.len() {
            return Err(ReadError::corrupt(self.file, format!("sheet \"{}\" starts at byte {} of the workbook stream, past its end; the workbook is damaged, re-save it in its application", self.sheet, self.offset)));
        }
        stream
            .seek_to(self.offset)
            .map_err(|e| ReadError::io(self.file, e))?;
        let max_record = self.options.limits.max_input_bytes;
        let mut records = Records::new(stream, self.offset, max_record);
        match records.next().map_err(|e| self.fail(e.into()))? {
            Some(r) => book::check_bof(&r, 0x0010).map_err(|e| self.fail(e))?,
            None => return Err(self.fail(XlsError::Corrupt("a sheet is missing".into()))),
        }
        Ok(Walk {
            records,
            parser: SheetParser::default(),
            dimension: None,
            last_row: None,
            in_order: true,
            ended: false,
            cells_seen: 0,
        })
    }

    /// The next block, counted against `max_cells`.
    fn next_block<R: Read + Seek>(&self, walk: &mut Walk<'_, R>) -> Result<bool, ReadError> {
        let more = walk.next_block().map_err(|e| self.fail(e))?;
        walk.cells_seen += walk.parser.block.cells.len() as u64;
        let limits = &self.options.limits;
        if walk.cells_seen > limits.max_cells {
            return Err(ReadError::Limit {
                file: self.file.into(),
                limit: "max_cells",
                what: format!(
                    "sheet \"{}\" has over {} cells",
                    self.sheet, walk.cells_seen
                ),
                value: walk.cells_seen,
                max: limits.max_cells,
            });
        }
        Ok(more)
    }

    fn in_range(&self, cell: &Cell) -> bool {
        self.bounds.is_none_or(|b| b.contains(cell.row, cell.col))
    }

    pub(super) fn run<R: Read + Seek + Send>(
        &self,
        cfb: &mut Cfb<R>,
        sink: &mut dyn TableSink,
    ) -> Result<ReadSummary, ReadError> {
        if let Some(summary) = self.valued(cfb, |cells| self.one_pass(cells, sink))? {
            return Ok(summary);
        }
        let (scan, in_order) = self.scan(cfb)?;
        let (file, sheet) = (self.file, self.sheet.clone());
        let max_cells = self.options.limits.max_cells;
        if !in_order {
            return self.sorted_whole(cfb, sink);
        }
        push_table(file, sheet, scan, sink, max_cells, |asm| {
            self.valued(cfb, |cells| {
                while let Some((row, col, value)) = cells.next()? {
                    asm.cell(row, col, value)?;
                }
                Ok(())
            })
        })
    }

    /// Runs `consume` over the sheet's cells in range, with their values, walked on a
    /// scoped thread. If `consume` returns early the walk stops at its next batch.
    fn valued<R: Read + Seek + Send, T>(
        &self,
        cfb: &mut Cfb<R>,
        consume: impl FnOnce(&mut Valued) -> Result<T, ReadError>,
    ) -> Result<T, ReadError> {
        let (tx, rx) = sync_channel(DEPTH);
        thread::scope(|scope| {
            scope.spawn(move || self.produce(cfb, &tx));
            let mut cells = Valued {
                rx,
                cells: Vec::new().into_iter(),
                dimension: None,
            };
            consume(&mut cells)
        })
    }

    fn produce<R: Read + Seek>(&self, cfb: &mut Cfb<R>, tx: &SyncSender<Result<Batch, ReadError>>) {
        let mut walk = match self.walk(cfb) {
            Ok(walk) => walk,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        let mut cells = Vec::with_capacity(BATCH);
        loop {
            let more = match self.next_block(&mut walk) {
                Ok(more) => more,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            let block = &walk.parser.block;
            for cell in block.cells.iter().filter(|c| self.in_range(c)) {
                match self.value(block, cell) {
                    Ok(v) => cells.push((cell.row, cell.col, v)),
                    Err(e) => {
                        // The cells before the error are good: they go first.
                        let dimension = walk.dimension;
                        let _ = tx.send(Ok(Batch { cells, dimension }));
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            }
            if cells.len() >= BATCH || !more {
                let batch = Batch {
                    cells: std::mem::replace(&mut cells, Vec::with_capacity(BATCH)),
                    dimension: walk.dimension,
                };
                if tx.send(Ok(batch)).is_err() || !more {
                    return;
                }
            }
        }
    }

    /// Reads up to the end of the header row; converts the sheet in one pass when the
    /// declared dimension fixes its shape. `None`: two passes are needed.
    fn one_pass(
        &self,
        cells: &mut Valued,
        sink: &mut dyn TableSink,
    ) -> Result<Option<ReadSummary>, ReadError> {
        let explicit = self.options.header_row.map(|h| h.saturating_sub(1));
        let mut header: Vec<(u32, Value)> = Vec::new();
        let mut found = explicit;
        let mut after = None;
        while let Some((row, col, value)) = cells.next()? {
            if explicit.is_some_and(|h| row < h) {
                continue;
            }
            match found {
                None if value.is_empty() => {}
                None => {
                    found = Some(row);
                    header.push((col, value));
                }
                Some(h) if row == h => header.push((col, value)),
                Some(_) => {
                    after = Some((row, col, value));
                    break;
                }
            }
        }
        let Some(header_row) = found else {
            return Ok(None);
        };
        let cols = header
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(c, _)| *c);
        let Some(shape) = shape::one_pass_shape(cells.dimension, self.bounds, header_row, cols)
        else {
            return Ok(None);
        };
        let info = TableInfo {
            source: self.file.into(),
            sheet: Some(self.sheet.clone()),
            ..TableInfo::default()
        };
        let mut asm = Assembler::new(shape, info, sink, self.options.limits.max_cells);
        let columns = asm.width();
        for (col, value) in header {
            asm.cell(header_row, col, value)?;
        }
        let mut next = after;
        while let Some((row, col, value)) = next {
            shape::check_inside(self.file, &self.sheet, &shape, row, col, value.is_empty())?;
            asm.cell(row, col, value)?;
            next = cells.next()?;
        }
        let rows = asm.finish()?;
        Ok(Some(ReadSummary {
            rows,
            columns,
            sheet: Some(self.sheet.clone()),
        }))
    }

    /// The first of two passes: where the table is, and whether the blocks came in
    /// order. Only emptiness is needed, so no value is built.
    fn scan<R: Read + Seek>(&self, cfb: &mut Cfb<R>) -> Result<(Scan, bool), ReadError> {
        let mut scan = Scan::new(self.bounds, self.options.header_row);
        let mut walk = self.walk(cfb)?;
        while self.next_block(&mut walk)? {
            let block = &walk.parser.block;
            for cell in &block.cells {
                scan.cell_is_empty(cell.row, cell.col, self.is_empty(block, cell));
            }
        }
        Ok((scan, walk.in_order))
    }

    /// A sheet whose row blocks are out of order with each other: every cell is held
    /// (bounded by `max_cells`, counted by the walk), sorted, then shaped.
    fn sorted_whole<R: Read + Seek + Send>(
        &self,
        cfb: &mut Cfb<R>,
        sink: &mut dyn TableSink,
    ) -> Result<ReadSummary, ReadError> {
        let mut all: Vec<(u32, u32, Value)> = self.valued(cfb, |cells| {
            let mut all = Vec::new();
            while let Some(cell) = cells.next()? {
                all.push(cell);
            }
            Ok(all)
        })?;
        all.sort_by_key(|(r, c, _)| (*r, *c));
        let mut scan = Scan::new(self.bounds, self.options.header_row);
        for (r, c, v) in &all {
            scan.cell_is_empty(*r, *c, v.is_empty());
        }
        let (file, sheet) = (self.file, self.sheet.clone());
        push_table(
            file,
            sheet,
            scan,
            sink,
            self.options.limits.max_cells,
            |asm| all.into_iter().try_for_each(|(r, c, v)| asm.cell(r, c, v)),
        )
    }

    /// Whether [`Ctx::value`] would give an empty value, without building it.
    fn is_empty(&self, block: &Block, cell: &Cell) -> bool {
        match cell.raw {
            Raw::Number(_) | Raw::Bool(_) => false,
            // A bad index is not empty: the value reports it.
            Raw::Shared(i) => self
                .globals
                .strings
                .get(i as usize)
                .is_some_and(str::is_empty),
            Raw::Text => block.text_of(cell).is_empty(),
            Raw::Error(_) => self.options.error_cells == ErrorCellPolicy::Empty,
        }
    }

    /// A cell as a person sees it (see [`crate::read::spreadsheet`]'s module doc).
    fn value(&self, block: &Block, cell: &Cell) -> Result<Value, ReadError> {
        let g = self.globals;
        Ok(match cell.raw {
            Raw::Number(n) => {
                let date =
                    |typ| spreadsheet::excel_datetime(&ExcelDateTime::new(n, typ, g.date1904));
                match g.xf_kinds.get(usize::from(cell.xf)) {
                    Some(Kind::DateTime) => date(ExcelDateTimeType::DateTime),
                    Some(Kind::Timestamp) => spreadsheet::excel_timestamp(&ExcelDateTime::new(
                        n,
                        ExcelDateTimeType::DateTime,
                        g.date1904,
                    )),
                    Some(Kind::Duration) => date(ExcelDateTimeType::TimeDelta),
                    _ => spreadsheet::number(n),
                }
            }
            Raw::Shared(i) => match g.strings.get(i as usize) {
                // calamine left an empty shared string out of the sheet: no cell.
                Some("") => Value::Empty,
                Some(s) => Value::Text(s.to_string()),
                None => {
                    return Err(self.cell_error(
                        cell,
                        format!(
                            "refers to shared string {i}, but the workbook has {}",
                            g.strings.len()
                        ),
                    ))
                }
            },
            Raw::Text => Value::Text(block.text_of(cell).to_string()),
            Raw::Bool(b) => Value::Bool(b),
            Raw::Error(code) => match error_name(code) {
                Some(text) => spreadsheet::error_text(text, self.options.error_cells),
                None => {
                    return Err(self.cell_error(
                        cell,
                        format!("holds error code 0x{code:02X}, which Excel does not define"),
                    ))
                }
            },
        })
    }

    fn cell_error(&self, cell: &Cell, what: String) -> ReadError {
        ReadError::Sheet {
            file: self.file.into(),
            sheet: self.sheet.clone(),
            detail: format!(
                "cell {}{} {what}; the workbook is damaged, re-save it in its application",
                column_letter(cell.col as usize),
                cell.row + 1
            ),
        }
    }
}
