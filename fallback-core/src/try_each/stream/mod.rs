//! Stream chains over a run-time list (the `stream` feature): `try_each(items,
//! open).stream()`, where `open(item)` answers with a future of `Result<S, E>` ("open,
//! then read", as an HTTP client does) and `S` is a stream of `Result<T, E>`.
//!
//! - **Before the first item, a failure falls back**: an error while opening, an `Err`
//!   as the first item, or no first item within `first_item_timeout` (time to first
//!   token, from the attempt's start), or an opening slower than `timeout`. The filters,
//!   retries, `retry_after`, cooldown, `deadline` and `observe` apply as for futures:
//!   each failure is judged by the one attempt lifecycle (`Attempt::judge`).
//! - **After the first item the chain is committed** (`.stream()`): items pass through
//!   untouched, and a failure (an `Err` item, or no next item within `idle_timeout`: a
//!   stall) is yielded as an `Err` item that ends the stream. A cut stream is never
//!   presented as complete; two alternatives' output is never spliced.
//! - **Buffered** (`.stream_buffered()`): each alternative's stream is read to its end
//!   before anything is yielded, so a failure at any point falls back and the caller
//!   gets one alternative's complete output.
//! - **Restart** (`.stream_restart()`): items are yielded as they arrive, and a failure
//!   after the first item falls back too: the chain first yields [`Streamed::Discard`]
//!   ("discard what you got from alternative `index`: it failed with `error`"), then
//!   the next alternative's stream from its start.
//!
//! Dropping the chain drops the alternative's stream at once (its connection closes),
//! and starts nothing else. Nothing is allocated per item (buffered mode's buffer
//! aside).

use std::collections::VecDeque;
use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use futures_core::Stream;

mod committed;
mod poll;
mod restart;
mod settle;

pub use self::committed::TryEachStream;
pub use self::restart::{Streamed, TryEachRestartStream};

use super::chain::{Chain, LastError, Only};
use super::{Breakers, Empty, ToError, TryEach};
use crate::attempt::Fallible;
use crate::attempt::{Attempt, ChainName, Judged, Refusing, TryEachChain};
use crate::clock::{ClockEnabledFor, Delay, Tokio};
use crate::{Elapsed, Rejected};

/// What a poll of an alternative's stream gave.
type Polled<T, E> = Poll<Option<Result<T, E>>>;

/// How a stream chain treats a failure after the first item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Committed,
    Buffered,
    Restart,
}

#[cfg_attr(docsrs, doc(cfg(feature = "stream")))]
impl<It, F, P0, Q0, H0, Z0, X0, S0, O, C, R, N, M, B>
    TryEach<It, F, Judged<P0, Q0, H0, Z0, X0, S0>, O, C, R, N, M, B>
{
    /// For a stream chain: a stream that ends without any item is a failure,
    /// `E::from(Rejected)`, that falls back (an answer with no tokens). Without it, an
    /// empty stream serves (and ends the chain with nothing).
    #[allow(clippy::type_complexity)]
    pub fn empty_is_failure<Fut, S, T, E>(
        self,
    ) -> TryEach<It, F, Judged<P0, Q0, H0, Refusing<fn(&()) -> bool, E>, X0, S0>, O, C, R, N, M, B>
    where
        It: Iterator,
        F: FnMut(It::Item) -> Fut,
        Fut: Future<Output = Result<S, E>>,
        S: Stream<Item = Result<T, E>>,
        E: From<Rejected>,
    {
        fn always(_: &()) -> bool {
            true
        }
        self.judged(|judged| Judged {
            on: judged.on,
            retry_on: judged.retry_on,
            retry_after: judged.retry_after,
            reject: Refusing {
                reject: always as fn(&()) -> bool,
                into: E::from,
            },
            panics: judged.panics,
            shows: judged.shows,
        })
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "stream")))]
impl<It, F, P, O, C, R, N, M, B> TryEach<It, F, P, O, C, R, N, M, B> {
    /// For a stream chain: no first item within `limit` of an attempt's start (time to
    /// first token) is a failure that falls back, `E::from(Elapsed)`.
    pub fn first_item_timeout<Fut, S, T, E>(
        mut self,
        limit: Duration,
    ) -> TryEach<It, F, P, O, ToError<E>, R, N, M, B>
    where
        It: Iterator,
        F: FnMut(It::Item) -> Fut,
        Fut: Future<Output = Result<S, E>>,
        S: Stream<Item = Result<T, E>>,
        E: From<Elapsed>,
        Tokio: ClockEnabledFor<It>,
    {
        self.stream.first_item = Some(limit);
        self.with_clock()
    }

