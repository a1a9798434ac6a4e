//! The plain engine: a chain without time or health options, as the sequence of
//! `match`es a careful person writes by hand. Its output was measured against the
//! hand-written twin (README, "Performance"); the snapshot tests pin it.

use proc_macro2::{Delimiter, Ident, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens, TokenStreamExt};

use super::names::{kept, local, local_at};
use super::{block, group, Chain};

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
///
/// What it costs to compile is mostly the macro's own run, unoptimised in debug builds,
/// where each join of token streams is a call into the compiler: so the runtime's items
/// are reached through the chain's import (`__fallback_rt`, see [`super::chain`]) in two
/// tokens, the types and wrappers are split into trees once, and each statement is one
/// `quote!` into which its arms are written as trees ([`OkArm`], [`ErrArm`]).
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
        let rt = chain.runtime_at(span);
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
        // `outcome(..)`'s arguments: the attempt, as one tree.
        let args = group(Delimiter::Parenthesis, span, outcome);
        let trace = local("trace");
        statements.extend(chain.trace_start(&trace));
        let on_served = chain.trace_end(&trace, index, None);
        // The `Err` arm: the error converted into the chain's type (and traced); untraced,
        // the conversion is the arm's value (the binding it is assigned to has the type).
        let err_binding = chain.typed_error(&err);
        let converted = chain.convert(&err, index);
        let traced = chain.trace_end(&trace, index, Some(quote!(&#err)));
        let on_failed = || ErrArm {
            span,
            binding: &err_binding,
            converted: &converted,
            traced: &traced,
            err: &err,
            declared: error.is_some(),
        };
        let served = chain.wrap_success(&chain.success(&ok, index, &index));
        let on_ok = |tail: bool| OkArm {
            span,
            on_served: &on_served,
            served: &served,
            tail,
        };
        let is_last = index == last;
        let next_wants_error = chain
            .attempts
            .get(index + 1)
            .is_some_and(|next| next.previous.is_some());

        if chain.collect {
            let kept = kept(index);
            let name = &attempt.name;
            failures.push(quote! { #rt::Failure::new(#name, #index, #kept) });
            let binding = chain.typed_error(&kept);
            let (on_ok, on_failed) = (on_ok(false), on_failed());
            statements.push(quote_spanned! {span=>
                let #binding = match #rt::outcome #args {
                    #rt::Ok(#ok) => #on_ok,
                    #rt::Err(#err) => #on_failed,
                };
            });
            let all_failed =
                chain.wrap_error(&quote! { #rt::all_failed(#total, [#(#failures),*]) });
            if is_last {
                statements.push(all_failed.into_token_stream());
            } else if let Some(accepted) = chain.accepts(&kept) {
                statements.push(quote! {
                    if !#accepted {
                        return #all_failed;
                    }
                });
            }
        } else if is_last {
            let on_failed = match &traced {
                // The conversion goes into the chain's error as it is.
                None if error.is_some() => chain.wrap_error(&converted).into_token_stream(),
                _ => {
                    let failed = chain.wrap_error(&err);
                    quote_spanned! {span=> { let #err_binding = #converted; #traced #failed } }
                }
            };
            let on_ok = on_ok(true);
            statements.push(quote_spanned! {span=>
                match #rt::outcome #args {
                    #rt::Ok(#ok) => #on_ok,
                    #rt::Err(#err) => #on_failed,
                }
            });
        } else if chain.filter.is_some() || next_wants_error {
            // The error is converted, bound for the rest of the chain (where the filter
            // and the next attempt's `err =>` borrow it), and asked to the filter.
            let kept = kept(index);
            let binding = chain.typed_error(&kept);
            let (on_ok, on_failed) = (on_ok(false), on_failed());
            statements.push(quote_spanned! {span=>
                let #binding = match #rt::outcome #args {
                    #rt::Ok(#ok) => #on_ok,
                    #rt::Err(#err) => #on_failed,
                };
            });
            if let Some(accepted) = chain.accepts(&kept) {
                let stopped = chain.wrap_error(&kept);
                statements.push(quote_spanned! {span=>
                    if !#accepted {
                        return #stopped;
                    }
                });
            }
        } else if let Some(error) = error {
            // Nothing looks at the error: it is dropped unconverted (but for `tracing`).
            let discarded = chain.discard(error, &err, index, &trace);
            let on_ok = on_ok(false);
            statements.push(quote_spanned! {span=>
                match #rt::outcome #args {
                    #rt::Ok(#ok) => #on_ok,
                    #rt::Err(#err) => { #discarded }
                }
            });
        } else {
            let on_ok = on_ok(false);
            statements.push(quote_spanned! {span=>
                match #rt::outcome #args {
                    #rt::Ok(#ok) => #on_ok,
                    #rt::Err(#err) => { let #err_binding = #converted; #traced }
                }
            });
        }
    }
    statements.into_iter().collect()
}

/// An attempt's `Ok` arm, written into its `match`: the success returned (or, at the
/// chain's end, its value), after its trace.
struct OkArm<'a> {
    span: Span,
    on_served: &'a Option<TokenStream>,
    served: &'a TokenTree,
    /// The chain's last attempt: the success is the chain's value.
    tail: bool,
}

impl ToTokens for OkArm<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let (span, served) = (self.span, self.served);
        match (self.on_served, self.tail) {
            (None, false) => {
                tokens.append(Ident::new("return", span));
                tokens.append(served.clone());
            }
            (None, true) => tokens.append(served.clone()),
            (Some(on_served), false) => {
                tokens.append(block(
                    span,
                    quote_spanned! {span=> #on_served return #served; },
                ));
            }
            (Some(on_served), true) => {
                tokens.append(block(span, quote_spanned! {span=> #on_served #served }));
            }
        }
    }
}

/// The `Err` arm of an attempt whose error the chain keeps, written into its `match`:
/// the error converted into the chain's type and traced, as the arm's value. With a
/// declared type and no trace, the conversion is the arm's value as it is (the binding
/// the `match` is assigned to has the type).
struct ErrArm<'a> {
    span: Span,
    binding: &'a super::Typed<'a>,
    converted: &'a TokenStream,
    traced: &'a Option<TokenStream>,
    err: &'a Ident,
    declared: bool,
}

impl ToTokens for ErrArm<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let span = self.span;
        let (binding, converted, traced, err) =
            (self.binding, self.converted, self.traced, self.err);
        if self.declared && traced.is_none() {
            converted.to_tokens(tokens);
            return;
        }
        tokens.append(block(
            span,
            quote_spanned! {span=> let #binding = #converted; #traced #err },
        ));
    }
}
