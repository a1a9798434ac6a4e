//! The scenarios every benchmark measures, shared by `chains.rs` (criterion, time) and
//! `instructions.rs` (callgrind, instructions).
//!
//! One chain of three alternatives, in six versions doing the same calls:
//! `#[fallback]` and its hand-written twins (nested `match` in an `async fn`, as SPEC §5
//! names it, and the flat sequence of `match`es, which is what the macro writes);
//! `fallback_chain!` and its twin (the same `match` in an awaited `async` block); and a
//! boxed dynamic chain of the shape the runtime peers use (synaptic's
//! `RunnableWithFallbacks`: `Vec<Box<dyn Fn(I) -> Pin<Box<dyn Future>>>>`, the input
//! cloned for every attempt, the filter boxed). Three paths: the primary serves, the
//! first fallback serves, all fail. The alternatives are trivial and opaque
//! (`#[inline(never)]`, `black_box`), so what is measured is the chain's own cost.

#![allow(dead_code)] // each bench binary uses part of it

use std::future::Future;
use std::hint::black_box;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};

use fallbacks::{fallback, fallback_chain};

/// A small error, as an LLM client's would be, with a kind the filter reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error {
    pub transient: bool,
    pub code: u16,
}

pub fn is_transient(error: &Error) -> bool {
    error.transient
}

/// What each alternative returns, read through `black_box` so nothing is folded.
pub type Script = [Result<u32, Error>; 3];

const DOWN: Result<u32, Error> = Err(Error {
    transient: true,
    code: 503,
});

/// The three paths measured.
pub const SCENARIOS: [(&str, Script); 3] = [
    ("success", [Ok(1), Ok(2), Ok(3)]),
    ("one_fallback", [DOWN, Ok(2), Ok(3)]),
    ("all_fail", [DOWN, DOWN, DOWN]),
];

/// The prompt every alternative gets: borrowed by the macros, cloned by the boxed chain.
pub const PROMPT: &str = "Summarize the following text in one sentence, then list three key facts.";

#[inline(never)]
pub async fn openai(prompt: &str, script: &Script) -> Result<u32, Error> {
    black_box(prompt);
    black_box(script)[0]
}

#[inline(never)]
pub async fn anthropic(prompt: &str, script: &Script) -> Result<u32, Error> {
    black_box(prompt);
    black_box(script)[1]
}

#[inline(never)]
pub async fn local(prompt: &str, script: &Script) -> Result<u32, Error> {
    black_box(prompt);
    black_box(script)[2]
}

#[fallback(primary = openai, then = [anthropic, local], on = is_transient)]
pub async fn generated(prompt: &str, script: &Script) -> Result<u32, Error>;

/// `#[fallback]`'s twin: the nested `match` a careful person writes in an `async fn`.
pub async fn hand_written(prompt: &str, script: &Script) -> Result<u32, Error> {
    match openai(prompt, script).await {
        Ok(value) => Ok(value),
        Err(error) => {
            if !is_transient(&error) {
                return Err(error);
            }
            match anthropic(prompt, script).await {
                Ok(value) => Ok(value),
                Err(error) => {
                    if !is_transient(&error) {
                        return Err(error);
                    }
                    local(prompt, script).await
                }
            }
        }
    }
}

/// The careful hand-written version: a flat sequence of `match`es, each error dropped
/// before the next attempt starts. This is what `#[fallback]` writes.
pub async fn flat_twin(prompt: &str, script: &Script) -> Result<u32, Error> {
    match openai(prompt, script).await {
        Ok(value) => return Ok(value),
        Err(error) => {
            if !is_transient(&error) {
                return Err(error);
            }
        }
    }
    match anthropic(prompt, script).await {
        Ok(value) => return Ok(value),
        Err(error) => {
            if !is_transient(&error) {
                return Err(error);
            }
        }
    }
    local(prompt, script).await
}

pub async fn inline(prompt: &str, script: &Script) -> Result<u32, Error> {
    fallback_chain!(
        openai(prompt, script) | anthropic(prompt, script) | local(prompt, script),
        on = is_transient
    )
    .await
}

