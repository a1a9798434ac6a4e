//! [`Options`]: the options of one macro call, each read on its own (their tables are
//! in `tables`).

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::{Expr, Ident, Type};

use super::tables::{closest, unknown_option, OptionTable};
use super::value::{count, duration};
use super::{expr_span, first_span, source_text, Alternative, Value};
use crate::errors::Errors;
use crate::parse::{Entry, OptionList, RawOption, RawValue};

/// A time option: its key, for errors, and its value.
pub struct Timed {
    pub key: Ident,
    pub value: Value,
}

/// The options of one macro call, each checked on its own.
#[derive(Default)]
pub struct Options {
    /// `primary = ...`, with its key for errors that point at it.
    pub primary: Option<(Ident, Alternative)>,
    /// `then = [...]`, with its key.
    pub then: Option<(Ident, Vec<Alternative>)>,
    /// `on = ...`.
    pub on: Option<Expr>,
    /// `error = ...`: the chain's declared error type.
    pub error: Option<Type>,
    /// `crate = ...`: the path generated code reaches the runtime through.
    pub krate: Option<TokenStream>,
    /// `timeout = "250ms"`.
    pub timeout: Option<Timed>,
    /// `deadline = "2s"`.
    pub deadline: Option<Timed>,
    /// `retries = N`, with its key.
    pub retries: Option<(Ident, Value)>,
    /// `retry_on = ...`, with its key.
    pub retry_on: Option<(Ident, Expr)>,
    /// `retry_after = ...`, with its key.
    pub retry_after: Option<(Ident, Expr)>,
    /// `health = ...`, with its key.
    pub health: Option<(Ident, Expr)>,
    /// `reject = ...`, with its key.
    pub reject: Option<(Ident, Expr)>,
    /// `catch_panic`.
    pub catch_panic: Option<Ident>,
    /// `empty_is_failure` (with `stream`).
    pub empty_is_failure: Option<Ident>,
    /// `stream`, with its mode: `None` committed, `Some("buffered" | "restart")`.
    pub stream: Option<(Ident, Option<syn::LitStr>)>,
    /// `first_item_timeout = ..`, `idle_timeout = ..` (with `stream`).
    pub first_item_timeout: Option<Timed>,
    pub idle_timeout: Option<Timed>,
    /// `backoff = "50ms"`.
    pub backoff: Option<Timed>,
    /// `hedge = "300ms"`.
    pub hedge: Option<Timed>,
    /// `cooldown = "30s"`.
    pub cooldown: Option<Timed>,
    /// `trip_after = N`, with its key.
    pub trip_after: Option<(Ident, Value)>,
    /// `observe = hook`.
    pub observe: Option<Expr>,
    /// The keys written, valid or not, and the valid keys an unknown one is a
    /// misspelling of: an option written wrongly is not also reported missing.
    pub written: Vec<String>,
}

impl Options {
    /// Reads the options, recording every mistake (unknown or repeated keys, values of
    /// the wrong shape) and keeping what is usable. `table` says which keys are valid.
    pub fn from_list(list: OptionList, table: OptionTable, errors: &mut Errors) -> Options {
        let mut options = Options::default();
        let mut seen: Vec<Ident> = Vec::new();
        for raw in list.options {
            let key = raw.key.to_string();
            options.written.push(key.clone());
            if !table.iter().any(|(name, _)| *name == key) {
                options
                    .written
                    .extend(closest(&key, table).map(String::from));
                errors.push(unknown_option(&raw.key, table));
                continue;
            }
            if seen.contains(&raw.key) {
                errors.push(syn::Error::new(
                    raw.key.span(),
                    format!("`{key}` is given twice; keep one"),
                ));
                continue;
            }
            seen.push(raw.key.clone());
            options.set(raw, errors);
        }
        options
    }

