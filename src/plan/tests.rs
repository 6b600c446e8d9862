use super::*;
use chrono::NaiveDate;

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const BASE: &str = r#"
[inventory]
reference = "REF-1"
category = "Corporate reporting"
business_owner = "DG Public Affairs"

[decision]
status = "release"

[[approvals]]
role = "imso"
name = "A. Official"
date = 2026-01-10

[release]
priority = 2
date = 2026-03-01

[metadata]
title = { en = "Title", fr = "Titre" }
description = { en = "Desc", fr = "Desc fr" }
keywords = { en = ["stats"], fr = ["statistiques"] }
subject = ["government_and_politics"]
frequency = "P1Y"

[[resources]]
key = "table"
source = "t.csv"
title = { en = "Table", fr = "Tableau" }
"#;

fn loaded(text: &str, data: &Path) -> Loaded {
    let manifest = Manifest::parse(text).map_err(|e| vec![e]).and_then(|m| {
        let p = m.check(data);
        if p.is_empty() {
            Ok(m)
        } else {
            Err(p)
        }
    });
    Loaded {
        path: PathBuf::from("m.toml"),
        manifest,
    }
}

fn data_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("t.csv"), "a\n1\n").unwrap();
    d
}

fn plan_one(text: &str, as_of: &str) -> ReleasePlan {
    let d = data_dir();
    gate(vec![loaded(text, d.path())], "org", date(as_of))
}

#[test]
fn approved_and_due_passes_the_gate() {
    let plan = plan_one(BASE, "2026-03-01");
    assert_eq!(plan.approved.len(), 1);
    assert!(plan.held.is_empty());
    assert_eq!(plan.approved[0].id(), dataset_id("org", "REF-1"));
}

#[test]
fn withheld_is_held_with_its_grounds() {
    let text = BASE.replace(
        "status = \"release\"",
        "status = \"withhold\"\ngrounds = [\"ATIA s. 15(1)\"]\njustification = \"Would injure national security\"",
    );
    let plan = plan_one(&text, "2026-12-01");
    assert!(plan.approved.is_empty());
    assert_eq!(
        plan.held[0].reason,
        HoldReason::Withheld {
            grounds: vec!["ATIA s. 15(1)".into()],
            justification: "Would injure national security".into()
        }
    );
}

#[test]
fn release_without_imso_approval_is_held() {
    let text = BASE.replace("role = \"imso\"", "role = \"dg_im\"");
    let plan = plan_one(&text, "2026-12-01");
    assert!(plan.approved.is_empty());
    assert_eq!(plan.held[0].reason, HoldReason::AwaitingImso);
}

#[test]
fn imso_approval_dated_after_the_run_does_not_count() {
    let plan = plan_one(BASE, "2026-01-09");
    assert_eq!(plan.held[0].reason, HoldReason::AwaitingImso);
}

#[test]
fn future_release_date_is_held_until_it_comes() {
    let plan = plan_one(BASE, "2026-02-28");
    assert_eq!(
        plan.held[0].reason,
        HoldReason::Scheduled {
            date: date("2026-03-01")
        }
    );
    assert_eq!(plan_one(BASE, "2026-03-02").approved.len(), 1);
}

#[test]
fn invalid_manifest_is_held_with_every_problem() {
    let text = BASE
        .replace("en = \"Title\"", "en = \"\"")
        .replace("source = \"t.csv\"", "source = \"../t.csv\"");
    let plan = plan_one(&text, "2026-12-01");
    let HoldReason::InvalidManifest { problems } = &plan.held[0].reason else {
        panic!("expected invalid manifest, got {:?}", plan.held[0].reason)
    };
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with("metadata.title.en"));
    assert!(problems[1].starts_with("resources[0].source"));
}

#[test]
fn unknown_manifest_key_is_held() {
    let text = BASE.replace("[release]", "[release]\nwhen = 3");
    let plan = plan_one(&text, "2026-12-01");
    let HoldReason::InvalidManifest { problems } = &plan.held[0].reason else {
        panic!()
    };
    assert!(problems[0].contains("unknown field `when`"), "{problems:?}");
}

#[test]
fn bad_date_is_held() {
    let text = BASE.replace("date = 2026-03-01", "date = \"next spring\"");
    let plan = plan_one(&text, "2026-12-01");
    assert!(matches!(
        plan.held[0].reason,
        HoldReason::InvalidManifest { .. }
    ));
}

#[test]
fn approved_come_in_priority_order_and_duplicates_are_held() {
    let d = data_dir();
    let a = BASE
        .replace("REF-1", "REF-A")
        .replace("priority = 2", "priority = 3");
    let b = BASE
        .replace("REF-1", "REF-B")
        .replace("priority = 2", "priority = 1");
    let c = BASE.replace("REF-1", "REF-B");
    let plan = gate(
        vec![
            loaded(&a, d.path()),
            loaded(&b, d.path()),
            loaded(&c, d.path()),
        ],
        "org",
        date("2026-06-01"),
    );
    let refs: Vec<_> = plan.approved.iter().map(|a| a.reference()).collect();
    assert_eq!(refs, ["REF-B", "REF-A"]);
    assert_eq!(plan.held.len(), 1);
}

#[test]
fn slugs_follow_ckan_name_rules() {
    assert_eq!(slug("CSIS-INV 2024/001"), "csis-inv-2024-001");
    assert_eq!(slug("É"), "00");
}
