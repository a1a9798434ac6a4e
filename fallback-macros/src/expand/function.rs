//! The `#[fallback]` adapter: the function's alternatives as attempts (each called with
//! the function's arguments, or the body as the primary), and the chain wrapped in the
//! function.

use proc_macro2::{Ident, Punct, Spacing, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens, TokenStreamExt};
use syn::{Block, Expr};

use super::names::local;
use super::{chain, respan, Attempt, Chain, Spans};
use crate::model::{Alternative, Callee, ErrorMode, Function, Options, Param, Passing, Policies};

/// ```text
/// // Input:
/// #[fallback(primary = a, then = [b], on = f)]
/// async fn complete(prompt: &str, n: Big) -> Result<T, E>;
/// // Output:
/// async fn complete(prompt: &str, n: Big) -> Result<T, E> {
///     /* chain(), with the attempts: */
///     //   a(prompt, clone_arg(&n)).await
///     //   b(prompt, n).await
/// }
/// ```
pub fn function(function: &Function, options: &Options) -> TokenStream {
    let krate = options.krate();
    let ret = &function.ret;
    let mut alternatives: Vec<&Alternative> = Vec::new();
    let body_primary = function.body.as_ref().map(|body| Alternative {
        name: function.sig.ident.to_string(),
        callee: Callee::Body(body.clone()),
        previous: None,
    });
    alternatives.extend(options.primary.as_ref().map(|(_, primary)| primary));
    alternatives.extend(body_primary.as_ref());
    alternatives.extend(options.then.iter().flat_map(|(_, then)| then));

    let policies = Policies::of(options);
    let last = alternatives.len() - 1;
    // A plain chain awaits each attempt where it runs, and never asks for its future.
    let plain = !policies.any() && policies.hedge.is_none();
    let attempts = alternatives
        .iter()
        .enumerate()
        .map(|(index, alternative)| {
            // With retries the last alternative runs in a loop too: it cannot take the
            // originals by move.
            let is_last = index == last && !policies.reruns();
            let span = alternative.span();
            let (setup, future) = match &alternative.callee {
                // The call and its `.await` written at once.
                Callee::Call(callee) if plain && function.is_async() => {
                    let mut outcome = call(function, callee, is_last, &krate);
                    let mut dot = Punct::new('.', Spacing::Alone);
                    dot.set_span(span);
                    outcome.append(dot);
                    outcome.append(Ident::new("await", span));
                    return Attempt {
                        name: alternative.name.clone(),
                        span,
                        outcome,
                        previous: alternative.previous.clone(),
                        setup: TokenStream::new(),
                        future: TokenStream::new(),
                    };
                }
                Callee::Call(callee) => {
                    (TokenStream::new(), call(function, callee, is_last, &krate))
                }
                Callee::Body(body) => body_call(function, body, &krate),
                Callee::Attempt(expr) => (TokenStream::new(), expr.to_token_stream()),
            };
            let awaited = if function.is_async() {
                quote_spanned! {span=> #future.await }
            } else {
                in_sync_fn(function, &future, span, &krate)
            };
            // A block only when there is setup: a block around the attempt would move
            // errors about it onto the block.
            let outcome = if setup.is_empty() {
                awaited
            } else {
                quote_spanned! {span=> { #setup #awaited } }
            };
            Attempt {
                name: alternative.name.clone(),
                span: alternative.span(),
                outcome,
                previous: alternative.previous.clone(),
                setup,
                future,
            }
        })
        .collect();
    // Everything about the declared return type is spanned at it, so that one which is
    // not a `Result` gives one error, there.
    let ret_span = crate::model::type_span(ret);
    // The exact span, not only its location: then every use of the projection below is
    // the user's return type to the compiler, and a return type that is not a `Result`
    // gives the same error everywhere, which the compiler reports once. (The runtime's
    // private items, as the chain's code imports them.)
    let rt = Ident::new("__fallback_rt", ret_span);
    // `Result<T, E>` written out: `T` and `E` as written (a third of the expansion's
    // tokens were these projections); an alias: projected.
    let (ok_type, returned_error) = match &function.result_types {
        Some((ok, error)) => (ok.to_token_stream(), error.to_token_stream()),
        None => {
            let fallback_result = quote_spanned! {ret_span=> <#ret as #rt::FallbackResult> };
            (
                quote_spanned! {ret_span=> #fallback_result::Ok },
                quote_spanned! {ret_span=> #fallback_result::Err },
            )
        }
    };
    let (error, collect) = match &function.mode {
        ErrorMode::Last => (returned_error.clone(), false),
        ErrorMode::All(error) => (error.to_token_stream(), true),
    };
    // `ok`/`err`, whose bound says on the return type what it must be (`Ok(..)` and
    // `Err(..)` in their place ran 2 to 9 instructions more per call: the optimizer
    // folds the helpers best). `Result<T, E>` written out: an error (always of the
    // chain's type) goes in as it is, with no binding of the declared type first.
    let direct = function.result_types.is_some();
    // (Written `Result<T, E>`, the return type is a `Result`: the wrappers read it from
    // where they return.)
    let (wrap_ok, wrap_err) = if direct {
        (
            quote_spanned! {ret_span=> #rt::ok },
            quote_spanned! {ret_span=> #rt::err },
        )
    } else {
        (
            quote_spanned! {ret_span=> #rt::ok::<#ret, _> },
            quote_spanned! {ret_span=> #rt::err::<#ret, _> },
        )
    };
    let body = chain(&Chain {
        krate: &krate,
        attempts,
        filter: options.on.as_ref(),
        ok: Some(ok_type),
        error: Some(error),
        returned_error: Some(returned_error),
        wrap_ok,
        wrap_err,
        direct,
        spans: Spans::wrapped_at(ret_span),
        collect,
        policies,
        served: function.served.as_ref().map(ToTokens::to_token_stream),
        conversions_at_declared_type: function.result_types.is_none(),
        name: super::names::function_chain(&function.sig.ident),
    });
    let Function {
        attrs, vis, sig, ..
    } = function;
    // An `unsafe fn` keeps calling its alternatives in an unsafe context (edition 2024
    // no longer gives its body one).
    let (unsafe_attr, body) = match sig.safety {
        syn::Safety::Unsafe(_) => (
            Some(quote!(#[allow(unused_unsafe)])),
            quote!(unsafe { #body }),
        ),
        _ => (None, body),
    };
    // The parameters are passed on by name, whatever they are called: `_name` too.
    let underscored = function
        .params
        .iter()
        .any(|param| param.binding.to_string().starts_with('_'))
        .then(|| quote!(#[allow(clippy::used_underscore_binding)]));
    quote! {
        #(#attrs)*
        #unsafe_attr
        #underscored
        #vis #sig {
            #body
        }
    }
}

/// The runtime's `MAX_CLOSURE_ARITY` (a test pins the two together).
const MAX_CLOSURE_ARITY: usize = 12;

/// `alternative(args)`: the call, not awaited.
pub(super) fn call(
    function: &Function,
    callee: &Expr,
    is_last: bool,
    krate: &TokenStream,
) -> TokenStream {
    let span = crate::model::expr_span(callee);
    let args: Vec<_> = function
        .params
        .iter()
        .map(|param| pass(param, is_last, krate))
        .collect();
    match callee {
        Expr::Path(_) => quote_spanned! {span=> #callee(#(#args),*) },
        // A closure goes through `callN`, which gives it its parameter types from the
        // arguments (see `fallback_core::__private::call_with`).
        Expr::Closure(_) if args.len() <= MAX_CLOSURE_ARITY => {
            let helper = format_ident!("call{}", args.len(), span = span);
            let krate = respan(krate, span);
            quote_spanned! {span=> #krate::__private::#helper(#callee, #(#args),*) }
        }
        _ => quote_spanned! {span=> (#callee)(#(#args),*) },
    }
}

/// How one attempt receives a parameter: references as they are, `&mut` reborrowed,
/// owned values cloned, and everything moved into the last attempt.
fn pass(param: &Param, is_last: bool, krate: &TokenStream) -> Passed {
    let binding = &param.binding;
    Passed::Tokens(match (param.passing, is_last) {
        (Passing::Shared, _) | (_, true) => return Passed::Name(binding.clone()),
        (Passing::Unique, false) => quote! { &mut *#binding },
        (Passing::PinnedUnique, false) => quote! { #binding.as_mut() },
        (Passing::OptionalUnique, false) => quote! { #binding.as_deref_mut() },
        (Passing::Owned, false) => {
            let krate = respan(krate, param.ty_span);
            quote_spanned! {param.ty_span=> #krate::__private::CloneArg::clone_arg(&#binding) }
        }
    })
}

/// A parameter as an attempt receives it: by its name, or through an expression.
enum Passed {
    Name(Ident),
    Tokens(TokenStream),
}

impl ToTokens for Passed {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Passed::Name(name) => name.to_tokens(tokens),
            Passed::Tokens(passed) => passed.to_tokens(tokens),
        }
    }
}

/// An attempt in a plain `fn`, passed through unchanged unless it is a future: then
/// one error, on the `fn` token, says to make the function `async` (the same error from
/// every `async` alternative, which the compiler reports once).
///
/// ```text
/// { use FutureKind as _, ProducedKind as _;
///   match attempt { a => (&a).attempt_kind().in_sync_fn(a, SyncFn) } }
/// ```
fn in_sync_fn(
    function: &Function,
    attempt: &TokenStream,
    span: Span,
    krate: &TokenStream,
) -> TokenStream {
    // The call is at the exact span of `fn` (its hygiene too): at the macro's hygiene
    // it would be reported on the attribute, or on a span from the alternative to `fn`.
    let fn_span = function.sig.fn_token.span;
    let at_fn: TokenStream = krate
        .clone()
        .into_iter()
        .map(|mut tree| {
            tree.set_span(fn_span);
            tree
        })
        .collect();
    let value = Ident::new("__fallback_attempt", fn_span);
    let call = quote_spanned! {fn_span=>
        (&#value).attempt_kind().in_sync_fn(#value, #at_fn::__private::SyncFn)
    };
    let krate = respan(krate, span);
    quote_spanned! {span=> {
        #[allow(unused_imports)]
        use #krate::__private::{FutureKind as _, ProducedKind as _};
        match #attempt {
            #value => #call,
        }
    }}
}

/// The function's own body as the primary: it runs in a block of its own, on copies of
/// the parameters it may consume, so that the fallbacks still have the originals.
///
/// ```text
/// // Input: async fn f(prompt: String) -> Result<T, E> { body }
/// // Output (the first attempt):
/// {
///     let prompt = clone_arg(&prompt);
///     ascribe::<Result<T, E>, _>(async { body }).await
/// }
/// ```
fn body_call(function: &Function, body: &Block, krate: &TokenStream) -> (TokenStream, TokenStream) {
    let used = crate::model::idents(body);
    let copies = function
        .params
        .iter()
        .filter(|param| param.receiver.is_none())
        .filter(|param| param.passing != Passing::Shared || param.mutability.is_some())
        .filter(|param| used.iter().any(|ident| param.binding == ident))
        .map(|param| {
            let binding = &param.binding;
            let mutability = param.mutability;
            let value = match param.passing {
                Passing::Shared => Passed::Name(binding.clone()),
                _ => pass(param, false, krate),
            };
            quote! {
                #[allow(unused_variables, clippy::shadow_reuse, clippy::shadow_same)]
                let #mutability #binding = #value;
            }
        });
    let ret = &function.ret;
    // The body returns what the alternatives do: the value without `Served`, and the
    // inner error with `AllFailed`.
    let ok = match &function.served {
        Some(value) => value.to_token_stream(),
        None => quote! { <#ret as #krate::__private::FallbackResult>::Ok },
    };
    let body_ret = match (&function.mode, &function.served) {
        (ErrorMode::Last, None) => ret.to_token_stream(),
        (ErrorMode::Last, Some(_)) => quote! {
            ::core::result::Result<#ok, <#ret as #krate::__private::FallbackResult>::Err>
        },
        (ErrorMode::All(error), _) => quote! { ::core::result::Result<#ok, #error> },
    };
    if function.is_async() {
        // The first `return` fixes the block's return type to the declared one, so that
        // the body's `return`s and tail coerce to it (`Box<E>` to `Box<dyn Error>`,
        // `&String` to `&str`) as they would in the function itself.
        let r = local("returned");
        let future = quote! {
            async {
                if let ::core::option::Option::Some(#r) = #krate::__private::no_value::<#body_ret>() {
                    return #r;
                }
                #body
            }
        };
        (quote! { #(#copies)* }, future)
    } else {
        let call = quote! { #krate::__private::run_body(|| -> #body_ret #body) };
        (quote! { #(#copies)* }, call)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_closure_arity_agrees_with_the_runtimes_helpers() {
        assert_eq!(
            super::MAX_CLOSURE_ARITY,
            fallbacks::__private::MAX_CLOSURE_ARITY
        );
    }
}
