//! [`Breaker`]: the health of one alternative, for `cooldown = ..` and `trip_after = ..`.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use crate::clock::Instant;

/// Whether an alternative is taking calls: after `trip_after` consecutive failures it
/// is skipped for the cooldown, then one call probes it; a success closes it again, a
/// failure starts another cooldown. Lock-free (two atomics); the macros keep one per
/// alternative in a `static`, shared by every call of the chain.
#[doc(hidden)]
#[derive(Debug)]
pub struct Breaker {
    /// The instant its times are counted from: its first use. (One per breaker, not one
    /// per process: each runtime's clock is its own, and tokio's paused clocks differ.)
    base: OnceLock<Instant>,
    /// Consecutive failures that moved the chain on.
    failures: AtomicU32,
    /// While open: until when, in milliseconds since `base` (plus one, so that zero
    /// means closed).
    open_until: AtomicU64,
}

impl Breaker {
    /// A closed breaker, for the `static` array the macros declare.
    pub const fn closed() -> Breaker {
        Breaker {
            base: OnceLock::new(),
            failures: AtomicU32::new(0),
            open_until: AtomicU64::new(0),
        }
    }

    /// Now, in milliseconds since `base`, plus one (never zero).
    fn now_ms(&self) -> u64 {
        let base = *self.base.get_or_init(Instant::now);
        millis(Instant::now().saturating_duration_since(base)).saturating_add(1)
    }

