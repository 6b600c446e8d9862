//! Operations end to end: `status`, `report`, `schedule` and the run lock.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::Workdir;
use ogpipe::journal::Journal;
use ogpipe::lock::RunLock;

const AS_OF: &str = "2026-11-28";
/// A date after any test's run, whatever the clock says.
const LATER: &str = "2099-01-01";

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn dataset<'a>(status: &'a serde_json::Value, reference: &str) -> &'a serde_json::Value {
    status["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["reference"] == reference)
        .unwrap_or_else(|| panic!("{reference} not in status"))
}

#[test]
fn status_shows_published_checksums_and_held_reasons_after_a_run() {
    let w = Workdir::with_samples();
    w.run(&["run", "--as-of", AS_OF]).expect(0);
    let status = json(
        &w.run(&["status", "--as-of", AS_OF, "--json"])
            .expect(0)
            .stdout(),
    );
    assert_eq!(status["datasets"].as_array().unwrap().len(), 7);

    let d = dataset(&status, "CSIS-INV-2025-003");
    assert_eq!(d["progress"], "published");
    assert_eq!(d["next_run"]["action"], "nothing");
    assert_eq!(d["imso"]["name"], "J. Singh");
    let sums =
        std::fs::read_to_string(w.path("out/packages/csis-inv-2025-003/SHA256SUMS")).unwrap();
    let files = d["published"]["files"].as_array().unwrap();
    assert!(!files.is_empty());
    for f in files {
        let line = format!(
            "{}  {}",
            f["sha256"].as_str().unwrap(),
            f["key"].as_str().unwrap()
        );
        assert!(sums.contains(&line), "{line} not in\n{sums}");
    }
    assert!(d["published"]["url"]
        .as_str()
        .unwrap()
        .contains("/dataset/"));

    let held = dataset(&status, "CSIS-INV-2025-005");
    assert_eq!(held["next_run"]["action"], "hold");
    assert_eq!(held["next_run"]["reason"], "awaiting IMSO approval");
    let withheld = dataset(&status, "CSIS-INV-2025-007");
    assert_eq!(withheld["decision"], "withhold");
    assert!(withheld["next_run"]["reason"]
        .as_str()
        .unwrap()
        .contains("ATIA s. 15(1)"));

    let text = w.run(&["status", "--as-of", AS_OF]).expect(0).stdout();
    assert!(text.contains("NEXT RUN"), "{text}");
    assert!(text.contains("nothing (unchanged)"), "{text}");
    assert!(text.contains("hold: scheduled for 2027-04-01"), "{text}");
    assert!(text.contains("sha256:"), "{text}");
}

#[test]
fn status_says_a_changed_source_will_be_published() {
    let w = Workdir::with_samples();
    w.run(&["run", "--as-of", AS_OF]).expect(0);
    w.edit("samples/data/security_screening.csv", "61250", "61251");
    let status = json(
        &w.run(&["status", "--as-of", AS_OF, "--json"])
            .expect(0)
            .stdout(),
    );
    let d = dataset(&status, "CSIS-INV-2025-003");
    assert_eq!(d["next_run"]["action"], "publish");
    assert!(
        d["next_run"]["why"]
            .as_str()
            .unwrap()
            .contains("security_screening.csv"),
        "{d}"
    );
}

fn progress(report: &serde_json::Value, key: &str) -> u64 {
    report["progress"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["label"] == key)
        .unwrap()["count"]
        .as_u64()
        .unwrap()
}

