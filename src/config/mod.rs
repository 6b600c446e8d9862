//! `pipeline.toml`, loaded in two phases: serde refuses unknown keys ([`raw`]), then
//! [`Pipeline::from_raw`] checks meaning and reports every problem at once, each naming
//! the file and the key path (`pipeline.toml: portal.url: ...`).
//!
//! Portal settings can be overridden from the environment (`OGPIPE_PORTAL_URL`,
//! `OGPIPE_PORTAL_ORGANIZATION`, ...), as operators expect of a service they deploy. The
//! environment is passed in as a map, so loading stays testable without touching the
//! process's own.

pub mod raw;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::SecretString;

use crate::vocab::{self, Profile};
use raw::RawPipeline;

/// The variable that names a token directly, whatever `portal.token_env` says.
pub const TOKEN_ENV_DEFAULT: &str = "OGPIPE_PORTAL_TOKEN";

/// Could not load the configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error(
        "{file}: cannot read the configuration: {source}; pass another file with --config PATH"
    )]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    Parse { file: PathBuf, message: String },
    #[error("{}", Problems(.problems))]
    Invalid { problems: Vec<String> },
}

struct Problems<'a>(&'a [String]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "{n} configuration problem{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for p in self.0 {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

/// Where the portal is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortalTarget {
    /// ogpipe's own mock portal, started in-process on a loopback port.
    Embedded,
    /// A CKAN site's base URL, without a trailing slash.
    Url(String),
}

/// How ogpipe reaches and authenticates to the portal.
#[derive(Debug, Clone)]
pub struct PortalSettings {
    pub target: PortalTarget,
    pub organization: String,
    pub profile: Profile,
    /// `None` when neither the variable nor the file holds one: reads still work, writes
    /// will be refused by the portal.
    pub token: Option<SecretString>,
    /// Where the token came from, for messages (never the token itself).
    pub token_source: String,
    pub timeout_secs: u64,
    pub connect_timeout_secs: u64,
    pub concurrency: usize,
    pub retry_max_attempts: u32,
    pub retry_max_backoff_secs: u64,
    pub max_upload_mb: u64,
    pub retract: raw::Retract,
}

/// Folders, absolute.
#[derive(Debug, Clone)]
pub struct Paths {
    pub datasets: PathBuf,
    pub data: PathBuf,
    pub output: PathBuf,
    pub journal: PathBuf,
}

/// Values a manifest may leave out.
#[derive(Debug, Clone)]
pub struct Defaults {
    pub license_id: String,
    pub jurisdiction: String,
    pub languages: Vec<String>,
    pub restrictions: String,
    pub collection: String,
    pub maintainer_email: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Schedule {
    pub cron: String,
    pub timezone: String,
}

/// A checked configuration.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub file: PathBuf,
    pub portal: PortalSettings,
    pub paths: Paths,
    pub defaults: Defaults,
    pub schedule: Option<Schedule>,
    pub screen: crate::screen::ScreenConfig,
    pub limits: crate::read::Limits,
    pub max_violations: usize,
    /// `[department] name`, English and French.
    pub department: Option<crate::plan::manifest::Bilingual>,
}

