//! Workbook fixtures are built in memory: rust_xlsxwriter for Excel's own output, the
//! zip crate for hand-made xlsx (a non-Excel producer) and ods.

use std::io::{Cursor, Write};

use chrono::{NaiveDate, NaiveTime};
use rust_xlsxwriter::{ExcelDateTime as XlDate, Format as XlFormat, Formula, Workbook};

use super::*;
use crate::read::read_table;
use crate::table::Collect;

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

fn read_bytes(format: Format, bytes: Vec<u8>, options: &ReadOptions) -> Result<Collect, ReadError> {
    let mut sink = Collect::default();
    read_table(format, "t", Cursor::new(bytes), options, &mut sink)?;
    Ok(sink)
}

/// A hidden "Cover" sheet, then "Data" with a title-less blank first row, odd headers,
/// every value kind, an empty row in the middle and empty cells trailing.
fn excel_workbook() -> Vec<u8> {
    let mut wb = Workbook::new();
    let cover = wb.add_worksheet().set_name("Cover").expect("valid name");
    cover.write_string(0, 0, "about").expect("write");
    cover.set_hidden(true);
    let ws = wb.add_worksheet().set_name("Data").expect("valid name");
    ws.set_active(true); // Excel will not hide the active sheet
    let date_fmt = XlFormat::new().set_num_format("yyyy-mm-dd");
    let dt_fmt = XlFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let time_fmt = XlFormat::new().set_num_format("hh:mm:ss");
    for (c, h) in [
        "id", " name ", "", "name", "when", "at", "time", "ok", "calc", "ratio",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(1, c as u16, *h).expect("write");
    }
    ws.write_number(2, 0, 7.0).expect("write");
    ws.write_string(2, 1, " L'été \"quoted\", 007\nline 2 ")
        .expect("write");
    ws.write_string(2, 2, "007").expect("write");
    let d = XlDate::from_ymd(2024, 2, 29).expect("valid");
    ws.write_datetime_with_format(2, 4, &d, &date_fmt)
        .expect("write");
    let dt = XlDate::from_ymd(2024, 2, 29)
        .expect("valid")
        .and_hms(13, 45, 30)
        .expect("valid");
    ws.write_datetime_with_format(2, 5, &dt, &dt_fmt)
        .expect("write");
    let t = XlDate::from_hms(8, 30, 0).expect("valid");
    ws.write_datetime_with_format(2, 6, &t, &time_fmt)
        .expect("write");
    ws.write_boolean(2, 7, true).expect("write");
    ws.write_formula(2, 8, Formula::new("=A3*6").set_result("42"))
        .expect("write");
    ws.write_number(2, 9, 0.25).expect("write");
    ws.write_number(4, 0, 9.0).expect("write");
    ws.write_string(6, 1, "").expect("write"); // an empty string trailing: dropped
    wb.save_to_buffer().expect("workbook saves")
}

#[test]
fn excel_values_read_as_a_person_sees_them() {
    let t = read_bytes(Format::Xlsx, excel_workbook(), &ReadOptions::default())
        .expect("valid workbook");
    assert_eq!(t.info.sheet.as_deref(), Some("Data"), "first visible sheet");
    assert_eq!(t.info.header_row, 2);
    assert_eq!(
        t.info.headers,
        ["id", "name", "column_C", "name_2", "when", "at", "time", "ok", "calc", "ratio"]
    );
    let at = date(2024, 2, 29).and_hms_opt(13, 45, 30).expect("valid");
    assert_eq!(
        t.rows[0],
        (
            3,
            vec![
                Value::Int(7),
                text(" L'été \"quoted\", 007\nline 2 "),
                text("007"),
                Value::Empty,
                Value::Date(date(2024, 2, 29)),
                Value::DateTime(at),
                Value::Time(NaiveTime::from_hms_opt(8, 30, 0).expect("valid")),
                Value::Bool(true),
                Value::Int(42),
                Value::Float(0.25),
            ]
        )
    );
    let numbers: Vec<u64> = t.rows.iter().map(|r| r.0).collect();
    assert_eq!(
        numbers,
        [3, 4, 5],
        "middle empty row kept, trailing one dropped"
    );
    assert!(t.rows[1].1.iter().all(Value::is_empty));
}

