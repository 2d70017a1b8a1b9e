//! Step-by-step tests of the claimed method through a tiny driver (quinn's `Pair` habit),
//! and property tests of SPEC A's invariants under random command sequences.

use super::*;
use crate::time::Millis;
use proptest::prelude::*;

/// A desk of agents around one engine, with a hand-moved clock and the events collected.
struct Desk {
    engine: Engine,
    now: SimTime,
    events: Vec<Event>,
}

impl Desk {
    fn new(config: EngineConfig, maxes: &[u32]) -> Desk {
        let mut desk = Desk {
            engine: Engine::new(config, maxes),
            now: SimTime::ZERO,
            events: vec![],
        };
        for i in 0..maxes.len() {
            desk.engine
                .handle_log_in(SimTime::ZERO, AgentId(i as u32))
                .unwrap();
        }
        desk.drain();
        desk.events.clear();
        desk
    }

    fn with_rule(rule: RoutingRule, maxes: &[u32]) -> Desk {
        Desk::new(
            EngineConfig {
                rule,
                ..EngineConfig::default()
            },
            maxes,
        )
    }

    fn drain(&mut self) {
        while let Some(e) = self.engine.poll_event() {
            self.events.push(e);
        }
        self.engine.check_invariants().unwrap();
    }

    /// Moves the clock to `t` (seconds), firing due timers on the way, in order.
    fn run_until(&mut self, t_s: u64) {
        self.run_until_ms(t_s * 1000);
    }

    fn run_until_ms(&mut self, t_ms: u64) {
        let target = SimTime::from_millis(t_ms);
        while let Some(t) = self.engine.poll_timeout() {
            if t > target {
                break;
            }
            self.engine.handle_timeout(t).unwrap();
            self.now = t;
            self.drain();
        }
        self.now = target;
    }

    fn request(&mut self) -> SessionId {
        let id = self.engine.handle_session_request(self.now, 0).unwrap();
        self.drain();
        id
    }

    fn busy(&mut self, a: u32, busy: bool) {
        let trigger = if busy {
            TriggerEvent::Busy
        } else {
            TriggerEvent::Unbusy
        };
        self.engine
            .handle_agent_request(self.now, AgentRequest::from_trigger(trigger, AgentId(a)))
            .unwrap();
        self.drain();
    }

    fn agent_of(&self, s: SessionId) -> u32 {
        self.engine.session_agent(s).unwrap().0
    }

    fn take(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
}

#[test]
fn s01_to_s04_trigger_events_become_coded_requests() {
    let r = AgentRequest::from_trigger(TriggerEvent::Busy, AgentId(3));
    assert_eq!(
        r,
        AgentRequest {
            code: RequestCode::Busy,
            agent: AgentId(3)
        }
    );
    let r = AgentRequest::from_trigger(TriggerEvent::Unbusy, AgentId(3));
    assert_eq!(r.code, RequestCode::Unbusy);
}

#[test]
fn s1_s2_busy_agent_keeps_sessions_but_gets_no_new_ones() {
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[2, 2]);
    let s = d.request();
    let a = d.agent_of(s);
    d.busy(a, true);
    assert!(d.engine.agent(AgentId(a)).unwrap().busy);
    for _ in 0..2 {
        let t = d.request();
        assert_ne!(d.agent_of(t), a, "a busy agent was given a session");
    }
    assert_eq!(
        d.engine.agent(AgentId(a)).unwrap().count,
        1,
        "busy agent kept its session"
    );
}

#[test]
fn unknown_agent_id_is_an_error_value() {
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[1]);
    let r = AgentRequest::from_trigger(TriggerEvent::Busy, AgentId(9));
    assert_eq!(
        d.engine.handle_agent_request(d.now, r),
        Err(EngineError::UnknownAgent(AgentId(9)))
    );
    assert_eq!(
        d.engine.handle_log_in(d.now, AgentId(9)),
        Err(EngineError::UnknownAgent(AgentId(9)))
    );
}

#[test]
fn stale_session_id_is_an_error_value() {
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[1]);
    let s = d.request();
    d.engine.handle_customer_close(d.now, s).unwrap();
    assert_eq!(
        d.engine.handle_agent_reply(d.now, s),
        Err(EngineError::UnknownSession(s))
    );
    let t = d.request();
    assert_eq!(t.slot, s.slot, "slot reused");
    assert_eq!(
        d.engine.handle_customer_close(d.now, s),
        Err(EngineError::UnknownSession(s))
    );
}

#[test]
fn time_going_backwards_is_refused() {
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[1]);
    d.engine
        .handle_session_request(SimTime::from_millis(500), 0)
        .unwrap();
    let e = d
        .engine
        .handle_session_request(SimTime::from_millis(400), 0)
        .unwrap_err();
    assert!(matches!(e, EngineError::TimeWentBackwards { .. }));
}

#[test]
fn s3_s4_connects_least_loaded_and_counts_the_session() {
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[3, 3, 3]);
    let picks: Vec<u32> = (0..6)
        .map(|_| {
            let s = d.request();
            d.agent_of(s)
        })
        .collect();
    // Never-assigned agents by id, then the one assigned longest ago.
    assert_eq!(picks, [0, 1, 2, 0, 1, 2]);
    let v = d.engine.agent(AgentId(0)).unwrap();
    assert_eq!((v.count, v.serving), (2, true));
}

#[test]
fn s3_queues_fifo_when_no_agent_can_take_and_connects_when_capacity_frees() {
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[1]);
    let first = d.request();
    let w1 = d.request();
    let w2 = d.request();
    assert!(d.take().contains(&Event::Queued {
        session: w2,
        position: 2
    }));
    d.now = SimTime::from_secs(10);
    d.engine.handle_customer_close(d.now, first).unwrap();
    d.drain();
    let ev = d.take();
    assert!(ev.contains(&Event::Connected {
        session: w1,
        agent: AgentId(0),
        waited: Millis::from_secs(10),
        count: 1
    }));
    assert!(
        d.engine.session_agent(w2).is_none(),
        "second in line still waits"
    );
}

#[test]
fn s6_s7_s8_unbusy_returns_agent_to_queue_and_serves_waiting_customer() {
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[1]);
    d.busy(0, true);
    let w = d.request();
    assert_eq!(d.engine.waiting_len(), 1);
    d.busy(0, false);
    assert_eq!(d.agent_of(w), 0);
    assert_eq!(d.engine.waiting_len(), 0);
}

