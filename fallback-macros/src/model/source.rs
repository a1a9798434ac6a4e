//! How an alternative's name reads in errors and reports.

use proc_macro2::{Delimiter, LineColumn, TokenStream, TokenTree};
use quote::ToTokens;

/// How an alternative's name reads in errors and reports: its source text on one line,
/// e.g. `providers::openai` or `|prompt: &str| local(prompt)`. Tokens keep the gaps
/// they had in the source (a line break becomes one space); where the compiler gives no
/// positions, a space goes only where Rust style puts one.
pub fn source_text(tokens: &impl ToTokens) -> String {
    let mut text = Text::default();
    text.push_stream(tokens.to_token_stream());
    text.out
}

/// An alternative's default name: its source text (`providers::openai`,
/// `openai(&req)`), except for a closure or an `async` block, named by the first function
/// or method it calls (`|this, prompt| this.chat_on(..)` is `chat_on`), or `closure` /
/// `async block` when it calls none.
pub fn short_name(expr: &syn::Expr) -> String {
    let (body, fallback) = match expr {
        syn::Expr::Closure(closure) => (closure.body.to_token_stream(), "closure"),
        syn::Expr::Async(block) => (block.block.to_token_stream(), "async block"),
        _ => return source_text(expr),
    };
    first_call(body).unwrap_or_else(|| fallback.to_string())
}

/// Every identifier in `tokens`, nested groups included.
pub fn idents(tokens: &impl ToTokens) -> Vec<String> {
    fn collect(tokens: TokenStream, into: &mut Vec<String>) {
        for tree in tokens {
            match tree {
                TokenTree::Ident(ident) => into.push(ident.to_string()),
                TokenTree::Group(group) => collect(group.stream(), into),
                TokenTree::Punct(_) | TokenTree::Literal(_) => {}
            }
        }
    }
    let mut all = Vec::new();
    collect(tokens.to_token_stream(), &mut all);
    all
}

/// The first `name(` in `tokens` that calls a function or method (not `Ok(`, `Some(`..).
fn first_call(tokens: TokenStream) -> Option<String> {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (at, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Ident(ident) => {
                let called = matches!(
                    trees.get(at + 1),
                    Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Parenthesis
                );
                let name = ident.to_string();
                let constructor = ["Ok", "Err", "Some", "Box", "Arc", "Rc", "String"];
                if called && !constructor.contains(&name.as_str()) {
                    return Some(name);
                }
            }
            TokenTree::Group(group) => {
                if let Some(name) = first_call(group.stream()) {
                    return Some(name);
                }
            }
            _ => {}
        }
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closure_is_named_by_what_it_calls() {
        let name = |text: &str| short_name(&syn::parse_str::<syn::Expr>(text).unwrap());
        assert_eq!(
            name("|this, prompt| this.chat_on(&this.openai, prompt)"),
            "chat_on"
        );
        assert_eq!(name("|p| async move { cached(p).await }"), "cached");
        assert_eq!(name("|p: &str| Ok(p.len())"), "len");
        assert_eq!(name("|| Ok(3)"), "closure");
        assert_eq!(name("async { fetch(&req).await }"), "fetch");
        assert_eq!(name("providers::openai"), "providers::openai");
        assert_eq!(name("openai(&req)"), "openai(&req)");
    }

    #[test]
    fn source_text_reads_like_rust() {
        let name = |text: &str| source_text(&syn::parse_str::<syn::Expr>(text).unwrap());
        assert_eq!(name("providers::openai"), "providers::openai");
        assert_eq!(name("Self::openai"), "Self::openai");
        assert_eq!(name("|p: &str| local(p)"), "|p: &str| local(p)");
        assert_eq!(name("make(a, b).call"), "make(a, b).call");
        assert_eq!(
            name("|p| async move {\n    local(p).await\n}"),
            "|p| async move { local(p).await }"
        );
    }
}
