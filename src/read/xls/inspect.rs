//! What the screen needs from an xls file, from the same records the reader parses:
//! the workbook's sheets, links, drawings, the container's other streams and storages
//! and its document properties; then, sheet by sheet, every cell's text and number
//! and the sheet's hidden rows and columns, notes, text boxes, headers, footers and
//! drawing objects.

use std::collections::HashMap;
use std::io::{Read, Seek};

use calamine::Sheet;

use super::book::{self, ExternalLink, Globals};
use super::cfb::Cfb;
use super::propset::{self, Property};
use super::records::Records;
use super::sheet::{Item, Raw, SheetParser};
use super::XlsError;

/// Stream names of the document property sets.
const SUMMARY: &str = "\u{5}SummaryInformation";
const DOCUMENT_SUMMARY: &str = "\u{5}DocumentSummaryInformation";

/// A cell's content, for the screen.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CellContent<'a> {
    Text(&'a str),
    /// A number that its cell format does not show as a date.
    Number(f64),
    /// A date, a boolean or an error: nothing to screen as text, but its format may
    /// still hide it.
    Other,
}

/// A note (comment): where, by whom, and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Note {
    pub row: u32,
    pub col: u32,
    pub author: String,
    pub text: String,
}

/// A drawing object other than a note or a text box (whose text is read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Object {
    Picture,
    Chart,
    /// A linked or embedded OLE object.
    Ole,
    /// A form control or other shape, by its `ot` kind.
    Other(u16),
}

/// What one sheet hides.
#[derive(Debug, Default)]
pub(crate) struct SheetLayout {
    /// 0-based rows.
    pub hidden_rows: Vec<u32>,
    pub rows_hidden_by_default: bool,
    /// 0-based, inclusive.
    pub hidden_columns: Vec<(u32, u32)>,
    pub notes: Vec<Note>,
    pub text_boxes: Vec<String>,
    pub headers_footers: Vec<String>,
    pub objects: Vec<Object>,
}

/// An xls file opened for inspection.
pub(crate) struct Inspector<R> {
    cfb: Cfb<R>,
    globals: Globals,
    max_record: u64,
}

impl<R: Read + Seek> Inspector<R> {
    /// Opens the container and reads the workbook globals.
    ///
    /// # Errors
    /// A damaged container or globals, an encrypted or pre-BIFF8 workbook.
    pub fn open(reader: R, max_record: u64) -> Result<Self, XlsError> {
        let mut cfb = Cfb::open(reader)?;
        let (globals, _) = super::open_globals(&mut cfb, max_record)?;
        Ok(Inspector {
            cfb,
            globals,
            max_record,
        })
    }

    pub fn sheets(&self) -> &[Sheet] {
        &self.globals.sheets
    }

    pub fn links(&self) -> &[ExternalLink] {
        &self.globals.links
    }

    pub fn write_access(&self) -> Option<&str> {
        self.globals.write_access.as_deref()
    }

    /// Number format codes by XF index, for the XFs whose format the file declares.
    pub fn xf_format_codes(&self) -> HashMap<usize, String> {
        let g = &self.globals;
        g.xf_formats
            .iter()
            .enumerate()
            .filter_map(|(i, id)| Some((i, g.formats.get(id)?.clone())))
            .collect()
    }

    /// The names of the root storage's children, and whether each is a stream.
    pub fn members(&self) -> Vec<(String, bool)> {
        self.cfb
            .root_children()
            .into_iter()
            .map(|e| (e.name.clone(), e.is_stream))
            .collect()
    }

    /// The text document properties of both property set streams, and whether each
    /// stream present was read to its end.
    ///
    /// # Errors
    /// A property stream whose sectors cannot be read.
    pub fn properties(&mut self) -> Result<(Vec<Property>, bool), XlsError> {
        let mut all = Vec::new();
        let mut complete = true;
        for (name, document) in [(SUMMARY, false), (DOCUMENT_SUMMARY, true)] {
            let Some(entry) = self.cfb.find(name) else {
                continue;
            };
            let mut bytes = Vec::new();
            let cap = entry.size.min(self.max_record);
            self.cfb
                .open_stream(&entry)?
                .take(cap)
                .read_to_end(&mut bytes)
                .map_err(|e| XlsError::Io(e.to_string()))?;
            let (props, whole) = propset::read(&bytes, document);
            complete &= whole;
            all.extend(props);
        }
        Ok((all, complete))
    }

