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
    /// For the time and health options, which run an attempt again and under a clock:
    /// statements to run before each try, and the try's future, not awaited.
    pub setup: TokenStream,
    pub future: TokenStream,
}

/// The time and health options of a chain; with none of them, the chain is the plain
/// sequence of `match`es.
#[derive(Default)]
pub struct Policies {
    /// Where the clock is started (the first time option written), if one is needed.
    pub clock: Option<Span>,
    pub timeout: Option<std::time::Duration>,
    pub deadline: Option<std::time::Duration>,
    /// Where the timeout's or deadline's error conversion is reported.
    pub elapsed_at: Option<Span>,
    pub retries: u32,
    pub backoff: std::time::Duration,
    pub observe: Option<Expr>,
    /// `cooldown`, with `trip_after` (default 3).
    pub cooldown: Option<(std::time::Duration, u32)>,
    /// `hedge`: the delay before the next alternative starts alongside.
    pub hedge: Option<std::time::Duration>,
}

impl Policies {
    /// The policies `options` ask for.
    pub fn of(options: &Options) -> Policies {
        let timed_span = |timed: &Option<crate::model::Timed>| timed.as_ref().map(|t| t.key.span());
        Policies {
            clock: options.clock_key().map(Ident::span),
            timeout: options.timeout.as_ref().map(|t| t.value),
            deadline: options.deadline.as_ref().map(|t| t.value),
            elapsed_at: timed_span(&options.timeout).or(timed_span(&options.deadline)),
            retries: options.retries.as_ref().map_or(0, |(_, count)| *count),
            backoff: options
                .backoff
                .as_ref()
                .map_or(DEFAULT_BACKOFF, |backoff| backoff.value),
            observe: options.observe.clone(),
            hedge: options.hedge.as_ref().map(|hedge| hedge.value),
            cooldown: options.cooldown.as_ref().map(|cooldown| {
                let trip_after = options.trip_after.as_ref().map_or(3, |(_, count)| *count);
                (cooldown.value, trip_after)
            }),
        }
    }

    /// Whether any is asked for.
    pub fn any(&self) -> bool {
        self.clock.is_some() || self.observe.is_some()
    }
}

/// The base pause between retries when `backoff` is not given.
const DEFAULT_BACKOFF: std::time::Duration = std::time::Duration::from_millis(100);

