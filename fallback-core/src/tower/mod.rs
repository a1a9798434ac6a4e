//! The chain as a `tower` middleware: [`FallbackLayer`] over a tuple or an array of
//! services of one request type, tried in order, with the options of every chain.
//!
//! ```
//! use std::convert::Infallible;
//! use std::time::Duration;
//!
//! use fallback_core::tower::FallbackLayer;
//! use tower::{service_fn, ServiceBuilder, ServiceExt};
//!
//! #[derive(Debug, PartialEq)]
//! enum Upstream {
//!     Down(&'static str),
//!     Timeout,
//! }
//!
//! impl From<fallback_core::Elapsed> for Upstream {
//!     fn from(_: fallback_core::Elapsed) -> Self {
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
//! - **Time and readiness**: `timeout` limits each try, its readiness included; a
//!   service whose readiness fails is not asked again in that call (the next one is, at
//!   once). The first service's readiness error is its failed try too: the call goes
//!   to the next service (an error the filter rejects is the layer's readiness error);
//!   a first service that cools down is not made ready.
//! - **Options**: `on`, `retry_on`, `retry_after`, `timeout`, `retries` with `backoff`,
//!   `cooldown` with `trip_after` (each service instance made by the layer has its own
//!   health, shared by its clones; or give one with `health`), `observe`, `names`, and
//!   `served` for a [`Served`] response that says which service answered. They are
//!   judged by the one attempt lifecycle of every chain ([`crate::attempt`]).
//! - **Which service served, over HTTP**: `.served()`, then a `map_response` outside the
//!   layer that moves what the [`Served`] says into a response extension.

mod future;
mod services;

use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tower_layer::Layer;
use tower_service::Service;

pub use future::ResponseFuture;
pub use services::*;

use crate::attempt::{Filter, Observer, Policy, RetryAfter};
use crate::breaker::Breaker;
use crate::{AnyError, Elapsed, Health, NoHint, Served, Silent};

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

/// A [`tower_layer::Layer`] that makes a tuple or an array of services one service
/// that tries them in order. See the [module](self).
#[derive(Debug, Clone)]
pub struct FallbackLayer<
    P = AnyError,
    Q = AnyError,
    H = NoHint,
    O = Silent,
    W = Plain,
    C = NoTimeout,
> {
    options: Options<P, Q, H, O, C>,
    cooldown: bool,
    health: Option<Arc<ServiceHealth>>,
    wrap: PhantomData<fn() -> W>,
}

/// What a layer's services share with their calls.
#[derive(Debug, Clone)]
struct Options<P, Q, H, O, C> {
    on: P,
    retry_on: Q,
    retry_after: H,
    observer: O,
    elapsed: C,
    policy: Policy,
    names: &'static [&'static str],
}

impl FallbackLayer {
    /// Every error moves on; no time limit, retry or cooldown; the response as the
    /// service gave it.
    pub fn new() -> Self {
        FallbackLayer {
            options: Options {
                on: AnyError,
                retry_on: AnyError,
                retry_after: NoHint,
                observer: Silent,
                elapsed: NoTimeout,
                policy: Policy::new(),
                names: &DEFAULT_NAMES,
            },
            cooldown: false,
            health: None,
            wrap: PhantomData,
        }
    }
}

impl Default for FallbackLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<P, Q, H, O, W, C> FallbackLayer<P, Q, H, O, W, C> {
    /// Which errors move on to the next service (`impl Fn(&E) -> bool`); one it
    /// rejects is the call's error at once. A timeout always moves on.
    pub fn on<P2>(self, on: P2) -> FallbackLayer<P2, Q, H, O, W, C> {
        let Options {
            retry_on,
            retry_after,
            observer,
            elapsed,
            policy,
            names,
            ..
        } = self.options;
        FallbackLayer {
            options: Options {
                on,
                retry_on,
                retry_after,
                observer,
                elapsed,
                policy,
                names,
            },
            cooldown: self.cooldown,
            health: self.health,
            wrap: PhantomData,
        }
    }

    /// Which errors (of those that move on) retry the same service, with `retries`;
    /// the others move on at once.
    pub fn retry_on<Q2>(self, retry_on: Q2) -> FallbackLayer<P, Q2, H, O, W, C> {
        let Options {
            on,
            retry_after,
            observer,
            elapsed,
            policy,
            names,
            ..
        } = self.options;
        FallbackLayer {
            options: Options {
                on,
                retry_on,
                retry_after,
                observer,
                elapsed,
                policy,
                names,
            },
            cooldown: self.cooldown,
            health: self.health,
            wrap: PhantomData,
        }
    }

