//! A stand-in for a CKAN 2.12 portal's Action API, shipped with ogpipe as the default
//! embedded portal, the test double and a rehearsal portal.
//!
//! Contract:
//! - It answers as CKAN 2.12 was observed to (`/work/shared/reference/ckan-2.12.md`):
//!   the `{help, success, result}` envelope, `__type`d errors with CKAN's status codes
//!   and messages, patch/update semantics, uploads and downloads. Under
//!   [`Profile::OpenCanada`] every dataset write is checked against the Government of
//!   Canada schema by [`crate::vocab::validate_dataset`].
//! - There is one user: whoever sends `Authorization: <token>` exactly (no `Bearer`) is
//!   a sysadmin; anyone else is anonymous, as with a bad token on CKAN (writes 403).
//! - State lives under the state directory (`state.json`, `files/`, see `state`) and is
//!   saved after every successful write, so a restarted portal serves the same datasets.
//!   Writes are serialized; a write that fails leaves memory and disk untouched.
//! - Test hooks outside CKAN's API: `GET /_mock/requests` (the request log),
//!   `GET`/`POST /_mock/faults` (fault rules, see [`FaultRule`]). Neither is logged
//!   nor faulted, and neither needs the token: this is a mock, never expose it.
//! - Every response carries `Connection: close`, like CKAN's development server, so
//!   clients cannot come to rely on keep-alive.

mod actions;
mod error;
mod faults;
mod http;
mod page;
mod state;
#[cfg(test)]
mod tests;
mod upload;

use std::{
    future::Future,
    net::{IpAddr, Ipv4Addr},
    path::PathBuf,
    sync::{Arc, Mutex, PoisonError},
};

use serde::{Deserialize, Serialize};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

pub use error::PortalError;
pub use faults::{FaultKind, FaultRule};

use crate::vocab::Profile;

/// An organization the portal knows from the start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// URL name, e.g. `csis-scrs`.
    pub name: String,
    /// Display title; GC titles read "English | French".
    pub title: String,
}

/// How the mock portal behaves.
#[derive(Clone)]
pub struct PortalConfig {
    /// The API token that grants sysadmin rights.
    pub token: String,
    /// Organizations created at start (kept if already in the state).
    pub organizations: Vec<Organization>,
    /// Metadata schema datasets are checked against.
    pub profile: Profile,
    /// Larger uploads get 409 `{"upload": ["File upload too large"]}`. Default: 100 MiB.
    pub max_upload_bytes: u64,
    /// Fault rules active from the start. Default: none.
    pub faults: Vec<FaultRule>,
    /// Behave as the Government of Canada Registry does (ckanext-canada): `private` is
    /// forced to true on every create and edit, and `date_published` comes back as
    /// `YYYY-MM-DD 00:00:00`. Default: false.
    pub registry: bool,
    /// Dataset fields that are silently dropped on every write although the schema
    /// lists them, as a misconfigured plugin would: what ogpipe's convergence check is
    /// for. Default: none.
    pub drop_fields: Vec<String>,
}

impl std::fmt::Debug for PortalConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalConfig")
            .field("token", &"<redacted>")
            .field("organizations", &self.organizations)
            .field("profile", &self.profile)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("faults", &self.faults)
            .field("registry", &self.registry)
            .field("drop_fields", &self.drop_fields)
            .finish()
    }
}

impl PortalConfig {
    /// A portal with the organization `csis-scrs`, a 100 MiB upload limit and no faults.
    pub fn new(token: impl Into<String>, profile: Profile) -> Self {
        PortalConfig {
            token: token.into(),
            organizations: vec![Organization {
                name: "csis-scrs".to_owned(),
                title: "Canadian Security Intelligence Service | Service canadien du renseignement de sécurité"
                    .to_owned(),
            }],
            profile,
            max_upload_bytes: 100 * 1024 * 1024,
            faults: Vec::new(),
            registry: false,
            drop_fields: Vec::new(),
        }
    }
}

