//! The three forms of a chain — `#[fallback]`, `fallback_chain!` and `try_each` — run
//! the same scripted scenarios with the same options (timeout, retries with backoff,
//! the filter, observe, deadline, cooldown in a caller's health) and must agree: the same calls, the same events at the
//! same instants, the same result. They share one attempt lifecycle in the runtime; this
//! test is what keeps it so. Random scripts (proptest), each run in tokio's paused
//! time, with the jitter seeded the same for every form.

#![cfg(feature = "tokio")]

use std::cell::RefCell;
use std::time::Duration;

use fallbacks::{fallback, fallback_chain, try_each, Elapsed, Event, EventKind, Health};
use proptest::prelude::*;
use tokio::time::{sleep, Instant};

#[derive(Debug, Clone, PartialEq)]
enum Error {
    Transient(usize),
    Fatal(usize),
    Timeout,
}

impl From<Elapsed> for Error {
    fn from(_: Elapsed) -> Self {
        Error::Timeout
    }
}

fn is_transient(error: &Error) -> bool {
    !matches!(error, Error::Fatal(_))
}

/// What one call of an alternative does.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Ok,
    Transient,
    Fatal,
    /// Answers `Ok` after 250 ms: past the 100 ms timeout.
    Slow,
    /// Answers `Ok` after 60 ms: within the timeout, but the deadline may pass.
    Late,
    /// Fails with a fatal error after 120 ms: at the hedged chains' deadline.
    FatalAtDeadline,
}

thread_local! {
    /// Each alternative's script, consumed a step per call (`Ok` once it runs out).
    static SCRIPTS: RefCell<Vec<Vec<Step>>> = const { RefCell::new(Vec::new()) };
    /// Calls made, as (alternative, milliseconds since the run's start).
    static CALLS: RefCell<Vec<(usize, u64)>> = const { RefCell::new(Vec::new()) };
    /// Events heard, as text with their instant.
    static EVENTS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    static START: RefCell<Option<Instant>> = const { RefCell::new(None) };
}

fn since_start() -> u64 {
    START.with(|start| {
        start
            .borrow()
            .map_or(0, |start| (Instant::now() - start).as_millis() as u64)
    })
}

async fn call(index: usize) -> Result<u32, Error> {
    CALLS.with(|calls| calls.borrow_mut().push((index, since_start())));
    let step = SCRIPTS.with(|scripts| {
        let mut scripts = scripts.borrow_mut();
        let script = &mut scripts[index];
        if script.is_empty() {
            Step::Ok
        } else {
            script.remove(0)
        }
    });
    match step {
        Step::Ok => Ok(index as u32 * 10),
        Step::Transient => Err(Error::Transient(index)),
        Step::Fatal => Err(Error::Fatal(index)),
        Step::Slow => {
            sleep(Duration::from_millis(250)).await;
            Ok(index as u32 * 10 + 1)
        }
        Step::Late => {
            sleep(Duration::from_millis(60)).await;
            Ok(index as u32 * 10 + 2)
        }
        Step::FatalAtDeadline => {
            sleep(Duration::from_millis(120)).await;
            Err(Error::Fatal(index))
        }
    }
}

/// The macros' alternatives; `try_each` calls `call(index)` over `0..3`.
async fn a() -> Result<u32, Error> {
    call(0).await
}

async fn b() -> Result<u32, Error> {
    call(1).await
}

async fn c() -> Result<u32, Error> {
    call(2).await
}

/// Events by position, not name (`try_each` names every item "item").
fn record(event: &Event<'_, Error>) {
    let kind = match event.kind {
        EventKind::Started => "started".to_string(),
        EventKind::Succeeded => "served".to_string(),
        EventKind::Failed(error) => format!("failed {error:?}"),
        EventKind::Skipped => "skipped".to_string(),
        EventKind::Cancelled => "cancelled".to_string(),
        _ => "other".to_string(),
    };
    let line = format!(
        "{}ms [{}] try {} {kind} after {:?}",
        since_start(),
        event.index,
        event.attempt,
        event.elapsed
    );
    EVENTS.with(|events| events.borrow_mut().push(line));
}

/// Each form's health, reset before each run: a run is two calls, the second seeing the
/// cooldowns the first tripped. One per thread (tests run in parallel), leaked to live
/// as long as the thread's chains borrow it.
fn health(form: usize) -> &'static Health<3> {
    thread_local! {
        static HEALTHS: [&'static Health<3>; 3] = [(); 3].map(|()| &*Box::leak(Box::new(Health::new())));
    }
    HEALTHS.with(|healths| healths[form])
}

#[fallback(primary = a, then = [b, c], on = is_transient, timeout = "100ms", retries = 1, backoff = "20ms", deadline = "500ms", observe = record, cooldown = "10s", trip_after = 2, health = health(0))]
async fn attribute() -> Result<u32, Error>;

