//! The product switches ([`Switches`](crate::Switches)): inactive chats, reactivation over the cap, and the
//! first-reply time-out that moves a chat to an agent that has not held it yet.
//!
//! All off by default, and then nothing here runs: each hook in the engine is one branch
//! on a flag set at construction, so the method as claimed keeps its instruction counts.
//!
//! **Inactive chats** (`inactive_after`). A session whose customer owes the next message
//! and has been silent longer than `inactive_after` since the agent's last reply stops
//! counting toward its agent's load and cap. Its agent's open-session list (sized by the
//! cap, in the agent's cache line) cannot hold more than `max` sessions, and an agent may
//! now hold more, so a session that does not count, or that counts beyond the cap, leaves
//! the list and is *parked*: listed in its agent's [`Parked`] list (apart, allocated only
//! with the switch) and flagged in its link (`INACTIVE` or `OVER`). The service count
//! stays the list's length, so routing, eligibility and the queue places are unchanged;
//! the agent's sessions counting toward its load are the list plus its `over` ones, and
//! there are `over` ones only while the list is full (a list place that frees takes the
//! oldest of them back first). The inactive timer is the session's one timer (the
//! disconnect's place, at last reply + `inactive_after` + 1 ms); when it fires, the
//! disconnect is armed from the same last reply, so an inactive session still ends by
//! close or by the message interval. With `inactive_after` ≥ the message interval the
//! disconnect comes first and no session ever goes inactive.
//!
//! **Reactivation.** When the customer of an inactive session writes again, the session
//! counts again on the same agent (back into the list if it has room; above the cap, parked
//! as `OVER`, with `reactivate_over_cap`); otherwise it goes back to the head of the wait
//! queue as a hand-back ([`Event::HandedBack`]), its turn state kept, and any agent with
//! room takes it at once.
//!
//! **First-reply time-out** (`first_reply_timeout`). At each connection whose opening
//! message has not been answered yet, a timer is armed at connection + timeout + 1 ms;
//! the agent's first reply cancels it. When it fires, the agents that have held the session
//! are taken out of the service queue, the rule picks among the others, and they are put
//! back: O(tried × log agents). The session moves ([`Event::Transferred`]); the reply
//! owed, its latency and its reminder grid keep counting from the customer's message (the
//! customer has been waiting since then, whoever answers). The timer re-arms one time-out
//! later either way, so that a session nobody untried could take yet is offered again
//! when one may have room (a chat whose first agent never answers would otherwise stay
//! with it for good); it stops at the first reply or the end.

use crate::records::{session_at, Link, INLINE_SLOTS};
use crate::shape::{Full, Shape};
use crate::time::{Millis, SimTime};
use crate::timers::{TimerEntry, TimerKind, TimerQueue};
use crate::turns::{exceeded, is_live};
use crate::{AgentId, Engine, Event, SessionId};

/// The switches' state, apart from the method's structures (empty while they are off).
#[derive(Debug, Default)]
pub(crate) struct SwitchState {
    /// `inactive_after` is set: sessions may be parked.
    pub(crate) inactive_on: bool,
    /// `first_reply_timeout` is set.
    pub(crate) transfer_on: bool,
    /// Per agent (with `inactive_after`): its parked sessions.
    pub(crate) parked: Vec<Parked>,
    /// Per session slot (with `first_reply_timeout`), grown with the slots.
    pub(crate) first: Vec<FirstReply>,
    /// Inactivity deadlines (last reply + `inactive_after` + 1 ms: pushed in order).
    pub(crate) inactivity: TimerQueue,
    /// First-reply deadlines (connection + timeout + 1 ms: pushed in order).
    pub(crate) transfers: TimerQueue,
}

/// An agent's sessions held outside its open-session list, oldest parked first.
#[derive(Clone, Debug, Default)]
pub(crate) struct Parked {
    pub(crate) slots: Vec<u32>,
    /// How many of them count (reactivated over the cap, flagged `OVER`); the rest are
    /// inactive.
    pub(crate) over: u32,
}

/// A session's first-reply state (switch `first_reply_timeout`).
#[derive(Clone, Debug, Default)]
pub(crate) struct FirstReply {
    /// A first-reply timer entry is live iff its epoch is this.
    pub(crate) epoch: u32,
    /// The agent has replied at least once: the time-out no longer applies.
    pub(crate) replied: bool,
    /// Every agent that has held the session, in order.
    pub(crate) tried: Vec<u32>,
}

