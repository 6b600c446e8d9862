//! The pre-publication security screen: holds a resource back when it carries a
//! classification marking, a personal identifier, content an approver may not have seen,
//! or a formula that a spreadsheet would run.
//!
//! # Contract
//! - Pure and synchronous over `Read`/`BufRead` and values: no files, network or clocks.
//! - Findings are results, not errors. `Err` ([`ScreenError`]) means the screen could not
//!   look (a corrupt container, a DTD, a bad configured pattern), and the caller must then
//!   hold the resource: what could not be screened cannot be published.
//! - Every finding holds the resource unless a [`Waiver`] or the formula policy releases
//!   it ([`apply_waivers`]). Excerpts never carry a raw identifier; the raw match is kept
//!   only inside [`Finding`], unserialized, for waivers' `value_pattern`.
//! - At most [`MAX_FINDINGS`] findings are kept per table, file or container; the rest
//!   are counted into one [`Rule::TooManyFindings`] finding, which holds the resource.
//!
//! # Where it looks
//! - [`Screen::cell_sink`]: the table a reader pushes (sheet name, headers, every cell).
//! - [`Screen::screen_xml`]: every text node and attribute value of an XML file.
//! - [`Screen::screen_container`]: the workbook itself (see [`container`] for the list).
//! - [`Screen::screen_text`]: the recogniser the others share ([`Matcher`](matcher) rules).

mod cells;
mod container;
mod matcher;
mod normalise;
mod prescan;
mod rule;
pub mod source;
mod waiver;
mod xml;

use std::io::{BufRead, Read, Seek};

use serde::Deserialize;

pub use cells::{neutralise_formula, CellScreen};
pub use rule::{rule_ids, Finding, Rule, UnknownRule};
pub use waiver::{apply_waivers, check_waivers, Waiver};

use matcher::Matcher;

/// The most findings kept per table, XML file or container.
pub const MAX_FINDINGS: usize = 1000;

/// `[screen]` in `pipeline.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScreenConfig {
    /// Whether the screen runs. Default: true.
    pub enabled: bool,
    /// Extra identifier patterns, reported as `custom:<name>`. Default: none.
    pub patterns: Vec<CustomPattern>,
    /// Values that never count as findings: exact, ignoring case and surrounding spaces
    /// (the department's public contact address). Default: none.
    pub allowlist: Vec<String>,
    /// Regexes that must match the whole of a value for it to be allowed. Default: none.
    pub allowlist_patterns: Vec<String>,
    /// What to do with text cells that a spreadsheet would run as a formula.
    /// Default: `prefix`.
    pub formula_policy: FormulaPolicy,
}

impl Default for ScreenConfig {
    fn default() -> Self {
        ScreenConfig {
            enabled: true,
            patterns: Vec::new(),
            allowlist: Vec::new(),
            allowlist_patterns: Vec::new(),
            formula_policy: FormulaPolicy::default(),
        }
    }
}

/// One `[[screen.patterns]]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomPattern {
    pub name: String,
    pub regex: String,
}

/// How formula-injection risks in text cells are handled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormulaPolicy {
    /// Prefix the cell with an apostrophe `'` in CSV output, as OWASP advises; the finding
    /// is reported already waived by the policy. Default.
    #[default]
    Prefix,
    /// Hold the resource.
    Hold,
    /// Leave the cell as it is; the finding is reported already waived by the policy.
    Allow,
}

impl FormulaPolicy {
    /// The `waived_by` text for findings this policy releases, `None` when it holds.
    fn waiver_text(self) -> Option<String> {
        match self {
            FormulaPolicy::Prefix => Some("screen.formula_policy = \"prefix\"".into()),
            FormulaPolicy::Allow => Some("screen.formula_policy = \"allow\"".into()),
            FormulaPolicy::Hold => None,
        }
    }
}

/// The kinds of workbook container [`Screen::screen_container`] opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerFormat {
    Xlsx,
    Xlsm,
    Xlsb,
    Xls,
    Ods,
}

