//! `pipeline.toml` as written: serde types that refuse unknown keys. Nothing here checks
//! meaning; [`super::Pipeline::from_raw`] does that and collects every problem at once.

use serde::Deserialize;

use crate::vocab::Profile;

/// The file's top level.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPipeline {
    pub portal: RawPortal,
    pub paths: RawPaths,
    #[serde(default)]
    pub defaults: RawDefaults,
    #[serde(default)]
    pub schedule: Option<RawSchedule>,
    #[serde(default)]
    pub screen: crate::screen::ScreenConfig,
    #[serde(default)]
    pub limits: crate::read::Limits,
    #[serde(default)]
    pub validation: RawValidation,
    /// The department's name, for the reports. Default: none (the reports name the
    /// portal organization instead).
    #[serde(default)]
    pub department: Option<RawDepartment>,
}

/// `[department]`: who the reports are from.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDepartment {
    /// `{ en = "...", fr = "..." }`, both required.
    pub name: crate::plan::manifest::Bilingual,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPortal {
    /// `embedded` for the in-process mock portal, or the base URL of a CKAN site.
    pub url: String,
    /// The organization (name or id) that owns the datasets.
    pub organization: String,
    /// Default: `open-canada`.
    #[serde(default)]
    pub profile: Profile,
    /// The environment variable holding the API token. Default: `OGPIPE_PORTAL_TOKEN`.
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// A file holding the API token, read when the variable is unset.
    #[serde(default)]
    pub token_file: Option<String>,
    /// Default: 60.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Default: 10.
    #[serde(default = "default_connect_timeout_secs")]
    pub connect_timeout_secs: u64,
    /// Datasets published at once. Default: 4.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Attempts per request, the first included. Default: 5.
    #[serde(default = "default_retry_max_attempts")]
    pub retry_max_attempts: u32,
    /// Cap of one backoff wait. Default: 30.
    #[serde(default = "default_retry_max_backoff_secs")]
    pub retry_max_backoff_secs: u64,
    /// The portal's upload limit in MB (CKAN's `ckan.max_resource_size`); a file over it
    /// holds its dataset before anything is sent. Default: 10, CKAN's own default.
    #[serde(default = "default_max_upload_mb")]
    pub max_upload_mb: u64,
    /// What a run does with a dataset ogpipe published whose manifest now withholds it
    /// or that left the inventory: `private` takes it off the public portal, `warn` only
    /// reports it. Default: `private`.
    #[serde(default)]
    pub retract: Retract,
}

/// `portal.retract`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Retract {
    #[default]
    Private,
    Warn,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPaths {
    /// The folder of dataset manifests (`*.toml`).
    pub datasets: String,
    /// The folder that source files are resolved in; nothing outside it is read.
    pub data: String,
    /// Packages, staging and the embedded portal's state.
    pub output: String,
    /// The run journal (SQLite). Default: `<output>/journal.sqlite`.
    #[serde(default)]
    pub journal: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDefaults {
    /// Default: `ca-ogl-lgo` (Open Government Licence - Canada).
    #[serde(default = "default_license")]
    pub license_id: String,
    /// Default: `federal`.
    #[serde(default = "default_jurisdiction")]
    pub jurisdiction: String,
    /// Default: `["en", "fr"]`.
    #[serde(default = "default_languages")]
    pub languages: Vec<String>,
    /// Default: `unrestricted`.
    #[serde(default = "default_restrictions")]
    pub restrictions: String,
    /// Default: `primary`.
    #[serde(default = "default_collection")]
    pub collection: String,
    /// The department's public contact address, sent as `maintainer_email`.
    #[serde(default)]
    pub maintainer_email: Option<String>,
}

impl Default for RawDefaults {
    fn default() -> Self {
        RawDefaults {
            license_id: default_license(),
            jurisdiction: default_jurisdiction(),
            languages: default_languages(),
            restrictions: default_restrictions(),
            collection: default_collection(),
            maintainer_email: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchedule {
    /// A cron expression with seconds: `sec min hour day-of-month month day-of-week`.
    pub cron: String,
    /// An IANA time zone. Default: `America/Toronto`.
    #[serde(default = "default_timezone")]
    pub timezone: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawValidation {
    /// Violations kept per table before the report says "truncated". Default: 1000.
    #[serde(default = "default_max_violations")]
    pub max_violations: usize,
}

impl Default for RawValidation {
    fn default() -> Self {
        RawValidation {
            max_violations: default_max_violations(),
        }
    }
}

fn default_token_env() -> String {
    "OGPIPE_PORTAL_TOKEN".into()
}
fn default_timeout_secs() -> u64 {
    60
}
fn default_connect_timeout_secs() -> u64 {
    10
}
fn default_concurrency() -> usize {
    4
}
fn default_retry_max_attempts() -> u32 {
    5
}
fn default_retry_max_backoff_secs() -> u64 {
    30
}
fn default_max_upload_mb() -> u64 {
    10
}
fn default_license() -> String {
    "ca-ogl-lgo".into()
}
fn default_jurisdiction() -> String {
    "federal".into()
}
fn default_languages() -> Vec<String> {
    vec!["en".into(), "fr".into()]
}
fn default_restrictions() -> String {
    "unrestricted".into()
}
fn default_collection() -> String {
    "primary".into()
}
fn default_timezone() -> String {
    "America/Toronto".into()
}
fn default_max_violations() -> usize {
    1000
}
