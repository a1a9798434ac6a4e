// A stream chain's function written `async`: the stream it returns is already lazy.
use fallbacks::fallback;
use futures::stream::{self, Stream};

type Chunks = stream::Iter<std::vec::IntoIter<Result<&'static str, ()>>>;

async fn openai(_: &str) -> Result<Chunks, ()> {
    Ok(stream::iter(vec![Ok("hi")]))
}

async fn anthropic(_: &str) -> Result<Chunks, ()> {
    Ok(stream::iter(vec![Ok("hi")]))
}

#[fallback(primary = openai, then = [anthropic], stream)]
async fn chat(prompt: &str) -> impl Stream<Item = Result<&'static str, ()>> + '_;

fn main() {
    let _ = chat("hi");
}
