//! The names of the generated locals, made here once. Every one is at
//! `Span::mixed_site()`, so it can neither capture nor shadow a name of the user's;
//! `local_at` keeps that hygiene but reports errors at the user's token it stands for.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

/// A `#[fallback]` chain's name in its events and traces: the function's path.
pub fn function_chain(function: &Ident) -> TokenStream {
    let name = function.to_string();
    quote! { ::core::concat!(::core::module_path!(), "::", #name) }
}

/// A `fallback_chain!`'s name in its events and traces: where it is.
pub fn inline_chain() -> TokenStream {
    quote! { ::core::concat!(::core::module_path!(), ":", ::core::line!()) }
}

/// `__fallback_{name}`.
pub fn local(name: &str) -> Ident {
    format_ident!("__fallback_{}", name, span = Span::mixed_site())
}

/// `__fallback_{name}`, reported at `span`.
pub fn local_at(name: &str, span: Span) -> Ident {
    format_ident!(
        "__fallback_{}",
        name,
        span = Span::mixed_site().located_at(span)
    )
}

/// The local keeping attempt `index`'s error: for the filter, for `AllFailed`, or for
/// the next attempt's `err =>`.
pub fn kept(index: usize) -> Ident {
    format_ident!("__fallback_err{}", index, span = Span::mixed_site())
}

/// The local keeping attempt `index`'s error for the next attempt's `err =>`, in a
/// chain with policies.
pub fn previous(index: usize) -> Ident {
    format_ident!("__fallback_previous{}", index, span = Span::mixed_site())
}

/// The local holding the `Agree` witness of a chain without declared types.
pub fn agree() -> Ident {
    local("agree")
}

/// The `static` holding the breakers of a chain with `cooldown`.
pub fn breakers() -> Ident {
    format_ident!("__FALLBACK_BREAKERS", span = Span::mixed_site())
}

/// The name under which a chain's code imports the runtime's private items
/// (`krate::__private`), spanned at `span`: a path to them in two tokens, not six.
pub(crate) fn runtime_at(span: Span) -> Ident {
    Ident::new("__fallback_rt", Span::mixed_site().located_at(span))
}

/// The constant holding the chain's name.
pub(crate) fn chain_name() -> Ident {
    quote::format_ident!("__FALLBACK_CHAIN", span = Span::mixed_site())
}
