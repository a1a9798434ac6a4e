//! What a chain asks of an error (does it move on, is it retried, how long to wait)
//! and who hears about each attempt.

use std::time::Duration;

use crate::Event;

/// Which errors move on to the next alternative.
pub trait Filter<E> {
    /// Whether `error` moves on.
    fn accepts(&self, error: &E) -> bool;
}

/// The default filter: every error moves on.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyError;

impl<E> Filter<E> for AnyError {
    #[inline(always)]
    fn accepts(&self, _: &E) -> bool {
        true
    }
}

impl<E, P: Fn(&E) -> bool> Filter<E> for P {
    #[inline(always)]
    fn accepts(&self, error: &E) -> bool {
        self(error)
    }
}

/// The longest wait a failed service may ask for (`retry_after = ..`) and still be
/// retried: a longer one moves on to the next alternative at once, as does one past
/// the chain's deadline.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// How long the service that failed with an error asked to wait before a retry (a
/// `Retry-After` header): `retry_after = hint`.
pub trait RetryAfter<E> {
    /// The wait, if the error says.
    fn wait(&self, error: &E) -> Option<Duration>;
}

/// The default: no error says how long to wait; retries back off.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHint;

impl<E> RetryAfter<E> for NoHint {
    #[inline(always)]
    fn wait(&self, _: &E) -> Option<Duration> {
        None
    }
}

impl<E, H: Fn(&E) -> Option<Duration>> RetryAfter<E> for H {
    #[inline(always)]
    fn wait(&self, error: &E) -> Option<Duration> {
        self(error)
    }
}

/// The three questions a chain asks of an error, for `try_each`: does it move on
/// (`on`), is it retried (`retry_on`), how long did the service ask to wait
/// (`retry_after`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Judged<P = AnyError, Q = AnyError, H = NoHint> {
    /// `on`.
    pub on: P,
    /// `retry_on`.
    pub retry_on: Q,
    /// `retry_after`.
    pub retry_after: H,
}

/// [`Judged`], for errors of type `E`.
pub trait Judge<E> {
    /// `on`.
    type On: Filter<E>;
    /// `retry_on`.
    type RetryOn: Filter<E>;
    /// `retry_after`.
    type Hint: RetryAfter<E>;
    /// The three.
    fn parts(&self) -> (&Self::On, &Self::RetryOn, &Self::Hint);
}

impl<E, P: Filter<E>, Q: Filter<E>, H: RetryAfter<E>> Judge<E> for Judged<P, Q, H> {
    type On = P;
    type RetryOn = Q;
    type Hint = H;

    #[inline(always)]
    fn parts(&self) -> (&P, &Q, &H) {
        (&self.on, &self.retry_on, &self.retry_after)
    }
}

/// What hears about each attempt: `observe = hook`.
pub trait Observer<E> {
    /// Whether it wants events at all (when not, the clock is not even read).
    const ACTIVE: bool = true;

    /// Called with each attempt's start, success, failure and skip.
    fn observe(&self, event: &Event<'_, E>);
}

/// The default observer: none.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl<E> Observer<E> for Silent {
    const ACTIVE: bool = false;

    #[inline(always)]
    fn observe(&self, _: &Event<'_, E>) {}
}

/// No observer, for a chain whose error type is `E`: [`Silent`] with the type fixed,
/// so that the type of a chain's events is never left open.
pub struct Unobserved<E>(std::marker::PhantomData<fn(&E)>);

impl<E> Unobserved<E> {
    /// The observer that hears nothing.
    #[inline(always)]
    pub fn new() -> Self {
        Unobserved(std::marker::PhantomData)
    }
}

impl<E> Default for Unobserved<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Observer<E> for Unobserved<E> {
    const ACTIVE: bool = false;

    #[inline(always)]
    fn observe(&self, _: &Event<'_, E>) {}
}

impl<E, O: Fn(&Event<'_, E>)> Observer<E> for O {
    #[inline(always)]
    fn observe(&self, event: &Event<'_, E>) {
        self(event)
    }
}
