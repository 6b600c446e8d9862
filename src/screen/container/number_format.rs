//! Cells hidden by their number format: `;;;` shows nothing of any value, whatever the
//! cell holds, and is the usual way to hide a cell in plain sight.
//!
//! A format code has up to four `;`-separated sections: positive numbers, negative
//! numbers, zero, text. With fewer, the first serves every number (two sections: the
//! first for zero too) and text is shown as typed. A section is *empty* when nothing is
//! left once colours, conditions and locales (`[Red]`, `[<0]`, `[$-409]`) and padding
//! codes (`_x`, `*x`) are taken out: it shows neither the value nor any text. A cell is
//! hidden when the section that applies to its value is empty. Sections that show fixed
//! text instead of the value (`"n/a"`) are left alone: the cell still shows something,
//! and an approver looking at it sees that it says something.

use std::collections::HashMap;
use std::io::{Read, Seek};

use super::{attr, local, part_prefix, Package};
use crate::screen::xml::{self, Item};
use crate::screen::ScreenError;

/// What a cell holds, as far as its format is concerned.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shown {
    Number(f64),
    Text,
}

/// One custom format code, split into sections.
#[derive(Debug)]
struct Format {
    code: String,
    /// Whether each section is empty.
    empty: Vec<bool>,
    /// Whether a section has a condition (`[<0]`), which changes which section applies.
    conditional: bool,
}

impl Format {
    fn parse(code: &str) -> Format {
        let mut empty = Vec::new();
        let mut conditional = false;
        let mut shows = false;
        let mut chars = code.chars();
        while let Some(c) = chars.next() {
            match c {
                ';' => {
                    empty.push(!shows);
                    shows = false;
                }
                '[' => {
                    let inner: String = chars.by_ref().take_while(|&c| c != ']').collect();
                    conditional |= inner.starts_with(['<', '>', '=']);
                    // Elapsed time (`[h]:mm`, `[ss]`) shows the value.
                    shows |= !inner.is_empty()
                        && inner
                            .chars()
                            .all(|c| matches!(c.to_ascii_lowercase(), 'h' | 'm' | 's'));
                }
                // Quoted and escaped text is shown, and may hold a `;`.
                '"' => {
                    chars.by_ref().take_while(|&c| c != '"').for_each(drop);
                    shows = true;
                }
                '\\' => {
                    chars.next();
                    shows = true;
                }
                // Padding to the width of the next character, or repeating it.
                '_' | '*' => {
                    chars.next();
                }
                _ => shows = true,
            }
        }
        empty.push(!shows);
        Format {
            code: code.to_string(),
            empty,
            conditional,
        }
    }

    /// Whether a value is hidden: the section that applies to it is empty.
    fn hides(&self, shown: Shown) -> bool {
        let e = &self.empty;
        match shown {
            Shown::Text => e.len() >= 4 && e[3],
            // A code with one section that is empty is no code at all (Excel shows
            // General), not a hiding one.
            Shown::Number(_) if e.len() < 2 => false,
            Shown::Number(_) if self.conditional => e.iter().take(3).all(|&x| x),
            Shown::Number(x) => {
                let section = if x > 0.0 || (x == 0.0 && e.len() == 2) {
                    0
                } else if x < 0.0 {
                    1
                } else {
                    2
                };
                e.get(section).copied().unwrap_or(e[0])
            }
        }
    }
}

/// The cell styles (`s` attribute of a cell) whose number format can hide a value.
#[derive(Debug, Default)]
pub(crate) struct HidingStyles {
    /// By style index; only styles with a format that has an empty section.
    styles: HashMap<usize, Format>,
}

impl HidingStyles {
    /// Reads the cell formats (`cellXfs`) and custom number formats of a styles part.
    ///
    /// # Errors
    /// [`ScreenError::Xml`] or [`ScreenError::Corrupt`] when the part cannot be read.
    pub(crate) fn read<R: Read + Seek>(
        pkg: &mut Package<R>,
        part: &str,
    ) -> Result<HidingStyles, ScreenError> {
        let mut codes: HashMap<u32, String> = HashMap::new();
        let mut xf_formats: Vec<u32> = Vec::new();
        let source = pkg.source.clone();
        let reader = pkg.part(part)?;
        xml::walk(&source, &part_prefix(part), reader, |pos, item| {
            let Item::Open { name, attrs } = item else {
                return;
            };
            let id = || attr(attrs, "numFmtId").and_then(|v| v.trim().parse::<u32>().ok());
            match local(name) {
                "numFmt" => {
                    if let (Some(id), Some(code)) = (id(), attr(attrs, "formatCode")) {
                        codes.insert(id, code.to_string());
                    }
                }
                "xf" if pos.within("cellXfs") => xf_formats.push(id().unwrap_or(0)),
                _ => {}
            }
        })?;
        let mut styles = HashMap::new();
        for (index, id) in xf_formats.into_iter().enumerate() {
            // Built-in formats (ids below 164 not redefined) all show the value.
            let Some(code) = codes.get(&id) else {
                continue;
            };
            let format = Format::parse(code);
            if format.empty.iter().any(|&e| e) {
                styles.insert(index, format);
            }
        }
        Ok(HidingStyles { styles })
    }

    /// From format codes by cell style (an xls XF index), for formats a file declares.
    pub(crate) fn from_codes(codes: HashMap<usize, String>) -> HidingStyles {
        let styles = codes
            .into_iter()
            .map(|(index, code)| (index, Format::parse(&code)))
            .filter(|(_, format)| format.empty.iter().any(|&e| e))
            .collect();
        HidingStyles { styles }
    }

    /// The format code hiding a value of the cell style `style`, if it does.
    pub(crate) fn hiding(&self, style: usize, shown: Shown) -> Option<&str> {
        self.styles
            .get(&style)
            .filter(|f| f.hides(shown))
            .map(|f| f.code.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_sections_hide_the_values_they_apply_to() {
        let n = Shown::Number;
        let cases = [
            (";;;", n(5.0), true),
            (";;;", n(-5.0), true),
            (";;;", n(0.0), true),
            (";;;", Shown::Text, true),
            ("[Red];[Blue];;", n(1.0), true),
            ("[$-409];;;@", Shown::Text, false),
            ("[$-409];;;@", n(1.0), true),
            (";;", n(1.0), true),
            (";;", Shown::Text, false),
            ("0.00;;0", n(-2.0), true),
            ("0.00;;0", n(2.0), false),
            ("0.00;;0", n(0.0), false),
            ("0;", n(0.0), false),
            ("0;", n(-1.0), true),
            ("_(* #,##0_);_(* (#,##0);_(* \"-\"_);_(@_)", n(0.0), false),
            ("* ;* ;* ;* ", Shown::Text, true),
            ("[<0];[>=0];", n(3.0), true),
            ("[<0]0;[>=0];", n(3.0), false),
            ("[h]:mm;;", n(1.5), false),
            ("0.00", n(1.0), false),
            ("", n(1.0), false),
            ("\"n/a\";\"n/a\";\"n/a\";\"n/a\"", Shown::Text, false),
            ("General;General;General;@", Shown::Text, false),
            ("\"a;b\";;;", n(1.0), false),
            ("\\;;;", n(1.0), false),
        ];
        for (code, shown, hidden) in cases {
            assert_eq!(
                Format::parse(code).hides(shown),
                hidden,
                "{code:?} on {shown:?}"
            );
        }
    }
}
