//! The service queue (S3, S8, claim 5): the eligible agents, ordered by the distribution
//! rule, so that a pick never scans agents.
//!
//! Three shapes cover the seven rules:
//! - [`LevelQueue`] for the ordered rules (least loaded, lowest load ratio, longest idle,
//!   fill-first, most spare): agents are bucketed by a small integer *level* (their
//!   service count, the rank of count/max, top − 1 − count for fill-first, top − spare
//!   for most spare, where top is the roster's largest cap), and inside a level ordered
//!   by a `u64` key (last assignment or last change time, then id). A bitmask finds the lowest non-empty level in O(levels/64).
//!   Inside a level, an agent whose key is not below the level's newest key is appended to
//!   a sorted run (O(1): a connect always stamps `now`, so this is the common case); any
//!   other goes into a small binary heap. Removal is lazy: an agent's tag changes, and its
//!   stale entry is dropped when it reaches a head, or by compaction when stale entries
//!   outnumber live ones (amortised O(1)).
//! - [`EligibleSet`] (a Fenwick tree over agent ids) for round robin: rank of the last
//!   picked, then select the next, O(log agents).
//! - [`EligibleList`] (the eligible agents in an array) for random: the caller's draw
//!   indexes it, O(1); a removal moves the last agent into the hole.
//! - [`SingleChatHeap`] for the ordered rules when every agent's cap is 1 (a desk of
//!   single-chat agents, the holding model's usual plan): an eligible agent then always has
//!   count 0, so all five rules keep one level ordered by the same key, and a binary heap
//!   of the eligible agents with each agent's index in it gives the same pick with eager
//!   removal: no stale entries, levels or bitmask to walk (issue 19: the level queue cost
//!   ~260 instructions per customer on M/M/100+M, mostly its lazy heap's pops).
//!
//! Each agent's own place ([`QueuePlace`]: its tag and level) lives in the engine's agent
//! record, reached through [`Places`]: with 100 000 agents, re-queuing the agent a close
//! has just read then costs no further cache miss.

use super::types::RoutingRule;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Bits of an ordering key given to the agent index (up to 4 194 304 agents); the rest
/// holds a time in milliseconds (up to 139 years).
pub(crate) const INDEX_BITS: u32 = 22;
/// The largest roster the engine accepts.
pub const MAX_AGENTS: usize = 1 << INDEX_BITS;

/// One agent's place in the service queue, kept in the engine's agent record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct QueuePlace {
    /// Bit 0: the agent is queued. Above it, for the level-queue rules a version (a
    /// stored entry is live iff its tag equals this), for the random rule the agent's
    /// index in the [`EligibleList`]; unused for round robin.
    tag: u32,
    /// The agent's level while queued (level-queue rules only).
    level: u16,
}

impl QueuePlace {
    #[inline(always)]
    pub(crate) fn queued(&self) -> bool {
        self.tag & 1 == 1
    }
}

/// Where the queue finds each agent's [`QueuePlace`]: the engine's agent records, or a
/// plain slice in tests.
pub(crate) trait Places {
    fn place(&self, agent: u32) -> &QueuePlace;
    fn place_mut(&mut self, agent: u32) -> &mut QueuePlace;
}

impl Places for [QueuePlace] {
    fn place(&self, agent: u32) -> &QueuePlace {
        &self[agent as usize]
    }
    fn place_mut(&mut self, agent: u32) -> &mut QueuePlace {
        &mut self[agent as usize]
    }
}

/// One queued agent: ordered by `key`, then by `tag` so stale duplicates order stably.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    key: u64,
    tag: u32,
    agent: u32,
}

/// The agents of one level: a sorted run plus a heap for out-of-order inserts.
#[derive(Debug, Default)]
struct Level {
    run: VecDeque<Entry>,
    heap: BinaryHeap<Reverse<Entry>>,
    live: u32,
}

impl Level {
    fn push(&mut self, e: Entry) {
        match self.run.back() {
            Some(last) if last.key > e.key => self.heap.push(Reverse(e)),
            _ => self.run.push_back(e),
        }
        self.live += 1;
    }

    fn stored(&self) -> usize {
        self.run.len() + self.heap.len()
    }

    /// Drops stale entries at both heads and returns the smallest live entry.
    fn peek<P: Places + ?Sized>(&mut self, places: &P) -> Option<Entry> {
        while let Some(e) = self.run.front() {
            if places.place(e.agent).tag == e.tag {
                break;
            }
            self.run.pop_front();
        }
        while let Some(Reverse(e)) = self.heap.peek() {
            if places.place(e.agent).tag == e.tag {
                break;
            }
            self.heap.pop();
        }
        match (self.run.front(), self.heap.peek()) {
            (Some(a), Some(Reverse(b))) => Some(*a.min(b)),
            (Some(a), None) => Some(*a),
            (None, Some(Reverse(b))) => Some(*b),
            (None, None) => None,
        }
    }

