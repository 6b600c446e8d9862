//! The sheet part inflated and parsed on a second thread, handed over in batches of
//! cells. Inflating and parsing XML are two thirds of a conversion's work; building
//! values and writing the outputs are the rest, so on two cores the two halves overlap.

use std::io::{BufReader, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread;

use super::sheet::{Cell, Cells, Malformed, Raw};
use crate::read::shape::Bounds;

/// Cells per batch: large enough that handing over costs nothing per cell, small enough
/// that memory stays flat (a batch is under a megabyte of typical cells).
const BATCH: usize = 8192;
/// Batches in flight each way.
const DEPTH: usize = 4;

#[derive(Default)]
struct Batch {
    cells: Vec<Cell>,
    /// Each cell's text in `text` (empty for numbers and booleans).
    spans: Vec<(usize, usize)>,
    text: String,
}

impl Batch {
    fn clear(&mut self) {
        self.cells.clear();
        self.spans.clear();
        self.text.clear();
    }

    fn push(&mut self, cell: Cell, text: &str) {
        let start = self.text.len();
        if matches!(cell.raw, Raw::Text | Raw::Error | Raw::Iso) {
            self.text.push_str(text);
        }
        self.cells.push(cell);
        self.spans.push((start, self.text.len()));
    }
}

/// Runs `consume` on the cells of `source` (a worksheet part), parsed on a scoped
/// thread. If `consume` returns early, the thread stops at its next batch.
pub(super) fn parse_on_thread<S: Read + Send, T>(
    source: S,
    consume: impl FnOnce(&mut Feed) -> T,
) -> T {
    let (full_tx, full_rx) = sync_channel(DEPTH);
    let (empty_tx, empty_rx) = sync_channel(DEPTH + 2);
    let (head_tx, head_rx) = sync_channel(1);
    thread::scope(|scope| {
        scope.spawn(move || produce(source, &head_tx, &full_tx, &empty_rx));
        let (dimension, failed) = match head_rx.recv() {
            Ok(Ok(dimension)) => (dimension, None),
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
            dimension,
        };
        consume(&mut feed)
    })
}

type Head = Result<Option<Bounds>, Malformed>;

fn produce<S: Read>(
    source: S,
    head: &SyncSender<Head>,
    full: &SyncSender<Result<Batch, Malformed>>,
    empty: &Receiver<Batch>,
) {
    let xml = quick_xml::Reader::from_reader(BufReader::with_capacity(64 << 10, source));
    let mut cells = match Cells::open(xml) {
        Ok(cells) => cells,
        Err(m) => {
            let _ = head.send(Err(m));
            return;
        }
    };
    if head.send(Ok(cells.dimension)).is_err() {
        return;
    }
    loop {
        let mut batch = empty.try_recv().unwrap_or_default();
        batch.clear();
        let end = loop {
            match cells.next() {
                Ok(Some(cell)) => {
                    batch.push(cell, &cells.text);
                    if batch.cells.len() == BATCH {
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

/// The consuming end: cells in document order.
pub(super) struct Feed {
    rx: Receiver<Result<Batch, Malformed>>,
    recycle: SyncSender<Batch>,
    batch: Batch,
    pos: usize,
    failed: Option<Malformed>,
    done: bool,
    /// The sheet's declared used range, when it has one before its cells.
    pub dimension: Option<Bounds>,
}

impl Feed {
    pub fn next(&mut self) -> Result<Option<Cell>, Malformed> {
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
