//! The service queue (S3, S8, claim 5): the eligible agents, ordered by the distribution
//! rule, so that a pick never scans agents.
//!
//! Four shapes cover the seven rules, each removing an agent eagerly (no stale entry is
//! ever left to skip or compact) and keeping its per-agent bookkeeping in dense arrays of
//! its own, so that with 100 000 agents a removal that moves *other* agents touches a few
//! bytes of an array that stays in the L2 cache, never their 64-byte records (issue 19):
//! - [`LevelQueue`] for the ordered rules (least loaded, lowest load ratio, longest idle,
//!   fill-first, most spare): agents are bucketed by a small integer *level* (their
//!   service count, the rank of count/max, top − 1 − count for fill-first, top − spare
//!   for most spare, where top is the roster's largest cap), and inside a level ordered
//!   by a `u64` key (last assignment or last change time, then id). A bitmask finds the
//!   lowest non-empty level in O(levels/64). Inside a level, an agent whose key is above
//!   the level's newest is appended to a sorted run, a doubly linked list (O(1): a
//!   connect always stamps `now`, so this is the common case), one a few keys below it
//!   is linked in a few steps back; any other goes into a small binary heap that knows
//!   each member's index. Removal unlinks the agent or takes it out
//!   of the heap: O(1), or O(log heap).
//! - [`IdSet`] (a two-or-more-level bitset over agent ids) for round robin: the next
//!   member after the last picked is a masked word and a trailing-zero count, and the
//!   whole set of 100 000 agents is 12.5 KB.
//! - [`EligibleList`] (the eligible agents in an array) for random: the caller's draw
//!   indexes it, O(1); a removal moves the last agent into the hole.
//! - [`SingleChatHeap`] for the ordered rules when every agent's cap is 1 (a desk of
//!   single-chat agents, the holding model's usual plan): an eligible agent then always has
//!   count 0, so all five rules keep one level ordered by the same key, and a binary heap
//!   of the eligible agents with each agent's index in it gives the same pick with eager
//!   removal and no levels or bitmask to walk (issue 19).
//!
//! Each agent's own place ([`QueuePlace`]: queued or not, its level) lives in the engine's
//! agent record, reached through [`Places`]: the record the engine reads to place an
//! agent, so reading its place costs no further cache miss.

use super::types::RoutingRule;

/// Bits of an ordering key given to the agent index (up to 4 194 304 agents); the rest
/// holds a time in milliseconds (up to 139 years).
pub(crate) const INDEX_BITS: u32 = 22;
/// The largest roster the engine accepts.
pub const MAX_AGENTS: usize = 1 << INDEX_BITS;

/// No agent (an end of a run).
const NIL: u32 = u32::MAX;

/// [`QueuePlace::tag`] bit: the agent is queued.
const QUEUED: u32 = 1;
/// [`QueuePlace::tag`] bit (level queue): the agent is in its level's heap, not its run.
const IN_HEAP: u32 = 2;

/// One agent's place in the service queue, kept in the engine's agent record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct QueuePlace {
    /// Bit 0: the agent is queued. For the level-queue rules bit 1 says it is in its
    /// level's heap; for the single-chat heap the bits above bit 0 hold its index there.
    tag: u32,
    /// The agent's level while queued (level-queue rules only).
    level: u16,
}