    /// Rebuilds without stale entries; the run stays sorted, the heap is re-heapified.
    fn compact<P: Places + ?Sized>(&mut self, places: &P) {
        self.run.retain(|e| places.place(e.agent).tag == e.tag);
        let mut v = std::mem::take(&mut self.heap).into_vec();
        v.retain(|Reverse(e)| places.place(e.agent).tag == e.tag);
        self.heap = BinaryHeap::from(v);
    }
}

/// Agents bucketed by level and ordered by key inside a level.
#[derive(Debug)]
pub(crate) struct LevelQueue {
    levels: Vec<Level>,
    /// Bit `l` set when level `l` has a live agent.
    nonempty: Vec<u64>,
}

impl LevelQueue {
    fn new(levels: usize) -> LevelQueue {
        LevelQueue {
            levels: (0..levels).map(|_| Level::default()).collect(),
            nonempty: vec![0; levels.div_ceil(64)],
        }
    }

    fn insert<P: Places + ?Sized>(&mut self, places: &mut P, agent: u32, level: u16, key: u64) {
        let slot = places.place_mut(agent);
        debug_assert!(!slot.queued());
        slot.tag |= 1;
        slot.level = level;
        let tag = slot.tag;
        let l = level as usize;
        self.levels[l].push(Entry { key, tag, agent });
        self.nonempty[l / 64] |= 1 << (l % 64);
    }

    fn remove<P: Places + ?Sized>(&mut self, places: &mut P, agent: u32) {
        let slot = places.place_mut(agent);
        if !slot.queued() {
            return;
        }
        // New version, not queued: every stored entry of this agent is now stale.
        slot.tag = (slot.tag | 1).wrapping_add(1);
        let l = slot.level as usize;
        let level = &mut self.levels[l];
        level.live -= 1;
        if level.live == 0 {
            self.nonempty[l / 64] &= !(1 << (l % 64));
            level.run.clear();
            level.heap.clear();
        } else if level.stored() > 2 * level.live as usize + 64 {
            level.compact(places);
        }
    }

    fn peek<P: Places + ?Sized>(&mut self, places: &P) -> Option<u32> {
        let word = self.nonempty.iter().position(|&w| w != 0)?;
        let l = word * 64 + self.nonempty[word].trailing_zeros() as usize;
        self.levels[l].peek(places).map(|e| e.agent)
    }
}

/// The eligible agents as a Fenwick tree of 0/1 over agent ids (membership itself is the
/// `queued` bit of each agent's [`QueuePlace`]).
#[derive(Debug)]
pub(crate) struct EligibleSet {
    tree: Vec<u32>,
    total: u32,
    /// The highest power of two ≤ n, for the select descent.
    top: usize,
}

impl EligibleSet {
    fn new(n: usize) -> EligibleSet {
        let top = if n == 0 {
            0
        } else {
            1 << (usize::BITS - 1 - n.leading_zeros())
        };
        EligibleSet {
            tree: vec![0; n + 1],
            total: 0,
            top,
        }
    }

    /// Adds agent `i` (`up`) or removes it; the caller keeps the membership bit.
    fn add(&mut self, i: usize, up: bool) {
        let mut j = i + 1;
        while j < self.tree.len() {
            if up {
                self.tree[j] += 1;
            } else {
                self.tree[j] -= 1;
            }
            j += j & j.wrapping_neg();
        }
        if up {
            self.total += 1;
        } else {
            self.total -= 1;
        }
    }

    /// Number of members with id ≤ i.
    fn rank_through(&self, i: usize) -> u32 {
        let mut j = i + 1;
        let mut sum = 0;
        while j > 0 {
            sum += self.tree[j];
            j &= j - 1;
        }
        sum
    }

    /// The member with exactly `k` members before it (0-based); `k < total`.
    fn select(&self, mut k: u32) -> u32 {
        let mut pos = 0;
        let mut step = self.top;
        while step > 0 {
            let next = pos + step;
            if next < self.tree.len() && self.tree[next] <= k {
                pos = next;
                k -= self.tree[next];
            }
            step >>= 1;
        }
        pos as u32
    }
}

/// The eligible agents in an array, in no particular order, for the random rule: a pick is
/// one load where a Fenwick descent would be ~17 dependent ones at 100 000 agents.
#[derive(Debug, Default)]
pub(crate) struct EligibleList {
    agents: Vec<u32>,
}

impl EligibleList {
    fn update<P: Places + ?Sized>(&mut self, places: &mut P, agent: u32, eligible: bool) {
        let place = places.place_mut(agent);
        if place.queued() == eligible {
            return;
        }
        if eligible {
            place.tag = (self.agents.len() as u32) << 1 | 1;
            self.agents.push(agent);
            return;
        }
        let at = (place.tag >> 1) as usize;
        place.tag = 0;
        let last = self.agents.pop().expect("a queued agent is listed");
        if last != agent {
            self.agents[at] = last;
            places.place_mut(last).tag = (at as u32) << 1 | 1;
        }
    }

