//! The parsing half: quick-xml events in, rows of text spans out, in batches for the
//! thread that feeds the sink ([`super::read`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use quick_xml::encoding::Decoder;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::tree::{same, Bindings, Namespaces, NsId, Tree, MAX_NODES, MISSING, UNRESOLVED};
use super::windows::{self, InPlaceWindows, Source, Windows};
use super::{resolve_ref, Batch, Msg};
use crate::read::shape::unique_names;
use crate::read::{InPlace, ReadError, ReadOptions};
use crate::readahead::ReadAhead;

/// A batch is sent when it has this many rows or this much text, whichever is first.
const BATCH_ROWS: usize = 256;
const BATCH_TEXT: usize = 64 << 10;

const NOT_UTF_8: &str = "a byte on this line is not UTF-8, which the document is unless it declares otherwise; save it as UTF-8, or declare its encoding (<?xml version=\"1.0\" encoding=\"windows-1252\"?>)";
const UTF_16: &str = "the document is UTF-16, which ogpipe does not read; save it as UTF-8";

/// What stopped the parse. Lines are counted only when an error needs one (reading
/// the document again up to the error), not for every byte of a good document.
enum Fault {
    Xml {
        pos: u64,
        detail: String,
    },
    Depth {
        pos: u64,
        depth: u64,
    },
    Cells(u64),
    Io(std::io::Error),
    /// The consuming thread is gone (its sink failed): it reports why.
    Stopped,
}

/// An attribute as read: its written name, where the local name starts, its
/// namespace and its value. Kept per open element for predicates on ancestors.
#[derive(Default)]
struct Attr {
    qname: String,
    local_at: usize,
    ns: Option<NsId>,
    value: String,
}

impl Attr {
    fn local(&self) -> &[u8] {
        &self.qname.as_bytes()[self.local_at..]
    }
}

/// An open element. Levels are reused, so their buffers are too.
#[derive(Default)]
struct Level {
    node: u32,
    declared: usize,
    had_child: bool,
    text: String,
    /// The element's text while it is one piece of the current window, which is copied
    /// only where it goes (see [`Producer::window`]); `text` is empty meanwhile.
    pending: Option<(usize, usize)>,
    attrs: Vec<Attr>,
    n_attrs: usize,
    /// Where the element's written name starts in [`Producer::names`].
    name_at: usize,
}

impl Level {
    /// Makes a pending piece of `window` the start of `text`.
    fn keep(&mut self, window: Option<&str>) {
        if let (Some((a, b)), Some(window)) = (self.pending.take(), window) {
            self.text.push_str(&window[a..b]);
        }
    }
}

/// What the parsing thread needs: the document comes to [`Parser::stream`] or
/// [`Parser::in_place`].
pub(super) struct Parser<'a> {
    pub file: &'a str,
    pub options: &'a ReadOptions,
    pub tree: Tree,
    pub namespaces: Namespaces,
    pub out: SyncSender<Msg>,
    pub recycle: Receiver<Batch>,
    /// Window size.
    pub window: usize,
}

