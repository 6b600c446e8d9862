//! The inventory as operations see it: `ogpipe status` and `ogpipe report`.
//!
//! [`inventory`] joins the manifests (through the release gate) with what the journal
//! says had happened by the report date, into one [`Entry`] per manifest, invalid ones
//! included. From the entries come the Directive on Open Government's products:
//! [`Report::build`] (the inventory and progress report, [`render`]), the Open Data
//! Inventory in the Registry's template ([`template`]), the business owners' report
//! ([`owners`]), the release plan ([`release`]) and the monthly progress report
//! ([`monthly`]), each in English or French ([`lang`]). Markdown and HTML are written
//! from one document model ([`doc`]), so both carry the same content.
//!
//! A report for a date D reads the record as it stood on D ([`history`]): published
//! means a publication recorded on or before D, and an approval counts from its date.
//!
//! Everything here is pure: manifests, journal records and the report date go in, values
//! and bytes come out. There is no clock: the report date is always given, so the same
//! inputs make the same report (the golden files depend on it). Reading the files and the
//! journal happens in [`load`], at the edge, and in `cmd/ops.rs`.

pub mod chart;
pub mod doc;
pub mod history;
pub mod lang;
pub mod monthly;
pub mod owners;
pub mod release;
pub mod render;
pub mod status;
pub mod template;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{Datelike as _, NaiveDate};
use serde::Serialize;

use crate::journal::PublishedRecord;
use crate::plan::manifest::{DecisionStatus, Role};
use crate::plan::{self, HoldReason, Loaded, Manifest};
pub use history::{History, Trouble};
pub use lang::Lang;

/// The manifests on disk: as the gate takes them, plus, for the ones that are invalid
/// but parse, the parsed manifest, so the inventory can still name them.
#[derive(Debug, Clone, Default)]
pub struct Manifests {
    pub loaded: Vec<Loaded>,
    pub partial: BTreeMap<PathBuf, Manifest>,
}

/// Reads the manifest folder.
///
/// # Errors
/// The folder cannot be listed.
pub fn load(datasets: &Path, data: &Path) -> std::io::Result<Manifests> {
    let loaded = plan::load_dir(datasets, data)?;
    let partial = loaded
        .iter()
        .filter(|l| l.manifest.is_err())
        .filter_map(|l| {
            let text = std::fs::read_to_string(&l.path).ok()?;
            Some((l.path.clone(), Manifest::parse(&text).ok()?))
        })
        .collect();
    Ok(Manifests { loaded, partial })
}

/// What the journal says about publication, by inventory reference.
#[derive(Debug, Clone, Default)]
pub struct Publications {
    /// What the portal holds now, by resource.
    pub records: Vec<PublishedRecord>,
    /// Every dataset event of the real runs, dated.
    pub history: History,
    /// The time zone dates are read in (the schedule's), UTC without one.
    pub tz: Option<chrono_tz::Tz>,
}

/// The IMSO's approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Imso {
    pub name: String,
    pub date: NaiveDate,
}

/// One published file, as last recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishedFile {
    pub key: String,
    pub sha256: String,
    pub bytes: u64,
    pub url: String,
}

/// What was published of a dataset, as of the report date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Published {
    /// When it first reached the portal (RFC 3339, UTC).
    pub first: String,
    /// When its content last changed on the portal, on or before the report date.
    pub last: String,
    /// `first` and `last` as local dates.
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
    /// The dataset's page on the portal, when the journal's URLs show it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The files the portal holds now (the journal keeps only the latest of each).
    pub files: Vec<PublishedFile>,
}

impl Published {
    /// The URL a person downloads the data from: the CSV if there is one.
    pub fn download_url(&self) -> Option<&str> {
        self.files
            .iter()
            .find(|f| f.key.ends_with(".csv"))
            .or_else(|| self.files.first())
            .map(|f| f.url.as_str())
    }

    /// The bytes of every file.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
}

