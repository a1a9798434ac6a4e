//! Try-in-order fallbacks for fallible calls, written at compile time: call provider A;
//! if it fails in a way worth recovering from, call B, then C.
//!
//! ```
//! use fallbacks::{fallback, AllFailed};
//!
//! #[derive(Debug, PartialEq)]
//! enum LlmError {
//!     RateLimited,
//!     Unavailable,
//!     InvalidRequest,
//! }
//!
//! fn is_transient(error: &LlmError) -> bool {
//!     *error != LlmError::InvalidRequest
//! }
//!
//! async fn openai(prompt: &str) -> Result<String, LlmError> {
//!     Err(LlmError::RateLimited)
//! }
//! async fn anthropic(prompt: &str) -> Result<String, LlmError> {
//!     Ok(format!("anthropic: {prompt}"))
//! }
//! async fn local(prompt: &str) -> Result<String, LlmError> {
//!     Err(LlmError::Unavailable)
//! }
//!
//! /// openai, then anthropic, then the local model: for transient errors only.
//! #[fallback(primary = openai, then = [anthropic, local], on = is_transient)]
//! async fn complete(prompt: &str) -> Result<String, LlmError>;
//!
//! /// Every error, in order, when all fail.
//! #[fallback(primary = openai, then = [local], on = is_transient)]
//! async fn complete_offline(prompt: &str) -> Result<String, AllFailed<LlmError>>;
//!
//! # futures::executor::block_on(async {
//! assert_eq!(complete("hi").await, Ok("anthropic: hi".to_string()));
//!
//! let errors = complete_offline("hi").await.unwrap_err();
//! assert_eq!(
//!     errors.to_string(),
//!     "all 2 alternatives failed: [0] openai: RateLimited; [1] local: Unavailable"
//! );
//! # });
//! # impl std::fmt::Display for LlmError {
//! #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
//! #         std::fmt::Debug::fmt(self, f)
//! #     }
//! # }
//! ```
//!
//! The chain is known when the program is compiled, so [`#[fallback]`](fallback) writes
//! the code a careful person would write by hand: one `match` per alternative in one
//! `async` body. No boxing, no `Vec`, no dynamic dispatch, no heap allocation (except
//! [`AllFailed`], and only when every alternative failed), a future no larger than the
//! hand-written one; and the compiler checks the filter, the alternatives' signatures
//! and the options before the program runs, with errors on the token at fault.
//!
//! # What is here
//!
//! - [`#[fallback]`](fallback): turns a function into a fallback chain. Its
//!   documentation has the options, the rules and the code it writes.
//! - [`fallback_chain!`]: the same, inline: `fallback_chain!(a(&req) | b(&req)).await`.
//!   Operands run only when their turn comes, borrow without cloning, and an operand
//!   written `err => expr` sees the error the previous one failed with.
//! - [`try_each`]: the same chain over alternatives known only at run time (a provider
//!   list from configuration), awaitable directly, unboxed, reporting which item served.
//! - Streams (feature `stream`): `fallback_chain!(.., stream)`, `#[fallback(.., stream)]`
//!   and `try_each(..).stream()` fall back before the first item, then commit, buffer or
//!   restart; see [`Streamed`] and the README's "Streams". `require_end` makes a stream
//!   closed before its end marker (`data: [DONE]`) a failure, not a complete answer.
//! - [`tower`] (feature `tower`): [`tower::FallbackLayer`], the chain as a middleware over
//!   a tuple or an array of services, for axum, hyper, tonic and reqwest stacks.
//! - Many inputs at once (LangChain's `batch`): each input through its own chain, in
//!   input order, at most `n` at a time, is `futures`' `buffered(n)` over the calls:
//!   `stream::iter(prompts).map(|p| complete(p)).buffered(8).collect::<Vec<_>>()`;
//!   each call falls back on its own (the README's "Batch" has the tested example).
//! - [`AllFailed`] and [`Failure`]: every error of a failed chain, in order, each tagged
//!   with the alternative that raised it; [`Elapsed`] for timeouts; [`Event`] for
//!   `observe`.
//!
//! # Features
//!
//! - `tokio`: the clock of the time options (`timeout`, `deadline`, `retries` with
//!   `backoff`, `hedge`, `cooldown`). Without it, using one is a compile error that says
//!   to enable it.
//! - `tracing`: a [`tracing`](https://docs.rs/tracing) event for every attempt of every
//!   chain when it ends (target `fallbacks`; fields `alternative`, `index`, `attempt`,
//!   `outcome`, `elapsed_ms`, and `error` when the error type has a `Display`). A failure
//!   is a `WARN`, a fallback that serves an `INFO`, the primary serving a `DEBUG`, an
//!   alternative skipped while cooling down an `INFO`, a hedged attempt cancelled a
//!   `DEBUG`; a stream's opened and first item are `DEBUG` for the primary and `INFO`
//!   for a fallback, a restart `INFO`. The attempt's start time is read
//!   only when a subscriber listens; without the feature the macros do not write the
//!   reports of a chain without time options, and the runtime's compile to nothing.
//!
//! - `stream`: stream chains over a run-time list, `try_each(..).stream()`: fall back
//!   before the first item, then committed, buffered or restarting (see
//!   `TryEachStream`).
//!
//! - `tower`: [`tower::FallbackLayer`],
//!   a `tower` layer over N services of one request type, with `on`, `retry_on`,
//!   `retry_after`, `timeout`, `retries`, `cooldown` (per instance, or a shared health),
//!   `observe` and `served`; implies `tokio`.
//!
//! Depend on this crate alone; `fallback-core` and `fallback-macros` are its parts.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

