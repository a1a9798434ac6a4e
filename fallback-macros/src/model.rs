//! Stage 2, meaning: what the parsed tokens say. Every mistake found here is recorded
//! in an [`Errors`] and the build goes on, so one compile reports all of them.

use proc_macro2::{Delimiter, LineColumn, Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::{
    Attribute, Block, Expr, FnArg, GenericArgument, Ident, Pat, PathArguments, ReceiverKind,
    ReturnType, Signature, Type, Visibility,
};

use crate::errors::Errors;
use crate::parse::{Entry, FnItem, OptionList, RawOption, RawValue};

/// An option a front end accepts, with what it takes: the list an unknown-option error
/// shows.
pub type OptionTable = &'static [(&'static str, &'static str)];

/// The options of `#[fallback(...)]`.
pub const ATTRIBUTE_OPTIONS: OptionTable = &[
    ("primary", "the first alternative: `primary = openai`"),
    (
        "then",
        "the fallbacks, in order: `then = [anthropic, local]` \
         (`then = [err => repair(prompt, err)]` gets the previous error)",
    ),
    (
        "on",
        "which errors move on to the next alternative: `on = is_transient`",
    ),
    (
        "crate",
        "the path of the `fallbacks` crate: `crate = my_reexport::fallbacks`",
    ),
    TIMEOUT,
    DEADLINE,
    RETRIES,
    BACKOFF,
    COOLDOWN,
    TRIP_AFTER,
    HEDGE,
    OBSERVE,
];

const HEDGE: (&str, &str) = (
    "hedge",
    "start the next alternative alongside one slower than this; the first `Ok` wins: `hedge = \"300ms\"`",
);
const COOLDOWN: (&str, &str) = (
    "cooldown",
    "how long an alternative is skipped after it trips: `cooldown = \"30s\"`",
);
const TRIP_AFTER: (&str, &str) = (
    "trip_after",
    "consecutive failures that trip an alternative (default 3): `trip_after = 5`",
);

const TIMEOUT: (&str, &str) = (
    "timeout",
    "a time limit per attempt; a slow attempt fails and the chain moves on: `timeout = \"250ms\"`",
);
const DEADLINE: (&str, &str) = (
    "deadline",
    "a time limit for the whole chain: `deadline = \"2s\"`",
);
const RETRIES: (&str, &str) = (
    "retries",
    "try each alternative up to N more times, for errors the filter accepts: `retries = 2`",
);
const BACKOFF: (&str, &str) = (
    "backoff",
    "the base pause before a retry, doubled each time, with full jitter: `backoff = \"50ms\"`",
);
const OBSERVE: (&str, &str) = (
    "observe",
    "a hook called with each attempt's start, success and failure: `observe = log_attempt`",
);

/// The options of `fallback_chain!(... , options)`.
pub const CHAIN_OPTIONS: OptionTable = &[
    (
        "on",
        "which errors move on to the next operand: `on = is_transient`",
    ),
    (
        "error",
        "the chain's error type, each operand's converted with `From`: `error = LlmError`; \
         `error = AllFailed<LlmError>` for every error",
    ),
    (
        "crate",
        "the path of the `fallbacks` crate: `crate = my_reexport::fallbacks`",
    ),
    TIMEOUT,
    DEADLINE,
    RETRIES,
    BACKOFF,
    COOLDOWN,
    TRIP_AFTER,
    HEDGE,
    OBSERVE,
];

/// A time option: its key, for errors, and its value.
pub struct Timed {
    pub key: Ident,
    pub value: std::time::Duration,
}

/// One alternative of a chain as the user wrote it.
pub struct Alternative {
    /// How errors and reports name it: its source text, e.g. `providers::openai`.
    pub name: String,
    pub callee: Callee,
    /// `name =>` before it: the name its expression gives the previous alternative's
    /// error (`&E`).
    pub previous: Option<Ident>,
}

/// What an alternative is.
pub enum Callee {
    /// A callable expression (a path or a closure), called with the function's arguments.
    Call(Expr),
    /// The function's own body, which is the primary when there is no `primary = ...`.
    Body(Block),
    /// An expression that is the attempt itself: a future in an `async` chain (an
    /// operand of `fallback_chain!`, or `err => expr` in `then`), a `Result` otherwise.
    Attempt(Expr),
}

impl Alternative {
    /// The token errors about this alternative point at.
    pub fn span(&self) -> Span {
        match &self.callee {
            Callee::Call(expr) | Callee::Attempt(expr) => first_span(expr),
            Callee::Body(block) => block.brace_token.span.open(),
        }
    }

    /// An alternative from a list entry: `expr` is called with the function's
    /// arguments; `name => expr` is an attempt that sees the previous error as `name`.
    pub fn from_entry(entry: Entry) -> syn::Result<Alternative> {
        let Entry { previous, expr } = entry;
        let example = "`openai`, `providers::openai` or `|prompt| local(prompt)`";
        let expr = callable(expr, "an alternative", example)?;
        Ok(Alternative {
            name: source_text(&expr),
            callee: match previous {
                Some(_) => Callee::Attempt(expr),
                None => Callee::Call(expr),
            },
            previous,
        })
    }

    /// An operand of `fallback_chain!`: the expression is the attempt's future.
    pub fn from_operand(entry: Entry) -> Alternative {
        let Entry { previous, expr } = entry;
        Alternative {
            name: source_text(&expr),
            callee: Callee::Attempt(expr),
            previous,
        }
    }
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
    pub retries: Option<(Ident, u32)>,
    /// `backoff = "50ms"`.
    pub backoff: Option<Timed>,
    /// `hedge = "300ms"`.
    pub hedge: Option<Timed>,
    /// `cooldown = "30s"`.
    pub cooldown: Option<Timed>,
    /// `trip_after = N`, with its key.
    pub trip_after: Option<(Ident, u32)>,
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
                let primary = single(&key, value).and_then(|expr| {
                    Alternative::from_entry(Entry {
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
                let filter =
                    single(&key, value).and_then(|expr| callable(expr, "an error filter", example));
                if let Some(filter) = errors.take(filter) {
                    self.on = Some(filter);
                }
            }
            "error" => match value {
                RawValue::Type(ty) => self.error = Some(ty),
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
            "timeout" | "deadline" | "backoff" | "cooldown" | "hedge" => {
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

fn unknown_option(key: &Ident, table: OptionTable) -> syn::Error {
    let valid: Vec<String> = table.iter().map(|(name, _)| format!("`{name}`")).collect();
    let mut message = format!("unknown option `{key}`");
    if let Some(near) = closest(&key.to_string(), table) {
        message.push_str(&format!("; did you mean `{near}`?"));
    }
    message.push_str(&format!("\nvalid options: {}", valid.join(", ")));
    for (name, meaning) in table {
        message.push_str(&format!("\n  {name}: {meaning}"));
    }
    syn::Error::new(key.span(), message)
}

/// The valid option closest to a misspelt one, if any is close.
fn closest(key: &str, table: OptionTable) -> Option<&'static str> {
    table
        .iter()
        .map(|(name, _)| (edit_distance(key, name), *name))
        .filter(|(distance, name)| *distance <= name.len() / 3 + 1)
        .min()
        .map(|(_, name)| name)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// `"250ms"`: a duration in quotes, more than zero, read at compile time.
fn duration(key: &Ident, value: RawValue) -> syn::Result<std::time::Duration> {
    let example = "e.g. \"250ms\", \"2s\" or \"1.5s\" (units: ns, us, ms, s, m, h)";
    let text = match single(key, value)? {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        }) => text,
        other => {
            return Err(syn::Error::new_spanned(
                other,
                format!("`{key}` takes a duration in quotes, {example}"),
            ))
        }
    };
    match parse_duration(&text.value()) {
        Ok(value) if !value.is_zero() => Ok(value),
        Ok(_) => Err(syn::Error::new(
            text.span(),
            format!("`{key}` must be more than zero"),
        )),
        Err(why) => Err(syn::Error::new(
            text.span(),
            format!("{why}: write a number and a unit, {example}"),
        )),
    }
}

/// Reads `"250ms"`, `"2s"`, `"1.5s"`, `"100us"`...
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err(format!("{text:?} is not a duration"));
    }
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{number:?} is not a number"))?;
    let seconds = match unit {
        "ns" => 1e-9,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "" => return Err(format!("{text:?} has no unit")),
        other => return Err(format!("{other:?} is not a unit of time")),
    };
    std::time::Duration::try_from_secs_f64(number * seconds)
        .map_err(|_| format!("{text:?} is out of range"))
}

/// `retries = N`, `trip_after = N`: a whole number from 1 to `max`.
fn count(key: &Ident, value: RawValue, max: u32, meaning: &str) -> syn::Result<u32> {
    match single(key, value)? {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(count),
            ..
        }) => match count.base10_parse::<u32>() {
            Ok(count) if (1..=max).contains(&count) => Ok(count),
            _ => Err(syn::Error::new(
                count.span(),
                format!("`{key}` takes a whole number from 1 to {max} ({meaning})"),
            )),
        },
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` takes a whole number: `{key} = 2`"),
        )),
    }
}

fn value_span(value: &RawValue) -> Span {
    match value {
        RawValue::List(bracket, _) => bracket.span.join(),
        RawValue::Type(ty) => first_span(ty),
        RawValue::Expr(expr) => first_span(expr),
    }
}

/// The value of an option that takes one expression, not a list.
fn single(key: &Ident, value: RawValue) -> syn::Result<Expr> {
    match value {
        RawValue::Expr(expr) => Ok(expr),
        RawValue::Type(ty) => Ok(syn::parse2(ty.into_token_stream())?),
        RawValue::List(bracket, _) => Err(syn::Error::new(
            bracket.span.join(),
            format!("`{key}` takes one value, not a list"),
        )),
    }
}

/// An expression that will be called: anything but a literal (a path, a closure, a
/// call that returns a function...). What it is called with is checked by the compiler
/// on the generated call, which points back at this expression.
fn callable(value: Expr, what: &str, example: &str) -> syn::Result<Expr> {
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

/// How an alternative's name reads in errors and reports: its source text on one line,
/// e.g. `providers::openai` or `|prompt: &str| local(prompt)`. Tokens keep the gaps
/// they had in the source (a line break becomes one space); where the compiler gives no
/// positions, a space goes only where Rust style puts one.
pub fn source_text(tokens: &impl ToTokens) -> String {
    let mut text = Text::default();
    text.push_stream(tokens.to_token_stream());
    text.out
}

#[derive(Default)]
struct Text {
    out: String,
    /// Where the previous token ended, if the compiler told.
    end: Option<LineColumn>,
}

impl Text {
    fn push_stream(&mut self, tokens: TokenStream) {
        for tree in tokens {
            match tree {
                TokenTree::Group(group) => {
                    let (open, close) = match group.delimiter() {
                        Delimiter::Parenthesis => ("(", ")"),
                        Delimiter::Bracket => ("[", "]"),
                        Delimiter::Brace => ("{", "}"),
                        Delimiter::None => ("", ""),
                    };
                    // The compiler reports both delimiters' spans as the whole
                    // group's: the opening one starts it, the closing one ends it.
                    let whole = group.span();
                    self.push(open, whole.start());
                    self.push_stream(group.stream());
                    let end = whole.end();
                    let close_start = LineColumn {
                        line: end.line,
                        column: end.column.saturating_sub(close.len()),
                    };
                    self.push(close, close_start);
                }
                other => self.push(&other.to_string(), other.span().start()),
            }
        }
    }

    fn push(&mut self, token: &str, start: LineColumn) {
        if token.is_empty() {
            return;
        }
        let located = start.line > 0;
        let end = match token.rfind('\n') {
            None => LineColumn {
                line: start.line,
                column: start.column + token.chars().count(),
            },
            Some(newline) => LineColumn {
                line: start.line + token.matches('\n').count(),
                column: token[newline + 1..].chars().count(),
            },
        };
        let space = match (self.end, located) {
            (Some(previous), true) => previous != start,
            _ => !self.out.is_empty() && styled_space(&self.out, token),
        };
        if space {
            self.out.push(' ');
        }
        self.out.push_str(token);
        self.end = located.then_some(end);
    }
}

/// Whether Rust style puts a space between `before` and `token` (no positions known).
fn styled_space(before: &str, token: &str) -> bool {
    let tight_after = [":", ".", "(", "[", "&", "!"];
    let tight_before = [":", ".", "(", ")", "[", "]", ",", "?", ";"];
    !tight_after.iter().any(|t| before.ends_with(t)) && !tight_before.contains(&token)
}

/// The span of the first token of `tokens`: where an error about them points, since a
/// span covering several tokens cannot be made on stable Rust.
pub fn first_span(tokens: &impl ToTokens) -> Span {
    tokens
        .to_token_stream()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |tree| tree.span())
}

/// How an attempt receives one of the function's parameters.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Passing {
    /// `&T`, `&self`: the reference is copied.
    Shared,
    /// `&mut T`, `&mut self`: reborrowed for each attempt, moved into the last.
    Unique,
    /// Anything else: cloned for each attempt, moved into the last.
    Owned,
    /// `Pin<&mut T>` (`self: Pin<&mut Self>`): reborrowed with `as_mut()`.
    PinnedUnique,
    /// `Option<&mut T>`: reborrowed with `as_deref_mut()`.
    OptionalUnique,
}

impl Passing {
    /// Reborrowed with `as_mut()` or `as_deref_mut()`, which need a mutable binding.
    pub fn reborrows_through_a_method(self) -> bool {
        matches!(self, Passing::PinnedUnique | Passing::OptionalUnique)
    }
}

/// One parameter of the function.
pub struct Param {
    /// The binding: the parameter's identifier, or the `self` token.
    pub binding: TokenStream,
    pub passing: Passing,
    /// Where "must be `Clone`" points: the parameter's type, or `self`.
    pub ty_span: Span,
    /// `mut`, if written on it; only a body that is the primary sees it.
    pub mutability: Option<syn::Token![mut]>,
    pub receiver: Option<ReceiverKindSeen>,
}

/// The receiver forms the expansion treats differently.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ReceiverKindSeen {
    /// `&self`, `&mut self`.
    Reference,
    /// `self`, `mut self`, `self: Box<Self>`...
    Value,
}

/// What the chain returns when every alternative fails.
pub enum ErrorMode {
    /// `Result<T, E>`: the last error.
    Last,
    /// `Result<T, AllFailed<E>>`: every error; holds `E`.
    All(Box<Type>),
}

/// The function under the attribute, read.
pub struct Function {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    /// The signature as it will be emitted: the user's, with `mut` taken off the
    /// parameters (only a body that is the primary mutates them, through its own copy).
    pub sig: Signature,
    pub body: Option<Block>,
    pub params: Vec<Param>,
    /// The declared return type.
    pub ret: Type,
    pub mode: ErrorMode,
    /// `Result<Served<T>, _>`: the value comes with which alternative served; holds `T`.
    pub served: Option<Type>,
}

impl Function {
    /// Reads the function, recording what `#[fallback]` cannot work with.
    pub fn from_item(item: FnItem, errors: &mut Errors) -> Option<Function> {
        let FnItem {
            attrs,
            vis,
            mut sig,
            body,
        } = item;
        let mut params = Vec::new();
        for arg in sig.inputs.iter_mut() {
            if let Some(param) = errors.take(param(arg)) {
                params.push(param);
            }
        }
        if let Some(variadic) = &sig.variadic {
            errors.push(syn::Error::new_spanned(
                variadic,
                "`#[fallback]` cannot pass variadic arguments on to alternatives",
            ));
        }
        let ret = match &sig.output {
            ReturnType::Type(_, ty) => Some((**ty).clone()),
            ReturnType::Default => {
                errors.push(syn::Error::new(
                    sig.paren_token.span.close(),
                    format!(
                        "`{}` has no return type; a `#[fallback]` function returns \
                         `Result<T, E>`: add `-> Result<T, E>`",
                        sig.ident
                    ),
                ));
                None
            }
        }?;
        let ret = peeled(&ret).clone();
        if !matches!(ret, Type::Path(_)) {
            errors.push(syn::Error::new_spanned(
                &ret,
                "a `#[fallback]` function returns `Result<T, E>` (or an alias of it)",
            ));
            return None;
        }
        if let Some(span) = impl_trait_in(ret.to_token_stream()) {
            errors.push(syn::Error::new(
                span,
                "`#[fallback]` names the return type inside the function, which `impl Trait` \
                 does not allow: write the concrete type, or box it (`Box<dyn Trait>`)",
            ));
            return None;
        }
        let mode = error_mode(&ret);
        let served = generic_args(&ret)
            .and_then(|args| args.first().copied())
            .filter(|ok| last_segment_is(ok, "Served"))
            .and_then(|ok| match generic_args(ok).as_deref() {
                Some([value]) => Some((*value).clone()),
                _ => None,
            });
        Some(Function {
            attrs,
            vis,
            sig,
            body,
            params,
            ret,
            mode,
            served,
        })
    }

    /// Whether the function is `async`.
    pub fn is_async(&self) -> bool {
        self.sig.asyncness.is_some()
    }
}

/// Reads one parameter, taking `mut` off it (see [`Function::sig`]).
fn param(arg: &mut FnArg) -> syn::Result<Param> {
    match arg {
        FnArg::Receiver(receiver) => {
            let self_token = receiver.self_token;
            let mutability = receiver.mutability.take();
            let (passing, kind) = match &receiver.kind {
                ReceiverKind::Reference(_, _, None) => {
                    (Passing::Shared, ReceiverKindSeen::Reference)
                }
                ReceiverKind::Reference(_, _, Some(_)) => {
                    (Passing::Unique, ReceiverKindSeen::Reference)
                }
                ReceiverKind::Typed(_, ty) => (passing_of(ty), receiver_kind_of(ty)),
                _ => (Passing::Owned, ReceiverKindSeen::Value),
            };
            if passing.reborrows_through_a_method() {
                receiver.mutability = Some(Default::default());
            }
            Ok(Param {
                binding: self_token.into_token_stream(),
                passing,
                ty_span: self_token.span,
                mutability,
                receiver: Some(kind),
            })
        }
        FnArg::Typed(typed) => {
            let Pat::Ident(pat) = &mut *typed.pat else {
                return Err(syn::Error::new_spanned(
                    &typed.pat,
                    "`#[fallback]` passes each parameter on by name; give this one a name \
                     (`name: Type`) and destructure it inside the alternatives",
                ));
            };
            if pat.by_ref.is_some() || pat.subpat.is_some() {
                return Err(syn::Error::new_spanned(
                    &*pat,
                    "`#[fallback]` passes each parameter on by name; write it as `name: Type`",
                ));
            }
            let mutability = pat.mutability.take();
            let passing = passing_of(&typed.ty);
            if passing.reborrows_through_a_method() {
                pat.mutability = Some(Default::default());
            }
            Ok(Param {
                binding: pat.ident.to_token_stream(),
                passing,
                ty_span: first_span(&typed.ty),
                mutability,
                receiver: None,
            })
        }
    }
}

fn passing_of(ty: &Type) -> Passing {
    let wraps_unique = |name: &str| {
        last_segment_is(ty, name)
            && generic_args(ty).is_some_and(
                |args| matches!(args.as_slice(), [inner] if passing_of(inner) == Passing::Unique),
            )
    };
    match ty {
        Type::Reference(reference) if reference.mutability.is_some() => Passing::Unique,
        Type::Reference(_) => Passing::Shared,
        Type::Group(group) => passing_of(&group.elem),
        Type::Paren(paren) => passing_of(&paren.elem),
        _ if wraps_unique("Pin") => Passing::PinnedUnique,
        _ if wraps_unique("Option") => Passing::OptionalUnique,
        _ => Passing::Owned,
    }
}

fn receiver_kind_of(ty: &Type) -> ReceiverKindSeen {
    match passing_of(ty) {
        Passing::Owned => ReceiverKindSeen::Value,
        _ => ReceiverKindSeen::Reference,
    }
}

/// The type inside `macro_rules!` fragment groups and parentheses.
fn peeled(ty: &Type) -> &Type {
    match ty {
        Type::Group(group) => peeled(&group.elem),
        Type::Paren(paren) => peeled(&paren.elem),
        other => other,
    }
}

/// The first `impl` in `ty`, which the body cannot name.
pub fn impl_trait_in(tokens: TokenStream) -> Option<Span> {
    tokens.into_iter().find_map(|tree| match tree {
        TokenTree::Ident(ident) if ident == "impl" => Some(ident.span()),
        TokenTree::Group(group) => impl_trait_in(group.stream()),
        _ => None,
    })
}

/// `Result<T, AllFailed<E>>` (any path ending in those names) collects every error;
/// anything else returns the last one.
fn error_mode(ret: &Type) -> ErrorMode {
    let Some(error) = generic_args(ret).and_then(|args| args.get(1).copied()) else {
        return ErrorMode::Last;
    };
    error_mode_of_error(error)
}

/// `AllFailed<E>` (any path ending in that name) collects every error into it.
pub fn error_mode_of_error(error: &Type) -> ErrorMode {
    match generic_args(error) {
        Some(inner) if last_segment_is(error, "AllFailed") && inner.len() == 1 => {
            ErrorMode::All(Box::new(inner[0].clone()))
        }
        _ => ErrorMode::Last,
    }
}

fn last_segment_is(ty: &Type, name: &str) -> bool {
    matches!(peeled(ty), Type::Path(path) if path.path.segments.last().is_some_and(|s| s.ident == name))
}

/// The type arguments of a path type's last segment: `[T, E]` for `Result<T, E>`.
fn generic_args(ty: &Type) -> Option<Vec<&Type>> {
    let Type::Path(path) = peeled(ty) else {
        return None;
    };
    let PathArguments::AngleBracketed(args) = &path.path.segments.last()?.arguments else {
        return None;
    };
    Some(
        args.args
            .iter()
            .filter_map(|arg| match arg {
                GenericArgument::Type(ty) => Some(ty),
                _ => None,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_text_reads_like_rust() {
        let name = |text: &str| source_text(&syn::parse_str::<Expr>(text).unwrap());
        assert_eq!(name("providers::openai"), "providers::openai");
        assert_eq!(name("Self::openai"), "Self::openai");
        assert_eq!(name("|p: &str| local(p)"), "|p: &str| local(p)");
        assert_eq!(name("make(a, b).call"), "make(a, b).call");
        assert_eq!(
            name("|p| async move {\n    local(p).await\n}"),
            "|p| async move { local(p).await }"
        );
    }

    #[test]
    fn durations_are_read_with_their_units() {
        use std::time::Duration;
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("100us"), Ok(Duration::from_micros(100)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("2 secs").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("1.2.3s").is_err());
    }

    #[test]
    fn a_misspelt_option_finds_its_neighbour() {
        let closest = |key| closest(key, ATTRIBUTE_OPTIONS);
        assert_eq!(closest("them"), Some("then"));
        assert_eq!(closest("primay"), Some("primary"));
        assert_eq!(closest("onn"), Some("on"));
        assert_eq!(closest("timeout_everything"), None);
    }

    #[test]
    fn all_failed_is_read_from_the_return_type() {
        let mode = |text: &str| error_mode(&syn::parse_str(text).unwrap());
        assert!(matches!(
            mode("Result<u8, AllFailed<MyError>>"),
            ErrorMode::All(_)
        ));
        assert!(matches!(
            mode("Result<u8, fallbacks::AllFailed<E>>"),
            ErrorMode::All(_)
        ));
        assert!(matches!(mode("Result<u8, MyError>"), ErrorMode::Last));
        assert!(matches!(mode("io::Result<u8>"), ErrorMode::Last));
    }

    #[test]
    fn parameters_are_passed_by_their_type() {
        let passing = |text: &str| passing_of(&syn::parse_str(text).unwrap());
        assert_eq!(passing("&str"), Passing::Shared);
        assert_eq!(passing("&'a mut Vec<u8>"), Passing::Unique);
        assert_eq!(passing("String"), Passing::Owned);
        assert_eq!(passing("u32"), Passing::Owned);
        assert_eq!(passing("impl AsRef<str> + Clone"), Passing::Owned);
        assert_eq!(passing("Pin<&mut Self>"), Passing::PinnedUnique);
        assert_eq!(passing("Option<&mut Vec<u8>>"), Passing::OptionalUnique);
        assert_eq!(passing("Option<&u8>"), Passing::Owned);
    }
}
