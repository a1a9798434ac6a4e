// `hedge` on a stream chain: not yet.
use fallbacks::fallback_chain;

async fn open(_: &str) -> Result<std::iter::Empty<Result<u8, ()>>, ()> {
    Ok(std::iter::empty())
}

fn main() {
    let _chain = fallback_chain!(open("a") | open("b"), stream, hedge = "100ms");
}
