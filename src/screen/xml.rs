//! Streaming XML walking for the screen: one pass, bounded memory per element, no DTDs.
//!
//! [`walk`] turns a document into opens (with decoded attributes), closes and text runs,
//! and keeps an XPath-like position (`/publications/publication[3]`) that is only turned
//! into a string when something is found. Like a safe parser it refuses a DTD and any
//! entity other than the five XML defines and character references: nothing is expanded,
//! so entity bombs and external entities cannot reach the screen.

use std::collections::HashMap;
use std::io::BufRead;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::{Findings, Screen, ScreenError};

/// Text longer than this is screened in pieces, so one huge text node cannot grow the
/// buffer without bound (a marking split across pieces may then be missed).
const TEXT_CHUNK_BYTES: usize = 1 << 20;

/// One step of a walk.
pub(crate) enum Item<'a> {
    Open {
        name: &'a str,
        attrs: &'a [(String, String)],
    },
    Close {
        name: &'a str,
    },
    /// A text run between two tags, entities resolved, CDATA included.
    Text(&'a str),
    /// The text of an XML comment.
    Comment(&'a str),
}

struct Frame {
    name: String,
    index: usize,
    children: HashMap<String, usize>,
}

/// Where the walk is: the open elements, each with its position among same-named
/// siblings.
#[derive(Default)]
pub(crate) struct Position {
    frames: Vec<Frame>,
}

impl Position {
    /// `/publications/publication[3]/title[1]`; the root element has no index.
    pub(crate) fn path(&self) -> String {
        let mut s = String::new();
        for (i, f) in self.frames.iter().enumerate() {
            s.push('/');
            s.push_str(&f.name);
            if i > 0 {
                s.push_str(&format!("[{}]", f.index));
            }
        }
        s
    }

    pub(crate) fn depth(&self) -> usize {
        self.frames.len()
    }

    /// Whether an element with this local name is open.
    pub(crate) fn within(&self, local_name: &str) -> bool {
        self.frames.iter().any(|f| local(&f.name) == local_name)
    }

    fn push(&mut self, name: &str) {
        let index = match self.frames.last_mut() {
            Some(parent) => {
                let n = parent.children.entry(name.to_string()).or_insert(0);
                *n += 1;
                *n
            }
            None => 1,
        };
        self.frames.push(Frame {
            name: name.to_string(),
            index,
            children: HashMap::new(),
        });
    }

    fn pop(&mut self) {
        self.frames.pop();
    }
}

/// The name without its namespace prefix: `cp:keywords` → `keywords`.
pub(crate) fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// Walks `reader`, calling `f` for each item with the position it was found at.
///
/// # Errors
/// [`ScreenError::Xml`] for a DTD, an undeclared entity or malformed XML, located in
/// `source_name` / `part`.
pub(crate) fn walk<R: BufRead>(
    source_name: &str,
    part: &str,
    reader: R,
    mut f: impl FnMut(&Position, Item<'_>),
) -> Result<(), ScreenError> {
    let mut reader = Reader::from_reader(reader);
    let mut buf = Vec::new();
    let mut text = String::new();
    let mut attrs: Vec<(String, String)> = Vec::new();
    let mut pos = Position::default();
    let fail = |reader: &Reader<R>, reason: String| ScreenError::Xml {
        source_name: source_name.to_string(),
        location: format!("{part}byte {}", reader.buffer_position()),
        reason,
    };
    let flush = |text: &mut String, pos: &Position, f: &mut dyn FnMut(&Position, Item<'_>)| {
        if !text.trim().is_empty() {
            f(pos, Item::Text(text));
        }
        text.clear();
    };
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| fail(&reader, e.to_string()))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                flush(&mut text, &pos, &mut f);
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                attrs.clear();
                for attr in e.attributes() {
                    let attr = attr.map_err(|e| fail(&reader, e.to_string()))?;
                    let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
                    let value = attr
                        .decode_and_unescape_value(reader.decoder())
                        .map_err(|e| fail(&reader, format!("attribute `{key}`: {e}")))?;
                    attrs.push((key, value.into_owned()));
                }
                pos.push(&name);
                f(
                    &pos,
                    Item::Open {
                        name: &name,
                        attrs: &attrs,
                    },
                );
                if matches!(event, Event::Empty(_)) {
                    f(&pos, Item::Close { name: &name });
                    pos.pop();
                }
            }
            Event::End(ref e) => {
                flush(&mut text, &pos, &mut f);
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                f(&pos, Item::Close { name: &name });
                pos.pop();
            }
            Event::Text(e) => {
                let t = e.decode().map_err(|e| fail(&reader, e.to_string()))?;
                text.push_str(&t);
            }
            Event::CData(e) => {
                let t = e.decode().map_err(|e| fail(&reader, e.to_string()))?;
                text.push_str(&t);
            }
            Event::GeneralRef(e) => {
                let resolved = match e.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = e.decode().map_err(|e| fail(&reader, e.to_string()))?;
                        match quick_xml::escape::resolve_xml_entity(&name) {
                            Some(s) => s.to_string(),
                            None => {
                                return Err(fail(
                                    &reader,
                                    format!("undeclared entity `&{name};` refused (entities are not expanded)"),
                                ))
                            }
                        }
                    }
                    Err(e) => return Err(fail(&reader, e.to_string())),
                };
                text.push_str(&resolved);
            }
            Event::Comment(e) => {
                let t = e.decode().map_err(|e| fail(&reader, e.to_string()))?;
                f(&pos, Item::Comment(&t));
            }
            Event::DocType(_) => {
                return Err(fail(
                    &reader,
                    "a DTD (`<!DOCTYPE`) is refused: its entities could expand or fetch content"
                        .into(),
                ))
            }
            Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
        if text.len() > TEXT_CHUNK_BYTES {
            flush(&mut text, &pos, &mut f);
        }
        buf.clear();
    }
    flush(&mut text, &pos, &mut f);
    Ok(())
}

