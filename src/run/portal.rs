//! The portal a run talks to: a real CKAN site, or ogpipe's embedded mock portal started
//! in-process on a loopback port with its state under the output folder, so a newcomer
//! sees a complete publication run without an account anywhere.

use std::time::Duration;

use secrecy::SecretString;

use crate::config::{Pipeline, PortalTarget};
use crate::portal::{self, PortalConfig, RunningPortal};
use crate::publish::{probe, request, retry::RetryPolicy, Client, PublishError};

/// Could not reach or start the portal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PortalConnectError {
    #[error("embedded portal: {0}")]
    Embedded(#[from] portal::PortalError),
    #[error("embedded portal: cannot bind a loopback port: {0}")]
    Bind(std::io::Error),
    #[error(transparent)]
    Client(#[from] PublishError),
}

/// The portal is not what this run needs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeError {
    /// The portal could not be asked: a retry may help.
    #[error("portal probe: {0}")]
    Unreachable(#[source] PublishError),
    /// The portal answered, and what it said rules the run out: a configuration error.
    #[error("the portal cannot take this release; nothing was built or sent. Fix these and run again ({}):\n  {}", .0.len(), .0.join("\n  "))]
    Problems(Vec<String>),
}

/// A connected portal.
pub struct Portal {
    client: Client,
    embedded: Option<RunningPortal>,
    describe: String,
}

/// Where the embedded portal keeps its datasets and files.
pub fn embedded_state_dir(pipeline: &Pipeline) -> std::path::PathBuf {
    pipeline.paths.output.join("portal")
}

impl Portal {
    /// Connects to the configured portal, starting the embedded one if asked.
    ///
    /// # Errors
    /// The embedded portal cannot start, or the HTTP client cannot be built.
    pub async fn connect(pipeline: &Pipeline) -> Result<Portal, PortalConnectError> {
        let p = &pipeline.portal;
        let policy = RetryPolicy {
            max_attempts: p.retry_max_attempts,
            cap: Duration::from_secs(p.retry_max_backoff_secs),
            ..RetryPolicy::default()
        };
        let (url, token, source, embedded) = match &p.target {
            PortalTarget::Url(url) => (url.clone(), p.token.clone(), p.token_source.clone(), None),
            PortalTarget::Embedded => {
                // A fresh random token each start: the embedded portal is for this process.
                let token = uuid::Uuid::new_v4().to_string();
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
                    .await
                    .map_err(PortalConnectError::Bind)?;
                let mut config = PortalConfig::new(token.clone(), p.profile);
                config.max_upload_bytes = p.max_upload_mb << 20;
                if !config
                    .organizations
                    .iter()
                    .any(|o| o.name == p.organization)
                {
                    config.organizations.push(portal::Organization {
                        name: p.organization.clone(),
                        title: p.organization.clone(),
                    });
                }
                let running = portal::spawn(listener, embedded_state_dir(pipeline), config).await?;
                (
                    running.url().to_string(),
                    Some(SecretString::from(token)),
                    "the embedded portal".to_string(),
                    Some(running),
                )
            }
        };
        let client = Client::new(
            &url,
            token,
            &source,
            &p.organization,
            Duration::from_secs(p.timeout_secs),
            Duration::from_secs(p.connect_timeout_secs),
            policy,
        )?
        .with_max_upload_mb(p.max_upload_mb);
        let describe = match &embedded {
            Some(_) => format!("embedded portal at {url}"),
            None => url,
        };
        Ok(Portal {
            client,
            embedded,
            describe,
        })
    }

    /// Whether this is ogpipe's own mock portal, not a real one.
    pub fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }

    /// Asks the portal what it is (version, extensions, the token's rights, the
    /// organization, licences, its dataset schema) and checks every dataset of this run
    /// against it, before anything is built.
    ///
    /// # Errors
    /// [`ProbeError::Unreachable`] when the portal cannot be asked;
    /// [`ProbeError::Problems`] with every problem at once otherwise.
    pub async fn probe(
        &self,
        pipeline: &Pipeline,
        approved: &[crate::plan::Approved],
        writes: bool,
    ) -> Result<probe::Facts, ProbeError> {
        let p = &pipeline.portal;
        let facts = probe::fetch(&self.client, &p.organization)
            .await
            .map_err(ProbeError::Unreachable)?;
        let datasets = approved
            .iter()
            .map(|a| {
                let mut fields =
                    request::dataset_fields(p.profile, a, &pipeline.defaults, &p.organization);
                fields.extend(request::visibility(p.profile, false));
                let resources = ["CSV", "JSON"]
                    .iter()
                    .map(|format| {
                        request::profile_resource_fields(
                            p.profile,
                            &pipeline.defaults.languages,
                            format,
                            String::new(),
                            String::new(),
                        )
                    })
                    .collect();
                (a.reference().to_string(), fields, resources)
            })
            .collect();
        let intended = probe::Intended {
            profile: p.profile,
            organization: p.organization.clone(),
            token_present: self.embedded.is_some() || p.token.is_some(),
            token_source: p.token_source.clone(),
            writes,
            datasets,
        };
        let problems = probe::check(&facts, &intended);
        if problems.is_empty() {
            Ok(facts)
        } else {
            Err(ProbeError::Problems(problems))
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn describe(&self) -> String {
        self.describe.clone()
    }

    /// Stops the embedded portal, if any, letting requests in flight finish.
    pub async fn close(self) {
        if let Some(p) = self.embedded {
            p.shutdown().await;
        }
    }
}
