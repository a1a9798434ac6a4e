// A hedged chain returning `AllFailed` with a `deadline`, not supported yet.
use fallbacks::{fallback, AllFailed};

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

#[fallback(primary = openai, then = [anthropic], hedge = "300ms", deadline = "2s")]
async fn complete(prompt: &str) -> Result<String, AllFailed<MyError>>;

fn main() {
    let _ = complete;
}
