//! The one place that calls the dispatch engine, for `chatsim replay` and `chatsim live`.
//!
//! [`Driver`] holds one engine and keeps its calling order (the engine crate's doc):
//! before a command at instant t, every timer due at or before t fires, one deadline at a
//! time and earliest first (so a timer fires at the first millisecond its interval is
//! exceeded, before any command of that instant); after every call the engine's events
//! are pulled. Replay runs one driver per logged agent ([`Replayer`]), fed the log's rows;
//! `chatsim live` runs one for the whole desk, fed JSON lines.

use super::log::{Kind, Log, Row};
use super::{interrupt_point, Limits, ReplayError};
use crate::engine::{
    is_missed, AgentId, AgentRequest, EndReason, Engine, EngineConfig, EngineError, Event,
    LogOutMode, Reply, RequestCode, SessionId,
};
use crate::time::Millis;
use crate::time::SimTime;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// The engine's per-agent session cap; a logged agent with more concurrent sessions gets
/// several engine agents (see [`Replayer::new`]).
const ENGINE_MAX_SESSIONS: u32 = 64;

// ----- the driver ------------------------------------------------------------------------

/// A command to the engine, in the words both drivers share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    LogIn(AgentId),
    LogOut(AgentId, LogOutMode),
    Busy(AgentId),
    Unbusy(AgentId),
    /// A new chat; `draw` is the uniform random number the `random` rule uses.
    Request {
        draw: u64,
    },
    /// The customer wrote.
    Message(SessionId),
    /// The agent replied.
    Reply(SessionId),
    /// The customer closed a connected chat.
    Close(SessionId),
    /// A waiting customer gave up.
    Abandon(SessionId),
}

/// What the engine answered to a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Answer {
    Done,
    /// A request's new session.
    Session(SessionId),
    /// A reply's verdict (the engine's, never re-derived here).
    Reply(Reply),
}

/// One engine, driven in its calling order.
#[derive(Debug)]
pub(crate) struct Driver {
    engine: Engine,
}

impl Driver {
    /// An engine for agents with these session caps (each 1..=64), all logged out.
    pub(crate) fn new(config: EngineConfig, caps: &[u32]) -> Driver {
        Driver {
            engine: Engine::new(config, caps),
        }
    }

    /// A read-only look at the engine (agent views, waiting customers).
    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The next instant a timer is due, if any.
    pub(crate) fn next_deadline(&mut self) -> Option<SimTime> {
        self.engine.poll_timeout()
    }

    /// Fires the earliest timer if it is due at or before `t`, and returns its deadline
    /// (the instant of the events it made); `None` when nothing is due by `t`. Call it
    /// until `None` before a command at `t`, pulling the events after each call.
    pub(crate) fn fire_next_due(&mut self, t: SimTime) -> Result<Option<SimTime>, EngineError> {
        match self.engine.poll_timeout() {
            Some(deadline) if deadline <= t => {
                self.engine.handle_timeout(deadline)?;
                Ok(Some(deadline))
            }
            _ => Ok(None),
        }
    }

    /// Gives the engine one command at `now` (fire due timers first, see
    /// [`Driver::fire_next_due`]).
    pub(crate) fn apply(&mut self, now: SimTime, command: Command) -> Result<Answer, EngineError> {
        let e = &mut self.engine;
        let request = |code, agent| AgentRequest { code, agent };
        match command {
            Command::LogIn(a) => e.handle_log_in(now, a).map(|()| Answer::Done),
            Command::LogOut(a, mode) => e.handle_log_out(now, a, mode).map(|()| Answer::Done),
            Command::Busy(a) => e
                .handle_agent_request(now, request(RequestCode::Busy, a))
                .map(|()| Answer::Done),
            Command::Unbusy(a) => e
                .handle_agent_request(now, request(RequestCode::Unbusy, a))
                .map(|()| Answer::Done),
            Command::Request { draw } => e.handle_session_request(now, draw).map(Answer::Session),
            Command::Message(s) => e.handle_customer_message(now, s).map(|()| Answer::Done),
            Command::Reply(s) => e.handle_agent_reply(now, s).map(Answer::Reply),
            Command::Close(s) => e.handle_customer_close(now, s).map(|()| Answer::Done),
            Command::Abandon(s) => e.handle_abandon(now, s).map(|()| Answer::Done),
        }
    }

    /// The next event of the last call, in the order it happened.
    pub(crate) fn poll_event(&mut self) -> Option<Event> {
        self.engine.poll_event()
    }

    /// What ending `session` at `at` would report as missed (the engine's verdict on
    /// its unanswered messages), without ending it.
    pub(crate) fn missed_if_ended(
        &self,
        session: SessionId,
        at: SimTime,
    ) -> Result<u32, EngineError> {
        self.engine.missed_if_ended(session, at)
    }
}

