//! Operations: `ogpipe status`, `ogpipe report`, `ogpipe schedule`.

use std::io::Write;

use anyhow::Context;

use super::{print_json, tokio_runtime, Exit, UsageError};
use crate::cli::{ReportArgs, ReportFormat, ReportKind, ScheduleArgs, StatusArgs};
use crate::config::Pipeline;
use crate::journal::Journal;
use crate::report::monthly::{Month, Monthly};
use crate::report::status::{self, StatusLine};
use crate::report::{
    self, doc, owners, release, render, template, Entry, History, Publications, Report,
};
use crate::schedule::{self, Schedule, Stopped};

fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

/// The journal's publication records and dataset history; none when there is no
/// journal yet (a fresh install), without creating one. Dates are read in the
/// schedule's time zone, when there is a schedule.
fn publications(pipeline: &Pipeline) -> anyhow::Result<Publications> {
    // Checked when the configuration loaded.
    let tz = pipeline
        .schedule
        .as_ref()
        .and_then(|s| s.timezone.parse::<chrono_tz::Tz>().ok());
    if !pipeline.paths.journal.exists() {
        return Ok(Publications {
            tz,
            ..Publications::default()
        });
    }
    let journal = Journal::open(&pipeline.paths.journal)?;
    Ok(Publications {
        records: journal.all_published()?,
        history: History::new(journal.dataset_history()?, tz),
        tz,
    })
}

/// The inventory for `as_of`, with the journal read up to `recorded_by`.
fn entries(
    pipeline: &Pipeline,
    as_of: chrono::NaiveDate,
    recorded_by: chrono::NaiveDate,
) -> anyhow::Result<Vec<Entry>> {
    let manifests = report::load(&pipeline.paths.datasets, &pipeline.paths.data)
        .with_context(|| format!("cannot list {}", pipeline.paths.datasets.display()))?;
    Ok(report::inventory_recorded(
        &manifests,
        &pipeline.portal.organization,
        as_of,
        recorded_by,
        &publications(pipeline)?,
    ))
}

/// `ogpipe status`. Exit 1 when a manifest is invalid, as `ogpipe plan` does.
///
/// # Errors
/// The manifests or the journal cannot be read.
pub fn status(pipeline: &Pipeline, a: &StatusArgs) -> anyhow::Result<Exit> {
    let as_of = a.as_of.unwrap_or_else(today);
    // Everything recorded: the next run starts from what the portal holds now.
    let lines: Vec<StatusLine> = entries(pipeline, as_of, chrono::NaiveDate::MAX)?
        .into_iter()
        .map(|entry| StatusLine {
            next_run: status::next_action(&entry, &pipeline.paths.output, &pipeline.paths.data),
            entry,
        })
        .collect();
    if a.json {
        print_json(&serde_json::json!({ "as_of": as_of, "datasets": lines }))?;
    } else {
        status::write_text(&lines, as_of, std::io::stdout().lock())?;
    }
    let invalid = lines
        .iter()
        .any(|l| l.entry.progress == report::Progress::Invalid);
    Ok(if invalid { Exit::Held } else { Exit::Ok })
}

fn unsupported(report: &str, format: ReportFormat, supported: &str) -> anyhow::Error {
    UsageError(format!(
        "`report {report}` cannot be written as {format:?}; use --format {supported}"
    ))
    .into()
}

