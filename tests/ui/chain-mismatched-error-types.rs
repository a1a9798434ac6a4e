// Operands that fail with different error types, and no `error = ..` to convert them.
use fallbacks::fallback_chain;

#[derive(Debug)]
struct HttpError;

async fn openai(prompt: &str) -> Result<String, HttpError> {
    Ok(prompt.to_string())
}

async fn disk(prompt: &str) -> Result<String, std::io::Error> {
    Ok(prompt.to_string())
}

async fn run() {
    let _ = fallback_chain!(openai("hi") | disk("hi")).await;
}

fn main() {
    let _ = run();
}
