//! A session's life and an agent's place, the reactions every command shares: the clock
//! moved on (timers due fire first), an agent placed in or taken out of the service
//! queue, a slot found, a session connected, ended, handed over to the next waiting
//! customer or handed back at log-out, and the wait queue drained.

use crate::records::{
    connected_agent, is_waiting, live_session, session_at, session_at_mut, Link, Session,
    SessionDetail, HOME_SHIFT,
};
use crate::service_queue::{ordered_key, Placement, ServiceQueue};
use crate::shape::Shape;
use crate::time::{Millis, SimTime};
use crate::{AgentId, EndReason, Engine, EngineError, Event, RoutingRule, SessionId};

impl Engine {
    pub(crate) fn advance<S: Shape>(&mut self, now: SimTime) -> Result<(), EngineError> {
        if now < self.now {
            return Err(EngineError::TimeWentBackwards {
                now,
                last: self.now,
            });
        }
        self.now = now;
        self.stats.inputs += 1;
        if self.timer_due(now) {
            // A driver that did not wake the engine at `poll_timeout` first: timers due
            // by now fire before the command, whatever the driver's order.
            self.fire_due::<S>(now);
        }
        Ok(())
    }

    /// Whether a timer may be due at `now`: one compare with [`Engine::next_due`], so
    /// every command can afford the check.
    #[inline(always)]
    fn timer_due(&self, now: SimTime) -> bool {
        now >= self.next_due
    }

    /// The earliest stored deadline (live or stale), or the end of time.
    pub(crate) fn earliest_stored<S: Shape>(&self) -> SimTime {
        let r = self.reminders.front_deadline().unwrap_or(SimTime::NEVER);
        let d = self.disconnects.front_deadline().unwrap_or(SimTime::NEVER);
        if !S::FULL {
            return r.min(d);
        }
        let w = self
            .desk
            .as_deref()
            .map_or(SimTime::NEVER, |desk| desk.earliest_wake());
        if self.switches.timers_on() {
            return r.min(d).min(w).min(self.switch_earliest_stored());
        }
        r.min(d).min(w)
    }

    pub(crate) fn agent_index(&self, agent: AgentId) -> Result<usize, EngineError> {
        if (agent.0 as usize) < self.agents.len() {
            Ok(agent.0 as usize)
        } else {
            Err(EngineError::UnknownAgent(agent))
        }
    }

    #[inline(always)]
    pub(crate) fn live_slot(&self, id: SessionId) -> Result<u32, EngineError> {
        live_session(session_at(&self.agents, &self.overflow, id.slot), id).map(|_| id.slot)
    }

    /// The agent of a connected session.
    #[inline(always)]
    pub(crate) fn connected(&self, id: SessionId) -> Result<u32, EngineError> {
        connected_agent(session_at(&self.agents, &self.overflow, id.slot), id)
    }

    /// S51/S52: sets who owes the next turn of connected session `id` (one lookup: the
    /// turn commands are the engine's most frequent).
    /// Returns whether a reply was owed before.
    #[inline(always)]
    pub(crate) fn set_reply_owed(
        &mut self,
        id: SessionId,
        owed: bool,
    ) -> Result<bool, EngineError> {
        let mut session = session_at_mut(&mut self.agents, &mut self.overflow, id.slot);
        connected_agent(session.as_deref(), id)?;
        let mut was = false;
        if let Some(s) = session.as_mut() {
            was = s.link.reply_owed();
            s.link = s.link.with_reply_owed(owed);
        }
        Ok(was)
    }

    /// Records a change of agent `a`'s session set or availability: the instant longest
    /// idle orders by. (The load rules order by the last assignment, set in `connect`.)
    pub(crate) fn touch(&mut self, a: usize) {
        if self.config.rule == RoutingRule::LongestIdle {
            self.agents[a].tie_time = self.now;
        }
    }

    /// Puts agent `a` where its state says: queued at its place, or out.
    #[inline(always)]
    pub(crate) fn place<S: Shape>(&mut self, a: usize) {
        let agent = &self.agents[a];
        let (eligible, placement) = (agent.eligible(), agent.placement());
        if let Some(desk) = self.desk_in::<S>() {
            desk.place(a as u32, eligible, placement);
            return;
        }
        match &mut self.service {
            ServiceQueue::SingleChat(_) => {
                if eligible || self.agents[a].queue.queued() {
                    self.place_single_chat(a, eligible, placement);
                }
                // Else out and staying out: every connection of a customer who waited
                // (the agent is out of the heap while it serves the head), and every
                // connection filling the agent's one place.
            }
            service => service.update(&mut self.agents[..], a as u32, eligible, placement),
        }
    }

    /// [`Engine::place`] on the single-chat heap, called directly: the general update's
    /// prologue and dispatch cost more than the heap's own work (issue 19), and inlined:
    /// the call's saved registers cost ~16 instructions per placement. Every other
    /// structure keeps its one call, `ServiceQueue::update`.
    #[inline(always)]
    fn place_single_chat(&mut self, a: usize, eligible: bool, placement: Placement) {
        if let ServiceQueue::SingleChat(heap) = &mut self.service {
            let key = ordered_key(placement, a as u32);
            heap.update(&mut self.agents[..], a as u32, eligible, key);
        }
    }

