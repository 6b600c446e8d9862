//! `ogpipe report owners`: the business owners' report the Directive asks for, separate
//! from the inventory. By information category: each resource's description, the
//! recommendation to release or not with its justification and exemption grounds, the
//! business owner, and the approvals chain (business owner, DG IM, IMSO) with dates.
//! Approvals dated after the report date are not shown: the report is the record as it
//! stood on that date.

use std::collections::BTreeMap;
use std::io::{self, Write};

use chrono::NaiveDate;

use super::doc::{Doc, Kind, Table};
use super::render::safe;
use super::{Entry, Lang};
use crate::plan::manifest::Role;

/// `name, date` of a role's approval, or "awaiting".
fn approval(e: &Entry, role: Role, lang: Lang) -> String {
    e.approval(role).map_or_else(
        || lang.words().awaiting.to_string(),
        |a| format!("{}, {}", a.name, a.date),
    )
}

/// The business owner: the position from the inventory, and the person who signed.
fn owner(e: &Entry) -> String {
    let position = e
        .source
        .as_ref()
        .map(|m| m.inventory.business_owner.clone())
        .unwrap_or_default();
    match e.approval(Role::BusinessOwner) {
        Some(a) if !position.is_empty() => format!("{} ({position})", a.name),
        Some(a) => a.name.clone(),
        None => position,
    }
}

fn description(e: &Entry, lang: Lang) -> String {
    e.source
        .as_ref()
        .map(|m| lang.pick(&m.metadata.description))
        .unwrap_or_default()
}

fn grounds(e: &Entry) -> String {
    if e.grounds.is_empty() {
        "—".to_string()
    } else {
        e.grounds.join("; ")
    }
}

/// The entries by category, categories in order, entries by reference.
fn by_category(entries: &[Entry]) -> BTreeMap<String, Vec<&Entry>> {
    let mut out: BTreeMap<String, Vec<&Entry>> = BTreeMap::new();
    for e in entries.iter().filter(|e| e.source.is_some()) {
        out.entry(e.category.clone().unwrap_or_default())
            .or_default()
            .push(e);
    }
    for v in out.values_mut() {
        v.sort_by(|a, b| a.name().cmp(b.name()));
    }
    out
}

/// The report as a document.
pub fn document(
    entries: &[Entry],
    as_of: NaiveDate,
    lang: Lang,
    department: Option<String>,
) -> Doc {
    let w = lang.words();
    let mut d = Doc::as_of(lang, department, w.owners_title, as_of);
    d.para(w.owners_intro.to_string());
    for (category, list) in by_category(entries) {
        d.h2(&category);
        let owners: Vec<String> = {
            let mut o: Vec<String> = list
                .iter()
                .map(|e| owner(e))
                .filter(|o| !o.is_empty())
                .collect();
            o.dedup();
            o
        };
        d.para(format!(
            "{}{}{}",
            capitalise(w.business_owner),
            w.colon,
            owners.join("; ")
        ));
        let mut t = Table::new(
            lang,
            &[
                (w.reference, Kind::Code),
                (w.title, Kind::Text),
                (w.description, Kind::Text),
                (w.recommendation, Kind::Text),
                (w.justification, Kind::Text),
                (w.grounds, Kind::Text),
                (w.business_owner, Kind::Text),
                (w.dg_im, Kind::Text),
                (w.imso, Kind::Text),
            ],
        );
        for e in list {
            t.row(vec![
                e.name().to_string(),
                e.title_in(lang),
                description(e, lang),
                e.decision_text(lang).to_string(),
                e.justification.clone(),
                grounds(e),
                approval(e, Role::BusinessOwner, lang),
                approval(e, Role::DgIm, lang),
                approval(e, Role::Imso, lang),
            ]);
        }
        d.table(t);
    }
    d
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// The CSV columns.
pub const CSV_HEADER: [&str; 16] = [
    "category",
    "reference",
    "title",
    "description",
    "recommendation",
    "justification",
    "exemption_grounds",
    "business_owner_position",
    "business_owner",
    "business_owner_date",
    "dg_im",
    "dg_im_date",
    "imso",
    "imso_date",
    "release_date",
    "manifest",
];

/// Writes the report as CSV, one row per resource, by category.
///
/// # Errors
/// The write failed.
pub fn csv<W: Write>(entries: &[Entry], lang: Lang, w: W) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(CSV_HEADER)?;
    for (category, list) in by_category(entries) {
        for e in list {
            let who = |r: Role| e.approval(r).map(|a| a.name.clone()).unwrap_or_default();
            let when = |r: Role| {
                e.approval(r)
                    .map(|a| a.date.to_string())
                    .unwrap_or_default()
            };
            out.write_record([
                safe(&category),
                safe(e.name()),
                safe(&e.title_in(lang)),
                safe(&description(e, lang)),
                e.decision_label().to_string(),
                safe(&e.justification),
                safe(&e.grounds.join("; ")),
                safe(
                    &e.source
                        .as_ref()
                        .map(|m| m.inventory.business_owner.clone())
                        .unwrap_or_default(),
                ),
                safe(&who(Role::BusinessOwner)),
                when(Role::BusinessOwner),
                safe(&who(Role::DgIm)),
                when(Role::DgIm),
                safe(&who(Role::Imso)),
                when(Role::Imso),
                e.release_date.map(|d| d.to_string()).unwrap_or_default(),
                safe(&e.manifest),
            ])?;
        }
    }
    out.flush()
}
