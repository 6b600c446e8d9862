//! The report's formats, each a function over [`Write`]: Markdown for the IM team's
//! monthly note, CSV for a spreadsheet (one row per dataset), JSON for other tools, and
//! one self-contained HTML page (inline CSS and SVG, no script, no external asset) for a
//! director to read at a glance.

use std::io::{self, Write};

use super::{chart, Count, PlanLine, Progress, Report};

/// The report's title.
pub const TITLE: &str = "Open data inventory and progress report";

fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn approval(l: &PlanLine) -> String {
    l.imso
        .as_ref()
        .map_or_else(|| "awaiting".into(), |a| format!("{}, {}", a.name, a.date))
}

fn opt_date(d: Option<chrono::NaiveDate>) -> String {
    d.map_or_else(|| "—".into(), |d| d.to_string())
}

fn label_of(key: &str) -> &str {
    Progress::ALL
        .iter()
        .find(|p| p.key() == key)
        .map_or(key, |p| p.label())
}

fn counts_md<W: Write>(w: &mut W, head: &str, counts: &[Count]) -> io::Result<()> {
    writeln!(w, "| {head} | datasets |\n| --- | ---: |")?;
    for c in counts {
        writeln!(w, "| {} | {} |", cell(&c.label), c.count)?;
    }
    Ok(())
}

fn plan_md<W: Write>(w: &mut W, lines: &[PlanLine]) -> io::Result<()> {
    if lines.is_empty() {
        return writeln!(w, "None.");
    }
    writeln!(
        w,
        "| priority | reference | title | category | release date | IMSO approval | status | first published |\n\
         | ---: | --- | --- | --- | --- | --- | --- | --- |"
    )?;
    for l in lines {
        writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            l.priority,
            cell(&l.reference),
            cell(&l.title),
            cell(&l.category),
            l.release_date,
            cell(&approval(l)),
            cell(&l.state),
            opt_date(l.first_published)
        )?;
    }
    Ok(())
}

/// Writes the report as Markdown (GitHub tables).
///
/// # Errors
/// The write failed.
pub fn markdown<W: Write>(r: &Report, mut w: W) -> io::Result<()> {
    let w = &mut w;
    writeln!(w, "# {TITLE}\n")?;
    writeln!(
        w,
        "As of {}: {} information resources in the inventory.\n",
        r.as_of, r.datasets
    )?;
    writeln!(w, "## Progress\n")?;
    writeln!(w, "| status | datasets |\n| --- | ---: |")?;
    for c in &r.progress {
        writeln!(w, "| {} | {} |", label_of(&c.label), c.count)?;
    }
    writeln!(w, "| **Total** | **{}** |\n", r.datasets)?;

    writeln!(w, "## By information category\n")?;
    writeln!(
        w,
        "| category | datasets | published | overdue | pending | withheld | invalid |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    )?;
    for c in &r.by_category {
        writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} | {} |",
            cell(&c.category),
            c.datasets,
            c.published,
            c.overdue,
            c.pending,
            c.withheld,
            c.invalid
        )?;
    }

    writeln!(w, "\n## By decision\n")?;
    counts_md(w, "decision", &r.by_decision)?;
    writeln!(w, "\n### Exemption grounds of withheld resources\n")?;
    if r.withheld.is_empty() {
        writeln!(w, "None.")?;
    } else {
        counts_md(w, "grounds", &r.grounds)?;
        writeln!(
            w,
            "\n| reference | title | grounds | justification |\n| --- | --- | --- | --- |"
        )?;
        for l in &r.withheld {
            writeln!(
                w,
                "| {} | {} | {} | {} |",
                cell(&l.reference),
                cell(&l.title),
                cell(&l.grounds.join("; ")),
                cell(&l.justification)
            )?;
        }
    }

    writeln!(w, "\n## IMSO approval\n")?;
    counts_md(w, "approval", &r.approval)?;

    writeln!(
        w,
        "\n## Overdue: approved, due date passed, never published\n"
    )?;
    plan_md(w, &r.overdue)?;
    writeln!(w, "\n## Next releases\n")?;
    plan_md(w, &r.next_releases)?;
    writeln!(w, "\n## Release plan, in priority order\n")?;
    plan_md(w, &r.release_plan)?;
    if !r.invalid.is_empty() {
        writeln!(w, "\n## Invalid manifests\n")?;
        for i in &r.invalid {
            writeln!(w, "- {}", cell(i))?;
        }
    }
    writeln!(w, "\n## Published and planned, cumulative by month\n")?;
    writeln!(w, "| month | planned | published |\n| --- | ---: | ---: |")?;
    for p in &r.timeline {
        writeln!(w, "| {} | {} | {} |", p.month, p.planned, p.published)?;
    }
    Ok(())
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

