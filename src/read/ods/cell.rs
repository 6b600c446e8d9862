//! One `table:table-cell`: its value from its attributes (§19.385 `office:value-type`
//! and the attribute each type keeps its value in), or from its paragraphs for text.
//!
//! Where calamine (ogpipe's reader before this one) and the specification agree, the
//! answers are calamine's, so outputs did not change; where they differ, the
//! specification's are taken (see the module doc of [`super`]).

use std::borrow::Cow;
use std::io::BufRead;
use std::rc::Rc;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::QName;

use super::content::{is, local_in, parse_count, unescape, Content, Raw};
use crate::read::feed::Malformed;
use crate::read::xlsx::text::{push_raw, push_ref};

/// The most text a cell's `text:s` elements may expand it to: a hostile file could ask
/// for billions of spaces in a few bytes.
const MAX_CELL_TEXT: usize = 16 << 20;

/// A cell as read: how many columns it covers, and its value (`None`: empty).
pub(super) struct CellStart {
    pub repeat: u64,
    pub raw: Option<Raw>,
}

/// Where a cell's value is, by its value type.
enum Source<'a> {
    Number(Cow<'a, [u8]>),
    Bool(Cow<'a, [u8]>),
    Date(Cow<'a, [u8]>),
    Time(Cow<'a, [u8]>),
    String(Cow<'a, [u8]>),
    /// A string cell without `office:string-value`: its paragraphs.
    Paragraphs,
    Nothing,
}

/// Reads the cell `e` (its content too, unless it is `empty`), leaving any text in
/// `c.text`.
pub(super) fn read<B: BufRead>(
    c: &mut Content<B>,
    e: &BytesStart<'_>,
    empty: bool,
    covered: bool,
    at: u64,
) -> Result<CellStart, Malformed> {
    let (office, table) = (c.ns.office.as_slice(), c.ns.table.as_slice());
    let mut repeat = 1;
    let mut error = false;
    let mut value_type: Option<Cow<'_, [u8]>> = None;
    let mut values = Values::default();
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|err| c.fail(at, err.to_string()))?;
        if is(a.key, table, b"number-columns-repeated") {
            repeat =
                parse_count(&a.value, b"number-columns-repeated").map_err(|d| c.fail(at, d))?;
            continue;
        }
        if is(a.key, &c.ns.calcext, b"value-type") {
            error = a.value.as_ref() == b"error";
            continue;
        }
        let Some(local) = local_in(a.key.as_ref(), office) else {
            continue;
        };
        let kind = match local {
            b"value-type" => {
                value_type = Some(a.value);
                continue;
            }
            b"value" => Kind::Number,
            b"boolean-value" => Kind::Bool,
            b"date-value" => Kind::Date,
            b"time-value" => Kind::Time,
            b"string-value" => Kind::String,
            _ => continue,
        };
        values.first.get_or_insert(kind);
        values.slots[kind as usize] = Some(a.value);
    }
    // §9.1.5: a covered cell is hidden by a merge; whatever it keeps is not shown.
    // An error cell keeps an empty string value and shows its error (`#DIV/0!`) as
    // its paragraph.
    let source = if covered {
        Source::Nothing
    } else if error {
        Source::Paragraphs
    } else {
        pick(value_type.as_deref(), values)
    };
    c.text.clear();
    let raw = match source {
        Source::Nothing => None,
        Source::Number(v) => Some(Raw::Number(number(&v).map_err(|d| c.fail(at, d))?)),
        Source::Bool(v) => Some(Raw::Bool(matches!(
            v.as_ref(),
            b"true" | b"TRUE" | b"True" | b"1"
        ))),
        Source::Date(v) => {
            c.text.push_str(&unescape(&v));
            Some(Raw::Date)
        }
        Source::Time(v) => {
            c.text.push_str(&unescape(&v));
            Some(Raw::Time)
        }
        Source::String(v) => {
            c.text.push_str(&unescape(&v));
            Some(Raw::Text)
        }
        Source::Paragraphs => {
            if !empty {
                paragraphs(c, at)?;
            }
            return Ok(CellStart {
                repeat,
                raw: Some(if error { Raw::Error } else { Raw::Text }),
            });
        }
    };
    if !empty {
        let end = if covered { &c.covered_end } else { &c.cell_end };
        c.skip.clear();
        c.xml
            .read_to_end_into(QName(end), &mut c.skip)
            .map_err(|err| Malformed {
                at,
                detail: err.to_string(),
            })?;
    }
    Ok(CellStart { repeat, raw })
}

/// The value attributes a cell has, and which was written first.
#[derive(Default)]
struct Values<'a> {
    slots: [Option<Cow<'a, [u8]>>; 5],
    first: Option<Kind>,
}

#[derive(Clone, Copy)]
enum Kind {
    Number,
    Bool,
    Date,
    Time,
    String,
}

/// The value the cell's type names (§19.385); with no type, or a type whose attribute
/// is missing, the first value attribute written, as calamine read every cell.
fn pick<'a>(value_type: Option<&[u8]>, mut values: Values<'a>) -> Source<'a> {
    let wanted = match value_type {
        Some(b"float" | b"percentage" | b"currency") => Some(Kind::Number),
        Some(b"boolean") => Some(Kind::Bool),
        Some(b"date") => Some(Kind::Date),
        Some(b"time") => Some(Kind::Time),
        Some(b"string") => Some(Kind::String),
        _ => None,
    };
    let kind = match wanted {
        Some(k) if values.slots[k as usize].is_some() => k,
        Some(Kind::String) => return Source::Paragraphs,
        _ => match values.first {
            Some(k) => k,
            None => return Source::Nothing,
        },
    };
    let Some(v) = values.slots[kind as usize].take() else {
        return Source::Nothing;
    };
    match kind {
        Kind::Number => Source::Number(v),
        Kind::Bool => Source::Bool(v),
        Kind::Date => Source::Date(v),
        Kind::Time => Source::Time(v),
        Kind::String => Source::String(v),
    }
}

