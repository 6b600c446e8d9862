//! The release gate through `ogpipe plan`.

use crate::support::Workdir;

#[test]
fn plan_lists_the_due_datasets_and_every_hold_reason() {
    let w = Workdir::with_samples();
    let out = w.run(&["plan", "--as-of", "2026-11-28"]).expect(0);
    let s = out.stdout();
    assert!(s.contains("To publish, in priority order (4)"), "{s}");
    assert!(s.contains("awaiting IMSO approval"), "{s}");
    assert!(s.contains("scheduled for 2027-04-01"), "{s}");
    assert!(s.contains("withheld"), "{s}");
}

#[test]
fn a_future_as_of_date_releases_the_scheduled_sample() {
    let w = Workdir::with_samples();
    let out = w
        .run(&["plan", "--as-of", "2027-04-01", "--json"])
        .expect(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout()).unwrap();
    let refs: Vec<&str> = v["approved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["reference"].as_str().unwrap())
        .collect();
    assert!(refs.contains(&"CSIS-INV-2025-006"), "{refs:?}");
    let reasons: Vec<&str> = v["held"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["awaiting_imso", "withheld"]);
}

#[test]
fn an_early_date_holds_everything_as_scheduled() {
    let w = Workdir::with_samples();
    let out = w
        .run(&["plan", "--as-of", "2026-01-01", "--json"])
        .expect(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout()).unwrap();
    assert!(v["approved"].as_array().unwrap().is_empty());
}

#[test]
fn a_source_path_escaping_the_data_folder_is_refused() {
    let w = Workdir::with_samples();
    w.write("secret.csv", "a\n1\n");
    w.edit(
        "samples/datasets/03-security-screening.toml",
        "source = \"security_screening.csv\"",
        "source = \"../../secret.csv\"",
    );
    let out = w.run(&["plan", "--as-of", "2026-11-28"]).expect(1);
    assert!(
        out.stdout().contains("leaves the data folder"),
        "{}",
        out.stdout()
    );
    // And preflight stops the whole run: nothing is published.
    let run = w.run(&["run", "--as-of", "2026-11-28"]).expect(1);
    let s = run.stdout();
    assert!(s.contains("Preflight failed: nothing was published"), "{s}");
    assert!(s.contains("0 published"), "{s}");
    assert!(!w.path("out/packages").exists());
}

#[test]
fn preflight_lists_every_problem_at_once_and_publishes_nothing() {
    let w = Workdir::with_samples();
    // A CSV posing as a workbook, and a keyword the Registry would refuse.
    std::fs::copy(
        w.path("samples/data/security_screening.csv"),
        w.path("samples/data/fake.xlsx"),
    )
    .unwrap();
    w.edit(
        "samples/datasets/01-annual-report-statistics.toml",
        "source = \"annual_report_statistics.xlsx\"",
        "source = \"fake.xlsx\"",
    );
    let long = "k".repeat(141);
    w.edit(
        "samples/datasets/02-atip-requests.toml",
        "\"ATIP\"]",
        &format!("\"{long}\"]"),
    );
    let out = w.run(&["run", "--as-of", "2026-11-28"]).expect(1);
    let s = out.stdout();
    assert!(s.contains("Fix these and run again (2)"), "{s}");
    assert!(
        s.contains("\"fake.xlsx\" is declared xlsx but its content is csv"),
        "{s}"
    );
    assert!(s.contains("dataset field /keywords/en/1"), "{s}");
    assert!(s.contains("0 published"), "{s}");
    let plan = w.run(&["plan", "--as-of", "2026-11-28"]).expect(1);
    assert!(
        plan.stdout().contains("Preflight problems"),
        "{}",
        plan.stdout()
    );
}
