//! `fallbacks::tower::FallbackLayer` in a real service: an `axum` router in front of two
//! loopback upstreams (this package's fault-injecting providers), each a `tower` service
//! over the chat client; the router says in a header which upstream served.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use fallbacks::tower::FallbackLayer;
use fallbacks_chat::{ChatError, Fault, FaultServer, Provider};
use tower::{service_fn, Layer, Service, ServiceExt};

/// Every request of the test is bounded: a hang fails it.
const BOUND: Duration = Duration::from_secs(10);

/// A provider as a `tower` service: a prompt in, the whole answer out.
fn upstream(
    provider: Provider,
) -> impl Service<String, Response = String, Error = ChatError, Future: Send> + Clone + Send {
    service_fn(move |prompt: String| {
        let provider = provider.clone();
        async move { provider.ask(&prompt).await.map(|answer| answer.text) }
    })
}

/// The router: `POST /ask` with the prompt as its body; the answer, and who served it
/// in `x-served-by`; a 502 with the reason when every upstream failed.
async fn router(primary: Fault) -> (FaultServer, FaultServer, String) {
    let a = FaultServer::start(primary, &["Hel", "lo"])
        .await
        .expect("bind a");
    let b = FaultServer::start(Fault::None, &["Bon", "jour"])
        .await
        .expect("bind b");
    let http = reqwest::Client::new();
    let chain = FallbackLayer::new()
        .names(&["primary", "backup"])
        .on(ChatError::moves_on)
        .retry_on(ChatError::retries)
        .retries(1)
        .backoff(Duration::from_millis(10))
        .timeout(Duration::from_millis(300))
        .served()
        .layer((
            upstream(Provider::new(http.clone(), a.base_url(), "primary")),
            upstream(Provider::new(http, b.base_url(), "backup")),
        ));
    let app = app(chain);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind");
    let url = format!("http://{}/ask", listener.local_addr().expect("an address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (a, b, url)
}

/// The handler: the prompt through the chain.
async fn ask<S>(State(chain): State<S>, prompt: String) -> Response
where
    S: Service<String, Response = fallbacks::Served<String>, Error = ChatError>,
{
    match chain.oneshot(prompt).await {
        Ok(served) => {
            ([("x-served-by", served.alternative())], served.into_value()).into_response()
        }
        Err(error) => (StatusCode::BAD_GATEWAY, error.to_string()).into_response(),
    }
}

fn app<S>(chain: S) -> Router
where
    S: Service<String, Response = fallbacks::Served<String>, Error = ChatError>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send,
{
    Router::new()
        .route("/ask", post(ask::<S>))
        .with_state(chain)
}

async fn post_prompt(url: &str) -> (u16, Option<String>, String) {
    let response = tokio::time::timeout(BOUND, reqwest::Client::new().post(url).body("Hi").send())
        .await
        .expect("bounded")
        .expect("an answer");
    let status = response.status().as_u16();
    let served_by = response
        .headers()
        .get("x-served-by")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    (status, served_by, response.text().await.expect("a body"))
}

#[tokio::test]
async fn a_healthy_primary_serves_and_the_backup_is_never_asked() {
    let (a, b, url) = router(Fault::None).await;
    let (status, served_by, body) = post_prompt(&url).await;
    assert_eq!(
        (status, served_by.as_deref(), body.as_str()),
        (200, Some("primary"), "Hello")
    );
    assert_eq!((a.requests(), b.requests()), (1, 0));
}

#[tokio::test]
async fn a_failing_primary_is_retried_once_then_the_backup_serves() {
    let (a, b, url) = router(Fault::Status(503)).await;
    let (status, served_by, body) = post_prompt(&url).await;
    assert_eq!(
        (status, served_by.as_deref(), body.as_str()),
        (200, Some("backup"), "Bonjour")
    );
    assert_eq!((a.requests(), b.requests()), (2, 1), "the 503 retried once");
}

#[tokio::test]
async fn a_silent_primary_times_out_and_a_refused_request_is_not_sent_twice() {
    let (a, b, url) = router(Fault::Silent).await;
    let (status, served_by, _) = post_prompt(&url).await;
    assert_eq!((status, served_by.as_deref()), (200, Some("backup")));
    assert_eq!(
        (a.requests(), b.requests()),
        (1, 1),
        "a timeout is not retried"
    );

    let (a, b, url) = router(Fault::Refused("content_policy_violation")).await;
    let (status, served_by, body) = post_prompt(&url).await;
    assert_eq!((status, served_by), (502, None));
    assert_eq!(body, "400: refused: content_policy_violation");
    assert_eq!(
        (a.requests(), b.requests()),
        (1, 0),
        "a 400 stops: the filter says so"
    );
}
