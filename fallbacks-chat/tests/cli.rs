//! The `fallbacks-chat` binary pointed at providers on loopback: the answer on stdout,
//! the exit code, the reason on stderr, and the JSON report as its last line.

use std::time::Duration;

use fallbacks_chat::demo::ANSWER;
use fallbacks_chat::{Fault, FaultServer};
use serde_json::Value;

/// Bounds each run of the binary: a hang fails the test instead of blocking CI.
const BOUND: Duration = Duration::from_secs(20);

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn report(&self) -> Value {
        let last = self.stderr.lines().last().expect("a last stderr line");
        serde_json::from_str(last).unwrap_or_else(|e| panic!("{last:?}: {e}"))
    }
}

async fn chat(args: &[&str]) -> Ran {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_fallbacks-chat"));
    command
        .args(args)
        .env_remove("OPENAI_API_KEY")
        .kill_on_drop(true);
    let out = tokio::time::timeout(BOUND, command.output())
        .await
        .expect("bounded")
        .expect("runs");
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test]
async fn a_failing_model_falls_back_and_the_report_says_so() {
    let main = FaultServer::start(Fault::Status(503), ANSWER)
        .await
        .unwrap();
    let backup = FaultServer::start(Fault::None, ANSWER).await.unwrap();
    let ran = chat(&[
        "--base-url",
        &main.base_url(),
        "--model",
        "gpt-main",
        "--fallback-model",
        "gpt-backup",
        "--fallback-base-url",
        &backup.base_url(),
        "--retries",
        "1",
        "Say something",
    ])
    .await;
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_eq!(ran.stdout, format!("{}\n", ANSWER.concat()));
    let report = ran.report();
    assert_eq!(report["served_by"], "gpt-backup");
    let attempts: Vec<(&str, &str)> = report["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["model"].as_str().unwrap(), a["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        attempts,
        [
            ("gpt-main", "503: injected 503 Service Unavailable"),
            ("gpt-main", "503: injected 503 Service Unavailable"),
            ("gpt-backup", "ok"),
        ]
    );
    assert_eq!(report["usage"]["total_tokens"], 16);
    assert!(report["elapsed_ms"].is_u64());
    assert_eq!((main.requests(), backup.requests()), (2, 1));
}

#[tokio::test]
async fn streamed_a_cut_answer_exits_1_and_is_not_presented_as_complete() {
    let main = FaultServer::start(Fault::CutAfter(2), ANSWER)
        .await
        .unwrap();
    let ran = chat(&[
        "--base-url",
        &main.base_url(),
        "--model",
        "gpt-main",
        "--stream",
        "Say something",
    ])
    .await;
    assert_eq!(ran.code, Some(1));
    assert_eq!(
        ran.stdout,
        format!("{}\n", ANSWER[..2].concat()),
        "what was shown"
    );
    let lines: Vec<&str> = ran.stderr.lines().collect();
    assert_eq!(
        lines[lines.len() - 2],
        "fallbacks-chat: gpt-main: broken stream: the answer ended before [DONE]"
    );
    assert_eq!(ran.report()["served_by"], Value::Null);
    assert_eq!(
        main.requests(),
        1,
        "committed after the first token: no retry"
    );
}

#[tokio::test]
async fn a_silent_provider_times_out_at_the_flags_limit() {
    let main = FaultServer::start(Fault::Silent, ANSWER).await.unwrap();
    let ran = chat(&[
        "--base-url",
        &main.base_url(),
        "--model",
        "gpt-main",
        "--timeout",
        "200ms",
        "Say something",
    ])
    .await;
    assert_eq!(ran.code, Some(1));
    assert!(
        ran.stderr
            .contains("fallbacks-chat: gpt-main: the attempt took longer than its 200ms timeout"),
        "{}",
        ran.stderr
    );
    assert_eq!(main.requests(), 1, "a silent provider is not asked again");
}

#[tokio::test]
async fn a_model_without_a_base_url_is_a_usage_error() {
    let ran = chat(&["--model", "gpt-main"]).await;
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains("--base-url"), "{}", ran.stderr);
}

#[tokio::test]
async fn flags_that_make_no_sense_are_usage_errors_not_a_silent_demo() {
    for args in [
        &["--base-url", "localhost:8080/v1", "--model", "m", "hi"][..],
        &["--base-url", "ftp://example.com/v1", "--model", "m", "hi"],
        &["--timeout", "2s"],
        &["--stream"],
        &["--deadline", "1m"],
    ] {
        let ran = chat(args).await;
        assert_eq!(ran.code, Some(2), "{args:?}: {}", ran.stderr);
        assert!(
            ran.stdout.is_empty(),
            "{args:?}: no demo ran: {}",
            ran.stdout
        );
        assert!(ran.stderr.starts_with("error:"), "{args:?}: {}", ran.stderr);
    }
}

#[tokio::test]
async fn the_deadline_bounds_the_whole_call_across_models() {
    let main = FaultServer::start(Fault::Silent, ANSWER).await.unwrap();
    let ran = chat(&[
        "--base-url",
        &main.base_url(),
        "--model",
        "gpt-main",
        "--fallback-model",
        "gpt-backup",
        "--timeout",
        "10s",
        "--deadline",
        "300ms",
        "Say something",
    ])
    .await;
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    let past = "gpt-main: the chain took longer than its 300ms deadline";
    assert!(ran.stderr.contains(past), "{}", ran.stderr);
    let report = ran.report();
    assert_eq!(report["served_by"], Value::Null);
    assert_eq!(
        report["attempts"],
        serde_json::json!([{
            "model": "gpt-main",
            "outcome": "the chain took longer than its 300ms deadline"
        }]),
        "the backup was never asked: the deadline had passed"
    );
    assert_eq!(main.requests(), 1);
}
