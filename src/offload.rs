//! Running one sink on a second thread, so a slow sink (the security screen) does not
//! slow the conversion it shares a pass with.
//!
//! The reader thread copies each row into a batch (text into one shared buffer, so a
//! batch costs a few allocations, not one per cell) and hands full batches to the
//! worker, which rebuilds the rows and pushes them into its sink. On a machine with a
//! second core the sink's cost leaves the critical path.

use std::io;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::{Scope, ScopedJoinHandle};

use crate::table::{Row, TableInfo, TableSink, Value};

/// Rows per batch handed to the worker.
const BATCH_ROWS: usize = 2048;

enum Cell {
    /// A text cell: its byte range in the batch's text buffer.
    Text(usize, usize),
    Other(Value),
}

#[derive(Default)]
struct Batch {
    text: String,
    cells: Vec<Cell>,
    /// Each row's number and cell count.
    rows: Vec<(u64, usize)>,
}

enum Msg {
    Begin(TableInfo),
    Rows(Batch),
    End,
}

/// A sink whose work happens on a scoped thread; [`Offload::finish`] returns it.
pub struct Offload<'scope, S: TableSink + Send + 'scope> {
    tx: SyncSender<Msg>,
    batch: Batch,
    worker: ScopedJoinHandle<'scope, io::Result<S>>,
}

impl<'scope, S: TableSink + Send + 'scope> Offload<'scope, S> {
    /// Moves `sink` onto a new thread of `scope`.
    pub fn spawn<'env>(scope: &'scope Scope<'scope, 'env>, mut sink: S) -> Self {
        // Two batches in flight bound the memory; the reader waits if the worker lags.
        let (tx, rx) = sync_channel::<Msg>(2);
        let worker = scope.spawn(move || {
            let mut cells: Vec<Value> = Vec::new();
            for msg in rx {
                match msg {
                    Msg::Begin(info) => sink.begin(&info)?,
                    Msg::Rows(batch) => {
                        let mut at = 0;
                        for &(number, n) in &batch.rows {
                            cells.resize(n, Value::Empty);
                            for (slot, c) in cells.iter_mut().zip(&batch.cells[at..at + n]) {
                                match (slot, c) {
                                    // Reuse the text buffer a cell had in the last row.
                                    (Value::Text(buf), Cell::Text(s, e)) => {
                                        buf.clear();
                                        buf.push_str(&batch.text[*s..*e]);
                                    }
                                    (slot, Cell::Text(s, e)) => {
                                        *slot = Value::Text(batch.text[*s..*e].to_string());
                                    }
                                    (slot, Cell::Other(v)) => *slot = v.clone(),
                                }
                            }
                            at += n;
                            sink.row(Row {
                                number,
                                cells: &cells,
                            })?;
                        }
                    }
                    Msg::End => sink.end()?,
                }
            }
            Ok(sink)
        });
        Offload {
            tx,
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

    fn flush(&mut self) -> io::Result<()> {
        if self.batch.rows.is_empty() {
            return Ok(());
        }
        let full = std::mem::take(&mut self.batch);
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
        for v in row.cells {
            let cell = match v {
                Value::Text(t) => {
                    let start = self.batch.text.len();
                    self.batch.text.push_str(t);
                    Cell::Text(start, self.batch.text.len())
                }
                other => Cell::Other(other.clone()),
            };
            self.batch.cells.push(cell);
        }
        self.batch.rows.push((row.number, row.cells.len()));
        if self.batch.rows.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
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
        let rows: Vec<Vec<Value>> = (0..5000)
            .map(|i| vec![Value::Text(format!("t{i}é")), Value::Int(i)])
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
        assert_eq!(collected.rows.len(), 5000);
        assert_eq!(collected.rows[4999], (5001, rows[4999].clone()));
    }
}
