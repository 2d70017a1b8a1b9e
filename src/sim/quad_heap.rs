//! The event queue's heap: a 4-ary min-heap of entries `(key, payload)` by a distinct
//! integer key (`u64` for the event queue's usual instants, `u128` past them).
//!
//! Built for the pop's sift-down, where std's binary `BinaryHeap` spent the holding
//! model's cycles in branch mispredictions more than in instructions:
//! - four children per node halve a binary heap's depth;
//! - the least of four children is picked with selects (cmov), not branches: only the
//!   last, partial family at the bottom is looped over;
//! - a pop moves the hole from the root to the bottom along least children, then puts the
//!   last entry in it, sifting up (a leaf's entry mostly belongs near the bottom, so
//!   comparing it on the way down would be wasted); each sift writes an entry once.
//!
//! Keys must be distinct (the queue's carry a unique insertion number), so the order of
//! pops is the keys' order, whatever the heap's shape: the same as any other min-heap's.

use std::hint::select_unpredictable;

/// A min-heap of `(key, payload)` by key; keys must be distinct.
#[derive(Debug, Clone)]
pub struct QuadHeap<K, P> {
    entries: Vec<(K, P)>,
}

impl<K, P> Default for QuadHeap<K, P> {
    fn default() -> Self {
        QuadHeap {
            entries: Vec::new(),
        }
    }
}

/// The index (0..4) of the least of four distinct keys, without branches.
#[inline(always)]
fn least_of_four<K: Ord>(k: &[K; 4]) -> usize {
    let a = usize::from(k[1] < k[0]);
    let b = 2 + usize::from(k[3] < k[2]);
    select_unpredictable(k[b] < k[a], b, a)
}

impl<K: Ord + Copy, P: Copy> QuadHeap<K, P> {
    /// Entries held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The least key.
    pub fn peek_key(&self) -> Option<K> {
        self.entries.first().map(|e| e.0)
    }

    /// Adds `payload` under `key`, which no held entry has.
    #[inline(always)]
    pub fn push(&mut self, key: K, payload: P) {
        let hole = self.entries.len();
        self.entries.push((key, payload));
        self.sift_up(hole, (key, payload));
    }

    /// Removes and returns the entry of the least key.
    pub fn pop(&mut self) -> Option<(K, P)> {
        let last = self.entries.pop()?;
        if self.entries.is_empty() {
            return Some(last);
        }
        let top = self.entries[0];
        let hole = self.hole_to_bottom();
        self.sift_up(hole, last);
        Some(top)
    }

    /// Removes the entry of the least key and adds `payload` under `key` (which no held
    /// entry has) in one sift: a pop followed by a push, without the push's own sift-up.
    /// The heap must not be empty.
    #[inline(always)]
    pub fn replace_top(&mut self, key: K, payload: P) {
        debug_assert!(!self.entries.is_empty(), "replace_top on an empty heap");
        let hole = self.hole_to_bottom();
        self.sift_up(hole, (key, payload));
    }

    /// Moves the hole at the root down to a leaf along least children (each child moved
    /// up into it) and returns where it ends. Full families of four take the branch-free
    /// path.
    #[inline(always)]
    fn hole_to_bottom(&mut self) -> usize {
        let e = &mut self.entries[..];
        let n = e.len();
        let mut hole = 0;
        loop {
            let first = 4 * hole + 1;
            let Some(f) = e.get(first..first + 4) else {
                // Fewer than four children (and those are leaves): the least of them, if any.
                if first < n {
                    let mut c = first;
                    for j in first + 1..n {
                        c = select_unpredictable(e[j].0 < e[c].0, j, c);
                    }
                    e[hole] = e[c];
                    hole = c;
                }
                return hole;
            };
            let i = least_of_four(&[f[0].0, f[1].0, f[2].0, f[3].0]);
            e[hole] = f[i];
            hole = first + i;
        }
    }

    /// Rewrites every key through `f`, which must be strictly increasing on the keys held:
    /// the order is unchanged, so the heap stays a heap where it stands.
    pub fn rekey(&mut self, mut f: impl FnMut(K) -> K) {
        for e in &mut self.entries {
            e.0 = f(e.0);
        }
    }

    /// Removes every entry, in no particular order.
    pub fn take_all(&mut self) -> Vec<(K, P)> {
        std::mem::take(&mut self.entries)
    }

    /// Every entry held, in the heap's order (the least first).
    pub fn entries(&self) -> &[(K, P)] {
        &self.entries
    }

