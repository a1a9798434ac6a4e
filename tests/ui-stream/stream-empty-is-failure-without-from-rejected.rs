// `empty_is_failure` makes an empty stream an `E::from(fallbacks::Rejected)`: the
// error type must have that conversion.
use fallbacks::fallback_chain;
use futures::stream;

#[derive(Debug)]
struct LlmError;

type Chunks = stream::Iter<std::vec::IntoIter<Result<&'static str, LlmError>>>;

async fn openai() -> Result<Chunks, LlmError> {
    Ok(stream::iter(vec![Ok("hi")]))
}

async fn anthropic() -> Result<Chunks, LlmError> {
    Ok(stream::iter(vec![Ok("hi")]))
}

fn main() {
    let _ = fallback_chain!(openai() | anthropic(), stream, empty_is_failure);
}
