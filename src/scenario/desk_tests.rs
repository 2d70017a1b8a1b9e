//! Loader tests for queues, skills and `[routing]` presets: what a desk file becomes, the
//! resolved round trip, the order in which a preset and explicit keys combine, and one
//! case per bad input with its field, value and fix.

use super::routing_presets::PRESETS;
use super::*;
use crate::engine::{QueueId, Ring, RoutingRule, Skill};
use crate::time::Millis;
use std::fs;
use std::path::Path;

/// A one-hour holding or turns desk with `queues`, `customers` and `routing` text set
/// in, 3 agents of groups en, es, bi (caps 2), and the roster's `skills` cells.
fn desk(
    model_turns: bool,
    customers: &str,
    queues: &str,
    skills: [&str; 3],
    extra: &str,
) -> String {
    let sessions = if model_turns {
        "model = \"turns\"\n\n[thresholds]\nmessage_interval_s = 900\n"
    } else {
        "model = \"holding\"\nholding_time = { dist = \"exponential\", mean_s = 60 }\n"
    };
    let turns_customers = if model_turns {
        "messages = { dist = \"constant\", value = 2 }\nthink_time = { dist = \"constant\", value_s = 10 }\n"
    } else {
        ""
    };
    let behaviour = if model_turns {
        "\n[agents.behaviour]\nreply_time = { dist = \"constant\", value_s = 5 }\n"
    } else {
        ""
    };
    format!(
        "[run]\nhorizon_s = 3600\n\n[arrivals]\nkind = \"poisson\"\nrate_per_hour = 60\n\n\
         [sessions]\n{sessions}\n[customers]\n{turns_customers}{customers}\n{queues}\n\
         [agents]\nmax_sessions = 2\nroster = [\n\
           {{ id = \"A1\", group = \"en\", shift_start = 0, shift_end = 3600, skills = \"{}\" }},\n\
           {{ id = \"A2\", group = \"es\", shift_start = 0, shift_end = 3600, skills = \"{}\" }},\n\
           {{ id = \"A3\", group = \"bi\", shift_start = 0, shift_end = 3600, skills = \"{}\" }},\n\
         ]\n{behaviour}{extra}",
        skills[0], skills[1], skills[2]
    )
}

const TWO_SEGMENTS: &str =
    "\n[[customers.segments]]\nname = \"en\"\nshare = 0.7\nqueue = \"english\"\n\n\
     [[customers.segments]]\nname = \"es\"\nshare = 0.3\nqueue = \"spanish\"\n";

const TWO_QUEUES: &str = "[[queues]]\nname = \"english\"\npriority = 2\naging_per_min = 1.5\n\
     overflow = [{ after_s = 60, to = \"spanish\" }]\n\n\
     [[queues]]\nname = \"spanish\"\nmin_level = 3\noverflow = [{ after_s = 30, min_level = 1 }, { after_s = 90, to = \"english\", min_level = 2 }]\n";

fn load_text(text: &str) -> Result<Scenario, ScenarioError> {
    from_toml_str(text, Path::new("desk.toml"))
}

fn round_trip(s: &Scenario) {
    let text = to_resolved_toml(s);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("resolved.toml");
    fs::write(&path, &text).unwrap();
    let back = load(&path).unwrap_or_else(|e| panic!("{e}\n--- resolved text ---\n{text}"));
    assert_eq!(&back, s, "resolved text:\n{text}");
    assert_eq!(to_resolved_toml(&back), text);
}

