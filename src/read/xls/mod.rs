//! xls (Excel 97-2003, BIFF8), read by ogpipe itself rather than through calamine: the
//! OLE container ([`cfb`]) is read in place, the workbook globals once ([`book`]), and
//! the chosen sheet's records streamed one row block at a time ([`sheet`]), so memory
//! holds the shared strings and a block of cells, not the sheet.
//!
//! # One pass when the file says where its table is
//! As for xlsx ([`super::xlsx`]): a sheet's `DIMENSIONS` record declares its used
//! range; when the header row reaches both of its edge columns the sheet is converted
//! in one pass, else it is read twice (the stream is seekable, so the second read is
//! another walk over the same records).
//!
//! # Where this differs from calamine
//! - A formula's cached number is read with its cell format, so a formula showing a
//!   date is a date (calamine gives the serial number).
//! - Compressed strings are Latin-1, as MS-XLS says of BIFF8 (the high byte is zero),
//!   whatever `CODEPAGE` says; calamine decoded them through the code page.
//! - Any `FILEPASS` (RC4 or XOR obfuscation) is [`ReadError::Encrypted`].
//! - The East Asian built-in date formats (ids 27–36, 50–58) are dates, as in xlsx.
//! - A shared-string index past the table is an error naming the cell, not a silently
//!   empty cell; error code 0x2B reads as `#GETTING_DATA`, as Excel shows it.
//! - BIFF5 and older (Excel 5.0/95) are refused with what to do, rather than read.

mod book;
mod cfb;
mod inspect;
mod propset;
mod reading;
mod records;
mod sheet;

#[cfg(test)]
pub(crate) mod writer;

use std::io::{Read, Seek};

pub(crate) use self::inspect::{CellContent, Inspector, Object, SheetLayout};

use self::book::Globals;
use self::cfb::{Cfb, CfbError, Stream};
use self::records::Records;
use super::spreadsheet;
use super::xlsx::numfmt::Kind;
use super::{ReadError, ReadOptions, ReadSummary};
use crate::table::TableSink;

/// Why an xls file could not be read; turned into a [`ReadError`] naming the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum XlsError {
    #[error("{0}")]
    Container(#[from] CfbError),
    #[error("the OLE container has no Workbook stream; it is not an Excel workbook")]
    NoWorkbook,
    #[error("the workbook is in an Excel 5.0/95 or older format (BIFF5 or earlier), which ogpipe does not read; save it as xlsx or as Excel 97-2003 (xls)")]
    OldBiff,
    #[error("the workbook is encrypted")]
    Encrypted,
    #[error("{0}")]
    Corrupt(String),
    #[error("{0}")]
    Io(String),
}

impl XlsError {
    fn into_read(self, file: &str) -> ReadError {
        match self {
            XlsError::Encrypted => ReadError::Encrypted { file: file.into() },
            other => ReadError::corrupt(
                file,
                format!("the xls workbook could not be read ({other})"),
            ),
        }
    }
}

/// The names of the workbook's sheets, in workbook order.
pub(crate) fn sheet_names<R: Read + Seek>(file: &str, reader: R) -> Result<Vec<String>, ReadError> {
    let mut cfb = Cfb::open(reader).map_err(|e| XlsError::from(e).into_read(file))?;
    let (globals, _) = open_globals(&mut cfb, u64::MAX).map_err(|e| e.into_read(file))?;
    Ok(globals.sheets.into_iter().map(|s| s.name).collect())
}

fn open_globals<R: Read + Seek>(
    cfb: &mut Cfb<R>,
    max_record: u64,
) -> Result<(Globals, Stream<'_, R>), XlsError> {
    let stream = book::workbook_stream(cfb)?;
    let mut records = Records::new(stream, 0, max_record);
    let globals = book::read_globals(&mut records)?;
    Ok((globals, records.into_inner()))
}

pub(crate) fn read<R: Read + Seek + Send>(
    file: &str,
    reader: R,
    options: &ReadOptions,
    sink: &mut dyn TableSink,
) -> Result<ReadSummary, ReadError> {
    let fail = |e: XlsError| e.into_read(file);
    let mut cfb = Cfb::open(reader).map_err(|e| fail(e.into()))?;
    let (globals, _) = open_globals(&mut cfb, options.limits.max_input_bytes).map_err(fail)?;
    let sheet = spreadsheet::choose_sheet(
        file,
        &globals.sheets,
        options.sheet_selector(file)?.as_ref(),
    )?;
    let index = globals
        .sheets
        .iter()
        .position(|s| s.name == sheet)
        .unwrap_or(0);
    let ctx = reading::Ctx {
        file,
        sheet,
        offset: globals.offsets[index],
        globals: &globals,
        options,
        bounds: spreadsheet::bounds(file, options)?,
    };
    ctx.run(&mut cfb, sink)
}

/// `BErr` (§2.5.97), and `#GETTING_DATA`, which later Excel versions write.
fn error_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0x00 => "#NULL!",
        0x07 => "#DIV/0!",
        0x0F => "#VALUE!",
        0x17 => "#REF!",
        0x1D => "#NAME?",
        0x24 => "#NUM!",
        0x2A => "#N/A",
        0x2B => "#GETTING_DATA",
        // A formula the producer saved without its result (see `sheet`).
        sheet::NO_CACHED_VALUE => "#NO_CACHED_VALUE",
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
