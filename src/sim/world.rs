//! One replication: the simulated desk around the engine (SPEC part B).
//!
//! The loop takes the earlier of the world's next event and the engine's next wake-up;
//! at equal instants the engine's timers go first: a timer's deadline is the first
//! millisecond its interval is exceeded (the claim's word), so an input at that instant
//! comes too late. After every engine call the engine's events
//! are pulled and turned into world reactions (schedule a reply, a close, an abandon…)
//! and observer calls.

use super::arrivals::ArrivalClock;
use super::event_queue::EventQueue;
use super::ledger::Ledger;
use super::observer::{ChatEvent, DisconnectKind, Observer};
use super::seed::{self, Rng, Stream, StreamSeed};
use super::SimError;
use crate::dist::Prepared;
use crate::engine::{
    AgentChange, AgentId, AgentRequest, EndReason, Engine, EngineConfig, Event, RoutingRule,
    SessionId, TriggerEvent,
};
use crate::scenario::{Arrivals, Scenario, SessionModel};
use crate::time::{Millis, SimTime};
use rand::distr::Bernoulli;
use rand::RngExt;
use std::sync::atomic::{AtomicBool, Ordering};

/// What a world event does; `token` must still match its target for it to act.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Arrival,
    /// The waiting customer's patience runs out.
    Patience {
        slot: u32,
        token: u32,
    },
    /// The holding time of a session ends (B.7).
    HoldingEnd {
        slot: u32,
        token: u32,
    },
    /// The agent's reply to the customer's current message.
    AgentReply {
        slot: u32,
        token: u32,
    },
    /// The customer's next message.
    CustomerMessage {
        slot: u32,
        token: u32,
    },
    ShiftStart {
        agent: u32,
    },
    ShiftEnd {
        agent: u32,
    },
    BreakStart {
        agent: u32,
        index: u32,
    },
    BreakEnd {
        agent: u32,
    },
    AuxStart {
        agent: u32,
        token: u32,
    },
    AuxEnd {
        agent: u32,
        token: u32,
    },
}

/// The simulator's side of one session (indexed by the engine's slot).
#[derive(Clone, Debug)]
struct Chat {
    id: SessionId,
    /// The customer's arrival number in the replication (from 1): its name in the chat
    /// log ([`ChatEvent`]).
    customer: u64,
    /// Bumped whenever pending world events for this chat must be ignored.
    token: u32,
    alive: bool,
    arrived: SimTime,
    segment: u16,
    connected_once: bool,
    agent: u32,
    /// N: customer messages in this conversation (drawn at connection).
    messages_total: u32,
    /// Messages sent so far (the opening one counts).
    messages_sent: u32,
    /// When the slot last started being held silent: the agent's last reply, or the
    /// (re)connection if later (silent capacity is slot-time, so a wait does not count).
    last_reply_at: SimTime,
    /// The customer's next message, when one is drawn and not yet sent: a hand-back
    /// re-schedules it under the chat's new token so the conversation keeps its clock.
    next_msg_at: Option<SimTime>,
    /// The current message was overlooked: the reply waits for a reminder.
    overlooked: bool,
    /// The customer went silent for good.
    ghost: bool,
    /// In the wait queue (before its first connection, or after a hand-back).
    waiting: bool,
    had_reminder: bool,
    /// The holding time's factor for this customer: its arrival interval's AHT over the
    /// holding time's mean (1 without a forecast AHT).
    holding_scale: f64,
    rng: Rng,
}

/// Per-agent simulation state: why it is busy, its own random stream.
#[derive(Clone, Debug)]
struct AgentSim {
    on_break: bool,
    on_aux: bool,
    online: bool,
    aux_token: u32,
    rng: Rng,
}

/// A segment's per-chat distributions, prepared once ([`Prepared`]).
struct SegmentDraws {
    think_time: Prepared,
    messages: Prepared,
    patience: Option<Prepared>,
    /// Whether the customer goes silent for good after a reply: `silent_prob` as a
    /// [`Bernoulli`] built once (`random_bool` builds one per draw, a float-to-integer
    /// conversion at every turn), drawing the same numbers.
    silent: Bernoulli,
}

/// Totals of one replication's own work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RepStats {
    /// World events processed plus engine wake-ups.
    pub events: u64,
    pub routing_decisions: u64,
    pub customers: u64,
    /// The simulated instant the replication ended (after draining).
    pub end: SimTime,
}

