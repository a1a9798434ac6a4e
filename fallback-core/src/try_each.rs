//! [`try_each`]: the same chain, over alternatives known only at run time.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::__private::{Instant, Tokio};
use crate::clock::{jitter, ClockEnabledFor};
use crate::hedge::{delay, Delay};
use crate::{Elapsed, Event, EventKind};

/// Tries `attempt(item)` for each item in order until one succeeds: the runtime
/// counterpart of the macros, for a list of providers read from configuration. The
/// futures are not boxed, and the result says which item served.
///
/// ```
/// use fallback_core::try_each;
///
/// struct Provider { name: &'static str, up: bool }
///
/// impl Provider {
///     async fn complete(&self, prompt: &str) -> Result<String, String> {
///         if self.up { Ok(format!("{}: {prompt}", self.name)) } else { Err(format!("{} is down", self.name)) }
///     }
/// }
///
/// let providers = vec![
///     Provider { name: "openai", up: false },
///     Provider { name: "anthropic", up: true },
/// ];
/// # futures::executor::block_on(async {
/// let served = try_each(&providers, |p| p.complete("hi")).await.unwrap();
/// assert_eq!(served.index(), 1);
/// assert_eq!(served.failed_before(), 1);
/// assert_eq!(served.into_value(), "anthropic: hi");
/// # });
/// ```
///
/// Builder methods set the same options as the macros': [`on`](TryEach::on),
/// [`timeout`](TryEach::timeout), [`deadline`](TryEach::deadline),
/// [`retries`](TryEach::retries) with [`backoff`](TryEach::backoff), and
/// [`observe`](TryEach::observe). The time options need the `tokio` feature. With
/// `retries`, the closure is called again with a clone of the item (items are usually
/// references).
pub fn try_each<I, F, Fut, T, E>(
    items: I,
    attempt: F,
) -> TryEach<I::IntoIter, F, AnyError, Silent, NoClock>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    TryEach {
        items: items.into_iter(),
        attempt,
        filter: AnyError,
        observer: Silent,
        limits: Limits::default(),
        elapsed: NoClock,
    }
}

/// A [`try_each`] chain being configured; `.await` it to run it.
#[must_use = "a try_each chain does nothing until it is awaited"]
pub struct TryEach<It, F, P, O, C> {
    items: It,
    attempt: F,
    filter: P,
    observer: O,
    limits: Limits,
    /// How a timeout becomes the chain's error: [`NoClock`] until `timeout` or
    /// `deadline` is set (which require `E: From<Elapsed>`), `fn(Elapsed) -> E` after.
    elapsed: C,
}

/// The time options.
#[derive(Clone, Copy)]
struct Limits {
    timeout: Option<Duration>,
    deadline: Option<Duration>,
    retries: u32,
    backoff: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: None,
            deadline: None,
            retries: 0,
            backoff: Duration::from_millis(100),
        }
    }
}

/// No time limit is set, so no timeout ever needs to become an error.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoClock;

/// Turns a timeout into the chain's error `E`.
pub trait ElapsedInto<E> {
    /// The conversion.
    fn elapsed_into(&self, elapsed: Elapsed) -> E;
}

impl<E> ElapsedInto<E> for NoClock {
    fn elapsed_into(&self, _: Elapsed) -> E {
        unreachable!(
            "no time limit is set without `timeout` or `deadline`, which set the conversion"
        )
    }
}

impl<E> ElapsedInto<E> for fn(Elapsed) -> E {
    fn elapsed_into(&self, elapsed: Elapsed) -> E {
        self(elapsed)
    }
}

/// The default filter: every error moves on.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyError;

/// The default observer: none.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

/// A filter: which errors move on to the next item.
pub trait Filter<E> {
    /// Whether `error` moves on.
    fn accepts(&self, error: &E) -> bool;
}

impl<E> Filter<E> for AnyError {
    fn accepts(&self, _: &E) -> bool {
        true
    }
}

impl<E, P: Fn(&E) -> bool> Filter<E> for P {
    fn accepts(&self, error: &E) -> bool {
        self(error)
    }
}

