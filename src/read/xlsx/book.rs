//! The workbook-level parts a sheet's cells need: where each sheet is, the date system,
//! which cell styles are dates or durations, and the shared strings.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Seek};

use calamine::{Sheet, SheetType, SheetVisible};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use zip::ZipArchive;

use super::numfmt::{self, Kind};
use super::text;
use crate::opc;
use crate::read::guard::{Meter, Metered};
use crate::read::strings::SharedStrings;
use crate::read::ReadError;

const REL_OFFICE_DOCUMENT: &str = "/officeDocument";
const REL_STYLES: &str = "/styles";
const REL_SHARED_STRINGS: &str = "/sharedStrings";

/// A workbook's zip and what was read from its workbook, styles and strings parts.
pub(super) struct Book<R: Read + Seek> {
    pub zip: ZipArchive<R>,
    pub file: String,
    /// Counts what every member really inflates to.
    pub meter: Meter,
    /// Workbook order; `parts[i]` is the member holding `sheets[i]`, if any.
    pub sheets: Vec<Sheet>,
    pub parts: Vec<Option<String>>,
    /// What cells refer to, once [`Book::load_cell_parts`] has read it.
    pub lookup: Lookup,
    styles_part: String,
    strings_part: String,
}

/// What a cell's value is read against.
#[derive(Debug, Default)]
pub(super) struct Lookup {
    pub date1904: bool,
    /// By cell style (`s`): a date-time, a duration, or neither.
    pub styles: Vec<Kind>,
    pub strings: SharedStrings,
}

/// Every shared string in one buffer, so a large table costs one allocation, not one
/// per string.
impl<R: Read + Seek> Book<R> {
    pub fn open(file: &str, reader: R, meter: Meter) -> Result<Self, ReadError> {
        let zip = ZipArchive::new(reader).map_err(|e| {
            ReadError::corrupt(
                file,
                format!(
                    "the workbook is not a readable zip ({e}); the file is damaged or truncated"
                ),
            )
        })?;
        let mut book = Book {
            zip,
            file: file.to_string(),
            meter,
            sheets: Vec::new(),
            parts: Vec::new(),
            lookup: Lookup::default(),
            styles_part: String::new(),
            strings_part: String::new(),
        };
        let package_rels = book.rels("")?;
        let workbook = package_rels
            .iter()
            .find(|r| r.kind.ends_with(REL_OFFICE_DOCUMENT))
            .map_or_else(
                || "xl/workbook.xml".to_string(),
                |r| opc::resolve("", &r.target),
            );
        let rels = book.rels(&workbook)?;
        book.read_workbook(&workbook, &rels)?;
        let part_of = |kind: &str, default: &str| {
            rels.iter().find(|r| r.kind.ends_with(kind)).map_or_else(
                || default.to_string(),
                |r| opc::resolve(&workbook, &r.target),
            )
        };
        book.styles_part = part_of(REL_STYLES, "xl/styles.xml");
        book.strings_part = part_of(REL_SHARED_STRINGS, "xl/sharedStrings.xml");
        Ok(book)
    }

    /// Reads what cells refer to: the styles and the shared strings. Listing sheets
    /// does not need them, and the strings can be large.
    pub fn load_cell_parts(&mut self) -> Result<(), ReadError> {
        let (styles, strings) = (self.styles_part.clone(), self.strings_part.clone());
        let file = self.file.clone();
        if let Some(xml) = part(&mut self.zip, &self.meter, &file, &styles)? {
            self.lookup.styles = read_styles(&file, &styles, xml)?;
        }
        if let Some(xml) = part(&mut self.zip, &self.meter, &file, &strings)? {
            self.lookup.strings = read_shared_strings(&file, &strings, xml)?;
        }
        Ok(())
    }

    /// A part, buffered for quick-xml, or `None` when the package has no such member.
    pub fn part(&mut self, name: &str) -> Result<Option<PartXml<'_, R>>, ReadError> {
        part(&mut self.zip, &self.meter, &self.file, name)
    }

    fn rels(&mut self, part: &str) -> Result<Vec<Rel>, ReadError> {
        let name = opc::rels_path(part);
        let file = self.file.clone();
        let Some(xml) = self.part(&name)? else {
            return Ok(Vec::new());
        };
        let mut rels = Vec::new();
        walk(&file, &name, xml, |e| {
            if e.local_name().as_ref() == b"Relationship" {
                let (id, target, kind) = (attr(e, b"Id"), attr(e, b"Target"), attr(e, b"Type"));
                if let (Some(id), Some(target)) = (id, target) {
                    let kind = kind.unwrap_or_default();
                    rels.push(Rel { id, target, kind });
                }
            }
            Ok(())
        })?;
        Ok(rels)
    }

    fn read_workbook(&mut self, workbook: &str, rels: &[Rel]) -> Result<(), ReadError> {
        let file = self.file.clone();
        let Some(xml) = self.part(workbook)? else {
            return Err(ReadError::corrupt(
                &file,
                format!("the workbook has no part \"{workbook}\"; it is not an Excel workbook or it is damaged"),
            ));
        };
        let (mut sheets, mut parts, mut date1904) = (Vec::new(), Vec::new(), false);
        walk(&file, workbook, xml, |e| {
            match e.local_name().as_ref() {
                b"workbookPr" => {
                    date1904 = matches!(attr(e, b"date1904").as_deref(), Some("1" | "true"));
                }
                b"sheet" => {
                    let rel = attr_local(e, b"id").and_then(|id| rels.iter().find(|r| r.id == id));
                    sheets.push(Sheet {
                        name: attr(e, b"name").unwrap_or_default(),
                        typ: rel.map_or(SheetType::WorkSheet, |r| sheet_type(&r.kind)),
                        visible: match attr(e, b"state").as_deref() {
                            Some("hidden") => SheetVisible::Hidden,
                            Some("veryHidden") => SheetVisible::VeryHidden,
                            _ => SheetVisible::Visible,
                        },
                    });
                    parts.push(rel.map(|r| opc::resolve(workbook, &r.target)));
                }
                _ => {}
            }
            Ok(())
        })?;
        (self.sheets, self.parts, self.lookup.date1904) = (sheets, parts, date1904);
        Ok(())
    }
}

