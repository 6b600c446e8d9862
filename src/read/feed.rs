//! A workbook part inflated and parsed on a second thread, handed over in batches of
//! cells. Inflating and parsing XML are two thirds of a conversion's work; building
//! values and writing the outputs are the rest, so on two cores the two halves overlap.
//!
//! The xlsx and ods readers share this: each brings a [`CellParser`] for its part's
//! XML, and reads the cells back through a [`Feed`].

use std::io::{BufRead, BufReader, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread;

/// Cells per batch: large enough that handing over costs nothing per cell, small enough
/// that memory stays flat (a batch is under a megabyte of typical cells).
const BATCH: usize = 8192;
/// Text per batch, past which a batch goes early: a cell repeated many times may carry
/// a long text each time.
const BATCH_TEXT: usize = 4 << 20;
/// Batches in flight each way.
const DEPTH: usize = 4;
/// Inflated bytes per chunk when inflating has a thread of its own ([`Inflate::Apart`]).
const CHUNK: usize = 256 << 10;

/// Why a part could not be read: the byte offset in the part and what was wrong.
#[derive(Debug)]
pub(crate) struct Malformed {
    pub at: u64,
    pub detail: String,
}

/// A part's cells in document order, on the parsing thread.
pub(crate) trait CellParser {
    type Cell: Copy + Send;
    /// What the consumer learns before the first cell (xlsx: the declared dimension).
    type Head: Send;

    fn head(&mut self) -> Self::Head;
    fn next(&mut self) -> Result<Option<Self::Cell>, Malformed>;
    /// The text of `cell`, the cell [`CellParser::next`] returned last, when its value
    /// is text-like (numbers and booleans carry none).
    fn text(&self, cell: &Self::Cell) -> Option<&str>;
}

/// Where the part is inflated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inflate {
    /// On the parsing thread: enough when parsing is cheap next to building values.
    WithParsing,
    /// On a third thread: for a verbose part (ods writes two to three times the XML of
    /// xlsx for the same cells), where inflating and parsing together would leave the
    /// consuming thread waiting.
    Apart,
}

struct Batch<C> {
    cells: Vec<C>,
    /// Each cell's text in `text` (empty for numbers and booleans).
    spans: Vec<(usize, usize)>,
    text: String,
}

impl<C> Default for Batch<C> {
    fn default() -> Self {
        Batch {
            cells: Vec::new(),
            spans: Vec::new(),
            text: String::new(),
        }
    }
}

impl<C> Batch<C> {
    fn clear(&mut self) {
        self.cells.clear();
        self.spans.clear();
        self.text.clear();
    }

    fn push(&mut self, cell: C, text: Option<&str>) {
        let start = self.text.len();
        if let Some(text) = text {
            self.text.push_str(text);
        }
        self.cells.push(cell);
        self.spans.push((start, self.text.len()));
    }
}

/// A part's bytes as the parser reads them: buffered, or chunks from the inflating
/// thread.
pub(crate) enum PartBytes<S> {
    Buffered(BufReader<S>),
    Chunks(Chunks),
}

impl<S: Read> Read for PartBytes<S> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        match self {
            PartBytes::Buffered(b) => b.read(out),
            PartBytes::Chunks(c) => c.read(out),
        }
    }
}

impl<S: Read> BufRead for PartBytes<S> {
    #[inline]
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        match self {
            PartBytes::Buffered(b) => b.fill_buf(),
            PartBytes::Chunks(c) => c.fill_buf(),
        }
    }

    #[inline]
    fn consume(&mut self, n: usize) {
        match self {
            PartBytes::Buffered(b) => b.consume(n),
            PartBytes::Chunks(c) => c.consume(n),
        }
    }
}

/// Runs `consume` on the cells of `source` (a part), parsed by the parser `open` makes,
/// on a scoped thread. If `consume` returns early, the thread stops at its next batch.
pub(crate) fn parse_on_thread<S, P, T>(
    source: S,
    inflate: Inflate,
    open: impl FnOnce(quick_xml::Reader<PartBytes<S>>) -> Result<P, Malformed> + Send,
    consume: impl FnOnce(&mut Feed<P::Cell, P::Head>) -> T,
) -> T
where
    S: Read + Send,
    P: CellParser,
{
    let (full_tx, full_rx) = sync_channel(DEPTH);
    let (empty_tx, empty_rx) = sync_channel(DEPTH + 2);
    let (head_tx, head_rx) = sync_channel(1);
    thread::scope(|scope| {
        let bytes = match inflate {
            Inflate::WithParsing => PartBytes::Buffered(BufReader::with_capacity(64 << 10, source)),
            Inflate::Apart => {
                let (chunk_tx, chunk_rx) = sync_channel(DEPTH);
                let (spare_tx, spare_rx) = sync_channel(DEPTH + 2);
                scope.spawn(move || inflate_apart(source, &chunk_tx, &spare_rx));
                PartBytes::Chunks(Chunks {
                    rx: chunk_rx,
                    spare: spare_tx,
                    chunk: Vec::new(),
                    pos: 0,
                    failed: None,
                })
            }
        };
        scope.spawn(move || produce(bytes, open, &head_tx, &full_tx, &empty_rx));
        let (head, failed) = match head_rx.recv() {
            Ok(Ok(head)) => (Some(head), None),
            Ok(Err(m)) => (None, Some(m)),
            Err(_) => (None, None),
        };
        let mut feed = Feed {
            rx: full_rx,
            recycle: empty_tx,
            batch: Batch::default(),
            pos: 0,
            failed,
            done: false,
            head,
        };
        consume(&mut feed)
    })
}

