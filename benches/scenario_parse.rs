//! Loading scenario files: TOML parse, the checks, and (for the default desk) the
//! roster and arrival-profile CSVs they name. One element = one scenario loaded.

use chatsim::scenario;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::path::Path;

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("scenario_load");
    group.throughput(Throughput::Elements(1));
    for name in ["default", "mmc"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(format!("{name}.toml"));
        scenario::load(&path).expect("the committed scenarios load");
        group.bench_with_input(BenchmarkId::from_parameter(name), &path, |b, path| {
            b.iter(|| scenario::load(path).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
