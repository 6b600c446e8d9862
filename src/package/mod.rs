//! The package stage: one folder per dataset holding its data files, `datapackage.json`,
//! CSVW metadata, `SHA256SUMS` and `provenance.json`, put in place atomically.
//!
//! # Atomicity
//! Files are written into `<output>/.staging/<slug>.<run>/`, synced, and the folder is
//! renamed to `<output>/.versions/<slug>.<run>/`. `<output>/packages/<slug>` is a
//! symbolic link to the current version, replaced by renaming a new link over it, which
//! POSIX makes atomic. A crash or kill at any moment therefore leaves the link on the
//! previous complete version or on the new complete one, never on a half-written file;
//! leftovers in `.staging` are swept by the next run.
//!
//! # Determinism
//! Data files, `datapackage.json`, CSVW files and `SHA256SUMS` depend only on the inputs
//! and the manifest. Times and run ids live only in `provenance.json`.

pub mod bagit;
pub mod descriptor;
pub mod verify;

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::checksum::Sha256Digest;

/// Could not assemble or place a package.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    #[error("{path}: {action}: {source}; check the output folder's permissions and free space")]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: io::Error,
    },
}

fn io_err<'a>(path: &'a Path, action: &'static str) -> impl FnOnce(io::Error) -> PackageError + 'a {
    move |source| PackageError::Io {
        path: path.to_path_buf(),
        action,
        source,
    }
}

/// A package being written. Dropping it without [`Staging::commit`] leaves the current
/// package untouched.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    output: PathBuf,
    slug: String,
    run_id: String,
}

/// The subfolders of the output folder.
pub const PACKAGES: &str = "packages";
const STAGING: &str = ".staging";
const VERSIONS: &str = ".versions";

/// Where the current package of `slug` is (a link to its version folder).
pub fn package_path(output: &Path, slug: &str) -> PathBuf {
    output.join(PACKAGES).join(slug)
}

impl Staging {
    /// Starts a package for `slug`, clearing any staging a killed run left behind.
    ///
    /// # Errors
    /// The staging folder cannot be created.
    pub fn create(output: &Path, slug: &str, run_id: &str) -> Result<Staging, PackageError> {
        let staging_root = output.join(STAGING);
        fs::create_dir_all(&staging_root).map_err(io_err(&staging_root, "cannot create"))?;
        sweep(&staging_root, slug, None);
        // A kill between moving a version into place and switching the link leaves a
        // version nothing points to; keep only the current one.
        let link = output.join(PACKAGES).join(slug);
        let current = fs::read_link(&link)
            .ok()
            .map(|t| output.join(PACKAGES).join(t));
        sweep(&output.join(VERSIONS), slug, current.as_deref());
        let dir = staging_root.join(format!("{slug}.{run_id}"));
        fs::create_dir_all(&dir).map_err(io_err(&dir, "cannot create"))?;
        Ok(Staging {
            dir,
            output: output.to_path_buf(),
            slug: slug.to_string(),
            run_id: run_id.to_string(),
        })
    }

    /// The staging path of a file in the package.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Creates a file in the package.
    ///
    /// # Errors
    /// The file cannot be created.
    pub fn create_file(&self, name: &str) -> Result<File, PackageError> {
        let p = self.path(name);
        File::create(&p).map_err(io_err(&p, "cannot create"))
    }

    /// Writes a small file whole (metadata).
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<Sha256Digest, PackageError> {
        let p = self.path(name);
        let mut f = File::create(&p).map_err(io_err(&p, "cannot create"))?;
        f.write_all(bytes).map_err(io_err(&p, "cannot write"))?;
        Ok(Sha256Digest::of(bytes))
    }

