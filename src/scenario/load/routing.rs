//! `[routing]`: the distribution rule, a product preset and the switches, checked. A
//! preset fills in the rule and every switch; a key the scenario writes overrides it.

use super::{duration, Ctx};
use crate::engine::{RoutingRule, Switches};
use crate::scenario::raw::{IntervalOrOff, RawRouting};
use crate::scenario::routing_presets::{preset, preset_names};
use crate::scenario::{ScenarioError, Thresholds};
use crate::time::Millis;

/// The rule, the switches and the preset's name.
pub(super) fn convert_routing(
    ctx: &Ctx,
    raw: Option<&RawRouting>,
    thresholds: &Thresholds,
) -> Result<(RoutingRule, Switches, Option<String>), ScenarioError> {
    let empty = RawRouting::default();
    let r = raw.unwrap_or(&empty);
    let (mut rule, mut switches, name) = match r.preset.as_deref().map(str::trim) {
        None => (RoutingRule::LeastLoaded, Switches::default(), None),
        Some(name) => {
            let Some(p) = preset(name) else {
                let names = preset_names();
                let fix = match crate::suggest::closest(name, &names) {
                    Some(close) => format!(
                        "did you mean \"{close}\"? the presets are {}",
                        names.join(", ")
                    ),
                    None => format!("name one of the presets: {}", names.join(", ")),
                };
                return Err(ctx.field(
                    "routing.preset",
                    format!("no routing preset is named \"{name}\""),
                    fix,
                ));
            };
            let mut switches = p.switches;
            if !ctx.turns {
                // Inactivity and the first reply are turns; a holding session has neither,
                // so the preset keeps its rule only (docs/scenario.md).
                switches = Switches::default();
            }
            (p.rule, switches, Some(p.name.to_owned()))
        }
    };
    if let Some(r) = r.rule {
        rule = r;
    }
    let turn_only = |field: &str| {
        ctx.field(
            field,
            "not used by model = \"holding\" (a holding session has no turns: no silence, no reply)",
            "remove it, or write \"off\", or use model = \"turns\"",
        )
    };
    let interval = |field: &str, v: &IntervalOrOff| -> Result<Option<Millis>, ScenarioError> {
        match v {
            IntervalOrOff::Off => Ok(None),
            IntervalOrOff::Seconds(_) if !ctx.turns => Err(turn_only(field)),
            IntervalOrOff::Seconds(s) => Ok(Some(duration(ctx, field, *s, false)?)),
        }
    };
    if let Some(v) = &r.inactive_after_s {
        switches.inactive_after = interval("routing.inactive_after_s", v)?;
    }
    if let Some(v) = &r.first_reply_timeout_s {
        switches.first_reply_timeout = interval("routing.first_reply_timeout_s", v)?;
    }
    if let Some(b) = r.reactivate_over_cap {
        if b && !ctx.turns {
            return Err(turn_only("routing.reactivate_over_cap"));
        }
        switches.reactivate_over_cap = b;
    }
    let from_preset = |key_written: bool| match (&name, key_written) {
        (Some(p), false) => format!(" (from preset \"{p}\")"),
        _ => String::new(),
    };
    if switches.reactivate_over_cap && switches.inactive_after.is_none() {
        return Err(ctx.field(
            "routing.reactivate_over_cap",
            format!(
                "true{}, but chats never go inactive (routing.inactive_after_s is off)",
                from_preset(r.reactivate_over_cap.is_some())
            ),
            "set routing.inactive_after_s, or reactivate_over_cap = false",
        ));
    }
    if let (Some(inactive), Some(message)) = (switches.inactive_after, thresholds.message_interval)
    {
        if inactive >= message {
            return Err(ctx.field(
                "routing.inactive_after_s",
                format!(
                    "{} s{} is not shorter than thresholds.message_interval_s {} s: a silent \
                     customer is disconnected before the chat could go inactive",
                    inactive.as_secs_f64(),
                    from_preset(r.inactive_after_s.is_some()),
                    message.as_secs_f64()
                ),
                "make it shorter, or set thresholds.message_interval_s longer or \"off\" \
                 (products with inactive chats do not disconnect silent customers)",
            ));
        }
    }
    Ok((rule, switches, name))
}
