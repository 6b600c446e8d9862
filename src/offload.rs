//! Running one sink on a second thread, so a slow sink (the security screen) does not
//! slow the conversion it shares a pass with.
//!
//! The reader thread copies each row into a batch (text into one shared buffer, so a
//! batch costs a few allocations, not one per cell) and hands full batches to the
//! worker, which rebuilds the rows and pushes them into its sink. On a machine with a
//! second core the sink's cost leaves the critical path.
//!
//! The worker hands each emptied batch back, and the reader fills it again: a fresh
//! batch would grow its buffers from nothing (copying as they double) and fault in new
//! pages every time, which cost the reader thread more than the copying itself.

use std::io;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::{Scope, ScopedJoinHandle};

use crate::table::{Row, TableInfo, TableSink, TextRow, Value};

/// Rows per batch handed to the worker: few enough that the batches in flight stay in
/// cache (the reader writes what the worker reads next), enough that the hand-over
/// cost (a channel send, perhaps a wake-up) is spread thin.
const BATCH_ROWS: usize = 512;

/// Batches waiting for the worker, at most: 16 × 512 rows, a few megabytes.
const QUEUED_BATCHES: usize = 16;

/// Text bytes after which a batch goes early, so that rows of long texts do not make
/// batches, and so memory, grow without bound.
const BATCH_TEXT_BYTES: usize = 1 << 20;

/// One cell of a batch, in 8 bytes (most of a batch is its cells, and each is written by
/// one core and read by the other). A text cell is where its bytes end in the batch's
/// `text`; they start where the previous text cell's ended. Any other cell is its index
/// in `others` with the top bit set (no text reaches 2^63 bytes: Rust caps allocations at
/// `isize::MAX`).
#[derive(Clone, Copy)]
struct Slot(usize);

const OTHER: usize = 1 << (usize::BITS - 1);

#[derive(Default)]
struct Batch {
    text: String,
    slots: Vec<Slot>,
    others: Vec<Value>,
    /// Each row's number and cell count.
    rows: Vec<(u64, usize)>,
}

impl Batch {
    fn clear(&mut self) {
        self.text.clear();
        self.slots.clear();
        self.others.clear();
        self.rows.clear();
    }
}

enum Msg {
    Begin(TableInfo),
    Rows(Batch),
    End,
}

/// A sink whose work happens on a scoped thread; [`Offload::finish`] returns it.
pub struct Offload<'scope, S: TableSink + Send + 'scope> {
    tx: SyncSender<Msg>,
    /// Emptied batches coming back from the worker.
    spare: Receiver<Batch>,
    batch: Batch,
    worker: ScopedJoinHandle<'scope, io::Result<S>>,
}

impl<'scope, S: TableSink + Send + 'scope> Offload<'scope, S> {
    /// Moves `sink` onto a new thread of `scope`.
    pub fn spawn<'env>(scope: &'scope Scope<'scope, 'env>, mut sink: S) -> Self {
        // The queue bounds the memory (the reader waits if the worker lags) and absorbs
        // the worker's pauses: on a busy machine it loses its core for a time slice now
        // and then, and a short queue would stall the reader with it.
        let (tx, rx) = sync_channel::<Msg>(QUEUED_BATCHES);
        // Room for every batch there can be (one filling, the queue, one in the worker),
        // so handing one back never blocks.
        let (give_back, spare) = sync_channel::<Batch>(QUEUED_BATCHES + 2);
        let worker = scope.spawn(move || {
            let mut cells: Vec<Value> = Vec::new();
            for msg in rx {
                match msg {
                    Msg::Begin(info) => sink.begin(&info)?,
                    Msg::Rows(mut batch) => {
                        let (mut at, mut text_at) = (0, 0);
                        for &(number, n) in &batch.rows {
                            cells.resize(n, Value::Empty);
                            for (cell, &Slot(s)) in cells.iter_mut().zip(&batch.slots[at..at + n]) {
                                if s & OTHER != 0 {
                                    let other = &mut batch.others[s & !OTHER];
                                    *cell = std::mem::replace(other, Value::Empty);
                                    continue;
                                }
                                let text = &batch.text[text_at..s];
                                text_at = s;
                                match cell {
                                    // Reuse the text buffer a cell had in the last row.
                                    Value::Text(buf) => {
                                        buf.clear();
                                        buf.push_str(text);
                                    }
                                    cell => *cell = Value::Text(text.to_string()),
                                }
                            }
                            at += n;
                            sink.row(Row {
                                number,
                                cells: &cells,
                            })?;
                        }
                        batch.clear();
                        // The reader may be gone (it stopped early); the batch is then
                        // simply dropped.
                        let _ = give_back.try_send(batch);
                    }
                    Msg::End => sink.end()?,
                }
            }
            Ok(sink)
        });
        Offload {
            tx,
            spare,
            batch: Batch::default(),
            worker,
        }
    }

    fn send(&mut self, msg: Msg) -> io::Result<()> {
        // A closed channel means the worker stopped on an error; `finish` reports it.
        self.tx
            .send(msg)
            .map_err(|_| io::Error::other("the offloaded sink stopped"))
    }

    /// Sends the batch once it is full.
    fn full(&mut self) -> io::Result<()> {
        let b = &self.batch;
        if b.rows.len() >= BATCH_ROWS || b.text.len() >= BATCH_TEXT_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.batch.rows.is_empty() {
            return Ok(());
        }
        let next = self.spare.try_recv().unwrap_or_default();
        let full = std::mem::replace(&mut self.batch, next);
        self.send(Msg::Rows(full))
    }

    /// Waits for the worker and hands back the sink.
    ///
    /// # Errors
    /// The sink failed, or its thread panicked.
    pub fn finish(self) -> io::Result<S> {
        drop(self.tx);
        self.worker
            .join()
            .map_err(|_| io::Error::other("the offloaded sink panicked"))?
    }
}