    fn set(&mut self, raw: RawOption, errors: &mut Errors) {
        let RawOption { key, value } = raw;
        match key.to_string().as_str() {
            "primary" => {
                let (name, value) = match value {
                    RawValue::Named(name, expr) => (Some(name), RawValue::Expr(expr)),
                    other => (None, other),
                };
                let primary = single(&key, value).and_then(|expr| {
                    Alternative::from_entry(Entry {
                        name,
                        previous: None,
                        expr,
                    })
                });
                if let Some(alternative) = errors.take(primary) {
                    self.primary = Some((key, alternative));
                }
            }
            "then" => {
                let list = alternatives(&key, value, errors);
                if let Some(list) = errors.take(list) {
                    self.then = Some((key, list));
                }
            }
            "on" => {
                let example = "`on = is_transient` or `on = |e| e.is_retryable()`";
                let filter = single(&key, value)
                    .and_then(pattern_filter)
                    .and_then(|expr| callable(expr, "an error filter", example));
                if let Some(filter) = errors.take(filter) {
                    self.on = Some(filter);
                }
            }
            "error" => match value {
                RawValue::Type(ty) => self.error = Some(ty),
                RawValue::Flag(span) => errors.push(syn::Error::new(
                    span,
                    "expected `=` after `error`: options are written `error = LlmError`",
                )),
                RawValue::Named(name, _) => errors.push(syn::Error::new(
                    name.span(),
                    "`error` takes a type: `error = LlmError`",
                )),
                other => errors.push(syn::Error::new(
                    value_span(&other),
                    "`error` takes a type: `error = LlmError` or `error = AllFailed<LlmError>`",
                )),
            },
            "crate" => {
                if let Some(path) = errors.take(single(&key, value).and_then(crate_path)) {
                    self.krate = Some(path);
                }
            }
            "timeout" | "deadline" | "backoff" | "cooldown" | "hedge" | "first_item_timeout"
            | "idle_timeout" => {
                if let Some(value) = errors.take(duration(&key, value)) {
                    let timed = Some(Timed {
                        key: key.clone(),
                        value,
                    });
                    match key.to_string().as_str() {
                        "timeout" => self.timeout = timed,
                        "deadline" => self.deadline = timed,
                        "cooldown" => self.cooldown = timed,
                        "hedge" => self.hedge = timed,
                        "first_item_timeout" => self.first_item_timeout = timed,
                        "idle_timeout" => self.idle_timeout = timed,
                        _ => self.backoff = timed,
                    }
                }
            }
            "retries" => {
                let meaning = "retries after the first try";
                if let Some(count) = errors.take(count(&key, value, 100, meaning)) {
                    self.retries = Some((key, count));
                }
            }
            "trip_after" => {
                let meaning = "consecutive failures before the alternative is skipped";
                if let Some(count) = errors.take(count(&key, value, 1000, meaning)) {
                    self.trip_after = Some((key, count));
                }
            }
            "stream" => match value {
                RawValue::Flag(_) => self.stream = Some((key, None)),
                RawValue::Expr(Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(mode),
                    ..
                })) if mode.value() == "buffered" || mode.value() == "restart" => {
                    self.stream = Some((key, Some(mode)));
                }
                other => errors.push(syn::Error::new(
                    value_span(&other),
                    "`stream` takes no value (committed after the first item), or \
                     `stream = \"buffered\"` or `stream = \"restart\"`",
                )),
            },
            "catch_panic" => self.catch_panic = switch(key, value, errors),
            "empty_is_failure" => self.empty_is_failure = switch(key, value, errors),
            "reject" => {
                let example = "`reject = |reply| reply.is_empty()` or `reject = Reply::is_refusal`";
                let hook =
                    single(&key, value).and_then(|expr| callable(expr, "a predicate", example));
                if let Some(hook) = errors.take(hook) {
                    self.reject = Some((key, hook));
                }
            }
            "health" => {
                if let Some(health) = errors.take(single(&key, value)) {
                    self.health = Some((key, health));
                }
            }
            "retry_on" | "retry_after" => {
                let (what, example) = if key == "retry_on" {
                    ("an error filter", "`retry_on = |e| e.is_rate_limit()`")
                } else {
                    ("a hint", "`retry_after = |e| e.retry_after()`")
                };
                let hook = single(&key, value)
                    .and_then(|expr| {
                        if key == "retry_on" {
                            pattern_filter(expr)
                        } else {
                            Ok(expr)
                        }
                    })
                    .and_then(|expr| callable(expr, what, example));
                if let Some(hook) = errors.take(hook) {
                    if key == "retry_on" {
                        self.retry_on = Some((key, hook));
                    } else {
                        self.retry_after = Some((key, hook));
                    }
                }
            }
            "observe" => {
                let example =
                    "`observe = log_attempt` or `observe = |event| metrics.record(event)`";
                let hook = single(&key, value).and_then(|expr| callable(expr, "a hook", example));
                if let Some(hook) = errors.take(hook) {
                    self.observe = Some(hook);
                }
            }
            _ => unreachable!("`from_list` only passes keys of the table"),
        }
    }

    /// The first option written that needs a clock (`timeout`, `deadline`, `retries`),
    /// where a missing `tokio` feature or `From<Elapsed>` is reported.
    pub fn clock_key(&self) -> Option<&Ident> {
        fn timed(timed: &Option<Timed>) -> Option<&Ident> {
            timed.as_ref().map(|timed| &timed.key)
        }
        [
            timed(&self.timeout),
            timed(&self.deadline),
            self.retries.as_ref().map(|(key, _)| key),
            timed(&self.backoff),
            timed(&self.cooldown),
            timed(&self.hedge),
        ]
        .into_iter()
        .flatten()
        .min_by_key(|key| {
            let start = key.span().start();
            (start.line, start.column)
        })
    }

    /// Whether `key` was written, rightly or not.
    pub fn written(&self, key: &str) -> bool {
        self.written.iter().any(|written| written == key)
    }

    /// The path generated code reaches the runtime through: `crate = ...`, or
    /// `::fallbacks`.
    pub fn krate(&self) -> TokenStream {
        self.krate.clone().unwrap_or_else(|| quote!(::fallbacks))
    }
}

