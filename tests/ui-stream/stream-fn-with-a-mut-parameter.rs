// A stream chain's function taking `&mut`: each alternative gets its own copy of the
// arguments, when its turn comes.
use fallbacks::fallback;
use futures::stream::{self, Stream};

type Chunks = stream::Iter<std::vec::IntoIter<Result<&'static str, ()>>>;

async fn openai(_: &mut Vec<u8>) -> Result<Chunks, ()> {
    Ok(stream::iter(vec![Ok("hi")]))
}

async fn anthropic(_: &mut Vec<u8>) -> Result<Chunks, ()> {
    Ok(stream::iter(vec![Ok("hi")]))
}

#[fallback(primary = openai, then = [anthropic], stream)]
fn chat(buffer: &mut Vec<u8>) -> impl Stream<Item = Result<&'static str, ()>> + '_;

fn main() {
    let mut buffer = Vec::new();
    let _ = chat(&mut buffer);
}
