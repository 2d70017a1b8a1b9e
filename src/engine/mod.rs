//! The dispatch engine (SPEC part A): the claimed method as a pure state machine.
//!
//! The engine owns no clock, no randomness and no I/O. A driver (the simulator, or a live
//! chat server) calls it in this order, as quinn-proto's `Connection` is driven:
//!
//! 1. `handle_*(now, …)` for each command as it happens (log-in/out, busy/un-busy requests,
//!    session requests, customer messages, agent replies, closes, abandons);
//! 2. `handle_timeout(now)` whenever `now` reaches the instant `poll_timeout()` gave;
//! 3. `poll_event()` until it returns `None`, after any of the above.
//!
//! `now` must never go back. Commands at an instant are taken before timers at that
//! instant: a reply at exactly last message + reply interval is in time, which is what the
//! claim's "exceeds" says.
//!
//! Inside, three structures carry the method: the [`ServiceQueue`](service_queue) of
//! eligible agents ordered by the distribution rule (S3, S8, claim 5), the FIFO
//! [`WaitQueue`](wait_queue) of customers no agent could take yet, and two deadline queues
//! of session [timers] (S5). The steady state allocates nothing: slots, queues and the
//! event buffer are reused once grown.

mod service_queue;
mod timers;
mod types;
mod wait_queue;

#[cfg(test)]
mod tests;

pub use service_queue::MAX_AGENTS;
pub use types::*;

use crate::time::SimTime;
use service_queue::{Placement, ServiceQueue};
use std::collections::VecDeque;
use timers::{TimerEntry, TimerKind, TimerQueue};
use wait_queue::WaitQueue;

/// No session / no link.
const NONE: u32 = u32::MAX;

/// One agent's state, as the method keeps it.
#[derive(Clone, Debug)]
struct Agent {
    max: u32,
    /// Service count: sessions held now.
    count: u32,
    online: bool,
    busy: bool,
    last_assign: SimTime,
    last_change: SimTime,
    /// Where the agent's open sessions start in `Engine::agent_sessions`: `count` slots
    /// from here, oldest first. Kept with the agent (not linked through the sessions) so
    /// ending a session touches one cache line, not its neighbours'.
    first: u32,
}

impl Agent {
    fn eligible(&self) -> bool {
        self.online && !self.busy && self.count < self.max
    }

    fn placement(&self) -> Placement {
        Placement {
            count: self.count,
            max: self.max,
            last_assign_ms: self.last_assign.0,
            last_change_ms: self.last_change.0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SessionState {
    Free,
    Waiting,
    Connected,
}

/// One session slot.
#[derive(Clone, Debug)]
struct Session {
    generation: u32,
    state: SessionState,
    agent: u32,
    /// Start of the current wait (request, or hand-back).
    waiting_since: SimTime,
    /// S52: the customer's last message.
    last_customer_msg: SimTime,
    /// S51: the agent's last reply.
    last_agent_reply: SimTime,
    /// S53: the agent's last reply is before the customer's last message.
    reply_owed: bool,
    /// Reminders sent for the reply owed now.
    reminders: u32,
    /// Bumped at every arm or cancel; a timer entry is live iff its epoch matches.
    timer_epoch: u32,
    timer: Option<TimerKind>,
    /// The caller's random draw for the `Random` rule.
    draw: u64,
}

/// A read-only view of one agent, for drivers, metrics and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgentView {
    pub count: u32,
    pub max: u32,
    pub online: bool,
    pub busy: bool,
    /// Set while the agent holds at least one session (S4).
    pub serving: bool,
}

/// Counters of the engine's own work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Sessions connected by the distribution rule.
    pub routing_decisions: u64,
    /// Commands handled plus timers fired.
    pub inputs: u64,
}

/// The dispatch engine. See the module doc for the calling order.
#[derive(Debug)]
pub struct Engine {
    config: EngineConfig,
    now: SimTime,
    agents: Vec<Agent>,
    sessions: Vec<Session>,
    /// Every agent's open-session slots, `max` entries per agent (see `Agent::first`).
    agent_sessions: Vec<u32>,
    free: Vec<u32>,
    service: ServiceQueue,
    waiting: WaitQueue,
    reminders: TimerQueue,
    disconnects: TimerQueue,
    events: VecDeque<Event>,
    stats: EngineStats,
}

impl Engine {
    /// An engine for agents with these session caps (`AgentId(i)` has `max_sessions[i]`),
    /// all logged out. Caps must be in 1..=64 and there may be at most [`MAX_AGENTS`]
    /// agents; the scenario loader checks both, and this panics otherwise.
    pub fn new(config: EngineConfig, max_sessions: &[u32]) -> Engine {
        assert!(max_sessions.len() <= MAX_AGENTS, "too many agents");
        assert!(
            max_sessions.iter().all(|&m| (1..=64).contains(&m)),
            "max_sessions must be 1..=64"
        );
        let mut first = 0u32;
        let agents = max_sessions
            .iter()
            .map(|&max| {
                let agent = Agent {
                    max,
                    count: 0,
                    online: false,
                    busy: false,
                    last_assign: SimTime::ZERO,
                    last_change: SimTime::ZERO,
                    first,
                };
                first += max;
                agent
            })
            .collect();
        Engine {
            config,
            now: SimTime::ZERO,
            agents,
            sessions: Vec::new(),
            agent_sessions: vec![NONE; first as usize],
            free: Vec::new(),
            service: ServiceQueue::new(config.rule, max_sessions),
            waiting: WaitQueue::default(),
            reminders: TimerQueue::default(),
            disconnects: TimerQueue::default(),
            events: VecDeque::with_capacity(64),
            stats: EngineStats::default(),
        }
    }