#[test]
fn queues_rings_segments_and_skills_load_as_written() {
    let s = load_text(&desk(
        false,
        TWO_SEGMENTS,
        TWO_QUEUES,
        ["english:2", "spanish:3", "english spanish:1"],
        "",
    ))
    .unwrap();
    let (en, es) = (QueueId(0), QueueId(1));
    assert_eq!(s.queues.len(), 2);
    assert_eq!(s.queues[0].name, "english");
    assert_eq!(s.queues[0].spec.priority, 2.0);
    assert_eq!(s.queues[0].spec.aging_per_min, 1.5);
    // The first ring is the queue's own skill from 0 s at min_level; then each step.
    assert_eq!(
        s.queues[0].spec.rings,
        vec![
            Ring {
                after: Millis::ZERO,
                skill: en,
                min_level: 1
            },
            Ring {
                after: Millis::from_secs(60),
                skill: es,
                min_level: 1
            },
        ]
    );
    assert_eq!(
        s.queues[1].spec.rings,
        vec![
            Ring {
                after: Millis::ZERO,
                skill: es,
                min_level: 3
            },
            Ring {
                after: Millis::from_secs(30),
                skill: es,
                min_level: 1
            },
            Ring {
                after: Millis::from_secs(90),
                skill: en,
                min_level: 2
            },
        ]
    );
    assert_eq!(s.queues[1].spec.priority, 0.0);
    assert_eq!((s.segments[0].queue, s.segments[1].queue), (en, es));
    let skills: Vec<&[Skill]> = s.agents.iter().map(|a| a.skills.as_slice()).collect();
    assert_eq!(
        skills,
        [
            &[Skill {
                queue: en,
                level: 2
            }][..],
            &[Skill {
                queue: es,
                level: 3
            }][..],
            &[
                Skill {
                    queue: en,
                    level: 1
                },
                Skill {
                    queue: es,
                    level: 1
                }
            ][..],
        ]
    );
    assert_eq!(s.desk().skills.len(), 3);
    round_trip(&s);
}

#[test]
fn group_skills_fill_empty_cells_and_a_one_queue_desk_needs_none() {
    // [agents.skills] by group; A1's own cell wins over its group's entry.
    let s = load_text(&desk(
        false,
        TWO_SEGMENTS,
        TWO_QUEUES,
        ["spanish:2", "", ""],
        "\n[agents.skills]\nen = \"english:3\"\nes = \"spanish:4\"\nbi = \"english:2 spanish:2\"\n",
    ))
    .unwrap();
    let levels: Vec<Vec<(u16, u8)>> = s
        .agents
        .iter()
        .map(|a| a.skills.iter().map(|k| (k.queue.0, k.level)).collect())
        .collect();
    assert_eq!(
        levels,
        vec![vec![(1, 2)], vec![(1, 4)], vec![(0, 2), (1, 2)]]
    );
    round_trip(&s);

    // One queue: agents without skills serve it at level 1, segments need no `queue`.
    let s = load_text(&desk(
        false,
        "",
        "[[queues]]\nname = \"chat\"\npriority = 1\n",
        ["", "", "chat:5"],
        "",
    ))
    .unwrap();
    assert_eq!(s.queues.len(), 1);
    assert_eq!(s.segments[0].queue, QueueId(0));
    let levels: Vec<u8> = s.agents.iter().map(|a| a.skills[0].level).collect();
    assert_eq!(levels, [1, 1, 5]);
    round_trip(&s);
}

#[test]
fn a_desk_without_queues_is_the_pooled_desk_and_resolves_as_before() {
    let s = load_text(&desk(false, "", "", ["", "", ""], "")).unwrap();
    assert_eq!(s.queues, vec![Queue::default_queue()]);
    assert_eq!(s.desk(), crate::engine::Desk::pooled(3));
    assert_eq!(s.switches, crate::engine::Switches::default());
    assert_eq!(s.preset, None);
    let text = to_resolved_toml(&s);
    for absent in ["queues", "skills", "queue =", "preset", "inactive_after_s"] {
        assert!(!text.contains(absent), "{absent} in:\n{text}");
    }
    round_trip(&s);
}

