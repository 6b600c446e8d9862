//! Portal failures, read from CKAN's envelope rather than the status alone.

use std::collections::BTreeMap;
use std::fmt;

/// What kind of error CKAN said it was (`error.__type`).
#[derive(Debug, Clone, PartialEq)]
pub enum CkanError {
    /// Per-field messages, e.g. `title_translated: Required language "fr" missing`.
    Validation(BTreeMap<String, Vec<String>>),
    Authorization(String),
    NotFound(String),
    /// Anything else, with CKAN's type and message, or the body when it was not JSON.
    Other {
        kind: String,
        message: String,
    },
}

impl fmt::Display for CkanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CkanError::Validation(fields) => {
                let mut first = true;
                for (field, msgs) in fields {
                    for m in msgs {
                        if !first {
                            f.write_str("; ")?;
                        }
                        first = false;
                        write!(f, "{field}: {m}")?;
                    }
                }
                Ok(())
            }
            CkanError::Authorization(m) => write!(f, "authorization error: {m}"),
            CkanError::NotFound(m) => write!(f, "not found: {m}"),
            CkanError::Other { kind, message } => write!(f, "{kind}: {message}"),
        }
    }
}

impl CkanError {
    /// Reads the `error` object of a failed action, or a bare body.
    pub fn from_body(body: &str) -> CkanError {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(body) else {
            return CkanError::Other {
                kind: "non-JSON answer".into(),
                message: body.chars().take(200).collect(),
            };
        };
        let Some(err) = v.get("error").and_then(|e| e.as_object()) else {
            // CKAN answers some bad requests with a bare JSON string.
            return CkanError::Other {
                kind: "bad request".into(),
                message: v
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string()),
            };
        };
        let kind = err.get("__type").and_then(|t| t.as_str()).unwrap_or("");
        let message = err
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or("")
            .to_string();
        match kind {
            "Validation Error" => CkanError::Validation(
                err.iter()
                    .filter(|(k, _)| *k != "__type")
                    .map(|(k, v)| {
                        let msgs = match v {
                            serde_json::Value::Array(a) => a
                                .iter()
                                .map(|m| {
                                    m.as_str()
                                        .map(str::to_string)
                                        .unwrap_or_else(|| m.to_string())
                                })
                                .collect(),
                            serde_json::Value::String(s) => vec![s.clone()],
                            other => vec![other.to_string()],
                        };
                        (k.clone(), msgs)
                    })
                    .collect(),
            ),
            "Authorization Error" => CkanError::Authorization(message),
            "Not Found Error" => CkanError::NotFound(message),
            other => CkanError::Other {
                kind: other.to_string(),
                message,
            },
        }
    }
}

/// Could not publish.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    #[error("{action} at {url}: {detail}; check that portal.url is right and the portal is up")]
    Transport {
        action: String,
        url: String,
        detail: String,
    },
    #[error("{action}: the portal refused the request ({status}): {error}{hint}")]
    Rejected {
        action: String,
        status: u16,
        error: CkanError,
        hint: String,
    },
    #[error("{action}: the portal answered {status} after {attempts} attempts: {error}")]
    Exhausted {
        action: String,
        status: u16,
        attempts: u32,
        error: CkanError,
    },
    #[error("{action}: the portal's answer is not what CKAN sends: {detail}")]
    Protocol { action: String, detail: String },
    #[error("{path}: cannot read the file to upload: {source}")]
    File {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("dataset {dataset}: {detail}")]
    Inconsistent { dataset: String, detail: String },
    #[error(
        "dataset {dataset}: the portal did not keep what was sent ({}); its schema does not match the profile: choose another portal.profile, or ask the portal's administrators for a schema with these fields",
        .fields.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    NotConverged {
        dataset: String,
        fields: Vec<super::converge::Mismatch>,
    },
    #[error("dataset {dataset}: the portal already has a dataset of that name owned by organization \"{owner}\", not \"{organization}\"; ogpipe never changes another organization's dataset: rename it there, or ask the portal's administrators")]
    Foreign {
        dataset: String,
        owner: String,
        organization: String,
    },
    #[error("{error}; {}", if .failures.is_empty() {
        "the update was rolled back: the portal serves the previous version, whole".to_string()
    } else {
        format!("rolling the update back failed too ({}): the portal may serve a mix of old and new files; run again once the portal is fixed, which finishes the update", .failures.join("; "))
    })]
    RolledBack {
        dataset: String,
        error: Box<PublishError>,
        failures: Vec<String>,
    },
    #[error("dataset {dataset}: still changing after {passes} passes of writes and re-reads; the portal may be changing it too: look at it on the portal, then run again")]
    TooManyPasses { dataset: String, passes: u32 },
    #[error("dataset {dataset}: {file} is {bytes} bytes, over the portal's upload limit of {limit_mb} MiB (portal.max_upload_mb); nothing was sent: ask the portal's administrators to raise ckan.max_resource_size, or split the resource")]
    TooLarge {
        dataset: String,
        file: String,
        bytes: u64,
        limit_mb: u64,
    },
}

impl PublishError {
    /// True for refusals that no retry or replan will change (a bad field, no rights).
    pub fn is_rejection(&self) -> bool {
        matches!(self, PublishError::Rejected { .. })
    }

    /// Whether running again, unchanged, could succeed: a portal that was down or
    /// answered 5xx, yes; a refusal of the data, the token or the schema, no.
    pub fn retry_helps(&self) -> bool {
        match self {
            PublishError::Rejected { status, .. } => matches!(status, 404 | 408 | 429),
            // A failed rollback leaves a mix that only a finished update repairs.
            PublishError::RolledBack {
                error, failures, ..
            } => !failures.is_empty() || error.retry_helps(),
            PublishError::NotConverged { .. }
            | PublishError::TooLarge { .. }
            | PublishError::Foreign { .. } => false,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_are_shown_per_field() {
        let e = CkanError::from_body(
            r#"{"success": false, "error": {"__type": "Validation Error", "title_translated": ["Required language \"fr\" missing"], "name": ["That URL is already in use."]}}"#,
        );
        assert_eq!(
            e.to_string(),
            "name: That URL is already in use.; title_translated: Required language \"fr\" missing"
        );
    }

    #[test]
    fn bare_string_bodies_are_kept() {
        let e = CkanError::from_body(r#""Bad request - JSON Error: No request body data""#);
        assert!(e.to_string().contains("JSON Error"));
        assert!(matches!(
            CkanError::from_body("<html>"),
            CkanError::Other { .. }
        ));
    }
}
