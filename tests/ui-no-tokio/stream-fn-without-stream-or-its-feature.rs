// A function that returns a stream, without `stream` and without the `stream` feature
// (run without features): the two things to add, each said once.
use fallbacks::fallback;
use futures::stream::{self, Stream};

fn openai(_: &str) -> impl Stream<Item = Result<String, ()>> {
    stream::iter(vec![Ok("hi".to_string())])
}

fn anthropic(_: &str) -> impl Stream<Item = Result<String, ()>> {
    stream::iter(vec![Ok("hi".to_string())])
}

#[fallback(primary = openai, then = [anthropic])]
fn chat(prompt: &str) -> impl Stream<Item = Result<String, ()>> + '_;

fn main() {
    let _ = chat("hi");
}
