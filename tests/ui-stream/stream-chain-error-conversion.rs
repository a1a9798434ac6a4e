// An inline stream chain asked to convert its errors: not there yet; only
// `error = AllFailed<E>` (every error, collected) is.
use fallbacks::fallback_chain;
use futures::stream;

#[derive(Debug)]
struct LlmError;

type Chunks = stream::Iter<std::vec::IntoIter<Result<&'static str, ()>>>;

async fn openai() -> Result<Chunks, ()> {
    Ok(stream::iter(vec![Ok("hi")]))
}

async fn anthropic() -> Result<Chunks, ()> {
    Ok(stream::iter(vec![Ok("hi")]))
}

fn main() {
    let _ = fallback_chain!(openai() | anthropic(), stream, error = LlmError);
}
