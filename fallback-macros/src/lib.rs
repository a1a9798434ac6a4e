//! The procedural macros of [`fallbacks`](https://docs.rs/fallbacks). Depend on
//! `fallback` and use them from there; the generated code calls into `fallback`'s
//! runtime, not into this crate.
//!
//! How the crate is organised, one module per stage:
//!
//! - `parse`: the attribute's `key = value` list and the function it is on, as tokens;
//! - `model`: what those tokens mean (options, alternatives, parameters), with every
//!   mistake collected instead of stopping at the first;
//! - `validate`: rules that involve more than one option;
//! - `expand`: the code, one engine for every front end;
//! - `attribute` and `chain`: the `#[fallback]` and `fallback_chain!` front ends tying
//!   the stages together.

#![deny(missing_docs)]

mod attribute;
mod chain;
mod errors;
mod expand;
mod model;
mod parse;
mod validate;

#[cfg(test)]
mod snapshots;

use proc_macro::TokenStream;

/// Turns a function into a try-in-order fallback chain: call the primary; if it fails
/// with an error worth recovering from, call the next alternative, and so on.
///
/// ```
/// use fallbacks::fallback;
///
/// #[derive(Debug, PartialEq)]
/// enum LlmError {
///     RateLimited,
///     InvalidRequest,
/// }
///
/// fn is_transient(error: &LlmError) -> bool {
///     *error == LlmError::RateLimited
/// }
///
/// async fn openai(prompt: &str) -> Result<String, LlmError> {
///     Err(LlmError::RateLimited)
/// }
///
/// async fn anthropic(prompt: &str) -> Result<String, LlmError> {
///     Ok(format!("anthropic: {prompt}"))
/// }
///
/// #[fallback(primary = openai, then = [anthropic], on = is_transient)]
/// async fn complete(prompt: &str) -> Result<String, LlmError>;
///
/// # futures::executor::block_on(async {
/// assert_eq!(complete("hello").await, Ok("anthropic: hello".to_string()));
/// # });
/// ```
///
/// # Options
///
/// | option | meaning |
/// |---|---|
/// | `primary = f` | the first alternative; omit it to make the function's body the primary |
/// | `then = [g, h]` | the fallbacks, in order (at least one) |
/// | `on = pred` | an `impl Fn(&E) -> bool`: which errors move on; the others are returned at once. Omitted: every error moves on. Or a pattern: `on = matches(LlmError::RateLimited { .. } \| LlmError::Timeout(_))` |
/// | `crate = path` | where the `fallbacks` crate is, for crates that re-export it (`crate = my::fallbacks` or `crate = "my::fallbacks"`) |
/// | `timeout = "250ms"` | a time limit per attempt: a slow attempt fails with `fallbacks::Elapsed` and the chain moves on, whatever the filter says |
/// | `deadline = "2s"` | a time limit for the whole chain: when it passes, the chain stops with `fallbacks::Elapsed` |
/// | `retries = 2` | try each alternative up to 2 more times, for errors `retry_on` accepts, before moving on |
/// | `backoff = "50ms"` | the pause before the first retry, doubled before each next one (at most 32 times), with full jitter; default 100 ms |
/// | `retry_on = pred` | an `impl Fn(&E) -> bool`: which errors retry the same alternative (default: those `on` accepts, and timeouts); the others `on` accepts move on at once |
/// | `retry_after = hint` | an `impl Fn(&E) -> Option<Duration>`: the wait the service asked for (`Retry-After`), instead of the backoff; one past the deadline or over 60 s moves on at once |
/// | `hedge = "300ms"` | if an attempt has not answered after 300 ms, start the next alternative alongside it; the first `Ok` wins, the other is dropped (not with `err =>`) |
/// | `cooldown = "30s"` | skip an alternative for 30 s after it trips; then one call probes it |
/// | `trip_after = 3` | the consecutive failures that trip an alternative (default 3) |
/// | `health = &self.health` | where the cooldown state lives, a `fallbacks::Health<N>` (N: the count of alternatives); default: one `static` per chain |
/// | `reject = pred` | an `impl Fn(&T) -> bool`: an `Ok` it accepts is a failure, `E::from(fallbacks::Rejected)` |
/// | `catch_panic` | a panic in an alternative is a failure that moves on, `E::from(fallbacks::Panicked)` |
/// | `observe = hook` | an `impl Fn(&fallbacks::Event<'_, E>)` called at each attempt's start and end (success, failure, or cancelled when hedged) |
/// | `stream` | on a function (not `async`) returning `impl Stream<Item = Result<T, E>> + '_`, with `primary = ..` and alternatives that open streams: the function returns a stream chain, committed after its first item; `stream = "buffered"`, `stream = "restart"` (items `Result<Streamed<T, E>, E>`), `first_item_timeout = ..`, `idle_timeout = ..`, `empty_is_failure` as in `fallback_chain!`. Parameters by `&` or by value. Needs the `stream` feature |
///
/// Every duration and count is a literal, checked when the program is compiled, or any
/// expression of type `Duration` (counts: `u32`) evaluated once when the chain starts:
/// `timeout = self.config.timeout`, `retries = settings().retries`.
///
/// With the `tracing` feature, every attempt also emits a `tracing` event when it ends
/// (target `fallbacks`; a failure is a `WARN` with the error's `Display`, a fallback that
/// serves an `INFO`, the primary serving a `DEBUG`), with no option to write.
///
/// The time options (`timeout`, `deadline`, `retries`, `backoff`, `cooldown`) need the
/// `tokio` feature and an `async fn`; `timeout` and `deadline` need `E: From<Elapsed>`.
///
/// An alternative is any callable expression: a path (`openai`,
/// `providers::openai`, `Self::openai`) or a closure (`|prompt| async move { .. }`;
/// its parameter types are taken from the function's, so they can be left out).
///
/// # The code this writes for you
///
/// The example above becomes this (the real expansion writes every path absolutely
/// and goes through `fallbacks::__private` helpers that are identity functions: they
/// exist only so that a mistake is reported on your token, and compile to nothing):
///
/// ```text
/// async fn complete(prompt: &str) -> Result<String, LlmError> {
///     let error0: LlmError = match openai(prompt).await {
///         Ok(reply) => return Ok(reply),
///         Err(error) => From::from(error),
///     };
///     if !is_transient(&error0) {
///         return Err(error0);
///     }
///     match anthropic(prompt).await {
///         Ok(reply) => Ok(reply),
///         Err(error) => Err(From::from(error)),
///     }
/// }
/// ```
///
/// One `match` per alternative in one `async` body: no boxing, no allocation, no
/// dynamic dispatch, and a future no larger than the nested `match` you would write.
///
/// # Rules
///
/// - **Order and laziness.** Alternatives run strictly in order. An alternative's future
///   is not even created until the one before it has failed, and nothing runs after an
///   `Ok`.
/// - **The filter.** `on` is evaluated when an error needs a decision, and sees the
///   error converted into the declared error type `E`. An error it rejects is returned
///   at once. The last alternative's error is returned whatever the filter says.
/// - **Errors.** Each alternative may fail with its own error type `Ei`, given
///   `E: From<Ei>`. When every alternative fails, `Result<T, E>` returns the last error;
///   declare `Result<T, fallbacks::AllFailed<E>>` to get every error, in order, each
///   tagged with the alternative's name (its source text). `AllFailed` is the only
///   allocation a chain makes, and only when it fails. Without a filter, an error that
///   is not returned is dropped without being converted.
/// - **Which alternative served.** Declare `Result<fallbacks::Served<T>, E>` and the value
///   comes with the name and position of the alternative that served, and how many
///   attempts failed before it; the alternatives (and a body) still return `T`.
/// - **Arguments.** Every alternative is called with the function's arguments (`self`
///   first for methods). References are passed as they are, `&mut` references
///   reborrowed; an owned argument is cloned for every attempt but the last
///   alternative's, which gets the original. Serving from alternative *k* (counting from
///   0) of *n* therefore costs `min(k + 1, n - 1)` clones; pass a reference to avoid
///   them.
/// - **The body.** A function without a body (`...;`) is a pure dispatcher and needs a
///   `primary`. A function with a body and no `primary` makes the body the primary:
///   `return` and `?` in it end the primary's attempt, and it gets its own copies of
///   the owned arguments it uses, so the fallbacks still get the originals.
///
/// ```
/// # use fallbacks::fallback;
/// # #[derive(Debug, PartialEq)] struct ParseError;
/// fn parse_hex(text: &str) -> Result<u32, ParseError> {
///     u32::from_str_radix(text.trim_start_matches("0x"), 16).map_err(|_| ParseError)
/// }
///
/// #[fallback(then = [parse_hex])]
/// fn parse(text: &str) -> Result<u32, ParseError> {
///     text.parse().map_err(|_| ParseError)
/// }
///
/// assert_eq!(parse("42"), Ok(42));
/// assert_eq!(parse("0x2a"), Ok(42));
/// ```
///
/// - **Signatures.** Methods (`&self`, `&mut self`, `self`), generics, `where`
///   clauses, `impl Trait` arguments, lifetimes, return types behind an alias
///   (`io::Result<T>`) and plain (non-`async`) functions all work. The future is `Send`
///   when the alternatives' futures are.
/// - **Panics and cancellation.** A panic propagates; it is not a reason to fall back.
///   Dropping the future drops the attempt in flight and starts nothing else.
///
/// # Time and health
///
/// The setup the examples below share:
///
/// ```
/// # use std::time::Duration;
/// #[derive(Debug, PartialEq)]
/// enum LlmError {
///     Overloaded,
///     Timeout(fallbacks::Elapsed),
/// }
///
/// impl From<fallbacks::Elapsed> for LlmError {
///     fn from(elapsed: fallbacks::Elapsed) -> Self {
///         LlmError::Timeout(elapsed)
///     }
/// }
///
/// async fn slow(prompt: &str) -> Result<String, LlmError> {
///     tokio::time::sleep(Duration::from_secs(10)).await;
///     Ok(format!("slow: {prompt}"))
/// }
///
/// async fn quick(prompt: &str) -> Result<String, LlmError> {
///     Ok(format!("quick: {prompt}"))
/// }
/// ```
///
/// **`timeout`**: a slow provider is a failure too.
///
/// ```
/// # use std::time::Duration;
/// # use fallbacks::fallback;
/// # #[derive(Debug, PartialEq)] enum LlmError { Overloaded, Timeout(fallbacks::Elapsed) }
/// # impl From<fallbacks::Elapsed> for LlmError { fn from(e: fallbacks::Elapsed) -> Self { LlmError::Timeout(e) } }
/// # async fn slow(p: &str) -> Result<String, LlmError> { tokio::time::sleep(Duration::from_secs(10)).await; Ok(p.into()) }
/// # async fn quick(p: &str) -> Result<String, LlmError> { Ok(format!("quick: {p}")) }
/// #[fallback(primary = slow, then = [quick], timeout = "250ms")]
/// async fn complete(prompt: &str) -> Result<String, LlmError>;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let started = tokio::time::Instant::now();
/// assert_eq!(complete("hi").await, Ok("quick: hi".to_string()));
/// assert_eq!(started.elapsed(), Duration::from_millis(250));
/// # }
/// ```
///
/// **`deadline`**: a limit for the whole chain.
///
/// ```
/// # use std::time::Duration;
/// # use fallbacks::{fallback, Elapsed};
/// # #[derive(Debug, PartialEq)] enum LlmError { Overloaded, Timeout(fallbacks::Elapsed) }
/// # impl From<fallbacks::Elapsed> for LlmError { fn from(e: fallbacks::Elapsed) -> Self { LlmError::Timeout(e) } }
/// # async fn slow(p: &str) -> Result<String, LlmError> { tokio::time::sleep(Duration::from_secs(10)).await; Ok(p.into()) }
/// #[fallback(primary = slow, then = [slow], deadline = "1s")]
/// async fn complete(prompt: &str) -> Result<String, LlmError>;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let error = complete("hi").await.unwrap_err();
/// assert_eq!(error, LlmError::Timeout(Elapsed::deadline(Duration::from_secs(1))));
/// # }
/// ```
///
/// **`retries` and `backoff`**: try again before moving on.
///
/// ```
/// # use std::sync::atomic::{AtomicU32, Ordering};
/// # use fallbacks::fallback;
/// # #[derive(Debug, PartialEq)] enum LlmError { Overloaded, Timeout(fallbacks::Elapsed) }
/// # impl From<fallbacks::Elapsed> for LlmError { fn from(e: fallbacks::Elapsed) -> Self { LlmError::Timeout(e) } }
/// # async fn quick(p: &str) -> Result<String, LlmError> { Ok(format!("quick: {p}")) }
/// static CALLS: AtomicU32 = AtomicU32::new(0);
///
/// /// Overloaded twice, then fine.
/// async fn busy(prompt: &str) -> Result<String, LlmError> {
///     match CALLS.fetch_add(1, Ordering::SeqCst) {
///         0 | 1 => Err(LlmError::Overloaded),
///         _ => Ok(format!("busy: {prompt}")),
///     }
/// }
///
/// #[fallback(primary = busy, then = [quick], retries = 2, backoff = "50ms")]
/// async fn complete(prompt: &str) -> Result<String, LlmError>;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// assert_eq!(complete("hi").await, Ok("busy: hi".to_string()));
/// assert_eq!(CALLS.load(Ordering::SeqCst), 3);
/// # }
/// ```
///
/// **`cooldown` and `trip_after`**: stop calling a provider that is down, for a while.
///
/// ```
/// # use std::sync::atomic::{AtomicU32, Ordering};
/// # use fallbacks::fallback;
/// # #[derive(Debug, PartialEq)] enum LlmError { Overloaded, Timeout(fallbacks::Elapsed) }
/// # impl From<fallbacks::Elapsed> for LlmError { fn from(e: fallbacks::Elapsed) -> Self { LlmError::Timeout(e) } }
/// # async fn quick(p: &str) -> Result<String, LlmError> { Ok(format!("quick: {p}")) }
/// static CALLS: AtomicU32 = AtomicU32::new(0);
///
/// async fn down(_: &str) -> Result<String, LlmError> {
///     CALLS.fetch_add(1, Ordering::SeqCst);
///     Err(LlmError::Overloaded)
/// }
///
/// #[fallback(primary = down, then = [quick], cooldown = "30s", trip_after = 2)]
/// async fn complete(prompt: &str) -> Result<String, LlmError>;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// for _ in 0..5 {
///     assert_eq!(complete("hi").await, Ok("quick: hi".to_string()));
/// }
/// assert_eq!(CALLS.load(Ordering::SeqCst), 2, "tripped after 2 failures, then skipped");
/// # }
/// ```
///
/// **`hedge`**: when an answer is slow, ask the next provider too; the first answer wins.
/// An error starts the next one at once (after the alternative's `retries`, if any); a
/// timeout always moves on; with `AllFailed` the errors are listed as they happened.
///
/// ```
/// # use std::time::Duration;
/// # use fallbacks::fallback;
/// # #[derive(Debug, PartialEq)] enum LlmError { Overloaded, Timeout(fallbacks::Elapsed) }
/// # impl From<fallbacks::Elapsed> for LlmError { fn from(e: fallbacks::Elapsed) -> Self { LlmError::Timeout(e) } }
/// # async fn slow(p: &str) -> Result<String, LlmError> { tokio::time::sleep(Duration::from_secs(10)).await; Ok(p.into()) }
/// # async fn quick(p: &str) -> Result<String, LlmError> { Ok(format!("quick: {p}")) }
/// #[fallback(primary = slow, then = [quick], hedge = "300ms")]
/// async fn complete(prompt: &str) -> Result<String, LlmError>;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let started = tokio::time::Instant::now();
/// assert_eq!(complete("hi").await, Ok("quick: hi".to_string()));
/// assert_eq!(started.elapsed(), Duration::from_millis(300)); // `slow` was dropped
/// # }
/// ```
///
/// **`observe`**: know which provider served, and what failed before it (for metrics:
/// a fallback serving is your canary for an outage).
///
/// ```
/// # use std::cell::RefCell;
/// # use fallbacks::{fallback, Event, EventKind};
/// # #[derive(Debug, PartialEq)] enum LlmError { Overloaded }
/// # async fn down(_: &str) -> Result<String, LlmError> { Err(LlmError::Overloaded) }
/// # async fn quick(p: &str) -> Result<String, LlmError> { Ok(format!("quick: {p}")) }
/// thread_local!(static SERVED: RefCell<Vec<&'static str>> = RefCell::new(Vec::new()));
///
/// fn record(event: &Event<'_, LlmError>) {
///     if let EventKind::Succeeded = event.kind {
///         SERVED.with(|served| served.borrow_mut().push(event.alternative));
///     }
/// }
///
/// #[fallback(primary = down, then = [quick], observe = record)]
/// async fn complete(prompt: &str) -> Result<String, LlmError>;
///
/// # futures::executor::block_on(async {
/// complete("hi").await.unwrap();
/// assert_eq!(SERVED.with(|served| served.borrow().clone()), ["quick"]);
/// # });
/// ```
///
/// # Mistakes
///
/// Each misuse is a compile error on the token at fault that says how to fix it: an
/// unknown or repeated option, a missing or empty `then`, a filter of the wrong type,
/// an alternative with the wrong arguments, `Ok` type or error type, an owned argument
/// that is not `Clone`, a return type that is not a `Result`, an `async` alternative in
/// a plain `fn`... The function is still emitted, so one mistake gives one error.
#[proc_macro_attribute]
pub fn fallback(args: TokenStream, item: TokenStream) -> TokenStream {
    attribute::expand(args.into(), item.into()).into()
}

