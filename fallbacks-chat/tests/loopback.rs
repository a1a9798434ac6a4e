//! Stream chains over real sockets: providers on 127.0.0.1 that cut or stall their
//! server-sent events, read with `reqwest`, falling back with `fallbacks`.

use std::time::Duration;

use fallbacks::{try_each, Streamed, TryEachError};
use fallbacks_chat::{ChatError, Fault, FaultServer, Piece, Provider};
use futures::StreamExt;

const CUT: &[&str] = &["Hel", "lo", " wor", "ld"];
const WHOLE: &[&str] = &["Bon", "jour"];

/// Every test bounds its run: a hang fails it instead of blocking CI.
const BOUND: Duration = Duration::from_secs(10);

async fn servers(first: Fault) -> (FaultServer, FaultServer, [Provider; 2]) {
    let a = FaultServer::start(first, CUT).await.expect("bind a");
    let b = FaultServer::start(Fault::None, WHOLE)
        .await
        .expect("bind b");
    let http = reqwest::Client::new();
    let providers = [
        Provider::new(http.clone(), a.base_url(), "primary"),
        Provider::new(http, b.base_url(), "backup"),
    ];
    (a, b, providers)
}

async fn open(
    provider: &Provider,
) -> Result<impl futures::Stream<Item = Result<Piece, ChatError>> + Send + 'static, ChatError> {
    provider.open("Say hello").await
}

/// Every item of `chain`, within [`BOUND`].
async fn read_all<S: futures::Stream>(chain: S) -> Vec<S::Item> {
    tokio::time::timeout(BOUND, Box::pin(chain).collect::<Vec<_>>())
        .await
        .expect("bounded")
}

/// A piece as the tests compare it: its text, or `<usage N>` for the last chunk.
fn show(piece: &Piece) -> String {
    match piece {
        Piece::Text(text) => text.clone(),
        Piece::Usage(usage) => format!("<usage {}>", usage.completion_tokens),
    }
}

fn broken(error: &TryEachError<ChatError>) -> bool {
    matches!(
        error,
        TryEachError::Failed {
            error: ChatError::Broken(_),
            index: 0,
            ..
        }
    )
}

#[tokio::test]
async fn committed_a_cut_answer_ends_with_an_error_never_as_complete() {
    let (a, b, providers) = servers(Fault::CutAfter(2)).await;
    let items = read_all(try_each(&providers, open).stream()).await;
    assert_eq!(items.len(), 3, "two chunks, then the error: {items:?}");
    assert_eq!(items[0].as_ref().ok().map(show).as_deref(), Some("Hel"));
    assert_eq!(items[1].as_ref().ok().map(show).as_deref(), Some("lo"));
    assert!(items[2].as_ref().is_err_and(broken), "{:?}", items[2]);
    assert_eq!(
        (a.requests(), b.requests()),
        (1, 0),
        "committed: no fallback"
    );
}

#[tokio::test]
async fn restart_yields_the_marker_then_the_fallbacks_whole_answer() {
    let (a, b, providers) = servers(Fault::CutAfter(2)).await;
    let items = read_all(try_each(&providers, open).stream_restart()).await;
    let shown: Vec<String> = items
        .iter()
        .map(|item| match item {
            Ok(Streamed::Item(piece)) => show(piece),
            Ok(Streamed::Discard { index, error, .. }) => {
                assert!(broken(error), "{error:?}");
                format!("<discard {index}>")
            }
            Err(error) => panic!("the fallback served: {error:?}"),
        })
        .collect();
    assert_eq!(
        shown,
        ["Hel", "lo", "<discard 0>", "Bon", "jour", "<usage 2>"]
    );
    assert_eq!((a.requests(), b.requests()), (1, 1));
}

#[tokio::test]
async fn buffered_yields_only_the_fallbacks_answer() {
    let (a, b, providers) = servers(Fault::CutAfter(2)).await;
    let items = read_all(try_each(&providers, open).stream_buffered()).await;
    let texts: Vec<String> = items
        .iter()
        .map(|item| show(item.as_ref().expect("served")))
        .collect();
    assert_eq!(texts, ["Bon", "jour", "<usage 2>"]);
    assert_eq!((a.requests(), b.requests()), (1, 1));
}

