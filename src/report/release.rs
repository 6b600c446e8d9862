//! `ogpipe report plan`: the priority list with its release plan and schedule, as the
//! DG of Information Management and the IMSO sign it: every resource recommended for
//! release, in priority order, with its planned date, its approvals with their dates,
//! and where it stands on the report date.

use std::io::{self, Write};

use chrono::NaiveDate;

use super::doc::{Doc, Kind, Table};
use super::render::safe;
use super::{state_text, Entry, Lang};
use crate::plan::manifest::{DecisionStatus, Role};

/// The plan's entries: decided `release`, readable, in priority order, then date.
pub fn lines(entries: &[Entry]) -> Vec<&Entry> {
    let mut v: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.decision == Some(DecisionStatus::Release) && e.priority.is_some())
        .collect();
    v.sort_by(|a, b| {
        (a.priority, a.release_date, a.name()).cmp(&(b.priority, b.release_date, b.name()))
    });
    v
}

fn approval(e: &Entry, role: Role, lang: Lang) -> String {
    e.approval(role).map_or_else(
        || lang.words().awaiting.to_string(),
        |a| format!("{}, {}", a.name, a.date),
    )
}

/// The plan as a document.
pub fn document(
    entries: &[Entry],
    as_of: NaiveDate,
    lang: Lang,
    department: Option<String>,
) -> Doc {
    let w = lang.words();
    let mut d = Doc::as_of(lang, department, w.plan_title, as_of);
    d.para(w.plan_approval_note.to_string());
    let mut t = Table::new(
        lang,
        &[
            (w.priority, Kind::Num),
            (w.reference, Kind::Code),
            (w.title, Kind::Text),
            (w.category, Kind::Text),
            (w.planned_date, Kind::Code),
            (w.business_owner, Kind::Text),
            (w.dg_im, Kind::Text),
            (w.imso, Kind::Text),
            (w.status, Kind::Text),
            (w.plan_note, Kind::Text),
        ],
    );
    for e in lines(entries) {
        t.row(vec![
            e.priority.map(|p| p.to_string()).unwrap_or_default(),
            e.name().to_string(),
            e.title_in(lang),
            e.category.clone().unwrap_or_default(),
            e.release_date.map(|d| d.to_string()).unwrap_or_default(),
            approval(e, Role::BusinessOwner, lang),
            approval(e, Role::DgIm, lang),
            approval(e, Role::Imso, lang),
            state_text(e, as_of, lang),
            e.plan.clone(),
        ]);
    }
    d.h2(w.release_plan_heading);
    d.table(t);
    d
}

/// The CSV columns: the plan as a dataset of its own could publish it.
pub const CSV_HEADER: [&str; 13] = [
    "priority",
    "reference",
    "title",
    "category",
    "planned_date",
    "business_owner",
    "business_owner_date",
    "dg_im",
    "dg_im_date",
    "imso",
    "imso_date",
    "status",
    "first_published",
];

/// Writes the plan as CSV.
///
/// # Errors
/// The write failed.
pub fn csv<W: Write>(entries: &[Entry], as_of: NaiveDate, lang: Lang, w: W) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(CSV_HEADER)?;
    for e in lines(entries) {
        let who = |r: Role| e.approval(r).map(|a| a.name.clone()).unwrap_or_default();
        let when = |r: Role| {
            e.approval(r)
                .map(|a| a.date.to_string())
                .unwrap_or_default()
        };
        out.write_record([
            e.priority.map(|p| p.to_string()).unwrap_or_default(),
            safe(e.name()),
            safe(&e.title_in(lang)),
            safe(e.category.as_deref().unwrap_or("")),
            e.release_date.map(|d| d.to_string()).unwrap_or_default(),
            safe(&who(Role::BusinessOwner)),
            when(Role::BusinessOwner),
            safe(&who(Role::DgIm)),
            when(Role::DgIm),
            safe(&who(Role::Imso)),
            when(Role::Imso),
            safe(&state_text(e, as_of, lang)),
            e.first_published()
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ])?;
    }
    out.flush()
}
