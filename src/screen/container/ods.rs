//! OpenDocument spreadsheets (ods): content.xml streamed, plus meta.xml and styles.xml.
//!
//! Cells are located in A1 style by counting rows and columns as the file declares them,
//! `number-rows-repeated` and `number-columns-repeated` included; a repeated cell is
//! reported once, at its first position.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek};

use super::number_format::MIN_FONT_POINTS;
use super::{attr, describe_ranges, hidden, part_prefix, screen_properties, Package};
use crate::screen::xml::{self, Item};
use crate::screen::{Findings, Rule, Screen, ScreenError};
use crate::table::column_letter;

const CONTENT: &str = "content.xml";
const STYLES: &str = "styles.xml";
const META: &str = "meta.xml";

pub(crate) fn screen<R: Read + Seek>(
    screen: &Screen,
    source: &str,
    reader: R,
    out: &mut Findings,
) -> Result<(), ScreenError> {
    let mut pkg = Package::open(source, reader, screen.limits())?;
    let file = pkg.file();
    report_members(&pkg, out);
    if pkg.has(META) {
        screen_properties(screen, &mut pkg, META, out)?;
    }
    if pkg.has(CONTENT) {
        screen_content(screen, &mut pkg, out)?;
    } else {
        return Err(super::corrupt(source, "ods", "no content.xml part"));
    }
    if pkg.has(STYLES) {
        let src = pkg.source.clone();
        let reader = pkg.part(STYLES)?;
        let at = format!("{file}, part \"{STYLES}\"");
        xml::screen_part(
            screen,
            &src,
            &part_prefix(STYLES),
            reader,
            out,
            &at,
            |pos, suffix| {
                let in_page_margin = [
                    "header",
                    "footer",
                    "header-left",
                    "footer-left",
                    "header-first",
                    "footer-first",
                ]
                .iter()
                .any(|n| pos.within(n));
                if in_page_margin {
                    format!("{file}, page header/footer")
                } else {
                    format!("{file}, part \"{STYLES}\", {}{suffix}", pos.path())
                }
            },
        )?;
    }
    let done = [META, CONTENT, STYLES];
    let rest: Vec<String> = pkg
        .names
        .iter()
        .filter(|n| n.ends_with(".xml") && !done.contains(&n.as_str()))
        .cloned()
        .collect();
    for name in rest {
        pkg.screen_generic(screen, &name, out)?;
    }
    Ok(())
}

fn report_members<R: Read + Seek>(pkg: &Package<R>, out: &mut Findings) {
    let file = pkg.file();
    let mut seen: HashSet<String> = HashSet::new();
    for name in &pkg.names {
        let top = name.split('/').next().unwrap_or(name);
        if top == "Pictures" && !name.ends_with('/') {
            // The screen cannot read an image: a person must look at it.
            out.push(hidden(
                Rule::HiddenContent,
                format!("{file}, part \"{name}\""),
                "image: an approver must check what it shows",
            ));
            continue;
        }
        let (rule, what) = if top == "Basic" || top == "Scripts" {
            (Rule::Macro, "macro library")
        } else if top.starts_with("Object ") || top == "ObjectReplacements" {
            (Rule::EmbeddedObject, "embedded object")
        } else {
            continue;
        };
        if name.contains('/') && seen.insert(top.to_string()) {
            out.push(hidden(rule, format!("{file}, part \"{top}/\""), what));
        }
    }
}

