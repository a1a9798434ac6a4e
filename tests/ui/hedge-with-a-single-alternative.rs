// `hedge` on a chain of one operand: there is nothing to start alongside.
use fallbacks::fallback_chain;

#[derive(Debug)]
struct MyError;

async fn openai(prompt: &mut String) -> Result<String, MyError> {
    Ok(format!("openai: {prompt}"))
}


async fn complete() {
    let mut prompt = String::from("hi");
    let _ = fallback_chain!(openai(&mut prompt), hedge = "300ms").await;
}

fn main() {
    let _ = complete;
}
