//! `ogpipe export --bagit DATASET OUT`: a BagIt bag (RFC 8493) for archival transfer.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::Value as Json;

use super::{Exit, UsageError};
use crate::checksum::Sha256Digest;
use crate::cli::ExportArgs;
use crate::config::Pipeline;
use crate::package::bagit::{self, BagError, BagInfo};
use crate::package::verify::parse_sums;

/// Writes the bag. DATASET is a package folder when such a folder exists, else an
/// inventory reference looked up in the manifests (which needs `pipeline.toml`).
///
/// The bag's payload is checked against `SHA256SUMS` as it is copied, and `SHA256SUMS`
/// against the digest `provenance.json` records: a package that does not match its
/// records is not bagged (exit 1).
///
/// # Errors
/// DATASET is neither a package nor a known reference, OUT exists (both usage errors),
/// or the bag cannot be written.
pub fn export(pipeline: Option<&Pipeline>, a: &ExportArgs) -> anyhow::Result<Exit> {
    let folder = Path::new(&a.dataset);
    let (package, located) = if folder.is_dir() {
        (folder.to_path_buf(), None)
    } else {
        let Some(pipeline) = pipeline else {
            return Err(UsageError(format!(
                "\"{}\" is not a package folder, and without pipeline.toml it cannot be looked up as an inventory reference",
                a.dataset
            ))
            .into());
        };
        let l = super::verify::locate(pipeline, &a.dataset)?;
        (l.package.clone(), Some(l))
    };
    let read_json = |name: &str| -> anyhow::Result<Json> {
        let p = package.join(name);
        let text = std::fs::read_to_string(&p).with_context(|| {
            format!(
                "{}: cannot read; is {} an ogpipe package?",
                p.display(),
                package.display()
            )
        })?;
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", p.display()))
    };
    let datapackage = read_json("datapackage.json")?;
    let provenance = read_json("provenance.json")?;
    let sums_path = package.join("SHA256SUMS");
    let sums_text = std::fs::read(&sums_path)
        .with_context(|| format!("{}: cannot read", sums_path.display()))?;
    let mut expected: BTreeMap<String, Sha256Digest> =
        parse_sums(&String::from_utf8_lossy(&sums_text))
            .map_err(|e| anyhow::anyhow!("{}: {e}", sums_path.display()))?
            .into_iter()
            .collect();
    // provenance.json seals SHA256SUMS, which covers every other file.
    if let Some(d) = provenance["sha256sums"]
        .as_str()
        .and_then(Sha256Digest::parse)
    {
        expected.insert("SHA256SUMS".into(), d);
    }

    let reference = located
        .as_ref()
        .map(|l| l.reference.clone())
        .or_else(|| provenance["inventory_reference"].as_str().map(String::from))
        .or_else(|| {
            datapackage["ogpipe:inventory_reference"]
                .as_str()
                .map(String::from)
        })
        .unwrap_or_default();
    let info = BagInfo {
        source_organization: pipeline.map(|p| p.portal.organization.clone()),
        external_identifier: reference.clone(),
        external_description: located
            .as_ref()
            .map(|l| l.title.clone())
            .or_else(|| datapackage["title"].as_str().map(String::from))
            .unwrap_or_default(),
        internal_sender_identifier: located
            .as_ref()
            .map(|l| l.id.to_string())
            .or_else(|| provenance["dataset_id"].as_str().map(String::from))
            .or_else(|| datapackage["id"].as_str().map(String::from)),
        bagging_date: chrono::Local::now().date_naive(),
    };
    if info.source_organization.is_none() {
        tracing::warn!("No pipeline.toml: the bag has no Source-Organization.");
    }
    match bagit::write_bag(&package, &a.out, &info, &expected) {
        Ok(bag) => {
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{}: bag of {reference} written from {}: {} files, {} bytes (Payload-Oxum {})",
                bag.path.display(),
                package.display(),
                bag.payload.len(),
                bag.payload_bytes,
                bag.oxum()
            )?;
            Ok(Exit::Ok)
        }
        Err(e @ BagError::Exists { .. }) => Err(UsageError(e.to_string()).into()),
        Err(e @ (BagError::Mismatch { .. } | BagError::Missing { .. })) => {
            tracing::error!(error = %e, package = %package.display(), "Package does not match its records; no bag written.");
            Ok(Exit::Held)
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!(
            "writing the bag {}",
            PathBuf::from(&a.out).display()
        ))),
    }
}
