//! [`Elapsed`]: the error of an attempt, or a chain, that ran out of time.

use std::fmt;
use std::time::Duration;

/// An attempt took longer than `timeout = ..`, or the chain longer than `deadline = ..`.
///
/// A chain with a clock option converts it into its own error type, so that type needs
/// `From<fallbacks::Elapsed>`:
///
/// ```
/// use fallback_core::Elapsed;
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
    deadline: bool,
}

impl Elapsed {
    /// One attempt ran past `timeout`.
    pub const fn timeout(limit: Duration) -> Self {
        Elapsed {
            limit,
            deadline: false,
        }
    }

    /// The whole chain ran past `deadline`.
    pub const fn deadline(limit: Duration) -> Self {
        Elapsed {
            limit,
            deadline: true,
        }
    }

    /// The time limit that ran out.
    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// `true` when the chain's deadline ran out (no alternative is tried after it),
    /// `false` when one attempt's timeout did (the chain moves on).
    pub fn is_deadline(&self) -> bool {
        self.deadline
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.deadline {
            write!(
                f,
                "the chain took longer than its {:?} deadline",
                self.limit
            )
        } else {
            write!(
                f,
                "the attempt took longer than its {:?} timeout",
                self.limit
            )
        }
    }
}

impl std::error::Error for Elapsed {}
