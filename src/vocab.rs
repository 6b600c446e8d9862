//! TEMPORARY interface stub, replaced by the portal work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Profile { Ckan, #[default] OpenCanada }
pub const LICENSES: &[&str] = &["ca-ogl-lgo"];
pub const JURISDICTIONS: &[&str] = &["federal", "provincial", "municipal", "user"];
pub const COLLECTIONS: &[&str] = &["primary"];
pub const LANGUAGES: &[&str] = &["en", "fr", "zxx"];
