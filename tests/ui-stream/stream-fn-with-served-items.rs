// A stream chain's function whose items are `Served`: a stream's items are the
// alternatives' own; which one answers is said elsewhere.
use fallbacks::{fallback, Served};
use futures::stream::{self, Stream};

type Chunks = stream::Iter<std::vec::IntoIter<Result<&'static str, ()>>>;

async fn openai(_: &str) -> Result<Chunks, ()> {
    Ok(stream::iter(vec![Ok("hi")]))
}

async fn anthropic(_: &str) -> Result<Chunks, ()> {
    Ok(stream::iter(vec![Ok("hi")]))
}

#[fallback(primary = openai, then = [anthropic], stream)]
fn chat(prompt: &str) -> impl Stream<Item = Result<Served<&'static str>, ()>> + '_;

fn main() {
    let _ = chat("hi");
}