#[test]
fn s55_reminder_when_reply_owed_past_reply_interval_and_repeats() {
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[1]);
    let s = d.request();
    d.take();
    d.run_until(60);
    assert!(
        d.take().is_empty(),
        "no reminder while owed for the interval or less"
    );
    d.run_until_ms(60_001);
    assert_eq!(
        d.take(),
        [Event::ReminderDue {
            session: s,
            agent: AgentId(0),
            nth: 1
        }]
    );
    d.run_until(120);
    assert!(d.take().is_empty(), "the second one is due at 120.001 s");
    d.run_until_ms(120_001);
    assert_eq!(
        d.take(),
        [Event::ReminderDue {
            session: s,
            agent: AgentId(0),
            nth: 2
        }]
    );
}

#[test]
fn reply_at_exactly_the_interval_is_in_time() {
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[1]);
    let s = d.request();
    d.take();
    d.now = SimTime::from_secs(60);
    d.engine.handle_agent_reply(d.now, s).unwrap();
    d.run_until(61);
    assert!(
        d.take().is_empty(),
        "the reply came at, not after, the interval"
    );
}

#[test]
fn reminders_stop_at_the_cap_and_do_not_repeat_when_off() {
    let cfg = EngineConfig {
        reminder_cap: Some(2),
        ..EngineConfig::default()
    };
    let mut d = Desk::new(cfg, &[1]);
    let s = d.request();
    d.run_until(1000);
    let n = d
        .take()
        .iter()
        .filter(|e| matches!(e, Event::ReminderDue { .. }))
        .count();
    assert_eq!(n, 2);
    // A second customer message while still owed must not exceed the cap.
    d.engine.handle_customer_message(d.now, s).unwrap();
    d.run_until(2000);
    assert_eq!(
        d.take()
            .iter()
            .filter(|e| matches!(e, Event::ReminderDue { .. }))
            .count(),
        0
    );

    let cfg = EngineConfig {
        repeat_reminders: false,
        ..EngineConfig::default()
    };
    let mut d = Desk::new(cfg, &[1]);
    d.request();
    d.run_until(1000);
    assert_eq!(
        d.take()
            .iter()
            .filter(|e| matches!(e, Event::ReminderDue { .. }))
            .count(),
        1
    );
}

#[test]
fn s56_disconnects_silent_customer_and_claim5_frees_the_slot() {
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[1]);
    let s = d.request();
    d.now = SimTime::from_secs(5);
    d.engine.handle_agent_reply(d.now, s).unwrap();
    let w = d.request();
    d.take();
    d.run_until(305);
    assert!(
        d.take().is_empty(),
        "silent for exactly the interval is in time"
    );
    d.run_until_ms(305_001);
    let ev = d.take();
    assert_eq!(
        ev[0],
        Event::Ended {
            session: s,
            agent: AgentId(0),
            reason: EndReason::Silence,
            missed: 0,
        }
    );
    assert!(matches!(ev[1], Event::Connected { session, .. } if session == w));
    assert_eq!(d.engine.agent(AgentId(0)).unwrap().count, 1);
}

#[test]
fn no_disconnect_while_agent_owes_reply_and_no_reminder_while_customer_owes() {
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[1]);
    let s = d.request();
    d.take();
    d.run_until(10_000);
    assert!(
        d.take()
            .iter()
            .all(|e| matches!(e, Event::ReminderDue { .. })),
        "only reminders while owed"
    );
    d.engine.handle_agent_reply(d.now, s).unwrap();
    d.run_until(10_299);
    assert!(
        d.take().is_empty(),
        "customer owes: no reminder, not yet silent"
    );
    d.engine.handle_customer_message(d.now, s).unwrap();
    d.run_until(10_500);
    assert!(d
        .take()
        .iter()
        .all(|e| matches!(e, Event::ReminderDue { .. })));
}

#[test]
fn log_out_hand_back_puts_sessions_at_head_of_wait_queue_oldest_first() {
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[2, 1]);
    let s1 = d.request(); // agent 0
    let s2 = d.request(); // agent 1
    let s3 = d.request(); // agent 0
    let w = d.request(); // waits
    assert_eq!((d.agent_of(s1), d.agent_of(s2), d.agent_of(s3)), (0, 1, 0));
    d.take();
    d.engine
        .handle_log_out(d.now, AgentId(0), LogOutMode::HandBack)
        .unwrap();
    d.drain();
    let ev = d.take();
    assert!(ev.contains(&Event::HandedBack {
        session: s1,
        agent: AgentId(0)
    }));
    assert_eq!(d.engine.waiting_len(), 3);
    d.engine.handle_customer_close(d.now, s2).unwrap();
    d.drain();
    assert_eq!(d.agent_of(s1), 1, "oldest handed-back session first");
    assert!(d.engine.session_agent(w).is_none());
}

#[test]
fn a_reused_slot_never_inherits_the_former_sessions_timer() {
    // Disconnects on, reminders off: connecting the slot's next session arms nothing, yet
    // the former session's armed disconnect must be dead.
    let config = EngineConfig {
        reply_interval: None,
        message_interval: Some(Millis::from_secs(300)),
        ..EngineConfig::default()
    };
    let mut d = Desk::new(config, &[1]);
    let first = d.request();
    d.engine.handle_agent_reply(d.now, first).unwrap(); // disconnect armed at 300 s
    d.now = SimTime::from_secs(10);
    d.engine.handle_customer_close(d.now, first).unwrap();
    let next = d.request();
    assert_eq!(next.slot, first.slot, "the freed slot is reused");
    assert_eq!(
        d.engine.poll_timeout(),
        None,
        "nothing is armed for the new session"
    );
    d.run_until(1_000);
    assert_eq!(
        d.agent_of(next),
        0,
        "the new session was never disconnected"
    );
    assert!(!d.take().iter().any(|e| matches!(
        e,
        Event::Ended {
            reason: EndReason::Silence,
            ..
        }
    )));
}

#[test]
fn random_rule_routes_a_handed_back_session_with_its_own_draw() {
    let config = EngineConfig {
        rule: RoutingRule::Random,
        ..EngineConfig::default()
    };
    let mut d = Desk::new(config, &[1, 1, 1, 1]);
    // Agents 0..3 are eligible; a draw near the top picks the last eligible one.
    let s = d.engine.handle_session_request(d.now, u64::MAX).unwrap();
    d.drain();
    assert_eq!(d.agent_of(s), 3);
    d.engine
        .handle_log_out(d.now, AgentId(3), LogOutMode::HandBack)
        .unwrap();
    d.drain();
    // Re-routed at once among agents 0..2 with the same draw: the last of them.
    assert_eq!(d.agent_of(s), 2);
}

