//! The `tracing` feature: an event for every attempt of every chain.
//!
//! Each attempt holds a [`Trace`]: with the feature, the time it started (taken only
//! when a subscriber listens to this crate's events); without it, nothing at all — a
//! zero-sized value whose methods compile to nothing, so a chain's future and code are
//! exactly what they are without tracing. (The macros do not even write the calls of a
//! chain without time options then: `fallbacks/tracing` turns this feature and the
//! macros' on together.)
//!
//! The events, all with target `fallbacks` and the fields `chain` (the function's path,
//! or where a `fallback_chain!` is, or `try_each`), `alternative` (its name),
//! `index` (its position, 0 for the primary), `attempt` (the try: 1, then 2, 3... with
//! `retries`) and `outcome`:
//!
//! | outcome | level | more fields |
//! |---|---|---|
//! | `"failed"` | `WARN` | `elapsed_ms`; `error` (its `Display`, when the chain's error type has one) |
//! | `"served"` by the primary | `DEBUG` | `elapsed_ms` |
//! | `"served"` by a fallback | `INFO` | `elapsed_ms` |
//! | `"skipped"` (cooling down) | `INFO` | |
//! | `"cancelled"` (a hedged attempt dropped unfinished) | `DEBUG` | `elapsed_ms` |
//! | `"opened"`, `"first item"` (stream chains) | `DEBUG` for the primary, `INFO` for a fallback | |
//! | `"restarted"` (stream chains) | `INFO` | |

use core::fmt::Display;

/// The start of one attempt, for its `tracing` event. The default is an attempt no
/// event is emitted for. Not `Copy`, on purpose: ending an attempt moves its `Trace`
/// out, so that an `async` chain keeps it only across that attempt's own `await`.
#[derive(Debug, Default)]
pub struct Trace {
    #[cfg(feature = "tracing")]
    started: Option<crate::clock::Instant>,
}

/// How an attempt ended, for [`Trace::end`].
#[derive(Clone, Copy)]
pub enum Ended<'a> {
    /// It returned `Ok`.
    Served,
    /// It failed; the error's text, when its type has a `Display`.
    Failed(Option<&'a dyn Display>),
    /// It was dropped unfinished: in a hedged chain, the other attempt ended the chain.
    Cancelled,
}

impl Trace {
    /// Whether events are emitted at all (the `tracing` feature): without it, a moment
    /// such as a stream's first item costs nothing and need not be watched for.
    pub const ON: bool = cfg!(feature = "tracing");

    /// An attempt starts now.
    #[inline(always)]
    pub fn start() -> Trace {
        Trace {
            #[cfg(feature = "tracing")]
            started: tracing::enabled!(target: "fallbacks", tracing::Level::WARN)
                .then(crate::clock::now),
        }
    }

    /// The attempt of `alternative` (at `index`, try `attempt`) ended as `ended`.
    #[inline(always)]
    pub fn end(
        self,
        chain: &'static str,
        alternative: &'static str,
        index: usize,
        attempt: u32,
        ended: Ended<'_>,
    ) {
        #[cfg(feature = "tracing")]
        if let Some(started) = self.started {
            emit::ended(chain, alternative, index, attempt, started.elapsed(), ended);
        }
        #[cfg(not(feature = "tracing"))]
        let _ = (self, chain, alternative, index, attempt, ended);
    }

    /// The attempt failed with `error`, which nothing else looks at: converted into the
    /// chain's error type `E` only if the event is emitted, for `show` to display.
    #[inline(always)]
    pub fn failed_into<E, Ei, S>(
        self,
        chain: &'static str,
        alternative: &'static str,
        index: usize,
        attempt: u32,
        error: Ei,
        show: S,
    ) where
        E: From<Ei>,
        S: for<'e> FnOnce(&'e E) -> Ended<'e>,
    {
        #[cfg(feature = "tracing")]
        if let Some(started) = self.started {
            let error = E::from(error);
            emit::ended(
                chain,
                alternative,
                index,
                attempt,
                started.elapsed(),
                show(&error),
            );
            return;
        }
        let _ = (self, chain, alternative, index, attempt, show);
        drop(error);
    }

    /// A moment of a stream chain's attempt (`"opened"`, `"first item"`,
    /// `"restarted"`).
    #[inline(always)]
    pub fn moment(
        chain: &'static str,
        alternative: &'static str,
        index: usize,
        what: &'static str,
    ) {
        #[cfg(feature = "tracing")]
        emit::moment(chain, alternative, index, what);
        #[cfg(not(feature = "tracing"))]
        let _ = (chain, alternative, index, what);
    }

    /// `alternative` (at `index`) was not tried: it is cooling down.
    #[inline(always)]
    pub fn skipped(chain: &'static str, alternative: &'static str, index: usize) {
        #[cfg(feature = "tracing")]
        emit::skipped(chain, alternative, index);
        #[cfg(not(feature = "tracing"))]
        let _ = (chain, alternative, index);
    }
}

