//! Hand-worked traces of the product switches: tiny desks, constant times, every event
//! and count asserted, the expected trace worked out in each test's comment.

use crate::time::{Millis, SimTime};
use crate::*;

/// One engine with a hand-moved clock; `until` fires the timers due on the way.
struct Trace {
    e: Engine,
    now: SimTime,
}

fn s(secs: u64) -> SimTime {
    SimTime::from_millis(secs * 1000)
}

fn ms(m: u64) -> SimTime {
    SimTime::from_millis(m)
}

impl Trace {
    fn new(config: EngineConfig, maxes: &[u32]) -> Trace {
        let mut e = Engine::new(config, maxes);
        for i in 0..maxes.len() {
            e.handle_log_in(SimTime::ZERO, AgentId(i as u32)).unwrap();
        }
        let mut t = Trace {
            e,
            now: SimTime::ZERO,
        };
        t.events();
        t
    }

    /// The events since the last call (the invariants checked first).
    fn events(&mut self) -> Vec<Event> {
        self.e.check_invariants().unwrap();
        std::iter::from_fn(|| self.e.poll_event()).collect()
    }

    /// Fires every timer due by `t`, one wake-up at a time, and moves the clock there.
    fn until(&mut self, t: SimTime) {
        while let Some(due) = self.e.poll_timeout().filter(|&d| d <= t) {
            self.e.handle_timeout(due).unwrap();
            self.e.check_invariants().unwrap();
        }
        self.now = t;
    }

    fn request(&mut self, t: SimTime) -> SessionId {
        self.until(t);
        self.e.handle_session_request(t, 0).unwrap()
    }

    fn reply(&mut self, t: SimTime, id: SessionId) -> Reply {
        self.until(t);
        self.e.handle_agent_reply(t, id).unwrap()
    }

    fn message(&mut self, t: SimTime, id: SessionId) {
        self.until(t);
        self.e.handle_customer_message(t, id).unwrap();
    }

    fn close(&mut self, t: SimTime, id: SessionId) {
        self.until(t);
        self.e.handle_customer_close(t, id).unwrap();
    }

    /// (count, inactive) of agent `a`.
    fn load(&self, a: u32) -> (u32, u32) {
        let v = self.e.agent(AgentId(a)).unwrap();
        (v.count, v.inactive)
    }
}