pub use fallback_core::clock::jitter;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub use fallback_core::tower;
pub use fallback_core::{
    parse_retry_after, retry_after_in, try_each, Accept, AllFailed, AnyError, Breakers, Catching,
    Cloned, Collect, Displaying, Elapsed, ElapsedInto, Empty, Event, EventKind, Failure, Filter,
    Health, Judge, Judged, Limit, ListHealth, Moved, Names, NoClock, NoHealth, NoHint, NoItems,
    Observer, Panicked, Panics, Propagate, Quiet, Refuse, Refusing, Rejected, RetryAfter, Reuse,
    Served, Shows, Silent, ToError, TryEach, TryEachError, TryEachFuture, TryEachHedged,
    TryEachHedgedFuture, TryEachTimedFuture, Unnamed, WhenEmpty, MAX_RETRY_AFTER,
};
#[cfg(feature = "stream")]
#[cfg_attr(docsrs, doc(cfg(feature = "stream")))]
pub use fallback_core::{require_end, RequireEnd, Streamed, TryEachRestartStream, TryEachStream};
pub use fallback_macros::{fallback, fallback_chain};

/// Not public API: what the macros' generated code calls. May change in any release.
#[doc(hidden)]
pub use fallback_core::__private;

/// The README's examples, compiled and run as doc-tests so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The names a crate root exports from `from` (`crate` for its own modules):
    /// `pub use a::{B, C};`, `pub use a::B;`, and with `from == "crate"` its `pub mod`s.
    fn exported(root: &str, from: &str) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        for statement in root.split(';') {
            if let Some((_, module)) = statement.rsplit_once("pub mod ") {
                if from == "crate" {
                    names.insert(module.trim().to_string());
                }
                continue;
            }
            let Some((_, path)) = statement.rsplit_once("pub use ") else {
                continue;
            };
            if from != "crate" && !path.starts_with(from) {
                continue;
            }
            let list = path.rsplit_once("::").map_or(path, |(_, names)| names);
            for name in list
                .trim_matches(|c: char| c == '{' || c == '}' || c.is_whitespace())
                .split(',')
            {
                let name = name.trim();
                assert!(
                    name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()),
                    "a `pub use` this test cannot read: {statement:?}"
                );
                if !name.is_empty() {
                    names.insert(name.to_string());
                }
            }
        }
        names
    }

    /// Depend on this crate alone, the docs say: every type, trait, function and module
    /// the core exports at its root (its error types, the builder's parts a signature
    /// may need to name) is exported here too, so that a new one cannot be forgotten;
    /// only the core's modules for the generated code and the clock's internals stay
    /// behind (`jitter` is re-exported on its own). Read from the workspace's sources:
    /// outside it (the published crate), there is nothing to compare.
    #[test]
    fn the_facade_exports_every_root_export_of_the_core() {
        let read =
            |path: &str| std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")));
        // The published crate has no core beside it: nothing to compare.
        let Ok(core) = read("fallback-core/src/lib.rs") else {
            assert!(
                read("fallback-core/Cargo.toml").is_err(),
                "the core's root moved"
            );
            return;
        };
        let facade = read("src/lib.rs").expect("the facade's root");
        let core = exported(&core, "crate");
        let facade = exported(&facade, "fallback_core::");
        let kept_back = BTreeSet::from(["attempt".to_string(), "clock".to_string()]);
        let missing: Vec<_> = core
            .difference(&facade)
            .filter(|name| !kept_back.contains(*name))
            .collect();
        assert!(
            core.len() > 40,
            "the core's exports were not read: {core:?}"
        );
        assert!(
            core.contains("tower") && core.contains("try_each"),
            "{core:?}"
        );
        assert!(
            missing.is_empty(),
            "not exported by `fallbacks`: {missing:?}"
        );
    }
}
