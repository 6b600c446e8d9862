//! Packages after the run: `verify --portal`, `export --bagit`, and atomicity under
//! SIGKILL.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::{Run, TestPortal, Workdir};
use ogpipe::checksum::Sha256Digest;
use ogpipe::package::bagit;
use ogpipe::portal::{FaultKind, FaultRule};
use ogpipe::vocab::Profile;

const SCREENING: &str = "CSIS-INV-2025-003";
const AS_OF: &str = "2026-11-28";

/// Every file under `dir` named `name`.
fn find_files(dir: &Path, name: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            found.extend(find_files(&p, name));
        } else if p.file_name().is_some_and(|n| n == name) {
            found.push(p);
        }
    }
    found
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout()))
}

fn statuses(report: &serde_json::Value) -> Vec<(String, String)> {
    let mut s: Vec<_> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["key"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    s.sort();
    s
}

#[test]
fn verify_portal_matches_then_names_a_tampered_file_with_both_digests() {
    let w = Workdir::with_samples();
    let portal = TestPortal::start(Profile::OpenCanada);
    w.run_on(&portal, &["run", "--as-of", AS_OF]).expect(0);
    let ok = w
        .run_on(&portal, &["verify", "--portal", SCREENING])
        .expect(0);
    assert!(
        ok.stdout().contains("2 of 2 files match"),
        "{}",
        ok.stdout()
    );
    assert_eq!(portal.count("download"), 2);

    let served = find_files(portal._state.path(), "volumes.csv");
    assert_eq!(served.len(), 1, "{served:?}");
    let original = std::fs::read(&served[0]).unwrap();
    let mut tampered = original.clone();
    tampered.extend_from_slice(b"2099-2100,Extra,Extra,1,1.0\r\n");
    std::fs::write(&served[0], &tampered).unwrap();

    let differs = w
        .run_on(&portal, &["verify", "--portal", SCREENING])
        .expect(1);
    let out = differs.stdout();
    assert!(out.contains("DIFFERS          volumes.csv"), "{out}");
    assert!(out.contains(&Sha256Digest::of(&original).hex()), "{out}");
    assert!(out.contains(&Sha256Digest::of(&tampered).hex()), "{out}");
    let report = json(
        &w.run_on(&portal, &["verify", "--portal", SCREENING, "--json"])
            .expect(1),
    );
    let csv = &report["files"][0];
    assert_eq!(csv["status"], "differs");
    assert_eq!(csv["portal_bytes"], tampered.len());
    assert_eq!(csv["package_bytes"], original.len());
    assert_eq!(report["ok"], false);
}

#[test]
fn verify_portal_exits_3_when_downloads_keep_failing_and_retries_a_transient_one() {
    let w = Workdir::with_samples();
    let portal = TestPortal::start(Profile::OpenCanada);
    w.run_on(&portal, &["run", "--as-of", AS_OF]).expect(0);
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
    let fail = |times| {
        vec![FaultRule {
            action: Some("download".into()),
            kind: FaultKind::Status {
                status: 503,
                retry_after_secs: Some(0),
            },
            times,
        }]
    };
    portal.portal().set_faults(fail(1000));
    let out = w
        .run_on(&portal, &["verify", "--portal", SCREENING])
        .expect(3);
    assert!(
        out.stdout().contains("UNREADABLE       volumes.csv"),
        "{}",
        out.stdout()
    );
    portal.portal().set_faults(fail(1));
    w.run_on(&portal, &["verify", "--portal", SCREENING])
        .expect(0);
}

#[test]
fn verify_portal_names_files_missing_on_the_portal_and_resources_the_package_lacks() {
    let w = Workdir::with_samples();
    let portal = TestPortal::start(Profile::OpenCanada);
    w.run_on(&portal, &["run", "--as-of", AS_OF]).expect(0);
    // A dry run rebuilds the package but publishes nothing.
    w.edit(
        "samples/datasets/03-security-screening.toml",
        r#"outputs = ["csv", "json"]"#,
        r#"outputs = ["csv", "ndjson"]"#,
    );
    w.run_on(&portal, &["run", "--as-of", AS_OF, "--dry-run"])
        .expect(0);
    let report = json(
        &w.run_on(&portal, &["verify", "--portal", SCREENING, "--json"])
            .expect(1),
    );
    assert_eq!(
        statuses(&report),
        [
            ("volumes.csv".into(), "match".into()),
            ("volumes.json".into(), "not_in_package".into()),
            ("volumes.ndjson".into(), "missing_on_portal".into()),
        ]
    );
}

#[test]
fn verify_portal_with_an_unknown_reference_is_a_usage_error() {
    let w = Workdir::with_samples();
    let out = w.run(&["verify", "--portal", "NO-SUCH-REF"]).expect(2);
    assert!(out.stderr().contains("NO-SUCH-REF"), "{}", out.stderr());
}

/// Runs `bagit.py --validate` when the Python package is installed.
fn python_bagit_validate(bag: &Path) {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import bagit"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("python3 with the bagit package is absent: skipping bagit.py --validate (the bag was validated in Rust)");
        return;
    }
    let out = std::process::Command::new("python3")
        .args(["-m", "bagit", "--validate"])
        .arg(bag)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bagit.py --validate failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn export_bagit_writes_a_valid_bag_and_refuses_an_existing_folder() {
    let w = Workdir::with_samples();
    w.run(&["run", "--as-of", AS_OF, "--only", SCREENING])
        .expect(0);
    let bag = w.path("archive/screening");
    let out = w
        .run(&["export", "--bagit", SCREENING, "archive/screening"])
        .expect(0);
    assert!(out.stdout().contains("6 files"), "{}", out.stdout());
    let v = bagit::validate(&bag);
    assert!(v.is_valid(), "{:?}", v.problems);
    assert_eq!(v.payload_files, 6);
    for f in [
        "volumes.csv",
        "volumes.json",
        "volumes.csv-metadata.json",
        "datapackage.json",
        "SHA256SUMS",
        "provenance.json",
    ] {
        assert_eq!(
            std::fs::read(bag.join("data").join(f)).unwrap(),
            std::fs::read(w.path("out/packages/csis-inv-2025-003").join(f)).unwrap(),
            "{f}"
        );
    }
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    for line in [
        "Source-Organization: csis-scrs\n",
        "External-Identifier: CSIS-INV-2025-003\n",
        "External-Description: Security screening volumes by program\n",
        "Internal-Sender-Identifier: ffc2a519-53fe-5650-a0e9-b3cbc1a3553f\n",
        &format!("Payload-Oxum: {}.6\n", v.payload_bytes),
        concat!(
            "Bag-Software-Agent: ogpipe/",
            env!("CARGO_PKG_VERSION"),
            "\n"
        ),
    ] {
        assert!(info.contains(line), "{line:?} not in\n{info}");
    }
    python_bagit_validate(&bag);

    let again = w
        .run(&["export", "--bagit", SCREENING, "archive/screening"])
        .expect(2);
    assert!(
        again.stderr().contains("already exists"),
        "{}",
        again.stderr()
    );

    // A package folder works as well as a reference.
    w.run(&[
        "export",
        "--bagit",
        "out/packages/csis-inv-2025-003",
        "archive/by-folder",
    ])
    .expect(0);
    assert!(bagit::validate(&w.path("archive/by-folder")).is_valid());
}

#[test]
fn export_bagit_refuses_a_package_that_does_not_match_its_records() {
    let w = Workdir::with_samples();
    w.run(&["run", "--as-of", AS_OF, "--only", SCREENING])
        .expect(0);
    let csv = w.path("out/packages/csis-inv-2025-003/volumes.csv");
    let mut bytes = std::fs::read(&csv).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&csv, bytes).unwrap();
    let out = w.run(&["export", "--bagit", SCREENING, "bag"]).expect(1);
    assert!(out.stderr().contains("volumes.csv"), "{}", out.stderr());
    assert!(!w.path("bag").exists());
    let leftovers: Vec<_> = std::fs::read_dir(w.dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("bagit"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

const BIG: &str = "TEST-BIG-001";
const BIG_SLUG: &str = "test-big-001";

/// A CSV source that takes a debug build a couple of seconds to convert.
fn big_csv(rows: usize, label: &str) -> String {
    let mut s = String::with_capacity(rows * 40);
    s.push_str("id,region,year,count,ratio,label\n");
    for i in 0..rows {
        s.push_str(&format!(
            "{i},Region {},{},{},{},{label}\n",
            i % 13,
            2000 + i % 25,
            i % 997,
            (i % 1000) as f64 / 8.0
        ));
    }
    s
}

/// The SHA-256 SHA256SUMS records for the package's CSV.
fn recorded_csv_digest(w: &Workdir) -> String {
    let sums =
        std::fs::read_to_string(w.path(&format!("out/packages/{BIG_SLUG}/SHA256SUMS"))).unwrap();
    sums.lines()
        .find(|l| l.ends_with("  big.csv"))
        .unwrap_or_else(|| panic!("no big.csv in\n{sums}"))
        .split(' ')
        .next()
        .unwrap()
        .to_string()
}

fn assert_package_complete(w: &Workdir, when: &str) {
    let link = w.path(&format!("out/packages/{BIG_SLUG}"));
    assert!(
        std::fs::canonicalize(&link).is_ok(),
        "{when}: the package link does not resolve"
    );
    let out = w.run(&["verify", &format!("out/packages/{BIG_SLUG}")]);
    assert_eq!(
        out.code(),
        0,
        "{when}: the package does not verify:\n{}",
        out.stdout()
    );
}

#[test]
fn a_killed_run_leaves_the_previous_or_the_new_package_never_half_of_one() {
    let w = Workdir::with_samples();
    let manifest = std::fs::read_to_string(w.path("samples/datasets/03-security-screening.toml"))
        .unwrap()
        .replace(SCREENING, BIG)
        .replace("security_screening.csv", "big.csv")
        .replace("schema = \"../../schemas/security_screening.json\"\n", "")
        .replace(r#"outputs = ["csv", "json"]"#, r#"outputs = ["csv"]"#)
        .replace("key = \"volumes\"", "key = \"big\"");
    w.write("samples/datasets/99-big.toml", &manifest);
    // About 1.5 s a run in a debug build; 300k rows would take 10 s a run there.
    const ROWS: usize = 30_000;
    w.write("samples/data/big.csv", &big_csv(ROWS, "alpha"));
    let run_args = ["run", "--as-of", AS_OF, "--only", BIG];
    let started = Instant::now();
    w.run(&run_args).expect(0);
    let full = started.elapsed();
    assert_package_complete(&w, "after the first run");
    let old = recorded_csv_digest(&w);

    w.write("samples/data/big.csv", &big_csv(ROWS, "beta"));
    let mut seen = Vec::new();
    // Kill points spread over a whole run, and one the moment staging begins.
    let fractions = [0.03, 0.2, 0.5, 0.8, 0.97];
    for (i, f) in std::iter::once(None)
        .chain(fractions.iter().copied().map(Some))
        .enumerate()
    {
        let mut child = w
            .cmd(&run_args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        match f {
            Some(f) => std::thread::sleep(full.mul_f64(f)),
            None => {
                let root = w.path("out/.staging");
                let deadline = Instant::now() + full * 2;
                while Instant::now() < deadline
                    && !std::fs::read_dir(&root).is_ok_and(|d| {
                        d.flatten()
                            .any(|e| e.file_name().to_string_lossy().starts_with(BIG_SLUG))
                    })
                {
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let when = format!("kill {i} ({f:?} of {full:?})");
        assert_package_complete(&w, &when);
        seen.push((when, recorded_csv_digest(&w)));
    }

    w.run(&run_args).expect(0);
    assert_package_complete(&w, "after the final run");
    let new = recorded_csv_digest(&w);
    assert_ne!(new, old, "the final package holds the new data");
    for (when, digest) in seen {
        assert!(
            digest == old || digest == new,
            "{when}: the package's CSV is neither the old nor the new one"
        );
    }
    let staged: Vec<_> = std::fs::read_dir(w.path("out/.staging"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(BIG_SLUG))
        .collect();
    assert!(staged.is_empty(), "staging left behind: {staged:?}");
    let portal = w.run(&["verify", "--portal", BIG]).expect(0);
    assert!(portal.stdout().contains(&new), "{}", portal.stdout());
}
