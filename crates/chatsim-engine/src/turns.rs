//! Whose turn it is, and the timers that enforce it (S5, S51–S56): the reply a session's
//! agent owes, the unanswered messages judged by the missed-response rule, the reminder
//! armed when a reply is owed longer than the reply interval (repeated if the desk says
//! so) and the disconnect armed when the customer stays silent past the message interval.
//! Timer entries are cancelled by epoch, never searched for: a stale entry is skipped
//! when it reaches the front of its queue.

use crate::records::{Link, SessionDetail};
use crate::time::{Millis, SimTime};
use crate::timers::{TimerEntry, TimerKind};
use crate::{AgentId, Engine, Event, SessionId};

impl Engine {
    /// Whether a reply is owed on live slot `s`: connected, by its link; waiting after a
    /// hand-back, as kept for its reconnection; a first wait owes nothing yet (the
    /// opening counts as sent at connection).
    pub(crate) fn owes_reply(&self, s: u32) -> bool {
        match self.session(s).link {
            Link::WAITING => {
                let detail = &self.details[s as usize];
                detail.resume && detail.owed
            }
            link => link.reply_owed(),
        }
    }

    /// The end's verdict on slot `s` (still live) now: how many of its unanswered
    /// messages have waited longer than the reply interval. They are forgotten.
    pub(crate) fn settle(&mut self, s: u32) -> u32 {
        let Some(interval) = self.config.reply_interval else {
            return 0;
        };
        if !self.owes_reply(s) {
            return 0;
        }
        let now = self.now;
        let detail = &self.details[s as usize];
        let newest = u32::from(is_missed(detail.turn_at, now, interval));
        match detail.earlier {
            0 => newest,
            _ => newest + self.settle_earlier(s, now),
        }
    }

    /// A customer message while a reply is owed: the one owed before (sent at `turn_at`,
    /// which the caller then moves) becomes an earlier one. Out of line: rare.
    #[cold]
    #[inline(never)]
    pub(crate) fn note_earlier(&mut self, s: u32) {
        let detail = &mut self.details[s as usize];
        self.earlier.push((s, detail.turn_at));
        detail.earlier += 1;
    }

    /// Judges and removes slot `s`'s earlier unanswered messages (out of line: rare).
    #[cold]
    #[inline(never)]
    pub(crate) fn settle_earlier(&mut self, s: u32, now: SimTime) -> u32 {
        let interval = self.config.reply_interval.unwrap_or(Millis::ZERO);
        let n = std::mem::take(&mut self.details[s as usize].earlier);
        let (mut missed, mut left, mut i) = (0, n, 0);
        while left > 0 && i < self.earlier.len() {
            let (slot, sent) = self.earlier[i];
            if slot == s {
                missed += u32::from(is_missed(sent, now, interval));
                left -= 1;
                self.earlier.swap_remove(i);
            } else {
                i += 1;
            }
        }
        debug_assert_eq!(left, 0, "every earlier message is listed");
        missed
    }

    /// A reply or message interval is set: the method's own timers may be armed. Kept in
    /// a field, read on every connection and end.
    #[inline(always)]
    pub(crate) fn has_timers(&self) -> bool {
        self.timed
    }

    pub(crate) fn cancel_timer(&mut self, s: u32) {
        let detail = &mut self.details[s as usize];
        detail.timer_epoch = detail.timer_epoch.wrapping_add(1);
        detail.reminder_armed = false;
        self.epoch_moved(s);
    }

    /// Tells the queues that remember their live front that slot `s`'s epoch moved
    /// (every write of `timer_epoch` must call this).
    #[inline(always)]
    fn epoch_moved(&mut self, s: u32) {
        self.reminders.epoch_moved(s);
        self.disconnects.epoch_moved(s);
    }

    /// S53–S55: a reminder once the reply has been owed longer than the reply interval
    /// since `from` (the last customer message), unless the cap of reminders for this
    /// owed reply is reached.
    #[inline(always)]
    pub(crate) fn arm_reminder(&mut self, s: u32, from: SimTime) {
        let deadline = if self.reminders_capped(s) {
            None
        } else {
            self.config.reply_interval.map(|i| exceeded(from, i))
        };
        self.arm(s, TimerKind::Reminder, deadline);
    }

    /// No more reminders for the reply owed now: the cap is reached, or reminders do not
    /// repeat and one was sent.
    fn reminders_capped(&self, s: u32) -> bool {
        let sent = self.details[s as usize].reminders;
        self.config.reminder_cap.is_some_and(|cap| sent >= cap)
            || (!self.config.repeat_reminders && sent >= 1)
    }

