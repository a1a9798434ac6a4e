//! The committed (and buffered) stream chain, `TryEachStream`: its `poll_next`, the
//! fast path and one call of the slow path.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::stream::FusedStream;
use futures_core::Stream;

use super::poll::{Event, Fast};
use super::Engine;
use crate::attempt::{Fallible, Judge, Observer};
#[cfg(doc)]
use crate::try_each::TryEach;
use crate::try_each::{Breakers, ElapsedInto, Empty, Names, Reuse};

pin_project_lite::pin_project! {
    /// A stream chain: a `Stream` of `Result<T, X>`, `X` the chain's error
    /// (`TryEachError<E>`, `E` with `when_empty`, `TryEachError<AllFailed<E>>` with
    /// `all_failed`). Made by [`TryEach::stream`] or [`TryEach::stream_buffered`] over a
    /// run-time list, and what `fallback_chain!(.., stream)` is.
    ///
    /// - Before the first item, a failure falls back: an error while opening, an `Err`
    ///   first item, no first item within `first_item_timeout` (from the attempt's
    ///   start), an opening slower than `timeout`, an empty stream with
    ///   `empty_is_failure`. Filters, retries, `retry_after`, cooldown, `deadline` and
    ///   `observe` apply as for futures.
    /// - Committed (`stream()`): after the first item, items pass through untouched; a
    ///   failure (an `Err` item, or no next item within `idle_timeout`) is yielded as an
    ///   `Err` and ends the stream. A cut answer is never presented as complete, and two
    ///   alternatives' output is never spliced.
    /// - Buffered (`stream_buffered()`): only a complete answer is yielded.
    ///
    /// Dropping it drops the alternative's stream at once, and starts nothing else.
    /// Nothing is allocated per item (buffered mode's buffer aside). Which alternative
    /// answers: [`streaming`](Self::streaming), then [`served`](Self::served).
    #[must_use = "a stream chain does nothing until it is polled"]
    pub struct TryEachStream<It, F, Fut, S, T, P, O, C, R, N, M, B>
    where
        It: Iterator,
        Fut: Future,
        Fut::Output: Fallible,
        N: Empty<<Fut::Output as Fallible>::Error>,
    {
        #[pin]
        engine: Engine<It, F, Fut, S, T, P, O, C, R, N, M, B>,
        // What the slow path came to, for `poll_next` to return: through a field, not
        // a return value (see `poll_next`). `Pending` at rest: written by `next_slow`,
        // taken at once by `poll_next`.
        out: Out<T, ChainError<Fut, N>>,
    }
}

impl<It, F, Fut, S, T, P, O, C, R, N, M, B> TryEachStream<It, F, Fut, S, T, P, O, C, R, N, M, B>
where
    It: Iterator,
    Fut: Future,
    Fut::Output: Fallible,
    N: Empty<<Fut::Output as Fallible>::Error>,
{
    pub(super) fn new(engine: Engine<It, F, Fut, S, T, P, O, C, R, N, M, B>) -> Self {
        TryEachStream {
            engine,
            out: Poll::Pending,
        }
    }

    /// For the macros' stream chains: the chain's name in its events and traces (the
    /// function's path, or where `fallback_chain!` is), in place of `"try_each"`.
    #[doc(hidden)]
    pub fn __named(self, chain: &'static str) -> Self {
        TryEachStream::new(self.engine.named(chain))
    }

    /// The name of the alternative streaming now (the last one started, opening or
    /// read), if any: `None` before the first starts, between two alternatives (after
    /// a failure, until the next poll starts the next one), and once the stream has
    /// ended (see [`served`](Self::served)).
    pub fn streaming(&self) -> Option<&'static str> {
        self.engine.streaming()
    }

    /// Once the stream has ended with a complete answer: the position in the list of the
    /// alternative that gave it, and its name (`"item"` unless [`name`](TryEach::name)
    /// names the items), as [`Served`](crate::Served) says for a future. `None` before
    /// the end, and after an end with an error (a cut, or every alternative failed).
    pub fn served(&self) -> Option<(usize, &'static str)> {
        self.engine.served()
    }
}

impl<It, F, Fut, S, T, E, P, O, C, R, N, M, B> Stream
    for TryEachStream<It, F, Fut, S, T, P, O, C, R, N, M, B>
