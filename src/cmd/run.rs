//! `ogpipe run` and `ogpipe plan`.

use anyhow::Context;

use super::{print_json, tokio_runtime, Exit};
use crate::cli::{PlanArgs, RunArgs};
use crate::config::Pipeline;
use crate::plan;
use crate::run::{self, Portal, RunOptions, Trigger};

fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

/// `ogpipe run` (packages built from the sources) and `ogpipe publish` (the packages
/// already built, verified first): one orchestrator, two sources of packages.
pub fn run(
    pipeline: &Pipeline,
    args: &RunArgs,
    source: run::Source,
    progress: crate::progress::Progress,
) -> anyhow::Result<Exit> {
    // A dry run builds packages too, so it must not race a real run either.
    let _lock = crate::lock::RunLock::acquire(&pipeline.paths.output)?;
    let rt = tokio_runtime()?;
    let opts = RunOptions {
        source,
        as_of: args.as_of.unwrap_or_else(today),
        dry_run: args.dry_run,
        trigger: Trigger::Manual,
        started_by: whoami(),
        only: args.only.clone(),
        progress,
    };
    let report = rt.block_on(async {
        let portal = Portal::connect(pipeline).await?;
        let report = run::run_once(pipeline, &portal, &opts).await;
        portal.close().await;
        report
    })?;
    if args.json {
        print_json(&report)?;
    } else {
        run::summary::write_text(&report, std::io::stdout().lock())?;
    }
    Ok(exit_for_report(&report))
}

/// Failures outrank holds: a portal that failed needs someone sooner.
fn exit_for_report(report: &run::RunReport) -> Exit {
    if report.any_failed() {
        Exit::Failure
    } else if report.any_held() {
        Exit::Held
    } else {
        Exit::Ok
    }
}

/// Who started a manual run, for the journal: the login name if the OS says.
fn whoami() -> String {
    std::env::var("OGPIPE_STARTED_BY")
        .or_else(|_| std::env::var("USER"))
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

pub fn plan(pipeline: &Pipeline, args: &PlanArgs) -> anyhow::Result<Exit> {
    let as_of = args.as_of.unwrap_or_else(today);
    let loaded = plan::load_dir(&pipeline.paths.datasets, &pipeline.paths.data)
        .with_context(|| format!("cannot list {}", pipeline.paths.datasets.display()))?;
    let release = plan::gate(loaded, &pipeline.portal.organization, as_of);
    let preflight = crate::preflight::check(pipeline, &release, true);
    if args.json {
        let approved: Vec<_> = release
            .approved
            .iter()
            .map(|a| {
                serde_json::json!({
                    "reference": a.reference(),
                    "dataset_id": a.id().to_string(),
                    "title": a.manifest().metadata.title.en,
                    "priority": a.manifest().release.priority,
                    "release_date": a.manifest().release.date,
                    "manifest": a.manifest_path().display().to_string(),
                })
            })
            .collect();
        print_json(
            &serde_json::json!({ "as_of": as_of, "approved": approved, "held": release.held }),
        )?;
    } else {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "Release plan as of {as_of}")?;
        writeln!(
            out,
            "\nTo publish, in priority order ({})",
            release.approved.len()
        )?;
        for a in &release.approved {
            let m = a.manifest();
            writeln!(
                out,
                "  {}. {}  {}  (due {})",
                m.release.priority,
                a.reference(),
                m.metadata.title.en,
                m.release.date
            )?;
        }
        writeln!(out, "\nHeld ({})", release.held.len())?;
        for h in &release.held {
            writeln!(
                out,
                "  {}  {}\n      {}",
                h.reference.as_deref().unwrap_or("?"),
                h.title
                    .as_deref()
                    .unwrap_or(&h.manifest_path.display().to_string()),
                h.reason
            )?;
        }
        if !preflight.is_empty() {
            writeln!(
                out,
                "\nPreflight problems: a run would publish nothing ({})",
                preflight.len()
            )?;
            for p in &preflight {
                writeln!(out, "  {p}")?;
            }
        }
    }
    Ok(if preflight.is_empty() {
        Exit::Ok
    } else {
        Exit::Held
    })
}
