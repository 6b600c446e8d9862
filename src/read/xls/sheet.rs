//! A worksheet substream (MS-XLS §2.1.7.20.5), record by record: its cells for the
//! reader, and what the screen needs (hidden rows and columns, notes, text boxes,
//! headers and footers, drawing objects).
//!
//! # Cell order
//! A BIFF8 sheet stores its cells in row blocks: up to 32 `ROW` records, the cells of
//! those rows, then a `DBCELL` index. Excel writes each block's cells row by row, left
//! to right, but the format does not require it, and other producers differ. So cells
//! are gathered one block at a time and sorted (a stable sort: of two cells at the same
//! place the later wins, as when calamine placed them in a grid), which costs nothing
//! for a block already in order. A file with no `ROW`/`DBCELL` records is one block:
//! it is held whole, as calamine held every sheet. Blocks out of order with each other
//! are left to the caller ([`Blocks::in_order`]).

use super::book::{BOF, EOF};
use super::records::{Cursor, Record};
use super::XlsError;
use crate::read::shape::Bounds;

const DIMENSIONS: u16 = 0x0200;
const NUMBER: u16 = 0x0203;
const RK: u16 = 0x027E;
const MULRK: u16 = 0x00BD;
const LABELSST: u16 = 0x00FD;
const LABEL: u16 = 0x0204;
const RSTRING: u16 = 0x00D6;
const BOOLERR: u16 = 0x0205;
const FORMULA: u16 = 0x0006;
const STRING: u16 = 0x0207;
const ROW: u16 = 0x0208;
const DBCELL: u16 = 0x00D7;
const COLINFO: u16 = 0x007D;
const DEFAULTROWHEIGHT: u16 = 0x0225;
const NOTE: u16 = 0x001C;
const OBJ: u16 = 0x005D;
const TXO: u16 = 0x01B6;
const HEADER: u16 = 0x0014;
const FOOTER: u16 = 0x0015;
const HEADERFOOTER: u16 = 0x089C;
const MSODRAWING: u16 = 0x00EC;
const SHRFMLA: u16 = 0x04BC;
const ARRAY: u16 = 0x0221;
const TABLE: u16 = 0x0236;
/// Not a `BErr` code: ogpipe's mark for a formula saved with no cached value.
pub(super) const NO_CACHED_VALUE: u8 = 0xFE;

/// A cell's value as stored; text is in the block's text buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Raw {
    Number(f64),
    /// An index into the shared strings.
    Shared(u32),
    Text,
    Bool(bool),
    /// A `BErr` code (§2.5.97).
    Error(u8),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Cell {
    pub row: u32,
    pub col: u32,
    /// The XF (cell format) index.
    pub xf: u16,
    pub raw: Raw,
    /// The cell's text in [`Block::text`] (empty unless [`Raw::Text`]).
    span: (u32, u32),
}

/// One record of a sheet, as far as anyone here cares.
#[derive(Debug, PartialEq)]
pub(super) enum Item {
    /// Cells were added to the block (a cell record).
    Cells,
    Dimension(Option<Bounds>),
    HiddenRow(u32),
    /// Columns, 0-based, inclusive.
    HiddenColumns(u32, u32),
    /// `DEFAULTROWHEIGHT` says rows are hidden unless a `ROW` says otherwise.
    RowsHiddenByDefault,
    /// A note (comment) at a cell, its text in the object `obj`.
    Note {
        row: u32,
        col: u32,
        obj: u16,
        author: String,
    },
    /// A drawing object: its id and kind (`ot`, §2.5.143), and whether it links or
    /// embeds an OLE object (`ftPictFmla`).
    Object {
        id: u16,
        kind: u16,
        ole: bool,
    },
    /// The text of the last object (a note's or a text box's).
    ObjectText(String),
    HeaderFooter(String),
    Drawing,
    Other,
    End,
}

/// The cells of the current block, and its text.
#[derive(Debug, Default)]
pub(super) struct Block {
    pub cells: Vec<Cell>,
    pub text: String,
}

impl Block {
    pub fn text_of(&self, cell: &Cell) -> &str {
        self.text
            .get(cell.span.0 as usize..cell.span.1 as usize)
            .unwrap_or("")
    }

    pub fn clear(&mut self) {
        self.cells.clear();
        self.text.clear();
    }

    /// Sorts by position, stably (see the module doc).
    pub fn sort(&mut self) {
        if !self.cells.is_sorted_by_key(|c| (c.row, c.col)) {
            self.cells.sort_by_key(|c| (c.row, c.col));
        }
    }

