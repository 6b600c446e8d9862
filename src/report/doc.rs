//! One document model for every report, written as Markdown or as one self-contained
//! HTML page, so the two always carry the same content.
//!
//! A template engine (minijinja) was considered: the reports are tables, and a table
//! built once as a value is written to both formats, and to the chart's text
//! alternative, with escaping in one place for each ([`md_cell`], [`escape`]) and the
//! compiler checking every field; templates would repeat each table twice.
//!
//! The HTML is for people first: `lang` on the page, a header and a main landmark,
//! headings in order, `<th scope="col">`, colours with at least 4.5:1 contrast, the
//! chart as an SVG with a title, a description and a data table beside it, dates and
//! references that never wrap mid-word, and a print style for letter paper. There is no
//! script and no external asset, so it prints and archives as it is.

use std::io::{self, Write};

use chrono::NaiveDate;

use super::chart;
use super::lang::Lang;
use super::MonthPoint;

/// How a column's cells are set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Prose: wraps between words.
    Text,
    /// A date, a reference or a short code: never wraps.
    Code,
    /// A count: right-aligned, never wraps.
    Num,
}

/// A table: a header row and rows of text cells.
#[derive(Debug, Clone)]
pub struct Table {
    pub caption: Option<String>,
    pub columns: Vec<(String, Kind)>,
    pub rows: Vec<Vec<String>>,
    /// Written instead of an empty table.
    pub empty: String,
}

impl Table {
    pub fn new(lang: Lang, columns: &[(&str, Kind)]) -> Table {
        Table {
            caption: None,
            columns: columns.iter().map(|(h, k)| (h.to_string(), *k)).collect(),
            rows: Vec::new(),
            empty: lang.words().none.to_string(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.columns.len());
        self.rows.push(cells);
    }
}

/// A count shown as a tile in HTML (a table row in Markdown).
#[derive(Debug, Clone)]
pub struct Tile {
    /// A CSS class naming the state (`published`, `overdue`, ...).
    pub class: String,
    pub label: String,
    pub count: usize,
}

#[derive(Debug, Clone)]
pub enum Block {
    /// Level 2 or 3 (the title is level 1).
    Heading(u8, String),
    Para(String),
    /// Counts with a total.
    Tiles {
        head: [String; 2],
        tiles: Vec<Tile>,
        total: (String, usize),
    },
    Table(Table),
    List(Vec<String>),
    /// The cumulative chart, with its data as a table.
    Chart {
        points: Vec<MonthPoint>,
        as_of: NaiveDate,
        summary: String,
    },
}

/// A report: its masthead and blocks.
#[derive(Debug, Clone)]
pub struct Doc {
    pub lang: Lang,
    /// The department, from `pipeline.toml`.
    pub department: Option<String>,
    pub title: String,
    /// The line under the title (the date, what it covers).
    pub subtitle: String,
    pub blocks: Vec<Block>,
}

impl Doc {
    /// A document whose subtitle is "As of <long date>." in its language.
    pub fn as_of(lang: Lang, department: Option<String>, title: &str, as_of: NaiveDate) -> Doc {
        let subtitle = format!("{} {}.", lang.words().as_of, lang.long_date(as_of));
        Doc::new(lang, department, title, subtitle)
    }

    pub fn new(lang: Lang, department: Option<String>, title: &str, subtitle: String) -> Doc {
        Doc {
            lang,
            department,
            title: title.to_string(),
            subtitle,
            blocks: Vec::new(),
        }
    }

    pub fn h2(&mut self, text: &str) {
        self.blocks.push(Block::Heading(2, text.to_string()));
    }

    pub fn h3(&mut self, text: &str) {
        self.blocks.push(Block::Heading(3, text.to_string()));
    }

    pub fn para(&mut self, text: String) {
        self.blocks.push(Block::Para(text));
    }

