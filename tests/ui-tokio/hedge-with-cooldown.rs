// `hedge` with `cooldown`, not supported yet.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

async fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

async fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

#[fallback(primary = openai, then = [anthropic], hedge = "300ms", cooldown = "30s")]
async fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = complete;
}
