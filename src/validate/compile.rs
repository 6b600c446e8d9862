//! Turns a [`TableSchema`] into the form the validator runs: formats resolved, regexes
//! compiled, bounds and enum values cast to the field's type, all once. Compiling is
//! also how [`TableSchema::check`] finds problems, so the two can never disagree.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::fmt::Write as _;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use regex::Regex;

use super::keyset::KeySet;
use super::lexical::{self, Integer};
use super::schema::{Field, FieldType, TableSchema};
use crate::table::{DecimalStyle, Value};

const DEFAULT_TRUE: [&str; 4] = ["true", "True", "TRUE", "1"];
const DEFAULT_FALSE: [&str; 4] = ["false", "False", "FALSE", "0"];

/// Formats `any` tries for dates, in order. Day-first, as Canadian forms write dates.
const ANY_DATE: [&str; 6] = [
    "%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y",
];
const ANY_DATETIME: [&str; 4] = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%d/%m/%Y %H:%M:%S",
];
const ANY_TIME: [&str; 3] = ["%H:%M", "%I:%M %p", "%I:%M:%S %p"];

/// A cell's value once cast to its field's type. Text borrows from the cell or from the
/// validator's reused buffer, so casting does not allocate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cast<'a> {
    Text(&'a str),
    Int(i64),
    Num(f64),
    Bool(bool),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    Time(NaiveTime),
    Year(i32),
    YearMonth(i32, u32),
    Duration(&'a str),
}

impl Cast<'_> {
    /// Writes a key that is equal for equal values (`1` and `1.0` alike, `-0` and `0`
    /// alike) and unambiguous when several keys are joined, for unique, primary-key and
    /// enum sets. Binary, tag byte first: formatting text here cost more than the check.
    pub(crate) fn write_key(&self, buf: &mut Vec<u8>) {
        match *self {
            Cast::Text(s) | Cast::Duration(s) => {
                buf.push(b's');
                // The length makes joined keys unambiguous; a cell is far below 4 GiB.
                buf.extend_from_slice(&(s.len() as u64).to_le_bytes());
                buf.extend_from_slice(s.as_bytes());
            }
            Cast::Int(i) => int_key(buf, i),
            Cast::Num(f) if f.is_nan() => buf.push(b'n'),
            Cast::Num(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => int_key(buf, f as i64),
            Cast::Num(f) => {
                buf.push(b'f');
                buf.extend_from_slice(&f.to_bits().to_le_bytes());
            }
            Cast::Bool(b) => buf.extend_from_slice(&[b'b', u8::from(b)]),
            Cast::Date(d) => {
                buf.push(b'd');
                buf.extend_from_slice(&d.num_days_from_ce().to_le_bytes());
            }
            Cast::DateTime(d) => {
                let d = d.and_utc();
                buf.push(b't');
                buf.extend_from_slice(&d.timestamp().to_le_bytes());
                buf.extend_from_slice(&d.timestamp_subsec_nanos().to_le_bytes());
            }
            Cast::Time(t) => {
                buf.push(b'h');
                buf.extend_from_slice(&t.num_seconds_from_midnight().to_le_bytes());
                buf.extend_from_slice(&t.nanosecond().to_le_bytes());
            }
            Cast::Year(y) => {
                buf.push(b'y');
                buf.extend_from_slice(&y.to_le_bytes());
            }
            Cast::YearMonth(y, m) => {
                buf.push(b'm');
                buf.extend_from_slice(&y.to_le_bytes());
                buf.extend_from_slice(&m.to_le_bytes());
            }
        }
    }

    /// Order against a bound; `None` when the two cannot be compared (NaN).
    fn compare(&self, bound: &Cast<'_>) -> Option<Ordering> {
        let as_f64 = |c: &Cast<'_>| match *c {
            Cast::Int(i) => Some(i as f64),
            Cast::Num(f) => Some(f),
            _ => None,
        };
        match (self, bound) {
            (Cast::Int(a), Cast::Int(b)) => Some(a.cmp(b)),
            (Cast::Date(a), Cast::Date(b)) => Some(a.cmp(b)),
            (Cast::DateTime(a), Cast::DateTime(b)) => Some(a.cmp(b)),
            (Cast::Time(a), Cast::Time(b)) => Some(a.cmp(b)),
            (Cast::Year(a), Cast::Year(b)) => Some(a.cmp(b)),
            (Cast::YearMonth(a, b), Cast::YearMonth(c, d)) => Some((a, b).cmp(&(c, d))),
            _ => as_f64(self)?.partial_cmp(&as_f64(bound)?),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Format {
    Default,
    Email,
    Uri,
    Uuid,
    Binary,
    Any,
    /// A chrono strftime pattern; `zoned` when it reads an offset (`%z`).
    Pattern {
        pattern: String,
        zoned: bool,
    },
}

/// A bound with the text it was written as, for messages.
#[derive(Debug)]
pub(crate) struct Bound {
    pub value: Cast<'static>,
    pub text: String,
}

#[derive(Debug)]
pub(crate) struct CompiledField {
    pub name: String,
    pub ty: FieldType,
    format: Format,
    pub required: bool,
    pub unique: bool,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub minimum: Option<Bound>,
    pub maximum: Option<Bound>,
    /// Anchored, with the pattern as written.
    pub pattern: Option<(Regex, String)>,
    /// Keys of the allowed values, and the list as written for messages.
    pub enumeration: Option<(KeySet, String)>,
    true_values: Vec<String>,
    false_values: Vec<String>,
    bare_number: bool,
}

#[derive(Debug)]
pub(crate) struct CompiledSchema {
    pub fields: Vec<CompiledField>,
    /// Column positions of the primary key's fields.
    pub primary_key: Vec<usize>,
    pub missing_values: Vec<String>,
    /// Whether a typed cell (a number, a date) could spell a missing value, so it must be
    /// rendered as text to be compared; false for the default `[""]`, which saves the
    /// rendering on every typed cell.
    pub missing_typed: bool,
}

/// Compiles the schema, or lists every problem with it.
pub(crate) fn compile(schema: &TableSchema) -> Result<CompiledSchema, Vec<String>> {
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for f in &schema.fields {
        if f.name.is_empty() {
            problems.push("a field has an empty name; every field needs one".to_string());
        } else if !seen.insert(f.name.as_str()) {
            problems.push(format!(
                "field \"{}\" is defined twice; names must be unique",
                f.name
            ));
        }
    }
    let fields: Vec<CompiledField> = schema
        .fields
        .iter()
        .filter_map(|f| compile_field(f, &mut problems))
        .collect();
    let mut primary_key = Vec::new();
    let mut pk_seen = HashSet::new();
    for name in &schema.primary_key {
        if !pk_seen.insert(name) {
            problems.push(format!("primaryKey names \"{name}\" twice"));
        }
        match schema.fields.iter().position(|f| &f.name == name) {
            Some(i) => primary_key.push(i),
            None => problems.push(format!(
                "primaryKey names \"{name}\", which is not a field; expected one of {}",
                quoted_list(schema.fields.iter().map(|f| f.name.as_str()))
            )),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(CompiledSchema {
        fields,
        primary_key,
        missing_typed: schema.missing_values.iter().any(|m| !m.is_empty()),
        missing_values: schema.missing_values.clone(),
    })
}

fn quoted_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn compile_field(f: &Field, problems: &mut Vec<String>) -> Option<CompiledField> {
    let before = problems.len();
    let ty = f.field_type;
    let mut problem = |detail: String| problems.push(format!("field \"{}\": {detail}", f.name));
    let format = match (ty, f.format.as_deref().unwrap_or("default")) {
        (_, "default") => Format::Default,
        (FieldType::String, "email") => Format::Email,
        (FieldType::String, "uri") => Format::Uri,
        (FieldType::String, "uuid") => Format::Uuid,
        (FieldType::String, "binary") => Format::Binary,
        (FieldType::Date | FieldType::Datetime | FieldType::Time, "any") => Format::Any,
        (FieldType::Date | FieldType::Datetime | FieldType::Time, p) => {
            let pattern = p.strip_prefix("fmt:").unwrap_or(p).to_string();
            let bad = chrono::format::StrftimeItems::new(&pattern)
                .any(|i| matches!(i, chrono::format::Item::Error));
            if bad || !pattern.contains('%') {
                problem(format!(
                    "format \"{p}\" is not a strftime pattern such as \"%d/%m/%Y\""
                ));
            }
            let zoned = pattern.contains("%z") || pattern.contains("%:z");
            Format::Pattern { pattern, zoned }
        }
        (FieldType::String, other) => {
            problem(format!(
                "format \"{other}\" is not one of default, email, uri, uuid, binary"
            ));
            Format::Default
        }
        (_, other) => {
            problem(format!(
                "format \"{other}\" does not apply to {} fields; expected default",
                ty.as_str()
            ));
            Format::Default
        }
    };
    let c = &f.constraints;
    let is_string = ty == FieldType::String;
    let ordered = matches!(
        ty,
        FieldType::Number
            | FieldType::Integer
            | FieldType::Date
            | FieldType::Datetime
            | FieldType::Time
            | FieldType::Year
            | FieldType::Yearmonth
    );
    for (name, set, applies, expected) in [
        ("minLength", c.min_length.is_some(), is_string, "string"),
        ("maxLength", c.max_length.is_some(), is_string, "string"),
        ("pattern", c.pattern.is_some(), is_string, "string"),
        (
            "minimum",
            c.minimum.is_some(),
            ordered,
            "number, integer, date, datetime, time, year and yearmonth",
        ),
        (
            "maximum",
            c.maximum.is_some(),
            ordered,
            "number, integer, date, datetime, time, year and yearmonth",
        ),
        (
            "trueValues",
            f.true_values.is_some(),
            ty == FieldType::Boolean,
            "boolean",
        ),
        (
            "falseValues",
            f.false_values.is_some(),
            ty == FieldType::Boolean,
            "boolean",
        ),
        (
            "bareNumber",
            f.bare_number.is_some(),
            matches!(ty, FieldType::Number | FieldType::Integer),
            "number and integer",
        ),
    ] {
        if set && !applies {
            problem(format!(
                "{name} does not apply to {} fields, only to {expected} fields",
                ty.as_str()
            ));
        }
    }
    if let (Some(lo), Some(hi)) = (c.min_length, c.max_length) {
        if lo > hi {
            problem(format!("minLength {lo} is greater than maxLength {hi}"));
        }
    }
    let pattern = c
        .pattern
        .as_ref()
        .and_then(|p| match Regex::new(&format!("^(?:{p})$")) {
            Ok(re) => Some((re, p.clone())),
            Err(e) => {
                problem(format!(
                    "pattern \"{p}\" is not a valid regular expression: {e}"
                ));
                None
            }
        });
    let mut field = CompiledField {
        name: f.name.clone(),
        ty,
        format,
        required: c.required,
        unique: c.unique,
        min_length: c.min_length,
        max_length: c.max_length,
        minimum: None,
        maximum: None,
        pattern,
        enumeration: None,
        true_values: to_strings(f.true_values.as_deref(), &DEFAULT_TRUE),
        false_values: to_strings(f.false_values.as_deref(), &DEFAULT_FALSE),
        bare_number: f.bare_number.unwrap_or(true),
    };
    if ordered {
        field.minimum = c
            .minimum
            .as_ref()
            .and_then(|v| field.bound("minimum", v, &mut problem));
        field.maximum = c
            .maximum
            .as_ref()
            .and_then(|v| field.bound("maximum", v, &mut problem));
        if let (Some(lo), Some(hi)) = (&field.minimum, &field.maximum) {
            if lo.value.compare(&hi.value) == Some(Ordering::Greater) {
                problem(format!(
                    "minimum {} is greater than maximum {}",
                    lo.text, hi.text
                ));
            }
        }
    }
    if let Some(values) = &c.r#enum {
        let mut keys = KeySet::default();
        let mut buf = String::new();
        let mut texts = Vec::new();
        for v in values {
            let text = json_text(v);
            match field.cast_json(v, &mut buf) {
                Some(cast) => {
                    let mut key = Vec::new();
                    cast.write_key(&mut key);
                    // Enum sets only answer "is it listed": the row is unused.
                    keys.first_or_insert(&key, 1);
                }
                None => problem(format!("enum value {v} is not {}", field.expected())),
            }
            texts.push(text);
        }
        if values.is_empty() {
            problem("enum is empty, so no value could pass; expected at least one".into());
        }
        field.enumeration = Some((keys, quoted_list(texts.iter().map(String::as_str))));
    }
    (problems.len() == before).then_some(field)
}

fn to_strings(given: Option<&[String]>, default: &[&str]) -> Vec<String> {
    match given {
        Some(v) => v.to_vec(),
        None => default.iter().map(|s| s.to_string()).collect(),
    }
}

/// A JSON constraint value as a person wrote it: strings without quotes.
fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Converts a JSON constraint value to the cell it stands for, so bounds and enum values
/// are cast by the very code that casts cells.
fn json_cell(v: &serde_json::Value) -> Option<Value> {
    Some(match v {
        serde_json::Value::String(s) => Value::Text(s.clone()),
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64()?),
        },
        _ => return None,
    })
}

/// Renders a typed cell as the text the CSV output will hold.
pub(crate) fn lexical<'a>(value: &'a Value, buf: &'a mut String) -> &'a str {
    match value {
        Value::Text(s) | Value::Duration(s) | Value::Error(s) => s,
        Value::Empty => "",
        other => {
            buf.clear();
            let _ = write!(buf, "{}", other.display(DecimalStyle::Excel));
            buf
        }
    }
}

impl CompiledField {
    /// The strftime pattern of a date, datetime or time field with one.
    pub(crate) fn date_pattern(&self) -> Option<&str> {
        match &self.format {
            Format::Pattern { pattern, .. } => Some(pattern),
            _ => None,
        }
    }

    /// The texts a boolean field reads as true, in the schema's order.
    pub(crate) fn true_values(&self) -> &[String] {
        &self.true_values
    }

    /// The texts a boolean field reads as false, in the schema's order.
    pub(crate) fn false_values(&self) -> &[String] {
        &self.false_values
    }

    fn bound(
        &self,
        name: &str,
        v: &serde_json::Value,
        problem: &mut impl FnMut(String),
    ) -> Option<Bound> {
        let mut buf = String::new();
        // Bounds of date and time fields may be written in ISO form whatever the format.
        let iso = match (self.ty, v.as_str()) {
            (FieldType::Date, Some(s)) => lexical::parse_iso_date(s).map(Cast::Date),
            (FieldType::Datetime, Some(s)) => lexical::parse_iso_datetime(s).map(Cast::DateTime),
            (FieldType::Time, Some(s)) => lexical::parse_iso_time(s).map(Cast::Time),
            _ => None,
        };
        match iso.or_else(|| self.cast_json(v, &mut buf)) {
            Some(cast) => Some(Bound {
                value: cast.into_static()?,
                text: json_text(v),
            }),
            None => {
                problem(format!("{name} {v} is not {}", self.expected()));
                None
            }
        }
    }

    fn cast_json<'a>(&self, v: &serde_json::Value, buf: &'a mut String) -> Option<Cast<'a>> {
        let cell = json_cell(v)?;
        let cast = self.cast(&cell, buf)?;
        // Re-home borrowed text in the caller's buffer: the cell dies here.
        Some(match cast {
            Cast::Text(s) | Cast::Duration(s) => {
                let is_duration = matches!(cast, Cast::Duration(_));
                let owned = s.to_string();
                buf.clear();
                buf.push_str(&owned);
                if is_duration {
                    Cast::Duration(buf)
                } else {
                    Cast::Text(buf)
                }
            }
            Cast::Int(i) => Cast::Int(i),
            Cast::Num(f) => Cast::Num(f),
            Cast::Bool(b) => Cast::Bool(b),
            Cast::Date(d) => Cast::Date(d),
            Cast::DateTime(d) => Cast::DateTime(d),
            Cast::Time(t) => Cast::Time(t),
            Cast::Year(y) => Cast::Year(y),
            Cast::YearMonth(y, m) => Cast::YearMonth(y, m),
        })
    }

    /// Casts a cell that is neither missing nor an error cell; `None` when it is not of
    /// the field's type. Typed cells that already are the type skip the text entirely.
    pub(crate) fn cast<'a>(&self, value: &'a Value, buf: &'a mut String) -> Option<Cast<'a>> {
        let native = match (self.ty, value) {
            (FieldType::Any | FieldType::String, Value::Text(s))
                if self.format == Format::Default =>
            {
                Some(Cast::Text(s))
            }
            (FieldType::Number, Value::Int(i)) | (FieldType::Integer, Value::Int(i)) => {
                Some(Cast::Int(*i))
            }
            (FieldType::Number, Value::Float(x)) => Some(Cast::Num(*x)),
            (FieldType::Integer, Value::Float(x)) => {
                // A spreadsheet stores every number as a double; 3.0 is the integer 3.
                return (x.fract() == 0.0 && x.abs() < 9.2e18).then_some(Cast::Int(*x as i64));
            }
            (FieldType::Boolean, Value::Bool(b)) => Some(Cast::Bool(*b)),
            (FieldType::Date, Value::Date(d)) => Some(Cast::Date(*d)),
            (FieldType::Date, Value::DateTime(d)) if d.time() == NaiveTime::MIN => {
                Some(Cast::Date(d.date()))
            }
            (FieldType::Datetime, Value::DateTime(d)) => Some(Cast::DateTime(*d)),
            (FieldType::Time, Value::Time(t)) => Some(Cast::Time(*t)),
            _ => None,
        };
        if native.is_some() {
            return native;
        }
        let text = lexical(value, buf);
        self.parse(text)
    }

    /// Casts cell text.
    pub(crate) fn parse<'a>(&self, s: &'a str) -> Option<Cast<'a>> {
        let numeric = || {
            if self.bare_number {
                s
            } else {
                lexical::strip_non_bare(s)
            }
        };
        match self.ty {
            FieldType::Any => Some(Cast::Text(s)),
            FieldType::String => match self.format {
                Format::Email => lexical::is_email(s),
                Format::Uri => lexical::is_uri(s),
                Format::Uuid => lexical::is_uuid(s),
                Format::Binary => lexical::is_base64(s),
                _ => true,
            }
            .then_some(Cast::Text(s)),
            FieldType::Number => lexical::parse_number(numeric()).map(Cast::Num),
            FieldType::Integer => match lexical::parse_integer(numeric())? {
                Integer::Small(i) => Some(Cast::Int(i)),
                Integer::Big(f) => Some(Cast::Num(f)),
            },
            FieldType::Boolean => {
                if self.true_values.iter().any(|t| t == s) {
                    Some(Cast::Bool(true))
                } else if self.false_values.iter().any(|t| t == s) {
                    Some(Cast::Bool(false))
                } else {
                    None
                }
            }
            FieldType::Date => match &self.format {
                Format::Pattern { pattern, .. } => NaiveDate::parse_from_str(s, pattern).ok(),
                Format::Any => lexical::parse_iso_date(s).or_else(|| {
                    ANY_DATE
                        .iter()
                        .find_map(|p| NaiveDate::parse_from_str(s, p).ok())
                }),
                _ => lexical::parse_iso_date(s),
            }
            .map(Cast::Date),
            FieldType::Datetime => match &self.format {
                Format::Pattern {
                    pattern,
                    zoned: true,
                } => DateTime::parse_from_str(s, pattern)
                    .ok()
                    .map(|d| d.naive_utc()),
                Format::Pattern { pattern, .. } => NaiveDateTime::parse_from_str(s, pattern).ok(),
                Format::Any => lexical::parse_iso_datetime(s).or_else(|| {
                    ANY_DATETIME
                        .iter()
                        .find_map(|p| NaiveDateTime::parse_from_str(s, p).ok())
                }),
                _ => lexical::parse_iso_datetime(s),
            }
            .map(Cast::DateTime),
            FieldType::Time => match &self.format {
                Format::Pattern { pattern, .. } => NaiveTime::parse_from_str(s, pattern).ok(),
                Format::Any => lexical::parse_iso_time(s).or_else(|| {
                    ANY_TIME
                        .iter()
                        .find_map(|p| NaiveTime::parse_from_str(s, p).ok())
                }),
                _ => lexical::parse_iso_time(s),
            }
            // Chrono accepts a leap second as :60 with 1e9+ nanoseconds; the spec does not.
            .filter(|t| t.nanosecond() < 1_000_000_000)
            .map(Cast::Time),
            FieldType::Year => lexical::parse_year(s).map(Cast::Year),
            FieldType::Yearmonth => lexical::parse_yearmonth(s).map(|(y, m)| Cast::YearMonth(y, m)),
            FieldType::Duration => lexical::is_duration(s).then_some(Cast::Duration(s)),
        }
    }

    /// What a value of this field must be, for messages: `a date in the format %d/%m/%Y`.
    pub(crate) fn expected(&self) -> String {
        let pattern = |what: &str, iso: &str| match &self.format {
            Format::Pattern { pattern, .. } => format!("{what} in the format {pattern}"),
            Format::Any => format!("{what} in a recognised format"),
            _ => format!("{what} ({iso})"),
        };
        match self.ty {
            FieldType::String => match self.format {
                Format::Email => "an email address (name@example.ca)".into(),
                Format::Uri => "a URI (https://example.ca/page)".into(),
                Format::Uuid => "a UUID (8-4-4-4-12 hexadecimal digits)".into(),
                Format::Binary => "base64 text".into(),
                _ => "a string".into(),
            },
            FieldType::Any => "a value".into(),
            FieldType::Number => "a number".into(),
            FieldType::Integer => "an integer".into(),
            FieldType::Boolean => format!(
                "a boolean ({})",
                self.true_values
                    .iter()
                    .chain(&self.false_values)
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            FieldType::Date => pattern("a date", "YYYY-MM-DD"),
            FieldType::Datetime => pattern("a datetime", "YYYY-MM-DDThh:mm:ss"),
            FieldType::Time => pattern("a time", "hh:mm:ss"),
            FieldType::Year => "a year (YYYY)".into(),
            FieldType::Yearmonth => "a year and month (YYYY-MM)".into(),
            FieldType::Duration => "a duration (XML Schema, such as P1Y2M3DT4H or -P1D)".into(),
        }
    }
}

fn int_key(buf: &mut Vec<u8>, i: i64) {
    buf.push(b'i');
    buf.extend_from_slice(&i.to_le_bytes());
}

impl Cast<'_> {
    /// The value without borrowed text; `None` for text, which bounds never are.
    fn into_static(self) -> Option<Cast<'static>> {
        Some(match self {
            Cast::Text(_) | Cast::Duration(_) => return None,
            Cast::Int(i) => Cast::Int(i),
            Cast::Num(f) => Cast::Num(f),
            Cast::Bool(b) => Cast::Bool(b),
            Cast::Date(d) => Cast::Date(d),
            Cast::DateTime(d) => Cast::DateTime(d),
            Cast::Time(t) => Cast::Time(t),
            Cast::Year(y) => Cast::Year(y),
            Cast::YearMonth(y, m) => Cast::YearMonth(y, m),
        })
    }

    /// Whether the value is below (`Less`) or above (`Greater`) the bound; a value that
    /// cannot be compared (NaN) fails both bounds.
    pub(crate) fn outside(&self, bound: &Bound, fails: Ordering) -> bool {
        self.compare(&bound.value).is_none_or(|o| o == fails)
    }
}
