//! Keeps `schemas/manifest.json` and the serde types of `manifest.rs` in step.
//!
//! The schema is written by hand for people, so nothing generates it; instead these tests
//! pin every way the two could drift apart:
//! - the key set of every table: serde's own "unknown field" error lists the keys it
//!   knows, and they must equal the schema's `properties`;
//! - which keys are required: dropping one from a manifest that sets every key must fail
//!   in both or pass in both;
//! - types and enumerations: every key given a value of the wrong type fails in both,
//!   and every enumerated value passes in both;
//! - the sample manifests pass both, and a few hand-written bad manifests fail both.
//!
//! TOML dates have no JSON counterpart; [`to_json`] writes them as their TOML text, which
//! the schema's `date` pattern accepts for a plain date and refuses for a date-time, as
//! serde does. The one difference this leaves: a quoted date (`date = "2026-04-01"`) is
//! a string to TOML, which serde refuses, but reads the same as a date once in JSON.

use std::path::Path;

use serde_json::Value as Json;
use toml::Value as Toml;

use super::Manifest;

const SCHEMA: &str = include_str!("../../schemas/manifest.json");

/// Sets every key a manifest can have, so each can be removed or broken in turn.
const FULL: &str = r#"
[inventory]
reference = "CSIS-INV-2025-099"
category = "Corporate reporting"
business_owner = "Director General, Public Affairs"
name = "csis-inv-2025-099"

[decision]
status = "withhold"
grounds = ["ATIA s. 15(1)"]
justification = "Reveals methods."

[[approvals]]
role = "imso"
name = "J. Singh"
date = 2026-01-29

[release]
priority = 2
date = 2026-04-01
plan = "With the annual report."

[metadata]
title = { en = "Title", fr = "Titre" }
description = { en = "Description", fr = "Description" }
keywords = { en = ["one"], fr = ["un"] }
subject = ["government_and_politics"]
frequency = "P1Y"
license_id = "ca-ogl-lgo"
jurisdiction = "federal"
maintainer_email = "open@example.ca"

[[resources]]
key = "pubs"
source = "publications.xml"
format = "xml"
title = { en = "Publications", fr = "Publications" }
sheet = "Sheet1"
header_row = 3
range = "B3:F200"
record_path = "/publications/publication"
namespaces = { dc = "http://purl.org/dc/elements/1.1/" }
error_cells = "empty"
outputs = ["csv", "json", "ndjson"]
schema = "pubs.json"
resource_type = "dataset"

[resources.fields]
title_en = "dc:title[@xml:lang='en']"

[[waivers]]
rule = "custom:badge"
location = "file \"x.csv\", cell *"
value_pattern = "info@dept\\.gc\\.ca"
approver = "J. Singh (IMSO)"
justification = "Public contact address"
"#;

fn schema() -> (Json, jsonschema::Validator) {
    let json: Json = serde_json::from_str(SCHEMA).expect("schemas/manifest.json is JSON");
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&json)
        .expect("schemas/manifest.json compiles");
    (json, validator)
}

/// A TOML value as JSON; dates become their TOML text.
fn to_json(v: &Toml) -> Json {
    match v {
        Toml::String(s) => Json::String(s.clone()),
        Toml::Integer(i) => Json::from(*i),
        Toml::Float(f) => Json::from(*f),
        Toml::Boolean(b) => Json::Bool(*b),
        Toml::Datetime(d) => Json::String(d.to_string()),
        Toml::Array(a) => Json::Array(a.iter().map(to_json).collect()),
        Toml::Table(t) => Json::Object(t.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
    }
}

/// Whether serde and the schema accept the manifest: `(serde, schema)`.
fn verdicts(manifest: &Toml, validator: &jsonschema::Validator) -> (bool, bool) {
    let text = toml::to_string(manifest).expect("a TOML value prints");
    let serde = Manifest::parse(&text).is_ok();
    let schema = validator.is_valid(&to_json(manifest));
    (serde, schema)
}

/// One step into a TOML value: a key of a table or an index of an array.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every path in `v` to a table entry (not to array elements themselves).
fn paths(v: &Toml, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match v {
        Toml::Table(t) => {
            for (k, child) in t {
                at.push(Step::Key(k.clone()));
                out.push(at.clone());
                paths(child, at, out);
                at.pop();
            }
        }
        Toml::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                at.push(Step::Index(i));
                paths(child, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn get_mut<'a>(v: &'a mut Toml, path: &[Step]) -> &'a mut Toml {
    path.iter().fold(v, |v, step| match step {
        Step::Key(k) => &mut v[k.as_str()],
        Step::Index(i) => &mut v[*i],
    })
}

fn show(path: &[Step]) -> String {
    path.iter()
        .map(|s| match s {
            Step::Key(k) => format!(".{k}"),
            Step::Index(i) => format!("[{i}]"),
        })
        .collect()
}

/// The schema node that describes the value at `path`, with `$ref`s followed.
fn schema_at<'a>(root: &'a Json, path: &[Step]) -> &'a Json {
    let resolve = |mut node: &'a Json| {
        while let Some(r) = node.get("$ref").and_then(Json::as_str) {
            let name = r.strip_prefix("#/$defs/").expect("local $ref");
            node = &root["$defs"][name];
        }
        node
    };
    path.iter().fold(resolve(root), |node, step| {
        let next = match step {
            Step::Key(k) => node["properties"]
                .get(k)
                .unwrap_or(&node["additionalProperties"]),
            Step::Index(_) => &node["items"],
        };
        resolve(next)
    })
}

