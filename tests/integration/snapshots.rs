//! Snapshots of a small run's outputs, so a change in a report shows up in review.
//! Wall-clock figures (`wall_secs`, `events_per_s`, `routing_decisions_per_s`) are the
//! only machine-dependent values; they are blanked before comparing.

use chatsim::report::{json::summary_json, terminal::terminal_table};
use chatsim::sim::presets::holding_mmc;

const WALL_CLOCK: [&str; 3] = ["wall_secs", "events_per_s", "routing_decisions_per_s"];

fn small_run() -> chatsim::metrics::RunSummary {
    let mut sc = holding_mmc(5, 240.0, 60.0, Some(90.0), 3_600, 600);
    sc.run.replications = 3;
    sc.run.seed = 11;
    chatsim::pipeline::simulate(&sc, 1, &chatsim::pipeline::NEVER_CANCELLED, &|| {}).expect("run")
}

fn blank_wall_clock(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if WALL_CLOCK.contains(&k.as_str()) {
                    *x = serde_json::Value::String("[wall clock]".into());
                } else {
                    blank_wall_clock(x);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(blank_wall_clock),
        _ => {}
    }
}

#[test]
fn small_run_summary_json() {
    let mut v: serde_json::Value = serde_json::from_slice(&summary_json(&small_run())).unwrap();
    v["chatsim_version"] = serde_json::Value::String("[version]".into());
    blank_wall_clock(&mut v);
    insta::assert_json_snapshot!(v);
}

#[test]
fn small_run_terminal_table() {
    let table: String = terminal_table(&small_run())
        .lines()
        .filter(|l| !l.contains("(wall)"))
        .map(|l| l.replace(env!("CARGO_PKG_VERSION"), "[version]") + "\n")
        .collect();
    insta::assert_snapshot!(table);
}
