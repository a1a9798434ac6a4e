//! Hedging against a heavy-tail service, in virtual time (tokio's paused clock), the
//! shape of "The Tail at Scale" (Dean and Barroso, 2013): most answers come in about
//! 10 ms, 1.5% take about a second. Without hedging, the slow 1.5% set the p99; with
//! `hedge = ..`, a second replica is asked when the first is slower than the delay.
//!
//! `cargo bench --bench hedging --features tokio` prints p50, p99, p999 and the extra
//! calls for 100,000 requests, without hedging and with hedging at several delays.

use std::cell::Cell;
use std::time::Duration;

use fallbacks::fallback;
use tokio::time::{sleep, Instant};

#[derive(Debug)]
struct Error;

/// The service's latencies, drawn from a seeded generator so every run is the same.
struct Service {
    state: Cell<u64>,
    calls: Cell<u64>,
}

impl Service {
    fn new(seed: u64) -> Service {
        Service {
            state: Cell::new(seed | 1),
            calls: Cell::new(0),
        }
    }

    /// Uniform in `0..1` (xorshift64*).
    fn unit(&self) -> f64 {
        let mut x = self.state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state.set(x);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// 98.5%: 8 to 12 ms; 1.5%: 800 to 1200 ms.
    fn latency(&self) -> Duration {
        let spread = self.unit();
        if self.unit() < 0.015 {
            Duration::from_micros((800_000.0 + 400_000.0 * spread) as u64)
        } else {
            Duration::from_micros((8_000.0 + 4_000.0 * spread) as u64)
        }
    }
}

/// One replica of the service: it always answers, after its latency.
async fn replica(service: &Service) -> Result<u32, Error> {
    service.calls.set(service.calls.get() + 1);
    sleep(service.latency()).await;
    Ok(1)
}

#[fallback(primary = replica, then = [replica])]
async fn unhedged(service: &Service) -> Result<u32, Error>;

#[fallback(primary = replica, then = [replica], hedge = "15ms")]
async fn hedged_15ms(service: &Service) -> Result<u32, Error>;

#[fallback(primary = replica, then = [replica], hedge = "20ms")]
async fn hedged_20ms(service: &Service) -> Result<u32, Error>;

#[fallback(primary = replica, then = [replica], hedge = "50ms")]
async fn hedged_50ms(service: &Service) -> Result<u32, Error>;

#[fallback(primary = replica, then = [replica], hedge = "200ms")]
async fn hedged_200ms(service: &Service) -> Result<u32, Error>;

const REQUESTS: usize = 100_000;

/// Latencies of `REQUESTS` sequential calls of `$chain`, in virtual time (sorted), and
/// the calls made to the service.
macro_rules! measure {
    ($chain:ident) => {{
        let service = Service::new(2013);
        let mut latencies = Vec::with_capacity(REQUESTS);
        for _ in 0..REQUESTS {
            let started = Instant::now();
            $chain(&service).await.expect("a replica always answers");
            latencies.push(started.elapsed());
        }
        latencies.sort();
        (latencies, service.calls.get())
    }};
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1);
    sorted[index].as_secs_f64() * 1000.0
}

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        println!(
            "{:<14} {:>9} {:>9} {:>9} {:>12}",
            "", "p50 ms", "p99 ms", "p999 ms", "extra calls"
        );
        let runs = [
            ("no hedging", measure!(unhedged)),
            ("hedge 15ms", measure!(hedged_15ms)),
            ("hedge 20ms", measure!(hedged_20ms)),
            ("hedge 50ms", measure!(hedged_50ms)),
            ("hedge 200ms", measure!(hedged_200ms)),
        ];
        let base_p99 = percentile(&runs[0].1 .0, 0.99);
        for (name, (latencies, calls)) in &runs {
            let extra = (*calls as f64 / REQUESTS as f64 - 1.0) * 100.0;
            let p99 = percentile(latencies, 0.99);
            println!(
                "{name:<14} {:>9.1} {p99:>9.1} {:>9.1} {extra:>11.2}%   p99 / {:.1}",
                percentile(latencies, 0.50),
                percentile(latencies, 0.999),
                base_p99 / p99,
            );
        }
        println!(
            "({REQUESTS} requests each; virtual time, so the numbers are exact and repeatable)"
        );
    });
}
