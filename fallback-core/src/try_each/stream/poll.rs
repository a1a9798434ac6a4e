//! The poll loop of a stream chain: start a try, read it, and settle it by the one
//! attempt lifecycle (`Attempt::judge`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;

use super::settle::{After, Ended_};
use super::{Engine, Mode, State, StateProj};
use crate::attempt::{Judge, Observer, Tried};
use crate::clock::{delay, Delay};
use crate::trace::Trace;
use crate::try_each::{Breakers, ElapsedInto, Empty, Names, Reuse};
use crate::{Elapsed, EventKind};

/// What the chain does next, for one of the two stream types to yield.
pub(super) enum Event<T, X> {
    Item(T),
    Discard {
        alternative: &'static str,
        index: usize,
        error: X,
    },
    Failed(X),
    End,
}

/// What the fast path came to.
pub(super) enum Fast<T> {
    Item(T),
    Pending,
    /// The slow path's turn: no stream the fast path reads, or what the stream's poll
    /// gave is left for it (its end in `ended`, the rest in `polled`): its end, a
    /// failure, and (when something watches for it) the first item, or no first item
    /// yet.
    Slow,
}

/// One step of the loop: start a try, judge one that ended, or yield.
enum Next<T, E, X> {
    Launch,
    Ended(Tried<(), E>, bool),
    Yield(Event<T, X>),
}

