//! `chatsim fit LOG.csv --out DIR`: a scenario that reproduces the desk of a chat log
//! (the format `replay` reads, docs/replay.md), with the quality of every fit.
//!
//! ```text
//!   LOG.csv ──replay's log reader──▶ rows ──stories──▶ one Story per chat
//!        ──▶ samples per quantity (exact, interval, censored, truncated: estimate::Data)
//!        ──▶ every family by maximum likelihood, the lowest AIC chosen (choose)
//!        ──▶ DIR/scenario.toml, profile.csv, roster.csv, fit.txt
//! ```
//!
//! What is estimated from what, and how, is in docs/fit.md.

pub mod choose;
pub mod estimate;
pub mod family;

use super::flags::{MethodFlags, OutputFlags};
use super::replay::log::{parse_log, read_log, Kind, Log};
use super::replay::{Limits, ReplaySettings, UNKNOWN_AGENT};
use crate::report::output::{check_target, print_out, write_outputs};
use crate::scenario::MAX_INTERVALS;
use anyhow::Context;
use choose::{fit_quantity, num, Chosen, QuantityFit, Z95};
use estimate::{Data, Obs};
use serde::Serialize;
use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

/// Fit a scenario to a chat log: arrivals, messages, think and reply times, silences,
/// patience, agents.
///
/// Reads a log in replay's format and writes a scenario that reproduces the desk (with
/// --out), printing how well each distribution fits. The thresholds are the desk's, given
/// as flags (a log does not show them).
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "\
Example:
  chatsim run scenarios/default.toml --event-log day.csv
  chatsim fit day.csv --reply-interval-s 60 --message-interval-s 300 --out fitted
  chatsim run fitted/scenario.toml")]
pub struct FitArgs {
    /// The chat log (replay's format, docs/replay.md).
    #[arg(value_name = "LOG.csv")]
    pub log: PathBuf,
    /// The desk's thresholds, written into the scenario; the message interval also
    /// bounds the think times the log can show (a longer one ends in a disconnect).
    #[command(flatten)]
    pub method: MethodFlags,
    /// Length of the arrival profile's intervals, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 900.0)]
    pub interval_s: f64,
    #[command(flatten)]
    pub output: OutputFlags,
    /// Print the fit as JSON instead of the text report.
    #[arg(long)]
    pub json: bool,
}

/// The longest profile interval: 31 days (one interval for a month of a steady desk).
const MAX_INTERVAL_S: f64 = 2_678_400.0;

/// Reply times: agents with fewer replies than this get speed factor 1 (too few to say).
const MIN_REPLIES_FOR_SPEED: usize = 5;

/// One chat as the log tells it, times in seconds on the log's clock.
#[derive(Clone, Debug, Default)]
struct Story {
    request: f64,
    /// When it reached an agent: its first `connect` row, else its request (a log without
    /// connect rows shows no queue), unless it was abandoned.
    connect: Option<f64>,
    abandon: Option<f64>,
    end: Option<(Kind, f64)>,
    /// Customer messages, the opening one (the request) included.
    messages: u32,
    /// Replies followed by a customer message: turns after which the customer went on.
    turns_continued: u32,
    /// Each reply's latency, from the customer's last message (or the connection).
    latencies: Vec<f64>,
    think_times: Vec<f64>,
}

/// The arrival profile.
#[derive(Clone, Debug, Serialize)]
pub struct ArrivalFit {
    pub interval_s: f64,
    pub requests: u64,
    pub rate_per_hour: f64,
    pub rate_ci95: (f64, f64),
    pub intervals: Vec<IntervalRate>,
}

#[derive(Clone, Debug, Serialize)]
pub struct IntervalRate {
    pub start: String,
    pub end: String,
    pub requests: u64,
    pub rate_per_hour: f64,
    pub rate_ci95: (f64, f64),
}

/// The share of turns after which the customer goes silent for good.
#[derive(Clone, Debug, Serialize)]
pub struct SilentFit {
    pub value: f64,
    pub ci95: (f64, f64),
    /// Chats that ended in a disconnect, and turns (replies after which the customer
    /// wrote again, plus those disconnects).
    pub silences: u64,
    pub turns: u64,
    /// P(think time > message interval) under the chosen think-time fit: silences that
    /// were slow thinkers, not ghosts.
    pub slow_thinker_share: f64,
}

