//! BagIt 1.0 bags (RFC 8493) of a package, for transfer to an archive.
//!
//! A bag is `bagit.txt`, the payload under `data/`, `manifest-sha256.txt` (one
//! `<hex>  data/<path>` line per payload file), `bag-info.txt` and
//! `tagmanifest-sha256.txt` (the digests of the three tag files).
//!
//! # Contract
//! - Each payload file is hashed while it is copied: one read of the package.
//! - When the caller passes the digests the package records (`SHA256SUMS`), each copy is
//!   checked against them, so a bag is never made of a package that does not match its
//!   own records.
//! - The bag is written into a hidden temporary folder beside `out`, synced, and renamed
//!   to `out` only when complete: `out` is a whole bag or does not exist. An existing
//!   `out` is never touched.
//! - File paths in manifests are percent-encoded as §2.1.3 asks: `%` as `%25`, CR as
//!   `%0D`, LF as `%0A`. Nothing else is encoded (a space stays a space), since
//!   validators decode only those three.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::checksum::Sha256Digest;

const BAGIT_TXT: &str = "bagit.txt";
const BAG_INFO: &str = "bag-info.txt";
const MANIFEST: &str = "manifest-sha256.txt";
const TAGMANIFEST: &str = "tagmanifest-sha256.txt";
const PAYLOAD: &str = "data";
const COPY_BLOCK: usize = 1 << 20;

/// The descriptive part of `bag-info.txt`; the payload figures are computed.
#[derive(Debug, Clone)]
pub struct BagInfo {
    /// `Source-Organization`: the portal organization that publishes the dataset.
    pub source_organization: Option<String>,
    /// `External-Identifier`: the inventory reference.
    pub external_identifier: String,
    /// `External-Description`: the dataset's English title.
    pub external_description: String,
    /// `Internal-Sender-Identifier`: the dataset's portal UUID.
    pub internal_sender_identifier: Option<String>,
    /// `Bagging-Date`.
    pub bagging_date: chrono::NaiveDate,
}

/// A bag that was written.
#[derive(Debug, Clone)]
pub struct Bag {
    pub path: PathBuf,
    /// Payload paths (relative to `data/`, `/`-separated) and their digests, sorted.
    pub payload: Vec<(String, Sha256Digest)>,
    pub payload_bytes: u64,
}

impl Bag {
    /// `Payload-Oxum`: `<octets>.<file count>`.
    pub fn oxum(&self) -> String {
        format!("{}.{}", self.payload_bytes, self.payload.len())
    }
}

/// Could not make a bag, or the package did not match its records.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BagError {
    #[error("{path} already exists; choose a new folder for the bag")]
    Exists { path: PathBuf },
    #[error("{path}: {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("{path}: not a regular file or folder (a link or device); a package holds only files")]
    NotRegular { path: PathBuf },
    #[error("{file}: the package records SHA-256 {expected}, the file has {actual}; run `ogpipe verify` on the package")]
    Mismatch {
        file: String,
        expected: Sha256Digest,
        actual: Sha256Digest,
    },
    #[error("{file}: recorded in the package but absent")]
    Missing { file: String },
}

fn io_err<'a>(path: &'a Path, action: &'static str) -> impl FnOnce(io::Error) -> BagError + 'a {
    move |source| BagError::Io {
        path: path.to_path_buf(),
        action,
        source,
    }
}

