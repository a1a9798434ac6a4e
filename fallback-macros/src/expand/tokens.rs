//! Tokens as the engines write them: split into trees once, respanned, and joined
//! without a join of token streams where it can be helped. In a debug build the macros
//! run unoptimised, and each join is a call into the compiler: they were most of the
//! macros' compile time.

use proc_macro2::{Delimiter, Ident, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::{ToTokens, TokenStreamExt};

/// Spans of a chain's tokens that its code asks for many times: finding one walks the
/// tokens it starts (through the compiler, when the macro runs), so each is found once.
/// The types and wrappers written into each attempt's code are split into trees once,
/// when first written, and taken from there without a join of token streams.
#[derive(Default)]
pub struct Spans {
    /// The first token of the wrappers (`wrap_ok`, `wrap_err`: one origin). A front
    /// end that knows it sets it ([`Spans::wrapped_at`]).
    pub(super) wrap: std::cell::OnceCell<Span>,
    /// The filter's first token.
    pub(super) filter: std::cell::OnceCell<Span>,
    /// The declared error type's first token.
    pub(super) error: std::cell::OnceCell<Span>,
    /// The declared success type, split once.
    pub(super) ok_trees: std::cell::OnceCell<Option<Trees>>,
    /// The declared error type, split once.
    pub(super) error_trees: std::cell::OnceCell<Option<Trees>>,
    /// The chain's declared error type as returned, split once.
    pub(super) returned_error_trees: std::cell::OnceCell<Option<Trees>>,
    /// The wrappers, split once.
    pub(super) wrap_ok_trees: std::cell::OnceCell<Trees>,
    pub(super) wrap_err_trees: std::cell::OnceCell<Trees>,
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
pub(super) fn split<'a>(
    cell: &'a std::cell::OnceCell<Option<Trees>>,
    tokens: Option<&TokenStream>,
) -> Option<&'a Trees> {
    cell.get_or_init(|| tokens.map(Trees::of)).as_ref()
}

/// `binding: ty`, or `binding` alone when the type is left to inference (the colon at
/// the call site, as `quote!` writes it).
pub(crate) struct Typed<'a>(pub(super) &'a Ident, pub(super) Option<&'a Trees>);

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

/// Tokens split into trees once: respanned (for each attempt) without asking the
/// compiler for them again, and written into the code around them without a join of
/// token streams (each a call to the compiler when the macro runs).
#[derive(Clone)]
pub(crate) struct Trees(pub(super) Vec<TokenTree>);

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
