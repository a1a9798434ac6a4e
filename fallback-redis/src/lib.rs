//! Cooldowns that a fleet of replicas agrees on: a [`Health`] (or, for a list from
//! configuration, a [`ListHealth`]) that each process keeps as before (lock-free, in
//! memory, read by every call), shared through Redis by a background task:
//! [`SharedHealth`], [`SharedListHealth`].
//!
//! A service that runs many replicas learns, in each one on its own, that a provider is
//! down: every replica pays `trip_after` failures, then probes on its own. With a
//! [`SharedHealth`], a trip one replica sees is every replica's within the
//! [staleness bound](SharedHealth::staleness_bound), and so is a recovery.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use fallback_redis::SharedHealth;
//! use fallbacks::try_each;
//!
//! # async fn call(provider: &&str) -> Result<String, std::io::Error> { Ok(String::new()) }
//! # #[tokio::main]
//! # async fn main() -> Result<(), redis::RedisError> {
//! // One per replica, made once; its task runs while it lives.
//! let health: SharedHealth<2> = SharedHealth::connect("redis://127.0.0.1/", "llm-providers")?;
//!
//! let providers = ["openai", "anthropic"];
//! let answer = try_each(&providers, call)
//!     .cooldown(Duration::from_secs(30), health.health())
//!     .trip_after(3)
//!     .await;
//! # Ok(())
//! # }
//! ```
//!
//! # What it guarantees, and what it does not
//!
//! - **A call never waits on Redis.** The chain reads and writes the local [`Health`]
//!   only, exactly as with an in-process one (it is one): the code of the chain is the
//!   same, and so are its instructions. The task syncs every
//!   [`interval`](Options::interval), off the call path.
//! - **Staleness.** A trip or a recovery seen by one replica reaches the others within
//!   [`SharedHealth::staleness_bound`]: two intervals (the publisher's and the reader's)
//!   and one Redis round trip, as long as Redis answers.
//! - **Redis down or slow** degrades each replica to its own health, with one `WARN`
//!   (`tracing`, target `fallback_redis`) when the sync starts failing and one `INFO` when
//!   it works again; a call is never failed or slowed by it.
//! - **Advice, not a lock.** Two replicas may both probe a provider whose cooldown ended;
//!   two that disagree at the same instant settle on the last write. A trip lasts as long
//!   as the replica that saw it said (the key expires with the cooldown), so nothing
//!   stays behind in Redis: a recovery is announced for a few intervals, then expires.
//!
//! # In Redis
//!
//! One key per tracked alternative, `{namespace}:{index}`: `open` while it cools down
//! (with the cooldown's time left as its expiry), `closed` for a few intervals after a
//! recovery. Give each chain its own namespace.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

pub use fallback_core::{Health, ListHealth};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::task::JoinHandle;

/// How often a [`SharedHealth`] or a [`SharedListHealth`] syncs, and how long its
/// announcements last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Between two syncs (default 100 ms).
    pub interval: Duration,
    /// How long a sync may take before it is given up (default 250 ms).
    pub timeout: Duration,
    /// How many intervals a recovery is announced for (default 5).
    pub recovery_intervals: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            interval: Duration::from_millis(100),
            timeout: Duration::from_millis(250),
            recovery_intervals: 5,
        }
    }
}

/// A [`Health`] of `N` alternatives that replicas share through Redis: pass
/// [`health`](Shared::health) where a chain takes one. Dropping it stops its task; the
/// local health stays usable through clones of [`Shared::local`].
pub type SharedHealth<const N: usize> = Shared<Health<N>>;

/// A [`ListHealth`] (a `try_each` list from configuration, as long as the list) that
/// replicas share through Redis: `SharedListHealth::connect(url, namespace, len)`.
pub type SharedListHealth = Shared<ListHealth>;

/// A health that replicas share through Redis, a [`SharedHealth<N>`] or a
/// [`SharedListHealth`]: the chain reads and writes its local health
/// ([`health`](Shared::health)) as ever, and a background task syncs it. Dropping it
/// stops the task; the local health stays usable through clones of
/// [`local`](Shared::local).
#[derive(Debug)]
pub struct Shared<H> {
    local: Arc<H>,
    options: Options,
    task: JoinHandle<()>,
}

impl<const N: usize> Shared<Health<N>> {
    /// Shares a new health under `namespace` in the Redis at `url`
    /// (`redis://host:port/`), with the default [`Options`]. Connects lazily: Redis
    /// being down now only means local health until it is up.
    ///
    /// # Errors
    ///
    /// When `url` is not a Redis URL.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime (the sync runs in a task of the current one).
    pub fn connect(url: &str, namespace: &str) -> Result<Self, redis::RedisError> {
        Self::with_options(url, namespace, Options::default())
    }

