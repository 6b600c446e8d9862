//! The Frictionless Table Schema descriptor (<https://specs.frictionlessdata.io/table-schema/>)
//! as ogpipe accepts it, read and written with serde.
//!
//! ogpipe accepts a strict subset of the spec: every key it reads is one it enforces.
//! Unknown keys (a misspelt `"constrains"`, or `foreignKeys`, which one table cannot
//! check) are refused rather than ignored, because an ignored rule would let
//! non-conforming data be published. `schemas/table-schema.json` is the readable source
//! of truth for this subset and must stay in step with these types.
//!
//! [`TableSchema::from_json`] only parses; [`TableSchema::check`] finds every semantic
//! problem (bad regex, unknown primary-key field, a constraint that does not apply to its
//! type) so a preflight can list them all at once. [`crate::validate::Validator::new`]
//! refuses a schema that `check` does not pass.

use serde::{Deserialize, Deserializer, Serialize};

use super::ValidateError;

/// A Table Schema: the fields of a table, in column order, and table-level rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TableSchema {
    pub fields: Vec<Field>,
    /// Field names that together identify a row. The spec allows a single string or an
    /// array; both read into this list. Default: none.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub primary_key: Vec<String>,
    /// Cell texts that mean "no value". Default: `[""]`.
    #[serde(default = "default_missing_values")]
    pub missing_values: Vec<String>,
}

impl Default for TableSchema {
    fn default() -> Self {
        TableSchema {
            fields: Vec::new(),
            primary_key: Vec::new(),
            missing_values: default_missing_values(),
        }
    }
}

fn default_missing_values() -> Vec<String> {
    vec![String::new()]
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// One column of the table.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Field {
    pub name: String,
    /// Default: `string`.
    #[serde(rename = "type", default)]
    pub field_type: FieldType,
    /// `default` when absent. Strings: `email`, `uri`, `uuid`, `binary`. Dates and times:
    /// `any` or a strftime pattern such as `%d/%m/%Y` (a legacy `fmt:` prefix is allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Constraints::is_empty")]
    pub constraints: Constraints,
    /// Boolean fields only. Default: `["true", "True", "TRUE", "1"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub true_values: Option<Vec<String>>,
    /// Boolean fields only. Default: `["false", "False", "FALSE", "0"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub false_values: Option<Vec<String>>,
    /// Number and integer fields only. When false, non-numeric characters before and
    /// after the number (`€95`, `95%`) are stripped. Default: true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bare_number: Option<bool>,
    /// Documentation only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<serde_json::Value>,
    /// Documentation only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rdf_type: Option<String>,
}

impl Field {
    /// A field with no format and no constraints.
    pub fn new(name: impl Into<String>, field_type: FieldType) -> Field {
        Field {
            name: name.into(),
            field_type,
            ..Field::default()
        }
    }
}

/// The Table Schema field types ogpipe checks. `geopoint`, `geojson`, `object` and
/// `array` are not accepted (there is no published data of those kinds yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum FieldType {
    #[default]
    String,
    Number,
    Integer,
    Boolean,
    Date,
    Datetime,
    Time,
    Year,
    Yearmonth,
    Duration,
    Any,
}

impl FieldType {
    /// The name the spec uses: `"yearmonth"`.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Number => "number",
            FieldType::Integer => "integer",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Time => "time",
            FieldType::Year => "year",
            FieldType::Yearmonth => "yearmonth",
            FieldType::Duration => "duration",
            FieldType::Any => "any",
        }
    }
}

/// The rules a field's values must meet. Default: none.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Constraints {
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// Unique across the whole table; missing values are not compared.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    /// In Unicode characters, not bytes. String fields only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// A JSON number, or a string in the field's own type (`"2020-01-01"`). Number,
    /// integer, date, datetime, time, year and yearmonth fields only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum: Option<serde_json::Value>,
    /// A regular expression the *whole* value must match. String fields only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// The allowed values, compared after casting to the field's type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#enum: Option<Vec<serde_json::Value>>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Constraints {
    pub fn is_empty(&self) -> bool {
        *self == Constraints::default()
    }
}

impl TableSchema {
    /// Reads a Table Schema descriptor.
    ///
    /// # Errors
    /// [`ValidateError::Parse`] when the text is not JSON or does not have the shape of a
    /// descriptor ogpipe accepts (unknown keys included). Semantic problems are left to
    /// [`TableSchema::check`].
    pub fn from_json(text: &str) -> Result<TableSchema, ValidateError> {
        serde_json::from_str(text).map_err(|source| ValidateError::Parse { source })
    }

    /// The descriptor as indented JSON, keys in spec order.
    pub fn to_json_pretty(&self) -> String {
        // safety: the types hold only strings, numbers, bools and JSON values, which
        // always serialize; the expect can never fire.
        serde_json::to_string_pretty(self).expect("table schema serializes")
    }

