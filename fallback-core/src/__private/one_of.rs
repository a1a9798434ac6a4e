//! `fallback_chain!(.., stream)`'s operands as one type: `OpenN` is the future of
//! whichever operand's turn it is, opening its stream, and `EitherN` that stream. Both
//! are enums of the operands' own types: nothing is boxed.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::Stream;

macro_rules! one_of {
    ($open:ident, $either:ident, $open_proj:ident, $either_proj:ident: $($variant:ident),+) => {
        pin_project_lite::pin_project! {
            /// The opening of one operand of a stream chain.
            #[project = $open_proj]
            #[doc(hidden)]
            pub enum $open<$($variant),+> {
                $($variant { #[pin] open: $variant },)+
            }
        }

        pin_project_lite::pin_project! {
            /// The stream of one operand of a stream chain.
            #[project = $either_proj]
            #[doc(hidden)]
            pub enum $either<$($variant),+> {
                $($variant { #[pin] stream: $variant },)+
            }
        }

        #[allow(non_snake_case)]
        impl<E, $($variant),+> Future for $open<$($variant),+>
        where
            $($variant: Future<Output = Result<<$variant as Opens>::Stream, E>> + Opens,)+
        {
            type Output = Result<$either<$(<$variant as Opens>::Stream),+>, E>;

            #[inline]
            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
                match self.project() {
                    $($open_proj::$variant { open } => {
                        open.poll(cx).map(|opened| opened.map(|stream| $either::$variant { stream }))
                    })+
                }
            }
        }

        impl<Item, $($variant),+> Stream for $either<$($variant),+>
        where
            $($variant: Stream<Item = Item>,)+
        {
            type Item = Item;

            #[inline]
            fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
                match self.project() {
                    $($either_proj::$variant { stream } => stream.poll_next(cx),)+
                }
            }
        }
    };
}

/// A future that opens a stream: names the stream's type for `OpenN`.
pub trait Opens {
    /// The stream it opens.
    type Stream;
}

impl<F, S, E> Opens for F
where
    F: Future<Output = Result<S, E>>,
{
    type Stream = S;
}

one_of!(Open2, Either2, Open2Proj, Either2Proj: A, B);
one_of!(Open3, Either3, Open3Proj, Either3Proj: A, B, C);
one_of!(Open4, Either4, Open4Proj, Either4Proj: A, B, C, D);
one_of!(Open5, Either5, Open5Proj, Either5Proj: A, B, C, D, F);
one_of!(Open6, Either6, Open6Proj, Either6Proj: A, B, C, D, F, G);
one_of!(Open7, Either7, Open7Proj, Either7Proj: A, B, C, D, F, G, H);
one_of!(Open8, Either8, Open8Proj, Either8Proj: A, B, C, D, F, G, H, I);

/// The most operands a stream chain takes (`Open8`).
pub const MAX_STREAM_OPERANDS: usize = 8;

/// What an inline stream chain fails with when it has no operand: never (it has at
/// least two, checked when it is compiled).
pub fn never_empty<E>() -> E {
    unreachable!("a stream chain has at least two operands")
}

/// Stands in for a `#[fallback(.., stream)]` function with a mistake: a stream of any
/// item type, so that its callers type-check and the mistake gives one error. Never
/// polled: the program does not compile.
pub struct StandInStream<T>(core::marker::PhantomData<fn() -> T>);

impl<T> StandInStream<T> {
    /// The stand-in.
    pub fn new() -> Self {
        StandInStream(core::marker::PhantomData)
    }
}

impl<T> Default for StandInStream<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Stream for StandInStream<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<T>> {
        unreachable!("a program with a `#[fallback]` mistake does not compile")
    }
}
