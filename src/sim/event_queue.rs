//! The simulator's one event queue: events leave by (time, insertion number), so equal
//! instants leave first-in first-out and a run is exact and repeatable.
//!
//! Two lanes share that one order. The *heap* holds whatever may be scheduled at any time
//! (holding ends, patience, replies, shifts…). The *next-arrival slot* holds the one
//! arrival that is ever pending: arrivals come one at a time, each scheduling the next, so
//! they need no heap; keeping them out of it saves a push and a pop per customer (about a
//! third of the holding model's heap work). Both lanes stamp the same insertion counter,
//! so the order is exactly that of a single heap.
//!
//! An entry's key packs `(time, insertion number)` into one integer, compared in one step.
//! The *near* lane, every instant before [`NEAR_LIMIT_MS`] (2^40 ms, about 34.8 years),
//! packs them into a `u64`: the instant above a 24-bit insertion number. A `u64` key takes
//! half the compares and loads of a `u128` in the heap's sift-down, where the turn model
//! spends a fifth of its instructions. When the 24 bits run out (every 16.7 million
//! pushes) the pending entries are renumbered, each getting its rank among the pending
//! entries of its own instant: an order-preserving rewrite, so the heap stays as it is and
//! no order changes. Instants from [`NEAR_LIMIT_MS`] on go to the *far* lane, a heap of
//! `u128` keys (`time << 64 | insertion number`); every far instant is later than every
//! near one, so the near lane always leaves first. Should renumbering ever leave no room
//! (millions of entries pending at one instant), every entry moves to the far lane for
//! good: correctness never rests on the fast path.
//!
//! Both heaps are [`QuadHeap`]s (4-ary, branch-free choice of the least child), whose pop
//! costs fewer cycles than std's `BinaryHeap`'s and, keys being distinct, gives exactly
//! its order.
//!
//! Cancelled events are not removed: each carries the token its target had when it was
//! scheduled, and the driver skips it when due if the token has moved on.
//!
//! A pop from the near heap hands its entry out but leaves it at the root, *taken*: most
//! events schedule one follow-up (a reply its customer's next message, a message the
//! agent's reply), and that push then replaces the root in one sift instead of a pop's
//! sift and a push's. The taken root is the least key, so nothing else can leave before
//! it is gone; any other use of the queue removes it first.

use super::quad_heap::QuadHeap;
use crate::time::SimTime;

/// One scheduled world event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scheduled<P> {
    pub time: SimTime,
    pub payload: P,
}

/// Bits of a near key's insertion number.
const SEQ_BITS: u32 = 24;
/// Instants from here on (in ms) are kept in the far lane.
pub const NEAR_LIMIT_MS: u64 = 1 << (64 - SEQ_BITS);

/// The time packed in a near key.
fn near_time(key: u64) -> SimTime {
    SimTime::from_millis(key >> SEQ_BITS)
}

/// The time packed in a far key.
fn far_time(key: u128) -> SimTime {
    SimTime::from_millis((key >> 64) as u64)
}

/// A min-queue of events by (time, insertion number), with a slot for the next arrival.
#[derive(Debug)]
pub struct EventQueue<P> {
    near: QuadHeap<u64, P>,
    far: QuadHeap<u128, P>,
    /// The pending arrival's near key and payload, if any (see the module doc); a far
    /// arrival waits in the far heap like any other event.
    arrival: Option<(u64, P)>,
    /// The next near insertion number; at `seq_limit` the near lane is renumbered.
    near_seq: u64,
    /// [`SEQ_BITS`]' limit; lower in tests, to exercise renumbering.
    seq_limit: u64,
    /// The next far insertion number.
    far_seq: u64,
    /// Everything goes to the far lane (renumbering found no room).
    wide: bool,
    /// The near heap's root was popped (handed out) but is still stored: the next near
    /// push replaces it, anything else removes it first ([`EventQueue::settle`]).
    taken: bool,
    /// Renumberings so far (for tests).
    renumbered: u32,
}

impl<P: Copy> Default for EventQueue<P> {
    fn default() -> Self {
        Self::with_seq_limit(1 << SEQ_BITS)
    }
}

impl<P: Copy> EventQueue<P> {
    /// A queue whose near insertion numbers stop at `limit` (at most 2^24).
    fn with_seq_limit(limit: u64) -> Self {
        debug_assert!(limit <= 1 << SEQ_BITS);
        EventQueue {
            near: QuadHeap::default(),
            far: QuadHeap::default(),
            arrival: None,
            near_seq: 0,
            seq_limit: limit,
            far_seq: 0,
            wide: false,
            taken: false,
            renumbered: 0,
        }
    }

