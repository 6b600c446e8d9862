//! xlsx and xlsm: the OOXML parts read one by one, sheets streamed.
//!
//! Order matters: the shared strings are screened first and only the flagged ones are
//! remembered (by index), so a flagged string is reported at every cell that uses it,
//! located as `sheet "S", cell B7`, without holding all strings in memory.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Seek};

use regex::Regex;

use super::number_format::{HidingStyles, Shown};
use super::{
    attr, describe_ranges, hidden, local, part_prefix, screen_properties, truthy, Package,
};
use crate::opc::{rels_path, resolve};
use crate::screen::matcher::Hit;
use crate::screen::xml::{self, Item};
use crate::screen::{Finding, Findings, Rule, Screen, ScreenError};
use crate::table::column_letter;

const WORKBOOK: &str = "xl/workbook.xml";
const SHARED_STRINGS: &str = "xl/sharedStrings.xml";
pub(crate) const PROPERTIES: &[&str] = &[
    "docProps/core.xml",
    "docProps/app.xml",
    "docProps/custom.xml",
];

struct SheetEntry {
    name: String,
    state: Option<String>,
    part: Option<String>,
}

pub(crate) fn screen<R: Read + Seek>(
    screen: &Screen,
    source: &str,
    reader: R,
    out: &mut Findings,
) -> Result<(), ScreenError> {
    let mut pkg = Package::open(source, reader, screen.limits())?;
    let file = pkg.file();
    // Parts screened on their own below, by lower-case part name (see `crate::opc`).
    let mut special: HashSet<String> = HashSet::new();
    let mut done = |part: &str| special.insert(part.to_ascii_lowercase());

    report_members(&pkg, out);

    for p in PROPERTIES {
        if pkg.has(p) {
            screen_properties(screen, &mut pkg, p, out)?;
            done(p);
        }
    }

    let rels = read_rels(&mut pkg, "xl/_rels/workbook.xml.rels")?;
    let sheets = read_workbook(screen, &mut pkg, &rels, out)?;
    done(WORKBOOK);

    let mut flagged = BTreeMap::new();
    if pkg.has(SHARED_STRINGS) {
        flagged = read_shared_strings(screen, &mut pkg, out)?;
        done(SHARED_STRINGS);
    }
    let mut used: HashSet<usize> = HashSet::new();
    let codes = header_footer_codes();
    // Still screened below as any other part, for text in the format codes.
    let styles = match rels
        .values()
        .map(|t| resolve(WORKBOOK, t))
        .find(|t| t.to_ascii_lowercase().ends_with("styles.xml"))
    {
        Some(part) if pkg.has(&part) => HidingStyles::read(&mut pkg, &part)?,
        _ => HidingStyles::default(),
    };

    for sheet in &sheets {
        let at = format!("{file}, sheet \"{}\"", sheet.name);
        screen.screen_into(&sheet.name, &format!("{at}, sheet name"), out);
        match sheet.state.as_deref() {
            Some("hidden") => out.push(hidden(Rule::HiddenSheet, at.clone(), "hidden sheet")),
            Some("veryHidden") => {
                out.push(hidden(Rule::HiddenSheet, at.clone(), "very hidden sheet"))
            }
            _ => {}
        }
        let Some(part) = sheet.part.as_deref() else {
            continue;
        };
        if !pkg.has(part) {
            continue;
        }
        done(part);
        let scan = SheetScan {
            screen,
            at: &at,
            flagged: &flagged,
            codes: &codes,
            styles: &styles,
        };
        scan.run(&mut pkg, part, &mut used, out)?;
        // Comments belong to the sheet whose relationships name them.
        let sheet_rels = rels_path(part);
        if pkg.has(&sheet_rels) {
            for target in read_rels(&mut pkg, &sheet_rels)?.values() {
                let target = resolve(part, target);
                if is_comments_part(&target) && pkg.has(&target) {
                    screen_comments(screen, &mut pkg, &target, &at, out)?;
                    done(&target);
                }
            }
        }
    }

    for (index, hits) in &flagged {
        if !used.contains(index) {
            let location = format!("{file}, shared string {}", index + 1);
            push_hits(hits, &location, out);
        }
    }

    // Comments not tied to a sheet, and every other XML part, screened as plain XML.
    let rest: Vec<String> = pkg
        .names
        .iter()
        .filter(|n| {
            let lower = n.to_ascii_lowercase();
            !special.contains(&lower) && (lower.ends_with(".xml") || lower.ends_with(".rels"))
        })
        .cloned()
        .collect();
    let vml: Vec<String> = pkg
        .names
        .iter()
        .filter(|n| n.to_ascii_lowercase().ends_with(".vml"))
        .cloned()
        .collect();
    for name in vml {
        screen_vml(screen, &mut pkg, &name, out)?;
    }
    for name in rest {
        if is_comments_part(&name) {
            screen_comments(screen, &mut pkg, &name, &file, out)?;
        } else {
            pkg.screen_generic(screen, &name, out)?;
        }
    }
    Ok(())
}

