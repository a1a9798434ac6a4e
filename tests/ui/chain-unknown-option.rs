// An option `fallback_chain!` does not have.
use fallbacks::fallback_chain;

async fn openai(prompt: &str) -> Result<String, ()> {
    Ok(prompt.to_string())
}

async fn anthropic(prompt: &str) -> Result<String, ()> {
    Ok(prompt.to_string())
}

async fn run() -> Result<String, ()> {
    fallback_chain!(openai("hi") | anthropic("hi"), verbose = true).await
}

fn main() {
    let _ = run();
}
