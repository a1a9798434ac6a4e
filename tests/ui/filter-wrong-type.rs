// A filter `on = is_io` for `std::io::Error` on a function whose error type is `MyError`.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

fn is_io(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::TimedOut
}

#[fallback(primary = openai, then = [anthropic], on = is_io)]
fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = (openai, anthropic, is_io);
    let _ = complete("rust");
}
