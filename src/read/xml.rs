//! XML, streamed with quick-xml: one row per record element.
//!
//! - **Records**: `record_path` (`/publications/publication`) names the repeating
//!   element from the root; without it, the root's children are the records. Row
//!   numbers are the record's 1-based ordinal; errors also give the line.
//! - **Fields** (`fields`): `title`, `author/name`, `@lang`, `title/@xml:lang`, relative
//!   to the record. A step's prefix is looked up in `namespaces` (`xml` is built in) and
//!   matches by namespace URI, whatever prefix the document uses; a step without a prefix
//!   matches the local name in any namespace. An element's value is its own text
//!   (children's text not included); a missing field is empty; a field found twice in one
//!   record is an error (a list cannot fit in one cell silently).
//! - **Predicates**: any element step of a field may end in one `[@attr='value']` (single
//!   or double quotes, no escapes) and then matches only elements carrying that attribute
//!   with exactly that value: `dc:title[@xml:lang='en']`, `link[@rel="self"]/@href`. The
//!   attribute's prefix resolves like an element's; an unprefixed attribute matches only
//!   an attribute without a namespace, so `[@lang='en']` does not match `xml:lang`. Two
//!   `dc:title`s told apart by `xml:lang` thus fill two columns, while plain `dc:title`
//!   is still found twice. `record_path` takes no predicates.
//! - **Automatic mode** (no `fields`): each record is flattened: leaf elements become
//!   columns named by their path (`author/name`), attributes `@id`, `title/@xml:lang`.
//!   The columns are those of the **first** record, so rows can stream; a later record
//!   with a column the first did not have is an error naming the record and line (list
//!   the columns in `fields` then). A repeated leaf is an error too.
//! - **Safety**: no DTD processing. A `<!DOCTYPE` with an internal subset is refused, and
//!   so is any entity other than XML's five and numeric character references, so
//!   billion-laughs fails at once in constant memory. Nothing is ever fetched.
//!   `max_xml_depth` bounds nesting; `max_cells` bounds the cells read.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Seek};
use std::rc::Rc;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{QName, ResolveResult};
use quick_xml::NsReader;

use super::shape::unique_names;
use super::{guard, ReadError, ReadOptions, ReadSummary, XmlField};
use crate::table::{Row, TableInfo, TableSink, Value};

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// One path step: a namespace URI (`None` = any) and a local name.
#[derive(Debug, Clone, PartialEq)]
struct Step {
    ns: Option<String>,
    local: String,
}

/// An element or attribute as it appears in the document: its namespace, local and
/// written name. Attributes are `(Elem, value)` pairs with empty `attrs` of their own.
#[derive(Debug, Clone, Default)]
struct Elem {
    /// Interned ([`Namespaces`]): a document names a few namespaces many times.
    ns: Option<Rc<str>>,
    local: String,
    qname: String,
    /// An element's attributes, kept while it is open so predicates can test ancestors.
    attrs: Vec<(Elem, String)>,
}

impl Step {
    fn matches(&self, e: &Elem) -> bool {
        self.local == e.local && (self.ns.is_none() || self.ns.as_deref() == e.ns.as_deref())
    }
}

/// A field's element step: a name and an optional `[@attr='value']` predicate.
#[derive(Debug, PartialEq)]
struct ElemStep {
    name: Step,
    /// The attribute (exact namespace: `None` only matches no namespace) and its value.
    pred: Option<(Step, String)>,
}

impl ElemStep {
    fn matches(&self, e: &Elem) -> bool {
        self.name.matches(e)
            && self.pred.as_ref().is_none_or(|(attr, value)| {
                e.attrs.iter().any(|(a, v)| {
                    a.local == attr.local && a.ns.as_deref() == attr.ns.as_deref() && v == value
                })
            })
    }
}

#[derive(Debug, PartialEq)]
struct Field {
    elements: Vec<ElemStep>,
    attribute: Option<Step>,
}

/// What an element collects while it is open inside a record.
struct Frame {
    text: String,
    had_child: bool,
}

/// Counts lines as quick-xml consumes bytes, so errors can name a line without keeping
/// the document.
struct LineCounter<R> {
    inner: R,
    newlines: u64,
}