#[tokio::test]
async fn an_error_status_while_opening_falls_back_before_the_first_token() {
    let (a, b, providers) = servers(Fault::Status(503)).await;
    let items = read_all(try_each(&providers, open).stream()).await;
    let texts: Vec<String> = items
        .iter()
        .map(|item| show(item.as_ref().expect("served")))
        .collect();
    assert_eq!(texts, ["Bon", "jour", "<usage 2>"]);
    assert_eq!((a.requests(), b.requests()), (1, 1));
}

#[tokio::test]
async fn a_400_is_the_callers_mistake_and_stops_the_chain() {
    let (a, b, providers) = servers(Fault::Status(400)).await;
    let items = read_all(try_each(&providers, open).on(ChatError::moves_on).stream()).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(
        matches!(
            &items[0],
            Err(TryEachError::Failed {
                error: ChatError::Status { status: 400, .. },
                index: 0,
                ..
            })
        ),
        "{items:?}"
    );
    assert_eq!((a.requests(), b.requests()), (1, 0));
}

#[tokio::test]
async fn dropping_the_chain_closes_the_providers_connection_and_starts_nothing() {
    let (a, b, providers) = servers(Fault::StallAfter(1)).await;
    let mut chain = Box::pin(try_each(&providers, open).stream());
    let first = tokio::time::timeout(BOUND, chain.next())
        .await
        .expect("bounded");
    assert_eq!(
        first.and_then(Result::ok).as_ref().map(show).as_deref(),
        Some("Hel")
    );
    assert_eq!(
        a.open_bodies(),
        1,
        "the stalled answer is still being served"
    );
    drop(chain);
    tokio::time::timeout(BOUND, a.all_bodies_closed())
        .await
        .expect("the provider saw the connection close");
    assert_eq!((a.requests(), b.requests()), (1, 0));
}

#[tokio::test]
async fn inline_restart_over_two_providers() {
    let (a, b, [primary, backup]) = servers(Fault::CutAfter(3)).await;
    let chain = fallbacks::fallback_chain!(
        "primary": primary.open("Say hello") | "backup": backup.open("Say hello"),
        stream = "restart",
    );
    let items = read_all(chain).await;
    let shown: Vec<String> = items
        .iter()
        .map(|item| match item {
            Ok(Streamed::Item(piece)) => show(piece),
            Ok(Streamed::Discard {
                alternative, error, ..
            }) => {
                assert!(matches!(error, ChatError::Broken(_)), "{error:?}");
                format!("<discard {alternative}>")
            }
            Err(error) => panic!("the fallback served: {error:?}"),
        })
        .collect();
    assert_eq!(
        shown,
        [
            "Hel",
            "lo",
            " wor",
            "<discard primary>",
            "Bon",
            "jour",
            "<usage 2>"
        ]
    );
    assert_eq!((a.requests(), b.requests()), (1, 1));
}

mod unstreamed {
    //! Answers in one response (`"stream": false`), with the same conduct.

    use super::*;
    use fallbacks_chat::demo::LIMITS;
    use fallbacks_chat::Chat;

    async fn chat(first: Fault) -> (FaultServer, FaultServer, Chat) {
        let (a, b, providers) = servers(first).await;
        (a, b, Chat::new(providers.into(), LIMITS))
    }

    #[tokio::test]
    async fn a_healthy_provider_answers_whole() {
        let (a, b, chat) = chat(Fault::None).await;
        let report = tokio::time::timeout(BOUND, chat.request("Say hello"))
            .await
            .expect("bounded");
        assert_eq!(report.answer.as_deref().ok(), Some(CUT.concat().as_str()));
        assert_eq!(report.served_by, Some(0));
        assert_eq!(report.usage.map(|u| u.total_tokens), Some(16));
        assert_eq!((a.requests(), b.requests()), (1, 0));
        assert_eq!(a.last_request().expect("a request")["stream"], false);
    }

