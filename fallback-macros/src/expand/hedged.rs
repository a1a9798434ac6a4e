//! The hedged engine: each alternative's tries (see `tries`) are an `async` block
//! giving `Result<T, (kept, moves_on)>`, nested in `Hedge`s that start the next one
//! after the delay, or when one fails in a way that moves on.
//!
//! ```text
//! // Input: attempts a, b, c; hedge = "300ms", on = f
//! // Output:
//! let policy = Policy::new();
//! let clock = Clock::<Tokio>::start(deadline);
//! let observer = Unobserved::<E>::new();
//! let hedged = Hedge::new(300ms, |failed| failed.1, async { /* tries of a */ }, || {
//!     Hedge::new(300ms, |failed| failed.1, async { /* tries of b */ }, || async { /* c */ })
//! }); // with a deadline, each `Hedge` also `.until(|| clock.past_deadline())`
//! match clock.attempt(None, hedged).await {      // `hedged.await` without a deadline
//!     Ok(Ok(ok)) => Ok(ok),
//!     Ok(Err((err, _))) => Err(err),
//!     Err(elapsed) => Err(elapsed_into(elapsed)), // the deadline
//! }
//! ```
//!
//! A leaf's tries break with `Ok(value)`, `Err((error, true))` (it moves on: the next
//! alternative starts at once) or `Err((error, false))` (it ends the chain). Collecting,
//! every leaf adds its errors to one `Failures` list, in the order they happen.

use proc_macro2::TokenStream;
use quote::quote;

use super::names::{local, local_at};
use super::tries::{locals, tries, Arms};
use super::Chain;

/// The body of a hedged chain.
pub fn hedged(chain: &Chain) -> TokenStream {
    let policies = &chain.policies;
    let krate = chain.krate;
    let total = chain.attempts.len();
    let [sink, tries_local, kept, failures, failed, ok, err, elapsed] = [
        "sink", "attempt", "kept", "failures", "failed", "ok", "err", "elapsed",
    ]
    .map(local);
    // Evaluated once, as the chain starts.
    let delay = local("hedge");
    let delay_value = policies.hedge.clone().unwrap_or_default();
    let filter = quote! { |#failed: &(_, bool)| #failed.1 };
    let chain_name = super::chain_name();
    let cooldown = chain.policies.cooldown.is_some();
    let last = chain.attempts.len() - 1;
    let [breakers, all_cooling, policy, observer] =
        ["breakers", "all_cooling", "policy", "observer"].map(local);
    // With `cooldown`, a leaf that is skipped fails at once with no error (`None`): the
    // next alternative starts, and as the last one is never skipped and a `Hedge`
    // returns the later alternative's error, the chain never ends with that `None`.
    let failed_with = |kept: &proc_macro2::Ident| {
        if cooldown {
            quote! { ::core::option::Option::Some(#kept) }
        } else {
            quote! { #kept }
        }
    };
    let kept_value = failed_with(&kept);
    let leaves: Vec<TokenStream> = chain
        .attempts
        .iter()
        .enumerate()
        .map(|(index, attempt)| {
            let name = attempt.name.as_str();
            // In a hedge, the alternatives started before this one.
            let ok = local_at("ok", attempt.span);
            let success = chain.success(&ok, index, &index);
            let arms = Arms {
                served: quote! { break ::core::result::Result::Ok(#success) },
                moved_on: quote! { break ::core::result::Result::Err((#kept_value, true)) },
                stopped: quote! { break ::core::result::Result::Err((#kept_value, false)) },
            };
            let sink_value = if chain.collect {
                quote! { &#failures }
            } else {
                quote! { #krate::__private::Discard }
            };
            let (skip, breaker) = if cooldown {
                // The last alternative is always tried: nothing else is left to serve.
                let skip = (index != last).then(|| {
                    quote! {
                        if !#krate::__private::admit(
                            #chain_name, #breakers, #all_cooling, #index, #name, &#policy, &#observer,
                        ) {
                            return ::core::result::Result::Err((::core::option::Option::None, true));
                        }
                    }
                });
                (skip, quote! { ::core::option::Option::Some(&#breakers[#index]) })
            } else {
                (None, quote! { ::core::option::Option::None })
            };
            let looped = tries(chain, index, &attempt.future, &breaker, &arms);
            quote! {
                async {
                    #skip
                    let mut #sink = #sink_value;
                    // Its try in flight, if dropped so, is reported `Cancelled`.
                    let mut #tries_local = #krate::__private::Leaf::new(
                        #krate::__private::Attempt::new(#chain_name, #name, #index),
                        |#tries_local: &mut #krate::__private::Attempt| #tries_local.cancel(&#observer),
                    );
                    #looped
                }
            }
        })
        .collect();
    // Nested from the end: the last leaf alone, then a `Hedge` per alternative before it.
    let mut leaves = leaves.into_iter().rev();
    let mut hedged = leaves.next().unwrap_or_default();
    let clock = local("clock");
    // Under a deadline, a try it cuts ends the tries in flight alongside with it.
    let until = policies
        .deadline
        .is_some()
        .then(|| quote! { .until(|| #clock.past_deadline()) });
    for leaf in leaves {
        hedged = quote! {
            #krate::__private::Hedge::new(#delay, #filter, #leaf, || #hedged) #until
        };
    }

    let served = chain.wrap_success(&ok);
    let (failures_list, failed_chain) = if chain.collect {
        let all = quote! { #krate::__private::all_failed_from(#total, #failures.into_vec()) };
        (
            quote! { let #failures = #krate::__private::Failures::new(); },
            chain.wrap_error(&all),
        )
    } else {
        (TokenStream::new(), chain.wrap_error(&err))
    };
    // The chain's error, from what the `Hedge` returned (see `failed_with`).
    let (err_pattern, skipped_arm) = if cooldown {
        (
            quote! { (::core::option::Option::Some(#err), _) },
            quote! {
                ::core::result::Result::Err((::core::option::Option::None, _)) => ::core::unreachable!(
                    "the last alternative of a hedged chain is never skipped, and its error is the one returned"
                ),
            },
        )
    } else {
        (quote! { (#err, _) }, TokenStream::new())
    };
    let skipped_in_time = cooldown.then(|| {
        quote! {
            ::core::result::Result::Ok(::core::result::Result::Err((::core::option::Option::None, _))) => {
                ::core::unreachable!(
                    "the last alternative of a hedged chain is never skipped, and its error is the one returned"
                )
            }
        }
    });
    let finish = if policies.deadline.is_some() {
        // Only the deadline makes an error out of `Elapsed` here.
        let deadline_failed = chain.wrap_error(&chain.elapsed_into(&elapsed));
        quote! {
            match #clock.attempt(::core::option::Option::None, #hedged).await {
                ::core::result::Result::Ok(::core::result::Result::Ok(#ok)) => #served,
                ::core::result::Result::Ok(::core::result::Result::Err(#err_pattern)) => #failed_chain,
                #skipped_in_time
                ::core::result::Result::Err(#elapsed) => #deadline_failed,
            }
        }
    } else {
        quote! {
            match #hedged.await {
                ::core::result::Result::Ok(#ok) => #served,
                ::core::result::Result::Err(#err_pattern) => #failed_chain,
                #skipped_arm
            }
        }
    };
    let witness = chain.agree_witness();
    let locals = locals(chain);
    let health = super::tries::health(chain);
    quote! {
        #witness
        #locals
        #health
        let #delay = #delay_value;
        #failures_list
        #finish
    }
}
