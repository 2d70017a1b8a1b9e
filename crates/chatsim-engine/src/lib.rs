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
//! `now` must never go back. A timer fires at the first millisecond its interval is
//! exceeded (the claim's word): a reminder at last message + reply interval + 1 ms. Timers
//! due at an instant fire before the commands of that instant (the engine fires them itself
//! if a driver sends a command first), so a reply at exactly last message + reply interval
//! is in time and one 1 ms later comes after its reminder.
//!
//! The same rule makes the missed-response verdict (SPEC B.3, [`is_missed`]): a customer
//! message sent at t is missed when no reply came by t + reply interval. The engine keeps
//! the send times of the messages not yet answered and judges each one: a reply's
//! [`Reply::missed`] counts those it answered too late, and a session's end counts those
//! still unanswered that had waited too long (the `missed` of [`Event::Ended`] and
//! [`Event::Abandoned`]; [`Engine::missed_if_ended`] for a session still open).
//!
//! # Embedding it
//!
//! A chat product keeps its own names for agents and chats and maps them to [`AgentId`]s
//! (dense, `0..roster`) and the [`SessionId`]s the engine hands out; it feeds each command
//! with the instant it happened, sleeps until the next input or `poll_timeout()`, and acts
//! on the events (send the reminder, close the silent chat). `chatsim live` is such a
//! driver over JSON lines. One agent, a reply interval of 60 s:
//!
//! ```
//! use chatsim_engine::time::{Millis, SimTime};
//! use chatsim_engine::{AgentId, EndReason, Engine, EngineConfig, Event};
//!
//! let config = EngineConfig {
//!     reply_interval: Some(Millis::from_secs(60)),
//!     message_interval: Some(Millis::from_secs(300)),
//!     ..EngineConfig::default()
//! };
//! let mut engine = Engine::new(config, &[2]); // agent 0 takes two chats at a time
//! let t0 = SimTime::from_millis(0);
//! engine.handle_log_in(t0, AgentId(0))?;
//! let chat = engine.handle_session_request(t0, 0)?; // the draw only matters to `random`
//! let events: Vec<Event> = std::iter::from_fn(|| engine.poll_event()).collect();
//! assert!(matches!(events[1], Event::Connected { agent: AgentId(0), .. }));
//!
//! // Nobody answers: wake the engine when it asks to, the first millisecond past 60 s.
//! let wake = engine.poll_timeout().expect("a reminder is armed");
//! assert_eq!(wake, t0 + Millis::from_millis(60_001));
//! engine.handle_timeout(wake)?;
//! assert!(matches!(engine.poll_event(), Some(Event::ReminderDue { nth: 1, .. })));
//!
//! // The reply comes at 65 s: the engine's verdict says it was late, the opening missed.
//! let reply = engine.handle_agent_reply(SimTime::from_millis(65_000), chat)?;
//! assert!(reply.answered && reply.late && reply.missed == 1 && reply.reminders == 1);
//!
//! // The customer stays silent: disconnected at 65 s + 300 s + 1 ms.
//! let wake = engine.poll_timeout().expect("a disconnect is armed");
//! assert_eq!(wake.as_millis(), 365_001);
//! engine.handle_timeout(wake)?;
//! assert!(matches!(
//!     engine.poll_event(),
//!     Some(Event::Ended { reason: EndReason::Silence, .. })
//! ));
//! # Ok::<(), chatsim_engine::EngineError>(())
//! ```
//!
//! Inside, three structures carry the method: the [`ServiceQueue`](service_queue) of
//! eligible agents ordered by the distribution rule (S3, S8, claim 5), the FIFO
//! [`WaitQueue`](wait_queue) of customers no agent could take yet, and two deadline queues
//! of session [timers] (S5). The steady state allocates nothing: slots, queues and the
//! event buffer are reused once grown.
//!
//! A desk of several queues, skills, levels and rings ([`Engine::with_desk`] with a
//! [`Desk`] that is not [pooled](Desk::is_pooled)) routes through the [`queues`] module
//! instead: one FIFO per queue, one service queue per (skill, level), and one pending
//! wake-up per queue for its head's next ring (overflow after N seconds, bullseye
//! widening). A pooled desk never builds those and keeps the single-queue path below.
//!
//! Whether the engine is *plain* (a pooled desk with every product switch off: the method
//! as claimed) is decided once, when it is built; each command then runs code compiled
//! for that [shape], with no desk or switch check in the plain engine's hot path.
//!
//! The layout is chosen for large rosters, where every close reads a random session and
//! the cost is cache misses, not instructions. An agent is one 64-byte record (one cache
//! line) holding its routing state, its place in the service queue, the list of its open
//! sessions and three *home* session slots: a session connected at once is stored in its
//! agent's record, so closing it, re-queuing the agent and routing the next customer to
//! it touch that one line. Sessions that waited first, or that found their agent's home
//! slots taken, live in an overflow array. A session's timers and wait data live apart,
//! in `SessionDetail`. BENCHMARKS.md has the profile behind this.

