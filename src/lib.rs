//! Try-in-order fallbacks for fallible calls.
#![deny(missing_docs)]

pub use fallback_core::{AllFailed, Failure};
pub use fallback_macros::fallback;

#[doc(hidden)]
pub use fallback_core::__private;