/// A published dataset against its planned date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "timing", rename_all = "snake_case")]
pub enum Timing {
    OnTime,
    Late { days: i64 },
}

impl Timing {
    fn of(published: NaiveDate, planned: NaiveDate) -> Timing {
        let days = (published - planned).num_days();
        if days <= 0 {
            Timing::OnTime
        } else {
            Timing::Late { days }
        }
    }

    pub fn text(self, lang: Lang) -> String {
        match self {
            Timing::OnTime => lang.words().on_time.to_string(),
            Timing::Late { days } => lang.late_by(days),
        }
    }
}

/// Why an overdue dataset is not on the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Blocker {
    /// No IMSO approval dated on or before the report date; `since` is the last
    /// approval before it in the chain (business owner or DG IM), if any.
    AwaitingImso { since: Option<NaiveDate> },
    /// The last run held or failed it.
    Trouble(Trouble),
    /// Planned, then decided `withhold`.
    WithheldAfterPlanning { grounds: Vec<String> },
    /// Approved and due, and no run has published it or said why not.
    NotRun,
}

/// Who must act on a blocker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Imso,
    BusinessOwner,
    Operations,
}

impl Blocker {
    /// Why, in words, with the date.
    pub fn text(&self, lang: Lang) -> String {
        let w = lang.words();
        match self {
            Blocker::AwaitingImso { since: Some(d) } => format!("{} {d}", w.awaiting_imso_since),
            Blocker::AwaitingImso { since: None } => w.awaiting_imso.to_string(),
            Blocker::Trouble(Trouble::Held {
                on,
                by_screen,
                detail,
            }) => {
                let head = if *by_screen {
                    w.held_by_screen_on
                } else {
                    w.held_on
                };
                format!("{head} {on}: {detail}")
            }
            Blocker::Trouble(Trouble::Failed { on, detail }) => {
                format!("{} {on}: {detail}", w.failed_on)
            }
            Blocker::WithheldAfterPlanning { grounds } if grounds.is_empty() => {
                w.withheld_after_planning.to_string()
            }
            Blocker::WithheldAfterPlanning { grounds } => {
                format!("{} ({})", w.withheld_after_planning, grounds.join("; "))
            }
            Blocker::NotRun => w.not_run_since_due.to_string(),
        }
    }

    pub fn actor(&self) -> Actor {
        match self {
            Blocker::AwaitingImso { .. } => Actor::Imso,
            // A screen finding or a schema violation is fixed in the source, or waived,
            // by the business owner; a withholding is theirs to revisit.
            Blocker::Trouble(Trouble::Held { .. }) | Blocker::WithheldAfterPlanning { .. } => {
                Actor::BusinessOwner
            }
            Blocker::Trouble(Trouble::Failed { .. }) | Blocker::NotRun => Actor::Operations,
        }
    }
}

impl Actor {
    pub fn text(self, lang: Lang) -> &'static str {
        let w = lang.words();
        match self {
            Actor::Imso => w.act_imso,
            Actor::BusinessOwner => w.act_business_owner,
            Actor::Operations => w.act_operations,
        }
    }
}

/// One approval of the chain, as recorded in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalLine {
    pub role: Role,
    pub name: String,
    pub date: NaiveDate,
}

/// Where a dataset stands, for the progress report. Each dataset is in exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    /// On the portal.
    Published,
    /// Its planned date passed and it is not published, whatever the reason.
    Overdue,
    /// Decided `release`, not published and not overdue: awaiting approval, scheduled,
    /// or due today.
    Pending,
    Withheld,
    /// The manifest is invalid: nothing can be said until it is fixed.
    Invalid,
}

impl Progress {
    pub const ALL: [Progress; 5] = [
        Progress::Published,
        Progress::Overdue,
        Progress::Pending,
        Progress::Withheld,
        Progress::Invalid,
    ];

