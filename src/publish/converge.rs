//! Whether a sync is getting anywhere: what one pass sent, set against what the next
//! pass's plan still wants to change.
//!
//! Real portals keep only what their schema knows: core CKAN silently drops unknown
//! top-level keys, a ckanext-scheming portal drops the fields its schema lacks, the
//! Government of Canada Registry forces `private`. Planning again after such a write
//! plans the same write again, for ever. So a field, file or visibility that was sent in
//! one pass and is still to change in the next is a mismatch between the profile and the
//! portal, and the sync stops with the field named. Pure, so every case is a unit test.

use serde::Serialize;
use serde_json::{Map, Value as Json};

use super::plan::Step;
use super::request::KEY_FIELD;

/// One thing that did not read back as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// A dataset field (`imso_approval`), `resource <key>: <field>`, or `file <key>`.
    pub what: String,
    pub sent: String,
    pub got: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: sent {}, the portal has {}",
            self.what, self.sent, self.got
        )
    }
}

/// The steps to carry out in this pass. Making a dataset public waits for a pass of its
/// own, so that it happens only after a re-read showed everything else in place.
pub(super) fn this_pass(mut steps: Vec<Step>) -> Vec<Step> {
    if steps.len() > 1 {
        steps.retain(|s| !matches!(s, Step::MakePublic { .. }));
    }
    steps
}

/// What `planned` (the plan made from the re-read `remote`) still wants to change of
/// what `sent` (the previous pass, run to its end) wrote.
pub(super) fn mismatches(sent: &[Step], planned: &[Step], remote: &Json) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let sent_fields = |key: &str| {
        sent.iter().rev().find_map(|s| match s {
            Step::CreateDataset { fields }
            | Step::PatchDataset { fields, .. }
            | Step::MakePublic { fields } => fields.get(key),
            _ => None,
        })
    };
    for step in planned {
        match step {
            Step::PatchDataset { changed, .. } => {
                for k in changed {
                    if let Some(v) = sent_fields(k) {
                        out.push(Mismatch {
                            what: k.clone(),
                            sent: show(Some(v)),
                            got: show(remote.get(k)),
                        });
                    }
                }
            }
            Step::MakePublic { fields } => {
                if sent.iter().any(|s| matches!(s, Step::MakePublic { .. })) {
                    for (k, v) in fields {
                        if remote.get(k) != Some(v) {
                            out.push(Mismatch {
                                what: k.clone(),
                                sent: show(Some(v)),
                                got: show(remote.get(k)),
                            });
                        }
                    }
                }
            }
            Step::UploadResource { key, bytes, sha256 }
            | Step::ReplaceFile {
                key, bytes, sha256, ..
            } => {
                if sent.iter().any(|s| uploads(s, key)) {
                    let got = resource_by_key(remote, key)
                        .map(|r| {
                            format!(
                                "a resource of {} bytes with digest {}",
                                show(r.get("size")),
                                show(r.get(super::request::SHA256_FIELD))
                            )
                        })
                        .unwrap_or_else(|| format!("no resource carrying {KEY_FIELD} = \"{key}\""));
                    out.push(Mismatch {
                        what: format!("file {key}"),
                        sent: format!("{bytes} bytes with SHA-256 {}", sha256.hex()),
                        got,
                    });
                }
            }
            Step::PatchResource {
                key,
                resource_id,
                changed,
            } => {
                let fields = sent.iter().rev().find_map(|s| match s {
                    Step::PatchResource { key: k, .. } if k == key => Some(()),
                    s if uploads(s, key) => Some(()),
                    _ => None,
                });
                if fields.is_some() {
                    let found = resource_by_id(remote, resource_id);
                    for f in changed {
                        out.push(Mismatch {
                            what: format!("resource {key}: {f}"),
                            sent: "the manifest's value".into(),
                            got: show(found.and_then(|r| r.get(f))),
                        });
                    }
                }
            }
            Step::DeleteResource { key, resource_id } => {
                let deleted = sent.iter().any(
                    |s| matches!(s, Step::DeleteResource { resource_id: r, .. } if r == resource_id),
                );
                if deleted {
                    out.push(Mismatch {
                        what: format!("resource {key} ({resource_id})"),
                        sent: "a deletion".into(),
                        got: "the resource still there".into(),
                    });
                }
            }
            Step::CreateDataset { .. } | Step::TouchDataset => {}
        }
    }
    out
}