/// An observer of attempts.
pub trait Observer<E> {
    /// Whether it wants events at all (when not, the clock is not even read).
    const ACTIVE: bool = true;

    /// Called with each attempt's start, success and failure.
    fn observe(&self, event: &Event<'_, E>);
}

impl<E> Observer<E> for Silent {
    const ACTIVE: bool = false;

    fn observe(&self, _: &Event<'_, E>) {}
}

impl<E, O: Fn(&Event<'_, E>)> Observer<E> for O {
    fn observe(&self, event: &Event<'_, E>) {
        self(event)
    }
}

impl<It, F, P, O, C> TryEach<It, F, P, O, C> {
    /// Only errors `filter` accepts move on to the next item; any other is returned.
    pub fn on<E, Q: Fn(&E) -> bool>(self, filter: Q) -> TryEach<It, F, Q, O, C> {
        TryEach {
            items: self.items,
            attempt: self.attempt,
            filter,
            observer: self.observer,
            limits: self.limits,
            elapsed: self.elapsed,
        }
    }

    /// Calls `observer` with each attempt's start, success and failure. The event's
    /// `alternative` is `"item"`; its `index` says which.
    pub fn observe<E, Q: Fn(&Event<'_, E>)>(self, observer: Q) -> TryEach<It, F, P, Q, C> {
        TryEach {
            items: self.items,
            attempt: self.attempt,
            filter: self.filter,
            observer,
            limits: self.limits,
            elapsed: self.elapsed,
        }
    }

    /// A time limit per attempt: a slow attempt fails with `E::from(Elapsed)` and the
    /// chain moves on, whatever the filter says.
    pub fn timeout<E: From<Elapsed>>(
        self,
        limit: Duration,
    ) -> TryEach<It, F, P, O, fn(Elapsed) -> E>
    where
        Tokio: ClockEnabledFor<It>,
    {
        let mut limits = self.limits;
        limits.timeout = Some(limit);
        self.with_clock(limits)
    }

    /// A time limit for the whole chain: when it passes, the attempt in flight is
    /// dropped and the chain fails with `E::from(Elapsed)`.
    pub fn deadline<E: From<Elapsed>>(
        self,
        limit: Duration,
    ) -> TryEach<It, F, P, O, fn(Elapsed) -> E>
    where
        Tokio: ClockEnabledFor<It>,
    {
        let mut limits = self.limits;
        limits.deadline = Some(limit);
        self.with_clock(limits)
    }

    fn with_clock<E: From<Elapsed>>(
        self,
        limits: Limits,
    ) -> TryEach<It, F, P, O, fn(Elapsed) -> E> {
        TryEach {
            items: self.items,
            attempt: self.attempt,
            filter: self.filter,
            observer: self.observer,
            limits,
            elapsed: elapsed_into::<E>,
        }
    }

    /// Tries each item up to `retries` more times, for errors the filter accepts and
    /// timeouts, pausing with exponential backoff and full jitter in between.
    pub fn retries(mut self, retries: u32) -> Self
    where
        Tokio: ClockEnabledFor<It>,
    {
        self.limits.retries = retries;
        self
    }

    /// The pause before the first retry (default 100 ms), doubled before each next one.
    pub fn backoff(mut self, base: Duration) -> Self
    where
        Tokio: ClockEnabledFor<It>,
    {
        self.limits.backoff = base;
        self
    }
}

fn elapsed_into<E: From<Elapsed>>(elapsed: Elapsed) -> E {
    E::from(elapsed)
}

/// A value, with which alternative served it: what [`try_each`] returns, and what a
/// `#[fallback]` function declared `-> Result<Served<T>, E>` returns.
///
/// ```
/// use fallback_core::Served;
///
/// let served = Served::new("reply", "anthropic", 1, 1);
/// assert_eq!(served.alternative(), "anthropic");
/// assert!(served.is_fallback());
/// assert_eq!(served.into_value(), "reply");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served<T> {
    value: T,
    alternative: &'static str,
    index: usize,
    failed_before: usize,
}

impl<T> Served<T> {
    /// `value`, served by `alternative` (at position `index`) after `failed_before`
    /// failed attempts.
    pub fn new(value: T, alternative: &'static str, index: usize, failed_before: usize) -> Self {
        Served {
            value,
            alternative,
            index,
            failed_before,
        }
    }

