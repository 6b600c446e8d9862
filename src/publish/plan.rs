//! Deciding what to change on the portal: the local package and the portal's state go
//! in, a list of steps comes out. Pure, so every case is a unit test and a dry run can
//! print exactly what a real run would do.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::{Map, Value as Json};

use super::request::{self, KEY_FIELD};
use crate::checksum::Sha256Digest;
use crate::vocab::Profile;

/// A resource of the local package, ready to upload.
#[derive(Debug, Clone, Serialize)]
pub struct LocalResource {
    /// `<manifest resource key>.<format>`: the portal resource's identity.
    pub key: String,
    pub path: PathBuf,
    pub file_name: String,
    pub sha256: Sha256Digest,
    pub bytes: u64,
    pub fields: Map<String, Json>,
}

/// What the portal should hold for one dataset.
#[derive(Debug, Clone, Serialize)]
pub struct LocalDataset {
    /// What `package_show` is asked for: the UUID (open-canada) or the name (ckan).
    pub lookup: String,
    pub fields: Map<String, Json>,
    pub resources: Vec<LocalResource>,
}

/// What ogpipe recorded of a resource it published before (from the journal).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedResource {
    pub resource_id: String,
    pub sha256: Sha256Digest,
}

/// One change to make on the portal.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// A new dataset, created as a draft.
    CreateDataset { fields: Map<String, Json> },
    /// Changed metadata of an existing dataset (only the changed keys are sent).
    PatchDataset {
        changed: Vec<String>,
        fields: Map<String, Json>,
    },
    UploadResource {
        key: String,
        bytes: u64,
        sha256: Sha256Digest,
    },
    ReplaceFile {
        key: String,
        resource_id: String,
        bytes: u64,
        sha256: Sha256Digest,
    },
    PatchResource {
        key: String,
        resource_id: String,
        changed: Vec<String>,
    },
    /// A resource ogpipe created that the manifest no longer lists (or a duplicate).
    DeleteResource { key: String, resource_id: String },
    /// A patch after deletions: CKAN does not advance `metadata_modified` on
    /// `resource_delete`, and harvesters that poll it would miss the removal.
    TouchDataset,
    /// The last step: make the dataset visible once every file is in place.
    MakePublic { fields: Map<String, Json> },
}

/// The steps for one dataset, in order, and what is already right.
#[derive(Debug, Clone, Serialize)]
pub struct PublishPlan {
    pub dataset: String,
    pub steps: Vec<Step>,
    pub unchanged: Vec<String>,
}

impl PublishPlan {
    pub fn is_noop(&self) -> bool {
        self.steps.is_empty()
    }
}

/// Resource fields compared for metadata changes. `hash` and `mimetype` are left out:
/// portals rewrite them, and a changed file is caught by its SHA-256 instead.
const RESOURCE_FIELDS: &[&str] = &[
    "name",
    "name_translated",
    "format",
    "resource_type",
    "language",
    "character_set",
];

