//! Routing presets, each shown by a hand-worked trace (docs/model.md, "Routing presets"):
//! tiny desks with constant distributions whose figures are worked out in the timeline
//! above each test, then asserted, beside the same desk without the preset's behaviour
//! to show the difference is the preset's. The timing rules are traces.rs's: a timer
//! fires at the first millisecond its interval is exceeded (inactive at last reply +
//! inactive_after + 1 ms, the first-reply time-out at connection + time-out + 1 ms).

use chatsim::metrics::RunSummary;
use std::path::Path;

fn simulate(name: &str, toml: &str) -> RunSummary {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/presets")
        .join(format!("{name}.toml"));
    let sc = chatsim::scenario::from_toml_str(toml, &path)
        .unwrap_or_else(|e| panic!("{name}: the scenario does not load: {e}"));
    chatsim::pipeline::simulate(&sc, 1, &chatsim::pipeline::NEVER_CANCELLED, &|| {})
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The run's figure `name`.
fn run(s: &RunSummary, name: &str) -> f64 {
    s.metrics
        .get(name)
        .unwrap_or_else(|| panic!("no {name}"))
        .mean
}

/// Agent `agent`'s figure `name`.
fn agent(s: &RunSummary, agent: &str, name: &str) -> f64 {
    let a = s.agents.iter().find(|a| a.name == agent).expect("agent");
    a.metrics
        .get(name)
        .unwrap_or_else(|| panic!("no {name}"))
        .mean
}

/// Asserts every `(figure, value)` of the run, then of each agent.
fn expect(what: &str, s: &RunSummary, runs: &[(&str, f64)], agents: &[(&str, &[(&str, f64)])]) {
    let mut off = Vec::new();
    for (n, want) in runs {
        let got = run(s, n);
        if (got - want).abs() > 1e-9 * want.abs().max(1.0) {
            off.push(format!("run {n}: expected {want}, got {got}"));
        }
    }
    for (a, figures) in agents {
        for (n, want) in *figures {
            let got = agent(s, a, n);
            if (got - want).abs() > 1e-9 * want.abs().max(1.0) {
                off.push(format!("{a} {n}: expected {want}, got {got}"));
            }
        }
    }
    assert!(off.is_empty(), "{what}:\n  {}", off.join("\n  "));
}

/// A holding desk: customers at `times`, each holding 500 s; agents `roster` (inline
/// rows); `routing` as written.
fn holding_desk(times: &str, roster: &str, routing: &str) -> String {
    format!(
        "[run]\nhorizon_s = 100\ninterval_s = 100\n\n[arrivals]\nkind = \"trace\"\ntimes_s = [{times}]\n\n\
         [sessions]\nmodel = \"holding\"\nholding_time = {{ dist = \"constant\", value_s = 500 }}\n\n\
         [agents]\nroster = [\n{roster}]\n\n[routing]\n{routing}\n"
    )
}

const TWO_CAP_2_4: &str =
    "  { id = \"A1\", max_sessions = 2, shift_start = 0, shift_end = 100 },\n  \
                           { id = \"A2\", max_sessions = 4, shift_start = 0, shift_end = 100 },\n";

/// Spare capacity (Zendesk) against the utilisation ratio (Freshchat) and fewest open
/// (Intercom), on agents of caps 2 (A1) and 4 (A2), four customers at 1, 2, 3, 4 s, each
/// holding 500 s (no ends inside the trace). Ties go to the longest since the last
/// assignment (never assigned = at 0), then the lowest id.
///
/// ```text
///       spare capacity (max − count)    ratio (count / max)             fewest open
///  C1   A1 2, A2 4 → A2                 A1 0, A2 0: tie → A1            tie → A1
///  C2   A1 2, A2 3 → A2                 A1 1/2, A2 0 → A2               A1 1, A2 0 → A2
///  C3   A1 2, A2 2: tie, A1 never → A1  A1 1/2, A2 1/4 → A2             tie, A1 at 1 s → A1
///  C4   A1 1, A2 2 → A2                 A1 1/2, A2 2/4: tie, A1 at 1 s → A1    A1 2 → A2
///  sessions: A1 1, A2 3                 A1 2, A2 2                      A1 2, A2 2
/// ```
/// The three orders differ at C1 and C3: spare capacity sends the first two to the big
/// agent, the ratio the second and third, fewest open alternates.
#[test]
fn spare_capacity_ratio_and_fewest_open_pick_as_their_products_document() {
    let times = "1, 2, 3, 4";
    for (preset, a1, a2) in [
        ("zendesk_spare_capacity", 1.0, 3.0),
        ("freshchat_utilisation", 2.0, 2.0),
        ("intercom_balanced", 2.0, 2.0),
    ] {
        let s = simulate(
            preset,
            &holding_desk(times, TWO_CAP_2_4, &format!("preset = \"{preset}\"")),
        );
        expect(
            preset,
            &s,
            &[
                ("offered", 4.0),
                ("connected", 4.0),
                ("p_wait", 0.0),
                ("sessions", 4.0),
            ],
            &[("A1", &[("sessions", a1)]), ("A2", &[("sessions", a2)])],
        );
    }
}

/// Fill-first (LiveAgent) against fewest open: two agents of cap 2, two customers at 1
/// and 2 s. C1 → A1 (tie, lowest id) under both. C2: fill-first takes the agent with the
/// most open chats below its cap, A1 (1 < 2); fewest open takes A2 (0).
#[test]
fn fill_first_fills_one_agent_before_the_next() {
    let roster = "  { id = \"A1\", max_sessions = 2, shift_start = 0, shift_end = 100 },\n  \
                  { id = \"A2\", max_sessions = 2, shift_start = 0, shift_end = 100 },\n";
    let fill = simulate(
        "fill_first",
        &holding_desk("1, 2", roster, "preset = \"fill_first\""),
    );
    expect(
        "fill_first",
        &fill,
        &[("connected", 2.0)],
        &[("A1", &[("sessions", 2.0)]), ("A2", &[("sessions", 0.0)])],
    );
    let spread = simulate(
        "fewest_open",
        &holding_desk("1, 2", roster, "rule = \"least_loaded\""),
    );
    expect(
        "least_loaded",
        &spread,
        &[("connected", 2.0)],
        &[("A1", &[("sessions", 1.0)]), ("A2", &[("sessions", 1.0)])],
    );
}

/// Longest idle, load-blind (Genesys Cloud, Amazon Connect): A1 logs in at 0, A2 at 50 s
/// (cap 3 each). C1 at 1 s → A1 (the only one online; its idle clock restarts at 1 s).
/// C2 at 60 s: A1 idle since 1 s, A2 since its log-in at 50 s → A1, although it holds a
/// chat and A2 none. Fewest open sends C2 to A2. (On a holding desk the preset keeps its
/// rule; its first-reply time-out needs turns.)
#[test]
fn longest_idle_ignores_the_load() {
    let roster = "  { id = \"A1\", max_sessions = 3, shift_start = 0, shift_end = 100 },\n  \
                  { id = \"A2\", max_sessions = 3, shift_start = 50, shift_end = 100 },\n";
    let idle = simulate(
        "genesys",
        &holding_desk("1, 60", roster, "preset = \"genesys_longest_idle\""),
    );
    expect(
        "genesys_longest_idle",
        &idle,
        &[("connected", 2.0)],
        &[("A1", &[("sessions", 2.0)]), ("A2", &[("sessions", 0.0)])],
    );
    let load = simulate(
        "genesys_off",
        &holding_desk("1, 60", roster, "rule = \"least_loaded\""),
    );
    expect(
        "least_loaded",
        &load,
        &[("connected", 2.0)],
        &[("A1", &[("sessions", 1.0)]), ("A2", &[("sessions", 1.0)])],
    );
}

/// A turns desk: customers at `times`, N = 2 messages, reply 5 s × speed, think `think_s`,
/// no reminders; the message interval, 2000 s, is longer than every silence here.
fn turns_desk(times: &str, think_s: u32, roster: &str, routing: &str) -> String {
    format!(
        "[run]\nhorizon_s = 3000\ninterval_s = 3000\n\n[arrivals]\nkind = \"trace\"\ntimes_s = [{times}]\n\n\
         [sessions]\nmodel = \"turns\"\n\n[customers]\nmessages = {{ dist = \"constant\", value = 2 }}\n\
         think_time = {{ dist = \"constant\", value_s = {think_s} }}\n\n\
         [agents]\nroster = [\n{roster}]\n\n[agents.behaviour]\nreply_time = {{ dist = \"constant\", value_s = 5 }}\n\n\
         [thresholds]\nreply_interval_s = \"off\"\nmessage_interval_s = 2000\n\n[routing]\n{routing}\n"
    )
}

/// Spare capacity's inactive chats (Zendesk): one agent of cap 1; C1 at 0, C2 at 10 s;
/// N = 2, R = 5 s, think 700 s; a chat goes inactive 600 s after the agent's reply.
///
/// ```text
///          0      C1 → A1; reply due 5
///          5      reply 1 to C1 (latency 5); C1's message 2 due 705; inactive at 605.001
///         10      C2 arrives: A1 at its cap → waits
///        605.001  C1 inactive: A1's count 0 → C2 → A1 (waited 595.001); reply due 610.001
///        610.001  reply 1 to C2 (latency 5); message 2 due 1310.001; inactive at 1210.002
///        705      C1 writes: reactivated on A1 over its cap (count 2); reply due 710
///        710      reply 2 to C1 (latency 5) = N → C1 closes
///       1210.002  C2 inactive
///       1310.001  C2 writes: reactivated (count 1); reply 1315.001 (latency 5) → closes
/// ```
/// Without `reactivate_over_cap` (the override below), C1's message at 705 finds A1 at
/// its cap (C2 counts): C1 is handed back to the queue's head, and reconnected when C2
/// goes inactive at 1210.002; A1 owes the reply since 705, so it comes at 1215.002
/// (latency 510.002) and C1 closes. Replies: 5, 5, 510.002, 5.
#[test]
fn inactive_chats_free_the_slot_and_reactivate_over_the_cap() {
    let roster = "  { id = \"A1\", max_sessions = 1, shift_start = 0, shift_end = 3000 },\n";
    let over = simulate(
        "zendesk_inactive",
        &turns_desk("0, 10", 700, roster, "preset = \"zendesk_spare_capacity\""),
    );
    expect(
        "zendesk_spare_capacity",
        &over,
        &[
            ("offered", 2.0),
            ("connected", 2.0),
            ("wait_s_max", 595.001),
            ("wait_s_mean", 595.001 / 2.0),
            ("replies", 4.0),
            ("reply_latency_s_mean", 5.0),
            ("normal_closes", 2.0),
            ("handed_back", 0.0),
            ("reconnected", 0.0),
            ("disconnects", 0.0),
        ],
        &[(
            "A1",
            &[("sessions", 2.0), ("replies", 4.0), ("normal_closes", 2.0)],
        )],
    );
    let back = simulate(
        "zendesk_no_over_cap",
        &turns_desk(
            "0, 10",
            700,
            roster,
            "preset = \"zendesk_spare_capacity\"\nreactivate_over_cap = false",
        ),
    );
    expect(
        "zendesk_spare_capacity without reactivate_over_cap",
        &back,
        &[
            ("offered", 2.0),
            ("connected", 2.0),
            ("wait_s_max", 595.001),
            ("replies", 4.0),
            ("reply_latency_s_mean", (5.0 + 5.0 + 510.002 + 5.0) / 4.0),
            ("normal_closes", 2.0),
            ("handed_back", 1.0),
            ("reconnected", 1.0),
        ],
        &[(
            "A1",
            &[
                ("sessions", 3.0),
                ("replies", 4.0),
                ("normal_closes", 2.0),
                ("handed_back", 1.0),
            ],
        )],
    );
    // Without the preset: no inactivity, C2 waits for C1's close at 710 (waited 700).
    let plain = simulate(
        "zendesk_off",
        &turns_desk("0, 10", 700, roster, "rule = \"most_spare\""),
    );
    expect(
        "most_spare alone",
        &plain,
        &[("wait_s_max", 700.0), ("replies", 4.0)],
        &[],
    );
}

/// LiveChat's transfer: no first reply within 180 s moves the chat to an agent it was not
/// with. A1 replies in 5 s × 100 = 500 s, A2 in 5 s; cap 1 each; one customer at 0, N = 2,
/// think 10 s.
///
/// ```text
///        0      C1 → A1 (tie, lowest id); A1's reply due 500
///      180.001  first-reply time-out: → A2 (untried, free); A1's reply void; A2's due 185.001
///      185.001  reply 1 by A2 (latency 185.001 from the opening at 0); message 2 due 195.001
///      195.001  C1 writes; reply 200.001 (latency 5) = N → closes
/// ```
/// A1: one session, handed back (the transfer); A2: one session, reconnected, two
/// replies, the close. Without the preset A1 replies at 500 and 515.
#[test]
fn no_first_reply_in_three_minutes_transfers_to_an_untried_agent() {
    let roster = "  { id = \"A1\", max_sessions = 1, shift_start = 0, shift_end = 3000, speed_factor = 100 },\n  \
                  { id = \"A2\", max_sessions = 1, shift_start = 0, shift_end = 3000 },\n";
    let s = simulate(
        "livechat",
        &turns_desk("0", 10, roster, "preset = \"livechat_transfer\""),
    );
    expect(
        "livechat_transfer",
        &s,
        &[
            ("connected", 1.0),
            ("sessions", 1.0),
            ("replies", 2.0),
            ("reply_latency_s_mean", (185.001 + 5.0) / 2.0),
            ("handed_back", 1.0),
            ("reconnected", 1.0),
            ("normal_closes", 1.0),
        ],
        &[
            (
                "A1",
                &[
                    ("sessions", 1.0),
                    ("replies", 0.0),
                    ("handed_back", 1.0),
                    ("normal_closes", 0.0),
                ],
            ),
            (
                "A2",
                &[
                    ("sessions", 1.0),
                    ("replies", 2.0),
                    ("reconnected", 1.0),
                    ("normal_closes", 1.0),
                ],
            ),
        ],
    );
    let plain = simulate(
        "livechat_off",
        &turns_desk("0", 10, roster, "rule = \"least_loaded\""),
    );
    expect(
        "least_loaded",
        &plain,
        &[
            ("replies", 2.0),
            ("reply_latency_s_mean", 500.0),
            ("handed_back", 0.0),
        ],
        &[
            ("A1", &[("sessions", 1.0), ("replies", 2.0)]),
            ("A2", &[("sessions", 0.0)]),
        ],
    );
}

/// Every preset runs the default desk (with a message interval past the presets' 10 min of
/// inactivity) and its books balance: offered = connected + abandoned + unresolved. (The
/// over-cap presets may take an agent's occupancy past 1, which the figures' laws allow:
/// `metrics::collector`'s test of that switch.)
#[test]
fn every_preset_runs_the_default_desk() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml");
    for preset in chatsim::scenario::routing_presets::PRESETS
        .iter()
        .map(|p| p.name)
    {
        let overrides: Vec<_> = [
            format!("routing.preset={preset}"),
            "thresholds.message_interval_s=900".to_string(),
            "run.replications=1".to_string(),
        ]
        .iter()
        .map(|o| chatsim::scenario::Override::parse(o).unwrap())
        .collect();
        let sc = chatsim::scenario::load_with_overrides(&path, &overrides)
            .unwrap_or_else(|e| panic!("{preset}: {e}"));
        let s = chatsim::pipeline::simulate(&sc, 1, &chatsim::pipeline::NEVER_CANCELLED, &|| {})
            .unwrap_or_else(|e| panic!("{preset}: {e}"));
        let offered = run(&s, "offered");
        let settled = run(&s, "connected") + run(&s, "abandoned") + run(&s, "unresolved");
        assert!(offered > 0.0, "{preset}");
        assert_eq!(offered, settled, "{preset}");
    }
}