/// One request as the portal saw it; never the token or the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedRequest {
    /// The action name, or `download` for file downloads.
    pub action: String,
    pub method: String,
    /// The status answered; 0 when the connection was dropped by a fault rule.
    pub status: u16,
}

/// What every request handler shares.
pub(crate) struct Shared {
    token: String,
    profile: Profile,
    registry: bool,
    drop_fields: Vec<String>,
    max_upload_bytes: u64,
    site_url: String,
    state_dir: PathBuf,
    store: tokio::sync::Mutex<state::Store>,
    faults: Mutex<Vec<FaultRule>>,
    log: Mutex<Vec<LoggedRequest>>,
}

impl Shared {
    fn requests(&self) -> Vec<LoggedRequest> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_faults(&self, rules: Vec<FaultRule>) {
        *self.faults.lock().unwrap_or_else(PoisonError::into_inner) = rules;
    }
}

/// A portal serving in a background task. Dropping it without [`RunningPortal::shutdown`]
/// also stops the server, at the next chance the runtime gets.
pub struct RunningPortal {
    /// Base URL, `http://127.0.0.1:PORT`; also the `site_url` in upload URLs.
    pub url: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), PortalError>>,
}

impl RunningPortal {
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every action request so far, in arrival order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.requests()
    }

    /// Replaces the fault rules, as `POST /_mock/faults` does.
    pub fn set_faults(&self, rules: Vec<FaultRule>) {
        self.shared.set_faults(rules);
    }

    /// Stops accepting connections, lets requests in flight finish, and waits for that.
    /// A server error is logged, since there is nothing left for the caller to do.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let outcome = match (&mut self.task).await {
            Ok(result) => result,
            Err(join) => Err(PortalError::Task(join.to_string())),
        };
        if let Err(error) = outcome {
            tracing::warn!(error = %error, "Mock portal stopped with an error.");
        }
    }
}

/// Loads the state from `state_dir` (creating it) and serves on `listener` in a background
/// task until [`RunningPortal::shutdown`].
///
/// # Errors
/// When the state directory cannot be created or `state.json` cannot be read or parsed,
/// or the listener has no local address.
pub async fn spawn(
    listener: TcpListener,
    state_dir: PathBuf,
    config: PortalConfig,
) -> Result<RunningPortal, PortalError> {
    let shared = prepare(&listener, state_dir, config).await?;
    let (stop, stopped) = oneshot::channel::<()>();
    let app = http::router(shared.clone());
    let task = tokio::spawn(http::run(listener, app, async move {
        let _ = stopped.await;
    }));
    Ok(RunningPortal {
        url: shared.site_url.clone(),
        shared,
        stop: Some(stop),
        task,
    })
}

/// Serves in the foreground until `shutdown` resolves (for `ogpipe portal serve`).
///
/// # Errors
/// As [`spawn`], plus a failing server.
pub async fn serve(
    listener: TcpListener,
    state_dir: PathBuf,
    config: PortalConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), PortalError> {
    let shared = prepare(&listener, state_dir, config).await?;
    tracing::info!(url = %shared.site_url, state_dir = %shared.state_dir.display(), "Mock portal listening.");
    http::run(listener, http::router(shared), shutdown).await
}

async fn prepare(
    listener: &TcpListener,
    state_dir: PathBuf,
    config: PortalConfig,
) -> Result<Arc<Shared>, PortalError> {
    let mut addr = listener
        .local_addr()
        .map_err(|source| PortalError::Bind { source })?;
    if addr.ip().is_unspecified() {
        addr.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    let mut store = state::Store::load(&state_dir, &config.organizations, &http::now()).await?;
    let site_url = format!("http://{addr}");
    store.rebase_upload_urls(&site_url);
    Ok(Arc::new(Shared {
        token: config.token,
        profile: config.profile,
        registry: config.registry,
        drop_fields: config.drop_fields,
        max_upload_bytes: config.max_upload_bytes,
        site_url,
        state_dir,
        store: tokio::sync::Mutex::new(store),
        faults: Mutex::new(config.faults),
        log: Mutex::new(Vec::new()),
    }))
}
