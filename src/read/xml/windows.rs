//! The document as a series of windows that each end where markup starts, so that
//! quick-xml's slice reader can parse a file of any size in constant memory.
//!
//! The slice reader borrows every event from its input; the buffered reader copies
//! each one into a buffer first, which makes a bare pass over a large file about 1.4 ×
//! slower (`xml_pass --chunked`, `BENCHMARKS.md`). A window ends just before its last
//! `<`, so its last text is whole (text cannot hold a `<`) and no reference is split.
//! Markup that the cut leaves unclosed (a comment, CDATA section or tag holding a `<`,
//! or one longer than a window) fails with quick-xml's "input ended inside markup"
//! error; the reader then carries that markup over into the next, larger, window.
//!
//! Windows come from a stream ([`Windows`], read into a buffer) or from a document held
//! whole ([`InPlaceWindows`], a mapped file: slices of it, with nothing read or copied).
//! Both cut at the same places, so a document parses the same either way.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender};

use crate::read::InPlace;

/// How much is read at a time: big enough that windows are few, small enough to stay
/// in cache while parsed.
pub(super) const WINDOW: usize = 256 << 10;

/// A document in windows, however it is held.
pub(super) trait Source {
    /// The current window, its offset in the document, and whether it is the last.
    fn window(&self) -> (&[u8], u64, bool);
    /// The window's first `done` bytes are parsed; the rest of it starts the next one.
    fn advance(&mut self, done: usize) -> io::Result<()>;
}

/// Where a window of `held` ends (just before its last `<` after the first byte), or
/// `None` when more must be held first.
fn cut(held: &[u8]) -> Option<usize> {
    held.get(1..)
        .and_then(|b| memchr::memrchr(b'<', b))
        .map(|i| i + 1)
}

/// How much more to hold: while markup is carried over, at least as much as is held,
/// so a long comment is read in linear time.
fn more(size: usize, held: usize) -> usize {
    size.max(held)
}

pub(super) struct Windows<R> {
    source: R,
    /// What is read and not yet parsed is `buf[..filled]`. The rest is room that stays
    /// initialised from window to window (`read_to_end` would zero it every time).
    buf: Vec<u8>,
    filled: usize,
    /// The document offset of `buf[0]`.
    base: u64,
    /// The end of the current window in `buf`.
    cut: usize,
    eof: bool,
    size: usize,
}

impl<R: Read> Windows<R> {
    /// The first window of `source`, read `size` bytes at a time.
    pub fn new(source: R, size: usize) -> io::Result<Self> {
        let mut w = Windows {
            source,
            buf: Vec::new(),
            filled: 0,
            base: 0,
            cut: 0,
            eof: false,
            size: size.max(1),
        };
        w.fill()?;
        Ok(w)
    }

    pub fn into_inner(self) -> R {
        self.source
    }

    /// Reads until the window holds a `<` after its first byte (where carried markup
    /// starts), or the document ends.
    fn fill(&mut self) -> io::Result<()> {
        loop {
            if !self.eof {
                let want = more(self.size, self.filled);
                let end = self.filled + want;
                if self.buf.len() < end {
                    self.buf.resize(end, 0);
                }
                let start = self.filled;
                while self.filled < end {
                    match self.source.read(&mut self.buf[self.filled..end]) {
                        Ok(0) => break,
                        Ok(n) => self.filled += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                self.eof = self.filled - start < want;
            }
            if self.eof {
                self.cut = self.filled;
                return Ok(());
            }
            if let Some(cut) = cut(&self.buf[..self.filled]) {
                self.cut = cut;
                return Ok(());
            }
        }
    }
}

impl<R: Read> Source for Windows<R> {
    fn window(&self) -> (&[u8], u64, bool) {
        let last = self.eof && self.cut == self.filled;
        (&self.buf[..self.cut], self.base, last)
    }

    fn advance(&mut self, done: usize) -> io::Result<()> {
        self.buf.copy_within(done..self.filled, 0);
        self.filled -= done;
        self.base += done as u64;
        self.fill()
    }
}

/// Windows that are slices of a document held whole. Each parsed stretch is handed
/// back ([`InPlace::done_before`]), so a mapped file's pages do not pile up in memory,
/// and where the parse stands goes to [`warm`].
pub(super) struct InPlaceWindows<'a> {
    doc: &'a dyn InPlace,
    progress: SyncSender<usize>,
    /// The window is `doc[base..cut]`; `doc[base..held]` is what a stream would hold.
    base: usize,
    cut: usize,
    held: usize,
    size: usize,
}

impl<'a> InPlaceWindows<'a> {
    pub fn new(doc: &'a dyn InPlace, size: usize, progress: SyncSender<usize>) -> Self {
        let mut w = InPlaceWindows {
            doc,
            progress,
            base: 0,
            cut: 0,
            held: 0,
            size: size.max(1),
        };
        w.fill();
        w
    }

