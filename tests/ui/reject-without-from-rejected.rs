// `reject` on a chain whose error type cannot be made from `fallbacks::Rejected`.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

async fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

async fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

#[fallback(primary = openai, then = [anthropic], reject = |reply: &String| reply.is_empty())]
async fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = complete("rust");
}