    /// The near key of an event at `t` ms, or `None` if it belongs in the far lane.
    #[inline(always)]
    fn near_key(&mut self, t: u64) -> Option<u64> {
        if t < NEAR_LIMIT_MS && self.near_seq < self.seq_limit {
            let key = t << SEQ_BITS | self.near_seq;
            self.near_seq += 1;
            Some(key)
        } else {
            self.near_key_slow(t)
        }
    }

    #[cold]
    #[inline(never)]
    fn near_key_slow(&mut self, t: u64) -> Option<u64> {
        if t >= NEAR_LIMIT_MS || self.wide {
            return None;
        }
        // Renumbering reads and rewrites every near key: the taken root goes first.
        self.settle();
        self.renumber();
        if self.wide {
            return None;
        }
        let key = t << SEQ_BITS | self.near_seq;
        self.near_seq += 1;
        Some(key)
    }

    /// Gives each pending near entry its rank among those of its instant as insertion
    /// number (an order-preserving rewrite); goes wide if that leaves under half the
    /// numbers free.
    fn renumber(&mut self) {
        debug_assert!(!self.taken, "the taken root is removed first");
        self.renumbered += 1;
        let mut keys: Vec<u64> = self.near.keys().chain(self.arrival.map(|a| a.0)).collect();
        keys.sort_unstable();
        let mut renumbered = Vec::with_capacity(keys.len());
        let mut top = 0;
        for (i, &k) in keys.iter().enumerate() {
            let rank = match renumbered.last() {
                Some(&prev) if i > 0 && keys[i - 1] >> SEQ_BITS == k >> SEQ_BITS => {
                    (prev & ((1 << SEQ_BITS) - 1)) + 1
                }
                _ => 0,
            };
            top = top.max(rank + 1);
            renumbered.push((k >> SEQ_BITS) << SEQ_BITS | rank);
        }
        if top > self.seq_limit / 2 {
            self.go_wide();
            return;
        }
        let new_key = |k: u64| renumbered[keys.binary_search(&k).expect("a pending key")];
        self.near.rekey(new_key);
        if let Some(a) = &mut self.arrival {
            a.0 = new_key(a.0);
        }
        self.near_seq = top;
    }

    /// Moves every near entry (and the arrival) to the far lane, in order, for good.
    fn go_wide(&mut self) {
        let mut all = self.near.take_all();
        all.extend(self.arrival.take());
        all.sort_unstable_by_key(|e| e.0);
        for (key, payload) in all {
            self.push_far(key >> SEQ_BITS, payload);
        }
        self.wide = true;
        self.near_seq = self.seq_limit;
    }

    fn push_far(&mut self, t: u64, payload: P) {
        let key = u128::from(t) << 64 | u128::from(self.far_seq);
        self.far_seq += 1;
        self.far.push(key, payload);
    }

    /// Removes the taken root, if any (see the module doc).
    #[inline(always)]
    fn settle(&mut self) {
        if self.taken {
            self.remove_taken();
        }
    }

    /// The taken root leaves without a push to replace it (an event that schedules
    /// nothing): a plain pop of the heap, out of line.
    #[inline(never)]
    fn remove_taken(&mut self) {
        self.taken = false;
        self.near.pop();
    }

    /// Schedules `payload` at `time`, after everything already scheduled at that instant.
    /// Inlined into its callers (as std's `BinaryHeap::push` was): out of line it cost
    /// about 1 % more instructions on the holding model and 1.5 % on the turns model.
    #[inline(always)]
    pub fn push(&mut self, time: SimTime, payload: P) {
        let t = time.as_millis();
        match self.near_key(t) {
            // The taken root leaves as this entry comes in (a renumbering in `near_key`
            // would have removed it already).
            Some(key) if self.taken => {
                self.taken = false;
                self.near.replace_top(key, payload);
            }
            Some(key) => self.near.push(key, payload),
            None => self.push_far(t, payload),
        }
    }

    /// Schedules the next arrival, which leaves in the same order as if it were pushed.
    ///
    /// # Panics
    /// If an arrival is already pending: there is only ever one (debug builds only).
    pub fn push_arrival(&mut self, time: SimTime, payload: P) {
        debug_assert!(self.arrival.is_none(), "one pending arrival at a time");
        let t = time.as_millis();
        match self.near_key(t) {
            Some(key) => self.arrival = Some((key, payload)),
            None => self.push_far(t, payload),
        }
    }

