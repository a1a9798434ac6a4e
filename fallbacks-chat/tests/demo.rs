//! The embedded demo's scenarios, each asserted: who served, the requests each provider
//! saw, and the outcome (the complete answer, or a clean error; never a cut answer).

use std::time::Duration;

use fallbacks::TryEachError;
use fallbacks_chat::demo::{self, Run, ANSWER, SCENARIOS};
use fallbacks_chat::ChatError;

/// Bounds each scenario: a hang fails the test instead of blocking CI.
const BOUND: Duration = Duration::from_secs(15);

async fn run(name: &str) -> Run {
    let scenario = SCENARIOS
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no scenario {name:?}"));
    tokio::time::timeout(BOUND, demo::run(*scenario))
        .await
        .expect("bounded")
        .expect("loopback")
}

fn complete(run: &Run) -> bool {
    complete_report(run.report())
}

fn complete_report(report: &fallbacks_chat::Report) -> bool {
    report.answer.as_deref().ok() == Some(ANSWER.concat().as_str())
}

/// (scenario, who served, requests to the primary and the backup)
const SERVED: &[(&str, usize, [usize; 2])] = &[
    ("healthy", 0, [1, 0]),
    ("429 with Retry-After: 1", 0, [2, 0]),
    ("429 without Retry-After", 0, [2, 0]),
    ("500 once", 0, [2, 0]),
    // Retried once (retries = 1), then the backup.
    ("503 persistent", 1, [2, 1]),
    ("stream cut mid-answer", 1, [2, 1]),
    ("malformed chunk", 1, [2, 1]),
    ("no [DONE]", 1, [2, 1]),
    // A silent provider stays silent: no retry, the backup at once.
    ("never answers", 1, [1, 1]),
    // A reset is retried like a 5xx.
    ("reset before the headers", 1, [2, 1]),
    ("slow first token", 1, [1, 1]),
    ("stream stalls", 1, [1, 1]),
    // The next model may take a longer context.
    ("400 context_length_exceeded", 1, [1, 1]),
];

#[tokio::test]
async fn every_recoverable_fault_ends_with_a_complete_answer() {
    for &(name, served_by, requests) in SERVED {
        let run = run(name).await;
        assert!(complete(&run), "{name}: {:?}", run.report().answer);
        assert_eq!(run.report().served_by, Some(served_by), "{name}");
        assert_eq!(run.requests, requests, "{name}: requests to main, backup");
    }
}

#[tokio::test]
async fn retry_after_is_honoured_before_the_retry() {
    let run = run("429 with Retry-After: 1").await;
    assert!(complete(&run));
    assert!(
        run.report().elapsed >= Duration::from_secs(1),
        "the retry came after the wait the provider asked for: {:?}",
        run.report().elapsed
    );
    let failures: Vec<_> = run
        .report()
        .tries
        .iter()
        .filter_map(|t| t.failure.as_deref())
        .collect();
    assert_eq!(failures, ["429: rate limit reached"]);
}

#[tokio::test]
async fn a_content_policy_refusal_stops_and_reports_the_providers_reason() {
    let run = run("400 content_policy_violation").await;
    assert_eq!(run.requests, [1, 0], "no retry, no other model");
    assert_eq!(run.report().served_by, None);
    match &run.report().answer {
        Err(TryEachError::Failed {
            error:
                ChatError::Status {
                    status: 400,
                    code,
                    message,
                    ..
                },
            index: 0,
            ..
        }) => {
            assert_eq!(code.as_deref(), Some("content_policy_violation"));
            assert_eq!(message, "refused: content_policy_violation");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_provider_that_recovers_is_skipped_while_it_cools_down_then_probed() {
    let run = run("down, then recovers").await;
    let served: Vec<_> = run.reports.iter().map(|r| r.served_by).collect();
    // Call 1: the primary fails its try and its retry (trip_after = 2), the backup
    // serves; call 2: the primary is cooling down and is not asked; call 3 probes it.
    assert_eq!(served, [Some(1), Some(1), Some(0), Some(0), Some(0)]);
    assert_eq!(run.requests, [2 + 1 + 1 + 1, 2]);
    let skipped = run.reports[1]
        .tries
        .iter()
        .filter(|t| t.failure.as_deref() == Some("skipped: cooling down"))
        .count();
    assert_eq!(skipped, 1, "{:?}", run.reports[1].tries);
    assert!(run.reports.iter().all(complete_report));
}

#[tokio::test]
async fn every_answer_carries_the_usage_of_the_provider_that_served() {
    let run = run("stream cut mid-answer").await;
    let usage = run.report().usage.expect("usage");
    // The backup's usage, not the cut primary's: 12 prompt tokens, 4 chunks.
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens
        ),
        (12, 4, 16)
    );
}

#[tokio::test]
async fn every_scenario_is_tested_here() {
    let tested: Vec<&str> = SERVED
        .iter()
        .map(|(name, ..)| *name)
        .chain(["400 content_policy_violation", "down, then recovers"])
        .collect();
    for scenario in SCENARIOS {
        assert!(
            tested.contains(&scenario.name),
            "{} has no test",
            scenario.name
        );
    }
}
