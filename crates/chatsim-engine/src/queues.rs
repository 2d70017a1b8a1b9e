//! Queues and skills: routing on a desk that is not pooled ([`Desk`], docs/model.md,
//! "Queues and skills"). A pooled desk never builds any of this and keeps the engine's
//! one service queue and one FIFO.
//!
//! **Customers.** Each queue has its own FIFO [`WaitQueue`]; a session remembers its queue
//! (`slot_queue`). A queue's rings say who may serve its customer once it has waited
//! `after`: agents with a skill in `ring.skill` at `ring.min_level` or above. A ring opens
//! at exactly `after` (waited ≥ after), not 1 ms past it as the method's timers do: the
//! first ring, `after` 0, must be open at the request itself. A ring whose `after` is
//! [`Ring::NEVER`] never opens.
//!
//! **Agents.** One rule structure ([`ServiceQueue`], the pooled desk's) per (skill, level)
//! that occurs: a *pool*. Its members are numbered densely in id order, so round robin
//! rotates and the ordered rules break ties by agent id as on a pooled desk, and each pool
//! keeps its members' places ([`QueuePlace`]) in its own array, outside the agent record.
//! An agent with k skills is in k pools; a state change updates each, O(k log n).
//!
//! **A customer picks an agent** (a request, a ring opening, a hand-back): the open rings
//! in order, inside a ring its pools from the highest level down, inside a pool the
//! distribution rule. O(rings × levels × log agents), never a scan of agents.
//!
//! **An agent picks a customer** (it gains room: log-in, un-busy, a session ends). Each
//! distinct skill profile has, precomputed, the (queue, after) pairs its skills admit
//! (`after` of the first ring of that queue that admits it). Among those queues, the heads
//! that have waited that `after` compete: the highest priority now (priority +
//! aging_per_min × minutes waited) goes first, then the longest waiting, then the lowest
//! queue id. O(queues the profile admits), never a scan of all queues.
//!
//! *Why only heads matter.* A queue is FIFO, so its head has waited longest: it has every
//! ring open that any customer behind it has (rings open with waiting), and with ageing
//! ≥ 0 ([`Desk::check`]) the highest priority of its queue. If the head cannot take the
//! agent, nobody behind it can; and an agent picking among queues needs only each head.
//! *The exception* is a customer handed back at log-out: it goes to the head of its queue
//! with its wait starting again, so the customers behind it may have waited longer. The
//! engine therefore opens **every ring** of its queue for a handed-back customer at once
//! (the [`Ring::NEVER`] ones excepted): it was already in a chat and should not wait for
//! overflow timers again, and the head then still admits every agent anyone behind it
//! admits, so the argument holds. Hand-backs always sit in front of fresh customers (they
//! are pushed at the front), and its priority ages from the hand-back.
//!
//! **Ring openings.** Each queue has at most one pending wake-up: when its head (a fresh
//! customer) reaches its next ring's `after`. Wake-ups sit in one heap with lazy
//! invalidation (a per-queue epoch), folded into `poll_timeout`, `handle_timeout` and the
//! engine's `next_due`; at an instant they fire after the method's timers due then, and
//! before the commands of that instant. A firing connects the queue's head (and the next
//! ones) to agents of the newly open ring while it can, then arms the new head's next ring.
//!
//! Work conservation per queue (SPEC A): no customer waits while an eligible agent that
//! one of its open rings admits has room; [`Engine::check_invariants`] checks it for
//! every queue.

use super::records::{is_waiting, Link};
use super::service_queue::{Placement, QueuePlace, ServiceQueue};
use super::wait_queue::WaitQueue;
use super::Engine;
use crate::shape::{Full, Shape};
use crate::time::{Millis, SimTime};
use crate::types::{Desk, EngineError, Event, QueueId, Ring, RoutingRule, SessionId};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// The routing state of a desk that is not pooled.
#[derive(Debug)]
pub(crate) struct DeskRouting {
    queues: Vec<QueueState>,
    pools: Vec<Pool>,
    /// Agent `a`'s pools are `memberships[member_start[a]..member_start[a + 1]]`, each
    /// (pool, the agent's index among the pool's members).
    member_start: Vec<u32>,
    memberships: Vec<(u32, u32)>,
    /// Per agent: its skill profile, an index into `profiles`.
    profile_of: Vec<u32>,
    /// Per distinct skill profile: the (queue, after) pairs its skills admit, by queue.
    profiles: Vec<Vec<(u16, Millis)>>,
    /// Per session slot: the queue of the session in it (the last one, for a free slot).
    slot_queue: Vec<u16>,
    /// Ring openings: (instant, queue, epoch), live iff the epoch is the queue's.
    wakes: BinaryHeap<Reverse<(SimTime, u16, u32)>>,
    /// Agents that were placed eligible since the last drain: they may take customers.
    freed: Vec<u32>,
    /// Queues that got handed-back customers since the last drain.
    handed: Vec<u16>,
    /// Customers waiting in all queues.
    waiting_total: u32,
}

