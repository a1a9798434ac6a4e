// A `#[fallback]` function with no return type.
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
fn complete(prompt: &str);

fn main() {
    let _ = (openai, anthropic);
    complete("rust");
}