/// Legacy comments (`xl/comments1.xml`) and threaded comments, in any letter case.
fn is_comments_part(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let file = name.rsplit('/').next().unwrap_or(&name);
    (file.starts_with("comments") || file.starts_with("threadedcomment")) && name.ends_with(".xml")
}

/// The most of a VML part read; a bigger one is refused rather than half-screened.
const MAX_VML_BYTES: u64 = 64 << 20;

/// A legacy VML drawing (note shapes, text boxes, form controls): its text, screened as
/// one piece. Excel writes VML that is not always well-formed XML (an unclosed `<br>`),
/// so the tags are cut out rather than parsed; markup only splits words, never hides
/// them.
fn screen_vml<R: Read + Seek>(
    screen: &Screen,
    pkg: &mut Package<R>,
    part: &str,
    out: &mut Findings,
) -> Result<(), ScreenError> {
    let file = pkg.file();
    let source = pkg.source.clone();
    let mut raw = Vec::new();
    pkg.part(part)?
        .take(MAX_VML_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(|e| super::corrupt(&source, &format!("part \"{part}\""), e))?;
    if raw.len() as u64 > MAX_VML_BYTES {
        return Err(super::corrupt(
            &source,
            &format!("part \"{part}\""),
            format!("VML drawing over {MAX_VML_BYTES} bytes"),
        ));
    }
    let raw = String::from_utf8_lossy(&raw);
    // safety: a constant pattern, exercised by the container tests.
    let tags = Regex::new(r"(?s)<!--.*?-->|<[^>]*>").expect("tag pattern compiles");
    let text = tags.replace_all(&raw, " ");
    let text = quick_xml::escape::unescape(&text).unwrap_or(text.clone());
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let at = format!("{file}, part \"{part}\", drawing text");
    screen.screen_into(&text, &at, out);
    Ok(())
}

/// Hidden content known from member names alone.
pub(crate) fn report_members<R: Read + Seek>(pkg: &Package<R>, out: &mut Findings) {
    let file = pkg.file();
    for name in &pkg.names {
        let at = format!("{file}, part \"{name}\"");
        let lower = name.to_ascii_lowercase();
        if lower.ends_with("vbaproject.bin") {
            out.push(hidden(Rule::Macro, at, "VBA macro project"));
        } else if lower.starts_with("xl/macrosheets/") && !lower.contains("/_rels/") {
            out.push(hidden(Rule::Macro, at, "Excel 4 macro sheet"));
        } else if lower.starts_with("xl/embeddings/") {
            out.push(hidden(Rule::EmbeddedObject, at, "embedded object"));
        } else if lower.starts_with("xl/activex/") && !lower.contains("/_rels/") {
            out.push(hidden(Rule::EmbeddedObject, at, "ActiveX control"));
        } else if lower.starts_with("xl/media/") {
            // The screen cannot read an image: a person must look at it.
            out.push(hidden(
                Rule::HiddenContent,
                at,
                "image: an approver must check what it shows",
            ));
        } else if lower.starts_with("xl/externallinks/") && !lower.contains("/_rels/") {
            out.push(hidden(
                Rule::ExternalLink,
                at,
                "link to an external workbook",
            ));
        }
    }
}

/// `Id → Target` of a relationships part.
fn read_rels<R: Read + Seek>(
    pkg: &mut Package<R>,
    name: &str,
) -> Result<HashMap<String, String>, ScreenError> {
    let mut map = HashMap::new();
    if !pkg.has(name) {
        return Ok(map);
    }
    let source = pkg.source.clone();
    let reader = pkg.part(name)?;
    xml::walk(&source, &part_prefix(name), reader, |_, item| {
        if let Item::Open { name: el, attrs } = item {
            if local(el) == "Relationship" {
                if let (Some(id), Some(target)) = (attr(attrs, "Id"), attr(attrs, "Target")) {
                    map.insert(id.to_string(), target.to_string());
                }
            }
        }
    })?;
    Ok(map)
}

fn read_workbook<R: Read + Seek>(
    screen: &Screen,
    pkg: &mut Package<R>,
    rels: &HashMap<String, String>,
    out: &mut Findings,
) -> Result<Vec<SheetEntry>, ScreenError> {
    let mut sheets = Vec::new();
    if !pkg.has(WORKBOOK) {
        return Err(super::corrupt(
            &pkg.source,
            "workbook",
            "no xl/workbook.xml part",
        ));
    }
    let file = pkg.file();
    let source = pkg.source.clone();
    let reader = pkg.part(WORKBOOK)?;
    let markup = xml::walk(
        &source,
        &part_prefix(WORKBOOK),
        reader,
        |pos, item| match item {
            Item::Open { name, attrs } if local(name) == "sheet" => {
                let part = attrs
                    .iter()
                    .find(|(k, _)| k.ends_with(":id") || k == "id")
                    .and_then(|(_, id)| rels.get(id))
                    .map(|t| resolve(WORKBOOK, t));
                sheets.push(SheetEntry {
                    name: attr(attrs, "name").unwrap_or_default().to_string(),
                    state: attr(attrs, "state").map(str::to_string),
                    part,
                });
            }
            // A defined name's name (`<definedName name="SECRET">`), and any other
            // attribute: the sheet names are screened with their sheet.
            Item::Open { name, attrs } => {
                let what = if local(name) == "definedName" {
                    "defined name"
                } else {
                    "attribute"
                };
                for (key, value) in attrs {
                    screen.screen_lazy(
                        value,
                        || {
                            format!(
                                "{file}, part \"{WORKBOOK}\", {}/@{key} ({what})",
                                pos.path()
                            )
                        },
                        out,
                    );
                }
            }
            // Defined names' values and the like: their formulas are text.
            Item::Text(t) => screen.screen_lazy(
                t,
                || format!("{file}, part \"{WORKBOOK}\", {}", pos.path()),
                out,
            ),
            _ => {}
        },
    )?;
    markup.screen(screen, &format!("{file}, part \"{WORKBOOK}\""), out);
    Ok(sheets)
}

/// The flagged shared strings by 0-based index. Rich-text runs are joined, so a marking
/// split across runs is still seen whole; a phonetic run (`rPh`, the reading guide shown
/// above East Asian text) is text of its own, screened apart and flagged with its string.
fn read_shared_strings<R: Read + Seek>(
    screen: &Screen,
    pkg: &mut Package<R>,
    out: &mut Findings,
) -> Result<BTreeMap<usize, Vec<Hit>>, ScreenError> {
    let mut flagged = BTreeMap::new();
    let mut index = 0usize;
    let mut text = String::new();
    let mut phonetic = String::new();
    let source = pkg.source.clone();
    let file = pkg.file();
    let reader = pkg.part(SHARED_STRINGS)?;
    let markup = xml::walk(
        &source,
        &part_prefix(SHARED_STRINGS),
        reader,
        |pos, item| match item {
            Item::Open { name, .. } if local(name) == "si" => {
                text.clear();
                phonetic.clear();
            }
            Item::Open { name, .. } if local(name) == "rPh" => phonetic.push(' '),
            Item::Text(t) if pos.within("rPh") => phonetic.push_str(t),
            Item::Text(t) if pos.within("si") => text.push_str(t),
            Item::Close { name } if local(name) == "si" => {
                let mut hits = screen.matcher().hits(&text);
                hits.extend(screen.matcher().hits(&phonetic));
                if !hits.is_empty() {
                    flagged.insert(index, hits);
                }
                index += 1;
            }
            _ => {}
        },
    )?;
    markup.screen(screen, &format!("{file}, part \"{SHARED_STRINGS}\""), out);
    Ok(flagged)
}

fn push_hits(hits: &[Hit], location: &str, out: &mut Findings) {
    for h in hits {
        out.push(Finding::new(h.rule.clone(), location, h.excerpt.clone()).with_raw(h.raw.clone()));
    }
}

/// Header and footer formatting codes (ECMA-376 Part 1, §18.3.1.46): fonts
/// (`&"Arial,Bold"`), sizes (`&12`), colours (`&KFF0000`, `&K01+049`), `&B`, `&I`, `&P`
/// and the other letters, and the section codes `&L`, `&C`, `&R`.
pub(crate) fn header_footer_codes() -> Regex {
    // safety: a constant pattern, exercised by the container tests.
    Regex::new(r#"&(?:"[^"]*"|K[0-9A-Fa-f]{6}|K\d\d[+-]\d{3}|\d+|[A-Za-z&])"#)
        .expect("header code pattern compiles")
}

/// The text a header or footer shows: each formatting code removed where it stands, so
/// that `TOP SE&BCRET` (bold from `C` on) reads `TOP SECRET` as it prints; the section
/// codes `&L`, `&C`, `&R` start a new section, so they become a line break; `&&` is `&`.
pub(crate) fn header_footer_text(codes: &Regex, raw: &str) -> String {
    codes
        .replace_all(raw, |c: &regex::Captures<'_>| match &c[0] {
            "&&" => "&",
            "&L" | "&C" | "&R" => "\n",
            _ => "",
        })
        .into_owned()
}

/// One worksheet part, streamed.
struct SheetScan<'a> {
    screen: &'a Screen,
    at: &'a str,
    flagged: &'a BTreeMap<usize, Vec<Hit>>,
    codes: &'a Regex,
    styles: &'a HidingStyles,
}

