//! One worksheet part, cell by cell, in one forward pass (ECMA-376 Part 1, §18.3).
//!
//! Built for speed on large sheets: one reused event buffer, one reused text buffer,
//! attributes read in one sweep, numbers parsed from the bytes. A cell's value is left
//! raw ([`Raw`]) so a caller that only needs to know whether cells are empty pays for
//! nothing more.

use std::borrow::Cow;
use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::text;
use crate::read::feed::{CellParser, Malformed};
use crate::read::shape::{cell_ref, parse_range, parse_u32, Bounds};

/// A cell's value as stored; text-like values are in [`Cells::text`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Raw {
    Empty,
    Number(f64),
    /// An index into the shared strings.
    Shared(usize),
    Text,
    Bool(bool),
    /// An error value such as `#N/A`.
    Error,
    /// An ISO 8601 date or date-time (`t="d"`).
    Iso,
}

/// A cell's position (0-based), style index, and value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Cell {
    pub row: u32,
    pub col: u32,
    pub style: usize,
    pub raw: Raw,
}

pub(super) struct Cells<B: BufRead> {
    xml: Reader<B>,
    buf: Vec<u8>,
    skip: Vec<u8>,
    /// The text of the last text-like cell.
    pub text: String,
    row: u32,
    col: u32,
    /// The sheet's declared used range, when it has one before its cells.
    pub dimension: Option<Bounds>,
    in_data: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Type {
    Number,
    Shared,
    Str,
    Inline,
    Bool,
    Error,
    Date,
}

impl<B: BufRead> Cells<B> {
    /// Reads up to the first cell, taking the `<dimension>` on the way.
    pub fn open(mut xml: Reader<B>) -> Result<Self, Malformed> {
        xml.config_mut().check_end_names = false;
        let mut cells = Cells {
            xml,
            buf: Vec::with_capacity(4096),
            skip: Vec::new(),
            text: String::new(),
            row: 0,
            col: 0,
            dimension: None,
            in_data: false,
        };
        loop {
            cells.buf.clear();
            let at = cells.xml.buffer_position();
            let fail = |detail: String| Malformed { at, detail };
            match cells.xml.read_event_into(&mut cells.buf) {
                Ok(Event::Start(e) | Event::Empty(e))
                    if e.local_name().as_ref() == b"dimension" =>
                {
                    cells.dimension = attribute(&e, b"ref")
                        .and_then(|r| parse_range(std::str::from_utf8(&r).ok()?));
                }
                Ok(Event::Start(e)) if e.local_name().as_ref() == b"sheetData" => {
                    cells.in_data = true;
                    return Ok(cells);
                }
                Ok(Event::Empty(e)) if e.local_name().as_ref() == b"sheetData" => return Ok(cells),
                Ok(Event::DocType(d)) if d.contains(&b'[') => {
                    return Err(fail(
                        "it declares a DTD, which is refused for safety".into(),
                    ))
                }
                // `sheetData` is required (ECMA-376 §18.3.1.99): a part that ends before it
                // was cut short, and read as an empty sheet it would lose every row.
                Ok(Event::Eof) => {
                    return Err(fail(
                        "the part ends before its <sheetData>; the file is truncated".into(),
                    ))
                }
                Ok(_) => {}
                Err(e) => return Err(fail(e.to_string())),
            }
        }
    }

