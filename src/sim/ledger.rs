//! The conservation laws of one replication, over the whole replication (warm-up and drain
//! included, unlike the measured window's figures).
//!
//! The world counts what it does; at the end, [`Ledger::check`] asserts that nothing was
//! created or lost: every customer is connected, abandons or is still waiting; every
//! connection ends exactly once (a close, a silence disconnect or a hand-back) or is still
//! open; replies never outnumber customer messages; every reply that drew a reminder is a
//! missed response. Debug builds, the crate's tests and builds with the `checks` feature
//! (which `cargo test` turns on for the integration tests) keep the counts; a release
//! build compiles them away ([`Ledger::ON`] is a constant).

use crate::engine::EndReason;

/// Whole-replication counts (all zero when [`Ledger::ON`] is false).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    offered: u64,
    connected_first: u64,
    reconnected: u64,
    abandoned: u64,
    closes: u64,
    disconnects: u64,
    handed_back: u64,
    customer_messages: u64,
    replies: u64,
    late_replies: u64,
    reminded_replies: u64,
}

impl Ledger {
    /// Whether the counts are kept and checked.
    pub const ON: bool = cfg!(any(debug_assertions, test, feature = "checks"));

    #[inline(always)]
    pub fn offered(&mut self) {
        if Self::ON {
            self.offered += 1;
        }
    }

    /// A session connected: its first connection, or again after a hand-back.
    #[inline(always)]
    pub fn connected(&mut self, first: bool) {
        if Self::ON {
            if first {
                self.connected_first += 1;
            } else {
                self.reconnected += 1;
            }
        }
    }

    #[inline(always)]
    pub fn abandoned(&mut self) {
        if Self::ON {
            self.abandoned += 1;
        }
    }

    #[inline(always)]
    pub fn ended(&mut self, reason: EndReason) {
        if Self::ON {
            match reason {
                EndReason::Closed => self.closes += 1,
                EndReason::Silence => self.disconnects += 1,
            }
        }
    }

    #[inline(always)]
    pub fn handed_back(&mut self) {
        if Self::ON {
            self.handed_back += 1;
        }
    }

    /// A customer message sent (the opening one, at first connection, included).
    #[inline(always)]
    pub fn customer_message(&mut self) {
        if Self::ON {
            self.customer_messages += 1;
        }
    }

    /// An agent reply: `late` past the reply interval, `reminded` after a reminder.
    #[inline(always)]
    pub fn reply(&mut self, late: bool, reminded: bool) {
        if Self::ON {
            self.replies += 1;
            self.late_replies += u64::from(late);
            self.reminded_replies += u64::from(reminded);
        }
    }

    /// Checks every law against the state at the end: `open` sessions still connected and
    /// `waiting` customers still in the wait queue.
    pub fn check(&self, open: u64, waiting: u64) -> Result<(), String> {
        let l = self;
        // Handed-back sessions never abandon (their patience ended with the first
        // connection), so the queue at the end holds never-connected customers and
        // handed-back ones not yet taken again.
        let never_connected = (l.offered + l.handed_back)
            .checked_sub(l.connected_first + l.abandoned + l.reconnected)
            .ok_or_else(|| format!("more customers resolved than offered: {l:?}"))?;
        if never_connected != waiting {
            return Err(format!(
                "offered = connected + abandoned + still waiting fails: {waiting} waiting at \
                 the end, the counts leave {never_connected}: {l:?}"
            ));
        }
        let connections = l.connected_first + l.reconnected;
        let ended = l.closes + l.disconnects + l.handed_back + open;
        if connections != ended {
            return Err(format!(
                "every connection ends exactly once fails: {connections} connections, {ended} \
                 ended or open ({open} open at the end): {l:?}"
            ));
        }
        if l.replies > l.customer_messages {
            return Err(format!(
                "more replies ({}) than customer messages ({})",
                l.replies, l.customer_messages
            ));
        }
        if l.reminded_replies > l.late_replies {
            return Err(format!(
                "{} replies drew a reminder but only {} were missed responses",
                l.reminded_replies, l.late_replies
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_session_breaks_a_law() {
        let mut l = Ledger::default();
        l.offered();
        l.connected(true);
        assert!(l.check(1, 0).is_ok(), "one open session");
        assert!(l.check(0, 0).is_err(), "the session vanished");
        l.ended(EndReason::Closed);
        assert!(l.check(0, 0).is_ok());
        l.reply(false, true);
        assert!(
            l.check(0, 0).is_err(),
            "a reply without a message, reminded in time"
        );
    }
}