impl Parser<'_> {
    /// Parses a stream and sends its header, then its rows. `Ok(None)` when the other
    /// thread stopped listening.
    pub fn stream<R: Read + Seek + Send>(
        self,
        mut reader: R,
    ) -> Result<Option<(u64, usize)>, ReadError> {
        let origin = reader.stream_position().unwrap_or(0);
        let (file, options, window) = (self.file, self.options, self.window);
        // The reads run on a third thread, beside the parse: on a large file the kernel's
        // copying out of the page cache is a good part of a bare parse.
        std::thread::scope(|scope| {
            let ahead = ReadAhead::spawn(scope, reader, None);
            let mut windows = Windows::new(ahead, window).map_err(|e| ReadError::io(file, e))?;
            let parsed = self.parse(&mut windows);
            outcome(parsed, file, options, |pos| {
                line_at(windows.into_inner().into_inner(), origin, pos)
            })
        })
    }

    /// [`Parser::stream`] for a document held whole.
    pub fn in_place(self, doc: &dyn InPlace) -> Result<Option<(u64, usize)>, ReadError> {
        let (file, options, window) = (self.file, self.options, self.window);
        let (progress, parsed_to) = sync_channel(1);
        let parsed = std::thread::scope(|scope| {
            scope.spawn(|| windows::warm(doc.bytes(), parsed_to));
            self.parse(&mut InPlaceWindows::new(doc, window, progress))
        });
        outcome(parsed, file, options, |pos| {
            let upto = &doc.bytes()[..usize::try_from(pos).unwrap_or(usize::MAX)];
            1 + memchr::memchr_iter(b'\n', upto).count() as u64
        })
    }

    /// Parses every window; on a fault, the rows before it are sent first, as a sink
    /// would have had them.
    fn parse<S: Source>(self, windows: &mut S) -> Result<(u64, usize), Fault> {
        let mut p = Producer::new(
            self.options,
            self.tree,
            self.namespaces,
            self.out,
            self.recycle,
        );
        let fault = match p.run(windows) {
            Ok(()) => return Ok((p.records, p.headers.len())),
            Err(fault) => fault,
        };
        let rows = p.batch.rows;
        p.batch.spans.truncate(rows * p.headers.len());
        if p.began && rows > 0 && p.flush().is_err() {
            return Err(Fault::Stopped);
        }
        Err(fault)
    }
}

/// What the reader reports: `line` counts the lines up to a fault's byte position.
fn outcome(
    parsed: Result<(u64, usize), Fault>,
    file: &str,
    options: &ReadOptions,
    line: impl FnOnce(u64) -> u64,
) -> Result<Option<(u64, usize)>, ReadError> {
    match parsed {
        Ok(done) => Ok(Some(done)),
        Err(Fault::Stopped) => Ok(None),
        Err(fault) => Err(fault.into_error(file, options, line)),
    }
}

impl Fault {
    /// The error to report; `line` counts the lines up to a byte position (only one
    /// fault is ever reported, so it is called at most once).
    fn into_error(
        self,
        file: &str,
        options: &ReadOptions,
        line: impl FnOnce(u64) -> u64,
    ) -> ReadError {
        match self {
            Fault::Xml { pos, detail } => ReadError::Xml {
                file: file.into(),
                line: line(pos),
                detail,
            },
            Fault::Depth { pos, depth } => ReadError::Limit {
                file: file.into(),
                limit: "max_xml_depth",
                what: format!(
                    "line {}: elements nest deeper than {} levels",
                    line(pos),
                    options.limits.max_xml_depth
                ),
                value: depth,
                max: u64::from(options.limits.max_xml_depth),
            },
            Fault::Cells(cells) => ReadError::Limit {
                file: file.into(),
                limit: "max_cells",
                what: format!("the file has over {cells} cells"),
                value: cells,
                max: options.limits.max_cells,
            },
            Fault::Io(e) => ReadError::io(file, e),
            Fault::Stopped => {
                ReadError::Sink(std::io::Error::other("the consuming thread stopped"))
            }
        }
    }
}

/// The 1-based line of byte `pos` (counted from `origin`), read again from the source;
/// 0 if the source cannot be read again.
fn line_at<R: Read + Seek>(mut reader: R, origin: u64, pos: u64) -> u64 {
    if reader.seek(SeekFrom::Start(origin)).is_err() {
        return 0;
    }
    let (mut left, mut lines, mut buf) = (pos, 1u64, vec![0; 64 << 10]);
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        match reader.read(&mut buf[..want]) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
                left -= n as u64;
            }
        }
    }
    lines
}