    /// The wait an error asks for before its retry (`impl Fn(&E) -> Option<Duration>`:
    /// a `Retry-After`), instead of the backoff's pause; a wait over
    /// [`MAX_RETRY_AFTER`](crate::MAX_RETRY_AFTER) moves on at once.
    pub fn retry_after<H2>(self, retry_after: H2) -> FallbackLayer<P, Q, H2, O, W, C> {
        let Options {
            on,
            retry_on,
            observer,
            elapsed,
            policy,
            names,
            ..
        } = self.options;
        FallbackLayer {
            options: Options {
                on,
                retry_on,
                retry_after,
                observer,
                elapsed,
                policy,
                names,
            },
            cooldown: self.cooldown,
            health: self.health,
            wrap: PhantomData,
        }
    }

    /// Hears every try: its start, its end, a service skipped while it cools down
    /// (`impl Fn(&Event<'_, E>)`).
    pub fn observe<O2>(self, observer: O2) -> FallbackLayer<P, Q, H, O2, W, C> {
        let Options {
            on,
            retry_on,
            retry_after,
            elapsed,
            policy,
            names,
            ..
        } = self.options;
        FallbackLayer {
            options: Options {
                on,
                retry_on,
                retry_after,
                observer,
                elapsed,
                policy,
                names,
            },
            cooldown: self.cooldown,
            health: self.health,
            wrap: PhantomData,
        }
    }

    /// A time limit for each try of a service, its readiness and its call: past it the
    /// call is dropped and the error is `E::from(Elapsed)` (`E: From<Elapsed>`), which
    /// `retry_on` may retry (by default it does, with `retries`) and which otherwise
    /// moves on, whatever `on` says. A zero limit still calls the service once: a call
    /// that is ready at its first poll serves.
    pub fn timeout(self, limit: Duration) -> FallbackLayer<P, Q, H, O, W, Timeout> {
        let Options {
            on,
            retry_on,
            retry_after,
            observer,
            mut policy,
            names,
            ..
        } = self.options;
        policy.timeout = Some(limit);
        FallbackLayer {
            options: Options {
                on,
                retry_on,
                retry_after,
                observer,
                elapsed: Timeout,
                policy,
                names,
            },
            cooldown: self.cooldown,
            health: self.health,
            wrap: PhantomData,
        }
    }

    /// Further tries of a service whose error `retry_on` accepts, each after a pause
    /// (`backoff`, doubled each time, with full jitter).
    pub fn retries(mut self, retries: u32) -> Self {
        self.options.policy.retries = retries;
        self
    }

    /// The pause before the first retry (default 100 ms).
    pub fn backoff(mut self, backoff: Duration) -> Self {
        self.options.policy.backoff = backoff;
        self
    }

    /// A service that failed `trip_after` times in a row is skipped for `cooldown`,
    /// then one call probes it. The last service is never skipped. Each service the
    /// layer makes has its own health (shared by its clones), unless one is given with
    /// [`FallbackLayer::health`].
    pub fn cooldown(mut self, cooldown: Duration) -> Self {
        self.options.policy.cooldown = cooldown;
        self.cooldown = true;
        self
    }

    /// The consecutive failures that trip a service (default 3), with `cooldown`.
    pub fn trip_after(mut self, trip_after: u32) -> Self {
        self.options.policy.trip_after = trip_after;
        self
    }

    /// The health the services made by this layer share (with `cooldown`; without it,
    /// no service is ever skipped and this is unused): one value for several layers, or
    /// for several instances. Services are matched by position: the first of each
    /// instance is the health's alternative 0.
    pub fn health(mut self, health: Arc<ServiceHealth>) -> Self {
        self.health = Some(health);
        self
    }

    /// The services' names, in order, for events, traces and [`Served`] (default
    /// `"service 0"`, `"service 1"`...).
    pub fn names(mut self, names: &'static [&'static str]) -> Self {
        self.options.names = names;
        self
    }

    /// Answers with a [`Served`]: the response, and which service gave it.
    pub fn served(self) -> FallbackLayer<P, Q, H, O, AsServed, C> {
        FallbackLayer {
            options: self.options,
            cooldown: self.cooldown,
            health: self.health,
            wrap: PhantomData,
        }
    }
}

impl<S, P: Clone, Q: Clone, H: Clone, O: Clone, W, C: Clone> Layer<S>
    for FallbackLayer<P, Q, H, O, W, C>
{
    type Service = Fallback<S, P, Q, H, O, W, C>;

    fn layer(&self, services: S) -> Self::Service {
        let health = match (&self.health, self.cooldown) {
            (Some(health), true) => Some(Arc::clone(health)),
            (None, true) => Some(Arc::new(ServiceHealth::new())),
            (_, false) => None,
        };
        Fallback {
            services,
            shared: Shared {
                options: self.options.clone(),
                health,
            },
            primary: Primary::Undecided,
            wrap: PhantomData,
        }
    }
}

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

/// What a [`Fallback`] answers: the response itself ([`Plain`]) or a [`Served`]
/// ([`AsServed`], with [`FallbackLayer::served`]).
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
/// `E::from(Elapsed)` ([`Timeout`], with [`FallbackLayer::timeout`]).
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
