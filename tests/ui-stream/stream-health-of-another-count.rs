// A stream chain's `health` of another count of alternatives than the chain's.
use fallbacks::{fallback, Health};
use futures::stream::{self, Stream};

type Chunks = stream::Iter<std::vec::IntoIter<Result<&'static str, ()>>>;

struct Client {
    health: Health<3>,
}

impl Client {
    async fn openai(&self, _: &str) -> Result<Chunks, ()> {
        Ok(stream::iter(vec![Ok("hi")]))
    }

    async fn anthropic(&self, _: &str) -> Result<Chunks, ()> {
        Ok(stream::iter(vec![Ok("hi")]))
    }

    #[fallback(
        primary = Self::openai,
        then = [Self::anthropic],
        stream,
        cooldown = "30s",
        health = &self.health,
    )]
    fn chat<'a>(&'a self, prompt: &'a str) -> impl Stream<Item = Result<&'static str, ()>> + 'a;
}

fn main() {
    let client = Client { health: Health::new() };
    let _ = client.chat("hi");
}