    /// The session in slot `s`, which must exist.
    #[inline(always)]
    pub(crate) fn session(&self, s: u32) -> &Session {
        session_at(&self.agents, &self.overflow, s).expect("an allocated slot")
    }

    #[inline(always)]
    pub(crate) fn session_mut(&mut self, s: u32) -> &mut Session {
        session_at_mut(&mut self.agents, &mut self.overflow, s).expect("an allocated slot")
    }

    /// A free slot for a new session: a home slot of `agent` (the agent it is about to
    /// be connected to) when one is free, else an overflow slot. Inlined: the base's
    /// build inlined it into the request, and out of line it cost ~30 instructions a call.
    #[inline(always)]
    pub(crate) fn alloc_slot(&mut self, agent: Option<u32>) -> u32 {
        if let Some(a) = agent {
            // Which home slot is free varies at random from one request to the next, so
            // the search is branch-free: a mask of free slots, then its lowest bit.
            let home = &self.agents[a as usize].home;
            let free = home
                .iter()
                .enumerate()
                .fold(0u32, |m, (k, s)| m | ((s.link == Link::FREE) as u32) << k);
            if free != 0 {
                return a << HOME_SHIFT | free.trailing_zeros();
            }
        }
        if let Some(s) = self.free.pop() {
            return s;
        }
        self.overflow.push(Session {
            generation: 0,
            link: Link::FREE,
        });
        self.details.push(SessionDetail::default());
        (self.details.len() - 1) as u32
    }

    /// S3/S4: connect slot `s` to agent `a`, mark it serving, add 1 to its count.
    /// `may_resume`: the session comes from the wait queue and may be a handed-back one
    /// (an immediate connection never is, and skips the session's detail when it can).
    /// Inlined into its callers: each routed customer passes here once, and the call's
    /// prologue and epilogue (six saved registers) cost ~20 instructions (issue 19).
    #[inline(always)]
    pub(crate) fn connect<S: Shape>(
        &mut self,
        s: u32,
        a: u32,
        waited: Millis,
        may_resume: bool,
    ) -> SessionId {
        self.service.on_picked(a);
        self.stats.routing_decisions += 1;
        let agent = &mut self.agents[a as usize];
        let n = agent.count as usize;
        agent.count += 1;
        agent.tie_time = self.now;
        agent.open_places(&mut self.spilled)[n] = s;
        let session = self.session_mut(s);
        session.link = Link::connected(a, true);
        let id = SessionId {
            slot: s,
            generation: session.generation,
        };
        self.place::<S>(a as usize);
        let has_timers = self.has_timers();
        if may_resume && self.details[s as usize].resume {
            let detail = &mut self.details[s as usize];
            detail.resume = false;
            let owed = detail.owed;
            self.session_mut(s).link = Link::connected(a, owed);
            self.resume_timer(s, owed);
        } else if has_timers || self.conversations {
            // B.1: the opening message counts as sent now; the agent owes the reply.
            let detail = &mut self.details[s as usize];
            detail.turn_at = self.now;
            if has_timers {
                detail.reminders = 0;
                self.arm_reminder(s, self.now);
            }
        }
        if self.transfer_on::<S>() {
            self.first_reply_on_connect(s, a);
        }
        let count = self.agents[a as usize].count as u32;
        self.events.push_back(Event::Connected {
            session: id,
            agent: AgentId(a),
            waited,
            count,
        });
        id
    }

    /// Ends session `id` of agent `a` (normal close or S56), subtracts 1 from the agent's
    /// count, puts the agent back at its new place (claim 5) and serves the wait queue.
    /// Inlined: a close is one per customer, and the call cost ~16 instructions.
    #[inline(always)]
    pub(crate) fn end_session<S: Shape>(&mut self, id: SessionId, a: u32, reason: EndReason) {
        let s = id.slot;
        if self.inactive_on::<S>() && self.session(s).link.parked() {
            self.end_parked(id, a, reason);
            return;
        }
        self.leave_list::<S>(a, s);
        self.touch(a as usize);
        let missed = self.free_slot::<S>(s);
        self.events.push_back(Event::Ended {
            session: id,
            agent: AgentId(a),
            reason,
            missed,
        });
        if !S::FULL && self.waiting.len() > 0 && self.agents[a as usize].eligible() {
            return self.hand_over_head::<S>(a);
        }
        self.place::<S>(a as usize);
        // Checked here: the call alone costs more than the check (issue 19).
        if self.has_desk::<S>() || self.waiting.len() > 0 {
            self.drain_wait_queue::<S>();
        }
    }