pub mod time;

mod event_buffer;
mod queues;
mod service_queue;
mod shape;
mod switches;
mod timers;
mod types;
mod wait_queue;

#[cfg(test)]
mod queue_tests;
#[cfg(test)]
mod tests;

/// The README's example, compiled and run as a doc-test.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub use service_queue::MAX_AGENTS;
pub use types::*;

use crate::time::{Millis, SimTime};
use event_buffer::EventBuffer;
use queues::DeskRouting;
use service_queue::{is_queued, ordered_key, Placement, Places, QueuePlace, ServiceQueue};
use shape::{by_shape, Full, Shape};
use switches::SwitchState;
use timers::{TimerEntry, TimerKind, TimerQueue};
use wait_queue::WaitQueue;

/// No session (an empty slot place).
const NONE: u32 = u32::MAX;

/// Open-session places an agent keeps in its own record; agents with a larger cap keep
/// their list in `Engine::spilled`.
const INLINE_SLOTS: usize = 4;

/// Session slots stored in each agent's record (its home slots); three is what fits in
/// the agent's cache line.
const HOME_SLOTS: usize = 3;

/// Home slot `k` of agent `a` is slot number `a << HOME_SHIFT | k`: a power-of-two
/// stride, so that finding a session is a shift and a mask (`a << 2 | 3` is never used).
/// Overflow slots are numbered from `agents << HOME_SHIFT` on.
const HOME_SHIFT: u32 = 2;

/// One agent's state, as the method keeps it, in one aligned 64-byte cache line: with
/// 100 000 agents every close reads a random agent, and it should cost one line, its
/// queue place, open-session list and home sessions included.
#[derive(Clone, Debug)]
#[repr(align(64))]
struct Agent {
    /// The instant the rule breaks ties by inside a load level: the last assignment for
    /// the load rules, the last change of the session set or availability for longest
    /// idle (see [`Engine::touch`]).
    tie_time: SimTime,
    /// The agent's place in the service queue (the queue's own bookkeeping).
    queue: QueuePlace,
    /// Where this agent's open-session list starts in `Engine::spilled`, when
    /// `max > INLINE_SLOTS`.
    first: u32,
    max: u8,
    /// Service count: sessions held now.
    count: u8,
    online: bool,
    busy: bool,
    /// The open sessions' slots, oldest first, when `max <= INLINE_SLOTS`.
    inline: [u32; INLINE_SLOTS],
    /// Sessions stored here (see [`HOME_SLOTS`]); each may be free, or a session of this
    /// agent, or one handed back at log-out that now waits or is served by another agent.
    home: [Session; HOME_SLOTS],
}

impl Agent {
    fn eligible(&self) -> bool {
        self.online && !self.busy && self.count < self.max
    }