/// A part of the package, ready for quick-xml.
pub(super) type PartXml<'z, R> = Reader<BufReader<Member<'z, R>>>;

/// A member's bytes as they inflate, counted against the limits.
pub(super) type Member<'z, R> = Metered<zip::read::ZipFile<'z, R>>;

/// As [`Book::part`], borrowing only the zip, so the rest of the book stays readable.
pub(super) fn part<'z, R: Read + Seek>(
    zip: &'z mut ZipArchive<R>,
    meter: &Meter,
    file: &str,
    name: &str,
) -> Result<Option<PartXml<'z, R>>, ReadError> {
    Ok(member(zip, meter, file, name)?.map(|m| {
        let mut xml = Reader::from_reader(BufReader::with_capacity(64 << 10, m));
        xml.config_mut().check_end_names = false;
        xml
    }))
}

/// A part's bytes, inflating as they are read; `None` when the package has no such
/// member.
pub(super) fn member<'z, R: Read + Seek>(
    zip: &'z mut ZipArchive<R>,
    meter: &Meter,
    file: &str,
    name: &str,
) -> Result<Option<Member<'z, R>>, ReadError> {
    let Some(found) = opc::find_member(zip.file_names(), name).map(str::to_string) else {
        return Ok(None);
    };
    zip.by_name(&found)
        .map(|m| Some(meter.wrap(&found, m.compressed_size(), m)))
        .map_err(|e| ReadError::corrupt(file, format!("part \"{name}\" cannot be read ({e})")))
}

struct Rel {
    id: String,
    target: String,
    kind: String,
}

fn sheet_type(kind: &str) -> SheetType {
    match kind.rsplit('/').next() {
        Some("chartsheet") => SheetType::ChartSheet,
        Some("dialogsheet") => SheetType::DialogSheet,
        Some("xlMacrosheet" | "xlIntlMacrosheet") => SheetType::MacroSheet,
        _ => SheetType::WorkSheet,
    }
}

/// Calls `on_event` for every event of a small part, to its end. A DTD is refused here,
/// for every part alike.
fn each_event<B: BufRead>(
    file: &str,
    part: &str,
    mut xml: Reader<B>,
    mut on_event: impl FnMut(Event<'_>) -> Result<(), String>,
) -> Result<(), ReadError> {
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let at = xml.buffer_position();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Eof) => return Ok(()),
            Ok(Event::DocType(d)) if d.contains(&b'[') => {
                Err("it declares a DTD, which is refused for safety".into())
            }
            Ok(event) => on_event(event),
            Err(e) => Err(e.to_string()),
        }
        .map_err(|d| part_error(file, part, at, d))?;
    }
}

