// `err =>` with `hedge`: a hedged alternative may start before the one before failed.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

async fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

async fn anthropic(prompt: &str, _: &MyError) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

#[fallback(primary = openai, then = [err => anthropic(prompt, err)], hedge = "300ms")]
async fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = complete;
}