#[test]
fn a_preset_sets_rule_and_switches_and_explicit_keys_override_it() {
    let turns = |routing: &str| {
        load_text(&desk(
            true,
            "",
            "",
            ["", "", ""],
            &format!("\n[routing]\n{routing}\n"),
        ))
    };
    // Every preset loads on a turns desk whose message interval (900 s) exceeds its
    // inactivity time, and takes the preset's rule and switches.
    for p in PRESETS {
        let s = turns(&format!("preset = \"{}\"", p.name)).unwrap();
        assert_eq!((s.routing, s.switches), (p.rule, p.switches), "{}", p.name);
        assert_eq!(s.preset.as_deref(), Some(p.name));
        round_trip(&s);
    }
    let z = turns("preset = \"zendesk_spare_capacity\"").unwrap();
    assert_eq!(z.routing, RoutingRule::MostSpare);
    assert_eq!(z.switches.inactive_after, Some(Millis::from_secs(600)));
    assert!(z.switches.reactivate_over_cap);
    // Explicit keys win, whatever their order in the table.
    let s = turns(
        "inactive_after_s = 120\nrule = \"round_robin\"\npreset = \"livechat_transfer\"\nfirst_reply_timeout_s = \"off\"",
    )
    .unwrap();
    assert_eq!(s.routing, RoutingRule::RoundRobin);
    assert_eq!(s.switches.inactive_after, Some(Millis::from_secs(120)));
    assert!(
        s.switches.reactivate_over_cap,
        "the preset's, not overridden"
    );
    assert_eq!(s.switches.first_reply_timeout, None);
    assert_eq!(s.preset.as_deref(), Some("livechat_transfer"));
    round_trip(&s);
    // Switches without a preset.
    let s = turns("rule = \"fill_first\"\nfirst_reply_timeout_s = 90").unwrap();
    assert_eq!(s.routing, RoutingRule::FillFirst);
    assert_eq!(s.switches.first_reply_timeout, Some(Millis::from_secs(90)));
    round_trip(&s);
    // A holding desk keeps a preset's rule; the turn-only switches do not apply.
    let s = load_text(&desk(
        false,
        "",
        "",
        ["", "", ""],
        "\n[routing]\npreset = \"zendesk_spare_capacity\"\n",
    ))
    .unwrap();
    assert_eq!(s.routing, RoutingRule::MostSpare);
    assert_eq!(s.switches, crate::engine::Switches::default());
    round_trip(&s);
}

#[test]
fn the_bundled_multiskill_desk_loads_and_round_trips() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/multiskill.toml");
    let s = load(&path).unwrap();
    let names: Vec<&str> = s.queues.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(names, ["general", "spanish", "billing", "vip"]);
    // Billing overflows to general after 60 s; VIP has priority 10.
    assert_eq!(
        s.queues[2].spec.rings[1],
        Ring {
            after: Millis::from_secs(60),
            skill: QueueId(0),
            min_level: 1
        }
    );
    assert_eq!(s.queues[3].spec.priority, 10.0);
    let seg_queues: Vec<u16> = s.segments.iter().map(|g| g.queue.0).collect();
    assert_eq!(seg_queues, [0, 1, 2, 3]);
    // Every agent has a skill; the bilingual group serves both languages.
    assert!(s.agents.iter().all(|a| !a.skills.is_empty()));
    let b01 = s.agents.iter().find(|a| a.name == "B01").unwrap();
    assert_eq!(
        b01.skills,
        [
            Skill {
                queue: QueueId(0),
                level: 2
            },
            Skill {
                queue: QueueId(1),
                level: 3
            }
        ]
    );
    round_trip(&s);
}