/// The screen could not do its job; the resource must be held.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ScreenError {
    /// A configured regex does not compile.
    #[error("{field}: invalid regex: {reason}")]
    BadPattern { field: String, reason: String },
    /// The workbook is not a readable zip or compound file, or a part of it is unreadable.
    #[error("file \"{source_name}\": corrupt {what}: {reason}")]
    Corrupt {
        source_name: String,
        what: String,
        reason: String,
    },
    /// XML that a safe parser refuses (a DTD or an entity other than the five built-in
    /// ones), or that is not well formed.
    #[error("file \"{source_name}\": {location}: {reason}")]
    Xml {
        source_name: String,
        location: String,
        reason: String,
    },
    /// A workbook over one of the reader's limits (`[limits]` in `pipeline.toml`).
    #[error("file \"{source_name}\": {what}, over the limit limits.{limit} = {max}; raise it in pipeline.toml if the file is trusted")]
    Limit {
        source_name: String,
        what: String,
        limit: String,
        max: u64,
    },
    #[error("could not read \"{source_name}\": {err}")]
    Io {
        source_name: String,
        #[source]
        err: std::io::Error,
    },
}

/// The screen, compiled once from its configuration.
pub struct Screen {
    enabled: bool,
    matcher: Matcher,
    formula_policy: FormulaPolicy,
    limits: crate::read::Limits,
}

impl Screen {
    /// # Errors
    /// [`ScreenError::BadPattern`] naming the field (`screen.patterns[2].regex`) of a
    /// regex that does not compile.
    pub fn new(cfg: &ScreenConfig) -> Result<Screen, ScreenError> {
        Ok(Screen {
            enabled: cfg.enabled,
            matcher: Matcher::new(cfg)?,
            formula_policy: cfg.formula_policy,
            limits: crate::read::Limits::default(),
        })
    }

    /// The same limits the reader applies (`[limits]` in `pipeline.toml`): a workbook
    /// whose zip parts expand past them is refused by the screen as by the reader, before
    /// anything is decompressed. Default: [`Limits::default`](crate::read::Limits).
    pub fn with_limits(mut self, limits: &crate::read::Limits) -> Screen {
        self.limits = limits.clone();
        self
    }

    pub(crate) fn limits(&self) -> &crate::read::Limits {
        &self.limits
    }

    /// Whether the screen runs; when it does not, every method finds nothing.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn formula_policy(&self) -> FormulaPolicy {
        self.formula_policy
    }

    /// The core matcher: each marking, identifier and custom match in `text`, with a
    /// redacted excerpt. The rules are listed in the [`matcher`] module docs.
    pub fn screen_text(&self, text: &str) -> Vec<(Rule, String)> {
        if !self.enabled {
            return Vec::new();
        }
        self.matcher
            .hits(text)
            .into_iter()
            .map(|h| (h.rule, h.excerpt))
            .collect()
    }

    /// A [`crate::table::TableSink`] that screens the sheet name, headers and every cell.
    pub fn cell_sink(&self) -> CellScreen<'_> {
        CellScreen::new(self)
    }

    /// Screens a whole XML file: every text node and attribute value, located by an
    /// XPath-like path (`/publications/publication[3]/@class`).
    ///
    /// # Errors
    /// [`ScreenError::Xml`] for a DTD, an undeclared entity or malformed XML: the file is
    /// refused rather than half-screened.
    pub fn screen_xml<R: BufRead>(
        &self,
        source_name: &str,
        reader: R,
    ) -> Result<Vec<Finding>, ScreenError> {
        let mut out = Findings::new(source_name);
        if self.enabled {
            xml::screen_xml(self, source_name, reader, &mut out)?;
        }
        Ok(out.finish())
    }

    /// Screens a workbook container for what a table reader does not show: document
    /// properties, every sheet (hidden ones too), hidden rows and columns, comments,
    /// headers and footers, external links, macros and embedded objects.
    ///
    /// # Errors
    /// [`ScreenError::Corrupt`] when the container or one of its parts cannot be read,
    /// [`ScreenError::Xml`] when a part is refused.
    pub fn screen_container<R: Read + Seek>(
        &self,
        format: ContainerFormat,
        source_name: &str,
        reader: R,
    ) -> Result<Vec<Finding>, ScreenError> {
        let mut out = Findings::new(source_name);
        if self.enabled {
            container::screen(self, format, source_name, reader, &mut out)?;
        }
        Ok(out.finish())
    }

    /// Pushes a finding for each hit in `text`, located at `location`.
    pub(crate) fn screen_into(&self, text: &str, location: &str, out: &mut Findings) {
        self.screen_lazy(text, || location.to_string(), out);
    }

    /// As [`Screen::screen_into`], building the location only when something is found:
    /// most text is clean, and paths cost more to format than to match.
    pub(crate) fn screen_lazy(
        &self,
        text: &str,
        locate: impl FnOnce() -> String,
        out: &mut Findings,
    ) {
        let hits = self.matcher.hits(text);
        if hits.is_empty() {
            return;
        }
        let location = locate();
        for hit in hits {
            out.push(Finding::new(hit.rule, location.as_str(), hit.excerpt).with_raw(hit.raw));
        }
    }

    pub(crate) fn matcher(&self) -> &Matcher {
        &self.matcher
    }
}

