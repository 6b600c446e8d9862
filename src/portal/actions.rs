//! The CKAN actions, as plain functions over a [`Store`].
//!
//! Contract: no IO and no clock here; the caller passes a [`Ctx`] (who is asking, the
//! profile, the time) and persists the store afterwards. A write either succeeds whole or
//! leaves the store untouched, because callers run it on a copy and swap it in.
//! Behaviour follows what CKAN 2.12 was observed to do (see the module docs of
//! [`crate::portal`]).

use chrono::NaiveDate;
use serde_json::{json, Map, Value};

use super::{
    error::ApiError,
    state::{str_of, Store},
};
use crate::vocab::{self, Profile};

/// Who is asking and when.
pub(crate) struct Ctx<'a> {
    /// True when the request carried the portal's token (a sysadmin); false is anonymous.
    pub authorized: bool,
    pub profile: Profile,
    /// Naive UTC with microseconds, as CKAN writes `metadata_modified`.
    pub now: String,
    pub today: NaiveDate,
    pub site_url: &'a str,
    /// See [`super::PortalConfig::registry`].
    pub registry: bool,
    /// See [`super::PortalConfig::drop_fields`].
    pub drop_fields: &'a [String],
}

/// A file already streamed to disk, to be attached to a resource.
pub(crate) struct UploadInfo {
    /// The filename as stored and served (already munged).
    pub filename: String,
    pub size: u64,
}

/// Resource keys CKAN always returns, with their defaults.
fn resource_defaults() -> Map<String, Value> {
    let v = json!({
        "cache_last_updated": null, "cache_url": null, "datastore_active": false,
        "description": "", "format": "", "hash": "", "last_modified": null,
        "mimetype": null, "mimetype_inner": null, "name": null, "resource_type": null,
        "size": null, "state": "active", "url": "", "url_type": null,
    });
    match v {
        Value::Object(m) => m,
        _ => unreachable!("literal object"),
    }
}

fn require_auth(ctx: &Ctx, what: &str) -> Result<(), ApiError> {
    if ctx.authorized {
        Ok(())
    } else {
        Err(ApiError::Authorization(format!(
            "Access denied: User  not authorized to {what}"
        )))
    }
}

fn readable(ctx: &Ctx, dataset: &Map<String, Value>) -> Result<(), ApiError> {
    let private = dataset
        .get("private")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let deleted = str_of(dataset, "state") == Some("deleted");
    if (private || deleted) && !ctx.authorized {
        let id = str_of(dataset, "id").unwrap_or_default();
        return Err(ApiError::Authorization(format!(
            "Access denied: User  not authorized to read package {id}"
        )));
    }
    Ok(())
}

fn get_str<'a>(data: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    data.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn required_id<'a>(data: &'a Map<String, Value>, key: &str) -> Result<&'a str, ApiError> {
    get_str(data, key).ok_or_else(|| ApiError::field(key, "Missing value"))
}

/// Ids become directory names for uploads, so they must be plain.
fn check_id_shape(id: &str) -> Result<(), ApiError> {
    let ok = !id.is_empty()
        && id.len() <= 100
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::field(
            "id",
            "Invalid id: use letters, digits, - and _",
        ))
    }
}