#[test]
fn the_manifest_schema_is_valid_draft_2020_12_and_describes_every_key() {
    let (json, _) = schema();
    assert!(
        jsonschema::meta::is_valid(&json),
        "schemas/manifest.json breaks its meta-schema"
    );
    fn walk(node: &Json, at: &str, missing: &mut Vec<String>) {
        let Some(obj) = node.as_object() else { return };
        for (key, sub) in obj {
            match key.as_str() {
                "properties" | "$defs" => {
                    for (name, child) in sub.as_object().into_iter().flatten() {
                        if child.get("description").and_then(Json::as_str).is_none() {
                            missing.push(format!("{at}/{key}/{name}"));
                        }
                        walk(child, &format!("{at}/{key}/{name}"), missing);
                    }
                }
                "items" | "additionalProperties" if sub.is_object() => {
                    if sub.get("description").is_none() && sub.get("$ref").is_none() {
                        missing.push(format!("{at}/{key}"));
                    }
                    walk(sub, &format!("{at}/{key}"), missing);
                }
                _ => {}
            }
        }
    }
    let mut missing = Vec::new();
    walk(&json, "#", &mut missing);
    assert!(missing.is_empty(), "no description: {missing:?}");
}

#[test]
fn every_sample_manifest_passes_serde_and_the_schema() {
    let (_, validator) = schema();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/datasets");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("samples/datasets exists") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a sample manifest is readable");
        if let Err(e) = Manifest::parse(&text) {
            panic!("{}: serde refuses it: {e}", path.display());
        }
        let value: Toml = toml::from_str(&text).expect("a sample manifest is TOML");
        let json = to_json(&value);
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{}: the schema refuses it: {errors:?}",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 7, "only {checked} sample manifests found");
}

#[test]
fn every_table_has_the_same_keys_in_serde_and_the_schema() {
    let (json, validator) = schema();
    let full: Toml = toml::from_str(FULL).expect("FULL is TOML");
    assert_eq!(verdicts(&full, &validator), (true, true), "FULL itself");
    // The root and every table inside it, including tables inside arrays.
    let mut tables: Vec<Vec<Step>> = vec![Vec::new()];
    let mut all = Vec::new();
    paths(&full, &mut Vec::new(), &mut all);
    for p in all {
        match get_mut(&mut full.clone(), &p) {
            Toml::Table(_) => tables.push(p),
            Toml::Array(a) if a.first().is_some_and(Toml::is_table) => {
                let mut p = p;
                p.push(Step::Index(0));
                tables.push(p);
            }
            _ => {}
        }
    }
    let mut compared = 0;
    for path in tables {
        let node = schema_at(&json, &path);
        // `fields` and `namespaces` are maps with free keys, not structs.
        let Some(props) = node.get("properties").and_then(Json::as_object) else {
            continue;
        };
        let mut m = full.clone();
        let Toml::Table(t) = get_mut(&mut m, &path) else {
            unreachable!("paths to tables were chosen above")
        };
        t.insert("zz_not_a_key".into(), Toml::Boolean(true));
        let text = toml::to_string(&m).expect("a TOML value prints");
        let err = Manifest::parse(&text).expect_err("serde refuses an unknown key");
        // serde: "unknown field `zz_not_a_key`, expected one of `a`, `b`" (or "`a` or `b`").
        let listed = err
            .split_once("expected")
            .unwrap_or_else(|| panic!("{}: unexpected serde error {err}", show(&path)))
            .1;
        let mut serde_keys: Vec<&str> = listed.split('`').skip(1).step_by(2).collect();
        serde_keys.sort_unstable();
        let mut schema_keys: Vec<&str> = props.keys().map(String::as_str).collect();
        schema_keys.sort_unstable();
        assert_eq!(serde_keys, schema_keys, "keys of {}", show(&path));
        assert!(!validator.is_valid(&to_json(&m)), "schema, {}", show(&path));
        compared += 1;
    }
    // root, inventory, decision, approvals, release, metadata + 3 texts, resource + title,
    // waiver
    assert_eq!(compared, 12);
}

#[test]
fn required_keys_agree_between_serde_and_the_schema() {
    let (_, validator) = schema();
    let full: Toml = toml::from_str(FULL).expect("FULL is TOML");
    let mut all = Vec::new();
    paths(&full, &mut Vec::new(), &mut all);
    let mut required = 0;
    for path in &all {
        let (parent, last) = path.split_at(path.len() - 1);
        let Step::Key(key) = &last[0] else {
            unreachable!("paths end at table keys")
        };
        let mut m = full.clone();
        let Toml::Table(t) = get_mut(&mut m, parent) else {
            unreachable!("a key's parent is a table")
        };
        t.remove(key);
        let (serde, schema) = verdicts(&m, &validator);
        assert_eq!(serde, schema, "without {}: serde {serde}", show(path));
        required += usize::from(!serde);
    }
    // 4 root tables, 3 inventory, decision.status, 3 approval, 2 release, 5 metadata,
    // 2+2+2 texts and keyword lists, 3 resource + 2 resource title, 3 waiver.
    assert_eq!(required, 32);
}

