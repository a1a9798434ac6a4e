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
//! `inline` for `fallback_chain!`. `names` makes every generated local's name.

use proc_macro2::{Delimiter, Ident, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens, TokenStreamExt};
use syn::Expr;

use crate::model::{first_span, Policies};

mod function;
mod hedged;
mod inline;
mod names;
mod plain;
mod stream;
mod timed;
mod tries;

pub use function::function;
pub use inline::inline;
use names::{agree, local, local_at};
pub use stream::{stream_function, stream_inline};

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

/// Spans of a chain's tokens that its code asks for many times: finding one walks the
/// tokens it starts (through the compiler, when the macro runs), so each is found once.
/// The types and wrappers written into each attempt's code are split into trees once,
/// when first written, and taken from there without a join of token streams.
#[derive(Default)]
pub struct Spans {
    /// The first token of the wrappers (`wrap_ok`, `wrap_err`: one origin). A front
    /// end that knows it sets it ([`Spans::wrapped_at`]).
    wrap: std::cell::OnceCell<Span>,
    /// The filter's first token.
    filter: std::cell::OnceCell<Span>,
    /// The declared error type's first token.
    error: std::cell::OnceCell<Span>,
    /// The declared success type, split once.
    ok_trees: std::cell::OnceCell<Option<Trees>>,
    /// The declared error type, split once.
    error_trees: std::cell::OnceCell<Option<Trees>>,
    /// The chain's declared error type as returned, split once.
    returned_error_trees: std::cell::OnceCell<Option<Trees>>,
    /// The wrappers, split once.
    wrap_ok_trees: std::cell::OnceCell<Trees>,
    wrap_err_trees: std::cell::OnceCell<Trees>,
}

impl Spans {
    /// The spans of a chain whose wrappers start at `span`.
    pub fn wrapped_at(span: Span) -> Self {
        let spans = Spans::default();
        let _ = spans.wrap.set(span);
        spans
    }
}

