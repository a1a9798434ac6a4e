//! The `#[fallback]` front end: parse, model, validate, expand; on any mistake, the
//! user's function is still emitted so that one mistake gives one error.

use proc_macro2::TokenStream;
use quote::quote;

use crate::errors::Errors;
use crate::model::{Function, Options};
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
    let options = syn::parse2::<OptionList>(args).map(|list| Options::from_list(list, &mut errors));
    let function = Function::from_item(fn_item.clone(), &mut errors);
    match (options, function) {
        (Ok(options), Some(function)) => {
            errors.take(validate::function(&options, &function));
            match errors.finish() {
                Ok(()) => expand::function(&function, &options),
                Err(error) => stand_in(fn_item, error),
            }
        }
        (Err(error), _) => {
            errors.push(error);
            stand_in(fn_item, errors.finish().unwrap_err())
        }
        (Ok(_), None) => stand_in(fn_item, errors.finish().unwrap_err()),
    }
}

/// The user's function as written, plus the errors: a function with a body keeps it; a
/// bodyless one gets a body that type-checks, so callers compile and only the real
/// mistake is reported.
fn stand_in(item: FnItem, error: syn::Error) -> TokenStream {
    let FnItem {
        attrs,
        vis,
        sig,
        body,
    } = item;
    let error = error.to_compile_error();
    let body = match body {
        Some(body) => quote! { #body },
        // No formatting: the stand-in must also be valid in a `const fn`.
        None => quote! {{ ::core::unimplemented!() }},
    };
    quote! {
        #(#attrs)*
        #[allow(unused_variables, unused_mut)]
        #vis #sig #body
        #error
    }
}
