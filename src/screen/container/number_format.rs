//! Cells hidden by their style: a number format that shows nothing of the value (`;;;`
//! and its kin), and a font that cannot be read (coloured as the cell's background, or
//! too small).
//!
//! A format code has up to four `;`-separated sections: positive numbers, negative
//! numbers, zero, text. With fewer, the first serves every number (two sections: the
//! first for zero too) and text is shown as typed. A section is *empty* when nothing is
//! left once colours, conditions and locales (`[Red]`, `[<0]`, `[$-409]`) and padding
//! codes (`_x`, `*x`) are taken out, and *replacing* when what is left is only fixed
//! text (`"public"`, `""`, `\-`), with no placeholder for the value (`0`, `#`, `?`, `@`,
//! `General`, a date or time code). Either way the cell does not show its value: a cell
//! is hidden when the section that applies to it is empty or replacing, except that a
//! zero shown as fixed text (the accounting `"-"`) hides nothing, the value being zero.
//!
//! A font is unreadable when its colour equals the cell's solid fill, or is white with no
//! fill (the default background), or its size is under [`MIN_FONT_POINTS`].

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
    /// Whether each section is empty (shows nothing at all).
    empty: Vec<bool>,
    /// Whether each section shows no placeholder for the value (empty, or fixed text).
    blind: Vec<bool>,
    /// Whether a section has a condition (`[<0]`), which changes which section applies.
    conditional: bool,
}

impl Format {
    fn parse(code: &str) -> Format {
        let (mut empty, mut blind) = (Vec::new(), Vec::new());
        let mut conditional = false;
        // What the current section shows: anything at all, and the value.
        let (mut shows, mut value) = (false, false);
        let mut word = String::new();
        let mut chars = code.chars();
        while let Some(c) = chars.next() {
            if c.is_ascii_alphabetic() {
                word.push(c.to_ascii_lowercase());
                value |= word.ends_with("general");
            } else {
                word.clear();
            }
            match c {
                ';' => {
                    empty.push(!shows);
                    blind.push(!value);
                    (shows, value) = (false, false);
                }
                '[' => {
                    let inner: String = chars.by_ref().take_while(|&c| c != ']').collect();
                    conditional |= inner.starts_with(['<', '>', '=']);
                    // Elapsed time (`[h]:mm`, `[ss]`) shows the value.
                    let elapsed = !inner.is_empty()
                        && inner
                            .chars()
                            .all(|c| matches!(c.to_ascii_lowercase(), 'h' | 'm' | 's'));
                    shows |= elapsed;
                    value |= elapsed;
                }
                // Quoted and escaped text is shown, and may hold a `;`; an empty pair of
                // quotes shows nothing.
                '"' => {
                    let quoted: String = chars.by_ref().take_while(|&c| c != '"').collect();
                    shows |= !quoted.is_empty();
                }
                '\\' => {
                    chars.next();
                    shows = true;
                }
                // Padding to the width of the next character, or repeating it.
                '_' | '*' => {
                    chars.next();
                }
                '0' | '#' | '?' | '@' => (shows, value) = (true, true),
                c if matches!(c.to_ascii_lowercase(), 'y' | 'm' | 'd' | 'h' | 's') => {
                    (shows, value) = (true, true)
                }
                _ => shows = true,
            }
        }
        empty.push(!shows);
        blind.push(!value);
        Format {
            code: code.to_string(),
            empty,
            blind,
            conditional,
        }
    }

    /// Whether the format can hide some value: a section that shows nothing of it.
    fn can_hide(&self) -> bool {
        let n = self.blind.len();
        // One empty section is no code at all (Excel shows General).
        if n == 1 {
            return self.blind[0] && !self.empty[0];
        }
        self.blind.iter().enumerate().any(|(i, &b)| b && i != 2)
            || self.empty.get(2).copied().unwrap_or(false)
    }

    /// Whether a value is hidden: the section that applies to it shows nothing of it.
    fn hides(&self, shown: Shown) -> bool {
        let (e, b) = (&self.empty, &self.blind);
        match shown {
            Shown::Text => b.len() >= 4 && b[3],
            // A code with one section that is empty is no code at all (Excel shows
            // General), not a hiding one; one of fixed text replaces every number.
            Shown::Number(_) if b.len() < 2 => b[0] && !e[0],
            Shown::Number(_) if self.conditional => e.iter().take(3).all(|&x| x),
            Shown::Number(x) => {
                let section = if x > 0.0 || (x == 0.0 && b.len() == 2) {
                    0
                } else if x < 0.0 {
                    1
                } else {
                    2
                };
                match section {
                    // A zero as fixed text ("-") hides nothing; an empty one does.
                    2 => e.get(2).copied().unwrap_or(b[0]),
                    s => b.get(s).copied().unwrap_or(b[0]),
                }
            }
        }
    }
}

/// Text in a font smaller than this many points cannot be read on screen or on paper.
pub(crate) const MIN_FONT_POINTS: f64 = 4.0;

/// The cell styles (`s` attribute of a cell) that can hide a value.
#[derive(Debug, Default)]
pub(crate) struct HidingStyles {
    /// By style index; only styles with a format that can hide a value.
    styles: HashMap<usize, Format>,
    /// By style index: why a style's text cannot be read.
    unreadable: HashMap<usize, &'static str>,
}

