//! The function under `#[fallback]`: its signature, parameters and return type.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::{
    Attribute, Block, FnArg, GenericArgument, Pat, PathArguments, ReceiverKind, ReturnType,
    Signature, Type, Visibility,
};

use crate::errors::Errors;
use crate::parse::FnItem;

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
    pub binding: Ident,
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
    /// `T` and `E` when the return type is written `Result<T, E>`: the expansion names
    /// them directly instead of projecting them out of the return type (an alias such
    /// as `io::Result<T>` is projected).
    pub result_types: Option<(Type, Type)>,
}

impl Function {
    /// Reads the function, recording what `#[fallback]` cannot work with. A stream
    /// chain's function (`streams`) may return any type (an `impl Stream` usually).
    pub fn from_item(item: FnItem, streams: bool, errors: &mut Errors) -> Option<Function> {
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
        if streams {
            return Some(Function {
                attrs,
                vis,
                sig,
                body,
                params,
                ret,
                mode: ErrorMode::Last,
                served: None,
                result_types: None,
            });
        }
        if returns_a_stream(&ret) {
            errors.push(syn::Error::new_spanned(
                &ret,
                "this function returns a stream: add `stream` to the attribute \
                 (`#[fallback(.., stream)]`, or `stream = \"buffered\"` / `\"restart\"`), \
                 or return `Result<T, E>` for a chain of futures",
            ));
            return None;
        }
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
        let result_types = match generic_args(&ret).as_deref() {
            Some([ok, error]) if last_segment_is(&ret, "Result") => {
                Some(((*ok).clone(), (*error).clone()))
            }
            _ => None,
        };
        Some(Function {
            attrs,
            vis,
            sig,
            body,
            params,
            ret,
            mode,
            served,
            result_types,
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
                binding: Ident::new("self", self_token.span),
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
                binding: pat.ident.clone(),
                passing,
                ty_span: crate::model::type_span(&typed.ty),
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

/// Whether `ty` is a stream, as far as its spelling says: `impl Stream<..>` (or
/// `TryStream`), `BoxStream<..>`, or a `Pin<Box<dyn Stream<..>>>`.
pub fn returns_a_stream(ty: &Type) -> bool {
    let is_stream = |bounds: &syn::punctuated::Punctuated<syn::TypeParamBound, _>| {
        bounds.iter().any(|bound| {
            matches!(bound, syn::TypeParamBound::Trait(bound)
                if bound.path.segments.last().is_some_and(|s| s.ident == "Stream" || s.ident == "TryStream"))
        })
    };
    match peeled(ty) {
        Type::ImplTrait(ty) => is_stream(&ty.bounds),
        Type::TraitObject(ty) => is_stream(&ty.bounds),
        ty if last_segment_is(ty, "BoxStream") || last_segment_is(ty, "LocalBoxStream") => true,
        ty if last_segment_is(ty, "Pin") || last_segment_is(ty, "Box") => generic_args(ty)
            .and_then(|args| args.first().copied())
            .is_some_and(returns_a_stream),
        _ => false,
    }
}

/// The value and error types of a stream's items, from `impl Stream<Item = Result<T, E>>
/// + ..`: `(T, E)`.
pub fn stream_item(ret: &Type) -> Option<(&Type, &Type)> {
    let Type::ImplTrait(bounds) = peeled(ret) else {
        return None;
    };
    bounds.bounds.iter().find_map(|bound| {
        let syn::TypeParamBound::Trait(bound) = bound else {
            return None;
        };
        let PathArguments::AngleBracketed(args) = &bound.path.segments.last()?.arguments else {
            return None;
        };
        args.args.iter().find_map(|arg| match arg {
            GenericArgument::AssocType(item) if item.ident == "Item" => {
                match generic_args(&item.ty).as_deref() {
                    Some([ok, error]) => Some((*ok, *error)),
                    _ => None,
                }
            }
            _ => None,
        })
    })
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

pub fn last_segment_is(ty: &Type, name: &str) -> bool {
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
    fn a_stream_is_told_from_its_spelling() {
        let stream = |text: &str| returns_a_stream(&syn::parse_str(text).unwrap());
        assert!(stream("impl Stream<Item = Result<String, E>> + '_"));
        assert!(stream(
            "impl futures::Stream<Item = Result<String, E>> + Send"
        ));
        assert!(stream("impl TryStream<Ok = String, Error = E>"));
        assert!(stream("BoxStream<'static, Result<String, E>>"));
        assert!(stream(
            "Pin<Box<dyn Stream<Item = Result<String, E>> + Send>>"
        ));
        assert!(!stream("Result<String, E>"));
        assert!(!stream("impl Future<Output = Result<String, E>>"));
        assert!(!stream("Pin<Box<dyn Future<Output = Result<String, E>>>>"));
        assert!(!stream("io::Result<String>"));
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