    fn placement(&self) -> Placement {
        Placement {
            count: self.count as u32,
            max: self.max as u32,
            tie_ms: self.tie_time.as_millis(),
        }
    }

    /// The open sessions' slots, oldest first.
    fn open<'a>(&'a self, spilled: &'a [u32]) -> &'a [u32] {
        let n = self.count as usize;
        if self.max as usize <= INLINE_SLOTS {
            &self.inline[..n]
        } else {
            &spilled[self.first as usize..][..n]
        }
    }

    /// All `max` places of the open-session list; the first `count` are in use.
    fn open_places<'a>(&'a mut self, spilled: &'a mut [u32]) -> &'a mut [u32] {
        let max = self.max as usize;
        if max <= INLINE_SLOTS {
            &mut self.inline[..max]
        } else {
            &mut spilled[self.first as usize..][..max]
        }
    }
}

impl Places for [Agent] {
    fn place(&self, agent: u32) -> &QueuePlace {
        &self[agent as usize].queue
    }
    fn place_mut(&mut self, agent: u32) -> &mut QueuePlace {
        &mut self[agent as usize].queue
    }
}

// The sizes the layout rests on (see the module doc); a new field must not grow them unseen.
const _: () = assert!(std::mem::size_of::<Agent>() == 64);
const _: () = assert!(std::mem::size_of::<Session>() == 8);
const _: () = assert!(std::mem::size_of::<SessionDetail>() == 40);

/// Where a session is, packed in one `u32`: free, waiting, or connected to an agent with
/// the S53 flag "the agent owes a reply" in the top bit (agent ids fit in 22 bits), and
/// the two flags of a session its agent holds outside its open-session list (switch
/// `inactive_after`, see [`switches`]): inactive, or counting but above the cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Link(u32);

impl Link {
    const FREE: Link = Link(u32::MAX);
    const WAITING: Link = Link(u32::MAX - 1);
    const REPLY_OWED: u32 = 1 << 31;
    /// Inactive: held by its agent but not counted (its customer has been silent).
    const INACTIVE: u32 = 1 << 30;
    /// Counted, but held beyond the agent's cap (reactivated over it).
    const OVER: u32 = 1 << 29;
    const AGENT: u32 = (1 << service_queue::INDEX_BITS) - 1;

    fn connected(agent: u32, reply_owed: bool) -> Link {
        Link(agent | if reply_owed { Link::REPLY_OWED } else { 0 })
    }

    /// The agent of a connected session.
    fn agent(self) -> Option<u32> {
        (self.0 < Link::WAITING.0).then_some(self.0 & Link::AGENT)
    }

    fn reply_owed(self) -> bool {
        self.agent().is_some() && self.0 & Link::REPLY_OWED != 0
    }

    /// The same link with the reply-owed flag set to `owed` (the other flags kept).
    fn with_reply_owed(self, owed: bool) -> Link {
        Link(self.0 & !Link::REPLY_OWED | if owed { Link::REPLY_OWED } else { 0 })
    }

    /// Connected and held outside its agent's open-session list (inactive or over cap).
    fn parked(self) -> bool {
        self.agent().is_some() && self.0 & (Link::INACTIVE | Link::OVER) != 0
    }

    fn inactive(self) -> bool {
        self.agent().is_some() && self.0 & Link::INACTIVE != 0
    }

    fn over(self) -> bool {
        self.agent().is_some() && self.0 & Link::OVER != 0
    }
}

/// One session slot, as routing reads it: 8 bytes, so that three fit in an agent's
/// record beside its routing state.
#[derive(Clone, Copy, Debug)]
struct Session {
    generation: u32,
    link: Link,
}

