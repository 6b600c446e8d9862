//! Configuration errors: exit 2, naming the file and key.

use crate::support::Workdir;

#[test]
fn an_unknown_key_is_named_with_its_file() {
    let w = Workdir::with_samples();
    w.edit(
        "pipeline.toml",
        "timeout_secs = 60",
        "timeout_secs = 60\ntimout = 5",
    );
    let out = w.run(&["run"]).expect(2);
    assert!(out.stderr().contains("pipeline.toml"), "{}", out.stderr());
    assert!(
        out.stderr().contains("unknown field `timout`"),
        "{}",
        out.stderr()
    );
}

#[test]
fn a_missing_config_file_says_how_to_choose_another() {
    let w = Workdir::with_samples();
    let out = w.run(&["run", "--config", "nope.toml"]).expect(2);
    assert!(out.stderr().contains("nope.toml"), "{}", out.stderr());
    assert!(out.stderr().contains("--config"), "{}", out.stderr());
}

#[test]
fn every_semantic_problem_is_listed_at_once() {
    let w = Workdir::with_samples();
    w.edit("pipeline.toml", "url = \"embedded\"", "url = \"ftp://x\"");
    w.edit("pipeline.toml", "concurrency = 4", "concurrency = 0");
    w.edit(
        "pipeline.toml",
        "jurisdiction = \"federal\"",
        "jurisdiction = \"galactic\"",
    );
    let out = w.run(&["plan"]).expect(2);
    let e = out.stderr();
    assert!(e.contains("3 configuration problems"), "{e}");
    assert!(e.contains("pipeline.toml: portal.url:"), "{e}");
    assert!(e.contains("pipeline.toml: portal.concurrency:"), "{e}");
    assert!(e.contains("pipeline.toml: defaults.jurisdiction:"), "{e}");
}

#[test]
fn environment_overrides_are_checked_too() {
    let w = Workdir::with_samples();
    let out = w
        .cmd(&["plan"])
        .env("OGPIPE_PORTAL_TIMEOUT_SECS", "soon")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("OGPIPE_PORTAL_TIMEOUT_SECS"));
}

#[test]
fn a_bad_date_is_a_usage_error() {
    let w = Workdir::with_samples();
    let out = w.run(&["plan", "--as-of", "2026-13-01"]).expect(2);
    assert!(out.stderr().contains("--as-of"), "{}", out.stderr());
}
