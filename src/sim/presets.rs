//! Scenarios built in code, for validation tests, benchmarks and the staffing search.

use crate::dist::Dist;
use crate::engine::{LogOutMode, QueueId, RoutingRule, Skill};
use crate::scenario::{
    AgentBehaviour, AgentSpec, Arrivals, Queue, RunSpec, Scenario, Segment, SessionModel,
    Thresholds,
};
use crate::time::{Millis, SimTime};

/// The classic M/M/c(+M) queue of SPEC B.7: `c` agents of one session each, Poisson
/// arrivals, exponential holding times, exponential patience (`None` = infinite), no timers.
pub fn holding_mmc(
    c: u32,
    rate_per_hour: f64,
    mean_holding_s: f64,
    patience_mean_s: Option<f64>,
    horizon_s: u64,
    warmup_s: u64,
) -> Scenario {
    let end = SimTime::from_secs(warmup_s + horizon_s);
    Scenario {
        run: RunSpec {
            horizon: Millis::from_secs(horizon_s),
            warmup: Millis::from_secs(warmup_s),
            replications: 1,
            seed: 1,
            service_level_threshold: Millis::from_secs(20),
            reply_target: Millis::from_secs(60),
            interval: Millis::from_secs(900),
            max_events: u64::MAX,
            max_sim_time: Millis::from_millis(u64::MAX / 2),
            clock: Default::default(),
        },
        arrivals: Arrivals::Poisson { rate_per_hour },
        segments: vec![Segment {
            name: "default".into(),
            share: 1.0,
            patience: patience_mean_s.map(|mean| Dist::Exponential { mean }),
            messages: Dist::Constant { value: 1.0 },
            think_time: Dist::Constant { value: 0.0 },
            silent_prob: 0.0,
            queue: QueueId(0),
        }],
        sessions: SessionModel::Holding {
            holding_time: Dist::Exponential {
                mean: mean_holding_s,
            },
        },
        groups: vec!["all".into()],
        agents: (0..c)
            .map(|i| AgentSpec {
                name: format!("A{:03}", i + 1),
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
            .collect(),
        behaviour: AgentBehaviour {
            reply_time: Dist::Constant { value: 0.0 },
            load_slowdown: 0.0,
            overlook_prob: 0.0,
            reaction_time: Dist::Constant { value: 0.0 },
            overlook_delay: Dist::Constant { value: 0.0 },
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
        switches: Default::default(),
        preset: None,
        queues: vec![Queue::default_queue()],
        staffing: Default::default(),
        about: Default::default(),
        targets: vec![],
    }
}

/// A turn-by-turn desk for benchmarks: `agents` agents of `max_sessions` each, Poisson
/// arrivals at a rate that keeps them about 80 % busy, reminders and disconnects on.
pub fn turns_desk(agents: u32, max_sessions: u32, horizon_s: u64) -> Scenario {
    let mut sc = holding_mmc(agents, 1.0, 1.0, Some(300.0), horizon_s, 0);
    for a in &mut sc.agents {
        a.max_sessions = max_sessions;
    }
    let seg = &mut sc.segments[0];
    seg.messages = Dist::Uniform {
        low: 2.0,
        high: 8.0,
    };
    seg.think_time = Dist::LogNormal {
        mean: 40.0,
        sd: 40.0,
    };
    seg.silent_prob = 0.05;
    sc.behaviour.reply_time = Dist::LogNormal {
        mean: 30.0,
        sd: 20.0,
    };
    sc.behaviour.overlook_prob = 0.05;
    sc.behaviour.reaction_time = Dist::Exponential { mean: 10.0 };
    sc.behaviour.load_slowdown = 0.1;
    sc.sessions = SessionModel::Turns;
    sc.thresholds = Thresholds {
        reply_interval: Some(Millis::from_secs(60)),
        message_interval: Some(Millis::from_secs(300)),
        repeat_reminders: true,
        reminder_cap: None,
    };
    // A session lasts about 5 turns × (reply 30 s + think 40 s) ≈ 350 s.
    let capacity = (agents * max_sessions) as f64;
    sc.arrivals = Arrivals::Poisson {
        rate_per_hour: 0.8 * capacity * 3600.0 / 350.0,
    };
    sc
}