/// `fallback_chain!`'s twin: the same `match` in an awaited `async` block.
pub async fn inline_twin(prompt: &str, script: &Script) -> Result<u32, Error> {
    async {
        match openai(prompt, script).await {
            Ok(value) => Ok(value),
            Err(error) => {
                if !is_transient(&error) {
                    return Err(error);
                }
                match anthropic(prompt, script).await {
                    Ok(value) => Ok(value),
                    Err(error) => {
                        if !is_transient(&error) {
                            return Err(error);
                        }
                        local(prompt, script).await
                    }
                }
            }
        }
    }
    .await
}

/// The same chain over a list known at run time: `fallbacks::try_each`.
pub async fn run_time_list(prompt: &str, script: &Script) -> Result<u32, Error> {
    let alternatives = [0usize, 1, 2];
    match fallbacks::try_each(alternatives.iter(), |&index| async move {
        match index {
            0 => openai(prompt, script).await,
            1 => anthropic(prompt, script).await,
            _ => local(prompt, script).await,
        }
    })
    .on(is_transient)
    .await
    {
        Ok(served) => Ok(served.into_value()),
        Err(error) => Err(error.into_error().expect("three items")),
    }
}

/// `try_each`'s twin: the loop over the same list written by hand in an `async fn`.
pub async fn run_time_list_twin(prompt: &str, script: &Script) -> Result<u32, Error> {
    let alternatives = [0usize, 1, 2];
    let attempt = |&index: &usize| async move {
        match index {
            0 => openai(prompt, script).await,
            1 => anthropic(prompt, script).await,
            _ => local(prompt, script).await,
        }
    };
    let mut last = None;
    for index in alternatives.iter() {
        match attempt(index).await {
            Ok(value) => return Ok(value),
            Err(error) if !is_transient(&error) => return Err(error),
            Err(error) => last = Some(error),
        }
    }
    Err(last.expect("three items"))
}

/// A timeout, as the time options' error.
pub const TIMED_OUT: Error = Error {
    transient: true,
    code: 504,
};

impl From<fallbacks::Elapsed> for Error {
    fn from(_: fallbacks::Elapsed) -> Self {
        TIMED_OUT
    }
}

/// The chain with a time option: each attempt under a per-attempt timeout.
#[cfg(feature = "tokio")]
#[fallback(primary = openai, then = [anthropic, local], on = is_transient, timeout = "1s")]
pub async fn timed(prompt: &str, script: &Script) -> Result<u32, Error>;

/// `timed` with its timeout from run time: an expression, not a literal.
#[cfg(feature = "tokio")]
#[fallback(primary = openai, then = [anthropic, local], on = is_transient, timeout = limit())]
pub async fn timed_expr(prompt: &str, script: &Script) -> Result<u32, Error>;

/// A timeout read from configuration, opaque to the optimiser.
#[cfg(feature = "tokio")]
#[inline(never)]
pub fn limit() -> std::time::Duration {
    black_box(std::time::Duration::from_secs(1))
}

/// `timed`'s twin: the same chain written by hand with `tokio::time::timeout`.
#[cfg(feature = "tokio")]
pub async fn timed_twin(prompt: &str, script: &Script) -> Result<u32, Error> {
    use std::time::Duration;
    use tokio::time::timeout;
    let limit = Duration::from_secs(1);
    let _error = match timeout(limit, openai(prompt, script)).await {
        Ok(Ok(value)) => return Ok(value),
        Ok(Err(error)) if !is_transient(&error) => return Err(error),
        Ok(Err(error)) => error,
        Err(_) => TIMED_OUT,
    };
    let _error = match timeout(limit, anthropic(prompt, script)).await {
        Ok(Ok(value)) => return Ok(value),
        Ok(Err(error)) if !is_transient(&error) => return Err(error),
        Ok(Err(error)) => error,
        Err(_) => TIMED_OUT,
    };
    match timeout(limit, local(prompt, script)).await {
        Ok(result) => result,
        Err(_) => Err(TIMED_OUT),
    }
}

type BoxedFuture = Pin<Box<dyn Future<Output = Result<u32, Error>>>>;
type BoxedAlternative = Box<dyn Fn(String, Script) -> BoxedFuture>;

