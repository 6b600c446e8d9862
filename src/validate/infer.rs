//! Schema inference: a [`TableSink`] that proposes a [`TableSchema`] for a table, to be
//! reviewed by a person and then kept under `schemas/`.
//!
//! Each column gets the narrowest type that every non-empty value satisfies, tried in
//! the order integer, number, boolean, date, datetime, time; when none fits, string.
//! The invariant: the inferred schema validates the table it came from without a type
//! violation. Choices:
//! - text with leading zeros (`007`, `01`) stays string: it is a code, and an integer
//!   would lose the zeros when republished.
//! - `NaN` and `INF` text do not make a column numeric (they are more often labels).
//! - `0`/`1` text is integer, not boolean; only the spec's `true`/`false` spellings
//!   make a boolean column.
//! - no constraints are inferred, not even `required`: a sample being complete is not
//!   a rule, and an inferred rule would block next month's publication for a blank that
//!   is allowed. Add constraints by hand.
//! - empty cells and spreadsheet error cells say nothing about the type; a column with
//!   only those is string.

use std::io;

use chrono::NaiveTime;

use super::lexical;
use super::schema::{Field, FieldType, TableSchema};
use crate::table::{Row, TableInfo, TableSink, Value};

/// The candidate types in order of preference, narrowest first.
const ORDER: [FieldType; 6] = [
    FieldType::Integer,
    FieldType::Number,
    FieldType::Boolean,
    FieldType::Date,
    FieldType::Datetime,
    FieldType::Time,
];
const INTEGER: u8 = 1;
const NUMBER: u8 = 2;
const BOOLEAN: u8 = 4;
const DATE: u8 = 8;
const DATETIME: u8 = 16;
const TIME: u8 = 32;
const ALL: u8 = 63;

/// Infers a Table Schema from the rows pushed into it.
#[derive(Debug, Default)]
pub struct Inferrer {
    headers: Vec<String>,
    /// Per column, the types every value so far satisfies, as bits in [`ORDER`] order.
    candidates: Vec<u8>,
}

impl Inferrer {
    pub fn new() -> Inferrer {
        Inferrer::default()
    }

    /// The schema: one field per header, in order, with no constraints.
    pub fn finish(self) -> TableSchema {
        let fields = self
            .headers
            .into_iter()
            .zip(self.candidates)
            .map(|(name, bits)| {
                let ty = ORDER
                    .iter()
                    .enumerate()
                    .find(|(i, _)| bits != ALL && bits & (1 << i) != 0)
                    .map_or(FieldType::String, |(_, ty)| *ty);
                Field::new(name, ty)
            })
            .collect();
        TableSchema {
            fields,
            ..TableSchema::default()
        }
    }
}

/// The types one value satisfies; `ALL` for a value that says nothing.
fn types_of(value: &Value) -> u8 {
    match value {
        Value::Empty | Value::Error(_) => ALL,
        Value::Bool(_) => BOOLEAN,
        Value::Int(_) => INTEGER | NUMBER,
        Value::Float(x) if x.fract() == 0.0 && x.abs() < 9.2e18 => INTEGER | NUMBER,
        Value::Float(_) => NUMBER,
        Value::Date(_) => DATE,
        Value::DateTime(d) if d.time() == NaiveTime::MIN => DATE | DATETIME,
        Value::DateTime(_) => DATETIME,
        Value::Time(_) => TIME,
        Value::Duration(_) => 0,
        Value::Text(s) if s.is_empty() => ALL,
        Value::Text(s) => text_types(s),
    }
}

fn text_types(s: &str) -> u8 {
    match lexical::number_shape(s) {
        _ if lexical::has_leading_zero(s) => 0,
        Some(false) => INTEGER | NUMBER,
        Some(true) => NUMBER,
        None if matches!(s, "true" | "True" | "TRUE" | "false" | "False" | "FALSE") => BOOLEAN,
        None if lexical::parse_iso_date(s).is_some() => DATE,
        None if lexical::parse_iso_datetime(s).is_some() => DATETIME,
        None if lexical::parse_iso_time(s).is_some() => TIME,
        None => 0,
    }
}

impl TableSink for Inferrer {
    fn begin(&mut self, info: &TableInfo) -> io::Result<()> {
        self.headers = info.headers.clone();
        self.candidates = vec![ALL; info.headers.len()];
        Ok(())
    }

