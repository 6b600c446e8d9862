//! `ogpipe history [RUN]`: the journal's runs, newest first, or one run's events.

use std::io::Write;

use super::{print_json, Exit, UsageError};
use crate::cli::HistoryArgs;
use crate::config::Pipeline;
use crate::journal::Journal;

pub fn history(pipeline: &Pipeline, a: &HistoryArgs) -> anyhow::Result<Exit> {
    let journal = Journal::open(&pipeline.paths.journal)?;
    let mut out = std::io::stdout().lock();
    match &a.run {
        None => {
            let runs = journal.runs(a.limit)?;
            if a.json {
                return print_json(&runs).map(|_| Exit::Ok);
            }
            writeln!(
                out,
                "{:<26} {:<9} {:<10} {:<7} pub unch held fail",
                "run", "trigger", "as of", "outcome"
            )?;
            for r in runs {
                writeln!(
                    out,
                    "{:<26} {:<9} {:<10} {:<7} {:>3} {:>4} {:>4} {:>4}{}",
                    r.id,
                    r.trigger,
                    r.as_of,
                    r.outcome.as_deref().unwrap_or("running"),
                    r.published,
                    r.unchanged,
                    r.held,
                    r.failed,
                    if r.dry_run { "  (dry run)" } else { "" }
                )?;
            }
        }
        Some(id) => {
            let run = journal.run(id)?.ok_or_else(|| {
                UsageError(format!(
                    "no single run matches \"{id}\"; see `ogpipe history`"
                ))
            })?;
            let events = journal.events(&run.id)?;
            if a.json {
                return print_json(&serde_json::json!({ "run": run, "events": events }))
                    .map(|_| Exit::Ok);
            }
            writeln!(
                out,
                "run {} ({}, started by {}, as of {})",
                run.id, run.trigger, run.started_by, run.as_of
            )?;
            writeln!(
                out,
                "started {}  ended {}  outcome {}",
                run.started_at,
                run.ended_at.as_deref().unwrap_or("-"),
                run.outcome.as_deref().unwrap_or("running")
            )?;
            for e in events {
                writeln!(
                    out,
                    "  {:<8} {:<10} {}{}{}",
                    e.stage,
                    e.outcome,
                    e.dataset.as_deref().unwrap_or("-"),
                    e.resource.map(|r| format!(" / {r}")).unwrap_or_default(),
                    e.message.map(|m| format!(": {m}")).unwrap_or_default()
                )?;
            }
        }
    }
    Ok(Exit::Ok)
}