fn produce<S: Read, P: CellParser>(
    bytes: PartBytes<S>,
    open: impl FnOnce(quick_xml::Reader<PartBytes<S>>) -> Result<P, Malformed>,
    head: &SyncSender<Result<P::Head, Malformed>>,
    full: &SyncSender<Result<Batch<P::Cell>, Malformed>>,
    empty: &Receiver<Batch<P::Cell>>,
) {
    let mut parser = match open(quick_xml::Reader::from_reader(bytes)) {
        Ok(parser) => parser,
        Err(m) => {
            let _ = head.send(Err(m));
            return;
        }
    };
    if head.send(Ok(parser.head())).is_err() {
        return;
    }
    loop {
        let mut batch = empty.try_recv().unwrap_or_default();
        batch.clear();
        let end = loop {
            match parser.next() {
                Ok(Some(cell)) => {
                    batch.push(cell, parser.text(&cell));
                    if batch.cells.len() == BATCH || batch.text.len() > BATCH_TEXT {
                        break None;
                    }
                }
                Ok(None) => break Some(Ok(())),
                Err(m) => break Some(Err(m)),
            }
        };
        // The cells before an error are good: they go first.
        if full.send(Ok(batch)).is_err() {
            return;
        }
        match end {
            None => {}
            Some(Ok(())) => return,
            Some(Err(m)) => {
                let _ = full.send(Err(m));
                return;
            }
        }
    }
}

/// Reads `source` in chunks on its own thread. An error ends the stream with it.
fn inflate_apart<S: Read>(
    mut source: S,
    chunks: &SyncSender<std::io::Result<Vec<u8>>>,
    spare: &Receiver<Vec<u8>>,
) {
    loop {
        // A recycled chunk is full length already: no zeroing again.
        let mut chunk = spare.try_recv().unwrap_or_default();
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
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        chunk.truncate(filled);
        let last = filled < CHUNK || result.is_err();
        if filled > 0 && chunks.send(Ok(chunk)).is_err() {
            return;
        }
        if let Err(e) = result {
            let _ = chunks.send(Err(e));
            return;
        }
        if last {
            return;
        }
    }
}

/// The parsing end of [`inflate_apart`]: the chunks as one stream of bytes.
pub(crate) struct Chunks {
    rx: Receiver<std::io::Result<Vec<u8>>>,
    spare: SyncSender<Vec<u8>>,
    chunk: Vec<u8>,
    pos: usize,
    failed: Option<std::io::Error>,
}

impl Read for Chunks {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Chunks {
    #[inline]
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.pos < self.chunk.len() {
            return Ok(&self.chunk[self.pos..]);
        }
        self.next_chunk()?;
        Ok(&self.chunk[self.pos..])
    }

    #[inline]
    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.chunk.len());
    }
}

impl Chunks {
    /// Waits for the next chunk; at the end of the part the current one stays empty.
    #[cold]
    fn next_chunk(&mut self) -> std::io::Result<()> {
        while self.pos == self.chunk.len() {
            if let Some(e) = self.failed.take() {
                return Err(e);
            }
            match self.rx.recv() {
                Ok(Ok(next)) => {
                    let used = std::mem::replace(&mut self.chunk, next);
                    // Full or gone, the inflating thread allocates instead: no harm.
                    let _ = self.spare.try_send(used);
                    self.pos = 0;
                }
                Ok(Err(e)) => self.failed = Some(e),
                // The end of the part.
                Err(_) => return Ok(()),
            }
        }
        Ok(())
    }
}

/// The consuming end: cells in document order.
pub(crate) struct Feed<C, H> {
    rx: Receiver<Result<Batch<C>, Malformed>>,
    recycle: SyncSender<Batch<C>>,
    batch: Batch<C>,
    pos: usize,
    failed: Option<Malformed>,
    done: bool,
    /// What the parser said before its first cell; `None` when it failed first.
    pub head: Option<H>,
}

impl<C: Copy, H> Feed<C, H> {
    pub fn next(&mut self) -> Result<Option<C>, Malformed> {
        if let Some(m) = self.failed.take() {
            self.done = true;
            return Err(m);
        }
        loop {
            if let Some(cell) = self.batch.cells.get(self.pos) {
                self.pos += 1;
                return Ok(Some(*cell));
            }
            if self.done {
                return Ok(None);
            }
            match self.rx.recv() {
                Ok(Ok(next)) => {
                    let used = std::mem::replace(&mut self.batch, next);
                    // Full or gone, the producer allocates instead: no harm.
                    let _ = self.recycle.try_send(used);
                    self.pos = 0;
                }
                Ok(Err(m)) => {
                    self.done = true;
                    return Err(m);
                }
                Err(_) => self.done = true,
            }
        }
    }

    /// The text of the cell [`Feed::next`] returned last.
    pub fn text(&self) -> &str {
        let (a, b) = self
            .pos
            .checked_sub(1)
            .and_then(|i| self.batch.spans.get(i))
            .copied()
            .unwrap_or((0, 0));
        &self.batch.text[a..b]
    }
}
