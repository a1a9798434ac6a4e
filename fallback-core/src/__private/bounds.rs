//! Identity helpers whose trait bounds put a mistake in a macro's input on the user's
//! token, with a message saying how to fix it; every one inlines to nothing.

use crate::attempt::Observer;
use crate::{Elapsed, Event};

/// The `observe = ..` hook, told the chain's error type. The bound is where a hook of
/// the wrong type is reported, once: the [`Hook`] it returns is an observer whatever
/// the hook is.
#[inline(always)]
pub fn observer<E, O: Fn(&Event<'_, E>)>(hook: O) -> Hook<E, O> {
    Hook {
        hook,
        call: |hook, event| hook(event),
    }
}

/// An `observe = ..` hook, checked once by [`observer`].
pub struct Hook<E, O> {
    hook: O,
    call: for<'a, 'b> fn(&'a O, &'a Event<'b, E>),
}

impl<E, O> Observer<E> for Hook<E, O> {
    #[inline(always)]
    fn observe(&self, event: &Event<'_, E>) {
        (self.call)(&self.hook, event)
    }
}

/// A timeout as the chain's error: the bound is where a missing
/// `From<fallbacks::Elapsed>` is reported, on the time option.
#[inline(always)]
pub fn elapsed_into<E: From<Elapsed>>(elapsed: Elapsed) -> E {
    E::from(elapsed)
}

/// Names the `Ok` and `Err` types of a declared return type, aliases included
/// (`io::Result<T>` is `Result<T, io::Error>`).
#[diagnostic::on_unimplemented(
    message = "a `#[fallback]` function must return `Result<T, E>`, not `{Self}`",
    label = "not a `Result`",
    note = "declare the return type as `Result<T, E>`; an alias such as `io::Result<T>` works too"
)]
pub trait FallbackResult {
    /// The success type.
    type Ok;
    /// The error type.
    type Err;
    /// `Ok(value)`.
    fn from_ok(value: Self::Ok) -> Self;
    /// `Err(error)`.
    fn from_err(error: Self::Err) -> Self;
}

impl<T, E> FallbackResult for Result<T, E> {
    type Ok = T;
    type Err = E;

    #[inline(always)]
    fn from_ok(value: T) -> Self {
        Ok(value)
    }

    #[inline(always)]
    fn from_err(error: E) -> Self {
        Err(error)
    }
}

/// `Ok(value)` as the declared return type `R`. The bound sits on `R`, not on the
/// argument, so that a return type that is not a `Result` is reported on that type.
#[inline(always)]
pub fn ok<R: FallbackResult<Ok = T>, T>(value: T) -> R {
    R::from_ok(value)
}

/// `Err(error)` as the declared return type `R` (see [`ok`]).
#[inline(always)]
pub fn err<R: FallbackResult<Err = E>, E>(error: E) -> R {
    R::from_err(error)
}

/// What one attempt produced. Only `Result` implements it; the bound turns "an
/// alternative that does not return a `Result`" into an error on that alternative.
#[diagnostic::on_unimplemented(
    message = "this alternative produces `{Self}`, which is not a `Result`",
    label = "expected a `Result<T, E>`",
    note = "every alternative must produce `Result<T, E>` (if it is a future from an `async` alternative, the chain is a plain `fn`: declare it `async fn`)"
)]
pub trait Outcome {
    /// The success type.
    type Ok;
    /// The error type.
    type Err;
    /// The attempt's result.
    fn into_result(self) -> Result<Self::Ok, Self::Err>;
}

impl<T, E> Outcome for Result<T, E> {
    type Ok = T;
    type Err = E;

    #[inline(always)]
    fn into_result(self) -> Result<T, E> {
        self
    }
}

/// The result of one attempt, checked to be a `Result`. (`T` and `E` are parameters of
/// their own so that an attempt that is not a `Result` fails one bound, not several.)
#[inline(always)]
pub fn outcome<T, E, R: Outcome<Ok = T, Err = E>>(attempt: R) -> Result<T, E> {
    attempt.into_result()
}

/// Asks the filter (`on = ...`) whether `error` moves on to the next alternative. The
/// check that the filter is an `impl Fn(&E) -> bool` and the call are one expression,
/// so a wrong filter is one error, on the filter. The error comes first, so that `E` is
/// the error's type when the filter is checked.
#[inline(always)]
pub fn accepts<E, F: Fn(&E) -> bool>(error: &E, filter: F) -> bool {
    filter(error)
}

