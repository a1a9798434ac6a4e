// `empty_is_failure` on a stream function whose error has no `From<Rejected>`: reported
// at the option.
use fallbacks::fallback;
use futures::stream::{self, Stream};

#[derive(Debug)]
struct LlmError;

type Chunks = stream::Iter<std::vec::IntoIter<Result<&'static str, LlmError>>>;

async fn openai(_: &str) -> Result<Chunks, LlmError> {
    Ok(stream::iter(vec![Ok("hi")]))
}

async fn anthropic(_: &str) -> Result<Chunks, LlmError> {
    Ok(stream::iter(vec![Ok("hi")]))
}

#[fallback(primary = openai, then = [anthropic], stream, empty_is_failure)]
fn chat(prompt: &str) -> impl Stream<Item = Result<&'static str, LlmError>> + '_;

fn main() {
    let _ = chat("hi");
}
