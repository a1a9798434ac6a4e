//! [`TryEachTimedFuture`]: one item at a time, under the time options.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::chain::{Chain, Order};
use super::slot::Slot;
use super::{Breakers, ElapsedInto, Empty, Names, Reuse, TryEach};
use crate::attempt::{ChainName, Judge, Observer, TryEachChain};
use crate::clock::Delay;
use crate::Served;

pin_project_lite::pin_project! {
    /// The future of a [`try_each`](crate::try_each()) chain with a time option
    /// (`timeout`, `deadline`, `retries`).
    ///
    /// Like most futures, it is not to be polled once it has completed: polled again,
    /// it may start another item, or panic. (A check on every poll would cost the
    /// chain's fastest path; `FutureExt::fuse` makes a future that may be polled again.)
    pub struct TryEachTimedFuture<It, F, Fut, P, O, C, R, N, M, B>
    where
        It: Iterator,
        Fut: Future,
    {
        chain: Chain<It, F, P, O, C, R, N, M, B>,
        last_error: Option<(Fut::Output, usize, &'static str)>,
        #[pin]
        slot: Slot<It::Item, Fut>,
        // The chain's deadline, from the first poll.
        #[pin]
        deadline: Option<Delay>,
    }
}

impl<It, F, Fut, P, O, C, R, N, M, B> TryEachTimedFuture<It, F, Fut, P, O, C, R, N, M, B>
where
    It: Iterator,
    Fut: Future,
{
    pub(super) fn new(chain: TryEach<It, F, P, O, C, R, N, M, B>) -> Self
    where
        B: Breakers,
    {
        TryEachTimedFuture {
            chain: Chain::new(chain),
            last_error: None,
            slot: Slot::idle(),
            deadline: None,
        }
    }
}

impl<It, F, Fut, T, E, P, O, C, R, N, M, B> Future
    for TryEachTimedFuture<It, F, Fut, P, O, C, R, N, M, B>
where
    It: Iterator,
    F: FnMut(It::Item) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    P: Judge<T, E>,
    O: Observer<E>,
    C: ElapsedInto<E>,
    R: Reuse<It::Item>,
    N: Empty<E>,
    M: Names<It::Item>,
    B: Breakers,
{
    type Output = Result<Served<T>, N::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let left = match this.chain.clock(this.deadline.as_mut(), cx) {
            Ok(left) => left,
            Err(_) if this.chain.is_empty_list() => {
                return Poll::Ready(Err(this.chain.exhausted(this.last_error.take())));
            }
            Err(elapsed) => {
                let (index, name) = (this.slot.index(), this.slot.name());
                let (shared, _, empty) = this.chain.judging_into(index);
                let step = this
                    .slot
                    .as_mut()
                    .expire::<F, T, E, P, O, C, N>(elapsed, shared, empty);
                let done = this
                    .chain
                    .settle(step, index, name, this.last_error, Order::Sequential);
                return Poll::Ready(
                    done.unwrap_or_else(|| unreachable!("a deadline stops the chain")),
                );
            }
        };
        loop {
            if !this.slot.is_busy() {
                match this.chain.next_item::<E>(true, TryEachChain.name()) {
                    Some((item, index, name)) => {
                        this.slot.as_mut().start::<F, P, O, C, E, R>(
                            item,
                            index,
                            name,
                            &mut this.chain.shared,
                        );
                    }
                    None => return Poll::Ready(Err(this.chain.exhausted(this.last_error.take()))),
                }
            }
            let (index, name) = (this.slot.index(), this.slot.name());
            let (shared, breaker, empty) = this.chain.judging_into(index);
            let step = match this
                .slot
                .as_mut()
                .poll_step::<F, T, E, P, O, C, R, N>(cx, shared, empty, left, breaker)
            {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(step) => step,
            };
            if let Some(done) =
                this.chain
                    .settle(step, index, name, this.last_error, Order::Sequential)
            {
                return Poll::Ready(done);
            }
        }
    }
}
