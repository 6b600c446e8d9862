use std::path::Path;

use super::*;
use crate::report::lang::Lang;

fn samples() -> Manifests {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    load(&root.join("datasets"), &root.join("data")).unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn event(
    run: &str,
    dataset: &str,
    at: &str,
    stage: &str,
    outcome: &str,
    message: Option<&str>,
) -> crate::journal::DatasetEvent {
    crate::journal::DatasetEvent {
        run_id: run.into(),
        run_as_of: at[..10].into(),
        at: at.into(),
        dataset: dataset.into(),
        resource: None,
        stage: stage.into(),
        outcome: outcome.into(),
        message: message.map(str::to_string),
    }
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
    let r = Report::build(&entries, date("2026-11-28"), Lang::En);
    assert_eq!(r.datasets, 7);
    // 005 is past its date awaiting the IMSO: overdue too, whatever the reason.
    assert_eq!(r.progress_count(Progress::Overdue), 5);
    assert_eq!(r.progress_count(Progress::Pending), 1);
    assert_eq!(r.progress_count(Progress::Withheld), 1);
    assert_eq!(r.progress_count(Progress::Published), 0);
    assert_eq!(r.overdue.len(), 5);
    let awaiting = r
        .overdue
        .iter()
        .find(|l| l.reference == "CSIS-INV-2025-005")
        .unwrap();
    assert_eq!(
        awaiting.blocker,
        Some(Blocker::AwaitingImso {
            since: Some(date("2026-10-15"))
        }),
        "since the DG IM's review"
    );
    assert_eq!(
        awaiting.state,
        "overdue: awaiting IMSO approval since 2026-10-15"
    );
    assert_eq!(
        r.approval,
        [
            Count {
                label: "approved".into(),
                count: 5
            },
            Count {
                label: "awaiting".into(),
                count: 1
            }
        ],
        "the withheld resource is not counted as approved for release"
    );
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
        history: History::new(
            vec![
                event(
                    "r1",
                    "CSIS-INV-2025-003",
                    "2026-04-01T13:00:00Z",
                    "publish",
                    "created",
                    None,
                ),
                event(
                    "r2",
                    "CSIS-INV-2025-003",
                    "2026-06-01T13:00:00Z",
                    "publish",
                    "updated",
                    None,
                ),
            ],
            None,
        ),
        tz: None,
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
    let r = Report::build(&entries, date("2026-11-28"), Lang::En);
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
    let r = Report::build(&entries, date("2026-11-28"), Lang::En);
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
    let r = Report::build(&entries, date("2026-11-28"), Lang::En);
    let mut out = Vec::new();
    render::html(&r, None, &mut out).unwrap();
    let html = String::from_utf8(out).unwrap();
    assert!(!html.contains("<script"), "unescaped text");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"));
    assert!(html.contains("<svg"));
    for external in ["src=", "href=", "@import", "url("] {
        assert!(!html.contains(external), "external asset: {external}");
    }
}

/// A simulated year: what the journal recorded, with chosen dates.
fn simulated_year() -> Publications {
    let ev = event;
    Publications {
        records: vec![
            record("CSIS-INV-2025-003", "volumes.csv", "2026-04-01T13:00:00Z"),
            record(
                "CSIS-INV-2025-004",
                "publications.csv",
                "2026-05-01T13:00:00Z",
            ),
            record(
                "CSIS-INV-2025-001",
                "statistics.csv",
                "2026-07-01T13:00:00Z",
            ),
            record("CSIS-INV-2025-002", "atip.csv", "2026-12-01T14:00:00Z"),
        ],
        history: History::new(
            vec![
                ev(
                    "r1",
                    "CSIS-INV-2025-003",
                    "2026-04-01T13:00:00Z",
                    "publish",
                    "created",
                    None,
                ),
                ev(
                    "r2",
                    "CSIS-INV-2025-004",
                    "2026-05-01T13:00:00Z",
                    "publish",
                    "created",
                    None,
                ),
                ev(
                    "r3",
                    "CSIS-INV-2025-001",
                    "2026-07-01T13:00:00Z",
                    "publish",
                    "created",
                    None,
                ),
                ev(
                    "r3",
                    "CSIS-INV-2025-003",
                    "2026-07-01T13:00:01Z",
                    "publish",
                    "unchanged",
                    None,
                ),
                ev(
                    "r4",
                    "CSIS-INV-2025-002",
                    "2026-10-01T13:00:00Z",
                    "build",
                    "held",
                    Some("resource atip: the screen found 1 problem (email); first: j…@… at B7"),
                ),
                ev(
                    "r5",
                    "CSIS-INV-2025-002",
                    "2026-11-03T13:00:00Z",
                    "publish",
                    "failed",
                    Some("portal: 503"),
                ),
                ev(
                    "r6",
                    "CSIS-INV-2025-002",
                    "2026-12-01T14:00:00Z",
                    "publish",
                    "created",
                    None,
                ),
            ],
            None,
        ),
        tz: None,
    }
}

#[test]
fn before_the_first_run_nothing_is_published() {
    let entries = inventory(&samples(), "org", date("2026-03-31"), &simulated_year());
    assert!(entries.iter().all(|e| e.published.is_none()));
    let r = Report::build(&entries, date("2026-03-31"), Lang::En);
    assert_eq!(r.progress_count(Progress::Published), 0);
    assert!(r.timeline.iter().all(|p| p.published == 0));
}

#[test]
fn each_month_end_of_a_simulated_year_shows_what_was_recorded_by_then() {
    let journal = simulated_year();
    // Month end → references published by then, by the journal's dates.
    let expected: [(&str, &[&str]); 12] = [
        ("2026-01-31", &[]),
        ("2026-02-28", &[]),
        ("2026-03-31", &[]),
        ("2026-04-30", &["CSIS-INV-2025-003"]),
        ("2026-05-31", &["CSIS-INV-2025-003", "CSIS-INV-2025-004"]),
        ("2026-06-30", &["CSIS-INV-2025-003", "CSIS-INV-2025-004"]),
        (
            "2026-07-31",
            &[
                "CSIS-INV-2025-001",
                "CSIS-INV-2025-003",
                "CSIS-INV-2025-004",
            ],
        ),
        (
            "2026-08-31",
            &[
                "CSIS-INV-2025-001",
                "CSIS-INV-2025-003",
                "CSIS-INV-2025-004",
            ],
        ),
        (
            "2026-09-30",
            &[
                "CSIS-INV-2025-001",
                "CSIS-INV-2025-003",
                "CSIS-INV-2025-004",
            ],
        ),
        (
            "2026-10-31",
            &[
                "CSIS-INV-2025-001",
                "CSIS-INV-2025-003",
                "CSIS-INV-2025-004",
            ],
        ),
        (
            "2026-11-30",
            &[
                "CSIS-INV-2025-001",
                "CSIS-INV-2025-003",
                "CSIS-INV-2025-004",
            ],
        ),
        (
            "2026-12-31",
            &[
                "CSIS-INV-2025-001",
                "CSIS-INV-2025-002",
                "CSIS-INV-2025-003",
                "CSIS-INV-2025-004",
            ],
        ),
    ];
    for (end, refs) in expected {
        let d = date(end);
        let entries = inventory(&samples(), "org", d, &journal);
        let mut published: Vec<&str> = entries
            .iter()
            .filter(|e| e.progress == Progress::Published)
            .filter_map(|e| e.reference.as_deref())
            .collect();
        published.sort_unstable();
        assert_eq!(published, refs, "as of {end}");
        let r = Report::build(&entries, d, Lang::En);
        let month = r.timeline.iter().find(|p| p.month == end[..7]);
        assert_eq!(
            month.map_or(0, |p| p.published),
            refs.len(),
            "timeline for {end}"
        );
    }
}

#[test]
fn overdue_items_say_why_and_published_ones_whether_late() {
    let journal = simulated_year();
    let at = |d: &str, r: &str| {
        inventory(&samples(), "org", date(d), &journal)
            .into_iter()
            .find(|e| e.reference.as_deref() == Some(r))
            .unwrap()
    };
    // 002 is due 2026-09-30: held by the screen on 1 October, failed on 3 November.
    let e = at("2026-10-31", "CSIS-INV-2025-002");
    assert_eq!(e.progress, Progress::Overdue);
    assert!(matches!(
        e.blocker,
        Some(Blocker::Trouble(Trouble::Held { on, by_screen: true, .. })) if on == date("2026-10-01")
    ));
    assert!(e
        .blocker
        .as_ref()
        .unwrap()
        .text(Lang::Fr)
        .starts_with("retenue par le filtrage de sécurité le 2026-10-01"),);
    let e = at("2026-11-30", "CSIS-INV-2025-002");
    assert_eq!(
        e.blocker.as_ref().map(|b| b.text(Lang::En)),
        Some("failed on 2026-11-03: portal: 503".into())
    );
    assert_eq!(e.blocker.as_ref().unwrap().actor(), Actor::Operations);
    let e = at("2026-12-31", "CSIS-INV-2025-002");
    assert_eq!(e.timing, Some(Timing::Late { days: 62 }));
    // 001 was due 2026-06-30 and published 2026-07-01; 003 on its date.
    assert_eq!(
        at("2026-12-31", "CSIS-INV-2025-001").timing,
        Some(Timing::Late { days: 1 })
    );
    assert_eq!(
        at("2026-12-31", "CSIS-INV-2025-003").timing,
        Some(Timing::OnTime)
    );
    // 007 is withheld, planned for 2026-12-31: overdue from the day after.
    let e = at("2027-01-01", "CSIS-INV-2025-007");
    assert_eq!(e.progress, Progress::Overdue);
    assert!(matches!(
        e.blocker,
        Some(Blocker::WithheldAfterPlanning { .. })
    ));
    assert_eq!(
        at("2026-12-31", "CSIS-INV-2025-007").progress,
        Progress::Withheld
    );
    // 004 was approved and due 2026-05-15 and published on 1 May: on time.
    assert_eq!(
        at("2026-06-01", "CSIS-INV-2025-004").timing,
        Some(Timing::OnTime)
    );
}

#[test]
fn an_approval_dated_after_the_report_date_does_not_count() {
    // 006's IMSO approval is dated 2026-09-24.
    let e = inventory(
        &samples(),
        "org",
        date("2026-09-01"),
        &Publications::default(),
    )
    .into_iter()
    .find(|e| e.reference.as_deref() == Some("CSIS-INV-2025-006"))
    .unwrap();
    assert!(e.imso.is_none());
    assert_eq!(
        e.approvals.len(),
        0,
        "the business owner signed on 2026-09-10"
    );
}

#[test]
fn the_monthly_report_sorts_the_month_into_published_slipped_blocked_and_next() {
    let journal = simulated_year();
    let month: monthly::Month = "2026-11".parse().unwrap();
    let entries = inventory(&samples(), "org", month.last_day(), &journal);
    let m = monthly::Monthly::build(&entries, month, Lang::En);
    let refs = |v: &[monthly::Line]| v.iter().map(|l| l.reference.clone()).collect::<Vec<_>>();
    assert!(m.published.is_empty());
    // 005 was planned for 2026-11-01 and awaits the IMSO.
    assert_eq!(refs(&m.slipped), ["CSIS-INV-2025-005"]);
    assert_eq!(refs(&m.blocked), ["CSIS-INV-2025-002", "CSIS-INV-2025-005"]);
    assert_eq!(m.blocked[1].actor, Some(Actor::Imso));
    assert!(refs(&m.next_month).is_empty());

    let month: monthly::Month = "2026-12".parse().unwrap();
    let entries = inventory(&samples(), "org", month.last_day(), &journal);
    let m = monthly::Monthly::build(&entries, month, Lang::Fr);
    assert_eq!(refs(&m.published), ["CSIS-INV-2025-002"]);
    assert_eq!(
        m.published[0].timing.map(|t| t.text(Lang::Fr)),
        Some("en retard de 62 jours".into())
    );
    let mut md = Vec::new();
    doc::markdown(
        &m.document(Some("Service canadien du renseignement de sécurité".into())),
        &mut md,
    )
    .unwrap();
    let md = String::from_utf8(md).unwrap();
    assert!(md.contains("## Publiées ce mois-ci"), "{md}");
    assert!(
        md.contains("Décembre 2026 (en date du 31 décembre 2026)"),
        "{md}"
    );
    assert!(
        md.contains("Demandes d'AIPRP") || md.contains("CSIS-INV-2025-002"),
        "{md}"
    );
}

#[test]
fn the_inventory_template_has_the_registry_columns_in_order_with_a_bom() {
    let journal = simulated_year();
    let entries = inventory(&samples(), "org", date("2026-12-31"), &journal);
    let publisher = crate::plan::manifest::Bilingual {
        en: "Canadian Security Intelligence Service".into(),
        fr: "Service canadien du renseignement de sécurité".into(),
    };
    let mut out = Vec::new();
    template::csv(&entries, &publisher, "en+fr", &mut out).unwrap();
    assert!(out.starts_with("\u{feff}".as_bytes()));
    let text = std::str::from_utf8(&out[3..]).unwrap();
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let head: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        head,
        [
            "ref_number",
            "title_en",
            "title_fr",
            "description_en",
            "description_fr",
            "historical_publisher_en",
            "historical_publisher_fr",
            "date_published",
            "language",
            "size",
            "privacy_impact_assessment",
            "date_released",
            "download_url"
        ]
    );
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(
        rows.len(),
        7,
        "one row per information resource, withheld included"
    );
    let r003 = rows.iter().find(|r| &r[0] == "CSIS-INV-2025-003").unwrap();
    assert_eq!(&r003[6], "Service canadien du renseignement de sécurité");
    assert_eq!(&r003[7], "2026-04-01");
    assert_eq!(&r003[8], "en+fr");
    assert_eq!(&r003[9], "10");
    assert!(r003[12].ends_with("/download/volumes.csv"), "{:?}", r003);
    let r007 = rows.iter().find(|r| &r[0] == "CSIS-INV-2025-007").unwrap();
    assert_eq!((&r007[7], &r007[9], &r007[12]), ("", "", ""));

    let book = template::xlsx(&entries, &publisher, "en+fr").unwrap();
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(book)).unwrap();
    use calamine::Reader as _;
    let range = wb.worksheet_range("inventory").unwrap();
    let first: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(first, head);
    assert_eq!(range.height(), 8);
}

#[test]
fn the_owners_report_groups_by_category_with_the_approvals_chain() {
    let entries = inventory(
        &samples(),
        "org",
        date("2026-11-30"),
        &Publications::default(),
    );
    let d = owners::document(&entries, date("2026-11-30"), Lang::En, None);
    let mut md = Vec::new();
    doc::markdown(&d, &mut md).unwrap();
    let md = String::from_utf8(md).unwrap();
    assert!(md.contains("## Operations"), "{md}");
    // 002's chain: business owner, DG IM, IMSO, each with its date.
    assert!(
        md.contains("| L. Gagnon, 2026-03-05 | R. Chen, 2026-03-12 | J. Singh, 2026-03-19 |"),
        "{md}"
    );
    assert!(md.contains("ATIA s. 15(1)"), "{md}");
    assert!(
        md.contains("K. Wilson (Deputy Director, Operations)"),
        "{md}"
    );
    let mut out = Vec::new();
    owners::csv(&entries, Lang::Fr, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 8);
    assert!(text.contains("Statistiques opérationnelles"), "{text}");
}
