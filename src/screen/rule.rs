//! What the screen reports: a [`Rule`] broken, where, and a redacted excerpt.
//!
//! A [`Finding`] keeps the raw matched value in a private field so that a waiver's
//! `value_pattern` can be checked later ([`crate::screen::apply_waivers`]). That value is
//! never serialized, never shown by `Debug`, and has no accessor outside this module tree:
//! the only public view of a finding is its rule, location and redacted excerpt.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The kind of problem found. Shown and (de)serialized as a kebab-case id
/// (`marking`, `sin`, `hidden-sheet`, `custom:<name>`).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Rule {
    Marking,
    Sin,
    Email,
    Phone,
    /// A pattern from `[[screen.patterns]]`, by its name.
    Custom(String),
    HiddenSheet,
    HiddenRows,
    HiddenColumns,
    Comment,
    ExternalLink,
    Macro,
    EmbeddedObject,
    /// Content an approver may not have seen in the grid: a cell hidden by its number
    /// format (`;;;`), an image.
    HiddenContent,
    FormulaInjection,
    /// More findings than the screen keeps: stands for all the ones left out, so a
    /// resource can never be released by waiving only the findings that were listed.
    TooManyFindings,
}

const SIMPLE_RULES: &[(&str, Rule)] = &[
    ("marking", Rule::Marking),
    ("sin", Rule::Sin),
    ("email", Rule::Email),
    ("phone", Rule::Phone),
    ("hidden-sheet", Rule::HiddenSheet),
    ("hidden-rows", Rule::HiddenRows),
    ("hidden-columns", Rule::HiddenColumns),
    ("comment", Rule::Comment),
    ("external-link", Rule::ExternalLink),
    ("macro", Rule::Macro),
    ("embedded-object", Rule::EmbeddedObject),
    ("hidden-content", Rule::HiddenContent),
    ("formula-injection", Rule::FormulaInjection),
    ("too-many-findings", Rule::TooManyFindings),
];

const CUSTOM_PREFIX: &str = "custom:";

/// The ids of the built-in rules, in their documented order.
pub fn rule_ids() -> impl Iterator<Item = &'static str> {
    SIMPLE_RULES.iter().map(|(id, _)| *id)
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Rule::Custom(name) = self {
            return write!(f, "{CUSTOM_PREFIX}{name}");
        }
        let id = SIMPLE_RULES
            .iter()
            .find(|(_, r)| r == self)
            .map(|(id, _)| *id)
            .unwrap_or("unknown");
        f.write_str(id)
    }
}

/// The id given is not a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown screen rule `{0}`; expected one of marking, sin, email, phone, custom:<name>, hidden-sheet, hidden-rows, hidden-columns, comment, external-link, macro, embedded-object, hidden-content, formula-injection, too-many-findings")]
pub struct UnknownRule(pub String);

impl FromStr for Rule {
    type Err = UnknownRule;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(name) = s.strip_prefix(CUSTOM_PREFIX) {
            if !name.is_empty() {
                return Ok(Rule::Custom(name.to_string()));
            }
        }
        SIMPLE_RULES
            .iter()
            .find(|(id, _)| *id == s)
            .map(|(_, r)| r.clone())
            .ok_or_else(|| UnknownRule(s.to_string()))
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One thing that holds a resource back, unless a waiver releases it.
#[derive(Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: Rule,
    /// `file "x.xlsx", sheet "S", cell B7`, `file "p.xml", /a/b[3]/@class`,
    /// `file "x.xlsx", document property "Classification"`.
    pub location: String,
    /// At most about 40 characters around the match, with every personal identifier in it
    /// masked. Markings are shown: they are the reason, not the secret.
    pub excerpt: String,
    /// The approver whose waiver released this finding, or the policy that did
    /// (`screen.formula_policy = "prefix"`).
    pub waived_by: Option<String>,
    /// The unredacted match, kept only to test waivers' `value_pattern`.
    #[serde(skip)]
    pub(crate) raw: Option<String>,
}

impl Finding {
    /// A finding with no raw value (hidden content, or a finding built outside the screen).
    pub fn new(rule: Rule, location: impl Into<String>, excerpt: impl Into<String>) -> Self {
        Finding {
            rule,
            location: location.into(),
            excerpt: excerpt.into(),
            waived_by: None,
            raw: None,
        }
    }

    pub(crate) fn with_raw(mut self, raw: impl Into<String>) -> Self {
        self.raw = Some(raw.into());
        self
    }
}

// Hand-written so that `{:?}` in a log line can never print the raw value.
impl fmt::Debug for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Finding")
            .field("rule", &self.rule)
            .field("location", &self.location)
            .field("excerpt", &self.excerpt)
            .field("waived_by", &self.waived_by)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.rule, self.location, self.excerpt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_round_trip() {
        let cases = [
            (Rule::Marking, "marking"),
            (Rule::HiddenSheet, "hidden-sheet"),
            (Rule::FormulaInjection, "formula-injection"),
            (Rule::Custom("badge".into()), "custom:badge"),
        ];
        for (rule, id) in cases {
            assert_eq!(rule.to_string(), id);
            assert_eq!(id.parse::<Rule>(), Ok(rule.clone()));
            let json = serde_json::to_string(&rule).unwrap();
            assert_eq!(json, format!("\"{id}\""));
            assert_eq!(serde_json::from_str::<Rule>(&json).unwrap(), rule);
        }
        assert!("secret".parse::<Rule>().is_err());
        assert!("custom:".parse::<Rule>().is_err());
    }

    #[test]
    fn raw_value_is_never_serialized_or_debugged() {
        let f = Finding::new(Rule::Sin, "file \"a.csv\"", "***-***-**2").with_raw("046 454 286");
        let json = serde_json::to_string(&f).unwrap();
        let debug = format!("{f:?} {f}");
        for shown in [json, debug] {
            assert!(!shown.contains("454"), "{shown}");
        }
    }
}
