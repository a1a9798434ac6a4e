// Operands that succeed with different types.
use fallbacks::fallback_chain;

async fn openai(prompt: &str) -> Result<String, ()> {
    Ok(prompt.to_string())
}

async fn count(prompt: &str) -> Result<usize, ()> {
    Ok(prompt.len())
}

async fn run() -> Result<String, ()> {
    fallback_chain!(openai("hi") | count("hi")).await
}

fn main() {
    let _ = run();
}
