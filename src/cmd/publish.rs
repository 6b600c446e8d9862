//! `ogpipe publish`: the current packages of approved datasets, without rebuilding.

use super::Exit;
use crate::cli::PublishArgs;
use crate::config::Pipeline;

/// # Errors
/// Not written yet.
pub fn publish(_pipeline: &Pipeline, _a: &PublishArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("publish: not implemented yet; use `ogpipe run`")
}
