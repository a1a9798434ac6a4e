//! [`require_end`]: a stream that must end with its protocol's end marker, so that a
//! connection closed mid-answer is a failure, not a complete answer.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::stream::FusedStream;
use futures_core::Stream;

/// The stream `stream`, which must end with an end marker: an `Ok` item for which
/// `is_end` is true (server-sent events' `data: [DONE]`, Anthropic's `message_stop`).
/// If `stream` ends before its marker, it was cut, and the stream yields `Err(cut())`
/// before it ends.
///
/// A stream chain can only fall back from a failure it sees: an HTTP body closed
/// mid-answer ends like a complete one, and without its end marker it would be passed
/// on as complete. Read through `require_end`, the cut is an `Err` item: before the
/// first item the chain falls back, after it a committed chain ends with the error and
/// a restarting one discards and starts over.
///
/// - Items pass through untouched, `Err` items too.
/// - The marker ends the stream. It is not yielded, unless it carries data of its own
///   (a final `"done": true` line with the usage and the reason the answer stopped):
///   then [`keep_marker`](RequireEnd::keep_marker) yields it as the last item. `stream`
///   is dropped there, at once (an unread HTTP body: its connection closed), and never
///   polled again.
/// - An end without the marker yields `Err(cut())`, unless the last item was an `Err`:
///   that failure has been told already.
/// - A stream that yields only its marker is empty, unless the marker is kept (see
///   [`empty_is_failure`](crate::TryEach::empty_is_failure) to fall back from it).
///
/// No allocation, no boxing: the marker's test and the error are closures kept in the
/// stream.
///
/// ```
/// # extern crate fallback_core as fallbacks;
/// use fallbacks::require_end;
/// use futures::{executor::block_on, stream, StreamExt};
///
/// #[derive(Debug, PartialEq)]
/// enum LlmError { Cut }
///
/// // Server-sent events' data lines, as a parser hands them on.
/// let read = |data: Vec<&'static str>| {
///     let events = stream::iter(data.into_iter().map(Ok));
///     let answer = require_end(events, |data| *data == "[DONE]", || LlmError::Cut);
///     block_on(answer.collect::<Vec<_>>())
/// };
/// assert_eq!(read(vec!["Hel", "lo", "[DONE]"]), [Ok("Hel"), Ok("lo")]);
///
/// // The connection closed after "Hel": a cut, not an answer.
/// assert_eq!(read(vec!["Hel"]), [Ok("Hel"), Err(LlmError::Cut)]);
/// ```
///
/// In a chain, the alternative opens the response and hands on its events through
/// `require_end` (a sketch with `reqwest` and `eventsource-stream`):
///
/// ```text
/// try_each(&providers, |provider| async move {
///     let response = provider.send(&request).await?.error_for_status()?;
///     let events = response.bytes_stream().eventsource().map_err(LlmError::from);
///     Ok(require_end(events, |event| event.data == "[DONE]", || LlmError::Cut))
/// })
/// .stream()
/// ```
pub fn require_end<S, T, E, P, C>(stream: S, is_end: P, cut: C) -> RequireEnd<S, P, C>
where
    S: Stream<Item = Result<T, E>>,
    P: FnMut(&T) -> bool,
    C: FnOnce() -> E,
{
    RequireEnd {
        stream: Some(stream),
        is_end,
        cut: Some(cut),
        keep_marker: false,
        last_failed: false,
    }
}

pin_project_lite::pin_project! {
    /// The stream of [`require_end`].
    #[must_use = "streams do nothing unless polled"]
    pub struct RequireEnd<S, P, C> {
        // `None` once it ended, with its marker or without.
        #[pin]
        stream: Option<S>,
        is_end: P,
        // Taken by the one cut there can be.
        cut: Option<C>,
        keep_marker: bool,
        // The last item was an `Err`: an end after it is not a second failure.
        last_failed: bool,
    }
}

impl<S, P, C> RequireEnd<S, P, C> {
    /// Yields the marker too, as the last item: for a marker that carries data (Ollama's
    /// final line, `"done": true` with the token counts and `done_reason`), which the
    /// caller reads (a `done_reason` of `"length"` is an answer cut short by its limit).
    ///
    /// ```
    /// # extern crate fallback_core as fallbacks;
    /// use fallbacks::require_end;
    /// use futures::{executor::block_on, stream, StreamExt};
    ///
    /// // (done, text or done_reason) per line.
    /// let lines = stream::iter([Ok::<_, String>((false, "Hel")), Ok((true, "stop"))]);
    /// let answer = require_end(lines, |(done, _)| *done, || "cut".to_string());
    /// let answer: Vec<_> = block_on(answer.keep_marker().collect());
    /// assert_eq!(answer, [Ok((false, "Hel")), Ok((true, "stop"))]);
    /// ```
    pub fn keep_marker(mut self) -> Self {
        self.keep_marker = true;
        self
    }
}

impl<S, T, E, P, C> Stream for RequireEnd<S, P, C>
where
    S: Stream<Item = Result<T, E>>,
    P: FnMut(&T) -> bool,
    C: FnOnce() -> E,
{
    type Item = Result<T, E>;

    #[inline]
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        let Some(stream) = this.stream.as_mut().as_pin_mut() else {
            return Poll::Ready(None);
        };
        let item = match stream.poll_next(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(item) => item,
        };
        match item {
            Some(Ok(item)) if !(this.is_end)(&item) => {
                *this.last_failed = false;
                Poll::Ready(Some(Ok(item)))
            }
            Some(Err(error)) => {
                *this.last_failed = true;
                Poll::Ready(Some(Err(error)))
            }
            // The marker: a complete answer.
            Some(Ok(marker)) => {
                this.stream.set(None);
                Poll::Ready(this.keep_marker.then_some(Ok(marker)))
            }
            None => {
                this.stream.set(None);
                match this.cut.take() {
                    Some(cut) if !*this.last_failed => Poll::Ready(Some(Err(cut()))),
                    _ => Poll::Ready(None),
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.stream {
            // The marker may be next (nothing more), or a cut (one more than its own).
            Some(stream) => (0, stream.size_hint().1.and_then(|most| most.checked_add(1))),
            None => (0, Some(0)),
        }
    }
}

impl<S, T, E, P, C> FusedStream for RequireEnd<S, P, C>
where
    S: Stream<Item = Result<T, E>>,
    P: FnMut(&T) -> bool,
    C: FnOnce() -> E,
{
    fn is_terminated(&self) -> bool {
        self.stream.is_none()
    }
}

impl<S, P, C> std::fmt::Debug for RequireEnd<S, P, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequireEnd")
            .field("ended", &self.stream.is_none())
            .field("keep_marker", &self.keep_marker)
            .field("last_failed", &self.last_failed)
            .finish_non_exhaustive()
    }
}
