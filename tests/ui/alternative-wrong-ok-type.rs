// A fallback returning `Result<u32, _>` where the function returns `Result<String, _>`.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

fn count(prompt: &str) -> Result<u32, MyError> {
    Ok(prompt.len() as u32)
}

#[fallback(primary = openai, then = [count])]
fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = (openai, anthropic, count);
    let _ = complete("rust");
}
