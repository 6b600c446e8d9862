//! Operations: `ogpipe status`, `ogpipe report`, `ogpipe schedule`.

use super::Exit;
use crate::cli::{ReportArgs, ScheduleArgs, StatusArgs};
use crate::config::Pipeline;

/// # Errors
/// Not written yet.
pub fn status(_pipeline: &Pipeline, _a: &StatusArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("status: not implemented yet")
}

/// # Errors
/// Not written yet.
pub fn report(_pipeline: &Pipeline, _a: &ReportArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("report: not implemented yet")
}

/// # Errors
/// Not written yet.
pub fn schedule(_pipeline: &Pipeline, _a: &ScheduleArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("schedule: not implemented yet")
}