    /// The name of the alternative that served (its source text; `"item"` for
    /// [`try_each`]).
    pub fn alternative(&self) -> &'static str {
        self.alternative
    }

    /// Whether a fallback served rather than the primary: the canary for an outage.
    pub fn is_fallback(&self) -> bool {
        self.index > 0
    }
    /// The value the item returned.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// Takes the value.
    pub fn into_value(self) -> T {
        self.value
    }

    /// Which item served: 0 for the first.
    pub fn index(&self) -> usize {
        self.index
    }

    /// How many attempts failed before it (retries included).
    pub fn failed_before(&self) -> usize {
        self.failed_before
    }
}

/// Why [`try_each`] found nothing to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TryEachError<E> {
    /// There were no items to try.
    NoItems,
    /// The last error: of the last item, or the one the filter rejected, or the deadline.
    Failed {
        /// The error.
        error: E,
        /// The item it came from.
        index: usize,
    },
}

impl<E> TryEachError<E> {
    /// The error, if an item failed.
    pub fn into_error(self) -> Option<E> {
        match self {
            TryEachError::NoItems => None,
            TryEachError::Failed { error, .. } => Some(error),
        }
    }
}

impl<E: fmt::Display> fmt::Display for TryEachError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryEachError::NoItems => f.write_str("no alternatives to try"),
            TryEachError::Failed { error, index } => write!(f, "item {index} failed: {error}"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for TryEachError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TryEachError::NoItems => None,
            TryEachError::Failed { error, .. } => Some(error),
        }
    }
}