#[test]
fn agent_above_the_inline_cap_keeps_its_sessions_oldest_first() {
    // Cap 6 > INLINE_SLOTS: this agent's slots live in the engine's spill area.
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[6]);
    let s: Vec<SessionId> = (0..6).map(|_| d.request()).collect();
    assert!(s.iter().all(|&x| d.agent_of(x) == 0));
    d.take();
    d.engine.handle_customer_close(d.now, s[2]).unwrap();
    d.engine
        .handle_log_out(d.now, AgentId(0), LogOutMode::HandBack)
        .unwrap();
    d.engine.handle_log_in(d.now, AgentId(0)).unwrap();
    d.drain();
    let connected: Vec<SessionId> = d
        .take()
        .into_iter()
        .filter_map(|e| match e {
            Event::Connected { session, .. } => Some(session),
            _ => None,
        })
        .collect();
    assert_eq!(connected, [s[0], s[1], s[3], s[4], s[5]]);
}

#[test]
fn sessions_connected_at_once_live_in_their_agents_home_slots_and_the_rest_overflow() {
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[5, 1]);
    d.busy(1, true);
    let s: Vec<SessionId> = (0..5).map(|_| d.request()).collect();
    let homes = 2 << HOME_SHIFT;
    for (k, id) in s.iter().enumerate().take(HOME_SLOTS) {
        assert_eq!(id.slot, k as u32, "home slot {k} of agent 0");
    }
    assert!(s[3..].iter().all(|id| id.slot >= homes), "{s:?}");
    // Every one is addressable, and a freed home slot is the next one taken.
    d.engine.handle_customer_close(d.now, s[1]).unwrap();
    d.engine.handle_customer_close(d.now, s[4]).unwrap();
    d.drain();
    let again = d.request();
    assert_eq!(again.slot, s[1].slot);
    assert_ne!(again.generation, s[1].generation);
    assert_eq!(
        d.engine.handle_customer_close(d.now, s[1]),
        Err(EngineError::UnknownSession(s[1]))
    );
    for id in [s[0], s[2], s[3], again] {
        d.engine.handle_agent_reply(d.now, id).unwrap();
        assert_eq!(d.engine.reply_owed(id), Some(false));
    }
}

#[test]
fn forged_slot_numbers_and_stale_generations_are_error_values_for_every_rule() {
    for rule in RoutingRule::ALL {
        let mut d = Desk::with_rule(rule, &[2, 5]);
        let live = d.request();
        let forged = [
            (0 << HOME_SHIFT) | 3, // the slot number each agent leaves unused
            (1 << HOME_SHIFT) | 3,
            (1 << HOME_SHIFT) | 2, // a free home slot
            2 << HOME_SHIFT,       // the first overflow slot, never allocated
            1_000_000,
            u32::MAX,
        ];
        let ids = forged
            .into_iter()
            .map(|slot| SessionId {
                slot,
                generation: 0,
            })
            .chain([SessionId {
                generation: live.generation + 1,
                ..live
            }]);
        for id in ids {
            let e = &mut d.engine;
            assert!(
                e.handle_customer_message(d.now, id).is_err(),
                "{rule:?} {id:?}"
            );
            assert!(e.handle_agent_reply(d.now, id).is_err(), "{rule:?} {id:?}");
            assert!(
                e.handle_customer_close(d.now, id).is_err(),
                "{rule:?} {id:?}"
            );
            assert!(e.handle_abandon(d.now, id).is_err(), "{rule:?} {id:?}");
            assert_eq!(e.session_agent(id), None);
            assert_eq!(e.reply_owed(id), None);
        }
        d.drain();
        assert_eq!(
            d.engine.reply_owed(live),
            Some(true),
            "{rule:?}: the live session is untouched"
        );
    }
}

#[test]
fn a_handed_back_session_keeps_its_home_slot_while_another_agent_serves_it() {
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[3, 3]);
    d.busy(1, true);
    let s0 = d.request();
    assert_eq!(s0.slot, 0, "agent 0's first home slot");
    d.engine
        .handle_log_out(d.now, AgentId(0), LogOutMode::HandBack)
        .unwrap();
    d.busy(1, false);
    assert_eq!(
        d.agent_of(s0),
        1,
        "served by agent 1 from agent 0's home slot"
    );
    d.engine.handle_log_in(d.now, AgentId(0)).unwrap();
    d.drain();
    let s1 = d.request();
    assert_eq!(d.agent_of(s1), 0);
    assert_eq!(
        s1.slot, 1,
        "slot 0 is still taken by the session agent 1 serves"
    );
    d.take();
    d.engine.handle_customer_close(d.now, s0).unwrap();
    d.drain();
    assert_eq!(
        d.take(),
        [Event::Ended {
            session: s0,
            agent: AgentId(1),
            reason: EndReason::Closed,
            missed: 0,
        }]
    );
    assert_eq!(d.engine.agent(AgentId(1)).unwrap().count, 0);
    assert_eq!(d.engine.agent(AgentId(0)).unwrap().count, 1);
    d.busy(1, true);
    assert_eq!(
        d.request().slot,
        0,
        "freed, agent 0's home slot 0 is used again"
    );
}

#[test]
fn log_out_finish_keeps_sessions_until_they_end() {
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[1]);
    let s = d.request();
    d.engine
        .handle_log_out(d.now, AgentId(0), LogOutMode::Finish)
        .unwrap();
    d.drain();
    assert_eq!(d.agent_of(s), 0);
    let w = d.request();
    d.engine.handle_customer_close(d.now, s).unwrap();
    d.drain();
    assert!(
        d.engine.session_agent(w).is_none(),
        "offline agent gets nothing"
    );
}

#[test]
fn abandon_leaves_the_queue_and_later_customers_move_up() {
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[1]);
    let s = d.request();
    let w1 = d.request();
    let w2 = d.request();
    d.now = SimTime::from_secs(3);
    d.engine.handle_abandon(d.now, w1).unwrap();
    d.drain();
    assert!(d.take().contains(&Event::Abandoned {
        session: w1,
        waited: Millis::from_secs(3),
        missed: 0,
    }));
    assert_eq!(
        d.engine.handle_abandon(d.now, s),
        Err(EngineError::WrongSessionState(s))
    );
    d.engine.handle_customer_close(d.now, s).unwrap();
    d.drain();
    assert_eq!(d.agent_of(w2), 0);
}

