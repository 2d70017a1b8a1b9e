//! The engine's vocabulary: ids, commands' codes, events and configuration.

use crate::time::{Millis, SimTime};
use serde::{Deserialize, Serialize};

/// An agent (customer-service end), by dense index into the roster given to the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgentId(pub u32);

/// A session (one customer's chat, from its request on), by slot and generation: a slot
/// is reused after the session ends, and the generation makes a stale id an error value.
/// Slot numbers are sparse: up to four per agent (a session connected at once lives in
/// its agent's record), then the overflow slots; a driver indexing a vector by slot
/// should expect about `4 × agents` entries plus the waiting peak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionId {
    pub slot: u32,
    pub generation: u32,
}

/// The distribution rule of S3: which eligible agent gets the next session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutingRule {
    /// Lowest service count; ties by longest since last assignment, then by id.
    #[default]
    LeastLoaded,
    /// Lowest count / max (exact rational order); same tie-breaks.
    LowestLoadRatio,
    /// Load rotation: the next eligible agent by id after the one last picked, cyclically.
    RoundRobin,
    /// The agent whose session set last changed longest ago (assignment, session end,
    /// log-in or un-busy), ties by id.
    LongestIdle,
    /// Uniformly random among eligible agents, from the draw the caller passes in.
    Random,
    /// Fill-first (LiveAgent): the most open sessions still below the cap, so that agents
    /// fill up one after another; ties by longest since last assignment, then by id.
    FillFirst,
    /// Most spare capacity, max − count (Zendesk's spare capacity, Salesforce's Most
    /// Available): with equal caps it is least loaded, with mixed caps an agent of a
    /// larger cap is preferred at the same count; same tie-breaks.
    MostSpare,
}

impl RoutingRule {
    /// Every rule, in documentation order.
    pub const ALL: [RoutingRule; 7] = [
        RoutingRule::LeastLoaded,
        RoutingRule::LowestLoadRatio,
        RoutingRule::RoundRobin,
        RoutingRule::LongestIdle,
        RoutingRule::Random,
        RoutingRule::FillFirst,
        RoutingRule::MostSpare,
    ];

    /// The name used in scenario files and reports.
    pub fn name(self) -> &'static str {
        match self {
            RoutingRule::LeastLoaded => "least_loaded",
            RoutingRule::LowestLoadRatio => "lowest_load_ratio",
            RoutingRule::RoundRobin => "round_robin",
            RoutingRule::LongestIdle => "longest_idle",
            RoutingRule::Random => "random",
            RoutingRule::FillFirst => "fill_first",
            RoutingRule::MostSpare => "most_spare",
        }
    }
}

/// What happens to an agent's open sessions when it logs out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogOutMode {
    /// The agent keeps its open sessions until they end, but gets no new ones.
    #[default]
    Finish,
    /// Open sessions go back to the head of the wait queue, oldest first.
    HandBack,
}

/// S01–S02: the kind of trigger event an agent end receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TriggerEvent {
    Busy,
    Unbusy,
}

/// The request code carried by an agent request (S03/S04).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestCode {
    Busy,
    Unbusy,
}

/// A busy or un-busy request: code plus agent id, as the agent end sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgentRequest {
    pub code: RequestCode,
    pub agent: AgentId,
}

impl AgentRequest {
    /// S01–S04: the agent end turns a trigger event into a request.
    pub fn from_trigger(event: TriggerEvent, agent: AgentId) -> AgentRequest {
        let code = match event {
            TriggerEvent::Busy => RequestCode::Busy,
            TriggerEvent::Unbusy => RequestCode::Unbusy,
        };
        AgentRequest { code, agent }
    }
}

/// Why a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// The customer closed it (or its holding time ran out).
    Closed,
    /// S56: the customer was silent past the message interval.
    Silence,
}

/// An agent state change the engine reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentChange {
    LoggedIn,
    LoggedOut,
    Busy,
    Unbusy,
}