fn uploads(step: &Step, key: &str) -> bool {
    matches!(step, Step::UploadResource { key: k, .. } | Step::ReplaceFile { key: k, .. } if k == key)
}

fn resources(remote: &Json) -> impl Iterator<Item = &Map<String, Json>> {
    remote
        .get("resources")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_object)
}

fn resource_by_key<'a>(remote: &'a Json, key: &str) -> Option<&'a Map<String, Json>> {
    resources(remote).find(|r| r.get(KEY_FIELD).and_then(Json::as_str) == Some(key))
}

fn resource_by_id<'a>(remote: &'a Json, id: &str) -> Option<&'a Map<String, Json>> {
    resources(remote).find(|r| r.get("id").and_then(Json::as_str) == Some(id))
}

/// A value as a person reads it in a message: JSON, cut short.
fn show(v: Option<&Json>) -> String {
    match v {
        None => "nothing (the field is not there: the portal dropped it)".into(),
        Some(v) => {
            let s = v.to_string();
            if s.chars().count() > 80 {
                format!("{}…", s.chars().take(80).collect::<String>())
            } else {
                s
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum::Sha256Digest;
    use serde_json::json;

    fn fields(v: Json) -> Map<String, Json> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn making_public_waits_for_a_pass_of_its_own() {
        let public = Step::MakePublic {
            fields: fields(json!({"private": false})),
        };
        let steps = this_pass(vec![Step::TouchDataset, public.clone()]);
        assert!(matches!(steps[..], [Step::TouchDataset]));
        let steps = this_pass(vec![public]);
        assert!(matches!(steps[..], [Step::MakePublic { .. }]));
    }

    #[test]
    fn a_dropped_field_that_was_sent_is_a_mismatch_naming_it() {
        let sent = [Step::CreateDataset {
            fields: fields(json!({"name": "ds", "imso_approval": "true"})),
        }];
        let planned = [Step::PatchDataset {
            changed: vec!["imso_approval".into()],
            fields: fields(json!({"imso_approval": "true"})),
        }];
        let m = mismatches(&sent, &planned, &json!({"name": "ds"}));
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].what, "imso_approval");
        assert_eq!(m[0].sent, "\"true\"");
        assert!(m[0].got.contains("dropped"), "{}", m[0]);
    }

    #[test]
    fn a_change_not_sent_before_is_not_a_mismatch() {
        let sent = [Step::PatchDataset {
            changed: vec!["title".into()],
            fields: fields(json!({"title": "T"})),
        }];
        let planned = [Step::PatchDataset {
            changed: vec!["notes".into()],
            fields: fields(json!({"notes": "N"})),
        }];
        assert!(mismatches(&sent, &planned, &json!({})).is_empty());
    }

    #[test]
    fn a_visibility_the_portal_ignores_is_a_mismatch() {
        let public = Step::MakePublic {
            fields: fields(json!({"private": false})),
        };
        let m = mismatches(
            std::slice::from_ref(&public),
            std::slice::from_ref(&public),
            &json!({"private": true}),
        );
        assert_eq!(m[0].what, "private");
        assert_eq!(m[0].got, "true");
    }

    #[test]
    fn a_file_uploaded_and_still_missing_is_a_mismatch() {
        let up = Step::UploadResource {
            key: "t.csv".into(),
            bytes: 3,
            sha256: Sha256Digest::of(b"abc"),
        };
        let m = mismatches(
            std::slice::from_ref(&up),
            std::slice::from_ref(&up),
            &json!({"resources": []}),
        );
        assert_eq!(m[0].what, "file t.csv");
        assert!(m[0].got.contains("no resource"), "{}", m[0]);
    }

    #[test]
    fn a_deleted_resource_still_there_is_a_mismatch() {
        let del = Step::DeleteResource {
            key: "old.csv".into(),
            resource_id: "r9".into(),
        };
        let m = mismatches(
            std::slice::from_ref(&del),
            std::slice::from_ref(&del),
            &json!({}),
        );
        assert_eq!(m.len(), 1);
    }
}