/// Plans the sync of `local` against the portal's `remote` dataset (None if absent).
pub fn plan(
    profile: Profile,
    local: &LocalDataset,
    remote: Option<&Json>,
    recorded: &BTreeMap<String, RecordedResource>,
) -> PublishPlan {
    let mut steps = Vec::new();
    let mut unchanged = Vec::new();
    let Some(remote) = remote else {
        let mut fields = local.fields.clone();
        fields.extend(request::visibility(profile, false));
        steps.push(Step::CreateDataset { fields });
        for r in &local.resources {
            steps.push(Step::UploadResource {
                key: r.key.clone(),
                bytes: r.bytes,
                sha256: r.sha256,
            });
        }
        steps.push(Step::MakePublic {
            fields: request::visibility(profile, true),
        });
        return PublishPlan {
            dataset: local.lookup.clone(),
            steps,
            unchanged,
        };
    };

    let mut changed = Vec::new();
    let mut patch = Map::new();
    if remote.get("state").and_then(Json::as_str) == Some("deleted") {
        changed.push("state".to_string());
        patch.insert("state".into(), Json::from("active"));
    }
    for (k, want) in &local.fields {
        // owner_org comes back as the organization's id; it is set on create only.
        if k == "owner_org" || k == "id" {
            continue;
        }
        if !same_value(k, remote.get(k), want) {
            changed.push(k.clone());
            patch.insert(k.clone(), want.clone());
        }
    }
    if !changed.is_empty() {
        steps.push(Step::PatchDataset {
            changed,
            fields: patch,
        });
    }

    let remote_resources: Vec<&Json> = remote
        .get("resources")
        .and_then(Json::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let mut claimed = std::collections::BTreeSet::new();
    for r in &local.resources {
        let mut matches = remote_resources
            .iter()
            .filter(|rr| rr.get(KEY_FIELD).and_then(Json::as_str) == Some(r.key.as_str()));
        // A portal whose schema drops unknown resource fields loses `ogpipe_key`; the
        // resource id the journal recorded still names it.
        let by_record = || {
            let rec = recorded.get(&r.key)?;
            remote_resources
                .iter()
                .find(|rr| rr.get("id").and_then(Json::as_str) == Some(rec.resource_id.as_str()))
        };
        let Some(found) = matches.next().or_else(by_record) else {
            steps.push(Step::UploadResource {
                key: r.key.clone(),
                bytes: r.bytes,
                sha256: r.sha256,
            });
            continue;
        };
        let id = found
            .get("id")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string();
        claimed.insert(id.clone());
        // A crash between an upload and its record can leave twins: keep the first.
        for twin in matches {
            let tid = twin
                .get("id")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string();
            claimed.insert(tid.clone());
            steps.push(Step::DeleteResource {
                key: r.key.clone(),
                resource_id: tid,
            });
        }
        if file_changed(r, found, recorded.get(&r.key), &id) {
            steps.push(Step::ReplaceFile {
                key: r.key.clone(),
                resource_id: id,
                bytes: r.bytes,
                sha256: r.sha256,
            });
            continue;
        }
        let changed: Vec<String> = RESOURCE_FIELDS
            .iter()
            .filter(|f| {
                r.fields
                    .get(**f)
                    .is_some_and(|want| !same_value(f, found.get(**f), want))
            })
            .map(|f| f.to_string())
            .collect();
        if changed.is_empty() {
            unchanged.push(r.key.clone());
        } else {
            steps.push(Step::PatchResource {
                key: r.key.clone(),
                resource_id: id,
                changed,
            });
        }
    }
    for rr in &remote_resources {
        let Some(key) = rr.get(KEY_FIELD).and_then(Json::as_str) else {
            continue; // not ogpipe's: never touched
        };
        let id = rr.get("id").and_then(Json::as_str).unwrap_or_default();
        if !claimed.contains(id) {
            steps.push(Step::DeleteResource {
                key: key.to_string(),
                resource_id: id.to_string(),
            });
        }
    }
    if steps
        .iter()
        .any(|s| matches!(s, Step::DeleteResource { .. }))
    {
        steps.push(Step::TouchDataset);
    }
    if !request::is_public(profile, remote) {
        steps.push(Step::MakePublic {
            fields: request::visibility(profile, true),
        });
    }
    PublishPlan {
        dataset: local.lookup.clone(),
        steps,
        unchanged,
    }
}

/// Whether the portal's file differs from the local one.
///
/// The portal's own record wins when it carries ogpipe's SHA-256; a portal that dropped
/// the field is trusted only when the journal recorded this very resource with this
/// digest and the portal's size agrees.
fn file_changed(
    local: &LocalResource,
    remote: &Json,
    recorded: Option<&RecordedResource>,
    remote_id: &str,
) -> bool {
    let size_ok = remote
        .get("size")
        .and_then(Json::as_u64)
        .is_none_or(|s| s == local.bytes);
    match request::remote_sha256(remote) {
        Some(d) => d != local.sha256 || !size_ok,
        None => !recorded.is_some_and(|rec| {
            rec.sha256 == local.sha256 && rec.resource_id == remote_id && size_ok
        }),
    }
}

/// Compares a wanted value with the portal's, as the portal normalises it.
fn same_value(key: &str, remote: Option<&Json>, want: &Json) -> bool {
    let Some(remote) = remote else {
        return want.is_null();
    };
    if key == "tags" {
        let names = |v: &Json| -> std::collections::BTreeSet<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t.get("name").and_then(Json::as_str).map(str::to_string))
                .collect()
        };
        return names(remote) == names(want);
    }
    if let (Some(r), Some(w)) = (remote.as_str(), want.as_str()) {
        if let (Some(r), Some(w)) = (as_date(r), as_date(w)) {
            return r == w;
        }
    }
    remote == want
}

/// A date as portals write it back: `2026-04-01`, or the Registry's
/// `2026-04-01 00:00:00` (and `T00:00:00`) for the date it was sent.
fn as_date(s: &str) -> Option<chrono::NaiveDate> {
    let (day, rest) = s.split_at_checked(10)?;
    let rest = rest.trim_start_matches([' ', 'T']);
    if !(rest.is_empty() || rest.trim_end_matches(['0', ':', '.']).is_empty()) {
        return None;
    }
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests;