#[test]
fn sheets_are_chosen_by_name_or_index() {
    let bytes = excel_workbook();
    assert_eq!(
        crate::read::sheet_names(Format::Xlsx, "t.xlsx", Cursor::new(bytes.clone()))
            .expect("names"),
        ["Cover", "Data"]
    );
    for (selector, want) in [
        (SheetSelector::Index(0), "Cover"),
        (SheetSelector::Name("Data".into()), "Data"),
        (SheetSelector::Index(1), "Data"),
    ] {
        let options = ReadOptions {
            sheet: Some(selector.clone()),
            ..ReadOptions::default()
        };
        let t = read_bytes(Format::Xlsx, bytes.clone(), &options).expect("sheet exists");
        assert_eq!(t.info.sheet.as_deref(), Some(want), "{selector}");
    }
    for selector in ["Budget", "5"] {
        let options = ReadOptions {
            sheet: selector.parse().ok(),
            ..ReadOptions::default()
        };
        match read_bytes(Format::Xlsx, bytes.clone(), &options) {
            Err(e @ ReadError::UnknownSheet { .. }) => assert!(
                e.to_string().contains("the sheets are \"Cover\", \"Data\""),
                "{e}"
            ),
            other => panic!("{selector}: {other:?}"),
        }
    }
}

#[test]
fn range_and_header_row_select_part_of_a_sheet() {
    let options = ReadOptions {
        range: Some("E2:F3".into()),
        ..ReadOptions::default()
    };
    let t = read_bytes(Format::Xlsx, excel_workbook(), &options).expect("valid workbook");
    assert_eq!(
        (t.info.headers.clone(), t.info.first_column),
        (vec!["when".to_string(), "at".to_string()], 4)
    );
    assert_eq!(t.rows.len(), 1);
    let options = ReadOptions {
        header_row: Some(3),
        ..ReadOptions::default()
    };
    let t = read_bytes(Format::Xlsx, excel_workbook(), &options).expect("valid workbook");
    assert_eq!(t.info.header_row, 3);
    assert_eq!(t.rows.iter().map(|r| r.0).collect::<Vec<_>>(), [4, 5]);
}

