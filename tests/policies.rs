//! Real-world policies, in tokio's paused time (exact to the millisecond): durations
//! and counts from run time, `retry_on` (retry here, or move on at once) and
//! `retry_after` (the wait the service asked for), through `#[fallback]`,
//! `fallback_chain!` and `try_each` alike.

#![cfg(feature = "tokio")]

use std::cell::RefCell;
use std::time::Duration;

use fallbacks::{fallback, fallback_chain, try_each, Elapsed};
use tokio::time::{sleep, Instant};

/// An LLM provider's errors, as a client classifies them.
#[derive(Debug, Clone, PartialEq)]
enum LlmError {
    /// 429, with the `Retry-After` it sent, in seconds.
    RateLimited(Option<u64>),
    /// 5xx.
    Unavailable,
    /// 400 `context_length_exceeded`: no use retrying, a larger model may serve.
    ContextLength,
    /// 400 `content_policy_violation`: no use trying anyone else.
    ContentPolicy,
    Timeout,
}

impl From<Elapsed> for LlmError {
    fn from(_: Elapsed) -> Self {
        LlmError::Timeout
    }
}

/// Worth trying another provider for.
fn moves_on(error: &LlmError) -> bool {
    *error != LlmError::ContentPolicy
}

/// Worth trying the same provider again: not a timeout (a silent provider stays
/// silent), not a request it cannot take.
fn worth_retrying(error: &LlmError) -> bool {
    matches!(error, LlmError::RateLimited(_) | LlmError::Unavailable)
}

/// The wait a rate-limited provider asked for.
fn retry_after(error: &LlmError) -> Option<Duration> {
    match error {
        LlmError::RateLimited(Some(seconds)) => Some(Duration::from_secs(*seconds)),
        _ => None,
    }
}

/// The calls made, as (provider, milliseconds since the test's start).
struct Calls {
    start: Instant,
    calls: RefCell<Vec<(&'static str, u64)>>,
}

impl Calls {
    fn new() -> Calls {
        Calls {
            start: Instant::now(),
            calls: RefCell::default(),
        }
    }

    fn note(&self, name: &'static str) {
        let at = (Instant::now() - self.start).as_millis() as u64;
        self.calls.borrow_mut().push((name, at));
    }

    fn all(&self) -> Vec<(&'static str, u64)> {
        self.calls.borrow().clone()
    }

    fn now(&self) -> u64 {
        (Instant::now() - self.start).as_millis() as u64
    }
}

/// A provider: each call takes the next of `script` (the last one repeats).
struct Provider {
    name: &'static str,
    script: RefCell<Vec<(u64, Result<&'static str, LlmError>)>>,
}

impl Provider {
    fn new(name: &'static str, script: &[(u64, Result<&'static str, LlmError>)]) -> Provider {
        Provider {
            name,
            script: RefCell::new(script.to_vec()),
        }
    }

    async fn complete(&self, calls: &Calls) -> Result<String, LlmError> {
        calls.note(self.name);
        let (delay, outcome) = {
            let mut script = self.script.borrow_mut();
            if script.len() > 1 {
                script.remove(0)
            } else {
                script[0].clone()
            }
        };
        sleep(Duration::from_millis(delay)).await;
        outcome.map(String::from)
    }
}

const HANGS: (u64, Result<&str, LlmError>) = (60_000, Ok("too late"));

/// A client whose limits come from its configuration, read at run time.
struct Client {
    primary: Provider,
    fallback: Provider,
    timeout: Duration,
    retries: u32,
}

impl Client {
    async fn on_primary(&self, calls: &Calls) -> Result<String, LlmError> {
        self.primary.complete(calls).await
    }

    async fn on_fallback(&self, calls: &Calls) -> Result<String, LlmError> {
        self.fallback.complete(calls).await
    }

    #[fallback(
        primary = Self::on_primary,
        then = [Self::on_fallback],
        on = moves_on,
        timeout = self.timeout,
        retries = self.retries,
        backoff = Duration::from_millis(10),
        retry_on = worth_retrying,
        retry_after = retry_after,
    )]
    async fn complete(&self, calls: &Calls) -> Result<String, LlmError>;
}

fn client(primary: Provider, timeout_ms: u64, retries: u32) -> Client {
    Client {
        primary,
        fallback: Provider::new("fallback", &[(5, Ok("from fallback"))]),
        timeout: Duration::from_millis(timeout_ms),
        retries,
    }
}

