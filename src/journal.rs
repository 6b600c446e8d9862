//! The run journal: every run, every per-resource event, and the published state that
//! the portal sync relies on, in SQLite (WAL mode, one transaction per write, so a crash
//! loses at most the event in flight).
//!
//! No secret is ever written here: events carry messages built from errors that never
//! include the token.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::checksum::Sha256Digest;
use crate::publish::RecordedResource;

/// Could not use the journal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    #[error("journal {path}: {source}; check paths.journal in pipeline.toml and the folder's permissions")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("journal {path}: cannot create its folder: {source}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    trigger TEXT NOT NULL,
    started_by TEXT NOT NULL,
    as_of TEXT NOT NULL,
    dry_run INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    outcome TEXT,
    published INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    held INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES runs(id),
    at TEXT NOT NULL,
    dataset TEXT,
    resource TEXT,
    stage TEXT NOT NULL,
    outcome TEXT NOT NULL,
    message TEXT,
    sha256 TEXT,
    bytes INTEGER,
    portal_id TEXT,
    url TEXT
);
CREATE INDEX IF NOT EXISTS events_run ON events(run_id);
CREATE TABLE IF NOT EXISTS published (
    dataset TEXT NOT NULL,
    resource_key TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    url TEXT NOT NULL,
    published_at TEXT NOT NULL,
    run_id TEXT NOT NULL,
    PRIMARY KEY (dataset, resource_key)
);
";

/// One thing that happened to a dataset or resource in a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Event {
    pub dataset: Option<String>,
    pub resource: Option<String>,
    pub stage: String,
    pub outcome: String,
    pub message: Option<String>,
    pub sha256: Option<String>,
    pub bytes: Option<u64>,
    pub portal_id: Option<String>,
    pub url: Option<String>,
}

/// A run as the journal keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub id: String,
    pub trigger: String,
    pub started_by: String,
    pub as_of: String,
    pub dry_run: bool,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub outcome: Option<String>,
    pub published: u64,
    pub unchanged: u64,
    pub held: u64,
    pub failed: u64,
}

/// A published resource as last recorded.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedRecord {
    pub dataset: String,
    pub resource_key: String,
    pub dataset_id: String,
    pub resource_id: String,
    pub sha256: String,
    pub bytes: u64,
    pub url: String,
    pub published_at: String,
    pub run_id: String,
}

/// When a dataset was first and last published, as RFC 3339 UTC times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicationDates {
    pub first: String,
    pub last: String,
}

/// One event of a real run about a dataset, for the reports' history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatasetEvent {
    pub run_id: String,
    /// The run's date for the release gate (`YYYY-MM-DD`).
    pub run_as_of: String,
    /// When the event was recorded (RFC 3339, UTC).
    pub at: String,
    pub dataset: String,
    pub resource: Option<String>,
    pub stage: String,
    pub outcome: String,
    pub message: Option<String>,
}

pub struct Journal {
    conn: Connection,
    path: PathBuf,
}

fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

