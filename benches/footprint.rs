//! Heap allocations per call and future size of each version of the chain, per path:
//! `cargo bench --bench footprint`. (The tests assert the macros' numbers; this prints
//! them side by side with the twins and the boxed chain, for the README table.)

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{
    flat_twin, generated, hand_written, inline, inline_twin, run_time_list, run_time_list_twin,
    runner, BoxedChain, PROMPT, SCENARIOS,
};

/// The system allocator, counting allocations (this binary is single-threaded).
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from `System.alloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    let boxed = BoxedChain::new();
    let script = &SCENARIOS[0].1;
    let sizes = [
        ("generated", size_of_val(&generated(PROMPT, script))),
        ("hand_written", size_of_val(&hand_written(PROMPT, script))),
        ("flat_twin", size_of_val(&flat_twin(PROMPT, script))),
        ("inline", size_of_val(&inline(PROMPT, script))),
        ("inline_twin", size_of_val(&inline_twin(PROMPT, script))),
        ("try_each", size_of_val(&run_time_list(PROMPT, script))),
        (
            "try_each_twin",
            size_of_val(&run_time_list_twin(PROMPT, script)),
        ),
        ("boxed", size_of_val(&boxed.call(PROMPT, script))),
    ];
    println!(
        "{:<14} {:>12} {:>9} {:>13} {:>9}",
        "version", "future bytes", "success", "one_fallback", "all_fail"
    );
    // The versions without a time option (the timed ones need a runtime's timers: their
    // sizes are asserted in `tests/zero_cost.rs`).
    for (version, size) in sizes {
        let run = runner(version);
        let counts: Vec<usize> = SCENARIOS
            .iter()
            .map(|(_, script)| {
                let before = ALLOCATIONS.load(Ordering::Relaxed);
                let _ = black_box(run(&boxed, black_box(script)));
                ALLOCATIONS.load(Ordering::Relaxed) - before
            })
            .collect();
        println!(
            "{version:<14} {size:>12} {:>9} {:>13} {:>9}",
            counts[0], counts[1], counts[2]
        );
    }
    println!("(heap allocations per call; the boxed chain's future also owns boxed futures)");
}