fn as_bool(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

// ---- datasets ----

pub(crate) fn package_show(
    store: &Store,
    ctx: &Ctx,
    data: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let id = required_id(data, "id")?;
    let i = store.find(id).ok_or(ApiError::NotFound)?;
    readable(ctx, &store.datasets[i])?;
    Ok(Value::Object(store.datasets[i].clone()))
}

pub(crate) fn package_create(
    store: &mut Store,
    ctx: &Ctx,
    data: Map<String, Value>,
) -> Result<Value, ApiError> {
    require_auth(ctx, "create packages")?;
    let id = match get_str(&data, "id") {
        Some(id) => id.to_owned(),
        None => uuid::Uuid::new_v4().to_string(),
    };
    check_id_shape(&id)?;
    if store
        .datasets
        .iter()
        .any(|d| str_of(d, "id") == Some(id.as_str()))
    {
        return Err(ApiError::field("id", "Dataset id already exists"));
    }
    let dataset = build_package(store, ctx, data, &id, None, true)?;
    store.datasets.push(dataset.clone());
    Ok(Value::Object(dataset))
}

pub(crate) fn package_update(
    store: &mut Store,
    ctx: &Ctx,
    data: Map<String, Value>,
) -> Result<Value, ApiError> {
    let key = required_id(&data, "id")
        .or_else(|_| required_id(&data, "name"))?
        .to_owned();
    let i = store.find(&key).ok_or(ApiError::NotFound)?;
    let id = str_of(&store.datasets[i], "id")
        .unwrap_or_default()
        .to_owned();
    require_auth(ctx, &format!("edit package {id}"))?;
    replace_package(store, ctx, i, data, true)
}

pub(crate) fn package_patch(
    store: &mut Store,
    ctx: &Ctx,
    data: Map<String, Value>,
) -> Result<Value, ApiError> {
    let key = required_id(&data, "id")?.to_owned();
    let i = store.find(&key).ok_or(ApiError::NotFound)?;
    let id = str_of(&store.datasets[i], "id")
        .unwrap_or_default()
        .to_owned();
    require_auth(ctx, &format!("edit package {id}"))?;
    let mut merged = store.datasets[i].clone();
    for (k, v) in data {
        merged.insert(k, v);
    }
    merged.insert("id".to_owned(), json!(id));
    replace_package(store, ctx, i, merged, true)
}

pub(crate) fn package_delete(
    store: &mut Store,
    ctx: &Ctx,
    data: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let key = required_id(data, "id")?;
    let i = store.find(key).ok_or(ApiError::NotFound)?;
    let dataset = &mut store.datasets[i];
    let id = str_of(dataset, "id").unwrap_or_default().to_owned();
    require_auth(ctx, &format!("delete package {id}"))?;
    // CKAN renames a deleted dataset to its id, which frees the name at once.
    dataset.insert("name".to_owned(), json!(id));
    dataset.insert("state".to_owned(), json!("deleted"));
    dataset.insert("metadata_modified".to_owned(), json!(ctx.now));
    Ok(Value::Null)
}

/// Replaces dataset `i` with `data` (update semantics), keeping its id, creation time and,
/// when `data` has no `resources` key, its resources.
fn replace_package(
    store: &mut Store,
    ctx: &Ctx,
    i: usize,
    mut data: Map<String, Value>,
    touch: bool,
) -> Result<Value, ApiError> {
    let old = store.datasets[i].clone();
    let id = str_of(&old, "id").unwrap_or_default().to_owned();
    if !data.contains_key("resources") {
        data.insert(
            "resources".to_owned(),
            old.get("resources").cloned().unwrap_or(json!([])),
        );
    }
    if !data.contains_key("state") {
        data.insert(
            "state".to_owned(),
            old.get("state").cloned().unwrap_or(json!("active")),
        );
    }
    let mut dataset = build_package(store, ctx, data, &id, Some(&old), touch)?;
    // CKAN 2.12 leaves metadata_modified as it was when an update changes nothing.
    let without_time = |d: &Map<String, Value>| {
        let mut d = d.clone();
        d.remove("metadata_modified");
        d
    };
    if without_time(&dataset) == without_time(&old) {
        if let Some(t) = old.get("metadata_modified") {
            dataset.insert("metadata_modified".to_owned(), t.clone());
        }
    }
    store.datasets[i] = dataset.clone();
    Ok(Value::Object(dataset))
}

/// Validates `data` and turns it into the stored package dict.
fn build_package(
    store: &Store,
    ctx: &Ctx,
    data: Map<String, Value>,
    id: &str,
    old: Option<&Map<String, Value>>,
    touch: bool,
) -> Result<Map<String, Value>, ApiError> {
    let mut d: Map<String, Value> = data
        .into_iter()
        .filter(|(k, _)| {
            vocab::CORE_DATASET_FIELDS.contains(&k.as_str())
                || (ctx.profile == Profile::OpenCanada
                    && vocab::GC_DATASET_FIELDS.contains(&k.as_str()))
        })
        .collect();
    d.insert("id".to_owned(), json!(id));
    if ctx.profile == Profile::OpenCanada && get_str(&d, "name").is_none() {
        d.insert("name".to_owned(), json!(id));
    }
    let resources: Vec<Value> = match d.remove("resources") {
        Some(Value::Array(list)) => list,
        Some(Value::Null) | None => Vec::new(),
        Some(_) => return Err(ApiError::field("resources", "Not a list")),
    };
    let old_resources = old
        .and_then(|o| o.get("resources"))
        .and_then(Value::as_array);
    let mut normalized = Vec::with_capacity(resources.len());
    for (position, r) in resources.into_iter().enumerate() {
        let Value::Object(r) = r else {
            return Err(ApiError::field("resources", "Not a dict"));
        };
        let rid = get_str(&r, "id").map(str::to_owned);
        let previous = rid.as_deref().and_then(|rid| {
            old_resources?
                .iter()
                .filter_map(Value::as_object)
                .find(|o| str_of(o, "id") == Some(rid))
        });
        normalized.push(Value::Object(normalize_resource(
            r, previous, id, position, ctx,
        )?));
    }
    d.insert("resources".to_owned(), Value::Array(normalized));

    let mut errors = vocab::validate_dataset(ctx.profile, &Value::Object(d.clone()), ctx.today);
    let org = match get_str(&d, "owner_org") {
        None => {
            errors.insert(
                "owner_org".to_owned(),
                vec!["An organization must be provided".to_owned()],
            );
            None
        }
        Some(o) => {
            let found = store.org(o);
            if found.is_none() {
                errors.insert(
                    "owner_org".to_owned(),
                    vec!["Organization does not exist".to_owned()],
                );
            }
            found
        }
    };
    if ctx.profile == Profile::Ckan && get_str(&d, "name").is_none() {
        errors.insert("name".to_owned(), vec!["Missing value".to_owned()]);
    }
    let name = get_str(&d, "name").unwrap_or_default().to_owned();
    let state = get_str(&d, "state").unwrap_or("active").to_owned();
    let taken = store.datasets.iter().any(|o| {
        str_of(o, "id") != Some(id)
            && str_of(o, "state") != Some("deleted")
            && str_of(o, "name") == Some(name.as_str())
    });
    if taken && state != "deleted" {
        errors
            .entry("name".to_owned())
            .or_default()
            .push("That URL is already in use.".to_owned());
    }
    if !errors.is_empty() {
        return Err(ApiError::from_flat(errors));
    }
    let org = org.expect("owner_org checked above");

    let mut out = Map::new();
    let core_null = [
        "author",
        "author_email",
        "license_id",
        "maintainer",
        "maintainer_email",
        "notes",
        "url",
        "version",
    ];
    for key in core_null {
        out.insert(key.to_owned(), d.remove(key).unwrap_or(Value::Null));
    }
    out.insert("id".to_owned(), json!(id));
    out.insert("name".to_owned(), json!(name));
    let title = get_str(&d, "title").map_or_else(|| name.clone(), str::to_owned);
    d.remove("title");
    out.insert("title".to_owned(), json!(title));
    out.insert("owner_org".to_owned(), json!(org.id));
    d.remove("owner_org");
    out.insert(
        "private".to_owned(),
        json!(as_bool(d.remove("private").as_ref())),
    );
    out.insert("state".to_owned(), json!(state));
    d.remove("state");
    out.insert(
        "type".to_owned(),
        d.remove("type")
            .filter(|t| t.is_string())
            .unwrap_or(json!("dataset")),
    );
    let created = old
        .and_then(|o| o.get("metadata_created").cloned())
        .unwrap_or(json!(ctx.now));
    let modified = match (touch, old) {
        (false, Some(o)) => o
            .get("metadata_modified")
            .cloned()
            .unwrap_or(json!(ctx.now)),
        _ => json!(ctx.now),
    };
    out.insert("metadata_created".to_owned(), created);
    out.insert("metadata_modified".to_owned(), modified);
    out.insert("creator_user_id".to_owned(), json!(SYSADMIN_ID));
    let tags = d
        .remove("tags")
        .filter(Value::is_array)
        .unwrap_or(json!([]));
    out.insert(
        "num_tags".to_owned(),
        json!(tags.as_array().map_or(0, Vec::len)),
    );
    out.insert("tags".to_owned(), tags);
    out.insert(
        "extras".to_owned(),
        d.remove("extras")
            .filter(Value::is_array)
            .unwrap_or(json!([])),
    );
    out.insert(
        "groups".to_owned(),
        d.remove("groups")
            .filter(Value::is_array)
            .unwrap_or(json!([])),
    );
    if ctx.profile == Profile::OpenCanada {
        // GC organization titles read "English | French".
        let (en, fr) = org
            .title
            .split_once(" | ")
            .unwrap_or((&org.title, &org.title));
        out.insert(
            "org_title_at_publication".to_owned(),
            json!({"en": en, "fr": fr}),
        );
        d.remove("org_title_at_publication");
    }
    let resources = d.remove("resources").unwrap_or(json!([]));
    out.insert(
        "num_resources".to_owned(),
        json!(resources.as_array().map_or(0, Vec::len)),
    );
    out.append(&mut d);
    for f in ctx.drop_fields {
        out.remove(f);
    }
    if ctx.registry {
        out.insert("private".to_owned(), json!(true));
        if let Some(Value::String(date)) = out.get_mut("date_published") {
            if date.len() == 10 {
                date.push_str(" 00:00:00");
            }
        }
    }
    out.insert("organization".to_owned(), org.to_value(0));
    out.insert("resources".to_owned(), resources);
    Ok(out)
}

/// The fixed id the portal's one user (the token holder, a sysadmin) has.
pub(crate) const SYSADMIN_ID: &str = "7e5a1d8c-2f0b-4c33-9a6e-0d1f2b3c4d5e";

/// Fills a resource dict as CKAN returns it; every key sent (extras included) is kept.
fn normalize_resource(
    r: Map<String, Value>,
    previous: Option<&Map<String, Value>>,
    package_id: &str,
    position: usize,
    ctx: &Ctx,
) -> Result<Map<String, Value>, ApiError> {
    let id = match get_str(&r, "id") {
        Some(id) => id.to_owned(),
        None => uuid::Uuid::new_v4().to_string(),
    };
    check_id_shape(&id)?;
    let mut out = resource_defaults();
    let unchanged = previous.is_some_and(|p| r.iter().all(|(k, v)| p.get(k) == Some(v)));
    out.append(&mut r.clone());
    out.insert("id".to_owned(), json!(id));
    out.insert("package_id".to_owned(), json!(package_id));
    out.insert("position".to_owned(), json!(position));
    let created = previous
        .and_then(|p| p.get("created").cloned())
        .unwrap_or(json!(ctx.now));
    out.insert("created".to_owned(), created);
    let modified = match previous {
        Some(p) if unchanged => p
            .get("metadata_modified")
            .cloned()
            .unwrap_or(json!(ctx.now)),
        _ => json!(ctx.now),
    };
    out.insert("metadata_modified".to_owned(), modified);
    if get_str(&out, "format").is_none() {
        let guessed = get_str(&out, "url").and_then(guess_format).map(|(f, _)| f);
        out.insert("format".to_owned(), json!(guessed.unwrap_or("")));
    }
    Ok(out)
}

/// Format and mimetype from a file name or URL extension, as CKAN guesses them.
pub(crate) fn guess_format(name: &str) -> Option<(&'static str, &'static str)> {
    let path = name.split(['?', '#']).next().unwrap_or(name);
    let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "csv" => ("CSV", "text/csv"),
        "json" => ("JSON", "application/json"),
        "geojson" => ("GeoJSON", "application/geo+json"),
        "xml" => ("XML", "application/xml"),
        "xlsx" => (
            "XLSX",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "xls" => ("XLS", "application/vnd.ms-excel"),
        "zip" => ("ZIP", "application/zip"),
        "txt" => ("TXT", "text/plain"),
        "pdf" => ("PDF", "application/pdf"),
        "html" | "htm" => ("HTML", "text/html"),
        "parquet" => ("PARQUET", "application/vnd.apache.parquet"),
        _ => return None,
    })
}