// ----- replay: one driver per logged agent -----------------------------------------------

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SessionOutcome {
    pub(crate) reminders: u32,
    /// SPEC B.3, per customer message: the engine's verdicts (`Reply::missed` and the
    /// `missed` of `Event::Ended`, or `missed_if_ended` at the log's end), plus the
    /// messages after a silence disconnect judged by the engine's rule (see
    /// [`Replayer::watch`]).
    pub(crate) missed_responses: u32,
    /// When the engine disconnected it for silence.
    pub(crate) disconnected_at: Option<SimTime>,
    /// The log shows a customer message after the disconnect.
    pub(crate) premature: bool,
    /// Replies the engine judged late (`Reply::late`, one verdict per reply from the
    /// customer's last message). Not in the report; tests compare it with
    /// `missed_responses` (see `the_engine_verdict_and_the_logs_missed_responses`).
    pub(crate) late_replies: u32,
}
/// Drives one engine per logged agent through the rows, in time order.
///
/// Before a row at time t, every timer due at or before t fires, in global deadline order
/// (ties by agent), as the engine's own rule says: a timer fires at the first millisecond
/// its interval is exceeded, before any command of that instant. Nothing fires after the last row: the log shows
/// nothing beyond it.
pub(crate) struct Replayer<'a> {
    log: &'a Log,
    outcomes: &'a mut [SessionOutcome],
    drivers: Vec<Driver>,
    /// Each log session's engine session while the engine has it open.
    handles: Vec<Option<SessionId>>,
    /// (engine, engine session) → log session, for events.
    by_handle: HashMap<(u32, SessionId), u32>,
    /// Engines' next wake-ups; an entry is live iff it equals `armed[engine]`.
    wakeups: BinaryHeap<Reverse<(SimTime, u32)>>,
    armed: Vec<Option<SimTime>>,
    timer_wakeups: u64,
    limits: Limits,
    /// The reply interval the engines judge by.
    reply_interval: Option<Millis>,
    /// Per session disconnected for silence: the send times of the customer messages the
    /// log shows after it that no later row answered (see [`Replayer::watch`]).
    unanswered_after_disconnect: Vec<Vec<SimTime>>,
}