impl Journal {
    /// Opens (creating if needed) the journal at `path`.
    ///
    /// # Errors
    /// The file or its folder cannot be created, or is not a journal.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| JournalError::Folder {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let wrap = |source| JournalError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(wrap)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(wrap)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(wrap)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(wrap)?;
        conn.execute_batch(SCHEMA).map_err(wrap)?;
        Ok(Journal {
            conn,
            path: path.to_path_buf(),
        })
    }

    fn err(&self) -> impl FnOnce(rusqlite::Error) -> JournalError + '_ {
        move |source| JournalError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Records the start of a run.
    ///
    /// # Errors
    /// The write failed.
    pub fn start_run(
        &self,
        id: &str,
        trigger: &str,
        started_by: &str,
        as_of: &str,
        dry_run: bool,
    ) -> Result<(), JournalError> {
        self.conn
            .execute(
                "INSERT INTO runs (id, trigger, started_by, as_of, dry_run, started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, trigger, started_by, as_of, dry_run, now()],
            )
            .map(drop)
            .map_err(self.err())
    }

    /// Records an event of a run.
    ///
    /// # Errors
    /// The write failed.
    pub fn event(&self, run_id: &str, e: &Event) -> Result<(), JournalError> {
        self.conn
            .execute(
                "INSERT INTO events (run_id, at, dataset, resource, stage, outcome, message, sha256, bytes, portal_id, url)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    run_id, now(), e.dataset, e.resource, e.stage, e.outcome, e.message, e.sha256,
                    e.bytes.map(|b| b as i64), e.portal_id, e.url
                ],
            )
            .map(drop)
            .map_err(self.err())
    }

    /// Records the end of a run with its counts.
    ///
    /// # Errors
    /// The write failed.
    pub fn end_run(&self, id: &str, outcome: &str, counts: [u64; 4]) -> Result<(), JournalError> {
        self.conn
            .execute(
                "UPDATE runs SET ended_at = ?2, outcome = ?3, published = ?4, unchanged = ?5, held = ?6, failed = ?7 WHERE id = ?1",
                params![id, now(), outcome, counts[0] as i64, counts[1] as i64, counts[2] as i64, counts[3] as i64],
            )
            .map(drop)
            .map_err(self.err())
    }

    /// Records what the portal now holds for one resource.
    ///
    /// # Errors
    /// The write failed.
    pub fn record_published(&self, r: &PublishedRecord) -> Result<(), JournalError> {
        self.conn
            .execute(
                "INSERT INTO published (dataset, resource_key, dataset_id, resource_id, sha256, bytes, url, published_at, run_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT(dataset, resource_key) DO UPDATE SET dataset_id = ?3, resource_id = ?4, sha256 = ?5,
                    bytes = ?6, url = ?7, published_at = ?8, run_id = ?9",
                params![
                    r.dataset, r.resource_key, r.dataset_id, r.resource_id, r.sha256, r.bytes as i64,
                    r.url, r.published_at, r.run_id
                ],
            )
            .map(drop)
            .map_err(self.err())
    }

    /// Forgets resources of a dataset that the portal no longer holds.
    ///
    /// # Errors
    /// The write failed.
    pub fn forget_published(&self, dataset: &str, keep: &[String]) -> Result<(), JournalError> {
        let existing = self.published_for(dataset)?;
        for key in existing.keys().filter(|k| !keep.contains(k)) {
            self.conn
                .execute(
                    "DELETE FROM published WHERE dataset = ?1 AND resource_key = ?2",
                    params![dataset, key],
                )
                .map_err(self.err())?;
        }
        Ok(())
    }

    /// What ogpipe last published for a dataset, by resource key.
    ///
    /// # Errors
    /// The read failed.
    pub fn published_for(
        &self,
        dataset: &str,
    ) -> Result<BTreeMap<String, RecordedResource>, JournalError> {
        let mut stmt = self
            .conn
            .prepare("SELECT resource_key, resource_id, sha256 FROM published WHERE dataset = ?1")
            .map_err(self.err())?;
        let rows = stmt
            .query_map(params![dataset], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(self.err())?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (key, resource_id, sha) = row.map_err(self.err())?;
            if let Some(sha256) = Sha256Digest::parse(&sha) {
                out.insert(
                    key,
                    RecordedResource {
                        resource_id,
                        sha256,
                    },
                );
            }
        }
        Ok(out)
    }

    /// Every published record, for status and reports.
    ///
    /// # Errors
    /// The read failed.
    pub fn all_published(&self) -> Result<Vec<PublishedRecord>, JournalError> {
        let mut stmt = self
            .conn
            .prepare("SELECT dataset, resource_key, dataset_id, resource_id, sha256, bytes, url, published_at, run_id FROM published ORDER BY dataset, resource_key")
            .map_err(self.err())?;
        let rows = stmt
            .query_map([], |r| {
                Ok(PublishedRecord {
                    dataset: r.get(0)?,
                    resource_key: r.get(1)?,
                    dataset_id: r.get(2)?,
                    resource_id: r.get(3)?,
                    sha256: r.get(4)?,
                    bytes: r.get::<_, i64>(5)? as u64,
                    url: r.get(6)?,
                    published_at: r.get(7)?,
                    run_id: r.get(8)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<Result<_, _>>().map_err(self.err())
    }

    /// When each dataset was first and last published (created or changed on the
    /// portal), from the publish events of real runs, by inventory reference.
    ///
    /// # Errors
    /// The read failed.
    pub fn publication_dates(&self) -> Result<BTreeMap<String, PublicationDates>, JournalError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT e.dataset, MIN(e.at), MAX(e.at) FROM events e JOIN runs r ON r.id = e.run_id
                 WHERE e.stage = 'publish' AND e.outcome IN ('created', 'updated')
                   AND r.dry_run = 0 AND e.dataset IS NOT NULL
                 GROUP BY e.dataset",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    PublicationDates {
                        first: r.get(1)?,
                        last: r.get(2)?,
                    },
                ))
            })
            .map_err(self.err())?;
        rows.collect::<Result<_, _>>().map_err(self.err())
    }

    /// Every event of a real run (not a dry run) that names a dataset, oldest first, with
    /// its run's date: what the reports read to say what had happened by a given date.
    ///
    /// # Errors
    /// The read failed.
    pub fn dataset_history(&self) -> Result<Vec<DatasetEvent>, JournalError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT e.run_id, r.as_of, e.at, e.dataset, e.resource, e.stage, e.outcome, e.message
                 FROM events e JOIN runs r ON r.id = e.run_id
                 WHERE r.dry_run = 0 AND e.dataset IS NOT NULL
                 ORDER BY e.at, e.seq",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map([], |r| {
                Ok(DatasetEvent {
                    run_id: r.get(0)?,
                    run_as_of: r.get(1)?,
                    at: r.get(2)?,
                    dataset: r.get(3)?,
                    resource: r.get(4)?,
                    stage: r.get(5)?,
                    outcome: r.get(6)?,
                    message: r.get(7)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<Result<_, _>>().map_err(self.err())
    }

    /// The most recent runs first.
    ///
    /// # Errors
    /// The read failed.
    pub fn runs(&self, limit: usize) -> Result<Vec<RunRecord>, JournalError> {
        self.query_runs(
            "ORDER BY started_at DESC, rowid DESC LIMIT ?1",
            params![limit as i64],
        )
    }

    /// One run, by id or unique id prefix.
    ///
    /// # Errors
    /// The read failed.
    pub fn run(&self, id: &str) -> Result<Option<RunRecord>, JournalError> {
        let like = format!("{}%", id.replace(['%', '_'], ""));
        let mut found = self.query_runs(
            "WHERE id LIKE ?1 ORDER BY started_at LIMIT 2",
            params![like],
        )?;
        Ok(if found.len() == 1 { found.pop() } else { None })
    }

    fn query_runs(
        &self,
        tail: &str,
        p: impl rusqlite::Params,
    ) -> Result<Vec<RunRecord>, JournalError> {
        let sql = format!(
            "SELECT id, trigger, started_by, as_of, dry_run, started_at, ended_at, outcome, published, unchanged, held, failed FROM runs {tail}"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(self.err())?;
        let rows = stmt
            .query_map(p, |r| {
                Ok(RunRecord {
                    id: r.get(0)?,
                    trigger: r.get(1)?,
                    started_by: r.get(2)?,
                    as_of: r.get(3)?,
                    dry_run: r.get(4)?,
                    started_at: r.get(5)?,
                    ended_at: r.get(6)?,
                    outcome: r.get(7)?,
                    published: r.get::<_, i64>(8)? as u64,
                    unchanged: r.get::<_, i64>(9)? as u64,
                    held: r.get::<_, i64>(10)? as u64,
                    failed: r.get::<_, i64>(11)? as u64,
                })
            })
            .map_err(self.err())?;
        rows.collect::<Result<_, _>>().map_err(self.err())
    }

    /// The events of a run, in order.
    ///
    /// # Errors
    /// The read failed.
    pub fn events(&self, run_id: &str) -> Result<Vec<Event>, JournalError> {
        let mut stmt = self
            .conn
            .prepare("SELECT dataset, resource, stage, outcome, message, sha256, bytes, portal_id, url FROM events WHERE run_id = ?1 ORDER BY seq")
            .map_err(self.err())?;
        let rows = stmt
            .query_map(params![run_id], |r| {
                Ok(Event {
                    dataset: r.get(0)?,
                    resource: r.get(1)?,
                    stage: r.get(2)?,
                    outcome: r.get(3)?,
                    message: r.get(4)?,
                    sha256: r.get(5)?,
                    bytes: r.get::<_, Option<i64>>(6)?.map(|b| b as u64),
                    portal_id: r.get(7)?,
                    url: r.get(8)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<Result<_, _>>().map_err(self.err())
    }

    /// Whether a run id exists (used to refuse duplicates).
    ///
    /// # Errors
    /// The read failed.
    pub fn has_run(&self, id: &str) -> Result<bool, JournalError> {
        self.conn
            .query_row("SELECT 1 FROM runs WHERE id = ?1", params![id], |_| Ok(()))
            .optional()
            .map(|o| o.is_some())
            .map_err(self.err())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_events_and_published_state_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(&dir.path().join("sub/journal.sqlite")).unwrap();
        j.start_run("r1", "manual", "tester", "2026-11-28", false)
            .unwrap();
        j.event(
            "r1",
            &Event {
                dataset: Some("REF".into()),
                stage: "publish".into(),
                outcome: "published".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let sha = Sha256Digest::of(b"x");
        j.record_published(&PublishedRecord {
            dataset: "REF".into(),
            resource_key: "t.csv".into(),
            dataset_id: "d".into(),
            resource_id: "r".into(),
            sha256: sha.hex(),
            bytes: 1,
            url: "u".into(),
            published_at: now(),
            run_id: "r1".into(),
        })
        .unwrap();
        j.end_run("r1", "ok", [1, 0, 0, 0]).unwrap();
        let runs = j.runs(10).unwrap();
        assert_eq!(runs[0].outcome.as_deref(), Some("ok"));
        assert_eq!(runs[0].published, 1);
        assert_eq!(j.events("r1").unwrap().len(), 1);
        assert_eq!(j.published_for("REF").unwrap()["t.csv"].sha256, sha);
        assert!(j.run("r").unwrap().is_some());
        let dates = j.publication_dates().unwrap();
        assert!(
            dates.is_empty(),
            "a \"published\" outcome is not a publish event"
        );
        j.event(
            "r1",
            &Event {
                dataset: Some("REF".into()),
                stage: "publish".into(),
                outcome: "created".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let dates = j.publication_dates().unwrap();
        assert_eq!(dates["REF"].first, dates["REF"].last);
        j.forget_published("REF", &[]).unwrap();
        assert!(j.published_for("REF").unwrap().is_empty());
    }
}
