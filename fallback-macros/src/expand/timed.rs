//! The timed engine: a chain with time or health options (`timeout`, `deadline`,
//! `retries`, `cooldown`, `observe`). Each alternative's tries are a loop (see
//! `tries`); the alternatives follow each other as in the plain engine.
//!
//! ```text
//! // Input: attempts a, b; timeout = "1s", retries = 1, cooldown = "30s"
//! // Output:
//! let policy = Policy { timeout: Some(1s), retries: 1, cooldown: 30s, ..Policy::new() };
//! let clock = Clock::<Tokio>::start(None);
//! let observer = Silent;
//! let mut sink = Discard;            // `Tally` with `Served`, `Collected` with `AllFailed`
//! let breakers: &[Breaker; 2] = { static BREAKERS: [Breaker; 2] = ..; &BREAKERS };
//! //                               (`health = &self.health`: health(&self.health))
//! let all_cooling = Breaker::all_open(breakers);
//! if admit(breakers, all_cooling, 0, "a", &policy, &observer) {
//!     let mut attempt = Attempt::new(CHAIN, "a", 0);   // judged with Some(&breakers[0])
//!     let _ = loop { /* tries of a: Served returns, MoveOn breaks, Stop returns */ };
//! }
//! let kept = { let mut attempt = ..; loop { /* tries of b */ } };
//! return Err(Sink::<E>::fail(&mut sink, kept, 2));
//! ```

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};

use super::names::{local, local_at, previous};
use super::tries::{health, locals, tries, Arms};
use super::Chain;

/// The body of a timed chain.
pub fn timed(chain: &Chain) -> TokenStream {
    let krate = chain.krate;
    let total = chain.attempts.len();
    let last = total - 1;
    let cooldown = chain.policies.cooldown.is_some();
    let [sink, attempt_local, kept, observer, policy, all_cooling, breakers] = [
        "sink",
        "attempt",
        "kept",
        "observer",
        "policy",
        "all_cooling",
        "breakers",
    ]
    .map(local);

    let chain_name = super::chain_name();
    let mut statements = chain.agree_witness();
    statements.extend(locals(chain));
    let sink_value = chain.sink();
    statements.extend(quote! { let mut #sink = #sink_value; });
    statements.extend(health(chain));
    for (index, attempt) in chain.attempts.iter().enumerate() {
        let name = attempt.name.as_str();
        let ok = local_at("ok", attempt.span);
        let future = match (&attempt.previous, index) {
            (Some(binding), 1..) => {
                // Collecting, the error is in the sink, at the place kept for it.
                let at = previous(index - 1);
                let source = if chain.collect {
                    quote! { #sink.error(#at) }
                } else {
                    quote! { &#at }
                };
                let future = &attempt.future;
                quote! {{
                    let #binding = #source;
                    #future
                }}
            }
            _ => attempt.future.clone(),
        };
        let failed = quote! { #krate::__private::Sink::<_>::failed(&#sink) };
        let failed = match &chain.error {
            Some(error) => quote! { #krate::__private::Sink::<#error>::failed(&#sink) },
            None => failed,
        };
        let served = chain.success(&ok, index, &failed);
        let served = chain.wrap_success(&served);
        let fail = chain.fail(&sink, &kept);
        let arms = Arms {
            served: quote! { return #served },
            moved_on: quote! { break #kept },
            stopped: quote! { return #fail },
        };
        let breaker = if cooldown {
            quote! { ::core::option::Option::Some(&#breakers[#index]) }
        } else {
            quote! { ::core::option::Option::None }
        };
        let looped = tries(chain, index, &future, &breaker, &arms);
        let run = quote! {{
            let mut #attempt_local = #krate::__private::Attempt::new(#chain_name, #name, #index);
            #looped
        }};
        let next_wants_error = chain
            .attempts
            .get(index + 1)
            .is_some_and(|next| next.previous.is_some());
        let ran = if index == last {
            let fail = chain.fail(&sink, &kept);
            quote! {
                let #kept = #run;
                #fail
            }
        } else if next_wants_error {
            let binding = if chain.collect {
                previous(index).to_token_stream()
            } else {
                chain.typed_error(&previous(index)).to_token_stream()
            };
            quote! { let #binding = #run; }
        } else {
            quote! { let _ = #run; }
        };
        // The last alternative is always tried: nothing else is left to serve.
        if cooldown && index != last {
            statements.extend(quote! {
                if #krate::__private::admit(
                    #chain_name, #breakers, #all_cooling, #index, #name, &#policy, &#observer,
                ) {
                    #ran
                }
            });
        } else {
            statements.extend(ran);
        }
    }
    statements
}
