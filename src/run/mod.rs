//! The orchestrator: one run is plan → (read, screen, validate, convert, checksum,
//! package) → publish → journal, for every approved dataset in priority order.
//!
//! One dataset failing or being held never stops the others; it changes the exit code.
//! Package building is CPU work and runs on the blocking pool; publishing overlaps up to
//! `portal.concurrency` datasets.

pub mod build;
pub mod portal;
mod retract;
pub mod summary;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use futures_util::StreamExt;
use serde::Serialize;
use tracing::{error, info, info_span, warn, Instrument};

use crate::config::Pipeline;
use crate::journal::{Event, Journal, JournalError, PublishedRecord};
use crate::plan::{self, Approved};
use crate::publish::{self, plan::LocalDataset, LocalResource, PublishPlan, SyncStatus};
use crate::screen::Screen;
use build::{BuildOutcome, Built, StageHold};
pub use portal::Portal;

/// Who or what started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Manual,
    Scheduled,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Scheduled => "scheduled",
        }
    }
}

/// Where a run's packages come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Read, screen, validate and convert the sources into new packages (`ogpipe run`).
    #[default]
    Build,
    /// Publish the packages already built, verified first (`ogpipe publish`).
    Packages,
}

/// What a run is asked to do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub source: Source,
    pub as_of: NaiveDate,
    pub dry_run: bool,
    pub trigger: Trigger,
    pub started_by: String,
    /// Only these inventory references (all when empty).
    pub only: Vec<String>,
    /// Bars for a person at a terminal; `Progress::default()` shows none.
    pub progress: crate::progress::Progress,
}

