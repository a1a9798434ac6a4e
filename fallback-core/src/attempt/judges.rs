//! What a chain asks of an error (does it move on, is it retried, how long to wait)
//! and who hears about each attempt.

use std::time::Duration;

use crate::{Event, Panicked, Rejected};

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

/// What a `try_each` chain asks of an attempt's outcome: does an error move on (`on`),
/// is it retried (`retry_on`), how long did the service ask to wait (`retry_after`), is
/// an `Ok` refused (`reject`), is a panic a failure (`catch_panic`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Judged<P = AnyError, Q = AnyError, H = NoHint, Z = Accept, X = Propagate, S = Quiet> {
    /// `on`.
    pub on: P,
    /// `retry_on`.
    pub retry_on: Q,
    /// `retry_after`.
    pub retry_after: H,
    /// `reject`.
    pub reject: Z,
    /// `catch_panic`.
    pub panics: X,
    /// Whether traces show an error's text (`display_errors`).
    pub shows: S,
}

/// [`Judged`], for outcomes `Result<T, E>`.
pub trait Judge<T, E> {
    /// `on`.
    type On: Filter<E>;
    /// `retry_on`.
    type RetryOn: Filter<E>;
    /// `retry_after`.
    type Hint: RetryAfter<E>;
    /// Whether panics are caught (`catch_panic`).
    const CATCHES: bool;
    /// The three questions about an error.
    fn parts(&self) -> (&Self::On, &Self::RetryOn, &Self::Hint);
    /// The error an `Ok` value becomes when `reject` refuses it.
    fn refuse(&self, value: &T) -> Option<E>;
    /// The error a caught panic becomes (`None`: panics are not caught).
    fn panicked(&self, panicked: Panicked) -> Option<E>;
    /// An error's text for its trace, if shown.
    fn show<'e>(&self, error: &'e E) -> Option<&'e dyn std::fmt::Display>;
}

impl<T, E, P, Q, H, Z, X, S> Judge<T, E> for Judged<P, Q, H, Z, X, S>
where
    P: Filter<E>,
    Q: Filter<E>,
    H: RetryAfter<E>,
    Z: Refuse<T, E>,
    X: Panics<E>,
    S: Shows<E>,
{
    type On = P;
    type RetryOn = Q;
    type Hint = H;
    const CATCHES: bool = X::CATCHES;

    #[inline(always)]
    fn parts(&self) -> (&P, &Q, &H) {
        (&self.on, &self.retry_on, &self.retry_after)
    }

    #[inline(always)]
    fn refuse(&self, value: &T) -> Option<E> {
        self.reject.refuse(value)
    }

    #[inline]
    fn panicked(&self, panicked: Panicked) -> Option<E> {
        self.panics.panicked(panicked)
    }

    #[inline(always)]
    fn show<'e>(&self, error: &'e E) -> Option<&'e dyn std::fmt::Display> {
        self.shows.show(error)
    }
}

/// Whether a trace shows an error's text.
pub trait Shows<E> {
    /// The text, if shown.
    fn show<'e>(&self, error: &'e E) -> Option<&'e dyn std::fmt::Display>;
}

/// The default for `try_each`, whose error type is generic: no text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl<E> Shows<E> for Quiet {
    #[inline(always)]
    fn show<'e>(&self, _: &'e E) -> Option<&'e dyn std::fmt::Display> {
        None
    }
}

/// `display_errors`: the error's `Display`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Displaying;

impl<E: std::fmt::Display> Shows<E> for Displaying {
    #[inline(always)]
    fn show<'e>(&self, error: &'e E) -> Option<&'e dyn std::fmt::Display> {
        Some(error)
    }
}

/// Whether an `Ok` value is refused (`reject = ..`), and as what error.
pub trait Refuse<T, E> {
    /// The error `value` becomes, if refused.
    fn refuse(&self, value: &T) -> Option<E>;
}

/// The default: every `Ok` serves.
#[derive(Debug, Clone, Copy, Default)]
pub struct Accept;

impl<T, E> Refuse<T, E> for Accept {
    #[inline(always)]
    fn refuse(&self, _: &T) -> Option<E> {
        None
    }
}

/// `reject = pred`: a value `pred` accepts becomes `E::from(Rejected)`.
#[derive(Debug, Clone, Copy)]
pub struct Refusing<Z, E> {
    /// The predicate.
    pub reject: Z,
    /// `E::from`.
    pub into: fn(Rejected) -> E,
}

impl<T, E, Z: Fn(&T) -> bool> Refuse<T, E> for Refusing<Z, E> {
    #[inline]
    fn refuse(&self, value: &T) -> Option<E> {
        (self.reject)(value).then(|| (self.into)(Rejected))
    }
}

/// What a panic in an attempt is (`catch_panic`).
pub trait Panics<E> {
    /// Whether panics are caught at all.
    const CATCHES: bool;
    /// The error a caught panic becomes.
    fn panicked(&self, panicked: Panicked) -> Option<E>;
}

/// The default: a panic unwinds out of the chain.
#[derive(Debug, Clone, Copy, Default)]
pub struct Propagate;

impl<E> Panics<E> for Propagate {
    const CATCHES: bool = false;

    fn panicked(&self, _: Panicked) -> Option<E> {
        None
    }
}

/// `catch_panic`: a panic is `E::from(Panicked)`, a failure that moves on.
#[derive(Debug, Clone, Copy)]
pub struct Catching<E>(pub fn(Panicked) -> E);

impl<E> Panics<E> for Catching<E> {
    const CATCHES: bool = true;

    fn panicked(&self, panicked: Panicked) -> Option<E> {
        Some((self.0)(panicked))
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