/// Percent-encodes a manifest path as RFC 8493 §2.1.3 asks.
pub fn encode_path(path: &str) -> String {
    path.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Reverses [`encode_path`]. `%25` is decoded last, so `%250A` stays `%0A`.
pub fn decode_path(path: &str) -> String {
    // Decode in one left-to-right pass so that "%250D" is "%0D", not CR.
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let (decoded, len) = if tail.starts_with("%25") {
            ("%", 3)
        } else if tail.starts_with("%0D") || tail.starts_with("%0d") {
            ("\r", 3)
        } else if tail.starts_with("%0A") || tail.starts_with("%0a") {
            ("\n", 3)
        } else {
            ("%", 1)
        };
        out.push_str(decoded);
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

/// A tag value on one line: a line break inside would start a new label.
fn one_line(s: &str) -> String {
    s.split(['\r', '\n'])
        .filter(|p| !p.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Removes the temporary bag unless it was put in place.
struct TempDir(Option<PathBuf>);

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_dir_all(p);
        }
    }
}

/// Every regular file under `root`, as sorted `/`-separated relative paths.
fn payload_files(root: &Path) -> Result<Vec<(String, PathBuf)>, BagError> {
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), root.to_path_buf())];
    while let Some((prefix, dir)) = stack.pop() {
        for entry in fs::read_dir(&dir).map_err(io_err(&dir, "cannot list"))? {
            let entry = entry.map_err(io_err(&dir, "cannot list"))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let ty = entry.file_type().map_err(io_err(&path, "cannot inspect"))?;
            if ty.is_dir() {
                stack.push((rel, path));
            } else if ty.is_file() {
                out.push((rel, path));
            } else {
                return Err(BagError::NotRegular { path });
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Copies `from` to `to`, hashing in the same pass, and syncs the copy.
fn copy_hashing(from: &Path, to: &Path) -> Result<(Sha256Digest, u64), BagError> {
    let mut src = File::open(from).map_err(io_err(from, "cannot open"))?;
    let mut dst = File::create(to).map_err(io_err(to, "cannot create"))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; COPY_BLOCK];
    let mut total = 0u64;
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_err(from, "cannot read")(e)),
        };
        hasher.update(&buf[..n]);
        dst.write_all(&buf[..n])
            .map_err(io_err(to, "cannot write"))?;
        total += n as u64;
    }
    dst.sync_all().map_err(io_err(to, "cannot sync"))?;
    Ok((Sha256Digest(hasher.finalize().into()), total))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<Sha256Digest, BagError> {
    let mut f = File::create(path).map_err(io_err(path, "cannot create"))?;
    f.write_all(bytes).map_err(io_err(path, "cannot write"))?;
    f.sync_all().map_err(io_err(path, "cannot sync"))?;
    Ok(Sha256Digest::of(bytes))
}

fn sync_dir(dir: &Path) {
    // Persists renames and new entries; best effort where folders cannot be opened.
    if let Ok(f) = File::open(dir) {
        let _ = f.sync_all();
    }
}

/// Writes a bag of every file under `package` to `out`.
///
/// `expected` maps payload paths (relative, `/`-separated) to the digests the package
/// records; each must be present and match, or no bag is made.
///
/// # Errors
/// `out` exists, a file cannot be read or written, the package holds something other
/// than files and folders, or a file does not match `expected`. Nothing is left at
/// `out` in any of these cases.
pub fn write_bag(
    package: &Path,
    out: &Path,
    info: &BagInfo,
    expected: &BTreeMap<String, Sha256Digest>,
) -> Result<Bag, BagError> {
    if out.symlink_metadata().is_ok() {
        return Err(BagError::Exists {
            path: out.to_path_buf(),
        });
    }
    let package = fs::canonicalize(package).map_err(io_err(package, "cannot open"))?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io_err(&parent, "cannot create"))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bag".into());
    let tmp_path = parent.join(format!(
        ".{name}.bagit-{}-{:08x}",
        std::process::id(),
        fastrand::u32(..)
    ));
    fs::create_dir(&tmp_path).map_err(io_err(&tmp_path, "cannot create"))?;
    let tmp = TempDir(Some(tmp_path.clone()));

    let data = tmp_path.join(PAYLOAD);
    fs::create_dir(&data).map_err(io_err(&data, "cannot create"))?;
    let mut payload = Vec::new();
    let mut payload_bytes = 0u64;
    for (rel, src) in payload_files(&package)? {
        let dst = data.join(&rel);
        if let Some(p) = dst.parent() {
            fs::create_dir_all(p).map_err(io_err(p, "cannot create"))?;
        }
        let (digest, bytes) = copy_hashing(&src, &dst)?;
        payload_bytes += bytes;
        payload.push((rel, digest));
    }
    let copied: BTreeMap<&str, Sha256Digest> =
        payload.iter().map(|(p, d)| (p.as_str(), *d)).collect();
    for (file, want) in expected {
        match copied.get(file.as_str()) {
            None => return Err(BagError::Missing { file: file.clone() }),
            Some(got) if got != want => {
                return Err(BagError::Mismatch {
                    file: file.clone(),
                    expected: *want,
                    actual: *got,
                })
            }
            Some(_) => {}
        }
    }

    let manifest: String = payload
        .iter()
        .map(|(p, d)| format!("{}  {PAYLOAD}/{}\n", d.hex(), encode_path(p)))
        .collect();
    let bag = Bag {
        path: out.to_path_buf(),
        payload,
        payload_bytes,
    };
    let mut bag_info = String::new();
    if let Some(org) = &info.source_organization {
        bag_info.push_str(&format!("Source-Organization: {}\n", one_line(org)));
    }
    bag_info.push_str(&format!(
        "External-Identifier: {}\n",
        one_line(&info.external_identifier)
    ));
    bag_info.push_str(&format!(
        "External-Description: {}\n",
        one_line(&info.external_description)
    ));
    if let Some(id) = &info.internal_sender_identifier {
        bag_info.push_str(&format!("Internal-Sender-Identifier: {}\n", one_line(id)));
    }
    bag_info.push_str(&format!(
        "Bagging-Date: {}\n",
        info.bagging_date.format("%Y-%m-%d")
    ));
    bag_info.push_str(&format!("Payload-Oxum: {}\n", bag.oxum()));
    bag_info.push_str(concat!(
        "Bag-Software-Agent: ogpipe/",
        env!("CARGO_PKG_VERSION"),
        "\n"
    ));

    let mut tags = Vec::new();
    for (file, text) in [
        (
            BAGIT_TXT,
            "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".to_string(),
        ),
        (BAG_INFO, bag_info),
        (MANIFEST, manifest),
    ] {
        let d = write_synced(&tmp_path.join(file), text.as_bytes())?;
        tags.push(format!("{}  {file}\n", d.hex()));
    }
    write_synced(&tmp_path.join(TAGMANIFEST), tags.concat().as_bytes())?;
    sync_dir(&data);
    sync_dir(&tmp_path);

    // Checked again: `out` may have appeared while the bag was being written.
    if out.symlink_metadata().is_ok() {
        return Err(BagError::Exists {
            path: out.to_path_buf(),
        });
    }
    fs::rename(&tmp_path, out).map_err(io_err(out, "cannot move the bag into place"))?;
    std::mem::forget(tmp);
    sync_dir(&parent);
    Ok(bag)
}

