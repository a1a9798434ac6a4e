//! An OpenAI-compatible chat client whose resilience is written with `fallbacks`, and the
//! fault-injecting providers it is tested against, over real sockets on loopback.
//!
//! - [`client`]: a provider over HTTP (`reqwest`), its answer read as server-sent events
//!   (parsed by `eventsource-stream`); a stream that ends without `[DONE]` is broken, never
//!   complete.
//! - [`faults`]: an OpenAI-compatible provider (`axum`) on 127.0.0.1, port 0, that
//!   misbehaves as told: an error status, an answer cut after `k` chunks, a stall.
//!
//! Not published: its heavy dependencies stay out of the library's own builds.

pub mod chat;
pub mod client;
pub mod demo;
pub mod faults;

pub use chat::{Chat, Limits, Report, Try, TRACKED};
pub use client::{ChatError, Piece, Provider, Usage};
pub use faults::{Fault, FaultServer};
