//! The `#[fallback]` front end: parse, model, validate, expand; on any mistake, the
//! user's function is still emitted so that one mistake gives one error.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{FnArg, Pat, ReturnType};

use crate::errors::Errors;
use crate::model::{self, impl_trait_in, Callee, Function, Options, ATTRIBUTE_OPTIONS};
use crate::parse::{FnItem, OptionList};
use crate::{expand, validate};

/// `#[fallback(args)] item`, expanded.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let fn_item: FnItem = match syn::parse2(item.clone()) {
        Ok(fn_item) => fn_item,
        Err(error) => {
            let error = error.to_compile_error();
            return quote! { #item #error };
        }
    };
    let mut errors = Errors::default();
    let options = syn::parse2::<OptionList>(args)
        .map(|list| Options::from_list(list, ATTRIBUTE_OPTIONS, &mut errors));
    let options = errors.take(options);
    let streams = options
        .as_ref()
        .is_some_and(|options| options.stream.is_some());
    // Whether the return type may be any (a stream's): with `stream`, or when it was
    // written and refused (a bad value, a misspelling), or when the options could not
    // be read, whose error is then the one to report.
    let any_return = options
        .as_ref()
        .is_none_or(|options| options.stream.is_some() || options.written("stream"));
    let function = Function::from_item(fn_item.clone(), any_return, &mut errors);
    // The rules across options only make sense once each option could be read.
    if let (Some(options), Some(function)) = (&options, &function) {
        errors.take(validate::function(options, function));
    }
    match (errors.finish(), options, function) {
        (Ok(()), Some(options), Some(function)) if streams => {
            expand::stream_function(&function, &options)
        }
        (Ok(()), Some(options), Some(function)) => expand::function(&function, &options),
        (Err(error), options, _) => stand_in(fn_item, options.as_ref(), error),
        (Ok(()), _, _) => unreachable!("every `None` above comes with an error"),
    }
}

/// The user's function as written, plus the errors: a function with a body keeps it; a
/// bodyless one gets a body that type-checks, so callers compile and only the real
/// mistake is reported.
fn stand_in(item: FnItem, options: Option<&Options>, error: syn::Error) -> TokenStream {
    let error = error.to_compile_error();
    // A function that returns an `impl Stream` gets a stand-in stream even without
    // `stream` (an error then says to add it), not a `Result` the stream's bounds would
    // reject. (A concrete stream type, `BoxStream<..>`, takes `unimplemented!()`.)
    let returns_a_stream = match &item.sig.output {
        ReturnType::Type(_, ret) => {
            model::returns_a_stream(ret) && impl_trait_in(ret.to_token_stream()).is_some()
        }
        ReturnType::Default => false,
    };
    let streams = match options {
        Some(options) if options.stream.is_some() || returns_a_stream => Some(options.krate()),
        None if returns_a_stream => Some(quote!(::fallbacks)),
        _ => None,
    };
    let primary_call = options.and_then(|options| primary_call(&item, options));
    let FnItem {
        attrs,
        vis,
        sig,
        body,
    } = item;
    let body = match (body, primary_call) {
        (Some(body), _) => quote! { #body },
        // A stream chain's `impl Stream`: a stand-in stream (without the `stream`
        // feature, an error that says to enable it).
        (None, _) if streams.is_some() => {
            let krate = streams.unwrap_or_default();
            quote! {{ #krate::__private::stand_in_stream!() }}
        }
        // An `impl Trait` in the return type needs a value to infer it from.
        (None, Some(call)) => quote! {{ ::core::result::Result::Ok(#call?) }},
        // No formatting: the stand-in must also be valid in a `const fn`.
        (None, None) => quote! {{ ::core::unimplemented!() }},
    };
    quote! {
        #(#attrs)*
        #[allow(unused_variables, unused_mut)]
        #vis #sig #body
        #error
    }
}

/// `primary(args)` (awaited in an `async fn`), for a stand-in whose return type has an
/// `impl Trait` in it; `None` when there is no such need, or no way.
fn primary_call(item: &FnItem, options: &Options) -> Option<TokenStream> {
    let ReturnType::Type(_, ret) = &item.sig.output else {
        return None;
    };
    impl_trait_in(ret.to_token_stream())?;
    let (_, primary) = options.primary.as_ref()?;
    let Callee::Call(callee) = &primary.callee else {
        return None;
    };
    let args = item
        .sig
        .inputs
        .iter()
        .map(|arg| match arg {
            FnArg::Receiver(receiver) => Some(receiver.self_token.to_token_stream()),
            FnArg::Typed(typed) => match &*typed.pat {
                Pat::Ident(pat) => Some(pat.ident.to_token_stream()),
                _ => None,
            },
        })
        .collect::<Option<Vec<_>>>()?;
    let awaited = item.sig.asyncness.map(|_| quote!(.await));
    Some(quote! { (#callee)(#(#args),*) #awaited })
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use proptest::prelude::*;

    /// Token text from the macro's own vocabulary and beyond, nested in balanced groups.
    fn tokens() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("primary".to_string()),
            Just("then".to_string()),
            Just("on".to_string()),
            Just("crate".to_string()),
            Just("=".to_string()),
            Just(",".to_string()),
            Just("|".to_string()),
            Just("::".to_string()),
            Just("&".to_string()),
            Just("->".to_string()),
            Just(";".to_string()),
            Just("fn".to_string()),
            Just("async".to_string()),
            Just("self".to_string()),
            Just("Self".to_string()),
            Just("mut".to_string()),
            Just("Result".to_string()),
            Just("AllFailed".to_string()),
            Just("<".to_string()),
            Just(">".to_string()),
            Just("42".to_string()),
            Just("\"s\"".to_string()),
            "[a-z]{1,3}",
        ];
        leaf.prop_recursive(4, 48, 8, |inner| {
            (prop::collection::vec(inner, 0..8), 0..4usize).prop_map(|(items, delimiter)| {
                let body = items.join(" ");
                match delimiter {
                    0 => format!("({body})"),
                    1 => format!("[{body}]"),
                    2 => format!("{{{body}}}"),
                    _ => body,
                }
            })
        })
    }

    /// A mostly valid function around random pieces, to reach past the first check.
    fn item() -> impl Strategy<Value = String> {
        (tokens(), tokens(), prop::bool::ANY).prop_map(|(params, ret, body)| {
            let end = if body { "{ todo() }" } else { ";" };
            format!("async fn f({params}) -> {ret} {end}")
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn no_input_makes_the_macro_panic(args in tokens(), item in prop_oneof![tokens(), item()]) {
            let (Ok(args), Ok(item)) = (args.parse::<TokenStream>(), item.parse::<TokenStream>())
            else {
                return Ok(());
            };
            let output = super::expand(args, item);
            prop_assert!(!output.is_empty());
        }
    }
}
