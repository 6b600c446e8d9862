//! RFC 4180 CSV: UTF-8, CRLF line ends, one header row, fields quoted only when they
//! must be, so the same table always gives the same bytes.
//!
//! With a schema, the CSV reads back under that same schema: only cells of text columns
//! are neutralised (a typed value such as `-INF` or `-P1D` is never prefixed), a typed
//! boolean is spelt with the field's own `trueValues`/`falseValues` and a typed date,
//! datetime or time with the field's strftime `format`.

use std::io::{self, Write};
use std::sync::Arc;

use crate::screen::FormulaPolicy;
use crate::table::{DecimalStyle, Row, TableInfo, TableSink, TextRow, Value};
use crate::validate::Typing;

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
    typing: Option<Arc<Typing>>,
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
        typing: Option<Arc<Typing>>,
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
            typing,
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
        let text_column = self.typing.as_ref().is_none_or(|t| t.is_text(i));
        let safe = match self.formula {
            FormulaPolicy::Prefix if text_column => crate::screen::neutralise_formula(text),
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

impl<W: Write> CsvSink<W> {
    /// A cell that is not text, into `scratch`: spelt as its field reads it back.
    fn typed_cell(&mut self, i: usize, cell: &Value) {
        use std::fmt::Write as _;
        let typing = self.typing.as_deref();
        match cell {
            Value::Bool(b) => {
                if let Some(t) = typing.and_then(|t| t.boolean_text(i, *b)) {
                    self.scratch.push_str(t);
                    return;
                }
            }
            Value::Date(_) | Value::DateTime(_) | Value::Time(_) => {
                if let Some(p) = typing.and_then(|t| t.date_pattern(i)) {
                    let _ = match cell {
                        Value::Date(d) => write!(self.scratch, "{}", d.format(p)),
                        Value::DateTime(d) => write!(self.scratch, "{}", d.format(p)),
                        Value::Time(t) => write!(self.scratch, "{}", t.format(p)),
                        _ => Ok(()),
                    };
                    return;
                }
            }
            _ => {}
        }
        super::write_cell(&mut self.scratch, cell, self.decimals);
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
                self.typed_cell(i, cell);
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
        let mut sink = CsvSink::new(Vec::new(), DecimalStyle::Excel, formula, false, None).unwrap();
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

    /// A typed value in a typed column is never changed, and typed cells are spelt as
    /// the field reads them: `-INF` stays a number, `oui` stays `oui`.
    #[test]
    fn typed_columns_are_never_neutralised_and_read_back_by_their_schema() {
        let schema = crate::validate::TableSchema::from_json(
            r#"{"fields":[{"name":"a","type":"number"},{"name":"b","type":"duration"},
            {"name":"c","type":"boolean","trueValues":["oui"],"falseValues":["non"]},
            {"name":"d","type":"date","format":"%d/%m/%Y"},{"name":"e"}]}"#,
        )
        .unwrap();
        let typing = Some(Arc::new(Typing::new(&schema).unwrap()));
        let mut sink = CsvSink::new(
            Vec::new(),
            DecimalStyle::Excel,
            FormulaPolicy::Prefix,
            false,
            typing,
        )
        .unwrap();
        let info = TableInfo {
            headers: ["a", "b", "c", "d", "e"].map(String::from).to_vec(),
            ..Default::default()
        };
        sink.begin(&info).unwrap();
        let cells = [
            Value::Text("-INF".into()),
            Value::Text("-P1D".into()),
            Value::Bool(false),
            Value::Date(chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap()),
            Value::Text("-INF".into()),
        ];
        sink.row(Row {
            number: 2,
            cells: &cells,
        })
        .unwrap();
        sink.end().unwrap();
        assert_eq!(sink.neutralised_count, 1, "only the text column");
        let out = String::from_utf8(sink.into_inner().unwrap()).unwrap();
        assert_eq!(out, "a,b,c,d,e\r\n-INF,-P1D,non,01/03/2024,'-INF\r\n");
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
            let mut sink =
                CsvSink::new(Vec::new(), DecimalStyle::Excel, formula, false, None).unwrap();
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
