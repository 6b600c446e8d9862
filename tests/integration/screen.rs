//! The screen in a run and on its own.

use crate::support::Workdir;

#[test]
fn a_sin_in_a_source_holds_its_dataset_and_the_rest_publish() {
    let w = Workdir::with_samples();
    let csv = w.path("samples/data/security_screening.csv");
    let mut text = std::fs::read_to_string(&csv).unwrap();
    // 130 692 544, grouped 3-3-3 and Luhn-valid, is written as a SIN is written.
    text.push_str("2024-2025,Contact 130 692 544,Contact,1,1.0\n");
    std::fs::write(&csv, text).unwrap();
    let out = w.run(&["run", "--as-of", "2026-11-28"]).expect(1);
    let s = out.stdout();
    assert!(s.contains("Held back: someone must look (1)"), "{s}");
    assert!(s.contains("sin"), "{s}");
    assert!(
        !s.contains("130 692 544"),
        "the report must not leak the identifier: {s}"
    );
    assert!(s.contains("3 published"), "{s}");
    assert!(
        !w.path("out/packages/csis-inv-2025-003").exists(),
        "a held dataset gets no package"
    );
}

#[test]
fn screen_command_flags_a_marking_and_exits_1() {
    let w = Workdir::with_samples();
    w.write("memo.csv", "note\nSECRET//CANADIAN EYES ONLY\n");
    let out = w.run(&["screen", "memo.csv", "--json"]).expect(1);
    let v: serde_json::Value = serde_json::from_str(&out.stdout()).unwrap();
    assert_eq!(v[0]["rule"], "marking");
    w.write("clean.csv", "note\nthe secret to good data is care\n");
    w.run(&["screen", "clean.csv"]).expect(0);
}

fn add_row(w: &Workdir, row: &str) {
    let csv = w.path("samples/data/security_screening.csv");
    let mut text = std::fs::read_to_string(&csv).unwrap();
    text.push_str(row);
    std::fs::write(&csv, text).unwrap();
}

#[test]
fn formulas_are_neutralised_by_default_and_hold_under_the_hold_policy() {
    let w = Workdir::with_samples();
    add_row(
        &w,
        "2024-2025,\"=HYPERLINK(\"\"http://x\"\")\",Lien,1,1.0\n",
    );
    w.run(&["run", "--as-of", "2026-11-28"]).expect(0);
    let csv =
        std::fs::read_to_string(w.path("out/packages/csis-inv-2025-003/volumes.csv")).unwrap();
    assert!(csv.contains("\"'=HYPERLINK("), "{csv}");
    let w = Workdir::with_samples();
    add_row(
        &w,
        "2024-2025,\"=HYPERLINK(\"\"http://x\"\")\",Lien,1,1.0\n",
    );
    w.edit(
        "pipeline.toml",
        "formula_policy = \"prefix\"",
        "formula_policy = \"hold\"",
    );
    let out = w.run(&["run", "--as-of", "2026-11-28"]).expect(1);
    assert!(
        out.stdout().contains("formula-injection"),
        "{}",
        out.stdout()
    );
}

#[test]
fn a_waiver_releases_exactly_its_finding_and_is_recorded() {
    let w = Workdir::with_samples();
    add_row(
        &w,
        "2024-2025,Write to screening@example.gc.ca,Écrire,1,1.0\n",
    );
    w.run(&["run", "--as-of", "2026-11-28"]).expect(1);
    w.edit(
        "samples/datasets/03-security-screening.toml",
        "[[resources]]",
        "[[waivers]]\nrule = \"email\"\nlocation = \"*\"\nvalue_pattern = \"screening@example\\\\.gc\\\\.ca\"\napprover = \"J. Singh (IMSO)\"\njustification = \"Published program contact\"\n\n[[resources]]",
    );
    w.run(&["run", "--as-of", "2026-11-28"]).expect(0);
    let prov =
        std::fs::read_to_string(w.path("out/packages/csis-inv-2025-003/provenance.json")).unwrap();
    assert!(prov.contains("J. Singh (IMSO)"), "{prov}");
    assert!(
        !prov.contains("screening@example.gc.ca"),
        "provenance must not leak the address: {prov}"
    );
}