/// Asks the `retry_after = ..` hint how long the service that failed with `error`
/// asked to wait. The bound is where a hint of the wrong type is reported.
#[inline(always)]
pub fn retry_after<E, H: Fn(&E) -> Option<core::time::Duration>>(
    error: &E,
    hint: H,
) -> Option<core::time::Duration> {
    hint(error)
}

/// A duration given as an expression (`timeout = self.config.timeout`), evaluated once
/// as the chain starts. The bound is where one of another type is reported.
#[inline(always)]
pub fn duration<D: IsDuration>(value: D) -> core::time::Duration {
    value.into_duration()
}

/// The type of a duration option's expression.
#[diagnostic::on_unimplemented(
    message = "a duration option takes a `std::time::Duration`, not `{Self}`",
    label = "expected a `Duration`",
    note = "convert it (`Duration::from_millis(..)`, `Duration::from_secs(..)`), or write a literal in quotes: `\"250ms\"`"
)]
pub trait IsDuration {
    /// The duration.
    fn into_duration(self) -> core::time::Duration;
}

impl IsDuration for core::time::Duration {
    #[inline(always)]
    fn into_duration(self) -> core::time::Duration {
        self
    }
}

/// A count given as an expression (`retries = settings().retries`), evaluated once as
/// the chain starts. The bound is where one of another type is reported.
#[inline(always)]
pub fn count<C: IsCount>(value: C) -> u32 {
    value.into_count()
}

/// The type of a count option's expression.
#[diagnostic::on_unimplemented(
    message = "a count option takes a `u32`, not `{Self}`",
    label = "expected a `u32`",
    note = "convert it (`u32::try_from(n).unwrap_or(u32::MAX)`), or write a whole number: `retries = 2`"
)]
pub trait IsCount {
    /// The count.
    fn into_count(self) -> u32;
}

impl IsCount for u32 {
    #[inline(always)]
    fn into_count(self) -> u32 {
        self
    }
}

/// `None`, of the declared return type: returning it first fixes the return type of the
/// block a body used as the primary runs in. Never `Some`.
#[inline(always)]
pub fn no_value<R>() -> Option<R> {
    None
}

/// Runs a body used as the primary of a non-`async` function; `return` inside it
/// returns from the body only.
#[inline(always)]
pub fn run_body<R>(body: impl FnOnce() -> R) -> R {
    body()
}

/// Defines `callN(closure, a1, ..., aN)`: calls a closure alternative with the
/// function's arguments. Passing the closure through an `FnOnce(A1, ..)` bound lets the
/// compiler infer its parameter types from the arguments (`|prompt| prompt.len()`) and
/// keeps an annotated one (`|prompt: &str| async move { .. }`) from being made generic
/// over the reference's lifetime, which would forbid returning a future that borrows it.
macro_rules! call_with {
    ($($name:ident($($arg:ident: $ty:ident),*);)*) => {$(
        #[doc(hidden)]
        #[inline(always)]
        // One parameter per argument of the user's function: as many as it has.
        #[allow(clippy::too_many_arguments)]
        pub fn $name<F, $($ty,)* R>(alternative: F, $($arg: $ty),*) -> R
        where
            F: FnOnce($($ty),*) -> R,
        {
            alternative($($arg),*)
        }
    )*};
}

call_with! {
    call0();
    call1(a1: A1);
    call2(a1: A1, a2: A2);
    call3(a1: A1, a2: A2, a3: A3);
    call4(a1: A1, a2: A2, a3: A3, a4: A4);
    call5(a1: A1, a2: A2, a3: A3, a4: A4, a5: A5);
    call6(a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6);
    call7(a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7);
    call8(a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8);
    call9(a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9);
    call10(a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9, a10: A10);
    call11(a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9, a10: A10, a11: A11);
    call12(a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9, a10: A10, a11: A11, a12: A12);
}

/// The most parameters a closure alternative gets through a `callN` helper; one with
/// more is called directly (and then needs its parameter types written out).
pub const MAX_CLOSURE_ARITY: usize = 12;

/// A copy of an owned argument for an attempt that is not the last one.
#[diagnostic::on_unimplemented(
    message = "`{Self}` must be `Clone` to be passed to more than one alternative",
    label = "an owned argument is cloned for every attempt but the last",
    note = "derive or implement `Clone` for it, or take it by reference (`&{Self}`)"
)]
pub trait CloneArg: Sized {
    /// The copy.
    fn clone_arg(&self) -> Self;
}