impl<It, F, Fut, S, T, E, P, O, C, R, N, M, B> Engine<It, F, Fut, S, T, P, O, C, R, N, M, B>
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
    /// Whether nothing is told of a stream's first item (no observer, no `tracing`):
    /// the fast path then reads it too (when it was not ready at the opening, which
    /// the slow path polls once), and only marks it seen.
    const QUIET: bool = !O::ACTIVE && !Trace::ON;

    /// The common case, in a small function: the next item of a stream the chain
    /// watches nothing of per item, read as the raw stream is.
    #[inline]
    pub(super) fn poll_fast(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Fast<T> {
        let this = self.project();
        // One check, the state's; a chain that is told of the first item checks
        // `seen` as well.
        let StateProj::Reading { stream, seen } = this.state.project() else {
            return Fast::Slow;
        };
        match stream.poll_next(cx) {
            Poll::Ready(Some(Ok(item))) if Self::QUIET => {
                *seen = true;
                Fast::Item(item)
            }
            Poll::Ready(Some(Ok(item))) if *seen => Fast::Item(item),
            Poll::Pending if *seen => {
                // A quiet first item left the first item's timer set: past it, the
                // chain has no timer (nothing to watch), and none is to wake it.
                if this.timer.is_some() {
                    disarm(this.timer);
                }
                Fast::Pending
            }
            // Left apart from the rest (see `Engine::ended`).
            Poll::Ready(None) => {
                *this.ended = true;
                Fast::Slow
            }
            polled => {
                *this.polled = Some(polled);
                Fast::Slow
            }
        }
    }

    /// Everything but the common case: starting, opening, the first item, timers,
    /// retries, and settling a try; what the fast path's poll of the stream gave, if it
    /// left it (an end in `ended`, the rest in `polled`), in place of polling it again.
    #[inline(never)]
    pub(super) fn poll_slow(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Event<T, N::Error>> {
        let mut this = self.project();
        // What the fast path left: the stream's end, or what `polled` holds.
        let mut polled = if std::mem::take(this.ended) {
            Some(Poll::Ready(None))
        } else {
            this.polled.take()
        };
        if matches!(*this.state, State::Done { .. }) {
            return Poll::Ready(Event::End);
        }
        let mut ended = None;
        let left = match this.chain.clock(this.deadline.as_mut(), cx) {
            Ok(left) => left,
            // A buffered answer read to its end is served: the deadline no longer
            // applies while it is handed over. (With a deadline the fast path does not
            // run, so `polled` is `None`.)
            Err(_) if matches!(*this.state, State::Draining { .. }) => Some(Duration::ZERO),
            Err(elapsed) => {
                // The try in flight ends with the deadline's error, judged and reported as
                // every try is; between tries (a pause) the chain only stops.
                debug_assert!(
                    polled.is_none(),
                    "a chain with a deadline reads on the slow path"
                );
                let error = this.chain.shared.elapsed.elapsed_into(elapsed);
                ended = Some(match &*this.state {
                    State::Opening { .. } => (Tried::PastDeadline(error), false),
                    State::Reading { seen, .. } | State::Watched { seen, .. } => {
                        (Tried::PastDeadline(error), *seen)
                    }
                    // An empty list fails with its own error, even past a deadline (as
                    // the futures do).
                    State::Idle if this.chain.is_empty_list() => {
                        done(this.state, this.timer, this.deadline, false);
                        return Poll::Ready(Event::Failed(
                            this.chain.exhausted(this.last_error.take()),
                        ));
                    }
                    // Between alternatives after a restart's discard marker, which ended
                    // the last one's tries: the deadline is the next one's, which it
                    // leaves no time to start (looked at, not taken: no skip, no probe).
                    State::Idle => {
                        if let Some((index, name)) = this.chain.next_position() {
                            this.attempt.reset(name, index);
                        }
                        (Tried::Expired(error), false)
                    }
                    _ => (Tried::Expired(error), false),
                });
                Some(Duration::ZERO)
            }
        };
        loop {
            let next = match ended.take() {
                Some((tried, committed)) => Next::Ended(tried, committed),
                None => match this.state.as_mut().project() {
                    StateProj::Done { .. } => Next::Yield(Event::End),
                    StateProj::Idle => {
                        match this.chain.next_item::<E>(true, this.attempt.chain_name()) {
                            Some((item, index, name)) => {
                                this.attempt.reset(name, index);
                                *this.item = Some(item);
                                Next::Launch
                            }
                            None => {
                                done(
                                    this.state.as_mut(),
                                    this.timer.as_mut(),
                                    this.deadline.as_mut(),
                                    false,
                                );
                                let error = this.chain.exhausted(this.last_error.take());
                                Next::Yield(Event::Failed(error))
                            }
                        }
                    }
                    StateProj::Pausing => {
                        if fired(this.timer.as_mut(), cx) {
                            Next::Launch
                        } else {
                            return Poll::Pending;
                        }
                    }
                    StateProj::Draining { items } => match items.pop_front() {
                        Some(item) => Next::Yield(Event::Item(item)),
                        None => {
                            done(
                                this.state.as_mut(),
                                this.timer.as_mut(),
                                this.deadline.as_mut(),
                                true,
                            );
                            Next::Yield(Event::End)
                        }
                    },
                    StateProj::Opening { open, limit } => {
                        match caught(&this.chain.shared.filter, || open.poll(cx)) {
                            Err(panicked) => Next::Ended(Tried::Failed(panicked), false),
                            Ok(polled) => match polled {
                                Poll::Ready(Ok(stream)) => {
                                    let observer = &this.chain.shared.observer;
                                    this.attempt.moment(observer, EventKind::Opened);
                                    // The first item's timer goes on from the attempt's start.
                                    let seen = false;
                                    this.state.set(if *this.unwatched && !P::CATCHES {
                                        State::Reading { stream, seen }
                                    } else {
                                        State::Watched { stream, seen }
                                    });
                                    continue;
                                }
                                Poll::Ready(Err(error)) => Next::Ended(Tried::Failed(error), false),
                                Poll::Pending if fired(this.timer.as_mut(), cx) => {
                                    let limit =
                                        Elapsed::first_item(this.first_item.unwrap_or_default());
                                    let error = this.chain.shared.elapsed.elapsed_into(limit);
                                    Next::Ended(Tried::TimedOut(error), false)
                                }
                                Poll::Pending if fired(limit, cx) => {
                                    let timeout =
                                        this.chain.shared.policy.timeout.unwrap_or_default();
                                    let limit = Elapsed::timeout(timeout);
                                    let error = this.chain.shared.elapsed.elapsed_into(limit);
                                    Next::Ended(Tried::TimedOut(error), false)
                                }
                                Poll::Pending => return Poll::Pending,
                            },
                        }
                    }
                    StateProj::Reading { stream, seen } | StateProj::Watched { stream, seen } => {
                        let first_seen = *seen;
                        let polled = match polled.take() {
                            Some(polled) => Ok(polled),
                            None => caught(&this.chain.shared.filter, || stream.poll_next(cx)),
                        };
                        match polled {
                            Err(panicked) => Next::Ended(Tried::Failed(panicked), first_seen),
                            Ok(polled) => match polled {
                                Poll::Ready(Some(Ok(item))) => {
                                    if !first_seen {
                                        *seen = true;
                                        let observer = &this.chain.shared.observer;
                                        this.attempt.moment(observer, EventKind::FirstItem);
                                        // From now on the limit is the idle one.
                                        this.timer.set(this.idle.map(delay));
                                    } else if let Some(idle) = *this.idle {
                                        restart(this.timer.as_mut(), idle);
                                    }
                                    if *this.mode == Mode::Buffered {
                                        this.buffer.push(item);
                                        continue;
                                    }
                                    Next::Yield(Event::Item(item))
                                }
                                Poll::Ready(Some(Err(error))) => {
                                    Next::Ended(Tried::Failed(error), first_seen)
                                }
                                // An empty stream is a failure if the chain says so
                                // (`empty_is_failure`).
                                Poll::Ready(None) => {
                                    let empty = (!first_seen)
                                        .then(|| this.chain.shared.filter.refuse(&()))
                                        .flatten();
                                    let tried = empty.map_or(Tried::Ok(()), Tried::Failed);
                                    Next::Ended(tried, first_seen)
                                }
                                Poll::Pending if fired(this.timer.as_mut(), cx) => {
                                    let limit = if first_seen {
                                        Elapsed::idle(this.idle.unwrap_or_default())
                                    } else {
                                        Elapsed::first_item(this.first_item.unwrap_or_default())
                                    };
                                    let error = this.chain.shared.elapsed.elapsed_into(limit);
                                    Next::Ended(Tried::TimedOut(error), first_seen)
                                }
                                Poll::Pending => return Poll::Pending,
                            },
                        }
                    }
                },
            };
            match next {
                Next::Yield(event) => return Poll::Ready(event),
                Next::Launch => {
                    // Another try may follow this one: it needs a copy of the item.
                    let again = this.attempt.number() <= this.chain.shared.policy.retries;
                    let Some(item) = R::give(this.item, again) else {
                        this.state.set(State::Idle);
                        continue;
                    };
                    let shared = &mut this.chain.shared;
                    this.attempt.start(&shared.observer);
                    this.timer.set(this.first_item.map(delay));
                    this.state.set(State::Opening {
                        open: (shared.attempt)(item),
                        limit: shared.policy.timeout.map(delay),
                    });
                }
                Next::Ended(tried, committed) => {
                    let ended: Ended_<'_, _, _, E, _, _, _, _, _, _, _, _> = Ended_ {
                        chain: this.chain,
                        attempt: this.attempt,
                        mode: *this.mode,
                        buffer: this.buffer,
                        item: this.item,
                        last_error: this.last_error,
                    };
                    let (event, next) = ended.settle(tried, committed, left);
                    // No timer outlives its try (a quiet first item leaves the first
                    // item's set): a pause sets its own, a launch the next try's.
                    this.timer.set(None);
                    match next {
                        After::Idle => this.state.set(State::Idle),
                        After::Done | After::Served => done(
                            this.state.as_mut(),
                            this.timer.as_mut(),
                            this.deadline.as_mut(),
                            matches!(next, After::Served),
                        ),
                        After::Drain(items) => this.state.set(State::Draining { items }),
                        After::Pause(pause) => {
                            this.timer.set(Some(delay(pause)));
                            this.state.set(State::Pausing);
                        }
                    }
                    if let Some(event) = event {
                        return Poll::Ready(event);
                    }
                }
            }
        }
    }
}