#[test]
fn longest_idle_picks_the_agent_unchanged_longest() {
    let mut d = Desk::with_rule(RoutingRule::LongestIdle, &[2, 2]);
    d.now = SimTime::from_secs(1);
    let a = d.request();
    assert_eq!(d.agent_of(a), 0, "both unchanged since log-in: lower id");
    d.now = SimTime::from_secs(2);
    let b = d.request();
    assert_eq!(d.agent_of(b), 1);
    d.now = SimTime::from_secs(3);
    d.engine.handle_customer_close(d.now, a).unwrap();
    d.drain();
    d.now = SimTime::from_secs(4);
    let c = d.request();
    assert_eq!(d.agent_of(c), 1, "agent 1 changed at 2 s, agent 0 at 3 s");
}

#[test]
fn fill_first_fills_one_agent_before_the_next() {
    // Caps 2 and 3, no waiting. Fill-first takes the fullest agent below its cap:
    // r1 → 0 (both empty, both assigned at 0 by log-in order: lower id), r2 → 0 (count 1
    // beats 0), r3 → 1 (agent 0 full), r4 → 1, r5 → 1 (count 2 of 3), r6 waits.
    // Closing r1 frees agent 0 (count 1 of 2): the waiting r6 goes there.
    let mut d = Desk::with_rule(RoutingRule::FillFirst, &[2, 3]);
    let r: Vec<SessionId> = (0..6).map(|_| d.request()).collect();
    let agents: Vec<Option<u32>> = r
        .iter()
        .map(|&s| d.engine.session_agent(s).map(|a| a.0))
        .collect();
    assert_eq!(agents, [Some(0), Some(0), Some(1), Some(1), Some(1), None]);
    assert_eq!(d.engine.waiting_len(), 1);
    d.engine.handle_customer_close(d.now, r[0]).unwrap();
    d.drain();
    assert_eq!(d.agent_of(r[5]), 0);
    assert_eq!(d.engine.agent(AgentId(0)).unwrap().count, 2);
    assert_eq!(d.engine.agent(AgentId(1)).unwrap().count, 3);
}

#[test]
fn most_spare_prefers_the_bigger_cap_at_equal_count() {
    // Caps 1 and 3. r1 → 1 (spare 3 vs 1), r2 → 1 (spare 2 vs 1), r3 at 1 s: spare 1
    // each; agent 0 was last assigned never (0) and agent 1 at 0 s → 0. r4 → 1 (the only
    // room left). Least loaded would have sent r2 to agent 0 (count 0 < 1).
    let mut d = Desk::with_rule(RoutingRule::MostSpare, &[1, 3]);
    let r1 = d.request();
    let r2 = d.request();
    d.now = SimTime::from_secs(1);
    let r3 = d.request();
    let r4 = d.request();
    assert_eq!([r1, r2, r3, r4].map(|s| d.agent_of(s)), [1, 1, 0, 1]);
}

// ----- property tests: SPEC A's invariants after every step, for every rule -----------

#[derive(Clone, Debug)]
pub(crate) enum Cmd {
    Request(u64),
    Message(usize),
    Reply(usize),
    Close(usize),
    Abandon(usize),
    Busy(u32, bool),
    LogIn(u32),
    LogOut(u32, bool),
    Advance(u64),
}

pub(crate) fn cmd(agents: u32) -> impl Strategy<Value = Cmd> {
    prop_oneof![
        4 => any::<u64>().prop_map(Cmd::Request),
        3 => any::<usize>().prop_map(Cmd::Message),
        3 => any::<usize>().prop_map(Cmd::Reply),
        2 => any::<usize>().prop_map(Cmd::Close),
        1 => any::<usize>().prop_map(Cmd::Abandon),
        2 => (0..agents, any::<bool>()).prop_map(|(a, b)| Cmd::Busy(a, b)),
        1 => (0..agents).prop_map(Cmd::LogIn),
        1 => (0..agents, any::<bool>()).prop_map(|(a, b)| Cmd::LogOut(a, b)),
        3 => (0u64..400_000).prop_map(Cmd::Advance),
    ]
}

/// The driver's shadow of the world, to check what the engine reports.
#[derive(Default)]
struct Shadow {
    live: Vec<SessionId>,
    ended: std::collections::HashSet<SessionId>,
    log: Vec<Event>,
    /// Every agent each session was connected or transferred to.
    held: std::collections::HashMap<SessionId, Vec<AgentId>>,
    /// Inactive, Reactivated and Transferred events seen.
    switched: [u32; 3],
}

/// The product switches the property test draws: inactivity off, at 100 s (before the
/// 300 s disconnect) or at 1 ms; reactivation over the cap or not; first-reply time-out
/// off, at 20 s or at 90 s. `sw_bits` in `0..18`.
pub(crate) fn switches_of(sw_bits: u8) -> Switches {
    let ms = |m: u64| Some(Millis::from_millis(m));
    Switches {
        inactive_after: [None, ms(100_000), ms(1)][(sw_bits % 3) as usize],
        reactivate_over_cap: (sw_bits / 3) % 2 == 1,
        first_reply_timeout: [None, ms(20_000), ms(90_000)][(sw_bits / 6 % 3) as usize],
    }
}

/// Runs one random command sequence, checking invariants and event sanity at each step;
/// returns the Inactive, Reactivated and Transferred events seen.
fn run_random(
    rule: RoutingRule,
    maxes: &[u32],
    cmds: &[Cmd],
    cfg_bits: u8,
    sw_bits: u8,
) -> Result<[u32; 3], String> {
    let mut cfg = random_config(rule, cfg_bits);
    cfg.switches = switches_of(sw_bits);
    run_shadow(Engine::new(cfg, maxes), cmds).map(|sh| sh.switched)
}

/// The engine settings `cfg_bits` pick: reply interval 60 s or 1 ms, message interval
/// 300 s or none, reminders repeated or not, capped at 3 or not.
pub(crate) fn random_config(rule: RoutingRule, cfg_bits: u8) -> EngineConfig {
    EngineConfig {
        rule,
        reply_interval: if cfg_bits & 1 == 0 {
            Some(Millis::from_millis(60_000))
        } else {
            Some(Millis::from_millis(1))
        },
        message_interval: if cfg_bits & 2 == 0 {
            Some(Millis::from_millis(300_000))
        } else {
            None
        },
        repeat_reminders: cfg_bits & 4 == 0,
        reminder_cap: if cfg_bits & 8 == 0 { None } else { Some(3) },
        switches: Default::default(),
    }
}

/// Runs `cmds` on `e` (every agent logged in first), checking the invariants and the
/// events' sanity after every step, and returns every event in order (for differential
/// tests). A request goes to queue `draw.rotate_left(17) % queues`.
pub(crate) fn run_engine(e: Engine, cmds: &[Cmd]) -> Result<Vec<Event>, String> {
    run_shadow(e, cmds).map(|sh| sh.log)
}

