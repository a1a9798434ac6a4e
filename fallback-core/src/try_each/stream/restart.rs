//! Restart mode (`.stream_restart()`): a failure after the first item falls back too,
//! after a [`Streamed::Discard`] marker that tells the reader to drop what it showed.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::stream::FusedStream;
use futures_core::Stream;

use super::committed::{taken, ChainError, Out};
use super::poll::{Event, Fast};
use super::Engine;
#[cfg(doc)]
use super::TryEachStream;
use crate::attempt::{Fallible, Judge, Observer};
#[cfg(doc)]
use crate::try_each::TryEach;
use crate::try_each::{Breakers, ElapsedInto, Empty, Names, Reuse};

/// What a restart-mode stream chain yields: an item, or the word that the items of
/// the alternative at `index` so far are to be discarded, because it failed with
/// `error` after its first item; the next alternative's items follow, from their start.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(docsrs, doc(cfg(feature = "stream")))]
pub enum Streamed<T, X> {
    // `Discard` first: with `Item` second, a reader's test for an item's value is
    // threaded through the chain's fast path (16 instructions per item, against 24 with
    // `Item` first; the README's Performance section).
    /// Discard the items received since the last `Discard` (or the start).
    Discard {
        /// The alternative that failed.
        alternative: &'static str,
        /// Its position.
        index: usize,
        /// Why.
        error: X,
    },
    /// An item of the alternative streaming now.
    Item(T),
}

pin_project_lite::pin_project! {
    /// A restart-mode stream chain ([`TryEach::stream_restart`], or
    /// `fallback_chain!(.., stream = "restart")`): a `Stream` of `Result<Streamed<T, X>,
    /// X>`. Items are yielded live as [`Streamed::Item`]; a failure after the first
    /// item yields [`Streamed::Discard`] (the reader drops what it showed of that
    /// alternative) and the next alternative's stream from its start. Before the first
    /// item, and for the last alternative, as [`TryEachStream`].
    #[must_use = "a stream chain does nothing until it is polled"]
    pub struct TryEachRestartStream<It, F, Fut, S, T, P, O, C, R, N, M, B>
    where
        It: Iterator,
        Fut: Future,
        Fut::Output: Fallible,
        N: Empty<<Fut::Output as Fallible>::Error>,
    {
        #[pin]
        engine: Engine<It, F, Fut, S, T, P, O, C, R, N, M, B>,
        // What the slow path came to, as `TryEachStream`'s `out`.
        out: Out<Streamed<T, ChainError<Fut, N>>, ChainError<Fut, N>>,
    }
}

impl<It, F, Fut, S, T, E, P, O, C, R, N, M, B> Stream
    for TryEachRestartStream<It, F, Fut, S, T, P, O, C, R, N, M, B>
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
    type Item = Result<Streamed<T, N::Error>, N::Error>;

    #[inline]
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self;
        // As `TryEachStream`'s: the fast path, then one call of the slow path, whose
        // result comes back in `out`.
        match this.as_mut().project().engine.poll_fast(cx) {
            Fast::Item(item) => return Poll::Ready(Some(Ok(Streamed::Item(item)))),
            Fast::Pending => return Poll::Pending,
            Fast::Slow => {}
        };
        this.as_mut().restart_slow(cx);
        taken(this.project().out)
    }
}

impl<It, F, Fut, S, T, E, P, O, C, R, N, M, B>
    TryEachRestartStream<It, F, Fut, S, T, P, O, C, R, N, M, B>
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
    /// `TryEachStream`'s `next_slow` for a restarting chain: its items and discard
    /// markers as [`Streamed`] items, left in `out`.
    #[inline(never)]
    fn restart_slow(self: Pin<&mut Self>, cx: &mut Context<'_>) {
        let this = self.project();
        let event = this.engine.poll_slow(cx);
        *this.out = event.map(|event| match event {
            Event::Item(item) => Some(Ok(Streamed::Item(item))),
            Event::Discard {
                alternative,
                index,
                error,
            } => Some(Ok(Streamed::Discard {
                alternative,
                index,
                error,
            })),
            Event::Failed(error) => Some(Err(error)),
            Event::End => None,
        });
    }
}

impl<It, F, Fut, S, T, P, O, C, R, N, M, B>
    TryEachRestartStream<It, F, Fut, S, T, P, O, C, R, N, M, B>
where
    It: Iterator,
    Fut: Future,
    Fut::Output: Fallible,
    N: Empty<<Fut::Output as Fallible>::Error>,
{
    pub(super) fn new(engine: Engine<It, F, Fut, S, T, P, O, C, R, N, M, B>) -> Self {
        TryEachRestartStream {
            engine,
            out: Poll::Pending,
        }
    }

    /// The name of the alternative streaming now (the last one started, opening or
    /// read), if any: `None` before the first starts, between two alternatives (after
    /// a failure, until the next poll starts the next one), and once the stream has
    /// ended (see [`served`](Self::served)).
    pub fn streaming(&self) -> Option<&'static str> {
        self.engine.streaming()
    }

    /// See [`TryEachStream::__named`].
    #[doc(hidden)]
    pub fn __named(self, chain: &'static str) -> Self {
        TryEachRestartStream::new(self.engine.named(chain))
    }

    /// Once the stream has ended with a complete answer: the position and the name of
    /// the alternative that gave it (the one whose items came after the last discard
    /// marker). `None` before the end, and after an end with an error.
    pub fn served(&self) -> Option<(usize, &'static str)> {
        self.engine.served()
    }
}

/// See [`TryEachStream`]'s.
impl<It, F, Fut, S, T, E, P, O, C, R, N, M, B> FusedStream
    for TryEachRestartStream<It, F, Fut, S, T, P, O, C, R, N, M, B>
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
