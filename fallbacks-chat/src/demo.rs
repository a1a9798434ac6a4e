//! The embedded demo: one scenario per fault a production client meets, each against
//! fresh fault-injecting providers on loopback, with shortened times.

use std::time::Duration;

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
};

/// A fault, and what the primary provider does about it, request by request; the
/// backup provider is healthy.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// What the primary does, in a few words.
    pub name: &'static str,
    /// The primary's script: the `n`th request meets the `n`th fault (the last repeats).
    pub primary: &'static [Fault],
}

/// The scenarios, in the order the demo runs them.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "healthy",
        primary: &[Fault::None],
    },
    Scenario {
        name: "429 with Retry-After: 1",
        primary: &[Fault::RateLimited(Some(1)), Fault::None],
    },
    Scenario {
        name: "429 without Retry-After",
        primary: &[Fault::RateLimited(None), Fault::None],
    },
    Scenario {
        name: "500 once",
        primary: &[Fault::Status(500), Fault::None],
    },
    Scenario {
        name: "503 persistent",
        primary: &[Fault::Status(503)],
    },
    Scenario {
        name: "never answers",
        primary: &[Fault::Silent],
    },
    Scenario {
        name: "slow first token",
        primary: &[Fault::SlowFirstToken(Duration::from_secs(2))],
    },
    Scenario {
        name: "stream cut mid-answer",
        primary: &[Fault::CutAfter(2)],
    },
    Scenario {
        name: "stream stalls",
        primary: &[Fault::StallAfter(2)],
    },
    Scenario {
        name: "malformed chunk",
        primary: &[Fault::MalformedAfter(1)],
    },
    Scenario {
        name: "no [DONE]",
        primary: &[Fault::CutAfter(usize::MAX)],
    },
    Scenario {
        name: "400 context_length_exceeded",
        primary: &[Fault::Refused("context_length_exceeded")],
    },
    Scenario {
        name: "400 content_policy_violation",
        primary: &[Fault::Refused("content_policy_violation")],
    },
];

/// What one scenario did.
#[derive(Debug)]
pub struct Run {
    /// The scenario.
    pub scenario: Scenario,
    /// What the client reported.
    pub report: Report,
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
    let report = chat.complete("Say something about a fox.").await;
    Ok(Run {
        scenario,
        report,
        requests: [primary.requests(), backup.requests()],
    })
}

impl Run {
    /// One aligned line: the fault, who served, the requests each provider saw, the
    /// time, and the outcome.
    pub fn line(&self) -> String {
        let served = match self.report.served_by {
            Some(0) => "main",
            Some(_) => "backup",
            None => "-",
        };
        let outcome = match &self.report.answer {
            Ok(text) if text == &ANSWER.concat() => "complete answer".to_string(),
            Ok(text) => format!("WRONG ANSWER {text:?}"),
            Err(error) => format!("clean error: {error}"),
        };
        format!(
            "{:<30} {:<7} main {} backup {} {:>6} ms  {}",
            self.scenario.name,
            served,
            self.requests[0],
            self.requests[1],
            self.report.elapsed.as_millis(),
            outcome
        )
    }
}
