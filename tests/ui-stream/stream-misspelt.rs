// `stream` misspelt on a function that returns a stream: the misspelling's error
// alone (the function's return type is not also called a mistake).
use fallbacks::fallback;
use futures::stream::{self, Stream};

type Chunks = stream::Iter<std::vec::IntoIter<Result<&'static str, ()>>>;

async fn openai(_: &str) -> Result<Chunks, ()> {
    Ok(stream::iter(vec![Ok("hi")]))
}

async fn anthropic(_: &str) -> Result<Chunks, ()> {
    Ok(stream::iter(vec![Ok("hi")]))
}

#[fallback(primary = openai, then = [anthropic], streem)]
fn chat(prompt: &str) -> impl Stream<Item = Result<&'static str, ()>> + '_;

fn main() {
    let _ = chat("hi");
}
