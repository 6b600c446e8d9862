//! The publish stage under faults, its error messages, and `ogpipe publish`.
//!
//! Each fault test runs the real binary against a test-owned mock portal with one fault
//! injected, then checks the portal's own state: every approved dataset is there once,
//! public, with each of its files once, and nothing was created twice.

use std::time::{Duration, Instant};

use ogpipe::portal::{FaultKind, FaultRule, PortalConfig};
use ogpipe::vocab::Profile;
use serde_json::{json, Value as Json};

use crate::support::{TestPortal, Workdir, TOKEN};

const AS_OF: &str = "2026-11-28";
/// The samples approved on [`AS_OF`]: datasets and their files (CSV and JSON each).
const DATASETS: usize = 4;
const RESOURCES: usize = 8;

fn fault(action: &str, kind: FaultKind, times: u32) -> FaultRule {
    FaultRule {
        action: Some(action.into()),
        kind,
        times,
    }
}

fn status(status: u16, retry_after_secs: Option<u64>) -> FaultKind {
    FaultKind::Status {
        status,
        retry_after_secs,
    }
}

/// Calls a read action on the portal as the sysadmin and returns its `result`.
fn read(portal: &TestPortal, action: &str, body: Json) -> Json {
    let url = format!("{}/api/3/action/{action}", portal.url());
    portal.rt.block_on(async {
        let resp = reqwest::Client::new()
            .post(url)
            .header("Authorization", TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        let v: Json = resp.json().await.unwrap();
        assert_eq!(v["success"], true, "{action}: {v}");
        v["result"].clone()
    })
}

/// Every active dataset the portal holds, private ones included.
fn datasets(portal: &TestPortal) -> Vec<Json> {
    let r = read(
        portal,
        "package_search",
        json!({"q": "*:*", "rows": 1000, "include_private": true}),
    );
    r["results"].as_array().unwrap().clone()
}

fn keys(dataset: &Json) -> Vec<String> {
    let mut k: Vec<String> = dataset["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ogpipe_key"].as_str().unwrap_or("(none)").to_string())
        .collect();
    k.sort();
    k
}

/// The portal holds every approved sample once, each file once, all public.
fn assert_published_once(portal: &TestPortal) {
    let all = datasets(portal);
    assert_eq!(all.len(), DATASETS, "datasets on the portal");
    let mut total = 0;
    for d in &all {
        let k = keys(d);
        let mut unique = k.clone();
        unique.dedup();
        assert_eq!(k, unique, "twin resources in {}", d["id"]);
        total += k.len();
        assert_eq!(d["private"], false, "{} is still private", d["id"]);
        assert_eq!(d["ready_to_publish"], "true", "{}", d["id"]);
    }
    assert_eq!(total, RESOURCES, "resources on the portal");
}

/// A workdir whose client gives up on a request after one second.
fn quick_workdir() -> Workdir {
    let w = Workdir::with_samples();
    w.edit("pipeline.toml", "timeout_secs = 60", "timeout_secs = 1");
    w.edit(
        "pipeline.toml",
        "retry_max_backoff_secs = 30",
        "retry_max_backoff_secs = 1",
    );
    w
}

fn run_with_fault(rule: FaultRule) -> (Workdir, TestPortal, crate::support::Run) {
    let w = quick_workdir();
    let portal = TestPortal::start(Profile::OpenCanada);
    portal.portal().set_faults(vec![rule]);
    let out = w
        .cmd(&["run", "--as-of", AS_OF])
        .env("OGPIPE_PORTAL_URL", portal.url())
        .env("OGPIPE_PORTAL_TOKEN", TOKEN)
        .env("OGPIPE_PORTAL_TIMEOUT_SECS", "1")
        .output()
        .unwrap();
    (w, portal, crate::support::Run(out))
}

// ---- fault recovery ----

#[test]
fn a_package_show_slower_than_the_timeout_is_retried() {
    let (_w, portal, out) = run_with_fault(fault("package_show", FaultKind::Delay { ms: 1500 }, 1));
    out.expect(0);
    assert_published_once(&portal);
    assert_eq!(portal.count("package_create"), DATASETS);
}

