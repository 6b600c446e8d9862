//! JSON (an array of objects) and NDJSON (one object per line), streamed row by row.
//!
//! Values keep their types: numbers as numbers, booleans as booleans, dates as ISO 8601
//! strings, empty cells as `null`. Text read from CSV has no type of its own: when the
//! table has a schema, each text cell is cast by its field exactly as the validator casts
//! it, so an integer column gives numbers for `007` and `+3` alike, a boolean column with
//! `trueValues: ["oui"]` gives `true`, `bareNumber: false` gives `95` for `€95`, a date
//! in a custom format gives its ISO date, and a `missingValues` entry gives `null`.
//!
//! JSON has no NaN or infinity: a number that is one is written as the string `"NaN"`,
//! `"INF"` or `"-INF"`, the Table Schema spelling, whether the cell was typed or text.

use std::io::{self, Write};
use std::sync::Arc;

use crate::table::{DecimalStyle, Row, TableInfo, TableSink, Value};
use crate::validate::{Typed, Typing};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonLayout {
    Array,
    Lines,
}

/// Writes a table as JSON or NDJSON.
pub struct JsonSink<W: Write> {
    out: W,
    layout: JsonLayout,
    decimals: DecimalStyle,
    typing: Option<Arc<Typing>>,
    /// The header names, already JSON-encoded with their colon.
    keys: Vec<String>,
    rows: u64,
    scratch: String,
}

impl<W: Write> JsonSink<W> {
    pub fn new(
        out: W,
        layout: JsonLayout,
        decimals: DecimalStyle,
        typing: Option<Arc<Typing>>,
    ) -> Self {
        JsonSink {
            out,
            layout,
            decimals,
            typing,
            keys: Vec::new(),
            rows: 0,
            scratch: String::new(),
        }
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    fn write_value(&mut self, v: &Value, column: usize) -> io::Result<()> {
        use std::fmt::Write as _;
        match v {
            Value::Empty => self.out.write_all(b"null"),
            Value::Bool(b) => write!(self.out, "{b}"),
            Value::Int(i) => write!(self.out, "{i}"),
            Value::Float(x) => self.write_number(*x, None),
            Value::Text(s) => {
                let typed = match &self.typing {
                    Some(t) => t.cast(column, s),
                    None => Typed::Text(s),
                };
                match typed {
                    Typed::Missing => self.out.write_all(b"null"),
                    Typed::Integer(i) => write!(self.out, "{i}"),
                    Typed::Number(x) => self.write_number(x, Some(s)),
                    Typed::Boolean(b) => write!(self.out, "{b}"),
                    Typed::Date(d) => self.write_display(&Value::Date(d)),
                    Typed::DateTime(d) => self.write_display(&Value::DateTime(d)),
                    Typed::Time(t) => self.write_display(&Value::Time(t)),
                    Typed::Text("") => self.out.write_all(b"null"),
                    Typed::Text(s) => write_json_string(&mut self.out, s),
                }
            }
            other => {
                self.scratch.clear();
                let _ = write!(self.scratch, "{}", other.display(self.decimals));
                let s = std::mem::take(&mut self.scratch);
                let r = write_json_string(&mut self.out, &s);
                self.scratch = s;
                r
            }
        }
    }

    /// A number: its own text when that is already a JSON number (`1.5e3` stays as
    /// written), else the double's text; NaN and infinities as the strings the module
    /// docs name.
    fn write_number(&mut self, x: f64, text: Option<&str>) -> io::Result<()> {
        if x.is_nan() {
            return self.out.write_all(b"\"NaN\"");
        }
        if x.is_infinite() {
            return self
                .out
                .write_all(if x > 0.0 { b"\"INF\"" } else { b"\"-INF\"" });
        }
        if let Some(t) = text.filter(|t| is_json_number(t)) {
            return self.out.write_all(t.as_bytes());
        }
        self.scratch.clear();
        let style = if text.is_some() {
            // Text (`.5`, `+1`, `€95`) is written as the double it reads as, every digit kept.
            DecimalStyle::RoundTrip
        } else {
            self.decimals
        };
        super::write_cell(&mut self.scratch, &Value::Float(x), style);
        self.out.write_all(self.scratch.as_bytes())
    }

    fn write_display(&mut self, v: &Value) -> io::Result<()> {
        use std::fmt::Write as _;
        self.scratch.clear();
        let _ = write!(self.scratch, "{}", v.display(self.decimals));
        let s = std::mem::take(&mut self.scratch);
        let r = write_json_string(&mut self.out, &s);
        self.scratch = s;
        r
    }
}

/// JSON's number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(c) if c.is_ascii_digit() => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

fn write_json_string<W: Write>(out: &mut W, s: &str) -> io::Result<()> {
    serde_json::to_writer(out, s).map_err(io::Error::other)
}

impl<W: Write> TableSink for JsonSink<W> {
    fn begin(&mut self, info: &TableInfo) -> io::Result<()> {
        self.keys = info
            .headers
            .iter()
            .map(|h| format!("{}:", serde_json::Value::String(h.clone())))
            .collect();
        if self.layout == JsonLayout::Array {
            self.out.write_all(b"[")?;
        }
        Ok(())
    }

