//! TEMPORARY interface stub, replaced by the read stage.
use serde::Deserialize;
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format { Csv, Xlsx, Xlsm, Xlsb, Xls, Ods, Xml }
impl Format {
    pub fn from_extension(p: &std::path::Path) -> Option<Format> {
        match p.extension()?.to_str()?.to_ascii_lowercase().as_str() { "csv" => Some(Format::Csv), "xlsx" => Some(Format::Xlsx), "ods" => Some(Format::Ods), "xml" => Some(Format::Xml), "xls" => Some(Format::Xls), _ => None }
    }
}
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Limits { pub max_input_bytes: u64 }
