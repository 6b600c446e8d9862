//! Controlled vocabularies of the Government of Canada open data schema, and the dataset
//! checks a portal applies under each metadata [`Profile`].
//!
//! Contract: [`validate_dataset`] is pure (no clock, no IO; the caller passes `today`) and
//! never fails. It returns CKAN-style errors, a list of messages per field, with the
//! messages CKAN 2.12 (with ckanext-scheming and fluent for the GC schema) sends, so
//! the mock portal can return them verbatim and a client can match on them.
//!
//! Resource errors are keyed `resources.<index>.<field>` (0-based, the index in the
//! dataset's `resources` list); CKAN nests them as a list of dicts, which the portal
//! rebuilds from these keys. Checks that need portal state (name already in use, owner
//! organization exists) are the portal's job, not this module's.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::Value;

/// The portal metadata profile: which schema datasets are checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// Core CKAN, no scheming: only the name rules apply.
    Ckan,
    /// The Government of Canada schema (open.canada.ca Registry).
    #[default]
    OpenCanada,
}

/// Dataset subjects (`subject`, one or more).
pub const SUBJECTS: &[&str] = &[
    "arts_music_literature",
    "agriculture",
    "economics_and_industry",
    "education_and_training",
    "form_descriptors",
    "government_and_politics",
    "health_and_safety",
    "history_and_archaeology",
    "information_and_communications",
    "labour",
    "language_and_linguistics",
    "law",
    "military",
    "nature_and_environment",
    "persons",
    "processes",
    "society_and_culture",
    "science_and_technology",
    "transport",
];

/// Update frequencies (`frequency`), ISO 8601 durations plus a few words.
pub const FREQUENCIES: &[&str] = &[
    "as_needed",
    "continual",
    "P1D",
    "P0.33W",
    "P0.5W",
    "P1W",
    "P2W",
    "P0.5M",
    "P1M",
    "P2M",
    "P3M",
    "P4M",
    "P6M",
    "P1Y",
    "P2Y",
    "P3Y",
    "P4Y",
    "P5Y",
    "irregular",
    "not_planned",
    "unknown",
];

/// Jurisdictions (`jurisdiction`).
pub const JURISDICTIONS: &[&str] = &["federal", "provincial", "municipal", "user"];

/// Resource types (`resource_type` on a resource): ckanext-canada's `schemas/presets.yaml`, in its order.
pub const RESOURCE_TYPES: &[&str] = &[
    "abstract",
    "agreement",
    "contractual_material",
    "intergovernmental_agreement",
    "lease",
    "memorandum_of_understanding",
    "nondisclosure_agreement",
    "servicelevel_agreement",
    "affidavit",
    "application",
    "api",
    "architectural_or_technical_design",
    "article",
    "assessment",
    "audit",
    "environmental_assessment",
    "examination",
    "gap_assessment",
    "lessons_learned",
    "performance_indicator",
    "risk_assessment",
    "biography",
    "briefing_material",
    "backgrounder",
    "business_case",
    "claim",
    "comments",
    "conference_proceedings",
    "consultation",
    "contact_information",
    "correspondence",
    "ministerial_correspondence",
    "memorandum",
    "dataset",
    "delegation_of_authority",
    "educational_material",
    "employment_opportunity",
    "event",
    "fact_sheet",
    "financial_material",
    "budget",
    "funding_proposal",
    "invoice",
    "financial_statement",
    "form",
    "framework",
    "geospatial_material",
    "guide",
    "best_practices",
    "intellectual_property_statement",
    "legal_complaint",
    "legal_opinion",
    "legislation_and_regulations",
    "licenses_and_permits",
    "literary_material",
    "statement",
    "media_release",
    "meeting_material",
    "agenda",
    "minutes",
    "memorandum_to_cabinet",
    "multimedia_resource",
    "notice",
    "organizational_description",
    "plan",
    "business_plan",
    "strategic_plan",
    "policy",
    "white_paper",
    "presentation",
    "procedure",
    "profile",
    "project_material",
    "project_charter",
    "project_plan",
    "project_proposal",
    "promotional_material",
    "publication",
    "faq",
    "record_of_decision",
    "report",
    "annual_report",
    "interim_report",
    "research_proposal",
    "resource_list",
    "routing_slip",
    "blog_entry",
    "sound_recording",
    "specification",
    "statistics",
    "still_image",
    "submission",
    "survey",
    "terminology",
    "terms_of_reference",
    "tool",
    "training_material",
    "transcript",
    "website",
    "web_service",
    "workflow",
];

