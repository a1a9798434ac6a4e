//! The life of one attempt under the time and health options, written once.
//!
//! An attempt is the tries of one alternative: it starts ([`Attempt::start`]: the
//! `Started` event, the trace), its future runs under the clock (which the caller
//! drives: an `async` loop in the macros' code, a slot's `poll` in `try_each`), and what
//! it came to ([`Tried`]) is judged ([`Attempt::judge`]): the trace and the event of its
//! end, the breaker's update, the filter, the choice between a retry (with its pause),
//! moving on and stopping the chain, and where the error goes ([`Sink`]). The macros
//! (plain and hedged) and `try_each` all call these two methods, so the rules cannot
//! drift between them:
//!
//! - an `Ok` serves, and closes the alternative's breaker;
//! - a timeout always moves on (it is not the filter's to judge), and is retried;
//! - the deadline, or an error the filter rejects, stops the chain (without tripping
//!   the breaker: the error says nothing about the alternative's health);
//! - any other error counts against the breaker, and is retried while tries remain,
//!   `retry_on` accepts it (default: every error that moves on) and the deadline has not
//!   passed, after the wait the error asks for (`retry_after`: a `Retry-After`), or else
//!   a pause of exponential backoff with full jitter that never runs past the deadline; a
//!   wait the chain cannot afford (past the deadline, or over [`MAX_RETRY_AFTER`]) moves
//!   on at once. Then it moves on.

use std::time::Duration;

mod judges;
mod sink;

pub use judges::*;
pub use sink::*;

use crate::breaker::Breaker;
use crate::clock::{self, Instant, DEFAULT_BACKOFF, DEFAULT_TRIP_AFTER};
use crate::trace::{Ended, Trace};
use crate::{Event, EventKind};

/// The time and health options of a chain, fixed when it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The limit of each try.
    pub timeout: Option<Duration>,
    /// Tries after the first, per alternative.
    pub retries: u32,
    /// The base pause before a retry.
    pub backoff: Duration,
    /// How long an alternative that tripped is skipped.
    pub cooldown: Duration,
    /// The consecutive failures that trip an alternative.
    pub trip_after: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy::new()
    }
}

impl Policy {
    /// No timeout, no retries, the default backoff and `trip_after`.
    pub const fn new() -> Policy {
        Policy {
            timeout: None,
            retries: 0,
            backoff: DEFAULT_BACKOFF,
            cooldown: Duration::ZERO,
            trip_after: DEFAULT_TRIP_AFTER,
        }
    }
}

/// What one try came to, its error already of the chain's type.
#[derive(Debug)]
pub enum Tried<T, E> {
    /// It returned `Ok`.
    Ok(T),
    /// It returned this error.
    Failed(E),
    /// It ran past its timeout (the error made from `Elapsed`).
    TimedOut(E),
    /// It was running when the chain's deadline passed.
    PastDeadline(E),
    /// It never started: the deadline had passed.
    Expired(E),
}

/// What the chain does after a try.
#[derive(Debug)]
pub enum Verdict<T, K> {
    /// Return this value.
    Served(T),
    /// Try the same alternative again after this pause.
    Retry(Duration),
    /// Go on to the next alternative; what the sink kept of the error.
    MoveOn(K),
    /// End the chain with the error the sink kept.
    Stop(K),
}

/// The name of a chain, for its events and traces: a `&'static str` kept in the
/// record, or a type whose name is a constant (nothing kept).
pub trait ChainName {
    /// The name.
    fn name(&self) -> &'static str;
}

impl ChainName for &'static str {
    #[inline(always)]
    fn name(&self) -> &'static str {
        self
    }
}

/// The error type of a `Result` type, named from the type alone: a `try_each` chain
/// keeps its last error as `<Fut::Output as Fallible>::Error`, without room for a value
/// (or a stream) it never holds.
pub trait Fallible {
    /// `E` of `Result<T, E>`.
    type Error;
}

impl<T, E> Fallible for Result<T, E> {
    type Error = E;
}

/// The name of every `try_each` chain, `"try_each"`: a constant, not a field.
#[derive(Debug, Clone, Copy, Default)]
pub struct TryEachChain;

impl ChainName for TryEachChain {
    #[inline(always)]
    fn name(&self) -> &'static str {
        "try_each"
    }
}

/// The tries of one alternative, in the chain named by `C`.
#[derive(Debug)]
pub struct Attempt<C = &'static str> {
    chain: C,
    alternative: &'static str,
    index: usize,
    /// Tries made so far.
    tries: u32,
    /// When the try in flight started, for the events' `elapsed` (only when observed).
    started: Option<Instant>,
    /// A try has started and not ended (only kept when observed): what `cancel` reports.
    in_flight: bool,
    trace: Trace,
}

