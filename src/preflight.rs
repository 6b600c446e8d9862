//! Preflight: before a run publishes anything, every manifest, every schema and every
//! source file of the datasets to publish is checked, and the dataset metadata is
//! validated against the portal profile's JSON Schema in `schemas/`. A run whose
//! preflight finds anything publishes nothing and lists every problem at once.
//!
//! Pure but for reading the source files' first bytes and the schema files.

use std::fs::File;
use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value as Json;

use crate::checksum::Sha256Digest;
use crate::config::Pipeline;
use crate::package::descriptor::DataFile;
use crate::plan::manifest::resolve_source;
use crate::plan::{Approved, HoldReason, ReleasePlan};
use crate::publish::request;
use crate::read::Format;
use crate::validate::TableSchema;
use crate::vocab::Profile;

/// The JSON Schema of a dataset as ogpipe sends it, per profile.
pub fn dataset_schema(profile: Profile) -> &'static jsonschema::Validator {
    static OPEN_CANADA: OnceLock<jsonschema::Validator> = OnceLock::new();
    static CKAN: OnceLock<jsonschema::Validator> = OnceLock::new();
    let (cell, text) = match profile {
        Profile::OpenCanada => (
            &OPEN_CANADA,
            include_str!("../schemas/dataset-open-canada.json"),
        ),
        Profile::Ckan => (&CKAN, include_str!("../schemas/dataset-ckan.json")),
    };
    cell.get_or_init(|| {
        // safety: the schemas are part of the binary and a unit test compiles both.
        let schema: Json = serde_json::from_str(text).expect("bundled schema is JSON");
        jsonschema::validator_for(&schema).expect("bundled schema compiles")
    })
}

/// The dataset body (with its resources) that publishing would send.
pub fn dataset_body(pipeline: &Pipeline, approved: &Approved) -> Json {
    let profile = pipeline.portal.profile;
    let mut body = request::dataset_fields(
        profile,
        approved,
        &pipeline.defaults,
        &pipeline.portal.organization,
    );
    body.extend(request::visibility(profile, true));
    let resources: Vec<Json> = approved
        .manifest()
        .resources
        .iter()
        .flat_map(|spec| {
            spec.outputs.iter().map(|fmt| {
                let file = DataFile {
                    name: format!("{}.{}", spec.key, fmt.extension()),
                    resource_key: spec.key.clone(),
                    format: *fmt,
                    sha256: Sha256Digest([0; 32]),
                    bytes: 0,
                    title: spec.title.clone(),
                    schema: None,
                    rows: 0,
                };
                Json::Object(request::resource_fields(
                    profile,
                    &file,
                    &pipeline.defaults.languages,
                ))
            })
        })
        .collect();
    body.insert("resources".into(), Json::Array(resources));
    Json::Object(body)
}