/// Resource language codes (`language`): ckanext-canada's `schemas/presets.yaml` (BCP 47; `zxx`, no linguistic content).
pub const LANGUAGES: &[&str] = &[
    "en",
    "fr",
    "sq",
    "alg",
    "am",
    "apa",
    "ar",
    "hy",
    "art",
    "bat",
    "be",
    "bn",
    "bs",
    "bg",
    "ca",
    "chr",
    "chy",
    "zh-cn",
    "zh-hk",
    "chp",
    "cr",
    "crp",
    "hr",
    "cs",
    "da",
    "dgr",
    "nl",
    "fi",
    "fil",
    "gl",
    "de",
    "el",
    "gu",
    "he",
    "hi",
    "hu",
    "id",
    "inuinnaqtun",
    "iu",
    "inuvialuqtun",
    "iro",
    "it",
    "ja",
    "ko",
    "ku",
    "la",
    "mic",
    "mis",
    "moh",
    "mul",
    "nv",
    "wak",
    "nai",
    "no",
    "nunatsiavummiutut",
    "oj",
    "fa",
    "phi",
    "crk",
    "pl",
    "pt",
    "pa",
    "ro",
    "ru",
    "sal",
    "sr",
    "sgn",
    "sio",
    "sk",
    "so",
    "es",
    "ss",
    "sv",
    "tl",
    "ta",
    "th",
    "ti",
    "tr",
    "uk",
    "und",
    "ur",
    "vi",
    "cy",
    "yi",
    "zxx",
];

/// Dataset collections (`collection`): ckanext-canada's `schemas/presets.yaml`; `primary` is ordinary data.
/// (`accessibiliy_plans` is spelled so there.)
pub const COLLECTIONS: &[&str] = &[
    "consultations",
    "primary",
    "code",
    "api",
    "app",
    "geogratis",
    "fgp",
    "publication",
    "transition",
    "transition_deputy",
    "parliament_report",
    "question_period",
    "parliament_committee",
    "parliament_committee_deputy",
    "aia",
    "accessibiliy_plans",
    "federated",
];

/// Licence ids (`license_id`): ckanext-canada's `public/static/licenses.json`;
/// `ca-ogl-lgo` is the Open Government Licence - Canada.
pub const LICENSES: &[&str] = &[
    "ca-ogl-lgo",
    "ca-odla-aldg",
    "ca-cihi-icis",
    "ca-rflo-drlf",
    "ab-ogla",
    "ab-qptu",
    "bc-oglbc",
    "nl-oglnl",
    "ns-oglns",
    "on-oglo",
    "pei-oglpei",
    "nb-oglnb",
    "yk-oglyk",
    "qc-cc-by",
    "sk-suudl",
    "mb-omb",
    "nwt-tno",
];

