//! One OpenAI-compatible provider over HTTP, its answer read as server-sent events.

use std::time::Duration;

use eventsource_stream::Eventsource;
use fallbacks::require_end;
use futures::stream::{self, Stream, StreamExt};
use serde::Deserialize;

/// Why a call to a provider failed.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// The provider answered with an error status.
    #[error("{status}: {message}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The provider's error code (`context_length_exceeded`), when it gave one.
        code: Option<String>,
        /// The provider's own reason, from its error body.
        message: String,
        /// The wait the provider asked for (see [`retry_after`]).
        retry_after: Option<Duration>,
    },
    /// No answer: the connection was refused or reset, or the request could not be sent.
    #[error("connection: {0}")]
    Connection(#[source] reqwest::Error),
    /// The answer's stream broke: cut before `[DONE]`, a malformed chunk, a reset, an
    /// error sent in the middle of the answer.
    #[error("broken stream: {0}")]
    Broken(String),
    /// No whole answer, and the provider said so: it stopped before the end
    /// (`finish_reason` `length` or `content_filter`), the model refused, or the answer
    /// had no text. Another model may answer; a retry of the same one would most likely
    /// not. (A `length` stop fails every model that shares the same `max_tokens`.)
    #[error("incomplete answer: {0}")]
    Incomplete(String),
    /// A time limit passed: which one, its text says ("no first item within the 2s
    /// first-item timeout").
    #[error("{0}")]
    Timeout(fallbacks::Elapsed),
}

impl From<fallbacks::Elapsed> for ChatError {
    fn from(elapsed: fallbacks::Elapsed) -> Self {
        ChatError::Timeout(elapsed)
    }
}

impl ChatError {
    /// Whether another provider may do better: every failure but a request refused for
    /// what it says (400, 413, 422), which every model would refuse alike. A
    /// `context_length_exceeded` moves on (the next model may take a longer context), and
    /// so do 401, 403 and 404 (another provider's key, another model's name).
    pub fn moves_on(&self) -> bool {
        match self {
            ChatError::Status { status, code, .. } => {
                !matches!(status, 400 | 413 | 422)
                    || code.as_deref() == Some("context_length_exceeded")
            }
            _ => true,
        }
    }

    /// Whether the same provider is worth another try: a 5xx, a 429, a reset or a broken
    /// stream. Not a timeout: a silent provider stays silent, so the chain moves on.
    /// Not a spent quota (`insufficient_quota`), nor a request that could not be built.
    pub fn retries(&self) -> bool {
        match self {
            ChatError::Status { status, code, .. } => {
                (*status >= 500 || *status == 429) && code.as_deref() != Some("insufficient_quota")
            }
            ChatError::Connection(error) => !error.is_builder(),
            ChatError::Broken(_) => true,
            ChatError::Incomplete(_) | ChatError::Timeout(_) => false,
        }
    }

    /// The wait the provider asked for with `Retry-After`.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ChatError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// The `finish_reason`s that say the answer stopped before its end.
fn unfinished(finish_reason: Option<&str>) -> Option<&str> {
    finish_reason.filter(|reason| matches!(*reason, "length" | "content_filter"))
}

/// The wait a provider asked for: `retry-after-ms` (OpenAI's, in milliseconds), else
/// `Retry-After` in seconds or as an HTTP date (RFC 9110), as the library reads them. A
/// value that is none of these, negative, or a date in the past is no wait asked for.
pub fn retry_after(
    headers: &reqwest::header::HeaderMap,
    now: std::time::SystemTime,
) -> Option<Duration> {
    fallbacks::retry_after_in(|name| headers.get(name)?.to_str().ok(), now)
}

/// An OpenAI-compatible provider: a base URL (`https://api.openai.com/v1`) and a model.
#[derive(Debug, Clone)]
pub struct Provider {
    http: reqwest::Client,
    base_url: String,
    model: &'static str,
    api_key: Option<String>,
}

/// A piece of a streamed answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text of the answer.
    Text(String),
    /// The tokens the answer cost, as the provider reported them (its last chunk).
    Usage(Usage),
}

/// The tokens an answer cost, as the provider reported them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Usage {
    /// The request's tokens.
    #[serde(default)]
    pub prompt_tokens: u64,
    /// The answer's tokens.
    #[serde(default)]
    pub completion_tokens: u64,
    /// Both.
    #[serde(default)]
    pub total_tokens: u64,
}

impl Piece {
    /// The text, for a [`Piece::Text`].
    pub fn text(&self) -> Option<&str> {
        match self {
            Piece::Text(text) => Some(text),
            Piece::Usage(_) => None,
        }
    }
}