/// What happened, pulled with [`Engine::poll_event`](crate::Engine::poll_event).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// S3/S4: the session is connected to `agent` after waiting `waited`; `count` is the
    /// agent's service count with it (one call may connect several sessions to one agent,
    /// so the count read after the call is the last one's).
    Connected {
        session: SessionId,
        agent: AgentId,
        waited: Millis,
        count: u32,
    },
    /// No agent could take the session; it waits at `position` (1 = head).
    Queued { session: SessionId, position: u32 },
    /// S55: the agent owes a reply for longer than the reply interval. `nth` counts the
    /// reminders for this owed reply, from 1.
    ReminderDue {
        session: SessionId,
        agent: AgentId,
        nth: u32,
    },
    /// The session ended (normal close or S56 silence); the agent's count was decreased.
    /// `missed`: its customer messages still unanswered at the end that had waited longer
    /// than the reply interval by then ([`is_missed`](crate::is_missed)).
    Ended {
        session: SessionId,
        agent: AgentId,
        reason: EndReason,
        missed: u32,
    },
    /// A waiting customer gave up. `missed` as for `Ended` (only a session handed back
    /// at log-out can have unanswered messages while it waits: a first wait's opening
    /// counts as sent at connection).
    Abandoned {
        session: SessionId,
        waited: Millis,
        missed: u32,
    },
    /// The agent logged out with hand-back: the session waits again at the queue's head.
    HandedBack { session: SessionId, agent: AgentId },
    /// An agent's state changed (log-in/out, busy/un-busy).
    Agent { agent: AgentId, change: AgentChange },
}

/// What an agent's reply answered, as [`Engine::handle_agent_reply`](crate::Engine::handle_agent_reply)
/// returns it: the method's own verdict, so that no driver re-derives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    /// From the customer's last message (the opening one at connection) to this reply;
    /// meaningful only when `answered`.
    pub latency: Millis,
    /// A reply was owed (S53): this reply answers the customer's last message. A second
    /// reply in a row answers nothing.
    pub answered: bool,
    /// The reply came later than the reply interval after the customer's last message
    /// (S54's measure: one verdict per reply). Every answered message that drew a
    /// reminder is late.
    pub late: bool,
    /// Missed responses (SPEC B.3): of the customer messages this reply answers (all
    /// those sent since the agent's last reply, the opening included), how many it came
    /// more than the reply interval after ([`is_missed`](crate::is_missed)), each from
    /// its own send time. `late` implies `missed ≥ 1`; `missed` can exceed 1 (the
    /// customer wrote twice) or be 1 while `late` is false (an earlier message waited too
    /// long, the last did not). 0 without a reply interval.
    pub missed: u32,
    /// Reminders the owed reply drew.
    pub reminders: u32,
}

/// A command the engine refused; the state is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("unknown agent id {0:?}")]
    UnknownAgent(AgentId),
    #[error("unknown or ended session {0:?}")]
    UnknownSession(SessionId),
    #[error("session {0:?} is not in the state this command needs")]
    WrongSessionState(SessionId),
    #[error("agent {0:?} is not logged in")]
    AgentOffline(AgentId),
    #[error("unknown queue {0:?}")]
    UnknownQueue(QueueId),
    #[error("time went backwards: now {now} is before the last command's {last}")]
    TimeWentBackwards { now: SimTime, last: SimTime },
}

/// Engine-wide settings: the method's intervals and the distribution rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    pub rule: RoutingRule,
    /// S55: remind when a reply is owed for longer than this. `None` = no reminders.
    pub reply_interval: Option<Millis>,
    /// S56: disconnect when the customer is silent for longer than this. `None` = never.
    pub message_interval: Option<Millis>,
    /// Repeat the reminder every reply interval while the reply is still owed.
    pub repeat_reminders: bool,
    /// At most this many reminders per owed reply.
    pub reminder_cap: Option<u32>,
    /// Product behaviours beyond the rule (inactive chats, offer time-outs).
    pub switches: Switches,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            rule: RoutingRule::LeastLoaded,
            reply_interval: Some(Millis::from_secs(60)),
            message_interval: Some(Millis::from_secs(300)),
            repeat_reminders: true,
            reminder_cap: None,
            switches: Switches::default(),
        }
    }
}