struct Producer<'a> {
    options: &'a ReadOptions,
    namespaces: Namespaces,
    bindings: Bindings,
    tree: Tree,
    /// The document's encoding, as its first window (declaration, byte-order mark) says.
    decoder: Decoder,
    /// The document is UTF-8 (as it is unless its declaration says otherwise).
    utf8: bool,
    levels: Vec<Level>,
    /// The written names of the open elements, end to end, to check each end tag
    /// against (quick-xml cannot: a window may close what an earlier one opened).
    names: Vec<u8>,
    /// An element name decoded to UTF-8 (only a name that is not ASCII needs it).
    name_buf: String,
    depth: usize,
    /// The depth of the open record element, when inside one.
    record_depth: Option<usize>,
    began: bool,
    headers: Vec<String>,
    /// Automatic mode, first record: its keys and values, until they are the columns.
    first: Vec<(String, String)>,
    auto_keys: Vec<String>,
    auto_index: HashMap<String, usize>,
    /// The current record's cells (spans into the batch's text) and which are set.
    cur: Vec<(usize, usize)>,
    seen: Vec<bool>,
    batch: Batch,
    out: SyncSender<Msg>,
    recycle: Receiver<Batch>,
    records: u64,
    cells: u64,
}

impl<'a> Producer<'a> {
    fn new(
        options: &'a ReadOptions,
        tree: Tree,
        mut namespaces: Namespaces,
        out: SyncSender<Msg>,
        recycle: Receiver<Batch>,
    ) -> Self {
        Producer {
            options,
            bindings: Bindings::new(&mut namespaces),
            namespaces,
            tree,
            decoder: Reader::from_reader(&b""[..]).decoder(),
            utf8: true,
            levels: Vec::new(),
            names: Vec::new(),
            name_buf: String::new(),
            depth: 0,
            record_depth: None,
            began: false,
            headers: options.fields.iter().map(|f| f.name.clone()).collect(),
            first: Vec::new(),
            auto_keys: Vec::new(),
            auto_index: HashMap::new(),
            cur: Vec::new(),
            seen: Vec::new(),
            batch: Batch {
                first: 1,
                ..Batch::default()
            },
            out,
            recycle,
            records: 0,
            cells: 0,
        }
    }

    fn run<S: Source>(&mut self, windows: &mut S) -> Result<(), Fault> {
        let (first, _, _) = windows.window();
        if [&b"\xFF\xFE"[..], b"\xFE\xFF", b"<\0", b"\0<"]
            .iter()
            .any(|m| first.starts_with(m))
        {
            return Err(self.xml(0, UTF_16.into()));
        }
        loop {
            let (window, base, last) = windows.window();
            let mut xml = Reader::from_reader(window);
            let config = xml.config_mut();
            config.expand_empty_elements = true;
            config.check_end_names = false;
            config.allow_unmatched_ends = true;
            let done = self.window(&mut xml, window, base, last)?;
            if last {
                break;
            }
            windows.advance(done).map_err(Fault::Io)?;
        }
        if !self.began {
            self.begin()?;
        }
        if self.batch.rows > 0 {
            self.flush()?;
        }
        Ok(())
    }

