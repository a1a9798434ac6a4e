// `on =` with no value after the `=`.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

#[fallback(primary = openai, then = [anthropic], on = )]
fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = (openai, anthropic);
    let _ = complete("rust");
}
