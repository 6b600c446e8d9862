//! `ogpipe verify`: a package against its own records, or the portal against a package.

use std::io::{self, Write};

use super::{print_json, Exit};
use crate::cli::VerifyArgs;
use crate::config::Pipeline;

pub fn verify(a: &VerifyArgs) -> anyhow::Result<Exit> {
    let v = crate::package::verify::verify_dir(std::path::Path::new(&a.target))
        .map_err(anyhow::Error::msg)?;
    if a.json {
        print_json(&v)?;
    } else {
        let mut out = io::stdout().lock();
        for p in &v.problems {
            writeln!(out, "{}: {}", p.file, p.detail)?;
        }
        writeln!(
            out,
            "{}: {} files, {} bytes checked, {}",
            a.target,
            v.files_checked,
            v.bytes_hashed,
            if v.is_ok() {
                "all match".to_string()
            } else {
                format!("{} problem(s)", v.problems.len())
            }
        )?;
    }
    Ok(if v.is_ok() { Exit::Ok } else { Exit::Held })
}

/// `ogpipe verify --portal REFERENCE`.
///
/// # Errors
/// Not written yet.
pub fn verify_portal(_pipeline: &Pipeline, a: &VerifyArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("verify --portal {}: not implemented yet", a.target)
}