#[derive(Debug)]
struct QueueState {
    priority: f64,
    aging_per_min: f64,
    rings: Vec<RingPools>,
    waiting: WaitQueue,
    /// Bumped whenever the pending wake-up changes; a stored wake-up is live iff it matches.
    wake_epoch: u32,
    /// The pending wake-up's instant.
    armed: Option<SimTime>,
}

/// A ring with the pools it admits, highest level first.
#[derive(Debug)]
struct RingPools {
    after: Millis,
    pools: Vec<u32>,
}

/// The agents with one (skill, level), ordered by the distribution rule.
#[derive(Debug)]
struct Pool {
    skill: u16,
    level: u8,
    service: ServiceQueue,
    places: Vec<QueuePlace>,
    /// Agent ids, ascending; a member's index here is its id in `service`.
    members: Vec<u32>,
}

impl DeskRouting {
    /// The structures for `desk` (which [`Desk::check`] accepts), all agents logged out.
    pub(crate) fn new(rule: RoutingRule, max_sessions: &[u32], desk: &Desk) -> DeskRouting {
        let mut pool_of: BTreeMap<(u16, u8), u32> = BTreeMap::new();
        for s in desk.skills.iter().flatten() {
            pool_of.insert((s.queue.0, s.level), 0);
        }
        for (i, p) in pool_of.values_mut().enumerate() {
            *p = i as u32;
        }
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); pool_of.len()];
        let (mut member_start, mut memberships) = (vec![0u32], Vec::new());
        let mut profile_ids: BTreeMap<Vec<(u16, u8)>, u32> = BTreeMap::new();
        let (mut profiles, mut profile_of) = (Vec::new(), Vec::new());
        for skills in &desk.skills {
            for s in skills {
                let p = pool_of[&(s.queue.0, s.level)];
                memberships.push((p, members[p as usize].len() as u32));
                members[p as usize].push(member_start.len() as u32 - 1);
            }
            member_start.push(memberships.len() as u32);
            let mut key: Vec<(u16, u8)> = skills.iter().map(|s| (s.queue.0, s.level)).collect();
            key.sort_unstable();
            let next = profile_ids.len() as u32;
            let id = *profile_ids.entry(key).or_insert_with(|| {
                profiles.push(admitted(desk, skills));
                next
            });
            profile_of.push(id);
        }
        let pools = pool_of
            .keys()
            .zip(members)
            .map(|(&(skill, level), members)| {
                let maxes: Vec<u32> = members.iter().map(|&a| max_sessions[a as usize]).collect();
                Pool {
                    skill,
                    level,
                    service: ServiceQueue::new(rule, &maxes),
                    places: vec![QueuePlace::default(); members.len()],
                    members,
                }
            })
            .collect();
        let queues = desk
            .queues
            .iter()
            .map(|spec| QueueState {
                priority: spec.priority,
                aging_per_min: spec.aging_per_min,
                rings: spec
                    .rings
                    .iter()
                    .map(|r| RingPools {
                        after: r.after,
                        pools: pool_of
                            .range((r.skill.0, r.min_level)..=(r.skill.0, u8::MAX))
                            .rev()
                            .map(|(_, &p)| p)
                            .collect(),
                    })
                    .collect(),
                waiting: WaitQueue::default(),
                wake_epoch: 0,
                armed: None,
            })
            .collect();
        DeskRouting {
            queues,
            pools,
            member_start,
            memberships,
            profile_of,
            profiles,
            slot_queue: Vec::new(),
            wakes: BinaryHeap::new(),
            freed: Vec::new(),
            handed: Vec::new(),
            waiting_total: 0,
        }
    }

    pub(crate) fn queue_count(&self) -> usize {
        self.queues.len()
    }

    pub(crate) fn waiting_total(&self) -> u32 {
        self.waiting_total
    }

    pub(crate) fn waiting_in(&self, queue: QueueId) -> u32 {
        self.queues
            .get(queue.0 as usize)
            .map_or(0, |q| q.waiting.len())
    }

    pub(crate) fn queue_of(&self, slot: u32) -> QueueId {
        QueueId(self.slot_queue[slot as usize])
    }

    /// Entries held by the wait queues and the wake-up heap, live or stale.
    pub(crate) fn stored(&self) -> usize {
        self.wakes.len()
            + self
                .queues
                .iter()
                .map(|q| q.waiting.stored())
                .sum::<usize>()
    }

    /// The earliest stored wake-up, live or stale.
    pub(crate) fn earliest_wake(&self) -> SimTime {
        self.wakes.peek().map_or(SimTime::NEVER, |Reverse(w)| w.0)
    }

    /// The earliest live wake-up (stale ones before it are dropped).
    pub(crate) fn next_wake(&mut self) -> Option<SimTime> {
        while let Some(&Reverse((t, q, epoch))) = self.wakes.peek() {
            if self.queues[q as usize].wake_epoch == epoch {
                return Some(t);
            }
            self.wakes.pop();
        }
        None
    }

    /// Puts agent `a` where its state says in each of its pools; an eligible agent is
    /// noted as one that may take waiting customers at the next drain.
    pub(crate) fn place(&mut self, a: u32, eligible: bool, placement: Placement) {
        let range = self.member_start[a as usize]..self.member_start[a as usize + 1];
        for &(p, local) in &self.memberships[range.start as usize..range.end as usize] {
            let pool = &mut self.pools[p as usize];
            pool.service
                .update(&mut pool.places[..], local, eligible, placement);
        }
        if eligible {
            self.freed.push(a);
        }
    }

    /// A handed-back session goes to the head of its own queue.
    pub(crate) fn push_front(&mut self, id: SessionId) {
        let q = self.slot_queue[id.slot as usize];
        self.queues[q as usize].waiting.push_front(id);
        self.waiting_total += 1;
        if self.handed.last() != Some(&q) {
            self.handed.push(q);
        }
    }

    /// How many of queue `q`'s rings (a prefix: they are sorted) are open for a customer
    /// waiting since `since`, or handed back (`resume`: every ring but the never ones).
    fn open_rings(&self, q: usize, since: SimTime, now: SimTime, resume: bool) -> usize {
        let rings = &self.queues[q].rings;
        if resume {
            rings.partition_point(|r| r.after != Ring::NEVER)
        } else {
            let waited = now.saturating_since(since);
            rings.partition_point(|r| r.after <= waited && r.after != Ring::NEVER)
        }
    }

    /// The agent any ring of slot `s`'s queue gives its connected session (a transfer:
    /// it was served already, so it waits for no ring, as a hand-back); told it picked.
    pub(crate) fn pick_for_transfer(&mut self, s: u32, draw: u64) -> Option<u32> {
        let q = self.slot_queue[s as usize] as usize;
        let open = self.open_rings(q, SimTime::ZERO, SimTime::ZERO, true);
        self.pick(q, open, draw)
    }

    /// The agent the open rings (the first `open` of queue `q`) give a customer: rings in
    /// order, levels from the highest, the rule inside a level. Tells the pool it picked.
    fn pick(&mut self, q: usize, open: usize, draw: u64) -> Option<u32> {
        for ring in &self.queues[q].rings[..open] {
            for &p in &ring.pools {
                let pool = &mut self.pools[p as usize];
                if let Some(local) = pool.service.pick(draw) {
                    pool.service.on_picked(local);
                    return Some(pool.members[local as usize]);
                }
            }
        }
        None
    }
}

