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

use encoding_rs::{Decoder, Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

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
    let (bom_encoding, bom) = detect_bom(&head);
    let text_head = match bom_encoding {
        Some(e) => e.decode_without_bom_handling(&head[bom..]).0,
        None => String::from_utf8_lossy(&head),
    };
    let delimiter = detect_delimiter(&text_head);
    // UTF-8 (and Windows-1252, decoded record by record) needs no decoding stream: the
    // bytes go straight in, without a decoder's extra copy and second check (a tenth
    // of a 1M-row validation). UTF-16 is decoded as it streams.
    let bytes: Box<dyn Read + '_> = match bom_encoding {
        Some(e) if e != UTF_8 => Box::new(DecodeReader::new(
            io::Cursor::new(head).chain(reader),
            e,
            bom,
        )),
        _ => {
            let mut head = io::Cursor::new(head);
            head.set_position(bom as u64);
            Box::new(head.chain(reader))
        }
    };
    // The end marker tells a file that ends inside a quoted value (csv ends the
    // record there without a word) from one that ends properly: see `END`.
    let input = bytes.chain(io::Cursor::new(END_MARK));
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
    let mut text = TextOf {
        file,
        encoding: match bom_encoding {
            Some(_) => Seen::Declared,
            None => Seen::Ascii,
        },
        decoded: String::new(),
        ends: Vec::new(),
        max_cell_chars: options.limits.max_cell_chars,
    };
    let more = csv
        .read_byte_record(&mut record)
        .map_err(|e| csv_err(1, e))?;
    if !more || text.at_end(&record)? {
        sink.begin(&info).map_err(ReadError::Sink)?;
        sink.end().map_err(ReadError::Sink)?;
        return Ok(ReadSummary::default());
    }
    number += 1;
    let (header_text, header_ends) = text.of(&record)?;
    let mut start = 0;
    info.headers = unique_names(header_ends.iter().enumerate().map(|(i, &end)| {
        let h = header_text[start..end].trim();
        start = end;
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
        if text.at_end(&record)? {
            break;
        }
        number += 1;
        let (row_text, field_ends) = text.of(&record)?;
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
            // Fields lie end to end in the record's text; a missing one is empty. The
            // ends lie on character boundaries (`TextOf::of`).
            let start = end;
            end = field_ends.get(i).copied().unwrap_or(end);
            ends[i] = end;
            if takes_text {
                continue;
            }
            let v = &row_text[start..end];
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
            text: row_text,
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

/// Appended to every input. It holds NUL bytes, which a CSV may not hold (they are
/// refused), so it cannot be the file's own text. Read outside quotes, it is a record
/// of its own: the true end. Read inside a quoted value, it ends that value: the file
/// ended before the quote was closed.
const END: &[u8] = b"\0ogpipe:end\0";
const END_MARK: &[u8] = b"\n\0ogpipe:end\0";

/// What the records read so far say of the encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// A byte-order mark said which; its text was checked as it was decoded (UTF-16)
    /// or is checked record by record (UTF-8).
    Declared,
    /// Only ASCII so far: UTF-8 and Windows-1252 read it alike.
    Ascii,
    /// UTF-8, first beyond ASCII on this line.
    Utf8(u64),
    /// Windows-1252, first on this line (text that is not UTF-8 anywhere).
    Windows1252(u64),
}

/// Windows-1252 leaves these bytes undefined: a file holding one is not Windows-1252
/// (encoding_rs would make them C1 control characters).
const UNDEFINED_1252: [u8; 5] = [0x81, 0x8D, 0x8F, 0x90, 0x9D];

/// Turns each record into text, deciding the encoding on the whole file as it streams:
/// UTF-8 throughout, or Windows-1252 throughout (no byte of the file is UTF-8 beyond
/// ASCII), never a mix. Records that are all ASCII read alike either way, so the
/// decision can wait for the first record that is not.
struct TextOf<'f> {
    file: &'f str,
    encoding: Seen,
    /// A Windows-1252 record decoded, and its fields' ends in it.
    decoded: String,
    ends: Vec<usize>,
    max_cell_chars: u64,
}

impl TextOf<'_> {
    fn refuse(&self, line: u64, detail: String) -> ReadError {
        ReadError::CsvLine {
            file: self.file.into(),
            line,
            detail,
        }
    }

    /// The line (1-based) where byte `at` of the record's fields lies.
    fn line_at(record: &csv::ByteRecord, at: usize) -> u64 {
        let start = record.position().map_or(1, csv::Position::line);
        start + memchr::memchr_iter(b'\n', &record.as_slice()[..at]).count() as u64
    }

    /// Whether `record` is the end marker; an error when the file ended inside quotes.
    fn at_end(&self, record: &csv::ByteRecord) -> Result<bool, ReadError> {
        let bytes = record.as_slice();
        if !bytes.ends_with(END) {
            return Ok(false);
        }
        if record.len() == 1 && bytes.len() == END.len() {
            return Ok(true);
        }
        // The unclosed value is the record's last field; it opened where that field
        // starts.
        let last = record.range(record.len() - 1).map_or(0, |r| r.start);
        Err(self.refuse(
            Self::line_at(record, last),
            "a quoted value starts here and is never closed, so the rest of the file would be read into it; close the quote (a quote inside a value is written twice: \"\")".into(),
        ))
    }

    /// The record's text and its fields' ends.
    fn of<'r>(
        &'r mut self,
        record: &'r csv::ByteRecord,
    ) -> Result<(&'r str, &'r [usize]), ReadError> {
        let bytes = record.as_slice();
        if let Some(at) = memchr::memchr(0, bytes) {
            return Err(self.refuse(
                Self::line_at(record, at),
                "the text holds a NUL byte, which no text file holds; if the file is UTF-16, save it with a byte-order mark or as UTF-8".into(),
            ));
        }
        let (text, ends) = match (record_text(record), self.encoding) {
            (Some(text), Seen::Windows1252(since)) if !text.is_ascii() => {
                let at = text.bytes().position(|b| !b.is_ascii()).unwrap_or(0);
                return Err(self.mixed(Self::line_at(record, at), since));
            }
            (Some(text), seen) => {
                if seen == Seen::Ascii && !text.is_ascii() {
                    let at = text.bytes().position(|b| !b.is_ascii()).unwrap_or(0);
                    self.encoding = Seen::Utf8(Self::line_at(record, at));
                }
                self.ends.clear();
                self.ends
                    .extend((0..record.len()).map(|i| record.range(i).map_or(0, |r| r.end)));
                (text, &self.ends[..])
            }
            (None, seen) => {
                // The first byte that is not UTF-8.
                let at = bytes.utf8_chunks().next().map_or(0, |c| c.valid().len());
                let line = Self::line_at(record, at);
                match seen {
                    Seen::Declared => {
                        return Err(self.refuse(line, "the text is not valid UTF-8, though the file starts with a UTF-8 byte-order mark; save the file as UTF-8".into()))
                    }
                    Seen::Utf8(since) => return Err(self.mixed(line, since)),
                    Seen::Ascii => self.encoding = Seen::Windows1252(line),
                    Seen::Windows1252(_) => {}
                }
                let Seen::Windows1252(since) = self.encoding else {
                    unreachable!("set just above")
                };
                self.windows_1252(record, since)?;
                (self.decoded.as_str(), &self.ends[..])
            }
        };
        let mut start = 0;
        for &end in ends {
            let field = &text[start..end];
            if field.len() as u64 > self.max_cell_chars {
                let chars = field.chars().count() as u64;
                if chars > self.max_cell_chars {
                    return Err(ReadError::Limit {
                        file: self.file.into(),
                        limit: "max_cell_chars",
                        what: format!(
                            "the value that starts on line {} holds {chars} characters",
                            record.position().map_or(1, csv::Position::line)
                        ),
                        value: chars,
                        max: self.max_cell_chars,
                    });
                }
            }
            start = end;
        }
        Ok((text, ends))
    }

    fn mixed(&self, line: u64, other: u64) -> ReadError {
        let (utf8, cp) = match self.encoding {
            Seen::Utf8(u) => (u, line),
            _ => (line, other),
        };
        self.refuse(
            line,
            format!("the file mixes encodings: line {utf8} is UTF-8 but line {cp} is not (it reads as Windows-1252); save the whole file as UTF-8"),
        )
    }

    /// Decodes a record as Windows-1252 into `decoded` and `ends`, refusing a byte
    /// Windows-1252 leaves undefined and any UTF-8 beyond ASCII (a mixed file).
    fn windows_1252(&mut self, record: &csv::ByteRecord, since: u64) -> Result<(), ReadError> {
        let bytes = record.as_slice();
        if let Some(at) = bytes.iter().position(|b| UNDEFINED_1252.contains(b)) {
            return Err(self.refuse(
                Self::line_at(record, at),
                format!("byte 0x{:02X} is not text in UTF-8 nor in Windows-1252; save the file as UTF-8", bytes[at]),
            ));
        }
        let mut at = 0;
        for chunk in bytes.utf8_chunks() {
            if let Some(k) = chunk.valid().bytes().position(|b| !b.is_ascii()) {
                return Err(self.mixed(Self::line_at(record, at + k), since));
            }
            at += chunk.valid().len() + chunk.invalid().len();
        }
        self.decoded.clear();
        self.ends.clear();
        for field in record.iter() {
            self.decoded
                .push_str(&WINDOWS_1252.decode_without_bom_handling(field).0);
            self.ends.push(self.decoded.len());
        }
        Ok(())
    }
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