    pub fn label(self, lang: Lang) -> &'static str {
        let w = lang.words();
        match self {
            Progress::Published => w.published,
            Progress::Overdue => w.overdue,
            Progress::Pending => w.pending,
            Progress::Withheld => w.withheld,
            Progress::Invalid => w.invalid,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Progress::Published => "published",
            Progress::Overdue => "overdue",
            Progress::Pending => "pending",
            Progress::Withheld => "withheld",
            Progress::Invalid => "invalid",
        }
    }
}

/// One manifest of the inventory, joined with the gate and the journal.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// The manifest's file name.
    pub manifest: String,
    pub reference: Option<String>,
    pub title: Option<String>,
    pub title_fr: Option<String>,
    pub category: Option<String>,
    pub decision: Option<DecisionStatus>,
    /// Exemption grounds, for a withheld resource.
    pub grounds: Vec<String>,
    pub justification: String,
    /// `None`: awaiting (or dated after the report date).
    pub imso: Option<Imso>,
    /// The approvals dated on or before the report date, in the manifest's order.
    pub approvals: Vec<ApprovalLine>,
    pub release_date: Option<NaiveDate>,
    pub priority: Option<u32>,
    /// The release plan's note.
    pub plan: String,
    /// The gate's answer for the report date; `None` means it may be published.
    pub hold: Option<HoldReason>,
    pub published: Option<Published>,
    /// For a published dataset with a planned date: on time or late.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
    /// For an overdue dataset: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocker: Option<Blocker>,
    pub progress: Progress,
    /// The manifest as read, for what the reports show beyond these fields.
    #[serde(skip)]
    pub source: Option<Manifest>,
    /// The package folder name.
    #[serde(skip)]
    pub slug: Option<String>,
    #[serde(skip)]
    pub manifest_path: PathBuf,
}

impl Entry {
    /// The reference, or the manifest file when it could not be read that far.
    pub fn name(&self) -> &str {
        self.reference.as_deref().unwrap_or(&self.manifest)
    }

    /// The title in `lang`.
    pub fn title_in(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.title.clone(),
            Lang::Fr => self.title_fr.clone(),
        }
        .unwrap_or_else(|| lang.words().unreadable_manifest.to_string())
    }

    /// The decision in `lang`.
    pub fn decision_text(&self, lang: Lang) -> &'static str {
        let w = lang.words();
        match self.decision {
            Some(DecisionStatus::Release) => w.release,
            Some(DecisionStatus::Withhold) => w.withhold,
            None => w.unknown,
        }
    }

    /// The recorded approval of `role`, if dated by the report date.
    pub fn approval(&self, role: Role) -> Option<&ApprovalLine> {
        self.approvals.iter().find(|a| a.role == role)
    }

    pub fn decision_label(&self) -> &'static str {
        match self.decision {
            Some(DecisionStatus::Release) => "release",
            Some(DecisionStatus::Withhold) => "withhold",
            None => "unknown",
        }
    }

    /// The first publication date.
    pub fn first_published(&self) -> Option<NaiveDate> {
        self.published.as_ref().map(|p| p.first_date)
    }
}

/// The date of an RFC 3339 time as the journal writes them (`2026-11-28T…`).
pub fn date_of(time: &str) -> Option<NaiveDate> {
    time.get(..10)?.parse().ok()
}

/// The dataset page of a resource URL (`…/dataset/<name>/resource/…` in CKAN).
fn dataset_url(resource_url: &str) -> Option<String> {
    let at = resource_url.find("/dataset/")?;
    let rest = &resource_url[at + "/dataset/".len()..];
    let name = rest.split('/').next().filter(|n| !n.is_empty())?;
    Some(format!("{}/dataset/{name}", &resource_url[..at]))
}

