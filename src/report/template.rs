//! `ogpipe report inventory`: the Open Data Inventory in the Government of Canada's
//! template, the Registry's recombinant table `inventory` (ckanext-canada
//! `tables/inventory.yaml`), as CSV (UTF-8 with a byte-order mark, as the Registry's
//! templates are) and as xlsx.
//!
//! One row per information resource (one manifest), withheld ones included: the
//! inventory lists every resource of business value, released or not. What the journal
//! knows fills the release columns: `date_published` is the first publication on the
//! portal, `date_released` the latest, `size` the bytes of the files the portal holds,
//! `download_url` the CSV's (or the first file's) URL. `privacy_impact_assessment` is
//! left empty: no manifest records it, and a guessed `N` would be a false statement.

use std::io::{self, Write};

use chrono::NaiveDate;

use super::render::safe;
use super::Entry;
use crate::plan::manifest::Bilingual;

/// The template's fields, in its order.
pub const FIELDS: [&str; 13] = [
    "ref_number",
    "title_en",
    "title_fr",
    "description_en",
    "description_fr",
    "historical_publisher_en",
    "historical_publisher_fr",
    "date_published",
    "language",
    "size",
    "privacy_impact_assessment",
    "date_released",
    "download_url",
];

/// Could not write the inventory.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    #[error("cannot write the inventory: {0}")]
    Io(#[from] io::Error),
    #[error("cannot build the inventory workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// The template's `language` code for the pipeline's languages.
pub fn language_code(languages: &[String]) -> &'static str {
    let has = |l: &str| languages.iter().any(|x| x == l);
    match (has("en"), has("fr"), languages.len()) {
        (true, true, 2) => "en+fr",
        (true, false, 1) => "en",
        (false, true, 1) => "fr",
        _ if languages.len() == 1 && has("iu") => "iu",
        _ if languages.len() == 1 && has("zxx") => "zxx",
        _ => "other",
    }
}

/// One row of the template, as text, in [`FIELDS`] order.
pub fn row(e: &Entry, publisher: &Bilingual, language: &str) -> [String; 13] {
    let m = e.source.as_ref();
    let text = |f: fn(&crate::plan::Manifest) -> &str| m.map(|m| f(m).to_string());
    let published = e.published.as_ref();
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    [
        e.reference.clone().unwrap_or_default(),
        text(|m| &m.metadata.title.en).unwrap_or_default(),
        text(|m| &m.metadata.title.fr).unwrap_or_default(),
        text(|m| &m.metadata.description.en).unwrap_or_default(),
        text(|m| &m.metadata.description.fr).unwrap_or_default(),
        publisher.en.clone(),
        publisher.fr.clone(),
        date(published.map(|p| p.first_date)),
        if m.is_some() {
            language.to_string()
        } else {
            String::new()
        },
        published.map(|p| p.bytes().to_string()).unwrap_or_default(),
        String::new(),
        date(published.map(|p| p.last_date)),
        published
            .and_then(|p| p.download_url())
            .unwrap_or_default()
            .to_string(),
    ]
}

/// Writes the template as CSV: UTF-8 with a BOM, CRLF line ends (RFC 4180).
///
/// # Errors
/// The write failed.
pub fn csv<W: Write>(
    entries: &[Entry],
    publisher: &Bilingual,
    language: &str,
    mut w: W,
) -> Result<(), TemplateError> {
    w.write_all("\u{feff}".as_bytes())?;
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(w);
    out.write_record(FIELDS).map_err(io::Error::from)?;
    for e in entries {
        out.write_record(row(e, publisher, language).map(|c| safe(&c)))
            .map_err(io::Error::from)?;
    }
    out.flush()?;
    Ok(())
}

/// The template as an xlsx workbook: one sheet, `inventory`, its header row the field
/// names, dates as text in ISO form (as the Registry reads them) and the size a number.
///
/// # Errors
/// The workbook cannot be built.
pub fn xlsx(
    entries: &[Entry],
    publisher: &Bilingual,
    language: &str,
) -> Result<Vec<u8>, TemplateError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("inventory")?;
    for (c, f) in FIELDS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *f, &bold)?;
        sheet.set_column_width(c as u16, if c == 0 { 20 } else { 30 })?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let size_col = FIELDS.iter().position(|f| *f == "size").unwrap_or(9);
    for (i, e) in entries.iter().enumerate() {
        let r = i as u32 + 1;
        for (c, v) in row(e, publisher, language).iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            match v.parse::<u64>() {
                Ok(n) if c == size_col => {
                    sheet.write_number(r, c as u16, n as f64)?;
                }
                // Text is written as text, never as a formula.
                _ => {
                    sheet.write_string(r, c as u16, v)?;
                }
            }
        }
    }
    Ok(book.save_to_buffer()?)
}
