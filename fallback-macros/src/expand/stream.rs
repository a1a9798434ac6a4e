//! `fallback_chain!(a(&req) | b(&req), stream)`: the operands open streams, and the
//! chain is the runtime's stream chain over them (`try_each(..).stream()`, with the
//! chain's options as its builder's), each operand's opening and stream one variant of
//! an enum of the operands' own types (`OpenN`, `EitherN`): nothing boxed.
//!
//! ```text
//! // Input: fallback_chain!(a(&req) | b(&req), stream, on = f, first_item_timeout = "5s")
//! // Output:
//! try_each(0..2usize, |index: usize| match index {
//!     0usize => Open2::A { open: a(&req) },
//!     _ => Open2::B { open: b(&req) },
//! })
//! .name(|index: &usize| ["a(&req)", "b(&req)"][*index])
//! .on(f)
//! .first_item_timeout(5s)
//! .empty_is_failure() // with `empty_is_failure`
//! .when_empty(never_empty)
//! .stream()
//! .__named(concat!(module_path!(), ":", line!())) // the chain's name in its events
//! ```

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};

use super::names::{breakers, function_chain, inline_chain, local};
use crate::model::{
    error_mode_of_error, stream_item, Alternative, Callee, ErrorMode, Function, Options, Policies,
};

/// The variants of `OpenN` and `EitherN`, in order.
const VARIANTS: [&str; 8] = ["A", "B", "C", "D", "F", "G", "H", "I"];