/// `tokens` split into trees, once, in `cell`.
fn split<'a>(
    cell: &'a std::cell::OnceCell<Option<Trees>>,
    tokens: Option<&TokenStream>,
) -> Option<&'a Trees> {
    cell.get_or_init(|| tokens.map(Trees::of)).as_ref()
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

    /// The `observe = ..` hook, told the chain's error type (`Unobserved` without one),
    /// evaluated once as the chain starts.
    fn observer(&self) -> TokenStream {
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
    fn filter_ref(&self) -> TokenStream {
        self.judge_ref(self.filter, "accepts", "AnyError")
    }

    /// `retry_on = ..` as an `impl Filter<E>`, or `&AnyError`: every error that moves on
    /// is retried.
    fn retry_on_ref(&self) -> TokenStream {
        self.judge_ref(self.policies.retry_on.as_ref(), "accepts", "AnyError")
    }

    /// `retry_after = ..` as an `impl RetryAfter<E>`, or `&NoHint`.
    fn retry_after_ref(&self) -> TokenStream {
        self.judge_ref(self.policies.retry_after.as_ref(), "retry_after", "NoHint")
    }

    /// A reference to a closure that asks `expr` about an error through the helper
    /// `asks` (whose bound reports an `expr` of the wrong type on it), evaluating it
    /// where a decision is needed; `&default` without one.
    fn judge_ref(&self, expr: Option<&Expr>, asks: &str, default: &str) -> TokenStream {
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
    fn elapsed_into(&self, elapsed: &Ident) -> TokenStream {
        let policies = &self.policies;
        let span = policies
            .elapsed_at
            .or(policies.clock)
            .unwrap_or_else(Span::call_site);
        let krate = respan(self.krate, span);
        match &self.error {
            Some(error) => {
                let error = respan(error, span);
                quote_spanned! {span=> #krate::__private::elapsed_into::<#error>(#elapsed) }
            }
            None => {
                let agree = agree();
                quote_spanned! {span=> #agree.elapsed(#elapsed) }
            }
        }
    }

    /// A caught panic (`panicked`, a `Panicked`) as the chain's error, reported on
    /// `catch_panic` if it cannot be.
    fn panicked_into(&self, panicked: &Ident) -> TokenStream {
        let span = self.policies.catch_panic.unwrap_or_else(Span::call_site);
        let krate = respan(self.krate, span);
        match &self.error {
            Some(error) => {
                let error = respan(error, span);
                quote_spanned! {span=> #krate::__private::panicked_into::<#error>(#panicked) }
            }
            None => {
                let agree = agree();
                quote_spanned! {span=> #agree.panicked(#panicked) }
            }
        }
    }

    /// `Some(tokens)` of whether `reject = ..` refuses the value `ok`, and the error it
    /// becomes; `None` without `reject`.
    fn rejects(&self, ok: &Ident) -> Option<(TokenStream, TokenStream)> {
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
    fn fail(&self, sink: &Ident, kept: &Ident) -> TokenStream {
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
    fn sink(&self) -> TokenStream {
        let krate = self.krate;
        if self.collect {
            quote! { #krate::__private::Collected::default() }
        } else if self.served.is_some() {
            quote! { #krate::__private::Tally(0) }
        } else {
            quote! { #krate::__private::Discard }
        }
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

/// `binding: ty`, or `binding` alone when the type is left to inference (the colon at
/// the call site, as `quote!` writes it).
pub(crate) struct Typed<'a>(&'a Ident, Option<&'a Trees>);

impl ToTokens for Typed<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.0.to_tokens(tokens);
        if let Some(ty) = self.1 {
            tokens.append(Punct::new(':', Spacing::Alone));
            ty.to_tokens(tokens);
        }
    }
}

/// `tokens` in a group delimited by `delimiter`, at `span`: one tree, written into the
/// code around it without a join of token streams.
pub(crate) fn group(delimiter: Delimiter, span: Span, tokens: TokenStream) -> TokenTree {
    let mut group = proc_macro2::Group::new(delimiter, tokens);
    group.set_span(span);
    TokenTree::Group(group)
}

/// `{ tokens }` at `span` (see [`group`]).
pub(crate) fn block(span: Span, tokens: TokenStream) -> TokenTree {
    group(Delimiter::Brace, span, tokens)
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

/// The name under which a chain's code imports the runtime's private items
/// (`krate::__private`), spanned at `span`: a path to them in two tokens, not six.
pub(crate) fn runtime_at(span: Span) -> Ident {
    Ident::new("__fallback_rt", Span::mixed_site().located_at(span))
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

/// The constant holding the chain's name.
pub(crate) fn chain_name() -> Ident {
    quote::format_ident!("__FALLBACK_CHAIN", span = Span::mixed_site())
}

/// Tokens split into trees once: respanned (for each attempt) without asking the
/// compiler for them again, and written into the code around them without a join of
/// token streams (each a call to the compiler when the macro runs).
#[derive(Clone)]
pub(crate) struct Trees(Vec<TokenTree>);

impl Trees {
    pub(crate) fn of(tokens: &TokenStream) -> Self {
        Trees(tokens.clone().into_iter().collect())
    }

    /// The same tokens, located at `span` (see [`respan`]).
    pub(crate) fn at(&self, span: Span) -> Trees {
        Trees(
            self.0
                .iter()
                .map(|tree| respan_tree(tree.clone(), span))
                .collect(),
        )
    }
}

impl ToTokens for Trees {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(self.0.iter().cloned());
    }
}

/// `tokens` placed at `span` for error reports, each keeping its own hygiene: the
/// runtime path in code about an alternative must point at that alternative, not at the
/// attribute.
pub(crate) fn respan(tokens: &TokenStream, span: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|tree| respan_tree(tree, span))
        .collect()
}

/// One tree of [`respan`].
fn respan_tree(mut tree: TokenTree, span: Span) -> TokenTree {
    if let TokenTree::Group(group) = &tree {
        let mut inner = proc_macro2::Group::new(group.delimiter(), respan(&group.stream(), span));
        inner.set_span(group.span().located_at(span));
        tree = TokenTree::Group(inner);
    } else {
        tree.set_span(tree.span().located_at(span));
    }
    tree
}