/// The (queue, after) pairs an agent with `skills` is admitted to: per queue, the first
/// ring (the earliest) whose skill the agent has at its minimum level or above.
fn admitted(desk: &Desk, skills: &[crate::types::Skill]) -> Vec<(u16, Millis)> {
    let mut out = Vec::new();
    for (q, spec) in desk.queues.iter().enumerate() {
        let ring = spec.rings.iter().find(|r| {
            r.after != Ring::NEVER
                && skills
                    .iter()
                    .any(|s| s.queue == r.skill && s.level >= r.min_level)
        });
        if let Some(r) = ring {
            out.push((q as u16, r.after));
        }
    }
    out
}

impl Engine {
    /// The desk of queues, if the engine may have one (the shape, [`crate::shape`]) and
    /// has.
    #[inline(always)]
    pub(crate) fn desk_in<S: Shape>(&mut self) -> Option<&mut DeskRouting> {
        if S::FULL {
            self.desk.as_deref_mut()
        } else {
            None
        }
    }

    /// Whether the engine routes through a desk of queues.
    #[inline(always)]
    pub(crate) fn has_desk<S: Shape>(&self) -> bool {
        S::FULL && self.desk.is_some()
    }

    fn desk_mut(&mut self) -> &mut DeskRouting {
        self.desk.as_deref_mut().expect("a desk of queues")
    }

