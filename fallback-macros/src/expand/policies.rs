//! What the time and health options' code asks of a chain (the timed and hedged
//! engines): the observer, the judges of an error (`on`, `retry_on`, `retry_after`,
//! `reject`), the time options' and `catch_panic`'s errors, and where the errors go.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::Expr;

use super::names::{agree, local};
use super::{respan, Chain};
use crate::model::first_span;

impl Chain<'_> {
    /// The `observe = ..` hook, told the chain's error type (`Unobserved` without one),
    /// evaluated once as the chain starts.
    pub(super) fn observer(&self) -> TokenStream {
        let krate = self.krate;
        let Some(hook) = self.policies.observe.as_ref() else {
            return match &self.error {
                Some(error) => quote! { #krate::__private::Unobserved::<#error>::new() },
                None => {
                    let agree = agree();
                    quote! { #agree.unobserved() }
                }
            };
        };
        let span = first_span(hook);
        let krate = respan(krate, span);
        match &self.error {
            Some(error) => quote_spanned! {span=> #krate::__private::observer::<#error, _>(#hook) },
            None => {
                let agree = agree();
                quote_spanned! {span=> #agree.observer(#hook) }
            }
        }
    }

    /// The filter, as a reference to an `impl Filter<E>`: a closure that evaluates the
    /// `on = ..` expression where a decision is needed, or `&AnyError`.
    pub(super) fn filter_ref(&self) -> TokenStream {
        self.judge_ref(self.filter, "accepts", "AnyError")
    }

    /// `retry_on = ..` as an `impl Filter<E>`, or `&AnyError`: every error that moves on
    /// is retried.
    pub(super) fn retry_on_ref(&self) -> TokenStream {
        self.judge_ref(self.policies.retry_on.as_ref(), "accepts", "AnyError")
    }

    /// `retry_after = ..` as an `impl RetryAfter<E>`, or `&NoHint`.
    pub(super) fn retry_after_ref(&self) -> TokenStream {
        self.judge_ref(self.policies.retry_after.as_ref(), "retry_after", "NoHint")
    }

    /// A reference to a closure that asks `expr` about an error through the helper
    /// `asks` (whose bound reports an `expr` of the wrong type on it), evaluating it
    /// where a decision is needed; `&default` without one.
    pub(super) fn judge_ref(&self, expr: Option<&Expr>, asks: &str, default: &str) -> TokenStream {
        let krate = self.krate;
        let Some(expr) = expr else {
            let default = Ident::new(default, Span::call_site());
            return quote! { &#krate::__private::#default };
        };
        let span = first_span(expr);
        let krate = respan(krate, span);
        let asks = Ident::new(asks, span);
        let error = self.error.clone().unwrap_or_else(|| quote!(_));
        let judged = local("judged");
        quote_spanned! {span=>
            &|#judged: &_| #krate::__private::#asks::<#error, _>(#judged, #expr)
        }
    }

    /// A timeout (`Elapsed`) as the chain's error, reported on the time option if it
    /// cannot be.
    pub(super) fn elapsed_into(&self, elapsed: &Ident) -> TokenStream {
        let policies = &self.policies;
        let span = policies
            .elapsed_at
            .or(policies.clock)
            .unwrap_or_else(Span::call_site);
        self.made_into(span, elapsed, "elapsed_into", "elapsed")
    }

    /// A caught panic (`panicked`, a `Panicked`) as the chain's error, reported on
    /// `catch_panic` if it cannot be.
    pub(super) fn panicked_into(&self, panicked: &Ident) -> TokenStream {
        let span = self.policies.catch_panic.unwrap_or_else(Span::call_site);
        self.made_into(span, panicked, "panicked_into", "panicked")
    }

    /// `value`, made by the runtime, as the chain's error, spanned at `span` (the option
    /// that makes it): through the helper `into` (`into::<E>(value)`) with a declared
    /// error type, else through the `Agree` witness's method `agreed`.
    fn made_into(&self, span: Span, value: &Ident, into: &str, agreed: &str) -> TokenStream {
        match &self.error {
            Some(error) => {
                let krate = respan(self.krate, span);
                let error = respan(error, span);
                let into = Ident::new(into, span);
                quote_spanned! {span=> #krate::__private::#into::<#error>(#value) }
            }
            None => {
                let agree = agree();
                let agreed = Ident::new(agreed, span);
                quote_spanned! {span=> #agree.#agreed(#value) }
            }
        }
    }

    /// `Some(tokens)` of whether `reject = ..` refuses the value `ok`, and the error it
    /// becomes; `None` without `reject`.
    pub(super) fn rejects(&self, ok: &Ident) -> Option<(TokenStream, TokenStream)> {
        let reject = self.policies.reject.as_ref()?;
        let span = first_span(reject);
        let krate = respan(self.krate, span);
        let asks = quote_spanned! {span=> #krate::__private::rejects(&#ok, #reject) };
        let error = match &self.error {
            Some(error) => {
                let error = respan(error, span);
                quote_spanned! {span=> #krate::__private::rejected_into::<#error>() }
            }
            None => {
                let agree = agree();
                quote_spanned! {span=> #agree.rejected() }
            }
        };
        Some((asks, error))
    }

    /// The chain's error made by the sink from `kept`, the last error it kept (every
    /// error, collecting), as the chain returns it.
    pub(super) fn fail(&self, sink: &Ident, kept: &Ident) -> TokenStream {
        let krate = self.krate;
        let total = self.attempts.len();
        let failed = match &self.error {
            Some(error) => {
                quote! { #krate::__private::Sink::<#error>::fail(&mut #sink, #kept, #total) }
            }
            None => {
                let agree = agree();
                quote! { #agree.fail(&mut #sink, #kept, #total) }
            }
        };
        self.wrap_error(&failed).into_token_stream()
    }

    /// The sink of a chain: every error (collecting), a count of them (`Served`), or
    /// only the last.
    pub(super) fn sink(&self) -> TokenStream {
        let krate = self.krate;
        if self.collect {
            quote! { #krate::__private::Collected::default() }
        } else if self.served.is_some() {
            quote! { #krate::__private::Tally(0) }
        } else {
            quote! { #krate::__private::Discard }
        }
    }
}
