//! The resolved plan of the time and health options: what the engines read, each value
//! already the tokens of its run-time expression (a literal checked at compile time
//! becomes a constant).

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{Expr, Ident};

use super::{expr_span, Options, Timed, Value};

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
    /// `retry_on = ..` and `retry_after = ..`.
    pub retry_on: Option<Expr>,
    pub retry_after: Option<Expr>,
    /// `health = ..`: where the breakers are, instead of a `static`.
    pub health: Option<Expr>,
    /// `reject = ..`.
    pub reject: Option<Expr>,
    /// `catch_panic`, where a missing `From<Panicked>` is reported.
    pub catch_panic: Option<Span>,
    /// `first_item_timeout`, `idle_timeout` (with `stream`).
    pub first_item_timeout: Option<TokenStream>,
    pub idle_timeout: Option<TokenStream>,
}

impl Policies {
    /// The policies `options` ask for.
    pub fn of(options: &Options) -> Policies {
        let krate = options.krate();
        let key_span = |timed: &Option<Timed>| timed.as_ref().map(|t| t.key.span());
        let duration = |timed: &Option<Timed>| {
            timed
                .as_ref()
                .map(|t| value_tokens(&t.value, &krate, "duration"))
        };
        let count = |count: &Option<(Ident, Value)>| {
            count
                .as_ref()
                .map(|(_, value)| value_tokens(value, &krate, "count"))
        };
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
            retry_on: options.retry_on.as_ref().map(|(_, expr)| expr.clone()),
            retry_after: options.retry_after.as_ref().map(|(_, expr)| expr.clone()),
            health: options.health.as_ref().map(|(_, expr)| expr.clone()),
            reject: options.reject.as_ref().map(|(_, expr)| expr.clone()),
            catch_panic: options.catch_panic.as_ref().map(Ident::span),
            first_item_timeout: duration(&options.first_item_timeout),
            idle_timeout: duration(&options.idle_timeout),
        }
    }

    /// Whether any is asked for.
    pub fn any(&self) -> bool {
        self.clock.is_some()
            || self.observe.is_some()
            || self.reject.is_some()
            || self.catch_panic.is_some()
    }

    /// Whether an attempt may run more than once (so that the last alternative cannot
    /// take the function's arguments by move).
    pub fn reruns(&self) -> bool {
        self.retries.is_some() || self.hedge.is_some()
    }
}

/// A value as the tokens of its run-time expression: a literal as a constant, an
/// expression passed through the identity helper `helper` (`duration`, `count`), whose
/// parameter type reports one of another type on the expression.
fn value_tokens(value: &Value, krate: &TokenStream, helper: &str) -> TokenStream {
    match value {
        Value::Duration(duration) => {
            let nanos = duration.as_nanos() as u64;
            quote! { ::core::time::Duration::from_nanos(#nanos) }
        }
        Value::Count(count) => quote! { #count },
        Value::Expr(expr) => {
            let span = expr_span(expr);
            let helper = Ident::new(helper, span);
            let krate = crate::expand::respan(krate, span);
            quote_spanned! {span=> #krate::__private::#helper(#expr) }
        }
    }
}
