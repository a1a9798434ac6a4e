//! Time per call of each version of the chain, side by side in one run (criterion).
//!
//! `cargo bench --bench chains`. The twins are the hand-written code each macro stands
//! for; `boxed` is the runtime peers' shape. See `common/mod.rs` for what each does.

mod common;

use std::hint::black_box;

use common::{expected, runner, BoxedChain, SCENARIOS, VERSIONS};
use criterion::{criterion_group, criterion_main, Criterion};

fn chains(c: &mut Criterion) {
    let boxed = BoxedChain::new();
    for (scenario, script) in SCENARIOS {
        let mut group = c.benchmark_group(scenario);
        for version in VERSIONS {
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

criterion_group!(benches, chains);
criterion_main!(benches);
