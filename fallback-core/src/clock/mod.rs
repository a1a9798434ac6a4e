//! The time policies of a chain: per-attempt timeouts, the chain's deadline, and the
//! pause between retries. Built on tokio's clock (so tokio's paused time drives them in
//! tests), behind the `tokio` feature; without it, a chain that asks for a clock option
//! is one compile error naming the feature.

use std::future::Future;
use std::marker::PhantomData;
#[cfg(not(feature = "tokio"))]
use std::pin::Pin;
#[cfg(not(feature = "tokio"))]
use std::task::{Context, Poll};
use std::time::Duration;

use crate::Elapsed;

pub mod jitter;

/// When an attempt started, for the `elapsed` of its events: tokio's clock with the
/// `tokio` feature (so paused time applies), the system's otherwise.
#[cfg(feature = "tokio")]
#[doc(hidden)]
pub type Instant = tokio::time::Instant;
/// When an attempt started (the system clock: no `tokio` feature).
#[cfg(not(feature = "tokio"))]
#[doc(hidden)]
pub type Instant = std::time::Instant;

/// Now, by the clock of [`Instant`].
#[doc(hidden)]
#[inline]
pub fn now() -> Instant {
    Instant::now()
}

/// `limit` from now; a limit too long for the clock (`Duration::MAX`, a year in
/// nanoseconds from a configuration file) is about thirty years, as tokio's "never".
#[inline]
pub(crate) fn after(limit: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(limit)
        .or_else(|| now.checked_add(FAR_FUTURE))
        .unwrap_or(now)
}

/// What an unrepresentable limit stands for: about thirty years.
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// The base pause before the first retry when `backoff` is not given: 100 ms.
pub const DEFAULT_BACKOFF: Duration = Duration::from_millis(100);

/// The consecutive failures that trip an alternative when `trip_after` is not given.
pub const DEFAULT_TRIP_AFTER: u32 = 3;

/// The most doublings of the backoff: a pause is at most `32 * backoff`.
pub const MAX_BACKOFF_DOUBLINGS: u32 = 5;

/// The runtime whose clock a chain uses. Only tokio for now.
#[doc(hidden)]
pub struct Tokio;

/// Implemented by a clock that is compiled in.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "the time options (`timeout`, `deadline`, `retries`, `backoff`, `cooldown`) need the `tokio` feature of `fallbacks`",
    label = "this option needs a clock",
    note = "enable it in Cargo.toml: `fallbacks = {{ version = \"0.1\", features = [\"tokio\"] }}`"
)]
pub trait ClockEnabled {}

#[cfg(feature = "tokio")]
impl ClockEnabled for Tokio {}

/// [`ClockEnabled`], for a bound that must mention a generic type `T` to be checked
/// where it is used rather than where it is written (the builder methods of
/// `try_each`).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "the time options (`timeout`, `deadline`, `retries`, `backoff`) need the `tokio` feature of `fallbacks`",
    label = "this option needs a clock",
    note = "enable it in Cargo.toml: `fallbacks = {{ version = \"0.1\", features = [\"tokio\"] }}`"
)]
pub trait ClockEnabledFor<T> {}

#[cfg(feature = "tokio")]
impl<T> ClockEnabledFor<T> for Tokio {}

/// The clock of one call of a chain: its deadline, if it has one. Without one, the
/// clock is never read here: each attempt's timeout reads it once, as
/// `tokio::time::timeout` would.
#[doc(hidden)]
pub struct Clock<C> {
    /// The deadline's instant, and its length.
    deadline: Option<(Instant, Duration)>,
    runtime: PhantomData<C>,
}

impl<C> Clock<C> {
    /// Starts the clock of a call. The bound is where a missing `tokio` feature is
    /// reported, once.
    #[inline]
    pub fn start(deadline: Option<Duration>) -> Self
    where
        C: ClockEnabled,
    {
        Clock {
            deadline: deadline.map(|limit| (after(limit), limit)),
            runtime: PhantomData,
        }
    }

    /// Whether the chain's deadline has passed: no attempt starts after it.
    pub fn past_deadline(&self) -> bool {
        self.left().is_some_and(|left| left.is_zero())
    }

    /// The time left before the deadline, if there is one.
    #[inline]
    pub fn left(&self) -> Option<Duration> {
        self.deadline
            .map(|(until, _)| until.saturating_duration_since(Instant::now()))
    }

    /// The deadline's error if it has passed: then no attempt starts.
    pub fn expired(&self) -> Option<Elapsed> {
        self.past_deadline().then(|| self.deadline_error())
    }

    /// The error for a chain stopped by its deadline.
    pub fn deadline_error(&self) -> Elapsed {
        Elapsed::deadline(self.deadline.map_or(Duration::ZERO, |(_, limit)| limit))
    }

