//! Document properties (MS-OLEPS): the `\u{5}SummaryInformation` and
//! `\u{5}DocumentSummaryInformation` streams, as (name, text) pairs for the screen.
//! Only text is taken (strings and vectors of strings); numbers, dates and thumbnails
//! tell nothing an approver must see. Custom properties are named by the stream's
//! own dictionary; a name is itself text worth screening.

use std::collections::HashMap;

use encoding_rs::Encoding;

/// One text property: its name and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Property {
    pub name: String,
    pub value: String,
}

const VT_LPSTR: u16 = 0x001E;
const VT_LPWSTR: u16 = 0x001F;
const VT_BSTR: u16 = 0x0008;
const VT_VECTOR: u16 = 0x1000;
const VT_I2: u16 = 0x0002;

/// Property ids of the summary information set (MS-OLEPS §2.24).
fn summary_name(id: u32) -> Option<&'static str> {
    Some(match id {
        2 => "Title",
        3 => "Subject",
        4 => "Author",
        5 => "Keywords",
        6 => "Comments",
        7 => "Template",
        8 => "LastAuthor",
        9 => "RevNumber",
        18 => "AppName",
        _ => return None,
    })
}

/// Property ids of the document summary information set (MS-OLEPS §2.25).
fn document_name(id: u32) -> Option<&'static str> {
    Some(match id {
        2 => "Category",
        3 => "PresentationTarget",
        13 => "TitlesOfParts",
        14 => "Manager",
        15 => "Company",
        26 => "ContentType",
        27 => "ContentStatus",
        28 => "Language",
        29 => "DocVersion",
        _ => return None,
    })
}

/// The text properties of a property set stream; a damaged stream gives what could be
/// read before the damage (`complete` false).
pub(crate) fn read(bytes: &[u8], document: bool) -> (Vec<Property>, bool) {
    let mut out = Vec::new();
    let complete = read_sets(bytes, document, &mut out).is_some();
    (out, complete)
}

fn read_sets(b: &[u8], document: bool, out: &mut Vec<Property>) -> Option<()> {
    let sets = u32_at(b, 24)?;
    for i in 0..sets.min(2) as usize {
        let offset = u32_at(b, 44 + 20 * i)? as usize;
        let standard: fn(u32) -> Option<&'static str> = if i == 0 {
            if document {
                document_name
            } else {
                summary_name
            }
        } else {
            |_| None
        };
        read_set(b.get(offset..)?, standard, out)?;
    }
    Some(())
}

fn read_set(
    set: &[u8],
    standard: fn(u32) -> Option<&'static str>,
    out: &mut Vec<Property>,
) -> Option<()> {
    let count = u32_at(set, 4)? as usize;
    let mut entries = Vec::new();
    for i in 0..count.min(set.len() / 8) {
        entries.push((u32_at(set, 8 + 8 * i)?, u32_at(set, 12 + 8 * i)? as usize));
    }
    let codepage = entries
        .iter()
        .find(|(id, _)| *id == 1)
        .and_then(|(_, at)| (u16_at(set, *at)? == VT_I2).then(|| u16_at(set, at + 4))?)
        .unwrap_or(1252);
    let mut names: HashMap<u32, String> = HashMap::new();
    if let Some((_, at)) = entries.iter().find(|(id, _)| *id == 0) {
        dictionary(set.get(*at..)?, codepage, &mut names)?;
        for name in names.values() {
            // A custom property's name is screened like its value.
            out.push(Property {
                name: name.clone(),
                value: String::new(),
            });
        }
    }
    for (id, at) in entries {
        if id <= 1 {
            continue;
        }
        let name = names
            .get(&id)
            .cloned()
            .or_else(|| standard(id).map(str::to_string))
            .unwrap_or_else(|| format!("property {id}"));
        for value in value(set.get(at..)?, codepage)? {
            out.push(Property {
                name: name.clone(),
                value,
            });
        }
    }
    Some(())
}

