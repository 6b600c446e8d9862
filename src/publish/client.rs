//! The only code that talks to the portal: CKAN's Action API over HTTP(S).
//!
//! Each request is sent on a fresh connection (the CKAN development server closes every
//! one, and a reused connection that the server has just closed turns a safe request
//! into an ambiguous one). Reads and idempotent writes are retried by [`RetryPolicy`];
//! a create that may have reached the portal is never repeated here: it is reported as
//! [`Failure::Ambiguous`] so the caller re-reads the portal and plans again.

use std::path::Path;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value as Json};
use tracing::{debug, warn};

use super::error::{CkanError, PublishError};
use super::retry::{parse_retry_after, retryable_status, RetryPolicy};

/// Whether repeating a request could do something twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safety {
    /// Reads, patches, updates and deletes: the same request twice leaves the same state.
    Idempotent,
    /// Creates: a second one could make a twin.
    Once,
}

/// Why a call failed.
#[derive(Debug)]
pub enum Failure {
    /// Nothing was changed, or retrying will not help: report it.
    Final(PublishError),
    /// A create may or may not have been applied: re-read the portal before going on,
    /// after waiting `settle`. A request that timed out may still be running on the
    /// portal, and a re-read that comes before it lands would plan the create again.
    Ambiguous {
        error: PublishError,
        settle: Duration,
    },
}

impl Failure {
    pub fn into_error(self) -> PublishError {
        match self {
            Failure::Final(e) | Failure::Ambiguous { error: e, .. } => e,
        }
    }
}

impl From<PublishError> for Failure {
    fn from(e: PublishError) -> Self {
        Failure::Final(e)
    }
}

/// CKAN's default `ckan.max_resource_size`, in MB.
pub const DEFAULT_MAX_UPLOAD_MB: u64 = 10;

/// How long a download may go without receiving a byte before it is abandoned.
pub const DOWNLOAD_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A CKAN Action API client for one portal and organization.
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<SecretString>,
    token_source: String,
    organization: String,
    policy: RetryPolicy,
    timeout: Duration,
    writes: std::sync::atomic::AtomicU32,
    max_upload_bytes: u64,
}