/// Resource formats (`format`): ckanext-canada's `schemas/presets.yaml`, exact and case-sensitive.
pub const FORMATS: &[&str] = &[
    "AAC",
    "AIFF",
    "ASCII Grid",
    "APK",
    "AVI",
    "BAG",
    "BAM",
    "BMP",
    "BWF",
    "CCT",
    "CDED ASCII",
    "CDF",
    "CDR",
    "COD",
    "CSV",
    "DBD",
    "DBF",
    "DICOM",
    "DNG",
    "DOC",
    "DOCX",
    "DXF",
    "E00",
    "ECW",
    "EDI",
    "EMF",
    "EPUB3",
    "EPUB2",
    "EPS",
    "ESRI REST",
    "FGDB/GDB",
    "FITS",
    "Flat raster binary",
    "GDB",
    "GeoPDF",
    "GeoRSS",
    "GeoTIF",
    "GEOJSON",
    "GPKG",
    "GIF",
    "GML",
    "GRD",
    "GRIB1",
    "GRIB2",
    "GZ",
    "HDF",
    "HTML",
    "IATI",
    "IPA",
    "JAR",
    "JFIF",
    "JP2",
    "JPG",
    "JSON",
    "JSONLD",
    "JSONL",
    "KML",
    "KMZ",
    "LAS",
    "LYR",
    "TAB",
    "MAPX",
    "MFX",
    "MOV",
    "MPEG",
    "MPEG-1",
    "MP3",
    "MXD",
    "NetCDF",
    "ODP",
    "ODS",
    "ODT",
    "PDF",
    "PDF/A-1",
    "PDF/A-2",
    "PDF/UA",
    "PNG",
    "PPT",
    "QLR",
    "PPTX",
    "RDF",
    "TTL",
    "NT",
    "RDFa",
    "RSS",
    "RTF",
    "SAM",
    "SAR",
    "SAS",
    "SAV",
    "SEGY",
    "SHP",
    "SQL",
    "SQLITE3",
    "SQLITE",
    "SVG",
    "TIFF",
    "TRIG",
    "TRIX",
    "TFW",
    "TSV",
    "TXT",
    "VPF",
    "WAV",
    "WCS",
    "WFS",
    "WMS",
    "WMTS",
    "WMV",
    "WPS",
    "XML",
    "XLS",
    "XLSM",
    "XLSX",
    "ZIP",
    "other",
];

/// The licence ids core CKAN's default `license_list` answers.
pub const CKAN_LICENSES: &[&str] = &[
    "notspecified",
    "odc-pddl",
    "odc-odbl",
    "odc-by",
    "cc-zero",
    "cc-by",
    "cc-by-sa",
    "gfdl",
    "other-open",
    "other-pd",
    "other-at",
    "uk-ogl",
    "cc-nc",
    "other-nc",
    "other-closed",
];

/// Restrictions (`restrictions`): the Registry knows one.
pub const RESTRICTIONS: &[&str] = &["unrestricted"];

/// Top-level dataset keys core CKAN keeps; anything else is dropped on write.
pub const CORE_DATASET_FIELDS: &[&str] = &[
    "id",
    "name",
    "title",
    "notes",
    "owner_org",
    "private",
    "license_id",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "url",
    "version",
    "state",
    "type",
    "tags",
    "extras",
    "groups",
    "resources",
];

/// Extra top-level dataset keys the GC schema keeps, beside the core ones.
pub const GC_DATASET_FIELDS: &[&str] = &[
    "collection",
    "title_translated",
    "notes_translated",
    "keywords",
    "subject",
    "frequency",
    "date_published",
    "date_modified",
    "jurisdiction",
    "restrictions",
    "imso_approval",
    "ready_to_publish",
    "portal_release_date",
    "org_title_at_publication",
    "audience",
    "geographic_region",
    "time_period_coverage_start",
    "time_period_coverage_end",
    "program_page_url",
    "spatial",
];

