//! `fallbacks::tower::FallbackLayer`: services tried in order as one `tower` service —
//! the order, laziness, the filter, retries, timeouts, readiness, cancellation,
//! cooldown per instance, and which service served. In tokio's paused time.

#![cfg(feature = "tower")]

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use fallbacks::tower::{FallbackLayer, ServiceHealth};
use fallbacks::{Elapsed, Event, EventKind};
use tokio::time::{sleep, Instant};
use tower::{Layer, Service, ServiceExt};

const MS: Duration = Duration::from_millis(1);

#[derive(Debug, Clone, PartialEq)]
enum Error {
    Busy(&'static str),
    Invalid(&'static str),
    Timeout,
}

impl From<Elapsed> for Error {
    fn from(_: Elapsed) -> Self {
        Error::Timeout
    }
}

fn is_busy(error: &Error) -> bool {
    !matches!(error, Error::Invalid(_))
}

/// What an upstream does with each call, in turn (the last repeats).
#[derive(Debug, Clone, Copy)]
enum Answer {
    Ok,
    Busy,
    Invalid,
    /// Answers after this many milliseconds.
    Slow(u64),
}

/// A request that counts its clones.
#[derive(Debug)]
struct Request {
    text: &'static str,
    clones: Rc<RefCell<usize>>,
}

impl Clone for Request {
    fn clone(&self) -> Self {
        *self.clones.borrow_mut() += 1;
        Request {
            text: self.text,
            clones: Rc::clone(&self.clones),
        }
    }
}

fn request(text: &'static str) -> (Request, Rc<RefCell<usize>>) {
    let clones = Rc::new(RefCell::new(0));
    (
        Request {
            text,
            clones: Rc::clone(&clones),
        },
        clones,
    )
}

/// An upstream: its script, the calls it got (shared by its clones), whether it is
/// ready, and how many of its calls are alive.
#[derive(Clone)]
struct Upstream {
    name: &'static str,
    script: Rc<Vec<Answer>>,
    calls: Rc<RefCell<Vec<(&'static str, u64)>>>,
    ready: Rc<RefCell<bool>>,
    /// Its readiness fails (a connection that cannot be made).
    broken: Rc<RefCell<bool>>,
    ready_polls: Rc<AtomicUsize>,
    alive: Rc<AtomicUsize>,
    start: Instant,
}

impl Upstream {
    fn new(name: &'static str, script: &[Answer]) -> Self {
        Upstream {
            name,
            script: Rc::new(script.to_vec()),
            calls: Rc::default(),
            ready: Rc::new(RefCell::new(true)),
            broken: Rc::default(),
            ready_polls: Rc::default(),
            alive: Rc::default(),
            start: Instant::now(),
        }
    }

    fn calls(&self) -> Vec<(&'static str, u64)> {
        self.calls.borrow().clone()
    }
}

/// Counts a call while it is alive.
struct Alive(Rc<AtomicUsize>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Service<Request> for Upstream {
    type Response = String;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<String, Error>>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.ready_polls.fetch_add(1, Ordering::SeqCst);
        if *self.broken.borrow() {
            return Poll::Ready(Err(Error::Busy(self.name)));
        }
        if *self.ready.borrow() {
            Poll::Ready(Ok(()))
        } else {
            // Made ready by the test, which then polls again; no wake-up of its own (in
            // paused time a task that keeps waking itself would stop the clock).
            let _ = cx;
            Poll::Pending
        }
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let at = (Instant::now() - self.start).as_millis() as u64;
        let n = {
            let mut calls = self.calls.borrow_mut();
            calls.push((request.text, at));
            calls.len() - 1
        };
        let answer = self.script[n.min(self.script.len() - 1)];
        let name = self.name;
        self.alive.fetch_add(1, Ordering::SeqCst);
        let alive = Alive(Rc::clone(&self.alive));
        // The test boxes its upstream's futures; the layer boxes nothing of its own.
        Box::pin(async move {
            let _alive = alive;
            match answer {
                Answer::Ok => Ok(format!("{name}: {}", request.text)),
                Answer::Busy => Err(Error::Busy(name)),
                Answer::Invalid => Err(Error::Invalid(name)),
                Answer::Slow(ms) => {
                    sleep(Duration::from_millis(ms)).await;
                    Ok(format!("{name} (slow): {}", request.text))
                }
            }
        })
    }
}

/// Polls `future` once.
fn poll_once<F: Future + ?Sized>(future: Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(std::task::Waker::noop()))
}

#[tokio::test(start_paused = true)]
async fn the_backup_is_called_only_when_the_primary_fails_and_the_answer_says_who_served() {
    let (a, b) = (
        Upstream::new("a", &[Answer::Ok]),
        Upstream::new("b", &[Answer::Ok]),
    );
    let layer = FallbackLayer::new().names(&["a", "b"]).served();
    let (req, clones) = request("one");
    let served = layer
        .layer((a.clone(), b.clone()))
        .oneshot(req)
        .await
        .unwrap();
    assert_eq!((served.alternative(), served.index()), ("a", 0));
    assert_eq!(served.into_value(), "a: one");
    assert_eq!(
        b.calls(),
        [],
        "lazy: the backup is not called when the primary serves"
    );
    assert_eq!(*clones.borrow(), 1, "one copy kept for the backup");

    let (a, b) = (
        Upstream::new("a", &[Answer::Busy]),
        Upstream::new("b", &[Answer::Ok]),
    );
    let (req, clones) = request("two");
    let served = layer
        .layer((a.clone(), b.clone()))
        .oneshot(req)
        .await
        .unwrap();
    assert_eq!((served.alternative(), served.index()), ("b", 1));
    assert!(served.is_fallback());
    assert_eq!(served.into_value(), "b: two");
    assert_eq!((a.calls(), b.calls()), (vec![("two", 0)], vec![("two", 0)]));
    assert_eq!(*clones.borrow(), 1, "the backup gets the copy kept for it");
}

#[tokio::test(start_paused = true)]
async fn an_error_the_filter_rejects_is_the_answer_and_the_last_error_ends_the_chain() {
    let a = Upstream::new("a", &[Answer::Invalid]);
    let b = Upstream::new("b", &[Answer::Ok]);
    let chain = FallbackLayer::new()
        .on(is_busy)
        .layer((a.clone(), b.clone()));
    let error = chain.oneshot(request("x").0).await.unwrap_err();
    assert_eq!(error, Error::Invalid("a"));
    assert_eq!(b.calls(), [], "a rejected error does not fall back");

    let services = [
        Upstream::new("a", &[Answer::Busy]),
        Upstream::new("b", &[Answer::Busy]),
    ];
    let error = FallbackLayer::new()
        .layer(services.clone())
        .oneshot(request("x").0)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        Error::Busy("b"),
        "an array of services; the last error"
    );
    assert_eq!(services[0].calls().len() + services[1].calls().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn retries_back_off_on_the_same_service_then_move_on_and_a_timeout_moves_on_at_its_limit() {
    fallbacks::jitter::seed(1);
    let a = Upstream::new("a", &[Answer::Busy]);
    let b = Upstream::new("b", &[Answer::Slow(500), Answer::Ok]);
    let c = Upstream::new("c", &[Answer::Ok]);
    let chain = FallbackLayer::new()
        .on(is_busy)
        .retry_on(|error: &Error| matches!(error, Error::Busy(_)))
        .retries(2)
        .backoff(10 * MS)
        .timeout(100 * MS)
        .served()
        .layer((a.clone(), b.clone(), c.clone()));
    let served = chain.oneshot(request("x").0).await.unwrap();
    assert_eq!(served.index(), 2);
    assert_eq!(served.failed_before(), 4, "a three times, b once");
    assert_eq!(a.calls().len(), 3, "a and its two retries");
    let a_done = a.calls()[2].1;
    assert!(
        a_done <= 10 + 20,
        "the pauses are within the backoff: {:?}",
        a.calls()
    );
    // b's slow call times out at exactly 100 ms; a timeout is not retried here
    // (`retry_on` rejects it): c is called at once.
    assert_eq!(b.calls(), [("x", a_done)]);
    assert_eq!(c.calls(), [("x", a_done + 100)]);
}

#[tokio::test(start_paused = true)]
async fn backpressure_from_the_primary_is_not_a_fallback_and_a_backup_is_made_ready_before_its_call(
) {
    let a = Upstream::new("a", &[Answer::Busy]);
    let b = Upstream::new("b", &[Answer::Ok]);
    *a.ready.borrow_mut() = false;
    let mut chain = FallbackLayer::new().layer((a.clone(), b.clone()));
    // The primary is not ready: neither is the chain, and nothing is called.
    let polled = poll_once(std::pin::pin!(std::future::poll_fn(
        |cx| chain.poll_ready(cx)
    )));
    assert!(polled.is_pending());
    assert_eq!((a.calls().len(), b.calls().len()), (0, 0));
    assert_eq!(
        b.ready_polls.load(Ordering::SeqCst),
        0,
        "the backup is not asked"
    );

    // Ready: the call goes to the primary, fails, and the backup — not ready at first —
    // is called only once it is.
    *a.ready.borrow_mut() = true;
    *b.ready.borrow_mut() = false;
    std::future::poll_fn(|cx| chain.poll_ready(cx))
        .await
        .unwrap();
    let mut call = std::pin::pin!(chain.call(request("x").0));
    assert!(poll_once(call.as_mut()).is_pending());
    assert_eq!(b.calls().len(), 0, "not called before it is ready");
    assert!(b.ready_polls.load(Ordering::SeqCst) >= 1);
    *b.ready.borrow_mut() = true;
    assert_eq!(call.await.unwrap(), "b: x");
    assert_eq!(b.calls().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_response_drops_the_call_in_flight_and_starts_nothing_else() {
    let a = Upstream::new("a", &[Answer::Slow(1_000)]);
    let b = Upstream::new("b", &[Answer::Ok]);
    let mut chain = FallbackLayer::new().layer((a.clone(), b.clone()));
    std::future::poll_fn(|cx| chain.poll_ready(cx))
        .await
        .unwrap();
    let mut call = Box::pin(chain.call(request("x").0));
    assert!(poll_once(call.as_mut()).is_pending());
    assert_eq!(a.alive.load(Ordering::SeqCst), 1);
    drop(call);
    assert_eq!(
        a.alive.load(Ordering::SeqCst),
        0,
        "the call in flight is dropped at once"
    );
    sleep(2_000 * MS).await;
    assert_eq!(b.calls(), [], "nothing else started");
}

#[tokio::test(start_paused = true)]
async fn cooldown_is_per_instance_unless_a_health_is_shared() {
    let layer = FallbackLayer::new()
        .cooldown(Duration::from_secs(10))
        .trip_after(1);
    let (a1, b1) = (
        Upstream::new("a", &[Answer::Busy, Answer::Ok]),
        Upstream::new("b", &[Answer::Ok]),
    );
    let (a2, b2) = (
        Upstream::new("a", &[Answer::Ok]),
        Upstream::new("b", &[Answer::Ok]),
    );
    let one = layer.layer((a1.clone(), b1.clone()));
    let two = layer.layer((a2.clone(), b2.clone()));
    // One's primary trips; a clone of `one` shares its health, `two` does not.
    one.clone().oneshot(request("1").0).await.unwrap();
    assert_eq!(one.health().map(|h| h.is_cooling(0)), Some(true));
    assert_eq!(one.clone().oneshot(request("2").0).await.unwrap(), "b: 2");
    assert_eq!(a1.calls().len(), 1, "a cooling primary is skipped");
    assert_eq!(two.oneshot(request("3").0).await.unwrap(), "a: 3");
    assert_eq!(
        a2.calls().len(),
        1,
        "the other instance's primary is healthy"
    );

    // A health given to the layer is shared by every instance it makes.
    let health = Arc::new(ServiceHealth::new());
    let layer = layer.health(Arc::clone(&health));
    let (a3, b3) = (
        Upstream::new("a", &[Answer::Busy]),
        Upstream::new("b", &[Answer::Ok]),
    );
    let (a4, b4) = (
        Upstream::new("a", &[Answer::Ok]),
        Upstream::new("b", &[Answer::Ok]),
    );
    layer.layer((a3, b3)).oneshot(request("4").0).await.unwrap();
    assert!(health.is_cooling(0));
    assert_eq!(
        layer
            .layer((a4.clone(), b4))
            .oneshot(request("5").0)
            .await
            .unwrap(),
        "b: 5"
    );
    assert_eq!(a4.calls(), [], "skipped: another instance tripped it");
}

#[tokio::test(start_paused = true)]
async fn observe_hears_each_try_in_order() {
    let heard = Rc::new(RefCell::new(Vec::new()));
    let log = Rc::clone(&heard);
    let a = Upstream::new("a", &[Answer::Busy]);
    let b = Upstream::new("b", &[Answer::Slow(30)]);
    let chain = FallbackLayer::new()
        .names(&["primary", "backup"])
        .observe(move |event: &Event<'_, Error>| {
            let kind = match event.kind {
                EventKind::Started => "started".to_string(),
                EventKind::Succeeded => format!("served after {:?}", event.elapsed),
                EventKind::Failed(error) => format!("failed {error:?}"),
                _ => "other".to_string(),
            };
            log.borrow_mut()
                .push(format!("{} {}: {kind}", event.chain, event.alternative));
        })
        .layer((a, b));
    chain.oneshot(request("x").0).await.unwrap();
    assert_eq!(
        *heard.borrow(),
        [
            "FallbackLayer primary: started",
            "FallbackLayer primary: failed Busy(\"a\")",
            "FallbackLayer backup: started",
            "FallbackLayer backup: served after 30ms",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_backup_that_cannot_be_made_ready_moves_on_at_once_and_readiness_has_the_tries_limit() {
    let a = Upstream::new("a", &[Answer::Busy]);
    let b = Upstream::new("b", &[Answer::Ok]);
    let c = Upstream::new("c", &[Answer::Ok]);
    *b.broken.borrow_mut() = true;
    let chain = FallbackLayer::new()
        .retries(3)
        .backoff(10 * MS)
        .timeout(100 * MS)
        .served()
        .layer((a.clone(), b.clone(), c.clone()));
    let served = chain.oneshot(request("x").0).await.unwrap();
    assert_eq!(served.index(), 2);
    assert_eq!(a.calls().len(), 4, "a's error is retried");
    assert_eq!(
        b.ready_polls.load(Ordering::SeqCst),
        1,
        "b's readiness error is not retried"
    );
    assert_eq!(b.calls(), []);

    // A backup that never becomes ready times out at the try's limit.
    let a = Upstream::new("a", &[Answer::Busy]);
    let b = Upstream::new("b", &[Answer::Ok]);
    let c = Upstream::new("c", &[Answer::Ok]);
    *b.ready.borrow_mut() = false;
    let chain = FallbackLayer::new()
        .timeout(100 * MS)
        .layer((a, b.clone(), c.clone()));
    let start = Instant::now();
    assert_eq!(chain.oneshot(request("y").0).await.unwrap(), "c: y");
    assert_eq!(
        Instant::now() - start,
        100 * MS,
        "b's readiness gave up at 100 ms"
    );
    assert_eq!(b.calls(), []);
}

#[tokio::test(start_paused = true)]
async fn a_cooling_middle_service_is_skipped_and_the_last_never_is() {
    let health = Arc::new(ServiceHealth::new());
    let layer = FallbackLayer::new()
        .cooldown(Duration::from_secs(10))
        .trip_after(1)
        .health(Arc::clone(&health));
    let services = [
        Upstream::new("a", &[Answer::Busy]),
        Upstream::new("b", &[Answer::Busy]),
        Upstream::new("c", &[Answer::Busy, Answer::Ok]),
    ];
    let error = layer
        .layer(services.clone())
        .oneshot(request("1").0)
        .await
        .unwrap_err();
    assert_eq!(error, Error::Busy("c"));
    assert!(health.is_cooling(0) && health.is_cooling(1) && health.is_cooling(2));
    // All three cool down: none is skipped then (all cooling is tried anyway).
    assert_eq!(
        layer
            .layer(services.clone())
            .oneshot(request("2").0)
            .await
            .unwrap(),
        "c: 2"
    );
    let calls = |services: &[Upstream; 3]| services.each_ref().map(|s| s.calls().len());
    assert_eq!(calls(&services), [2, 2, 2]);
    // a and b still cool down, c has served: a and b are skipped, the last is not.
    assert!(health.is_cooling(0) && health.is_cooling(1) && !health.is_cooling(2));
    assert_eq!(
        layer
            .layer(services.clone())
            .oneshot(request("3").0)
            .await
            .unwrap(),
        "c: 3"
    );
    assert_eq!(calls(&services), [2, 2, 3], "a and b skipped");
}

#[tokio::test(start_paused = true)]
async fn one_service_takes_the_request_uncopied_and_retry_after_replaces_the_backoff() {
    let only = [Upstream::new("only", &[Answer::Ok])];
    let (req, clones) = request("x");
    assert_eq!(
        FallbackLayer::new().layer(only).oneshot(req).await.unwrap(),
        "only: x"
    );
    assert_eq!(*clones.borrow(), 0, "no other try: no copy");

    let a = Upstream::new("a", &[Answer::Busy, Answer::Ok]);
    let b = Upstream::new("b", &[Answer::Ok]);
    let chain = FallbackLayer::new()
        .retries(1)
        .backoff(10 * MS)
        .retry_after(|_: &Error| Some(Duration::from_millis(750)))
        .layer((a.clone(), b));
    assert_eq!(chain.oneshot(request("y").0).await.unwrap(), "a: y");
    assert_eq!(
        a.calls(),
        [("y", 0), ("y", 750)],
        "the wait the error asked for"
    );
}

#[tokio::test(start_paused = true)]
async fn a_primary_whose_readiness_fails_has_failed_its_try_and_a_cooling_one_is_not_asked() {
    let a = Upstream::new("a", &[Answer::Ok]);
    let b = Upstream::new("b", &[Answer::Ok]);
    *a.broken.borrow_mut() = true;
    let failed = Rc::new(RefCell::new(Vec::new()));
    let heard = Rc::clone(&failed);
    let health = Arc::new(ServiceHealth::new());
    let layer = FallbackLayer::new()
        .cooldown(Duration::from_secs(10))
        .trip_after(1)
        .health(Arc::clone(&health))
        .observe(move |event: &Event<'_, Error>| {
            if let EventKind::Failed(error) = event.kind {
                heard.borrow_mut().push((event.index, error.clone()));
            }
        })
        .served();
    let served = layer
        .layer((a.clone(), b.clone()))
        .oneshot(request("x").0)
        .await
        .unwrap();
    assert_eq!((served.index(), served.failed_before()), (1, 1));
    assert_eq!(
        *failed.borrow(),
        [(0, Error::Busy("a"))],
        "reported as a's failed try"
    );
    assert_eq!(a.calls(), [], "not called");
    assert!(health.is_cooling(0), "counted by its health");

    // Cooling down: not even asked whether it is ready.
    let polls = a.ready_polls.load(Ordering::SeqCst);
    *a.broken.borrow_mut() = false;
    let served = layer
        .layer((a.clone(), b.clone()))
        .oneshot(request("y").0)
        .await
        .unwrap();
    assert_eq!(served.index(), 1);
    assert_eq!(a.ready_polls.load(Ordering::SeqCst), polls);

    // A readiness error the filter rejects is the layer's readiness error.
    let a = Upstream::new("a", &[Answer::Ok]);
    *a.broken.borrow_mut() = true;
    let chain = FallbackLayer::new()
        .on(|_: &Error| false)
        .layer((a, Upstream::new("b", &[Answer::Ok])));
    assert_eq!(
        chain.oneshot(request("z").0).await.unwrap_err(),
        Error::Busy("a")
    );
}

/// Upstreams read at run time: a `ServiceList` of one type, tried in order as an array
/// is; a longer list than the default holds takes a larger `MAX`, and its services past
/// the health's eight are tried in turn too.
#[tokio::test(start_paused = true)]
async fn a_service_list_from_configuration_is_tried_in_order() {
    use fallbacks::tower::{ServiceList, ServiceListError};

    let configured = [Answer::Busy, Answer::Busy, Answer::Ok];
    let upstreams: Vec<Upstream> = ["a", "b", "c"]
        .into_iter()
        .zip(configured)
        .map(|(name, answer)| Upstream::new(name, &[answer]))
        .collect();
    let list = ServiceList::<_>::new(upstreams.iter().cloned()).unwrap();
    assert_eq!(list.len(), 3);
    let served = FallbackLayer::new()
        .served()
        .layer(list)
        .oneshot(request("one").0)
        .await
        .unwrap();
    assert_eq!((served.alternative(), served.index()), ("service 2", 2));
    let calls: Vec<_> = upstreams.iter().map(Upstream::calls).collect();
    assert_eq!(
        calls,
        [vec![("one", 0)], vec![("one", 0)], vec![("one", 0)]]
    );

    let ten: Vec<Upstream> = (0..10)
        .map(|index| Upstream::new("u", &[if index < 9 { Answer::Busy } else { Answer::Ok }]))
        .collect();
    assert_eq!(
        ServiceList::<_>::new(ten.iter().cloned()).err(),
        Some(ServiceListError::TooMany { max: 8 })
    );
    let served = FallbackLayer::new()
        .served()
        .layer(ServiceList::<_, 16>::new(ten.iter().cloned()).unwrap())
        .oneshot(request("two").0)
        .await
        .unwrap();
    assert_eq!(served.index(), 9);
    assert!(ten.iter().all(|upstream| upstream.calls().len() == 1));
    assert_eq!(
        ServiceList::<Upstream>::new([])
            .err()
            .map(|error| error.to_string()),
        Some("a FallbackLayer needs at least one service".to_string())
    );
}
