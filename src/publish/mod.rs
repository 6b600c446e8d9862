//! The publish stage: syncing a package to a CKAN portal, idempotently.
//!
//! Split three ways, as the style guide asks: [`request`] builds bodies and [`plan`]
//! decides the steps (both pure), and [`client`] is the only code that touches the
//! network. [`sync`] ties them: read the portal, plan, carry the plan out; when a create
//! may or may not have landed, read again and plan again rather than repeat it.

pub mod client;
mod converge;
pub mod error;
pub mod existing;
pub mod plan;
pub mod probe;
pub mod request;
pub mod retry;
mod rollback;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Value as Json};

pub use client::{Client, Failure, Safety};
pub use error::{CkanError, PublishError};
pub use plan::{LocalDataset, LocalResource, PublishPlan, RecordedResource, Step};

use crate::checksum::Sha256Digest;
use crate::vocab::Profile;

/// A resource as it now stands on the portal.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedResource {
    pub key: String,
    pub resource_id: String,
    pub url: String,
    pub sha256: Sha256Digest,
    pub bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    Created,
    Updated,
    Unchanged,
}

/// What a sync did.
#[derive(Debug, Clone, Serialize)]
pub struct SyncOutcome {
    pub status: SyncStatus,
    pub dataset_id: String,
    pub dataset_name: String,
    pub dataset_url: String,
    pub resources: Vec<PublishedResource>,
    pub steps: Vec<Step>,
}

/// Reads a dataset; `None` when the portal has no such dataset.
///
/// # Errors
/// The portal failed or refused the read.
pub async fn show(client: &Client, lookup: &str) -> Result<Option<Json>, PublishError> {
    match client
        .action("package_show", &json!({ "id": lookup }), Safety::Idempotent)
        .await
    {
        Ok(v) => Ok(Some(v)),
        Err(Failure::Final(PublishError::Rejected {
            error: CkanError::NotFound(_),
            ..
        })) => Ok(None),
        Err(f) => Err(f.into_error()),
    }
}

/// Plans without changing anything: what `--dry-run` prints.
///
/// # Errors
/// The portal could not be read.
pub async fn dry_run(
    client: &Client,
    profile: Profile,
    local: &LocalDataset,
    recorded: &BTreeMap<String, RecordedResource>,
) -> Result<PublishPlan, PublishError> {
    let remote = show(client, &local.lookup).await?;
    Ok(plan::plan(profile, local, remote.as_ref(), recorded))
}

/// How many times a dataset is read, planned and written in one sync, whatever happens.
/// A clean sync takes two passes (write, then read back) and a new dataset three (write,
/// make public once everything read back, confirm); the rest is room for one ambiguous
/// create to settle.
pub const MAX_PASSES: u32 = 4;

