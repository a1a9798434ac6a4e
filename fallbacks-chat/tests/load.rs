//! The load test: thousands of concurrent calls through one client to providers on
//! loopback that misbehave at random. Every call ends with the complete answer or a
//! clean error, none hangs, no cut answer passes for a success, the requests add up, and
//! nothing is left behind: no task on the client's runtime, no open connection.

use std::time::{Duration, Instant};

use fallbacks_chat::demo::{ANSWER, LIMITS};
use fallbacks_chat::{Chat, Fault, FaultServer, Provider};
use futures::StreamExt;

const CALLS: usize = 2_000;
const CONCURRENCY: usize = 200;
/// Bounds every call, and the wait for what is left behind.
const BOUND: Duration = Duration::from_secs(30);

/// The faults, each as often as the count says: a shuffled cycle per provider.
const MIX: &[(Fault, usize)] = &[
    (Fault::None, 12),
    (Fault::Status(500), 2),
    (Fault::Status(503), 2),
    (Fault::RateLimited(None), 2),
    (Fault::Reset, 1),
    (Fault::CutAfter(2), 2),
    (Fault::MalformedAfter(1), 1),
    (Fault::StallAfter(1), 1),
    (Fault::Silent, 1),
    (Fault::SlowFirstToken(Duration::from_secs(1)), 1),
];

/// A deterministic shuffle (xorshift), different per provider.
fn shuffled(seed: u64) -> Vec<Fault> {
    let mut faults: Vec<Fault> = MIX
        .iter()
        .flat_map(|&(fault, count)| std::iter::repeat_n(fault, count))
        .collect();
    let mut state = seed;
    for i in (1..faults.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        faults.swap(i, (state % (i as u64 + 1)) as usize);
    }
    faults
}

/// The client's connections to `ports` that are still open on its side: established,
/// or closed by the server and not yet by the client (`/proc/net/tcp`, states 01, 08).
fn open_client_connections(ports: &[u16]) -> usize {
    let tables: Vec<String> = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .collect();
    assert!(
        !tables.is_empty(),
        "the connections are read from /proc/net/tcp (Linux)"
    );
    tables
        .iter()
        .flat_map(|table| {
            table
                .lines()
                .skip(1)
                .filter(|line| {
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    let remote_port = fields
                        .get(2)
                        .and_then(|remote| remote.rsplit(':').next())
                        .and_then(|port| u16::from_str_radix(port, 16).ok());
                    let state = fields.get(3).copied();
                    remote_port.is_some_and(|port| ports.contains(&port))
                        && matches!(state, Some("01") | Some("08"))
                })
                .map(|_| ())
                .collect::<Vec<_>>()
        })
        .count()
}

fn port(server: &FaultServer) -> u16 {
    let url = server.base_url();
    let port = url
        .trim_end_matches("/v1")
        .rsplit(':')
        .next()
        .expect("a port");
    port.parse().expect("a port number")
}

#[test]
fn thousands_of_calls_through_misbehaving_providers_end_cleanly() {
    // The providers run on a runtime of their own, so the client's runtime holds only
    // the client's tasks.
    let providers_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let servers: Vec<FaultServer> = providers_rt.block_on(async {
        let mut servers = Vec::new();
        for seed in [
            0x9E37_79B9_7F4A_7C15,
            0xD1B5_4A32_D192_ED03,
            0x8CB9_2BA7_2F3D_8DD7,
        ] {
            servers.push(
                FaultServer::cycling(&shuffled(seed), ANSWER)
                    .await
                    .expect("bind"),
            );
        }
        servers
    });
    let ports: Vec<u16> = servers.iter().map(port).collect();

    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    assert_eq!(client_rt.metrics().num_alive_tasks(), 0);
    let connections_before = open_client_connections(&ports);
    assert_eq!(connections_before, 0, "no connection before the calls");
    let started = Instant::now();
    let (complete, errors, tries) = client_rt.block_on(async {
        let http = reqwest::Client::new();
        let names = ["one", "two", "three"];
        let chat = Chat::new(
            servers
                .iter()
                .zip(names)
                .map(|(server, name)| Provider::new(http.clone(), server.base_url(), name))
                .collect(),
            LIMITS,
        );
        let whole = ANSWER.concat();
        let mut complete = 0;
        let mut errors = 0;
        let mut tries = [0usize; 3];
        let mut calls = futures::stream::iter(0..CALLS)
            .map(|_| async { tokio::time::timeout(BOUND, chat.complete("Hi")).await })
            .buffer_unordered(CONCURRENCY);
        while let Some(report) = calls.next().await {
            let report = report.expect("no call hangs");
            match &report.answer {
                Ok(text) => {
                    assert_eq!(text, &whole, "a success is the whole answer");
                    assert!(report.served_by.is_some());
                    complete += 1;
                }
                Err(_) => {
                    assert_eq!(report.served_by, None);
                    errors += 1;
                }
            }
            for t in &report.tries {
                if t.failure.as_deref() != Some("skipped: cooling down") {
                    tries[t.index] += 1;
                }
            }
        }
        drop(calls);
        drop(chat);
        drop(http);
        (complete, errors, tries)
    });
    let elapsed = started.elapsed();

    assert_eq!(complete + errors, CALLS, "every call ended");
    assert!(
        complete > CALLS / 2,
        "most calls are served: {complete} of {CALLS}"
    );
    let requests: Vec<usize> = servers.iter().map(FaultServer::requests).collect();
    assert_eq!(
        requests, tries,
        "each try the client made reached its provider"
    );

    // Nothing left behind on the client's side.
    let deadline = Instant::now() + BOUND;
    while (client_rt.metrics().num_alive_tasks() > 0 || open_client_connections(&ports) > 0)
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        client_rt.metrics().num_alive_tasks(),
        0,
        "client tasks left"
    );
    assert_eq!(
        open_client_connections(&ports),
        0,
        "client connections left"
    );
    println!(
        "load: {CALLS} calls, {CONCURRENCY} at once, {complete} complete, {errors} clean \
         errors, requests {requests:?}, {:.1} s; client connections {connections_before} \
         before, {} after; client tasks {} after",
        elapsed.as_secs_f64(),
        open_client_connections(&ports),
        client_rt.metrics().num_alive_tasks(),
    );
    drop(servers);
    providers_rt.shutdown_background();
}
