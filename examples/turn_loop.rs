//! The bare-loop reference of the turn model: the leanest loop we can write that produces
//! the reminders and disconnects of a turn-by-turn desk with the default desk's
//! distributions, the denominator of chatsim's turn-model speed ratio
//! (benches/turn_ratio.sh, which runs chatsim on the same desk: benches/turn-ratio.toml).
//!
//! What it keeps, because the counts depend on it: Poisson arrivals; two segments (quick
//! 65 %, complex 35 %) with lognormal patience, message count and think time; ghosts
//! (each turn, 5 % of customers go silent for good); least-loaded routing by service count
//! (agents are identical, so which agent of a load level takes a chat does not change any
//! count: one bucket per level, no tie order); lognormal reply times slowed by 15 % per
//! extra open session; 5 % of messages overlooked until a reminder, then answered after an
//! exponential reaction time; reminders the first millisecond past the 60-s reply
//! interval, repeated every interval; disconnect the first millisecond past 300 s of
//! customer silence; a FIFO of waiting customers with lazy abandonment.
//! What it leaves out: shifts, breaks, aux periods, reporting intervals, metrics beyond
//! five counters. One Xoshiro256++ stream for every draw.
//!
//! How it stays lean: the next arrival waits in its own variable, not in the heap; the
//! heap holds only patience, reply and message instants. Reminders and disconnects never
//! enter it: every deadline is "now + a fixed interval", so deadlines are armed in time
//! order and each kind is a FIFO queue; a cancelled deadline is dropped when it reaches
//! the front (a reply arriving before the reminder bumps the chat's epoch). At one
//! instant, timers go first, as in chatsim (a deadline is the first millisecond *past*
//! the interval, so an input at that instant is already too late).
//!
//!   cargo run --release --example turn_loop -- AGENTS MAX_SESSIONS RATE_PER_HOUR HORIZON_S [SEED]
//!
//! Prints `customers abandoned reminders disconnects cpu_s customers_per_cpu_s`.

use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Exp, LogNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

const REPLY_INTERVAL: u64 = 60_000;
const MESSAGE_INTERVAL: u64 = 300_000;
const SILENT_PROB: f64 = 0.05;
const OVERLOOK_PROB: f64 = 0.05;
const LOAD_SLOWDOWN: f64 = 0.15;

/// A lognormal given by its mean and standard deviation, as chatsim's scenarios give it.
fn lognormal(mean: f64, sd: f64) -> LogNormal<f64> {
    let sigma2 = (1.0 + (sd / mean).powi(2)).ln();
    LogNormal::new(mean.ln() - sigma2 / 2.0, sigma2.sqrt()).expect("mean, sd > 0")
}

/// A duration drawn in seconds, as whole milliseconds (rounded, as chatsim rounds).
fn ms(secs: f64) -> u64 {
    (secs * 1000.0).round() as u64
}

struct Segment {
    share: f64,
    patience: LogNormal<f64>,
    messages: LogNormal<f64>,
    think: LogNormal<f64>,
}

/// What a heap entry does when it comes up.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Kind {
    Patience = 0,
    Reply = 1,
    Message = 2,
}

/// A heap entry packed into one integer, compared in one step: instant (64 bits), kind
/// (2), chat (30), token (32). A token that no longer matches the chat's is a cancelled
/// entry, skipped when it comes up.
fn pack(at: u64, kind: Kind, chat: u32, token: u32) -> u128 {
    debug_assert!(chat < 1 << 30);
    u128::from(at) << 64 | u128::from(kind as u8) << 62 | u128::from(chat) << 32 | u128::from(token)
}

fn unpack(e: u128) -> (u64, Kind, u32, u32) {
    let kind = match (e >> 62) & 3 {
        0 => Kind::Patience,
        1 => Kind::Reply,
        _ => Kind::Message,
    };
    (
        (e >> 64) as u64,
        kind,
        (e >> 32) as u32 & ((1 << 30) - 1),
        e as u32,
    )
}

/// A timer deadline: (instant, chat, the chat's epoch when it was armed).
type Deadline = (u64, u32, u32);

#[derive(Clone, Default)]
struct Chat {
    token: u32,
    /// Bumped when a reply is owed or given: a reminder or disconnect entry is live while
    /// its epoch matches.
    epoch: u32,
    agent: u32,
    segment: u8,
    waiting: bool,
    owed: bool,
    overlooked: bool,
    sent: u32,
    total: u32,
}

