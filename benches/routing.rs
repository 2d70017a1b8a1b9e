//! Routing throughput: one element = one release (a session picked at random closes, as
//! sessions of random length do) plus one routing decision (a new session request
//! connected by the rule), at steady state, per rule and roster size. Timers are off so that only the service queue and the slot bookkeeping
//! are measured; `engine_events` adds the session timers and turn traffic; `multiskill`
//! routes on a desk of 10 queues and 10 000 agents with three skills each.

use chatsim::engine::{
    AgentId, Desk, Engine, EngineConfig, QueueId, QueueSpec, Ring, RoutingRule, SessionId, Skill,
};
use chatsim::time::{Millis, SimTime};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::collections::VecDeque;
use std::hint::black_box;

const BATCH: u64 = 10_000;
const MAX_SESSIONS: u32 = 4;

/// An engine with `agents` agents logged in, each holding about half its cap.
fn desk(rule: RoutingRule, agents: usize, timers: bool) -> (Engine, VecDeque<SessionId>, SimTime) {
    let config = EngineConfig {
        rule,
        reply_interval: timers.then_some(Millis::from_secs(60)),
        // Long enough that a session is never disconnected before the bench comes back to
        // it (it cycles through 2 × agents open sessions, 20 ms apart).
        message_interval: timers.then_some(Millis::from_secs(3600)),
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(config, &vec![MAX_SESSIONS; agents]);
    let mut now = SimTime::ZERO;
    for a in 0..agents {
        engine.handle_log_in(now, AgentId(a as u32)).unwrap();
    }
    let mut open = VecDeque::new();
    let mut draw = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..agents * MAX_SESSIONS as usize / 2 {
        now += Millis::from_millis(1);
        draw = draw.wrapping_mul(6364136223846793005).wrapping_add(1);
        open.push_back(engine.handle_session_request(now, draw).unwrap());
    }
    while engine.poll_event().is_some() {}
    (engine, open, now)
}

fn routing(c: &mut Criterion) {
    let mut group = c.benchmark_group("routing");
    group.throughput(Throughput::Elements(BATCH));
    for rule in RoutingRule::ALL {
        for agents in [10usize, 100, 1_000, 10_000, 100_000] {
            // Built on first use, so a filtered run sets up only the desks it measures.
            let mut state = None;
            let mut draw = 1u64;
            group.bench_with_input(BenchmarkId::new(rule.name(), agents), &agents, |b, _| {
                let (engine, open, now) = state.get_or_insert_with(|| desk(rule, agents, false));
                b.iter(|| {
                    for _ in 0..BATCH {
                        *now += Millis::from_millis(1);
                        draw = draw
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        let i = ((draw >> 32) * open.len() as u64) >> 32;
                        let s = open.swap_remove_back(i as usize).unwrap();
                        engine.handle_customer_close(*now, s).unwrap();
                        open.push_back(engine.handle_session_request(*now, draw).unwrap());
                        while let Some(e) = engine.poll_event() {
                            black_box(e);
                        }
                    }
                })
            });
        }
    }
    group.finish();
}

/// The turn traffic of a session (message, reply) plus its timers, on top of routing.
fn engine_events(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine_events");
    // Per element: close + request + reply + message + reply, and the timers they arm.
    group.throughput(Throughput::Elements(BATCH * 5));
    for agents in [100usize, 10_000] {
        let mut state = None;
        group.bench_with_input(BenchmarkId::from_parameter(agents), &agents, |b, _| {
            let (engine, open, now) =
                state.get_or_insert_with(|| desk(RoutingRule::LeastLoaded, agents, true));
            b.iter(|| {
                for _ in 0..BATCH {
                    *now += Millis::from_millis(20);
                    let s = open.pop_front().unwrap();
                    engine.handle_customer_close(*now, s).unwrap();
                    let s = engine.handle_session_request(*now, 0).unwrap();
                    engine.handle_agent_reply(*now, s).unwrap();
                    engine.handle_customer_message(*now, s).unwrap();
                    engine.handle_agent_reply(*now, s).unwrap();
                    if let Some(t) = engine.poll_timeout() {
                        if t <= *now {
                            engine.handle_timeout(*now).unwrap();
                        }
                    }
                    open.push_back(s);
                    while let Some(e) = engine.poll_event() {
                        black_box(e);
                    }
                }
            })
        });
    }
    group.finish();
}

const QUEUES: u16 = 10;

/// The multi-skill desk: 10 queues, one group of agents per queue (agent `a` is in group
/// `a % 10`) with its own queue's skill at level 2 and two cross-skills at level 1 (the
/// next queue and the one three on), so every agent sits in three rule structures. Each
/// queue's first ring admits its skill from level 1 (its own group first, by level), its
/// second overflows to the skill five queues on after 60 s; queue 0 has priority 1 and
/// ages one point a minute.
fn multiskill_desk(agents: usize) -> Desk {
    let queues = (0..QUEUES)
        .map(|q| QueueSpec {
            priority: if q == 0 { 1.0 } else { 0.0 },
            aging_per_min: if q == 0 { 1.0 } else { 0.0 },
            rings: vec![
                Ring {
                    after: Millis::ZERO,
                    skill: QueueId(q),
                    min_level: 1,
                },
                Ring {
                    after: Millis::from_secs(60),
                    skill: QueueId((q + 5) % QUEUES),
                    min_level: 1,
                },
            ],
        })
        .collect();
    let skills = (0..agents)
        .map(|a| {
            let g = (a % QUEUES as usize) as u16;
            vec![
                Skill {
                    queue: QueueId(g),
                    level: 2,
                },
                Skill {
                    queue: QueueId((g + 1) % QUEUES),
                    level: 1,
                },
                Skill {
                    queue: QueueId((g + 3) % QUEUES),
                    level: 1,
                },
            ]
        })
        .collect();
    Desk { queues, skills }
}

/// The multi-skill desk logged in, with `per_agent` sessions of random queues each on
/// average (of a cap of 4): 2 leaves room everywhere (every request connects at once,
/// customer picks agent); 4 fills it, and 1 000 more customers wait, so every close is
/// an agent picking a queue's head.
fn multiskill_state(
    rule: RoutingRule,
    agents: usize,
    per_agent: usize,
) -> (Engine, VecDeque<SessionId>, SimTime) {
    let config = EngineConfig {
        rule,
        reply_interval: None,
        message_interval: None,
        ..EngineConfig::default()
    };
    let desk = multiskill_desk(agents);
    let mut engine = Engine::with_desk(config, &vec![MAX_SESSIONS; agents], &desk);
    let mut now = SimTime::ZERO;
    for a in 0..agents {
        engine.handle_log_in(now, AgentId(a as u32)).unwrap();
    }
    let mut open = VecDeque::new();
    let mut draw = 0x9E37_79B9_7F4A_7C15u64;
    let extra = if per_agent >= MAX_SESSIONS as usize {
        1_000
    } else {
        0
    };
    for _ in 0..agents * per_agent + extra {
        now += Millis::from_millis(1);
        draw = draw.wrapping_mul(6364136223846793005).wrapping_add(1);
        let q = QueueId(((draw >> 33) % QUEUES as u64) as u16);
        open.push_back(engine.handle_session_request_in(now, q, draw).unwrap());
    }
    while engine.poll_event().is_some() {}
    (engine, open, now)
}

/// Routing on the multi-skill desk: one element = a random session (connected or, on the
/// full desk, maybe waiting) closed or abandoned, plus a request in a random queue.
fn multiskill(c: &mut Criterion) {
    let mut group = c.benchmark_group("multiskill");
    group.throughput(Throughput::Elements(BATCH));
    let agents = 10_000;
    let cases = RoutingRule::ALL.iter().map(|&r| (r, 2, "room")).chain([(
        RoutingRule::LeastLoaded,
        4,
        "full",
    )]);
    for (rule, per_agent, load) in cases {
        let mut state = None;
        let mut draw = 1u64;
        let id = BenchmarkId::new(format!("{}/{load}", rule.name()), agents);
        group.bench_with_input(id, &agents, |b, _| {
            let (engine, open, now) =
                state.get_or_insert_with(|| multiskill_state(rule, agents, per_agent));
            b.iter(|| {
                for _ in 0..BATCH {
                    *now += Millis::from_millis(1);
                    draw = draw
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let i = ((draw >> 32) * open.len() as u64) >> 32;
                    let s = open.swap_remove_back(i as usize).unwrap();
                    if engine.session_agent(s).is_some() {
                        engine.handle_customer_close(*now, s).unwrap();
                    } else {
                        engine.handle_abandon(*now, s).unwrap();
                    }
                    let q = QueueId(((draw >> 33) % QUEUES as u64) as u16);
                    open.push_back(engine.handle_session_request_in(*now, q, draw).unwrap());
                    if engine.poll_timeout().is_some_and(|t| t <= *now) {
                        engine.handle_timeout(*now).unwrap();
                    }
                    while let Some(e) = engine.poll_event() {
                        black_box(e);
                    }
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, routing, engine_events, multiskill);
criterion_main!(benches);