impl SwitchState {
    pub(crate) fn new(engine_agents: usize, slots: usize, inactive: bool, transfer: bool) -> Self {
        SwitchState {
            inactive_on: inactive,
            transfer_on: transfer,
            parked: if inactive {
                vec![Parked::default(); engine_agents]
            } else {
                Vec::new()
            },
            first: if transfer {
                vec![FirstReply::default(); slots]
            } else {
                Vec::new()
            },
            inactivity: TimerQueue::default(),
            transfers: TimerQueue::default(),
        }
    }

    /// Whether any switch keeps timers of its own.
    #[inline(always)]
    pub(crate) fn timers_on(&self) -> bool {
        self.inactive_on || self.transfer_on
    }

    /// The first-reply state of slot `s`, grown on first use.
    fn first_mut(&mut self, s: u32) -> &mut FirstReply {
        let i = s as usize;
        if i >= self.first.len() {
            self.first.resize(i + 1, FirstReply::default());
        }
        &mut self.first[i]
    }

    pub(crate) fn first_is_live(&self, e: &TimerEntry) -> bool {
        self.first
            .get(e.slot as usize)
            .is_some_and(|f| f.epoch == e.epoch)
    }
}

impl Engine {
    // ----- hooks the method's code calls (each behind its switch's flag) -------------

    /// The timer a reply arms while the customer owes the next message: the inactivity
    /// first when it comes before the disconnect (and the session still counts), else the
    /// disconnect. Deadlines from `from`, the agent's last reply.
    pub(crate) fn silence_timer(&self, s: u32, from: SimTime) -> (TimerKind, Option<SimTime>) {
        let disconnect = self.config.message_interval.map(|i| exceeded(from, i));
        if let Some(ia) = self.config.switches.inactive_after {
            let inactive = exceeded(from, ia);
            let first = disconnect.is_none_or(|d| inactive < d);
            if first && !self.session(s).link.inactive() {
                return (TimerKind::Inactive, Some(inactive));
            }
        }
        (TimerKind::Disconnect, disconnect)
    }

    /// A reply (S51) with a switch on: the first reply is given; the customer's silence
    /// is timed to the inactivity first when it comes before the disconnect.
    pub(crate) fn switch_reply(&mut self, s: u32, now: SimTime) {
        if self.switches.transfer_on {
            self.first_reply_given(s);
        }
        let (kind, deadline) = self.silence_timer(s, now);
        self.arm(s, kind, deadline);
    }

    /// At a connection: note the agent as tried; arm the first-reply time-out while the
    /// opening is unanswered.
    pub(crate) fn first_reply_on_connect(&mut self, s: u32, a: u32) {
        let now = self.now;
        let timeout = self.config.switches.first_reply_timeout;
        let first = self.switches.first_mut(s);
        if !first.tried.contains(&a) {
            first.tried.push(a);
        }
        if !first.replied {
            self.arm_first_reply(s, timeout.map(|t| exceeded(now, t)));
        }
    }

    /// The agent replied: the first-reply time-out no longer applies.
    pub(crate) fn first_reply_given(&mut self, s: u32) {
        let first = self.switches.first_mut(s);
        first.replied = true;
        first.epoch = first.epoch.wrapping_add(1);
    }

    /// The session waits again (hand-back): its first-reply timer stops until it is
    /// connected again.
    pub(crate) fn first_reply_pause(&mut self, s: u32) {
        let first = self.switches.first_mut(s);
        first.epoch = first.epoch.wrapping_add(1);
    }

    /// The slot is freed: a fresh session will start with nobody tried.
    pub(crate) fn first_reply_forget(&mut self, s: u32) {
        let first = self.switches.first_mut(s);
        first.epoch = first.epoch.wrapping_add(1);
        first.replied = false;
        first.tried.clear();
    }

    fn arm_first_reply(&mut self, s: u32, deadline: Option<SimTime>) {
        let first = self.switches.first_mut(s);
        first.epoch = first.epoch.wrapping_add(1);
        if let Some(deadline) = deadline {
            let entry = TimerEntry {
                deadline,
                slot: s,
                epoch: first.epoch,
            };
            self.switches.transfers.push(entry);
            self.next_due = self.next_due.min(deadline);
        }
    }

