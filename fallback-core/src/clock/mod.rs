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

/// The clock of one call of a chain: when it started, and its deadline.
#[doc(hidden)]
pub struct Clock<C> {
    started: Instant,
    deadline: Option<Duration>,
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
            started: Instant::now(),
            deadline,
            runtime: PhantomData,
        }
    }

    /// Time since the call started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Whether the chain's deadline has passed: no attempt starts after it.
    pub fn past_deadline(&self) -> bool {
        self.left().is_some_and(|left| left.is_zero())
    }

    /// The time left before the deadline, if there is one.
    pub fn left(&self) -> Option<Duration> {
        self.deadline
            .map(|deadline| deadline.saturating_sub(self.elapsed()))
    }

    /// The deadline's error if it has passed: then no attempt starts.
    pub fn expired(&self) -> Option<Elapsed> {
        self.past_deadline().then(|| self.deadline_error())
    }

    /// The error for a chain stopped by its deadline.
    pub fn deadline_error(&self) -> Elapsed {
        Elapsed::deadline(self.deadline.unwrap_or_default())
    }

    /// Runs one attempt within `timeout` and the chain's deadline, whichever ends first.
    pub async fn attempt<F: Future>(
        &self,
        timeout: Option<Duration>,
        attempt: F,
    ) -> Result<F::Output, Elapsed> {
        let by_deadline = self.deadline.map(|deadline| self.started + deadline);
        let by_timeout = timeout.map(|timeout| Instant::now() + timeout);
        let (until, elapsed) = match (by_timeout, by_deadline) {
            (None, None) => return Ok(attempt.await),
            (Some(t), Some(d)) if d <= t => (d, self.deadline_error()),
            (Some(t), _) => (t, Elapsed::timeout(timeout.unwrap_or_default())),
            (None, Some(d)) => (d, self.deadline_error()),
        };
        run_until(until, attempt).await.map_err(|()| elapsed)
    }

    /// Waits `pause` (a retry's, already within the deadline: see `Attempt::judge`).
    pub async fn pause(&self, pause: Duration) {
        sleep(pause).await;
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

#[cfg(feature = "tokio")]
async fn run_until<F: Future>(until: Instant, attempt: F) -> Result<F::Output, ()> {
    tokio::time::timeout_at(until, attempt)
        .await
        .map_err(|_| ())
}

#[cfg(feature = "tokio")]
async fn sleep(pause: Duration) {
    tokio::time::sleep(pause).await;
}

#[cfg(not(feature = "tokio"))]
async fn run_until<F: Future>(_: Instant, _: F) -> Result<F::Output, ()> {
    unreachable!("a clock cannot start without the `tokio` feature")
}

#[cfg(not(feature = "tokio"))]
async fn sleep(_: Duration) {
    unreachable!("a clock cannot start without the `tokio` feature")
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
