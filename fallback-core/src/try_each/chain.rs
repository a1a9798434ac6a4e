//! What both futures of `try_each` share: the items, how to try one, the deadline,
//! and the one settle step that turns what a slot's attempt came to into the chain's
//! end or its next move.

use std::future::Future;
use std::pin::Pin;
use std::task::Context;
use std::time::Duration;

use super::slot::{Shared, Step};
use super::{Breakers, Empty, KeptPolicy, Names, TryEach};
use crate::__private::Breaker;
use crate::attempt::{admit_one, Observer, Policy};
use crate::attempt::{Sink, Tally};
use crate::clock::{delay, remaining, Delay};
use crate::{Elapsed, Served};

/// The error a chain ends with if no later item's comes: what is kept of the item's
/// error ([`Kept`]), its position and its name.
pub(super) type LastError<K> = (K, usize, &'static str);

/// What a chain keeps of its last error: the attempt's whole `Result` (only ever an
/// `Err`), as the timed and hedged futures do (their layout was measured so), or the
/// error alone, as the plain future and a stream chain do (an `Ok` there would be a
/// second stream's room).
pub(super) trait Kept<E> {
    fn keep(error: E) -> Self;
    fn error(self) -> Option<E>;
}

impl<T, E> Kept<E> for Result<T, E> {
    #[inline(always)]
    fn keep(error: E) -> Self {
        Err(error)
    }

    #[inline(always)]
    fn error(self) -> Option<E> {
        self.err()
    }
}

/// The error alone, for [`Kept`].
pub(super) struct Only<E>(pub E);

impl<E> Kept<E> for Only<E> {
    #[inline(always)]
    fn keep(error: E) -> Self {
        Only(error)
    }

    #[inline(always)]
    fn error(self) -> Option<E> {
        Some(self.0)
    }
}

/// What judging one try needs: the shared state, the item's breaker, and the errors
/// the chain collects.
pub(super) type Judging<'a, F, P, O, C, N, K = Policy> = (
    &'a mut Shared<F, P, O, C, K>,
    Option<&'a Breaker>,
    &'a mut Option<N>,
);

/// A chain's state apart from its slots.
pub(super) struct Chain<It: Iterator, F, P, O, C, R, N, M, B, K = Policy> {
    /// The list, looked ahead of only to know the last item (it is never skipped).
    items: It,
    /// An item taken from the list only to know whether one is left (`Some(None)`: none).
    peeked: Option<Option<It::Item>>,
    pub shared: Shared<F, P, O, C, K>,
    deadline: Option<Duration>,
    /// What an empty list fails with, until it is used.
    empty: Option<N>,
    /// Items taken from the list so far (started, or skipped while cooling down).
    taken: usize,
    reuse: std::marker::PhantomData<R>,
    namer: M,
    health: B,
    /// Whether every item's breaker was open as the chain started: then none is skipped.
    all_cooling: bool,
}

