//! The simulator's one event queue: a binary heap ordered by (time, insertion number), so
//! equal instants leave first-in first-out and a run is exact and repeatable.
//!
//! Cancelled events are not removed: each carries the token its target had when it was
//! scheduled, and the driver skips it when due if the token has moved on.

use crate::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// One scheduled world event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scheduled<P> {
    pub time: SimTime,
    seq: u64,
    pub payload: P,
}

impl<P: Eq> Ord for Scheduled<P> {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap and we want the earliest first.
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

impl<P: Eq> PartialOrd for Scheduled<P> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A min-queue of events by (time, insertion number).
#[derive(Debug)]
pub struct EventQueue<P> {
    heap: BinaryHeap<Scheduled<P>>,
    next_seq: u64,
}

impl<P: Eq + Copy> Default for EventQueue<P> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }
}

impl<P: Eq + Copy> EventQueue<P> {
    /// Schedules `payload` at `time`, after everything already scheduled at that instant.
    pub fn push(&mut self, time: SimTime, payload: P) {
        self.heap.push(Scheduled {
            time,
            seq: self.next_seq,
            payload,
        });
        self.next_seq += 1;
    }

    /// The earliest event's time.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|s| s.time)
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<Scheduled<P>> {
        self.heap.pop()
    }

    /// Events scheduled, live or cancelled.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_leave_in_insertion_order() {
        let mut q = EventQueue::default();
        q.push(SimTime::from_millis(5), 'b');
        q.push(SimTime::from_millis(3), 'a');
        q.push(SimTime::from_millis(5), 'c');
        q.push(SimTime::from_millis(5), 'd');
        let order: String = std::iter::from_fn(|| q.pop()).map(|s| s.payload).collect();
        assert_eq!(order, "abcd");
    }
}
