//! xls (BIFF8), through ogpipe's own record parser ([`crate::read::xls`]), the same
//! one the reader uses.
//!
//! Inspected: the OLE container's streams and storages (VBA project, embedded objects,
//! pivot caches, anything unknown), the document properties (summary and document
//! summary property sets, custom ones by name) and the name of the last user to save;
//! sheet names and visibility, macro sheets; the value of every cell of every
//! worksheet (hidden ones too) and values hidden by number formats; hidden rows and
//! columns; notes (comments) and text boxes; page headers and footers; links to other
//! workbooks and DDE/OLE sources; drawing objects (images, charts, OLE objects, form
//! controls), reported since their content is not read. What is still not inspected
//! is itself a finding on every xls ([`NOT_IN_XLS`]).

use std::io::{Read, Seek};

use super::calamine_books::not_inspected;
use super::number_format::{HidingStyles, Shown};
use super::xlsx::{header_footer_codes, header_footer_text, hidden_by_format, merge};
use super::{corrupt, describe_ranges, hidden};
use crate::read::xls::{CellContent, Inspector, Object, SheetLayout};
use crate::screen::{Findings, Rule, Screen, ScreenError};
use crate::table::{column_letter, DecimalStyle};

/// What the screen does not read in an xls. Passing it silently would let an
/// approver's blind spot through, so every xls carries a finding that only a waiver
/// (someone has looked) releases.
pub(crate) const NOT_IN_XLS: &str = "formula text, defined names, hyperlinks, chart text, and what images and embedded objects show";

/// Container members that hold nothing the checks below miss: the workbook itself,
/// the property sets (read), and the OLE class id.
const KNOWN_MEMBERS: &[&str] = &[
    "Workbook",
    "\u{5}SummaryInformation",
    "\u{5}DocumentSummaryInformation",
    "\u{1}CompObj",
];

pub(crate) fn screen_xls<R: Read + Seek>(
    screen: &Screen,
    source: &str,
    reader: R,
    out: &mut Findings,
) -> Result<(), ScreenError> {
    let fail = |e| corrupt(source, "xls workbook", e);
    let mut book = Inspector::open(reader, u64::MAX).map_err(fail)?;
    out.push(not_inspected(source, "xls", NOT_IN_XLS));
    let file = format!("file \"{source}\"");
    report_members(&book, &file, out);
    screen_properties(screen, &mut book, &file, out).map_err(fail)?;
    for (i, link) in book.links().iter().enumerate() {
        let at = format!("{file}, external link {}", i + 1);
        out.push(hidden(
            Rule::ExternalLink,
            at.clone(),
            "link to an external workbook or DDE/OLE source",
        ));
        screen.screen_into(&link.target, &at, out);
        for name in &link.names {
            screen.screen_into(name, &at, out);
        }
    }
    let styles = HidingStyles::from_codes(book.xf_format_codes());
    let codes = header_footer_codes();
    let sheets = book.sheets().to_vec();
    for (index, sheet) in sheets.iter().enumerate() {
        let at = format!("{file}, sheet \"{}\"", sheet.name);
        screen.screen_into(&sheet.name, &format!("{at}, sheet name"), out);
        match sheet.visible {
            calamine::SheetVisible::Hidden => {
                out.push(hidden(Rule::HiddenSheet, at.clone(), "hidden sheet"))
            }
            calamine::SheetVisible::VeryHidden => {
                out.push(hidden(Rule::HiddenSheet, at.clone(), "very hidden sheet"))
            }
            calamine::SheetVisible::Visible => {}
        }
        match sheet.typ {
            calamine::SheetType::WorkSheet => {}
            calamine::SheetType::MacroSheet | calamine::SheetType::Vba => {
                out.push(hidden(Rule::Macro, at, "macro sheet"));
                continue;
            }
            // A chart sheet's text is among what is not inspected.
            _ => continue,
        }
        let mut format_hidden: Vec<String> = Vec::new();
        let mut hiding_code: Option<String> = None;
        let layout = book
            .sheet(index, |row, col, xf, content| {
                let cell = || format!("{}{}", column_letter(col as usize), row + 1);
                let shown = match content {
                    CellContent::Text(t) => {
                        screen.screen_lazy(t, || format!("{at}, cell {}", cell()), out);
                        (!t.is_empty()).then_some(Shown::Text)
                    }
                    CellContent::Number(n) => {
                        let text = crate::read::spreadsheet::number(n)
                            .display(DecimalStyle::Excel)
                            .to_string();
                        screen.screen_lazy(&text, || format!("{at}, cell {}", cell()), out);
                        Some(Shown::Number(n))
                    }
                    CellContent::Other => None,
                };
                if let Some(code) = shown.and_then(|s| styles.hiding(usize::from(xf), s)) {
                    format_hidden.push(cell());
                    hiding_code.get_or_insert_with(|| code.to_string());
                }
            })
            .map_err(|e| corrupt(source, &format!("sheet \"{}\"", sheet.name), e))?;
        if let Some(code) = hiding_code {
            let code = screen.matcher().redacted(&code);
            out.push(hidden_by_format(&at, &format_hidden, &code));
        }
        report_layout(screen, &at, &codes, layout, out);
    }
    Ok(())
}