/// A switch's key, if it is on: written alone or `= true`; `= false` is off.
fn switch(key: Ident, value: RawValue, errors: &mut Errors) -> Option<Ident> {
    match value {
        RawValue::Flag(_) => Some(key),
        RawValue::Expr(Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Bool(on),
            ..
        })) => on.value.then_some(key),
        other => {
            errors.push(syn::Error::new(
                value_span(&other),
                format!("`{key}` is a switch: write `{key}` (or `{key} = true`)"),
            ));
            None
        }
    }
}

fn value_span(value: &RawValue) -> Span {
    match value {
        RawValue::List(bracket, _) => bracket.span.join(),
        RawValue::Type(ty) => first_span(ty),
        RawValue::Expr(expr) => expr_span(expr),
        RawValue::Named(name, _) => name.span(),
        RawValue::Flag(span) => *span,
    }
}

/// `matches(LlmError::RateLimited { .. } | LlmError::Timeout(_))`: a filter as a pattern
/// over the error type, checked by the compiler against it (a variant of another type
/// is an error on that variant). Becomes `|error| matches!(error, pattern)`; any other
/// expression is returned as it is.
fn pattern_filter(expr: Expr) -> syn::Result<Expr> {
    let Expr::Call(call) = &expr else {
        return Ok(expr);
    };
    let is_matches = matches!(&*call.func, Expr::Path(path) if path.qself.is_none() && path.path.is_ident("matches"));
    if !is_matches {
        return Ok(expr);
    }
    let args = &call.args;
    let span = first_span(&call.func);
    if args.len() != 1 {
        return Err(syn::Error::new(
            span,
            "`matches(..)` takes one pattern over the error type: \
             `matches(LlmError::RateLimited { .. } | LlmError::Timeout(_))`",
        ));
    }
    let tokens = args.to_token_stream();
    let pattern = syn::parse::Parser::parse2(syn::Pat::parse_multi_with_leading_vert, tokens)?;
    let error = proc_macro2::Ident::new("__fallback_error", proc_macro2::Span::mixed_site());
    Ok(syn::parse_quote_spanned! {span=>
        |#error| ::core::matches!(#error, #pattern)
    })
}