/// The Government of Canada dataset schema as `scheming_dataset_schema_show` describes
/// it: the fields, which are required, and the choices, from the lists above.
pub fn gc_scheming_schema() -> Value {
    let choices = |list: &[&str]| -> Value {
        Value::Array(
            list.iter()
                .map(|v| serde_json::json!({"value": v, "label": v}))
                .collect(),
        )
    };
    let field = |name: &str, required: bool, list: Option<&[&str]>| -> Value {
        let mut f = serde_json::json!({"field_name": name, "required": required});
        if let Some(list) = list {
            f["choices"] = choices(list);
        }
        f
    };
    let truth: &[&str] = &["true", "false"];
    let optional = [
        "title",
        "notes",
        "maintainer_email",
        "date_modified",
        "portal_release_date",
        "audience",
        "geographic_region",
        "time_period_coverage_start",
        "time_period_coverage_end",
        "program_page_url",
        "spatial",
        "tags",
    ];
    let mut dataset = vec![
        field("name", false, None),
        field("owner_org", true, None),
        field("collection", true, Some(COLLECTIONS)),
        field("title_translated", true, None),
        field("notes_translated", true, None),
        {
            // As ckanext-canada's keywords preset: fluent tags checked by canada_tags.
            let mut k = field("keywords", true, None);
            k["tag_validators"] = Value::from("canada_tags");
            k
        },
        field("subject", true, Some(SUBJECTS)),
        field("frequency", true, Some(FREQUENCIES)),
        field("date_published", true, None),
        field("jurisdiction", true, Some(JURISDICTIONS)),
        field("license_id", true, Some(LICENSES)),
        field("restrictions", true, Some(RESTRICTIONS)),
        field("imso_approval", true, Some(truth)),
        field("ready_to_publish", true, Some(truth)),
    ];
    dataset.extend(optional.iter().map(|n| field(n, false, None)));
    let resource = vec![
        field("url", false, None),
        field("name_translated", true, None),
        field("resource_type", true, Some(RESOURCE_TYPES)),
        field("language", true, Some(LANGUAGES)),
        field("format", false, Some(FORMATS)),
        field("character_set", false, None),
    ];
    serde_json::json!({
        "scheming_version": 2,
        "dataset_type": "dataset",
        "dataset_fields": dataset,
        "resource_fields": resource,
    })
}

const MISSING: &str = "Missing value";
const NAME_CHARS: &str =
    "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_";

type Errors = BTreeMap<String, Vec<String>>;

fn push(errors: &mut Errors, field: &str, message: impl Into<String>) {
    errors
        .entry(field.to_owned())
        .or_default()
        .push(message.into());
}

/// Checks `dataset` (as the portal will store it, `name` already defaulted) against
/// `profile`. An empty map means the dataset is valid.
pub fn validate_dataset(profile: Profile, dataset: &Value, today: NaiveDate) -> Errors {
    let mut errors = Errors::new();
    match profile {
        Profile::Ckan => check_ckan_name(dataset.get("name"), &mut errors),
        Profile::OpenCanada => check_open_canada(dataset, today, &mut errors),
    }
    errors
}

/// CKAN's core package name rules, with its exact messages.
fn check_ckan_name(name: Option<&Value>, errors: &mut Errors) {
    let Some(name) = name.and_then(Value::as_str).filter(|n| !n.is_empty()) else {
        push(errors, "name", MISSING);
        return;
    };
    let len = name.chars().count();
    if len < 2 {
        push(errors, "name", "Must be at least 2 characters long");
    }
    if len > 100 {
        push(
            errors,
            "name",
            "Name must be a maximum of 100 characters long",
        );
    }
    // CKAN's pattern is `^[a-z0-9_-]{2,100}$`, so a length error also fails it: two messages.
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
    if !(2..=100).contains(&len) || !name.chars().all(allowed) {
        push(errors, "name", NAME_CHARS);
    }
    if ["new", "edit", "search"].contains(&name) {
        push(errors, "name", "That name cannot be used");
    }
}

