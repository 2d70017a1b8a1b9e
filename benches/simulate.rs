//! Whole replications: simulated customers per second on the holding model (M/M/100+M
//! of the simulator issue) and engine events per second on the turn-by-turn model, bare
//! (no metrics) and with the full metrics collector.

use chatsim::metrics::Collector;
use chatsim::scenario::Scenario;
use chatsim::sim::presets::{holding_mmc, turns_desk};
use chatsim::sim::NullObserver;
use chatsim::sim::{RepStats, Replication};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// One replication of `sc`, bare and with metrics; `elements` picks the throughput unit
/// from a bare run's totals (customers or simulation events).
fn replications(c: &mut Criterion, name: &str, sc: &Scenario, elements: fn(&RepStats) -> u64) {
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    let stats = Replication::new(sc, 1, 0, NullObserver).run().unwrap().1;
    group.throughput(Throughput::Elements(elements(&stats)));
    group.bench_function(BenchmarkId::new("bare", 100), |b| {
        b.iter(|| Replication::new(sc, 1, 0, NullObserver).run().unwrap())
    });
    group.bench_function(BenchmarkId::new("metrics", 100), |b| {
        b.iter(|| {
            Replication::new(sc, 1, 0, Collector::new(sc))
                .run()
                .unwrap()
        })
    });
    group.finish();
}

fn holding(c: &mut Criterion) {
    // c = 100, λ = 98/min, mean holding 60 s, patience mean 120 s (θ = 0.5/min).
    let sc = holding_mmc(100, 98.0 * 60.0, 60.0, Some(120.0), 20_000, 0);
    replications(c, "holding_mmc", &sc, |s| s.customers);
}

fn turns(c: &mut Criterion) {
    let sc = turns_desk(100, 3, 20_000);
    replications(c, "turns", &sc, |s| s.events);
}

criterion_group!(benches, holding, turns);
criterion_main!(benches);