/// The rest of a session slot, apart so that routing on a desk without timers never
/// touches it for a session connected at once (except to keep the draw, under the random
/// rule).
#[derive(Clone, Debug, Default)]
struct SessionDetail {
    /// Start of the current wait (request, or hand-back); written only when the session
    /// waits, since an immediate connection waited zero.
    waiting_since: SimTime,
    /// The caller's random draw, kept for the `Random` rule (a waiting or handed-back
    /// session is routed later).
    draw: u64,
    /// S51/S52: the instant of the last turn: the customer's last message while the
    /// agent owes a reply (the opening message counts as sent at connection), else the
    /// agent's last reply. Reply latency, the late-reply verdict and the timers of a
    /// handed-back session are measured from it.
    turn_at: SimTime,
    /// Bumped at every arm or cancel; a timer entry is live iff its epoch matches.
    timer_epoch: u32,
    /// Reminders sent for the reply owed now.
    reminders: u32,
    /// The session was handed back at log-out and has a conversation to resume: at its
    /// next connection the turn state below is restored instead of a fresh opening.
    resume: bool,
    /// While waiting after a hand-back: whether the agent owes a reply (S53).
    owed: bool,
    /// A reminder is armed (an overlooked message can wait for it).
    reminder_armed: bool,
    /// The customer messages not answered yet, the opening included, are the newest one,
    /// sent at `turn_at` while a reply is owed, and `earlier` more listed in
    /// `Engine::earlier` (a customer who wrote again before the reply; kept only with a
    /// reply interval). Judged by [`is_missed`] at the reply or the session's end.
    earlier: u32,
}

/// A read-only view of one agent, for drivers, metrics and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgentView {
    pub count: u32,
    pub max: u32,
    pub online: bool,
    pub busy: bool,
    /// Set while the agent holds at least one session (S4), inactive ones included.
    pub serving: bool,
    /// Sessions it holds that do not count (switch `inactive_after`): `count` leaves them
    /// out. With `reactivate_over_cap`, `count` may exceed `max`.
    pub inactive: u32,
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
    /// Session slots from `agents.len() << HOME_SHIFT` on: sessions that waited, or whose
    /// agent's home slots were taken.
    overflow: Vec<Session>,
    /// Free overflow slots.
    free: Vec<u32>,
    /// Per session slot, home and overflow alike.
    details: Vec<SessionDetail>,
    /// The open-session lists of agents whose cap exceeds `INLINE_SLOTS`, `max` each.
    spilled: Vec<u32>,
    service: ServiceQueue,
    waiting: WaitQueue,
    reminders: TimerQueue,
    disconnects: TimerQueue,
    /// No stored timer entry is due before this instant (it may be early: entries
    /// cancelled or dropped since leave it as it was, which only costs a check).
    next_due: SimTime,
    events: EventBuffer,
    stats: EngineStats,
    /// Sessions have turns (messages and replies); see [`Engine::without_conversations`].
    conversations: bool,
    /// (slot, send time) of each unanswered customer message but its session's newest
    /// (a customer who writes again before the reply): rare, since a reply answers them
    /// all, so one short list for the engine instead of a list per session.
    earlier: Vec<(u32, SimTime)>,
    /// The queues and skills of a desk that is not pooled ([`queues`]); `None` on a pooled
    /// desk, whose customers wait in `waiting` and whose agents are in `service`.
    desk: Option<Box<DeskRouting>>,
    /// The product switches' own state (empty while they are off).
    switches: SwitchState,
    /// A pooled desk with every switch off: commands run the [`shape::Plain`] code, which
    /// has no desk or switch check in it. Set at construction.
    plain: bool,
    /// No timer of any kind can ever be armed (no reply or message interval, no desk of
    /// queues, no switch timer): `poll_timeout` is then one load and a compare, inlined
    /// into the driver, which asks after every command. Set at construction.
    quiet: bool,
    /// A reply or message interval is set (see [`Engine::has_timers`]).
    timed: bool,
}

