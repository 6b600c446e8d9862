//! Taking back what should no longer be public: a dataset that ogpipe published and
//! whose manifest now withholds it, or that has left the inventory.
//!
//! Never silently public: each such dataset still public on the portal is made private
//! (under the Government of Canada profile, `ready_to_publish: "false"` too), or, with
//! `portal.retract = "warn"`, reported as still public. Either way it is listed first in
//! the summary and recorded in the journal.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use serde_json::{json, Value as Json};
use tracing::{error, warn};

use super::{DatasetResult, Outcome, Portal, RunOptions};
use crate::config::{raw::Retract, Pipeline};
use crate::journal::Journal;
use crate::plan::{HoldReason, ReleasePlan};
use crate::publish::{self, request, Safety};

/// The datasets to take back, by reference, with why and the portal id ogpipe recorded.
fn candidates(
    journal: &Mutex<Journal>,
    release: &ReleasePlan,
    only: &[String],
) -> Vec<(String, String, String)> {
    let published = journal
        .lock()
        .ok()
        .and_then(|j| j.all_published().ok())
        .unwrap_or_default();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    for p in published {
        ids.entry(p.dataset).or_insert(p.dataset_id);
    }
    let mut inventory: BTreeSet<&str> = release.approved.iter().map(|a| a.reference()).collect();
    let mut withheld = BTreeMap::new();
    // A manifest too broken to name its reference could be any dataset: "left the
    // inventory" cannot be told this run.
    let mut unknown = false;
    for h in &release.held {
        match &h.reference {
            Some(r) => {
                inventory.insert(r);
                if let HoldReason::Withheld { grounds, .. } = &h.reason {
                    withheld.insert(r.as_str(), grounds.join("; "));
                }
            }
            None => unknown = true,
        }
    }
    if unknown {
        warn!("A manifest has no readable reference; datasets that left the inventory are not retracted this run.");
    }
    ids.into_iter()
        .filter(|(r, _)| only.is_empty() || only.iter().any(|o| o.eq_ignore_ascii_case(r)))
        .filter_map(|(reference, id)| {
            let why = match withheld.get(reference.as_str()) {
                Some(grounds) => format!("now withheld by decision ({grounds})"),
                None if !unknown && !inventory.contains(reference.as_str()) => {
                    "no longer in the inventory (its manifest was removed)".to_string()
                }
                None => return None,
            };
            Some((reference, id, why))
        })
        .collect()
}

/// Retracts every candidate still public; returns one result for each.
pub(super) async fn retract(
    pipeline: &Pipeline,
    portal: &Portal,
    journal: &Mutex<Journal>,
    run_id: &str,
    release: &ReleasePlan,
    opts: &RunOptions,
) -> Vec<DatasetResult> {
    let profile = pipeline.portal.profile;
    let client = portal.client();
    let mut out = Vec::new();
    for (reference, id, why) in candidates(journal, release, &opts.only) {
        let outcome = match publish::show(client, &id).await {
            Ok(Some(remote)) if request::is_public(profile, &remote) => {
                let url = format!(
                    "{}/dataset/{}",
                    client.base_url(),
                    remote.get("name").and_then(Json::as_str).unwrap_or(&id)
                );
                if opts.dry_run || pipeline.portal.retract == Retract::Warn {
                    warn!(dataset = %reference, %why, "Dataset should no longer be public.");
                    Outcome::Retracted {
                        url,
                        still_public: true,
                        why: if opts.dry_run {
                            format!("{why}; a real run would make it private")
                        } else {
                            why
                        },
                    }
                } else {
                    make_private(client, profile, &id, url, why).await
                }
            }
            // Already private, or gone from the portal: nothing is public.
            Ok(_) => continue,
            Err(e) => Outcome::Failed {
                error: format!("could not check whether it is still public: {e}"),
            },
        };
        super::record(journal, run_id, Some(&reference), "retract", &outcome);
        out.push(DatasetResult {
            reference: Some(reference.clone()),
            title: None,
            manifest: String::new(),
            outcome,
        });
    }
    out
}

async fn make_private(
    client: &publish::Client,
    profile: crate::vocab::Profile,
    id: &str,
    url: String,
    why: String,
) -> Outcome {
    let mut body = request::visibility(profile, false);
    body.insert("id".into(), json!(id));
    let done = client
        .action("package_patch", &Json::Object(body), Safety::Idempotent)
        .await
        .map_err(|f| f.into_error());
    let confirmed = match done {
        Ok(_) => publish::show(client, id).await,
        Err(e) => Err(e),
    };
    match confirmed {
        Ok(Some(remote)) if !request::is_public(profile, &remote) => Outcome::Retracted {
            url,
            still_public: false,
            why,
        },
        Ok(_) => Outcome::Refused {
            error: format!("{why}, and the portal kept it public after it was made private: make it private on the portal by hand"),
        },
        Err(e) => {
            error!(error = %e, "Could not retract the dataset.");
            Outcome::Failed {
                error: format!("{why}, and could not be made private: {e}"),
            }
        }
    }
}
