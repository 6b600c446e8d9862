//! `ogpipe publish`: the current packages of approved datasets, verified and published
//! without reading the sources again. The same orchestrator as `ogpipe run`, fed from
//! `out/packages/` instead of the build stages.

use super::{print_json, tokio_runtime, Exit};
use crate::cli::PublishArgs;
use crate::config::Pipeline;
use crate::run::{self, Portal, RunOptions, Source, Trigger};

/// # Errors
/// The lock, the journal, the manifest folder or the portal could not be used at all.
pub fn publish(
    pipeline: &Pipeline,
    a: &PublishArgs,
    progress: crate::progress::Progress,
) -> anyhow::Result<Exit> {
    let _lock = crate::lock::RunLock::acquire(&pipeline.paths.output)?;
    let rt = tokio_runtime()?;
    let opts = RunOptions {
        source: Source::Packages,
        as_of: a.as_of.unwrap_or_else(|| chrono::Local::now().date_naive()),
        dry_run: a.dry_run,
        trigger: Trigger::Manual,
        started_by: super::run::whoami(),
        only: a.only.clone(),
        progress,
    };
    let report = rt.block_on(async {
        let portal = Portal::connect(pipeline).await?;
        let report = run::run_once(pipeline, &portal, &opts).await;
        portal.close().await;
        report
    })?;
    if a.json {
        print_json(&report)?;
    } else {
        run::summary::write_text(&report, std::io::stdout().lock())?;
    }
    Ok(super::run::exit_for_report(&report))
}
