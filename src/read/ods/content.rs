//! `content.xml`, streamed (OpenDocument 1.3 part 3, §9.1 tables): the automatic
//! styles (which tables are hidden), then each `table:table` of the spreadsheet, the
//! chosen one cell by cell and the others passed over.
//!
//! Positions come from counting: a row or cell covers `number-rows-repeated` /
//! `number-columns-repeated` positions. Empty repeats only move the position, so the
//! filler LibreOffice writes to the sheet's edge (1024 or 16384 columns, rows to
//! 1048576) costs nothing; a non-empty cell or row is given once per repeat.
//!
//! Elements are matched by namespace, through the prefixes the document root declares
//! (every producer declares them there), not by the usual prefixes alone.

use std::io::BufRead;
use std::rc::Rc;

use calamine::{Sheet, SheetType, SheetVisible};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::QName;
use quick_xml::Reader;

use super::cell::{self, CellStart};
use crate::read::feed::{CellParser, Malformed};
use crate::read::shape::parse_u32;
use crate::read::SheetSelector;

pub(super) const NS_OFFICE: &[u8] = b"urn:oasis:names:tc:opendocument:xmlns:office:1.0";
pub(super) const NS_TABLE: &[u8] = b"urn:oasis:names:tc:opendocument:xmlns:table:1.0";
pub(super) const NS_TEXT: &[u8] = b"urn:oasis:names:tc:opendocument:xmlns:text:1.0";
pub(super) const NS_STYLE: &[u8] = b"urn:oasis:names:tc:opendocument:xmlns:style:1.0";
/// LibreOffice's extension namespace: it marks error cells (`#DIV/0!`) with
/// `calcext:value-type="error"`, which ODF itself has no type for.
pub(super) const NS_CALCEXT: &[u8] =
    b"urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0";

/// The widest sheet LibreOffice (16384), Excel (16384) or Google Sheets (18278, `ZZZ`)
/// makes. A value further right is refused rather than given a row that wide.
pub(super) const MAX_COLS: u64 = 18_278;
/// Rows are counted in `u32`, as every other reader's are.
pub(super) const MAX_ROWS: u64 = u32::MAX as u64;
/// The most text a repeated row keeps for its copies; an honest repeated row is small
/// (LibreOffice repeats only identical rows).
const MAX_ROW_TEXT: usize = 64 << 20;

/// A cell's value as stored; text-like values are in [`Content::text`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Raw {
    Number(f64),
    Bool(bool),
    Text,
    /// `office:date-value`, ISO 8601.
    Date,
    /// `office:time-value`, an ISO 8601 duration.
    Time,
    /// An error cell (LibreOffice's `calcext:value-type="error"`): its shown text.
    Error,
}

/// A cell with a value, at its 0-based position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Cell {
    pub row: u32,
    pub col: u32,
    pub raw: Raw,
}

impl Raw {
    pub fn has_text(self) -> bool {
        matches!(self, Raw::Text | Raw::Date | Raw::Time | Raw::Error)
    }
}

/// Which table to stream.
#[derive(Debug, Clone, Copy)]
pub(super) enum Pick<'a> {
    /// As [`crate::read::spreadsheet::choose_sheet`] would, by the selector or else the
    /// first visible sheet.
    Sheet(Option<&'a SheetSelector>),
    /// None: only list the sheets.
    Nothing,
}

/// What the consumer learns before the first cell.
#[derive(Debug, Clone, Default)]
pub(super) struct Head {
    /// The sheets met, in order; all of them when none was chosen.
    pub sheets: Vec<Sheet>,
    /// The chosen sheet's index in `sheets`.
    pub chosen: Option<usize>,
    /// The columns the chosen table declares (`table:table-column`), before its rows.
    pub columns: u64,
}

/// The prefixes the document root binds to the namespaces read here; empty for the
/// default namespace.
#[derive(Debug, Clone)]
pub(super) struct Prefixes {
    pub office: Vec<u8>,
    pub table: Vec<u8>,
    pub text: Vec<u8>,
    pub style: Vec<u8>,
    pub calcext: Vec<u8>,
}