/// Brings the portal's dataset in line with `local`.
///
/// Each pass reads the dataset, plans and carries the plan out. A field, file or
/// visibility that was written in one pass and does not read back as sent in the next
/// is a mismatch between the profile and the portal: the sync stops at once with
/// [`PublishError::NotConverged`] instead of writing it again. A dataset that was not
/// public is made public only in a pass of its own, after the re-read showed its
/// metadata and every file in place.
///
/// # Errors
/// The portal refused a change, kept failing, answered inconsistently, or did not keep
/// what was sent. Whatever was done before stays done, and a dataset that was not public
/// stays a draft.
#[tracing::instrument(name = "publish", skip_all, fields(dataset = %local.lookup))]
pub async fn sync(
    client: &Client,
    profile: Profile,
    local: &LocalDataset,
    recorded: &BTreeMap<String, RecordedResource>,
) -> Result<SyncOutcome, PublishError> {
    let mut done: Vec<Step> = Vec::new();
    // The journal's record, plus the resources this sync uploaded: a portal whose schema
    // drops `ogpipe_key` still shows them by id in the next pass.
    let mut recorded = recorded.clone();
    // What the previous pass wrote, when it ran to its end; the next read must show it.
    let mut previous: Option<Vec<Step>> = None;
    // Whether the dataset was new to the portal when this sync began.
    let mut was_absent = None;
    // Whether a create may have landed unseen, so that "already exists" means "found".
    let mut unsure = false;
    // The failure that ended the last pass early, reported if no pass is left.
    let mut last_failure = None;
    'pass: for _ in 0..MAX_PASSES {
        let remote = show(client, &local.lookup).await?;
        let created = *was_absent.get_or_insert(remote.is_none());
        if let Some(owner) = remote.as_ref().and_then(|r| foreign_owner(client, r)) {
            return Err(PublishError::Foreign {
                dataset: local.lookup.clone(),
                owner,
                organization: client.organization().to_string(),
            });
        }
        let plan = plan::plan(profile, local, remote.as_ref(), &recorded);
        if plan.is_noop() {
            let remote = remote.ok_or_else(|| PublishError::Inconsistent {
                dataset: local.lookup.clone(),
                detail: "the portal does not show the dataset after it was created".into(),
            })?;
            let status = match (created, done.is_empty()) {
                (true, _) => SyncStatus::Created,
                (false, true) => SyncStatus::Unchanged,
                (false, false) => SyncStatus::Updated,
            };
            return outcome(client, local, &remote, status, done);
        }
        if let (Some(sent), Some(remote)) = (&previous, &remote) {
            let fields = converge::mismatches(sent, &plan.steps, remote);
            if !fields.is_empty() {
                return Err(PublishError::NotConverged {
                    dataset: local.lookup.clone(),
                    fields,
                });
            }
        }
        too_large(client, local, &plan.steps)?;
        let steps = converge::this_pass(plan.steps);
        let mut dataset_id = remote
            .as_ref()
            .and_then(|r| r.get("id"))
            .and_then(Json::as_str)
            .map(str::to_string);
        // A public dataset must never serve a mix of old and new files: what this pass
        // replaces is copied first, so that a pass failing half-way can be undone.
        let public_before = remote
            .as_ref()
            .filter(|r| !created && request::is_public(profile, r));
        let backups = match public_before {
            Some(r) => rollback::Backups::take(client, r, &steps).await?,
            None => rollback::Backups::default(),
        };
        let mut sent = Vec::new();
        // This pass's steps, with the id of a resource each created, for a rollback.
        let mut this_pass: Vec<(Step, Option<String>)> = Vec::new();
        let touch = touch_fields(profile, remote.as_ref());
        for step in steps {
            match execute(client, local, &step, dataset_id.as_deref(), &touch).await {
                Ok(result) => {
                    match &step {
                        Step::CreateDataset { .. } => {
                            dataset_id =
                                result.get("id").and_then(Json::as_str).map(str::to_string);
                        }
                        Step::UploadResource { key, sha256, .. }
                        | Step::ReplaceFile { key, sha256, .. } => {
                            if let Some(id) = result.get("id").and_then(Json::as_str) {
                                recorded.insert(
                                    key.clone(),
                                    RecordedResource {
                                        resource_id: id.to_string(),
                                        sha256: *sha256,
                                    },
                                );
                            }
                        }
                        _ => {}
                    }
                    tracing::debug!(step = step_name(&step), "Portal updated.");
                    let created_id = result.get("id").and_then(Json::as_str).map(str::to_string);
                    this_pass.push((step.clone(), created_id));
                    sent.push(step.clone());
                    done.push(step);
                }
                Err(Failure::Ambiguous { error, settle }) => {
                    unsure = true;
                    previous = None;
                    tracing::warn!(
                        step = step_name(&step),
                        error = %error,
                        settle_ms = settle.as_millis() as u64,
                        "A change may have reached the portal; re-reading before going on."
                    );
                    tokio::time::sleep(settle).await;
                    last_failure = Some(error);
                    continue 'pass;
                }
                // A create that timed out and landed after the re-read: now it is found.
                Err(Failure::Final(error)) if unsure && already_exists(&step, &error) => {
                    previous = None;
                    tracing::warn!(error = %error, "The dataset exists after all; re-reading.");
                    last_failure = Some(error);
                    continue 'pass;
                }
                Err(f) => {
                    let error = f.into_error();
                    return Err(match public_before {
                        Some(before) if !this_pass.is_empty() => {
                            tracing::warn!(error = %error, "Update failed part-way; putting the public dataset back as it was.");
                            rollback::undo(
                                client,
                                &local.lookup,
                                before,
                                &this_pass,
                                &backups,
                                error,
                            )
                            .await
                        }
                        _ => error,
                    });
                }
            }
        }
        previous = Some(sent);
        last_failure = None;
    }
    Err(last_failure.unwrap_or_else(|| PublishError::TooManyPasses {
        dataset: local.lookup.clone(),
        passes: MAX_PASSES,
    }))
}

/// The owning organization of a dataset that belongs to another organization than the
/// configured one: dataset names are unique across a whole CKAN site, so a name ogpipe
/// derives can already be another organization's dataset, which must never be changed.
fn foreign_owner(client: &Client, remote: &Json) -> Option<String> {
    let org = client.organization();
    let owner = remote.get("owner_org").and_then(Json::as_str);
    let org_name = remote
        .get("organization")
        .and_then(|o| o.get("name"))
        .and_then(Json::as_str);
    if owner == Some(org) || org_name == Some(org) || owner.is_none() {
        return None;
    }
    Some(org_name.or(owner).unwrap_or_default().to_string())
}