impl Client {
    /// # Errors
    /// The HTTP client cannot be built (no TLS roots on the machine).
    pub fn new(
        base_url: &str,
        token: Option<SecretString>,
        token_source: &str,
        organization: &str,
        timeout: Duration,
        connect_timeout: Duration,
        policy: RetryPolicy,
    ) -> Result<Client, PublishError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(connect_timeout)
            .pool_max_idle_per_host(0)
            .user_agent(concat!("ogpipe/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PublishError::Transport {
                action: "client setup".into(),
                url: base_url.into(),
                detail: e.to_string(),
            })?;
        Ok(Client {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            token,
            token_source: token_source.to_string(),
            organization: organization.to_string(),
            policy,
            timeout,
            writes: Default::default(),
            max_upload_bytes: DEFAULT_MAX_UPLOAD_MB << 20,
        })
    }

    /// The portal's upload limit, `ckan.max_resource_size`, which CKAN's uploader counts
    /// in MiB.
    pub fn with_max_upload_mb(mut self, mb: u64) -> Client {
        self.max_upload_bytes = mb.saturating_mul(1 << 20);
        self
    }

    /// The portal's own date, from the `Date` header of a `status_show`: what the
    /// Registry checks `date_published` against. `None` when it sends none.
    pub async fn server_date(&self) -> Option<chrono::NaiveDate> {
        let resp = self.http.get(self.url("status_show")).send().await.ok()?;
        let date = resp.headers().get(reqwest::header::DATE)?.to_str().ok()?;
        chrono::DateTime::parse_from_rfc2822(date)
            .ok()
            .map(|d| d.naive_utc().date())
    }

    pub fn max_upload_bytes(&self) -> u64 {
        self.max_upload_bytes
    }

    /// The configured organization (name or id).
    pub fn organization(&self) -> &str {
        &self.organization
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Write calls sent so far (each attempt counts).
    pub fn writes(&self) -> u32 {
        self.writes.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn url(&self, action: &str) -> String {
        format!("{}/api/3/action/{action}", self.base)
    }

    fn authorize(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            // CKAN reads the raw token; `Bearer` makes it silently anonymous.
            Some(t) => req.header(reqwest::header::AUTHORIZATION, t.expose_secret()),
            None => req,
        }
    }

    /// Calls an action with a JSON body and returns its `result`.
    ///
    /// # Errors
    /// See [`Failure`].
    pub async fn action(&self, action: &str, body: &Json, safety: Safety) -> Result<Json, Failure> {
        let write = !matches!(
            action,
            "package_show"
                | "resource_show"
                | "package_search"
                | "organization_show"
                | "status_show"
                | "organization_list_for_user"
                | "license_list"
                | "scheming_dataset_schema_show"
        );
        self.send(action, write, safety, || {
            Ok(self.authorize(self.http.post(self.url(action)).json(body)))
        })
        .await
    }

    /// Calls `resource_create` or `resource_update` with a file, streamed from disk.
    ///
    /// # Errors
    /// See [`Failure`].
    pub async fn upload(
        &self,
        action: &str,
        fields: &Map<String, Json>,
        path: &Path,
        file_name: &str,
        mime: &str,
        safety: Safety,
    ) -> Result<Json, Failure> {
        self.send(action, true, safety, || {
            let mut form = reqwest::multipart::Form::new();
            for (k, v) in fields {
                match v {
                    Json::String(s) => form = form.text(k.clone(), s.clone()),
                    // CKAN reads a list as repeated form fields.
                    Json::Array(items) if items.iter().all(Json::is_string) => {
                        for i in items {
                            form = form.text(k.clone(), i.as_str().unwrap_or_default().to_string());
                        }
                    }
                    Json::Null => {}
                    // Dicts such as name_translated travel as JSON text.
                    other => form = form.text(k.clone(), other.to_string()),
                }
            }
            let file = std::fs::File::open(path).map_err(|source| PublishError::File {
                path: path.to_path_buf(),
                source,
            })?;
            let len = file
                .metadata()
                .map_err(|source| PublishError::File {
                    path: path.to_path_buf(),
                    source,
                })?
                .len();
            let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
            let part = reqwest::multipart::Part::stream_with_length(
                reqwest::Body::wrap_stream(stream),
                len,
            )
            .file_name(file_name.to_string())
            .mime_str(mime)
            .map_err(|e| PublishError::Protocol {
                action: action.into(),
                detail: e.to_string(),
            })?;
            form = form.part("upload", part);
            Ok(self.authorize(self.http.post(self.url(action)).multipart(form)))
        })
        .await
    }

    /// Downloads a resource file from `url` into `out`, streaming, and returns how many
    /// bytes were written. Nothing is held in memory beyond one network chunk.
    ///
    /// The token is sent only when `url` is on the portal's own origin: a private
    /// dataset's uploads need it, but a link resource may point anywhere, and the token
    /// must not travel there. Failures before the first byte (refused connection,
    /// timeout, 429, 5xx) are retried under the client's policy; a failure once bytes
    /// have reached `out` is returned, since `out` cannot be rewound. The client's total
    /// timeout does not apply (a large file takes what it takes); instead each chunk
    /// must arrive within [`DOWNLOAD_IDLE_TIMEOUT`].
    ///
    /// # Errors
    /// The portal refused (403 for a private dataset without rights, 404), kept failing,
    /// stalled, or `out` failed to write ([`PublishError::File`] is not used for that:
    /// it is a [`PublishError::Transport`] naming the write).
    #[tracing::instrument(name = "portal", skip_all, fields(action = "download"))]
    pub async fn download<W: std::io::Write + Send>(
        &self,
        url: &str,
        out: &mut W,
    ) -> Result<u64, PublishError> {
        const ACTION: &str = "download";
        let transport = |detail: String| PublishError::Transport {
            action: ACTION.into(),
            url: url.to_string(),
            detail,
        };
        let parsed = reqwest::Url::parse(url).map_err(|e| transport(format!("bad URL: {e}")))?;
        let same_origin = reqwest::Url::parse(&self.base)
            .map(|b| b.origin() == parsed.origin())
            .unwrap_or(false);
        let mut attempt = 0;
        let mut resp = loop {
            attempt += 1;
            let mut req = self
                .http
                .get(parsed.clone())
                .timeout(Duration::from_secs(7 * 24 * 3600));
            if same_origin {
                req = self.authorize(req);
            }
            match tokio::time::timeout(DOWNLOAD_IDLE_TIMEOUT, req.send()).await {
                Ok(Ok(r)) if r.status().is_success() => break r,
                Ok(Ok(r)) => {
                    let status = r.status().as_u16();
                    let retry_after = r
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
                    let body = r.text().await.unwrap_or_default();
                    let error = CkanError::from_body(&body);
                    if retryable_status(status) {
                        if attempt < self.policy.max_attempts {
                            let wait = self.policy.backoff(attempt, retry_after, fastrand::f64());
                            warn!(
                                attempt,
                                status,
                                wait_ms = wait.as_millis() as u64,
                                "Download failed; retrying."
                            );
                            tokio::time::sleep(wait).await;
                            continue;
                        }
                        return Err(PublishError::Exhausted {
                            action: ACTION.into(),
                            status,
                            attempts: attempt,
                            error,
                        });
                    }
                    let hint = if matches!(status, 401 | 403) {
                        format!(
                            "; the token from {} was refused or lacks rights on organization \"{}\"",
                            self.token_source, self.organization
                        )
                    } else {
                        String::new()
                    };
                    return Err(PublishError::Rejected {
                        action: ACTION.into(),
                        status,
                        error,
                        hint,
                    });
                }
                Ok(Err(e)) => {
                    let error = transport(describe(&e));
                    if attempt < self.policy.max_attempts {
                        let wait = self.policy.backoff(attempt, None, fastrand::f64());
                        warn!(attempt, error = %error, wait_ms = wait.as_millis() as u64, "Download failed; retrying.");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(error);
                }
                Err(_) => {
                    if attempt < self.policy.max_attempts {
                        tokio::time::sleep(self.policy.backoff(attempt, None, fastrand::f64()))
                            .await;
                        continue;
                    }
                    return Err(transport("timed out waiting for the answer".into()));
                }
            }
        };
        let mut total = 0u64;
        loop {
            let chunk = match tokio::time::timeout(DOWNLOAD_IDLE_TIMEOUT, resp.chunk()).await {
                Ok(Ok(Some(c))) => c,
                Ok(Ok(None)) => break,
                Ok(Err(e)) => {
                    return Err(transport(format!(
                        "broke off after {total} bytes: {}",
                        describe(&e)
                    )))
                }
                Err(_) => {
                    return Err(transport(format!(
                        "stalled after {total} bytes: nothing for {} s",
                        DOWNLOAD_IDLE_TIMEOUT.as_secs()
                    )))
                }
            };
            // Chunks are network-sized (kilobytes), so hashing them here costs
            // microseconds; a blocking hop per chunk would cost more than it saves.
            out.write_all(&chunk)
                .map_err(|e| transport(format!("cannot write what was downloaded: {e}")))?;
            total += chunk.len() as u64;
        }
        debug!(bytes = total, "Downloaded.");
        Ok(total)
    }

    #[tracing::instrument(name = "portal", skip_all, fields(action = action))]
    async fn send(
        &self,
        action: &str,
        write: bool,
        safety: Safety,
        build: impl Fn() -> Result<reqwest::RequestBuilder, PublishError>,
    ) -> Result<Json, Failure> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let req = build()?;
            if write {
                self.writes
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            let started = std::time::Instant::now();
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    // A refused connection never reached the portal; a timeout may have.
                    let unsent = e.is_connect() && !e.is_timeout();
                    let error = PublishError::Transport {
                        action: action.into(),
                        url: self.url(action),
                        detail: describe(&e),
                    };
                    if (unsent || safety == Safety::Idempotent)
                        && attempt < self.policy.max_attempts
                    {
                        let wait = self.policy.backoff(attempt, None, fastrand::f64());
                        warn!(attempt, error = %error, wait_ms = wait.as_millis() as u64, "Portal request failed; retrying.");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(if unsent {
                        Failure::Final(error)
                    } else {
                        // A portal that took longer than the timeout may take as long again.
                        let settle = if e.is_timeout() {
                            self.timeout
                        } else {
                            Duration::ZERO
                        };
                        Failure::Ambiguous { error, settle }
                    });
                }
            };
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
            let body = match resp.text().await {
                Ok(b) => b,
                Err(e) => {
                    let error = PublishError::Transport {
                        action: action.into(),
                        url: self.url(action),
                        detail: describe(&e),
                    };
                    if safety == Safety::Idempotent && attempt < self.policy.max_attempts {
                        tokio::time::sleep(self.policy.backoff(attempt, None, fastrand::f64()))
                            .await;
                        continue;
                    }
                    return Err(Failure::Ambiguous {
                        error,
                        settle: Duration::ZERO,
                    });
                }
            };
            debug!(
                status,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "Portal answered."
            );
            if status == 200 {
                return parse_success(action, &body).map_err(Failure::Final);
            }
            let error = CkanError::from_body(&body);
            if retryable_status(status) {
                // 429 says the request was not processed; a 5xx after a create may have been.
                let safe = safety == Safety::Idempotent || status == 429;
                if safe && attempt < self.policy.max_attempts {
                    let wait = self.policy.backoff(attempt, retry_after, fastrand::f64());
                    warn!(
                        attempt,
                        status,
                        wait_ms = wait.as_millis() as u64,
                        "Portal busy or failing; retrying."
                    );
                    tokio::time::sleep(wait).await;
                    continue;
                }
                let e = PublishError::Exhausted {
                    action: action.into(),
                    status,
                    attempts: attempt,
                    error,
                };
                return Err(if safe {
                    Failure::Final(e)
                } else {
                    Failure::Ambiguous {
                        error: e,
                        settle: Duration::ZERO,
                    }
                });
            }
            let hint = match (&error, status) {
                (CkanError::Authorization(_), _) | (_, 401 | 403) => format!(
                    "; the token from {} was refused or lacks rights on organization \"{}\"",
                    self.token_source, self.organization
                ),
                _ => String::new(),
            };
            return Err(Failure::Final(PublishError::Rejected {
                action: action.into(),
                status,
                error,
                hint,
            }));
        }
    }
}

/// reqwest's Display hides the cause (`error sending request`); show the chain.
fn describe(e: &reqwest::Error) -> String {
    let mut s = if e.is_timeout() {
        "timed out".to_string()
    } else {
        e.to_string()
    };
    let mut src = std::error::Error::source(e);
    while let Some(cause) = src {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        src = cause.source();
    }
    s
}

fn parse_success(action: &str, body: &str) -> Result<Json, PublishError> {
    let v: Json = serde_json::from_str(body).map_err(|e| PublishError::Protocol {
        action: action.into(),
        detail: format!("the body is not JSON ({e})"),
    })?;
    if v.get("success").and_then(Json::as_bool) != Some(true) {
        return Err(PublishError::Protocol {
            action: action.into(),
            detail: "`success` is not true in a 200 answer".into(),
        });
    }
    Ok(v.get("result").cloned().unwrap_or(Json::Null))
}