/// One agent of the roster.
#[derive(Clone, Debug, Serialize)]
pub struct AgentFit {
    pub id: String,
    pub replies: usize,
    pub mean_reply_s: f64,
    pub speed_factor: f64,
    pub speed_ci95: Option<(f64, f64)>,
    pub log_se: Option<f64>,
    pub max_sessions: u32,
}

/// Everything `fit` found.
#[derive(Clone, Debug, Serialize)]
pub struct FitReport {
    pub log: String,
    pub rows: usize,
    pub sessions: usize,
    pub abandoned: usize,
    pub disconnected: usize,
    pub settings: ReplaySettings,
    pub clock_origin: String,
    pub horizon_s: f64,
    pub arrivals: ArrivalFit,
    pub quantities: Vec<QuantityFit>,
    pub silent_prob: SilentFit,
    pub agents: Vec<AgentFit>,
}

impl FitReport {
    /// The quantity named `name`.
    pub fn quantity(&self, name: &str) -> Option<&QuantityFit> {
        self.quantities.iter().find(|q| q.name == name)
    }
}

/// Runs `chatsim fit`.
pub fn run(args: &FitArgs, cancel: &'static AtomicBool) -> anyhow::Result<ExitCode> {
    if let Some(out) = &args.output.out {
        check_target(out, args.output.force)?;
    }
    let text = read_log(&args.log)?;
    let file = args.log.display().to_string();
    let report = fit_str(&text, &file, &args.method, args.interval_s, cancel)?;
    let shown = if args.json {
        serde_json::to_string_pretty(&report).expect("plain data") + "\n"
    } else {
        report_text(&report)
    };
    if let Some(out) = &args.output.out {
        let files = scenario_files(&report);
        write_outputs(out, args.output.force, &files, cancel)
            .with_context(|| format!("writing the fitted scenario to {}", out.display()))?;
        print_out(&shown, cancel)?;
        if !args.json {
            print_out(
                &format!(
                    "scenario written to {}/scenario.toml (check it with chatsim validate)\n",
                    out.display()
                ),
                cancel,
            )?;
        }
    } else {
        print_out(&shown, cancel)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Fits a log held in memory (`file` names it in messages).
pub fn fit_str(
    text: &str,
    file: &str,
    method: &MethodFlags,
    interval_s: f64,
    cancel: &'static AtomicBool,
) -> anyhow::Result<FitReport> {
    let settings = ReplaySettings::from(method);
    settings.engine_config()?;
    if !(interval_s.is_finite() && (1.0..=MAX_INTERVAL_S).contains(&interval_s)) {
        anyhow::bail!(
            "--interval-s {interval_s}: must be a number of seconds from 1 to {MAX_INTERVAL_S} \
             (31 days), e.g. --interval-s 900"
        );
    }
    let limits = Limits {
        cancel,
        ..Limits::DEFAULT
    };
    let log = parse_log(text, file, limits)?;
    let stories = stories(&log);
    if !stories.iter().any(|s| s.connect.is_some()) {
        anyhow::bail!(
            "{file}: no chat in the log was ever connected to an agent; fit needs served chats"
        );
    }
    if !stories.iter().any(|s| !s.latencies.is_empty()) {
        anyhow::bail!(
            "{file}: no `agent_reply` row; fit describes turn-by-turn chats and needs the \
             agents' replies"
        );
    }
    let day0 = day_start(&log);
    let arrivals = fit_arrivals(&stories, day0, interval_s, file)?;
    let message_interval = settings.message_interval_s;
    let mut quantities = Vec::new();
    // Patience: only where the log shows abandons; everyone else is right-censored at
    // the wait they sat through (connected) or at the end of the log (still waiting).
    let last = log.rows.last().map_or(0.0, |r| secs(r.time));
    if stories.iter().any(|s| s.abandon.is_some()) {
        let obs = stories.iter().map(|s| match (s.abandon, s.connect) {
            (Some(a), _) => Obs::Exact(a - s.request),
            (None, Some(c)) => Obs::Above(c - s.request),
            (None, None) => Obs::Above(last - s.request),
        });
        quantities.push(fit_quantity("patience", &Data::new(obs, None), true));
    }
    // Messages per chat: exact for chats that closed, at least one more than sent for
    // chats disconnected for silence, at least as many as sent for chats still open.
    let mut msg_obs = Vec::new();
    for s in stories.iter().filter(|s| s.connect.is_some()) {
        let n = f64::from(s.messages);
        match s.end {
            Some((Kind::Close, _)) => msg_obs.push(if s.messages <= 1 {
                Obs::Between(f64::NEG_INFINITY, 1.5)
            } else {
                Obs::Between(n - 0.5, n + 0.5)
            }),
            Some((Kind::Disconnect, _)) => msg_obs.push(Obs::Above(n + 0.5)),
            _ if s.messages >= 2 => msg_obs.push(Obs::Above(n - 0.5)),
            _ => {}
        }
    }
    quantities.push(fit_quantity("messages", &Data::new(msg_obs, None), false));
    let think = Data::new(
        stories
            .iter()
            .flat_map(|s| s.think_times.iter().map(|&t| Obs::Exact(t))),
        Some(message_interval),
    );
    let think_fit = fit_quantity("think_time", &think, true);
    let agents = fit_agents(&log, &stories);
    let base = Data::new(
        stories.iter().enumerate().flat_map(|(i, s)| {
            let factor = agents
                .iter()
                .find(|a| a.id == log.agents[log.agent_of(i as u32) as usize])
                .map_or(1.0, |a| a.speed_factor);
            s.latencies.iter().map(move |&l| Obs::Exact(l / factor))
        }),
        None,
    );
    let reply_fit = fit_quantity("reply_time", &base, true);
    let silent_prob = fit_silence(&stories, &think_fit, message_interval);
    quantities.push(think_fit);
    quantities.push(reply_fit);
    for q in &quantities {
        check_described(file, q)?;
    }
    let horizon_s = arrivals.intervals.len() as f64 * interval_s;
    Ok(FitReport {
        log: file.to_string(),
        rows: log.rows.len(),
        sessions: stories.len(),
        abandoned: stories.iter().filter(|s| s.abandon.is_some()).count(),
        disconnected: stories
            .iter()
            .filter(|s| matches!(s.end, Some((Kind::Disconnect, _))))
            .count(),
        settings,
        clock_origin: arrivals
            .intervals
            .first()
            .map_or_else(|| "00:00:00".into(), |i| i.start.clone()),
        horizon_s,
        arrivals,
        quantities,
        silent_prob,
        agents,
    })
}

/// Fails when the log holds nothing to describe `q` by: no family fitted and no value
/// to fall back on. An empirical distribution of no samples is a scenario that
/// `chatsim validate` refuses, so the log is refused here instead, with what it lacks.
fn check_described(file: &str, q: &QuantityFit) -> anyhow::Result<()> {
    if !matches!(&q.chosen, Chosen::Empirical { samples } if samples.is_empty()) {
        return Ok(());
    }
    let lacks = match q.name {
        "messages" => {
            "no served chat was closed, so none says how many messages its customer sent; \
             fit needs at least one `close` row of a chat that reached an agent"
        }
        "think_time" => {
            "in no chat does the customer write again after an agent's reply; fit needs at \
             least one `customer_message` row after an `agent_reply` row of the same session"
        }
        _ => "the log holds none of its values; fit needs at least one",
    };
    anyhow::bail!("{file}: `{}` cannot be fitted: {lacks}", q.name)
}

fn secs(t: crate::time::SimTime) -> f64 {
    t.as_millis() as f64 / 1000.0
}

/// Where the log's first day begins on its time scale: local midnight of the first row
/// (ISO 8601 times are seconds since 1970 UTC; the first one's offset says where local
/// midnight is). Clock times of a single day give 0.
fn day_start(log: &Log) -> f64 {
    let first = log.rows.first().map_or(0.0, |r| secs(r.time));
    let offset = f64::from(log.utc_offset_s.unwrap_or(0));
    ((first + offset) / 86_400.0).floor() * 86_400.0 - offset
}

/// Each session's story, in the log's row order.
fn stories(log: &Log) -> Vec<Story> {
    let mut out = vec![Story::default(); log.sessions.len()];
    // Per session: the customer's last unanswered message, the agent's last reply not
    // yet followed by a message.
    let mut owed_since: Vec<Option<f64>> = vec![None; log.sessions.len()];
    let mut replied_at: Vec<Option<f64>> = vec![None; log.sessions.len()];
    for row in &log.rows {
        let s = row.session as usize;
        let t = secs(row.time);
        let info = &log.sessions[s];
        let st = &mut out[s];
        let mut connect_now = false;
        match row.kind {
            Kind::Request => {
                st.request = t;
                st.messages = 1;
                connect_now = info.connect_line.is_none() && info.end_kind != Some(Kind::Abandon);
            }
            Kind::Connect => connect_now = info.connect_line == Some(row.line),
            Kind::Abandon => st.abandon = Some(t),
            Kind::CustomerMessage => {
                st.messages += 1;
                if let Some(r) = replied_at[s].take() {
                    st.think_times.push(t - r);
                    st.turns_continued += 1;
                }
                owed_since[s] = Some(t);
            }
            Kind::AgentReply => {
                if let Some(m) = owed_since[s].take() {
                    st.latencies.push(t - m);
                }
                replied_at[s] = Some(t);
            }
            Kind::Close | Kind::Disconnect => st.end = Some((row.kind, t)),
        }
        if connect_now {
            st.connect = Some(t);
            owed_since[s] = Some(t); // the opening message, sent at connection
        }
    }
    out
}

fn clock(secs: f64) -> String {
    super::event_log::clock_ms((secs.max(0.0) * 1000.0).round() as u64)
        .trim_end_matches(".000")
        .to_string()
}

/// The arrival profile, one interval of `interval_s` from the first request's to the
/// last one's. Refused when that is more intervals than a scenario holds
/// ([`MAX_INTERVALS`]): the scenario would not load, and the intervals are counted
/// before any is made, as requests centuries apart would ask for gigabytes.
fn fit_arrivals(
    stories: &[Story],
    day0: f64,
    interval_s: f64,
    file: &str,
) -> anyhow::Result<ArrivalFit> {
    let times: Vec<f64> = stories.iter().map(|s| s.request - day0).collect();
    let first = times.iter().copied().fold(f64::INFINITY, f64::min);
    let last = times.iter().copied().fold(0.0, f64::max);
    let start = (first / interval_s).floor() * interval_s;
    let intervals = ((last - start) / interval_s).floor() + 1.0;
    if intervals > MAX_INTERVALS as f64 {
        // (last − first) / (MAX − 2) s per interval gives at most MAX intervals, wherever
        // the first one starts.
        let coarser = ((last - first) / (MAX_INTERVALS - 2) as f64).ceil();
        let fix = if coarser <= MAX_INTERVAL_S {
            format!("pass --interval-s {coarser} or more, or check the timestamps")
        } else {
            "check the timestamps (milliseconds taken for seconds?)".to_string()
        };
        anyhow::bail!(
            "{file}: the requests span {} s ({} to {} on the log's scale), {} intervals of \
             {interval_s} s, more than the {MAX_INTERVALS} a scenario holds; {fix}",
            num(last - first),
            num(first + day0),
            num(last + day0),
            num(intervals)
        );
    }
    let n = (intervals as usize).max(1);
    let mut counts = vec![0u64; n];
    for t in &times {
        let i = (((t - start) / interval_s).floor() as usize).min(n - 1);
        counts[i] += 1;
    }
    let per_hour = 3600.0 / interval_s;
    // A Poisson count's normal interval (n ± z√n), as a rate.
    let ci = |c: f64, hours: f64| {
        (
            ((c - Z95 * c.sqrt()) / hours).max(0.0),
            (c + Z95 * c.sqrt()) / hours,
        )
    };
    let intervals = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let a = start + i as f64 * interval_s;
            IntervalRate {
                start: clock(a),
                end: clock(a + interval_s),
                requests: c,
                rate_per_hour: c as f64 * per_hour,
                rate_ci95: ci(c as f64, interval_s / 3600.0),
            }
        })
        .collect();
    let total = times.len() as f64;
    let hours = n as f64 * interval_s / 3600.0;
    Ok(ArrivalFit {
        interval_s,
        requests: times.len() as u64,
        rate_per_hour: total / hours,
        rate_ci95: ci(total, hours),
        intervals,
    })
}