/// Each bad desk input and the pieces its message must hold: the field or cell, the
/// value and the fix.
#[test]
fn every_bad_desk_input_names_the_field_the_value_and_the_fix() {
    let two = |queues: &str, skills: [&str; 3], extra: &str| {
        desk(false, TWO_SEGMENTS, queues, skills, extra)
    };
    let ok_skills = ["english", "spanish", "english spanish"];
    let cases: Vec<(&str, String, &[&str])> = vec![
        (
            "unknown overflow target",
            two(
                &TWO_QUEUES.replace("to = \"spanish\"", "to = \"spansh\""),
                ok_skills,
                "",
            ),
            &[
                "field `queues[0].overflow[0].to`",
                "\"spansh\"",
                "did you mean \"spanish\"",
            ],
        ),
        (
            "unknown segment queue",
            desk(
                false,
                &TWO_SEGMENTS.replace("queue = \"english\"", "queue = \"englsh\""),
                TWO_QUEUES,
                ok_skills,
                "",
            ),
            &[
                "field `customers.segments[0].queue`",
                "\"englsh\"",
                "did you mean \"english\"",
            ],
        ),
        (
            "segment without a queue",
            desk(
                false,
                &TWO_SEGMENTS.replace("queue = \"english\"\n", ""),
                TWO_QUEUES,
                ok_skills,
                "",
            ),
            &[
                "field `customers.segments[0].queue`",
                "2 queues",
                "\"en\"",
                "add queue =",
            ],
        ),
        (
            "duplicate queue",
            two(
                "[[queues]]\nname = \"english\"\n[[queues]]\nname = \"english\"\n",
                ok_skills,
                "",
            ),
            &["field `queues[1].name`", "duplicate", "\"english\""],
        ),
        (
            "queue name with a colon",
            two("[[queues]]\nname = \"en:1\"\n", ok_skills, ""),
            &[
                "field `queues[0].name`",
                "\"en:1\"",
                "without spaces or `:`",
            ],
        ),
        (
            "empty queues",
            format!("queues = []\n{}", two("", ok_skills, "")),
            &["field `queues`", "empty"],
        ),
        (
            "unsorted steps",
            two(
                &TWO_QUEUES.replace("after_s = 90", "after_s = 20"),
                ok_skills,
                "",
            ),
            &[
                "field `queues[1].overflow[1].after_s`",
                "20 s comes before",
                "30 s",
                "ascending",
            ],
        ),
        (
            "zero after",
            two(
                &TWO_QUEUES.replace("after_s = 60", "after_s = 0"),
                ok_skills,
                "",
            ),
            &["field `queues[0].overflow[0].after_s`", "value 0"],
        ),
        (
            "bullseye that widens nothing",
            two(&TWO_QUEUES.replace("min_level = 3\n", ""), ok_skills, ""),
            &[
                "field `queues[1].overflow[0]`",
                "admits no agent",
                "\"spanish\" from level 1",
                "lower its level",
            ],
        ),
        (
            "level out of range",
            two(
                &TWO_QUEUES.replace("min_level = 3", "min_level = 101"),
                ok_skills,
                "",
            ),
            &[
                "field `queues[1].min_level`",
                "value 101",
                "1 (the lowest) to 100",
            ],
        ),
        (
            "negative ageing",
            two(
                &TWO_QUEUES.replace("aging_per_min = 1.5", "aging_per_min = -1"),
                ok_skills,
                "",
            ),
            &["field `queues[0].aging_per_min`", "-1", "from 0"],
        ),
        (
            "infinite priority",
            two(
                &TWO_QUEUES.replace("priority = 2", "priority = inf"),
                ok_skills,
                "",
            ),
            &["field `queues[0].priority`", "inf"],
        ),
        (
            "unknown skill queue",
            two(TWO_QUEUES, ["english", "spanich:2", "english"], ""),
            &[
                "agents.roster[1].skills",
                "\"spanich\"",
                "did you mean \"spanish\"",
            ],
        ),
        (
            "bad skill level",
            two(TWO_QUEUES, ["english:high", "spanish", "english"], ""),
            &["agents.roster[0].skills", "\"english:high\"", "QUEUE:LEVEL"],
        ),
        (
            "skill listed twice",
            two(TWO_QUEUES, ["english english:2", "spanish", "english"], ""),
            &["agents.roster[0].skills", "\"english\" is listed twice"],
        ),
        (
            "agent without skills",
            two(TWO_QUEUES, ["english", "", "english"], ""),
            &[
                "field `agents.skills`",
                "\"A2\"",
                "group \"es\"",
                "2 queues",
                "es = ",
            ],
        ),
        (
            "skills group unknown",
            two(
                TWO_QUEUES,
                ok_skills,
                "\n[agents.skills]\nenn = \"english\"\n",
            ),
            &[
                "field `agents.skills.enn`",
                "no agent group",
                "did you mean \"en\"",
            ],
        ),
        (
            "skills without queues",
            desk(false, "", "", ["x", "", ""], ""),
            &["agents.roster[0].skills", "no [[queues]]"],
        ),
        (
            "queue nobody serves",
            two(TWO_QUEUES, ["english", "english", "english"], ""),
            &[
                "field `agents.skills`",
                "no agent can serve queue \"spanish\"",
                "spanish:3",
            ],
        ),
        (
            "unknown preset",
            desk(
                true,
                "",
                "",
                ["", "", ""],
                "\n[routing]\npreset = \"zendesk\"\n",
            ),
            &[
                "field `routing.preset`",
                "\"zendesk\"",
                "did you mean \"zendesk_spare_capacity\"",
            ],
        ),
        (
            "inactive after the disconnect",
            desk(
                true,
                "",
                "",
                ["", "", ""],
                "\n[routing]\npreset = \"zendesk_spare_capacity\"\ninactive_after_s = 900\n",
            ),
            &[
                "field `routing.inactive_after_s`",
                "900 s",
                "message_interval_s 900 s",
                "\"off\"",
            ],
        ),
        (
            "preset's inactivity after the disconnect",
            desk(
                true,
                "",
                "",
                ["", "", ""],
                "\n[routing]\npreset = \"zendesk_spare_capacity\"\n",
            )
            .replace("message_interval_s = 900", "message_interval_s = 300"),
            &[
                "field `routing.inactive_after_s`",
                "600 s (from preset \"zendesk_spare_capacity\")",
                "300 s",
            ],
        ),
        (
            "reactivation without inactivity",
            desk(
                true,
                "",
                "",
                ["", "", ""],
                "\n[routing]\nreactivate_over_cap = true\n",
            ),
            &["field `routing.reactivate_over_cap`", "never go inactive"],
        ),
        (
            "switch on a holding desk",
            desk(
                false,
                "",
                "",
                ["", "", ""],
                "\n[routing]\nfirst_reply_timeout_s = 60\n",
            ),
            &["field `routing.first_reply_timeout_s`", "holding"],
        ),
        (
            "zero timeout",
            desk(
                true,
                "",
                "",
                ["", "", ""],
                "\n[routing]\nfirst_reply_timeout_s = 0\n",
            ),
            &["field `routing.first_reply_timeout_s`", "value 0"],
        ),
    ];
    for (name, text, want) in cases {
        let msg = match load_text(&text) {
            Ok(_) => panic!("{name}: expected an error from:\n{text}"),
            Err(e) => e.to_string(),
        };
        eprintln!("[{name}] {msg}");
        assert!(msg.contains("desk.toml"), "{name}: no file in:\n{msg}");
        for w in want {
            assert!(msg.contains(w), "{name}: message lacks {w:?}:\n{msg}");
        }
    }
}

