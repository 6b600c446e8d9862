//! The release gate: which information resources may be published on a given day.
//!
//! Only [`gate`] creates an [`Approved`] dataset, and every later stage takes one, so a
//! resource that was not decided `release`, lacks the IMSO's approval or is not yet due
//! cannot reach the portal by construction. Everything else is [`Held`] with its reason.
//!
//! The gate is pure: manifests and the run date go in, the plan comes out.

pub mod manifest;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use manifest::DecisionStatus;
pub use manifest::{Manifest, ResourceSpec};

/// A manifest file as found on disk: parsed and checked, or the reason it is not usable.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    pub manifest: Result<Manifest, Vec<String>>,
}

/// Reads every `*.toml` in `dir` (sorted by name) and checks each against `data_dir`.
///
/// # Errors
/// The folder cannot be listed. A bad manifest is not an error here: the gate holds it.
pub fn load_dir(dir: &Path, data_dir: &Path) -> std::io::Result<Vec<Loaded>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    Ok(paths
        .into_iter()
        .map(|path| {
            let manifest = std::fs::read_to_string(&path)
                .map_err(|e| vec![format!("cannot read: {e}")])
                .and_then(|text| Manifest::parse(&text).map_err(|e| vec![e]))
                .and_then(|m| {
                    let problems = m.check(data_dir);
                    if problems.is_empty() {
                        Ok(m)
                    } else {
                        Err(problems)
                    }
                });
            Loaded { path, manifest }
        })
        .collect())
}

/// Why the gate held a dataset back.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum HoldReason {
    /// The business owner recommended against release, on these grounds.
    Withheld {
        grounds: Vec<String>,
        justification: String,
    },
    /// Decided `release`, but no IMSO approval is recorded (or it is dated after the run).
    AwaitingImso,
    /// Approved, with a release date still to come.
    Scheduled { date: NaiveDate },
    /// The manifest could not be read or makes no sense.
    InvalidManifest { problems: Vec<String> },
}

impl std::fmt::Display for HoldReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HoldReason::Withheld {
                grounds,
                justification,
            } => write!(f, "withheld ({}): {justification}", grounds.join("; ")),
            HoldReason::AwaitingImso => write!(f, "awaiting IMSO approval"),
            HoldReason::Scheduled { date } => write!(f, "scheduled for {date}"),
            HoldReason::InvalidManifest { problems } => {
                write!(f, "invalid manifest: {}", problems.join("; "))
            }
        }
    }
}

/// A dataset the gate did not let through.
#[derive(Debug, Clone, Serialize)]
pub struct Held {
    pub manifest_path: PathBuf,
    /// The inventory reference, when the manifest could be read that far.
    pub reference: Option<String>,
    pub title: Option<String>,
    #[serde(flatten)]
    pub reason: HoldReason,
}

/// A dataset cleared for publication on the run date. Only [`gate`] makes one.
#[derive(Debug, Clone)]
pub struct Approved {
    manifest: Manifest,
    manifest_path: PathBuf,
    id: Uuid,
}

impl Approved {
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }
    pub fn manifest_path(&self) -> &Path {
        &self.manifest_path
    }
    /// The stable portal id: a UUIDv5 of the organization and inventory reference, so
    /// a re-run, another machine or a crash recovery lands on the same dataset.
    pub fn id(&self) -> Uuid {
        self.id
    }
    pub fn reference(&self) -> &str {
        &self.manifest.inventory.reference
    }
    /// A folder- and URL-safe name: the manifest's `name`, else the slugged reference.
    pub fn slug(&self) -> String {
        self.manifest
            .inventory
            .name
            .clone()
            .unwrap_or_else(|| slug(&self.manifest.inventory.reference))
    }
}

/// The stable id of an inventory resource in an organization.
pub fn dataset_id(organization: &str, reference: &str) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("urn:ogpipe:inventory:{organization}:{reference}").as_bytes(),
    )
}

/// CKAN's name rule: lowercase ASCII letters, digits, `-` and `_`, 2 to 100 long.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out = out.trim_matches('-').to_string();
    out.truncate(100);
    while out.len() < 2 {
        out.push('0');
    }
    out
}

/// The gate's answer for one run date.
#[derive(Debug, Clone)]
pub struct ReleasePlan {
    pub as_of: NaiveDate,
    /// In priority order (1 first), then by release date and reference.
    pub approved: Vec<Approved>,
    pub held: Vec<Held>,
}

/// Decides, for the run date `as_of`, which datasets may be published.
pub fn gate(loaded: Vec<Loaded>, organization: &str, as_of: NaiveDate) -> ReleasePlan {
    let mut approved = Vec::new();
    let mut held = Vec::new();
    for Loaded {
        path,
        manifest: result,
    } in loaded
    {
        let m = match result {
            Ok(m) => m,
            Err(problems) => {
                held.push(Held {
                    manifest_path: path,
                    reference: None,
                    title: None,
                    reason: HoldReason::InvalidManifest { problems },
                });
                continue;
            }
        };
        let reason = if m.decision.status == DecisionStatus::Withhold {
            Some(HoldReason::Withheld {
                grounds: m.decision.grounds.clone(),
                justification: m.decision.justification.clone(),
            })
        } else if m.imso_approval().is_none_or(|a| a.date > as_of) {
            Some(HoldReason::AwaitingImso)
        } else if m.release.date > as_of {
            Some(HoldReason::Scheduled {
                date: m.release.date,
            })
        } else {
            None
        };
        match reason {
            Some(reason) => held.push(Held {
                manifest_path: path,
                reference: Some(m.inventory.reference.clone()),
                title: Some(m.metadata.title.en.clone()),
                reason,
            }),
            None => approved.push(Approved {
                id: dataset_id(organization, &m.inventory.reference),
                manifest: m,
                manifest_path: path,
            }),
        }
    }
    approved.sort_by(|a, b| {
        (
            a.manifest.release.priority,
            a.manifest.release.date,
            a.reference(),
        )
            .cmp(&(
                b.manifest.release.priority,
                b.manifest.release.date,
                b.reference(),
            ))
    });
    // Two manifests claiming one inventory reference would publish over each other.
    let mut seen = std::collections::BTreeMap::new();
    let mut dupes = Vec::new();
    for (i, a) in approved.iter().enumerate() {
        if let Some(first) = seen.insert(a.reference().to_string(), i) {
            dupes.push((first, i));
        }
    }
    for &(first, i) in dupes.iter().rev() {
        let other = approved[first].manifest_path.display().to_string();
        let a = approved.remove(i);
        held.push(Held {
            manifest_path: a.manifest_path.clone(),
            reference: Some(a.reference().to_string()),
            title: Some(a.manifest.metadata.title.en.clone()),
            reason: HoldReason::InvalidManifest {
                problems: vec![format!(
                    "inventory.reference: \"{}\" is also claimed by {other}",
                    a.reference()
                )],
            },
        });
    }
    ReleasePlan {
        as_of,
        approved,
        held,
    }
}

#[cfg(test)]
mod tests;
