// A `retry_after` hint that returns seconds, not an `Option<Duration>`.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

impl From<fallbacks::Elapsed> for MyError {
    fn from(_: fallbacks::Elapsed) -> Self {
        MyError
    }
}

async fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

async fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

#[fallback(primary = openai, then = [anthropic], retries = 1, retry_after = |_: &MyError| 5)]
async fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = complete("rust");
}