// ---- search ----

pub(crate) fn package_search(
    store: &Store,
    ctx: &Ctx,
    data: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let int = |key: &str, default: usize| -> Result<usize, ApiError> {
        match data.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Number(n)) => n
                .as_u64()
                .map(|n| n as usize)
                .ok_or_else(|| ApiError::field(key, "Must be a natural number")),
            Some(Value::String(s)) => s
                .parse()
                .map_err(|_| ApiError::field(key, "Invalid integer")),
            Some(_) => Err(ApiError::field(key, "Invalid integer")),
        }
    };
    let rows = int("rows", 10)?.min(1000);
    let start = int("start", 0)?;
    let include_private = as_bool(data.get("include_private"));
    let q = get_str(data, "q").unwrap_or("").trim().to_lowercase();
    let fq = get_str(data, "fq").unwrap_or("");
    let terms = parse_fq(fq);
    let mut hits: Vec<&Map<String, Value>> = store
        .datasets
        .iter()
        .filter(|d| str_of(d, "state") == Some("active"))
        .filter(|d| include_private || !as_bool(d.get("private")))
        .filter(|d| terms.iter().all(|(k, v)| field_matches(d, k, v)))
        .filter(|d| q.is_empty() || q == "*:*" || text_matches(d, &q))
        .collect();
    hits.sort_by(|a, b| str_of(b, "metadata_modified").cmp(&str_of(a, "metadata_modified")));
    let _ = ctx;
    let count = hits.len();
    let results: Vec<Value> = hits
        .into_iter()
        .skip(start)
        .take(rows)
        .map(|d| Value::Object(d.clone()))
        .collect();
    Ok(json!({
        "count": count, "facets": {}, "results": results, "search_facets": {},
        "sort": "score desc, metadata_modified desc",
    }))
}