    /// Every problem with the schema itself, as lowercase messages naming the field.
    /// Empty when the schema can be used to validate.
    pub fn check(&self) -> Vec<String> {
        match super::compile::compile(self) {
            Ok(_) => Vec::new(),
            Err(problems) => problems,
        }
    }

    /// The field names, in column order.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|f| f.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primary_key_reads_from_string_or_array() {
        for (json, want) in [
            (r#"{"fields":[],"primaryKey":"id"}"#, vec!["id"]),
            (
                r#"{"fields":[],"primaryKey":["id","year"]}"#,
                vec!["id", "year"],
            ),
            (r#"{"fields":[]}"#, vec![]),
        ] {
            let s = TableSchema::from_json(json).unwrap();
            assert_eq!(s.primary_key, want, "{json}");
        }
    }

    #[test]
    fn defaults_follow_the_spec() {
        let s = TableSchema::from_json(r#"{"fields":[{"name":"a"}]}"#).unwrap();
        assert_eq!(s.missing_values, vec![""]);
        assert_eq!(s.fields[0].field_type, FieldType::String);
        assert!(s.fields[0].constraints.is_empty());
    }

    #[test]
    fn unknown_keys_are_refused_not_ignored() {
        for json in [
            r#"{"fields":[{"name":"a","constrains":{"required":true}}]}"#,
            r#"{"fields":[{"name":"a","constraints":{"minimun":1}}]}"#,
            r#"{"fields":[],"foreignKeys":[]}"#,
            r#"{"fields":[{"name":"a","type":"geopoint"}]}"#,
        ] {
            assert!(
                matches!(
                    TableSchema::from_json(json),
                    Err(ValidateError::Parse { .. })
                ),
                "{json}"
            );
        }
    }

    #[test]
    fn json_round_trips() {
        let json = r#"{
  "fields": [
    {
      "name": "id",
      "type": "integer",
      "constraints": {
        "required": true,
        "minimum": 1
      }
    },
    {
      "name": "when",
      "type": "date",
      "format": "%d/%m/%Y"
    }
  ],
  "primaryKey": [
    "id"
  ],
  "missingValues": [
    "",
    "NA"
  ]
}"#;
        let s = TableSchema::from_json(json).unwrap();
        assert_eq!(s.to_json_pretty(), json);
    }

    /// `schemas/table-schema.json` is the readable source of truth; this keeps its key
    /// lists and these serde types from drifting apart.
    #[test]
    fn json_schema_file_lists_exactly_the_keys_serde_accepts() {
        let file: serde_json::Value =
            serde_json::from_str(include_str!("../../schemas/table-schema.json")).unwrap();
        let keys = |v: &serde_json::Value| {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        let constraints = Constraints {
            required: true,
            unique: true,
            min_length: Some(1),
            max_length: Some(1),
            minimum: Some(1.into()),
            maximum: Some(1.into()),
            pattern: Some("x".into()),
            r#enum: Some(vec![]),
        };
        let field = Field {
            format: Some("x".into()),
            title: Some("x".into()),
            description: Some("x".into()),
            constraints: constraints.clone(),
            true_values: Some(vec![]),
            false_values: Some(vec![]),
            bare_number: Some(true),
            example: Some(1.into()),
            rdf_type: Some("x".into()),
            ..Field::new("a", FieldType::Any)
        };
        let schema = TableSchema {
            fields: vec![field.clone()],
            primary_key: vec!["a".into()],
            ..TableSchema::default()
        };
        fn ser<T: Serialize>(value: &T) -> serde_json::Value {
            serde_json::to_value(value).unwrap()
        }
        assert_eq!(keys(&ser(&schema)), keys(&file["properties"]));
        assert_eq!(
            keys(&ser(&field)),
            keys(&file["$defs"]["field"]["properties"])
        );
        assert_eq!(
            keys(&ser(&constraints)),
            keys(&file["$defs"]["constraints"]["properties"])
        );
        let types: Vec<&str> = [
            FieldType::String,
            FieldType::Number,
            FieldType::Integer,
            FieldType::Boolean,
            FieldType::Date,
            FieldType::Datetime,
            FieldType::Time,
            FieldType::Year,
            FieldType::Yearmonth,
            FieldType::Duration,
            FieldType::Any,
        ]
        .map(FieldType::as_str)
        .to_vec();
        let listed: Vec<&str> = file["$defs"]["field"]["properties"]["type"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(types, listed);
        for ty in types {
            let parsed: FieldType = serde_json::from_value(ty.into()).unwrap();
            assert_eq!(parsed.as_str(), ty);
        }
    }
}
