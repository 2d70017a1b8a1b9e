//! A planner's forecast, end to end: each interval's AHT sets the holding time of the
//! chats that arrive in it (worked out by hand per session), `staff`'s Erlang columns use
//! it, and a spreadsheet export over two days runs as is with days and dates in its
//! outputs.

use chatsim::engine::{AgentId, QueueId};
use chatsim::metrics::Metric;
use chatsim::scenario::{from_toml_str, Scenario};
use chatsim::sim::{Observer, Replication};
use chatsim::time::SimTime;
use std::path::Path;

/// A holding desk of 100 single-session agents from 08:00, with a constant holding time
/// of 100 s, and this forecast (no end column: rows of 10 minutes):
///
/// | rows        | volume | AHT   | rate      |
/// |-------------|--------|-------|-----------|
/// | 08:00–08:10 | 20     | 60 s  | 120 / h   |
/// | 08:10–08:20 | 20     | 180 s | 120 / h   |
/// | 08:20–08:30 | 0      | —     | 0 (closed)|
const AHT_DESK: &str = r#"
[run]
clock_origin = "08:00"
horizon_s = 1800
interval_s = 600
replications = 6
seed = 11

[arrivals]
kind = "profile"
file = "aht.csv"

[sessions]
model = "holding"
holding_time = { dist = "constant", value_s = 100 }

[agents]
count = 100
max_sessions = 1
"#;

const AHT_FORECAST: &str = "Start,Volume,AHT (s)\n08:00,20,60\n08:10,20,180\n08:20,0,\n";

fn load(dir: &Path, toml: &str, files: &[(&str, &str)]) -> Scenario {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let path = dir.join("s.toml");
    std::fs::write(&path, toml).unwrap();
    from_toml_str(toml, &path).unwrap_or_else(|e| panic!("{e}"))
}

/// Every session of a replication: (arrived, connected, ended), from single-session agents.
#[derive(Default)]
struct Sessions {
    open: Vec<Option<(SimTime, SimTime)>>,
    done: Vec<(SimTime, SimTime, SimTime)>,
}

impl Observer for Sessions {
    fn on_connected(&mut self, now: SimTime, arrived: SimTime, agent: AgentId, _queue: QueueId) {
        let a = agent.0 as usize;
        if self.open.len() <= a {
            self.open.resize(a + 1, None);
        }
        assert!(self.open[a].is_none(), "one session per agent");
        self.open[a] = Some((arrived, now));
    }

    fn on_close(&mut self, now: SimTime, agent: AgentId) {
        let (arrived, connected) = self.open[agent.0 as usize].take().expect("open");
        self.done.push((arrived, connected, now));
    }
}

#[test]
fn each_interval_s_aht_sets_the_holding_time_of_its_arrivals() {
    let dir = tempfile::tempdir().unwrap();
    let sc = load(dir.path(), AHT_DESK, &[("aht.csv", AHT_FORECAST)]);
    // By hand: 100 agents never run out (about 20 chats in 10 minutes, each at most
    // 180 s), so every chat connects on arrival. The constant 100 s holding time scaled to
    // each interval's AHT is a constant of the AHT: a chat arriving before 08:10 (600 s)
    // lasts exactly 60 s, one arriving 08:10–08:20 exactly 180 s; none arrives after
    // 08:20. The last possible end, 1200 + 180 = 1380 s, is inside the run, so every
    // session closes.
    let mut sessions = 0;
    for rep in 0..sc.run.replications {
        let (obs, stats) = Replication::new(&sc, sc.run.seed, rep, Sessions::default())
            .run()
            .unwrap();
        assert_eq!(obs.done.len() as u64, stats.customers, "every chat closed");
        assert!(obs.open.iter().all(Option::is_none));
        for &(arrived, connected, ended) in &obs.done {
            assert_eq!(connected, arrived, "no wait");
            let want_ms = match arrived.as_millis() {
                0..600_000 => 60_000,
                600_000..1_200_000 => 180_000,
                t => panic!("an arrival at {t} ms, in the closed interval"),
            };
            assert_eq!(ended.as_millis() - connected.as_millis(), want_ms);
        }
        sessions += obs.done.len();
    }
    assert!(sessions > 100, "{sessions} sessions: the test saw enough");

    // The same through the measured figures: the session time of the desk is 60 s per
    // chat offered in the first interval and 180 s per chat of the second; the run's
    // offered, connected and normal closes agree.
    let s =
        chatsim::pipeline::simulate(&sc, 1, &chatsim::pipeline::NEVER_CANCELLED, &|| {}).unwrap();
    let offered = |k: usize| {
        s.intervals[k]
            .metrics
            .get(Metric::Offered.name())
            .unwrap()
            .mean
    };
    assert_eq!(offered(2), 0.0);
    let session_s: f64 = s
        .agents
        .iter()
        .map(|a| a.metrics.get(Metric::SessionS.name()).unwrap().mean)
        .sum();
    let want = 60.0 * offered(0) + 180.0 * offered(1);
    assert!((session_s - want).abs() < 1e-6, "{session_s} vs {want}");
    let run = |m: Metric| s.metrics.get(m.name()).unwrap().mean;
    assert_eq!(run(Metric::Connected), run(Metric::Offered));
    assert_eq!(run(Metric::NormalCloses), run(Metric::Offered));

    // Without the AHT column every chat lasts the constant 100 s.
    let plain = load(
        dir.path(),
        &AHT_DESK.replace("aht.csv", "plain.csv"),
        &[("plain.csv", "start,volume\n08:00,20\n08:10,20\n08:20,0\n")],
    );
    let (obs, _) = Replication::new(&plain, 11, 0, Sessions::default())
        .run()
        .unwrap();
    assert!(obs
        .done
        .iter()
        .all(|(_, c, e)| e.as_millis() - c.as_millis() == 100_000));
}