/// Writes the inventory as CSV (RFC 4180, one row per dataset, in manifest order), for
/// a spreadsheet: the counts of the other formats are a pivot of it.
///
/// # Errors
/// The write failed.
pub fn csv<W: Write>(entries: &[super::Entry], w: W) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(CSV_HEADER)?;
    for e in entries {
        let detail = match &e.hold {
            Some(h) if e.progress != Progress::Published => h.to_string(),
            _ => String::new(),
        };
        // A cell a spreadsheet would run as a formula is neutralised, as convert does.
        let safe = |s: &str| {
            if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                format!("'{s}")
            } else {
                s.to_string()
            }
        };
        out.write_record([
            safe(e.reference.as_deref().unwrap_or("")),
            safe(e.title.as_deref().unwrap_or("")),
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

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1b1b;line-height:1.4}\
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:2px solid #26374a;padding-bottom:.2rem}\
.sub{color:#555;margin-top:0}.tiles{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}\
.tile{border:1px solid #ccc;border-radius:6px;padding:.6rem 1rem;min-width:8rem}.tile b{display:block;font-size:1.8rem}\
.published b{color:#1a7f37}.overdue b{color:#b42318}.pending b{color:#9a6700}.withheld b{color:#555}.invalid b{color:#b42318}\
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-size:.92rem}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}\
th{background:#f3f5f7}td.n{text-align:right}svg{max-width:100%;height:auto}\
@media print{body{margin:0}.tile{break-inside:avoid}}";

fn counts_html<W: Write>(w: &mut W, head: &str, counts: &[Count]) -> io::Result<()> {
    writeln!(
        w,
        "<table><thead><tr><th>{}</th><th>datasets</th></tr></thead><tbody>",
        escape(head)
    )?;
    for c in counts {
        writeln!(
            w,
            "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
            escape(&c.label),
            c.count
        )?;
    }
    writeln!(w, "</tbody></table>")
}

fn plan_html<W: Write>(w: &mut W, lines: &[PlanLine]) -> io::Result<()> {
    if lines.is_empty() {
        return writeln!(w, "<p>None.</p>");
    }
    writeln!(w, "<table><thead><tr><th>priority</th><th>reference</th><th>title</th><th>category</th><th>release date</th><th>IMSO approval</th><th>status</th><th>first published</th></tr></thead><tbody>")?;
    for l in lines {
        writeln!(
            w,
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            l.priority,
            escape(&l.reference),
            escape(&l.title),
            escape(&l.category),
            l.release_date,
            escape(&approval(l)),
            escape(&l.state),
            opt_date(l.first_published)
        )?;
    }
    writeln!(w, "</tbody></table>")
}

/// Writes the report as one self-contained HTML page.
///
/// # Errors
/// The write failed.
pub fn html<W: Write>(r: &Report, mut w: W) -> io::Result<()> {
    let w = &mut w;
    writeln!(
        w,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} — {}</title>\n<style>{CSS}</style>\n</head>\n<body>",
        escape(TITLE),
        r.as_of
    )?;
    writeln!(w, "<h1>{}</h1>", escape(TITLE))?;
    writeln!(
        w,
        "<p class=\"sub\">As of {}: {} information resources in the inventory.</p>",
        r.as_of, r.datasets
    )?;
    writeln!(w, "<div class=\"tiles\">")?;
    for c in &r.progress {
        writeln!(
            w,
            "<div class=\"tile {}\"><b>{}</b>{}</div>",
            escape(&c.label),
            c.count,
            escape(label_of(&c.label))
        )?;
    }
    writeln!(w, "</div>")?;
    writeln!(w, "<h2>Published and planned, cumulative by month</h2>")?;
    chart::svg(&r.timeline, r.as_of, &mut *w)?;

    writeln!(w, "<h2>By information category</h2>")?;
    writeln!(w, "<table><thead><tr><th>category</th><th>datasets</th><th>published</th><th>overdue</th><th>pending</th><th>withheld</th><th>invalid</th></tr></thead><tbody>")?;
    for c in &r.by_category {
        writeln!(
            w,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&c.category),
            c.datasets,
            c.published,
            c.overdue,
            c.pending,
            c.withheld,
            c.invalid
        )?;
    }
    writeln!(w, "</tbody></table>")?;

    writeln!(w, "<h2>By decision</h2>")?;
    counts_html(w, "decision", &r.by_decision)?;
    writeln!(w, "<h2>Exemption grounds of withheld resources</h2>")?;
    if r.withheld.is_empty() {
        writeln!(w, "<p>None.</p>")?;
    } else {
        counts_html(w, "grounds", &r.grounds)?;
        writeln!(w, "<table><thead><tr><th>reference</th><th>title</th><th>grounds</th><th>justification</th></tr></thead><tbody>")?;
        for l in &r.withheld {
            writeln!(
                w,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&l.reference),
                escape(&l.title),
                escape(&l.grounds.join("; ")),
                escape(&l.justification)
            )?;
        }
        writeln!(w, "</tbody></table>")?;
    }
    writeln!(w, "<h2>IMSO approval</h2>")?;
    counts_html(w, "approval", &r.approval)?;
    writeln!(
        w,
        "<h2>Overdue: approved, due date passed, never published</h2>"
    )?;
    plan_html(w, &r.overdue)?;
    writeln!(w, "<h2>Next releases</h2>")?;
    plan_html(w, &r.next_releases)?;
    writeln!(w, "<h2>Release plan, in priority order</h2>")?;
    plan_html(w, &r.release_plan)?;
    if !r.invalid.is_empty() {
        writeln!(w, "<h2>Invalid manifests</h2><ul>")?;
        for i in &r.invalid {
            writeln!(w, "<li>{}</li>", escape(i))?;
        }
        writeln!(w, "</ul>")?;
    }
    writeln!(w, "</body>\n</html>")
}
