//! The `fallback_chain!` front end: split the operands, read the options, validate,
//! expand with the engine `#[fallback]` uses. On a mistake the errors come with the
//! best expansion possible, so that the code around the macro still type-checks and
//! one mistake gives one error.

use proc_macro2::TokenStream;
use quote::quote;

use crate::errors::Errors;
use crate::model::{Alternative, Options, CHAIN_OPTIONS};
use crate::parse::{self, OptionList};
use crate::{expand, validate};

/// `fallback_chain!(input)`, expanded.
pub fn expand(input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let Some(parsed) = errors.take(parse::chain_input(input)) else {
        return with_errors(errors, None, &quote!(::fallbacks));
    };
    let alternatives: Vec<Alternative> = parsed
        .operands
        .into_iter()
        .map(Alternative::from_operand)
        .collect();
    if let Some(error) = validate::options_first(&alternatives) {
        errors.push(error);
        return with_errors(errors, None, &quote!(::fallbacks));
    }
    let options = syn::parse2::<OptionList>(parsed.options)
        .map(|list| Options::from_list(list, CHAIN_OPTIONS, &mut errors));
    let options = errors.take(options).unwrap_or_default();
    errors.extend(validate::policies(&options));
    let collects = options.error.as_ref().is_some_and(|error| {
        matches!(
            crate::model::error_mode_of_error(error),
            crate::model::ErrorMode::All(_)
        )
    });
    let operands: Vec<&Alternative> = alternatives.iter().collect();
    // A stream chain with a mistake is not expanded: its expansion would need the
    // `stream` feature to type-check, and the error must read the same without it.
    let stream_mistake = validate::stream(&operands, &options);
    let stream_valid = stream_mistake.is_none();
    errors.extend(stream_mistake);
    let streams = options.stream.is_some();
    if !streams {
        errors.extend(validate::previous_with_cooldown(&operands, &options));
        errors.extend(validate::hedge(&operands, &options, collects));
    }
    let valid = errors.take(validate::chain(&alternatives)).is_some() && stream_valid;
    let expansion = valid.then(|| {
        if streams {
            expand::stream_inline(&alternatives, &options)
        } else {
            expand::inline(&alternatives, &options)
        }
    });
    with_errors(errors, expansion, &options.krate())
}

/// The expansion, preceded by the errors if there are any. Without an expansion, a
/// stand-in future of any output type takes its place.
fn with_errors(errors: Errors, expansion: Option<TokenStream>, krate: &TokenStream) -> TokenStream {
    let expansion = expansion.unwrap_or_else(|| quote! { #krate::__private::StandIn::new() });
    match errors.finish() {
        Ok(()) => expansion,
        Err(error) => {
            let error = error.to_compile_error();
            quote! {{
                #error
                #expansion
            }}
        }
    }
}
