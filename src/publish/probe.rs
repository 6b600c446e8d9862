//! Asking the portal what it is before anything is built or written.
//!
//! A wrong token, an unknown organization, a licence the portal does not know or a
//! profile that sends fields the portal's schema lacks would otherwise be found one
//! dataset at a time, after every build, or never (core CKAN drops what it does not know
//! without a word). [`fetch`] reads the portal's own description of itself; [`check`] is
//! pure and lists every problem at once, so a configuration error stops the run before
//! anything happens.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value as Json};

use super::client::{Client, Failure, Safety};
use super::error::{CkanError, PublishError};
use crate::vocab::Profile;

/// What the portal said of itself.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub ckan_version: String,
    pub extensions: Vec<String>,
    /// Organizations the token's user may create datasets in (names and ids); empty
    /// for an anonymous caller, which is what CKAN makes of an unknown token.
    pub writable_orgs: BTreeSet<String>,
    /// Whether `organization_show` found the configured organization.
    pub organization_exists: bool,
    /// `license_list` ids; `None` when the portal does not answer the action.
    pub licenses: Option<BTreeSet<String>>,
    /// `scheming_dataset_schema_show` for `dataset`, on a ckanext-scheming portal.
    pub schema: Option<Json>,
    /// The portal's own date (its `Date` header).
    pub server_date: Option<chrono::NaiveDate>,
}

impl Facts {
    pub fn scheming(&self) -> bool {
        self.extensions.iter().any(|e| e == "scheming_datasets")
    }
}

/// One dataset as the probe sees it: its reference, dataset fields and the fields of a
/// resource of each output format.
pub type IntendedDataset = (String, Map<String, Json>, Vec<Map<String, Json>>);

/// What ogpipe is about to send, for [`check`].
#[derive(Debug, Clone, Default)]
pub struct Intended {
    pub profile: Profile,
    pub organization: String,
    pub token_present: bool,
    /// Where the token came from, for messages (never the token).
    pub token_source: String,
    /// Whether this run writes (a dry run only reads).
    pub writes: bool,
    /// One entry per dataset: its reference, dataset fields and resource fields.
    pub datasets: Vec<IntendedDataset>,
}

/// Reads what [`check`] needs.
///
/// # Errors
/// The portal cannot be reached or does not answer `status_show` as CKAN does: nothing
/// else can be asked then.
pub async fn fetch(client: &Client, organization: &str) -> Result<Facts, PublishError> {
    let status = client
        .action("status_show", &json!({}), Safety::Idempotent)
        .await
        .map_err(Failure::into_error)?;
    let mut facts = Facts {
        ckan_version: status
            .get("ckan_version")
            .and_then(Json::as_str)
            .unwrap_or("?")
            .to_string(),
        extensions: status
            .get("extensions")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .map(str::to_string)
            .collect(),
        ..Facts::default()
    };
    let orgs = client
        .action(
            "organization_list_for_user",
            &json!({ "permission": "create_dataset" }),
            Safety::Idempotent,
        )
        .await
        .map_err(Failure::into_error)?;
    for o in orgs.as_array().into_iter().flatten() {
        for k in ["name", "id"] {
            if let Some(v) = o.get(k).and_then(Json::as_str) {
                facts.writable_orgs.insert(v.to_string());
            }
        }
    }
    facts.organization_exists = optional(
        client
            .action(
                "organization_show",
                &json!({ "id": organization }),
                Safety::Idempotent,
            )
            .await,
    )?
    .is_some();
    facts.licenses = optional(
        client
            .action("license_list", &json!({}), Safety::Idempotent)
            .await,
    )?
    .map(|list| {
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l.get("id").and_then(Json::as_str).map(str::to_string))
            .collect()
    });
    facts.server_date = client.server_date().await;
    if facts.scheming() {
        facts.schema = optional(
            client
                .action(
                    "scheming_dataset_schema_show",
                    &json!({ "type": "dataset" }),
                    Safety::Idempotent,
                )
                .await,
        )?;
    }
    Ok(facts)
}