/// Every problem that must stop the run, each naming its manifest and what to fix.
/// Source files are checked only when the run will read them (`sources`).
pub fn check(pipeline: &Pipeline, plan: &ReleasePlan, sources: bool) -> Vec<String> {
    let mut problems = Vec::new();
    for h in &plan.held {
        if let HoldReason::InvalidManifest { problems: p } = &h.reason {
            for item in p {
                problems.push(format!("{}: {item}", h.manifest_path.display()));
            }
        }
    }
    for a in &plan.approved {
        let at = a.manifest_path().display().to_string();
        let manifest_dir = a.manifest_path().parent().unwrap_or(Path::new("."));
        for (i, spec) in a.manifest().resources.iter().enumerate() {
            let key = format!("{at}: resources[{i}]");
            if !sources {
                continue;
            }
            match resolve_source(&pipeline.paths.data, &spec.source) {
                Ok(path) => {
                    let declared = spec.format.or_else(|| Format::from_extension(&path));
                    let found = File::open(&path).and_then(Format::sniff_reader);
                    match (declared, found) {
                        (Some(d), Ok(found)) if !d.accepts(found) => problems.push(format!(
                            "{key}.source: \"{}\" is declared {d} but its content is {}",
                            spec.source,
                            found
                                .map(|f| f.to_string())
                                .unwrap_or_else(|| "not a recognised format".into())
                        )),
                        (_, Err(e)) => problems.push(format!(
                            "{key}.source: cannot read \"{}\": {e}",
                            spec.source
                        )),
                        _ => {}
                    }
                }
                Err(e) => problems.push(format!("{key}.source: {e}")),
            }
            if let Some(rel) = &spec.schema {
                let p = manifest_dir.join(rel);
                match std::fs::read_to_string(&p) {
                    Ok(text) => match TableSchema::from_json(&text) {
                        Ok(s) => problems.extend(
                            s.check()
                                .into_iter()
                                .map(|e| format!("{key}.schema: {}: {e}", p.display())),
                        ),
                        Err(e) => problems.push(format!("{key}.schema: {}: {e}", p.display())),
                    },
                    Err(e) => {
                        problems.push(format!("{key}.schema: cannot read {}: {e}", p.display()))
                    }
                }
            }
        }
        let body = dataset_body(pipeline, a);
        for err in dataset_schema(pipeline.portal.profile).iter_errors(&body) {
            let path = err.instance_path().to_string();
            problems.push(format!(
                "{at}: dataset field {}: {err}",
                if path.is_empty() {
                    "/".to_string()
                } else {
                    path
                }
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_schemas_compile_and_agree_with_the_vocabularies() {
        dataset_schema(Profile::Ckan);
        dataset_schema(Profile::OpenCanada);
        let s: Json =
            serde_json::from_str(include_str!("../schemas/dataset-open-canada.json")).unwrap();
        let list = |v: &Json| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_string())
                .collect()
        };
        let p = &s["properties"];
        assert_eq!(list(&p["subject"]["items"]["enum"]), crate::vocab::SUBJECTS);
        assert_eq!(list(&p["frequency"]["enum"]), crate::vocab::FREQUENCIES);
        assert_eq!(
            list(&p["jurisdiction"]["enum"]),
            crate::vocab::JURISDICTIONS
        );
        assert_eq!(list(&p["license_id"]["enum"]), crate::vocab::LICENSES);
        assert_eq!(list(&p["collection"]["enum"]), crate::vocab::COLLECTIONS);
        assert_eq!(list(&p["restrictions"]["enum"]), crate::vocab::RESTRICTIONS);
        let r = &s["$defs"]["resource"]["properties"];
        assert_eq!(list(&r["format"]["enum"]), crate::vocab::FORMATS);
        assert_eq!(
            list(&r["resource_type"]["enum"]),
            crate::vocab::RESOURCE_TYPES
        );
        assert_eq!(
            list(&r["language"]["items"]["enum"]),
            crate::vocab::LANGUAGES
        );
    }

    #[test]
    fn open_canada_schema_rejects_what_the_registry_rejects() {
        let v = dataset_schema(Profile::OpenCanada);
        let good = serde_json::json!({
            "id": "6f1c2b0e-6a43-5d0b-9d1e-3f6a8a1d2c44", "name": "6f1c2b0e-6a43-5d0b-9d1e-3f6a8a1d2c44",
            "type": "dataset", "owner_org": "csis-scrs", "collection": "primary",
            "title_translated": {"en": "T", "fr": "T"}, "notes_translated": {"en": "N", "fr": "N"},
            "keywords": {"en": ["security screening"], "fr": ["filtrage de sécurité"]},
            "subject": ["government_and_politics"], "frequency": "P1Y", "date_published": "2026-06-30",
            "jurisdiction": "federal", "license_id": "ca-ogl-lgo", "restrictions": "unrestricted",
            "imso_approval": "true", "ready_to_publish": "true",
            "resources": [{"name_translated": {"en": "R", "fr": "R"}, "resource_type": "dataset", "language": ["en", "fr"]}]
        });
        assert!(
            v.is_valid(&good),
            "{:?}",
            v.iter_errors(&good)
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
        );
        let bad = |f: &dyn Fn(&mut Json)| {
            let mut d = good.clone();
            f(&mut d);
            !v.is_valid(&d)
        };
        assert!(
            bad(&|d| d["title_translated"]["fr"] = "".into()),
            "missing French title"
        );
        assert!(
            bad(&|d| d["subject"] = serde_json::json!(["astrology"])),
            "unknown subject"
        );
        assert!(
            bad(&|d| d["keywords"]["en"] = serde_json::json!(["x".repeat(141)])),
            "141-character keyword"
        );
        assert!(
            bad(&|d| d["keywords"]["en"] = serde_json::json!(["two  spaces"])),
            "double space"
        );
        assert!(
            bad(&|d| d["resources"][0]["language"] = serde_json::json!(["zxx", "en"])),
            "zxx with others"
        );
        assert!(
            bad(&|d| {
                d["imso_approval"] = "false".into();
            }),
            "ready without IMSO approval"
        );
    }
}