/// `ogpipe report` and its kinds.
///
/// # Errors
/// The manifests or the journal cannot be read, the format does not suit the report (a
/// usage error), or the output cannot be written.
pub fn report(pipeline: &Pipeline, a: &ReportArgs) -> anyhow::Result<Exit> {
    let lang = a.lang;
    let department = pipeline.department.as_ref().map(|d| lang.pick(d));
    // The monthly report is the record as it stood on the month's last day.
    let (as_of, month) = match &a.kind {
        Some(ReportKind::Progress { month }) => {
            let m = month.unwrap_or_else(|| Month::just_ended(a.as_of.unwrap_or_else(today)));
            (m.last_day(), Some(m))
        }
        _ => (a.as_of.unwrap_or_else(today), None),
    };
    let entries = entries(pipeline, as_of, as_of)?;
    let mut buf = Vec::new();
    match (&a.kind, month) {
        (None, _) => {
            let model = Report::build(&entries, as_of, lang);
            match a.format.unwrap_or(ReportFormat::Markdown) {
                ReportFormat::Markdown => render::markdown(&model, department, &mut buf)?,
                ReportFormat::Csv => render::csv(&entries, as_of, lang, &mut buf)?,
                ReportFormat::Json => render::json(&model, &mut buf)?,
                ReportFormat::Html => render::html(&model, department, &mut buf)?,
                f @ ReportFormat::Xlsx => {
                    return Err(unsupported("", f, "markdown, csv, json or html"))
                }
            }
        }
        (Some(ReportKind::Inventory), _) => {
            let publisher =
                pipeline
                    .department
                    .clone()
                    .unwrap_or_else(|| crate::plan::manifest::Bilingual {
                        en: pipeline.portal.organization.clone(),
                        fr: pipeline.portal.organization.clone(),
                    });
            let language = template::language_code(&pipeline.defaults.languages);
            match a.format.unwrap_or(ReportFormat::Csv) {
                ReportFormat::Csv => template::csv(&entries, &publisher, language, &mut buf)?,
                ReportFormat::Xlsx => {
                    if a.output.is_none() {
                        return Err(UsageError(
                            "`report inventory --format xlsx` writes a workbook: give a file with -o inventory.xlsx".into(),
                        )
                        .into());
                    }
                    buf = template::xlsx(&entries, &publisher, language)?;
                }
                f => return Err(unsupported("inventory", f, "csv or xlsx")),
            }
        }
        (Some(ReportKind::Owners), _) => match a.format.unwrap_or(ReportFormat::Markdown) {
            ReportFormat::Markdown => doc::markdown(
                &owners::document(&entries, as_of, lang, department),
                &mut buf,
            )?,
            ReportFormat::Html => doc::html(
                &owners::document(&entries, as_of, lang, department),
                &mut buf,
            )?,
            ReportFormat::Csv => owners::csv(&entries, lang, &mut buf)?,
            f => return Err(unsupported("owners", f, "markdown, html or csv")),
        },
        (Some(ReportKind::Plan), _) => match a.format.unwrap_or(ReportFormat::Markdown) {
            ReportFormat::Markdown => doc::markdown(
                &release::document(&entries, as_of, lang, department),
                &mut buf,
            )?,
            ReportFormat::Html => doc::html(
                &release::document(&entries, as_of, lang, department),
                &mut buf,
            )?,
            ReportFormat::Csv => release::csv(&entries, as_of, lang, &mut buf)?,
            f => return Err(unsupported("plan", f, "markdown, html or csv")),
        },
        (Some(ReportKind::Progress { .. }), month) => {
            let model = Monthly::build(&entries, month.unwrap_or_else(|| Month::of(as_of)), lang);
            match a.format.unwrap_or(ReportFormat::Markdown) {
                ReportFormat::Markdown => doc::markdown(&model.document(department), &mut buf)?,
                ReportFormat::Html => doc::html(&model.document(department), &mut buf)?,
                ReportFormat::Json => {
                    serde_json::to_writer_pretty(&mut buf, &model)?;
                    buf.push(b'\n');
                }
                f => return Err(unsupported("progress", f, "markdown, html or json")),
            }
        }
    }
    match &a.output {
        // Written whole, then renamed, so a reader never sees half a report.
        Some(path) => {
            let tmp = path.with_extension("ogpipe-tmp");
            std::fs::write(&tmp, &buf)
                .and_then(|()| std::fs::rename(&tmp, path))
                .with_context(|| format!("cannot write {}", path.display()))?;
            tracing::info!(path = %path.display(), "Report written.");
        }
        None => std::io::stdout().lock().write_all(&buf)?,
    }
    Ok(Exit::Ok)
}

/// `ogpipe schedule`: the long-lived service, or with `--next N` the next run times.
///
/// # Errors
/// No `[schedule]` in the configuration (a usage error), or the runtime or signal
/// handlers cannot be set up.
pub fn schedule(pipeline: &Pipeline, a: &ScheduleArgs) -> anyhow::Result<Exit> {
    let Some(s) = &pipeline.schedule else {
        return Err(UsageError(format!(
            "{}: there is no [schedule] section; add one with `cron` and `timezone`, e.g. cron = \"0 0 9 1 * *\", timezone = \"America/Toronto\"",
            pipeline.file.display()
        ))
        .into());
    };
    // Checked when the configuration loaded; a failure here is a bug in that check.
    let sched = Schedule::parse(&s.cron, &s.timezone).map_err(UsageError)?;
    if let Some(n) = a.next {
        let after = a.after.unwrap_or_else(chrono::Utc::now);
        let mut out = std::io::stdout().lock();
        for t in sched.next_runs(after, n) {
            writeln!(out, "{}", schedule::display(&t))?;
        }
        return Ok(Exit::Ok);
    }
    let rt = tokio_runtime()?;
    let stopped = rt.block_on(async {
        let signals = schedule::signals().context("cannot listen for signals")?;
        tracing::info!(cron = %s.cron, timezone = %s.timezone, "Schedule started.");
        anyhow::Ok(schedule::serve(pipeline, &sched, signals).await)
    })?;
    // A run abandoned on a second signal is work not done: exit as for an I/O failure.
    Ok(match stopped {
        Stopped::Signal | Stopped::NoMoreRuns => Exit::Ok,
        Stopped::Abandoned => Exit::Failure,
    })
}