/// A read that may be answered "not found" (an unknown organization, an action the
/// portal lacks).
fn optional(r: Result<Json, Failure>) -> Result<Option<Json>, PublishError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(Failure::Final(PublishError::Rejected {
            error: CkanError::NotFound(_),
            ..
        })) => Ok(None),
        // CKAN answers an unknown action with 400 and a bare string.
        Err(Failure::Final(PublishError::Rejected { status: 400, .. })) => Ok(None),
        Err(f) => Err(f.into_error()),
    }
}

/// Fields CKAN itself keeps whatever the schema says, or that ogpipe never asks a
/// schema for.
const CORE_KEYS: &[&str] = &["id", "name", "type", "private", "state", "owner_org"];

/// Every problem the portal's answers show with what ogpipe is about to send.
pub fn check(facts: &Facts, want: &Intended) -> Vec<String> {
    let mut problems = Vec::new();
    let org = &want.organization;
    if want.writes {
        if !want.token_present {
            problems.push(
                "portal: no API token: put it in the variable portal.token_env names, or in portal.token_file"
                    .to_string(),
            );
        } else if !facts.writable_orgs.contains(org) {
            problems.push(format!(
                "portal: the token from {} may not create datasets in organization \"{org}\": it is unknown to the portal (CKAN then answers as anonymous) or its user is not an editor there; ask the portal's administrators for a token of an editor of \"{org}\"",
                want.token_source
            ));
        }
    }
    if !facts.organization_exists {
        problems.push(format!(
            "portal.organization: \"{org}\" does not exist on the portal; check its name (the part after /organization/ in its address)"
        ));
    }
    if want.profile == Profile::OpenCanada && !facts.scheming() {
        problems.push(format!(
            "portal.profile: \"open-canada\" sends the Government of Canada fields (collection, imso_approval, ready_to_publish, bilingual titles), but this portal (CKAN {}, extensions: {}) has no ckanext-scheming schema and would drop them: use profile \"ckan\", or a portal with that schema",
            facts.ckan_version,
            facts.extensions.join(", ")
        ));
    }
    if let Some(licenses) = &facts.licenses {
        let used: BTreeSet<&str> = want
            .datasets
            .iter()
            .filter_map(|(_, f, _)| f.get("license_id").and_then(Json::as_str))
            .collect();
        for l in used {
            if !licenses.contains(l) {
                problems.push(format!(
                    "licence \"{l}\" is not one the portal knows (its license_list: {}); it would show the data as not open: set defaults.license_id or the manifest's metadata.license_id to one of them",
                    licenses.iter().take(20).cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    if let (Some(today), Profile::OpenCanada) = (facts.server_date, want.profile) {
        for (reference, fields, _) in &want.datasets {
            let date = fields
                .get("date_published")
                .and_then(Json::as_str)
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            if let Some(date) = date.filter(|d| *d > today) {
                problems.push(format!(
                    "{reference}: its release date {date} is after the portal's own date ({today}); the portal refuses a date_published in its future once ready_to_publish is true, whatever --as-of says (--as-of rehearses the release gate, it cannot change the portal's date): run on or after {date}"
                ));
            }
        }
    }
    match &facts.schema {
        Some(schema) => problems.extend(check_schema(schema, want)),
        // Core CKAN: its own tag rule on `tags`.
        None => problems.extend(check_keywords(TagRule::Ckan, want)),
    }
    problems
}

/// A scheming schema field: its name, whether required, and its choices.
struct SchemaField {
    required: bool,
    choices: Option<BTreeSet<String>>,
}

fn schema_fields(schema: &Json, list: &str) -> Vec<(String, SchemaField)> {
    schema
        .get(list)
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let name = f.get("field_name")?.as_str()?.to_string();
            let choices = f.get("choices").and_then(Json::as_array).map(|c| {
                c.iter()
                    .filter_map(|c| c.get("value").and_then(Json::as_str).map(str::to_string))
                    .collect()
            });
            let required = f.get("required").and_then(Json::as_bool).unwrap_or(false);
            Some((name, SchemaField { required, choices }))
        })
        .collect()
}

/// How a portal checks each keyword (tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagRule {
    /// CKAN's own `tag_length_validator` and `tag_name_validator`: 2 to 100 characters,
    /// only letters, digits, spaces and `-`, `_`, `.`.
    Ckan,
    /// ckanext-canada's `canada_tags`: 2 to 140 characters once trimmed, no double
    /// space, no control or invisible character, no space other than U+0020 inside.
    Canada,
}

impl TagRule {
    /// What is wrong with `tag` under this rule, if anything.
    fn breaks(self, tag: &str) -> Option<&'static str> {
        let t = tag.trim();
        let n = t.chars().count();
        match self {
            TagRule::Ckan => {
                if !(2..=100).contains(&n) {
                    return Some("CKAN takes 2 to 100 characters");
                }
                if !t.chars().all(|c| c.is_alphanumeric() || " -_.".contains(c)) {
                    return Some("CKAN takes only letters, digits, spaces and - _ .");
                }
                None
            }
            TagRule::Canada => {
                if !(2..=140).contains(&n) {
                    return Some("the Registry takes 2 to 140 characters");
                }
                if t.contains("  ") {
                    return Some("the Registry refuses two spaces in a row");
                }
                let invisible = |c: char| {
                    c.is_control()
                        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
                        || (c.is_whitespace() && c != ' ')
                };
                if t.chars().any(invisible) {
                    return Some(
                        "the Registry refuses control, invisible and non-breaking space characters",
                    );
                }
                None
            }
        }
    }
}

/// The rule a scheming portal applies to `keywords`: ckanext-canada's own where the
/// field names `canada_tags`, CKAN's everywhere else.
fn tag_rule(schema: &Json) -> TagRule {
    let field = schema
        .get("dataset_fields")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .find(|f| f.get("field_name").and_then(Json::as_str) == Some("keywords"));
    let canada = field
        .and_then(|f| f.get("tag_validators"))
        .and_then(Json::as_str)
        .is_some_and(|v| v.contains("canada_tags"));
    if canada {
        TagRule::Canada
    } else {
        TagRule::Ckan
    }
}

/// Every keyword of a dataset's fields, with its language: `keywords` ({en, fr} lists)
/// under the GC profile, `tags` ([{name}]) under core CKAN.
fn keywords(fields: &Map<String, Json>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(Json::Object(by_lang)) = fields.get("keywords") {
        for (lang, list) in by_lang {
            for k in list
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
            {
                out.push((lang.clone(), k.to_string()));
            }
        }
    }
    for t in fields
        .get("tags")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(name) = t.get("name").and_then(Json::as_str) {
            out.push(("tag".to_string(), name.to_string()));
        }
    }
    out
}

