// `||` between operands instead of `|`.
use fallbacks::fallback_chain;

async fn openai(prompt: &str) -> Result<String, ()> {
    Ok(prompt.to_string())
}

async fn anthropic(prompt: &str) -> Result<String, ()> {
    Ok(prompt.to_string())
}

fn main() {
    let _chain = fallback_chain!(openai("hi") || anthropic("hi"));
}