impl Pipeline {
    /// Reads `file`, with portal settings overridden from `env`.
    ///
    /// # Errors
    /// A file that cannot be read, does not parse, has unknown keys or values that make
    /// no sense; [`ConfigError::Invalid`] lists every problem found.
    pub fn load(file: &Path, env: &BTreeMap<String, String>) -> Result<Pipeline, ConfigError> {
        let text = std::fs::read_to_string(file).map_err(|source| ConfigError::Read {
            file: file.to_path_buf(),
            source,
        })?;
        let raw: RawPipeline = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            file: file.to_path_buf(),
            message: toml_message(&e),
        })?;
        let root = file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let root = if root.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            root
        };
        Pipeline::from_raw(raw, file, &root, env)
    }

    /// Checks a parsed file; relative paths are taken from `root`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] with every problem, each as `FILE: KEY.PATH: what`.
    pub fn from_raw(
        mut raw: RawPipeline,
        file: &Path,
        root: &Path,
        env: &BTreeMap<String, String>,
    ) -> Result<Pipeline, ConfigError> {
        let name = file.display().to_string();
        let mut problems = Vec::new();
        let mut problem = |key: &str, msg: String| problems.push(format!("{name}: {key}: {msg}"));

        apply_env(&mut raw.portal, env, &mut problem);

        let p = &raw.portal;
        let target = if p.url == "embedded" {
            PortalTarget::Embedded
        } else if p.url.starts_with("https://") || p.url.starts_with("http://") {
            PortalTarget::Url(p.url.trim_end_matches('/').to_string())
        } else {
            problem(
                "portal.url",
                format!(
                    "\"{}\" is neither `embedded` nor an http(s) URL; write the CKAN site's base URL, e.g. https://registry.open.canada.ca",
                    p.url
                ),
            );
            PortalTarget::Embedded
        };
        if p.organization.trim().is_empty() {
            problem(
                "portal.organization",
                "must name the organization that owns the datasets".into(),
            );
        }
        if p.timeout_secs == 0 {
            problem("portal.timeout_secs", "must be at least 1".into());
        }
        if p.concurrency == 0 || p.concurrency > 64 {
            problem(
                "portal.concurrency",
                format!("{} is out of range; use 1 to 64", p.concurrency),
            );
        }
        if p.max_upload_mb == 0 {
            problem(
                "portal.max_upload_mb",
                "must be at least 1 (CKAN's default is 10)".into(),
            );
        }
        if p.retry_max_attempts == 0 {
            problem(
                "portal.retry_max_attempts",
                "must be at least 1 (the first attempt counts)".into(),
            );
        }
        let (token, token_source) = find_token(p, root, env, &mut problem);

        let resolve = |s: &str| {
            let path = Path::new(s);
            if path.is_absolute() {
                path.to_path_buf()
            } else {
                root.join(path)
            }
        };
        let datasets = resolve(&raw.paths.datasets);
        if !datasets.is_dir() {
            problem(
                "paths.datasets",
                format!(
                    "{} is not a folder; create it or point to the folder of dataset manifests",
                    datasets.display()
                ),
            );
        }
        let data = resolve(&raw.paths.data);
        if !data.is_dir() {
            problem(
                "paths.data",
                format!(
                    "{} is not a folder; point it to the folder that holds the source files",
                    data.display()
                ),
            );
        }
        let output = resolve(&raw.paths.output);
        let journal = raw
            .paths
            .journal
            .as_deref()
            .map(resolve)
            .unwrap_or_else(|| output.join("journal.sqlite"));

        let d = &raw.defaults;
        check_choice(
            &mut problem,
            "defaults.license_id",
            &d.license_id,
            vocab::LICENSES,
            p.profile,
        );
        check_choice(
            &mut problem,
            "defaults.jurisdiction",
            &d.jurisdiction,
            vocab::JURISDICTIONS,
            p.profile,
        );
        check_choice(
            &mut problem,
            "defaults.collection",
            &d.collection,
            vocab::COLLECTIONS,
            p.profile,
        );
        for (i, lang) in d.languages.iter().enumerate() {
            check_choice(
                &mut problem,
                &format!("defaults.languages[{i}]"),
                lang,
                vocab::LANGUAGES,
                p.profile,
            );
        }

        let schedule = raw.schedule.as_ref().map(|s| Schedule {
            cron: s.cron.clone(),
            timezone: s.timezone.clone(),
        });
        if let Some(s) = &raw.schedule {
            if let Err(msg) = crate::schedule::check(&s.cron, &s.timezone) {
                problem("schedule", msg);
            }
        }
        if let Some(dep) = &raw.department {
            for (key, name) in [("en", &dep.name.en), ("fr", &dep.name.fr)] {
                if name.trim().is_empty() {
                    problem(
                        &format!("department.name.{key}"),
                        "must not be empty; the reports open with it".into(),
                    );
                }
            }
        }
        if raw.validation.max_violations == 0 {
            problem("validation.max_violations", "must be at least 1".into());
        }
        if let Err(e) = crate::screen::Screen::new(&raw.screen) {
            problem("screen", e.to_string());
        }

        if !problems.is_empty() {
            return Err(ConfigError::Invalid { problems });
        }
        let RawPipeline {
            portal: p,
            defaults: d,
            ..
        } = raw;
        Ok(Pipeline {
            file: file.to_path_buf(),
            portal: PortalSettings {
                target,
                organization: p.organization,
                profile: p.profile,
                token,
                token_source,
                timeout_secs: p.timeout_secs,
                connect_timeout_secs: p.connect_timeout_secs,
                concurrency: p.concurrency,
                retry_max_attempts: p.retry_max_attempts,
                retry_max_backoff_secs: p.retry_max_backoff_secs,
                max_upload_mb: p.max_upload_mb,
                retract: p.retract,
            },
            paths: Paths {
                datasets,
                data,
                output,
                journal,
            },
            defaults: Defaults {
                license_id: d.license_id,
                jurisdiction: d.jurisdiction,
                languages: d.languages,
                restrictions: d.restrictions,
                collection: d.collection,
                maintainer_email: d.maintainer_email,
            },
            schedule,
            screen: raw.screen,
            limits: raw.limits,
            max_violations: raw.validation.max_violations,
            department: raw.department.map(|d| d.name),
        })
    }
}