#[test]
fn staff_s_erlang_columns_use_each_interval_s_aht() {
    let dir = tempfile::tempdir().unwrap();
    let sc = load(
        dir.path(),
        &AHT_DESK.replace("count = 100", "count = 4"),
        &[("aht.csv", AHT_FORECAST)],
    );
    let targets = [chatsim::metrics::target::Target::parse("service_level>=0.8").unwrap()];
    let settings = chatsim::tools::staff::StaffSettings {
        threads: 1,
        ..Default::default()
    };
    let rows = chatsim::tools::staff::staff(&sc, &targets, &settings).unwrap();
    // The two open intervals have the same rate, 120/h = 1/30 per s, but not the same
    // AHT: two searches. Erlang C with T = 20 s and a target of 80 %, by hand:
    // - AHT 60 s, A = 2 Erlangs: C(3, 2) = 4/9, SL = 1 − 4/9 · e^(−1·20/60) = 0.68 < 0.8;
    //   C(4, 2) = (4/3)/(23/3) = 0.174, SL = 1 − 0.174 · e^(−2·20/60) = 0.91: 4 agents.
    // - AHT 180 s, A = 6 Erlangs: SL = 0.45 at 7, 0.71 at 8, and at 9
    //   C(9, 6) = 0.196, SL = 1 − 0.196 · e^(−3·20/180) = 0.86: 9 agents.
    let erlang: Vec<(f64, u32)> = rows
        .iter()
        .map(|(_, p)| (p.erlang_session_s, p.erlang_c_agents))
        .collect();
    assert_eq!(erlang, [(60.0, 4), (180.0, 9), (100.0, 0)]);
    assert_eq!(rows[0].0.rate_per_hour, rows[1].0.rate_per_hour);
    // The simulated staffing sees the longer chats too.
    let required = |k: usize| rows[k].1.required_agents.unwrap();
    assert!(
        required(1) > required(0),
        "{} vs {}",
        required(1),
        required(0)
    );
}

#[test]
fn a_spreadsheet_forecast_over_two_days_runs_as_is_with_days_and_dates() {
    // scenarios/forecast-example.csv: BOM, CRLF, `Date;Interval;Volume;AHT (s)`, decimal
    // commas, DD.MM.YYYY; 2 days of 08:00–20:00 in half hours.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(root.join("scenarios/forecast-example.csv")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBFDate;Interval;Volume;AHT (s)\r\n"));
    let mut sc = chatsim::scenario::load(&root.join("scenarios/forecast.toml")).unwrap();
    sc.run.replications = 2;
    let s =
        chatsim::pipeline::simulate(&sc, 1, &chatsim::pipeline::NEVER_CANCELLED, &|| {}).unwrap();
    let csv = String::from_utf8(chatsim::report::intervals_csv(&s)).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    // 36 h in 30 minutes: 72 intervals, over two days, so `day` and `date` are there.
    assert_eq!(lines.len(), 1 + 72);
    assert!(lines[0].starts_with("interval,day,date,start,end,start_s,end_s,offered_mean,"));
    assert!(lines[1].starts_with("0,1,2026-12-07,08:00,08:30,0,1800,"));
    // 24 h after 08:00 on the 7th: 08:00 on the 8th (interval 48).
    assert!(lines[49].starts_with("48,2,2026-12-08,08:00,08:30,86400,88200,"));
    // The night between the forecast's days is closed: nobody is offered.
    let offered = |k: usize| {
        s.intervals[k]
            .metrics
            .get(Metric::Offered.name())
            .unwrap()
            .mean
    };
    assert!((24..48).all(|k| offered(k) == 0.0));
    assert!(offered(0) > 0.0 && offered(48) > 0.0);
    // The report's table shows the same clock.
    assert_eq!(
        chatsim::report::tabular::interval_label(&s, &s.intervals[48]),
        "2026-12-08 08:00–08:30"
    );
}
