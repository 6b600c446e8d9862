//! What the journal says had happened to each dataset by a given date.
//!
//! Every report for a date D reads the record as it stood on D: a dataset is published
//! on D when a publish event (`created` or `updated`) of a real run was recorded on or
//! before D, and its publication date is the first such event's. The date is the one
//! the event was *recorded* on, in the schedule's time zone when there is one, not the
//! run's `--as-of`: a run dated otherwise still publishes the day it runs, and a report
//! must not make a late publication look on time.
//!
//! Pure: the events come in, already read from the journal by `cmd/ops.rs`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::journal::DatasetEvent;

/// A dataset's trouble in its last run on or before the report date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trouble {
    /// A build stage held it back (the screen, a schema violation, an unreadable source).
    Held {
        on: NaiveDate,
        by_screen: bool,
        detail: String,
    },
    /// A stage failed (packaging, the portal).
    Failed { on: NaiveDate, detail: String },
}

/// One event with its local date.
#[derive(Debug, Clone)]
struct Dated {
    date: NaiveDate,
    event: DatasetEvent,
}

/// The journal's dataset events, by inventory reference, dated.
#[derive(Debug, Clone, Default)]
pub struct History {
    by_dataset: BTreeMap<String, Vec<Dated>>,
}

/// The local date of a journal time (RFC 3339) in `tz`, or its UTC date without one.
pub fn local_date(at: &str, tz: Option<chrono_tz::Tz>) -> Option<NaiveDate> {
    match (chrono::DateTime::parse_from_rfc3339(at), tz) {
        (Ok(t), Some(tz)) => Some(t.with_timezone(&tz).date_naive()),
        (Ok(t), None) => Some(t.naive_utc().date()),
        // A time the journal did not write itself: its leading date.
        (Err(_), _) => at.get(..10)?.parse().ok(),
    }
}

const PUBLISHED: [&str; 2] = ["created", "updated"];

impl History {
    /// Dates the events in `tz`; events whose time cannot be read are left out.
    pub fn new(events: Vec<DatasetEvent>, tz: Option<chrono_tz::Tz>) -> History {
        let mut by_dataset: BTreeMap<String, Vec<Dated>> = BTreeMap::new();
        for event in events {
            if let Some(date) = local_date(&event.at, tz) {
                by_dataset
                    .entry(event.dataset.clone())
                    .or_default()
                    .push(Dated { date, event });
            }
        }
        for v in by_dataset.values_mut() {
            v.sort_by(|a, b| (a.date, &a.event.at).cmp(&(b.date, &b.event.at)));
        }
        History { by_dataset }
    }

    /// Whether the journal has any event for the dataset (else the reports fall back on
    /// the published records of journals older than publish events).
    pub fn knows(&self, reference: &str) -> bool {
        self.by_dataset.contains_key(reference)
    }

    fn upto<'a>(&'a self, reference: &str, d: NaiveDate) -> impl Iterator<Item = &'a Dated> {
        self.by_dataset
            .get(reference)
            .into_iter()
            .flatten()
            .take_while(move |e| e.date <= d)
    }

    /// The first and last publication dates on or before `d`.
    pub fn publications(&self, reference: &str, d: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
        let mut dates = self
            .upto(reference, d)
            .filter(|e| e.event.stage == "publish" && PUBLISHED.contains(&e.event.outcome.as_str()))
            .map(|e| e.date);
        let first = dates.next()?;
        Some((first, dates.last().unwrap_or(first)))
    }

    /// The first publication's recorded time (RFC 3339), on or before `d`.
    pub fn first_time(&self, reference: &str, d: NaiveDate) -> Option<(String, String)> {
        let mut times = self
            .upto(reference, d)
            .filter(|e| e.event.stage == "publish" && PUBLISHED.contains(&e.event.outcome.as_str()))
            .map(|e| e.event.at.clone());
        let first = times.next()?;
        let last = times.last().unwrap_or_else(|| first.clone());
        Some((first, last))
    }

    /// The trouble of the dataset's last run on or before `d`, if that run held or
    /// failed it.
    pub fn trouble(&self, reference: &str, d: NaiveDate) -> Option<Trouble> {
        let events: Vec<&Dated> = self.upto(reference, d).collect();
        let last_run = &events.last()?.event.run_id;
        let e = events
            .iter()
            .rev()
            .take_while(|e| &e.event.run_id == last_run)
            .find(|e| matches!(e.event.outcome.as_str(), "held" | "failed"))?;
        let detail = e.event.message.clone().unwrap_or_default();
        Some(if e.event.outcome == "held" {
            Trouble::Held {
                on: e.date,
                // The build's screen hold says so in its summary (run/build.rs).
                by_screen: detail.contains("the screen found"),
                detail,
            }
        } else {
            Trouble::Failed { on: e.date, detail }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(run: &str, at: &str, outcome: &str, message: Option<&str>) -> DatasetEvent {
        DatasetEvent {
            run_id: run.into(),
            run_as_of: at[..10].into(),
            at: at.into(),
            dataset: "REF".into(),
            resource: None,
            stage: if outcome == "held" {
                "build"
            } else {
                "publish"
            }
            .into(),
            outcome: outcome.into(),
            message: message.map(str::to_string),
        }
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn publications_count_only_events_recorded_by_the_date() {
        let h = History::new(
            vec![
                ev(
                    "r1",
                    "2026-03-01T12:00:00Z",
                    "held",
                    Some("resource x: the screen found 1 problem"),
                ),
                ev("r2", "2026-04-01T12:00:00Z", "created", None),
                ev("r3", "2026-07-01T12:00:00Z", "updated", None),
            ],
            None,
        );
        assert_eq!(h.publications("REF", d("2026-03-31")), None);
        assert_eq!(
            h.publications("REF", d("2026-05-01")),
            Some((d("2026-04-01"), d("2026-04-01")))
        );
        assert_eq!(
            h.publications("REF", d("2026-12-31")),
            Some((d("2026-04-01"), d("2026-07-01")))
        );
        assert!(matches!(
            h.trouble("REF", d("2026-03-15")),
            Some(Trouble::Held {
                by_screen: true,
                ..
            })
        ));
        assert_eq!(
            h.trouble("REF", d("2026-05-01")),
            None,
            "a later run published it"
        );
    }

    #[test]
    fn a_late_evening_run_in_toronto_is_dated_that_evening() {
        let tz: chrono_tz::Tz = "America/Toronto".parse().unwrap();
        assert_eq!(
            local_date("2026-12-01T02:30:00Z", Some(tz)),
            Some(d("2026-11-30"))
        );
        assert_eq!(
            local_date("2026-12-01T02:30:00Z", None),
            Some(d("2026-12-01"))
        );
    }
}
