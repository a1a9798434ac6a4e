//! [`Event`]: what `observe = ..` hears about each attempt.

use std::time::Duration;

/// One moment in the life of an attempt, for `observe = hook`: the hook is called with
/// each attempt's start, and with its end: success, failure, or (hedged) cancelled; with
/// a skip while cooling down, and a stream's opened, first item and restart.
///
/// ```
/// use fallback_core::{Event, EventKind};
///
/// fn log(event: &Event<'_, String>) {
///     match event.kind {
///         EventKind::Started => println!("{} #{} started", event.alternative, event.attempt),
///         EventKind::Succeeded => println!("{} served in {:?}", event.alternative, event.elapsed),
///         EventKind::Failed(error) => println!("{} failed: {error}", event.alternative),
///         _ => {}
///     }
/// }
/// log(&Event::new("openai", 0, 1, Default::default(), EventKind::Started));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct Event<'a, E> {
    /// The chain's name: the `#[fallback]` function's path (`my_app::llm::complete`),
    /// where a `fallback_chain!` is (`my_app::llm:42`), or `"try_each"`.
    pub chain: &'static str,
    /// The alternative's name: its short name, or its source text, e.g. `"anthropic"`.
    pub alternative: &'static str,
    /// Its position in the chain: 0 for the primary.
    pub index: usize,
    /// Which try of this alternative: 1, then 2, 3... with `retries`.
    pub attempt: u32,
    /// Time since this try started (zero for [`EventKind::Started`]).
    pub elapsed: Duration,
    /// What happened.
    pub kind: EventKind<'a, E>,
}

impl<'a, E> Event<'a, E> {
    /// An event; for the code the macros generate, and for tests of observers.
    pub fn new(
        alternative: &'static str,
        index: usize,
        attempt: u32,
        elapsed: Duration,
        kind: EventKind<'a, E>,
    ) -> Self {
        Event {
            chain: "",
            alternative,
            index,
            attempt,
            elapsed,
            kind,
        }
    }
}

impl<E> Event<'_, E> {
    /// The event, from the chain named `chain`.
    pub fn in_chain(mut self, chain: &'static str) -> Self {
        self.chain = chain;
        self
    }
}

/// What happened to an attempt.
#[derive(Debug)]
#[non_exhaustive]
pub enum EventKind<'a, E> {
    /// The attempt is about to run.
    Started,
    /// It returned `Ok`: the chain is served.
    Succeeded,
    /// It failed with this error (already converted into the chain's error type; a
    /// timeout is the error made from [`Elapsed`](crate::Elapsed)).
    Failed(&'a E),
    /// It was not run: the alternative is cooling down (`cooldown = ..`).
    Skipped,
    /// A stream chain's alternative opened its stream (before its first item).
    Opened,
    /// A stream chain's alternative yielded its first item: the chain is committed to
    /// it (or, restarting, streams it).
    FirstItem,
    /// A restarting stream chain's alternative failed after its first item: the chain
    /// announced the discard and goes on to the next one. (Its `Failed` came before.)
    Restarted,
    /// It was dropped unfinished, in a hedged chain: the attempt alongside served (or
    /// ended the chain). In `#[fallback]` and `fallback_chain!`, dropping the chain
    /// itself also reports its hedged attempts in flight so; a `try_each` chain dropped
    /// by its caller reports nothing more.
    Cancelled,
}