impl Default for Prefixes {
    fn default() -> Self {
        Prefixes {
            office: b"office".to_vec(),
            table: b"table".to_vec(),
            text: b"text".to_vec(),
            style: b"style".to_vec(),
            calcext: b"calcext".to_vec(),
        }
    }
}

impl Prefixes {
    fn declare(&mut self, e: &BytesStart<'_>) {
        for a in e.attributes().with_checks(false).flatten() {
            let key = a.key.as_ref();
            let prefix = if key == b"xmlns" {
                &b""[..]
            } else if let Some(p) = key.strip_prefix(b"xmlns:") {
                p
            } else {
                continue;
            };
            let slot = match a.value.as_ref() {
                NS_OFFICE => &mut self.office,
                NS_TABLE => &mut self.table,
                NS_TEXT => &mut self.text,
                NS_STYLE => &mut self.style,
                NS_CALCEXT => &mut self.calcext,
                _ => continue,
            };
            *slot = prefix.to_vec();
        }
    }
}

/// Whether `name` is `local` in the namespace bound to `prefix`. Compared as written
/// (`prefix:local`), which costs a length test for most names; this runs for every
/// element and attribute of the sheet.
#[inline]
pub(super) fn is(name: QName<'_>, prefix: &[u8], local: &[u8]) -> bool {
    let n = name.as_ref();
    if prefix.is_empty() {
        return n == local;
    }
    n.len() == prefix.len() + 1 + local.len()
        && n.ends_with(local)
        && n.starts_with(prefix)
        && n[prefix.len()] == b':'
}

/// The local part of `name` when it is in the namespace bound to `prefix`.
#[inline]
pub(super) fn local_in<'a>(name: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    if prefix.is_empty() {
        return (!name.contains(&b':')).then_some(name);
    }
    name.strip_prefix(prefix)?.strip_prefix(b":")
}

pub(super) struct Content<B: BufRead> {
    pub(super) xml: Reader<B>,
    pub(super) buf: Vec<u8>,
    pub(super) skip: Vec<u8>,
    /// Events inside a text cell.
    pub(super) inner: Vec<u8>,
    pub(super) ns: Rc<Prefixes>,
    /// `table:table-cell` and `table:covered-table-cell` as written, to skip to their end.
    pub(super) cell_end: Vec<u8>,
    pub(super) covered_end: Vec<u8>,
    pub(super) max_depth: u32,
    /// The text of the cell last returned.
    pub text: String,
    head: Head,
    in_table: bool,
    /// Row-group elements open inside the table.
    depth: u32,
    row: u64,
    col: u64,
    row_repeat: u64,
    /// A cell still to be given `left` more times, from column `col`.
    pending: Option<(Raw, u64)>,
    pending_col: u64,
    /// The current row's cells and their text, kept when the row repeats.
    row_cells: Vec<(u32, Raw, usize, usize)>,
    row_text: String,
    /// Copies of the last row still to give, and the next cell of it.
    replay: Option<(u64, usize)>,
    /// Why the table could not be read up to its first row.
    failed: Option<Malformed>,
}

impl<B: BufRead> Content<B> {
    /// Reads up to the first row of the table `pick` chooses (or to the end when it
    /// chooses none), noting every sheet on the way.
    pub fn open(mut xml: Reader<B>, pick: Pick<'_>, max_depth: u32) -> Result<Self, Malformed> {
        xml.config_mut().check_end_names = false;
        let mut c = Content {
            xml,
            buf: Vec::with_capacity(4096),
            skip: Vec::new(),
            inner: Vec::new(),
            ns: Rc::new(Prefixes::default()),
            cell_end: Vec::new(),
            covered_end: Vec::new(),
            max_depth,
            text: String::new(),
            head: Head::default(),
            in_table: false,
            depth: 0,
            row: 0,
            col: 0,
            row_repeat: 1,
            pending: None,
            pending_col: 0,
            row_cells: Vec::new(),
            row_text: String::new(),
            replay: None,
            failed: None,
        };
        c.find_table(pick)?;
        if c.in_table {
            // Once a table is chosen, an error is the table's: it comes with its name.
            if let Err(m) = c.read_to_first_row() {
                c.failed = Some(m);
            }
        }
        Ok(c)
    }

