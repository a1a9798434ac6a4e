//! The `fallback_chain!` adapter: each operand is an attempt, placed where it runs only
//! when its turn comes, in an `async` block.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::Expr;

use super::names::agree;
use super::{chain, Attempt, Chain, Spans};
use crate::model::{Alternative, Callee, ErrorMode, Options, Policies};

/// `fallback_chain!(a | b, options)`, expanded: the chain in an `async` block, which
/// borrows what the operands borrow and moves what they move, and runs nothing before
/// it is first polled.
///
/// ```text
/// // Input: fallback_chain!(a(&req) | b(req), on = f)
/// // Output:
/// async {
///     match outcome(a(&req).await) { /* as in `chain` */ }
///     match outcome(b(req).await) { /* as in `chain` */ }
/// }
/// ```
pub fn inline(alternatives: &[Alternative], options: &Options) -> TokenStream {
    let krate = options.krate();
    let agree = agree();
    // An `async` block is told the chain's types, so that what its body leaves open is
    // inferred (the other operands' types are their own, and are checked against them).
    let expect = if options.error.is_some() {
        quote!(expect_ok)
    } else {
        quote!(expect)
    };
    let attempts = alternatives
        .iter()
        .map(|alternative| {
            let span = alternative.span();
            let future = match &alternative.callee {
                Callee::Attempt(expr @ Expr::Async(_)) => {
                    quote_spanned! {span=> #agree.#expect(#expr) }
                }
                Callee::Attempt(expr) | Callee::Call(expr) => expr.to_token_stream(),
                Callee::Body(body) => quote! { async #body },
            };
            Attempt {
                name: alternative.name.clone(),
                span,
                outcome: quote_spanned! {span=> #future.await },
                previous: alternative.previous.clone(),
                setup: TokenStream::new(),
                future,
            }
        })
        .collect();
    // `error = E` converts every error into `E`; `error = AllFailed<E>` also collects
    // them (`AllFailed<_>`: without converting).
    let (error, returned_error, collect) = match options.error.as_ref().map(all_failed_of) {
        None => (None, None, false),
        Some((declared, None)) => (Some(declared.clone()), Some(declared), false),
        Some((declared, Some(inner))) => {
            let converted =
                (!matches!(inner, syn::Type::Infer(_))).then(|| inner.to_token_stream());
            (converted, Some(declared), true)
        }
    };
    let rt = super::runtime_at(Span::call_site());
    let body = chain(&Chain {
        krate: &krate,
        attempts,
        filter: options.on.as_ref(),
        ok: None,
        error,
        returned_error,
        wrap_ok: quote!(#rt::Ok),
        wrap_err: quote!(#rt::Err),
        direct: false,
        spans: Spans::wrapped_at(rt.span()),
        collect,
        policies: Policies::of(options),
        served: None,
        conversions_at_declared_type: false,
        name: super::names::inline_chain(),
    });
    quote! {
        async {
            #body
        }
    }
}

/// The declared error type, and `E` if it is `AllFailed<E>`.
fn all_failed_of(declared: &syn::Type) -> (TokenStream, Option<syn::Type>) {
    let inner = match crate::model::error_mode_of_error(declared) {
        ErrorMode::All(inner) => Some(*inner),
        ErrorMode::Last => None,
    };
    (declared.to_token_stream(), inner)
}
