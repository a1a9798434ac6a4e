//! The time policies of a chain: per-attempt timeouts, the chain's deadline, and the
//! pause between retries. Built on tokio's clock (so tokio's paused time drives them in
//! tests), behind the `tokio` feature; without it, a chain that asks for a clock option
//! is one compile error naming the feature.

use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use crate::Elapsed;

#[cfg(feature = "tokio")]
use tokio::time::Instant;

#[cfg(not(feature = "tokio"))]
use std::time::Instant;

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
        self.deadline
            .is_some_and(|deadline| self.elapsed() >= deadline)
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

    /// Waits before retry number `retry` (1 for the first retry): exponential backoff
    /// from `base` with full jitter, capped at 32 times `base`, and never past the
    /// deadline.
    pub async fn backoff(&self, base: Duration, retry: u32) {
        let mut pause = jitter::full(backoff_ceiling(base, retry));
        if let Some(deadline) = self.deadline {
            pause = pause.min(deadline.saturating_sub(self.elapsed()));
        }
        sleep(pause).await;
    }
}

/// The longest pause before retry number `retry`: `base * 2^(retry - 1)`, at most
/// `32 * base`.
pub fn backoff_ceiling(base: Duration, retry: u32) -> Duration {
    let doublings = retry.saturating_sub(1).min(5);
    base.saturating_mul(1 << doublings)
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

/// The randomness of backoff, seeded per thread (from the process's hash keys unless
/// [`seed`](jitter::seed) is called), so that tests can make it repeatable.
pub mod jitter {
    use std::cell::Cell;
    use std::hash::{BuildHasher, RandomState};
    use std::time::Duration;

    thread_local! {
        static STATE: Cell<u64> = Cell::new(RandomState::new().hash_one(0x5eed_u64) | 1);
    }

    /// Makes this thread's jitter repeatable from `seed`.
    pub fn seed(seed: u64) {
        STATE.with(|state| state.set(seed | 1));
    }

    /// A uniform value in `0..=1` (xorshift64*).
    fn unit() -> f64 {
        STATE.with(|state| {
            let mut x = state.get();
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            state.set(x);
            (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
        })
    }

    /// "Full jitter": a uniform pause between zero and `ceiling`.
    pub fn full(ceiling: Duration) -> Duration {
        ceiling.mul_f64(unit())
    }
}