/// One replication of a scenario, observed by `O`.
pub struct Replication<'a, O: Observer> {
    sc: &'a Scenario,
    engine: Engine,
    queue: EventQueue<Action>,
    chats: Vec<Chat>,
    agents: Vec<AgentSim>,
    arrivals: ArrivalClock<'a>,
    arrivals_rng: Rng,
    /// The routing stream, under the `random` rule only: the engine reads a request's
    /// draw for no other rule and nothing else reads the stream, so leaving it undrawn
    /// changes no output (and saves a draw a customer).
    routing_rng: Option<Rng>,
    /// The customers' streams of this replication (one per customer, by arrival number).
    customer_seed: StreamSeed,
    /// Per segment, its per-chat distributions; and the agents' reply time.
    segment_draws: Vec<SegmentDraws>,
    reply_time: Prepared,
    /// The holding time, in the holding model (`None` in the turn model).
    holding_time: Option<Prepared>,
    /// Whether a message is overlooked, built once as `silent` is ([`SegmentDraws`]);
    /// `None` when `overlook_prob` is 0 (no draw is made then).
    overlook: Option<Bernoulli>,
    rep: u32,
    obs: O,
    stats: RepStats,
    waiting_seen: u32,
    /// The instant of the latest event handled.
    last_now: SimTime,
    cancel: Option<&'a AtomicBool>,
    /// Whole-replication counts for the conservation laws (empty unless checked).
    ledger: Ledger,
    /// When the wait queue first grew past [`super::MAX_WAITING`].
    overloaded: Option<SimTime>,
    /// The holding time's mean, seconds, when the forecast gives AHTs to scale it to;
    /// 0 otherwise (every customer's factor is then 1, and nothing is looked up).
    aht_base_mean_s: f64,
}

/// `p` as a [`Bernoulli`]: `rng.sample` of it draws exactly as `rng.random_bool(p)`.
fn probability(p: f64) -> Bernoulli {
    Bernoulli::new(p).expect("the scenario's probabilities are in 0..=1")
}

impl<'a, O: Observer> Replication<'a, O> {
    /// Sets up replication `rep` of `sc` under `seed`.
    pub fn new(sc: &'a Scenario, seed: u64, rep: u32, obs: O) -> Self {
        let holding = matches!(sc.sessions, SessionModel::Holding { .. });
        let config = EngineConfig {
            rule: sc.routing,
            reply_interval: if holding {
                None
            } else {
                sc.thresholds.reply_interval
            },
            message_interval: if holding {
                None
            } else {
                sc.thresholds.message_interval
            },
            repeat_reminders: sc.thresholds.repeat_reminders,
            reminder_cap: sc.thresholds.reminder_cap,
            switches: sc.switches,
        };
        let maxes: Vec<u32> = sc.agents.iter().map(|a| a.max_sessions).collect();
        let mut queue = EventQueue::default();
        let agents = (0..sc.agents.len())
            .map(|i| AgentSim {
                on_break: false,
                on_aux: false,
                online: false,
                aux_token: 0,
                rng: seed::rng(seed, rep, Stream::Agent, i as u64),
            })
            .collect();
        for (i, a) in sc.agents.iter().enumerate() {
            queue.push(a.shift_start, Action::ShiftStart { agent: i as u32 });
        }
        let end_of_arrivals = SimTime::ZERO + sc.run.warmup + sc.run.horizon;
        let mut arrivals_rng = seed::rng(seed, rep, Stream::Arrivals, 0);
        let mut arrivals = ArrivalClock::new(&sc.arrivals, end_of_arrivals);
        let aht_base_mean_s = match (&sc.sessions, &sc.arrivals) {
            (SessionModel::Holding { holding_time }, Arrivals::Profile { intervals })
                if intervals.iter().any(|i| i.aht.is_some()) =>
            {
                holding_time.mean()
            }
            _ => 0.0,
        };
        if let Some(t) = arrivals.next(&mut arrivals_rng) {
            queue.push_arrival(t, Action::Arrival);
        }
        Replication {
            sc,
            engine: if holding {
                Engine::with_desk(config, &maxes, &sc.desk()).without_conversations()
            } else {
                Engine::with_desk(config, &maxes, &sc.desk())
            },
            queue,
            chats: Vec::new(),
            agents,
            arrivals,
            arrivals_rng,
            routing_rng: (sc.routing == RoutingRule::Random)
                .then(|| seed::rng(seed, rep, Stream::Routing, 0)),
            customer_seed: StreamSeed::new(seed, rep, Stream::Customer),
            segment_draws: sc
                .segments
                .iter()
                .map(|seg| SegmentDraws {
                    think_time: Prepared::new(&seg.think_time),
                    messages: Prepared::new(&seg.messages),
                    patience: seg.patience.as_ref().map(Prepared::new),
                    silent: probability(seg.silent_prob),
                })
                .collect(),
            reply_time: Prepared::new(&sc.behaviour.reply_time),
            holding_time: match &sc.sessions {
                SessionModel::Holding { holding_time } => Some(Prepared::new(holding_time)),
                SessionModel::Turns => None,
            },
            overlook: (sc.behaviour.overlook_prob > 0.0)
                .then(|| probability(sc.behaviour.overlook_prob)),
            rep,
            obs,
            stats: RepStats::default(),
            waiting_seen: 0,
            last_now: SimTime::ZERO,
            cancel: None,
            ledger: Ledger::default(),
            overloaded: None,
            aht_base_mean_s,
        }
    }