impl<R: BufRead> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.newlines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        Ok(n)
    }
}

/// Namespace URIs, interned so an element's costs a reference count, not a string.
#[derive(Default)]
struct Namespaces(Vec<Rc<str>>);

impl Namespaces {
    /// Beyond this many distinct URIs (a hostile document), URIs are no longer kept.
    const MAX: usize = 256;

    fn get(&mut self, uri: &[u8]) -> Rc<str> {
        if let Some(known) = self.0.iter().find(|n| n.as_bytes() == uri) {
            return Rc::clone(known);
        }
        let new: Rc<str> = Rc::from(String::from_utf8_lossy(uri));
        if self.0.len() < Self::MAX {
            self.0.push(Rc::clone(&new));
        }
        new
    }
}

impl<R: BufRead> BufRead for LineCounter<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let amt = amt.min(buf.len());
            self.newlines += memchr::memchr_iter(b'\n', &buf[..amt]).count() as u64;
        }
        self.inner.consume(amt);
    }
}

pub(crate) fn read<R: Read + Seek>(
    file: &str,
    mut reader: R,
    options: &ReadOptions,
    sink: &mut dyn TableSink,
) -> Result<ReadSummary, ReadError> {
    guard::check_input_size(file, &mut reader, &options.limits)?;
    let opt_err = |detail: String| ReadError::Options {
        file: file.into(),
        detail,
    };
    let record: Option<Vec<Step>> = options
        .record_path
        .as_deref()
        .map(|p| {
            let p = p.trim().trim_start_matches('/');
            p.split('/')
                .map(|s| parse_step(s, options).map_err(&opt_err))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    if record.as_ref().is_some_and(|r| {
        r.iter()
            .any(|s| s.local.is_empty() || s.local.starts_with('@') || s.local.contains('['))
    }) {
        return Err(opt_err(format!(
            "record_path \"{}\" must be element names like /publications/publication",
            options.record_path.as_deref().unwrap_or_default()
        )));
    }
    let fields = options
        .fields
        .iter()
        .map(|f| parse_field(f, options).map_err(&opt_err))
        .collect::<Result<Vec<_>, _>>()?;
    let mut st = State {
        file,
        options,
        sink,
        record,
        fields,
        headers: options.fields.iter().map(|f| f.name.clone()).collect(),
        began: false,
        auto_keys: Vec::new(),
        auto_index: HashMap::new(),
        values: Vec::new(),
        row: Vec::new(),
        seen: Vec::new(),
        key: String::new(),
        spare: Vec::new(),
        record_depth: None,
        frames: Vec::new(),
        stack: Vec::new(),
        records: 0,
        cells: 0,
    };
    let mut xml = NsReader::from_reader(LineCounter {
        inner: BufReader::new(reader),
        newlines: 0,
    });
    xml.config_mut().expand_empty_elements = true;
    let mut buf = Vec::new();
    let mut namespaces = Namespaces::default();
    loop {
        buf.clear();
        let line = |x: &NsReader<LineCounter<BufReader<R>>>| x.get_ref().newlines + 1;
        let (resolved, event) = match xml.read_resolved_event_into(&mut buf) {
            Ok(v) => v,
            Err(e) => return Err(st.xml_err(line(&xml), format!("the XML is malformed: {e}"))),
        };
        // Only a start tag's namespace is kept; it is interned now, as `resolved`
        // borrows the reader.
        let ns = match (&event, resolved) {
            (Event::Start(_), ResolveResult::Bound(n)) => Some(namespaces.get(n.as_ref())),
            _ => None,
        };
        let at = line(&xml);
        match event {
            Event::Start(e) => {
                if st.stack.len() as u32 >= options.limits.max_xml_depth {
                    return Err(ReadError::Limit {
                        file: file.into(),
                        limit: "max_xml_depth",
                        what: format!(
                            "line {at}: elements nest deeper than {} levels",
                            options.limits.max_xml_depth
                        ),
                        value: st.stack.len() as u64 + 1,
                        max: u64::from(options.limits.max_xml_depth),
                    });
                }
                // A closed element's strings are reused: no allocation per element.
                let mut elem = st.spare.pop().unwrap_or_default();
                elem.ns = ns;
                set_lossy(&mut elem.local, e.local_name().as_ref());
                set_lossy(&mut elem.qname, e.name().as_ref());
                elem.attrs.clear();
                attributes(&xml, &e, &mut namespaces, &mut elem.attrs)
                    .map_err(|d| st.xml_err(at, d))?;
                st.stack.push(elem);
                st.start(at)?;
            }
            Event::End(_) => st.end(at)?,
            Event::Text(t) => {
                let text = t
                    .decode()
                    .map_err(|e| st.xml_err(at, format!("the text is not valid UTF-8: {e}")))?;
                st.text(&text);
            }
            Event::CData(t) => {
                let text = t
                    .decode()
                    .map_err(|e| st.xml_err(at, format!("the text is not valid UTF-8: {e}")))?;
                st.text(&text);
            }
            Event::GeneralRef(r) => {
                let ch = resolve_ref(&r).map_err(|d| st.xml_err(at, d))?;
                st.text(ch.encode_utf8(&mut [0; 4]));
            }
            // An external DTD is harmless here: nothing is ever fetched or expanded.
            Event::DocType(d) if d.contains(&b'[') => {
                return Err(st.xml_err(at, "the document has a DOCTYPE with an internal subset (entity or DTD declarations), which is refused for safety; remove the DOCTYPE".into()));
            }
            Event::Eof => {
                if let Some(open) = st.stack.last() {
                    return Err(st.xml_err(at, format!("the document ends inside <{}>; the file is truncated or not well-formed", open.qname)));
                }
                break;
            }
            _ => {}
        }
    }
    if !st.began {
        st.begin()?;
    }
    st.sink.end().map_err(ReadError::Sink)?;
    Ok(ReadSummary {
        rows: st.records,
        columns: st.headers.len(),
        sheet: None,
    })
}

/// What a reference stands for: a character reference, or one of XML's five predefined
/// entities. Any other entity is refused: nothing is ever expanded.
pub(crate) fn resolve_ref(r: &quick_xml::events::BytesRef<'_>) -> Result<char, String> {
    match r.resolve_char_ref() {
        Ok(Some(c)) => Ok(c),
        Ok(None) => {
            let name = String::from_utf8_lossy(r);
            predefined(&name).ok_or_else(|| format!("the entity &{name}; is not allowed (only &amp; &lt; &gt; &apos; &quot; and numeric references are; entities are never expanded)"))
        }
        Err(e) => Err(format!("bad character reference: {e}")),
    }
}

fn predefined(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "apos" => '\'',
        "quot" => '"',
        _ => return None,
    })
}

