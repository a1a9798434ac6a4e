// `hedge` on a function with a `&mut` parameter, which two attempts cannot share.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

async fn openai(prompt: &mut String) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

async fn anthropic(prompt: &mut String) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

#[fallback(primary = openai, then = [anthropic], hedge = "300ms")]
async fn complete(prompt: &mut String) -> Result<String, MyError>;

fn main() {
    let _ = complete;
}
