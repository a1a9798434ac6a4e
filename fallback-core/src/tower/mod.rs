//! The chain as a `tower` middleware: [`FallbackLayer`] over a tuple or an array of
//! services of one request type, or a [`ServiceList`] of upstreams read from
//! configuration, tried in order, with the options of every chain.
//!
//! ```
//! # extern crate fallback_core as fallbacks;
//! use std::convert::Infallible;
//! use std::time::Duration;
//!
//! use fallbacks::tower::FallbackLayer;
//! use tower::{service_fn, ServiceBuilder, ServiceExt};
//!
//! #[derive(Debug, PartialEq)]
//! enum Upstream {
//!     Down(&'static str),
//!     Timeout,
//! }
//!
//! impl From<fallbacks::Elapsed> for Upstream {
//!     fn from(_: fallbacks::Elapsed) -> Self {
//!         Upstream::Timeout
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let primary = service_fn(|_: &'static str| async { Err::<String, _>(Upstream::Down("primary")) });
//! let backup = service_fn(|prompt: &'static str| async move { Ok(format!("backup: {prompt}")) });
//!
//! let chain = ServiceBuilder::new()
//!     .layer(
//!         FallbackLayer::new()
//!             .names(&["primary", "backup"])
//!             .timeout(Duration::from_secs(2))
//!             .served(),
//!     )
//!     .service((primary, backup));
//!
//! let served = chain.oneshot("hello").await.unwrap();
//! assert_eq!(served.alternative(), "backup");
//! assert_eq!(served.into_value(), "backup: hello");
//! # }
//! ```
//!
//! - **Readiness**: the service's `poll_ready` is the first service's, so backpressure
//!   from the primary is backpressure, never a fallback (unless it cools down: then it
//!   is skipped and not asked). A later service is made ready
//!   (in the response future) only when its turn comes, then called.
//! - **What a call holds**: a clone of the services (`Clone`, as `tower`'s retry
//!   middleware asks; the ready first service moves into the call, its clone stays) and
//!   a copy of the request while another try may follow (`Req: Clone`). The response
//!   future is an enum of the services' own futures: nothing boxed.
//! - **Time and readiness**: `timeout` limits each try, a later service's readiness
//!   included (the first service's readiness is the layer's `poll_ready`, which the
//!   caller waits for as for any service: backpressure, not a try); a service whose
//!   readiness fails is not asked again in that call (the next one is, at once). The first service's readiness error is its failed try too: the call goes
//!   to the next service (an error the filter rejects is the layer's readiness error);
//!   a first service that cools down is not made ready.
//! - **Options**: `on`, `retry_on`, `retry_after`, `timeout`, `retries` with `backoff`,
//!   `cooldown` with `trip_after` (each service instance made by the layer has its own
//!   health, shared by its clones; or give one with `health`), `observe`, `names`, and
//!   `served` for a [`Served`](crate::Served) response that says which service answered. They are
//!   judged by the one attempt lifecycle of every chain ([`crate::attempt`]).
//! - **Which service served, over HTTP**: `.served()`, then a `map_response` outside the
//!   layer that moves what the [`Served`](crate::Served) says into a response extension.

mod future;
mod layer;
mod parts;
mod services;

use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context, Poll};

use tower_service::Service;

pub use future::ResponseFuture;
pub use layer::FallbackLayer;
use layer::Options;
pub use parts::{AsServed, IntoError, NoTimeout, Plain, Timeout, Wrap};
pub use services::*;

use crate::attempt::{Filter, Observer, RetryAfter};
use crate::breaker::Breaker;
use crate::{AnyError, Health, NoHint, Silent};

/// The services whose health a [`Fallback`] tracks: the first eight (with more, the
/// ninth and later are never skipped, nor is the eighth).
pub const TRACKED_SERVICES: usize = 8;

/// The health of a [`Fallback`]'s services, for `cooldown`: give one to several layers
/// with [`FallbackLayer::health`] to share it.
pub type ServiceHealth = Health<TRACKED_SERVICES>;

/// The names services have unless [`FallbackLayer::names`] says.
const DEFAULT_NAMES: [&str; TRACKED_SERVICES] = [
    "service 0",
    "service 1",
    "service 2",
    "service 3",
    "service 4",
    "service 5",
    "service 6",
    "service 7",
];

/// The chain's name in events and traces.
const CHAIN: &str = "FallbackLayer";