/// The element's attributes as (namespace, local name, written name, value), namespace
/// declarations left out.
fn attributes<B: BufRead>(
    xml: &NsReader<B>,
    e: &BytesStart<'_>,
    namespaces: &mut Namespaces,
    out: &mut Vec<(Elem, String)>,
) -> Result<(), String> {
    for a in e.attributes() {
        let a = a.map_err(|e| format!("bad attribute: {e}"))?;
        let key = a.key.as_ref();
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            continue;
        }
        let value = a.decode_and_unescape_value(xml.decoder()).map_err(|e| {
            format!(
                "attribute {}: {e} (only XML's five entities and numeric references are allowed)",
                String::from_utf8_lossy(key)
            )
        })?;
        let (res, local) = xml.resolve_attribute(QName(key));
        let ns = match res {
            ResolveResult::Bound(n) => Some(namespaces.get(n.as_ref())),
            _ => None,
        };
        out.push((
            Elem {
                ns,
                local: String::from_utf8_lossy(local.as_ref()).into_owned(),
                qname: String::from_utf8_lossy(key).into_owned(),
                attrs: Vec::new(),
            },
            value.into_owned(),
        ));
    }
    Ok(())
}

fn set_lossy(to: &mut String, bytes: &[u8]) {
    to.clear();
    match std::str::from_utf8(bytes) {
        Ok(s) => to.push_str(s),
        Err(_) => to.push_str(&String::from_utf8_lossy(bytes)),
    }
}

