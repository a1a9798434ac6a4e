//! [`FallbackLayer`]: the options of a [`Fallback`], and the layer that makes one.
//! (Each option that changes the layer's type moves the others over by name: a builder
//! whose methods change its type cannot use `..self`.)

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use tower_layer::Layer;

use super::{
    AsServed, Fallback, NoTimeout, Plain, Primary, ServiceHealth, Shared, Timeout, DEFAULT_NAMES,
};
use crate::attempt::Policy;
#[cfg(doc)]
use crate::Served;
use crate::{AnyError, NoHint, Silent};

/// A [`tower_layer::Layer`] that makes a tuple or an array of services one service
/// that tries them in order. See the [module](super).
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
pub(super) struct Options<P, Q, H, O, C> {
    pub(super) on: P,
    pub(super) retry_on: Q,
    pub(super) retry_after: H,
    pub(super) observer: O,
    pub(super) elapsed: C,
    pub(super) policy: Policy,
    pub(super) names: &'static [&'static str],
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

    /// A time limit for each try of a service, its call and (for a service after the
    /// first, whose readiness is the layer's `poll_ready`) its readiness: past it the
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
    /// `"service 0"`, `"service 1"`...). Given before the layer knows its services: a
    /// service past the names' end is `"service N"` (`"service"` past the eighth), a
    /// name past the services' end is unused.
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
