// `primary` given twice: a chain has one first alternative.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

fn local(prompt: &str) -> Result<String, MyError> {
    Ok(format!("local: {prompt}"))
}

#[fallback(primary = openai, primary = anthropic, then = [local])]
fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = (openai, anthropic, local);
    let _ = complete("rust");
}
