//! The chat client: providers tried in order, with the careful conduct of a production
//! client, all of it written with `fallbacks`' options.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use fallbacks::{try_each, EventKind, Health, TryEachError};
use futures::{Stream, StreamExt};

use crate::client::{Piece, Usage};
use crate::{ChatError, Provider};

/// The client's limits, from its configuration.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long opening an answer may take (the headers).
    pub timeout: Duration,
    /// How long the first token may take, from the attempt's start.
    pub first_token: Duration,
    /// How long the answer may pause between two tokens.
    pub idle: Duration,
    /// Further tries of the same provider, for the errors worth one.
    pub retries: u32,
    /// The pause before the first retry (doubled each time, with jitter).
    pub backoff: Duration,
    /// The consecutive failures after which a provider is skipped...
    pub trip_after: u32,
    /// ...for this long; then one call probes it.
    pub cooldown: Duration,
    /// The whole call's limit, every try and pause included (`Duration::MAX`: none).
    pub deadline: Duration,
}

/// One try of one provider, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Try {
    /// The provider's position in the chain.
    pub index: usize,
    /// `None` when it served; the error's text when it failed.
    pub failure: Option<String>,
}

/// What a call to [`Chat::complete`] did.
#[derive(Debug)]
pub struct Report {
    /// The complete answer, or why there is none.
    pub answer: Result<String, TryEachError<ChatError>>,
    /// The position of the provider that served.
    pub served_by: Option<usize>,
    /// The tokens the answer cost, as the provider that served reported them.
    pub usage: Option<Usage>,
    /// Every try, in order.
    pub tries: Vec<Try>,
    /// How long the call took.
    pub elapsed: Duration,
}

/// The providers whose health a [`Chat`] tracks: the first ones, by position.
pub const TRACKED: usize = 4;

/// Providers tried in order; a provider that keeps failing is skipped for a while
/// (the client's own health, shared by its calls).
#[derive(Debug)]
pub struct Chat {
    providers: Vec<Provider>,
    limits: Limits,
    health: Health<TRACKED>,
}

/// The client's conduct, one list of options for both kinds of call: a 4xx other than
/// 408, 429 and a context too long stops; a 429, a 5xx, a reset or a broken answer is
/// tried again (after `Retry-After`, or a jittered backoff) up to `retries` times; a
/// timeout moves on at once; a provider that keeps failing cools down.
macro_rules! conduct {
    ($chat:expr, $record:ident, $call:expr) => {{
        let limits = $chat.limits;
        try_each(&$chat.providers, $call)
            .name(|provider| provider.model())
            .on(ChatError::moves_on)
            .retries(limits.retries)
            .retry_on(ChatError::retries)
            .retry_after(ChatError::retry_after)
            .backoff(limits.backoff)
            .timeout(limits.timeout)
            .deadline(limits.deadline)
            .cooldown(limits.cooldown, &$chat.health)
            .trip_after(limits.trip_after)
            .observe(|event| match event.kind {
                EventKind::Failed(error) => $record(event.index, Some(error.to_string())),
                EventKind::Succeeded => $record(event.index, None),
                EventKind::Skipped => $record(event.index, Some("skipped: cooling down".into())),
                _ => {}
            })
    }};
}

impl Chat {
    /// A client trying `providers` in order, within `limits`.
    pub fn new(providers: Vec<Provider>, limits: Limits) -> Self {
        Self {
            providers,
            limits,
            health: Health::new(),
        }
    }

    /// The providers, in order.
    pub fn providers(&self) -> &[Provider] {
        &self.providers
    }

    /// Asks for a complete answer to `prompt`: a provider's whole answer, never a cut
    /// one, and never two providers' text spliced. On a fall-over the next provider gets
    /// the original request.
    pub async fn complete(&self, prompt: &str) -> Report {
        self.ask(prompt, Mode::Whole, |_| {}).await
    }

    /// Asks for an answer to `prompt` and hands each token to `on_token` as it arrives.
    /// Before the first token a failure falls back as for [`Chat::complete`]; after it
    /// the answer is committed to its provider, and a cut ends the call with the error
    /// (what was shown is not presented as complete).
    pub async fn stream(&self, prompt: &str, on_token: impl FnMut(&str)) -> Report {
        self.ask(prompt, Mode::Live, on_token).await
    }

    /// Asks for an answer to `prompt` in one response, not streamed (`"stream":
    /// false`): the whole answer, or a clean error, with the same conduct as
    /// [`Chat::complete`]; `first_token` and `idle` do not apply, `timeout` covers the
    /// whole response.
    pub async fn request(&self, prompt: &str) -> Report {
        let started = Instant::now();
        let tries = Mutex::new(Vec::new());
        let record = |index, failure| record(&tries, index, failure);
        let (answer, usage) =
            match conduct!(self, record, |provider: &Provider| provider.ask(prompt)).await {
                // `name` makes the answer a `Served`: it knows who served, as the
                // report already does from the events.
                Ok(served) => {
                    let answer = served.into_value();
                    (Ok(answer.text), answer.usage)
                }
                Err(error) => (Err(error), None),
            };
        report(started, answer, usage, tries)
    }

    async fn ask(&self, prompt: &str, mode: Mode, mut on_token: impl FnMut(&str)) -> Report {
        let started = Instant::now();
        let tries = Mutex::new(Vec::new());
        let record = |index, failure| record(&tries, index, failure);
        let chain = conduct!(self, record, |provider: &Provider| provider.open(prompt))
            .first_item_timeout(self.limits.first_token)
            .idle_timeout(self.limits.idle);
        let (answer, usage) = match mode {
            Mode::Whole => read(chain.stream_buffered(), &mut on_token).await,
            Mode::Live => read(chain.stream(), &mut on_token).await,
        };
        report(started, answer, usage, tries)
    }
}

fn record(tries: &Mutex<Vec<Try>>, index: usize, failure: Option<String>) {
    if let Ok(mut tries) = tries.lock() {
        tries.push(Try { index, failure });
    }
}

fn report(
    started: Instant,
    answer: Result<String, TryEachError<ChatError>>,
    usage: Option<Usage>,
    tries: Mutex<Vec<Try>>,
) -> Report {
    let tries = tries.into_inner().unwrap_or_default();
    let served_by = answer
        .is_ok()
        .then(|| {
            tries
                .iter()
                .rev()
                .find(|t| t.failure.is_none())
                .map(|t| t.index)
        })
        .flatten();
    Report {
        answer,
        served_by,
        usage,
        tries,
        elapsed: started.elapsed(),
    }
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Read each answer to its end before taking it.
    Whole,
    /// Hand each token on as it arrives.
    Live,
}

/// Reads a chain to its end: the text, or the error that ended it, and the usage.
async fn read(
    chain: impl Stream<Item = Result<Piece, TryEachError<ChatError>>>,
    on_token: &mut impl FnMut(&str),
) -> (Result<String, TryEachError<ChatError>>, Option<Usage>) {
    let mut chain = std::pin::pin!(chain);
    let mut text = String::new();
    let mut usage = None;
    while let Some(item) = chain.next().await {
        match item {
            Ok(Piece::Text(token)) => {
                on_token(&token);
                text.push_str(&token);
            }
            Ok(Piece::Usage(reported)) => usage = Some(reported),
            Err(error) => return (Err(error), usage),
        }
    }
    (Ok(text), usage)
}
