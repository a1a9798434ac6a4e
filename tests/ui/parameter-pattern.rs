// A parameter written as a pattern (`(a, b): (u8, u8)`) instead of `name: Type`.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

fn first(pair: (u8, u8)) -> Result<u8, MyError> {
    Ok(pair.0)
}

fn second(pair: (u8, u8)) -> Result<u8, MyError> {
    Ok(pair.1)
}

#[fallback(primary = first, then = [second])]
fn pick((a, b): (u8, u8)) -> Result<u8, MyError>;

fn main() {
    let _ = (first, second);
    let _ = pick((1, 2));
}