    /// The listed agent a uniform `draw` falls on (multiply-shift: no division).
    fn pick(&self, draw: u64) -> Option<u32> {
        let k = (draw as u128 * self.agents.len() as u128) >> 64;
        self.agents.get(k as usize).copied()
    }
}

/// The eligible agents of a desk where every cap is 1, for the five ordered rules: a binary
/// min-heap of `(key, agent)` with each agent's index in it kept in its [`QueuePlace`]
/// (`tag = index << 1 | 1`), so that a removal is eager (the heap never holds a stale
/// entry). The key is the level queue's (`tie_ms << INDEX_BITS | id`, distinct per agent)
/// and the level is 0 for every rule (an eligible agent has count 0 of 1), so the root is
/// exactly the agent [`LevelQueue`] would pick, ties included.
#[derive(Debug, Default)]
pub(crate) struct SingleChatHeap {
    heap: Vec<(u64, u32)>,
}

impl SingleChatHeap {
    /// Places `agent` as [`ServiceQueue::update`] does, `key` being [`ordered_key`]'s.
    /// Inlined into the engine's `place`, which calls it directly on a single-chat desk:
    /// the general update's prologue and dispatch cost more than this (issue 19).
    #[inline(always)]
    pub(crate) fn update<P: Places + ?Sized>(
        &mut self,
        places: &mut P,
        agent: u32,
        eligible: bool,
        key: u64,
    ) {
        let place = places.place(agent);
        if place.queued() {
            let at = (place.tag >> 1) as usize;
            if eligible && self.heap[at].0 == key {
                return;
            }
            places.place_mut(agent).tag = 0;
            self.remove_at(places, at);
        }
        if eligible {
            self.push(places, (key, agent));
        }
    }

    /// Takes the entry at `at` out: the last entry fills the hole and moves to its place.
    fn remove_at<P: Places + ?Sized>(&mut self, places: &mut P, at: usize) {
        let Some(last) = self.heap.pop() else {
            return;
        };
        let heap = &mut self.heap[..];
        if at >= heap.len() {
            return;
        }
        if at > 0 && heap[(at - 1) / 2].0 > last.0 {
            sift_up(heap, places, at, last);
        } else {
            sift_down(heap, places, at, last);
        }
    }

    fn push<P: Places + ?Sized>(&mut self, places: &mut P, e: (u64, u32)) {
        self.heap.push(e);
        let at = self.heap.len() - 1;
        sift_up(&mut self.heap[..], places, at, e);
    }

    fn pick(&self) -> Option<u32> {
        self.heap.first().map(|&(_, agent)| agent)
    }
}

/// Puts `e` into the hole at `at` or above it, moving parents down; writes the index of
/// every entry it moves.
#[inline(always)]
fn sift_up<P: Places + ?Sized>(
    heap: &mut [(u64, u32)],
    places: &mut P,
    mut at: usize,
    e: (u64, u32),
) {
    while at > 0 {
        let parent = (at - 1) / 2;
        let p = heap[parent];
        if p.0 <= e.0 {
            break;
        }
        put(heap, places, at, p);
        at = parent;
    }
    put(heap, places, at, e);
}

/// Puts `e` into the hole at `at` or below it, moving the smaller child up; writes the
/// index of every entry it moves.
#[inline(always)]
fn sift_down<P: Places + ?Sized>(
    heap: &mut [(u64, u32)],
    places: &mut P,
    mut at: usize,
    e: (u64, u32),
) {
    loop {
        let left = 2 * at + 1;
        let Some(&l) = heap.get(left) else {
            break;
        };
        let (child, c) = match heap.get(left + 1) {
            Some(&r) if r.0 < l.0 => (left + 1, r),
            _ => (left, l),
        };
        if e.0 <= c.0 {
            break;
        }
        put(heap, places, at, c);
        at = child;
    }
    put(heap, places, at, e);
}

/// Puts `e` at index `at` of the heap and writes that index into its agent's place.
#[inline(always)]
fn put<P: Places + ?Sized>(heap: &mut [(u64, u32)], places: &mut P, at: usize, e: (u64, u32)) {
    heap[at] = e;
    places.place_mut(e.1).tag = (at as u32) << 1 | 1;
}

/// The key the ordered rules order agents by inside a level: the instant the rule breaks
/// ties by, then the agent's id (so keys are distinct).
#[inline(always)]
pub(crate) fn ordered_key(p: Placement, agent: u32) -> u64 {
    p.tie_ms << INDEX_BITS | agent as u64
}

