//! The pieces of a [`TryEach`](super::TryEach)'s type that its options change: how a
//! timeout becomes the error, how an item reaches the closure, what an empty list fails
//! with, how items are named, where their health is.

use crate::attempt::Policy;
use crate::Elapsed;

use super::TryEachError;

/// No time limit is set, so no timeout ever needs to become an error.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoClock;

/// How a chain with `timeout` or `deadline` makes its error from [`Elapsed`].
pub type ToError<E> = fn(Elapsed) -> E;

/// Turns a timeout into the chain's error `E`.
pub trait ElapsedInto<E> {
    /// The conversion.
    fn elapsed_into(&self, elapsed: Elapsed) -> E;
}

impl<E> ElapsedInto<E> for NoClock {
    fn elapsed_into(&self, _: Elapsed) -> E {
        unreachable!(
            "no time limit is set without `timeout` or `deadline`, which set the conversion"
        )
    }
}

impl<E> ElapsedInto<E> for fn(Elapsed) -> E {
    fn elapsed_into(&self, elapsed: Elapsed) -> E {
        self(elapsed)
    }
}

/// How an item reaches the closure: [`Moved`] (one call per item, the default) or
/// [`Cloned`] (with `retries`: a clone per try).
pub trait Reuse<Item> {
    /// The item for the next call; `None` when it cannot be called again.
    fn give(item: &mut Option<Item>, again: bool) -> Option<Item>;
}

/// Each item is moved into its one call.
#[derive(Debug, Clone, Copy, Default)]
pub struct Moved;

impl<Item> Reuse<Item> for Moved {
    #[inline]
    fn give(item: &mut Option<Item>, _: bool) -> Option<Item> {
        item.take()
    }
}

/// Each try gets a clone of the item, the last one the item itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cloned;

impl<Item: Clone> Reuse<Item> for Cloned {
    #[inline]
    fn give(item: &mut Option<Item>, again: bool) -> Option<Item> {
        if again {
            item.clone()
        } else {
            item.take()
        }
    }
}

/// What an empty list fails with.
pub trait Empty<E> {
    /// The chain's error type.
    type Error;
    /// Whether it collects every error (then the chain tells it the list's length).
    const COLLECTS: bool = false;
    /// The error of an empty list.
    fn empty(self) -> Self::Error;
    /// The error of the item at `index`, named `alternative`.
    fn failed(error: E, index: usize, alternative: &'static str) -> Self::Error;

    /// The error of one item on its own, named `alternative`, of a chain of (at least)
    /// `alternatives` items: what a restarting stream's discard marker announces.
    /// [`Empty::failed`] unless collecting.
    #[inline(always)]
    fn announce(
        &mut self,
        error: E,
        index: usize,
        alternative: &'static str,
        alternatives: usize,
    ) -> Self::Error {
        let _ = alternatives;
        Self::failed(error, index, alternative)
    }

    /// An error the chain does not end with (a retried try's, or an earlier item's):
    /// dropped, unless the chain collects every error ([`Collect`](super::Collect)).
    #[inline(always)]
    fn set_aside(&mut self, alternative: &'static str, index: usize, error: E) {
        let _ = (alternative, index, error);
    }

    /// Where the chain's last error came from (the item at `index`, named
    /// `alternative`), for a chain that keeps only the error itself: a collecting
    /// chain needs it to set that error aside when a later item's comes. Nothing
    /// unless collecting.
    #[doc(hidden)]
    #[inline(always)]
    fn keep_at(&mut self, index: usize, alternative: &'static str) {
        let _ = (index, alternative);
    }

    /// What [`keep_at`](Empty::keep_at) kept.
    #[doc(hidden)]
    #[inline(always)]
    fn kept_at(&self) -> (usize, &'static str) {
        (0, "item")
    }

    /// The chain's error, from the one it ends with (of the item at `index`, named
    /// `alternative`, in a chain of at least `alternatives` items): [`Empty::failed`],
    /// unless the chain collects every error.
    #[inline(always)]
    fn finish(
        self,
        error: E,
        index: usize,
        alternative: &'static str,
        alternatives: usize,
    ) -> Self::Error
    where
        Self: Sized,
    {
        let _ = alternatives;
        Self::failed(error, index, alternative)
    }
}

/// [`TryEachError::NoItems`]; the chain fails with [`TryEachError`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NoItems;

impl<E> Empty<E> for NoItems {
    type Error = TryEachError<E>;