fn check_keywords(rule: TagRule, want: &Intended) -> Vec<String> {
    let mut problems = Vec::new();
    for (reference, fields, _) in &want.datasets {
        for (lang, k) in keywords(fields) {
            if let Some(why) = rule.breaks(&k) {
                problems.push(format!(
                    "{reference}: keyword \"{k}\" ({lang}) would be refused by the portal: {why}; change it in the manifest's metadata.keywords"
                ));
            }
        }
    }
    problems
}

fn check_schema(schema: &Json, want: &Intended) -> Vec<String> {
    let mut problems = BTreeSet::new();
    problems.extend(check_keywords(tag_rule(schema), want));
    let dataset_fields = schema_fields(schema, "dataset_fields");
    let resource_fields = schema_fields(schema, "resource_fields");
    let known = |fields: &[(String, SchemaField)], k: &str| fields.iter().any(|(n, _)| n == k);
    for (reference, fields, resources) in &want.datasets {
        for (k, v) in fields {
            if CORE_KEYS.contains(&k.as_str()) {
                continue;
            }
            match dataset_fields.iter().find(|(n, _)| n == k) {
                None => {
                    problems.insert(format!(
                        "portal schema: the profile sends dataset field \"{k}\", which the portal's schema does not have (it would be dropped): choose another portal.profile, or ask the portal's administrators to add it"
                    ));
                }
                Some((_, f)) => {
                    if let Some(bad) = off_choice(f, v) {
                        problems.insert(format!(
                            "{reference}: {k} = \"{bad}\" is not a choice of the portal's schema ({})",
                            choices_text(f)
                        ));
                    }
                }
            }
        }
        for (name, f) in &dataset_fields {
            if f.required && !CORE_KEYS.contains(&name.as_str()) && !fields.contains_key(name) {
                problems.insert(format!(
                    "portal schema: dataset field \"{name}\" is required by the portal, and the profile does not send it"
                ));
            }
        }
        for r in resources {
            for (k, v) in r {
                if k.starts_with("ogpipe_") || matches!(k.as_str(), "hash" | "mimetype") {
                    continue;
                }
                if !known(&resource_fields, k) {
                    problems.insert(format!(
                        "portal schema: the profile sends resource field \"{k}\", which the portal's schema does not have"
                    ));
                } else if let Some((_, f)) = resource_fields.iter().find(|(n, _)| n == k) {
                    if let Some(bad) = off_choice(f, v) {
                        problems.insert(format!(
                            "{reference}: resource {k} = \"{bad}\" is not a choice of the portal's schema ({})",
                            choices_text(f)
                        ));
                    }
                }
            }
        }
    }
    problems.into_iter().collect()
}

