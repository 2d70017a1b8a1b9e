//! The engine's records, laid out for large rosters (see the crate doc): an agent's
//! 64-byte cache line with its home session slots, a session's 8-byte slot and its
//! `u32` link, and the detail kept apart for timers and waits.

use crate::service_queue;
use crate::service_queue::{Placement, Places, QueuePlace};
use crate::time::SimTime;
use crate::{EngineError, SessionId};

/// No session (an empty slot place).
pub(crate) const NONE: u32 = u32::MAX;

/// Open-session places an agent keeps in its own record; agents with a larger cap keep
/// their list in `Engine::spilled`.
pub(crate) const INLINE_SLOTS: usize = 4;

/// Session slots stored in each agent's record (its home slots); three is what fits in
/// the agent's cache line.
pub(crate) const HOME_SLOTS: usize = 3;

/// Home slot `k` of agent `a` is slot number `a << HOME_SHIFT | k`: a power-of-two
/// stride, so that finding a session is a shift and a mask (`a << 2 | 3` is never used).
/// Overflow slots are numbered from `agents << HOME_SHIFT` on.
pub(crate) const HOME_SHIFT: u32 = 2;

/// One agent's state, as the method keeps it, in one aligned 64-byte cache line: with
/// 100 000 agents every close reads a random agent, and it should cost one line, its
/// queue place, open-session list and home sessions included.
#[derive(Clone, Debug)]
#[repr(align(64))]
pub(crate) struct Agent {
    /// The instant the rule breaks ties by inside a load level: the last assignment for
    /// the load rules, the last change of the session set or availability for longest
    /// idle (see [`Engine::touch`](crate::Engine::touch)).
    pub(crate) tie_time: SimTime,
    /// The agent's place in the service queue (the queue's own bookkeeping).
    pub(crate) queue: QueuePlace,
    /// Where this agent's open-session list starts in `Engine::spilled`, when
    /// `max > INLINE_SLOTS`.
    pub(crate) first: u32,
    pub(crate) max: u8,
    /// Service count: sessions held now.
    pub(crate) count: u8,
    pub(crate) online: bool,
    pub(crate) busy: bool,
    /// The open sessions' slots, oldest first, when `max <= INLINE_SLOTS`.
    pub(crate) inline: [u32; INLINE_SLOTS],
    /// Sessions stored here (see [`HOME_SLOTS`]); each may be free, or a session of this
    /// agent, or one handed back at log-out that now waits or is served by another agent.
    pub(crate) home: [Session; HOME_SLOTS],
}

impl Agent {
    pub(crate) fn eligible(&self) -> bool {
        self.online && !self.busy && self.count < self.max
    }

    pub(crate) fn placement(&self) -> Placement {
        Placement {
            count: self.count as u32,
            max: self.max as u32,
            tie_ms: self.tie_time.as_millis(),
        }
    }

    /// The open sessions' slots, oldest first.
    pub(crate) fn open<'a>(&'a self, spilled: &'a [u32]) -> &'a [u32] {
        let n = self.count as usize;
        if self.max as usize <= INLINE_SLOTS {
            &self.inline[..n]
        } else {
            &spilled[self.first as usize..][..n]
        }
    }

