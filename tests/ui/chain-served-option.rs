// `fallback_chain!` has no `served` option: it answers with the value alone.
use fallbacks::fallback_chain;

async fn openai(prompt: &str) -> Result<String, ()> {
    Ok(prompt.to_string())
}

async fn anthropic(prompt: &str) -> Result<String, ()> {
    Ok(prompt.to_string())
}

async fn run() -> Result<String, ()> {
    fallback_chain!(openai("hi") | anthropic("hi"), served).await
}

fn main() {
    let _ = run();
}