/// Speed factors: an agent's mean reply time over the geometric mean of all agents'
/// (so the factors' geometric mean is 1 and the fitted reply time is the desk's typical
/// agent's); for a scale family (every family here is one in its scale) the ratio of
/// means is the ratio of scales. The interval is the delta method's on ln(mean):
/// se² ≈ var / (n · mean²), ignoring the small uncertainty of the geometric mean.
/// Max sessions: the most chats the agent held at once in the log.
fn fit_agents(log: &Log, stories: &[Story]) -> Vec<AgentFit> {
    let mut latencies: Vec<Vec<f64>> = vec![Vec::new(); log.agents.len()];
    let mut spans: Vec<Vec<(f64, i32)>> = vec![Vec::new(); log.agents.len()];
    let last = log.rows.last().map_or(0.0, |r| secs(r.time));
    for (i, s) in stories.iter().enumerate() {
        let a = log.agent_of(i as u32) as usize;
        latencies[a].extend(&s.latencies);
        if let Some(c) = s.connect {
            spans[a].push((c, 1));
            spans[a].push((s.end.map_or(last, |e| e.1), -1));
        }
    }
    // The pseudo agent of chats no row names an agent for is served only if it replied
    // (a simulated log names none for chats abandoned in the queue).
    let served: Vec<usize> = (0..log.agents.len())
        .filter(|&a| !spans[a].is_empty())
        .filter(|&a| log.agents[a] != UNKNOWN_AGENT || !latencies[a].is_empty())
        .collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let rated: Vec<usize> = served
        .iter()
        .copied()
        .filter(|&a| latencies[a].len() >= MIN_REPLIES_FOR_SPEED && mean(&latencies[a]) > 0.0)
        .collect();
    let geo = if rated.is_empty() {
        1.0
    } else {
        (rated.iter().map(|&a| mean(&latencies[a]).ln()).sum::<f64>() / rated.len() as f64).exp()
    };
    served
        .into_iter()
        .map(|a| {
            let v = &latencies[a];
            let m = mean(v);
            let peak = {
                let mut ev = spans[a].clone();
                // Ends before starts at the same instant: a chat closing as the next is
                // connected does not count as two at once.
                ev.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
                let (mut open, mut peak) = (0i32, 1i32);
                for (_, d) in ev {
                    open += d;
                    peak = peak.max(open);
                }
                peak.clamp(1, 64) as u32
            };
            let (factor, se) = if rated.contains(&a) {
                let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
                let se = (var / (v.len() as f64 * m * m)).sqrt();
                (m / geo, Some(se))
            } else {
                (1.0, None)
            };
            AgentFit {
                id: log.agents[a].clone(),
                replies: v.len(),
                mean_reply_s: m,
                speed_factor: factor,
                speed_ci95: se.map(|se| (factor * (-Z95 * se).exp(), factor * (Z95 * se).exp())),
                log_se: se,
                max_sessions: peak,
            }
        })
        .collect()
}

