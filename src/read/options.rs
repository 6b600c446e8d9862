//! Read options as a manifest gives them (serde, `deny_unknown_fields`).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Which sheet of a workbook to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SheetSelector {
    Name(String),
    /// 0-based, in workbook order, hidden sheets counted.
    Index(usize),
}

impl FromStr for SheetSelector {
    type Err = std::convert::Infallible;
    /// A number is an index, anything else a name.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().parse::<usize>() {
            Ok(i) => SheetSelector::Index(i),
            Err(_) => SheetSelector::Name(s.to_string()),
        })
    }
}

impl fmt::Display for SheetSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SheetSelector::Name(n) => write!(f, "\"{n}\""),
            SheetSelector::Index(i) => write!(f, "number {i} (0-based)"),
        }
    }
}

impl<'de> serde::Deserialize<'de> for SheetSelector {
    /// `sheet = 2` is an index; `sheet = "Budget"` a name; `sheet = "2"` an index too.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Index(usize),
            Text(String),
        }
        Ok(match Raw::deserialize(d)? {
            Raw::Index(i) => SheetSelector::Index(i),
            Raw::Text(s) => match s.parse() {
                Ok(sel) => sel,
                Err(never) => match never {},
            },
        })
    }
}

/// What to do with spreadsheet error cells (`#N/A`, `#DIV/0!`).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Deserialize,
    serde::Serialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCellPolicy {
    /// Keep them as `Value::Error` so a later stage reports them. Default.
    #[default]
    Report,
    /// Read them as empty cells.
    Empty,
    /// Read them as their text (`#N/A`).
    Text,
}

/// One XML column: its name and where its value is relative to the record element.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XmlField {
    pub name: String,
    /// `title`, `author/name`, `@lang`, `title/@xml:lang`; prefixes from `namespaces`.
    pub path: String,
}

/// Safety limits. Every field has a default; raise one only for a trusted file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Size of the input file. Default: 512 MiB.
    pub max_input_bytes: u64,
    /// Uncompressed size of one zip part, and of all parts together. Default: 2 GiB.
    pub max_uncompressed_bytes: u64,
    /// Uncompressed / compressed size of a zip part. Default: 100.
    pub max_compression_ratio: u32,
    /// Cells read from one sheet or file. Default: 50,000,000.
    pub max_cells: u64,
    /// Element nesting in XML. Default: 64.
    pub max_xml_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 512 << 20,
            max_uncompressed_bytes: 2 << 30,
            max_compression_ratio: 100,
            max_cells: 50_000_000,
            max_xml_depth: 64,
        }
    }
}

/// How to find the table in a source.
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReadOptions {
    /// Default: the first visible worksheet.
    pub sheet: Option<SheetSelector>,
    /// 1-based. Default: the first non-empty row (within `range`).
    pub header_row: Option<u32>,
    /// A cell range such as `B3:F200`. Default: the whole sheet.
    pub range: Option<String>,
    /// XML: path of the repeating element, e.g. `/publications/publication`.
    pub record_path: Option<String>,
    /// XML: the columns. Default (empty): flatten each record (see [`super::xml`]).
    pub fields: Vec<XmlField>,
    /// XML: prefix → namespace URI, for `record_path` and `fields`.
    pub namespaces: BTreeMap<String, String>,
    /// Default: `report`.
    pub error_cells: ErrorCellPolicy,
    pub limits: Limits,
    /// CSV: hand each row over at its own width (a short row with fewer cells, a long
    /// one with its extra cells) instead of padding short rows and refusing long ones,
    /// so `ogpipe validate` can report both as violations. Not a setting: the tools set
    /// it. Default: false.
    #[serde(skip)]
    pub ragged_rows: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_selector_reads_numbers_as_indexes() {
        for (text, want) in [
            ("0", SheetSelector::Index(0)),
            ("12", SheetSelector::Index(12)),
            ("Budget", SheetSelector::Name("Budget".into())),
            ("2024 plan", SheetSelector::Name("2024 plan".into())),
        ] {
            assert_eq!(text.parse::<SheetSelector>().ok(), Some(want), "{text}");
        }
    }

    #[test]
    fn options_deserialize_with_defaults_and_refuse_unknown_keys() {
        let o: ReadOptions = serde_json::from_str(r#"{"sheet": 2, "range": "B3:F200", "error_cells": "text", "limits": {"max_cells": 10}}"#).expect("valid options");
        assert_eq!(o.sheet, Some(SheetSelector::Index(2)));
        assert_eq!(o.error_cells, ErrorCellPolicy::Text);
        assert_eq!(
            o.limits,
            Limits {
                max_cells: 10,
                ..Limits::default()
            }
        );
        let o: ReadOptions = serde_json::from_str(r#"{"sheet": "Budget"}"#).expect("valid options");
        assert_eq!(o.sheet, Some(SheetSelector::Name("Budget".into())));
        for bad in [
            r#"{"shet": 1}"#,
            r#"{"limits": {"max_rows": 1}}"#,
            r#"{"error_cells": "ignore"}"#,
        ] {
            assert!(serde_json::from_str::<ReadOptions>(bad).is_err(), "{bad}");
        }
    }
}
