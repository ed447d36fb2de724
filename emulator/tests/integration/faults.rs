//! Fault injection over real connections.

use std::time::{Duration, Instant};

use acs_chat_emulator::{Emulator, FaultConfig};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{error_of, Api};

const CREATE: &str = "/identities?api-version=2023-10-01";

async fn set_faults(api: &Api, config: Value) {
    let response = api.admin_post("/admin/faults", &config).await;
    assert_eq!(response.status(), 200, "{config}");
}

async fn clear_faults(api: &Api) {
    let response = api
        .http
        .delete(api.url("/admin/faults"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn throttling_and_unavailability() {
    let emulator = Emulator::start().await.expect("starts");
    let api = Api::new(emulator.endpoint());

    set_faults(&api, json!({"rate429": 1.0, "retryAfterSeconds": 3})).await;
    let response = api.signed(Method::POST, CREATE, None).await.expect("sent");
    assert_eq!(response.status(), 429);
    let headers = response.headers().clone();
    assert_eq!(
        headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("3")
    );
    assert_eq!(
        headers.get("retry-after-ms").and_then(|v| v.to_str().ok()),
        Some("3000")
    );
    assert!(headers.contains_key("ms-cv"));
    assert_eq!(error_of(response).await["code"], "TooManyRequests");
    // Admin routes are never faulted.
    assert_eq!(api.identity_count().await, 0);
    let config = api.admin_get("/admin/faults").await;
    assert_eq!(config["rate429"], 1.0);
    assert_eq!(config["retryAfterSeconds"], 3);

    set_faults(&api, json!({"rate503": 1.0})).await;
    let response = api.signed(Method::POST, CREATE, None).await.expect("sent");
    assert_eq!(response.status(), 503);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    assert_eq!(error_of(response).await["code"], "ServiceUnavailable");

    // Path filter: only /chat is affected, identity calls pass.
    set_faults(&api, json!({"rate503": 1.0, "pathPrefix": "/chat"})).await;
    let response = api.signed(Method::POST, CREATE, None).await.expect("sent");
    assert_eq!(response.status(), 201);

    clear_faults(&api).await;
    let response = api.signed(Method::POST, CREATE, None).await.expect("sent");
    assert_eq!(response.status(), 201);

    // Invalid configurations are refused in the error shape.
    for bad in [
        json!({"rate429": 2}),
        json!({"rate429": 0.7, "rate503": 0.7}),
        json!({"rate_429": 1}),
        json!({"latencyMs": -1}),
        json!([1, 2]),
    ] {
        let response = api.admin_post("/admin/faults", &bad).await;
        assert_eq!(response.status(), 400, "{bad}");
        assert!(error_of(response).await["code"].is_string());
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn latency_is_added() {
    let emulator = Emulator::builder()
        .faults(FaultConfig {
            latency_ms: 300,
            ..FaultConfig::default()
        })
        .start()
        .await
        .expect("starts");
    let api = Api::new(emulator.endpoint());
    let started = Instant::now();
    let response = api.signed(Method::POST, CREATE, None).await.expect("sent");
    assert_eq!(response.status(), 201);
    assert!(started.elapsed() >= Duration::from_millis(300));
    emulator.shutdown().await;
}

#[tokio::test]
async fn seeded_faults_repeat() {
    let emulator = Emulator::start().await.expect("starts");
    let api = Api::new(emulator.endpoint());
    let mut runs = Vec::new();
    for _ in 0..2 {
        set_faults(&api, json!({"rate429": 0.5, "seed": 7})).await;
        let mut statuses = Vec::new();
        for _ in 0..24 {
            let response = api.signed(Method::POST, CREATE, None).await.expect("sent");
            statuses.push(response.status().as_u16());
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(
        runs[0].contains(&429) && runs[0].contains(&201),
        "{:?}",
        runs[0]
    );
    emulator.shutdown().await;
}

/// The client sees a connection error, not a status, within the timeout.
fn assert_connection_error(result: reqwest::Result<reqwest::Response>) {
    match result {
        Ok(response) => panic!("expected a connection error, got {}", response.status()),
        Err(err) => assert!(
            !err.is_timeout(),
            "timed out instead of a dropped connection: {err}"
        ),
    }
}

#[tokio::test]
async fn drop_before_does_not_process() {
    let emulator = Emulator::start().await.expect("starts");
    let api = Api::new(emulator.endpoint());
    set_faults(&api, json!({"dropBeforeRate": 1.0})).await;
    let started = Instant::now();
    for _ in 0..3 {
        assert_connection_error(api.signed(Method::POST, CREATE, None).await);
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(api.identity_count().await, 0, "nothing was processed");
    emulator.shutdown().await;
}

#[tokio::test]
async fn drop_after_processes_then_drops() {
    let emulator = Emulator::start().await.expect("starts");
    let api = Api::new(emulator.endpoint());
    let id = api.create_identity(None).await["identity"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    set_faults(&api, json!({"dropAfterRate": 1.0})).await;
    assert_connection_error(api.signed(Method::POST, CREATE, None).await);
    assert_connection_error(
        api.signed(
            Method::DELETE,
            &format!("/identities/{id}?api-version=2023-10-01"),
            None,
        )
        .await,
    );
    clear_faults(&api).await;

    // The create happened, and so did the delete.
    let identities = api.admin_get("/admin/identities").await;
    let ids: Vec<&str> = identities["identities"]
        .as_array()
        .map(|list| list.iter().filter_map(|u| u["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids.len(), 1);
    assert_ne!(ids[0], id);
    emulator.shutdown().await;
}

#[tokio::test]
async fn truncate_processes_then_cuts_the_body_short() {
    let emulator = Emulator::start().await.expect("starts");
    let api = Api::new(emulator.endpoint());
    set_faults(&api, json!({"truncateRate": 1.0})).await;
    let response = api
        .signed(Method::POST, CREATE, None)
        .await
        .expect("the status and headers arrive");
    assert_eq!(response.status(), 201);
    assert_eq!(
        response
            .headers()
            .get("x-acs-emulator-fault")
            .and_then(|v| v.to_str().ok()),
        Some("truncate")
    );
    let announced = response.content_length().expect("a Content-Length");
    assert!(announced > 0);
    assert!(response.bytes().await.is_err(), "the body stops halfway");
    clear_faults(&api).await;

    // The create happened.
    let identities = api.admin_get("/admin/identities").await;
    assert_eq!(identities["identities"].as_array().map(Vec::len), Some(1));
    emulator.shutdown().await;
}

#[tokio::test]
async fn slow_answers_arrive_late_after_processing() {
    let emulator = Emulator::start().await.expect("starts");
    let api = Api::new(emulator.endpoint());
    set_faults(&api, json!({"slowRate": 1.0, "slowLatencyMs": 400})).await;
    let started = Instant::now();
    let response = api.signed(Method::POST, CREATE, None).await.expect("sent");
    assert_eq!(response.status(), 201);
    assert!(started.elapsed() >= Duration::from_millis(400));
    let refused = api
        .admin_post("/admin/faults", &json!({"slowLatencyMs": 60_001}))
        .await;
    assert_eq!(refused.status(), 400);
    emulator.shutdown().await;
}

#[tokio::test]
async fn drops_work_over_pooled_keep_alive_clients_too() {
    let emulator = Emulator::start().await.expect("starts");
    // A client that keeps connections alive, as SDKs do.
    let pooled = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let api = Api::with_client(emulator.endpoint(), pooled);
    assert_eq!(
        api.signed(Method::POST, CREATE, None)
            .await
            .expect("sent")
            .status(),
        201
    );
    set_faults(
        &api,
        json!({"dropAfterRate": 1.0, "pathPrefix": "/identities"}),
    )
    .await;
    assert_connection_error(api.signed(Method::POST, CREATE, None).await);
    clear_faults(&api).await;
    // The client recovers on a new connection.
    assert_eq!(
        api.signed(Method::POST, CREATE, None)
            .await
            .expect("sent")
            .status(),
        201
    );
    assert_eq!(api.identity_count().await, 3);
    emulator.shutdown().await;
}

#[tokio::test]
async fn drops_work_over_http2_tls() {
    let emulator = Emulator::builder()
        .tls(acs_chat_emulator::TlsConfig::self_signed())
        .start()
        .await
        .expect("starts");
    let ca = std::fs::read(emulator.ca_cert_path().expect("ca")).expect("ca file");
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("pem"))
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let api = Api::with_client(emulator.endpoint(), client);
    let response = api.signed(Method::POST, CREATE, None).await.expect("sent");
    assert_eq!(response.version(), reqwest::Version::HTTP_2);

    set_faults(
        &api,
        json!({"dropBeforeRate": 1.0, "pathPrefix": "/identities"}),
    )
    .await;
    assert_connection_error(api.signed(Method::POST, CREATE, None).await);
    set_faults(
        &api,
        json!({"dropAfterRate": 1.0, "pathPrefix": "/identities"}),
    )
    .await;
    assert_connection_error(api.signed(Method::POST, CREATE, None).await);
    clear_faults(&api).await;
    assert_eq!(
        api.identity_count().await,
        2,
        "drop-before skipped, drop-after processed"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn admin_routes_refuse_foreign_hosts_and_origins() {
    let emulator = acs_chat_emulator::Emulator::start()
        .await
        .expect("emulator");
    let url = format!("{}admin/health", emulator.endpoint());
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let status = |request: reqwest::RequestBuilder| async move {
        request.send().await.expect("answer").status().as_u16()
    };
    assert_eq!(status(client.get(&url)).await, 200);
    assert_eq!(
        status(client.get(&url).header("origin", "http://localhost:3000")).await,
        200
    );
    // DNS rebinding: a page of evil.example resolved to 127.0.0.1.
    assert_eq!(
        status(client.get(&url).header("host", "evil.example")).await,
        403
    );
    // CSRF: a foreign page posting through the browser.
    let reset = format!("{}admin/reset", emulator.endpoint());
    assert_eq!(
        status(client.post(&reset).header("origin", "https://evil.example")).await,
        403
    );
    assert_eq!(
        status(client.post(&reset).header("origin", "null")).await,
        403
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn remote_access_needs_a_key_of_ones_own_and_has_no_admin_routes() {
    let refused = acs_chat_emulator::Emulator::builder()
        .allow_remote(true)
        .start()
        .await
        .expect_err("the development key is refused");
    assert!(refused.to_string().contains("access key of your own"));

    let own_key = "c2VjcmV0LWtleS1vZi1teS1vd24tZm9yLXRoZS10ZXN0cw==";
    let emulator = acs_chat_emulator::Emulator::builder()
        .access_key(own_key)
        .allow_remote(true)
        .start()
        .await
        .expect("starts with a key of its own");
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let status = client
        .get(format!("{}admin/health", emulator.endpoint()))
        .send()
        .await
        .expect("answer")
        .status();
    assert_eq!(
        status, 404,
        "no admin routes with allow_remote, even on loopback"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn minting_a_token_with_an_absurd_lifetime_is_a_400_not_a_panic() {
    let emulator = acs_chat_emulator::Emulator::start()
        .await
        .expect("emulator");
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    for body in [
        serde_json::json!({"expiresInSeconds": i64::MIN}),
        serde_json::json!({"expiresInSeconds": i64::MAX}),
        serde_json::json!({"expiresInMinutes": i64::MIN}),
    ] {
        let response = client
            .post(format!("{}admin/tokens", emulator.endpoint()))
            .json(&body)
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status(), 400, "{body}");
    }
    emulator.shutdown().await;
}
