//! Stream chains over a run-time list (`try_each(..).stream()`), in tokio's paused time:
//! which alternatives opened, the exact items yielded, where the stream ended, and the
//! exact times of the first-item and idle timeouts.

#![cfg(all(feature = "tokio", feature = "stream"))]

use std::cell::RefCell;
use std::pin::Pin;
use std::time::Duration;

use fallbacks::{require_end, try_each, Elapsed, RequireEnd, Streamed, TryEachError};
use futures::stream::{self, Stream, StreamExt};
use tokio::time::{sleep, Instant};

#[derive(Debug, Clone, PartialEq)]
enum Error {
    Refused(&'static str),
    Cut(&'static str),
    Timeout,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Refused(who) => write!(f, "refused: {who}"),
            Error::Cut(why) => write!(f, "cut: {why}"),
            Error::Timeout => f.write_str("timeout"),
        }
    }
}

impl From<Elapsed> for Error {
    fn from(_: Elapsed) -> Self {
        Error::Timeout
    }
}

type Chunks = Pin<Box<dyn Stream<Item = Result<&'static str, Error>>>>;

/// One step of a provider's answer: wait, then yield this (an item or an error).
#[derive(Clone, Copy)]
enum Step {
    Item(u64, &'static str),
    Fail(u64, &'static str),
    Stall,
}

/// A provider: how it opens, then what its stream does.
struct Provider {
    name: &'static str,
    refuse: bool,
    steps: Vec<Step>,
}

fn provider(name: &'static str, steps: &[Step]) -> Provider {
    Provider {
        name,
        refuse: false,
        steps: steps.to_vec(),
    }
}

thread_local! {
    /// (provider, ms since the start) of every open, and every item read.
    static LOG: RefCell<Vec<(String, u64)>> = const { RefCell::new(Vec::new()) };
    static START: RefCell<Option<Instant>> = const { RefCell::new(None) };
}

fn now() -> u64 {
    START.with(|start| {
        start
            .borrow()
            .map_or(0, |s| (Instant::now() - s).as_millis() as u64)
    })
}

fn note(what: String) {
    LOG.with(|log| log.borrow_mut().push((what, now())));
}

fn log() -> Vec<(String, u64)> {
    LOG.with(|log| log.borrow_mut().drain(..).collect())
}

fn start() {
    START.with(|start| *start.borrow_mut() = Some(Instant::now()));
    log();
}

/// Opens the provider's stream (boxed in the test only, to hold different scripts).
async fn open(provider: &Provider) -> Result<Chunks, Error> {
    note(format!("open {}", provider.name));
    if provider.refuse {
        return Err(Error::Refused(provider.name));
    }
    let name = provider.name;
    let steps = provider.steps.clone();
    Ok(Box::pin(stream::unfold(
        steps.into_iter(),
        move |mut steps| async move {
            match steps.next()? {
                Step::Item(wait, item) => {
                    sleep(Duration::from_millis(wait)).await;
                    Some((Ok(item), steps))
                }
                Step::Fail(wait, why) => {
                    sleep(Duration::from_millis(wait)).await;
                    let _ = name;
                    Some((Err(Error::Cut(why)), steps))
                }
                Step::Stall => {
                    sleep(Duration::from_secs(3600)).await;
                    None
                }
            }
        },
    )))
}

async fn collect<S: Stream + Unpin>(mut chain: S) -> Vec<(S::Item, u64)> {
    let mut out = Vec::new();
    while let Some(item) = chain.next().await {
        out.push((item, now()));
    }
    out
}

/// The items of a stream that yields no error, without their times.
fn unwrapped<T, X: std::fmt::Debug>(out: Vec<(Result<T, X>, u64)>) -> Vec<T> {
    out.into_iter().map(|(item, _)| item.unwrap()).collect()
}

use Step::{Fail, Item, Stall};

#[tokio::test(start_paused = true)]
async fn a_refused_open_falls_back_and_the_next_streams_whole() {
    start();
    let mut refusing = provider("a", &[]);
    refusing.refuse = true;
    let providers = [refusing, provider("b", &[Item(5, "x"), Item(5, "y")])];
    let chain = try_each(&providers, open).stream();
    let out = collect(Box::pin(chain)).await;
    let items: Vec<_> = out
        .into_iter()
        .map(|(item, at)| (item.unwrap(), at))
        .collect();
    assert_eq!(items, [("x", 5), ("y", 10)]);
    assert_eq!(log(), [("open a".into(), 0), ("open b".into(), 0)]);
}

#[tokio::test(start_paused = true)]
async fn an_error_before_the_first_item_falls_back() {
    start();
    let providers = [
        provider("a", &[Fail(3, "no first item")]),
        provider("b", &[Item(1, "x")]),
    ];
    let out = collect(Box::pin(try_each(&providers, open).stream())).await;
    let items = unwrapped(out);
    assert_eq!(items, ["x"]);
    assert_eq!(log(), [("open a".into(), 0), ("open b".into(), 3)]);
}

#[tokio::test(start_paused = true)]
async fn committed_after_the_first_item_a_cut_ends_the_stream_with_its_error() {
    start();
    let providers = [
        provider("a", &[Item(1, "x"), Fail(1, "reset")]),
        provider("b", &[Item(1, "never")]),
    ];
    let out = collect(Box::pin(try_each(&providers, open).stream())).await;
    let items: Vec<_> = out.into_iter().map(|(item, _)| item).collect();
    assert_eq!(
        items,
        [
            Ok("x"),
            Err(TryEachError::Failed {
                error: Error::Cut("reset"),
                index: 0,
                name: "item"
            })
        ]
    );
    assert_eq!(
        log(),
        [("open a".into(), 0)],
        "b is never opened: no splicing"
    );
}

#[tokio::test(start_paused = true)]
async fn no_first_item_within_the_first_item_timeout_falls_back_at_exactly_that_time() {
    start();
    let providers = [provider("a", &[Stall]), provider("b", &[Item(5, "x")])];
    let chain = try_each(&providers, open)
        .first_item_timeout(Duration::from_millis(100))
        .stream();
    let out = collect(Box::pin(chain)).await;
    assert_eq!(out, [(Ok("x"), 105)]);
    assert_eq!(log(), [("open a".into(), 0), ("open b".into(), 100)]);
}

/// The first item's limit is over once it has come, however slowly the rest follow.
/// (Without `tracing` or an observer, the first item is read by the fast path, which
/// only marks it seen: the CI runs this file without `tracing` too.)
#[tokio::test(start_paused = true)]
async fn past_the_first_item_the_first_item_timeout_no_longer_applies() {
    start();
    let providers = [
        provider("a", &[Item(10, "x"), Item(500, "y"), Item(500, "z")]),
        provider("b", &[Item(1, "never")]),
    ];
    let chain = try_each(&providers, open)
        .first_item_timeout(Duration::from_millis(100))
        .stream();
    let out = collect(Box::pin(chain)).await;
    assert_eq!(out, [(Ok("x"), 10), (Ok("y"), 510), (Ok("z"), 1010)]);
    assert_eq!(log(), [("open a".into(), 0)], "b is never opened");
}

/// A stream chain's time limits say which ran out: `Elapsed::kind` and its text.
#[tokio::test(start_paused = true)]
async fn a_time_limit_of_a_stream_says_which_it_was() {
    #[derive(Debug, PartialEq)]
    struct Late(Elapsed);
    impl From<Elapsed> for Late {
        fn from(elapsed: Elapsed) -> Self {
            Late(elapsed)
        }
    }
    type Items = Pin<Box<dyn Stream<Item = Result<u32, Late>>>>;
    // Never a first item; or one, then a stall.
    async fn open(first: &bool) -> Result<Items, Late> {
        let first = first.then_some(Ok(1));
        Ok(Box::pin(stream::iter(first).chain(stream::pending())))
    }
    let limits = |chain: fallbacks::TryEach<_, _, _, _, _, _, _, _, _>| {
        chain
            .first_item_timeout(Duration::from_millis(100))
            .idle_timeout(Duration::from_millis(50))
            .stream()
    };
    let failed = |items: Vec<(Result<u32, TryEachError<Late>>, u64)>| {
        items
            .into_iter()
            .map(|(item, at)| item.map_err(|error| (error.into_error().unwrap().0, at)))
            .collect::<Vec<_>>()
    };
    start();
    let stalled = failed(collect(Box::pin(limits(try_each(&[false], open)))).await);
    let first_item = Elapsed::first_item(Duration::from_millis(100));
    assert_eq!(stalled, [Err((first_item, 100))]);
    assert_eq!(first_item.kind(), fallbacks::Limit::FirstItem);
    assert!(!first_item.is_deadline());
    assert_eq!(
        first_item.to_string(),
        "no first item within the 100ms first-item timeout"
    );
    start();
    let cut = failed(collect(Box::pin(limits(try_each(&[true], open)))).await);
    let idle = Elapsed::idle(Duration::from_millis(50));
    assert_eq!(cut, [Ok(1), Err((idle, 50))]);
    assert_eq!(idle.kind(), fallbacks::Limit::Idle);
    assert_eq!(
        idle.to_string(),
        "no next item within the 50ms idle timeout"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stall_after_the_first_item_ends_the_stream_at_the_idle_timeout() {
    start();
    let providers = [
        provider("a", &[Item(2, "x"), Stall]),
        provider("b", &[Item(1, "y")]),
    ];
    let chain = try_each(&providers, open)
        .idle_timeout(Duration::from_millis(50))
        .stream();
    let out = collect(Box::pin(chain)).await;
    assert_eq!(
        out,
        [
            (Ok("x"), 2),
            (
                Err(TryEachError::Failed {
                    error: Error::Timeout,
                    index: 0,
                    name: "item"
                }),
                52
            )
        ]
    );
}

/// One chain's options, run in two modes: the builder is `Clone`.
#[tokio::test(start_paused = true)]
async fn one_configured_chain_runs_committed_and_restarting() {
    start();
    let providers = [
        provider("a", &[Item(1, "a1"), Fail(1, "cut")]),
        provider("b", &[Item(1, "b1")]),
    ];
    let chain = try_each(&providers, open)
        .name(|p| p.name)
        .first_item_timeout(Duration::from_millis(100));
    let committed = collect(Box::pin(chain.clone().stream())).await;
    let committed: Vec<_> = committed.into_iter().map(|(item, _)| item).collect();
    let cut = TryEachError::Failed {
        error: Error::Cut("cut"),
        index: 0,
        name: "a",
    };
    assert_eq!(committed, [Ok("a1"), Err(cut.clone())]);
    assert_eq!(log(), [("open a".into(), 0)]);
    start();
    let restarted = unwrapped(collect(Box::pin(chain.stream_restart())).await);
    let discard = Streamed::Discard {
        alternative: "a",
        index: 0,
        error: cut,
    };
    let b1 = Streamed::Item("b1");
    assert_eq!(restarted, [Streamed::Item("a1"), discard, b1]);
    assert_eq!(log(), [("open a".into(), 0), ("open b".into(), 2)]);
}

#[tokio::test(start_paused = true)]
async fn buffered_yields_only_a_complete_answer() {
    start();
    let providers = [
        provider("a", &[Item(1, "half"), Fail(1, "cut")]),
        provider("b", &[Item(1, "whole"), Item(1, "answer")]),
    ];
    let out = collect(Box::pin(try_each(&providers, open).stream_buffered())).await;
    let items: Vec<_> = out
        .into_iter()
        .map(|(item, at)| (item.unwrap(), at))
        .collect();
    // Nothing of a's; b's items all at once, when its stream has ended.
    assert_eq!(items, [("whole", 4), ("answer", 4)]);
}

#[tokio::test(start_paused = true)]
async fn restart_yields_live_then_a_discard_marker_then_the_fallback_from_its_start() {
    start();
    let providers = [
        provider("a", &[Item(1, "a1"), Item(1, "a2"), Fail(1, "cut")]),
        provider("b", &[Item(1, "b1"), Item(1, "b2")]),
    ];
    let out = collect(Box::pin(try_each(&providers, open).stream_restart())).await;
    let items = unwrapped(out);
    assert_eq!(
        items,
        [
            Streamed::Item("a1"),
            Streamed::Item("a2"),
            Streamed::Discard {
                alternative: "item",
                index: 0,
                error: TryEachError::Failed {
                    error: Error::Cut("cut"),
                    index: 0,
                    name: "item"
                }
            },
            Streamed::Item("b1"),
            Streamed::Item("b2"),
        ]
    );
}

/// With retries, a restarting stream retries a failure before its first item, but one
/// after it moves on, with its marker: the same alternative again would follow what it
/// had shown with nothing between.
#[tokio::test(start_paused = true)]
async fn restart_with_retries_moves_on_after_the_first_item_never_splicing_a_retry() {
    start();
    let mut refusing = provider("a", &[]);
    refusing.refuse = true;
    let providers = [
        refusing,
        provider("b", &[Item(1, "b1"), Fail(1, "cut")]),
        provider("c", &[Item(1, "c1")]),
    ];
    let chain = try_each(&providers, open)
        .name(|p| p.name)
        .retries(1)
        .backoff(Duration::from_millis(10));
    let out = collect(Box::pin(chain.stream_restart())).await;
    let items = unwrapped(out);
    let discard = Streamed::Discard {
        alternative: "b",
        index: 1,
        error: TryEachError::Failed {
            error: Error::Cut("cut"),
            index: 1,
            name: "b",
        },
    };
    assert_eq!(items, [Streamed::Item("b1"), discard, Streamed::Item("c1")]);
    let opened: Vec<_> = log().into_iter().map(|(what, _)| what).collect();
    assert_eq!(
        opened,
        ["open a", "open a", "open b", "open c"],
        "a retried, b not"
    );
}

#[tokio::test(start_paused = true)]
async fn when_every_alternative_fails_the_stream_ends_with_the_last_error() {
    start();
    let providers = [
        provider("a", &[Fail(1, "first")]),
        provider("b", &[Fail(1, "second")]),
    ];
    let out = collect(Box::pin(try_each(&providers, open).stream())).await;
    let items: Vec<_> = out.into_iter().map(|(item, _)| item).collect();
    assert_eq!(
        items,
        [Err(TryEachError::Failed {
            error: Error::Cut("second"),
            index: 1,
            name: "item"
        })]
    );
}

/// Notes when the stream is dropped: the connection closes.
struct Closes(&'static str);

impl Drop for Closes {
    fn drop(&mut self) {
        note(format!("closed {}", self.0));
    }
}

#[tokio::test(start_paused = true)]
async fn dropping_the_chain_drops_the_stream_at_once_and_starts_nothing_else() {
    start();
    let providers = ["a", "b"];
    let chain = try_each(&providers, |name: &&'static str| {
        let name = *name;
        async move {
            note(format!("open {name}"));
            let guard = Closes(name);
            let chunks: Chunks = Box::pin(stream::unfold(guard, |guard| async move {
                sleep(Duration::from_millis(10)).await;
                Some((Ok::<_, Error>("chunk"), guard))
            }));
            Ok::<_, Error>(chunks)
        }
    })
    .stream();
    let mut chain = Box::pin(chain);
    assert_eq!(chain.next().await, Some(Ok("chunk")));
    assert_eq!(chain.streaming(), Some("item"));
    drop(chain);
    assert_eq!(log(), [("open a".into(), 0), ("closed a".into(), 10)]);
}

/// Which alternative's answer the caller got: `streaming()` while it streams,
/// `served()` once it ended complete (never after a cut), in every mode.
#[tokio::test(start_paused = true)]
async fn served_names_the_alternative_whose_answer_was_complete() {
    let mut refusing = provider("a", &[]);
    refusing.refuse = true;
    let providers = [refusing, provider("b", &[Item(1, "x"), Item(1, "y")])];
    let chain = try_each(&providers, open).name(|p| p.name);
    start();
    let mut committed = Box::pin(chain.clone().stream());
    assert_eq!((committed.streaming(), committed.served()), (None, None));
    assert_eq!(committed.next().await, Some(Ok("x")));
    assert_eq!(
        (committed.streaming(), committed.served()),
        (Some("b"), None)
    );
    assert_eq!(committed.next().await, Some(Ok("y")));
    assert_eq!(committed.next().await, None);
    assert_eq!(
        (committed.streaming(), committed.served()),
        (None, Some((1, "b")))
    );
    let mut buffered = Box::pin(chain.clone().stream_buffered());
    while buffered.next().await.is_some() {}
    assert_eq!(buffered.served(), Some((1, "b")));

    // Cut after its first item: committed, nobody served; restarting, the next did.
    let cut = [
        provider("a", &[Item(1, "a1"), Fail(1, "cut")]),
        provider("b", &[Item(1, "b1")]),
    ];
    let chain = try_each(&cut, open).name(|p| p.name);
    let mut committed = Box::pin(chain.clone().stream());
    while committed.next().await.is_some() {}
    assert_eq!(committed.served(), None);
    let mut restarted = Box::pin(chain.stream_restart());
    while restarted.next().await.is_some() {}
    assert_eq!(restarted.served(), Some((1, "b")));
    let _ = log();
}

/// `chunks` read through `require_end`: `"[DONE]"` is its end marker, and an end
/// without it is `Error::Cut("no [DONE]")`.
fn until_done<S>(chunks: S) -> RequireEnd<S, IsDone, NoDone>
where
    S: Stream<Item = Result<&'static str, Error>>,
{
    require_end(
        chunks,
        |chunk| *chunk == "[DONE]",
        || Error::Cut("no [DONE]"),
    )
}

/// A provider's stream read [`until_done`].
async fn open_until_done(provider: &Provider) -> Result<RequireEnd<Chunks, IsDone, NoDone>, Error> {
    Ok(until_done(open(provider).await?))
}

type IsDone = fn(&&'static str) -> bool;
type NoDone = fn() -> Error;

#[tokio::test(start_paused = true)]
async fn a_stream_closed_before_its_end_marker_is_cut_and_falls_back_before_the_first_item() {
    start();
    let providers = [
        provider("a", &[]),
        provider("b", &[Item(1, "x"), Item(1, "[DONE]")]),
    ];
    let out = collect(Box::pin(try_each(&providers, open_until_done).stream())).await;
    assert_eq!(out, [(Ok("x"), 1)], "the marker is not an item");
    assert_eq!(log(), [("open a".into(), 0), ("open b".into(), 0)]);
}

#[tokio::test(start_paused = true)]
async fn a_stream_closed_mid_answer_without_its_end_marker_is_a_cut_in_every_mode() {
    let providers = [
        provider("a", &[Item(1, "a1")]),
        provider("b", &[Item(1, "b1"), Item(1, "[DONE]")]),
    ];
    let chain = try_each(&providers, open_until_done).name(|p| p.name);
    let cut = TryEachError::Failed {
        error: Error::Cut("no [DONE]"),
        index: 0,
        name: "a",
    };
    start();
    let committed = collect(Box::pin(chain.clone().stream())).await;
    assert_eq!(committed, [(Ok("a1"), 1), (Err(cut.clone()), 1)]);
    assert_eq!(log(), [("open a".into(), 0)], "never presented as complete");
    start();
    let restarted = unwrapped(collect(Box::pin(chain.clone().stream_restart())).await);
    let discard = Streamed::Discard {
        alternative: "a",
        index: 0,
        error: cut,
    };
    assert_eq!(
        restarted,
        [Streamed::Item("a1"), discard, Streamed::Item("b1")]
    );
    start();
    let buffered = collect(Box::pin(chain.stream_buffered())).await;
    assert_eq!(buffered, [(Ok("b1"), 3)]);
    assert_eq!(log(), [("open a".into(), 0), ("open b".into(), 1)]);
}

/// The marker ends the stream and drops the one it reads at once (an unread body: its
/// connection closed), before anything after it is read; a cut is one `Err` item, and an
/// `Err` and then the end is one failure.
#[tokio::test(start_paused = true)]
async fn require_end_ends_at_the_marker_dropping_the_stream_or_with_one_cut() {
    start();
    let guard = Closes("a");
    let after = stream::iter(["x", "[DONE]", "after"].map(Ok::<_, Error>));
    let read = after.map(move |chunk| {
        let _ = &guard;
        note(format!("read {chunk:?}"));
        chunk
    });
    let mut done = Box::pin(until_done(read));
    assert_eq!(done.next().await, Some(Ok("x")));
    assert_eq!(done.next().await, None);
    assert!(futures::stream::FusedStream::is_terminated(&*done));
    assert_eq!(done.next().await, None);
    assert_eq!(
        log(),
        [
            ("read Ok(\"x\")".into(), 0),
            ("read Ok(\"[DONE]\")".into(), 0),
            ("closed a".into(), 0),
        ],
        "dropped at the marker, with the stream still held"
    );
    drop(done);
    assert_eq!(log(), []);

    // A cut: its error, then the end, once and for all; a marker kept is the last item.
    let cut = stream::iter([Ok::<_, Error>("x")]);
    let mut cut = Box::pin(until_done(cut));
    assert_eq!(cut.size_hint(), (0, Some(2)), "the item, then the cut");
    assert_eq!(cut.next().await, Some(Ok("x")));
    assert_eq!(cut.next().await, Some(Err(Error::Cut("no [DONE]"))));
    assert!(futures::stream::FusedStream::is_terminated(&*cut));
    assert_eq!((cut.size_hint(), cut.next().await), ((0, Some(0)), None));
    let kept = stream::iter(["x", "[DONE]", "after"].map(Ok::<_, Error>));
    let out: Vec<_> = until_done(kept).keep_marker().collect().await;
    assert_eq!(out, [Ok("x"), Ok("[DONE]")]);

    let failing = stream::iter([Ok("x"), Err(Error::Cut("reset"))]);
    let out: Vec<_> = until_done(failing).collect().await;
    assert_eq!(out, [Ok("x"), Err(Error::Cut("reset"))]);
    let recovered = stream::iter([Err(Error::Cut("hiccup")), Ok("x")]);
    let out: Vec<_> = until_done(recovered).collect().await;
    assert_eq!(
        out,
        [
            Err(Error::Cut("hiccup")),
            Ok("x"),
            Err(Error::Cut("no [DONE]"))
        ]
    );
}

/// Random scripts against a reference model of the three modes.
mod model {
    use proptest::prelude::*;

    use super::*;

    /// One alternative's script: how it opens, its items, how its stream ends.
    #[derive(Debug, Clone, Copy)]
    enum Script {
        OpenFails,
        Items(u8, End),
    }

    #[derive(Debug, Clone, Copy)]
    enum End {
        Done,
        Fails,
        Stalls,
    }

    #[derive(Debug, Clone, PartialEq)]
    enum ModelError {
        Refused(usize),
        Cut(usize),
        Timeout,
    }

    impl From<Elapsed> for ModelError {
        fn from(_: Elapsed) -> Self {
            ModelError::Timeout
        }
    }

    type Out = Vec<Result<Streamed<(usize, u8), (ModelError, usize)>, (ModelError, usize)>>;
    type Items = Pin<Box<dyn Stream<Item = Result<(usize, u8), ModelError>>>>;

    async fn open(index: usize, script: Script) -> Result<Items, ModelError> {
        {
            let (count, end) = match script {
                Script::OpenFails => return Err(ModelError::Refused(index)),
                Script::Items(count, end) => (count, end),
            };
            let items = stream::unfold(0u8, move |n| async move {
                sleep(Duration::from_millis(10)).await;
                if n < count {
                    return Some((Ok((index, n)), n + 1));
                }
                match end {
                    End::Done => None,
                    End::Fails if n == count => Some((Err(ModelError::Cut(index)), n + 1)),
                    End::Fails => None,
                    End::Stalls => {
                        sleep(Duration::from_secs(3600)).await;
                        None
                    }
                }
            });
            Ok(Box::pin(items) as Items)
        }
    }

    /// What the alternative does, as the model sees it: its items, and how it ends
    /// (`None`: it serves).
    fn outcome(index: usize, script: Script) -> (Vec<(usize, u8)>, Option<ModelError>) {
        match script {
            Script::OpenFails => (Vec::new(), Some(ModelError::Refused(index))),
            Script::Items(count, end) => {
                let items = (0..count).map(|n| (index, n)).collect();
                let error = match end {
                    End::Done => None,
                    End::Fails => Some(ModelError::Cut(index)),
                    End::Stalls => Some(ModelError::Timeout),
                };
                (items, error)
            }
        }
    }

    /// The reference: what each mode yields for these scripts.
    fn expected(mode: &str, scripts: &[Script]) -> Out {
        let mut out = Out::new();
        let mut last = None;
        for (index, script) in scripts.iter().enumerate() {
            let (items, error) = outcome(index, *script);
            let Some(error) = error else {
                out.extend(items.into_iter().map(|item| Ok(Streamed::Item(item))));
                return out;
            };
            match (mode, items.is_empty()) {
                (_, true) | ("buffered", _) => {}
                ("committed", false) => {
                    out.extend(items.into_iter().map(|item| Ok(Streamed::Item(item))));
                    out.push(Err((error, index)));
                    return out;
                }
                _ => {
                    out.extend(items.into_iter().map(|item| Ok(Streamed::Item(item))));
                    if index + 1 < scripts.len() {
                        out.push(Ok(Streamed::Discard {
                            alternative: "item",
                            index,
                            error: (error, index),
                        }));
                        continue;
                    }
                }
            }
            last = Some((error, index));
        }
        out.push(Err(last.expect("at least one alternative")));
        out
    }

    /// The reference for the opens: how many times each alternative is opened with
    /// `retries` (a try that fails is retried unless it had shown an item, committed or
    /// restarting: the scripts do the same on every try, so retries change nothing of
    /// what is yielded, only the opens).
    fn expected_opens(mode: &str, scripts: &[Script], retries: usize) -> Vec<usize> {
        let mut opens = vec![0; scripts.len()];
        for (index, script) in scripts.iter().enumerate() {
            let (items, error) = outcome(index, *script);
            let shown = !items.is_empty() && mode != "buffered";
            opens[index] = if error.is_none() || shown {
                1
            } else {
                retries + 1
            };
            if error.is_none() || (shown && mode == "committed") {
                break;
            }
        }
        opens
    }

    fn failed(error: TryEachError<ModelError>) -> (ModelError, usize) {
        match error {
            TryEachError::Failed { error, index, name } => {
                assert_eq!(name, "item", "unnamed items");
                (error, index)
            }
            TryEachError::NoItems => unreachable!("the scripts are never empty"),
        }
    }

    /// What the chain yields in `mode` with `retries`, and how many times it opened each
    /// alternative.
    fn run(mode: &str, scripts: &[Script], retries: usize) -> (Out, Vec<usize>) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("a runtime");
        let opens = RefCell::new(vec![0; scripts.len()]);
        let out = runtime.block_on(async {
            let chain = try_each(scripts.iter().copied().enumerate(), |(index, script)| {
                opens.borrow_mut()[index] += 1;
                open(index, script)
            })
            .first_item_timeout(Duration::from_millis(100))
            .idle_timeout(Duration::from_millis(50))
            .retries(retries as u32)
            .backoff(Duration::from_millis(5));
            let mut out = Out::new();
            match mode {
                "restart" => {
                    let mut chain = Box::pin(chain.stream_restart());
                    while let Some(event) = chain.next().await {
                        out.push(match event {
                            Ok(Streamed::Item(item)) => Ok(Streamed::Item(item)),
                            Ok(Streamed::Discard {
                                alternative,
                                index,
                                error,
                            }) => Ok(Streamed::Discard {
                                alternative,
                                index,
                                error: failed(error),
                            }),
                            Err(error) => Err(failed(error)),
                        });
                    }
                }
                _ => {
                    let chain = if mode == "buffered" {
                        chain.stream_buffered()
                    } else {
                        chain.stream()
                    };
                    let mut chain = Box::pin(chain);
                    while let Some(item) = chain.next().await {
                        out.push(item.map(Streamed::Item).map_err(failed));
                    }
                }
            }
            out
        });
        (out, opens.into_inner())
    }

    fn script() -> impl Strategy<Value = Script> {
        prop_oneof![
            Just(Script::OpenFails),
            (
                0u8..4,
                prop_oneof![Just(End::Done), Just(End::Fails), Just(End::Stalls)]
            )
                .prop_map(|(count, end)| Script::Items(count, end)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn each_mode_yields_what_the_model_says(
            scripts in prop::collection::vec(script(), 1..5),
            retries in 0usize..3,
        ) {
            for mode in ["committed", "buffered", "restart"] {
                let (out, opens) = run(mode, &scripts, retries);
                prop_assert_eq!(out, expected(mode, &scripts), "{} {:?}", mode, scripts);
                let opened = expected_opens(mode, &scripts, retries);
                prop_assert_eq!(opens, opened, "opens: {} {:?} retries {}", mode, scripts, retries);
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn observe_hears_each_alternative_open_commit_fail_restart_and_end() {
    start();
    let heard = RefCell::new(Vec::new());
    let providers = [
        provider("a", &[Item(1, "a1"), Fail(1, "cut")]),
        provider("b", &[Item(1, "b1")]),
    ];
    let chain = try_each(&providers, open)
        .observe(|event: &fallbacks::Event<'_, Error>| {
            let kind = match event.kind {
                fallbacks::EventKind::Started => "started",
                fallbacks::EventKind::Opened => "opened",
                fallbacks::EventKind::FirstItem => "first item",
                fallbacks::EventKind::Failed(_) => "failed",
                fallbacks::EventKind::Restarted => "restarted",
                fallbacks::EventKind::Succeeded => "ended",
                _ => "other",
            };
            heard.borrow_mut().push((event.index, kind));
        })
        .stream_restart();
    let out = collect(Box::pin(chain)).await;
    assert_eq!(out.len(), 3, "a1, the discard, b1");
    assert_eq!(
        *heard.borrow(),
        [
            (0, "started"),
            (0, "opened"),
            (0, "first item"),
            (0, "failed"),
            (0, "restarted"),
            (1, "started"),
            (1, "opened"),
            (1, "first item"),
            (1, "ended"),
        ]
    );
}

/// Opens after `delay` ms.
async fn open_slowly(provider: &Provider, delay: u64) -> Result<Chunks, Error> {
    sleep(Duration::from_millis(delay)).await;
    open(provider).await
}

#[tokio::test(start_paused = true)]
async fn timeout_limits_the_opening_and_deadline_the_whole_stream() {
    start();
    let providers = [
        provider("a", &[Item(1, "a1")]),
        provider("b", &[Item(1, "b1")]),
    ];
    let delays = [500, 0];
    let chain = try_each(providers.iter().zip(delays), |(provider, delay)| {
        open_slowly(provider, delay)
    })
    .timeout(Duration::from_millis(200))
    .stream();
    let out = collect(Box::pin(chain)).await;
    assert_eq!(out, [(Ok("b1"), 201)], "a's opening gave up at 200 ms");
    assert_eq!(log(), [("open b".into(), 200)]);

    start();
    let providers = [provider("a", &[Item(100, "late")])];
    let chain = try_each(&providers, open)
        .deadline(Duration::from_millis(50))
        .stream();
    let out = collect(Box::pin(chain)).await;
    assert_eq!(
        out,
        [(
            Err(TryEachError::Failed {
                error: Error::Timeout,
                index: 0,
                name: "item"
            }),
            50
        )]
    );
}

#[derive(Debug, PartialEq)]
enum Crash {
    Panicked(String),
}

impl From<fallbacks::Panicked> for Crash {
    fn from(panicked: fallbacks::Panicked) -> Self {
        Crash::Panicked(panicked.message().to_string())
    }
}

#[tokio::test(start_paused = true)]
async fn catch_panic_makes_a_panicking_stream_a_failure_that_falls_back() {
    let crashes = [true, false];
    let chain = try_each(&crashes, |crashes| {
        let crashes = *crashes;
        async move {
            let items: Pin<Box<dyn Stream<Item = Result<&'static str, Crash>>>> = if crashes {
                Box::pin(stream::poll_fn(
                    |_| -> std::task::Poll<Option<Result<&'static str, Crash>>> {
                        panic!("decoder bug")
                    },
                ))
            } else {
                Box::pin(stream::iter([Ok("fine")]))
            };
            Ok::<_, Crash>(items)
        }
    })
    .catch_panic()
    .stream();
    let out: Vec<_> = Box::pin(chain).collect().await;
    assert_eq!(out, [Ok("fine")]);
}

impl From<fallbacks::Rejected> for Error {
    fn from(_: fallbacks::Rejected) -> Self {
        Error::Refused("empty")
    }
}

#[tokio::test(start_paused = true)]
async fn an_empty_stream_serves_unless_the_chain_declares_it_a_failure() {
    start();
    let providers = [provider("a", &[]), provider("b", &[Item(1, "b1")])];
    let out = collect(Box::pin(try_each(&providers, open).stream())).await;
    assert!(out.is_empty(), "an empty answer, served by a");
    let out = collect(Box::pin(
        try_each(&providers, open).empty_is_failure().stream(),
    ))
    .await;
    assert_eq!(out, [(Ok("b1"), 1)]);
}

/// An end that comes after a wait (the fast path's poll sees it, and leaves it for the
/// slow path in a flag of its own) is settled as one that is ready at once: before the
/// first item, an empty answer (a failure with `empty_is_failure`); after it, the end
/// of a complete answer.
#[tokio::test(start_paused = true)]
async fn a_late_end_is_settled_as_an_end_ready_at_once() {
    const HOUR: u64 = 3_600_000;
    start();
    let empty = [provider("a", &[Stall]), provider("b", &[Item(1, "b1")])];
    let mut chain = Box::pin(try_each(&empty, open).stream());
    let out = collect(chain.as_mut()).await;
    assert!(out.is_empty(), "an empty answer, served by a");
    assert_eq!(chain.served(), Some((0, "item")));
    assert_eq!(log(), [("open a".to_string(), 0)]);

    start();
    let mut chain = Box::pin(try_each(&empty, open).empty_is_failure().stream());
    let out = collect(chain.as_mut()).await;
    assert_eq!(out, [(Ok("b1"), HOUR + 1)], "a's late empty end falls back");
    assert_eq!(chain.served(), Some((1, "item")));
    assert_eq!(
        log(),
        [("open a".to_string(), 0), ("open b".to_string(), HOUR)]
    );

    start();
    let answered = [
        provider("a", &[Item(1, "a1"), Stall]),
        provider("b", &[Item(1, "b1")]),
    ];
    let mut chain = Box::pin(try_each(&answered, open).empty_is_failure().stream());
    let out = collect(chain.as_mut()).await;
    assert_eq!(out, [(Ok("a1"), 1)], "a complete answer, ended late");
    assert_eq!(chain.served(), Some((0, "item")));
    assert_eq!(log(), [("open a".to_string(), 0)]);
}

#[tokio::test(start_paused = true)]
async fn a_stream_chain_skips_an_alternative_while_it_cools_down_then_probes_it() {
    start();
    let health = fallbacks::Health::<2>::new();
    let mut refusing = provider("a", &[Item(1, "a1")]);
    refusing.refuse = true;
    let providers = [refusing, provider("b", &[Item(1, "b1")])];
    let chat = || {
        try_each(&providers, open)
            .cooldown(Duration::from_secs(30), &health)
            .trip_after(1)
            .stream()
    };
    assert_eq!(unwrapped(collect(Box::pin(chat())).await), ["b1"]);
    assert!(health.is_cooling(0) && !health.is_cooling(1));
    assert_eq!(unwrapped(collect(Box::pin(chat())).await), ["b1"]);
    sleep(Duration::from_secs(30)).await;
    assert_eq!(unwrapped(collect(Box::pin(chat())).await), ["b1"]);
    assert_eq!(
        log(),
        [
            ("open a".into(), 0),
            ("open b".into(), 0),
            // Skipped while it cools down: only the backup is asked.
            ("open b".into(), 1),
            // Probed once the cooldown is over (and tripped again).
            ("open a".into(), 30_002),
            ("open b".into(), 30_002),
        ]
    );
    assert!(health.is_cooling(0));
}

mod inline {
    use fallbacks::fallback_chain;

    use super::*;

    /// A different stream type from `open`'s: the operands' types need not agree.
    async fn open_plain(
        name: &'static str,
    ) -> Result<stream::Iter<std::vec::IntoIter<Result<&'static str, Error>>>, Error> {
        note(format!("open {name}"));
        Ok(stream::iter(vec![Ok("plain 1"), Ok("plain 2")]))
    }

    #[tokio::test(start_paused = true)]
    async fn an_inline_chain_of_stream_operands_is_a_stream() {
        start();
        let mut refusing = provider("a", &[]);
        refusing.refuse = true;
        let chain = fallback_chain!(open(&refusing) | open_plain("b"), stream);
        let items: Vec<_> = Box::pin(chain).collect().await;
        assert_eq!(items, [Ok("plain 1"), Ok("plain 2")]);
        assert_eq!(log(), [("open a".into(), 0), ("open b".into(), 0)]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_inline_stream_chain_with_all_failed_ends_with_every_error() {
        start();
        let mut refusing = provider("a", &[]);
        refusing.refuse = true;
        let cut = provider("b", &[Fail(1, "b cut")]);
        let chain = fallback_chain!(
            "first": open(&refusing) | "second": open(&cut),
            stream,
            error = fallbacks::AllFailed<Error>,
        );
        let items: Vec<Result<&str, fallbacks::AllFailed<Error>>> = Box::pin(chain).collect().await;
        let [Err(all)] = &items[..] else {
            panic!("one error: {items:?}");
        };
        assert_eq!(
            listed(all),
            [
                ("first", 0, Error::Refused("a")),
                ("second", 1, Error::Cut("b cut"))
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_inline_chain_takes_the_stream_options_and_modes() {
        start();
        let stalls = provider("a", &[Stall]);
        let cut = provider("b", &[Item(1, "b1"), Fail(1, "cut")]);
        let whole = provider("c", &[Item(1, "c1")]);
        let chain = fallback_chain!(
            "first": open(&stalls) | "second": open(&cut) | "third": open(&whole),
            stream = "restart",
            first_item_timeout = "100ms",
            on = matches(Error::Cut(_) | Error::Timeout),
        );
        let items: Vec<_> = Box::pin(chain).collect().await;
        assert_eq!(
            items,
            [
                Ok(Streamed::Item("b1")),
                Ok(Streamed::Discard {
                    alternative: "second",
                    index: 1,
                    error: Error::Cut("cut")
                }),
                Ok(Streamed::Item("c1")),
            ]
        );
        assert_eq!(
            log(),
            [
                ("open a".into(), 0),
                ("open b".into(), 100),
                ("open c".into(), 102)
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_inline_stream_chain_with_empty_is_failure_falls_back_from_an_empty_answer() {
        start();
        let (empty, whole) = (provider("a", &[]), provider("b", &[Item(1, "b1")]));
        let served_empty: Vec<_> = Box::pin(fallback_chain!(open(&empty) | open(&whole), stream))
            .collect()
            .await;
        assert_eq!(served_empty, [], "an empty answer serves by default");
        let chain = fallback_chain!(open(&empty) | open(&whole), stream, empty_is_failure);
        let items: Vec<_> = Box::pin(chain).collect().await;
        assert_eq!(items, [Ok("b1")]);
        assert_eq!(
            log(),
            [
                ("open a".into(), 0),
                ("open a".into(), 0),
                ("open b".into(), 0)
            ]
        );
        // Every form of stream chain: all alternatives empty ends with the last's error.
        let chain = fallback_chain!(open(&empty) | open(&empty), stream, empty_is_failure);
        let items: Vec<_> = Box::pin(chain).collect().await;
        assert_eq!(items, [Err(Error::Refused("empty"))]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_inline_stream_chain_names_itself_by_where_it_is() {
        start();
        let heard = RefCell::new(Vec::new());
        let (cut, whole) = (
            provider("a", &[Fail(1, "cut")]),
            provider("b", &[Item(1, "b1")]),
        );
        let line = line!() + 1;
        let chain = fallback_chain!(
            open(&cut) | open(&whole),
            stream,
            observe = |event: &fallbacks::Event<'_, Error>| {
                heard.borrow_mut().push((event.chain, event.index));
            }
        );
        let items: Vec<_> = Box::pin(chain).collect().await;
        assert_eq!(items, [Ok("b1")]);
        let here: &'static str = Box::leak(format!("{}:{line}", module_path!()).into_boxed_str());
        let heard = heard.into_inner();
        assert!(heard.len() >= 4, "{heard:?}");
        assert!(
            heard.iter().all(|(chain, _)| *chain == here),
            "{heard:?} named {here}"
        );
        assert_eq!(heard.last().map(|(_, index)| *index), Some(1));
    }
}

mod attribute {
    use fallbacks::fallback;

    use super::*;

    /// A client whose stream calls fall back, per its own providers.
    struct Client {
        primary: Provider,
        backup: Provider,
    }

    impl Client {
        async fn on_primary(&self, _prompt: String) -> Result<Chunks, Error> {
            open(&self.primary).await
        }

        async fn on_backup(&self, _prompt: String) -> Result<Chunks, Error> {
            open(&self.backup).await
        }

        #[fallback(
            primary = "primary": Self::on_primary,
            then = ["backup": Self::on_backup],
            stream,
            first_item_timeout = "100ms",
        )]
        fn chat(&self, prompt: String) -> impl Stream<Item = Result<&'static str, Error>> + '_;

        #[fallback(
            primary = "primary": Self::on_primary,
            then = ["backup": Self::on_backup],
            stream,
            empty_is_failure,
            observe = heard,
        )]
        fn chat_nonempty(
            &self,
            prompt: String,
        ) -> impl Stream<Item = Result<&'static str, Error>> + '_;

        #[fallback(
            primary = "primary": Self::on_primary,
            then = ["backup": Self::on_backup],
            stream,
        )]
        fn chat_all(
            &self,
            prompt: String,
        ) -> impl Stream<Item = Result<&'static str, fallbacks::AllFailed<Error>>> + '_;
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_function_whose_items_fail_with_all_failed_collects_every_error() {
        start();
        let mut primary = provider("a", &[]);
        primary.refuse = true;
        let client = Client {
            primary,
            backup: provider("b", &[Item(1, "b1"), Fail(1, "b cut")]),
        };
        let items: Vec<_> = Box::pin(client.chat_all("hi".into())).collect().await;
        assert_eq!(items[0], Ok("b1"));
        let Err(all) = &items[1] else {
            panic!("the cut ends it: {items:?}");
        };
        assert_eq!(
            listed(all),
            [
                ("primary", 0, Error::Refused("a")),
                ("backup", 1, Error::Cut("b cut"))
            ]
        );
        assert_eq!(items.len(), 2);
    }

    /// A client whose stream chain keeps its providers' health.
    struct Tracked {
        client: Client,
        health: fallbacks::Health<2>,
    }

    impl Tracked {
        async fn on_primary(&self, prompt: String) -> Result<Chunks, Error> {
            self.client.on_primary(prompt).await
        }

        async fn on_backup(&self, prompt: String) -> Result<Chunks, Error> {
            self.client.on_backup(prompt).await
        }

        #[fallback(
            primary = Self::on_primary,
            then = [Self::on_backup],
            stream,
            cooldown = "30s",
            trip_after = 1,
            health = &self.health,
            observe = skipped,
        )]
        fn chat(&self, prompt: String) -> impl Stream<Item = Result<&'static str, Error>> + '_;
    }

    thread_local! {
        static SKIPPED: RefCell<Vec<(&'static str, usize)>> = const { RefCell::new(Vec::new()) };
    }

    /// The chain and the position of each skip.
    fn skipped(event: &fallbacks::Event<'_, Error>) {
        if matches!(event.kind, fallbacks::EventKind::Skipped) {
            SKIPPED.with(|skipped| skipped.borrow_mut().push((event.chain, event.index)));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_function_with_health_skips_its_primary_while_it_cools_down() {
        start();
        let mut primary = provider("a", &[Item(1, "a1")]);
        primary.refuse = true;
        let tracked = Tracked {
            client: Client {
                primary,
                backup: provider("b", &[Item(1, "b1")]),
            },
            health: fallbacks::Health::new(),
        };
        for _ in 0..2 {
            let items: Vec<_> = Box::pin(tracked.chat("hi".into())).collect().await;
            assert_eq!(items, [Ok("b1")]);
        }
        assert_eq!(
            log(),
            [
                ("open a".into(), 0),
                ("open b".into(), 0),
                ("open b".into(), 1)
            ]
        );
        assert!(tracked.health.is_cooling(0) && !tracked.health.is_cooling(1));
        // The skip is told under the chain's own name.
        let named = concat!(module_path!(), "::chat");
        assert_eq!(SKIPPED.with(|skipped| skipped.take()), [(named, 0)]);
    }

    thread_local! {
        static HEARD: RefCell<Vec<(&'static str, &'static str)>> = const { RefCell::new(Vec::new()) };
    }

    /// The chain and the alternative of each event, kept for the test to read.
    fn heard(event: &fallbacks::Event<'_, Error>) {
        HEARD.with(|heard| heard.borrow_mut().push((event.chain, event.alternative)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_function_with_empty_is_failure_falls_back_from_an_empty_answer_and_names_itself(
    ) {
        start();
        let client = Client {
            primary: provider("a", &[]),
            backup: provider("b", &[Item(1, "b1")]),
        };
        let items: Vec<_> = Box::pin(client.chat_nonempty("hi".into())).collect().await;
        assert_eq!(items, [Ok("b1")]);
        assert_eq!(log(), [("open a".into(), 0), ("open b".into(), 0)]);
        let heard = HEARD.with(|heard| heard.take());
        let named = concat!(module_path!(), "::chat_nonempty");
        assert!(heard.iter().all(|(chain, _)| *chain == named), "{heard:?}");
        assert_eq!(heard.first(), Some(&(named, "primary")));
        assert_eq!(heard.last(), Some(&(named, "backup")));
    }

    #[tokio::test(start_paused = true)]
    async fn a_function_returning_a_stream_is_a_stream_chain() {
        start();
        let client = Client {
            primary: provider("a", &[Stall]),
            backup: provider("b", &[Item(1, "b1"), Item(1, "b2")]),
        };
        let items: Vec<_> = Box::pin(client.chat("hi".to_string())).collect().await;
        assert_eq!(items, [Ok("b1"), Ok("b2")]);
        assert_eq!(log(), [("open a".into(), 0), ("open b".into(), 100)]);
    }
}

/// A limit too long for the clock (a year in nanoseconds from a configuration file) is
/// "never", not a panic: here on the idle timer, reset at each item.
#[tokio::test(start_paused = true)]
async fn a_limit_too_long_for_the_clock_is_never() {
    let chain =
        try_each(&[1u32], |n| {
            let n = *n;
            async move {
                Ok::<_, fallbacks::Elapsed>(futures::stream::iter([Ok(n), Ok(n + 1), Ok(n + 2)]))
            }
        })
        .timeout(Duration::MAX)
        .deadline(Duration::MAX)
        .first_item_timeout(Duration::MAX)
        .idle_timeout(Duration::MAX)
        .stream();
    let items: Vec<_> = Box::pin(chain).collect().await;
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(Result::is_ok));
}

/// Restart mode leaves the chain between two alternatives after a discard marker, until
/// the next poll: a deadline that passes meanwhile is the next alternative's, which it
/// leaves no time to start, not a second failure of the one discarded.
#[tokio::test(start_paused = true)]
async fn a_deadline_after_a_discard_marker_is_the_next_alternatives() {
    start();
    let providers = [
        provider("a", &[Item(1, "a1"), Fail(1, "cut")]),
        provider("b", &[Item(1, "b1")]),
    ];
    let mut chain = Box::pin(
        try_each(&providers, open)
            .name(|p| p.name)
            .deadline(Duration::from_millis(50))
            .all_failed()
            .stream_restart(),
    );
    assert!(matches!(chain.next().await, Some(Ok(Streamed::Item("a1")))));
    assert!(matches!(
        chain.next().await,
        Some(Ok(Streamed::Discard { index: 0, .. }))
    ));
    // The reader takes its time clearing a's text: the deadline passes before b starts.
    sleep(Duration::from_millis(100)).await;
    let Some(Err(TryEachError::Failed {
        error: all,
        index,
        name,
    })) = chain.next().await
    else {
        panic!("the deadline ends the stream");
    };
    assert_eq!((index, name), (1, "b"));
    assert_eq!(listed(&all), [("b", 1, Error::Timeout)]);
    assert_eq!(
        all.alternatives_failed(),
        2,
        "a announced, b past the deadline: {all}"
    );
    assert!(chain.next().await.is_none());
    assert_eq!(log(), [("open a".into(), 0)], "b never opened");
}

/// An empty list fails with its own error, even past a zero deadline (as the futures
/// do), in every mode: not with a timeout of an item that does not exist.
#[tokio::test(start_paused = true)]
async fn an_empty_list_of_streams_fails_as_empty_even_past_a_zero_deadline() {
    let providers: [Provider; 0] = [];
    let chain = || try_each(&providers, open).deadline(Duration::ZERO);
    let committed: Vec<_> = Box::pin(chain().stream()).collect().await;
    assert_eq!(committed, [Err(TryEachError::NoItems)]);
    let restart: Vec<_> = Box::pin(chain().stream_restart()).collect().await;
    assert_eq!(restart, [Err(TryEachError::NoItems)]);
}

/// A stream chain is a `FusedStream`: terminated once it has yielded its error or its
/// end, whichever way it ended; polled again, it yields nothing.
#[tokio::test(start_paused = true)]
async fn a_stream_chain_says_it_is_terminated_once_it_has_ended() {
    use futures::stream::FusedStream;
    start();
    let providers = [
        provider("a", &[Item(1, "a1")]),
        provider("b", &[Item(1, "b1")]),
    ];
    let mut chain = Box::pin(try_each(&providers, open).stream());
    assert!(!chain.is_terminated());
    assert_eq!(chain.next().await, Some(Ok("a1")));
    assert!(!chain.is_terminated(), "its end is not yet read");
    assert_eq!(chain.next().await, None);
    assert!(chain.is_terminated());
    assert_eq!(chain.next().await, None);
    let cut = [provider("a", &[Item(1, "a1"), Fail(1, "cut")])];
    let mut chain = Box::pin(try_each(&cut, open).stream_restart());
    assert_eq!(chain.next().await, Some(Ok(Streamed::Item("a1"))));
    assert!(!chain.is_terminated());
    assert!(
        matches!(chain.next().await, Some(Err(_))),
        "the only one, cut"
    );
    assert!(chain.is_terminated());
    assert!(chain.next().await.is_none());
    // Buffered: not while the answer read whole is handed over, only at its end.
    let mut chain = Box::pin(try_each(&providers, open).stream_buffered());
    assert_eq!(chain.next().await, Some(Ok("a1")));
    assert!(!chain.is_terminated());
    assert_eq!(chain.next().await, None);
    assert!(chain.is_terminated());
}

/// Once a stream chain has ended, no timer of it is left to wake its task.
#[tokio::test(start_paused = true)]
async fn a_finished_stream_chain_leaves_no_timer_to_wake_its_task() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Poll};
    struct Count(AtomicUsize);
    impl futures::task::ArcWake for Count {
        fn wake_by_ref(this: &Arc<Self>) {
            this.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let count = Arc::new(Count(AtomicUsize::new(0)));
    let waker = futures::task::waker(count.clone());
    let mut cx = Context::from_waker(&waker);
    let mut chain = Box::pin(
        try_each(
            [1u32],
            |n| async move { Ok::<_, Error>(stream::iter([Ok(n)])) },
        )
        .deadline(Duration::from_secs(1))
        .idle_timeout(Duration::from_secs(1))
        .stream(),
    );
    assert_eq!(chain.as_mut().poll_next(&mut cx), Poll::Ready(Some(Ok(1))));
    assert_eq!(chain.as_mut().poll_next(&mut cx), Poll::Ready(None));
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(count.0.load(Ordering::SeqCst), 0, "woken after its end");
}

#[tokio::test(start_paused = true)]
async fn the_deadline_ends_the_stream_in_flight_as_a_failed_try_and_spares_a_served_one() {
    // Committed: the deadline passes between a1 and a2; the try is reported failed.
    start();
    let failed = RefCell::new(Vec::new());
    let providers = [provider("a", &[Item(10, "a1"), Item(100, "a2")])];
    let chain = try_each(&providers, open)
        .deadline(Duration::from_millis(50))
        .observe(|event: &fallbacks::Event<'_, Error>| {
            if let fallbacks::EventKind::Failed(error) = event.kind {
                failed
                    .borrow_mut()
                    .push((event.index, error.clone(), event.elapsed));
            }
        })
        .stream();
    let out = collect(Box::pin(chain)).await;
    let cut = Err(TryEachError::Failed {
        error: Error::Timeout,
        index: 0,
        name: "item",
    });
    assert_eq!(out, [(Ok("a1"), 10), (cut, 50)]);
    assert_eq!(
        *failed.borrow(),
        [(0, Error::Timeout, Duration::from_millis(50))]
    );

    // Buffered: b's whole answer was read within the deadline; handing it over is not
    // cut by the deadline, however slowly the caller reads it.
    start();
    let providers = [provider("b", &[Item(10, "b1"), Item(10, "b2")])];
    let mut chain = Box::pin(
        try_each(&providers, open)
            .deadline(Duration::from_millis(50))
            .stream_buffered(),
    );
    assert_eq!(chain.next().await, Some(Ok("b1")));
    sleep(Duration::from_millis(100)).await;
    assert_eq!(chain.next().await, Some(Ok("b2")));
    assert_eq!(chain.next().await, None);
}

/// An `AllFailed`'s errors as (name, position, error).
fn listed(all: &fallbacks::AllFailed<Error>) -> Vec<(&'static str, usize, Error)> {
    all.iter()
        .map(|failure| {
            (
                failure.alternative(),
                failure.index(),
                failure.error().clone(),
            )
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn all_failed_collects_every_error_of_a_stream_chain_in_order_retries_included() {
    let mut refusing = provider("a", &[]);
    refusing.refuse = true;
    let providers = [
        refusing,
        provider("b", &[Fail(1, "b cut")]),
        provider("c", &[Fail(1, "c cut")]),
    ];
    let chain = try_each(&providers, open)
        .name(|provider: &&Provider| provider.name)
        .retries(1)
        .all_failed()
        .stream();
    let out = collect(Box::pin(chain)).await;
    let [(
        Err(TryEachError::Failed {
            error,
            index: 2,
            name: "c",
        }),
        _,
    )] = &out[..]
    else {
        panic!("one error, the last item's: {out:?}");
    };
    assert_eq!(
        listed(error),
        [
            ("a", 0, Error::Refused("a")),
            ("a", 0, Error::Refused("a")),
            ("b", 1, Error::Cut("b cut")),
            ("b", 1, Error::Cut("b cut")),
            ("c", 2, Error::Cut("c cut")),
            ("c", 2, Error::Cut("c cut")),
        ]
    );
    assert_eq!(error.len(), 6, "each item's try and its retry");
    // Each item counted once, and none left untried.
    assert_eq!((error.alternatives_failed(), error.alternatives()), (3, 3));
    assert!(!error.stopped_early());
    assert!(error
        .to_string()
        .starts_with("all 3 alternatives failed: [0] a: "));
}

#[tokio::test(start_paused = true)]
async fn all_failed_knows_a_stop_over_a_list_whose_length_is_unknown() {
    // `filter` cannot tell how many items are left: the chain looks at the next one.
    let providers = [
        provider("a", &[Fail(1, "a cut")]),
        provider("b", &[Item(1, "b1")]),
    ];
    let chain = try_each(providers.iter().filter(|_| true), open)
        .name(|provider: &&Provider| provider.name)
        .on(|_: &Error| false)
        .all_failed()
        .stream();
    let out = collect(Box::pin(chain)).await;
    let [(
        Err(TryEachError::Failed {
            error,
            index: 0,
            name: "a",
        }),
        _,
    )] = &out[..]
    else {
        panic!("the filter stops the chain at a: {out:?}");
    };
    assert_eq!(error.alternatives(), 2);
    assert!(error.stopped_early(), "{error:?}");
}

#[tokio::test(start_paused = true)]
async fn all_failed_after_the_commit_lists_the_errors_before_it_too() {
    start();
    let providers = [
        provider("a", &[Fail(1, "a cut")]),
        provider("b", &[Item(1, "b1"), Fail(1, "b cut")]),
    ];
    let chain = try_each(&providers, open)
        .name(|provider: &&Provider| provider.name)
        .all_failed()
        .stream();
    let out = collect(Box::pin(chain)).await;
    assert_eq!(out[0], (Ok("b1"), 2));
    let (
        Err(TryEachError::Failed {
            error,
            index: 1,
            name: "b",
        }),
        3,
    ) = &out[1]
    else {
        panic!("the cut ends the stream: {out:?}");
    };
    assert_eq!(
        listed(error),
        [("a", 0, Error::Cut("a cut")), ("b", 1, Error::Cut("b cut"))]
    );
    assert_eq!(out.len(), 2);
    assert!(!error.stopped_early(), "both items ran: {error:?}");

    // Cut after its first item, the primary ends the chain before the second runs.
    let providers = [
        provider("a", &[Item(1, "a1"), Fail(1, "a cut")]),
        provider("b", &[Item(1, "b1")]),
    ];
    let chain = try_each(&providers, open)
        .name(|provider: &&Provider| provider.name)
        .all_failed()
        .stream();
    let out = collect(Box::pin(chain)).await;
    let (
        Err(TryEachError::Failed {
            error,
            index: 0,
            name: "a",
        }),
        _,
    ) = &out[1]
    else {
        panic!("the cut ends the stream: {out:?}");
    };
    assert_eq!(
        error.to_string(),
        "1 of 2 alternatives failed, the last with an error that stopped the chain: [0] a: cut: a cut"
    );

    // Restarting: the discarded try's error is its marker's; the end lists the rest.
    let providers = [
        provider("a", &[Item(1, "a1"), Fail(1, "a cut")]),
        provider("b", &[Fail(1, "b cut")]),
    ];
    let chain = try_each(&providers, open)
        .name(|provider: &&Provider| provider.name)
        .all_failed()
        .stream_restart();
    let out = collect(Box::pin(chain)).await;
    assert!(matches!(out[0], (Ok(Streamed::Item("a1")), _)), "{out:?}");
    let (
        Ok(Streamed::Discard {
            error: TryEachError::Failed { error: marker, .. },
            ..
        }),
        _,
    ) = &out[1]
    else {
        panic!("a discard marker: {out:?}");
    };
    assert_eq!(listed(marker), [("a", 0, Error::Cut("a cut"))]);
    assert_eq!(
        marker.alternatives(),
        2,
        "the marker knows the list: {marker:?}"
    );
    assert!(!marker.stopped_early(), "the chain goes on: {marker:?}");
    assert_eq!(
        marker.to_string(),
        "alternative 0 failed after its first item; the stream restarts on the next: [0] a: cut: a cut"
    );
    let (
        Err(TryEachError::Failed {
            error: last,
            index: 1,
            name: "b",
        }),
        _,
    ) = &out[2]
    else {
        panic!("the end: {out:?}");
    };
    assert_eq!(listed(last), [("b", 1, Error::Cut("b cut"))]);
    // Both items failed, one of them announced by the marker: nothing stopped early.
    assert_eq!((last.alternatives_failed(), last.alternatives()), (2, 2));
    assert!(!last.stopped_early());
    assert_eq!(
        last.to_string(),
        "all 2 alternatives failed (1 announced by a discard marker): [1] b: cut: b cut"
    );
}
