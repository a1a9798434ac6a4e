//! Stage 4, code: tokens only, from a model already checked.
//!
//! [`chain`] is the engine every front end shares; it picks one of three shapes:
//!
//! - `plain`: no time or health option — the sequence of `match`es written by hand;
//! - `timed`: each alternative's tries in a loop, judged by the runtime's one attempt
//!   lifecycle (`fallback_core::attempt`), under the clock;
//! - `hedged`: the same tries as `Hedge`d futures, started alongside a slow one.
//!
//! `tries` writes the loop both timed shapes share. The front ends' adapters make the
//! attempts: `function` for `#[fallback]` (argument passing, the body as primary),
//! `inline` for `fallback_chain!`. `names` makes every generated local's name;
//! `policies` what the time and health options' code asks of a chain; `tokens` how
//! tokens are split, respanned and joined (cheaply: the macros' own run was most of
//! their compile time).

use proc_macro2::{Delimiter, Ident, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::Expr;

use crate::model::{first_span, Policies};

mod function;
mod hedged;
mod inline;
mod names;
mod plain;
mod policies;
mod stream;
mod timed;
mod tokens;
mod tries;

pub use function::function;
pub use inline::inline;
use names::{agree, local, local_at};
pub(crate) use names::{chain_name, runtime_at};
pub use stream::{stream_function, stream_inline};
use tokens::split;
pub use tokens::Spans;
pub(crate) use tokens::{block, group, respan, Trees, Typed};

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
    /// The return type is written `Result<T, E>`: an error (always of the chain's type)
    /// goes into `wrap_err` as it is, with no binding of the declared type first.
    pub direct: bool,
    /// Spans asked for many times, each found once. (`wrap_ok` and `wrap_err` start
    /// with the same span, the return type's or the call site: `wrap` reads it once.)
    pub spans: Spans,
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
    /// The chain's name in events and traces: a `&'static str` expression.
    pub name: TokenStream,
}

