//! The convert stage: tables to open formats (CSV, JSON, NDJSON), each output hashed
//! while it is written.
//!
//! Pure over `Write`: the caller chooses where bytes go (a staging folder in a run,
//! stdout for `ogpipe convert`), so every converter is tested from byte slices.

pub mod csv;
pub mod json;

use std::io::{self, Write};

use crate::checksum::{HashingWriter, Sha256Digest};
use crate::plan::manifest::OutputFormat;
use crate::screen::FormulaPolicy;
use crate::table::{DecimalStyle, Row, TableInfo, TableSink};
pub use json::JsonType;

/// How values are written.
#[derive(Debug, Clone, Default)]
pub struct ConvertOptions {
    pub decimals: DecimalStyle,
    pub formula: FormulaPolicy,
    /// A UTF-8 byte-order mark at the start of CSV files, for Excel users.
    pub csv_bom: bool,
    /// Per column, how JSON types text (from the table's schema).
    pub json_types: Vec<JsonType>,
}

/// One output being written, hashed as it goes.
// Only a few exist at a time (one per output of one resource), so size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum OutputSink<W: Write> {
    Csv(csv::CsvSink<HashingWriter<W>>),
    Json(json::JsonSink<HashingWriter<W>>),
}

/// What an output came to once written.
#[derive(Debug, Clone)]
pub struct Written<W> {
    pub inner: W,
    pub sha256: Sha256Digest,
    pub bytes: u64,
    /// Cells changed so spreadsheets will not run them as formulas (CSV only).
    pub neutralised: Vec<csv::Neutralised>,
    pub neutralised_count: u64,
}

impl<W: Write> OutputSink<W> {
    /// # Errors
    /// The first bytes (a CSV byte-order mark) could not be written.
    pub fn new(format: OutputFormat, out: W, opts: &ConvertOptions) -> io::Result<Self> {
        let out = HashingWriter::new(out);
        Ok(match format {
            OutputFormat::Csv => OutputSink::Csv(csv::CsvSink::new(
                out,
                opts.decimals,
                opts.formula,
                opts.csv_bom,
            )?),
            OutputFormat::Json => OutputSink::Json(json::JsonSink::new(
                out,
                json::JsonLayout::Array,
                opts.decimals,
                opts.json_types.clone(),
            )),
            OutputFormat::Ndjson => OutputSink::Json(json::JsonSink::new(
                out,
                json::JsonLayout::Lines,
                opts.decimals,
                opts.json_types.clone(),
            )),
        })
    }

    /// Flushes the output and returns its digest and size.
    ///
    /// # Errors
    /// The final flush failed.
    pub fn finish(self) -> io::Result<Written<W>> {
        let (hashing, neutralised, neutralised_count) = match self {
            OutputSink::Csv(s) => {
                let (n, c) = (s.neutralised.clone(), s.neutralised_count);
                (s.into_inner()?, n, c)
            }
            OutputSink::Json(s) => (s.into_inner(), Vec::new(), 0),
        };
        let (inner, sha256, bytes) = hashing.finish()?;
        Ok(Written {
            inner,
            sha256,
            bytes,
            neutralised,
            neutralised_count,
        })
    }
}

impl<W: Write> TableSink for OutputSink<W> {
    fn begin(&mut self, info: &TableInfo) -> io::Result<()> {
        match self {
            OutputSink::Csv(s) => s.begin(info),
            OutputSink::Json(s) => s.begin(info),
        }
    }
    fn row(&mut self, row: Row<'_>) -> io::Result<()> {
        match self {
            OutputSink::Csv(s) => s.row(row),
            OutputSink::Json(s) => s.row(row),
        }
    }
    fn end(&mut self) -> io::Result<()> {
        match self {
            OutputSink::Csv(s) => s.end(),
            OutputSink::Json(s) => s.end(),
        }
    }
}
