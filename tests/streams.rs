//! Stream chains over a run-time list (`try_each(..).stream()`), in tokio's paused time:
//! which alternatives opened, the exact items yielded, where the stream ended, and the
//! exact times of the first-item and idle timeouts.

#![cfg(all(feature = "tokio", feature = "stream"))]

use std::cell::RefCell;
use std::pin::Pin;
use std::time::Duration;

use fallbacks::{try_each, Elapsed, Streamed, TryEachError};
use futures::stream::{self, Stream, StreamExt};
use tokio::time::{sleep, Instant};

#[derive(Debug, Clone, PartialEq)]
enum Error {
    Refused(&'static str),
    Cut(&'static str),
    Timeout,
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
    let items: Vec<_> = out.into_iter().map(|(item, _)| item.unwrap()).collect();
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
                index: 0
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
                    index: 0
                }),
                52
            )
        ]
    );
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
    let items: Vec<_> = out.into_iter().map(|(item, _)| item.unwrap()).collect();
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
                    index: 0
                }
            },
            Streamed::Item("b1"),
            Streamed::Item("b2"),
        ]
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
            index: 1
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