    /// Syncs every file and makes this the current package, atomically.
    ///
    /// # Errors
    /// A sync, rename or link failed; the previous package is then still current.
    pub fn commit(self) -> Result<PathBuf, PackageError> {
        for entry in fs::read_dir(&self.dir).map_err(io_err(&self.dir, "cannot list"))? {
            let p = entry.map_err(io_err(&self.dir, "cannot list"))?.path();
            File::open(&p)
                .and_then(|f| f.sync_all())
                .map_err(io_err(&p, "cannot sync"))?;
        }
        let versions = self.output.join(VERSIONS);
        fs::create_dir_all(&versions).map_err(io_err(&versions, "cannot create"))?;
        let version_name = format!("{}.{}", self.slug, self.run_id);
        let version = versions.join(&version_name);
        if version.exists() {
            fs::remove_dir_all(&version).map_err(io_err(&version, "cannot replace"))?;
        }
        fs::rename(&self.dir, &version).map_err(io_err(&version, "cannot move into place"))?;
        sync_dir(&versions);

        let packages = self.output.join(PACKAGES);
        fs::create_dir_all(&packages).map_err(io_err(&packages, "cannot create"))?;
        let link = packages.join(&self.slug);
        let previous = fs::read_link(&link).ok().map(|t| packages.join(t));
        let tmp = packages.join(format!(".{}.{}.link", self.slug, self.run_id));
        let _ = fs::remove_file(&tmp);
        let target = Path::new("..").join(VERSIONS).join(&version_name);
        symlink(&target, &tmp).map_err(io_err(&tmp, "cannot link"))?;
        if link.is_dir() && fs::read_link(&link).is_err() {
            // A real folder where the link belongs (copied by hand): keep it aside.
            let aside = versions.join(format!("{}.replaced.{}", self.slug, self.run_id));
            fs::rename(&link, &aside).map_err(io_err(&link, "cannot move aside"))?;
        }
        fs::rename(&tmp, &link).map_err(io_err(&link, "cannot switch to the new version"))?;
        sync_dir(&packages);
        if let Some(old) = previous {
            if old != packages.join(&target) {
                let _ = fs::remove_dir_all(&old);
            }
        }
        Ok(link)
    }
}

/// Removes the folders of `slug` in `root` (staging or versions) left by runs that did
/// not finish, except `keep`. Slugs have no dots, so `<slug>.` names only this dataset.
fn sweep(root: &Path, slug: &str, keep: Option<&Path>) {
    let prefix = format!("{slug}.");
    let keep = keep.and_then(|k| k.canonicalize().ok());
    if let Ok(entries) = fs::read_dir(root) {
        for e in entries.flatten() {
            let path = e.path();
            if !e.file_name().to_string_lossy().starts_with(&prefix) {
                continue;
            }
            if keep.is_some() && path.canonicalize().ok() == keep {
                continue;
            }
            let _ = fs::remove_dir_all(path);
        }
    }
}

fn sync_dir(dir: &Path) {
    // Persists the rename itself; not every platform can open a folder, so best effort.
    if let Ok(f) = File::open(dir) {
        let _ = f.sync_all();
    }
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::windows::fs::symlink_dir(target, link)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_switches_the_package_and_drops_the_old_version() {
        let out = tempfile::tempdir().unwrap();
        let s = Staging::create(out.path(), "ds", "run1").unwrap();
        s.write("a.csv", b"x\n1\n").unwrap();
        let link = s.commit().unwrap();
        assert_eq!(fs::read(link.join("a.csv")).unwrap(), b"x\n1\n");

        let s = Staging::create(out.path(), "ds", "run2").unwrap();
        s.write("a.csv", b"x\n2\n").unwrap();
        s.commit().unwrap();
        assert_eq!(fs::read(link.join("a.csv")).unwrap(), b"x\n2\n");
        let versions: Vec<_> = fs::read_dir(out.path().join(VERSIONS)).unwrap().collect();
        assert_eq!(versions.len(), 1);
    }

    #[test]
    fn an_abandoned_staging_leaves_the_current_package_alone() {
        let out = tempfile::tempdir().unwrap();
        let s = Staging::create(out.path(), "ds", "run1").unwrap();
        s.write("a.csv", b"old").unwrap();
        let link = s.commit().unwrap();
        let s = Staging::create(out.path(), "ds", "run2").unwrap();
        s.write("a.csv", b"half").unwrap();
        drop(s);
        assert_eq!(fs::read(link.join("a.csv")).unwrap(), b"old");
        // A version moved into place but never linked (a kill between the two steps).
        fs::create_dir_all(out.path().join(VERSIONS).join("ds.orphan")).unwrap();
        // The next run sweeps what the abandoned ones left, and keeps the current one.
        let _s = Staging::create(out.path(), "ds", "run3").unwrap();
        assert!(!out.path().join(STAGING).join("ds.run2").exists());
        assert!(!out.path().join(VERSIONS).join("ds.orphan").exists());
        assert_eq!(fs::read(link.join("a.csv")).unwrap(), b"old");
    }
}
