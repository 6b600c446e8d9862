//! A table's values typed by its schema's fields, for the converters: which columns hold
//! text, what a text cell is once cast (the validator's own cast, so JSON and validation
//! never disagree), and how a typed cell is spelt so the CSV reads back under its own
//! schema (a custom `trueValues`, a strftime `format`).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::compile::{compile, Cast, CompiledSchema};
use super::schema::{FieldType, TableSchema};

/// The schema, compiled once for a conversion.
#[derive(Debug)]
pub struct Typing {
    schema: CompiledSchema,
}

/// A text cell as its field reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Typed<'a> {
    /// One of the schema's `missingValues`.
    Missing,
    /// Text, or a value that is not of the field's type (the validator reports it).
    Text(&'a str),
    Integer(i64),
    Number(f64),
    Boolean(bool),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    Time(NaiveTime),
}

impl Typing {
    /// `None` when the schema cannot be compiled (the validator refuses it first).
    pub fn new(schema: &TableSchema) -> Option<Typing> {
        compile(schema).ok().map(|schema| Typing { schema })
    }

    /// Whether column `i` holds text (a string or `any` field, or a column past the
    /// schema): only such cells may be changed to stop a spreadsheet running them. A
    /// cell of a typed column either is of its type (`-INF`, `-P1D`, `+3`: never a
    /// formula) or is a violation, which holds the whole table back.
    pub fn is_text(&self, i: usize) -> bool {
        self.schema
            .fields
            .get(i)
            .is_none_or(|f| matches!(f.ty, FieldType::String | FieldType::Any))
    }

    /// The cell's text cast by field `i`, as the validator casts it.
    pub fn cast<'a>(&self, i: usize, text: &'a str) -> Typed<'a> {
        let Some(field) = self.schema.fields.get(i) else {
            return Typed::Text(text);
        };
        if self.schema.missing_values.iter().any(|m| m == text) {
            return Typed::Missing;
        }
        match field.parse(text) {
            Some(Cast::Int(i)) => Typed::Integer(i),
            Some(Cast::Num(x)) => Typed::Number(x),
            Some(Cast::Bool(b)) => Typed::Boolean(b),
            Some(Cast::Date(d)) => Typed::Date(d),
            Some(Cast::DateTime(d)) => Typed::DateTime(d),
            Some(Cast::Time(t)) => Typed::Time(t),
            _ => Typed::Text(text),
        }
    }

    /// How a boolean cell of column `i` is spelt: the field's first true or false value
    /// when it has its own (`oui`/`non`), else `None` for `true`/`false`.
    pub fn boolean_text(&self, i: usize, b: bool) -> Option<&str> {
        let field = self.schema.fields.get(i)?;
        let values = if b {
            field.true_values()
        } else {
            field.false_values()
        };
        let default = if b { "true" } else { "false" };
        let first = values.first()?;
        (!values.iter().any(|v| v == default)).then_some(first.as_str())
    }

    /// The strftime pattern a date, datetime or time cell of column `i` is written in.
    pub fn date_pattern(&self, i: usize) -> Option<&str> {
        self.schema.fields.get(i)?.date_pattern()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typing(json: &str) -> Typing {
        Typing::new(&TableSchema::from_json(json).unwrap()).unwrap()
    }

    #[test]
    fn text_cells_cast_as_the_validator_casts_them() {
        let t = typing(
            r#"{"fields":[{"name":"i","type":"integer"},{"name":"n","type":"number"},
            {"name":"b","type":"boolean","trueValues":["oui"],"falseValues":["non"]},
            {"name":"s"},{"name":"e","type":"number","bareNumber":false}],
            "missingValues":["","NA"]}"#,
        );
        assert_eq!(t.cast(0, "007"), Typed::Integer(7));
        assert_eq!(t.cast(0, "+3"), Typed::Integer(3));
        assert_eq!(t.cast(1, "1.5e3"), Typed::Number(1500.0));
        assert_eq!(t.cast(1, "-INF"), Typed::Number(f64::NEG_INFINITY));
        assert_eq!(t.cast(1, "NA"), Typed::Missing);
        assert_eq!(t.cast(2, "oui"), Typed::Boolean(true));
        assert_eq!(t.cast(2, "true"), Typed::Text("true"));
        assert_eq!(t.cast(3, "=1+1"), Typed::Text("=1+1"));
        assert_eq!(t.cast(4, "€95"), Typed::Number(95.0));
        assert_eq!(t.cast(9, "x"), Typed::Text("x"));
        assert!(!t.is_text(1) && t.is_text(3) && t.is_text(9));
        assert_eq!(t.boolean_text(2, false), Some("non"));
    }

    #[test]
    fn default_booleans_keep_true_and_false() {
        let t = typing(r#"{"fields":[{"name":"b","type":"boolean"}]}"#);
        assert_eq!(t.boolean_text(0, true), None);
        let t = typing(
            r#"{"fields":[{"name":"b","type":"boolean","trueValues":["Y","true"],"falseValues":["N"]}]}"#,
        );
        assert_eq!(t.boolean_text(0, true), None);
        assert_eq!(t.boolean_text(0, false), Some("N"));
    }
}