    /// As [`SharedHealth::connect`], with `options`.
    ///
    /// # Errors
    ///
    /// When `url` is not a Redis URL.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn with_options(
        url: &str,
        namespace: &str,
        options: Options,
    ) -> Result<Self, redis::RedisError> {
        Shared::share(Health::new(), url, namespace, options)
    }
}

impl Shared<ListHealth> {
    /// Shares a new health of `len` positions (the list's length) under `namespace` in
    /// the Redis at `url`, with the default [`Options`]. Its trips belong to positions,
    /// so the replicas of a namespace must list the same providers in the same order:
    /// give each version of the list a namespace of its own (with a hash of the
    /// providers' names in it), or a replica not yet reloaded, or a trip left in Redis,
    /// skips the wrong provider.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # use fallback_redis::SharedListHealth;
    /// # use fallbacks::try_each;
    /// # async fn call(provider: &String) -> Result<String, std::io::Error> { Ok(String::new()) }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), redis::RedisError> {
    /// let providers: Vec<String> = vec!["openai".into(), "anthropic".into(), "local".into()];
    /// let health = SharedListHealth::connect("redis://127.0.0.1/", "llm-providers", providers.len())?;
    /// let answer = try_each(&providers, call)
    ///     .cooldown(Duration::from_secs(30), health.health())
    ///     .await;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// When `url` is not a Redis URL.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime (the sync runs in a task of the current one).
    pub fn connect(url: &str, namespace: &str, len: usize) -> Result<Self, redis::RedisError> {
        Self::with_options(url, namespace, len, Options::default())
    }

    /// As `SharedListHealth::connect`, with `options`.
    ///
    /// # Errors
    ///
    /// When `url` is not a Redis URL.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn with_options(
        url: &str,
        namespace: &str,
        len: usize,
        options: Options,
    ) -> Result<Self, redis::RedisError> {
        Shared::share(ListHealth::new(len), url, namespace, options)
    }
}

impl<H: Shareable> Shared<H> {
    /// Shares `local` under `namespace` in the Redis at `url`: its task starts now.
    fn share(
        local: H,
        url: &str,
        namespace: &str,
        options: Options,
    ) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.timeout))
            .set_response_timeout(Some(options.timeout))
            .set_number_of_retries(1);
        let connection = client.get_connection_manager_lazy(config)?;
        let local = Arc::new(local);
        let positions = local.positions();
        let sync = SyncTask {
            local: Arc::clone(&local),
            connection,
            keys: (0..positions)
                .map(|index| format!("{namespace}:{index}"))
                .collect(),
            tripped: vec![false; positions],
            now: Vec::with_capacity(positions),
            options,
            failing: false,
        };
        let task = tokio::spawn(sync.run());
        Ok(Shared {
            local,
            options,
            task,
        })
    }

    /// The health the chain reads: `.cooldown(d, shared.health())`, `health = ..`.
    pub fn health(&self) -> &H {
        &self.local
    }

    /// The same, to keep beyond this value.
    pub fn local(&self) -> Arc<H> {
        Arc::clone(&self.local)
    }

    /// How stale this replica's view of another's trip or recovery can be, while Redis
    /// answers: two sync intervals and a sync's time limit.
    pub fn staleness_bound(&self) -> Duration {
        self.options.interval * 2 + self.options.timeout
    }
}

impl<H> Drop for Shared<H> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A health whose positions replicas can share: [`Health<N>`] and [`ListHealth`].
pub trait Shareable: Send + Sync + 'static + sealed::Sealed {
    /// How many positions it tracks.
    fn positions(&self) -> usize;
    /// See [`Health::cooling_left`].
    fn cooling_left(&self, index: usize) -> Option<Duration>;
    /// See [`Health::trip_for`].
    fn trip_for(&self, index: usize, cooldown: Duration);
    /// See [`Health::recover`].
    fn recover(&self, index: usize);
}

mod sealed {
    pub trait Sealed {}
    impl<const N: usize> Sealed for super::Health<N> {}
    impl Sealed for super::ListHealth {}
}

impl<const N: usize> Shareable for Health<N> {
    fn positions(&self) -> usize {
        N
    }
    fn cooling_left(&self, index: usize) -> Option<Duration> {
        Health::cooling_left(self, index)
    }
    fn trip_for(&self, index: usize, cooldown: Duration) {
        Health::trip_for(self, index, cooldown);
    }
    fn recover(&self, index: usize) {
        Health::recover(self, index);
    }
}