/// Refuses, before anything of the pass is sent, a file the portal would refuse: a
/// dataset whose second file is refused after its first was replaced would serve a mix.
fn too_large(client: &Client, local: &LocalDataset, steps: &[Step]) -> Result<(), PublishError> {
    let limit = client.max_upload_bytes();
    for s in steps {
        if let Step::UploadResource { key, bytes, .. } | Step::ReplaceFile { key, bytes, .. } = s {
            if *bytes > limit {
                let file = local
                    .resources
                    .iter()
                    .find(|r| &r.key == key)
                    .map_or_else(|| key.clone(), |r| r.path.display().to_string());
                return Err(PublishError::TooLarge {
                    dataset: local.lookup.clone(),
                    file,
                    bytes: *bytes,
                    limit_mb: limit >> 20,
                });
            }
        }
    }
    Ok(())
}

/// Whether a `package_create` was refused because the dataset is already there.
fn already_exists(step: &Step, error: &PublishError) -> bool {
    let PublishError::Rejected {
        error: CkanError::Validation(fields),
        ..
    } = error
    else {
        return false;
    };
    matches!(step, Step::CreateDataset { .. })
        && ["id", "name"].iter().any(|k| {
            fields.get(*k).is_some_and(|msgs| {
                msgs.iter()
                    .any(|m| m.contains("already in use") || m.contains("already exists"))
            })
        })
}

fn step_name(s: &Step) -> &'static str {
    match s {
        Step::CreateDataset { .. } => "create_dataset",
        Step::PatchDataset { .. } => "patch_dataset",
        Step::UploadResource { .. } => "upload_resource",
        Step::ReplaceFile { .. } => "replace_file",
        Step::PatchResource { .. } => "patch_resource",
        Step::DeleteResource { .. } => "delete_resource",
        Step::TouchDataset => "touch_dataset",
        Step::MakePublic { .. } => "make_public",
    }
}

/// What a touch changes so that CKAN advances `metadata_modified`: a patch that changes
/// nothing leaves it as it was (observed on CKAN 2.12). Core CKAN keeps dataset
/// `extras`, so ogpipe sets its own `ogpipe_changed` there, keeping the others; the
/// Government of Canada schema has `date_modified`, which is what a removal is.
fn touch_fields(profile: Profile, remote: Option<&Json>) -> serde_json::Map<String, Json> {
    let now = chrono::Utc::now();
    let mut f = serde_json::Map::new();
    match profile {
        Profile::Ckan => {
            let mut extras: Vec<Json> = remote
                .and_then(|r| r.get("extras"))
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .filter(|e| e.get("key").and_then(Json::as_str) != Some(TOUCH_EXTRA))
                .cloned()
                .collect();
            extras.push(json!({
                "key": TOUCH_EXTRA,
                "value": now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            }));
            f.insert("extras".into(), Json::Array(extras));
        }
        Profile::OpenCanada => {
            f.insert(
                "date_modified".into(),
                json!(now.date_naive().format("%Y-%m-%d").to_string()),
            );
        }
    }
    f
}

/// The dataset extra where ogpipe records when it last removed a resource.
const TOUCH_EXTRA: &str = "ogpipe_changed";

