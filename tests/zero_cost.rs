//! Zero cost, measured: heap allocations per call (a counting global allocator) and
//! the size of the generated future against the `match` a careful person writes by hand.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use fallbacks::{fallback, fallback_chain, AllFailed};

/// The system allocator, counting the allocations made on threads that asked it to.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCATIONS.with(|count| count.set(count.get() + 1));
        }
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from `System.alloc` above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Creates and polls `make()`'s future to completion (the alternatives here never
/// wait), counting the heap allocations made meanwhile. No executor is involved: a no-op
/// waker polls it, so every allocation counted is the chain's.
fn allocations<F: Future>(make: impl FnOnce() -> F) -> (usize, F::Output) {
    ALLOCATIONS.with(|count| count.set(0));
    COUNTING.with(|counting| counting.set(true));
    let output = {
        let mut future = pin!(make());
        let mut context = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
                break output;
            }
        }
    };
    COUNTING.with(|counting| counting.set(false));
    (ALLOCATIONS.with(Cell::get), output)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Error {
    Transient,
    Fatal,
}

fn is_transient(error: &Error) -> bool {
    *error == Error::Transient
}

/// Which alternatives fail, and how: `script[k]` is alternative k's outcome.
type Script = [Result<u32, Error>; 3];

async fn a(script: &Script) -> Result<u32, Error> {
    script[0]
}
async fn b(script: &Script) -> Result<u32, Error> {
    script[1]
}
async fn c(script: &Script) -> Result<u32, Error> {
    script[2]
}

#[fallback(primary = a, then = [b, c], on = is_transient)]
async fn filtered(script: &Script) -> Result<u32, Error>;

#[fallback(primary = a, then = [b, c])]
async fn unfiltered(script: &Script) -> Result<u32, Error>;

#[fallback(primary = a, then = [b, c], on = is_transient)]
async fn collecting(script: &Script) -> Result<u32, AllFailed<Error>>;

#[fallback(primary = a, then = [b, c], on = is_transient)]
async fn reported(script: &Script) -> Result<fallbacks::Served<u32>, Error>;

fn sync_b(script: &Script) -> Result<u32, Error> {
    script[1]
}
fn sync_c(script: &Script) -> Result<u32, Error> {
    script[2]
}

#[fallback(then = [sync_b, sync_c], on = is_transient)]
fn sync_chain(script: &Script) -> Result<u32, Error> {
    script[0]
}

const T: Result<u32, Error> = Err(Error::Transient);
const F: Result<u32, Error> = Err(Error::Fatal);

mod allocations {
    use super::*;

    #[test]
    fn the_success_path_allocates_nothing() {
        let script = [Ok(1), Ok(2), Ok(3)];
        assert_eq!(allocations(|| filtered(&script)), (0, Ok(1)));
        assert_eq!(allocations(|| unfiltered(&script)), (0, Ok(1)));
        assert_eq!(allocations(|| collecting(&script)).0, 0);
        assert_eq!(allocations(|| async { sync_chain(&script) }), (0, Ok(1)));
        let (count, report) = allocations(|| reported(&script));
        assert_eq!(
            (count, report.map(|served| served.into_value())),
            (0, Ok(1))
        );
    }

    #[test]
    fn the_fallback_paths_allocate_nothing() {
        for (script, served) in [([T, Ok(2), Ok(3)], 2), ([T, T, Ok(3)], 3)] {
            assert_eq!(allocations(|| filtered(&script)), (0, Ok(served)));
            assert_eq!(allocations(|| unfiltered(&script)), (0, Ok(served)));
            let (count, report) = allocations(|| reported(&script));
            assert_eq!(
                (count, report.map(|s| s.index() + 1)),
                (0, Ok(served as usize))
            );
            let (count, result) = allocations(|| collecting(&script));
            assert_eq!((count, result.ok()), (0, Some(served)));
            assert_eq!(
                allocations(|| async { sync_chain(&script) }),
                (0, Ok(served))
            );
        }
    }

    #[test]
    fn failing_with_the_last_error_allocates_nothing() {
        assert_eq!(allocations(|| filtered(&[T, T, F])), (0, Err(Error::Fatal)));
        assert_eq!(
            allocations(|| filtered(&[F, Ok(2), Ok(3)])),
            (0, Err(Error::Fatal))
        );
        assert_eq!(
            allocations(|| unfiltered(&[F, F, T])),
            (0, Err(Error::Transient))
        );
    }

