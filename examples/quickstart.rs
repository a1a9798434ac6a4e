//! The main demo: a primary that is rate limited, and a fallback that serves.
//!
//! Run it with `cargo run --example quickstart`.

use std::fmt;

use fallbacks::{fallback, fallback_chain, AllFailed};

/// What our (pretend) LLM providers fail with.
#[derive(Debug)]
enum LlmError {
    RateLimited,
    InvalidRequest(&'static str),
    Unavailable,
}

impl fmt::Display for LlmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LlmError::RateLimited => f.write_str("429 rate limited"),
            LlmError::InvalidRequest(why) => write!(f, "400 invalid request: {why}"),
            LlmError::Unavailable => f.write_str("503 unavailable"),
        }
    }
}

impl std::error::Error for LlmError {}

/// Worth trying another provider for; a bad request would fail everywhere.
fn is_transient(error: &LlmError) -> bool {
    !matches!(error, LlmError::InvalidRequest(_))
}

async fn openai(prompt: &str) -> Result<String, LlmError> {
    println!("  openai    <- {prompt:?}");
    if prompt.is_empty() {
        return Err(LlmError::InvalidRequest("empty prompt"));
    }
    Err(LlmError::RateLimited)
}

async fn anthropic(prompt: &str) -> Result<String, LlmError> {
    println!("  anthropic <- {prompt:?}");
    Ok(format!("a haiku about {prompt}, from anthropic"))
}

async fn local(prompt: &str) -> Result<String, LlmError> {
    println!("  local     <- {prompt:?}");
    Err(LlmError::Unavailable)
}

/// Tries openai, then anthropic, then the local model, for transient errors only.
#[fallback(primary = openai, then = [anthropic, local], on = is_transient)]
async fn complete(prompt: &str) -> Result<String, LlmError>;

/// The same chain, reporting every error when all fail.
#[fallback(primary = openai, then = [local], on = is_transient)]
async fn complete_offline(prompt: &str) -> Result<String, AllFailed<LlmError>>;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("complete(\"rust\"): openai is rate limited, anthropic serves");
    match complete("rust").await {
        Ok(reply) => println!("  => {reply}\n"),
        Err(error) => println!("  => failed: {error}\n"),
    }

    println!("complete(\"\"): a bad request is not retried elsewhere");
    match complete("").await {
        Ok(reply) => println!("  => {reply}\n"),
        Err(error) => println!("  => failed: {error}\n"),
    }

    println!("complete_offline(\"rust\"): every provider fails");
    match complete_offline("rust").await {
        Ok(reply) => println!("  => {reply}\n"),
        Err(errors) => println!("  => {errors}\n"),
    }

    println!("fallback_chain!: inline, and the fallback sees why the primary failed");
    let prompt = String::from("rust");
    let reply = fallback_chain!(
        openai(&prompt) | err => explain(&prompt, err),
        on = is_transient,
    )
    .await;
    match reply {
        Ok(reply) => println!("  => {reply}"),
        Err(error) => println!("  => failed: {error}"),
    }
}

async fn explain(prompt: &str, previous: &LlmError) -> Result<String, LlmError> {
    println!("  explain   <- {prompt:?} (openai said: {previous})");
    Ok(format!("a cached answer about {prompt}"))
}
