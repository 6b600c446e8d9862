//! Putting a public dataset back as it was when an update fails part-way.
//!
//! A public dataset whose first file was replaced and whose second was refused would
//! serve the new CSV next to the old JSON. So before a pass replaces files of a public
//! dataset, the portal's current files are downloaded ([`Backups::take`]); if the pass
//! then fails, what it changed is undone ([`undo`]): files uploaded again from the
//! backups, metadata patched back, new resources deleted. Deletions come last in a plan,
//! so a failed pass has not deleted anything that it would need to restore.

use std::path::PathBuf;

use serde_json::{json, Map, Value as Json};

use super::client::{Client, Safety};
use super::error::PublishError;
use super::plan::Step;
use super::request::{KEY_FIELD, SHA256_FIELD};

/// The portal's files as they were before a pass replaced them, by resource id.
#[derive(Default)]
pub(super) struct Backups {
    files: Vec<(String, PathBuf, String)>,
}

impl Drop for Backups {
    fn drop(&mut self) {
        for (_, path, _) in &self.files {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Resource fields put back on a restored file: what ogpipe sets, never what the
/// portal computes (url, size, timestamps).
const RESTORED_FIELDS: &[&str] = &[
    "name",
    "name_translated",
    "description",
    "format",
    "mimetype",
    "hash",
    "resource_type",
    "language",
    "character_set",
    KEY_FIELD,
    SHA256_FIELD,
];

fn resource<'a>(remote: &'a Json, id: &str) -> Option<&'a Map<String, Json>> {
    remote
        .get("resources")?
        .as_array()?
        .iter()
        .filter_map(Json::as_object)
        .find(|r| r.get("id").and_then(Json::as_str) == Some(id))
}

impl Backups {
    /// Downloads every file that `steps` would replace.
    ///
    /// # Errors
    /// A download failed: the pass must not start, since it could not be undone.
    pub(super) async fn take(
        client: &Client,
        remote: &Json,
        steps: &[Step],
    ) -> Result<Backups, PublishError> {
        let mut backups = Backups::default();
        for s in steps {
            let Step::ReplaceFile { resource_id, .. } = s else {
                continue;
            };
            let Some(url) = resource(remote, resource_id)
                .and_then(|r| r.get("url"))
                .and_then(Json::as_str)
            else {
                continue;
            };
            let name = url.rsplit('/').next().unwrap_or("file").to_string();
            let path = std::env::temp_dir().join(format!(
                "ogpipe-rollback-{}-{resource_id}",
                std::process::id()
            ));
            let mut file = std::fs::File::create(&path).map_err(|source| PublishError::File {
                path: path.clone(),
                source,
            })?;
            backups
                .files
                .push((resource_id.clone(), path.clone(), name));
            client.download(url, &mut file).await?;
        }
        Ok(backups)
    }
}

/// Undoes what `done` (this pass's steps, in order) changed on `before`, the dataset as
/// the pass found it, and returns the error to report: `error` with what the rollback
/// achieved.
pub(super) async fn undo(
    client: &Client,
    dataset: &str,
    before: &Json,
    done: &[(Step, Option<String>)],
    backups: &Backups,
    error: PublishError,
) -> PublishError {
    let id = before.get("id").and_then(Json::as_str).unwrap_or(dataset);
    let mut failures = Vec::new();
    for (step, created) in done.iter().rev() {
        let result = match step {
            Step::PatchDataset { changed, .. } => {
                let mut body = Map::new();
                body.insert("id".into(), json!(id));
                for k in changed {
                    body.insert(k.clone(), before.get(k).cloned().unwrap_or(Json::Null));
                }
                client
                    .action("package_patch", &Json::Object(body), Safety::Idempotent)
                    .await
                    .map(drop)
            }
            Step::ReplaceFile { resource_id, .. } => {
                let Some((_, path, name)) = backups.files.iter().find(|(r, ..)| r == resource_id)
                else {
                    failures.push(format!("no copy of the previous file of {resource_id}"));
                    continue;
                };
                let mut fields = Map::new();
                if let Some(old) = resource(before, resource_id) {
                    for k in RESTORED_FIELDS {
                        if let Some(v) = old.get(*k) {
                            fields.insert((*k).to_string(), v.clone());
                        }
                    }
                }
                fields.insert("id".into(), json!(resource_id));
                let mime = fields
                    .get("mimetype")
                    .and_then(Json::as_str)
                    .unwrap_or("application/octet-stream")
                    .to_string();
                client
                    .upload(
                        "resource_update",
                        &fields,
                        path,
                        name,
                        &mime,
                        Safety::Idempotent,
                    )
                    .await
                    .map(drop)
            }
            Step::UploadResource { .. } => match created {
                Some(rid) => client
                    .action("resource_delete", &json!({ "id": rid }), Safety::Idempotent)
                    .await
                    .map(drop),
                None => continue,
            },
            // Resource metadata is restored with its file; a touch changes nothing.
            _ => continue,
        };
        if let Err(f) = result {
            failures.push(format!("{}: {}", describe(step), f.into_error()));
        }
    }
    PublishError::RolledBack {
        dataset: dataset.to_string(),
        error: Box::new(error),
        failures,
    }
}

fn describe(step: &Step) -> String {
    match step {
        Step::PatchDataset { .. } => "restoring the metadata".into(),
        Step::ReplaceFile { key, .. } => format!("restoring the previous file of {key}"),
        Step::UploadResource { key, .. } => format!("removing the new resource {key}"),
        _ => "undoing a step".into(),
    }
}
