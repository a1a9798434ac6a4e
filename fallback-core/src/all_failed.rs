//! [`AllFailed`]: every error of a chain, in order, each tagged with its alternative.

use std::error::Error;
use std::fmt;

/// One failed attempt: which alternative failed, and the error it returned.
///
/// ```
/// # extern crate fallback_core as fallbacks;
/// use fallbacks::Failure;
///
/// let failure = Failure::new("openai", 0, "rate limited");
/// assert_eq!(failure.alternative(), "openai");
/// assert_eq!(failure.index(), 0);
/// assert_eq!(*failure.error(), "rate limited");
/// assert_eq!(failure.to_string(), "openai: rate limited");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure<E> {
    alternative: &'static str,
    index: usize,
    error: E,
}

impl<E> Failure<E> {
    /// A failure of the alternative named `alternative`, at position `index` (0 is the
    /// primary), that returned `error`.
    pub const fn new(alternative: &'static str, index: usize, error: E) -> Self {
        Failure {
            alternative,
            index,
            error,
        }
    }

    /// The alternative's source text as written in the macro, e.g. `"anthropic"` or
    /// `"providers::local"`.
    pub fn alternative(&self) -> &'static str {
        self.alternative
    }

    /// The alternative's position in the chain: 0 for the primary, 1 for the first
    /// fallback, and so on.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The error the alternative returned, converted into the chain's error type.
    pub fn error(&self) -> &E {
        &self.error
    }

    /// Takes the error out of the failure.
    pub fn into_error(self) -> E {
        self.error
    }
}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.alternative, self.error)
    }
}

/// Every error of a fallback chain, in the order the alternatives ran.
///
/// Declare it as the error type of a `#[fallback]` function (`Result<T, AllFailed<E>>`)
/// to get every error instead of only the last. It is never empty. Its `Display` fits one
/// log line:
///
/// ```
/// # extern crate fallback_core as fallbacks;
/// use fallbacks::{AllFailed, Failure};
///
/// let mut errors = AllFailed::new(Failure::new("openai", 0, "429 rate limited"), 2);
/// errors.push(Failure::new("anthropic", 1, "503 overloaded"));
/// assert_eq!(
///     errors.to_string(),
///     "all 2 alternatives failed: [0] openai: 429 rate limited; [1] anthropic: 503 overloaded"
/// );
/// assert_eq!(*errors.last().error(), "503 overloaded");
///
/// // The count of alternatives never falls below the failures recorded:
/// let only = AllFailed::new(Failure::new("local", 0, "down"), 0);
/// assert_eq!(only.alternatives(), 1);
/// assert_eq!(only.to_string(), "the only alternative failed: [0] local: down");
/// ```
///
/// When the chain stops before every alternative has run (the filter rejected an error,
/// the deadline passed, a committed stream was cut), it holds the errors up to and
/// including the one that stopped it, and says so:
///
/// ```
/// # extern crate fallback_core as fallbacks;
/// use fallbacks::{AllFailed, Failure};
///
/// let errors = AllFailed::new(Failure::new("openai", 0, "401 invalid key"), 3);
/// assert!(errors.stopped_early());
/// assert_eq!(
///     errors.to_string(),
///     "1 of 3 alternatives failed, the last with an error that stopped the chain: \
///      [0] openai: 401 invalid key"
/// );
/// ```
///
/// With `retries`, an alternative's tries each have their failure, in order; the
/// alternatives are counted once:
///
/// ```
/// # extern crate fallback_core as fallbacks;
/// use fallbacks::{AllFailed, Failure};
///
/// let mut errors = AllFailed::new(Failure::new("openai", 0, "503"), 2);
/// errors.push(Failure::new("openai", 0, "503"));
/// errors.push(Failure::new("anthropic", 1, "529"));
/// assert_eq!((errors.len(), errors.alternatives_failed(), errors.stopped_early()), (3, 2, false));
/// assert_eq!(
///     errors.to_string(),
///     "all 2 alternatives failed: [0] openai: 503; [0] openai: 503; [1] anthropic: 529"
/// );
///
/// // An alternative skipped while cooling down has no failure; the last one ran:
/// let mut errors = AllFailed::new(Failure::new("openai", 0, "503"), 3);
/// errors.push(Failure::new("local", 2, "down"));
/// assert!(!errors.stopped_early());
/// assert_eq!(
///     errors.to_string(),
///     "2 of 3 alternatives failed, the others skipped while cooling down: [0] openai: 503; [2] local: down"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllFailed<E> {
    /// Never empty.
    failures: Vec<Failure<E>>,
    /// How many alternatives the chain has, tried or not.
    alternatives: usize,
    /// Alternatives that failed but are not listed: a restarting stream announced their
    /// errors with its discard markers.
    announced: usize,
    /// A restarting stream's discard marker: the chain goes on to the next alternative.
    restarting: bool,
}

impl<E> AllFailed<E> {
    /// Starts a collection with its first failure, for a chain of `alternatives`
    /// alternatives in all.
    pub fn new(first: Failure<E>, alternatives: usize) -> Self {
        AllFailed {
            failures: vec![first],
            alternatives: alternatives.max(1),
            announced: 0,
            restarting: false,
        }
    }

    /// The macros' constructor: `failures` is not empty (checked at compile time by
    /// [`crate::__private::all_failed`]).
    pub(crate) fn from_parts(failures: Vec<Failure<E>>, alternatives: usize) -> Self {
        let mut all = AllFailed {
            failures,
            alternatives,
            announced: 0,
            restarting: false,
        };
        all.alternatives = all.alternatives.max(all.least_alternatives());
        all
    }

