//! The plain engine: a chain without time or health options, as the sequence of
//! `match`es a careful person writes by hand. Its output was measured against the
//! hand-written twin (README, "Performance"); the snapshot tests pin it.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};

use super::names::{kept, local, local_at};
use super::{typed, Chain};

/// The body of a chain: statements, then the tail expression giving its `Result`.
///
/// ```text
/// // Input: attempts a, b, c; `on = f`; the last error wins.
/// // Output:
/// let err0: E = match outcome(a) {
///     Ok(ok) => return wrap_ok(ok),
///     Err(err) => convert(err),
/// };
/// if !accepts::<E, _>(&err0, f) { return wrap_err(err0); }
/// let err1: E = /* the same for b */;
/// match outcome(c) {
///     Ok(ok) => wrap_ok(ok),
///     Err(err) => wrap_err(convert(err)),
/// }
/// ```
///
/// This is the nested `match` a careful person writes, flattened: each attempt's error
/// stays in scope (borrowed by the filter) until the chain ends, as it does in the
/// nested version, so the future has the hand-written one's size and layout — a layout
/// that measured faster on the all-fail path than dropping each error before the next
/// attempt (README, "Performance"). The filter expression is evaluated where a decision
/// is needed, so nothing of it is kept in the future, and it costs nothing on success.
/// Without a filter an error that is not returned is dropped unconverted at once: its
/// conversion is only type-checked.
///
/// With `collect` the kept errors make `AllFailed` (one allocation) when the chain
/// fails; an attempt written `err => expr` sees the error before it as
/// `let err = &__fallback_err_k;`.
///
/// Every token of an attempt's code is spanned at the user's token it stands for, so a
/// type error about an alternative (wrong `Ok` type, no `From` for its error, not a
/// future) lands on that alternative, and one about the filter on the filter.
pub fn plain(chain: &Chain) -> TokenStream {
    let error = &chain.error;
    let last = chain.attempts.len() - 1;
    let total = chain.attempts.len();
    // Collected, then joined at once: each join of token streams is a call to the
    // compiler when the macro runs.
    let mut statements = vec![chain.agree_witness()];
    let mut failures = Vec::new();
    for (index, attempt) in chain.attempts.iter().enumerate() {
        let span = attempt.span;
        let krate = chain.krate_at(span);
        let ok = local_at("ok", span);
        let err = local_at("err", span);
        let outcome = match (&attempt.previous, index) {
            (Some(name), 1..) => {
                let source = kept(index - 1);
                let outcome = &attempt.outcome;
                quote! {{
                    let #name = &#source;
                    #outcome
                }}
            }
            _ => attempt.outcome.clone(),
        };
        let scrutinee = quote_spanned! {span=> #krate::__private::outcome(#outcome) };
        let trace = local("trace");
        statements.push(chain.trace_start(&trace));
        let on_served = chain.trace_end(&trace, index, None);
        // The `Err` arm's start: the error converted into the chain's type, and traced.
        let on_failed = {
            let binding = typed(&err, error);
            let converted = chain.convert(&err, index);
            let traced = chain.trace_end(&trace, index, Some(quote!(&#err)));
            quote_spanned! {span=> let #binding = #converted; #traced }
        };
        let served = chain.wrap(
            &chain.wrap_ok,
            &chain.ok,
            &chain.success(&ok, index, quote!(#index)),
        );
        let is_last = index == last;
        let next_wants_error = chain
            .attempts
            .get(index + 1)
            .is_some_and(|next| next.previous.is_some());

        if chain.collect {
            let kept = kept(index);
            let name = &attempt.name;
            failures.push(quote! { #krate::Failure::new(#name, #index, #kept) });
            let binding = typed(&kept, error);
            statements.push(quote_spanned! {span=>
                let #binding = match #scrutinee {
                    ::core::result::Result::Ok(#ok) => { #on_served return #served; }
                    ::core::result::Result::Err(#err) => { #on_failed #err }
                };
            });
            let all_failed = chain
                .wrap_error(&quote! { #krate::__private::all_failed(#total, [#(#failures),*]) });
            if is_last {
                statements.push(all_failed);
            } else if let Some(accepted) = chain.accepts(&kept) {
                statements.push(quote! {
                    if !#accepted {
                        return #all_failed;
                    }
                });
            }
        } else if is_last {
            let failed = chain.wrap_error(&err.to_token_stream());
            statements.push(quote_spanned! {span=>
                match #scrutinee {
                    ::core::result::Result::Ok(#ok) => { #on_served #served }
                    ::core::result::Result::Err(#err) => { #on_failed #failed }
                }
            });
        } else if chain.filter.is_some() || next_wants_error {
            // The error is converted, bound for the rest of the chain (where the filter
            // and the next attempt's `err =>` borrow it), and asked to the filter.
            let kept = kept(index);
            let binding = typed(&kept, error);
            statements.push(quote_spanned! {span=>
                let #binding = match #scrutinee {
                    ::core::result::Result::Ok(#ok) => { #on_served return #served; }
                    ::core::result::Result::Err(#err) => { #on_failed #err }
                };
            });
            if let Some(accepted) = chain.accepts(&kept) {
                let stopped = chain.wrap_error(&kept.to_token_stream());
                statements.push(quote_spanned! {span=>
                    if !#accepted {
                        return #stopped;
                    }
                });
            }
        } else {
            // Nothing looks at the error: it is dropped unconverted (but for `tracing`).
            let on_failed = match error {
                Some(error) => chain.discard(error, &err, index, &trace),
                None => on_failed,
            };
            statements.push(quote_spanned! {span=>
                match #scrutinee {
                    ::core::result::Result::Ok(#ok) => { #on_served return #served; }
                    ::core::result::Result::Err(#err) => { #on_failed }
                }
            });
        }
    }
    statements.into_iter().collect()
}
