// A closure alternative with more parameters than the function has.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

async fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

#[fallback(primary = openai, then = [|p, q: u32| async move { Ok(format!("{p} {q}")) }])]
async fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let _ = complete("rust");
}
