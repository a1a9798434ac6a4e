// `empty_is_failure` on a function whose chain is not a stream chain.
use fallbacks::fallback;

async fn openai(_: &str) -> Result<String, ()> {
    Ok("hi".into())
}

async fn anthropic(_: &str) -> Result<String, ()> {
    Ok("hi".into())
}

#[fallback(primary = openai, then = [anthropic], empty_is_failure)]
async fn complete(prompt: &str) -> Result<String, ()>;

fn main() {
    let _ = complete("hi");
}