/// The stream's end (`served`: with a complete answer): its timers are stopped, so that
/// none wakes its task for nothing later.
fn done<Fut, S, T>(
    mut state: Pin<&mut State<Fut, S, T>>,
    mut timer: Pin<&mut Option<Delay>>,
    mut deadline: Pin<&mut Option<Delay>>,
    served: bool,
) {
    state.set(State::Done { served });
    timer.set(None);
    deadline.set(None);
}

/// Stops `timer` (out of line: it is rarely set, and its drop is not small).
#[cold]
#[inline(never)]
fn disarm(mut timer: Pin<&mut Option<Delay>>) {
    timer.set(None);
}

/// Starts `timer` over, for `limit` from now (the idle limit after an item).
fn restart(timer: Pin<&mut Option<Delay>>, limit: Duration) {
    if let Some(timer) = timer.as_pin_mut() {
        crate::clock::reset(timer, limit);
    }
}

/// `poll()`, with `catch_panic` a panic in it the chain's error: `Err` (the attempt is
/// not polled again).
#[inline]
fn caught<E, P: Judge<(), E>, R>(judge: &P, poll: impl FnOnce() -> R) -> Result<R, E> {
    if !P::CATCHES {
        return Ok(poll());
    }
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(poll)).map_err(|payload| {
        let panicked = crate::Panicked::from_payload(payload);
        match judge.panicked(panicked.clone()) {
            Some(error) => error,
            None => std::panic::resume_unwind(Box::new(panicked.message().to_string())),
        }
    })
}

/// Whether `timer` (if any) has fired.
#[inline]
fn fired(timer: Pin<&mut Option<Delay>>, cx: &mut Context<'_>) -> bool {
    timer
        .as_pin_mut()
        .is_some_and(|timer| timer.poll(cx).is_ready())
}