#[test]
fn an_upload_slower_than_the_timeout_is_not_uploaded_twice() {
    let (_w, portal, out) =
        run_with_fault(fault("resource_create", FaultKind::Delay { ms: 1500 }, 1));
    out.expect(0);
    // The slow upload landed after the client gave up, and before the run ended...
    let creates: Vec<u16> = portal
        .portal()
        .requests()
        .iter()
        .filter(|r| r.action == "resource_create")
        .map(|r| r.status)
        .collect();
    assert!(creates.iter().all(|s| *s == 200), "{creates:?}");
    // ...and the re-read found it rather than uploading the file again.
    assert_published_once(&portal);
    assert_eq!(portal.count("resource_create"), RESOURCES);
    assert_eq!(portal.count("resource_delete"), 0, "a twin was made");
}

#[test]
fn a_connection_dropped_mid_upload_is_uploaded_again_once() {
    let (_w, portal, out) = run_with_fault(fault("resource_create", FaultKind::DropConnection, 1));
    out.expect(0);
    assert_published_once(&portal);
    // The dropped upload never reached the portal: one more create than files.
    assert_eq!(portal.count("resource_create"), RESOURCES + 1);
    assert_eq!(portal.count("resource_delete"), 0);
}

#[test]
fn a_dataset_created_but_unanswered_is_found_not_created_twice() {
    let (_w, portal, out) = run_with_fault(fault("package_create", FaultKind::DropAfterApply, 1));
    let out = out.expect(0);
    assert!(out.stdout().contains("Published (4)"), "{}", out.stdout());
    assert_published_once(&portal);
    assert_eq!(portal.count("package_create"), DATASETS);
}

#[test]
fn an_upload_applied_but_unanswered_is_found_not_uploaded_twice() {
    let (_w, portal, out) = run_with_fault(fault("resource_create", FaultKind::DropAfterApply, 1));
    out.expect(0);
    assert_published_once(&portal);
    assert_eq!(portal.count("resource_create"), RESOURCES);
    assert_eq!(portal.count("resource_delete"), 0);
}

#[test]
fn a_429_is_retried_after_the_wait_the_portal_asks_for() {
    let started = Instant::now();
    // 429 says the create was not processed, so even a create is retried.
    let (_w, portal, out) = run_with_fault(fault("package_create", status(429, Some(2)), 1));
    out.expect(0);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "Retry-After: 2 not honoured ({:?})",
        started.elapsed()
    );
    assert_published_once(&portal);
    let creates: Vec<u16> = portal
        .portal()
        .requests()
        .iter()
        .filter(|r| r.action == "package_create")
        .map(|r| r.status)
        .collect();
    assert_eq!(creates.len(), DATASETS + 1, "{creates:?}");
    assert_eq!(creates.iter().filter(|s| **s == 429).count(), 1);
}

#[test]
fn a_run_stopped_before_making_datasets_public_is_finished_without_reuploading() {
    let w = quick_workdir();
    w.edit(
        "pipeline.toml",
        "retry_max_attempts = 5",
        "retry_max_attempts = 2",
    );
    let portal = TestPortal::start(Profile::OpenCanada);
    // The last step, making each dataset public, keeps failing.
    portal
        .portal()
        .set_faults(vec![fault("package_patch", status(500, None), 1000)]);
    let out = w.run_on(&portal, &["run", "--as-of", AS_OF]).expect(3);
    assert!(out.stdout().contains("Failed (4)"), "{}", out.stdout());
    let drafts = datasets(&portal);
    assert_eq!(drafts.len(), DATASETS);
    for d in &drafts {
        assert_eq!(d["private"], true, "{}", d["id"]);
        assert_eq!(d["ready_to_publish"], "false", "{}", d["id"]);
        assert_eq!(keys(d).len(), 2, "files are in place: {}", d["id"]);
    }
    // Drafts are not visible to the public.
    let public = read(&portal, "package_search", json!({"q": "*:*"}));
    assert_eq!(public["count"], 0);

    portal.portal().set_faults(vec![]);
    let uploads = portal.count("resource_create") + portal.count("resource_update");
    let out = w.run_on(&portal, &["run", "--as-of", AS_OF]).expect(0);
    assert!(out.stdout().contains("Published (4)"), "{}", out.stdout());
    assert_published_once(&portal);
    assert_eq!(
        portal.count("resource_create") + portal.count("resource_update"),
        uploads,
        "unchanged files were uploaded again"
    );
    assert_eq!(portal.count("package_create"), DATASETS);
}