    /// Whether the pending arrival, not the near heap's top, leaves next (a near arrival
    /// always goes before the far lane).
    fn arrival_first(&self) -> bool {
        match (&self.arrival, self.near.peek_key()) {
            (Some((a, _)), Some(h)) => *a < h,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    /// The earliest event's time.
    #[cfg(test)]
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.settle();
        if self.arrival_first() {
            self.arrival.map(|(key, _)| near_time(key))
        } else if let Some(key) = self.near.peek_key() {
            Some(near_time(key))
        } else {
            self.far.peek_key().map(far_time)
        }
    }

    /// Removes and returns the earliest event (from the near heap, it is taken: see the
    /// module doc).
    pub fn pop(&mut self) -> Option<Scheduled<P>> {
        self.pop_before(None)
    }

    /// Removes and returns the earliest event if it is due before `limit` (any event
    /// when `limit` is `None`); else removes nothing. The driver's one question per
    /// event, "what comes before the engine's next timer?": a peek and a pop in one
    /// look at the lanes. Inlined: with the heap's work left to the next push (a taken
    /// root, see the module doc), a call cost about as much as the pop.
    #[inline(always)]
    pub fn pop_before(&mut self, limit: Option<SimTime>) -> Option<Scheduled<P>> {
        self.settle();
        let before = |time: SimTime| limit.is_none_or(|l| time < l);
        let (time, payload) = if self.arrival_first() {
            let (k, p) = self.arrival?;
            let time = near_time(k);
            if !before(time) {
                return None;
            }
            self.arrival = None;
            (time, p)
        } else if let Some(&(k, p)) = self.near.entries().first() {
            let time = near_time(k);
            if !before(time) {
                return None;
            }
            self.taken = true;
            (time, p)
        } else {
            let &(k, p) = self.far.entries().first()?;
            let time = far_time(k);
            if !before(time) {
                return None;
            }
            self.far.pop();
            (time, p)
        };
        Some(Scheduled { time, payload })
    }

    /// Events scheduled, live or cancelled.
    pub fn len(&self) -> usize {
        self.near.len() - usize::from(self.taken)
            + self.far.len()
            + usize::from(self.arrival.is_some())
    }

    /// Whether nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_leave_in_insertion_order() {
        let mut q = EventQueue::default();
        q.push(SimTime::from_millis(5), 'b');
        q.push(SimTime::from_millis(3), 'a');
        q.push(SimTime::from_millis(5), 'c');
        q.push(SimTime::from_millis(5), 'd');
        let order: String = std::iter::from_fn(|| q.pop()).map(|s| s.payload).collect();
        assert_eq!(order, "abcd");
    }

    /// The arrival slot keeps the single heap's order, worked by hand: pushes b(5 ms, seq
    /// 0), a(3, 1), the arrival A(5, 2), c(5, 3). They leave a, b, A (before c: pushed
    /// earlier), then the next arrival B(5, seq 4) is scheduled and leaves after c.
    #[test]
    fn the_arrival_slot_keeps_one_order() {
        let mut q = EventQueue::default();
        q.push(SimTime::from_millis(5), 'b'); // seq 0
        q.push(SimTime::from_millis(3), 'a'); // seq 1
        q.push_arrival(SimTime::from_millis(5), 'A'); // seq 2
        q.push(SimTime::from_millis(5), 'c'); // seq 3
        assert_eq!(q.len(), 4);
        assert_eq!(q.peek_time(), Some(SimTime::from_millis(3)));
        let mut out = String::new();
        out.push(q.pop().unwrap().payload); // a (3, 1)
        out.push(q.pop().unwrap().payload); // b (5, 0)
        out.push(q.pop().unwrap().payload); // A (5, 2): before c (5, 3)
                                            // The next arrival at 5 ms gets seq 4: after c.
        q.push_arrival(SimTime::from_millis(5), 'B');
        out.push(q.pop().unwrap().payload); // c (5, 3)
        out.push(q.pop().unwrap().payload); // B (5, 4)
        assert!(q.is_empty());
        assert_eq!(q.pop(), None);
        assert_eq!(out, "abAcB");
    }

