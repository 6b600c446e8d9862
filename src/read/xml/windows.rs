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

use std::io::{self, Read};

/// How much is read at a time: big enough that windows are few, small enough to stay
/// in cache while parsed.
pub(super) const WINDOW: usize = 256 << 10;

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

    /// The current window, its offset in the document, and whether it is the last.
    pub fn window(&self) -> (&[u8], u64, bool) {
        let last = self.eof && self.cut == self.filled;
        (&self.buf[..self.cut], self.base, last)
    }

    /// The window's first `done` bytes are parsed; the rest of it starts the next one.
    pub fn advance(&mut self, done: usize) -> io::Result<()> {
        self.buf.copy_within(done..self.filled, 0);
        self.filled -= done;
        self.base += done as u64;
        self.fill()
    }

    pub fn into_inner(self) -> R {
        self.source
    }

    /// Reads until the window holds a `<` after its first byte (where carried markup
    /// starts), or the document ends. While markup is carried over, each read is at
    /// least as large as what is held, so a long comment is read in linear time.
    fn fill(&mut self) -> io::Result<()> {
        loop {
            if !self.eof {
                let want = self.size.max(self.filled);
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
            let held = &self.buf[..self.filled];
            if let Some(i) = held.get(1..).and_then(|b| memchr::memrchr(b'<', b)) {
                self.cut = i + 1;
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every window but the last ends just before a `<`; together they are the input.
    #[test]
    fn windows_cover_the_input_and_end_before_markup() {
        let doc = b"<r><a>text &amp; more</a><!-- a < b --><b x='1'/></r>\n";
        for size in 1..=doc.len() + 1 {
            let mut w = Windows::new(&doc[..], size).unwrap();
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