    /// Runs one attempt within `timeout` and the chain's deadline, whichever ends first.
    #[inline]
    pub fn attempt<F: Future>(&self, timeout: Option<Duration>, attempt: F) -> Limited<F> {
        let by_timeout = timeout.map(|timeout| (after(timeout), timeout));
        let (timer, elapsed) = match (by_timeout, self.deadline) {
            (None, None) => (None, Elapsed::timeout(Duration::ZERO)),
            (Some((t, _)), Some((d, _))) if d <= t => (Some(d), self.deadline_error()),
            (Some((t, limit)), _) => (Some(t), Elapsed::timeout(limit)),
            (None, Some((d, _))) => (Some(d), self.deadline_error()),
        };
        Limited {
            attempt,
            timer: timer.map(delay_until),
            elapsed,
        }
    }

    /// Waits `pause` (a retry's, already within the deadline: see `Attempt::judge`).
    pub async fn pause(&self, pause: Duration) {
        delay(pause).await;
    }
}

pin_project_lite::pin_project! {
    /// One attempt under its time limit: [`Clock::attempt`]'s future, `Err` with the
    /// limit's [`Elapsed`] if the limit comes first.
    #[doc(hidden)]
    pub struct Limited<F> {
        #[pin]
        attempt: F,
        #[pin]
        timer: Option<Delay>,
        elapsed: Elapsed,
    }
}

impl<F: Future> Future for Limited<F> {
    type Output = Result<F::Output, Elapsed>;

    #[inline]
    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let this = self.project();
        if let std::task::Poll::Ready(output) = this.attempt.poll(cx) {
            return std::task::Poll::Ready(Ok(output));
        }
        let expired = this
            .timer
            .as_pin_mut()
            .is_some_and(|timer| timer.poll(cx).is_ready());
        if expired {
            std::task::Poll::Ready(Err(*this.elapsed))
        } else {
            std::task::Poll::Pending
        }
    }
}

/// The longest pause before retry number `retry`: `base * 2^(retry - 1)`, at most
/// `32 * base`.
pub fn backoff_ceiling(base: Duration, retry: u32) -> Duration {
    let doublings = retry.saturating_sub(1).min(MAX_BACKOFF_DOUBLINGS);
    base.saturating_mul(1 << doublings)
}

/// A retry's pause: exponential backoff from `base` with full jitter, never past the
/// time `left` before the deadline.
pub fn backoff(base: Duration, retry: u32, left: Option<Duration>) -> Duration {
    let pause = jitter::full(backoff_ceiling(base, retry));
    left.map_or(pause, |left| pause.min(left))
}

/// A timer: tokio's `Sleep`.
#[cfg(feature = "tokio")]
#[doc(hidden)]
pub type Delay = tokio::time::Sleep;

/// A timer of `duration` from now.
#[cfg(feature = "tokio")]
pub(crate) fn delay(duration: Duration) -> Delay {
    tokio::time::sleep(duration)
}

/// A timer that fires at `until`.
#[cfg(feature = "tokio")]
fn delay_until(until: Instant) -> Delay {
    tokio::time::sleep_until(until)
}

#[cfg(not(feature = "tokio"))]
fn delay_until(_: Instant) -> Delay {
    unreachable!("timers need the `tokio` feature, which the time options require")
}

/// Without a clock, no timer can be made (`Clock::start` and the time options of
/// `try_each` refuse first, at compile time); this only keeps the types checkable.
#[cfg(not(feature = "tokio"))]
#[doc(hidden)]
pub struct Delay;

#[cfg(not(feature = "tokio"))]
pub(crate) fn delay(_: Duration) -> Delay {
    unreachable!("timers need the `tokio` feature, which the time options require")
}

#[cfg(not(feature = "tokio"))]
impl Future for Delay {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        unreachable!("timers need the `tokio` feature, which the time options require")
    }
}

/// Starts `timer` over: it fires `limit` from now.
#[cfg(all(feature = "tokio", feature = "stream"))]
pub(crate) fn reset(timer: std::pin::Pin<&mut Delay>, limit: Duration) {
    timer.reset(after(limit));
}

#[cfg(all(not(feature = "tokio"), feature = "stream"))]
pub(crate) fn reset(_: Pin<&mut Delay>, _: Duration) {
    unreachable!("timers need the `tokio` feature, which the time options require")
}

/// The time left before `timer` fires.
#[cfg(feature = "tokio")]
pub(crate) fn remaining(timer: &Delay) -> Duration {
    timer
        .deadline()
        .saturating_duration_since(tokio::time::Instant::now())
}

#[cfg(not(feature = "tokio"))]
pub(crate) fn remaining(_: &Delay) -> Duration {
    unreachable!("timers need the `tokio` feature, which the time options require")
}
