//! What both futures of `try_each` share: the items, how to try one, the deadline,
//! and the one settle step that turns what a slot's attempt came to into the chain's
//! end or its next move.

use std::future::Future;
use std::pin::Pin;
use std::task::Context;
use std::time::Duration;

use super::slot::{Shared, Step};
use super::{ElapsedInto, Empty, Names, TryEach};
use crate::attempt::{Sink, Tally};
use crate::clock::{delay, remaining, Delay};
use crate::{Elapsed, Served};

/// A chain's state apart from its slots.
pub(super) struct Chain<It, F, P, O, C, R, N, M> {
    items: It,
    pub shared: Shared<F, P, O, C>,
    deadline: Option<Duration>,
    /// What an empty list fails with, until it is used.
    empty: Option<N>,
    /// Items started so far.
    taken: usize,
    reuse: std::marker::PhantomData<R>,
    namer: M,
}

impl<It, F, P, O, C, R, N, M> Chain<It, F, P, O, C, R, N, M>
where
    It: Iterator,
{
    pub(super) fn new(chain: TryEach<It, F, P, O, C, R, N, M>) -> Self {
        Chain {
            items: chain.items,
            shared: Shared {
                attempt: chain.attempt,
                filter: chain.filter,
                observer: chain.observer,
                policy: chain.policy,
                elapsed: chain.elapsed,
                tally: Tally(0),
            },
            deadline: chain.deadline,
            empty: Some(chain.empty),
            taken: 0,
            reuse: std::marker::PhantomData,
            namer: chain.namer,
        }
    }

    /// The next item, with its position and name.
    pub(super) fn next_item(&mut self) -> Option<(It::Item, usize, &'static str)>
    where
        M: Names<It::Item>,
    {
        let item = self.items.next()?;
        self.taken += 1;
        let name = self.namer.name(&item);
        Some((item, self.taken - 1, name))
    }

    /// The time left before the deadline (its timer started on the first poll), or the
    /// chain's error once it has passed.
    pub(super) fn clock<E>(
        &mut self,
        mut timer: Pin<&mut Option<Delay>>,
        cx: &mut Context<'_>,
    ) -> Result<Option<Duration>, N::Error>
    where
        C: ElapsedInto<E>,
        N: Empty<E>,
    {
        let Some(limit) = self.deadline else {
            return Ok(None);
        };
        if timer.is_none() {
            timer.set(Some(delay(limit)));
        }
        let Some(timer) = timer.as_pin_mut() else {
            return Ok(None);
        };
        let left = remaining(&timer);
        if timer.poll(cx).is_pending() {
            return Ok(Some(left));
        }
        let error = self.shared.elapsed.elapsed_into(Elapsed::deadline(limit));
        Err(N::failed(error, self.taken.saturating_sub(1)))
    }

    /// The error of a chain whose items ran out: the last one's, or the empty list's.
    pub(super) fn exhausted<T, E>(&mut self, last_error: Option<(Result<T, E>, usize)>) -> N::Error
    where
        N: Empty<E>,
    {
        match (last_error, self.empty.take()) {
            (Some((Err(error), index)), _) => N::failed(error, index),
            (_, Some(empty)) => empty.empty(),
            // Both are used once, at the chain's end: a chain is not polled after it.
            (_, None) => unreachable!("a try_each chain was polled after it completed"),
        }
    }

    /// What `step` of the item at `index` does to the chain: its end, or nothing yet
    /// (its error, if it failed for good, kept as the last when no later item's is).
    pub(super) fn settle<T, E>(
        &mut self,
        step: Step<T, E>,
        index: usize,
        name: &'static str,
        last_error: &mut Option<(Result<T, E>, usize)>,
    ) -> Option<Result<Served<T>, N::Error>>
    where
        N: Empty<E>,
    {
        match step {
            Step::Served(value) => {
                let failed = Sink::<E>::failed(&self.shared.tally);
                Some(Ok(Served::new(value, name, index, failed)))
            }
            Step::Stopped(error) => Some(Err(N::failed(error, index))),
            Step::Retrying => None,
            Step::Failed(error) => {
                if last_error.as_ref().is_none_or(|(_, last)| index >= *last) {
                    *last_error = Some((Err(error), index));
                }
                None
            }
        }
    }
}
