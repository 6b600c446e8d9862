//! Source formats, chosen by name ([`Format::from_extension`]) or checked by content
//! ([`Format::sniff`], [`Format::sniff_reader`]).

use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// A source format the read stage understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv,
    Xlsx,
    Xlsm,
    Xlsb,
    Xls,
    Ods,
    Xml,
}

const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const ODS_MIME: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

impl Format {
    pub const ALL: [Format; 7] = [
        Format::Csv,
        Format::Xlsx,
        Format::Xlsm,
        Format::Xlsb,
        Format::Xls,
        Format::Ods,
        Format::Xml,
    ];

    /// By the file's extension, case-insensitively; `None` if it is not one we read.
    pub fn from_extension(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Format::ALL.into_iter().find(|f| f.to_string() == ext)
    }

    /// By content, never by name, from the first bytes (about 8 KiB).
    ///
    /// Zip-based formats are told apart by the member names found in `head`, which a
    /// producer may put late in the file; use [`Format::sniff_reader`] when the whole
    /// file is at hand. An OLE/CFB file is `Xls` here (an encrypted xlsx is one too).
    /// Text that is neither XML nor binary is `Csv`.
    pub fn sniff(head: &[u8]) -> Option<Format> {
        if head.starts_with(CFB_MAGIC) {
            return Some(Format::Xls);
        }
        if head.starts_with(ZIP_MAGIC) {
            return sniff_zip_names(head, |needle| contains(head, needle.as_bytes()));
        }
        let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        if text.contains(&0) {
            return None;
        }
        let trimmed = text.trim_ascii_start();
        if trimmed.starts_with(b"<?xml")
            || (trimmed.starts_with(b"<")
                && trimmed
                    .get(1)
                    .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'!' || *c == b'_'))
        {
            return Some(Format::Xml);
        }
        if text.is_empty() {
            return None;
        }
        Some(Format::Csv)
    }

    /// By content, reading the zip directory when the file is a zip.
    ///
    /// # Errors
    /// Only IO errors; an unreadable zip gives `Ok(None)`.
    pub fn sniff_reader<R: Read + Seek>(mut r: R) -> std::io::Result<Option<Format>> {
        r.seek(SeekFrom::Start(0))?;
        let mut head = Vec::with_capacity(8192);
        (&mut r).take(8192).read_to_end(&mut head)?;
        if !head.starts_with(ZIP_MAGIC) {
            return Ok(Format::sniff(&head));
        }
        r.seek(SeekFrom::Start(0))?;
        let Ok(mut zip) = zip::ZipArchive::new(&mut r) else {
            return Ok(None);
        };
        let names: Vec<String> = zip.file_names().map(str::to_string).collect();
        let mut mimetype = Vec::new();
        if let Ok(f) = zip.by_name("mimetype") {
            // The mimetype member is tiny; the cap keeps a hostile one from costing memory.
            f.take(128).read_to_end(&mut mimetype)?;
        }
        if mimetype.starts_with(ODS_MIME) {
            return Ok(Some(Format::Ods));
        }
        // Part names as the reader and the screen resolve them (see `crate::opc`).
        Ok(sniff_zip_names(&head, |needle| {
            crate::opc::find_member(names.iter().map(String::as_str), needle).is_some()
        }))
    }

    pub fn is_spreadsheet(self) -> bool {
        !matches!(self, Format::Csv | Format::Xml)
    }

    pub fn is_zip(self) -> bool {
        matches!(
            self,
            Format::Xlsx | Format::Xlsm | Format::Xlsb | Format::Ods
        )
    }

    /// Whether content sniffed as `found` can be a file declared as `self`. CSV has no
    /// signature, so content that is no other known format may be CSV. An xlsx and an
    /// xlsm differ only by their macros, which the screen holds in any case.
    pub fn accepts(self, found: Option<Format>) -> bool {
        match (self, found) {
            (Format::Csv, None) => true,
            (d, Some(f)) if d == f => true,
            (Format::Xlsx, Some(Format::Xlsm)) | (Format::Xlsm, Some(Format::Xlsx)) => true,
            _ => false,
        }
    }
}

/// Decides between the zip-based formats given a "has member" test.
fn sniff_zip_names(head: &[u8], has: impl Fn(&str) -> bool) -> Option<Format> {
    // ODF puts an uncompressed `mimetype` member first, so its content is in the head.
    if contains(head, b"mimetype") && contains(head, ODS_MIME) {
        return Some(Format::Ods);
    }
    if has("xl/workbook.bin") {
        Some(Format::Xlsb)
    } else if has("xl/vbaProject.bin") {
        Some(Format::Xlsm)
    } else if has("xl/workbook.xml") {
        Some(Format::Xlsx)
    } else {
        None
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Xlsm => "xlsm",
            Format::Xlsb => "xlsb",
            Format::Xls => "xls",
            Format::Ods => "ods",
            Format::Xml => "xml",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_map_case_insensitively() {
        for (name, want) in [
            ("a.CSV", Some(Format::Csv)),
            ("b.xlsx", Some(Format::Xlsx)),
            ("c.XLSM", Some(Format::Xlsm)),
            ("d.xlsb", Some(Format::Xlsb)),
            ("e.xls", Some(Format::Xls)),
            ("f.ods", Some(Format::Ods)),
            ("g.xml", Some(Format::Xml)),
            ("h.txt", None),
            ("noext", None),
        ] {
            assert_eq!(Format::from_extension(Path::new(name)), want, "{name}");
        }
    }

    #[test]
    fn sniff_recognises_text_formats_and_ole() {
        let mut cfb = CFB_MAGIC.to_vec();
        cfb.extend_from_slice(&[0; 100]);
        for (head, want) in [
            (&b"<?xml version=\"1.0\"?><a/>"[..], Some(Format::Xml)),
            (b"\xEF\xBB\xBF  <root>", Some(Format::Xml)),
            (b"id;name\n1;x\n", Some(Format::Csv)),
            (b"\x00\x01\x02", None),
            (b"", None),
            (&cfb, Some(Format::Xls)),
        ] {
            assert_eq!(Format::sniff(head), want);
        }
    }

    #[test]
    fn display_round_trips_through_serde_names() {
        for f in Format::ALL {
            let json = format!("\"{f}\"");
            let back: Format = serde_json::from_str(&json).expect("valid format name");
            assert_eq!(back, f);
        }
    }
}