async fn execute(
    client: &Client,
    local: &LocalDataset,
    step: &Step,
    dataset_id: Option<&str>,
    touch: &serde_json::Map<String, Json>,
) -> Result<Json, Failure> {
    let id = || {
        dataset_id.map(str::to_string).ok_or_else(|| {
            Failure::Final(PublishError::Inconsistent {
                dataset: local.lookup.clone(),
                detail: "no dataset id to change".into(),
            })
        })
    };
    let resource = |key: &str| {
        local
            .resources
            .iter()
            .find(|r| r.key == key)
            .ok_or_else(|| {
                Failure::Final(PublishError::Inconsistent {
                    dataset: local.lookup.clone(),
                    detail: format!("the plan names resource {key}, which the package lacks"),
                })
            })
    };
    match step {
        Step::CreateDataset { fields } => {
            client
                .action(
                    "package_create",
                    &Json::Object(fields.clone()),
                    Safety::Once,
                )
                .await
        }
        Step::TouchDataset => {
            let mut body = touch.clone();
            body.insert("id".into(), json!(id()?));
            client
                .action("package_patch", &Json::Object(body), Safety::Idempotent)
                .await
        }
        Step::PatchDataset { fields, .. } | Step::MakePublic { fields } => {
            let mut body = fields.clone();
            body.insert("id".into(), json!(id()?));
            client
                .action("package_patch", &Json::Object(body), Safety::Idempotent)
                .await
        }
        Step::UploadResource { key, .. } | Step::ReplaceFile { key, .. } => {
            let r = resource(key)?;
            let mut fields = r.fields.clone();
            let (action, safety) = match step {
                Step::ReplaceFile { resource_id, .. } => {
                    fields.insert("id".into(), json!(resource_id));
                    ("resource_update", Safety::Idempotent)
                }
                _ => {
                    fields.insert("package_id".into(), json!(id()?));
                    ("resource_create", Safety::Once)
                }
            };
            let mime = fields
                .get("mimetype")
                .and_then(Json::as_str)
                .unwrap_or("application/octet-stream")
                .to_string();
            let result = client
                .upload(action, &fields, &r.path, &r.file_name, &mime, safety)
                .await?;
            confirm_upload(local, r, &result)?;
            Ok(result)
        }
        Step::PatchResource {
            key, resource_id, ..
        } => {
            let r = resource(key)?;
            let mut body = r.fields.clone();
            body.insert("id".into(), json!(resource_id));
            client
                .action("resource_patch", &Json::Object(body), Safety::Idempotent)
                .await
        }
        Step::DeleteResource { resource_id, .. } => {
            client
                .action(
                    "resource_delete",
                    &json!({ "id": resource_id }),
                    Safety::Idempotent,
                )
                .await
        }
    }
}

/// A file counts as uploaded only when the portal reports its exact size and digest.
fn confirm_upload(local: &LocalDataset, r: &LocalResource, result: &Json) -> Result<(), Failure> {
    let size = result.get("size").and_then(Json::as_u64);
    let sha = request::remote_sha256(result);
    if size.is_some_and(|s| s != r.bytes) || sha.is_some_and(|d| d != r.sha256) {
        return Err(Failure::Final(PublishError::Inconsistent {
            dataset: local.lookup.clone(),
            detail: format!(
                "resource {}: the portal holds {} bytes, ogpipe sent {}; the dataset stays a draft, run again",
                r.key,
                size.map(|s| s.to_string()).unwrap_or_else(|| "?".into()),
                r.bytes
            ),
        }));
    }
    Ok(())
}

fn outcome(
    client: &Client,
    local: &LocalDataset,
    remote: &Json,
    status: SyncStatus,
    steps: Vec<Step>,
) -> Result<SyncOutcome, PublishError> {
    let s = |k: &str| {
        remote
            .get(k)
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let remote_resources = remote.get("resources").and_then(Json::as_array);
    let resources = local
        .resources
        .iter()
        .filter_map(|r| {
            let rr = remote_resources?
                .iter()
                .find(|rr| rr.get(request::KEY_FIELD).and_then(Json::as_str) == Some(&r.key))?;
            Some(PublishedResource {
                key: r.key.clone(),
                resource_id: rr
                    .get("id")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .into(),
                url: rr
                    .get("url")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .into(),
                sha256: r.sha256,
                bytes: r.bytes,
            })
        })
        .collect();
    let name = s("name");
    Ok(SyncOutcome {
        status,
        dataset_id: s("id"),
        dataset_url: format!("{}/dataset/{name}", client.base_url()),
        dataset_name: name,
        resources,
        steps,
    })
}

#[cfg(test)]
mod sync_tests {
    use super::*;

    fn rejected(body: &str) -> PublishError {
        PublishError::Rejected {
            action: "package_create".into(),
            status: 409,
            error: CkanError::from_body(body),
            hint: String::new(),
        }
    }

    #[test]
    fn only_a_create_refused_as_a_duplicate_counts_as_found() {
        let create = Step::CreateDataset {
            fields: Default::default(),
        };
        let dup_name = rejected(
            r#"{"error": {"__type": "Validation Error", "name": ["That URL is already in use."]}}"#,
        );
        let dup_id = rejected(
            r#"{"error": {"__type": "Validation Error", "id": ["Dataset id already exists"]}}"#,
        );
        let other = rejected(
            r#"{"error": {"__type": "Validation Error", "title_translated": ["Required language \"fr\" missing"]}}"#,
        );
        assert!(already_exists(&create, &dup_name));
        assert!(already_exists(&create, &dup_id));
        assert!(!already_exists(&create, &other));
        let public = Step::MakePublic {
            fields: Default::default(),
        };
        assert!(!already_exists(&public, &dup_name));
    }
}