/// The value of an option that takes one expression, not a list.
pub(super) fn single(key: &Ident, value: RawValue) -> syn::Result<Expr> {
    match value {
        RawValue::Expr(expr) => Ok(expr),
        RawValue::Type(ty) => Ok(syn::parse2(ty.into_token_stream())?),
        RawValue::List(bracket, _) => Err(syn::Error::new(
            bracket.span.join(),
            format!("`{key}` takes one value, not a list"),
        )),
        RawValue::Flag(span) => Err(syn::Error::new(
            span,
            format!("expected `=` after `{key}`: options are written `{key} = value`"),
        )),
        RawValue::Named(name, _) => Err(syn::Error::new(
            name.span(),
            format!(
                "only an alternative has a name (`\"gpt\": openai`); `{key}` takes a value alone"
            ),
        )),
    }
}

/// An expression that will be called: anything but a literal (a path, a closure, a
/// call that returns a function...). What it is called with is checked by the compiler
/// on the generated call, which points back at this expression.
pub(super) fn callable(value: Expr, what: &str, example: &str) -> syn::Result<Expr> {
    match &value {
        Expr::Lit(literal) => Err(syn::Error::new_spanned(
            literal,
            format!(
                "expected {what}: a function path or a closure, found a literal \
                 (write e.g. {example})"
            ),
        )),
        _ => Ok(value),
    }
}

fn alternatives(
    key: &Ident,
    value: RawValue,
    errors: &mut Errors,
) -> syn::Result<Vec<Alternative>> {
    let (bracket, entries) = match value {
        RawValue::List(bracket, entries) => (bracket, entries),
        RawValue::Expr(other) => {
            let text = source_text(&other);
            return Err(syn::Error::new_spanned(
                other,
                format!("`{key}` takes a list of alternatives in brackets: `{key} = [{text}]`"),
            ));
        }
        RawValue::Type(ty) => {
            return Err(syn::Error::new_spanned(
                ty,
                format!("`{key}` takes a list of alternatives in brackets: `{key} = [b, c]`"),
            ))
        }
        RawValue::Flag(span) => {
            return Err(syn::Error::new(
                span,
                format!("expected `=` after `{key}`: options are written `{key} = [b, c]`"),
            ))
        }
        RawValue::Named(name, _) => {
            return Err(syn::Error::new(
                name.span(),
                format!(
                    "`{key}` takes a list of alternatives in brackets: `{key} = [\"name\": b]`"
                ),
            ))
        }
    };
    if entries.is_empty() {
        return Err(syn::Error::new(
            bracket.span.join(),
            format!(
                "`{key} = []` names no alternative; list at least one: `{key} = [fallback_fn]`"
            ),
        ));
    }
    Ok(entries
        .into_iter()
        .filter_map(|entry| errors.take(Alternative::from_entry(entry)))
        .collect())
}

fn crate_path(value: Expr) -> syn::Result<TokenStream> {
    match value {
        Expr::Path(path) if path.qself.is_none() => Ok(path.path.into_token_stream()),
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        }) => text.parse::<syn::Path>().map(ToTokens::into_token_stream),
        other => Err(syn::Error::new_spanned(
            other,
            "`crate` takes the path of the `fallbacks` crate: `crate = my_reexport::fallbacks`",
        )),
    }
}
