//! Multipart requests: form fields become the action's data dict, and the file in the
//! `upload` field is streamed to a temp file under the state directory, never held in
//! memory. The temp file is moved into `files/<resource_id>/` only once the action has
//! succeeded; otherwise it is removed.

use std::path::{Path, PathBuf};

use axum::extract::{FromRequest, Multipart, Request};
use serde_json::{Map, Value};
use tokio::io::AsyncWriteExt;

use super::{error::ApiError, state};

/// A file received in the `upload` field, waiting in `temp`.
pub(crate) struct Received {
    pub temp: PathBuf,
    /// Munged: lowercased, spaces to `-`, only `[a-z0-9._-]` kept.
    pub filename: String,
    pub size: u64,
}

impl Received {
    /// Removes the temp file; for a failed action.
    pub(crate) async fn discard(self) {
        // Best effort: a leftover `.upload-*` file is harmless and named as such.
        let _ = tokio::fs::remove_file(&self.temp).await;
    }
}

fn bad(e: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest(format!("Bad request - could not read multipart form: {e}"))
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("could not store upload: {e}"))
}

/// Reads a multipart request. A field sent more than once becomes a list; a field whose
/// text is a JSON object or list (how clients send `name_translated`) is parsed.
pub(crate) async fn read(
    request: Request,
    state_dir: &Path,
    max_upload_bytes: u64,
) -> Result<(Map<String, Value>, Option<Received>), ApiError> {
    let mut multipart = Multipart::from_request(request, &()).await.map_err(bad)?;
    let mut data = Map::new();
    let mut received: Option<Received> = None;
    let mut too_large = false;
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        if name == "upload" && file_name.as_deref().is_some_and(|f| !f.is_empty()) {
            if let Some(previous) = received.take() {
                previous.discard().await;
            }
            let temp = state::upload_temp(state_dir);
            let mut file = tokio::fs::File::create(&temp).await.map_err(internal)?;
            let mut size: u64 = 0;
            // Past the limit the rest is still read (and dropped) so the client gets
            // its 409 instead of a reset connection mid-send.
            while let Some(chunk) = field.chunk().await.map_err(bad)? {
                size += chunk.len() as u64;
                if size > max_upload_bytes {
                    too_large = true;
                } else if let Err(e) = file.write_all(&chunk).await {
                    let _ = tokio::fs::remove_file(&temp).await;
                    return Err(internal(e));
                }
            }
            file.flush().await.map_err(internal)?;
            drop(file);
            received = Some(Received {
                temp,
                filename: munge_filename(file_name.as_deref().unwrap_or_default()),
                size,
            });
            continue;
        }
        let text = field.text().await.map_err(bad)?;
        let value = parse_field(&text);
        match data.get_mut(&name) {
            Some(Value::Array(list)) if !matches!(value, Value::Array(_)) => list.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                data.insert(name, value);
            }
        }
    }
    if too_large {
        if let Some(r) = received {
            r.discard().await;
        }
        return Err(ApiError::field("upload", "File upload too large"));
    }
    Ok((data, received))
}

fn parse_field(text: &str) -> Value {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Value>(text) {
            return v;
        }
    }
    Value::String(text.to_owned())
}

/// CKAN's filename munging, simplified: the base name, lowercased, spaces to `-`,
/// anything outside `[a-z0-9._-]` dropped.
pub(crate) fn munge_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let munged: String = base
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' { '-' } else { c })
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    let munged = munged.trim_start_matches('.').to_owned();
    if munged.is_empty() {
        "upload".to_owned()
    } else {
        munged
    }
}

/// Moves a received file to `files/<resource_id>/<filename>`, replacing earlier files.
pub(crate) async fn commit(
    received: Received,
    state_dir: &Path,
    resource_id: &str,
) -> Result<(), ApiError> {
    let dir = state::resource_dir(state_dir, resource_id);
    if tokio::fs::metadata(&dir).await.is_ok() {
        tokio::fs::remove_dir_all(&dir).await.map_err(internal)?;
    }
    tokio::fs::create_dir_all(&dir).await.map_err(internal)?;
    tokio::fs::rename(&received.temp, dir.join(&received.filename))
        .await
        .map_err(internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_are_munged_like_ckan() {
        assert_eq!(
            munge_filename("Screening Volumes 2024.CSV"),
            "screening-volumes-2024.csv"
        );
        assert_eq!(munge_filename("C:\\data\\a b.json"), "a-b.json");
        assert_eq!(munge_filename("../../etc/passwd"), "passwd");
        assert_eq!(munge_filename(".."), "upload");
    }

    #[test]
    fn json_looking_fields_are_parsed() {
        assert_eq!(
            parse_field(r#"{"en": "a"}"#),
            serde_json::json!({"en": "a"})
        );
        assert_eq!(parse_field("{not json"), Value::String("{not json".into()));
        assert_eq!(parse_field("CSV"), Value::String("CSV".into()));
    }
}
