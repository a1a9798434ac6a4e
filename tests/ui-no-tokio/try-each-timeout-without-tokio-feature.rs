// `try_each(..).timeout(..)` without the `tokio` feature (run without features).
use std::time::Duration;

#[derive(Debug)]
struct MyError;

impl From<fallbacks::Elapsed> for MyError {
    fn from(_: fallbacks::Elapsed) -> Self {
        MyError
    }
}

async fn complete(provider: &&str) -> Result<String, MyError> {
    Ok(provider.to_string())
}

fn main() {
    let providers = ["openai", "anthropic"];
    let _chain = fallbacks::try_each(&providers, complete).timeout(Duration::from_secs(1));
}