    fn row(&mut self, row: Row<'_>) -> io::Result<()> {
        for (bits, value) in self.candidates.iter_mut().zip(row.cells) {
            // A column already down to string needs no more parsing.
            if *bits != 0 {
                *bits &= types_of(value);
            }
        }
        Ok(())
    }

    fn end(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn infer(columns: &[&[Value]]) -> Vec<FieldType> {
        let mut inf = Inferrer::new();
        let info = TableInfo {
            headers: (0..columns.len()).map(|i| format!("c{i}")).collect(),
            header_row: 1,
            ..TableInfo::default()
        };
        inf.begin(&info).unwrap();
        let rows = columns.iter().map(|c| c.len()).max().unwrap_or(0);
        for r in 0..rows {
            let cells: Vec<Value> = columns
                .iter()
                .map(|c| c.get(r).cloned().unwrap_or(Value::Empty))
                .collect();
            inf.row(Row {
                number: r as u64 + 2,
                cells: &cells,
            })
            .unwrap();
        }
        inf.finish()
            .fields
            .into_iter()
            .map(|f| f.field_type)
            .collect()
    }

    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn inference_picks_the_narrowest_type_every_value_fits() {
        let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        let cases: Vec<(Vec<Value>, FieldType)> = vec![
            (vec![t("1"), t("-2"), Value::Int(3)], FieldType::Integer),
            (vec![t("1"), t("2.5"), Value::Empty], FieldType::Number),
            (vec![Value::Int(1), Value::Float(2.5)], FieldType::Number),
            (
                vec![Value::Float(1.0), Value::Float(2.0)],
                FieldType::Integer,
            ),
            (vec![t("1e3"), t("2")], FieldType::Number),
            (vec![t("007"), t("12")], FieldType::String),
            (
                vec![t("true"), t("FALSE"), Value::Bool(true)],
                FieldType::Boolean,
            ),
            (vec![t("1"), t("0")], FieldType::Integer),
            (vec![t("2024-02-29"), Value::Date(d)], FieldType::Date),
            (vec![t("2023-02-29")], FieldType::String),
            (
                vec![t("2024-01-01T10:00:00Z"), t("2024-01-01T11:00:00")],
                FieldType::Datetime,
            ),
            (
                vec![t("2024-01-01"), t("2024-01-01T11:00:00")],
                FieldType::String,
            ),
            (vec![t("12:30:00")], FieldType::Time),
            (vec![t("1"), t("abc"), t("2")], FieldType::String),
            (vec![t("NaN"), t("1.5")], FieldType::String),
            (vec![Value::Empty, t("")], FieldType::String),
            (
                vec![Value::Error("#N/A".into()), Value::Int(4)],
                FieldType::Integer,
            ),
        ];
        let columns: Vec<&[Value]> = cases.iter().map(|(c, _)| c.as_slice()).collect();
        let want: Vec<FieldType> = cases.iter().map(|(_, ty)| *ty).collect();
        assert_eq!(infer(&columns), want);
    }

    #[test]
    fn an_inferred_schema_validates_its_own_table() {
        use crate::validate::Validator;
        let info = TableInfo {
            source: "s.csv".into(),
            headers: vec!["code".into(), "n".into(), "when".into(), "flag".into()],
            header_row: 1,
            ..TableInfo::default()
        };
        let rows = [
            vec![t("007"), t("1"), t("2024-02-29"), t("true")],
            vec![t("12"), Value::Float(2.5), Value::Empty, Value::Bool(false)],
            vec![t(""), t("-0"), t("2024-03-01"), t("")],
        ];
        let mut inf = Inferrer::new();
        inf.begin(&info).unwrap();
        for (i, cells) in rows.iter().enumerate() {
            inf.row(Row {
                number: i as u64 + 2,
                cells,
            })
            .unwrap();
        }
        let schema = inf.finish();
        let types: Vec<FieldType> = schema.fields.iter().map(|f| f.field_type).collect();
        assert_eq!(
            types,
            [
                FieldType::String,
                FieldType::Number,
                FieldType::Date,
                FieldType::Boolean
            ]
        );
        let mut v = Validator::new(&schema, 10).unwrap();
        v.begin(&info).unwrap();
        for (i, cells) in rows.iter().enumerate() {
            v.row(Row {
                number: i as u64 + 2,
                cells,
            })
            .unwrap();
        }
        assert_eq!(v.finish().violations, []);
    }
}