/// A queue customers wait in, by index into [`Desk::queues`]. A desk without queues has
/// one, `QueueId(0)`, that every agent serves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueueId(pub u16);

/// An agent's skill: it may serve `queue`'s customers, and among the agents a ring of that
/// queue admits, those of a higher `level` are picked first (1 = the lowest).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Skill {
    pub queue: QueueId,
    pub level: u8,
}

/// Who may serve a queue's customer once it has waited `after`: agents with a skill in
/// `skill` at `min_level` or above. A queue's first ring (after 0, its own skill, level 1)
/// is its own agents; later rings are overflow to other skill groups, or a widening to
/// lower levels of the same skill (Genesys "bullseye" routing).
///
/// A ring opens when the customer has waited `after` (at exactly `after`, not 1 ms past
/// it: the first ring's `after` 0 must be open at the request itself); a ring whose
/// `after` is [`Ring::NEVER`] never opens (overflow with N = ∞). A customer handed back at
/// log-out has every ring of its queue open at once, [`Ring::NEVER`] ones excepted
/// (docs/model.md, "Queues and skills").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ring {
    pub after: Millis,
    pub skill: QueueId,
    pub min_level: u8,
}

impl Ring {
    /// The `after` of a ring that never opens.
    pub const NEVER: Millis = Millis::from_millis(u64::MAX);
}

/// One queue of a desk: its priority and who may serve it.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueSpec {
    /// An agent that could take the head of several queues takes the one whose head has
    /// the highest priority now, then the one waiting longest.
    pub priority: f64,
    /// Points a waiting customer's priority gains per minute waited (0 = no ageing).
    pub aging_per_min: f64,
    /// Sorted by `after`; the first usually has `after` 0.
    pub rings: Vec<Ring>,
}

impl QueueSpec {
    /// A queue served by its own skill's agents only, priority 0, no ageing.
    pub fn own(queue: QueueId) -> QueueSpec {
        QueueSpec {
            priority: 0.0,
            aging_per_min: 0.0,
            rings: vec![Ring {
                after: Millis::ZERO,
                skill: queue,
                min_level: 1,
            }],
        }
    }
}

/// The desk's queues and its agents' skills: what [`Engine::with_desk`](crate::Engine::with_desk)
/// routes by.
#[derive(Clone, Debug, PartialEq)]
pub struct Desk {
    pub queues: Vec<QueueSpec>,
    /// Per agent (`AgentId(i)` has `skills[i]`): the queues it serves and at what level.
    pub skills: Vec<Vec<Skill>>,
}

impl Desk {
    /// One queue that all `agents` serve at level 1: the desk of [`Engine::new`](crate::Engine::new).
    pub fn pooled(agents: usize) -> Desk {
        Desk {
            queues: vec![QueueSpec::own(QueueId(0))],
            skills: vec![
                vec![Skill {
                    queue: QueueId(0),
                    level: 1,
                }];
                agents
            ],
        }
    }

    /// One queue, one ring open from the request on, every agent with that one skill at
    /// one level the ring admits: the engine's fast path (one service queue, one FIFO), on
    /// which every customer may take every agent.
    pub fn is_pooled(&self) -> bool {
        let [queue] = &self.queues[..] else {
            return false;
        };
        let [ring] = &queue.rings[..] else {
            return false;
        };
        let level = self.skills.first().and_then(|s| s.first()).map(|s| s.level);
        ring.after == Millis::ZERO
            && ring.skill == QueueId(0)
            && self.skills.iter().all(|s| {
                matches!(s[..], [Skill { queue: QueueId(0), level: l }]
                    if Some(l) == level && l >= ring.min_level)
            })
    }

