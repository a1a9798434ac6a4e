// An operand that is a `Result`, not a future of one.
use fallbacks::fallback_chain;

async fn openai(prompt: &str) -> Result<String, ()> {
    Ok(prompt.to_string())
}

fn cached(prompt: &str) -> Result<String, ()> {
    Ok(prompt.to_string())
}

async fn run() -> Result<String, ()> {
    fallback_chain!(openai("hi") | cached("hi")).await
}

fn main() {
    let _ = run();
}