fn zip_bytes(members: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in members {
        let method = if *name == "mimetype" {
            zip::CompressionMethod::Stored
        } else {
            method
        };
        w.start_file(
            *name,
            zip::write::SimpleFileOptions::default().compression_method(method),
        )
        .expect("zip entry");
        w.write_all(data).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

/// A minimal xlsx as a non-Excel producer writes it: inline strings, no shared strings,
/// the 1904 date system, a date style, an error cell.
fn handmade_xlsx(extra: &[(&str, &[u8])]) -> Vec<u8> {
    let sheet = r#"<?xml version="1.0" encoding="UTF-8"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c><c r="B1" t="inlineStr"><is><t>since</t></is></c><c r="C1" t="inlineStr"><is><t>flag</t></is></c><c r="D1" t="inlineStr"><is><t>check</t></is></c></row>
<row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve"> Åsa </t></is></c><c r="B2" s="1"><v>0</v></c><c r="C2" t="b"><v>0</v></c><c r="D2" t="e"><v>#N/A</v></c></row>
</sheetData></worksheet>"#.as_bytes();
    let mut members: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#),
        ("_rels/.rels", br#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
        ("xl/workbook.xml", br#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr date1904="1"/><sheets><sheet name="Only" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
        ("xl/_rels/workbook.xml.rels", br#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#),
        ("xl/styles.xml", br#"<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>"#),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    members.extend_from_slice(extra);
    zip_bytes(&members, zip::CompressionMethod::Deflated)
}

#[test]
fn a_non_excel_xlsx_with_1904_dates_and_error_cells_reads() {
    let expected = |err: Value| {
        vec![
            text(" Åsa "),
            Value::Date(date(1904, 1, 1)),
            Value::Bool(false),
            err,
        ]
    };
    for (policy, err) in [
        (ErrorCellPolicy::Report, Value::Error("#N/A".into())),
        (ErrorCellPolicy::Empty, Value::Empty),
        (ErrorCellPolicy::Text, text("#N/A")),
    ] {
        let options = ReadOptions {
            error_cells: policy,
            ..ReadOptions::default()
        };
        let t = read_bytes(Format::Xlsx, handmade_xlsx(&[]), &options).expect("valid workbook");
        assert_eq!(t.rows, [(2, expected(err))], "{policy:?}");
    }
}

fn ods() -> Vec<u8> {
    let content = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet>
<table:table table:name="Feuille1">
<table:table-row><table:table-cell office:value-type="string"><text:p>nom</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>jour</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>heure</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>n</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>ok</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>le</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>Hélène</text:p></table:table-cell><table:table-cell office:value-type="date" office:date-value="2023-07-14"><text:p>14/07/2023</text:p></table:table-cell><table:table-cell office:value-type="time" office:time-value="PT13H30M00S"><text:p>13:30</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="2.5"><text:p>2,5</text:p></table:table-cell><table:table-cell office:value-type="boolean" office:boolean-value="true"><text:p>VRAI</text:p></table:table-cell><table:table-cell office:value-type="date" office:date-value="2023-07-14T08:05:00"><text:p>x</text:p></table:table-cell></table:table-row>
</table:table>
<table:table table:name="Autre"><table:table-row><table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell></table:table-row></table:table>
</office:spreadsheet></office:body></office:document-content>"#.as_bytes();
    zip_bytes(
        &[
            ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
            ("content.xml", content),
            ("META-INF/manifest.xml", br#"<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>"#),
        ],
        zip::CompressionMethod::Deflated,
    )
}

#[test]
fn ods_iso_values_become_dates_times_and_numbers() {
    let t = read_bytes(Format::Ods, ods(), &ReadOptions::default()).expect("valid ods");
    assert_eq!(t.info.sheet.as_deref(), Some("Feuille1"));
    assert_eq!(t.info.headers, ["nom", "jour", "heure", "n", "ok", "le"]);
    assert_eq!(
        t.rows,
        [(
            2,
            vec![
                text("Hélène"),
                Value::Date(date(2023, 7, 14)),
                Value::Time(NaiveTime::from_hms_opt(13, 30, 0).expect("valid")),
                Value::Float(2.5),
                Value::Bool(true),
                Value::DateTime(date(2023, 7, 14).and_hms_opt(8, 5, 0).expect("valid")),
            ]
        )]
    );
}

#[test]
fn hostile_or_damaged_workbooks_are_refused() {
    let zeros = vec![0u8; 4 << 20];
    let bomb = handmade_xlsx(&[("xl/media/zeros.bin", &zeros)]);
    let mut truncated = excel_workbook();
    truncated.truncate(truncated.len() / 2);
    let mut encrypted = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    encrypted.extend(vec![0u8; 600]);
    encrypted.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
    let default = ReadOptions::default();
    let small = ReadOptions {
        limits: Limits {
            max_input_bytes: 100,
            ..Limits::default()
        },
        ..ReadOptions::default()
    };
    #[allow(clippy::type_complexity)] // a table of cases reads best inline
    let cases: Vec<(&str, Format, Vec<u8>, &ReadOptions, fn(&ReadError) -> bool)> = vec![
        ("zip bomb", Format::Xlsx, bomb, &default, |e| {
            matches!(
                e,
                ReadError::Limit {
                    limit: "max_compression_ratio",
                    ..
                }
            )
        }),
        ("truncated", Format::Xlsx, truncated, &default, |e| {
            matches!(e, ReadError::Corrupt { .. })
        }),
        ("encrypted", Format::Xlsx, encrypted, &default, |e| {
            matches!(e, ReadError::Encrypted { .. })
        }),
        ("too big", Format::Xlsx, excel_workbook(), &small, |e| {
            matches!(
                e,
                ReadError::Limit {
                    limit: "max_input_bytes",
                    ..
                }
            )
        }),
        (
            "not a workbook",
            Format::Xls,
            b"hello".to_vec(),
            &default,
            |e| matches!(e, ReadError::Corrupt { .. }),
        ),
        (
            "garbage ods",
            Format::Ods,
            b"PK\x03\x04garbage".to_vec(),
            &default,
            |e| matches!(e, ReadError::Corrupt { .. }),
        ),
    ];
    for (name, format, bytes, options, is_expected) in cases {
        match read_bytes(format, bytes, options) {
            Err(e) => assert!(is_expected(&e), "{name}: {e:?}"),
            Ok(t) => panic!("{name}: read {t:?}"),
        }
    }
}

#[test]
fn limit_messages_say_what_and_how_to_raise() {
    let zeros = vec![0u8; 4 << 20];
    let options = ReadOptions {
        limits: Limits {
            max_uncompressed_bytes: 1 << 20,
            ..Limits::default()
        },
        ..ReadOptions::default()
    };
    let e = read_bytes(
        Format::Xlsx,
        handmade_xlsx(&[("xl/media/zeros.bin", &zeros)]),
        &options,
    )
    .expect_err("over the limit");
    assert_eq!(e.to_string(), "file \"t\": workbook part xl/media/zeros.bin expands to 4 MiB, over the limit limits.max_uncompressed_bytes = 1 MiB; raise it in pipeline.toml if the file is trusted");
}

#[test]
fn sniffing_tells_formats_apart_by_content() {
    let sniff = |bytes: Vec<u8>| Format::sniff_reader(Cursor::new(bytes)).expect("in-memory io");
    assert_eq!(sniff(excel_workbook()), Some(Format::Xlsx));
    assert_eq!(sniff(handmade_xlsx(&[])), Some(Format::Xlsx));
    assert_eq!(
        sniff(handmade_xlsx(&[("xl/vbaProject.bin", b"vba")])),
        Some(Format::Xlsm)
    );
    assert_eq!(
        sniff(zip_bytes(
            &[("xl/workbook.bin", b"x")],
            zip::CompressionMethod::Stored
        )),
        Some(Format::Xlsb)
    );
    assert_eq!(sniff(ods()), Some(Format::Ods));
    assert_eq!(Format::sniff(&ods()[..200]), Some(Format::Ods));
    assert_eq!(
        sniff(b"<?xml version=\"1.0\"?><r/>".to_vec()),
        Some(Format::Xml)
    );
    assert_eq!(sniff(b"a;b\n1;2\n".to_vec()), Some(Format::Csv));
    assert_eq!(
        sniff(zip_bytes(
            &[("other.txt", b"x")],
            zip::CompressionMethod::Stored
        )),
        None
    );
}

#[test]
fn iso_durations_split_into_times_and_durations() {
    for (iso, want) in [
        (
            "PT13H30M00S",
            Value::Time(NaiveTime::from_hms_opt(13, 30, 0).expect("valid")),
        ),
        ("PT36H", Value::Duration("PT36H".into())),
        ("P1DT1H", Value::Duration("P1DT1H".into())),
        ("bogus", Value::Duration("bogus".into())),
    ] {
        assert_eq!(iso_duration(iso), want, "{iso}");
    }
    assert_eq!(iso_from_millis(36 * 3_600_000 + 30 * 60_000), "PT36H30M");
    assert_eq!(iso_from_millis(500), "PT0.500S");
}

#[test]
fn emptiness_is_told_without_building_values() {
    let dt = ExcelDateTime::new(45_000.5, calamine::ExcelDateTimeType::DateTime, false);
    let cells = [
        Data::Empty,
        Data::String(String::new()),
        Data::String(" ".into()),
        Data::DateTimeIso(String::new()),
        Data::DateTimeIso("2024-01-01".into()),
        Data::DateTimeIso("not a date".into()),
        Data::DurationIso(String::new()),
        Data::DurationIso("PT1H".into()),
        Data::Int(0),
        Data::Float(0.0),
        Data::Bool(false),
        Data::DateTime(dt),
        Data::Error(calamine::CellErrorType::NA),
    ];
    for policy in [
        ErrorCellPolicy::Report,
        ErrorCellPolicy::Empty,
        ErrorCellPolicy::Text,
    ] {
        for d in &cells {
            assert_eq!(
                data_is_empty(d, policy),
                convert(d, policy).is_empty(),
                "{d:?} {policy:?}"
            );
        }
    }
}

#[test]
fn the_quick_iso_path_agrees_with_chrono() {
    let slow = |t: &str| -> Value {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f") {
            return if dt.time() == NaiveTime::MIN && !t.contains('T') {
                Value::Date(dt.date())
            } else {
                Value::DateTime(dt)
            };
        }
        match NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            Ok(d) => Value::Date(d),
            Err(_) => Value::Text(t.to_string()),
        }
    };
    for t in [
        "2024-02-29",
        "2023-02-29",
        "2023-07-14T08:05:00",
        "2023-07-14T00:00:00",
        "2023-07-14T24:00:00",
        "2023-13-01",
        "0999-01-01",
        "2023-07-14T08:05:00.250",
        "2023-7-14",
        "2023-07-14 08:05:00",
    ] {
        assert_eq!(iso_datetime(t), slow(t), "{t}");
    }
}

#[test]
fn a_cell_styled_as_a_datetime_stays_one_at_midnight() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let stamp = XlFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let day = XlFormat::new().set_num_format("yyyy-mm-dd");
    ws.write_string(0, 0, "when").expect("cell");
    ws.write_string(0, 1, "day").expect("cell");
    let midnight = XlDate::from_ymd(2024, 3, 1).expect("date");
    let noon = XlDate::from_ymd(2024, 3, 1)
        .expect("date")
        .and_hms(12, 0, 0)
        .expect("time");
    ws.write_datetime_with_format(1, 0, &midnight, &stamp)
        .expect("cell");
    ws.write_datetime_with_format(1, 1, &midnight, &day)
        .expect("cell");
    ws.write_datetime_with_format(2, 0, &noon, &stamp)
        .expect("cell");
    let t = read_bytes(
        Format::Xlsx,
        wb.save_to_buffer().expect("workbook"),
        &ReadOptions::default(),
    )
    .expect("valid workbook");
    let at = |h| Value::DateTime(date(2024, 3, 1).and_hms_opt(h, 0, 0).expect("time"));
    assert_eq!(t.rows[0].1, [at(0), Value::Date(date(2024, 3, 1))]);
    assert_eq!(t.rows[1].1[0], at(12));
}