/// [`run_engine`], returning the driver's whole shadow.
fn run_shadow(mut e: Engine, cmds: &[Cmd]) -> Result<Shadow, String> {
    let mut now = SimTime::ZERO;
    let mut sh = Shadow::default();
    let queues = e.queue_count() as u64;
    for i in 0..e.agent_count() {
        e.handle_log_in(now, AgentId(i as u32)).unwrap();
    }
    let pick = |sh: &Shadow, k: usize| sh.live.get(k % sh.live.len().max(1)).copied();
    for c in cmds {
        // The calling order: timers due by now fire before the command (a reconnected
        // session's overdue timer is due at once).
        if e.poll_timeout().is_some_and(|t| t <= now) {
            let owed_before: Vec<(SessionId, Option<bool>)> =
                sh.live.iter().map(|&s| (s, e.reply_owed(s))).collect();
            e.handle_timeout(now).unwrap();
            check_events(&mut e, &mut sh, &owed_before)?;
            e.check_invariants()?;
        }
        let owed_before: Vec<(SessionId, Option<bool>)> =
            sh.live.iter().map(|&s| (s, e.reply_owed(s))).collect();
        match *c {
            Cmd::Request(draw) => {
                let queue = QueueId((draw.rotate_left(17) % queues) as u16);
                let s = e.handle_session_request_in(now, queue, draw).unwrap();
                if e.session_queue(s) != Some(queue) {
                    return Err(format!(
                        "{s:?} of {queue:?} reports {:?}",
                        e.session_queue(s)
                    ));
                }
                sh.live.push(s);
            }
            Cmd::Message(k) => {
                if let Some(s) = pick(&sh, k) {
                    let _ = e.handle_customer_message(now, s);
                }
            }
            Cmd::Reply(k) => {
                if let Some(s) = pick(&sh, k) {
                    if let Ok(r) = e.handle_agent_reply(now, s) {
                        // A late reply answers at least its last message missed; a
                        // reply that answers nothing misses nothing.
                        if r.missed < u32::from(r.late) || (!r.answered && r.missed > 0) {
                            return Err(format!("{s:?}: verdict {r:?}"));
                        }
                    }
                }
            }
            Cmd::Close(k) => {
                if let Some(s) = pick(&sh, k) {
                    let _ = e.handle_customer_close(now, s);
                }
            }
            Cmd::Abandon(k) => {
                if let Some(s) = pick(&sh, k) {
                    let _ = e.handle_abandon(now, s);
                }
            }
            Cmd::Busy(a, b) => {
                let trig = if b {
                    TriggerEvent::Busy
                } else {
                    TriggerEvent::Unbusy
                };
                let _ = e.handle_agent_request(now, AgentRequest::from_trigger(trig, AgentId(a)));
            }
            Cmd::LogIn(a) => e.handle_log_in(now, AgentId(a)).unwrap(),
            Cmd::LogOut(a, hand_back) => {
                let mode = if hand_back {
                    LogOutMode::HandBack
                } else {
                    LogOutMode::Finish
                };
                e.handle_log_out(now, AgentId(a), mode).unwrap()
            }
            Cmd::Advance(ms) => {
                let target = now + Millis::from_millis(ms);
                while let Some(t) = e.poll_timeout() {
                    if t > target {
                        break;
                    }
                    e.handle_timeout(t).unwrap();
                    check_events(&mut e, &mut sh, &owed_before)?;
                    e.check_invariants()?;
                }
                now = target;
            }
        }
        check_events(&mut e, &mut sh, &owed_before)?;
        e.check_invariants()?;
    }
    Ok(sh)
}

fn check_events(
    e: &mut Engine,
    sh: &mut Shadow,
    owed_before: &[(SessionId, Option<bool>)],
) -> Result<(), String> {
    // `has_events` says whether polling finds anything, and the plain engine's fast
    // answer to `poll_timeout` (both timer fronts known) is the full computation's.
    let pending = e.has_events();
    let (fast, full) = (e.poll_timeout(), e.poll_timeout_armed());
    if fast != full {
        return Err(format!("poll_timeout {fast:?}, full computation {full:?}"));
    }
    let mut polled = 0;
    while let Some(ev) = e.poll_event() {
        polled += 1;
        sh.log.push(ev);
        match ev {
            Event::Connected { agent, session, .. } => {
                let v = e.agent(agent).unwrap();
                if !v.online {
                    return Err(format!("offline agent {agent:?} was connected"));
                }
                sh.held.entry(session).or_default().push(agent);
            }
            Event::Inactive { session, agent } => {
                if e.session_agent(session) != Some(agent) || e.reply_owed(session) != Some(false) {
                    return Err(format!("{session:?} inactive but not {agent:?}'s, or owed"));
                }
                if e.agent(agent).unwrap().inactive == 0 {
                    return Err(format!("{agent:?} holds {session:?} inactive, counts none"));
                }
                sh.switched[0] += 1;
            }
            Event::Reactivated { session, agent } => {
                if e.session_agent(session) != Some(agent) || e.reply_owed(session) != Some(true) {
                    return Err(format!(
                        "{session:?} reactivated but not {agent:?}'s, or not owed"
                    ));
                }
                sh.switched[1] += 1;
            }
            Event::Transferred { session, from, to } => {
                let held = sh.held.entry(session).or_default();
                if held.last() != Some(&from) || held.contains(&to) {
                    return Err(format!(
                        "{session:?} moved {from:?} → {to:?}, having been with {held:?}"
                    ));
                }
                held.push(to);
                sh.switched[2] += 1;
                if e.session_agent(session) != Some(to) || e.reply_owed(session) != Some(true) {
                    return Err(format!(
                        "{session:?} transferred to {to:?}, not there owing"
                    ));
                }
            }
            Event::ReminderDue { session, .. } => {
                let owed = owed_before
                    .iter()
                    .find(|(s, _)| *s == session)
                    .and_then(|x| x.1);
                if owed == Some(false) {
                    return Err(format!("reminder for {session:?} whose reply was not owed"));
                }
                if e.reply_owed(session) != Some(true) {
                    return Err(format!("reminder for {session:?} not owing a reply"));
                }
            }
            Event::Ended {
                session,
                reason,
                missed,
                ..
            } => {
                if reason == EndReason::Silence && missed > 0 {
                    return Err(format!("{session:?}: {missed} missed at a silence end"));
                }
                let owed = owed_before
                    .iter()
                    .find(|(s, _)| *s == session)
                    .and_then(|x| x.1);
                if reason == EndReason::Silence && owed == Some(true) {
                    return Err(format!(
                        "disconnect of {session:?} while the agent owed a reply"
                    ));
                }
                sh.end(session)?;
            }
            Event::Abandoned { session, .. } => sh.end(session)?,
            _ => {}
        }
    }
    if pending != (polled > 0) || e.has_events() {
        return Err(format!(
            "has_events {pending} before {polled} events polled"
        ));
    }
    Ok(())
}

