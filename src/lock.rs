//! The run lock: at most one run at a time per output folder, across processes.
//!
//! The lock is `<output>/ogpipe.lock`, held with the operating system's advisory lock
//! (`flock` on Unix, `LockFileEx` on Windows) through the `fs2` crate (`std`'s own
//! `File::try_lock` needs Rust 1.89; ogpipe supports 1.85). The
//! OS drops the lock when its holder exits, however it exits, so a killed run never
//! leaves a lock behind that someone must delete by hand: the file's *contents* (pid,
//! host, start time) only name the holder for the message a second run prints.
//!
//! The file is never deleted: deleting it would let a second process lock a fresh file
//! while a third still holds the old, unlinked one. On release its contents are cleared.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The lock file's name inside the output folder.
pub const LOCK_FILE: &str = "ogpipe.lock";

/// Who holds (or last held) the lock, as written in the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    /// RFC 3339, UTC.
    pub since: String,
    /// What the holder is doing, e.g. `run` or `schedule`.
    #[serde(default)]
    pub command: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pid {} on {} since {}", self.pid, self.host, self.since)?;
        if !self.command.is_empty() {
            write!(f, " (ogpipe {})", self.command)?;
        }
        Ok(())
    }
}

/// Could not take the run lock.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// Another process holds it. The holder is `None` when it has not written its name
    /// yet, or the file cannot be read while locked (Windows).
    #[error("{}: another ogpipe run is in progress ({}); wait for it to finish, or check it with `ogpipe history`", path.display(), holder.as_ref().map_or_else(|| "holder unknown".to_string(), ToString::to_string))]
    Busy {
        path: PathBuf,
        holder: Option<Holder>,
    },
    #[error("{}: cannot use the run lock: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The held run lock; released on drop.
#[derive(Debug)]
pub struct RunLock {
    file: File,
    path: PathBuf,
    holder: Holder,
    /// What a killed holder had left in the file, if anything.
    recovered: Option<Holder>,
}

impl RunLock {
    /// Takes the run lock of `output_dir` (creating the folder), without waiting.
    ///
    /// # Errors
    /// [`LockError::Busy`] when another process holds it; [`LockError::Io`] when the
    /// file cannot be created, read or written.
    pub fn acquire(output_dir: &Path) -> Result<RunLock, LockError> {
        Self::acquire_for(output_dir, "run")
    }

    /// As [`RunLock::acquire`], recording `command` as what the holder is doing.
    ///
    /// # Errors
    /// As [`RunLock::acquire`].
    pub fn acquire_for(output_dir: &Path, command: &str) -> Result<RunLock, LockError> {
        let path = output_dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(output_dir).map_err(io)?;
        // No truncation on open: the holder's name must survive a failed attempt.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        if let Err(e) = fs2::FileExt::try_lock_exclusive(&file) {
            if e.kind() == fs2::lock_contended_error().kind() {
                return Err(LockError::Busy {
                    holder: read_holder(&mut file),
                    path,
                });
            }
            return Err(io(e));
        }
        // Whatever is in the file now was left by a holder that died without clearing it.
        let recovered = read_holder(&mut file);
        let holder = Holder {
            pid: std::process::id(),
            host: hostname(),
            since: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            command: command.to_string(),
        };
        let text = serde_json::to_string(&holder).map_err(|e| io(e.into()))?;
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(format!("{text}\n").as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(io)?;
        if let Some(old) = &recovered {
            tracing::warn!(previous = %old, "Recovered a run lock left by a process that ended without releasing it.");
        }
        Ok(RunLock {
            file,
            path,
            holder,
            recovered,
        })
    }

    /// Who holds the lock now: this process.
    pub fn holder(&self) -> &Holder {
        &self.holder
    }

    /// The holder named in the file when this process took it over from a dead one.
    pub fn recovered(&self) -> Option<&Holder> {
        self.recovered.as_ref()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Clear the name while still holding the lock, so nobody reads a stale one; the
        // OS lock itself goes with the file handle.
        let _ = self.file.set_len(0);
        let _ = fs2::FileExt::unlock(&self.file);
    }
}

fn read_holder(file: &mut File) -> Option<Holder> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(text.trim()).ok()
}

/// This machine's name, for the lock file; `unknown` when the OS does not say.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_acquire_fails_while_the_first_is_held_and_succeeds_after_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(dir.path()).unwrap();
        assert_eq!(first.holder().pid, std::process::id());
        // A second handle in the same process conflicts too: flock is per open file.
        match RunLock::acquire(dir.path()) {
            Err(LockError::Busy { holder, .. }) => {
                assert_eq!(holder.as_ref(), Some(first.holder()));
            }
            other => panic!("expected Busy, got {other:?}"),
        }
        drop(first);
        let again = RunLock::acquire(dir.path()).unwrap();
        assert!(again.recovered().is_none(), "a released lock is not stale");
    }

    #[test]
    fn a_stale_lock_file_from_a_dead_process_is_recovered() {
        let dir = tempfile::tempdir().unwrap();
        let stale = Holder {
            pid: 999_999,
            host: "gone".into(),
            since: "2026-01-01T00:00:00Z".into(),
            command: "schedule".into(),
        };
        std::fs::write(
            dir.path().join(LOCK_FILE),
            serde_json::to_string(&stale).unwrap(),
        )
        .unwrap();
        let lock = RunLock::acquire(dir.path()).unwrap();
        assert_eq!(lock.recovered(), Some(&stale));
        assert_eq!(lock.holder().pid, std::process::id());
    }

    #[test]
    fn the_busy_message_names_the_holder() {
        let e = LockError::Busy {
            path: "out/ogpipe.lock".into(),
            holder: Some(Holder {
                pid: 42,
                host: "srv1".into(),
                since: "2026-11-01T14:00:00Z".into(),
                command: "schedule".into(),
            }),
        };
        let text = e.to_string();
        assert!(
            text.contains("pid 42 on srv1 since 2026-11-01T14:00:00Z"),
            "{text}"
        );
    }

    /// Not a test on its own: the child process of
    /// `a_lock_held_by_a_killed_process_is_released_by_the_os`.
    #[test]
    #[ignore = "run as a child process by another test"]
    fn hold_lock_child() {
        let Some(dir) = std::env::var_os("OGPIPE_TEST_LOCK_DIR") else {
            return;
        };
        let _lock = RunLock::acquire(Path::new(&dir)).unwrap();
        println!("LOCKED");
        std::io::stdout().flush().unwrap();
        std::thread::sleep(std::time::Duration::from_secs(60));
    }

    #[test]
    fn a_lock_held_by_a_killed_process_is_released_by_the_os() {
        use std::io::BufRead;
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "lock::tests::hold_lock_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("OGPIPE_TEST_LOCK_DIR", dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let locked = std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|l| l.contains("LOCKED"));
        assert!(locked, "the child never took the lock");
        match RunLock::acquire(dir.path()) {
            Err(LockError::Busy { holder, .. }) => {
                assert_eq!(holder.map(|h| h.pid), Some(child.id()));
            }
            other => panic!("expected Busy while the child holds it, got {other:?}"),
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let lock = RunLock::acquire(dir.path()).expect("the OS released the dead child's lock");
        assert_eq!(lock.recovered().map(|h| h.pid), Some(child.id()));
    }
}
