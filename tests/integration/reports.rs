//! The Directive's reports end to end (issue 22): a simulated year in the journal, with
//! chosen dates, and every report read back in both languages.
// See: issue 22

use std::path::Path;

use crate::support::Workdir;
use ogpipe::journal::Journal;

/// A year of runs as `ogpipe run` records them, on chosen dates: 003 on time in April,
/// 004 early in May, 001 a day late in July, 002 held by the screen in October, failed
/// in early November and published late on 20 November.
pub fn simulated_year(path: &Path) {
    drop(Journal::open(path).unwrap());
    let conn = rusqlite::Connection::open(path).unwrap();
    let runs = [
        ("r04", "2026-04-01"),
        ("r05", "2026-05-01"),
        ("r07", "2026-07-01"),
        ("r10", "2026-10-01"),
        ("r11a", "2026-11-03"),
        ("r11b", "2026-11-20"),
    ];
    for (id, day) in runs {
        conn.execute(
            "INSERT INTO runs (id, trigger, started_by, as_of, dry_run, started_at, ended_at, outcome)
             VALUES (?1, 'scheduled', 'schedule', ?2, 0, ?2 || 'T14:00:00.000Z', ?2 || 'T14:00:09.000Z', 'ok')",
            [id, day],
        )
        .unwrap();
    }
    conn.execute_batch(
        "INSERT INTO events (run_id, at, dataset, stage, outcome, message) VALUES
           ('r04', '2026-04-01T14:00:04.000Z', 'CSIS-INV-2025-003', 'publish', 'created', NULL),
           ('r05', '2026-05-01T14:00:04.000Z', 'CSIS-INV-2025-004', 'publish', 'created', NULL),
           ('r07', '2026-07-01T14:00:04.000Z', 'CSIS-INV-2025-001', 'publish', 'created', NULL),
           ('r07', '2026-07-01T14:00:05.000Z', 'CSIS-INV-2025-003', 'publish', 'unchanged', NULL),
           ('r10', '2026-10-01T14:00:04.000Z', 'CSIS-INV-2025-002', 'build', 'held',
            'resource atip: the screen found 1 problem (email); first: j…@… at Requests!B7'),
           ('r11a', '2026-11-03T14:00:04.000Z', 'CSIS-INV-2025-002', 'publish', 'failed', 'portal returned 503'),
           ('r11b', '2026-11-20T14:00:04.000Z', 'CSIS-INV-2025-002', 'publish', 'created', NULL);
         INSERT INTO published (dataset, resource_key, dataset_id, resource_id, sha256, bytes, url, published_at, run_id) VALUES
           ('CSIS-INV-2025-003', 'volumes.csv', 'd3', 'r3c', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 1234,
            'https://portal.example/dataset/d3/resource/r3c/download/volumes.csv', '2026-11-20T14:00:04.000Z', 'r11b'),
           ('CSIS-INV-2025-003', 'volumes.json', 'd3', 'r3j', 'cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc', 2000,
            'https://portal.example/dataset/d3/resource/r3j/download/volumes.json', '2026-11-20T14:00:04.000Z', 'r11b'),
           ('CSIS-INV-2025-001', 'statistics.csv', 'd1', 'r1c', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 200,
            'https://portal.example/dataset/d1/resource/r1c/download/statistics.csv', '2026-11-20T14:00:04.000Z', 'r11b'),
           ('CSIS-INV-2025-004', 'publications.csv', 'd4', 'r4c', 'dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd', 300,
            'https://portal.example/dataset/d4/resource/r4c/download/publications.csv', '2026-11-20T14:00:04.000Z', 'r11b'),
           ('CSIS-INV-2025-002', 'atip.csv', 'd2', 'r2c', 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', 400,
            'https://portal.example/dataset/d2/resource/r2c/download/atip.csv', '2026-11-20T14:00:04.000Z', 'r11b');",
    )
    .unwrap();
}

pub fn year_workdir() -> Workdir {
    let w = Workdir::with_samples();
    simulated_year(&w.path("out/journal.sqlite"));
    w
}

