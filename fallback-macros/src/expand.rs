//! Stage 4, code: tokens only, from a model already checked.
//!
//! [`chain`] is the engine every front end shares: it turns a list of attempts into the
//! sequence of `match`es a careful person writes by hand. [`function`] builds the
//! attempts of a `#[fallback]` function and wraps the chain in the function.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::{Block, Expr};

use crate::model::{first_span, Alternative, Callee, ErrorMode, Function, Options, Param, Passing};

/// One attempt of a chain.
pub struct Attempt {
    /// The alternative's name, as `AllFailed` reports it.
    pub name: String,
    /// The user's token this attempt stands for: type errors about it land there.
    pub span: Span,
    /// An expression producing the attempt's `Result<T, Ei>`, already awaited in an
    /// `async` chain. The engine places it where it runs only when its turn comes.
    pub outcome: TokenStream,
    /// The name under which `outcome` sees the previous attempt's error, if it asked.
    pub previous: Option<Ident>,
}

/// A chain ready to expand.
pub struct Chain<'a> {
    /// The path of the runtime (`::fallback` unless `crate = ...`).
    pub krate: &'a TokenStream,
    /// At least two.
    pub attempts: Vec<Attempt>,
    /// `on = ...`.
    pub filter: Option<&'a Expr>,
    /// The declared success type; `None` leaves it to inference.
    pub ok: Option<TokenStream>,
    /// The type each error converts into (with `From`) before the filter sees it;
    /// `None` converts nothing: the attempts' error types must agree.
    pub error: Option<TokenStream>,
    /// The chain's declared error type (`error` or `AllFailed<error>`), if known.
    pub returned_error: Option<TokenStream>,
    /// Makes the chain's return value from a success: a path called with it.
    pub wrap_ok: TokenStream,
    /// Makes the chain's return value from its error (`error`, or `AllFailed<error>`).
    pub wrap_err: TokenStream,
    /// `true` to return every error as `AllFailed<error>`, `false` for the last one.
    pub collect: bool,
    /// Where a missing `From` for an attempt's error is reported: on the declared type
    /// (`#[fallback]`, where it is also the return type, so that a return type that is
    /// not a `Result` is reported once, there), or on the attempt.
    pub conversions_at_declared_type: bool,
}

