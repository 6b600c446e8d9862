//! Where an element stands: its namespace, and its node in a tree of the document's
//! element paths.
//!
//! Namespace declarations are tracked here rather than by quick-xml's `NsReader`,
//! which does work for every element; here an element that declares nothing (nearly
//! all of them) costs one look at its attribute bytes. The path tree remembers once per
//! distinct path what an element on it means (does it start a record, which column or
//! fields does it fill), where the reader would otherwise work that out again for each
//! of a million records.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use super::paths::{Field, Plan, Step, XML_NS};

pub(super) type NsId = u32;
/// Namespaces past [`Namespaces::MAX`] share this id, which no step names.
const OTHER: NsId = NsId::MAX;

/// Namespace URIs by id: the manifest's first, then the document's as they appear.
#[derive(Default)]
pub(super) struct Namespaces(Vec<Box<[u8]>>);

impl Namespaces {
    /// Beyond this many distinct URIs (a hostile document), URIs share one id.
    const MAX: usize = 256;

    fn id(&mut self, uri: &[u8]) -> NsId {
        if let Some(i) = self.0.iter().position(|n| **n == *uri) {
            return i as NsId;
        }
        if self.0.len() >= Self::MAX {
            return OTHER;
        }
        self.0.push(uri.into());
        (self.0.len() - 1) as NsId
    }
}

/// The prefix declarations in scope, innermost last.
pub(super) struct Bindings {
    list: Vec<(Box<[u8]>, Option<NsId>)>,
    xml: NsId,
}

impl Bindings {
    pub fn new(namespaces: &mut Namespaces) -> Bindings {
        Bindings {
            list: Vec::new(),
            xml: namespaces.id(XML_NS.as_bytes()),
        }
    }

    /// `xmlns:prefix="uri"` (`prefix` empty: `xmlns="uri"`; an empty URI undeclares).
    pub fn declare(&mut self, namespaces: &mut Namespaces, prefix: &[u8], uri: &[u8]) {
        let id = (!uri.is_empty()).then(|| namespaces.id(uri));
        self.list.push((prefix.into(), id));
    }

    /// Ends the scope of the last `n` declarations.
    pub fn pop(&mut self, n: usize) {
        self.list.truncate(self.list.len().saturating_sub(n));
    }

    /// The namespace a prefix stands for (`b""`: the default namespace); `None` when
    /// it is not declared.
    pub fn resolve(&self, prefix: &[u8]) -> Option<NsId> {
        if prefix == b"xml" {
            return Some(self.xml);
        }
        self.list
            .iter()
            .rev()
            .find(|(p, _)| same(p, prefix))
            .and_then(|(_, id)| *id)
    }
}

/// A step with its namespace as an id.
pub(super) struct Name {
    ns: Option<NsId>,
    local: Box<[u8]>,
}

impl Name {
    fn new(step: &Step, namespaces: &mut Namespaces) -> Name {
        Name {
            ns: step.ns.as_deref().map(|u| namespaces.id(u.as_bytes())),
            local: step.local.as_bytes().into(),
        }
    }

    /// As an element step: without a namespace it matches any.
    fn matches(&self, ns: Option<NsId>, local: &[u8]) -> bool {
        *self.local == *local && (self.ns.is_none() || self.ns == ns)
    }

    /// As an attribute in a predicate: the namespace must be the same, none included.
    pub fn is(&self, ns: Option<NsId>, local: &[u8]) -> bool {
        *self.local == *local && self.ns == ns
    }
}

/// A field with its namespaces as ids: element steps (each with its predicate) and
/// the attribute it ends in, if any.
pub(super) struct FieldPath {
    pub elements: Vec<(Name, Option<(Name, String)>)>,
    pub attribute: Option<Name>,
}

impl FieldPath {
    fn new(field: &Field, namespaces: &mut Namespaces) -> FieldPath {
        FieldPath {
            elements: (field.elements.iter())
                .map(|e| {
                    let pred =
                        (e.pred.as_ref()).map(|(a, v)| (Name::new(a, namespaces), v.clone()));
                    (Name::new(&e.name, namespaces), pred)
                })
                .collect(),
            attribute: field.attribute.as_ref().map(|a| Name::new(a, namespaces)),
        }
    }

