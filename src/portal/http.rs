//! Routing and the HTTP edge: turning requests into action calls (body parsing, auth,
//! faults, logging, persistence) and results into CKAN's responses.

use std::{future::Future, sync::Arc, sync::PoisonError};

use axum::{
    body::{Body, Bytes},
    extract::{ConnectInfo, DefaultBodyLimit, Path, Query, Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::{any, get},
    Json, Router,
};
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;

use super::{
    actions::{self, Ctx, UploadInfo},
    error::{ApiError, PortalError},
    faults::{self, ConnHandle, FaultKind, FaultRule, KillableListener},
    state, upload, LoggedRequest, Shared,
};

const READ_ACTIONS: &[&str] = &[
    "status_show",
    "organization_show",
    "organization_list_for_user",
    "package_show",
    "package_search",
    "resource_show",
    "license_list",
    "scheming_dataset_schema_show",
];
const WRITE_ACTIONS: &[&str] = &[
    "package_create",
    "package_update",
    "package_patch",
    "package_delete",
    "resource_create",
    "resource_update",
    "resource_patch",
    "resource_delete",
];
/// JSON bodies are small; files go through multipart, which is streamed.
const MAX_JSON_BYTES: usize = 32 * 1024 * 1024;

/// Naive UTC with microseconds, CKAN's timestamp format.
pub(crate) fn now() -> String {
    chrono::Utc::now()
        .naive_utc()
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string()
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/3/action/{action}", any(action))
        .route("/api/action/{action}", any(action))
        .route(
            "/dataset/{package}/resource/{resource}/download/{filename}",
            get(download),
        )
        .route("/dataset/{package}", get(dataset_page))
        .route("/_mock/requests", get(mock_requests))
        .route("/_mock/faults", get(mock_faults_get).post(mock_faults_set))
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::map_response(connection_close))
        .with_state(shared)
}

pub(crate) async fn run(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), PortalError> {
    let service = app.into_make_service_with_connect_info::<ConnHandle>();
    axum::serve(KillableListener(listener), service)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|source| PortalError::Serve { source })
}

async fn connection_close(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Logs a request on arrival (so the log is in arrival order) and returns its slot.
fn log_arrival(shared: &Shared, action: &str, method: &Method) -> usize {
    let mut log = shared.log.lock().unwrap_or_else(PoisonError::into_inner);
    log.push(LoggedRequest {
        action: action.to_owned(),
        method: method.to_string(),
        status: 0,
    });
    log.len() - 1
}

fn log_status(shared: &Shared, slot: usize, status: u16) {
    if let Some(entry) = shared
        .log
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get_mut(slot)
    {
        entry.status = status;
    }
}

/// What to do with a request once the fault rules have been consulted.
enum Proceed {
    /// Run the action and answer.
    Normally,
    /// Run the action, then hang up without answering.
    HangUpAfter,
    /// Wait this long, then run the action and answer.
    After(std::time::Duration),
    /// Send this answer instead of running the action, and log this status (0 for a
    /// hang-up).
    Instead(Response, u16),
}

/// Applies a fault rule, if one fires.
fn apply_fault(shared: &Shared, action: &str, conn: &ConnHandle, help: &str) -> Proceed {
    let fired = faults::take(
        &mut shared.faults.lock().unwrap_or_else(PoisonError::into_inner),
        action,
    );
    match fired {
        None => Proceed::Normally,
        Some(FaultKind::Status {
            status,
            retry_after_secs,
        }) => Proceed::Instead(
            ApiError::Injected {
                status,
                retry_after_secs,
            }
            .into_response_with(help),
            status,
        ),
        Some(FaultKind::Delay { ms }) => Proceed::After(std::time::Duration::from_millis(ms)),
        Some(FaultKind::DropConnection) => {
            conn.kill();
            // Never written: the killed connection fails the write.
            Proceed::Instead(StatusCode::INTERNAL_SERVER_ERROR.into_response(), 0)
        }
        Some(FaultKind::DropAfterApply) => Proceed::HangUpAfter,
    }
}

async fn action(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let slot = log_arrival(&shared, &name, request.method());
    let help = format!("{}/api/3/action/help_show?name={name}", shared.site_url);
    let proceed = apply_fault(&shared, &name, &conn, &help);
    let hang_up_after = matches!(proceed, Proceed::HangUpAfter);
    let response = match proceed {
        Proceed::After(delay) => {
            // A slow CKAN behind a proxy has the whole request and finishes it even when
            // the client gives up waiting: so read the body now, and run the action in a
            // task of its own that a dropped connection does not cancel.
            let (parts, body) = request.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
                return StatusCode::BAD_REQUEST.into_response();
            };
            let request = Request::from_parts(parts, Body::from(bytes));
            let (shared, name, help) = (shared.clone(), name.clone(), help.clone());
            let task = tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let response = respond(run_action(&shared, &name, request).await, &help);
                log_status(&shared, slot, response.status().as_u16());
                response
            });
            return task
                .await
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
        }
        Proceed::Instead(response, status) => {
            if status != 0 {
                // CKAN reads the whole request before it answers; an answer sent while
                // the client is still uploading would reach it as a broken connection.
                let _ = axum::body::to_bytes(request.into_body(), usize::MAX).await;
            }
            log_status(&shared, slot, status);
            return response;
        }
        Proceed::Normally | Proceed::HangUpAfter => {
            respond(run_action(&shared, &name, request).await, &help)
        }
    };
    if hang_up_after {
        conn.kill();
        log_status(&shared, slot, 0);
    } else {
        log_status(&shared, slot, response.status().as_u16());
    }
    response
}

