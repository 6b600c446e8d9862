//! The convert stage: tables to open formats (CSV, JSON, NDJSON), each output hashed
//! while it is written.
//!
//! Pure over `Write`: the caller chooses where bytes go (a staging folder in a run,
//! stdout for `ogpipe convert`), so every converter is tested from byte slices.

pub mod csv;
pub mod json;

use std::io::{self, Write};
use std::sync::Arc;

use crate::checksum::{HashingWriter, Sha256Digest};
use crate::plan::manifest::OutputFormat;
use crate::screen::FormulaPolicy;
use crate::table::{DecimalStyle, Row, TableInfo, TableSink, TextRow, Value};
use crate::validate::{TableSchema, Typing};

/// How values are written.
#[derive(Debug, Clone, Default)]
pub struct ConvertOptions {
    pub decimals: DecimalStyle,
    pub formula: FormulaPolicy,
    /// A UTF-8 byte-order mark at the start of CSV files, for Excel users.
    pub csv_bom: bool,
    /// The table's schema, compiled: JSON types text by it, and CSV spells typed
    /// cells by it and neutralises only its text columns. `None`: no schema (`ogpipe
    /// convert`); every text cell is text.
    pub typing: Option<Arc<Typing>>,
}

impl ConvertOptions {
    /// These options for a table with `schema` (an empty schema means none).
    pub fn with_schema(mut self, schema: &TableSchema) -> Self {
        self.typing = if schema.fields.is_empty() {
            None
        } else {
            Typing::new(schema).map(Arc::new)
        };
        self
    }
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
                opts.typing.clone(),
            )?),
            OutputFormat::Json => OutputSink::Json(json::JsonSink::new(
                out,
                json::JsonLayout::Array,
                opts.decimals,
                opts.typing.clone(),
            )),
            OutputFormat::Ndjson => OutputSink::Json(json::JsonSink::new(
                out,
                json::JsonLayout::Lines,
                opts.decimals,
                opts.typing.clone(),
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
    fn text_row(&mut self, row: TextRow<'_>) -> io::Result<()> {
        match self {
            OutputSink::Csv(s) => s.text_row(row),
            OutputSink::Json(s) => s.text_row(row),
        }
    }
    fn takes_text(&self) -> bool {
        match self {
            OutputSink::Csv(s) => s.takes_text(),
            OutputSink::Json(s) => s.takes_text(),
        }
    }
    fn end(&mut self) -> io::Result<()> {
        match self {
            OutputSink::Csv(s) => s.end(),
            OutputSink::Json(s) => s.end(),
        }
    }
}

/// Appends `value` as [`Value::display`] writes it, without its per-call allocations:
/// the converters call this for every cell that is not text.
pub(crate) fn write_cell(out: &mut String, value: &Value, style: DecimalStyle) {
    use std::fmt::Write as _;
    match value {
        Value::Float(x) if x.is_finite() => write_float(out, *x, style),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        other => {
            let _ = write!(out, "{}", other.display(style));
        }
    }
}

/// A finite float as [`Value::display`] writes it (Excel's 15 significant digits, or the
/// shortest round trip; no `.0`; `-0` as `0`).
///
/// Fast path: when the shortest round-trip text has at most 15 significant digits,
/// rounding to 15 digits gives back the same double (the 15-digit grid is far coarser
/// than the float's spacing, and that text is on it), so Excel's text is that text.
/// Otherwise the rounding is done as `table.rs` does it, through a stack buffer.
fn write_float(out: &mut String, x: f64, style: DecimalStyle) {
    use std::fmt::Write as _;
    let start = out.len();
    let _ = write!(out, "{x}");
    let rounded = match style {
        DecimalStyle::RoundTrip => x,
        DecimalStyle::Excel if significant_digits(&out[start..]) <= 15 => x,
        DecimalStyle::Excel => {
            let mut buf = StackText::<40>::new();
            match write!(buf, "{x:.14e}") {
                Ok(()) => buf.as_str().parse::<f64>().unwrap_or(x),
                Err(_) => format!("{x:.14e}").parse::<f64>().unwrap_or(x),
            }
        }
    };
    if rounded == x && x != 0.0 && (x.fract() != 0.0 || x.abs() < 1e15) {
        // `{x}` of an integral float below 1e15 prints its integer digits, as `x as i64`
        // does, so the text already written stands.
        return;
    }
    out.truncate(start);
    let x = if rounded == 0.0 { 0.0 } else { rounded };
    if x.fract() == 0.0 && x.abs() < 1e15 {
        let _ = write!(out, "{}", x as i64);
    } else {
        let _ = write!(out, "{x}");
    }
}

/// Digits in a plain decimal text, leading zeros not counted (trailing ones are, which
/// only sends some integral values down the slow path).
fn significant_digits(text: &str) -> usize {
    text.bytes()
        .filter(u8::is_ascii_digit)
        .skip_while(|&b| b == b'0')
        .count()
}

/// A fixed-size text buffer for formatting without allocating.
struct StackText<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> StackText<N> {
    fn new() -> Self {
        StackText {
            buf: [0; N],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        // Only whole `&str`s are ever copied in, so the bytes are UTF-8.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl<const N: usize> std::fmt::Write for StackText<N> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > N {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `write_cell` must give exactly `Value::display`'s text, whichever path it takes.
    #[test]
    fn cells_are_written_as_display_writes_them() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut values = vec![
            0.1 + 0.2,
            -0.0,
            0.0,
            42.0,
            -7.0,
            1e15,
            1e15 - 1.0,
            999_999_999_999_999.4,
            1e20,
            9_007_199_254_740_993.0,
            1e-10,
            1.0 / 3.0,
            -2.0 / 3.0,
            1234.5678,
            0.125,
            1e300,
            -1e-300,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            123_456_789_012_345.67,
            0.999_999_999_999_999_9,
            9.999_999_999_999_995,
        ];
        for _ in 0..20_000 {
            values.push(rng.f64() * 1000.0);
            values.push(f64::from(rng.u32(..)) * 0.1);
            values.push(f64::from(rng.u32(..)) / 100.0);
            values.push(f64::from_bits(rng.u64(..)));
            values.push((rng.f64() - 0.5) * 10f64.powi(rng.i32(-20..25)));
        }
        let mut out = String::new();
        for x in values {
            for style in [DecimalStyle::Excel, DecimalStyle::RoundTrip] {
                let v = Value::Float(x);
                out.clear();
                write_cell(&mut out, &v, style);
                assert_eq!(out, v.display(style).to_string(), "{x:e} {style:?}");
            }
        }
        for v in [
            Value::Int(-12),
            Value::Bool(true),
            Value::Empty,
            Value::Float(f64::NAN),
            Value::Float(f64::NEG_INFINITY),
        ] {
            out.clear();
            write_cell(&mut out, &v, DecimalStyle::Excel);
            assert_eq!(out, v.display(DecimalStyle::Excel).to_string());
        }
    }
}
