//! [`TryEachFuture`]: one item at a time, without a time option: no timer, and the
//! attempt in flight is the only state.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::chain::{Chain, Only, Order};
use super::slot::{poll_judged, step, Gather};
use super::{Breakers, Empty, KeptPolicy, Moved, Names, NoClock, TryEach};
use crate::attempt::{Attempt, ChainName, Fallible, Judge, Observer, Policy, TryEachChain};
use crate::trace::Ended;
use crate::Served;

pin_project_lite::pin_project! {
    /// The future of a [`try_each`](crate::try_each()) chain without a time option.
    ///
    /// Like most futures, it is not to be polled once it has completed: polled again,
    /// it polls its last try's future again (after an empty list, it asks the list
    /// again), which may panic, or report that try a second time. (A check on every
    /// poll would cost the chain's fastest path; `FutureExt::fuse` makes a future that
    /// may be polled again.) A finished try's future is dropped when the next one
    /// starts, or with the chain.
    pub struct TryEachFuture<It, F, Fut, P, O, N, M, B>
    where
        It: Iterator,
        Fut: Future,
        Fut::Output: Fallible,
        B: Breakers,
    {
        // Without health, no policy: nothing in it applies to one item at a time
        // without a time option.
        chain: Chain<It, F, P, O, NoClock, Moved, N, M, B, B::Kept>,
        attempt: Attempt<TryEachChain>,
        // The last error alone, kept until a later item's replaces it. Its item is the
        // last one tried, whose position and name the attempt record has. (A chain that
        // collects every error keeps the position too, to set the error aside with it
        // when a later one comes: `Empty::keep_at`.) Kept with its position, as the
        // timed future does, it cost 4 stores on each failed item.
        last_error: Option<<Fut::Output as Fallible>::Error>,
        #[pin]
        current: Option<Fut>,
    }
}

impl<It, F, Fut, P, O, N, M, B> TryEachFuture<It, F, Fut, P, O, N, M, B>
where
    It: Iterator,
    Fut: Future,
    Fut::Output: Fallible,
    B: Breakers,
{
    pub(super) fn new(chain: TryEach<It, F, P, O, NoClock, Moved, N, M, B>) -> Self {
        TryEachFuture {
            chain: Chain::new(chain),
            attempt: Attempt::new(TryEachChain, "item", 0),
            last_error: None,
            current: None,
        }
    }
}

impl<It, F, Fut, T, E, P, O, N, M, B> Future for TryEachFuture<It, F, Fut, P, O, N, M, B>
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

    // Inlined into the caller's future, the chain's constant parts (no clock, no
    // observer, no health) fold away: 239 -> 193 instructions on success.
    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        // Whether the next item is to start: none in flight, or the last one's try
        // ended. That try's future stays in `current` until the next one replaces it
        // (or the chain is dropped): no store of `None` between two tries, and no check
        // of `current` before the next one is polled.
        let mut start = this.current.is_none();
        loop {
            if start {
                let Some((item, index, name)) =
                    this.chain.next_item::<E>(B::TRACKS, TryEachChain.name())
                else {
                    let (index, name) = (this.attempt.index(), this.attempt.alternative());
                    let last = this
                        .last_error
                        .take()
                        .map(|error| (Only(error), index, name));
                    return Poll::Ready(Err(this.chain.exhausted(last)));
                };
                let shared = &mut this.chain.shared;
                // Without names, every item's is the one the record has; without retries, its
                // tries stay at none.
                this.attempt
                    .renew::<E, O>(M::NAMED.then_some(name), index, false);
                this.attempt.start(&shared.observer);
                this.current.set(Some((shared.attempt)(item)));
            }
            // Set just above, or in flight since an earlier poll.
            let Some(current) = this.current.as_mut().as_pin_mut() else {
                start = true;
                continue;
            };
            let tried = match poll_judged(current, cx, &this.chain.shared.filter) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(tried) => tried,
            };
            let index = this.attempt.index();
            let (shared, breaker, empty) = this.chain.judging_into(index);
            let judge = &shared.filter;
            let (on, retry_on, retry_after) = judge.parts();
            // The error's type is generic here: its text is for `observe` to show.
            // Without a clock there are no retries (the item is moved into its try):
            // said here, the retry rules fold away.
            let policy = Policy {
                retries: 0,
                ..*shared.policy.get()
            };
            let verdict = this.attempt.judge(
                tried,
                &policy,
                breaker,
                || None,
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
            let (index, name) = (this.attempt.index(), this.attempt.alternative());
            let order = if B::TRACKS {
                Order::Sequential
            } else {
                Order::Once
            };
            // Only a collecting chain sets an earlier error aside, with its own position.
            let mut last = N::COLLECTS
                .then(|| this.last_error.take())
                .flatten()
                .map(|error| {
                    let (index, name) = this.chain.kept_at::<E>();
                    (Only(error), index, name)
                });
            if let Some(done) = this
                .chain
                .settle(step(verdict), index, name, &mut last, order)
            {
                return Poll::Ready(done);
            }
            start = true;
            if let Some((Only(error), index, name)) = last {
                *this.last_error = Some(error);
                if N::COLLECTS {
                    this.chain.keep_at::<E>(index, name);
                }
            }
        }
    }
}
