//! RFC 4180 CSV: UTF-8, CRLF line ends, one header row, fields quoted only when they
//! must be, so the same table always gives the same bytes.

use std::io::{self, Write};

use crate::screen::FormulaPolicy;
use crate::table::{DecimalStyle, Row, TableInfo, TableSink, TextRow, Value};

/// A CSV cell that was changed so a spreadsheet will not run it as a formula.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Neutralised {
    pub row: u64,
    pub column: String,
}

/// Writes a table as CSV.
pub struct CsvSink<W: Write> {
    writer: csv::Writer<W>,
    decimals: DecimalStyle,
    formula: FormulaPolicy,
    info: TableInfo,
    /// One cell's text for cells that are not text already, reused for every cell.
    scratch: String,
    /// Every neutralised cell is counted; the first 100 are kept for the report.
    pub neutralised: Vec<Neutralised>,
    pub neutralised_count: u64,
}

impl<W: Write> CsvSink<W> {
    /// # Errors
    /// Writing the byte-order mark failed.
    pub fn new(
        mut out: W,
        decimals: DecimalStyle,
        formula: FormulaPolicy,
        bom: bool,
    ) -> io::Result<Self> {
        if bom {
            out.write_all("\u{feff}".as_bytes())?;
        }
        let writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(out);
        Ok(CsvSink {
            writer,
            decimals,
            formula,
            info: TableInfo::default(),
            scratch: String::new(),
            neutralised: Vec::new(),
            neutralised_count: 0,
        })
    }

    /// Flushes and hands back the output.
    ///
    /// # Errors
    /// The final flush failed.
    pub fn into_inner(self) -> io::Result<W> {
        self.writer
            .into_inner()
            .map_err(|e| io::Error::other(e.to_string()))
    }

    /// Writes a text cell, neutralised if it would run as a formula and the policy says so.
    fn text_field(&mut self, number: u64, i: usize, text: &str) -> io::Result<()> {
        let safe = match self.formula {
            FormulaPolicy::Prefix => crate::screen::neutralise_formula(text),
            _ => None,
        };
        match safe {
            Some(safe) => {
                self.neutralised_count += 1;
                if self.neutralised.len() < 100 {
                    self.neutralised.push(Neutralised {
                        row: number,
                        column: self.info.column_letter(i),
                    });
                }
                self.writer.write_field(safe.as_bytes())
            }
            None => self.writer.write_field(text.as_bytes()),
        }
        .map_err(csv_err)
    }
}

fn csv_err(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

impl<W: Write> TableSink for CsvSink<W> {
    fn begin(&mut self, info: &TableInfo) -> io::Result<()> {
        self.info = info.clone();
        self.writer.write_record(&info.headers).map_err(csv_err)
    }

    fn row(&mut self, row: Row<'_>) -> io::Result<()> {
        // Fields go straight to the writer: text cells from their own bytes, other cells
        // through one reused buffer. `write_record` does the same field by field, so
        // the bytes are those of writing a `Vec<String>` record.
        for (i, cell) in row.cells.iter().enumerate() {
            if let Value::Text(text) = cell {
                self.text_field(row.number, i, text)?;
            } else {
                self.scratch.clear();
                super::write_cell(&mut self.scratch, cell, self.decimals);
                self.writer
                    .write_field(self.scratch.as_bytes())
                    .map_err(csv_err)?;
            }
        }
        // Short rows are padded so every record has the header's width.
        for _ in row.cells.len()..self.info.headers.len() {
            self.writer.write_field(b"").map_err(csv_err)?;
        }
        self.writer.write_record(None::<&[u8]>).map_err(csv_err)
    }

    /// A row of text is written from its text: an empty piece is an empty field, as
    /// an empty cell is.
    fn text_row(&mut self, row: TextRow<'_>) -> io::Result<()> {
        for (i, piece) in row.pieces().enumerate() {
            self.text_field(row.number, i, piece)?;
        }
        for _ in row.ends.len()..self.info.headers.len() {
            self.writer.write_field(b"").map_err(csv_err)?;
        }
        self.writer.write_record(None::<&[u8]>).map_err(csv_err)
    }

    fn takes_text(&self) -> bool {
        true
    }

    fn end(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(rows: &[Vec<Value>], formula: FormulaPolicy) -> (String, u64) {
        let mut sink = CsvSink::new(Vec::new(), DecimalStyle::Excel, formula, false).unwrap();
        let info = TableInfo {
            source: "t".into(),
            headers: vec!["a".into(), "b".into()],
            header_row: 1,
            ..Default::default()
        };
        sink.begin(&info).unwrap();
        for (i, r) in rows.iter().enumerate() {
            sink.row(Row {
                number: i as u64 + 2,
                cells: r,
            })
            .unwrap();
        }
        sink.end().unwrap();
        let n = sink.neutralised_count;
        (String::from_utf8(sink.into_inner().unwrap()).unwrap(), n)
    }

    #[test]
    fn quotes_only_what_needs_quoting() {
        let (out, _) = write(
            &[vec![
                Value::Text("Québec, \"QC\"\nline".into()),
                Value::Text(" 007 ".into()),
            ]],
            FormulaPolicy::Allow,
        );
        assert_eq!(out, "a,b\r\n\"Québec, \"\"QC\"\"\nline\", 007 \r\n");
    }

    #[test]
    fn formulas_are_neutralised_but_numbers_are_not() {
        let (out, n) = write(
            &[vec![
                Value::Text("=HYPERLINK(\"x\")".into()),
                Value::Text("-12.5".into()),
            ]],
            FormulaPolicy::Prefix,
        );
        assert_eq!(n, 1);
        assert!(out.contains("'=HYPERLINK"), "{out}");
        assert!(out.contains(",-12.5\r\n"), "{out}");
    }

    /// A row handed over as one text is written byte for byte as its values would be:
    /// quoting, formulas, empty cells and short rows alike.
    #[test]
    fn text_rows_are_written_as_their_values_are() {
        let rows: [&[&str]; 4] = [
            &["Québec, \"QC\"\nline", " 007 "],
            &["=SUM(A1)", ""],
            &["", "+1"],
            &["short"],
        ];
        let values: Vec<Vec<Value>> = (rows.iter())
            .map(|r| {
                (r.iter())
                    .map(|c| match *c {
                        "" => Value::Empty,
                        c => Value::Text(c.into()),
                    })
                    .collect()
            })
            .collect();
        for formula in [FormulaPolicy::Allow, FormulaPolicy::Prefix] {
            let mut sink = CsvSink::new(Vec::new(), DecimalStyle::Excel, formula, false).unwrap();
            assert!(sink.takes_text());
            let info = TableInfo {
                headers: vec!["a".into(), "b".into()],
                ..Default::default()
            };
            sink.begin(&info).unwrap();
            for (i, r) in rows.iter().enumerate() {
                let text = r.concat();
                let ends: Vec<usize> = (r.iter())
                    .scan(0, |at, c| {
                        *at += c.len();
                        Some(*at)
                    })
                    .collect();
                (sink.text_row(TextRow {
                    number: i as u64 + 2,
                    cells: None,
                    text: &text,
                    ends: &ends,
                }))
                .unwrap();
            }
            sink.end().unwrap();
            let n = sink.neutralised_count;
            let out = String::from_utf8(sink.into_inner().unwrap()).unwrap();
            assert_eq!((out, n), write(&values, formula), "{formula:?}");
        }
    }
}