impl<'a> Replayer<'a> {
    /// One engine per logged agent. A logged agent holds at most 64 sessions in one
    /// engine agent, so an agent with more concurrent sessions in the log gets
    /// ⌈peak / 64⌉ engine agents, all its own: the log, not the cap, says who served.
    /// The peak counts a session from its request to its close (to the end of the log if
    /// it has none), which bounds what the engine holds, since the engine only ends
    /// sessions earlier.
    pub(crate) fn new(
        log: &'a Log,
        config: EngineConfig,
        limits: Limits,
        outcomes: &'a mut [SessionOutcome],
    ) -> Replayer<'a> {
        let mut open = vec![0u32; log.agents.len()];
        let mut peak = vec![1u32; log.agents.len()];
        for row in &log.rows {
            let a = log.agent_of(row.session) as usize;
            match row.kind {
                Kind::Request => {
                    open[a] += 1;
                    peak[a] = peak[a].max(open[a]);
                }
                k if k.ends() => open[a] -= 1,
                _ => {}
            }
        }
        let drivers = peak
            .iter()
            .map(|&p| {
                // Caps no larger than the agent's own peak: the engine's routing structures
                // grow with the cap, and a day's log may name hundreds of thousands of
                // agents who each held a few chats at most.
                let n = p.div_ceil(ENGINE_MAX_SESSIONS);
                let caps = vec![p.div_ceil(n); n as usize];
                let mut driver = Driver::new(config, &caps);
                for i in 0..caps.len() {
                    // A fresh engine, an agent in range, time zero: cannot fail.
                    let _ = driver.apply(SimTime::ZERO, Command::LogIn(AgentId(i as u32)));
                }
                while driver.poll_event().is_some() {}
                driver
            })
            .collect();
        Replayer {
            log,
            outcomes,
            drivers,
            handles: vec![None; log.sessions.len()],
            by_handle: HashMap::new(),
            wakeups: BinaryHeap::new(),
            armed: vec![None; log.agents.len()],
            timer_wakeups: 0,
            limits,
            reply_interval: config.reply_interval,
            unanswered_after_disconnect: vec![Vec::new(); log.sessions.len()],
        }
    }

    pub(crate) fn run(&mut self) -> Result<(), ReplayError> {
        for (i, row) in self.log.rows.iter().enumerate() {
            interrupt_point(i as u64, self.limits.cancel)?;
            self.fire_timers_before(row.time, row.line)?;
            self.handle_row(row)?;
        }
        self.judge_at_log_end()
    }

    /// The log stops at its last row with sessions still open (no close row): each is
    /// judged as if it ended there, the engine's sessions by the engine itself, the
    /// disconnected ones' later messages by its rule.
    fn judge_at_log_end(&mut self) -> Result<(), ReplayError> {
        let Some(last) = self.log.rows.last() else {
            return Ok(());
        };
        for s in 0..self.log.sessions.len() {
            if let Some(id) = self.handles[s] {
                let e = self.log.agent_of(s as u32) as usize;
                let missed = self.drivers[e]
                    .missed_if_ended(id, last.time)
                    .map_err(|err| self.internal(last.line, &err.to_string()))?;
                self.outcomes[s].missed_responses += missed;
            } else {
                self.settle_watched(s, last.time);
            }
        }
        Ok(())
    }

    fn handle_row(&mut self, row: &Row) -> Result<(), ReplayError> {
        let s = row.session as usize;
        if self.outcomes[s].disconnected_at.is_some() {
            self.watch(row);
            return Ok(());
        }
        let e = self.log.agent_of(row.session);
        let info = &self.log.sessions[s];
        // A session reaches the engine at its first `connect` row when it has one (it
        // waited in the queue before), else at its request, unless it was abandoned
        // there; a later `connect` (a transfer) and an `abandon` change nothing in it.
        let connects_here = match info.connect_line {
            Some(line) => row.line == line,
            None => row.kind == Kind::Request && info.end_kind != Some(Kind::Abandon),
        };
        let command = match (row.kind, self.handles[s]) {
            (Kind::Request | Kind::Connect, _) if connects_here => Command::Request { draw: 0 },
            (Kind::Request | Kind::Connect | Kind::Abandon, _) => return Ok(()),
            (Kind::CustomerMessage, Some(id)) => Command::Message(id),
            (Kind::AgentReply, Some(id)) => Command::Reply(id),
            // The desk's own disconnect: the replayed engine, whose timers due by now
            // have fired, still has the chat (its message interval is longer, or off),
            // so it ends here, as the log shows.
            (Kind::Close | Kind::Disconnect, Some(id)) => Command::Close(id),
            (_, None) => return Err(self.internal(row.line, "session not open in its engine")),
        };
        let answer = self.drivers[e as usize]
            .apply(row.time, command)
            .map_err(|err| self.internal(row.line, &err.to_string()))?;
        match answer {
            Answer::Session(id) => {
                self.handles[s] = Some(id);
                self.by_handle.insert((e, id), row.session);
            }
            Answer::Reply(reply) => {
                self.outcomes[s].late_replies += u32::from(reply.late);
                self.outcomes[s].missed_responses += reply.missed;
            }
            Answer::Done => {}
        }
        self.drain_events(e, row.time, row.line)?;
        self.rearm(e);
        Ok(())
    }

    /// A row of a session the engine disconnected for silence: closed in the method's
    /// world, so only watched, for whether the customer came back (premature) and for
    /// missed responses. SPEC B.3 counts the log's messages, these too, but the engine
    /// has no session left to judge them by: replay keeps their send times and applies
    /// the engine's rule ([`is_missed`]) at the next reply row, the close row, or the
    /// log's end. Nothing is owed at the disconnect itself (the customer owed the next
    /// message), so this starts from an empty list.
    fn watch(&mut self, row: &Row) {
        let s = row.session as usize;
        match row.kind {
            Kind::CustomerMessage => {
                self.outcomes[s].premature = true;
                if self.reply_interval.is_some() {
                    self.unanswered_after_disconnect[s].push(row.time);
                }
            }
            Kind::AgentReply | Kind::Close | Kind::Disconnect => self.settle_watched(s, row.time),
            Kind::Request | Kind::Connect | Kind::Abandon => {}
        }
    }

    /// Judges (and forgets) the watched messages of session `s` at `at`.
    fn settle_watched(&mut self, s: usize, at: SimTime) {
        if let Some(interval) = self.reply_interval {
            let sent = &mut self.unanswered_after_disconnect[s];
            let missed = sent.iter().filter(|&&t| is_missed(t, at, interval)).count();
            self.outcomes[s].missed_responses += missed as u32;
            sent.clear();
        }
    }

    /// Fires every timer due at or before `t`, earliest first.
    fn fire_timers_before(&mut self, t: SimTime, line: u64) -> Result<(), ReplayError> {
        while let Some(&Reverse((deadline, e))) = self.wakeups.peek() {
            if self.armed[e as usize] != Some(deadline) {
                self.wakeups.pop(); // stale: the engine's deadline moved
                continue;
            }
            if deadline > t {
                break;
            }
            self.wakeups.pop();
            self.armed[e as usize] = None;
            self.timer_wakeups += 1;
            interrupt_point(self.timer_wakeups, self.limits.cancel)?;
            if self.timer_wakeups > self.limits.timer_wakeups {
                return Err(ReplayError::TooManyTimers {
                    file: self.log.file.clone(),
                    limit: self.limits.timer_wakeups,
                });
            }
            // One deadline at a time (never a jump to t), so the limit above bounds the
            // work even with a 1 ms reply interval over a long gap.
            self.drivers[e as usize]
                .fire_next_due(deadline)
                .map_err(|err| self.internal(line, &err.to_string()))?;
            self.drain_events(e, deadline, line)?;
            self.rearm(e);
        }
        Ok(())
    }

    fn rearm(&mut self, e: u32) {
        let next = self.drivers[e as usize].next_deadline();
        if next != self.armed[e as usize] {
            self.armed[e as usize] = next;
            if let Some(deadline) = next {
                self.wakeups.push(Reverse((deadline, e)));
            }
        }
    }

    fn drain_events(&mut self, e: u32, now: SimTime, line: u64) -> Result<(), ReplayError> {
        while let Some(event) = self.drivers[e as usize].poll_event() {
            match event {
                Event::ReminderDue { session, .. } => {
                    let s = self.session_of(e, session, line)?;
                    self.outcomes[s].reminders += 1;
                }
                Event::Ended {
                    session,
                    reason,
                    missed,
                    ..
                } => {
                    let s = self.session_of(e, session, line)?;
                    self.by_handle.remove(&(e, session));
                    self.handles[s] = None;
                    self.outcomes[s].missed_responses += missed;
                    if reason == EndReason::Silence {
                        self.outcomes[s].disconnected_at = Some(now);
                    }
                }
                Event::Queued { .. } | Event::Abandoned { .. } | Event::HandedBack { .. } => {
                    return Err(self.internal(line, "a session had to wait for its agent"));
                }
                Event::Connected { .. } | Event::Agent { .. } => {}
                // Replay runs the method without product switches: these never come.
                Event::Inactive { .. } | Event::Reactivated { .. } | Event::Transferred { .. } => {}
            }
        }
        Ok(())
    }

    fn session_of(&self, e: u32, session: SessionId, line: u64) -> Result<usize, ReplayError> {
        self.by_handle
            .get(&(e, session))
            .map(|&s| s as usize)
            .ok_or_else(|| self.internal(line, "event for an unknown session"))
    }

    fn internal(&self, line: u64, detail: &str) -> ReplayError {
        ReplayError::Internal {
            file: self.log.file.clone(),
            line,
            detail: detail.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::*;
    use super::*;

    // ----- the example log, by hand ------------------------------------------------------

    /// Reply interval 60 s, message interval 300 s, reminders repeat, no cap. The engine
    /// arms a reminder at the request (the opening counts as a customer message) and at
    /// every customer message (from the latest one); a reply cancels it and arms a
    /// disconnect at reply + 300 s; a reply exactly at the deadline is in time.
    #[test]
    fn example_log_counts_worked_by_hand() {
        let (r, s) = run_text(EXAMPLE, &ReplaySettings::default()).unwrap();
        // c01 ana: replies after 20, 30, 25 s; close 09:03:20 cancels the 09:07:45
        //   disconnect. Nothing.
        assert_eq!(*outcome(&s, "c01"), SessionOutcome::default());
        // c02 ben: message 09:03:30, reply only 09:05:45 (135 s): reminders at 09:04:30
        //   and 09:05:30 (the one at 09:06:30 is cancelled by the reply). 2 reminders,
        //   1 missed.
        assert_eq!(
            (
                outcome(&s, "c02").reminders,
                outcome(&s, "c02").missed_responses
            ),
            (2, 1)
        );
        // c03 chen: message 09:07:50 overlooked; reminder 09:08:50; reply 09:09:05 (75 s).
        //   1 reminder, 1 missed.
        assert_eq!(
            (
                outcome(&s, "c03").reminders,
                outcome(&s, "c03").missed_responses
            ),
            (1, 1)
        );
        // c04 ana: last customer message 09:07:40, replies 09:08:10 and the nudge
        //   09:11:40 (a reply too: the disconnect moves from 09:13:10 to 09:16:40). The
        //   customer never writes again: disconnect at 09:16:40.001 (the first millisecond
        //   past the interval), a ghost; ana closes it at 09:25:10, so 509.999 s reclaimed.
        let c04 = outcome(&s, "c04");
        assert_eq!(
            c04.disconnected_at,
            Some(SimTime::from_millis((9 * 3600 + 1000) * 1000 + 1))
        );
        assert!(!c04.premature);
        // c05 ben: reply 09:12:10 arms the disconnect at 09:17:10.001; the customer comes
        //   back at 09:18:10 (6 min of silence): disconnected at 09:17:10.001, premature;
        //   the log closes it at 09:19:10, so 119.999 s reclaimed. Its last three rows are
        //   only watched.
        let c05 = outcome(&s, "c05");
        assert_eq!(
            c05.disconnected_at,
            Some(SimTime::from_millis((9 * 3600 + 1030) * 1000 + 1))
        );
        assert!(c05.premature);
        assert_eq!((c05.reminders, c05.missed_responses), (0, 0));
        // c06: request row without agent; dana's reply 09:15:40 pins it to dana. Replies
        //   after 40 and 30 s. Nothing.
        assert_eq!(*outcome(&s, "c06"), SessionOutcome::default());
        // c07 chen: messages 09:21:30 and 09:21:50; the second moves the reminder from
        //   09:22:30 to 09:22:50 (S54 measures from the last message); it fires; the
        //   reply 09:23:10 comes before the repeat at 09:23:50. 1 reminder, but both
        //   messages missed (100 s and 80 s).
        assert_eq!(
            (
                outcome(&s, "c07").reminders,
                outcome(&s, "c07").missed_responses
            ),
            (1, 2)
        );
        // c08 (unknown): request 09:25:00, nobody answers, close 09:26:40. Reminder
        //   09:26:00 (the 09:27:00 repeat is after the close). 1 reminder; the opening is
        //   missed (open 100 s > 60 s without a reply).
        assert_eq!(
            (
                outcome(&s, "c08").reminders,
                outcome(&s, "c08").missed_responses
            ),
            (1, 1)
        );
        // c09 dana: replies within 20 s. Nothing.
        assert_eq!(*outcome(&s, "c09"), SessionOutcome::default());
        // c10 ana: request 09:35:00, first reply 09:38:10 (190 s): reminders 09:36:00,
        //   09:37:00, 09:38:00. 3 reminders, 1 missed.
        assert_eq!(
            (
                outcome(&s, "c10").reminders,
                outcome(&s, "c10").missed_responses
            ),
            (3, 1)
        );
        // c11 chen: reply 09:45:20 arms a disconnect at 09:50:20; the customer writes at
        //   09:49:20 (240 s, in time). Nothing.
        assert_eq!(*outcome(&s, "c11"), SessionOutcome::default());
        // c12 ben: replies in 20, 20, 30 s; no close row; its last reply 09:58:00 is the
        //   log's last row, so its disconnect (10:03:00) never fires. Nothing.
        assert_eq!(*outcome(&s, "c12"), SessionOutcome::default());

        assert_eq!(r.rows, 78);
        assert_eq!(r.sessions, 12);
        assert_eq!(r.customer_messages, 22); // 2+2+3+1+2+1+3+0+3+1+2+2
        assert_eq!(r.agent_replies, 33); // 3+3+4+3+3+2+3+0+4+2+3+3
        assert_eq!(r.closes, 11); // all but c12
        assert_eq!(r.reminders, 8); // c02 2 + c03 1 + c07 1 + c08 1 + c10 3
        assert_eq!(r.sessions_with_reminder, 5);
        assert_eq!(r.max_reminders_per_session, 3);
        assert!((r.reminders_per_session - 8.0 / 12.0).abs() < 1e-12);
        assert_eq!(r.missed_responses, 6); // c02 1 + c03 1 + c07 2 + c08 1 + c10 1
        assert_eq!(r.disconnects, 2);
        assert_eq!(r.premature_disconnects, 1); // c05
        assert_eq!(r.ghost_disconnects, 1); // c04
        assert_eq!(r.capacity_reclaimed_s, 629.998); // 509.999 + 119.999
        assert_eq!(r.first_timestamp_s, 9.0 * 3600.0);
        assert_eq!(r.last_timestamp_s, 9.0 * 3600.0 + 3480.0);
        let rows: Vec<(&str, u64, u64, u64, u64)> = r
            .per_agent
            .iter()
            .map(|a| {
                let AgentReplay {
                    agent,
                    sessions,
                    reminders,
                    missed_responses,
                    disconnects,
                } = a;
                (
                    agent.as_str(),
                    *sessions,
                    *reminders,
                    *missed_responses,
                    *disconnects,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                // (agent, sessions, reminders, missed, disconnects)
                ("(unknown)", 1, 1, 1, 0), // c08
                ("ana", 3, 3, 1, 1),       // c01 c04 c10
                ("ben", 3, 2, 1, 1),       // c02 c05 c12
                ("chen", 3, 2, 3, 0),      // c03 c07 c11
                ("dana", 2, 0, 0, 0),      // c06 c09
            ]
        );
    }

    #[test]
    fn example_log_without_repeated_reminders() {
        // One reminder per owed reply: c02 09:04:30, c03 09:08:50, c07 09:22:50, c08
        // 09:26:00, c10 09:36:00. Missed responses come from the log and do not change.
        let s = ReplaySettings {
            repeat_reminders: false,
            ..ReplaySettings::default()
        };
        let r = replay_str(EXAMPLE, "example-log.csv", &s).unwrap();
        assert_eq!(
            (r.reminders, r.sessions_with_reminder, r.missed_responses),
            (5, 5, 6)
        );
    }

    #[test]
    fn example_log_with_reminder_cap() {
        // Cap 2: only c10 had more (3 → 2): 2 + 1 + 1 + 1 + 2. Cap 0: no reminders at all.
        let cap = |n| ReplaySettings {
            reminder_cap: Some(n),
            ..ReplaySettings::default()
        };
        assert_eq!(replay_str(EXAMPLE, "e", &cap(2)).unwrap().reminders, 7);
        assert_eq!(replay_str(EXAMPLE, "e", &cap(0)).unwrap().reminders, 0);
    }

    #[test]
    fn example_log_with_a_longer_message_interval() {
        // 400 s: c05's customer (back after 360 s) is no longer cut off. c04's disconnect
        // moves to 09:11:40 + 400 s + 1 ms = 09:18:20.001; close 09:25:10 → 409.999 s
        // reclaimed.
        let r = replay_str(EXAMPLE, "e", &settings(60.0, 400.0)).unwrap();
        assert_eq!(
            (r.disconnects, r.premature_disconnects, r.ghost_disconnects),
            (1, 0, 1)
        );
        assert_eq!(r.capacity_reclaimed_s, 409.999);
        assert_eq!(r.reminders, 8);
    }

    #[test]
    fn example_log_with_a_shorter_message_interval() {
        // 200 s (each cut 1 ms past the interval): c04 is cut at 09:08:10 + 200 = 09:11:30,
        // before ana's nudge (which is then only watched): ghost, 09:25:10 − 09:11:30 =
        // 820 s. c05 at 09:12:10 + 200 = 09:15:30, premature, 09:19:10 − 09:15:30 = 220 s.
        // c11 at 09:45:20 + 200 = 09:48:40, premature (the customer writes at 09:49:20),
        // 09:51:00 − 09:48:40 = 140 s. Less 3 × 1 ms.
        let (r, s) = run_text(EXAMPLE, &settings(60.0, 200.0)).unwrap();
        assert_eq!(
            (r.disconnects, r.premature_disconnects, r.ghost_disconnects),
            (3, 2, 1)
        );
        assert_eq!(r.capacity_reclaimed_s, 1179.997);
        assert!(outcome(&s, "c11").premature);
        assert_eq!(agent(&r, "chen").disconnects, 1);
        assert_eq!(r.missed_responses, 6);
    }

    // ----- the engine's timing rules, one at a time --------------------------------------

    #[test]
    fn reply_exactly_at_the_reply_interval_is_in_time() {
        let text = format!("{HEADER}0,c1,a,request\n60,c1,a,agent_reply\n70,c1,a,close\n");
        let r = replay_str(&text, "t", &ReplaySettings::default()).unwrap();
        assert_eq!((r.reminders, r.missed_responses), (0, 0));
        let text = format!("{HEADER}0,c1,a,request\n60.001,c1,a,agent_reply\n70,c1,a,close\n");
        let r = replay_str(&text, "t", &ReplaySettings::default()).unwrap();
        assert_eq!((r.reminders, r.missed_responses), (1, 1));
    }

    #[test]
    fn message_exactly_at_the_message_interval_is_in_time() {
        let text = format!(
            "{HEADER}0,c1,a,request\n10,c1,a,agent_reply\n310,c1,,customer_message\n\
             320,c1,a,agent_reply\n330,c1,a,close\n"
        );
        let r = replay_str(&text, "t", &ReplaySettings::default()).unwrap();
        assert_eq!(r.disconnects, 0);
        let late = text.replace("310,", "310.001,");
        let r = replay_str(&late, "t", &ReplaySettings::default()).unwrap();
        assert_eq!((r.disconnects, r.premature_disconnects), (1, 1));
        // Disconnected at 310.001 (the first millisecond past the interval), before the
        // message of that instant; closed in the log at 330.
        assert_eq!(r.capacity_reclaimed_s, 19.999);
    }

    #[test]
    fn nothing_fires_after_the_last_row() {
        // c1 is never answered and never closed; the log runs to 200 s (c2). Reminders at
        // 60, 120, 180; the opening counts as missed (open until the log's end). c2's own
        // reminder at 260 is after the last row and never fires.
        let text = format!("{HEADER}0,c1,a,request\n200,c2,b,request\n");
        let (r, s) = run_text(&text, &ReplaySettings::default()).unwrap();
        assert_eq!(outcome(&s, "c1").reminders, 3);
        assert_eq!(outcome(&s, "c1").missed_responses, 1);
        assert_eq!(outcome(&s, "c2").reminders, 0);
        assert_eq!((r.reminders, r.missed_responses), (3, 1));
    }

    #[test]
    fn unclosed_ghost_reclaims_nothing_it_cannot_see() {
        // c1's last row is the reply at 10; disconnected at 310 while c2 runs on. The log
        // never shows c1 held past 10 s, so no capacity is counted.
        let text = format!("{HEADER}0,c1,a,request\n10,c1,a,agent_reply\n400,c2,a,request\n");
        let r = replay_str(&text, "t", &ReplaySettings::default()).unwrap();
        assert_eq!((r.disconnects, r.ghost_disconnects), (1, 1));
        assert_eq!(r.capacity_reclaimed_s, 0.0);
    }

    #[test]
    fn session_is_pinned_to_its_first_named_agent() {
        // Request without agent; first naming row says x; a later y (a transfer) is
        // ignored. c2 names nobody: (unknown).
        let text = format!(
            "{HEADER}0,c1,,request\n5,c1,x,customer_message\n10,c1,y,agent_reply\n\
             20,c1,y,close\n30,c2,,request\n40,c2,,close\n"
        );
        let r = replay_str(&text, "t", &ReplaySettings::default()).unwrap();
        let names: Vec<_> = r
            .per_agent
            .iter()
            .map(|a| (a.agent.as_str(), a.sessions))
            .collect();
        assert_eq!(names, [("(unknown)", 1), ("x", 1)]);
    }

    /// The report's `missed_responses` (SPEC B.3, docs/replay.md: one verdict per customer
    /// message) is the engine's: `Reply::missed` at each reply, the `missed` of `Ended` at
    /// a close, `missed_if_ended` at the log's end, and the engine's rule applied to the
    /// messages after a silence disconnect. `Reply::late` (S54: one verdict per reply,
    /// from the customer's last message) is a different figure; where they differ:
    /// - c07: two customer messages (09:21:30, 09:21:50) before one reply (09:23:10):
    ///   both missed (100 s and 80 s), one late reply.
    /// - c08: the opening is never answered before the close (open 100 s > 60 s): the
    ///   close's `Ended` reports it missed; no reply, so no late one.
    /// - the opening at 0 and a message at 50, one reply at 70: the opening missed, the
    ///   reply in time (70 − 50 = 20 s).
    /// - messages after a silence disconnect: missed if the log's next reply (or close,
    ///   or its end) comes more than the interval after them; the engine has no session
    ///   left, so no reply verdict.
    #[test]
    fn the_engine_verdict_and_the_logs_missed_responses() {
        let (r, s) = run_text(EXAMPLE, &ReplaySettings::default()).unwrap();
        let pairs: Vec<(&str, u32, u32)> = s
            .iter()
            .filter(|(_, o)| o.late_replies + o.missed_responses > 0)
            .map(|(n, o)| (n.as_str(), o.late_replies, o.missed_responses))
            .collect();
        assert_eq!(
            pairs,
            [
                // (session, late replies, missed responses)
                ("c02", 1, 1),
                ("c03", 1, 1),
                ("c07", 1, 2),
                ("c08", 0, 1),
                ("c10", 1, 1),
            ]
        );
        assert_eq!(r.missed_responses, 6);
        // Each session's figure is the engine's own verdicts, summed: its replies'
        // `missed` plus its end's. Replayed here by hand through one engine.
        let config = ReplaySettings::default().engine_config().unwrap();
        let at = |s: u64| SimTime::from_secs(s);
        let mut d = Driver::new(config, &[4]);
        d.apply(at(0), Command::LogIn(AgentId(0))).unwrap();
        let Answer::Session(c07) = d.apply(at(0), Command::Request { draw: 0 }).unwrap() else {
            panic!("a session")
        };
        let reply = |d: &mut Driver, t, id| match d.apply(at(t), Command::Reply(id)) {
            Ok(Answer::Reply(r)) => r,
            other => panic!("{other:?}"),
        };
        assert_eq!(reply(&mut d, 10, c07).missed, 0);
        d.apply(at(20), Command::Message(c07)).unwrap();
        d.apply(at(40), Command::Message(c07)).unwrap();
        let both = reply(&mut d, 120, c07); // 100 s and 80 s after them
        assert_eq!((both.late, both.missed), (true, 2));
        let Answer::Session(c08) = d.apply(at(200), Command::Request { draw: 0 }).unwrap() else {
            panic!("a session")
        };
        while d.fire_next_due(at(300)).unwrap().is_some() {}
        assert_eq!(d.missed_if_ended(c08, at(300)), Ok(1));
        d.apply(at(300), Command::Close(c08)).unwrap();
        let ended = std::iter::from_fn(|| d.poll_event()).find_map(|e| match e {
            Event::Ended {
                session, missed, ..
            } if session == c08 => Some(missed),
            _ => None,
        });
        assert_eq!(ended, Some(1));
        // The mixed case: messages at 0 (the opening) and 50, one reply at 70. The
        // opening waited 70 s (missed); the reply is in time from 50, and the message at
        // 50 moved the reminder to 110.001, so none fired.
        let text = format!(
            "{HEADER}0,c1,a,request\n50,c1,,customer_message\n70,c1,a,agent_reply\n\
             80,c1,a,close\n"
        );
        let (r, s) = run_text(&text, &ReplaySettings::default()).unwrap();
        let o = outcome(&s, "c1");
        assert_eq!((o.late_replies, o.missed_responses, o.reminders), (0, 1, 0));
        assert_eq!(r.missed_responses, 1);
        // After a silence disconnect (reply at 10, cut at 310.001): a message at 400
        // answered at 470 (70 s: missed), one at 500 answered at 520 (in time), one at
        // 600 never answered before the close at 700 (missed at the close).
        let text = format!(
            "{HEADER}0,c1,a,request\n10,c1,a,agent_reply\n400,c1,,customer_message\n\
             470,c1,a,agent_reply\n500,c1,,customer_message\n520,c1,a,agent_reply\n\
             600,c1,,customer_message\n700,c1,a,close\n\
             0,c2,b,request\n5,c2,b,agent_reply\n400,c2,,customer_message\n\
             800,c3,b,request\n"
        );
        let mut lines: Vec<&str> = text.lines().skip(1).collect();
        lines.sort_by_key(|l| l.split(',').next().unwrap().parse::<u32>().unwrap());
        let text = format!("{HEADER}{}\n", lines.join("\n"));
        let (r, s) = run_text(&text, &ReplaySettings::default()).unwrap();
        let o = outcome(&s, "c1");
        assert!(o.premature);
        assert_eq!((o.late_replies, o.missed_responses), (0, 2));
        // c2: cut at 305.001; its message at 400 is never answered, and the log runs on
        // to 800 (c3's request): missed at the log's end.
        assert_eq!(outcome(&s, "c2").missed_responses, 1);
        assert_eq!(r.missed_responses, 3);
    }

    #[test]
    fn an_agent_with_more_than_64_open_sessions_is_replayed() {
        // 100 chats open at once for one agent, all answered at 90 s: one reminder each at
        // 60 s, every opening missed. The engine needs two agents of 64 for her.
        let mut text = HEADER.to_string();
        for i in 0..100 {
            text.push_str(&format!("0,c{i},a,request\n"));
        }
        for i in 0..100 {
            text.push_str(&format!("90,c{i},a,agent_reply\n100,c{i},a,close\n"));
        }
        // Close rows interleave with later replies: keep the file sorted.
        let mut lines: Vec<&str> = text.lines().skip(1).collect();
        lines.sort_by_key(|l| l.split(',').next().unwrap().parse::<u32>().unwrap());
        let text = format!("{HEADER}{}\n", lines.join("\n"));
        let r = replay_str(&text, "t", &ReplaySettings::default()).unwrap();
        assert_eq!(
            (r.sessions, r.reminders, r.missed_responses),
            (100, 100, 100)
        );
        assert_eq!(agent(&r, "a").sessions, 100);
    }

    #[test]
    fn limits_stop_runaway_inputs() {
        let text = format!("{HEADER}0,c1,a,request\n1000,c2,a,request\n");
        let tight = Limits {
            timer_wakeups: 5,
            ..Limits::DEFAULT
        };
        let e = run(&text, "t", &ReplaySettings::default(), tight).unwrap_err();
        assert!(
            matches!(e, ReplayError::TooManyTimers { limit: 5, .. }),
            "{e}"
        );
        let tight = Limits {
            rows: 1,
            ..Limits::DEFAULT
        };
        let e = run(&text, "t", &ReplaySettings::default(), tight).unwrap_err();
        assert!(e.to_string().contains("more than 1 rows"), "{e}");
    }
}