async fn inline() -> Result<u32, Error> {
    fallback_chain!(
        a() | b() | c(),
        on = is_transient,
        timeout = "100ms",
        retries = 1,
        backoff = "20ms",
        deadline = "500ms",
        observe = record,
        cooldown = "10s",
        trip_after = 2,
        health = health(1),
    )
    .await
}

async fn run_time() -> Result<u32, Error> {
    try_each(0..3, call)
        .on(is_transient)
        .timeout(Duration::from_millis(100))
        .retries(1)
        .backoff(Duration::from_millis(20))
        .deadline(Duration::from_millis(500))
        .observe(record)
        .cooldown(Duration::from_secs(10), health(2))
        .trip_after(2)
        .await
        .map(|served| served.into_value())
        .map_err(|error| error.into_error().expect("three items"))
}

#[fallback(primary = a, then = [b], on = is_transient, hedge = "50ms", deadline = "120ms", observe = record)]
async fn attribute_hedged() -> Result<u32, Error>;

async fn inline_hedged() -> Result<u32, Error> {
    fallback_chain!(
        a() | b(),
        on = is_transient,
        hedge = "50ms",
        deadline = "120ms",
        observe = record,
    )
    .await
}

async fn run_time_hedged() -> Result<u32, Error> {
    try_each(0..2, call)
        .on(is_transient)
        .deadline(Duration::from_millis(120))
        .observe(record)
        .hedge(Duration::from_millis(50))
        .await
        .map(|served| served.into_value())
        .map_err(|error| error.into_error().expect("two items"))
}

/// What a form did with `scripts` in two calls: their results, the calls, the events.
type Run = ([Result<u32, Error>; 2], Vec<(usize, u64)>, Vec<String>);

fn run(form: &str, scripts: &[Vec<Step>]) -> Run {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime");
    SCRIPTS.with(|s| *s.borrow_mut() = scripts.to_vec());
    CALLS.with(|calls| calls.borrow_mut().clear());
    EVENTS.with(|events| events.borrow_mut().clear());
    fallbacks::jitter::seed(7);
    for form in 0..3 {
        health(form).reset();
    }
    let result = runtime.block_on(async {
        START.with(|start| *start.borrow_mut() = Some(Instant::now()));
        let mut results = Vec::new();
        for _ in 0..2 {
            results.push(match form {
                "attribute" => attribute().await,
                "inline" => inline().await,
                "attribute_hedged" => attribute_hedged().await,
                "inline_hedged" => inline_hedged().await,
                "try_each_hedged" => run_time_hedged().await,
                _ => run_time().await,
            });
        }
        [results[0].clone(), results[1].clone()]
    });
    (
        result,
        CALLS.with(|calls| calls.borrow().clone()),
        EVENTS.with(|events| events.borrow().clone()),
    )
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Ok),
        Just(Step::Transient),
        Just(Step::Fatal),
        Just(Step::Slow),
        Just(Step::Late),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_three_forms_agree(scripts in prop::collection::vec(prop::collection::vec(step(), 0..3), 3)) {
        let attribute = run("attribute", &scripts);
        let inline = run("inline", &scripts);
        let run_time = run("try_each", &scripts);
        prop_assert_eq!(&attribute, &inline);
        prop_assert_eq!(&attribute, &run_time);
        // Not trivially equal: something ran, and every call was heard.
        let (_, calls, events) = &attribute;
        prop_assert!(!calls.is_empty());
        let starts = events.iter().filter(|event| event.contains("started")).count();
        prop_assert_eq!(starts, calls.len());
    }
}

#[test]
fn a_known_scenario_reads_the_same_through_each_form() {
    // a: a transient error, retried, then too slow; b: fatal, which ends the chain.
    let scripts = vec![vec![Step::Transient, Step::Slow], vec![Step::Fatal], vec![]];
    let expected_calls = [(0, 0), (0, 20), (1, 120)];
    for form in ["attribute", "inline", "try_each"] {
        let (results, calls, events) = run(form, &scripts);
        let result = results[0].clone();
        assert_eq!(result, Err(Error::Fatal(1)), "{form}");
        // The retry's pause is the seeded jitter's, the same for every form.
        assert_eq!(calls.len(), expected_calls.len() + 1, "{form}: {calls:?}");
        assert_eq!(calls[0], expected_calls[0], "{form}");
        assert_eq!(calls[1].0, 0, "{form}");
        assert!(calls[1].1 <= 20, "{form}: the pause is at most the backoff");
        assert_eq!(
            calls[2],
            (1, calls[1].1 + 100),
            "{form}: b starts at a's timeout"
        );
        assert_eq!(events.len(), 9, "{form}: {events:#?}");
        assert!(
            events[3].contains("[0] try 2 failed Timeout after 100ms"),
            "{form}: {events:#?}"
        );
        assert!(
            events[5].contains("[1] try 1 failed Fatal(1)"),
            "{form}: {events:#?}"
        );
        // The second call: a failed twice (trip_after = 2), so it is skipped; b serves.
        assert_eq!(results[1], Ok(10), "{form}");
        assert_eq!(calls[3].0, 1, "{form}: {calls:?}");
        assert!(
            events[6].contains("[0] try 1 skipped"),
            "{form}: {events:#?}"
        );
    }
}