    /// Checks what the engine relies on, for the scenario loader to report: at least one
    /// and at most 65 536 queues; every queue has rings, sorted by `after`, each naming a
    /// known queue's skill at `min_level` 1 or more; priorities finite, ageing finite and
    /// not negative (the head of a queue must stay its most urgent customer); every skill
    /// names a known queue at level 1 or more, at most once per agent. The message names the
    /// queue (by index) or agent and the bad value.
    pub fn check(&self) -> Result<(), String> {
        let n = self.queues.len();
        if n == 0 {
            return Err("a desk needs at least one queue".into());
        }
        if n > 1 << 16 {
            return Err(format!("{n} queues: at most 65536 (queue ids are 16-bit)"));
        }
        for (q, spec) in self.queues.iter().enumerate() {
            if spec.rings.is_empty() {
                return Err(format!(
                    "queue {q}: no ring, so no agent may ever serve it (give it at least its own skill at after 0)"
                ));
            }
            if !spec.priority.is_finite() {
                return Err(format!(
                    "queue {q}: priority {} is not a finite number",
                    spec.priority
                ));
            }
            if !(spec.aging_per_min.is_finite() && spec.aging_per_min >= 0.0) {
                return Err(format!(
                    "queue {q}: aging_per_min {} must be a finite number ≥ 0",
                    spec.aging_per_min
                ));
            }
            for (r, ring) in spec.rings.iter().enumerate() {
                if ring.skill.0 as usize >= n {
                    return Err(format!(
                        "queue {q}, ring {r}: skill of queue {} but the desk has {n} queues",
                        ring.skill.0
                    ));
                }
                if ring.min_level == 0 {
                    return Err(format!(
                        "queue {q}, ring {r}: min_level 0 (levels start at 1)"
                    ));
                }
                if r > 0 && ring.after < spec.rings[r - 1].after {
                    return Err(format!(
                        "queue {q}, ring {r}: after {} is before ring {}'s {} (sort rings by after)",
                        ring.after,
                        r - 1,
                        spec.rings[r - 1].after
                    ));
                }
            }
        }
        for (a, skills) in self.skills.iter().enumerate() {
            for (k, skill) in skills.iter().enumerate() {
                if skill.queue.0 as usize >= n {
                    return Err(format!(
                        "agent {a}: skill for queue {} but the desk has {n} queues",
                        skill.queue.0
                    ));
                }
                if skill.level == 0 {
                    return Err(format!(
                        "agent {a}: level 0 for queue {} (levels start at 1)",
                        skill.queue.0
                    ));
                }
                if skills[..k].iter().any(|s| s.queue == skill.queue) {
                    return Err(format!("agent {a}: two skills for queue {}", skill.queue.0));
                }
            }
        }
        Ok(())
    }
}

/// The switches chat products differ by, beyond the distribution rule (docs/model.md,
/// "Routing presets"). All off by default: the method as claimed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Switches {
    /// A session whose customer has been silent this long (the agent replied, the customer
    /// owes a message) becomes inactive: it stops counting toward its agent's load and
    /// cap. `None`: sessions never go inactive.
    pub inactive_after: Option<Millis>,
    /// When an inactive session's customer writes again the session counts again, even if
    /// that takes its agent over its cap (Zendesk). Off: a session that would take its
    /// agent over the cap goes back to its queue's head for another agent.
    pub reactivate_over_cap: bool,
    /// Offer/alert time-out: a session whose agent has not answered the opening message
    /// this long after connecting moves to an eligible agent that has not held it yet
    /// (LiveChat's transfer, Genesys/Connect's alert time-out). `None`: never.
    pub first_reply_timeout: Option<Millis>,
}