    /// Stops the run with [`SimError::Interrupted`] once `flag` is set (checked before the
    /// first event and then every [`super::CANCEL_CHECK_EVENTS`] events, so the hot loop
    /// stays a plain loop and a replication started after the signal does no work).
    pub fn with_cancel(mut self, flag: &'a AtomicBool) -> Self {
        self.cancel = Some(flag);
        self
    }

    /// Runs to the end (arrivals stop at warm-up + horizon; open work drains) and hands
    /// back the observer and the replication's totals.
    pub fn run(mut self) -> Result<(O, RepStats), SimError> {
        let max_events = self.sc.run.max_events;
        let max_time = SimTime::ZERO + self.sc.run.max_sim_time;
        // Events up to this count need no check (see `check_counts`).
        let mut next_check = 1;
        loop {
            let timer = self.engine.poll_timeout();
            // The world's next event, taken only if it comes before the engine's timer.
            let event = self.queue.pop_before(timer);
            let now = match (&event, timer) {
                (Some(e), _) => e.time,
                (None, Some(t)) => t,
                (None, None) => break,
            };
            if now > max_time {
                // Past the cap, a world event that would do nothing (a timer of a chat that
                // has ended, an aux period of an agent who has logged out) is no work left:
                // it is dropped, not taken for work that never drains.
                if event.is_some_and(|e| self.is_noop(e.payload)) {
                    continue;
                }
                return Err(SimError::TimeLimit {
                    limit: self.sc.run.max_sim_time,
                    at: now,
                });
            }
            self.stats.events += 1;
            if self.stats.events >= next_check {
                next_check = self.check_counts(now, max_events)?;
            }
            match event {
                Some(ev) => self.on_action(now, ev.payload),
                None => {
                    // A timer fires at the first millisecond its interval is exceeded,
                    // before any world event of that instant (the engine's rule).
                    self.engine.handle_timeout(now).expect("time is monotone");
                    self.pump(now);
                }
            }
        }
        let end = self.engine_now_or_last();
        if Ledger::ON {
            let open = (0..self.engine.agent_count())
                .filter_map(|a| self.engine.agent(AgentId(a as u32)).ok())
                .map(|v| u64::from(v.count) + u64::from(v.inactive))
                .sum();
            let waiting = u64::from(self.engine.waiting_len());
            if let Err(law) = self.ledger.check(open, waiting) {
                panic!("conservation law broken in replication {}: {law}", self.rep);
            }
        }
        self.stats.routing_decisions = self.engine.stats().routing_decisions;
        self.stats.end = end;
        self.obs
            .on_end(end, self.stats.events, self.stats.routing_decisions);
        Ok((self.obs, self.stats))
    }

