//! Errors: [`PortalError`] for the server's own failures (state on disk, the socket), and
//! `ApiError` for answers to clients, rendered exactly as CKAN 2.12 renders them.

use std::{collections::BTreeMap, io, path::PathBuf};

use axum::{
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::{json, Map, Value};

/// Why the mock portal could not start, keep its state, or keep serving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PortalError {
    /// The state directory could not be created.
    #[error("could not create portal state directory {path}: {source} (check the path and its permissions)")]
    CreateDir { path: PathBuf, source: io::Error },
    /// `state.json` exists but could not be read.
    #[error("could not read portal state {path}: {source}")]
    ReadState { path: PathBuf, source: io::Error },
    /// `state.json` is not what this portal wrote.
    #[error("portal state {path} is not valid: {source} (fix it, or move it away to start with an empty portal)")]
    ParseState {
        path: PathBuf,
        source: serde_json::Error,
    },
    /// Writing `state.json` (or an uploaded file) failed.
    #[error("could not save portal state {path}: {source} (check free space and permissions)")]
    SaveState { path: PathBuf, source: io::Error },
    /// The listener has no usable local address.
    #[error("could not read the address the portal listener is bound to: {source}")]
    Bind { source: io::Error },
    /// The HTTP server stopped with an error.
    #[error("portal server stopped: {source}")]
    Serve { source: io::Error },
    /// The background server task panicked or was cancelled.
    #[error("portal server task failed: {0}")]
    Task(String),
}

/// An action's failure, as CKAN reports it to the client.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ApiError {
    /// 409 with a list of messages per field (nested for resources).
    Validation(Map<String, Value>),
    /// 403; the message names who was refused what.
    Authorization(String),
    /// 404 in the envelope.
    NotFound,
    /// 404 as a plain page (file downloads).
    NotFoundPage,
    /// 400 with a bare JSON string body, not the envelope.
    BadRequest(String),
    /// 415 as an HTML page.
    UnsupportedMediaType,
    /// 500: the mock could not do its own job (disk).
    Internal(String),
    /// A status injected by a fault rule.
    Injected {
        status: u16,
        retry_after_secs: Option<u64>,
    },
}

impl ApiError {
    /// A validation error on one field.
    pub(crate) fn field(field: &str, message: &str) -> Self {
        let mut map = Map::new();
        map.insert(field.to_owned(), json!([message]));
        ApiError::Validation(map)
    }

    /// Builds CKAN's error dict from flat `field -> messages`, where resource errors are
    /// keyed `resources.<index>.<field>` and CKAN nests them as a list with `{}` for
    /// resources that passed.
    pub(crate) fn from_flat(errors: BTreeMap<String, Vec<String>>) -> Self {
        let mut map = Map::new();
        let mut resources: BTreeMap<usize, Map<String, Value>> = BTreeMap::new();
        for (key, messages) in errors {
            let nested = key.strip_prefix("resources.").and_then(|rest| {
                let (index, field) = rest.split_once('.')?;
                Some((index.parse::<usize>().ok()?, field.to_owned()))
            });
            match nested {
                Some((index, field)) => {
                    resources
                        .entry(index)
                        .or_default()
                        .insert(field, json!(messages));
                }
                None => {
                    map.insert(key, json!(messages));
                }
            }
        }
        if let Some(&last) = resources.keys().last() {
            let list: Vec<Value> = (0..=last)
                .map(|i| Value::Object(resources.remove(&i).unwrap_or_default()))
                .collect();
            map.insert("resources".to_owned(), Value::Array(list));
        }
        ApiError::Validation(map)
    }

    /// The response, with `help` pointing at the action's help URL.
    pub(crate) fn into_response_with(self, help: &str) -> Response {
        let envelope = |status: StatusCode, error: Value| {
            let body = json!({"help": help, "success": false, "error": error});
            (status, Json(body)).into_response()
        };
        match self {
            ApiError::Validation(mut fields) => {
                let mut error = Map::new();
                error.insert("__type".to_owned(), json!("Validation Error"));
                error.append(&mut fields);
                envelope(StatusCode::CONFLICT, Value::Object(error))
            }
            ApiError::Authorization(message) => envelope(
                StatusCode::FORBIDDEN,
                json!({"__type": "Authorization Error", "message": message}),
            ),
            ApiError::NotFound => envelope(
                StatusCode::NOT_FOUND,
                json!({"__type": "Not Found Error", "message": "Not found"}),
            ),
            ApiError::NotFoundPage => html(StatusCode::NOT_FOUND, "404 Not Found", "Resource not found"),
            ApiError::BadRequest(message) => (StatusCode::BAD_REQUEST, Json(json!(message))).into_response(),
            ApiError::UnsupportedMediaType => html(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "415 Unsupported Media Type",
                "Did not attempt to load JSON data because the request Content-Type was not 'application/json'.",
            ),
            ApiError::Internal(message) => envelope(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"__type": "Internal Server Error", "message": message}),
            ),
            ApiError::Injected { status, retry_after_secs } => {
                let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let reason = code.canonical_reason().unwrap_or("Injected Fault");
                let mut response =
                    envelope(code, json!({"__type": "Injected Fault", "message": reason}));
                if let Some(secs) = retry_after_secs {
                    response.headers_mut().insert(header::RETRY_AFTER, secs.into());
                }
                response
            }
        }
    }
}

fn html(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!("<!doctype html>\n<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>\n");
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}