impl<T: Clone> CloneArg for T {
    #[inline(always)]
    fn clone_arg(&self) -> Self {
        self.clone()
    }
}

/// A `Health` for a chain of `N` alternatives: only `Health<N>` is one. The bound is
/// where a health of another count is reported, with the count to write.
#[diagnostic::on_unimplemented(
    message = "`health = ..` is a `{Self}`, and the chain has {N} alternatives: give it a `fallbacks::Health<{N}>`",
    label = "a `Health<{N}>` is needed here"
)]
pub trait HealthOf<const N: usize> {
    /// The health.
    fn of(&self) -> &crate::Health<N>;
}

impl<const N: usize> HealthOf<N> for crate::Health<N> {
    #[inline(always)]
    fn of(&self) -> &crate::Health<N> {
        self
    }
}

/// The breakers of `health = ..`: a `Health` of the chain's count of alternatives
/// ([`HealthOf`] reports one of another count).
#[inline(always)]
pub fn health<const N: usize, H: HealthOf<N> + ?Sized>(
    health: &H,
) -> &[crate::__private::Breaker; N] {
    health.of().breakers()
}

/// A stream chain's `health = ..`: a `Health` of the chain's count of alternatives,
/// as [`health`] checks for the other chains.
#[inline(always)]
pub fn stream_health<const N: usize, H: HealthOf<N> + ?Sized>(health: &H) -> &crate::Health<N> {
    health.of()
}

/// A caught panic as the chain's error: the bound is where a missing
/// `From<fallbacks::Panicked>` is reported, on `catch_panic`.
#[inline(always)]
pub fn panicked_into<E: From<crate::Panicked>>(panicked: crate::Panicked) -> E {
    E::from(panicked)
}

/// A rejected answer as the chain's error: the bound is where a missing
/// `From<fallbacks::Rejected>` is reported, on `reject`.
#[inline(always)]
pub fn rejected_into<E: From<crate::Rejected>>() -> E {
    E::from(crate::Rejected)
}

/// Asks the `reject = ..` predicate whether `value` is refused. The bound is where a
/// predicate of the wrong type is reported.
#[inline(always)]
pub fn rejects<T, F: Fn(&T) -> bool>(value: &T, reject: F) -> bool {
    reject(value)
}

/// What a plain `fn`'s attempt is: `(&attempt).attempt_kind()` finds [`Produced`] for
/// anything but a future (a `Result`, or a mistake [`outcome`] reports on the
/// alternative) and [`Awaitable`] for a future, which a plain `fn` cannot await. The
/// traits are found by method resolution, in this order (autoref specialization).
pub trait FutureKind {
    /// A future: the function must be `async`.
    #[inline(always)]
    fn attempt_kind(&self) -> Awaitable {
        Awaitable
    }
}

impl<F: core::future::Future> FutureKind for F {}

/// See [`FutureKind`].
pub trait ProducedKind {
    /// Anything that is not a future.
    #[inline(always)]
    fn attempt_kind(&self) -> Produced {
        Produced
    }
}

impl<R> ProducedKind for &R {}

/// An attempt in a plain `fn` that produced its value.
pub struct Produced;

impl Produced {
    /// The attempt, unchanged.
    #[inline(always)]
    pub fn in_sync_fn<R>(self, attempt: R, _: SyncFn) -> R {
        attempt
    }
}

/// An attempt in a plain `fn` that produced a future.
pub struct Awaitable;

impl Awaitable {
    /// Never compiles: the bound on `M` is where a plain `fn` with an `async`
    /// alternative is told to be `async`, on its `fn` token. Every such alternative
    /// fails it with the same message at the same place, which the compiler reports
    /// once.
    pub fn in_sync_fn<F: core::future::Future, M: NeedsAsync>(self, _: F, _: M) -> F::Output {
        unreachable!("`NeedsAsync` has no implementations")
    }
}

/// The plain `fn` a `#[fallback]` attempt runs in.
#[derive(Clone, Copy)]
pub struct SyncFn;

/// Implemented by nothing: see [`Awaitable::in_sync_fn`].
#[diagnostic::on_unimplemented(
    message = "this `fn` calls an `async` alternative: declare it `async fn`",
    label = "write `async fn` here",
    note = "an `async` alternative produces a future, which only an `async fn` can await"
)]
pub trait NeedsAsync {}