    pub(super) fn fail(&self, at: u64, detail: impl Into<String>) -> Malformed {
        Malformed {
            at,
            detail: detail.into(),
        }
    }

    fn find_table(&mut self, pick: Pick<'_>) -> Result<(), Malformed> {
        let mut buf = std::mem::take(&mut self.buf);
        let found = self.find_table_with(pick, &mut buf);
        self.buf = buf;
        found
    }

    fn find_table_with(&mut self, pick: Pick<'_>, buf: &mut Vec<u8>) -> Result<(), Malformed> {
        let mut hidden_styles: Vec<String> = Vec::new();
        let mut style: Option<String> = None;
        let mut root = true;
        loop {
            buf.clear();
            let at = self.xml.buffer_position();
            let event = next_event(&mut self.xml, buf)?;
            let (e, empty) = match event {
                Event::Start(e) => (e, false),
                Event::Empty(e) => (e, true),
                Event::End(e) => {
                    if is(e.name(), &self.ns.style, b"style") {
                        style = None;
                    }
                    continue;
                }
                Event::DocType(d) if d.contains(&b'[') => {
                    return Err(self.fail(at, "it declares a DTD, which is refused for safety"))
                }
                Event::Eof => return Ok(()),
                _ => continue,
            };
            if root {
                root = false;
                let mut ns = Prefixes::default();
                ns.declare(&e);
                let table = ns.table.clone();
                self.ns = Rc::new(ns);
                let qualified = |local: &[u8]| -> Vec<u8> {
                    let mut name = table.clone();
                    if !name.is_empty() {
                        name.push(b':');
                    }
                    name.extend_from_slice(local);
                    name
                };
                self.cell_end = qualified(b"table-cell");
                self.covered_end = qualified(b"covered-table-cell");
            }
            let name = e.name();
            if is(name, &self.ns.style, b"style") {
                // §19.498 `style:name`; its table properties say whether a table shows.
                style = if empty {
                    None
                } else {
                    attr(&e, &self.ns.style, b"name").map(|v| unescape(&v))
                };
            } else if is(name, &self.ns.style, b"table-properties") {
                // §20.383 `table:display`: a boolean; anything else leaves it shown.
                let hidden = attr(&e, &self.ns.table, b"display")
                    .is_some_and(|v| matches!(v.as_slice(), b"false" | b"0"));
                if let (true, Some(s)) = (hidden, &style) {
                    hidden_styles.push(s.clone());
                }
            } else if is(name, &self.ns.table, b"table") {
                let Some(sheet_name) = attr(&e, &self.ns.table, b"name").map(|v| unescape(&v))
                else {
                    // A table without a name is no sheet (calamine passes it over too).
                    if !empty {
                        self.skip_element(&e)?;
                    }
                    continue;
                };
                let hidden = attr(&e, &self.ns.table, b"style-name")
                    .map(|v| unescape(&v))
                    .is_some_and(|s| hidden_styles.contains(&s));
                let index = self.head.sheets.len();
                self.head.sheets.push(Sheet {
                    name: sheet_name,
                    typ: SheetType::WorkSheet,
                    visible: if hidden {
                        SheetVisible::Hidden
                    } else {
                        SheetVisible::Visible
                    },
                });
                if self.chosen(pick, index) {
                    self.head.chosen = Some(index);
                    self.in_table = !empty;
                    return Ok(());
                }
                if !empty {
                    self.skip_element(&e)?;
                }
            }
        }
    }

    fn chosen(&self, pick: Pick<'_>, index: usize) -> bool {
        let sheet = &self.head.sheets[index];
        match pick {
            Pick::Nothing => false,
            Pick::Sheet(Some(SheetSelector::Name(n))) => sheet.name == *n,
            Pick::Sheet(Some(SheetSelector::Index(i))) => index == *i,
            Pick::Sheet(None) => sheet.visible == SheetVisible::Visible,
        }
    }

    /// Passes over an element and everything in it.
    pub(super) fn skip_element(&mut self, e: &BytesStart<'_>) -> Result<(), Malformed> {
        let end = e.to_end().into_owned();
        let at = self.xml.buffer_position();
        self.skip.clear();
        self.xml
            .read_to_end_into(end.name(), &mut self.skip)
            .map(|_| ())
            .map_err(|e| Malformed {
                at,
                detail: e.to_string(),
            })
    }