#[test]
fn report_json_counts_published_pending_withheld_and_overdue() {
    let w = Workdir::with_samples();
    let before = json(
        &w.run(&["report", "--format", "json", "--as-of", AS_OF])
            .expect(0)
            .stdout(),
    );
    assert_eq!(
        progress(&before, "overdue"),
        5,
        "past the planned date, never published, whatever the reason"
    );
    assert_eq!(
        before["approval"],
        serde_json::json!([{"label": "approved", "count": 5}, {"label": "awaiting", "count": 1}]),
        "the withheld resource is not approved for release"
    );
    assert!(
        !w.path("out/journal.sqlite").exists(),
        "a report does not create a journal"
    );

    w.run(&["run", "--as-of", AS_OF]).expect(0);
    // The run publishes today, whatever its --as-of: a report for that earlier date
    // shows the record as it stood then, with nothing published.
    let then = json(
        &w.run(&["report", "--format", "json", "--as-of", AS_OF])
            .expect(0)
            .stdout(),
    );
    assert_eq!(progress(&then, "published"), 0);
    let after = json(
        &w.run(&["report", "--format", "json", "--as-of", LATER])
            .expect(0)
            .stdout(),
    );
    assert_eq!(after["datasets"], 7);
    assert_eq!(progress(&after, "published"), 4);
    // 005 (awaiting the IMSO), 006 (due 2027-04-01) and 007 (withheld, planned).
    assert_eq!(progress(&after, "overdue"), 3);
    assert_eq!(progress(&after, "pending"), 0);
    assert_eq!(progress(&after, "withheld"), 0);
    assert_eq!(progress(&after, "invalid"), 0);
    assert_eq!(after["grounds"].as_array().unwrap().len(), 2);
    assert_eq!(after["release_plan"].as_array().unwrap().len(), 6);
    assert_eq!(after["release_plan"][0]["reference"], "CSIS-INV-2025-001");
    let next: Vec<_> = then["next_releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["reference"].as_str().unwrap())
        .collect();
    assert_eq!(
        next,
        ["CSIS-INV-2025-006"],
        "005 is overdue for approval, not upcoming"
    );
    let reasons: Vec<_> = after["overdue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["state"].as_str().unwrap())
        .collect();
    assert!(
        reasons.contains(&"overdue: awaiting IMSO approval since 2026-10-15"),
        "{reasons:?}"
    );
}

#[test]
fn report_html_is_one_page_written_to_a_file() {
    let w = Workdir::with_samples();
    w.run(&["run", "--as-of", AS_OF]).expect(0);
    w.run(&[
        "report",
        "--format",
        "html",
        "--as-of",
        LATER,
        "-o",
        "report.html",
    ])
    .expect(0);
    let html = std::fs::read_to_string(w.path("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg") && html.contains("</html>"));
    assert!(
        html.contains(
            "4 of the 6 datasets planned by this date are published; 6 are planned in all."
        ),
        "{html}"
    );
    assert!(
        html.contains("Canadian Security Intelligence Service"),
        "{html}"
    );
}

/// Journal rows with fixed times, as `ogpipe run` would have written them.
fn fixed_journal(path: &Path) {
    drop(Journal::open(path).unwrap());
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "INSERT INTO runs (id, trigger, started_by, as_of, dry_run, started_at, ended_at, outcome, published)
           VALUES ('r1', 'scheduled', 'schedule', '2026-04-01', 0, '2026-04-01T13:00:00.000Z', '2026-04-01T13:00:05.000Z', 'held', 1),
                  ('r2', 'scheduled', 'schedule', '2026-07-01', 0, '2026-07-01T13:00:00.000Z', '2026-07-01T13:00:05.000Z', 'held', 1),
                  ('r3', 'manual', 'tester', '2026-07-02', 1, '2026-07-02T13:00:00.000Z', '2026-07-02T13:00:05.000Z', 'held', 0);
         INSERT INTO events (run_id, at, dataset, stage, outcome) VALUES
           ('r1', '2026-04-01T13:00:04.000Z', 'CSIS-INV-2025-003', 'publish', 'created'),
           ('r2', '2026-07-01T13:00:04.000Z', 'CSIS-INV-2025-001', 'publish', 'created'),
           ('r2', '2026-07-01T13:00:04.500Z', 'CSIS-INV-2025-003', 'publish', 'unchanged'),
           ('r3', '2026-07-02T13:00:04.000Z', 'CSIS-INV-2025-004', 'publish', 'planned');
         INSERT INTO published (dataset, resource_key, dataset_id, resource_id, sha256, bytes, url, published_at, run_id) VALUES
           ('CSIS-INV-2025-003', 'volumes.csv', 'd3', 'r3c', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 100,
            'https://portal.example/dataset/d3/resource/r3c/download/volumes.csv', '2026-07-01T13:00:04.500Z', 'r2'),
           ('CSIS-INV-2025-001', 'statistics.csv', 'd1', 'r1c', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 200,
            'https://portal.example/dataset/d1/resource/r1c/download/statistics.csv', '2026-07-01T13:00:04.000Z', 'r2');",
    )
    .unwrap();
}

/// Compares with `tests/golden/report/<name>`; `UPDATE_GOLDEN=1` rewrites it.
fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/report")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1", path.display()));
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (e, a))| e != a)
            .take(5)
            .map(|(i, (e, a))| format!("line {}:\n- {e}\n+ {a}", i + 1))
            .collect();
        panic!(
            "{} differs from the output (UPDATE_GOLDEN=1 to accept, then review):\n{}\n({} vs {} lines)",
            path.display(),
            diff.join("\n"),
            expected.lines().count(),
            actual.lines().count()
        );
    }
}

#[test]
fn report_markdown_and_csv_match_the_golden_files() {
    let w = Workdir::with_samples();
    fixed_journal(&w.path("out/journal.sqlite"));
    for (format, file) in [("markdown", "report.md"), ("csv", "report.csv")] {
        let out = w
            .run(&["report", "--format", format, "--as-of", "2026-08-15"])
            .expect(0);
        golden(file, &out.stdout());
    }
}

