//! The read stage: spreadsheets (ogpipe's own xlsx, xls and ods readers, calamine for
//! xlsb), XML (quick-xml) and CSV, pushed row by row
//! into a [`TableSink`].
//!
//! # Contract
//! - Pure over `Read + Seek`: no paths, no network, no clock. `source_name` is only used
//!   in messages and in [`TableInfo::source`](crate::table::TableInfo).
//! - The sink gets `begin` once (headers, header row, first column), then each data row
//!   with its 1-based source row number, then `end`. An empty source still gets `begin`
//!   (with no headers) and `end`.
//! - Nothing here panics on input: corrupt, truncated, encrypted or hostile files come
//!   back as a [`ReadError`] naming the file and what to do.
//! - Memory does not grow with rows for xlsx/xlsm, xls, ods, XML and CSV (they stream;
//!   xls holds its shared strings and one row block, or the whole sheet when its row
//!   blocks are out of order); xlsb loads one sheet through calamine. What is held is
//!   bounded by [`Limits::max_cells`].
//!
//! Table shaping (spreadsheets) is described in [`shape`]; value typing in
//! [`spreadsheet`]; XML in [`xml`]; CSV in [`csv`].

mod error;
mod feed;
mod format;
pub(crate) mod guard;
mod options;
pub(crate) mod shape;
mod stream;
mod strings;

pub mod csv;
mod ods;
pub mod spreadsheet;
pub(crate) mod xls;
mod xlsx;
pub mod xml;

use std::io::{Read, Seek};

pub use error::ReadError;
pub use format::Format;
pub use options::{ErrorCellPolicy, Limits, ReadOptions, SheetSelector, XmlField};

use crate::table::TableSink;

/// What a read produced, for the run's summary event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReadSummary {
    /// Data rows pushed (the header row not counted).
    pub rows: u64,
    pub columns: usize,
    /// The sheet read, for workbooks.
    pub sheet: Option<String>,
}

/// The names of a workbook's sheets, in workbook order (hidden ones included).
///
/// # Errors
/// [`ReadError::NotAWorkbook`] for CSV and XML; otherwise the same errors as opening the
/// workbook in [`read_table`] (limits, encryption, corruption).
pub fn sheet_names<R: Read + Seek>(
    format: Format,
    source_name: &str,
    reader: R,
) -> Result<Vec<String>, ReadError> {
    guarded(source_name, || {
        spreadsheet::sheet_names(format, source_name, reader, &Limits::default())
    })
}

/// Runs one reader call behind a panic boundary. Readers must not panic on input, but a
/// bug met on a hostile file (calamine's xlsb reader has had several) must not end the
/// process: it becomes [`ReadError::Unsafe`] naming the file, and a run goes on with its
/// other sources. What the reader held is dropped with the unwinding; the sink may have
/// had part of a table, which the caller throws away as for any other read error.
pub(crate) fn guarded<T>(
    source_name: &str,
    read: impl FnOnce() -> Result<T, ReadError>,
) -> Result<T, ReadError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)) {
        Ok(result) => result,
        Err(payload) => {
            let detail = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic with no message".into());
            Err(ReadError::Unsafe {
                file: source_name.to_string(),
                detail,
            })
        }
    }
}

/// A source held whole in memory, as a mapped file is. The XML reader parses it in
/// place (`xml::read_in_place`), with no read calls and no copy of the bytes.
pub trait InPlace: Sync {
    fn bytes(&self) -> &[u8];

    /// The reader is done with everything before `offset`: memory that holds it may be
    /// given back (a mapped file's pages), so that a large file is read in constant memory.
    fn done_before(&self, _offset: usize) {}
}

impl InPlace for &[u8] {
    fn bytes(&self) -> &[u8] {
        self
    }
}

/// Reads one table from `reader` and pushes it into `sink`.
///
/// # Errors
/// Any [`ReadError`]: the input was over a limit, encrypted, corrupt, malformed, the sheet
/// does not exist, or the sink failed ([`ReadError::Sink`]).
pub fn read_table<R: Read + Seek + Send>(
    format: Format,
    source_name: &str,
    reader: R,
    options: &ReadOptions,
    sink: &mut dyn TableSink,
) -> Result<ReadSummary, ReadError> {
    guarded(source_name, || match format {
        Format::Csv => csv::read(source_name, reader, options, sink),
        Format::Xml => xml::read(source_name, reader, options, sink),
        _ => spreadsheet::read(format, source_name, reader, options, sink),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{Row, TableInfo};

    /// A sink that panics on its first row, standing in for a reader bug: the same
    /// boundary catches both.
    struct Panics;

    impl TableSink for Panics {
        fn begin(&mut self, _: &TableInfo) -> std::io::Result<()> {
            Ok(())
        }
        fn row(&mut self, _: Row<'_>) -> std::io::Result<()> {
            panic!("index out of bounds: the len is 3 but the index is 7")
        }
        fn end(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_panic_inside_a_read_is_a_refusal_naming_the_file() {
        let err = read_table(
            Format::Csv,
            "budget.csv",
            std::io::Cursor::new(b"a,b\n1,2\n".to_vec()),
            &ReadOptions::default(),
            &mut Panics,
        )
        .expect_err("the panic is caught");
        assert!(matches!(err, ReadError::Unsafe { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.starts_with("file \"budget.csv\" could not be read safely"),
            "{msg}"
        );
        assert!(msg.contains("the index is 7"), "{msg}");
    }
}
