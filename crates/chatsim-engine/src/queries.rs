//! The engine's outputs and read-only views: the events and the next wake-up a driver
//! polls, the views of agents and sessions that drivers and metrics read, the work
//! counters, and the invariant check the property tests run after every command.

use crate::records::{connected_agent, session_at, Link, HOME_SHIFT};
use crate::service_queue::is_queued;
use crate::shape::{by_shape, Full, Shape};
use crate::time::SimTime;
use crate::timers::TimerKind;
use crate::turns::is_missed;
use crate::{
    AgentId, AgentView, Engine, EngineConfig, EngineError, EngineStats, Event, QueueId, SessionId,
};

impl Engine {
    /// The next thing that happened, in the order it happened.
    #[inline]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Whether an event is waiting to be polled: a driver can skip its polling loop
    /// after the many commands that report nothing (a reply, a customer message).
    #[inline]
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// The next instant the engine must be woken at with `handle_timeout`, if any.
    #[inline]
    pub fn poll_timeout(&mut self) -> Option<SimTime> {
        if self.quiet {
            return None;
        }
        // A plain engine's only timers are reminders and disconnects; when both queues
        // remember their live front (after most commands of a conversation), the answer
        // is their earlier deadline, read here without the call.
        if self.plain {
            if let (Some(r), Some(d)) = (
                self.reminders.known_front_deadline(),
                self.disconnects.known_front_deadline(),
            ) {
                return Some(r.min(d));
            }
        }
        self.poll_timeout_armed()
    }

    /// [`Engine::poll_timeout`] for an engine that may arm timers.
    #[inline(never)]
    pub(crate) fn poll_timeout_armed(&mut self) -> Option<SimTime> {
        by_shape!(self.next_timeout())
    }

