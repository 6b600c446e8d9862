use super::*;
use crate::read::XmlField;
use crate::table::{Collect, Row, TableInfo, TableSink, TextRow};
use std::io;

fn run(xml: &str, options: &ReadOptions) -> Result<Collect, ReadError> {
    run_bytes_with(xml.as_bytes(), options)
}

/// Reads `xml` as a stream and, to check they agree, in place (as a mapped file).
fn run_bytes_with(xml: &[u8], options: &ReadOptions) -> Result<Collect, ReadError> {
    let mut sink = Collect::default();
    let streamed = read("t.xml", io::Cursor::new(xml.to_vec()), options, &mut sink);
    let mut in_place = Collect::default();
    let mapped = read_in_place("t.xml", &xml, options, &mut in_place);
    assert_eq!(
        format!("{mapped:?} {in_place:?}"),
        format!("{streamed:?} {sink:?}"),
        "in place and streamed differ"
    );
    streamed.map(|_| sink)
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

const PUBS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<p:publications xmlns:p="urn:pubs" xmlns:d="http://purl.org/dc/elements/1.1/">
  <p:publication id="1">
    <d:title xml:lang="fr">L&apos;été &amp; &#233;lan</d:title>
    <p:author><p:name>Zoë</p:name></p:author>
    <p:note/>
  </p:publication>
  <p:publication id="2">
    <d:title xml:lang="en"><![CDATA[Budget <2024>]]></d:title>
    <p:author><p:name>Sam</p:name></p:author>
    <p:note>n</p:note>
  </p:publication>
</p:publications>"#;

#[test]
fn fields_resolve_prefixes_by_namespace_uri() {
    let options = ReadOptions {
        // Prefixes in the manifest need not match the document's.
        record_path: Some("/pub:publications/pub:publication".into()),
        namespaces: [
            ("pub".to_string(), "urn:pubs".to_string()),
            (
                "dc".to_string(),
                "http://purl.org/dc/elements/1.1/".to_string(),
            ),
        ]
        .into(),
        fields: [
            ("id", "@id"),
            ("title", "dc:title"),
            ("lang", "dc:title/@xml:lang"),
            ("author", "pub:author/pub:name"),
            ("missing", "nothing"),
        ]
        .map(|(name, path)| XmlField {
            name: name.into(),
            path: path.into(),
        })
        .to_vec(),
        ..ReadOptions::default()
    };
    let t = run(PUBS, &options).expect("valid xml");
    assert_eq!(t.info.headers, ["id", "title", "lang", "author", "missing"]);
    assert_eq!(
        t.rows[0],
        (
            1,
            vec![
                text("1"),
                text("L'été & élan"),
                text("fr"),
                text("Zoë"),
                Value::Empty
            ]
        )
    );
    assert_eq!(t.rows[1].1[1], text("Budget <2024>"));
}

#[test]
fn automatic_mode_flattens_the_first_records_shape() {
    let t = run(PUBS, &ReadOptions::default()).expect("valid xml");
    assert_eq!(
        t.info.headers,
        [
            "@id",
            "d:title/@xml:lang",
            "d:title",
            "p:author/p:name",
            "p:note"
        ]
    );
    assert_eq!(t.rows[0].1[4], Value::Empty);
    assert_eq!(
        t.rows[1],
        (
            2,
            vec![
                text("2"),
                text("en"),
                text("Budget <2024>"),
                text("Sam"),
                text("n")
            ]
        )
    );
}

#[test]
fn automatic_mode_refuses_a_column_the_first_record_lacked() {
    let xml = "<r>\n<x><a>1</a></x>\n<x><a>2</a>\n<b>3</b></x></r>";
    match run(xml, &ReadOptions::default()) {
        Err(ReadError::Xml { line, detail, .. }) => {
            assert_eq!(line, 4);
            assert!(
                detail.contains("record 2") && detail.contains("\"b\""),
                "{detail}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn hostile_or_broken_documents_are_refused() {
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<lolz>&lol2;</lolz>"#;
    let deep = format!("<r>{}{}</r>", "<a>".repeat(100), "</a>".repeat(100));
    #[allow(clippy::type_complexity)] // a table of cases reads best inline
    let cases: Vec<(&str, String, fn(&ReadError) -> bool)> = vec![
        ("billion laughs", laughs.into(), |e| {
            matches!(e, ReadError::Xml { line: 2, .. })
        }),
        ("undeclared entity", "<r><x>&ent;</x></r>".into(), |e| {
            matches!(e, ReadError::Xml { .. })
        }),
        (
            "entity in attribute",
            "<r><x a=\"&ent;\"/></r>".into(),
            |e| matches!(e, ReadError::Xml { .. }),
        ),
        ("too deep", deep, |e| {
            matches!(
                e,
                ReadError::Limit {
                    limit: "max_xml_depth",
                    ..
                }
            )
        }),
        ("unclosed", "<r><x>1</x>".into(), |e| {
            matches!(e, ReadError::Xml { .. })
        }),
        ("mismatched", "<r><x>1</y></r>".into(), |e| {
            matches!(e, ReadError::Xml { .. })
        }),
    ];
    for (name, xml, is_expected) in cases {
        match run(&xml, &ReadOptions::default()) {
            Err(e) => assert!(is_expected(&e), "{name}: {e:?}"),
            Ok(t) => panic!("{name}: read {t:?}"),
        }
    }
}

#[test]
fn unknown_prefix_in_options_is_an_options_error() {
    let options = ReadOptions {
        record_path: Some("/x:r/x:p".into()),
        ..ReadOptions::default()
    };
    assert!(matches!(
        run("<r/>", &options),
        Err(ReadError::Options { .. })
    ));
}

const BILINGUAL: &str = r#"<publications xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:y="urn:y">
  <publication id="PUB-2020-01" type="report">
    <dc:title xml:lang="en">Public Report 2019</dc:title>
    <dc:title xml:lang="fr">Rapport public 2019</dc:title>
    <link rel="self" href="https://example.org/a/b"/>
    <link rel="alternate" href="https://example.org/fr"/>
    <note lang="en" y:lang="fr">plain</note>
    <section kind="main"><para>in main</para></section>
    <section kind="aside"><para>in aside</para></section>
  </publication>
  <publication id="PUB-2020-02"><dc:title xml:lang="fr">Seulement</dc:title></publication>
</publications>"#;

/// Options for `BILINGUAL` with the manifest's own prefixes (`x` is the document's `y`).
fn bilingual(paths: &[(&str, &str)]) -> ReadOptions {
    fields(
        &[("dc", "http://purl.org/dc/elements/1.1/"), ("x", "urn:y")],
        paths,
    )
}

#[test]
fn predicates_tell_bilingual_elements_apart() {
    let t = run(
        BILINGUAL,
        &bilingual(&[
            ("id", "@id"),
            ("title_en", "dc:title[@xml:lang='en']"),
            ("title_fr", "dc:title[@xml:lang=\"fr\"]"),
        ]),
    )
    .expect("each predicated field matches once");
    assert_eq!(t.info.headers, ["id", "title_en", "title_fr"]);
    assert_eq!(
        t.rows[0],
        (
            1,
            vec![
                text("PUB-2020-01"),
                text("Public Report 2019"),
                text("Rapport public 2019")
            ]
        )
    );
    assert_eq!(
        t.rows[1],
        (
            2,
            vec![text("PUB-2020-02"), Value::Empty, text("Seulement")]
        )
    );
}

#[test]
fn predicates_select_one_element_of_first_record() {
    let cases: &[(&str, &str, Value)] = &[
        (
            "prefixed attribute",
            "dc:title[@xml:lang='en']",
            text("Public Report 2019"),
        ),
        (
            "prefix from namespaces, not the document's",
            "note[@x:lang='fr']",
            text("plain"),
        ),
        ("unprefixed attribute", "note[@lang='en']", text("plain")),
        (
            "unprefixed matches only an unprefixed attribute",
            "note[@lang='fr']",
            Value::Empty,
        ),
        (
            "unprefixed does not match xml:lang",
            "dc:title[@lang='en']",
            Value::Empty,
        ),
        (
            "then an attribute step",
            "link[@rel='self']/@href",
            text("https://example.org/a/b"),
        ),
        (
            "a / inside the quoted value",
            "link[@href=\"https://example.org/fr\"]/@rel",
            text("alternate"),
        ),
        (
            "on a parent step",
            "section[@kind='aside']/para",
            text("in aside"),
        ),
        (
            "spaces around the parts",
            "link[ @rel = 'self' ]/@href",
            text("https://example.org/a/b"),
        ),
        ("matches nothing", "dc:title[@xml:lang='de']", Value::Empty),
        (
            "the value matches exactly",
            "dc:title[@xml:lang='EN']",
            Value::Empty,
        ),
        ("an absent attribute", "dc:title[@id='en']", Value::Empty),
    ];
    for (name, path, want) in cases {
        let t =
            run(BILINGUAL, &bilingual(&[("f", path)])).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(t.rows[0].1, std::slice::from_ref(want), "{name}: {path}");
    }
}

#[test]
fn a_field_without_predicate_found_twice_is_still_an_error() {
    for path in ["dc:title", "link/@href", "section/para"] {
        match run(BILINGUAL, &bilingual(&[("f", path)])) {
            Err(ReadError::Xml { detail, .. }) => assert!(
                detail.contains("record 1") && detail.contains("more than once"),
                "{path}: {detail}"
            ),
            other => panic!("{path}: {other:?}"),
        }
    }
}

#[test]
fn malformed_predicates_are_options_errors() {
    let cases = [
        ("dc:title[@xml:lang=en]", "quotes"),
        ("dc:title[@xml:lang='en'", "expected ]"),
        ("dc:title[@xml:lang='en]", "closing quote"),
        ("dc:title[@xml:lang='en\"]", "closing quote"),
        ("dc:title[xml:lang='en']", "an attribute, ="),
        ("dc:title[@='en']", "an attribute, ="),
        ("dc:title[@xml:lang]", "an attribute, ="),
        ("dc:title[@xml:lang='en']x", "an attribute, ="),
        (
            "dc:title[@xml:lang='en'][@id='1']",
            "one predicate per step",
        ),
        ("dc:title]", "brackets do not pair up"),
        ("[@xml:lang='en']", "element name before"),
        ("link/@href[@rel='self']", "on an element"),
        (
            "dc:title[@zz:lang='en']",
            "\"zz\" in \"zz:lang\" is not in read.namespaces",
        ),
    ];
    for (path, expected) in cases {
        match run(BILINGUAL, &bilingual(&[("title_en", path)])) {
            Err(ReadError::Options { detail, .. }) => {
                assert!(
                    detail.starts_with(&format!("field \"title_en\" ({path}): ")),
                    "{path}: {detail}"
                );
                assert!(detail.contains(expected), "{path}: {detail}");
            }
            other => panic!("{path}: {other:?}"),
        }
    }
}

#[test]
fn automatic_mode_ignores_predicate_support() {
    // Same output as before predicates existed: attributes, then the element's text.
    let t = run(
        r#"<r><p id="1"><t lang="en">a</t><u><v k="x">b</v></u></p></r>"#,
        &ReadOptions::default(),
    )
    .expect("valid xml");
    assert_eq!(t.info.headers, ["@id", "t/@lang", "t", "u/v/@k", "u/v"]);
    assert_eq!(
        t.rows[0].1,
        [text("1"), text("en"), text("a"), text("x"), text("b")]
    );
    match run(BILINGUAL, &ReadOptions::default()) {
        Err(ReadError::Xml { detail, .. }) => assert!(
            detail.contains("\"dc:title/@xml:lang\" occurs more than once"),
            "{detail}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn record_path_refuses_predicates() {
    let options = ReadOptions {
        record_path: Some("/publications/publication[@type='report']".into()),
        ..ReadOptions::default()
    };
    assert!(matches!(
        run(BILINGUAL, &options),
        Err(ReadError::Options { .. })
    ));
}

/// `(line, detail)` of an XML error, or a panic naming what came instead.
fn xml_error(xml: &str, options: &ReadOptions) -> (u64, String) {
    match run(xml, options) {
        Err(ReadError::Xml { line, detail, .. }) => (line, detail),
        other => panic!("expected an XML error, got {other:?}"),
    }
}

fn fields(namespaces: &[(&str, &str)], fields: &[(&str, &str)]) -> ReadOptions {
    ReadOptions {
        namespaces: namespaces
            .iter()
            .map(|(p, u)| ((*p).to_string(), (*u).to_string()))
            .collect(),
        fields: fields
            .iter()
            .map(|(name, path)| XmlField {
                name: (*name).into(),
                path: (*path).into(),
            })
            .collect(),
        ..ReadOptions::default()
    }
}

#[test]
fn namespace_declarations_are_scoped_to_their_element() {
    // `a` is bound to urn:one, then rebound to urn:two inside the second child only; the
    // default namespace changes for one record; an undeclared prefix has no namespace.
    let xml = r#"<r xmlns:a="urn:one" xmlns="urn:d">
<rec><a:v>1</a:v><w>d1</w></rec>
<rec xmlns:a="urn:two"><a:v>2</a:v><w>d2</w></rec>
<rec><a:v>3</a:v><w xmlns="urn:other">d3</w></rec>
<rec><b:v>4</b:v></rec>
</r>"#;
    let t = run(
        xml,
        &fields(
            &[("one", "urn:one"), ("two", "urn:two"), ("d", "urn:d")],
            &[
                ("one", "one:v"),
                ("two", "two:v"),
                ("any_v", "v"),
                ("d_w", "d:w"),
                ("any_w", "w"),
            ],
        ),
    )
    .expect("valid xml");
    let rows: Vec<Vec<Value>> = t.rows.into_iter().map(|(_, r)| r).collect();
    let e = Value::Empty;
    assert_eq!(
        rows,
        [
            vec![text("1"), e.clone(), text("1"), text("d1"), text("d1")],
            vec![e.clone(), text("2"), text("2"), text("d2"), text("d2")],
            vec![text("3"), e.clone(), text("3"), e.clone(), text("d3")],
            vec![e.clone(), e.clone(), text("4"), e.clone(), e.clone()],
        ]
    );
}

#[test]
fn attributes_take_no_default_namespace() {
    let xml = r#"<r xmlns="urn:d" xmlns:p="urn:p"><rec p:k="pk" q="q"><x p:k="xpk"/></rec></r>"#;
    let t = run(
        xml,
        &fields(
            &[("d", "urn:d"), ("p", "urn:p")],
            &[
                ("pk", "@p:k"),
                ("q", "@q"),
                ("dq", "@d:q"),
                ("xpk", "d:x/@p:k"),
            ],
        ),
    )
    .expect("valid xml");
    assert_eq!(
        t.rows[0].1,
        [text("pk"), text("q"), Value::Empty, text("xpk")]
    );
    let auto = run(xml, &ReadOptions::default()).expect("valid xml");
    assert_eq!(auto.info.headers, ["@p:k", "@q", "x/@p:k", "x"]);
}

#[test]
fn an_elements_value_is_its_own_text() {
    let xml = "<r><rec><a>fo<b>x</b>o&amp;<![CDATA[<c>]]>&#x263A;</a><c>  spaced\n</c></rec></r>";
    let options = fields(&[], &[("a", "a"), ("b", "a/b"), ("c", "c")]);
    let t = run(xml, &options).expect("valid");
    assert_eq!(
        t.rows[0].1,
        [text("foo&<c>☺"), text("x"), text("  spaced\n")]
    );
    // A text piece is held as a place in its window until its element ends: cut
    // anywhere, the value is the same.
    let whole = windowed(xml.as_bytes(), &options, 1 << 20);
    assert!(whole.contains("foo&<c>☺"), "{whole}");
    for window in 1..xml.len() {
        assert_eq!(
            windowed(xml.as_bytes(), &options, window),
            whole,
            "window {window}"
        );
    }
    // Automatic mode: only leaves are columns.
    let auto = run(xml, &ReadOptions::default()).expect("valid");
    assert_eq!(auto.info.headers, ["a/b", "c"]);
}

#[test]
fn records_nested_in_records_are_fields_not_records() {
    let xml = "<r><x><x><v>inner</v></x><v>outer</v></x><x><v>2</v></x></r>";
    let options = ReadOptions {
        record_path: Some("/r/x".into()),
        ..fields(&[], &[("v", "v"), ("xv", "x/v")])
    };
    let t = run(xml, &options).expect("valid");
    assert_eq!(
        t.rows,
        [
            (1, vec![text("outer"), text("inner")]),
            (2, vec![text("2"), Value::Empty])
        ]
    );
}

#[test]
fn errors_name_the_line_they_happen_on() {
    let (line, detail) = xml_error(
        "<r>\n<x>\n<a>1</a>\n</x>\n<x><a>1</a><a>2</a></x>\n</r>",
        &ReadOptions::default(),
    );
    assert_eq!(line, 5, "{detail}");
    assert!(
        detail.contains("record 2") && detail.contains("more than once"),
        "{detail}"
    );
    let (line, detail) = xml_error("<r>\n<x>\n<a>1</b>\n</x></r>", &ReadOptions::default());
    assert_eq!(line, 3, "{detail}");
    let (line, detail) = xml_error("<r>\n<x>\n<a>1</a>\n</x>\n", &ReadOptions::default());
    assert_eq!(line, 5, "{detail}");
    assert!(detail.contains("ends inside <r>"), "{detail}");
    let (line, detail) = xml_error("<r>\n\n<x>&nope;</x></r>", &ReadOptions::default());
    assert_eq!(line, 3, "{detail}");
    assert!(detail.contains("&nope;"), "{detail}");
    let bad_utf8 = run_bytes(b"<r>\n<x><a>\xff</a></x></r>");
    assert!(
        matches!(bad_utf8, Err(ReadError::Xml { line: 2, .. })),
        "{bad_utf8:?}"
    );
    // Not only in text: the whole document is in its encoding, or it is refused.
    let in_comment = run_bytes(b"<r>\n<x><a>1</a></x>\n<!-- caf\xe9 -->\n</r>");
    match in_comment {
        Err(ReadError::Xml {
            line: 3, detail, ..
        }) => {
            assert!(detail.contains("is not UTF-8"), "{detail}")
        }
        other => panic!("{other:?}"),
    }
}

fn run_bytes(xml: &[u8]) -> Result<Collect, ReadError> {
    run_bytes_with(xml, &ReadOptions::default())
}

#[test]
fn the_cell_limit_counts_every_records_columns() {
    let xml = format!("<r>{}</r>", "<x><a>1</a><b>2</b></x>".repeat(10));
    let mut options = ReadOptions::default();
    options.limits.max_cells = 15;
    match run(&xml, &options) {
        Err(ReadError::Limit {
            limit: "max_cells",
            value,
            ..
        }) => assert_eq!(value, 16),
        other => panic!("{other:?}"),
    }
    options.limits.max_cells = 20;
    assert_eq!(
        run(&xml, &options).expect("within the limit").rows.len(),
        10
    );
}

#[test]
fn an_empty_or_recordless_document_is_an_empty_table() {
    for xml in [
        "<r/>",
        "<r>\n</r>",
        "<?xml version=\"1.0\"?><r><!-- none --></r>",
    ] {
        let t = run(xml, &ReadOptions::default()).expect("valid");
        assert!(
            t.info.headers.is_empty() && t.rows.is_empty(),
            "{xml}: {t:?}"
        );
    }
}

#[test]
fn a_failing_sink_stops_the_parser() {
    struct Fails(u64);
    impl TableSink for Fails {
        fn begin(&mut self, _: &TableInfo) -> io::Result<()> {
            Ok(())
        }
        fn row(&mut self, _: Row<'_>) -> io::Result<()> {
            self.0 += 1;
            if self.0 == 1000 {
                return Err(io::Error::other("disk full"));
            }
            Ok(())
        }
        fn end(&mut self) -> io::Result<()> {
            panic!("end after a failed row");
        }
    }
    // Far more rows than the batches in flight, so the parser would block if it were
    // not told to stop.
    let xml = format!("<r>{}</r>", "<x><a>1</a></x>".repeat(200_000));
    let mut sink = Fails(0);
    let got = read(
        "t.xml",
        io::Cursor::new(xml),
        &ReadOptions::default(),
        &mut sink,
    );
    assert!(matches!(got, Err(ReadError::Sink(_))), "{got:?}");
    assert_eq!(sink.0, 1000);
}

#[test]
fn rows_before_an_error_reach_the_sink_first() {
    let xml = format!(
        "<r>{}<x><a>1</a><b>new</b></x></r>",
        "<x><a>1</a></x>".repeat(5000)
    );
    let mut sink = Collect::default();
    let got = read(
        "t.xml",
        io::Cursor::new(xml),
        &ReadOptions::default(),
        &mut sink,
    );
    assert!(matches!(got, Err(ReadError::Xml { .. })), "{got:?}");
    assert_eq!(sink.rows.len(), 5000);
}

#[test]
fn too_many_distinct_paths_are_refused() {
    let options = fields(&[], &[("v", "v")]);
    let names = (0..tree::MAX_NODES + 10).map(|i| format!("<x><v>1</v><e{i}/></x>"));
    let xml = format!("<r>{}</r>", names.collect::<String>());
    // Elements no field can reach make no path: they are not counted.
    assert!(run(&xml, &options).is_ok());
    let auto = format!(
        "<r>{}</r>",
        (0..tree::MAX_NODES + 10)
            .map(|i| format!("<n{i} xmlns=\"urn:{i}\"/>"))
            .collect::<String>()
    );
    let record = ReadOptions {
        record_path: Some("/r/x".into()),
        ..ReadOptions::default()
    };
    // Unprefixed record steps match any namespace: the paths to them are kept.
    let hostile = format!(
        "<r>{}</r>",
        (0..tree::MAX_NODES + 10)
            .map(|i| format!("<p{i}:x xmlns:p{i}=\"urn:a\"/>"))
            .collect::<String>()
    );
    assert!(run(&auto, &record).is_ok());
    match run(&hostile, &record) {
        Err(ReadError::Xml { detail, .. }) => {
            assert!(detail.contains("distinct element paths"), "{detail}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn damaged_documents_never_panic() {
    let base = PUBS.as_bytes();
    let options = [
        ReadOptions::default(),
        ReadOptions {
            record_path: Some("/pub:publications/pub:publication".into()),
            namespaces: [("pub".to_string(), "urn:pubs".to_string())].into(),
            ..bilingual(&[("t", "dc:title[@xml:lang='en']"), ("id", "@id")])
        },
    ];
    for cut in 0..base.len() {
        for o in &options {
            let _ = run_bytes_with(&base[..cut], o);
        }
    }
    for i in 0..base.len() {
        for b in [b'<', b'>', b'/', b'"', b'&', 0xff, b':'] {
            let mut damaged = base.to_vec();
            damaged[i] = b;
            for o in &options {
                let _ = run_bytes_with(&damaged, o);
            }
        }
    }
}

/// The result of reading `xml` `window` bytes at a time, as text to compare; read in
/// place too, which must read the same.
fn windowed(xml: &[u8], options: &ReadOptions, window: usize) -> String {
    let result = |doc: Doc<'_, io::Cursor<Vec<u8>>>| {
        let mut sink = Collect::default();
        match read_in("t.xml", doc, options, &mut sink, window) {
            Ok(summary) => format!("{summary:?} {sink:?}"),
            Err(e) => format!("error: {e} (after {:?})", sink.rows),
        }
    };
    let streamed = result(Doc::Stream(io::Cursor::new(xml.to_vec())));
    let in_place = result(Doc::InPlace(&xml));
    assert_eq!(
        in_place, streamed,
        "window {window}: in place and streamed differ"
    );
    streamed
}

/// Markup that a window's end can cut: comments, CDATA sections and processing
/// instructions holding `<`, a tag with `>` in an attribute, references, a DOCTYPE.
const TRICKY: &str = "<?xml version=\"1.0\"?>\n<!DOCTYPE r SYSTEM \"r.dtd\">\n<!-- a < b -->\n<r>\n  <x id=\"1 > 0\"><a>one &amp; &#233;<!-- <not/> --></a><b><![CDATA[<two>]]></b></x>\n  <?pi <3 ?>\n  <x id=\"2\"><a>ü<![CDATA[ ]]>z</a><b/></x>\n</r>\n";

#[test]
fn any_window_size_reads_the_same() {
    let docs: [&[u8]; 3] = [PUBS.as_bytes(), TRICKY.as_bytes(), b""];
    for doc in docs {
        let whole = windowed(doc, &ReadOptions::default(), 1 << 20);
        for window in (1..=24).chain([37, 64, 100, 333]) {
            assert_eq!(
                windowed(doc, &ReadOptions::default(), window),
                whole,
                "window {window}"
            );
        }
    }
    assert!(windowed(TRICKY.as_bytes(), &ReadOptions::default(), 1).contains("ü z"));
}

#[test]
fn damaged_documents_read_alike_in_small_windows() {
    let base = TRICKY.as_bytes();
    for cut in 0..base.len() {
        let doc = &base[..cut];
        assert_eq!(
            windowed(doc, &ReadOptions::default(), 5),
            windowed(doc, &ReadOptions::default(), 1 << 20),
            "cut at {cut}"
        );
    }
    for i in 0..base.len() {
        for b in [b'<', b'>', b'/', b'"', b'-', b']', b'?', 0xFF, 0xC3] {
            let mut damaged = base.to_vec();
            damaged[i] = b;
            assert_eq!(
                windowed(&damaged, &ReadOptions::default(), 7),
                windowed(&damaged, &ReadOptions::default(), 1 << 20),
                "byte {i} set to {}",
                b as char
            );
        }
    }
}

#[test]
fn end_tags_must_close_the_open_element() {
    let (line, detail) = xml_error("<r>\n<a>1</a>\n</b>", &ReadOptions::default());
    assert_eq!(line, 3, "{detail}");
    assert!(
        detail.contains("</b>") && detail.contains("<r>"),
        "{detail}"
    );
    let (_, detail) = xml_error("<r/></r>", &ReadOptions::default());
    assert!(detail.contains("closes no open element"), "{detail}");
}

/// Attribute values with and without references, one attribute or several; a name
/// given twice in one tag is refused however many attributes the tag has.
#[test]
fn attributes_are_read_and_checked_whatever_their_number() {
    let doc =
        r#"<r><x id="1" href="a?b=c&amp;d=&#233;" t='&lt;&quot;'/><x id="2" href="e" t="f"/></r>"#;
    let got = run(doc, &ReadOptions::default()).unwrap();
    assert_eq!(got.info.headers, ["@id", "@href", "@t"]);
    assert_eq!(got.rows[0].1, [text("1"), text("a?b=c&d=é"), text("<\"")]);
    assert_eq!(got.rows[1].1, [text("2"), text("e"), text("f")]);
    let one = run(r#"<r><x q="a=b&amp;c"/></r>"#, &ReadOptions::default()).unwrap();
    assert_eq!(one.rows[0].1, [text("a=b&c")]);
    for twice in [
        r#"<r><x a="1" a="2"/></r>"#,
        r#"<r><x a="1=" b="2" a="3"/></r>"#,
        r#"<r><x xmlns:p="u" p:a="1" p:a="2"/></r>"#,
    ] {
        match run(twice, &ReadOptions::default()) {
            Err(ReadError::Xml { detail, .. }) => assert!(detail.contains("attribute"), "{detail}"),
            other => panic!("{twice}: {other:?}"),
        }
    }
    for bad in [r#"<r><x a="&nope;"/></r>"#, r#"<r><x a="1 & 2"/></r>"#] {
        assert!(run(bad, &ReadOptions::default()).is_err(), "{bad}");
    }
}

#[test]
fn latin_1_documents_read_their_names_and_text() {
    let doc = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<r><ann\xe9e n=\"\xe9\"><v\xe9>\xe9t\xe9</v\xe9></ann\xe9e></r>";
    let got = run_bytes(doc).unwrap();
    assert_eq!(got.info.headers, ["@n", "vé"]);
    assert_eq!(got.rows[0].1, [text("é"), text("été")]);
    for window in [1, 3, 8] {
        assert_eq!(
            windowed(doc, &ReadOptions::default(), window),
            windowed(doc, &ReadOptions::default(), 1 << 20)
        );
    }
}

#[test]
fn utf_16_is_refused_with_a_clear_message() {
    let mut doc = vec![0xFF, 0xFE];
    for u in "<r><x>1</x></r>".encode_utf16() {
        doc.extend_from_slice(&u.to_le_bytes());
    }
    match run_bytes(&doc) {
        Err(ReadError::Xml { detail, .. }) => assert!(detail.contains("UTF-16"), "{detail}"),
        other => panic!("{other:?}"),
    }
}

/// Collects rows handed over as text only, as a CSV output takes them.
#[derive(Default)]
struct TextOnly(Collect);

impl TableSink for TextOnly {
    fn begin(&mut self, info: &TableInfo) -> io::Result<()> {
        self.0.begin(info)
    }
    fn row(&mut self, _: Row<'_>) -> io::Result<()> {
        panic!("a sink that takes text gets text rows")
    }
    fn text_row(&mut self, row: TextRow<'_>) -> io::Result<()> {
        assert!(row.cells.is_none());
        self.0.rows.push((row.number, row.values()));
        Ok(())
    }
    fn takes_text(&self) -> bool {
        true
    }
    fn end(&mut self) -> io::Result<()> {
        self.0.end()
    }
}

/// A sink that takes text gets the rows values would give, whether a record's cells
/// lie in column order in the parser's text (the usual case) or not.
#[test]
fn text_rows_hold_what_values_would() {
    let out_of_order = "<r><x><b>2</b><a>1</a><c>3</c></x><x><c>z</c><a>x</a></x></r>";
    let cases = [
        (PUBS, ReadOptions::default()),
        (TRICKY, ReadOptions::default()),
        (
            out_of_order,
            fields(&[], &[("a", "a"), ("b", "b"), ("c", "c")]),
        ),
        (out_of_order, ReadOptions::default()),
    ];
    for (xml, options) in cases {
        let values = run(xml, &options);
        let mut sink = TextOnly::default();
        let texts = read(
            "t.xml",
            io::Cursor::new(xml.as_bytes().to_vec()),
            &options,
            &mut sink,
        )
        .map(|_| sink.0);
        assert_eq!(format!("{texts:?}"), format!("{values:?}"), "{xml}");
    }
    let t = run(
        out_of_order,
        &fields(&[], &[("a", "a"), ("b", "b"), ("c", "c")]),
    )
    .unwrap();
    assert_eq!(t.rows[1].1, [text("x"), Value::Empty, text("z")]);
}

/// Random damage (seeded, so a failure can be replayed): several bytes of a document
/// replaced at once, read in windows of a few bytes and whole, give the same result.
#[test]
fn randomly_damaged_documents_read_alike_in_any_window() {
    let mut rng = fastrand::Rng::with_seed(0x0617_2026);
    let bytes = [
        b'<', b'>', b'/', b'&', b';', b'"', b'\n', b'a', 0xC3, 0xA9, 0xFF,
    ];
    for doc in [PUBS.as_bytes(), TRICKY.as_bytes()] {
        for round in 0..300 {
            let mut damaged = doc.to_vec();
            for _ in 0..rng.usize(1..4) {
                let at = rng.usize(..damaged.len());
                damaged[at] = bytes[rng.usize(..bytes.len())];
            }
            let window = rng.usize(1..40);
            assert_eq!(
                windowed(&damaged, &ReadOptions::default(), window),
                windowed(&damaged, &ReadOptions::default(), 1 << 20),
                "round {round}, window {window}: {}",
                String::from_utf8_lossy(&damaged)
            );
        }
    }
}