    // ----- inputs --------------------------------------------------------------------

    /// The agent logs in: it joins the service queue and may take waiting customers.
    pub fn handle_log_in(&mut self, now: SimTime, agent: AgentId) -> Result<(), EngineError> {
        self.advance(now)?;
        let a = self.agent_index(agent)?;
        if !self.agents[a].online {
            self.agents[a].online = true;
            self.agents[a].last_change = now;
            self.place(a);
            self.events.push_back(Event::Agent {
                agent,
                change: AgentChange::LoggedIn,
            });
            self.drain_wait_queue();
        }
        Ok(())
    }

    /// The agent logs out: it gets nothing more; its open sessions either run to their end
    /// (`Finish`) or go back to the head of the wait queue, oldest first (`HandBack`).
    pub fn handle_log_out(
        &mut self,
        now: SimTime,
        agent: AgentId,
        mode: LogOutMode,
    ) -> Result<(), EngineError> {
        self.advance(now)?;
        let a = self.agent_index(agent)?;
        if !self.agents[a].online {
            return Ok(());
        }
        self.agents[a].online = false;
        self.agents[a].busy = false;
        self.place(a);
        self.events.push_back(Event::Agent {
            agent,
            change: AgentChange::LoggedOut,
        });
        if mode == LogOutMode::HandBack && self.agents[a].count > 0 {
            // Newest first onto the head, so the oldest ends up first in line.
            let (first, count) = (self.agents[a].first as usize, self.agents[a].count as usize);
            for i in (first..first + count).rev() {
                let s = self.agent_sessions[i];
                let session = &mut self.sessions[s as usize];
                session.state = SessionState::Waiting;
                session.waiting_since = now;
                session.timer_epoch = session.timer_epoch.wrapping_add(1);
                session.timer = None;
                let id = SessionId {
                    slot: s,
                    generation: session.generation,
                };
                self.waiting.push_front(id);
                self.events
                    .push_back(Event::HandedBack { session: id, agent });
            }
            self.agents[a].count = 0;
            self.agents[a].last_change = now;
            self.drain_wait_queue();
        }
        Ok(())
    }

