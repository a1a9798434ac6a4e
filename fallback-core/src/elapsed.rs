//! [`Elapsed`]: the error of an attempt, or a chain, that ran out of time, and which
//! of its limits did ([`Limit`]).

use std::fmt;
use std::time::Duration;

/// An attempt took longer than `timeout = ..`, or the chain longer than `deadline = ..`;
/// or, in a stream chain, no first item came within `first_item_timeout`, or no next
/// item within `idle_timeout`. [`kind`](Elapsed::kind) says which, and so does its text.
///
/// A chain with a clock option converts it into its own error type, so that type needs
/// `From<fallbacks::Elapsed>`:
///
/// ```
/// # extern crate fallback_core as fallbacks;
/// use fallbacks::Elapsed;
///
/// #[derive(Debug)]
/// enum LlmError {
///     Timeout(Elapsed),
///     RateLimited,
/// }
///
/// impl From<Elapsed> for LlmError {
///     fn from(elapsed: Elapsed) -> Self {
///         LlmError::Timeout(elapsed)
///     }
/// }
///
/// let error = LlmError::from(Elapsed::timeout(std::time::Duration::from_millis(250)));
/// assert!(matches!(error, LlmError::Timeout(e) if e.to_string() == "the attempt took longer than its 250ms timeout"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Elapsed {
    limit: Duration,
    kind: Limit,
}

/// Which time limit ran out, for [`Elapsed::kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// One attempt's `timeout` (in a stream chain: the opening's).
    Timeout,
    /// The chain's `deadline`: no alternative is tried after it.
    Deadline,
    /// A stream chain's `first_item_timeout`, counted from the attempt's start.
    FirstItem,
    /// A stream chain's `idle_timeout`, between two items.
    Idle,
}

impl Elapsed {
    /// One attempt ran past `timeout`.
    pub const fn timeout(limit: Duration) -> Self {
        Elapsed {
            limit,
            kind: Limit::Timeout,
        }
    }

    /// The whole chain ran past `deadline`.
    pub const fn deadline(limit: Duration) -> Self {
        Elapsed {
            limit,
            kind: Limit::Deadline,
        }
    }

    /// A stream's first item did not come within `first_item_timeout`.
    pub const fn first_item(limit: Duration) -> Self {
        Elapsed {
            limit,
            kind: Limit::FirstItem,
        }
    }

    /// A stream's next item did not come within `idle_timeout` (it stalled).
    pub const fn idle(limit: Duration) -> Self {
        Elapsed {
            limit,
            kind: Limit::Idle,
        }
    }

    /// The time limit that ran out.
    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// Which limit it was.
    pub fn kind(&self) -> Limit {
        self.kind
    }

    /// `true` when the chain's deadline ran out (no alternative is tried after it),
    /// `false` when a limit of one attempt did (the chain moves on).
    pub fn is_deadline(&self) -> bool {
        self.kind == Limit::Deadline
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let limit = self.limit;
        match self.kind {
            Limit::Timeout => write!(f, "the attempt took longer than its {limit:?} timeout"),
            Limit::Deadline => write!(f, "the chain took longer than its {limit:?} deadline"),
            Limit::FirstItem => write!(f, "no first item within the {limit:?} first-item timeout"),
            Limit::Idle => write!(f, "no next item within the {limit:?} idle timeout"),
        }
    }
}

impl std::error::Error for Elapsed {}