// ---- error messages ----

#[test]
fn a_refused_token_is_found_before_any_build_exits_2_and_is_never_shown() {
    // See: issue 16 (a refusal that running again cannot fix is not exit 3).
    let w = Workdir::with_samples();
    let portal = TestPortal::start(Profile::OpenCanada);
    let wrong = "wrong-token-9b7e51d0-do-not-print";
    let out = w
        .cmd(&["run", "--as-of", AS_OF])
        .env("OGPIPE_PORTAL_URL", portal.url())
        .env("OGPIPE_PORTAL_TOKEN", wrong)
        .output()
        .unwrap();
    let out = crate::support::Run(out).expect(2);
    let text = format!("{}{}", out.stdout(), out.stderr());
    assert!(
        text.contains("OGPIPE_PORTAL_TOKEN may not create datasets in organization \"csis-scrs\""),
        "{text}"
    );
    assert!(!text.contains(wrong), "the token was printed");
    assert!(!text.contains(TOKEN));
    assert_eq!(portal.writes(), 0);
    assert!(
        !w.path("out/packages").exists(),
        "packages were built before the probe"
    );
}

#[test]
fn a_profile_the_portal_schema_cannot_take_is_refused_at_the_probe_with_every_field() {
    // Core CKAN fields sent to a portal running the Government of Canada schema: the
    // portal's own schema (scheming_dataset_schema_show) says what it requires.
    let w = Workdir::with_samples();
    w.edit(
        "pipeline.toml",
        "profile = \"open-canada\"",
        "profile = \"ckan\"",
    );
    let portal = TestPortal::start(Profile::OpenCanada);
    let out = w.run_on(&portal, &["run", "--as-of", AS_OF]).expect(2);
    let text = out.stderr();
    for field in ["title_translated", "collection", "imso_approval"] {
        assert!(
            text.contains(&format!(
                "dataset field \"{field}\" is required by the portal"
            )),
            "{field}: {text}"
        );
    }
    assert_eq!(portal.writes(), 0);
    assert!(datasets(&portal).is_empty());
}

#[test]
fn a_rehearsal_date_past_the_portals_own_date_is_refused_at_the_probe() {
    // --as-of lets the gate through CSIS-INV-2025-006 (due 2027-04-01); the portal's
    // clock (its Date header) is today, and the GC schema refuses a future date_published.
    let w = Workdir::with_samples();
    let portal = TestPortal::start(Profile::OpenCanada);
    let out = w
        .run_on(&portal, &["run", "--as-of", "2027-04-01"])
        .expect(2);
    assert!(
        out.stderr()
            .contains("release date 2027-04-01 is after the portal's own date"),
        "{}",
        out.stderr()
    );
    assert_eq!(portal.writes(), 0);
}

#[test]
fn the_open_canada_profile_on_core_ckan_is_refused_at_the_probe() {
    let w = Workdir::with_samples();
    let portal = TestPortal::start(Profile::Ckan);
    let out = w.run_on(&portal, &["run", "--as-of", AS_OF]).expect(2);
    assert!(
        out.stderr().contains("use profile \"ckan\""),
        "{}",
        out.stderr()
    );
    // ca-ogl-lgo is not in core CKAN's licence list either.
    assert!(
        out.stderr().contains("licence \"ca-ogl-lgo\""),
        "{}",
        out.stderr()
    );
    assert_eq!(portal.writes(), 0);
}

// ---- real portals' behaviour (issue 16) ----

