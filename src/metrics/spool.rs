//! The interval rows of a long run, spooled to a scratch file instead of held in memory.
//!
//! Beyond [`MAX_SUMMARY_INTERVALS`](super::collector::MAX_SUMMARY_INTERVALS) the summary
//! reports intervals merged, but `intervals.csv` (and `queue_intervals.csv`) keep every
//! one. So each replication writes each interval's figures, as the interval closes, to
//! its own block of one unnamed scratch file (deleted by the system when closed, even on
//! a crash): a fixed-size row of the interval's values and each queue's, as `f64` bits.
//! Replication `r`'s block starts at `r × intervals × row size`, so replications running
//! on several threads write their blocks independently and the file's bytes never depend
//! on the thread count. At the end, [`IntervalSpool::zip`] reads the blocks side by side,
//! interval by interval, in replication order: memory O(replications × figures), never
//! O(intervals).

use super::figures::{IntervalMetrics, Timeline};
use crate::metrics::catalogue::Level;
use crate::scenario::Scenario;
use crate::time::SimTime;
use std::fs::File;
use std::io;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Bytes a writer gathers before it writes them out.
const WRITE_CHUNK: usize = 64 * 1024;

/// Bytes the zip reads ahead per replication, at most (and at least one row).
const READ_AHEAD: usize = 64 * 1024;

/// Memory the zip's read-ahead may take over all replications together.
const READ_BUDGET: usize = 4 * 1024 * 1024;

/// One run's spooled interval rows (see the module doc).
#[derive(Debug)]
pub struct IntervalSpool {
    /// Shared by the replications' writers (each seeks to its own block).
    file: Mutex<File>,
    timeline: Timeline,
    /// Fine intervals per replication.
    intervals: usize,
    /// Values per interval: the desk's, then each queue's part.
    desk_values: usize,
    queue_values: usize,
    queues: usize,
    /// The first write error, reported when the rows are read.
    failed: Mutex<Option<io::Error>>,
}

/// Which part of each row a zip reads: the desk's figures or one queue's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowPart {
    Desk,
    Queue(usize),
}

impl IntervalSpool {
    /// An empty spool for `scenario`'s intervals, its scratch file in `dir` (the output's
    /// parent directory: the same disk the results go to, not a memory-backed /tmp).
    pub fn new(scenario: &Scenario, dir: &Path) -> io::Result<Arc<IntervalSpool>> {
        let file = tempfile::tempfile_in(dir)?;
        let queues = if scenario.queues.len() > 1 {
            scenario.queues.len()
        } else {
            0
        };
        Ok(Arc::new(IntervalSpool {
            file: Mutex::new(file),
            timeline: Timeline::new(scenario),
            intervals: Timeline::new(scenario).count,
            desk_values: Level::Interval.metrics().len(),
            queue_values: Level::QueueInterval.metrics().len(),
            queues,
            failed: Mutex::new(None),
        }))
    }

    /// Values in one interval's row.
    fn row_values(&self) -> usize {
        self.desk_values + self.queues * self.queue_values
    }

    fn row_bytes(&self) -> u64 {
        8 * self.row_values() as u64
    }

    /// Where replication `rep`'s block starts.
    fn block(&self, rep: u32) -> u64 {
        u64::from(rep) * self.intervals as u64 * self.row_bytes()
    }

    /// The writer of replication `rep`'s block.
    pub fn writer(self: &Arc<Self>, rep: u32) -> SpoolWriter {
        SpoolWriter {
            offset: self.block(rep),
            spool: Arc::clone(self),
            buf: Vec::new(),
        }
    }

    /// Fine intervals per replication.
    pub fn intervals(&self) -> usize {
        self.intervals
    }

    /// Interval `i`'s start and end.
    pub fn bounds(&self, i: usize) -> (SimTime, SimTime) {
        self.timeline.bounds(i)
    }

    /// Values in one replication's block: every interval's row, in order.
    pub fn block_len(&self) -> usize {
        self.intervals * self.row_values()
    }

    /// Replication `rep`'s whole block, once its writer is dropped (a `run` shard puts it
    /// in its part, so that the merge writes every interval as the single run does).
    pub fn read_block(&self, rep: u32) -> io::Result<Vec<f64>> {
        if let Some(e) = self.failed.lock().map_err(|_| poisoned())?.take() {
            return Err(e);
        }
        let mut raw = vec![0u8; self.block_len() * 8];
        let mut file = self.file.lock().map_err(|_| poisoned())?;
        file.seek(SeekFrom::Start(self.block(rep)))?;
        file.read_exact(&mut raw)?;
        Ok(raw
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect())
    }

