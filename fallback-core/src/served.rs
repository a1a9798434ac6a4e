//! [`Served`]: a value, with which alternative served it.

/// A value, with which alternative served it: what [`try_each`](crate::try_each())
/// returns, and what a `#[fallback]` function declared `-> Result<Served<T>, E>`
/// returns.
///
/// ```
/// # extern crate fallback_core as fallbacks;
/// use fallbacks::Served;
///
/// let served = Served::new("reply", "anthropic", 1, 1);
/// assert_eq!(served.alternative(), "anthropic");
/// assert!(served.is_fallback());
/// assert_eq!(served.into_value(), "reply");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served<T> {
    value: T,
    alternative: &'static str,
    index: usize,
    failed_before: usize,
}

impl<T> Served<T> {
    /// `value`, served by `alternative` (at position `index`) after `failed_before`
    /// failed attempts.
    pub fn new(value: T, alternative: &'static str, index: usize, failed_before: usize) -> Self {
        Served {
            value,
            alternative,
            index,
            failed_before,
        }
    }

    /// The name of the alternative that served (its source text, or the name
    /// `try_each` gave the item).
    pub fn alternative(&self) -> &'static str {
        self.alternative
    }

    /// Whether a fallback served rather than the primary: the canary for an outage.
    pub fn is_fallback(&self) -> bool {
        self.index > 0
    }
    /// The value the item returned.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// Takes the value.
    pub fn into_value(self) -> T {
        self.value
    }

    /// Which item served: 0 for the first.
    pub fn index(&self) -> usize {
        self.index
    }

    /// How many attempts failed before it (retries included); in a hedged chain, how many
    /// alternatives started before it.
    pub fn failed_before(&self) -> usize {
        self.failed_before
    }
}
