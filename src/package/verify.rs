//! `ogpipe verify PACKAGE`: re-hashes every file of a package and checks it against
//! `SHA256SUMS` and against the hashes and sizes `datapackage.json` declares.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use serde::Serialize;

use crate::checksum::{hash_reader, Sha256Digest};

/// One disagreement between a package's files and its records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub file: String,
    pub detail: String,
}

/// What verification found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verification {
    pub files_checked: usize,
    pub bytes_hashed: u64,
    pub problems: Vec<Problem>,
}

impl Verification {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Parses `SHA256SUMS` (`<hex>  <name>` or `<hex> *<name>` per line).
pub fn parse_sums(text: &str) -> Result<Vec<(String, Sha256Digest)>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            let (hex, name) = line
                .split_once(' ')
                .ok_or_else(|| format!("line {}: expected `<sha256>  <file>`", i + 1))?;
            let name = name.trim_start_matches([' ', '*']);
            let digest = Sha256Digest::parse(hex)
                .ok_or_else(|| format!("line {}: \"{hex}\" is not a SHA-256", i + 1))?;
            Ok((name.to_string(), digest))
        })
        .collect()
}

/// Verifies the package in `dir`.
///
/// # Errors
/// `SHA256SUMS` is missing or unreadable: there is nothing to verify against.
pub fn verify_dir(dir: &Path) -> Result<Verification, String> {
    let sums_path = dir.join("SHA256SUMS");
    let text = std::fs::read_to_string(&sums_path)
        .map_err(|e| format!("{}: cannot read: {e}", sums_path.display()))?;
    let sums = parse_sums(&text).map_err(|e| format!("{}: {e}", sums_path.display()))?;
    let mut v = Verification::default();
    let mut actual = std::collections::BTreeMap::new();
    for (name, expected) in &sums {
        if name.contains('/') || name.contains("..") {
            v.problems.push(Problem {
                file: name.clone(),
                detail: "names a file outside the package".into(),
            });
            continue;
        }
        let path = dir.join(name);
        match File::open(&path).and_then(|f| hash_reader(BufReader::with_capacity(1 << 20, f))) {
            Ok((digest, bytes)) => {
                v.files_checked += 1;
                v.bytes_hashed += bytes;
                actual.insert(name.clone(), (digest, bytes));
                if digest != *expected {
                    v.problems.push(Problem {
                        file: name.clone(),
                        detail: format!("SHA-256 is {digest}, SHA256SUMS says {expected}"),
                    });
                }
            }
            Err(e) => v.problems.push(Problem {
                file: name.clone(),
                detail: format!("cannot read: {e}"),
            }),
        }
    }
    check_datapackage(dir, &actual, &mut v);
    Ok(v)
}

fn check_datapackage(
    dir: &Path,
    actual: &std::collections::BTreeMap<String, (Sha256Digest, u64)>,
    v: &mut Verification,
) {
    let Ok(text) = std::fs::read_to_string(dir.join("datapackage.json")) else {
        return;
    };
    let Ok(dp) = serde_json::from_str::<serde_json::Value>(&text) else {
        v.problems.push(Problem {
            file: "datapackage.json".into(),
            detail: "is not valid JSON".into(),
        });
        return;
    };
    for r in dp["resources"].as_array().into_iter().flatten() {
        let Some(path) = r["path"].as_str() else {
            continue;
        };
        let Some((digest, bytes)) = actual.get(path) else {
            v.problems.push(Problem {
                file: path.into(),
                detail: "is in datapackage.json but not in SHA256SUMS".into(),
            });
            continue;
        };
        if r["hash"].as_str().and_then(Sha256Digest::parse) != Some(*digest) {
            v.problems.push(Problem {
                file: path.into(),
                detail: format!(
                    "datapackage.json hash {} differs from the file's",
                    r["hash"]
                ),
            });
        }
        if r["bytes"].as_u64() != Some(*bytes) {
            v.problems.push(Problem {
                file: path.into(),
                detail: format!(
                    "datapackage.json says {} bytes, the file has {bytes}",
                    r["bytes"]
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_byte_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.csv"), b"x\n1\n").unwrap();
        let sums = crate::package::descriptor::sha256sums(&[(
            "a.csv".into(),
            Sha256Digest::of(b"x\n1\n"),
        )]);
        std::fs::write(dir.path().join("SHA256SUMS"), sums).unwrap();
        assert!(verify_dir(dir.path()).unwrap().is_ok());
        std::fs::write(dir.path().join("a.csv"), b"x\n2\n").unwrap();
        let v = verify_dir(dir.path()).unwrap();
        assert_eq!(v.problems.len(), 1);
        assert_eq!(v.problems[0].file, "a.csv");
    }
}
