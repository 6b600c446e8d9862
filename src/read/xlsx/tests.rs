//! The xlsx reader on hand-made packages: what other producers write (prefixes, no
//! `r` attributes, inline rich text, OOXML escapes), the one-pass and two-pass paths,
//! and damaged files.

use std::io::{Cursor, Write};

use chrono::NaiveDate;

use crate::read::{read_table, Format, ReadError, ReadOptions};
use crate::table::{Collect, Value};

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

/// A one-sheet package around `sheet_xml` (the worksheet part), with a shared strings
/// table and styles: style 1 is a date, style 2 a custom duration.
fn package(sheet_xml: &str, strings: &[&str]) -> Vec<u8> {
    let sst: String = strings
        .iter()
        .map(|s| format!("<si><t>{s}</t></si>"))
        .collect();
    let sst = format!(
        r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{sst}</sst>"#
    );
    let members: [(&str, &str); 6] = [
        (
            "_rels/.rels",
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="/xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><x:sheets><x:sheet name="Data" sheetId="1" r:id="rIdS"/></x:sheets></x:workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/data.xml"/><Relationship Id="rIdT" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="strings.xml"/><Relationship Id="rIdY" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#,
        ),
        (
            "xl/styles.xml",
            r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="170" formatCode="[h]:mm"/></numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="170"/></cellXfs></styleSheet>"#,
        ),
        ("xl/strings.xml", &sst),
        ("xl/worksheets/data.xml", sheet_xml),
    ];
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in members {
        w.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("zip entry");
        w.write_all(data.as_bytes()).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

fn sheet(dimension: Option<&str>, rows: &str) -> String {
    let dim = dimension.map_or(String::new(), |d| format!(r#"<dimension ref="{d}"/>"#));
    format!(
        r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dim}<sheetData>{rows}</sheetData></worksheet>"#
    )
}

fn read(bytes: Vec<u8>, options: &ReadOptions) -> Result<Collect, ReadError> {
    let mut sink = Collect::default();
    read_table(
        Format::Xlsx,
        "t.xlsx",
        Cursor::new(bytes),
        options,
        &mut sink,
    )?;
    Ok(sink)
}

fn ok(bytes: Vec<u8>) -> Collect {
    read(bytes, &ReadOptions::default()).expect("a valid workbook")
}

#[test]
fn every_cell_type_reads_as_a_person_sees_it() {
    let rows = r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c><c r="F1" t="s"><v>5</v></c><c r="G1" t="s"><v>6</v></c></row>
<row r="2"><c r="A2" t="inlineStr"><is><r><t>Rich </t></r><r><rPr><b/></rPr><t>_x000D_text &amp; &#233;t&#xE9;</t></r><rPh><t>ルビ</t></rPh></is></c><c r="B2" s="1"><v>45351</v></c><c r="C2" s="2"><v>1.5</v></c><c r="D2" t="b"><v>1</v></c><c r="E2" t="str"><f>A1&amp;"x"</f><v>computed</v></c><c r="F2" t="e"><v>#DIV/0!</v></c><c r="G2"><f>1/3</f><v>0.33333333333333331</v></c></row>"#;
    let t = ok(package(
        &sheet(Some("A1:G2"), rows),
        &["text", "date", "span", "ok", "formula", "error", "third"],
    ));
    assert_eq!(
        t.info.headers,
        ["text", "date", "span", "ok", "formula", "error", "third"]
    );
    assert_eq!(
        t.rows,
        [(
            2,
            vec![
                text("Rich \rtext & été"),
                Value::Date(NaiveDate::from_ymd_opt(2024, 2, 29).expect("leap day")),
                Value::Duration("PT36H".into()),
                Value::Bool(true),
                text("computed"),
                Value::Error("#DIV/0!".into()),
                Value::Float(0.333_333_333_333_333_3),
            ]
        )]
    );
}

#[test]
fn prefixed_elements_and_missing_references_follow_document_order() {
    let xml = r#"<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData><x:row><x:c t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c><x:c t="inlineStr"><x:is><x:t>b</x:t></x:is></x:c></x:row><x:row><x:c><x:v>1</x:v></x:c><x:c><x:v>2</x:v></x:c></x:row><x:row r="5"><x:c r="B5"><x:v>3</x:v></x:c></x:row></x:sheetData></x:worksheet>"#;
    let t = ok(package(xml, &[]));
    assert_eq!(t.info.headers, ["a", "b"]);
    let numbers: Vec<u64> = t.rows.iter().map(|r| r.0).collect();
    assert_eq!(
        numbers,
        [2, 3, 4, 5],
        "rows 3 and 4 are empty rows in the middle"
    );
    assert_eq!(t.rows[3].1, [Value::Empty, Value::Int(3)]);
}

/// The same table, declared four ways: the one-pass path and the two-pass path must
/// give the same rows.
#[test]
fn one_pass_and_two_passes_agree() {
    let rows = r#"<row r="2"><c r="B2" t="inlineStr"><is><t>id</t></is></c><c r="C2" t="inlineStr"><is><t>name</t></is></c></row>
<row r="3"><c r="B3"><v>1</v></c><c r="C3" t="inlineStr"><is><t>x</t></is></c><c r="D3" s="1"/></row>
<row r="4"/><row r="5"><c r="B5"><v>2</v></c></row><row r="6"><c r="C6" s="1"/></row><row r="7"/>"#;
    let reference = ok(package(&sheet(None, rows), &[]));
    assert_eq!(reference.info.headers, ["id", "name"]);
    assert_eq!(
        reference.rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        [3, 4, 5],
        "trailing empty rows are dropped, the middle one kept"
    );
    for dim in ["B2:C7", "A1:D7", "A1", "B2:C5"] {
        let t = ok(package(&sheet(Some(dim), rows), &[]));
        assert_eq!(
            (&t.info.headers, &t.rows),
            (&reference.info.headers, &reference.rows),
            "{dim}"
        );
        assert_eq!(t.info.first_column, 1, "{dim}");
    }
}

#[test]
fn a_value_outside_the_declared_range_is_refused_not_dropped() {
    let rows = r#"<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row><row r="2"><c r="C2"><v>3</v></c></row>"#;
    let err = read(
        package(&sheet(Some("A1:B2"), rows), &[]),
        &ReadOptions::default(),
    )
    .expect_err("the file contradicts itself");
    let msg = err.to_string();
    assert!(msg.contains("C2") && msg.contains("read.range"), "{msg}");
    // Without the wrong dimension, the third column is simply part of the table.
    let t = ok(package(&sheet(None, rows), &[]));
    assert_eq!(t.info.headers, ["1", "2", "column_C"]);
}

#[test]
fn a_range_and_a_header_row_cut_the_table_in_one_pass_too() {
    let rows = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>title</t></is></c></row><row r="2"><c r="A2"><v>10</v></c><c r="B2"><v>20</v></c><c r="C2"><v>30</v></c></row><row r="3"><c r="A3"><v>11</v></c><c r="B3"><v>21</v></c><c r="C3"><v>31</v></c></row>"#;
    let options = ReadOptions {
        range: Some("B2:C3".into()),
        ..ReadOptions::default()
    };
    for dim in [None, Some("A1:C3")] {
        let t = read(package(&sheet(dim, rows), &[]), &options).expect("valid");
        assert_eq!(t.info.headers, ["20", "30"], "{dim:?}");
        assert_eq!(
            t.rows,
            [(3, vec![Value::Int(21), Value::Int(31)])],
            "{dim:?}"
        );
    }
    let options = ReadOptions {
        header_row: Some(2),
        ..ReadOptions::default()
    };
    let t = read(package(&sheet(Some("A1:C3"), rows), &[]), &options).expect("valid");
    assert_eq!(t.info.headers, ["10", "20", "30"]);
    assert_eq!(t.rows.len(), 1);
}

#[test]
fn damaged_sheets_are_refused_with_where_and_what() {
    let truncated = r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1"><v>1</v></c>"#;
    let bad_index = sheet(None, r#"<row r="1"><c r="A1" t="s"><v>7</v></c></row>"#);
    let bad_number = sheet(
        None,
        r#"<row r="1"><c r="B1"><v>1</v></c><c r="C1" t="n"><v>abc</v></c></row>"#,
    );
    let bad_type = sheet(None, r#"<row r="1"><c r="A1" t="zz"><v>1</v></c></row>"#);
    let dtd = r#"<!DOCTYPE worksheet [<!ENTITY x "boom">]><worksheet><sheetData/></worksheet>"#;
    for (xml, want) in [
        (truncated.to_string(), "truncated"),
        (bad_index, "shared string 7"),
        (bad_number, "not a number"),
        (bad_type, "unknown type"),
        (dtd.to_string(), "DTD"),
    ] {
        let err = read(package(&xml, &["one"]), &ReadOptions::default()).expect_err(want);
        let msg = err.to_string();
        assert!(
            msg.contains("t.xlsx") && msg.contains(want),
            "{want}: {msg}"
        );
    }
}

#[test]
fn the_cell_limit_holds_in_both_paths() {
    let rows = r#"<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row><row r="2"><c r="A2"><v>3</v></c><c r="B2"><v>4</v></c></row>"#;
    let options = ReadOptions {
        limits: crate::read::Limits {
            max_cells: 3,
            ..crate::read::Limits::default()
        },
        ..ReadOptions::default()
    };
    for dim in [None, Some("A1:B2")] {
        let err = read(package(&sheet(dim, rows), &[]), &options).expect_err("over the limit");
        assert!(err.to_string().contains("max_cells"), "{err}");
    }
}

#[test]
fn sheet_names_come_from_the_workbook_part() {
    let names = crate::read::sheet_names(
        Format::Xlsx,
        "t.xlsx",
        Cursor::new(package(&sheet(None, ""), &[])),
    )
    .expect("valid");
    assert_eq!(names, ["Data"]);
}

/// Hostile or damaged sheets: every truncation of a sheet part is refused or gives the
/// whole table; byte swaps give an error or a table no shorter, never a panic or a hang.
#[test]
fn damaged_sheet_parts_never_panic() {
    let good = sheet(
        Some("A1:C3"),
        r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><r><t>b&amp;</t></r></is></c><c r="C1" s="1"><v>45351.5</v></c></row><row r="2"><c r="A2" t="b"><v>1</v></c><c r="B2" t="e"><v>#N/A</v></c><c r="C2" s="2"><f>1</f><v>2.25</v></c></row><row r="3"><c r="C3" t="str"><v>x_x000D_</v></c></row>"#,
    );
    let bytes = good.as_bytes();
    let mut variants: Vec<Vec<u8>> = (0..bytes.len())
        .step_by(3)
        .map(|n| bytes[..n].to_vec())
        .collect();
    for (i, swap) in (0..bytes.len())
        .step_by(5)
        .zip([b'<', b'"', b'&', b'/', 0xFF, b'9', b'>'].iter().cycle())
    {
        let mut v = bytes.to_vec();
        v[i] = *swap;
        variants.push(v);
    }
    let whole = ok(package(&good, &["one"]));
    let truncations = bytes.len().div_ceil(3);
    for (k, v) in variants.into_iter().enumerate() {
        let xml = String::from_utf8_lossy(&v).into_owned();
        let Ok(t) = read(package(&xml, &["one"]), &ReadOptions::default()) else {
            continue;
        };
        if k < truncations {
            // Cut short: refused, or (cut after the table) the same table.
            assert_eq!(
                (&t.info.headers, &t.rows),
                (&whole.info.headers, &whole.rows),
                "cut at {}",
                k * 3
            );
        } else if t.info.sheet == whole.info.sheet {
            // (A changed byte may change which sheet is the first visible one.)
            assert!(
                t.rows.len() >= whole.rows.len()
                    && t.info.headers.len() >= whole.info.headers.len(),
                "swap {k}: {} rows, {} columns: {}",
                t.rows.len(),
                t.info.headers.len(),
                &xml[((k - truncations) * 5).saturating_sub(40)..][..80]
            );
        }
    }
}

#[test]
fn far_apart_cells_are_bounded_by_the_cell_limit() {
    let far = sheet(
        None,
        r#"<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row><row r="1048576"><c r="A1048576"><v>3</v></c></row>"#,
    );
    let options = ReadOptions {
        limits: crate::read::Limits {
            max_cells: 1_000,
            ..crate::read::Limits::default()
        },
        ..ReadOptions::default()
    };
    let err = read(package(&far, &[]), &options).expect_err("two million empty cells");
    assert!(err.to_string().contains("max_cells"), "{err}");
    let beyond = sheet(
        None,
        r#"<row r="4000000000"><c r="A4000000000"><v>1</v></c></row>"#,
    );
    let err = read(package(&beyond, &[]), &ReadOptions::default()).expect_err("past XFD1048576");
    assert!(err.to_string().contains("1048576"), "{err}");
}

/// A sheet part of `rows` rows of one number each: about 30 bytes a row that deflate to
/// almost nothing.
fn long_sheet(rows: u32) -> String {
    let rows: String = (1..=rows)
        .map(|r| format!(r#"<row r="{r}"><c r="A{r}"><v>1</v></c></row>"#))
        .collect();
    sheet(None, &rows)
}

fn with_limits(limits: crate::read::Limits) -> ReadOptions {
    ReadOptions {
        limits,
        ..ReadOptions::default()
    }
}

#[test]
fn a_zip_whose_headers_understate_its_sizes_is_refused_by_what_it_inflates_to() {
    let lying = crate::read::guard::lie_about_sizes(package(&long_sheet(200_000), &[]), 1000);
    // Over the size limit (the ratio limit out of the way)...
    let options = with_limits(crate::read::Limits {
        max_uncompressed_bytes: 2 << 20,
        max_compression_ratio: u32::MAX,
        ..crate::read::Limits::default()
    });
    match read(lying.clone(), &options) {
        Err(ReadError::Limit { limit, what, .. }) => {
            assert_eq!(limit, "max_uncompressed_bytes");
            assert!(what.contains("xl/worksheets/data.xml"), "{what}");
        }
        other => panic!("{:?}", other.map(|t| t.rows.len())),
    }
    // ...and over the ratio limit (the headers' 1,000 bytes would pass it).
    let options = with_limits(crate::read::Limits {
        max_compression_ratio: 5,
        ..crate::read::Limits::default()
    });
    match read(lying, &options) {
        Err(ReadError::Limit { limit, .. }) => assert_eq!(limit, "max_compression_ratio"),
        other => panic!("{:?}", other.map(|t| t.rows.len())),
    }
    // The same workbook told truthfully reads whole under generous limits.
    let honest = package(&long_sheet(200_000), &[]);
    let t = read(
        honest,
        &with_limits(crate::read::Limits {
            max_compression_ratio: u32::MAX,
            ..crate::read::Limits::default()
        }),
    )
    .expect("honest sizes, within the limits");
    assert_eq!(t.rows.len(), 199_999);
}

#[test]
fn a_cell_over_max_cell_chars_is_refused_with_its_place() {
    let long = "x".repeat(40_000);
    let inline = sheet(
        None,
        &format!(
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>h</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>{long}</t></is></c></row>"#
        ),
    );
    let shared = sheet(
        None,
        r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row><row r="3"><c r="A3" t="s"><v>1</v></c></row>"#,
    );
    for bytes in [package(&inline, &[]), package(&shared, &["h", &long])] {
        match read(bytes.clone(), &ReadOptions::default()) {
            Err(
                e @ ReadError::Limit {
                    limit: "max_cell_chars",
                    ..
                },
            ) => {
                assert!(
                    e.to_string().contains("cell A2 holds 40000 characters"),
                    "{e}"
                );
            }
            other => panic!("{:?}", other.map(|t| t.rows.len())),
        }
        let t = read(
            bytes,
            &with_limits(crate::read::Limits {
                max_cell_chars: 40_000,
                ..crate::read::Limits::default()
            }),
        )
        .expect("within a raised limit");
        assert_eq!(t.rows[0].1, [text(&long)]);
    }
}
