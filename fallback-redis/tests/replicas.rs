//! Replicas sharing a provider's health through a real Redis: each test starts its own
//! `redis-server` on a free loopback port (the Debian package; `.ci/run` installs it),
//! and "replicas" are `SharedHealth`s in this process, each with its own local state.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fallback_redis::{Options, Shareable, Shared, SharedHealth, SharedListHealth};
use fallbacks::try_each;

/// Every wait of a test is bounded.
const BOUND: Duration = Duration::from_secs(5);

const FAST: Options = Options {
    interval: Duration::from_millis(20),
    // Generous: a sync that a loaded machine delays stays within the bound.
    timeout: Duration::from_millis(500),
    recovery_intervals: 5,
};

/// A `redis-server` of the test's own, killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    async fn start() -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs (apt-get install redis-server; .ci/run installs it)");
        let server = Server {
            child,
            url: format!("redis://127.0.0.1:{port}/"),
        };
        let started = Instant::now();
        while server.keys("*").await.is_err() {
            assert!(
                started.elapsed() < BOUND,
                "redis-server answers within {BOUND:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        server
    }

    async fn keys(&self, pattern: &str) -> redis::RedisResult<Vec<String>> {
        let client = redis::Client::open(self.url.as_str())?;
        let mut connection = client.get_multiplexed_async_connection().await?;
        redis::cmd("KEYS")
            .arg(pattern)
            .query_async(&mut connection)
            .await
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A provider that fails while `down`, counting its calls.
struct Provider {
    name: &'static str,
    down: std::sync::atomic::AtomicBool,
    calls: AtomicUsize,
}

impl Provider {
    const fn new(name: &'static str, down: bool) -> Self {
        Provider {
            name,
            down: std::sync::atomic::AtomicBool::new(down),
            calls: AtomicUsize::new(0),
        }
    }

    async fn call(&self) -> Result<&'static str, &'static str> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            Err(self.name)
        } else {
            Ok(self.name)
        }
    }
}

/// One call through a replica's chain: the primary, then the backup; a failure trips
/// the primary at once, for `cooldown`.
async fn call<H>(
    replica: &[Provider],
    health: &Shared<H>,
    cooldown: Duration,
) -> Result<&'static str, String>
where
    H: Shareable,
    for<'h> &'h H: fallbacks::Breakers,
{
    let served = tokio::time::timeout(
        BOUND,
        try_each(replica, |provider: &Provider| provider.call())
            .cooldown(cooldown, health.health())
            .trip_after(1),
    )
    .await
    .expect("a call never waits on Redis");
    served
        .map(|served| served.into_value())
        .map_err(|error| format!("{error:?}"))
}

/// Waits until `done`, within `BOUND`; how long it took.
async fn until(mut done: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < BOUND, "within {BOUND:?}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    started.elapsed()
}

fn namespace(test: &str) -> String {
    format!("fallback-redis-test:{test}:{}", std::process::id())
}

