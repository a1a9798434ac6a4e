//! Runs one version of the chain N times, for `scripts/instructions.sh` to count the
//! instructions under callgrind (`instructions VERSION SCENARIO N`). Run by
//! `cargo bench` without arguments, it only says so.

mod common;

use std::hint::black_box;

use common::{expected, runner, BoxedChain, SCENARIOS};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [version, scenario, count] = args.as_slice() else {
        println!("instructions: run `scripts/instructions.sh` (callgrind) to use this binary");
        return;
    };
    #[cfg(feature = "stream")]
    if let Some(kind) = version.strip_prefix("stream_") {
        // One stream of N items: the difference with 0 items is N items' cost.
        let count: u64 = count.parse().expect("N is a number of items");
        let Some(reader) = common::streams::Reader::named(scenario) else {
            eprintln!("unknown stream reader {scenario}: items or values");
            std::process::exit(2);
        };
        assert_eq!(common::streams::consume(kind, count, reader), count);
        return;
    }
    let Some((_, script)) = SCENARIOS.iter().find(|(name, _)| name == scenario) else {
        eprintln!("unknown scenario {scenario}");
        std::process::exit(2);
    };
    let count: u64 = count.parse().expect("N is a number of calls");

    #[cfg(feature = "tokio")]
    let runtime = common::timers();
    #[cfg(feature = "tokio")]
    let _entered = runtime.enter();
    let boxed = BoxedChain::new();
    let run = runner(version);
    assert_eq!(run(&boxed, script), expected(script));
    for _ in 0..count {
        let _ = black_box(run(&boxed, black_box(script)));
    }
}
