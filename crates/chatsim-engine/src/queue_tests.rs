//! Queues and skills ([`queues`](crate::queues)): hand-worked traces, the differential
//! tests against the pooled engine, and property tests on random skill matrices.

use super::*;
use crate::tests::{cmd, invariant_cases, random_config, run_engine, switches_of, Cmd};
use crate::time::Millis;
use proptest::prelude::*;

fn skill(queue: u16, level: u8) -> Skill {
    Skill {
        queue: QueueId(queue),
        level,
    }
}

fn ring(after_ms: u64, skill: u16, min_level: u8) -> Ring {
    Ring {
        after: Millis::from_millis(after_ms),
        skill: QueueId(skill),
        min_level,
    }
}

fn queue(priority: f64, aging_per_min: f64, rings: Vec<Ring>) -> QueueSpec {
    QueueSpec {
        priority,
        aging_per_min,
        rings,
    }
}

/// A desk around one engine on the multi-queue path, no timers (the traces are about
/// routing), every agent logged in at 0, events collected.
struct Floor {
    e: Engine,
    now: SimTime,
    events: Vec<Event>,
}

impl Floor {
    fn new(rule: RoutingRule, maxes: &[u32], desk: Desk) -> Floor {
        let config = EngineConfig {
            rule,
            reply_interval: None,
            message_interval: None,
            ..EngineConfig::default()
        };
        desk.check().unwrap();
        let mut f = Floor {
            e: Engine::with_desk_routing(config, maxes, &desk),
            now: SimTime::ZERO,
            events: vec![],
        };
        for a in 0..maxes.len() {
            f.e.handle_log_in(SimTime::ZERO, AgentId(a as u32)).unwrap();
        }
        f.drain();
        f.events.clear();
        f
    }

    fn drain(&mut self) {
        while let Some(ev) = self.e.poll_event() {
            self.events.push(ev);
        }
        self.e.check_invariants().unwrap();
    }

    /// Moves the clock to `t_ms`, waking the engine whenever it asks on the way.
    fn at(&mut self, t_ms: u64) {
        let target = SimTime::from_millis(t_ms);
        while let Some(t) = self.e.poll_timeout() {
            if t > target {
                break;
            }
            self.e.handle_timeout(t).unwrap();
            self.now = t;
            self.drain();
        }
        self.now = target;
    }

    fn req(&mut self, q: u16) -> SessionId {
        let s = self
            .e
            .handle_session_request_in(self.now, QueueId(q), 0)
            .unwrap();
        self.drain();
        s
    }

    fn close(&mut self, s: SessionId) {
        self.e.handle_customer_close(self.now, s).unwrap();
        self.drain();
    }

    fn agent_of(&self, s: SessionId) -> Option<u32> {
        self.e.session_agent(s).map(|a| a.0)
    }

