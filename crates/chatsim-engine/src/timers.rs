//! Session timers (S5): one deadline queue per timer kind.
//!
//! Each session holds at most one armed timer (a reminder while the agent owes a reply, a
//! disconnect, or first the inactivity of switch `inactive_after`, while the customer owes
//! a message; the reply-owed flag says which), known by the session's epoch; switch
//! `first_reply_timeout` keeps its own timer beside it, with its own epoch. Arming bumps the epoch and pushes an entry; cancelling only bumps
//! the epoch, so a cancelled timer costs one skipped pop when it comes due.
//!
//! Every deadline of a kind is `now + that kind's interval`, and `now` never goes back, so
//! pushes arrive in deadline order and each queue is a plain FIFO. A deadline that would
//! break the order (a live driver that woke the engine late and re-arms from the missed
//! deadline) is inserted at its place instead, so correctness never rests on the fast path.
//!
//! The reminder and disconnect queues remember their front once it was found live
//! ([`TimerQueue::front_cached`]): a driver asks for the next wake-up after every command,
//! and checking the front's epoch reads its session's detail, a cache line of its own.
//! The engine tells the queues each time a session's epoch moves
//! ([`TimerQueue::epoch_moved`]), so the remembered front is always the live one.

use crate::time::SimTime;
use std::collections::VecDeque;

/// A timer kind: what fires when the deadline passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimerKind {
    /// S55: idle reminder to the agent.
    Reminder,
    /// S56: disconnect for customer silence.
    Disconnect,
    /// Switch `inactive_after`: the silent customer's session stops counting.
    Inactive,
    /// Switch `first_reply_timeout`: the opening is still unanswered; move the session.
    FirstReply,
}

impl TimerKind {
    /// Which of several timers due at one instant fires first: reminders, first-reply
    /// time-outs, inactivity, disconnects (a reminder before the time-out that moves its
    /// session; a chat going inactive frees its place before a disconnect frees another).
    pub(crate) fn rank(self) -> u8 {
        match self {
            TimerKind::Reminder => 0,
            TimerKind::FirstReply => 1,
            TimerKind::Inactive => 2,
            TimerKind::Disconnect => 3,
        }
    }
}

/// One armed deadline: live iff the session's epoch still equals `epoch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerEntry {
    pub deadline: SimTime,
    pub slot: u32,
    pub epoch: u32,
}

/// No front remembered (a slot number no session has).
const UNKNOWN: u32 = u32::MAX;

/// Deadlines of one kind, in order.
#[derive(Debug)]
pub(crate) struct TimerQueue {
    entries: VecDeque<TimerEntry>,
    /// The front entry, known live, while `live_front.slot != UNKNOWN`.
    live_front: TimerEntry,
}

impl Default for TimerQueue {
    fn default() -> Self {
        TimerQueue {
            entries: VecDeque::new(),
            live_front: TimerEntry {
                deadline: SimTime::ZERO,
                slot: UNKNOWN,
                epoch: 0,
            },
        }
    }
}

impl TimerQueue {
    /// Adds `e` after every entry of its deadline or earlier. Inlined: it runs at every
    /// turn of every conversation, and out of line its call cost as much as its work.
    #[inline(always)]
    pub(crate) fn push(&mut self, e: TimerEntry) {
        match self.entries.back() {
            Some(last) if last.deadline > e.deadline => self.insert_in_order(e),
            _ => self.entries.push_back(e),
        }
    }

    /// [`TimerQueue::push`] of a deadline earlier than the last stored one (see the
    /// module doc): rare.
    #[cold]
    #[inline(never)]
    fn insert_in_order(&mut self, e: TimerEntry) {
        let at = self.entries.partition_point(|x| x.deadline <= e.deadline);
        if at == 0 {
            self.live_front.slot = UNKNOWN;
        }
        self.entries.insert(at, e);
    }

    /// [`TimerQueue::front`], remembering the live front it finds until it is popped,
    /// another entry goes before it, or its session's epoch moves: then asking again costs
    /// no read of the session. Only for a queue whose every epoch move the caller reports
    /// through [`TimerQueue::epoch_moved`].
    #[inline(always)]
    pub(crate) fn front_cached(
        &mut self,
        is_live: impl Fn(&TimerEntry) -> bool,
    ) -> Option<TimerEntry> {
        if self.live_front.slot != UNKNOWN {
            debug_assert!(is_live(&self.live_front), "the remembered front is live");
            return Some(self.live_front);
        }
        let e = self.front(is_live)?;
        self.live_front = e;
        Some(e)
    }

    /// The remembered live front's deadline, if one is remembered (no session is read).
    #[inline(always)]
    pub(crate) fn known_front_deadline(&self) -> Option<SimTime> {
        (self.live_front.slot != UNKNOWN).then_some(self.live_front.deadline)
    }

    /// Session `slot`'s epoch moved: its entries are stale now, so the front is no longer
    /// known live if it was that session's.
    #[inline(always)]
    pub(crate) fn epoch_moved(&mut self, slot: u32) {
        if self.live_front.slot == slot {
            self.live_front.slot = UNKNOWN;
        }
    }

    /// The earliest entry, after dropping those `is_live` rejects.
    pub(crate) fn front(&mut self, is_live: impl Fn(&TimerEntry) -> bool) -> Option<TimerEntry> {
        while let Some(e) = self.entries.front() {
            if is_live(e) {
                return Some(*e);
            }
            self.entries.pop_front();
        }
        None
    }

    /// The earliest stored deadline, live or stale (a cheap "anything due?" check).
    #[inline(always)]
    pub(crate) fn front_deadline(&self) -> Option<SimTime> {
        self.entries.front().map(|e| e.deadline)
    }

    pub(crate) fn pop(&mut self) -> Option<TimerEntry> {
        self.live_front.slot = UNKNOWN;
        self.entries.pop_front()
    }

    /// Every stored entry, live or stale, in order (for invariant checks).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &TimerEntry> {
        self.entries.iter()
    }

    /// An error if the remembered front is not the stored front or not live (for
    /// invariant checks).
    pub(crate) fn check_front(&self, is_live: impl Fn(&TimerEntry) -> bool) -> Result<(), String> {
        if self.live_front.slot == UNKNOWN {
            return Ok(());
        }
        let front = self.entries.front();
        if front != Some(&self.live_front) || !is_live(&self.live_front) {
            return Err(format!(
                "remembered timer front {:?}, stored front {front:?}",
                self.live_front
            ));
        }
        Ok(())
    }

    /// Entries stored, live or stale (for memory checks).
    pub(crate) fn stored(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(d: u64, slot: u32) -> TimerEntry {
        TimerEntry {
            deadline: SimTime::from_millis(d),
            slot,
            epoch: 0,
        }
    }

    #[test]
    fn fifo_in_deadline_order_and_late_pushes_go_to_their_place() {
        let mut q = TimerQueue::default();
        q.push(e(10, 0));
        q.push(e(20, 1));
        q.push(e(15, 2));
        q.push(e(20, 3));
        let order: Vec<u32> = std::iter::from_fn(|| q.pop()).map(|x| x.slot).collect();
        assert_eq!(order, [0, 2, 1, 3]);
    }

    #[test]
    fn front_skips_cancelled_entries() {
        let mut q = TimerQueue::default();
        q.push(e(1, 7));
        q.push(e(2, 8));
        assert_eq!(q.front(|x| x.slot != 7).map(|x| x.slot), Some(8));
        assert_eq!(q.stored(), 1);
    }
}