struct Desk {
    rng: Xoshiro256PlusPlus,
    events: BinaryHeap<Reverse<u128>>,
    /// Reminder and disconnect deadlines, each in time order (see the module doc).
    reminder_due: VecDeque<Deadline>,
    disconnect_due: VecDeque<Deadline>,
    chats: Vec<Chat>,
    free: Vec<u32>,
    waiting: VecDeque<(u32, u32)>,
    /// `levels[k]` holds the agents with k open sessions; `count`, `place` index it.
    levels: Vec<Vec<u32>>,
    count: Vec<u32>,
    place: Vec<u32>,
    cap: u32,
    segments: [Segment; 2],
    reply: LogNormal<f64>,
    reaction: Exp<f64>,
    reminders: u64,
    disconnects: u64,
    abandoned: u64,
}

impl Desk {
    /// `agents` identical agents of `cap` sessions, all free, one generator seeded by `seed`.
    fn new(agents: u32, cap: u32, seed: u64) -> Desk {
        let mut levels = vec![Vec::new(); cap as usize + 1];
        levels[0] = (0..agents).collect();
        Desk {
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            events: BinaryHeap::new(),
            reminder_due: VecDeque::new(),
            disconnect_due: VecDeque::new(),
            chats: Vec::new(),
            free: Vec::new(),
            waiting: VecDeque::new(),
            levels,
            count: vec![0; agents as usize],
            place: (0..agents).collect(),
            cap,
            segments: [
                Segment {
                    share: 0.65,
                    patience: lognormal(240.0, 180.0),
                    messages: lognormal(3.0, 1.5),
                    think: lognormal(35.0, 30.0),
                },
                Segment {
                    share: 0.35,
                    patience: lognormal(420.0, 300.0),
                    messages: lognormal(9.0, 4.0),
                    think: lognormal(55.0, 50.0),
                },
            ],
            reply: lognormal(30.0, 20.0),
            reaction: Exp::new(1.0 / 10.0).expect("mean > 0"),
            reminders: 0,
            disconnects: 0,
            abandoned: 0,
        }
    }

    fn push(&mut self, at: u64, kind: Kind, chat: u32, token: u32) {
        self.events.push(Reverse(pack(at, kind, chat, token)));
    }

    fn set_count(&mut self, a: u32, to: u32) {
        let from = self.count[a as usize] as usize;
        let p = self.place[a as usize] as usize;
        self.levels[from].swap_remove(p);
        if let Some(&moved) = self.levels[from].get(p) {
            self.place[moved as usize] = p as u32;
        }
        self.place[a as usize] = self.levels[to as usize].len() as u32;
        self.levels[to as usize].push(a);
        self.count[a as usize] = to;
    }

    /// The least-loaded agent with room, if any.
    fn pick(&self) -> Option<u32> {
        (0..self.cap as usize).find_map(|k| self.levels[k].last().copied())
    }

    fn arrive(&mut self, now: u64) {
        let c = self.free.pop().unwrap_or_else(|| {
            self.chats.push(Chat::default());
            self.chats.len() as u32 - 1
        });
        let segment = u8::from(self.rng.random::<f64>() >= self.segments[0].share);
        let chat = &mut self.chats[c as usize];
        chat.token = chat.token.wrapping_add(1);
        chat.segment = segment;
        let token = chat.token;
        match self.pick() {
            Some(a) if self.waiting.is_empty() => self.connect(now, c, a),
            _ => {
                self.chats[c as usize].waiting = true;
                self.waiting.push_back((c, token));
                let p = ms(self.segments[segment as usize]
                    .patience
                    .sample(&mut self.rng));
                self.push(now + p, Kind::Patience, c, token);
            }
        }
    }

    fn connect(&mut self, now: u64, c: u32, a: u32) {
        let count = self.count[a as usize] + 1;
        self.set_count(a, count);
        let n = self.segments[self.chats[c as usize].segment as usize]
            .messages
            .sample(&mut self.rng)
            .round();
        let chat = &mut self.chats[c as usize];
        chat.waiting = false;
        chat.agent = a;
        chat.total = if n >= 1.0 { n as u32 } else { 1 };
        chat.sent = 1;
        self.owe(now, c, count);
    }

