//! The tries of one alternative, as both timed shapes write them: a loop around one
//! try, whose outcome the runtime judges (`Attempt::judge`, the one attempt lifecycle
//! that `try_each` runs too). What is left here is what only generated code can do:
//! make the alternative's future, await it under the clock, and convert its error with
//! the error reported on the user's token.
//!
//! ```text
//! // Input: attempt `a` (index 0), `timeout` and `deadline` set
//! // Output:
//! loop {
//!     let tried = match clock.expired() {
//!         Some(elapsed) => Tried::Expired(elapsed_into(elapsed)),
//!         None => {
//!             attempt.start(&observer);
//!             match clock.attempt(policy.timeout, a(..)).await {
//!                 Ok(result) => match outcome(result) {
//!                     Ok(ok) => Tried::Ok(ok),
//!                     Err(err) => Tried::Failed(convert(err)),
//!                 },
//!                 Err(elapsed) if elapsed.is_deadline() => Tried::PastDeadline(..),
//!                 Err(elapsed) => Tried::TimedOut(elapsed_into(elapsed)),
//!             }
//!         }
//!     };
//!     match attempt.judge(tried, &policy, breaker, || clock.left(), &mut sink, filter, ..) {
//!         Verdict::Served(ok) => /* arms.served */,
//!         Verdict::Retry(pause) => { clock.pause(pause).await; continue; }
//!         Verdict::MoveOn(kept) => /* arms.moved_on */,
//!         Verdict::Stop(kept) => /* arms.stopped */,
//!     }
//! }
//! ```

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};

use super::names::{local, local_at};
use super::{respan, Chain};

/// What the verdicts that leave the loop do, each an expression of the loop's value (or
/// a `return`): `served` sees the value as `names::local_at("ok")`, the others what
/// the sink kept as `names::local("kept")`.
pub struct Arms {
    pub served: TokenStream,
    pub moved_on: TokenStream,
    pub stopped: TokenStream,
}