/// The silent share as the model means it (docs/model.md): after a reply to a message
/// that is not the chat's last, the customer goes silent for good with probability p,
/// else writes again after a think time. The log shows a turn's outcome: a next message
/// (the customer went on), a close (the last message: no turn), or a disconnect (silent,
/// or thinking longer than the message interval, which the log cannot tell apart).
/// So q = silences / turns estimates p + (1 − p)·S, S = P(think > message interval)
/// from the think-time fit, and p = (q − S) / (1 − S); the interval is Wilson's for q,
/// mapped the same way (S taken as known).
fn fit_silence(stories: &[Story], think: &QuantityFit, message_interval: f64) -> SilentFit {
    let silences = stories
        .iter()
        .filter(|s| matches!(s.end, Some((Kind::Disconnect, _))))
        .count() as u64;
    let turns = silences
        + stories
            .iter()
            .map(|s| u64::from(s.turns_continued))
            .sum::<u64>();
    let slow = match (&think.chosen, think.chosen_candidate()) {
        (_, Some(c)) => c.model.cdf_sf(message_interval).1,
        (Chosen::Constant { value }, _) => f64::from(u8::from(*value > message_interval)),
        _ => 0.0,
    };
    let (n, k) = (turns.max(1) as f64, silences as f64);
    let q = k / n;
    let z2 = Z95 * Z95;
    let centre = (q + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z95 / (1.0 + z2 / n) * (q * (1.0 - q) / n + z2 / (4.0 * n * n)).sqrt();
    let p = |q: f64| {
        if slow >= 1.0 {
            0.0
        } else {
            ((q - slow) / (1.0 - slow)).clamp(0.0, 1.0)
        }
    };
    SilentFit {
        value: p(q),
        ci95: (p(centre - half), p(centre + half)),
        silences,
        turns,
        slow_thinker_share: slow,
    }
}

/// The report as text (fit.txt).
pub fn report_text(r: &FitReport) -> String {
    let mut t = String::new();
    let s = &r.settings;
    let _ = writeln!(t, "fit of {}", r.log);
    let _ = writeln!(
        t,
        "  {} rows, {} sessions ({} abandoned in the queue, {} disconnected for silence), {} agents",
        r.rows,
        r.sessions,
        r.abandoned,
        r.disconnected,
        r.agents.len()
    );
    let _ = writeln!(
        t,
        "  desk thresholds (given): reply interval {} s, message interval {} s",
        num(s.reply_interval_s),
        num(s.message_interval_s)
    );
    let _ = writeln!(
        t,
        "  choice: the lowest AIC (2k - 2 ln L) among the families fitted by maximum likelihood;\n  \
         empirical when the Kolmogorov-Smirnov test rejects even that one at 1 %.\n  \
         95 % intervals from the observed Fisher information on the log scale."
    );
    let a = &r.arrivals;
    let _ = writeln!(
        t,
        "\narrivals: {} requests in {} intervals of {} s from {}: {} per hour (95 % CI {} to {})",
        a.requests,
        a.intervals.len(),
        num(a.interval_s),
        r.clock_origin,
        num(a.rate_per_hour),
        num(a.rate_ci95.0),
        num(a.rate_ci95.1)
    );
    for i in &a.intervals {
        let _ = writeln!(
            t,
            "  {}-{}  {:>6} requests  {:>10} /h  ({} to {})",
            i.start,
            i.end,
            i.requests,
            num(i.rate_per_hour),
            num(i.rate_ci95.0),
            num(i.rate_ci95.1)
        );
    }
    for q in &r.quantities {
        let _ = write!(t, "\n{}: {} observations", q.name, q.observations);
        if q.observations > q.events {
            let _ = write!(t, " ({} censored)", q.observations - q.events);
        }
        if let Some(b) = q.truncated_at {
            let _ = write!(t, ", seen only up to {} s", num(b));
        }
        let _ = writeln!(t, "\n  chosen: {}", q.reason);
        let _ = writeln!(
            t,
            "    {:<12} {:>14} {:>8}  parameters (95 % CI)",
            "dist", "AIC", "KS"
        );
        for (i, c) in q.candidates.iter().enumerate() {
            let mark = if q.chosen == (Chosen::Fitted { index: i }) {
                "*"
            } else {
                " "
            };
            let params: Vec<String> = c
                .params
                .iter()
                .map(|p| match p.ci95 {
                    Some((lo, hi)) => {
                        format!("{} {} ({} to {})", p.name, num(p.value), num(lo), num(hi))
                    }
                    None => format!("{} {}", p.name, num(p.value)),
                })
                .collect();
            let _ = writeln!(
                t,
                "  {mark} {:<12} {:>14.2} {:>8.4}  {}",
                c.dist,
                c.aic,
                c.ks,
                params.join(", ")
            );
        }
        let _ = writeln!(t, "    {}", q.toml("(samples file)"));
    }
    let sp = &r.silent_prob;
    let _ = writeln!(
        t,
        "\nsilent_prob: {} (95 % CI {} to {}): {} silences in {} turns, less the share {} of \
         think times over the message interval",
        num(sp.value),
        num(sp.ci95.0),
        num(sp.ci95.1),
        sp.silences,
        sp.turns,
        num(sp.slow_thinker_share)
    );
    let _ = writeln!(
        t,
        "\nagents: speed factor = mean reply time / geometric mean over agents; max sessions = most chats held at once"
    );
    let _ = writeln!(
        t,
        "  {:<16} {:>8} {:>12} {:>8}  {:<22} {:>5}",
        "id",
        "replies", // not a metric: a column heading of the agents' table
        "mean reply s",
        "speed",
        "95 % CI",
        "max"
    );
    for ag in &r.agents {
        let ci = ag
            .speed_ci95
            .map_or("-".into(), |(lo, hi)| format!("{} to {}", num(lo), num(hi)));
        let _ = writeln!(
            t,
            "  {:<16} {:>8} {:>12} {:>8}  {:<22} {:>5}",
            ag.id,
            ag.replies,
            num(ag.mean_reply_s),
            num(ag.speed_factor),
            ci,
            ag.max_sessions
        );
    }
    t
}

/// A CSV field, quoted when it must be.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"']) || s.trim() != s {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The fitted scenario's files: scenario.toml, profile.csv, roster.csv, the samples of
/// any empirical distribution, and fit.txt.
pub fn scenario_files(r: &FitReport) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let dist = |name: &str, files: &mut Vec<(String, Vec<u8>)>| -> Option<String> {
        let q = r.quantity(name)?;
        let samples_file = format!("{name}-samples.csv");
        if let Chosen::Empirical { samples } = &q.chosen {
            let mut csv = String::from("sample\n");
            for x in samples {
                let _ = writeln!(csv, "{}", num(*x));
            }
            files.push((samples_file.clone(), csv.into_bytes()));
        }
        Some(q.toml(&samples_file))
    };
    let mut toml = String::new();
    let _ = writeln!(
        toml,
        "# Fitted by `chatsim fit` from {} ({} sessions); fit.txt says how well.",
        r.log, r.sessions
    );
    let _ = writeln!(
        toml,
        "\n[run]\nhorizon_s = {}\nclock_origin = \"{}\"\ninterval_s = {}\nreplications = 8\nseed = 1",
        num(r.horizon_s),
        r.clock_origin,
        num(r.arrivals.interval_s)
    );
    let _ = writeln!(
        toml,
        "\n[arrivals]\nkind = \"profile\"\nfile = \"profile.csv\""
    );
    let _ = writeln!(toml, "\n[sessions]\nmodel = \"turns\"");
    let _ = writeln!(toml, "\n[customers]");
    for name in ["messages", "think_time", "patience"] {
        if let Some(d) = dist(name, &mut files) {
            let _ = writeln!(toml, "{name} = {d}");
        }
    }
    let _ = writeln!(toml, "silent_prob = {}", num(r.silent_prob.value));
    let _ = writeln!(toml, "\n[agents]\nroster = \"roster.csv\"");
    let _ = writeln!(toml, "\n[agents.behaviour]");
    if let Some(d) = dist("reply_time", &mut files) {
        let _ = writeln!(toml, "reply_time = {d}");
    }
    let s = &r.settings;
    let _ = writeln!(
        toml,
        "\n[thresholds]\nreply_interval_s = {}\nmessage_interval_s = {}\nrepeat_reminders = {}",
        num(s.reply_interval_s),
        num(s.message_interval_s),
        s.repeat_reminders
    );
    if let Some(cap) = s.reminder_cap.filter(|&c| c > 0) {
        let _ = writeln!(toml, "reminder_cap = {cap}");
    }
    let mut profile = String::from("start,end,rate_per_hour\n");
    for i in &r.arrivals.intervals {
        let _ = writeln!(profile, "{},{},{}", i.start, i.end, num(i.rate_per_hour));
    }
    let (start, end) = (
        r.clock_origin.clone(),
        r.arrivals
            .intervals
            .last()
            .map_or_else(|| r.clock_origin.clone(), |i| i.end.clone()),
    );
    let mut roster = String::from("id,max_sessions,shift_start,shift_end,speed_factor\n");
    for a in &r.agents {
        let _ = writeln!(
            roster,
            "{},{},{start},{end},{}",
            csv_field(&a.id),
            a.max_sessions,
            num(a.speed_factor)
        );
    }
    files.push(("scenario.toml".into(), toml.into_bytes()));
    files.push(("profile.csv".into(), profile.into_bytes()));
    files.push(("roster.csv".into(), roster.into_bytes()));
    files.push(("fit.txt".into(), report_text(r).into_bytes()));
    files
}
