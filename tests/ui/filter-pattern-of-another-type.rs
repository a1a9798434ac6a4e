// A filter pattern naming a variant of another type than the error type.
use fallbacks::fallback;

#[derive(Debug)]
enum MyError {
    Down,
}

enum OtherError {
    RateLimited,
}

async fn openai(_: &str) -> Result<String, MyError> {
    Err(MyError::Down)
}

async fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

#[fallback(primary = openai, then = [anthropic], on = matches(OtherError::RateLimited))]
async fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = complete("rust");
    let _ = OtherError::RateLimited;
}