/// What a [`Fallback`] gives each of its calls: a copy of the options (closures and
/// durations, as cheap to copy as they are; an `Arc` here cost more than the rest of
/// a call) and the health.
#[derive(Debug, Clone)]
struct Shared<P, Q, H, O, C> {
    options: Options<P, Q, H, O, C>,
    health: Option<Arc<ServiceHealth>>,
}

impl<P, Q, H, O, C> Shared<P, Q, H, O, C> {
    fn name(&self, index: usize) -> &'static str {
        let names = self.options.names;
        names
            .get(index)
            .or_else(|| DEFAULT_NAMES.get(index))
            .copied()
            .unwrap_or("service")
    }

    fn breakers(&self) -> &[Breaker] {
        self.health
            .as_deref()
            .map_or(&[], |health| health.breakers())
    }
}

/// Services tried in order, as one service: made by [`FallbackLayer`].
pub struct Fallback<S, P = AnyError, Q = AnyError, H = NoHint, O = Silent, W = Plain, C = NoTimeout>
{
    services: S,
    shared: Shared<P, Q, H, O, C>,
    /// What `poll_ready` decided about the first service for the next call.
    primary: Primary,
    wrap: PhantomData<fn() -> W>,
}

/// The first service's part in the next call, as `poll_ready` found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Primary {
    /// `poll_ready` has not said: the call decides (admission) itself.
    Undecided,
    /// Ready, and admitted: the call goes to it.
    Ready,
    /// Cooling down: skipped, and not made ready.
    Cooling,
    /// Its readiness failed (reported as its failed try): the call starts with the next.
    Failed,
}

impl<S: Clone, P: Clone, Q: Clone, H: Clone, O: Clone, W, C: Clone> Clone
    for Fallback<S, P, Q, H, O, W, C>
{
    fn clone(&self) -> Self {
        Fallback {
            services: self.services.clone(),
            shared: self.shared.clone(),
            primary: Primary::Undecided,
            wrap: PhantomData,
        }
    }
}

impl<S: std::fmt::Debug, P, Q, H, O, W, C> std::fmt::Debug for Fallback<S, P, Q, H, O, W, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fallback")
            .field("services", &self.services)
            .field("names", &self.shared.options.names)
            .finish_non_exhaustive()
    }
}

impl<S, P, Q, H, O, W, C> Fallback<S, P, Q, H, O, W, C> {
    /// The services, in order.
    pub fn services(&self) -> &S {
        &self.services
    }

    /// The health of the services, with `cooldown`.
    pub fn health(&self) -> Option<&ServiceHealth> {
        self.shared.health.as_deref()
    }
}

impl<Req, S, P, Q, H, O, W, C> Service<Req> for Fallback<S, P, Q, H, O, W, C>
where
    Req: Clone,
    S: Services<Req>,
    P: Filter<S::Error> + Clone,
    Q: Filter<S::Error> + Clone,
    H: RetryAfter<S::Error> + Clone,
    O: Observer<S::Error> + Clone,
    W: Wrap<S::Response>,
    C: IntoError<S::Error> + Clone,
{
    type Response = W::Output;
    type Error = S::Error;
    type Future = ResponseFuture<S, Req, P, Q, H, O, W, C>;

    /// The first service's readiness: its backpressure is the chain's. A first service
    /// that cools down is not asked (the call skips it); one whose readiness fails has
    /// failed its try (reported, counted by its health) and the call starts with the
    /// next, unless the filter rejects the error, which is then this one's.
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        if self.primary == Primary::Undecided {
            self.primary = if future::admitted(&self.shared, self.services.count()) {
                Primary::Ready
            } else {
                Primary::Cooling
            };
        }
        if self.primary != Primary::Ready {
            return Poll::Ready(Ok(()));
        }
        match self.services.poll_ready_at(0, cx) {
            Poll::Ready(Err(error)) if self.services.count() > 1 => {
                match future::unready(&self.shared, error) {
                    Ok(()) => {
                        self.primary = Primary::Failed;
                        Poll::Ready(Ok(()))
                    }
                    Err(error) => {
                        self.primary = Primary::Undecided;
                        Poll::Ready(Err(error))
                    }
                }
            }
            polled => polled,
        }
    }

    fn call(&mut self, request: Req) -> Self::Future {
        // The ready services go with the call; a clone stays, to be made ready again.
        let clone = self.services.clone();
        let services = std::mem::replace(&mut self.services, clone);
        let primary = std::mem::replace(&mut self.primary, Primary::Undecided);
        ResponseFuture::new(services, request, self.shared.clone(), primary)
    }
}