/// What the service queue needs to know of an agent to place it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Placement {
    pub count: u32,
    pub max: u32,
    /// The instant (ms) the rule orders by inside a level: last assignment for the load
    /// rules' tie-break, last change of the session set or availability for longest idle.
    pub tie_ms: u64,
}

/// The service queue: the eligible agents, in the order the distribution rule gives.
#[derive(Debug)]
pub(crate) enum ServiceQueue {
    LeastLoaded(LevelQueue),
    LowestLoadRatio {
        queue: LevelQueue,
        rank: Vec<u16>,
    },
    LongestIdle(LevelQueue),
    RoundRobin {
        set: EligibleSet,
        last: Option<u32>,
    },
    Random(EligibleList),
    /// Any of the five ordered rules on a desk where every cap is 1 ([`SingleChatHeap`]).
    SingleChat(SingleChatHeap),
    /// Level `top − 1 − count`: the fullest eligible agent first.
    FillFirst {
        queue: LevelQueue,
        top: u32,
    },
    /// Level `top − (max − count)`: the most spare capacity first.
    MostSpare {
        queue: LevelQueue,
        top: u32,
    },
}

/// Rank-table width: index `max * RATIO_STRIDE + count`.
const RATIO_STRIDE: usize = 65;

impl ServiceQueue {
    /// An empty queue for `maxes.len()` agents with these session caps (each 1..=64): the
    /// single-chat heap for an ordered rule when every cap is 1, else [`ServiceQueue::general`].
    pub(crate) fn new(rule: RoutingRule, maxes: &[u32]) -> ServiceQueue {
        let ordered = !matches!(rule, RoutingRule::RoundRobin | RoutingRule::Random);
        if ordered && maxes.iter().all(|&m| m == 1) {
            return ServiceQueue::SingleChat(SingleChatHeap::default());
        }
        ServiceQueue::general(rule, maxes)
    }

    /// The rule's own structure whatever the caps (tests check the single-chat heap
    /// against it).
    pub(crate) fn general(rule: RoutingRule, maxes: &[u32]) -> ServiceQueue {
        let n = maxes.len();
        match rule {
            RoutingRule::LeastLoaded => {
                let top = maxes.iter().copied().max().unwrap_or(1) as usize;
                ServiceQueue::LeastLoaded(LevelQueue::new(top))
            }
            RoutingRule::LowestLoadRatio => {
                let rank = ratio_ranks(maxes);
                let levels = rank.iter().copied().max().unwrap_or(0) as usize + 1;
                ServiceQueue::LowestLoadRatio {
                    queue: LevelQueue::new(levels),
                    rank,
                }
            }
            RoutingRule::LongestIdle => ServiceQueue::LongestIdle(LevelQueue::new(1)),
            RoutingRule::RoundRobin => ServiceQueue::RoundRobin {
                set: EligibleSet::new(n),
                last: None,
            },
            RoutingRule::Random => ServiceQueue::Random(EligibleList::default()),
            RoutingRule::FillFirst | RoutingRule::MostSpare => {
                // An eligible agent has count < max ≤ top: both levels lie in 0..top.
                let top = maxes.iter().copied().max().unwrap_or(1);
                let queue = LevelQueue::new(top as usize);
                if rule == RoutingRule::FillFirst {
                    ServiceQueue::FillFirst { queue, top }
                } else {
                    ServiceQueue::MostSpare { queue, top }
                }
            }
        }
    }

    /// Places `agent` as its state now requires: queued at its place when eligible,
    /// absent otherwise (S2/S7/S8, S4, claim 5 all come through here).
    pub(crate) fn update<P: Places + ?Sized>(
        &mut self,
        places: &mut P,
        agent: u32,
        eligible: bool,
        p: Placement,
    ) {
        let id = agent as u64;
        match self {
            ServiceQueue::LeastLoaded(q) => {
                q.remove(places, agent);
                if eligible {
                    q.insert(places, agent, p.count as u16, p.tie_ms << INDEX_BITS | id);
                }
            }
            ServiceQueue::LowestLoadRatio { queue, rank } => {
                queue.remove(places, agent);
                if eligible {
                    let level = rank[p.max as usize * RATIO_STRIDE + p.count as usize];
                    queue.insert(places, agent, level, p.tie_ms << INDEX_BITS | id);
                }
            }
            ServiceQueue::LongestIdle(q) => {
                q.remove(places, agent);
                if eligible {
                    q.insert(places, agent, 0, p.tie_ms << INDEX_BITS | id);
                }
            }
            ServiceQueue::RoundRobin { set, .. } => {
                let place = places.place_mut(agent);
                if place.queued() != eligible {
                    place.tag ^= 1;
                    set.add(agent as usize, eligible);
                }
            }
            ServiceQueue::Random(list) => list.update(places, agent, eligible),
            ServiceQueue::SingleChat(heap) => {
                heap.update(places, agent, eligible, ordered_key(p, agent))
            }
            ServiceQueue::FillFirst { queue, top } => {
                queue.remove(places, agent);
                if eligible {
                    let level = (*top - 1 - p.count) as u16;
                    queue.insert(places, agent, level, p.tie_ms << INDEX_BITS | id);
                }
            }
            ServiceQueue::MostSpare { queue, top } => {
                queue.remove(places, agent);
                if eligible {
                    let level = (*top - (p.max - p.count)) as u16;
                    queue.insert(places, agent, level, p.tie_ms << INDEX_BITS | id);
                }
            }
        }
    }