    /// For a stream chain: no next item within `limit` (a stall) is a failure,
    /// `E::from(Elapsed)`; after the first item it ends a committed stream.
    pub fn idle_timeout<Fut, S, T, E>(
        mut self,
        limit: Duration,
    ) -> TryEach<It, F, P, O, ToError<E>, R, N, M, B>
    where
        It: Iterator,
        F: FnMut(It::Item) -> Fut,
        Fut: Future<Output = Result<S, E>>,
        S: Stream<Item = Result<T, E>>,
        E: From<Elapsed>,
        Tokio: ClockEnabledFor<It>,
    {
        self.stream.idle = Some(limit);
        self.with_clock()
    }

    /// The chain as a stream, committed after the first item: before it a failure falls
    /// back, after it items pass through and a failure (an `Err` item, a stall past
    /// `idle_timeout`) is the last item, an `Err` (see [`TryEachStream`]).
    pub fn stream<Fut, S, T, E>(self) -> TryEachStream<It, F, Fut, S, T, P, O, C, R, N, M, B>
    where
        It: Iterator,
        F: FnMut(It::Item) -> Fut,
        Fut: Future<Output = Result<S, E>>,
        S: Stream<Item = Result<T, E>>,
        N: Empty<E>,
        B: Breakers,
    {
        TryEachStream::new(Engine::new(self, Mode::Committed))
    }

    /// The chain as a stream, all or nothing: each alternative is read to its end before
    /// anything is yielded, so a failure at any point falls back and the reader gets one
    /// alternative's complete output (held in a buffer; see [`TryEachStream`]).
    pub fn stream_buffered<Fut, S, T, E>(
        self,
    ) -> TryEachStream<It, F, Fut, S, T, P, O, C, R, N, M, B>
    where
        It: Iterator,
        F: FnMut(It::Item) -> Fut,
        Fut: Future<Output = Result<S, E>>,
        S: Stream<Item = Result<T, E>>,
        N: Empty<E>,
        B: Breakers,
    {
        TryEachStream::new(Engine::new(self, Mode::Buffered))
    }

    /// The chain as a stream that restarts on the next alternative after a cut,
    /// announcing it with [`Streamed::Discard`] ("discard what you showed of it"): items
    /// are yielded live, and a failure after the first one falls back too (see
    /// [`TryEachRestartStream`]).
    pub fn stream_restart<Fut, S, T, E>(
        self,
    ) -> TryEachRestartStream<It, F, Fut, S, T, P, O, C, R, N, M, B>
    where
        It: Iterator,
        F: FnMut(It::Item) -> Fut,
        Fut: Future<Output = Result<S, E>>,
        S: Stream<Item = Result<T, E>>,
        N: Empty<E>,
        B: Breakers,
    {
        TryEachRestartStream::new(Engine::new(self, Mode::Restart))
    }
}

pin_project_lite::pin_project! {
    #[project = StateProj]
    enum State<Fut, S, T> {
        // Between alternatives: the next one starts on the next poll.
        Idle,
        Opening {
            #[pin]
            open: Fut,
            // `timeout`: the limit of the opening.
            #[pin]
            limit: Option<Delay>,
        },
        // A stream read by the fast path: the chain watches nothing per item (no idle
        // timeout, deadline, buffer or `catch_panic`). `seen`: whether its first item
        // has come (a failure then no longer falls back, committed or restarting).
        Reading {
            #[pin]
            stream: S,
            seen: bool,
        },
        // A stream read by the slow path, every item watched.
        Watched {
            #[pin]
            stream: S,
            seen: bool,
        },
        // Before a retry of the same alternative (the chain's timer is the pause).
        Pausing,
        // Buffered mode: one alternative's whole output.
        Draining {
            items: VecDeque<T>,
        },
        // Ended: its answer complete (`served`), or failed.
        Done { served: bool },
    }
}

