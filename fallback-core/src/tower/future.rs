//! The call of a [`Fallback`](super::Fallback): one service's call at a time, judged
//! by the attempt lifecycle every chain shares.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{IntoError, Primary, Services, Shared, Wrap, CHAIN};
use crate::attempt::{
    admit, Attempt, Filter, Observer, Policy, RetryAfter, Sink, Tally, Tried, Verdict,
};
use crate::breaker::Breaker;
use crate::clock::{delay, Delay};
use crate::trace::Ended;
use crate::Elapsed;

pin_project_lite::pin_project! {
    /// The response of a [`Fallback`](super::Fallback): the services' calls in turn.
    pub struct ResponseFuture<S, Req, P, Q, H, O, W, C>
    where
        S: Services<Req>,
    {
        services: S,
        request: Option<Req>,
        shared: Shared<P, Q, H, O, C>,
        attempt: Attempt,
        tally: Tally,
        // Every service was cooling down when the call started: none is skipped.
        all_cooling: bool,
        #[pin]
        state: State<S::Future>,
        wrap: PhantomData<fn() -> W>,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProj]
    enum State<F> {
        // Service `index` is next, if the cooldown lets it.
        Next { index: usize },
        // The attempt's service is being made ready, under the try's timeout.
        Readying {
            #[pin]
            timer: Option<Delay>,
        },
        // Its call, under the timeout.
        Calling {
            #[pin]
            future: F,
            #[pin]
            timer: Option<Delay>,
        },
        // The pause before its retry.
        Pausing {
            #[pin]
            timer: Delay,
        },
        Done,
    }
}

impl<S, Req, P, Q, H, O, W, C> std::fmt::Debug for ResponseFuture<S, Req, P, Q, H, O, W, C>
where
    S: Services<Req>,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("service", &self.attempt.alternative())
            .field("try", &self.attempt.number())
            .finish_non_exhaustive()
    }
}

impl<S, Req, P, Q, H, O, W, C> ResponseFuture<S, Req, P, Q, H, O, W, C>
where
    Req: Clone,
    S: Services<Req>,
    O: Observer<S::Error>,
{
    /// The call: the first service's (it is ready) at once, unless `poll_ready` found
    /// it cooling down or unready.
    pub(super) fn new(
        mut services: S,
        request: Req,
        shared: Shared<P, Q, H, O, C>,
        primary: Primary,
    ) -> Self {
        let count = services.count();
        let all_cooling = Breaker::all_open(tracked(&shared, count));
        let name = shared.name(0);
        let mut attempt = Attempt::new(CHAIN, name, 0);
        let options = &shared.options;
        let admitted = match primary {
            Primary::Ready => true,
            Primary::Cooling | Primary::Failed => false,
            Primary::Undecided => admitted(&shared, count),
        };
        let failed = usize::from(primary == Primary::Failed);
        let (request, state) = if admitted {
            attempt.start(&options.observer);
            let again = count > 1 || options.policy.retries > 0;
            let (kept, given) = if again {
                (Some(request.clone()), request)
            } else {
                (None, request)
            };
            let future = services.call_at(0, given);
            let timer = options.policy.timeout.map(delay);
            (kept, State::Calling { future, timer })
        } else {
            (Some(request), State::Next { index: 1 })
        };
        ResponseFuture {
            services,
            request,
            shared,
            attempt,
            tally: Tally(failed),
            all_cooling,
            state,
            wrap: PhantomData,
        }
    }
}

/// Whether the first of `count` services takes the next call (reporting it skipped if
/// not).
pub(super) fn admitted<P, Q, H, O, C, E>(shared: &Shared<P, Q, H, O, C>, count: usize) -> bool
where
    O: Observer<E>,
{
    let breakers = tracked(shared, count);
    let options = &shared.options;
    admit(
        CHAIN,
        breakers,
        Breaker::all_open(breakers),
        0,
        shared.name(0),
        &options.policy,
        &options.observer,
    )
}

/// The first service's readiness failed: its try, judged as every try is but never
/// retried (`tower`: a service whose readiness failed is not asked again). `Ok` when the
/// chain moves on; the error when the filter ends the chain with it.
pub(super) fn unready<E, P, Q, H, O, C>(shared: &Shared<P, Q, H, O, C>, error: E) -> Result<(), E>
where
    P: Filter<E>,
    Q: Filter<E>,
    H: RetryAfter<E>,
    O: Observer<E>,
{
    let options = &shared.options;
    let mut attempt = Attempt::new(CHAIN, shared.name(0), 0);
    attempt.start(&options.observer);
    let policy = Policy {
        retries: 0,
        ..options.policy
    };
    match attempt.judge(
        Tried::<(), E>::Failed(error),
        &policy,
        shared.breakers().first(),
        || None,
        &mut Tally::default(),
        &options.on,
        &options.retry_on,
        &options.retry_after,
        &options.observer,
        |_| Ended::Failed(None),
    ) {
        Verdict::Stop(error) => Err(error),
        _ => Ok(()),
    }
}

