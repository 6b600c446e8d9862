//! xlsb, through calamine's metadata and cell API, as far as it goes (xls has its own
//! parser now: [`super::xls`]).
//!
//! Inspected: sheet names and visibility, macro sheets, the VBA project, and the value of
//! every cell of every worksheet (hidden ones too); also the member names (macros,
//! embeddings, external links, comment parts) and its XML parts (document properties,
//! relationships), and its worksheet parts' hidden rows and columns (`xlsb_sheet`). Not
//! inspected: comment text, page headers and footers (calamine does not expose them).
//! What is not inspected is itself a finding on every such file ([`not_inspected`]).

use std::fmt::Display;
use std::io::{Read, Seek, SeekFrom};

use calamine::{Data, Reader, SheetType, SheetVisible, Xlsb};

use super::xlsb_sheet::hidden_layout;
use super::xlsx::{merge, report_members, PROPERTIES};
use super::{corrupt, describe_ranges, hidden, screen_properties, Package};
use crate::screen::{Findings, Rule, Screen, ScreenError};
use crate::table::{column_letter, DecimalStyle, Value};

/// What the screen cannot see in xlsb (see the table in the parent module). Passing it
/// silently would let an approver's blind spot through, so each such file carries a
/// finding that only a waiver (someone has looked) releases.
const NOT_IN_XLSB: &str =
    "comment text, page headers and footers, and values hidden by number formats";

pub(crate) fn not_inspected(source: &str, format: &str, what: &str) -> crate::screen::Finding {
    hidden(
        Rule::HiddenContent,
        format!("file \"{source}\""),
        format!("{format} is not fully inspected ({what}); save it as xlsx, which is, or waive this finding once someone has checked them"),
    )
}

pub(crate) fn screen_xlsb<R: Read + Seek>(
    screen: &Screen,
    source: &str,
    reader: R,
    out: &mut Findings,
) -> Result<(), ScreenError> {
    let mut pkg = Package::open(source, reader, screen.limits())?;
    let file = pkg.file();
    out.push(not_inspected(source, "xlsb", NOT_IN_XLSB));
    report_members(&pkg, out);
    for name in pkg.names.clone() {
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("xl/comments") && lower.ends_with(".bin") {
            let at = format!("{file}, part \"{name}\"");
            out.push(hidden(
                Rule::Comment,
                at,
                "comments (binary part: text not read)",
            ));
        } else if lower.starts_with("xl/worksheets/") && lower.ends_with(".bin") {
            screen_xlsb_layout(&mut pkg, &name, out)?;
        } else if PROPERTIES.contains(&name.as_str()) {
            screen_properties(screen, &mut pkg, &name, out)?;
        } else if name.ends_with(".xml") || name.ends_with(".rels") {
            pkg.screen_generic(screen, &name, out)?;
        }
    }
    let mut reader = pkg.archive.into_inner();
    reader
        .seek(SeekFrom::Start(0))
        .map_err(|err| ScreenError::Io {
            source_name: source.to_string(),
            err,
        })?;
    let mut book = Xlsb::new(reader).map_err(|e| corrupt(source, "xlsb workbook", e))?;
    screen_book(screen, source, &mut book, out)
}

/// Hidden rows and columns of one xlsb worksheet part, located by the part (the sheet
/// name would need the workbook's binary relationships).
fn screen_xlsb_layout<R: Read + Seek>(
    pkg: &mut Package<R>,
    part: &str,
    out: &mut Findings,
) -> Result<(), ScreenError> {
    let at = format!("{}, part \"{part}\"", pkg.file());
    let source = pkg.source.clone();
    let layout = hidden_layout(pkg.part(part)?)
        .map_err(|e| corrupt(&source, &format!("part \"{part}\""), e))?;
    if !layout.rows.is_empty() {
        let desc = describe_ranges("rows", &merge(layout.rows), |r| r.to_string());
        out.push(hidden(Rule::HiddenRows, at.clone(), desc));
    }
    if !layout.columns.is_empty() {
        let desc = describe_ranges("columns", &merge(layout.columns), |c| {
            column_letter(c.saturating_sub(1) as usize)
        });
        out.push(hidden(Rule::HiddenColumns, at, desc));
    }
    Ok(())
}