    /// A reply is owed from `now` (the opening or a customer message): arm the reminder,
    /// schedule the agent's answer, or leave an overlooked message to the reminder.
    fn owe(&mut self, now: u64, c: u32, count: u32) {
        let chat = &mut self.chats[c as usize];
        chat.owed = true;
        chat.epoch = chat.epoch.wrapping_add(1);
        let (epoch, token) = (chat.epoch, chat.token);
        self.reminder_due
            .push_back((now + REPLY_INTERVAL + 1, c, epoch));
        if self.rng.random_bool(OVERLOOK_PROB) {
            self.chats[c as usize].overlooked = true;
        } else {
            let slow = 1.0 + LOAD_SLOWDOWN * (count.max(1) - 1) as f64;
            let r = ms(self.reply.sample(&mut self.rng) * slow);
            self.push(now + r, Kind::Reply, c, token);
        }
    }

    fn on_reply(&mut self, now: u64, c: u32) {
        let chat = &mut self.chats[c as usize];
        chat.owed = false;
        chat.epoch = chat.epoch.wrapping_add(1);
        if chat.sent >= chat.total {
            let a = chat.agent;
            self.end(now, c, a);
            return;
        }
        let (epoch, token, segment) = (chat.epoch, chat.token, chat.segment);
        self.disconnect_due
            .push_back((now + MESSAGE_INTERVAL + 1, c, epoch));
        if !self.rng.random_bool(SILENT_PROB) {
            let think = ms(self.segments[segment as usize].think.sample(&mut self.rng));
            self.push(now + think, Kind::Message, c, token);
        }
    }

    /// The chat ends (closed or disconnected); its agent takes the next waiting customer.
    fn end(&mut self, now: u64, c: u32, a: u32) {
        let chat = &mut self.chats[c as usize];
        chat.token = chat.token.wrapping_add(1);
        chat.epoch = chat.epoch.wrapping_add(1);
        self.free.push(c);
        let count = self.count[a as usize] - 1;
        self.set_count(a, count);
        while let Some((w, token)) = self.waiting.pop_front() {
            if self.chats[w as usize].token == token {
                self.connect(now, w, a);
                break;
            }
        }
    }

    /// The first live reminder deadline, cancelled ones at the front dropped.
    fn next_reminder(&mut self) -> u64 {
        while let Some(&(at, c, epoch)) = self.reminder_due.front() {
            let chat = &self.chats[c as usize];
            if chat.epoch == epoch && chat.owed {
                return at;
            }
            self.reminder_due.pop_front();
        }
        u64::MAX
    }

    /// The first live disconnect deadline, cancelled ones at the front dropped.
    fn next_disconnect(&mut self) -> u64 {
        while let Some(&(at, c, epoch)) = self.disconnect_due.front() {
            let chat = &self.chats[c as usize];
            if chat.epoch == epoch && !chat.owed && !chat.waiting {
                return at;
            }
            self.disconnect_due.pop_front();
        }
        u64::MAX
    }

    fn run(&mut self, rate_per_s: f64, horizon: u64) -> u64 {
        let inter = Exp::new(rate_per_s).expect("rate > 0");
        let mut arrival_s = inter.sample(&mut self.rng);
        let mut next_arrival = ms(arrival_s);
        let mut customers = 0u64;
        loop {
            let (reminder, disconnect) = (self.next_reminder(), self.next_disconnect());
            let heap = self.events.peek().map_or(u64::MAX, |e| (e.0 >> 64) as u64);
            let arrival = if next_arrival < horizon {
                next_arrival
            } else {
                u64::MAX
            };
            let now = reminder.min(disconnect).min(heap).min(arrival);
            if now == u64::MAX {
                break;
            }
            if reminder == now {
                // Live (checked above): remind, re-arm, and answer an overlooked message.
                let (_, c, epoch) = self.reminder_due.pop_front().expect("peeked");
                let chat = &mut self.chats[c as usize];
                let (token, overlooked) = (chat.token, chat.overlooked);
                chat.overlooked = false;
                self.reminders += 1;
                self.reminder_due
                    .push_back((now + REPLY_INTERVAL, c, epoch));
                if overlooked {
                    let r = ms(self.reaction.sample(&mut self.rng));
                    self.push(now + r, Kind::Reply, c, token);
                }
            } else if disconnect == now {
                let (_, c, _) = self.disconnect_due.pop_front().expect("peeked");
                self.disconnects += 1;
                let a = self.chats[c as usize].agent;
                self.end(now, c, a);
            } else if arrival == now {
                customers += 1;
                self.arrive(now);
                arrival_s += inter.sample(&mut self.rng);
                next_arrival = ms(arrival_s);
            } else {
                let Reverse(e) = self.events.pop().expect("peeked");
                let (_, kind, c, token) = unpack(e);
                if self.chats[c as usize].token != token {
                    continue;
                }
                match kind {
                    Kind::Patience => {
                        let chat = &mut self.chats[c as usize];
                        if chat.waiting {
                            chat.token = chat.token.wrapping_add(1);
                            chat.waiting = false;
                            self.free.push(c);
                            self.abandoned += 1;
                        }
                    }
                    Kind::Reply => self.on_reply(now, c),
                    Kind::Message => {
                        let chat = &mut self.chats[c as usize];
                        chat.sent += 1;
                        let count = self.count[chat.agent as usize];
                        self.owe(now, c, count);
                    }
                }
            }
        }
        customers
    }
}