fn parse_step(s: &str, options: &ReadOptions) -> Result<Step, String> {
    let s = s.trim();
    match s.split_once(':') {
        Some((prefix, local)) => {
            let ns = if prefix == "xml" {
                XML_NS.to_string()
            } else {
                options.namespaces.get(prefix).cloned().ok_or_else(|| format!("the prefix \"{prefix}\" in \"{s}\" is not in read.namespaces; add it with its URI"))?
            };
            Ok(Step {
                ns: Some(ns),
                local: local.to_string(),
            })
        }
        None => Ok(Step {
            ns: None,
            local: s.to_string(),
        }),
    }
}

fn parse_field(field: &XmlField, options: &ReadOptions) -> Result<Field, String> {
    let path = &field.path;
    let bad = |expected: &str| format!("field \"{}\" ({path}): {expected}", field.name);
    let mut elements = Vec::new();
    let mut attribute = None;
    for part in split_steps(path.trim().trim_start_matches("./")).map_err(&bad)? {
        if attribute.is_some() || part.is_empty() {
            return Err(bad("the path must be like title, author/name, @lang, title/@xml:lang or title[@xml:lang='en']"));
        }
        match part.strip_prefix('@') {
            Some(a) if a.contains('[') => {
                return Err(bad(
                    "a predicate goes on an element, not an attribute: title[@xml:lang='en']/@id",
                ))
            }
            Some(a) => attribute = Some(parse_step(a, options).map_err(|e| bad(&e))?),
            None => elements.push(parse_elem_step(part, options).map_err(|e| bad(&e))?),
        }
    }
    Ok(Field {
        elements,
        attribute,
    })
}

/// Splits a field path at the `/`s outside predicates, so `a[@href='x/y']` stays whole.
fn split_steps(path: &str) -> Result<Vec<&str>, &'static str> {
    let (mut parts, mut start, mut in_pred, mut quote, mut had_pred) =
        (Vec::new(), 0, false, None, false);
    for (i, c) in path.char_indices() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') if in_pred => quote = Some(c),
            (None, '[') if !in_pred && !had_pred => in_pred = true,
            (None, ']') if in_pred => (in_pred, had_pred) = (false, true),
            (None, '[' | ']') => return Err("expected one predicate per step, like title[@xml:lang='en'], but the brackets do not pair up"),
            (None, '/') if !in_pred => {
                parts.push(&path[start..i]);
                (start, had_pred) = (i + 1, false);
            }
            _ => {}
        }
    }
    if quote.is_some() {
        return Err("expected a closing quote in the predicate, like [@xml:lang='en']");
    }
    if in_pred {
        return Err("expected ] to close the predicate, like [@xml:lang='en']");
    }
    parts.push(&path[start..]);
    Ok(parts)
}

/// `name` or `name[@attr='value']` (or `"value"`).
fn parse_elem_step(s: &str, options: &ReadOptions) -> Result<ElemStep, String> {
    let Some((name, rest)) = s.split_once('[') else {
        return Ok(ElemStep {
            name: parse_step(s, options)?,
            pred: None,
        });
    };
    if name.trim().is_empty() {
        return Err(
            "expected an element name before the predicate, like title[@xml:lang='en']".into(),
        );
    }
    let shape = format!("expected a predicate like {}[@xml:lang='en'] (an attribute, =, a value in single or double quotes), not [{rest}", name.trim());
    let inner = rest.strip_suffix(']').ok_or_else(|| shape.clone())?;
    let (attr, value) = inner.split_once('=').ok_or_else(|| shape.clone())?;
    let attr = attr
        .trim()
        .strip_prefix('@')
        .filter(|a| {
            !a.is_empty() && !a.contains(|c: char| c.is_whitespace() || "'\"[]@".contains(c))
        })
        .ok_or_else(|| shape.clone())?;
    let value = value.trim();
    let unquoted = ['\'', '"']
        .iter()
        .find_map(|q| {
            value
                .strip_prefix(*q)?
                .strip_suffix(*q)
                .filter(|v| !v.contains(*q))
        })
        .ok_or(shape)?;
    Ok(ElemStep {
        name: parse_step(name, options)?,
        pred: Some((parse_step(attr, options)?, unquoted.to_string())),
    })
}