#[test]
fn a_field_the_portal_drops_fails_its_dataset_after_one_pass_with_nothing_public() {
    // See: issue 16 (16,310 package_patch calls in 600 s against a real CKAN).
    let mut config = PortalConfig::new(TOKEN, Profile::OpenCanada);
    config.drop_fields = vec!["maintainer_email".into()];
    let portal = TestPortal::start_with(config);
    let w = Workdir::with_samples();
    let out = w.run_on(&portal, &["run", "--as-of", AS_OF]).expect(1);
    let stdout = out.stdout();
    assert!(stdout.contains("Refused by the portal (4)"), "{stdout}");
    assert!(
        stdout.contains("maintainer_email: sent \"media@example.gc.ca\", the portal has nothing"),
        "{stdout}"
    );
    // One pass of writes per dataset (its create and two uploads), then the re-read
    // that shows the field missing: no patch, no make-public, nothing public.
    assert_eq!(portal.count("package_create"), DATASETS);
    assert_eq!(portal.count("resource_create"), 2 * DATASETS);
    assert_eq!(portal.count("package_patch"), 0);
    assert_eq!(portal.writes(), 3 * DATASETS);
    for d in datasets(&portal) {
        assert_eq!(d["private"], true);
        assert_eq!(d["ready_to_publish"], "false");
    }
}

#[test]
fn on_the_registry_a_dataset_is_done_when_ready_to_publish_whatever_private_says() {
    let mut config = PortalConfig::new(TOKEN, Profile::OpenCanada);
    config.registry = true;
    let portal = TestPortal::start_with(config);
    let w = Workdir::with_samples();
    let out = w.run_on(&portal, &["run", "--as-of", AS_OF]).expect(0);
    assert!(out.stdout().contains("Published (4)"), "{}", out.stdout());
    for d in datasets(&portal) {
        assert_eq!(d["private"], true, "the Registry forces private");
        assert_eq!(d["ready_to_publish"], "true");
        assert!(d["date_published"].as_str().unwrap().ends_with(" 00:00:00"));
    }
    // A date written back as a datetime is the same date: no write on a re-run.
    let writes = portal.writes();
    let out = w.run_on(&portal, &["run", "--as-of", AS_OF]).expect(0);
    assert!(out.stdout().contains("Unchanged (4)"), "{}", out.stdout());
    assert_eq!(portal.writes(), writes);
}

#[test]
fn a_file_over_the_upload_limit_holds_its_dataset_before_any_write_and_keeps_the_old_files() {
    let w = Workdir::with_samples();
    let portal = TestPortal::start(Profile::OpenCanada);
    w.run_on(&portal, &["run", "--as-of", AS_OF]).expect(0);
    let before = portal.writes();
    // About 1.5 MB of CSV, over a limit of 1 MiB.
    let mut csv = String::from("fiscal_year,program_en,program_fr,requests_received,median_days\n");
    for i in 0..30_000 {
        csv.push_str(&format!("2022-2023,Program {i},Programme {i},{i},1.5\n"));
    }
    w.write("samples/data/security_screening.csv", &csv);
    w.edit("pipeline.toml", "[portal]", "[portal]\nmax_upload_mb = 1");
    let out = w.run_on(&portal, &["run", "--as-of", AS_OF]).expect(1);
    let stdout = out.stdout();
    assert!(
        stdout.contains("over the portal's upload limit of 1 MiB"),
        "{stdout}"
    );
    assert!(stdout.contains("volumes.csv"), "{stdout}");
    assert_eq!(portal.writes(), before, "something was written");
}

#[test]
fn a_published_dataset_now_withheld_is_made_private_and_listed_first() {
    let w = Workdir::with_samples();
    let portal = TestPortal::start(Profile::OpenCanada);
    w.run_on(&portal, &["run", "--as-of", AS_OF]).expect(0);
    w.edit(
        "samples/datasets/03-security-screening.toml",
        "status = \"release\"",
        "status = \"withhold\"\ngrounds = [\"ATIA s. 16(2)\"]\njustification = \"Reassessed\"",
    );
    let out = w.run_on(&portal, &["run", "--as-of", AS_OF]).expect(0);
    let stdout = out.stdout();
    let first = stdout
        .find("Retracted from the public portal (1)")
        .expect(&stdout);
    assert!(first < stdout.find("Unchanged").unwrap(), "{stdout}");
    assert!(stdout.contains("made private on the portal"), "{stdout}");
    let d = datasets(&portal)
        .into_iter()
        .find(|d| d["ready_to_publish"] == "false")
        .expect("one dataset taken back");
    assert_eq!(d["private"], true);
    // Next time it is already private: nothing more to do.
    let writes = portal.writes();
    w.run_on(&portal, &["run", "--as-of", AS_OF]).expect(0);
    assert_eq!(portal.writes(), writes);
}