    /// S3 on a desk of queues: connect at once if the customer's open rings give an agent
    /// and nobody waits in its queue (anyone waiting there has every ring the newcomer
    /// has open: see the module doc), else wait at the queue's tail.
    pub(crate) fn request_in_desk(
        &mut self,
        now: SimTime,
        queue: QueueId,
        draw: u64,
    ) -> Result<SessionId, EngineError> {
        let q = queue.0 as usize;
        if q >= self.desk_mut().queues.len() {
            return Err(EngineError::UnknownQueue(queue));
        }
        self.advance::<Full>(now)?;
        let desk = self.desk_mut();
        let picked = match desk.queues[q].waiting.len() {
            0 => {
                let open = desk.open_rings(q, now, now, false);
                desk.pick(q, open, draw)
            }
            _ => None,
        };
        let slot = self.alloc_slot(picked);
        let details = self.details.len();
        let desk = self.desk_mut();
        if desk.slot_queue.len() < details {
            desk.slot_queue.resize(details, 0);
        }
        desk.slot_queue[slot as usize] = queue.0;
        if self.config.rule == RoutingRule::Random {
            self.details[slot as usize].draw = draw;
        }
        if let Some(a) = picked {
            let id = self.connect::<Full>(slot, a, Millis::ZERO, false);
            // No other agent changed: nothing for a drain to look at.
            self.desk_mut().freed.clear();
            return Ok(id);
        }
        let session = self.session_mut(slot);
        session.link = Link::WAITING;
        let id = SessionId {
            slot,
            generation: session.generation,
        };
        let detail = &mut self.details[slot as usize];
        detail.waiting_since = now;
        detail.resume = false;
        let desk = self.desk_mut();
        desk.queues[q].waiting.push_back(id);
        desk.waiting_total += 1;
        let position = desk.queues[q].waiting.len();
        self.events.push_back(Event::Queued {
            session: id,
            position,
        });
        if position == 1 {
            self.rearm(q);
        }
        Ok(id)
    }

    /// A waiting session of a desk left (abandon; its slot is freed already).
    pub(crate) fn forget_waiting_in_desk(&mut self, slot: u32) {
        let (agents, overflow) = (&self.agents, &self.overflow);
        let desk = self.desk.as_deref_mut().expect("a desk of queues");
        let q = desk.slot_queue[slot as usize] as usize;
        desk.queues[q]
            .waiting
            .forget_one(|id| is_waiting(agents, overflow, id));
        desk.waiting_total -= 1;
        self.rearm(q);
    }

    /// Work conservation on a desk: queues that got hand-backs are served (customer picks
    /// agents), then every agent placed eligible since the last drain takes the heads it
    /// may serve (agent picks customers). Agents only lose room here, and a queue's new
    /// head admits no agent its old head did not, so one pass restores the invariant.
    pub(crate) fn drain_desk(&mut self) {
        loop {
            let desk = self.desk_mut();
            if let Some(q) = desk.handed.pop() {
                self.serve_queue(q as usize);
            } else if let Some(a) = desk.freed.pop() {
                self.fill_agent(a);
            } else {
                return;
            }
        }
    }

    /// Connects queue `q`'s heads while their open rings give an agent, then arms the
    /// new head's next ring.
    fn serve_queue(&mut self, q: usize) {
        while self.connect_head(q) {}
        self.rearm(q);
    }

    /// Agent `a` takes the most urgent head it may serve, while it has room.
    fn fill_agent(&mut self, a: u32) {
        while self.agents[a as usize].eligible() {
            let Some(q) = self.best_queue_for(a) else {
                return;
            };
            // The pick gives `a` itself: before `a` gained room no eligible agent was
            // admitted by a waiting head (the invariant), so `a` is the only one now.
            let connected = self.connect_head(q);
            self.rearm(q);
            if !connected {
                return;
            }
        }
    }

