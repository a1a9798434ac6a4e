//! The resolved plan of the time and health options: what the engines read, each value
//! already the tokens of its run-time expression (a literal checked at compile time
//! becomes a constant).

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Expr, Ident};

use super::{Options, Timed};

/// The time and health options of a chain; with none of them, the chain is the plain
/// sequence of `match`es.
#[derive(Default)]
pub struct Policies {
    /// Where the clock is started (the first time option written), if one is needed.
    pub clock: Option<Span>,
    /// Where the timeout's or deadline's error conversion is reported.
    pub elapsed_at: Option<Span>,
    /// Each a `Duration` (or a `u32` for the counts).
    pub timeout: Option<TokenStream>,
    pub deadline: Option<TokenStream>,
    pub retries: Option<TokenStream>,
    pub backoff: Option<TokenStream>,
    pub cooldown: Option<TokenStream>,
    pub trip_after: Option<TokenStream>,
    /// `hedge`: the delay before the next alternative starts alongside.
    pub hedge: Option<TokenStream>,
    pub observe: Option<Expr>,
}

impl Policies {
    /// The policies `options` ask for.
    pub fn of(options: &Options) -> Policies {
        let key_span = |timed: &Option<Timed>| timed.as_ref().map(|t| t.key.span());
        let duration = |timed: &Option<Timed>| timed.as_ref().map(|t| duration_tokens(t.value));
        let count = |count: &Option<(Ident, u32)>| count.as_ref().map(|(_, n)| quote!(#n));
        Policies {
            clock: options.clock_key().map(Ident::span),
            elapsed_at: key_span(&options.timeout).or(key_span(&options.deadline)),
            timeout: duration(&options.timeout),
            deadline: duration(&options.deadline),
            retries: count(&options.retries),
            backoff: duration(&options.backoff),
            cooldown: duration(&options.cooldown),
            trip_after: count(&options.trip_after),
            hedge: duration(&options.hedge),
            observe: options.observe.clone(),
        }
    }

    /// Whether any is asked for.
    pub fn any(&self) -> bool {
        self.clock.is_some() || self.observe.is_some()
    }

    /// Whether an attempt may run more than once (so that the last alternative cannot
    /// take the function's arguments by move).
    pub fn reruns(&self) -> bool {
        self.retries.is_some() || self.hedge.is_some()
    }
}

/// A literal duration as a constant.
fn duration_tokens(duration: std::time::Duration) -> TokenStream {
    let nanos = duration.as_nanos() as u64;
    quote! { ::core::time::Duration::from_nanos(#nanos) }
}