/// toml's messages carry the line, column and a caret; keep them, on one indented block.
fn toml_message(e: &toml::de::Error) -> String {
    let mut msg = e.message().to_string();
    if let Some(span) = e.span() {
        msg = format!("{msg} (at byte {})", span.start);
    }
    let full = e.to_string();
    if full.contains("line") {
        // The full rendering names the line and shows the offending text.
        full.trim_end().replace('\n', "\n  ")
    } else {
        msg
    }
}

fn check_choice(
    problem: &mut impl FnMut(&str, String),
    key: &str,
    value: &str,
    choices: &[&str],
    profile: Profile,
) {
    // Core CKAN accepts any value here; only the Government of Canada schema constrains it.
    if profile == Profile::OpenCanada && !choices.contains(&value) {
        problem(
            key,
            format!("\"{value}\" is not one of: {}", choices.join(", ")),
        );
    }
}

/// Every portal key may come from `OGPIPE_PORTAL_<KEY>`.
fn apply_env(
    p: &mut raw::RawPortal,
    env: &BTreeMap<String, String>,
    problem: &mut impl FnMut(&str, String),
) {
    fn num<T: std::str::FromStr>(
        var: &str,
        v: &str,
        slot: &mut T,
        problem: &mut impl FnMut(&str, String),
    ) {
        match v.trim().parse() {
            Ok(n) => *slot = n,
            Err(_) => problem(var, format!("\"{v}\" is not a whole number")),
        }
    }
    for (var, v) in env.iter().filter(|(k, _)| k.starts_with("OGPIPE_PORTAL_")) {
        match var.as_str() {
            "OGPIPE_PORTAL_URL" => p.url = v.clone(),
            "OGPIPE_PORTAL_ORGANIZATION" => p.organization = v.clone(),
            "OGPIPE_PORTAL_TOKEN_ENV" => p.token_env = v.clone(),
            "OGPIPE_PORTAL_TOKEN_FILE" => p.token_file = Some(v.clone()),
            "OGPIPE_PORTAL_PROFILE" => match v.as_str() {
                "ckan" => p.profile = Profile::Ckan,
                "open-canada" => p.profile = Profile::OpenCanada,
                _ => problem(
                    var,
                    format!("\"{v}\" is not a profile; use `ckan` or `open-canada`"),
                ),
            },
            "OGPIPE_PORTAL_TIMEOUT_SECS" => num(var, v, &mut p.timeout_secs, problem),
            "OGPIPE_PORTAL_CONNECT_TIMEOUT_SECS" => {
                num(var, v, &mut p.connect_timeout_secs, problem)
            }
            "OGPIPE_PORTAL_CONCURRENCY" => num(var, v, &mut p.concurrency, problem),
            "OGPIPE_PORTAL_RETRY_MAX_ATTEMPTS" => num(var, v, &mut p.retry_max_attempts, problem),
            "OGPIPE_PORTAL_RETRY_MAX_BACKOFF_SECS" => {
                num(var, v, &mut p.retry_max_backoff_secs, problem)
            }
            "OGPIPE_PORTAL_MAX_UPLOAD_MB" => num(var, v, &mut p.max_upload_mb, problem),
            "OGPIPE_PORTAL_RETRACT" => match v.as_str() {
                "private" => p.retract = raw::Retract::Private,
                "warn" => p.retract = raw::Retract::Warn,
                _ => problem(
                    var,
                    format!("\"{v}\" is not a retraction mode; use `private` or `warn`"),
                ),
            },
            // The token itself is read in find_token; never echo it.
            TOKEN_ENV_DEFAULT => {}
            _ => problem(
                var,
                "is not a portal setting ogpipe knows; check its spelling".into(),
            ),
        }
    }
}

fn find_token(
    p: &raw::RawPortal,
    root: &Path,
    env: &BTreeMap<String, String>,
    problem: &mut impl FnMut(&str, String),
) -> (Option<SecretString>, String) {
    if let Some(t) = env.get(&p.token_env).filter(|t| !t.trim().is_empty()) {
        return (
            Some(SecretString::from(t.trim().to_string())),
            format!("environment variable {}", p.token_env),
        );
    }
    if let Some(f) = &p.token_file {
        let path = root.join(f);
        return match std::fs::read_to_string(&path) {
            Ok(t) if !t.trim().is_empty() => (
                Some(SecretString::from(t.trim().to_string())),
                format!("file {}", path.display()),
            ),
            Ok(_) => {
                problem("portal.token_file", format!("{} is empty", path.display()));
                (None, String::new())
            }
            Err(e) => {
                problem(
                    "portal.token_file",
                    format!("cannot read {}: {e}", path.display()),
                );
                (None, String::new())
            }
        };
    }
    (
        None,
        format!("environment variable {} (unset)", p.token_env),
    )
}

#[cfg(test)]
mod tests;
