//! Waivers: an approver's signed-off exception that releases one finding.
//!
//! A waiver names a rule and narrows it by `location` and/or `value_pattern`; one with
//! neither matches nothing, so a forgotten field can never waive a whole rule by accident
//! (write `location = "*"` to mean every location, on purpose).
//!
//! `value_pattern` is a regex that must match the whole unredacted value. The raw value
//! lives only in the private part of [`Finding`], set by the screen at screening time; it
//! is never serialized or displayed, so a waiver can name a value that no report shows.
//! Findings without a raw value (hidden content) never match a `value_pattern`.

use regex::Regex;
use serde::Deserialize;

use super::{Finding, Rule, ScreenError};

/// One `[[waivers]]` entry of a resource's manifest.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    pub rule: Rule,
    /// The finding's location, exactly, or a glob where `*` stands for any text
    /// (`file "x.xlsx", sheet "Contacts", cell *`). Exact, not substring: `cell B7` must
    /// not also waive `cell B70`.
    #[serde(default)]
    pub location: Option<String>,
    /// A regex matched against the whole raw value (`info@dept\.gc\.ca`).
    #[serde(default)]
    pub value_pattern: Option<String>,
    pub approver: String,
    pub justification: String,
}

/// Checks that every waiver's `value_pattern` compiles, for config validation.
///
/// # Errors
/// [`ScreenError::BadPattern`] naming `waivers[i].value_pattern`.
pub fn check_waivers(waivers: &[Waiver]) -> Result<(), ScreenError> {
    for (i, w) in waivers.iter().enumerate() {
        if let Some(p) = &w.value_pattern {
            compile_whole(p).map_err(|e| ScreenError::BadPattern {
                field: format!("waivers[{i}].value_pattern"),
                reason: e.to_string(),
            })?;
        }
    }
    Ok(())
}

fn compile_whole(p: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{p})$"))
}

/// Splits findings into those still holding the resource and those released, with
/// `waived_by` set to the approver. Findings already waived (by the formula policy) stay
/// released. A waiver whose `value_pattern` does not compile matches nothing: it fails
/// closed; [`check_waivers`] reports it.
pub fn apply_waivers(findings: Vec<Finding>, waivers: &[Waiver]) -> (Vec<Finding>, Vec<Finding>) {
    let compiled: Vec<(&Waiver, Option<Option<Regex>>)> = waivers
        .iter()
        .map(|w| (w, w.value_pattern.as_deref().map(|p| compile_whole(p).ok())))
        .collect();
    let mut holding = Vec::new();
    let mut waived = Vec::new();
    for mut f in findings {
        if f.waived_by.is_some() {
            waived.push(f);
            continue;
        }
        let by = compiled.iter().find(|(w, re)| matches(w, re.as_ref(), &f));
        match by {
            Some((w, _)) => {
                f.waived_by = Some(w.approver.clone());
                waived.push(f);
            }
            None => holding.push(f),
        }
    }
    (holding, waived)
}

fn matches(w: &Waiver, value: Option<&Option<Regex>>, f: &Finding) -> bool {
    if w.rule != f.rule || (w.location.is_none() && value.is_none()) {
        return false;
    }
    let location_ok = w
        .location
        .as_deref()
        .is_none_or(|p| glob_match(p, &f.location));
    let value_ok = match value {
        None => true,
        Some(None) => false,
        Some(Some(re)) => f.raw.as_deref().is_some_and(|raw| re.is_match(raw)),
    };
    location_ok && value_ok
}

/// `*` matches any run of characters; everything else matches itself.
fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: Rule, location: &str, raw: Option<&str>) -> Finding {
        let f = Finding::new(rule, location, "x");
        match raw {
            Some(r) => f.with_raw(r),
            None => f,
        }
    }

    fn waiver(rule: Rule, location: Option<&str>, value: Option<&str>) -> Waiver {
        Waiver {
            rule,
            location: location.map(str::to_string),
            value_pattern: value.map(str::to_string),
            approver: "a.approver".into(),
            justification: "published on purpose".into(),
        }
    }

    #[test]
    fn waivers_release_exactly_the_matching_finding() {
        let loc = |c: &str| format!("file \"x.xlsx\", sheet \"S\", cell {c}");
        let findings = || {
            vec![
                finding(Rule::Email, &loc("B7"), Some("media@dept.gc.ca")),
                finding(Rule::Email, &loc("B70"), Some("jane@example.ca")),
                finding(Rule::Phone, &loc("B7"), Some("613-555-0123")),
                finding(Rule::HiddenRows, "file \"x.xlsx\", sheet \"S\"", None),
            ]
        };
        let cases: Vec<(Waiver, Vec<usize>)> = vec![
            (waiver(Rule::Email, Some(&loc("B7")), None), vec![0]),
            (waiver(Rule::Email, Some(&loc("*")), None), vec![0, 1]),
            (
                waiver(Rule::Email, None, Some(r"media@dept\.gc\.ca")),
                vec![0],
            ),
            (waiver(Rule::Email, None, Some("media")), vec![]), // whole value only
            (waiver(Rule::Email, None, None), vec![]),          // too broad: nothing
            (waiver(Rule::Email, None, Some("(")), vec![]),     // bad regex: fails closed
            (
                waiver(Rule::HiddenRows, Some("file \"x.xlsx\", *"), None),
                vec![3],
            ),
            (waiver(Rule::HiddenRows, None, Some(".*")), vec![]), // no raw value
        ];
        for (w, want) in cases {
            let all = findings();
            let (holding, waived) = apply_waivers(all.clone(), std::slice::from_ref(&w));
            let got: Vec<usize> = waived
                .iter()
                .map(|f| {
                    all.iter()
                        .position(|a| a.location == f.location && a.rule == f.rule)
                        .unwrap()
                })
                .collect();
            assert_eq!(got, want, "{w:?}");
            assert_eq!(holding.len() + waived.len(), all.len());
            assert!(waived
                .iter()
                .all(|f| f.waived_by.as_deref() == Some("a.approver")));
        }
    }

    #[test]
    fn policy_waived_findings_stay_waived() {
        let mut f = finding(Rule::FormulaInjection, "l", None);
        f.waived_by = Some("screen.formula_policy = \"prefix\"".into());
        let (holding, waived) = apply_waivers(vec![f], &[]);
        assert!(holding.is_empty());
        assert_eq!(waived.len(), 1);
    }

    #[test]
    fn waivers_deserialize_from_manifest_toml() {
        #[derive(Deserialize)]
        struct Manifest {
            waivers: Vec<Waiver>,
        }
        let m: Manifest = toml::from_str(
            "[[waivers]]\nrule = \"email\"\nvalue_pattern = 'info@dept\\.gc\\.ca'\napprover = \"j.smith\"\njustification = \"public contact\"\n",
        )
        .unwrap();
        assert_eq!(m.waivers[0].rule, Rule::Email);
        assert!(check_waivers(&m.waivers).is_ok());
        let bad = toml::from_str::<Manifest>(
            "[[waivers]]\nrule = \"email\"\napprover = \"a\"\njustification = \"b\"\nscope = \"all\"\n",
        );
        assert!(bad.is_err());
        let bad_re = vec![waiver(Rule::Sin, None, Some("("))];
        assert!(matches!(
            check_waivers(&bad_re),
            Err(ScreenError::BadPattern { .. })
        ));
    }
}