/// Screens every text node, comment and attribute value of a whole XML file.
pub(crate) fn screen_xml<R: BufRead>(
    screen: &Screen,
    source_name: &str,
    reader: R,
    out: &mut Findings,
) -> Result<(), ScreenError> {
    let file = format!("file \"{source_name}\"");
    screen_part(screen, source_name, "", reader, out, |pos, suffix| {
        format!("{file}, {}{suffix}", pos.path())
    })
}

/// Screens one XML document (a file, or a part of a container) with locations built by
/// `locate(position, suffix)`, where `suffix` is `""`, `/@name` or `/comment()`.
pub(crate) fn screen_part<R: BufRead>(
    screen: &Screen,
    source_name: &str,
    part: &str,
    reader: R,
    out: &mut Findings,
    locate: impl Fn(&Position, &str) -> String,
) -> Result<(), ScreenError> {
    walk(source_name, part, reader, |pos, item| match item {
        Item::Open { attrs, .. } => {
            for (key, value) in attrs {
                screen.screen_lazy(value, || locate(pos, &format!("/@{key}")), out);
            }
        }
        Item::Text(t) => screen.screen_lazy(t, || locate(pos, ""), out),
        Item::Comment(t) => screen.screen_lazy(t, || locate(pos, "/comment()"), out),
        Item::Close { .. } => {}
    })
}

#[cfg(test)]
mod tests {
    use crate::screen::{Rule, Screen, ScreenConfig, ScreenError};

    fn screen(xml: &str) -> Result<Vec<(Rule, String)>, ScreenError> {
        let s = Screen::new(&ScreenConfig::default()).unwrap();
        Ok(s.screen_xml("p.xml", xml.as_bytes())?
            .into_iter()
            .map(|f| (f.rule, f.location))
            .collect())
    }

    #[test]
    fn text_nodes_attributes_and_comments_are_located() {
        let xml = r#"<?xml version="1.0"?>
<publications>
  <publication id="1"><title>Open budget</title></publication>
  <publication id="2"><title>Tree survey</title></publication>
  <publication id="3" class="SECRET//REL CAN"><title>Ops &amp; <![CDATA[plans]]></title>
    <contact>call 613-555-0123</contact><!-- Protected B draft --></publication>
</publications>"#;
        let got = screen(xml).unwrap();
        let at = |s: &str| format!("file \"p.xml\", /publications/publication[3]{s}");
        assert_eq!(
            got,
            vec![
                (Rule::Marking, at("/@class")),
                (Rule::Phone, at("/contact[1]")),
                (Rule::Marking, at("/comment()")),
            ]
        );
    }

    #[test]
    fn entities_are_resolved_and_split_text_is_joined() {
        let got = screen("<a>TOP&#32;SECRET &amp; more</a>").unwrap();
        assert_eq!(got, vec![(Rule::Marking, "file \"p.xml\", /a".to_string())]);
    }

    #[test]
    fn clean_xml_passes() {
        let got =
            screen(r#"<a note="the secret to good data"><b>Protected areas</b><c>-12.5</c></a>"#);
        assert!(got.unwrap().is_empty());
    }

    #[test]
    fn dtds_and_unknown_entities_are_refused() {
        let cases = [
            r#"<!DOCTYPE a [<!ENTITY x "SECRET">]><a>&x;</a>"#,
            "<a>&x;</a>",
            r#"<a b="&x;"/>"#,
            "<a><b></a>",
        ];
        for xml in cases {
            assert!(matches!(screen(xml), Err(ScreenError::Xml { .. })), "{xml}");
        }
    }
}
