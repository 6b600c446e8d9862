use std::path::Path;

use super::*;

fn samples() -> Manifests {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    load(&root.join("datasets"), &root.join("data")).unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn record(dataset: &str, key: &str, at: &str) -> PublishedRecord {
    PublishedRecord {
        dataset: dataset.into(),
        resource_key: key.into(),
        dataset_id: "id".into(),
        resource_id: "rid".into(),
        sha256: "ab".repeat(32),
        bytes: 10,
        url: format!("http://portal.test/dataset/{dataset}/resource/rid/download/{key}"),
        published_at: at.into(),
        run_id: "r1".into(),
    }
}

#[test]
fn approved_due_and_unpublished_datasets_are_overdue() {
    let entries = inventory(
        &samples(),
        "org",
        date("2026-11-28"),
        &Publications::default(),
    );
    let r = Report::build(&entries, date("2026-11-28"));
    assert_eq!(r.datasets, 7);
    assert_eq!(r.progress_count(Progress::Overdue), 4);
    assert_eq!(r.progress_count(Progress::Pending), 2);
    assert_eq!(r.progress_count(Progress::Withheld), 1);
    assert_eq!(r.progress_count(Progress::Published), 0);
    assert_eq!(r.overdue.len(), 4);
    // Priority order, then release date.
    let plan: Vec<_> = r
        .release_plan
        .iter()
        .map(|l| l.reference.as_str())
        .collect();
    assert_eq!(
        plan,
        [
            "CSIS-INV-2025-001",
            "CSIS-INV-2025-004",
            "CSIS-INV-2025-002",
            "CSIS-INV-2025-003",
            "CSIS-INV-2025-005",
            "CSIS-INV-2025-006"
        ]
    );
    assert_eq!(r.grounds.len(), 2);
}

#[test]
fn published_datasets_come_from_the_journal_with_their_first_date() {
    let journal = Publications {
        records: vec![record(
            "CSIS-INV-2025-003",
            "volumes.csv",
            "2026-06-01T13:00:00Z",
        )],
        dates: [(
            "CSIS-INV-2025-003".to_string(),
            PublicationDates {
                first: "2026-04-01T13:00:00Z".into(),
                last: "2026-06-01T13:00:00Z".into(),
            },
        )]
        .into(),
    };
    let entries = inventory(&samples(), "org", date("2026-11-28"), &journal);
    let e = entries
        .iter()
        .find(|e| e.reference.as_deref() == Some("CSIS-INV-2025-003"))
        .unwrap();
    assert_eq!(e.progress, Progress::Published);
    let p = e.published.as_ref().unwrap();
    assert_eq!(p.first, "2026-04-01T13:00:00Z");
    assert_eq!(
        p.url.as_deref(),
        Some("http://portal.test/dataset/CSIS-INV-2025-003")
    );
    let r = Report::build(&entries, date("2026-11-28"));
    let april = r.timeline.iter().find(|m| m.month == "2026-04").unwrap();
    assert_eq!((april.planned, april.published), (1, 1));
    let last = r.timeline.last().unwrap();
    assert_eq!(last.month, "2027-04");
    assert_eq!((last.planned, last.published), (6, 1));
}

#[test]
fn an_invalid_manifest_is_in_the_inventory_with_its_problems() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let text =
        std::fs::read_to_string(root.join("datasets/01-annual-report-statistics.toml")).unwrap();
    // Parses, but its source leaves the data folder.
    let text = text.replacen("source = \"", "source = \"../", 1);
    std::fs::write(dir.path().join("a.toml"), text).unwrap();
    std::fs::write(dir.path().join("b.toml"), "not toml [").unwrap();
    let m = load(dir.path(), &root.join("data")).unwrap();
    let entries = inventory(&m, "org", date("2026-11-28"), &Publications::default());
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|e| e.progress == Progress::Invalid));
    assert_eq!(entries[0].reference.as_deref(), Some("CSIS-INV-2025-001"));
    assert_eq!(entries[1].reference, None);
    let r = Report::build(&entries, date("2026-11-28"));
    assert_eq!(r.invalid.len(), 2);
    assert!(r.invalid[0].starts_with("a.toml: "), "{:?}", r.invalid);
}

#[test]
fn html_escapes_text_and_needs_no_external_asset() {
    let mut entries = inventory(
        &samples(),
        "org",
        date("2026-11-28"),
        &Publications::default(),
    );
    entries[0].title = Some("<script>alert(1)</script> & \"x\"".into());
    let r = Report::build(&entries, date("2026-11-28"));
    let mut out = Vec::new();
    render::html(&r, &mut out).unwrap();
    let html = String::from_utf8(out).unwrap();
    assert!(!html.contains("<script"), "unescaped text");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"));
    assert!(html.contains("<svg"));
    for external in ["src=", "href=", "@import", "url("] {
        assert!(!html.contains(external), "external asset: {external}");
    }
}