    /// Writes replication `rep`'s whole block ([`IntervalSpool::block_len`] values), as
    /// its collector would have row by row (the merge of a sharded run, from the parts).
    pub fn write_block(&self, rep: u32, values: &[f64]) -> io::Result<()> {
        assert_eq!(values.len(), self.block_len(), "one whole block");
        let raw: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let mut file = self.file.lock().map_err(|_| poisoned())?;
        file.seek(SeekFrom::Start(self.block(rep)))?;
        file.write_all(&raw)
    }

    /// Calls `f(interval, values)` for every interval in order, with `part`'s values of
    /// that interval in each of the first `reps` replications, in replication order
    /// (`values[r]`). An error of the writers or of reading ends it.
    pub fn zip(
        &self,
        reps: usize,
        part: RowPart,
        mut f: impl FnMut(usize, &[&[f64]]) -> io::Result<()>,
    ) -> io::Result<()> {
        if let Some(e) = self.failed.lock().map_err(|_| poisoned())?.take() {
            return Err(e);
        }
        let (skip, width) = match part {
            RowPart::Desk => (0, self.desk_values),
            RowPart::Queue(q) => (self.desk_values + q * self.queue_values, self.queue_values),
        };
        let row = self.row_values();
        let row_bytes = self.row_bytes() as usize;
        // Rows read ahead per replication: as many as fit both budgets, at least one.
        let ahead = (READ_AHEAD / row_bytes.max(1))
            .min(READ_BUDGET / (row_bytes.max(1) * reps.max(1)))
            .max(1);
        let mut bufs: Vec<Vec<f64>> = vec![Vec::new(); reps];
        let mut raw = Vec::new();
        for i in 0..self.intervals {
            let k = i % ahead;
            if k == 0 {
                let n = ahead.min(self.intervals - i);
                for (r, buf) in bufs.iter_mut().enumerate() {
                    raw.resize(n * row_bytes, 0u8);
                    let at = self.block(r as u32) + i as u64 * row_bytes as u64;
                    let mut file = self.file.lock().map_err(|_| poisoned())?;
                    file.seek(SeekFrom::Start(at))?;
                    file.read_exact(&mut raw)?;
                    buf.clear();
                    buf.extend(
                        raw.chunks_exact(8)
                            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes"))),
                    );
                }
            }
            let parts: Vec<&[f64]> = bufs
                .iter()
                .map(|buf| &buf[k * row + skip..k * row + skip + width])
                .collect();
            f(i, &parts)?;
        }
        Ok(())
    }
}

fn poisoned() -> io::Error {
    io::Error::other("a replication's spool writer panicked")
}

/// Writes one replication's interval rows, in interval order, to its block of the spool.
/// Write errors are kept in the spool and reported when it is read ([`IntervalSpool::zip`]),
/// since an observer call cannot fail.
#[derive(Clone, Debug)]
pub struct SpoolWriter {
    spool: Arc<IntervalSpool>,
    offset: u64,
    buf: Vec<u8>,
}

impl SpoolWriter {
    /// Appends one closed interval's row: the desk's figures, then each queue's part.
    pub fn push(&mut self, desk: &IntervalMetrics, queues: &[IntervalMetrics]) {
        let values = desk
            .scalars()
            .into_iter()
            .chain(queues.iter().flat_map(|q| q.queue_scalars()));
        for (_, v) in values {
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
        if self.buf.len() >= WRITE_CHUNK {
            self.flush();
        }
    }

    /// Writes out what is gathered.
    pub fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let written = match self.spool.file.lock() {
            Ok(mut file) => file
                .seek(SeekFrom::Start(self.offset))
                .and_then(|_| file.write_all(&self.buf)),
            Err(_) => Err(poisoned()),
        };
        if let Err(e) = written {
            if let Ok(mut failed) = self.spool.failed.lock() {
                failed.get_or_insert(e);
            }
        }
        self.offset += self.buf.len() as u64;
        self.buf.clear();
    }
}

impl Drop for SpoolWriter {
    fn drop(&mut self) {
        self.flush();
    }
}