impl SheetScan<'_> {
    fn run<R: Read + Seek>(
        &self,
        pkg: &mut Package<R>,
        part: &str,
        used: &mut HashSet<usize>,
        out: &mut Findings,
    ) -> Result<(), ScreenError> {
        let mut hidden_rows: Vec<(u64, u64)> = Vec::new();
        let mut hidden_cols: Vec<(u64, u64)> = Vec::new();
        let mut collapsed: Vec<String> = Vec::new();
        let mut all_rows_hidden = false;
        let mut row = 0u64;
        let mut col = 0usize;
        let mut cell = String::new();
        let mut cell_type = String::new();
        let mut style = 0usize;
        let mut value = String::new();
        let mut text = String::new();
        let mut phonetic = String::new();
        // Cells whose number format hides their value, and the first format seen.
        let mut format_hidden: Vec<String> = Vec::new();
        let mut hiding_code: Option<String> = None;
        // Cells whose font cannot be read (colour, size), with why.
        let mut unreadable: Vec<(String, &'static str)> = Vec::new();
        let mut merges: Vec<Area> = Vec::new();
        let source = pkg.source.clone();
        let reader = pkg.part(part)?;
        let markup = xml::walk(
            &source,
            &part_prefix(part),
            reader,
            |pos, item| match item {
                Item::Open { name, attrs } => match local(name) {
                    "sheetFormatPr" => {
                        all_rows_hidden = attr(attrs, "zeroHeight").is_some_and(truthy)
                    }
                    "row" => {
                        row = attr(attrs, "r")
                            .and_then(|r| r.parse().ok())
                            .unwrap_or(row + 1);
                        col = 0;
                        // A row too low to show a line of text is hidden, whatever its flag.
                        let flat = attr(attrs, "ht")
                            .and_then(|h| h.parse::<f64>().ok())
                            .is_some_and(|h| h < MIN_ROW_POINTS);
                        if attr(attrs, "hidden").is_some_and(truthy) || flat {
                            hidden_rows.push((row, row));
                        }
                        if attr(attrs, "collapsed").is_some_and(truthy) {
                            collapsed.push(format!("row {row}"));
                        }
                    }
                    "col" => {
                        let narrow = attr(attrs, "width")
                            .and_then(|w| w.parse::<f64>().ok())
                            .is_some_and(|w| w < MIN_COLUMN_CHARS);
                        let min = attr(attrs, "min").and_then(|v| v.parse().ok()).unwrap_or(1);
                        let max = attr(attrs, "max")
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(min);
                        if attr(attrs, "hidden").is_some_and(truthy) || narrow {
                            hidden_cols.push((min, max.max(min)));
                        }
                        if attr(attrs, "collapsed").is_some_and(truthy) {
                            collapsed.push(format!("column {}", column_letter(min as usize - 1)));
                        }
                    }
                    "c" => {
                        col += 1;
                        cell = match attr(attrs, "r") {
                            Some(r) => r.to_string(),
                            None => format!("{}{row}", column_letter(col - 1)),
                        };
                        cell_type = attr(attrs, "t").unwrap_or("n").to_string();
                        style = attr(attrs, "s").and_then(|v| v.parse().ok()).unwrap_or(0);
                        value.clear();
                        text.clear();
                        phonetic.clear();
                    }
                    "mergeCell" => {
                        if let Some(area) = attr(attrs, "ref").and_then(Area::parse) {
                            merges.push(area);
                        }
                    }
                    // Cell parts and layout carry no words.
                    "v" | "f" | "is" | "t" | "r" | "rPr" | "rPh" | "phoneticPr" | "sheetData"
                    | "cols" => {}
                    // Data validations' messages, hyperlinks' tooltips and display text,
                    // and whatever else a sheet says in an attribute.
                    other => {
                        for (key, value) in attrs {
                            let locate = || format!("{}, {other}/@{key}", self.at);
                            self.screen.screen_lazy(value, locate, out);
                            if let Some(decoded) = xml::url_decoded(value) {
                                self.screen.screen_lazy(&decoded, locate, out);
                            }
                        }
                    }
                },
                Item::Text(t) => {
                    let here = || format!("{}, cell {cell}", self.at);
                    if pos.within("headerFooter") {
                        let clean = header_footer_text(self.codes, t);
                        let at = format!("{}, page header/footer", self.at);
                        self.screen.screen_into(&clean, &at, out);
                    } else if pos.within("sheetData") && pos.within("f") {
                        self.screen
                            .screen_lazy(t, || format!("{}, formula", here()), out);
                    } else if pos.within("is") && pos.within("rPh") {
                        phonetic.push_str(t);
                    } else if pos.within("is") {
                        text.push_str(t);
                    } else if pos.within("v") {
                        value.push_str(t);
                        if cell_type == "s" {
                            if let Some(hits) = t.trim().parse::<usize>().ok().and_then(|i| {
                                used.insert(i);
                                self.flagged.get(&i)
                            }) {
                                push_hits(hits, &here(), out);
                            }
                        } else {
                            self.screen.screen_lazy(t, here, out);
                        }
                    } else {
                        // Data-validation lists (`"TOP SECRET,PUBLIC"`), conditional
                        // formats' formulas, and any other text of the sheet part.
                        self.screen
                            .screen_lazy(t, || format!("{}, {}", self.at, pos.path()), out);
                    }
                }
                Item::Close { name } if local(name) == "c" => {
                    let shown = match cell_type.as_str() {
                        "s" | "str" | "inlineStr" => Some(Shown::Text),
                        "n" | "d" => value.trim().parse().ok().map(Shown::Number),
                        // Booleans and errors are shown whatever the format.
                        _ => None,
                    };
                    let present = !value.trim().is_empty() || !text.is_empty();
                    if let Some(code) = shown
                        .filter(|_| present)
                        .and_then(|s| self.styles.hiding(style, s))
                    {
                        format_hidden.push(cell.clone());
                        hiding_code.get_or_insert_with(|| code.to_string());
                    }
                    if let Some(why) = self.styles.unreadable(style).filter(|_| present) {
                        unreadable.push((cell.clone(), why));
                    }
                    if !text.is_empty() {
                        let at = format!("{}, cell {cell}", self.at);
                        self.screen.screen_into(&text, &at, out);
                        text.clear();
                    }
                    if !phonetic.is_empty() {
                        let at = format!("{}, cell {cell}, phonetic reading", self.at);
                        self.screen.screen_into(&phonetic, &at, out);
                        phonetic.clear();
                    }
                }
                _ => {}
            },
        )?;
        markup.screen(self.screen, &format!("{}, part \"{part}\"", self.at), out);
        if let Some(code) = hiding_code {
            // A format code can hold text (`"613-555-0123";;;`): show it redacted.
            let code = self.screen.matcher().redacted(&code);
            out.push(hidden_by_format(self.at, &format_hidden, &code));
        }
        for (cell, why) in unreadable.iter().take(MAX_CELLS_LISTED) {
            out.push(hidden(
                Rule::HiddenContent,
                format!("{}, cell {cell}", self.at),
                format!("cell text unreadable: {why}"),
            ));
        }
        if unreadable.len() > MAX_CELLS_LISTED {
            out.push(hidden(
                Rule::HiddenContent,
                self.at.to_string(),
                format!(
                    "{} more cells with unreadable text",
                    unreadable.len() - MAX_CELLS_LISTED
                ),
            ));
        }
        if !merges.is_empty() {
            let covered = covered_values(pkg, part, &merges)?;
            for cell in covered.iter().take(MAX_CELLS_LISTED) {
                out.push(hidden(
                    Rule::HiddenContent,
                    format!("{}, cell {cell}", self.at),
                    "value under a merged cell: not shown",
                ));
            }
        }
        if all_rows_hidden {
            out.push(hidden(
                Rule::HiddenRows,
                self.at.to_string(),
                "rows are hidden by default (zeroHeight)",
            ));
        } else if !hidden_rows.is_empty() {
            let desc = describe_ranges("rows", &merge(hidden_rows), |r| r.to_string());
            out.push(hidden(Rule::HiddenRows, self.at.to_string(), desc));
        }
        if !hidden_cols.is_empty() {
            let desc = describe_ranges("columns", &merge(hidden_cols), |c| {
                column_letter(c.saturating_sub(1) as usize)
            });
            out.push(hidden(Rule::HiddenColumns, self.at.to_string(), desc));
        }
        if !collapsed.is_empty() {
            let shown: Vec<&str> = collapsed.iter().take(5).map(String::as_str).collect();
            out.push(hidden(
                Rule::HiddenRows,
                self.at.to_string(),
                format!("collapsed outline at {}", shown.join(", ")),
            ));
        }
        Ok(())
    }
}

