//! [`Event`]: what `observe = ..` hears about each attempt.

use std::fmt;
use std::time::Duration;

use crate::attempt::{ChainName, TryEachChain};

/// One moment in the life of an attempt, for `observe = hook`: the hook is called with
/// each attempt's start, and with its end: success, failure, or (hedged) cancelled; with
/// a skip while cooling down, and a stream's opened, first item and restart. With an
/// error type that is `Display`, the event is too: a line for a log (see below).
///
/// ```
/// # extern crate fallback_core as fallbacks;
/// use fallbacks::{Event, EventKind};
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
    /// The chain's name: the `#[fallback]` function's module and name
    /// (`my_app::llm::complete`; for a method, the attribute does not see its type:
    /// `my_app::llm::chat`), where a `fallback_chain!` is (`my_app::llm:42`), or
    /// `"try_each"`.
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

/// A line for a log: the chain (when named), the alternative and its position, the try,
/// what happened and after how long, and a failure's error.
///
/// ```
/// # extern crate fallback_core as fallbacks;
/// use std::time::Duration;
/// use fallbacks::{Event, EventKind};
///
/// let error = "rate limited".to_string();
/// let failed = Event::new("openai", 0, 2, Duration::from_millis(300), EventKind::Failed(&error))
///     .in_chain("my_app::complete");
/// assert_eq!(
///     failed.to_string(),
///     "my_app::complete: openai (alternative 0), try 2: failed after 300ms: rate limited"
/// );
/// let skipped: Event<'_, String> = Event::new("openai", 0, 1, Duration::ZERO, EventKind::Skipped);
/// assert_eq!(skipped.to_string(), "openai (alternative 0): skipped, cooling down");
/// ```
impl<E: fmt::Display> fmt::Display for Event<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.chain.is_empty() {
            write!(f, "{}: ", self.chain)?;
        }
        // A `try_each` list's items without names are all "item": said as the
        // chain's errors say them.
        if self.chain == TryEachChain.name() && self.alternative == "item" {
            write!(f, "alternative {}", self.index)?;
        } else {
            write!(f, "{} (alternative {})", self.alternative, self.index)?;
        }
        let elapsed = self.elapsed;
        let what = match self.kind {
            EventKind::Skipped => return f.write_str(": skipped, cooling down"),
            EventKind::Started => return write!(f, ", try {}: started", self.attempt),
            EventKind::Failed(error) => {
                return write!(
                    f,
                    ", try {}: failed after {elapsed:?}: {error}",
                    self.attempt
                )
            }
            EventKind::Succeeded => "served",
            EventKind::Opened => "opened its stream",
            EventKind::FirstItem => "first item",
            EventKind::Restarted => {
                let attempt = self.attempt;
                return write!(
                    f,
                    ", try {attempt}: failed after its first item, {elapsed:?} in: the \
                     stream restarts on the next alternative; discard what this one streamed"
                );
            }
            EventKind::Cancelled => "cancelled",
        };
        write!(f, ", try {}: {what} after {elapsed:?}", self.attempt)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_event_has_its_line() {
        let error = "cut".to_string();
        let line = |kind| Event::new("b", 1, 2, Duration::from_millis(80), kind).to_string();
        assert_eq!(
            line(EventKind::Started),
            "b (alternative 1), try 2: started"
        );
        assert_eq!(
            line(EventKind::Succeeded),
            "b (alternative 1), try 2: served after 80ms"
        );
        assert_eq!(
            line(EventKind::Failed(&error)),
            "b (alternative 1), try 2: failed after 80ms: cut"
        );
        assert_eq!(
            line(EventKind::Skipped),
            "b (alternative 1): skipped, cooling down"
        );
        assert_eq!(
            line(EventKind::Opened),
            "b (alternative 1), try 2: opened its stream after 80ms"
        );
        assert_eq!(
            line(EventKind::FirstItem),
            "b (alternative 1), try 2: first item after 80ms"
        );
        assert_eq!(
            line(EventKind::Restarted),
            "b (alternative 1), try 2: failed after its first item, 80ms in: the stream \
             restarts on the next alternative; discard what this one streamed"
        );
        assert_eq!(
            line(EventKind::Cancelled),
            "b (alternative 1), try 2: cancelled after 80ms"
        );
    }

    #[test]
    fn an_unnamed_try_each_item_is_its_position() {
        let error = "down".to_string();
        let event = Event::new(
            "item",
            2,
            1,
            Duration::from_millis(5),
            EventKind::Failed(&error),
        );
        assert_eq!(
            event.in_chain("try_each").to_string(),
            "try_each: alternative 2, try 1: failed after 5ms: down"
        );
        // Elsewhere "item" is a name like any other.
        let event = Event::new(
            "item",
            2,
            1,
            Duration::from_millis(5),
            EventKind::Failed(&error),
        );
        assert_eq!(
            event.in_chain("app::chain").to_string(),
            "app::chain: item (alternative 2), try 1: failed after 5ms: down"
        );
    }
}