    /// A popped near event stays at the root, taken, worked by hand: a(3 ms) b(5) c(9).
    /// Popping a leaves it stored (3 entries, 2 pending); pushing d(4) replaces it in one
    /// sift (still 3 stored). Popping b and peeking removes b's taken root (2 stored);
    /// popping d then pushing past the near lane (a far event) leaves d's root taken until
    /// the next pop, which removes it before c leaves.
    #[test]
    fn a_popped_root_is_replaced_by_the_next_push_or_removed() {
        let mut q = EventQueue::default();
        for (t, p) in [(3, 'a'), (5, 'b'), (9, 'c')] {
            q.push(SimTime::from_millis(t), p);
        }
        assert_eq!(q.pop().map(|e| e.payload), Some('a'));
        assert!(q.taken);
        assert_eq!((q.near.len(), q.len()), (3, 2));
        q.push(SimTime::from_millis(4), 'd');
        assert!(!q.taken);
        assert_eq!((q.near.len(), q.len()), (3, 3));
        assert_eq!(q.pop().map(|e| e.payload), Some('d'));
        assert_eq!(q.peek_time(), Some(SimTime::from_millis(5)));
        assert_eq!((q.near.len(), q.len()), (2, 2));
        assert_eq!(q.pop().map(|e| e.payload), Some('b'));
        q.push(SimTime::from_millis(NEAR_LIMIT_MS), 'f');
        assert!(q.taken);
        assert_eq!((q.near.len(), q.far.len(), q.len()), (2, 1, 2));
        let order: String = std::iter::from_fn(|| q.pop()).map(|e| e.payload).collect();
        assert_eq!(order, "cf");
        assert!(q.is_empty());
    }

    /// `pop_before` takes only what comes strictly before the limit (at an equal instant
    /// the engine's timer goes first), from every lane, worked by hand: a(3 ms) b(5) and
    /// a far f(2^40), the arrival A(4). Limit 3: nothing (a is at 3). Limit 4: a, then
    /// nothing (A is at 4). Limit 5: A. Limit 2^40: b, then nothing (f is at it). No
    /// limit: f; then nothing is left.
    #[test]
    fn pop_before_takes_only_what_comes_before_the_limit() {
        let ms = SimTime::from_millis;
        let mut q = EventQueue::default();
        q.push(ms(5), 'b');
        q.push(ms(3), 'a');
        q.push(ms(NEAR_LIMIT_MS), 'f');
        q.push_arrival(ms(4), 'A');
        let mut took = |limit: Option<u64>| q.pop_before(limit.map(ms)).map(|e| e.payload);
        assert_eq!(took(Some(3)), None);
        assert_eq!(took(Some(4)), Some('a'));
        assert_eq!(took(Some(4)), None);
        assert_eq!(took(Some(5)), Some('A'));
        assert_eq!(took(Some(NEAR_LIMIT_MS)), Some('b'));
        assert_eq!(took(Some(NEAR_LIMIT_MS)), None);
        assert_eq!(took(None), Some('f'));
        assert_eq!(took(None), None);
        assert!(q.is_empty());
    }

    /// Renumbering while a popped root is taken removes the root first: a limit of 4;
    /// a(5) b(5) c(7) d(9) take numbers 0-3; a is popped (taken); pushing e(5) needs a
    /// renumbering, which drops a, ranks b 0, c 0, d 0, and gives e number 1.
    #[test]
    fn renumbering_removes_a_taken_root_first() {
        let mut q = EventQueue::with_seq_limit(4);
        for (t, p) in [(5, 'a'), (5, 'b'), (7, 'c'), (9, 'd')] {
            q.push(SimTime::from_millis(t), p);
        }
        assert_eq!(q.pop().map(|e| e.payload), Some('a'));
        q.push(SimTime::from_millis(5), 'e');
        assert_eq!((q.renumbered, q.taken, q.near.len()), (1, false, 4));
        let order: String = std::iter::from_fn(|| q.pop()).map(|e| e.payload).collect();
        assert_eq!(order, "becd");
    }

    /// Against one plain heap of (time, seq): a pseudo-random mix of pushes, arrival pushes
    /// and pops leaves in the same order.
    #[test]
    fn matches_a_single_sorted_order() {
        assert!(mix_matches_sorted_order(EventQueue::default(), 0) > 1_000);
    }

    /// The same with near insertion numbers that run out every few pushes: renumbered many
    /// times over, the order is unchanged.
    #[test]
    fn renumbering_keeps_the_order() {
        let mut q = EventQueue::with_seq_limit(512);
        assert!(mix_matches_sorted_order(&mut q, 0) > 1_000);
        assert!(
            q.renumbered >= 4 && !q.wide,
            "{} renumberings",
            q.renumbered
        );
    }

    /// The same with instants across the near lane's end: far events (from 2^40 ms on)
    /// leave after every near one and among themselves by (time, insertion).
    #[test]
    fn far_instants_keep_the_order() {
        let mut q = EventQueue::default();
        assert!(mix_matches_sorted_order(&mut q, NEAR_LIMIT_MS - 20) > 1_000);
        assert!(q.near_seq > 0 && q.far_seq > 1_000, "both lanes used");
    }