/// `key:value` terms, whitespace-separated, values optionally double-quoted; all must match.
fn parse_fq(fq: &str) -> Vec<(String, String)> {
    let mut terms = Vec::new();
    let mut rest = fq.trim();
    while let Some((key, tail)) = rest.split_once(':') {
        let key = key.trim().trim_start_matches('+').to_owned();
        let (value, tail) = match tail.strip_prefix('"') {
            Some(quoted) => quoted.split_once('"').unwrap_or((quoted, "")),
            None => tail.split_once(char::is_whitespace).unwrap_or((tail, "")),
        };
        terms.push((key, value.to_owned()));
        rest = tail.trim();
    }
    terms
}

fn field_matches(d: &Map<String, Value>, key: &str, value: &str) -> bool {
    let key = if key == "organization" {
        "organization_name"
    } else {
        key
    };
    let field = match key {
        "organization_name" => d.get("organization").and_then(|o| o.get("name")),
        _ => d.get(key),
    };
    match field {
        Some(Value::String(s)) => s == value,
        Some(Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(value)),
        Some(Value::Bool(b)) => b.to_string() == value,
        _ => false,
    }
}

/// A loose stand-in for Solr: every word of `q` appears somewhere in the dataset's text.
fn text_matches(d: &Map<String, Value>, q: &str) -> bool {
    let mut text = String::new();
    for key in [
        "name",
        "title",
        "notes",
        "title_translated",
        "notes_translated",
        "keywords",
        "tags",
    ] {
        if let Some(v) = d.get(key) {
            text.push_str(&v.to_string().to_lowercase());
            text.push(' ');
        }
    }
    q.split_whitespace().all(|word| text.contains(word))
}

