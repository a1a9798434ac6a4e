//! [`try_each`]: the same chain, over alternatives known only at run time.
//!
//! - this file: the builder ([`TryEach`]) and its options;
//! - `slot`: one item being tried, its state an enum, its attempts run by the one
//!   lifecycle every chain shares (`crate::attempt`);
//! - `sequential` and `hedged`: the two futures, one slot or two, sharing one settle
//!   step;
//! - `error`: [`TryEachError`].

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::time::Duration;

use crate::attempt::{
    Accept, AnyError, Judge, Judged, NoHint, Observer, Policy, Propagate, Quiet, Silent,
};
use crate::clock::{ClockEnabledFor, Tokio};
use crate::{Elapsed, Event, Served};

mod chain;
mod collect;
mod error;
mod hedged;
mod judging;
mod parts;
mod sequential;
mod slot;
#[cfg(feature = "stream")]
mod stream;
mod timed;

pub use collect::Collect;
pub use error::TryEachError;
pub use hedged::{TryEachHedged, TryEachHedgedFuture};
pub use parts::*;
pub use sequential::TryEachFuture;
#[cfg(feature = "stream")]
pub use stream::{Streamed, TryEachRestartStream, TryEachStream};
pub use timed::TryEachTimedFuture;

/// Tries `attempt(item)` for each item in order until one succeeds: the runtime
/// counterpart of the macros, for a list of providers read from configuration. The
/// futures are not boxed, and the result says which item served.
///
/// ```
/// # extern crate fallback_core as fallbacks;
/// use fallbacks::try_each;
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
/// [`observe`](TryEach::observe), and [`hedge`](TryEach::hedge) (last); the time
/// options need the `tokio` feature. [`when_empty`](TryEach::when_empty) makes the
/// chain fail with your own error type, for `?`.
///
/// Items are moved into the closure, one call each; only with `retries` is an item
/// called again, with a clone (so only then must items be `Clone`: references, `Arc`s).
pub fn try_each<I, F, Fut, T, E>(
    items: I,
    attempt: F,
) -> TryEach<I::IntoIter, F, Judged, Silent, NoClock>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    TryEach {
        items: items.into_iter(),
        attempt,
        filter: Judged {
            on: AnyError,
            retry_on: AnyError,
            retry_after: NoHint,
            reject: Accept,
            panics: Propagate,
            shows: Quiet,
        },
        observer: Silent,
        policy: Policy::new(),
        deadline: None,
        elapsed: NoClock,
        reuse: PhantomData,
        empty: NoItems,
        namer: Unnamed,
        health: NoHealth,
        stream: StreamTimes::default(),
    }
}

/// A [`try_each`] chain being configured; `.await` it to run it.
///
/// It is `Clone` when its parts are (the list's iterator, the closure, the filters and
/// hooks, and with `all_failed` the error type), so that the same options can run more
/// than once:
///
/// ```
/// # extern crate fallback_core as fallbacks;
/// # use fallbacks::try_each;
/// # futures::executor::block_on(async {
/// let providers = ["openai", "anthropic"];
/// let chain = try_each(&providers, |name| async move { Ok::<_, String>(*name) });
/// assert_eq!(chain.clone().await.unwrap().into_value(), "openai");
/// let every_error = chain.clone().all_failed();
/// assert!(every_error.clone().await.is_ok());
/// assert_eq!(chain.await.unwrap().into_value(), "openai");
/// # });
/// ```
#[must_use = "a try_each chain does nothing until it is awaited"]
#[derive(Clone)]
pub struct TryEach<It, F, P, O, C, R = Moved, N = NoItems, M = Unnamed, B = NoHealth> {
    pub(crate) items: It,
    pub(crate) attempt: F,
    /// `on`, `retry_on`, `retry_after`: a [`Judged`].
    pub(crate) filter: P,
    pub(crate) observer: O,
    pub(crate) policy: Policy,
    pub(crate) deadline: Option<Duration>,
    /// How a timeout becomes the chain's error: [`NoClock`] until `timeout` or
    /// `deadline` is set (which require `E: From<Elapsed>`), `fn(Elapsed) -> E` after.
    pub(crate) elapsed: C,
    pub(crate) reuse: PhantomData<R>,
    /// What an empty list fails with.
    pub(crate) empty: N,
    /// How items are named in events and reports.
    pub(crate) namer: M,
    /// The items' health, with `cooldown`.
    pub(crate) health: B,
    /// A stream chain's time limits: to the first item, and between items.
    pub(crate) stream: StreamTimes,
}

