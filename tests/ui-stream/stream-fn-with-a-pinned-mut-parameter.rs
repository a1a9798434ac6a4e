// A stream chain's function taking `Pin<&mut T>`: like `&mut`, it cannot be lent to
// each alternative in turn from the stream it returns.
use std::pin::Pin;

use fallbacks::fallback;
use futures::stream::{self, Stream};

type Chunks = stream::Iter<std::vec::IntoIter<Result<&'static str, ()>>>;

async fn openai(_: Pin<&mut Vec<u8>>) -> Result<Chunks, ()> {
    Ok(stream::iter(vec![Ok("hi")]))
}

async fn anthropic(_: Pin<&mut Vec<u8>>) -> Result<Chunks, ()> {
    Ok(stream::iter(vec![Ok("hi")]))
}

#[fallback(primary = openai, then = [anthropic], stream)]
fn chat(buffer: Pin<&mut Vec<u8>>) -> impl Stream<Item = Result<&'static str, ()>> + '_;

fn main() {
    let mut buffer = Vec::new();
    let _ = chat(Pin::new(&mut buffer));
}