    /// The earliest live switch timer, if it goes before `best` (earlier, or at the same
    /// instant with a lower [`TimerKind::rank`]).
    pub(crate) fn switch_timer_before(
        &mut self,
        mut best: Option<(TimerKind, TimerEntry)>,
    ) -> Option<(TimerKind, TimerEntry)> {
        let details = &self.details;
        let inactive = self.switches.inactivity.front(|e| is_live(details, e));
        let epochs = &self.switches.first;
        let live = |e: &TimerEntry| {
            epochs
                .get(e.slot as usize)
                .is_some_and(|f| f.epoch == e.epoch)
        };
        let first = self.switches.transfers.front(live);
        for (kind, entry) in [
            (TimerKind::FirstReply, first),
            (TimerKind::Inactive, inactive),
        ] {
            let Some(entry) = entry else { continue };
            let goes_first =
                best.is_none_or(|(k, b)| (entry.deadline, kind.rank()) < (b.deadline, k.rank()));
            if goes_first {
                best = Some((kind, entry));
            }
        }
        best
    }

    /// Fires a due switch timer (already the earliest live one).
    pub(crate) fn fire_switch_timer(&mut self, kind: TimerKind, entry: TimerEntry) {
        self.stats.inputs += 1;
        match kind {
            TimerKind::Inactive => {
                self.switches.inactivity.pop();
                self.on_inactive_due(entry.slot);
            }
            TimerKind::FirstReply => {
                self.switches.transfers.pop();
                self.on_first_reply_due(entry);
            }
            TimerKind::Reminder | TimerKind::Disconnect => unreachable!("not a switch timer"),
        }
    }

    /// The earliest stored switch deadline, live or stale.
    pub(crate) fn switch_earliest_stored(&self) -> SimTime {
        let i = self.switches.inactivity.front_deadline();
        let f = self.switches.transfers.front_deadline();
        i.unwrap_or(SimTime::NEVER).min(f.unwrap_or(SimTime::NEVER))
    }

    // ----- inactive chats ------------------------------------------------------------

    /// The customer of session `s` has been silent past `inactive_after`: the session
    /// stops counting (it is parked), its agent may take new chats, and the disconnect
    /// is armed from the same last reply.
    fn on_inactive_due(&mut self, s: u32) {
        let link = self.session(s).link;
        let a = link.agent().expect("a live timer's session is connected");
        debug_assert!(!link.reply_owed() && !link.inactive());
        if link.over() {
            self.switches.parked[a as usize].over -= 1;
        } else {
            self.leave_list::<Full>(a, s);
            self.switches.parked[a as usize].slots.push(s);
        }
        self.session_mut(s).link = Link(link.0 & !Link::OVER | Link::INACTIVE);
        self.touch(a as usize);
        self.place::<Full>(a as usize);
        let from = self.details[s as usize].turn_at;
        let deadline = self.config.message_interval.map(|i| exceeded(from, i));
        self.arm(s, TimerKind::Disconnect, deadline);
        let session = SessionId {
            slot: s,
            generation: self.session(s).generation,
        };
        self.events.push_back(Event::Inactive {
            session,
            agent: AgentId(a),
        });
        self.drain_wait_queue::<Full>();
    }

    /// Removes in-list session `s` from agent `a`'s open-session list (its count drops);
    /// if the agent holds sessions over its cap, the oldest of them takes the place.
    #[inline]
    pub(crate) fn leave_list<S: Shape>(&mut self, a: u32, s: u32) {
        let agent = &mut self.agents[a as usize];
        let n = agent.count as usize;
        if agent.max as usize <= INLINE_SLOTS {
            // A fixed shift of the inline list (places from `count` on are unused): a
            // `copy_within` of a few bytes is a call to `memmove` (issue 19).
            let open = &mut agent.inline;
            let at = open[..n]
                .iter()
                .position(|&x| x == s)
                .expect("a connected session is listed");
            for i in 0..INLINE_SLOTS - 1 {
                if i >= at {
                    open[i] = open[i + 1];
                }
            }
        } else {
            let open = &mut agent.open_places(&mut self.spilled)[..n];
            let at = open
                .iter()
                .position(|&x| x == s)
                .expect("a connected session is listed");
            open.copy_within(at + 1.., at);
        }
        agent.count -= 1;
        if self.inactive_on::<S>() && self.switches.parked[a as usize].over > 0 {
            self.promote_over(a);
        }
    }

