//! `ogpipe export --bagit DATASET OUT`: a BagIt bag (RFC 8493) for archival transfer.

use super::Exit;
use crate::cli::ExportArgs;
use crate::config::Pipeline;

/// # Errors
/// Not written yet.
pub fn export(_pipeline: Option<&Pipeline>, a: &ExportArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("export --bagit {}: not implemented yet", a.dataset)
}
