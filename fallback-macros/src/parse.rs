//! Stage 1, syntax: the `key = value` option list, the function under `#[fallback]`,
//! and the operands of `fallback_chain!`. Nothing here knows what an option means;
//! that is [`crate::model`]'s job.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{discouraged::Speculative, Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{token, Attribute, Block, Expr, Ident, Signature, Token, Type, Visibility};

/// `key = value, key = value, ...`, as written.
pub struct OptionList {
    pub options: Punctuated<RawOption, Token![,]>,
}

impl Parse for OptionList {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        Ok(OptionList {
            options: Punctuated::parse_terminated(input)?,
        })
    }
}

/// One `key = value`. The key is any identifier (keywords too: `crate = ...`), so that
/// an unknown key is reported by name, with the list of valid ones, rather than as a
/// syntax error.
pub struct RawOption {
    pub key: Ident,
    pub value: RawValue,
}

/// What follows `key =`.
pub enum RawValue {
    /// `[a, err => b(err)]`: a list of alternatives.
    List(token::Bracket, Punctuated<Entry, Token![,]>),
    /// A type, for the one option that takes one (`error = AllFailed<E>`), which would
    /// not parse as an expression.
    Type(Type),
    /// `"name": expr`: an alternative with its short name (`primary = "gpt": openai`).
    Named(syn::LitStr, Expr),
    /// Anything else.
    Expr(Expr),
    /// Nothing: the key alone, for an option that is a switch (`catch_panic`).
    Flag(Span),
}

/// One alternative in a list: an expression, optionally preceded by its short name
/// (`"claude": anthropic`) and by `err =>` to bind the error the previous alternative
/// failed with.
pub struct Entry {
    pub name: Option<syn::LitStr>,
    pub previous: Option<Ident>,
    pub expr: Expr,
}

/// An expression. A lone name before `,` or the end (`then = [b, c]`, `on = f`: most
/// values) is read as the path it is without the expression parser, whose every
/// lookahead costs in a macro built without optimizations, as macros are in debug
/// builds.
fn expr(input: ParseStream) -> syn::Result<Expr> {
    let fork = input.fork();
    if let Ok(name) = fork.parse::<Ident>() {
        if fork.is_empty() || fork.peek(Token![,]) {
            input.advance_to(&fork);
            return Ok(Expr::Path(syn::ExprPath {
                attrs: Vec::new(),
                qself: None,
                path: name.into(),
            }));
        }
    }
    input.parse()
}

/// Whether `"name":` comes next (one colon: `::` is a path).
fn peek_name(input: ParseStream) -> bool {
    input.peek(syn::LitStr) && input.peek2(Token![:]) && !input.peek2(Token![::])
}

impl Parse for Entry {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name = if peek_name(input) {
            let name: syn::LitStr = input.parse()?;
            input.parse::<Token![:]>()?;
            Some(name)
        } else {
            None
        };
        let previous = if input.peek(Ident) && input.peek2(Token![=>]) {
            let name: Ident = input.parse()?;
            input.parse::<Token![=>]>()?;
            Some(name)
        } else {
            None
        };
        Ok(Entry {
            name,
            previous,
            expr: expr(input)?,
        })
    }
}

impl Parse for RawOption {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key = input.call(Ident::parse_any).map_err(|error| {
            syn::Error::new(
                error.span(),
                "expected an option such as `then = [b, c]` or `on = is_transient`",
            )
        })?;
        if input.is_empty() || input.peek(Token![,]) {
            return Ok(RawOption {
                value: RawValue::Flag(key.span()),
                key,
            });
        }
        let eq_token: Token![=] = input.parse().map_err(|_| {
            syn::Error::new(
                key.span(),
                format!("expected `=` after `{key}`: options are written `{key} = value`"),
            )
        })?;
        if input.is_empty() || input.peek(Token![,]) {
            return Err(syn::Error::new(
                eq_token.span,
                format!("`{key} =` needs a value after the `=`"),
            ));
        }
        let value = if input.peek(token::Bracket) {
            let content;
            let bracket = syn::bracketed!(content in input);
            RawValue::List(bracket, Punctuated::parse_terminated(&content)?)
        } else if key == "error" {
            RawValue::Type(input.parse().map_err(|error| {
                syn::Error::new(
                    error.span(),
                    "`error` takes a type: `error = LlmError`, or `error = AllFailed<LlmError>` \
                     for every error",
                )
            })?)
        } else if peek_name(input) {
            let name: syn::LitStr = input.parse()?;
            input.parse::<Token![:]>()?;
            RawValue::Named(name, expr(input)?)
        } else {
            RawValue::Expr(expr(input)?)
        };
        Ok(RawOption { key, value })
    }
}

/// The item under the attribute: a function with a body, or a bodyless one
/// (`async fn f(x: &str) -> Result<T, E>;`), which the macro turns into a dispatcher.
#[derive(Clone)]
pub struct FnItem {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub sig: Signature,
    pub body: Option<Block>,
}