    /// Renumbering that leaves no room moves everything to the far lane, in order, worked
    /// by hand: a limit of 4 numbers; a(5 ms) b(5) c(5) then d(7) take numbers 0-3. The
    /// next push, e(5), renumbers: a, b, c are ranks 0, 1, 2 at 5 ms, so 3 numbers would be
    /// taken, over half of 4: the queue goes wide and e follows c.
    #[test]
    fn no_room_to_renumber_goes_wide_in_order() {
        let mut q = EventQueue::with_seq_limit(4);
        for (t, p) in [(5, 'a'), (5, 'b'), (5, 'c'), (7, 'd')] {
            q.push(SimTime::from_millis(t), p);
        }
        assert!(!q.wide);
        q.push(SimTime::from_millis(5), 'e');
        assert!(q.wide);
        assert_eq!((q.near.len(), q.far.len()), (0, 5));
        q.push_arrival(SimTime::from_millis(6), 'A');
        q.push(SimTime::from_millis(6), 'f');
        let order: String = std::iter::from_fn(|| q.pop()).map(|s| s.payload).collect();
        assert_eq!(order, "abceAfd");
    }

    /// A renumbering worked by hand: a limit of 8; a(5) b(9) c(5) d(9) e(9) take 0-4,
    /// a leaves, then f(9) g(12) h(5) take 5-7. The next push, i(9), renumbers the pending
    /// c(5:2) h(5:7) b(9:1) d(9:3) e(9:4) f(9:5) g(12:6) to c 0, h 1, b 0, d 1, e 2, f 3,
    /// g 0 (4 numbers used, not over half of 8) and takes number 4: after f.
    #[test]
    fn renumbering_ranks_within_each_instant() {
        let mut q = EventQueue::with_seq_limit(8);
        // An entry's near insertion number.
        let key = |q: &EventQueue<char>, p: char| {
            let e = q.near.entries().iter().find(|e| e.1 == p);
            e.map(|e| e.0 & ((1 << SEQ_BITS) - 1))
        };
        for (t, p) in [(5, 'a'), (9, 'b'), (5, 'c'), (9, 'd'), (9, 'e')] {
            q.push(SimTime::from_millis(t), p);
        }
        assert_eq!(q.pop().map(|s| s.payload), Some('a'));
        for (t, p) in [(9, 'f'), (12, 'g'), (5, 'h')] {
            q.push(SimTime::from_millis(t), p);
        }
        assert_eq!(key(&q, 'h'), Some(7));
        q.push(SimTime::from_millis(9), 'i');
        assert!(!q.wide);
        assert_eq!(q.renumbered, 1);
        let ranks: Vec<Option<u64>> = "chbdefgi".chars().map(|p| key(&q, p)).collect();
        assert_eq!(ranks, [0, 1, 0, 1, 2, 3, 0, 4].map(Some));
        assert_eq!(q.near_seq, 5);
        let order: String = std::iter::from_fn(|| q.pop()).map(|s| s.payload).collect();
        assert_eq!(order, "chbdefig");
    }

    /// Pushes, arrival pushes and pops at instants from `base` on, checked against a
    /// sorted reference; returns how many events left.
    fn mix_matches_sorted_order(
        mut q: impl std::borrow::BorrowMut<EventQueue<u32>>,
        base: u64,
    ) -> usize {
        let q = q.borrow_mut();
        let mut reference: Vec<(u64, u64, u32)> = Vec::new();
        let mut seq = 0u64;
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut now = base;
        let mut arrival_pending = false;
        let mut got = Vec::new();
        let mut want = Vec::new();
        for i in 0..5_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match x % 4 {
                0 | 1 => {
                    let t = now + x % 7;
                    q.push(SimTime::from_millis(t), i);
                    reference.push((t, seq, i));
                    seq += 1;
                }
                2 if !arrival_pending => {
                    let t = now + x % 5;
                    q.push_arrival(SimTime::from_millis(t), u32::MAX - i);
                    reference.push((t, seq, u32::MAX - i));
                    seq += 1;
                    arrival_pending = true;
                }
                _ => {
                    reference.sort_unstable_by_key(|&(t, s, _)| std::cmp::Reverse((t, s)));
                    if let Some((t, _, p)) = reference.pop() {
                        want.push((t, p));
                        let s = q.pop().expect("same length");
                        got.push((s.time.as_millis(), s.payload));
                        now = t;
                        if p > u32::MAX / 2 {
                            arrival_pending = false;
                        }
                    }
                }
            }
            assert_eq!(q.len(), reference.len());
        }
        assert_eq!(got, want);
        want.len()
    }
}