    /// Among the queues agent `a`'s profile admits, the one whose head has waited its
    /// ring's `after` and is most urgent: highest priority now, then longest waiting,
    /// then lowest queue id.
    fn best_queue_for(&mut self, a: u32) -> Option<usize> {
        let now = self.now;
        let (agents, overflow, details) = (&self.agents, &self.overflow, &self.details);
        let DeskRouting {
            queues,
            profiles,
            profile_of,
            ..
        } = self.desk.as_deref_mut().expect("a desk of queues");
        let mut best: Option<(usize, f64, SimTime)> = None;
        for &(q, after) in &profiles[profile_of[a as usize] as usize] {
            let queue = &mut queues[q as usize];
            let Some(head) = queue.waiting.front(|id| is_waiting(agents, overflow, id)) else {
                continue;
            };
            let detail = &details[head.slot as usize];
            let waited = now.saturating_since(detail.waiting_since);
            if !detail.resume && waited < after {
                continue;
            }
            let priority =
                queue.priority + queue.aging_per_min * (waited.as_millis() as f64 / 60_000.0);
            let since = detail.waiting_since;
            let better = match best {
                None => true,
                Some((_, p, s)) => priority > p || (priority == p && since < s),
            };
            if better {
                best = Some((q as usize, priority, since));
            }
        }
        best.map(|b| b.0)
    }

    /// Connects queue `q`'s head to the agent its open rings give, if any.
    fn connect_head(&mut self, q: usize) -> bool {
        let now = self.now;
        let (agents, overflow) = (&self.agents, &self.overflow);
        let desk = self.desk.as_deref_mut().expect("a desk of queues");
        let Some(head) = desk.queues[q]
            .waiting
            .front(|id| is_waiting(agents, overflow, id))
        else {
            return false;
        };
        let detail = &self.details[head.slot as usize];
        let open = desk.open_rings(q, detail.waiting_since, now, detail.resume);
        let Some(a) = desk.pick(q, open, detail.draw) else {
            return false;
        };
        let waited = now.saturating_since(detail.waiting_since);
        desk.queues[q]
            .waiting
            .pop_front(|id| is_waiting(agents, overflow, id));
        desk.waiting_total -= 1;
        self.connect::<Full>(head.slot, a, waited, true);
        true
    }

    /// Arms queue `q`'s one wake-up for its head's next ring (none for an empty queue, a
    /// handed-back head or a head whose rings are all open).
    fn rearm(&mut self, q: usize) {
        let now = self.now;
        let (agents, overflow, details) = (&self.agents, &self.overflow, &self.details);
        let DeskRouting { queues, wakes, .. } = self.desk.as_deref_mut().expect("a desk of queues");
        let queue = &mut queues[q];
        let head = queue.waiting.front(|id| is_waiting(agents, overflow, id));
        let at = head.and_then(|h| {
            let detail = &details[h.slot as usize];
            (!detail.resume)
                .then(|| next_opening(&queue.rings, detail.waiting_since, now))
                .flatten()
        });
        if at == queue.armed {
            return;
        }
        queue.armed = at;
        queue.wake_epoch = queue.wake_epoch.wrapping_add(1);
        if let Some(t) = at {
            wakes.push(Reverse((t, q as u16, queue.wake_epoch)));
            if wakes.len() > 2 * queues.len() + 64 {
                wakes.retain(|Reverse((_, q, e))| queues[*q as usize].wake_epoch == *e);
            }
            self.next_due = self.next_due.min(t);
        }
    }

    /// Fires the ring openings due by `now`; says whether any did (its connections may
    /// have armed method timers due now, which the caller then fires).
    pub(crate) fn fire_ring_wakes(&mut self, now: SimTime) -> bool {
        let mut fired = false;
        loop {
            let desk = self.desk_mut();
            let Some(&Reverse((t, q, epoch))) = desk.wakes.peek() else {
                break;
            };
            if t > now {
                break;
            }
            desk.wakes.pop();
            let queue = &mut desk.queues[q as usize];
            if queue.wake_epoch != epoch {
                continue;
            }
            queue.armed = None;
            fired = true;
            self.stats.inputs += 1;
            self.serve_queue(q as usize);
        }
        if fired {
            self.drain_desk();
        }
        fired
    }

