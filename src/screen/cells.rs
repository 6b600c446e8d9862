//! Screening a table as a reader pushes it, and the formula-injection rule for outputs.
//!
//! Locations are A1 cells in the source (`file "x.xlsx", sheet "S", cell B7`): the column
//! letter comes from [`TableInfo::column_letter`] (so a range starting further right stays
//! true) and the row is the source row number the reader gives.

use std::io;

use super::{Finding, Findings, Rule, Screen};
use crate::table::{DecimalStyle, Row, TableInfo, TableSink, Value};

/// A [`TableSink`] that screens the sheet name, the headers and every cell.
pub struct CellScreen<'a> {
    screen: &'a Screen,
    info: TableInfo,
    findings: Findings,
    /// The text of a cell that is not text (a number, a date), reused for every cell.
    scratch: String,
}

impl<'a> CellScreen<'a> {
    pub(crate) fn new(screen: &'a Screen) -> Self {
        CellScreen {
            screen,
            info: TableInfo::default(),
            findings: Findings::new(""),
            scratch: String::new(),
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

fn screen_text_cell(
    screen: &Screen,
    info: &TableInfo,
    findings: &mut Findings,
    text: &str,
    row: u64,
    column: usize,
) {
    let mut location: Option<String> = None;
    screen.screen_lazy(
        text,
        || {
            location
                .get_or_insert_with(|| cell_location(info, row, column))
                .clone()
        },
        findings,
    );
    if neutralise_formula(text).is_some() {
        let location = location.unwrap_or_else(|| cell_location(info, row, column));
        let mut f = Finding::new(
            Rule::FormulaInjection,
            &location,
            screen.matcher().redacted(text),
        );
        f.waived_by = screen.formula_policy().waiver_text();
        findings.push(f);
    }
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
        for (i, header) in info.headers.iter().enumerate() {
            screen_text_cell(
                self.screen,
                &self.info,
                &mut self.findings,
                header,
                info.header_row,
                i,
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
        } = self;
        if !screen.enabled() {
            return Ok(());
        }
        for (i, value) in row.cells.iter().enumerate() {
            match value {
                Value::Empty | Value::Bool(_) => {}
                Value::Text(s) => screen_text_cell(screen, info, findings, s, row.number, i),
                // Numbers matter too: a SIN typed into Excel is stored as a number.
                other => {
                    scratch.clear();
                    crate::convert::write_cell(scratch, other, DecimalStyle::Excel);
                    screen.screen_lazy(scratch, || cell_location(info, row.number, i), findings);
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
            headers: vec!["name".into(), "Classification: SECRET".into()],
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
                vec![Value::Text("jane@example.ca".into()), Value::Int(130692544)],
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
                ("sin".into(), format!("{sheet}, cell C4")),
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
}
