//! The xls reader on hand-made workbooks ([`super::writer`]): every cell record, the
//! `CONTINUE` splits, dates through cell formats, cell order, and damaged or hostile
//! files.

use std::io::Cursor;

use chrono::{NaiveDate, NaiveTime};

use super::cfb::{Cfb, CfbError};
use super::records::Cursor as RecordCursor;
use super::records::Records;
use super::sheet::{rk as decode_rk, Item, SheetParser};
use super::writer::*;
use crate::read::{read_table, sheet_names, ErrorCellPolicy, Format, ReadError, ReadOptions};
use crate::table::{Collect, Value};

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

fn read(bytes: Vec<u8>, options: &ReadOptions) -> Result<Collect, ReadError> {
    let mut sink = Collect::default();
    read_table(Format::Xls, "t.xls", Cursor::new(bytes), options, &mut sink)?;
    Ok(sink)
}

fn ok(bytes: Vec<u8>) -> Collect {
    read(bytes, &ReadOptions::default()).expect("a valid workbook")
}

fn one_sheet(globals_extra: Vec<u8>, records: Vec<u8>) -> Vec<u8> {
    xls(
        default_globals(globals_extra),
        &[SheetSpec::new("Data", records)],
    )
}

fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn rk_numbers_decode_as_the_spec_says() {
    // 1.0 as the high bits of a double; 0x3FF00000.
    assert_eq!(decode_rk(0x3FF0_0000), 1.0);
    // Integer 5 (shifted, flag 2); integer 1234 / 100.
    assert_eq!(decode_rk((5 << 2) | 2), 5.0);
    assert_eq!(decode_rk((1234 << 2) | 3), 12.34);
    // -7 as an integer.
    assert_eq!(decode_rk(((-7i32 << 2) as u32) | 2), -7.0);
    // 1.0 / 100.
    assert_eq!(decode_rk(0x3FF0_0000 | 1), 0.01);
}

#[test]
fn every_cell_record_reads_as_a_person_sees_it() {
    let records = cat(&[
        label_sst(0, 0, 0),
        label_sst(0, 1, 1),
        label(0, 2, "c"),
        label_sst(0, 3, 2),
        label_sst(0, 4, 3),
        label_sst(0, 5, 4),
        label_sst(0, 6, 5),
        label_sst(0, 7, 6),
        number(1, 0, 0, 2.5),
        rk(1, 1, 0, (42 << 2) | 2),
        mulrk(1, 2, &[(0, (7 << 2) | 2), (0, (1234 << 2) | 3)]),
        boolerr(1, 4, 1, false),
        boolerr(1, 5, 0x07, true),
        formula(1, 6, 0, 6.0f64.to_le_bytes()),
        formula(1, 7, 0, special(0, 0)),
        string_record("from a formula"),
        formula(2, 0, 0, special(1, 1)),
        formula(2, 1, 0, special(2, 0x2A)),
        formula(2, 2, 0, special(3, 0)),
        blank(2, 3),
        label(2, 4, "L'été — 日本"),
    ]);
    let strings = sst(&["a", "b", "d", "e", "f", "g", "h"]);
    let t = ok(one_sheet(strings, records));
    assert_eq!(t.info.headers, ["a", "b", "c", "d", "e", "f", "g", "h"]);
    assert_eq!(
        t.rows[0].1,
        [
            Value::Float(2.5),
            Value::Int(42),
            Value::Int(7),
            Value::Float(12.34),
            Value::Bool(true),
            Value::Error("#DIV/0!".into()),
            Value::Int(6),
            text("from a formula"),
        ]
    );
    assert_eq!(
        t.rows[1].1[..5],
        [
            Value::Bool(true),
            Value::Error("#N/A".into()),
            text(""),
            Value::Empty,
            text("L'été — 日本"),
        ]
    );
}