/// What was published of `reference` by `as_of`, from the journal.
fn published_by(
    reference: &str,
    as_of: NaiveDate,
    journal: &Publications,
    files: &BTreeMap<&str, Vec<PublishedFile>>,
) -> Option<Published> {
    let fs = files.get(reference).cloned().unwrap_or_default();
    let (first, last) = if journal.history.knows(reference) {
        journal.history.first_time(reference, as_of)?
    } else {
        // A journal from before publish events were kept: the records' own times.
        let mut times: Vec<&str> = journal
            .records
            .iter()
            .filter(|p| p.dataset == reference)
            .map(|p| p.published_at.as_str())
            .filter(|t| history::local_date(t, journal.tz).is_some_and(|d| d <= as_of))
            .collect();
        times.sort_unstable();
        (times.first()?.to_string(), times.last()?.to_string())
    };
    Some(Published {
        first_date: history::local_date(&first, journal.tz)?,
        last_date: history::local_date(&last, journal.tz)?,
        first,
        last,
        url: fs.iter().find_map(|f| dataset_url(&f.url)),
        files: fs,
    })
}

/// Joins the manifests with the gate's answer for `as_of` and the journal as it stood
/// on `as_of`.
pub fn inventory(
    manifests: &Manifests,
    organization: &str,
    as_of: NaiveDate,
    journal: &Publications,
) -> Vec<Entry> {
    inventory_recorded(manifests, organization, as_of, as_of, journal)
}

/// As [`inventory`], with the journal read up to `recorded_by` instead: `ogpipe status`
/// judges the gate for a date but must know everything already on the portal, since
/// the next run starts from it.
pub fn inventory_recorded(
    manifests: &Manifests,
    organization: &str,
    as_of: NaiveDate,
    recorded_by: NaiveDate,
    journal: &Publications,
) -> Vec<Entry> {
    let release = plan::gate(manifests.loaded.clone(), organization, as_of);
    let holds: BTreeMap<&Path, &HoldReason> = release
        .held
        .iter()
        .map(|h| (h.manifest_path.as_path(), &h.reason))
        .collect();
    let mut files: BTreeMap<&str, Vec<PublishedFile>> = BTreeMap::new();
    for r in &journal.records {
        files
            .entry(r.dataset.as_str())
            .or_default()
            .push(PublishedFile {
                key: r.resource_key.clone(),
                sha256: r.sha256.clone(),
                bytes: r.bytes,
                url: r.url.clone(),
            });
    }
    manifests
        .loaded
        .iter()
        .map(|l| {
            let m = l
                .manifest
                .as_ref()
                .ok()
                .or_else(|| manifests.partial.get(&l.path));
            let hold = holds.get(l.path.as_path()).map(|h| (*h).clone());
            let reference = m.map(|m| m.inventory.reference.clone());
            let published = reference
                .as_deref()
                .and_then(|r| published_by(r, recorded_by, journal, &files));
            let approvals: Vec<ApprovalLine> = m
                .map(|m| {
                    m.approvals
                        .iter()
                        .filter(|a| a.date <= as_of)
                        .map(|a| ApprovalLine {
                            role: a.role,
                            name: a.name.clone(),
                            date: a.date,
                        })
                        .collect()
                })
                .unwrap_or_default();
            let imso = approvals
                .iter()
                .find(|a| a.role == Role::Imso)
                .map(|a| Imso {
                    name: a.name.clone(),
                    date: a.date,
                });
            let decision = m.map(|m| m.decision.status);
            let invalid = matches!(hold, Some(HoldReason::InvalidManifest { .. }));
            let release_date = m.map(|m| m.release.date);
            let past_due = release_date.is_some_and(|d| d < as_of);
            let progress = if published.is_some() {
                Progress::Published
            } else if invalid {
                Progress::Invalid
            } else if past_due {
                Progress::Overdue
            } else if decision == Some(DecisionStatus::Withhold) {
                Progress::Withheld
            } else {
                Progress::Pending
            };
            let blocker = (progress == Progress::Overdue).then(|| {
                let grounds = m.map(|m| m.decision.grounds.clone()).unwrap_or_default();
                if decision == Some(DecisionStatus::Withhold) {
                    return Blocker::WithheldAfterPlanning { grounds };
                }
                if imso.is_none() {
                    return Blocker::AwaitingImso {
                        since: approvals
                            .iter()
                            .filter(|a| a.role != Role::Imso)
                            .map(|a| a.date)
                            .max(),
                    };
                }
                reference
                    .as_deref()
                    .and_then(|r| journal.history.trouble(r, as_of))
                    .map_or(Blocker::NotRun, Blocker::Trouble)
            });
            let timing = match (&published, release_date) {
                (Some(p), Some(planned)) => Some(Timing::of(p.first_date, planned)),
                _ => None,
            };
            Entry {
                manifest: l.path.file_name().map_or_else(
                    || l.path.display().to_string(),
                    |f| f.to_string_lossy().into(),
                ),
                reference,
                title: m.map(|m| m.metadata.title.en.clone()),
                title_fr: m.map(|m| m.metadata.title.fr.clone()),
                category: m.map(|m| m.inventory.category.clone()),
                decision,
                grounds: m.map(|m| m.decision.grounds.clone()).unwrap_or_default(),
                justification: m
                    .map(|m| m.decision.justification.clone())
                    .unwrap_or_default(),
                imso,
                approvals,
                release_date,
                priority: m.map(|m| m.release.priority),
                plan: m.map(|m| m.release.plan.clone()).unwrap_or_default(),
                hold,
                published,
                timing,
                blocker,
                progress,
                source: m.cloned(),
                slug: m.map(|m| {
                    m.inventory
                        .name
                        .clone()
                        .unwrap_or_else(|| plan::slug(&m.inventory.reference))
                }),
                manifest_path: l.path.clone(),
            }
        })
        .collect()
}