// ---- organizations ----

pub(crate) fn organization_show(
    store: &Store,
    data: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let id = required_id(data, "id")?;
    let org = store.org(id).ok_or(ApiError::NotFound)?;
    Ok(org.to_value(store.package_count(&org.id)))
}

pub(crate) fn organization_list_for_user(store: &Store, ctx: &Ctx) -> Value {
    if !ctx.authorized {
        return json!([]);
    }
    let orgs = store.organizations.iter().map(|o| {
        let mut v = o.to_value(store.package_count(&o.id));
        v["capacity"] = json!("admin");
        v
    });
    Value::Array(orgs.collect())
}

/// CKAN's own licence list on core CKAN; the Government of Canada's under that schema.
pub(crate) fn license_list(ctx: &Ctx) -> Value {
    let ids: &[&str] = match ctx.profile {
        Profile::Ckan => vocab::CKAN_LICENSES,
        Profile::OpenCanada => vocab::LICENSES,
    };
    Value::Array(
        ids.iter()
            .map(|id| json!({"id": id, "title": id, "status": "active"}))
            .collect(),
    )
}

/// The dataset schema a ckanext-scheming portal describes itself with, from the same
/// vocabularies the portal validates against. Core CKAN has no such action.
pub(crate) fn scheming_dataset_schema_show(
    ctx: &Ctx,
    data: &Map<String, Value>,
) -> Result<Value, ApiError> {
    if ctx.profile != Profile::OpenCanada {
        return Err(ApiError::BadRequest(
            "Bad request - Action name not known: scheming_dataset_schema_show".to_owned(),
        ));
    }
    if get_str(data, "type") != Some("dataset") {
        return Err(ApiError::NotFound);
    }
    Ok(vocab::gc_scheming_schema())
}

