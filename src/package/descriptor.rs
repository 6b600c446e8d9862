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

/// The Data Package v2 profile, declared beside v1's `profile` so readers of either
/// version take the package as what it is.
const DATA_PACKAGE_V2: &str = "https://datapackage.org/profiles/2.0/datapackage.json";

/// `datapackage.json`: a Frictionless Data Package valid under v1 and v2, with the
/// bilingual metadata kept under `ogpipe:` keys that Frictionless tools pass over.
///
/// - The package is a `data-package`, not a `tabular-data-package`: v1 lets only CSV be
///   tabular, and a package holds JSON and NDJSON beside its CSV.
/// - A CSV is a `tabular-data-resource` (v1) of `type: table` (v2), with its Table
///   Schema and a full CSV dialect (v1's dialect schema requires `doubleQuote`).
/// - A JSON or NDJSON file is a plain `data-resource`, still with its schema, which
///   documents its keys.
pub fn datapackage(approved: &Approved, license_id: &str, files: &[DataFile]) -> Json {
    let m = approved.manifest();
    let md = &m.metadata;
    let mut keywords: Vec<&String> = md.keywords.en.iter().chain(&md.keywords.fr).collect();
    keywords.dedup();
    let resources: Vec<Json> = files.iter().map(resource).collect();
    json!({
        "$schema": DATA_PACKAGE_V2,
        "profile": "data-package",
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

/// One resource of `datapackage.json`.
fn resource(f: &DataFile) -> Json {
    let tabular = f.format == OutputFormat::Csv;
    let mut r = json!({
        "name": format!("{}-{}", f.resource_key, f.format.extension()),
        "path": f.name,
        "profile": if tabular { "tabular-data-resource" } else { "data-resource" },
        "title": f.title.en,
        "format": f.format.extension(),
        "mediatype": media_type(f.format),
        "encoding": "utf-8",
        "bytes": f.bytes,
        "hash": f.sha256.prefixed(),
        "ogpipe:title": f.title,
    });
    if tabular {
        r["type"] = json!("table");
        // What `convert::csv` writes, said in full rather than left to defaults that
        // v1 and v2 word differently.
        r["dialect"] = json!({
            "delimiter": ",",
            "doubleQuote": true,
            "quoteChar": "\"",
            "lineTerminator": "\r\n",
            "header": true,
        });
    }
    if let Some(schema) = &f.schema {
        r["schema"] = if tabular {
            schema.clone()
        } else {
            json_schema(schema)
        };
    }
    r
}

/// The Table Schema of a JSON or NDJSON output, which `convert::json` has typed: its
/// booleans are JSON booleans, its numbers JSON numbers, its dates, datetimes and times
/// ISO 8601, its missing values `null`. So the spellings the source needed go
/// (`trueValues`, `falseValues`, `bareNumber`, a date `format`, `missingValues`) and
/// every constraint stays.
fn json_schema(schema: &Json) -> Json {
    let mut s = schema.clone();
    if let Some(obj) = s.as_object_mut() {
        obj.remove("missingValues");
    }
    for field in s
        .get_mut("fields")
        .and_then(Json::as_array_mut)
        .into_iter()
        .flatten()
    {
        let ty = field.get("type").and_then(Json::as_str).unwrap_or("string");
        let dated = matches!(ty, "date" | "datetime" | "time");
        if let Some(f) = field.as_object_mut() {
            f.remove("trueValues");
            f.remove("falseValues");
            f.remove("bareNumber");
            if dated && f.get("format").and_then(Json::as_str) != Some("default") {
                f.remove("format");
            }
        }
    }
    s
}

/// The CSVW metadata for one CSV file (`<name>-metadata.json`), faithful to the Table
/// Schema: what the CSV validates against here, it validates against there.
///
/// - Column names are URI-template variables, unique, never starting with `_` (see
///   [`csvw_names`]); `titles` keeps the header as written.
/// - `missingValues` becomes `null`; `required` is kept.
/// - Types and formats follow [`csvw_datatype`]; `primaryKey` names columns by their
///   CSVW names.
pub fn csvw(file: &DataFile) -> Json {
    let schema = file.schema.as_ref();
    let fields = schema
        .and_then(|s| s.get("fields"))
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let headers: Vec<&str> = fields
        .iter()
        .map(|f| f.get("name").and_then(Json::as_str).unwrap_or_default())
        .collect();
    let names = csvw_names(&headers);
    let null_values = schema
        .and_then(|s| s.get("missingValues"))
        .cloned()
        .unwrap_or_else(|| json!([""]));
    let columns: Vec<Json> = fields
        .iter()
        .zip(&names)
        .zip(&headers)
        .map(|((f, name), header)| {
            let mut c = json!({ "name": name, "titles": header, "datatype": csvw_datatype(f) });
            if f.pointer("/constraints/required") == Some(&Json::Bool(true)) {
                c["required"] = json!(true);
            }
            c
        })
        .collect();
    // `null` is inherited: said once on the schema, it holds for every column.
    let mut table_schema = json!({ "columns": columns, "null": null_values });
    if let Some(pk) = schema.and_then(|s| s.get("primaryKey")) {
        let pk: Vec<&str> = match pk {
            Json::String(one) => vec![one.as_str()],
            Json::Array(many) => many.iter().filter_map(Json::as_str).collect(),
            _ => Vec::new(),
        };
        let by_name: Vec<&str> = pk
            .iter()
            .filter_map(|k| headers.iter().position(|h| h == k))
            .map(|i| names[i].as_str())
            .collect();
        table_schema["primaryKey"] = json!(by_name);
    }
    json!({
        "@context": ["http://www.w3.org/ns/csvw", { "@language": "en" }],
        "url": file.name,
        "dc:title": [
            { "@value": file.title.en, "@language": "en" },
            { "@value": file.title.fr, "@language": "fr" }
        ],
        "dialect": {
            "header": true,
            "encoding": "utf-8",
            "lineTerminators": ["\r\n"],
            "doubleQuote": true,
            "quoteChar": "\""
        },
        "tableSchema": table_schema,
    })
}

/// CSVW column names, one per header: URI-template variables (RFC 6570: ASCII letters,
/// digits, `_` and percent-encoded bytes), never starting with `_` (CSVW reserves it),
/// and unique. ASCII punctuation and spaces become `_`; other characters are
/// percent-encoded (`é` → `%C3%A9`), which keeps distinct accented names distinct; a
/// name that still repeats an earlier one gets `_2`, `_3`, ….
fn csvw_names(headers: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(headers.len());
    for (i, header) in headers.iter().enumerate() {
        let mut name = String::new();
        for c in header.chars() {
            if c.is_ascii_alphanumeric() || c == '_' {
                name.push(c);
            } else if c.is_ascii() {
                name.push('_');
            } else {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    name.push_str(&format!("%{b:02X}"));
                }
            }
        }
        let trimmed = name.trim_start_matches('_');
        let base = if trimmed.is_empty() {
            format!("column{}", i + 1)
        } else {
            trimmed.to_string()
        };
        let mut candidate = base.clone();
        let mut n = 1;
        // Bounded: each try is a new suffix, and there are fewer names than suffixes.
        while names.contains(&candidate) || headers[i + 1..].iter().any(|h| **h == candidate) {
            n += 1;
            candidate = format!("{base}_{n}");
        }
        names.push(candidate);
    }
    names
}

/// Table Schema's default boolean spellings, which CSVW's `boolean` (`true|1`,
/// `false|0`) does not all read.
const TABLE_SCHEMA_TRUE: [&str; 4] = ["true", "True", "TRUE", "1"];
const TABLE_SCHEMA_FALSE: [&str; 4] = ["false", "False", "FALSE", "0"];

/// The CSVW datatype that accepts exactly what the field does, where CSVW can say it:
///
/// - `number` → `double` (which reads `1.5e3`, `NaN`, `INF`, `-INF`; `decimal` does not);
///   with `bareNumber: false`, a string whose `format` regex allows the text around the
///   number that the field strips (`€95`, `95 %`), since CSVW numbers cannot;
/// - `boolean` → `boolean` with `format: "yes|no"` when the field has one true and one
///   false value; otherwise (Table Schema's defaults, or several values) a string whose
///   regex lists them all, since CSVW's boolean takes only one pair;
/// - `date`, `datetime`, `time` with a strftime `format` → the same type with the
///   equivalent CSVW pattern when CSVW has one (`%d/%m/%Y` → `dd/MM/yyyy`), else a
///   string whose regex follows the pattern's shape; `format: any` → a string (any of
///   several layouts);
/// - `year` → `gYear`, `yearmonth` → `gYearMonth`, `duration` → `duration`, `integer` →
///   `integer`, anything else → `string`.
fn csvw_datatype(field: &Json) -> Json {
    let ty = field.get("type").and_then(Json::as_str).unwrap_or("string");
    let format = field.get("format").and_then(Json::as_str);
    let strings = |key: &str| -> Option<Vec<String>> {
        field.get(key).and_then(Json::as_array).map(|a| {
            a.iter()
                .filter_map(Json::as_str)
                .map(str::to_string)
                .collect()
        })
    };
    match ty {
        "integer" | "number" if field.get("bareNumber") == Some(&Json::Bool(false)) => {
            let number = if ty == "integer" {
                r"[+-]?[0-9]+"
            } else {
                r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?(INF|inf|Inf)|NaN|nan"
            };
            json!({ "base": "string", "format": format!(r"^[^0-9+.-]*({number})[^0-9.]*$") })
        }
        "integer" => json!("integer"),
        "number" => json!("double"),
        "boolean" => {
            let yes = strings("trueValues")
                .unwrap_or_else(|| TABLE_SCHEMA_TRUE.map(String::from).to_vec());
            let no = strings("falseValues")
                .unwrap_or_else(|| TABLE_SCHEMA_FALSE.map(String::from).to_vec());
            match (yes.as_slice(), no.as_slice()) {
                ([y], [n]) if !y.contains('|') && !n.contains('|') => {
                    json!({ "base": "boolean", "format": format!("{y}|{n}") })
                }
                _ => {
                    let alternatives: Vec<String> =
                        yes.iter().chain(&no).map(|v| regex::escape(v)).collect();
                    json!({ "base": "string", "format": format!("^({})$", alternatives.join("|")) })
                }
            }
        }
        "date" | "datetime" | "time" => {
            let base = match ty {
                "date" => "date",
                "datetime" => "datetime",
                _ => "time",
            };
            match format.map(|f| f.strip_prefix("fmt:").unwrap_or(f)) {
                None | Some("default") => json!(base),
                Some("any") => json!("string"),
                Some(pattern) => match csvw_date_pattern(base, pattern) {
                    Some(p) => json!({ "base": base, "format": p }),
                    None => json!({ "base": "string", "format": strftime_regex(pattern) }),
                },
            }
        }
        "year" => json!("gYear"),
        "yearmonth" => json!("gYearMonth"),
        "duration" => json!("duration"),
        _ => json!("string"),
    }
}

/// The CSVW (UAX #35) pattern for a strftime pattern, when it is one CSVW lists
/// (tabular-data-model, "Formats for dates and times").
fn csvw_date_pattern(base: &str, strftime: &str) -> Option<String> {
    const DATES: [&str; 14] = [
        "yyyy-MM-dd",
        "yyyyMMdd",
        "dd-MM-yyyy",
        "d-M-yyyy",
        "MM-dd-yyyy",
        "M-d-yyyy",
        "dd/MM/yyyy",
        "d/M/yyyy",
        "MM/dd/yyyy",
        "M/d/yyyy",
        "dd.MM.yyyy",
        "d.M.yyyy",
        "MM.dd.yyyy",
        "M.d.yyyy",
    ];
    const TIMES: [&str; 4] = ["HH:mm:ss", "HHmmss", "HH:mm", "HHmm"];
    let mut out = String::new();
    let mut chars = strftime.chars();
    // Bounded by the pattern's length.
    while let Some(c) = chars.next() {
        if c != '%' {
            if c.is_ascii_alphabetic() {
                return None;
            }
            out.push(c);
            continue;
        }
        out.push_str(match chars.next()? {
            'Y' => "yyyy",
            'm' => "MM",
            'd' => "dd",
            'H' => "HH",
            'M' => "mm",
            'S' => "ss",
            _ => return None,
        });
    }
    let listed = match base {
        "date" => DATES.contains(&out.as_str()),
        "time" => TIMES.contains(&out.as_str()),
        _ => out.split_once([' ', 'T']).is_some_and(|(d, t)| {
            DATES.contains(&d) && TIMES.contains(&t) && out.contains(['T', ' '])
        }),
    };
    listed.then_some(out)
}

/// A regex with the shape of a strftime pattern, for one CSVW cannot state as a date.
/// Numeric directives become digit runs, names become letter runs; literal text is
/// escaped.
fn strftime_regex(strftime: &str) -> String {
    let mut out = String::from("^");
    let mut chars = strftime.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push_str(&regex::escape(&c.to_string()));
            continue;
        }
        out.push_str(match chars.next() {
            Some('Y') => r"[0-9]{4}",
            Some('y' | 'm' | 'd' | 'H' | 'M' | 'S' | 'I' | 'e') => r" ?[0-9]{1,2}",
            Some('j') => r"[0-9]{1,3}",
            Some('f') => r"[0-9]+",
            Some('B' | 'b' | 'h' | 'A' | 'a' | 'p' | 'P') => r"\p{L}+\.?",
            Some('z') => r"[+-][0-9]{2}:?[0-9]{2}",
            Some('%') => "%",
            _ => ".*",
        });
    }
    out.push('$');
    out
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

    /// A CSV data file of the package with this Table Schema.
    fn csv_file(schema: serde_json::Value) -> DataFile {
        DataFile {
            name: "t.csv".into(),
            resource_key: "t".into(),
            format: OutputFormat::Csv,
            sha256: Sha256Digest::of(b""),
            bytes: 0,
            title: Bilingual {
                en: "T".into(),
                fr: "T".into(),
            },
            schema: Some(schema),
            rows: 0,
        }
    }

    #[test]
    fn csvw_names_are_template_safe_and_titles_kept() {
        let f = csv_file(json!({ "fields": [{ "name": "délai moyen", "type": "number" }] }));
        let c = csvw(&f);
        assert_eq!(c["tableSchema"]["columns"][0]["name"], "d%C3%A9lai_moyen");
        assert_eq!(c["tableSchema"]["columns"][0]["titles"], "délai moyen");
        assert_eq!(c["tableSchema"]["columns"][0]["datatype"], "double");
    }

    #[test]
    fn csvw_names_are_unique_and_never_start_with_an_underscore() {
        let names = csvw_names(&["a b", "a-b", "_id", "id", "a_b", "", "é", "e"]);
        assert_eq!(
            names,
            ["a_b_2", "a_b_3", "id_2", "id", "a_b", "column6", "%C3%A9", "e"]
        );
    }

    #[test]
    fn csvw_datatypes_keep_the_table_schema_rules() {
        let cases = [
            (json!({"type": "number"}), json!("double")),
            (
                json!({"type": "boolean", "trueValues": ["oui"], "falseValues": ["non"]}),
                json!({"base": "boolean", "format": "oui|non"}),
            ),
            (
                json!({"type": "boolean"}),
                json!({"base": "string", "format": "^(true|True|TRUE|1|false|False|FALSE|0)$"}),
            ),
            (
                json!({"type": "date", "format": "%d/%m/%Y"}),
                json!({"base": "date", "format": "dd/MM/yyyy"}),
            ),
            (
                json!({"type": "datetime", "format": "%Y-%m-%d %H:%M"}),
                json!({"base": "datetime", "format": "yyyy-MM-dd HH:mm"}),
            ),
            (
                json!({"type": "date", "format": "%d %B %Y"}),
                json!({"base": "string", "format": r"^ ?[0-9]{1,2} \p{L}+\.? [0-9]{4}$"}),
            ),
            (json!({"type": "yearmonth"}), json!("gYearMonth")),
        ];
        for (field, want) in cases {
            assert_eq!(csvw_datatype(&field), want, "{field}");
        }
    }

    #[test]
    fn csvw_primary_key_uses_the_csvw_names_and_missing_values_are_null() {
        let f = csv_file(json!({
            "fields": [{ "name": "fiscal year" }, { "name": "région" }],
            "primaryKey": ["fiscal year", "région"],
            "missingValues": ["", "NA"]
        }));
        let c = csvw(&f);
        assert_eq!(
            c["tableSchema"]["primaryKey"],
            json!(["fiscal_year", "r%C3%A9gion"])
        );
        assert_eq!(c["tableSchema"]["null"], json!(["", "NA"]));
    }
}
