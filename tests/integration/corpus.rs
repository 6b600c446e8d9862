//! The screen's adversarial corpus (issue 17): every leaky file is held by both
//! `ogpipe screen` and `ogpipe run`, every clean look-alike passes both.
//!
//! The files and `cases.tsv` are made by `tests/corpus/make_screen_corpus.py` with real
//! producers (openpyxl, LibreOffice) and committed. A case whose `needs` column says
//! `matcher` depends on the text normalisation and SIN rule of issue 17 items 1 and 4
//! (another branch): until that branch is merged such cases are run and reported but do
//! not fail the test. Whether it is merged is not a flag to forget: the test asks the
//! binary, by screening spaced letters (`S E C R E T`), which only that matcher holds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::{Run, Workdir};

/// One line of `cases.tsv`.
struct Case {
    file: String,
    leak: bool,
    category: String,
    needs_matcher: bool,
    what: String,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/screen")
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(corpus_dir().join("cases.tsv")).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 5, "cases.tsv: bad line {l:?}");
            assert!(matches!(f[1], "leak" | "clean"), "cases.tsv: {l:?}");
            Case {
                file: f[0].to_string(),
                leak: f[1] == "leak",
                category: f[2].to_string(),
                needs_matcher: f[3] == "matcher",
                what: f[4].to_string(),
            }
        })
        .collect()
}

/// Limits low enough that a file made at test time can be over `max_input_bytes`, with
/// every committed file (a few KB) well under it.
const MAX_INPUT_BYTES: u64 = 1 << 20;

fn manifest(reference: &str, source: &str) -> String {
    format!(
        r#"[inventory]
reference = "{reference}"
category = "Screen corpus"
business_owner = "Director, Testing"

[decision]
status = "release"

[[approvals]]
role = "business_owner"
name = "A. Roy"
date = 2026-01-15

[[approvals]]
role = "imso"
name = "J. Singh"
date = 2026-01-29

[release]
priority = 3
date = 2026-04-01

[metadata]
title = {{ en = "Corpus file {reference}", fr = "Fichier du corpus {reference}" }}
description = {{ en = "A file of the screen corpus.", fr = "Un fichier du corpus du filtrage." }}
keywords = {{ en = ["corpus"], fr = ["corpus"] }}
subject = ["government_and_politics"]
frequency = "P1Y"

[[resources]]
key = "data"
source = "{source}"
title = {{ en = "Data", fr = "Données" }}
outputs = ["csv"]
"#
    )
}

/// A workdir whose pipeline reads the corpus, with one dataset manifest per file.
fn workdir(cases: &[Case]) -> Workdir {
    let w = Workdir::with_samples();
    let data = w.path("corpus");
    std::fs::create_dir_all(&data).unwrap();
    for c in cases {
        let from = corpus_dir().join(&c.file);
        if from.exists() {
            std::fs::copy(&from, data.join(&c.file)).unwrap();
        }
    }
    std::fs::remove_dir_all(w.path("samples/datasets")).unwrap();
    for (i, c) in cases.iter().enumerate() {
        w.write(
            &format!("corpus-datasets/{i:03}.toml"),
            &manifest(&reference(i), &c.file),
        );
    }
    w.edit(
        "pipeline.toml",
        "datasets = \"samples/datasets\"\ndata = \"samples/data\"",
        "datasets = \"corpus-datasets\"\ndata = \"corpus\"",
    );
    let toml = std::fs::read_to_string(w.path("pipeline.toml")).unwrap();
    w.write(
        "pipeline.toml",
        &format!("{toml}\n[limits]\nmax_input_bytes = {MAX_INPUT_BYTES}\n"),
    );
    w
}

fn reference(i: usize) -> String {
    format!("CORPUS-{i:03}")
}

/// The cases made at test time rather than committed: a file over `max_input_bytes`
/// (1 MiB of clean XML; committing it would only weigh on the repository).
fn generated(w: &Workdir) -> Vec<Case> {
    let mut xml = String::from("<?xml version=\"1.0\"?>\n<records>\n");
    while (xml.len() as u64) <= MAX_INPUT_BYTES {
        xml.push_str("  <record><year>2024</year><note>plain text</note></record>\n");
    }
    xml.push_str("</records>\n");
    w.write("corpus/leak-limit-oversized.xml", &xml);
    vec![Case {
        file: "leak-limit-oversized.xml".into(),
        leak: true,
        category: "limit".into(),
        needs_matcher: false,
        what: "XML file over limits.max_input_bytes (made by the test)".into(),
    }]
}