// ---- resources ----

pub(crate) fn resource_show(
    store: &Store,
    ctx: &Ctx,
    data: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let id = required_id(data, "id")?;
    let (d, r) = store.find_resource(id).ok_or(ApiError::NotFound)?;
    readable(ctx, &store.datasets[d])?;
    Ok(store.datasets[d]["resources"][r].clone())
}

/// Sets the fields an upload determines; a client-sent `size` is overwritten.
fn apply_upload(
    r: &mut Map<String, Value>,
    upload: &UploadInfo,
    package_id: &str,
    resource_id: &str,
    ctx: &Ctx,
) {
    let url = format!(
        "{}/dataset/{package_id}/resource/{resource_id}/download/{}",
        ctx.site_url, upload.filename
    );
    r.insert("url".to_owned(), json!(url));
    r.insert("url_type".to_owned(), json!("upload"));
    r.insert("size".to_owned(), json!(upload.size));
    let guessed = guess_format(&upload.filename);
    if get_str(r, "format").is_none() {
        r.insert("format".to_owned(), json!(guessed.map_or("", |g| g.0)));
    }
    if get_str(r, "mimetype").is_none() {
        r.insert("mimetype".to_owned(), json!(guessed.map(|g| g.1)));
    }
}

/// `resource_create`: CKAN appends the resource and runs a `package_update` of the whole
/// dataset, so in open-canada a dataset that fails the schema cannot take new resources.
pub(crate) fn resource_create(
    store: &mut Store,
    ctx: &Ctx,
    mut data: Map<String, Value>,
    upload: Option<&UploadInfo>,
) -> Result<Value, ApiError> {
    let package_key = required_id(&data, "package_id")?.to_owned();
    let i = store.find(&package_key).ok_or(ApiError::NotFound)?;
    let package_id = str_of(&store.datasets[i], "id")
        .unwrap_or_default()
        .to_owned();
    require_auth(ctx, &format!("edit package {package_id}"))?;
    let resource_id = match get_str(&data, "id") {
        Some(id) => id.to_owned(),
        None => uuid::Uuid::new_v4().to_string(),
    };
    check_id_shape(&resource_id)?;
    if store.find_resource(&resource_id).is_some() {
        return Err(ApiError::field("id", "Resource id already exists"));
    }
    data.insert("id".to_owned(), json!(resource_id));
    data.remove("package_id");
    if let Some(upload) = upload {
        apply_upload(&mut data, upload, &package_id, &resource_id, ctx);
    }
    let mut dataset = store.datasets[i].clone();
    let mut resources = dataset
        .get("resources")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let index = resources.len();
    resources.push(Value::Object(data));
    dataset.insert("resources".to_owned(), Value::Array(resources));
    let updated = replace_package(store, ctx, i, dataset, true)
        .map_err(|e| only_resource_errors(e, index))?;
    Ok(updated["resources"][index].clone())
}