/// A stream chain's time limits (`first_item_timeout`, `idle_timeout`).
#[derive(Debug, Clone, Copy, Default)]
#[cfg_attr(not(feature = "stream"), allow(dead_code))]
pub(crate) struct StreamTimes {
    pub first_item: Option<Duration>,
    pub idle: Option<Duration>,
}

impl<It, F, P, O, C, R, N, M, B> TryEach<It, F, P, O, C, R, N, M, B> {
    /// Calls `observer` with each attempt's start and end (success, failure, or cancelled
    /// when hedged). The event's `alternative` is `"item"`; its `index` says which.
    pub fn observe<Fut, T, E, Q>(self, observer: Q) -> TryEach<It, F, P, Q, C, R, N, M, B>
    where
        It: Iterator,
        F: FnMut(It::Item) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        Q: Fn(&Event<'_, E>),
    {
        TryEach {
            items: self.items,
            attempt: self.attempt,
            filter: self.filter,
            observer,
            policy: self.policy,
            deadline: self.deadline,
            elapsed: self.elapsed,
            reuse: self.reuse,
            empty: self.empty,
            namer: self.namer,
            health: self.health,
            stream: self.stream,
        }
    }

    /// Names each item in events, traces and [`Served`] (default `"item"`):
    /// `.name(|provider| provider.name)`, for names known for the whole program (a
    /// `&'static str`: a literal, or a leaked configuration string).
    pub fn name<Fut, T, E, Q>(self, name: Q) -> TryEach<It, F, P, O, C, R, N, Q, B>
    where
        It: Iterator,
        F: FnMut(It::Item) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        Q: Fn(&It::Item) -> &'static str,
    {
        TryEach {
            items: self.items,
            attempt: self.attempt,
            filter: self.filter,
            observer: self.observer,
            policy: self.policy,
            deadline: self.deadline,
            elapsed: self.elapsed,
            reuse: self.reuse,
            empty: self.empty,
            namer: name,
            health: self.health,
            stream: self.stream,
        }
    }

    /// The same chain with another empty-list and end-of-chain part, made from the one
    /// it had (`when_empty`, `all_failed`).
    pub(crate) fn with_empty<N2>(
        self,
        empty: impl FnOnce(N) -> N2,
    ) -> TryEach<It, F, P, O, C, R, N2, M, B> {
        TryEach {
            items: self.items,
            attempt: self.attempt,
            filter: self.filter,
            observer: self.observer,
            policy: self.policy,
            deadline: self.deadline,
            elapsed: self.elapsed,
            reuse: self.reuse,
            empty: empty(self.empty),
            namer: self.namer,
            health: self.health,
            stream: self.stream,
        }
    }

    /// A time limit per attempt: a slow attempt fails with `E::from(Elapsed)` and the
    /// chain moves on, whatever the filter says.
    pub fn timeout<Fut, T, E>(
        mut self,
        limit: Duration,
    ) -> TryEach<It, F, P, O, ToError<E>, R, N, M, B>
    where
        It: Iterator,
        F: FnMut(It::Item) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Elapsed>,
        Tokio: ClockEnabledFor<It>,
    {
        self.policy.timeout = Some(limit);
        self.with_clock()
    }

    /// A time limit for the whole chain: when it passes, the attempt in flight is
    /// dropped and the chain fails with `E::from(Elapsed)`.
    pub fn deadline<Fut, T, E>(
        mut self,
        limit: Duration,
    ) -> TryEach<It, F, P, O, ToError<E>, R, N, M, B>
    where
        It: Iterator,
        F: FnMut(It::Item) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Elapsed>,
        Tokio: ClockEnabledFor<It>,
    {
        self.deadline = Some(limit);
        self.with_clock()
    }

    pub(crate) fn with_clock<E: From<Elapsed>>(
        self,
    ) -> TryEach<It, F, P, O, ToError<E>, R, N, M, B> {
        TryEach {
            items: self.items,
            attempt: self.attempt,
            filter: self.filter,
            observer: self.observer,
            policy: self.policy,
            deadline: self.deadline,
            elapsed: elapsed_into::<E>,
            reuse: self.reuse,
            empty: self.empty,
            namer: self.namer,
            health: self.health,
            stream: self.stream,
        }
    }

    /// After `trip_after` consecutive failures that moved the chain on (default 3), an
    /// item is skipped for `cooldown`, then one call probes it; when every item is
    /// cooling down they are tried anyway. The state is `health`, the caller's
    /// [`Health`](crate::Health) (one per client, shared by its calls), or for a list
    /// from configuration a [`ListHealth`](crate::ListHealth) as long as the list;
    /// items are tracked by position, up to its count: an item past it is never
    /// tracked, so never skipped.
    pub fn cooldown<H: Breakers>(
        mut self,
        cooldown: Duration,
        health: H,
    ) -> TryEach<It, F, P, O, C, R, N, M, H>
    where
        Tokio: ClockEnabledFor<It>,
    {
        self.policy.cooldown = cooldown;
        TryEach {
            items: self.items,
            attempt: self.attempt,
            filter: self.filter,
            observer: self.observer,
            policy: self.policy,
            deadline: self.deadline,
            elapsed: self.elapsed,
            reuse: self.reuse,
            empty: self.empty,
            namer: self.namer,
            health,
            stream: self.stream,
        }
    }

    /// The consecutive failures that trip an item (with [`cooldown`](TryEach::cooldown)).
    pub fn trip_after(mut self, failures: u32) -> Self {
        self.policy.trip_after = failures;
        self
    }

    /// Tries each item up to `retries` more times, for errors the filter accepts and
    /// timeouts, pausing with exponential backoff and full jitter in between (a pause
    /// that would reach the deadline moves on to the next item at once instead). The
    /// closure is then called again with a clone of the item.
    pub fn retries(mut self, retries: u32) -> TryEach<It, F, P, O, C, Cloned, N, M, B>
    where
        It: Iterator,
        // A retry calls the closure again with a clone of the item.
        It::Item: Clone,
        Tokio: ClockEnabledFor<It>,
    {
        self.policy.retries = retries;
        TryEach {
            items: self.items,
            attempt: self.attempt,
            filter: self.filter,
            observer: self.observer,
            policy: self.policy,
            deadline: self.deadline,
            elapsed: self.elapsed,
            reuse: PhantomData,
            empty: self.empty,
            namer: self.namer,
            health: self.health,
            stream: self.stream,
        }
    }

    /// The pause before the first retry (default 100 ms), doubled before each next one.
    pub fn backoff(mut self, base: Duration) -> Self
    where
        Tokio: ClockEnabledFor<It>,
    {
        self.policy.backoff = base;
        self
    }

    /// Hedges: if the attempt in flight has not answered after `delay`, the next item
    /// starts alongside it; the first `Ok` wins and the other attempt is dropped; an
    /// error frees its place for the next item at once. At most two attempts are in
    /// flight (the "hedged request" of "The Tail at Scale"). Retries and a timeout apply
    /// to each attempt as without hedging.
    pub fn hedge(self, delay: Duration) -> TryEachHedged<It, F, P, O, C, R, N, M, B>
    where
        Tokio: ClockEnabledFor<It>,
    {
        TryEachHedged { chain: self, delay }
    }
}

fn elapsed_into<E: From<Elapsed>>(elapsed: Elapsed) -> E {
    E::from(elapsed)
}

impl<It, F, P, O, C, R, M, B> TryEach<It, F, P, O, C, R, NoItems, M, B> {
    /// Fails with `error()` when there are no items, and with the items' own error
    /// type otherwise: the chain's output is `Result<Served<T>, E>`, so `?` takes it
    /// into your error type. Not with [`all_failed`](TryEach::all_failed), in either
    /// order: its error is `TryEachError<AllFailed<E>>`, whose `NoItems` is the empty
    /// list's (after it, `when_empty` would drop the errors it collects).
    ///
    /// ```
    /// # extern crate fallback_core as fallbacks;
    /// # use fallbacks::try_each;
    /// #[derive(Debug, PartialEq)]
    /// enum LlmError { NoProviders, Down }
    ///
    /// async fn complete(providers: &[&str]) -> Result<String, LlmError> {
    ///     let served = try_each(providers, |_| async { Err::<String, _>(LlmError::Down) })
    ///         .when_empty(|| LlmError::NoProviders)
    ///         .await?;
    ///     Ok(served.into_value())
    /// }
    /// # futures::executor::block_on(async {
    /// assert_eq!(complete(&[]).await, Err(LlmError::NoProviders));
    /// assert_eq!(complete(&["openai"]).await, Err(LlmError::Down));
    /// # });
    /// ```
    pub fn when_empty<Fut, T, E, G>(
        self,
        error: G,
    ) -> TryEach<It, F, P, O, C, R, WhenEmpty<G>, M, B>
    where
        It: Iterator,
        F: FnMut(It::Item) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        G: FnOnce() -> E,
    {
        self.with_empty(|_| WhenEmpty(error))
    }
}

/// Without a time option: one attempt in flight, no timer.
impl<It, F, Fut, T, E, P, O, N, M, B> IntoFuture for TryEach<It, F, P, O, NoClock, Moved, N, M, B>
where
    It: Iterator,
    F: FnMut(It::Item) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    P: Judge<T, E>,
    O: Observer<E>,
    N: Empty<E>,
    M: Names<It::Item>,
    B: Breakers,
{
    type Output = Result<Served<T>, N::Error>;
    type IntoFuture = TryEachFuture<It, F, Fut, P, O, N, M, B>;

    fn into_future(self) -> Self::IntoFuture {
        TryEachFuture::new(self)
    }
}

/// With `timeout` or `deadline`.
impl<It, F, Fut, T, E, P, O, R, N, M, B> IntoFuture for TryEach<It, F, P, O, ToError<E>, R, N, M, B>
where
    It: Iterator,
    F: FnMut(It::Item) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    P: Judge<T, E>,
    O: Observer<E>,
    R: Reuse<It::Item>,
    N: Empty<E>,
    M: Names<It::Item>,
    B: Breakers,
{
    type Output = Result<Served<T>, N::Error>;
    type IntoFuture = TryEachTimedFuture<It, F, Fut, P, O, ToError<E>, R, N, M, B>;

    fn into_future(self) -> Self::IntoFuture {
        TryEachTimedFuture::new(self)
    }
}

/// With `retries` alone.
impl<It, F, Fut, T, E, P, O, N, M, B> IntoFuture for TryEach<It, F, P, O, NoClock, Cloned, N, M, B>
where
    It: Iterator,
    It::Item: Clone,
    F: FnMut(It::Item) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    P: Judge<T, E>,
    O: Observer<E>,
    N: Empty<E>,
    M: Names<It::Item>,
    B: Breakers,
{
    type Output = Result<Served<T>, N::Error>;
    type IntoFuture = TryEachTimedFuture<It, F, Fut, P, O, NoClock, Cloned, N, M, B>;

    fn into_future(self) -> Self::IntoFuture {
        TryEachTimedFuture::new(self)
    }
}
