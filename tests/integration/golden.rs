//! Golden files: `ogpipe convert` on every case in `tests/golden/<case>/`, compared byte
//! for byte with the committed `data.csv`, `data.json` and `data.ndjson`.
//!
//! A case folder holds its input as `input.<ext>`, or a file `source` naming a sample by
//! its path from the repository root (`samples/data/regional_outreach.xls`), and
//! optionally `args` (extra `ogpipe convert` flags, one per line). A case whose input
//! `ogpipe convert` must refuse has `error.txt` instead of outputs: exit code 3 and a
//! message containing that text.
//!
//! `UPDATE_GOLDEN=1 cargo test golden` rewrites the expected files from the current
//! output; review the diff before committing it. The generated inputs (workbooks by
//! several producers, tricky CSV) are remade by the ignored test
//! `golden_inputs_are_regenerated` (`cargo test golden -- --ignored`), then the
//! expected outputs with `UPDATE_GOLDEN=1`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::BIN;

/// The outputs checked for every case: (`--to` value, expected file).
const OUTPUTS: [(&str, &str); 3] = [
    ("csv", "data.csv"),
    ("json", "data.json"),
    ("ndjson", "data.ndjson"),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn golden_dir() -> PathBuf {
    root().join("tests/golden")
}

struct Case {
    name: String,
    dir: PathBuf,
    input: PathBuf,
    args: Vec<String>,
}

fn cases() -> Vec<Case> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .expect("tests/golden exists")
        .map(|e| e.expect("readable entry").path())
        // `report/` holds the progress report's golden files (tests/integration/ops.rs).
        .filter(|p| p.is_dir() && !p.ends_with("report"))
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            let input = match std::fs::read_to_string(dir.join("source")) {
                Ok(rel) => root().join(rel.trim()),
                Err(_) => std::fs::read_dir(&dir)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .find(|p| {
                        p.file_stem().is_some_and(|s| s == "input")
                            && p.extension().is_some_and(|e| e != "txt")
                    })
                    .unwrap_or_else(|| panic!("{name}: no input.<ext> and no source file")),
            };
            let args = std::fs::read_to_string(dir.join("args"))
                .map(|t| {
                    t.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            Case {
                name,
                dir,
                input,
                args,
            }
        })
        .collect()
}

