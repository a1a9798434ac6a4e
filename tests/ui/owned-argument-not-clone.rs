// An owned parameter (`request: Request`) whose type is not `Clone`, passed to two alternatives.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

struct Request {
    prompt: String,
}

fn openai(request: Request) -> Result<String, MyError> {
    Ok(format!("openai: {}", request.prompt))
}

fn anthropic(request: Request) -> Result<String, MyError> {
    Ok(format!("anthropic: {}", request.prompt))
}

#[fallback(primary = openai, then = [anthropic])]
fn complete(request: Request) -> Result<String, MyError>;

fn main() {
    let _ = complete(Request { prompt: "rust".to_owned() });
}
