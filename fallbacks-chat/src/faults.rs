//! A fault-injecting OpenAI-compatible provider on loopback.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use futures::stream::{self, Stream, StreamExt};
use tokio::sync::Notify;

/// What a provider does with a request for a streamed answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Streams the whole answer, then `data: [DONE]`.
    None,
    /// Answers with this status and an OpenAI-style error body, before any event.
    Status(u16),
    /// Streams this many chunks, then ends the body without `[DONE]`: the answer stops
    /// in its middle, though the HTTP response ends cleanly.
    CutAfter(usize),
    /// Streams this many chunks, then sends only keep-alive comments, for ever: a
    /// provider that stalls mid-answer.
    StallAfter(usize),
    /// Streams this many chunks, then a chunk that is not JSON.
    MalformedAfter(usize),
    /// Answers 429, with `Retry-After: N` (seconds) when given.
    RateLimited(Option<u64>),
    /// Answers 400 with this OpenAI error code (`context_length_exceeded`,
    /// `content_policy_violation`).
    Refused(&'static str),
    /// Accepts the request and never answers, not even the headers.
    Silent,
    /// Closes the connection before the headers, after reading the request: the client
    /// sees it closed with no response.
    Reset,
    /// Streams the answer, then a chunk whose `finish_reason` is this (`length`,
    /// `content_filter`): the provider stopped before the answer's end, and said so.
    StoppedFor(&'static str),
    /// Sends the headers at once, then the whole answer after this long.
    SlowFirstToken(Duration),
    /// Answers 429 with OpenAI's `retry-after-ms: N` (and no `Retry-After`).
    RateLimitedMs(u64),
    /// An answer without text: only the usage, then `[DONE]` (not streamed: an empty
    /// `content`).
    Empty,
    /// The model declines, with this reason in the answer's `refusal` field.
    Declined(&'static str),
}

/// What a [`FaultServer`] saw.
#[derive(Debug, Default)]
struct Seen {
    requests: AtomicUsize,
    last_request: std::sync::Mutex<Option<serde_json::Value>>,
    open_bodies: AtomicUsize,
    closed: Notify,
}

#[derive(Clone)]
struct Script {
    faults: Arc<[Fault]>,
    cycle: bool,
    answer: Arc<[&'static str]>,
    seen: Arc<Seen>,
}

/// An OpenAI-compatible provider on 127.0.0.1 (port 0) that answers
/// `POST /v1/chat/completions` with `answer`, chunk by chunk, then a chunk with its
/// `usage` (12 prompt tokens, a completion token per chunk) and `[DONE]`, misbehaving as
/// its [`Fault`] says. Dropping it stops accepting connections; those open go on until
/// they close.
pub struct FaultServer {
    addr: SocketAddr,
    seen: Arc<Seen>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultServer {
    /// Binds 127.0.0.1 on a free port and serves in a task of the current runtime.
    ///
    /// # Errors
    ///
    /// When no loopback port can be bound.
    pub async fn start(fault: Fault, answer: &[&'static str]) -> std::io::Result<Self> {
        Self::scripted(&[fault], answer).await
    }

    /// As [`FaultServer::start`], with a fault per request: the `n`th request meets
    /// `faults[n]`, and every request after the last meets the last. `[Status(500),
    /// None]` fails once, then serves.
    ///
    /// # Errors
    ///
    /// When no loopback port can be bound.
    ///
    /// # Panics
    ///
    /// When `faults` is empty.
    pub async fn scripted(faults: &[Fault], answer: &[&'static str]) -> std::io::Result<Self> {
        Self::serve(faults, false, answer).await
    }

    /// As [`FaultServer::scripted`], round and round: the `n`th request meets
    /// `faults[n % faults.len()]`. For load tests, with a shuffled mix of faults.
    ///
    /// # Errors
    ///
    /// When no loopback port can be bound.
    ///
    /// # Panics
    ///
    /// When `faults` is empty.
    pub async fn cycling(faults: &[Fault], answer: &[&'static str]) -> std::io::Result<Self> {
        Self::serve(faults, true, answer).await
    }

    async fn serve(
        faults: &[Fault],
        cycle: bool,
        answer: &[&'static str],
    ) -> std::io::Result<Self> {
        assert!(
            !faults.is_empty(),
            "a provider's script needs at least one fault"
        );
        let seen = Arc::new(Seen::default());
        let script = Script {
            faults: faults.into(),
            cycle,
            answer: answer.into(),
            seen: Arc::clone(&seen),
        };
        let app = Router::new()
            .route("/v1/chat/completions", post(complete))
            .with_state(script);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            // Serving ends only with an I/O error of the listener; the test then sees
            // its requests fail, which is what it should see.
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, seen, task })
    }

    /// The base URL to give a client: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// How many requests reached the provider.
    pub fn requests(&self) -> usize {
        self.seen.requests.load(Ordering::SeqCst)
    }

    /// The body of the last request that reached the provider.
    pub fn last_request(&self) -> Option<serde_json::Value> {
        self.seen
            .last_request
            .lock()
            .ok()
            .and_then(|last| last.clone())
    }

    /// How many answers are being streamed now (a body the server still holds).
    pub fn open_bodies(&self) -> usize {
        self.seen.open_bodies.load(Ordering::SeqCst)
    }

    /// Waits until no answer is being streamed: every connection that carried one is
    /// closed, by the provider or by the client.
    pub async fn all_bodies_closed(&self) {
        loop {
            let closed = self.seen.closed.notified();
            if self.open_bodies() == 0 {
                return;
            }
            closed.await;
        }
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Counts a body while the server holds it: hyper drops it when the stream ends or
/// the connection closes.
struct BodyGuard(Arc<Seen>);

impl BodyGuard {
    fn new(seen: &Arc<Seen>) -> Self {
        seen.open_bodies.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(seen))
    }
}

impl Drop for BodyGuard {
    fn drop(&mut self) {
        self.0.open_bodies.fetch_sub(1, Ordering::SeqCst);
        self.0.closed.notify_waiters();
    }
}

fn chunk(content: &str) -> Event {
    Event::default().data(
        serde_json::json!({
            "object": "chat.completion.chunk",
            "choices": [{ "index": 0, "delta": { "content": content } }],
        })
        .to_string(),
    )
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "error": { "message": message, "type": "invalid_request_error", "code": code }
    });
    (status, Json(body)).into_response()
}

async fn complete(
    State(script): State<Script>,
    Json(request): Json<serde_json::Value>,
) -> Response {
    let n = script.seen.requests.fetch_add(1, Ordering::SeqCst);
    let streamed = request["stream"] == true;
    if let Ok(mut last) = script.seen.last_request.lock() {
        *last = Some(request);
    }
    let count = script.faults.len();
    let fault = script.faults[if script.cycle {
        n % count
    } else {
        n.min(count - 1)
    }];
    let all = script.answer.len();
    let (sent, end, delay) = match fault {
        Fault::Status(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return error(status, "server_error", &format!("injected {status}"));
        }
        Fault::RateLimited(retry_after) => {
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_exceeded",
                "rate limit reached",
            );
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, seconds.into());
            }
            return response;
        }
        Fault::RateLimitedMs(ms) => {
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_exceeded",
                "rate limit reached",
            );
            response.headers_mut().insert("retry-after-ms", ms.into());
            return response;
        }
        Fault::Refused(code) => {
            return error(StatusCode::BAD_REQUEST, code, &format!("refused: {code}"));
        }
        Fault::Silent => std::future::pending().await,
        // Unwinding out of the handler ends hyper's task for this connection, which
        // closes the socket with no response. `resume_unwind` skips the panic hook: the
        // demo's output stays clean.
        Fault::Reset => std::panic::resume_unwind(Box::new("injected reset")),
        Fault::None => (all, End::Done, Duration::ZERO),
        Fault::SlowFirstToken(delay) => (all, End::Done, delay),
        Fault::CutAfter(k) => (k.min(all), End::Cut, Duration::ZERO),
        Fault::StallAfter(k) => (k.min(all), End::Stall, Duration::ZERO),
        Fault::MalformedAfter(k) => (k.min(all), End::Malformed, Duration::ZERO),
        Fault::StoppedFor(reason) => (all, End::Stopped(reason), Duration::ZERO),
        Fault::Empty => (0, End::Done, Duration::ZERO),
        Fault::Declined(reason) => (0, End::Declined(reason), Duration::ZERO),
    };
    let guard = BodyGuard::new(&script.seen);
    if !streamed {
        return whole(&script.answer, sent, end, delay, guard);
    }
    let chunks: Vec<Event> = script.answer[..sent].iter().map(|c| chunk(c)).collect();
    let usage = Event::default().data(
        serde_json::json!({
            "object": "chat.completion.chunk",
            "choices": [],
            "usage": { "prompt_tokens": 12, "completion_tokens": sent, "total_tokens": 12 + sent },
        })
        .to_string(),
    );
    let last: Vec<Event> = match end {
        End::Done => vec![usage, Event::default().data("[DONE]")],
        End::Stopped(reason) => vec![
            Event::default().data(
                serde_json::json!({
                    "object": "chat.completion.chunk",
                    "choices": [{ "index": 0, "delta": {}, "finish_reason": reason }],
                })
                .to_string(),
            ),
            usage,
            Event::default().data("[DONE]"),
        ],
        End::Declined(reason) => vec![
            Event::default().data(
                serde_json::json!({
                    "object": "chat.completion.chunk",
                    "choices": [{ "index": 0, "delta": { "refusal": reason } }],
                })
                .to_string(),
            ),
            usage,
            Event::default().data("[DONE]"),
        ],
        End::Malformed => vec![Event::default().data("{\"choices\": [{\"delta\"")],
        End::Cut | End::Stall => Vec::new(),
    };
    let wait = stream::once(tokio::time::sleep(delay)).filter_map(|()| async { None });
    let events = wait
        .chain(stream::iter(chunks.into_iter().chain(last)))
        .map(Ok::<_, Infallible>);
    let stall =
        stream::iter((end == End::Stall).then(stream::pending::<Result<Event, Infallible>>))
            .flatten();
    // The guard lives as long as the body: it is dropped with the stream.
    let body = events.chain(stall).map(move |event| {
        let _held = &guard;
        event
    });
    sse(body)
}

/// The answer in one response (`"stream": false`), misbehaving alike: cut (half of the
/// JSON, then the end of the body), stalled (half, then nothing), malformed.
fn whole(answer: &[&str], sent: usize, end: End, delay: Duration, guard: BodyGuard) -> Response {
    let (finish_reason, refusal) = match end {
        End::Stopped(reason) => (reason, None),
        End::Declined(reason) => ("stop", Some(reason)),
        _ => ("stop", None),
    };
    let content = answer[..sent].concat();
    let json = serde_json::json!({
        "object": "chat.completion",
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": content, "refusal": refusal },
            "finish_reason": finish_reason,
        }],
        "usage": { "prompt_tokens": 12, "completion_tokens": sent, "total_tokens": 12 + sent },
    })
    .to_string();
    let bytes = match end {
        End::Done | End::Stopped(_) | End::Declined(_) => json,
        End::Cut | End::Stall => json[..json.len() / 2].to_string(),
        End::Malformed => "{\"choices\": [{\"message\"".to_string(),
    };
    let wait = stream::once(tokio::time::sleep(delay)).filter_map(|()| async { None });
    let body = wait
        .chain(stream::iter([bytes]))
        .chain(stream::iter((end == End::Stall).then(stream::pending::<String>)).flatten())
        .map(move |part| {
            let _held = &guard;
            Ok::<_, Infallible>(part)
        });
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        axum::body::Body::from_stream(body),
    )
        .into_response()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Done,
    Stopped(&'static str),
    Declined(&'static str),
    Cut,
    Stall,
    Malformed,
}

fn sse(events: impl Stream<Item = Result<Event, Infallible>> + Send + 'static) -> Response {
    // Keep-alive comments every 20 ms: a stalled body is still written to, so a client
    // that hangs up is noticed at once.
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_millis(20)))
        .into_response()
}
