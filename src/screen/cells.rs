//! Screening a table as a reader pushes it, and the formula-injection rule for outputs.
//!
//! Locations are A1 cells in the source (`file "x.xlsx", sheet "S", cell B7`): the column
//! letter comes from [`TableInfo::column_letter`] (so a range starting further right stays
//! true) and the row is the source row number the reader gives.
//!
//! SIN context: a column whose header names a SIN (`SIN`, `NAS`, `Employee_SIN`) makes
//! every bare, Luhn-valid nine-digit number in it a SIN (and an eight-digit number too,
//! read with the leading zero a spreadsheet drops from a number); so does a cell of the
//! same row that names one (a key-value sheet: `SIN` | `046454286`). Elsewhere a bare
//! number is not a SIN (a barrel count, an invoice number): see the `sin` rule in
//! [`super::matcher`].

use std::io;

use super::matcher::{Hit, SinContext};
use super::{Finding, Findings, Rule, Screen};
use crate::table::{DecimalStyle, Row, TableInfo, TableSink, Value};

/// A [`TableSink`] that screens the sheet name, the headers and every cell.
pub struct CellScreen<'a> {
    screen: &'a Screen,
    info: TableInfo,
    findings: Findings,
    /// The text of a cell that is not text (a number, a date), reused for every cell.
    scratch: String,
    /// Whether each column's header names a SIN.
    sin_columns: Vec<bool>,
    /// The row's bare nine-digit numbers that a label in the row would make SINs, with
    /// their columns; reused for every row.
    unlabelled: Vec<(usize, Hit)>,
}

impl<'a> CellScreen<'a> {
    pub(crate) fn new(screen: &'a Screen) -> Self {
        CellScreen {
            screen,
            info: TableInfo::default(),
            findings: Findings::new(""),
            scratch: String::new(),
            sin_columns: Vec::new(),
            unlabelled: Vec::new(),
        }
    }

    /// How many findings there were, including any beyond [`super::MAX_FINDINGS`].
    pub fn total(&self) -> u64 {
        self.findings.total()
    }

    /// The findings kept, in the order found; if some were dropped, a last
    /// [`Rule::TooManyFindings`] finding counts them.
    pub fn finish(self) -> Vec<Finding> {
        self.findings.finish()
    }

    fn place(&self) -> String {
        place(&self.info)
    }
}

fn place(info: &TableInfo) -> String {
    let mut s = format!("file \"{}\"", info.source);
    if let Some(sheet) = &info.sheet {
        s.push_str(&format!(", sheet \"{sheet}\""));
    }
    s
}

/// `file "x.xlsx", sheet "S", cell B7`. Built only for a finding: most cells are clean,
/// and the text costs more to format than the cell to screen.
fn cell_location(info: &TableInfo, row: u64, column: usize) -> String {
    format!("{}, cell {}{row}", place(info), info.column_letter(column))
}

/// Pushes `hit` as a finding at `location`.
fn push_hit(findings: &mut Findings, location: &str, hit: Hit) {
    findings.push(Finding::new(hit.rule, location, hit.excerpt).with_raw(hit.raw));
}

/// Screens one cell's text; returns the bare numbers that only a label elsewhere in the
/// row would make SINs.
fn screen_cell(
    screen: &Screen,
    info: &TableInfo,
    findings: &mut Findings,
    text: &str,
    (row, column): (u64, usize),
    ctx: SinContext,
) -> Vec<Hit> {
    let scan = screen.matcher().scan(text, ctx);
    if !scan.hits.is_empty() {
        let location = cell_location(info, row, column);
        for hit in scan.hits {
            push_hit(findings, &location, hit);
        }
    }
    scan.unlabelled
}

fn screen_text_cell(
    screen: &Screen,
    info: &TableInfo,
    findings: &mut Findings,
    text: &str,
    (row, column): (u64, usize),
    ctx: SinContext,
) -> Vec<Hit> {
    let unlabelled = screen_cell(screen, info, findings, text, (row, column), ctx);
    if neutralise_formula(text).is_some() {
        let mut f = Finding::new(
            Rule::FormulaInjection,
            cell_location(info, row, column),
            screen.matcher().redacted(text),
        );
        f.waived_by = screen.formula_policy().waiver_text();
        findings.push(f);
    }
    unlabelled
}

/// Whether a spreadsheet's number, as `text`, lost a SIN's leading zero: eight digits.
fn lost_leading_zero(text: &str) -> bool {
    text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit())
}