    fn push(&mut self, row: u16, col: u16, xf: u16, raw: Raw) {
        self.cells.push(Cell {
            row: u32::from(row),
            col: u32::from(col),
            xf,
            raw,
            span: (0, 0),
        });
    }
}

/// Reads a sheet's records into items; cells go into `block`.
#[derive(Default)]
pub(super) struct SheetParser {
    pub block: Block,
    /// Substreams nested in this one (an embedded chart's `BOF`…`EOF`).
    depth: u32,
    /// A `FORMULA` whose string result comes in the next `STRING` record.
    pending_string: Option<(u16, u16, u16)>,
    /// The block has cells since its last `ROW` run.
    cells_since_row: bool,
    /// The block before this record ended (a `DBCELL`, or a `ROW` after cells): its
    /// cells may be sorted and handed on. The caller clears it.
    pub boundary: bool,
}

impl SheetParser {
    /// Takes one record (after the sheet's own `BOF`).
    pub fn record(&mut self, r: &Record<'_>) -> Result<Item, XlsError> {
        if self.depth > 0 {
            match r.typ {
                BOF => self.depth += 1,
                EOF => self.depth -= 1,
                _ => {}
            }
            return Ok(Item::Other);
        }
        let short = || {
            XlsError::Corrupt(format!(
                "the record 0x{:04X} at byte {} is cut short",
                r.typ, r.offset
            ))
        };
        check_length(r)?;
        // A string result comes in the STRING record after its FORMULA (shared and
        // array formula records may come between). When another record comes first,
        // the formula has no cached value: an error cell, reported as the error-cell
        // policy says, never a silently empty one.
        if !matches!(r.typ, STRING | SHRFMLA | ARRAY | TABLE) {
            if let Some((row, col, xf)) = self.pending_string.take() {
                self.cell(row, col, xf, Raw::Error(NO_CACHED_VALUE));
            }
        }
        let mut c = Cursor::new(r);
        let item = match r.typ {
            NUMBER => {
                let (row, col, xf) = head(&mut c).ok_or_else(short)?;
                let v = float(c.bytes(8).ok_or_else(short)?);
                self.cell(row, col, xf, Raw::Number(v))
            }
            RK => {
                let (row, col, xf) = head(&mut c).ok_or_else(short)?;
                let v = rk(c.u32().ok_or_else(short)?);
                self.cell(row, col, xf, Raw::Number(v))
            }
            MULRK => {
                let row = c.u16().ok_or_else(short)?;
                let first = c.u16().ok_or_else(short)?;
                let n = c.remaining().saturating_sub(2) / 6;
                for i in 0..n {
                    let xf = c.u16().ok_or_else(short)?;
                    let v = rk(c.u32().ok_or_else(short)?);
                    let col = first.checked_add(i as u16).ok_or_else(short)?;
                    self.block.push(row, col, xf, Raw::Number(v));
                }
                self.cells_since_row = true;
                Item::Cells
            }
            LABELSST => {
                let (row, col, xf) = head(&mut c).ok_or_else(short)?;
                let i = c.u32().ok_or_else(short)?;
                self.cell(row, col, xf, Raw::Shared(i))
            }
            LABEL | RSTRING => {
                let (row, col, xf) = head(&mut c).ok_or_else(short)?;
                self.text_cell(row, col, xf, |t| c.unicode_string(t))
                    .ok_or_else(short)?
            }
            BOOLERR => {
                let (row, col, xf) = head(&mut c).ok_or_else(short)?;
                let (v, is_error) = (c.u8().ok_or_else(short)?, c.u8().ok_or_else(short)?);
                let raw = if is_error == 1 {
                    Raw::Error(v)
                } else {
                    Raw::Bool(v != 0)
                };
                self.cell(row, col, xf, raw)
            }
            FORMULA => {
                let (row, col, xf) = head(&mut c).ok_or_else(short)?;
                let v = c.bytes(8).ok_or_else(short)?;
                self.pending_string = None;
                if v[6..8] == [0xFF, 0xFF] {
                    match v[0] {
                        // A string: its text is in the STRING record that follows.
                        0 => {
                            self.pending_string = Some((row, col, xf));
                            Item::Other
                        }
                        1 => self.cell(row, col, xf, Raw::Bool(v[2] != 0)),
                        2 => self.cell(row, col, xf, Raw::Error(v[2])),
                        // An empty string.
                        3 => self
                            .text_cell(row, col, xf, |_| Some(()))
                            .ok_or_else(short)?,
                        other => {
                            return Err(XlsError::Corrupt(format!(
                                "the formula at byte {} has a result of unknown type {other}",
                                r.offset
                            )))
                        }
                    }
                } else {
                    self.cell(row, col, xf, Raw::Number(float(v)))
                }
            }
            STRING => match self.pending_string.take() {
                Some((row, col, xf)) => self
                    .text_cell(row, col, xf, |t| c.unicode_string(t))
                    .ok_or_else(short)?,
                None => Item::Other,
            },
            ROW => {
                if std::mem::take(&mut self.cells_since_row) {
                    self.boundary = true;
                }
                let row = c.u16().ok_or_else(short)?;
                c.skip(4).ok_or_else(short)?;
                let height = c.u16().ok_or_else(short)?;
                c.skip(4).ok_or_else(short)?;
                let flags = c.u16().ok_or_else(short)?;
                // fDyZero: the row is hidden (§2.4.221); a zero height hides it too.
                if flags & 0x20 != 0 || height & 0x7FFF == 0 {
                    Item::HiddenRow(u32::from(row))
                } else {
                    Item::Other
                }
            }
            DBCELL => {
                self.cells_since_row = false;
                self.boundary = true;
                Item::Other
            }
            DIMENSIONS => Item::Dimension(dimension(&mut c)),
            COLINFO => {
                let (first, last) = (c.u16().ok_or_else(short)?, c.u16().ok_or_else(short)?);
                let width = c.u16().ok_or_else(short)?;
                c.skip(2).ok_or_else(short)?;
                let flags = c.u16().ok_or_else(short)?;
                if flags & 1 != 0 || width == 0 {
                    Item::HiddenColumns(u32::from(first), u32::from(last.max(first)))
                } else {
                    Item::Other
                }
            }
            DEFAULTROWHEIGHT => match c.u16() {
                Some(flags) if flags & 0x02 != 0 => Item::RowsHiddenByDefault,
                _ => Item::Other,
            },
            NOTE => {
                let (row, col) = (c.u16().ok_or_else(short)?, c.u16().ok_or_else(short)?);
                c.skip(2).ok_or_else(short)?;
                let obj = c.u16().ok_or_else(short)?;
                let mut author = String::new();
                // An author cut short still leaves a note to report.
                let _ = c.unicode_string(&mut author);
                Item::Note {
                    row: u32::from(row),
                    col: u32::from(col),
                    obj,
                    author,
                }
            }
            OBJ => object(&mut c).ok_or_else(short)?,
            TXO => Item::ObjectText(txo(&mut c, r.breaks).ok_or_else(short)?),
            HEADER | FOOTER => {
                let mut text = String::new();
                if r.data.is_empty() {
                    Item::Other
                } else {
                    c.unicode_string(&mut text).ok_or_else(short)?;
                    Item::HeaderFooter(text)
                }
            }
            HEADERFOOTER => Item::HeaderFooter(header_footer(&mut c).ok_or_else(short)?),
            MSODRAWING => Item::Drawing,
            BOF => {
                self.depth += 1;
                Item::Other
            }
            EOF => Item::End,
            _ => Item::Other,
        };
        Ok(item)
    }