where
    It: Iterator,
    F: FnMut(It::Item) -> Fut,
    Fut: Future<Output = Result<S, E>>,
    S: Stream<Item = Result<T, E>>,
    P: Judge<(), E>,
    O: Observer<E>,
    C: ElapsedInto<E>,
    R: Reuse<It::Item>,
    N: Empty<E>,
    M: Names<It::Item>,
    B: Breakers,
{
    type Item = Result<T, N::Error>;

    // The fast path, then (past it) one call of the slow path, which leaves what it
    // came to in `out`. Two measured reasons for this shape (the README's Performance
    // section has the numbers):
    //
    // - Small enough to be inlined into a reader's `next()` in another codegen unit
    //   (ThinLTO imports it, and its cost is under LLVM's inlining threshold). Built
    //   here from the slow path's parts, it was not: with `when_empty`, 45 instructions
    //   per whole item in 16 units (22 in one), 22 this way in both.
    // - Returned from the call, the slow path's result would share its memory with the
    //   fast path's item, which the reader then copies as one block of bytes, across
    //   the fast path's store of its value: a stall the processor cannot forward, 12 µs
    //   per 1000 whole items (2 µs now). Taken from a field, the slow path's result is
    //   not merged with the fast path's item in memory, which stays in registers.
    //
    // What the fast path polled and leaves to the slow path goes the same way, through
    // fields: `Engine::polled`, and `Engine::ended` for an end. As an argument, the
    // polled value's tag was set up on every item (2 instructions); in one field with
    // the end, the stored tag was (4 over an out-of-line stream, 2 over an inline one).
    #[inline]
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self;
        match this.as_mut().project().engine.poll_fast(cx) {
            Fast::Item(item) => return Poll::Ready(Some(Ok(item))),
            Fast::Pending => return Poll::Pending,
            Fast::Slow => {}
        };
        this.as_mut().next_slow(cx);
        taken(this.project().out)
    }
}

impl<It, F, Fut, S, T, E, P, O, C, R, N, M, B> TryEachStream<It, F, Fut, S, T, P, O, C, R, N, M, B>
where
    It: Iterator,
    F: FnMut(It::Item) -> Fut,
    Fut: Future<Output = Result<S, E>>,
    S: Stream<Item = Result<T, E>>,
    P: Judge<(), E>,
    O: Observer<E>,
    C: ElapsedInto<E>,
    R: Reuse<It::Item>,
    N: Empty<E>,
    M: Names<It::Item>,
    B: Breakers,
{
    /// `poll_next` past the fast path, kept out of line so that the fast path stays
    /// small: its result left in `out`.
    #[inline(never)]
    fn next_slow(self: Pin<&mut Self>, cx: &mut Context<'_>) {
        let mut this = self.project();
        *this.out = loop {
            break match this.engine.as_mut().poll_slow(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Event::Item(item)) => Poll::Ready(Some(Ok(item))),
                Poll::Ready(Event::Failed(error)) => Poll::Ready(Some(Err(error))),
                Poll::Ready(Event::End) => Poll::Ready(None),
                // Only a restart-mode chain announces discards (`restart_slow` reads them).
                Poll::Ready(Event::Discard { .. }) => continue,
            };
        };
    }
}

/// Once it has yielded its error or its end (`None`), a stream chain says so, for
/// `select!` and the like; polled again it yields `None`.
impl<It, F, Fut, S, T, E, P, O, C, R, N, M, B> FusedStream
    for TryEachStream<It, F, Fut, S, T, P, O, C, R, N, M, B>
where
    It: Iterator,
    F: FnMut(It::Item) -> Fut,
    Fut: Future<Output = Result<S, E>>,
    S: Stream<Item = Result<T, E>>,
    P: Judge<(), E>,
    O: Observer<E>,
    C: ElapsedInto<E>,
    R: Reuse<It::Item>,
    N: Empty<E>,
    M: Names<It::Item>,
    B: Breakers,
{
    fn is_terminated(&self) -> bool {
        self.engine.is_done()
    }
}

/// What a stream chain's poll returns, with items `Result<T, X>`, as its slow path
/// leaves it in `out` (`Pending` once taken).
pub(super) type Out<T, X> = Poll<Option<Result<T, X>>>;

/// The error type of a stream chain whose alternatives open with `Fut`.
pub(super) type ChainError<Fut, N> =
    <N as Empty<<<Fut as Future>::Output as Fallible>::Error>>::Error;

/// The slow path's result, taken from `out` where it left it.
#[inline]
pub(super) fn taken<T, X>(out: &mut Out<T, X>) -> Out<T, X> {
    std::mem::replace(out, Poll::Pending)
}