impl QueuePlace {
    #[inline(always)]
    pub(crate) fn queued(&self) -> bool {
        self.tag & QUEUED == QUEUED
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

/// The agents of one level: a run sorted by key (a doubly linked list through
/// [`LevelQueue::nodes`]) plus a heap for the agents whose key came in well below the
/// run's newest.
#[derive(Debug)]
struct Level {
    head: u32,
    tail: u32,
    /// `(key, agent)`, a binary min-heap; each member's index is in its node's `prev`.
    heap: Vec<(u64, u32)>,
    live: u32,
}

impl Default for Level {
    fn default() -> Level {
        Level {
            head: NIL,
            tail: NIL,
            heap: Vec::new(),
            live: 0,
        }
    }
}

/// One agent's entry while queued in a [`LevelQueue`]: its key and its neighbours in its
/// level's run (or, in the heap, its index there in `prev`). 16 bytes, apart from the
/// agent records: a removal writes its two neighbours' entries, which are random agents.
#[derive(Clone, Copy, Debug)]
struct Node {
    key: u64,
    prev: u32,
    next: u32,
}

/// How many of a run's newest keys an insert may step back over to keep the run sorted
/// before it goes to the heap instead: keys stamped in the same millisecond arrive out of
/// id order (longest idle: a close and a connect each millisecond), one or two back.
const WALK: usize = 4;

/// Agents bucketed by level and ordered by key inside a level.
#[derive(Debug)]
pub(crate) struct LevelQueue {
    levels: Vec<Level>,
    /// Bit `l` set when level `l` has an agent.
    nonempty: Vec<u64>,
    /// Per agent, meaningful while it is queued.
    nodes: Vec<Node>,
}

impl LevelQueue {
    fn new(levels: usize, agents: usize) -> LevelQueue {
        LevelQueue {
            levels: (0..levels).map(|_| Level::default()).collect(),
            nonempty: vec![0; levels.div_ceil(64)],
            nodes: vec![
                Node {
                    key: 0,
                    prev: NIL,
                    next: NIL
                };
                agents
            ],
        }
    }

    #[inline(always)]
    fn insert<P: Places + ?Sized>(&mut self, places: &mut P, agent: u32, level: u16, key: u64) {
        let slot = places.place_mut(agent);
        debug_assert!(!slot.queued());
        slot.level = level;
        let l = level as usize;
        let lv = &mut self.levels[l];
        let tail = lv.tail;
        if tail != NIL && self.nodes[tail as usize].key > key {
            slot.tag = self.insert_back(l, agent, key);
            return self.count_in(l);
        }
        // Above the run's newest (the common case): appended.
        slot.tag = QUEUED;
        match tail {
            NIL => lv.head = agent,
            t => self.nodes[t as usize].next = agent,
        }
        lv.tail = agent;
        self.nodes[agent as usize] = Node {
            key,
            prev: tail,
            next: NIL,
        };
        self.count_in(l)
    }

    /// Inserts `agent` with a key below its run's newest: linked in after the run's last
    /// key below it if that is at most [`WALK`] steps back, else into the level's heap.
    /// Returns the agent's tag.
    #[inline(never)]
    fn insert_back(&mut self, l: usize, agent: u32, key: u64) -> u32 {
        let lv = &mut self.levels[l];
        let nodes = &mut self.nodes;
        let mut after = lv.tail;
        let mut steps = 0;
        while after != NIL && nodes[after as usize].key > key {
            if steps == WALK {
                nodes[agent as usize].key = key;
                heap_push(&mut lv.heap, (key, agent), |a, at| {
                    nodes[a as usize].prev = at as u32
                });
                return QUEUED | IN_HEAP;
            }
            after = nodes[after as usize].prev;
            steps += 1;
        }
        // `after` is not the tail: its successor is a node.
        let next = match after {
            NIL => std::mem::replace(&mut lv.head, agent),
            a => std::mem::replace(&mut nodes[a as usize].next, agent),
        };
        nodes[next as usize].prev = agent;
        nodes[agent as usize] = Node {
            key,
            prev: after,
            next,
        };
        QUEUED
    }

    /// One more agent in level `l`.
    #[inline(always)]
    fn count_in(&mut self, l: usize) {
        let lv = &mut self.levels[l];
        if lv.live == 0 {
            self.nonempty[l / 64] |= 1 << (l % 64);
        }
        lv.live += 1;
    }

    #[inline(always)]
    fn remove<P: Places + ?Sized>(&mut self, places: &mut P, agent: u32) {
        let slot = places.place_mut(agent);
        let tag = slot.tag;
        if tag & QUEUED == 0 {
            return;
        }
        slot.tag = 0;
        let l = slot.level as usize;
        let lv = &mut self.levels[l];
        let nodes = &mut self.nodes;
        let Node { prev, next, .. } = nodes[agent as usize];
        if tag & IN_HEAP != 0 {
            heap_remove_at(&mut lv.heap, prev as usize, |a, at| {
                nodes[a as usize].prev = at as u32
            });
        } else {
            match prev {
                NIL => lv.head = next,
                p => nodes[p as usize].next = next,
            }
            match next {
                NIL => lv.tail = prev,
                n => nodes[n as usize].prev = prev,
            }
        }
        lv.live -= 1;
        if lv.live == 0 {
            self.nonempty[l / 64] &= !(1 << (l % 64));
        }
    }

    #[inline(always)]
    fn peek(&self) -> Option<u32> {
        let word = self.nonempty.iter().position(|&w| w != 0)?;
        let l = word * 64 + self.nonempty[word].trailing_zeros() as usize;
        let lv = &self.levels[l];
        match lv.heap.first() {
            None => Some(lv.head),
            Some(&(key, agent)) if lv.head == NIL || key < self.nodes[lv.head as usize].key => {
                Some(agent)
            }
            Some(_) => Some(lv.head),
        }
    }
}

/// A set of agent ids as a bitset with a summary bitset above it (a bit per non-zero word
/// below), and so on up to a single word: the next member at or after an id is found in
/// O(log64 agents) words, usually one.
#[derive(Debug)]
pub(crate) struct IdSet {
    /// `levels[0]` has a bit per agent; `levels[k + 1]` a bit per word of `levels[k]`.
    levels: Vec<Vec<u64>>,
    total: u32,
}

impl IdSet {
    fn new(n: usize) -> IdSet {
        let mut levels = vec![vec![0u64; n.div_ceil(64).max(1)]];
        while levels.last().is_some_and(|l| l.len() > 1) {
            let words = levels.last().map_or(1, |l| l.len().div_ceil(64));
            levels.push(vec![0; words]);
        }
        IdSet { levels, total: 0 }
    }

    /// Adds agent `i` (`up`) or removes it; the caller keeps the membership bit.
    fn set(&mut self, i: usize, up: bool) {
        let mut i = i;
        for words in &mut self.levels {
            let (w, bit) = (i / 64, 1u64 << (i % 64));
            let was = words[w];
            let now = if up { was | bit } else { was & !bit };
            words[w] = now;
            // The summary above changes only when this word turns empty or non-empty.
            if (was == 0) == (now == 0) {
                break;
            }
            i = w;
        }
        if up {
            self.total += 1;
        } else {
            self.total -= 1;
        }
    }

    /// The smallest member ≥ `i`.
    fn next_from(&self, mut i: usize) -> Option<usize> {
        let mut level = 0;
        loop {
            let words = self.levels.get(level)?;
            let w = i / 64;
            let word = *words.get(w)?;
            let m = word & (!0u64 << (i % 64));
            if m != 0 {
                i = w * 64 + m.trailing_zeros() as usize;
                break;
            }
            // Nothing at or after `i` in this word: the next non-empty word, one level up.
            i = w + 1;
            level += 1;
        }
        while level > 0 {
            level -= 1;
            i = i * 64 + self.levels[level][i].trailing_zeros() as usize;
        }
        Some(i)
    }
}

/// The eligible agents in an array, in no particular order, for the random rule: a pick is
/// one load. Each agent's index in it is in a dense array of its own: a removal moves
/// the last agent into the hole and writes that agent's index there, not in its record.
#[derive(Debug, Default)]
pub(crate) struct EligibleList {
    agents: Vec<u32>,
    /// Per agent: its index in `agents` while listed.
    at: Vec<u32>,
}

impl EligibleList {
    fn new(n: usize) -> EligibleList {
        EligibleList {
            agents: Vec::new(),
            at: vec![NIL; n],
        }
    }

    fn update<P: Places + ?Sized>(&mut self, places: &mut P, agent: u32, eligible: bool) {
        let place = places.place_mut(agent);
        if place.queued() == eligible {
            return;
        }
        if eligible {
            place.tag = QUEUED;
            self.at[agent as usize] = self.agents.len() as u32;
            self.agents.push(agent);
            return;
        }
        place.tag = 0;
        let at = self.at[agent as usize] as usize;
        let last = self.agents.pop().expect("a queued agent is listed");
        if last != agent {
            self.agents[at] = last;
            self.at[last as usize] = at as u32;
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
            heap_remove_at(&mut self.heap, at, |a, at| {
                places.place_mut(a).tag = (at as u32) << 1 | 1
            });
        }
        if eligible {
            heap_push(&mut self.heap, (key, agent), |a, at| {
                places.place_mut(a).tag = (at as u32) << 1 | 1
            });
        }
    }

    fn pick(&self) -> Option<u32> {
        self.heap.first().map(|&(_, agent)| agent)
    }
}

/// Adds `e` to a binary min-heap of `(key, agent)`; `index(agent, at)` is told the index
/// of every entry it puts.
#[inline(always)]
fn heap_push(heap: &mut Vec<(u64, u32)>, e: (u64, u32), index: impl FnMut(u32, usize)) {
    heap.push(e);
    let at = heap.len() - 1;
    sift_up(&mut heap[..], at, e, index);
}

/// Takes the entry at `at` out of the heap: the last entry fills the hole and moves to
/// its place; `index` as for [`heap_push`].
#[inline(always)]
fn heap_remove_at(heap: &mut Vec<(u64, u32)>, at: usize, index: impl FnMut(u32, usize)) {
    let Some(last) = heap.pop() else {
        return;
    };
    let heap = &mut heap[..];
    if at >= heap.len() {
        return;
    }
    if at > 0 && heap[(at - 1) / 2].0 > last.0 {
        sift_up(heap, at, last, index);
    } else {
        sift_down(heap, at, last, index);
    }
}

/// Puts `e` into the hole at `at` or above it, moving parents down; tells `index` the
/// index of every entry it puts.
#[inline(always)]
fn sift_up(
    heap: &mut [(u64, u32)],
    mut at: usize,
    e: (u64, u32),
    mut index: impl FnMut(u32, usize),
) {
    while at > 0 {
        let parent = (at - 1) / 2;
        let p = heap[parent];
        if p.0 <= e.0 {
            break;
        }
        heap[at] = p;
        index(p.1, at);
        at = parent;
    }
    heap[at] = e;
    index(e.1, at);
}

/// Puts `e` into the hole at `at` or below it, moving the smaller child up; tells `index`
/// the index of every entry it puts.
#[inline(always)]
fn sift_down(
    heap: &mut [(u64, u32)],
    mut at: usize,
    e: (u64, u32),
    mut index: impl FnMut(u32, usize),
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
        heap[at] = c;
        index(c.1, at);
        at = child;
    }
    heap[at] = e;
    index(e.1, at);
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
        set: IdSet,
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
                ServiceQueue::LeastLoaded(LevelQueue::new(top, n))
            }
            RoutingRule::LowestLoadRatio => {
                let rank = ratio_ranks(maxes);
                let levels = rank.iter().copied().max().unwrap_or(0) as usize + 1;
                ServiceQueue::LowestLoadRatio {
                    queue: LevelQueue::new(levels, n),
                    rank,
                }
            }
            RoutingRule::LongestIdle => ServiceQueue::LongestIdle(LevelQueue::new(1, n)),
            RoutingRule::RoundRobin => ServiceQueue::RoundRobin {
                set: IdSet::new(n),
                last: None,
            },
            RoutingRule::Random => ServiceQueue::Random(EligibleList::new(n)),
            RoutingRule::FillFirst | RoutingRule::MostSpare => {
                // An eligible agent has count < max ≤ top: both levels lie in 0..top.
                let top = maxes.iter().copied().max().unwrap_or(1);
                let queue = LevelQueue::new(top as usize, n);
                if rule == RoutingRule::FillFirst {
                    ServiceQueue::FillFirst { queue, top }
                } else {
                    ServiceQueue::MostSpare { queue, top }
                }
            }
        }
    }

    /// Places `agent` as its state now requires: queued at its place when eligible,
    /// absent otherwise (S2/S7/S8, S4, claim 5 all come through here). Inlined: the
    /// engine places an agent twice per routed customer, and a call's prologue and the
    /// rule dispatch cost about what the level queue's own work does.
    #[inline(always)]
    pub(crate) fn update<P: Places + ?Sized>(
        &mut self,
        places: &mut P,
        agent: u32,
        eligible: bool,
        p: Placement,
    ) {
        // The level, read only when eligible (count < max: no subtraction wraps then).
        let (queue, level) = match self {
            ServiceQueue::LeastLoaded(q) => (q, p.count),
            ServiceQueue::LowestLoadRatio { queue, rank } => (
                queue,
                rank[p.max as usize * RATIO_STRIDE + p.count as usize] as u32,
            ),
            ServiceQueue::LongestIdle(q) => (q, 0),
            ServiceQueue::FillFirst { queue, top } => {
                (queue, top.wrapping_sub(1).wrapping_sub(p.count))
            }
            ServiceQueue::MostSpare { queue, top } => {
                (queue, top.wrapping_sub(p.max.wrapping_sub(p.count)))
            }
            ServiceQueue::RoundRobin { set, .. } => {
                let place = places.place_mut(agent);
                if place.queued() != eligible {
                    place.tag ^= QUEUED;
                    set.set(agent as usize, eligible);
                }
                return;
            }
            ServiceQueue::Random(list) => return list.update(places, agent, eligible),
            ServiceQueue::SingleChat(heap) => {
                return heap.update(places, agent, eligible, ordered_key(p, agent))
            }
        };
        queue.remove(places, agent);
        if eligible {
            queue.insert(places, agent, level as u16, ordered_key(p, agent));
        }
    }

    /// The agent the rule picks now, without removing it; `draw` is used by `Random`.
    #[inline(always)]
    pub(crate) fn pick(&self, draw: u64) -> Option<u32> {
        match self {
            ServiceQueue::LeastLoaded(q) | ServiceQueue::LongestIdle(q) => q.peek(),
            ServiceQueue::LowestLoadRatio { queue, .. }
            | ServiceQueue::FillFirst { queue, .. }
            | ServiceQueue::MostSpare { queue, .. } => queue.peek(),
            ServiceQueue::RoundRobin { set, last } => {
                // The next member by id after the last picked, else the first (cyclic).
                let from = last.map_or(0, |l| l as usize + 1);
                let a = set.next_from(from).or_else(|| set.next_from(0))?;
                Some(a as u32)
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
                let mut hold = |a: u32, l: usize, in_heap: bool| {
                    let place = places.place(a);
                    let tag = QUEUED | if in_heap { IN_HEAP } else { 0 };
                    if place.tag != tag || place.level as usize != l {
                        return Err(format!("agent {a}: held at level {l}, place {place:?}"));
                    }
                    if std::mem::replace(&mut held[a as usize], true) {
                        return Err(format!("agent {a}: held twice"));
                    }
                    Ok(())
                };
                for (l, lv) in q.levels.iter().enumerate() {
                    let (mut live, mut prev, mut at) = (0, NIL, lv.head);
                    while at != NIL {
                        hold(at, l, false)?;
                        let Node { key, prev: p, next } = q.nodes[at as usize];
                        if p != prev || prev != NIL && q.nodes[prev as usize].key >= key {
                            return Err(format!("level {l}: run broken at agent {at}"));
                        }
                        live += 1;
                        (prev, at) = (at, next);
                    }
                    if prev != lv.tail {
                        return Err(format!("level {l}: tail {} is not {prev}", lv.tail));
                    }
                    for (i, &(key, a)) in lv.heap.iter().enumerate() {
                        hold(a, l, true)?;
                        if q.nodes[a as usize].prev != i as u32 || q.nodes[a as usize].key != key {
                            return Err(format!("level {l}: agent {a} in the heap at {i}"));
                        }
                        if i > 0 && lv.heap[(i - 1) / 2].0 > key {
                            return Err(format!("level {l}: heap order broken at {i}"));
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
                // Rebuild every level from the queued bits (O(n)) and compare.
                let mut want = IdSet::new(agents as usize);
                for a in (0..agents).filter(|&a| places.place(a).queued()) {
                    want.set(a as usize, true);
                }
                if want.levels != set.levels || set.total as usize != queued {
                    return Err(format!("bitset disagrees with the {queued} queued bits"));
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
                    if places.place(a).tag != QUEUED || list.at[a as usize] != i as u32 {
                        return Err(format!(
                            "agent {a} listed at {i}, place {:?}, index {}",
                            places.place(a),
                            list.at[a as usize]
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
            self.q.pick(draw)
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
        let mut list = EligibleList::new(n as usize);
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
                assert_eq!(places[b as usize].tag, QUEUED, "agent {b}");
                assert_eq!(list.at[b as usize], i as u32, "agent {b}");
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
    fn a_level_keeps_a_sorted_run_and_a_heap_for_keys_that_come_in_late() {
        // One level, keys in arrival order 10 (agent 0), 20 (1), 30 (2), 40 (3), 50 (4),
        // 25 (5), 5 (6). The first five are appended to the run. 25 steps back over 50, 40
        // and 30 (3 of WALK = 4 steps) and goes in after 20. 5 would step back over 50, 40,
        // 30, 25 and still find 20 above it: after four steps it goes to the heap. Picks:
        // heap root 5 (agent 6) against run head 10, then the run in order: 6, 0, 1, 5, 2,
        // 3, 4.
        let mut places = [QueuePlace::default(); 7];
        let mut sq = ServiceQueue::LongestIdle(LevelQueue::new(1, 7));
        let ServiceQueue::LongestIdle(q) = &mut sq else {
            unreachable!()
        };
        for (a, key) in [(0, 10), (1, 20), (2, 30), (3, 40), (4, 50), (5, 25), (6, 5)] {
            q.insert(&mut places[..], a, 0, key);
        }
        assert_eq!((q.levels[0].head, q.levels[0].tail), (0, 4));
        assert_eq!(
            (q.nodes[1].next, q.nodes[5].next, q.nodes[2].prev),
            (5, 2, 5)
        );
        assert_eq!(q.levels[0].heap, [(5, 6)]);
        // Agent 3 leaves the middle of the run: 2 and 4 become neighbours.
        q.remove(&mut places[..], 3);
        assert_eq!((q.nodes[2].next, q.nodes[4].prev), (4, 2));
        sq.check(&places[..], 7).unwrap();
        let mut order = vec![];
        while let Some(a) = sq.pick(0) {
            order.push(a);
            sq.update(&mut places[..], a, false, place(1, 1, 0));
            sq.check(&places[..], 7).unwrap();
        }
        assert_eq!(order, [6, 0, 1, 5, 2, 4]);
        // Empty again: the next key, however low, starts a new run.
        let ServiceQueue::LongestIdle(q) = &mut sq else {
            unreachable!()
        };
        assert_eq!(q.nonempty, [0]);
        q.insert(&mut places[..], 1, 0, 1);
        assert_eq!((q.levels[0].head, q.levels[0].heap.len()), (1, 0));
    }

    #[test]
    fn the_id_set_finds_the_next_member_across_words_and_summary_levels() {
        // 5 000 ids: 79 words, 2 summary words, then 1: three levels.
        let mut set = IdSet::new(5_000);
        assert_eq!(set.levels.len(), 3);
        assert_eq!(set.next_from(0), None);
        for i in [3, 64, 4_095, 4_999] {
            set.set(i, true);
        }
        assert_eq!(set.next_from(0), Some(3));
        assert_eq!(set.next_from(4), Some(64));
        assert_eq!(
            set.next_from(65),
            Some(4_095),
            "63 empty words, across a summary word"
        );
        assert_eq!(set.next_from(4_096), Some(4_999));
        assert_eq!(set.next_from(5_000), None);
        set.set(4_095, false);
        assert_eq!(set.next_from(65), Some(4_999));
        set.set(4_999, false);
        assert_eq!(set.next_from(65), None);
        assert_eq!(
            set.levels[1],
            [0b11, 0],
            "words 0 (id 3) and 1 (id 64) left"
        );
    }
}

/// The service queue against a naive model of each rule (the order the rule defines,
/// found by a scan of every agent) under random updates, with tie times from a small
/// range (ties broken by id) that also go backwards (keys below a level's newest).
#[cfg(test)]
mod differential {
    use super::*;
    use proptest::prelude::*;

    /// The rule's order between two eligible agents `(count, max, tie, id)`, as its doc
    /// states it: `Less` is picked first.
    fn before(rule: RoutingRule, a: (u32, u32, u64, u32), b: (u32, u32, u64, u32)) -> bool {
        let tie = (a.2, a.3) < (b.2, b.3);
        let by = |x: u64, y: u64| if x == y { tie } else { x < y };
        match rule {
            RoutingRule::LeastLoaded => by(a.0 as u64, b.0 as u64),
            // a.count / a.max < b.count / b.max, exactly.
            RoutingRule::LowestLoadRatio => by(a.0 as u64 * b.1 as u64, b.0 as u64 * a.1 as u64),
            RoutingRule::LongestIdle => tie,
            RoutingRule::FillFirst => by(b.0 as u64, a.0 as u64),
            RoutingRule::MostSpare => by((b.1 - b.0) as u64, (a.1 - a.0) as u64),
            RoutingRule::RoundRobin | RoutingRule::Random => unreachable!(),
        }
    }

    proptest! {
        #[test]
        fn every_rule_picks_as_its_naive_model(
            rule in prop::sample::select(RoutingRule::ALL.to_vec()),
            maxes in prop::collection::vec(1u32..6, 1..40),
            ops in prop::collection::vec((any::<u32>(), any::<bool>(), 0u32..6, 0u64..12, any::<u64>()), 1..400),
        ) {
            let n = maxes.len();
            let mut q = ServiceQueue::new(rule, &maxes);
            let mut places = vec![QueuePlace::default(); n];
            // The model: each agent's (count, max, tie) while eligible.
            let mut model: Vec<Option<(u32, u32, u64)>> = vec![None; n];
            let mut listed: Vec<u32> = vec![];
            let mut last: Option<u32> = None;
            for (step, (a, on, count, tie, draw)) in ops.into_iter().enumerate() {
                let a = a % n as u32;
                let max = maxes[a as usize];
                let count = count % max;
                // Tie times drift up with the steps but may go back by up to 11 ms.
                let tie = (step as u64 / 4 + tie).saturating_sub(6);
                let p = Placement { count: if on { count } else { max }, max, tie_ms: tie };
                q.update(&mut places[..], a, on, p);
                let was = model[a as usize].is_some();
                model[a as usize] = on.then_some((count, max, tie));
                if was != on {
                    // The random rule's list: appended, or the last moved into the hole.
                    if on {
                        listed.push(a);
                    } else {
                        let at = listed.iter().position(|&b| b == a).unwrap();
                        listed.swap_remove(at);
                    }
                }
                q.check(&places[..], n as u32).map_err(TestCaseError::fail)?;
                let eligible = (0..n as u32).filter(|&b| model[b as usize].is_some());
                let want = match rule {
                    RoutingRule::RoundRobin => {
                        let from = last.map_or(0, |l| l + 1);
                        let mut all: Vec<u32> = eligible.collect();
                        all.sort_unstable();
                        all.iter().copied().find(|&b| b >= from).or(all.first().copied())
                    }
                    RoutingRule::Random => {
                        let k = (draw as u128 * listed.len() as u128) >> 64;
                        listed.get(k as usize).copied()
                    }
                    _ => eligible.reduce(|x, y| {
                        let (mx, my) = (model[x as usize].unwrap(), model[y as usize].unwrap());
                        if before(rule, (mx.0, mx.1, mx.2, x), (my.0, my.1, my.2, y)) { x } else { y }
                    }),
                };
                let got = q.pick(draw);
                prop_assert_eq!(got, want, "{:?}, step {}", rule, step);
                if let Some(b) = got.filter(|_| draw % 3 == 0) {
                    q.on_picked(b);
                    last = Some(b);
                }
            }
        }
    }
}
