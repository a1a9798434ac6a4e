//! One item being tried, by the lifecycle every chain shares ([`Attempt`]).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::{ElapsedInto, Reuse};
use crate::__private::Breaker;
use crate::attempt::{Attempt, Judge, Observer, Policy, Sink, Tally, Tried, TryEachChain, Verdict};
use crate::clock::{delay, Delay};
use crate::trace::Ended;
use crate::Elapsed;

/// What the slots of one chain share: how to make an attempt and judge it, and the
/// count of failed tries. `K` is the policy kept: all of it but in the one chain that
/// needs none of it ([`KeptPolicy`](super::KeptPolicy)).
pub(super) struct Shared<F, P, O, C, K = Policy> {
    pub attempt: F,
    pub filter: P,
    pub observer: O,
    pub policy: K,
    pub elapsed: C,
    pub tally: Tally,
}

/// What a slot's attempt came to.
pub(super) enum Step<T, E> {
    /// It served.
    Served(T),
    /// It failed; the slot retries the item after a pause.
    Retrying,
    /// It failed for good; the chain moves on (the error is the chain's last so far).
    Failed(E),
    /// It failed with an error that stops the chain (the filter's, or the deadline).
    Stopped(E),
}

pin_project_lite::pin_project! {
    /// One item being tried: its attempt in flight (under its timeout), or the pause
    /// before its next try.
    pub(super) struct Slot<Item, Fut> {
        item: Option<Item>,
        attempt: Attempt<TryEachChain>,
        #[pin]
        state: State<Fut>,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProj]
    enum State<Fut> {
        Idle,
        Running {
            #[pin]
            future: Fut,
            // The try's time limit.
            #[pin]
            timer: Option<Delay>,
        },
        Pausing {
            #[pin]
            timer: Delay,
        },
    }
}

impl<Item, Fut> Slot<Item, Fut> {
    pub(super) fn idle() -> Self {
        Slot {
            item: None,
            attempt: Attempt::new(TryEachChain, "item", 0),
            state: State::Idle,
        }
    }

    /// Whether an item is being tried.
    pub(super) fn is_busy(&self) -> bool {
        !matches!(self.state, State::Idle)
    }

    /// The chain's position of the item being tried.
    pub(super) fn index(&self) -> usize {
        self.attempt.index()
    }

    /// The name of the item being tried.
    pub(super) fn name(&self) -> &'static str {
        self.attempt.alternative()
    }

    /// Drops the attempt in flight, if any (the other slot served, or the chain ended):
    /// reported `Cancelled`.
    pub(super) fn clear<E, O: Observer<E>>(self: Pin<&mut Self>, observer: &O) {
        let mut this = self.project();
        if matches!(*this.state, State::Running { .. }) {
            this.attempt.cancel(observer);
        }
        this.state.set(State::Idle);
        *this.item = None;
    }

    /// Starts trying `item` (the chain's `index`-th).
    pub(super) fn start<F, P, O, C, E, R>(
        self: Pin<&mut Self>,
        item: Item,
        index: usize,
        name: &'static str,
        shared: &mut Shared<F, P, O, C>,
    ) where
        F: FnMut(Item) -> Fut,
        O: Observer<E>,
        R: Reuse<Item>,
    {
        let this = self.project();
        *this.item = Some(item);
        this.attempt.reset(name, index);
        Self::launch::<F, P, O, C, E, R>(this.item, this.attempt, this.state, shared);
    }

    /// Makes the next try of the item, under its timeout.
    fn launch<F, P, O, C, E, R>(
        item: &mut Option<Item>,
        attempt: &mut Attempt<TryEachChain>,
        mut state: Pin<&mut State<Fut>>,
        shared: &mut Shared<F, P, O, C>,
    ) where
        F: FnMut(Item) -> Fut,
        O: Observer<E>,
        R: Reuse<Item>,
    {
        // Another try may follow this one: it needs a copy of the item.
        let again = attempt.number() <= shared.policy.retries;
        // Only `Cloned` gives an item twice, and only it is used with retries.
        let Some(item) = R::give(item, again) else {
            state.set(State::Idle);
            return;
        };
        attempt.start(&shared.observer);
        state.set(State::Running {
            future: (shared.attempt)(item),
            timer: shared.policy.timeout.map(delay),
        });
    }

    /// Polls the attempt (or the pause before the next try) to its next step, with
    /// `left` the time before the chain's deadline.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn poll_step<F, T, E, P, O, C, R, N>(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        shared: &mut Shared<F, P, O, C>,
        empty: &mut Option<N>,
        left: Option<Duration>,
        breaker: Option<&Breaker>,
    ) -> Poll<Step<T, E>>
    where
        N: super::Empty<E>,
        F: FnMut(Item) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        P: Judge<T, E>,
        O: Observer<E>,
        C: ElapsedInto<E>,
        R: Reuse<Item>,
    {
        let mut this = self.project();
        let tried = loop {
            match this.state.as_mut().project() {
                StateProj::Idle => return Poll::Pending,
                StateProj::Pausing { timer } => {
                    if timer.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    let state = this.state.as_mut();
                    Self::launch::<F, P, O, C, E, R>(this.item, this.attempt, state, shared);
                }
                StateProj::Running { future, timer } => {
                    match poll_judged(future, cx, &shared.filter) {
                        Poll::Ready(tried) => break tried,
                        Poll::Pending => {
                            let timed_out = timer
                                .as_pin_mut()
                                .is_some_and(|timer| timer.poll(cx).is_ready());
                            if !timed_out {
                                return Poll::Pending;
                            }
                            let limit = shared.policy.timeout.unwrap_or_default();
                            let error = shared.elapsed.elapsed_into(Elapsed::timeout(limit));
                            break Tried::TimedOut(error);
                        }
                    }
                }
            }
        };
        this.state.set(State::Idle);
        let judge = &shared.filter;
        let (on, retry_on, retry_after) = judge.parts();
        // The error's type is generic here: its text is for `observe` to show.
        let verdict = this.attempt.judge(
            tried,
            &shared.policy,
            breaker,
            || left,
            &mut Gather {
                tally: &mut shared.tally,
                empty,
            },
            on,
            retry_on,
            retry_after,
            &shared.observer,
            |error| Ended::Failed(judge.show(error)),
        );
        match &verdict {
            Verdict::Retry(pause) => this.state.set(State::Pausing {
                timer: delay(*pause),
            }),
            Verdict::MoveOn(_) => *this.item = None,
            _ => {}
        }
        Poll::Ready(step(verdict))
    }
}

