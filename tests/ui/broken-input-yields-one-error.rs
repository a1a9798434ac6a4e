// An unknown option (`verbose`) on a bodyless function that `main` calls: that is the only error.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

fn openai(prompt: &str) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}

fn anthropic(prompt: &str) -> Result<String, MyError> {
    Ok(format!("anthropic: {prompt}"))
}

#[fallback(primary = openai, then = [anthropic], verbose = true)]
fn complete(prompt: &str) -> Result<String, MyError>;

fn main() {
    let reply: Result<String, MyError> = complete("rust");
    match reply {
        Ok(text) => println!("{}", text.len()),
        Err(error) => println!("{error:?}"),
    }
}