fn screen_book<RS: Read + Seek, B: Reader<RS>>(
    screen: &Screen,
    source: &str,
    book: &mut B,
    out: &mut Findings,
) -> Result<(), ScreenError>
where
    B::Error: Display,
{
    let file = format!("file \"{source}\"");
    match book.vba_project() {
        Ok(None) => {}
        Ok(Some(_)) => out.push(hidden(Rule::Macro, file.clone(), "VBA macro project")),
        // A project that is there but unreadable is still a macro.
        Err(e) => out.push(hidden(
            Rule::Macro,
            file.clone(),
            format!("unreadable VBA project: {e}"),
        )),
    }
    let sheets = book.sheets_metadata().to_vec();
    for sheet in sheets {
        let at = format!("{file}, sheet \"{}\"", sheet.name);
        screen.screen_into(&sheet.name, &format!("{at}, sheet name"), out);
        match sheet.visible {
            SheetVisible::Hidden => out.push(hidden(Rule::HiddenSheet, at.clone(), "hidden sheet")),
            SheetVisible::VeryHidden => {
                out.push(hidden(Rule::HiddenSheet, at.clone(), "very hidden sheet"))
            }
            SheetVisible::Visible => {}
        }
        match sheet.typ {
            SheetType::WorkSheet => {}
            SheetType::MacroSheet | SheetType::Vba => {
                out.push(hidden(Rule::Macro, at, "macro sheet"));
                continue;
            }
            _ => continue,
        }
        let range = book
            .worksheet_range(&sheet.name)
            .map_err(|e| corrupt(source, &format!("sheet \"{}\"", sheet.name), e))?;
        let Some((row0, col0)) = range.start() else {
            continue;
        };
        for (r, c, data) in range.cells() {
            let text = match data {
                Data::String(s) => s.clone(),
                Data::Float(x) => Value::Float(*x).display(DecimalStyle::Excel).to_string(),
                Data::Int(i) => i.to_string(),
                _ => continue,
            };
            let cell = || {
                let col = column_letter(col0 as usize + c);
                format!("{at}, cell {col}{}", row0 as usize + r + 1)
            };
            screen.screen_lazy(&text, cell, out);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use super::*;
    use crate::screen::container::xlsb_sheet::tests::{col_info, row_header};

    fn package(sheet: &[u8]) -> Package<Cursor<Vec<u8>>> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        w.start_file("xl/worksheets/sheet1.bin", opts).unwrap();
        w.write_all(sheet).unwrap();
        let bytes = w.finish().unwrap().into_inner();
        Package::open(
            "b.xlsb",
            Cursor::new(bytes),
            &crate::read::Limits::default(),
        )
        .unwrap()
    }

    fn layout_findings(sheet: &[u8]) -> Vec<(String, String, String)> {
        let mut out = Findings::new("b.xlsb");
        screen_xlsb_layout(&mut package(sheet), "xl/worksheets/sheet1.bin", &mut out).unwrap();
        out.finish()
            .into_iter()
            .map(|f| (f.rule.to_string(), f.location, f.excerpt))
            .collect()
    }

    #[test]
    fn xlsb_hidden_rows_and_columns_are_located_by_part() {
        let mut sheet = row_header(4, true);
        sheet.extend(col_info(1, 2, true));
        sheet.extend(row_header(5, false));
        let at = "file \"b.xlsb\", part \"xl/worksheets/sheet1.bin\"".to_string();
        assert_eq!(
            layout_findings(&sheet),
            vec![
                ("hidden-rows".into(), at.clone(), "1 hidden rows: 5".into()),
                ("hidden-columns".into(), at, "2 hidden columns: B-C".into()),
            ]
        );
    }

    #[test]
    fn xlsb_visible_rows_and_columns_pass() {
        let mut sheet = row_header(0, false);
        sheet.extend(col_info(0, 5, false));
        assert!(layout_findings(&sheet).is_empty());
    }
}
