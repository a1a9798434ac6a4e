//! [`try_each`]: the same chain, over alternatives known only at run time.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::__private::{Instant, Tokio};
use crate::clock::{jitter, ClockEnabledFor};
use crate::hedge::{delay, Delay};
use crate::trace::{Ended, Trace};
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
/// [`retries`](TryEach::retries) with [`backoff`](TryEach::backoff),
/// [`observe`](TryEach::observe), and [`hedge`](TryEach::hedge) (last). The time options need the `tokio` feature. With
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
            context: Context_ {
                attempt: self.attempt,
                filter: self.filter,
                observer: self.observer,
                limits: self.limits,
                elapsed: self.elapsed,
            },
            taken: 0,
            failed: 0,
            last_error: None,
            slot: Slot::idle(),
            deadline: None,
        }
    }
}

impl<It, F, P, O, C> TryEach<It, F, P, O, C> {
    /// Hedges: if the attempt in flight has not answered after `delay`, the next item
    /// starts alongside it; the first `Ok` wins and the other attempt is dropped; an
    /// error frees its place for the next item at once. At most two attempts are in
    /// flight (the "hedged request" of "The Tail at Scale"). Retries and a timeout apply
    /// to each attempt as without hedging.
    pub fn hedge(self, delay: Duration) -> TryEachHedged<It, F, P, O, C>
    where
        Tokio: ClockEnabledFor<It>,
    {
        TryEachHedged { chain: self, delay }
    }
}

/// A [`try_each`] chain with [`hedge`](TryEach::hedge): `.await` it to run it.
#[must_use = "a try_each chain does nothing until it is awaited"]
pub struct TryEachHedged<It, F, P, O, C> {
    chain: TryEach<It, F, P, O, C>,
    delay: Duration,
}

impl<It, F, Fut, T, E, P, O, C> IntoFuture for TryEachHedged<It, F, P, O, C>
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
    type IntoFuture = TryEachHedgedFuture<It, F, Fut, P, O, C>;

    fn into_future(self) -> Self::IntoFuture {
        let chain = self.chain;
        TryEachHedgedFuture {
            items: chain.items,
            context: Context_ {
                attempt: chain.attempt,
                filter: chain.filter,
                observer: chain.observer,
                limits: chain.limits,
                elapsed: chain.elapsed,
            },
            delay: self.delay,
            taken: 0,
            failed: 0,
            last_error: None,
            first: Slot::idle(),
            second: Slot::idle(),
            hedge: None,
            deadline: None,
        }
    }
}

/// What every attempt needs: how to make it, judge it, report it, and time it.
struct Context_<F, P, O, C> {
    attempt: F,
    filter: P,
    observer: O,
    limits: Limits,
    elapsed: C,
}

/// How a slot starts an attempt: by calling the closure (from `poll`, one call at a
/// time even when two attempts are in flight, so `FnMut` is enough).
trait MakeAttempt<Item, Fut> {
    fn make(&mut self, item: Item) -> Fut;
}

impl<Item, Fut, F: FnMut(Item) -> Fut> MakeAttempt<Item, Fut> for F {
    fn make(&mut self, item: Item) -> Fut {
        self(item)
    }
}

/// What a slot's attempt came to.
enum Step<T, E> {
    /// It served.
    Served(T),
    /// It failed; the slot retries the item after a pause.
    Retrying,
    /// It failed for good; the chain moves on (the error is the chain's last so far).
    Failed(E),
    /// It failed with an error the filter rejects: the chain stops with it.
    Rejected(E),
}

pin_project_lite::pin_project! {
    /// One item being tried: its attempt in flight (under its timeout), or the pause
    /// before its next try.
    #[project = SlotProj]
    struct Slot<Item, Fut> {
        item: Option<Item>,
        index: usize,
        tries: u32,
        busy: bool,
        #[pin]
        current: Option<Fut>,
        attempt_started: Option<Instant>,
        // For the attempt's `tracing` event (nothing without the feature).
        trace: Trace,
        // The attempt's time limit, or the pause before a retry.
        #[pin]
        timer: Option<Delay>,
        backing_off: bool,
    }
}

impl<Item: Clone, Fut> Slot<Item, Fut> {
    fn idle() -> Self {
        Slot {
            item: None,
            index: 0,
            tries: 0,
            busy: false,
            current: None,
            attempt_started: None,
            trace: Trace::default(),
            timer: None,
            backing_off: false,
        }
    }

    /// Starts trying `item` (the chain's `index`-th).
    fn start<F, P, O, C, E>(
        self: Pin<&mut Self>,
        item: Item,
        index: usize,
        context: &mut Context_<F, P, O, C>,
    ) where
        F: MakeAttempt<Item, Fut>,
        O: Observer<E>,
    {
        let mut this = self.project();
        *this.index = index;
        *this.tries = 0;
        *this.busy = true;
        *this.item = Some(item);
        Self::launch(&mut this, context);
    }

