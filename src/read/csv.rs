//! CSV, streamed: encoding and delimiter detected, every cell text.
//!
//! - **Encoding**: a UTF-8 BOM means UTF-8 (the BOM is dropped); otherwise the first
//!   64 KiB decide: valid UTF-8 → UTF-8, else Windows-1252. Text is decoded to UTF-8 as
//!   it streams; invalid UTF-8 later in a UTF-8 file is an error naming the row.
//! - **Delimiter**: comma, semicolon or tab, whichever occurs (outside quotes) the same
//!   number of times on each of the first lines, most often; comma if none does.
//! - **Header** is the first record; a short row is padded with empty cells; extra
//!   non-empty cells past the header are an error naming the row.
//! - **Values** are `Text` exactly as written (not trimmed, not typed: typing is the
//!   validator's job); an empty cell is `Empty`.
//! - **Row numbers** are record numbers (header = 1); a quoted value with line breaks
//!   spans several lines but counts as one row.

use std::io::{self, Read, Seek};

use encoding_rs::{Decoder, Encoding, UTF_8, WINDOWS_1252};

use super::shape::unique_names;
use super::{guard, ReadError, ReadOptions, ReadSummary};
use crate::table::{column_letter, TableInfo, TableSink, TextRow, Value};

const SNIFF_BYTES: usize = 64 * 1024;
const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

pub(crate) fn read<R: Read + Seek>(
    file: &str,
    mut reader: R,
    options: &ReadOptions,
    sink: &mut dyn TableSink,
) -> Result<ReadSummary, ReadError> {
    guard::check_input_size(file, &mut reader, &options.limits)?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut reader)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| ReadError::io(file, e))?;
    let (encoding, bom) = detect_encoding(&head);
    let text_head = encoding.decode_without_bom_handling(&head[bom..]).0;
    let delimiter = detect_delimiter(&text_head);
    // UTF-8 needs no decoding: every record is checked as UTF-8 anyway (`record_text`),
    // so the bytes go straight in, without a decoder's extra copy and second check (a
    // tenth of a 1M-row validation).
    let input: Box<dyn Read + '_> = if encoding == UTF_8 {
        let mut head = io::Cursor::new(head);
        head.set_position(bom as u64);
        Box::new(head.chain(reader))
    } else {
        Box::new(DecodeReader::new(
            io::Cursor::new(head).chain(reader),
            encoding,
            bom,
        ))
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(64 * 1024)
        .from_reader(input);

    let mut record = csv::ByteRecord::new();
    let mut info = TableInfo {
        source: file.into(),
        header_row: 1,
        ..TableInfo::default()
    };
    let mut number = 0u64;
    let csv_err = |row: u64, e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(e) if e.kind() == io::ErrorKind::InvalidData => ReadError::Csv {
            file: file.into(),
            row,
            detail: format!("{e}; save the file as UTF-8"),
        },
        csv::ErrorKind::Io(e) => ReadError::io(file, e),
        other => ReadError::Csv {
            file: file.into(),
            row,
            detail: format!("{other:?}"),
        },
    };
    let not_utf8 = |row: u64| ReadError::Csv {
        file: file.into(),
        row,
        detail: "the text is not valid UTF-8; save the file as UTF-8".into(),
    };
    if !csv
        .read_byte_record(&mut record)
        .map_err(|e| csv_err(1, e))?
    {
        sink.begin(&info).map_err(ReadError::Sink)?;
        sink.end().map_err(ReadError::Sink)?;
        return Ok(ReadSummary::default());
    }
    number += 1;
    let text = record_text(&record).ok_or_else(|| not_utf8(1))?;
    info.headers = unique_names((0..record.len()).map(|i| {
        let h = field(text, &record, i).trim();
        if h.is_empty() {
            format!("column_{}", column_letter(i))
        } else {
            h.to_string()
        }
    }));
    let width = info.headers.len();
    sink.begin(&info).map_err(ReadError::Sink)?;
    let mut cells = vec![Value::Empty; width];
    let mut ends = vec![0; width];
    // A sink that takes text (a CSV output) needs no values: the text and its ends are
    // the row.
    let takes_text = sink.takes_text();
    let mut cell_count = width as u64;
    while csv
        .read_byte_record(&mut record)
        .map_err(|e| csv_err(number + 1, e))?
    {
        number += 1;
        let text = record_text(&record).ok_or_else(|| not_utf8(number))?;
        cell_count += width as u64;
        if cell_count > options.limits.max_cells {
            return Err(ReadError::Limit {
                file: file.into(),
                limit: "max_cells",
                what: format!("the file has over {cell_count} cells"),
                value: cell_count,
                max: options.limits.max_cells,
            });
        }
        if options.ragged_rows {
            // The row's own width; the validator reports what is missing or extra.
            let n = record.len();
            cells.resize(n, Value::Empty);
            ends.resize(n, 0);
        } else if let Some(i) = (width..record.len()).find(|&i| !record[i].is_empty()) {
            return Err(ReadError::Csv {
                file: file.into(),
                row: number,
                detail: format!("column {} has a value but the header has only {width} columns; quote values that contain the delimiter, or add a header", column_letter(i)),
            });
        }
        // The row's cells are reused from row to row: a text cell keeps its buffer.
        let mut end = 0;
        for (i, cell) in cells.iter_mut().enumerate() {
            // Fields lie end to end in the record's text; a missing one is empty. As in
            // `field`, the range lies on character boundaries (`record_text`).
            let range = record.range(i).unwrap_or(end..end);
            end = range.end;
            ends[i] = end;
            if takes_text {
                continue;
            }
            let v = &text[range];
            match &mut *cell {
                _ if v.is_empty() => *cell = Value::Empty,
                Value::Text(text) => {
                    text.clear();
                    text.push_str(v);
                }
                _ => *cell = Value::Text(v.to_string()),
            }
        }
        sink.text_row(TextRow {
            number,
            cells: (!takes_text).then_some(&cells[..]),
            text,
            ends: &ends,
        })
        .map_err(ReadError::Sink)?;
    }
    sink.end().map_err(ReadError::Sink)?;
    Ok(ReadSummary {
        rows: number - 1,
        columns: width,
        sheet: None,
    })
}