impl Shareable for ListHealth {
    fn positions(&self) -> usize {
        self.len()
    }
    fn cooling_left(&self, index: usize) -> Option<Duration> {
        ListHealth::cooling_left(self, index)
    }
    fn trip_for(&self, index: usize, cooldown: Duration) {
        ListHealth::trip_for(self, index, cooldown);
    }
    fn recover(&self, index: usize) {
        ListHealth::recover(self, index);
    }
}

/// The background task's state.
struct SyncTask<H> {
    local: Arc<H>,
    connection: ConnectionManager,
    keys: Vec<String>,
    /// Whether each alternative was tripped at the end of the last sync.
    tripped: Vec<bool>,
    /// Each alternative's cooldown left at this sync (kept to reuse its room).
    now: Vec<Option<Duration>>,
    options: Options,
    /// Whether the last sync failed (to warn once per outage).
    failing: bool,
}

/// What Redis says of one alternative.
#[derive(Debug, PartialEq)]
enum Remote {
    /// Cooling down elsewhere, for this long yet.
    Open(Duration),
    /// Recovered elsewhere.
    Closed,
    /// Nothing known.
    Unknown,
}

impl<H: Shareable> SyncTask<H> {
    async fn run(mut self) {
        let mut ticks = tokio::time::interval(self.options.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let synced = tokio::time::timeout(self.options.timeout, self.sync()).await;
            match (synced, self.failing) {
                (Ok(Ok(())), true) => {
                    self.failing = false;
                    tracing::info!(target: "fallback_redis", "Redis answers again: health is shared");
                }
                (Ok(Ok(())), false) => {}
                (failed, false) => {
                    self.failing = true;
                    let why = match failed {
                        Ok(Err(error)) => error.to_string(),
                        _ => format!("no answer within {:?}", self.options.timeout),
                    };
                    tracing::warn!(target: "fallback_redis", error = %why, "Redis fails: health is local until it answers");
                }
                (_, true) => {}
            }
        }
    }

    /// One sync: what changed here since the last one goes to Redis, then what Redis
    /// says comes here.
    async fn sync(&mut self) -> redis::RedisResult<()> {
        self.now.clear();
        let local = &self.local;
        self.now
            .extend((0..self.keys.len()).map(|index| local.cooling_left(index)));
        let recovery = self.options.interval * self.options.recovery_intervals.max(1);
        let mut pipe = redis::pipe();
        for ((key, &here), &was) in self.keys.iter().zip(&self.now).zip(&self.tripped) {
            match (here, was) {
                // Tripped here since the last sync: every replica should skip it.
                (Some(left), false) if !left.is_zero() => {
                    pipe.cmd("SET")
                        .arg(key)
                        .arg("open")
                        .arg("PX")
                        .arg(millis(left))
                        .ignore();
                }
                // Recovered here: announce it for a while.
                (None, true) => {
                    pipe.cmd("SET")
                        .arg(key)
                        .arg("closed")
                        .arg("PX")
                        .arg(millis(recovery))
                        .ignore();
                }
                _ => {}
            }
            pipe.cmd("GET").arg(key).cmd("PTTL").arg(key);
        }
        let answers: Vec<redis::Value> = pipe.query_async(&mut self.connection).await?;
        for (index, &here) in self.now.iter().enumerate() {
            let fresh = here.is_some() && !self.tripped[index];
            let remote = remote(answers.get(2 * index), answers.get(2 * index + 1));
            let tripped = match (remote, here) {
                (Remote::Open(left), None) => {
                    self.local.trip_for(index, left);
                    true
                }
                // A recovery elsewhere closes a trip that is not this sync's own news.
                (Remote::Closed, Some(_)) if !fresh => {
                    self.local.recover(index);
                    false
                }
                (_, here) => here.is_some(),
            };
            self.tripped[index] = tripped;
        }
        Ok(())
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// An alternative's key, from its `GET` and `PTTL`.
fn remote(value: Option<&redis::Value>, ttl: Option<&redis::Value>) -> Remote {
    let value: Option<String> = value
        .and_then(|v| redis::from_redis_value_ref(v).ok())
        .flatten();
    let ttl: Option<i64> = ttl.and_then(|t| redis::from_redis_value_ref(t).ok());
    match (value.as_deref(), ttl) {
        (Some("open"), Some(ms)) if ms > 0 => Remote::Open(Duration::from_millis(ms as u64)),
        (Some("closed"), _) => Remote::Closed,
        _ => Remote::Unknown,
    }
}
