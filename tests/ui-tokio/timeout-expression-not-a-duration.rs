// A timeout from configuration whose type is not a `Duration` (a number of milliseconds).
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

impl From<fallbacks::Elapsed> for MyError {
    fn from(_: fallbacks::Elapsed) -> Self {
        MyError
    }
}

async fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

async fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

struct Config {
    timeout_ms: u64,
}

const CONFIG: Config = Config { timeout_ms: 250 };

#[fallback(primary = openai, then = [anthropic], timeout = CONFIG.timeout_ms)]
async fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = complete("rust");
}
