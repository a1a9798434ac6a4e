// The options written before the operands.
use fallbacks::fallback_chain;

fn is_transient(_: &()) -> bool {
    true
}

async fn openai(prompt: &str) -> Result<String, ()> {
    Ok(prompt.to_string())
}

async fn anthropic(prompt: &str) -> Result<String, ()> {
    Ok(prompt.to_string())
}

fn main() {
    let _chain = fallback_chain!(on = is_transient, openai("hi") | anthropic("hi"));
}
