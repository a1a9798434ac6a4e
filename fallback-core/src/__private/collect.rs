//! Where a chain's errors go: `AllFailed` built once, the hedged chain's shared list,
//! and errors dropped unconverted.

use crate::trace::{Ended, Trace};
use crate::{AllFailed, Failure};

/// Builds the error of a chain with time options, whose failures are counted as they
/// come (retries make their number known only at run time). Never empty: a failure is
/// pushed before it is called.
#[inline]
pub fn all_failed_from<E>(alternatives: usize, failures: Vec<Failure<E>>) -> AllFailed<E> {
    debug_assert!(!failures.is_empty());
    AllFailed::from_parts(failures, alternatives)
}

/// The errors of a hedged chain that returns `AllFailed`, in the order they happen: its
/// alternatives run at the same time, each adding its own.
#[derive(Debug)]
pub struct Failures<E>(std::sync::Mutex<Vec<Failure<E>>>);

impl<E> Failures<E> {
    /// None yet.
    #[inline]
    pub fn new() -> Self {
        Failures(std::sync::Mutex::new(Vec::new()))
    }

    /// One more. (A lock never held across anything that can panic: no poisoning.)
    pub fn push(&self, failure: Failure<E>) {
        let mut failures = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        failures.push(failure);
    }

    /// All of them.
    pub fn into_vec(self) -> Vec<Failure<E>> {
        self.0
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<E> Default for Failures<E> {
    fn default() -> Self {
        Self::new()
    }
}

/// Builds the error of a chain whose alternatives all failed (or whose filter stopped
/// it): the only allocation a chain ever makes, and exactly one.
#[inline]
pub fn all_failed<E, const N: usize>(
    alternatives: usize,
    failures: [Failure<E>; N],
) -> AllFailed<E> {
    const { assert!(N > 0, "an AllFailed holds at least one failure") };
    AllFailed::from_parts(Vec::from(failures), alternatives)
}

/// An alternative's error, to be converted into the chain's error type:
/// `Convert(error).into_chain::<E>()`.
///
/// A method on the error's own type, not a function generic over both: the error's type
/// is then read from the error before the bound is checked, so that a missing
/// conversion is reported as the `From` impl to write (`MyError: From<OtherError>` is
/// not satisfied), not as a mismatched type. A plain `From` bound still: when the
/// error's type is unknown (a closure returning `Ok(..)`), the reflexive `From<E> for E`
/// lets the compiler infer it as `E`.
pub struct Convert<Ei>(pub Ei);

impl<Ei> Convert<Ei> {
    /// The error, as the chain's.
    #[inline(always)]
    pub fn into_chain<E>(self) -> E
    where
        E: From<Ei>,
    {
        E::from(self.0)
    }
}

/// Drops an error that nothing will see (no filter, and not the last attempt) without
/// paying for its conversion, which is still checked to exist — unless a `tracing`
/// subscriber listens: then the error is converted for `show` to display it in the
/// attempt's event (see [`Trace`]).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn discard<E, Ei, S>(
    error: Ei,
    trace: Trace,
    chain: &'static str,
    alternative: &'static str,
    index: usize,
    attempt: u32,
    show: S,
) where
    E: From<Ei>,
    S: for<'e> FnOnce(&'e E) -> Ended<'e>,
{
    trace.failed_into(chain, alternative, index, attempt, error, show);
}

/// [`discard`] in a chain that reports nothing to `tracing` (the macros' code without
/// the `tracing` feature): the error is dropped, its conversion still checked to exist,
/// so that turning the feature on cannot break the build.
#[inline(always)]
pub fn discard_untraced<E, Ei>(error: Ei)
where
    E: From<Ei>,
{
    drop(error);
}
