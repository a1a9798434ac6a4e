//! The time options (`timeout`, `deadline`, `retries` with `backoff`) and `observe`,
//! tested in tokio's paused time: exact to the millisecond, and instant to run.

#![cfg(feature = "tokio")]

use std::cell::RefCell;
use std::time::Duration;

use fallbacks::{fallback, fallback_chain, AllFailed, Elapsed, Event, EventKind};
use tokio::time::{sleep, Instant};

#[derive(Debug, Clone, PartialEq)]
enum Error {
    Transient(&'static str),
    Fatal(&'static str),
    Timeout(Elapsed),
}

impl From<Elapsed> for Error {
    fn from(elapsed: Elapsed) -> Self {
        Error::Timeout(elapsed)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

fn is_transient(error: &Error) -> bool {
    !matches!(error, Error::Fatal(_))
}

const MS: Duration = Duration::from_millis(1);

/// What happened, and when (milliseconds since the test's start, in paused time).
struct Log {
    start: Instant,
    entries: RefCell<Vec<(u64, String)>>,
}

impl Log {
    fn new() -> Log {
        Log {
            start: Instant::now(),
            entries: RefCell::default(),
        }
    }

    fn note(&self, what: impl Into<String>) {
        let at = (Instant::now() - self.start).as_millis() as u64;
        self.entries.borrow_mut().push((at, what.into()));
    }

    fn entries(&self) -> Vec<(u64, String)> {
        self.entries.borrow().clone()
    }

    fn now(&self) -> u64 {
        (Instant::now() - self.start).as_millis() as u64
    }
}

/// Notes when it is dropped: the loser of a hedge is dropped, not left running.
struct DropNote<'a>(&'a Log, &'static str);

impl Drop for DropNote<'_> {
    fn drop(&mut self) {
        self.0.note(format!("drop {}", self.1));
    }
}

/// An alternative that takes `delay` and then returns `outcome`, noting its start.
async fn step(
    log: &Log,
    name: &'static str,
    delay: u64,
    outcome: Result<&'static str, Error>,
) -> Result<String, Error> {
    log.note(format!("start {name}"));
    sleep(Duration::from_millis(delay)).await;
    log.note(format!("end {name}"));
    outcome.map(String::from)
}

mod timeout {
    use super::*;

    async fn slow(log: &Log) -> Result<String, Error> {
        step(log, "slow", 1_000, Ok("slow")).await
    }

    async fn quick(log: &Log) -> Result<String, Error> {
        step(log, "quick", 10, Ok("quick")).await
    }

    async fn refused(log: &Log) -> Result<String, Error> {
        step(log, "refused", 10, Err(Error::Fatal("refused"))).await
    }

    #[fallback(primary = slow, then = [quick], timeout = "100ms")]
    async fn with_timeout(log: &Log) -> Result<String, Error>;

    #[tokio::test(start_paused = true)]
    async fn a_100ms_timeout_fires_at_100ms_and_the_fallback_serves() {
        let log = Log::new();
        assert_eq!(with_timeout(&log).await, Ok("quick".to_string()));
        assert_eq!(
            log.entries(),
            [
                (0, "start slow".into()),
                (100, "start quick".into()),
                (110, "end quick".into())
            ]
        );
    }

    #[fallback(primary = slow, then = [quick], timeout = "100ms", on = |_: &Error| false)]
    async fn timeout_despite_filter(log: &Log) -> Result<String, Error>;

    #[tokio::test(start_paused = true)]
    async fn a_timeout_always_moves_on_whatever_the_filter_says() {
        let log = Log::new();
        assert_eq!(timeout_despite_filter(&log).await, Ok("quick".to_string()));
    }

    #[fallback(primary = refused, then = [quick], timeout = "100ms", on = is_transient)]
    async fn filter_with_timeout(log: &Log) -> Result<String, Error>;

    #[tokio::test(start_paused = true)]
    async fn the_filter_still_decides_for_returned_errors() {
        let log = Log::new();
        assert_eq!(
            filter_with_timeout(&log).await,
            Err(Error::Fatal("refused"))
        );
        assert_eq!(
            log.entries().len(),
            2,
            "quick never started: {:?}",
            log.entries()
        );
    }

    #[fallback(primary = slow, then = [slow], timeout = "100ms")]
    async fn every_attempt_slow(log: &Log) -> Result<String, Error>;

    #[tokio::test(start_paused = true)]
    async fn the_last_timeout_is_the_error() {
        let log = Log::new();
        let error = every_attempt_slow(&log).await.unwrap_err();
        assert_eq!(error, Error::Timeout(Elapsed::timeout(100 * MS)));
        assert_eq!(log.now(), 200);
    }

    #[tokio::test(start_paused = true)]
    async fn an_inline_chain_takes_a_timeout_too() {
        let log = Log::new();
        let reply = fallback_chain!(slow(&log) | quick(&log), timeout = "100ms").await;
        assert_eq!(reply, Ok("quick".to_string()));
        assert_eq!(log.now(), 110);
    }
}

mod deadline {
    use super::*;

    async fn fails_late(log: &Log) -> Result<String, Error> {
        step(log, "first", 200, Err(Error::Transient("first"))).await
    }

    async fn slow(log: &Log) -> Result<String, Error> {
        step(log, "second", 1_000, Ok("second")).await
    }

    async fn never(log: &Log) -> Result<String, Error> {
        step(log, "third", 0, Ok("third")).await
    }

    #[fallback(primary = fails_late, then = [slow, never], deadline = "250ms")]
    async fn within_deadline(log: &Log) -> Result<String, Error>;

    #[tokio::test(start_paused = true)]
    async fn a_deadline_cuts_the_chain() {
        let log = Log::new();
        let error = within_deadline(&log).await.unwrap_err();
        assert_eq!(error, Error::Timeout(Elapsed::deadline(250 * MS)));
        assert!(matches!(&error, Error::Timeout(e) if e.is_deadline()));
        assert_eq!(log.now(), 250);
        assert_eq!(
            log.entries(),
            [
                (0, "start first".into()),
                (200, "end first".into()),
                (200, "start second".into())
            ],
            "the third alternative never ran"
        );
    }

    #[fallback(primary = fails_late, then = [slow, never], deadline = "250ms")]
    async fn within_deadline_collecting(log: &Log) -> Result<String, AllFailed<Error>>;

    #[tokio::test(start_paused = true)]
    async fn all_failed_ends_with_the_deadline() {
        let log = Log::new();
        let errors = within_deadline_collecting(&log).await.unwrap_err();
        let names: Vec<_> = errors
            .iter()
            .map(|f| (f.alternative(), f.error().clone()))
            .collect();
        assert_eq!(
            names,
            [
                ("fails_late", Error::Transient("first")),
                ("slow", Error::Timeout(Elapsed::deadline(250 * MS))),
            ]
        );
        assert!(errors.stopped_early());
    }
}

mod retries {
    use std::cell::Cell;

    use super::*;

    /// Fails `failures` times, then succeeds; notes the time of each try.
    struct Flaky {
        failures: Cell<u32>,
        tries: RefCell<Vec<u64>>,
        start: Instant,
        error: Error,
    }

    impl Flaky {
        fn new(failures: u32, error: Error) -> Flaky {
            Flaky {
                failures: Cell::new(failures),
                tries: RefCell::default(),
                start: Instant::now(),
                error,
            }
        }

        fn tries(&self) -> Vec<u64> {
            self.tries.borrow().clone()
        }
    }

    async fn flaky(state: &Flaky) -> Result<u32, Error> {
        state
            .tries
            .borrow_mut()
            .push((Instant::now() - state.start).as_millis() as u64);
        match state.failures.get() {
            0 => Ok(state.tries.borrow().len() as u32),
            left => {
                state.failures.set(left - 1);
                Err(state.error.clone())
            }
        }
    }

    async fn backup(_: &Flaky) -> Result<u32, Error> {
        Ok(0)
    }

    #[fallback(primary = flaky, then = [backup], retries = 2, backoff = "100ms", on = is_transient)]
    async fn retried(state: &Flaky) -> Result<u32, Error>;

    #[tokio::test(start_paused = true)]
    async fn a_failing_alternative_is_retried_before_moving_on() {
        fallbacks::jitter::seed(7);
        let state = Flaky::new(2, Error::Transient("busy"));
        assert_eq!(
            retried(&state).await,
            Ok(3),
            "served by the third try of the primary"
        );
        let tries = state.tries();
        assert_eq!(tries.len(), 3);
        // Full jitter: the first pause is within 0..=100ms, the second within 0..=200ms.
        assert!(tries[1] - tries[0] <= 100, "{tries:?}");
        assert!(tries[2] - tries[1] <= 200, "{tries:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn seeded_jitter_makes_the_pauses_repeatable() {
        let pauses = |seed| async move {
            fallbacks::jitter::seed(seed);
            let state = Flaky::new(2, Error::Transient("busy"));
            retried(&state).await.unwrap();
            state.tries()
        };
        assert_eq!(pauses(42).await, pauses(42).await);
    }

    #[tokio::test(start_paused = true)]
    async fn retries_run_out_and_the_chain_moves_on() {
        let state = Flaky::new(10, Error::Transient("busy"));
        assert_eq!(retried(&state).await, Ok(0), "the backup served");
        assert_eq!(state.tries().len(), 3, "one try and two retries");
    }

    #[fallback(primary = flaky, then = [backup], retries = 2, backoff = "10ms")]
    async fn retried_reported(state: &Flaky) -> Result<fallbacks::Served<u32>, Error>;

    #[tokio::test(start_paused = true)]
    async fn a_served_report_counts_the_retries_that_failed_before() {
        let state = Flaky::new(2, Error::Transient("busy"));
        let served = retried_reported(&state).await.unwrap();
        assert_eq!((served.alternative(), served.failed_before()), ("flaky", 2));
        let state = Flaky::new(10, Error::Transient("busy"));
        let served = retried_reported(&state).await.unwrap();
        assert_eq!(
            (served.alternative(), served.index(), served.failed_before()),
            ("backup", 1, 3)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_error_the_filter_rejects_is_not_retried() {
        let state = Flaky::new(1, Error::Fatal("invalid"));
        assert_eq!(retried(&state).await, Err(Error::Fatal("invalid")));
        assert_eq!(state.tries().len(), 1);
    }

    #[fallback(primary = flaky, then = [backup], retries = 1, backoff = "10ms")]
    async fn retried_collecting(state: &Flaky) -> Result<u32, AllFailed<Error>>;

    #[fallback(primary = flaky, then = [flaky], retries = 1, backoff = "10ms")]
    async fn all_retried_collecting(state: &Flaky) -> Result<u32, AllFailed<Error>>;

    #[tokio::test(start_paused = true)]
    async fn all_failed_lists_every_try() {
        let state = Flaky::new(10, Error::Transient("busy"));
        assert_eq!(retried_collecting(&state).await, Ok(0));
        let state = Flaky::new(10, Error::Transient("busy"));
        let errors = all_retried_collecting(&state).await.unwrap_err();
        let tries: Vec<_> = errors.iter().map(|f| f.index()).collect();
        assert_eq!(tries, [0, 0, 1, 1]);
    }
}

mod observe {
    use super::*;

    thread_local! {
        static EVENTS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    }

    fn record(event: &Event<'_, Error>) {
        let line = match event.kind {
            EventKind::Started => format!("{} #{} started", event.alternative, event.attempt),
            EventKind::Succeeded => {
                format!(
                    "{} #{} served after {:?}",
                    event.alternative, event.attempt, event.elapsed
                )
            }
            EventKind::Failed(error) => {
                format!(
                    "{} #{} failed after {:?}: {error}",
                    event.alternative, event.attempt, event.elapsed
                )
            }
            _ => unreachable!("no other events yet"),
        };
        EVENTS.with(|events| events.borrow_mut().push(line));
    }

    async fn first(log: &Log) -> Result<String, Error> {
        step(log, "first", 30, Err(Error::Transient("down"))).await
    }

    async fn second(log: &Log) -> Result<String, Error> {
        step(log, "second", 20, Ok("served")).await
    }

    #[fallback(primary = first, then = [second], observe = record)]
    async fn observed(log: &Log) -> Result<String, Error>;

    #[tokio::test(start_paused = true)]
    async fn the_hook_hears_each_start_failure_and_success_in_order() {
        EVENTS.with(|events| events.borrow_mut().clear());
        let log = Log::new();
        assert_eq!(observed(&log).await, Ok("served".to_string()));
        let events = EVENTS.with(|events| events.borrow().clone());
        assert_eq!(
            events,
            [
                "first #1 started",
                "first #1 failed after 30ms: Transient(\"down\")",
                "second #1 started",
                "second #1 served after 20ms",
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_event_displays_as_a_log_line() {
        let log = Log::new();
        let lines = RefCell::new(Vec::new());
        let reply = fallback_chain!(
            first(&log) | second(&log),
            observe = |event| lines.borrow_mut().push((event.chain, event.to_string())),
        )
        .await;
        assert_eq!(reply, Ok("served".to_string()));
        let lines = lines.into_inner();
        // An inline chain is named where it is: this module, and its line.
        let chain = lines[0].0;
        assert!(chain.starts_with(concat!(module_path!(), ":")), "{chain}");
        assert_eq!(
            lines
                .iter()
                .map(|(_, line)| line.as_str())
                .collect::<Vec<_>>(),
            [
                format!("{chain}: first(&log) (alternative 0), try 1: started"),
                format!(
                    "{chain}: first(&log) (alternative 0), try 1: failed after 30ms: \
                     Transient(\"down\")"
                ),
                format!("{chain}: second(&log) (alternative 1), try 1: started"),
                format!("{chain}: second(&log) (alternative 1), try 1: served after 20ms"),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_inline_chain_takes_a_closure_as_hook() {
        let log = Log::new();
        let seen = RefCell::new(Vec::new());
        let reply = fallback_chain!(
            first(&log) | second(&log),
            observe = |event| seen.borrow_mut().push((event.index, event.attempt)),
        )
        .await;
        assert_eq!(reply, Ok("served".to_string()));
        assert_eq!(*seen.borrow(), [(0, 1), (0, 1), (1, 1), (1, 1)]);
    }
}

mod cooldown {
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

    use super::*;

    /// A provider whose health the test switches, counting its calls.
    struct Provider {
        healthy: AtomicBool,
        calls: AtomicU32,
    }

    impl Provider {
        const fn new() -> Provider {
            Provider {
                healthy: AtomicBool::new(false),
                calls: AtomicU32::new(0),
            }
        }

        fn calls(&self) -> u32 {
            self.calls.load(Ordering::SeqCst)
        }
    }

    static PRIMARY: Provider = Provider::new();

    async fn primary() -> Result<&'static str, Error> {
        PRIMARY.calls.fetch_add(1, Ordering::SeqCst);
        if PRIMARY.healthy.load(Ordering::SeqCst) {
            Ok("primary")
        } else {
            Err(Error::Transient("primary down"))
        }
    }

    async fn backup() -> Result<&'static str, Error> {
        Ok("backup")
    }

    #[fallback(primary = primary, then = [backup], cooldown = "1s", trip_after = 2)]
    async fn guarded() -> Result<&'static str, Error>;

    #[tokio::test(start_paused = true)]
    async fn a_tripped_alternative_is_skipped_then_probed_after_the_cooldown() {
        // Two failures trip the primary.
        assert_eq!(guarded().await, Ok("backup"));
        assert_eq!(guarded().await, Ok("backup"));
        assert_eq!(PRIMARY.calls(), 2);
        // Cooling down: skipped.
        assert_eq!(guarded().await, Ok("backup"));
        sleep(999 * MS).await;
        assert_eq!(guarded().await, Ok("backup"));
        assert_eq!(PRIMARY.calls(), 2, "skipped for the whole cooldown");
        // The cooldown is over: one call probes it; still down, so it trips again.
        sleep(MS).await;
        assert_eq!(guarded().await, Ok("backup"));
        assert_eq!(PRIMARY.calls(), 3);
        assert_eq!(guarded().await, Ok("backup"));
        assert_eq!(PRIMARY.calls(), 3, "a failed probe starts another cooldown");
        // Healthy again: the next probe closes it, and it serves from then on.
        PRIMARY.healthy.store(true, Ordering::SeqCst);
        sleep(1_000 * MS).await;
        assert_eq!(guarded().await, Ok("primary"));
        assert_eq!(guarded().await, Ok("primary"));
        assert_eq!(PRIMARY.calls(), 5);
    }

    static FIRST: Provider = Provider::new();
    static SECOND: Provider = Provider::new();

    async fn first() -> Result<&'static str, Error> {
        FIRST.calls.fetch_add(1, Ordering::SeqCst);
        Err(Error::Transient("first down"))
    }

    async fn second() -> Result<&'static str, Error> {
        SECOND.calls.fetch_add(1, Ordering::SeqCst);
        Err(Error::Transient("second down"))
    }

    static LAST: Provider = Provider::new();

    async fn last_resort() -> Result<&'static str, Error> {
        LAST.calls.fetch_add(1, Ordering::SeqCst);
        Err(Error::Transient("last down"))
    }

    thread_local! {
        static SKIPS: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
    }

    fn count_skips(event: &Event<'_, Error>) {
        if matches!(event.kind, EventKind::Skipped) {
            SKIPS.with(|skips| skips.borrow_mut().push(event.alternative));
        }
    }

    #[fallback(
        primary = first,
        then = [second, last_resort],
        cooldown = "10s",
        trip_after = 1,
        observe = count_skips
    )]
    async fn all_down() -> Result<&'static str, Error>;

    #[tokio::test(start_paused = true)]
    async fn when_every_alternative_is_cooling_down_they_are_tried_anyway() {
        assert_eq!(all_down().await, Err(Error::Transient("last down")));
        let calls = || (FIRST.calls(), SECOND.calls(), LAST.calls());
        assert_eq!(calls(), (1, 1, 1));
        // All tripped: rather than serve nothing, they are tried again, in order.
        assert_eq!(all_down().await, Err(Error::Transient("last down")));
        assert_eq!(calls(), (2, 2, 2));
        assert!(SKIPS.with(|skips| skips.borrow().is_empty()));
    }

    static FLAKY: Provider = Provider::new();

    async fn flaky() -> Result<&'static str, Error> {
        FLAKY.calls.fetch_add(1, Ordering::SeqCst);
        Err(Error::Transient("flaky"))
    }

    #[fallback(primary = flaky, then = [backup], cooldown = "10s", trip_after = 1, observe = count_skips)]
    async fn observed() -> Result<&'static str, Error>;

    #[tokio::test(start_paused = true)]
    async fn a_skip_is_observed() {
        SKIPS.with(|skips| skips.borrow_mut().clear());
        assert_eq!(observed().await, Ok("backup"));
        assert_eq!(observed().await, Ok("backup"));
        assert_eq!(FLAKY.calls(), 1);
        assert_eq!(SKIPS.with(|skips| skips.borrow().clone()), ["flaky"]);
    }
}

/// Many calls at once through one chain with shared health state: every call returns,
/// and the counts add up.
mod reliability {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    use super::*;

    static PRIMARY_CALLS: AtomicU64 = AtomicU64::new(0);
    static BACKUP_CALLS: AtomicU64 = AtomicU64::new(0);

    /// Fails for every third call number it is given, and always from 3,000 to 6,000.
    async fn primary(n: u64) -> Result<u64, Error> {
        PRIMARY_CALLS.fetch_add(1, Ordering::SeqCst);
        tokio::task::yield_now().await;
        if n % 3 == 0 || (3_000..6_000).contains(&n) {
            Err(Error::Transient("primary"))
        } else {
            Ok(n)
        }
    }

    async fn backup(n: u64) -> Result<u64, Error> {
        BACKUP_CALLS.fetch_add(1, Ordering::SeqCst);
        tokio::task::yield_now().await;
        Ok(n + 1_000_000)
    }

    #[fallback(primary = primary, then = [backup], cooldown = "5ms", trip_after = 5)]
    async fn call(n: u64) -> Result<u64, Error>;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ten_thousand_concurrent_calls_all_return_and_the_counts_add_up() {
        const CALLS: u64 = 10_000;
        let served_by_primary = Arc::new(AtomicU64::new(0));
        let tasks: Vec<_> = (0..CALLS)
            .map(|n| {
                let served_by_primary = served_by_primary.clone();
                tokio::spawn(async move {
                    let value = call(n).await.expect("the backup always serves");
                    if value == n {
                        served_by_primary.fetch_add(1, Ordering::SeqCst);
                    } else {
                        assert_eq!(value, n + 1_000_000);
                    }
                })
            })
            .collect();
        let all = async {
            for task in tasks {
                task.await.expect("no task panicked");
            }
        };
        tokio::time::timeout(Duration::from_secs(60), all)
            .await
            .expect("no deadlock: every call returned");
        let primary = PRIMARY_CALLS.load(Ordering::SeqCst);
        let backup = BACKUP_CALLS.load(Ordering::SeqCst);
        let by_primary = served_by_primary.load(Ordering::SeqCst);
        // Every call was served exactly once: by the primary, or by the backup.
        assert_eq!(by_primary + backup, CALLS);
        // The backup ran for each primary failure and each skip; no call was lost.
        assert!(
            primary <= CALLS,
            "the primary ran at most once per call: {primary}"
        );
        assert!(
            backup >= primary - by_primary,
            "{backup} {primary} {by_primary}"
        );
        // The breaker tripped during the outage: some calls skipped the primary.
        assert!(primary < CALLS, "the outage tripped the primary: {primary}");
    }
}

/// Only `timeout` and `deadline` make errors out of `Elapsed`: the other options work
/// with any error type.
mod without_elapsed {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Plain;

    async fn fails() -> Result<u8, Plain> {
        Err(Plain)
    }

    async fn serves() -> Result<u8, Plain> {
        Ok(1)
    }

    fn ignore(_: &Event<'_, Plain>) {}

    #[fallback(primary = fails, then = [serves], retries = 1, backoff = "1ms", cooldown = "1s", observe = ignore)]
    async fn no_from_elapsed() -> Result<u8, Plain>;

    #[tokio::test(start_paused = true)]
    async fn retries_cooldown_and_observe_need_no_from_elapsed() {
        assert_eq!(no_from_elapsed().await, Ok(1));
    }
}

/// With the `tracing` feature every attempt of every chain emits an event, with no
/// `observe` written: its alternative, position, try number, outcome, elapsed time and
/// error text.
#[cfg(feature = "tracing")]
mod tracing_events {
    use std::collections::BTreeMap;
    use std::fmt::Debug;

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Level, Metadata, Subscriber};

    use super::*;

    /// One event: its level and its fields, each as text.
    #[derive(Debug, Clone, PartialEq)]
    struct Seen {
        level: Level,
        fields: BTreeMap<String, String>,
    }

    impl Seen {
        fn field(&self, name: &str) -> Option<&str> {
            self.fields.get(name).map(String::as_str)
        }
        /// `(alternative, attempt, outcome)`, the fields every test checks.
        fn brief(&self) -> (String, String, String) {
            let get = |name| self.field(name).unwrap_or("-").to_string();
            (get("alternative"), get("attempt"), get("outcome"))
        }
    }

    thread_local! {
        /// The events this thread's test is capturing, if it is.
        static CAPTURED: RefCell<Option<Vec<Seen>>> = const { RefCell::new(None) };
    }

    /// One subscriber for the whole test binary, handing each event to the capture of
    /// the thread it happens on. (Per-test scoped subscribers race on `tracing`'s
    /// process-wide interest cache when tests run in parallel.)
    struct Router;

    /// Captures the events of target `fallbacks` on this thread, from now on.
    fn capture() -> Capture {
        static INSTALLED: std::sync::Once = std::sync::Once::new();
        INSTALLED.call_once(|| {
            tracing::subscriber::set_global_default(Router).expect("no other subscriber");
        });
        CAPTURED.with(|captured| *captured.borrow_mut() = Some(Vec::new()));
        Capture
    }

    /// Ends the capture when dropped.
    struct Capture;

    impl Capture {
        fn seen(&self) -> Vec<Seen> {
            CAPTURED.with(|captured| captured.borrow().clone().unwrap_or_default())
        }
        fn briefs(&self) -> Vec<(String, String, String)> {
            self.seen().iter().map(Seen::brief).collect()
        }
    }

    impl Drop for Capture {
        fn drop(&mut self) {
            CAPTURED.with(|captured| *captured.borrow_mut() = None);
        }
    }

    struct Fields<'a>(&'a mut BTreeMap<String, String>);

    impl Visit for Fields<'_> {
        fn record_str(&mut self, field: &Field, value: &str) {
            self.0.insert(field.name().to_string(), value.to_string());
        }
        fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
            self.0
                .insert(field.name().to_string(), format!("{value:?}"));
        }
    }

    impl Subscriber for Router {
        fn enabled(&self, metadata: &Metadata<'_>) -> bool {
            metadata.target() == "fallbacks"
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            let mut fields = BTreeMap::new();
            event.record(&mut Fields(&mut fields));
            let level = *event.metadata().level();
            CAPTURED.with(|captured| {
                if let Some(seen) = captured.borrow_mut().as_mut() {
                    seen.push(Seen { level, fields });
                }
            });
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    fn brief(alternative: &str, attempt: u32, outcome: &str) -> (String, String, String) {
        (alternative.into(), attempt.to_string(), outcome.into())
    }

    async fn down() -> Result<u8, Error> {
        Err(Error::Transient("down"))
    }

    async fn up() -> Result<u8, Error> {
        Ok(1)
    }

    async fn slow_down() -> Result<u8, Error> {
        sleep(40 * MS).await;
        Err(Error::Transient("slow down"))
    }

    async fn hangs() -> Result<u8, Error> {
        sleep(Duration::from_secs(3600)).await;
        Ok(0)
    }

    #[fallback(primary = down, then = [up])]
    async fn plain() -> Result<u8, Error>;

    #[test]
    fn a_plain_chain_emits_a_warning_per_failure_and_says_which_alternative_served() {
        let collect = capture();
        assert_eq!(futures::executor::block_on(plain()), Ok(1));
        let seen = collect.seen();
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert_eq!(seen[0].level, Level::WARN);
        assert_eq!(seen[0].brief(), brief("down", 1, "failed"));
        assert_eq!(seen[0].field("index"), Some("0"));
        assert_eq!(seen[0].field("error"), Some("Transient(\"down\")"));
        assert!(seen[0].field("elapsed_ms").is_some());
        // Which chain: the function's path.
        assert_eq!(seen[0].field("chain"), Some("time::tracing_events::plain"));
        // A fallback that serves is news (INFO); the primary serving is not (DEBUG).
        assert_eq!(seen[1].level, Level::INFO);
        assert_eq!(seen[1].brief(), brief("up", 1, "served"));
        assert_eq!(seen[1].field("index"), Some("1"));
        assert_eq!(seen[1].field("error"), None);
    }

    #[test]
    fn the_inline_chain_emits_them_too_and_a_served_primary_is_a_debug_event() {
        let collect = capture();
        let served = futures::executor::block_on(async { fallback_chain!(up() | down()).await });
        assert_eq!(served, Ok(1));
        let seen = collect.seen();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0].level, Level::DEBUG);
        assert_eq!(seen[0].brief(), brief("up()", 1, "served"));
        // An inline chain is named by where it is.
        let chain = seen[0].field("chain").unwrap_or_default();
        assert!(chain.starts_with("time::tracing_events:"), "{chain}");
    }

    /// An error type without `Display`.
    #[derive(Debug, PartialEq)]
    struct Opaque;

    async fn opaque() -> Result<u8, Opaque> {
        Err(Opaque)
    }

    #[fallback(primary = opaque, then = [opaque])]
    async fn opaque_chain() -> Result<u8, Opaque>;

    #[test]
    fn an_error_without_display_is_reported_without_its_text() {
        let collect = capture();
        assert_eq!(futures::executor::block_on(opaque_chain()), Err(Opaque));
        let seen = collect.seen();
        assert_eq!(seen.len(), 2, "{seen:?}");
        for (index, event) in seen.iter().enumerate() {
            assert_eq!(event.brief(), brief("opaque", 1, "failed"));
            assert_eq!(event.field("index"), Some(index.to_string().as_str()));
            assert_eq!(event.field("error"), None);
        }
    }

    #[fallback(primary = slow_down, then = [hangs, up], timeout = "100ms", retries = 1, backoff = "1ms")]
    async fn timed() -> Result<u8, Error>;

    #[tokio::test(start_paused = true)]
    async fn every_try_is_an_event_with_its_number_and_exact_elapsed_time() {
        let collect = capture();
        assert_eq!(timed().await, Ok(1));
        assert_eq!(
            collect.briefs(),
            [
                brief("slow_down", 1, "failed"),
                brief("slow_down", 2, "failed"),
                brief("hangs", 1, "failed"),
                brief("hangs", 2, "failed"),
                brief("up", 1, "served"),
            ]
        );
        let elapsed: Vec<_> = collect
            .seen()
            .iter()
            .map(|seen| seen.field("elapsed_ms").unwrap_or("-").to_string())
            .collect();
        assert_eq!(elapsed, ["40.0", "40.0", "100.0", "100.0", "0.0"]);
        let timeout = &collect.seen()[2];
        assert_eq!(
            timeout.field("error"),
            Some("Timeout(Elapsed { limit: 100ms, kind: Timeout })")
        );
    }

    #[fallback(primary = down, then = [up], cooldown = "10s", trip_after = 1)]
    async fn cooled() -> Result<u8, Error>;

    #[tokio::test(start_paused = true)]
    async fn an_alternative_skipped_while_cooling_down_is_an_event() {
        let collect = capture();
        assert_eq!(cooled().await, Ok(1));
        assert_eq!(cooled().await, Ok(1));
        assert_eq!(
            collect.briefs(),
            [
                brief("down", 1, "failed"),
                brief("up", 1, "served"),
                brief("down", 0, "skipped"),
                brief("up", 1, "served"),
            ]
            .map(|(alternative, attempt, outcome)| {
                // A skip has no try number.
                let attempt = if outcome == "skipped" {
                    "-".into()
                } else {
                    attempt
                };
                (alternative, attempt, outcome)
            })
        );
    }

    #[fallback(primary = hangs, then = [up], hedge = "300ms")]
    async fn hedged() -> Result<u8, Error>;

    #[tokio::test(start_paused = true)]
    async fn a_hedged_chain_reports_the_attempt_that_served_and_the_dropped_loser_cancelled() {
        let collect = capture();
        assert_eq!(hedged().await, Ok(1));
        assert_eq!(
            collect.briefs(),
            [brief("up", 1, "served"), brief("hangs", 1, "cancelled")]
        );
        assert_eq!(collect.seen()[0].field("elapsed_ms"), Some("0.0"));
        assert_eq!(collect.seen()[1].field("elapsed_ms"), Some("300.0"));
        assert_eq!(collect.seen()[1].level, Level::DEBUG);
    }

    #[tokio::test(start_paused = true)]
    async fn try_each_reports_each_item_without_the_error_text() {
        let collect = capture();
        let outcomes = [Err(Error::Transient("first")), Ok(2)];
        let served = fallbacks::try_each(outcomes.iter(), |outcome| {
            let outcome = outcome.clone();
            async move {
                sleep(5 * MS).await;
                outcome
            }
        })
        .await
        .expect("the second serves");
        assert_eq!(served.index(), 1);
        assert_eq!(
            collect.briefs(),
            [brief("item", 1, "failed"), brief("item", 1, "served")]
        );
        let seen = collect.seen();
        assert_eq!(seen[0].field("error"), None);
        assert_eq!(seen[1].field("elapsed_ms"), Some("5.0"));
        assert_eq!(seen[1].field("chain"), Some("try_each"));
    }

    #[cfg(feature = "stream")]
    #[tokio::test(start_paused = true)]
    async fn a_stream_chain_traces_its_opening_first_item_and_end() {
        use futures::StreamExt;
        let collect = capture();
        let models = ["gpt", "claude"];
        let chain = fallbacks::try_each(&models, |model| {
            let model = *model;
            async move {
                if model == "gpt" {
                    Err(Error::Transient("overloaded"))
                } else {
                    Ok(futures::stream::iter([Ok::<_, Error>("Hel"), Ok("lo")]))
                }
            }
        })
        .name(|model| model)
        .stream();
        let tokens: Vec<_> = Box::pin(chain).collect().await;
        assert_eq!(tokens.len(), 2);
        let outcomes: Vec<_> = collect
            .seen()
            .iter()
            .map(|seen| {
                let alternative = seen.field("alternative").unwrap_or("-").to_string();
                (
                    alternative,
                    seen.field("outcome").unwrap_or("-").to_string(),
                )
            })
            .collect();
        let expected = [
            ("gpt", "failed"),
            ("claude", "opened"),
            ("claude", "first item"),
            ("claude", "served"),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(a, o)| (a.to_string(), o.to_string()))
            .collect();
        assert_eq!(outcomes, expected);
    }

    #[tokio::test(start_paused = true)]
    async fn a_primary_that_streams_is_quiet_at_info_and_a_fallback_is_not() {
        use futures::StreamExt;
        let collect = capture();
        let open = |fails: bool| async move {
            if fails {
                Err(Error::Transient("overloaded"))
            } else {
                Ok(futures::stream::iter([Ok::<_, Error>("Hel"), Ok("lo")]))
            }
        };
        let levels = |collect: &Capture| -> Vec<(String, Level)> {
            collect
                .seen()
                .iter()
                .map(|seen| (seen.field("outcome").unwrap_or("-").to_string(), seen.level))
                .collect()
        };
        let primary = fallbacks::try_each([false, true], open).stream();
        assert_eq!(Box::pin(primary).collect::<Vec<_>>().await.len(), 2);
        let primary_levels = levels(&collect);
        assert_eq!(
            primary_levels,
            [
                ("opened".to_string(), Level::DEBUG),
                ("first item".to_string(), Level::DEBUG),
                ("served".to_string(), Level::DEBUG),
            ]
        );
        drop(collect);
        let collect = capture();
        let fallback = fallbacks::try_each([true, false], open).stream();
        assert_eq!(Box::pin(fallback).collect::<Vec<_>>().await.len(), 2);
        assert_eq!(
            levels(&collect),
            [
                ("failed".to_string(), Level::WARN),
                ("opened".to_string(), Level::INFO),
                ("first item".to_string(), Level::INFO),
                ("served".to_string(), Level::INFO),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn try_each_names_its_items_and_shows_the_error_text_when_asked() {
        let collect = capture();
        let providers = [
            ("openai", Err(Error::Transient("first"))),
            ("anthropic", Ok(2)),
        ];
        let served = fallbacks::try_each(providers.iter(), |(_, outcome)| {
            let outcome = outcome.clone();
            async move { outcome }
        })
        .name(|(name, _)| name)
        .display_errors()
        .await
        .expect("the second serves");
        assert_eq!(served.alternative(), "anthropic");
        assert_eq!(
            collect.briefs(),
            [
                brief("openai", 1, "failed"),
                brief("anthropic", 1, "served")
            ]
        );
        assert_eq!(
            collect.seen()[0].field("error"),
            Some("Transient(\"first\")")
        );
    }
}

mod hedge {
    use super::*;

    async fn replica(
        log: &Log,
        name: &'static str,
        delay: u64,
        outcome: Result<&'static str, Error>,
    ) -> Result<String, Error> {
        let _note = DropNote(log, name);
        step(log, name, delay, outcome).await
    }

    async fn slow(log: &Log) -> Result<String, Error> {
        replica(log, "slow", 1_000, Ok("slow")).await
    }

    async fn quick(log: &Log) -> Result<String, Error> {
        replica(log, "quick", 50, Ok("quick")).await
    }

    async fn fails_fast(log: &Log) -> Result<String, Error> {
        replica(log, "fails_fast", 10, Err(Error::Transient("fast failure"))).await
    }

    async fn refuses(log: &Log) -> Result<String, Error> {
        replica(log, "refuses", 10, Err(Error::Fatal("refused"))).await
    }

    #[fallback(primary = slow, then = [quick], hedge = "300ms")]
    async fn hedged(log: &Log) -> Result<String, Error>;

    #[tokio::test(start_paused = true)]
    async fn the_hedge_starts_at_exactly_its_delay_and_the_loser_is_dropped() {
        let log = Log::new();
        assert_eq!(hedged(&log).await, Ok("quick".to_string()));
        assert_eq!(
            log.entries(),
            [
                (0, "start slow".into()),
                (300, "start quick".into()),
                (350, "end quick".into()),
                (350, "drop quick".into()),
                (350, "drop slow".into()),
            ]
        );
    }

    #[fallback(primary = quick, then = [slow], hedge = "300ms")]
    async fn fast_primary(log: &Log) -> Result<String, Error>;

    #[tokio::test(start_paused = true)]
    async fn an_answer_before_the_delay_starts_nothing_else() {
        let log = Log::new();
        assert_eq!(fast_primary(&log).await, Ok("quick".to_string()));
        assert!(log.entries().iter().all(|(_, what)| !what.contains("slow")));
    }

    #[fallback(primary = fails_fast, then = [quick], hedge = "300ms")]
    async fn failing_primary(log: &Log) -> Result<String, Error>;

    #[tokio::test(start_paused = true)]
    async fn an_error_starts_the_next_at_once() {
        let log = Log::new();
        assert_eq!(failing_primary(&log).await, Ok("quick".to_string()));
        assert!(
            log.entries().contains(&(10, "start quick".into())),
            "{:?}",
            log.entries()
        );
    }

    #[fallback(primary = slow, then = [slow, quick], hedge = "300ms")]
    async fn three(log: &Log) -> Result<String, Error>;

    #[tokio::test(start_paused = true)]
    async fn each_next_alternative_starts_one_delay_later() {
        let log = Log::new();
        assert_eq!(three(&log).await, Ok("quick".to_string()));
        let starts: Vec<_> = log
            .entries()
            .into_iter()
            .filter(|(_, what)| what.starts_with("start"))
            .collect();
        assert_eq!(
            starts,
            [
                (0, "start slow".into()),
                (300, "start slow".into()),
                (600, "start quick".into())
            ]
        );
        assert_eq!(log.now(), 650);
    }

    #[fallback(primary = refuses, then = [quick], hedge = "5ms", on = is_transient)]
    async fn rejected(log: &Log) -> Result<String, Error>;

    #[tokio::test(start_paused = true)]
    async fn an_error_the_filter_rejects_ends_the_hedge_at_once() {
        let log = Log::new();
        assert_eq!(rejected(&log).await, Err(Error::Fatal("refused")));
        assert_eq!(log.now(), 10, "did not wait for the other attempt");
        assert!(
            log.entries().contains(&(10, "drop quick".into())),
            "{:?}",
            log.entries()
        );
    }

    #[fallback(primary = fails_fast, then = [fails_fast], hedge = "300ms")]
    async fn all_fail(log: &Log) -> Result<String, Error>;

    #[tokio::test(start_paused = true)]
    async fn when_all_fail_the_later_alternatives_error_is_returned() {
        let log = Log::new();
        assert_eq!(all_fail(&log).await, Err(Error::Transient("fast failure")));
        assert_eq!(log.now(), 20);
    }

    #[fallback(primary = slow, then = [slow], hedge = "300ms", timeout = "500ms")]
    async fn hedged_with_timeout(log: &Log) -> Result<String, Error>;

    #[tokio::test(start_paused = true)]
    async fn a_timeout_applies_to_each_hedged_attempt() {
        let log = Log::new();
        let error = hedged_with_timeout(&log).await.unwrap_err();
        assert_eq!(error, Error::Timeout(Elapsed::timeout(500 * MS)));
        assert_eq!(
            log.now(),
            800,
            "the second attempt started at 300 ms and timed out at 800"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_inline_chain_hedges_too() {
        let log = Log::new();
        let reply = fallback_chain!(slow(&log) | quick(&log), hedge = "100ms").await;
        assert_eq!(reply, Ok("quick".to_string()));
        assert_eq!(log.now(), 150);
    }

    async fn hangs(log: &Log) -> Result<String, Error> {
        replica(log, "hangs", 3_600_000, Ok("late")).await
    }

    /// Only the filter's own kind of error moves on: a timeout must move on anyway.
    fn only_transient(error: &Error) -> bool {
        matches!(error, Error::Transient(_))
    }

    #[fallback(primary = hangs, then = [quick], hedge = "500ms", timeout = "100ms", on = only_transient)]
    async fn timeout_under_strict_filter(log: &Log) -> Result<String, Error>;

    #[tokio::test(start_paused = true)]
    async fn a_timeout_moves_a_hedged_chain_on_whatever_the_filter_says() {
        let log = Log::new();
        assert_eq!(
            timeout_under_strict_filter(&log).await,
            Ok("quick".to_string())
        );
        assert_eq!(
            log.entries(),
            [
                (0, "start hangs".into()),
                (100, "drop hangs".into()),
                (100, "start quick".into()),
                (150, "end quick".into()),
                (150, "drop quick".into()),
            ]
        );
    }

    #[fallback(primary = fails_fast, then = [quick], hedge = "300ms", retries = 2, backoff = "1ms")]
    async fn retried(log: &Log) -> Result<String, Error>;

    #[tokio::test(start_paused = true)]
    async fn a_hedged_alternative_is_retried_before_the_next_starts_early() {
        fallbacks::jitter::seed(7);
        let log = Log::new();
        assert_eq!(retried(&log).await, Ok("quick".to_string()));
        let starts: Vec<String> = log
            .entries()
            .into_iter()
            .filter(|(_, what)| what.starts_with("start"))
            .map(|(_, what)| what)
            .collect();
        assert_eq!(
            starts,
            [
                "start fails_fast",
                "start fails_fast",
                "start fails_fast",
                "start quick"
            ]
        );
        // Three tries of 10 ms, pauses of at most 1 then 2 ms, then quick's 50 ms: the
        // hedge's 300 ms never came.
        assert!((80..=83).contains(&log.now()), "{}", log.now());
    }

    #[fallback(primary = refuses, then = [quick], hedge = "300ms", retries = 2, on = is_transient)]
    async fn refused_not_retried(log: &Log) -> Result<String, Error>;

    #[tokio::test(start_paused = true)]
    async fn an_error_the_filter_rejects_is_not_retried() {
        let log = Log::new();
        assert_eq!(
            refused_not_retried(&log).await,
            Err(Error::Fatal("refused"))
        );
        assert_eq!(log.now(), 10);
    }

    async fn fails_late(log: &Log) -> Result<String, Error> {
        replica(
            log,
            "fails_late",
            1_000,
            Err(Error::Transient("late failure")),
        )
        .await
    }

    #[fallback(primary = fails_late, then = [fails_fast], hedge = "300ms")]
    async fn all_failed(log: &Log) -> Result<String, AllFailed<Error>>;

    #[tokio::test(start_paused = true)]
    async fn all_failed_lists_the_errors_in_the_order_they_happened() {
        let log = Log::new();
        let errors = all_failed(&log).await.unwrap_err();
        let failures: Vec<(&str, usize, &Error)> = errors
            .iter()
            .map(|failure| (failure.alternative(), failure.index(), failure.error()))
            .collect();
        // The hedge started at 300 ms and failed at 310; the primary failed at 1000.
        assert_eq!(
            failures,
            [
                ("fails_fast", 1, &Error::Transient("fast failure")),
                ("fails_late", 0, &Error::Transient("late failure")),
            ]
        );
        assert_eq!(errors.alternatives(), 2);
        assert_eq!(log.now(), 1_000);
    }

    #[tokio::test(start_paused = true)]
    async fn an_inline_hedged_chain_collects_every_try() {
        let log = Log::new();
        let errors = fallback_chain!(
            fails_fast(&log) | refuses(&log),
            hedge = "300ms",
            retries = 1,
            backoff = "1ms",
            on = is_transient,
            error = AllFailed<Error>
        )
        .await
        .unwrap_err();
        let alternatives: Vec<&str> = errors.iter().map(|f| f.alternative()).collect();
        // fails_fast twice (its retry), then refuses once: its error is not retried.
        assert_eq!(
            alternatives,
            ["fails_fast(&log)", "fails_fast(&log)", "refuses(&log)"]
        );
        assert_eq!(errors.last().error(), &Error::Fatal("refused"));
        // Two alternatives, each counted once whatever its tries; both ran.
        assert_eq!((errors.len(), errors.alternatives_failed()), (3, 2));
        assert_eq!(errors.alternatives(), 2);
        assert!(!errors.stopped_early());
        assert!(
            errors
                .to_string()
                .starts_with("all 2 alternatives failed: "),
            "{errors}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_zero_backoff_or_hedge_written_as_a_literal_does_not_wait() {
        let log = Log::new();
        // Each try takes 10 ms: two tries of each alternative, back to back.
        let result = fallback_chain!(
            fails_fast(&log) | quick(&log),
            retries = 1,
            backoff = "0ms",
            on = is_transient,
        )
        .await;
        assert_eq!(result.as_deref(), Ok("quick"));
        assert_eq!(log.now(), 10 + 10 + 50);
        // A zero hedge starts the next alternative with the first: the quicker serves.
        let log = Log::new();
        let result = fallback_chain!(slow(&log) | quick(&log), hedge = "0ms").await;
        assert_eq!(result.as_deref(), Ok("quick"));
        assert_eq!(log.now(), 50);
    }

    #[tokio::test(start_paused = true)]
    async fn all_failed_with_retries_counts_each_alternative_once() {
        let log = Log::new();
        let errors = fallback_chain!(
            fails_fast(&log) | refuses(&log) | fails_fast(&log),
            retries = 1,
            backoff = "1ms",
            on = is_transient,
            error = AllFailed<Error>
        )
        .await
        .unwrap_err();
        // fails_fast twice, then refuses once (fatal: not retried, and the third
        // alternative never runs).
        assert_eq!((errors.len(), errors.alternatives_failed()), (3, 2));
        assert_eq!(errors.alternatives(), 3);
        assert!(errors.stopped_early());
        assert!(
            errors.to_string().starts_with(
                "2 of 3 alternatives failed, the last with an error that stopped the chain: "
            ),
            "{errors}"
        );
    }
}

/// `err =>` with `AllFailed` and time options: the next alternative sees the last error
/// of the one before (its last try), while every error is kept for `AllFailed`.
mod previous_error_collected {
    use super::*;

    async fn hangs(log: &Log) -> Result<String, Error> {
        step(log, "hangs", 1_000, Ok("late")).await
    }

    /// Fails with a different error on each try: `b1`, then `b2`.
    async fn flaky(log: &Log) -> Result<String, Error> {
        let tries = log
            .entries()
            .iter()
            .filter(|(_, what)| what == "start flaky")
            .count();
        let error = if tries == 0 { "b1" } else { "b2" };
        step(log, "flaky", 10, Err(Error::Transient(error))).await
    }

    async fn sees(log: &Log, err: &Error) -> Result<String, Error> {
        log.note(format!("sees {err:?}"));
        Err(Error::Transient("still down"))
    }

    #[fallback(
        primary = hangs,
        then = [flaky, err => sees(log, err)],
        timeout = "100ms",
        retries = 1,
        backoff = "1ms"
    )]
    async fn collected(log: &Log) -> Result<String, AllFailed<Error>>;

    #[tokio::test(start_paused = true)]
    async fn the_next_alternative_sees_the_last_try_of_the_one_before() {
        let log = Log::new();
        let errors = collected(&log).await.unwrap_err();
        let seen: Vec<String> = log
            .entries()
            .into_iter()
            .filter(|(_, what)| what.starts_with("sees"))
            .map(|(_, what)| what)
            .collect();
        // Only the last alternative asked, and once per try: it saw `b2`, not `b1`.
        assert_eq!(seen, ["sees Transient(\"b2\")", "sees Transient(\"b2\")"]);
        let failures: Vec<(&str, &Error)> = errors
            .iter()
            .map(|failure| (failure.alternative(), failure.error()))
            .collect();
        let timeout = Error::Timeout(Elapsed::timeout(100 * MS));
        assert_eq!(
            failures,
            [
                ("hangs", &timeout),
                ("hangs", &timeout),
                ("flaky", &Error::Transient("b1")),
                ("flaky", &Error::Transient("b2")),
                ("sees(log, err)", &Error::Transient("still down")),
                ("sees(log, err)", &Error::Transient("still down")),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_inline_chain_does_the_same() {
        let log = Log::new();
        let errors = fallback_chain!(
            flaky(&log) | err => sees(&log, err),
            error = AllFailed<Error>,
            timeout = "100ms"
        )
        .await
        .unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors.first().error(), &Error::Transient("b1"));
        assert!(log
            .entries()
            .iter()
            .any(|(at, what)| *at == 10 && what == "sees Transient(\"b1\")"));
    }
}

mod try_each {
    use std::cell::Cell;

    use fallbacks::{try_each, TryEachError};

    use super::*;

    struct Provider {
        name: &'static str,
        delay: u64,
        outcome: Result<&'static str, Error>,
        calls: Cell<u32>,
    }

    impl Provider {
        fn new(name: &'static str, delay: u64, outcome: Result<&'static str, Error>) -> Provider {
            Provider {
                name,
                delay,
                outcome,
                calls: Cell::new(0),
            }
        }

        async fn complete(&self, log: &Log) -> Result<String, Error> {
            self.calls.set(self.calls.get() + 1);
            step(log, self.name, self.delay, self.outcome.clone()).await
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_item_that_succeeds_serves_and_says_which_it_was() {
        let log = Log::new();
        let providers = [
            Provider::new("a", 10, Err(Error::Transient("a down"))),
            Provider::new("b", 10, Ok("from b")),
            Provider::new("c", 10, Ok("from c")),
        ];
        let served = try_each(&providers, |p| p.complete(&log)).await.unwrap();
        assert_eq!((served.index(), served.failed_before()), (1, 1));
        assert_eq!(served.into_value(), "from b");
        assert_eq!(providers[2].calls.get(), 0, "c was never called");
    }

    /// A provider behind a trait object, as a list read from configuration holds it.
    trait Complete {
        fn name(&self) -> &'static str;
        fn up(&self) -> bool;
    }

    struct Remote(&'static str, bool);

    impl Complete for Remote {
        fn name(&self) -> &'static str {
            self.0
        }
        fn up(&self) -> bool {
            self.1
        }
    }

    async fn complete_with(provider: Box<dyn Complete>) -> Result<String, Error> {
        if provider.up() {
            Ok(format!("from {}", provider.name()))
        } else {
            Err(Error::Transient(provider.name()))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn items_that_are_not_clone_are_moved_into_their_one_call() {
        // `Box<dyn Trait>` is not `Clone`: without retries, nothing needs to be.
        let providers: Vec<Box<dyn Complete>> =
            vec![Box::new(Remote("a", false)), Box::new(Remote("b", true))];
        let served = try_each(providers, complete_with).await.unwrap();
        assert_eq!(served.index(), 1);
        assert_eq!(served.into_value(), "from b");
    }

    #[derive(Debug, PartialEq)]
    enum AppError {
        NoProviders,
        Upstream(Error),
    }

    async fn answer(providers: Vec<Box<dyn Complete>>) -> Result<String, AppError> {
        let served = try_each(providers, |provider| async move {
            complete_with(provider).await.map_err(AppError::Upstream)
        })
        .when_empty(|| AppError::NoProviders)
        .await?;
        Ok(served.into_value())
    }

    #[tokio::test(start_paused = true)]
    async fn when_empty_lets_question_mark_take_the_error_into_the_callers_type() {
        assert_eq!(answer(Vec::new()).await, Err(AppError::NoProviders));
        let down: Vec<Box<dyn Complete>> = vec![Box::new(Remote("a", false))];
        assert_eq!(
            answer(down).await,
            Err(AppError::Upstream(Error::Transient("a")))
        );
        let up: Vec<Box<dyn Complete>> = vec![Box::new(Remote("a", true))];
        assert_eq!(answer(up).await, Ok("from a".to_string()));
    }

    #[tokio::test(start_paused = true)]
    async fn the_builder_infers_the_error_type_from_the_closure() {
        // No turbofish: `timeout` learns `E` from what the closure returns, and a
        // closure filter its parameter's type.
        let providers = [
            Provider::new("a", 500, Ok("slow")),
            Provider::new("b", 10, Ok("b")),
        ];
        let log = Log::new();
        let served = try_each(&providers, |p| p.complete(&log))
            .on(|error| !matches!(error, Error::Fatal(_)))
            .timeout(100 * MS)
            .await
            .unwrap();
        assert_eq!(served.index(), 1);
        assert_eq!(log.now(), 110);
    }

    #[tokio::test(start_paused = true)]
    async fn a_rejected_error_is_returned_with_its_index() {
        let log = Log::new();
        let providers = [
            Provider::new("a", 10, Err(Error::Fatal("invalid"))),
            Provider::new("b", 10, Ok("from b")),
        ];
        let error = try_each(&providers, |p| p.complete(&log))
            .on(is_transient)
            .await
            .unwrap_err();
        assert_eq!(
            error,
            TryEachError::Failed {
                error: Error::Fatal("invalid"),
                index: 0,
                name: "item",
            }
        );
        assert_eq!(providers[1].calls.get(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn when_every_item_fails_the_last_error_is_returned_and_none_means_no_items() {
        let log = Log::new();
        let providers = [
            Provider::new("a", 10, Err(Error::Transient("a down"))),
            Provider::new("b", 10, Err(Error::Transient("b down"))),
        ];
        let error = try_each(&providers, |p| p.complete(&log))
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "alternative 1 failed: Transient(\"b down\")"
        );
        let none: [Provider; 0] = [];
        let error = try_each(&none, |p| p.complete(&log)).await.unwrap_err();
        assert_eq!(error, TryEachError::NoItems);
    }

    #[tokio::test(start_paused = true)]
    async fn a_timeout_moves_on_after_exactly_its_limit() {
        let log = Log::new();
        let providers = [
            Provider::new("slow", 1_000, Ok("slow")),
            Provider::new("quick", 10, Ok("quick")),
        ];
        let served = try_each(&providers, |p| p.complete(&log))
            .timeout(100 * MS)
            .await
            .unwrap();
        assert_eq!(served.into_value(), "quick");
        assert_eq!(log.entries()[1], (100, "start quick".into()));
    }

    #[tokio::test(start_paused = true)]
    async fn all_failed_lists_every_try_in_order_up_to_the_error_that_stops_the_chain() {
        let log = Log::new();
        let providers = [
            Provider::new("a", 10, Err(Error::Transient("a down"))),
            Provider::new("b", 10, Err(Error::Transient("b down"))),
            Provider::new("c", 10, Err(Error::Fatal("c refuses"))),
            Provider::new("d", 10, Ok("d")),
        ];
        let error = try_each(&providers, |p| p.complete(&log))
            .name(|p: &&Provider| p.name)
            .on(is_transient)
            .timeout(100 * MS)
            .retries(1)
            .all_failed()
            .await
            .unwrap_err();
        let TryEachError::Failed {
            error,
            index: 2,
            name: "c",
        } = error
        else {
            panic!("c's error stops the chain: {error:?}");
        };
        let listed: Vec<_> = error
            .iter()
            .map(|f| (f.alternative(), f.index(), f.error().clone()))
            .collect();
        assert_eq!(
            listed,
            [
                ("a", 0, Error::Transient("a down")),
                ("a", 0, Error::Transient("a down")),
                ("b", 1, Error::Transient("b down")),
                ("b", 1, Error::Transient("b down")),
                ("c", 2, Error::Fatal("c refuses")),
            ]
        );
        assert_eq!(providers[3].calls.get(), 0, "stopped before d");
    }

    #[tokio::test(start_paused = true)]
    async fn a_deadline_ends_both_hedged_tries_each_reported_failed() {
        let log = Log::new();
        let providers = [
            Provider::new("a", 1_000, Ok("a")),
            Provider::new("b", 1_000, Ok("b")),
        ];
        let failed = RefCell::new(Vec::new());
        let error = try_each(&providers, |p| p.complete(&log))
            .deadline(250 * MS)
            .observe(|event: &Event<'_, Error>| {
                if let EventKind::Failed(error) = event.kind {
                    failed
                        .borrow_mut()
                        .push((event.index, error.clone(), event.elapsed));
                }
            })
            .hedge(100 * MS)
            .await
            .unwrap_err();
        assert_eq!(
            error,
            TryEachError::Failed {
                error: Error::Timeout(Elapsed::deadline(250 * MS)),
                index: 1,
                name: "item",
            },
            "the later item's"
        );
        let deadline = Error::Timeout(Elapsed::deadline(250 * MS));
        assert_eq!(
            *failed.borrow(),
            [(0, deadline.clone(), 250 * MS), (1, deadline, 150 * MS)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_deadline_cuts_the_list() {
        let log = Log::new();
        let providers = [
            Provider::new("a", 200, Err(Error::Transient("a down"))),
            Provider::new("b", 1_000, Ok("b")),
            Provider::new("c", 0, Ok("c")),
        ];
        let error = try_each(&providers, |p| p.complete(&log))
            .deadline(250 * MS)
            .await
            .unwrap_err();
        assert_eq!(
            error,
            TryEachError::Failed {
                error: Error::Timeout(Elapsed::deadline(250 * MS)),
                index: 1,
                name: "item",
            }
        );
        assert_eq!(log.now(), 250);
        assert_eq!(providers[2].calls.get(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn retries_pause_within_their_bounds_and_events_are_observed() {
        fallbacks::jitter::seed(3);
        let log = Log::new();
        let providers = [
            Provider::new("a", 0, Err(Error::Transient("a down"))),
            Provider::new("b", 0, Ok("b")),
        ];
        let events = RefCell::new(Vec::new());
        let served = try_each(&providers, |p| p.complete(&log))
            .retries(2)
            .backoff(100 * MS)
            .observe(|event: &Event<'_, Error>| {
                assert_eq!(event.chain, "try_each");
                if let EventKind::Started = event.kind {
                    events.borrow_mut().push((event.index, event.attempt));
                }
            })
            .await
            .unwrap();
        assert_eq!((served.index(), served.failed_before()), (1, 3));
        assert_eq!(providers[0].calls.get(), 3);
        assert_eq!(*events.borrow(), [(0, 1), (0, 2), (0, 3), (1, 1)]);
        assert!(
            log.now() <= 300,
            "two pauses of at most 100 and 200 ms: {}",
            log.now()
        );
    }

    #[test]
    fn items_are_taken_one_at_a_time_as_their_turn_comes() {
        let taken = Cell::new(0);
        let items = (0..5).inspect(|_| taken.set(taken.get() + 1));
        let served = futures::executor::block_on(std::future::IntoFuture::into_future(try_each(
            items,
            |n| async move {
                if n < 1 {
                    Err(n)
                } else {
                    Ok(n * 10)
                }
            },
        )))
        .unwrap();
        assert_eq!(served.into_value(), 10);
        assert_eq!(taken.get(), 2);
    }
}

mod try_each_hedged {
    use fallbacks::try_each;

    use super::*;

    struct Replica {
        name: &'static str,
        delay: u64,
        outcome: Result<&'static str, Error>,
    }

    impl Replica {
        async fn ask(&self, log: &Log) -> Result<String, Error> {
            let _note = DropNote(log, self.name);
            step(log, self.name, self.delay, self.outcome.clone()).await
        }
    }

    fn replica(name: &'static str, delay: u64, outcome: Result<&'static str, Error>) -> Replica {
        Replica {
            name,
            delay,
            outcome,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_next_item_starts_at_exactly_the_delay_and_the_loser_is_dropped() {
        let log = Log::new();
        let replicas = [
            replica("slow", 1_000, Ok("slow")),
            replica("quick", 50, Ok("quick")),
        ];
        let served = try_each(&replicas, |r| r.ask(&log))
            .hedge(300 * MS)
            .await
            .unwrap();
        assert_eq!(
            (served.index(), served.into_value()),
            (1, "quick".to_string())
        );
        assert_eq!(
            log.entries(),
            [
                (0, "start slow".into()),
                (300, "start quick".into()),
                (350, "end quick".into()),
                (350, "drop quick".into()),
                (350, "drop slow".into()),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_error_starts_the_next_item_at_once() {
        let log = Log::new();
        let replicas = [
            replica("fails", 10, Err(Error::Transient("down"))),
            replica("quick", 10, Ok("quick")),
        ];
        let served = try_each(&replicas, |r| r.ask(&log))
            .hedge(300 * MS)
            .await
            .unwrap();
        assert_eq!(served.failed_before(), 1);
        assert!(
            log.entries().contains(&(10, "start quick".into())),
            "{:?}",
            log.entries()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_two_attempts_are_in_flight() {
        let log = Log::new();
        let replicas = [
            replica("a", 1_000, Ok("a")),
            replica("b", 1_000, Ok("b")),
            replica("c", 10, Ok("c")),
        ];
        let served = try_each(&replicas, |r| r.ask(&log))
            .hedge(100 * MS)
            .await
            .unwrap();
        // c waits for a place: a answers at 1000 ms, before c could start.
        assert_eq!(served.into_value(), "a");
        assert!(!log.entries().iter().any(|(_, what)| what == "start c"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_rejected_error_ends_the_hedge_at_once() {
        let log = Log::new();
        let replicas = [
            replica("refuses", 10, Err(Error::Fatal("no"))),
            replica("slow", 1_000, Ok("slow")),
        ];
        let error = try_each(&replicas, |r| r.ask(&log))
            .on(is_transient)
            .hedge(5 * MS)
            .await
            .unwrap_err();
        assert_eq!(error.into_error(), Some(Error::Fatal("no")));
        assert_eq!(log.now(), 10);
    }

    #[tokio::test(start_paused = true)]
    async fn when_every_item_fails_the_last_items_error_is_returned() {
        let log = Log::new();
        let replicas = [
            replica("a", 20, Err(Error::Transient("a"))),
            replica("b", 10, Err(Error::Transient("b"))),
        ];
        let error = try_each(&replicas, |r| r.ask(&log))
            .hedge(5 * MS)
            .await
            .unwrap_err();
        assert_eq!(error.to_string(), "alternative 1 failed: Transient(\"b\")");
    }
}

mod hedge_observed {
    use super::*;

    thread_local! {
        static SEEN: RefCell<Vec<(&'static str, &'static str, u64)>> = const { RefCell::new(Vec::new()) };
    }

    fn record(event: &Event<'_, Error>) {
        let kind = match event.kind {
            EventKind::Started => "started",
            EventKind::Succeeded => "served",
            EventKind::Failed(_) => "failed",
            EventKind::Cancelled => "cancelled",
            _ => "other",
        };
        let at = event.elapsed.as_millis() as u64;
        SEEN.with(|seen| seen.borrow_mut().push((event.alternative, kind, at)));
    }

    async fn slow(log: &Log) -> Result<String, Error> {
        step(log, "slow", 1_000, Ok("slow")).await
    }

    async fn quick(log: &Log) -> Result<String, Error> {
        step(log, "quick", 50, Ok("quick")).await
    }

    #[fallback(primary = slow, then = [quick], hedge = "300ms", observe = record)]
    async fn hedged(log: &Log) -> Result<String, Error>;

    #[tokio::test(start_paused = true)]
    async fn a_hedged_chain_reports_which_attempt_started_and_served() {
        SEEN.with(|seen| seen.borrow_mut().clear());
        let log = Log::new();
        assert_eq!(hedged(&log).await, Ok("quick".to_string()));
        let seen = SEEN.with(|seen| seen.borrow().clone());
        // `slow` was dropped while running: it neither served nor failed, and says so
        // (quick started at 300 ms and served at 350).
        assert_eq!(
            seen,
            [
                ("slow", "started", 0),
                ("quick", "started", 0),
                ("quick", "served", 50),
                ("slow", "cancelled", 350),
            ]
        );
    }
}
