// A function with a body and a `primary`: the body would never run.
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
fn complete(prompt: &str) -> Result<String, MyError> {
    Ok(format!("body: {prompt}"))
}

fn main() {
    let _ = (openai, anthropic);
    let _ = complete("rust");
}