impl TableSink for CellScreen<'_> {
    fn begin(&mut self, info: &TableInfo) -> io::Result<()> {
        self.info = info.clone();
        let total = self.findings.total();
        // A sink may be reused for several tables; the overflow count names the first.
        if total == 0 {
            self.findings = Findings::new(&info.source);
        }
        if !self.screen.enabled() {
            return Ok(());
        }
        if let Some(sheet) = &info.sheet {
            let location = format!("{}, sheet name", self.place());
            self.screen
                .screen_into(sheet, &location, &mut self.findings);
        }
        self.sin_columns = info
            .headers
            .iter()
            .map(|h| self.screen.matcher().names_sin(h))
            .collect();
        for (i, header) in info.headers.iter().enumerate() {
            // A header is its own context: `SIN 046454286` is one, `SIN` alone is none.
            screen_text_cell(
                self.screen,
                &self.info,
                &mut self.findings,
                header,
                (info.header_row, i),
                SinContext::default(),
            );
        }
        Ok(())
    }

    fn row(&mut self, row: Row<'_>) -> io::Result<()> {
        let CellScreen {
            screen,
            info,
            findings,
            scratch,
            sin_columns,
            unlabelled,
        } = self;
        if !screen.enabled() {
            return Ok(());
        }
        unlabelled.clear();
        for (i, value) in row.cells.iter().enumerate() {
            let labelled = sin_columns.get(i).copied().unwrap_or(false);
            let ctx = SinContext { labelled };
            let at = (row.number, i);
            let bare = match value {
                Value::Empty | Value::Bool(_) => continue,
                Value::Text(s) => screen_text_cell(screen, info, findings, s, at, ctx),
                // Numbers matter too: a SIN typed into Excel is stored as a number.
                other => {
                    scratch.clear();
                    crate::convert::write_cell(scratch, other, DecimalStyle::Excel);
                    if labelled && lost_leading_zero(scratch) {
                        scratch.insert(0, '0');
                    }
                    screen_cell(screen, info, findings, scratch, at, ctx)
                }
            };
            unlabelled.extend(bare.into_iter().map(|h| (i, h)));
        }
        // Rare: a Luhn-valid bare number. A label in another cell of the row makes it a SIN.
        if !unlabelled.is_empty() {
            let matcher = screen.matcher();
            let row_names_sin = row.cells.iter().any(|c| match c {
                Value::Text(s) => matcher.names_sin(s),
                _ => false,
            });
            if row_names_sin {
                for (i, hit) in unlabelled.drain(..) {
                    push_hit(findings, &cell_location(info, row.number, i), hit);
                }
            }
        }
        Ok(())
    }

    fn end(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `Some(text prefixed with ')` when a spreadsheet opening the CSV would run `text` as a
/// formula: it begins with `=`, `+`, `-`, `@`, a tab or a carriage return and is not a
/// number (`-12.5`, `+1e3` pass). A lone `+` or `-` passes too: it cannot run anything
/// and is a common "no data" sign.
pub fn neutralise_formula(text: &str) -> Option<String> {
    let first = text.chars().next()?;
    if !matches!(first, '=' | '+' | '-' | '@' | '\t' | '\r') {
        return None;
    }
    if text == "+" || text == "-" || is_number(text.trim()) {
        return None;
    }
    Some(format!("'{text}"))
}

/// `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`
fn is_number(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(int)
        && frac.is_none_or(digits)
        && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screen::{FormulaPolicy, ScreenConfig};

    #[test]
    fn formula_injection_is_neutralised_but_numbers_pass() {
        let cases = [
            ("=1+2", Some("'=1+2")),
            (
                "=HYPERLINK(\"http://x\")",
                Some("'=HYPERLINK(\"http://x\")"),
            ),
            ("+cmd|' /C calc'!A0", Some("'+cmd|' /C calc'!A0")),
            ("@SUM(A1)", Some("'@SUM(A1)")),
            ("\tx", Some("'\tx")),
            ("\r=1", Some("'\r=1")),
            ("-2+3", Some("'-2+3")),
            ("-12.5", None),
            ("+1e3", None),
            ("+1", None),
            ("-.5", None),
            ("-", None),
            ("plain", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(neutralise_formula(text).as_deref(), want, "{text:?}");
        }
    }

    fn run(cfg: &ScreenConfig, info: TableInfo, rows: &[(u64, Vec<Value>)]) -> Vec<Finding> {
        let screen = Screen::new(cfg).unwrap();
        let mut sink = screen.cell_sink();
        sink.begin(&info).unwrap();
        for (n, cells) in rows {
            sink.row(Row { number: *n, cells }).unwrap();
        }
        sink.end().unwrap();
        sink.finish()
    }

    fn info() -> TableInfo {
        TableInfo {
            source: "x.xlsx".into(),
            sheet: Some("Data".into()),
            headers: vec!["name".into(), "Classification: SECRET".into(), "NAS".into()],
            header_row: 2,
            first_column: 1,
        }
    }

    #[test]
    fn cells_headers_and_sheet_names_are_located_in_a1() {
        let mut i = info();
        i.sheet = Some("PROTECTED B".into());
        let rows = vec![
            (
                3,
                vec![
                    Value::Text("the secret to good data".into()),
                    Value::Int(46454286),
                ],
            ),
            (
                4,
                // The same number is a SIN only in the column that names one.
                vec![
                    Value::Text("jane@example.ca".into()),
                    Value::Int(130692544),
                    Value::Int(130692544),
                ],
            ),
        ];
        let found = run(&ScreenConfig::default(), i, &rows);
        let got: Vec<(String, String)> = found
            .iter()
            .map(|f| (f.rule.to_string(), f.location.clone()))
            .collect();
        let sheet = "file \"x.xlsx\", sheet \"PROTECTED B\"";
        assert_eq!(
            got,
            vec![
                ("marking".into(), format!("{sheet}, sheet name")),
                ("marking".into(), format!("{sheet}, cell C2")),
                ("email".into(), format!("{sheet}, cell B4")),
                ("sin".into(), format!("{sheet}, cell D4")),
            ]
        );
        for f in &found {
            assert!(
                !f.excerpt.contains("jane") && !f.excerpt.contains("0692"),
                "{f:?}"
            );
        }
    }

    #[test]
    fn formula_findings_follow_the_policy() {
        let rows = vec![(
            3,
            vec![Value::Text("=cmd()".into()), Value::Text("-12.5".into())],
        )];
        let prefix = run(&ScreenConfig::default(), info(), &rows);
        let formula: Vec<_> = prefix
            .iter()
            .filter(|f| f.rule == Rule::FormulaInjection)
            .collect();
        assert_eq!(formula.len(), 1);
        assert_eq!(
            formula[0].location,
            "file \"x.xlsx\", sheet \"Data\", cell B3"
        );
        assert!(formula[0].waived_by.is_some());
        let hold = ScreenConfig {
            formula_policy: FormulaPolicy::Hold,
            ..Default::default()
        };
        let held = run(&hold, info(), &rows);
        assert!(held
            .iter()
            .any(|f| f.rule == Rule::FormulaInjection && f.waived_by.is_none()));
    }

    fn sin_findings(headers: &[&str], rows: &[(u64, Vec<Value>)]) -> Vec<String> {
        let info = TableInfo {
            source: "x.csv".into(),
            sheet: None,
            headers: headers.iter().map(|h| h.to_string()).collect(),
            header_row: 1,
            first_column: 0,
        };
        run(&ScreenConfig::default(), info, rows)
            .into_iter()
            .filter(|f| f.rule == Rule::Sin)
            .map(|f| {
                // Masked: only the check digit shows.
                let shown = f.excerpt.chars().filter(char::is_ascii_digit).count();
                assert!(shown <= 1, "{f:?}");
                f.location
                    .trim_start_matches("file \"x.csv\", cell ")
                    .to_string()
            })
            .collect()
    }

    /// Bare nine-digit numbers: SINs in a column or row that names one, not in a column
    /// of figures.
    #[test]
    fn a_bare_number_is_a_sin_only_in_context() {
        let text = |s: &str| Value::Text(s.into());
        // A column named SIN / NAS: text, numbers, and a number that lost its leading 0.
        let rows = vec![
            (2, vec![text("046454286"), Value::Int(130692544)]),
            (3, vec![Value::Int(46454286), Value::Float(130692544.0)]),
            (4, vec![text("046454287"), Value::Int(130692545)]),
        ];
        assert_eq!(
            sin_findings(&["SIN", "Numéro d'assurance sociale (NAS)"], &rows),
            vec!["A2", "B2", "A3", "B3"]
        );
        // The same values in columns of figures: none.
        assert!(sin_findings(&["barrels", "axis id"], &rows).is_empty());
        // Program codes and invoice numbers, as numbers or text.
        let codes = vec![
            (2, vec![Value::Int(130692544), text("046454286")]),
            (3, vec![Value::Int(46454286), text("INV 130692544")]),
        ];
        assert!(sin_findings(&["program code", "invoice"], &codes).is_empty());
        // Grouped as a SIN is written: found in any column.
        let grouped = vec![(2, vec![text("046 454 286"), text("046-454-286")])];
        assert_eq!(sin_findings(&["barrels", "x"], &grouped), vec!["A2", "B2"]);
        // A key-value sheet: the label is in the row.
        let kv = vec![
            (2, vec![text("Name"), text("Jane")]),
            (3, vec![text("SIN"), text("046454286")]),
            (4, vec![text("Barrels"), Value::Int(130692544)]),
        ];
        assert_eq!(sin_findings(&["field", "value"], &kv), vec!["B3"]);
        // A label in the cell itself.
        let labelled = vec![(2, vec![text("SIN: 046454286"), Value::Empty])];
        assert_eq!(sin_findings(&["notes", "x"], &labelled), vec!["A2"]);
    }
}
