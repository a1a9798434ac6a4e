//! The embedded demo: one scenario per fault a production client meets, each against
//! fresh fault-injecting providers on loopback, with shortened times.

use std::time::Duration;

use fallbacks::TryEachError;

use crate::{Chat, Fault, FaultServer, Limits, Provider, Report};

/// The answer every healthy provider gives.
pub const ANSWER: &[&str] = &["The ", "quick ", "brown ", "fox."];

/// The demo's limits: short, so the whole run takes seconds.
pub const LIMITS: Limits = Limits {
    timeout: Duration::from_millis(300),
    first_token: Duration::from_millis(300),
    idle: Duration::from_millis(200),
    retries: 1,
    backoff: Duration::from_millis(50),
    trip_after: 2,
    cooldown: Duration::from_millis(1000),
    deadline: Duration::from_secs(5),
};

/// A fault, and what the primary provider does about it, request by request; the
/// backup provider is healthy.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// What the primary does, in a few words.
    pub name: &'static str,
    /// The primary's script: the `n`th request meets the `n`th fault (the last repeats).
    pub primary: &'static [Fault],
    /// How many calls the client makes, one after the other, [`PAUSE`] apart.
    pub calls: usize,
}

impl Scenario {
    const fn one(name: &'static str, primary: &'static [Fault]) -> Self {
        Self {
            name,
            primary,
            calls: 1,
        }
    }
}

/// The pause between two calls of a scenario with several.
pub const PAUSE: Duration = Duration::from_millis(600);

/// The scenarios, in the order the demo runs them.
pub const SCENARIOS: &[Scenario] = &[
    Scenario::one("healthy", &[Fault::None]),
    Scenario::one(
        "429 with Retry-After: 1",
        &[Fault::RateLimited(Some(1)), Fault::None],
    ),
    Scenario::one(
        "429 without Retry-After",
        &[Fault::RateLimited(None), Fault::None],
    ),
    Scenario::one("500 once", &[Fault::Status(500), Fault::None]),
    Scenario::one("503 persistent", &[Fault::Status(503)]),
    Scenario::one("never answers", &[Fault::Silent]),
    Scenario::one("reset before the headers", &[Fault::Reset]),
    Scenario::one(
        "slow first token",
        &[Fault::SlowFirstToken(Duration::from_secs(2))],
    ),
    Scenario::one("stream cut mid-answer", &[Fault::CutAfter(2)]),
    Scenario::one("stream stalls", &[Fault::StallAfter(2)]),
    Scenario::one("malformed chunk", &[Fault::MalformedAfter(1)]),
    Scenario::one("no [DONE]", &[Fault::CutAfter(usize::MAX)]),
    Scenario::one(
        "400 context_length_exceeded",
        &[Fault::Refused("context_length_exceeded")],
    ),
    Scenario::one(
        "400 content_policy_violation",
        &[Fault::Refused("content_policy_violation")],
    ),
    Scenario {
        name: "down, then recovers",
        // Call 1 fails twice (a try and its retry): the provider trips. Call 2 skips
        // it (cooling down), call 3 probes it, and it serves again.
        primary: &[Fault::Status(503), Fault::Status(503), Fault::None],
        calls: 5,
    },
];

/// What one scenario did.
#[derive(Debug)]
pub struct Run {
    /// The scenario.
    pub scenario: Scenario,
    /// What the client reported, call by call.
    pub reports: Vec<Report>,
    /// The requests each provider saw: primary, backup.
    pub requests: [usize; 2],
}

/// Runs `scenario` against a fresh primary (misbehaving) and backup (healthy).
///
/// # Errors
///
/// When no loopback port can be bound.
pub async fn run(scenario: Scenario) -> std::io::Result<Run> {
    let primary = FaultServer::scripted(scenario.primary, ANSWER).await?;
    let backup = FaultServer::start(Fault::None, ANSWER).await?;
    let http = reqwest::Client::new();
    let chat = Chat::new(
        vec![
            Provider::new(http.clone(), primary.base_url(), "main"),
            Provider::new(http, backup.base_url(), "backup"),
        ],
        LIMITS,
    );
    let mut reports = Vec::with_capacity(scenario.calls);
    for call in 0..scenario.calls {
        if call > 0 {
            tokio::time::sleep(PAUSE).await;
        }
        reports.push(chat.complete("Say something about a fox.").await);
    }
    Ok(Run {
        scenario,
        reports,
        requests: [primary.requests(), backup.requests()],
    })
}

impl Run {
    /// The first call's report (a scenario makes at least one).
    pub fn report(&self) -> &Report {
        &self.reports[0]
    }

    /// One aligned line: the fault, who served, the requests each provider saw, the
    /// time, and the outcome.
    pub fn line(&self) -> String {
        let name = |served: Option<usize>| match served {
            Some(0) => "main",
            Some(_) => "backup",
            None => "-",
        };
        // Run-length: "backup×2 → main×3".
        let mut runs: Vec<(&str, usize)> = Vec::new();
        for report in &self.reports {
            match runs.last_mut() {
                Some((last, count)) if *last == name(report.served_by) => *count += 1,
                _ => runs.push((name(report.served_by), 1)),
            }
        }
        let served: Vec<String> = runs
            .iter()
            .map(|&(who, count)| match count {
                1 => who.to_string(),
                _ => format!("{who}×{count}"),
            })
            .collect();
        let elapsed: Duration = self.reports.iter().map(|r| r.elapsed).sum();
        let whole = ANSWER.concat();
        let outcomes: Vec<String> = self
            .reports
            .iter()
            .map(|report| match (&report.answer, report.usage) {
                (Ok(text), Some(usage)) if text == &whole => {
                    format!("complete answer, {} tokens", usage.total_tokens)
                }
                (Ok(text), None) if text == &whole => "complete answer".to_string(),
                (Ok(text), _) => format!("WRONG ANSWER {text:?}"),
                (Err(TryEachError::Failed { error, index, .. }), _) => {
                    format!("clean error from {}: {error}", name(Some(*index)))
                }
                (Err(error), _) => format!("clean error: {error}"),
            })
            .collect();
        let outcome = if outcomes.iter().all(|o| o == &outcomes[0]) && outcomes.len() > 1 {
            format!("{} calls: {}", outcomes.len(), outcomes[0])
        } else {
            outcomes.join("; ")
        };
        format!(
            "{:<30} {:<18} main {:<2} backup {:<2} {:>6} ms  {}",
            self.scenario.name,
            served.join(" → "),
            self.requests[0],
            self.requests[1],
            elapsed.as_millis(),
            outcome
        )
    }
}
