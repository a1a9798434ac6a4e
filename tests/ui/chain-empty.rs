// `fallback_chain!()` with nothing in it.
use fallbacks::fallback_chain;

fn main() {
    let _chain = fallback_chain!();
}
