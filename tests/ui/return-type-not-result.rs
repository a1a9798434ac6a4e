// A `#[fallback]` function declared `-> String` instead of `-> Result<String, E>`.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

#[fallback(primary = openai, then = [anthropic])]
fn complete(prompt: &str) -> String;

fn main() {
    let _ = (openai, anthropic);
    let _ = complete("rust");
}