/// What [`validate`] found.
#[derive(Debug, Clone, Default)]
pub struct Validation {
    pub payload_files: usize,
    pub payload_bytes: u64,
    pub problems: Vec<String>,
}

impl Validation {
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

fn read_text(path: &Path, problems: &mut Vec<String>) -> Option<String> {
    match fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) => {
            problems.push(format!("{}: cannot read: {e}", path.display()));
            None
        }
    }
}

/// Parses a `manifest-sha256.txt` or `tagmanifest-sha256.txt`: `<hex><spaces><path>`,
/// paths decoded.
fn parse_manifest(text: &str, file: &str, problems: &mut Vec<String>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match line.split_once([' ', '\t']) {
            Some((hex, path)) => out.push((
                hex.to_ascii_lowercase(),
                decode_path(path.trim_start_matches([' ', '\t'])),
            )),
            None => problems.push(format!(
                "{file}: line {}: expected `<sha256>  <path>`",
                i + 1
            )),
        }
    }
    out
}

/// Checks a bag as a validator does: `bagit.txt`, every manifest and tag manifest entry
/// re-hashed, every payload file listed, and `Payload-Oxum`.
///
/// # Errors
/// None: every problem found is in the result.
pub fn validate(bag: &Path) -> Validation {
    let mut v = Validation::default();
    let p = &mut v.problems;
    if let Some(t) = read_text(&bag.join(BAGIT_TXT), p) {
        if !t.lines().any(|l| l.trim() == "BagIt-Version: 1.0") {
            p.push(format!("{BAGIT_TXT}: no `BagIt-Version: 1.0` line"));
        }
        if !t
            .lines()
            .any(|l| l.trim() == "Tag-File-Character-Encoding: UTF-8")
        {
            p.push(format!(
                "{BAGIT_TXT}: no `Tag-File-Character-Encoding: UTF-8` line"
            ));
        }
    }
    let mut listed = std::collections::BTreeSet::new();
    if let Some(t) = read_text(&bag.join(MANIFEST), p) {
        for (hex, path) in parse_manifest(&t, MANIFEST, p) {
            let Some(rel) = path.strip_prefix("data/") else {
                p.push(format!("{MANIFEST}: {path} is not under data/"));
                continue;
            };
            if rel.split('/').any(|c| c == ".." || c.is_empty()) {
                p.push(format!("{MANIFEST}: {path} leaves the payload"));
                continue;
            }
            match crate::package::verify::hash_file(&bag.join(&path)) {
                Ok((d, bytes)) => {
                    v.payload_bytes += bytes;
                    if d.hex() != hex {
                        p.push(format!("{path}: SHA-256 is {d}, the manifest says {hex}"));
                    }
                }
                Err(e) => p.push(format!("{path}: cannot read: {e}")),
            }
            listed.insert(rel.to_string());
        }
    }
    match payload_files(&bag.join(PAYLOAD)) {
        Ok(files) => {
            v.payload_files = files.len();
            for (rel, _) in files {
                if !listed.contains(&rel) {
                    p.push(format!("data/{rel}: in the payload but not in {MANIFEST}"));
                }
            }
        }
        Err(e) => p.push(e.to_string()),
    }
    if let Some(t) = read_text(&bag.join(BAG_INFO), p) {
        let oxum = t
            .lines()
            .find_map(|l| l.strip_prefix("Payload-Oxum:"))
            .map(str::trim);
        let actual = format!("{}.{}", v.payload_bytes, v.payload_files);
        match oxum {
            Some(o) if o == actual => {}
            Some(o) => p.push(format!(
                "{BAG_INFO}: Payload-Oxum is {o}, the payload is {actual}"
            )),
            None => p.push(format!("{BAG_INFO}: no Payload-Oxum")),
        }
    }
    if let Some(t) = read_text(&bag.join(TAGMANIFEST), p) {
        for (hex, path) in parse_manifest(&t, TAGMANIFEST, p) {
            match fs::read(bag.join(&path)) {
                Ok(bytes) if Sha256Digest::of(&bytes).hex() == hex => {}
                Ok(_) => p.push(format!("{path}: does not match {TAGMANIFEST}")),
                Err(e) => p.push(format!("{path}: cannot read: {e}")),
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> BagInfo {
        BagInfo {
            source_organization: Some("csis-scrs".into()),
            external_identifier: "REF-1".into(),
            external_description: "A title\nwith a break".into(),
            internal_sender_identifier: Some("0f1e".into()),
            bagging_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
        }
    }

    #[test]
    fn paths_are_encoded_as_rfc_8493_asks_and_decode_back() {
        for (raw, enc) in [
            ("a b.csv", "a b.csv"),
            ("100%.csv", "100%25.csv"),
            ("x\ny\rz", "x%0Ay%0Dz"),
            ("%0A", "%250A"),
        ] {
            assert_eq!(encode_path(raw), enc);
            assert_eq!(decode_path(enc), raw);
        }
    }

    #[test]
    fn a_bag_of_awkward_names_validates_and_a_changed_byte_does_not() {
        let pkg = tempfile::tempdir().unwrap();
        std::fs::write(pkg.path().join("a b%.csv"), b"x\r\n1\r\n").unwrap();
        std::fs::create_dir(pkg.path().join("sub")).unwrap();
        std::fs::write(pkg.path().join("sub/c.json"), b"[]").unwrap();
        let out = tempfile::tempdir().unwrap();
        let bag_path = out.path().join("bag");
        let expected = BTreeMap::from([("a b%.csv".to_string(), Sha256Digest::of(b"x\r\n1\r\n"))]);
        let bag = write_bag(pkg.path(), &bag_path, &info(), &expected).unwrap();
        assert_eq!(bag.oxum(), "8.2");
        let manifest = std::fs::read_to_string(bag_path.join(MANIFEST)).unwrap();
        assert!(manifest.contains("  data/a b%25.csv\n"), "{manifest}");
        let bag_info = std::fs::read_to_string(bag_path.join(BAG_INFO)).unwrap();
        assert!(bag_info.contains("External-Description: A title with a break\n"));
        assert!(bag_info.contains("Payload-Oxum: 8.2\n"));
        let v = validate(&bag_path);
        assert!(v.is_valid(), "{:?}", v.problems);

        std::fs::write(bag_path.join("data/sub/c.json"), b"{}").unwrap();
        assert_eq!(validate(&bag_path).problems.len(), 1);
        std::fs::write(bag_path.join("data/extra"), b"").unwrap();
        assert_eq!(
            validate(&bag_path).problems.len(),
            3,
            "unlisted file and oxum"
        );
    }

    #[test]
    fn an_existing_folder_is_refused_and_a_mismatch_leaves_nothing() {
        let pkg = tempfile::tempdir().unwrap();
        std::fs::write(pkg.path().join("a.csv"), b"1").unwrap();
        let out = tempfile::tempdir().unwrap();
        assert!(matches!(
            write_bag(pkg.path(), out.path(), &info(), &BTreeMap::new()),
            Err(BagError::Exists { .. })
        ));
        let bag_path = out.path().join("bag");
        let wrong = BTreeMap::from([("a.csv".to_string(), Sha256Digest::of(b"2"))]);
        assert!(matches!(
            write_bag(pkg.path(), &bag_path, &info(), &wrong),
            Err(BagError::Mismatch { .. })
        ));
        let left: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
        assert!(left.is_empty(), "the temporary bag was not removed");
    }
}