/// The stream chain's expression.
pub fn stream_inline(alternatives: &[Alternative], options: &Options) -> TokenStream {
    let operands = alternatives
        .iter()
        .map(|alternative| match &alternative.callee {
            Callee::Attempt(expr) | Callee::Call(expr) => expr.to_token_stream(),
            Callee::Body(body) => quote! { async #body },
        })
        .collect();
    let names = alternatives
        .iter()
        .map(|alternative| alternative.name.clone())
        .collect();
    let collects = options
        .error
        .as_ref()
        .is_some_and(|error| matches!(error_mode_of_error(error), ErrorMode::All(_)));
    chain(operands, names, options, false, collects, inline_chain())
}

/// A `#[fallback(.., stream)]` function: its alternatives called with (copies of) its
/// arguments when their turn comes, in a stream chain it returns.
///
/// ```text
/// // Input: #[fallback(primary = a, then = [b], stream)]
/// //        fn chat(&self, prompt: String) -> impl Stream<Item = Result<T, E>> + '_;
/// // Output:
/// fn chat(&self, prompt: String) -> impl Stream<Item = Result<T, E>> + '_ {
///     try_each(0..2usize, move |index: usize| match index {
///         0usize => Open2::A { open: a(self, clone_arg(&prompt)) },
///         _ => Open2::B { open: b(self, clone_arg(&prompt)) },
///     }) /* .name(..), the options */ .stream()
/// }
/// ```
pub fn stream_function(function: &Function, options: &Options) -> TokenStream {
    let krate = options.krate();
    let alternatives: Vec<&Alternative> = options
        .primary
        .iter()
        .map(|(_, primary)| primary)
        .chain(options.then.iter().flat_map(|(_, then)| then))
        .collect();
    let operands = alternatives
        .iter()
        .map(|alternative| match &alternative.callee {
            Callee::Call(callee) => super::function::call(function, callee, false, &krate),
            Callee::Attempt(expr) => expr.to_token_stream(),
            Callee::Body(body) => quote! { async #body },
        })
        .collect();
    let names = alternatives
        .iter()
        .map(|alternative| alternative.name.clone())
        .collect();
    let collects = stream_item(&function.ret)
        .map(|(_, error)| error)
        .is_some_and(|error| matches!(error_mode_of_error(error), ErrorMode::All(_)));
    let name = function_chain(&function.sig.ident);
    let body = chain(operands, names, options, true, collects, name);
    let Function {
        attrs, vis, sig, ..
    } = function;
    quote! {
        #(#attrs)*
        #vis #sig {
            #body
        }
    }
}

/// The chain over `operands` (futures opening streams), named `names`; `moves`: the
/// closure takes what it uses (a function's arguments, for the stream it returns);
/// `name`: the chain's, in its events (as the macros' other chains are named).
fn chain(
    operands: Vec<TokenStream>,
    names: Vec<String>,
    options: &Options,
    moves: bool,
    collects: bool,
    name: TokenStream,
) -> TokenStream {
    let krate = options.krate();
    let policies = Policies::of(options);
    let total = operands.len();
    let open = format_ident!("Open{}", total);
    let index = local("index");
    let last = total - 1;
    let arms = operands.iter().enumerate().map(|(at, operand)| {
        let variant = Ident::new(VARIANTS[at], Span::call_site());
        let pattern = if at == last { quote!(_) } else { quote!(#at) };
        quote! { #pattern => #krate::__private::#open::#variant { open: #operand }, }
    });
    let capture = moves.then(|| quote!(move));
    let mut chain = quote! {
        #krate::__private::try_each(0..#total, #capture |#index: usize| match #index { #(#arms)* })
            .name(|#index: &usize| [#(#names),*][*#index])
    };
    // `.method(args)`, its name spanned at `span` (where a missing bound is reported).
    let call_at = |chain: &mut TokenStream, method: &str, span: Span, args: TokenStream| {
        let method = Ident::new(method, span);
        chain.extend(quote! { .#method(#args) });
    };
    let call = |chain: &mut TokenStream, method: &str, args: TokenStream| {
        call_at(chain, method, Span::call_site(), args)
    };
    for (method, value) in [
        ("on", options.on.as_ref().map(ToTokens::to_token_stream)),
        (
            "retry_on",
            policies.retry_on.as_ref().map(ToTokens::to_token_stream),
        ),
        (
            "retry_after",
            policies.retry_after.as_ref().map(ToTokens::to_token_stream),
        ),
        ("timeout", policies.timeout.clone()),
        ("deadline", policies.deadline.clone()),
        ("retries", policies.retries.clone()),
        ("backoff", policies.backoff.clone()),
        (
            "observe",
            policies.observe.as_ref().map(ToTokens::to_token_stream),
        ),
        ("first_item_timeout", policies.first_item_timeout.clone()),
        ("idle_timeout", policies.idle_timeout.clone()),
    ] {
        if let Some(value) = value {
            call(&mut chain, method, value);
        }
    }
    if let Some(cooldown) = &policies.cooldown {
        let health = match &policies.health {
            // Of the chain's count, as for the other chains (checked by its type).
            Some(health) => {
                let span = crate::model::first_span(health);
                let krate = super::respan(&krate, span);
                quote_spanned! {span=> #krate::__private::stream_health::<#total, _>(#health) }
            }
            None => {
                let shared = breakers();
                quote! {{
                    static #shared: #krate::Health<#total> = #krate::Health::new();
                    &#shared
                }}
            }
        };
        call(&mut chain, "cooldown", quote! { #cooldown, #health });
        if let Some(trip_after) = &policies.trip_after {
            call(&mut chain, "trip_after", trip_after.clone());
        }
    }
    if policies.catch_panic.is_some() {
        call(&mut chain, "catch_panic", TokenStream::new());
    }
    // Spanned at the option, where a missing `From<Rejected>` for the error is reported.
    if let Some(key) = &options.empty_is_failure {
        call_at(
            &mut chain,
            "empty_is_failure",
            key.span(),
            TokenStream::new(),
        );
    }
    // `AllFailed<E>` as the stream's error: every error, collected.
    let empty = if collects {
        "__all_failed_when_empty"
    } else {
        "when_empty"
    };
    call(&mut chain, empty, quote! { #krate::__private::never_empty });
    let mode = match options.stream.as_ref().and_then(|(_, mode)| mode.as_ref()) {
        Some(mode) if mode.value() == "buffered" => "stream_buffered",
        Some(_) => "stream_restart",
        None => "stream",
    };
    call(&mut chain, mode, TokenStream::new());
    call(&mut chain, "__named", name);
    quote! { #krate::__private::stream_chain! { #chain } }
}
