// `on = LIMIT`, a constant number, where an error filter function is expected.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

const LIMIT: u32 = 3;

#[fallback(primary = openai, then = [anthropic], on = LIMIT)]
fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = (openai, anthropic, LIMIT);
    let _ = complete("rust");
}