impl Parse for FnItem {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        if !starts_function(input) {
            return Err(input
                .error("`#[fallback]` goes on a function: `async fn name(args) -> Result<T, E>`"));
        }
        let sig: Signature = input.parse()?;
        let mut attrs = attrs;
        let body = if input.peek(Token![;]) {
            input.parse::<Token![;]>()?;
            None
        } else {
            // `#![attr]` at the top of the body applies to the function; it goes on it,
            // since the body is moved into a block of its own.
            let content;
            let brace_token = syn::braced!(content in input);
            let mut inner = content.call(Attribute::parse_inner)?;
            for attr in &mut inner {
                attr.style = syn::AttrStyle::Outer;
            }
            attrs.extend(inner);
            let stmts = content.call(Block::parse_within)?;
            Some(Block { brace_token, stmts })
        };
        Ok(FnItem {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

/// Whether the next tokens begin a function signature (`fn`, or its qualifiers).
fn starts_function(input: ParseStream) -> bool {
    let fork = input.fork();
    loop {
        if fork.peek(Token![fn]) {
            return true;
        }
        let qualifier = fork.parse::<Token![const]>().is_ok()
            || fork.parse::<Token![async]>().is_ok()
            || fork.parse::<Token![unsafe]>().is_ok()
            || (fork.parse::<Token![extern]>().is_ok() && {
                let _ = fork.parse::<syn::LitStr>();
                true
            });
        if !qualifier {
            return false;
        }
    }
}

/// The input of `fallback_chain!`: operands separated by `|`, then, after a comma, the
/// options.
pub struct ChainInput {
    pub operands: Vec<Entry>,
    /// What follows the comma after the operands, to be parsed as an [`OptionList`].
    pub options: TokenStream,
}

/// Splits `fallback_chain!`'s input into operands and options.
///
/// The operands are split at each `|` that stands alone between them (never inside
/// brackets, and never one half of `||`), not parsed as one expression: an expression
/// parser would read `a | b` as a bitwise or, and `| a | b` as a closure. The chain
/// ends at the first comma outside brackets after which its operands all parse, so a
/// comma inside `a::<X, Y>(..)` does not end it.
pub fn chain_input(tokens: TokenStream) -> syn::Result<ChainInput> {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    if trees.is_empty() {
        return Err(syn::Error::new(
            Span::call_site(),
            "empty chain: write the alternatives separated by `|`, \
             e.g. `fallback_chain!(primary(&x) | fallback(&x))`",
        ));
    }
    let commas: Vec<usize> = (0..trees.len())
        .filter(|&index| is_punct(&trees[index], ','))
        .collect();
    let mut first_error: Option<syn::Error> = None;
    for end in commas.iter().copied().chain([trees.len()]) {
        match operands(&trees[..end]) {
            Ok(operands) => {
                let options = trees
                    .get(end + 1..)
                    .unwrap_or_default()
                    .iter()
                    .cloned()
                    .collect();
                return Ok(ChainInput { operands, options });
            }
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| syn::Error::new(Span::call_site(), "expected a chain")))
}

fn operands(trees: &[TokenTree]) -> syn::Result<Vec<Entry>> {
    let mut pieces: Vec<(&[TokenTree], Option<&TokenTree>)> = Vec::new();
    let mut start = 0;
    for index in 0..trees.len() {
        if is_separator(trees, index) {
            pieces.push((&trees[start..index], Some(&trees[index])));
            start = index + 1;
        }
    }
    pieces.push((&trees[start..], None));
    pieces
        .iter()
        .enumerate()
        .map(|(position, (piece, pipe_after))| {
            if piece.is_empty() {
                let (pipe, message) = match (position, pipe_after) {
                    (0, Some(pipe)) => (
                        pipe.span(),
                        "leading `|`: a chain starts with its first operand, \
                         e.g. `fallback_chain!(a(&x) | b(&x))`",
                    ),
                    (_, None) => (
                        pieces[position - 1]
                            .1
                            .map_or_else(Span::call_site, TokenTree::span),
                        "trailing `|`: add the missing operand after it, or remove it",
                    ),
                    (_, Some(pipe)) => (
                        pipe.span(),
                        "empty operand: there is nothing between these `|`s \
                         (a closure operand needs parentheses, and a call)",
                    ),
                };
                return Err(syn::Error::new(pipe, message));
            }
            Entry::parse.parse2(piece.iter().cloned().collect())
        })
        .collect()
}

/// A `|` between operands: alone, not half of `||`.
fn is_separator(trees: &[TokenTree], index: usize) -> bool {
    let TokenTree::Punct(punct) = &trees[index] else {
        return false;
    };
    let joined_to_next = punct.spacing() == proc_macro2::Spacing::Joint
        && trees
            .get(index + 1)
            .is_some_and(|next| is_punct(next, '|') || is_punct(next, '='));
    let joined_to_previous = index > 0
        && matches!(&trees[index - 1], TokenTree::Punct(previous)
            if previous.as_char() == '|' && previous.spacing() == proc_macro2::Spacing::Joint);
    punct.as_char() == '|' && !joined_to_next && !joined_to_previous
}

fn is_punct(tree: &TokenTree, c: char) -> bool {
    matches!(tree, TokenTree::Punct(punct) if punct.as_char() == c)
}
