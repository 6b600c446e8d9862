//! The inventory as operations see it: `ogpipe status` and `ogpipe report`.
//!
//! [`inventory`] joins the manifests (through the release gate) with what the journal
//! says was published, into one [`Entry`] per manifest, invalid ones included.
//! [`Report::build`] turns the entries into the Directive on Open Government's
//! inventory and monthly progress report, and [`render`] writes it as Markdown, CSV,
//! JSON or one self-contained HTML page.
//!
//! Everything here is pure: manifests, journal records and the report date go in, values
//! and bytes come out. There is no clock: the report date is always given, so the same
//! inputs make the same report (the golden files depend on it). Reading the files and the
//! journal happens in [`load`], at the edge, and in `cmd/ops.rs`.

pub mod chart;
pub mod render;
pub mod status;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{Datelike as _, NaiveDate};
use serde::Serialize;

use crate::journal::{PublicationDates, PublishedRecord};
use crate::plan::manifest::DecisionStatus;
use crate::plan::{self, HoldReason, Loaded, Manifest};

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
    pub records: Vec<PublishedRecord>,
    pub dates: BTreeMap<String, PublicationDates>,
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

/// What was published of a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Published {
    /// When it first reached the portal (RFC 3339, UTC).
    pub first: String,
    /// When its content last changed on the portal.
    pub last: String,
    /// The dataset's page on the portal, when the journal's URLs show it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub files: Vec<PublishedFile>,
}

/// Where a dataset stands, for the progress report. Each dataset is in exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    /// On the portal.
    Published,
    /// Approved, its release date passed, never published.
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

    pub fn label(self) -> &'static str {
        match self {
            Progress::Published => "Published",
            Progress::Overdue => "Overdue",
            Progress::Pending => "Pending",
            Progress::Withheld => "Withheld",
            Progress::Invalid => "Invalid manifest",
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
    pub category: Option<String>,
    pub decision: Option<DecisionStatus>,
    /// Exemption grounds, for a withheld resource.
    pub grounds: Vec<String>,
    pub justification: String,
    /// `None`: awaiting (or dated after the report date).
    pub imso: Option<Imso>,
    pub release_date: Option<NaiveDate>,
    pub priority: Option<u32>,
    /// The release plan's note.
    pub plan: String,
    /// The gate's answer for the report date; `None` means it may be published.
    pub hold: Option<HoldReason>,
    pub published: Option<Published>,
    pub progress: Progress,
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

    pub fn decision_label(&self) -> &'static str {
        match self.decision {
            Some(DecisionStatus::Release) => "release",
            Some(DecisionStatus::Withhold) => "withhold",
            None => "unknown",
        }
    }

    /// The first publication date.
    pub fn first_published(&self) -> Option<NaiveDate> {
        self.published.as_ref().and_then(|p| date_of(&p.first))
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

/// Joins the manifests with the gate's answer for `as_of` and the journal.
pub fn inventory(
    manifests: &Manifests,
    organization: &str,
    as_of: NaiveDate,
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
            let published = reference.as_deref().and_then(|r| {
                let fs = files.get(r).cloned().unwrap_or_default();
                let dates = journal.dates.get(r);
                if fs.is_empty() && dates.is_none() {
                    return None;
                }
                // A journal from before publish events were kept: the records' times.
                let recorded = |pick: fn(&str, &str) -> bool| {
                    journal
                        .records
                        .iter()
                        .filter(|p| p.dataset == r)
                        .map(|p| p.published_at.as_str())
                        .reduce(|a, b| if pick(a, b) { a } else { b })
                        .unwrap_or_default()
                        .to_string()
                };
                Some(Published {
                    first: dates.map_or_else(|| recorded(|a, b| a <= b), |d| d.first.clone()),
                    last: dates.map_or_else(|| recorded(|a, b| a >= b), |d| d.last.clone()),
                    url: fs.iter().find_map(|f| dataset_url(&f.url)),
                    files: fs,
                })
            });
            let imso = m
                .and_then(Manifest::imso_approval)
                .filter(|a| a.date <= as_of)
                .map(|a| Imso {
                    name: a.name.clone(),
                    date: a.date,
                });
            let decision = m.map(|m| m.decision.status);
            let invalid = matches!(hold, Some(HoldReason::InvalidManifest { .. }));
            let progress = if published.is_some() {
                Progress::Published
            } else if invalid {
                Progress::Invalid
            } else if decision == Some(DecisionStatus::Withhold) {
                Progress::Withheld
            } else if imso.is_some() && m.is_some_and(|m| m.release.date < as_of) {
                Progress::Overdue
            } else {
                Progress::Pending
            };
            Entry {
                manifest: l.path.file_name().map_or_else(
                    || l.path.display().to_string(),
                    |f| f.to_string_lossy().into(),
                ),
                reference,
                title: m.map(|m| m.metadata.title.en.clone()),
                category: m.map(|m| m.inventory.category.clone()),
                decision,
                grounds: m.map(|m| m.decision.grounds.clone()).unwrap_or_default(),
                justification: m
                    .map(|m| m.decision.justification.clone())
                    .unwrap_or_default(),
                imso,
                release_date: m.map(|m| m.release.date),
                priority: m.map(|m| m.release.priority),
                plan: m.map(|m| m.release.plan.clone()).unwrap_or_default(),
                hold,
                published,
                progress,
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
    /// What stands between it and the portal, in words.
    pub state: String,
    pub first_published: Option<NaiveDate>,
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

fn plan_line(e: &Entry, as_of: NaiveDate) -> Option<PlanLine> {
    let state = match (&e.progress, &e.hold) {
        (Progress::Published, _) => "published".to_string(),
        (Progress::Overdue, _) => "overdue: approved and due, not yet published".to_string(),
        (_, Some(h)) => h.to_string(),
        (_, None) if e.release_date == Some(as_of) => "due today".to_string(),
        (_, None) => "due: the next run publishes it".to_string(),
    };
    Some(PlanLine {
        priority: e.priority?,
        reference: e.reference.clone()?,
        title: e.title.clone().unwrap_or_default(),
        category: e.category.clone().unwrap_or_default(),
        release_date: e.release_date?,
        imso: e.imso.clone(),
        progress: e.progress,
        state,
        first_published: e.first_published(),
        plan: e.plan.clone(),
    })
}

impl Report {
    /// The report for `as_of` over the inventory's entries.
    pub fn build(entries: &[Entry], as_of: NaiveDate) -> Report {
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
                .unwrap_or_else(|| "(unreadable manifest)".into());
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
                title: e.title.clone().unwrap_or_default(),
                category: e.category.clone().unwrap_or_default(),
                grounds: e.grounds.clone(),
                justification: e.justification.clone(),
            })
            .collect();

        let readable = entries.iter().filter(|e| e.decision.is_some());
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
            .filter_map(|e| plan_line(e, as_of))
            .collect();
        release_plan.sort_by(|a, b| {
            (a.priority, a.release_date, &a.reference).cmp(&(
                b.priority,
                b.release_date,
                &b.reference,
            ))
        });
        let overdue = release_plan
            .iter()
            .filter(|l| l.progress == Progress::Overdue)
            .cloned()
            .collect();
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
