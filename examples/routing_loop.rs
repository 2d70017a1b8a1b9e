//! The routing bench's loop alone, for cache profiles under callgrind:
//! `valgrind --tool=callgrind --cache-sim=yes --toggle-collect='*route_loop*'
//!  target/release/examples/routing_loop 100000 200000 [RULE]`. One element = a random
//! open session closed + a new request routed, timers off (as `benches/routing.rs`);
//! RULE is a rule's name (`least_loaded` by default).

use chatsim::engine::{AgentId, Engine, EngineConfig, RoutingRule, SessionId};
use chatsim::time::{Millis, SimTime};
use std::collections::VecDeque;

#[inline(never)]
fn route_loop(engine: &mut Engine, open: &mut VecDeque<SessionId>, now: &mut SimTime, n: u64) {
    let mut draw = 1u64;
    for _ in 0..n {
        *now += Millis::from_millis(1);
        draw = draw
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let i = ((draw >> 32) * open.len() as u64) >> 32;
        let s = open.swap_remove_back(i as usize).unwrap();
        engine.handle_customer_close(*now, s).unwrap();
        open.push_back(engine.handle_session_request(*now, draw).unwrap());
        while engine.poll_event().is_some() {}
    }
}

fn main() {
    let agents: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let ops: u64 = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let rule = std::env::args()
        .nth(3)
        .map_or(RoutingRule::LeastLoaded, |name| {
            *RoutingRule::ALL
                .iter()
                .find(|r| r.name() == name)
                .expect("a rule's name")
        });
    let config = EngineConfig {
        rule,
        reply_interval: None,
        message_interval: None,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(config, &vec![4; agents]);
    let mut now = SimTime::ZERO;
    for a in 0..agents {
        engine.handle_log_in(now, AgentId(a as u32)).unwrap();
    }
    let mut open = VecDeque::new();
    for i in 0..agents * 2 {
        now += Millis::from_millis(1);
        open.push_back(engine.handle_session_request(now, i as u64).unwrap());
    }
    while engine.poll_event().is_some() {}
    route_loop(&mut engine, &mut open, &mut now, ops); // warm
    route_loop(&mut engine, &mut open, &mut now, ops);
    println!("{} routing decisions", engine.stats().routing_decisions);
}
