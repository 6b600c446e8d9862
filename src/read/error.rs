//! The read stage's error type. Messages are lowercase, name the file (and sheet, row,
//! column where known) and say what to do.

use std::io;

/// Why a table could not be read. Data problems found later (bad values) are not here:
/// they are the validator's results.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    #[error(
        "file \"{file}\": {detail}; check that the file opens in its application and re-export it"
    )]
    Corrupt { file: String, detail: String },

    #[error("file \"{file}\" is password-protected or encrypted; remove the password (save an unprotected copy) and publish that")]
    Encrypted { file: String },

    #[error("file \"{file}\" has no sheet {sheet}; the sheets are {}", available.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", "))]
    UnknownSheet {
        file: String,
        sheet: String,
        available: Vec<String>,
    },

    /// `what` says which thing is over the limit, e.g. `workbook part xl/worksheets/sheet1.xml expands to 3 GiB`.
    #[error("file \"{file}\": {what}, over the limit limits.{limit} = {}; raise it in pipeline.toml if the file is trusted", show_limit(limit, *max))]
    Limit {
        file: String,
        limit: &'static str,
        what: String,
        value: u64,
        max: u64,
    },

    #[error("file \"{file}\", line {line}: {detail}")]
    Xml {
        file: String,
        line: u64,
        detail: String,
    },

    #[error("file \"{file}\", row {row}: {detail}")]
    Csv {
        file: String,
        row: u64,
        detail: String,
    },

    /// A CSV problem placed by its line in the file (a record may span lines).
    #[error("file \"{file}\", line {line}: {detail}")]
    CsvLine {
        file: String,
        line: u64,
        detail: String,
    },

    #[error("file \"{file}\", sheet \"{sheet}\": {detail}")]
    Sheet {
        file: String,
        sheet: String,
        detail: String,
    },

    #[error("file \"{file}\": read options: {detail}")]
    Options { file: String, detail: String },

    #[error("file \"{file}\" is {format}, which has no sheets")]
    NotAWorkbook { file: String, format: super::Format },

    /// A reader (ogpipe's own or calamine) panicked on this file: a bug met on hostile or
    /// damaged input, turned into a refusal so that a run goes on with its other sources.
    #[error("file \"{file}\" could not be read safely (the reader stopped on an internal error: {detail}); check that the file opens in its application, re-save it there, and report the file to the ogpipe maintainers")]
    Unsafe { file: String, detail: String },

    #[error("could not pass a row on: {0}")]
    Sink(#[source] io::Error),

    #[error("could not read file \"{file}\": {source}")]
    Io {
        file: String,
        #[source]
        source: io::Error,
    },
}

impl ReadError {
    pub(crate) fn io(file: &str, source: io::Error) -> Self {
        ReadError::Io {
            file: file.to_string(),
            source,
        }
    }
    pub(crate) fn corrupt(file: &str, detail: impl Into<String>) -> Self {
        ReadError::Corrupt {
            file: file.to_string(),
            detail: detail.into(),
        }
    }
}

/// Bytes as a person reads them: `3 GiB`, `512 MiB`, `1.5 KiB`.
pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut x = n as f64;
    let mut unit = 0;
    while x >= 1024.0 && unit < UNITS.len() - 1 {
        x /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else if x.fract() == 0.0 {
        format!("{x} {}", UNITS[unit])
    } else {
        format!("{x:.1} {}", UNITS[unit])
    }
}

/// A limit's value as configured: byte limits in binary units, others as numbers.
fn show_limit(limit: &str, max: u64) -> String {
    if limit.ends_with("_bytes") {
        human_bytes(max)
    } else {
        max.to_string()
    }
}
