//! Inference witnesses for `fallback_chain!`, whose operands' types are not declared:
//! [`Agree`] and its traits, and the [`StandIn`] of a chain with a mistake.

use core::future::Future;

use crate::attempt::{Sink, Unobserved};
use crate::{Elapsed, Event};

/// Stands in for a `fallback_chain!` whose input has a mistake: a future of any output
/// type, so that the code around the macro type-checks and the mistake gives one error.
/// It is never polled: the program does not compile.
pub struct StandIn<T>(core::marker::PhantomData<fn() -> T>);

impl<T> StandIn<T> {
    /// The stand-in.
    pub fn new() -> Self {
        StandIn(core::marker::PhantomData)
    }
}

impl<T> Default for StandIn<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Future for StandIn<T> {
    type Output = T;

    fn poll(
        self: core::pin::Pin<&mut Self>,
        _: &mut core::task::Context<'_>,
    ) -> core::task::Poll<T> {
        unreachable!("a program with a `fallback_chain!` mistake does not compile")
    }
}

/// Makes the operands of a `fallback_chain!` agree on their `Ok` type `T` and, when no
/// `error = ..` is given, on their error type `E`. Every value passes through it: the
/// first operand's values define `T` and `E` (plain parameters, so inference flows both
/// ways); a later operand's are checked with the chain's type as the `Self` of the
/// bound, so that one whose type is still unknown (`async { Ok(default()) }`) is inferred
/// from it, and one of another type is an error on that operand that says what to do.
/// A zero-sized value that compiles to nothing.
pub struct Agree<T, E>(core::marker::PhantomData<fn() -> (T, E)>);

impl<T, E> Agree<T, E> {
    /// The witness.
    #[inline(always)]
    pub fn new() -> Self {
        Agree(core::marker::PhantomData)
    }

    /// The first operand's success: defines `T`.
    #[inline(always)]
    pub fn first_ok(&self, value: T) -> T {
        value
    }

    /// The first operand's error: defines `E`.
    #[inline(always)]
    pub fn first_error(&self, error: E) -> E {
        error
    }

    /// A later operand's success.
    #[inline(always)]
    pub fn ok<Ti>(&self, value: Ti) -> T
    where
        T: SameOk<Ti>,
    {
        T::same(value)
    }

    /// A later operand's error, kept.
    #[inline(always)]
    pub fn error<Ei>(&self, error: Ei) -> E
    where
        E: SameError<Ei>,
    {
        E::same(error)
    }

    /// A timeout as the chain's error.
    #[inline(always)]
    pub fn elapsed(&self, elapsed: Elapsed) -> E
    where
        E: From<Elapsed>,
    {
        E::from(elapsed)
    }

    /// A caught panic as the chain's error.
    #[inline(always)]
    pub fn panicked(&self, panicked: crate::Panicked) -> E
    where
        E: From<crate::Panicked>,
    {
        E::from(panicked)
    }

    /// A rejected answer as the chain's error.
    #[inline(always)]
    pub fn rejected(&self) -> E
    where
        E: From<crate::Rejected>,
    {
        E::from(crate::Rejected)
    }

    /// No observer, of the chain's error type.
    #[inline(always)]
    pub fn unobserved(&self) -> Unobserved<E> {
        Unobserved::new()
    }

    /// The chain's error, made by `sink` from the last error it kept.
    #[inline(always)]
    pub fn fail<K: Sink<E>>(&self, sink: &mut K, kept: K::Kept, alternatives: usize) -> K::Failed {
        sink.fail(kept, alternatives)
    }

    /// The `observe = ..` hook, told the chain's error type.
    #[inline(always)]
    pub fn observer<O: Fn(&Event<'_, E>)>(&self, hook: O) -> super::Hook<E, O> {
        super::observer(hook)
    }

    /// An `async { .. }` operand, told its output type, so that a type its body leaves
    /// open (`async { Ok(default()) }`) is inferred as the chain's.
    #[inline(always)]
    pub fn expect<F: Future<Output = Result<T, E>>>(&self, operand: F) -> F {
        operand
    }

    /// An `async { .. }` operand, told its `Ok` type (its error type is converted).
    #[inline(always)]
    pub fn expect_ok<Ei, F: Future<Output = Result<T, Ei>>>(&self, operand: F) -> F {
        operand
    }
}

/// Never constructed. Its impls of [`SameOk`] and [`SameError`] make the compiler read
/// an operand's type from the operand before it checks the bound, instead of taking it
/// from the only impl there would otherwise be: a different type is then reported with
/// those traits' messages, on the operand.
pub struct NotAType<T>(core::marker::PhantomData<T>);

impl<T, E> Default for Agree<T, E> {
    fn default() -> Self {
        Self::new()
    }
}

/// An operand's `Ok` type `Ti` is the chain's (`Self`).
#[diagnostic::on_unimplemented(
    message = "this operand succeeds with `{Ti}`, but the first one with `{Self}`",
    label = "expected `Result<{Self}, _>`",
    note = "every operand of a chain must succeed with the same type"
)]
pub trait SameOk<Ti> {
    /// The value, as the chain's.
    fn same(value: Ti) -> Self;
}

impl<T> SameOk<T> for T {
    #[inline(always)]
    fn same(value: T) -> T {
        value
    }
}

impl<T> SameOk<NotAType<T>> for T {
    fn same(_: NotAType<T>) -> T {
        unreachable!("NotAType is never constructed")
    }
}

/// An operand's error type `Ei` is the chain's (`Self`).
#[diagnostic::on_unimplemented(
    message = "this operand fails with `{Ei}`, but the first one with `{Self}`",
    label = "expected `Result<_, {Self}>`",
    note = "the operands of a chain must fail with one error type, or the chain must name the type to convert every error into: add `error = YourError` (with `From` for each operand's error)"
)]
pub trait SameError<Ei> {
    /// The error, as the chain's.
    fn same(error: Ei) -> Self;
}

impl<E> SameError<E> for E {
    #[inline(always)]
    fn same(error: E) -> E {
        error
    }
}

impl<E> SameError<NotAType<E>> for E {
    fn same(_: NotAType<E>) -> E {
        unreachable!("NotAType is never constructed")
    }
}
