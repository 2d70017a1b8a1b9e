//! The one channel from the simulator to the metrics: every figure of a run is built from
//! these calls, streamed as they happen (no per-customer record is kept).
//!
//! The simulator is generic over `O: Observer`, so a call is static dispatch and the bare
//! benchmark ([`NullObserver`]) compiles to nothing. Every call carries `now`; the
//! observer itself decides what falls in the warm-up and is ignored.
//!
//! The calls about one chat's customer side carry `queue`: the queue the chat was
//! offered to (its segment's), even when an overflow agent of another skill serves it,
//! so every chat counts in one queue from its arrival to its end.

use crate::engine::{AgentId, QueueId};
use crate::time::{Millis, SimTime};

/// Why a session ended by silence was, or was not, a loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisconnectKind {
    /// The customer would have written again had the session stayed open.
    Premature,
    /// The customer had gone silent for good: the timer reclaimed a dead slot.
    Ghost,
}

/// One step of one chat's story, for the chat log of a run (`chatsim run --event-log`,
/// written in `replay`'s log format). The metrics never need it: they count, the log
/// tells each chat apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChatEvent {
    /// The customer asked for a chat (arrived and was offered).
    Request,
    /// The chat was connected to `agent`: its first connection, or a later one after a
    /// hand-back at log-off.
    Connect(AgentId),
    /// The customer gave up waiting before any connection.
    Abandon,
    /// The customer wrote (not the opening message: the request stands for it).
    CustomerMessage,
    /// `agent` replied.
    Reply(AgentId),
    /// The chat ended normally (the customer closed it, or its holding time ran out).
    Close(AgentId),
    /// The desk ended the chat for customer silence (the message interval).
    Disconnect(AgentId),
}

/// Receives the simulation's events in time order.
pub trait Observer {
    /// A customer asked for a session (offered), of segment `segment`.
    fn on_offered(&mut self, _now: SimTime, _segment: u16) {}
    /// A customer of `queue` who arrived at `arrived` was connected to `agent` at `now`.
    fn on_connected(&mut self, _now: SimTime, _arrived: SimTime, _agent: AgentId, _queue: QueueId) {
    }
    /// A session handed back at log-off was connected again, to `agent`.
    fn on_reconnected(&mut self, _now: SimTime, _agent: AgentId) {}
    /// A customer of `queue` who arrived at `arrived` gave up waiting at `now`.
    fn on_abandoned(&mut self, _now: SimTime, _arrived: SimTime, _queue: QueueId) {}
    /// The number of customers waiting changed to `len`.
    fn on_queue_len(&mut self, _now: SimTime, _len: u32) {}
    /// `agent`'s service count changed to `sessions`.
    fn on_agent_sessions(&mut self, _now: SimTime, _agent: AgentId, _sessions: u32) {}
    /// `agent` logged in (`true`) or out (`false`).
    fn on_agent_online(&mut self, _now: SimTime, _agent: AgentId, _online: bool) {}
    /// `agent` set (`true`) or cleared (`false`) its busy flag.
    fn on_agent_busy(&mut self, _now: SimTime, _agent: AgentId, _busy: bool) {}
    /// `agent` replied to a customer message of a chat of `queue` sent `latency` ago;
    /// `missed` when the engine found it later than the reply interval (a missed response).
    fn on_reply(
        &mut self,
        _now: SimTime,
        _agent: AgentId,
        _latency: Millis,
        _missed: bool,
        _queue: QueueId,
    ) {
    }
    /// An idle reminder was sent to `agent`; `first_in_session` for the session's first.
    fn on_reminder(&mut self, _now: SimTime, _agent: AgentId, _first_in_session: bool) {}
    /// A session of a chat of `queue` was disconnected for customer silence after the
    /// slot had been held `held_silent` since the agent's last reply.
    fn on_disconnect(
        &mut self,
        _now: SimTime,
        _agent: AgentId,
        _kind: DisconnectKind,
        _held_silent: Millis,
        _queue: QueueId,
    ) {
    }
    /// A session ended normally (the customer closed it, or its holding time ran out).
    fn on_close(&mut self, _now: SimTime, _agent: AgentId) {}
    /// A session of `agent` was handed back to the wait queue at log-off.
    fn on_handed_back(&mut self, _now: SimTime, _agent: AgentId) {}
    /// A step of customer `customer`'s chat (its arrival number in the replication, from
    /// 1), in time order; steps of one instant come in the order they happened.
    fn on_chat(&mut self, _now: SimTime, _customer: u64, _event: ChatEvent) {}
    /// The replication ended at `now`; close every time integral. `events` is the number
    /// of simulation events processed and `routing_decisions` the engine's count.
    fn on_end(&mut self, _now: SimTime, _events: u64, _routing_decisions: u64) {}
}

/// Observes nothing: the bare simulation, for benchmarks.
#[derive(Clone, Copy, Debug, Default)]
pub struct NullObserver;

impl Observer for NullObserver {}