/// The encoding a byte-order mark declares, and the mark's length.
fn detect_bom(head: &[u8]) -> (Option<&'static Encoding>, usize) {
    if head.starts_with(b"\xEF\xBB\xBF") {
        (Some(UTF_8), 3)
    } else if head.starts_with(b"\xFF\xFE") {
        (Some(UTF_16LE), 2)
    } else if head.starts_with(b"\xFE\xFF") {
        (Some(UTF_16BE), 2)
    } else {
        (None, 0)
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

/// Decodes a byte stream to UTF-8 as it is read, with encoding_rs's streaming decoder,
/// strictly: a malformed sequence (a lone UTF-16 surrogate) is an error. `read` uses
/// it for UTF-16 with a byte-order mark (Excel's "Unicode Text").
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
            strict: true,
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
                    format!("the text is not valid {}", self.decoder.encoding().name()),
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
            Err(ReadError::CsvLine { line, .. }) => assert_eq!(line, rows),
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
            Err(e @ ReadError::CsvLine { .. }) => {
                assert!(
                    matches!(e, ReadError::CsvLine { line, .. } if line == rows),
                    "{e}"
                );
                assert!(
                    e.to_string().contains("mixes encodings: line 2 is UTF-8"),
                    "{e}"
                );
            }
            other => panic!("{:?}", other.map(|t| t.rows.len())),
        }
    }

    fn refused_at(bytes: &[u8]) -> (u64, String) {
        match read_bytes(bytes) {
            Err(e @ ReadError::CsvLine { .. }) => {
                let ReadError::CsvLine { line, .. } = e else {
                    unreachable!()
                };
                (line, e.to_string())
            }
            other => panic!(
                "{:?}: {:?}",
                String::from_utf8_lossy(bytes),
                other.map(|t| t.rows)
            ),
        }
    }

    #[test]
    fn an_unterminated_quote_is_refused_at_the_line_it_opened() {
        let (line, msg) = refused_at(b"id,name\n1,ok\n2,\"never closed\n3,x\n4,y\n");
        assert_eq!(line, 3, "{msg}");
        assert!(msg.contains("never closed"), "{msg}");
        // After a multi-line value in the same record, the line is still the quote's.
        let (line, _) = refused_at(b"a,b,c\n\"x\ny\",2,\"open\n");
        assert_eq!(line, 3);
        let (line, _) = refused_at(b"\"a,b\n1,2\n");
        assert_eq!(line, 1, "in the header");
        // Closed quotes, a stray quote inside an unquoted value and no final newline
        // are all fine.
        let t = read_bytes(b"a,b\n\"x\ny\",5\"\n3,4").expect("valid csv");
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].1, [text("x\ny"), text("5\"")]);
        assert_eq!(t.rows[1].1, [text("3"), text("4")]);
        assert!(read_bytes(b"").expect("empty").rows.is_empty());
    }

    #[test]
    fn encodings_are_decided_on_the_whole_file() {
        // Windows-1252 after an ASCII head (past the sniffed 64 KiB) is still read.
        let mut late = b"nom;ville\n".to_vec();
        while late.len() < SNIFF_BYTES + 10 {
            late.extend_from_slice(b"a;b\n");
        }
        late.extend_from_slice(b"Jos\xe9;Qu\xe9bec\n");
        let t = read_bytes(&late).expect("Windows-1252 throughout");
        assert_eq!(
            t.rows.last().map(|r| r.1.clone()),
            Some(vec![text("José"), text("Québec")])
        );
        // UTF-8 with one Windows-1252 byte near the start is refused, naming both lines.
        let (line, msg) = refused_at(b"ville\nQu\xe9bec\nMontr\xc3\xa9al\n");
        assert_eq!(line, 3, "{msg}");
        assert!(msg.contains("line 3 is UTF-8 but line 2 is not"), "{msg}");
        // A byte Windows-1252 leaves undefined is refused, not made a C1 control.
        let (line, msg) = refused_at(b"a\nx\ny\x81z\n");
        assert_eq!(line, 3);
        assert!(msg.contains("0x81"), "{msg}");
        // UTF-16 with a byte-order mark, little and big endian.
        let utf16 = |big: bool| {
            let mut b = if big {
                vec![0xFE, 0xFF]
            } else {
                vec![0xFF, 0xFE]
            };
            for u in "nom\tville\r\nZoë\tMontréal\r\n".encode_utf16() {
                b.extend_from_slice(&if big {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                });
            }
            b
        };
        for big in [false, true] {
            let t = read_bytes(&utf16(big)).expect("UTF-16 with a BOM");
            assert_eq!(t.info.headers, ["nom", "ville"]);
            assert_eq!(t.rows[0].1, [text("Zoë"), text("Montréal")]);
        }
    }

    #[test]
    fn nul_bytes_are_refused_with_their_line() {
        let (line, msg) = refused_at(b"a,b\n1,2\n3,\x004\n");
        assert_eq!(line, 3);
        assert!(msg.contains("NUL"), "{msg}");
        // UTF-16 with no byte-order mark is full of NULs: refused on its first line.
        let no_bom: Vec<u8> = "a,b\n1,2\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(refused_at(&no_bom).0, 1);
    }

    #[test]
    fn a_field_over_max_cell_chars_is_refused() {
        let mut bytes = b"a,b\n1,2\n3,\"".to_vec();
        bytes.extend(std::iter::repeat_n(b"x,y,", 10_000).flatten());
        bytes.extend_from_slice(b"\"\n");
        match read_bytes(&bytes) {
            Err(
                e @ ReadError::Limit {
                    limit: "max_cell_chars",
                    ..
                },
            ) => {
                assert!(
                    e.to_string().contains("line 3 holds 40000 characters"),
                    "{e}"
                )
            }
            other => panic!("{:?}", other.map(|t| t.rows.len())),
        }
    }
}
