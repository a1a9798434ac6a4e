//! [`Panicked`] and [`Rejected`]: the failures of `catch_panic` and `reject = ..`, which
//! a chain converts into its own error type (`E: From<Panicked>`, `E: From<Rejected>`),
//! and [`CatchPanic`], the future that turns a panic into one.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

/// An alternative panicked, with `catch_panic`: a failure that moves on, with the
/// panic's message kept.
///
/// ```
/// # extern crate fallback_core as fallbacks;
/// use fallbacks::Panicked;
///
/// let panicked = Panicked::new("index out of bounds");
/// assert_eq!(panicked.message(), "index out of bounds");
/// assert_eq!(panicked.to_string(), "the alternative panicked: index out of bounds");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Panicked {
    message: String,
}

impl Panicked {
    /// A panic with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Panicked {
            message: message.into(),
        }
    }

    /// The panic's message: its `&str` or `String` payload, or a placeholder for another.
    pub fn from_payload(payload: Box<dyn Any + Send>) -> Self {
        let message = match payload.downcast::<String>() {
            Ok(message) => *message,
            Err(payload) => match payload.downcast::<&'static str>() {
                Ok(message) => (*message).to_string(),
                Err(_) => "a panic whose payload is not a string".to_string(),
            },
        };
        Panicked { message }
    }

    /// The panic's message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Panicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the alternative panicked: {}", self.message)
    }
}

impl std::error::Error for Panicked {}

/// An alternative's `Ok` value that `reject = ..` refused (an empty reply, a refusal, a
/// truncated answer): a failure like an error, filtered, retried and reported as one.
///
/// ```
/// # extern crate fallback_core as fallbacks;
/// use fallbacks::Rejected;
///
/// assert_eq!(Rejected.to_string(), "the answer was rejected");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rejected;

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the answer was rejected")
    }
}

impl std::error::Error for Rejected {}

pin_project_lite::pin_project! {
    /// Polls `future`, turning a panic into `Err(Panicked)`: `catch_panic`'s future.
    #[doc(hidden)]
    pub struct CatchPanic<F> {
        #[pin]
        future: F,
    }
}

impl<F> CatchPanic<F> {
    /// `future`, its panics caught.
    #[inline]
    pub fn new(future: F) -> Self {
        CatchPanic { future }
    }
}

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, Panicked>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let future = self.project().future;
        // The future is not polled again after it panicked: the chain moves on and
        // drops it, so nothing can observe a broken invariant of it.
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(poll) => poll.map(Ok),
            Err(payload) => Poll::Ready(Err(Panicked::from_payload(payload))),
        }
    }
}