#[test]
fn a_roster_csv_skills_cell_is_read_and_its_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let roster = "id,group,max_sessions,shift_start,shift_end,breaks,speed_factor,skills\n\
                  A1,en,2,0,3600,,,english:2\nA2,es,2,0,3600,,,spanish spanish\n";
    fs::write(dir.path().join("r.csv"), roster).unwrap();
    let text = desk(
        false,
        TWO_SEGMENTS,
        TWO_QUEUES,
        ["english", "spanish", "spanish"],
        "",
    )
    .replace("roster = [", "roster = \"r.csv\"\nold = [");
    // Cut the inline roster off: keep the text up to the file name.
    let text = text.split("\nold = [").next().unwrap().to_owned();
    let path = dir.path().join("desk.toml");
    fs::write(&path, &text).unwrap();
    let msg = load(&path).unwrap_err().to_string();
    assert!(
        msg.contains("r.csv line 3")
            && msg.contains("column `skills`")
            && msg.contains("listed twice"),
        "{msg}"
    );
    fs::write(
        dir.path().join("r.csv"),
        roster.replace("spanish spanish", "spanish:3"),
    )
    .unwrap();
    let s = load(&path).unwrap();
    assert_eq!(
        s.agents[0].skills,
        [Skill {
            queue: QueueId(0),
            level: 2
        }]
    );
    assert_eq!(
        s.agents[1].skills,
        [Skill {
            queue: QueueId(1),
            level: 3
        }]
    );
}
