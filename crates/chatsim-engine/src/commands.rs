//! The engine's inputs: one `handle_*` method per command of the method (log-in and
//! log-out, busy and un-busy, session requests, messages, replies, closes, abandons) and
//! the timeout a driver delivers when `poll_timeout`'s instant comes. Each public method
//! picks the code compiled for the engine's [shape](crate::shape) and runs it.

use crate::records::{is_waiting, live_session, session_at, Link};
use crate::shape::{by_shape, Shape};
use crate::time::{Millis, SimTime};
use crate::timers::TimerKind;
use crate::turns::exceeded;
use crate::{
    AgentChange, AgentId, AgentRequest, EndReason, Engine, EngineError, Event, LogOutMode, QueueId,
    Reply, RequestCode, RoutingRule, SessionId,
};

impl Engine {
    /// The agent logs in: it joins the service queue and may take waiting customers.
    pub fn handle_log_in(&mut self, now: SimTime, agent: AgentId) -> Result<(), EngineError> {
        by_shape!(self.log_in(now, agent))
    }

    fn log_in<S: Shape>(&mut self, now: SimTime, agent: AgentId) -> Result<(), EngineError> {
        self.advance::<S>(now)?;
        let a = self.agent_index(agent)?;
        if !self.agents[a].online {
            self.agents[a].online = true;
            self.touch(a);
            self.place::<S>(a);
            self.events.push_back(Event::Agent {
                agent,
                change: AgentChange::LoggedIn,
            });
            self.drain_wait_queue::<S>();
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
        by_shape!(self.log_out(now, agent, mode))
    }

    fn log_out<S: Shape>(
        &mut self,
        now: SimTime,
        agent: AgentId,
        mode: LogOutMode,
    ) -> Result<(), EngineError> {
        self.advance::<S>(now)?;
        let a = self.agent_index(agent)?;
        if !self.agents[a].online {
            return Ok(());
        }
        self.agents[a].online = false;
        self.agents[a].busy = false;
        self.place::<S>(a);
        self.events.push_back(Event::Agent {
            agent,
            change: AgentChange::LoggedOut,
        });
        let parked = self.inactive_on::<S>() && !self.switches.parked[a].slots.is_empty();
        if mode == LogOutMode::HandBack && (self.agents[a].count > 0 || parked) {
            if parked {
                self.hand_back_parked(a as u32, now);
            }
            // Newest first onto the head, so the oldest ends up first in line.
            for i in (0..self.agents[a].count as usize).rev() {
                let s = self.agents[a].open(&self.spilled)[i];
                self.hand_back::<S>(s, agent, now);
            }
            self.agents[a].count = 0;
            self.touch(a);
            self.drain_wait_queue::<S>();
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
        by_shape!(self.agent_request(now, request))
    }

    fn agent_request<S: Shape>(
        &mut self,
        now: SimTime,
        request: AgentRequest,
    ) -> Result<(), EngineError> {
        self.advance::<S>(now)?;
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
            self.touch(a);
        }
        self.place::<S>(a);
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
            self.drain_wait_queue::<S>();
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
        by_shape!(self.session_request(now, draw))
    }

    fn session_request<S: Shape>(
        &mut self,
        now: SimTime,
        draw: u64,
    ) -> Result<SessionId, EngineError> {
        if self.has_desk::<S>() {
            return self.request_in_desk(now, QueueId(0), draw);
        }
        self.advance::<S>(now)?;
        let picked = match self.waiting.len() {
            0 => self.service.pick(draw),
            _ => None,
        };
        let slot = self.alloc_slot(picked);
        if self.config.rule == RoutingRule::Random {
            // Kept: a waiting or later handed-back session is routed with it.
            self.details[slot as usize].draw = draw;
        }
        if let Some(a) = picked {
            return Ok(self.connect::<S>(slot, a, Millis::ZERO, false));
        }
        let session = self.session_mut(slot);
        session.link = Link::WAITING;
        let id = SessionId {
            slot,
            generation: session.generation,
        };
        let detail = &mut self.details[slot as usize];
        detail.waiting_since = now;
        // A fresh session: nothing to resume when it is connected (the slot may have
        // held a handed-back one that ended while waiting).
        detail.resume = false;
        self.waiting.push_back(id);
        self.events.push_back(Event::Queued {
            session: id,
            position: self.waiting.len(),
        });
        Ok(id)
    }

    /// S52: the customer sent a message; the agent now owes a reply, and a reminder is
    /// armed for when it has been owed longer than the reply interval (the customer's
    /// silence timer stops). A message from a customer waiting after a hand-back is
    /// kept: the reply is owed since it, and its reminders fall once the session is
    /// connected again. A message while waiting for a first connection changes nothing
    /// (the opening message counts as sent at connection).
    pub fn handle_customer_message(
        &mut self,
        now: SimTime,
        session: SessionId,
    ) -> Result<(), EngineError> {
        by_shape!(self.customer_message(now, session))
    }

    fn customer_message<S: Shape>(
        &mut self,
        now: SimTime,
        session: SessionId,
    ) -> Result<(), EngineError> {
        self.advance::<S>(now)?;
        let s = session.slot;
        // One lookup of the session serves every check and the turn's own write.
        let link = live_session(session_at(&self.agents, &self.overflow, s), session)?.link;
        if link == Link::WAITING {
            if self.details[s as usize].resume {
                let owed = self.details[s as usize].owed;
                if owed && self.config.reply_interval.is_some() {
                    self.note_earlier(s);
                }
                let detail = &mut self.details[s as usize];
                if !owed {
                    detail.reminders = 0;
                }
                detail.owed = true;
                detail.turn_at = now;
            }
            return Ok(());
        }
        if self.inactive_on::<S>() && link.inactive() {
            self.reactivate(s, now);
            return Ok(());
        }
        // Live and not waiting: connected. The agent owes a reply from now on.
        self.session_mut(s).link = link.with_reply_owed(true);
        if link.reply_owed() && self.config.reply_interval.is_some() {
            self.note_earlier(s);
        }
        self.details[s as usize].turn_at = now;
        self.arm_reminder(s, now);
        Ok(())
    }

    /// S51: the agent replied; the customer now owes the next message, and a disconnect
    /// is armed for when the customer has been silent longer than the message interval.
    /// The answer says how long the reply took (from the customer's last message),
    /// whether it came later than the reply interval, and how many of the messages it
    /// answers were missed (each judged from its own send time): the one place those
    /// verdicts are made.
    pub fn handle_agent_reply(
        &mut self,
        now: SimTime,
        session: SessionId,
    ) -> Result<Reply, EngineError> {
        by_shape!(self.agent_reply(now, session))
    }

    fn agent_reply<S: Shape>(
        &mut self,
        now: SimTime,
        session: SessionId,
    ) -> Result<Reply, EngineError> {
        self.advance::<S>(now)?;
        let was_owed = self.set_reply_owed(session, false)?;
        let s = session.slot;
        let detail = &mut self.details[s as usize];
        let latency = now.saturating_since(detail.turn_at);
        // The newest message answered is the last one (sent at `turn_at`): its verdict is
        // `late`'s. The earlier ones, if any, are judged one by one.
        let late = was_owed && self.config.reply_interval.is_some_and(|i| latency > i);
        let earlier = detail.earlier;
        let mut reply = Reply {
            latency,
            answered: was_owed,
            late,
            missed: u32::from(late),
            reminders: detail.reminders,
        };
        detail.reminders = 0;
        detail.turn_at = now;
        if earlier > 0 {
            reply.missed += self.settle_earlier(s, now);
        }
        if self.switch_timers_on::<S>() {
            self.switch_reply(s, now);
        } else {
            self.arm(
                s,
                TimerKind::Disconnect,
                self.config.message_interval.map(|i| exceeded(now, i)),
            );
        }
        Ok(reply)
    }

    /// The customer closed a connected session (normal end); claim 5 re-queues the agent.
    pub fn handle_customer_close(
        &mut self,
        now: SimTime,
        session: SessionId,
    ) -> Result<(), EngineError> {
        by_shape!(self.customer_close(now, session))
    }

    fn customer_close<S: Shape>(
        &mut self,
        now: SimTime,
        session: SessionId,
    ) -> Result<(), EngineError> {
        self.advance::<S>(now)?;
        let a = self.connected(session)?;
        self.end_session::<S>(session, a, EndReason::Closed);
        Ok(())
    }

    /// A waiting customer gave up before being connected.
    pub fn handle_abandon(&mut self, now: SimTime, session: SessionId) -> Result<(), EngineError> {
        by_shape!(self.abandon(now, session))
    }

    fn abandon<S: Shape>(&mut self, now: SimTime, session: SessionId) -> Result<(), EngineError> {
        self.advance::<S>(now)?;
        let s = self.live_slot(session)?;
        if self.session(s).link != Link::WAITING {
            return Err(EngineError::WrongSessionState(session));
        }
        let waited = now.saturating_since(self.details[s as usize].waiting_since);
        let missed = self.free_slot::<S>(s);
        if self.has_desk::<S>() {
            self.forget_waiting_in_desk(s);
        } else {
            let (agents, overflow) = (&self.agents, &self.overflow);
            self.waiting
                .forget_one(|id| is_waiting(agents, overflow, id));
        }
        self.events.push_back(Event::Abandoned {
            session,
            waited,
            missed,
        });
        Ok(())
    }

    /// Fires every timer due at or before `now` (S53–S56), in deadline order; at equal
    /// deadlines reminders go before disconnects.
    pub fn handle_timeout(&mut self, now: SimTime) -> Result<(), EngineError> {
        by_shape!(self.timeout(now))
    }

    fn timeout<S: Shape>(&mut self, now: SimTime) -> Result<(), EngineError> {
        self.advance::<S>(now)?;
        self.fire_due::<S>(now);
        Ok(())
    }

    /// Fires every live timer due at or before `now`, in deadline order (reminders first
    /// at equal deadlines).
    pub(crate) fn fire_due<S: Shape>(&mut self, now: SimTime) {
        self.fire_due_entries::<S>(now);
        // Ring openings after the timers of the instant; their connections may arm a
        // handed-back session's timer due now, fired in turn.
        while self.has_desk::<S>() && self.fire_ring_wakes(now) {
            self.fire_due_entries::<S>(now);
        }
        self.next_due = self.earliest_stored::<S>();
    }

    pub(crate) fn fire_due_entries<S: Shape>(&mut self, now: SimTime) {
        loop {
            let r = self.live_front(TimerKind::Reminder);
            let d = self.live_front(TimerKind::Disconnect);
            let mut best = match (r, d) {
                (Some(r), Some(d)) if d.deadline < r.deadline => Some((TimerKind::Disconnect, d)),
                (Some(r), _) => Some((TimerKind::Reminder, r)),
                (None, Some(d)) => Some((TimerKind::Disconnect, d)),
                (None, None) => None,
            };
            if self.switch_timers_on::<S>() {
                best = self.switch_timer_before(best);
            }
            let Some((kind, entry)) = best else {
                break;
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
                    let session = self.session(entry.slot);
                    let id = SessionId {
                        slot: entry.slot,
                        generation: session.generation,
                    };
                    let a = session.link.agent();
                    self.end_session::<S>(
                        id,
                        a.expect("a live timer's session is connected"),
                        EndReason::Silence,
                    );
                }
                TimerKind::Inactive | TimerKind::FirstReply => self.fire_switch_timer(kind, entry),
            }
        }
    }
}