    fn take(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
}

fn connected(session: SessionId, agent: u32, waited_ms: u64, count: u32) -> Event {
    Event::Connected {
        session,
        agent: AgentId(agent),
        waited: Millis::from_millis(waited_ms),
        count,
    }
}

#[test]
fn two_queues_with_disjoint_skills_each_serve_only_their_own_customers() {
    // Agents 0 and 1 serve queue 0, agent 2 queue 1, one chat each (least loaded).
    // t=0: c1, c2 (queue 0) go to agents 0 and 1; c3 (queue 0) waits, 1st of queue 0;
    //      d1 (queue 1) goes to agent 2; d2 (queue 1) waits, 1st of queue 1 (not 2nd:
    //      each queue counts its own line). Waiting: 1 + 1 = 2.
    // t=10 s: d1 closes: agent 2 takes d2 (waited 10 s), not c3 (older, but agent 2 has
    //      no skill for queue 0). Waiting: 1 + 0.
    // t=20 s: c1 closes: agent 0 takes c3 (waited 20 s). Waiting: 0.
    let desk = Desk {
        queues: vec![QueueSpec::own(QueueId(0)), QueueSpec::own(QueueId(1))],
        skills: vec![vec![skill(0, 1)], vec![skill(0, 1)], vec![skill(1, 1)]],
    };
    let mut f = Floor::new(RoutingRule::LeastLoaded, &[1, 1, 1], desk);
    let (c1, c2, c3) = (f.req(0), f.req(0), f.req(0));
    let (d1, d2) = (f.req(1), f.req(1));
    assert_eq!(
        f.take(),
        [
            connected(c1, 0, 0, 1),
            connected(c2, 1, 0, 1),
            Event::Queued {
                session: c3,
                position: 1
            },
            connected(d1, 2, 0, 1),
            Event::Queued {
                session: d2,
                position: 1
            },
        ]
    );
    assert_eq!(
        (f.e.waiting_in(QueueId(0)), f.e.waiting_in(QueueId(1))),
        (1, 1)
    );
    assert_eq!(f.e.waiting_len(), 2);
    assert_eq!(f.e.session_queue(c3), Some(QueueId(0)));
    assert_eq!(f.e.session_queue(d2), Some(QueueId(1)));
    f.at(10_000);
    f.close(d1);
    assert_eq!(f.agent_of(d2), Some(2));
    assert_eq!(f.agent_of(c3), None);
    assert_eq!(
        (f.e.waiting_in(QueueId(0)), f.e.waiting_in(QueueId(1))),
        (1, 0)
    );
    f.at(20_000);
    f.close(c1);
    let ev = f.take();
    assert!(ev.contains(&connected(d2, 2, 10_000, 1)), "{ev:?}");
    assert!(ev.contains(&connected(c3, 0, 20_000, 1)), "{ev:?}");
    assert_eq!(f.e.waiting_len(), 0);
    assert_eq!(f.e.stats().routing_decisions, 5);
}

#[test]
fn an_agent_of_two_queues_takes_the_higher_priority_first_then_the_older() {
    // Agent 0 serves queues 0 (priority 0) and 1 (priority 5), one chat at a time.
    // t=0: s0 (queue 0) takes it. t=1 s: a (queue 0) waits. t=2 s: b (queue 1) waits.
    // t=3 s: s0 closes: b (priority 5, though newer) is connected, waited 1 s.
    // t=4 s: b closes: a, waited 3 s.
    let desk = |p0: f64, p1: f64| Desk {
        queues: vec![
            queue(p0, 0.0, vec![ring(0, 0, 1)]),
            queue(p1, 0.0, vec![ring(0, 1, 1)]),
        ],
        skills: vec![vec![skill(0, 1), skill(1, 1)]],
    };
    let mut f = Floor::new(RoutingRule::LeastLoaded, &[1], desk(0.0, 5.0));
    let s0 = f.req(0);
    f.at(1_000);
    let a = f.req(0);
    f.at(2_000);
    let b = f.req(1);
    f.at(3_000);
    f.close(s0);
    f.at(4_000);
    f.close(b);
    let got: Vec<Event> = f
        .take()
        .into_iter()
        .filter(|e| matches!(e, Event::Connected { .. }))
        .collect();
    assert_eq!(
        got,
        [
            connected(s0, 0, 0, 1),
            connected(b, 0, 1_000, 1),
            connected(a, 0, 3_000, 1)
        ]
    );

    // Equal priorities: the longest waiting goes first, whatever its queue.
    // t=1 s: b (queue 1) waits; t=2 s: a (queue 0) waits; t=3 s: b, waited 2 s.
    let mut f = Floor::new(RoutingRule::LeastLoaded, &[1], desk(1.0, 1.0));
    let s0 = f.req(0);
    f.at(1_000);
    let b = f.req(1);
    f.at(2_000);
    let a = f.req(0);
    f.at(3_000);
    f.close(s0);
    assert_eq!(f.agent_of(b), Some(0));
    assert_eq!(f.agent_of(a), None);
    assert!(f.take().contains(&connected(b, 0, 2_000, 1)));
}

#[test]
fn ageing_overtakes_a_fixed_priority_after_the_right_number_of_minutes() {
    // Queue 0: priority 2, no ageing. Queue 1: priority 0, +1 per minute waited.
    // s0 holds agent 0 from 0; b (queue 1) waits from 0, a (queue 0) from 1 ms.
    // When s0 closes at T, b's priority is T / 60 000 ms: below 2 until T = 120 000 ms,
    // equal at 120 000 ms (then the longer wait wins: b, since 0 < 1 ms), above after.
    let run = |close_at: u64| {
        let desk = Desk {
            queues: vec![
                queue(2.0, 0.0, vec![ring(0, 0, 1)]),
                queue(0.0, 1.0, vec![ring(0, 1, 1)]),
            ],
            skills: vec![vec![skill(0, 1), skill(1, 1)]],
        };
        let mut f = Floor::new(RoutingRule::LeastLoaded, &[1], desk);
        let s0 = f.req(0);
        let b = f.req(1);
        f.at(1);
        let a = f.req(0);
        f.at(close_at);
        f.close(s0);
        match (f.agent_of(a), f.agent_of(b)) {
            (Some(0), None) => 'a',
            (None, Some(0)) => 'b',
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(run(60_000), 'a', "1 minute: 1 < 2");
    assert_eq!(run(119_999), 'a', "1.99998 < 2");
    assert_eq!(run(120_000), 'b', "2 = 2, and b waited longer");
    assert_eq!(run(120_001), 'b', "2.00002 > 2");
}

/// Billing (queue 0) overflows to general agents (queue 1's skill) after 60 s.
fn billing_overflow() -> Desk {
    Desk {
        queues: vec![
            queue(0.0, 0.0, vec![ring(0, 0, 1), ring(60_000, 1, 1)]),
            QueueSpec::own(QueueId(1)),
        ],
        skills: vec![vec![skill(0, 1)], vec![skill(1, 1)]],
    }
}

#[test]
fn a_ring_at_60_s_opens_exactly_at_60_s_of_waiting() {
    // Agent 0 (billing) is held by s0 from 0; c (billing) waits from 0 while general
    // agent 1 is idle. The engine asks to be woken at 60 000 ms (the ring opens when the
    // wait reaches 60 s, not 1 ms past it); at 59 999 ms c still waits; at 60 000 ms it
    // is connected to agent 1, waited 60 000 ms.
    let mut f = Floor::new(RoutingRule::LeastLoaded, &[1, 1], billing_overflow());
    let s0 = f.req(0);
    let c = f.req(0);
    assert_eq!(f.e.poll_timeout(), Some(SimTime::from_millis(60_000)));
    f.at(59_999);
    assert_eq!(f.agent_of(c), None);
    assert_eq!(f.e.waiting_in(QueueId(0)), 1);
    f.at(60_000);
    assert_eq!(
        f.take(),
        [
            connected(s0, 0, 0, 1),
            Event::Queued {
                session: c,
                position: 1
            },
            connected(c, 1, 60_000, 1)
        ]
    );
    assert_eq!(f.e.poll_timeout(), None, "nothing more to wake for");
    assert_eq!(f.e.waiting_len(), 0);
}

#[test]
fn an_overflowed_customer_waits_for_the_other_group_and_competes_by_wait() {
    // As above, but general agent 1 is busy with d (queue 1, from 30 s) when billing's
    // c reaches 60 s: nothing happens at 60 s. At 65 s e (queue 1) waits. At 70 s d
    // closes: agent 1 may take c (its ring open for 10 s) or e (its own queue); equal
    // priorities, so the longer wait: c (70 s) before e (5 s). At 80 s agent 0 frees:
    // billing only, e is not for it. At 90 s c closes: agent 1 takes e, waited 25 s.
    let mut f = Floor::new(RoutingRule::LeastLoaded, &[1, 1], billing_overflow());
    let s0 = f.req(0);
    let c = f.req(0);
    f.at(30_000);
    let d = f.req(1);
    f.at(60_000);
    assert_eq!(f.agent_of(c), None);
    f.at(65_000);
    let e = f.req(1);
    f.at(70_000);
    f.close(d);
    assert!(f.take().contains(&connected(c, 1, 70_000, 1)));
    assert_eq!(f.agent_of(e), None);
    f.at(80_000);
    f.close(s0);
    assert_eq!(f.agent_of(e), None, "a billing agent has no general skill");
    f.at(90_000);
    f.close(c);
    assert!(f.take().contains(&connected(e, 1, 25_000, 1)));
}

#[test]
fn bullseye_rings_widen_to_lower_levels_as_the_wait_grows() {
    // One queue: level 3 at once, level 2 from 30 s, level 1 from 60 s. Agents 0 (L3),
    // 1 (L2), 2 (L1), one chat each. s0 takes agent 0 at 0. c1 waits from 0, c2 from
    // 10 s. At 30 s c1's second ring opens: agent 1, waited 30 s. c2 is the head now,
    // waited 20 s: its next ring (30 s) opens at 40 s, but agent 1 is full; its last
    // (60 s) at 70 s: agent 2, waited 60 s.
    let desk = Desk {
        queues: vec![queue(
            0.0,
            0.0,
            vec![ring(0, 0, 3), ring(30_000, 0, 2), ring(60_000, 0, 1)],
        )],
        skills: vec![vec![skill(0, 3)], vec![skill(0, 2)], vec![skill(0, 1)]],
    };
    let mut f = Floor::new(RoutingRule::LeastLoaded, &[1, 1, 1], desk);
    let s0 = f.req(0);
    let c1 = f.req(0);
    f.at(10_000);
    let c2 = f.req(0);
    assert_eq!(f.e.poll_timeout(), Some(SimTime::from_millis(30_000)));
    f.at(30_000);
    assert_eq!(f.agent_of(c1), Some(1));
    assert_eq!(f.e.poll_timeout(), Some(SimTime::from_millis(40_000)));
    f.at(40_000);
    assert_eq!(f.agent_of(c2), None);
    assert_eq!(f.e.poll_timeout(), Some(SimTime::from_millis(70_000)));
    f.at(69_999);
    assert_eq!(f.agent_of(c2), None);
    f.at(70_000);
    let ev: Vec<Event> = f
        .take()
        .into_iter()
        .filter(|e| matches!(e, Event::Connected { .. }))
        .collect();
    assert_eq!(
        ev,
        [
            connected(s0, 0, 0, 1),
            connected(c1, 1, 30_000, 1),
            connected(c2, 2, 60_000, 1)
        ]
    );
}

#[test]
fn the_highest_level_is_picked_first_then_the_rule_inside_a_level() {
    // One queue, agents 0 (L1), 1 (L3), 2 (L2), two chats each, least loaded. Level
    // beats load: agent 1 takes the first two (though at 1 chat it is more loaded than
    // the idle others), then agent 2 two, then agent 0 two; the 7th waits.
    let desk = Desk {
        queues: vec![QueueSpec::own(QueueId(0))],
        skills: vec![vec![skill(0, 1)], vec![skill(0, 3)], vec![skill(0, 2)]],
    };
    assert!(!desk.is_pooled(), "levels differ");
    let mut f = Floor::new(RoutingRule::LeastLoaded, &[2, 2, 2], desk);
    let picks: Vec<Option<u32>> = (0..7)
        .map(|_| {
            let s = f.req(0);
            f.agent_of(s)
        })
        .collect();
    assert_eq!(
        picks,
        [Some(1), Some(1), Some(2), Some(2), Some(0), Some(0), None]
    );
}

#[test]
fn a_hand_back_goes_to_the_head_of_its_own_queue() {
    // Agent 0 serves queues 0 and 1 (two chats), agent 1 queue 0, agent 2 queue 1 (one
    // chat each), least loaded. t=0: x (q0) → agent 0; u (q0) → agent 1 (0 chats < 1);
    // y (q1) → agent 2; z (q1) → agent 0 (agent 2 full). t=1 s: w0 (q0) and w1 (q1) wait.
    // t=5 s: agent 0 logs out handing back: x to the head of queue 0, z to the head of
    // queue 1 (2 waiting in each). t=6 s: u closes: agent 1 takes x (waited 1 s since the
    // hand-back), not w0. t=7 s: y closes: agent 2 takes z (waited 2 s), not w1.
    let desk = Desk {
        queues: vec![QueueSpec::own(QueueId(0)), QueueSpec::own(QueueId(1))],
        skills: vec![
            vec![skill(0, 1), skill(1, 1)],
            vec![skill(0, 1)],
            vec![skill(1, 1)],
        ],
    };
    let mut f = Floor::new(RoutingRule::LeastLoaded, &[2, 1, 1], desk);
    let (x, u, y, z) = (f.req(0), f.req(0), f.req(1), f.req(1));
    assert_eq!(
        [x, u, y, z].map(|s| f.agent_of(s)),
        [Some(0), Some(1), Some(2), Some(0)]
    );
    f.at(1_000);
    let (w0, w1) = (f.req(0), f.req(1));
    f.at(5_000);
    f.e.handle_log_out(f.now, AgentId(0), LogOutMode::HandBack)
        .unwrap();
    f.drain();
    assert_eq!(
        (f.e.waiting_in(QueueId(0)), f.e.waiting_in(QueueId(1))),
        (2, 2)
    );
    assert_eq!(f.e.session_queue(x), Some(QueueId(0)));
    assert_eq!(f.e.session_queue(z), Some(QueueId(1)));
    f.at(6_000);
    f.close(u);
    f.at(7_000);
    f.close(y);
    let ev = f.take();
    assert!(ev.contains(&connected(x, 1, 1_000, 1)), "{ev:?}");
    assert!(ev.contains(&connected(z, 2, 2_000, 1)), "{ev:?}");
    assert_eq!([w0, w1].map(|s| f.agent_of(s)), [None, None]);
    assert_eq!(
        (f.e.waiting_in(QueueId(0)), f.e.waiting_in(QueueId(1))),
        (1, 1)
    );
}

#[test]
fn a_handed_back_customer_has_every_ring_open_at_once_but_never_rings() {
    // Billing overflows to general after 60 s. x (billing) is with agent 0 from 0; at
    // 1 s agent 0 logs out handing x back: x may take any ring of billing at once, so
    // idle general agent 1 takes it at 1 s (waited 0), where a fresh customer waits 60 s.
    let mut f = Floor::new(RoutingRule::LeastLoaded, &[1, 1], billing_overflow());
    let x = f.req(0);
    f.at(1_000);
    f.e.handle_log_out(f.now, AgentId(0), LogOutMode::HandBack)
        .unwrap();
    f.drain();
    assert!(f.take().contains(&connected(x, 1, 0, 1)));

    // The same with the overflow ring at Ring::NEVER: it never opens, hand-back or not.
    let mut desk = billing_overflow();
    desk.queues[0].rings[1].after = Ring::NEVER;
    let mut f = Floor::new(RoutingRule::LeastLoaded, &[1, 1], desk);
    let x = f.req(0);
    f.at(1_000);
    f.e.handle_log_out(f.now, AgentId(0), LogOutMode::HandBack)
        .unwrap();
    f.drain();
    assert_eq!(f.agent_of(x), None);
    assert_eq!(f.e.poll_timeout(), None);
    f.at(10_000_000);
    assert_eq!(f.agent_of(x), None);
}

#[test]
fn an_abandoning_head_hands_the_wake_up_to_the_next_customer() {
    // Billing overflows after 60 s; agent 0 (billing) is held, general agent 1 idle.
    // c1 waits from 0 (wake-up at 60 s), c2 from 20 s. c1 gives up at 30 s: the wake-up
    // moves to c2's 80 s, where c2 goes to agent 1, waited 60 s.
    let mut f = Floor::new(RoutingRule::LeastLoaded, &[1, 1], billing_overflow());
    f.req(0);
    let c1 = f.req(0);
    f.at(20_000);
    let c2 = f.req(0);
    f.at(30_000);
    f.e.handle_abandon(f.now, c1).unwrap();
    f.drain();
    assert_eq!(f.e.poll_timeout(), Some(SimTime::from_millis(80_000)));
    f.at(80_000);
    assert!(f.take().contains(&connected(c2, 1, 60_000, 1)));
}

#[test]
fn an_unknown_queue_is_an_error_value_and_changes_nothing() {
    let mut f = Floor::new(RoutingRule::LeastLoaded, &[1, 1], billing_overflow());
    assert_eq!(
        f.e.handle_session_request_in(f.now, QueueId(2), 0),
        Err(EngineError::UnknownQueue(QueueId(2)))
    );
    f.drain();
    assert!(f.take().is_empty());
    assert_eq!(f.e.stats().inputs, 2, "the two log-ins only");
    let mut e = Engine::with_desk(EngineConfig::default(), &[1], &Desk::pooled(1));
    assert_eq!(e.queue_count(), 1);
    assert_eq!(
        e.handle_session_request_in(SimTime::ZERO, QueueId(1), 0),
        Err(EngineError::UnknownQueue(QueueId(1)))
    );
}

#[test]
fn desk_check_names_each_mistake() {
    let good = billing_overflow();
    assert_eq!(good.check(), Ok(()));
    type Spoil = fn(&mut Desk);
    let bad: Vec<(Spoil, &str)> = vec![
        (|d| d.queues.clear(), "at least one queue"),
        (|d| d.queues[1].rings.clear(), "queue 1: no ring"),
        (
            |d| d.queues[0].rings[1].skill = QueueId(7),
            "queue 0, ring 1: skill of queue 7",
        ),
        (
            |d| d.queues[0].rings[0].min_level = 0,
            "queue 0, ring 0: min_level 0",
        ),
        (
            |d| d.queues[0].rings[0].after = Millis::from_secs(90),
            "queue 0, ring 1: after 60",
        ),
        (|d| d.queues[0].priority = f64::NAN, "queue 0: priority NaN"),
        (
            |d| d.queues[1].aging_per_min = -1.0,
            "queue 1: aging_per_min -1",
        ),
        (
            |d| d.skills[1][0].queue = QueueId(2),
            "agent 1: skill for queue 2",
        ),
        (|d| d.skills[0][0].level = 0, "agent 0: level 0"),
        (
            |d| d.skills[0].push(skill(0, 2)),
            "agent 0: two skills for queue 0",
        ),
        (
            |d| d.queues = vec![QueueSpec::own(QueueId(0)); 65_537],
            "65537 queues",
        ),
    ];
    for (spoil, want) in bad {
        let mut d = good.clone();
        spoil(&mut d);
        let err = d.check().unwrap_err();
        assert!(err.contains(want), "{err:?} should say {want:?}");
    }
}

#[test]
fn only_one_queue_one_open_ring_and_one_level_is_pooled() {
    assert!(Desk::pooled(3).is_pooled());
    let mut d = Desk::pooled(2);
    d.skills[0][0].level = 2;
    assert!(!d.is_pooled(), "two levels");
    let mut d = Desk::pooled(2);
    d.skills[1].clear();
    assert!(!d.is_pooled(), "an agent without the skill");
    let mut d = Desk::pooled(2);
    d.queues[0].rings[0].after = Millis::from_secs(5);
    assert!(!d.is_pooled(), "a first ring that opens late");
    let mut d = Desk::pooled(2);
    d.queues[0].rings[0].min_level = 2;
    assert!(!d.is_pooled(), "a ring that admits nobody");
    let mut d = Desk::pooled(2);
    for s in d.skills.iter_mut() {
        s[0].level = 4;
    }
    assert!(d.is_pooled(), "one level, any level");
}

// ----- differential and property tests --------------------------------------------------

/// The engine settings `cfg_bits` pick, with the product switches `sw_bits` pick
/// (`tests::switches_of`): the queues must keep every switch's behaviour.
fn config_of(rule: RoutingRule, cfg_bits: u8, sw_bits: u8) -> EngineConfig {
    EngineConfig {
        switches: switches_of(sw_bits),
        ..random_config(rule, cfg_bits)
    }
}

/// A random desk: 1-4 queues, a list of skills per agent (queue, level 1-3; maybe
/// none), per queue its own ring plus up to two more (overflow or widening) at a few
/// waits, a priority and an ageing.
fn desk_strategy(agents: usize) -> impl Strategy<Value = Desk> {
    (1u16..=4).prop_flat_map(move |n| {
        let skills = prop::collection::vec(
            prop::collection::vec(prop::option::of(1u8..=3), n as usize),
            agents,
        );
        let rings = prop::collection::vec(
            (
                1u8..=2,
                prop::collection::vec(
                    (
                        prop::sample::select(vec![0u64, 1, 30_000, 60_000, 200_000]),
                        0..n,
                        1u8..=3,
                    ),
                    0..=2,
                ),
                prop::sample::select(vec![0.0, 1.0, 5.0]),
                prop::sample::select(vec![0.0, 0.5, 2.0]),
            ),
            n as usize,
        );
        (skills, rings).prop_map(move |(skills, rings)| Desk {
            queues: rings
                .into_iter()
                .enumerate()
                .map(|(q, (own_min, mut extra, priority, aging))| {
                    extra.sort_by_key(|r| r.0);
                    let mut rings = vec![ring(0, q as u16, own_min)];
                    rings.extend(extra.into_iter().map(|(after, s, l)| ring(after, s, l)));
                    queue(priority, aging, rings)
                })
                .collect(),
            skills: skills
                .into_iter()
                .map(|levels| {
                    levels
                        .into_iter()
                        .enumerate()
                        .filter_map(|(q, l)| l.map(|l| skill(q as u16, l)))
                        .collect()
                })
                .collect(),
        })
    })
}

fn map_agents(cmds: Vec<Cmd>, agents: usize) -> Vec<Cmd> {
    let n = agents as u32;
    cmds.into_iter()
        .map(|c| match c {
            Cmd::Busy(a, b) => Cmd::Busy(a % n, b),
            Cmd::LogIn(a) => Cmd::LogIn(a % n),
            Cmd::LogOut(a, b) => Cmd::LogOut(a % n, b),
            c => c,
        })
        .collect()
}

// The engine settings without the 1 ms reply interval (even `cfg_bits`): its hundreds of
// thousands of reminders per case test the timers, which `tests::invariants_hold_for_every_rule`
// covers, and would make these cases (two engines each) take minutes. Without them a case
// takes milliseconds, so there are ten times as many (400, 10 000 with CHATSIM_LONG_TESTS).
proptest! {
    #![proptest_config(ProptestConfig { cases: 10 * invariant_cases(), ..ProptestConfig::default() })]

    /// A pooled desk run through the multi-queue structures, with or without a second
    /// ring that never opens, gives exactly the events of `Engine::new`, for every rule
    /// and every combination of the product switches.
    #[test]
    fn a_pooled_desk_through_the_queues_matches_the_pooled_engine(
        rule in prop::sample::select(RoutingRule::ALL.to_vec()),
        maxes in prop::collection::vec(1u32..8, 1..6),
        cmds in prop::collection::vec(cmd(6), 1..300),
        cfg_bits in (0u8..8).prop_map(|b| b * 2),
        sw_bits in 0u8..18,
        never_ring in any::<bool>(),
    ) {
        let cmds = map_agents(cmds, maxes.len());
        let config = config_of(rule, cfg_bits, sw_bits);
        let want = run_engine(Engine::new(config, &maxes), &cmds)
            .map_err(TestCaseError::fail)?;
        let mut desk = Desk::pooled(maxes.len());
        if never_ring {
            let first = desk.queues[0].rings[0];
            desk.queues[0].rings.push(Ring { after: Ring::NEVER, ..first });
        }
        let got = run_engine(Engine::with_desk_routing(config, &maxes, &desk), &cmds)
            .map_err(TestCaseError::fail)?;
        prop_assert_eq!(got, want);
    }

    /// The plain shape (a pooled desk with every switch off, [`crate::shape`]) and the full
    /// shape run on the same engine give exactly the same events, for every rule and
    /// timer setting: the plain code's shortcuts (a close with customers waiting hands
    /// the head to the freed agent without re-queuing it) choose what the full code does.
    /// Half the cases give every agent a cap of 1, where the ordered rules route through
    /// the single-chat heap; the full shape then runs on the rule's general structure
    /// ([`ServiceQueue::general`]), and so does a third run of the plain shape, so that
    /// the heap is checked against the level queue in both shapes (and with mixed caps,
    /// that the choice leaves them alone).
    #[test]
    fn the_plain_shape_matches_the_full_shape(
        rule in prop::sample::select(RoutingRule::ALL.to_vec()),
        maxes in prop::collection::vec(1u32..8, 1..6),
        cmds in prop::collection::vec(cmd(6), 1..300),
        cfg_bits in (0u8..8).prop_map(|b| b * 2),
        single_chat in any::<bool>(),
    ) {
        let maxes: Vec<u32> = if single_chat { vec![1; maxes.len()] } else { maxes };
        let cmds = map_agents(cmds, maxes.len());
        let config = config_of(rule, cfg_bits, 0);
        let plain = Engine::new(config, &maxes);
        prop_assert!(plain.plain, "switches off, pooled: the plain shape");
        let heap = matches!(plain.service, ServiceQueue::SingleChat(_));
        let ordered = !matches!(rule, RoutingRule::RoundRobin | RoutingRule::Random);
        let caps_of_1 = maxes.iter().all(|&m| m == 1);
        prop_assert_eq!(heap, caps_of_1 && ordered, "the heap exactly for caps of 1");
        let want = run_engine(plain, &cmds).map_err(TestCaseError::fail)?;
        let mut full = Engine::new(config, &maxes);
        full.plain = false;
        full.service = ServiceQueue::general(rule, &maxes);
        let got = run_engine(full, &cmds).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&got, &want);
        let mut general = Engine::new(config, &maxes);
        general.service = ServiceQueue::general(rule, &maxes);
        let got = run_engine(general, &cmds).map_err(TestCaseError::fail)?;
        prop_assert_eq!(got, want);
    }

    /// Random skill matrices and commands: SPEC A's invariants, per queue, after every
    /// step; and the same desk with extra overflow rings that never open gives exactly
    /// the same events.
    #[test]
    fn invariants_hold_per_queue_on_random_desks(
        rule in prop::sample::select(RoutingRule::ALL.to_vec()),
        (maxes, desk) in (1usize..=12).prop_flat_map(|n| {
            (prop::collection::vec(1u32..4, n), desk_strategy(n))
        }),
        cmds in prop::collection::vec(cmd(12), 1..300),
        cfg_bits in (0u8..8).prop_map(|b| b * 2),
        sw_bits in 0u8..18,
        never_to in any::<u16>(),
    ) {
        desk.check().map_err(TestCaseError::fail)?;
        let cmds = map_agents(cmds, maxes.len());
        let config = config_of(rule, cfg_bits, sw_bits);
        let want = run_engine(Engine::with_desk_routing(config, &maxes, &desk), &cmds)
            .map_err(TestCaseError::fail)?;
        let mut never = desk.clone();
        let n = never.queues.len() as u16;
        for (q, spec) in never.queues.iter_mut().enumerate() {
            spec.rings.push(Ring {
                after: Ring::NEVER,
                skill: QueueId((never_to.wrapping_add(q as u16)) % n),
                min_level: 1,
            });
        }
        let got = run_engine(Engine::with_desk(config, &maxes, &never), &cmds)
            .map_err(TestCaseError::fail)?;
        prop_assert_eq!(got, want);
    }
}