fn respond(outcome: Result<Value, ApiError>, help: &str) -> Response {
    match outcome {
        Ok(result) => {
            Json(json!({"help": help, "success": true, "result": result})).into_response()
        }
        Err(error) => error.into_response_with(help),
    }
}

async fn run_action(shared: &Shared, name: &str, request: Request) -> Result<Value, ApiError> {
    let write = WRITE_ACTIONS.contains(&name);
    if !write && !READ_ACTIONS.contains(&name) {
        return Err(ApiError::BadRequest(format!(
            "Bad request - Action name not known: {name}"
        )));
    }
    let method = request.method().clone();
    if method == Method::GET && write {
        return Err(ApiError::BadRequest(
            "Bad request - JSON Error: Invalid request. Please use POST method for your request"
                .to_owned(),
        ));
    }
    if method != Method::GET && method != Method::POST {
        return Err(ApiError::BadRequest(format!(
            "Bad request - method {method} not allowed"
        )));
    }
    let authorized = !shared.token.is_empty()
        && request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            == Some(shared.token.as_str());
    let (data, received) = read_data(shared, request).await?;
    let ctx = Ctx {
        authorized,
        profile: shared.profile,
        now: now(),
        today: chrono::Utc::now().date_naive(),
        site_url: &shared.site_url,
        registry: shared.registry,
        drop_fields: &shared.drop_fields,
    };
    if !write {
        if let Some(r) = received {
            r.discard().await;
        }
        let store = shared.store.lock().await;
        return match name {
            "status_show" => Ok(status_show(shared)),
            "organization_show" => actions::organization_show(&store, &data),
            "organization_list_for_user" => Ok(actions::organization_list_for_user(&store, &ctx)),
            "package_show" => actions::package_show(&store, &ctx, &data),
            "package_search" => actions::package_search(&store, &ctx, &data),
            "license_list" => Ok(actions::license_list(&ctx)),
            "scheming_dataset_schema_show" => actions::scheming_dataset_schema_show(&ctx, &data),
            _ => actions::resource_show(&store, &ctx, &data),
        };
    }
    let takes_upload = name.starts_with("resource_") && name != "resource_delete";
    let received = match received {
        Some(r) if !takes_upload => {
            r.discard().await;
            None
        }
        other => other,
    };
    let info = received.as_ref().map(|r| UploadInfo {
        filename: r.filename.clone(),
        size: r.size,
    });
    let mut store = shared.store.lock().await;
    // Run on a copy so that a failed action or a failed save changes nothing.
    let mut next = store.clone();
    let outcome = match name {
        "package_create" => actions::package_create(&mut next, &ctx, data),
        "package_update" => actions::package_update(&mut next, &ctx, data),
        "package_patch" => actions::package_patch(&mut next, &ctx, data),
        "package_delete" => actions::package_delete(&mut next, &ctx, &data),
        "resource_create" => actions::resource_create(&mut next, &ctx, data, info.as_ref()),
        "resource_update" => actions::resource_update(&mut next, &ctx, data, info.as_ref(), false),
        "resource_patch" => actions::resource_update(&mut next, &ctx, data, info.as_ref(), true),
        _ => actions::resource_delete(&mut next, &ctx, &data),
    };
    let result = match outcome {
        Ok(result) => result,
        Err(error) => {
            if let Some(r) = received {
                r.discard().await;
            }
            return Err(error);
        }
    };
    let resource_id = data_id(&result);
    if let Some(r) = received {
        upload::commit(r, &shared.state_dir, &resource_id).await?;
    }
    next.save(&shared.state_dir)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    *store = next;
    if name == "resource_delete" {
        // Best effort: the resource is gone from the state; an orphaned file is harmless.
        let _ =
            tokio::fs::remove_dir_all(state::resource_dir(&shared.state_dir, &resource_id)).await;
    }
    Ok(result)
}