/// Runs `ogpipe convert` into a temporary file and returns its bytes.
fn convert(case: &Case, to: &str, out_dir: &Path) -> Result<Vec<u8>, String> {
    let out = out_dir.join(format!("{}.{to}", case.name));
    let output = Command::new(BIN)
        .arg("convert")
        .arg(&case.input)
        .args(["--to", to, "-o"])
        .arg(&out)
        .args(&case.args)
        .output()
        .map_err(|e| format!("cannot start {BIN}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "ogpipe convert exited with {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    std::fs::read(&out).map_err(|e| format!("no output written: {e}"))
}

/// A line diff (longest common subsequence; golden files are small), with line breaks
/// and control characters shown, so a CRLF or a stray space is visible.
fn diff(expected: &[u8], actual: &[u8]) -> String {
    let split = |b: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(b)
            .split_inclusive('\n')
            .map(|l| l.escape_debug().to_string())
            .collect()
    };
    let (a, b) = (split(expected), split(actual));
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = String::from("--- expected\n+++ actual\n");
    let (mut i, mut j, mut shown) = (0, 0, 0);
    while (i < n || j < m) && shown < 60 {
        if i < n && j < m && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            let _ = writeln!(out, "+{:>4} {}", j + 1, b[j]);
            j += 1;
            shown += 1;
        } else {
            let _ = writeln!(out, "-{:>4} {}", i + 1, a[i]);
            i += 1;
            shown += 1;
        }
    }
    if shown == 60 {
        out.push_str("… (diff cut at 60 lines)\n");
    }
    out
}

#[test]
fn conversions_match_golden_files() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| !v.is_empty() && v != "0");
    let tmp = tempfile::tempdir().unwrap();
    let cases = cases();
    assert!(cases.len() >= 8, "golden cases went missing");
    let mut failures = Vec::new();
    for case in &cases {
        if let Ok(want) = std::fs::read_to_string(case.dir.join("error.txt")) {
            let got = Command::new(BIN)
                .arg("convert")
                .arg(&case.input)
                .args(&case.args)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&got.stderr);
            // An unreadable file is rejected (exit 1), as a run rejects it.
            if got.status.code() != Some(1) || !stderr.contains(want.trim()) {
                failures.push(format!(
                    "{}: expected exit 1 and {:?}, got {} with:\n{stderr}",
                    case.name,
                    want.trim(),
                    got.status
                ));
            }
            continue;
        }
        for (to, file) in OUTPUTS {
            let expected_path = case.dir.join(file);
            let actual = match convert(case, to, tmp.path()) {
                Ok(bytes) => bytes,
                Err(e) => {
                    failures.push(format!("{}/{file}: {e}", case.name));
                    continue;
                }
            };
            if update {
                std::fs::write(&expected_path, &actual).unwrap();
                continue;
            }
            match std::fs::read(&expected_path) {
                Ok(expected) if expected == actual => {}
                Ok(expected) => failures.push(format!(
                    "{}/{file} differs:\n{}",
                    case.name,
                    diff(&expected, &actual)
                )),
                Err(_) => failures.push(format!(
                    "{}/{file} is missing; run UPDATE_GOLDEN=1 cargo test golden and review it",
                    case.name
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden file(s) do not match (UPDATE_GOLDEN=1 cargo test golden rewrites them; review the diff):\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn golden_json_outputs_parse_as_json() {
    for case in cases() {
        let Ok(text) = std::fs::read_to_string(case.dir.join("data.json")) else {
            continue;
        };
        serde_json::from_str::<serde_json::Value>(&text)
            .unwrap_or_else(|e| panic!("{}/data.json: {e}", case.name));
        let lines = std::fs::read_to_string(case.dir.join("data.ndjson")).unwrap_or_default();
        for (i, line) in lines.lines().enumerate() {
            serde_json::from_str::<serde_json::Value>(line)
                .unwrap_or_else(|e| panic!("{}/data.ndjson line {}: {e}", case.name, i + 1));
        }
    }
}

#[test]
fn the_diff_shows_line_ends_and_changed_lines() {
    let d = diff(b"a,b\r\n1,2\r\n", b"a,b\r\n1,3\n");
    assert!(d.contains("-   2 1,2\\r\\n"), "{d}");
    assert!(d.contains("+   2 1,3\\n"), "{d}");
    assert!(!d.contains("a,b"), "{d}");
}

// ---------------------------------------------------------------------------------------
// Inputs: `cargo test golden_inputs_are_regenerated -- --ignored`
// ---------------------------------------------------------------------------------------

#[test]
#[ignore = "rewrites the committed golden inputs; run by hand, then UPDATE_GOLDEN=1"]
fn golden_inputs_are_regenerated() {
    let g = golden_dir();
    write_input(&g.join("xlsx_excel/input.xlsx"), &excel_workbook());
    write_input(
        &g.join("xlsx_inline_1904/input.xlsx"),
        &inline_1904_workbook(),
    );
    write_input(&g.join("ods_libreoffice/input.ods"), &libreoffice_ods());
    write_input(&g.join("csv_utf8_text/input.csv"), CSV_TEXT.as_bytes());
    write_input(
        &g.join("xml_namespaces/input.xml"),
        XML_NAMESPACES.as_bytes(),
    );
}

fn write_input(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Excel-style: rust_xlsxwriter writes shared strings, styles with number formats and
/// formulas with their cached values, as Excel does. One tricky value per row.
fn excel_workbook() -> Vec<u8> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime as D, Format, Formula, Workbook};
    let mut wb = Workbook::new();
    let fixed = D::from_ymd(2024, 1, 1).unwrap();
    wb.set_properties(&DocProperties::new().set_creation_datetime(&fixed));
    let ws = wb.add_worksheet().set_name("Values").unwrap();
    let fmt = |f: &str| Format::new().set_num_format(f);
    ws.write_string(0, 0, "case").unwrap();
    ws.write_string(0, 1, "value").unwrap();
    ws.write_string(0, 2, "note").unwrap();
    let mut row = 0u32;
    let mut next = |ws: &mut rust_xlsxwriter::Worksheet, name: &str| {
        row += 1;
        ws.write_string(row, 0, name).unwrap();
        row
    };
    // Numbers
    let r = next(ws, "integer");
    ws.write_number(r, 1, 42.0).unwrap();
    let r = next(ws, "negative integer");
    ws.write_number(r, 1, -7.0).unwrap();
    let r = next(ws, "2^53");
    ws.write_number(r, 1, 9_007_199_254_740_992.0).unwrap();
    let r = next(ws, "1e20");
    ws.write_number(r, 1, 1e20).unwrap();
    let r = next(ws, "0.1+0.2");
    ws.write_number(r, 1, 0.1 + 0.2).unwrap();
    let r = next(ws, "one third");
    ws.write_number(r, 1, 1.0 / 3.0).unwrap();
    let r = next(ws, "decimal");
    ws.write_number(r, 1, 1234.5678).unwrap();
    let r = next(ws, "tiny");
    ws.write_number(r, 1, 1e-10).unwrap();
    let r = next(ws, "negative zero");
    ws.write_number(r, 1, -0.0).unwrap();
    let r = next(ws, "percent format");
    ws.write_number_with_format(r, 1, 0.125, &fmt("0.0%"))
        .unwrap();
    let r = next(ws, "currency format");
    ws.write_number_with_format(r, 1, 1234.5, &fmt("\"$\"#,##0.00"))
        .unwrap();
    // Dates and times (1900 system)
    let r = next(ws, "date");
    ws.write_datetime_with_format(r, 1, D::from_ymd(2024, 2, 29).unwrap(), &fmt("yyyy-mm-dd"))
        .unwrap();
    let r = next(ws, "date 1900-01-01");
    ws.write_datetime_with_format(r, 1, D::from_ymd(1900, 1, 1).unwrap(), &fmt("yyyy-mm-dd"))
        .unwrap();
    let r = next(ws, "date 1900-03-01");
    ws.write_datetime_with_format(r, 1, D::from_ymd(1900, 3, 1).unwrap(), &fmt("d mmm yyyy"))
        .unwrap();
    let r = next(ws, "datetime");
    let dt = D::from_ymd(2024, 3, 15)
        .unwrap()
        .and_hms(13, 45, 30)
        .unwrap();
    ws.write_datetime_with_format(r, 1, &dt, &fmt("yyyy-mm-dd hh:mm:ss"))
        .unwrap();
    let r = next(ws, "datetime with milliseconds");
    let dt = D::from_ymd(2024, 3, 15)
        .unwrap()
        .and_hms_milli(13, 45, 30, 250)
        .unwrap();
    ws.write_datetime_with_format(r, 1, &dt, &fmt("yyyy-mm-dd hh:mm:ss.000"))
        .unwrap();
    let r = next(ws, "datetime at midnight");
    let dt = D::from_ymd(2024, 3, 15).unwrap().and_hms(0, 0, 0).unwrap();
    ws.write_datetime_with_format(r, 1, &dt, &fmt("yyyy-mm-dd hh:mm"))
        .unwrap();
    let r = next(ws, "time");
    ws.write_datetime_with_format(r, 1, D::from_hms(8, 30, 0).unwrap(), &fmt("hh:mm:ss"))
        .unwrap();
    let r = next(ws, "duration");
    ws.write_number_with_format(r, 1, 1.5 + 0.5 / 24.0, &fmt("[h]:mm"))
        .unwrap();
    // Booleans
    let r = next(ws, "true");
    ws.write_boolean(r, 1, true).unwrap();
    let r = next(ws, "false");
    ws.write_boolean(r, 1, false).unwrap();
    // Formulas: their cached values
    let r = next(ws, "formula number");
    ws.write_formula(r, 1, Formula::new("=1+2").set_result("3"))
        .unwrap();
    let r = next(ws, "formula decimal");
    ws.write_formula(
        r,
        1,
        Formula::new("=0.1+0.2").set_result("0.30000000000000004"),
    )
    .unwrap();
    let r = next(ws, "formula text");
    ws.write_formula(r, 1, Formula::new("=UPPER(\"abc\")").set_result("ABC"))
        .unwrap();
    let r = next(ws, "formula boolean");
    ws.write_formula(r, 1, Formula::new("=1>0").set_result("TRUE"))
        .unwrap();
    let r = next(ws, "error #N/A");
    ws.write_formula(r, 1, Formula::new("=NA()").set_result("#N/A"))
        .unwrap();
    let r = next(ws, "error #DIV/0!");
    ws.write_formula(r, 1, Formula::new("=1/0").set_result("#DIV/0!"))
        .unwrap();
    // Text
    for (name, text) in [
        ("accents", "Québec — Île-du-Prince-Édouard, Zoë, Ça va"),
        ("quotes", "He said \"hi\" and 'bye'"),
        ("commas", "a, b, c"),
        ("line break", "line 1\nline 2"),
        ("leading zeros", "007"),
        ("surrounding spaces", "  padded  "),
        ("formula-like text", "=HYPERLINK(\"http://x\")"),
        ("signed number as text", "-12.5"),
        ("astral plane", "maple 🍁"),
    ] {
        let r = next(ws, name);
        ws.write_string(r, 1, text).unwrap();
    }
    let r = next(ws, "empty");
    ws.write_string(r, 2, "value left empty").unwrap();
    wb.save_to_buffer().unwrap()
}

/// A non-Excel producer: inline strings, no shared strings table, the 1904 date system,
/// error and boolean cells typed by hand.
fn inline_1904_workbook() -> Vec<u8> {
    let sheet = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>case</t></is></c><c r="B1" t="inlineStr"><is><t>value</t></is></c></row>
<row r="2"><c r="A2" t="inlineStr"><is><t>inline text</t></is></c><c r="B2" t="inlineStr"><is><t>été à Montréal</t></is></c></row>
<row r="3"><c r="A3" t="inlineStr"><is><t>inline spaces</t></is></c><c r="B3" t="inlineStr"><is><t xml:space="preserve">  two spaces  </t></is></c></row>
<row r="4"><c r="A4" t="inlineStr"><is><t>inline rich text</t></is></c><c r="B4" t="inlineStr"><is><r><t>bold</t></r><r><t xml:space="preserve"> and plain</t></r></is></c></row>
<row r="5"><c r="A5" t="inlineStr"><is><t>inline entities</t></is></c><c r="B5" t="inlineStr"><is><t>a &lt; b &amp; "c"</t></is></c></row>
<row r="6"><c r="A6" t="inlineStr"><is><t>error #N/A</t></is></c><c r="B6" t="e"><v>#N/A</v></c></row>
<row r="7"><c r="A7" t="inlineStr"><is><t>error #DIV/0!</t></is></c><c r="B7" t="e"><v>#DIV/0!</v></c></row>
<row r="8"><c r="A8" t="inlineStr"><is><t>boolean</t></is></c><c r="B8" t="b"><v>1</v></c></row>
<row r="9"><c r="A9" t="inlineStr"><is><t>1904 serial 0</t></is></c><c r="B9" s="1"><v>0</v></c></row>
<row r="10"><c r="A10" t="inlineStr"><is><t>1904 date</t></is></c><c r="B10" s="1"><v>43524</v></c></row>
<row r="11"><c r="A11" t="inlineStr"><is><t>1904 datetime</t></is></c><c r="B11" s="2"><v>43524.75</v></c></row>
<row r="12"><c r="A12" t="inlineStr"><is><t>time</t></is></c><c r="B12" s="3"><v>0.5</v></c></row>
<row r="13"><c r="A13" t="inlineStr"><is><t>formula cached</t></is></c><c r="B13"><f>1+1</f><v>2</v></c></row>
<row r="14"><c r="A14" t="inlineStr"><is><t>formula string</t></is></c><c r="B14" t="str"><f>"a"&amp;"b"</f><v>ab</v></c></row>
<row r="15"><c r="A15" t="inlineStr"><is><t>untyped decimal</t></is></c><c r="B15"><v>0.30000000000000004</v></c></row>
<row r="16"><c r="A16" t="inlineStr"><is><t>exponent</t></is></c><c r="B16" t="n"><v>1E-3</v></c></row>
<row r="17"><c r="A17" t="inlineStr"><is><t>no value</t></is></c></row>
<row r="19"><c r="A19" t="inlineStr"><is><t>after a missing row</t></is></c><c r="B19"><v>19</v></c></row>
</sheetData></worksheet>"#;
    let styles = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\-mm\-dd"/></numFmts>
<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="22" applyNumberFormat="1"/><xf numFmtId="21" applyNumberFormat="1"/></cellXfs>
</styleSheet>"#;
    zip_parts(&[
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr date1904="1"/><sheets><sheet name="Inline" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#,
        ),
        ("xl/styles.xml", styles),
        ("xl/worksheets/sheet1.xml", sheet),
    ])
}

/// LibreOffice-style ods: typed `office:value-type` cells, paragraphs for line breaks,
/// `text:s` for runs of spaces, repeated cells.
fn libreoffice_ods() -> Vec<u8> {
    let row = |case: &str, cell: &str| {
        format!(
            "<table:table-row><table:table-cell office:value-type=\"string\"><text:p>{case}</text:p></table:table-cell>{cell}</table:table-row>\n"
        )
    };
    let mut rows = String::new();
    rows.push_str(&row(
        "case",
        "<table:table-cell office:value-type=\"string\"><text:p>value</text:p></table:table-cell>",
    ));
    for (case, cell) in [
        (
            "float integral",
            r#"<table:table-cell office:value-type="float" office:value="42"><text:p>42</text:p></table:table-cell>"#,
        ),
        (
            "float 0.1+0.2",
            r#"<table:table-cell office:value-type="float" office:value="0.30000000000000004"><text:p>0.3</text:p></table:table-cell>"#,
        ),
        (
            "percentage",
            r#"<table:table-cell office:value-type="percentage" office:value="0.125"><text:p>12.5%</text:p></table:table-cell>"#,
        ),
        (
            "currency",
            r#"<table:table-cell office:value-type="currency" office:currency="CAD" office:value="1234.5"><text:p>1 234,50 $</text:p></table:table-cell>"#,
        ),
        (
            "date",
            r#"<table:table-cell office:value-type="date" office:date-value="2024-02-29"><text:p>2024-02-29</text:p></table:table-cell>"#,
        ),
        (
            "datetime",
            r#"<table:table-cell office:value-type="date" office:date-value="2024-03-15T13:45:30"><text:p>2024-03-15 13:45:30</text:p></table:table-cell>"#,
        ),
        (
            "time",
            r#"<table:table-cell office:value-type="time" office:time-value="PT08H30M00S"><text:p>08:30:00</text:p></table:table-cell>"#,
        ),
        (
            "duration",
            r#"<table:table-cell office:value-type="time" office:time-value="PT36H30M00S"><text:p>36:30:00</text:p></table:table-cell>"#,
        ),
        (
            "boolean",
            r#"<table:table-cell office:value-type="boolean" office:boolean-value="true"><text:p>TRUE</text:p></table:table-cell>"#,
        ),
        (
            "two paragraphs",
            r#"<table:table-cell office:value-type="string"><text:p>line 1</text:p><text:p>line 2</text:p></table:table-cell>"#,
        ),
        (
            "accents and quotes",
            r#"<table:table-cell office:value-type="string"><text:p>Protégé « citation » "quoted", d'accord</text:p></table:table-cell>"#,
        ),
        (
            "runs of spaces",
            r#"<table:table-cell office:value-type="string"><text:p>a<text:s text:c="3"/>b</text:p></table:table-cell>"#,
        ),
        (
            "leading zeros",
            r#"<table:table-cell office:value-type="string"><text:p>007</text:p></table:table-cell>"#,
        ),
        (
            "formula cached",
            r#"<table:table-cell table:formula="of:=1+2" office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell>"#,
        ),
        ("empty", r#"<table:table-cell/>"#),
    ] {
        rows.push_str(&row(case, cell));
    }
    rows.push_str("<table:table-row table:number-rows-repeated=\"2\"><table:table-cell table:number-columns-repeated=\"2\"/></table:table-row>\n");
    rows.push_str(&row(
        "after empty rows",
        r#"<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>"#,
    ));
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"><office:body><office:spreadsheet><table:table table:name="Feuille1"><table:table-column table:number-columns-repeated="2"/>
{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    zip_parts(&[
        ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
        (
            "META-INF/manifest.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#,
        ),
        ("content.xml", &content),
    ])
}

/// A zip of `(name, text)` parts; `mimetype` is stored uncompressed, as ods requires.
fn zip_parts(parts: &[(&str, &str)]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let fixed = zip::DateTime::from_date_and_time(2024, 1, 1, 0, 0, 0).unwrap();
    for (name, text) in parts {
        let method = if *name == "mimetype" {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let opts = SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(fixed);
        w.start_file(*name, opts).unwrap();
        w.write_all(text.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// UTF-8 CSV (no BOM) with every text hazard: quotes, delimiters and line breaks inside
/// quotes, leading zeros, surrounding spaces, formula-like text, empty cells, a short
/// row.
const CSV_TEXT: &str = "id,name,note,amount\r\n\
007,\"Zoë \"\"the\"\" one\",\"a, b\nc\",1.50\r\n\
008, padded ,,-12.5\r\n\
009,=HYPERLINK(\"x\"),@SUM(A1),+1e3\r\n\
010,Québec\r\n\
011,\"\",\"\"\"\",0.1\r\n";

/// XML for automatic mode: a default namespace and a prefixed one, attributes with
/// `xml:lang`, nested leaves, entities, a character reference, CDATA, an empty element
/// and a record missing a column.
const XML_NAMESPACES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<publications xmlns="http://example.org/ogpipe/publications" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <publication id="PUB-2020-01" type="report">
    <dc:title xml:lang="en">Public Report 2019</dc:title>
    <dc:date>2020-05-20</dc:date>
    <pages>48</pages>
    <author><name>Zoë d'Arcy</name><unit>Communications</unit></author>
    <summary>Threats, trends &amp; "outlook"&#10;second line</summary>
  </publication>
  <publication id="PUB-2023-02" type="brochure">
    <dc:title xml:lang="fr">L'ingérence étrangère &amp; vous</dc:title>
    <dc:date>2023-06-01</dc:date>
    <pages>007</pages>
    <author><name>  Équipe  </name><unit/></author>
    <summary><![CDATA[<b>not markup</b>, kept as text]]></summary>
  </publication>
  <publication id="PUB-2024-01" type="guide">
    <dc:title xml:lang="en">=HYPERLINK("x")</dc:title>
    <dc:date>2024-01-15</dc:date>
    <author><name>Unit 5</name><unit>Research</unit></author>
  </publication>
</publications>
"#;