/// The runtime peers' shape: a `Vec` of boxed alternatives returning boxed futures,
/// the input cloned for every attempt (the first included), the filter boxed.
pub struct BoxedChain {
    alternatives: Vec<BoxedAlternative>,
    filter: Box<dyn Fn(&Error) -> bool>,
}

impl BoxedChain {
    pub fn new() -> BoxedChain {
        let alternatives: Vec<BoxedAlternative> = vec![
            Box::new(|prompt, script| Box::pin(async move { openai(&prompt, &script).await })),
            Box::new(|prompt, script| Box::pin(async move { anthropic(&prompt, &script).await })),
            Box::new(|prompt, script| Box::pin(async move { local(&prompt, &script).await })),
        ];
        BoxedChain {
            alternatives,
            filter: Box::new(is_transient),
        }
    }

    pub async fn call(&self, prompt: &str, script: &Script) -> Result<u32, Error> {
        let mut last = None;
        for alternative in &self.alternatives {
            match alternative(prompt.to_string(), *script).await {
                Ok(value) => return Ok(value),
                Err(error) if !(self.filter)(&error) => return Err(error),
                Err(error) => last = Some(error),
            }
        }
        Err(last.expect("at least one alternative"))
    }
}

impl Default for BoxedChain {
    fn default() -> Self {
        Self::new()
    }
}

/// Polls a future that is ready at once (every alternative here is) to completion:
/// the same trivial executor for every version, so that it cancels out.
#[inline]
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

/// The versions, by name (`timed` and `timed_twin` need the `tokio` feature and a
/// runtime entered: see [`runner`]).
pub const VERSIONS: [&str; 11] = [
    "generated",
    "hand_written",
    "flat_twin",
    "inline",
    "inline_twin",
    "try_each",
    "try_each_twin",
    "boxed",
    "timed",
    "timed_expr",
    "timed_twin",
];

/// The tokio runtime the timed versions' timers register with: entered for the whole
/// run (the alternatives answer at once, so no timer ever fires).
#[cfg(feature = "tokio")]
pub fn timers() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime")
}

/// One call of a version, as a plain function, chosen once outside the measured loop.
pub type Runner = fn(&BoxedChain, &Script) -> Result<u32, Error>;

/// The function that runs one call of `version`.
pub fn runner(version: &str) -> Runner {
    match version {
        "generated" => |_, script| block_on(generated(black_box(PROMPT), black_box(script))),
        "hand_written" => |_, script| block_on(hand_written(black_box(PROMPT), black_box(script))),
        "flat_twin" => |_, script| block_on(flat_twin(black_box(PROMPT), black_box(script))),
        "inline" => |_, script| block_on(inline(black_box(PROMPT), black_box(script))),
        "inline_twin" => |_, script| block_on(inline_twin(black_box(PROMPT), black_box(script))),
        "try_each" => |_, script| block_on(run_time_list(black_box(PROMPT), black_box(script))),
        "try_each_twin" => {
            |_, script| block_on(run_time_list_twin(black_box(PROMPT), black_box(script)))
        }
        "boxed" => |boxed, script| block_on(boxed.call(black_box(PROMPT), black_box(script))),
        #[cfg(feature = "tokio")]
        "timed" => |_, script| block_on(timed(black_box(PROMPT), black_box(script))),
        #[cfg(feature = "tokio")]
        "timed_expr" => |_, script| block_on(timed_expr(black_box(PROMPT), black_box(script))),
        #[cfg(feature = "tokio")]
        "timed_twin" => |_, script| block_on(timed_twin(black_box(PROMPT), black_box(script))),
        other => panic!("unknown version {other}; known: {VERSIONS:?}"),
    }
}

/// The expected result of each scenario, to check that every version does the work.
pub fn expected(script: &Script) -> Result<u32, Error> {
    script
        .iter()
        .copied()
        .find(Result::is_ok)
        .unwrap_or(script[2])
}

