//! The procedural macros of [`fallback`](https://docs.rs/fallback). Depend on
//! `fallback` and use them from there; the generated code calls into `fallback`'s
//! runtime, not into this crate.
//!
//! How the crate is organised, one module per stage:
//!
//! - [`parse`]: the attribute's `key = value` list and the function it is on, as tokens;
//! - [`model`]: what those tokens mean (options, alternatives, parameters), with every
//!   mistake collected instead of stopping at the first;
//! - [`validate`]: rules that involve more than one option;
//! - [`expand`]: the code, one engine for every front end;
//! - [`attribute`]: the `#[fallback]` front end tying the stages together.

#![deny(missing_docs)]

mod attribute;
mod errors;
mod expand;
mod model;
mod parse;
mod validate;

use proc_macro::TokenStream;

/// Turns a function into a try-in-order fallback chain. See the `fallback` crate's
/// documentation for the options and the code this writes.
#[proc_macro_attribute]
pub fn fallback(args: TokenStream, item: TokenStream) -> TokenStream {
    attribute::expand(args.into(), item.into()).into()
}
