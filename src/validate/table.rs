//! The validator: a [`TableSink`] that checks every row against a compiled Table Schema
//! in the same pass as conversion, and hands back a [`Report`].
//!
//! Contract: pure and synchronous; data violations are results in the report, never
//! `Err` (the sink methods always return `Ok`). One `Validator` checks one table.
//!
//! Cost: the schema is compiled once in [`Validator::new`] (regexes anchored and
//! compiled, bounds and enum values cast). Per cell, text cells are checked in place
//! and typed cells either match their type directly or are rendered into one reused
//! buffer; a violation allocates only while it is being kept. Unique and primary-key
//! checks must remember values: one entry per distinct value in a [`KeySet`], holding
//! its key (the text, or a short binary encoding of a typed value) and the row that first
//! had it, roughly 40 bytes + the value's length. For a 1M-row table with one unique
//! 10-character column that is about 60 MB. A primary-key cell is cast once: its key is
//! taken from the cell check, not worked out again for the row.
//!
//! Cells are matched to fields by position, as the spec's "same names, same order"
//! header rule implies; header differences are reported once, on the header row.

use std::cmp::Ordering;
use std::io;

use super::compile::{compile, lexical, Cast, CompiledField, CompiledSchema};
use super::keyset::KeySet;
use super::report::{Report, Violation, ViolationRule};
use super::schema::TableSchema;
use super::ValidateError;
use crate::table::{DecimalStyle, Row, TableInfo, TableSink, Value};

/// Checks a table against a Table Schema. See the module docs for cost.
#[derive(Debug)]
pub struct Validator {
    schema: CompiledSchema,
    max_violations: usize,
    info: TableInfo,
    report: Report,
    /// Per field: the values seen, for fields with `unique`.
    unique: Vec<Option<KeySet>>,
    primary_key: KeySet,
    /// Per field: its place in the primary key, if it is part of it.
    pk_place: Vec<Option<usize>>,
    /// This row's key of each primary-key field, in primary-key order.
    pk_parts: Vec<Vec<u8>>,
    text_buf: String,
    key_buf: Vec<u8>,
    pk_buf: Vec<u8>,
    /// Rows arrive at their own width (see [`Validator::ragged_rows`]).
    ragged: bool,
}

impl Validator {
    /// Compiles `schema`; the report will keep the first `max_violations` violations and
    /// count all of them.
    ///
    /// # Errors
    /// [`ValidateError::Schema`] listing every problem [`TableSchema::check`] finds.
    pub fn new(schema: &TableSchema, max_violations: usize) -> Result<Validator, ValidateError> {
        let schema = compile(schema).map_err(|problems| ValidateError::Schema {
            detail: problems.join("; "),
        })?;
        Ok(Validator {
            unique: schema
                .fields
                .iter()
                .map(|f| f.unique.then(KeySet::default))
                .collect(),
            pk_place: (0..schema.fields.len())
                .map(|i| schema.primary_key.iter().position(|&k| k == i))
                .collect(),
            pk_parts: vec![Vec::new(); schema.primary_key.len()],
            schema,
            max_violations,
            info: TableInfo::default(),
            report: Report::default(),
            primary_key: KeySet::default(),
            text_buf: String::new(),
            key_buf: Vec::new(),
            pk_buf: Vec::new(),
            ragged: false,
        })
    }

    /// Rows come at their own width, as a CSV has them (`ReadOptions::ragged_rows`): a
    /// row shorter than the header is missing its last cells, each a `missing-cell`
    /// violation, and every cell past the header is an `extra-cell` one, empty or not.
    /// Without it, rows are taken as padded (a spreadsheet's trailing empty cells are
    /// not missing), and only non-empty cells past the schema are extra.
    pub fn ragged_rows(mut self) -> Validator {
        self.ragged = true;
        self
    }

    /// The report for everything pushed so far.
    pub fn finish(self) -> Report {
        self.report
    }

    fn check_headers(&mut self) {
        let headers = std::mem::take(&mut self.info.headers);
        let row = self.info.header_row;
        let fields = &self.schema.fields;
        let (report, max) = (&mut self.report, self.max_violations);
        let n = headers.len().max(fields.len());
        for i in 0..n {
            let column = Some(self.info.column_letter(i));
            match (headers.get(i), fields.get(i)) {
                (Some(h), Some(f)) if *h == f.name => {}
                (Some(h), Some(f)) => push(report, max, || Violation {
                    row,
                    column,
                    field: Some(f.name.clone()),
                    value: Some(h.clone()),
                    rule: ViolationRule::HeaderMismatch,
                    message: format!("header is \"{h}\", expected \"{}\"", f.name),
                }),
                (None, Some(f)) => push(report, max, || Violation {
                    row,
                    column,
                    field: Some(f.name.clone()),
                    value: None,
                    rule: ViolationRule::MissingHeader,
                    message: format!("header \"{}\" is missing; the table ends before it", f.name),
                }),
                (Some(h), None) => push(report, max, || Violation {
                    row,
                    column,
                    field: Some(h.clone()),
                    value: Some(h.clone()),
                    rule: ViolationRule::ExtraHeader,
                    message: format!(
                        "header \"{h}\" is not in the schema, which has {} fields",
                        fields.len()
                    ),
                }),
                (None, None) => {}
            }
        }
        self.info.headers = headers;
    }
}