    fn row(&mut self, row: Row<'_>) -> io::Result<()> {
        match (self.layout, self.rows) {
            (JsonLayout::Array, 0) => self.out.write_all(b"\n")?,
            (JsonLayout::Array, _) => self.out.write_all(b",\n")?,
            (JsonLayout::Lines, _) => {}
        }
        self.out.write_all(b"{")?;
        for i in 0..self.keys.len() {
            if i > 0 {
                self.out.write_all(b",")?;
            }
            let key = std::mem::take(&mut self.keys[i]);
            self.out.write_all(key.as_bytes())?;
            self.keys[i] = key;
            let v = row.cells.get(i).unwrap_or(&Value::Empty);
            self.write_value(v, i)?;
        }
        self.out.write_all(b"}")?;
        if self.layout == JsonLayout::Lines {
            self.out.write_all(b"\n")?;
        }
        self.rows += 1;
        Ok(())
    }

    fn end(&mut self) -> io::Result<()> {
        if self.layout == JsonLayout::Array {
            self.out.write_all(b"\n]\n")?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn write(layout: JsonLayout, schema: Option<&str>, rows: &[Vec<Value>]) -> String {
        let typing = schema.map(|s| {
            Arc::new(Typing::new(&crate::validate::TableSchema::from_json(s).unwrap()).unwrap())
        });
        let mut sink = JsonSink::new(Vec::new(), layout, DecimalStyle::Excel, typing);
        let info = TableInfo {
            headers: vec!["n".into(), "d".into(), "t".into()],
            ..Default::default()
        };
        sink.begin(&info).unwrap();
        for r in rows {
            sink.row(Row {
                number: 2,
                cells: r,
            })
            .unwrap();
        }
        sink.end().unwrap();
        String::from_utf8(sink.into_inner()).unwrap()
    }

    #[test]
    fn values_keep_their_types() {
        let out = write(
            JsonLayout::Array,
            None,
            &[vec![
                Value::Float(0.1 + 0.2),
                Value::Date(NaiveDate::from_ymd_opt(2024, 3, 15).unwrap()),
                Value::Empty,
            ]],
        );
        assert_eq!(out, "[\n{\"n\":0.3,\"d\":\"2024-03-15\",\"t\":null}\n]\n");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v[0]["n"], serde_json::json!(0.3));
    }

    #[test]
    fn declared_types_turn_text_into_numbers() {
        let out = write(
            JsonLayout::Lines,
            Some(
                r#"{"fields":[{"name":"n","type":"integer"},{"name":"d","type":"integer"},{"name":"t","type":"boolean"}]}"#,
            ),
            &[vec![
                Value::Text("12".into()),
                Value::Text("007".into()),
                Value::Text("true".into()),
            ]],
        );
        assert_eq!(out, "{\"n\":12,\"d\":7,\"t\":true}\n");
    }

    /// Every value is typed by its field, as the validator reads it.
    #[test]
    fn every_text_is_typed_by_its_field() {
        let schema = r#"{"fields":[
            {"name":"n","type":"number","bareNumber":false},
            {"name":"d","type":"date","format":"%d/%m/%Y"},
            {"name":"t","type":"boolean","trueValues":["oui"],"falseValues":["non"]}],
            "missingValues":["","NA"]}"#;
        let rows: Vec<Vec<Value>> = [
            ["+3", "01/03/2024", "oui"],
            [".5", "NA", "non"],
            ["-INF", "31/12/2023", "NA"],
            ["NaN", "x", "maybe"],
            ["€95", "", "non"],
            ["1.5e3", "", ""],
        ]
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| {
                    if c.is_empty() {
                        Value::Empty
                    } else {
                        Value::Text(c.to_string())
                    }
                })
                .collect()
        })
        .collect();
        let out = write(JsonLayout::Lines, Some(schema), &rows);
        assert_eq!(
            out,
            "{\"n\":3,\"d\":\"2024-03-01\",\"t\":true}\n\
             {\"n\":0.5,\"d\":null,\"t\":false}\n\
             {\"n\":\"-INF\",\"d\":\"2023-12-31\",\"t\":null}\n\
             {\"n\":\"NaN\",\"d\":\"x\",\"t\":\"maybe\"}\n\
             {\"n\":95,\"d\":null,\"t\":false}\n\
             {\"n\":1.5e3,\"d\":null,\"t\":null}\n"
        );
        for line in out.lines() {
            serde_json::from_str::<serde_json::Value>(line).unwrap();
        }
    }

    #[test]
    fn typed_infinities_are_strings_too() {
        let out = write(
            JsonLayout::Lines,
            None,
            &[vec![
                Value::Float(f64::NEG_INFINITY),
                Value::Float(f64::NAN),
                Value::Float(f64::INFINITY),
            ]],
        );
        assert_eq!(out, "{\"n\":\"-INF\",\"d\":\"NaN\",\"t\":\"INF\"}\n");
    }

    #[test]
    fn json_number_grammar() {
        for ok in ["0", "-1", "1.5", "1e10", "-0.5E-3"] {
            assert!(is_json_number(ok), "{ok}");
        }
        for bad in ["007", "1.", ".5", "+1", "1e", "NaN", ""] {
            assert!(!is_json_number(bad), "{bad}");
        }
    }
}