impl<It, F, Fut, T, E, P, O, C> IntoFuture for TryEach<It, F, P, O, C>
where
    It: Iterator,
    It::Item: Clone,
    F: FnMut(It::Item) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    P: Filter<E>,
    O: Observer<E>,
    C: ElapsedInto<E>,
{
    type Output = Result<Served<T>, TryEachError<E>>;
    type IntoFuture = TryEachFuture<It, F, Fut, P, O, C>;

    fn into_future(self) -> Self::IntoFuture {
        TryEachFuture {
            items: self.items,
            attempt: self.attempt,
            filter: self.filter,
            observer: self.observer,
            limits: self.limits,
            elapsed: self.elapsed,
            item: None,
            taken: 0,
            index: 0,
            tries: 0,
            failed: 0,
            last_error: None,
            current: None,
            attempt_started: None,
            timer: None,
            backing_off: false,
            deadline: None,
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of a [`try_each`] chain.
    pub struct TryEachFuture<It, F, Fut, P, O, C>
    where
        It: Iterator,
        Fut: Future,
    {
        items: It,
        attempt: F,
        filter: P,
        observer: O,
        limits: Limits,
        elapsed: C,
        // The current item, kept for its retries.
        item: Option<It::Item>,
        taken: usize,
        index: usize,
        tries: u32,
        failed: usize,
        last_error: Option<Fut::Output>,
        #[pin]
        current: Option<Fut>,
        attempt_started: Option<Instant>,
        // The attempt's time limit, or the pause before a retry.
        #[pin]
        timer: Option<Delay>,
        backing_off: bool,
        // The chain's deadline, from the first poll.
        #[pin]
        deadline: Option<Delay>,
    }
}

impl<It, F, Fut, T, E, P, O, C> Future for TryEachFuture<It, F, Fut, P, O, C>
where
    It: Iterator,
    It::Item: Clone,
    F: FnMut(It::Item) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    P: Filter<E>,
    O: Observer<E>,
    C: ElapsedInto<E>,
{
    type Output = Result<Served<T>, TryEachError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let limits = *this.limits;
        if let (Some(limit), None) = (limits.deadline, this.deadline.as_ref().as_pin_ref()) {
            this.deadline.set(Some(delay(limit)));
        }
        loop {
            // The chain's deadline ends everything.
            if let Some(deadline) = this.deadline.as_mut().as_pin_mut() {
                if deadline.poll(cx).is_ready() {
                    this.current.set(None);
                    let limit = limits.deadline.unwrap_or_default();
                    let error = this.elapsed.elapsed_into(Elapsed::deadline(limit));
                    return Poll::Ready(Err(TryEachError::Failed {
                        error,
                        index: *this.index,
                    }));
                }
            }
            // The pause before a retry.
            if *this.backing_off {
                if let Some(timer) = this.timer.as_mut().as_pin_mut() {
                    if timer.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                }
                this.timer.set(None);
                *this.backing_off = false;
            }
            // Start an attempt: a retry of the current item, or the next item.
            if this.current.is_none() {
                let item = match this.item.take() {
                    Some(item) => item,
                    None => match this.items.next() {
                        Some(item) => {
                            *this.index = *this.taken;
                            *this.taken += 1;
                            *this.tries = 0;
                            item
                        }
                        None => {
                            return Poll::Ready(Err(match this.last_error.take() {
                                Some(Err(error)) => TryEachError::Failed {
                                    error,
                                    index: *this.index,
                                },
                                _ => TryEachError::NoItems,
                            }))
                        }
                    },
                };
                if limits.retries > 0 {
                    *this.item = Some(item.clone());
                }
                if O::ACTIVE {
                    let event = Event::new(
                        "item",
                        *this.index,
                        *this.tries + 1,
                        Duration::ZERO,
                        EventKind::Started,
                    );
                    this.observer.observe(&event);
                }
                this.current.set(Some((this.attempt)(item)));
                // The clock is read only for a hook that reports elapsed times.
                if O::ACTIVE {
                    *this.attempt_started = Some(Instant::now());
                }
                this.timer.set(limits.timeout.map(delay));
            }
            // The attempt, under its time limit.
            let (outcome, timed_out) = match this
                .current
                .as_mut()
                .as_pin_mut()
                .map(|current| current.poll(cx))
            {
                Some(Poll::Ready(outcome)) => (outcome, false),
                _ => {
                    let timed_out = this
                        .timer
                        .as_mut()
                        .as_pin_mut()
                        .is_some_and(|timer| timer.poll(cx).is_ready());
                    if !timed_out {
                        return Poll::Pending;
                    }
                    let limit = limits.timeout.unwrap_or_default();
                    (
                        Err(this.elapsed.elapsed_into(Elapsed::timeout(limit))),
                        true,
                    )
                }
            };
            this.current.set(None);
            this.timer.set(None);
            let elapsed = this
                .attempt_started
                .map(|at| at.elapsed())
                .unwrap_or_default();
            let attempt = *this.tries + 1;
            match outcome {
                Ok(value) => {
                    let event = Event::new(
                        "item",
                        *this.index,
                        attempt,
                        elapsed,
                        EventKind::<E>::Succeeded,
                    );
                    this.observer.observe(&event);
                    return Poll::Ready(Ok(Served::new(value, "item", *this.index, *this.failed)));
                }
                Err(error) => {
                    let event = Event::new(
                        "item",
                        *this.index,
                        attempt,
                        elapsed,
                        EventKind::Failed(&error),
                    );
                    this.observer.observe(&event);
                    *this.failed += 1;
                    // A timeout always moves on: it is not the filter's to judge.
                    if !timed_out && !this.filter.accepts(&error) {
                        return Poll::Ready(Err(TryEachError::Failed {
                            error,
                            index: *this.index,
                        }));
                    }
                    *this.last_error = Some(Err(error));
                    if *this.tries < limits.retries {
                        *this.tries += 1;
                        let ceiling = crate::clock::backoff_ceiling(limits.backoff, *this.tries);
                        this.timer.set(Some(delay(jitter::full(ceiling))));
                        *this.backing_off = true;
                    } else {
                        this.item.take();
                    }
                }
            }
        }
    }
}
