// A misspelt option (`them` for `then`): the error suggests the right name.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

#[fallback(primary = openai, them = [anthropic])]
fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = (openai, anthropic);
    let _ = complete("rust");
}