/// A bounded list of findings that still counts what it drops.
pub(crate) struct Findings {
    source: String,
    kept: Vec<Finding>,
    dropped_holding: u64,
    total: u64,
}

impl Findings {
    pub(crate) fn new(source: &str) -> Self {
        Findings {
            source: source.to_string(),
            kept: Vec::new(),
            dropped_holding: 0,
            total: 0,
        }
    }

    pub(crate) fn push(&mut self, f: Finding) {
        self.total += 1;
        if self.kept.len() < MAX_FINDINGS {
            self.kept.push(f);
        } else if f.waived_by.is_none() {
            self.dropped_holding += 1;
        }
    }

    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    pub(crate) fn finish(mut self) -> Vec<Finding> {
        if self.dropped_holding > 0 {
            self.kept.push(Finding::new(
                Rule::TooManyFindings,
                format!("file \"{}\"", self.source),
                format!(
                    "{} more findings not listed (limit {MAX_FINDINGS})",
                    self.dropped_holding
                ),
            ));
        }
        self.kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_defaults_and_rejects_unknown_fields() {
        let cfg: ScreenConfig = toml::from_str("").unwrap();
        assert_eq!(cfg, ScreenConfig::default());
        assert!(cfg.enabled);
        assert_eq!(cfg.formula_policy, FormulaPolicy::Prefix);
        let cfg: ScreenConfig = toml::from_str(
            "formula_policy = \"hold\"\nallowlist = [\"info@dept.gc.ca\"]\n[[patterns]]\nname = \"badge\"\nregex = 'BDG-\\d+'\n",
        )
        .unwrap();
        assert_eq!(cfg.formula_policy, FormulaPolicy::Hold);
        assert_eq!(cfg.patterns[0].name, "badge");
        assert!(toml::from_str::<ScreenConfig>("enable = true").is_err());
    }

    #[test]
    fn disabled_screen_finds_nothing() {
        let screen = Screen::new(&ScreenConfig {
            enabled: false,
            ..Default::default()
        })
        .unwrap();
        assert!(screen.screen_text("TOP SECRET").is_empty());
        let xml = screen
            .screen_xml("a.xml", "<a>TOP SECRET</a>".as_bytes())
            .unwrap();
        assert!(xml.is_empty());
    }

    #[test]
    fn overflow_is_counted_into_one_holding_finding() {
        let mut f = Findings::new("big.csv");
        for i in 0..(MAX_FINDINGS + 5) {
            f.push(Finding::new(Rule::Email, format!("row {i}"), "x"));
        }
        assert_eq!(f.total(), (MAX_FINDINGS + 5) as u64);
        let list = f.finish();
        assert_eq!(list.len(), MAX_FINDINGS + 1);
        assert_eq!(list[MAX_FINDINGS].rule, Rule::TooManyFindings);
        assert!(list[MAX_FINDINGS].excerpt.starts_with("5 more"));
    }
}