/// Counts a violation and keeps it while under the limit; `make` runs only then, so a
/// table full of violations does not allocate for the ones not kept.
fn push(report: &mut Report, max: usize, make: impl FnOnce() -> Violation) {
    report.total_violations += 1;
    if report.violations.len() < max {
        report.violations.push(make());
    } else {
        report.truncated = true;
    }
}

/// Where a cell is, for building a violation.
struct Place<'a> {
    info: &'a TableInfo,
    row: u64,
    column: usize,
    field: &'a CompiledField,
}

impl Place<'_> {
    fn violation(&self, value: &Value, rule: ViolationRule, message: String) -> Violation {
        Violation {
            row: self.row,
            column: Some(self.info.column_letter(self.column)),
            field: Some(
                self.info
                    .headers
                    .get(self.column)
                    .unwrap_or(&self.field.name)
                    .clone(),
            ),
            value: (!value.is_empty()).then(|| value.display(DecimalStyle::Excel).to_string()),
            rule,
            message,
        }
    }
}

/// What a cell turned out to be, for the row-level primary-key check.
enum CellState {
    Missing,
    Invalid,
    Valid,
}

impl TableSink for Validator {
    fn begin(&mut self, info: &TableInfo) -> io::Result<()> {
        self.info = info.clone();
        self.report.source = info.source.clone();
        self.report.sheet = info.sheet.clone();
        self.check_headers();
        Ok(())
    }

    fn row(&mut self, row: Row<'_>) -> io::Result<()> {
        self.report.rows_checked += 1;
        let Validator {
            schema,
            max_violations,
            info,
            report,
            unique,
            primary_key,
            pk_place,
            pk_parts,
            text_buf,
            key_buf,
            pk_buf,
            ragged,
        } = self;
        let max = *max_violations;
        let empty = Value::Empty;
        if row.cells.len() > 1 && row.cells.iter().all(Value::is_empty) {
            // A blank row is one violation, not one per required cell. In a table of one
            // column an empty row is that column's empty value, checked as such.
            push(report, max, || Violation {
                row: row.number,
                column: None,
                field: None,
                value: None,
                rule: ViolationRule::BlankRow,
                message: "row is blank; remove it or fill it in".into(),
            });
            return Ok(());
        }
        let width = info.headers.len().max(schema.fields.len());
        let mut pk_complete = true;
        for (i, field) in schema.fields.iter().enumerate() {
            if *ragged && i >= row.cells.len() && i < width {
                pk_complete = false;
                push(report, max, || Violation {
                    row: row.number,
                    column: Some(info.column_letter(i)),
                    field: Some(field.name.clone()),
                    value: None,
                    rule: ViolationRule::MissingCell,
                    message: format!(
                        "row has {} cells and ends before \"{}\"; expected {width}",
                        row.cells.len(),
                        field.name
                    ),
                });
                continue;
            }
            let value = row.cells.get(i).unwrap_or(&empty);
            let place = Place {
                info: &*info,
                row: row.number,
                column: i,
                field,
            };
            key_buf.clear();
            let state = check_cell(
                schema,
                field,
                value,
                &place,
                report,
                max,
                text_buf,
                key_buf,
                unique[i].as_mut(),
                pk_place[i].is_some(),
            );
            if let Some(p) = pk_place[i] {
                match state {
                    CellState::Valid => {
                        pk_parts[p].clear();
                        pk_parts[p].extend_from_slice(key_buf);
                    }
                    CellState::Invalid => pk_complete = false,
                    CellState::Missing => {
                        pk_complete = false;
                        push(report, max, || {
                            place.violation(
                                value,
                                ViolationRule::PrimaryKey,
                                format!(
                                    "\"{}\" is part of the primary key and must have a value",
                                    field.name
                                ),
                            )
                        });
                    }
                }
            }
        }
        if !schema.primary_key.is_empty() && pk_complete {
            // Keys are joined in primary-key order, not column order, so equal keys are
            // equal bytes whatever the columns' order; each part carries its length.
            let key: &[u8] = if let [only] = pk_parts.as_slice() {
                only
            } else {
                pk_buf.clear();
                pk_parts.iter().for_each(|p| pk_buf.extend_from_slice(p));
                pk_buf
            };
            if let Some(first) = primary_key.first_or_insert(key, row.number) {
                push(report, max, || {
                    let names: Vec<&str> = schema
                        .primary_key
                        .iter()
                        .map(|&i| schema.fields[i].name.as_str())
                        .collect();
                    let values: Vec<String> = schema
                        .primary_key
                        .iter()
                        .map(|&i| {
                            let v = row.cells.get(i).unwrap_or(&empty);
                            v.display(DecimalStyle::Excel).to_string()
                        })
                        .collect();
                    let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
                    let single = names.len() == 1;
                    Violation {
                        row: row.number,
                        column: single.then(|| info.column_letter(schema.primary_key[0])),
                        field: Some(names.join(", ")),
                        value: Some(values.join(", ")),
                        rule: ViolationRule::PrimaryKey,
                        message: format!(
                            "primary key ({}) = ({}) repeats row {first}; keys must be unique",
                            names.join(", "),
                            quoted.join(", ")
                        ),
                    }
                });
            }
        }
        let extra_from = if *ragged { width } else { schema.fields.len() };
        for (i, value) in row.cells.iter().enumerate().skip(extra_from) {
            if *ragged || !value.is_empty() {
                push(report, max, || Violation {
                    row: row.number,
                    column: Some(info.column_letter(i)),
                    field: info.headers.get(i).cloned(),
                    value: Some(value.display(DecimalStyle::Excel).to_string()),
                    rule: ViolationRule::ExtraCell,
                    message: if *ragged {
                        format!("row has {} cells; the header has {width}", row.cells.len())
                    } else {
                        format!(
                            "cell is beyond the schema's {} fields; expected it empty",
                            schema.fields.len()
                        )
                    },
                });
            }
        }
        Ok(())
    }