#[test]
fn every_error_code_has_its_excel_text() {
    let codes = [
        (0x00, "#NULL!"),
        (0x07, "#DIV/0!"),
        (0x0F, "#VALUE!"),
        (0x17, "#REF!"),
        (0x1D, "#NAME?"),
        (0x24, "#NUM!"),
        (0x2A, "#N/A"),
    ];
    let mut records = label(0, 0, "h");
    for (i, (code, _)) in codes.iter().enumerate() {
        records.extend(boolerr(i as u16 + 1, 0, *code, true));
    }
    let t = ok(one_sheet(Vec::new(), records.clone()));
    let got: Vec<Value> = t.rows.iter().map(|r| r.1[0].clone()).collect();
    let want: Vec<Value> = codes
        .iter()
        .map(|(_, s)| Value::Error((*s).into()))
        .collect();
    assert_eq!(got, want);
    let as_text = ReadOptions {
        error_cells: ErrorCellPolicy::Text,
        ..ReadOptions::default()
    };
    let t = read(one_sheet(Vec::new(), records), &as_text).expect("valid");
    assert_eq!(t.rows[0].1[0], text("#NULL!"));
    let bad = cat(&[label(0, 0, "h"), boolerr(1, 0, 0x99, true)]);
    assert!(matches!(
        read(one_sheet(Vec::new(), bad), &ReadOptions::default()),
        Err(ReadError::Sheet { .. })
    ));
}

#[test]
fn dates_follow_the_cell_format_in_both_date_systems() {
    let records = cat(&[
        label(0, 0, "date"),
        label(0, 1, "duration"),
        label(0, 2, "at"),
        label(0, 3, "time"),
        label(0, 4, "formula date"),
        number(1, 0, 1, 45351.0),
        number(1, 1, 2, 1.5208333333333333),
        number(1, 2, 3, 45351.5),
        number(1, 3, 3, 0.75),
        formula(1, 4, 1, 45351.0f64.to_le_bytes()),
    ]);
    let t = ok(one_sheet(Vec::new(), records.clone()));
    let day = NaiveDate::from_ymd_opt(2024, 2, 29).expect("date");
    assert_eq!(
        t.rows[0].1,
        [
            Value::Date(day),
            Value::Duration("PT36H30M".into()),
            Value::DateTime(day.and_hms_opt(12, 0, 0).expect("time")),
            Value::Time(NaiveTime::from_hms_opt(18, 0, 0).expect("time")),
            Value::Date(day),
        ]
    );
    // The same serial in the 1904 system is four years and a day later.
    let t = ok(one_sheet(record(0x0022, &[1, 0]), records));
    let later = NaiveDate::from_ymd_opt(2028, 3, 1).expect("date");
    assert_eq!(t.rows[0].1[0], Value::Date(later));
}

#[test]
fn a_string_split_across_continue_rereads_its_option_byte() {
    // "abcdef" + "ДЖ": the first part compressed in the SST record, the rest wide in a
    // CONTINUE that starts with its own option byte; then a string whose header is
    // the first thing in a second CONTINUE.
    let mut head = 2u32.to_le_bytes().to_vec();
    head.extend(2u32.to_le_bytes());
    head.extend(8u16.to_le_bytes());
    head.push(0);
    head.extend(b"abcdef");
    let mut rest = vec![1u8];
    rest.extend("ДЖ".encode_utf16().flat_map(u16::to_le_bytes));
    let second = string("next");
    let sst = continued(0x00FC, &[&head, &rest, &second]);
    let records = cat(&[label_sst(0, 0, 0), label_sst(0, 1, 1)]);
    let t = ok(one_sheet(sst, records));
    assert_eq!(t.info.headers, ["abcdefДЖ", "next"]);
}