/// CKAN reports only the new resource's errors when its package_update fails on them.
fn only_resource_errors(error: ApiError, index: usize) -> ApiError {
    if let ApiError::Validation(fields) = &error {
        if let Some(Value::Object(mine)) = fields.get("resources").and_then(|r| r.get(index)) {
            if !mine.is_empty() {
                return ApiError::Validation(mine.clone());
            }
        }
    }
    error
}

/// `resource_update` (replace: unsent fields are dropped) or `resource_patch` (merge).
pub(crate) fn resource_update(
    store: &mut Store,
    ctx: &Ctx,
    data: Map<String, Value>,
    upload: Option<&UploadInfo>,
    patch: bool,
) -> Result<Value, ApiError> {
    let resource_id = required_id(&data, "id")?.to_owned();
    let (i, r) = store
        .find_resource(&resource_id)
        .ok_or(ApiError::NotFound)?;
    let package_id = str_of(&store.datasets[i], "id")
        .unwrap_or_default()
        .to_owned();
    require_auth(ctx, &format!("edit package {package_id}"))?;
    let current = store.datasets[i]["resources"][r]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut next = if patch { current.clone() } else { Map::new() };
    for (k, v) in data {
        next.insert(k, v);
    }
    if !patch {
        // Kept by CKAN even on a full replace: identity and creation time.
        next.insert(
            "created".to_owned(),
            current.get("created").cloned().unwrap_or(Value::Null),
        );
    }
    next.insert("id".to_owned(), json!(resource_id));
    next.remove("package_id");
    if let Some(upload) = upload {
        apply_upload(&mut next, upload, &package_id, &resource_id, ctx);
    }
    let mut dataset = store.datasets[i].clone();
    if let Some(list) = dataset.get_mut("resources").and_then(Value::as_array_mut) {
        list[r] = Value::Object(next);
    }
    let updated =
        replace_package(store, ctx, i, dataset, true).map_err(|e| only_resource_errors(e, r))?;
    Ok(updated["resources"][r].clone())
}

/// Removes the resource; unlike other writes this leaves the dataset's
/// `metadata_modified` alone, as CKAN does.
pub(crate) fn resource_delete(
    store: &mut Store,
    ctx: &Ctx,
    data: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let resource_id = required_id(data, "id")?;
    let (i, r) = store.find_resource(resource_id).ok_or(ApiError::NotFound)?;
    let package_id = str_of(&store.datasets[i], "id")
        .unwrap_or_default()
        .to_owned();
    require_auth(ctx, &format!("edit package {package_id}"))?;
    let dataset = &mut store.datasets[i];
    if let Some(list) = dataset.get_mut("resources").and_then(Value::as_array_mut) {
        list.remove(r);
        for (position, res) in list.iter_mut().enumerate() {
            res["position"] = json!(position);
        }
    }
    let count = dataset["resources"].as_array().map_or(0, Vec::len);
    dataset.insert("num_resources".to_owned(), json!(count));
    Ok(Value::Null)
}
