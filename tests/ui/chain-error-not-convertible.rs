// `error = AppError` without a `From` for one operand's error.
use fallbacks::fallback_chain;

#[derive(Debug)]
struct AppError;

#[derive(Debug)]
struct HttpError;

impl From<HttpError> for AppError {
    fn from(_: HttpError) -> Self {
        AppError
    }
}

async fn openai(prompt: &str) -> Result<String, HttpError> {
    Ok(prompt.to_string())
}

async fn disk(prompt: &str) -> Result<String, std::io::Error> {
    Ok(prompt.to_string())
}

async fn run() -> Result<String, AppError> {
    fallback_chain!(openai("hi") | disk("hi"), error = AppError).await
}

fn main() {
    let _ = run();
}
