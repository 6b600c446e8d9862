//! Dataset manifests: one TOML file per information resource of business value, as the
//! IM team keeps them in the inventory. Parsing refuses unknown keys; [`Manifest::check`]
//! then reports every problem in one go, so a manifest is fixed in one edit.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Text in both official languages.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Bilingual {
    pub en: String,
    pub fr: String,
}

/// Keywords in both official languages.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BilingualList {
    pub en: Vec<String>,
    pub fr: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub inventory: Inventory,
    pub decision: Decision,
    #[serde(default)]
    pub approvals: Vec<Approval>,
    pub release: Release,
    pub metadata: Metadata,
    #[serde(default)]
    pub resources: Vec<ResourceSpec>,
    /// Screen findings released by a named approver.
    #[serde(default)]
    pub waivers: Vec<crate::screen::Waiver>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    /// The inventory reference number: the resource's identity for ever.
    pub reference: String,
    /// The information category the inventory files it under.
    pub category: String,
    pub business_owner: String,
    /// The CKAN dataset name for the `ckan` profile. Default: derived from the reference.
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionStatus {
    Release,
    Withhold,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub status: DecisionStatus,
    /// The exemption grounds of a withheld resource, e.g. `ATIA s. 15(1)`.
    #[serde(default)]
    pub grounds: Vec<String>,
    #[serde(default)]
    pub justification: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    BusinessOwner,
    DgIm,
    Imso,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    pub role: Role,
    pub name: String,
    #[serde(with = "toml_date")]
    pub date: NaiveDate,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// 1 is released first.
    pub priority: u32,
    #[serde(with = "toml_date")]
    pub date: NaiveDate,
    /// The release plan's note, for the progress report.
    #[serde(default)]
    pub plan: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    pub title: Bilingual,
    pub description: Bilingual,
    pub keywords: BilingualList,
    pub subject: Vec<String>,
    pub frequency: String,
    #[serde(default)]
    pub license_id: Option<String>,
    #[serde(default)]
    pub jurisdiction: Option<String>,
    #[serde(default)]
    pub maintainer_email: Option<String>,
}

/// What ogpipe writes for a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    Csv,
    Json,
    Ndjson,
}

impl OutputFormat {
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Csv => "csv",
            OutputFormat::Json => "json",
            OutputFormat::Ndjson => "ndjson",
        }
    }
}