    fn cell(&mut self, row: u16, col: u16, xf: u16, raw: Raw) -> Item {
        self.block.push(row, col, xf, raw);
        self.cells_since_row = true;
        Item::Cells
    }

    fn text_cell(
        &mut self,
        row: u16,
        col: u16,
        xf: u16,
        read: impl FnOnce(&mut String) -> Option<()>,
    ) -> Option<Item> {
        let start = self.block.text.len();
        read(&mut self.block.text)?;
        let end = self.block.text.len();
        self.block.cells.push(Cell {
            row: u32::from(row),
            col: u32::from(col),
            xf,
            raw: Raw::Text,
            span: (u32::try_from(start).ok()?, u32::try_from(end).ok()?),
        });
        self.cells_since_row = true;
        Some(Item::Cells)
    }
}

/// Row, column and XF index: the head of every cell record (`Cell`, §2.5.19).
/// Refuses a cell or row record whose length disagrees with what its kind holds
/// (MS-XLS §2.4). Such a length is a damaged file: read as given, the records after it
/// are read from the wrong offsets, and rows go missing with no word.
fn check_length(r: &Record<'_>) -> Result<(), XlsError> {
    let n = r.data.len();
    let (name, fits, want) = match r.typ {
        NUMBER => ("NUMBER", n == 14, "14 bytes"),
        RK => ("RK", n == 10, "10 bytes"),
        LABELSST => ("LABELSST", n == 10, "10 bytes"),
        BOOLERR => ("BOOLERR", n == 8, "8 bytes"),
        ROW => ("ROW", n == 16, "16 bytes"),
        MULRK => (
            "MULRK",
            n >= 12 && (n - 6) % 6 == 0,
            "6 bytes and 6 per cell",
        ),
        FORMULA => {
            let cce = r.data.get(20..22).map_or(usize::MAX, |b| {
                usize::from(u16::from_le_bytes([b[0], b[1]]))
            });
            (
                "FORMULA",
                n >= 22 && n - 22 >= cce,
                "22 bytes and its formula's",
            )
        }
        _ => return Ok(()),
    };
    if fits {
        return Ok(());
    }
    Err(XlsError::Corrupt(format!(
        "the {name} record at byte {} is {n} bytes long, where one holds {want}; the workbook is damaged (re-save it in Excel or LibreOffice)",
        r.offset
    )))
}