#[tokio::test]
async fn a_trip_seen_by_one_replica_is_every_replicas_and_so_is_the_recovery() {
    let server = Server::start().await;
    let ns = namespace("share");
    let a = SharedHealth::<2>::with_options(&server.url, &ns, FAST).unwrap();
    let b = SharedHealth::<2>::with_options(&server.url, &ns, FAST).unwrap();
    let bound = a.staleness_bound();
    // Each replica has its own providers (its own clients of the same upstream).
    let at_a = [
        Provider::new("primary", true),
        Provider::new("backup", false),
    ];
    let at_b = [
        Provider::new("primary", false),
        Provider::new("backup", false),
    ];
    let cooldown = Duration::from_millis(600);

    // A's primary fails once: tripped at A.
    assert_eq!(call(&at_a, &a, cooldown).await, Ok("backup"));
    assert!(a.health().is_cooling(0));
    let stale = until(|| b.health().is_cooling(0)).await;
    println!("trip seen by the other replica after {stale:?} (bound {bound:?})");
    assert!(
        stale <= bound,
        "within the staleness bound: {stale:?} > {bound:?}"
    );

    // B skips its primary without paying a failure of its own.
    assert_eq!(call(&at_b, &b, cooldown).await, Ok("backup"));
    assert_eq!(
        at_b[0].calls.load(Ordering::SeqCst),
        0,
        "B skipped the tripped primary"
    );
    assert_eq!(b.health().failures(0), 0);

    // The upstream recovers; once A's cooldown is over, A's probe serves and closes it.
    at_a[0].down.store(false, Ordering::SeqCst);
    until(|| a.health().cooling_left(0) == Some(Duration::ZERO)).await;
    assert_eq!(call(&at_a, &a, cooldown).await, Ok("primary"));
    assert_eq!(a.health().cooling_left(0), None, "closed at A");
    let stale = until(|| b.health().cooling_left(0).is_none()).await;
    println!("recovery seen by the other replica after {stale:?} (bound {bound:?})");
    assert!(
        stale <= bound,
        "within the staleness bound: {stale:?} > {bound:?}"
    );
    assert_eq!(call(&at_b, &b, cooldown).await, Ok("primary"));

    // The recovery's announcement expires: nothing is left behind.
    let pattern = format!("{ns}:*");
    let started = Instant::now();
    loop {
        let keys = server.keys(&pattern).await.unwrap();
        if keys.is_empty() {
            break;
        }
        assert!(started.elapsed() < BOUND, "keys left behind: {keys:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A list from configuration, its length known at run time: a trip of its third item
/// (past what a `Health<2>` tracks) at one replica is every replica's.
#[tokio::test]
async fn a_list_health_shares_every_position_of_a_run_time_list() {
    let server = Server::start().await;
    let ns = namespace("list");
    let configured = |down: bool| -> Vec<Provider> {
        vec![
            Provider::new("first", true),
            Provider::new("second", true),
            Provider::new("third", down),
            Provider::new("fourth", false),
        ]
    };
    let (at_a, at_b) = (configured(true), configured(false));
    let a = SharedListHealth::with_options(&server.url, &ns, at_a.len(), FAST).unwrap();
    let b = SharedListHealth::with_options(&server.url, &ns, at_b.len(), FAST).unwrap();
    assert_eq!((a.health().len(), b.health().len()), (4, 4));
    let cooldown = Duration::from_secs(10);
    assert_eq!(call(&at_a, &a, cooldown).await, Ok("fourth"));
    assert!((0..3).all(|index| a.health().is_cooling(index)));
    until(|| (0..3).all(|index| b.health().is_cooling(index))).await;
    // B skips all three without a failure of its own, the third too.
    assert_eq!(call(&at_b, &b, cooldown).await, Ok("fourth"));
    let calls: Vec<_> = at_b
        .iter()
        .map(|p| p.calls.load(Ordering::SeqCst))
        .collect();
    assert_eq!(calls, [0, 0, 0, 1]);
    assert!(!b.health().is_cooling(3));
}

#[tokio::test]
async fn with_redis_killed_every_call_works_and_health_is_local() {
    let mut server = Server::start().await;
    let ns = namespace("killed");
    let a = SharedHealth::<2>::with_options(&server.url, &ns, FAST).unwrap();
    let b = SharedHealth::<2>::with_options(&server.url, &ns, FAST).unwrap();
    let at_a = [
        Provider::new("primary", true),
        Provider::new("backup", false),
    ];
    let at_b = [
        Provider::new("primary", false),
        Provider::new("backup", false),
    ];
    let cooldown = Duration::from_secs(10);
    // Both have synced at least once with a live Redis.
    tokio::time::sleep(a.staleness_bound()).await;

    server.kill();
    for _ in 0..20 {
        assert_eq!(call(&at_a, &a, cooldown).await, Ok("backup"));
        assert_eq!(call(&at_b, &b, cooldown).await, Ok("primary"));
    }
    assert_eq!(
        at_a[0].calls.load(Ordering::SeqCst),
        1,
        "A's own trip holds locally"
    );
    // B cannot learn of A's trip without Redis: its health is its own.
    tokio::time::sleep(a.staleness_bound() * 3).await;
    assert!(!b.health().is_cooling(0));
    assert_eq!(call(&at_b, &b, cooldown).await, Ok("primary"));
}

#[tokio::test]
async fn a_redis_that_never_answers_never_holds_a_call() {
    // Accepts connections and never answers: a call that waited on it would hang.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("redis://{}/", listener.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let a = SharedHealth::<2>::with_options(&url, &namespace("silent"), FAST).unwrap();
    let at_a = [
        Provider::new("primary", true),
        Provider::new("backup", false),
    ];
    for _ in 0..10 {
        // Bounded: `call` fails the test if a call is held.
        assert_eq!(call(&at_a, &a, Duration::from_secs(10)).await, Ok("backup"));
        tokio::time::sleep(FAST.interval).await;
    }
    assert_eq!(
        at_a[0].calls.load(Ordering::SeqCst),
        1,
        "the local trip holds"
    );
    held.abort();
}
