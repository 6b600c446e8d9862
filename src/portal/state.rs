//! What the portal knows (organizations and datasets, resources inside their datasets)
//! and how it is kept on disk.
//!
//! Layout under the state directory: `state.json` (this [`Store`], rewritten whole after
//! every successful write action: written to `state.json.tmp`, synced, then renamed over,
//! so a crash leaves the old or the new state, never half of one) and
//! `files/<resource_id>/<filename>` for uploads. Datasets are kept as the JSON dicts
//! `package_show` returns, because CKAN's data model is open-ended (resource extras,
//! scheming fields) and the mock must hand back whatever it was given.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::{error::PortalError, Organization};

pub(crate) const STATE_FILE: &str = "state.json";
const FILES_DIR: &str = "files";

/// An organization as the portal stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct OrgRecord {
    pub id: String,
    pub name: String,
    pub title: String,
    pub created: String,
}

impl OrgRecord {
    /// The dict `organization_show` returns (and `package_show` embeds).
    pub(crate) fn to_value(&self, package_count: usize) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "title": self.title,
            "display_name": self.title,
            "type": "organization",
            "is_organization": true,
            "state": "active",
            "approval_status": "approved",
            "description": "",
            "image_url": "",
            "created": self.created,
            "package_count": package_count,
        })
    }
}

/// Everything the portal holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Store {
    pub organizations: Vec<OrgRecord>,
    /// Package dicts in creation order, deleted ones included.
    pub datasets: Vec<Map<String, Value>>,
}

impl Store {
    /// Reads `state.json` from `dir` (creating `dir`), or starts empty; then makes sure
    /// every configured organization exists. An organization's id is a UUIDv5 of its name,
    /// so a portal started afresh with the same config hands out the same ids.
    pub(crate) async fn load(
        dir: &Path,
        orgs: &[Organization],
        now: &str,
    ) -> Result<Store, PortalError> {
        tokio::fs::create_dir_all(dir.join(FILES_DIR))
            .await
            .map_err(|source| PortalError::CreateDir {
                path: dir.to_owned(),
                source,
            })?;
        let path = dir.join(STATE_FILE);
        let mut store = match tokio::fs::read(&path).await {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|source| PortalError::ParseState {
                    path: path.clone(),
                    source,
                })?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Store::default(),
            Err(source) => return Err(PortalError::ReadState { path, source }),
        };
        for org in orgs {
            match store.organizations.iter_mut().find(|o| o.name == org.name) {
                Some(record) => record.title.clone_from(&org.title),
                None => store.organizations.push(OrgRecord {
                    id: uuid::Uuid::new_v5(
                        &uuid::Uuid::NAMESPACE_URL,
                        format!("ogpipe-mock-org:{}", org.name).as_bytes(),
                    )
                    .to_string(),
                    name: org.name.clone(),
                    title: org.title.clone(),
                    created: now.to_owned(),
                }),
            }
        }
        Ok(store)
    }

    /// Points uploaded files' URLs at this server. CKAN keeps an upload's path and builds
    /// its URL from `site_url` when read; the mock stores whole URLs, and a restarted
    /// mock listens on a new port.
    pub(crate) fn rebase_upload_urls(&mut self, site_url: &str) {
        let resources = self
            .datasets
            .iter_mut()
            .filter_map(|d| d.get_mut("resources").and_then(Value::as_array_mut))
            .flatten();
        for r in resources {
            if r.get("url_type").and_then(Value::as_str) != Some("upload") {
                continue;
            }
            let rebased = r.get("url").and_then(Value::as_str).and_then(|u| {
                u.find("/dataset/")
                    .map(|i| format!("{site_url}{}", &u[i..]))
            });
            if let Some(url) = rebased {
                r["url"] = Value::from(url);
            }
        }
    }

    /// Writes the whole store atomically (temp file, sync, rename).
    pub(crate) async fn save(&self, dir: &Path) -> Result<(), PortalError> {
        use tokio::io::AsyncWriteExt;
        let path = dir.join(STATE_FILE);
        let tmp = dir.join(format!("{STATE_FILE}.tmp"));
        let err = |source| PortalError::SaveState {
            path: path.clone(),
            source,
        };
        // Serializing a map of JSON values cannot fail.
        let bytes = serde_json::to_vec_pretty(self).expect("store serializes");
        let mut file = tokio::fs::File::create(&tmp).await.map_err(err)?;
        file.write_all(&bytes).await.map_err(err)?;
        file.sync_all().await.map_err(err)?;
        drop(file);
        tokio::fs::rename(&tmp, &path).await.map_err(err)
    }

    pub(crate) fn org(&self, id_or_name: &str) -> Option<&OrgRecord> {
        self.organizations
            .iter()
            .find(|o| o.id == id_or_name || o.name == id_or_name)
    }

    /// Index of the dataset with this id, or else of the active dataset with this name.
    pub(crate) fn find(&self, id_or_name: &str) -> Option<usize> {
        self.datasets
            .iter()
            .position(|d| str_of(d, "id") == Some(id_or_name))
            .or_else(|| {
                self.datasets
                    .iter()
                    .position(|d| str_of(d, "name") == Some(id_or_name))
            })
    }

    /// `(dataset index, resource index)` of an active resource.
    pub(crate) fn find_resource(&self, id: &str) -> Option<(usize, usize)> {
        self.datasets.iter().enumerate().find_map(|(d, dataset)| {
            let resources = dataset.get("resources")?.as_array()?;
            let r = resources
                .iter()
                .position(|r| r.get("id").and_then(Value::as_str) == Some(id))?;
            Some((d, r))
        })
    }

    pub(crate) fn package_count(&self, org_id: &str) -> usize {
        self.datasets
            .iter()
            .filter(|d| {
                str_of(d, "owner_org") == Some(org_id) && str_of(d, "state") == Some("active")
            })
            .count()
    }
}

pub(crate) fn str_of<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key).and_then(Value::as_str)
}

/// Where a resource's uploaded files live.
pub(crate) fn resource_dir(state_dir: &Path, resource_id: &str) -> PathBuf {
    state_dir.join(FILES_DIR).join(resource_id)
}

/// Where an upload is streamed before its action succeeds.
pub(crate) fn upload_temp(state_dir: &Path) -> PathBuf {
    state_dir
        .join(FILES_DIR)
        .join(format!(".upload-{}", uuid::Uuid::new_v4()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_move_to_the_current_site_url_and_links_stay() {
        let mut store = Store::default();
        let dataset = json!({ "resources": [
            { "url_type": "upload", "url": "http://127.0.0.1:4111/dataset/d/resource/r/download/a.csv" },
            { "url_type": null, "url": "https://example.org/data.csv" }
        ]});
        store.datasets.push(dataset.as_object().unwrap().clone());
        store.rebase_upload_urls("http://127.0.0.1:5222");
        let r = &store.datasets[0]["resources"];
        assert_eq!(
            r[0]["url"],
            "http://127.0.0.1:5222/dataset/d/resource/r/download/a.csv"
        );
        assert_eq!(r[1]["url"], "https://example.org/data.csv");
    }
}