    #[test]
    fn an_inline_chain_allocates_nothing() {
        for (script, expected) in [
            ([Ok(1), Ok(2), Ok(3)], Ok(1)),
            ([T, Ok(2), Ok(3)], Ok(2)),
            ([T, T, F], Err(Error::Fatal)),
            ([F, Ok(2), Ok(3)], Err(Error::Fatal)),
        ] {
            let script = &script;
            let chain = || fallback_chain!(a(script) | b(script) | c(script), on = is_transient);
            assert_eq!(allocations(chain), (0, expected));
            let unfiltered = || fallback_chain!(a(script) | b(script) | c(script));
            assert_eq!(allocations(unfiltered).0, 0);
        }
        let (count, result) = allocations(
            || fallback_chain!(a(&[T, T, T]) | b(&[T, T, T]), error = AllFailed<Error>),
        );
        assert_eq!((count, result.unwrap_err().len()), (1, 2));
    }

    #[test]
    fn try_each_allocates_nothing() {
        let alternatives: [fn(&Script) -> _; 3] = [
            |script: &Script| script[0],
            |script: &Script| script[1],
            |script: &Script| script[2],
        ];
        for (script, served) in [
            ([Ok(1), Ok(2), Ok(3)], Ok(1)),
            ([T, Ok(2), Ok(3)], Ok(2)),
            ([T, T, F], Err(Error::Fatal)),
        ] {
            let script = &script;
            let (count, result) = allocations(|| {
                std::future::IntoFuture::into_future(
                    fallbacks::try_each(alternatives.iter(), move |alternative| async move {
                        alternative(script)
                    })
                    .on(is_transient),
                )
            });
            assert_eq!(count, 0);
            assert_eq!(
                result
                    .map(|served| served.into_value())
                    .map_err(|e| e.into_error().unwrap()),
                served
            );
        }
    }

    #[test]
    fn building_all_failed_is_the_one_allocation() {
        let (count, result) = allocations(|| collecting(&[T, T, T]));
        assert_eq!(count, 1);
        assert_eq!(result.unwrap_err().len(), 3);
        let (count, result) = allocations(|| collecting(&[T, F, Ok(3)]));
        assert_eq!(count, 1);
        assert_eq!(result.unwrap_err().len(), 2);
    }
}

/// Alternatives with a real state to keep across an await: a buffer and a pending
/// point, so the futures have a size worth comparing.
mod sizes {
    use super::*;

    /// Returns `Pending` once, so that the alternatives hold state across a suspension.
    async fn yield_once() {
        let mut yielded = false;
        std::future::poll_fn(|context| {
            if yielded {
                Poll::Ready(())
            } else {
                yielded = true;
                context.waker().wake_by_ref();
                Poll::Pending
            }
        })
        .await
    }

    /// A large error, to show the generated chain does not hold one across the next
    /// attempt.
    #[derive(Debug, Clone, PartialEq)]
    struct BigError([u8; 256]);

    fn retryable(error: &BigError) -> bool {
        error.0[0] == 0
    }

    async fn small(n: u32) -> Result<u32, BigError> {
        yield_once().await;
        if n == 0 {
            Err(BigError([0; 256]))
        } else {
            Ok(n)
        }
    }

    async fn large(n: u32) -> Result<u32, BigError> {
        let buffer = [n as u8; 512];
        yield_once().await;
        Ok(buffer.iter().map(|byte| u32::from(*byte)).sum())
    }

    #[fallback(primary = small, then = [large, small], on = retryable)]
    async fn generated(n: u32) -> Result<u32, BigError>;

    /// The hand-written twin: nested `match`es in an `async fn`, doing the same calls.
    async fn hand_written(n: u32) -> Result<u32, BigError> {
        match small(n).await {
            Ok(value) => Ok(value),
            Err(error) => {
                if !retryable(&error) {
                    return Err(error);
                }
                match large(n).await {
                    Ok(value) => Ok(value),
                    Err(error) => {
                        if !retryable(&error) {
                            return Err(error);
                        }
                        small(n).await
                    }
                }
            }
        }
    }

    #[fallback(primary = small, then = [large, small])]
    async fn generated_unfiltered(n: u32) -> Result<u32, BigError>;

    async fn hand_written_unfiltered(n: u32) -> Result<u32, BigError> {
        match small(n).await {
            Ok(value) => Ok(value),
            Err(_) => match large(n).await {
                Ok(value) => Ok(value),
                Err(_) => small(n).await,
            },
        }
    }

    #[fallback(primary = small, then = [large, small], on = retryable)]
    async fn generated_collecting(n: u32) -> Result<u32, AllFailed<BigError>>;

