//! Seeds: every random stream of a run derives from (seed, replication, stream, index)
//! through SplitMix64, so streams are independent and stable across versions.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator every stream uses: small, fast, and value-stable across crate versions.
pub type Rng = Xoshiro256PlusPlus;

/// Which part of the world a stream drives; separate streams keep common random numbers
/// across scenarios that differ elsewhere (a staffing or threshold candidate).
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub enum Stream {
    Arrivals = 1,
    Customer = 2,
    Agent = 3,
    Routing = 4,
}

/// SplitMix64's increment (the golden ratio).
const PHI: u64 = 0x9E37_79B9_7F4A_7C15;

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(PHI);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The generator of `stream` number `index` of replication `rep` under `seed`.
pub fn rng(seed: u64, rep: u32, stream: Stream, index: u64) -> Rng {
    StreamSeed::new(seed, rep, stream).rng(index)
}

/// One stream family of a replication, hashed once: a customer's generator then costs one
/// SplitMix64 round and the four of the generator's seeding, not seven and four.
#[derive(Clone, Copy, Debug)]
pub struct StreamSeed(u64);

impl StreamSeed {
    pub fn new(seed: u64, rep: u32, stream: Stream) -> Self {
        let mut h = splitmix64(seed);
        h = splitmix64(h ^ rep as u64);
        StreamSeed(splitmix64(h ^ stream as u64))
    }

    /// The generator of number `index`: exactly `Rng::seed_from_u64` of the hash (its
    /// state is four SplitMix64 outputs), written out so no byte-filling loop runs.
    /// The state is never all zero (so `from_seed` never substitutes its fallback): the
    /// four words mix four distinct inputs (`PHI` is odd) through a bijection, so at most
    /// one of them is 0.
    pub fn rng(self, index: u64) -> Rng {
        let h = splitmix64(self.0 ^ index);
        let word = |k: u64| splitmix64(h.wrapping_add(PHI.wrapping_mul(k))).to_le_bytes();
        let [w0, w1, w2, w3] = [word(0), word(1), word(2), word(3)];
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&w0);
        bytes[8..16].copy_from_slice(&w1);
        bytes[16..24].copy_from_slice(&w2);
        bytes[24..].copy_from_slice(&w3);
        Rng::from_seed(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn streams_differ_and_repeat() {
        let a: u64 = rng(7, 0, Stream::Customer, 3).random();
        let b: u64 = rng(7, 0, Stream::Customer, 3).random();
        let c: u64 = rng(7, 1, Stream::Customer, 3).random();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    /// The hand-written seeding is the crate's `seed_from_u64`, bit for bit.
    #[test]
    fn stream_seed_is_seed_from_u64() {
        for (seed, rep, index) in [(0, 0, 0), (7, 3, 1), (u64::MAX, u32::MAX, u64::MAX)] {
            for stream in [
                Stream::Arrivals,
                Stream::Customer,
                Stream::Agent,
                Stream::Routing,
            ] {
                let mut h = splitmix64(seed);
                h = splitmix64(h ^ rep as u64);
                h = splitmix64(h ^ stream as u64);
                h = splitmix64(h ^ index);
                let mut want = Rng::seed_from_u64(h);
                let mut got = StreamSeed::new(seed, rep, stream).rng(index);
                for _ in 0..8 {
                    assert_eq!(got.random::<u64>(), want.random::<u64>());
                }
            }
        }
        let base = StreamSeed::new(7, 0, Stream::Customer);
        for index in 0..10_000 {
            let h = splitmix64(base.0 ^ index);
            assert_eq!(base.rng(index), Rng::seed_from_u64(h));
        }
    }
}