/// A row lower than this (points) cannot show a line of text: it is hidden.
const MIN_ROW_POINTS: f64 = 1.5;
/// A column narrower than this (characters) cannot show one: it is hidden.
const MIN_COLUMN_CHARS: f64 = 0.5;
/// Cells named one by one in hidden-content findings; the rest are counted.
const MAX_CELLS_LISTED: usize = 20;

/// A cell range, 1-based and inclusive: `A1:C2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Area {
    first: (u64, u64),
    last: (u64, u64),
}

impl Area {
    pub(crate) fn parse(r: &str) -> Option<Area> {
        let (a, b) = r.split_once(':').unwrap_or((r, r));
        let (first, last) = (cell_position(a)?, cell_position(b)?);
        Some(Area { first, last })
    }

    /// Whether a cell is inside the area but not its top-left (anchor) cell, which is
    /// the one a merged area shows.
    fn covers(&self, (col, row): (u64, u64)) -> bool {
        (self.first.0..=self.last.0).contains(&col)
            && (self.first.1..=self.last.1).contains(&row)
            && (col, row) != self.first
    }
}

/// `B12` → (2, 12); `$` signs ignored.
fn cell_position(r: &str) -> Option<(u64, u64)> {
    let r = r.replace('$', "");
    let split = r.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = r.split_at(split);
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let col = letters.bytes().try_fold(0u64, |acc, b| {
        b.is_ascii_alphabetic()
            .then(|| acc * 26 + u64::from(b.to_ascii_uppercase() - b'A' + 1))
    })?;
    Some((col, digits.parse().ok()?))
}

