//! `ogpipe run` end to end, against the embedded portal and a test-owned mock portal.

use crate::support::{TestPortal, Workdir, TOKEN};
use ogpipe::vocab::Profile;

#[test]
fn run_publishes_approved_samples_to_the_embedded_portal_then_finds_them_unchanged() {
    let w = Workdir::with_samples();
    let first = w.run(&["run", "--as-of", "2026-11-28"]).expect(0);
    let out = first.stdout();
    assert!(out.contains("Published (4)"), "{out}");
    assert!(out.contains("awaiting IMSO approval"), "{out}");
    assert!(out.contains("scheduled for 2027-04-01"), "{out}");
    assert!(out.contains("withheld (ATIA s. 15(1)"), "{out}");
    let second = w.run(&["run", "--as-of", "2026-11-28"]).expect(0);
    assert!(
        second.stdout().contains("Unchanged (4)"),
        "{}",
        second.stdout()
    );
    assert!(
        second.stdout().contains("0 published, 4 unchanged"),
        "{}",
        second.stdout()
    );
}

#[test]
fn a_no_change_rerun_makes_zero_write_calls() {
    let w = Workdir::with_samples();
    let portal = TestPortal::start(Profile::OpenCanada);
    w.run_on(&portal, &["run", "--as-of", "2026-11-28"])
        .expect(0);
    assert_eq!(portal.count("package_create"), 4);
    assert_eq!(portal.count("resource_create"), 8);
    let before = portal.writes();
    w.run_on(&portal, &["run", "--as-of", "2026-11-28"])
        .expect(0);
    assert_eq!(
        portal.writes(),
        before,
        "a re-run with nothing changed wrote to the portal"
    );
}

#[test]
fn a_changed_source_replaces_only_its_files() {
    let w = Workdir::with_samples();
    let portal = TestPortal::start(Profile::OpenCanada);
    w.run_on(&portal, &["run", "--as-of", "2026-11-28"])
        .expect(0);
    let csv = w.path("samples/data/security_screening.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    std::fs::write(&csv, text.replacen("61250", "61251", 1)).unwrap();
    let updates = portal.count("resource_update");
    let out = w
        .run_on(&portal, &["run", "--as-of", "2026-11-28"])
        .expect(0);
    assert!(
        out.stdout().contains("1 published, 3 unchanged"),
        "{}",
        out.stdout()
    );
    assert_eq!(
        portal.count("resource_update"),
        updates + 2,
        "csv and json replaced"
    );
    assert_eq!(portal.count("package_create"), 4, "nothing created twice");
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let w = Workdir::with_samples();
    let portal = TestPortal::start(Profile::OpenCanada);
    let out = w
        .run_on(&portal, &["run", "--dry-run", "--as-of", "2026-11-28"])
        .expect(0);
    assert!(
        out.stdout().contains("create the dataset as a draft"),
        "{}",
        out.stdout()
    );
    assert!(
        out.stdout().contains("make the dataset public"),
        "{}",
        out.stdout()
    );
    assert_eq!(portal.writes(), 0);
    let json = w
        .run_on(
            &portal,
            &["run", "--dry-run", "--json", "--as-of", "2026-11-28"],
        )
        .expect(0);
    let v: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["datasets"][0]["outcome"], "planned");
}

#[test]
fn a_failing_portal_exits_3_and_a_later_run_completes_without_duplicates() {
    use ogpipe::portal::{FaultKind, FaultRule};
    let w = Workdir::with_samples();
    let portal = TestPortal::start(Profile::OpenCanada);
    // Every upload fails for longer than the client retries.
    portal.portal().set_faults(vec![FaultRule {
        action: Some("resource_create".into()),
        kind: FaultKind::Status {
            status: 500,
            retry_after_secs: None,
        },
        times: 1000,
    }]);
    w.edit(
        "pipeline.toml",
        "retry_max_attempts = 5",
        "retry_max_attempts = 2",
    );
    w.edit(
        "pipeline.toml",
        "retry_max_backoff_secs = 30",
        "retry_max_backoff_secs = 1",
    );
    let out = w
        .run_on(&portal, &["run", "--as-of", "2026-11-28"])
        .expect(3);
    assert!(out.stdout().contains("Failed (4)"), "{}", out.stdout());
    // Drafts were created but none was made public.
    assert_eq!(portal.count("package_create"), 4);
    portal.portal().set_faults(vec![]);
    let out = w
        .run_on(&portal, &["run", "--as-of", "2026-11-28"])
        .expect(0);
    assert!(out.stdout().contains("Published (4)"), "{}", out.stdout());
    assert_eq!(
        portal.count("package_create"),
        4,
        "the next run finished the drafts"
    );
}

