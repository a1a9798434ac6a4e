//! Stage 1, syntax: the attribute's `key = value` list and the item it is attached to.
//! Nothing here knows what an option means; that is [`crate::model`]'s job.

use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Block, Expr, Ident, Signature, Token, Visibility};

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
    pub value: Expr,
}

impl Parse for RawOption {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key = input.call(Ident::parse_any).map_err(|error| {
            syn::Error::new(
                error.span(),
                "expected an option such as `then = [b, c]` or `on = is_transient`",
            )
        })?;
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
        let value = input.parse()?;
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
        let body = if input.peek(Token![;]) {
            input.parse::<Token![;]>()?;
            None
        } else {
            Some(input.parse()?)
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