/// A typed value's strings: none for a non-text type.
fn value(v: &[u8], codepage: u16) -> Option<Vec<String>> {
    let typ = u16_at(v, 0)?;
    let body = v.get(4..)?;
    Some(match typ {
        VT_LPSTR | VT_BSTR => vec![code_page_string(body, codepage)?.0],
        VT_LPWSTR => vec![unicode_string(body)?.0],
        t if t == VT_VECTOR | VT_LPSTR || t == VT_VECTOR | VT_LPWSTR => {
            let n = u32_at(body, 0)? as usize;
            let mut at = 4;
            let mut out = Vec::new();
            for _ in 0..n.min(body.len() / 4) {
                let (s, used) = if t & 0xFF == VT_LPSTR {
                    code_page_string(body.get(at..)?, codepage)?
                } else {
                    unicode_string(body.get(at..)?)?
                };
                at += used;
                out.push(s);
            }
            out
        }
        _ => Vec::new(),
    })
}

/// `CodePageString`: a byte count, then the bytes (NUL-terminated) in `codepage`.
/// Returns the text and the bytes used, padded to 4.
fn code_page_string(b: &[u8], codepage: u16) -> Option<(String, usize)> {
    let n = u32_at(b, 0)? as usize;
    let bytes = b.get(4..4usize.checked_add(n)?)?;
    let text = decode(bytes, codepage);
    Some((
        text.trim_end_matches('\0').to_string(),
        4 + n.div_ceil(4) * 4,
    ))
}

/// `UnicodeString`: a character count, then UTF-16LE (NUL-terminated).
fn unicode_string(b: &[u8]) -> Option<(String, usize)> {
    let n = u32_at(b, 0)? as usize;
    let bytes = b.get(4..4usize.checked_add(n.checked_mul(2)?)?)?;
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16_lossy(&units);
    Some((
        text.trim_end_matches('\0').to_string(),
        4 + (2 * n).div_ceil(4) * 4,
    ))
}

/// `Dictionary` (§2.17): property ids and their names.
fn dictionary(b: &[u8], codepage: u16, names: &mut HashMap<u32, String>) -> Option<()> {
    let n = u32_at(b, 0)? as usize;
    let mut at = 4;
    for _ in 0..n.min(b.len() / 8) {
        let id = u32_at(b, at)?;
        let len = u32_at(b, at + 4)? as usize;
        at += 8;
        let name = if codepage == 1200 {
            let bytes = b.get(at..at.checked_add(len.checked_mul(2)?)?)?;
            at += (2 * len).div_ceil(4) * 4;
            decode(bytes, codepage)
        } else {
            let bytes = b.get(at..at.checked_add(len)?)?;
            at += len;
            decode(bytes, codepage)
        };
        names.insert(id, name.trim_end_matches('\0').to_string());
    }
    Some(())
}

/// Text in a Windows code page; an unknown one is read as Windows-1252, which at worst
/// garbles letters outside ASCII (markings and identifiers are ASCII).
fn decode(bytes: &[u8], codepage: u16) -> String {
    let encoding = match codepage {
        1200 => encoding_rs::UTF_16LE,
        65001 => encoding_rs::UTF_8,
        932 => encoding_rs::SHIFT_JIS,
        936 => encoding_rs::GBK,
        949 => encoding_rs::EUC_KR,
        950 => encoding_rs::BIG5,
        10000 => encoding_rs::MACINTOSH,
        cp @ 1250..=1258 => Encoding::for_label(format!("windows-{cp}").as_bytes())
            .unwrap_or(encoding_rs::WINDOWS_1252),
        _ => encoding_rs::WINDOWS_1252,
    };
    encoding.decode_without_bom_handling(bytes).0.into_owned()
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::xls::writer::summary;

    #[test]
    fn text_properties_are_read_by_name() {
        let (props, complete) = read(&summary(&[(2, "Budget"), (4, "Jane Doe")]), false);
        assert!(complete);
        assert_eq!(
            props,
            [
                Property {
                    name: "Title".into(),
                    value: "Budget".into()
                },
                Property {
                    name: "Author".into(),
                    value: "Jane Doe".into()
                },
            ]
        );
    }

    #[test]
    fn damaged_streams_give_what_was_read() {
        let bytes = summary(&[(2, "Budget")]);
        for cut in 0..bytes.len() {
            let _ = read(&bytes[..cut], true);
        }
        let (_, complete) = read(&bytes[..bytes.len() - 3], false);
        assert!(!complete);
    }
}