    fn end(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Checks one cell against its field and reports what it was.
#[allow(clippy::too_many_arguments)] // disjoint borrows of the validator's parts
fn check_cell(
    schema: &CompiledSchema,
    field: &CompiledField,
    value: &Value,
    place: &Place<'_>,
    report: &mut Report,
    max: usize,
    text_buf: &mut String,
    key_buf: &mut Vec<u8>,
    seen: Option<&mut KeySet>,
    want_key: bool,
) -> CellState {
    let missing = match value {
        Value::Empty => schema.missing_values.iter().any(|m| m.is_empty()),
        Value::Text(s) | Value::Error(s) => schema.missing_values.iter().any(|m| m == s),
        other if schema.missing_typed => {
            let text = lexical(other, text_buf);
            schema.missing_values.iter().any(|m| m == text)
        }
        _ => false,
    };
    let mut violate = |rule, message: String| {
        push(report, max, || place.violation(value, rule, message));
    };
    if missing {
        if field.required {
            violate(
                ViolationRule::Required,
                format!("\"{}\" is required but the cell is empty", field.name),
            );
        }
        return CellState::Missing;
    }
    if let Value::Error(e) = value {
        violate(
            ViolationRule::ErrorCell,
            format!(
                "cell holds the spreadsheet error \"{e}\"; expected {}",
                field.expected()
            ),
        );
        return CellState::Invalid;
    }
    let Some(cast) = field.cast(value, text_buf) else {
        violate(
            ViolationRule::Type,
            format!(
                "\"{}\" is not {}",
                value.display(DecimalStyle::Excel),
                field.expected()
            ),
        );
        return CellState::Invalid;
    };
    if let Cast::Text(s) = cast {
        // Lengths are in characters. A character is 1 to 4 bytes, so the byte length
        // alone clears most cells, and only a cell near a bound is counted.
        let bytes = s.len();
        let may_be_short = field.min_length.is_some_and(|min| bytes.div_ceil(4) < min);
        let may_be_long = field.max_length.is_some_and(|max| bytes > max);
        if may_be_short || may_be_long {
            let n = s.chars().count();
            if let Some(min) = field.min_length.filter(|&min| n < min) {
                violate(
                    ViolationRule::MinLength,
                    format!("\"{s}\" has {n} characters; expected at least {min}"),
                );
            }
            if let Some(max) = field.max_length.filter(|&max| n > max) {
                violate(
                    ViolationRule::MaxLength,
                    format!("\"{s}\" has {n} characters; expected at most {max}"),
                );
            }
        }
        if let Some((re, pattern)) = &field.pattern {
            if !re.is_match(s) {
                violate(
                    ViolationRule::Pattern,
                    format!("\"{s}\" does not match the pattern {pattern}"),
                );
            }
        }
    }
    let shown = || value.display(DecimalStyle::Excel);
    if let Some(min) = field
        .minimum
        .as_ref()
        .filter(|b| cast.outside(b, Ordering::Less))
    {
        violate(
            ViolationRule::Minimum,
            format!("{} is less than the minimum {}", shown(), min.text),
        );
    }
    if let Some(max) = field
        .maximum
        .as_ref()
        .filter(|b| cast.outside(b, Ordering::Greater))
    {
        violate(
            ViolationRule::Maximum,
            format!("{} is more than the maximum {}", shown(), max.text),
        );
    }
    if want_key || field.enumeration.is_some() || seen.is_some() {
        cast.write_key(key_buf);
    }
    if let Some((keys, listed)) = &field.enumeration {
        if !keys.contains(key_buf) {
            violate(
                ViolationRule::Enum,
                format!("\"{}\" is not one of {listed}", shown()),
            );
        }
    }
    if let Some(first) = seen.and_then(|seen| seen.first_or_insert(key_buf, place.row)) {
        violate(
            ViolationRule::Unique,
            format!("\"{}\" repeats row {first}; values must be unique", shown()),
        );
    }
    // A cell of the right type that breaks a constraint still has a key for the
    // primary-key check, so it counts as valid there.
    CellState::Valid
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