    /// S1/S2 and S6/S7/S8: a busy request flags the agent busy (it keeps its sessions but
    /// gets no new ones); an un-busy request clears the flag and puts the agent back into
    /// the service queue at the place its load gives it.
    pub fn handle_agent_request(
        &mut self,
        now: SimTime,
        request: AgentRequest,
    ) -> Result<(), EngineError> {
        self.advance(now)?;
        let a = self.agent_index(request.agent)?;
        if !self.agents[a].online {
            return Err(EngineError::AgentOffline(request.agent));
        }
        let busy = request.code == RequestCode::Busy;
        if self.agents[a].busy == busy {
            return Ok(());
        }
        self.agents[a].busy = busy;
        if !busy {
            self.agents[a].last_change = now;
        }
        self.place(a);
        let change = if busy {
            AgentChange::Busy
        } else {
            AgentChange::Unbusy
        };
        self.events.push_back(Event::Agent {
            agent: request.agent,
            change,
        });
        if !busy {
            self.drain_wait_queue();
        }
        Ok(())
    }

    /// S3: a customer asks for a session. It is connected at once by the distribution rule
    /// if an agent can take it, else queued. `draw` is a uniform random `u64` the `Random`
    /// rule uses (other rules ignore it). The request counts as the customer's opening
    /// message: from connection on, the agent owes a reply.
    pub fn handle_session_request(
        &mut self,
        now: SimTime,
        draw: u64,
    ) -> Result<SessionId, EngineError> {
        self.advance(now)?;
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.sessions.push(Session {
                    generation: 0,
                    state: SessionState::Free,
                    agent: NONE,
                    waiting_since: now,
                    last_customer_msg: now,
                    last_agent_reply: now,
                    reply_owed: false,
                    reminders: 0,
                    timer_epoch: 0,
                    timer: None,
                    draw,
                });
                (self.sessions.len() - 1) as u32
            }
        };
        let session = &mut self.sessions[slot as usize];
        session.state = SessionState::Waiting;
        session.waiting_since = now;
        session.draw = draw;
        let id = SessionId {
            slot,
            generation: session.generation,
        };
        if self.waiting.len() == 0 {
            if let Some(a) = self.service.pick(draw) {
                self.connect(slot, a);
                return Ok(id);
            }
        }
        self.waiting.push_back(id);
        self.events.push_back(Event::Queued {
            session: id,
            position: self.waiting.len(),
        });
        Ok(id)
    }

    /// S52: the customer sent a message; the agent now owes a reply, and a reminder is
    /// armed at this message + reply interval (the customer's silence timer stops).
    pub fn handle_customer_message(
        &mut self,
        now: SimTime,
        session: SessionId,
    ) -> Result<(), EngineError> {
        self.advance(now)?;
        let s = self.connected_slot(session)?;
        let sess = &mut self.sessions[s as usize];
        sess.last_customer_msg = now;
        sess.reply_owed = true;
        self.arm_reminder(s, now);
        Ok(())
    }

    /// S51: the agent replied; the customer now owes the next message, and a disconnect
    /// is armed at this reply + message interval.
    pub fn handle_agent_reply(
        &mut self,
        now: SimTime,
        session: SessionId,
    ) -> Result<(), EngineError> {
        self.advance(now)?;
        let s = self.connected_slot(session)?;
        let sess = &mut self.sessions[s as usize];
        sess.last_agent_reply = now;
        sess.reply_owed = false;
        sess.reminders = 0;
        self.arm(
            s,
            TimerKind::Disconnect,
            self.config.message_interval.map(|i| now + i),
        );
        Ok(())
    }

    /// The customer closed a connected session (normal end); claim 5 re-queues the agent.
    pub fn handle_customer_close(
        &mut self,
        now: SimTime,
        session: SessionId,
    ) -> Result<(), EngineError> {
        self.advance(now)?;
        let s = self.connected_slot(session)?;
        self.end_session(s, EndReason::Closed);
        Ok(())
    }

    /// A waiting customer gave up before being connected.
    pub fn handle_abandon(&mut self, now: SimTime, session: SessionId) -> Result<(), EngineError> {
        self.advance(now)?;
        let s = self.live_slot(session)?;
        if self.sessions[s as usize].state != SessionState::Waiting {
            return Err(EngineError::WrongSessionState(session));
        }
        let waited = now.since(self.sessions[s as usize].waiting_since);
        self.free_slot(s);
        let sessions = &self.sessions;
        self.waiting.forget_one(|id| is_waiting(sessions, id));
        self.events.push_back(Event::Abandoned { session, waited });
        Ok(())
    }

    /// Fires every timer due at or before `now` (S53–S56), in deadline order; at equal
    /// deadlines reminders go before disconnects.
    pub fn handle_timeout(&mut self, now: SimTime) -> Result<(), EngineError> {
        self.advance(now)?;
        loop {
            let r = self.live_front(TimerKind::Reminder);
            let d = self.live_front(TimerKind::Disconnect);
            let (kind, entry) = match (r, d) {
                (Some(r), Some(d)) if d.deadline < r.deadline => (TimerKind::Disconnect, d),
                (Some(r), _) => (TimerKind::Reminder, r),
                (None, Some(d)) => (TimerKind::Disconnect, d),
                (None, None) => break,
            };
            if entry.deadline > now {
                break;
            }
            match kind {
                TimerKind::Reminder => {
                    self.reminders.pop();
                    self.on_reminder_due(entry);
                }
                TimerKind::Disconnect => {
                    self.disconnects.pop();
                    self.stats.inputs += 1;
                    self.end_session(entry.slot, EndReason::Silence);
                }
            }
        }
        Ok(())
    }

    // ----- outputs -------------------------------------------------------------------

    /// The next thing that happened, in the order it happened.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next instant the engine must be woken at with `handle_timeout`, if any.
    pub fn poll_timeout(&mut self) -> Option<SimTime> {
        let r = self.live_front(TimerKind::Reminder).map(|e| e.deadline);
        let d = self.live_front(TimerKind::Disconnect).map(|e| e.deadline);
        match (r, d) {
            (Some(r), Some(d)) => Some(r.min(d)),
            (r, d) => r.or(d),
        }
    }

    /// A view of one agent.
    pub fn agent(&self, agent: AgentId) -> Result<AgentView, EngineError> {
        let a = &self.agents[self.agent_index(agent)?];
        Ok(AgentView {
            count: a.count,
            max: a.max,
            online: a.online,
            busy: a.busy,
            serving: a.count > 0,
        })
    }

    /// Number of agents the engine was built with.
    pub fn agent_count(&self) -> usize {
        self.agents.len()
    }

    /// Customers waiting for an agent now.
    pub fn waiting_len(&self) -> u32 {
        self.waiting.len()
    }

    /// The agent a session is connected to, if it is connected.
    pub fn session_agent(&self, session: SessionId) -> Option<AgentId> {
        let s = self.connected_slot(session).ok()?;
        Some(AgentId(self.sessions[s as usize].agent))
    }

    /// Whether the agent of a connected session owes a reply (S53).
    pub fn reply_owed(&self, session: SessionId) -> Option<bool> {
        let s = self.connected_slot(session).ok()?;
        Some(self.sessions[s as usize].reply_owed)
    }

    /// Counters of the engine's own work.
    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    /// The configuration the engine runs with.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Checks every invariant of SPEC part A in O(agents + sessions); for tests and soaks.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut open = vec![0u32; self.agents.len()];
        let mut waiting = 0u32;
        for (i, s) in self.sessions.iter().enumerate() {
            match s.state {
                SessionState::Connected => {
                    open[s.agent as usize] += 1;
                    let owed_timer = if s.reply_owed {
                        TimerKind::Reminder
                    } else {
                        TimerKind::Disconnect
                    };
                    if s.timer.is_some_and(|t| t != owed_timer) {
                        return Err(format!(
                            "session {i}: timer {:?} armed while reply_owed={}",
                            s.timer, s.reply_owed
                        ));
                    }
                }
                SessionState::Waiting => waiting += 1,
                SessionState::Free => {}
            }
        }
        if waiting != self.waiting.len() {
            return Err(format!(
                "{waiting} sessions waiting, wait queue counts {}",
                self.waiting.len()
            ));
        }
        let mut any_eligible = false;
        for (i, a) in self.agents.iter().enumerate() {
            if a.count != open[i] {
                return Err(format!(
                    "agent {i}: service count {} but {} open sessions",
                    a.count, open[i]
                ));
            }
            if a.count > a.max {
                return Err(format!(
                    "agent {i}: service count {} above max {}",
                    a.count, a.max
                ));
            }
            let listed = &self.agent_sessions[a.first as usize..(a.first + a.count) as usize];
            if let Some(s) = listed.iter().find(|&&s| {
                let session = &self.sessions[s as usize];
                session.state != SessionState::Connected || session.agent != i as u32
            }) {
                return Err(format!(
                    "agent {i}: lists slot {s}, not one of its sessions"
                ));
            }
            if self.service.contains(i as u32) != a.eligible() {
                return Err(format!(
                    "agent {i}: queued={} but eligible={}",
                    self.service.contains(i as u32),
                    a.eligible()
                ));
            }
            any_eligible |= a.eligible();
        }
        if waiting > 0 && any_eligible {
            return Err(format!(
                "{waiting} customers wait while an eligible agent has room"
            ));
        }
        Ok(())
    }

    /// Entries held by the internal queues, live or stale (for memory-bound tests).
    pub fn stored_entries(&self) -> usize {
        self.waiting.stored() + self.reminders.stored() + self.disconnects.stored()
    }

    // ----- internal reactions --------------------------------------------------------

    fn advance(&mut self, now: SimTime) -> Result<(), EngineError> {
        if now < self.now {
            return Err(EngineError::TimeWentBackwards {
                now,
                last: self.now,
            });
        }
        self.now = now;
        self.stats.inputs += 1;
        Ok(())
    }

    fn agent_index(&self, agent: AgentId) -> Result<usize, EngineError> {
        if (agent.0 as usize) < self.agents.len() {
            Ok(agent.0 as usize)
        } else {
            Err(EngineError::UnknownAgent(agent))
        }
    }

    fn live_slot(&self, id: SessionId) -> Result<u32, EngineError> {
        match self.sessions.get(id.slot as usize) {
            Some(s) if s.generation == id.generation && s.state != SessionState::Free => {
                Ok(id.slot)
            }
            _ => Err(EngineError::UnknownSession(id)),
        }
    }

    fn connected_slot(&self, id: SessionId) -> Result<u32, EngineError> {
        let s = self.live_slot(id)?;
        if self.sessions[s as usize].state == SessionState::Connected {
            Ok(s)
        } else {
            Err(EngineError::WrongSessionState(id))
        }
    }

    /// Puts agent `a` where its state says: queued at its place, or out.
    fn place(&mut self, a: usize) {
        let agent = &self.agents[a];
        self.service
            .update(a as u32, agent.eligible(), agent.placement());
    }

    /// S3/S4: connect slot `s` to agent `a`, mark it serving, add 1 to its count.
    fn connect(&mut self, s: u32, a: u32) {
        let now = self.now;
        self.service.on_picked(a);
        self.stats.routing_decisions += 1;
        let agent = &mut self.agents[a as usize];
        agent.count += 1;
        agent.last_assign = now;
        agent.last_change = now;
        self.agent_sessions[(agent.first + agent.count - 1) as usize] = s;
        let session = &mut self.sessions[s as usize];
        session.state = SessionState::Connected;
        session.agent = a;
        session.last_customer_msg = now;
        session.last_agent_reply = now;
        session.reply_owed = true;
        session.reminders = 0;
        let waited = now.since(session.waiting_since);
        let id = SessionId {
            slot: s,
            generation: session.generation,
        };
        self.place(a as usize);
        self.arm_reminder(s, now);
        self.events.push_back(Event::Connected {
            session: id,
            agent: AgentId(a),
            waited,
        });
    }

    /// Ends a connected session (normal close or S56), subtracts 1 from the agent's count,
    /// puts the agent back at its new place (claim 5) and serves the wait queue.
    fn end_session(&mut self, s: u32, reason: EndReason) {
        let a = self.sessions[s as usize].agent;
        let id = SessionId {
            slot: s,
            generation: self.sessions[s as usize].generation,
        };
        self.unlink(a as usize, s);
        let agent = &mut self.agents[a as usize];
        agent.last_change = self.now;
        self.free_slot(s);
        self.place(a as usize);
        self.events.push_back(Event::Ended {
            session: id,
            agent: AgentId(a),
            reason,
        });
        self.drain_wait_queue();
    }

    /// Work conservation: connect waiting customers while an agent can take one.
    fn drain_wait_queue(&mut self) {
        while self.waiting.len() > 0 {
            let sessions = &self.sessions;
            let Some(head) = self.waiting.front(|id| is_waiting(sessions, id)) else {
                break;
            };
            let draw = sessions[head.slot as usize].draw;
            let Some(a) = self.service.pick(draw) else {
                break;
            };
            let sessions = &self.sessions;
            self.waiting.pop_front(|id| is_waiting(sessions, id));
            self.connect(head.slot, a);
        }
    }

    /// Removes slot `s` from agent `a`'s open sessions (keeping the rest oldest first)
    /// and subtracts 1 from its service count.
    fn unlink(&mut self, a: usize, s: u32) {
        let agent = &mut self.agents[a];
        let list =
            &mut self.agent_sessions[agent.first as usize..(agent.first + agent.count) as usize];
        let at = list
            .iter()
            .position(|&x| x == s)
            .expect("a connected session is listed");
        list.copy_within(at + 1.., at);
        agent.count -= 1;
    }

    fn free_slot(&mut self, s: u32) {
        let session = &mut self.sessions[s as usize];
        session.state = SessionState::Free;
        session.generation = session.generation.wrapping_add(1);
        session.timer_epoch = session.timer_epoch.wrapping_add(1);
        session.timer = None;
        session.agent = NONE;
        self.free.push(s);
    }

    /// S53–S55: a reminder at the last customer message + reply interval, unless the cap
    /// of reminders for this owed reply is reached.
    fn arm_reminder(&mut self, s: u32, from: SimTime) {
        let session = &self.sessions[s as usize];
        let capped = self
            .config
            .reminder_cap
            .is_some_and(|cap| session.reminders >= cap)
            || (!self.config.repeat_reminders && session.reminders >= 1);
        let deadline = if capped {
            None
        } else {
            self.config.reply_interval.map(|i| from + i)
        };
        self.arm(s, TimerKind::Reminder, deadline);
    }

    /// Replaces the session's timer with `kind` at `deadline` (or none).
    fn arm(&mut self, s: u32, kind: TimerKind, deadline: Option<SimTime>) {
        let session = &mut self.sessions[s as usize];
        session.timer_epoch = session.timer_epoch.wrapping_add(1);
        session.timer = None;
        if let Some(deadline) = deadline {
            session.timer = Some(kind);
            let entry = TimerEntry {
                deadline,
                slot: s,
                epoch: session.timer_epoch,
            };
            match kind {
                TimerKind::Reminder => self.reminders.push(entry),
                TimerKind::Disconnect => self.disconnects.push(entry),
            }
        }
    }

    fn live_front(&mut self, kind: TimerKind) -> Option<TimerEntry> {
        let sessions = &self.sessions;
        let live = |e: &TimerEntry| sessions[e.slot as usize].timer_epoch == e.epoch;
        match kind {
            TimerKind::Reminder => self.reminders.front(live),
            TimerKind::Disconnect => self.disconnects.front(live),
        }
    }

    /// S55: the agent still owes a reply past the interval: remind it, and re-arm at the
    /// next multiple of the interval if reminders repeat and the cap allows.
    fn on_reminder_due(&mut self, entry: TimerEntry) {
        self.stats.inputs += 1;
        let s = entry.slot;
        let session = &mut self.sessions[s as usize];
        debug_assert!(session.reply_owed && session.state == SessionState::Connected);
        session.reminders += 1;
        let nth = session.reminders;
        let id = SessionId {
            slot: s,
            generation: session.generation,
        };
        let agent = AgentId(session.agent);
        self.events.push_back(Event::ReminderDue {
            session: id,
            agent,
            nth,
        });
        if self.config.repeat_reminders {
            self.arm_reminder(s, entry.deadline);
        } else {
            let session = &mut self.sessions[s as usize];
            session.timer = None;
            session.timer_epoch = session.timer_epoch.wrapping_add(1);
        }
    }
}

fn is_waiting(sessions: &[Session], id: SessionId) -> bool {
    let s = &sessions[id.slot as usize];
    s.generation == id.generation && s.state == SessionState::Waiting
}