    /// Collecting by hand keeps the earlier errors until the end, as the macro does.
    async fn hand_written_collecting(n: u32) -> Result<u32, AllFailed<BigError>> {
        use fallbacks::Failure;
        let first = match small(n).await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        if !retryable(&first) {
            return Err(AllFailed::new(Failure::new("small", 0, first), 3));
        }
        let second = match large(n).await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        if !retryable(&second) {
            let mut all = AllFailed::new(Failure::new("small", 0, first), 3);
            all.push(Failure::new("large", 1, second));
            return Err(all);
        }
        match small(n).await {
            Ok(value) => Ok(value),
            Err(third) => {
                let mut all = AllFailed::new(Failure::new("small", 0, first), 3);
                all.push(Failure::new("large", 1, second));
                all.push(Failure::new("small", 2, third));
                Err(all)
            }
        }
    }

    #[fallback(then = [large, small], on = retryable)]
    async fn generated_body(n: u32) -> Result<u32, BigError> {
        small(n).await
    }

    /// The inline chain's twin, for checking they compute the same thing.
    async fn hand_written_block(n: u32) -> Result<u32, BigError> {
        match small(n).await {
            Ok(value) => Ok(value),
            Err(error) => {
                if !retryable(&error) {
                    return Err(error);
                }
                match large(n).await {
                    Ok(value) => Ok(value),
                    Err(error) => {
                        if !retryable(&error) {
                            return Err(error);
                        }
                        small(n).await
                    }
                }
            }
        }
    }

    async fn hand_written_block_unfiltered(n: u32) -> Result<u32, BigError> {
        match small(n).await {
            Ok(value) => Ok(value),
            Err(_) => match large(n).await {
                Ok(value) => Ok(value),
                Err(_) => small(n).await,
            },
        }
    }

    async fn inline(n: u32) -> Result<u32, BigError> {
        fallback_chain!(small(n) | large(n) | small(n), on = retryable).await
    }

    async fn inline_unfiltered(n: u32) -> Result<u32, BigError> {
        fallback_chain!(small(n) | large(n) | small(n)).await
    }

    /// What the `tracing` feature adds to a chain's future: the start time of the
    /// attempt in flight (16 bytes), for its event. Without the feature, nothing: `.ci/run`
    /// also runs this file without features, where the bar is the hand-written size.
    const TRACED: usize = if cfg!(feature = "tracing") {
        size_of::<fallbacks::__private::Trace>()
    } else {
        0
    };

    fn report(name: &str, generated: usize, hand_written: usize) {
        println!(
            "future size, {name}: generated {generated} bytes, hand-written {hand_written} bytes"
        );
        assert!(
            generated <= hand_written + TRACED,
            "{name}: generated future is {generated} bytes, hand-written {hand_written}"
        );
    }

    #[test]
    fn the_generated_future_is_no_larger_than_the_hand_written_match() {
        report(
            "filtered",
            size_of_val(&generated(1)),
            size_of_val(&hand_written(1)),
        );
        report(
            "unfiltered",
            size_of_val(&generated_unfiltered(1)),
            size_of_val(&hand_written_unfiltered(1)),
        );
        report(
            "AllFailed",
            size_of_val(&generated_collecting(1)),
            size_of_val(&hand_written_collecting(1)),
        );
        report(
            "body as primary",
            size_of_val(&generated_body(1)),
            size_of_val(&hand_written(1)),
        );
    }

    #[test]
    fn an_inline_chain_is_no_larger_than_the_same_match_in_an_async_block() {
        // Side by side in one scope, so both capture `n` the same way.
        let n = 1;
        let chain = fallback_chain!(small(n) | large(n) | small(n), on = retryable);
        let twin = async {
            match small(n).await {
                Ok(value) => Ok(value),
                Err(error) => {
                    if !retryable(&error) {
                        return Err(error);
                    }
                    match large(n).await {
                        Ok(value) => Ok(value),
                        Err(error) => {
                            if !retryable(&error) {
                                return Err(error);
                            }
                            small(n).await
                        }
                    }
                }
            }
        };
        report(
            "fallback_chain!, filtered",
            size_of_val(&chain),
            size_of_val(&twin),
        );

        let chain = fallback_chain!(small(n) | large(n) | small(n));
        let twin = async {
            match small(n).await {
                Ok(value) => Ok(value),
                Err(_) => match large(n).await {
                    Ok(value) => Ok(value),
                    Err(_) => small(n).await,
                },
            }
        };
        report(
            "fallback_chain!, unfiltered",
            size_of_val(&chain),
            size_of_val(&twin),
        );

        for n in [0, 1, 7] {
            assert_eq!(
                futures::executor::block_on(inline(n)),
                futures::executor::block_on(hand_written_block(n))
            );
            assert_eq!(
                futures::executor::block_on(inline_unfiltered(n)),
                futures::executor::block_on(hand_written_block_unfiltered(n))
            );
        }
    }
}

/// A stream chain allocates nothing per item, and nothing at all over unboxed streams
/// (committed and restart modes; buffered mode's buffer is its one allocation).
#[cfg(feature = "stream")]
mod streams {
    use super::*;