/// The container's other members: a VBA project, embedded objects, anything unknown.
fn report_members<R: Read + Seek>(book: &Inspector<R>, file: &str, out: &mut Findings) {
    for (name, _) in book.members() {
        if KNOWN_MEMBERS.iter().any(|k| k.eq_ignore_ascii_case(&name)) {
            continue;
        }
        let shown: String = name.chars().filter(|c| !c.is_control()).collect();
        let at = format!("{file}, OLE member \"{shown}\"");
        let upper = name.to_ascii_uppercase();
        if upper == "_VBA_PROJECT_CUR" {
            out.push(hidden(Rule::Macro, at, "VBA macro project"));
        } else if upper.starts_with("MBD") {
            out.push(hidden(Rule::EmbeddedObject, at, "embedded object"));
        } else if upper == "CTLS" {
            out.push(hidden(Rule::EmbeddedObject, at, "ActiveX controls"));
        } else if upper == "_SX_DB_CUR" {
            out.push(hidden(
                Rule::HiddenContent,
                at,
                "pivot cache: a copy of source data, not inspected",
            ));
        } else {
            out.push(hidden(
                Rule::HiddenContent,
                at,
                "container member not inspected",
            ));
        }
    }
}

/// Document properties, located as for xlsx (`document property "Title"`); one that
/// cannot be read whole is a finding, not a pass.
fn screen_properties<R: Read + Seek>(
    screen: &Screen,
    book: &mut Inspector<R>,
    file: &str,
    out: &mut Findings,
) -> Result<(), crate::read::xls::XlsError> {
    let (props, complete) = book.properties()?;
    for p in props {
        let location = format!("{file}, document property \"{}\"", p.name);
        screen.screen_into(&p.name, &format!("{location} (name)"), out);
        screen.screen_into(&p.value, &location, out);
    }
    if !complete {
        out.push(hidden(
            Rule::HiddenContent,
            format!("{file}, document properties"),
            "document properties could not be read whole",
        ));
    }
    if let Some(user) = book.write_access() {
        screen.screen_into(user, &format!("{file}, last saved by"), out);
    }
    Ok(())
}

fn report_layout(
    screen: &Screen,
    at: &str,
    codes: &regex::Regex,
    layout: SheetLayout,
    out: &mut Findings,
) {
    if layout.rows_hidden_by_default {
        out.push(hidden(
            Rule::HiddenRows,
            at.to_string(),
            "rows are hidden by default (DEFAULTROWHEIGHT)",
        ));
    } else if !layout.hidden_rows.is_empty() {
        let rows = layout
            .hidden_rows
            .iter()
            .map(|&r| (u64::from(r) + 1, u64::from(r) + 1))
            .collect();
        let desc = describe_ranges("rows", &merge(rows), |r| r.to_string());
        out.push(hidden(Rule::HiddenRows, at.to_string(), desc));
    }
    if !layout.hidden_columns.is_empty() {
        let cols = layout
            .hidden_columns
            .iter()
            .map(|&(a, b)| (u64::from(a) + 1, u64::from(b) + 1))
            .collect();
        let desc = describe_ranges("columns", &merge(cols), |c| {
            column_letter(c.saturating_sub(1) as usize)
        });
        out.push(hidden(Rule::HiddenColumns, at.to_string(), desc));
    }
    for note in &layout.notes {
        let cell = format!("{}{}", column_letter(note.col as usize), note.row + 1);
        let place = format!("{at}, cell {cell}, comment");
        out.push(hidden(
            Rule::Comment,
            place.clone(),
            screen.matcher().redacted(&note.text),
        ));
        screen.screen_into(&note.text, &place, out);
        screen.screen_into(&note.author, &format!("{place} author"), out);
    }
    for text in &layout.text_boxes {
        screen.screen_into(text, &format!("{at}, drawing text"), out);
    }
    for text in &layout.headers_footers {
        let clean = header_footer_text(codes, text);
        screen.screen_into(&clean, &format!("{at}, page header/footer"), out);
    }
    let count = |want: fn(&Object) -> bool| layout.objects.iter().filter(|o| want(o)).count();
    let reports = [
        (
            count(|o| *o == Object::Picture),
            Rule::HiddenContent,
            "images: an approver must check what they show",
        ),
        (
            count(|o| *o == Object::Chart),
            Rule::HiddenContent,
            "charts: their titles and labels are not inspected",
        ),
        (
            count(|o| *o == Object::Ole),
            Rule::EmbeddedObject,
            "linked or embedded OLE objects",
        ),
        (
            count(|o| matches!(o, Object::Other(_))),
            Rule::HiddenContent,
            "form controls or shapes, not inspected",
        ),
    ];
    for (n, rule, what) in reports {
        if n > 0 {
            out.push(hidden(rule, at.to_string(), format!("{n} {what}")));
        }
    }
}