    /// Reads the table's columns, up to its first row (or its end).
    fn read_to_first_row(&mut self) -> Result<(), Malformed> {
        while self.in_table {
            if self.step(true)? {
                return Ok(());
            }
        }
        Ok(())
    }

    /// One event of the table. `true` when a row began (while `columns` are counted)
    /// or a cell is ready to give.
    fn step(&mut self, columns: bool) -> Result<bool, Malformed> {
        let mut buf = std::mem::take(&mut self.buf);
        let stepped = self.step_with(columns, &mut buf);
        self.buf = buf;
        stepped
    }

    fn step_with(&mut self, columns: bool, buf: &mut Vec<u8>) -> Result<bool, Malformed> {
        buf.clear();
        let at = self.xml.buffer_position();
        let event = next_event(&mut self.xml, buf)?;
        let ns = Rc::clone(&self.ns);
        let table = ns.table.as_slice();
        let (e, empty) = match event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                let name = e.name();
                if is(name, table, b"table-row") {
                    self.end_row();
                    return Ok(self.replay.is_some());
                }
                if self.depth == 0 {
                    // The end of the table itself (any other end here is unbalanced).
                    self.in_table = false;
                } else {
                    self.depth -= 1;
                }
                return Ok(false);
            }
            Event::Eof => {
                return Err(self.fail(at, "the part ends inside a table; the file is truncated"))
            }
            _ => return Ok(false),
        };
        let name = e.name();
        if is(name, table, b"table-cell") || is(name, table, b"covered-table-cell") {
            let covered = is(name, table, b"covered-table-cell");
            let start = cell::read(self, &e, empty, covered, at)?;
            return self.place(start, at);
        }
        if is(name, table, b"table-row") {
            let repeat =
                repeated(&e, table, b"number-rows-repeated").map_err(|d| self.fail(at, d))?;
            self.start_row(repeat);
            if empty {
                self.end_row();
            }
            return Ok(columns);
        }
        if is(name, table, b"table-column") {
            let n =
                repeated(&e, table, b"number-columns-repeated").map_err(|d| self.fail(at, d))?;
            self.head.columns = self.head.columns.saturating_add(n);
            if !empty {
                self.skip_element(&e)?;
            }
            return Ok(false);
        }
        let group = [
            &b"table-header-rows"[..],
            b"table-row-group",
            b"table-rows",
            b"table-columns",
            b"table-column-group",
            b"table-header-columns",
        ]
        .iter()
        .any(|g| is(name, table, g));
        if empty {
            return Ok(false);
        }
        if group {
            self.depth += 1;
            if self.depth > self.max_depth {
                return Err(self.fail(
                    at,
                    format!("row groups nest more than {} deep", self.max_depth),
                ));
            }
        } else {
            // Shapes, forms, scenarios, named ranges and the like: no cells.
            self.skip_element(&e)?;
        }
        Ok(false)
    }

    fn start_row(&mut self, repeat: u64) {
        self.col = 0;
        self.row_repeat = repeat;
        self.row_cells.clear();
        self.row_text.clear();
    }

    fn end_row(&mut self) {
        if self.row_repeat > 1 && !self.row_cells.is_empty() {
            self.replay = Some((self.row_repeat - 1, 0));
        }
        self.row = self.row.saturating_add(self.row_repeat);
        self.row_repeat = 1;
        self.col = 0;
    }

    /// Places a cell just read: a value becomes pending (once per repeat), an empty
    /// cell only moves the column.
    fn place(&mut self, start: CellStart, at: u64) -> Result<bool, Malformed> {
        let first = self.col;
        self.col = self.col.saturating_add(start.repeat);
        let Some(raw) = start.raw else {
            return Ok(false);
        };
        let last = self.col - 1;
        if last >= MAX_COLS || self.row.saturating_add(self.row_repeat - 1) >= MAX_ROWS {
            return Err(self.fail(
                at,
                format!(
                    "a value lies at row {}, column {}, beyond the most a sheet holds ({MAX_ROWS} rows, {MAX_COLS} columns)",
                    self.row + 1,
                    last + 1
                ),
            ));
        }
        self.pending = Some((raw, start.repeat));
        self.pending_col = first;
        Ok(true)
    }

    /// The next pending cell (a repeat of the last cell, or a copy of a repeated row).
    fn give(&mut self) -> Result<Option<Cell>, Malformed> {
        if let Some((raw, left)) = self.pending {
            let cell = Cell {
                row: self.row as u32,
                col: self.pending_col as u32,
                raw,
            };
            self.pending = (left > 1).then_some((raw, left - 1));
            self.pending_col += 1;
            if self.row_repeat > 1 {
                if self.row_text.len() > MAX_ROW_TEXT {
                    let at = self.xml.buffer_position();
                    return Err(self.fail(at, format!("a row repeated {} times holds over {} MiB of text; LibreOffice repeats only small rows", self.row_repeat, MAX_ROW_TEXT >> 20)));
                }
                let start = self.row_text.len();
                if raw.has_text() {
                    self.row_text.push_str(&self.text);
                }
                self.row_cells
                    .push((cell.col, raw, start, self.row_text.len()));
            }
            return Ok(Some(cell));
        }
        let Some((left, i)) = self.replay else {
            return Ok(None);
        };
        // The copy being given is `row - left` (the row moved past the repeats).
        let row = self.row - left;
        let Some(&(col, raw, a, b)) = self.row_cells.get(i) else {
            return Ok(None);
        };
        self.text.clear();
        self.text.push_str(&self.row_text[a..b]);
        self.replay = if i + 1 < self.row_cells.len() {
            Some((left, i + 1))
        } else if left > 1 {
            Some((left - 1, 0))
        } else {
            None
        };
        Ok(Some(Cell {
            row: row as u32,
            col,
            raw,
        }))
    }
}