#[cfg(feature = "tracing")]
mod emit {
    use super::Ended;

    /// Kept out of line: the attempt's own code only tests whether to call it.
    #[cold]
    #[inline(never)]
    pub(super) fn ended(
        chain: &'static str,
        alternative: &'static str,
        index: usize,
        attempt: u32,
        elapsed: std::time::Duration,
        ended: Ended<'_>,
    ) {
        // Whole microseconds, in milliseconds: `1.473766`, not `1.4737660000000001`.
        let elapsed_ms = elapsed.as_micros() as f64 / 1000.0;
        match ended {
            Ended::Failed(error) => tracing::warn!(
                target: "fallbacks",
                chain,
                alternative,
                index,
                attempt,
                outcome = "failed",
                elapsed_ms,
                error = error.map(tracing::field::display),
                "fallback attempt failed"
            ),
            Ended::Served if index == 0 => tracing::debug!(
                target: "fallbacks",
                chain,
                alternative,
                index,
                attempt,
                outcome = "served",
                elapsed_ms,
                "fallback primary served"
            ),
            Ended::Cancelled => tracing::debug!(
                target: "fallbacks",
                chain,
                alternative,
                index,
                attempt,
                outcome = "cancelled",
                elapsed_ms,
                "fallback attempt cancelled"
            ),
            Ended::Served => tracing::info!(
                target: "fallbacks",
                chain,
                alternative,
                index,
                attempt,
                outcome = "served",
                elapsed_ms,
                "fallback alternative served"
            ),
        }
    }

    #[cold]
    #[inline(never)]
    pub(super) fn moment(
        chain: &'static str,
        alternative: &'static str,
        index: usize,
        what: &'static str,
    ) {
        // As for a success: quiet at `INFO` while the primary streams; a fallback that
        // streams, or a restart, is worth a line.
        if index == 0 && what != "restarted" {
            tracing::debug!(
                target: "fallbacks",
                chain,
                alternative,
                index,
                outcome = what,
                "fallback stream {what}"
            );
        } else {
            tracing::info!(
                target: "fallbacks",
                chain,
                alternative,
                index,
                outcome = what,
                "fallback stream {what}"
            );
        }
    }

    #[cold]
    #[inline(never)]
    pub(super) fn skipped(chain: &'static str, alternative: &'static str, index: usize) {
        tracing::info!(
            target: "fallbacks",
            chain,
            alternative,
            index,
            outcome = "skipped",
            "fallback alternative skipped while cooling down"
        );
    }
}

/// A failed attempt's error, for [`Ended`]: its `Display` is used when it has one
/// (`(&Shown(&error)).failed()`, autoref specialization at the generated call site,
/// where the error type is known).
#[derive(Debug)]
pub struct Shown<'a, E>(pub &'a E);

/// The error has a `Display`: the event shows it.
pub trait FailedDisplay<'a> {
    /// The attempt failed with this error.
    fn failed(&self) -> Ended<'a>;
}

impl<'a, E: Display> FailedDisplay<'a> for Shown<'a, E> {
    #[inline(always)]
    fn failed(&self) -> Ended<'a> {
        Ended::Failed(Some(self.0))
    }
}

/// The error has no `Display`: the event says the attempt failed, without the text.
pub trait FailedPlain<'a> {
    /// The attempt failed with this error.
    fn failed(&self) -> Ended<'a>;
}

impl<'a, E> FailedPlain<'a> for &Shown<'a, E> {
    #[inline(always)]
    fn failed(&self) -> Ended<'a> {
        Ended::Failed(None)
    }
}
