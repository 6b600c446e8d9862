//! The result of validating one table: every violation counted, the first
//! `max_violations` kept, written for a terminal, for business owners (CSV) or for
//! machines (JSON). Writing is the only IO and goes to any `Write`.

use std::io::{self, Write};

use serde::Serialize;

/// What one table's validation found.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Report {
    pub source: String,
    pub sheet: Option<String>,
    /// Data rows seen, header excluded.
    pub rows_checked: u64,
    /// All violations found, kept or not.
    pub total_violations: u64,
    /// The first violations, in the order found (header first, then row by row).
    pub violations: Vec<Violation>,
    /// True when `total_violations` is more than were kept.
    pub truncated: bool,
    /// Why reading stopped before the end of the table, when it did: the report then
    /// covers the rows before that point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

/// One broken rule at one place.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// As a person sees it in the source: 1-based, header counted.
    pub row: u64,
    /// The column letter (`D`); none for rules over several columns.
    pub column: Option<String>,
    /// The table's header for the column, or the schema's field name when the table has
    /// no such column.
    pub field: Option<String>,
    /// The cell as text; none for an empty cell.
    pub value: Option<String>,
    pub rule: ViolationRule,
    /// Lowercase, saying what was expected: `"abc" is not a number`.
    pub message: String,
}

/// The rule a violation broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ViolationRule {
    Type,
    Required,
    Unique,
    MinLength,
    MaxLength,
    Minimum,
    Maximum,
    Pattern,
    Enum,
    PrimaryKey,
    MissingHeader,
    ExtraHeader,
    HeaderMismatch,
    ErrorCell,
    /// A data cell beyond the schema's last field that is not empty, or (CSV) any cell
    /// past the header's width.
    ExtraCell,
    /// CSV: a row shorter than the header; one per missing cell.
    MissingCell,
    /// A row whose every cell is empty.
    BlankRow,
}

impl ViolationRule {
    /// The kebab-case name used in every report format.
    pub fn as_str(self) -> &'static str {
        match self {
            ViolationRule::Type => "type",
            ViolationRule::Required => "required",
            ViolationRule::Unique => "unique",
            ViolationRule::MinLength => "min-length",
            ViolationRule::MaxLength => "max-length",
            ViolationRule::Minimum => "minimum",
            ViolationRule::Maximum => "maximum",
            ViolationRule::Pattern => "pattern",
            ViolationRule::Enum => "enum",
            ViolationRule::PrimaryKey => "primary-key",
            ViolationRule::MissingHeader => "missing-header",
            ViolationRule::ExtraHeader => "extra-header",
            ViolationRule::HeaderMismatch => "header-mismatch",
            ViolationRule::ErrorCell => "error-cell",
            ViolationRule::ExtraCell => "extra-cell",
            ViolationRule::MissingCell => "missing-cell",
            ViolationRule::BlankRow => "blank-row",
        }
    }
}

impl Report {
    /// True when nothing was found and the whole table was read.
    pub fn is_clean(&self) -> bool {
        self.total_violations == 0 && self.stopped.is_none()
    }

    /// For a terminal: a title line, a line per kept violation, a truncation line when
    /// some were not kept, and a totals line.
    ///
    /// ```text
    /// budget.xlsx, sheet "Budget"
    /// row 12, column D (amount): "abc" is not a number (type)
    /// truncated after 1 of 3 violations
    /// 3 violations in 40 rows
    /// ```
    ///
    /// # Errors
    /// Only those of the writer.
    pub fn write_text<W: Write>(&self, mut w: W) -> io::Result<()> {
        match &self.sheet {
            Some(sheet) => writeln!(w, "{}, sheet \"{sheet}\"", self.source)?,
            None => writeln!(w, "{}", self.source)?,
        }
        for v in &self.violations {
            write!(w, "row {}", v.row)?;
            match (&v.column, &v.field) {
                (Some(c), Some(f)) => write!(w, ", column {c} ({f})")?,
                (Some(c), None) => write!(w, ", column {c}")?,
                (None, Some(f)) => write!(w, " ({f})")?,
                (None, None) => {}
            }
            writeln!(w, ": {} ({})", v.message, v.rule.as_str())?;
        }
        if self.truncated {
            writeln!(
                w,
                "truncated after {} of {} violations",
                self.violations.len(),
                self.total_violations
            )?;
        }
        if let Some(why) = &self.stopped {
            writeln!(w, "stopped reading: {why}")?;
        }
        let rows = plural(self.rows_checked, "row");
        match self.total_violations {
            0 => writeln!(w, "no violations in {rows}"),
            n => writeln!(w, "{} in {rows}", plural(n, "violation")),
        }
    }

