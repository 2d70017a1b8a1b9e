//! Desks shared by the tool tests (`tools`, `staffing_exact`, `staffing_queues`, `shard`):
//! each file adds the `[run]` section its tests need (horizon, replications, seed).

/// M/M/c: Poisson 480/h, exponential 60-s holding (a = 8 Erlangs), one session per
/// agent, 12 agents, infinite patience, no timers.
pub const MMC_8_ERLANGS: &str = r#"
[arrivals]
kind = "poisson"
rate_per_hour = 480

[sessions]
model = "holding"
holding_time = { dist = "exponential", mean_s = 60 }

[agents]
count = 12
max_sessions = 1
"#;

/// A small turn-by-turn desk: 6 agents of 3 sessions, 90 chats an hour of 4 messages, a
/// tenth of messages overlooked until a reminder (so reminders happen whatever the
/// staffing), 60-s reply and 300-s message intervals (a sweep over them moves every
/// figure).
pub const SMALL_TURNS: &str = r#"
[arrivals]
kind = "poisson"
rate_per_hour = 90

[sessions]
model = "turns"

[customers]
messages = { dist = "constant", value = 4 }
think_time = { dist = "exponential", mean_s = 30 }
silent_prob = 0.02

[agents]
count = 6
max_sessions = 3

[agents.behaviour]
reply_time = { dist = "exponential", mean_s = 40 }
overlook_prob = 0.1
reaction_time = { dist = "exponential", mean_s = 10 }

[thresholds]
reply_interval_s = 60
message_interval_s = 300
"#;

/// Two queues fed by one arrival stream: English takes a quarter of the chats, Spanish
/// three quarters. Only the `[[queues]]` and `[[customers.segments]]` sections: the test
/// adds the arrivals, the sessions and agents with skills for the two queues.
pub const ENGLISH_SPANISH: &str = r#"
[[queues]]
name = "english"

[[queues]]
name = "spanish"

[[customers.segments]]
name = "en"
share = 0.25
queue = "english"

[[customers.segments]]
name = "es"
share = 0.75
queue = "spanish"
"#;
