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
    /// Always a name: a sheet named `1` or `2024` is chosen by that name. A position is
    /// asked for on its own (`sheet_index`, `--sheet-index`), never guessed from digits.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(SheetSelector::Name(s.to_string()))
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
    /// `sheet = "Budget"` and `sheet = "2024"` are names. A bare number is refused rather
    /// than guessed: it may mean the sheet named so or a position (`sheet_index`).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Index(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Index(i) => Err(serde::de::Error::custom(format!(
                "sheet = {i} is a number: write sheet = \"{i}\" for the sheet named {i}, or sheet_index = {i} for the sheet at that 0-based position"
            ))),
            Raw::Text(s) => Ok(SheetSelector::Name(s)),
        }
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
    /// Characters in one cell (CSV field, spreadsheet cell). Default: 32,767, Excel's
    /// own limit: a longer cell cannot have been typed in a spreadsheet, and holding it
    /// would cost memory out of proportion to any table.
    pub max_cell_chars: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 512 << 20,
            max_uncompressed_bytes: 2 << 30,
            max_compression_ratio: 100,
            max_cells: 50_000_000,
            max_xml_depth: 64,
            max_cell_chars: 32_767,
        }
    }
}

/// How to find the table in a source.
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReadOptions {
    /// By name. Default: the first visible worksheet.
    pub sheet: Option<SheetSelector>,
    /// By 0-based position, hidden sheets counted; not with `sheet`.
    pub sheet_index: Option<usize>,
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

impl ReadOptions {
    /// The sheet asked for: `sheet` (a name) or `sheet_index` (a position), not both.
    ///
    /// # Errors
    /// [`super::ReadError::Options`] when both are given.
    pub(crate) fn sheet_selector(
        &self,
        file: &str,
    ) -> Result<Option<SheetSelector>, super::ReadError> {
        match (&self.sheet, self.sheet_index) {
            (Some(_), Some(_)) => Err(super::ReadError::Options {
                file: file.into(),
                detail: "both sheet and sheet_index are given; keep one".into(),
            }),
            (Some(s), None) => Ok(Some(s.clone())),
            (None, Some(i)) => Ok(Some(SheetSelector::Index(i))),
            (None, None) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_selector_text_is_always_a_name() {
        for text in ["0", "12", "2024", "Budget", "2024 plan"] {
            assert_eq!(
                text.parse::<SheetSelector>().ok(),
                Some(SheetSelector::Name(text.into())),
                "{text}"
            );
        }
        let o: ReadOptions = serde_json::from_str(r#"{"sheet": "2024"}"#).expect("a name");
        assert_eq!(
            o.sheet_selector("t").ok(),
            Some(Some(SheetSelector::Name("2024".into())))
        );
        let o: ReadOptions = serde_json::from_str(r#"{"sheet_index": 1}"#).expect("a position");
        assert_eq!(
            o.sheet_selector("t").ok(),
            Some(Some(SheetSelector::Index(1)))
        );
        let err =
            serde_json::from_str::<ReadOptions>(r#"{"sheet": 2}"#).expect_err("a bare number");
        assert!(err.to_string().contains("sheet_index = 2"), "{err}");
        let both: ReadOptions =
            serde_json::from_str(r#"{"sheet": "a", "sheet_index": 1}"#).expect("parses");
        assert!(both.sheet_selector("t").is_err());
    }

    #[test]
    fn options_deserialize_with_defaults_and_refuse_unknown_keys() {
        let o: ReadOptions = serde_json::from_str(r#"{"sheet_index": 2, "range": "B3:F200", "error_cells": "text", "limits": {"max_cells": 10}}"#).expect("valid options");
        assert_eq!(o.sheet_index, Some(2));
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