#[test]
fn a_rich_string_skips_its_runs_and_phonetics_even_across_a_continue() {
    // fRichSt and fExtSt: 1 run (4 bytes), 6 bytes of phonetic data, split mid-run.
    let mut head = 2u32.to_le_bytes().to_vec();
    head.extend(2u32.to_le_bytes());
    head.extend(3u16.to_le_bytes());
    head.push(0x0C);
    head.extend(1u16.to_le_bytes());
    head.extend(6u32.to_le_bytes());
    head.extend(b"red");
    head.extend([0, 0]);
    let mut rest = vec![0u8, 0];
    rest.extend([9u8; 6]);
    rest.extend(string("plain"));
    let sst = continued(0x00FC, &[&head, &rest]);
    let t = ok(one_sheet(
        sst,
        cat(&[label_sst(0, 0, 0), label_sst(0, 1, 1)]),
    ));
    assert_eq!(t.info.headers, ["red", "plain"]);
}

#[test]
fn cursor_chars_fail_cleanly_when_a_split_lands_mid_character() {
    let data = [0x41u8, 0, 0x42];
    let mut out = String::new();
    // Two wide characters but the break at 3 leaves one odd byte before it.
    assert!(RecordCursor::over(&data, &[3])
        .chars(2, true, &mut out)
        .is_none());
}

#[test]
fn cells_out_of_order_within_and_across_blocks_are_sorted() {
    let within = cat(&[
        row(0, false),
        row(1, false),
        label(1, 1, "y"),
        label(0, 1, "b"),
        label(1, 0, "x"),
        label(0, 0, "a"),
        dbcell(),
    ]);
    let t = ok(one_sheet(Vec::new(), within));
    assert_eq!(t.info.headers, ["a", "b"]);
    assert_eq!(t.rows, [(2, vec![text("x"), text("y")])]);
    let across = cat(&[
        row(2, false),
        label(2, 0, "late"),
        dbcell(),
        row(0, false),
        label(0, 0, "h"),
        label(1, 0, "early"),
        dbcell(),
    ]);
    let t = ok(one_sheet(Vec::new(), across));
    assert_eq!(t.info.headers, ["h"]);
    let rows: Vec<Value> = t.rows.iter().map(|r| r.1[0].clone()).collect();
    assert_eq!(rows, [text("early"), text("late")]);
}

#[test]
fn the_declared_dimension_gives_one_pass_and_a_cell_outside_it_is_refused() {
    let good = cat(&[
        dimensions(0, 3, 0, 2),
        label(0, 0, "a"),
        label(0, 1, "b"),
        number(1, 0, 0, 1.0),
        number(2, 1, 0, 2.0),
    ]);
    let t = ok(one_sheet(Vec::new(), good));
    assert_eq!(
        t.rows,
        [
            (2, vec![Value::Int(1), Value::Empty]),
            (3, vec![Value::Empty, Value::Int(2)])
        ]
    );
    let lying = cat(&[
        dimensions(0, 3, 0, 2),
        label(0, 0, "a"),
        label(0, 1, "b"),
        number(2, 4, 0, 2.0),
    ]);
    assert!(matches!(
        read(one_sheet(Vec::new(), lying), &ReadOptions::default()),
        Err(ReadError::Sheet { .. })
    ));
    // A header narrower than the dimension: two passes, the table found by its cells.
    let wide = cat(&[
        dimensions(0, 3, 0, 4),
        label(1, 1, "a"),
        number(2, 2, 0, 5.0),
    ]);
    let t = ok(one_sheet(Vec::new(), wide));
    assert_eq!(t.info.headers, ["a", "column_C"]);
    assert_eq!(t.info.first_column, 1);
}

#[test]
fn sheets_are_listed_chosen_and_hidden_ones_skipped() {
    let mut hidden = SheetSpec::new("Cover", label(0, 0, "cover"));
    hidden.state = 1;
    let bytes = xls(
        default_globals(Vec::new()),
        &[hidden, SheetSpec::new("Données", label(0, 0, "d"))],
    );
    assert_eq!(
        sheet_names(Format::Xls, "t.xls", Cursor::new(bytes.clone())).expect("names"),
        ["Cover", "Données"]
    );
    assert_eq!(ok(bytes.clone()).info.headers, ["d"]);
    let first = ReadOptions {
        sheet: Some(crate::read::SheetSelector::Index(0)),
        ..ReadOptions::default()
    };
    assert_eq!(
        read(bytes.clone(), &first).expect("valid").info.headers,
        ["cover"]
    );
    let missing = ReadOptions {
        sheet: Some(crate::read::SheetSelector::Name("Nope".into())),
        ..ReadOptions::default()
    };
    assert!(matches!(
        read(bytes, &missing),
        Err(ReadError::UnknownSheet { .. })
    ));
}