/// Calls `on_element` for every start or empty element of a small part.
fn walk<B: BufRead>(
    file: &str,
    part: &str,
    xml: Reader<B>,
    mut on_element: impl FnMut(&BytesStart<'_>) -> Result<(), String>,
) -> Result<(), ReadError> {
    each_event(file, part, xml, |event| match event {
        Event::Start(e) | Event::Empty(e) => on_element(&e),
        _ => Ok(()),
    })
}

pub(super) fn part_error(
    file: &str,
    part: &str,
    at: u64,
    detail: impl std::fmt::Display,
) -> ReadError {
    ReadError::corrupt(
        file,
        format!("part \"{part}\", byte {at}: {detail}; the workbook is damaged, re-save it in its application"),
    )
}

/// An attribute's unescaped value, by its written name.
fn attr(e: &BytesStart<'_>, key: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == key)
        .and_then(|a| unescape_attr(&a.value))
}

/// As [`attr`], by local name whatever the prefix (`r:id`).
fn attr_local(e: &BytesStart<'_>, local: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local && a.key.prefix().is_some())
        .and_then(|a| unescape_attr(&a.value))
}

/// An attribute value as text: UTF-8, with XML's predefined and numeric references.
fn unescape_attr(raw: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(raw).ok()?;
    quick_xml::escape::unescape(text)
        .ok()
        .map(|v| v.into_owned())
}

/// Cell styles (`cellXfs`) by index, each a date-time, a duration or neither by its
/// number format, built in (ECMA-376 §18.8.30) or declared in `numFmts`.
fn read_styles<B: BufRead>(file: &str, part: &str, xml: Reader<B>) -> Result<Vec<Kind>, ReadError> {
    let mut custom: HashMap<String, Kind> = HashMap::new();
    let mut styles = Vec::new();
    let mut in_cell_xfs = false;
    let mut depth_in_xfs = 0u32;
    each_event(file, part, xml, |event| {
        match event {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"numFmt" => {
                if let (Some(id), Some(code)) = (attr(&e, b"numFmtId"), attr(&e, b"formatCode")) {
                    custom.insert(id, numfmt::classify(&code));
                }
            }
            Event::Start(e) if e.local_name().as_ref() == b"cellXfs" => in_cell_xfs = true,
            Event::End(e) if e.local_name().as_ref() == b"cellXfs" => in_cell_xfs = false,
            Event::Start(ref e) | Event::Empty(ref e)
                if in_cell_xfs && depth_in_xfs == 0 && e.local_name().as_ref() == b"xf" =>
            {
                let kind = match attr(e, b"numFmtId") {
                    Some(id) => custom
                        .get(&id)
                        .copied()
                        .unwrap_or_else(|| id.trim().parse().map_or(Kind::Other, numfmt::builtin)),
                    None => Kind::Other,
                };
                styles.push(kind);
                if matches!(event, Event::Start(_)) {
                    depth_in_xfs = 1;
                }
            }
            Event::Start(_) if depth_in_xfs > 0 => depth_in_xfs += 1,
            Event::End(_) if depth_in_xfs > 0 => depth_in_xfs -= 1,
            _ => {}
        }
        Ok(())
    })?;
    Ok(styles)
}

/// The shared strings table: each `<si>`'s text, its rich-text runs joined; phonetic
/// guides (`<rPh>`) are left out, as Excel shows the cell without them.
fn read_shared_strings<B: BufRead>(
    file: &str,
    part: &str,
    xml: Reader<B>,
) -> Result<SharedStrings, ReadError> {
    let mut table = SharedStrings::default();
    let mut item = String::new();
    let (mut in_t, mut in_phonetic) = (false, false);
    each_event(file, part, xml, |event| {
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                b"si" => item.clear(),
                b"t" => in_t = !in_phonetic,
                b"rPh" => in_phonetic = true,
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == b"si" => {
                item.clear();
                table.push(&item);
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"si" => {
                    text::unescape_ooxml(&mut item);
                    table.push(&item);
                }
                b"t" => in_t = false,
                b"rPh" => in_phonetic = false,
                _ => {}
            },
            Event::Text(t) if in_t => text::push_raw(&mut item, &t)?,
            Event::CData(t) if in_t => text::push_raw(&mut item, &t)?,
            Event::GeneralRef(r) if in_t => text::push_ref(&mut item, &r)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_strings_join_runs_and_skip_phonetics() {
        let xml = r#"<sst xmlns="x"><si><t>plain &amp; simple</t></si><si><r><t>bold</t></r><r><rPr/><t xml:space="preserve"> and _x000D_more</t></r><rPh><t>ふりがな</t></rPh></si><si/><si><t/></si><si><t>line&#10;two</t></si></sst>"#;
        let t = read_shared_strings("f", "p", Reader::from_reader(xml.as_bytes())).expect("parses");
        let all: Vec<&str> = (0..t.len()).filter_map(|i| t.get(i)).collect();
        assert_eq!(
            all,
            ["plain & simple", "bold and \rmore", "", "", "line\ntwo"]
        );
        assert_eq!(t.get(5), None);
    }

    #[test]
    fn styles_map_number_formats_to_kinds() {
        let xml = r#"<styleSheet><numFmts><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/><numFmt numFmtId="165" formatCode="[h]:mm"/><numFmt numFmtId="166" formatCode="0.00"/></numFmts>
            <cellStyleXfs><xf numFmtId="14"/></cellStyleXfs>
            <cellXfs><xf numFmtId="0"/><xf numFmtId="164"><alignment/></xf><xf numFmtId="165"/><xf numFmtId="166"/><xf numFmtId="14"/><xf/></cellXfs></styleSheet>"#;
        let kinds = read_styles("f", "p", Reader::from_reader(xml.as_bytes())).expect("parses");
        assert_eq!(
            kinds,
            [
                Kind::Other,
                Kind::DateTime,
                Kind::Duration,
                Kind::Other,
                Kind::DateTime,
                Kind::Other
            ]
        );
    }

    #[test]
    fn a_dtd_in_a_part_is_refused() {
        let xml = r#"<!DOCTYPE x [<!ENTITY a "b">]><sst><si><t>&a;</t></si></sst>"#;
        let err = read_shared_strings(
            "f.xlsx",
            "xl/sharedStrings.xml",
            Reader::from_reader(xml.as_bytes()),
        )
        .expect_err("refused");
        assert!(err.to_string().contains("DTD"), "{err}");
    }
}
