//! The package's metadata files: a Frictionless Data Package (`datapackage.json`), a W3C
//! CSVW file beside each CSV, `SHA256SUMS` in the format `sha256sum -c` checks, and the
//! provenance record. All are built as values from what the run wrote; nothing here
//! touches the disk.

use serde::Serialize;
use serde_json::{json, Value as Json};

use crate::checksum::Sha256Digest;
use crate::plan::manifest::{Bilingual, OutputFormat};
use crate::plan::Approved;

/// One data file of the package.
#[derive(Debug, Clone, Serialize)]
pub struct DataFile {
    /// The file's name in the package, e.g. `statistics.csv`.
    pub name: String,
    pub resource_key: String,
    pub format: OutputFormat,
    pub sha256: Sha256Digest,
    pub bytes: u64,
    pub title: Bilingual,
    /// The Table Schema (declared or inferred) as JSON.
    pub schema: Option<Json>,
    pub rows: u64,
}

/// A source file the package was made from.
#[derive(Debug, Clone, Serialize)]
pub struct SourceFile {
    pub resource_key: String,
    /// As the manifest names it, inside the data folder.
    pub path: String,
    #[serde(serialize_with = "ser_digest")]
    pub sha256: Sha256Digest,
    pub bytes: u64,
}

fn ser_digest<S: serde::Serializer>(d: &Sha256Digest, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.hex())
}

impl Serialize for Sha256Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.prefixed())
    }
}

pub fn media_type(f: OutputFormat) -> &'static str {
    match f {
        OutputFormat::Csv => "text/csv",
        OutputFormat::Json => "application/json",
        OutputFormat::Ndjson => "application/x-ndjson",
    }
}

/// The licence's title and URL, for the licences the Government of Canada uses.
fn licence(id: &str) -> Json {
    match id {
        "ca-ogl-lgo" => json!({
            "name": "ca-ogl-lgo",
            "title": "Open Government Licence - Canada",
            "path": "https://open.canada.ca/en/open-government-licence-canada"
        }),
        other => json!({ "name": other }),
    }
}

/// `datapackage.json` (Frictionless Data Package v1), with the bilingual metadata kept
/// under `ogpipe:` keys that Frictionless tools pass over.
pub fn datapackage(approved: &Approved, license_id: &str, files: &[DataFile]) -> Json {
    let m = approved.manifest();
    let md = &m.metadata;
    let mut keywords: Vec<&String> = md.keywords.en.iter().chain(&md.keywords.fr).collect();
    keywords.dedup();
    let resources: Vec<Json> = files
        .iter()
        .map(|f| {
            let mut r = json!({
                "name": format!("{}-{}", f.resource_key, f.format.extension()),
                "path": f.name,
                "title": f.title.en,
                "format": f.format.extension(),
                "mediatype": media_type(f.format),
                "encoding": "utf-8",
                "bytes": f.bytes,
                "hash": f.sha256.prefixed(),
                "ogpipe:title": f.title,
            });
            if let Some(schema) = &f.schema {
                r["schema"] = schema.clone();
            }
            if f.format == OutputFormat::Csv {
                r["dialect"] =
                    json!({ "delimiter": ",", "lineTerminator": "\r\n", "header": true });
            }
            r
        })
        .collect();
    json!({
        "profile": "tabular-data-package",
        "name": approved.slug(),
        "id": approved.id().to_string(),
        "title": md.title.en,
        "description": md.description.en,
        "keywords": keywords,
        "licenses": [licence(md.license_id.as_deref().unwrap_or(license_id))],
        "ogpipe:inventory_reference": m.inventory.reference,
        "ogpipe:title": md.title,
        "ogpipe:description": md.description,
        "ogpipe:keywords": md.keywords,
        "resources": resources,
    })
}

/// The CSVW metadata for one CSV file (`<name>-metadata.json`).
pub fn csvw(file: &DataFile) -> Json {
    let fields = file
        .schema
        .as_ref()
        .and_then(|s| s.get("fields"))
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let columns: Vec<Json> = fields
        .iter()
        .map(|f| {
            let name = f.get("name").and_then(Json::as_str).unwrap_or_default();
            let ty = f.get("type").and_then(Json::as_str).unwrap_or("string");
            json!({ "name": csvw_name(name), "titles": name, "datatype": csvw_datatype(ty) })
        })
        .collect();
    let mut schema = json!({ "columns": columns });
    if let Some(pk) = file.schema.as_ref().and_then(|s| s.get("primaryKey")) {
        schema["primaryKey"] = pk.clone();
    }
    json!({
        "@context": ["http://www.w3.org/ns/csvw", { "@language": "en" }],
        "url": file.name,
        "dc:title": [
            { "@value": file.title.en, "@language": "en" },
            { "@value": file.title.fr, "@language": "fr" }
        ],
        "dialect": { "header": true, "encoding": "utf-8", "lineTerminators": ["\r\n"] },
        "tableSchema": schema,
    })
}

/// CSVW column names must be URI-template safe; titles keep the header as written.
fn csvw_name(header: &str) -> String {
    header
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn csvw_datatype(table_schema_type: &str) -> &'static str {
    match table_schema_type {
        "integer" => "integer",
        "number" => "decimal",
        "boolean" => "boolean",
        "date" => "date",
        "datetime" => "dateTime",
        "time" => "time",
        "year" => "gYear",
        "yearmonth" => "gYearMonth",
        "duration" => "duration",
        _ => "string",
    }
}

/// `SHA256SUMS`: one `<hex>  <name>` line per file, sorted by name.
pub fn sha256sums(entries: &[(String, Sha256Digest)]) -> String {
    let mut sorted: Vec<_> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted
        .into_iter()
        .map(|(name, d)| format!("{}  {name}\n", d.hex()))
        .collect()
}

/// The record of what this package was made from, by whom and when.
#[derive(Debug, Serialize)]
pub struct Provenance<'a> {
    pub ogpipe_version: &'static str,
    pub run_id: &'a str,
    pub created_at: String,
    pub inventory_reference: &'a str,
    pub dataset_id: String,
    pub manifest: String,
    pub decision: &'a crate::plan::manifest::Decision,
    pub approvals: &'a [crate::plan::manifest::Approval],
    pub sources: &'a [SourceFile],
    /// The digest of `SHA256SUMS`, which covers every other file of the package.
    pub sha256sums: String,
    pub screen_waivers: Json,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256sums_is_sorted_in_coreutils_format() {
        let d = Sha256Digest::of(b"abc");
        let s = sha256sums(&[("b.csv".into(), d), ("a.json".into(), d)]);
        assert_eq!(s, format!("{}  a.json\n{}  b.csv\n", d.hex(), d.hex()));
    }

    #[test]
    fn csvw_names_are_template_safe_and_titles_kept() {
        let f = DataFile {
            name: "t.csv".into(),
            resource_key: "t".into(),
            format: OutputFormat::Csv,
            sha256: Sha256Digest::of(b""),
            bytes: 0,
            title: Bilingual {
                en: "T".into(),
                fr: "T".into(),
            },
            schema: Some(json!({ "fields": [{ "name": "délai moyen", "type": "number" }] })),
            rows: 0,
        };
        let c = csvw(&f);
        assert_eq!(c["tableSchema"]["columns"][0]["name"], "délai_moyen");
        assert_eq!(c["tableSchema"]["columns"][0]["titles"], "délai moyen");
        assert_eq!(c["tableSchema"]["columns"][0]["datatype"], "decimal");
    }
}