    pub fn table(&mut self, t: Table) {
        self.blocks.push(Block::Table(t));
    }
}

/// Escapes text for a Markdown table cell.
pub fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn md_table<W: Write>(w: &mut W, t: &Table) -> io::Result<()> {
    if let Some(c) = &t.caption {
        writeln!(w, "{}\n", md_cell(c))?;
    }
    if t.rows.is_empty() {
        return writeln!(w, "{}", t.empty);
    }
    let head: Vec<String> = t.columns.iter().map(|(h, _)| md_cell(h)).collect();
    writeln!(w, "| {} |", head.join(" | "))?;
    let align: Vec<&str> = t
        .columns
        .iter()
        .map(|(_, k)| if *k == Kind::Num { "---:" } else { "---" })
        .collect();
    writeln!(w, "| {} |", align.join(" | "))?;
    for r in &t.rows {
        let cells: Vec<String> = r.iter().map(|c| md_cell(c)).collect();
        writeln!(w, "| {} |", cells.join(" | "))?;
    }
    Ok(())
}

/// Writes the document as Markdown (GitHub tables).
///
/// # Errors
/// The write failed.
pub fn markdown<W: Write>(d: &Doc, mut w: W) -> io::Result<()> {
    let w = &mut w;
    writeln!(w, "# {}\n", d.title)?;
    if let Some(dep) = &d.department {
        writeln!(w, "{dep}\n")?;
    }
    writeln!(w, "{}", d.subtitle)?;
    for b in &d.blocks {
        writeln!(w)?;
        match b {
            Block::Heading(level, text) => {
                writeln!(w, "{} {text}", "#".repeat(usize::from(*level)))?;
            }
            Block::Para(text) => writeln!(w, "{text}")?,
            Block::Tiles { head, tiles, total } => {
                writeln!(w, "| {} | {} |\n| --- | ---: |", head[0], head[1])?;
                for t in tiles {
                    writeln!(w, "| {} | {} |", md_cell(&t.label), t.count)?;
                }
                writeln!(w, "| **{}** | **{}** |", total.0, total.1)?;
            }
            Block::Table(t) => md_table(w, t)?,
            Block::List(items) => {
                for i in items {
                    writeln!(w, "- {}", md_cell(i))?;
                }
            }
            Block::Chart {
                points,
                summary,
                as_of,
            } => {
                writeln!(w, "{summary}\n")?;
                md_table(w, &chart_table(d.lang, points, *as_of))?;
            }
        }
    }
    Ok(())
}

/// The chart's data, as a table: its text alternative. Months after the report date
/// show no published count: it is not known yet.
pub fn chart_table(lang: Lang, points: &[MonthPoint], as_of: NaiveDate) -> Table {
    let now = as_of.format("%Y-%m").to_string();
    let w = lang.words();
    let mut t = Table::new(
        lang,
        &[
            (w.month, Kind::Code),
            (w.planned, Kind::Num),
            (w.published, Kind::Num),
        ],
    );
    t.empty = w.nothing_planned.to_string();
    for p in points {
        t.row(vec![
            p.month.clone(),
            p.planned.to_string(),
            if p.month <= now {
                p.published.to_string()
            } else {
                "—".to_string()
            },
        ]);
    }
    t
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

// Colours: every text colour has at least 4.5:1 contrast on its background (WCAG 2.1
// 1.4.3), the lines of the chart at least 3:1 (1.4.11).
const CSS: &str = "\
:root{color:#1b1b1b;background:#fff}\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;line-height:1.45;overflow-wrap:normal;word-break:normal;hyphens:manual}\
header{border-bottom:4px solid #26374a;margin-bottom:1rem;padding-bottom:.4rem}\
.dept{font-weight:600;margin:0 0 .3rem;color:#26374a}\
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.25rem;margin-top:2rem;border-bottom:2px solid #26374a;padding-bottom:.2rem}h3{font-size:1.05rem;margin-top:1.4rem}\
.sub{color:#4a4a4a;margin-top:.2rem}\
.tiles{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0;padding:0;list-style:none}\
.tiles li{border:1px solid #8c959f;border-radius:6px;padding:.6rem 1rem;min-width:8rem}.tiles b{display:block;font-size:1.8rem}\
.published b{color:#1a7f37}.overdue b{color:#b42318}.pending b{color:#7d5200}.withheld b{color:#4a4a4a}.invalid b{color:#b42318}\
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.92rem}\
caption{text-align:left;font-weight:600;padding:.2rem 0}\
th,td{border:1px solid #8c959f;padding:.3rem .5rem;text-align:left;vertical-align:top}\
th{background:#eef1f4}\
.c{white-space:nowrap}.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\
svg{max-width:100%;height:auto}figure{margin:1rem 0}\
@page{size:letter;margin:.5in}\
@media print{body{margin:0;max-width:none;padding:0;font-size:9.5pt}table{font-size:8.5pt}\
thead{display:table-header-group}tr,.tiles li,figure{break-inside:avoid}h2,h3{break-after:avoid}}";

fn html_table<W: Write>(w: &mut W, t: &Table) -> io::Result<()> {
    if t.rows.is_empty() {
        if let Some(c) = &t.caption {
            writeln!(w, "<p><strong>{}</strong></p>", escape(c))?;
        }
        return writeln!(w, "<p>{}</p>", escape(&t.empty));
    }
    writeln!(w, "<table>")?;
    if let Some(c) = &t.caption {
        writeln!(w, "<caption>{}</caption>", escape(c))?;
    }
    let class = |k: Kind| match k {
        Kind::Text => "",
        Kind::Code => " class=\"c\"",
        Kind::Num => " class=\"n\"",
    };
    write!(w, "<thead><tr>")?;
    for (h, k) in &t.columns {
        write!(w, "<th scope=\"col\"{}>{}</th>", class(*k), escape(h))?;
    }
    writeln!(w, "</tr></thead><tbody>")?;
    for r in &t.rows {
        write!(w, "<tr>")?;
        for (c, (_, k)) in r.iter().zip(&t.columns) {
            write!(w, "<td{}>{}</td>", class(*k), escape(c))?;
        }
        writeln!(w, "</tr>")?;
    }
    writeln!(w, "</tbody></table>")
}

/// Writes the document as one self-contained HTML page.
///
/// # Errors
/// The write failed.
pub fn html<W: Write>(d: &Doc, mut w: W) -> io::Result<()> {
    let w = &mut w;
    writeln!(
        w,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} — {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<header>",
        d.lang.tag(),
        escape(&d.title),
        escape(&d.subtitle)
    )?;
    if let Some(dep) = &d.department {
        writeln!(w, "<p class=\"dept\">{}</p>", escape(dep))?;
    }
    writeln!(w, "<h1>{}</h1>", escape(&d.title))?;
    writeln!(
        w,
        "<p class=\"sub\">{}</p>\n</header>\n<main>",
        escape(&d.subtitle)
    )?;
    for b in &d.blocks {
        match b {
            Block::Heading(level, text) => writeln!(w, "<h{level}>{}</h{level}>", escape(text))?,
            Block::Para(text) => writeln!(w, "<p>{}</p>", escape(text))?,
            Block::Tiles { tiles, total, .. } => {
                writeln!(w, "<ul class=\"tiles\">")?;
                for t in tiles {
                    writeln!(
                        w,
                        "<li class=\"{}\"><b>{}</b>{}</li>",
                        escape(&t.class),
                        t.count,
                        escape(&t.label)
                    )?;
                }
                writeln!(w, "<li><b>{}</b>{}</li>\n</ul>", total.1, escape(&total.0))?;
            }
            Block::Table(t) => html_table(w, t)?,
            Block::List(items) => {
                writeln!(w, "<ul>")?;
                for i in items {
                    writeln!(w, "<li>{}</li>", escape(i))?;
                }
                writeln!(w, "</ul>")?;
            }
            Block::Chart {
                points,
                as_of,
                summary,
            } => {
                writeln!(w, "<figure>")?;
                chart::svg(points, *as_of, d.lang, summary, &mut *w)?;
                writeln!(w, "<figcaption>{}</figcaption>\n</figure>", escape(summary))?;
                let mut t = chart_table(d.lang, points, *as_of);
                t.caption = Some(d.lang.words().chart_data.to_string());
                html_table(w, &t)?;
            }
        }
    }
    writeln!(w, "</main>\n</body>\n</html>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Doc {
        let mut d = Doc::new(
            Lang::Fr,
            Some("Ministère <X>".into()),
            "Titre",
            "Sous-titre".into(),
        );
        d.h2("Section");
        let mut t = Table::new(Lang::Fr, &[("référence", Kind::Code), ("n", Kind::Num)]);
        t.row(vec!["A|B".into(), "3".into()]);
        d.table(t);
        d.table(Table::new(Lang::Fr, &[("vide", Kind::Text)]));
        d
    }

    #[test]
    fn markdown_and_html_carry_the_same_table() {
        let mut md = Vec::new();
        markdown(&doc(), &mut md).unwrap();
        let md = String::from_utf8(md).unwrap();
        assert!(
            md.starts_with("# Titre\n\nMinistère <X>\n\nSous-titre\n"),
            "{md}"
        );
        assert!(
            md.contains("| référence | n |\n| --- | ---: |\n| A\\|B | 3 |"),
            "{md}"
        );
        assert!(md.contains("Aucun."), "{md}");

        let mut html_out = Vec::new();
        html(&doc(), &mut html_out).unwrap();
        let h = String::from_utf8(html_out).unwrap();
        assert!(h.contains("<html lang=\"fr\">"));
        assert!(h.contains("Ministère &lt;X&gt;"));
        assert!(h.contains("<th scope=\"col\" class=\"c\">référence</th>"));
        assert!(
            h.contains("<td class=\"c\">A|B</td><td class=\"n\">3</td>"),
            "{h}"
        );
        assert!(h.contains("<p>Aucun.</p>"));
        assert!(h.contains("@page{size:letter"));
    }
}
