//! Stage 2, meaning: what the parsed tokens say. Every mistake found here is recorded
//! in an [`Errors`](crate::errors::Errors) and the build goes on, so one compile
//! reports all of them.
//!
//! - `options`: the option tables and [`Options`], each option read on its own;
//! - `function`: the function under `#[fallback]` and its parameters;
//! - `plan`: the time and health options resolved into what the engines read;
//! - `source`: how an alternative's name reads (its source text).

use proc_macro2::Span;
use quote::ToTokens;
use syn::{Block, Expr, Ident};

use crate::parse::Entry;
use options::callable;

mod function;
mod options;
mod plan;
mod source;
mod tables;
mod value;

pub use function::*;
pub use options::*;
pub use plan::*;
pub use source::{idents, short_name, source_text};
pub use tables::{ATTRIBUTE_OPTIONS, CHAIN_OPTIONS};
pub use value::Value;

/// One alternative of a chain as the user wrote it.
pub struct Alternative {
    /// How errors and reports name it: its source text, e.g. `providers::openai`.
    pub name: String,
    pub callee: Callee,
    /// `name =>` before it: the name its expression gives the previous alternative's
    /// error (`&E`).
    pub previous: Option<Ident>,
}

/// What an alternative is.
pub enum Callee {
    /// A callable expression (a path or a closure), called with the function's arguments.
    Call(Expr),
    /// The function's own body, which is the primary when there is no `primary = ...`.
    Body(Block),
    /// An expression that is the attempt itself: a future in an `async` chain (an
    /// operand of `fallback_chain!`, or `err => expr` in `then`), a `Result` otherwise.
    Attempt(Expr),
}

impl Alternative {
    /// The token errors about this alternative point at.
    pub fn span(&self) -> Span {
        match &self.callee {
            Callee::Call(expr) | Callee::Attempt(expr) => expr_span(expr),
            Callee::Body(block) => block.brace_token.span.open(),
        }
    }

    /// An alternative from a list entry: `expr` is called with the function's
    /// arguments; `name => expr` is an attempt that sees the previous error as `name`.
    pub fn from_entry(entry: Entry) -> syn::Result<Alternative> {
        let Entry {
            name,
            previous,
            expr,
        } = entry;
        let example = "`openai`, `providers::openai` or `|prompt| local(prompt)`";
        let expr = callable(expr, "an alternative", example)?;
        Ok(Alternative {
            name: name.map_or_else(|| short_name(&expr), |name| name.value()),
            callee: match previous {
                Some(_) => Callee::Attempt(expr),
                None => Callee::Call(expr),
            },
            previous,
        })
    }

    /// An operand of `fallback_chain!`: the expression is the attempt's future.
    pub fn from_operand(entry: Entry) -> Alternative {
        let Entry {
            name,
            previous,
            expr,
        } = entry;
        Alternative {
            name: name.map_or_else(|| short_name(&expr), |name| name.value()),
            callee: Callee::Attempt(expr),
            previous,
        }
    }
}

/// The span of the first token of `tokens`: where an error about them points, since a
/// span covering several tokens cannot be made on stable Rust.
pub fn first_span(tokens: &impl ToTokens) -> Span {
    tokens
        .to_token_stream()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |tree| tree.span())
}

/// [`first_span`] of a type, read off its first token where the common forms show it
/// (`Name<..>`, `::a::B`, `&T`) without writing its tokens out.
pub fn type_span(ty: &syn::Type) -> Span {
    match ty {
        syn::Type::Path(path) if path.qself.is_none() => {
            match (&path.path.leading_colon, path.path.segments.first()) {
                (Some(colons), _) => colons.spans[0],
                (None, Some(segment)) => segment.ident.span(),
                (None, None) => first_span(ty),
            }
        }
        syn::Type::Reference(reference) => reference.and_token.span,
        _ => first_span(ty),
    }
}

/// [`first_span`] of an expression, read off a plain path (`openai`, `::a::b`: most
/// alternatives and filters) without writing its tokens out.
pub fn expr_span(expr: &Expr) -> Span {
    match expr {
        Expr::Path(path) if path.attrs.is_empty() && path.qself.is_none() => {
            match (&path.path.leading_colon, path.path.segments.first()) {
                (Some(colons), _) => colons.spans[0],
                (None, Some(segment)) => segment.ident.span(),
                (None, None) => first_span(expr),
            }
        }
        _ => first_span(expr),
    }
}
