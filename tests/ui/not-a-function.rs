// `#[fallback]` on a struct instead of a function.
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
struct Complete {
    prompt: String,
}

fn main() {
    let _ = (openai, anthropic);
    let _ = Complete { prompt: String::new() }.prompt;
}
