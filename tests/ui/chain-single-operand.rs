// A chain of one operand: there is nothing to fall back to.
use fallbacks::fallback_chain;

async fn openai(prompt: &str) -> Result<String, ()> {
    Ok(prompt.to_string())
}

fn main() {
    let _chain = fallback_chain!(openai("hi"));
}
