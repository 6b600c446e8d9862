//! The workbook globals substream (MS-XLS §2.1.7.20.3): the sheets and where they
//! start, the date system, which cell formats are dates or durations, the shared
//! strings, and what the screen wants to know of links.

use std::collections::HashMap;
use std::io::{Read, Seek};

use calamine::{Sheet, SheetType, SheetVisible};

use super::cfb::{Cfb, Entry, Stream};
use super::records::{Cursor, Record, RecordError, Records};
use super::XlsError;
use crate::read::strings::SharedStrings;
use crate::read::xlsx::numfmt::{self, Kind};

pub(super) const BOF: u16 = 0x0809;
pub(super) const EOF: u16 = 0x000A;
const FILEPASS: u16 = 0x002F;
const DATEMODE: u16 = 0x0022;
const BOUNDSHEET: u16 = 0x0085;
const SST: u16 = 0x00FC;
const FORMAT: u16 = 0x041E;
const XF: u16 = 0x00E0;
const SUPBOOK: u16 = 0x01AE;
const EXTERNNAME: u16 = 0x0023;
const WRITEACCESS: u16 = 0x005C;

/// BIFF8's version number in a `BOF`.
const BIFF8: u16 = 0x0600;
/// `BOF` record types of BIFF2, 3 and 4, which are not 0x0809.
const OLD_BOFS: [u16; 3] = [0x0009, 0x0209, 0x0409];

/// Every shared string in one buffer: one allocation, not one per string.
/// A link to another workbook (or a DDE/OLE source), from `SUPBOOK`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExternalLink {
    /// The encoded path or DDE/OLE server as stored (`\u{1}` and the like are
    /// MS-XLS path markers, left in).
    pub target: String,
    /// Names used from it (`EXTERNNAME`).
    pub names: Vec<String>,
}

/// What the globals say.
#[derive(Debug, Default)]
pub(super) struct Globals {
    pub sheets: Vec<Sheet>,
    /// Each sheet's `BOF` offset in the workbook stream.
    pub offsets: Vec<u64>,
    pub date1904: bool,
    /// By XF index: a date-time, a duration, or neither.
    pub xf_kinds: Vec<Kind>,
    /// By XF index: the format code's id, and the codes the file declares.
    pub xf_formats: Vec<u16>,
    pub formats: HashMap<u16, String>,
    pub strings: SharedStrings,
    pub links: Vec<ExternalLink>,
    /// The user name Excel records as the last to save the file.
    pub write_access: Option<String>,
}

/// The workbook stream, opened: `Workbook`, or `Book` for the BIFF5 message.
pub(super) fn workbook_stream<'a, R: Read + Seek>(
    cfb: &'a mut Cfb<R>,
) -> Result<Stream<'a, R>, XlsError> {
    let entry: Entry = match cfb.find("Workbook") {
        Some(e) => e,
        None if cfb.find("Book").is_some() => return Err(XlsError::OldBiff),
        None => return Err(XlsError::NoWorkbook),
    };
    Ok(cfb.open_stream(&entry)?)
}

/// Reads the globals up to their `EOF`.
pub(super) fn read_globals<R: Read>(records: &mut Records<R>) -> Result<Globals, XlsError> {
    let mut g = Globals::default();
    let mut first = true;
    while let Some(r) = records.next().map_err(XlsError::from)? {
        if first {
            first = false;
            check_bof(&r, 0x0005)?;
            continue;
        }
        match r.typ {
            FILEPASS => return Err(XlsError::Encrypted),
            DATEMODE => g.date1904 = Cursor::new(&r).u16() == Some(1),
            BOUNDSHEET => {
                let (offset, sheet) = boundsheet(&r).ok_or(bad(&r, "sheet entry (BOUNDSHEET8)"))?;
                g.offsets.push(offset);
                g.sheets.push(sheet);
            }
            SST => g.strings = sst(&r).ok_or(bad(&r, "shared strings table (SST)"))?,
            FORMAT => {
                let mut c = Cursor::new(&r);
                let id = c.u16().ok_or(bad(&r, "number format (FORMAT)"))?;
                let mut code = String::new();
                c.unicode_string(&mut code)
                    .ok_or(bad(&r, "number format (FORMAT)"))?;
                g.formats.insert(id, code);
            }
            XF => {
                let mut c = Cursor::new(&r);
                let format = c.skip(2).and_then(|()| c.u16());
                g.xf_formats
                    .push(format.ok_or(bad(&r, "cell format (XF)"))?);
            }
            SUPBOOK => {
                if let Some(target) = supbook(&r) {
                    g.links.push(ExternalLink {
                        target,
                        names: Vec::new(),
                    });
                }
            }
            EXTERNNAME => {
                let mut c = Cursor::new(&r);
                let mut name = String::new();
                let read = c.skip(6).and_then(|()| {
                    let cch = usize::from(c.u8()?);
                    let flags = c.u8()?;
                    c.chars(cch, flags & 1 != 0, &mut name)
                });
                if let (Some(()), Some(link)) = (read, g.links.last_mut()) {
                    link.names.push(name);
                }
            }
            WRITEACCESS => {
                let mut name = String::new();
                if Cursor::new(&r).unicode_string(&mut name).is_some() {
                    let name = name.trim_end().to_string();
                    g.write_access = (!name.is_empty()).then_some(name);
                }
            }
            EOF => break,
            _ => {}
        }
    }
    if first {
        return Err(XlsError::Corrupt("the workbook stream is empty".into()));
    }
    g.xf_kinds = g
        .xf_formats
        .iter()
        .map(|id| match g.formats.get(id) {
            Some(code) => numfmt::classify(code),
            None => numfmt::builtin(u32::from(*id)),
        })
        .collect();
    Ok(g)
}

