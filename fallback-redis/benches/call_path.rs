//! A call's cost with a health shared through Redis against an in-process one, on the
//! success path, side by side in one run (criterion). The chain reads the same
//! `Health` either way; the sync runs on another thread of the runtime meanwhile,
//! against a `redis-server` this bench starts on a free port.
//! `cargo bench -p fallback-redis` (needs `redis-server`).

use std::hint::black_box;
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use fallback_redis::{Health, SharedHealth};
use fallbacks::try_each;

async fn serve(provider: &&'static str) -> Result<&'static str, &'static str> {
    Ok(provider)
}

fn call_path(c: &mut Criterion) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let mut server = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server (apt-get install redis-server)");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let shared = runtime.block_on(async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        SharedHealth::<2>::connect(
            &format!("redis://127.0.0.1:{port}/"),
            "fallback-redis-bench",
        )
        .expect("a Redis URL")
    });
    let local: Health<2> = Health::new();
    let providers = ["primary", "backup"];
    let mut group = c.benchmark_group("cooldown, success");
    for (version, health) in [
        ("in-process Health", &local),
        ("SharedHealth (Redis)", shared.health()),
    ] {
        group.bench_function(version, |b| {
            b.iter(|| {
                runtime.block_on(async {
                    try_each(black_box(&providers), serve)
                        .cooldown(Duration::from_secs(30), health)
                        .await
                })
            })
        });
    }
    group.finish();
    drop(shared);
    let _ = server.kill();
    let _ = server.wait();
}

criterion_group!(benches, call_path);
criterion_main!(benches);
