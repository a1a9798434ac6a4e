// A fallback taking two parameters where the function has one.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

fn local(prompt: &str, max_tokens: u32) -> Result<String, MyError> {
    Ok(format!("local: {prompt} ({max_tokens})"))
}

#[fallback(primary = openai, then = [local])]
fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = (openai, anthropic, local);
    let _ = complete("rust");
}