    /// All `max` places of the open-session list; the first `count` are in use.
    pub(crate) fn open_places<'a>(&'a mut self, spilled: &'a mut [u32]) -> &'a mut [u32] {
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
/// `inactive_after`, see [`switches`](crate::switches)): inactive, or counting but above the cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Link(pub(crate) u32);

impl Link {
    pub(crate) const FREE: Link = Link(u32::MAX);
    pub(crate) const WAITING: Link = Link(u32::MAX - 1);
    pub(crate) const REPLY_OWED: u32 = 1 << 31;
    /// Inactive: held by its agent but not counted (its customer has been silent).
    pub(crate) const INACTIVE: u32 = 1 << 30;
    /// Counted, but held beyond the agent's cap (reactivated over it).
    pub(crate) const OVER: u32 = 1 << 29;
    pub(crate) const AGENT: u32 = (1 << service_queue::INDEX_BITS) - 1;

    pub(crate) fn connected(agent: u32, reply_owed: bool) -> Link {
        Link(agent | if reply_owed { Link::REPLY_OWED } else { 0 })
    }

    /// The agent of a connected session.
    pub(crate) fn agent(self) -> Option<u32> {
        (self.0 < Link::WAITING.0).then_some(self.0 & Link::AGENT)
    }

    pub(crate) fn reply_owed(self) -> bool {
        self.agent().is_some() && self.0 & Link::REPLY_OWED != 0
    }

    /// The same link with the reply-owed flag set to `owed` (the other flags kept).
    pub(crate) fn with_reply_owed(self, owed: bool) -> Link {
        Link(self.0 & !Link::REPLY_OWED | if owed { Link::REPLY_OWED } else { 0 })
    }

    /// Connected and held outside its agent's open-session list (inactive or over cap).
    pub(crate) fn parked(self) -> bool {
        self.agent().is_some() && self.0 & (Link::INACTIVE | Link::OVER) != 0
    }

    pub(crate) fn inactive(self) -> bool {
        self.agent().is_some() && self.0 & Link::INACTIVE != 0
    }

    pub(crate) fn over(self) -> bool {
        self.agent().is_some() && self.0 & Link::OVER != 0
    }
}

/// One session slot, as routing reads it: 8 bytes, so that three fit in an agent's
/// record beside its routing state.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Session {
    pub(crate) generation: u32,
    pub(crate) link: Link,
}

/// The rest of a session slot, apart so that routing on a desk without timers never
/// touches it for a session connected at once (except to keep the draw, under the random
/// rule).
#[derive(Clone, Debug, Default)]
pub(crate) struct SessionDetail {
    /// Start of the current wait (request, or hand-back); written only when the session
    /// waits, since an immediate connection waited zero.
    pub(crate) waiting_since: SimTime,
    /// The caller's random draw, kept for the `Random` rule (a waiting or handed-back
    /// session is routed later).
    pub(crate) draw: u64,
    /// S51/S52: the instant of the last turn: the customer's last message while the
    /// agent owes a reply (the opening message counts as sent at connection), else the
    /// agent's last reply. Reply latency, the late-reply verdict and the timers of a
    /// handed-back session are measured from it.
    pub(crate) turn_at: SimTime,
    /// Bumped at every arm or cancel; a timer entry is live iff its epoch matches.
    pub(crate) timer_epoch: u32,
    /// Reminders sent for the reply owed now.
    pub(crate) reminders: u32,
    /// The session was handed back at log-out and has a conversation to resume: at its
    /// next connection the turn state below is restored instead of a fresh opening.
    pub(crate) resume: bool,
    /// While waiting after a hand-back: whether the agent owes a reply (S53).
    pub(crate) owed: bool,
    /// A reminder is armed (an overlooked message can wait for it).
    pub(crate) reminder_armed: bool,
    /// The customer messages not answered yet, the opening included, are the newest one,
    /// sent at `turn_at` while a reply is owed, and `earlier` more listed in
    /// `Engine::earlier` (a customer who wrote again before the reply; kept only with a
    /// reply interval). Judged by [`is_missed`](crate::is_missed) at the reply or the session's end.
    pub(crate) earlier: u32,
}

/// The session in slot `s` (home slots first, then overflow), if the slot exists. A free
/// function so that closures can borrow the two stores beside other engine fields.
#[inline(always)]
pub(crate) fn session_at<'a>(
    agents: &'a [Agent],
    overflow: &'a [Session],
    s: u32,
) -> Option<&'a Session> {
    match agents.get((s >> HOME_SHIFT) as usize) {
        Some(agent) => agent.home.get((s & ((1 << HOME_SHIFT) - 1)) as usize),
        None => overflow.get((s - ((agents.len() as u32) << HOME_SHIFT)) as usize),
    }
}

#[inline(always)]
pub(crate) fn session_at_mut<'a>(
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
pub(crate) fn live_session(s: Option<&Session>, id: SessionId) -> Result<&Session, EngineError> {
    s.filter(|s| s.generation == id.generation && s.link != Link::FREE)
        .ok_or(EngineError::UnknownSession(id))
}

/// The agent of session `id`, found at `s`, if `s` still holds that session connected.
#[inline(always)]
pub(crate) fn connected_agent(s: Option<&Session>, id: SessionId) -> Result<u32, EngineError> {
    let link = live_session(s, id)?.link;
    link.agent().ok_or(EngineError::WrongSessionState(id))
}

pub(crate) fn is_waiting(agents: &[Agent], overflow: &[Session], id: SessionId) -> bool {
    live_session(session_at(agents, overflow, id.slot), id).is_ok_and(|s| s.link == Link::WAITING)
}