/// Tries futures in order: `fallback_chain!(a(&req) | b(&req) | c(req))` is a future of
/// the first `Ok`, trying the next operand when one fails.
///
/// ```
/// use fallbacks::fallback_chain;
///
/// #[derive(Debug, PartialEq)]
/// enum LlmError {
///     RateLimited,
///     InvalidRequest,
/// }
///
/// fn is_transient(error: &LlmError) -> bool {
///     *error == LlmError::RateLimited
/// }
///
/// async fn openai(prompt: &str) -> Result<String, LlmError> {
///     Err(LlmError::RateLimited)
/// }
///
/// async fn anthropic(prompt: &str) -> Result<String, LlmError> {
///     Ok(format!("anthropic: {prompt}"))
/// }
///
/// # futures::executor::block_on(async {
/// let prompt = String::from("hello");
/// let reply = fallback_chain!(openai(&prompt) | anthropic(&prompt), on = is_transient).await;
/// assert_eq!(reply, Ok("anthropic: hello".to_string()));
/// # });
/// ```
///
/// Each operand is an expression giving a future of `Result<T, E>`. The macro places
/// each operand inside the state machine it writes, so an operand's whole expression,
/// arguments included, runs only when its turn comes; nothing runs before the chain is
/// first polled. Operands borrow what they borrow (no cloning), and the last one may move
/// a value the earlier ones borrowed. `async { .. }` blocks are operands too. Write
/// `fallback_chain!(..)`, `fallback_chain![..]` or `fallback_chain! {..}`: a macro
/// cannot be called with `<..>`.
///
/// Operands are separated by `|`; one with a `|` of its own (a closure, a bitwise or)
/// needs parentheses. The options follow a comma.
///
/// # Options
///
/// | option | meaning |
/// |---|---|
/// | `on = pred` | an `impl Fn(&E) -> bool`: which errors move on; the others are returned at once. Omitted: every error moves on. Or a pattern: `on = matches(LlmError::RateLimited { .. } \| LlmError::Timeout(_))` |
/// | `error = E` | the chain's error type: each operand's error is converted into it with `From`. Omitted: the operands' error types must be the same, and nothing is converted |
/// | `error = AllFailed<E>` | fail with every error, in order, each tagged with its operand's source text (`AllFailed<_>`: the operands' own error type, unconverted) |
/// | `crate = path` | where the `fallbacks` crate is, for crates that re-export it |
/// | `timeout`, `deadline`, `retries`, `backoff`, `retry_on`, `retry_after`, `hedge`, `cooldown`, `trip_after`, `health`, `reject`, `catch_panic`, `observe` | as for [`fallback`](macro@fallback) (`health = ..` a `fallbacks::Health` of the chain's count of operands) |
/// | `"name": operand` | the operand's short name in events, errors and traces (default: its source text) |
/// | `stream` | the operands open streams (futures of `Result<S, E>`, `S` a stream of `Result<T, E>`): the chain is a `Stream`, committed after its first item; `stream = "buffered"`, `stream = "restart"` for the other modes; with `first_item_timeout = ..` (no first item in time falls back), `idle_timeout = ..` (no next item in time ends the stream) and `empty_is_failure` (an answer with no items falls back, `E::from(fallbacks::Rejected)`). Needs the `stream` feature |
///
/// # The previous error
///
/// An operand written `err => expr` sees the error that made the operand before it
/// fail, as `err: &E`, for example to repair a request or report upstream. Nothing is
/// mutated, and only an operand that asks for the error keeps it alive.
///
/// ```
/// # use fallbacks::fallback_chain;
/// #[derive(Debug, PartialEq)]
/// struct TooLong {
///     limit: usize,
/// }
///
/// async fn strict(text: &str) -> Result<String, TooLong> {
///     if text.len() > 5 { Err(TooLong { limit: 5 }) } else { Ok(text.to_string()) }
/// }
///
/// async fn truncated(text: &str, limit: usize) -> Result<String, TooLong> {
///     Ok(text.chars().take(limit).collect())
/// }
///
/// # futures::executor::block_on(async {
/// let text = "a long prompt";
/// let reply = fallback_chain!(strict(text) | err => truncated(text, err.limit)).await;
/// assert_eq!(reply, Ok("a lon".to_string()));
/// # });
/// ```
///
/// # The code this writes for you
///
/// ```text
/// // fallback_chain!(openai(&prompt) | anthropic(&prompt), on = is_transient)
/// async {
///     match openai(&prompt).await {
///         Ok(reply) => return Ok(reply),
///         Err(error) => {
///             if !is_transient(&error) {
///                 return Err(error);
///             }
///         }
///     }
///     match anthropic(&prompt).await {
///         Ok(reply) => Ok(reply),
///         Err(error) => Err(error),
///     }
/// }
/// ```
///
/// The rules of `#[fallback]` hold: strict order, laziness, the filter, the last error
/// or `AllFailed`, no heap allocation, no boxing.
#[proc_macro]
pub fn fallback_chain(input: TokenStream) -> TokenStream {
    chain::expand(input.into()).into()
}