/// The record's bytes as text, once every field is known to be UTF-8.
///
/// One check of the whole record, then one of each field's ends, instead of a check per
/// field (a sixth of the parsing time on an accented 1M-row CSV). It is the same test:
/// valid UTF-8 cut only between characters gives valid UTF-8 pieces, and a field that
/// starts or ends inside a character (an accent split by a delimiter) is refused.
fn record_text(record: &csv::ByteRecord) -> Option<&str> {
    let text = std::str::from_utf8(record.as_slice()).ok()?;
    (0..record.len())
        .all(|i| {
            record
                .range(i)
                .is_some_and(|r| text.is_char_boundary(r.start) && text.is_char_boundary(r.end))
        })
        .then_some(text)
}

/// Field `i` (which exists) of a record checked by [`record_text`].
fn field<'a>(text: &'a str, record: &csv::ByteRecord, i: usize) -> &'a str {
    // safety: `record_text` checked every field's range lies on character boundaries of
    // `text`; callers pass `i < record.len()`, so neither the range nor the slice can fail.
    record.range(i).map_or("", |r| &text[r])
}

/// The encoding and the BOM's length.
fn detect_encoding(head: &[u8]) -> (&'static Encoding, usize) {
    if head.starts_with(b"\xEF\xBB\xBF") {
        return (UTF_8, 3);
    }
    match std::str::from_utf8(head) {
        Ok(_) => (UTF_8, 0),
        // The head may end inside a multi-byte character: that is still UTF-8.
        Err(e) if e.error_len().is_none() => (UTF_8, 0),
        Err(_) => (WINDOWS_1252, 0),
    }
}

