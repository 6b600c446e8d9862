//! TEMPORARY interface stub, replaced by the screen stage.
use serde::Deserialize;
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormulaPolicy { #[default] Prefix, Hold, Allow }
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreenConfig { #[serde(default)] pub formula_policy: FormulaPolicy }
#[derive(Debug, Clone, Deserialize)]
pub struct Waiver { pub approver: String }
pub struct Screen;
impl Screen { pub fn new(_c: &ScreenConfig) -> Result<Screen, std::io::Error> { Ok(Screen) } }
pub fn neutralise_formula(text: &str) -> Option<String> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) && text.parse::<f64>().is_err() { Some(format!("'{text}")) } else { None }
}