mod from_run_time {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_timeout_from_configuration_is_the_attempts_limit() {
        for timeout in [30, 250] {
            let calls = Calls::new();
            let client = client(Provider::new("primary", &[HANGS]), timeout, 0);
            assert_eq!(client.complete(&calls).await, Ok("from fallback".into()));
            assert_eq!(calls.all(), [("primary", 0), ("fallback", timeout)]);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_count_from_configuration_is_the_count_of_retries() {
        for retries in [0, 3] {
            let calls = Calls::new();
            let down = Provider::new("primary", &[(0, Err(LlmError::Unavailable))]);
            let client = client(down, 1_000, retries);
            assert_eq!(client.complete(&calls).await, Ok("from fallback".into()));
            let tries = calls
                .all()
                .iter()
                .filter(|(name, _)| *name == "primary")
                .count();
            assert_eq!(tries as u32, retries + 1);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_zero_timeout_lets_through_only_an_attempt_ready_at_once() {
        // Documented: a zero limit times out any attempt not ready at its first poll.
        let calls = Calls::new();
        let ready = Provider::new("primary", &[(0, Ok("at once"))]);
        assert_eq!(
            client(ready, 0, 0).complete(&calls).await,
            Ok("at once".into())
        );
        // Every provider that takes any time at all times out, at once: no panic, no hang.
        let calls = Calls::new();
        let slow = Provider::new("primary", &[(1, Ok("slow"))]);
        assert_eq!(
            client(slow, 0, 0).complete(&calls).await,
            Err(LlmError::Timeout)
        );
        assert_eq!(calls.all(), [("primary", 0), ("fallback", 0)]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_inline_chain_takes_expressions_too_evaluated_once() {
        let calls = Calls::new();
        let primary = Provider::new("primary", &[HANGS]);
        let fallback = Provider::new("fallback", &[(5, Ok("from fallback"))]);
        let evaluated = RefCell::new(0);
        let limit = || {
            *evaluated.borrow_mut() += 1;
            Duration::from_millis(40)
        };
        let reply = fallback_chain!(
            primary.complete(&calls) | fallback.complete(&calls),
            timeout = limit(),
        )
        .await;
        assert_eq!(reply, Ok("from fallback".into()));
        assert_eq!(calls.all(), [("primary", 0), ("fallback", 40)]);
        assert_eq!(
            *evaluated.borrow(),
            1,
            "evaluated once, when the chain starts"
        );
    }
}

mod retry_on {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_timeout_is_not_retried_when_retry_on_says_so() {
        // A hang with `timeout = 1s, retries = 2` costs one second, not three.
        let calls = Calls::new();
        let client = client(Provider::new("primary", &[HANGS]), 1_000, 2);
        assert_eq!(client.complete(&calls).await, Ok("from fallback".into()));
        assert_eq!(calls.all(), [("primary", 0), ("fallback", 1_000)]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_error_on_accepts_and_retry_on_rejects_moves_on_at_once() {
        // 400 context length: no retry, no pause, but the next model is tried.
        let calls = Calls::new();
        let client = client(
            Provider::new("primary", &[(3, Err(LlmError::ContextLength))]),
            1_000,
            2,
        );
        assert_eq!(client.complete(&calls).await, Ok("from fallback".into()));
        assert_eq!(calls.all(), [("primary", 0), ("fallback", 3)]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_error_on_rejects_ends_the_chain_whatever_retry_on_says() {
        let calls = Calls::new();
        let client = client(
            Provider::new("primary", &[(3, Err(LlmError::ContentPolicy))]),
            1_000,
            2,
        );
        assert_eq!(client.complete(&calls).await, Err(LlmError::ContentPolicy));
        assert_eq!(calls.all(), [("primary", 0)]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_error_retry_on_accepts_is_retried_on_the_same_alternative() {
        let calls = Calls::new();
        let flaky = Provider::new(
            "primary",
            &[(0, Err(LlmError::Unavailable)), (0, Ok("from primary"))],
        );
        let client = client(flaky, 1_000, 2);
        assert_eq!(client.complete(&calls).await, Ok("from primary".into()));
        let names: Vec<_> = calls.all().iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["primary", "primary"]);
    }
}

mod retry_after {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_of_one_second_waits_exactly_one_second() {
        let calls = Calls::new();
        let limited = Provider::new(
            "primary",
            &[
                (0, Err(LlmError::RateLimited(Some(1)))),
                (0, Ok("from primary")),
            ],
        );
        let client = client(limited, 5_000, 2);
        assert_eq!(client.complete(&calls).await, Ok("from primary".into()));
        assert_eq!(calls.all(), [("primary", 0), ("primary", 1_000)]);
    }

    #[tokio::test(start_paused = true)]
    async fn without_retry_after_the_backoff_applies() {
        let calls = Calls::new();
        let limited = Provider::new(
            "primary",
            &[
                (0, Err(LlmError::RateLimited(None))),
                (0, Ok("from primary")),
            ],
        );
        let client = client(limited, 5_000, 2);
        assert_eq!(client.complete(&calls).await, Ok("from primary".into()));
        let second = calls.all()[1];
        assert_eq!(second.0, "primary");
        assert!(
            second.1 <= 10,
            "a jittered pause of at most the 10 ms backoff"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_over_the_cap_moves_on_at_once() {
        let calls = Calls::new();
        let too_long = fallbacks::MAX_RETRY_AFTER.as_secs() + 1;
        let limited = Provider::new(
            "primary",
            &[(0, Err(LlmError::RateLimited(Some(too_long))))],
        );
        let client = client(limited, 5_000, 2);
        assert_eq!(client.complete(&calls).await, Ok("from fallback".into()));
        assert_eq!(calls.all(), [("primary", 0), ("fallback", 0)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_past_the_deadline_moves_on_at_once() {
        let calls = Calls::new();
        let primary = Provider::new("primary", &[(0, Err(LlmError::RateLimited(Some(5))))]);
        let fallback = Provider::new("fallback", &[(5, Ok("from fallback"))]);
        let reply = fallback_chain!(
            primary.complete(&calls) | fallback.complete(&calls),
            retries = 1,
            retry_after = retry_after,
            deadline = "2s",
        )
        .await;
        assert_eq!(reply, Ok("from fallback".into()));
        assert_eq!(calls.all(), [("primary", 0), ("fallback", 0)]);
        assert_eq!(calls.now(), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn try_each_honours_retry_on_and_retry_after_the_same_way() {
        let calls = Calls::new();
        let providers = [
            Provider::new(
                "a",
                &[
                    (0, Err(LlmError::RateLimited(Some(2)))),
                    (0, Err(LlmError::ContextLength)),
                ],
            ),
            Provider::new("b", &[HANGS]),
            Provider::new("c", &[(5, Ok("from c"))]),
        ];
        let served = try_each(&providers, |p| p.complete(&calls))
            .on(moves_on)
            .retry_on(worth_retrying)
            .retry_after(retry_after)
            .timeout(Duration::from_millis(300))
            .retries(3)
            .await
            .unwrap();
        assert_eq!(served.index(), 2);
        // a: rate limited, retried after exactly 2 s; then context length: on at once.
        // b: hangs; a timeout is not retried. c serves.
        assert_eq!(
            calls.all(),
            [("a", 0), ("a", 2_000), ("b", 2_000), ("c", 2_300)]
        );
    }
}

mod health {
    use fallbacks::Health;

    use super::*;

    /// One client per tenant, each with its own providers and its own health.
    struct Tenant {
        primary: Provider,
        fallback: Provider,
        health: Health<2>,
    }

    impl Tenant {
        fn new(primary: Provider) -> Tenant {
            Tenant {
                primary,
                fallback: Provider::new("fallback", &[(0, Ok("from fallback"))]),
                health: Health::new(),
            }
        }

        async fn on_primary(&self, calls: &Calls) -> Result<String, LlmError> {
            self.primary.complete(calls).await
        }

        async fn on_fallback(&self, calls: &Calls) -> Result<String, LlmError> {
            self.fallback.complete(calls).await
        }

        #[fallback(
            primary = Self::on_primary,
            then = [Self::on_fallback],
            cooldown = "30s",
            trip_after = 1,
            health = &self.health,
        )]
        async fn complete(&self, calls: &Calls) -> Result<String, LlmError>;
    }

    #[tokio::test(start_paused = true)]
    async fn each_instance_keeps_its_own_cooldowns() {
        let calls = Calls::new();
        let failing = Tenant::new(Provider::new(
            "a's primary",
            &[(0, Err(LlmError::Unavailable))],
        ));
        let healthy = Tenant::new(Provider::new("b's primary", &[(0, Ok("from b"))]));
        assert_eq!(failing.complete(&calls).await, Ok("from fallback".into()));
        assert!(failing.health.is_cooling(0), "a's primary tripped");
        // a's primary is skipped now; b's, with the same code and a healthy provider, is not.
        assert_eq!(failing.complete(&calls).await, Ok("from fallback".into()));
        assert_eq!(healthy.complete(&calls).await, Ok("from b".into()));
        assert!(!healthy.health.is_cooling(0));
        let names: Vec<_> = calls.all().iter().map(|(name, _)| *name).collect();
        assert_eq!(
            names,
            ["a's primary", "fallback", "fallback", "b's primary"]
        );
        // After the cooldown, one call probes a's primary again.
        sleep(Duration::from_secs(30)).await;
        assert_eq!(failing.complete(&calls).await, Ok("from fallback".into()));
        assert_eq!(calls.all()[4].0, "a's primary");
    }

    #[tokio::test(start_paused = true)]
    async fn the_inline_chain_takes_a_health_value_too() {
        let calls = Calls::new();
        let health: Health<2> = Health::new();
        let primary = Provider::new("primary", &[(0, Err(LlmError::Unavailable))]);
        let fallback = Provider::new("fallback", &[(0, Ok("from fallback"))]);
        for _ in 0..3 {
            let reply = fallback_chain!(
                primary.complete(&calls) | fallback.complete(&calls),
                cooldown = "30s",
                trip_after = 2,
                health = &health,
            )
            .await;
            assert_eq!(reply, Ok("from fallback".into()));
        }
        let names: Vec<_> = calls.all().iter().map(|(name, _)| *name).collect();
        // Two failures trip it; the third call skips it.
        assert_eq!(
            names,
            ["primary", "fallback", "primary", "fallback", "fallback"]
        );
        assert_eq!(health.failures(0), 2);
    }
}

mod bad_answers {
    use fallbacks::{Panicked, Rejected};

    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    enum ChatError {
        Down,
        Empty,
        Crashed(String),
    }

    impl From<Rejected> for ChatError {
        fn from(_: Rejected) -> Self {
            ChatError::Empty
        }
    }

    impl From<Panicked> for ChatError {
        fn from(panicked: Panicked) -> Self {
            ChatError::Crashed(panicked.message().to_string())
        }
    }

    thread_local! {
        static TRIED: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
    }

    fn tried() -> Vec<&'static str> {
        TRIED.with(|tried| tried.borrow_mut().drain(..).collect())
    }

    async fn empty(_: &str) -> Result<String, ChatError> {
        TRIED.with(|tried| tried.borrow_mut().push("empty"));
        Ok(String::new())
    }

    async fn crashes(_: &str) -> Result<String, ChatError> {
        TRIED.with(|tried| tried.borrow_mut().push("crashes"));
        let replies: Vec<String> = Vec::new();
        Ok(replies[3].clone())
    }

    async fn answers(prompt: &str) -> Result<String, ChatError> {
        TRIED.with(|tried| tried.borrow_mut().push("answers"));
        Ok(format!("answer to {prompt}"))
    }

    async fn down(_: &str) -> Result<String, ChatError> {
        TRIED.with(|tried| tried.borrow_mut().push("down"));
        Err(ChatError::Down)
    }

    #[fallback(primary = empty, then = [answers], reject = |reply: &String| reply.is_empty())]
    async fn non_empty(prompt: &str) -> Result<String, ChatError>;

    #[fallback(primary = empty, then = [empty], reject = |reply: &String| reply.is_empty(), retries = 1)]
    async fn always_empty(prompt: &str) -> Result<String, ChatError>;

    #[fallback(primary = crashes, then = [answers], catch_panic)]
    async fn survives(prompt: &str) -> Result<String, ChatError>;

    #[fallback(primary = crashes, then = [down], catch_panic)]
    async fn crashes_then_down(prompt: &str) -> Result<String, fallbacks::AllFailed<ChatError>>;

    #[tokio::test(start_paused = true)]
    async fn a_rejected_answer_moves_on_like_an_error() {
        assert_eq!(non_empty("hi").await, Ok("answer to hi".into()));
        assert_eq!(tried(), ["empty", "answers"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_rejected_answer_is_retried_and_returned_as_the_error_when_all_fail() {
        assert_eq!(always_empty("hi").await, Err(ChatError::Empty));
        assert_eq!(tried(), ["empty", "empty", "empty", "empty"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_panic_is_a_failure_that_moves_on_with_its_message() {
        assert_eq!(survives("hi").await, Ok("answer to hi".into()));
        assert_eq!(tried(), ["crashes", "answers"]);
        let errors = crashes_then_down("hi").await.unwrap_err();
        let errors: Vec<_> = errors.errors().cloned().collect();
        assert!(
            matches!(&errors[0], ChatError::Crashed(message) if message.contains("index out of bounds")),
            "{errors:?}"
        );
        assert_eq!(errors[1], ChatError::Down);
    }

    #[tokio::test(start_paused = true)]
    async fn the_inline_chain_rejects_and_catches_too() {
        let reply = fallback_chain!(
            empty("hi") | crashes("hi") | answers("hi"),
            reject = |reply: &String| reply.is_empty(),
            catch_panic,
        )
        .await;
        assert_eq!(reply, Ok("answer to hi".into()));
        assert_eq!(tried(), ["empty", "crashes", "answers"]);
    }

    #[tokio::test(start_paused = true)]
    async fn try_each_rejects_and_catches_the_same_way() {
        let alternatives: [fn(&'static str) -> _; 3] = [
            |prompt| {
                Box::pin(empty(prompt)) as std::pin::Pin<Box<dyn std::future::Future<Output = _>>>
            },
            |prompt| Box::pin(crashes(prompt)),
            |prompt| Box::pin(answers(prompt)),
        ];
        let served = try_each(alternatives, |alternative| alternative("hi"))
            .reject(|reply: &String| reply.is_empty())
            .catch_panic()
            .await
            .unwrap();
        assert_eq!((served.index(), served.failed_before()), (2, 2));
        assert_eq!(tried(), ["empty", "crashes", "answers"]);
        let failed = try_each(alternatives, |alternative| alternative("hi"))
            .reject(|reply: &String| reply.is_empty())
            .catch_panic()
            .on(|error: &ChatError| !matches!(error, ChatError::Crashed(_)))
            .await
            .unwrap_err();
        assert!(matches!(
            failed,
            fallbacks::TryEachError::Failed {
                error: ChatError::Crashed(_),
                index: 1,
                name: "item",
            }
        ));
    }

    #[test]
    fn without_catch_panic_a_panic_propagates() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let outcome = std::panic::catch_unwind(|| {
            runtime.block_on(fallback_chain!(crashes("hi") | answers("hi")))
        });
        assert!(outcome.is_err(), "the panic unwound out of the chain");
        assert_eq!(tried(), ["crashes"]);
    }
}

mod names {
    use fallbacks::Event;

    use super::*;

    thread_local! {
        static HEARD: RefCell<Vec<(&'static str, &'static str)>> = const { RefCell::new(Vec::new()) };
    }

    fn hear(event: &Event<'_, LlmError>) {
        HEARD.with(|heard| heard.borrow_mut().push((event.chain, event.alternative)));
    }

    fn heard() -> Vec<(&'static str, &'static str)> {
        HEARD.with(|heard| heard.borrow_mut().drain(..).collect())
    }

    async fn down(_: &str) -> Result<String, LlmError> {
        Err(LlmError::Unavailable)
    }

    async fn up(prompt: &str) -> Result<String, LlmError> {
        Ok(prompt.to_string())
    }

    #[fallback(primary = "gpt": down, then = ["claude": up], observe = hear)]
    async fn complete(prompt: &str) -> Result<String, LlmError>;

    #[tokio::test(start_paused = true)]
    async fn every_event_names_its_chain_and_the_alternative_by_its_short_name() {
        assert_eq!(complete("hi").await, Ok("hi".into()));
        let chain = "policies::names::complete";
        assert_eq!(
            heard(),
            [
                (chain, "gpt"),
                (chain, "gpt"),
                (chain, "claude"),
                (chain, "claude")
            ]
        );
        let reply = fallback_chain!(
            down("hi") | "backup": up("hi"),
            observe = hear
        )
        .await;
        assert_eq!(reply, Ok("hi".into()));
        let heard = heard();
        assert!(
            heard
                .iter()
                .all(|(chain, _)| chain.starts_with("policies::names:")),
            "{heard:?}"
        );
        let names: Vec<_> = heard.iter().map(|(_, name)| *name).collect();
        assert_eq!(names, ["down(\"hi\")", "down(\"hi\")", "backup", "backup"]);
    }
}

mod hedge_with_cooldown {
    use fallbacks::Health;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_cooling_alternative_is_skipped_by_the_hedged_chain_too() {
        let calls = Calls::new();
        let health: Health<2> = Health::new();
        let primary = Provider::new("primary", &[(10, Err(LlmError::Unavailable))]);
        let fallback = Provider::new("fallback", &[(5, Ok("from fallback"))]);
        for _ in 0..2 {
            let reply = fallback_chain!(
                primary.complete(&calls) | fallback.complete(&calls),
                hedge = "100ms",
                cooldown = "30s",
                trip_after = 1,
                health = &health,
            )
            .await;
            assert_eq!(reply, Ok("from fallback".into()));
        }
        // First call: the primary fails at 10 ms, which starts the fallback at once.
        // Second call: the primary is cooling down, so the fallback starts at once.
        assert_eq!(
            calls.all(),
            [("primary", 0), ("fallback", 10), ("fallback", 15)]
        );
        assert!(health.is_cooling(0));
    }
}

mod patterns {
    use super::*;

    async fn refuses(_: &str) -> Result<String, LlmError> {
        Err(LlmError::ContentPolicy)
    }

    async fn overloaded(_: &str) -> Result<String, LlmError> {
        Err(LlmError::Unavailable)
    }

    async fn answers(prompt: &str) -> Result<String, LlmError> {
        Ok(format!("answer to {prompt}"))
    }

    #[fallback(
        primary = overloaded,
        then = [answers],
        on = matches(LlmError::RateLimited(_) | LlmError::Unavailable),
    )]
    async fn moves_on_overload(prompt: &str) -> Result<String, LlmError>;

    #[fallback(
        primary = refuses,
        then = [answers],
        on = matches(LlmError::RateLimited(_) | LlmError::Unavailable),
    )]
    async fn stops_at_a_refusal(prompt: &str) -> Result<String, LlmError>;

    #[tokio::test(start_paused = true)]
    async fn a_pattern_is_a_filter_checked_against_the_error_type() {
        assert_eq!(moves_on_overload("hi").await, Ok("answer to hi".into()));
        assert_eq!(stops_at_a_refusal("hi").await, Err(LlmError::ContentPolicy));
    }

    #[tokio::test(start_paused = true)]
    async fn retry_on_takes_a_pattern_too_and_so_does_the_inline_chain() {
        let calls = Calls::new();
        let primary = Provider::new(
            "primary",
            &[
                (0, Err(LlmError::RateLimited(None))),
                (0, Err(LlmError::ContextLength)),
            ],
        );
        let fallback = Provider::new("fallback", &[(0, Ok("from fallback"))]);
        let reply = fallback_chain!(
            primary.complete(&calls) | fallback.complete(&calls),
            on = matches(LlmError::RateLimited(_) | LlmError::ContextLength),
            retry_on = matches(LlmError::RateLimited(_)),
            retries = 3,
            backoff = Duration::ZERO,
        )
        .await;
        assert_eq!(reply, Ok("from fallback".into()));
        let names: Vec<_> = calls.all().iter().map(|(name, _)| *name).collect();
        // Rate limited: retried. Context length: moves on, not retried.
        assert_eq!(names, ["primary", "primary", "fallback"]);
    }
}

mod try_each_cooldown {
    use fallbacks::Health;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn try_each_skips_a_cooling_item_with_the_callers_health() {
        let calls = Calls::new();
        let health: Health<3> = Health::new();
        let providers = [
            Provider::new("a", &[(0, Err(LlmError::Unavailable))]),
            Provider::new("b", &[(0, Ok("from b"))]),
        ];
        for _ in 0..2 {
            let served = try_each(&providers, |p| p.complete(&calls))
                .cooldown(Duration::from_secs(30), &health)
                .trip_after(1)
                .await
                .unwrap();
            assert_eq!(served.index(), 1);
        }
        // The second call skips a, cooling down; after the cooldown one call probes it.
        assert_eq!(calls.all(), [("a", 0), ("b", 0), ("b", 0)]);
        assert!(health.is_cooling(0));
        sleep(Duration::from_secs(30)).await;
        let _ = try_each(&providers, |p| p.complete(&calls))
            .cooldown(Duration::from_secs(30), &health)
            .trip_after(1)
            .await;
        assert_eq!(calls.all()[3].0, "a");
    }

    #[tokio::test(start_paused = true)]
    async fn the_last_item_is_never_skipped() {
        let calls = Calls::new();
        let health: Health<3> = Health::new();
        let providers = [Provider::new("only", &[(0, Err(LlmError::Unavailable))])];
        for _ in 0..2 {
            let failed = try_each(&providers, |p| p.complete(&calls))
                .cooldown(Duration::from_secs(30), &health)
                .trip_after(1)
                .await;
            assert!(failed.is_err());
        }
        assert_eq!(calls.all(), [("only", 0), ("only", 0)]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_longest_cooldown_is_until_further_notice_not_an_overflow() {
        let calls = Calls::new();
        let health: Health<2> = Health::new();
        let providers = [
            Provider::new("a", &[(0, Err(LlmError::Unavailable))]),
            Provider::new("b", &[(0, Ok("from b"))]),
        ];
        for _ in 0..3 {
            let served = try_each(&providers, |p| p.complete(&calls))
                .cooldown(Duration::MAX, &health)
                .trip_after(1)
                .await
                .unwrap();
            assert_eq!(served.index(), 1);
            sleep(Duration::from_secs(3600)).await;
        }
        // Tripped once, a is skipped from then on, hours later still.
        let names: Vec<_> = calls.all().iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["a", "b", "b", "b"]);
        assert!(health
            .cooling_left(0)
            .is_some_and(|left| left > Duration::from_secs(1 << 40)));
    }

    #[tokio::test(start_paused = true)]
    async fn every_item_of_the_list_cooling_is_judged_over_the_list_not_the_health() {
        let calls = Calls::new();
        // More breakers than items: the two items both cooling is "every item cooling".
        let health: Health<4> = Health::new();
        let providers = [
            Provider::new("a", &[(0, Err(LlmError::Unavailable))]),
            Provider::new("b", &[(0, Err(LlmError::Unavailable))]),
        ];
        for _ in 0..2 {
            let failed = try_each(&providers, |p| p.complete(&calls))
                .cooldown(Duration::from_secs(30), &health)
                .trip_after(1)
                .await;
            assert!(failed.is_err());
        }
        assert_eq!(calls.all(), [("a", 0), ("b", 0), ("a", 0), ("b", 0)]);

        // Fewer breakers than items: an untracked item never cools, so the tracked ones
        // that are cooling are skipped.
        let calls = Calls::new();
        let health: Health<2> = Health::new();
        let providers = [
            Provider::new("a", &[(0, Err(LlmError::Unavailable))]),
            Provider::new("b", &[(0, Err(LlmError::Unavailable))]),
            Provider::new("c", &[(0, Ok("from c"))]),
        ];
        for _ in 0..2 {
            let served = try_each(&providers, |p| p.complete(&calls))
                .cooldown(Duration::from_secs(30), &health)
                .trip_after(1)
                .await
                .unwrap();
            assert_eq!(served.index(), 2);
        }
        assert_eq!(calls.all(), [("a", 0), ("b", 0), ("c", 0), ("c", 0)]);
    }

    /// A list from configuration, its health as long as it is: every item is tracked,
    /// the fifth too (a `Health<4>` would never skip it), and probed after its cooldown.
    #[tokio::test(start_paused = true)]
    async fn a_list_health_tracks_every_item_of_a_run_time_list() {
        let calls = Calls::new();
        let down = |name| Provider::new(name, &[(0, Err(LlmError::Unavailable))]);
        let providers: Vec<Provider> = ["a", "b", "c", "d", "e"]
            .into_iter()
            .map(down)
            .chain([Provider::new("f", &[(0, Ok("from f"))])])
            .collect();
        let health = fallbacks::ListHealth::new(providers.len());
        let call = || {
            try_each(&providers, |p| p.complete(&calls))
                .cooldown(Duration::from_secs(30), &health)
                .trip_after(1)
        };
        assert_eq!(call().await.unwrap().index(), 5);
        assert_eq!(calls.all().len(), 6);
        assert!((0..5).all(|index| health.is_cooling(index)));
        assert!(!health.is_cooling(5) && !health.is_cooling(6));
        // Every failing item is skipped while it cools down, the fifth too.
        assert_eq!(call().await.unwrap().index(), 5);
        assert_eq!(calls.all()[6..], [("f", 0)]);
        // After the cooldown, each is probed.
        sleep(Duration::from_secs(30)).await;
        assert_eq!(call().await.unwrap().index(), 5);
        let names: Vec<_> = calls.all()[7..].iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["a", "b", "c", "d", "e", "f"]);
        assert_eq!(health.failures(4), 2);
        health.reset();
        assert!(!health.is_cooling(4) && health.failures(4) == 0);
        assert_eq!((health.len(), health.is_empty()), (6, false));
    }

    #[tokio::test(start_paused = true)]
    async fn an_empty_list_fails_as_empty_even_past_a_zero_deadline() {
        let calls = Calls::new();
        let providers: [Provider; 0] = [];
        let error = try_each(&providers, |p| p.complete(&calls))
            .deadline(Duration::ZERO)
            .await
            .unwrap_err();
        assert_eq!(error, fallbacks::TryEachError::NoItems);
        let error = try_each(&providers, |p| p.complete(&calls))
            .deadline(Duration::ZERO)
            .hedge(Duration::from_millis(10))
            .await
            .unwrap_err();
        assert_eq!(error, fallbacks::TryEachError::NoItems);
        assert!(calls.all().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_backoff_that_reaches_the_deadline_moves_on_at_once() {
        let calls = Calls::new();
        let providers = [
            Provider::new("a", &[(0, Err(LlmError::Unavailable))]),
            Provider::new("b", &[(0, Ok("from b"))]),
        ];
        let start = tokio::time::Instant::now();
        let served = try_each(&providers, |p| p.complete(&calls))
            .retries(1)
            .backoff(Duration::MAX)
            .deadline(Duration::from_secs(5))
            .await
            .unwrap();
        // No time to retry a before the deadline: b serves at once.
        assert_eq!(served.index(), 1);
        assert_eq!(start.elapsed(), Duration::ZERO);
        let names: Vec<_> = calls.all().iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_item_served_in_a_hedged_chain_counts_the_items_started_before_it() {
        let calls = Calls::new();
        let providers = [
            Provider::new("slow", &[(5_000, Ok("from slow"))]),
            Provider::new("fast", &[(1_000, Ok("from fast"))]),
        ];
        let served = try_each(&providers, |p| p.complete(&calls))
            .hedge(Duration::from_millis(500))
            .await
            .unwrap();
        // As the macros' hedged chains count: one alternative started before it.
        assert_eq!((served.index(), served.failed_before()), (1, 1));
    }
}

/// The untimed `try_each` future keeps only its last error, and takes its position and
/// name from the last item tried (a collecting chain keeps the position of an earlier
/// one, to set it aside): the error says the right item, skipped items or not.
mod try_each_last_error {
    use fallbacks::{AllFailed, Health, TryEachError};

    use super::*;

    /// Three items that fail, each after 5 ms: every try is pending once, so the last
    /// error (and a collecting chain's position of it) is kept across polls.
    fn three_down() -> [Provider; 3] {
        [
            Provider::new("a", &[(5, Err(LlmError::RateLimited(Some(1))))]),
            Provider::new("b", &[(5, Err(LlmError::Unavailable))]),
            Provider::new("c", &[(5, Err(LlmError::ContextLength))]),
        ]
    }

    /// A collecting chain's error: the item it ended with, and every error.
    fn every_error(
        failed: TryEachError<AllFailed<LlmError>>,
    ) -> ((usize, &'static str), AllFailed<LlmError>) {
        match failed {
            TryEachError::Failed { error, index, name } => ((index, name), error),
            other => panic!("every item tried failed: {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn every_item_failed_names_the_last_one() {
        let calls = Calls::new();
        let providers = three_down();
        let failed = try_each(&providers, |p| p.complete(&calls))
            .name(|p| p.name)
            .await
            .unwrap_err();
        assert_eq!(
            failed,
            TryEachError::Failed {
                error: LlmError::ContextLength,
                index: 2,
                name: "c",
            }
        );
        let unnamed = try_each(&providers, |p| p.complete(&calls))
            .await
            .unwrap_err();
        assert!(matches!(
            unnamed,
            TryEachError::Failed {
                index: 2,
                name: "item",
                ..
            }
        ));
        assert_eq!(calls.all().len(), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn a_collecting_chain_lists_each_error_with_its_own_item() {
        let calls = Calls::new();
        let providers = three_down();
        let failed = try_each(&providers, |p| p.complete(&calls))
            .name(|p| p.name)
            .all_failed()
            .await
            .unwrap_err();
        let (ended, all) = every_error(failed);
        assert_eq!(ended, (2, "c"));
        let listed: Vec<_> = all
            .iter()
            .map(|failure| {
                (
                    failure.index(),
                    failure.alternative(),
                    failure.error().clone(),
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                (0, "a", LlmError::RateLimited(Some(1))),
                (1, "b", LlmError::Unavailable),
                (2, "c", LlmError::ContextLength),
            ]
        );
        assert_eq!(calls.all(), [("a", 0), ("b", 5), ("c", 10)]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_error_that_stops_the_chain_comes_after_the_earlier_ones() {
        let calls = Calls::new();
        let providers = [
            Provider::new("a", &[(0, Err(LlmError::Unavailable))]),
            Provider::new("b", &[(0, Err(LlmError::ContentPolicy))]),
            Provider::new("c", &[(0, Ok("never asked"))]),
        ];
        let failed = try_each(&providers, |p| p.complete(&calls))
            .name(|p| p.name)
            .on(moves_on)
            .all_failed()
            .await
            .unwrap_err();
        let (ended, all) = every_error(failed);
        assert_eq!(ended, (1, "b"));
        let listed: Vec<_> = all.iter().map(|f| (f.index(), f.alternative())).collect();
        assert_eq!(listed, [(0, "a"), (1, "b")]);
        assert!(all.stopped_early());
        assert_eq!(calls.all(), [("a", 0), ("b", 0)]);
    }

    #[tokio::test(start_paused = true)]
    async fn with_a_cooling_item_skipped_the_error_is_the_last_tried_ones() {
        let calls = Calls::new();
        let health: Health<3> = Health::new();
        let providers = three_down();
        // b cooling down (tripped by hand, as a shared store would report it).
        health.trip_for(1, Duration::from_secs(30));
        let failed = try_each(&providers, |p| p.complete(&calls))
            .name(|p| p.name)
            .cooldown(Duration::from_secs(30), &health)
            .trip_after(5)
            .all_failed()
            .await
            .unwrap_err();
        let (ended, all) = every_error(failed);
        assert_eq!(ended, (2, "c"));
        let listed: Vec<_> = all.iter().map(|f| (f.index(), f.alternative())).collect();
        assert_eq!(listed, [(0, "a"), (2, "c")]);
        assert_eq!(calls.all(), [("a", 0), ("c", 5)]);
    }

    /// Dropped where it counts: a finished try's future goes when the next one starts
    /// (before the next is polled), the last one with the chain.
    #[tokio::test(start_paused = true)]
    async fn a_finished_trys_future_is_dropped_when_the_next_starts() {
        use std::cell::Cell;
        use std::future::{Future, IntoFuture};
        use std::task::{Context, Poll};

        /// A try that fails at once and holds `dropped`'s count until it is dropped;
        /// it notes how many tries' futures were gone when it was first polled.
        struct Holding<'a> {
            index: u32,
            dropped: &'a Cell<u32>,
            seen: &'a RefCell<Vec<u32>>,
        }
        impl Future for Holding<'_> {
            type Output = Result<u32, u32>;
            fn poll(self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
                self.seen.borrow_mut().push(self.dropped.get());
                Poll::Ready(Err(self.index))
            }
        }
        impl Drop for Holding<'_> {
            fn drop(&mut self) {
                self.dropped.set(self.dropped.get() + 1);
            }
        }

        let (dropped, seen) = (Cell::new(0), RefCell::new(Vec::new()));
        let chain = try_each(0..3u32, |index| Holding {
            index,
            dropped: &dropped,
            seen: &seen,
        });
        {
            let mut future = std::pin::pin!(chain.into_future());
            let failed = future.as_mut().await.unwrap_err();
            assert!(matches!(
                failed,
                TryEachError::Failed {
                    error: 2,
                    index: 2,
                    ..
                }
            ));
            assert_eq!(*seen.borrow(), [0, 1, 2]);
            assert_eq!(dropped.get(), 2);
        }
        // The last try's future goes with the chain.
        assert_eq!(dropped.get(), 3);
    }
}