fn data_id(result: &Value) -> String {
    result
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The action's input: query parameters for GET; a JSON, form or multipart body for POST.
async fn read_data(
    shared: &Shared,
    request: Request,
) -> Result<(Map<String, Value>, Option<upload::Received>), ApiError> {
    if request.method() == Method::GET {
        return Ok((query_map(request.uri())?, None));
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let (mut data, received) =
            upload::read(request, &shared.state_dir, shared.max_upload_bytes).await?;
        // Resource deletes and reads take the id from the form as well.
        data.remove("upload");
        return Ok((data, received));
    }
    let body = axum::body::to_bytes(request.into_body(), MAX_JSON_BYTES)
        .await
        .map_err(|e| ApiError::BadRequest(format!("Bad request - could not read the body: {e}")))?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((Map::new(), None));
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let text = String::from_utf8_lossy(&body);
        let uri: Uri = format!("/?{}", text.trim())
            .parse()
            .map_err(|_| ApiError::BadRequest("Bad request - malformed form body".to_owned()))?;
        return Ok((query_map(&uri)?, None));
    }
    if !content_type.starts_with("application/json") {
        return Err(ApiError::UnsupportedMediaType);
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(map)) => Ok((map, None)),
        Ok(other) => Err(ApiError::BadRequest(format!(
            "Bad request - JSON Error: Request data JSON decoded to {other} but it needs to be a dictionary."
        ))),
        Err(e) => Err(ApiError::BadRequest(format!("Bad request - JSON Error: Error decoding JSON data. Error: {e}"))),
    }
}

/// Query or form parameters; a repeated key becomes a list.
fn query_map(uri: &Uri) -> Result<Map<String, Value>, ApiError> {
    let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map_err(|e| ApiError::BadRequest(format!("Bad request - malformed query string: {e}")))?;
    let mut map = Map::new();
    for (k, v) in pairs {
        match map.get_mut(&k) {
            Some(Value::Array(list)) => list.push(Value::String(v)),
            Some(existing) => *existing = json!([existing.take(), v]),
            None => {
                map.insert(k, Value::String(v));
            }
        }
    }
    Ok(map)
}

fn status_show(shared: &Shared) -> Value {
    let extensions: &[&str] = match shared.profile {
        crate::vocab::Profile::Ckan => &["activity"],
        crate::vocab::Profile::OpenCanada => {
            &["activity", "scheming_datasets", "fluent", "canada_forms"]
        }
    };
    json!({
        "ckan_version": "2.12.0",
        "site_title": "ogpipe mock portal",
        "site_description": "",
        "site_url": shared.site_url,
        "error_emails_to": null,
        "locale_default": "en",
        "extensions": extensions,
    })
}

