//! [`TryEachError`]: why a `try_each` chain found nothing to serve.

use std::fmt;

/// Why [`try_each`](crate::try_each()) found nothing to serve. Its text gives the position
/// in the list of the alternative that failed last (its name too, when
/// [`name`](crate::TryEach::name) names them): "alternative", so that a stream chain's
/// error is not read as one of the stream's items.
///
/// ```
/// # extern crate fallback_core as fallbacks;
/// # use fallbacks::{try_each, TryEachError};
/// # futures::executor::block_on(async {
/// let providers = ["openai", "anthropic"];
/// let down = |name| async move { Err::<String, _>(format!("{name} down")) };
/// let error = try_each(&providers, down).name(|name| name).await.unwrap_err();
/// assert_eq!(error.to_string(), "anthropic (alternative 1) failed: anthropic down");
/// let error = try_each(&providers, down).await.unwrap_err();
/// assert_eq!(error.to_string(), "alternative 1 failed: anthropic down");
/// assert!(matches!(error, TryEachError::Failed { index: 1, name: "item", .. }));
/// # });
/// ```
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
        /// That item's name: as [`name`](crate::TryEach::name) gives it, or `"item"`.
        name: &'static str,
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
            TryEachError::Failed {
                error,
                index,
                name: "item",
            } => write!(f, "alternative {index} failed: {error}"),
            TryEachError::Failed { error, index, name } => {
                write!(f, "{name} (alternative {index}) failed: {error}")
            }
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
