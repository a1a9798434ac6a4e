// A function that returns a stream, without `stream`: the attribute would read it as
// a future's `Result`; one error, that says to add `stream`.
use fallbacks::fallback;
use futures::stream::{self, Stream};

#[derive(Debug)]
struct LlmError;

fn openai(_prompt: &str) -> impl Stream<Item = Result<String, LlmError>> {
    stream::iter(vec![Ok("hi".to_string())])
}

fn anthropic(_prompt: &str) -> impl Stream<Item = Result<String, LlmError>> {
    stream::iter(vec![Ok("hi".to_string())])
}

#[fallback(primary = openai, then = [anthropic], first_item_timeout = "1s")]
fn complete(prompt: &str) -> impl Stream<Item = Result<String, LlmError>>;

fn main() {
    let _ = complete("hi");
}