impl Engine {
    /// An engine for agents with these session caps (`AgentId(i)` has `max_sessions[i]`),
    /// all logged out. Caps must be in 1..=64 and there may be at most [`MAX_AGENTS`]
    /// agents; the scenario loader checks both, and this panics otherwise. Memory: 224
    /// bytes per agent up front (its record and the details of its four slot numbers),
    /// plus 48 bytes per overflow slot, grown as sessions wait or overflow.
    pub fn new(config: EngineConfig, max_sessions: &[u32]) -> Engine {
        assert!(max_sessions.len() <= MAX_AGENTS, "too many agents");
        assert!(
            max_sessions.iter().all(|&m| (1..=64).contains(&m)),
            "max_sessions must be 1..=64"
        );
        let mut spilled = 0u32;
        let agents = max_sessions
            .iter()
            .map(|&max| {
                let agent = Agent {
                    tie_time: SimTime::ZERO,
                    queue: QueuePlace::default(),
                    first: spilled,
                    max: max as u8,
                    count: 0,
                    online: false,
                    busy: false,
                    inline: [NONE; INLINE_SLOTS],
                    home: [Session {
                        generation: 0,
                        link: Link::FREE,
                    }; HOME_SLOTS],
                };
                if max as usize > INLINE_SLOTS {
                    spilled += max;
                }
                agent
            })
            .collect::<Vec<_>>();
        let home_slots = agents.len() << HOME_SHIFT;
        let mut engine = Engine {
            config,
            now: SimTime::ZERO,
            agents,
            overflow: Vec::new(),
            free: Vec::new(),
            details: vec![SessionDetail::default(); home_slots],
            spilled: vec![NONE; spilled as usize],
            service: ServiceQueue::new(config.rule, max_sessions),
            waiting: WaitQueue::default(),
            reminders: TimerQueue::default(),
            disconnects: TimerQueue::default(),
            next_due: SimTime::NEVER,
            // Grown on first use: a driver holding many small engines (replay, one per
            // logged agent) pays nothing for an empty buffer.
            events: EventBuffer::default(),
            stats: EngineStats::default(),
            conversations: true,
            earlier: Vec::new(),
            desk: None,
            switches: SwitchState::new(
                max_sessions.len(),
                home_slots,
                config.switches.inactive_after.is_some(),
                config.switches.first_reply_timeout.is_some(),
            ),
            plain: false,
            quiet: false,
            timed: config.reply_interval.is_some() || config.message_interval.is_some(),
        };
        engine.plain = engine.fits_plain();
        engine.quiet = engine.plain && !engine.has_timers();
        engine
    }

    /// An engine for a desk of queues and skills (see [`Desk`] and the [`queues`] module):
    /// `max_sessions` as for [`Engine::new`], `desk.skills` one list per agent. A pooled
    /// desk ([`Desk::is_pooled`]) is [`Engine::new`]'s, on the same fast path. Panics
    /// unless [`Desk::check`] accepts the desk and it has one skill list per agent (the
    /// scenario loader reports both first).
    pub fn with_desk(config: EngineConfig, max_sessions: &[u32], desk: &Desk) -> Engine {
        assert_eq!(
            desk.skills.len(),
            max_sessions.len(),
            "one skill list per agent"
        );
        if let Err(e) = desk.check() {
            panic!("invalid desk: {e}");
        }
        if desk.is_pooled() {
            return Engine::new(config, max_sessions);
        }
        Engine::with_desk_routing(config, max_sessions, desk)
    }

    /// The engine with the multi-queue structures, whatever the desk (tests force a pooled
    /// desk through them with it).
    fn with_desk_routing(config: EngineConfig, max_sessions: &[u32], desk: &Desk) -> Engine {
        let mut engine = Engine::new(config, max_sessions);
        engine.desk = Some(Box::new(DeskRouting::new(config.rule, max_sessions, desk)));
        engine.plain = false;
        engine.quiet = false;
        engine
    }

