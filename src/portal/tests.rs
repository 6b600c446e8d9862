//! End-to-end tests: a real portal on 127.0.0.1:0, driven over HTTP with reqwest.

use std::path::Path;

use reqwest::{multipart, Client, StatusCode};
use serde_json::{json, Value};
use tempfile::TempDir;

use super::*;

const TOKEN: &str = "test-token-not-a-secret";

async fn start_in(dir: &Path, config: PortalConfig) -> RunningPortal {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    spawn(listener, dir.to_owned(), config).await.unwrap()
}

async fn start(profile: Profile) -> (RunningPortal, TempDir) {
    let dir = TempDir::new().unwrap();
    let portal = start_in(dir.path(), PortalConfig::new(TOKEN, profile)).await;
    (portal, dir)
}

/// POSTs JSON to an action; returns status and body.
async fn call(
    portal: &RunningPortal,
    action: &str,
    body: Value,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = Client::new()
        .post(format!("{}/api/3/action/{action}", portal.url))
        .json(&body);
    if let Some(token) = token {
        request = request.header("Authorization", token);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn ok(portal: &RunningPortal, action: &str, body: Value) -> Value {
    let (status, body) = call(portal, action, body, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "{action}: {body}");
    assert_eq!(body["success"], true);
    body["result"].clone()
}

fn ckan_dataset(name: &str) -> Value {
    json!({"name": name, "owner_org": "csis-scrs", "title": "Budget", "notes": "Yearly.", "license_id": "ca-ogl-lgo"})
}

/// The reference's minimal valid GC dataset (its date is in the past, ready is "false"),
/// without a `name`: the portal fills it from the id.
fn gc_dataset() -> Value {
    let mut d = crate::vocab::tests::minimal();
    d.as_object_mut().unwrap().remove("name");
    d
}

#[tokio::test]
async fn envelope_and_error_status_codes_match_ckan() {
    let (portal, _dir) = start(Profile::Ckan).await;
    let client = Client::new();
    let base = format!("{}/api/3/action", portal.url);

    let status: Value = client
        .get(format!("{base}/status_show"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["success"], true);
    assert_eq!(status["result"]["ckan_version"], "2.12.0");
    assert!(status["help"].as_str().unwrap().starts_with(&portal.url));

    for token in [None, Some("wrong"), Some(&*format!("Bearer {TOKEN}"))] {
        let (code, body) = call(&portal, "package_create", ckan_dataset("budget"), token).await;
        assert_eq!(code, StatusCode::FORBIDDEN);
        assert_eq!(body["success"], false);
        assert_eq!(body["error"]["__type"], "Authorization Error");
        assert_eq!(
            body["error"]["message"],
            "Access denied: User  not authorized to create packages"
        );
    }

    let created = ok(&portal, "package_create", ckan_dataset("budget")).await;
    let org = ok(&portal, "organization_show", json!({"id": "csis-scrs"})).await;
    assert_eq!(created["owner_org"], org["id"]);
    assert!(uuid::Uuid::parse_str(org["id"].as_str().unwrap()).is_ok());
    let modified = created["metadata_modified"].as_str().unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(modified, "%Y-%m-%dT%H:%M:%S%.6f").is_ok(),
        "{modified}"
    );
    assert_eq!(modified.len(), 26);

    let (code, body) = call(
        &portal,
        "package_create",
        ckan_dataset("budget"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(
        body["error"],
        json!({"__type": "Validation Error", "name": ["That URL is already in use."]})
    );
    let (code, body) = call(
        &portal,
        "package_create",
        ckan_dataset("Bad Name"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(
        body["error"]["name"][0],
        "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_"
    );
    let (code, body) = call(
        &portal,
        "package_create",
        json!({"name": "no-org"}),
        Some(TOKEN),
    )
    .await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(
        body["error"]["owner_org"],
        json!(["An organization must be provided"])
    );

    let (code, body) = call(&portal, "package_show", json!({"id": "nope"}), None).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(
        body["error"],
        json!({"__type": "Not Found Error", "message": "Not found"})
    );

    let bad_json = client
        .post(format!("{base}/package_show"))
        .header("Content-Type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), StatusCode::BAD_REQUEST);
    assert!(bad_json.json::<Value>().await.unwrap().is_string());
    let unknown = client
        .post(format!("{base}/package_explode"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    assert!(unknown.json::<Value>().await.unwrap().is_string());
    let write_by_get = client
        .get(format!("{base}/package_create?name=x"))
        .header("Authorization", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(write_by_get.status(), StatusCode::BAD_REQUEST);
    let no_type = client
        .post(format!("{base}/package_show"))
        .body(r#"{"id": "budget"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(no_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(no_type.headers()["connection"], "close");
    portal.shutdown().await;
}

#[tokio::test]
async fn patch_keeps_and_update_drops_unsent_fields() {
    let (portal, _dir) = start(Profile::Ckan).await;
    let mut dataset = ckan_dataset("budget");
    dataset["resources"] = json!([{"url": "https://example.org/data.csv", "ogpipe_key": "k1"}]);
    dataset["not_a_ckan_field"] = json!("dropped");
    let created = ok(&portal, "package_create", dataset).await;
    assert!(created.get("not_a_ckan_field").is_none());
    let resource = &created["resources"][0];
    assert_eq!(resource["format"], "CSV");
    assert_eq!(resource["url_type"], Value::Null);
    assert_eq!(resource["size"], Value::Null);
    assert_eq!(resource["ogpipe_key"], "k1");

    let patched = ok(
        &portal,
        "package_patch",
        json!({"id": created["id"], "title": "New title"}),
    )
    .await;
    assert_eq!(patched["title"], "New title");
    assert_eq!(patched["notes"], "Yearly.");
    assert_eq!(patched["resources"], created["resources"]);
    assert!(patched["metadata_modified"].as_str() >= created["metadata_modified"].as_str());

    let updated = ok(
        &portal,
        "package_update",
        json!({"id": created["id"], "name": "budget", "owner_org": "csis-scrs"}),
    )
    .await;
    assert_eq!(updated["notes"], Value::Null);
    assert_eq!(updated["license_id"], Value::Null);
    assert_eq!(updated["title"], "budget");
    assert_eq!(
        updated["resources"].as_array().unwrap().len(),
        1,
        "no resources key keeps them"
    );
    let emptied = ok(
        &portal,
        "package_update",
        json!({"id": created["id"], "name": "budget", "owner_org": "csis-scrs", "resources": []}),
    )
    .await;
    assert_eq!(emptied["resources"], json!([]));
    assert_eq!(emptied["metadata_created"], created["metadata_created"]);
    portal.shutdown().await;
}

async fn upload(
    portal: &RunningPortal,
    action: &str,
    form: multipart::Form,
) -> (StatusCode, Value) {
    let response = Client::new()
        .post(format!("{}/api/3/action/{action}", portal.url))
        .header("Authorization", TOKEN)
        .multipart(form)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

#[tokio::test]
async fn upload_then_download_returns_exact_bytes_and_keeps_extras() {
    let (portal, dir) = start(Profile::Ckan).await;
    let package = ok(&portal, "package_create", ckan_dataset("budget")).await;
    let pkg_id = package["id"].as_str().unwrap().to_owned();
    let bytes: Vec<u8> = b"a,b\n1,\xff\xfe\n"
        .iter()
        .copied()
        .chain((0..=255u8).cycle().take(70_000))
        .collect();
    let form = multipart::Form::new()
        .text("package_id", pkg_id.clone())
        .text("name", "Budget CSV")
        .text("hash", "sha256:abc")
        .text("size", "1")
        .text("ogpipe_sha256", "abc")
        .text("ogpipe_key", "budget/csv")
        .part(
            "upload",
            multipart::Part::bytes(bytes.clone()).file_name("My Data.CSV"),
        );
    let (code, body) = upload(&portal, "resource_create", form).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let res = &body["result"];
    let rid = res["id"].as_str().unwrap();
    assert_eq!(
        res["url"],
        format!(
            "{}/dataset/{pkg_id}/resource/{rid}/download/my-data.csv",
            portal.url
        )
    );
    assert_eq!(res["url_type"], "upload");
    assert_eq!(res["size"], bytes.len());
    assert_eq!(res["hash"], "sha256:abc");
    assert_eq!(res["format"], "CSV");
    assert_eq!(res["ogpipe_sha256"], "abc");
    assert_eq!(res["ogpipe_key"], "budget/csv");
    assert!(dir
        .path()
        .join("files")
        .join(rid)
        .join("my-data.csv")
        .is_file());

    let download = Client::new()
        .get(res["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert!(download.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("my-data.csv"));
    assert!(download.headers().contains_key("etag"));
    assert_eq!(download.bytes().await.unwrap().as_ref(), bytes.as_slice());

    let patched = ok(
        &portal,
        "resource_patch",
        json!({"id": rid, "description": "d"}),
    )
    .await;
    assert_eq!(
        (patched["url"].clone(), patched["size"].clone()),
        (res["url"].clone(), res["size"].clone())
    );
    assert_eq!(patched["ogpipe_sha256"], "abc");
    let shown = ok(
        &portal,
        "package_patch",
        json!({"id": pkg_id, "notes": "n"}),
    )
    .await;
    assert_eq!(
        shown["resources"][0]["ogpipe_key"], "budget/csv",
        "patch keeps resources whole"
    );
    let replaced = ok(
        &portal,
        "resource_update",
        json!({"id": rid, "name": "only"}),
    )
    .await;
    assert_eq!(replaced["url"], "");
    assert!(replaced.get("ogpipe_key").is_none());
    ok(&portal, "resource_delete", json!({"id": rid})).await;
    let (code, _) = call(&portal, "resource_show", json!({"id": rid}), None).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    portal.shutdown().await;
}

#[tokio::test]
async fn upload_over_the_limit_is_refused() {
    let dir = TempDir::new().unwrap();
    let mut config = PortalConfig::new(TOKEN, Profile::Ckan);
    config.max_upload_bytes = 10;
    let portal = start_in(dir.path(), config).await;
    let package = ok(&portal, "package_create", ckan_dataset("budget")).await;
    let form = multipart::Form::new()
        .text("package_id", package["id"].as_str().unwrap().to_owned())
        .part(
            "upload",
            multipart::Part::bytes(vec![b'x'; 11]).file_name("a.csv"),
        );
    let (code, body) = upload(&portal, "resource_create", form).await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(
        body["error"],
        json!({"__type": "Validation Error", "upload": ["File upload too large"]})
    );
    let files: Vec<_> = std::fs::read_dir(dir.path().join("files"))
        .unwrap()
        .collect();
    assert!(files.is_empty(), "temp upload removed");
    portal.shutdown().await;
}

#[tokio::test]
async fn delete_frees_the_name_and_hides_the_dataset() {
    let (portal, _dir) = start(Profile::Ckan).await;
    let first = ok(&portal, "package_create", ckan_dataset("budget")).await;
    assert_eq!(
        ok(&portal, "package_delete", json!({"id": "budget"})).await,
        Value::Null
    );
    let (code, body) = call(&portal, "package_show", json!({"id": first["id"]}), None).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["__type"], "Authorization Error");
    let deleted = ok(&portal, "package_show", json!({"id": first["id"]})).await;
    assert_eq!(deleted["state"], "deleted");
    let second = ok(&portal, "package_create", ckan_dataset("budget")).await;
    assert_ne!(second["id"], first["id"]);
    let search = ok(&portal, "package_search", json!({"fq": "name:budget"})).await;
    assert_eq!(search["count"], 1);
    assert_eq!(search["results"][0]["id"], second["id"]);
    portal.shutdown().await;
}

#[tokio::test]
async fn search_filters_by_name_text_and_privacy() {
    let (portal, _dir) = start(Profile::Ckan).await;
    ok(&portal, "package_create", ckan_dataset("budget")).await;
    let mut private = ckan_dataset("secret-budget");
    private["private"] = json!(true);
    ok(&portal, "package_create", private).await;
    let all = ok(&portal, "package_search", json!({"q": "budget"})).await;
    assert_eq!(all["count"], 1, "private left out by default");
    let all = ok(
        &portal,
        "package_search",
        json!({"q": "budget", "include_private": true, "rows": 1}),
    )
    .await;
    assert_eq!(
        (
            all["count"].clone(),
            all["results"].as_array().unwrap().len()
        ),
        (json!(2), 1)
    );
    let url = format!(
        "{}/api/3/action/package_search?fq=name:secret-budget&include_private=true",
        portal.url
    );
    let got: Value = Client::new()
        .get(url)
        .header("Authorization", TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["result"]["results"][0]["name"], "secret-budget");
    let (code, _) = call(
        &portal,
        "package_show",
        json!({"id": "secret-budget"}),
        None,
    )
    .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    portal.shutdown().await;
}

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = TempDir::new().unwrap();
    let portal = start_in(dir.path(), PortalConfig::new(TOKEN, Profile::Ckan)).await;
    let package = ok(&portal, "package_create", ckan_dataset("budget")).await;
    let form = multipart::Form::new().text("package_id", "budget").part(
        "upload",
        multipart::Part::bytes(b"x,y\n".to_vec()).file_name("b.csv"),
    );
    let (code, body) = upload(&portal, "resource_create", form).await;
    assert_eq!(code, StatusCode::OK);
    portal.shutdown().await;

    let portal = start_in(dir.path(), PortalConfig::new(TOKEN, Profile::Ckan)).await;
    let shown = ok(&portal, "package_show", json!({"id": "budget"})).await;
    assert_eq!(shown["id"], package["id"]);
    assert_eq!(shown["owner_org"], package["owner_org"]);
    assert_eq!(shown["resources"][0]["id"], body["result"]["id"]);
    // The URL names the old port; the path is what the new portal serves.
    let old_url = shown["resources"][0]["url"].as_str().unwrap();
    let path = &old_url[old_url.find("/dataset/").unwrap()..];
    let bytes = Client::new()
        .get(format!("{}{path}", portal.url))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.as_ref(), b"x,y\n");
    portal.shutdown().await;
}

#[tokio::test]
async fn open_canada_profile_checks_the_gc_schema() {
    let (portal, _dir) = start(Profile::OpenCanada).await;
    let created = ok(&portal, "package_create", gc_dataset()).await;
    assert_eq!(created["name"], created["id"]);
    assert_eq!(
        created["owner_org"],
        ok(&portal, "organization_show", json!({"id": "csis-scrs"})).await["id"]
    );
    assert_eq!(
        created["title_translated"]["fr"],
        "Volume des filtrages de sécurité"
    );
    assert_eq!(
        created["org_title_at_publication"]["en"],
        "Canadian Security Intelligence Service"
    );

    let mut no_french = gc_dataset();
    no_french["id"] = json!("0e7d1c62-93a3-4c8e-9b3f-0f2e5d6c7b8a");
    no_french["title_translated"] = json!({"en": "Only English"});
    let (code, body) = call(&portal, "package_create", no_french, Some(TOKEN)).await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(
        body["error"],
        json!({"__type": "Validation Error", "title_translated": ["Required language \"fr\" missing"]})
    );

    let mut slug = gc_dataset();
    slug.as_object_mut().unwrap().remove("id");
    slug["name"] = json!("security-screening");
    let (code, body) = call(&portal, "package_create", slug, Some(TOKEN)).await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(
        body["error"]["name"],
        json!(["Badly formed hexadecimal UUID string"])
    );

    let id = created["id"].clone();
    let (code, body) = call(
        &portal,
        "package_patch",
        json!({"id": id, "notes_translated": {"fr": "Seulement"}}),
        Some(TOKEN),
    )
    .await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(
        body["error"]["notes_translated"],
        json!(["Required language \"en\" missing"])
    );

    let (code, body) = call(&portal, "resource_create", json!({"package_id": id, "name_translated": {"en": "a", "fr": "b"}, "resource_type": "guide"}), Some(TOKEN)).await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(
        body["error"],
        json!({"__type": "Validation Error", "language": ["Missing value"]})
    );

    let form = multipart::Form::new()
        .text("package_id", id.as_str().unwrap().to_owned())
        .text("name_translated", r#"{"en": "Data", "fr": "Données"}"#)
        .text("resource_type", "dataset")
        .text("language", "en")
        .text("language", "fr")
        .part(
            "upload",
            multipart::Part::bytes(b"{}".to_vec()).file_name("data.json"),
        );
    let (code, body) = upload(&portal, "resource_create", form).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["result"]["language"], json!(["en", "fr"]));
    assert_eq!(body["result"]["name_translated"]["fr"], "Données");
    assert_eq!(body["result"]["format"], "JSON");
    portal.shutdown().await;
}

#[tokio::test]
async fn fault_rules_inject_statuses_delays_and_hang_ups() {
    let (portal, _dir) = start(Profile::Ckan).await;
    let client = Client::new();
    let rules = json!([{"action": "status_show", "kind": "status", "status": 503, "retry_after_secs": 7, "times": 2}]);
    let set = client
        .post(format!("{}/_mock/faults", portal.url))
        .json(&rules)
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::OK);
    let status_url = format!("{}/api/3/action/status_show", portal.url);
    for _ in 0..2 {
        let r = client.get(&status_url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()["retry-after"], "7");
        assert_eq!(r.json::<Value>().await.unwrap()["success"], false);
    }
    assert_eq!(
        client.get(&status_url).send().await.unwrap().status(),
        StatusCode::OK
    );

    portal.set_faults(vec![FaultRule {
        action: None,
        kind: FaultKind::Delay { ms: 400 },
        times: 1,
    }]);
    let slow = client
        .get(&status_url)
        .timeout(std::time::Duration::from_millis(100))
        .send()
        .await;
    assert!(slow.unwrap_err().is_timeout());

    portal.set_faults(vec![FaultRule {
        action: Some("package_create".into()),
        kind: FaultKind::DropConnection,
        times: 1,
    }]);
    let dropped = client
        .post(format!("{}/api/3/action/package_create", portal.url))
        .header("Authorization", TOKEN)
        .json(&ckan_dataset("budget"))
        .send()
        .await;
    assert!(dropped.is_err(), "connection dropped without an answer");
    let (code, _) = call(
        &portal,
        "package_show",
        json!({"id": "budget"}),
        Some(TOKEN),
    )
    .await;
    assert_eq!(code, StatusCode::NOT_FOUND, "dropped before applying");

    portal.set_faults(vec![FaultRule {
        action: Some("package_create".into()),
        kind: FaultKind::DropAfterApply,
        times: 1,
    }]);
    let dropped = client
        .post(format!("{}/api/3/action/package_create", portal.url))
        .header("Authorization", TOKEN)
        .json(&ckan_dataset("budget"))
        .send()
        .await;
    assert!(dropped.is_err());
    ok(&portal, "package_show", json!({"id": "budget"})).await;
    portal.shutdown().await;
}

#[tokio::test]
async fn request_log_records_actions_in_order_without_secrets() {
    let (portal, _dir) = start(Profile::Ckan).await;
    ok(&portal, "package_create", ckan_dataset("budget")).await;
    call(
        &portal,
        "package_create",
        ckan_dataset("budget"),
        Some(TOKEN),
    )
    .await;
    ok(&portal, "package_show", json!({"id": "budget"})).await;
    let log: Vec<LoggedRequest> = Client::new()
        .get(format!("{}/_mock/requests", portal.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log, portal.requests());
    let summary: Vec<(&str, u16)> = log.iter().map(|r| (r.action.as_str(), r.status)).collect();
    assert_eq!(
        summary,
        [
            ("package_create", 200),
            ("package_create", 409),
            ("package_show", 200)
        ]
    );
    assert!(log.iter().all(|r| r.method == "POST"));
    let raw = serde_json::to_string(&log).unwrap();
    assert!(!raw.contains(TOKEN));
    portal.shutdown().await;
}
