// `err =>` with `cooldown`: the alternative before may have been skipped.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

async fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

async fn anthropic(prompt: &str, _: &MyError) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

#[fallback(primary = openai, then = [err => anthropic(prompt, err)], cooldown = "30s")]
async fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = complete;
}