/// Each resource of every dataset as (dataset name, key, SHA-256 of the bytes served).
fn served(portal: &TestPortal) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for d in datasets(portal) {
        for r in d["resources"].as_array().unwrap() {
            let url = r["url"].as_str().unwrap().to_string();
            let bytes = portal.rt.block_on(async {
                let resp = reqwest::Client::new()
                    .get(url)
                    .header("Authorization", TOKEN)
                    .send()
                    .await
                    .unwrap();
                resp.bytes().await.unwrap()
            });
            out.push((
                d["name"].as_str().unwrap().to_string(),
                r["ogpipe_key"].as_str().unwrap().to_string(),
                ogpipe::checksum::Sha256Digest::of(&bytes).hex(),
            ));
        }
    }
    out.sort();
    out
}

#[test]
fn an_update_refused_half_way_is_rolled_back_so_the_portal_never_serves_a_mix() {
    let w = Workdir::with_samples();
    let portal = TestPortal::start(Profile::OpenCanada);
    w.run_on(&portal, &["run", "--as-of", AS_OF]).expect(0);
    let before = served(&portal);
    // The source of one dataset changes: both its files are to be replaced. The portal
    // takes the first and refuses the second.
    w.edit("samples/data/security_screening.csv", "61250", "61251");
    portal.portal().set_faults(vec![
        fault("resource_update", FaultKind::Delay { ms: 0 }, 1),
        fault("resource_update", status(409, None), 1),
    ]);
    let out = w.run_on(&portal, &["run", "--as-of", AS_OF]).expect(1);
    assert!(
        out.stdout().contains("the update was rolled back"),
        "{}",
        out.stdout()
    );
    assert_eq!(served(&portal), before, "the portal serves a mix");
    // Once the portal takes files again, the next run finishes the update.
    portal.portal().set_faults(vec![]);
    let out = w.run_on(&portal, &["run", "--as-of", AS_OF]).expect(0);
    assert!(out.stdout().contains("Published (1)"), "{}", out.stdout());
    let after = served(&portal);
    let changed = before.iter().zip(&after).filter(|(a, b)| a != b).count();
    assert_eq!(changed, 2, "{before:?}\n{after:?}");
}

#[test]
fn a_dataset_of_the_same_name_in_another_organization_is_never_changed() {
    // Names are unique across a CKAN site: the slug ogpipe derives may be taken.
    let mut config = PortalConfig::new(TOKEN, Profile::Ckan);
    config.organizations.push(ogpipe::portal::Organization {
        name: "other-dept".into(),
        title: "Other".into(),
    });
    let portal = TestPortal::start_with(config);
    let theirs = read(
        &portal,
        "package_create",
        json!({"name": "csis-inv-2025-003", "owner_org": "other-dept", "title": "Theirs"}),
    );
    let w = Workdir::with_samples();
    w.edit(
        "pipeline.toml",
        "profile = \"open-canada\"",
        "profile = \"ckan\"",
    );
    w.edit(
        "pipeline.toml",
        "license_id = \"ca-ogl-lgo\"",
        "license_id = \"cc-by\"",
    );
    let out = w.run_on(&portal, &["run", "--as-of", AS_OF]).expect(1);
    assert!(
        out.stdout()
            .contains("owned by organization \"other-dept\", not \"csis-scrs\""),
        "{}",
        out.stdout()
    );
    assert!(out.stdout().contains("Published (3)"), "{}", out.stdout());
    let now = read(&portal, "package_show", json!({"id": theirs["id"]}));
    assert_eq!(now["title"], "Theirs");
    assert_eq!(now["metadata_modified"], theirs["metadata_modified"]);
}

// ---- ogpipe publish ----