impl<It, F, P, O, C, R, N, M, B, K> Chain<It, F, P, O, C, R, N, M, B, K>
where
    It: Iterator,
    K: KeptPolicy,
{
    pub(super) fn new(chain: TryEach<It, F, P, O, C, R, N, M, B>) -> Self
    where
        B: Breakers,
    {
        let breakers = chain.health.breakers();
        // Without health there is nothing to cool (and no length to read).
        let all_cooling = !breakers.is_empty() && all_cooling(breakers, chain.items.size_hint());
        Chain {
            all_cooling,
            items: chain.items,
            peeked: None,
            shared: Shared {
                attempt: chain.attempt,
                filter: chain.filter,
                observer: chain.observer,
                policy: K::keep(chain.policy),
                elapsed: chain.elapsed,
                tally: Tally(0),
            },
            deadline: chain.deadline,
            empty: Some(chain.empty),
            taken: 0,
            reuse: std::marker::PhantomData,
            namer: chain.namer,
            health: chain.health,
        }
    }

    /// The next item to try, with its position and name: items cooling down are
    /// skipped (reported), but never the last one. An item is taken from the list only
    /// when its turn comes; the one after it only to learn whether a tripped one is the
    /// last (`chain`: the chain's name, for the event of a skip). `peeks` unless the list is never looked ahead of before the chain's end
    /// (one item at a time, without health): then no look is checked for.
    pub(super) fn next_item<E>(
        &mut self,
        peeks: bool,
        chain: &'static str,
    ) -> Option<(It::Item, usize, &'static str)>
    where
        M: Names<It::Item>,
        B: Breakers,
        O: Observer<E>,
    {
        loop {
            let item = self.take_item(peeks)?;
            let index = self.taken;
            self.taken += 1;
            let name = self.namer.name(&item);
            let breaker = self.health.breakers().get(index);
            let tripped = breaker.filter(|breaker| !self.all_cooling && breaker.tripped());
            // The last item is never skipped: the list, not the health, says which it is.
            let (items, peeked) = (&mut self.items, &mut self.peeked);
            if let Some(breaker) = tripped.filter(|_| one_left(items, peeked)) {
                let shared = &self.shared;
                let admitted = admit_one(
                    chain,
                    breaker,
                    self.all_cooling,
                    index,
                    name,
                    shared.policy.get(),
                    &shared.observer,
                );
                if !admitted {
                    continue;
                }
            }
            return Some((item, index, name));
        }
    }

    /// The next item of the list: the one looked at, if any.
    #[inline(always)]
    fn take_item(&mut self, peeks: bool) -> Option<It::Item> {
        // Looked at only with health, a time option or a restarting stream: a check,
        // no store.
        debug_assert!(peeks || self.peeked.is_none(), "an item looked at was lost");
        if !peeks || self.peeked.is_none() {
            return self.items.next();
        }
        self.peeked.take().flatten()
    }

    /// Whether another item is left: it is taken from the list to know.
    fn one_left(&mut self) -> bool {
        one_left(&mut self.items, &mut self.peeked)
    }

    /// Whether the list turned out empty before any item was taken (it is taken from
    /// the list to know): an empty list fails with its own error, even past a deadline.
    pub(super) fn is_empty_list(&mut self) -> bool {
        self.taken == 0 && !self.one_left()
    }

    /// Whether another item is left (it is taken from the list to know).
    #[cfg(feature = "stream")]
    pub(super) fn has_next(&mut self) -> bool {
        self.one_left()
    }

    /// The position and name of the next item of a list already begun, if any: looked
    /// at, not started (no cooldown is asked), for an error that is its turn's. (Before
    /// the first item, the chain has no position yet.)
    #[cfg(feature = "stream")]
    pub(super) fn next_position(&mut self) -> Option<(usize, &'static str)>
    where
        M: Names<It::Item>,
    {
        if self.taken == 0 || !self.one_left() {
            return None;
        }
        let Some(Some(item)) = &self.peeked else {
            return None;
        };
        Some((self.taken, self.namer.name(item)))
    }

    /// What a slot needs to judge the item at `index`: the shared state, the item's
    /// breaker if it is tracked, and where the errors go (the errors the chain collects).
    pub(super) fn judging_into(&mut self, index: usize) -> Judging<'_, F, P, O, C, N, K>
    where
        B: Breakers,
    {
        (
            &mut self.shared,
            self.health.breakers().get(index),
            &mut self.empty,
        )
    }

    /// The time left before the deadline (its timer started on the first poll), or the
    /// deadline's `Elapsed` once it has passed: the caller ends the try in flight with
    /// it (`Tried::PastDeadline`, reported as every failed try is) or, between tries,
    /// the chain (`Tried::Expired`).
    #[inline]
    pub(super) fn clock(
        &mut self,
        mut timer: Pin<&mut Option<Delay>>,
        cx: &mut Context<'_>,
    ) -> Result<Option<Duration>, Elapsed> {
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
        Err(Elapsed::deadline(limit))
    }

    /// The error of a chain whose items ran out: the last one's, or the empty list's.
    pub(super) fn exhausted<E>(&mut self, last_error: Option<LastError<impl Kept<E>>>) -> N::Error
    where
        N: Empty<E>,
    {
        match last_error.and_then(|(kept, index, name)| Some((kept.error()?, index, name))) {
            Some((error, index, name)) => self.fail(error, index, name),
            _ => match self.empty.take() {
                Some(empty) => empty.empty(),
                // Used once, at the chain's end: a chain is not polled after it.
                None => unreachable!("a try_each chain was polled after it completed"),
            },
        }
    }

    /// The chain's error, from the error of item `index` (named `name`) that ends it.
    pub(super) fn fail<E>(&mut self, error: E, index: usize, name: &'static str) -> N::Error
    where
        N: Empty<E>,
    {
        match self.empty.take() {
            Some(empty) => {
                let alternatives = self.alternatives::<E>();
                empty.finish(error, index, name, alternatives)
            }
            None => N::failed(error, index, name),
        }
    }

    /// How many items the chain has, as far as its list tells, for the errors it
    /// collects: those taken, and the least its iterator says are left (exact for a
    /// slice, a `Vec`, a range), or at least one if the next item is there (taken from
    /// the list to know, when its iterator cannot say).
    pub(super) fn alternatives<E>(&mut self) -> usize
    where
        N: Empty<E>,
    {
        if !N::COLLECTS {
            return self.taken;
        }
        let left =
            match self.items.size_hint().0 + usize::from(matches!(self.peeked, Some(Some(_)))) {
                0 => usize::from(self.one_left()),
                left => left,
            };
        self.taken + left
    }

    /// The error a restarting stream's discard marker announces: the error of the item
    /// at `index` on its own (with its earlier tries, when collecting).
    #[cfg(feature = "stream")]
    pub(super) fn announce<E>(&mut self, error: E, index: usize, name: &'static str) -> N::Error
    where
        N: Empty<E>,
    {
        let alternatives = self.alternatives::<E>();
        match self.empty.as_mut() {
            Some(empty) => empty.announce(error, index, name, alternatives),
            // Only the chain's end takes it.
            None => unreachable!("a stream chain announced a discard after it ended"),
        }
    }

    /// Where the chain's last error came from, for a chain that collects every error
    /// (which sets it aside, with its position, when a later item's comes).
    #[inline(always)]
    pub(super) fn keep_at<E>(&mut self, index: usize, name: &'static str)
    where
        N: Empty<E>,
    {
        if let Some(empty) = self.empty.as_mut() {
            empty.keep_at(index, name);
        }
    }

    /// Where the last error kept by [`keep_at`](Self::keep_at) came from.
    #[inline(always)]
    pub(super) fn kept_at<E>(&self) -> (usize, &'static str)
    where
        N: Empty<E>,
    {
        self.empty.as_ref().map_or((0, "item"), Empty::kept_at)
    }

    /// An error the chain does not end with: to the errors it collects, if it does.
    pub(super) fn set_aside<E>(&mut self, error: E, index: usize, name: &'static str)
    where
        N: Empty<E>,
    {
        if let Some(empty) = self.empty.as_mut() {
            empty.set_aside(name, index, error);
        }
    }

    /// What `step` of the item at `index` does to the chain: its end, or nothing yet
    /// (its error, if it failed for good, kept as the last when no later item's is).
    /// `order` says how the items' tries end.
    pub(super) fn settle<T, E>(
        &mut self,
        step: Step<T, E>,
        index: usize,
        name: &'static str,
        last_error: &mut Option<LastError<impl Kept<E>>>,
        order: Order,
    ) -> Option<Result<Served<T>, N::Error>>
    where
        N: Empty<E>,
        M: Names<It::Item>,
    {
        match step {
            Step::Served(value) => {
                let failed = match order {
                    Order::Once => index,
                    Order::Sequential | Order::Hedged => Sink::<E>::failed(&self.shared.tally),
                };
                Some(Ok(Served::new(value, name, index, failed)))
            }
            Step::Stopped(error) => {
                // An earlier item's error goes to the errors the chain collects, first.
                if let Some((earlier, at, named)) = last_error.take() {
                    if let Some(earlier) = earlier.error() {
                        self.set_aside(earlier, at, named);
                    }
                }
                Some(Err(self.fail(error, index, name)))
            }
            Step::Retrying => None,
            Step::Failed(error) => {
                // Unnamed items are all "item": written as the constant it is, without
                // a copy of the record's per failed item.
                let name = if N::COLLECTS || M::NAMED {
                    name
                } else {
                    "item"
                };
                // In order (one item at a time), the later error is always this one.
                if order != Order::Hedged
                    || last_error
                        .as_ref()
                        .is_none_or(|(_, last, _)| index >= *last)
                {
                    if let Some((earlier, at, named)) =
                        last_error.replace((Kept::keep(error), index, name))
                    {
                        if let Some(earlier) = earlier.error() {
                            self.set_aside(earlier, at, named);
                        }
                    }
                } else {
                    self.set_aside(error, index, name);
                }
                None
            }
        }
    }
}

/// How a chain's tries end, for [`Chain::settle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Order {
    /// Two at a time (hedged): out of the list's order.
    Hedged,
    /// One at a time, in the list's order.
    Sequential,
    /// One at a time, each item tried once and none skipped (no retries, no health):
    /// the tries failed before an item are the items before it, so none are counted.
    Once,
}

/// Whether every item of a list is cooling down as the chain starts (then none is
/// skipped), from the items' breakers: over the list's items when its length is known
/// (an item past the tracked ones never cools), else over every breaker.
fn all_cooling(breakers: &[Breaker], (least, most): (usize, Option<usize>)) -> bool {
    match most {
        Some(length) if length == least && length > breakers.len() => false,
        Some(length) if length == least => Breaker::all_open(&breakers[..length]),
        _ => Breaker::all_open(breakers),
    }
}

/// Whether `items` has another item, kept in `peeked` (taken from the list to know).
fn one_left<It: Iterator>(items: &mut It, peeked: &mut Option<Option<It::Item>>) -> bool {
    peeked.get_or_insert_with(|| items.next()).is_some()
}
