//! One path for a source file, shared by `ogpipe run` and `ogpipe screen` so that both
//! reach the same verdict (issue 17): the file is admitted by the same limits and the
//! same content check, the whole file is screened the same way, and a file that cannot
//! be screened is refused by both, never reported as "0 findings".
//!
//! What a run then does with the table (validate, convert) is not here; the table's own
//! screen is [`super::Screen::cell_sink`], fed by the same reader and options in both.

use std::io::{BufReader, Read, Seek, SeekFrom};

use super::{ContainerFormat, Finding, Screen};
use crate::read::{Format, Limits};

/// Why a source is refused before or while it is screened. Refused means held: what
/// could not be screened cannot be published.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("\"{source_name}\" is {size} bytes, over limits.max_input_bytes = {max}; raise it in pipeline.toml if the file is trusted")]
    TooBig {
        source_name: String,
        size: u64,
        max: u64,
    },
    #[error("\"{source_name}\" is declared {declared} but its content is {found}; fix the manifest's format or the file")]
    WrongContent {
        source_name: String,
        declared: Format,
        found: String,
    },
    #[error("the screen could not inspect it: {0}")]
    Unscreenable(#[from] super::ScreenError),
    #[error("could not read \"{source_name}\": {err}")]
    Io {
        source_name: String,
        #[source]
        err: std::io::Error,
    },
}

fn io(source_name: &str) -> impl FnOnce(std::io::Error) -> SourceError + '_ {
    move |err| SourceError::Io {
        source_name: source_name.to_string(),
        err,
    }
}

/// Admits a source: its size is within `limits.max_input_bytes` and its content is the
/// declared format (by [`Format::sniff_reader`], so a renamed file is caught). Returns
/// the size and leaves the reader at the start.
///
/// # Errors
/// [`SourceError::TooBig`], [`SourceError::WrongContent`], or an IO error.
pub fn admit<R: Read + Seek>(
    source_name: &str,
    declared: Format,
    reader: &mut R,
    limits: &Limits,
) -> Result<u64, SourceError> {
    let size = reader.seek(SeekFrom::End(0)).map_err(io(source_name))?;
    if size > limits.max_input_bytes {
        return Err(SourceError::TooBig {
            source_name: source_name.to_string(),
            size,
            max: limits.max_input_bytes,
        });
    }
    let found = Format::sniff_reader(&mut *reader).map_err(io(source_name))?;
    if !declared.accepts(found) {
        return Err(SourceError::WrongContent {
            source_name: source_name.to_string(),
            declared,
            found: found
                .map(|f| f.to_string())
                .unwrap_or_else(|| "not a recognised format".into()),
        });
    }
    reader.seek(SeekFrom::Start(0)).map_err(io(source_name))?;
    Ok(size)
}

/// The container kind a source format is screened as, `None` for CSV and XML.
pub fn container_format(f: Format) -> Option<ContainerFormat> {
    match f {
        Format::Xlsx => Some(ContainerFormat::Xlsx),
        Format::Xlsm => Some(ContainerFormat::Xlsm),
        Format::Xlsb => Some(ContainerFormat::Xlsb),
        Format::Xls => Some(ContainerFormat::Xls),
        Format::Ods => Some(ContainerFormat::Ods),
        Format::Csv | Format::Xml => None,
    }
}

/// Screens the whole file (a workbook's properties, every sheet and part; an XML file
/// whole), within `screen`'s limits. CSV has nothing outside its table. Leaves the
/// reader where the screen stopped; rewind before reading the table.
///
/// # Errors
/// [`SourceError::Unscreenable`] when the file cannot be screened (corrupt, a DTD, a zip
/// part over the limits).
pub fn screen_whole<R: Read + Seek>(
    screen: &Screen,
    source_name: &str,
    format: Format,
    reader: &mut R,
) -> Result<Vec<Finding>, SourceError> {
    if !screen.enabled() {
        return Ok(Vec::new());
    }
    reader.seek(SeekFrom::Start(0)).map_err(io(source_name))?;
    let found = match container_format(format) {
        Some(cf) => screen.screen_container(cf, source_name, BufReader::new(&mut *reader))?,
        None if format == Format::Xml => {
            screen.screen_xml(source_name, BufReader::new(&mut *reader))?
        }
        None => Vec::new(),
    };
    Ok(found)
}

/// The published sheet is screened both as a table and as part of its workbook: one
/// finding per rule and place.
pub fn dedupe(mut findings: Vec<Finding>) -> Vec<Finding> {
    let mut seen = std::collections::HashSet::new();
    findings.retain(|f| seen.insert((f.rule.to_string(), f.location.clone())));
    findings
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::screen::ScreenConfig;

    #[test]
    fn a_source_over_the_size_limit_or_of_other_content_is_refused() {
        let limits = Limits {
            max_input_bytes: 8,
            ..Limits::default()
        };
        let mut big = Cursor::new(b"a,b\n1,2\n3,4\n".to_vec());
        assert!(matches!(
            admit("x.csv", Format::Csv, &mut big, &limits),
            Err(SourceError::TooBig { size: 12, .. })
        ));
        let mut text = Cursor::new(b"a,b\n".to_vec());
        assert!(matches!(
            admit("x.xlsx", Format::Xlsx, &mut text, &Limits::default()),
            Err(SourceError::WrongContent { .. })
        ));
        assert_eq!(
            admit("x.csv", Format::Csv, &mut text, &Limits::default()).unwrap(),
            4
        );
    }

    #[test]
    fn an_unscreenable_xml_file_is_refused_not_passed() {
        let screen = Screen::new(&ScreenConfig::default()).unwrap();
        let mut dtd = Cursor::new(b"<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>".to_vec());
        assert!(matches!(
            screen_whole(&screen, "a.xml", Format::Xml, &mut dtd),
            Err(SourceError::Unscreenable(_))
        ));
    }
}