/// The body of a chain: statements, then the tail expression giving its `Result`.
///
/// ```text
/// // Input: attempts a, b, c; `on = f`; the last error wins.
/// // Output:
/// match outcome(a) {
///     Ok(ok) => return wrap_ok(ok),
///     Err(err) => {
///         let err: E = convert(err);
///         if !accepts::<E, _>(f, &err) { return wrap_err(err); }
///     }
/// }
/// match outcome(b) { /* the same */ }
/// match outcome(c) {
///     Ok(ok) => wrap_ok(ok),
///     Err(err) => wrap_err(convert(err)),
/// }
/// ```
///
/// Each error goes out of scope before the next attempt starts, so the future holds one
/// attempt at a time and no error. The filter expression is evaluated where a decision
/// is needed, so nothing of it is kept in the future, and it costs nothing on success.
/// Without a filter an error that is not returned is dropped unconverted: its
/// conversion is only type-checked.
///
/// Two variations keep an error instead: with `collect` every error is kept, and
/// `AllFailed` is built (one allocation) only when the chain fails; an attempt written
/// `err => expr` makes the attempt before it keep its error as
/// `let __fallback_previous_k = match ..`, and sees it as `let err = &__fallback_previous_k;`.
///
/// Every token of an attempt's code is spanned at the user's token it stands for, so a
/// type error about an alternative (wrong `Ok` type, no `From` for its error, not a
/// future) lands on that alternative, and one about the filter on the filter.
pub fn chain(chain: &Chain) -> TokenStream {
    let Chain {
        error,
        wrap_ok,
        wrap_err,
        ..
    } = chain;
    let typed = |binding: &Ident, ty: &Option<TokenStream>| match ty {
        Some(ty) => quote! { #binding: #ty },
        None => binding.to_token_stream(),
    };
    // `wrapper(value)`, spanned at the wrapper's origin (the return type) but for the
    // value: the value is first bound with its expected type written out, so that a
    // return type that is not a `Result` is reported on that type, once, while a value
    // of the wrong type is still reported on the alternative that produced it.
    let wrap = |wrapper: &TokenStream, ty: &Option<TokenStream>, value: &TokenStream| {
        let span = first_span(wrapper);
        let bound = Ident::new("__fallback_value", Span::mixed_site().located_at(span));
        let binding = typed(&bound, ty);
        quote_spanned! {span=> {
            let #binding = #value;
            #wrapper(#bound)
        }}
    };
    let accepts = |value: &Ident| {
        chain.filter.map(|filter| {
            let span = first_span(filter);
            let krate = respan(chain.krate, span);
            let error = error.clone().unwrap_or_else(|| quote!(_));
            quote_spanned! {span=> #krate::__private::accepts::<#error, _>(&#value, #filter) }
        })
    };
    // Without a declared type, values pass through `Agree`, which makes the attempts
    // agree with the first on it (see `fallback_core::__private::Agree`).
    let agree = agree_ident();
    // Where a missing `From` is reported: see `Chain::conversions_at_declared_type`.
    let conversion_span = |err: &Ident, error: &TokenStream| {
        if chain.conversions_at_declared_type {
            first_span(error)
        } else {
            err.span()
        }
    };
    // An attempt's error on its way: kept as the chain's error type (`keep`), or dropped
    // without paying for a conversion that is still checked to exist.
    let pass_error = |err: &Ident, index: usize, keep: bool| match error {
        Some(error) => {
            let span = conversion_span(err, error);
            let krate = respan(chain.krate, span);
            let error = respan(error, span);
            let helper = Ident::new(if keep { "convert" } else { "discard" }, span);
            quote_spanned! {span=> #krate::__private::#helper::<#error, _>(#err) }
        }
        None => {
            let method = match (keep, index) {
                (true, 0) => "first_error",
                (true, _) => "error",
                (false, 0) => "discard_first",
                (false, _) => "discard",
            };
            let method = Ident::new(method, err.span());
            quote_spanned! {err.span()=> #agree.#method(#err) }
        }
    };
    let convert = |err: &Ident, index: usize| pass_error(err, index, true);
    let discard = |err: &Ident, index: usize| pass_error(err, index, false);
    let success = |ok: &Ident, index: usize| match &chain.ok {
        Some(_) => ok.to_token_stream(),
        None if index == 0 => quote_spanned! {ok.span()=> #agree.first_ok(#ok) },
        None => quote_spanned! {ok.span()=> #agree.ok(#ok) },
    };
    let kept = |index: usize| format_ident!("__fallback_err{}", index, span = Span::mixed_site());
    let previous =
        |index: usize| format_ident!("__fallback_previous{}", index, span = Span::mixed_site());

    let last = chain.attempts.len() - 1;
    let total = chain.attempts.len();
    let mut statements = TokenStream::new();
    if chain.ok.is_none() || error.is_none() {
        let krate = chain.krate;
        let ok = chain.ok.clone().unwrap_or_else(|| quote!(_));
        let error = error.clone().unwrap_or_else(|| quote!(_));
        statements.extend(quote! {
            let #agree = #krate::__private::Agree::<#ok, #error>::new();
        });
    }
    let mut failures = Vec::new();
    for (index, attempt) in chain.attempts.iter().enumerate() {
        let span = attempt.span;
        let krate = respan(chain.krate, span);
        let ok = Ident::new("__fallback_ok", Span::mixed_site().located_at(span));
        let err = Ident::new("__fallback_err", Span::mixed_site().located_at(span));
        let outcome = match (&attempt.previous, index) {
            (Some(name), 1..) => {
                let source = if chain.collect {
                    kept(index - 1)
                } else {
                    previous(index - 1)
                };
                let outcome = &attempt.outcome;
                quote! {{
                    let #name = &#source;
                    #outcome
                }}
            }
            _ => attempt.outcome.clone(),
        };
        let scrutinee = quote_spanned! {span=> #krate::__private::outcome(#outcome) };
        let served = wrap(wrap_ok, &chain.ok, &success(&ok, index));
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
            let converted = convert(&err, index);
            statements.extend(quote_spanned! {span=>
                let #binding = match #scrutinee {
                    ::core::result::Result::Ok(#ok) => return #served,
                    ::core::result::Result::Err(#err) => #converted,
                };
            });
            let all_failed = wrap(
                wrap_err,
                &chain.returned_error,
                &quote! { #krate::__private::all_failed(#total, [#(#failures),*]) },
            );
            if is_last {
                statements.extend(all_failed);
            } else if let Some(accepted) = accepts(&kept) {
                statements.extend(quote! {
                    if !#accepted {
                        return #all_failed;
                    }
                });
            }
        } else if is_last {
            let failed = wrap(wrap_err, &chain.returned_error, &convert(&err, index));
            statements.extend(quote_spanned! {span=>
                match #scrutinee {
                    ::core::result::Result::Ok(#ok) => #served,
                    ::core::result::Result::Err(#err) => #failed,
                }
            });
        } else {
            // What the `Err` arm does: convert the error if anything will look at it,
            // ask the filter, and hand the error on if the next attempt wants it.
            let mut on_error = TokenStream::new();
            if chain.filter.is_some() || next_wants_error {
                let binding = typed(&err, error);
                let converted = convert(&err, index);
                on_error.extend(quote_spanned! {span=> let #binding = #converted; });
            }
            if let Some(accepted) = accepts(&err) {
                let stopped = wrap(wrap_err, &chain.returned_error, &err.to_token_stream());
                on_error.extend(quote_spanned! {span=>
                    if !#accepted {
                        return #stopped;
                    }
                });
            }
            let matched = |on_error: TokenStream| {
                quote_spanned! {span=>
                    match #scrutinee {
                        ::core::result::Result::Ok(#ok) => return #served,
                        ::core::result::Result::Err(#err) => { #on_error }
                    }
                }
            };
            if next_wants_error {
                let previous = typed(&previous(index), error);
                let matched = matched(quote! { #on_error #err });
                statements.extend(quote! { let #previous = #matched; });
            } else if chain.filter.is_some() {
                statements.extend(matched(on_error));
            } else {
                statements.extend(matched(discard(&err, index)));
            }
        }
    }
    statements
}

/// `tokens` placed at `span` for error reports, each keeping its own hygiene: the
/// runtime path in code about an alternative must point at that alternative, not at the
/// attribute.
fn respan(tokens: &TokenStream, span: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut tree| {
            if let TokenTree::Group(group) = &tree {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(&group.stream(), span));
                inner.set_span(group.span().located_at(span));
                tree = TokenTree::Group(inner);
            } else {
                tree.set_span(tree.span().located_at(span));
            }
            tree
        })
        .collect()
}

/// A `#[fallback]` function, expanded.
///
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

    let last = alternatives.len() - 1;
    let attempts = alternatives
        .iter()
        .enumerate()
        .map(|(index, alternative)| Attempt {
            name: alternative.name.clone(),
            span: alternative.span(),
            outcome: match &alternative.callee {
                Callee::Call(callee) => call(function, callee, index == last, &krate),
                Callee::Body(body) => body_call(function, body, &krate),
                Callee::Attempt(expr) => awaited(expr, function.is_async()),
            },
            previous: alternative.previous.clone(),
        })
        .collect();
    // Everything about the declared return type is spanned at it, so that one which is
    // not a `Result` gives one error, there.
    let ret_span = first_span(ret);
    // The exact span, not only its location: then every use of the projection below is
    // the user's return type to the compiler, and a return type that is not a `Result`
    // gives the same error everywhere, which the compiler reports once.
    let ret_krate: TokenStream = krate
        .clone()
        .into_iter()
        .map(|mut tree| {
            tree.set_span(ret_span);
            tree
        })
        .collect();
    let fallback_result =
        quote_spanned! {ret_span=> <#ret as #ret_krate::__private::FallbackResult> };
    let returned_error = quote_spanned! {ret_span=> #fallback_result::Err };
    let (error, collect) = match &function.mode {
        ErrorMode::Last => (returned_error.clone(), false),
        ErrorMode::All(error) => (error.to_token_stream(), true),
    };
    let body = chain(&Chain {
        krate: &krate,
        attempts,
        filter: options.on.as_ref(),
        ok: Some(quote_spanned! {ret_span=> #fallback_result::Ok }),
        error: Some(error),
        returned_error: Some(returned_error),
        wrap_ok: quote_spanned! {ret_span=> #ret_krate::__private::ok::<#ret, _> },
        wrap_err: quote_spanned! {ret_span=> #ret_krate::__private::err::<#ret, _> },
        collect,
        conversions_at_declared_type: true,
    });
    let Function {
        attrs, vis, sig, ..
    } = function;
    // An `unsafe fn` keeps calling its alternatives in an unsafe context (edition 2024
    // no longer gives its body one).
    let (unsafe_attr, body) = match sig.safety {
        syn::Safety::Unsafe(_) => (quote!(#[allow(unused_unsafe)]), quote!(unsafe { #body })),
        _ => (quote!(), body),
    };
    quote! {
        #(#attrs)*
        #unsafe_attr
        // The parameters are passed on by name, whatever they are called.
        #[allow(clippy::used_underscore_binding)]
        #vis #sig {
            #body
        }
    }
}

/// The local holding the `Agree` witness of a chain without declared types.
fn agree_ident() -> Ident {
    Ident::new("__fallback_agree", Span::mixed_site())
}

/// `expr.await` in an `async` chain, `expr` in a plain one.
fn awaited(expr: &Expr, is_async: bool) -> TokenStream {
    let span = first_span(expr);
    if is_async {
        quote_spanned! {span=> #expr.await }
    } else {
        expr.to_token_stream()
    }
}

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
    let agree = agree_ident();
    // An `async` block is told the chain's types, so that what its body leaves open is
    // inferred (the other operands' types are their own, and are checked against them).
    let expect = if options.error.is_some() {
        quote!(expect_ok)
    } else {
        quote!(expect)
    };
    let attempts = alternatives
        .iter()
        .map(|alternative| Attempt {
            name: alternative.name.clone(),
            span: alternative.span(),
            outcome: match &alternative.callee {
                Callee::Attempt(expr @ Expr::Async(_)) => {
                    let span = first_span(expr);
                    quote_spanned! {span=> #agree.#expect(#expr).await }
                }
                Callee::Attempt(expr) | Callee::Call(expr) => awaited(expr, true),
                Callee::Body(body) => quote! { #body },
            },
            previous: alternative.previous.clone(),
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
    let body = chain(&Chain {
        krate: &krate,
        attempts,
        filter: options.on.as_ref(),
        ok: None,
        error,
        returned_error,
        wrap_ok: quote!(::core::result::Result::Ok),
        wrap_err: quote!(::core::result::Result::Err),
        collect,
        conversions_at_declared_type: false,
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

/// Keep in step with `fallback_core::__private::MAX_CLOSURE_ARITY`.
const MAX_CLOSURE_ARITY: usize = 12;

/// `alternative(args)`, awaited in an `async` function.
fn call(function: &Function, callee: &Expr, is_last: bool, krate: &TokenStream) -> TokenStream {
    let span = first_span(callee);
    let args: Vec<_> = function
        .params
        .iter()
        .map(|param| pass(param, is_last, krate))
        .collect();
    let call = match callee {
        Expr::Path(_) => quote_spanned! {span=> #callee(#(#args),*) },
        // A closure goes through `callN`, which gives it its parameter types from the
        // arguments (see `fallback_core::__private::call_with`).
        Expr::Closure(_) if args.len() <= MAX_CLOSURE_ARITY => {
            let helper = format_ident!("call{}", args.len(), span = span);
            let krate = respan(krate, span);
            quote_spanned! {span=> #krate::__private::#helper(#callee, #(#args),*) }
        }
        _ => quote_spanned! {span=> (#callee)(#(#args),*) },
    };
    if function.is_async() {
        quote_spanned! {span=> #call.await }
    } else {
        call
    }
}

/// How one attempt receives a parameter: references as they are, `&mut` reborrowed,
/// owned values cloned, and everything moved into the last attempt.
fn pass(param: &Param, is_last: bool, krate: &TokenStream) -> TokenStream {
    let binding = &param.binding;
    match (param.passing, is_last) {
        (Passing::Shared, _) | (_, true) => binding.clone(),
        (Passing::Unique, false) => quote! { &mut *#binding },
        (Passing::PinnedUnique, false) => quote! { #binding.as_mut() },
        (Passing::OptionalUnique, false) => quote! { #binding.as_deref_mut() },
        (Passing::Owned, false) => {
            let krate = respan(krate, param.ty_span);
            quote_spanned! {param.ty_span=> #krate::__private::CloneArg::clone_arg(&#binding) }
        }
    }
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
fn body_call(function: &Function, body: &Block, krate: &TokenStream) -> TokenStream {
    let used = idents_in(body.to_token_stream());
    let copies = function
        .params
        .iter()
        .filter(|param| param.receiver.is_none())
        .filter(|param| param.passing != Passing::Shared || param.mutability.is_some())
        .filter(|param| used.iter().any(|ident| param.binding.to_string() == *ident))
        .map(|param| {
            let binding = &param.binding;
            let mutability = param.mutability;
            let value = match param.passing {
                Passing::Shared => binding.clone(),
                _ => pass(param, false, krate),
            };
            quote! {
                #[allow(unused_variables, clippy::shadow_reuse, clippy::shadow_same)]
                let #mutability #binding = #value;
            }
        });
    let ret = &function.ret;
    let body_ret = match &function.mode {
        ErrorMode::Last => ret.to_token_stream(),
        ErrorMode::All(error) => quote! {
            ::core::result::Result<<#ret as #krate::__private::FallbackResult>::Ok, #error>
        },
    };
    if function.is_async() {
        // The first `return` fixes the block's return type to the declared one, so that
        // the body's `return`s and tail coerce to it (`Box<E>` to `Box<dyn Error>`,
        // `&String` to `&str`) as they would in the function itself.
        let r = Ident::new("__fallback_returned", Span::mixed_site());
        quote! {{
            #(#copies)*
            async {
                if let ::core::option::Option::Some(#r) = #krate::__private::no_value::<#body_ret>() {
                    return #r;
                }
                #body
            }
            .await
        }}
    } else {
        quote! {{
            #(#copies)*
            #krate::__private::run_body(|| -> #body_ret #body)
        }}
    }
}

/// Every identifier in `tokens`, nested groups included.
fn idents_in(tokens: TokenStream) -> Vec<String> {
    let mut idents = Vec::new();
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) => idents.push(ident.to_string()),
            TokenTree::Group(group) => idents.extend(idents_in(group.stream())),
            TokenTree::Punct(_) | TokenTree::Literal(_) => {}
        }
    }
    idents
}
