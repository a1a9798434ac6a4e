//! [`Sink`]: where the errors of a chain go as its attempts fail.

use crate::Failure;

/// Where the errors of a chain go as its attempts fail.
pub trait Sink<E> {
    /// What the chain keeps of an error that ends an alternative's tries.
    type Kept;
    /// The chain's error, made from the last one kept.
    type Failed;

    /// A try failed and is retried.
    fn retried(&mut self, alternative: &'static str, index: usize, error: E);
    /// An alternative's tries ended with `error`.
    fn keep(&mut self, alternative: &'static str, index: usize, error: E) -> Self::Kept;
    /// The chain's error, from the last kept.
    fn fail(&mut self, last: Self::Kept, alternatives: usize) -> Self::Failed;
    /// Failed tries so far, retries included (for `Served`).
    fn failed(&self) -> usize;
}

/// Keeps only the last error: a chain that returns `Result<T, E>`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Discard;

impl<E> Sink<E> for Discard {
    type Kept = E;
    type Failed = E;

    #[inline(always)]
    fn retried(&mut self, _: &'static str, _: usize, _: E) {}

    #[inline(always)]
    fn keep(&mut self, _: &'static str, _: usize, error: E) -> E {
        error
    }

    #[inline(always)]
    fn fail(&mut self, last: E, _: usize) -> E {
        last
    }

    #[inline(always)]
    fn failed(&self) -> usize {
        0
    }
}

/// [`Discard`], counting the failures: a chain that returns `Served`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally(pub usize);

impl<E> Sink<E> for Tally {
    type Kept = E;
    type Failed = E;

    #[inline(always)]
    fn retried(&mut self, _: &'static str, _: usize, _: E) {
        self.0 += 1;
    }

    #[inline(always)]
    fn keep(&mut self, _: &'static str, _: usize, error: E) -> E {
        self.0 += 1;
        error
    }

    #[inline(always)]
    fn fail(&mut self, last: E, _: usize) -> E {
        last
    }

    #[inline(always)]
    fn failed(&self) -> usize {
        self.0
    }
}

/// Every error, in order: a chain that returns `AllFailed`. What it keeps of an
/// alternative's last error is its position, where `err =>` finds it.
#[derive(Debug)]
pub struct Collected<E>(Vec<Failure<E>>);

impl<E> Default for Collected<E> {
    fn default() -> Self {
        Collected(Vec::new())
    }
}

impl<E> Collected<E> {
    /// The error kept at `at`.
    pub fn error(&self, at: usize) -> &E {
        self.0[at].error()
    }
}

impl<E> Sink<E> for Collected<E> {
    type Kept = usize;
    type Failed = crate::AllFailed<E>;

    fn retried(&mut self, alternative: &'static str, index: usize, error: E) {
        self.0.push(Failure::new(alternative, index, error));
    }

    fn keep(&mut self, alternative: &'static str, index: usize, error: E) -> usize {
        self.0.push(Failure::new(alternative, index, error));
        self.0.len() - 1
    }

    fn fail(&mut self, _: usize, alternatives: usize) -> crate::AllFailed<E> {
        crate::AllFailed::from_parts(std::mem::take(&mut self.0), alternatives)
    }

    fn failed(&self) -> usize {
        self.0.len()
    }
}

/// Every error of a hedged chain, whose alternatives run at once and each add theirs.
impl<E> Sink<E> for &crate::__private::Failures<E> {
    type Kept = ();
    type Failed = ();

    fn retried(&mut self, alternative: &'static str, index: usize, error: E) {
        self.push(Failure::new(alternative, index, error));
    }

    fn keep(&mut self, alternative: &'static str, index: usize, error: E) {
        self.push(Failure::new(alternative, index, error));
    }

    fn fail(&mut self, _: (), _: usize) {}

    fn failed(&self) -> usize {
        0
    }
}
