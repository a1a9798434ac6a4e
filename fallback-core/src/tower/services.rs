//! The services a [`Fallback`](super::Fallback) tries in order: a tuple of services of
//! one request, response and error type, or an array of one service type. A call of
//! service `i` is one variant of an enum of the services' own futures: nothing boxed.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use tower_service::Service;

/// Services tried in order, by position: `(A, B)`, `(A, B, C)`, up to eight, or
/// `[S; N]`.
pub trait Services<Req>: Clone {
    /// What every service answers.
    type Response;
    /// How every service fails.
    type Error;
    /// A call of one of them.
    type Future: Future<Output = Result<Self::Response, Self::Error>>;

    /// How many services there are.
    fn count(&self) -> usize;

    /// Service `index`'s readiness (`index < count()`).
    fn poll_ready_at(
        &mut self,
        index: usize,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Self::Error>>;

    /// Calls service `index`, made ready by [`Services::poll_ready_at`].
    fn call_at(&mut self, index: usize, request: Req) -> Self::Future;
}

impl<Req, S: Service<Req> + Clone, const N: usize> Services<Req> for [S; N] {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    #[inline]
    fn count(&self) -> usize {
        const { assert!(N > 0, "a FallbackLayer needs at least one service") };
        N
    }

    #[inline]
    fn poll_ready_at(&mut self, index: usize, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        const { assert!(N > 0, "a FallbackLayer needs at least one service") };
        self[index].poll_ready(cx)
    }

    #[inline]
    fn call_at(&mut self, index: usize, request: Req) -> S::Future {
        self[index].call(request)
    }
}

macro_rules! tuple {
    ($call:ident, $proj:ident, $count:literal: $($service:ident $index:tt),+) => {
        pin_project_lite::pin_project! {
            /// A call of one service of a tuple.
            #[project = $proj]
            #[doc(hidden)]
            pub enum $call<$($service),+> {
                $($service { #[pin] future: $service },)+
            }
        }

        impl<R, E, $($service),+> Future for $call<$($service),+>
        where
            $($service: Future<Output = Result<R, E>>,)+
        {
            type Output = Result<R, E>;

            #[inline]
            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
                match self.project() {
                    $($proj::$service { future } => future.poll(cx),)+
                }
            }
        }

        impl<Req, R, E, $($service),+> Services<Req> for ($($service,)+)
        where
            $($service: Service<Req, Response = R, Error = E> + Clone,)+
        {
            type Response = R;
            type Error = E;
            type Future = $call<$($service::Future),+>;

            #[inline]
            fn count(&self) -> usize {
                $count
            }

            #[inline]
            fn poll_ready_at(&mut self, index: usize, cx: &mut Context<'_>) -> Poll<Result<(), E>> {
                match index {
                    $($index => self.$index.poll_ready(cx),)+
                    _ => unreachable!("a service index past the tuple"),
                }
            }

            #[inline]
            fn call_at(&mut self, index: usize, request: Req) -> Self::Future {
                match index {
                    $($index => $call::$service { future: self.$index.call(request) },)+
                    _ => unreachable!("a service index past the tuple"),
                }
            }
        }
    };
}

tuple!(Call2, Call2Proj, 2: A 0, B 1);
tuple!(Call3, Call3Proj, 3: A 0, B 1, C 2);
tuple!(Call4, Call4Proj, 4: A 0, B 1, C 2, D 3);
tuple!(Call5, Call5Proj, 5: A 0, B 1, C 2, D 3, F 4);
tuple!(Call6, Call6Proj, 6: A 0, B 1, C 2, D 3, F 4, G 5);
tuple!(Call7, Call7Proj, 7: A 0, B 1, C 2, D 3, F 4, G 5, H 6);
tuple!(Call8, Call8Proj, 8: A 0, B 1, C 2, D 3, F 4, G 5, H 6, I 7);