impl Chain<'_> {
    /// `binding: E`, `E` the declared error type (`binding` alone when inferred).
    fn typed_error<'a>(&'a self, binding: &'a Ident) -> Typed<'a> {
        Typed(binding, split(&self.spans.error_trees, self.error.as_ref()))
    }

    /// `wrapper(value)`, spanned at the wrapper's origin (the return type) but for the
    /// value: the value is first bound with its expected type written out, so that a
    /// return type that is not a `Result` is reported on that type, once, while a value
    /// of the wrong type is still reported on the alternative that produced it. One
    /// block: written into the code around it as one tree.
    fn wrap(&self, wrapper: &Trees, ty: Option<&Trees>, value: &dyn ToTokens) -> TokenTree {
        let span = *self.spans.wrap.get_or_init(|| first_span(&self.wrap_ok));
        let bound = local_at("value", span);
        let binding = Typed(&bound, ty);
        block(
            span,
            quote_spanned! {span=>
                let #binding = #value;
                #wrapper(#bound)
            },
        )
    }

    /// The chain's return value from a success, `value` (of the chain's success type),
    /// through `wrap_ok`.
    fn wrap_success(&self, value: &dyn ToTokens) -> TokenTree {
        let wrapper = self
            .spans
            .wrap_ok_trees
            .get_or_init(|| Trees::of(&self.wrap_ok));
        self.wrap(
            wrapper,
            split(&self.spans.ok_trees, self.ok.as_ref()),
            value,
        )
    }

    /// The chain's return value from its error, `value` (of the chain's error type:
    /// `error`, or `AllFailed<error>`), through `wrap_err`: as it is for a return type
    /// written `Result<T, E>`, else with a binding of the declared type first.
    fn wrap_error(&self, value: &dyn ToTokens) -> Trees {
        let wrapper = self
            .spans
            .wrap_err_trees
            .get_or_init(|| Trees::of(&self.wrap_err));
        if self.direct {
            let span = *self.spans.wrap.get_or_init(|| first_span(&self.wrap_ok));
            let mut call = wrapper.clone();
            call.0
                .push(group(Delimiter::Parenthesis, span, value.to_token_stream()));
            return call;
        }
        let returned = split(
            &self.spans.returned_error_trees,
            self.returned_error.as_ref(),
        );
        let wrapped = self.wrap(wrapper, returned, value);
        Trees(vec![wrapped])
    }

    /// Whether the filter lets `value` move on: `None` without a filter.
    fn accepts(&self, value: &Ident) -> Option<TokenStream> {
        self.filter.map(|filter| {
            let span = *self
                .spans
                .filter
                .get_or_init(|| crate::model::expr_span(filter));
            let rt = self.runtime_at(span);
            let infer = Ident::new("_", Span::call_site());
            let error = split(&self.spans.error_trees, self.error.as_ref());
            let error: &dyn ToTokens = error.map_or(&infer, |error| error);
            quote_spanned! {span=> #rt::accepts::<#error, _>(&#value, #filter) }
        })
    }

    /// An attempt's error, as the chain's error type.
    fn convert(&self, err: &Ident, index: usize) -> TokenStream {
        match &self.error {
            Some(error) => {
                let (span, rt, error) = self.at_conversion(err, error);
                quote_spanned! {span=> #rt::Convert(#err).into_chain::<#error>() }
            }
            // Without a declared type, values pass through `Agree`, which makes the
            // attempts agree with the first (see `fallback_core::__private::Agree`).
            None => {
                let method = if index == 0 { "first_error" } else { "error" };
                let method = Ident::new(method, err.span());
                let agree = agree();
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
        let (span, rt, error) = self.at_conversion(err, error);
        if !traced() {
            return quote_spanned! {span=> #rt::discard_untraced::<#error, _>(#err) };
        }
        let name = &self.attempts[index].name;
        let shown = local("shown");
        let show = self.show(&shown.to_token_stream());
        let chain_name = chain_name();
        quote_spanned! {span=>
            #rt::discard::<#error, _, _>(
                #err, #trace, #chain_name, #name, #index, 1, |#shown| #show,
            )
        }
    }

    /// Where a missing `From` for an attempt's error is reported, with the runtime's
    /// path and the declared error type `error` spanned there.
    fn at_conversion(&self, err: &Ident, error: &TokenStream) -> (Span, Ident, Trees) {
        let span = self.conversion_span(err);
        let error = split(&self.spans.error_trees, Some(error)).expect("a declared type");
        (span, self.runtime_at(span), error.at(span))
    }

    /// The runtime's private items (`krate::__private`, imported once by the chain's
    /// code as `__fallback_rt`: see [`chain`]), spanned at `span`.
    fn runtime_at(&self, span: Span) -> Ident {
        runtime_at(span)
    }

    /// Where a missing `From` for an attempt's error is reported: see
    /// `conversions_at_declared_type`.
    fn conversion_span(&self, err: &Ident) -> Span {
        match &self.error {
            Some(error) if self.conversions_at_declared_type => {
                *self.spans.error.get_or_init(|| first_span(error))
            }
            _ => err.span(),
        }
    }

    /// An attempt's success, as the chain's: with `Served`, the value with its
    /// alternative's name and position, and the count of failed attempts before it.
    fn success<'a>(
        &'a self,
        ok: &'a Ident,
        index: usize,
        failed: &dyn ToTokens,
    ) -> Box<dyn ToTokens + 'a> {
        let agree = agree();
        let value = match &self.ok {
            Some(_) if self.served.is_none() => return Box::new(ok),
            Some(_) => ok.to_token_stream(),
            None if index == 0 => quote_spanned! {ok.span()=> #agree.first_ok(#ok) },
            None => quote_spanned! {ok.span()=> #agree.ok(#ok) },
        };
        Box::new(match &self.served {
            Some(value_type) => {
                let krate = self.krate;
                let name = &self.attempts[index].name;
                quote_spanned! {ok.span()=>
                    #krate::__private::Served::<#value_type>::new(#value, #name, #index, #failed)
                }
            }
            None => value,
        })
    }
    /// `let trace = Trace::start();`: an attempt starts, for its `tracing` event; nothing
    /// without the `tracing` feature (see [`traced`]).
    fn trace_start(&self, trace: &Ident) -> Option<TokenStream> {
        if !traced() {
            return None;
        }
        let krate = self.krate;
        Some(quote! { let #trace = #krate::__private::Trace::start(); })
    }

    /// The `tracing` event of attempt `index`'s end (its one try): it served, or it
    /// failed with the error `failed` refers to (already of the chain's error type).
    fn trace_end(
        &self,
        trace: &Ident,
        index: usize,
        failed: Option<TokenStream>,
    ) -> Option<TokenStream> {
        if !traced() {
            // Showing an error of a type not declared needs that type known here: so
            // the chain asks it without `tracing` too, and accepts the same programs
            // either way (the feature is one for the whole build).
            return match (&self.error, failed) {
                (None, Some(failed)) => {
                    let show = self.show(&failed);
                    Some(quote! { let _ = #show; })
                }
                _ => None,
            };
        }
        let krate = self.krate;
        let name = &self.attempts[index].name;
        let ended = match failed {
            None => quote! { #krate::__private::Ended::Served },
            Some(failed) => self.show(&failed),
        };
        let chain_name = chain_name();
        // A plain chain tries each alternative once: its try is the first.
        let attempt = proc_macro2::Literal::u32_unsuffixed(1);
        Some(quote! { #trace.end(#chain_name, #name, #index, #attempt, #ended); })
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
        let agree = agree();
        let ok = self.ok.clone().unwrap_or_else(|| quote!(_));
        let error = self.error.clone().unwrap_or_else(|| quote!(_));
        quote! { let #agree = #krate::__private::Agree::<#ok, #error>::new(); }
    }
}

/// The body of a chain: statements, then the tail expression giving its `Result`. Its
/// name is a constant the engines' code refers to (but for an untraced plain chain,
/// whose code never names it).
pub fn chain(chain: &Chain) -> TokenStream {
    let krate = chain.krate;
    let rt = runtime_at(Span::call_site());
    let body = if chain.policies.hedge.is_some() {
        hedged::hedged(chain)
    } else if chain.policies.any() {
        timed::timed(chain)
    } else {
        // A plain chain always names the runtime (`outcome`); and nothing in an
        // untraced one refers to its name.
        let body = plain::plain(chain);
        if !traced() {
            return quote! {
                use #krate::__private as #rt;
                #body
            };
        }
        body
    };
    let chain_name = chain_name();
    let name = &chain.name;
    let allow = (chain.policies.any() || chain.policies.hedge.is_some())
        .then(|| quote!(#[allow(unused_imports)]));
    quote! {
        #allow
        use #krate::__private as #rt;
        const #chain_name: &str = #name;
        #body
    }
}

/// Whether the plain chains' code reports each attempt to `tracing` (the `tracing`
/// feature of `fallbacks`, which sets this crate's). Without it the macros leave the
/// reporting out, since it would compile to nothing: a plain chain's debug build then
/// costs about what the same `match`es written by hand do. (The timed chains report
/// through the runtime, which checks the feature itself.) The snapshot tests choose.
pub(crate) fn traced() -> bool {
    #[cfg(test)]
    if let Some(traced) = TRACED.with(std::cell::Cell::get) {
        return traced;
    }
    cfg!(feature = "tracing")
}

#[cfg(test)]
thread_local! {
    /// The snapshot tests' choice of [`traced`], on this thread.
    pub(crate) static TRACED: std::cell::Cell<Option<bool>> = const { std::cell::Cell::new(None) };
}
