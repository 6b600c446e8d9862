//! `GET /dataset/<name or id>`: a minimal page for a public dataset, so that the links a
//! run prints open something on the mock portal too (CKAN serves its own dataset page
//! there). Private and unknown datasets get a 404 page, as CKAN shows anonymous visitors.

use serde_json::{Map, Value};

use super::state::str_of;
use crate::report::doc::escape as esc;

/// A dataset's title in English, whichever profile stored it.
fn title(d: &Map<String, Value>) -> String {
    d.get("title_translated")
        .and_then(|t| t.get("en"))
        .and_then(Value::as_str)
        .or_else(|| str_of(d, "title"))
        .unwrap_or_default()
        .to_owned()
}

/// The page of a public dataset; `None` when it must not be shown.
pub(crate) fn dataset_page(d: &Map<String, Value>) -> Option<String> {
    let public =
        d.get("private") == Some(&Value::Bool(false)) && str_of(d, "state") != Some("deleted");
    if !public {
        return None;
    }
    let mut items = String::new();
    for r in d
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
    {
        let name = r
            .get("name_translated")
            .and_then(|t| t.get("en"))
            .and_then(Value::as_str)
            .or_else(|| str_of(r, "name"))
            .unwrap_or("(unnamed)");
        items.push_str(&format!(
            "<li><a href=\"{}\">{}</a> ({}, {} bytes)</li>\n",
            esc(str_of(r, "url").unwrap_or_default()),
            esc(name),
            esc(str_of(r, "format").unwrap_or_default()),
            r.get("size").and_then(Value::as_u64).unwrap_or(0)
        ));
    }
    let t = esc(&title(d));
    Some(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title></head>\n<body><main><h1>{t}</h1>\n<p>ogpipe's mock portal: a rehearsal, not a real portal.</p>\n<h2>Resources</h2>\n<ul>\n{items}</ul></main></body></html>\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_public_dataset_lists_its_files_escaped_and_a_private_one_is_hidden() {
        let d = json!({"private": false, "state": "active", "title": "A <b> & C",
            "resources": [{"name": "t.csv", "url": "http://x/t.csv", "format": "CSV", "size": 3}]});
        let page = dataset_page(d.as_object().unwrap()).unwrap();
        assert!(page.contains("<h1>A &lt;b&gt; &amp; C</h1>"), "{page}");
        assert!(page.contains("href=\"http://x/t.csv\""), "{page}");
        let mut p = d.as_object().unwrap().clone();
        p.insert("private".into(), json!(true));
        assert!(dataset_page(&p).is_none());
    }
}