#[test]
fn transient_503s_with_retry_after_are_retried() {
    use ogpipe::portal::{FaultKind, FaultRule};
    let w = Workdir::with_samples();
    let portal = TestPortal::start(Profile::OpenCanada);
    portal.portal().set_faults(vec![FaultRule {
        action: Some("package_show".into()),
        kind: FaultKind::Status {
            status: 503,
            retry_after_secs: Some(0),
        },
        times: 2,
    }]);
    w.run_on(&portal, &["run", "--as-of", "2026-11-28"])
        .expect(0);
    assert_eq!(portal.count("package_create"), 4);
}

#[test]
fn an_unreachable_portal_exits_3() {
    let w = Workdir::with_samples();
    // Port 9 on loopback: nothing listens there.
    let out = w
        .cmd(&["run", "--as-of", "2026-11-28"])
        .env("OGPIPE_PORTAL_URL", "http://127.0.0.1:9")
        .env("OGPIPE_PORTAL_RETRY_MAX_ATTEMPTS", "1")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn the_token_never_appears_in_logs_output_or_journal() {
    let w = Workdir::with_samples();
    let portal = TestPortal::start(Profile::OpenCanada);
    let out = w
        .run_on(
            &portal,
            &[
                "run",
                "--as-of",
                "2026-11-28",
                "--log-format",
                "json",
                "-vv",
            ],
        )
        .expect(0);
    assert!(!out.stdout().contains(TOKEN));
    assert!(!out.stderr().contains(TOKEN));
    let done: Vec<serde_json::Value> = out
        .stderr()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every log line is one JSON object"))
        .filter(|v: &serde_json::Value| v["message"] == "Dataset done.")
        .collect();
    assert_eq!(done.len(), 4, "{}", out.stderr());
    for line in &done {
        for field in [
            "timestamp",
            "level",
            "run_id",
            "dataset",
            "stage",
            "outcome",
            "elapsed_ms",
        ] {
            assert!(!line[field].is_null(), "{field} missing in {line}");
        }
        assert_eq!(line["outcome"], "published");
    }
    let journal = std::fs::read(w.path("out/journal.sqlite")).unwrap();
    assert!(!journal
        .windows(TOKEN.len())
        .any(|win| win == TOKEN.as_bytes()));
    let history = w.run(&["history"]).expect(0);
    assert!(history.stdout().contains("manual"), "{}", history.stdout());
}

#[test]
fn packages_verify_and_a_tampered_file_is_named() {
    let w = Workdir::with_samples();
    w.run(&["run", "--as-of", "2026-11-28"]).expect(0);
    let pkg = "out/packages/csis-inv-2025-003";
    let ok = w.run(&["verify", pkg]).expect(0);
    assert!(ok.stdout().contains("all match"), "{}", ok.stdout());
    let sums = std::fs::read_to_string(w.path(&format!("{pkg}/SHA256SUMS"))).unwrap();
    assert!(sums.contains("  volumes.csv\n"));
    let f = w.path(&format!("{pkg}/volumes.csv"));
    let mut bytes = std::fs::read(&f).unwrap();
    bytes[30] ^= 1;
    std::fs::write(&f, bytes).unwrap();
    let bad = w.run(&["verify", pkg]).expect(1);
    assert!(bad.stdout().contains("volumes.csv"), "{}", bad.stdout());
}

#[test]
fn same_inputs_give_byte_identical_packages() {
    let a = Workdir::with_samples();
    let b = Workdir::with_samples();
    a.run(&["run", "--as-of", "2026-11-28"]).expect(0);
    b.run(&["run", "--as-of", "2026-11-28"]).expect(0);
    for pkg in [
        "csis-inv-2025-001",
        "csis-inv-2025-002",
        "csis-inv-2025-003",
        "csis-inv-2025-004",
    ] {
        let sums = |w: &Workdir| {
            std::fs::read_to_string(w.path(&format!("out/packages/{pkg}/SHA256SUMS"))).unwrap()
        };
        assert_eq!(sums(&a), sums(&b), "{pkg}");
    }
}
