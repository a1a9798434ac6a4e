//! The options that change what a [`TryEach`](super::TryEach) asks of an outcome: `on`, `retry_on`,
//! `retry_after`, `reject`, `catch_panic`, `display_errors`.

use std::future::Future;
use std::time::Duration;

use super::TryEach;
use crate::attempt::{Catching, Displaying, Judged, Refusing};
use crate::{Panicked, Rejected};

// Each method changes one parameter of the builder's type: the types say which.
#[allow(clippy::type_complexity)]
impl<It, F, P0, Q0, H0, Z0, X0, S0, O, C, R, N, M, B>
    TryEach<It, F, Judged<P0, Q0, H0, Z0, X0, S0>, O, C, R, N, M, B>
{
    /// Only errors `filter` accepts move on to the next item; any other is returned.
    pub fn on<Fut, T, E, P>(
        self,
        filter: P,
    ) -> TryEach<It, F, Judged<P, Q0, H0, Z0, X0, S0>, O, C, R, N, M, B>
    where
        It: Iterator,
        F: FnMut(It::Item) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        P: Fn(&E) -> bool,
    {
        self.judged(|judged| Judged {
            on: filter,
            retry_on: judged.retry_on,
            retry_after: judged.retry_after,
            reject: judged.reject,
            panics: judged.panics,
            shows: judged.shows,
        })
    }

    /// Only errors `filter` accepts are retried (with [`retries`](TryEach::retries));
    /// the others that move on go to the next item at once. Default: every error that
    /// moves on, and timeouts.
    pub fn retry_on<Fut, T, E, Q>(
        self,
        filter: Q,
    ) -> TryEach<It, F, Judged<P0, Q, H0, Z0, X0, S0>, O, C, R, N, M, B>
    where
        It: Iterator,
        F: FnMut(It::Item) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        Q: Fn(&E) -> bool,
    {
        self.judged(|judged| Judged {
            on: judged.on,
            retry_on: filter,
            retry_after: judged.retry_after,
            reject: judged.reject,
            panics: judged.panics,
            shows: judged.shows,
        })
    }

    /// The wait an error asks for before a retry (a `Retry-After` header): it replaces
    /// the backoff's pause; a wait past the deadline or over
    /// [`MAX_RETRY_AFTER`](crate::MAX_RETRY_AFTER) moves on to the next item at once.
    pub fn retry_after<Fut, T, E, H>(
        self,
        hint: H,
    ) -> TryEach<It, F, Judged<P0, Q0, H, Z0, X0, S0>, O, C, R, N, M, B>
    where
        It: Iterator,
        F: FnMut(It::Item) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        H: Fn(&E) -> Option<Duration>,
    {
        self.judged(|judged| Judged {
            on: judged.on,
            retry_on: judged.retry_on,
            retry_after: hint,
            reject: judged.reject,
            panics: judged.panics,
            shows: judged.shows,
        })
    }

    /// An `Ok` value `reject` accepts is a failure, `E::from(Rejected)`, filtered,
    /// retried and reported like an error (an empty reply, a refusal).
    pub fn reject<Fut, T, E, Z>(
        self,
        reject: Z,
    ) -> TryEach<It, F, Judged<P0, Q0, H0, Refusing<Z, E>, X0, S0>, O, C, R, N, M, B>
    where
        It: Iterator,
        F: FnMut(It::Item) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        Z: Fn(&T) -> bool,
        E: From<Rejected>,
    {
        self.judged(|judged| Judged {
            on: judged.on,
            retry_on: judged.retry_on,
            retry_after: judged.retry_after,
            reject: Refusing {
                reject,
                into: E::from,
            },
            panics: judged.panics,
            shows: judged.shows,
        })
    }

    /// A panic in an attempt is a failure that moves on, `E::from(Panicked)` with the
    /// panic's message; without it, a panic unwinds out of the chain.
    pub fn catch_panic<Fut, T, E>(
        self,
    ) -> TryEach<It, F, Judged<P0, Q0, H0, Z0, Catching<E>, S0>, O, C, R, N, M, B>
    where
        It: Iterator,
        F: FnMut(It::Item) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Panicked>,
    {
        self.judged(|judged| Judged {
            on: judged.on,
            retry_on: judged.retry_on,
            retry_after: judged.retry_after,
            reject: judged.reject,
            panics: Catching(E::from),
            shows: judged.shows,
        })
    }

    /// With the `tracing` feature, each failed attempt's event carries the error's text
    /// (`E: Display`), as the macros' do.
    pub fn display_errors<Fut, T, E>(
        self,
    ) -> TryEach<It, F, Judged<P0, Q0, H0, Z0, X0, Displaying>, O, C, R, N, M, B>
    where
        It: Iterator,
        F: FnMut(It::Item) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: std::fmt::Display,
    {
        self.judged(|judged| Judged {
            on: judged.on,
            retry_on: judged.retry_on,
            retry_after: judged.retry_after,
            reject: judged.reject,
            panics: judged.panics,
            shows: Displaying,
        })
    }

    pub(super) fn judged<J>(
        self,
        judged: impl FnOnce(Judged<P0, Q0, H0, Z0, X0, S0>) -> J,
    ) -> TryEach<It, F, J, O, C, R, N, M, B> {
        TryEach {
            items: self.items,
            attempt: self.attempt,
            filter: judged(self.filter),
            observer: self.observer,
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
}