    /// The checks due at event number `self.stats.events` (taken at `now`): past
    /// `max_events` the run stops; every [`super::CANCEL_CHECK_EVENTS`] events (the first,
    /// then one in that many) it looks at the cancel flag and at an overload. Returns the
    /// event number of the next check, so the loop makes one comparison per event.
    #[cold]
    #[inline(never)]
    fn check_counts(&self, now: SimTime, max_events: u64) -> Result<u64, SimError> {
        let events = self.stats.events;
        if events > max_events {
            return Err(SimError::EventLimit {
                limit: max_events,
                at: now,
            });
        }
        if events % super::CANCEL_CHECK_EVENTS == 1 {
            if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Err(SimError::Interrupted);
            }
            // Seen at most this many events late: the queue's memory stays bounded.
            if let Some(at) = self.overloaded {
                return Err(SimError::Overloaded {
                    limit: super::MAX_WAITING,
                    at,
                });
            }
        }
        // The next event numbered 1 modulo the period, or the first past the limit.
        let period = super::CANCEL_CHECK_EVENTS;
        let next_cancel = (events - 1) / period * period + period + 1;
        Ok(next_cancel.min(max_events.saturating_add(1)))
    }

    /// Whether `action`, taken now, would change nothing (see `on_action`): its chat has
    /// ended (or, for patience, is connected), or its aux period belongs to an agent who
    /// has logged out or has a newer one.
    fn is_noop(&self, action: Action) -> bool {
        match action {
            Action::Patience { slot, token } => self
                .live_chat(slot, token)
                .is_none_or(|id| self.engine.session_agent(id).is_some()),
            Action::HoldingEnd { slot, token }
            | Action::AgentReply { slot, token }
            | Action::CustomerMessage { slot, token } => self.live_chat(slot, token).is_none(),
            Action::AuxStart { agent, token } | Action::AuxEnd { agent, token } => {
                let a = &self.agents[agent as usize];
                a.aux_token != token || !a.online
            }
            Action::Arrival
            | Action::ShiftStart { .. }
            | Action::ShiftEnd { .. }
            | Action::BreakStart { .. }
            | Action::BreakEnd { .. } => false,
        }
    }

    fn engine_now_or_last(&self) -> SimTime {
        let horizon_end = SimTime::ZERO + self.sc.run.warmup + self.sc.run.horizon;
        self.last_now.max(horizon_end)
    }

    #[inline(always)]
    fn on_action(&mut self, now: SimTime, action: Action) {
        self.last_now = now;
        match action {
            Action::Arrival => self.on_arrival(now),
            Action::Patience { slot, token } => {
                if let Some(id) = self.live_chat(slot, token) {
                    // Only a waiting customer can abandon; a connected one ignores it.
                    if self.engine.session_agent(id).is_none() {
                        self.engine
                            .handle_abandon(now, id)
                            .expect("waiting session");
                        self.pump(now);
                    }
                }
            }
            Action::HoldingEnd { slot, token } => {
                if let Some(id) = self.live_chat(slot, token) {
                    self.engine
                        .handle_customer_close(now, id)
                        .expect("connected session");
                    self.pump(now);
                }
            }
            Action::AgentReply { slot, token } => self.on_agent_reply(now, slot, token),
            Action::CustomerMessage { slot, token } => self.on_customer_message(now, slot, token),
            Action::ShiftStart { agent } => self.on_shift_start(now, agent),
            Action::ShiftEnd { agent } => {
                self.agents[agent as usize].online = false;
                let mode = self.sc.behaviour.log_out;
                self.engine
                    .handle_log_out(now, AgentId(agent), mode)
                    .expect("known agent");
                self.pump(now);
            }
            Action::BreakStart { agent, index } => {
                let length = self.sc.agents[agent as usize].breaks[index as usize].length;
                self.queue.push(now + length, Action::BreakEnd { agent });
                self.agents[agent as usize].on_break = true;
                self.sync_busy(now, agent);
            }
            Action::BreakEnd { agent } => {
                self.agents[agent as usize].on_break = false;
                self.sync_busy(now, agent);
            }
            Action::AuxStart { agent, token } => {
                let a = &mut self.agents[agent as usize];
                if a.aux_token != token || !a.online {
                    return;
                }
                let aux = self
                    .sc
                    .behaviour
                    .aux
                    .as_ref()
                    .expect("aux scheduled only when set");
                let length = aux.length.sample_ms(&mut a.rng);
                a.on_aux = true;
                self.queue
                    .push(now + length, Action::AuxEnd { agent, token });
                self.sync_busy(now, agent);
            }
            Action::AuxEnd { agent, token } => {
                let a = &mut self.agents[agent as usize];
                if a.aux_token != token {
                    return;
                }
                a.on_aux = false;
                self.sync_busy(now, agent);
                self.schedule_aux(now, agent);
            }
        }
    }

    fn on_arrival(&mut self, now: SimTime) {
        self.stats.customers += 1;
        self.ledger.offered();
        let customer_index = self.stats.customers;
        // The arrival clock still stands at this customer's interval: its AHT, if any,
        // scales the holding time (looked up only when the forecast gives AHTs).
        let holding_scale = if self.aht_base_mean_s > 0.0 {
            self.arrivals
                .aht()
                .map_or(1.0, |a| a.as_secs_f64() / self.aht_base_mean_s)
        } else {
            1.0
        };
        if let Some(t) = self.arrivals.next(&mut self.arrivals_rng) {
            self.queue.push_arrival(t, Action::Arrival);
        }
        let segment = self.pick_segment();
        self.obs.on_offered(now, segment);
        self.obs.on_chat(now, customer_index, ChatEvent::Request);
        let draw: u64 = self.routing_rng.as_mut().map_or(0, |r| r.random());
        let id = self
            .engine
            .handle_session_request_in(now, self.sc.segments[segment as usize].queue, draw)
            .expect("time is monotone");
        let slot = id.slot as usize;
        if slot >= self.chats.len() {
            self.chats.resize_with(slot + 1, || Chat {
                id,
                customer: 0,
                token: 0,
                alive: false,
                arrived: now,
                segment: 0,
                connected_once: false,
                agent: 0,
                messages_total: 1,
                messages_sent: 0,
                last_reply_at: now,
                next_msg_at: None,
                overlooked: false,
                ghost: false,
                waiting: false,
                had_reminder: false,
                holding_scale: 1.0,
                rng: seed::rng(0, 0, Stream::Customer, 0),
            });
        }
        let chat = &mut self.chats[slot];
        chat.id = id;
        chat.customer = customer_index;
        chat.token = chat.token.wrapping_add(1);
        chat.alive = true;
        chat.arrived = now;
        chat.segment = segment;
        chat.connected_once = false;
        chat.waiting = false;
        chat.ghost = false;
        chat.had_reminder = false;
        chat.overlooked = false;
        chat.messages_sent = 0;
        chat.next_msg_at = None;
        chat.holding_scale = holding_scale;
        chat.rng = self.customer_seed.rng(customer_index);
        self.pump(now);
    }

    fn pick_segment(&mut self) -> u16 {
        let segments = &self.sc.segments;
        if segments.len() == 1 {
            return 0;
        }
        let u: f64 = self.arrivals_rng.random();
        let mut acc = 0.0;
        for (i, s) in segments.iter().enumerate() {
            acc += s.share;
            if u < acc {
                return i as u16;
            }
        }
        (segments.len() - 1) as u16
    }

    fn on_agent_reply(&mut self, now: SimTime, slot: u32, token: u32) {
        let Some(id) = self.live_chat(slot, token) else {
            return;
        };
        let reply = self
            .engine
            .handle_agent_reply(now, id)
            .expect("connected session");
        let chat = &mut self.chats[slot as usize];
        chat.last_reply_at = now;
        let agent = AgentId(chat.agent);
        let queue = self.sc.segments[chat.segment as usize].queue;
        self.obs
            .on_reply(now, agent, reply.latency, reply.late, queue);
        self.obs
            .on_chat(now, chat.customer, ChatEvent::Reply(agent));
        self.ledger.reply(reply.late, reply.reminders > 0);
        let chat = &mut self.chats[slot as usize];
        if chat.messages_sent >= chat.messages_total {
            // B.4: the last message answered, the customer closes.
            self.engine
                .handle_customer_close(now, id)
                .expect("connected session");
        } else {
            let draws = &self.segment_draws[chat.segment as usize];
            if chat.rng.sample(draws.silent) {
                chat.ghost = true;
            } else {
                let think = draws.think_time.sample_ms(&mut chat.rng);
                let token = chat.token;
                chat.next_msg_at = Some(now + think);
                self.queue
                    .push(now + think, Action::CustomerMessage { slot, token });
            }
        }
        self.pump(now);
    }

    fn on_customer_message(&mut self, now: SimTime, slot: u32, token: u32) {
        let Some(id) = self.live_chat(slot, token) else {
            return;
        };
        let chat = &mut self.chats[slot as usize];
        chat.messages_sent += 1;
        chat.next_msg_at = None;
        self.obs
            .on_chat(now, chat.customer, ChatEvent::CustomerMessage);
        self.ledger.customer_message();
        self.engine
            .handle_customer_message(now, id)
            .expect("live session");
        // A customer waiting after a hand-back writes into the queue: the reply comes
        // from whoever takes the chat next (see `on_connected`).
        let chat = &self.chats[slot as usize];
        if !chat.waiting {
            let count = self
                .engine
                .agent(AgentId(chat.agent))
                .map_or(1, |v| v.count);
            self.schedule_reply(now, slot, count);
        }
        self.pump(now);
    }

    /// B.2: the agent's reply to the message just received, or an overlooked message;
    /// `count` is the agent's service count when the message arrived.
    #[inline(always)]
    fn schedule_reply(&mut self, now: SimTime, slot: u32, count: u32) {
        let b = &self.sc.behaviour;
        let chat = &self.chats[slot as usize];
        let agent = chat.agent as usize;
        let token = chat.token;
        let arng = &mut self.agents[agent].rng;
        if self.overlook.is_some_and(|o| arng.sample(o)) {
            // An overlooked message waits for the reminder, when one is coming; else (no
            // reminders, or none left: a cap reached, or a handed-back session whose one
            // reminder fell while it waited) it is answered after the long delay.
            if self.engine.reminder_armed(chat.id) == Some(true) {
                self.chats[slot as usize].overlooked = true;
            } else {
                let delay = b.overlook_delay.sample_ms(arng);
                self.queue
                    .push(now + delay, Action::AgentReply { slot, token });
            }
            return;
        }
        let scale = self.sc.agents[agent].speed_factor
            * (1.0 + b.load_slowdown * (count.max(1) - 1) as f64);
        let r = Millis::from_secs_f64_rounded(self.reply_time.sample(arng) * scale);
        self.queue.push(now + r, Action::AgentReply { slot, token });
    }

    fn on_shift_start(&mut self, now: SimTime, agent: u32) {
        let spec = &self.sc.agents[agent as usize];
        self.queue.push(spec.shift_end, Action::ShiftEnd { agent });
        for (index, b) in spec.breaks.iter().enumerate() {
            self.queue.push(
                b.start,
                Action::BreakStart {
                    agent,
                    index: index as u32,
                },
            );
        }
        let a = &mut self.agents[agent as usize];
        a.online = true;
        a.on_break = false;
        a.on_aux = false;
        self.engine
            .handle_log_in(now, AgentId(agent))
            .expect("known agent");
        self.pump(now);
        self.schedule_aux(now, agent);
    }

    fn schedule_aux(&mut self, now: SimTime, agent: u32) {
        let Some(aux) = self.sc.behaviour.aux.as_ref() else {
            return;
        };
        let a = &mut self.agents[agent as usize];
        if !a.online {
            return;
        }
        a.aux_token = a.aux_token.wrapping_add(1);
        let gap = aux.gap.sample_ms(&mut a.rng);
        let token = a.aux_token;
        self.queue
            .push(now + gap, Action::AuxStart { agent, token });
    }

    /// S01–S04: the agent end turns its break/aux state into busy or un-busy requests.
    fn sync_busy(&mut self, now: SimTime, agent: u32) {
        let a = &self.agents[agent as usize];
        if !a.online {
            return;
        }
        let want_busy = a.on_break || a.on_aux;
        let is_busy = self.engine.agent(AgentId(agent)).is_ok_and(|v| v.busy);
        if want_busy != is_busy {
            let trigger = if want_busy {
                TriggerEvent::Busy
            } else {
                TriggerEvent::Unbusy
            };
            let request = AgentRequest::from_trigger(trigger, AgentId(agent));
            self.engine
                .handle_agent_request(now, request)
                .expect("online agent");
            self.pump(now);
        }
    }

    /// The chat's session id if `token` still matches a live chat in `slot`.
    fn live_chat(&self, slot: u32, token: u32) -> Option<SessionId> {
        let chat = self.chats.get(slot as usize)?;
        (chat.alive && chat.token == token).then_some(chat.id)
    }

    /// Pulls the engine's events and reacts to each, then reports a change of the wait
    /// queue's length. Inlined: most commands (a reply, a customer message) report no
    /// event, and the call cost more than the checks.
    #[inline(always)]
    fn pump(&mut self, now: SimTime) {
        self.last_now = now;
        if self.engine.has_events() {
            self.react(now);
        }
        let waiting = self.engine.waiting_len();
        if waiting != self.waiting_seen {
            self.waiting_seen = waiting;
            self.obs.on_queue_len(now, waiting);
            if waiting > super::MAX_WAITING {
                self.overloaded = Some(now);
            }
        }
    }

    /// Reacts to each of the engine's events, in order.
    #[inline(never)]
    fn react(&mut self, now: SimTime) {
        while let Some(ev) = self.engine.poll_event() {
            match ev {
                Event::Connected {
                    session,
                    agent,
                    count,
                    ..
                } => self.on_connected(now, session, agent, count),
                Event::Queued { session, .. } => {
                    let chat = &mut self.chats[session.slot as usize];
                    chat.waiting = true;
                    if !chat.connected_once {
                        if let Some(p) = &self.segment_draws[chat.segment as usize].patience {
                            let patience = p.sample_ms(&mut chat.rng);
                            let token = chat.token;
                            let slot = session.slot;
                            self.queue
                                .push(chat.arrived + patience, Action::Patience { slot, token });
                        }
                    }
                }
                Event::ReminderDue { session, agent, .. } => {
                    let chat = &mut self.chats[session.slot as usize];
                    let first = !chat.had_reminder;
                    chat.had_reminder = true;
                    self.obs.on_reminder(now, agent, first);
                    // The first reminder after an overlooked message (its nth may exceed 1
                    // when the reply was owed before a hand-back).
                    if chat.overlooked {
                        chat.overlooked = false;
                        let token = chat.token;
                        let reaction = self
                            .sc
                            .behaviour
                            .reaction_time
                            .sample_ms(&mut self.agents[agent.0 as usize].rng);
                        self.queue.push(
                            now + reaction,
                            Action::AgentReply {
                                slot: session.slot,
                                token,
                            },
                        );
                    }
                }
                Event::Ended {
                    session,
                    agent,
                    reason,
                    ..
                } => {
                    let chat = &mut self.chats[session.slot as usize];
                    chat.alive = false;
                    chat.token = chat.token.wrapping_add(1);
                    self.ledger.ended(reason);
                    let customer = chat.customer;
                    match reason {
                        EndReason::Closed => {
                            self.obs.on_chat(now, customer, ChatEvent::Close(agent));
                            self.obs.on_close(now, agent);
                        }
                        EndReason::Silence => {
                            self.obs
                                .on_chat(now, customer, ChatEvent::Disconnect(agent));
                            let kind = if chat.ghost {
                                DisconnectKind::Ghost
                            } else {
                                DisconnectKind::Premature
                            };
                            let held = now.saturating_since(chat.last_reply_at);
                            let queue = self.sc.segments[chat.segment as usize].queue;
                            self.obs.on_disconnect(now, agent, kind, held, queue);
                        }
                    }
                    self.report_sessions(now, agent);
                }
                Event::Abandoned { session, .. } => {
                    let chat = &mut self.chats[session.slot as usize];
                    chat.alive = false;
                    chat.token = chat.token.wrapping_add(1);
                    self.ledger.abandoned();
                    self.obs.on_chat(now, chat.customer, ChatEvent::Abandon);
                    let queue = self.sc.segments[chat.segment as usize].queue;
                    self.obs.on_abandoned(now, chat.arrived, queue);
                }
                Event::HandedBack { session, agent } => {
                    let chat = &mut self.chats[session.slot as usize];
                    // The old agent's pending reply is dropped (whoever takes the chat
                    // next replies); the customer's pending message keeps its instant.
                    chat.token = chat.token.wrapping_add(1);
                    chat.overlooked = false;
                    chat.waiting = true;
                    if let Some(at) = chat.next_msg_at {
                        let (slot, token) = (session.slot, chat.token);
                        self.queue.push(at, Action::CustomerMessage { slot, token });
                    }
                    self.ledger.handed_back();
                    self.obs.on_handed_back(now, agent);
                    self.report_sessions(now, agent);
                }
                // Product switches (docs/model.md, "Product switches"). An inactive session
                // keeps its customer and its agent; only the agent's load falls.
                Event::Inactive { agent, .. } => self.report_sessions(now, agent),
                // The customer's message to an inactive session: the agent owes the reply,
                // already drawn when the message came (`on_customer_message`); the session
                // counts again.
                Event::Reactivated { agent, .. } => self.report_sessions(now, agent),
                Event::Transferred { session, from, to } => {
                    self.on_transferred(now, session, from, to)
                }
                Event::Agent { agent, change } => match change {
                    AgentChange::LoggedIn => self.obs.on_agent_online(now, agent, true),
                    AgentChange::LoggedOut => self.obs.on_agent_online(now, agent, false),
                    AgentChange::Busy => self.obs.on_agent_busy(now, agent, true),
                    AgentChange::Unbusy => self.obs.on_agent_busy(now, agent, false),
                },
            }
        }
    }

    /// A first-reply time-out moved the chat from `from` to `to`: a reconnection to
    /// another agent. `from`'s pending reply is void (the chat's token moves on), `to`
    /// owes the reply to the customer's last message, drawn from now with `to`'s own
    /// reply time; a customer message on its way keeps its instant. For the figures it is
    /// a hand-back by `from` and a reconnection to `to`, so every per-agent law holds.
    fn on_transferred(&mut self, now: SimTime, session: SessionId, from: AgentId, to: AgentId) {
        let slot = session.slot;
        let chat = &mut self.chats[slot as usize];
        chat.token = chat.token.wrapping_add(1);
        chat.overlooked = false;
        chat.agent = to.0;
        if let Some(at) = chat.next_msg_at {
            let token = chat.token;
            self.queue.push(at, Action::CustomerMessage { slot, token });
        }
        let customer = chat.customer;
        self.ledger.handed_back();
        self.ledger.connected(false);
        self.obs.on_handed_back(now, from);
        self.report_sessions(now, from);
        self.obs.on_chat(now, customer, ChatEvent::Connect(to));
        self.obs.on_reconnected(now, to);
        self.report_sessions(now, to);
        if self.engine.reply_owed(session) == Some(true) {
            let count = self.engine.agent(to).map_or(1, |v| v.count);
            self.schedule_reply(now, slot, count);
        }
    }

    /// Inlined: twice a customer (its connection and its end), where the call's register
    /// saves cost about as much as the report.
    #[inline(always)]
    fn report_sessions(&mut self, now: SimTime, agent: AgentId) {
        let count = self.engine.agent(agent).map_or(0, |v| v.count);
        self.obs.on_agent_sessions(now, agent, count);
    }

    /// `count` is the agent's service count with this session (B.2 scales the reply to
    /// the opening message by it).
    fn on_connected(&mut self, now: SimTime, session: SessionId, agent: AgentId, count: u32) {
        let slot = session.slot;
        let chat = &mut self.chats[slot as usize];
        chat.agent = agent.0;
        chat.waiting = false;
        chat.last_reply_at = now;
        self.obs
            .on_chat(now, chat.customer, ChatEvent::Connect(agent));
        let first = !chat.connected_once;
        if first {
            chat.connected_once = true;
            let queue = self.sc.segments[chat.segment as usize].queue;
            self.obs.on_connected(now, chat.arrived, agent, queue);
        } else {
            self.obs.on_reconnected(now, agent);
        }
        self.ledger.connected(first);
        self.report_sessions(now, agent);
        let chat = &mut self.chats[slot as usize];
        let token = chat.token;
        match &self.holding_time {
            Some(holding_time) => {
                let h = holding_time.sample_scaled_ms(&mut chat.rng, chat.holding_scale);
                self.queue.push(now + h, Action::HoldingEnd { slot, token });
            }
            None if first => {
                // B.1: N drawn at connection; the opening message counts as sent now.
                let draws = &self.segment_draws[chat.segment as usize];
                let n = draws.messages.sample(&mut chat.rng).round();
                chat.messages_total = if n >= 1.0 {
                    n.min(u32::MAX as f64) as u32
                } else {
                    1
                };
                chat.messages_sent = 1;
                self.ledger.customer_message();
                self.schedule_reply(now, slot, count);
            }
            None => {
                // A handed-back chat resumes where it was: the new agent owes the reply to
                // the customer's last message if the old one had not answered it (the
                // engine measures it from that message); else the customer's next message,
                // if any, is still on its way.
                if self.engine.reply_owed(session) == Some(true) {
                    self.schedule_reply(now, slot, count);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// A [`Bernoulli`] built once draws what `random_bool` draws, one number per draw
    /// (none at probability 1): the same answers and the generator left in the same
    /// state, at the probabilities' edges and between them.
    #[test]
    fn a_prepared_probability_draws_as_random_bool() {
        for p in [0.0, 1e-9, 0.05, 0.5, 0.95, 1.0 - 1e-12, 1.0] {
            let mut a = Xoshiro256PlusPlus::seed_from_u64(3);
            let mut b = Xoshiro256PlusPlus::seed_from_u64(3);
            let prepared = probability(p);
            for _ in 0..1_000 {
                assert_eq!(a.sample(prepared), b.random_bool(p), "p = {p}");
            }
            assert_eq!(a.random::<u64>(), b.random::<u64>(), "p = {p}");
        }
    }
}