    /// Whether a call may go to this alternative now. Once its cooldown is over, exactly
    /// one caller is let through (the probe); the others keep skipping it until the probe
    /// has answered.
    pub fn admit(&self, cooldown: Duration) -> bool {
        let until = self.open_until.load(Ordering::Acquire);
        if until == 0 {
            return true;
        }
        let now = self.now_ms();
        if now < until {
            return false;
        }
        // Cooldown over: claim the probe by pushing the reopening time forward.
        let probe_until = until_after(now, cooldown);
        self.open_until
            .compare_exchange(until, probe_until, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Whether it has tripped and not closed since: cooling down, or waiting for its
    /// probe (without claiming anything).
    #[inline]
    pub fn tripped(&self) -> bool {
        self.open_until.load(Ordering::Acquire) != 0
    }

    /// Whether this alternative is cooling down now (without claiming anything).
    pub fn is_open(&self) -> bool {
        let until = self.open_until.load(Ordering::Acquire);
        until != 0 && self.now_ms() < until
    }

    /// Whether every breaker of `breakers` is cooling down: then they are tried anyway.
    #[inline]
    pub fn all_open(breakers: &[Breaker]) -> bool {
        !breakers.is_empty() && breakers.iter().all(Breaker::is_open)
    }

    /// The alternative served: it is healthy.
    pub fn success(&self) {
        self.failures.store(0, Ordering::Release);
        self.open_until.store(0, Ordering::Release);
    }

    /// The alternative failed in a way that moved the chain on.
    pub fn failure(&self, trip_after: u32, cooldown: Duration) {
        let failures = self
            .failures
            .fetch_add(1, Ordering::AcqRel)
            .saturating_add(1);
        if failures >= trip_after {
            let until = until_after(self.now_ms(), cooldown);
            self.open_until.store(until, Ordering::Release);
        }
    }

    /// Consecutive failures so far (for tests and metrics).
    pub fn failures(&self) -> u32 {
        self.failures.load(Ordering::Acquire)
    }

    /// While it has tripped and not closed since: how much of its cooldown is left
    /// (zero once it waits for its probe).
    pub fn cooling_left(&self) -> Option<Duration> {
        let until = self.open_until.load(Ordering::Acquire);
        (until != 0).then(|| Duration::from_millis(until.saturating_sub(self.now_ms())))
    }

    /// Opens it for `cooldown` from now, whatever its failures: a trip seen elsewhere.
    pub fn open_for(&self, cooldown: Duration) {
        let until = until_after(self.now_ms(), cooldown);
        self.open_until.store(until, Ordering::Release);
    }
}

/// The health of a chain's alternatives, owned by the caller: `health = &self.health`
/// keeps one client's cooldowns apart from another's (one client per tenant), where the
/// default is one `static` per chain, shared by every call. `N` is the chain's count of
/// alternatives (in the macros, a chain of another count is a compile error on `health =
/// ..`; a `try_each` list tracks its first `N` items: for a list whose length is known
/// only at run time, see [`ListHealth`]). Lock-free, `Send + Sync`, and free to create:
/// two atomics per alternative.
///
/// ```
/// # extern crate fallback_core as fallbacks;
/// let health: fallbacks::Health<2> = fallbacks::Health::new();
/// assert!(!health.is_cooling(0));
/// assert_eq!(health.failures(1), 0);
/// ```
#[derive(Debug)]
pub struct Health<const N: usize> {
    breakers: [Breaker; N],
}

/// The methods of both healths, over their breakers (`self.breakers`, one per
/// position).
macro_rules! health_methods {
    () => {
        /// Whether alternative `index` is cooling down now (`false` past the end).
        pub fn is_cooling(&self, index: usize) -> bool {
            self.breakers.get(index).is_some_and(Breaker::is_open)
        }

        /// The consecutive failures of alternative `index` (0 past the end).
        pub fn failures(&self, index: usize) -> u32 {
            self.breakers.get(index).map_or(0, Breaker::failures)
        }

        /// Forgets every trip: all alternatives healthy again.
        pub fn reset(&self) {
            for breaker in self.breakers.iter() {
                breaker.success();
            }
        }

        /// While alternative `index` has tripped and not closed since: how much of its
        /// cooldown is left (zero once it waits for its probe); `None` when it is closed or
        /// past the end. For a health store that shares trips between processes.
        pub fn cooling_left(&self, index: usize) -> Option<Duration> {
            self.breakers.get(index).and_then(Breaker::cooling_left)
        }

        /// Trips alternative `index` for `cooldown` from now, as if it had failed here: a
        /// trip another process saw. Nothing past the end.
        pub fn trip_for(&self, index: usize, cooldown: Duration) {
            if let Some(breaker) = self.breakers.get(index) {
                breaker.open_for(cooldown);
            }
        }

        /// Closes alternative `index`, as if it had served here: a recovery another
        /// process saw. Nothing past the end.
        pub fn recover(&self, index: usize) {
            if let Some(breaker) = self.breakers.get(index) {
                breaker.success();
            }
        }
    };
}

impl<const N: usize> Health<N> {
    /// Every alternative healthy.
    pub const fn new() -> Self {
        Health {
            breakers: [const { Breaker::closed() }; N],
        }
    }

    health_methods!();

    /// The breakers, for the generated code.
    #[doc(hidden)]
    pub fn breakers(&self) -> &[Breaker; N] {
        &self.breakers
    }
}

/// The health of a list whose length is known only at run time: a `try_each` over the
/// providers a configuration names, `.cooldown(d, &health)`. One breaker per position,
/// as many as the list has, so that every item is tracked (a [`Health<N>`] tracks the
/// first `N`). Made once, with the list (one allocation); then lock-free, `Send +
/// Sync`, and shared by every call, as a `Health` is. Its trips belong to positions:
/// when the list is reloaded in another order or length, make a new one with it.
///
/// ```
/// # extern crate fallback_core as fallbacks;
/// # #[cfg(feature = "tokio")] {
/// use std::time::Duration;
/// use fallbacks::{try_each, ListHealth};
///
/// let providers: Vec<String> = "openai anthropic local".split(' ').map(String::from).collect();
/// let health = ListHealth::new(providers.len());
/// # futures::executor::block_on(async {
/// for _ in 0..3 {
///     let served = try_each(&providers, |name| async move {
///         if name == "openai" { Err("down") } else { Ok(name.clone()) }
///     })
///     .cooldown(Duration::from_secs(30), &health)
///     .await
///     .unwrap();
///     assert_eq!(served.into_value(), "anthropic");
/// }
/// # });
/// assert!(health.is_cooling(0)); // three failures in a row: openai is skipped for 30 s
/// assert_eq!(health.len(), 3);
/// # }
/// ```
#[derive(Debug)]
pub struct ListHealth {
    breakers: Box<[Breaker]>,
}

impl ListHealth {
    /// A health for a list of `len` items, every one healthy.
    pub fn new(len: usize) -> Self {
        ListHealth {
            breakers: (0..len).map(|_| Breaker::closed()).collect(),
        }
    }

    /// How many positions it tracks.
    pub fn len(&self) -> usize {
        self.breakers.len()
    }

    /// Whether it tracks none (a health for an empty list).
    pub fn is_empty(&self) -> bool {
        self.breakers.is_empty()
    }

    health_methods!();

    /// The breakers, for the chain.
    pub(crate) fn breakers(&self) -> &[Breaker] {
        &self.breakers
    }
}

impl<const N: usize> Default for Health<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// `duration` in whole milliseconds, the longest as `u64::MAX` (about 584 million
/// years): a cooldown of `Duration::MAX` is "until further notice", never a wrap.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The instant (in the breaker's milliseconds) `cooldown` after `now`, saturating.
fn until_after(now: u64, cooldown: Duration) -> u64 {
    now.saturating_add(millis(cooldown))
}