/// Per-item cost of a stream chain against polling the raw stream (the `stream`
/// feature), each one stream of N items: `raw`; `chain`, `try_each(..).stream()` (its
/// items' error `TryEachError<Error>`); `chain_e`, the same with `when_empty` (items of
/// the raw stream's own type, as the macros' stream chains yield); `macro`,
/// `fallback_chain!(.., stream)` over two operands whose streams are of two types;
/// `restart`, `stream_restart()`. Each chain's first alternative fails to open. Each
/// over a stream that never fails as far as the compiler can tell, and (`_fallible`)
/// over one that may, as every real stream may; `raw_opaque` and `opaque`, a stream
/// whose `poll_next` is out of line, raw and through `chain_e`. Two readers: one that
/// hands each whole item on (`Whole`), and one that matches it and uses the value
/// (`Values`), as most code does.
#[cfg(feature = "stream")]
pub mod streams {
    use std::hint::black_box;

    use futures::stream::{self, StreamExt};
    use futures::Stream;

    use super::{block_on, Error};

    /// The names `consume` takes.
    pub const KINDS: [&str; 12] = [
        "raw",
        "chain",
        "chain_e",
        "macro",
        "restart",
        "raw_fallible",
        "chain_fallible",
        "chain_e_fallible",
        "macro_fallible",
        "restart_fallible",
        "raw_opaque",
        "opaque",
    ];

    /// How a reader uses each item.
    #[derive(Clone, Copy, Debug)]
    pub enum Reader {
        /// Hands the whole `Result` on (to `black_box`), as a forwarding loop does.
        Whole,
        /// Matches it, and hands on the `Ok` value.
        Values,
    }

    impl Reader {
        /// The reader a scenario names: `items` (whole) or `values`.
        pub fn named(name: &str) -> Option<Reader> {
            match name {
                "items" => Some(Reader::Whole),
                "values" => Some(Reader::Values),
                _ => None,
            }
        }
    }

    /// An inline stream of `count` items, which the compiler can see never fails: its
    /// reader has no `Err` to handle, where a reader of a chain has the chain's own.
    fn items(count: u64) -> impl Stream<Item = Result<u64, Error>> {
        stream::iter(0..black_box(count)).map(|n| Ok(black_box(n)))
    }

    /// An inline stream of `count` items that may fail as far as the compiler knows, as
    /// every real stream may. No item does: its cut is past its end.
    fn fallible(count: u64) -> impl Stream<Item = Result<u64, Error>> {
        let cut = black_box(u64::MAX);
        stream::iter(0..black_box(count)).map(move |n| {
            if n == cut {
                Err(DOWN)
            } else {
                Ok(black_box(n))
            }
        })
    }

    /// A stream of `count` items whose `poll_next` is out of line, as a real provider's
    /// is (an SSE decoder over an HTTP body is far too big to inline into its reader):
    /// read raw or through a chain, each item is then a call.
    struct Opaque {
        next: u64,
        end: u64,
    }

    impl Stream for Opaque {
        type Item = Result<u64, Error>;

