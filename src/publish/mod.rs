//! The publish stage: syncing a package to a CKAN portal, idempotently.
//!
//! Split three ways, as the style guide asks: [`request`] builds bodies and [`plan`]
//! decides the steps (both pure), and [`client`] is the only code that touches the
//! network. [`sync`] ties them: read the portal, plan, carry the plan out; when a create
//! may or may not have landed, read again and plan again rather than repeat it.

pub mod client;
pub mod error;
pub mod existing;
pub mod plan;
pub mod request;
pub mod retry;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Value as Json};

pub use client::{Client, Failure, Safety};
pub use error::{CkanError, PublishError};
pub use plan::{LocalDataset, LocalResource, PublishPlan, RecordedResource, Step};

use crate::checksum::Sha256Digest;
use crate::vocab::Profile;

/// How often a dataset is re-read and re-planned after an ambiguous create.
const MAX_REPLANS: u32 = 4;

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

/// Brings the portal's dataset in line with `local`.
///
/// # Errors
/// The portal refused a change, kept failing, or answered inconsistently. Whatever was
/// done before stays done, and the dataset stays a draft until every file is confirmed.
#[tracing::instrument(name = "publish", skip_all, fields(dataset = %local.lookup))]
pub async fn sync(
    client: &Client,
    profile: Profile,
    local: &LocalDataset,
    recorded: &BTreeMap<String, RecordedResource>,
) -> Result<SyncOutcome, PublishError> {
    let mut done: Vec<Step> = Vec::new();
    let mut replans = 0;
    // Whether the dataset was new to the portal when this sync began.
    let mut was_absent = None;
    // Whether a create may have landed unseen, so that "already exists" means "found".
    let mut unsure = false;
    'replan: loop {
        let remote = show(client, &local.lookup).await?;
        let created = *was_absent.get_or_insert(remote.is_none());
        let plan = plan::plan(profile, local, remote.as_ref(), recorded);
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
        let mut dataset_id = remote
            .as_ref()
            .and_then(|r| r.get("id"))
            .and_then(Json::as_str)
            .map(str::to_string);
        for step in plan.steps {
            match execute(client, local, &step, dataset_id.as_deref()).await {
                Ok(result) => {
                    if let Step::CreateDataset { .. } = step {
                        dataset_id = result.get("id").and_then(Json::as_str).map(str::to_string);
                    }
                    tracing::debug!(step = step_name(&step), "Portal updated.");
                    done.push(step);
                }
                Err(Failure::Ambiguous { error, settle }) if replans < MAX_REPLANS => {
                    replans += 1;
                    unsure = true;
                    tracing::warn!(
                        step = step_name(&step),
                        error = %error,
                        settle_ms = settle.as_millis() as u64,
                        "A change may have reached the portal; re-reading before going on."
                    );
                    tokio::time::sleep(settle).await;
                    continue 'replan;
                }
                // A create that timed out and landed after the re-read: now it is found.
                Err(Failure::Final(error))
                    if unsure && replans < MAX_REPLANS && already_exists(&step, &error) =>
                {
                    replans += 1;
                    tracing::warn!(error = %error, "The dataset exists after all; re-reading.");
                    continue 'replan;
                }
                Err(f) => return Err(f.into_error()),
            }
        }
    }
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
        Step::MakePublic { .. } => "make_public",
    }
}

async fn execute(
    client: &Client,
    local: &LocalDataset,
    step: &Step,
    dataset_id: Option<&str>,
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