/// The cells under merged areas (not their anchors) that hold a value: a second pass over
/// the sheet, made only when it has merged cells, since `<mergeCells>` comes after the
/// cells.
fn covered_values<R: Read + Seek>(
    pkg: &mut Package<R>,
    part: &str,
    merges: &[Area],
) -> Result<Vec<String>, ScreenError> {
    let mut found = Vec::new();
    let mut cell: Option<(String, (u64, u64))> = None;
    let mut has_value = false;
    let source = pkg.source.clone();
    let reader = pkg.part(part)?;
    xml::walk(
        &source,
        &part_prefix(part),
        reader,
        |pos, item| match item {
            Item::Open { name, attrs } if local(name) == "c" => {
                has_value = false;
                cell = attr(attrs, "r")
                    .and_then(|r| cell_position(r).map(|p| (r.to_string(), p)))
                    .filter(|(_, p)| merges.iter().any(|m| m.covers(*p)));
            }
            Item::Text(t) if cell.is_some() && (pos.within("v") || pos.within("is")) => {
                has_value |= !t.trim().is_empty();
            }
            Item::Close { name } if local(name) == "c" => {
                if let Some((r, _)) = cell.take() {
                    if has_value {
                        found.push(r);
                    }
                }
            }
            _ => {}
        },
    )?;
    Ok(found)
}