    fn empty(self) -> TryEachError<E> {
        TryEachError::NoItems
    }

    fn failed(error: E, index: usize, name: &'static str) -> TryEachError<E> {
        TryEachError::Failed { error, index, name }
    }
}

/// How a chain names its items in events, traces and [`Served`](crate::Served):
/// `"item"` unless [`name`](super::TryEach::name) says.
pub trait Names<Item> {
    /// Whether items have names of their own: without, every item is `"item"`.
    #[doc(hidden)]
    const NAMED: bool = true;

    /// The name of `item`.
    fn name(&self, item: &Item) -> &'static str;
}

/// Every item is `"item"`; its index says which.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unnamed;

impl<Item> Names<Item> for Unnamed {
    const NAMED: bool = false;

    #[inline(always)]
    fn name(&self, _: &Item) -> &'static str {
        "item"
    }
}

impl<Item, M: Fn(&Item) -> &'static str> Names<Item> for M {
    #[inline(always)]
    fn name(&self, item: &Item) -> &'static str {
        self(item)
    }
}

/// Where a chain's items' health is, for `cooldown`: [`NoHealth`], or a
/// [`Health`](crate::Health) or a [`ListHealth`](crate::ListHealth) of the caller's (an
/// item past its count is not tracked).
pub trait Breakers {
    /// Whether any item is tracked: without, nothing cools and nothing is skipped.
    #[doc(hidden)]
    const TRACKS: bool = true;

    /// The policy a chain of one item at a time without a time option keeps: none
    /// without health (nothing in it applies), else the cooldown's.
    #[doc(hidden)]
    type Kept: KeptPolicy;

    /// The breakers, one per item from the first.
    fn breakers(&self) -> &[crate::__private::Breaker];
}

/// No cooldown: no item is ever skipped.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHealth;

impl Breakers for NoHealth {
    const TRACKS: bool = false;
    type Kept = Defaults;

    #[inline(always)]
    fn breakers(&self) -> &[crate::__private::Breaker] {
        &[]
    }
}

impl Breakers for &crate::ListHealth {
    type Kept = Policy;
    #[inline(always)]
    fn breakers(&self) -> &[crate::__private::Breaker] {
        crate::ListHealth::breakers(self)
    }
}

impl<const K: usize> Breakers for &crate::Health<K> {
    type Kept = Policy;
    #[inline(always)]
    fn breakers(&self) -> &[crate::__private::Breaker] {
        crate::Health::breakers(self)
    }
}

/// The error [`when_empty`](super::TryEach::when_empty) makes; the chain fails with `E`.
#[derive(Debug, Clone, Copy)]
pub struct WhenEmpty<G>(pub(super) G);

impl<E, G: FnOnce() -> E> Empty<E> for WhenEmpty<G> {
    type Error = E;

    fn empty(self) -> E {
        (self.0)()
    }

    fn failed(error: E, _: usize, _: &'static str) -> E {
        error
    }
}

/// The policy a chain keeps ([`Breakers::Kept`]): all of it, or [`Defaults`].
#[doc(hidden)]
pub trait KeptPolicy {
    /// What is kept of the chain's `policy`.
    fn keep(policy: Policy) -> Self;
    /// The policy.
    fn get(&self) -> &Policy;
}

impl KeptPolicy for Policy {
    #[inline(always)]
    fn keep(policy: Policy) -> Self {
        policy
    }

    #[inline(always)]
    fn get(&self) -> &Policy {
        self
    }
}

/// Nothing kept: the defaults stand in (no field to fill as the chain starts).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, Default)]
pub struct Defaults;

impl KeptPolicy for Defaults {
    #[inline(always)]
    fn keep(_: Policy) -> Self {
        Defaults
    }

    #[inline(always)]
    fn get(&self) -> &Policy {
        const DEFAULTS: Policy = Policy::new();
        &DEFAULTS
    }
}
