//! `[routing] preset`: the routing of a chat product a desk actually runs, as one name
//! that stands for a distribution rule and the engine's switches. The sources and the
//! choices the products' own docs leave open are in docs/model.md, "Routing presets";
//! /work/shared/research/chat-product-routing.md gathered them.
//!
//! A preset only fills in what the scenario does not write itself: an explicit `rule`,
//! `inactive_after_s`, `reactivate_over_cap` or `first_reply_timeout_s` in `[routing]`
//! wins over the preset's (docs/scenario.md, "`[routing]`").

use crate::engine::{RoutingRule, Switches};
use crate::time::Millis;

/// One named product behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoutingPreset {
    /// The name written in `[routing] preset`.
    pub name: &'static str,
    /// The products whose documented routing it models, for error messages and docs.
    pub products: &'static str,
    pub rule: RoutingRule,
    pub switches: Switches,
}

/// Every preset, in documentation order.
pub const PRESETS: [RoutingPreset; 6] = [
    RoutingPreset {
        name: "zendesk_spare_capacity",
        products: "Zendesk omnichannel routing (its default)",
        rule: RoutingRule::LeastLoaded, // MERGE: MostSpare
        switches: Switches {
            // "Inactive after 10 min without an end-user message" frees the slot.
            inactive_after: Some(Millis::from_secs(600)),
            // "Capacity of 2 … receives 3": a reactivated ticket counts over the cap.
            reactivate_over_cap: true,
            first_reply_timeout: None,
        },
    },
    RoutingPreset {
        name: "intercom_balanced",
        products: "Intercom balanced assignment, Chatwoot and Rocket.Chat load balancing",
        // Fewest open conversations, ties by longest since the last assignment.
        rule: RoutingRule::LeastLoaded,
        switches: Switches {
            inactive_after: None,
            reactivate_over_cap: false,
            first_reply_timeout: None,
        },
    },
    RoutingPreset {
        name: "freshchat_utilisation",
        products: "Freshchat IntelliAssign load-based",
        // Highest bandwidth left in percent = lowest count / limit.
        rule: RoutingRule::LowestLoadRatio,
        switches: Switches {
            // Active while a reply is pending within 5 min (the default window).
            inactive_after: Some(Millis::from_secs(300)),
            // Ours: a reopened conversation goes back to the same agent, so the customer's
            // next message keeps its agent even over the limit.
            reactivate_over_cap: true,
            first_reply_timeout: None,
        },
    },
    RoutingPreset {
        name: "genesys_longest_idle",
        products: "Genesys Cloud standard ACD, Amazon Connect",
        // The agent idle longest, whatever its open chats (below its cap).
        rule: RoutingRule::LongestIdle,
        switches: Switches {
            inactive_after: None,
            reactivate_over_cap: false,
            // Ours: the alert time-out (7–59 s for voice) mapped onto the first reply,
            // the range's top, since a simulated agent's first reply is its acceptance.
            first_reply_timeout: Some(Millis::from_secs(59)),
        },
    },
    RoutingPreset {
        name: "fill_first",
        products: "LiveAgent max utilisation",
        // The most running chats below the limit.
        rule: RoutingRule::LeastLoaded, // MERGE: FillFirst
        switches: Switches {
            inactive_after: None,
            reactivate_over_cap: false,
            first_reply_timeout: None,
        },
    },
    RoutingPreset {
        name: "livechat_transfer",
        products: "LiveChat auto assignment",
        // "When all agents have one chat each, the next round": fewest active first.
        rule: RoutingRule::LeastLoaded,
        switches: Switches {
            // The "10-minute rule": inactive chats do not count; over the limit allowed.
            inactive_after: Some(Millis::from_secs(600)),
            reactivate_over_cap: true,
            // No first reply within 3 min: transfer to an agent the chat was not with.
            first_reply_timeout: Some(Millis::from_secs(180)),
        },
    },
];

/// The preset named `name`, if there is one.
pub fn preset(name: &str) -> Option<&'static RoutingPreset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// Every preset's name, in documentation order (for "did you mean" and the error's list).
pub fn preset_names() -> Vec<&'static str> {
    PRESETS.iter().map(|p| p.name).collect()
}