    /// The next cell in document order, or `None` after `</sheetData>`.
    pub fn next(&mut self) -> Result<Option<Cell>, Malformed> {
        while self.in_data {
            self.buf.clear();
            let at = self.xml.buffer_position();
            let fail = |detail: String| Malformed { at, detail };
            let event = self
                .xml
                .read_event_into(&mut self.buf)
                .map_err(|e| fail(e.to_string()))?;
            let (start, children) = match event {
                Event::Start(e) if e.local_name().as_ref() == b"c" => {
                    (cell_start(&e, self.row, self.col).map_err(fail)?, true)
                }
                Event::Empty(e) if e.local_name().as_ref() == b"c" => {
                    (cell_start(&e, self.row, self.col).map_err(fail)?, false)
                }
                Event::Start(e) if e.local_name().as_ref() == b"row" => {
                    self.row = row_number(&e).map_err(fail)?.unwrap_or(self.row);
                    self.col = 0;
                    continue;
                }
                Event::Empty(e) if e.local_name().as_ref() == b"row" => {
                    let row = row_number(&e).map_err(fail)?.unwrap_or(self.row);
                    (self.row, self.col) = (row.saturating_add(1), 0);
                    continue;
                }
                // quick-xml takes `<9 …>` as an element; XML names never start so
                // (XML 1.0 §2.3), and such a damaged cell would be passed over unseen.
                Event::Start(e) | Event::Empty(e)
                    if e.name()
                        .as_ref()
                        .first()
                        .is_none_or(|b| b.is_ascii_digit() || matches!(b, b'-' | b'.')) =>
                {
                    return Err(fail(format!(
                        "<{}> is not an XML element name",
                        String::from_utf8_lossy(e.name().as_ref())
                    )));
                }
                Event::End(e) => {
                    match e.local_name().as_ref() {
                        b"row" => (self.row, self.col) = (self.row.saturating_add(1), 0),
                        b"sheetData" => self.in_data = false,
                        _ => {}
                    }
                    continue;
                }
                Event::Eof => {
                    return Err(fail(
                        "the part ends inside <sheetData>; the file is truncated".into(),
                    ))
                }
                _ => continue,
            };
            let (row, col, style, ty) = start;
            self.col = col.saturating_add(1);
            let raw = if children {
                self.cell_value(ty).map_err(fail)?
            } else {
                Raw::Empty
            };
            return Ok(Some(Cell {
                row,
                col,
                style,
                raw,
            }));
        }
        Ok(None)
    }

    /// Reads a cell's children up to `</c>`: its cached value `<v>` or inline string
    /// `<is>`; a formula `<f>` and extensions are passed over.
    fn cell_value(&mut self, ty: Type) -> Result<Raw, String> {
        let mut raw = Raw::Empty;
        loop {
            self.buf.clear();
            let child = match self
                .xml
                .read_event_into(&mut self.buf)
                .map_err(|e| e.to_string())?
            {
                Event::Start(e) => match e.local_name().as_ref() {
                    b"v" => Child::Value,
                    b"is" => Child::Inline,
                    _ => Child::Other(e.to_end().into_owned()),
                },
                Event::End(e) if e.local_name().as_ref() == b"c" => return Ok(raw),
                Event::Eof => {
                    return Err("the part ends inside a cell; the file is truncated".into())
                }
                _ => continue,
            };
            self.text.clear();
            match child {
                Child::Value => {
                    self.read_text(b"v", false)?;
                    raw = self.typed(ty)?;
                }
                Child::Inline => {
                    self.read_text(b"is", true)?;
                    text::unescape_ooxml(&mut self.text);
                    raw = Raw::Text;
                }
                Child::Other(end) => {
                    self.skip.clear();
                    self.xml
                        .read_to_end_into(end.name(), &mut self.skip)
                        .map_err(|e| e.to_string())?;
                }
            }
        }
    }

    /// Collects text up to the end of `element`. For an inline string (`runs`), only the
    /// text of `<t>` elements outside phonetic guides counts.
    fn read_text(&mut self, element: &[u8], runs: bool) -> Result<(), String> {
        let (mut in_t, mut phonetic) = (!runs, false);
        loop {
            self.buf.clear();
            match self
                .xml
                .read_event_into(&mut self.buf)
                .map_err(|e| e.to_string())?
            {
                Event::Text(t) if in_t => text::push_raw(&mut self.text, &t)?,
                Event::CData(t) if in_t => text::push_raw(&mut self.text, &t)?,
                Event::GeneralRef(r) if in_t => text::push_ref(&mut self.text, &r)?,
                Event::Start(e) if runs => match e.local_name().as_ref() {
                    b"t" => in_t = !phonetic,
                    b"rPh" => phonetic = true,
                    _ => {}
                },
                Event::End(e) => {
                    let name = e.local_name();
                    if name.as_ref() == element {
                        return Ok(());
                    }
                    match name.as_ref() {
                        b"t" if runs => in_t = false,
                        b"rPh" => phonetic = false,
                        _ => {}
                    }
                }
                Event::Eof => {
                    return Err("the part ends inside a cell's value; the file is truncated".into())
                }
                _ => {}
            }
        }
    }

