//! The manifest's record path and field paths, parsed once into steps that match
//! by namespace URI and local name (see the parent module for the path language).

use super::super::{ReadOptions, XmlField};

pub(super) const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// One path step: a namespace URI (`None` = any) and a local name.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Step {
    pub ns: Option<String>,
    pub local: String,
}

/// A field's element step: a name and an optional `[@attr='value']` predicate.
#[derive(Debug, PartialEq)]
pub(super) struct ElemStep {
    pub name: Step,
    /// The attribute (exact namespace: `None` only matches no namespace) and its value.
    pub pred: Option<(Step, String)>,
}

#[derive(Debug, PartialEq)]
pub(super) struct Field {
    pub elements: Vec<ElemStep>,
    pub attribute: Option<Step>,
}

/// What to read: the record path (`None`: the root's children) and the fields (none:
/// automatic mode).
pub(super) struct Plan {
    pub record: Option<Vec<Step>>,
    pub fields: Vec<Field>,
}

impl Plan {
    /// # Errors
    /// A message naming the path that is malformed or whose prefix is not declared.
    pub fn new(options: &ReadOptions) -> Result<Plan, String> {
        let record: Option<Vec<Step>> = options
            .record_path
            .as_deref()
            .map(|p| {
                let p = p.trim().trim_start_matches('/');
                p.split('/')
                    .map(|s| parse_step(s, options))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        if record.as_ref().is_some_and(|r| {
            r.iter()
                .any(|s| s.local.is_empty() || s.local.starts_with('@') || s.local.contains('['))
        }) {
            return Err(format!(
                "record_path \"{}\" must be element names like /publications/publication",
                options.record_path.as_deref().unwrap_or_default()
            ));
        }
        let fields = options
            .fields
            .iter()
            .map(|f| parse_field(f, options))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Plan { record, fields })
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
