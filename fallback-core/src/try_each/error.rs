//! [`TryEachError`]: why a `try_each` chain found nothing to serve.

use std::fmt;

/// Why [`try_each`](crate::try_each()) found nothing to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TryEachError<E> {
    /// There were no items to try.
    NoItems,
    /// The last error: of the last item, or the one the filter rejected, or the deadline.
    Failed {
        /// The error.
        error: E,
        /// The item it came from.
        index: usize,
    },
}

impl<E> TryEachError<E> {
    /// The error, if an item failed.
    pub fn into_error(self) -> Option<E> {
        match self {
            TryEachError::NoItems => None,
            TryEachError::Failed { error, .. } => Some(error),
        }
    }
}

impl<E: fmt::Display> fmt::Display for TryEachError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryEachError::NoItems => f.write_str("no alternatives to try"),
            TryEachError::Failed { error, index } => write!(f, "item {index} failed: {error}"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for TryEachError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TryEachError::NoItems => None,
            TryEachError::Failed { error, .. } => Some(error),
        }
    }
}
