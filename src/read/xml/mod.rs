//! XML, streamed with quick-xml: one row per record element.
//!
//! - **Records**: `record_path` (`/publications/publication`) names the repeating
//!   element from the root; without it, the root's children are the records. Row
//!   numbers are the record's 1-based ordinal; errors also give the line.
//! - **Fields** (`fields`): `title`, `author/name`, `@lang`, `title/@xml:lang`, relative
//!   to the record. A step's prefix is looked up in `namespaces` (`xml` is built in) and
//!   matches by namespace URI, whatever prefix the document uses; a step without a prefix
//!   matches the local name in any namespace. An element's value is its own text
//!   (children's text not included); a missing field is empty; a field found twice in one
//!   record is an error (a list cannot fit in one cell silently).
//! - **Predicates**: any element step of a field may end in one `[@attr='value']` (single
//!   or double quotes, no escapes) and then matches only elements carrying that attribute
//!   with exactly that value: `dc:title[@xml:lang='en']`, `link[@rel="self"]/@href`. The
//!   attribute's prefix resolves like an element's; an unprefixed attribute matches only
//!   an attribute without a namespace, so `[@lang='en']` does not match `xml:lang`. Two
//!   `dc:title`s told apart by `xml:lang` thus fill two columns, while plain `dc:title`
//!   is still found twice. `record_path` takes no predicates.
//! - **Automatic mode** (no `fields`): each record is flattened: leaf elements become
//!   columns named by their path (`author/name`), attributes `@id`, `title/@xml:lang`.
//!   The columns are those of the **first** record, so rows can stream; a later record
//!   with a column the first did not have is an error naming the record and line (list
//!   the columns in `fields` then). A repeated leaf is an error too.
//! - **Safety**: no DTD processing. A `<!DOCTYPE` with an internal subset is refused, and
//!   so is any entity other than XML's five and numeric character references, so
//!   billion-laughs fails at once in constant memory. Nothing is ever fetched.
//!   `max_xml_depth` bounds nesting; `max_cells` bounds the cells read; a document
//!   with over 100,000 distinct element paths that could hold records or fields is
//!   refused (a table has tens; a hostile file could make millions).
//!
//! - **Encoding**: UTF-8, or what the declaration names (`ISO-8859-1`, `windows-1252`),
//!   element and attribute names included. UTF-16 is refused (quick-xml parses bytes).
//!
//! # How it is fast
//! A second thread parses ([`records`]): it tracks namespaces itself ([`tree`]; quick-xml's
//! `NsReader` costs as much again as the parse), learns each distinct element path once,
//! and hands over rows as spans of one text buffer. It parses with quick-xml's borrowing
//! slice reader over [`windows`] of the file, which a third thread reads ahead. This
//! thread feeds the sink: a sink that takes text gets each row as one text, any other
//! gets values, each cell's string reused from row to row.
//! Lines are counted only when an error needs one, by reading the source again up to
//! the error. End tags are checked against the open elements here, not by quick-xml: a
//! window may close what an earlier one opened.

mod paths;
mod records;
mod tree;
mod windows;

use std::io::{Read, Seek};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread;

use super::{guard, InPlace, ReadError, ReadOptions, ReadSummary};
use crate::table::{Row, TableInfo, TableSink, TextRow, Value};

/// Batches in flight each way between the two threads.
const DEPTH: usize = 4;

/// Rows of cells as spans of one text buffer: no allocation per cell on either side.
#[derive(Default)]
struct Batch {
    /// The record number of the first row.
    first: u64,
    rows: usize,
    text: String,
    /// `rows × columns` spans; an empty span is an empty cell.
    spans: Vec<(usize, usize)>,
}

impl Batch {
    fn clear(&mut self) {
        self.rows = 0;
        self.text.clear();
        self.spans.clear();
    }
}

enum Msg {
    Begin(Vec<String>),
    Rows(Batch),
}

pub(crate) fn read<R: Read + Seek + Send>(
    file: &str,
    reader: R,
    options: &ReadOptions,
    sink: &mut dyn TableSink,
) -> Result<ReadSummary, ReadError> {
    read_in(file, Doc::Stream(reader), options, sink, windows::WINDOW)
}

/// [`read`] over a document held whole (a mapped file), parsed where it lies.
pub(crate) fn read_in_place(
    file: &str,
    doc: &dyn InPlace,
    options: &ReadOptions,
    sink: &mut dyn TableSink,
) -> Result<ReadSummary, ReadError> {
    super::guarded(file, || {
        read_in(
            file,
            Doc::<std::io::Empty>::InPlace(doc),
            options,
            sink,
            windows::WINDOW,
        )
    })
}

/// How the document comes.
enum Doc<'a, R> {
    Stream(R),
    InPlace(&'a dyn InPlace),
}

