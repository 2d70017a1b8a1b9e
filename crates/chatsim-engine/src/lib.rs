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
//!
//! # Where things are
//!
//! ```text
//!   driver ── handle_*(now, …) ──▶ commands ──▶ lifecycle ◀──▶ turns
//!                                                  │             │
//!                                  service_queue, wait_queue    timers
//!   driver ◀── poll_event, poll_timeout, views ── queries ◀── event_buffer
//! ```
//!
//! - `lib.rs`: the [`Engine`] and its construction; `types` the public vocabulary.
//! - `commands`: one `handle_*` per input, each run for the engine's [shape].
//! - `lifecycle`: what every command shares: the clock, an agent's place in the service
//!   queue, a session's slot, connection, end, hand-over and hand-back, the wait queue.
//! - `turns`: the reply owed, the missed-response rule, reminders and disconnects.
//! - `queries`: the events and wake-up a driver polls, read-only views, the invariants.
//! - `records`: the agent, session and detail layouts above.
//! - `queues` (a desk of several queues), `switches` (the product switches), `shape`
//!   (plain or full code), `service_queue`, `wait_queue`, `timers`, `event_buffer`: the
//!   structures.

pub mod time;

mod commands;
mod event_buffer;
mod lifecycle;
mod queries;
mod queues;
mod records;
mod service_queue;
mod shape;
mod switches;
mod timers;
mod turns;
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
pub use turns::is_missed;
pub use types::*;

use crate::time::SimTime;
use event_buffer::EventBuffer;
use queues::DeskRouting;
use records::{Agent, Link, Session, SessionDetail, HOME_SHIFT, HOME_SLOTS, INLINE_SLOTS, NONE};
use service_queue::{QueuePlace, ServiceQueue};
use switches::SwitchState;
use timers::TimerQueue;
use wait_queue::WaitQueue;

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
}