fn default_outputs() -> Vec<OutputFormat> {
    vec![OutputFormat::Csv, OutputFormat::Json]
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceSpec {
    /// Stable within the dataset: output file names and portal identity derive from it.
    pub key: String,
    /// Relative to the data folder; a path that leaves it is refused.
    pub source: String,
    /// Default: from the source's extension.
    #[serde(default)]
    pub format: Option<crate::read::Format>,
    pub title: Bilingual,
    /// Workbooks: the sheet by name (`"2024"` is the sheet named 2024).
    #[serde(default)]
    pub sheet: Option<String>,
    /// Workbooks: the sheet by 0-based position, hidden sheets counted; not with `sheet`.
    #[serde(default)]
    pub sheet_index: Option<usize>,
    #[serde(default)]
    pub header_row: Option<u32>,
    #[serde(default)]
    pub range: Option<String>,
    #[serde(default)]
    pub record_path: Option<String>,
    /// XML field mapping: column name → path inside the record, in column order.
    #[serde(default)]
    pub fields: indexmap::IndexMap<String, String>,
    #[serde(default)]
    pub namespaces: BTreeMap<String, String>,
    /// Spreadsheet error cells (`#N/A`): `report` (default: the validator holds the
    /// resource and names each cell), `empty` or `text`.
    #[serde(default)]
    pub error_cells: crate::read::ErrorCellPolicy,
    #[serde(default = "default_outputs")]
    pub outputs: Vec<OutputFormat>,
    /// A Table Schema (JSON), relative to the manifest's folder.
    #[serde(default)]
    pub schema: Option<String>,
    /// Default: `dataset`.
    #[serde(default)]
    pub resource_type: Option<String>,
}

impl Manifest {
    /// Parses a manifest's text.
    ///
    /// # Errors
    /// The text is not TOML or has keys a manifest does not have.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().replace('\n', "\n  "))
    }

    /// The IMSO's approval, if recorded.
    pub fn imso_approval(&self) -> Option<&Approval> {
        self.approvals.iter().find(|a| a.role == Role::Imso)
    }

    /// Every problem of meaning, each as `key.path: what`.
    pub fn check(&self, data_dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        if self.inventory.reference.trim().is_empty() {
            out.push("inventory.reference: must not be empty".to_string());
        }
        if self.decision.status == DecisionStatus::Withhold {
            if self.decision.grounds.is_empty() {
                out.push("decision.grounds: a withheld resource must name its exemption grounds (e.g. \"ATIA s. 15(1)\")".into());
            }
            if self.decision.justification.trim().is_empty() {
                out.push(
                    "decision.justification: a withheld resource must give a justification".into(),
                );
            }
        }
        for (field, b) in [
            ("metadata.title", &self.metadata.title),
            ("metadata.description", &self.metadata.description),
        ] {
            if b.en.trim().is_empty() {
                out.push(format!("{field}.en: must not be empty"));
            }
            if b.fr.trim().is_empty() {
                out.push(format!("{field}.fr: must not be empty"));
            }
        }
        if self.decision.status == DecisionStatus::Release && self.resources.is_empty() {
            out.push("resources: a resource to release must list at least one file".into());
        }
        let mut keys = std::collections::BTreeSet::new();
        for (i, r) in self.resources.iter().enumerate() {
            let at = format!("resources[{i}]");
            if !valid_key(&r.key) {
                out.push(format!(
                    "{at}.key: \"{}\" must be 1 to 60 lowercase letters, digits, '-' or '_'",
                    r.key
                ));
            }
            if !keys.insert(r.key.as_str()) {
                out.push(format!("{at}.key: \"{}\" is used twice", r.key));
            }
            if let Err(e) = resolve_source(data_dir, &r.source) {
                out.push(format!("{at}.source: {e}"));
            }
            if r.outputs.is_empty() {
                out.push(format!(
                    "{at}.outputs: must list at least one of csv, json, ndjson"
                ));
            }
            if r.format
                .or_else(|| crate::read::Format::from_extension(Path::new(&r.source)))
                .is_none()
            {
                out.push(format!(
                    "{at}.format: cannot tell the format of \"{}\" from its extension; set format to one of csv, xlsx, xlsm, xlsb, xls, ods, xml",
                    r.source
                ));
            }
        }
        out
    }
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 60
        && k.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Resolves a manifest's source path inside the data folder.
///
/// Refuses absolute paths, `..` and anything that, once links are followed, lands
/// outside the folder: a manifest must not be able to publish `/etc/passwd`.
///
/// # Errors
/// A message saying why the path is refused or cannot be found.
pub fn resolve_source(data_dir: &Path, source: &str) -> Result<PathBuf, String> {
    let rel = Path::new(source);
    if source.trim().is_empty() {
        return Err("must name a file in the data folder".into());
    }
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(format!(
            "\"{source}\" leaves the data folder {}; give a path inside it, without `..` or a leading `/`",
            data_dir.display()
        ));
    }
    let joined = data_dir.join(rel);
    let real = joined.canonicalize().map_err(|e| {
        format!(
            "\"{source}\" cannot be opened in the data folder {}: {e}",
            data_dir.display()
        )
    })?;
    let root = data_dir.canonicalize().map_err(|e| {
        format!(
            "the data folder {} cannot be opened: {e}",
            data_dir.display()
        )
    })?;
    if !real.starts_with(&root) {
        return Err(format!(
            "\"{source}\" is a link that leads out of the data folder {}; copy the file in instead",
            data_dir.display()
        ));
    }
    if !real.is_file() {
        return Err(format!("\"{source}\" is not a file"));
    }
    Ok(real)
}

/// TOML dates (`2026-06-30`, unquoted) to and from `NaiveDate`.
mod toml_date {
    use chrono::NaiveDate;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let dt = toml::value::Datetime::deserialize(d)?;
        match (dt.date, dt.time) {
            (Some(date), None) => NaiveDate::from_ymd_opt(
                i32::from(date.year),
                u32::from(date.month),
                u32::from(date.day),
            )
            .ok_or_else(|| D::Error::custom(format!("{dt} is not a calendar date"))),
            _ => Err(D::Error::custom(format!(
                "{dt} is not a plain date; write it as YYYY-MM-DD, unquoted"
            ))),
        }
    }

    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.format("%Y-%m-%d").to_string())
    }
}

#[cfg(test)]
#[path = "manifest_schema_tests.rs"]
mod schema_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_paths_cannot_leave_the_data_folder() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::write(data.join("ok.csv"), "a\n1\n").unwrap();
        std::fs::write(dir.path().join("secret.csv"), "a\n1\n").unwrap();
        assert!(resolve_source(&data, "ok.csv").is_ok());
        assert!(resolve_source(&data, "../secret.csv")
            .unwrap_err()
            .contains("leaves the data folder"));
        assert!(resolve_source(&data, "/etc/passwd")
            .unwrap_err()
            .contains("leaves the data folder"));
        assert!(resolve_source(&data, "missing.csv")
            .unwrap_err()
            .contains("cannot be opened"));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret.csv"), data.join("link.csv"))
                .unwrap();
            assert!(resolve_source(&data, "link.csv")
                .unwrap_err()
                .contains("leads out"));
        }
    }
}
