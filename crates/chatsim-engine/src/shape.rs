//! The engine's two shapes, decided once when it is built: the *plain* method (a pooled
//! desk, every product switch off) and the *full* one (a desk of queues, or any switch on).
//!
//! Every command is dispatched once on [`Engine::plain`](crate::Engine) to an inner
//! function generic over a [`Shape`]. Inside, each desk or switch check reads
//! [`Shape::FULL`] first: a constant, so the plain instantiation compiles without the
//! checks and its hot functions are the pooled method's code alone (issue 19: with the
//! checks in every inner function the pooled desk paid 7–12 % more instructions). The full
//! instantiation tests the engine's own flags as before, so it is correct for any engine,
//! a plain one included; code reached only through a desk or a switch (the `queues` and
//! `switches` modules) calls it.

use crate::Engine;

/// Which engine the code is compiled for; see the module doc.
pub(crate) trait Shape {
    /// The engine may have a desk of queues or a switch on (its flags say which); `false`:
    /// it is known to have neither.
    const FULL: bool;
}

/// A pooled desk with every switch off: the method as claimed.
pub(crate) enum Plain {}

/// Anything: the flags are tested where they matter.
pub(crate) enum Full {}

impl Shape for Plain {
    const FULL: bool = false;
}

impl Shape for Full {
    const FULL: bool = true;
}

/// `by_shape!(self.method(args…))`: calls `method::<Plain>` on a plain engine, else
/// `method::<Full>` in a function of its own ([`out_of_line`]); the one test of the shape
/// a command makes.
macro_rules! by_shape {
    ($engine:ident . $method:ident ( $($arg:expr),* $(,)? )) => {
        if $engine.plain {
            $engine.$method::<$crate::shape::Plain>($($arg),*)
        } else {
            $crate::shape::out_of_line(|| $engine.$method::<$crate::shape::Full>($($arg),*))
        }
    };
}
pub(crate) use by_shape;

/// Runs `f` in a function that is never inlined, so that the full shape's body does not
/// share the command's own: merged, the two bodies cost the plain one a larger prologue
/// and more spilled registers (measured: 8 instructions per `poll_timeout`).
#[inline(never)]
pub(crate) fn out_of_line<R>(f: impl FnOnce() -> R) -> R {
    f()
}

impl Engine {
    /// Switch `inactive_after` is on: sessions may be parked.
    #[inline(always)]
    pub(crate) fn inactive_on<S: Shape>(&self) -> bool {
        S::FULL && self.switches.inactive_on
    }

    /// Switch `first_reply_timeout` is on.
    #[inline(always)]
    pub(crate) fn transfer_on<S: Shape>(&self) -> bool {
        S::FULL && self.switches.transfer_on
    }

    /// A switch keeps timers of its own.
    #[inline(always)]
    pub(crate) fn switch_timers_on<S: Shape>(&self) -> bool {
        S::FULL && self.switches.timers_on()
    }

    /// Whether the plain shape fits: a pooled desk, every switch off.
    pub(crate) fn fits_plain(&self) -> bool {
        self.desk.is_none() && !self.switches.timers_on()
    }
}
