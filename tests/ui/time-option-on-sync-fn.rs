// A timeout on a plain `fn`, which cannot be interrupted.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

impl From<fallbacks::Elapsed> for MyError {
    fn from(_: fallbacks::Elapsed) -> Self {
        MyError
    }
}

fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

#[fallback(primary = openai, then = [anthropic], timeout = "250ms")]
fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = complete("rust");
}