#[test]
fn schedule_next_prints_the_next_run_times_in_the_zone() {
    let w = Workdir::with_samples();
    let out = w
        .run(&["schedule", "--next", "3", "--after", "2026-10-15T00:00:00Z"])
        .expect(0)
        .stdout();
    assert_eq!(
        out,
        "2026-11-01T09:00:00-05:00 (America/Toronto)\n\
         2026-12-01T09:00:00-05:00 (America/Toronto)\n\
         2027-01-01T09:00:00-05:00 (America/Toronto)\n"
    );
    let now = w.run(&["schedule", "--next", "3"]).expect(0).stdout();
    assert_eq!(now.lines().count(), 3, "{now}");
}

#[test]
fn schedule_without_a_schedule_section_is_a_usage_error() {
    let w = Workdir::with_samples();
    let text = std::fs::read_to_string(w.path("pipeline.toml")).unwrap();
    let cut = text.find("[schedule]").unwrap();
    let rest = &text[cut..];
    let end = rest[1..].find("\n[").map_or(rest.len(), |i| i + 1);
    w.write(
        "pipeline.toml",
        &format!("{}{}", &text[..cut], &rest[end..]),
    );
    let out = w.run(&["schedule", "--next", "1"]).expect(2);
    assert!(out.stderr().contains("[schedule]"), "{}", out.stderr());
}

/// A running `ogpipe schedule` and its stderr, line by line.
struct Service {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Service {
    fn start(w: &Workdir) -> Service {
        let mut child = w
            .cmd(&["schedule"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Service {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (up to a minute, for a loaded CI machine) for a log line containing `text`.
    fn wait_for(&mut self, text: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let hit = line.contains(text);
                    self.seen.push(line);
                    if hit {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = self.child.kill();
        panic!("no log line with {text:?}:\n{}", self.seen.join("\n"));
    }

    fn terminate(mut self) -> i32 {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let code = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status.code().unwrap_or(-1);
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "schedule did not stop on SIGTERM:\n{}",
                    self.seen.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        // Drain what is left, for the assertions' messages.
        self.seen.extend(self.lines.try_iter());
        code
    }
}

fn every_second(w: &Workdir) {
    w.edit(
        "pipeline.toml",
        "cron = \"0 0 9 1 * *\"",
        "cron = \"* * * * * *\"",
    );
}

#[test]
fn schedule_stops_cleanly_on_sigterm_while_waiting() {
    let w = Workdir::with_samples();
    let mut s = Service::start(&w);
    s.wait_for("Next run at");
    assert_eq!(s.terminate(), 0);
}

#[test]
fn schedule_runs_the_pipeline_when_due_as_a_scheduled_run() {
    let w = Workdir::with_samples();
    every_second(&w);
    let mut s = Service::start(&w);
    s.wait_for("Scheduled run finished");
    assert_eq!(s.terminate(), 0);
    let journal = Journal::open(&w.path("out/journal.sqlite")).unwrap();
    let runs = journal.runs(10).unwrap();
    assert!(!runs.is_empty());
    for r in &runs {
        assert_eq!(
            (r.trigger.as_str(), r.started_by.as_str()),
            ("scheduled", "schedule")
        );
        assert!(r.ended_at.is_some(), "a run was cut short: {r:?}");
    }
}

#[test]
fn schedule_skips_a_run_while_another_holds_the_lock() {
    let w = Workdir::with_samples();
    every_second(&w);
    let lock = RunLock::acquire(&w.path("out")).unwrap();
    let mut s = Service::start(&w);
    s.wait_for("Scheduled run skipped");
    assert!(
        s.seen
            .iter()
            .any(|l| l.contains(&format!("pid {}", std::process::id()))),
        "the warning names the holder: {:?}",
        s.seen
    );
    assert_eq!(s.terminate(), 0);
    drop(lock);
    assert!(
        !w.path("out/journal.sqlite").exists(),
        "no run happened while the lock was held"
    );
}

#[test]
fn a_run_while_another_holds_the_lock_exits_3_naming_the_holder() {
    let w = Workdir::with_samples();
    std::fs::create_dir_all(w.path("out")).unwrap();
    let held = ogpipe::lock::RunLock::acquire(&w.path("out")).unwrap();
    let out = w.run(&["run", "--as-of", "2026-11-28"]).expect(3);
    assert!(
        out.stderr().contains(&std::process::id().to_string()),
        "{}",
        out.stderr()
    );
    drop(held);
    w.run(&["run", "--as-of", "2026-11-28"]).expect(0);
}

#[test]
fn a_log_file_gets_the_same_json_lines_and_a_bad_path_is_a_usage_error() {
    let w = Workdir::with_samples();
    w.run(&[
        "run",
        "--as-of",
        "2026-11-28",
        "--log-format",
        "json",
        "--log-file",
        "ogpipe.log",
    ])
    .expect(0);
    let log = std::fs::read_to_string(w.path("ogpipe.log")).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines.iter().any(|l| l["message"] == "Run finished."),
        "{log}"
    );
    let out = w
        .run(&["plan", "--log-file", "no/such/dir/x.log"])
        .expect(2);
    assert!(out.stderr().contains("--log-file"), "{}", out.stderr());
}
