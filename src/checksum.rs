//! SHA-256 computed while bytes are written, so an output is hashed in the same pass
//! that produces it and never read back. `sha2` picks the CPU's SHA extensions (SHA-NI)
//! at run time where they exist.

use std::fmt;
use std::io::{self, Read, Write};

use sha2::{Digest, Sha256};

/// A SHA-256 digest, shown as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Digest(pub [u8; 32]);

impl Sha256Digest {
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// `sha256:<hex>`, as Data Packages and CKAN's `hash` field write it.
    pub fn prefixed(&self) -> String {
        format!("sha256:{}", self.hex())
    }

    /// Reads `hex` or `sha256:hex`.
    pub fn parse(s: &str) -> Option<Sha256Digest> {
        let s = s.strip_prefix("sha256:").unwrap_or(s);
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).ok()?;
        Some(Sha256Digest(out))
    }

    pub fn of(bytes: &[u8]) -> Sha256Digest {
        Sha256Digest(Sha256::digest(bytes).into())
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Digest({})", self.hex())
    }
}

/// Bytes gathered before a chunk is handed to the hashing thread.
const CHUNK: usize = 256 * 1024;

/// A writer that hashes and counts what passes through it.
///
/// Output is gathered in 256 KiB chunks. The first chunk that fills up starts a hashing
/// thread, and from then on each chunk is hashed there while the caller goes on
/// converting, so on a machine with a second core the digest costs next to no wall
/// time. Small outputs never start a thread. Chunks are recycled, so a long output
/// allocates a handful of buffers, not one per chunk.
pub struct HashingWriter<W> {
    inner: W,
    buf: Vec<u8>,
    bytes: u64,
    worker: Option<Worker>,
}

struct Worker {
    chunks: std::sync::mpsc::SyncSender<Vec<u8>>,
    spare: std::sync::mpsc::Receiver<Vec<u8>>,
    handle: std::thread::JoinHandle<Sha256>,
}

impl Worker {
    fn start() -> Worker {
        let (chunks, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
        let (give_back, spare) = std::sync::mpsc::channel::<Vec<u8>>();
        let handle = std::thread::spawn(move || {
            let mut hasher = Sha256::new();
            for mut chunk in rx {
                hasher.update(&chunk);
                chunk.clear();
                // The writer may be gone already; a lost spare is only memory.
                let _ = give_back.send(chunk);
            }
            hasher
        });
        Worker {
            chunks,
            spare,
            handle,
        }
    }
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            buf: Vec::with_capacity(CHUNK),
            bytes: 0,
            worker: None,
        }
    }

    /// Hands the gathered bytes to the hashing thread, starting it if needed.
    fn hand_off(&mut self) -> io::Result<()> {
        let worker = self.worker.get_or_insert_with(Worker::start);
        let next = worker
            .spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        let full = std::mem::replace(&mut self.buf, next);
        worker
            .chunks
            .send(full)
            .map_err(|_| io::Error::other("the hashing thread stopped"))
    }

    /// Flushes and returns the inner writer, the digest and the byte count.
    ///
    /// # Errors
    /// The final flush failed, or the hashing thread panicked.
    pub fn finish(mut self) -> io::Result<(W, Sha256Digest, u64)> {
        self.inner.flush()?;
        let mut hasher = match self.worker.take() {
            Some(w) => {
                drop(w.chunks);
                w.handle
                    .join()
                    .map_err(|_| io::Error::other("the hashing thread panicked"))?
            }
            None => Sha256::new(),
        };
        hasher.update(&self.buf);
        Ok((
            self.inner,
            Sha256Digest(hasher.finalize().into()),
            self.bytes,
        ))
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        let mut written = &buf[..n];
        while !written.is_empty() {
            let room = CHUNK - self.buf.len();
            let take = room.min(written.len());
            self.buf.extend_from_slice(&written[..take]);
            written = &written[take..];
            if self.buf.len() == CHUNK {
                self.hand_off()?;
            }
        }
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The read size for hashing: large enough that system calls cost nothing next to the
/// hash, small enough to stay in cache.
const READ_BLOCK: usize = 1 << 20;

/// Hashes everything `reader` yields, in 1 MiB reads.
///
/// # Errors
/// A read failed.
pub fn hash_reader<R: Read>(mut reader: R) -> io::Result<(Sha256Digest, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; READ_BLOCK];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((Sha256Digest(hasher.finalize().into()), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    // FIPS 180-2 test vector.
    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn hashing_writer_matches_the_standard_vector() {
        let mut w = HashingWriter::new(Vec::new());
        w.write_all(b"a").unwrap();
        w.write_all(b"bc").unwrap();
        let (inner, digest, n) = w.finish().unwrap();
        assert_eq!(inner, b"abc");
        assert_eq!(digest.hex(), ABC);
        assert_eq!(n, 3);
    }

    #[test]
    fn long_outputs_hashed_on_the_thread_match_a_one_shot_digest() {
        // Uneven writes across several chunk boundaries.
        let data: Vec<u8> = (0..(3 * CHUNK + 12_345))
            .map(|i| (i * 31 % 251) as u8)
            .collect();
        let mut w = HashingWriter::new(Vec::new());
        for piece in data.chunks(7_919) {
            w.write_all(piece).unwrap();
        }
        let (inner, digest, n) = w.finish().unwrap();
        assert_eq!(inner, data);
        assert_eq!(digest, Sha256Digest::of(&data));
        assert_eq!(n, data.len() as u64);
    }

    #[test]
    fn hash_reader_agrees_with_the_writer() {
        let (d, n) = hash_reader(&b"abc"[..]).unwrap();
        assert_eq!(d.hex(), ABC);
        assert_eq!(n, 3);
        assert_eq!(Sha256Digest::parse(&d.prefixed()), Some(d));
        assert_eq!(Sha256Digest::parse("zz"), None);
    }
}
