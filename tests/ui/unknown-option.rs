// An option `#[fallback]` does not know (`retry`): the error names it and lists the valid ones.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

#[fallback(primary = openai, then = [anthropic], retry = 3)]
fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = (openai, anthropic);
    let _ = complete("rust");
}
