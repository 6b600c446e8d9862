//! The command line itself: help, exit codes, standalone tools.

use crate::support::Workdir;

#[test]
fn help_documents_the_exit_codes() {
    let w = Workdir::with_samples();
    let out = w.run(&["--help"]).expect(0);
    for code in [
        "0  everything",
        "1  data held back",
        "2  configuration",
        "3  portal or machine failure",
        "running again unchanged will not help",
        "running again\n     once it is fixed will help",
    ] {
        assert!(out.stdout().contains(code), "{code}: {}", out.stdout());
    }
}

#[test]
fn convert_writes_csv_and_json_from_a_workbook() {
    let w = Workdir::with_samples();
    let out = w
        .run(&[
            "convert",
            "samples/data/annual_report_statistics.xlsx",
            "--sheet",
            "Statistics",
        ])
        .expect(0);
    assert!(
        out.stdout()
            .starts_with("fiscal_year,measure_en,measure_fr,value,published_on\r\n"),
        "{}",
        out.stdout()
    );
    let json = w
        .run(&["convert", "samples/data/atip_requests.ods", "--to", "json"])
        .expect(0);
    let v: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    assert_eq!(v[0]["month"], "2024-04-01");
    assert_eq!(v[0]["completed_on_time_pct"], serde_json::json!(87.5));
    assert_eq!(v[0]["extension_taken"], serde_json::json!(true));
}

#[test]
fn validate_reports_every_violation_and_exits_1() {
    let w = Workdir::with_samples();
    w.write("bad.csv", "fiscal_year,program_en,program_fr,requests_received,median_days\n2022-2023,A,A,ten,1\n2022,B,B,5,-1\n");
    let out = w
        .run(&[
            "validate",
            "bad.csv",
            "--schema",
            "schemas/security_screening.json",
        ])
        .expect(1);
    let s = out.stdout();
    assert!(s.contains("row 2"), "{s}");
    assert!(s.contains("row 3"), "{s}");
    let csv = w
        .run(&[
            "validate",
            "bad.csv",
            "--schema",
            "schemas/security_screening.json",
            "--csv",
        ])
        .expect(1);
    assert!(csv.stdout().lines().count() >= 4, "{}", csv.stdout());
    w.run(&[
        "validate",
        "samples/data/security_screening.csv",
        "--schema",
        "schemas/security_screening.json",
    ])
    .expect(0);
}

#[test]
fn error_cells_are_reported_by_default_with_their_cells() {
    let w = Workdir::with_samples();
    let input =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/xlsx_excel/input.xlsx");
    let out = w.run(&["convert", input.to_str().unwrap()]).expect(1);
    assert!(out.stderr().contains("2 error cells"), "{}", out.stderr());
    assert!(
        out.stderr().contains("column B (\"value\") (#N/A)"),
        "{}",
        out.stderr()
    );
    w.run(&["convert", input.to_str().unwrap(), "--error-cells", "empty"])
        .expect(0);
}

#[test]
fn an_unreadable_workbook_is_rejected_with_exit_1_naming_the_file() {
    let w = Workdir::with_samples();
    for (sample, cut) in [
        ("regional_outreach.xls", 2000),
        ("atip_requests.ods", 300),
        ("annual_report_statistics.xlsx", 300),
    ] {
        let bytes = std::fs::read(w.path(&format!("samples/data/{sample}"))).unwrap();
        let damaged = format!("damaged_{sample}");
        std::fs::write(w.path(&damaged), &bytes[..cut.min(bytes.len() / 2)]).unwrap();
        let out = w.run(&["convert", &damaged]).expect(1);
        assert!(
            out.stderr().contains(&format!("file \"{damaged}\"")),
            "{sample}: {}",
            out.stderr()
        );
    }
}

/// A large XML file converts the same mapped and read, and a conversion that fails
/// half-way leaves no output file behind, under its name or a temporary one.
#[test]
fn a_large_xml_file_converts_alike_mapped_or_read_and_failures_leave_no_output() {
    let w = Workdir::with_samples();
    let mut doc = String::from("<?xml version=\"1.0\"?>\n<r>\n");
    let mut i = 0;
    while doc.len() < 2 << 20 {
        i += 1;
        doc.push_str(&format!(
            "<x id=\"{i}\"><a>Été &amp; \"{i}\"</a><b>{}</b></x>\n",
            i * 7
        ));
    }
    doc.push_str("</r>\n");
    w.write("big.xml", &doc);
    w.run(&["convert", "big.xml", "-o", "mapped.csv"]).expect(0);
    w.run(&["--no-mmap", "convert", "big.xml", "-o", "read.csv"])
        .expect(0);
    let mapped = std::fs::read(w.path("mapped.csv")).unwrap();
    assert_eq!(mapped, std::fs::read(w.path("read.csv")).unwrap());
    assert!(mapped.starts_with(b"@id,a,b\r\n1,\"\xc3\x89t\xc3\xa9 & \"\"1\"\"\",7\r\n"));

    // Broken near the end: the rows before went out, but not under the output's name.
    w.write("broken.xml", &doc.replace("</r>", "</x></r>"));
    let out = w.run(&["convert", "broken.xml", "-o", "broken.csv"]);
    assert_ne!(out.code(), 0);
    assert!(out.stderr().contains("broken.xml"), "{}", out.stderr());
    let left: Vec<_> = std::fs::read_dir(w.path("."))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("broken.csv"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A mapped file truncated by another program while it converts: exit code 3 and a
/// message naming it, not a bare "Bus error".
#[cfg(target_os = "linux")]
#[test]
fn an_xml_file_truncated_while_it_converts_stops_with_exit_3_naming_it() {
    use std::io::Read;
    use std::process::Stdio;
    let w = Workdir::with_samples();
    let mut doc = String::from("<r>\n");
    while doc.len() < 16 << 20 {
        doc.push_str("<x><a>1234567890</a><b>abcdefghij</b></x>\n");
    }
    doc.push_str("</r>\n");
    // `OGPIPE_NO_MMAP=0` is "no", as `false` is: the file is still mapped.
    for no_mmap in [None, Some("0")] {
        w.write("big.xml", &doc);
        let mut cmd = w.cmd(&["convert", "big.xml"]);
        if let Some(v) = no_mmap {
            cmd.env("OGPIPE_NO_MMAP", v);
        }
        let mut child = (cmd.stdout(Stdio::piped()).stderr(Stdio::piped()))
            .spawn()
            .unwrap();
        let mut out = child.stdout.take().unwrap();
        // Output has begun, so the file is mapped; with stdout unread the conversion
        // cannot finish before the file is cut.
        let mut first = [0u8; 1];
        out.read_exact(&mut first).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(w.path("big.xml"))
            .unwrap()
            .set_len(0)
            .unwrap();
        std::io::copy(&mut out, &mut std::io::sink()).unwrap();
        let done = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&done.stderr);
        assert_eq!(done.status.code(), Some(3), "{no_mmap:?}: {stderr}");
        assert!(
            stderr.contains("big.xml: the file shrank while ogpipe read it"),
            "{stderr}"
        );
    }
}
