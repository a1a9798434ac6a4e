// A stream chain without the `stream` feature (run without features).
use fallbacks::fallback_chain;

async fn open(_: &str) -> Result<std::iter::Empty<Result<u8, ()>>, ()> {
    Ok(std::iter::empty())
}

fn main() {
    let _chain = fallback_chain!(open("a") | open("b"), stream);
}
