//! The ods package (OpenDocument 1.3 part 2): a zip whose `mimetype` names a
//! spreadsheet, whose manifest says whether it is encrypted, and whose `content.xml`
//! holds the sheets.

use std::io::{BufReader, Read, Seek};

use quick_xml::events::Event;
use zip::read::ZipFile;
use zip::ZipArchive;

use crate::read::guard::{Meter, Metered};
use crate::read::ReadError;

pub(super) const CONTENT: &str = "content.xml";
const MIMETYPE: &str = "mimetype";
const MANIFEST: &str = "META-INF/manifest.xml";
/// Also the start of the template's type (`…spreadsheet-template`), read alike.
const SPREADSHEET: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

/// Opens the zip and refuses what is not a readable spreadsheet: another kind of
/// OpenDocument file, or an encrypted one (its `content.xml` would be noise).
pub(super) fn open<R: Read + Seek>(file: &str, reader: R) -> Result<ZipArchive<R>, ReadError> {
    let mut zip = ZipArchive::new(reader).map_err(|e| {
        ReadError::corrupt(
            file,
            format!("the workbook is not a readable zip ({e}); the file is damaged or truncated"),
        )
    })?;
    check_mimetype(file, &mut zip)?;
    check_manifest(file, &mut zip)?;
    if zip.index_for_name(CONTENT).is_none() {
        return Err(ReadError::corrupt(
            file,
            format!("the package has no {CONTENT}; it is not an OpenDocument spreadsheet or it is damaged"),
        ));
    }
    Ok(zip)
}

/// The sheets' part, inflating as it is read.
pub(super) fn content<'z, R: Read + Seek>(
    zip: &'z mut ZipArchive<R>,
    meter: &Meter,
    file: &str,
) -> Result<Metered<ZipFile<'z, R>>, ReadError> {
    zip.by_name(CONTENT)
        .map(|m| meter.wrap(CONTENT, m.compressed_size(), m))
        .map_err(|e| ReadError::corrupt(file, format!("part \"{CONTENT}\" cannot be read ({e})")))
}

/// The `mimetype` member is optional (part 2, §3.3), but when there, it must name a
/// spreadsheet: a text document renamed `.ods` is refused here, not read as one.
fn check_mimetype<R: Read + Seek>(file: &str, zip: &mut ZipArchive<R>) -> Result<(), ReadError> {
    let Ok(member) = zip.by_name(MIMETYPE) else {
        return Ok(());
    };
    let mut head = Vec::with_capacity(80);
    member.take(80).read_to_end(&mut head).map_err(|e| {
        ReadError::corrupt(file, format!("part \"{MIMETYPE}\" cannot be read ({e})"))
    })?;
    if head.starts_with(SPREADSHEET) {
        return Ok(());
    }
    Err(ReadError::corrupt(
        file,
        format!(
            "its mimetype is \"{}\", not an OpenDocument spreadsheet; save it as .ods or declare its real format",
            String::from_utf8_lossy(&head).trim()
        ),
    ))
}

/// An encrypted entry carries `manifest:encryption-data` in the manifest (part 2,
/// §4.8); any one is refused, as calamine refused it.
fn check_manifest<R: Read + Seek>(file: &str, zip: &mut ZipArchive<R>) -> Result<(), ReadError> {
    let Ok(member) = zip.by_name(MANIFEST) else {
        return Ok(());
    };
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(member));
    xml.config_mut().check_end_names = false;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let at = xml.buffer_position();
        let fail = |detail: String| {
            ReadError::corrupt(
                file,
                format!("part \"{MANIFEST}\", byte {at}: {detail}; the workbook is damaged, re-save it in its application"),
            )
        };
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e))
                if e.local_name().as_ref() == b"encryption-data" =>
            {
                return Err(ReadError::Encrypted { file: file.into() })
            }
            Ok(Event::DocType(d)) if d.contains(&b'[') => {
                return Err(fail(
                    "it declares a DTD, which is refused for safety".into(),
                ))
            }
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(fail(e.to_string())),
        }
    }
}