    /// Makes the attempt for the current item, under its timeout.
    fn launch<F, P, O, C, E>(this: &mut SlotProj<'_, Item, Fut>, context: &mut Context_<F, P, O, C>)
    where
        F: MakeAttempt<Item, Fut>,
        O: Observer<E>,
    {
        let Some(item) = this.item.clone() else {
            return;
        };
        if O::ACTIVE {
            let event = Event::new(
                "item",
                *this.index,
                *this.tries + 1,
                Duration::ZERO,
                EventKind::Started,
            );
            context.observer.observe(&event);
            *this.attempt_started = Some(Instant::now());
        }
        *this.trace = Trace::start();
        this.current.set(Some(context.attempt.make(item)));
        this.timer.set(context.limits.timeout.map(delay));
        *this.backing_off = false;
    }

    fn is_busy(&self) -> bool {
        self.busy
    }

    /// Drops the attempt in flight, if any (the other slot served, or the chain ended).
    fn clear(self: Pin<&mut Self>) {
        let mut this = self.project();
        this.current.set(None);
        this.timer.set(None);
        *this.busy = false;
        *this.item = None;
    }

    /// Polls the attempt (or the pause before the next try) to its next step.
    fn poll_step<F, T, E, P, O, C>(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        context: &mut Context_<F, P, O, C>,
    ) -> Poll<Step<T, E>>
    where
        F: MakeAttempt<Item, Fut>,
        Fut: Future<Output = Result<T, E>>,
        P: Filter<E>,
        O: Observer<E>,
        C: ElapsedInto<E>,
    {
        let mut this = self.project();
        if !*this.busy {
            return Poll::Pending;
        }
        if *this.backing_off {
            if let Some(timer) = this.timer.as_mut().as_pin_mut() {
                if timer.poll(cx).is_pending() {
                    return Poll::Pending;
                }
            }
            Self::launch(&mut this, context);
        }
        let limits = context.limits;
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
                    Err(context.elapsed.elapsed_into(Elapsed::timeout(limit))),
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
        let (index, attempt) = (*this.index, *this.tries + 1);
        match outcome {
            Ok(value) => {
                core::mem::take(this.trace).end("item", index, attempt, Ended::Served);
                if O::ACTIVE {
                    let event =
                        Event::new("item", index, attempt, elapsed, EventKind::<E>::Succeeded);
                    context.observer.observe(&event);
                }
                *this.busy = false;
                Poll::Ready(Step::Served(value))
            }
            Err(error) => {
                // The error's type is generic here: its text is for `observe` to show.
                core::mem::take(this.trace).end("item", index, attempt, Ended::Failed(None));
                if O::ACTIVE {
                    let event =
                        Event::new("item", index, attempt, elapsed, EventKind::Failed(&error));
                    context.observer.observe(&event);
                }
                // A timeout always moves on: it is not the filter's to judge.
                if !timed_out && !context.filter.accepts(&error) {
                    *this.busy = false;
                    return Poll::Ready(Step::Rejected(error));
                }
                if *this.tries < limits.retries {
                    *this.tries += 1;
                    let ceiling = crate::clock::backoff_ceiling(limits.backoff, *this.tries);
                    this.timer.set(Some(delay(jitter::full(ceiling))));
                    *this.backing_off = true;
                    return Poll::Ready(Step::Retrying);
                }
                *this.busy = false;
                *this.item = None;
                Poll::Ready(Step::Failed(error))
            }
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
        context: Context_<F, P, O, C>,
        taken: usize,
        failed: usize,
        last_error: Option<(Fut::Output, usize)>,
        #[pin]
        slot: Slot<It::Item, Fut>,
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
        if past(this.deadline.as_mut(), this.context.limits.deadline, cx) {
            this.slot.as_mut().clear();
            return Poll::Ready(Err(this.context.deadline_error(*this.taken)));
        }
        loop {
            if !this.slot.is_busy() {
                match this.items.next() {
                    Some(item) => {
                        let index = *this.taken;
                        *this.taken += 1;
                        this.slot.as_mut().start(item, index, this.context);
                    }
                    None => return Poll::Ready(Err(exhausted(this.last_error.take()))),
                }
            }
            let index = this.taken.saturating_sub(1);
            match this.slot.as_mut().poll_step(cx, this.context) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Step::Served(value)) => {
                    return Poll::Ready(Ok(Served::new(value, "item", index, *this.failed)))
                }
                Poll::Ready(Step::Rejected(error)) => {
                    return Poll::Ready(Err(TryEachError::Failed { error, index }))
                }
                Poll::Ready(Step::Retrying) => *this.failed += 1,
                Poll::Ready(Step::Failed(error)) => {
                    *this.failed += 1;
                    *this.last_error = Some((Err(error), index));
                }
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of a hedged [`try_each`] chain: at most two attempts in flight.
    pub struct TryEachHedgedFuture<It, F, Fut, P, O, C>
    where
        It: Iterator,
        Fut: Future,
    {
        items: It,
        context: Context_<F, P, O, C>,
        delay: Duration,
        taken: usize,
        failed: usize,
        last_error: Option<(Fut::Output, usize)>,
        #[pin]
        first: Slot<It::Item, Fut>,
        #[pin]
        second: Slot<It::Item, Fut>,
        // When the lone attempt in flight has run for `delay`.
        #[pin]
        hedge: Option<Delay>,
        #[pin]
        deadline: Option<Delay>,
    }
}

impl<It, F, Fut, T, E, P, O, C> Future for TryEachHedgedFuture<It, F, Fut, P, O, C>
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
        if past(this.deadline.as_mut(), this.context.limits.deadline, cx) {
            this.first.as_mut().clear();
            this.second.as_mut().clear();
            return Poll::Ready(Err(this.context.deadline_error(*this.taken)));
        }
        // An item failed for good: the next one starts at once, not after the delay.
        let mut fill_now = false;
        loop {
            let busy = usize::from(this.first.is_busy()) + usize::from(this.second.is_busy());
            // Fill: nothing in flight, an item just failed, or the lone attempt has been
            // slow for `delay`.
            let slow = busy == 1
                && this
                    .hedge
                    .as_mut()
                    .as_pin_mut()
                    .is_some_and(|hedge| hedge.poll(cx).is_ready());
            if busy == 0 || (busy == 1 && fill_now) || slow {
                fill_now = false;
                match this.items.next() {
                    Some(item) => {
                        let index = *this.taken;
                        *this.taken += 1;
                        let free = if this.first.is_busy() {
                            this.second.as_mut()
                        } else {
                            this.first.as_mut()
                        };
                        free.start(item, index, this.context);
                        // The delay runs again for the lone attempt, if one of the two
                        // ends before the other.
                        this.hedge.set(Some(delay(*this.delay)));
                        continue;
                    }
                    None if busy == 0 => {
                        return Poll::Ready(Err(exhausted(this.last_error.take())))
                    }
                    None => this.hedge.set(None),
                }
            }
            let mut progressed = false;
            for which in [0, 1] {
                let (slot, index) = if which == 0 {
                    let index = this.first.index;
                    (this.first.as_mut(), index)
                } else {
                    let index = this.second.index;
                    (this.second.as_mut(), index)
                };
                match slot.poll_step(cx, this.context) {
                    Poll::Pending => {}
                    Poll::Ready(Step::Served(value)) => {
                        this.first.as_mut().clear();
                        this.second.as_mut().clear();
                        return Poll::Ready(Ok(Served::new(value, "item", index, *this.failed)));
                    }
                    Poll::Ready(Step::Rejected(error)) => {
                        this.first.as_mut().clear();
                        this.second.as_mut().clear();
                        return Poll::Ready(Err(TryEachError::Failed { error, index }));
                    }
                    Poll::Ready(Step::Retrying) => {
                        *this.failed += 1;
                        progressed = true;
                    }
                    Poll::Ready(Step::Failed(error)) => {
                        *this.failed += 1;
                        let later = this
                            .last_error
                            .as_ref()
                            .is_none_or(|(_, last)| index >= *last);
                        if later {
                            *this.last_error = Some((Err(error), index));
                        }
                        fill_now = true;
                        progressed = true;
                    }
                }
            }
            if !progressed {
                return Poll::Pending;
            }
        }
    }
}

impl<F, P, O, C> Context_<F, P, O, C> {
    /// The error of a chain stopped by its deadline, with `taken` items started so far.
    fn deadline_error<E>(&self, taken: usize) -> TryEachError<E>
    where
        C: ElapsedInto<E>,
    {
        let limit = self.limits.deadline.unwrap_or_default();
        TryEachError::Failed {
            error: self.elapsed.elapsed_into(Elapsed::deadline(limit)),
            index: taken.saturating_sub(1),
        }
    }
}

/// The error of a chain whose items ran out: the last one's, or `NoItems`.
fn exhausted<T, E>(last_error: Option<(Result<T, E>, usize)>) -> TryEachError<E> {
    match last_error {
        Some((Err(error), index)) => TryEachError::Failed { error, index },
        _ => TryEachError::NoItems,
    }
}

/// Whether the chain's deadline has passed; starts its timer on the first poll.
fn past(
    mut timer: Pin<&mut Option<Delay>>,
    deadline: Option<Duration>,
    cx: &mut Context<'_>,
) -> bool {
    let Some(limit) = deadline else {
        return false;
    };
    if timer.is_none() {
        timer.set(Some(delay(limit)));
    }
    timer
        .as_pin_mut()
        .is_some_and(|timer| timer.poll(cx).is_ready())
}