/// [`read`], the document taken `window` bytes at a time (tests cut it everywhere).
fn read_in<R: Read + Seek + Send>(
    file: &str,
    mut doc: Doc<'_, R>,
    options: &ReadOptions,
    sink: &mut dyn TableSink,
    window: usize,
) -> Result<ReadSummary, ReadError> {
    match &mut doc {
        Doc::Stream(reader) => guard::check_input_size(file, reader, &options.limits)?,
        Doc::InPlace(d) => guard::check_len(file, d.bytes().len() as u64, &options.limits)?,
    };
    let plan = paths::Plan::new(options).map_err(|detail| ReadError::Options {
        file: file.into(),
        detail,
    })?;
    let mut namespaces = tree::Namespaces::default();
    let tree = tree::Tree::new(&plan, &mut namespaces);
    // Parsing runs on a second thread; this one builds values and feeds the sink, so
    // on two cores the halves overlap (as the xlsx reader's do).
    let (tx, rx) = sync_channel(DEPTH);
    let (back_tx, back_rx) = sync_channel(DEPTH + 2);
    let (consumed, produced) = thread::scope(|scope| {
        let producer = scope.spawn(move || {
            let parser = records::Parser {
                file,
                options,
                tree,
                namespaces,
                out: tx,
                recycle: back_rx,
                window,
            };
            match doc {
                Doc::Stream(reader) => parser.stream(reader),
                Doc::InPlace(d) => parser.in_place(d),
            }
        });
        let consumed = consume(file, rx, &back_tx, sink);
        let produced = producer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (consumed, produced)
    });
    consumed?;
    let Some((rows, columns)) = produced? else {
        return Err(ReadError::corrupt(
            file,
            String::from("the parser stopped before the end of the document"),
        ));
    };
    sink.end().map_err(ReadError::Sink)?;
    Ok(ReadSummary {
        rows,
        columns,
        sheet: None,
    })
}

/// Feeds the sink from the parser's batches until the parser is done; on a sink error
/// it returns at once, which drops `rx` and so stops the parser.
fn consume(
    file: &str,
    rx: Receiver<Msg>,
    recycle: &SyncSender<Batch>,
    sink: &mut dyn TableSink,
) -> Result<(), ReadError> {
    // A sink that takes text gets each row as one text; any other gets values, each
    // cell's string reused from row to row.
    let takes_text = sink.takes_text();
    let mut row: Vec<Value> = Vec::new();
    let mut spare: Vec<String> = Vec::new();
    let mut ends: Vec<usize> = Vec::new();
    let mut in_order = String::new();
    for msg in rx {
        match msg {
            Msg::Begin(headers) => {
                row = vec![Value::Empty; headers.len()];
                spare = vec![String::new(); headers.len()];
                ends = vec![0; headers.len()];
                let info = TableInfo {
                    source: file.into(),
                    sheet: None,
                    headers,
                    header_row: 0,
                    first_column: 0,
                };
                sink.begin(&info).map_err(ReadError::Sink)?;
            }
            Msg::Rows(batch) => {
                let width = row.len();
                for r in 0..batch.rows {
                    let spans = &batch.spans[r * width..(r + 1) * width];
                    let number = batch.first + r as u64;
                    if takes_text {
                        let text = row_text(&batch.text, spans, &mut ends, &mut in_order);
                        (sink.text_row(TextRow {
                            number,
                            cells: None,
                            text,
                            ends: &ends,
                        }))
                        .map_err(ReadError::Sink)?;
                        continue;
                    }
                    for ((cell, spare), &(a, b)) in row.iter_mut().zip(&mut spare).zip(spans) {
                        if let Value::Text(old) = std::mem::replace(cell, Value::Empty) {
                            *spare = old;
                        }
                        if a < b {
                            let mut s = std::mem::take(spare);
                            s.clear();
                            s.push_str(&batch.text[a..b]);
                            *cell = Value::Text(s);
                        }
                    }
                    (sink.row(Row {
                        number,
                        cells: &row,
                    }))
                    .map_err(ReadError::Sink)?;
                }
                // Full or gone, the parser allocates instead: no harm.
                let _ = recycle.try_send(batch);
            }
        }
    }
    Ok(())
}

/// A row's cells (`spans` of `text`) as one text and the ends of its pieces: a slice of
/// `text` when the cells lie there in column order, one after the other (as a record's
/// leaves usually do), or else copied in that order into `in_order`.
fn row_text<'a>(
    text: &'a str,
    spans: &[(usize, usize)],
    ends: &mut [usize],
    in_order: &'a mut String,
) -> &'a str {
    let start = spans.iter().find(|(a, b)| a < b).map_or(0, |s| s.0);
    let (mut at, mut contiguous) = (start, true);
    for (end, &(a, b)) in ends.iter_mut().zip(spans) {
        if a < b {
            contiguous &= a == at;
            at = b;
        }
        // Out of order, `at` may fall behind `start`; these ends are then made again.
        *end = at.wrapping_sub(start);
    }
    if contiguous {
        return &text[start..at];
    }
    in_order.clear();
    for (end, &(a, b)) in ends.iter_mut().zip(spans) {
        in_order.push_str(&text[a..b]);
        *end = in_order.len();
    }
    in_order
}

/// What a reference stands for: a character reference, or one of XML's five predefined
/// entities. Any other entity is refused: nothing is ever expanded.
pub(crate) fn resolve_ref(r: &quick_xml::events::BytesRef<'_>) -> Result<char, String> {
    // The five entities first: they are what documents use, and cheap to match.
    if let Some(c) = predefined(r) {
        return Ok(c);
    }
    match r.resolve_char_ref() {
        Ok(Some(c)) => Ok(c),
        Ok(None) => {
            let name = String::from_utf8_lossy(r);
            Err(format!("the entity &{name}; is not allowed (only &amp; &lt; &gt; &apos; &quot; and numeric references are; entities are never expanded)"))
        }
        Err(e) => Err(format!("bad character reference: {e}")),
    }
}

fn predefined(name: &[u8]) -> Option<char> {
    Some(match name {
        b"amp" => '&',
        b"lt" => '<',
        b"gt" => '>',
        b"apos" => '\'',
        b"quot" => '"',
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
