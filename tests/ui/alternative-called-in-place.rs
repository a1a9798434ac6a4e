// An alternative that needs another argument, written as the compiler suggests for
// `then = [local]`: a call, made here, instead of a function the chain calls.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

async fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

async fn local(prompt: &str, max_tokens: u32) -> Result<String, MyError> {
    Ok(format!("local: {prompt} ({max_tokens})"))
}

#[fallback(primary = openai, then = [local(prompt, 512)])]
async fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = complete("rust");
}
