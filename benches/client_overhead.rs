//! What the facade adds to a request, next to raw reqwest doing the same GET
//! and decoding the same body, against one local axum server, in one run:
//!
//! ```text
//! cargo bench --bench client_overhead
//! ```
//!
//! Both sides fetch a chat message: raw reqwest sets the bearer header and
//! api-version itself and decodes into the wire type; the facade goes
//! through the credential, the request policy, the retry loop, tracing
//! spans and the conversion into its own model. Printed: requests per second
//! with one client and with 16 concurrent clients, and the facade's share.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use acs_chat::{ChatClient, CommunicationTokenCredential};
use base64::Engine as _;
use serde_json::json;

const MEASURE: Duration = Duration::from_secs(3);
const WARM_UP: Duration = Duration::from_millis(500);
const THREAD: &str = "19:benchmark@thread.v2";
const MESSAGE: &str = "1700000000000";

fn token() -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let exp = chrono::Utc::now().timestamp() + 24 * 3600;
    format!(
        "{}.{}.c2ln",
        engine.encode(br#"{"alg":"none"}"#),
        engine.encode(format!(r#"{{"exp":{exp}}}"#))
    )
}

async fn message_server() -> String {
    let body = json!({
        "id": MESSAGE, "type": "text", "sequenceId": "3", "version": MESSAGE,
        "content": { "message": "hello, this is a benchmark message" },
        "senderDisplayName": "Alice", "createdOn": "2025-01-01T10:00:00Z",
        "senderCommunicationIdentifier": { "rawId": "8:acs:r_alice", "communicationUser": { "id": "8:acs:r_alice" } },
        "metadata": { "priority": "high" }
    });
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move { axum::Json(body) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    format!("http://{address}")
}

/// Requests per second of `call`, from `tasks` concurrent tasks.
async fn rate<F, Fut>(tasks: usize, call: F) -> f64
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let run = |duration: Duration| {
        let done = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + duration;
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let (call, done) = (call.clone(), done.clone());
                tokio::spawn(async move {
                    while Instant::now() < deadline {
                        call().await;
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        async move {
            let started = Instant::now();
            for handle in handles {
                handle.await.expect("task");
            }
            done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
        }
    };
    run(WARM_UP).await;
    run(MEASURE).await
}

#[tokio::main]
async fn main() {
    let endpoint = message_server().await;
    let token = token();
    let http = reqwest::Client::new();
    let url = format!("{endpoint}/chat/threads/{THREAD}/messages/{MESSAGE}?api-version=2025-03-15");
    let bearer = format!("Bearer {token}");
    let raw = {
        let (http, url, bearer) = (http.clone(), url.clone(), bearer.clone());
        move || {
            let (http, url, bearer) = (http.clone(), url.clone(), bearer.clone());
            async move {
                let response = http
                    .get(&url)
                    .header("authorization", &bearer)
                    .header("x-ms-client-request-id", uuid::Uuid::new_v4().to_string())
                    .send()
                    .await
                    .expect("raw request");
                let bytes = response.bytes().await.expect("body");
                let message: acs_chat_rest::types::ChatMessage =
                    serde_json::from_slice(&bytes).expect("decode");
                std::hint::black_box(message);
            }
        }
    };
    let credential = CommunicationTokenCredential::new(token).expect("token");
    let client = ChatClient::builder(&endpoint, credential)
        .http_client(http)
        .build()
        .expect("client");
    let thread = client.get_chat_thread_client(THREAD);
    let facade = move || {
        let thread = thread.clone();
        async move {
            let message = thread.get_message(MESSAGE).await.expect("facade request");
            std::hint::black_box(message);
        }
    };

    println!("client overhead (get a message; raw reqwest vs acs-chat), {MEASURE:?} each:");
    for tasks in [1, 16] {
        let raw_rate = rate(tasks, raw.clone()).await;
        let facade_rate = rate(tasks, facade.clone()).await;
        println!(
            "  {tasks:>2} client(s): raw reqwest {raw_rate:>8.0} req/s ({:>6.1} µs), acs-chat {facade_rate:>8.0} req/s ({:>6.1} µs): {:.0}% of raw",
            1e6 * tasks as f64 / raw_rate,
            1e6 * tasks as f64 / facade_rate,
            100.0 * facade_rate / raw_rate
        );
    }
}