/// Streams content.xml: table names and visibility, hidden rows and columns, every cell,
/// annotations (reported and screened), external table sources, and any other text.
fn screen_content<R: Read + Seek>(
    screen: &Screen,
    pkg: &mut Package<R>,
    out: &mut Findings,
) -> Result<(), ScreenError> {
    let file = pkg.file();
    let source = pkg.source.clone();
    let mut hidden_table_styles: HashSet<String> = HashSet::new();
    // Automatic styles that make a cell unreadable (colour, size), a row or a column
    // invisible (a height or width of zero).
    let mut unreadable: HashMap<String, &'static str> = HashMap::new();
    let mut cell_colours: HashMap<String, (Option<String>, Option<String>)> = HashMap::new();
    let mut zero_rows: HashSet<String> = HashSet::new();
    let mut zero_cols: HashSet<String> = HashSet::new();
    let mut cell_style: Option<String> = None;
    let mut covered = false;
    let mut style_name: Option<String> = None;
    let mut at = String::new();
    let mut row = 0u64;
    let mut next_row = 1u64;
    let mut col = 0u64;
    let mut next_col = 1u64;
    let mut cell_text = String::new();
    let mut note_text = String::new();
    let mut hidden_rows: Vec<(u64, u64)> = Vec::new();
    let mut hidden_cols: Vec<(u64, u64)> = Vec::new();
    let mut column_defs = 0u64;
    let cell_ref =
        |col: u64, row: u64| format!("{}{row}", column_letter(col.saturating_sub(1) as usize));
    let repeat = |attrs: &[(String, String)], name: &str| {
        attr(attrs, name)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(1)
            .max(1)
    };
    let finish_table =
        |at: &str, rows: &mut Vec<(u64, u64)>, cols: &mut Vec<(u64, u64)>, out: &mut Findings| {
            if !rows.is_empty() {
                let d = describe_ranges("rows", rows, |r| r.to_string());
                out.push(hidden(Rule::HiddenRows, at.to_string(), d));
            }
            if !cols.is_empty() {
                let d = describe_ranges("columns", cols, |c| {
                    column_letter(c.saturating_sub(1) as usize)
                });
                out.push(hidden(Rule::HiddenColumns, at.to_string(), d));
            }
            rows.clear();
            cols.clear();
        };
    let reader = pkg.part(CONTENT)?;
    let markup = xml::walk(
        &source,
        &part_prefix(CONTENT),
        reader,
        |pos, item| match item {
            Item::Open { name, attrs } => match name {
                "style:style" => {
                    style_name = attr(attrs, "name").map(str::to_string);
                }
                "style:table-properties" if attr(attrs, "display") == Some("false") => {
                    if let Some(s) = &style_name {
                        hidden_table_styles.insert(s.clone());
                    }
                }
                "style:text-properties" | "style:table-cell-properties" => {
                    if let Some(s) = &style_name {
                        let entry = cell_colours.entry(s.clone()).or_default();
                        if let Some(c) = attr(attrs, "color") {
                            entry.0 = Some(c.to_ascii_lowercase());
                        }
                        if let Some(c) = attr(attrs, "background-color") {
                            entry.1 = Some(c.to_ascii_lowercase());
                        }
                        if attr(attrs, "font-size")
                            .and_then(points)
                            .is_some_and(|p| p < MIN_FONT_POINTS)
                        {
                            unreadable.insert(s.clone(), "a font too small to read");
                        }
                    }
                }
                "style:table-row-properties" => {
                    if let Some(s) = &style_name {
                        if attr(attrs, "row-height")
                            .and_then(points)
                            .is_some_and(|p| p < 1.0)
                        {
                            zero_rows.insert(s.clone());
                        }
                    }
                }
                "style:table-column-properties" => {
                    if let Some(s) = &style_name {
                        if attr(attrs, "column-width")
                            .and_then(points)
                            .is_some_and(|p| p < 1.0)
                        {
                            zero_cols.insert(s.clone());
                        }
                    }
                }
                "office:body" => {
                    for (style, (fg, bg)) in &cell_colours {
                        if let Some(fg) = fg {
                            let bg = bg.as_deref().filter(|b| *b != "transparent");
                            if bg.unwrap_or("#ffffff") == fg {
                                unreadable.insert(style.clone(), "text coloured as its background");
                            }
                        }
                    }
                }
                "table:table" => {
                    let sheet = attr(attrs, "name").unwrap_or_default();
                    at = format!("{file}, sheet \"{sheet}\"");
                    screen.screen_into(sheet, &format!("{at}, sheet name"), out);
                    if attr(attrs, "style-name").is_some_and(|s| hidden_table_styles.contains(s)) {
                        out.push(hidden(Rule::HiddenSheet, at.clone(), "hidden sheet"));
                    }
                    next_row = 1;
                    column_defs = 0;
                }
                "table:table-column" => {
                    let n = repeat(attrs, "number-columns-repeated");
                    let zero = attr(attrs, "style-name").is_some_and(|s| zero_cols.contains(s));
                    if zero || matches!(attr(attrs, "visibility"), Some("collapse" | "filter")) {
                        hidden_cols.push((column_defs + 1, column_defs + n));
                    }
                    column_defs += n;
                }
                "table:table-row" => {
                    let n = repeat(attrs, "number-rows-repeated");
                    row = next_row;
                    next_row += n;
                    next_col = 1;
                    let zero = attr(attrs, "style-name").is_some_and(|s| zero_rows.contains(s));
                    if zero || matches!(attr(attrs, "visibility"), Some("collapse" | "filter")) {
                        hidden_rows.push((row, row + n - 1));
                    }
                }
                "table:table-cell" | "table:covered-table-cell" => {
                    col = next_col;
                    next_col += repeat(attrs, "number-columns-repeated");
                    cell_text.clear();
                    covered = name == "table:covered-table-cell";
                    cell_style = attr(attrs, "style-name").map(str::to_string);
                    if let Some(f) = attr(attrs, "formula") {
                        let here = format!("{at}, cell {}, formula", cell_ref(col, row));
                        screen.screen_into(f, &here, out);
                    }
                    // A string value can differ from the text shown.
                    if let Some(v) = attr(attrs, "string-value") {
                        let here = format!("{at}, cell {}", cell_ref(col, row));
                        screen.screen_into(v, &here, out);
                    }
                }
                // What a reader sees as a space, a tab, a line break.
                "text:s" | "text:tab" | "text:line-break" => {
                    let n = repeat(attrs, "c").min(MAX_SPACES) as usize;
                    let c = match name {
                        "text:s" => " ".repeat(n),
                        "text:tab" => "\t".to_string(),
                        _ => "\n".to_string(),
                    };
                    if pos.within("annotation") {
                        note_text.push_str(&c);
                    } else if pos.within("table-cell") || pos.within("covered-table-cell") {
                        cell_text.push_str(&c);
                    }
                }
                "office:annotation" => note_text.clear(),
                "table:table-source"
                | "table:cell-range-source"
                | "table:dde-source"
                | "table:dde-link" => {
                    let target = attr(attrs, "href").unwrap_or("a DDE source");
                    let excerpt = screen.matcher().redacted(target);
                    out.push(hidden(
                        Rule::ExternalLink,
                        format!("{file}, {}", pos.path()),
                        excerpt,
                    ));
                }
                "text:p" | "text:h" if pos.within("annotation") && !note_text.is_empty() => {
                    note_text.push('\n')
                }
                "text:p" | "text:h"
                    if (pos.within("table-cell") || pos.within("covered-table-cell"))
                        && !cell_text.is_empty() =>
                {
                    cell_text.push('\n')
                }
                // Validation conditions (`of:cell-content-is-in-list("TOP SECRET";...)`),
                // named ranges' expressions, link targets: every other attribute value.
                other => {
                    if !matches!(
                        other,
                        "table:table-row" | "table:table-column" | "style:style"
                    ) && !other.starts_with("style:")
                        && !other.starts_with("number:")
                    {
                        for (key, value) in attrs {
                            screen.screen_lazy(
                                value,
                                || format!("{file}, part \"{CONTENT}\", {}/@{key}", pos.path()),
                                out,
                            );
                        }
                    }
                }
            },
            Item::Text(t) => {
                if pos.within("annotation") {
                    note_text.push_str(t);
                } else if pos.within("table-cell") || pos.within("covered-table-cell") {
                    cell_text.push_str(t);
                } else {
                    screen.screen_lazy(
                        t,
                        || format!("{file}, part \"{CONTENT}\", {}", pos.path()),
                        out,
                    );
                }
            }
            Item::Close { name } => match name {
                "office:annotation" => {
                    let here = format!("{at}, cell {}, comment", cell_ref(col, row));
                    out.push(hidden(
                        Rule::Comment,
                        here.clone(),
                        screen.matcher().redacted(&note_text),
                    ));
                    screen.screen_into(&note_text, &here, out);
                    note_text.clear();
                }
                "table:table-cell" | "table:covered-table-cell" if !cell_text.is_empty() => {
                    let here = format!("{at}, cell {}", cell_ref(col, row));
                    screen.screen_into(&cell_text, &here, out);
                    if covered {
                        out.push(hidden(
                            Rule::HiddenContent,
                            here.clone(),
                            "value under a merged cell (covered): not shown",
                        ));
                    }
                    if let Some(why) = cell_style.as_ref().and_then(|s| unreadable.get(s)) {
                        out.push(hidden(
                            Rule::HiddenContent,
                            here,
                            format!("cell text unreadable: {why}"),
                        ));
                    }
                    cell_text.clear();
                }
                "table:table" => finish_table(&at, &mut hidden_rows, &mut hidden_cols, out),
                _ => {}
            },
        },
    )?;
    markup.screen(screen, &format!("{file}, part \"{CONTENT}\""), out);
    Ok(())
}

/// The most spaces one `<text:s text:c="n"/>` adds: enough to separate words.
const MAX_SPACES: u64 = 64;

/// An ODF length (`11pt`, `0.2083in`, `0cm`, `3mm`) in points.
fn points(v: &str) -> Option<f64> {
    let v = v.trim();
    let split = v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len());
    let (n, unit) = v.split_at(split);
    let n: f64 = n.trim().parse().ok()?;
    let factor = match unit {
        "pt" => 1.0,
        "in" => 72.0,
        "cm" => 72.0 / 2.54,
        "mm" => 72.0 / 25.4,
        "pc" => 12.0,
        "px" => 0.75,
        "" => 1.0,
        _ => return None,
    };
    Some(n * factor)
}
