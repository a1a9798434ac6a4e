//! The small runtime behind the [`fallbacks`](https://docs.rs/fallbacks) crate.
//!
//! ```
//! # extern crate fallback_core as fallbacks;
//! use fallbacks::{AllFailed, Failure};
//!
//! let errors = AllFailed::new(Failure::new("openai", 0, "rate limited"), 2);
//! assert_eq!(errors.last().alternative(), "openai");
//! ```
//!
//! Depend on `fallbacks`, not on this crate: `fallbacks` re-exports everything here
//! together with the macros that use it. This crate holds what the generated code calls
//! into: the error types ([`AllFailed`], [`Failure`]) and, hidden, the helpers that make
//! a mistake in a macro's input surface as a type error on the token at fault.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

mod all_failed;
pub mod attempt;
mod breaker;
pub mod clock;
mod elapsed;
mod event;
mod hedge;
mod outcomes;
#[cfg(feature = "stream")]
mod require_end;
mod retry_after;
mod served;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub mod tower;
mod trace;
mod try_each;

pub use all_failed::{AllFailed, Failure};
pub use attempt::{
    Accept, AnyError, Catching, Displaying, Filter, Judge, Judged, NoHint, Observer, Panics,
    Propagate, Quiet, Refuse, Refusing, RetryAfter, Shows, Silent, MAX_RETRY_AFTER,
};
pub use breaker::{Health, ListHealth};
pub use elapsed::{Elapsed, Limit};
pub use event::{Event, EventKind};
pub use outcomes::{Panicked, Rejected};
#[cfg(feature = "stream")]
#[cfg_attr(docsrs, doc(cfg(feature = "stream")))]
pub use require_end::{require_end, RequireEnd};
pub use retry_after::{parse_retry_after, retry_after_in};
pub use served::Served;
pub use try_each::{
    try_each, Breakers, Cloned, Collect, ElapsedInto, Empty, Moved, Names, NoClock, NoHealth,
    NoItems, Reuse, ToError, TryEach, TryEachError, TryEachFuture, TryEachHedged,
    TryEachHedgedFuture, TryEachTimedFuture, Unnamed, WhenEmpty,
};
#[cfg(feature = "stream")]
#[cfg_attr(docsrs, doc(cfg(feature = "stream")))]
pub use try_each::{Streamed, TryEachRestartStream, TryEachStream};

#[doc(hidden)]
pub mod __private;
