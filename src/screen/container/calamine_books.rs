//! xls and xlsb, through calamine's metadata and cell API, as far as it goes.
//!
//! Inspected: sheet names and visibility, macro sheets, the VBA project, and the value of
//! every cell of every worksheet (hidden ones too). For xlsb, which is a zip, also the
//! member names (macros, embeddings, external links, comment parts) and its XML parts
//! (document properties, relationships). Not inspected: hidden rows and columns, comment
//! text, page headers and footers (calamine does not expose them); for xls also document
//! properties, embedded OLE objects and external references.

use std::fmt::Display;
use std::io::{Read, Seek, SeekFrom};

use calamine::{Data, Reader, SheetType, SheetVisible, Xls, Xlsb};

use super::xlsx::{report_members, PROPERTIES};
use super::{corrupt, hidden, screen_properties, Package};
use crate::screen::{Findings, Rule, Screen, ScreenError};
use crate::table::{column_letter, DecimalStyle, Value};

pub(crate) fn screen_xls<R: Read + Seek>(
    screen: &Screen,
    source: &str,
    reader: R,
    out: &mut Findings,
) -> Result<(), ScreenError> {
    let mut book = Xls::new(reader).map_err(|e| corrupt(source, "xls workbook", e))?;
    screen_book(screen, source, &mut book, out)
}

pub(crate) fn screen_xlsb<R: Read + Seek>(
    screen: &Screen,
    source: &str,
    reader: R,
    out: &mut Findings,
) -> Result<(), ScreenError> {
    let mut pkg = Package::open(source, reader)?;
    let file = pkg.file();
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
