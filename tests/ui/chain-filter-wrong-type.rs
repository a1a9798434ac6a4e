// A filter for another error type than the operands'.
use fallbacks::fallback_chain;

#[derive(Debug)]
struct HttpError;

fn is_io(_: &std::io::Error) -> bool {
    true
}

async fn openai(prompt: &str) -> Result<String, HttpError> {
    Ok(prompt.to_string())
}

async fn anthropic(prompt: &str) -> Result<String, HttpError> {
    Ok(prompt.to_string())
}

async fn run() {
    let _ = fallback_chain!(openai("hi") | anthropic("hi"), on = is_io).await;
}

fn main() {
    let _ = run();
}
