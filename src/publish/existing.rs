//! A package already on disk, read back for `ogpipe publish`: verified against its
//! `SHA256SUMS` and `datapackage.json`, checked to be the package of this dataset and of
//! the manifest as it stands, and turned back into the [`DataFile`]s a run would have
//! built, without reading a source.
//!
//! Synchronous (it hashes every file): the async caller runs it on the blocking pool.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::checksum::Sha256Digest;
use crate::package::descriptor::DataFile;
use crate::package::verify::{verify_dir, Problem};
use crate::plan::manifest::{Bilingual, OutputFormat};
use crate::plan::Approved;

/// Why a package on disk cannot be published as it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExistingError {
    /// No package was built for this dataset yet.
    #[error("no package: run `ogpipe run` first (looked in {})", dir.display())]
    Missing { dir: PathBuf },
    /// A file does not match its recorded SHA-256 or size.
    #[error("{}: the package fails verification: {}; run `ogpipe run` to rebuild it", dir.display(), list(problems))]
    Verification {
        dir: PathBuf,
        problems: Vec<Problem>,
    },
    /// The package is another dataset's, or older than the manifest.
    #[error("{}: {detail}; run `ogpipe run` to rebuild it", dir.display())]
    Stale { dir: PathBuf, detail: String },
    /// The package's records cannot be read.
    #[error("{}: {detail}", path.display())]
    Unreadable { path: PathBuf, detail: String },
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("{}: {}", p.file, p.detail))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Reads and checks the package of `approved` in `dir`.
///
/// # Errors
/// See [`ExistingError`]: nothing from a package that fails any check is published.
pub fn load(dir: &Path, approved: &Approved) -> Result<Vec<DataFile>, ExistingError> {
    let descriptor = dir.join("datapackage.json");
    if !descriptor.exists() {
        return Err(ExistingError::Missing { dir: dir.into() });
    }
    let verification = verify_dir(dir).map_err(|detail| ExistingError::Unreadable {
        path: dir.join("SHA256SUMS"),
        detail,
    })?;
    if !verification.is_ok() {
        return Err(ExistingError::Verification {
            dir: dir.into(),
            problems: verification.problems,
        });
    }
    let unreadable = |detail: String| ExistingError::Unreadable {
        path: descriptor.clone(),
        detail,
    };
    let text = std::fs::read_to_string(&descriptor).map_err(|e| unreadable(e.to_string()))?;
    let dp: Json = serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))?;
    let id = approved.id().to_string();
    if dp["id"].as_str() != Some(id.as_str()) {
        return Err(ExistingError::Stale {
            dir: dir.into(),
            detail: format!(
                "the package is of dataset {}, not {id} ({})",
                dp["id"].as_str().unwrap_or("(no id)"),
                approved.reference()
            ),
        });
    }
    let files = dp["resources"]
        .as_array()
        .ok_or_else(|| unreadable("`resources` is not a list".into()))?
        .iter()
        .map(data_file)
        .collect::<Result<Vec<_>, String>>()
        .map_err(unreadable)?;
    check_against_manifest(dir, approved, &files)?;
    Ok(files)
}

/// One `datapackage.json` resource back as the [`DataFile`] it was written from.
fn data_file(r: &Json) -> Result<DataFile, String> {
    let name = r["path"].as_str().ok_or("a resource has no `path`")?;
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let format = match ext {
        "csv" => OutputFormat::Csv,
        "json" => OutputFormat::Json,
        "ndjson" => OutputFormat::Ndjson,
        other => {
            return Err(format!(
                "{name}: unknown format \"{other}\" (csv, json, ndjson)"
            ))
        }
    };
    let resource_key = r["name"]
        .as_str()
        .and_then(|n| n.strip_suffix(&format!("-{ext}")))
        .ok_or_else(|| format!("{name}: `name` is not `<resource key>-{ext}`"))?;
    let sha256 = r["hash"]
        .as_str()
        .and_then(Sha256Digest::parse)
        .ok_or_else(|| format!("{name}: `hash` is not a SHA-256"))?;
    let bytes = r["bytes"]
        .as_u64()
        .ok_or_else(|| format!("{name}: `bytes` is missing"))?;
    let title: Bilingual = serde_json::from_value(r["ogpipe:title"].clone())
        .map_err(|e| format!("{name}: `ogpipe:title` is not {{en, fr}}: {e}"))?;
    Ok(DataFile {
        name: name.to_string(),
        resource_key: resource_key.to_string(),
        format,
        sha256,
        bytes,
        title,
        schema: r.get("schema").cloned(),
        rows: 0,
    })
}

/// The package must hold exactly the outputs the manifest asks for now.
fn check_against_manifest(
    dir: &Path,
    approved: &Approved,
    files: &[DataFile],
) -> Result<(), ExistingError> {
    let want: BTreeSet<String> = approved
        .manifest()
        .resources
        .iter()
        .flat_map(|r| {
            r.outputs
                .iter()
                .map(move |f| format!("{}.{}", r.key, f.extension()))
        })
        .collect();
    let have: BTreeSet<String> = files
        .iter()
        .map(|f| format!("{}.{}", f.resource_key, f.format.extension()))
        .collect();
    if want == have {
        return Ok(());
    }
    let missing: Vec<&str> = want.difference(&have).map(String::as_str).collect();
    let extra: Vec<&str> = have.difference(&want).map(String::as_str).collect();
    let mut detail = "the package does not match the manifest".to_string();
    if !missing.is_empty() {
        detail.push_str(&format!("; it lacks {}", missing.join(", ")));
    }
    if !extra.is_empty() {
        detail.push_str(&format!(
            "; it has {}, which the manifest no longer lists",
            extra.join(", ")
        ));
    }
    Err(ExistingError::Stale {
        dir: dir.into(),
        detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_datapackage_resource_reads_back_as_its_data_file() {
        let hex = "a".repeat(64);
        let f = data_file(&json!({
            "name": "by-region-csv", "path": "by-region.csv", "bytes": 12,
            "hash": format!("sha256:{hex}"),
            "ogpipe:title": {"en": "By region", "fr": "Par région"},
        }))
        .unwrap();
        assert_eq!(f.resource_key, "by-region");
        assert_eq!(f.format, OutputFormat::Csv);
        assert_eq!(f.bytes, 12);
        assert_eq!(f.sha256.hex(), hex);
        assert_eq!(f.title.fr, "Par région");
    }

    #[test]
    fn a_resource_without_its_records_is_refused() {
        let hex = "a".repeat(64);
        let ok = json!({
            "name": "v-csv", "path": "v.csv", "bytes": 1, "hash": format!("sha256:{hex}"),
            "ogpipe:title": {"en": "e", "fr": "f"},
        });
        for (key, bad) in [
            ("path", json!("v.xlsx")),
            ("name", json!("v")),
            ("hash", json!("md5:00")),
            ("bytes", Json::Null),
            ("ogpipe:title", json!({"en": "only"})),
        ] {
            let mut r = ok.clone();
            r[key] = bad;
            assert!(data_file(&r).is_err(), "{key}");
        }
        assert!(data_file(&ok).is_ok());
    }
}