    #[tokio::test]
    async fn a_cut_body_is_broken_retried_then_the_backup_answers() {
        let (a, b, chat) = chat(Fault::CutAfter(2)).await;
        let report = tokio::time::timeout(BOUND, chat.request("Say hello"))
            .await
            .expect("bounded");
        assert_eq!(report.answer.as_deref().ok(), Some(WHOLE.concat().as_str()));
        assert_eq!(report.served_by, Some(1));
        let failures: Vec<&str> = report
            .tries
            .iter()
            .filter_map(|t| t.failure.as_deref())
            .collect();
        assert_eq!(failures.len(), 2, "the try and its retry: {failures:?}");
        assert!(
            failures
                .iter()
                .all(|f| f.starts_with("broken stream: a malformed answer")),
            "{failures:?}"
        );
        assert_eq!((a.requests(), b.requests()), (2, 1));
    }

    #[tokio::test]
    async fn a_silent_provider_times_out_once_then_the_backup_answers() {
        let (a, b, chat) = chat(Fault::Silent).await;
        let report = tokio::time::timeout(BOUND, chat.request("Say hello"))
            .await
            .expect("bounded");
        assert_eq!(report.served_by, Some(1));
        let timed_out = format!(
            "the attempt took longer than its {:?} timeout",
            LIMITS.timeout
        );
        assert_eq!(report.tries[0].failure.as_deref(), Some(timed_out.as_str()));
        assert_eq!((a.requests(), b.requests()), (1, 1));
    }
}

#[tokio::test]
async fn on_a_fall_over_the_next_provider_gets_the_original_request() {
    let (a, b, providers) = servers(Fault::CutAfter(2)).await;
    let chat = fallbacks_chat::Chat::new(providers.into(), fallbacks_chat::demo::LIMITS);
    let report = tokio::time::timeout(BOUND, chat.complete("Say hello"))
        .await
        .expect("bounded");
    assert_eq!(report.served_by, Some(1));
    let (first, second) = (a.last_request().expect("a"), b.last_request().expect("b"));
    // No assistant prefill of what the cut provider had said: the same messages.
    assert_eq!(first["messages"], second["messages"]);
    assert_eq!(
        second["messages"],
        serde_json::json!([{ "role": "user", "content": "Say hello" }])
    );
}

#[tokio::test]
async fn an_answer_the_provider_stopped_for_length_is_incomplete_and_the_backup_answers() {
    let (a, b, providers) = servers(Fault::StoppedFor("length")).await;
    let items = read_all(try_each(&providers, open).stream_buffered()).await;
    let texts: Vec<String> = items
        .iter()
        .map(|item| show(item.as_ref().expect("served")))
        .collect();
    assert_eq!(texts, ["Bon", "jour", "<usage 2>"]);
    assert_eq!(
        (a.requests(), b.requests()),
        (1, 1),
        "incomplete: no retry, the next model"
    );
}

#[tokio::test]
async fn a_stopped_answer_is_an_error_in_committed_mode_too() {
    let (a, _b, providers) = servers(Fault::StoppedFor("content_filter")).await;
    let items = read_all(try_each(&providers, open).stream()).await;
    let last = items.last().expect("items");
    assert!(
        matches!(
            last,
            Err(TryEachError::Failed { error: ChatError::Incomplete(reason), index: 0, .. })
                if reason == "finish_reason content_filter"
        ),
        "{last:?}"
    );
    assert_eq!(items.len(), CUT.len() + 1, "the whole text, then the error");
    assert_eq!(a.requests(), 1);
}

/// The errors of a report's failed tries, in order.
fn failures(report: &fallbacks_chat::Report) -> Vec<&str> {
    report
        .tries
        .iter()
        .filter_map(|t| t.failure.as_deref())
        .collect()
}

mod answers_that_are_not_answers {
    use super::*;
    use fallbacks_chat::demo::LIMITS;
    use fallbacks_chat::{Chat, Limits};

    async fn chat(first: Fault, limits: Limits) -> (FaultServer, FaultServer, Chat) {
        let (a, b, providers) = servers(first).await;
        (a, b, Chat::new(providers.into(), limits))
    }

