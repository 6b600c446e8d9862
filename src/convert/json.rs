//! JSON (an array of objects) and NDJSON (one object per line), streamed row by row.
//!
//! Values keep their types: numbers as numbers, booleans as booleans, dates as ISO 8601
//! strings, empty cells as `null`. Text read from CSV has no type of its own; when the
//! table's schema says a column is a number, integer or boolean, text that reads as one
//! is written as one.

use std::io::{self, Write};

use crate::table::{DecimalStyle, Row, TableInfo, TableSink, Value};

/// How a column's text should be typed in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JsonType {
    /// Written as the cell is typed; text stays text.
    #[default]
    Keep,
    Number,
    Integer,
    Boolean,
}

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
    types: Vec<JsonType>,
    /// The header names, already JSON-encoded with their colon.
    keys: Vec<String>,
    rows: u64,
    scratch: String,
}

impl<W: Write> JsonSink<W> {
    pub fn new(out: W, layout: JsonLayout, decimals: DecimalStyle, types: Vec<JsonType>) -> Self {
        JsonSink {
            out,
            layout,
            decimals,
            types,
            keys: Vec::new(),
            rows: 0,
            scratch: String::new(),
        }
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    fn write_value(&mut self, v: &Value, ty: JsonType) -> io::Result<()> {
        use std::fmt::Write as _;
        match v {
            Value::Empty => self.out.write_all(b"null"),
            Value::Bool(b) => write!(self.out, "{b}"),
            Value::Int(i) => write!(self.out, "{i}"),
            Value::Float(x) if x.is_finite() => {
                self.scratch.clear();
                super::write_cell(&mut self.scratch, v, self.decimals);
                self.out.write_all(self.scratch.as_bytes())
            }
            Value::Text(s) => {
                let t = s.trim();
                match ty {
                    JsonType::Number | JsonType::Integer if is_json_number(t) => {
                        self.out.write_all(t.as_bytes())
                    }
                    JsonType::Boolean if matches!(t, "true" | "false") => {
                        self.out.write_all(t.as_bytes())
                    }
                    _ if s.is_empty() => self.out.write_all(b"null"),
                    _ => write_json_string(&mut self.out, s),
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
        self.types.resize(self.keys.len(), JsonType::Keep);
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
            self.write_value(v, self.types[i])?;
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

    fn write(layout: JsonLayout, types: Vec<JsonType>, rows: &[Vec<Value>]) -> String {
        let mut sink = JsonSink::new(Vec::new(), layout, DecimalStyle::Excel, types);
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
            vec![],
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
            vec![JsonType::Integer, JsonType::Number, JsonType::Boolean],
            &[vec![
                Value::Text("12".into()),
                Value::Text("007".into()),
                Value::Text("true".into()),
            ]],
        );
        assert_eq!(out, "{\"n\":12,\"d\":\"007\",\"t\":true}\n");
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