#[test]
fn the_inventory_template_is_csv_with_a_bom_and_the_registry_columns_in_order() {
    let w = year_workdir();
    w.run(&[
        "report",
        "inventory",
        "--as-of",
        "2026-12-31",
        "-o",
        "inventory.csv",
    ])
    .expect(0);
    let bytes = std::fs::read(w.path("inventory.csv")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let mut lines = text.split("\r\n");
    assert_eq!(
        lines.next().unwrap(),
        "ref_number,title_en,title_fr,description_en,description_fr,historical_publisher_en,historical_publisher_fr,date_published,language,size,privacy_impact_assessment,date_released,download_url"
    );
    let row003 = lines.find(|l| l.starts_with("CSIS-INV-2025-003,")).unwrap();
    assert!(
        row003.contains(",Canadian Security Intelligence Service,Service canadien du renseignement de sécurité,2026-04-01,en+fr,3234,,2026-04-01,https://portal.example/dataset/d3/resource/r3c/download/volumes.csv"),
        "{row003}"
    );

    // Before the first run: the rows are there, with nothing released.
    let early = w
        .run(&["report", "inventory", "--as-of", "2026-03-31"])
        .expect(0)
        .stdout();
    assert_eq!(early.lines().count(), 8);
    assert!(!early.contains("portal.example"), "{early}");

    w.run(&[
        "report",
        "inventory",
        "--format",
        "xlsx",
        "-o",
        "inventory.xlsx",
    ])
    .expect(0);
    use calamine::Reader as _;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(w.path("inventory.xlsx")).unwrap();
    let range = wb.worksheet_range("inventory").unwrap();
    assert_eq!(range.height(), 8);
    assert_eq!(range.get((0, 0)).unwrap().to_string(), "ref_number");
    assert_eq!(range.get((0, 12)).unwrap().to_string(), "download_url");

    let refused = w
        .run(&["report", "inventory", "--format", "html"])
        .expect(2)
        .stderr();
    assert!(refused.contains("csv or xlsx"), "{refused}");
}

#[test]
fn the_monthly_report_for_november_in_both_languages() {
    let w = year_workdir();
    let en = w
        .run(&["report", "progress", "--month", "2026-11"])
        .expect(0)
        .stdout();
    assert!(en.starts_with("# Monthly progress report on the release plan\n\nCanadian Security Intelligence Service\n\nNovember 2026 (as of 30 November 2026)"), "{en}");
    assert!(en.contains("| CSIS-INV-2025-002 | Access to information requests by month | 2026-09-30 | 2026-11-20 | late by 51 days |"), "{en}");
    assert!(en.contains("## Slipped this month"), "{en}");
    assert!(en.contains("| CSIS-INV-2025-005 | Public inquiries by channel | 2026-11-01 | awaiting IMSO approval since 2026-10-15 | the IMSO |"), "{en}");
    assert!(
        en.contains(
            "In November 2026: 1 published (0 on time, 1 late); 1 overdue at the end of the month."
        ),
        "{en}"
    );

    let fr = w
        .run(&[
            "report", "progress", "--month", "2026-11", "--lang", "fr", "--format", "html",
        ])
        .expect(0)
        .stdout();
    assert!(fr.contains("<html lang=\"fr\">"), "{fr}");
    assert!(fr.contains("Service canadien du renseignement de sécurité"));
    assert!(
        fr.contains("Novembre 2026 (en date du 30 novembre 2026)"),
        "{fr}"
    );
    assert!(fr.contains("en retard de 51 jours"), "{fr}");
    assert!(fr.contains("le DPGI"), "{fr}");
    assert!(
        fr.contains("<svg") && fr.contains("Données du graphique"),
        "{fr}"
    );

    // October: 002 was held by the screen on 1 October.
    let oct = w
        .run(&[
            "report", "progress", "--month", "2026-10", "--format", "json",
        ])
        .expect(0)
        .stdout();
    let oct: serde_json::Value = serde_json::from_str(&oct).unwrap();
    let blocked = &oct["blocked"][0];
    assert_eq!(blocked["reference"], "CSIS-INV-2025-002");
    assert!(blocked["state"]
        .as_str()
        .unwrap()
        .starts_with("held by the security screen on 2026-10-01"));
    assert_eq!(blocked["actor"], "business_owner");
}

#[test]
fn every_report_exists_in_each_language() {
    let w = year_workdir();
    let heads = [
        (
            vec!["report"],
            "# Open data inventory and progress report",
            "# Inventaire des données ouvertes et rapport d'étape",
        ),
        (
            vec!["report", "owners"],
            "# Business owners' report",
            "# Rapport des responsables opérationnels",
        ),
        (
            vec!["report", "plan"],
            "# Open data release plan and schedule",
            "# Plan et calendrier de publication",
        ),
        (
            vec!["report", "progress"],
            "# Monthly progress report",
            "# Rapport d'étape mensuel",
        ),
    ];
    for (args, en, fr) in heads {
        for (lang, head) in [("en", en), ("fr", fr)] {
            let mut a = args.clone();
            a.extend(["--as-of", "2026-12-31", "--lang", lang]);
            let out = w.run(&a).expect(0).stdout();
            assert!(out.starts_with(head), "{a:?}:\n{out}");
            let mut h = a.clone();
            h.extend(["--format", "html"]);
            let html = w.run(&h).expect(0).stdout();
            assert!(html.contains(&format!("<html lang=\"{lang}\">")), "{h:?}");
        }
    }
    let fr = w
        .run(&["report", "--as-of", "2026-12-31", "--lang", "fr"])
        .expect(0)
        .stdout();
    assert!(
        fr.contains("En date du 31 décembre 2026 : 7 ressources"),
        "{fr}"
    );
    assert!(fr.contains("publiée, en retard de 1 jour"), "{fr}");

    let owners = w
        .run(&[
            "report",
            "owners",
            "--format",
            "csv",
            "--as-of",
            "2026-12-31",
        ])
        .expect(0)
        .stdout();
    assert!(owners.starts_with("category,reference,title,description,recommendation,justification,exemption_grounds,business_owner_position,business_owner,business_owner_date,dg_im,dg_im_date,imso,imso_date,release_date,manifest\n"), "{owners}");
    assert!(
        owners.contains("Operations,CSIS-INV-2025-007,Operational statistics"),
        "{owners}"
    );
    let plan = w
        .run(&["report", "plan", "--format", "csv", "--as-of", "2026-12-31"])
        .expect(0)
        .stdout();
    let first = plan.lines().nth(1).unwrap();
    assert!(first.starts_with("1,CSIS-INV-2025-001,"), "{plan}");
    assert!(first.contains("published, late by 1 day"), "{plan}");
}