fn check_open_canada(d: &Value, today: NaiveDate, errors: &mut Errors) {
    let id = d.get("id").and_then(Value::as_str);
    match d
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    {
        None => push(errors, "name", MISSING),
        Some(name) if uuid::Uuid::parse_str(name).is_err() => {
            push(errors, "name", "Badly formed hexadecimal UUID string")
        }
        Some(name) if id.is_some_and(|id| id != name) => {
            push(errors, "name", "Name must match the dataset id")
        }
        Some(_) => {}
    }
    check_choice(d, "collection", COLLECTIONS, errors);
    check_translated_text(d, "title_translated", errors);
    check_translated_text(d, "notes_translated", errors);
    check_keywords(d, errors);
    check_choices(d, "subject", SUBJECTS, errors);
    check_choice(d, "frequency", FREQUENCIES, errors);
    check_choice(d, "jurisdiction", JURISDICTIONS, errors);
    check_choice(d, "license_id", LICENSES, errors);
    check_choice(d, "restrictions", RESTRICTIONS, errors);
    check_bool_string(d, "imso_approval", errors);
    let ready = check_bool_string(d, "ready_to_publish", errors);
    match d
        .get("date_published")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        None => push(errors, "date_published", MISSING),
        Some(s) => match parse_date(s) {
            None => push(errors, "date_published", "Date format incorrect"),
            Some(date) if ready == Some(true) && date > today => push(
                errors,
                "date_published",
                "Date published cannot be in the future when ready to publish",
            ),
            Some(_) => {}
        },
    }
    if let Some(resources) = d.get("resources").and_then(Value::as_array) {
        for (i, r) in resources.iter().enumerate() {
            check_resource(r, &format!("resources.{i}."), errors);
        }
    }
}

/// Accepts `YYYY-MM-DD`, optionally followed by a time (CKAN stores dates as timestamps).
fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()
}

fn check_resource(r: &Value, prefix: &str, errors: &mut Errors) {
    let field = |f: &str| format!("{prefix}{f}");
    check_translated_text_at(r.get("name_translated"), &field("name_translated"), errors);
    match r
        .get("resource_type")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        None => push(errors, &field("resource_type"), MISSING),
        Some(t) if !RESOURCE_TYPES.contains(&t) => push(
            errors,
            &field("resource_type"),
            format!("unexpected choice \"{t}\""),
        ),
        Some(_) => {}
    }
    if let Some(f) = r
        .get("format")
        .and_then(Value::as_str)
        .filter(|f| !f.is_empty())
    {
        if !FORMATS.contains(&f) {
            push(
                errors,
                &field("format"),
                format!("unexpected choice \"{f}\""),
            );
        }
    }
    let langs = string_list(r.get("language"));
    let key = field("language");
    if langs.is_empty() {
        push(errors, &key, MISSING);
    }
    for l in &langs {
        if !LANGUAGES.contains(&l.as_str()) {
            push(errors, &key, format!("unexpected choice \"{l}\""));
        }
    }
    if langs.len() > 1 && langs.iter().any(|l| l == "zxx") {
        push(
            errors,
            &key,
            "\"zxx\" cannot be combined with other languages",
        );
    }
}

/// A list field, accepting a bare string as a one-item list (as a form post sends it).
fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn check_choice(d: &Value, field: &str, choices: &[&str], errors: &mut Errors) {
    match d
        .get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        None => push(errors, field, MISSING),
        Some(v) if !choices.contains(&v) => {
            push(errors, field, format!("unexpected choice \"{v}\""))
        }
        Some(_) => {}
    }
}

fn check_choices(d: &Value, field: &str, choices: &[&str], errors: &mut Errors) {
    let values = string_list(d.get(field));
    if values.is_empty() {
        push(errors, field, "Select at least one");
    }
    for v in &values {
        if !choices.contains(&v.as_str()) {
            push(errors, field, format!("unexpected choice \"{v}\""));
        }
    }
}

/// Returns the parsed flag when the value is one of the strings `"true"` / `"false"`.
fn check_bool_string(d: &Value, field: &str, errors: &mut Errors) -> Option<bool> {
    match d.get(field) {
        None | Some(Value::Null) => {
            push(errors, field, MISSING);
            None
        }
        Some(Value::String(s)) if s == "true" => Some(true),
        Some(Value::String(s)) if s == "false" => Some(false),
        Some(other) => {
            let shown = other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_owned);
            push(errors, field, format!("unexpected choice \"{shown}\""));
            None
        }
    }
}

