//! Loader tests: the bundled scenarios, the resolved round trip, overrides, and one
//! case per class of bad input, each checked for the file, the field or line, and the
//! value in the message.

use super::*;
use crate::engine::{LogOutMode, QueueId, RoutingRule, Skill};
use crate::time::{Millis, SimTime};
use std::fs;
use std::path::{Path, PathBuf};

fn bundled(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

const BASE_TOML: &str = r#"
[run]
horizon_s = 3600
warmup_s = 600
seed = 3

[arrivals]
kind = "profile"
file = "profile.csv"

[sessions]
model = "turns"

[customers]
patience = { dist = "exponential", mean_s = 120 }
messages = { dist = "lognormal", mean = 4, sd = 2 }
think_time = { dist = "exponential", mean_s = 30 }
silent_prob = 0.05

[agents]
roster = "roster.csv"

[agents.behaviour]
reply_time = { dist = "lognormal", mean_s = 20, sd_s = 10 }

[thresholds]
reply_interval_s = 60
message_interval_s = 300
"#;

const BASE_ROSTER: &str = "id,group,max_sessions,shift_start,shift_end,breaks,speed_factor
A001,billing,2,00:00,01:10,00:20+10m,1.0
A002,tech,3,0,4200,,1.2
";

const BASE_PROFILE: &str = "start,end,rate_per_hour
00:00,00:30,100
00:30,01:10,120
";

/// A scenario directory holding the base files, with `edits` applied to the TOML
/// (`(from, to)` text replacements) and `files` replacing or adding files.
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new(edits: &[(&str, &str)], files: &[(&str, &str)]) -> Case {
        let dir = tempfile::tempdir().unwrap();
        let mut toml = BASE_TOML.to_owned();
        for (from, to) in edits {
            assert!(
                toml.contains(from),
                "edit target {from:?} not in the base TOML"
            );
            toml = toml.replacen(from, to, 1);
        }
        fs::write(dir.path().join("scenario.toml"), toml).unwrap();
        fs::write(dir.path().join("roster.csv"), BASE_ROSTER).unwrap();
        fs::write(dir.path().join("profile.csv"), BASE_PROFILE).unwrap();
        for (name, content) in files {
            fs::write(dir.path().join(name), content).unwrap();
        }
        Case { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("scenario.toml")
    }

    fn load(&self) -> Result<Scenario, ScenarioError> {
        load(&self.path())
    }

    fn error(&self) -> String {
        match self.load() {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    }
}

#[test]
fn base_case_loads() {
    let s = Case::new(&[], &[]).load().unwrap();
    assert_eq!(s.groups, vec!["billing".to_owned(), "tech".to_owned()]);
    assert_eq!(s.agents.len(), 2);
    assert_eq!(
        s.agents[0].breaks,
        vec![Break {
            start: SimTime::from_secs(1200),
            length: Millis::from_secs(600)
        }]
    );
    assert_eq!(s.agents[1].shift_end, SimTime::from_secs(4200));
    assert_eq!(s.agents[1].speed_factor, 1.2);
    assert_eq!(s.run.replications, 1);
    assert_eq!(s.run.interval, Millis::from_secs(900));
    assert_eq!(s.run.max_sim_time, Millis::from_secs(42_000));
    assert_eq!(s.thresholds.reply_interval, Some(Millis::from_secs(60)));
    assert_eq!(s.behaviour.log_out, LogOutMode::Finish);
    assert_eq!(s.segments.len(), 1);
    assert_eq!(s.segments[0].name, "default");
    match &s.arrivals {
        Arrivals::Profile { intervals } => {
            assert_eq!(intervals.len(), 2);
            assert_eq!(intervals[1].end, SimTime::from_secs(4200));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn holding_example_parses_into_expected_scenario() {
    let s = load(&bundled("mmc.toml")).unwrap();
    let end = SimTime::from_secs(363_600);
    let agents: Vec<AgentSpec> = (1..=100)
        .map(|i| AgentSpec {
            name: format!("A{i:03}"),
            group: 0,
            max_sessions: 1,
            shift_start: SimTime::ZERO,
            shift_end: end,
            breaks: vec![],
            speed_factor: 1.0,
            skills: vec![Skill {
                queue: QueueId(0),
                level: 1,
            }],
        })
        .collect();
    let expected = Scenario {
        run: RunSpec {
            horizon: Millis::from_secs(360_000),
            warmup: Millis::from_secs(3600),
            replications: 8,
            seed: 7,
            service_level_threshold: Millis::from_secs(20),
            reply_target: Millis::from_secs(60),
            interval: Millis::from_secs(900),
            max_events: 2_000_000_000,
            max_sim_time: Millis::from_secs(3_636_000),
            clock: Default::default(),
        },
        arrivals: Arrivals::Poisson {
            rate_per_hour: 5880.0,
        },
        segments: vec![Segment {
            name: "default".into(),
            share: 1.0,
            patience: Some(Dist::Exponential { mean: 120.0 }),
            messages: Dist::Constant { value: 1.0 },
            think_time: Dist::Constant { value: 0.0 },
            silent_prob: 0.0,
            queue: QueueId(0),
        }],
        sessions: SessionModel::Holding {
            holding_time: Dist::Exponential { mean: 60.0 },
        },
        groups: vec!["all".into()],
        agents,
        behaviour: AgentBehaviour {
            reply_time: Dist::Constant { value: 0.0 },
            load_slowdown: 0.0,
            overlook_prob: 0.0,
            reaction_time: Dist::Constant { value: 0.0 },
            overlook_delay: Dist::Constant { value: 600.0 },
            aux: None,
            log_out: LogOutMode::Finish,
        },
        thresholds: Thresholds {
            reply_interval: None,
            message_interval: None,
            repeat_reminders: true,
            reminder_cap: None,
        },
        routing: RoutingRule::LeastLoaded,
        staffing: Default::default(),
        about: Default::default(),
        targets: vec![],
        switches: Default::default(),
        preset: None,
        queues: vec![Queue::default_queue()],
    };
    assert_eq!(s, expected);
}

#[test]
fn default_scenario_is_a_plausible_day() {
    let s = load(&bundled("default.toml")).unwrap();
    // The desk opens empty at 08:00: no warm-up, no forecast before the opening.
    assert_eq!(s.run.warmup, Millis::ZERO);
    assert_eq!(s.run.clock.origin_s(), 8.0 * 3600.0);
    assert_eq!(s.run.horizon, Millis::from_secs(43_200));
    assert_eq!((s.run.replications, s.run.seed), (8, 42));
    assert_eq!(s.groups, vec!["billing", "tech", "general"]);
    assert!((40..=60).contains(&s.agents.len()));
    assert_eq!(s.sessions, SessionModel::Turns);
    assert_eq!(
        s.segments
            .iter()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>(),
        ["quick", "complex"]
    );
    assert!(s.segments.iter().all(|g| g.silent_prob == 0.05));
    for a in &s.agents {
        assert!((2..=4).contains(&a.max_sessions), "{}", a.name);
        assert!((0.8..=1.3).contains(&a.speed_factor), "{}", a.name);
        assert!(!a.breaks.is_empty() && a.breaks.len() <= 3, "{}", a.name);
    }
    // The first shift (07:30 in the roster) is logged in at the opening, the epoch; the
    // last ends at the run's end (20:00).
    assert_eq!(s.agents[0].shift_start, SimTime::ZERO);
    assert_eq!(
        s.agents.last().unwrap().shift_end,
        SimTime::from_secs(43_200)
    );
    let Arrivals::Profile { intervals } = &s.arrivals else {
        panic!("profile expected")
    };
    // 08:00–20:00 in 15 minutes: 48 intervals.
    assert_eq!(intervals.len(), 48);
    assert_eq!(intervals[0].start, SimTime::ZERO);
    assert_eq!(intervals.last().unwrap().end, SimTime::from_secs(43_200));
    let peak = intervals
        .iter()
        .map(|i| i.rate_per_hour)
        .fold(0.0, f64::max);
    // Plausible for a desk of this size; the lead tunes the exact load.
    assert!((300.0..=1500.0).contains(&peak), "peak {peak}");
}

fn round_trip(s: &Scenario) {
    let text = to_resolved_toml(s);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("resolved.toml");
    fs::write(&path, &text).unwrap();
    let back = load(&path).unwrap_or_else(|e| panic!("{e}\n--- resolved text ---\n{text}"));
    assert_eq!(&back, s, "resolved text:\n{text}");
    // And the resolved text of the copy is the same text.
    assert_eq!(to_resolved_toml(&back), text);
}

#[test]
fn resolved_toml_round_trips_bundled_scenarios() {
    round_trip(&load(&bundled("default.toml")).unwrap());
    round_trip(&load(&bundled("mmc.toml")).unwrap());
}

#[test]
fn resolved_toml_round_trips_every_input_form() {
    let case = Case::new(
        &[
            ("kind = \"profile\"\nfile = \"profile.csv\"", "kind = \"trace\"\nfile = \"trace.csv\""),
            ("think_time = { dist = \"exponential\", mean_s = 30 }", "think_time = { dist = \"empirical\", file = \"think.csv\" }"),
            ("seed = 3", "seed = \"18446744073709551615\"\nservice_level_threshold_s = 0.3333\nclock_origin = \"00:00:00.5\""),
            ("message_interval_s = 300", "message_interval_s = \"off\"\nreminder_cap = 3\nrepeat_reminders = false"),
        ],
        &[
            ("trace.csv", "time\n00:00:00.5\n0.7\n1.123456\n1.123456\n3000\n5000\n"),
            ("think.csv", "sample\n0.1\n2.5\n1e-3\n3.14159265358979\n"),
        ],
    );
    let s = case.load().unwrap();
    assert_eq!(s.run.seed, u64::MAX);
    let Arrivals::Trace { times } = &s.arrivals else {
        panic!()
    };
    // Clock origin 0.5 s: "00:00:00.5" is the epoch; 5000 s is past the end and dropped.
    assert_eq!(
        times,
        &[
            SimTime::ZERO,
            SimTime::from_millis(200),
            SimTime::from_millis(623),
            SimTime::from_millis(623),
            SimTime::from_millis(2_999_500)
        ]
    );
    round_trip(&s);

    let mut s2 = s.clone();
    s2.arrivals = Arrivals::Profile {
        intervals: vec![
            ProfileInterval {
                start: SimTime::ZERO,
                end: SimTime::from_millis(1_000_001),
                rate_per_hour: 0.1 + 0.2,
                aht: None,
            },
            ProfileInterval {
                start: SimTime::from_millis(1_000_001),
                end: SimTime::from_millis(4_200_000),
                rate_per_hour: 1e-7,
                aht: None,
            },
        ],
    };
    s2.sessions = SessionModel::Turns;
    s2.segments[0].messages = Dist::Erlang { k: 3, mean: 4.7 };
    s2.segments[0].patience = None;
    s2.segments.push(Segment {
        name: "x \"quoted\"".into(),
        share: 0.0,
        ..s2.segments[0].clone()
    });
    s2.segments[0].share = 1.0;
    s2.segments[0].patience = Some(Dist::Weibull {
        shape: 0.7,
        scale: 1.0 / 3.0,
    });
    s2.segments[1].share = 0.0; // becomes invalid: give the shares a valid split
    s2.segments[0].share = 0.7;
    s2.segments[1].share = 0.30000000000000004;
    s2.behaviour.aux = Some(AuxPeriods {
        gap: Dist::Gamma {
            shape: 2.0,
            scale: 1800.0,
        },
        length: Dist::Uniform {
            low: 60.0,
            high: 120.5,
        },
    });
    s2.behaviour.log_out = LogOutMode::HandBack;
    s2.behaviour.overlook_delay = Dist::Normal {
        mean: 100.0,
        sd: 30.0,
    };
    s2.routing = RoutingRule::LowestLoadRatio;
    s2.run.max_events = u64::MAX;
    round_trip(&s2);

    // A forecast's AHTs (holding model) and its first date round-trip too; an interval
    // without an AHT stays without.
    let mut s3 = s.clone();
    s3.sessions = SessionModel::Holding {
        holding_time: Dist::LogNormal {
            mean: 240.0,
            sd: 120.0,
        },
    };
    s3.thresholds = Thresholds {
        reply_interval: None,
        message_interval: None,
        repeat_reminders: true,
        reminder_cap: None,
    };
    s3.run.clock = crate::clock::Clock::new(8 * 3_600_000, Some(jiff::civil::date(2026, 12, 7)));
    s3.arrivals = Arrivals::Profile {
        intervals: vec![
            ProfileInterval {
                start: SimTime::ZERO,
                end: SimTime::from_millis(1_800_000),
                rate_per_hour: 120.0,
                aht: Some(Millis::from_millis(312_500)),
            },
            ProfileInterval {
                start: SimTime::from_millis(1_800_000),
                end: SimTime::from_millis(4_200_000),
                rate_per_hour: 0.0,
                aht: None,
            },
        ],
    };
    round_trip(&s3);
    assert!(to_resolved_toml(&s3).contains("aht_s = 312.5"));
}

#[test]
fn inline_forms_equal_file_forms() {
    let from_files = Case::new(&[], &[]).load().unwrap();
    let inline = Case::new(
        &[
            ("file = \"profile.csv\"", "intervals = [\n  { start = \"00:00\", end = \"00:30\", rate_per_hour = 100 },\n  { start = 1800, end = 4200, volume = 80 },\n]"),
            (
                "roster = \"roster.csv\"",
                "roster = [\n  { id = \"A001\", group = \"billing\", max_sessions = 2, shift_start = \"00:00\", shift_end = \"01:10\", breaks = \"00:20+10m\" },\n  { id = \"A002\", group = \"tech\", max_sessions = 3, shift_start = 0, shift_end = 4200, speed_factor = 1.2 },\n]",
            ),
        ],
        &[],
    )
    .load()
    .unwrap();
    assert_eq!(from_files, inline);
}

#[test]
fn overrides_set_fields_before_the_checks() {
    let path = bundled("default.toml");
    let o = |p: &str, v: &str| Override {
        path: p.into(),
        value: parse_override_value(v),
    };
    let s = load_with_overrides(
        &path,
        &[
            o("thresholds.reply_interval_s", "30"),
            o("run.seed", "9"),
            o("customers.segments[1].share", "0.25"),
            o("customers.segments.0.share", "0.75"),
            o("routing.rule", "round_robin"),
            o("agents.behaviour.log_out", "hand_back"),
        ],
    )
    .unwrap();
    assert_eq!(s.thresholds.reply_interval, Some(Millis::from_secs(30)));
    assert_eq!(s.run.seed, 9);
    assert_eq!((s.segments[0].share, s.segments[1].share), (0.75, 0.25));
    assert_eq!(s.routing, RoutingRule::RoundRobin);
    assert_eq!(s.behaviour.log_out, LogOutMode::HandBack);

    let s = load_with_overrides(
        &bundled("mmc.toml"),
        &[o("agents.count", "12"), o("run.replications", "2")],
    )
    .unwrap();
    assert_eq!((s.agents.len(), s.run.replications), (12, 2));
    // A table missing from the file is created.
    let s = load_with_overrides(&path, &[o("thresholds.reminder_cap", "2")]).unwrap();
    assert_eq!(s.thresholds.reminder_cap, Some(2));
    let s = load_with_overrides(&path, &[o("thresholds.message_interval_s", "off")]).unwrap();
    assert_eq!(s.thresholds.message_interval, None);

    let err = |ovs: &[Override]| load_with_overrides(&path, ovs).unwrap_err().to_string();
    let e = err(&[o("thresholds.reply_intervl_s", "30")]);
    assert!(
        e.contains("default.toml")
            && e.contains("thresholds.reply_intervl_s")
            && e.contains("unknown field")
            && e.contains("did you mean `thresholds.reply_interval_s`?"),
        "{e}"
    );
    // A misspelt table is laid at its own segment; a distant name gets no suggestion.
    let e = err(&[o("threshold.reply_interval_s", "30")]);
    assert!(
        e.contains("did you mean `thresholds.reply_interval_s`?"),
        "{e}"
    );
    let e = err(&[o("thresholds[0].colour", "1")]);
    assert!(!e.contains("did you mean"), "{e}");
    let e = err(&[o("run.seed.x", "1")]);
    assert!(e.contains("run.seed.x") && e.contains("42"), "{e}");
    let e = err(&[o("customers.segments.7.share", "1")]);
    assert!(e.contains("out of range"), "{e}");
    let e = err(&[o("run.replications", "many")]);
    assert!(e.contains("run.replications") && e.contains("many"), "{e}");
    // Values are checked by the same rules as the file's, naming the field.
    let e = err(&[o("thresholds.reply_interval_s", "-5")]);
    assert!(
        e.contains("field `thresholds.reply_interval_s`") && e.contains("-5"),
        "{e}"
    );
}

/// `agents.max_sessions_all` sets every agent's cap over the roster's own caps (the
/// bundled roster has 2, 3 and 4), and a roster cell left empty takes it too.
#[test]
fn max_sessions_all_caps_every_agent_of_a_roster() {
    let o = |v: &str| Override {
        path: "agents.max_sessions_all".into(),
        value: parse_override_value(v),
    };
    let path = bundled("default.toml");
    let own = load(&path).unwrap();
    for cap in [2, 3] {
        let s = load_with_overrides(&path, &[o(&cap.to_string())]).unwrap();
        assert_eq!(s.agents.len(), own.agents.len());
        assert!(s.agents.iter().all(|a| a.max_sessions == cap));
        // Nothing else moves: with the caps put back, it is the scenario as written.
        let mut back = s.clone();
        for (a, b) in back.agents.iter_mut().zip(&own.agents) {
            a.max_sessions = b.max_sessions;
        }
        assert_eq!(back, own);
    }
    let empty_cell = Case::new(
        &[],
        &[(
            "roster.csv",
            "id,max_sessions,shift_start,shift_end\nA1,,0,100\nA2,5,0,100\n",
        )],
    );
    let s = load_with_overrides(&empty_cell.path(), &[o("4")]).unwrap();
    assert_eq!(
        s.agents.iter().map(|a| a.max_sessions).collect::<Vec<_>>(),
        [4, 4]
    );
    let e = load_with_overrides(&path, &[o("65")])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("field `agents.max_sessions_all`") && e.contains("65") && e.contains("64"),
        "{e}"
    );
}

#[test]
fn override_values_parse_as_toml_scalars() {
    assert_eq!(parse_override_value("30"), toml::Value::Integer(30));
    assert_eq!(parse_override_value("0.5"), toml::Value::Float(0.5));
    assert_eq!(parse_override_value("true"), toml::Value::Boolean(true));
    assert_eq!(
        parse_override_value("off"),
        toml::Value::String("off".into())
    );
    assert_eq!(
        parse_override_value("07:30"),
        toml::Value::String("07:30".into())
    );
    assert_eq!(
        parse_override_value("\"a b\""),
        toml::Value::String("a b".into())
    );
    assert!(matches!(
        parse_override_value("[1, 2]"),
        toml::Value::Array(_)
    ));
    assert_eq!(
        Override::parse("run.seed=5").unwrap().value,
        toml::Value::Integer(5)
    );
}

/// Each bad input, and the pieces its message must contain (file, field or line, value).
#[test]
fn every_bad_input_names_file_place_and_value() {
    let cases: Vec<(&str, Case, &[&str])> = vec![
        ("unknown field", Case::new(&[("seed = 3", "seed = 3\nhorizn = 5")], &[]), &["scenario.toml", "line 6", "column 1", "horizn"]),
        ("syntax error", Case::new(&[("seed = 3", "seed = = 3")], &[]), &["scenario.toml", "line 5"]),
        ("unknown dist", Case::new(&[("dist = \"exponential\", mean_s = 120", "dist = \"expo\", mean_s = 120")], &[]), &["scenario.toml", "line 15", "expo"]),
        ("negative interval", Case::new(&[("reply_interval_s = 60", "reply_interval_s = -5")], &[]), &["scenario.toml", "field `thresholds.reply_interval_s`", "-5", "> 0", "\"off\""]),
        ("zero horizon", Case::new(&[("horizon_s = 3600", "horizon_s = 0")], &[]), &["field `run.horizon_s`", "value 0"]),
        ("NaN patience", Case::new(&[("mean_s = 120", "mean_s = nan")], &[]), &["field `customers.patience.mean_s`", "NaN"]),
        ("count with _s", Case::new(&[("mean = 4, sd = 2", "mean_s = 4, sd = 2")], &[]), &["field `customers.messages.mean_s`", "without the _s"]),
        ("duration without _s", Case::new(&[("mean_s = 30 }", "mean = 30 }")], &[]), &["field `customers.think_time.mean`", "mean_s"]),
        ("param not of dist", Case::new(&[("mean_s = 120", "mean_s = 120, sd_s = 3")], &[]), &["field `customers.patience.sd_s`", "exponential"]),
        ("negative sd", Case::new(&[("sd_s = 10", "sd_s = -1")], &[]), &["field `agents.behaviour.reply_time.sd_s`", "-1"]),
        ("erlang k 0", Case::new(&[("dist = \"exponential\", mean_s = 120", "dist = \"erlang\", k = 0, mean_s = 120")], &[]), &["field `customers.patience.k`", "0"]),
        ("uniform low > high", Case::new(&[("dist = \"exponential\", mean_s = 120", "dist = \"uniform\", low_s = 9, high_s = 3")], &[]), &["field `customers.patience.high_s`", "3"]),
        ("empty samples", Case::new(&[("dist = \"exponential\", mean_s = 120", "dist = \"empirical\", samples_s = []")], &[]), &["field `customers.patience.samples_s`", "empty"]),
        ("negative sample", Case::new(&[("dist = \"exponential\", mean_s = 120", "dist = \"empirical\", samples_s = [1, -2]")], &[]), &["field `customers.patience.samples_s[1]`", "-2"]),
        ("bad sample file", Case::new(&[("dist = \"exponential\", mean_s = 120", "dist = \"empirical\", file = \"s.csv\"")], &[("s.csv", "1\n2\nx\n")]), &["s.csv line 3", "\"x\""]),
        ("probability", Case::new(&[("silent_prob = 0.05", "silent_prob = 1.5")], &[]), &["field `customers.silent_prob`", "1.5", "between 0 and 1"]),
        ("zero rate", Case::new(&[("kind = \"profile\"\nfile = \"profile.csv\"", "kind = \"poisson\"\nrate_per_hour = 0")], &[]), &["field `arrivals.rate_per_hour`", "value 0"]),
        ("infinite rate", Case::new(&[("kind = \"profile\"\nfile = \"profile.csv\"", "kind = \"poisson\"\nrate_per_hour = inf")], &[]), &["field `arrivals.rate_per_hour`", "inf"]),
        ("rate over max_events", Case::new(&[("kind = \"profile\"\nfile = \"profile.csv\"", "kind = \"poisson\"\nrate_per_hour = 1e6"), ("seed = 3", "seed = 3\nmax_events = 1000")], &[]), &["field `run.max_events`", "1000", "raise run.max_events"]),
        ("replications 0", Case::new(&[("seed = 3", "seed = 3\nreplications = 0")], &[]), &["field `run.replications`", "value 0"]),
        ("interval 0", Case::new(&[("seed = 3", "seed = 3\ninterval_s = 0")], &[]), &["field `run.interval_s`", "value 0"]),
        ("thresholds on holding", Case::new(&[("model = \"turns\"", "model = \"holding\"\nholding_time = { dist = \"constant\", value_s = 5 }")], &[]), &["field `thresholds`", "holding"]),
        ("missing roster file", Case::new(&[("roster.csv", "nope.csv")], &[]), &["nope.csv", "cannot read"]),
        ("empty roster", Case::new(&[], &[("roster.csv", "id,group,max_sessions,shift_start,shift_end,breaks,speed_factor\n")]), &["roster.csv line 1", "no agents"]),
        ("duplicate id", Case::new(&[], &[("roster.csv", "id,group,max_sessions,shift_start,shift_end\nA001,g,2,0,100\n# comment\nA001,g,2,0,100\n")]), &["roster.csv line 4", "duplicate agent id \"A001\"", "line 2"]),
        ("max_sessions 0", Case::new(&[], &[("roster.csv", "id,max_sessions,shift_start,shift_end\nA1,0,0,100\n")]), &["roster.csv line 2", "max_sessions", "value 0"]),
        ("max_sessions 65", Case::new(&[], &[("roster.csv", "id,max_sessions,shift_start,shift_end\nA1,65,0,100\n")]), &["roster.csv line 2", "value 65", "64"]),
        ("max_sessions text", Case::new(&[], &[("roster.csv", "id,max_sessions,shift_start,shift_end\nA1,two,0,100\n")]), &["roster.csv line 2", "\"two\""]),
        ("shift end before start", Case::new(&[], &[("roster.csv", "id,max_sessions,shift_start,shift_end\nA1,1,00:30,00:10\n")]), &["roster.csv line 2", "shift_end", "00:10:00"]),
        ("shift after the run", Case::new(&[], &[("roster.csv", "id,max_sessions,shift_start,shift_end\nA1,1,02:00,03:00\n")]), &["roster.csv line 2", "shift_start", "02:00:00"]),
        ("bad clock", Case::new(&[], &[("roster.csv", "id,max_sessions,shift_start,shift_end\nA1,1,8:3,03:00\n")]), &["roster.csv line 2", "shift_start", "\"8:3\""]),
        ("overlapping breaks", Case::new(&[], &[("roster.csv", "id,max_sessions,shift_start,shift_end,breaks\nA1,1,0,01:00,00:10+15m;00:20+5m\n")]), &["roster.csv line 2", "breaks", "00:20:00"]),
        ("break outside shift", Case::new(&[], &[("roster.csv", "id,max_sessions,shift_start,shift_end,breaks\nA1,1,00:10,01:00,00:05+5m\n")]), &["roster.csv line 2", "breaks", "outside the shift"]),
        ("break without unit", Case::new(&[], &[("roster.csv", "id,max_sessions,shift_start,shift_end,breaks\nA1,1,00:10,01:00,00:15+5\n")]), &["roster.csv line 2", "breaks", "\"5\""]),
        ("speed 0", Case::new(&[], &[("roster.csv", "id,max_sessions,shift_start,shift_end,speed_factor\nA1,1,0,100,0\n")]), &["roster.csv line 2", "speed_factor", "value 0"]),
        ("wrong column count", Case::new(&[], &[("roster.csv", "id,max_sessions,shift_start,shift_end\nA1,1,0\n")]), &["roster.csv line 2", "3 fields, expected 4"]),
        ("unknown column", Case::new(&[], &[("roster.csv", "id,max_sessions,shift_start,shift_end,skill\nA1,1,0,100,x\n")]), &["roster.csv line 1", "\"skill\""]),
        ("profile short", Case::new(&[], &[("profile.csv", "start,end,rate_per_hour\n00:00,01:00,100\n")]), &["profile.csv line 2", "01:00:00", "01:10:00"]),
        ("profile late start", Case::new(&[], &[("profile.csv", "start,end,rate_per_hour\n00:05,01:10,100\n")]), &["profile.csv line 2", "00:05:00"]),
        ("profile gap", Case::new(&[], &[("profile.csv", "start,end,rate_per_hour\n00:00,00:30,100\n00:40,01:10,100\n")]), &["profile.csv line 3", "gap", "00:30:00"]),
        ("profile unsorted", Case::new(&[], &[("profile.csv", "start,end,rate_per_hour\n00:30,01:10,100\n00:00,00:30,100\n")]), &["profile.csv line 3", "overlaps"]),
        ("profile bad number", Case::new(&[], &[("profile.csv", "start,end,rate_per_hour\n00:00,01:10,lots\n")]), &["profile.csv line 2", "\"lots\""]),
        ("profile negative rate", Case::new(&[], &[("profile.csv", "start,end,rate_per_hour\n00:00,01:10,-3\n")]), &["profile.csv line 2", "-3"]),
        ("trace unsorted", Case::new(&[("kind = \"profile\"\nfile = \"profile.csv\"", "kind = \"trace\"\nfile = \"t.csv\"")], &[("t.csv", "10\n20\n15\n")]), &["t.csv line 3", "not sorted", "00:00:15"]),
        ("trace empty", Case::new(&[("kind = \"profile\"\nfile = \"profile.csv\"", "kind = \"trace\"\nfile = \"t.csv\"")], &[("t.csv", "time\n")]), &["t.csv line 1", "no arrival times"]),
        ("shares", Case::new(&[("silent_prob = 0.05", "silent_prob = 0.05\n\n[[customers.segments]]\nname = \"a\"\nshare = 0.5\n\n[[customers.segments]]\nname = \"b\"\nshare = 0.4")], &[]), &["field `customers.segments`", "0.9", "sum to 1"]),
        // Distributions whose parameters are each valid but which no run could use.
        ("mean over the limit", Case::new(&[("mean_s = 120", "mean_s = 1e8")], &[]), &["field `customers.patience`", "100000000 s", "limit of 10000000 s"]),
        ("draws round to 0 ms", Case::new(&[("sd_s = 10", "sd_s = 1e200")], &[]), &["field `agents.behaviour.reply_time.sd_s`", "too skewed", "rounds to 0 ms", "at most 2000"]),
        ("gamma shape 1e-9", Case::new(&[("dist = \"exponential\", mean_s = 30", "dist = \"gamma\", shape = 1e-9, scale_s = 30")], &[]), &["field `customers.think_time.shape`", "too skewed", "0.0001"]),
        ("weibull shape 0.05", Case::new(&[("dist = \"exponential\", mean_s = 30", "dist = \"weibull\", shape = 0.05, scale_s = 1")], &[]), &["field `customers.think_time.shape`", "too skewed", "0.13"]),
        ("uniform 1e300", Case::new(&[("dist = \"exponential\", mean_s = 120", "dist = \"uniform\", low_s = 0, high_s = 1e300")], &[]), &["field `customers.patience`", "5e299 s", "limit"]),
        ("messages over the limit", Case::new(&[("mean = 4, sd = 2", "mean = 1e5, sd = 2")], &[]), &["field `customers.messages`", "limit of 10000 per chat"]),
        ("sample over 1e12", Case::new(&[("dist = \"exponential\", mean_s = 120", "dist = \"empirical\", file = \"s.csv\"")], &[("s.csv", "1\n2e12\n")]), &["s.csv line 2", "too large"]),
        ("reply slowed past the limit", Case::new(&[], &[("roster.csv", "id,max_sessions,shift_start,shift_end,speed_factor\nA1,1,0,100,1e9\n")]), &["field `agents.behaviour.reply_time`", "× 1000000000"]),
        ("aux gap under the floor", Case::new(&[("sd_s = 10 }", "sd_s = 10 }\naux = { gap = { dist = \"exponential\", mean_s = 5 }, length = { dist = \"constant\", value_s = 60 } }")], &[]), &["field `agents.behaviour.aux.gap`", "floor of 60 s"]),
        ("aux length under the floor", Case::new(&[("sd_s = 10 }", "sd_s = 10 }\naux = { gap = { dist = \"exponential\", mean_s = 600 }, length = { dist = \"constant\", value_s = 0.5 } }")], &[]), &["field `agents.behaviour.aux.length`", "floor of 1 s"]),
        ("aux over max_events", Case::new(&[("sd_s = 10 }", "sd_s = 10 }\naux = { gap = { dist = \"constant\", value_s = 60 }, length = { dist = \"constant\", value_s = 1 } }"), ("seed = 3", "seed = 3\nmax_events = 400")], &[]), &["field `run.max_events`", "aux periods"]),
        ("run past the longest duration", Case::new(&[("horizon_s = 3600", "horizon_s = 1e12"), ("seed = 3", "seed = 3\ninterval_s = 1e8")], &[]), &["field `run.horizon_s`", "longest duration"]),
        // Files that are not regular files.
        ("roster is a directory", Case::new(&[("roster.csv", ".")], &[]), &["field `agents.roster`", "a directory, not a regular file"]),
        ("roster is a device", Case::new(&[("roster.csv", "/dev/null")], &[]), &["field `agents.roster`", "a character device, not a regular file"]),
    ];
    for (name, case, want) in cases {
        let msg = case.error();
        eprintln!("[{name}] {msg}");
        assert!(
            msg.contains("scenario.toml") || msg.contains(".csv"),
            "{name}: no file in:\n{msg}"
        );
        for w in want {
            assert!(msg.contains(w), "{name}: message lacks {w:?}:\n{msg}");
        }
    }
}

#[test]
fn a_missing_scenario_names_the_path_and_os_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.toml");
    let e = load(&path).unwrap_err();
    assert!(matches!(e, ScenarioError::Read { .. }));
    let msg = e.to_string();
    assert!(
        msg.contains("absent.toml") && msg.contains("No such file"),
        "{msg}"
    );
}

#[test]
fn shifts_and_profiles_are_clipped_to_the_run() {
    let s = Case::new(
        &[("seed = 3", "seed = 3\nclock_origin = \"08:00\"")],
        &[
            ("roster.csv", "id,max_sessions,shift_start,shift_end,breaks\nA1,1,07:00,12:00,07:30+1h;09:00+15m\n"),
            ("profile.csv", "start,end,volume\n00:00,08:30,850\n08:30,24:00,15500\n"),
        ],
    )
    .load()
    .unwrap();
    let a = &s.agents[0];
    assert_eq!(
        (a.shift_start, a.shift_end),
        (SimTime::ZERO, SimTime::from_secs(4200))
    );
    // 07:30–08:30 is cut to its part inside the run; 09:00 is 1 h after the epoch.
    assert_eq!(
        a.breaks,
        vec![
            Break {
                start: SimTime::ZERO,
                length: Millis::from_secs(1800)
            },
            // 09:00+15m is cut at the run's end, 09:10.
            Break {
                start: SimTime::from_secs(3600),
                length: Millis::from_secs(600)
            },
        ]
    );
    let Arrivals::Profile { intervals } = &s.arrivals else {
        panic!()
    };
    assert_eq!(intervals.len(), 2);
    assert_eq!(
        (intervals[0].start, intervals[0].end),
        (SimTime::ZERO, SimTime::from_secs(1800))
    );
    assert_eq!(intervals[0].rate_per_hour, 100.0);
    assert_eq!(intervals[1].rate_per_hour, 1000.0);
    assert_eq!(intervals[1].end, SimTime::from_secs(4200));
}

/// A FIFO as the scenario or as a file it names is refused at once, not read (reading
/// would block until some process wrote to it).
#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let e = load(&fifo).unwrap_err().to_string();
    assert!(
        e.contains("pipe.toml: cannot read the file: it is a FIFO (named pipe)"),
        "{e}"
    );
    let case = Case::new(&[("roster.csv", "pipe.toml")], &[]);
    std::fs::rename(&fifo, case.dir.path().join("pipe.toml")).unwrap();
    let e = case.error();
    assert!(
        e.contains("field `agents.roster`") && e.contains("a FIFO (named pipe)"),
        "{e}"
    );
}

/// A seed above 2⁶³ − 1 comes in as the decimal string the CLI passes for it.
#[test]
fn the_largest_seed_loads_from_its_decimal_string() {
    let case = Case::new(&[("seed = 3", "seed = \"18446744073709551615\"")], &[]);
    assert_eq!(case.load().unwrap().run.seed, u64::MAX);
    let path = case.path();
    let o = Override {
        path: "run.seed".into(),
        value: toml::Value::String("9223372036854775808".into()),
    };
    assert_eq!(
        load_with_overrides(&path, &[o]).unwrap().run.seed,
        9_223_372_036_854_775_808
    );
}

#[test]
fn an_unknown_toml_key_gets_the_closest_field_suggested() {
    let text = "[run]\nhorizn = 3600\n";
    let e = from_toml_str(text, Path::new("x.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown field `horizn`")
            && e.contains(
                "fix: remove the field or correct its spelling (did you mean `horizon_s`?); \
                 docs/scenario.md lists every field"
            ),
        "{e}"
    );
    let e = from_toml_str("[run]\nflavour = 1\n", Path::new("x.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("fix: remove the field or correct its spelling; docs/scenario.md"),
        "{e}"
    );
}

/// A small desk with `[scenario]` and `[targets]` appended.
fn with_about_and_targets(extra: &str) -> Result<Scenario, ScenarioError> {
    let text = format!(
        "[run]\nhorizon_s = 3600\n\n[arrivals]\nkind = \"poisson\"\nrate_per_hour = 60\n\n\
         [sessions]\nmodel = \"holding\"\nholding_time = {{ dist = \"constant\", value_s = 60 }}\n\n\
         [agents]\ncount = 2\n{extra}"
    );
    from_toml_str(&text, Path::new("x.toml"))
}

#[test]
fn name_description_and_targets_load_in_order_and_round_trip() {
    let s = with_about_and_targets(
        "\n[scenario]\nname = \"  Night desk \"\ndescription = \"\"\"\nTwo agents.\n\n\
         \"Quoted\" and \\\\ escaped.\"\"\"\n\n\
         [targets]\nexpect = [\"service_level=0.8\", \"abandon_ratio < 0.05\", \"asa_s<=20\"]\n",
    )
    .unwrap();
    assert_eq!(s.about.name.as_deref(), Some("Night desk"));
    assert_eq!(
        s.about.description.as_deref(),
        Some("Two agents.\n\n\"Quoted\" and \\ escaped.")
    );
    let texts: Vec<String> = s.targets.iter().map(|t| t.to_string()).collect();
    // A bare `=` takes the metric's better direction; the order is the file's.
    assert_eq!(
        texts,
        ["service_level>=0.8", "abandon_ratio<0.05", "asa_s<=20"]
    );
    round_trip(&s);
    // Neither table: nothing written back, nothing read.
    let bare = with_about_and_targets("").unwrap();
    assert_eq!(
        (bare.about.clone(), bare.targets.len()),
        (About::default(), 0)
    );
    assert!(!to_resolved_toml(&bare).contains("[targets]"));
    assert!(!to_resolved_toml(&bare).contains("[scenario]"));
}

#[test]
fn bad_names_and_targets_name_the_field_the_value_and_the_fix() {
    let err = |extra: &str| with_about_and_targets(extra).unwrap_err().to_string();
    let e = err("\n[targets]\nexpect = [\"service_level>=0.8\", \"servce_level>=0.8\"]\n");
    assert!(
        e.contains("field `targets.expect[1]`")
            && e.contains("unknown metric \"servce_level\"")
            && e.contains("did you mean service_level?"),
        "{e}"
    );
    let e = err("\n[targets]\nexpect = [\"service_level\"]\n");
    assert!(
        e.contains("field `targets.expect[0]`") && e.contains("NAME>=VALUE"),
        "{e}"
    );
    let e = err("\n[targets]\nexpect = [\"routing_decisions_per_s>=1\"]\n");
    assert!(
        e.contains("wall clock") && e.contains("check --expect"),
        "{e}"
    );
    let e = err("\n[scenario]\nname = \"two\\nlines\"\n");
    assert!(
        e.contains("field `scenario.name`") && e.contains("line break"),
        "{e}"
    );
    let e = err(&format!("\n[scenario]\nname = \"{}\"\n", "x".repeat(201)));
    assert!(e.contains("201 characters") && e.contains("200"), "{e}");
}

#[test]
fn the_default_desk_holds_itself_to_three_targets() {
    let s = load(&bundled("default.toml")).unwrap();
    assert!(s
        .about
        .name
        .as_deref()
        .is_some_and(|n| n.contains("08:00–20:00")));
    let texts: Vec<String> = s.targets.iter().map(|t| t.to_string()).collect();
    assert_eq!(
        texts,
        [
            "service_level>=0.8",
            "abandon_ratio<=0.05",
            "late_reply_ratio<=0.2"
        ]
    );
}
