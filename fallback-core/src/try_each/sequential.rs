//! [`TryEachFuture`]: one item at a time, without a time option: no timer, and the
//! attempt in flight is the only state.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::chain::{Chain, Order};
use super::slot::{poll_judged, step, Gather};
use super::{Breakers, Empty, KeptPolicy, Moved, Names, NoClock, TryEach};
use crate::attempt::{Attempt, ChainName, Judge, Observer, Policy, TryEachChain};
use crate::trace::Ended;
use crate::Served;

pin_project_lite::pin_project! {
    /// The future of a [`try_each`](crate::try_each()) chain without a time option.
    ///
    /// Like most futures, it is not to be polled once it has completed: polled again,
    /// it may start another item, or panic. (A check on every poll would cost the
    /// chain's fastest path; `FutureExt::fuse` makes a future that may be polled again.)
    pub struct TryEachFuture<It, F, Fut, P, O, N, M, B>
    where
        It: Iterator,
        Fut: Future,
        B: Breakers,
    {
        // Without health, no policy: nothing in it applies to one item at a time
        // without a time option.
        chain: Chain<It, F, P, O, NoClock, Moved, N, M, B, B::Kept>,
        attempt: Attempt<TryEachChain>,
        last_error: Option<(Fut::Output, usize, &'static str)>,
        #[pin]
        current: Option<Fut>,
    }
}

impl<It, F, Fut, P, O, N, M, B> TryEachFuture<It, F, Fut, P, O, N, M, B>
where
    It: Iterator,
    Fut: Future,
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
        loop {
            let Some(current) = this.current.as_mut().as_pin_mut() else {
                let Some((item, index, name)) =
                    this.chain.next_item::<E>(B::TRACKS, TryEachChain.name())
                else {
                    return Poll::Ready(Err(this.chain.exhausted(this.last_error.take())));
                };
                let shared = &mut this.chain.shared;
                // Without names, every item's is the one the record has; without retries, its
                // tries stay at none.
                this.attempt
                    .renew::<E, O>(M::NAMED.then_some(name), index, false);
                this.attempt.start(&shared.observer);
                this.current.set(Some((shared.attempt)(item)));
                continue;
            };
            let tried = match poll_judged(current, cx, &this.chain.shared.filter) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(tried) => tried,
            };
            this.current.set(None);
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
            if let Some(done) =
                this.chain
                    .settle(step(verdict), index, name, this.last_error, order)
            {
                return Poll::Ready(done);
            }
        }
    }
}