impl<B: BufRead> CellParser for Content<B> {
    type Cell = Cell;
    type Head = Head;

    fn head(&mut self) -> Head {
        self.head.clone()
    }

    fn next(&mut self) -> Result<Option<Cell>, Malformed> {
        if let Some(m) = self.failed.take() {
            self.in_table = false;
            return Err(m);
        }
        loop {
            if let Some(cell) = self.give()? {
                return Ok(Some(cell));
            }
            self.replay = None;
            if !self.in_table {
                return Ok(None);
            }
            self.step(false)?;
        }
    }

    fn text(&self, cell: &Cell) -> Option<&str> {
        cell.raw.has_text().then_some(self.text.as_str())
    }
}

/// An attribute's raw value, by namespace and local name.
pub(super) fn attr(e: &BytesStart<'_>, prefix: &[u8], local: &[u8]) -> Option<Vec<u8>> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| is(a.key, prefix, local))
        .map(|a| a.value.into_owned())
}

/// An attribute value as text, with XML's references resolved (left as written when
/// they do not resolve).
pub(super) fn unescape(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    match quick_xml::escape::unescape(&text) {
        Ok(v) => v.into_owned(),
        Err(_) => text.into_owned(),
    }
}

/// A `number-…-repeated` count: a positive integer, 1 when absent (§19.615, §19.680).
fn repeated(e: &BytesStart<'_>, table: &[u8], local: &[u8]) -> Result<u64, String> {
    match attr(e, table, local) {
        None => Ok(1),
        Some(v) => parse_count(&v, local),
    }
}

pub(super) fn parse_count(v: &[u8], what: &[u8]) -> Result<u64, String> {
    match parse_u32(v) {
        Some(0) | None => Err(format!(
            "{}=\"{}\" is not a count from 1 to {}",
            String::from_utf8_lossy(what),
            String::from_utf8_lossy(v),
            u32::MAX
        )),
        Some(n) => Ok(u64::from(n)),
    }
}

/// The next event, or where and why the XML is malformed.
fn next_event<'b, B: BufRead>(
    xml: &mut Reader<B>,
    buf: &'b mut Vec<u8>,
) -> Result<Event<'b>, Malformed> {
    let at = xml.buffer_position();
    xml.read_event_into(buf).map_err(|e| Malformed {
        at,
        detail: e.to_string(),
    })
}