    fn fill(&mut self) {
        let doc = self.doc.bytes();
        loop {
            self.held = doc
                .len()
                .min(self.held + more(self.size, self.held - self.base));
            if self.held == doc.len() {
                self.cut = self.held;
                return;
            }
            if let Some(cut) = cut(&doc[self.base..self.held]) {
                self.cut = self.base + cut;
                return;
            }
        }
    }
}

impl Source for InPlaceWindows<'_> {
    fn window(&self) -> (&[u8], u64, bool) {
        let doc = self.doc.bytes();
        let last = self.cut == doc.len();
        (&doc[self.base..self.cut], self.base as u64, last)
    }

    fn advance(&mut self, done: usize) -> io::Result<()> {
        self.base += done;
        self.doc.done_before(self.base);
        // Full: the warm-up has yet to take the last; it will catch up.
        let _ = self.progress.try_send(self.base);
        self.fill();
        Ok(())
    }
}

/// How far ahead of the parse [`warm`] reads: well ahead of a window, well inside the
/// last-level cache.
const WARM_AHEAD: usize = 8 << 20;

/// Reads a document held whole ahead of its parse, one byte per cache line, up to
/// [`WARM_AHEAD`] past where the parse last reported (`parsed_to`); ends when the
/// parse stops reporting, or at the end.
///
/// Why: the first read of a mapped file's bytes waits on memory (and, once per page, on
/// the kernel to map it). Done here, on the other core, that wait is off the parse;
/// a conversion of 1M rows took 1.6 s with this and 2.1 s without (`BENCHMARKS.md`).
/// A stream's bytes arrive in cache anyway, copied there by the reading thread.
pub(super) fn warm(doc: &[u8], parsed_to: Receiver<usize>) {
    const LINE: usize = 64;
    let (mut at, mut parsed) = (0, 0);
    while at < doc.len() {
        let end = doc.len().min(parsed + WARM_AHEAD).min(at + (1 << 20));
        if at < end {
            let x = doc[at..end].iter().step_by(LINE).fold(0u8, |x, &b| x ^ b);
            std::hint::black_box(x);
            at = end;
            while let Ok(p) = parsed_to.try_recv() {
                parsed = p;
            }
            continue;
        }
        match parsed_to.recv() {
            Ok(p) => parsed = p,
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &[u8] = b"<r><a>text &amp; more</a><!-- a < b --><b x='1'/></r>\n";

    /// Walks `w`'s windows, each parsed whole: every window but the last ends just
    /// before a `<`, and together they are `doc`.
    fn assert_covers(w: &mut impl Source, doc: &[u8], size: usize) {
        let mut seen = Vec::new();
        loop {
            let (window, base, last) = w.window();
            assert_eq!(base as usize, seen.len());
            seen.extend_from_slice(window);
            if last {
                break;
            }
            assert_eq!(doc.get(seen.len()), Some(&b'<'), "size {size}");
            let n = window.len();
            w.advance(n).unwrap();
        }
        assert_eq!(seen, doc, "size {size}");
    }

    #[test]
    fn windows_cover_the_input_and_end_before_markup() {
        for size in 1..=DOC.len() + 1 {
            assert_covers(&mut Windows::new(DOC, size).unwrap(), DOC, size);
        }
    }

    /// In place, windows cut as a stream's do (the last may hold more: the whole rest).
    #[test]
    fn in_place_windows_cover_the_input_and_end_before_markup() {
        for size in 1..=DOC.len() + 1 {
            let (tx, _rx) = std::sync::mpsc::sync_channel(1);
            assert_covers(&mut InPlaceWindows::new(&DOC, size, tx), DOC, size);
        }
    }

    /// The warm-up stops when the parse stops reporting, and at the end of the document.
    #[test]
    fn the_warm_up_ends_with_the_parse_or_the_document() {
        let doc = vec![7u8; 3 * WARM_AHEAD + 5];
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        std::thread::scope(|s| {
            let t = s.spawn(|| warm(&doc, rx));
            tx.send(WARM_AHEAD).unwrap();
            drop(tx);
            t.join().unwrap();
        });
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        std::thread::scope(|s| {
            let t = s.spawn(|| warm(&doc, rx));
            tx.send(doc.len()).unwrap();
            // Past the end it returns on its own, with the sender still here.
            t.join().unwrap();
            drop(tx);
        });
    }

    /// A window that ends inside a comment (the cut falls on a `<` in it): the parser
    /// stops where the comment starts, and the next window carries it whole.
    #[test]
    fn cut_markup_is_carried_into_the_next_window() {
        let doc = b"<r><!-- a < b --></r>";
        let mut w = Windows::new(&doc[..], 12).unwrap();
        let (window, base, last) = w.window();
        assert_eq!((window, base, last), (&b"<r><!-- a "[..], 0, false));
        w.advance(3).unwrap();
        let (window, base, last) = w.window();
        assert_eq!((window, base, last), (&doc[3..], 3, true));
    }
}
