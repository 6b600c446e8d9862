//! Validator tests: each type and constraint with valid and invalid cells, then the
//! table-level rules (headers, unique, primary keys, truncation) and the report text.

use chrono::{NaiveDate, NaiveDateTime};

use super::*;
use crate::validate::ViolationRule as R;

fn t(s: &str) -> Value {
    Value::Text(s.into())
}

fn schema(json: &str) -> TableSchema {
    TableSchema::from_json(json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

/// Validates rows under matching headers, as a reader would push them.
fn validate(s: &TableSchema, rows: &[Vec<Value>], max: usize) -> Report {
    let headers = s.fields.iter().map(|f| f.name.clone()).collect();
    validate_with(s, headers, rows, max)
}

fn validate_with(s: &TableSchema, headers: Vec<String>, rows: &[Vec<Value>], max: usize) -> Report {
    let mut v = Validator::new(s, max).unwrap();
    let info = TableInfo {
        source: "t.csv".into(),
        headers,
        header_row: 1,
        ..TableInfo::default()
    };
    v.begin(&info).unwrap();
    for (i, cells) in rows.iter().enumerate() {
        v.row(Row {
            number: i as u64 + 2,
            cells,
        })
        .unwrap();
    }
    v.end().unwrap();
    v.finish()
}

/// The rules broken by one cell in a one-field table with this field descriptor.
fn rules(field: &str, missing: &str, value: Value) -> Vec<ViolationRule> {
    let s = schema(&format!(
        r#"{{"fields":[{field}],"missingValues":{missing}}}"#
    ));
    validate(&s, &[vec![value]], 100)
        .violations
        .iter()
        .map(|v| v.rule)
        .collect()
}

/// (field descriptor, cell, rules broken); missingValues default.
fn check_cases(cases: &[(&str, Value, &[ViolationRule])]) {
    for (field, value, want) in cases {
        assert_eq!(
            rules(field, r#"[""]"#, value.clone()),
            *want,
            "{field} with {value:?}"
        );
    }
}

const NUMBER: &str = r#"{"name":"n","type":"number"}"#;
const INTEGER: &str = r#"{"name":"n","type":"integer"}"#;

#[test]
fn numbers_accept_the_spec_grammar_and_typed_cells() {
    check_cases(&[
        (NUMBER, t("-0"), &[]),
        (NUMBER, t("1.5e-3"), &[]),
        (NUMBER, t("1E5"), &[]),
        (NUMBER, t("NaN"), &[]),
        (NUMBER, t("INF"), &[]),
        (NUMBER, t("-INF"), &[]),
        (NUMBER, t("007"), &[]),
        (NUMBER, Value::Int(3), &[]),
        (NUMBER, Value::Float(2.5), &[]),
        (NUMBER, t("abc"), &[R::Type]),
        (NUMBER, t(" 1"), &[R::Type]),
        (NUMBER, t("1,000"), &[R::Type]),
        (NUMBER, Value::Bool(true), &[R::Type]),
        (
            r#"{"name":"n","type":"number","bareNumber":false}"#,
            t("€95"),
            &[],
        ),
        (
            r#"{"name":"n","type":"number","bareNumber":false}"#,
            t("95 %"),
            &[],
        ),
        (
            r#"{"name":"n","type":"number","bareNumber":false}"#,
            t("n/a"),
            &[R::Type],
        ),
    ]);
}

#[test]
fn integers_refuse_fractions_and_exponents_but_keep_leading_zeros() {
    check_cases(&[
        (INTEGER, t("-0"), &[]),
        (INTEGER, t("007"), &[]),
        (INTEGER, t("+42"), &[]),
        (INTEGER, t("99999999999999999999"), &[]),
        (INTEGER, Value::Int(-5), &[]),
        (INTEGER, Value::Float(3.0), &[]),
        (INTEGER, Value::Float(3.5), &[R::Type]),
        (INTEGER, t("1e3"), &[R::Type]),
        (INTEGER, t("1.0"), &[R::Type]),
        (INTEGER, t("NaN"), &[R::Type]),
    ]);
}

#[test]
fn booleans_use_true_and_false_values() {
    let custom = r#"{"name":"b","type":"boolean","trueValues":["oui"],"falseValues":["non"]}"#;
    check_cases(&[
        (r#"{"name":"b","type":"boolean"}"#, t("TRUE"), &[]),
        (r#"{"name":"b","type":"boolean"}"#, t("0"), &[]),
        (r#"{"name":"b","type":"boolean"}"#, Value::Bool(false), &[]),
        (r#"{"name":"b","type":"boolean"}"#, Value::Int(1), &[]),
        (r#"{"name":"b","type":"boolean"}"#, t("yes"), &[R::Type]),
        (r#"{"name":"b","type":"boolean"}"#, t("tRue"), &[R::Type]),
        (custom, t("oui"), &[]),
        (custom, t("true"), &[R::Type]),
    ]);
}

#[test]
fn dates_times_and_periods() {
    let date = r#"{"name":"d","type":"date"}"#;
    let dmy = r#"{"name":"d","type":"date","format":"%d/%m/%Y"}"#;
    let dt = r#"{"name":"d","type":"datetime"}"#;
    let day = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    let noon: NaiveDateTime = day.and_hms_opt(12, 0, 0).unwrap();
    check_cases(&[
        (date, t("2024-02-29"), &[]),
        (date, t("2023-02-29"), &[R::Type]),
        (date, t("29/02/2024"), &[R::Type]),
        (date, Value::Date(day), &[]),
        (
            date,
            Value::DateTime(day.and_hms_opt(0, 0, 0).unwrap()),
            &[],
        ),
        (date, Value::DateTime(noon), &[R::Type]),
        (dmy, t("29/02/2024"), &[]),
        (dmy, t("29/02/2023"), &[R::Type]),
        (dmy, t("2024-02-29"), &[R::Type]),
        (
            r#"{"name":"d","type":"date","format":"any"}"#,
            t("29.02.2024"),
            &[],
        ),
        (dt, t("2024-02-29T12:00:00"), &[]),
        (dt, t("2024-02-29T12:00:00.25+05:30"), &[]),
        (dt, t("2024-02-29 12:00:00"), &[R::Type]),
        (dt, Value::DateTime(noon), &[]),
        (dt, Value::Date(day), &[R::Type]),
        (r#"{"name":"d","type":"time"}"#, t("23:59:59"), &[]),
        (r#"{"name":"d","type":"time"}"#, t("24:00:00"), &[R::Type]),
        (r#"{"name":"d","type":"year"}"#, t("2024"), &[]),
        (r#"{"name":"d","type":"year"}"#, Value::Int(2024), &[]),
        (r#"{"name":"d","type":"year"}"#, t("24"), &[R::Type]),
        (r#"{"name":"d","type":"yearmonth"}"#, t("2024-02"), &[]),
        (
            r#"{"name":"d","type":"yearmonth"}"#,
            t("2024-13"),
            &[R::Type],
        ),
        (
            r#"{"name":"d","type":"duration"}"#,
            t("P1Y2M3DT4H5M6S"),
            &[],
        ),
        (
            r#"{"name":"d","type":"duration"}"#,
            Value::Duration("PT1H30M".into()),
            &[],
        ),
        (r#"{"name":"d","type":"duration"}"#, t("1 day"), &[R::Type]),
    ]);
}

#[test]
fn string_formats_and_any() {
    let f = |fmt: &str| format!(r#"{{"name":"s","format":"{fmt}"}}"#);
    let (email, uri, uuid) = (f("email"), f("uri"), f("uuid"));
    check_cases(&[
        (&email, t("info@canada.ca"), &[]),
        (&email, t("info at canada.ca"), &[R::Type]),
        (&uri, t("https://open.canada.ca"), &[]),
        (&uri, t("open.canada.ca"), &[R::Type]),
        (&uuid, t("123e4567-e89b-12d3-a456-426614174000"), &[]),
        (&uuid, t("123e4567"), &[R::Type]),
        (r#"{"name":"s"}"#, Value::Int(7), &[]),
        (r#"{"name":"s","type":"any"}"#, Value::Bool(true), &[]),
    ]);
}

#[test]
fn error_cells_are_violations_unless_listed_as_missing() {
    let na = Value::Error("#N/A".into());
    assert_eq!(rules(NUMBER, r#"[""]"#, na.clone()), [R::ErrorCell]);
    assert_eq!(
        rules(r#"{"name":"s"}"#, r#"[""]"#, na.clone()),
        [R::ErrorCell]
    );
    assert_eq!(rules(NUMBER, r##"["", "#N/A"]"##, na.clone()), []);
    let required = r#"{"name":"n","type":"number","constraints":{"required":true}}"#;
    assert_eq!(rules(required, r##"["", "#N/A"]"##, na), [R::Required]);
}

#[test]
fn missing_values_are_empty_and_fail_required() {
    let required = r#"{"name":"n","type":"number","constraints":{"required":true}}"#;
    for (field, missing, value, want) in [
        (required, r#"[""]"#, Value::Empty, &[R::Required][..]),
        (required, r#"[""]"#, t(""), &[R::Required]),
        (required, r#"["", "NA"]"#, t("NA"), &[R::Required]),
        (required, r#"["", "-99"]"#, Value::Int(-99), &[R::Required]),
        (required, r#"[""]"#, t("NA"), &[R::Type]),
        (NUMBER, r#"["NA"]"#, t("NA"), &[]),
        // "" is a value once missingValues leaves it out: not a number, but a string.
        (NUMBER, r#"["NA"]"#, Value::Empty, &[R::Type]),
        (
            r#"{"name":"s","constraints":{"required":true}}"#,
            r#"["NA"]"#,
            t(""),
            &[],
        ),
        (NUMBER, r#"[""]"#, Value::Empty, &[]),
        (
            r#"{"name":"s","constraints":{"minLength":2}}"#,
            r#"[""]"#,
            t(""),
            &[],
        ),
    ] {
        assert_eq!(
            rules(field, missing, value.clone()),
            want,
            "{field} {missing} {value:?}"
        );
    }
}

#[test]
fn constraints_each_catch_their_own_breach() {
    let c = |ty: &str, constraints: &str| {
        format!(r#"{{"name":"f","type":"{ty}","constraints":{constraints}}}"#)
    };
    let min_len = c("string", r#"{"minLength":6}"#);
    let max_len = c("string", r#"{"maxLength":5}"#);
    let int_range = c("integer", r#"{"minimum":10,"maximum":20}"#);
    let num_max = c("number", r#"{"maximum":1.5}"#);
    let num_min = c("number", r#"{"minimum":0}"#);
    let date_min = c("date", r#"{"minimum":"2024-01-01"}"#);
    let dmy_min =
        r#"{"name":"f","type":"date","format":"%d/%m/%Y","constraints":{"minimum":"2024-01-01"}}"#;
    let year_max = c("year", r#"{"maximum":2024}"#);
    let ym_min = c("yearmonth", r#"{"minimum":"2024-02"}"#);
    let time_max = c("time", r#"{"maximum":"17:00:00"}"#);
    let pattern = c("string", r#"{"pattern":"[A-Z]{2}"}"#);
    let alternation = c("string", r#"{"pattern":"a|b"}"#);
    let str_enum = c("string", r#"{"enum":["ON","QC"]}"#);
    let int_enum = c("integer", r#"{"enum":[1,2]}"#);
    check_cases(&[
        (&min_len, t("Québec"), &[]),
        (&min_len, t("Québ"), &[R::MinLength]),
        (&max_len, t("Québec"), &[R::MaxLength]),
        (&max_len, t("Québe"), &[]),
        // Characters, not bytes: 6 bytes but 5 characters, 8 bytes but 2 characters,
        // 24 bytes (6 × 4) is 6 characters.
        (&max_len, t("Québé"), &[]),
        (&min_len, t("éèêëàâ"), &[]),
        (&min_len, t("🍁🍁"), &[R::MinLength]),
        (&min_len, t("🍁🍁🍁🍁🍁🍁"), &[]),
        (&max_len, t("🍁🍁🍁🍁🍁"), &[]),
        (&max_len, t("🍁🍁🍁🍁🍁🍁"), &[R::MaxLength]),
        (&min_len, t("e\u{301}e\u{301}e"), &[R::MinLength]),
        (&int_range, t("10"), &[]),
        (&int_range, t("9"), &[R::Minimum]),
        (&int_range, Value::Int(21), &[R::Maximum]),
        (&num_max, Value::Float(1.5), &[]),
        (&num_max, t("1.6"), &[R::Maximum]),
        (&num_max, t("NaN"), &[R::Maximum]),
        (&num_min, t("-0"), &[]),
        (&num_min, t("-INF"), &[R::Minimum]),
        (&date_min, t("2023-12-31"), &[R::Minimum]),
        (&date_min, t("2024-01-01"), &[]),
        (dmy_min, t("31/12/2023"), &[R::Minimum]),
        (&year_max, t("2025"), &[R::Maximum]),
        (&ym_min, t("2024-01"), &[R::Minimum]),
        (&time_max, t("17:00:01"), &[R::Maximum]),
        (&pattern, t("AB"), &[]),
        (&pattern, t("ABC"), &[R::Pattern]),
        (&pattern, t("xAB"), &[R::Pattern]),
        (&alternation, t("ab"), &[R::Pattern]),
        (&alternation, t("b"), &[]),
        (&str_enum, t("QC"), &[]),
        (&str_enum, t("qc"), &[R::Enum]),
        (&int_enum, t("2"), &[]),
        (&int_enum, Value::Float(2.0), &[]),
        (&int_enum, t("3"), &[R::Enum]),
    ]);
    // Several breaches of one cell are all reported.
    let both = c("string", r#"{"maxLength":2,"pattern":"[0-9]+"}"#);
    check_cases(&[(&both, t("abc"), &[R::MaxLength, R::Pattern])]);
}

#[test]
fn unique_compares_values_not_spellings_and_names_the_first_row() {
    let s = schema(r#"{"fields":[{"name":"n","type":"number","constraints":{"unique":true}}]}"#);
    let rows = [
        t("1"),
        Value::Int(2),
        t(""),
        Value::Float(1.0),
        t(""),
        t("-0"),
        t("0"),
        t("2e0"),
    ];
    let r = validate(&s, &rows.map(|v| vec![v]), 100);
    let found: Vec<(u64, ViolationRule)> = r.violations.iter().map(|v| (v.row, v.rule)).collect();
    assert_eq!(found, [(5, R::Unique), (8, R::Unique), (9, R::Unique)]);
    assert_eq!(
        r.violations[0].message,
        "\"1\" repeats row 2; values must be unique"
    );
}

#[test]
fn composite_primary_keys_must_be_unique_and_complete() {
    let s = schema(
        r#"{"fields":[{"name":"id","type":"integer"},{"name":"year","type":"year"},{"name":"v"}],
            "primaryKey":["id","year"]}"#,
    );
    let rows = [
        vec![t("1"), t("2024"), t("a")],
        vec![t("1"), t("2025"), t("b")],
        vec![t("2"), t("2024"), t("c")],
        vec![Value::Int(1), Value::Int(2024), t("d")],
        vec![t("3"), t(""), t("e")],
        vec![t("x"), t("2024"), t("f")],
    ];
    let r = validate(&s, &rows, 100);
    let found: Vec<(u64, Option<&str>, ViolationRule)> = r
        .violations
        .iter()
        .map(|v| (v.row, v.column.as_deref(), v.rule))
        .collect();
    assert_eq!(
        found,
        [
            (5, None, R::PrimaryKey),
            (6, Some("B"), R::PrimaryKey),
            (7, Some("A"), R::Type)
        ]
    );
    assert_eq!(
        r.violations[0].message,
        "primary key (id, year) = (\"1\", \"2024\") repeats row 2; keys must be unique"
    );
}

#[test]
fn headers_must_match_names_and_order() {
    let s = schema(r#"{"fields":[{"name":"a"},{"name":"b"},{"name":"c"}]}"#);
    let h = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let found = |headers| {
        validate_with(&s, headers, &[], 100)
            .violations
            .into_iter()
            .map(|v| (v.row, v.column.unwrap(), v.rule))
            .collect::<Vec<_>>()
    };
    assert_eq!(found(h(&["a", "b", "c"])), []);
    assert_eq!(
        found(h(&["a", "x"])),
        [
            (1, "B".into(), R::HeaderMismatch),
            (1, "C".into(), R::MissingHeader)
        ]
    );
    assert_eq!(
        found(h(&["b", "a", "c", "d"])),
        [
            (1, "A".into(), R::HeaderMismatch),
            (1, "B".into(), R::HeaderMismatch),
            (1, "D".into(), R::ExtraHeader)
        ]
    );
    assert_eq!(
        found(h(&["a", "b", "c "])),
        [(1, "C".into(), R::HeaderMismatch)]
    );
}

#[test]
fn column_letters_follow_the_table_offset_and_extra_cells_are_reported() {
    let s = schema(r#"{"fields":[{"name":"a","type":"integer"}]}"#);
    let mut v = Validator::new(&s, 10).unwrap();
    let info = TableInfo {
        source: "b.xlsx".into(),
        sheet: Some("Budget".into()),
        headers: vec!["a".into()],
        header_row: 3,
        first_column: 2,
    };
    v.begin(&info).unwrap();
    v.row(Row {
        number: 4,
        cells: &[t("x"), t(""), t("stray")],
    })
    .unwrap();
    let r = v.finish();
    let found: Vec<(u64, &str, ViolationRule)> = r
        .violations
        .iter()
        .map(|v| (v.row, v.column.as_deref().unwrap(), v.rule))
        .collect();
    assert_eq!(found, [(4, "C", R::Type), (4, "E", R::ExtraCell)]);
    assert_eq!(r.sheet.as_deref(), Some("Budget"));
}

#[test]
fn truncation_keeps_the_first_and_counts_them_all() {
    let s = schema(r#"{"fields":[{"name":"n","type":"integer"}]}"#);
    let rows: Vec<Vec<Value>> = (0..5).map(|i| vec![t(&format!("x{i}"))]).collect();
    let r = validate(&s, &rows, 2);
    assert!(r.truncated);
    assert_eq!(
        (r.total_violations, r.violations.len(), r.rows_checked),
        (5, 2, 5)
    );
    assert!(!r.is_clean());
    let r = validate(&s, &rows, 5);
    assert!(!r.truncated);
}

#[test]
fn text_report_reads_as_a_person_would_want() {
    let s = schema(
        r#"{"fields":[{"name":"amount","type":"number"},
            {"name":"when","type":"date","constraints":{"required":true}}]}"#,
    );
    let r = validate(
        &s,
        &[
            vec![t("abc"), t("2023-02-29")],
            vec![Value::Int(3), Value::Empty],
        ],
        10,
    );
    let mut out = Vec::new();
    r.write_text(&mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "t.csv\n\
         row 2, column A (amount): \"abc\" is not a number (type)\n\
         row 2, column B (when): \"2023-02-29\" is not a date (YYYY-MM-DD) (type)\n\
         row 3, column B (when): \"when\" is required but the cell is empty (required)\n\
         3 violations in 2 rows\n"
    );
}

#[test]
fn broken_schemas_list_every_problem() {
    let s = schema(
        r#"{"fields":[
            {"name":"a","type":"integer","constraints":{"minLength":1,"minimum":"x"}},
            {"name":"a","constraints":{"pattern":"(["}},
            {"name":"d","type":"date","format":"dd/mm/yyyy"},
            {"name":"e","type":"integer","constraints":{"enum":[1,"two"]}},
            {"name":"m","type":"number","constraints":{"minimum":5,"maximum":1}},
            {"name":"s","format":"phone"}
        ],"primaryKey":["id"]}"#,
    );
    let problems = s.check();
    assert_eq!(problems.len(), 9, "{problems:#?}");
    assert!(matches!(
        Validator::new(&s, 10),
        Err(ValidateError::Schema { .. })
    ));
    let ok =
        schema(r#"{"fields":[{"name":"a","type":"date","format":"%d/%m/%Y"}],"primaryKey":"a"}"#);
    assert_eq!(ok.check(), Vec::<String>::new());
}

/// Throughput check for comparison with `qsv validate`; run with
/// `cargo test --release --lib validate::table::tests::million -- --ignored --nocapture`.
#[test]
#[ignore = "slow: a 1M-row throughput check"]
fn million_rows_throughput() {
    let s = schema(
        r#"{"fields":[
            {"name":"id","type":"integer","constraints":{"required":true}},
            {"name":"name","constraints":{"maxLength":40,"pattern":"[A-Za-z ]+"}},
            {"name":"amount","type":"number","constraints":{"minimum":0}},
            {"name":"when","type":"date"},
            {"name":"code","constraints":{"enum":["ON","QC","BC"]}}
        ],"primaryKey":"id"}"#,
    );
    let mut v = Validator::new(&s, 100).unwrap();
    let headers = s.fields.iter().map(|f| f.name.clone()).collect();
    v.begin(&TableInfo {
        headers,
        header_row: 1,
        ..TableInfo::default()
    })
    .unwrap();
    let mut cells = vec![
        t(""),
        t("Jane Smith"),
        t("1234.50"),
        t("2024-02-29"),
        t("QC"),
    ];
    let start = std::time::Instant::now();
    for i in 0..1_000_000u64 {
        cells[0] = Value::Int(i as i64);
        v.row(Row {
            number: i + 2,
            cells: &cells,
        })
        .unwrap();
    }
    let r = v.finish();
    eprintln!("1M rows x 5 fields in {:?}", start.elapsed());
    assert!(r.is_clean(), "{:?}", r.violations);
}

#[test]
fn ragged_rows_report_each_missing_and_extra_cell() {
    let s = schema(
        r#"{"fields":[{"name":"a","type":"integer"},{"name":"b","constraints":{"required":true}},{"name":"c"}],"primaryKey":"a"}"#,
    );
    let mut v = Validator::new(&s, 100).unwrap().ragged_rows();
    let info = TableInfo {
        headers: vec!["a".into(), "b".into(), "c".into()],
        header_row: 1,
        ..TableInfo::default()
    };
    v.begin(&info).unwrap();
    let rows = [
        vec![t("1")],
        vec![t("2"), t("x"), t("y"), Value::Empty],
        vec![t("z"), t("x"), t("y")],
    ];
    for (i, cells) in rows.iter().enumerate() {
        v.row(Row {
            number: i as u64 + 2,
            cells,
        })
        .unwrap();
    }
    let found: Vec<(u64, Option<String>, ViolationRule)> = v
        .finish()
        .violations
        .into_iter()
        .map(|x| (x.row, x.column, x.rule))
        .collect();
    // The short row is missing b and c (not "required"), the long one has an empty
    // extra cell, and the rows after them are still checked.
    assert_eq!(
        found,
        [
            (2, Some("B".into()), R::MissingCell),
            (2, Some("C".into()), R::MissingCell),
            (3, Some("D".into()), R::ExtraCell),
            (4, Some("A".into()), R::Type),
        ]
    );
}

#[test]
fn blank_rows_are_one_violation_and_padded_rows_are_not_ragged() {
    let s = schema(r#"{"fields":[{"name":"a","constraints":{"required":true}},{"name":"b"}]}"#);
    // Without `ragged_rows` (a spreadsheet), a short row is padded, not missing cells.
    let r = validate(
        &s,
        &[
            vec![Value::Empty, Value::Empty],
            vec![t("x")],
            vec![t("y"), Value::Empty],
        ],
        100,
    );
    let found: Vec<(u64, ViolationRule)> = r.violations.iter().map(|v| (v.row, v.rule)).collect();
    assert_eq!(found, [(2, R::BlankRow)]);
}
