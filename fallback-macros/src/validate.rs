//! Stage 3, rules across options: checks only, nothing is built here.

use proc_macro2::Span;

use crate::errors::Errors;
use crate::model::{Function, Options, ReceiverKindSeen};

/// The rules of `#[fallback]` that involve more than one option, or an option and the
/// function: every broken one is reported.
pub fn function(options: &Options, function: &Function) -> syn::Result<()> {
    let mut errors = Errors::default();
    if !options.written("then") {
        errors.push(syn::Error::new(
            Span::call_site(),
            "missing `then = [...]`: name at least one fallback, \
             e.g. `#[fallback(primary = a, then = [b])]`",
        ));
    }
    match (&options.primary, &function.body) {
        (Some((key, _)), Some(_)) => errors.push(syn::Error::new(
            key.span(),
            format!(
                "`{}` has a body and a `primary`, so the body would never run; \
                 remove `primary = ...` to make the body the primary, \
                 or end the signature with `;` to make a dispatcher",
                function.sig.ident
            ),
        )),
        (None, None) if !options.written("primary") => errors.push(syn::Error::new(
            function.sig.ident.span(),
            format!(
                "`{}` has no body and no `primary`: add `primary = first_alternative` \
                 to the attribute, or give the function a body to serve as the primary",
                function.sig.ident
            ),
        )),
        (None, Some(_)) => {
            let by_value = function
                .params
                .iter()
                .find(|param| param.receiver == Some(ReceiverKindSeen::Value));
            if let Some(receiver) = by_value {
                errors.push(syn::Error::new(
                    receiver.ty_span,
                    "a body that takes `self` by value cannot be the primary: it would consume \
                     `self` before the fallbacks run; move the body into its own method and \
                     name it with `primary = Self::method`",
                ));
            }
        }
        (Some(_), None) | (None, None) => {}
    }
    if let Some(constness) = &function.sig.constness {
        errors.push(syn::Error::new(
            constness.span,
            "a `#[fallback]` function cannot be `const`: remove `const`",
        ));
    }
    errors.finish()
}
