//! The engine's outgoing events, in the order they happened, until the driver polls them.
//!
//! A `Vec` read from a cursor rather than a `VecDeque`: a driver polls after every command
//! until `None`, so the buffer empties each time and a push or a poll needs no ring-buffer
//! wrap (issue 19: the `VecDeque`'s push and pop cost ~60 instructions per customer on
//! M/M/100+M). The buffer is reset the moment its last event is taken; until then it keeps
//! the events already taken (a driver that stops polling halfway keeps them a little longer,
//! as the `VecDeque` kept the untaken ones).

use crate::types::Event;

/// Events not yet polled: `events[next..]`.
#[derive(Debug, Default)]
pub(crate) struct EventBuffer {
    events: Vec<Event>,
    next: usize,
}

impl EventBuffer {
    #[inline(always)]
    pub(crate) fn push_back(&mut self, event: Event) {
        self.events.push(event);
    }

    /// Whether every event has been polled.
    #[inline(always)]
    pub(crate) fn is_empty(&self) -> bool {
        self.next == self.events.len()
    }

    /// The oldest event not yet polled.
    #[inline(always)]
    pub(crate) fn pop_front(&mut self) -> Option<Event> {
        let event = *self.events.get(self.next)?;
        self.next += 1;
        if self.next == self.events.len() {
            self.events.clear();
            self.next = 0;
        }
        Some(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{AgentChange, AgentId};

    fn ev(a: u32) -> Event {
        Event::Agent {
            agent: AgentId(a),
            change: AgentChange::LoggedIn,
        }
    }

    #[test]
    fn events_come_out_in_order_and_the_buffer_resets_when_drained() {
        let mut b = EventBuffer::default();
        assert_eq!(b.pop_front(), None);
        assert!(b.is_empty());
        b.push_back(ev(1));
        assert!(!b.is_empty());
        b.push_back(ev(2));
        assert_eq!(b.pop_front(), Some(ev(1)));
        // Pushed while one is still unread: after it, in order.
        b.push_back(ev(3));
        assert_eq!(b.pop_front(), Some(ev(2)));
        assert_eq!((b.events.len(), b.next), (3, 2));
        assert!(!b.is_empty());
        assert_eq!(b.pop_front(), Some(ev(3)));
        assert!(b.is_empty());
        // The last one taken: the buffer is empty again, its storage kept.
        assert_eq!((b.events.len(), b.next), (0, 0));
        assert!(b.events.capacity() >= 3);
        assert_eq!(b.pop_front(), None);
        b.push_back(ev(4));
        assert_eq!(b.pop_front(), Some(ev(4)));
    }
}
