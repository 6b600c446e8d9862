//! Streaming XML walking for the screen: one pass, bounded memory per element, no DTDs.
//!
//! [`walk`] turns a document into opens (with decoded attributes), closes and text runs,
//! and keeps an XPath-like position (`/publications/publication[3]`) that is only turned
//! into a string when something is found. What the document says outside its text, its
//! element and attribute *names*, processing instructions and comments, comes back as
//! [`Markup`] for [`Markup::screen`]: an element named `TOP-SECRET` becomes a column
//! header when the file is read as a table, and a comment in an xlsx part is still in
//! the published file's source. Like a safe parser it refuses a DTD and any
//! entity other than the five XML defines and character references: nothing is expanded,
//! so entity bombs and external entities cannot reach the screen.

use std::collections::{HashMap, HashSet};
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
}

/// The names, processing instructions and comments of one document, each with where it
/// was first seen. A name is kept once however often it is used, so a sheet of a
/// million `<c>` elements costs one entry.
#[derive(Default)]
pub(crate) struct Markup {
    seen: HashSet<Box<str>>,
    /// `(what, text, path)`: `element name`, `attribute name`, `processing instruction`,
    /// `comment`.
    items: Vec<(&'static str, String, String)>,
}

impl Markup {
    fn name(&mut self, what: &'static str, name: &str, pos: &Position) {
        if !self.seen.contains(name) {
            self.seen.insert(name.into());
            self.items.push((what, name.to_string(), pos.path()));
        }
    }

    /// Screens every name, processing instruction and comment, located as
    /// `<at>, <path>, <what>`.
    pub(crate) fn screen(&self, screen: &Screen, at: &str, out: &mut Findings) {
        for (what, text, path) in &self.items {
            // `x:SECRET`: the prefix is a namespace, the local part the name.
            let text = match *what {
                "element name" | "attribute name" => local(text),
                _ => text.as_str(),
            };
            let locate = || match path.is_empty() {
                true => format!("{at}, {what}"),
                false => format!("{at}, {path}, {what}"),
            };
            screen.screen_lazy(text, locate, out);
        }
    }
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
) -> Result<Markup, ScreenError> {
    let mut markup = Markup::default();
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
                markup.name("element name", &name, &pos);
                for (key, _) in attrs.iter().filter(|(k, _)| !k.starts_with("xmlns")) {
                    markup.name("attribute name", key, &pos);
                }
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
                markup.items.push(("comment", t.into_owned(), pos.path()));
            }
            Event::PI(e) => {
                let t = String::from_utf8_lossy(&e).into_owned();
                markup.items.push(("processing instruction", t, pos.path()));
            }
            Event::DocType(_) => {
                return Err(fail(
                    &reader,
                    "a DTD (`<!DOCTYPE`) is refused: its entities could expand or fetch content"
                        .into(),
                ))
            }
            Event::Decl(_) => {}
            Event::Eof => break,
        }
        if text.len() > TEXT_CHUNK_BYTES {
            flush(&mut text, &pos, &mut f);
        }
        buf.clear();
    }
    flush(&mut text, &pos, &mut f);
    Ok(markup)
}

/// An attribute value with its percent-escapes decoded, when it has any: a link target
/// (`https://x/TOP%20SECRET`) is shown decoded by whatever follows it.
pub(crate) fn url_decoded(value: &str) -> Option<String> {
    if !value.contains('%') {
        return None;
    }
    let decoded = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
    (decoded != value).then(|| decoded.into_owned())
}

/// Screens every text node, attribute value, name, processing instruction and comment
/// of a whole XML file.
pub(crate) fn screen_xml<R: BufRead>(
    screen: &Screen,
    source_name: &str,
    reader: R,
    out: &mut Findings,
) -> Result<(), ScreenError> {
    let file = format!("file \"{source_name}\"");
    screen_part(
        screen,
        source_name,
        "",
        reader,
        out,
        &file,
        |pos, suffix| format!("{file}, {}{suffix}", pos.path()),
    )
}

/// Screens one XML document (a file, or a part of a container) with locations built by
/// `locate(position, suffix)`, where `suffix` is `""` or `/@name`; names, processing
/// instructions and comments as `<at>, <path>, <what>`.
///
/// Text in a paragraph (an element named `p`: DrawingML's `a:p` in charts and drawings,
/// ODF's `text:p`) is screened as one piece when the paragraph closes, so a marking split
/// across formatting runs (`<a:r><a:t>TOP SE</a:t></a:r><a:r><a:t>CRET</a:t></a:r>`) is
/// seen as a reader sees it.
pub(crate) fn screen_part<R: BufRead>(
    screen: &Screen,
    source_name: &str,
    part: &str,
    reader: R,
    out: &mut Findings,
    at: &str,
    locate: impl Fn(&Position, &str) -> String,
) -> Result<(), ScreenError> {
    let mut paragraph: Option<(usize, String)> = None;
    let markup = walk(source_name, part, reader, |pos, item| match item {
        Item::Open { name, attrs } => {
            for (key, value) in attrs {
                screen.screen_lazy(value, || locate(pos, &format!("/@{key}")), out);
                if let Some(decoded) = url_decoded(value) {
                    screen.screen_lazy(&decoded, || locate(pos, &format!("/@{key}")), out);
                }
            }
            if paragraph.is_none() && local(name) == "p" {
                paragraph = Some((pos.depth(), String::new()));
            }
        }
        Item::Text(t) => match paragraph.as_mut() {
            Some((_, text)) => text.push_str(t),
            None => screen.screen_lazy(t, || locate(pos, ""), out),
        },
        Item::Close { .. } => {
            if paragraph.as_ref().is_some_and(|(d, _)| *d == pos.depth()) {
                if let Some((_, text)) = paragraph.take() {
                    screen.screen_lazy(&text, || locate(pos, ""), out);
                }
            }
        }
    })?;
    markup.screen(screen, at, out);
    Ok(())
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
                (Rule::Marking, at(", comment")),
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
    fn names_processing_instructions_and_split_paragraphs_are_screened() {
        let got = screen(
            r#"<?classification TOP SECRET?><r xmlns:x="urn:x"><TOP-SECRET/><a x:SECRET="1"/><a:p xmlns:a="urn:a"><a:r><a:t>TOP SE</a:t></a:r><a:r><a:t>CRET</a:t></a:r></a:p></r>"#,
        )
        .unwrap();
        let at = |s: &str| format!("file \"p.xml\", {s}");
        assert_eq!(
            got,
            vec![
                (Rule::Marking, at("/r/a:p[1]")),
                (Rule::Marking, at("processing instruction")),
                (Rule::Marking, at("/r/TOP-SECRET[1], element name")),
                (Rule::Marking, at("/r/a[1], attribute name")),
            ]
        );
        let link = screen(r#"<Relationships><Relationship Target="https://x.ca/TOP%20SECRET/a" TargetMode="External"/></Relationships>"#).unwrap();
        assert_eq!(link.len(), 1, "{link:?}");
        // An element seen a million times is one name to screen.
        let many = format!("<r>{}</r>", "<c><v>1</v></c>".repeat(1000));
        assert!(screen(&many).unwrap().is_empty());
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