    /// Agent `a`, which the end of a session has just made eligible, takes the head of
    /// the pooled wait queue. Customers wait only while no agent is eligible (work
    /// conservation), so `a` is the one agent the rule can give the head, whatever the
    /// rule: connect them directly instead of placing `a` in the service queue and taking
    /// it out again at once (at a busy desk, half the closes end this way). The agents'
    /// order is the same as through [`Engine::drain_wait_queue`]; only the service
    /// queue's stale entries differ.
    fn hand_over_head<S: Shape>(&mut self, a: u32) {
        debug_assert!(
            self.service.pick(0).is_none(),
            "customers wait while an agent is eligible"
        );
        let (agents, overflow) = (&self.agents, &self.overflow);
        let Some(head) = self
            .waiting
            .pop_front(|id| is_waiting(agents, overflow, id))
        else {
            // Not while `len` counts the live entries; placing `a` is right either way.
            self.place::<S>(a as usize);
            return;
        };
        let waited = self
            .now
            .saturating_since(self.details[head.slot as usize].waiting_since);
        self.connect::<S>(head.slot, a, waited, true);
        if self.agents[a as usize].eligible() {
            // A cap the close left two below (never, while the invariant holds).
            self.drain_wait_queue::<S>();
        }
    }

    /// Session `s`, handed back by `agent` logging out, waits again from `now` at the head
    /// of its wait queue: it resumes (the customer is not new) and still owes the reply it
    /// owed; its timer is cancelled and its first-reply clock paused.
    pub(crate) fn hand_back<S: Shape>(&mut self, s: u32, agent: AgentId, now: SimTime) {
        let session = self.session_mut(s);
        let owed = session.link.reply_owed();
        session.link = Link::WAITING;
        let id = SessionId {
            slot: s,
            generation: session.generation,
        };
        let detail = &mut self.details[s as usize];
        detail.waiting_since = now;
        detail.resume = true;
        detail.owed = owed;
        self.cancel_timer(s);
        if self.transfer_on::<S>() {
            self.first_reply_pause(s);
        }
        self.wait_at_head::<S>(id);
        self.events
            .push_back(Event::HandedBack { session: id, agent });
    }

    /// A handed-back session waits at the head of its queue (the desk's queue of its
    /// session on a desk of queues).
    pub(crate) fn wait_at_head<S: Shape>(&mut self, id: SessionId) {
        match self.desk_in::<S>() {
            None => self.waiting.push_front(id),
            Some(desk) => desk.push_front(id),
        }
    }

    /// Takes agent `a` out of routing until the next `place(a)`: a transfer skips the
    /// agents that held the session already.
    pub(crate) fn unplace(&mut self, a: usize) {
        let placement = self.agents[a].placement();
        match self.desk.as_deref_mut() {
            None => self
                .service
                .update(&mut self.agents[..], a as u32, false, placement),
            Some(desk) => desk.place(a as u32, false, placement),
        }
    }

    /// The agent the rule gives connected session `s` now (a transfer), told it was
    /// picked. On a desk of queues, any ring of its queue may serve it, as a hand-back.
    pub(crate) fn pick_for_transfer(&mut self, s: u32, draw: u64) -> Option<u32> {
        match self.desk.as_deref_mut() {
            None => {
                let b = self.service.pick(draw)?;
                self.service.on_picked(b);
                Some(b)
            }
            Some(desk) => desk.pick_for_transfer(s, draw),
        }
    }

    /// Work conservation: connect waiting customers while an agent can take one.
    pub(crate) fn drain_wait_queue<S: Shape>(&mut self) {
        if self.has_desk::<S>() {
            return self.drain_desk();
        }
        while self.waiting.len() > 0 {
            let (agents, overflow) = (&self.agents, &self.overflow);
            let Some(head) = self.waiting.front(|id| is_waiting(agents, overflow, id)) else {
                break;
            };
            let detail = &self.details[head.slot as usize];
            let Some(a) = self.service.pick(detail.draw) else {
                break;
            };
            let waited = self.now.saturating_since(detail.waiting_since);
            let (agents, overflow) = (&self.agents, &self.overflow);
            self.waiting
                .pop_front(|id| is_waiting(agents, overflow, id));
            self.connect::<S>(head.slot, a, waited, true);
        }
    }

    /// Frees slot `s` for reuse, cancelling its timer, and returns its unanswered
    /// messages that were missed by now (the end's verdict). A desk without timers never
    /// arms one nor keeps messages, so it skips the session's detail (a cache line a
    /// random close would miss). Inlined for the same reason as [`Engine::alloc_slot`].
    #[inline(always)]
    pub(crate) fn free_slot<S: Shape>(&mut self, s: u32) -> u32 {
        let mut missed = 0;
        // A switch's timer (inactivity) shares the session's epoch: cancel it too when
        // the method's own timers are off.
        if self.has_timers() || self.switch_timers_on::<S>() {
            missed = self.settle(s);
            self.cancel_timer(s);
        }
        if self.transfer_on::<S>() {
            self.first_reply_forget(s);
        }
        let session = self.session_mut(s);
        session.link = Link::FREE;
        session.generation = session.generation.wrapping_add(1);
        if s >= (self.agents.len() as u32) << HOME_SHIFT {
            self.free.push(s);
        }
        missed
    }
}
