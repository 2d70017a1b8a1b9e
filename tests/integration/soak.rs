//! A long random soak of the engine: millions of random commands per routing rule, with
//! every invariant of SPEC part A checked after each step (in O(agents + sessions), on a
//! small desk so the check is cheap). 1 million commands per rule by default, 20 million
//! with `CHATSIM_LONG_TESTS=1` (twice the 10 million every run had before the switch);
//! `CHATSIM_SOAK_COMMANDS` sets the count outright (docs/testing.md).

use chatsim::engine::{
    AgentId, AgentRequest, EndReason, Engine, EngineConfig, Event, LogOutMode, RoutingRule,
    SessionId, TriggerEvent,
};
use chatsim::time::{Millis, SimTime};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::HashSet;

fn commands() -> u64 {
    std::env::var("CHATSIM_SOAK_COMMANDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if super::long_tests() {
            20_000_000
        } else {
            1_000_000
        })
}

fn soak(rule: RoutingRule, seed: u64) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let maxes: Vec<u32> = (0..8).map(|_| rng.random_range(1..=4)).collect();
    let config = EngineConfig {
        rule,
        reply_interval: Some(Millis::from_millis(30_000)),
        message_interval: Some(Millis::from_millis(120_000)),
        repeat_reminders: true,
        reminder_cap: Some(5),
        switches: Default::default(),
    };
    let mut e = Engine::new(config, &maxes);
    let mut now = SimTime::ZERO;
    let mut live: Vec<SessionId> = Vec::new();
    let mut ended: HashSet<SessionId> = HashSet::new();
    for a in 0..maxes.len() {
        e.handle_log_in(now, AgentId(a as u32)).unwrap();
    }
    let n = commands();
    for step in 0..n {
        let agent = AgentId(rng.random_range(0..maxes.len() as u32));
        let pick = |rng: &mut Xoshiro256PlusPlus, live: &[SessionId]| {
            (!live.is_empty()).then(|| live[rng.random_range(0..live.len())])
        };
        // Keep the desk near its capacity: past 16 waiting, requests turn into abandons,
        // so the wait queue stays bounded and each invariant check stays cheap.
        let mut roll = rng.random_range(0..100u32);
        if roll < 25 && e.waiting_len() > 16 {
            roll = 72;
        }
        match roll {
            0..=24 => live.push(e.handle_session_request(now, rng.random()).unwrap()),
            25..=39 => {
                if let Some(s) = pick(&mut rng, &live) {
                    let _ = e.handle_customer_message(now, s);
                }
            }
            40..=59 => {
                if let Some(s) = pick(&mut rng, &live) {
                    let _ = e.handle_agent_reply(now, s);
                }
            }
            60..=71 => {
                if let Some(s) = pick(&mut rng, &live) {
                    let _ = e.handle_customer_close(now, s);
                }
            }
            72..=76 => {
                if let Some(s) = pick(&mut rng, &live) {
                    let _ = e.handle_abandon(now, s);
                }
            }
            77..=84 => {
                let trigger = if rng.random_bool(0.5) {
                    TriggerEvent::Busy
                } else {
                    TriggerEvent::Unbusy
                };
                let _ = e.handle_agent_request(now, AgentRequest::from_trigger(trigger, agent));
            }
            85..=87 => e.handle_log_in(now, agent).unwrap(),
            88..=89 => {
                let mode = if rng.random_bool(0.5) {
                    LogOutMode::HandBack
                } else {
                    LogOutMode::Finish
                };
                e.handle_log_out(now, agent, mode).unwrap();
            }
            _ => {
                now += Millis::from_millis(rng.random_range(0..60_000));
                while let Some(t) = e.poll_timeout() {
                    if t > now {
                        break;
                    }
                    e.handle_timeout(t).unwrap();
                    drain(&mut e, &mut live, &mut ended, step);
                }
            }
        }
        drain(&mut e, &mut live, &mut ended, step);
        if let Err(msg) = e.check_invariants() {
            panic!("{} step {step}: {msg}", rule.name());
        }
    }
    assert!(
        ended.len() as u64 > n / 20,
        "the soak ended too few sessions to mean much"
    );
}

fn drain(e: &mut Engine, live: &mut Vec<SessionId>, ended: &mut HashSet<SessionId>, step: u64) {
    while let Some(ev) = e.poll_event() {
        let gone = match ev {
            Event::Ended {
                session, reason, ..
            } => {
                if reason == EndReason::Silence {
                    assert_eq!(e.reply_owed(session), None, "ended session still connected");
                }
                Some(session)
            }
            Event::Abandoned { session, .. } => Some(session),
            Event::ReminderDue { session, .. } => {
                assert_eq!(
                    e.reply_owed(session),
                    Some(true),
                    "step {step}: reminder without owed reply"
                );
                None
            }
            _ => None,
        };
        if let Some(s) = gone {
            assert!(ended.insert(s), "step {step}: {s:?} ended twice");
            let i = live
                .iter()
                .position(|&x| x == s)
                .expect("ended session was live");
            live.swap_remove(i);
        }
    }
}

#[test]
fn soak_least_loaded() {
    soak(RoutingRule::LeastLoaded, 1);
}

#[test]
fn soak_lowest_load_ratio() {
    soak(RoutingRule::LowestLoadRatio, 2);
}

#[test]
fn soak_round_robin() {
    soak(RoutingRule::RoundRobin, 3);
}

#[test]
fn soak_longest_idle() {
    soak(RoutingRule::LongestIdle, 4);
}

#[test]
fn soak_random() {
    soak(RoutingRule::Random, 5);
}