    /// S3 for a desk of queues: a customer of `queue` asks for a session. As
    /// [`Engine::handle_session_request`], which is this for `QueueId(0)`. A queue the
    /// desk does not have is `UnknownQueue` (the state is unchanged).
    pub fn handle_session_request_in(
        &mut self,
        now: SimTime,
        queue: QueueId,
        draw: u64,
    ) -> Result<SessionId, EngineError> {
        if self.desk.is_some() {
            return self.request_in_desk(now, queue, draw);
        }
        if queue != QueueId(0) {
            return Err(EngineError::UnknownQueue(queue));
        }
        self.handle_session_request(now, draw)
    }

    /// For a driver whose sessions have no turns (the holding model: a session just lasts
    /// its time): the engine then keeps no turn state for a session connected at once on a
    /// desk without timers, so such a connection never touches the session's detail (a
    /// cache line apart). `handle_agent_reply` and `handle_customer_message` still work,
    /// but a reply's latency then counts from an unknown instant.
    pub fn without_conversations(mut self) -> Engine {
        self.conversations = false;
        self
    }

    // ----- inputs --------------------------------------------------------------------

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
    fn fire_due<S: Shape>(&mut self, now: SimTime) {
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

    // ----- outputs -------------------------------------------------------------------

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
    fn poll_timeout_armed(&mut self) -> Option<SimTime> {
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

    // ----- internal reactions --------------------------------------------------------

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
    fn earliest_stored<S: Shape>(&self) -> SimTime {
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

    fn agent_index(&self, agent: AgentId) -> Result<usize, EngineError> {
        if (agent.0 as usize) < self.agents.len() {
            Ok(agent.0 as usize)
        } else {
            Err(EngineError::UnknownAgent(agent))
        }
    }

    #[inline(always)]
    fn live_slot(&self, id: SessionId) -> Result<u32, EngineError> {
        live_session(session_at(&self.agents, &self.overflow, id.slot), id).map(|_| id.slot)
    }

    /// The agent of a connected session.
    #[inline(always)]
    fn connected(&self, id: SessionId) -> Result<u32, EngineError> {
        connected_agent(session_at(&self.agents, &self.overflow, id.slot), id)
    }

    /// S51/S52: sets who owes the next turn of connected session `id` (one lookup: the
    /// turn commands are the engine's most frequent).
    /// Returns whether a reply was owed before.
    #[inline(always)]
    fn set_reply_owed(&mut self, id: SessionId, owed: bool) -> Result<bool, EngineError> {
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
    fn touch(&mut self, a: usize) {
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
    fn session(&self, s: u32) -> &Session {
        session_at(&self.agents, &self.overflow, s).expect("an allocated slot")
    }

    #[inline(always)]
    fn session_mut(&mut self, s: u32) -> &mut Session {
        session_at_mut(&mut self.agents, &mut self.overflow, s).expect("an allocated slot")
    }

    /// A free slot for a new session: a home slot of `agent` (the agent it is about to
    /// be connected to) when one is free, else an overflow slot. Inlined: the base's
    /// build inlined it into the request, and out of line it cost ~30 instructions a call.
    #[inline(always)]
    fn alloc_slot(&mut self, agent: Option<u32>) -> u32 {
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
    fn end_session<S: Shape>(&mut self, id: SessionId, a: u32, reason: EndReason) {
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
    fn unplace(&mut self, a: usize) {
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
    fn pick_for_transfer(&mut self, s: u32, draw: u64) -> Option<u32> {
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

    /// Whether a reply is owed on live slot `s`: connected, by its link; waiting after a
    /// hand-back, as kept for its reconnection; a first wait owes nothing yet (the
    /// opening counts as sent at connection).
    fn owes_reply(&self, s: u32) -> bool {
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
    fn settle(&mut self, s: u32) -> u32 {
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
    fn note_earlier(&mut self, s: u32) {
        let detail = &mut self.details[s as usize];
        self.earlier.push((s, detail.turn_at));
        detail.earlier += 1;
    }

    /// Judges and removes slot `s`'s earlier unanswered messages (out of line: rare).
    #[cold]
    #[inline(never)]
    fn settle_earlier(&mut self, s: u32, now: SimTime) -> u32 {
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
    fn has_timers(&self) -> bool {
        self.timed
    }

    fn cancel_timer(&mut self, s: u32) {
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
    fn arm_reminder(&mut self, s: u32, from: SimTime) {
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
    fn resume_timer(&mut self, s: u32, owed: bool) {
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
    fn arm(&mut self, s: u32, kind: TimerKind, deadline: Option<SimTime>) {
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
    fn timer_is_live(&self, e: &TimerEntry) -> bool {
        is_live(&self.details, e)
    }

    fn live_front(&mut self, kind: TimerKind) -> Option<TimerEntry> {
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
    fn on_reminder_due(&mut self, entry: TimerEntry) {
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
fn exceeded(from: SimTime, interval: Millis) -> SimTime {
    from + interval + Millis::from_millis(1)
}

/// The missed-response rule (SPEC B.3), the engine's one definition of it: a customer
/// message sent at `sent` is missed at `at` when no reply came by then and `at` exceeds
/// `sent + reply_interval` (strictly: a reply at exactly `sent + reply_interval` is in
/// time, one 1 ms later is not). [`Reply::missed`] and the `missed` of
/// [`Event::Ended`] and [`Event::Abandoned`] apply it to each unanswered message; it is
/// public for a driver that judges messages the engine never saw (replay's rows after a
/// silence disconnect).
#[inline(always)]
pub fn is_missed(sent: SimTime, at: SimTime, reply_interval: Millis) -> bool {
    at > sent + reply_interval
}

/// Whether timer entry `e` is still armed: its epoch is its session's.
fn is_live(details: &[SessionDetail], e: &TimerEntry) -> bool {
    details[e.slot as usize].timer_epoch == e.epoch
}

/// The session in slot `s` (home slots first, then overflow), if the slot exists. A free
/// function so that closures can borrow the two stores beside other engine fields.
#[inline(always)]
fn session_at<'a>(agents: &'a [Agent], overflow: &'a [Session], s: u32) -> Option<&'a Session> {
    match agents.get((s >> HOME_SHIFT) as usize) {
        Some(agent) => agent.home.get((s & ((1 << HOME_SHIFT) - 1)) as usize),
        None => overflow.get((s - ((agents.len() as u32) << HOME_SHIFT)) as usize),
    }
}

#[inline(always)]
fn session_at_mut<'a>(
    agents: &'a mut [Agent],
    overflow: &'a mut [Session],
    s: u32,
) -> Option<&'a mut Session> {
    let homes = (agents.len() as u32) << HOME_SHIFT;
    match agents.get_mut((s >> HOME_SHIFT) as usize) {
        Some(agent) => agent.home.get_mut((s & ((1 << HOME_SHIFT) - 1)) as usize),
        None => overflow.get_mut((s - homes) as usize),
    }
}

/// The session found at `s`, if it still is session `id` (same generation, not freed).
#[inline(always)]
fn live_session(s: Option<&Session>, id: SessionId) -> Result<&Session, EngineError> {
    s.filter(|s| s.generation == id.generation && s.link != Link::FREE)
        .ok_or(EngineError::UnknownSession(id))
}

/// The agent of session `id`, found at `s`, if `s` still holds that session connected.
#[inline(always)]
fn connected_agent(s: Option<&Session>, id: SessionId) -> Result<u32, EngineError> {
    let link = live_session(s, id)?.link;
    link.agent().ok_or(EngineError::WrongSessionState(id))
}

fn is_waiting(agents: &[Agent], overflow: &[Session], id: SessionId) -> bool {
    live_session(session_at(agents, overflow, id.slot), id).is_ok_and(|s| s.link == Link::WAITING)
}
