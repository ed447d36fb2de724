//! How fast the emulator answers, next to an axum handler that does nothing,
//! measured in the same run with the same client and concurrency:
//!
//! ```text
//! cargo bench --bench emulator_throughput
//! ```
//!
//! It prints requests per second for a no-op handler, send-message and
//! list-messages (a page of 50 from a thread of 1,000 messages), and each
//! emulator figure as a share of the no-op rate. The emulator must never be
//! what limits a client benchmark: the aim is send-message at 50% or more of
//! the no-op handler's rate.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use acs_chat_emulator::Emulator;
use serde_json::json;

/// Concurrent clients.
const CONCURRENCY: usize = 16;
/// How long each measurement runs (after a short warm-up).
const MEASURE: Duration = Duration::from_secs(3);
const WARM_UP: Duration = Duration::from_millis(500);
/// Messages in the thread that list-messages reads.
const THREAD_SIZE: usize = 1_000;

type Request = Arc<dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync>;

/// Requests per second of `request`, sent by `CONCURRENCY` tasks for `MEASURE`.
async fn rate(client: &reqwest::Client, request: Request) -> f64 {
    let run = |duration: Duration| {
        let done = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + duration;
        let tasks: Vec<_> = (0..CONCURRENCY)
            .map(|_| {
                let (client, request, done) = (client.clone(), request.clone(), done.clone());
                tokio::spawn(async move {
                    while Instant::now() < deadline {
                        let response = request(&client).send().await.expect("request");
                        assert!(response.status().is_success(), "{}", response.status());
                        response.bytes().await.expect("body");
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        async move {
            let started = Instant::now();
            for task in tasks {
                task.await.expect("task");
            }
            done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
        }
    };
    run(WARM_UP).await;
    run(MEASURE).await
}

async fn noop_server() -> String {
    let app = axum::Router::new().route(
        "/noop",
        axum::routing::post(|| async {
            (
                axum::http::StatusCode::CREATED,
                axum::Json(json!({ "id": "1" })),
            )
        })
        .get(|| async { axum::Json(json!({ "value": [] })) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    format!("http://{address}/noop")
}

#[tokio::main]
async fn main() {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("client");
    let noop = noop_server().await;
    let emulator = Emulator::start().await.expect("emulator");
    let endpoint = emulator.endpoint().trim_end_matches('/').to_string();
    let minted: serde_json::Value = client
        .post(format!("{endpoint}/admin/tokens"))
        .json(&json!({}))
        .send()
        .await
        .expect("mint")
        .json()
        .await
        .expect("token json");
    let token = minted["accessToken"]["token"]
        .as_str()
        .expect("token")
        .to_string();
    let bearer = format!("Bearer {token}");
    let created: serde_json::Value = client
        .post(format!("{endpoint}/chat/threads?api-version=2025-03-15"))
        .header("authorization", &bearer)
        .json(&json!({ "topic": "benchmark" }))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("thread json");
    let thread_id = created["chatThread"]["id"]
        .as_str()
        .expect("thread id")
        .to_string();
    let messages = format!("{endpoint}/chat/threads/{thread_id}/messages?api-version=2025-03-15");
    for i in 0..THREAD_SIZE {
        let response = client
            .post(&messages)
            .header("authorization", &bearer)
            .json(&json!({ "content": format!("seed {i}") }))
            .send()
            .await
            .expect("seed");
        assert!(response.status().is_success());
    }

    let noop_post: Request = {
        let noop = noop.clone();
        Arc::new(move |c| c.post(&noop).json(&json!({ "content": "hello" })))
    };
    let send: Request = {
        let (messages, bearer) = (messages.clone(), bearer.clone());
        Arc::new(move |c| {
            c.post(&messages)
                .header("authorization", &bearer)
                .json(&json!({ "content": "hello", "senderDisplayName": "bench" }))
        })
    };
    let list: Request = {
        let url = format!("{messages}&maxPageSize=50");
        Arc::new(move |c| c.get(&url).header("authorization", &bearer))
    };

    let noop_rate = rate(&client, noop_post).await;
    let list_rate = rate(&client, list).await;
    let send_rate = rate(&client, send).await;
    println!("emulator throughput, {CONCURRENCY} concurrent clients, {MEASURE:?} each:");
    println!("  axum no-op handler : {noop_rate:>9.0} req/s");
    println!(
        "  send-message       : {send_rate:>9.0} req/s ({:.0}% of no-op)",
        100.0 * send_rate / noop_rate
    );
    println!(
        "  list-messages (50) : {list_rate:>9.0} req/s ({:.0}% of no-op)",
        100.0 * list_rate / noop_rate
    );
    emulator.shutdown().await;
}
