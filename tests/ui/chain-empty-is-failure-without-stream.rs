// `empty_is_failure` on a chain that is not a stream chain.
use fallbacks::fallback_chain;

async fn answer(_: &str) -> Result<u8, ()> {
    Ok(1)
}

fn main() {
    let _reply = fallback_chain!(answer("a") | answer("b"), empty_is_failure);
}