impl<C: ChainName> Attempt<C> {
    /// The tries of `alternative`, at position `index` of the chain named `chain`.
    #[inline]
    pub fn new(chain: C, alternative: &'static str, index: usize) -> Self {
        Attempt {
            chain,
            alternative,
            index,
            tries: 0,
            started: None,
            in_flight: false,
            trace: Trace::default(),
        }
    }

    /// The name of the chain.
    #[inline]
    pub fn chain_name(&self) -> &'static str {
        self.chain.name()
    }

    /// The same attempt record, for the tries of another alternative of the same chain
    /// (the chain's name stays).
    #[inline]
    pub fn reset(&mut self, alternative: &'static str, index: usize) {
        self.alternative = alternative;
        self.index = index;
        self.tries = 0;
        self.started = None;
        self.in_flight = false;
        self.trace = Trace::default();
    }

    /// [`reset`](Self::reset), writing only what the chain's types let change: the
    /// name only if `Some` (else it stays), the tries only if the alternative may be
    /// `retried`, the try's start only if observed.
    #[inline(always)]
    pub(crate) fn renew<E, O: Observer<E>>(
        &mut self,
        alternative: Option<&'static str>,
        index: usize,
        retried: bool,
    ) {
        if let Some(alternative) = alternative {
            self.alternative = alternative;
        }
        self.index = index;
        if retried {
            self.tries = 0;
        }
        if O::ACTIVE {
            self.started = None;
            self.in_flight = false;
        }
        self.trace = Trace::default();
    }

    /// The alternative's name.
    pub fn alternative(&self) -> &'static str {
        self.alternative
    }

    /// Its position in the chain.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The try in flight, or the next: 1, then 2, 3... with retries.
    pub fn number(&self) -> u32 {
        self.tries + 1
    }

    /// A try starts now: its `Started` event and its trace.
    #[inline]
    pub fn start<E, O: Observer<E>>(&mut self, observer: &O) {
        if O::ACTIVE {
            let event = Event::new(
                self.alternative,
                self.index,
                self.number(),
                Duration::ZERO,
                EventKind::Started,
            )
            .in_chain(self.chain.name());
            observer.observe(&event);
            self.started = Some(clock::now());
            self.in_flight = true;
        }
        self.trace = Trace::start();
    }

    /// What the chain does after the try that came to `tried`, with the alternative's
    /// `breaker` (with `cooldown`) and `left` telling the time before the deadline (asked
    /// only for a retry); the error goes to `sink`. See the module's rules.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub fn judge<T, E, K, P, Q, H, O, S, L>(
        &mut self,
        tried: Tried<T, E>,
        policy: &Policy,
        breaker: Option<&Breaker>,
        left: L,
        sink: &mut K,
        on: &P,
        retry_on: &Q,
        retry_after: &H,
        observer: &O,
        show: S,
    ) -> Verdict<T, K::Kept>
    where
        K: Sink<E>,
        P: Filter<E>,
        Q: Filter<E>,
        H: RetryAfter<E>,
        O: Observer<E>,
        S: for<'e> FnOnce(&'e E) -> Ended<'e>,
        L: FnOnce() -> Option<Duration>,
    {
        let (name, index, number) = (self.alternative, self.index, self.number());
        let (error, moves_on, counts) = match tried {
            Tried::Ok(value) => {
                if let Some(breaker) = breaker {
                    breaker.success();
                }
                std::mem::take(&mut self.trace).end(
                    self.chain.name(),
                    name,
                    index,
                    number,
                    Ended::Served,
                );
                self.event(observer, EventKind::Succeeded);
                self.ended::<E, O>();
                return Verdict::Served(value);
            }
            Tried::Expired(error) => return Verdict::Stop(sink.keep(name, index, error)),
            Tried::TimedOut(error) => (error, true, true),
            Tried::PastDeadline(error) => (error, false, false),
            Tried::Failed(error) => {
                let moves_on = on.accepts(&error);
                (error, moves_on, moves_on)
            }
        };
        std::mem::take(&mut self.trace).end(self.chain.name(), name, index, number, show(&error));
        self.event(observer, EventKind::Failed(&error));
        self.ended::<E, O>();
        if counts {
            if let Some(breaker) = breaker {
                breaker.failure(policy.trip_after, policy.cooldown);
            }
        }
        if !moves_on {
            return Verdict::Stop(sink.keep(name, index, error));
        }
        if self.tries < policy.retries && retry_on.accepts(&error) {
            let left = left();
            let pause = match retry_after.wait(&error) {
                // More than the chain can afford: the next alternative, at once.
                Some(wait) if wait > MAX_RETRY_AFTER || left.is_some_and(|left| wait > left) => {
                    None
                }
                Some(wait) => Some(wait),
                // A pause that reaches the deadline leaves no time to retry: the next
                // alternative, at once (as for a `retry_after` past it).
                None => Some(clock::backoff(policy.backoff, self.tries + 1, left))
                    .filter(|pause| left.is_none_or(|left| *pause < left)),
            };
            if let (Some(pause), false) = (pause, left.is_some_and(|left| left.is_zero())) {
                self.tries += 1;
                sink.retried(name, index, error);
                return Verdict::Retry(pause);
            }
        }
        Verdict::MoveOn(sink.keep(name, index, error))
    }

    /// The try in flight ended (its end was reported): none is in flight until the next
    /// `start`. (Only an observed attempt keeps this; the trace is taken. Its start stays,
    /// for a later moment's `elapsed`: a stream's `Restarted`.)
    #[inline(always)]
    fn ended<E, O: Observer<E>>(&mut self) {
        if O::ACTIVE {
            self.in_flight = false;
        }
    }

    /// The try in flight, if any, is dropped unfinished (a hedged chain's other attempt
    /// ended the chain, or the chain was dropped): its `Cancelled` event and trace.
    /// Nothing if no try is in flight, or nothing listens.
    #[inline]
    pub fn cancel<E, O: Observer<E>>(&mut self, observer: &O) {
        let (name, index, number) = (self.alternative, self.index, self.number());
        std::mem::take(&mut self.trace).end(
            self.chain.name(),
            name,
            index,
            number,
            Ended::Cancelled,
        );
        if O::ACTIVE && self.in_flight {
            self.event(observer, EventKind::Cancelled);
            self.in_flight = false;
        }
    }

    /// A moment of a stream chain's try (opened, first item, restarted): its event
    /// and its trace.
    #[cfg(feature = "stream")]
    pub(crate) fn moment<E, O: Observer<E>>(&self, observer: &O, kind: EventKind<'_, E>) {
        let what = match kind {
            EventKind::Opened => "opened",
            EventKind::FirstItem => "first item",
            EventKind::Restarted => "restarted",
            _ => "moment",
        };
        Trace::moment(self.chain.name(), self.alternative, self.index, what);
        self.event(observer, kind);
    }

    /// An event of the try in flight: its end, or (a stream's) first item.
    #[inline(always)]
    pub(crate) fn event<E, O: Observer<E>>(&self, observer: &O, kind: EventKind<'_, E>) {
        if O::ACTIVE {
            let elapsed = self.started.map(|at| at.elapsed()).unwrap_or_default();
            let event = Event::new(self.alternative, self.index, self.number(), elapsed, kind)
                .in_chain(self.chain.name());
            observer.observe(&event);
        }
    }
}