fn head(c: &mut Cursor<'_>) -> Option<(u16, u16, u16)> {
    Some((c.u16()?, c.u16()?, c.u16()?))
}

fn float(b: &[u8]) -> f64 {
    let mut le = [0u8; 8];
    le.copy_from_slice(&b[..8]);
    f64::from_le_bytes(le)
}

/// An `RkNumber` (§2.5.217): a 30-bit integer or the high 30 bits of a double,
/// divided by 100 when its low bit says so.
pub(super) fn rk(v: u32) -> f64 {
    let div100 = v & 1 != 0;
    let n = if v & 2 != 0 {
        f64::from((v as i32) >> 2)
    } else {
        f64::from_bits(u64::from(v & 0xFFFF_FFFC) << 32)
    };
    if div100 {
        n / 100.0
    } else {
        n
    }
}

/// `Dimensions` (§2.4.90): first row, last row + 1, first column, last column + 1.
/// `None` for an empty sheet.
fn dimension(c: &mut Cursor<'_>) -> Option<Bounds> {
    let (first_row, past_row) = (c.u32()?, c.u32()?);
    let (first_col, past_col) = (u32::from(c.u16()?), u32::from(c.u16()?));
    (past_row > first_row && past_col > first_col).then_some(Bounds {
        first_row,
        last_row: past_row - 1,
        first_col,
        last_col: past_col - 1,
    })
}

/// `Obj` (§2.4.181): its first sub-record is `FtCmo` (kind and id); an `FtPictFmla`
/// among the rest means a linked or embedded OLE object.
fn object(c: &mut Cursor<'_>) -> Option<Item> {
    let (ft, _cb) = (c.u16()?, c.u16()?);
    if ft != 0x15 {
        return Some(Item::Object {
            id: 0,
            kind: 0xFFFF,
            ole: false,
        });
    }
    let (kind, id) = (c.u16()?, c.u16()?);
    c.skip(14)?;
    let mut ole = false;
    // Sub-records: ft, cb, data. Notes and lists end irregularly; stop at anything odd.
    while c.remaining() >= 4 {
        let (ft, cb) = (c.u16()?, usize::from(c.u16()?));
        if ft == 0x0009 {
            ole = true;
        }
        if ft == 0 || c.skip(cb).is_none() {
            break;
        }
    }
    Some(Item::Object { id, kind, ole })
}

/// `TxO` (§2.4.329): the text is in the first `CONTINUE` body, after an option byte.
fn txo(c: &mut Cursor<'_>, breaks: &[usize]) -> Option<String> {
    c.skip(10)?;
    let cch = usize::from(c.u16()?);
    let mut text = String::new();
    if cch == 0 {
        return Some(text);
    }
    c.pos = *breaks.first()?;
    let flags = c.u8()?;
    c.chars(cch, flags & 1 != 0, &mut text)?;
    Some(text)
}

/// `HeaderFooter` (§2.4.136): the even-page and first-page headers and footers, joined.
fn header_footer(c: &mut Cursor<'_>) -> Option<String> {
    c.skip(12 + 16 + 2)?;
    let counts = [c.u16()?, c.u16()?, c.u16()?, c.u16()?];
    let mut text = String::new();
    for n in counts {
        if n > 0 {
            if !text.is_empty() {
                text.push(' ');
            }
            c.unicode_string(&mut text)?;
        }
    }
    Some(text)
}