struct State<'a> {
    file: &'a str,
    options: &'a ReadOptions,
    sink: &'a mut dyn TableSink,
    record: Option<Vec<Step>>,
    fields: Vec<Field>,
    headers: Vec<String>,
    began: bool,
    /// Automatic mode: the first record's keys (before uniquifying), in order, and
    /// each key's column.
    auto_keys: Vec<String>,
    auto_index: HashMap<String, usize>,
    /// Automatic mode, first record: its values by key, until its keys are the columns.
    values: Vec<(String, Value)>,
    /// The current record's values by column, and which columns it has set.
    row: Vec<Value>,
    seen: Vec<bool>,
    /// Reused buffers: a column key being built, and closed elements.
    key: String,
    spare: Vec<Elem>,
    record_depth: Option<usize>,
    frames: Vec<Frame>,
    stack: Vec<Elem>,
    records: u64,
    cells: u64,
}

impl State<'_> {
    fn xml_err(&self, line: u64, detail: String) -> ReadError {
        let detail = match self.record_depth {
            Some(_) => format!("record {}: {detail}", self.records + 1),
            None => detail,
        };
        ReadError::Xml {
            file: self.file.into(),
            line,
            detail,
        }
    }

    fn is_record(&self) -> bool {
        match &self.record {
            Some(steps) => {
                steps.len() == self.stack.len()
                    && steps.iter().zip(&self.stack).all(|(s, e)| s.matches(e))
            }
            None => self.stack.len() == 2,
        }
    }

    fn auto(&self) -> bool {
        self.fields.is_empty()
    }

    /// The path of the innermost open element relative to the record.
    fn rel(&self) -> &[Elem] {
        self.record_depth.map_or(&[][..], |d| &self.stack[d..])
    }

    /// The innermost open element (already on the stack) starts.
    fn start(&mut self, line: u64) -> Result<(), ReadError> {
        if self.record_depth.is_none() {
            if !self.is_record() {
                return Ok(());
            }
            self.record_depth = Some(self.stack.len());
            self.values.clear();
            self.frames.clear();
        } else if let Some(parent) = self.frames.last_mut() {
            parent.had_child = true;
        }
        self.frames.push(Frame {
            text: String::new(),
            had_child: false,
        });
        let path = self.rel();
        // The innermost element's own attributes: the record's too, though it is not in `path`.
        let attrs = self.stack.last().map_or(&[][..], |e| &e.attrs[..]);
        if attrs.is_empty() {
            return Ok(());
        }
        if self.auto() {
            let prefix: Vec<&str> = path.iter().map(|e| e.qname.as_str()).collect();
            let puts: Vec<(String, String)> = attrs
                .iter()
                .map(|(attr, value)| {
                    (
                        if prefix.is_empty() {
                            format!("@{}", attr.qname)
                        } else {
                            format!("{}/@{}", prefix.join("/"), attr.qname)
                        },
                        value.clone(),
                    )
                })
                .collect();
            for (key, value) in puts {
                self.put_auto(&key, value, line)?;
            }
        } else {
            let mut puts = Vec::new();
            for (attr, value) in attrs {
                for (i, f) in self.fields.iter().enumerate() {
                    if f.attribute.as_ref().is_some_and(|a| a.matches(attr))
                        && path_matches(&f.elements, path)
                    {
                        puts.push((i, value.clone()));
                    }
                }
            }
            for (i, value) in puts {
                self.put_field(i, value, line)?;
            }
        }
        Ok(())
    }

    fn text(&mut self, text: &str) {
        if let Some(f) = self.frames.last_mut() {
            f.text.push_str(text);
        }
    }

    fn end(&mut self, line: u64) -> Result<(), ReadError> {
        let Some(depth) = self.record_depth else {
            self.pop();
            return Ok(());
        };
        let frame = self.frames.pop();
        if self.stack.len() > depth {
            if let Some(frame) = frame {
                if self.auto() {
                    if !frame.had_child {
                        let mut key = std::mem::take(&mut self.key);
                        key.clear();
                        for (i, e) in self.rel().iter().enumerate() {
                            if i > 0 {
                                key.push('/');
                            }
                            key.push_str(&e.qname);
                        }
                        let put = self.put_auto(&key, frame.text, line);
                        self.key = key;
                        put?;
                    }
                } else {
                    let path = self.rel();
                    let mut hits = (0..self.fields.len()).filter(|i| {
                        self.fields[*i].attribute.is_none()
                            && path_matches(&self.fields[*i].elements, path)
                    });
                    if let Some(first) = hits.next() {
                        let more: Vec<usize> = hits.collect();
                        for i in more {
                            self.put_field(i, frame.text.clone(), line)?;
                        }
                        self.put_field(first, frame.text, line)?;
                    }
                }
            }
            self.pop();
            return Ok(());
        }
        self.pop();
        self.record_depth = None;
        self.finish_record(line)
    }

    /// Closes the innermost element, keeping its strings for the next one.
    fn pop(&mut self) {
        if let Some(e) = self.stack.pop() {
            self.spare.push(e);
        }
    }

    fn put_field(&mut self, i: usize, value: String, line: u64) -> Result<(), ReadError> {
        self.size_row();
        if std::mem::replace(&mut self.seen[i], true) {
            return Err(self.xml_err(
                line,
                format!(
                    "field \"{}\" ({}) occurs more than once; make its path more specific",
                    self.headers[i], self.options.fields[i].path
                ),
            ));
        }
        self.row[i] = text_value(value);
        Ok(())
    }

    /// The row buffers span the columns, once the columns are known.
    fn size_row(&mut self) {
        if self.row.len() != self.headers.len() {
            self.row = vec![Value::Empty; self.headers.len()];
            self.seen = vec![false; self.headers.len()];
        }
    }

    fn put_auto(&mut self, key: &str, value: String, line: u64) -> Result<(), ReadError> {
        let twice = || {
            format!(
                "\"{key}\" occurs more than once in the record; map the columns with read.fields"
            )
        };
        if !self.began {
            if self.values.iter().any(|(k, _)| k == key) {
                return Err(self.xml_err(line, twice()));
            }
            self.values.push((key.to_string(), text_value(value)));
            return Ok(());
        }
        let Some(&i) = self.auto_index.get(key) else {
            return Err(self.xml_err(line, format!("\"{key}\" is not in the first record, whose columns are {}; list every column in read.fields", self.auto_keys.join(", "))));
        };
        if std::mem::replace(&mut self.seen[i], true) {
            return Err(self.xml_err(line, twice()));
        }
        self.row[i] = text_value(value);
        Ok(())
    }

    fn begin(&mut self) -> Result<(), ReadError> {
        if self.auto() {
            self.headers = unique_names(self.auto_keys.iter().cloned());
        }
        let info = TableInfo {
            source: self.file.into(),
            sheet: None,
            headers: self.headers.clone(),
            header_row: 0,
            first_column: 0,
        };
        self.began = true;
        self.sink.begin(&info).map_err(ReadError::Sink)
    }

    fn finish_record(&mut self, _line: u64) -> Result<(), ReadError> {
        if self.auto() && !self.began {
            self.auto_keys = self.values.iter().map(|(k, _)| k.clone()).collect();
            self.auto_index = (self.auto_keys.iter().cloned())
                .enumerate()
                .map(|(i, k)| (k, i))
                .collect();
        }
        if !self.began {
            self.begin()?;
        }
        self.size_row();
        for (i, (_, v)) in self.values.drain(..).enumerate() {
            self.row[i] = v;
        }
        self.records += 1;
        self.cells += self.row.len() as u64;
        if self.cells > self.options.limits.max_cells {
            return Err(ReadError::Limit {
                file: self.file.into(),
                limit: "max_cells",
                what: format!("the file has over {} cells", self.cells),
                value: self.cells,
                max: self.options.limits.max_cells,
            });
        }
        self.sink
            .row(Row {
                number: self.records,
                cells: &self.row,
            })
            .map_err(ReadError::Sink)?;
        self.row.iter_mut().for_each(|v| *v = Value::Empty);
        self.seen.iter_mut().for_each(|s| *s = false);
        Ok(())
    }
}

fn path_matches(steps: &[ElemStep], path: &[Elem]) -> bool {
    steps.len() == path.len() && steps.iter().zip(path).all(|(s, e)| s.matches(e))
}

fn text_value(s: String) -> Value {
    if s.is_empty() {
        Value::Empty
    } else {
        Value::Text(s)
    }
}

#[cfg(test)]
#[path = "xml_tests.rs"]
mod tests;
