// An alternative that does not produce a `Result`: the error is on that alternative.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

async fn openai(_prompt: &str) -> u32 {
    1
}

async fn anthropic(_prompt: &str) -> Result<u32, MyError> {
    Ok(2)
}

#[fallback(primary = openai, then = [anthropic])]
async fn complete(prompt: &str) -> Result<u32, MyError>;

fn main() {
    let _ = complete("rust");
}
