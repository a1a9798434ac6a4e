// A fallback whose error type (`OtherError`) has no `From` into the declared `MyError`.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

#[derive(Debug)]
struct OtherError;

fn local(prompt: &str) -> Result<String, OtherError> {
    if prompt.is_empty() {
        return Err(OtherError);
    }
    Ok(format!("local: {prompt}"))
}

#[fallback(primary = openai, then = [local])]
fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = (openai, anthropic, local);
    let _ = complete("rust");
}
