//! [`Hedge`]: start the rest of a chain alongside an attempt that is slow to answer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::attempt::Attempt;
use crate::clock::{delay, Delay};

pin_project_lite::pin_project! {
    /// Runs `first`; if it has not answered after `delay`, or has failed with an error
    /// the filter lets move on, starts `rest` (the rest of the chain) alongside it. The
    /// first `Ok` wins and the other attempt is dropped; an error the filter rejects
    /// ends the chain at once; when both fail, the error of `rest` (the later
    /// alternative's) is returned. Nested, `Hedge(a, || Hedge(b, || c))` hedges a whole
    /// chain without boxing: each level starts the next only when its time comes.
    ///
    /// With the chain's deadline (`until`): when one side ends the chain with an error
    /// that stops it and the deadline has passed, the other side's try in flight is
    /// polled once more, so that it too sees the deadline and is reported failed, as
    /// every try the deadline cuts is (if it serves at that instant, its value wins).
    /// The chain's error stays the one that stopped it.
    #[doc(hidden)]
    pub struct Hedge<A, R, F, P, E, D = NoDeadline> {
        #[pin]
        first: Option<A>,
        #[pin]
        rest: Option<R>,
        start_rest: Option<F>,
        #[pin]
        delay: Delay,
        filter: P,
        // The error of `rest`, kept while `first` is still running.
        rest_error: Option<E>,
        deadline: D,
    }
}

/// A hedged alternative's attempt record, in the code the macros write: when the
/// alternative is dropped with a try in flight (the attempt alongside ended the chain,
/// or the chain was dropped), `cancel` reports that try `Cancelled`
/// ([`Attempt::cancel`](crate::attempt::Attempt::cancel)).
#[doc(hidden)]
pub struct Leaf<C: FnMut(&mut Attempt)> {
    attempt: Attempt,
    cancel: C,
}

impl<C: FnMut(&mut Attempt)> Leaf<C> {
    /// `attempt`, reported by `cancel` if dropped in flight.
    #[inline]
    pub fn new(attempt: Attempt, cancel: C) -> Self {
        Leaf { attempt, cancel }
    }
}

impl<C: FnMut(&mut Attempt)> std::ops::Deref for Leaf<C> {
    type Target = Attempt;

    #[inline(always)]
    fn deref(&self) -> &Attempt {
        &self.attempt
    }
}

impl<C: FnMut(&mut Attempt)> std::ops::DerefMut for Leaf<C> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut Attempt {
        &mut self.attempt
    }
}

impl<C: FnMut(&mut Attempt)> Drop for Leaf<C> {
    fn drop(&mut self) {
        // A panic propagates, unreported (the user's hook is not called while unwinding).
        if std::thread::panicking() {
            return;
        }
        // A no-op when no try is in flight (the alternative ended) or nothing listens.
        (self.cancel)(&mut self.attempt);
    }
}

/// Whether a hedged chain's deadline has passed: see [`Hedge`].
#[doc(hidden)]
pub trait Deadline {
    /// It has.
    fn passed(&self) -> bool;

    /// The chain ends with an error that stops it; if the deadline has passed, the
    /// `other` try still in flight is polled once, so that it too sees the deadline and
    /// is reported (it ends there). Its value if it served at that instant; its error is
    /// dropped: the chain's is the one that stopped it (both are the deadline's when
    /// the deadline cut them both).
    #[inline]
    fn cut<T, E, O: Future<Output = Result<T, E>>>(
        &self,
        mut other: Pin<&mut Option<O>>,
        cx: &mut Context<'_>,
    ) -> Option<T> {
        if !self.passed() {
            return None;
        }
        let polled = other.as_mut().as_pin_mut()?.poll(cx);
        match polled {
            Poll::Ready(outcome) => {
                other.set(None);
                outcome.ok()
            }
            Poll::Pending => None,
        }
    }
}

/// A hedged chain without a deadline.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct NoDeadline;

impl Deadline for NoDeadline {
    #[inline(always)]
    fn passed(&self) -> bool {
        false
    }
}

impl<D: Fn() -> bool> Deadline for D {
    #[inline]
    fn passed(&self) -> bool {
        self()
    }
}

impl<A, R, F, P, T, E> Hedge<A, R, F, P, E>
where
    A: Future<Output = Result<T, E>>,
    R: Future<Output = Result<T, E>>,
    F: FnOnce() -> R,
    P: Fn(&E) -> bool,
{
    /// `first` now, `rest` after `delay` or after `first` fails.
    pub fn new(delay: Duration, filter: P, first: A, rest: F) -> Self {
        Hedge {
            first: Some(first),
            rest: None,
            start_rest: Some(rest),
            delay: self::delay(delay),
            filter,
            rest_error: None,
            deadline: NoDeadline,
        }
    }

    /// The same, under the chain's deadline: `passed` says whether it has passed.
    pub fn until<D: Fn() -> bool>(self, passed: D) -> Hedge<A, R, F, P, E, D> {
        Hedge {
            first: self.first,
            rest: self.rest,
            start_rest: self.start_rest,
            delay: self.delay,
            filter: self.filter,
            rest_error: self.rest_error,
            deadline: passed,
        }
    }
}

impl<A, R, F, P, T, E, D> Future for Hedge<A, R, F, P, E, D>
where
    A: Future<Output = Result<T, E>>,
    R: Future<Output = Result<T, E>>,
    F: FnOnce() -> R,
    P: Fn(&E) -> bool,
    D: Deadline,
{
    type Output = Result<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, E>> {
        let mut this = self.project();
        // The first attempt, while it runs.
        if let Some(first) = this.first.as_mut().as_pin_mut() {
            match first.poll(cx) {
                Poll::Ready(Ok(value)) => return Poll::Ready(Ok(value)),
                Poll::Ready(Err(error)) => {
                    this.first.set(None);
                    if !(this.filter)(&error) {
                        // Past the deadline, `rest`'s try in flight ends too.
                        if let Some(value) = this.deadline.cut(this.rest.as_mut(), cx) {
                            return Poll::Ready(Ok(value));
                        }
                        return Poll::Ready(Err(error));
                    }
                    if let Some(rest_error) = this.rest_error.take() {
                        // Both failed: the later alternative's error.
                        return Poll::Ready(Err(rest_error));
                    }
                    if this.rest.is_none() && this.start_rest.is_none() {
                        return Poll::Ready(Err(error));
                    }
                }
                Poll::Pending => {}
            }
        }
        // The rest of the chain: started after the delay, or at once if `first` failed.
        if this.rest.is_none() {
            let first_running = this.first.is_some();
            if first_running && this.delay.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            if let Some(start) = this.start_rest.take() {
                this.rest.set(Some(start()));
            }
        }
        if let Some(rest) = this.rest.as_mut().as_pin_mut() {
            match rest.poll(cx) {
                Poll::Ready(Ok(value)) => return Poll::Ready(Ok(value)),
                Poll::Ready(Err(error)) => {
                    this.rest.set(None);
                    if this.first.is_none() || !(this.filter)(&error) {
                        // Past the deadline, `first`'s try in flight ends too.
                        if let Some(value) = this.deadline.cut(this.first.as_mut(), cx) {
                            return Poll::Ready(Ok(value));
                        }
                        return Poll::Ready(Err(error));
                    }
                    // `first` may still serve: wait for it.
                    *this.rest_error = Some(error);
                }
                Poll::Pending => {}
            }
        }
        Poll::Pending
    }
}