impl Shadow {
    /// Every session ends exactly once.
    fn end(&mut self, session: SessionId) -> Result<(), String> {
        if !self.ended.insert(session) {
            return Err(format!("{session:?} ended twice"));
        }
        self.live.retain(|&s| s != session);
        Ok(())
    }
}

/// `CHATSIM_LONG_TESTS=1` (docs/testing.md, "Default and long tests"): the long variants.
fn long_tests() -> bool {
    std::env::var_os("CHATSIM_LONG_TESTS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Cases of `invariants_hold_for_every_rule`: 40 by default (5-15 s in release on two
/// shared cores: the cases with a 1 ms reply interval and repeated reminders walk up to
/// 400 000 timer wake-ups per advance, each followed by an invariant check), 1 000 with
/// `CHATSIM_LONG_TESTS=1` (five times the 200 cases every run had before the switch).
/// Proptest draws a fresh seed each run, so the default runs add up to new cases over time.
pub(crate) fn invariant_cases() -> u32 {
    if long_tests() {
        1000
    } else {
        40
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: invariant_cases(), ..ProptestConfig::default() })]

    /// The same rules, timer settings (the 1 ms reply interval included), command mix and
    /// sequence lengths whatever the case count: only `cases` changes with the switch.
    #[test]
    fn invariants_hold_for_every_rule(
        rule in prop::sample::select(RoutingRule::ALL.to_vec()),
        maxes in prop::collection::vec(1u32..8, 1..6),
        cmds in prop::collection::vec(cmd(6), 1..300),
        cfg_bits in 0u8..16,
        sw_bits in 0u8..18,
    ) {
        let maxes: Vec<u32> = maxes;
        let cmds: Vec<Cmd> = cmds.into_iter().map(|c| match c {
            Cmd::Busy(a, b) => Cmd::Busy(a % maxes.len() as u32, b),
            Cmd::LogIn(a) => Cmd::LogIn(a % maxes.len() as u32),
            Cmd::LogOut(a, b) => Cmd::LogOut(a % maxes.len() as u32, b),
            c => c,
        }).collect();
        if let Err(msg) = run_random(rule, &maxes, &cmds, cfg_bits, sw_bits) {
            return Err(TestCaseError::fail(msg));
        }
    }
}

/// The failures the property test has found, shrunk, replayed every run whatever the case
/// count. (They were kept as proptest seeds in `proptest-regressions/engine/tests.txt`,
/// which proptest no longer reads since the engine moved to its own crate: its seeds file
/// would now be `crates/chatsim-engine/proptest-regressions/tests.txt`.)
#[test]
fn invariants_hold_on_the_cases_the_property_test_found() {
    use Cmd::*;
    // Agent ids as the property test maps them (`% maxes.len()`: agent 5 of 4 is agent 1).
    let cases: [(&[u32], Vec<Cmd>, u8); 3] = [
        (&[1], vec![Request(0), Close(0)], 0),
        (&[1], vec![Request(0), Request(0), LogOut(0, true)], 0),
        (
            &[1, 2, 1, 1],
            vec![
                Request(0),
                Request(0),
                Request(0),
                Request(0),
                Request(0),
                Request(0),
                Request(0),
                Request(0),
                Close(107405459),
                Request(16509366707323317630),
                Request(3851737894521052763),
                Request(4661153234504280634),
                LogOut(1, true),
                Advance(211590),
                LogIn(1),
                LogOut(1, true),
            ],
            3,
        ),
    ];
    for (maxes, cmds, cfg_bits) in cases {
        for rule in RoutingRule::ALL {
            for sw_bits in 0..18 {
                if let Err(msg) = run_random(rule, maxes, &cmds, cfg_bits, sw_bits) {
                    panic!("{rule:?} {maxes:?} {cmds:?} cfg_bits {cfg_bits} sw {sw_bits}: {msg}");
                }
            }
        }
    }
}

/// The property test's driver does reach the switches' states: a fixed long command
/// stream (xorshift) on a desk of caps 1-3, for every rule, makes chats go inactive, come
/// back and move, with the invariants checked after every step.
#[test]
fn the_random_driver_reaches_every_switch_event() {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let cmds: Vec<Cmd> = (0..3000)
        .map(|_| {
            let r = next();
            let k = (r >> 8) as usize;
            match r % 16 {
                0..=3 => Cmd::Request(r),
                4..=6 => Cmd::Message(k),
                7..=9 => Cmd::Reply(k),
                10 => Cmd::Close(k),
                11 => Cmd::Abandon(k),
                12 => Cmd::Busy((k % 3) as u32, r >> 63 == 1),
                13 => Cmd::LogIn((k % 3) as u32),
                _ => Cmd::Advance(k as u64 % 60_000),
            }
        })
        .collect();
    // Inactive after 100 s, first-reply time-out 20 s; over the cap (9) or not (3).
    // Every rule sees chats go inactive and move; reactivations in place need an agent
    // below its cap at the customer's message, so they are counted over the rules.
    for sw_bits in [3 + 6 + 1, 6 + 1] {
        let mut reactivated = 0;
        for rule in RoutingRule::ALL {
            let seen = run_random(rule, &[1, 2, 3], &cmds, 0, sw_bits).unwrap();
            assert!(
                seen[0] > 0 && seen[2] > 0,
                "{rule:?} sw {sw_bits}: {seen:?}"
            );
            reactivated += seen[1];
        }
        assert!(reactivated > 0, "sw {sw_bits}: no reactivation");
    }
}

// ----- the millisecond rule and hand-back continuity -------------------------------------

fn reminders_in(events: &[Event]) -> Vec<u32> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ReminderDue { nth, .. } => Some(*nth),
            _ => None,
        })
        .collect()
}

