// `trip_after = 0`: an alternative that trips before failing.
use fallback::fallback;

#[derive(Debug)]
struct MyError;

impl From<fallback::Elapsed> for MyError {
    fn from(_: fallback::Elapsed) -> Self {
        MyError
    }
}

async fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

async fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

#[fallback(primary = openai, then = [anthropic], cooldown = "30s", trip_after = 0)]
async fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = complete("rust");
}