    /// For business owners, one line per kept violation with the columns
    /// `file,sheet,row,column,field,value,rule,message`, RFC 4180 (CRLF). The report is
    /// meant to be opened in a spreadsheet, so a cell that would run as a formula (a
    /// value or message quoting `=HYPERLINK(…)`) is neutralised as `convert` does it. When
    /// `max_violations` cut the list, a last line with rule `truncated` says how many of
    /// how many were kept.
    ///
    /// # Errors
    /// Only those of the writer.
    pub fn write_csv<W: Write>(&self, w: W) -> io::Result<()> {
        let mut out = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(w);
        out.write_record([
            "file", "sheet", "row", "column", "field", "value", "rule", "message",
        ])?;
        let safe = |s: &str| crate::screen::neutralise_formula(s).unwrap_or_else(|| s.to_string());
        let sheet = self.sheet.as_deref().unwrap_or("");
        for v in &self.violations {
            out.write_record([
                safe(&self.source),
                safe(sheet),
                v.row.to_string(),
                v.column.clone().unwrap_or_default(),
                safe(v.field.as_deref().unwrap_or("")),
                safe(v.value.as_deref().unwrap_or("")),
                v.rule.as_str().to_string(),
                safe(&v.message),
            ])?;
        }
        if let Some(why) = &self.stopped {
            out.write_record([
                safe(&self.source),
                safe(sheet),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                "stopped".into(),
                safe(&format!("stopped reading: {why}")),
            ])?;
        }
        if self.truncated {
            out.write_record([
                safe(&self.source),
                safe(sheet),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                "truncated".into(),
                format!(
                    "truncated after {} of {} violations; raise --max-violations to see them all",
                    self.violations.len(),
                    self.total_violations
                ),
            ])?;
        }
        out.flush()
    }

    /// The report as indented JSON, followed by a newline.
    ///
    /// # Errors
    /// Only those of the writer.
    pub fn write_json<W: Write>(&self, mut w: W) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut w, self)?;
        writeln!(w)
    }
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        Report {
            source: "budget.xlsx".into(),
            sheet: Some("Budget".into()),
            rows_checked: 40,
            total_violations: 3,
            violations: vec![
                Violation {
                    row: 1,
                    column: Some("D".into()),
                    field: Some("amt".into()),
                    value: Some("amt".into()),
                    rule: ViolationRule::HeaderMismatch,
                    message: "header is \"amt\", expected \"amount\"".into(),
                },
                Violation {
                    row: 12,
                    column: Some("D".into()),
                    field: Some("amount".into()),
                    value: Some("a,b".into()),
                    rule: ViolationRule::Type,
                    message: "\"a,b\" is not a number".into(),
                },
            ],
            truncated: true,
            stopped: None,
        }
    }

    #[test]
    fn text_report_has_a_line_per_violation_and_says_it_was_truncated() {
        let mut out = Vec::new();
        sample().write_text(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "budget.xlsx, sheet \"Budget\"\n\
             row 1, column D (amt): header is \"amt\", expected \"amount\" (header-mismatch)\n\
             row 12, column D (amount): \"a,b\" is not a number (type)\n\
             truncated after 2 of 3 violations\n\
             3 violations in 40 rows\n"
        );
    }

    #[test]
    fn clean_text_report_says_so() {
        let r = Report {
            source: "a.csv".into(),
            rows_checked: 1,
            ..Report::default()
        };
        let mut out = Vec::new();
        r.write_text(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a.csv\nno violations in 1 row\n"
        );
        assert!(r.is_clean());
    }

    #[test]
    fn csv_report_quotes_what_needs_it() {
        let mut out = Vec::new();
        sample().write_csv(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "file,sheet,row,column,field,value,rule,message\r\n\
             budget.xlsx,Budget,1,D,amt,amt,header-mismatch,\"header is \"\"amt\"\", expected \"\"amount\"\"\"\r\n\
             budget.xlsx,Budget,12,D,amount,\"a,b\",type,\"\"\"a,b\"\" is not a number\"\r\n\
             budget.xlsx,Budget,,,,,truncated,truncated after 2 of 3 violations; raise --max-violations to see them all\r\n"
        );
    }

    #[test]
    fn csv_report_neutralises_formulas() {
        let mut r = sample();
        r.truncated = false;
        r.violations[1].value = Some("=HYPERLINK(\"http://x\")".into());
        r.violations[1].field = Some("@cmd".into());
        let mut out = Vec::new();
        r.write_csv(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut rows = csv::Reader::from_reader(text.as_bytes());
        let rec = rows.records().nth(1).unwrap().unwrap();
        assert_eq!(&rec[4], "'@cmd");
        assert_eq!(&rec[5], "'=HYPERLINK(\"http://x\")");
    }

    #[test]
    fn json_report_uses_kebab_case_rules() {
        let mut out = Vec::new();
        sample().write_json(&mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["violations"][0]["rule"], "header-mismatch");
        assert_eq!(v["total_violations"], 3);
        assert_eq!(v["truncated"], true);
        assert!(out.ends_with(b"}\n"));
    }
}