fn number(v: &[u8]) -> Result<f64, String> {
    std::str::from_utf8(v)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            format!(
                "a number cell holds office:value=\"{}\", which is not a number",
                String::from_utf8_lossy(v)
            )
        })
}

/// A string cell's text: its paragraphs (`text:p`, `text:h`, also inside lists and
/// sections) joined by line breaks, with `text:s`, `text:tab` and `text:line-break`
/// as the characters they stand for (§6.1) and spans and links as their text.
/// Comments (`office:annotation`), drawings anchored to the cell and anything else are
/// left out, as is white space between paragraphs (it only indents the XML).
fn paragraphs<B: BufRead>(c: &mut Content<B>, at: u64) -> Result<(), Malformed> {
    let ns = Rc::clone(&c.ns);
    let text_ns = ns.text.as_slice();
    let fail = |detail: String| Malformed { at, detail };
    // Depth below the cell, and the depth of the open paragraph.
    let mut depth = 1u32;
    let mut para: Option<u32> = None;
    let mut seen = 0usize;
    loop {
        c.inner.clear();
        let event = c
            .xml
            .read_event_into(&mut c.inner)
            .map_err(|e| fail(e.to_string()))?;
        let (e, empty) = match event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                if para == Some(depth) {
                    para = None;
                }
                depth -= 1;
                if depth == 0 {
                    return Ok(());
                }
                continue;
            }
            Event::Text(t) if para.is_some() => {
                push_raw(&mut c.text, &t).map_err(fail)?;
                continue;
            }
            Event::CData(t) if para.is_some() => {
                push_raw(&mut c.text, &t).map_err(fail)?;
                continue;
            }
            Event::GeneralRef(r) if para.is_some() => {
                push_ref(&mut c.text, &r).map_err(fail)?;
                continue;
            }
            Event::Eof => {
                return Err(fail(
                    "the part ends inside a cell; the file is truncated".into(),
                ))
            }
            _ => continue,
        };
        let local = local_in(e.name().into_inner(), text_ns);
        let descend = if para.is_some() {
            if let Some(local) = local {
                match local {
                    b"s" => {
                        let n = match e
                            .attributes()
                            .with_checks(false)
                            .flatten()
                            .find(|a| is(a.key, text_ns, b"c"))
                        {
                            Some(a) => parse_count(&a.value, b"text:c").map_err(fail)?,
                            None => 1,
                        };
                        if c.text.len() as u64 + n > MAX_CELL_TEXT as u64 {
                            return Err(fail(format!(
                                "a cell's text:s elements ask for over {} MiB of spaces",
                                MAX_CELL_TEXT >> 20
                            )));
                        }
                        c.text.extend(std::iter::repeat_n(' ', n as usize));
                    }
                    b"tab" => c.text.push('\t'),
                    b"line-break" => c.text.push('\n'),
                    _ => {}
                }
                true
            } else {
                false
            }
        } else if matches!(local, Some(b"p" | b"h")) {
            if seen > 0 {
                c.text.push('\n');
            }
            seen += 1;
            if !empty {
                para = Some(depth + 1);
            }
            true
        } else {
            matches!(
                local,
                Some(b"list" | b"list-item" | b"list-header" | b"section")
            )
        };
        if empty {
            continue;
        }
        if descend {
            depth += 1;
            if depth > c.max_depth {
                return Err(fail(format!(
                    "a cell's text nests more than {} deep",
                    c.max_depth
                )));
            }
        } else {
            let end = e.to_end().into_owned();
            c.skip.clear();
            c.xml
                .read_to_end_into(end.name(), &mut c.skip)
                .map_err(|e| fail(e.to_string()))?;
        }
    }
}
