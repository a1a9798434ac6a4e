//! [`trace`]: an `observe` hook that emits a `tracing` event for each attempt.

use std::fmt::Display;

use crate::{Event, EventKind};

/// Emits a [`tracing`](https://docs.rs/tracing) event for each moment of each attempt:
/// `observe = fallback::trace`. A start or a success is an `INFO` event, a failure a
/// `WARN` one, with the alternative's name and position, the try number and the
/// elapsed time as fields. Combine it with a hook of your own:
/// `observe = |event| { fallback::trace(event); metrics(event) }`.
pub fn trace<E: Display>(event: &Event<'_, E>) {
    let elapsed_ms = event.elapsed.as_secs_f64() * 1000.0;
    match event.kind {
        EventKind::Started => tracing::info!(
            alternative = event.alternative,
            index = event.index,
            attempt = event.attempt,
            "fallback attempt started"
        ),
        EventKind::Succeeded => tracing::info!(
            alternative = event.alternative,
            index = event.index,
            attempt = event.attempt,
            elapsed_ms,
            "fallback attempt served"
        ),
        EventKind::Failed(error) => tracing::warn!(
            alternative = event.alternative,
            index = event.index,
            attempt = event.attempt,
            elapsed_ms,
            error = %error,
            "fallback attempt failed"
        ),
        EventKind::Skipped => tracing::info!(
            alternative = event.alternative,
            index = event.index,
            "fallback alternative skipped while cooling down"
        ),
    }
}
