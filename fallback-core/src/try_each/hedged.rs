//! [`TryEachHedged`]: at most two items in flight, the next starting alongside a slow
//! one.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::chain::{Chain, Order};
use super::slot::{Slot, Step};
use super::{Breakers, ElapsedInto, Empty, Names, Reuse, TryEach};
use crate::attempt::{ChainName, Judge, Observer, TryEachChain};
use crate::clock::{delay, Delay};
use crate::Served;

/// A [`try_each`](crate::try_each()) chain with [`hedge`](TryEach::hedge): `.await` it
/// to run it.
#[must_use = "a try_each chain does nothing until it is awaited"]
pub struct TryEachHedged<It, F, P, O, C, R, N, M, B> {
    pub(super) chain: TryEach<It, F, P, O, C, R, N, M, B>,
    pub(super) delay: Duration,
}

impl<It, F, Fut, T, E, P, O, C, R, N, M, B> IntoFuture for TryEachHedged<It, F, P, O, C, R, N, M, B>
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
    type IntoFuture = TryEachHedgedFuture<It, F, Fut, P, O, C, R, N, M, B>;

    fn into_future(self) -> Self::IntoFuture {
        TryEachHedgedFuture {
            chain: Chain::new(self.chain),
            delay: self.delay,
            last_error: None,
            first: Slot::idle(),
            second: Slot::idle(),
            hedge: None,
            deadline: None,
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of a hedged [`try_each`](crate::try_each()) chain: at most two
    /// attempts in flight.
    ///
    /// Like most futures, it is not to be polled once it has completed: polled again,
    /// it may start another item, or panic. (A check on every poll would cost the
    /// chain's fastest path; `FutureExt::fuse` makes a future that may be polled again.)
    pub struct TryEachHedgedFuture<It, F, Fut, P, O, C, R, N, M, B>
    where
        It: Iterator,
        Fut: Future,
    {
        chain: Chain<It, F, P, O, C, R, N, M, B>,
        delay: Duration,
        last_error: Option<(Fut::Output, usize, &'static str)>,
        #[pin]
        first: Slot<It::Item, Fut>,
        #[pin]
        second: Slot<It::Item, Fut>,
        // When the lone attempt in flight has run for `delay`.
        #[pin]
        hedge: Option<Delay>,
        #[pin]
        deadline: Option<Delay>,
    }
}

impl<It, F, Fut, T, E, P, O, C, R, N, M, B> Future
    for TryEachHedgedFuture<It, F, Fut, P, O, C, R, N, M, B>
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
                // Each try in flight ends with the deadline's error (and its event); the
                // chain's error is the later item's, as if it had failed last.
                let busy = (this.first.is_busy(), this.second.is_busy());
                let mut last: Option<(usize, &'static str, Step<T, E>)> = None;
                for (slot, busy) in [
                    (this.first.as_mut(), busy.0 || !busy.1),
                    (this.second.as_mut(), busy.1),
                ] {
                    if busy {
                        let (index, name) = (slot.index(), slot.name());
                        let (shared, _, empty) = this.chain.judging_into(index);
                        let step = slot.expire::<F, T, E, P, O, C, N>(elapsed, shared, empty);
                        if last.as_ref().is_none_or(|(later, ..)| index > *later) {
                            last = Some((index, name, step));
                        }
                    }
                }
                let done = last.and_then(|(index, name, step)| {
                    this.chain
                        .settle(step, index, name, this.last_error, Order::Hedged)
                });
                return Poll::Ready(
                    done.unwrap_or_else(|| unreachable!("a deadline stops the chain")),
                );
            }
        };
        // An item failed for good: the next one starts at once, not after the delay.
        let mut fill_now = false;
        loop {
            let busy = usize::from(this.first.is_busy()) + usize::from(this.second.is_busy());
            // Fill: nothing in flight, an item just failed, or the lone attempt has been
            // slow for `delay`.
            let slow = busy == 1
                && this
                    .hedge
                    .as_mut()
                    .as_pin_mut()
                    .is_some_and(|hedge| hedge.poll(cx).is_ready());
            if busy == 0 || (busy == 1 && fill_now) || slow {
                fill_now = false;
                match this.chain.next_item::<E>(true, TryEachChain.name()) {
                    Some((item, index, name)) => {
                        let free = if this.first.is_busy() {
                            this.second.as_mut()
                        } else {
                            this.first.as_mut()
                        };
                        free.start::<F, P, O, C, E, R>(item, index, name, &mut this.chain.shared);
                        // The delay runs again for the lone attempt, if one of the two
                        // ends before the other.
                        this.hedge.set(Some(delay(*this.delay)));
                        continue;
                    }
                    None if busy == 0 => {
                        return Poll::Ready(Err(this.chain.exhausted(this.last_error.take())))
                    }
                    None => this.hedge.set(None),
                }
            }
            let mut progressed = false;
            for which in [0, 1] {
                let mut slot = if which == 0 {
                    this.first.as_mut()
                } else {
                    this.second.as_mut()
                };
                let (index, name) = (slot.index(), slot.name());
                let (shared, breaker, empty) = this.chain.judging_into(index);
                let step = match slot
                    .as_mut()
                    .poll_step::<F, T, E, P, O, C, R, N>(cx, shared, empty, left, breaker)
                {
                    Poll::Pending => continue,
                    Poll::Ready(step) => step,
                };
                progressed = true;
                fill_now |= matches!(step, Step::Failed(_));
                if let Some(done) =
                    this.chain
                        .settle(step, index, name, this.last_error, Order::Hedged)
                {
                    let observer = &this.chain.shared.observer;
                    this.first.as_mut().clear(observer);
                    this.second.as_mut().clear(observer);
                    // Hedged, what came before the item that served is the items started
                    // before it (as the macros' hedged chains count), not failed tries.
                    return Poll::Ready(done.map(|served| {
                        let (alternative, index) = (served.alternative(), served.index());
                        Served::new(served.into_value(), alternative, index, index)
                    }));
                }
            }
            if !progressed {
                return Poll::Pending;
            }
        }
    }
}
