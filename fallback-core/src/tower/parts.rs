//! What a [`Fallback`](super::Fallback)'s type says of its answers and its timeouts.

use crate::{Elapsed, Served};

/// What a [`Fallback`](super::Fallback) answers: the response itself ([`Plain`]) or a [`Served`]
/// ([`AsServed`], with [`FallbackLayer::served`](super::FallbackLayer::served)).
pub trait Wrap<R> {
    /// The answer's type.
    type Output;
    /// The answer, from the response of service `index`, named `name`, after `failed`
    /// failed tries.
    fn wrap(response: R, name: &'static str, index: usize, failed: usize) -> Self::Output;
}

/// The response as the service gave it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Plain;

impl<R> Wrap<R> for Plain {
    type Output = R;

    #[inline(always)]
    fn wrap(response: R, _: &'static str, _: usize, _: usize) -> R {
        response
    }
}

/// The response in a [`Served`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AsServed;

impl<R> Wrap<R> for AsServed {
    type Output = Served<R>;

    #[inline(always)]
    fn wrap(response: R, name: &'static str, index: usize, failed: usize) -> Served<R> {
        Served::new(response, name, index, failed)
    }
}

/// How a timeout becomes the services' error: never ([`NoTimeout`]), or
/// `E::from(Elapsed)` ([`Timeout`], with [`FallbackLayer::timeout`](super::FallbackLayer::timeout)).
pub trait IntoError<E> {
    /// The error.
    fn timed_out(&self, elapsed: Elapsed) -> E;
}

/// No time limit: nothing times out.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTimeout;

impl<E> IntoError<E> for NoTimeout {
    fn timed_out(&self, _: Elapsed) -> E {
        unreachable!("no call has a time limit without `timeout`")
    }
}

/// A time limit: a timeout is `E::from(Elapsed)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timeout;

impl<E: From<Elapsed>> IntoError<E> for Timeout {
    #[inline]
    fn timed_out(&self, elapsed: Elapsed) -> E {
        E::from(elapsed)
    }
}