/// A colour as `RRGGBB` in upper case, from an OOXML `<color>`/`<fgColor>` element, when
/// it can be told without the theme part: `rgb`, the legacy palette's black and white
/// (`indexed` 8/64 and 9/65), and the theme's first two (`theme` 0 is Background 1,
/// white in every built-in theme; 1 is Text 1, black).
fn colour(attrs: &[(String, String)]) -> Option<String> {
    if let Some(rgb) = attr(attrs, "rgb") {
        let rgb = rgb.trim();
        return (rgb.len() >= 6).then(|| rgb[rgb.len() - 6..].to_ascii_uppercase());
    }
    let known = |v: &str, white: &[&str], black: &[&str]| {
        if white.contains(&v) {
            Some("FFFFFF".to_string())
        } else if black.contains(&v) {
            Some("000000".to_string())
        } else {
            None
        }
    };
    if let Some(i) = attr(attrs, "indexed") {
        return known(i.trim(), &["1", "9", "65"], &["0", "8", "64"]);
    }
    if let Some(t) = attr(attrs, "theme") {
        return known(t.trim(), &["0"], &["1"]);
    }
    None
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
        // (numFmtId, fontId, fillId) of each cell format.
        let mut xfs: Vec<(u32, usize, usize)> = Vec::new();
        // (colour, size) of each font; the solid fill colour of each fill.
        let mut fonts: Vec<(Option<String>, Option<f64>)> = Vec::new();
        let mut fills: Vec<Option<String>> = Vec::new();
        let mut solid = false;
        let source = pkg.source.clone();
        let reader = pkg.part(part)?;
        xml::walk(&source, &part_prefix(part), reader, |pos, item| {
            let Item::Open { name, attrs } = item else {
                return;
            };
            let num = |key: &str| attr(attrs, key).and_then(|v| v.trim().parse::<usize>().ok());
            match local(name) {
                "numFmt" => {
                    if let (Some(id), Some(code)) = (num("numFmtId"), attr(attrs, "formatCode")) {
                        codes.insert(id as u32, code.to_string());
                    }
                }
                "xf" if pos.within("cellXfs") => xfs.push((
                    num("numFmtId").unwrap_or(0) as u32,
                    num("fontId").unwrap_or(0),
                    num("fillId").unwrap_or(0),
                )),
                "font" if pos.within("fonts") => fonts.push((None, None)),
                "sz" if pos.within("fonts") => {
                    if let Some(last) = fonts.last_mut() {
                        last.1 = attr(attrs, "val").and_then(|v| v.trim().parse().ok());
                    }
                }
                "color" if pos.within("fonts") => {
                    if let Some(last) = fonts.last_mut() {
                        last.0 = colour(attrs);
                    }
                }
                "fill" if pos.within("fills") => {
                    fills.push(None);
                    solid = false;
                }
                "patternFill" if pos.within("fills") => {
                    solid = attr(attrs, "patternType") == Some("solid");
                }
                "fgColor" if pos.within("fills") && solid => {
                    if let Some(last) = fills.last_mut() {
                        *last = colour(attrs);
                    }
                }
                _ => {}
            }
        })?;
        let mut styles = HashMap::new();
        let mut unreadable = HashMap::new();
        for (index, (id, font, fill)) in xfs.into_iter().enumerate() {
            // Built-in formats (ids below 164 not redefined) all show the value.
            if let Some(code) = codes.get(&id) {
                let format = Format::parse(code);
                if format.can_hide() {
                    styles.insert(index, format);
                }
            }
            let (fg, size) = fonts.get(font).cloned().unwrap_or((None, None));
            let bg = fills.get(fill).cloned().flatten();
            if size.is_some_and(|s| s < MIN_FONT_POINTS) {
                unreadable.insert(index, "a font too small to read");
            } else if fg.is_some() && fg == bg.clone().or_else(|| Some("FFFFFF".into())) {
                unreadable.insert(index, "text coloured as its background");
            }
        }
        Ok(HidingStyles { styles, unreadable })
    }

    /// Why text in the cell style `style` cannot be read, if it cannot.
    pub(crate) fn unreadable(&self, style: usize) -> Option<&'static str> {
        self.unreadable.get(&style).copied()
    }

    /// From format codes by cell style (an xls XF index), for formats a file declares.
    pub(crate) fn from_codes(codes: HashMap<usize, String>) -> HidingStyles {
        let styles = codes
            .into_iter()
            .map(|(index, code)| (index, Format::parse(&code)))
            .filter(|(_, format)| format.can_hide())
            .collect();
        HidingStyles {
            styles,
            unreadable: HashMap::new(),
        }
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
            ("\"n/a\";\"n/a\";\"n/a\";\"n/a\"", Shown::Text, true),
            ("General;General;General;@", Shown::Text, false),
            ("General;General;General;General", Shown::Text, false),
            ("\"a;b\";;;", n(1.0), true),
            ("\\;;;", n(1.0), true),
            // Sections that replace the value with fixed text or with nothing.
            ("0;0;0;\"\"", Shown::Text, true),
            ("0;0;0;\"\"", n(3.0), false),
            (";;;\"public\"", Shown::Text, true),
            (";;;\"public\"", n(3.0), true),
            ("\"n/a\"", n(3.0), true),
            ("\"\";\"\";\"\"", n(-3.0), true),
            ("#,##0;(#,##0);\"-\"", n(0.0), false),
            ("#,##0;\"negative\"", n(-4.0), true),
            ("yyyy-mm-dd", n(45000.0), false),
            ("0.00\" km\"", n(2.0), false),
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
