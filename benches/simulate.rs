//! Whole replications: simulated customers per second on the holding model (M/M/100+M
//! of the simulator issue) and engine events per second on the turn-by-turn model, bare
//! (no metrics) and with the full metrics collector.

use chatsim::metrics::{Collector, NullObserver};
use chatsim::sim::presets::{holding_mmc, turns_desk};
use chatsim::sim::Replication;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn holding(c: &mut Criterion) {
    let mut group = c.benchmark_group("holding_mmc");
    group.sample_size(10);
    // c = 100, λ = 98/min, mean holding 60 s, patience mean 120 s (θ = 0.5/min).
    let sc = holding_mmc(100, 98.0 * 60.0, 60.0, Some(120.0), 20_000, 0);
    let customers = Replication::new(&sc, 1, 0, NullObserver)
        .run()
        .unwrap()
        .1
        .customers;
    group.throughput(Throughput::Elements(customers));
    group.bench_function(BenchmarkId::new("bare", 100), |b| {
        b.iter(|| Replication::new(&sc, 1, 0, NullObserver).run().unwrap())
    });
    group.bench_function(BenchmarkId::new("metrics", 100), |b| {
        b.iter(|| {
            Replication::new(&sc, 1, 0, Collector::new(&sc))
                .run()
                .unwrap()
        })
    });
    group.finish();
}

fn turns(c: &mut Criterion) {
    let mut group = c.benchmark_group("turns");
    group.sample_size(10);
    let sc = turns_desk(100, 3, 20_000);
    let events = Replication::new(&sc, 1, 0, NullObserver)
        .run()
        .unwrap()
        .1
        .events;
    group.throughput(Throughput::Elements(events));
    group.bench_function(BenchmarkId::new("bare", 100), |b| {
        b.iter(|| Replication::new(&sc, 1, 0, NullObserver).run().unwrap())
    });
    group.bench_function(BenchmarkId::new("metrics", 100), |b| {
        b.iter(|| {
            Replication::new(&sc, 1, 0, Collector::new(&sc))
                .run()
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, holding, turns);
criterion_main!(benches);
