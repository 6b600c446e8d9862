//! Reading a source on its own thread, ahead of the parser (CSV validation, XML).
//!
//! Why: profiling the validation of a 1M-row CSV showed the parsing thread spending
//! about half its time in the kernel copying the file out of the page cache (`read`),
//! while the validating thread idled a good part of the time. Moving the `read` calls
//! to a third thread lets the copy overlap the parsing.
//!
//! Only what the readers need is supported: sequential reads, and before the first
//! read, asking the length (`SeekFrom::End(0)`) and going back to the start. Any other
//! seek is an `Unsupported` error, so a reader that needs more fails loudly, not wrongly.
//! A reader that must go back (to count the lines before an error) takes its source
//! back with [`ReadAhead::into_inner`].

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::{Scope, ScopedJoinHandle};

/// Bytes per read: large reads cost fewer system calls.
const CHUNK: usize = 1 << 20;
/// Chunks read ahead of the parser; bounds the memory to a few MiB.
const AHEAD: usize = 4;

/// A [`Read`] + limited [`Seek`] over a source read by a scoped thread.
pub struct ReadAhead<'scope, R> {
    chunks: Receiver<io::Result<Vec<u8>>>,
    /// Emptied chunks go back to be filled again, so the reading thread does not touch
    /// fresh memory for every chunk.
    spent: SyncSender<Vec<u8>>,
    chunk: Vec<u8>,
    pos: usize,
    /// The source's length, if known.
    len: Option<u64>,
    consumed: u64,
    done: bool,
    thread: ScopedJoinHandle<'scope, R>,
}

impl<'scope> ReadAhead<'scope, File> {
    /// Starts reading `file` on a new thread of `scope`.
    ///
    /// # Errors
    /// The file's length cannot be read.
    pub fn file(scope: &'scope Scope<'scope, '_>, file: File) -> io::Result<Self> {
        let len = file.metadata()?.len();
        Ok(ReadAhead::spawn(scope, file, Some(len)))
    }
}

impl<'scope, R: Read + Send + 'scope> ReadAhead<'scope, R> {
    /// Starts reading `source`, from where it stands, on a new thread of `scope`; the
    /// thread ends at the end of the source, at a read error (handed to the reader in
    /// order) or when this is dropped. `len` answers `SeekFrom::End(0)`.
    pub fn spawn(scope: &'scope Scope<'scope, '_>, mut source: R, len: Option<u64>) -> Self {
        let (tx, chunks) = sync_channel::<io::Result<Vec<u8>>>(AHEAD);
        let (spent, recycled) = sync_channel::<Vec<u8>>(AHEAD + 2);
        let thread = scope.spawn(move || loop {
            let mut buf = recycled.try_recv().unwrap_or_default();
            buf.resize(CHUNK, 0);
            let result = match source.read(&mut buf) {
                Ok(n) => {
                    buf.truncate(n);
                    Ok(buf)
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
            let last = !matches!(&result, Ok(b) if !b.is_empty());
            // A closed channel means the reader is gone: nothing left to do.
            if tx.send(result).is_err() || last {
                return source;
            }
        });
        ReadAhead {
            chunks,
            spent,
            chunk: Vec::new(),
            pos: 0,
            len,
            consumed: 0,
            done: false,
            thread,
        }
    }

    /// Stops the reading thread and hands back the source, wherever it got to.
    pub fn into_inner(self) -> R {
        drop(self.chunks);
        self.thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

impl<R> Read for ReadAhead<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.chunk.len() {
            if self.done {
                return Ok(0);
            }
            let next = match self.chunks.recv() {
                Ok(next) => next,
                // The thread only stops early after sending an error or the end.
                Err(_) => Ok(Vec::new()),
            };
            let next = next.inspect_err(|_| self.done = true)?;
            self.done = next.is_empty();
            let old = std::mem::replace(&mut self.chunk, next);
            // The reading thread may already have ended; the buffer is then dropped.
            let _ = self.spent.try_send(old);
            self.pos = 0;
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        self.consumed += n as u64;
        Ok(n)
    }
}

impl<R> Seek for ReadAhead<'_, R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match (to, self.len) {
            (SeekFrom::End(0), Some(len)) if self.consumed == 0 => Ok(len),
            (SeekFrom::Start(0), _) if self.consumed == 0 => Ok(0),
            (SeekFrom::Current(0), _) => Ok(self.consumed),
            (other, _) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("a read-ahead file reads forward only; cannot seek to {other:?}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_whole_file_in_order_and_answers_the_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        let bytes: Vec<u8> = (0..(3 * CHUNK + 12345)).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let read = std::thread::scope(|scope| {
            let mut r = ReadAhead::file(scope, File::open(&path).unwrap()).unwrap();
            assert_eq!(r.seek(SeekFrom::End(0)).unwrap(), bytes.len() as u64);
            assert_eq!(r.seek(SeekFrom::Start(0)).unwrap(), 0);
            let mut out = Vec::new();
            // Odd-sized reads cross chunk boundaries.
            let mut buf = vec![0; 7777];
            loop {
                let n = r.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n]);
            }
            assert_eq!(r.read(&mut buf).unwrap(), 0, "stays at the end");
            assert_eq!(
                r.seek(SeekFrom::Start(0)).unwrap_err().kind(),
                io::ErrorKind::Unsupported
            );
            out
        });
        assert!(read == bytes, "the bytes differ");
    }

    #[test]
    fn an_empty_file_reads_as_empty_and_dropping_early_ends_the_thread() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.csv");
        std::fs::write(&empty, b"").unwrap();
        let big = dir.path().join("big.csv");
        std::fs::write(&big, vec![b'x'; 10 * CHUNK]).unwrap();
        std::thread::scope(|scope| {
            let mut r = ReadAhead::file(scope, File::open(&empty).unwrap()).unwrap();
            let mut buf = [0; 16];
            assert_eq!(r.read(&mut buf).unwrap(), 0);
            // Read a little, then drop: the scope must still end (the thread sees the
            // closed channel).
            let mut r = ReadAhead::file(scope, File::open(&big).unwrap()).unwrap();
            assert_eq!(r.read(&mut buf).unwrap(), 16);
        });
    }

    /// The source comes back mid-read, whole and usable, and an unknown length is not
    /// made up.
    #[test]
    fn into_inner_hands_the_source_back() {
        let bytes = vec![7u8; 3 * CHUNK];
        std::thread::scope(|scope| {
            let mut r = ReadAhead::spawn(scope, io::Cursor::new(&bytes), None);
            assert_eq!(
                r.seek(SeekFrom::End(0)).unwrap_err().kind(),
                io::ErrorKind::Unsupported
            );
            let mut buf = [0; 10];
            r.read_exact(&mut buf).unwrap();
            let mut source = r.into_inner();
            assert!(source.position() >= 10);
            source.seek(SeekFrom::Start(0)).unwrap();
            let mut all = Vec::new();
            source.read_to_end(&mut all).unwrap();
            assert_eq!(all, bytes);
        });
    }
}
