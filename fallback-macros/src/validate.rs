//! Stage 3, rules across options: checks only, nothing is built here.

use proc_macro2::Span;
use syn::{BinOp, Expr};

use crate::errors::Errors;
use crate::model::{
    first_span, Alternative, Callee, Function, Options, ReceiverKindSeen, CHAIN_OPTIONS,
};

/// The rules of `#[fallback]` that involve more than one option, or an option and the
/// function: every broken one is reported.
pub fn function(options: &Options, function: &Function) -> syn::Result<()> {
    let mut errors = Errors::default();
    if !options.written("then") {
        errors.push(syn::Error::new(
            Span::call_site(),
            "missing `then = [...]`: name at least one fallback, \
             e.g. `#[fallback(primary = a, then = [b])]`",
        ));
    }
    match (&options.primary, &function.body) {
        (Some((key, _)), Some(_)) => errors.push(syn::Error::new(
            key.span(),
            format!(
                "`{}` has a body and a `primary`, so the body would never run; \
                 remove `primary = ...` to make the body the primary, \
                 or end the signature with `;` to make a dispatcher",
                function.sig.ident
            ),
        )),
        (None, None) if !options.written("primary") => errors.push(syn::Error::new(
            function.sig.ident.span(),
            format!(
                "`{}` has no body and no `primary`: add `primary = first_alternative` \
                 to the attribute, or give the function a body to serve as the primary",
                function.sig.ident
            ),
        )),
        (None, Some(_)) => {
            let by_value = function
                .params
                .iter()
                .find(|param| param.receiver == Some(ReceiverKindSeen::Value));
            if let Some(receiver) = by_value {
                errors.push(syn::Error::new(
                    receiver.ty_span,
                    "a body that takes `self` by value cannot be the primary: it would consume \
                     `self` before the fallbacks run; move the body into its own method and \
                     name it with `primary = Self::method`",
                ));
            }
        }
        (Some(_), None) | (None, None) => {}
    }
    if let Some((stream, _)) = &options.stream {
        errors.extend(stream_function(stream, options, function));
    } else {
        errors.extend(stream_options_without_stream(options));
    }
    if options.stream.is_none() && !function.is_async() {
        let key = options.clock_key().or_else(|| {
            [
                options.reject.as_ref().map(|(key, _)| key),
                options.catch_panic.as_ref(),
            ]
            .into_iter()
            .flatten()
            .next()
        });
        if let Some(key) = key {
            errors.push(syn::Error::new(
                key.span(),
                format!(
                    "`{key}` needs an `async fn`: a plain function can neither stop a slow \
                     attempt nor wait between tries; make `{}` async",
                    function.sig.ident
                ),
            ));
        }
    }
    errors.extend(called_in_place(options, function));
    errors.extend(policies(options));
    let then: Vec<&Alternative> = options.then.iter().flat_map(|(_, then)| then).collect();
    let collects = matches!(function.mode, crate::model::ErrorMode::All(_));
    errors.extend(previous_with_cooldown(&then, options));
    errors.extend(hedge(&then, options, collects));
    if options.hedge.is_some() {
        errors.extend(lent_mutably(
            function,
            "`hedge` runs alternatives at the same time, and a `&mut` cannot be lent to two \
             at once: take this parameter by `&` or by value, or remove `hedge`",
        ));
    }
    if let Some(constness) = &function.sig.constness {
        errors.push(syn::Error::new(
            constness.span,
            "a `#[fallback]` function cannot be `const`: remove `const`",
        ));
    }
    errors.finish()
}