    fn next_timeout<S: Shape>(&mut self) -> Option<SimTime> {
        if !S::FULL && !self.has_timers() {
            // The plain method arms nothing without a reply or message interval (the
            // holding model, asked after every command).
            return None;
        }
        let r = self.live_front(TimerKind::Reminder).map(|e| e.deadline);
        let d = self.live_front(TimerKind::Disconnect).map(|e| e.deadline);
        let mut next = match (r, d) {
            (Some(r), Some(d)) => Some(r.min(d)),
            (r, d) => r.or(d),
        };
        if self.switch_timers_on::<S>() {
            if let Some(t) = self.switch_timer_before(None).map(|(_, e)| e.deadline) {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        }
        if let Some(w) = self.desk_in::<S>().and_then(|desk| desk.next_wake()) {
            next = Some(next.map_or(w, |t| t.min(w)));
        }
        next
    }

    /// A view of one agent.
    pub fn agent(&self, agent: AgentId) -> Result<AgentView, EngineError> {
        let i = self.agent_index(agent)?;
        let a = &self.agents[i];
        let (over, inactive) = match self.switches.parked.get(i) {
            Some(p) => (p.over, p.slots.len() as u32 - p.over),
            None => (0, 0),
        };
        Ok(AgentView {
            count: a.count as u32 + over,
            max: a.max as u32,
            online: a.online,
            busy: a.busy,
            serving: a.count > 0 || over + inactive > 0,
            inactive,
        })
    }

    /// Number of agents the engine was built with.
    pub fn agent_count(&self) -> usize {
        self.agents.len()
    }

    /// Customers waiting for an agent now, in all queues.
    pub fn waiting_len(&self) -> u32 {
        match self.desk.as_deref() {
            None => self.waiting.len(),
            Some(desk) => desk.waiting_total(),
        }
    }

    /// Customers waiting in `queue` now (0 for a queue the desk does not have).
    pub fn waiting_in(&self, queue: QueueId) -> u32 {
        match self.desk.as_deref() {
            None if queue == QueueId(0) => self.waiting.len(),
            None => 0,
            Some(desk) => desk.waiting_in(queue),
        }
    }

    /// Number of queues of the desk (1 for a pooled one).
    pub fn queue_count(&self) -> usize {
        self.desk.as_deref().map_or(1, |desk| desk.queue_count())
    }

    /// The queue a live session (waiting or connected) belongs to.
    pub fn session_queue(&self, session: SessionId) -> Option<QueueId> {
        let s = self.live_slot(session).ok()?;
        Some(
            self.desk
                .as_deref()
                .map_or(QueueId(0), |desk| desk.queue_of(s)),
        )
    }

    /// The agent a session is connected to, if it is connected.
    pub fn session_agent(&self, session: SessionId) -> Option<AgentId> {
        self.connected(session).ok().map(AgentId)
    }

    /// Whether the agent of a connected session owes a reply (S53).
    pub fn reply_owed(&self, session: SessionId) -> Option<bool> {
        let s = session_at(&self.agents, &self.overflow, session.slot);
        connected_agent(s, session).ok()?;
        Some(s?.link.reply_owed())
    }

    /// Whether connected session `session` has a reminder coming (its reply is owed, the
    /// reply interval is set, and neither the cap nor the grid of a handed-back session has
    /// run out): a driver whose agent waits for a reminder needs to know one will come.
    pub fn reminder_armed(&self, session: SessionId) -> Option<bool> {
        self.reply_owed(session)?;
        Some(self.details[session.slot as usize].reminder_armed)
    }

    /// The verdict the session's end at `at` (not before the last command) would give:
    /// how many of its unanswered customer messages have waited longer than the reply
    /// interval by then. For a driver whose record stops while sessions are still open
    /// (replay at its log's last row); the state is unchanged.
    pub fn missed_if_ended(&self, session: SessionId, at: SimTime) -> Result<u32, EngineError> {
        let s = self.live_slot(session)?;
        let Some(interval) = self.config.reply_interval else {
            return Ok(0);
        };
        let detail = &self.details[s as usize];
        if !self.owes_reply(s) {
            return Ok(0);
        }
        let earlier = match detail.earlier {
            0 => 0,
            _ => self
                .earlier
                .iter()
                .filter(|&&(slot, sent)| slot == s && is_missed(sent, at, interval))
                .count() as u32,
        };
        Ok(u32::from(is_missed(detail.turn_at, at, interval)) + earlier)
    }

    /// Counters of the engine's own work.
    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    /// The configuration the engine runs with.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Checks every invariant of SPEC part A, and the engine's own bookkeeping (free list,
    /// service-queue structure), in O(agents + slots + timers + queue entries); for tests
    /// and soaks.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut open = vec![0u32; self.agents.len()];
        let mut waiting = 0u32;
        let homes = self.agents.iter().flat_map(|a| a.home.iter());
        for s in homes.chain(&self.overflow) {
            if let Some(a) = s.link.agent() {
                // The sessions that count: the list's and those over the cap.
                open[a as usize] += u32::from(!s.link.inactive());
            } else if s.link == Link::WAITING {
                waiting += 1;
            }
        }
        if self.desk.is_none() && waiting != self.waiting.len() {
            return Err(format!(
                "{waiting} sessions waiting, wait queue counts {}",
                self.waiting.len()
            ));
        }
        for (kind, queue) in [
            (TimerKind::Reminder, &self.reminders),
            (TimerKind::Disconnect, &self.disconnects),
        ] {
            for e in queue.iter().filter(|e| self.timer_is_live(e)) {
                let link = self.session(e.slot).link;
                if link.agent().is_none() {
                    return Err(format!(
                        "session slot {}: {kind:?} armed while not connected ({link:?})",
                        e.slot
                    ));
                }
                let owed = link.reply_owed();
                if owed != (kind == TimerKind::Reminder) || (owed && link.inactive()) {
                    return Err(format!(
                        "session slot {}: {kind:?} armed while reply_owed={owed}",
                        e.slot
                    ));
                }
            }
        }
        for queue in [&self.reminders, &self.disconnects] {
            queue.check_front(|e| self.timer_is_live(e))?;
        }
        if self.next_due > self.earliest_stored::<Full>() {
            return Err(format!(
                "next_due {} is after the earliest stored deadline {}",
                self.next_due,
                self.earliest_stored::<Full>()
            ));
        }
        let homes = (self.agents.len() as u32) << HOME_SHIFT;
        if self.details.len() != homes as usize + self.overflow.len() {
            return Err(format!(
                "{} session details for {homes} home and {} overflow slot numbers",
                self.details.len(),
                self.overflow.len()
            ));
        }
        // Earlier unanswered messages: each listed once, only for a session that owes a
        // reply (with a reply interval).
        let mut earlier = vec![0u32; self.details.len()];
        for &(s, _) in &self.earlier {
            match earlier.get_mut(s as usize) {
                Some(n) => *n += 1,
                None => return Err(format!("earlier message of slot {s}, not a slot")),
            }
        }
        for (s, detail) in self.details.iter().enumerate() {
            let Some(session) = session_at(&self.agents, &self.overflow, s as u32) else {
                continue; // a home slot number that is never used (`a << 2 | 3`)
            };
            let n = detail.earlier;
            let track = self.config.reply_interval.is_some();
            let bad = earlier[s] != n
                || (n > 0 && (!track || session.link == Link::FREE || !self.owes_reply(s as u32)));
            if bad {
                return Err(format!(
                    "slot {s}: {n} earlier messages, {} listed, {:?}",
                    earlier[s], session.link
                ));
            }
        }
        let mut listed = vec![false; self.overflow.len()];
        for &s in &self.free {
            let o = s.checked_sub(homes).map(|o| o as usize);
            match o.filter(|&o| o < listed.len()) {
                Some(o) if self.overflow[o].link == Link::FREE && !listed[o] => listed[o] = true,
                _ => {
                    return Err(format!(
                        "free list holds slot {s}, not a free overflow slot"
                    ))
                }
            }
        }
        if let Some(o) =
            (0..listed.len()).find(|&o| !listed[o] && self.overflow[o].link == Link::FREE)
        {
            return Err(format!(
                "overflow slot {} is free but not listed",
                homes as usize + o
            ));
        }
        self.service
            .check(&self.agents[..], self.agents.len() as u32)?;
        let pooled = self.desk.is_none();
        self.check_switches()?;
        let mut any_eligible = false;
        for (i, a) in self.agents.iter().enumerate() {
            let over = self.switches.parked.get(i).map_or(0, |p| p.over);
            if a.count as u32 + over != open[i] {
                return Err(format!(
                    "agent {i}: service count {} (+{over} over the cap) but {} open sessions",
                    a.count, open[i]
                ));
            }
            if a.count > a.max {
                return Err(format!(
                    "agent {i}: service count {} above max {}",
                    a.count, a.max
                ));
            }
            let listed = a.open(&self.spilled);
            if let Some(s) = listed.iter().find(|&&s| {
                let link = self.session(s).link;
                link.agent() != Some(i as u32) || link.parked()
            }) {
                return Err(format!(
                    "agent {i}: lists slot {s}, not one of its sessions"
                ));
            }
            if let Some(k) = (1..listed.len()).find(|&k| listed[..k].contains(&listed[k])) {
                return Err(format!("agent {i}: lists slot {} twice", listed[k]));
            }
            let queued = is_queued(&self.agents[..], i as u32);
            if pooled && queued != a.eligible() {
                return Err(format!(
                    "agent {i}: queued={queued} but eligible={}",
                    a.eligible()
                ));
            }
            any_eligible |= a.eligible();
        }
        if pooled && waiting > 0 && any_eligible {
            return Err(format!(
                "{waiting} customers wait while an eligible agent has room"
            ));
        }
        if !pooled {
            // Per queue, on the desk's own structures (`queues`).
            self.check_desk()?;
        }
        Ok(())
    }

    /// Entries held by the internal queues, live or stale (for memory-bound tests).
    pub fn stored_entries(&self) -> usize {
        self.waiting.stored()
            + self.reminders.stored()
            + self.disconnects.stored()
            + self.desk.as_deref().map_or(0, |desk| desk.stored())
            + self.switches.inactivity.stored()
            + self.switches.transfers.stored()
    }
}
