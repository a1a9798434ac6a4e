// A plain `fn` whose fallbacks are `async fn`s: their futures cannot be awaited there.
// One error, on `fn`, however many alternatives are `async`.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

async fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

async fn local(prompt: &str) -> Result<String, MyError> {
    Ok(format!("local: {prompt}"))
}

#[fallback(primary = openai, then = [anthropic, local])]
fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = complete("rust");
}