    /// The desk's part of [`Engine::check_invariants`]: per queue, the waiting count and
    /// work conservation (no eligible agent that a waiting customer's open rings admit);
    /// hand-backs in front of fresh customers; the head's wake-up armed at its next ring;
    /// per pool, the rule structure, and queued = eligible for every member.
    pub(crate) fn check_desk(&self) -> Result<(), String> {
        let desk = self.desk.as_deref().expect("a desk of queues");
        let homes = self.agents.iter().flat_map(|a| a.home.iter());
        let mut waiting = vec![0u32; desk.queues.len()];
        for (s, session) in homes.chain(&self.overflow).enumerate() {
            // Home slot numbers are `a << 2 | k` (k < 3), overflow ones follow.
            let n = self.agents.len() * 3;
            let slot = if s < n {
                (s / 3) << 2 | (s % 3)
            } else {
                (self.agents.len() << 2) + (s - n)
            };
            if session.link == Link::WAITING {
                match desk.slot_queue.get(slot) {
                    Some(&q) if (q as usize) < waiting.len() => waiting[q as usize] += 1,
                    q => return Err(format!("waiting slot {slot} has queue {q:?}")),
                }
            }
        }
        if waiting.iter().sum::<u32>() != desk.waiting_total {
            return Err(format!(
                "{waiting:?} waiting per queue, total counted {}",
                desk.waiting_total
            ));
        }
        for (p, pool) in desk.pools.iter().enumerate() {
            pool.service
                .check(&pool.places[..], pool.members.len() as u32)
                .map_err(|e| {
                    format!("pool {p} (skill {} level {}): {e}", pool.skill, pool.level)
                })?;
            for (local, &a) in pool.members.iter().enumerate() {
                let queued = super::service_queue::is_queued(&pool.places[..], local as u32);
                let eligible = self.agents[a as usize].eligible();
                if queued != eligible {
                    return Err(format!(
                        "agent {a} in pool {p}: queued={queued} but eligible={eligible}"
                    ));
                }
            }
        }
        for (a, w) in desk.member_start.windows(2).enumerate() {
            for &(p, local) in &desk.memberships[w[0] as usize..w[1] as usize] {
                if desk.pools[p as usize].members[local as usize] != a as u32 {
                    return Err(format!(
                        "agent {a}: membership of pool {p} at {local} is wrong"
                    ));
                }
            }
        }
        let now = self.now;
        for (q, queue) in desk.queues.iter().enumerate() {
            if queue.waiting.len() != waiting[q] {
                return Err(format!(
                    "queue {q}: {} sessions waiting, its wait queue counts {}",
                    waiting[q],
                    queue.waiting.len()
                ));
            }
            let live: Vec<SessionId> = queue
                .waiting
                .iter()
                .copied()
                .filter(|&id| is_waiting(&self.agents, &self.overflow, id))
                .collect();
            let mut open = 0;
            let mut fresh_seen = false;
            for id in &live {
                let detail = &self.details[id.slot as usize];
                if detail.resume && fresh_seen {
                    return Err(format!(
                        "queue {q}: handed-back {id:?} behind a fresh customer"
                    ));
                }
                fresh_seen |= !detail.resume;
                open = open.max(desk.open_rings(q, detail.waiting_since, now, detail.resume));
            }
            for (r, ring) in queue.rings[..open].iter().enumerate() {
                for &p in &ring.pools {
                    let pool = &desk.pools[p as usize];
                    if let Some(&a) = pool
                        .members
                        .iter()
                        .find(|&&a| self.agents[a as usize].eligible())
                    {
                        return Err(format!(
                            "queue {q}: {} customers wait while agent {a} (ring {r}) has room",
                            live.len()
                        ));
                    }
                }
            }
            let want = live.first().and_then(|h| {
                let detail = &self.details[h.slot as usize];
                (!detail.resume)
                    .then(|| next_opening(&queue.rings, detail.waiting_since, now))
                    .flatten()
            });
            if queue.armed != want {
                return Err(format!(
                    "queue {q}: wake-up armed at {:?}, its head's next ring opens at {want:?}",
                    queue.armed
                ));
            }
            if let Some(t) = want {
                let stored = desk
                    .wakes
                    .iter()
                    .any(|Reverse(w)| *w == (t, q as u16, queue.wake_epoch));
                if !stored {
                    return Err(format!("queue {q}: wake-up at {t} is not stored"));
                }
            }
        }
        Ok(())
    }
}

/// The instant the next ring of a head waiting since `since` opens, if any opens later.
fn next_opening(rings: &[RingPools], since: SimTime, now: SimTime) -> Option<SimTime> {
    let waited = now.saturating_since(since);
    let ring = rings.iter().find(|r| r.after > waited)?;
    (ring.after != Ring::NEVER)
        .then(|| since + ring.after)
        .filter(|&t| t != SimTime::NEVER)
}