impl<'scope, S: TableSink + Send + 'scope> TableSink for Offload<'scope, S> {
    fn begin(&mut self, info: &TableInfo) -> io::Result<()> {
        self.send(Msg::Begin(info.clone()))
    }

    fn row(&mut self, row: Row<'_>) -> io::Result<()> {
        let b = &mut self.batch;
        b.slots.reserve(row.cells.len());
        for v in row.cells {
            let slot = match v {
                Value::Text(t) => {
                    b.text.push_str(t);
                    Slot(b.text.len())
                }
                other => {
                    b.others.push(other.clone());
                    Slot(OTHER | (b.others.len() - 1))
                }
            };
            b.slots.push(slot);
        }
        b.rows.push((row.number, row.cells.len()));
        self.full()
    }

    /// One copy of the row's text, where `row` makes one per cell: on a 1M-row CSV the
    /// per-cell copies were most of what the screen cost the reading thread.
    fn text_row(&mut self, row: TextRow<'_>) -> io::Result<()> {
        debug_assert!(
            row.cells.is_none_or(|cells| cells == row.values()),
            "a TextRow's cells are its text's pieces"
        );
        let b = &mut self.batch;
        let base = b.text.len();
        b.text
            .push_str(&row.text[..row.ends.last().copied().unwrap_or(0)]);
        b.slots.reserve(row.ends.len());
        let mut start = 0;
        for &end in row.ends {
            if end == start {
                b.others.push(Value::Empty);
                b.slots.push(Slot(OTHER | (b.others.len() - 1)));
            } else {
                b.slots.push(Slot(base + end));
            }
            start = end;
        }
        b.rows.push((row.number, row.ends.len()));
        self.full()
    }

    fn takes_text(&self) -> bool {
        true
    }

    fn end(&mut self) -> io::Result<()> {
        self.flush()?;
        self.send(Msg::End)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Collect;

    #[test]
    fn the_offloaded_sink_sees_every_row_as_sent() {
        let info = TableInfo {
            headers: vec!["a".into(), "b".into()],
            ..Default::default()
        };
        // Rows of varying width, empty texts, values of every kind between texts, and now
        // and then a text long enough to send its batch early: the worker must rebuild
        // each row exactly, across batches and with batches reused.
        let rows: Vec<Vec<Value>> = (0..5000)
            .map(|i| {
                let mut r = vec![Value::Text(format!("t{i}é")), Value::Int(i)];
                if i % 3 == 0 {
                    r.push(Value::Text(String::new()));
                    r.push(Value::Float(i as f64 / 7.0));
                }
                if i % 5 == 0 {
                    r.push(Value::Empty);
                    r.push(Value::Text("x".repeat(if i % 1000 == 0 {
                        300_000
                    } else {
                        3
                    })));
                }
                if i % 7 == 0 {
                    r.truncate(1);
                }
                r
            })
            .collect();
        let collected = std::thread::scope(|scope| {
            let mut off = Offload::spawn(scope, Collect::default());
            off.begin(&info).unwrap();
            for (i, r) in rows.iter().enumerate() {
                off.row(Row {
                    number: i as u64 + 2,
                    cells: r,
                })
                .unwrap();
            }
            off.end().unwrap();
            off.finish().unwrap()
        });
        assert_eq!(collected.info, info);
        assert_eq!(collected.rows.len(), rows.len());
        for (i, (got, want)) in collected.rows.iter().zip(&rows).enumerate() {
            assert_eq!(got, &(i as u64 + 2, want.clone()), "row {i}");
        }
    }

    /// A CSV read through the offload (whole-text rows, one copy each) reaches the
    /// offloaded sink exactly as it reaches a sink directly: short rows padded, empty
    /// cells between texts, accents, quoted delimiters and line breaks, big batches.
    #[test]
    fn csv_rows_handed_over_whole_arrive_as_read() {
        let mut csv = String::from("a,b,c,d\n");
        for i in 0..3000 {
            match i % 4 {
                0 => csv.push_str(&format!("{i},été,\"x, \"\"y\"\"\",\n")),
                1 => csv.push_str(&format!(",,{i},\"ligne 1\nligne 2\"\n")),
                2 => csv.push_str(&format!("{i}\n")),
                _ => csv.push_str(&format!("{},,,z\n", "w".repeat(i % 700))),
            }
        }
        let read = |sink: &mut dyn TableSink| {
            crate::read::read_table(
                crate::read::Format::Csv,
                "t.csv",
                std::io::Cursor::new(csv.as_bytes()),
                &crate::read::ReadOptions::default(),
                sink,
            )
            .unwrap();
        };
        let mut direct = Collect::default();
        read(&mut direct);
        let offloaded = std::thread::scope(|scope| {
            let mut off = Offload::spawn(scope, Collect::default());
            read(&mut off);
            off.finish().unwrap()
        });
        assert_eq!(direct.rows.len(), 3000);
        assert!(direct.rows.iter().any(|(_, r)| r[1] == Value::Empty));
        assert_eq!(offloaded, direct);
    }
}