/// An alternative written as a call that uses the function's own parameters
/// (`then = [local(prompt, 512)]`, as the compiler suggests for an alternative that
/// takes other arguments): it would be called here, once, not by the chain. Told to
/// write the closure that does what was meant.
fn called_in_place(options: &Options, function: &Function) -> Option<syn::Error> {
    let params: Vec<String> = function
        .params
        .iter()
        .map(|param| param.binding.to_string())
        .collect();
    let mut errors = Errors::default();
    let alternatives = options
        .primary
        .iter()
        .map(|(_, primary)| primary)
        .chain(options.then.iter().flat_map(|(_, then)| then));
    for alternative in alternatives {
        let Callee::Call(Expr::Call(call)) = &alternative.callee else {
            continue;
        };
        let uses_a_parameter = call.args.iter().any(|arg| {
            crate::model::idents(arg)
                .iter()
                .any(|ident| params.contains(ident))
        });
        if uses_a_parameter {
            let text = crate::model::source_text(call);
            let closure_params = params
                .iter()
                .map(|param| {
                    if param == "self" {
                        "this".to_string()
                    } else {
                        param.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            errors.push(syn::Error::new(
                crate::model::first_span(call),
                format!(
                    "`{text}` calls the alternative here; an alternative is something the chain \
                     calls with the function's arguments. To pass other arguments, write a \
                     closure: `|{closure_params}| {text}`"
                ),
            ));
        }
    }
    errors.finish().err()
}

/// The rules of `fallback_chain!`'s operands.
pub fn chain(alternatives: &[Alternative]) -> syn::Result<()> {
    if let Some(error) = options_first(alternatives) {
        return Err(error);
    }
    let mut errors = Errors::default();
    let or = |alternative: &Alternative| match &alternative.callee {
        Callee::Attempt(Expr::Binary(binary)) => match binary.op {
            BinOp::Or(or) => Some(or),
            _ => None,
        },
        _ => None,
    };
    for or in alternatives.iter().filter_map(or) {
        errors.push(syn::Error::new(
            or.spans[0],
            "`||` between operands: separate operands with a single `|`",
        ));
    }
    if let [only] = alternatives {
        if or(only).is_none() {
            errors.push(single_operand(only));
        }
    }
    if let Some(Alternative {
        previous: Some(name),
        ..
    }) = alternatives.first()
    {
        errors.push(syn::Error::new(
            name.span(),
            format!(
                "`{name} =>` binds the error of the operand before, \
                 and the first operand has none: remove `{name} =>`"
            ),
        ));
    }
    errors.finish()
}

/// The error for options written before the operands (`fallback_chain!(on = f, a | b)`),
/// which then read as a first operand `on = f`. Reported alone: what follows is not
/// options, and nothing else about the input means anything.
pub fn options_first(alternatives: &[Alternative]) -> Option<syn::Error> {
    let Some(Callee::Attempt(Expr::Assign(assign))) = alternatives.first().map(|a| &a.callee)
    else {
        return None;
    };
    let Expr::Path(path) = &*assign.left else {
        return None;
    };
    let key = path.path.get_ident()?;
    CHAIN_OPTIONS.iter().any(|(name, _)| key == name).then(|| {
        syn::Error::new(
            key.span(),
            format!("options come after the chain: `fallback_chain!(a(&x) | b(&x), {key} = ...)`"),
        )
    })
}

/// The error for a chain of one operand.
fn single_operand(only: &Alternative) -> syn::Error {
    syn::Error::new(
        only.span(),
        format!(
            "a chain needs at least two operands separated by `|`, \
             e.g. `fallback_chain!({} | fallback(..))`; a single future needs no macro",
            only.name
        ),
    )
}

/// The rules between time and health options, the same for both macros.
pub fn policies(options: &Options) -> Option<syn::Error> {
    let mut errors = Errors::default();
    if let (Some(backoff), None) = (&options.backoff, &options.retries) {
        errors.push(syn::Error::new(
            backoff.key.span(),
            "`backoff` is the pause between retries, and there are none: add `retries = N`, \
             or remove `backoff`",
        ));
    }
    for (key, says) in [
        (&options.retry_on, "which errors are retried"),
        (&options.retry_after, "how long to wait before a retry"),
    ]
    .into_iter()
    .filter_map(|(option, says)| Some((&option.as_ref()?.0, says)))
    {
        if options.retries.is_none() {
            errors.push(syn::Error::new(
                key.span(),
                format!(
                    "`{key}` says {says}, and there are no retries: add `retries = N`, \
                     or remove `{key}`"
                ),
            ));
        }
    }
    if let (Some((key, _)), None) = (&options.health, &options.cooldown) {
        errors.push(syn::Error::new(
            key.span(),
            "`health` holds the state of `cooldown`, and there is none: add `cooldown = \"30s\"`, \
             or remove `health`",
        ));
    }
    if let (Some((key, _)), None) = (&options.trip_after, &options.cooldown) {
        errors.push(syn::Error::new(
            key.span(),
            "`trip_after` says when an alternative is skipped, `cooldown` for how long: \
             add `cooldown = \"30s\"`",
        ));
    }
    errors.finish().err()
}

/// What `hedge` needs of the alternatives: no `err =>` (alternatives run at the same
/// time, so there is no "previous" one), and no `deadline` with `AllFailed` (yet).
pub fn hedge(
    alternatives: &[&Alternative],
    options: &Options,
    collects: bool,
) -> Option<syn::Error> {
    options.hedge.as_ref()?;
    let mut errors = Errors::default();
    if let Some(binding) = alternatives.iter().find_map(|a| a.previous.as_ref()) {
        errors.push(syn::Error::new(
            binding.span(),
            format!(
                "`{binding} =>` cannot be combined with `hedge`: hedged alternatives run at the \
                 same time, so the one before has not always failed; remove one of them"
            ),
        ));
    }
    if let (true, Some(deadline)) = (collects, &options.deadline) {
        errors.push(syn::Error::new(
            deadline.key.span(),
            "a hedged chain that returns `AllFailed` cannot have a `deadline` yet: several \
             alternatives may be running when it passes; use `timeout`, or return the plain \
             error type",
        ));
    }
    errors.finish().err()
}

/// `err =>` together with `cooldown`, which may skip the alternative whose error it
/// would see.
pub fn previous_with_cooldown(
    alternatives: &[&Alternative],
    options: &Options,
) -> Option<syn::Error> {
    let cooldown = options.cooldown.as_ref()?;
    let binding = alternatives.iter().find_map(|a| a.previous.as_ref())?;
    Some(syn::Error::new(
        binding.span(),
        format!(
            "`{binding} =>` cannot be combined with `{}`: the alternative before may be \
             skipped while it cools down, and then there is no error to see; remove one of them",
            cooldown.key
        ),
    ))
}

/// `message`, at the first parameter the chain would lend mutably (`&mut`, `Pin<&mut _>`,
/// `Option<&mut _>`): on its whole type (`&mut String`), not its first token.
fn lent_mutably(function: &Function, message: &str) -> Option<syn::Error> {
    use crate::model::Passing::{Owned, Shared};
    let position = function
        .params
        .iter()
        .position(|p| p.passing != Shared && p.passing != Owned)?;
    // (Each parameter is its input when every input was read.)
    let input = (function.params.len() == function.sig.inputs.len())
        .then(|| function.sig.inputs.iter().nth(position))
        .flatten();
    Some(match input {
        Some(syn::FnArg::Typed(typed)) => syn::Error::new_spanned(&typed.ty, message),
        Some(syn::FnArg::Receiver(receiver)) => syn::Error::new_spanned(receiver, message),
        None => syn::Error::new(function.params[position].ty_span, message),
    })
}

/// The options only a stream chain takes (`first_item_timeout`, `idle_timeout`,
/// `empty_is_failure`), on a chain without `stream`.
fn stream_options_without_stream(options: &Options) -> Option<syn::Error> {
    let mut errors = Errors::default();
    let keys = [
        options.first_item_timeout.as_ref().map(|timed| &timed.key),
        options.idle_timeout.as_ref().map(|timed| &timed.key),
        options.empty_is_failure.as_ref(),
    ];
    for key in keys.into_iter().flatten() {
        errors.push(syn::Error::new(
            key.span(),
            format!(
                "`{key}` is a stream chain's: add `stream` to say the alternatives open streams"
            ),
        ));
    }
    errors.finish().err()
}

/// What a stream chain (`stream`) takes: at most eight operands, and none of the
/// options that make no sense for streams; `first_item_timeout`, `idle_timeout` and
/// `empty_is_failure` only with it.
pub fn stream(alternatives: &[&Alternative], options: &Options) -> Option<syn::Error> {
    let mut errors = Errors::default();
    let Some((stream, _)) = &options.stream else {
        return stream_options_without_stream(options);
    };
    if alternatives.len() > 8 {
        errors.push(syn::Error::new(
            stream.span(),
            "a stream chain takes at most 8 operands: nest a chain in another for more",
        ));
    }
    let refused = [
        options.hedge.as_ref().map(|timed| &timed.key),
        options.reject.as_ref().map(|(key, _)| key),
    ];
    for key in refused.into_iter().flatten() {
        errors.push(syn::Error::new(
            key.span(),
            format!("`{key}` cannot be combined with `stream` yet: remove one of them"),
        ));
    }
    // `error = AllFailed<E>` collects every error; a conversion to another type is not
    // there yet.
    let collects = options.error.as_ref().is_some_and(|error| {
        matches!(
            crate::model::error_mode_of_error(error),
            crate::model::ErrorMode::All(_)
        )
    });
    if let (Some(error), false) = (&options.error, collects) {
        errors.push(syn::Error::new(
            first_span(error),
            "a stream chain's operands fail with one error type (no conversion with \
             `error = ..` yet; `error = AllFailed<E>` collects every error): convert each \
             operand's error with `map_err`",
        ));
    }
    if let Some(binding) = alternatives
        .iter()
        .find_map(|alternative| alternative.previous.as_ref())
    {
        errors.push(syn::Error::new(
            binding.span(),
            format!("`{binding} =>` cannot be combined with `stream` yet: remove one of them"),
        ));
    }
    errors.finish().err()
}

/// What a stream chain's function needs: not `async` (the stream it returns is lazy),
/// named alternatives (no body as the primary), and no `&mut` parameter (each
/// alternative gets its own copy of the arguments, when its turn comes); plus what any
/// stream chain needs.
fn stream_function(
    stream_key: &syn::Ident,
    options: &Options,
    function: &Function,
) -> Option<syn::Error> {
    let mut errors = Errors::default();
    if let Some(asyncness) = &function.sig.asyncness {
        errors.push(syn::Error::new(
            asyncness.span,
            "a stream chain's function returns its stream at once, and the stream is lazy: \
             remove `async`",
        ));
    }
    if function.body.is_some() {
        errors.push(syn::Error::new(
            stream_key.span(),
            "a stream chain's alternatives are named: give `primary = ..` and end the \
             signature with `;`",
        ));
    }
    if let Some((ok, _)) = crate::model::stream_item(&function.ret)
        .filter(|(ok, _)| crate::model::last_segment_is(ok, "Served"))
    {
        errors.push(syn::Error::new_spanned(
            ok,
            "a stream chain's items are its alternatives' items, not `Served`: which \
             alternative answers is in its events (`observe = ..`), or use \
             `try_each(..).stream()`, whose `served()` says it",
        ));
    }
    errors.extend(lent_mutably(
        function,
        "a stream chain calls its alternatives when their turn comes, each with its own copy \
         of the arguments, so it cannot lend a `&mut` (nor a `Pin<&mut _>` or an \
         `Option<&mut _>`): take this parameter by `&` or by value",
    ));
    let alternatives: Vec<&Alternative> = options
        .primary
        .iter()
        .map(|(_, primary)| primary)
        .chain(options.then.iter().flat_map(|(_, then)| then))
        .collect();
    errors.extend(stream(&alternatives, options));
    errors.finish().err()
}