/// A substream must open with a BIFF8 `BOF` of the expected kind (0x0005 globals,
/// 0x0010 worksheet). Older BIFF versions are refused with what to do.
pub(super) fn check_bof(r: &Record<'_>, kind: u16) -> Result<(), XlsError> {
    if OLD_BOFS.contains(&r.typ) {
        return Err(XlsError::OldBiff);
    }
    if r.typ != BOF {
        return Err(XlsError::Corrupt(format!(
            "the stream does not start with a BOF record (found record 0x{:04X} at byte {})",
            r.typ, r.offset
        )));
    }
    let mut c = Cursor::new(r);
    let (version, dt) = (c.u16(), c.u16());
    if version != Some(BIFF8) {
        return Err(XlsError::OldBiff);
    }
    if kind == 0x0005 && dt != Some(kind) {
        return Err(XlsError::Corrupt(
            "the workbook stream does not begin with the workbook globals".into(),
        ));
    }
    Ok(())
}

fn bad(r: &Record<'_>, what: &str) -> XlsError {
    XlsError::Corrupt(format!("the {what} at byte {} is cut short", r.offset))
}

/// `BoundSheet8` (§2.4.28): offset, visibility, type, name.
fn boundsheet(r: &Record<'_>) -> Option<(u64, Sheet)> {
    let mut c = Cursor::new(r);
    let offset = u64::from(c.u32()?);
    let visible = match c.u8()? & 0x03 {
        0 => SheetVisible::Visible,
        1 => SheetVisible::Hidden,
        // 2 is very hidden; 3 is undefined, and treated as the most hidden.
        _ => SheetVisible::VeryHidden,
    };
    let typ = match c.u8()? {
        0x00 => SheetType::WorkSheet,
        0x01 => SheetType::MacroSheet,
        0x02 => SheetType::ChartSheet,
        _ => SheetType::Vba,
    };
    let mut name = String::new();
    c.short_string(&mut name)?;
    // calamine drops NULs from names; sheet names cannot hold them in Excel.
    name.retain(|ch| ch != '\0');
    Some((offset, Sheet { name, typ, visible }))
}

/// The shared strings (§2.4.265): two counts, then the strings across `CONTINUE`s.
fn sst(r: &Record<'_>) -> Option<SharedStrings> {
    let mut c = Cursor::new(r);
    c.skip(4)?;
    let unique = c.u32()? as usize;
    // Each string takes at least 3 bytes: a hostile count cannot reserve more.
    let mut s = SharedStrings::with_capacity(c.remaining(), unique.min(c.remaining() / 3));
    while s.len() < unique && c.remaining() > 0 {
        s.push_with(|text| c.rich_string(text))?;
    }
    Some(s)
}

/// `SupBook` (§2.4.271): a link to another workbook, an add-in, or a DDE/OLE source;
/// `None` for the workbook's reference to itself or to add-in functions.
fn supbook(r: &Record<'_>) -> Option<String> {
    let mut c = Cursor::new(r);
    c.skip(2)?;
    let cch = c.u16()?;
    if cch == 0x0401 || cch == 0x3A01 {
        return None;
    }
    let flags = c.u8()?;
    let mut target = String::new();
    c.chars(usize::from(cch), flags & 1 != 0, &mut target)?;
    Some(target)
}

impl From<RecordError> for XlsError {
    fn from(e: RecordError) -> Self {
        match e {
            RecordError::Io(e) => XlsError::Io(e.to_string()),
            RecordError::Truncated { offset } => XlsError::Corrupt(format!(
                "the workbook stream ends inside the record at byte {offset}; the file is truncated"
            )),
        }
    }
}