    /// Walks one sheet: each cell to `on_cell` (row, column, XF index, content), and
    /// what it hides returned.
    ///
    /// # Errors
    /// A damaged sheet substream.
    pub fn sheet(
        &mut self,
        index: usize,
        mut on_cell: impl FnMut(u32, u32, u16, CellContent<'_>),
    ) -> Result<SheetLayout, XlsError> {
        let offset = *self
            .globals
            .offsets
            .get(index)
            .ok_or_else(|| XlsError::Corrupt(format!("there is no sheet {index}")))?;
        let g = &self.globals;
        let mut stream = book::workbook_stream(&mut self.cfb)?;
        stream
            .seek_to(offset)
            .map_err(|e| XlsError::Io(e.to_string()))?;
        let mut records = Records::new(stream, offset, self.max_record);
        match records.next()? {
            Some(r) => book::check_bof(&r, 0x0010)?,
            None => return Err(XlsError::Corrupt("a sheet is missing".into())),
        }
        let mut parser = SheetParser::default();
        let mut layout = SheetLayout::default();
        let mut objects: HashMap<u16, String> = HashMap::new();
        let mut last_object: Option<(u16, u16)> = None;
        let mut notes: Vec<(u32, u32, u16, String)> = Vec::new();
        while let Some(r) = records.next()? {
            let item = parser.record(&r)?;
            match item {
                Item::End => break,
                Item::HiddenRow(row) => layout.hidden_rows.push(row),
                Item::HiddenColumns(a, b) => layout.hidden_columns.push((a, b)),
                Item::RowsHiddenByDefault => layout.rows_hidden_by_default = true,
                Item::HeaderFooter(text) if !text.is_empty() => layout.headers_footers.push(text),
                Item::Object { id, kind, ole } => {
                    last_object = Some((id, kind));
                    match (kind, ole) {
                        (_, true) => layout.objects.push(Object::Ole),
                        // Notes and text boxes: their text comes in a TXO.
                        (0x19 | 0x06, _) => {}
                        (0x08, _) => layout.objects.push(Object::Picture),
                        (0x05, _) => layout.objects.push(Object::Chart),
                        (k, _) => layout.objects.push(Object::Other(k)),
                    }
                }
                Item::ObjectText(text) => match last_object.take() {
                    Some((id, 0x19)) => {
                        objects.insert(id, text);
                    }
                    _ if !text.is_empty() => layout.text_boxes.push(text),
                    _ => {}
                },
                Item::Note {
                    row,
                    col,
                    obj,
                    author,
                } => notes.push((row, col, obj, author)),
                _ => {}
            }
            let cells = std::mem::take(&mut parser.block.cells);
            for cell in &cells {
                let content = match cell.raw {
                    Raw::Text => CellContent::Text(parser.block.text_of(cell)),
                    Raw::Shared(i) => match g.strings.get(i as usize) {
                        Some(s) => CellContent::Text(s),
                        None => CellContent::Other,
                    },
                    Raw::Number(n) => match g.xf_kinds.get(usize::from(cell.xf)) {
                        Some(super::Kind::Other) | None => CellContent::Number(n),
                        Some(_) => CellContent::Other,
                    },
                    Raw::Bool(_) | Raw::Error(_) => CellContent::Other,
                };
                on_cell(cell.row, cell.col, cell.xf, content);
            }
            parser.block.cells = cells;
            parser.block.clear();
            parser.boundary = false;
        }
        layout.notes = notes
            .into_iter()
            .map(|(row, col, obj, author)| Note {
                row,
                col,
                author,
                text: objects.remove(&obj).unwrap_or_default(),
            })
            .collect();
        // Note text whose NOTE record is missing is still text someone wrote.
        layout.text_boxes.extend(objects.into_values());
        Ok(layout)
    }
}