fn check_translated_text(d: &Value, field: &str, errors: &mut Errors) {
    check_translated_text_at(d.get(field), field, errors);
}

/// fluent's checks: an absent field reports each language as missing; a present dict
/// must hold a non-empty string for both `en` and `fr`.
fn check_translated_text_at(v: Option<&Value>, field: &str, errors: &mut Errors) {
    match v {
        None | Some(Value::Null) => {
            push(errors, &format!("{field}-en"), MISSING);
            push(errors, &format!("{field}-fr"), MISSING);
        }
        Some(Value::Object(map)) => {
            for lang in ["en", "fr"] {
                match map.get(lang).and_then(Value::as_str) {
                    Some(s) if !s.trim().is_empty() => {}
                    _ => push(
                        errors,
                        field,
                        format!("Required language \"{lang}\" missing"),
                    ),
                }
            }
        }
        Some(_) => push(errors, field, "expecting JSON object"),
    }
}

fn check_keywords(d: &Value, errors: &mut Errors) {
    let Some(v) = d.get("keywords").filter(|v| !v.is_null()) else {
        push(errors, "keywords-en", MISSING);
        push(errors, "keywords-fr", MISSING);
        return;
    };
    let Some(map) = v.as_object() else {
        push(errors, "keywords", "expecting JSON object");
        return;
    };
    for lang in ["en", "fr"] {
        let words = string_list(map.get(lang));
        if words.is_empty() {
            push(
                errors,
                "keywords",
                format!("Required language \"{lang}\" missing"),
            );
        }
        for w in &words {
            if let Some(problem) = keyword_problem(w) {
                push(
                    errors,
                    &format!("keywords-{lang}"),
                    format!("{problem}: \"{w}\""),
                );
            }
        }
    }
}

