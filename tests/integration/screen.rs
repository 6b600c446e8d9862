//! The screen in a run and on its own.

use crate::support::Workdir;

#[test]
fn a_sin_in_a_source_holds_its_dataset_and_the_rest_publish() {
    let w = Workdir::with_samples();
    let csv = w.path("samples/data/security_screening.csv");
    let mut text = std::fs::read_to_string(&csv).unwrap();
    // 046 454 286 fails the first-digit rule; 130 692 544 is a valid test SIN.
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