    /// Parses one window (at `base` in the document); returns how much of it is done.
    /// The rest is markup the window's end cuts, which quick-xml reports as a syntax
    /// error (input ended inside markup); only in the last window is that an error.
    ///
    /// A UTF-8 window is checked whole, once, instead of text by text: a check per
    /// text costs more than the parse of it. Its bad bytes, if any, are reported when
    /// the parse reaches them (so that a fault does not depend on where windows end),
    /// and its texts are then slices of it: each is copied once, to where it goes.
    fn window(
        &mut self,
        xml: &mut Reader<&[u8]>,
        window: &[u8],
        base: u64,
        last: bool,
    ) -> Result<usize, Fault> {
        let mut checked: Option<(&str, usize)> = None;
        loop {
            let event = xml.read_event();
            let at = xml.buffer_position() as usize;
            let pos = base + at as u64;
            let text = match (&event, self.utf8) {
                (Ok(Event::Decl(_)) | Err(_), _) | (_, false) => None,
                (_, true) => {
                    let (text, valid) = *checked.get_or_insert_with(|| utf8_prefix(window));
                    if at > valid {
                        return Err(self.xml(base + valid as u64, NOT_UTF_8.into()));
                    }
                    Some(text)
                }
            };
            match event {
                Err(quick_xml::Error::Syntax(_)) if !last => {
                    self.keep_pending(checked.map(|(text, _)| text));
                    return Ok(xml.error_position() as usize);
                }
                Err(e) => {
                    return Err(self.xml(pos, format!("the XML is malformed: {e}")));
                }
                // Only the declaration sets the encoding (a UTF-16 byte-order mark is
                // refused before parsing).
                Ok(Event::Decl(_)) => {
                    self.decoder = xml.decoder();
                    self.utf8 = self.decoder.encoding() == encoding_rs::UTF_8;
                    if self.decoder.encoding().name().starts_with("UTF-16") {
                        return Err(self.xml(pos, UTF_16.into()));
                    }
                }
                Ok(Event::Start(e)) => self.start(&e, pos)?,
                Ok(Event::End(e)) => self.end(e.name().as_ref(), pos, text)?,
                Ok(Event::Text(t)) => match text {
                    Some(text) => {
                        // A text ends where the parser stands (at `<` or `&`).
                        debug_assert_eq!(&text.as_bytes()[at - t.len()..at], &*t);
                        self.text_piece(text, at - t.len(), at)
                    }
                    None => self.text(&t, pos, None)?,
                },
                Ok(Event::CData(t)) => self.text(&t, pos, text)?,
                Ok(Event::GeneralRef(r)) => {
                    let ch = resolve_ref(&r).map_err(|d| self.xml(pos, d))?;
                    if let Some(level) = self.text_buffer(text) {
                        level.push(ch);
                    }
                }
                // An external DTD is harmless here: nothing is ever fetched or expanded.
                Ok(Event::DocType(d)) if d.contains(&b'[') => {
                    return Err(self.xml(pos, "the document has a DOCTYPE with an internal subset (entity or DTD declarations), which is refused for safety; remove the DOCTYPE".into()));
                }
                Ok(Event::Eof) => {
                    if last && self.depth > 0 {
                        let open = self.qname(self.depth - 1).to_string();
                        return Err(self.xml(pos, format!("the document ends inside <{open}>; the file is truncated or not well-formed")));
                    }
                    self.keep_pending(checked.map(|(text, _)| text));
                    return Ok(at);
                }
                _ => {}
            }
        }
    }

    /// The window is about to go: texts still pending in it are copied.
    fn keep_pending(&mut self, window: Option<&str>) {
        let depth = self.depth;
        self.levels[..depth].iter_mut().for_each(|l| l.keep(window));
    }

    /// An XML error at `pos`, naming the record when inside one.
    fn xml(&self, pos: u64, detail: String) -> Fault {
        let detail = match self.record_depth {
            Some(_) => format!("record {}: {detail}", self.records + 1),
            None => detail,
        };
        Fault::Xml { pos, detail }
    }