#[test]
fn an_embedded_chart_substream_does_not_end_the_sheet() {
    let records = cat(&[
        label(0, 0, "h"),
        bof(0x0020),
        label(5, 5, "in the chart"),
        eof(),
        label(1, 0, "after"),
    ]);
    let t = ok(one_sheet(Vec::new(), records));
    assert_eq!(t.info.headers, ["h"]);
    assert_eq!(t.rows, [(2, vec![text("after")])]);
}

#[test]
fn encrypted_old_and_foreign_files_are_refused_clearly() {
    let encrypted = one_sheet(record(0x002F, &[1, 0, 1, 0]), Vec::new());
    assert!(matches!(
        read(encrypted, &ReadOptions::default()),
        Err(ReadError::Encrypted { .. })
    ));
    let mut biff5 = record(0x0809, &[0, 5, 5, 0, 0, 0, 0, 0]);
    biff5.extend(eof());
    for bytes in [
        container(&[("Workbook", &biff5)]),
        container(&[("Book", &biff5)]),
    ] {
        match read(bytes, &ReadOptions::default()) {
            Err(e @ ReadError::Corrupt { .. }) => {
                assert!(e.to_string().contains("Excel 97-2003"), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }
    let no_workbook = container(&[("Other", b"x")]);
    assert!(matches!(
        read(no_workbook, &ReadOptions::default()),
        Err(ReadError::Corrupt { .. })
    ));
}

#[test]
fn a_bad_shared_string_index_names_the_cell() {
    let bytes = one_sheet(sst(&["a"]), cat(&[label_sst(0, 0, 0), label_sst(1, 0, 5)]));
    match read(bytes, &ReadOptions::default()) {
        Err(e @ ReadError::Sheet { .. }) => assert!(e.to_string().contains("cell A2"), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn max_cells_bounds_a_sheet() {
    let mut records = label(0, 0, "h");
    for r in 1..50 {
        records.extend(number(r, 0, 0, f64::from(r)));
    }
    let small = ReadOptions {
        limits: crate::read::Limits {
            max_cells: 10,
            ..crate::read::Limits::default()
        },
        ..ReadOptions::default()
    };
    assert!(matches!(
        read(one_sheet(Vec::new(), records), &small),
        Err(ReadError::Limit {
            limit: "max_cells",
            ..
        })
    ));
}

/// A large enough workbook that its stream is in regular sectors, not the mini stream.
fn big_workbook() -> Vec<u8> {
    let mut records = cat(&[label(0, 0, "n"), label(0, 1, "s")]);
    for r in 1..400u16 {
        records.extend(number(r, 0, 0, f64::from(r)));
        records.extend(label(r, 1, &format!("row {r}")));
    }
    one_sheet(Vec::new(), records)
}

#[test]
fn a_big_stream_is_read_through_its_sector_chain() {
    let t = ok(big_workbook());
    assert_eq!(t.rows.len(), 399);
    assert_eq!(t.rows[398].1, [Value::Int(399), text("row 399")]);
}

/// The file offset of the FAT's first sector (from the header's DIFAT), and the
/// sector size.
fn fat_offset(bytes: &[u8]) -> (usize, usize) {
    let sector = 1usize << bytes[30];
    let first_fat = u32::from_le_bytes(bytes[76..80].try_into().expect("4 bytes"));
    ((first_fat as usize + 1) * sector, sector)
}

#[test]
fn a_fat_chain_that_loops_is_an_error_not_a_hang() {
    let bytes = big_workbook();
    let (fat, sector) = fat_offset(&bytes);
    let mut looped = bytes.clone();
    // Point every chained sector at itself: any chain loops at its first step.
    for (i, e) in looped[fat..fat + sector].chunks_exact_mut(4).enumerate() {
        if u32::from_le_bytes([e[0], e[1], e[2], e[3]]) < 0xFFFF_FFFA {
            e.copy_from_slice(&(i as u32).to_le_bytes());
        }
    }
    let err = Cfb::open(Cursor::new(looped.clone()))
        .and_then(|mut c| {
            let e = c.find("Workbook").ok_or(CfbError::NotCfb)?;
            c.open_stream(&e).map(|_| ())
        })
        .expect_err("a loop");
    assert!(matches!(err, CfbError::Loop(_)), "{err:?}");
    assert!(matches!(
        read(looped, &ReadOptions::default()),
        Err(ReadError::Corrupt { .. })
    ));
}

#[test]
fn sectors_past_the_end_and_huge_sizes_are_errors() {
    let bytes = big_workbook();
    // Truncated: the chain leads past the end of the file.
    let cut = bytes[..bytes.len() / 2].to_vec();
    assert!(read(cut, &ReadOptions::default()).is_err());
    // A stream size of 4 GiB in its directory entry.
    let mut huge = bytes.clone();
    let name: Vec<u8> = "Workbook"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let at = huge
        .windows(name.len())
        .position(|w| w == name.as_slice())
        .expect("the Workbook entry");
    huge[at + 120..at + 124].copy_from_slice(&u32::MAX.to_le_bytes());
    match read(huge, &ReadOptions::default()) {
        Err(e @ ReadError::Corrupt { .. }) => assert!(e.to_string().contains("claims"), "{e}"),
        other => panic!("{other:?}"),
    }
}

/// Every truncation, and seeded changes of 4 bytes, give a refusal or the table the
/// untouched file gives: never a shorter table read without a word.
#[test]
fn truncated_and_flipped_bytes_are_refused_or_read_whole() {
    for bytes in [
        big_workbook(),
        one_sheet(
            sst(&["a", "b"]),
            cat(&[label_sst(0, 0, 0), label_sst(0, 1, 1), number(1, 0, 1, 3.0)]),
        ),
    ] {
        let whole = ok(bytes.clone());
        for cut in (0..bytes.len()).step_by(97) {
            if let Ok(t) = read(bytes[..cut].to_vec(), &ReadOptions::default()) {
                assert_eq!(
                    (&t.info.headers, &t.rows),
                    (&whole.info.headers, &whole.rows),
                    "cut at {cut} of {}",
                    bytes.len()
                );
            }
        }
        let mut seed = 0x2545_F491_u32;
        for _ in 0..200 {
            let mut flipped = bytes.clone();
            let mut at = Vec::new();
            for _ in 0..4 {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                let i = seed as usize % flipped.len();
                flipped[i] ^= (seed >> 8) as u8 | 1;
                at.push(i);
            }
            // A changed byte may be a value (a digit of a number, a letter): the table
            // then differs in that cell, but never loses rows or columns.
            if let Ok(t) = read(flipped.clone(), &ReadOptions::default()) {
                assert!(
                    t.rows.len() >= whole.rows.len()
                        && t.info.headers.len() >= whole.info.headers.len(),
                    "bytes {at:?} changed: {} rows of {}, {} columns of {}",
                    t.rows.len(),
                    whole.rows.len(),
                    t.info.headers.len(),
                    whole.info.headers.len()
                );
            }
            let _ = sheet_names(Format::Xls, "t.xls", Cursor::new(flipped));
        }
    }
}

#[test]
fn a_record_length_that_disagrees_with_its_content_is_refused() {
    let mut records = cat(&[label(0, 0, "n")]);
    for r in 1..50u16 {
        records.extend(number(r, 0, 0, f64::from(r)));
    }
    // The 10th NUMBER claims 18 bytes: it swallows the next record's header, and the
    // records after it would be read from the wrong offsets.
    let mut lying = records.clone();
    let label_len = label(0, 0, "n").len();
    let tenth = label_len + 9 * 18;
    assert_eq!(&lying[tenth..tenth + 2], &0x0203u16.to_le_bytes());
    lying[tenth + 2..tenth + 4].copy_from_slice(&18u16.to_le_bytes());
    assert_eq!(ok(one_sheet(Vec::new(), records)).rows.len(), 49);
    match read(one_sheet(Vec::new(), lying), &ReadOptions::default()) {
        Err(e) => assert!(e.to_string().contains("NUMBER record at byte"), "{e}"),
        Ok(t) => panic!("read {} rows of 49 with exit 0", t.rows.len()),
    }
}

/// Every item a sheet's records give, in order, cells aside.
fn items(records: &[u8]) -> Vec<Item> {
    let mut parsed = Records::new(records, 0, u64::MAX);
    let mut parser = SheetParser::default();
    let mut out = Vec::new();
    while let Some(r) = parsed.next().expect("whole records") {
        match parser.record(&r).expect("valid records") {
            Item::Cells | Item::Other => {}
            item => out.push(item),
        }
    }
    out
}

#[test]
fn sheet_records_report_what_they_hide() {
    let records = cat(&[
        row(3, true),
        row(4, false),
        colinfo(1, 2, true),
        colinfo(5, 5, false),
        header("&CPROTECTED B"),
        footer("page &P"),
        obj(7, 0x08, false),
        obj(8, 0x08, true),
        note_object(1, "ask jane@example.ca"),
        note(2, 1, 1, "Jane"),
        eof(),
    ]);
    assert_eq!(
        items(&records),
        [
            Item::HiddenRow(3),
            Item::HiddenColumns(1, 2),
            Item::HeaderFooter("&CPROTECTED B".into()),
            Item::HeaderFooter("page &P".into()),
            Item::Object {
                id: 7,
                kind: 0x08,
                ole: false
            },
            Item::Object {
                id: 8,
                kind: 0x08,
                ole: true
            },
            Item::Object {
                id: 1,
                kind: 0x19,
                ole: false
            },
            Item::ObjectText("ask jane@example.ca".into()),
            Item::Note {
                row: 2,
                col: 1,
                obj: 1,
                author: "Jane".into()
            },
            Item::End,
        ]
    );
}

#[test]
fn header_footer_and_default_row_height_records_are_read() {
    let mut hf = vec![0u8; 12 + 16 + 2];
    for n in [3u16, 0, 0, 6] {
        hf.extend(n.to_le_bytes());
    }
    hf.extend(string("odd"));
    hf.extend(string("SECRET"));
    let records = cat(&[
        record(0x0225, &[0x02, 0, 0, 0]),
        record(0x089C, &hf),
        record(0x0014, &[]),
    ]);
    assert_eq!(
        items(&records),
        [
            Item::RowsHiddenByDefault,
            Item::HeaderFooter("odd SECRET".into()),
        ]
    );
}

#[test]
fn a_formula_with_no_cached_value_follows_the_error_cell_policy() {
    let records = cat(&[
        label(0, 0, "f"),
        label(0, 1, "n"),
        // A string result announced, but no STRING record follows.
        formula(1, 0, 0, special(0, 0)),
        number(1, 1, 0, 5.0),
        formula(2, 0, 0, special(0, 0)),
    ]);
    let bytes = one_sheet(Vec::new(), records);
    let t = ok(bytes.clone());
    assert_eq!(
        t.rows[0].1,
        [Value::Error("#NO_CACHED_VALUE".into()), Value::Int(5)]
    );
    assert_eq!(t.rows[1].1[0], Value::Error("#NO_CACHED_VALUE".into()));
    let empty = ReadOptions {
        error_cells: ErrorCellPolicy::Empty,
        ..ReadOptions::default()
    };
    assert_eq!(
        read(bytes, &empty).expect("valid").rows[0].1[0],
        Value::Empty
    );
}