#[test]
fn a_command_at_a_due_timer_comes_after_it_whatever_the_driver_order() {
    // Reply interval 60 s: the reminder is due at 60.001 s. A driver that sends the reply
    // at 60.001 s without waking the engine first still sees the reminder first, and the
    // reply's verdict says late, with the one reminder it drew.
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[1]);
    let s = d.request();
    d.take();
    let reply = d
        .engine
        .handle_agent_reply(SimTime::from_millis(60_001), s)
        .unwrap();
    d.drain();
    assert_eq!(reminders_in(&d.take()), [1]);
    assert_eq!(
        reply,
        Reply {
            latency: Millis::from_millis(60_001),
            answered: true,
            late: true,
            missed: 1,
            reminders: 1
        }
    );
    // At exactly the interval: in time, no reminder.
    d.now = SimTime::from_millis(60_001);
    d.engine.handle_customer_close(d.now, s).unwrap();
    let s = d.request();
    d.take();
    let reply = d
        .engine
        .handle_agent_reply(SimTime::from_millis(120_001), s)
        .unwrap();
    d.drain();
    assert!(reminders_in(&d.take()).is_empty());
    assert_eq!(
        (reply.latency, reply.late),
        (Millis::from_millis(60_000), false)
    );
}

#[test]
fn hand_back_with_a_reply_owed_keeps_the_reminder_grid_of_the_last_message() {
    // Agents 0 and 1 (cap 1 each); agent 1 busy. A customer connects to agent 0 at 0 and
    // writes again at 10 s (reply owed since 10 s). Agent 0 logs out with hand-back at 30 s;
    // the session waits (agent 1 busy) until agent 1 is un-busy at 100 s. Reminders are due
    // at 10 + 60k + 0.001 s: 70.001 fell while waiting (not sent); from 100 s on the next is
    // 130.001 s (nth 1: the first sent), then 190.001 s. The reply at 200 s is late,
    // latency 190 s from the last message.
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[1, 1]);
    d.busy(1, true);
    let s = d.request();
    assert_eq!(d.agent_of(s), 0);
    d.now = SimTime::from_secs(10);
    d.engine.handle_customer_message(d.now, s).unwrap();
    d.now = SimTime::from_secs(30);
    d.engine
        .handle_log_out(d.now, AgentId(0), LogOutMode::HandBack)
        .unwrap();
    d.drain();
    d.run_until(100);
    d.take();
    assert_eq!(d.engine.waiting_len(), 1);
    d.busy(1, false);
    assert_eq!(d.agent_of(s), 1);
    assert_eq!(d.engine.reply_owed(s), Some(true));
    d.run_until_ms(130_000);
    assert!(reminders_in(&d.take()).is_empty());
    d.run_until_ms(130_001);
    assert_eq!(reminders_in(&d.take()), [1]);
    d.run_until_ms(190_001);
    assert_eq!(reminders_in(&d.take()), [2]);
    d.now = SimTime::from_secs(200);
    let reply = d.engine.handle_agent_reply(d.now, s).unwrap();
    assert_eq!(
        (reply.latency, reply.late, reply.reminders),
        (Millis::from_millis(190_000), true, 2)
    );
}

#[test]
fn hand_back_while_the_customer_owes_keeps_the_silence_clock_and_takes_messages_while_waiting() {
    // Reply at 5 s; the customer owes the next message. Hand-back at 20 s, agent 1 busy.
    // (a) The customer writes at 50 s while waiting: the reply is owed from 50 s, and on
    //     reconnection at 80 s the reminder is due at 110.001 s.
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[1, 1]);
    d.busy(1, true);
    let s = d.request();
    d.now = SimTime::from_secs(5);
    d.engine.handle_agent_reply(d.now, s).unwrap();
    d.now = SimTime::from_secs(20);
    d.engine
        .handle_log_out(d.now, AgentId(0), LogOutMode::HandBack)
        .unwrap();
    d.now = SimTime::from_secs(50);
    d.engine.handle_customer_message(d.now, s).unwrap();
    d.run_until(80);
    d.busy(1, false);
    d.take();
    assert_eq!(d.engine.reply_owed(s), Some(true));
    d.run_until_ms(110_000);
    assert!(reminders_in(&d.take()).is_empty());
    d.run_until_ms(110_001);
    assert_eq!(reminders_in(&d.take()), [1]);

    // (b) The customer stays silent: the disconnect is due at 5 + 300 s + 1 ms = 305.001 s,
    //     which has passed when agent 1 takes the chat at 400 s: disconnected at once.
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[1, 1]);
    d.busy(1, true);
    let s = d.request();
    d.now = SimTime::from_secs(5);
    d.engine.handle_agent_reply(d.now, s).unwrap();
    d.now = SimTime::from_secs(20);
    d.engine
        .handle_log_out(d.now, AgentId(0), LogOutMode::HandBack)
        .unwrap();
    d.run_until(400);
    d.take();
    d.busy(1, false);
    assert_eq!(d.engine.reply_owed(s), Some(false));
    assert_eq!(d.engine.poll_timeout(), Some(SimTime::from_secs(400)));
    d.run_until(400);
    let ev = d.take();
    assert!(
        ev.iter().any(|e| matches!(e, Event::Ended { session, reason: EndReason::Silence, .. } if *session == s)),
        "{ev:?}"
    );
}

#[test]
fn a_fresh_waiting_customer_still_counts_its_opening_at_connection() {
    // A message from a customer waiting for its first connection changes nothing: the
    // reply is owed from the connection (B.1).
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[1]);
    d.busy(0, true);
    let s = d.request();
    d.now = SimTime::from_secs(10);
    d.engine.handle_customer_message(d.now, s).unwrap();
    d.now = SimTime::from_secs(40);
    d.busy(0, false);
    d.take();
    d.now = SimTime::from_secs(100);
    let reply = d.engine.handle_agent_reply(d.now, s).unwrap();
    assert_eq!(reply.latency, Millis::from_millis(60_000));
    assert!(!reply.late, "60 s after connection is in time");
}

// ----- the missed-response verdict (SPEC B.3), by hand ---------------------------------
// Reply interval 60 s throughout (the default config); a message at t is missed when no
// reply came by t + 60 s (strictly after: a reply at exactly t + 60 s is in time).

/// The agent replies at `t_ms`: the reply's verdict.
fn reply_at(d: &mut Desk, s: SessionId, t_ms: u64) -> Reply {
    d.run_until_ms(t_ms);
    let reply = d.engine.handle_agent_reply(d.now, s).unwrap();
    d.drain();
    reply
}

fn message_at(d: &mut Desk, s: SessionId, t_ms: u64) {
    d.run_until_ms(t_ms);
    d.engine.handle_customer_message(d.now, s).unwrap();
    d.drain();
}

