//! `all_failed`: a chain that fails with every error, collected as an
//! [`AllFailed`](crate::AllFailed) through its [`Empty`] part.

use std::future::Future;

#[cfg(doc)]
use super::TryEachError;
use super::{Empty, TryEach, WhenEmpty};

/// Every error of the chain, in the items' order, as an [`AllFailed`](crate::AllFailed)
/// (`try_each(..).all_failed()`): what the chain then fails with is `I`'s error made
/// from the `AllFailed` ([`TryEachError`] by default).
#[derive(Debug, Clone)]
pub struct Collect<E, I> {
    failures: Vec<crate::Failure<E>>,
    /// Items whose errors a restarting stream's discard markers announced (not listed).
    announced: usize,
    /// Where the chain's last error came from, when the chain keeps only the error.
    kept_at: (usize, &'static str),
    inner: I,
}

impl<E, I> Collect<E, I> {
    fn new(inner: I) -> Self {
        Collect {
            failures: Vec::new(),
            announced: 0,
            kept_at: (0, "item"),
            inner,
        }
    }
}

impl<E, I: Empty<crate::AllFailed<E>>> Empty<E> for Collect<E, I> {
    type Error = I::Error;
    const COLLECTS: bool = true;

    fn empty(self) -> I::Error {
        self.inner.empty()
    }

    fn failed(error: E, index: usize, alternative: &'static str) -> I::Error {
        let failure = crate::Failure::new(alternative, index, error);
        I::failed(
            crate::AllFailed::new(failure, index + 1),
            index,
            alternative,
        )
    }

    fn announce(
        &mut self,
        error: E,
        index: usize,
        alternative: &'static str,
        alternatives: usize,
    ) -> I::Error {
        // The item's tries before this one, set aside, go with it.
        let (mut failures, others) = std::mem::take(&mut self.failures)
            .into_iter()
            .partition::<Vec<_>, _>(|failure| failure.index() == index);
        self.failures = others;
        failures.push(crate::Failure::new(alternative, index, error));
        self.announced += 1;
        let all = crate::AllFailed::from_parts(failures, alternatives.max(index + 1)).restarting();
        I::failed(all, index, alternative)
    }

    fn keep_at(&mut self, index: usize, alternative: &'static str) {
        self.kept_at = (index, alternative);
    }

    fn kept_at(&self) -> (usize, &'static str) {
        self.kept_at
    }

    fn set_aside(&mut self, alternative: &'static str, index: usize, error: E) {
        self.failures
            .push(crate::Failure::new(alternative, index, error));
    }

    fn finish(
        mut self,
        error: E,
        index: usize,
        alternative: &'static str,
        alternatives: usize,
    ) -> I::Error {
        self.failures
            .push(crate::Failure::new(alternative, index, error));
        // An item's tries come one after the other, and the items in order: an item's
        // last error was set aside only when the next item's failed, so put it back in
        // its place (a stable sort keeps each item's tries in order).
        self.failures.sort_by_key(crate::Failure::index);
        // At least the items tried up to the last error (the list's length is known when
        // its iterator says so).
        let all = crate::AllFailed::from_parts(self.failures, alternatives.max(index + 1))
            .with_announced(self.announced);
        I::failed(all, index, alternative)
    }
}

/// Every error collected, the chain's error the `AllFailed` itself (`G` for an empty
/// list): what the macros' stream chains with `AllFailed` use.
#[doc(hidden)]
pub type CollectOr<E, G> = Collect<E, WhenEmpty<G>>;

impl<It, F, P, O, C, R, N, M, B> TryEach<It, F, P, O, C, R, N, M, B> {
    /// Fails with every error, in the items' order, as an [`AllFailed`](crate::AllFailed)
    /// (each tagged with its item's name and position, retried tries included): the
    /// chain's error is `TryEachError<AllFailed<E>>`. For futures and streams alike; in
    /// a restarting stream, the error a discard marker announces is the marker's.
    /// (Not with [`when_empty`](TryEach::when_empty), whose error is `E`.)
    ///
    /// ```
    /// # extern crate fallback_core as fallbacks;
    /// # use fallbacks::{try_each, TryEachError};
    /// # futures::executor::block_on(async {
    /// let providers = ["openai", "anthropic"];
    /// let error = try_each(&providers, |name| async move { Err::<String, _>(format!("{name} down")) })
    ///     .name(|name| name)
    ///     .all_failed()
    ///     .await
    ///     .unwrap_err();
    /// let TryEachError::Failed { error: all, .. } = error else { unreachable!() };
    /// assert_eq!(all.to_string(), "all 2 alternatives failed: [0] openai: openai down; [1] anthropic: anthropic down");
    /// # });
    /// ```
    pub fn all_failed<Fut, T, E>(self) -> TryEach<It, F, P, O, C, R, Collect<E, N>, M, B>
    where
        It: Iterator,
        F: FnMut(It::Item) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        N: Empty<crate::AllFailed<E>>,
    {
        self.with_empty(Collect::new)
    }

    /// [`all_failed`](TryEach::all_failed) with the chain's error the `AllFailed`
    /// itself, and `empty()` for an empty list: for the stream chains the macros write.
    #[doc(hidden)]
    pub fn __all_failed_when_empty<Fut, T, E, G>(
        self,
        empty: G,
    ) -> TryEach<It, F, P, O, C, R, CollectOr<E, G>, M, B>
    where
        It: Iterator,
        F: FnMut(It::Item) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        G: FnOnce() -> crate::AllFailed<E>,
    {
        self.with_empty(|_| Collect::new(WhenEmpty(empty)))
    }
}