impl<Item, Fut> Slot<Item, Fut> {
    /// The chain's deadline passed: the try in flight ends with its error, judged (and
    /// reported) as every try is; a slot between tries (pausing before a retry) only
    /// stops. Either way the slot is left idle.
    pub(super) fn expire<F, T, E, P, O, C, N>(
        self: Pin<&mut Self>,
        elapsed: Elapsed,
        shared: &mut Shared<F, P, O, C>,
        empty: &mut Option<N>,
    ) -> Step<T, E>
    where
        N: super::Empty<E>,
        P: Judge<T, E>,
        O: Observer<E>,
        C: ElapsedInto<E>,
    {
        let mut this = self.project();
        let error = shared.elapsed.elapsed_into(elapsed);
        let tried = match *this.state {
            State::Running { .. } => Tried::PastDeadline(error),
            State::Idle | State::Pausing { .. } => Tried::Expired(error),
        };
        this.state.set(State::Idle);
        *this.item = None;
        let judge = &shared.filter;
        let (on, retry_on, retry_after) = judge.parts();
        // A deadline stops the chain: no breaker to update, no time left to ask for.
        let verdict = this.attempt.judge(
            tried,
            &shared.policy,
            None,
            || Some(Duration::ZERO),
            &mut Gather {
                tally: &mut shared.tally,
                empty,
            },
            on,
            retry_on,
            retry_after,
            &shared.observer,
            |error| Ended::Failed(judge.show(error)),
        );
        step(verdict)
    }
}

/// Where a try's error goes: counted, and set aside when the chain collects every error
/// and this one is retried.
pub(super) struct Gather<'a, N> {
    pub tally: &'a mut Tally,
    pub empty: &'a mut Option<N>,
}

impl<E, N: super::Empty<E>> Sink<E> for Gather<'_, N> {
    type Kept = E;
    type Failed = E;

    #[inline(always)]
    fn retried(&mut self, alternative: &'static str, index: usize, error: E) {
        self.tally.0 += 1;
        if let Some(empty) = self.empty.as_mut() {
            empty.set_aside(alternative, index, error);
        }
    }

    #[inline(always)]
    fn keep(&mut self, _: &'static str, _: usize, error: E) -> E {
        self.tally.0 += 1;
        error
    }

    #[inline(always)]
    fn fail(&mut self, last: E, _: usize) -> E {
        last
    }

    #[inline(always)]
    fn failed(&self) -> usize {
        self.tally.0
    }
}

/// What a verdict is to the chain.
#[inline]
pub(super) fn step<T, E>(verdict: Verdict<T, E>) -> Step<T, E> {
    match verdict {
        Verdict::Served(value) => Step::Served(value),
        Verdict::Retry(_) => Step::Retrying,
        Verdict::MoveOn(error) => Step::Failed(error),
        Verdict::Stop(error) => Step::Stopped(error),
    }
}

/// Polls an attempt's future: its outcome as the chain sees it — an `Ok` that `reject`
/// refuses is a failure, and so is a panic with `catch_panic` (the future is not polled
/// again: the slot drops it).
#[inline]
pub(super) fn poll_judged<Fut, T, E, P>(
    future: Pin<&mut Fut>,
    cx: &mut Context<'_>,
    judge: &P,
) -> Poll<Tried<T, E>>
where
    Fut: Future<Output = Result<T, E>>,
    P: Judge<T, E>,
{
    let polled = if P::CATCHES {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| future.poll(cx))) {
            Ok(polled) => polled,
            Err(payload) => {
                let panicked = crate::Panicked::from_payload(payload);
                return Poll::Ready(match judge.panicked(panicked.clone()) {
                    Some(error) => Tried::Failed(error),
                    None => std::panic::resume_unwind(Box::new(panicked.message().to_string())),
                });
            }
        }
    } else {
        future.poll(cx)
    };
    polled.map(|outcome| match outcome {
        Ok(value) => match judge.refuse(&value) {
            Some(error) => Tried::Failed(error),
            None => Tried::Ok(value),
        },
        Err(error) => Tried::Failed(error),
    })
}