/// Counts each candidate outside quotes on each complete line of `text` (up to 20).
fn detect_delimiter(text: &str) -> u8 {
    let mut lines: Vec<[usize; 3]> = Vec::new();
    let mut counts = [0usize; 3];
    let mut in_quotes = false;
    for b in text.bytes() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => {
                lines.push(counts);
                counts = [0; 3];
                if lines.len() == 20 {
                    break;
                }
            }
            _ if !in_quotes => {
                if let Some(i) = DELIMITERS.iter().position(|d| *d == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    if lines.is_empty() {
        lines.push(counts);
    }
    let consistent = |i: usize| lines[0][i] > 0 && lines.iter().all(|l| l[i] == lines[0][i]);
    let best = |pred: &dyn Fn(usize) -> bool| {
        (0..3)
            .filter(|i| pred(*i))
            .max_by_key(|i| (lines[0][*i], std::cmp::Reverse(*i)))
    };
    best(&consistent)
        .or_else(|| best(&|i| lines[0][i] > 0))
        .map_or(b',', |i| DELIMITERS[i])
}

/// Decodes a byte stream to UTF-8 as it is read, with encoding_rs's streaming decoder.
/// `read` uses it for Windows-1252; it also checks UTF-8 strictly, if given UTF-8.
struct DecodeReader<R> {
    inner: R,
    decoder: Decoder,
    strict: bool,
    raw: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    eof: bool,
    skip: usize,
}

impl<R: Read> DecodeReader<R> {
    fn new(inner: R, encoding: &'static Encoding, skip: usize) -> Self {
        DecodeReader {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            strict: encoding == UTF_8,
            raw: vec![0; 16 * 1024],
            out: Vec::with_capacity(48 * 1024),
            pos: 0,
            eof: false,
            skip,
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        let n = self.inner.read(&mut self.raw)?;
        let mut input = &self.raw[..n];
        if self.skip > 0 {
            let k = self.skip.min(input.len());
            input = &input[k..];
            self.skip -= k;
        }
        let last = n == 0;
        self.eof = last;
        self.out.clear();
        self.pos = 0;
        let need = self
            .decoder
            .max_utf8_buffer_length(input.len())
            .unwrap_or(input.len() * 3 + 16);
        self.out.resize(need, 0);
        let written = if self.strict {
            let (res, _, w) =
                self.decoder
                    .decode_to_utf8_without_replacement(input, &mut self.out, last);
            if let encoding_rs::DecoderResult::Malformed(..) = res {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the text is not valid UTF-8",
                ));
            }
            w
        } else {
            let (_, _, w, _) = self.decoder.decode_to_utf8(input, &mut self.out, last);
            w
        };
        self.out.truncate(written);
        Ok(())
    }
}

impl<R: Read> Read for DecodeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.out.len() {
            if self.eof {
                return Ok(0);
            }
            self.fill()?;
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Collect;

    fn read_bytes(bytes: &[u8]) -> Result<Collect, ReadError> {
        let mut sink = Collect::default();
        read(
            "t.csv",
            io::Cursor::new(bytes.to_vec()),
            &ReadOptions::default(),
            &mut sink,
        )?;
        Ok(sink)
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn delimiters_are_detected_outside_quotes() {
        for (input, want) in [
            ("a,b,c\n1,2,3\n", b','),
            ("a;b;c\n\"1,5\";2;3\n", b';'),
            ("a\tb\n1\t2\n", b'\t'),
            ("\"x,y,z\";b\n1;2\n", b';'),
            ("single\n1\n", b','),
        ] {
            assert_eq!(detect_delimiter(input) as char, want as char, "{input:?}");
        }
    }

    #[test]
    fn utf8_with_bom_keeps_text_intact() {
        let t =
            read_bytes("\u{feff}id,name\n007,\" Zoë \"\"the\"\" one, \nline2\"\n8,\n".as_bytes())
                .expect("valid csv");
        assert_eq!(t.info.headers, ["id", "name"]);
        assert_eq!(
            t.rows[0],
            (2, vec![text("007"), text(" Zoë \"the\" one, \nline2")])
        );
        assert_eq!(t.rows[1], (3, vec![text("8"), Value::Empty]));
    }

    #[test]
    fn windows_1252_with_semicolons_is_decoded() {
        let t = read_bytes(b"nom;ville\nJos\xe9;Qu\xe9bec\n").expect("valid csv");
        assert_eq!(t.info.headers, ["nom", "ville"]);
        assert_eq!(t.rows[0].1, [text("José"), text("Québec")]);
    }

    #[test]
    fn bad_rows_are_errors_naming_the_row() {
        for (input, row) in [
            (&b"a,b\n1,2,3\n"[..], 2),
            (b"a,b\n1,2\n1,2,,\n\"x\n\"y,2,3\n", 4),
        ] {
            match read_bytes(input) {
                Err(ReadError::Csv { row: r, .. }) => assert_eq!(r, row, "{input:?}"),
                other => panic!("{input:?}: {other:?}"),
            }
        }
    }

    /// A CSV whose sniffed head is valid UTF-8, then `last` as its last line; and the
    /// number of that line.
    fn utf8_head_then(last: &[u8]) -> (Vec<u8>, u64) {
        let mut bytes = b"a,b\n".to_vec();
        while bytes.len() < SNIFF_BYTES + 10 {
            bytes.extend_from_slice(b"\xc3\xa9,x\n");
        }
        bytes.extend_from_slice(last);
        let rows = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        (bytes, rows)
    }

    #[test]
    fn a_character_split_by_a_delimiter_is_not_utf8() {
        // After the sniffed head, so the file is read as UTF-8: `\xc3,\xa9` is "é" with a
        // comma inside it. The record's bytes without the comma are valid UTF-8; the
        // fields are not.
        let (bytes, rows) = utf8_head_then(b"\xc3,\xa9\n");
        match read_bytes(&bytes) {
            Err(ReadError::Csv { row, .. }) => assert_eq!(row, rows),
            other => panic!("{:?}", other.map(|t| t.rows.len())),
        }
        // Whole characters either side of a delimiter are fine.
        let t = read_bytes("a,b\né,è\n".as_bytes()).expect("valid csv");
        assert_eq!(t.rows[0].1, [text("é"), text("è")]);
    }

    #[test]
    fn invalid_utf8_after_the_head_is_an_error() {
        let (bytes, rows) = utf8_head_then(b"\xff,x\n");
        match read_bytes(&bytes) {
            Err(ReadError::Csv { row, .. }) => assert_eq!(row, rows, "the row with the bad byte"),
            other => panic!("{:?}", other.map(|t| t.rows.len())),
        }
    }
}