/// The breakers of the first `count` services (those a health tracks).
fn tracked<P, Q, H, O, C>(shared: &Shared<P, Q, H, O, C>, count: usize) -> &[Breaker] {
    let breakers = shared.breakers();
    &breakers[..count.min(breakers.len())]
}

impl<S, Req, P, Q, H, O, W, C> Future for ResponseFuture<S, Req, P, Q, H, O, W, C>
where
    Req: Clone,
    S: Services<Req>,
    P: Filter<S::Error>,
    Q: Filter<S::Error>,
    H: RetryAfter<S::Error>,
    O: Observer<S::Error>,
    W: Wrap<S::Response>,
    C: IntoError<S::Error>,
{
    type Output = Result<W::Output, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let shared = &*this.shared;
        let options = &shared.options;
        let count = this.services.count();
        loop {
            let mut unready = false;
            let tried = match this.state.as_mut().project() {
                StateProj::Done => panic!("a FallbackLayer response polled after it completed"),
                StateProj::Next { index } => {
                    let index = *index;
                    let name = shared.name(index);
                    let breakers = tracked(shared, count);
                    let admitted = admit(
                        CHAIN,
                        breakers,
                        *this.all_cooling,
                        index,
                        name,
                        &options.policy,
                        &options.observer,
                    );
                    if admitted {
                        *this.attempt = Attempt::new(CHAIN, name, index);
                        this.attempt.start(&options.observer);
                        let timer = options.policy.timeout.map(delay);
                        this.state.set(State::Readying { timer });
                    } else {
                        this.state.set(State::Next { index: index + 1 });
                    }
                    continue;
                }
                StateProj::Readying { timer } => {
                    let index = this.attempt.index();
                    match this.services.poll_ready_at(index, cx) {
                        Poll::Pending => {
                            if !timer
                                .as_pin_mut()
                                .is_some_and(|timer| timer.poll(cx).is_ready())
                            {
                                return Poll::Pending;
                            }
                            let limit = options.policy.timeout.unwrap_or_default();
                            Tried::TimedOut(options.elapsed.timed_out(Elapsed::timeout(limit)))
                        }
                        // A service that cannot be made ready is not asked again
                        // (tower's contract): the next one, at once.
                        Poll::Ready(Err(error)) => {
                            unready = true;
                            Tried::Failed(error)
                        }
                        Poll::Ready(Ok(())) => {
                            // Another try may follow this one: it needs a copy.
                            let again = index + 1 < count
                                || this.attempt.number() <= options.policy.retries;
                            let request = match (again, this.request.as_ref()) {
                                (true, Some(request)) => request.clone(),
                                _ => this
                                    .request
                                    .take()
                                    .expect("the request is kept while a try may follow"),
                            };
                            let future = this.services.call_at(index, request);
                            // The try's time limit goes on from its start.
                            let timer = timer
                                .as_ref()
                                .get_ref()
                                .as_ref()
                                .map(|timer| tokio::time::sleep_until(timer.deadline()));
                            this.state.set(State::Calling { future, timer });
                            continue;
                        }
                    }
                }
                StateProj::Calling { future, timer } => match future.poll(cx) {
                    Poll::Ready(Ok(response)) => Tried::Ok(response),
                    Poll::Ready(Err(error)) => Tried::Failed(error),
                    Poll::Pending => {
                        let timed_out = timer
                            .as_pin_mut()
                            .is_some_and(|timer| timer.poll(cx).is_ready());
                        if !timed_out {
                            return Poll::Pending;
                        }
                        let limit = options.policy.timeout.unwrap_or_default();
                        Tried::TimedOut(options.elapsed.timed_out(Elapsed::timeout(limit)))
                    }
                },
                StateProj::Pausing { timer } => {
                    if timer.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    this.attempt.start(&options.observer);
                    let timer = options.policy.timeout.map(delay);
                    this.state.set(State::Readying { timer });
                    continue;
                }
            };
            let index = this.attempt.index();
            let breaker = tracked(shared, count).get(index);
            let no_retry = Policy {
                retries: 0,
                ..options.policy
            };
            let policy = if unready { &no_retry } else { &options.policy };
            let verdict = this.attempt.judge(
                tried,
                policy,
                breaker,
                || None,
                this.tally,
                &options.on,
                &options.retry_on,
                &options.retry_after,
                &options.observer,
                |_| Ended::Failed(None),
            );
            match verdict {
                Verdict::Served(response) => {
                    this.state.set(State::Done);
                    let failed = Sink::<S::Error>::failed(this.tally);
                    let name = this.attempt.alternative();
                    return Poll::Ready(Ok(W::wrap(response, name, index, failed)));
                }
                Verdict::Retry(pause) => this.state.set(State::Pausing {
                    timer: delay(pause),
                }),
                Verdict::MoveOn(error) if index + 1 < count => {
                    drop(error);
                    this.state.set(State::Next { index: index + 1 });
                }
                Verdict::MoveOn(error) | Verdict::Stop(error) => {
                    this.state.set(State::Done);
                    return Poll::Ready(Err(error));
                }
            }
        }
    }
}
