//! The engine's steady state allocates nothing: once its slots and queues have grown, a
//! counting global allocator sees zero allocations per command, for every rule.

use chatsim::engine::{AgentId, AgentRequest, Engine, EngineConfig, RoutingRule, TriggerEvent};
use chatsim::time::{Millis, SimTime};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Counts allocations made by the current thread (other tests run in parallel), and the
/// bytes it holds and has held at most ([`peak_bytes_during`]).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    /// Bytes allocated minus bytes freed by this thread (negative when it frees what
    /// another thread allocated).
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

/// Adds `delta` bytes to this thread's live bytes, and its peak.
fn hold(delta: i64) {
    let _ = LIVE.try_with(|live| {
        live.set(live.get() + delta);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        hold(layout.size() as i64);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        hold(-(layout.size() as i64));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        hold(new_size as i64 - layout.size() as i64);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// `f`'s result and the most bytes the calling thread held at once while it ran, beyond
/// what it held before (what other threads allocate is not counted).
pub fn peak_bytes_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(before));
    let out = f();
    let peak = PEAK.with(Cell::get);
    (out, (peak - before).max(0) as usize)
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(|c| c.get())
}

/// One round of a steady workload: close the oldest, connect a new one, talk, flip busy.
fn round(
    e: &mut Engine,
    open: &mut std::collections::VecDeque<chatsim::engine::SessionId>,
    now: &mut SimTime,
    i: u64,
) {
    *now += Millis::from_millis(7);
    let s = open.pop_front().unwrap();
    let _ = e.handle_customer_close(*now, s);
    let s = e
        .handle_session_request(*now, i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .unwrap();
    let _ = e.handle_agent_reply(*now, s);
    let _ = e.handle_customer_message(*now, s);
    let agent = AgentId((i % 50) as u32);
    let trigger = if i.is_multiple_of(2) {
        TriggerEvent::Busy
    } else {
        TriggerEvent::Unbusy
    };
    let _ = e.handle_agent_request(*now, AgentRequest::from_trigger(trigger, agent));
    if let Some(t) = e.poll_timeout() {
        if t <= *now {
            e.handle_timeout(*now).unwrap();
        }
    }
    while e.poll_event().is_some() {}
    open.push_back(s);
}

#[test]
fn steady_state_allocates_nothing_for_every_rule() {
    for rule in RoutingRule::ALL {
        let config = EngineConfig {
            rule,
            ..EngineConfig::default()
        };
        let mut e = Engine::new(config, &[3; 50]);
        let mut now = SimTime::ZERO;
        for a in 0..50 {
            e.handle_log_in(now, AgentId(a)).unwrap();
        }
        let mut open = std::collections::VecDeque::with_capacity(200);
        for i in 0..100u64 {
            open.push_back(e.handle_session_request(now, i).unwrap());
        }
        // Grow every queue to its steady size.
        for i in 0..200_000 {
            round(&mut e, &mut open, &mut now, i);
        }
        let before = allocations();
        for i in 200_000..300_000 {
            round(&mut e, &mut open, &mut now, i);
        }
        let made = allocations() - before;
        assert_eq!(
            made,
            0,
            "{}: {made} allocations in 100 000 steady-state rounds",
            rule.name()
        );
    }
}
