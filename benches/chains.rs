//! Time per call of each version of the chain, side by side in one run (criterion).
//!
//! `cargo bench --bench chains`. The twins are the hand-written code each macro stands
//! for; `boxed` is the runtime peers' shape. See `common/mod.rs` for what each does.
//! With `--features stream`, also items per second through a stream chain (whose first
//! alternative fails to open) against polling the raw stream.

mod common;

use std::hint::black_box;

use common::{expected, runner, BoxedChain, SCENARIOS, VERSIONS};
use criterion::{criterion_group, criterion_main, Criterion};

fn chains(c: &mut Criterion) {
    // The timed versions' timers register with a runtime (no timer ever fires); without
    // the `tokio` feature they are left out.
    #[cfg(feature = "tokio")]
    let runtime = common::timers();
    #[cfg(feature = "tokio")]
    let _entered = runtime.enter();
    let boxed = BoxedChain::new();
    let versions = VERSIONS
        .iter()
        .copied()
        .filter(|version| cfg!(feature = "tokio") || !version.starts_with("timed"));
    for (scenario, script) in SCENARIOS {
        let mut group = c.benchmark_group(scenario);
        for version in versions.clone() {
            let run = runner(version);
            assert_eq!(
                run(&boxed, &script),
                expected(&script),
                "{version} on {scenario}"
            );
            group.bench_function(version, |b| b.iter(|| run(&boxed, black_box(&script))));
        }
        group.finish();
    }
}

/// A stream of 1000 items read raw, and through a stream chain: the per-item cost, for
/// a reader that hands each whole item on and one that uses its value.
#[cfg(feature = "stream")]
fn streams(c: &mut Criterion) {
    use common::streams::{consume, Reader, KINDS};
    const ITEMS: u64 = 1000;
    let mut group = c.benchmark_group("stream of 1000 items");
    group.throughput(criterion::Throughput::Elements(ITEMS));
    for (reader, named) in [(Reader::Whole, "items"), (Reader::Values, "values")] {
        for kind in KINDS {
            assert_eq!(consume(kind, ITEMS, reader), ITEMS, "{kind}");
            group.bench_function(format!("{kind}, {named}"), |b| {
                b.iter(|| consume(kind, black_box(ITEMS), reader))
            });
        }
    }
    group.finish();
}

#[cfg(not(feature = "stream"))]
fn streams(_: &mut Criterion) {}

criterion_group!(benches, chains, streams);
criterion_main!(benches);
