//! Writes the benchmark corpus: ROWS rows × 12 mixed columns as CSV, xlsx, ods and XML,
//! plus a Table Schema and the equivalent JSON Schema for the validation benchmarks.
//!
//! ```sh
//! cargo run --release --example gen_corpus -- OUT_DIR ROWS
//! ```
//!
//! Output is deterministic (a fixed seed): the same ROWS always gives the same bytes.
//!
//! Every writer streams, so memory stays flat at any row count:
//! - `corpus.xlsx` is written part by part through the zip crate, in the layout of
//!   rust_xlsxwriter's `constant_memory` mode (inline strings, rows written in order).
//!   That mode sits behind a rust_xlsxwriter feature this crate does not enable, so the
//!   few parts are written here.
//! - `corpus_sst.xlsx` (only when ROWS ≤ 200,000) is rust_xlsxwriter's standard output
//!   with a shared strings table, as Excel writes; it is built in memory.
//! - `corpus.ods` is a zip with a streamed `content.xml`, as LibreOffice writes it.
//! - `corpus.xml` is one `<record>` per row, in a default namespace, with an attribute.
//!
//! Columns: `id` (integer), `code` (text with leading zeros), `region` (accented text),
//! `title` (text with quotes and commas), `note` (text with a line break, 30 % empty),
//! `amount` (2-decimal number), `ratio` (a decimal with binary noise, `0.1 × k`),
//! `count` (integer, 10 % empty), `day` (date), `stamp` (date-time), `active` (boolean),
//! `score` (full-precision number, 5 % empty).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};

const HEADERS: [&str; 12] = [
    "id", "code", "region", "title", "note", "amount", "ratio", "count", "day", "stamp", "active",
    "score",
];

const REGIONS: [&str; 13] = [
    "Québec",
    "Ontario",
    "Nouvelle-Écosse",
    "Nouveau-Brunswick",
    "Manitoba",
    "Colombie-Britannique",
    "Île-du-Prince-Édouard",
    "Saskatchewan",
    "Alberta",
    "Terre-Neuve-et-Labrador",
    "Yukon",
    "Territoires du Nord-Ouest",
    "Nunavut",
];

const TITLES: [&str; 8] = [
    "Rapport \"annuel\", édition",
    "Plan d'action, volet",
    "Sondage « citoyens », vague",
    "Guide, partie",
    "Public report, part",
    "Évaluation \"interne\"",
    "Bilan, trimestre",
    "Note de service",
];

const WORDS: [&str; 10] = [
    "crédit", "été", "façade", "naïve", "cœur", "déjà", "garçon", "hôtel", "élève", "forêt",
];

/// One row's values, typed.
struct Record {
    id: u64,
    code: String,
    region: &'static str,
    title: String,
    note: Option<String>,
    amount: f64,
    ratio: f64,
    count: Option<i64>,
    day: NaiveDate,
    stamp: NaiveDateTime,
    active: bool,
    score: Option<f64>,
}

fn record(rng: &mut fastrand::Rng, id: u64) -> Record {
    let base = NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date");
    let first = id == 1; // the first row has every column, for XML's automatic columns
    Record {
        id,
        code: format!("{:06}", rng.u32(0..1_000_000)),
        region: REGIONS[rng.usize(..REGIONS.len())],
        title: format!("{} {}", TITLES[rng.usize(..TITLES.len())], rng.u32(1..50)),
        note: (first || rng.u8(0..10) >= 3).then(|| {
            format!(
                "Ligne 1 — {}, {}\nLigne 2",
                WORDS[rng.usize(..WORDS.len())],
                rng.u32(0..1000)
            )
        }),
        amount: f64::from(rng.u32(0..10_000_000)) / 100.0,
        ratio: f64::from(rng.u32(0..100)) * 0.1,
        count: (first || rng.u8(0..10) != 0).then(|| rng.i64(-1000..100_000)),
        day: base + Duration::days(rng.i64(0..11_000)),
        stamp: (base + Duration::days(rng.i64(0..11_000)))
            .and_hms_opt(rng.u32(0..24), rng.u32(0..60), rng.u32(0..60))
            .expect("valid time"),
        active: rng.bool(),
        score: (first || rng.u8(0..20) != 0).then(|| rng.f64() * 1000.0),
    }
}

fn records(rows: u64) -> impl Iterator<Item = Record> {
    let mut rng = fastrand::Rng::with_seed(SEED);
    (1..=rows).map(move |id| record(&mut rng, id))
}

