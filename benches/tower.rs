//! A call through `fallbacks::tower::FallbackLayer` over two services, side by side in
//! one run with the same two services called by hand (the primary, then on its error the
//! backup) and with `tower-resilience-fallback`'s layer (the peer: a boxed future per
//! call, the backup behind an `Arc<Mutex<_>>`). `cargo bench --bench tower --features
//! tower`. The services answer at once, so what is measured is the middleware.

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use criterion::{criterion_group, criterion_main, Criterion};
use fallbacks::tower::FallbackLayer;
use tower::{service_fn, Layer, Service, ServiceExt};

/// Polls `future` to its end on this thread (the services never wait).
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Down;

/// The primary: fails when asked to (`fails`), else doubles.
fn primary(
    fails: bool,
) -> impl Service<u64, Response = u64, Error = Down, Future: Send> + Clone + Send {
    service_fn(move |n: u64| async move {
        if fails {
            Err(Down)
        } else {
            Ok(n * 2)
        }
    })
}

/// The backup: adds one.
fn backup() -> impl Service<u64, Response = u64, Error = Down, Future: Send> + Clone + Send {
    service_fn(|n: u64| async move { Ok(n + 1) })
}

/// The peer's backup has an error type of its own.
fn peer_backup(
) -> impl Service<u64, Response = u64, Error = Infallible, Future: Send> + Clone + Send {
    service_fn(|n: u64| async move { Ok(n + 1) })
}

fn layers(c: &mut Criterion) {
    for (path, fails, expected) in [("success", false, 42), ("one fallback", true, 22)] {
        let mut group = c.benchmark_group(format!("tower: {path}"));

        let (mut first, mut second) = (primary(fails), backup());
        let mut by_hand = move |n: u64| {
            block_on(async {
                match first.ready().await?.call(n).await {
                    Ok(value) => Ok(value),
                    Err(_) => second.ready().await?.call(n).await,
                }
            })
        };
        assert_eq!(by_hand(21), Ok(expected));
        group.bench_function("by hand", |b| b.iter(|| by_hand(black_box(21))));

        let mut ours = FallbackLayer::new().layer((primary(fails), backup()));
        let mut ours = move |n: u64| block_on(async { ours.ready().await?.call(n).await });
        assert_eq!(ours(21), Ok(expected));
        group.bench_function("FallbackLayer", |b| b.iter(|| ours(black_box(21))));

        let mut peer = tower_resilience_fallback::FallbackLayer::<u64, u64, Down>::tower_service(
            peer_backup(),
        )
        .layer(primary(fails));
        let mut peer = move |n: u64| block_on(async { peer.ready().await?.call(n).await });
        assert_eq!(peer(21).ok(), Some(expected));
        group.bench_function("tower-resilience-fallback", |b| {
            b.iter(|| peer(black_box(21)))
        });
        group.finish();
    }
}

criterion_group!(benches, layers);
criterion_main!(benches);