    /// The written name of the open element at `level`, for messages.
    fn qname(&self, level: usize) -> Cow<'_, str> {
        let end = self
            .levels
            .get(level + 1)
            .filter(|_| level + 1 < self.depth);
        let end = end.map_or(self.names.len(), |l| l.name_at);
        self.decoder
            .decode(&self.names[self.levels[level].name_at..end])
            .unwrap_or_else(|_| {
                String::from_utf8_lossy(&self.names[self.levels[level].name_at..end])
            })
    }

    fn start(&mut self, e: &BytesStart<'_>, pos: u64) -> Result<(), Fault> {
        let decoder = self.decoder;
        if self.depth as u64 >= u64::from(self.options.limits.max_xml_depth) {
            return Err(Fault::Depth {
                pos,
                depth: self.depth as u64 + 1,
            });
        }
        if self.levels.len() == self.depth {
            self.levels.push(Level::default());
        }
        let parent = match self.depth {
            0 => 0,
            d => self.levels[d - 1].node,
        };
        let level = &mut self.levels[self.depth];
        level.name_at = self.names.len();
        self.names.extend_from_slice(e.name().as_ref());
        level.declared = 0;
        level.n_attrs = 0;
        level.had_child = false;
        level.text.clear();
        level.pending = None;
        // Declarations first: they apply to the element's own name.
        let raw = e.attributes_raw();
        if raw.iter().any(|b| !b.is_ascii_whitespace()) {
            // One `=`, one attribute: no duplicate to look for, so quick-xml need not
            // keep (allocate) a list of names to check each against.
            let single = memchr::memchr(b'=', raw) == memchr::memrchr(b'=', raw);
            for a in e.attributes().with_checks(!single) {
                let a = a.map_err(|e| self.xml(pos, format!("bad attribute: {e}")))?;
                // In a checked UTF-8 window the bytes are text already; only a value
                // holding a reference needs more than a look.
                let key = match (self.utf8, std::str::from_utf8(a.key.as_ref())) {
                    (true, Ok(key)) => Cow::Borrowed(key),
                    _ => decoder.decode(a.key.as_ref()).map_err(|e| {
                        self.xml(
                            pos,
                            format!(
                                "an attribute name is not {}: {e}",
                                decoder.encoding().name()
                            ),
                        )
                    })?,
                };
                let plain = !a.value.contains(&b'&');
                let value = match (self.utf8 && plain, std::str::from_utf8(&a.value)) {
                    (true, Ok(value)) => Cow::Borrowed(value),
                    _ => a.decode_and_unescape_value(decoder).map_err(|e| {
                        self.xml(pos, format!("attribute {key}: {e} (only XML's five entities and numeric references are allowed)"))
                    })?,
                };
                let level = &mut self.levels[self.depth];
                if key == "xmlns" || key.starts_with("xmlns:") {
                    let prefix = key.as_bytes().get(6..).unwrap_or_default();
                    self.bindings
                        .declare(&mut self.namespaces, prefix, value.as_bytes());
                    level.declared += 1;
                    continue;
                }
                if level.attrs.len() == level.n_attrs {
                    level.attrs.push(Attr::default());
                }
                let attr = &mut level.attrs[level.n_attrs];
                level.n_attrs += 1;
                attr.qname.clear();
                attr.qname.push_str(&key);
                attr.local_at = attr.qname.find(':').map_or(0, |i| i + 1);
                attr.value.clear();
                attr.value.push_str(&value);
            }
        }
        for i in 0..self.levels[self.depth].n_attrs {
            let attr = &self.levels[self.depth].attrs[i];
            let ns = match attr.local_at {
                0 => None,
                at => self.bindings.resolve(&attr.qname.as_bytes()[..at - 1]),
            };
            self.levels[self.depth].attrs[i].ns = ns;
        }
        // Names are matched as UTF-8 text, whatever the document's encoding.
        let mut name = e.name().into_inner();
        if !self.utf8 && !name.is_ascii() {
            self.name_buf.clear();
            decoder.decode_into(name, &mut self.name_buf).map_err(|e| {
                self.xml(
                    pos,
                    format!("an element name is not {}: {e}", decoder.encoding().name()),
                )
            })?;
            name = self.name_buf.as_bytes();
        }
        // Names are short: a search inline beats a call.
        let prefix = (name.iter().position(|&b| b == b':')).map_or(&b""[..], |i| &name[..i]);
        let ns = self.bindings.resolve(prefix);
        let node = self
            .tree
            .child(parent, ns, name)
            .map_err(|()| self.xml(pos, format!("the document has over {MAX_NODES} distinct element paths, more than a table has; give read.record_path and read.fields, or split the file")))?;
        self.levels[self.depth].node = node;
        let relevant = self.tree.nodes.get(node as usize);
        self.depth += 1;
        let Some(n) = relevant else { return Ok(()) };
        if n.record && self.record_depth.is_none() {
            self.record_depth = Some(self.depth);
            self.first.clear();
        } else if self.record_depth.is_some() && self.depth >= 2 {
            self.levels[self.depth - 2].had_child = true;
        }
        if self.record_depth.is_some() && self.levels[self.depth - 1].n_attrs > 0 {
            self.attributes(node, pos)?;
        }
        Ok(())
    }

    /// The open element's attributes fill their columns (automatic mode) or fields.
    fn attributes(&mut self, node: u32, pos: u64) -> Result<(), Fault> {
        let level = self.depth - 1;
        let n_attrs = self.levels[level].n_attrs;
        if self.tree.fields.is_empty() {
            for i in 0..n_attrs {
                let col = self.attr_column(node, level, i);
                let value = std::mem::take(&mut self.levels[level].attrs[i].value);
                let key = |p: &Self| {
                    attr_key(
                        &p.tree.nodes[node as usize].key,
                        &p.levels[level].attrs[i].qname,
                    )
                };
                let put = self.put_auto(col, &value, pos, &key);
                self.levels[level].attrs[i].value = value;
                put?;
            }
            return Ok(());
        }
        // By index: the node's field list is read in place, not copied per element.
        let n_fields = self.tree.nodes[node as usize].attr_fields.len();
        for i in 0..n_attrs {
            for k in 0..n_fields {
                let f = self.tree.nodes[node as usize].attr_fields[k];
                let attr = &self.levels[level].attrs[i];
                if self.tree.fields[f as usize].is_attribute(attr.ns, attr.local())
                    && self.predicates_hold(f)
                {
                    let value = std::mem::take(&mut self.levels[level].attrs[i].value);
                    let put = self.put_field(f as usize, &value, pos);
                    self.levels[level].attrs[i].value = value;
                    put?;
                }
            }
        }
        Ok(())
    }

    /// Automatic mode: the column of attribute `i` of the element at `level`.
    fn attr_column(&mut self, node: u32, level: usize, i: usize) -> u32 {
        let qname = self.levels[level].attrs[i].qname.as_bytes();
        let n = &self.tree.nodes[node as usize];
        if let Some((_, col)) = n.attr_columns.iter().find(|(q, _)| **q == *qname) {
            return *col;
        }
        if !self.began {
            return UNRESOLVED;
        }
        let key = attr_key(&n.key, &self.levels[level].attrs[i].qname);
        let col = self.auto_index.get(&key).map_or(MISSING, |&c| c as u32);
        let qname: Box<[u8]> = qname.into();
        self.tree.nodes[node as usize]
            .attr_columns
            .push((qname, col));
        col
    }

    /// Whether every predicate of field `f` holds for the open elements it runs over.
    fn predicates_hold(&self, f: u32) -> bool {
        let Some(record) = self.record_depth else {
            return false;
        };
        let steps = &self.tree.fields[f as usize].elements;
        steps.iter().enumerate().all(|(k, (_, pred))| {
            pred.as_ref().is_none_or(|(attr, value)| {
                let level = &self.levels[record + k];
                level.attrs[..level.n_attrs]
                    .iter()
                    .any(|a| attr.is(a.ns, a.local()) && a.value == *value)
            })
        })
    }

    /// The open element whose own text a text is, inside a record.
    fn text_level(&mut self) -> Option<&mut Level> {
        self.record_depth?;
        self.levels.get_mut(self.depth.checked_sub(1)?)
    }

    /// Where text goes: the open element's own text, inside a record (`window` is the
    /// window as text, when checked, for a piece still pending in it).
    fn text_buffer(&mut self, window: Option<&str>) -> Option<&mut String> {
        let level = self.text_level()?;
        level.keep(window);
        Some(&mut level.text)
    }

    /// A text that is `window[a..b]`, already checked: only where it is is noted, when
    /// it is the element's first piece (nearly always its only one).
    fn text_piece(&mut self, window: &str, a: usize, b: usize) {
        let Some(level) = self.text_level() else {
            return;
        };
        if level.pending.is_none() && level.text.is_empty() {
            level.pending = Some((a, b));
        } else {
            level.keep(Some(window));
            level.text.push_str(&window[a..b]);
        }
    }

    /// Text is decoded (checked, for UTF-8) even outside records: a document that is
    /// not what it declares is refused wherever that shows.
    fn text(&mut self, raw: &[u8], pos: u64, window: Option<&str>) -> Result<(), Fault> {
        let decoder = self.decoder;
        let decoded = match self.text_buffer(window) {
            Some(text) => decoder.decode_into(raw, text),
            None => decoder.decode(raw).map(drop),
        };
        decoded.map_err(|e| self.xml(pos, format!("the text is not valid UTF-8: {e}")))
    }

    fn end(&mut self, name: &[u8], pos: u64, window: Option<&str>) -> Result<(), Fault> {
        let Some(d) = self.depth.checked_sub(1) else {
            let found = self.decoder.decode(name).unwrap_or_default();
            return Err(self.xml(
                pos,
                format!(
                    "the end tag </{found}> closes no open element; the file is not well-formed"
                ),
            ));
        };
        if !same(&self.names[self.levels[d].name_at..], name) {
            let found = self.decoder.decode(name).unwrap_or_default();
            let open = self.qname(d);
            return Err(self.xml(pos, format!("the end tag </{found}> does not match the open <{open}>; the file is not well-formed")));
        }
        self.names.truncate(self.levels[d].name_at);
        let node = self.levels[d].node;
        self.bindings.pop(self.levels[d].declared);
        let pending = self.levels[d].pending.take();
        let owned = std::mem::take(&mut self.levels[d].text);
        let text = match (pending, window) {
            (Some((a, b)), Some(window)) => &window[a..b],
            _ => owned.as_str(),
        };
        let result = match self.tree.nodes.get(node as usize) {
            Some(n) if n.rel > 0 && self.record_depth.is_some() => {
                if self.tree.fields.is_empty() {
                    let col = n.column as usize;
                    if self.levels[d].had_child {
                        Ok(())
                    } else if self.began && col < self.cur.len() && self.set(col, text).is_ok() {
                        // The common case, inline: a known column, not yet filled.
                        Ok(())
                    } else {
                        let col = self.column(node);
                        let key = |p: &Self| p.tree.nodes[node as usize].key.clone();
                        self.put_auto(col, text, pos, &key)
                    }
                } else {
                    let n_fields = n.elem_fields.len();
                    let mut put = Ok(());
                    for k in 0..n_fields {
                        let f = self.tree.nodes[node as usize].elem_fields[k];
                        if put.is_ok() && self.predicates_hold(f) {
                            put = self.put_field(f as usize, text, pos);
                        }
                    }
                    put
                }
            }
            _ => Ok(()),
        };
        self.levels[d].text = owned;
        result?;
        self.depth = d;
        if self.record_depth == Some(d + 1) {
            self.record_depth = None;
            return self.finish_record();
        }
        Ok(())
    }

    /// Automatic mode: the column of the element at `node`, once the columns are known.
    fn column(&mut self, node: u32) -> u32 {
        if !self.began {
            return UNRESOLVED;
        }
        let n = &mut self.tree.nodes[node as usize];
        if n.column == UNRESOLVED {
            n.column = self.auto_index.get(&n.key).map_or(MISSING, |&c| c as u32);
        }
        n.column
    }

    /// Automatic mode: puts `value` in column `col`; `key` names the column, only
    /// needed before the columns are fixed and in messages.
    #[inline]
    fn put_auto(
        &mut self,
        col: u32,
        value: &str,
        pos: u64,
        key: &dyn Fn(&Self) -> String,
    ) -> Result<(), Fault> {
        let twice = |k: &str| {
            format!("\"{k}\" occurs more than once in the record; map the columns with read.fields")
        };
        if !self.began {
            let k = key(self);
            if self.first.iter().any(|(have, _)| *have == k) {
                return Err(self.xml(pos, twice(&k)));
            }
            self.first.push((k, value.to_string()));
            return Ok(());
        }
        if col == MISSING {
            let k = key(self);
            return Err(self.xml(pos, format!("\"{k}\" is not in the first record, whose columns are {}; list every column in read.fields", self.auto_keys.join(", "))));
        }
        self.set(col as usize, value)
            .map_err(|()| self.xml(pos, twice(&key(self))))
    }

    fn put_field(&mut self, i: usize, value: &str, pos: u64) -> Result<(), Fault> {
        self.size_row();
        self.set(i, value).map_err(|()| {
            self.xml(
                pos,
                format!(
                    "field \"{}\" ({}) occurs more than once; make its path more specific",
                    self.headers[i], self.options.fields[i].path
                ),
            )
        })
    }

    /// Fills cell `i` of the current record; `Err` if it was filled already.
    #[inline]
    fn set(&mut self, i: usize, value: &str) -> Result<(), ()> {
        if std::mem::replace(&mut self.seen[i], true) {
            return Err(());
        }
        let start = self.batch.text.len();
        self.batch.text.push_str(value);
        self.cur[i] = (start, self.batch.text.len());
        Ok(())
    }

    fn size_row(&mut self) {
        if self.cur.len() != self.headers.len() {
            self.cur = vec![(0, 0); self.headers.len()];
            self.seen = vec![false; self.headers.len()];
        }
    }

    fn begin(&mut self) -> Result<(), Fault> {
        if self.tree.fields.is_empty() {
            self.headers = unique_names(self.auto_keys.iter().cloned());
        }
        self.began = true;
        self.size_row();
        (self.out.send(Msg::Begin(self.headers.clone()))).map_err(|_| Fault::Stopped)
    }

    fn finish_record(&mut self) -> Result<(), Fault> {
        if !self.began {
            if self.tree.fields.is_empty() {
                self.auto_keys = self.first.iter().map(|(k, _)| k.clone()).collect();
                self.auto_index = (self.auto_keys.iter().cloned())
                    .enumerate()
                    .map(|(i, k)| (k, i))
                    .collect();
            }
            self.begin()?;
            for i in 0..self.first.len() {
                let value = std::mem::take(&mut self.first[i].1);
                let _ = self.set(i, &value);
            }
        }
        self.records += 1;
        self.cells += self.cur.len() as u64;
        if self.cells > self.options.limits.max_cells {
            return Err(Fault::Cells(self.cells));
        }
        self.batch.spans.extend_from_slice(&self.cur);
        self.batch.rows += 1;
        self.cur.iter_mut().for_each(|c| *c = (0, 0));
        self.seen.iter_mut().for_each(|s| *s = false);
        if self.batch.rows >= BATCH_ROWS || self.batch.text.len() >= BATCH_TEXT {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Fault> {
        let mut next = self.recycle.try_recv().unwrap_or_default();
        next.clear();
        next.first = self.records + 1;
        let full = std::mem::replace(&mut self.batch, next);
        self.out.send(Msg::Rows(full)).map_err(|_| Fault::Stopped)
    }
}

fn attr_key(element_key: &str, attr: &str) -> String {
    if element_key.is_empty() {
        format!("@{attr}")
    } else {
        format!("{element_key}/@{attr}")
    }
}

/// `window` as text up to its first byte that is not UTF-8, and where that is.
fn utf8_prefix(window: &[u8]) -> (&str, usize) {
    match simdutf8::compat::from_utf8(window) {
        Ok(text) => (text, window.len()),
        Err(e) => {
            let valid = e.valid_up_to();
            (
                std::str::from_utf8(&window[..valid]).unwrap_or_default(),
                valid,
            )
        }
    }
}