    /// Re-arms the timer of a handed-back session at its reconnection, as if it had been
    /// connected all along but firing only from now on: a reply owed gets the reminders
    /// due at last message + k × reply interval (+ 1 ms) that fall from now on (only k = 1
    /// when reminders do not repeat; the cap counts reminders sent); a customer who owes
    /// the next message is disconnected at last reply + message interval (+ 1 ms), at once
    /// if that is past.
    pub(crate) fn resume_timer(&mut self, s: u32, owed: bool) {
        let detail = &self.details[s as usize];
        let (from, now) = (detail.turn_at, self.now);
        let deadline = if owed {
            match self.config.reply_interval {
                Some(i) if !self.reminders_capped(s) && i.as_millis() > 0 => {
                    let first = exceeded(from, i);
                    if first >= now {
                        Some(first)
                    } else if self.config.repeat_reminders {
                        // The first grid point at or after now.
                        let k = (now.saturating_since(first).as_millis()).div_ceil(i.as_millis());
                        Some(first + i.saturating_mul(k))
                    } else {
                        None
                    }
                }
                Some(i) if !self.reminders_capped(s) => Some(exceeded(from, i).max(now)),
                _ => None,
            }
        } else {
            let (kind, deadline) = self.silence_timer(s, from);
            // An inactivity only while the disconnect is still to come.
            let disconnect_due = self
                .config
                .message_interval
                .is_some_and(|i| exceeded(from, i) <= now);
            let (kind, deadline) = if kind == TimerKind::Inactive && disconnect_due {
                (TimerKind::Disconnect, Some(now))
            } else {
                (kind, deadline.map(|d| d.max(now)))
            };
            self.arm(s, kind, deadline);
            return;
        };
        self.arm(s, TimerKind::Reminder, deadline);
    }

    /// Replaces the session's timer with `kind` at `deadline` (or none). Inlined: every
    /// turn arms one, and `kind` is then a constant.
    #[inline(always)]
    pub(crate) fn arm(&mut self, s: u32, kind: TimerKind, deadline: Option<SimTime>) {
        let detail = &mut self.details[s as usize];
        detail.timer_epoch = detail.timer_epoch.wrapping_add(1);
        detail.reminder_armed = kind == TimerKind::Reminder && deadline.is_some();
        let epoch = detail.timer_epoch;
        self.epoch_moved(s);
        if let Some(deadline) = deadline {
            let entry = TimerEntry {
                deadline,
                slot: s,
                epoch,
            };
            match kind {
                TimerKind::Reminder => self.reminders.push(entry),
                TimerKind::Disconnect => self.disconnects.push(entry),
                TimerKind::Inactive => self.switches.inactivity.push(entry),
                TimerKind::FirstReply => unreachable!("armed by `arm_first_reply`"),
            }
            self.next_due = self.next_due.min(deadline);
        }
    }

    /// An entry is live while its epoch is the session's (every arm, cancel, hand-back
    /// and end bumps it).
    pub(crate) fn timer_is_live(&self, e: &TimerEntry) -> bool {
        is_live(&self.details, e)
    }

    pub(crate) fn live_front(&mut self, kind: TimerKind) -> Option<TimerEntry> {
        let details = &self.details;
        let live = |e: &TimerEntry| is_live(details, e);
        match kind {
            TimerKind::Reminder => self.reminders.front_cached(live),
            TimerKind::Disconnect => self.disconnects.front_cached(live),
            TimerKind::Inactive => self.switches.inactivity.front(live),
            TimerKind::FirstReply => unreachable!("its own epochs"),
        }
    }

    /// S55: the agent still owes a reply past the interval: remind it, and re-arm at the
    /// next multiple of the interval if reminders repeat and the cap allows.
    pub(crate) fn on_reminder_due(&mut self, entry: TimerEntry) {
        self.stats.inputs += 1;
        let s = entry.slot;
        let link = self.session(s).link;
        debug_assert!(link.reply_owed());
        let detail = &mut self.details[s as usize];
        detail.reminders += 1;
        let nth = detail.reminders;
        let id = SessionId {
            slot: s,
            generation: self.session(s).generation,
        };
        let agent = AgentId(link.agent().expect("a live timer's session is connected"));
        self.events.push_back(Event::ReminderDue {
            session: id,
            agent,
            nth,
        });
        match self.config.reply_interval {
            // The next reminder one interval after this one (from its deadline, not from
            // now, so a late wake-up does not shift the grid).
            Some(i) if self.config.repeat_reminders && !self.reminders_capped(s) => {
                self.arm(s, TimerKind::Reminder, Some(entry.deadline + i));
            }
            _ => self.cancel_timer(s),
        }
    }
}

/// The first millisecond at which an interval started at `from` is *exceeded* (the
/// claim's S55/S56 word): `from + interval + 1 ms`. A reply or message at exactly
/// `from + interval` is in time; at that first millisecond past it, the timer fires
/// before any command of the same instant.
#[inline(always)]
pub(crate) fn exceeded(from: SimTime, interval: Millis) -> SimTime {
    from + interval + Millis::from_millis(1)
}

/// The missed-response rule (SPEC B.3), the engine's one definition of it: a customer
/// message sent at `sent` is missed at `at` when no reply came by then and `at` exceeds
/// `sent + reply_interval` (strictly: a reply at exactly `sent + reply_interval` is in
/// time, one 1 ms later is not). [`Reply::missed`](crate::Reply::missed) and the `missed` of
/// [`Event::Ended`] and [`Event::Abandoned`] apply it to each unanswered message; it is
/// public for a driver that judges messages the engine never saw (replay's rows after a
/// silence disconnect).
#[inline(always)]
pub fn is_missed(sent: SimTime, at: SimTime, reply_interval: Millis) -> bool {
    at > sent + reply_interval
}

/// Whether timer entry `e` is still armed: its epoch is its session's.
pub(crate) fn is_live(details: &[SessionDetail], e: &TimerEntry) -> bool {
    details[e.slot as usize].timer_epoch == e.epoch
}