/// The first value of `v` (a string or a list of strings) that is not among the field's
/// choices.
fn off_choice(f: &SchemaField, v: &Json) -> Option<String> {
    let choices = f.choices.as_ref()?;
    let values: Vec<&str> = match v {
        Json::String(s) => vec![s.as_str()],
        Json::Array(a) => a.iter().filter_map(Json::as_str).collect(),
        _ => Vec::new(),
    };
    values
        .into_iter()
        .find(|x| !choices.contains(*x))
        .map(str::to_string)
}

fn choices_text(f: &SchemaField) -> String {
    let c = f.choices.as_ref().map(|c| c.len()).unwrap_or(0);
    let first: Vec<String> = f.choices.iter().flatten().take(12).cloned().collect();
    if c > first.len() {
        format!("{}, … {c} in all", first.join(", "))
    } else {
        first.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            ckan_version: "2.12.0".into(),
            extensions: vec!["activity".into()],
            writable_orgs: ["csis-scrs".to_string()].into(),
            organization_exists: true,
            licenses: Some(["cc-by".to_string(), "ca-ogl-lgo".to_string()].into()),
            schema: None,
            server_date: None,
        }
    }

    fn intended(profile: Profile) -> Intended {
        let mut f = Map::new();
        f.insert("license_id".into(), json!("ca-ogl-lgo"));
        f.insert("subject".into(), json!(["law"]));
        Intended {
            profile,
            organization: "csis-scrs".into(),
            token_present: true,
            token_source: "environment variable OGPIPE_PORTAL_TOKEN".into(),
            writes: true,
            datasets: vec![("REF-1".into(), f, vec![])],
        }
    }

    #[test]
    fn keywords_follow_the_tag_rule_the_portal_declares() {
        let mut want = intended(Profile::OpenCanada);
        want.datasets[0].1.insert(
            "keywords".into(),
            json!({"en": ["security screening"], "fr": ["accès à l'information", "a  b"]}),
        );
        let ckan = check_keywords(TagRule::Ckan, &want);
        assert_eq!(ckan.len(), 1, "{ckan:?}");
        assert!(
            ckan[0].contains("\"accès à l'information\" (fr)"),
            "{ckan:?}"
        );
        let canada = check_keywords(TagRule::Canada, &want);
        assert_eq!(canada.len(), 1, "{canada:?}");
        assert!(canada[0].contains("two spaces"), "{canada:?}");
        let gc = json!({"dataset_fields": [{"field_name": "keywords", "tag_validators": "canada_tags"}]});
        assert_eq!(tag_rule(&gc), TagRule::Canada);
        assert_eq!(
            tag_rule(&json!({"dataset_fields": [{"field_name": "keywords"}]})),
            TagRule::Ckan
        );
        assert_eq!(
            TagRule::Canada.breaks("zero\u{200b}width"),
            Some("the Registry refuses control, invisible and non-breaking space characters")
        );
    }

    #[test]
    fn a_release_date_after_the_portals_own_date_is_reported_before_any_write() {
        let mut f = facts();
        f.extensions.push("scheming_datasets".into());
        f.server_date = chrono::NaiveDate::from_ymd_opt(2026, 12, 2);
        let mut want = intended(Profile::OpenCanada);
        want.datasets[0]
            .1
            .insert("date_published".into(), json!("2027-04-01"));
        let p = check(&f, &want);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].contains("after the portal's own date (2026-12-02)"),
            "{p:?}"
        );
        want.datasets[0]
            .1
            .insert("date_published".into(), json!("2026-12-02"));
        assert!(check(&f, &want).is_empty());
    }

    #[test]
    fn a_healthy_core_portal_with_the_ckan_profile_passes() {
        assert!(check(&facts(), &intended(Profile::Ckan)).is_empty());
    }

    #[test]
    fn an_anonymous_answer_means_the_token_was_refused() {
        let mut f = facts();
        f.writable_orgs.clear();
        let p = check(&f, &intended(Profile::Ckan));
        assert_eq!(p.len(), 1);
        assert!(p[0].contains("may not create datasets"), "{p:?}");
        assert!(p[0].contains("OGPIPE_PORTAL_TOKEN"), "{p:?}");
        // A dry run reads only: no token is needed.
        let mut dry = intended(Profile::Ckan);
        dry.writes = false;
        dry.token_present = false;
        assert!(check(&f, &dry).is_empty());
    }

    #[test]
    fn every_problem_is_listed_at_once() {
        let mut f = facts();
        f.writable_orgs.clear();
        f.organization_exists = false;
        f.licenses = Some(["cc-by".to_string()].into());
        let p = check(&f, &intended(Profile::OpenCanada));
        assert_eq!(p.len(), 4, "{p:#?}");
        assert!(p.iter().any(|p| p.contains("does not exist")));
        assert!(p.iter().any(|p| p.contains("use profile \"ckan\"")));
        assert!(p.iter().any(|p| p.contains("licence \"ca-ogl-lgo\"")));
    }

    #[test]
    fn a_scheming_schema_names_missing_fields_required_ones_and_choices() {
        let mut f = facts();
        f.extensions.push("scheming_datasets".into());
        f.schema = Some(json!({
            "dataset_fields": [
                {"field_name": "license_id"},
                {"field_name": "subject", "choices": [{"value": "economics"}]},
                {"field_name": "frequency", "required": true},
            ],
            "resource_fields": [{"field_name": "format"}],
        }));
        let mut want = intended(Profile::OpenCanada);
        want.datasets[0]
            .1
            .insert("imso_approval".into(), json!("true"));
        want.datasets[0].2.push(
            [("language".to_string(), json!(["en"]))]
                .into_iter()
                .collect(),
        );
        let p = check(&f, &want);
        assert!(p.iter().any(|p| p.contains("\"imso_approval\"")), "{p:#?}");
        assert!(p.iter().any(|p| p.contains("subject = \"law\"")), "{p:#?}");
        assert!(
            p.iter().any(|p| p.contains("\"frequency\" is required")),
            "{p:#?}"
        );
        assert!(
            p.iter().any(|p| p.contains("resource field \"language\"")),
            "{p:#?}"
        );
        assert_eq!(p.len(), 4, "{p:#?}");
    }
}
