// A function that returns a concrete stream type, without `stream`: one error that
// says to add it.
use fallbacks::fallback;
use futures::stream::{self, BoxStream, StreamExt};

fn openai(_prompt: &str) -> BoxStream<'static, Result<String, ()>> {
    stream::iter(vec![Ok("hi".to_string())]).boxed()
}

fn anthropic(_prompt: &str) -> BoxStream<'static, Result<String, ()>> {
    stream::iter(vec![Ok("hi".to_string())]).boxed()
}

#[fallback(primary = openai, then = [anthropic])]
fn complete(prompt: &str) -> BoxStream<'static, Result<String, ()>>;

fn main() {
    let _ = complete("hi");
}