    type Chunks =
        futures::stream::Iter<std::iter::Map<std::ops::Range<u32>, fn(u32) -> Result<u32, Error>>>;

    fn open(fails: &bool) -> std::future::Ready<Result<Chunks, Error>> {
        std::future::ready(if *fails {
            Err(Error::Transient)
        } else {
            Ok(futures::stream::iter(
                (0..1000).map(Ok as fn(u32) -> Result<u32, Error>),
            ))
        })
    }

    #[test]
    fn a_stream_chain_allocates_nothing_per_item() {
        let alternatives = [true, false];
        let (count, items) = allocations(|| async {
            use futures::StreamExt;
            let chain = fallbacks::try_each(&alternatives, open).stream();
            let mut chain = pin!(chain);
            let mut items = 0u32;
            while let Some(item) = chain.next().await {
                items += u32::from(item.is_ok());
            }
            items
        });
        assert_eq!((count, items), (0, 1000));
    }

    /// Read through `require_end` (its last item, 999, the end marker), nothing either.
    #[test]
    fn a_stream_read_to_its_end_marker_allocates_nothing() {
        let alternatives = [true, false];
        let (count, items) = allocations(|| async {
            use futures::StreamExt;
            let until_marker = |fails: &bool| {
                let opened = open(fails);
                async move {
                    let chunks = opened.await?;
                    Ok(fallbacks::require_end(
                        chunks,
                        |n| *n == 999,
                        || Error::Transient,
                    ))
                }
            };
            let chain = fallbacks::try_each(&alternatives, until_marker).stream();
            let mut chain = pin!(chain);
            let (mut items, mut errors) = (0u32, 0u32);
            while let Some(item) = chain.next().await {
                items += u32::from(item.is_ok());
                errors += u32::from(item.is_err());
            }
            (items, errors)
        });
        assert_eq!((count, items), (0, (999, 0)));
    }

    /// A stream chain holds one stream (the one being read) and the last error, not room
    /// for a second stream: a 4 KiB stream state makes a chain of a little over 4 KiB
    /// (4768 bytes with `tokio`: the rest is its three timers, the opening's, the
    /// first or next item's, and the deadline's, and room for the item a poll returns;
    /// it was 8832 with room for two streams).
    #[test]
    fn a_stream_chain_holds_one_stream_not_two() {
        use std::pin::Pin;
        /// A stream whose state is 4 KiB (a parser's buffer, say), yielding its first
        /// byte (it is only measured here, never polled).
        struct Big([u8; 4096]);
        impl futures::Stream for Big {
            type Item = Result<u8, Error>;
            fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
                Poll::Ready(Some(Ok(self.0[0])))
            }
        }
        let open = |_: u8| std::future::ready(Ok::<_, Error>(Big([0; 4096])));
        let chain = fallbacks::try_each([0u8, 1], open).stream();
        let size = std::mem::size_of_val(&chain);
        assert!((4096..4096 + 1024).contains(&size), "{size} bytes");
        // A restarting chain holds the same engine, with room for one of its own items
        // instead (what its slow path comes to, for `poll_next` to return).
        let restart = fallbacks::try_each([0u8, 1], open).stream_restart();
        let engine = size - yielded(&chain);
        assert_eq!(std::mem::size_of_val(&restart), engine + yielded(&restart));
    }

    /// The size of what `stream` yields from a poll.
    fn yielded<S: futures::Stream>(_: &S) -> usize {
        std::mem::size_of::<Poll<Option<S::Item>>>()
    }
}

/// A call through `FallbackLayer` allocates nothing, over a tuple and over a
/// `ServiceList` of upstreams read at run time (a `Vec` would allocate as each call
/// clones the services it goes with).
#[cfg(feature = "tower")]
mod tower_layer {
    use fallbacks::tower::{FallbackLayer, ServiceList};
    use tower::{service_fn, Layer, ServiceExt};

    use super::*;

    async fn upstream(fails: bool, request: u32) -> Result<u32, Error> {
        if fails {
            Err(Error::Transient)
        } else {
            Ok(request + 1)
        }
    }

    #[test]
    fn a_call_through_the_layer_allocates_nothing() {
        let (count, answers) = allocations(|| async {
            let tuple = FallbackLayer::new().layer((
                service_fn(|request| upstream(true, request)),
                service_fn(|request| upstream(false, request)),
            ));
            let configured = [true, true, false];
            let list = ServiceList::<_>::new(
                configured.map(|fails| service_fn(move |request| upstream(fails, request))),
            )
            .expect("three upstreams");
            let list = FallbackLayer::new().layer(list);
            (tuple.oneshot(1).await, list.oneshot(2).await)
        });
        assert_eq!((count, answers), (0, (Ok(2), Ok(3))));
    }
}
