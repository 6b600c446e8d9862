//! `ogpipe report`: the inventory and progress report, as Markdown for the IM team's
//! monthly note, CSV for a spreadsheet (one row per dataset), JSON for other tools, and
//! one self-contained HTML page for a director to read at a glance. Markdown and HTML
//! are written from one [`Doc`].

use std::io::{self, Write};

use super::doc::{self, Block, Doc, Kind, Table, Tile};
use super::{state_text, Count, Entry, Lang, PlanLine, Progress, Report};

pub use super::doc::escape;

/// The report's title in English.
pub const TITLE: &str = super::lang::EN.report_title;

fn approval(l: &PlanLine, lang: Lang) -> String {
    l.imso.as_ref().map_or_else(
        || lang.words().awaiting.into(),
        |a| format!("{}, {}", a.name, a.date),
    )
}

fn opt_date(d: Option<chrono::NaiveDate>) -> String {
    d.map_or_else(|| "—".into(), |d| d.to_string())
}

fn label_of(key: &str, lang: Lang) -> String {
    Progress::ALL
        .iter()
        .find(|p| p.key() == key)
        .map_or(key, |p| p.label(lang))
        .to_string()
}

fn counts(lang: Lang, head: &str, counts: &[Count], label: impl Fn(&str) -> String) -> Table {
    let mut t = Table::new(
        lang,
        &[(head, Kind::Text), (lang.words().datasets, Kind::Num)],
    );
    for c in counts {
        t.row(vec![label(&c.label), c.count.to_string()]);
    }
    t
}

fn plan_table(lang: Lang, lines: &[PlanLine]) -> Table {
    let w = lang.words();
    let mut t = Table::new(
        lang,
        &[
            (w.priority, Kind::Num),
            (w.reference, Kind::Code),
            (w.title, Kind::Text),
            (w.category, Kind::Text),
            (w.planned_date, Kind::Code),
            (w.imso, Kind::Text),
            (w.status, Kind::Text),
            (w.first_published, Kind::Code),
        ],
    );
    for l in lines {
        t.row(vec![
            l.priority.to_string(),
            l.reference.clone(),
            l.title.clone(),
            l.category.clone(),
            l.release_date.to_string(),
            approval(l, lang),
            l.state.clone(),
            opt_date(l.first_published),
        ]);
    }
    t
}

/// The summary of the chart: published against what was due by the report date, so it
/// does not read as a forecast.
pub fn summary(r: &Report) -> String {
    let due = r
        .release_plan
        .iter()
        .filter(|l| l.release_date <= r.as_of)
        .count();
    let published = r
        .release_plan
        .iter()
        .filter(|l| l.progress == Progress::Published)
        .count();
    r.lang
        .words()
        .summary
        .replace("{published}", &published.to_string())
        .replace("{due}", &due.to_string())
        .replace("{total}", &r.release_plan.len().to_string())
}

