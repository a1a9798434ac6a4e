// A plain `fn` whose fallback is an `async fn`: its future cannot be awaited there.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

async fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

#[fallback(primary = openai, then = [anthropic])]
fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = complete("rust");
}