fn duration_tokens(duration: std::time::Duration) -> TokenStream {
    let nanos = duration.as_nanos() as u64;
    quote! { ::core::time::Duration::from_nanos(#nanos) }
}

/// A chain ready to expand.
pub struct Chain<'a> {
    /// The path of the runtime (`::fallbacks` unless `crate = ...`).
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
    /// The time and health options.
    pub policies: Policies,
    /// `Result<Served<T>, _>`: wrap each success with which alternative served; `T`.
    pub served: Option<TokenStream>,
    /// Where a missing `From` for an attempt's error is reported: on the declared type
    /// (`#[fallback]`, where it is also the return type, so that a return type that is
    /// not a `Result` is reported once, there), or on the attempt.
    pub conversions_at_declared_type: bool,
}

impl Chain<'_> {
    /// `wrapper(value)`, spanned at the wrapper's origin (the return type) but for the
    /// value: the value is first bound with its expected type written out, so that a
    /// return type that is not a `Result` is reported on that type, once, while a value
    /// of the wrong type is still reported on the alternative that produced it.
    fn wrap(
        &self,
        wrapper: &TokenStream,
        ty: &Option<TokenStream>,
        value: &TokenStream,
    ) -> TokenStream {
        let span = first_span(wrapper);
        let bound = Ident::new("__fallback_value", Span::mixed_site().located_at(span));
        let binding = typed(&bound, ty);
        quote_spanned! {span=> {
            let #binding = #value;
            #wrapper(#bound)
        }}
    }

    /// Whether the filter lets `value` move on: `None` without a filter.
    fn accepts(&self, value: &Ident) -> Option<TokenStream> {
        self.filter.map(|filter| {
            let span = first_span(filter);
            let krate = respan(self.krate, span);
            let error = self.error.clone().unwrap_or_else(|| quote!(_));
            quote_spanned! {span=> #krate::__private::accepts::<#error, _>(&#value, #filter) }
        })
    }

    /// An attempt's error, as the chain's error type.
    fn convert(&self, err: &Ident, index: usize) -> TokenStream {
        match &self.error {
            Some(error) => {
                let span = self.conversion_span(err);
                let krate = respan(self.krate, span);
                let error = respan(error, span);
                quote_spanned! {span=> #krate::__private::convert::<#error, _>(#err) }
            }
            // Without a declared type, values pass through `Agree`, which makes the
            // attempts agree with the first (see `fallback_core::__private::Agree`).
            None => {
                let method = if index == 0 { "first_error" } else { "error" };
                let method = Ident::new(method, err.span());
                let agree = agree_ident();
                quote_spanned! {err.span()=> #agree.#method(#err) }
            }
        }
    }

    /// An attempt's error of the declared type `error`, dropped without paying for a
    /// conversion that is still checked to exist (unless `tracing` shows it: see
    /// `Trace::failed_into`), its attempt's end traced. (Without a declared type the
    /// errors are of one type: converting them costs nothing.)
    fn discard(
        &self,
        error: &TokenStream,
        err: &Ident,
        index: usize,
        trace: &Ident,
    ) -> TokenStream {
        let span = self.conversion_span(err);
        let krate = respan(self.krate, span);
        let error = respan(error, span);
        let name = &self.attempts[index].name;
        let shown = Ident::new("__fallback_shown", Span::mixed_site());
        let show = self.show(&shown.to_token_stream());
        quote_spanned! {span=>
            #krate::__private::discard::<#error, _, _>(
                #err, #trace, #name, #index, 1, |#shown: &#error| #show,
            )
        }
    }

    /// Where a missing `From` for an attempt's error is reported: see
    /// `conversions_at_declared_type`.
    fn conversion_span(&self, err: &Ident) -> Span {
        match &self.error {
            Some(error) if self.conversions_at_declared_type => first_span(error),
            _ => err.span(),
        }
    }

    /// An attempt's success, as the chain's: with `Served`, the value with its
    /// alternative's name and position, and the count of failed attempts before it.
    fn success(&self, ok: &Ident, index: usize, failed: TokenStream) -> TokenStream {
        let agree = agree_ident();
        let value = match &self.ok {
            Some(_) => ok.to_token_stream(),
            None if index == 0 => quote_spanned! {ok.span()=> #agree.first_ok(#ok) },
            None => quote_spanned! {ok.span()=> #agree.ok(#ok) },
        };
        match &self.served {
            Some(value_type) => {
                let krate = self.krate;
                let name = &self.attempts[index].name;
                quote_spanned! {ok.span()=>
                    #krate::__private::Served::<#value_type>::new(#value, #name, #index, #failed)
                }
            }
            None => value,
        }
    }

    /// `observe(hook, event)`, if there is a hook: the event of attempt `index` (try
    /// `attempt`), `elapsed` into it.
    fn event(
        &self,
        name: &str,
        index: usize,
        attempt: TokenStream,
        elapsed: TokenStream,
        kind: TokenStream,
    ) -> Option<TokenStream> {
        let hook = self.policies.observe.as_ref()?;
        let span = first_span(hook);
        let krate = respan(self.krate, span);
        let event = match &self.error {
            Some(error) => quote! {
                #krate::__private::Event::<#error>::new(#name, #index, #attempt, #elapsed, #kind)
            },
            None => {
                let agree = agree_ident();
                quote! { #agree.event(#name, #index, #attempt, #elapsed, #kind) }
            }
        };
        Some(quote_spanned! {span=> #krate::__private::observe(#hook, #event); })
    }

    /// `let trace = Trace::start();`: an attempt starts, for its `tracing` event (with
    /// the `tracing` feature; a zero-sized no-op without it).
    fn trace_start(&self, trace: &Ident) -> TokenStream {
        let krate = self.krate;
        quote! { let #trace = #krate::__private::Trace::start(); }
    }

    /// The `tracing` event of attempt `index`'s end (try `attempt`): it served, or it
    /// failed with the error `failed` refers to (already of the chain's error type).
    fn trace_end(
        &self,
        trace: &Ident,
        index: usize,
        attempt: &TokenStream,
        failed: Option<TokenStream>,
    ) -> TokenStream {
        let krate = self.krate;
        let name = &self.attempts[index].name;
        let ended = match failed {
            None => quote! { #krate::__private::Ended::Served },
            Some(failed) => self.show(&failed),
        };
        quote! { #trace.end(#name, #index, #attempt, #ended); }
    }

    /// How an attempt that failed with the error `reference` refers to ended: shown with
    /// its `Display` if its type has one (autoref specialization; the type is named when
    /// declared, so that it is never left to inference there).
    fn show(&self, reference: &TokenStream) -> TokenStream {
        let krate = self.krate;
        let shown = match &self.error {
            Some(error) => quote! { #krate::__private::Shown::<#error>(#reference) },
            None => quote! { #krate::__private::Shown(#reference) },
        };
        quote! {{
            use #krate::__private::{FailedDisplay as _, FailedPlain as _};
            (&#shown).failed()
        }}
    }

    /// The `Agree` witness, when the chain has no declared type to check against.
    fn agree_witness(&self) -> TokenStream {
        if self.ok.is_some() && self.error.is_some() {
            return TokenStream::new();
        }
        let krate = self.krate;
        let agree = agree_ident();
        let ok = self.ok.clone().unwrap_or_else(|| quote!(_));
        let error = self.error.clone().unwrap_or_else(|| quote!(_));
        quote! { let #agree = #krate::__private::Agree::<#ok, #error>::new(); }
    }
}

/// `binding: ty`, or `binding` alone when the type is left to inference.
fn typed(binding: &Ident, ty: &Option<TokenStream>) -> TokenStream {
    match ty {
        Some(ty) => quote! { #binding: #ty },
        None => binding.to_token_stream(),
    }
}

/// The local keeping attempt `index`'s error: for the filter, for `AllFailed`, or for
/// the next attempt's `err =>`.
fn kept(index: usize) -> Ident {
    format_ident!("__fallback_err{}", index, span = Span::mixed_site())
}

/// The local keeping attempt `index`'s error for the next attempt's `err =>`, in a
/// chain with policies.
fn previous(index: usize) -> Ident {
    format_ident!("__fallback_previous{}", index, span = Span::mixed_site())
}

/// The body of a chain: statements, then the tail expression giving its `Result`.
///
/// ```text
/// // Input: attempts a, b, c; `on = f`; the last error wins.
/// // Output:
/// let err0: E = match outcome(a) {
///     Ok(ok) => return wrap_ok(ok),
///     Err(err) => convert(err),
/// };
/// if !accepts::<E, _>(&err0, f) { return wrap_err(err0); }
/// let err1: E = /* the same for b */;
/// match outcome(c) {
///     Ok(ok) => wrap_ok(ok),
///     Err(err) => wrap_err(convert(err)),
/// }
/// ```
///
/// This is the nested `match` a careful person writes, flattened: each attempt's error
/// stays in scope (borrowed by the filter) until the chain ends, as it does in the
/// nested version, so the future has the hand-written one's size and layout — a layout
/// that measured faster on the all-fail path than dropping each error before the next
/// attempt (README, "Performance"). The filter expression is evaluated where a decision
/// is needed, so nothing of it is kept in the future, and it costs nothing on success.
/// Without a filter an error that is not returned is dropped unconverted at once: its
/// conversion is only type-checked.
///
/// With `collect` the kept errors make `AllFailed` (one allocation) when the chain
/// fails; an attempt written `err => expr` sees the error before it as
/// `let err = &__fallback_err_k;`.
///
/// Every token of an attempt's code is spanned at the user's token it stands for, so a
/// type error about an alternative (wrong `Ok` type, no `From` for its error, not a
/// future) lands on that alternative, and one about the filter on the filter.
pub fn chain(chain: &Chain) -> TokenStream {
    if chain.policies.hedge.is_some() {
        return hedge_chain(chain);
    }
    if chain.policies.any() {
        return policy_chain(chain);
    }
    let Chain {
        error,
        wrap_ok,
        wrap_err,
        ..
    } = chain;
    let last = chain.attempts.len() - 1;
    let total = chain.attempts.len();
    let mut statements = chain.agree_witness();
    let mut failures = Vec::new();
    for (index, attempt) in chain.attempts.iter().enumerate() {
        let span = attempt.span;
        let krate = respan(chain.krate, span);
        let ok = Ident::new("__fallback_ok", Span::mixed_site().located_at(span));
        let err = Ident::new("__fallback_err", Span::mixed_site().located_at(span));
        let outcome = match (&attempt.previous, index) {
            (Some(name), 1..) => {
                let source = kept(index - 1);
                let outcome = &attempt.outcome;
                quote! {{
                    let #name = &#source;
                    #outcome
                }}
            }
            _ => attempt.outcome.clone(),
        };
        let scrutinee = quote_spanned! {span=> #krate::__private::outcome(#outcome) };
        let trace = Ident::new("__fallback_trace", Span::mixed_site());
        statements.extend(chain.trace_start(&trace));
        let on_served = chain.trace_end(&trace, index, &quote!(1), None);
        // The `Err` arm's start: the error converted into the chain's type, and traced.
        let on_failed = {
            let binding = typed(&err, error);
            let converted = chain.convert(&err, index);
            let traced = chain.trace_end(&trace, index, &quote!(1), Some(quote!(&#err)));
            quote_spanned! {span=> let #binding = #converted; #traced }
        };
        let served = chain.wrap(
            wrap_ok,
            &chain.ok,
            &chain.success(&ok, index, quote!(#index)),
        );
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
            statements.extend(quote_spanned! {span=>
                let #binding = match #scrutinee {
                    ::core::result::Result::Ok(#ok) => { #on_served return #served; }
                    ::core::result::Result::Err(#err) => { #on_failed #err }
                };
            });
            let all_failed = chain.wrap(
                wrap_err,
                &chain.returned_error,
                &quote! { #krate::__private::all_failed(#total, [#(#failures),*]) },
            );
            if is_last {
                statements.extend(all_failed);
            } else if let Some(accepted) = chain.accepts(&kept) {
                statements.extend(quote! {
                    if !#accepted {
                        return #all_failed;
                    }
                });
            }
        } else if is_last {
            let failed = chain.wrap(wrap_err, &chain.returned_error, &err.to_token_stream());
            statements.extend(quote_spanned! {span=>
                match #scrutinee {
                    ::core::result::Result::Ok(#ok) => { #on_served #served }
                    ::core::result::Result::Err(#err) => { #on_failed #failed }
                }
            });
        } else if chain.filter.is_some() || next_wants_error {
            // The error is converted, bound for the rest of the chain (where the filter
            // and the next attempt's `err =>` borrow it), and asked to the filter.
            let kept = kept(index);
            let binding = typed(&kept, error);
            statements.extend(quote_spanned! {span=>
                let #binding = match #scrutinee {
                    ::core::result::Result::Ok(#ok) => { #on_served return #served; }
                    ::core::result::Result::Err(#err) => { #on_failed #err }
                };
            });
            if let Some(accepted) = chain.accepts(&kept) {
                let stopped = chain.wrap(wrap_err, &chain.returned_error, &kept.to_token_stream());
                statements.extend(quote_spanned! {span=>
                    if !#accepted {
                        return #stopped;
                    }
                });
            }
        } else {
            // Nothing looks at the error: it is dropped unconverted (but for `tracing`).
            let on_failed = match error {
                Some(error) => chain.discard(error, &err, index, &trace),
                None => on_failed,
            };
            statements.extend(quote_spanned! {span=>
                match #scrutinee {
                    ::core::result::Result::Ok(#ok) => { #on_served return #served; }
                    ::core::result::Result::Err(#err) => { #on_failed }
                }
            });
        }
    }
    statements
}

/// A chain with time and health options: each attempt runs in a loop (for `retries`),
/// under the clock (`timeout`, `deadline`), reported to the hook (`observe`).
///
/// ```text
/// // Input: attempts a, b; timeout = "1s", retries = 1, observe = hook
/// // Output:
/// let clock = Clock::<Tokio>::start(None);
/// let mut tries = 0;
/// drop(loop {
///     if clock.past_deadline() { return Err(elapsed_into(clock.deadline_error())); }
///     let started = now();
///     observe(hook, Event::new("a", 0, tries + 1, ZERO, Started));
///     let err: E = match clock.attempt(Some(1s), a).await {
///         Ok(outcome) => match outcome(outcome) {
///             Ok(ok) => { observe(.., Succeeded); return Ok(ok); }
///             Err(err) => {
///                 let err: E = convert(err);
///                 observe(.., Failed(&err));
///                 if !accepts(&err, filter) { return Err(err); }
///                 err
///             }
///         },
///         Err(elapsed) => { /* a timeout: always moves on; the deadline: ends the chain */ }
///     };
///     if tries < 1 && !clock.past_deadline() { tries += 1; clock.backoff(base, tries).await; continue; }
///     break err;
/// });
/// // ... b, whose error is returned
/// ```
fn policy_chain(chain: &Chain) -> TokenStream {
    let policies = &chain.policies;
    let krate = chain.krate;
    let clock = Ident::new("__fallback_clock", Span::mixed_site());
    let tries = Ident::new("__fallback_tries", Span::mixed_site());
    let started = Ident::new("__fallback_started", Span::mixed_site());
    let failures = Ident::new("__fallback_failures", Span::mixed_site());
    let agree = agree_ident();
    let total = chain.attempts.len();
    let last = total - 1;
    let option = |deadline: Option<std::time::Duration>| match deadline {
        Some(duration) => {
            let duration = duration_tokens(duration);
            quote!(::core::option::Option::Some(#duration))
        }
        None => quote!(::core::option::Option::None),
    };

    let failed = Ident::new("__fallback_failed", Span::mixed_site());
    let mut statements = chain.agree_witness();
    if chain.served.is_some() {
        statements.extend(quote! { let mut #failed: usize = 0; });
    }
    if let Some(span) = policies.clock {
        let krate = respan(krate, span);
        let deadline = option(policies.deadline);
        statements.extend(quote_spanned! {span=>
            let #clock = #krate::__private::Clock::<#krate::__private::Tokio>::start(#deadline);
        });
    }
    if chain.collect {
        statements.extend(quote! {
            let mut #failures = ::std::vec::Vec::new();
        });
    }
    // The alternatives' health, shared by every call of this chain.
    let breakers = Ident::new("__FALLBACK_BREAKERS", Span::mixed_site());
    let all_cooling = Ident::new("__fallback_all_cooling", Span::mixed_site());
    if policies.cooldown.is_some() {
        statements.extend(quote! {
            static #breakers: [#krate::__private::Breaker; #total] =
                [const { #krate::__private::Breaker::closed() }; #total];
            let #all_cooling = #krate::__private::Breaker::all_open(&#breakers);
        });
    }
    let breaker = |index: usize, call: TokenStream| {
        policies
            .cooldown
            .map(|_| quote! { #breakers[#index].#call; })
    };
    // A timeout as the chain's error, reported on the time option if it cannot be.
    let elapsed_into = |elapsed: TokenStream| {
        let span = policies
            .elapsed_at
            .or(policies.clock)
            .unwrap_or_else(Span::call_site);
        let krate = respan(krate, span);
        match &chain.error {
            Some(error) => {
                let error = respan(error, span);
                quote_spanned! {span=> #krate::__private::elapsed_into::<#error>(#elapsed) }
            }
            None => quote_spanned! {span=> #agree.elapsed(#elapsed) },
        }
    };
    // `return` of the chain's error `err` (every error so far, when collecting).
    let fail = |name: &str, index: usize, err: &TokenStream| {
        if chain.collect {
            let all = quote! { #krate::__private::all_failed_from(#total, #failures) };
            let all = chain.wrap(&chain.wrap_err, &chain.returned_error, &all);
            quote! {{
                #failures.push(#krate::Failure::new(#name, #index, #err));
                return #all;
            }}
        } else {
            let failed = chain.wrap(&chain.wrap_err, &chain.returned_error, err);
            quote! {{ return #failed; }}
        }
    };
    let event = |name: &str, index: usize, elapsed: TokenStream, kind: TokenStream| {
        let attempt = if policies.retries > 0 {
            quote!(#tries + 1)
        } else {
            quote!(1)
        };
        chain.event(name, index, attempt, elapsed, kind)
    };

    for (index, attempt) in chain.attempts.iter().enumerate() {
        let span = attempt.span;
        let name = attempt.name.as_str();
        let ok = Ident::new("__fallback_ok", Span::mixed_site().located_at(span));
        let err = Ident::new("__fallback_err", Span::mixed_site().located_at(span));
        let elapsed = Ident::new("__fallback_elapsed", Span::mixed_site().located_at(span));
        let akrate = respan(krate, span);
        let future = match (&attempt.previous, index) {
            (Some(binding), 1..) => {
                // Collecting, the error is in the list, at the place noted after it.
                let source = if chain.collect {
                    let at = previous(index - 1);
                    quote! { *#failures[#at].error() }
                } else {
                    previous(index - 1).to_token_stream()
                };
                let future = &attempt.future;
                quote! {{
                    let #binding = &#source;
                    #future
                }}
            }
            _ => attempt.future.clone(),
        };
        let setup = &attempt.setup;
        let timed = policies.timeout.is_some() || policies.deadline.is_some();
        let zero = quote!(::core::time::Duration::ZERO);
        let since = quote!(#started.elapsed());
        let kind = |variant: TokenStream| quote!(#krate::__private::EventKind::#variant);
        let on_start = event(name, index, zero, kind(quote!(Started)));
        let start_clock = on_start
            .as_ref()
            .map(|_| quote! { let #started = #krate::__private::now(); });
        let on_success = event(name, index, since.clone(), kind(quote!(Succeeded)));
        let on_failure = event(name, index, since.clone(), kind(quote!(Failed(&#err))));
        let on_skip = event(
            name,
            index,
            quote!(::core::time::Duration::ZERO),
            kind(quote!(Skipped)),
        );
        let trace = Ident::new("__fallback_trace", Span::mixed_site());
        let attempt_number = if policies.retries > 0 {
            quote!(#tries + 1)
        } else {
            quote!(1)
        };
        let trace_start = chain.trace_start(&trace);
        let trace_served = chain.trace_end(&trace, index, &attempt_number, None);
        let trace_failed = chain.trace_end(&trace, index, &attempt_number, Some(quote!(&#err)));
        let healthy = breaker(index, quote!(success()));
        let unhealthy = policies.cooldown.and_then(|(cooldown, trip_after)| {
            let cooldown = duration_tokens(cooldown);
            breaker(index, quote!(failure(#trip_after, #cooldown)))
        });
        let served = chain.wrap(
            &chain.wrap_ok,
            &chain.ok,
            &chain.success(&ok, index, quote!(#failed)),
        );
        let count_failure = chain.served.as_ref().map(|_| quote! { #failed += 1; });
        let converted = chain.convert(&err, index);
        let binding = typed(&err, &chain.error);
        let rejected = chain.accepts(&err).map(|accepted| {
            let stop = fail(name, index, &err.to_token_stream());
            quote! { if !#accepted #stop }
        });
        let from_elapsed = elapsed_into(elapsed.to_token_stream());
        let deadline_stop = fail(name, index, &err.to_token_stream());
        let past_deadline = policies.deadline.map(|_| {
            let error = elapsed_into(quote!(#clock.deadline_error()));
            let stop = fail(name, index, &error);
            quote! { if #clock.past_deadline() #stop }
        });
        let retry = (policies.retries > 0).then(|| {
            let retries = policies.retries;
            let base = duration_tokens(policies.backoff);
            let keep = chain.collect.then(|| {
                quote! { #failures.push(#krate::Failure::new(#name, #index, #err)); }
            });
            quote! {
                if #tries < #retries && !#clock.past_deadline() {
                    #keep
                    #tries += 1;
                    #clock.backoff(#base, #tries).await;
                    continue;
                }
            }
        });
        // What the attempt's result does; with a time limit, inside the clock's result.
        let on_result = |result: TokenStream| {
            quote_spanned! {span=>
                match #akrate::__private::outcome(#result) {
                    ::core::result::Result::Ok(#ok) => {
                        #healthy
                        #trace_served
                        #on_success
                        return #served;
                    }
                    ::core::result::Result::Err(#err) => {
                        let #binding = #converted;
                        #count_failure
                        #trace_failed
                        #on_failure
                        #rejected
                        #unhealthy
                        #err
                    }
                }
            }
        };
        let matched = if timed {
            let timeout = option(policies.timeout);
            let on_result = on_result(ok.to_token_stream());
            quote_spanned! {span=>
                match #clock.attempt(#timeout, #future).await {
                    ::core::result::Result::Ok(#ok) => #on_result,
                    ::core::result::Result::Err(#elapsed) => {
                        let __fallback_deadline = #elapsed.is_deadline();
                        let #binding = #from_elapsed;
                        #count_failure
                        #trace_failed
                        #on_failure
                        if __fallback_deadline #deadline_stop
                        #unhealthy
                        #err
                    }
                }
            }
        } else {
            on_result(quote_spanned! {span=> #future.await })
        };
        let tries_counter = (policies.retries > 0).then(|| quote! { let mut #tries: u32 = 0; });
        let body = quote_spanned! {span=>
                #past_deadline
                #setup
                #trace_start
                #start_clock
                #on_start
                let #binding = #matched;
        };
        // A loop only when there are retries to loop for.
        let looped = if policies.retries > 0 {
            quote_spanned! {span=> loop { #body #retry break #err; } }
        } else {
            quote_spanned! {span=> { #body #err } }
        };
        let next_wants_error = chain
            .attempts
            .get(index + 1)
            .is_some_and(|next| next.previous.is_some());
        // This attempt's statements, kept apart to put them behind its breaker.
        let statements_before = std::mem::take(&mut statements);
        if chain.collect {
            let kept = kept(index);
            statements.extend(quote! {
                let #kept = #looped;
                #failures.push(#krate::Failure::new(#name, #index, #kept));
            });
            if next_wants_error {
                // Where this attempt's (last) error is, for the next one's `err =>`.
                let at = previous(index);
                statements.extend(quote! { let #at = #failures.len() - 1; });
            }
            if index == last {
                let all = quote! { #krate::__private::all_failed_from(#total, #failures) };
                statements.extend(chain.wrap(&chain.wrap_err, &chain.returned_error, &all));
            }
        } else if index == last {
            let failed = chain.wrap(&chain.wrap_err, &chain.returned_error, &looped);
            statements.extend(failed);
        } else if next_wants_error {
            let kept = typed(&previous(index), &chain.error);
            statements.extend(quote! { let #kept = #looped; });
        } else {
            statements.extend(quote! { let _ = #looped; });
        }
        let attempt_statements = std::mem::replace(&mut statements, statements_before);
        // Outside the breaker's `if`: a skip reports the try it skipped too.
        statements.extend(tries_counter);
        match policies.cooldown {
            // The last alternative is always tried: nothing else is left to serve.
            Some((cooldown, _)) if index != last => {
                let cooldown = duration_tokens(cooldown);
                statements.extend(quote! {
                    if #all_cooling || #breakers[#index].admit(#cooldown) {
                        #attempt_statements
                    } else {
                        #krate::__private::Trace::skipped(#name, #index);
                        #on_skip
                    }
                });
            }
            _ => statements.extend(attempt_statements),
        }
    }
    statements
}

/// A hedged chain: each alternative is an `async` block giving `Result<T, E>` (its
/// error converted), nested in `Hedge`s that start the next one after the delay, or when
/// one fails.
///
/// ```text
/// // Input: attempts a, b, c; hedge = "300ms", on = f
/// // Output:
/// let clock = Clock::<Tokio>::start(deadline);
/// match clock.attempt(None, Hedge::new(300ms, f, async { a.. }, || {
///     Hedge::new(300ms, f, async { b.. }, || async { c.. })
/// })).await {
///     Ok(Ok(ok)) => Ok(ok),
///     Ok(Err(err)) => Err(err),
///     Err(elapsed) => Err(elapsed_into(elapsed)), // the deadline
/// }
/// ```
fn hedge_chain(chain: &Chain) -> TokenStream {
    let policies = &chain.policies;
    let krate = chain.krate;
    let clock = Ident::new("__fallback_clock", Span::mixed_site());
    let delay = duration_tokens(policies.hedge.unwrap_or_default());
    let option = |duration: Option<std::time::Duration>| match duration {
        Some(duration) => {
            let duration = duration_tokens(duration);
            quote!(::core::option::Option::Some(#duration))
        }
        None => quote!(::core::option::Option::None),
    };
    let clock_span = policies.clock.unwrap_or_else(Span::call_site);
    let elapsed_into = |elapsed: TokenStream| {
        let span = policies.elapsed_at.unwrap_or(clock_span);
        let akrate = respan(krate, span);
        match &chain.error {
            Some(error) => {
                let error = respan(error, span);
                quote_spanned! {span=> #akrate::__private::elapsed_into::<#error>(#elapsed) }
            }
            None => {
                let agree = agree_ident();
                quote_spanned! {span=> #agree.elapsed(#elapsed) }
            }
        }
    };
    // Each leaf applies the filter itself (a timeout always moves on) and hands the
    // `Hedge` its error with the verdict.
    let failed = Ident::new("__fallback_failed", Span::mixed_site());
    let filter = quote! { |#failed: &(_, bool)| #failed.1 };
    // Collecting, the leaves put their errors here, in the order they fail.
    let failures = Ident::new("__fallback_failures", Span::mixed_site());
    // Each alternative as a future of `Result<T, E>`.
    let leaves: Vec<TokenStream> = chain
        .attempts
        .iter()
        .enumerate()
        .map(|(index, attempt)| {
            let span = attempt.span;
            let akrate = respan(krate, span);
            let ok = Ident::new("__fallback_ok", Span::mixed_site().located_at(span));
            let err = Ident::new("__fallback_err", Span::mixed_site().located_at(span));
            let setup = &attempt.setup;
            let future = &attempt.future;
            // In a hedge, the alternatives started before this one.
            let success = chain.success(&ok, index, quote!(#index));
            let converted = chain.convert(&err, index);
            let on_result = |result: TokenStream| {
                quote_spanned! {span=>
                    match #akrate::__private::outcome(#result) {
                        ::core::result::Result::Ok(#ok) => ::core::result::Result::Ok(#success),
                        ::core::result::Result::Err(#err) => ::core::result::Result::Err(#converted),
                    }
                }
            };
            let body = match policies.timeout {
                Some(timeout) => {
                    let timeout = option(Some(timeout));
                    let on_result = on_result(ok.to_token_stream());
                    let elapsed = Ident::new("__fallback_elapsed", Span::mixed_site());
                    let from_elapsed = elapsed_into(elapsed.to_token_stream());
                    quote_spanned! {span=>
                        match #clock.attempt(#timeout, #future).await {
                            ::core::result::Result::Ok(#ok) => (#on_result, false),
                            ::core::result::Result::Err(#elapsed) => {
                                (::core::result::Result::Err(#from_elapsed), true)
                            }
                        }
                    }
                }
                None => {
                    let on_result = on_result(quote_spanned! {span=> #future.await });
                    quote! { (#on_result, false) }
                }
            };
            // With `observe`: this attempt's start, and its success or failure.
            let name = attempt.name.as_str();
            let started = Ident::new("__fallback_started", Span::mixed_site());
            let result = Ident::new("__fallback_result", Span::mixed_site());
            let timed_out = Ident::new("__fallback_timed_out", Span::mixed_site());
            let accepted = Ident::new("__fallback_accepted", Span::mixed_site());
            let tries = Ident::new("__fallback_tries", Span::mixed_site());
            let attempt_number = if policies.retries > 0 {
                quote!(#tries + 1)
            } else {
                quote!(1)
            };
            let kind = |variant: TokenStream| quote!(#krate::__private::EventKind::#variant);
            let zero = quote!(::core::time::Duration::ZERO);
            let since = quote!(#started.elapsed());
            let event = |elapsed: TokenStream, kind: TokenStream| {
                chain.event(name, index, attempt_number.clone(), elapsed, kind)
            };
            let on_start = event(zero, kind(quote!(Started)));
            let on_success = event(since.clone(), kind(quote!(Succeeded)));
            let on_failure = event(since, kind(quote!(Failed(#err))));
            let trace = Ident::new("__fallback_trace", Span::mixed_site());
            let trace_start = chain.trace_start(&trace);
            let trace_served = chain.trace_end(&trace, index, &attempt_number, None);
            let trace_failed =
                chain.trace_end(&trace, index, &attempt_number, Some(err.to_token_stream()));
            let (observe_start, observe_success, observe_failure) = match on_start {
                Some(on_start) => (
                    quote! { let #started = #krate::__private::now(); #on_start },
                    on_success,
                    on_failure,
                ),
                None => Default::default(),
            };
            // Whether the error moves the chain on: a timeout always does.
            let accepts = chain
                .accepts(&err)
                .map_or_else(|| quote!(true), |accepted| quote!(#timed_out || #accepted));
            // What a failed leaf hands the `Hedge`: the error (or, collecting, nothing:
            // the error went into the list) and whether it moves the chain on.
            let keep = chain
                .collect
                .then(|| quote! { #failures.push(#krate::Failure::new(#name, #index, #err)); });
            let handed = if chain.collect {
                quote!(())
            } else {
                err.to_token_stream()
            };
            let attempt_code = quote_spanned! {span=>
                #setup
                #trace_start
                #observe_start
                let (#result, #timed_out) = #body;
                match &#result {
                    ::core::result::Result::Ok(_) => { #trace_served #observe_success }
                    ::core::result::Result::Err(#err) => { #trace_failed #observe_failure }
                }
            };
            if policies.retries > 0 {
                let retries = policies.retries;
                let base = duration_tokens(policies.backoff);
                quote_spanned! {span=> async {
                    let mut #tries: u32 = 0;
                    loop {
                        #attempt_code
                        match #result {
                            ::core::result::Result::Ok(#ok) => break ::core::result::Result::Ok(#ok),
                            ::core::result::Result::Err(#err) => {
                                let #accepted = #accepts;
                                #keep
                                if #accepted && #tries < #retries && !#clock.past_deadline() {
                                    #tries += 1;
                                    #clock.backoff(#base, #tries).await;
                                    continue;
                                }
                                break ::core::result::Result::Err((#handed, #accepted));
                            }
                        }
                    }
                } }
            } else {
                quote_spanned! {span=> async {
                    #attempt_code
                    match #result {
                        ::core::result::Result::Ok(#ok) => ::core::result::Result::Ok(#ok),
                        ::core::result::Result::Err(#err) => {
                            let #accepted = #accepts;
                            #keep
                            ::core::result::Result::Err((#handed, #accepted))
                        }
                    }
                } }
            }
        })
        .collect();
    // Nested from the end: the last leaf alone, then a `Hedge` per alternative before it.
    let mut leaves = leaves.into_iter().rev();
    let mut hedged = leaves.next().unwrap_or_default();
    for leaf in leaves {
        hedged = quote! {
            #krate::__private::Hedge::new(#delay, #filter, #leaf, || #hedged)
        };
    }
    let akrate = respan(krate, clock_span);
    let deadline = option(policies.deadline);
    let ok = Ident::new("__fallback_ok", Span::mixed_site());
    let err = Ident::new("__fallback_err", Span::mixed_site());
    let elapsed = Ident::new("__fallback_elapsed", Span::mixed_site());
    let served = chain.wrap(&chain.wrap_ok, &chain.ok, &ok.to_token_stream());
    let total = chain.attempts.len();
    let (failures_list, failed) = if chain.collect {
        let all = quote! { #krate::__private::all_failed_from(#total, #failures.into_vec()) };
        (
            quote! { let #failures = #krate::__private::Failures::new(); },
            chain.wrap(&chain.wrap_err, &chain.returned_error, &all),
        )
    } else {
        (
            TokenStream::new(),
            chain.wrap(
                &chain.wrap_err,
                &chain.returned_error,
                &err.to_token_stream(),
            ),
        )
    };
    let from_elapsed = elapsed_into(elapsed.to_token_stream());
    let deadline_failed = chain.wrap(&chain.wrap_err, &chain.returned_error, &from_elapsed);
    let witness = chain.agree_witness();
    // Only a deadline makes an error out of `Elapsed` here.
    let finish = if policies.deadline.is_some() {
        quote! {
            match #clock.attempt(::core::option::Option::None, #hedged).await {
                ::core::result::Result::Ok(::core::result::Result::Ok(#ok)) => #served,
                ::core::result::Result::Ok(::core::result::Result::Err((#err, _))) => #failed,
                ::core::result::Result::Err(#elapsed) => #deadline_failed,
            }
        }
    } else {
        quote! {
            match #hedged.await {
                ::core::result::Result::Ok(#ok) => #served,
                ::core::result::Result::Err((#err, _)) => #failed,
            }
        }
    };
    quote! {
        #witness
        #failures_list
        let #clock = #akrate::__private::Clock::<#akrate::__private::Tokio>::start(#deadline);
        #finish
    }
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

    let policies = Policies::of(options);
    let last = alternatives.len() - 1;
    let attempts = alternatives
        .iter()
        .enumerate()
        .map(|(index, alternative)| {
            // With retries the last alternative runs in a loop too: it cannot take the
            // originals by move.
            let is_last = index == last && policies.retries == 0 && policies.hedge.is_none();
            let (setup, future) = match &alternative.callee {
                Callee::Call(callee) => {
                    (TokenStream::new(), call(function, callee, is_last, &krate))
                }
                Callee::Body(body) => body_call(function, body, &krate),
                Callee::Attempt(expr) => (TokenStream::new(), expr.to_token_stream()),
            };
            let span = alternative.span();
            let awaited = if function.is_async() {
                quote_spanned! {span=> #future.await }
            } else {
                future.clone()
            };
            // A block only when there is setup: a block around the attempt would move
            // errors about it onto the block.
            let outcome = if setup.is_empty() {
                awaited
            } else {
                quote_spanned! {span=> { #setup #awaited } }
            };
            Attempt {
                name: alternative.name.clone(),
                span: alternative.span(),
                outcome,
                previous: alternative.previous.clone(),
                setup,
                future,
            }
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
        policies,
        served: function.served.as_ref().map(ToTokens::to_token_stream),
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
        .map(|alternative| {
            let span = alternative.span();
            let future = match &alternative.callee {
                Callee::Attempt(expr @ Expr::Async(_)) => {
                    quote_spanned! {span=> #agree.#expect(#expr) }
                }
                Callee::Attempt(expr) | Callee::Call(expr) => expr.to_token_stream(),
                Callee::Body(body) => quote! { async #body },
            };
            Attempt {
                name: alternative.name.clone(),
                span,
                outcome: quote_spanned! {span=> #future.await },
                previous: alternative.previous.clone(),
                setup: TokenStream::new(),
                future,
            }
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
        policies: Policies::of(options),
        served: None,
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

/// `alternative(args)`: the call, not awaited.
fn call(function: &Function, callee: &Expr, is_last: bool, krate: &TokenStream) -> TokenStream {
    let span = first_span(callee);
    let args: Vec<_> = function
        .params
        .iter()
        .map(|param| pass(param, is_last, krate))
        .collect();
    match callee {
        Expr::Path(_) => quote_spanned! {span=> #callee(#(#args),*) },
        // A closure goes through `callN`, which gives it its parameter types from the
        // arguments (see `fallback_core::__private::call_with`).
        Expr::Closure(_) if args.len() <= MAX_CLOSURE_ARITY => {
            let helper = format_ident!("call{}", args.len(), span = span);
            let krate = respan(krate, span);
            quote_spanned! {span=> #krate::__private::#helper(#callee, #(#args),*) }
        }
        _ => quote_spanned! {span=> (#callee)(#(#args),*) },
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
fn body_call(function: &Function, body: &Block, krate: &TokenStream) -> (TokenStream, TokenStream) {
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
    // The body returns what the alternatives do: the value without `Served`, and the
    // inner error with `AllFailed`.
    let ok = match &function.served {
        Some(value) => value.to_token_stream(),
        None => quote! { <#ret as #krate::__private::FallbackResult>::Ok },
    };
    let body_ret = match (&function.mode, &function.served) {
        (ErrorMode::Last, None) => ret.to_token_stream(),
        (ErrorMode::Last, Some(_)) => quote! {
            ::core::result::Result<#ok, <#ret as #krate::__private::FallbackResult>::Err>
        },
        (ErrorMode::All(error), _) => quote! { ::core::result::Result<#ok, #error> },
    };
    if function.is_async() {
        // The first `return` fixes the block's return type to the declared one, so that
        // the body's `return`s and tail coerce to it (`Box<E>` to `Box<dyn Error>`,
        // `&String` to `&str`) as they would in the function itself.
        let r = Ident::new("__fallback_returned", Span::mixed_site());
        let future = quote! {
            async {
                if let ::core::option::Option::Some(#r) = #krate::__private::no_value::<#body_ret>() {
                    return #r;
                }
                #body
            }
        };
        (quote! { #(#copies)* }, future)
    } else {
        let call = quote! { #krate::__private::run_body(|| -> #body_ret #body) };
        (quote! { #(#copies)* }, call)
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
