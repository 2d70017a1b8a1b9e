//! Routing throughput: one element = one release (a session picked at random closes, as
//! sessions of random length do) plus one routing decision (a new session request
//! connected by the rule), at steady state, per rule and roster size. Timers are off so that only the service queue and the slot bookkeeping
//! are measured; `engine_events` adds the session timers and turn traffic.

use chatsim::engine::{AgentId, Engine, EngineConfig, RoutingRule, SessionId};
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

criterion_group!(benches, routing, engine_events);
criterion_main!(benches);
