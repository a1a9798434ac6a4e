//! The randomness of backoff, seeded per thread (from the process's hash keys unless
//! [`seed`] is called), so that tests can make it repeatable.

use std::cell::Cell;
use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

thread_local! {
    static STATE: Cell<u64> = Cell::new(RandomState::new().hash_one(0x5eed_u64) | 1);
}

/// Makes this thread's jitter repeatable from `seed`.
pub fn seed(seed: u64) {
    STATE.with(|state| state.set(seed | 1));
}

/// A uniform value in `0..=1` (xorshift64*).
fn unit() -> f64 {
    STATE.with(|state| {
        let mut x = state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    })
}

/// "Full jitter": a uniform pause between zero and `ceiling`.
pub fn full(ceiling: Duration) -> Duration {
    ceiling.mul_f64(unit())
}