fn main() {
    let args: Vec<f64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers: AGENTS MAX RATE HORIZON [SEED]"))
        .collect();
    if args.len() < 4 {
        eprintln!("usage: turn_loop AGENTS MAX_SESSIONS RATE_PER_HOUR HORIZON_S [SEED]");
        std::process::exit(2);
    }
    let (agents, cap) = (args[0] as u32, args[1] as u32);
    let seed = args.get(4).copied().unwrap_or(1.0) as u64;
    let started = cpu_seconds();
    let mut desk = Desk::new(agents, cap, seed);
    let customers = desk.run(args[2] / 3600.0, ms(args[3]));
    let cpu = cpu_seconds() - started;
    println!(
        "{customers} {} {} {} {cpu:.6} {:.0}",
        desk.abandoned,
        desk.reminders,
        desk.disconnects,
        customers as f64 / cpu
    );
}

/// CPU seconds of this process (user + system), from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatsim::pipeline::simulate_serial;
    use chatsim::scenario::{load_with_overrides, Override};
    use std::path::Path;
    use std::sync::atomic::AtomicBool;

    /// Mean and standard error of `xs`.
    fn mean_se(xs: &[f64]) -> (f64, f64) {
        let k = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / k;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0);
        (mean, (var / k).sqrt())
    }

    /// The reference simulates the desk chatsim runs in benches/turn_ratio.sh
    /// (benches/turn-ratio.toml): over 8 independent days on each side (about 21 600
    /// customers a day), its reminders and disconnects per customer agree with chatsim's
    /// within four standard errors of the difference of the two means.
    #[test]
    fn the_reference_loop_reminds_and_disconnects_as_chatsim_does() {
        let days = 8;
        let reference: Vec<(f64, f64)> = (1..=days)
            .map(|seed| {
                let mut desk = Desk::new(60, 3, seed);
                let customers = desk.run(900.0 / 3600.0, 86_400_000) as f64;
                (
                    desk.reminders as f64 / customers,
                    desk.disconnects as f64 / customers,
                )
            })
            .collect();
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/turn-ratio.toml");
        let days_set = Override::parse(&format!("run.replications={days}")).unwrap();
        let sc = load_with_overrides(&path, &[days_set]).expect("the bench's desk loads");
        let run = simulate_serial(&sc, &AtomicBool::new(false)).expect("runs");
        let per_day = |name: &str| run.metrics.get(name).unwrap().per_replication.clone();
        let offered = per_day("offered");
        let per_customer = |name: &str| -> Vec<f64> {
            per_day(name)
                .iter()
                .zip(&offered)
                .map(|(x, n)| x / n)
                .collect()
        };
        for (what, ours, theirs) in [
            (
                "reminders",
                per_customer("reminders"),
                reference.iter().map(|r| r.0).collect::<Vec<_>>(),
            ),
            (
                "disconnects",
                per_customer("disconnects"),
                reference.iter().map(|r| r.1).collect(),
            ),
        ] {
            let ((a, sa), (b, sb)) = (mean_se(&ours), mean_se(&theirs));
            let se = (sa * sa + sb * sb).sqrt();
            assert!(
                (a - b).abs() < 4.0 * se,
                "{what} per customer: chatsim {a:.4}, reference {b:.4} (± {se:.4})"
            );
        }
    }
}