    /// The agent the rule picks now, without removing it; `draw` is used by `Random`.
    pub(crate) fn pick<P: Places + ?Sized>(&mut self, places: &P, draw: u64) -> Option<u32> {
        match self {
            ServiceQueue::LeastLoaded(q) | ServiceQueue::LongestIdle(q) => q.peek(places),
            ServiceQueue::LowestLoadRatio { queue, .. }
            | ServiceQueue::FillFirst { queue, .. }
            | ServiceQueue::MostSpare { queue, .. } => queue.peek(places),
            ServiceQueue::RoundRobin { set, last } => {
                if set.total == 0 {
                    return None;
                }
                let after = last.map_or(0, |l| set.rank_through(l as usize));
                let k = if after < set.total { after } else { 0 };
                Some(set.select(k))
            }
            ServiceQueue::Random(list) => list.pick(draw),
            ServiceQueue::SingleChat(heap) => heap.pick(),
        }
    }

    /// Tells the queue that `agent` was just picked (round robin moves its pointer).
    pub(crate) fn on_picked(&mut self, agent: u32) {
        if let ServiceQueue::RoundRobin { last, .. } = self {
            *last = Some(agent);
        }
    }
}

/// Whether `agent` is in the service queue (for invariant checks).
pub(crate) fn is_queued<P: Places + ?Sized>(places: &P, agent: u32) -> bool {
    places.place(agent).queued()
}