        #[inline(never)]
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            let next = self.next;
            std::task::Poll::Ready((next < self.end).then(|| {
                self.next += 1;
                Ok(black_box(next))
            }))
        }
    }

    fn opaque(count: u64) -> Opaque {
        Opaque {
            next: 0,
            end: black_box(count),
        }
    }

    const DOWN: Error = Error {
        transient: true,
        code: 503,
    };

    /// Opens `make(count)`, or fails to if `fails`.
    async fn open<S>(fails: bool, count: u64, make: impl FnOnce(u64) -> S) -> Result<S, Error> {
        if fails {
            Err(DOWN)
        } else {
            Ok(make(count))
        }
    }

    /// Reads every item of `stream`, each whole (`WHOLE`) or its value: the `Ok`
    /// items read.
    async fn read<const WHOLE: bool, X>(stream: impl Stream<Item = Result<u64, X>>) -> u64 {
        let mut stream = std::pin::pin!(stream);
        let mut read = 0;
        while let Some(item) = stream.next().await {
            if WHOLE {
                read += u64::from(black_box(item).is_ok());
            } else if let Ok(value) = item {
                black_box(value);
                read += 1;
            }
        }
        read
    }

    /// Reads every item of one stream of `count` items, raw or through a chain whose
    /// first alternative fails to open, as `reader` does; the items read.
    pub fn consume(kind: &str, count: u64, reader: Reader) -> u64 {
        match reader {
            Reader::Whole => consume_as::<true>(kind, count),
            Reader::Values => consume_as::<false>(kind, count),
        }
    }

    fn consume_as<const WHOLE: bool>(kind: &str, count: u64) -> u64 {
        match kind {
            "raw" => raw::<WHOLE, _>(count, items),
            "chain" => chain::<WHOLE, _>(count, items),
            "chain_e" => chain_e::<WHOLE, _>(count, items),
            "macro" => chain_macro::<WHOLE, _>(count, items),
            "restart" => restart::<WHOLE, _>(count, items),
            "raw_fallible" => raw::<WHOLE, _>(count, fallible),
            "chain_fallible" => chain::<WHOLE, _>(count, fallible),
            "chain_e_fallible" => chain_e::<WHOLE, _>(count, fallible),
            "macro_fallible" => chain_macro::<WHOLE, _>(count, fallible),
            "restart_fallible" => restart::<WHOLE, _>(count, fallible),
            "raw_opaque" => raw::<WHOLE, _>(count, opaque),
            "opaque" => chain_e::<WHOLE, _>(count, opaque),
            _ => panic!("unknown stream kind {kind}: one of {KINDS:?}"),
        }
    }

    // Each kind has a function of its own, out of line, so that how one is optimised
    // does not sway another's. `make` makes the stream of `count` items read.

    #[inline(never)]
    fn raw<const WHOLE: bool, S>(count: u64, make: impl Fn(u64) -> S + Copy) -> u64
    where
        S: Stream<Item = Result<u64, Error>>,
    {
        block_on(read::<WHOLE, _>(make(count)))
    }

    #[inline(never)]
    fn chain<const WHOLE: bool, S>(count: u64, make: impl Fn(u64) -> S + Copy) -> u64
    where
        S: Stream<Item = Result<u64, Error>>,
    {
        let alternatives = [true, false];
        let chain = fallbacks::try_each(&alternatives, move |fails| open(*fails, count, make));
        block_on(read::<WHOLE, _>(chain.stream()))
    }

    #[inline(never)]
    fn chain_e<const WHOLE: bool, S>(count: u64, make: impl Fn(u64) -> S + Copy) -> u64
    where
        S: Stream<Item = Result<u64, Error>>,
    {
        let alternatives = [true, false];
        let chain = fallbacks::try_each(&alternatives, move |fails| open(*fails, count, make))
            .when_empty(|| DOWN)
            .stream();
        block_on(read::<WHOLE, _>(chain))
    }

    /// A restarting chain (`when_empty`): its items are `Result<Streamed<u64, Error>,
    /// Error>`, read whole or matched for an item's value.
    #[inline(never)]
    fn restart<const WHOLE: bool, S>(count: u64, make: impl Fn(u64) -> S + Copy) -> u64
    where
        S: Stream<Item = Result<u64, Error>>,
    {
        let alternatives = [true, false];
        let chain = fallbacks::try_each(&alternatives, move |fails| open(*fails, count, make))
            .when_empty(|| DOWN)
            .stream_restart();
        block_on(async {
            let mut stream = std::pin::pin!(chain);
            let mut read = 0;
            while let Some(item) = stream.next().await {
                if WHOLE {
                    read += u64::from(black_box(item).is_ok());
                } else if let Ok(fallbacks::Streamed::Item(value)) = item {
                    black_box(value);
                    read += 1;
                }
            }
            read
        })
    }

    #[inline(never)]
    fn chain_macro<const WHOLE: bool, S>(count: u64, make: impl Fn(u64) -> S + Copy) -> u64
    where
        S: Stream<Item = Result<u64, Error>>,
    {
        // The operands' streams are of two types, as two providers' are: the first,
        // which fails to open, would be empty.
        let fails = black_box(true);
        block_on(read::<WHOLE, _>(fallbacks::fallback_chain!(
            open(fails, count, |_| stream::empty()) | open(false, count, make),
            stream
        )))
    }
}
