// `impl Trait` in the declared return type, which the generated body cannot name.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

fn evens(n: u32) -> Result<std::ops::Range<u32>, MyError> {
    Ok(0..n)
}

fn odds(n: u32) -> Result<std::ops::Range<u32>, MyError> {
    Ok(1..n)
}

#[fallback(primary = evens, then = [odds])]
fn numbers(n: u32) -> Result<impl Iterator<Item = u32>, MyError>;

fn main() {
    let _ = numbers(3);
}
