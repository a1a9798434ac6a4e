//! The services a [`Fallback`](super::Fallback) tries in order: a tuple of services of
//! one request, response and error type, an array of one service type, or a
//! [`ServiceList`] of one type read from configuration. A call of service `i` is one
//! variant of an enum of the services' own futures: nothing boxed.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use tower_service::Service;

/// Services tried in order, by position: `(A, B)`, `(A, B, C)`, up to eight, `[S; N]`,
/// or a [`ServiceList`].
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

/// Services of one type whose count is known only at run time (upstreams read from
/// configuration): at least one, at most `MAX` (default
/// [`TRACKED_SERVICES`](super::TRACKED_SERVICES), the count a health tracks), kept
/// inline. Every call clones the services it goes with, as for an array: a `Vec` would
/// allocate on every call, a `ServiceList` never does.
///
/// ```
/// # extern crate fallback_core as fallbacks;
/// use fallbacks::tower::{FallbackLayer, ServiceList, ServiceListError};
/// use tower::{service_fn, Layer, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // Each upstream's base URL, read from configuration.
/// let upstreams = vec!["http://10.0.0.1", "http://10.0.0.2"];
/// let clients = upstreams.iter().map(|&base| {
///     service_fn(move |path: &'static str| async move {
///         if base.ends_with(".1") { Err("down") } else { Ok(format!("{base}{path}")) }
///     })
/// });
/// let chain = FallbackLayer::new().layer(ServiceList::<_>::new(clients).unwrap());
/// assert_eq!(chain.oneshot("/health").await.unwrap(), "http://10.0.0.2/health");
///
/// // A configuration that lists none, or more than the list holds, is refused.
/// assert_eq!(ServiceList::<()>::new([]).unwrap_err(), ServiceListError::Empty);
/// let nine = ServiceList::<()>::new([(); 9]).unwrap_err();
/// assert_eq!(nine.to_string(), "more services than the 8 a ServiceList<S, 8> holds");
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ServiceList<S, const MAX: usize = 8> {
    /// The first `len` are the services, in order; the rest are `None`.
    services: [Option<S>; MAX],
    len: usize,
}

// The default room is the count a health tracks (a type error if they part).
const _: fn(ServiceList<()>) -> ServiceList<(), { super::TRACKED_SERVICES }> = |list| list;

impl<S, const MAX: usize> ServiceList<S, MAX> {
    /// The services of `services`, in order.
    ///
    /// # Errors
    ///
    /// [`ServiceListError::Empty`] without any, [`ServiceListError::TooMany`] with more
    /// than `MAX`.
    pub fn new(services: impl IntoIterator<Item = S>) -> Result<Self, ServiceListError> {
        let mut services = services.into_iter();
        let mut list = ServiceList {
            services: std::array::from_fn(|_| None),
            len: 0,
        };
        for (slot, service) in list.services.iter_mut().zip(services.by_ref()) {
            *slot = Some(service);
            list.len += 1;
        }
        // One past the room is enough to refuse (an endless iterator is not read on).
        match (list.len, services.next()) {
            (0, None) => Err(ServiceListError::Empty),
            (_, None) => Ok(list),
            (_, Some(_)) => Err(ServiceListError::TooMany { max: MAX }),
        }
    }

    /// How many services it has.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always `false`: a list has at least one service.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Service `index` (below `len`, as the chain asks).
    fn service(&mut self, index: usize) -> &mut S {
        match self.services.get_mut(index) {
            Some(Some(service)) => service,
            _ => unreachable!("service {index} of a list of {}", self.len),
        }
    }
}

/// Why [`ServiceList::new`] refused a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceListError {
    /// It had no service: a chain needs at least one.
    Empty,
    /// It had more services than the list holds.
    TooMany {
        /// How many a list of this type holds (its `MAX`).
        max: usize,
    },
}

impl std::fmt::Display for ServiceListError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServiceListError::Empty => f.write_str("a FallbackLayer needs at least one service"),
            ServiceListError::TooMany { max } => write!(
                f,
                "more services than the {max} a ServiceList<S, {max}> holds"
            ),
        }
    }
}

impl std::error::Error for ServiceListError {}

impl<Req, S: Service<Req> + Clone, const MAX: usize> Services<Req> for ServiceList<S, MAX> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    #[inline]
    fn count(&self) -> usize {
        self.len
    }

    #[inline]
    fn poll_ready_at(&mut self, index: usize, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.service(index).poll_ready(cx)
    }

    #[inline]
    fn call_at(&mut self, index: usize, request: Req) -> S::Future {
        self.service(index).call(request)
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