/// The loop of attempt `index`'s tries, its future (not awaited) `future`, its breaker
/// `breaker` (an `Option<&Breaker>`). It uses the
/// chain's locals `attempt`, `policy`, `observer`, `sink` and, with time options,
/// `clock`.
pub fn tries(
    chain: &Chain,
    index: usize,
    future: &TokenStream,
    breaker: &TokenStream,
    arms: &Arms,
) -> TokenStream {
    let policies = &chain.policies;
    let attempt = &chain.attempts[index];
    let span = attempt.span;
    let krate = chain.krate;
    let akrate = respan(krate, span);
    let ok = local_at("ok", span);
    let err = local_at("err", span);
    let elapsed = local_at("elapsed", span);
    let [clock, policy, observer, sink, tried, tries, kept, pause, shown, deadline] = [
        "clock", "policy", "observer", "sink", "tried", "attempt", "kept", "pause", "shown",
        "deadline",
    ]
    .map(local);
    let tried_path = quote!(#krate::__private::Tried);
    let verdict = quote!(#krate::__private::Verdict);

    let converted = chain.convert(&err, index);
    // An `Ok` that `reject = ..` refuses is a failure like an error.
    let served = match chain.rejects(&ok) {
        Some((rejects, rejected)) => quote_spanned! {span=>
            if #rejects {
                #tried_path::Failed(#rejected)
            } else {
                #tried_path::Ok(#ok)
            }
        },
        None => quote_spanned! {span=> #tried_path::Ok(#ok) },
    };
    let outcome = |result: TokenStream| {
        quote_spanned! {span=>
            match #akrate::__private::outcome(#result) {
                ::core::result::Result::Ok(#ok) => #served,
                ::core::result::Result::Err(#err) => #tried_path::Failed(#converted),
            }
        }
    };
    // With `catch_panic`, the attempt's result comes inside `Result<_, Panicked>`.
    let panicked = local("panicked");
    let caught = local("caught");
    let catch = policies.catch_panic.map(|_| chain.panicked_into(&panicked));
    let on_result = |result: TokenStream| match &catch {
        Some(failed) => {
            let on_caught = outcome(caught.to_token_stream());
            quote_spanned! {span=>
                match #result {
                    ::core::result::Result::Ok(#caught) => #on_caught,
                    ::core::result::Result::Err(#panicked) => #tried_path::Failed(#failed),
                }
            }
        }
        None => outcome(result),
    };
    let future = match &catch {
        Some(_) => quote_spanned! {span=> #krate::__private::CatchPanic::new(#future) },
        None => future.clone(),
    };
    let from_elapsed = chain.elapsed_into(&elapsed);
    let run = if policies.timeout.is_some() || policies.deadline.is_some() {
        let on_result = on_result(ok.to_token_stream());
        quote_spanned! {span=>
            match #clock.attempt(#policy.timeout, #future).await {
                ::core::result::Result::Ok(#ok) => #on_result,
                ::core::result::Result::Err(#elapsed) => {
                    let #deadline = #elapsed.is_deadline();
                    let #err = #from_elapsed;
                    if #deadline {
                        #tried_path::PastDeadline(#err)
                    } else {
                        #tried_path::TimedOut(#err)
                    }
                }
            }
        }
    } else {
        on_result(quote_spanned! {span=> #future.await })
    };
    let started = quote! {
        #tries.start(&#observer);
        #run
    };
    let tried_value = if policies.deadline.is_some() {
        quote! {
            match #clock.expired() {
                ::core::option::Option::Some(#elapsed) => #tried_path::Expired(#from_elapsed),
                ::core::option::Option::None => { #started }
            }
        }
    } else {
        quote! {{ #started }}
    };
    let (left, wait) = match policies.clock {
        Some(_) => (
            quote!(|| #clock.left()),
            quote! { #clock.pause(#pause).await; },
        ),
        // Without a clock there are no retries: `Retry` never comes.
        None => (
            quote!(|| ::core::option::Option::None),
            quote! { let _ = #pause; },
        ),
    };
    let filter = chain.filter_ref();
    let retry_on = chain.retry_on_ref();
    let retry_after = chain.retry_after_ref();
    let show = chain.show(&shown.to_token_stream());
    let setup = &attempt.setup;
    let Arms {
        served,
        moved_on,
        stopped,
    } = arms;
    quote_spanned! {span=>
        loop {
            #setup
            let #tried = #tried_value;
            match #tries.judge(
                #tried, &#policy, #breaker, #left, &mut #sink, #filter, #retry_on, #retry_after,
                &#observer,
                |#shown| #show,
            ) {
                #verdict::Served(#ok) => #served,
                #verdict::Retry(#pause) => {
                    #wait
                    continue;
                }
                #verdict::MoveOn(#kept) => #moved_on,
                #verdict::Stop(#kept) => #stopped,
            }
        }
    }
}

/// The statements that make a timed chain's locals: its policy, clock and observer.
pub fn locals(chain: &Chain) -> TokenStream {
    let policies = &chain.policies;
    let krate = chain.krate;
    let [clock, policy, observer] = ["clock", "policy", "observer"].map(local);
    let mut fields = Vec::new();
    let mut field = |name: &str, value: &Option<TokenStream>, wrap: bool| {
        if let Some(value) = value {
            let name = proc_macro2::Ident::new(name, proc_macro2::Span::call_site());
            fields.push(if wrap {
                quote! { #name: ::core::option::Option::Some(#value) }
            } else {
                quote! { #name: #value }
            });
        }
    };
    field("timeout", &policies.timeout, true);
    field("retries", &policies.retries, false);
    field("backoff", &policies.backoff, false);
    field("cooldown", &policies.cooldown, false);
    field("trip_after", &policies.trip_after, false);
    let new_policy = quote!(#krate::__private::Policy::new());
    // Every field set: no `..` (clippy's `needless_update` would fire in the user's code).
    const POLICY_FIELDS: usize = 5;
    let policy_value = match fields.len() {
        0 => new_policy,
        POLICY_FIELDS => quote! { #krate::__private::Policy { #(#fields,)* } },
        _ => quote! { #krate::__private::Policy { #(#fields,)* ..#new_policy } },
    };
    let start_clock = policies.clock.map(|span| {
        let krate = respan(krate, span);
        let deadline = match &policies.deadline {
            Some(deadline) => quote!(::core::option::Option::Some(#deadline)),
            None => quote!(::core::option::Option::None),
        };
        quote_spanned! {span=>
            let #clock = #krate::__private::Clock::<#krate::__private::Tokio>::start(#deadline);
        }
    });
    let observer_value = chain.observer();
    quote! {
        let #policy = #policy_value;
        #start_clock
        let #observer = #observer_value;
    }
}

/// With `cooldown`, the statements that make the chain's `breakers` (the caller's
/// `health = ..`, or one `static` per chain) and `all_cooling`; nothing without.
pub fn health(chain: &Chain) -> TokenStream {
    if chain.policies.cooldown.is_none() {
        return TokenStream::new();
    }
    let krate = chain.krate;
    let total = chain.attempts.len();
    let [breakers, all_cooling] = ["breakers", "all_cooling"].map(local);
    let health = match &chain.policies.health {
        // The caller's: `health = &self.health`.
        Some(health) => {
            let span = crate::model::first_span(health);
            let krate = respan(krate, span);
            quote_spanned! {span=> #krate::__private::health::<#total, _>(#health) }
        }
        // The alternatives' health, shared by every call of this chain.
        None => {
            let shared = super::names::breakers();
            quote! {{
                static #shared: [#krate::__private::Breaker; #total] =
                    [const { #krate::__private::Breaker::closed() }; #total];
                &#shared
            }}
        }
    };
    quote! {
        let #breakers: &[#krate::__private::Breaker; #total] = #health;
        let #all_cooling = #krate::__private::Breaker::all_open(#breakers);
    }
}