/// A count under a label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    pub label: String,
    pub count: usize,
}

/// One information category's datasets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryCounts {
    pub category: String,
    pub datasets: usize,
    pub published: usize,
    pub overdue: usize,
    pub pending: usize,
    pub withheld: usize,
    pub invalid: usize,
}

/// A withheld resource and its grounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WithheldLine {
    pub reference: String,
    pub title: String,
    pub category: String,
    pub grounds: Vec<String>,
    pub justification: String,
}

/// One line of the release plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanLine {
    pub priority: u32,
    pub reference: String,
    pub title: String,
    pub category: String,
    pub release_date: NaiveDate,
    pub imso: Option<Imso>,
    pub progress: Progress,
    /// What stands between it and the portal, in words, in the report's language:
    /// published on time or late, or why it is not.
    pub state: String,
    pub first_published: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocker: Option<Blocker>,
    pub plan: String,
}

/// Cumulative planned and published datasets at the end of a month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthPoint {
    /// `YYYY-MM`.
    pub month: String,
    pub planned: usize,
    pub published: usize,
}

/// The Directive's inventory and monthly progress report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub as_of: NaiveDate,
    pub lang: Lang,
    pub datasets: usize,
    /// By [`Progress`], every state listed, in [`Progress::ALL`] order.
    pub progress: Vec<Count>,
    pub by_category: Vec<CategoryCounts>,
    /// `release`, `withhold`, `unknown` (invalid manifests that cannot be read).
    pub by_decision: Vec<Count>,
    /// Each exemption ground with how many withheld resources cite it.
    pub grounds: Vec<Count>,
    pub withheld: Vec<WithheldLine>,
    /// `approved` (by the IMSO, on or before the report date) and `awaiting`.
    pub approval: Vec<Count>,
    pub overdue: Vec<PlanLine>,
    /// Not yet published, release date on or after the report date, soonest first.
    pub next_releases: Vec<PlanLine>,
    /// Every resource decided `release`, in priority order.
    pub release_plan: Vec<PlanLine>,
    pub invalid: Vec<String>,
    pub timeline: Vec<MonthPoint>,
}