    /// The oldest over-cap session of agent `a` takes the free place in its list.
    fn promote_over(&mut self, a: u32) {
        let (agents, overflow) = (&self.agents, &self.overflow);
        let parked = &mut self.switches.parked[a as usize];
        let k = parked
            .slots
            .iter()
            .position(|&x| session_at(agents, overflow, x).is_some_and(|x| x.link.over()))
            .expect("an over-cap session is parked");
        let s = parked.slots.remove(k);
        parked.over -= 1;
        let link = self.session(s).link;
        self.session_mut(s).link = Link(link.0 & !Link::OVER);
        let agent = &mut self.agents[a as usize];
        let n = agent.count as usize;
        agent.count += 1;
        agent.open_places(&mut self.spilled)[n] = s;
    }

    /// S52 on an inactive session: it counts again on its agent, in the list if there is
    /// room, else over the cap (`reactivate_over_cap`), else it goes back to the wait
    /// queue's head as a hand-back.
    pub(crate) fn reactivate(&mut self, s: u32, now: SimTime) {
        let link = self.session(s).link;
        let a = link.agent().expect("an inactive session is connected");
        let parked = &mut self.switches.parked[a as usize];
        let k = parked
            .slots
            .iter()
            .position(|&x| x == s)
            .expect("an inactive session is parked");
        parked.slots.remove(k);
        let generation = self.session(s).generation;
        let id = SessionId {
            slot: s,
            generation,
        };
        let agent = &self.agents[a as usize];
        if agent.count < agent.max {
            let agent = &mut self.agents[a as usize];
            let n = agent.count as usize;
            agent.count += 1;
            agent.open_places(&mut self.spilled)[n] = s;
            self.session_mut(s).link = Link::connected(a, true);
        } else if self.config.switches.reactivate_over_cap {
            let parked = &mut self.switches.parked[a as usize];
            parked.slots.push(s);
            parked.over += 1;
            self.session_mut(s).link = Link(Link::connected(a, true).0 | Link::OVER);
        } else {
            self.session_mut(s).link = Link::WAITING;
            let detail = &mut self.details[s as usize];
            detail.waiting_since = now;
            detail.resume = true;
            detail.owed = true;
            detail.turn_at = now;
            detail.reminders = 0;
            self.cancel_timer(s);
            if self.switches.transfer_on {
                self.first_reply_pause(s);
            }
            self.wait_at_head::<Full>(id);
            self.events.push_back(Event::HandedBack {
                session: id,
                agent: AgentId(a),
            });
            self.touch(a as usize);
            self.place::<Full>(a as usize);
            self.drain_wait_queue::<Full>();
            return;
        }
        let detail = &mut self.details[s as usize];
        detail.turn_at = now;
        detail.reminders = 0;
        self.arm_reminder(s, now);
        self.touch(a as usize);
        self.place::<Full>(a as usize);
        self.events.push_back(Event::Reactivated {
            session: id,
            agent: AgentId(a),
        });
    }

    /// Ends parked session `id` of agent `a` (close or disconnect): it leaves the parked
    /// list; the agent's list is unchanged.
    pub(crate) fn end_parked(&mut self, id: crate::SessionId, a: u32, reason: crate::EndReason) {
        let s = id.slot;
        let over = self.session(s).link.over();
        let parked = &mut self.switches.parked[a as usize];
        let k = parked
            .slots
            .iter()
            .position(|&x| x == s)
            .expect("a parked session is listed");
        parked.slots.remove(k);
        if over {
            parked.over -= 1;
        }
        self.touch(a as usize);
        let missed = self.free_slot::<Full>(s);
        self.place::<Full>(a as usize);
        self.events.push_back(Event::Ended {
            session: id,
            agent: AgentId(a),
            reason,
            missed,
        });
        self.drain_wait_queue::<Full>();
    }

    /// Log-out with hand-back: agent `a`'s parked sessions go to the wait queue's head
    /// (newest first, so that the oldest ends up first, behind the list's).
    pub(crate) fn hand_back_parked(&mut self, a: u32, now: SimTime) {
        let parked = std::mem::take(&mut self.switches.parked[a as usize]);
        for &s in parked.slots.iter().rev() {
            self.hand_back::<Full>(s, AgentId(a), now);
        }
        // Keep the (now empty) list's allocation for the agent's next parked sessions.
        let mut slots = parked.slots;
        slots.clear();
        self.switches.parked[a as usize].slots = slots;
    }

    // ----- first-reply time-out ------------------------------------------------------