/// `GET /dataset/<name or id>`: see [`super::page`].
async fn dataset_page(State(shared): State<Arc<Shared>>, Path(package): Path<String>) -> Response {
    let store = shared.store.lock().await;
    let page = store
        .find(&package)
        .and_then(|i| super::page::dataset_page(&store.datasets[i]));
    let html = [(header::CONTENT_TYPE, "text/html; charset=utf-8")];
    match page {
        Some(p) => (StatusCode::OK, html, p).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            html,
            "<!doctype html><title>Not found</title><h1>Dataset not found</h1>".to_owned(),
        )
            .into_response(),
    }
}

/// `GET /dataset/<package>/resource/<resource>/download/<filename>`: the exact bytes.
async fn download(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    Path((package, resource, filename)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let slot = log_arrival(&shared, "download", &Method::GET);
    let help = format!("{}/api/3/action/help_show?name=download", shared.site_url);
    let hang_up_after = match apply_fault(&shared, "download", &conn, &help) {
        Proceed::After(delay) => {
            tokio::time::sleep(delay).await;
            false
        }
        Proceed::Instead(response, status) => {
            log_status(&shared, slot, status);
            return response;
        }
        p => matches!(p, Proceed::HangUpAfter),
    };
    let authorized = !shared.token.is_empty()
        && headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            == Some(shared.token.as_str());
    let response = match open_download(&shared, authorized, &package, &resource, &filename).await {
        Ok(response) => response,
        Err(error) => error.into_response_with(&help),
    };
    if hang_up_after {
        conn.kill();
        log_status(&shared, slot, 0);
    } else {
        log_status(&shared, slot, response.status().as_u16());
    }
    response
}

async fn open_download(
    shared: &Shared,
    authorized: bool,
    package: &str,
    resource: &str,
    filename: &str,
) -> Result<Response, ApiError> {
    let mimetype = {
        let store = shared.store.lock().await;
        let (d, r) = store
            .find_resource(resource)
            .ok_or(ApiError::NotFoundPage)?;
        let dataset = &store.datasets[d];
        let owner_matches = state::str_of(dataset, "id") == Some(package)
            || state::str_of(dataset, "name") == Some(package);
        if !owner_matches {
            return Err(ApiError::NotFoundPage);
        }
        let private = dataset
            .get("private")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if (private || state::str_of(dataset, "state") == Some("deleted")) && !authorized {
            return Err(ApiError::Authorization(
                "Access denied: User  not authorized to read resource".to_owned(),
            ));
        }
        let res = &dataset["resources"][r];
        let url_ok = res["url_type"] == "upload"
            && res["url"]
                .as_str()
                .is_some_and(|u| u.ends_with(&format!("/download/{filename}")));
        if !url_ok {
            return Err(ApiError::NotFoundPage);
        }
        res["mimetype"]
            .as_str()
            .unwrap_or("application/octet-stream")
            .to_owned()
    };
    let path = state::resource_dir(&shared.state_dir, resource).join(filename);
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|_| ApiError::NotFoundPage)?;
    let meta = file
        .metadata()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let modified: chrono::DateTime<chrono::Utc> = meta
        .modified()
        .map(Into::into)
        .unwrap_or_else(|_| chrono::Utc::now());
    let etag = format!("\"{:x}-{:x}\"", meta.len(), modified.timestamp_micros());
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let headers = [
        (header::CONTENT_TYPE, mimetype),
        (header::CONTENT_LENGTH, meta.len().to_string()),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ),
        (header::ETAG, etag),
        (
            header::LAST_MODIFIED,
            modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        ),
    ];
    Ok((headers, body).into_response())
}

async fn mock_requests(State(shared): State<Arc<Shared>>) -> Json<Vec<LoggedRequest>> {
    Json(shared.requests())
}

async fn mock_faults_get(State(shared): State<Arc<Shared>>) -> Json<Vec<FaultRule>> {
    Json(
        shared
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone(),
    )
}

/// Replaces the fault rules with the JSON list in the body.
async fn mock_faults_set(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Vec<FaultRule>>(&body) {
        Ok(rules) => {
            shared.set_faults(rules.clone());
            Json(rules).into_response()
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(json!(format!("invalid fault rules: {e}"))),
        )
            .into_response(),
    }
}