    /// Whether an attribute `(ns, local)` is this field's attribute step.
    pub fn is_attribute(&self, ns: Option<NsId>, local: &[u8]) -> bool {
        self.attribute
            .as_ref()
            .is_some_and(|a| a.matches(ns, local))
    }
}

/// Not a node: an element whose path can hold no record and no field.
pub(super) const NONE: u32 = u32::MAX;
/// [`Node::column`] before it is looked up, and when the first record had no such column.
pub(super) const UNRESOLVED: u32 = u32::MAX;
pub(super) const MISSING: u32 = u32::MAX - 1;

pub(super) struct Node {
    pub ns: Option<NsId>,
    /// As written, prefix included.
    pub qname: Box<str>,
    depth: usize,
    /// The path from the root matches the record path so far.
    record_prefix: bool,
    /// An element here starts a record (it is not inside one already).
    pub record: bool,
    /// Depth below the record element; 0 for the record itself and outside records.
    pub rel: usize,
    /// Automatic mode: the column key (the path from the record, `author/name`), and
    /// its column once the first record has fixed the columns.
    pub key: String,
    pub column: u32,
    /// Automatic mode: this element's attributes' columns, by written name.
    pub attr_columns: Vec<(Box<[u8]>, u32)>,
    /// Fields whose element steps start with the path from the record to here.
    prefix_fields: Vec<u32>,
    /// Fields this element's text fills, and fields one of its attributes fills.
    pub elem_fields: Vec<u32>,
    pub attr_fields: Vec<u32>,
    children: Vec<u32>,
    hint: usize,
    /// This node's place among its parent's children.
    sibling: usize,
}

impl Node {
    /// Whether this is the node of element `(ns, qname)`.
    #[inline]
    fn is(&self, ns: Option<NsId>, qname: &[u8]) -> bool {
        self.ns == ns && same(self.qname.as_bytes(), qname)
    }
}

/// The tree of element paths met so far (only those that can matter).
/// Only elements that can matter get a node: on the way to a record, in a record in
/// automatic mode, or on the way to a field.
pub(super) struct Tree {
    pub nodes: Vec<Node>,
    /// Children by (parent, namespace, name), for parents with many.
    index: HashMap<u64, Vec<u32>>,
    record: Option<Vec<Name>>,
    pub fields: Vec<FieldPath>,
    auto: bool,
}

/// More distinct element paths than a table's document has: refused as hostile.
pub(super) const MAX_NODES: usize = 100_000;

impl Tree {
    pub fn new(plan: &Plan, namespaces: &mut Namespaces) -> Tree {
        let record = (plan.record.as_ref())
            .map(|steps| steps.iter().map(|s| Name::new(s, namespaces)).collect());
        let fields = (plan.fields.iter())
            .map(|f| FieldPath::new(f, namespaces))
            .collect();
        let root = Node {
            ns: None,
            qname: "".into(),
            depth: 0,
            record_prefix: true,
            record: false,
            rel: 0,
            key: String::new(),
            column: UNRESOLVED,
            attr_columns: Vec::new(),
            prefix_fields: Vec::new(),
            elem_fields: Vec::new(),
            attr_fields: Vec::new(),
            children: Vec::new(),
            hint: 0,
            sibling: 0,
        };
        Tree {
            index: HashMap::new(),
            nodes: vec![root],
            auto: plan.fields.is_empty(),
            record,
            fields,
        }
    }

    /// The node of element `(ns, qname)` under `parent`, made on first sight; [`NONE`]
    /// when it cannot matter (nothing is kept for it); `Err` past [`MAX_NODES`].
    #[inline]
    pub fn child(&mut self, parent: u32, ns: Option<NsId>, qname: &[u8]) -> Result<u32, ()> {
        // Records repeat their children in the same order: most often the child is the
        // one after the last found, or the one after that when a record lacks a field,
        // or (past the last) the first again, as for the next record. Checked inline.
        let Some(p) = self.nodes.get(parent as usize) else {
            return Ok(NONE);
        };
        let n = p.children.len();
        for h in [p.hint, p.hint + 1] {
            let Some(&c) = p.children.get(if h >= n { h - n } else { h }) else {
                break;
            };
            let node = &self.nodes[c as usize];
            if node.is(ns, qname) {
                self.nodes[parent as usize].hint = node.sibling + 1;
                return Ok(c);
            }
        }
        self.find_child(parent, ns, qname)
    }