fn month(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

/// The gate's reason in `lang`.
pub fn hold_text(h: &HoldReason, lang: Lang) -> String {
    let w = lang.words();
    match h {
        HoldReason::Withheld {
            grounds,
            justification,
        } => format!("{} ({}): {justification}", w.withheld, grounds.join("; ")),
        HoldReason::AwaitingImso => w.awaiting_imso.to_string(),
        HoldReason::Scheduled { date } => format!("{} {date}", w.scheduled_for),
        HoldReason::InvalidManifest { problems } => {
            format!("{}: {}", w.invalid, problems.join("; "))
        }
    }
}

/// Where an entry stands, in words: published (on time or late), overdue with why, or
/// what the gate says.
pub fn state_text(e: &Entry, as_of: NaiveDate, lang: Lang) -> String {
    let w = lang.words();
    match (&e.progress, &e.hold) {
        (Progress::Published, _) => match e.timing {
            Some(t) => format!("{}, {}", w.published, t.text(lang)),
            None => w.published.to_string(),
        },
        (Progress::Overdue, _) => match &e.blocker {
            Some(b) => format!("{}: {}", w.overdue, b.text(lang)),
            None => w.overdue.to_string(),
        },
        (_, Some(h)) => hold_text(h, lang),
        (_, None) if e.release_date == Some(as_of) => w.due_today.to_string(),
        (_, None) => w.due_next_run.to_string(),
    }
}

fn plan_line(e: &Entry, as_of: NaiveDate, lang: Lang) -> Option<PlanLine> {
    Some(PlanLine {
        priority: e.priority?,
        reference: e.reference.clone()?,
        title: e.title_in(lang),
        category: e.category.clone().unwrap_or_default(),
        release_date: e.release_date?,
        imso: e.imso.clone(),
        progress: e.progress,
        state: state_text(e, as_of, lang),
        first_published: e.first_published(),
        timing: e.timing,
        blocker: e.blocker.clone(),
        plan: e.plan.clone(),
    })
}

impl Report {
    /// The report for `as_of` over the inventory's entries, its words in `lang`.
    pub fn build(entries: &[Entry], as_of: NaiveDate, lang: Lang) -> Report {
        let count_of = |p: Progress| entries.iter().filter(|e| e.progress == p).count();
        let progress = Progress::ALL
            .iter()
            .map(|&p| Count {
                label: p.key().into(),
                count: count_of(p),
            })
            .collect();

        let mut cats: BTreeMap<String, CategoryCounts> = BTreeMap::new();
        for e in entries {
            let name = e
                .category
                .clone()
                .unwrap_or_else(|| lang.words().unreadable_manifest.into());
            let c = cats.entry(name.clone()).or_insert(CategoryCounts {
                category: name,
                datasets: 0,
                published: 0,
                overdue: 0,
                pending: 0,
                withheld: 0,
                invalid: 0,
            });
            c.datasets += 1;
            *match e.progress {
                Progress::Published => &mut c.published,
                Progress::Overdue => &mut c.overdue,
                Progress::Pending => &mut c.pending,
                Progress::Withheld => &mut c.withheld,
                Progress::Invalid => &mut c.invalid,
            } += 1;
        }

        let by_decision = ["release", "withhold", "unknown"]
            .iter()
            .map(|&d| Count {
                label: d.into(),
                count: entries.iter().filter(|e| e.decision_label() == d).count(),
            })
            .filter(|c| c.count > 0 || c.label != "unknown")
            .collect();

        let withheld_entries: Vec<&Entry> = entries
            .iter()
            .filter(|e| e.decision == Some(DecisionStatus::Withhold))
            .collect();
        let mut grounds: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &withheld_entries {
            for g in e.grounds.iter().collect::<BTreeSet<_>>() {
                *grounds.entry(g).or_default() += 1;
            }
        }
        let withheld = withheld_entries
            .iter()
            .map(|e| WithheldLine {
                reference: e.name().to_string(),
                title: e.title_in(lang),
                category: e.category.clone().unwrap_or_default(),
                grounds: e.grounds.clone(),
                justification: e.justification.clone(),
            })
            .collect();

        // Only resources recommended for release await the IMSO's approval to go out; a
        // withheld one approved as withheld is not "approved" for release.
        let readable = entries
            .iter()
            .filter(|e| e.decision == Some(DecisionStatus::Release));
        let approved = readable.clone().filter(|e| e.imso.is_some()).count();
        let approval = vec![
            Count {
                label: "approved".into(),
                count: approved,
            },
            Count {
                label: "awaiting".into(),
                count: readable.count() - approved,
            },
        ];

        let mut release_plan: Vec<PlanLine> = entries
            .iter()
            .filter(|e| e.decision == Some(DecisionStatus::Release))
            .filter_map(|e| plan_line(e, as_of, lang))
            .collect();
        release_plan.sort_by(|a, b| {
            (a.priority, a.release_date, &a.reference).cmp(&(
                b.priority,
                b.release_date,
                &b.reference,
            ))
        });
        // Every overdue entry, withheld ones included: the plan had them due.
        let mut overdue: Vec<PlanLine> = entries
            .iter()
            .filter(|e| e.progress == Progress::Overdue)
            .filter_map(|e| plan_line(e, as_of, lang))
            .collect();
        overdue.sort_by(|a, b| {
            (a.priority, a.release_date, &a.reference).cmp(&(
                b.priority,
                b.release_date,
                &b.reference,
            ))
        });
        let mut next_releases: Vec<PlanLine> = release_plan
            .iter()
            .filter(|l| l.progress == Progress::Pending && l.release_date >= as_of)
            .cloned()
            .collect();
        next_releases.sort_by(|a, b| {
            (a.release_date, a.priority, &a.reference).cmp(&(
                b.release_date,
                b.priority,
                &b.reference,
            ))
        });

        Report {
            as_of,
            lang,
            datasets: entries.len(),
            progress,
            by_category: cats.into_values().collect(),
            by_decision,
            grounds: grounds
                .into_iter()
                .map(|(g, n)| Count {
                    label: g.to_string(),
                    count: n,
                })
                .collect(),
            withheld,
            approval,
            overdue,
            next_releases,
            timeline: timeline(&release_plan, as_of),
            release_plan,
            invalid: entries
                .iter()
                .filter(|e| e.progress == Progress::Invalid)
                .map(|e| {
                    let problems = match &e.hold {
                        Some(HoldReason::InvalidManifest { problems }) => problems.join("; "),
                        _ => String::new(),
                    };
                    // The problems are the checker's own words, in English.
                    format!("{}: {problems}", e.manifest)
                })
                .collect(),
        }
    }

    /// The count for a progress state.
    pub fn progress_count(&self, p: Progress) -> usize {
        self.progress
            .iter()
            .find(|c| c.label == p.key())
            .map_or(0, |c| c.count)
    }
}

/// Cumulative planned (by release date) and published (by first publication) datasets
/// per month, from the first month either happens to the later of the report month
/// and the last planned release.
fn timeline(plan: &[PlanLine], as_of: NaiveDate) -> Vec<MonthPoint> {
    let planned: Vec<NaiveDate> = plan.iter().map(|l| l.release_date).collect();
    let published: Vec<NaiveDate> = plan.iter().filter_map(|l| l.first_published).collect();
    let Some(first) = planned.iter().chain(&published).min().copied() else {
        return Vec::new();
    };
    let last = planned
        .iter()
        .chain(&published)
        .chain(std::iter::once(&as_of))
        .max()
        .copied()
        .unwrap_or(as_of);
    let mut out = Vec::new();
    let mut m = first.with_day0(0).unwrap_or(first);
    while month(m) <= month(last) {
        let key = month(m);
        out.push(MonthPoint {
            planned: planned.iter().filter(|d| month(**d) <= key).count(),
            published: published.iter().filter(|d| month(**d) <= key).count(),
            month: key,
        });
        m = m.checked_add_months(chrono::Months::new(1)).unwrap_or(last);
        if out.len() > 1200 {
            break; // a century of months: a typo in a date, not a plan
        }
    }
    out
}

#[cfg(test)]
mod tests;
