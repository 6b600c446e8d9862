use super::*;
use crate::read::XmlField;
use crate::table::Collect;

fn run(xml: &str, options: &ReadOptions) -> Result<Collect, ReadError> {
    let mut sink = Collect::default();
    read(
        "t.xml",
        io::Cursor::new(xml.as_bytes().to_vec()),
        options,
        &mut sink,
    )?;
    Ok(sink)
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
