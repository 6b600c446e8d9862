//! `ogpipe publish`: the current packages of approved datasets, without rebuilding.
//!
//! The release gate runs as in `ogpipe run`, so only what is approved today is sent. Each
//! approved dataset's package in `out/packages/<name>` is verified and checked against
//! its manifest first (see [`crate::publish::existing`]); a package that fails is named
//! and held back. Sources are never read.

use std::sync::Mutex;

use anyhow::Context;
use futures_util::StreamExt;
use tracing::{info, info_span, warn, Instrument};

use super::{print_json, tokio_runtime, Exit};
use crate::cli::PublishArgs;
use crate::config::Pipeline;
use crate::journal::Journal;
use crate::package;
use crate::plan::{self, Approved};
use crate::publish::existing::{self, ExistingError};
use crate::run::build::Built;
use crate::run::{self, DatasetResult, Outcome, Portal, RunOptions, RunReport, Trigger};

/// # Errors
/// The journal, the manifest folder or the portal could not be used at all.
pub fn publish(pipeline: &Pipeline, a: &PublishArgs) -> anyhow::Result<Exit> {
    let rt = tokio_runtime()?;
    let opts = RunOptions {
        as_of: a.as_of.unwrap_or_else(|| chrono::Local::now().date_naive()),
        dry_run: a.dry_run,
        trigger: Trigger::Manual,
        started_by: started_by(),
        only: a.only.clone(),
    };
    let report = rt.block_on(async {
        let portal = Portal::connect(pipeline).await?;
        let report = publish_packages(pipeline, &portal, &opts).await;
        portal.close().await;
        report
    })?;
    if a.json {
        print_json(&report)?;
    } else {
        run::summary::write_text(&report, std::io::stdout().lock())?;
    }
    Ok(if report.any_failed() {
        Exit::Failure
    } else if report.any_held() {
        Exit::Held
    } else {
        Exit::Ok
    })
}

/// Who started the run, for the journal (as `ogpipe run` records it).
fn started_by() -> String {
    std::env::var("OGPIPE_STARTED_BY")
        .or_else(|_| std::env::var("USER"))
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

async fn publish_packages(
    pipeline: &Pipeline,
    portal: &Portal,
    opts: &RunOptions,
) -> anyhow::Result<RunReport> {
    let run_id = run::new_run_id();
    let span =
        info_span!("publish_run", run_id = %run_id, as_of = %opts.as_of, dry_run = opts.dry_run);
    async {
        let journal = Journal::open(&pipeline.paths.journal)?;
        journal.start_run(
            &run_id,
            opts.trigger.as_str(),
            &opts.started_by,
            &opts.as_of.to_string(),
            opts.dry_run,
        )?;
        let journal = Mutex::new(journal);
        let loaded = plan::load_dir(&pipeline.paths.datasets, &pipeline.paths.data)
            .with_context(|| format!("cannot list {}", pipeline.paths.datasets.display()))?;
        let mut release = plan::gate(loaded, &pipeline.portal.organization, opts.as_of);
        if !opts.only.is_empty() {
            release
                .approved
                .retain(|a| opts.only.iter().any(|o| o == a.reference()));
            release
                .held
                .retain(|h| h.reference.as_ref().is_some_and(|r| opts.only.contains(r)));
        }
        let mut datasets: Vec<DatasetResult> = futures_util::stream::iter(release.approved)
            .map(|a| {
                let span = info_span!("dataset", dataset = %a.reference());
                publish_package(pipeline, portal, &journal, &run_id, opts, a).instrument(span)
            })
            .buffered(pipeline.portal.concurrency)
            .collect()
            .await;
        for h in release.held {
            let outcome = match h.reason {
                plan::HoldReason::InvalidManifest { problems } => Outcome::Held {
                    reason: format!("invalid manifest: {}", problems.join("; ")),
                    detail: None,
                },
                other => Outcome::NotDue { reason: other },
            };
            run::record(&journal, &run_id, h.reference.as_deref(), "plan", &outcome);
            datasets.push(DatasetResult {
                reference: h.reference,
                title: h.title,
                manifest: h.manifest_path.display().to_string(),
                outcome,
            });
        }
        let report = RunReport {
            run_id: run_id.clone(),
            as_of: opts.as_of,
            dry_run: opts.dry_run,
            portal: portal.describe(),
            datasets,
        };
        let counts = [
            report.count(|o| matches!(o, Outcome::Published { .. })) as u64,
            report.count(|o| matches!(o, Outcome::Unchanged { .. })) as u64,
            report.count(|o| matches!(o, Outcome::Held { .. } | Outcome::NotDue { .. })) as u64,
            report.count(|o| matches!(o, Outcome::Failed { .. })) as u64,
        ];
        let outcome = if report.any_failed() {
            "failed"
        } else if report.any_held() {
            "held"
        } else {
            "ok"
        };
        journal
            .lock()
            .map_err(|_| anyhow::anyhow!("journal lock poisoned by a panic"))?
            .end_run(&run_id, outcome, counts)?;
        info!(
            outcome,
            published = counts[0],
            unchanged = counts[1],
            held = counts[2],
            failed = counts[3],
            "Publish run finished."
        );
        Ok(report)
    }
    .instrument(span)
    .await
}

async fn publish_package(
    pipeline: &Pipeline,
    portal: &Portal,
    journal: &Mutex<Journal>,
    run_id: &str,
    opts: &RunOptions,
    approved: Approved,
) -> DatasetResult {
    let reference = approved.reference().to_string();
    let dir = package::package_path(&pipeline.paths.output, &approved.slug());
    let loaded = {
        let (dir, approved) = (dir.clone(), approved.clone());
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(|| existing::load(&dir, &approved))).await
    };
    let (stage, outcome) = match loaded {
        Ok(Ok(files)) => {
            let built = Built {
                dir,
                files,
                sources: Vec::new(),
                waived: Vec::new(),
            };
            let outcome =
                run::publish_one(pipeline, portal, journal, run_id, opts, &approved, &built).await;
            ("publish", outcome)
        }
        Ok(Err(e @ ExistingError::Unreadable { .. })) => (
            "package",
            Outcome::Failed {
                error: e.to_string(),
            },
        ),
        Ok(Err(e)) => {
            warn!(reason = %e, "Package not published.");
            (
                "package",
                Outcome::Held {
                    reason: e.to_string(),
                    detail: None,
                },
            )
        }
        Err(e) => (
            "package",
            Outcome::Failed {
                error: format!("package check crashed: {e}"),
            },
        ),
    };
    run::record(journal, run_id, Some(&reference), stage, &outcome);
    DatasetResult {
        reference: Some(reference),
        title: Some(approved.manifest().metadata.title.en.clone()),
        manifest: approved.manifest_path().display().to_string(),
        outcome,
    }
}
