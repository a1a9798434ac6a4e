// `err =>` together with `AllFailed` and a time option, which is not supported yet.
use fallback::{fallback, AllFailed};

#[derive(Debug)]
struct MyError;

impl From<fallback::Elapsed> for MyError {
    fn from(_: fallback::Elapsed) -> Self {
        MyError
    }
}

async fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

async fn anthropic(prompt: &str, _: &MyError) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

#[fallback(primary = openai, then = [err => anthropic(prompt, err)], timeout = "1s")]
async fn complete(prompt: &str) -> Result<String, AllFailed<MyError>>;

fn main() {
    let _ = complete("rust");
}