    /// The same, `announced` more alternatives having failed unlisted (announced by a
    /// restarting stream's discard markers).
    pub(crate) fn with_announced(mut self, announced: usize) -> Self {
        self.announced = announced;
        self.alternatives = self.alternatives.max(self.least_alternatives());
        self
    }

    /// The same, as a restarting stream's discard marker announces it: the chain goes
    /// on to the next alternative.
    pub(crate) fn restarting(mut self) -> Self {
        self.restarting = true;
        self
    }

    /// Records the next failure.
    pub fn push(&mut self, failure: Failure<E>) {
        self.failures.push(failure);
        self.alternatives = self.alternatives.max(self.least_alternatives());
    }

    /// The fewest alternatives a chain with these failures has: as many as failed, and
    /// up to the last one that did.
    fn least_alternatives(&self) -> usize {
        let last_tried = self.failures.iter().map(Failure::index).max().unwrap_or(0);
        self.alternatives_failed().max(last_tried + 1)
    }

    /// The failures, in the order the alternatives ran.
    pub fn failures(&self) -> &[Failure<E>] {
        &self.failures
    }

    /// Iterates over the failures, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Failure<E>> {
        self.failures.iter()
    }

    /// The errors alone, in order.
    pub fn errors(&self) -> impl Iterator<Item = &E> {
        self.failures.iter().map(Failure::error)
    }

    /// How many failures are listed (at least 1): one per try, so with `retries` an
    /// alternative can have several. See [`alternatives_failed`](AllFailed::alternatives_failed).
    pub fn len(&self) -> usize {
        self.failures.len()
    }

    /// How many alternatives failed: each counted once, whatever its tries (and with
    /// those a restarting stream's discard markers announced).
    pub fn alternatives_failed(&self) -> usize {
        // Without allocating: the failures are few (an alternative's tries, in order).
        let first_of_its_alternative = |(position, failure): (usize, &Failure<E>)| {
            !self.failures[..position]
                .iter()
                .any(|earlier| earlier.index == failure.index)
        };
        let listed = self
            .failures
            .iter()
            .enumerate()
            .filter(|&entry| first_of_its_alternative(entry))
            .count();
        listed + self.announced
    }

    /// Always `false`: an `AllFailed` holds at least one failure. Present because a
    /// type with `len` is expected to have it.
    pub fn is_empty(&self) -> bool {
        self.failures.is_empty()
    }

    /// How many alternatives the chain has, including any that never ran because the
    /// chain stopped early.
    pub fn alternatives(&self) -> usize {
        self.alternatives
    }

    /// `true` when the chain stopped before its last alternative had run: the filter
    /// rejected an error, the deadline passed, or a committed stream was cut. (An
    /// alternative skipped while cooling down is not a stop: the last one is always
    /// tried.)
    pub fn stopped_early(&self) -> bool {
        let last_tried = self.failures.iter().map(Failure::index).max().unwrap_or(0);
        !self.restarting && last_tried + 1 < self.alternatives
    }

    /// The first failure: the primary's.
    pub fn first(&self) -> &Failure<E> {
        &self.failures[0]
    }

    /// The last failure: the one that ended the chain.
    pub fn last(&self) -> &Failure<E> {
        &self.failures[self.failures.len() - 1]
    }

    /// The last error, dropping the others: what a plain `Result<T, E>` chain returns.
    pub fn into_last(mut self) -> E {
        // `new` puts one failure in and nothing takes one out, so `pop` finds one.
        match self.failures.pop() {
            Some(last) => last.into_error(),
            None => unreachable!("AllFailed is never empty"),
        }
    }

    /// The failures, in order.
    pub fn into_failures(self) -> Vec<Failure<E>> {
        self.failures
    }
}

impl<E> IntoIterator for AllFailed<E> {
    type Item = Failure<E>;
    type IntoIter = std::vec::IntoIter<Failure<E>>;

    fn into_iter(self) -> Self::IntoIter {
        self.failures.into_iter()
    }
}

impl<'a, E> IntoIterator for &'a AllFailed<E> {
    type Item = &'a Failure<E>;
    type IntoIter = std::slice::Iter<'a, Failure<E>>;

    fn into_iter(self) -> Self::IntoIter {
        self.failures.iter()
    }
}

impl<E: fmt::Display> fmt::Display for AllFailed<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (failed, of) = (self.alternatives_failed(), self.alternatives);
        if self.restarting {
            write!(
                f,
                "alternative {} failed after its first item; the stream restarts on the next",
                self.last().index
            )?;
        } else if self.stopped_early() {
            write!(
                f,
                "{failed} of {of} alternatives failed, the last with an error that stopped the chain"
            )?;
        } else if of == 1 {
            f.write_str("the only alternative failed")?;
        } else if failed < of {
            write!(
                f,
                "{failed} of {of} alternatives failed, the others skipped while cooling down"
            )?;
        } else {
            write!(f, "all {of} alternatives failed")?;
        }
        match self.announced {
            0 => f.write_str(": ")?,
            1 => f.write_str(" (1 announced by a discard marker): ")?,
            n => write!(f, " ({n} announced by discard markers): ")?,
        }
        for (position, failure) in self.failures.iter().enumerate() {
            if position > 0 {
                f.write_str("; ")?;
            }
            write!(f, "[{}] {failure}", failure.index)?;
        }
        Ok(())
    }
}

impl<E: Error + 'static> Error for AllFailed<E> {
    /// The last error: the one that ended the chain.
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(self.last().error())
    }
}