    /// The opening of the session is still unanswered `first_reply_timeout` after its
    /// connection: move it to an eligible agent that has not held it, if there is one.
    fn on_first_reply_due(&mut self, entry: TimerEntry) {
        let s = entry.slot;
        let link = self.session(s).link;
        let a = link
            .agent()
            .expect("a live first-reply timer's session is connected");
        debug_assert!(link.reply_owed() && !link.parked());
        let timeout = self
            .config
            .switches
            .first_reply_timeout
            .unwrap_or(Millis::ZERO);
        let tried = std::mem::take(&mut self.switches.first_mut(s).tried);
        for &t in &tried {
            self.unplace(t as usize);
        }
        let draw = self.details[s as usize].draw;
        let picked = self.pick_for_transfer(s, draw);
        for &t in &tried {
            self.place::<Full>(t as usize);
        }
        self.switches.first_mut(s).tried = tried;
        let Some(b) = picked else {
            // Nobody untried has room: the session stays; offered again one time-out on.
            self.arm_first_reply(s, Some(exceeded(entry.deadline, timeout)));
            return;
        };
        self.leave_list::<Full>(a, s);
        self.touch(a as usize);
        self.stats.routing_decisions += 1;
        let now = self.now;
        let agent = &mut self.agents[b as usize];
        let n = agent.count as usize;
        agent.count += 1;
        agent.tie_time = now;
        agent.open_places(&mut self.spilled)[n] = s;
        let session = self.session_mut(s);
        session.link = Link::connected(b, true);
        let id = SessionId {
            slot: s,
            generation: session.generation,
        };
        self.place::<Full>(a as usize);
        self.place::<Full>(b as usize);
        self.switches.first_mut(s).tried.push(b);
        self.arm_first_reply(s, Some(exceeded(now, timeout)));
        self.events.push_back(Event::Transferred {
            session: id,
            from: AgentId(a),
            to: AgentId(b),
        });
        self.drain_wait_queue::<Full>();
    }

    // ----- invariants ----------------------------------------------------------------

    /// The switches' bookkeeping: parked lists agree with the links, over-cap sessions only
    /// with a full list and `reactivate_over_cap`, first-reply timers only on sessions
    /// whose opening is unanswered, held by an agent noted as tried.
    pub(crate) fn check_switches(&self) -> Result<(), String> {
        let homes = self.agents.iter().flat_map(|a| a.home.iter());
        let parked_links = homes
            .chain(&self.overflow)
            .filter(|s| s.link.parked())
            .count();
        if !self.switches.inactive_on && parked_links > 0 {
            return Err(format!(
                "{parked_links} sessions parked without inactive_after"
            ));
        }
        let mut listed = 0;
        for (i, p) in self.switches.parked.iter().enumerate() {
            let agent = &self.agents[i];
            let mut over = 0;
            for (k, &s) in p.slots.iter().enumerate() {
                let link = self.session(s).link;
                if link.agent() != Some(i as u32) || !link.parked() {
                    return Err(format!("agent {i}: parks slot {s}, link {link:?}"));
                }
                if p.slots[..k].contains(&s) {
                    return Err(format!("agent {i}: parks slot {s} twice"));
                }
                over += u32::from(link.over());
                if link.inactive() && link.reply_owed() {
                    return Err(format!("slot {s}: inactive while a reply is owed"));
                }
            }
            listed += p.slots.len();
            if over != p.over {
                return Err(format!(
                    "agent {i}: {over} over-cap sessions, counts {}",
                    p.over
                ));
            }
            if p.over > 0 && (agent.count < agent.max || !self.config.switches.reactivate_over_cap)
            {
                return Err(format!(
                    "agent {i}: {} over the cap with {} of {} listed",
                    p.over, agent.count, agent.max
                ));
            }
        }
        if listed != parked_links {
            return Err(format!("{parked_links} parked links, {listed} parked"));
        }
        for e in self
            .switches
            .inactivity
            .iter()
            .filter(|e| self.timer_is_live(e))
        {
            let link = self.session(e.slot).link;
            if link.agent().is_none() || link.reply_owed() || link.inactive() {
                return Err(format!("slot {}: inactivity armed, link {link:?}", e.slot));
            }
        }
        for e in self
            .switches
            .transfers
            .iter()
            .filter(|e| self.switches.first_is_live(e))
        {
            let link = self.session(e.slot).link;
            let first = &self.switches.first[e.slot as usize];
            let held = link.agent().is_some_and(|a| first.tried.contains(&a));
            if !link.reply_owed() || link.parked() || first.replied || !held {
                return Err(format!(
                    "slot {}: first-reply timer armed, link {link:?}, {first:?}",
                    e.slot
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