pin_project_lite::pin_project! {
    /// A stream chain's engine, what both stream types hold: the chain, the stream it
    /// reads and its timers (each type adds room for what a poll returns, its own
    /// kind of item).
    pub(super) struct Engine<It, F, Fut, S, T, P, O, C, R, N, M, B>
    where
        It: Iterator,
        Fut: Future,
        Fut::Output: Fallible,
    {
        chain: Chain<It, F, P, O, C, R, N, M, B>,
        // What the fast path's poll of the stream gave and left for the slow path to
        // settle (but an end, in `ended`): `None` except between `poll_fast` leaving it
        // and `poll_slow` taking it.
        polled: Option<Polled<T, <Fut::Output as Fallible>::Error>>,
        // Whether the fast path's poll saw the stream end: `false` except between
        // `poll_fast` setting it and `poll_slow` taking it, and never set with `polled`.
        // A flag of its own, not `Some(Ready(None))` in `polled`: with one store for the
        // end and the rest (an error, a first item, no first item yet), the compiler
        // set up the stored tag before each of the fast path's tests, on every item (4
        // instructions per item over an out-of-line stream, 2 over an inline one that
        // may fail).
        ended: bool,
        mode: Mode,
        // Committed or restarting, with no idle timeout nor deadline: streams are read
        // by the fast path (`State::Reading`), unless panics are caught.
        unwatched: bool,
        first_item: Option<Duration>,
        idle: Option<Duration>,
        // The chain's name is a field: the macros' stream chains name theirs.
        attempt: Attempt,
        // The item being tried, for a retry.
        item: Option<It::Item>,
        last_error: Option<LastError<Only<<Fut::Output as Fallible>::Error>>>,
        buffer: Vec<T>,
        #[pin]
        state: State<Fut, S, T>,
        // The time to the first item, then between items; or a retry's pause.
        #[pin]
        timer: Option<Delay>,
        #[pin]
        deadline: Option<Delay>,
    }
}

impl<It, F, Fut, S, T, P, O, C, R, N, M, B> Engine<It, F, Fut, S, T, P, O, C, R, N, M, B>
where
    It: Iterator,
    Fut: Future,
    Fut::Output: Fallible,
{
    fn new(chain: TryEach<It, F, P, O, C, R, N, M, B>, mode: Mode) -> Self
    where
        B: Breakers,
    {
        let (first_item, idle) = (chain.stream.first_item, chain.stream.idle);
        let unwatched = mode != Mode::Buffered && idle.is_none() && chain.deadline.is_none();
        Engine {
            chain: Chain::new(chain),
            polled: None,
            ended: false,
            mode,
            unwatched,
            first_item,
            idle,
            attempt: Attempt::new(TryEachChain.name(), "item", 0),
            item: None,
            last_error: None,
            buffer: Vec::new(),
            state: State::Idle,
            timer: None,
            deadline: None,
        }
    }

    /// The chain named `chain` in its events and traces.
    pub(super) fn named(mut self, chain: &'static str) -> Self {
        self.attempt = Attempt::new(chain, "item", 0);
        self
    }

    /// See [`TryEachStream::streaming`].
    pub(super) fn streaming(&self) -> Option<&'static str> {
        (!matches!(self.state, State::Idle | State::Done { .. }))
            .then(|| self.attempt.alternative())
    }

    /// See [`TryEachStream::served`].
    pub(super) fn served(&self) -> Option<(usize, &'static str)> {
        matches!(self.state, State::Done { served: true })
            .then(|| (self.attempt.index(), self.attempt.alternative()))
    }

    /// Whether the stream has yielded its error or its end.
    pub(super) fn is_done(&self) -> bool {
        matches!(self.state, State::Done { .. })
    }
}