    #[tokio::test]
    async fn an_answer_without_text_moves_on_to_the_backup_in_every_mode() {
        for mode in ["complete", "stream", "request"] {
            let (a, b, chat) = chat(Fault::Empty, LIMITS).await;
            let mut shown = String::new();
            let call = async {
                match mode {
                    "complete" => chat.complete("Say hello").await,
                    "stream" => chat.stream("Say hello", |t| shown.push_str(t)).await,
                    _ => chat.request("Say hello").await,
                }
            };
            let report = tokio::time::timeout(BOUND, call).await.expect("bounded");
            assert_eq!(report.answer.as_deref().ok(), Some("Bonjour"), "{mode}");
            assert_eq!(report.served_by, Some(1), "{mode}");
            assert_eq!(
                failures(&report),
                ["incomplete answer: an answer without text"],
                "{mode}: not retried"
            );
            assert_eq!((a.requests(), b.requests()), (1, 1), "{mode}");
            if mode == "stream" {
                assert_eq!(shown, "Bonjour", "nothing of the empty answer was shown");
            }
        }
    }

    #[tokio::test]
    async fn a_refusal_is_incomplete_not_retried_and_the_backup_answers() {
        for streamed in [true, false] {
            let (a, b, chat) = chat(Fault::Declined("I can't help with that."), LIMITS).await;
            let call = async {
                if streamed {
                    chat.complete("Say hello").await
                } else {
                    chat.request("Say hello").await
                }
            };
            let report = tokio::time::timeout(BOUND, call).await.expect("bounded");
            assert_eq!(report.answer.as_deref().ok(), Some("Bonjour"));
            assert_eq!(
                failures(&report),
                ["incomplete answer: the model refused: I can't help with that."],
                "streamed: {streamed}"
            );
            assert_eq!((a.requests(), b.requests()), (1, 1));
        }
    }

    #[tokio::test]
    async fn an_unstreamed_answer_stopped_for_length_is_incomplete() {
        let (a, b, chat) = chat(Fault::StoppedFor("length"), LIMITS).await;
        let report = tokio::time::timeout(BOUND, chat.request("Say hello"))
            .await
            .expect("bounded");
        assert_eq!(report.answer.as_deref().ok(), Some("Bonjour"));
        assert_eq!(
            failures(&report),
            ["incomplete answer: finish_reason length"]
        );
        assert_eq!((a.requests(), b.requests()), (1, 1));
    }

    #[tokio::test]
    async fn openais_retry_after_ms_is_waited_before_the_retry() {
        let (a, b, providers) = servers(Fault::RateLimitedMs(400)).await;
        // The second request is served.
        drop(a);
        let a = FaultServer::scripted(&[Fault::RateLimitedMs(400), Fault::None], CUT)
            .await
            .expect("bind a");
        let providers = [
            Provider::new(reqwest::Client::new(), a.base_url(), "primary"),
            providers[1].clone(),
        ];
        let chat = Chat::new(providers.into(), LIMITS);
        let report = tokio::time::timeout(BOUND, chat.complete("Say hello"))
            .await
            .expect("bounded");
        assert_eq!(report.served_by, Some(0));
        assert_eq!(failures(&report), ["429: rate limit reached"]);
        assert!(
            report.elapsed >= Duration::from_millis(400),
            "the retry waited the 400 ms asked for, not the 50 ms backoff: {:?}",
            report.elapsed
        );
        assert_eq!((a.requests(), b.requests()), (2, 0));
    }

    #[tokio::test]
    async fn the_deadline_ends_the_whole_call_and_starts_nothing_after_it() {
        let limits = Limits {
            deadline: Duration::from_millis(150),
            ..LIMITS
        };
        let (a, b, chat) = chat(Fault::Silent, limits).await;
        let report = tokio::time::timeout(BOUND, chat.complete("Say hello"))
            .await
            .expect("bounded");
        assert!(
            matches!(
                report.answer,
                Err(TryEachError::Failed {
                    error: ChatError::Timeout(elapsed),
                    index: 0,
                    ..
                }) if elapsed.is_deadline()
            ),
            "{:?}",
            report.answer
        );
        assert_eq!(
            failures(&report),
            ["the chain took longer than its 150ms deadline"]
        );
        assert_eq!(
            (a.requests(), b.requests()),
            (1, 0),
            "the backup was never asked"
        );
    }
}