fn keyword_problem(word: &str) -> Option<&'static str> {
    let len = word.chars().count();
    if len < 2 {
        Some("Tag must be at least 2 characters long")
    } else if len > 140 {
        Some("Tag must be a maximum of 140 characters long")
    } else if word.contains("  ") {
        Some("Tag may not contain consecutive spaces")
    } else if word.chars().any(char::is_control) {
        Some("Tag may not contain control characters")
    } else {
        None
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()
    }

    /// The minimal valid dataset of the reference, with `name` defaulted to `id`.
    pub(crate) fn minimal() -> Value {
        json!({
            "type": "dataset",
            "id": "6f1c2b0e-6a43-5d0b-9d1e-3f6a8a1d2c44",
            "name": "6f1c2b0e-6a43-5d0b-9d1e-3f6a8a1d2c44",
            "owner_org": "csis-scrs",
            "collection": "primary",
            "title_translated": {"en": "Security screening volumes", "fr": "Volume des filtrages de sécurité"},
            "notes_translated": {"en": "Requests.", "fr": "Demandes."},
            "keywords": {"en": ["security screening"], "fr": ["filtrage de sécurité"]},
            "subject": ["government_and_politics"],
            "frequency": "P1Y",
            "date_published": "2026-06-30",
            "jurisdiction": "federal",
            "license_id": "ca-ogl-lgo",
            "restrictions": "unrestricted",
            "imso_approval": "true",
            "ready_to_publish": "false",
            "resources": [{
                "name_translated": {"en": "Screening volumes (CSV)", "fr": "Volume des filtrages (CSV)"},
                "resource_type": "dataset",
                "format": "CSV",
                "language": ["en", "fr"],
                "character_set": "UTF-8"
            }]
        })
    }

    fn gc_with(key: &str, value: Value) -> Errors {
        let mut d = minimal();
        d[key] = value;
        validate_dataset(Profile::OpenCanada, &d, today())
    }

    fn gc_without(key: &str) -> Errors {
        let mut d = minimal();
        d.as_object_mut().unwrap().remove(key);
        validate_dataset(Profile::OpenCanada, &d, today())
    }

    fn msgs(errors: &Errors, key: &str) -> Vec<String> {
        errors.get(key).cloned().unwrap_or_default()
    }

    #[test]
    fn minimal_dataset_is_valid() {
        assert_eq!(
            validate_dataset(Profile::OpenCanada, &minimal(), today()),
            Errors::new()
        );
    }

    #[test]
    fn profile_serializes_kebab_case_and_defaults_to_open_canada() {
        assert_eq!(
            serde_json::to_value(Profile::OpenCanada).unwrap(),
            json!("open-canada")
        );
        assert_eq!(
            serde_json::from_value::<Profile>(json!("ckan")).unwrap(),
            Profile::Ckan
        );
        assert_eq!(Profile::default(), Profile::OpenCanada);
    }

    #[test]
    fn translated_title_needs_both_languages() {
        let e = gc_with("title_translated", json!({"en": "Only English"}));
        assert_eq!(
            msgs(&e, "title_translated"),
            ["Required language \"fr\" missing"]
        );
        let e = gc_without("title_translated");
        assert_eq!(msgs(&e, "title_translated-en"), [MISSING]);
        assert_eq!(msgs(&e, "title_translated-fr"), [MISSING]);
        let e = gc_with("notes_translated", json!({"fr": "x", "en": " "}));
        assert_eq!(
            msgs(&e, "notes_translated"),
            ["Required language \"en\" missing"]
        );
    }

    #[test]
    fn subject_must_be_known_and_present() {
        assert_eq!(
            msgs(&gc_with("subject", json!(["x"])), "subject"),
            ["unexpected choice \"x\""]
        );
        assert_eq!(
            msgs(&gc_with("subject", json!([])), "subject"),
            ["Select at least one"]
        );
        assert_eq!(
            msgs(&gc_without("subject"), "subject"),
            ["Select at least one"]
        );
        assert!(gc_with("subject", json!(["law", "labour"])).is_empty());
    }

    #[test]
    fn single_choice_fields_are_checked() {
        for (key, bad) in [
            ("frequency", "yearly"),
            ("jurisdiction", "galactic"),
            ("collection", "misc"),
            ("license_id", "cc-by"),
            ("restrictions", "secret"),
        ] {
            assert_eq!(
                msgs(&gc_with(key, json!(bad)), key),
                [format!("unexpected choice \"{bad}\"")]
            );
            assert_eq!(msgs(&gc_without(key), key), [MISSING], "{key}");
        }
    }

    #[test]
    fn keywords_follow_tag_rules() {
        let ok = json!({"en": ["ab", "x".repeat(140)], "fr": ["un mot"]});
        assert!(gc_with("keywords", ok).is_empty());
        for bad in ["a", &"x".repeat(141), "two  spaces", "tab\there"] {
            let e = gc_with("keywords", json!({"en": [bad], "fr": ["ok"]}));
            assert_eq!(e.len(), 1, "{bad:?}: {e:?}");
            assert!(e.contains_key("keywords-en"), "{bad:?}");
        }
        let e = gc_with("keywords", json!({"en": ["ok"]}));
        assert_eq!(msgs(&e, "keywords"), ["Required language \"fr\" missing"]);
        let e = gc_without("keywords");
        assert_eq!(msgs(&e, "keywords-en"), [MISSING]);
    }

    #[test]
    fn name_must_be_the_uuid_id_in_open_canada() {
        let e = gc_with("name", json!("security-screening"));
        assert_eq!(msgs(&e, "name"), ["Badly formed hexadecimal UUID string"]);
        let e = gc_with("name", json!("0e7d1c62-93a3-4c8e-9b3f-0f2e5d6c7b8a"));
        assert_eq!(msgs(&e, "name"), ["Name must match the dataset id"]);
        assert_eq!(msgs(&gc_without("name"), "name"), [MISSING]);
    }

    #[test]
    fn date_published_not_in_future_once_ready() {
        assert!(gc_with("date_published", json!("2027-01-01")).is_empty());
        let mut d = minimal();
        d["ready_to_publish"] = json!("true");
        assert!(validate_dataset(Profile::OpenCanada, &d, today()).is_empty());
        d["date_published"] = json!("2027-01-01");
        let e = validate_dataset(Profile::OpenCanada, &d, today());
        assert_eq!(e.keys().collect::<Vec<_>>(), ["date_published"]);
        assert_eq!(
            msgs(
                &gc_with("date_published", json!("30/06/2026")),
                "date_published"
            ),
            ["Date format incorrect"]
        );
        assert_eq!(
            msgs(&gc_without("date_published"), "date_published"),
            [MISSING]
        );
    }

    #[test]
    fn approval_flags_are_true_false_strings() {
        for key in ["imso_approval", "ready_to_publish"] {
            assert!(gc_with(key, json!("false")).is_empty());
            assert_eq!(
                msgs(&gc_with(key, json!(true)), key),
                ["unexpected choice \"true\""]
            );
            assert_eq!(
                msgs(&gc_with(key, json!("yes")), key),
                ["unexpected choice \"yes\""]
            );
            assert_eq!(msgs(&gc_without(key), key), [MISSING]);
        }
    }

    #[test]
    fn resources_need_translated_name_type_and_language() {
        let mut d = minimal();
        d["resources"][0] =
            json!({"name_translated": {"en": "x"}, "resource_type": "blob", "language": []});
        let e = validate_dataset(Profile::OpenCanada, &d, today());
        assert_eq!(
            msgs(&e, "resources.0.name_translated"),
            ["Required language \"fr\" missing"]
        );
        assert_eq!(
            msgs(&e, "resources.0.resource_type"),
            ["unexpected choice \"blob\""]
        );
        assert_eq!(msgs(&e, "resources.0.language"), [MISSING]);
        d["resources"][0] = json!({"resource_type": "guide", "language": "zxx"});
        let e = validate_dataset(Profile::OpenCanada, &d, today());
        assert_eq!(msgs(&e, "resources.0.name_translated-en"), [MISSING]);
        assert!(!e.contains_key("resources.0.language"));
    }

    #[test]
    fn zxx_cannot_be_combined() {
        let mut d = minimal();
        d["resources"][0]["language"] = json!(["zxx", "en"]);
        let e = validate_dataset(Profile::OpenCanada, &d, today());
        assert_eq!(e.keys().collect::<Vec<_>>(), ["resources.0.language"]);
        d["resources"][0]["language"] = json!(["xx"]);
        let e = validate_dataset(Profile::OpenCanada, &d, today());
        assert_eq!(
            msgs(&e, "resources.0.language"),
            ["unexpected choice \"xx\""]
        );
    }

    #[test]
    fn ckan_profile_applies_name_rules_only() {
        let check = |name: Value| validate_dataset(Profile::Ckan, &json!({"name": name}), today());
        assert!(check(json!("budget_2024-q1")).is_empty());
        assert!(check(json!("ab")).is_empty());
        assert!(check(json!("a".repeat(100))).is_empty());
        for bad in ["Budget", "a b", "a.b", "café"] {
            assert_eq!(msgs(&check(json!(bad)), "name"), [NAME_CHARS], "{bad}");
        }
        assert_eq!(
            msgs(&check(json!("a")), "name"),
            ["Must be at least 2 characters long", NAME_CHARS]
        );
        assert_eq!(msgs(&check(json!("a".repeat(101))), "name").len(), 2);
        for reserved in ["new", "edit", "search"] {
            assert_eq!(
                msgs(&check(json!(reserved)), "name"),
                ["That name cannot be used"]
            );
        }
        assert_eq!(msgs(&check(Value::Null), "name"), [MISSING]);
    }
}
