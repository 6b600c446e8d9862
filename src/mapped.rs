//! Input files mapped into memory, for readers that parse in place (XML).
//!
//! Why: reading a file copies it out of the page cache. For a large XML file that copy
//! took a third of the conversion's CPU time (`perf`, 1M rows: 0.64 s of 2.55 s, on the
//! reading thread). Mapped, the parser reads the page cache where it lies (see
//! `BENCHMARKS.md`).
//!
//! Memory stays constant: the parsed stretch of the map is handed back every
//! [`RELEASE_STEP`] bytes (`madvise(MADV_DONTNEED)`), so the pages read do not pile up
//! in the process's resident memory.
//!
//! The hazard, shared with every tool that maps its input (ripgrep, for one): a file
//! truncated by another process while it is mapped makes the next read of a lost page
//! raise SIGBUS. ogpipe then stops at once with a message naming the file and exit
//! code 3 (see [`on_lost_page`]), where a bare SIGBUS would end it with no word of why.
//! `convert` writes its output under a temporary name until the end, so no half-made
//! output is left under the real one. Only the single-file tools map their input: in a
//! run, a source that changes must fail its own dataset, not stop the others, so a
//! run reads. `--no-mmap` (or `OGPIPE_NO_MMAP=1`) makes the tools read too.

use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;

use memmap2::{Advice, Mmap, UncheckedAdvice};

use crate::read::{self, Format, InPlace, ReadError, ReadOptions, ReadSummary};
use crate::table::TableSink;

/// Smaller files are read: a mapping's set-up costs more than the copy it saves.
const MIN_LEN: u64 = 1 << 20;
/// How much parsed input is handed back at once: few system calls, little memory.
const RELEASE_STEP: usize = 8 << 20;

static DISABLED: AtomicBool = AtomicBool::new(false);

/// Turns mapping off for this process (`--no-mmap`): every input is then read.
pub fn disable() {
    DISABLED.store(true, Ordering::Relaxed);
}

/// A whole input file, mapped read-only.
pub struct MappedFile {
    map: Mmap,
    /// Everything before this offset has been handed back.
    released: AtomicUsize,
}

impl MappedFile {
    /// Maps `file` when that pays and is possible: a regular file of at least 1 MiB,
    /// mapping not turned off. `Ok(None)`: read the file instead.
    ///
    /// # Errors
    /// The file's metadata cannot be read. A mapping that fails is not an error (the
    /// file is then read).
    pub fn map(file: &File, name: &str) -> io::Result<Option<MappedFile>> {
        let meta = file.metadata()?;
        if DISABLED.load(Ordering::Relaxed) || !meta.is_file() || meta.len() < MIN_LEN {
            return Ok(None);
        }
        on_lost_page(name);
        // SAFETY: the map is read-only and only ever read through `bytes`. Its contents
        // can change under it only if another process writes the file, which a reader
        // cannot rule out (`read` has the same race); a truncation is handled by
        // `on_lost_page`.
        let Ok(map) = (unsafe { Mmap::map(file) }) else {
            return Ok(None);
        };
        // Sequential: the kernel reads ahead further and drops pages behind sooner.
        let _ = map.advise(Advice::Sequential);
        Ok(Some(MappedFile {
            map,
            released: AtomicUsize::new(0),
        }))
    }
}

/// Reads one table from `file`: in place when its format parses in place (XML) and the
/// file maps, else through a buffer.
///
/// # Errors
/// As [`read::read_table`].
pub fn read_table_file(
    format: Format,
    source_name: &str,
    file: File,
    options: &ReadOptions,
    sink: &mut dyn TableSink,
) -> Result<ReadSummary, ReadError> {
    if format == Format::Xml {
        let map = MappedFile::map(&file, source_name).map_err(|e| ReadError::io(source_name, e))?;
        if let Some(map) = map {
            return read::xml::read_in_place(source_name, &map, options, sink);
        }
    }
    let buffered = std::io::BufReader::with_capacity(1 << 16, file);
    read::read_table(format, source_name, buffered, options, sink)
}

/// The message [`on_sigbus`] writes: set once, before the first mapping.
static LOST_PAGE: OnceLock<Box<[u8]>> = OnceLock::new();

/// Makes a SIGBUS (a mapped file truncated under the reader) end the process with a
/// message naming `name` and exit code 3, instead of a bare "Bus error". A tool maps
/// one file, so the first name set is the one.
fn on_lost_page(name: &str) {
    let message = format!("error: {name}: the file shrank while ogpipe read it (another program is writing it), so ogpipe stopped before finishing (an output file keeps its temporary name; output sent to stdout is incomplete); run again once the file is complete, or pass --no-mmap\n");
    if LOST_PAGE.set(message.into_bytes().into()).is_err() {
        return;
    }
    #[cfg(unix)]
    {
        // SAFETY: `on_sigbus` only makes async-signal-safe calls (`write`, `_exit`)
        // and reads a `OnceLock` set before the handler is installed.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as extern "C" fn(libc::c_int) as usize;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
        }
    }
}

#[cfg(unix)]
extern "C" fn on_sigbus(_: libc::c_int) {
    if let Some(message) = LOST_PAGE.get() {
        // SAFETY: a valid buffer and length; nothing to do if the write fails.
        unsafe { libc::write(2, message.as_ptr().cast(), message.len()) };
    }
    // SAFETY: `_exit` ends the process at once, as a signal handler must.
    unsafe { libc::_exit(3) }
}

impl InPlace for MappedFile {
    fn bytes(&self) -> &[u8] {
        &self.map
    }

    fn done_before(&self, offset: usize) {
        let released = self.released.load(Ordering::Relaxed);
        if offset < released + RELEASE_STEP {
            return;
        }
        // Whole 64 KiB blocks (a multiple of any page size in use), so that no page
        // holding bytes at or after `offset` is given back.
        let upto = offset & !0xFFFF;
        // SAFETY: MADV_DONTNEED on a shared, read-only file mapping only drops this
        // process's page-table entries: a later read of those bytes faults the same
        // file pages back in, so no slice of the map ever reads differently (unlike a
        // private anonymous mapping, which would read zeros).
        let dropped = unsafe {
            self.map
                .unchecked_advise_range(UncheckedAdvice::DontNeed, released, upto - released)
        };
        if dropped.is_ok() {
            self.released.store(upto, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_large_file_is_mapped_whole_and_reads_alike_after_release() {
        let mut f = tempfile::tempfile().unwrap();
        let bytes: Vec<u8> = (0..(3 * RELEASE_STEP as u64 + 12345))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        f.write_all(&bytes).unwrap();
        let map = MappedFile::map(&f, "t.xml").unwrap().expect("mapped");
        assert_eq!(map.bytes(), &bytes[..]);
        map.done_before(RELEASE_STEP + 100);
        assert_eq!(map.released.load(Ordering::Relaxed), RELEASE_STEP);
        // Pages given back read the same (they come back from the file).
        assert_eq!(map.bytes(), &bytes[..]);
        map.done_before(RELEASE_STEP + 200);
        assert_eq!(map.released.load(Ordering::Relaxed), RELEASE_STEP);
    }

    #[test]
    fn small_files_and_non_files_are_read_instead() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"<r/>").unwrap();
        assert!(MappedFile::map(&f, "t.xml").unwrap().is_none());
        let dir = File::open(std::env::temp_dir()).unwrap();
        assert!(MappedFile::map(&dir, "dir").unwrap().is_none());
    }
}