/// The customer closes at `t_ms`: the `missed` its `Ended` event reports.
fn close_at(d: &mut Desk, s: SessionId, t_ms: u64) -> u32 {
    d.run_until_ms(t_ms);
    d.take();
    d.engine.handle_customer_close(d.now, s).unwrap();
    d.drain();
    match d.take()[..] {
        [Event::Ended {
            session,
            reason: EndReason::Closed,
            missed,
            ..
        }, ..]
            if session == s =>
        {
            missed
        }
        ref other => panic!("no Ended for {s:?}: {other:?}"),
    }
}

#[test]
fn two_messages_then_one_late_reply_misses_both() {
    // Opening at 0 answered at 10 s (in time). Messages at 20 s and 40 s, one reply at
    // 110 s: 90 s and 70 s after them, both over 60 s. S54's `late` judges the reply once,
    // from the last message (70 s: late); `missed` counts each message: 2.
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[1]);
    let s = d.request();
    let first = reply_at(&mut d, s, 10_000);
    assert_eq!((first.answered, first.late, first.missed), (true, false, 0));
    message_at(&mut d, s, 20_000);
    message_at(&mut d, s, 40_000);
    let reply = reply_at(&mut d, s, 110_000);
    assert_eq!((reply.late, reply.missed), (true, 2));
    assert_eq!(reply.latency, Millis::from_secs(70));
    // Answered: nothing is left for the end, and a second reply in a row answers nothing.
    let again = reply_at(&mut d, s, 120_000);
    assert_eq!(
        (again.answered, again.late, again.missed),
        (false, false, 0)
    );
    assert_eq!(close_at(&mut d, s, 130_000), 0);
}

#[test]
fn an_earlier_message_is_missed_while_the_last_is_answered_in_time() {
    // The opening at 0 and a message at 50 s, one reply at 70 s. The opening waited 70 s
    // (missed), the message 20 s (in time): 1 missed, yet `late` (from the last message)
    // says in time. The message at 50 s moved the reminder to 110.001 s: none fired.
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[1]);
    let s = d.request();
    message_at(&mut d, s, 50_000);
    let reply = reply_at(&mut d, s, 70_000);
    assert_eq!((reply.late, reply.missed, reply.reminders), (false, 1, 0));
    assert!(reminders_in(&d.take()).is_empty());
}

#[test]
fn a_reply_at_exactly_the_interval_misses_nothing_and_1_ms_later_misses_one() {
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[2]);
    let on_time = d.request();
    let late = d.request();
    assert_eq!(reply_at(&mut d, on_time, 60_000).missed, 0);
    assert_eq!(reply_at(&mut d, late, 60_001).missed, 1);
    // The same for a later message, measured from its own send time.
    message_at(&mut d, on_time, 100_000);
    message_at(&mut d, late, 100_000);
    assert_eq!(reply_at(&mut d, on_time, 160_000).missed, 0);
    assert_eq!(reply_at(&mut d, late, 160_001).missed, 1);
}

#[test]
fn messages_unanswered_at_the_end_are_judged_there() {
    // Never answered: the opening at 0 is missed at a close after 60 s (1 at the end),
    // not at a close at exactly 60 s or before (0).
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[3]);
    let (a, b, c) = (d.request(), d.request(), d.request());
    assert_eq!(reply_at(&mut d, c, 10_000).missed, 0);
    assert_eq!(close_at(&mut d, a, 30_000), 0);
    assert_eq!(close_at(&mut d, b, 60_000), 0);
    // c: answered at 10 s, then two messages (at 70 s and 120 s) unanswered. The engine
    // says what an end would report before it comes (state unchanged): at 130.001 s
    // only the one at 70 s is over 60 s; at 180.001 s both are.
    message_at(&mut d, c, 70_000);
    message_at(&mut d, c, 120_000);
    let at = |ms| SimTime::from_millis(ms);
    assert_eq!(d.engine.missed_if_ended(c, at(130_000)), Ok(0));
    assert_eq!(d.engine.missed_if_ended(c, at(130_001)), Ok(1));
    assert_eq!(d.engine.missed_if_ended(c, at(180_001)), Ok(2));
    assert_eq!(close_at(&mut d, c, 180_001), 2);
    assert_eq!(
        d.engine.missed_if_ended(c, at(180_001)),
        Err(EngineError::UnknownSession(c))
    );
    // A reused slot's next session starts with its own opening only.
    let e = d.request();
    assert_eq!(close_at(&mut d, e, 240_002), 1);
}

#[test]
fn a_silence_disconnect_leaves_nothing_unanswered() {
    // The customer owes the next message when the silence timer fires, so nothing the
    // agent owed can be missed at that end.
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[1]);
    let s = d.request();
    reply_at(&mut d, s, 90_000);
    d.take();
    d.run_until_ms(390_001);
    assert!(matches!(
        d.take()[..],
        [
            Event::Ended {
                reason: EndReason::Silence,
                missed: 0,
                ..
            },
            ..
        ]
    ));
}

#[test]
fn a_handed_back_customer_who_gives_up_reports_the_messages_nobody_answered() {
    // Agent 1 busy. Connected to agent 0 at 0; agent 0 logs out with hand-back at 10 s;
    // the customer writes at 20 s while waiting and gives up at 100 s: the opening (100 s)
    // and the message (80 s) both waited longer than 60 s.
    let mut d = Desk::with_rule(RoutingRule::LeastLoaded, &[1, 1]);
    d.busy(1, true);
    let s = d.request();
    d.run_until(10);
    d.engine
        .handle_log_out(d.now, AgentId(0), LogOutMode::HandBack)
        .unwrap();
    d.drain();
    message_at(&mut d, s, 20_000);
    d.run_until(100);
    d.take();
    d.engine.handle_abandon(d.now, s).unwrap();
    d.drain();
    assert_eq!(
        d.take(),
        [Event::Abandoned {
            session: s,
            waited: Millis::from_secs(90),
            missed: 2,
        }]
    );
    // A first wait's opening counts from the connection: giving up before it, nothing
    // was owed by an agent.
    let w = d.request();
    d.run_until(200);
    d.engine.handle_abandon(d.now, w).unwrap();
    d.drain();
    assert!(matches!(
        d.take()[..],
        [.., Event::Abandoned { missed: 0, .. }]
    ));
}

#[test]
fn without_a_reply_interval_nothing_is_missed() {
    let config = EngineConfig {
        reply_interval: None,
        ..EngineConfig::default()
    };
    let mut d = Desk::new(config, &[1]);
    let s = d.request();
    message_at(&mut d, s, 50_000);
    let reply = reply_at(&mut d, s, 500_000);
    assert_eq!((reply.answered, reply.late, reply.missed), (true, false, 0));
    assert_eq!(d.engine.missed_if_ended(s, SimTime::from_secs(900)), Ok(0));
}
