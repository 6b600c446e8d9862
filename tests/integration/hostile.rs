//! Hostile, damaged and awkward input through the real binary (issue 18): each file is
//! refused with a message naming it, or read right; never a crash, never a silently
//! shorter table.

use std::io::{Cursor, Write};

use crate::support::Workdir;

/// A workbook with one small sheet per name, written by rust_xlsxwriter.
fn workbook(names: &[&str]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for name in names {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        ws.write_string(0, 0, "sheet").unwrap();
        ws.write_string(1, 0, *name).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

/// A hand-made xlsx whose one sheet part is `sheet_xml`, its members' uncompressed
/// sizes replaced by `claimed` when given.
fn xlsx(workbook_xml: &str, sheet_xml: &str, claimed: Option<u32>) -> Vec<u8> {
    let members = [
        (
            "_rels/.rels",
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        ("xl/workbook.xml", workbook_xml),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
        ("xl/worksheets/sheet1.xml", sheet_xml),
    ];
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in members {
        w.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data.as_bytes()).unwrap();
    }
    let mut zip = w.finish().unwrap().into_inner();
    if let Some(claimed) = claimed {
        // Local header: uncompressed size at +22; central header: at +24.
        for i in 0..zip.len().saturating_sub(46) {
            let at = match &zip[i..i + 4] {
                b"PK\x03\x04" => i + 22,
                b"PK\x01\x02" => i + 24,
                _ => continue,
            };
            zip[at..at + 4].copy_from_slice(&claimed.to_le_bytes());
        }
    }
    zip
}

const ONE_SHEET: &str = r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rIdS"/></sheets></workbook>"#;

#[test]
fn a_zip_bomb_with_lying_headers_is_refused_by_what_it_inflates_to() {
    let w = Workdir::with_samples();
    // 40 MiB of one repeated row: deflates about 1000 times, headers say 1,000 bytes.
    let row = r#"<row><c t="inlineStr"><is><t>aaaaaaaaaaaaaaaa</t></is></c></row>"#;
    let rows = row.repeat((40 << 20) / row.len());
    let sheet = format!(
        r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#
    );
    std::fs::write(w.path("bomb.xlsx"), xlsx(ONE_SHEET, &sheet, Some(1000))).unwrap();
    let out = w.run(&["convert", "bomb.xlsx", "-o", "bomb.csv"]);
    assert_eq!(out.code(), 1, "{}", out.stderr());
    assert!(
        out.stderr().contains("file \"bomb.xlsx\"")
            && out.stderr().contains("max_compression_ratio")
            && out.stderr().contains("xl/worksheets/sheet1.xml"),
        "{}",
        out.stderr()
    );
    assert!(
        !w.path("bomb.csv").exists(),
        "no output from a refused file"
    );
}

#[test]
fn sheet_all_with_no_sheets_is_an_error_not_silence() {
    let w = Workdir::with_samples();
    let empty = r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>"#;
    let sheet = r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>"#;
    std::fs::write(w.path("none.xlsx"), xlsx(empty, sheet, None)).unwrap();
    let out = w.run(&["convert", "none.xlsx", "--sheet", "all", "-o", "out"]);
    assert_ne!(out.code(), 0, "{}", out.stderr());
    assert!(
        out.stderr().contains("file \"none.xlsx\"") && out.stderr().contains("lists no sheets"),
        "{}",
        out.stderr()
    );
}

#[test]
fn sheets_are_chosen_by_name_and_positions_only_by_sheet_index() {
    let w = Workdir::with_samples();
    std::fs::write(w.path("years.xlsx"), workbook(&["2", "1", "2024"])).unwrap();
    let by_name = |name: &str| {
        w.run(&["convert", "years.xlsx", "--sheet", name])
            .expect(0)
            .stdout()
    };
    assert_eq!(
        by_name("1"),
        "sheet\r\n1\r\n",
        "the sheet named 1, not the second"
    );
    assert_eq!(by_name("2024"), "sheet\r\n2024\r\n");
    let second = w
        .run(&["convert", "years.xlsx", "--sheet-index", "1"])
        .expect(0)
        .stdout();
    assert_eq!(second, "sheet\r\n1\r\n");
    let out = w.run(&["convert", "years.xlsx", "--sheet", "5"]);
    assert_eq!(out.code(), 2, "{}", out.stderr());
    assert!(
        out.stderr().contains("has no sheet \"5\""),
        "{}",
        out.stderr()
    );
}

#[test]
fn sheet_all_never_writes_two_sheets_to_one_file() {
    let w = Workdir::with_samples();
    std::fs::write(w.path("alike.xlsx"), workbook(&["a b", "a.b", "a_b", "1"])).unwrap();
    w.run(&["convert", "alike.xlsx", "--sheet", "all", "-o", "out"])
        .expect(0);
    let mut written: Vec<(String, String)> = std::fs::read_dir(w.path("out"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let text = std::fs::read_to_string(e.path()).unwrap();
            (e.file_name().to_string_lossy().into_owned(), text)
        })
        .collect();
    written.sort();
    let names: Vec<&str> = written.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["1.csv", "a_b.csv", "a_b_2.csv", "a_b_3.csv"]);
    let mut contents: Vec<&str> = written.iter().map(|(_, t)| t.as_str()).collect();
    contents.sort();
    assert_eq!(
        contents,
        [
            "sheet\r\n1\r\n",
            "sheet\r\na b\r\n",
            "sheet\r\na.b\r\n",
            "sheet\r\na_b\r\n"
        ],
        "each sheet once, the sheet named 1 by its name"
    );
}

#[test]
fn convert_sniffs_content_and_refuses_an_xls_named_csv() {
    let w = Workdir::with_samples();
    std::fs::copy(
        w.path("samples/data/regional_outreach.xls"),
        w.path("renamed.csv"),
    )
    .unwrap();
    let out = w.run(&["convert", "renamed.csv"]);
    assert_eq!(out.code(), 1, "{}", out.stderr());
    assert!(
        out.stderr()
            .contains("file \"renamed.csv\": its name says csv but its content is xls"),
        "{}",
        out.stderr()
    );
    assert!(out.stdout().is_empty(), "nothing read as text");
}

#[test]
fn csv_read_silently_wrong_before_is_refused_naming_file_and_line() {
    let w = Workdir::with_samples();
    for (name, bytes, want) in [
        (
            "quote.csv",
            &b"id,name\n1,ok\n2,\"open\n3,x\n"[..],
            "file \"quote.csv\", line 3: a quoted value starts here and is never closed",
        ),
        (
            "mixed.csv",
            b"ville\nQu\xe9bec\nMontr\xc3\xa9al\n",
            "file \"mixed.csv\", line 3: the file mixes encodings",
        ),
        (
            "nul.csv",
            b"a,b\n1,2\n3,\x004\n",
            "file \"nul.csv\", line 3: the text holds a NUL byte",
        ),
        (
            "c1.csv",
            b"a,b\n1,\x81\n",
            "file \"c1.csv\", line 2: byte 0x81",
        ),
    ] {
        std::fs::write(w.path(name), bytes).unwrap();
        let out = w.run(&["convert", name]);
        assert_eq!(out.code(), 1, "{name}: {}", out.stderr());
        assert!(out.stderr().contains(want), "{name}: {}", out.stderr());
    }
    // UTF-16 with a byte-order mark (Excel's "Unicode Text") is read as such.
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(
        "nom\tville\r\nZoë\tMontréal\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    std::fs::write(w.path("unicode.csv"), utf16).unwrap();
    let out = w.run(&["convert", "unicode.csv"]).expect(0);
    assert_eq!(out.stdout(), "nom,ville\r\nZoë,Montréal\r\n");
}
