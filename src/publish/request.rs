//! CKAN request bodies as plain values, per portal profile. Nothing here sends anything:
//! the client does, so the bodies can be checked in tests and printed by a dry run.

use serde_json::{json, Map, Value as Json};

use crate::checksum::Sha256Digest;
use crate::config::Defaults;
use crate::package::descriptor::DataFile;
use crate::plan::manifest::OutputFormat;
use crate::plan::Approved;
use crate::vocab::Profile;

/// The resource field where ogpipe records which manifest resource and output a portal
/// resource is. Resources without it were not created by ogpipe and are never touched.
pub const KEY_FIELD: &str = "ogpipe_key";
/// The resource field where ogpipe records the file's SHA-256, since portals such as the
/// Government of Canada Registry overwrite `hash` with a digest of their own.
pub const SHA256_FIELD: &str = "ogpipe_sha256";

/// The dataset's metadata fields, without visibility (see [`visibility`]).
pub fn dataset_fields(
    profile: Profile,
    approved: &Approved,
    defaults: &Defaults,
    organization: &str,
) -> Map<String, Json> {
    let m = approved.manifest();
    let md = &m.metadata;
    let license = md
        .license_id
        .clone()
        .unwrap_or_else(|| defaults.license_id.clone());
    let maintainer = md
        .maintainer_email
        .clone()
        .or_else(|| defaults.maintainer_email.clone());
    let mut f = Map::new();
    match profile {
        Profile::Ckan => {
            f.insert("name".into(), json!(approved.slug()));
            f.insert("title".into(), json!(md.title.en));
            f.insert("notes".into(), json!(md.description.en));
            let mut tags: Vec<Json> = Vec::new();
            for k in md.keywords.en.iter().chain(&md.keywords.fr) {
                let t = json!({ "name": ckan_tag(k) });
                if !tags.contains(&t) {
                    tags.push(t);
                }
            }
            f.insert("tags".into(), Json::Array(tags));
        }
        Profile::OpenCanada => {
            let id = approved.id().to_string();
            f.insert("id".into(), json!(id));
            f.insert("name".into(), json!(id));
            f.insert("type".into(), json!("dataset"));
            f.insert("collection".into(), json!(defaults.collection));
            f.insert("title_translated".into(), json!(md.title));
            f.insert("notes_translated".into(), json!(md.description));
            f.insert("keywords".into(), json!(md.keywords));
            f.insert("subject".into(), json!(md.subject));
            f.insert("frequency".into(), json!(md.frequency));
            f.insert(
                "date_published".into(),
                json!(m.release.date.format("%Y-%m-%d").to_string()),
            );
            let jurisdiction = md
                .jurisdiction
                .clone()
                .unwrap_or_else(|| defaults.jurisdiction.clone());
            f.insert("jurisdiction".into(), json!(jurisdiction));
            f.insert("restrictions".into(), json!(defaults.restrictions));
            // Only datasets the gate approved reach this point, with an IMSO approval.
            f.insert("imso_approval".into(), json!("true"));
        }
    }
    f.insert("owner_org".into(), json!(organization));
    f.insert("license_id".into(), json!(license));
    if let Some(email) = maintainer {
        f.insert("maintainer_email".into(), json!(email));
    }
    f
}

/// CKAN tags allow only letters, digits, spaces, `-`, `_` and `.`: other characters
/// (the apostrophe of "accès à l'information") become spaces.
fn ckan_tag(keyword: &str) -> String {
    let cleaned: String = keyword
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " -_.".contains(c) {
                c
            } else {
                ' '
            }
        })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The fields that make a dataset visible (`public`) or keep it a draft.
pub fn visibility(profile: Profile, public: bool) -> Map<String, Json> {
    let mut f = Map::new();
    f.insert("private".into(), json!(!public));
    if profile == Profile::OpenCanada {
        f.insert(
            "ready_to_publish".into(),
            json!(if public { "true" } else { "false" }),
        );
    }
    f
}

/// Whether a dataset as the portal returned it is already visible.
///
/// Under the Government of Canada profile a dataset is released by `ready_to_publish`;
/// the Registry forces `private` on every edit, so `private` is not looked at there
/// (a portal that kept it private would be fought for ever).
pub fn is_public(profile: Profile, remote: &Json) -> bool {
    match profile {
        Profile::Ckan => remote.get("private").and_then(Json::as_bool) == Some(false),
        Profile::OpenCanada => {
            remote.get("ready_to_publish").and_then(Json::as_str) == Some("true")
        }
    }
}

/// A portal resource's identity: the manifest resource and the output format.
pub fn resource_key(file: &DataFile) -> String {
    format!("{}.{}", file.resource_key, file.format.extension())
}

/// The resource `format` a portal knows the output as: the Registry's vocabulary
/// calls newline-delimited JSON `JSONL`.
fn format_label(profile: Profile, f: OutputFormat) -> &'static str {
    match (f, profile) {
        (OutputFormat::Csv, _) => "CSV",
        (OutputFormat::Json, _) => "JSON",
        (OutputFormat::Ndjson, Profile::OpenCanada) => "JSONL",
        (OutputFormat::Ndjson, Profile::Ckan) => "NDJSON",
    }
}

/// The resource's fields, without the file.
pub fn resource_fields(
    profile: Profile,
    file: &DataFile,
    languages: &[String],
) -> Map<String, Json> {
    let label = format_label(profile, file.format);
    let title = |t: &str| format!("{t} ({label})");
    let mut f = profile_resource_fields(
        profile,
        languages,
        label,
        title(&file.title.en),
        title(&file.title.fr),
    );
    f.insert(
        "mimetype".into(),
        json!(crate::package::descriptor::media_type(file.format)),
    );
    f.insert("hash".into(), json!(file.sha256.prefixed()));
    f.insert(KEY_FIELD.into(), json!(resource_key(file)));
    f.insert(SHA256_FIELD.into(), json!(file.sha256.hex()));
    f
}

/// The fields a profile gives every resource, with the given names: what the portal's
/// schema is checked against before anything is built.
pub fn profile_resource_fields(
    profile: Profile,
    languages: &[String],
    format: &str,
    name_en: String,
    name_fr: String,
) -> Map<String, Json> {
    let mut f = Map::new();
    match profile {
        Profile::Ckan => {
            f.insert("name".into(), json!(name_en));
        }
        Profile::OpenCanada => {
            f.insert(
                "name_translated".into(),
                json!({ "en": name_en, "fr": name_fr }),
            );
            f.insert("resource_type".into(), json!("dataset"));
            f.insert("language".into(), json!(languages));
            f.insert("character_set".into(), json!("UTF-8"));
        }
    }
    f.insert("format".into(), json!(format));
    f
}

/// The SHA-256 a portal resource carries, from ogpipe's own field or a `sha256:` hash.
pub fn remote_sha256(resource: &Json) -> Option<Sha256Digest> {
    resource
        .get(SHA256_FIELD)
        .and_then(Json::as_str)
        .and_then(Sha256Digest::parse)
        .or_else(|| {
            resource
                .get("hash")
                .and_then(Json::as_str)
                .filter(|h| h.starts_with("sha256:"))
                .and_then(Sha256Digest::parse)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ckan_tags_keep_accents_and_drop_what_ckan_refuses() {
        assert_eq!(ckan_tag("accès à l'information"), "accès à l information");
        assert_eq!(ckan_tag("filtrage de sécurité"), "filtrage de sécurité");
        assert_eq!(ckan_tag("a/b  c"), "a b c");
    }
}
