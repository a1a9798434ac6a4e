// `hedge` returning `AllFailed`, not supported yet.
use fallback::{fallback, AllFailed};

#[derive(Debug)]
struct MyError;

async fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

async fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

#[fallback(primary = openai, then = [anthropic], hedge = "300ms")]
async fn complete(prompt: &str) -> Result<String, AllFailed<MyError>>;

fn main() {
    let _ = complete;
}