    /// The `<v>` text in `self.text`, read as the cell's type says.
    fn typed(&mut self, ty: Type) -> Result<Raw, String> {
        if matches!(ty, Type::Str | Type::Inline) {
            text::unescape_ooxml(&mut self.text);
            return Ok(Raw::Text);
        }
        let v = self.text.trim();
        Ok(match ty {
            Type::Number if v.is_empty() => Raw::Empty,
            Type::Number => Raw::Number(
                v.parse()
                    .map_err(|_| format!("a number cell holds \"{v}\", which is not a number"))?,
            ),
            Type::Shared => Raw::Shared(v.parse().map_err(|_| {
                format!("a shared-string cell holds \"{v}\", which is not an index")
            })?),
            Type::Bool => match v {
                "1" | "true" => Raw::Bool(true),
                "0" | "false" => Raw::Bool(false),
                _ => return Err(format!("a boolean cell holds \"{v}\"; expected 1 or 0")),
            },
            Type::Error => Raw::Error,
            Type::Date => Raw::Iso,
            Type::Str | Type::Inline => Raw::Text,
        })
    }
}

impl<B: BufRead> CellParser for Cells<B> {
    type Cell = Cell;
    type Head = Option<Bounds>;

    fn head(&mut self) -> Option<Bounds> {
        self.dimension
    }

    fn next(&mut self) -> Result<Option<Cell>, Malformed> {
        Cells::next(self)
    }

    fn text(&self, cell: &Cell) -> Option<&str> {
        matches!(cell.raw, Raw::Text | Raw::Error | Raw::Iso).then_some(self.text.as_str())
    }
}

enum Child {
    Value,
    Inline,
    Other(quick_xml::events::BytesEnd<'static>),
}

fn attribute<'a>(e: &'a BytesStart<'_>, key: &[u8]) -> Option<Cow<'a, [u8]>> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.local_name().as_ref() == key)
        .map(|a| a.value)
}

/// A row's `r`, 0-based; `None` when it has none (it follows the previous row).
fn row_number(e: &BytesStart<'_>) -> Result<Option<u32>, String> {
    let Some(r) = attribute(e, b"r") else {
        return Ok(None);
    };
    let n = parse_u32(&r)
        .filter(|n| (1..=MAX_ROWS).contains(n))
        .ok_or_else(|| {
            format!(
                "a row number \"{}\" is not a number from 1 to {MAX_ROWS}",
                String::from_utf8_lossy(&r)
            )
        })?;
    Ok(Some(n - 1))
}

/// Position, style and type from a cell's attributes, in one sweep over them. A cell
/// without `r` follows the previous cell of its row.
fn cell_start(e: &BytesStart<'_>, row: u32, col: u32) -> Result<(u32, u32, usize, Type), String> {
    let (mut style, mut ty) = (0, Type::Number);
    let (mut row, mut col) = (row, col);
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|e| e.to_string())?;
        match a.key.local_name().as_ref() {
            b"r" => {
                (row, col) = parse_cell_ref(&a.value).ok_or_else(|| {
                    format!(
                        "a cell reference \"{}\" is not like B12, within A1:XFD1048576",
                        String::from_utf8_lossy(&a.value)
                    )
                })?;
            }
            b"s" => style = parse_u32(&a.value).unwrap_or(0) as usize,
            b"t" => {
                ty = match a.value.as_ref() {
                    b"n" => Type::Number,
                    b"s" => Type::Shared,
                    b"str" => Type::Str,
                    b"inlineStr" => Type::Inline,
                    b"b" => Type::Bool,
                    b"e" => Type::Error,
                    b"d" => Type::Date,
                    other => {
                        return Err(format!(
                            "a cell has an unknown type t=\"{}\"",
                            String::from_utf8_lossy(other)
                        ))
                    }
                }
            }
            _ => {}
        }
    }
    Ok((row, col, style, ty))
}

/// A worksheet's size (ECMA-376 Part 1, §18.3.1.73 and §18.3.1.13). References past it
/// are refused: a hostile `r="4000000000"` would otherwise ask for billions of rows.
const MAX_ROWS: u32 = 1_048_576;
const MAX_COLS: u32 = 16_384;

/// A cell reference within the worksheet's size.
fn parse_cell_ref(b: &[u8]) -> Option<(u32, u32)> {
    cell_ref(b).filter(|&(row, col)| row < MAX_ROWS && col < MAX_COLS)
}