fn config(rule: RoutingRule, switches: Switches) -> EngineConfig {
    EngineConfig {
        rule,
        reply_interval: None,
        message_interval: Some(Millis::from_secs(300)),
        repeat_reminders: true,
        reminder_cap: None,
        switches,
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
fn an_inactive_chat_frees_its_place_and_a_message_at_the_cap_hands_it_back() {
    // One agent of cap 1; inactive after 60 s, disconnect after 300 s, no reminders.
    //   0 s      A connects (count 1); B waits at position 1.
    //  10 s      the agent replies to A: the customer owes; inactivity armed at
    //            10 + 60 s + 1 ms = 70.001 s (before the disconnect at 310.001 s).
    //  70.001 s  A goes inactive: count 0, inactive 1; B connects at once (waited
    //            70.001 s; count 1). A's disconnect is armed from the same reply: 310.001 s.
    // 100 s      A's customer writes: the agent is at its cap (B) and may not exceed it,
    //            so A goes back to the queue's head (HandedBack); count 1, inactive 0.
    // 150 s      B closes: A reconnects (waited 50 s, count 1), the agent owes the reply
    //            to the 100 s message.
    // 160 s      the reply: latency 60 s from the customer's message. Inactivity at
    //            220.001 s, then the disconnect at 160 + 300 s + 1 ms = 460.001 s.
    let sw = Switches {
        inactive_after: Some(Millis::from_secs(60)),
        ..Switches::default()
    };
    let mut t = Trace::new(config(RoutingRule::LeastLoaded, sw), &[1]);
    let a = t.request(s(0));
    let b = t.request(s(0));
    assert_eq!(
        t.events(),
        [
            connected(a, 0, 0, 1),
            Event::Queued {
                session: b,
                position: 1
            }
        ]
    );
    t.reply(s(10), a);
    assert_eq!(t.e.poll_timeout(), Some(ms(70_001)));
    t.until(ms(70_001));
    assert_eq!(
        t.events(),
        [
            Event::Inactive {
                session: a,
                agent: AgentId(0)
            },
            connected(b, 0, 70_001, 1)
        ]
    );
    assert_eq!(t.load(0), (1, 1));
    assert_eq!(
        t.e.session_agent(a),
        Some(AgentId(0)),
        "A stays the agent's"
    );
    t.message(s(100), a);
    assert_eq!(
        t.events(),
        [Event::HandedBack {
            session: a,
            agent: AgentId(0)
        }]
    );
    assert_eq!((t.load(0), t.e.waiting_len()), ((1, 0), 1));
    t.close(s(150), b);
    let ended_b = Event::Ended {
        session: b,
        agent: AgentId(0),
        reason: EndReason::Closed,
        missed: 0,
    };
    assert_eq!(t.events(), [ended_b, connected(a, 0, 50_000, 1)]);
    assert_eq!(t.e.reply_owed(a), Some(true));
    let r = t.reply(s(160), a);
    assert_eq!((r.answered, r.latency), (true, Millis::from_secs(60)));
    t.until(ms(220_001));
    assert_eq!(
        t.events(),
        [Event::Inactive {
            session: a,
            agent: AgentId(0)
        }]
    );
    assert_eq!(t.e.poll_timeout(), Some(ms(460_001)));
    t.until(ms(460_001));
    assert_eq!(
        t.events(),
        [Event::Ended {
            session: a,
            agent: AgentId(0),
            reason: EndReason::Silence,
            missed: 0
        }]
    );
    assert_eq!(t.load(0), (0, 0));
}

#[test]
fn reactivation_over_the_cap_keeps_the_chat_and_blocks_new_ones_until_below() {
    // One agent of cap 1; inactive after 60 s; reactivation may exceed the cap.
    //   0 s      A connects (count 1). 10 s: the reply; inactivity at 70.001 s.
    //  70.001 s  A inactive: count 0, inactive 1.
    //  80 s      B connects at once (count 1).
    // 100 s      A's customer writes: A counts again on the same agent, over the cap:
    //            Reactivated; count 2 of max 1, inactive 0.
    // 110 s      C finds nobody with room: it waits.
    // 120 s      B closes: count 1 (A takes B's place in the list), still at the cap,
    //            so C still waits.
    // 130 s      the reply to A: inactive at 190.001 s: count 0, C connects (waited
    //            80.001 s, count 1).
    let sw = Switches {
        inactive_after: Some(Millis::from_secs(60)),
        reactivate_over_cap: true,
        ..Switches::default()
    };
    let mut t = Trace::new(config(RoutingRule::LeastLoaded, sw), &[1]);
    let a = t.request(s(0));
    t.reply(s(10), a);
    t.until(s(80));
    let b = t.e.handle_session_request(s(80), 0).unwrap();
    let inactive_a = Event::Inactive {
        session: a,
        agent: AgentId(0),
    };
    assert_eq!(
        t.events(),
        [connected(a, 0, 0, 1), inactive_a, connected(b, 0, 0, 1)]
    );
    t.message(s(100), a);
    assert_eq!(
        t.events(),
        [Event::Reactivated {
            session: a,
            agent: AgentId(0)
        }]
    );
    assert_eq!(t.load(0), (2, 0));
    assert_eq!(t.e.reply_owed(a), Some(true));
    let c = t.request(s(110));
    assert_eq!(
        t.events(),
        [Event::Queued {
            session: c,
            position: 1
        }]
    );
    t.close(s(120), b);
    assert_eq!(
        t.events(),
        [Event::Ended {
            session: b,
            agent: AgentId(0),
            reason: EndReason::Closed,
            missed: 0
        }]
    );
    assert_eq!((t.load(0), t.e.waiting_len()), ((1, 0), 1));
    t.reply(s(130), a);
    t.until(ms(190_001));
    assert_eq!(t.events(), [inactive_a, connected(c, 0, 80_001, 1)]);
    assert_eq!(t.load(0), (1, 1));
}

#[test]
fn a_reply_within_the_cap_reactivates_in_place_and_log_out_hands_back_inactive_chats() {
    // Cap 2; inactive after 60 s. A and B connect at 0 s; the agent replies to both at
    // 10 s; both go inactive at 70.001 s (A first: armed first). A's customer writes at
    // 100 s: the agent has room (count 0): Reactivated, count 1. At 120 s the agent logs
    // out handing back: the listed A first, then the parked B, wait at the head: A, B.
    let sw = Switches {
        inactive_after: Some(Millis::from_secs(60)),
        ..Switches::default()
    };
    let mut t = Trace::new(config(RoutingRule::LeastLoaded, sw), &[2]);
    let a = t.request(s(0));
    let b = t.request(s(0));
    t.reply(s(10), a);
    t.reply(s(10), b);
    t.until(ms(70_001));
    let inactive = |x| Event::Inactive {
        session: x,
        agent: AgentId(0),
    };
    assert_eq!(
        t.events(),
        [
            connected(a, 0, 0, 1),
            connected(b, 0, 0, 2),
            inactive(a),
            inactive(b)
        ]
    );
    assert_eq!(t.load(0), (0, 2));
    t.message(s(100), a);
    assert_eq!(
        t.events(),
        [Event::Reactivated {
            session: a,
            agent: AgentId(0)
        }]
    );
    assert_eq!(t.load(0), (1, 1));
    t.until(s(120));
    t.e.handle_log_out(s(120), AgentId(0), LogOutMode::HandBack)
        .unwrap();
    let back = |x| Event::HandedBack {
        session: x,
        agent: AgentId(0),
    };
    assert_eq!(
        t.events(),
        [
            Event::Agent {
                agent: AgentId(0),
                change: AgentChange::LoggedOut
            },
            back(b),
            back(a)
        ]
    );
    assert_eq!((t.load(0), t.e.waiting_len()), ((0, 0), 2));
    // Back at 130 s: A (owes a reply) first, then B (the customer owes; it went inactive
    // before, so its inactivity is overdue and fires at once, at the next wake-up).
    t.until(s(130));
    t.e.handle_log_in(s(130), AgentId(0)).unwrap();
    let _ = t.events();
    assert_eq!(t.e.reply_owed(a), Some(true));
    assert_eq!(t.e.reply_owed(b), Some(false));
    assert_eq!(t.e.poll_timeout(), Some(s(130)));
    t.until(s(130));
    assert_eq!(t.events(), [inactive(b)]);
    assert_eq!(t.load(0), (1, 1));
}

#[test]
fn inactivity_never_comes_when_the_disconnect_comes_first() {
    // inactive_after = message interval = 300 s: after the reply at 0 s both would fall
    // at 300.001 s; the disconnect ends the session, no Inactive event.
    let sw = Switches {
        inactive_after: Some(Millis::from_secs(300)),
        ..Switches::default()
    };
    let mut t = Trace::new(config(RoutingRule::LeastLoaded, sw), &[1]);
    let a = t.request(s(0));
    t.reply(s(0), a);
    t.until(s(1000));
    let events = t.events();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(matches!(
        events[1],
        Event::Ended {
            reason: EndReason::Silence,
            ..
        }
    ));
}

#[test]
fn an_unanswered_opening_moves_to_an_untried_agent_and_the_reminders_keep_their_grid() {
    // Three agents of cap 1, least loaded; reminders every 60 s, disconnect after 300 s,
    // first-reply time-out 180 s.
    //   0 s       A → agent 0, B → agent 1 (equal load and tie: lower id first).
    //  30 s       agent 1 replies to B: B's first reply, no time-out for it; B's
    //             disconnect at 330.001 s.
    //  60.001 s   reminder 1 for A (agent 0); 120.001 s reminder 2.
    // 180.001 s   reminder 3 (reminders go first at one instant), then A's time-out:
    //             tried {0}; agent 1 is full, agent 2 free → Transferred 0 → 2.
    //             Counts 0, 1, 1. Re-armed at 180.001 + 180 s + 1 ms = 360.002 s.
    // 240.001 s   reminder 4, now to agent 2 (the grid runs from the customer's 0 s);
    // 300.001 s   reminder 5.
    // 330.001 s   B disconnected (silent since 30 s): agent 1 free.
    // 360.001 s   reminder 6 (agent 2); 360.002 s A's time-out: tried {0, 2}, eligible
    //             agents 0 and 1, untried only 1 → Transferred 2 → 1.
    // 400 s       agent 1 replies: latency 400 s from the opening, 6 reminders; the
    //             time-out stops (no event at 540.003 s).
    let sw = Switches {
        first_reply_timeout: Some(Millis::from_secs(180)),
        ..Switches::default()
    };
    let mut cfg = config(RoutingRule::LeastLoaded, sw);
    cfg.reply_interval = Some(Millis::from_secs(60));
    let mut t = Trace::new(cfg, &[1, 1, 1]);
    let a = t.request(s(0));
    let b = t.request(s(0));
    t.reply(s(30), b);
    t.until(ms(180_001));
    let reminder = |agent, nth| Event::ReminderDue {
        session: a,
        agent: AgentId(agent),
        nth,
    };
    let moved = |from, to| Event::Transferred {
        session: a,
        from: AgentId(from),
        to: AgentId(to),
    };
    assert_eq!(
        t.events(),
        [
            connected(a, 0, 0, 1),
            connected(b, 1, 0, 1),
            reminder(0, 1),
            reminder(0, 2),
            reminder(0, 3),
            moved(0, 2)
        ]
    );
    assert_eq!([t.load(0), t.load(1), t.load(2)], [(0, 0), (1, 0), (1, 0)]);
    t.until(ms(360_002));
    assert_eq!(
        t.events(),
        [
            reminder(2, 4),
            reminder(2, 5),
            Event::Ended {
                session: b,
                agent: AgentId(1),
                reason: EndReason::Silence,
                missed: 0
            },
            reminder(2, 6),
            moved(2, 1)
        ]
    );
    assert_eq!([t.load(0), t.load(1), t.load(2)], [(0, 0), (1, 0), (0, 0)]);
    let r = t.reply(s(400), a);
    assert_eq!(
        (r.answered, r.latency, r.late, r.reminders),
        (true, Millis::from_secs(400), true, 6)
    );
    t.until(s(600));
    assert_eq!(t.events(), []);
    assert_eq!(t.e.session_agent(a), Some(AgentId(1)));
}

#[test]
fn with_no_untried_agent_free_the_chat_stays_and_is_offered_again_a_time_out_later() {
    // Two agents of cap 1, no reminders, no disconnect; time-out 180 s.
    //   0 s        A → agent 0, B → agent 1.
    // 180.001 s    A's time-out: untried agent 1 is full: A stays (no event); B's
    //              time-out: untried agent 0 is full: B stays. Both re-armed at
    //              180.001 + 180 s + 1 ms = 360.002 s.
    // 200 s        B closes: agent 1 free.
    // 360.002 s    A's time-out: agent 1 is untried and free → Transferred 0 → 1.
    // 540.003 s    A's time-out: agent 0 is free but has held it; nobody else → stays.
    let sw = Switches {
        first_reply_timeout: Some(Millis::from_secs(180)),
        ..Switches::default()
    };
    let mut cfg = config(RoutingRule::LeastLoaded, sw);
    cfg.message_interval = None;
    let mut t = Trace::new(cfg, &[1, 1]);
    let a = t.request(s(0));
    let b = t.request(s(0));
    t.until(ms(180_001));
    assert_eq!(t.events(), [connected(a, 0, 0, 1), connected(b, 1, 0, 1)]);
    assert_eq!(t.e.poll_timeout(), Some(ms(360_002)));
    t.close(s(200), b);
    let _ = t.events();
    t.until(ms(360_002));
    assert_eq!(
        t.events(),
        [Event::Transferred {
            session: a,
            from: AgentId(0),
            to: AgentId(1)
        }]
    );
    assert_eq!([t.load(0), t.load(1)], [(0, 0), (1, 0)]);
    assert_eq!(t.e.poll_timeout(), Some(ms(540_003)));
    t.until(ms(540_003));
    assert_eq!(t.events(), []);
    assert_eq!(t.e.session_agent(a), Some(AgentId(1)));
    assert_eq!(
        t.e.stats().routing_decisions,
        3,
        "A, B and the one transfer"
    );
}

#[test]
fn switches_off_change_nothing() {
    // The default switches arm no timer of their own: one session, its reply, its
    // disconnect at 300.001 s, and nothing else.
    let mut t = Trace::new(config(RoutingRule::LeastLoaded, Switches::default()), &[1]);
    let a = t.request(s(0));
    t.reply(s(0), a);
    assert_eq!(t.e.poll_timeout(), Some(ms(300_001)));
    assert!(!t.e.switches.timers_on());
    assert!(t.e.switches.parked.is_empty() && t.e.switches.first.is_empty());
}

#[test]
fn a_closed_chat_takes_its_inactivity_timer_with_it_when_the_method_has_no_timers() {
    // Reply and message intervals off, inactivity at 100 s. The opening at 0 s, the
    // reply at 10 s arms the inactivity for 110.001 s; the customer closes at 50 s. The
    // timer must die with the session: no wake-up is left, and firing at 200 s finds
    // nothing (it once fired on the freed slot and panicked).
    let switches = Switches {
        inactive_after: Some(Millis::from_secs(100)),
        ..Switches::default()
    };
    let mut cfg = config(RoutingRule::LeastLoaded, switches);
    cfg.reply_interval = None;
    cfg.message_interval = None;
    let mut t = Trace::new(cfg, &[1]);
    let a = t.request(s(0));
    t.reply(s(10), a);
    assert_eq!(t.e.poll_timeout(), Some(ms(110_001)));
    t.close(s(50), a);
    t.until(s(200));
    let events = t.events();
    assert!(
        events.iter().all(|e| !matches!(e, Event::Inactive { .. })),
        "{events:?}"
    );
    assert_eq!(t.load(0), (0, 0));
}