#[test]
fn a_try_the_deadline_cuts_is_reported_as_failed_by_each_form() {
    // Every try is too slow: a and b time out twice each (with their retries), and the
    // deadline passes while c runs.
    let scripts = vec![vec![Step::Slow; 2], vec![Step::Slow; 2], vec![Step::Slow]];
    let mut seen = Vec::new();
    for form in ["attribute", "inline", "try_each"] {
        let (results, calls, events) = run(form, &scripts);
        assert_eq!(results[0], Err(Error::Timeout), "{form}");
        let first_call: Vec<usize> = calls.iter().take(5).map(|(index, _)| *index).collect();
        assert_eq!(first_call, [0, 0, 1, 1, 2], "{form}: {calls:?}");
        let cut = events
            .iter()
            .position(|event| event.starts_with("500ms [2] try 1 failed Timeout"))
            .unwrap_or_else(|| panic!("{form}: c's try ends at the deadline: {events:#?}"));
        seen.push(events[..=cut].to_vec());
    }
    assert_eq!(seen[0], seen[1], "attribute and inline");
    assert_eq!(seen[0], seen[2], "attribute and try_each");
}

#[test]
fn hedged_tries_the_deadline_cuts_are_reported_as_failed_by_each_form() {
    // Both tries are too slow: b starts alongside a after 50 ms, and the deadline (120
    // ms) passes while both run; each is reported failed, at the deadline.
    let scripts = vec![vec![Step::Slow], vec![Step::Slow], vec![]];
    let mut seen = Vec::new();
    for form in ["attribute_hedged", "inline_hedged", "try_each_hedged"] {
        let (results, calls, events) = run(form, &scripts);
        assert_eq!(results[0], Err(Error::Timeout), "{form}");
        assert_eq!(calls[..2], [(0, 0), (1, 50)], "{form}: {calls:?}");
        let first: Vec<String> = events.iter().take(4).cloned().collect();
        assert_eq!(
            first[..2],
            [
                "0ms [0] try 1 started after 0ns",
                "50ms [1] try 1 started after 0ns"
            ],
            "{form}: {events:#?}"
        );
        assert!(
            first[2..]
                .iter()
                .all(|event| event.starts_with("120ms [") && event.contains("failed Timeout")),
            "{form}: both tries end at the deadline: {events:#?}"
        );
        seen.push(first);
    }
    assert_eq!(seen[0], seen[1], "attribute and inline");
    assert_eq!(seen[0], seen[2], "attribute and try_each");
}

#[test]
fn a_hedged_macro_chain_ends_with_the_error_that_stopped_it_at_the_deadline() {
    // a fails fatally at the very instant of the deadline, while b (started after 50
    // ms) runs: the chain ends with a's error, and b's try is reported cut. (`try_each`
    // reads its deadline before its tries, so there the deadline's error wins.)
    let scripts = vec![vec![Step::FatalAtDeadline], vec![Step::Slow], vec![]];
    for form in ["attribute_hedged", "inline_hedged"] {
        let (results, _, events) = run(form, &scripts);
        assert_eq!(results[0], Err(Error::Fatal(0)), "{form}");
        assert_eq!(
            events[..4],
            [
                "0ms [0] try 1 started after 0ns",
                "50ms [1] try 1 started after 0ns",
                "120ms [0] try 1 failed Fatal(0) after 120ms",
                "120ms [1] try 1 failed Timeout after 70ms",
            ],
            "{form}: {events:#?}"
        );
    }
}

#[test]
fn the_hedged_try_that_loses_is_reported_cancelled_by_each_form() {
    // a is slow; b starts after 50 ms and answers at once: a is dropped, and says so.
    let scripts = vec![vec![Step::Slow], vec![Step::Ok], vec![]];
    for form in ["attribute_hedged", "inline_hedged", "try_each_hedged"] {
        let (results, _, events) = run(form, &scripts);
        assert_eq!(results[0], Ok(10), "{form}");
        assert_eq!(
            events[..4],
            [
                "0ms [0] try 1 started after 0ns",
                "50ms [1] try 1 started after 0ns",
                "50ms [1] try 1 served after 0ns",
                "50ms [0] try 1 cancelled after 50ms",
            ],
            "{form}: {events:#?}"
        );
    }
}
