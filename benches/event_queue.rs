//! The simulator's event queue at a steady size: one element = pop the earliest event and
//! schedule a new one a random delay later (the classic "hold" model), so the queue keeps
//! its size while times move forward as they do in a replication.

use chatsim::sim::event_queue::EventQueue;
use chatsim::time::{Millis, SimTime};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

const BATCH: u64 = 10_000;

/// A payload the size of the simulator's own (an action tag plus a slot and a token).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Payload {
    slot: u32,
    token: u32,
}

/// A linear congruential step: cheap, so the queue dominates the measurement.
fn next(x: &mut u64) -> u64 {
    *x = x
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *x >> 33
}

fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_queue");
    group.throughput(Throughput::Elements(BATCH));
    for size in [1_000u64, 100_000] {
        let mut q = EventQueue::default();
        let mut x = 1u64;
        // Delays up to 60 s in ms; a few equal instants exercise the FIFO tie-break.
        for i in 0..size {
            q.push(
                SimTime::from_millis(next(&mut x) % 60_000),
                Payload {
                    slot: i as u32,
                    token: 0,
                },
            );
        }
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, _| {
            b.iter(|| {
                for _ in 0..BATCH {
                    let e = q.pop().expect("the queue never empties");
                    let delay = next(&mut x) % 60_000;
                    let p = Payload {
                        slot: e.payload.slot,
                        token: e.payload.token.wrapping_add(1),
                    };
                    q.push(e.time + Millis::from_millis(delay), black_box(p));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