#[test]
fn wrong_types_and_every_enumerated_value_agree_between_serde_and_the_schema() {
    let (json, validator) = schema();
    let full: Toml = toml::from_str(FULL).expect("FULL is TOML");
    let mut all = Vec::new();
    paths(&full, &mut Vec::new(), &mut all);
    for path in &all {
        let mut m = full.clone();
        let slot = get_mut(&mut m, path);
        // A value of another kind, and one that looks right but is not (-1 for a count,
        // a date-time or a quoted date for a date).
        let wrongs: Vec<Toml> = match slot {
            Toml::String(_) => vec![Toml::Integer(7), Toml::Array(vec![])],
            Toml::Integer(_) => vec![Toml::String("7".into()), Toml::Integer(-1)],
            Toml::Datetime(_) => vec![
                Toml::Datetime("2026-01-29T10:00:00".parse().expect("a TOML date-time")),
                Toml::Integer(20260129),
            ],
            Toml::Array(_) => vec![
                Toml::String("x".into()),
                Toml::Array(vec![Toml::Integer(1)]),
            ],
            Toml::Table(_) => vec![Toml::String("x".into())],
            other => panic!("{}: FULL has a {other:?}", show(path)),
        };
        for wrong in wrongs {
            *get_mut(&mut m, path) = wrong.clone();
            assert_eq!(
                verdicts(&m, &validator),
                (false, false),
                "{} = {wrong}",
                show(path)
            );
        }
    }
    let mut enums = 0;
    for path in &all {
        let node = schema_at(&json, path);
        let items = node.get("items").unwrap_or(&Json::Null);
        let allowed = node
            .get("enum")
            .or_else(|| items.get("enum"))
            .or_else(|| node.pointer("/anyOf/0/enum"));
        let Some(allowed) = allowed.and_then(Json::as_array) else {
            continue;
        };
        for v in allowed {
            let s = Toml::String(v.as_str().expect("string enums").into());
            let mut m = full.clone();
            let slot = get_mut(&mut m, path);
            *slot = if slot.is_array() {
                Toml::Array(vec![s])
            } else {
                s
            };
            assert_eq!(
                verdicts(&m, &validator),
                (true, true),
                "{} = {v}",
                show(path)
            );
            enums += 1;
        }
        let mut m = full.clone();
        let slot = get_mut(&mut m, path);
        let bad = Toml::String("not-a-value".into());
        *slot = if slot.is_array() {
            Toml::Array(vec![bad])
        } else {
            bad
        };
        assert_eq!(verdicts(&m, &validator), (false, false), "{}", show(path));
    }
    // status 2, role 3, format 7, error_cells 3, outputs 3, waiver rules 14
    assert_eq!(enums, 32);
}

/// The schema lists the screen's rules by id: a rule added to the screen must be added
/// there too, or a waiver for it would fail the schema while serde takes it.
#[test]
fn the_schema_names_every_screen_rule() {
    let (schema, _) = schema();
    let listed: Vec<&str> = schema
        .pointer("/$defs/waiver/properties/rule/anyOf/0/enum")
        .and_then(|v| v.as_array())
        .expect("the waiver rule enum")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let rules: Vec<&str> = crate::screen::rule_ids().collect();
    assert_eq!(listed, rules);
}

#[test]
fn bad_manifests_fail_serde_and_the_schema() {
    let (_, validator) = schema();
    let sample = include_str!("../../samples/datasets/03-security-screening.toml");
    for (what, from, to) in [
        (
            "an unknown key",
            "[release]\n",
            "[release]\nwhen = \"soon\"\n",
        ),
        ("a misspelt key", "frequency =", "frequence ="),
        ("a number as text", "priority = 3", "priority = \"3\""),
        (
            "a bad status",
            "status = \"release\"",
            "status = \"published\"",
        ),
        (
            "a missing French title",
            ", fr = \"Volume des filtrages de sécurité par programme\"",
            "",
        ),
        (
            "a missing resource source",
            "source = \"security_screening.csv\"\n",
            "",
        ),
        (
            "a bad output",
            "outputs = [\"csv\", \"json\"]",
            "outputs = [\"csv\", \"xlsx\"]",
        ),
        (
            "an unknown rule",
            "[release]",
            "[[waivers]]\nrule = \"custom:\"\napprover = \"x\"\njustification = \"y\"\n\n[release]",
        ),
    ] {
        assert!(sample.contains(from), "{what}: the sample changed");
        let text = sample.replacen(from, to, 1);
        assert!(Manifest::parse(&text).is_err(), "{what}: serde accepts it");
        let json = to_json(&toml::from_str(&text).expect("still TOML"));
        assert!(!validator.is_valid(&json), "{what}: the schema accepts it");
    }
}