impl ServiceQueue {
    /// Checks that the queue's own structure agrees with the agents' queued bits: each
    /// queued agent is held exactly once, where its place says, and nothing else is; the
    /// counters and bitmasks match. O(agents + stored entries); for tests and soaks.
    pub(crate) fn check<P: Places + ?Sized>(&self, places: &P, agents: u32) -> Result<(), String> {
        let queued = (0..agents).filter(|&a| places.place(a).queued()).count();
        match self {
            ServiceQueue::LeastLoaded(q)
            | ServiceQueue::LongestIdle(q)
            | ServiceQueue::LowestLoadRatio { queue: q, .. }
            | ServiceQueue::FillFirst { queue: q, .. }
            | ServiceQueue::MostSpare { queue: q, .. } => {
                let mut held = vec![false; agents as usize];
                for (l, lv) in q.levels.iter().enumerate() {
                    let entries = lv.run.iter().chain(lv.heap.iter().map(|Reverse(e)| e));
                    let mut live = 0;
                    for e in entries.filter(|e| places.place(e.agent).tag == e.tag) {
                        let place = places.place(e.agent);
                        if !place.queued() || place.level as usize != l {
                            return Err(format!(
                                "agent {}: live entry at level {l}, place {place:?}",
                                e.agent
                            ));
                        }
                        if std::mem::replace(&mut held[e.agent as usize], true) {
                            return Err(format!("agent {}: two live entries", e.agent));
                        }
                        live += 1;
                    }
                    if live != lv.live {
                        return Err(format!("level {l}: counts {} live, holds {live}", lv.live));
                    }
                    if (q.nonempty[l / 64] >> (l % 64) & 1 == 1) != (live > 0) {
                        return Err(format!("level {l}: non-empty bit wrong ({live} live)"));
                    }
                }
                let held = held.iter().filter(|&&h| h).count();
                if held != queued {
                    return Err(format!("{queued} agents queued, {held} held"));
                }
            }
            ServiceQueue::RoundRobin { set, .. } => {
                // Rebuild the tree from the bits (O(n)) and compare.
                let mut tree = vec![0u32; set.tree.len()];
                for a in 0..agents {
                    tree[a as usize + 1] = places.place(a).queued() as u32;
                }
                for j in 1..tree.len() {
                    let parent = j + (j & j.wrapping_neg());
                    if parent < tree.len() {
                        tree[parent] += tree[j];
                    }
                }
                if tree != set.tree || set.total as usize != queued {
                    return Err(format!(
                        "Fenwick tree disagrees with the {queued} queued bits"
                    ));
                }
            }
            ServiceQueue::SingleChat(heap) => {
                if heap.heap.len() != queued {
                    return Err(format!(
                        "{queued} agents queued, {} in the heap",
                        heap.heap.len()
                    ));
                }
                for (i, &(key, a)) in heap.heap.iter().enumerate() {
                    if places.place(a).tag != (i as u32) << 1 | 1 {
                        return Err(format!(
                            "agent {a} in the heap at {i}, place {:?}",
                            places.place(a)
                        ));
                    }
                    if i > 0 && heap.heap[(i - 1) / 2].0 > key {
                        return Err(format!("heap order broken at {i} (agent {a})"));
                    }
                }
            }
            ServiceQueue::Random(list) => {
                if list.agents.len() != queued {
                    return Err(format!(
                        "{queued} agents queued, {} listed",
                        list.agents.len()
                    ));
                }
                for (i, &a) in list.agents.iter().enumerate() {
                    if places.place(a).tag != (i as u32) << 1 | 1 {
                        return Err(format!(
                            "agent {a} listed at {i}, place {:?}",
                            places.place(a)
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Ranks every fraction count/max (max in the roster, count < max) in exact rational
/// order; equal fractions share a rank. Index: `max * RATIO_STRIDE + count`.
fn ratio_ranks(maxes: &[u32]) -> Vec<u16> {
    let mut present = [false; RATIO_STRIDE];
    for &m in maxes {
        present[m as usize] = true;
    }
    let mut fracs: Vec<(u32, u32)> = Vec::new();
    for (m, _) in present.iter().enumerate().filter(|(_, &p)| p) {
        for c in 0..m as u32 {
            fracs.push((c, m as u32));
        }
    }
    // c1/m1 < c2/m2  ⇔  c1·m2 < c2·m1 (all positive, exact in u64).
    fracs.sort_by(|a, b| (a.0 as u64 * b.1 as u64).cmp(&(b.0 as u64 * a.1 as u64)));
    let mut rank = vec![0u16; RATIO_STRIDE * RATIO_STRIDE];
    let mut r = 0u16;
    for (i, &(c, m)) in fracs.iter().enumerate() {
        if i > 0 {
            let (pc, pm) = fracs[i - 1];
            if pc as u64 * m as u64 != c as u64 * pm as u64 {
                r += 1;
            }
        }
        rank[m as usize * RATIO_STRIDE + c as usize] = r;
    }
    rank
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A queue with its own places, as the engine's agent records hold them.
    struct Desk {
        q: ServiceQueue,
        places: Vec<QueuePlace>,
    }

    impl Desk {
        fn new(rule: RoutingRule, maxes: &[u32]) -> Desk {
            Desk {
                q: ServiceQueue::new(rule, maxes),
                places: vec![QueuePlace::default(); maxes.len()],
            }
        }
        fn update(&mut self, agent: u32, eligible: bool, p: Placement) {
            self.q.update(&mut self.places[..], agent, eligible, p);
        }
        fn pick(&mut self, draw: u64) -> Option<u32> {
            self.q.pick(&self.places[..], draw)
        }
        fn on_picked(&mut self, agent: u32) {
            self.q.on_picked(agent)
        }
    }

    fn place(count: u32, max: u32, t: u64) -> Placement {
        Placement {
            count,
            max,
            tie_ms: t,
        }
    }

    #[test]
    fn least_loaded_prefers_lower_count_then_older_assignment_then_id() {
        let mut q = Desk::new(RoutingRule::LeastLoaded, &[3, 3, 3, 3]);
        q.update(0, true, place(1, 3, 5));
        q.update(1, true, place(0, 3, 9));
        q.update(2, true, place(0, 3, 7));
        q.update(3, true, place(0, 3, 7));
        assert_eq!(
            q.pick(0),
            Some(2),
            "count 0, assigned at 7, lower id than 3"
        );
        q.update(2, true, place(1, 3, 20));
        assert_eq!(q.pick(0), Some(3));
        q.update(3, false, place(0, 3, 7));
        assert_eq!(q.pick(0), Some(1));
        q.update(1, false, place(0, 3, 9));
        assert_eq!(
            q.pick(0),
            Some(0),
            "count 1 assigned at 5 beats count 1 at 20"
        );
    }

    #[test]
    fn lowest_load_ratio_orders_by_exact_fraction() {
        // Agent 0: 1/2 = 0.5; agent 1: 1/3 ≈ 0.33; agent 2: 2/4 = 0.5.
        let mut q = Desk::new(RoutingRule::LowestLoadRatio, &[2, 3, 4]);
        q.update(0, true, place(1, 2, 1));
        q.update(1, true, place(1, 3, 2));
        q.update(2, true, place(2, 4, 0));
        assert_eq!(q.pick(0), Some(1));
        q.update(1, false, place(1, 3, 2));
        assert_eq!(q.pick(0), Some(2), "equal ratio: older assignment wins");
    }

    #[test]
    fn fill_first_prefers_the_most_open_sessions_below_the_cap() {
        // Caps 3, 3, 5, 2; counts 1, 2, 2, 0. Level = top − 1 − count, top = 5.
        let mut q = Desk::new(RoutingRule::FillFirst, &[3, 3, 5, 2]);
        q.update(0, true, place(1, 3, 1));
        q.update(1, true, place(2, 3, 9));
        q.update(2, true, place(2, 5, 4));
        q.update(3, true, place(0, 2, 0));
        assert_eq!(q.pick(0), Some(2), "count 2 twice: assigned at 4 before 9");
        q.update(2, true, place(4, 5, 10));
        assert_eq!(q.pick(0), Some(2), "count 4 of 5 is the fullest with room");
        q.update(2, false, place(5, 5, 11));
        assert_eq!(q.pick(0), Some(1), "agent 2 full: the next fullest");
        q.update(1, false, place(3, 3, 12));
        assert_eq!(q.pick(0), Some(0));
        q.update(0, false, place(3, 3, 13));
        assert_eq!(q.pick(0), Some(3), "only the empty agent left");
    }

    #[test]
    fn most_spare_prefers_the_largest_spare_capacity() {
        // Caps 2, 4, 4, 6; counts 0, 1, 1, 4: spare 2, 3, 3, 2. Level = top − spare.
        let mut q = Desk::new(RoutingRule::MostSpare, &[2, 4, 4, 6]);
        q.update(0, true, place(0, 2, 0));
        q.update(1, true, place(1, 4, 8));
        q.update(2, true, place(1, 4, 3));
        q.update(3, true, place(4, 6, 1));
        assert_eq!(q.pick(0), Some(2), "spare 3 twice: assigned at 3 before 8");
        q.update(2, true, place(2, 4, 20));
        assert_eq!(q.pick(0), Some(1), "spare 3 beats 2");
        q.update(1, true, place(2, 4, 21));
        assert_eq!(
            q.pick(0),
            Some(0),
            "spare 2 four ways: agent 0 assigned longest ago (0), before 3 (1), 2, 1"
        );
        q.update(0, false, place(2, 2, 22));
        assert_eq!(q.pick(0), Some(3));
        // Where least loaded would take agent 0 (count 0 of 1), most spare takes agent 1
        // (count 2 of 6: spare 4).
        let mut q = Desk::new(RoutingRule::MostSpare, &[1, 6]);
        q.update(0, true, place(0, 1, 0));
        q.update(1, true, place(2, 6, 0));
        assert_eq!(q.pick(0), Some(1));
    }

    #[test]
    fn round_robin_rotates_by_id_and_wraps() {
        let mut q = Desk::new(RoutingRule::RoundRobin, &[1; 5]);
        for a in [1, 3, 4] {
            q.update(a, true, place(0, 1, 0));
        }
        let mut seen = vec![];
        for _ in 0..4 {
            let a = q.pick(0).unwrap();
            q.on_picked(a);
            seen.push(a);
        }
        assert_eq!(seen, [1, 3, 4, 1]);
    }

    #[test]
    fn random_maps_draws_onto_eligible_agents_uniformly() {
        let mut q = Desk::new(RoutingRule::Random, &[1; 8]);
        for a in [2, 5, 7] {
            q.update(a, true, place(0, 1, 0));
        }
        assert_eq!(q.pick(0), Some(2));
        assert_eq!(q.pick(u64::MAX / 2), Some(5));
        assert_eq!(q.pick(u64::MAX), Some(7));
        q.update(5, false, place(0, 1, 0));
        assert_eq!(q.pick(u64::MAX / 2 + 1), Some(7));
    }

    #[test]
    fn eligible_list_keeps_exactly_the_eligible_agents_and_their_indices() {
        let n = 50u32;
        let mut places = vec![QueuePlace::default(); n as usize];
        let mut list = EligibleList::default();
        let mut eligible = vec![false; n as usize];
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..5_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (a, on) = ((x % n as u64) as u32, x >> 63 == 1);
            list.update(&mut places[..], a, on);
            eligible[a as usize] = on;
            let mut listed = list.agents.clone();
            listed.sort_unstable();
            let want: Vec<u32> = (0..n).filter(|&i| eligible[i as usize]).collect();
            assert_eq!(listed, want);
            for (i, &b) in list.agents.iter().enumerate() {
                assert_eq!(places[b as usize].tag, (i as u32) << 1 | 1, "agent {b}");
            }
        }
        assert_eq!(list.pick(0), list.agents.first().copied());
        assert_eq!(list.pick(u64::MAX), list.agents.last().copied());
    }

    #[test]
    fn single_chat_heap_breaks_ties_by_assignment_time_then_id_for_every_ordered_rule() {
        // Caps all 1: each ordered rule gets the heap, and an eligible agent has count 0.
        // Tie times 5, 3, 3, 9: agents 1 and 2 tie at 3, the lower id (1) goes first;
        // then 2 (3), 0 (5), 3 (9). Worked by hand, one step at a time:
        for rule in [
            RoutingRule::LeastLoaded,
            RoutingRule::LowestLoadRatio,
            RoutingRule::LongestIdle,
            RoutingRule::FillFirst,
            RoutingRule::MostSpare,
        ] {
            let mut q = Desk::new(rule, &[1; 4]);
            assert!(matches!(q.q, ServiceQueue::SingleChat(_)), "{rule:?}");
            assert_eq!(q.pick(0), None, "{rule:?}: nobody eligible");
            for (a, t) in [(0, 5), (1, 3), (2, 3), (3, 9)] {
                q.update(a, true, place(0, 1, t));
            }
            let check = |q: &Desk| q.q.check(&q.places[..], 4).unwrap();
            check(&q);
            assert_eq!(q.pick(0), Some(1), "{rule:?}: 3 ties 3, id 1 < 2");
            // Agent 1 is connected (full, out), then freed with its new assignment at 20.
            q.update(1, false, place(1, 1, 20));
            check(&q);
            assert_eq!(q.pick(0), Some(2), "{rule:?}: 2 at 3 is now the oldest");
            q.update(1, true, place(0, 1, 20));
            check(&q);
            assert_eq!(q.pick(0), Some(2), "{rule:?}: 1 at 20 goes last");
            // Agent 0 (5) leaves from the middle; 2 (3), then 3 (9), then 1 (20).
            q.update(0, false, place(0, 1, 5));
            check(&q);
            q.update(2, false, place(1, 1, 21));
            assert_eq!(q.pick(0), Some(3), "{rule:?}");
            q.update(3, false, place(1, 1, 22));
            assert_eq!(q.pick(0), Some(1), "{rule:?}");
            // Agent 2 back at 21 and agent 0 back at 5: 0 (5) first, then 1 (20), 2 (21).
            q.update(2, true, place(0, 1, 21));
            q.update(0, true, place(0, 1, 5));
            check(&q);
            let mut order = vec![];
            while let Some(a) = q.pick(0) {
                order.push(a);
                q.update(a, false, place(1, 1, 30));
                check(&q);
            }
            assert_eq!(order, [0, 1, 2], "{rule:?}");
        }
        // A cap above 1 anywhere, or a rule without levels: the rule's own structure.
        assert!(matches!(
            ServiceQueue::new(RoutingRule::LeastLoaded, &[1, 2]),
            ServiceQueue::LeastLoaded(_)
        ));
        assert!(matches!(
            ServiceQueue::new(RoutingRule::RoundRobin, &[1, 1]),
            ServiceQueue::RoundRobin { .. }
        ));
        assert!(matches!(
            ServiceQueue::new(RoutingRule::Random, &[1, 1]),
            ServiceQueue::Random(_)
        ));
    }

    #[test]
    fn single_chat_heap_picks_as_the_level_queue_does_under_random_updates() {
        let n = 40u32;
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for rule in [
            RoutingRule::LeastLoaded,
            RoutingRule::LowestLoadRatio,
            RoutingRule::LongestIdle,
            RoutingRule::FillFirst,
            RoutingRule::MostSpare,
        ] {
            let maxes = vec![1; n as usize];
            let mut heap = Desk::new(rule, &maxes);
            let mut general = Desk {
                q: ServiceQueue::general(rule, &maxes),
                places: vec![QueuePlace::default(); n as usize],
            };
            assert!(matches!(heap.q, ServiceQueue::SingleChat(_)));
            for step in 0..20_000u64 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Tie times from a small range, so that ties (broken by id) are common.
                let (a, on, t) = (
                    (x % n as u64) as u32,
                    x >> 62 != 0,
                    (x >> 20) % 8 + step / 64,
                );
                let p = place(u32::from(!on), 1, t);
                heap.update(a, on, p);
                general.update(a, on, p);
                assert_eq!(heap.pick(0), general.pick(0), "{rule:?}, step {step}");
                heap.q.check(&heap.places[..], n).unwrap();
            }
        }
    }

    #[test]
    fn stale_entries_are_compacted_not_leaked() {
        let mut places = [QueuePlace::default(); 2];
        let mut q = LevelQueue::new(2);
        q.insert(&mut places[..], 0, 0, 0);
        for i in 0..10_000u64 {
            q.insert(&mut places[..], 1, 1, i);
            q.remove(&mut places[..], 1);
            q.insert(&mut places[..], 1, 0, i + 1);
            q.remove(&mut places[..], 1);
        }
        assert!(q.levels[0].stored() <= 2 * q.levels[0].live as usize + 65);
        assert_eq!(q.peek(&places[..]), Some(0));
    }
}