/// Whether alternative `index` of `breakers` takes this call (`cooldown`): the last
/// one always does (nothing else is left to serve), and so does every one when all
/// were cooling down as the call started (`all_cooling`, from [`Breaker::all_open`]).
/// One that does not is reported skipped.
#[inline]
#[allow(clippy::too_many_arguments)]
pub fn admit<E, O: Observer<E>>(
    chain: &'static str,
    breakers: &[Breaker],
    all_cooling: bool,
    index: usize,
    alternative: &'static str,
    policy: &Policy,
    observer: &O,
) -> bool {
    match breakers.get(index) {
        Some(_) if index + 1 == breakers.len() => true,
        Some(breaker) => admit_one(
            chain,
            breaker,
            all_cooling,
            index,
            alternative,
            policy,
            observer,
        ),
        None => true,
    }
}

/// [`admit`] for an alternative the caller knows is not the last (a run-time list's
/// item with more after it): its `breaker` decides, unless all were cooling.
#[inline]
#[allow(clippy::too_many_arguments)]
pub(crate) fn admit_one<E, O: Observer<E>>(
    chain: &'static str,
    breaker: &Breaker,
    all_cooling: bool,
    index: usize,
    alternative: &'static str,
    policy: &Policy,
    observer: &O,
) -> bool {
    if all_cooling || breaker.admit(policy.cooldown) {
        return true;
    }
    Trace::skipped(chain, alternative, index);
    if O::ACTIVE {
        let event =
            Event::new(alternative, index, 1, Duration::ZERO, EventKind::Skipped).in_chain(chain);
        observer.observe(&event);
    }
    false
}
