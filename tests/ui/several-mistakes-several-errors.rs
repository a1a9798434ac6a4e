// Several mistakes in one attribute (unknown option, `on` twice, empty `then`): each one is reported.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

fn is_transient(_: &MyError) -> bool {
    true
}

#[fallback(primary = openai, tiemout = "1s", on = is_transient, then = [], on = is_transient)]
fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = (openai, anthropic, is_transient);
    let _ = complete("rust");
}