    #[inline(never)]
    fn find_child(&mut self, parent: u32, ns: Option<NsId>, qname: &[u8]) -> Result<u32, ()> {
        let p = &self.nodes[parent as usize];
        // Not the hinted child: a short list in turn, or the index.
        let is = |c: &u32| self.nodes[*c as usize].is(ns, qname);
        let found = match p.children.len() {
            0..=16 => p.children.iter().copied().find(|c| is(c)),
            _ => (self.index.get(&key(parent, ns, qname)))
                .and_then(|cs| cs.iter().copied().find(|c| is(c))),
        };
        if let Some(c) = found {
            self.nodes[parent as usize].hint = self.nodes[c as usize].sibling + 1;
            return Ok(c);
        }
        let Some(mut node) = self.make(parent as usize, ns, qname) else {
            return Ok(NONE);
        };
        if self.nodes.len() >= MAX_NODES {
            return Err(());
        }
        let id = self.nodes.len() as u32;
        let p = &mut self.nodes[parent as usize];
        node.sibling = p.children.len();
        p.children.push(id);
        p.hint = p.children.len();
        self.nodes.push(node);
        self.index
            .entry(key(parent, ns, qname))
            .or_default()
            .push(id);
        Ok(id)
    }

    /// A node for `(ns, qname)` under `parent`, or `None` when no record or field can
    /// be on that path (then nothing is allocated).
    fn make(&self, parent: usize, ns: Option<NsId>, qname: &[u8]) -> Option<Node> {
        let p = &self.nodes[parent];
        let local = qname
            .iter()
            .position(|&b| b == b':')
            .map_or(qname, |i| &qname[i + 1..]);
        let depth = p.depth + 1;
        let rel = if p.record {
            1
        } else if p.rel > 0 {
            p.rel + 1
        } else {
            0
        };
        let (mut record_prefix, mut record) = (false, false);
        let mut prefix_fields = Vec::new();
        if rel == 0 {
            record_prefix = p.record_prefix
                && match &self.record {
                    Some(steps) => steps.get(depth - 1).is_some_and(|s| s.matches(ns, local)),
                    None => depth <= 2,
                };
            record = record_prefix && self.record.as_ref().map_or(2, Vec::len) == depth;
            if record {
                prefix_fields = (0..self.fields.len() as u32).collect();
            }
            if !record_prefix {
                return None;
            }
        } else if !self.auto {
            prefix_fields = (p.prefix_fields.iter().copied())
                .filter(|&f| {
                    (self.fields[f as usize].elements.get(rel - 1))
                        .is_some_and(|(name, _)| name.matches(ns, local))
                })
                .collect();
            if prefix_fields.is_empty() {
                return None;
            }
        }
        let qname: Box<str> = String::from_utf8_lossy(qname).into();
        let key = match rel {
            0 => String::new(),
            _ if !self.auto => String::new(),
            1 => qname.to_string(),
            _ => format!("{}/{qname}", p.key),
        };
        let ends_here = |f: &&u32, attribute: bool| {
            let f = &self.fields[**f as usize];
            f.elements.len() == rel && f.attribute.is_some() == attribute
        };
        let elem_fields = if rel == 0 {
            Vec::new()
        } else {
            (prefix_fields.iter())
                .filter(|f| ends_here(f, false))
                .copied()
                .collect()
        };
        let attr_fields = (prefix_fields.iter())
            .filter(|f| ends_here(f, true))
            .copied()
            .collect();
        Some(Node {
            ns,
            qname,
            depth,
            record_prefix,
            record,
            rel,
            key,
            column: UNRESOLVED,
            attr_columns: Vec::new(),
            prefix_fields,
            elem_fields,
            attr_fields,
            children: Vec::new(),
            hint: 0,
            sibling: 0,
        })
    }
}

/// The index key of element `(ns, qname)` under `parent`.
fn key(parent: u32, ns: Option<NsId>, qname: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    (parent, ns, qname).hash(&mut h);
    h.finish()
}

/// Byte equality for short names, inline: a call to `memcmp` for every element of a
/// large document is a measurable part of reading it.
#[inline]
pub(super) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}