const SEED: u64 = 20_241_128;

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(out), Some(rows)) = (args.next(), args.next()) else {
        eprintln!("usage: gen_corpus OUT_DIR ROWS");
        std::process::exit(2);
    };
    let rows: u64 = rows.parse().unwrap_or_else(|_| {
        eprintln!("ROWS must be a whole number, not {rows:?}");
        std::process::exit(2);
    });
    let out = Path::new(&out);
    std::fs::create_dir_all(out)?;
    write_csv(&out.join("corpus.csv"), rows)?;
    write_xml(&out.join("corpus.xml"), rows)?;
    write_xlsx(&out.join("corpus.xlsx"), rows)?;
    write_ods(&out.join("corpus.ods"), rows)?;
    if rows <= 200_000 {
        write_xlsx_sst(&out.join("corpus_sst.xlsx"), rows)?;
    }
    std::fs::write(out.join("corpus.schema.json"), TABLE_SCHEMA)?;
    std::fs::write(out.join("corpus.jsonschema.json"), JSON_SCHEMA)?;
    Ok(())
}

fn fmt_f64(x: f64) -> String {
    format!("{x}")
}

fn fmt_stamp(t: &NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// The row as CSV/XML text, `None` for an empty cell.
fn texts(r: &Record) -> [Option<String>; 12] {
    [
        Some(r.id.to_string()),
        Some(r.code.clone()),
        Some(r.region.to_string()),
        Some(r.title.clone()),
        r.note.clone(),
        Some(fmt_f64(r.amount)),
        Some(fmt_f64(r.ratio)),
        r.count.map(|c| c.to_string()),
        Some(r.day.format("%Y-%m-%d").to_string()),
        Some(fmt_stamp(&r.stamp)),
        Some(r.active.to_string()),
        r.score.map(fmt_f64),
    ]
}

fn write_csv(path: &Path, rows: u64) -> io::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(BufWriter::new(File::create(path)?));
    w.write_record(HEADERS)?;
    for r in records(rows) {
        w.write_record(texts(&r).iter().map(|t| t.as_deref().unwrap_or("")))?;
    }
    w.flush()
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

fn write_xml(path: &Path, rows: u64) -> io::Result<()> {
    let mut w = BufWriter::new(File::create(path)?);
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(w, r#"<corpus xmlns="urn:ogpipe:bench:corpus">"#)?;
    for r in records(rows) {
        let t = texts(&r);
        write!(w, "  <record id=\"{}\">", r.id)?;
        for (name, value) in HEADERS.iter().zip(&t).skip(1) {
            if let Some(v) = value {
                write!(w, "<{name}>{}</{name}>", escape(v))?;
            }
        }
        writeln!(w, "</record>")?;
    }
    writeln!(w, "</corpus>")?;
    w.flush()
}

/// Days since 1899-12-30: Excel's 1900-system serial for dates after February 1900.
fn serial_day(d: NaiveDate) -> i64 {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid date");
    (d - epoch).num_days()
}

fn serial_stamp(t: &NaiveDateTime) -> f64 {
    serial_day(t.date()) as f64 + f64::from(t.num_seconds_from_midnight()) / 86_400.0
}

fn col(i: usize) -> char {
    (b'A' + i as u8) as char
}

fn zip_writer(path: &Path) -> io::Result<zip::ZipWriter<BufWriter<File>>> {
    Ok(zip::ZipWriter::new(BufWriter::new(File::create(path)?)))
}

fn start(
    z: &mut zip::ZipWriter<BufWriter<File>>,
    name: &str,
    method: zip::CompressionMethod,
) -> io::Result<()> {
    let fixed = zip::DateTime::from_date_and_time(2024, 1, 1, 0, 0, 0).expect("valid date");
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(method)
        .last_modified_time(fixed)
        .large_file(true);
    z.start_file(name, opts).map_err(io::Error::other)
}

fn write_xlsx(path: &Path, rows: u64) -> io::Result<()> {
    use zip::CompressionMethod::Deflated;
    let mut z = zip_writer(path)?;
    for (name, text) in XLSX_PARTS {
        start(&mut z, name, Deflated)?;
        z.write_all(text.as_bytes())?;
    }
    start(&mut z, "xl/worksheets/sheet1.xml", Deflated)?;
    let mut w = BufWriter::with_capacity(1 << 16, &mut z);
    write!(
        w,
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:L{}"/><sheetData>"#,
        rows + 1
    )?;
    write!(w, r#"<row r="1">"#)?;
    for (i, h) in HEADERS.iter().enumerate() {
        inline(&mut w, col(i), 1, h)?;
    }
    write!(w, "</row>")?;
    for r in records(rows) {
        let n = r.id + 1;
        write!(w, r#"<row r="{n}">"#)?;
        write!(w, r#"<c r="A{n}"><v>{}</v></c>"#, r.id)?;
        inline(&mut w, 'B', n, &r.code)?;
        inline(&mut w, 'C', n, r.region)?;
        inline(&mut w, 'D', n, &r.title)?;
        if let Some(note) = &r.note {
            inline(&mut w, 'E', n, note)?;
        }
        write!(w, r#"<c r="F{n}"><v>{}</v></c>"#, fmt_f64(r.amount))?;
        write!(w, r#"<c r="G{n}"><v>{}</v></c>"#, fmt_f64(r.ratio))?;
        if let Some(c) = r.count {
            write!(w, r#"<c r="H{n}"><v>{c}</v></c>"#)?;
        }
        write!(w, r#"<c r="I{n}" s="1"><v>{}</v></c>"#, serial_day(r.day))?;
        write!(
            w,
            r#"<c r="J{n}" s="2"><v>{}</v></c>"#,
            fmt_f64(serial_stamp(&r.stamp))
        )?;
        write!(w, r#"<c r="K{n}" t="b"><v>{}</v></c>"#, u8::from(r.active))?;
        if let Some(s) = r.score {
            write!(w, r#"<c r="L{n}"><v>{}</v></c>"#, fmt_f64(s))?;
        }
        write!(w, "</row>")?;
    }
    write!(w, "</sheetData></worksheet>")?;
    w.flush()?;
    drop(w);
    z.finish().map_err(io::Error::other)?.flush()
}

fn inline(w: &mut impl Write, c: char, n: u64, s: &str) -> io::Result<()> {
    let preserve = if s.starts_with(' ') || s.ends_with(' ') || s.contains('\n') {
        r#" xml:space="preserve""#
    } else {
        ""
    };
    write!(
        w,
        r#"<c r="{c}{n}" t="inlineStr"><is><t{preserve}>{}</t></is></c>"#,
        escape(s)
    )
}

const XLSX_PARTS: [(&str, &str); 5] = [
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
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Corpus" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
    ),
    (
        "xl/_rels/workbook.xml.rels",
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#,
    ),
    (
        "xl/styles.xml",
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\-mm\-dd\ hh:mm:ss"/></numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>"#,
    ),
];

fn write_xlsx_sst(path: &Path, rows: u64) -> io::Result<()> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let xl = |e: rust_xlsxwriter::XlsxError| io::Error::other(e.to_string());
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Corpus").map_err(xl)?;
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let stamp = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    for (i, h) in HEADERS.iter().enumerate() {
        ws.write_string(0, i as u16, *h).map_err(xl)?;
    }
    for r in records(rows) {
        let n = r.id as u32;
        ws.write_number(n, 0, r.id as f64).map_err(xl)?;
        ws.write_string(n, 1, &r.code).map_err(xl)?;
        ws.write_string(n, 2, r.region).map_err(xl)?;
        ws.write_string(n, 3, &r.title).map_err(xl)?;
        if let Some(note) = &r.note {
            ws.write_string(n, 4, note).map_err(xl)?;
        }
        ws.write_number(n, 5, r.amount).map_err(xl)?;
        ws.write_number(n, 6, r.ratio).map_err(xl)?;
        if let Some(c) = r.count {
            ws.write_number(n, 7, c as f64).map_err(xl)?;
        }
        let d =
            ExcelDateTime::from_ymd(r.day.year() as u16, r.day.month() as u8, r.day.day() as u8)
                .map_err(xl)?;
        ws.write_datetime_with_format(n, 8, &d, &date).map_err(xl)?;
        let s = ExcelDateTime::from_serial_datetime(serial_stamp(&r.stamp)).map_err(xl)?;
        ws.write_datetime_with_format(n, 9, &s, &stamp)
            .map_err(xl)?;
        ws.write_boolean(n, 10, r.active).map_err(xl)?;
        if let Some(s) = r.score {
            ws.write_number(n, 11, s).map_err(xl)?;
        }
    }
    wb.save(path).map_err(xl)
}

fn write_ods(path: &Path, rows: u64) -> io::Result<()> {
    use zip::CompressionMethod::{Deflated, Stored};
    let mut z = zip_writer(path)?;
    start(&mut z, "mimetype", Stored)?;
    z.write_all(b"application/vnd.oasis.opendocument.spreadsheet")?;
    start(&mut z, "META-INF/manifest.xml", Deflated)?;
    z.write_all(ODS_MANIFEST.as_bytes())?;
    start(&mut z, "content.xml", Deflated)?;
    let mut w = BufWriter::with_capacity(1 << 16, &mut z);
    write!(
        w,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"><office:body><office:spreadsheet><table:table table:name="Corpus"><table:table-column table:number-columns-repeated="12"/>"#
    )?;
    write!(w, "<table:table-row>")?;
    for h in HEADERS {
        ods_text(&mut w, h)?;
    }
    write!(w, "</table:table-row>")?;
    for r in records(rows) {
        write!(w, "<table:table-row>")?;
        ods_float(&mut w, &r.id.to_string())?;
        ods_text(&mut w, &r.code)?;
        ods_text(&mut w, r.region)?;
        ods_text(&mut w, &r.title)?;
        match &r.note {
            Some(note) => ods_text(&mut w, note)?,
            None => write!(w, "<table:table-cell/>")?,
        }
        ods_float(&mut w, &fmt_f64(r.amount))?;
        ods_float(&mut w, &fmt_f64(r.ratio))?;
        match r.count {
            Some(c) => ods_float(&mut w, &c.to_string())?,
            None => write!(w, "<table:table-cell/>")?,
        }
        let day = r.day.format("%Y-%m-%d");
        write!(
            w,
            r#"<table:table-cell office:value-type="date" office:date-value="{day}"><text:p>{day}</text:p></table:table-cell>"#
        )?;
        let stamp = fmt_stamp(&r.stamp);
        write!(
            w,
            r#"<table:table-cell office:value-type="date" office:date-value="{stamp}"><text:p>{stamp}</text:p></table:table-cell>"#
        )?;
        let b = r.active;
        write!(
            w,
            r#"<table:table-cell office:value-type="boolean" office:boolean-value="{b}"><text:p>{}</text:p></table:table-cell>"#,
            if b { "TRUE" } else { "FALSE" }
        )?;
        match r.score {
            Some(s) => ods_float(&mut w, &fmt_f64(s))?,
            None => write!(w, "<table:table-cell/>")?,
        }
        write!(w, "</table:table-row>")?;
    }
    write!(
        w,
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )?;
    w.flush()?;
    drop(w);
    z.finish().map_err(io::Error::other)?.flush()
}

fn ods_text(w: &mut impl Write, s: &str) -> io::Result<()> {
    write!(w, r#"<table:table-cell office:value-type="string">"#)?;
    for line in s.split('\n') {
        write!(w, "<text:p>{}</text:p>", escape(line))?;
    }
    write!(w, "</table:table-cell>")
}

fn ods_float(w: &mut impl Write, v: &str) -> io::Result<()> {
    write!(
        w,
        r#"<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>"#
    )
}

const ODS_MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;

/// The corpus's Frictionless Table Schema, for `ogpipe validate` and `frictionless`.
const TABLE_SCHEMA: &str = r#"{
  "fields": [
    {"name": "id", "type": "integer", "constraints": {"required": true, "minimum": 1}},
    {"name": "code", "type": "string", "constraints": {"required": true, "pattern": "[0-9]{6}"}},
    {"name": "region", "type": "string", "constraints": {"required": true, "enum": ["Québec", "Ontario", "Nouvelle-Écosse", "Nouveau-Brunswick", "Manitoba", "Colombie-Britannique", "Île-du-Prince-Édouard", "Saskatchewan", "Alberta", "Terre-Neuve-et-Labrador", "Yukon", "Territoires du Nord-Ouest", "Nunavut"]}},
    {"name": "title", "type": "string", "constraints": {"required": true, "maxLength": 100}},
    {"name": "note", "type": "string"},
    {"name": "amount", "type": "number", "constraints": {"required": true, "minimum": 0}},
    {"name": "ratio", "type": "number", "constraints": {"minimum": 0, "maximum": 10}},
    {"name": "count", "type": "integer"},
    {"name": "day", "type": "date", "constraints": {"required": true}},
    {"name": "stamp", "type": "datetime"},
    {"name": "active", "type": "boolean", "constraints": {"required": true}},
    {"name": "score", "type": "number"}
  ],
  "primaryKey": ["id"]
}
"#;

/// The same rules as JSON Schema for `qsv validate`, which checks each row as an object of
/// strings (`qsv validate` types a field from its schema type).
const JSON_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "id": {"type": "integer", "minimum": 1},
    "code": {"type": "string", "pattern": "^[0-9]{6}$"},
    "region": {"type": "string", "enum": ["Québec", "Ontario", "Nouvelle-Écosse", "Nouveau-Brunswick", "Manitoba", "Colombie-Britannique", "Île-du-Prince-Édouard", "Saskatchewan", "Alberta", "Terre-Neuve-et-Labrador", "Yukon", "Territoires du Nord-Ouest", "Nunavut"]},
    "title": {"type": "string", "maxLength": 100},
    "note": {"type": ["string", "null"]},
    "amount": {"type": "number", "minimum": 0},
    "ratio": {"type": ["number", "null"], "minimum": 0, "maximum": 10},
    "count": {"type": ["integer", "null"]},
    "day": {"type": "string", "format": "date"},
    "stamp": {"type": ["string", "null"], "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$"},
    "active": {"type": "boolean"},
    "score": {"type": ["number", "null"]}
  },
  "required": ["id", "code", "region", "title", "amount", "day", "active"]
}
"#;