/// One finding per sheet for the cells whose number format hides their value: at the
/// cell when there is one, else at the sheet with the first few cells named.
pub(crate) fn hidden_by_format(sheet: &str, cells: &[String], code: &str) -> Finding {
    let shown: Vec<&str> = cells.iter().take(5).map(String::as_str).collect();
    let more = if cells.len() > 5 { ", …" } else { "" };
    let (location, what) = match cells {
        [one] => (format!("{sheet}, cell {one}"), "cell value".to_string()),
        _ => (
            sheet.to_string(),
            format!("{} cell values ({}{more})", cells.len(), shown.join(", ")),
        ),
    };
    hidden(
        Rule::HiddenContent,
        location,
        format!("{what} hidden by number format \"{code}\""),
    )
}

pub(crate) fn merge(mut ranges: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    ranges.sort();
    let mut out: Vec<(u64, u64)> = Vec::new();
    for (a, b) in ranges {
        match out.last_mut() {
            Some(last) if a <= last.1 + 1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// Legacy comments (notes) and threaded comments: each is reported as hidden content
/// and its text (and author) screened, at `<place>, cell B2, comment`.
fn screen_comments<R: Read + Seek>(
    screen: &Screen,
    pkg: &mut Package<R>,
    part: &str,
    place: &str,
    out: &mut Findings,
) -> Result<(), ScreenError> {
    let mut cell = String::new();
    let mut text = String::new();
    let source = pkg.source.clone();
    let reader = pkg.part(part)?;
    let markup = xml::walk(
        &source,
        &part_prefix(part),
        reader,
        |pos, item| match item {
            Item::Open { name, attrs } if matches!(local(name), "comment" | "threadedComment") => {
                cell = attr(attrs, "ref").unwrap_or("?").to_string();
                text.clear();
            }
            Item::Text(t) if pos.within("comment") || pos.within("threadedComment") => {
                text.push_str(t);
            }
            Item::Text(t) => {
                let at = format!("{place}, part \"{part}\", {}", pos.path());
                screen.screen_into(t, &at, out);
            }
            Item::Close { name } if matches!(local(name), "comment" | "threadedComment") => {
                let at = format!("{place}, cell {cell}, comment");
                out.push(hidden(
                    Rule::Comment,
                    at.clone(),
                    screen.matcher().redacted(&text),
                ));
                screen.screen_into(&text, &at, out);
            }
            _ => {}
        },
    )?;
    markup.screen(screen, &format!("{place}, part \"{part}\""), out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relationship_targets_resolve_to_member_names() {
        let cases = [
            (
                "xl/workbook.xml",
                "worksheets/sheet1.xml",
                "xl/worksheets/sheet1.xml",
            ),
            (
                "xl/workbook.xml",
                "/xl/worksheets/sheet2.xml",
                "xl/worksheets/sheet2.xml",
            ),
            (
                "xl/worksheets/sheet1.xml",
                "../comments1.xml",
                "xl/comments1.xml",
            ),
            (
                "xl/worksheets/sheet1.xml",
                "../threadedComments/threadedComment1.xml",
                "xl/threadedComments/threadedComment1.xml",
            ),
        ];
        for (from, target, want) in cases {
            assert_eq!(resolve(from, target), want);
        }
        assert_eq!(
            rels_path("xl/worksheets/sheet1.xml"),
            "xl/worksheets/_rels/sheet1.xml.rels"
        );
    }

    #[test]
    fn header_codes_are_removed_as_a_printer_removes_them() {
        let re = header_footer_codes();
        let cases = [
            ("&CProtected B&R&P", "\nProtected B\n"),
            ("&\"Arial,Bold\"&12SECRET", "SECRET"),
            ("TOP SE&BCRET", "TOP SECRET"),
            ("&LTOP &KFF0000SECRET", "\nTOP SECRET"),
            ("TOP SE&K01+049CRET", "TOP SECRET"),
            ("&CTOP SEC&\"Arial,Bold\"RET", "\nTOP SECRET"),
            ("R&&D page &P of &N", "R&D page  of "),
        ];
        for (raw, shown) in cases {
            assert_eq!(header_footer_text(&re, raw), shown, "{raw}");
        }
    }
}