/// The report as a document.
pub fn document(r: &Report, department: Option<String>) -> Doc {
    let lang = r.lang;
    let w = lang.words();
    let mut d = Doc::new(
        lang,
        department,
        w.report_title,
        format!(
            "{} {}{}{} {}.",
            w.as_of,
            lang.long_date(r.as_of),
            w.colon,
            r.datasets,
            w.resources_in_inventory
        ),
    );
    d.h2(w.progress);
    d.blocks.push(Block::Tiles {
        head: [w.status.to_string(), w.datasets.to_string()],
        tiles: r
            .progress
            .iter()
            .map(|c| Tile {
                class: c.label.clone(),
                label: label_of(&c.label, lang),
                count: c.count,
            })
            .collect(),
        total: (w.total.to_string(), r.datasets),
    });
    d.h2(w.cumulative);
    d.blocks.push(Block::Chart {
        points: r.timeline.clone(),
        as_of: r.as_of,
        summary: summary(r),
    });

    d.h2(w.by_category);
    let mut t = Table::new(
        lang,
        &[
            (w.category, Kind::Text),
            (w.datasets, Kind::Num),
            (w.published, Kind::Num),
            (w.overdue, Kind::Num),
            (w.pending, Kind::Num),
            (w.withheld, Kind::Num),
            (w.invalid, Kind::Num),
        ],
    );
    for c in &r.by_category {
        t.row(vec![
            c.category.clone(),
            c.datasets.to_string(),
            c.published.to_string(),
            c.overdue.to_string(),
            c.pending.to_string(),
            c.withheld.to_string(),
            c.invalid.to_string(),
        ]);
    }
    d.table(t);

    d.h2(w.by_decision);
    d.table(counts(lang, w.decision, &r.by_decision, |k| {
        match k {
            "release" => w.release,
            "withhold" => w.withhold,
            _ => w.unknown,
        }
        .to_string()
    }));
    d.h3(w.grounds_of_withheld);
    if r.withheld.is_empty() {
        d.para(w.none.to_string());
    } else {
        d.table(counts(lang, w.grounds, &r.grounds, str::to_string));
        let mut t = Table::new(
            lang,
            &[
                (w.reference, Kind::Code),
                (w.title, Kind::Text),
                (w.grounds, Kind::Text),
                (w.justification, Kind::Text),
            ],
        );
        for l in &r.withheld {
            t.row(vec![
                l.reference.clone(),
                l.title.clone(),
                l.grounds.join("; "),
                l.justification.clone(),
            ]);
        }
        d.table(t);
    }

    d.h2(w.imso_approval);
    d.table(counts(lang, w.approval, &r.approval, |k| {
        if k == "approved" {
            w.approved
        } else {
            w.awaiting
        }
        .to_string()
    }));
    d.h2(w.overdue_heading);
    d.table(plan_table(lang, &r.overdue));
    d.h2(w.next_releases);
    d.table(plan_table(lang, &r.next_releases));
    d.h2(w.release_plan_heading);
    d.table(plan_table(lang, &r.release_plan));
    if !r.invalid.is_empty() {
        d.h2(w.invalid_manifests);
        d.blocks.push(Block::List(r.invalid.clone()));
    }
    d
}

/// Writes the report as Markdown (GitHub tables).
///
/// # Errors
/// The write failed.
pub fn markdown<W: Write>(r: &Report, department: Option<String>, w: W) -> io::Result<()> {
    doc::markdown(&document(r, department), w)
}

/// Writes the report as one self-contained HTML page.
///
/// # Errors
/// The write failed.
pub fn html<W: Write>(r: &Report, department: Option<String>, w: W) -> io::Result<()> {
    doc::html(&document(r, department), w)
}

/// The CSV columns: one row per dataset of the inventory.
pub const CSV_HEADER: [&str; 14] = [
    "reference",
    "title",
    "category",
    "decision",
    "exemption_grounds",
    "imso_approver",
    "imso_date",
    "priority",
    "release_date",
    "status",
    "detail",
    "first_published",
    "last_published",
    "manifest",
];

/// A cell a spreadsheet would run as a formula is neutralised, as convert does.
pub fn safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// Writes the inventory as CSV (RFC 4180, one row per dataset, in manifest order), for
/// a spreadsheet: the counts of the other formats are a pivot of it. The column names
/// are the same in both languages (tools read them); the values are in `lang`.
///
/// # Errors
/// The write failed.
pub fn csv<W: Write>(
    entries: &[Entry],
    as_of: chrono::NaiveDate,
    lang: Lang,
    w: W,
) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(CSV_HEADER)?;
    for e in entries {
        let detail = match e.progress {
            Progress::Published | Progress::Overdue => state_text(e, as_of, lang),
            _ => e
                .hold
                .as_ref()
                .map(|h| super::hold_text(h, lang))
                .unwrap_or_default(),
        };
        out.write_record([
            safe(e.reference.as_deref().unwrap_or("")),
            safe(
                &e.title
                    .as_ref()
                    .map(|_| e.title_in(lang))
                    .unwrap_or_default(),
            ),
            safe(e.category.as_deref().unwrap_or("")),
            e.decision_label().to_string(),
            safe(&e.grounds.join("; ")),
            safe(e.imso.as_ref().map_or("", |a| a.name.as_str())),
            e.imso
                .as_ref()
                .map_or(String::new(), |a| a.date.to_string()),
            e.priority.map_or(String::new(), |p| p.to_string()),
            e.release_date.map_or(String::new(), |d| d.to_string()),
            e.progress.key().to_string(),
            safe(&detail),
            e.published
                .as_ref()
                .map_or(String::new(), |p| p.first.clone()),
            e.published
                .as_ref()
                .map_or(String::new(), |p| p.last.clone()),
            safe(&e.manifest),
        ])?;
    }
    out.flush()
}

/// Writes the report as pretty JSON.
///
/// # Errors
/// The write failed.
pub fn json<W: Write>(r: &Report, mut w: W) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut w, r)?;
    writeln!(w)
}
