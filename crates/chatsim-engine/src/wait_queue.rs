//! The wait queue: customers no agent could take yet, first in first out.
//!
//! Abandonment is lazy: the session leaves the `Waiting` state and its entry is skipped
//! when it reaches the head, or dropped by compaction once stale entries outnumber live
//! ones. Hand-back at log-off pushes at the head.

use super::types::SessionId;
use std::collections::VecDeque;

/// FIFO of waiting sessions with O(1) lazy removal.
#[derive(Debug, Default)]
pub(crate) struct WaitQueue {
    entries: VecDeque<SessionId>,
    live: u32,
}

impl WaitQueue {
    /// Customers waiting now.
    pub(crate) fn len(&self) -> u32 {
        self.live
    }

    pub(crate) fn push_back(&mut self, s: SessionId) {
        self.entries.push_back(s);
        self.live += 1;
    }

    pub(crate) fn push_front(&mut self, s: SessionId) {
        self.entries.push_front(s);
        self.live += 1;
    }

    /// Marks one waiting entry gone; the caller has already moved its session out of the
    /// waiting state, which is what `is_live` checks.
    pub(crate) fn forget_one(&mut self, is_live: impl Fn(SessionId) -> bool) {
        self.live -= 1;
        if self.entries.len() > 2 * self.live as usize + 64 {
            self.entries.retain(|&s| is_live(s));
        }
    }

    /// The head's live session, after dropping stale entries before it.
    pub(crate) fn front(&mut self, is_live: impl Fn(SessionId) -> bool) -> Option<SessionId> {
        while let Some(&s) = self.entries.front() {
            if is_live(s) {
                return Some(s);
            }
            self.entries.pop_front();
        }
        None
    }

    /// Removes and returns the head's live session.
    pub(crate) fn pop_front(&mut self, is_live: impl Fn(SessionId) -> bool) -> Option<SessionId> {
        while let Some(s) = self.entries.pop_front() {
            if is_live(s) {
                self.live -= 1;
                return Some(s);
            }
        }
        None
    }

    /// Every stored entry, live or stale, head first (for invariant checks).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &SessionId> {
        self.entries.iter()
    }

    /// Entries stored, live or stale (for memory checks).
    pub(crate) fn stored(&self) -> usize {
        self.entries.len()
    }
}