#[test]
fn publish_after_a_run_changes_nothing_and_its_dry_run_shows_an_empty_plan() {
    let w = Workdir::with_samples();
    let portal = TestPortal::start(Profile::OpenCanada);
    w.run_on(&portal, &["run", "--as-of", AS_OF]).expect(0);
    let writes = portal.writes();
    let out = w.run_on(&portal, &["publish", "--as-of", AS_OF]).expect(0);
    assert!(out.stdout().contains("Unchanged (4)"), "{}", out.stdout());
    assert_eq!(portal.writes(), writes, "publish wrote to the portal");

    let out = w
        .run_on(
            &portal,
            &["publish", "--as-of", AS_OF, "--dry-run", "--json"],
        )
        .expect(0);
    let v: Json = serde_json::from_str(&out.stdout()).unwrap();
    assert_eq!(v["dry_run"], true);
    let planned: Vec<&Json> = v["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["outcome"] == "planned")
        .collect();
    assert_eq!(planned.len(), DATASETS);
    for d in planned {
        assert_eq!(d["plan"]["steps"], json!([]), "{d}");
        assert_eq!(d["plan"]["unchanged"].as_array().unwrap().len(), 2, "{d}");
    }
    assert_eq!(portal.writes(), writes);
}

#[test]
fn publish_sends_the_built_packages_without_reading_the_sources() {
    let w = Workdir::with_samples();
    // Build the packages (on the embedded portal), then change a source afterwards.
    w.run(&["run", "--as-of", AS_OF]).expect(0);
    w.edit("samples/data/security_screening.csv", "61250", "61251");
    let portal = TestPortal::start(Profile::OpenCanada);

    let plan = w
        .run_on(
            &portal,
            &["publish", "--as-of", AS_OF, "--dry-run", "--json"],
        )
        .expect(0);
    let v: Json = serde_json::from_str(&plan.stdout()).unwrap();
    let first = &v["datasets"][0]["plan"]["steps"];
    let kinds: Vec<&str> = first
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "create_dataset",
            "upload_resource",
            "upload_resource",
            "make_public"
        ],
        "{first}"
    );
    assert_eq!(first[0]["fields"]["ready_to_publish"], "false");
    assert_eq!(portal.writes(), 0);

    let out = w.run_on(&portal, &["publish", "--as-of", AS_OF]).expect(0);
    assert!(out.stdout().contains("Published (4)"), "{}", out.stdout());
    assert_published_once(&portal);
    // What went up is the package's file, not the changed source.
    let pkg = "out/packages/csis-inv-2025-003";
    let sums = std::fs::read_to_string(w.path(&format!("{pkg}/SHA256SUMS"))).unwrap();
    let id = v["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["reference"] == "CSIS-INV-2025-003")
        .map(|d| d["plan"]["dataset"].as_str().unwrap().to_string())
        .unwrap();
    let remote = read(&portal, "package_show", json!({ "id": id }));
    for r in remote["resources"].as_array().unwrap() {
        let sha = r["ogpipe_sha256"].as_str().unwrap();
        assert!(sums.contains(sha), "{sha} not in {sums}");
    }
}

#[test]
fn publish_without_a_package_says_to_run_first() {
    let w = Workdir::with_samples();
    let portal = TestPortal::start(Profile::OpenCanada);
    let out = w.run_on(&portal, &["publish", "--as-of", AS_OF]).expect(1);
    assert!(
        out.stdout().contains("no package: run `ogpipe run` first"),
        "{}",
        out.stdout()
    );
    assert_eq!(portal.writes(), 0);
}

#[test]
fn publish_refuses_a_tampered_package_and_names_the_file() {
    let w = Workdir::with_samples();
    let portal = TestPortal::start(Profile::OpenCanada);
    w.run_on(&portal, &["run", "--as-of", AS_OF]).expect(0);
    let f = w.path("out/packages/csis-inv-2025-003/volumes.csv");
    let mut bytes = std::fs::read(&f).unwrap();
    bytes[30] ^= 1;
    std::fs::write(&f, bytes).unwrap();
    let writes = portal.writes();
    let out = w.run_on(&portal, &["publish", "--as-of", AS_OF]).expect(1);
    let stdout = out.stdout();
    assert!(
        stdout.contains("fails verification: volumes.csv"),
        "{stdout}"
    );
    assert!(stdout.contains("Unchanged (3)"), "{stdout}");
    assert_eq!(portal.writes(), writes);
}