    /// Every key held, in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = K> + '_ {
        self.entries.iter().map(|e| e.0)
    }

    /// Puts `entry` in the hole at `hole` or above it, moving greater parents down.
    #[inline(always)]
    fn sift_up(&mut self, mut hole: usize, entry: (K, P)) {
        let e = &mut self.entries[..];
        while hole > 0 {
            let parent = (hole - 1) / 4;
            if e[parent].0 < entry.0 {
                break;
            }
            e[hole] = e[parent];
            hole = parent;
        }
        e[hole] = entry;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    /// Heaps that fill levels 0..=3 exactly (1, 5, 21, 85 entries) and one past them,
    /// pushed in descending key order (every push sifts to the root) and popped empty.
    #[test]
    fn full_and_just_deeper_heaps_pop_sorted() {
        for n in [1u128, 2, 5, 6, 21, 22, 85, 86] {
            let mut h = QuadHeap::default();
            for k in (0..n).rev() {
                h.push(k, k as u32);
            }
            let order: Vec<u128> = std::iter::from_fn(|| h.pop()).map(|(k, _)| k).collect();
            assert_eq!(order, (0..n).collect::<Vec<_>>());
        }
    }

    /// Replacing the top, worked by hand: keys 1 2 3 4 5 6 (a 4-ary heap: root 1, its
    /// children 2-5, then 6 under 2). Replacing 1 by 7: the hole goes down along least
    /// children (2, then 6, a leaf) and 7 lands there, so the heap is 2 6 3 4 5 7 and
    /// pops 2 3 4 5 6 7. Replacing the top of a one-entry heap leaves the new entry.
    #[test]
    fn replace_top_removes_the_least_and_adds_the_new() {
        let mut h = QuadHeap::default();
        for k in 1u64..=6 {
            h.push(k, k as u32);
        }
        h.replace_top(7, 7);
        let keys: Vec<u64> = h.entries().iter().map(|e| e.0).collect();
        assert_eq!(keys, [2, 6, 3, 4, 5, 7]);
        let order: Vec<u64> = std::iter::from_fn(|| h.pop()).map(|(k, _)| k).collect();
        assert_eq!(order, [2, 3, 4, 5, 6, 7]);
        h.push(9, 9);
        h.replace_top(8, 8);
        assert_eq!(h.entries(), [(8, 8)]);
    }

    /// Keys 5, 1, 4, 2^64 + 1 (time 1 ms, insertion 1) and 0 leave sorted: z, a, d, e, f.
    #[test]
    fn pops_in_key_order() {
        let mut h = QuadHeap::default();
        for (k, p) in [
            (5u128, 'e'),
            (1, 'a'),
            (4, 'd'),
            (1 << 64 | 1, 'f'),
            (0, 'z'),
        ] {
            h.push(k, p);
        }
        assert_eq!(h.len(), 5);
        assert_eq!(h.peek_key(), Some(0));
        let order: String = std::iter::from_fn(|| h.pop()).map(|(_, p)| p).collect();
        assert_eq!(order, "zadef");
        assert!(h.is_empty());
        assert_eq!(h.pop(), None);
    }

    #[derive(Debug, Clone)]
    enum Op {
        /// Push at this many ms after the last popped time.
        Push(u64),
        Pop,
        /// Pop, then push at this many ms after the popped time, in one `replace_top`.
        Replace(u64),
    }

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        // Small delays make many equal times, where only the insertion number decides.
        let op = prop_oneof![
            3 => (0u64..4).prop_map(Op::Push),
            1 => (0u64..100_000).prop_map(Op::Push),
            3 => Just(Op::Pop),
            3 => (0u64..100_000).prop_map(Op::Replace),
        ];
        proptest::collection::vec(op, 0..600)
    }

    proptest! {
        /// Against std's BinaryHeap: any mix of pushes and pops, keys packed as the event
        /// queue packs them (`time << 64 | insertion number`), leaves in the same order.
        #[test]
        fn pops_as_std_binary_heap_does(ops in ops()) {
            let mut h = QuadHeap::default();
            let mut reference = BinaryHeap::new();
            let (mut now, mut seq) = (0u64, 0u64);
            for op in ops {
                match op {
                    Op::Push(delay) => {
                        let key = u128::from(now + delay) << 64 | u128::from(seq);
                        h.push(key, seq as u32);
                        reference.push(Reverse((key, seq as u32)));
                        seq += 1;
                    }
                    Op::Pop => {
                        let got = h.pop();
                        prop_assert_eq!(got, reference.pop().map(|Reverse(e)| e));
                        if let Some((key, _)) = got {
                            now = (key >> 64) as u64;
                        }
                    }
                    Op::Replace(delay) => {
                        let Some(Reverse((top, _))) = reference.pop() else {
                            continue;
                        };
                        prop_assert_eq!(h.peek_key(), Some(top));
                        now = (top >> 64) as u64;
                        let key = u128::from(now + delay) << 64 | u128::from(seq);
                        h.replace_top(key, seq as u32);
                        reference.push(Reverse((key, seq as u32)));
                        seq += 1;
                    }
                }
                prop_assert_eq!(h.len(), reference.len());
                prop_assert_eq!(h.peek_key(), reference.peek().map(|Reverse((k, _))| *k));
            }
            while let Some(Reverse(want)) = reference.pop() {
                prop_assert_eq!(h.pop(), Some(want));
            }
            prop_assert!(h.is_empty());
        }
    }
}
