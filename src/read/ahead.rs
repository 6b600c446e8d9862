//! Reading ahead on a second thread: a zip member inflates there while this thread
//! parses what has already arrived. On a large sheet inflating is a tenth of the work,
//! and the machines this runs on have at least two cores.

use std::io::{self, BufRead, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread;

const CHUNK: usize = 256 << 10;
/// Chunks in flight: enough to ride over uneven parsing, small enough to keep memory
/// flat (a few MiB whatever the member's size).
const DEPTH: usize = 4;

/// Runs `consume` on a reader fed by `source` read on a scoped thread. If `consume`
/// returns early, the thread stops at its next chunk.
pub(crate) fn read_ahead<S, T>(source: S, consume: impl FnOnce(&mut ReadAhead) -> T) -> T
where
    S: Read + Send,
{
    let (full_tx, full_rx) = sync_channel::<io::Result<Vec<u8>>>(DEPTH);
    let (empty_tx, empty_rx) = sync_channel::<Vec<u8>>(DEPTH + 2);
    thread::scope(|scope| {
        scope.spawn(move || fill(source, &full_tx, &empty_rx));
        let mut reader = ReadAhead {
            rx: full_rx,
            recycle: empty_tx,
            chunk: Vec::new(),
            pos: 0,
            done: false,
        };
        consume(&mut reader)
        // `reader` drops here, so a producer still running sees its channel close.
    })
}

fn fill<S: Read>(mut source: S, full: &SyncSender<io::Result<Vec<u8>>>, empty: &Receiver<Vec<u8>>) {
    loop {
        let mut chunk = empty
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        chunk.resize(CHUNK, 0);
        let mut filled = 0;
        let result = loop {
            match source.read(&mut chunk[filled..]) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    filled += n;
                    if filled == CHUNK {
                        break Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        chunk.truncate(filled);
        let last = filled < CHUNK || result.is_err();
        let message = match result {
            Ok(()) if filled == 0 => return,
            Ok(()) => Ok(chunk),
            Err(e) => Err(e),
        };
        if full.send(message).is_err() || last {
            return;
        }
    }
}

/// The consuming end: a [`BufRead`] over the chunks as they arrive.
pub(crate) struct ReadAhead {
    rx: Receiver<io::Result<Vec<u8>>>,
    recycle: SyncSender<Vec<u8>>,
    chunk: Vec<u8>,
    pos: usize,
    done: bool,
}

impl BufRead for ReadAhead {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.chunk.len() && !self.done {
            match self.rx.recv() {
                Ok(Ok(next)) => {
                    let used = std::mem::replace(&mut self.chunk, next);
                    // Full or gone, the producer allocates instead: no harm.
                    let _ = self.recycle.try_send(used);
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => self.done = true,
            }
        }
        Ok(&self.chunk[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.chunk.len());
    }
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_arrives_in_order() {
        let data: Vec<u8> = (0..(CHUNK * 3 + 17)).map(|i| (i % 251) as u8).collect();
        let got = read_ahead(&data[..], |r| {
            let mut out = Vec::new();
            r.read_to_end(&mut out).expect("in memory");
            out
        });
        assert_eq!(got, data);
        let empty = read_ahead(&[][..], |r| r.fill_buf().expect("in memory").len());
        assert_eq!(empty, 0);
    }

    #[test]
    fn an_error_is_passed_on_and_an_early_stop_ends_the_thread() {
        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("bad block"));
                }
                self.0 -= 1;
                out[0] = b'x';
                Ok(1)
            }
        }
        let err = read_ahead(Failing(3), |r| r.read_to_end(&mut Vec::new())).expect_err("fails");
        assert_eq!(err.to_string(), "bad block");
        // An endless source: returning early must not hang.
        let first = read_ahead(io::repeat(7), |r| r.fill_buf().expect("endless")[0]);
        assert_eq!(first, 7);
    }
}