/// What happened to one dataset.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Published {
        status: SyncStatus,
        url: String,
        resources: Vec<publish::PublishedResource>,
    },
    Unchanged {
        url: String,
    },
    /// The gate held it: a decision, not a problem.
    NotDue {
        reason: plan::HoldReason,
    },
    /// A stage held it, or its manifest is invalid: someone must look.
    Held {
        reason: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        detail: Option<StageHold>,
    },
    /// A dry run's plan.
    Planned {
        plan: PublishPlan,
    },
    /// The portal could not be reached or kept failing: running again may help.
    Failed {
        error: String,
    },
    /// The portal refused, or did not keep, what was sent (a schema error, a file over
    /// its limit, a field it drops): running again unchanged will not help.
    Refused {
        error: String,
    },
    /// A dataset ogpipe published that is now withheld or out of the inventory, taken
    /// off the public portal (or, with `portal.retract = "warn"`, still public).
    Retracted {
        url: String,
        still_public: bool,
        why: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct DatasetResult {
    pub reference: Option<String>,
    pub title: Option<String>,
    pub manifest: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// A finished run.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub run_id: String,
    pub source: Source,
    pub as_of: NaiveDate,
    pub dry_run: bool,
    pub portal: String,
    /// Whether the portal was ogpipe's own embedded mock: nothing reached a real portal.
    pub rehearsal: bool,
    /// What preflight found; when not empty, nothing was published.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub preflight: Vec<String>,
    pub datasets: Vec<DatasetResult>,
}

/// The run-level failures: nothing could be attempted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("{path}: cannot list the dataset manifests: {source}")]
    Manifests {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Portal(#[from] portal::PortalConnectError),
    #[error("screen configuration: {0}")]
    Screen(#[from] crate::screen::ScreenError),
    #[error(transparent)]
    Probe(#[from] portal::ProbeError),
}

impl RunReport {
    pub fn count(&self, pred: impl Fn(&Outcome) -> bool) -> usize {
        self.datasets.iter().filter(|d| pred(&d.outcome)).count()
    }
    pub fn any_failed(&self) -> bool {
        self.count(|o| matches!(o, Outcome::Failed { .. })) > 0
    }
    pub fn any_held(&self) -> bool {
        self.count(|o| {
            matches!(
                o,
                Outcome::Held { .. }
                    | Outcome::Refused { .. }
                    | Outcome::Retracted {
                        still_public: true,
                        ..
                    }
            )
        }) > 0
    }
}

/// A sortable, readable run id: the UTC start time and a random suffix.
pub fn new_run_id() -> String {
    format!(
        "{}-{:04x}",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ"),
        fastrand::u16(..)
    )
}

/// Runs the pipeline once.
///
/// # Errors
/// Only what stops the whole run (the journal, the manifest folder, the portal cannot be
/// reached). Per-dataset problems are in the report.
pub async fn run_once(
    pipeline: &Pipeline,
    portal: &Portal,
    opts: &RunOptions,
) -> Result<RunReport, RunError> {
    let run_id = new_run_id();
    let span = info_span!("run", run_id = %run_id, as_of = %opts.as_of, dry_run = opts.dry_run);
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
        let loaded =
            plan::load_dir(&pipeline.paths.datasets, &pipeline.paths.data).map_err(|source| {
                RunError::Manifests {
                    path: pipeline.paths.datasets.clone(),
                    source,
                }
            })?;
        let mut release = plan::gate(loaded, &pipeline.portal.organization, opts.as_of);
        if !opts.only.is_empty() {
            release
                .approved
                .retain(|a| opts.only.iter().any(|o| o == a.reference()));
            release
                .held
                .retain(|h| h.reference.as_ref().is_some_and(|r| opts.only.contains(r)));
        }
        info!(
            approved = release.approved.len(),
            held = release.held.len(),
            "Release plan made."
        );

        let mut results = Vec::new();
        for h in &release.held {
            let outcome = match &h.reason {
                plan::HoldReason::InvalidManifest { problems } => Outcome::Held {
                    reason: format!("invalid manifest: {}", problems.join("; ")),
                    detail: None,
                },
                other => Outcome::NotDue {
                    reason: other.clone(),
                },
            };
            record(&journal, &run_id, h.reference.as_deref(), "plan", &outcome);
            results.push(DatasetResult {
                reference: h.reference.clone(),
                title: h.title.clone(),
                manifest: h.manifest_path.display().to_string(),
                outcome,
            });
        }

        let preflight = crate::preflight::check(pipeline, &release, opts.source == Source::Build);
        if !preflight.is_empty() {
            for p in &preflight {
                error!(problem = %p, "Preflight failed.");
            }
            // Nothing is attempted: one bad manifest or source stops the whole run, so a
            // release is never half-done because of a typo.
            for a in std::mem::take(&mut release.approved) {
                let outcome = Outcome::Held {
                    reason: "not attempted: preflight failed".into(),
                    detail: None,
                };
                record(
                    &journal,
                    &run_id,
                    Some(a.reference()),
                    "preflight",
                    &outcome,
                );
                results.insert(
                    0,
                    DatasetResult {
                        reference: Some(a.reference().to_string()),
                        title: Some(a.manifest().metadata.title.en.clone()),
                        manifest: a.manifest_path().display().to_string(),
                        outcome,
                    },
                );
            }
        }
        if preflight.is_empty() && !release.approved.is_empty() {
            if let Err(e) = portal
                .probe(pipeline, &release.approved, !opts.dry_run)
                .await
            {
                // The run ends here, recorded as such, before anything is built or sent.
                if let Ok(j) = journal.lock() {
                    j.end_run(&run_id, "failed", [0, 0, 0, 0])?;
                }
                return Err(e.into());
            }
        }
        let retracted = if preflight.is_empty() {
            retract::retract(pipeline, portal, &journal, &run_id, &release, opts).await
        } else {
            Vec::new()
        };
        results.retain(|d| !retracted.iter().any(|r| r.reference == d.reference));
        let screen = Arc::new(Screen::new(&pipeline.screen)?.with_limits(&pipeline.limits));
        let created_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let bar = opts.progress.datasets(release.approved.len() as u64);
        let approved_results: Vec<DatasetResult> = futures_util::stream::iter(release.approved)
            .map(|a| {
                let span = info_span!("dataset", dataset = %a.reference());
                process(
                    pipeline,
                    portal,
                    &screen,
                    &journal,
                    &run_id,
                    &created_at,
                    opts,
                    a,
                )
                .instrument(span)
            })
            .buffered(pipeline.portal.concurrency)
            .inspect(|d| {
                bar.set_message(d.reference.clone().unwrap_or_default());
                bar.inc(1);
            })
            .collect()
            .await;
        bar.finish_and_clear();
        // Retractions first, then approved ones in priority order, then what was held.
        let mut datasets = retracted;
        datasets.extend(approved_results);
        datasets.extend(results);

        let report = RunReport {
            run_id: run_id.clone(),
            source: opts.source,
            as_of: opts.as_of,
            dry_run: opts.dry_run,
            portal: portal.describe(),
            rehearsal: portal.is_embedded(),
            preflight,
            datasets,
        };
        let counts = [
            report.count(|o| matches!(o, Outcome::Published { .. })) as u64,
            report.count(|o| matches!(o, Outcome::Unchanged { .. })) as u64,
            report.count(|o| matches!(o, Outcome::Held { .. } | Outcome::NotDue { .. })) as u64,
            report.count(|o| matches!(o, Outcome::Failed { .. } | Outcome::Refused { .. })) as u64,
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
            .map_err(|_| poisoned())?
            .end_run(&run_id, outcome, counts)?;
        info!(
            outcome,
            published = counts[0],
            unchanged = counts[1],
            held = counts[2],
            failed = counts[3],
            "Run finished."
        );
        Ok(report)
    }
    .instrument(span)
    .await
}

fn poisoned() -> RunError {
    RunError::Manifests {
        path: "journal".into(),
        source: std::io::Error::other("journal lock poisoned by a panic"),
    }
}

/// Journals one dataset's outcome as an event of `stage`.
fn record(
    journal: &Mutex<Journal>,
    run_id: &str,
    dataset: Option<&str>,
    stage: &str,
    outcome: &Outcome,
) {
    let (name, message) = match outcome {
        Outcome::Published { status, .. } => (
            match status {
                SyncStatus::Created => "created",
                SyncStatus::Updated => "updated",
                SyncStatus::Unchanged => "unchanged",
            },
            None,
        ),
        Outcome::Unchanged { .. } => ("unchanged", None),
        Outcome::NotDue { reason } => ("not_due", Some(reason.to_string())),
        Outcome::Held { reason, .. } => ("held", Some(reason.clone())),
        Outcome::Planned { plan } => ("planned", Some(format!("{} steps", plan.steps.len()))),
        Outcome::Failed { error } => ("failed", Some(error.clone())),
        Outcome::Refused { error } => ("refused", Some(error.clone())),
        Outcome::Retracted {
            still_public, why, ..
        } => (
            if *still_public {
                "retraction_due"
            } else {
                "retracted"
            },
            Some(why.clone()),
        ),
    };
    let event = Event {
        dataset: dataset.map(str::to_string),
        stage: stage.into(),
        outcome: name.into(),
        message,
        ..Default::default()
    };
    if let Ok(j) = journal.lock() {
        if let Err(e) = j.event(run_id, &event) {
            error!(error = %e, "Could not write to the journal.");
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn process(
    pipeline: &Pipeline,
    portal: &Portal,
    screen: &Arc<Screen>,
    journal: &Mutex<Journal>,
    run_id: &str,
    created_at: &str,
    opts: &RunOptions,
    approved: Approved,
) -> DatasetResult {
    let reference = approved.reference().to_string();
    let mut result = DatasetResult {
        reference: Some(reference.clone()),
        title: Some(approved.manifest().metadata.title.en.clone()),
        manifest: approved.manifest_path().display().to_string(),
        outcome: Outcome::Failed {
            error: String::new(),
        },
    };
    let started = std::time::Instant::now();
    let built = {
        let (p, s, a, r, c) = (
            pipeline.clone(),
            Arc::clone(screen),
            approved.clone(),
            run_id.to_string(),
            created_at.to_string(),
        );
        let span = tracing::Span::current();
        let progress = opts.progress.clone();
        let source = opts.source;
        tokio::task::spawn_blocking(move || {
            span.in_scope(|| match source {
                Source::Build => build::build(&p, &s, &a, &r, &c, &progress),
                Source::Packages => build::existing(&p, &a),
            })
        })
        .await
    };
    let built = match built {
        Ok(Ok(BuildOutcome::Ready(b))) => b,
        Ok(Ok(BuildOutcome::Held(hold))) => {
            warn!(
                stage = "build",
                outcome = "held",
                resource = hold.resource(),
                reason = %hold.summary(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "Dataset held back."
            );
            result.outcome = Outcome::Held {
                reason: hold.summary(),
                detail: Some(hold),
            };
            record(journal, run_id, Some(&reference), "build", &result.outcome);
            return result;
        }
        Ok(Err(e)) => return package_failed(result, journal, run_id, e.to_string()),
        Err(e) => {
            return package_failed(
                result,
                journal,
                run_id,
                format!("package stage crashed: {e}"),
            )
        }
    };
    if let Ok(j) = journal.lock() {
        for f in &built.files {
            let _ = j.event(
                run_id,
                &Event {
                    dataset: Some(reference.clone()),
                    resource: Some(f.name.clone()),
                    stage: "package".into(),
                    outcome: "written".into(),
                    sha256: Some(f.sha256.hex()),
                    bytes: Some(f.bytes),
                    ..Default::default()
                },
            );
        }
        for w in &built.waived {
            let _ = j.event(
                run_id,
                &Event {
                    dataset: Some(reference.clone()),
                    stage: "screen".into(),
                    outcome: "waived".into(),
                    message: Some(format!(
                        "{} at {} waived by {}",
                        w.rule,
                        w.location,
                        w.waived_by.as_deref().unwrap_or("?")
                    )),
                    ..Default::default()
                },
            );
        }
    }
    info!(
        stage = "build",
        outcome = "packaged",
        files = built.files.len(),
        bytes = built.files.iter().map(|f| f.bytes).sum::<u64>(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "Package built."
    );
    let started = std::time::Instant::now();
    result.outcome = publish_one(pipeline, portal, journal, run_id, opts, &approved, &built)
        .instrument(info_span!("stage", stage = "publish"))
        .await;
    let outcome = match &result.outcome {
        Outcome::Published { .. } => "published",
        Outcome::Unchanged { .. } => "unchanged",
        Outcome::Planned { .. } => "planned",
        Outcome::Failed { .. } => "failed",
        Outcome::Refused { .. } => "refused",
        _ => "held",
    };
    info!(
        stage = "publish",
        outcome,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "Dataset done."
    );
    record(
        journal,
        run_id,
        Some(&reference),
        "publish",
        &result.outcome,
    );
    result
}

fn package_failed(
    mut result: DatasetResult,
    journal: &Mutex<Journal>,
    run_id: &str,
    error: String,
) -> DatasetResult {
    error!(error = %error, "Package could not be built.");
    result.outcome = Outcome::Failed { error };
    record(
        journal,
        run_id,
        result.reference.as_deref(),
        "package",
        &result.outcome,
    );
    result
}

/// The dataset as the portal should hold it.
pub fn local_dataset(pipeline: &Pipeline, approved: &Approved, built: &Built) -> LocalDataset {
    let profile = pipeline.portal.profile;
    LocalDataset {
        lookup: match profile {
            crate::vocab::Profile::OpenCanada => approved.id().to_string(),
            crate::vocab::Profile::Ckan => approved.slug(),
        },
        fields: publish::request::dataset_fields(
            profile,
            approved,
            &pipeline.defaults,
            &pipeline.portal.organization,
        ),
        resources: built
            .files
            .iter()
            .map(|f| LocalResource {
                key: publish::request::resource_key(f),
                path: built.dir.join(&f.name),
                file_name: f.name.clone(),
                sha256: f.sha256,
                bytes: f.bytes,
                fields: publish::request::resource_fields(profile, f, &pipeline.defaults.languages),
            })
            .collect(),
    }
}

/// Publishes (or, on a dry run, plans) one built dataset and records what was published.
async fn publish_one(
    pipeline: &Pipeline,
    portal: &Portal,
    journal: &Mutex<Journal>,
    run_id: &str,
    opts: &RunOptions,
    approved: &Approved,
    built: &Built,
) -> Outcome {
    let local = local_dataset(pipeline, approved, built);
    let recorded: BTreeMap<_, _> = journal
        .lock()
        .ok()
        .and_then(|j| j.published_for(approved.reference()).ok())
        .unwrap_or_default();
    let profile = pipeline.portal.profile;
    if opts.dry_run {
        return match publish::dry_run(portal.client(), profile, &local, &recorded).await {
            Ok(plan) => Outcome::Planned { plan },
            Err(e) => Outcome::Failed {
                error: e.to_string(),
            },
        };
    }
    match publish::sync(portal.client(), profile, &local, &recorded).await {
        Ok(out) => {
            if let Ok(j) = journal.lock() {
                let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                for r in &out.resources {
                    if let Err(e) = j.record_published(&PublishedRecord {
                        dataset: approved.reference().to_string(),
                        resource_key: r.key.clone(),
                        dataset_id: out.dataset_id.clone(),
                        resource_id: r.resource_id.clone(),
                        sha256: r.sha256.hex(),
                        bytes: r.bytes,
                        url: r.url.clone(),
                        published_at: now.clone(),
                        run_id: run_id.to_string(),
                    }) {
                        error!(error = %e, "Could not record what was published.");
                    }
                }
                let keep: Vec<String> = out.resources.iter().map(|r| r.key.clone()).collect();
                let _ = j.forget_published(approved.reference(), &keep);
            }
            if out.status == SyncStatus::Unchanged {
                info!(url = %out.dataset_url, "Dataset unchanged.");
                Outcome::Unchanged {
                    url: out.dataset_url,
                }
            } else {
                info!(url = %out.dataset_url, steps = out.steps.len(), "Dataset published.");
                Outcome::Published {
                    status: out.status,
                    url: out.dataset_url,
                    resources: out.resources,
                }
            }
        }
        Err(e) if e.retry_helps() => {
            error!(error = %e, "Publishing failed.");
            Outcome::Failed {
                error: e.to_string(),
            }
        }
        Err(e) => {
            error!(error = %e, "The portal refused the dataset.");
            Outcome::Refused {
                error: e.to_string(),
            }
        }
    }
}