#[derive(Deserialize)]
struct Chunk {
    // `Option`s: a provider may send `null` for any of them.
    #[serde(default)]
    choices: Option<Vec<Choice>>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    error: Option<ErrorDetail>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
}

/// A whole answer, not streamed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The text.
    pub text: String,
    /// The tokens it cost, as the provider reported them.
    pub usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Reply {
    choices: Vec<ReplyChoice>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct ReplyChoice {
    message: Message,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    message: String,
    #[serde(default)]
    code: Option<String>,
}

impl Provider {
    /// A provider at `base_url` (up to and including `/v1`), asked for `model`. The
    /// model names the provider in errors, events and traces for the whole program: a
    /// literal, or a configured name leaked once (`Box::leak`) when the client is made.
    pub fn new(http: reqwest::Client, base_url: impl Into<String>, model: &'static str) -> Self {
        Self {
            http,
            base_url: base_url.into(),
            model,
            api_key: None,
        }
    }

    /// Sends `api_key` as a bearer token with every request.
    pub fn with_api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }

    /// The model this provider is asked for.
    pub fn model(&self) -> &'static str {
        self.model
    }

    /// Sends `prompt` and opens the streamed answer: fails while opening on a connection
    /// error or an error status; the stream then yields the answer's text chunk by
    /// chunk and its usage, and ends with an `Err(ChatError::Broken(..))` item if the
    /// answer stops before `data: [DONE]` or a chunk is malformed.
    ///
    /// # Errors
    ///
    /// [`ChatError::Connection`] when no answer came, [`ChatError::Status`] for an error
    /// status (with the provider's reason and its `Retry-After`).
    pub async fn open(
        &self,
        prompt: &str,
    ) -> Result<impl Stream<Item = Result<Piece, ChatError>> + Send + 'static, ChatError> {
        let response = self.send(prompt, true).await?;
        // An answer ends with `data: [DONE]`: a body closed before it was cut.
        let events = response
            .bytes_stream()
            .eventsource()
            .map(|event| event.map_err(|error| ChatError::Broken(error.to_string())));
        let events = Box::pin(require_end(
            events,
            |event| event.data == "[DONE]",
            || ChatError::Broken("the answer ended before [DONE]".into()),
        ));
        // The state: the events, a usage not yet yielded (it came with the last text, or
        // before any: it is yielded after the first), and whether any text came. An
        // answer without text is no answer: it fails before its first item.
        Ok(stream::unfold(
            Some((events, None, false)),
            |state| async move {
                let (mut events, mut pending, texted) = state?;
                if let (true, Some(usage)) = (texted, pending) {
                    return Some((Ok(Piece::Usage(usage)), Some((events, None, true))));
                }
                let end = |error| Some((Err(error), None));
                loop {
                    let event = match events.next().await {
                        // At `[DONE]`.
                        None if texted => return None,
                        None => return end(ChatError::Incomplete("an answer without text".into())),
                        Some(Err(error)) => return end(error),
                        Some(Ok(event)) => event,
                    };
                    let chunk = match serde_json::from_str::<Chunk>(&event.data) {
                        Ok(chunk) => chunk,
                        Err(error) => {
                            return end(ChatError::Broken(format!("a malformed chunk: {error}")))
                        }
                    };
                    if let Some(error) = chunk.error {
                        return end(ChatError::Broken(format!(
                            "the provider's error: {}",
                            error.message
                        )));
                    }
                    let mut text = None;
                    for choice in chunk.choices.into_iter().flatten() {
                        if let Some(reason) = unfinished(choice.finish_reason.as_deref()) {
                            return end(ChatError::Incomplete(format!("finish_reason {reason}")));
                        }
                        let delta = choice.delta.unwrap_or_default();
                        if let Some(refusal) = delta.refusal.filter(|text| !text.is_empty()) {
                            return end(ChatError::Incomplete(format!(
                                "the model refused: {refusal}"
                            )));
                        }
                        text = text.or(delta.content);
                    }
                    match (text, chunk.usage) {
                        (Some(text), usage) if !text.is_empty() => {
                            let pending = usage.or(pending);
                            return Some((Ok(Piece::Text(text)), Some((events, pending, true))));
                        }
                        (_, Some(usage)) if texted => {
                            return Some((Ok(Piece::Usage(usage)), Some((events, None, true))))
                        }
                        (_, Some(usage)) => pending = Some(usage),
                        // A chunk with no text (the role, a finish reason): read on.
                        _ => {}
                    }
                }
            },
        ))
    }

    /// Sends `prompt` and answers with the whole reply in one response (`"stream":
    /// false`).
    ///
    /// # Errors
    ///
    /// As [`Provider::open`]; and [`ChatError::Broken`] when the body is cut or is not
    /// an answer.
    pub async fn ask(&self, prompt: &str) -> Result<Answer, ChatError> {
        let response = self.send(prompt, false).await?;
        let body = response
            .bytes()
            .await
            .map_err(|error| ChatError::Broken(format!("reading the answer: {error}")))?;
        let reply: Reply = serde_json::from_slice(&body)
            .map_err(|error| ChatError::Broken(format!("a malformed answer: {error}")))?;
        let choice = reply
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| ChatError::Incomplete("an answer without a choice".into()))?;
        if let Some(refusal) = choice.message.refusal.filter(|text| !text.is_empty()) {
            return Err(ChatError::Incomplete(format!(
                "the model refused: {refusal}"
            )));
        }
        if let Some(reason) = unfinished(choice.finish_reason.as_deref()) {
            return Err(ChatError::Incomplete(format!("finish_reason {reason}")));
        }
        let text = choice
            .message
            .content
            .filter(|text| !text.is_empty())
            .ok_or_else(|| ChatError::Incomplete("an answer without text".into()))?;
        Ok(Answer {
            text,
            usage: reply.usage,
        })
    }

    /// Sends the request: the response, when its status is a success.
    async fn send(&self, prompt: &str, stream: bool) -> Result<reqwest::Response, ChatError> {
        let mut request = serde_json::json!({
            "model": self.model,
            "stream": stream,
            "messages": [{ "role": "user", "content": prompt }],
        });
        if stream {
            request["stream_options"] = serde_json::json!({ "include_usage": true });
        }
        let mut post = self
            .http
            .post(format!(
                "{}/chat/completions",
                self.base_url.trim_end_matches('/')
            ))
            .json(&request);
        if let Some(key) = &self.api_key {
            post = post.bearer_auth(key);
        }
        let response = post.send().await.map_err(ChatError::Connection)?;
        let status = response.status();
        if !status.is_success() {
            let retry_after = retry_after(response.headers(), std::time::SystemTime::now());
            let body = response.bytes().await.unwrap_or_default();
            let (message, code) = match serde_json::from_slice::<ErrorBody>(&body) {
                Ok(body) => (body.error.message, body.error.code),
                Err(_) => (String::from_utf8_lossy(&body).into_owned(), None),
            };
            return Err(ChatError::Status {
                status: status.as_u16(),
                code,
                message,
                retry_after,
            });
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use reqwest::header::{HeaderMap, HeaderValue};

    fn wait(headers: &[(&'static str, &'static str)]) -> Option<Duration> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_static(value));
        }
        // Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example date.
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        super::retry_after(&map, now)
    }

    #[test]
    fn retry_after_in_seconds_milliseconds_or_as_a_date() {
        assert_eq!(wait(&[("retry-after", "2")]), Some(Duration::from_secs(2)));
        assert_eq!(
            wait(&[("retry-after", " 1.5 ")]),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            wait(&[("retry-after", "Sun, 06 Nov 1994 08:49:40 GMT")]),
            Some(Duration::from_secs(3))
        );
        // OpenAI's own header wins over the standard one.
        assert_eq!(
            wait(&[("retry-after-ms", "250"), ("retry-after", "9")]),
            Some(Duration::from_millis(250))
        );
    }

    #[test]
    fn a_retry_after_that_asks_for_no_wait_is_none() {
        assert_eq!(wait(&[]), None);
        assert_eq!(wait(&[("retry-after", "-1")]), None);
        assert_eq!(wait(&[("retry-after", "soon")]), None);
        assert_eq!(wait(&[("retry-after", "NaN")]), None);
        // Too long to wait: the longest wait, which the chain will not make.
        let too_long = "18446744073709551616"; // 2^64 seconds
        assert_eq!(wait(&[("retry-after", too_long)]), Some(Duration::MAX));
        let too_many_ms = "9999999999999999999999999999999999999999";
        assert_eq!(
            wait(&[("retry-after-ms", too_many_ms)]),
            Some(Duration::MAX)
        );
        // Digits only, as for `Retry-After`: an exponent is not a number of milliseconds.
        assert_eq!(wait(&[("retry-after-ms", "1e30")]), None);
        // A date in the past.
        assert_eq!(
            wait(&[("retry-after", "Sun, 06 Nov 1994 08:49:00 GMT")]),
            None
        );
        // A bad `retry-after-ms` leaves the standard header to speak.
        assert_eq!(
            wait(&[("retry-after-ms", "x"), ("retry-after", "1")]),
            Some(Duration::from_secs(1))
        );
    }
}