/// Whether `ogpipe screen --json` got it right. A leaky file must be held for a reason of
/// its own: refused, for the `limit` cases (the run refuses them too, and "0 findings"
/// is the bug this guards against); otherwise a finding other than the blanket ones
/// every xls file carries ("not fully inspected"), so that an xls case tests its place.
fn screen_verdict(out: &Run, c: &Case) -> bool {
    if !c.leak {
        return out.code() == 0;
    }
    if out.code() != 1 {
        return false;
    }
    let findings: Vec<serde_json::Value> = serde_json::from_str(&out.stdout()).unwrap_or_default();
    if c.category == "limit" {
        return findings.is_empty() && out.stderr().contains("refused");
    }
    findings.iter().any(|f| {
        let excerpt = f["excerpt"].as_str().unwrap_or("");
        !excerpt.contains("not fully inspected") && !excerpt.contains("member not inspected")
    })
}

/// What `ogpipe run` did with the one dataset it was asked for.
fn run_verdict(out: &Run) -> Result<bool, String> {
    let v: serde_json::Value = serde_json::from_str(&out.stdout()).map_err(|e| {
        format!(
            "run printed no JSON report ({e}); exit {}; stderr: {}",
            out.code(),
            out.stderr()
        )
    })?;
    if v["preflight"].as_array().is_some_and(|p| !p.is_empty()) {
        return Ok(true);
    }
    let outcome = v["datasets"][0]["outcome"].as_str().unwrap_or("");
    match outcome {
        "published" | "unchanged" => Ok(false),
        "held" | "failed" => Ok(true),
        other => Err(format!("unexpected outcome {other:?}: {}", out.stdout())),
    }
}

#[derive(Default)]
struct Tally {
    total: usize,
    passed: usize,
    waiting: Vec<String>,
}

#[test]
fn every_leaky_file_is_held_and_every_clean_look_alike_passes_both_screen_and_run() {
    let mut all = cases();
    assert!(
        all.iter().filter(|c| c.leak).count() >= 100,
        "the corpus needs at least 100 leaky files"
    );
    assert!(
        all.iter().filter(|c| !c.leak).count() >= 30,
        "the corpus needs at least 30 clean look-alikes"
    );
    let w = workdir(&all);
    all.extend(generated(&w));
    for (i, c) in all.iter().enumerate().skip(cases().len()) {
        w.write(
            &format!("corpus-datasets/{i:03}.toml"),
            &manifest(&reference(i), &c.file),
        );
    }

    // Asked of the binary, not assumed: only the normalising matcher holds spaced letters.
    w.write("probe.csv", "note\nS E C R E T\n");
    let matcher_merged = w.run(&["screen", "probe.csv"]).code() == 1;

    let mut tally: BTreeMap<(String, &'static str), Tally> = BTreeMap::new();
    let mut failures = Vec::new();
    for (i, c) in all.iter().enumerate() {
        let path = format!("corpus/{}", c.file);
        let screen = w.run(&["screen", "--json", &path]);
        let screen_ok = screen_verdict(&screen, c);
        let run = w.run(&[
            "run",
            "--only",
            &reference(i),
            "--json",
            "--as-of",
            "2026-11-28",
        ]);
        let run_ok = match run_verdict(&run) {
            Ok(held) => held == c.leak,
            Err(e) => {
                failures.push(format!("{}: {e}", c.file));
                false
            }
        };
        let kind = if c.leak { "leak" } else { "clean" };
        let t = tally.entry((c.category.clone(), kind)).or_default();
        t.total += 1;
        if screen_ok && run_ok {
            t.passed += 1;
            continue;
        }
        let why = format!(
            "{} ({}): screen {} (exit {}), run {}{}",
            c.file,
            c.what,
            if screen_ok { "ok" } else { "WRONG" },
            screen.code(),
            if run_ok { "ok" } else { "WRONG" },
            if screen_ok {
                String::new()
            } else {
                format!(
                    "\n    screen said: {} {}",
                    screen.stdout().trim_end(),
                    screen.stderr().trim_end()
                )
            }
        );
        if c.needs_matcher && !matcher_merged {
            t.waiting.push(why);
        } else {
            failures.push(why);
        }
    }

    println!("screen corpus (matcher branch merged: {matcher_merged}):");
    for ((category, kind), t) in &tally {
        println!(
            "  {kind:5} {category:9} {:3}/{:3} held-or-passed as they should by both screen and run{}",
            t.passed,
            t.total,
            if t.waiting.is_empty() {
                String::new()
            } else {
                format!(", {} waiting for the matcher branch", t.waiting.len())
            }
        );
        for why in &t.waiting {
            println!("      waiting: {why}");
        }
    }
    assert!(
        failures.is_empty(),
        "{} corpus files got the wrong verdict:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}
