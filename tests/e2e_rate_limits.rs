//! The emulator's opt-in rate limits (the service's documented table) and
//! the facade's retry loop riding through them. Windows are scaled by 0.05
//! (10 s → 500 ms) so the tests wait little.

mod common;

use std::time::{Duration, Instant};

use acs_chat_emulator::rate_limits::RateLimits;
use acs_chat_emulator::Emulator;
use common::TestBed;

const SCALE: f64 = 0.05;

async fn bed() -> TestBed {
    TestBed::with(Emulator::builder().rate_limits(RateLimits::service().window_scale(SCALE))).await
}

#[tokio::test]
async fn the_budget_passes_the_next_request_is_429_and_passes_after_the_wait() {
    // Windows of 5 s: eleven sends fit in one even on a loaded machine.
    let bed =
        TestBed::with(Emulator::builder().rate_limits(RateLimits::service().window_scale(0.5)))
            .await;
    let alice = bed.user().await;
    let created = alice
        .chat
        .create_chat_thread("limits")
        .await
        .expect("thread");
    let url = format!(
        "{}chat/threads/{}/messages?api-version=2025-03-15",
        bed.emulator.endpoint(),
        created.chat_thread.id
    );
    let http = reqwest::Client::new();
    let send = || {
        http.post(&url)
            .bearer_auth(&alice.token)
            .json(&serde_json::json!({"content": "hi"}))
            .send()
    };
    // "Send, update or delete message: 10 per 10 s per thread."
    for i in 0..10 {
        let answer = send().await.expect("sent");
        assert_eq!(answer.status(), 201, "send {i} is within the budget");
    }
    let refused = send().await.expect("sent");
    assert_eq!(refused.status(), 429);
    let header = |name: &str| {
        refused
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("{name} header"))
    };
    assert!(header("retry-after") >= 1);
    let wait_ms = header("retry-after-ms");
    assert!((1..=5_000).contains(&wait_ms), "{wait_ms} ms");
    let body: serde_json::Value = refused.json().await.expect("json");
    assert_eq!(body["error"]["code"], "TooManyRequests");

    tokio::time::sleep(Duration::from_millis(wait_ms)).await;
    assert_eq!(send().await.expect("sent").status(), 201);
}

#[tokio::test]
async fn the_facade_rides_through_the_limits() {
    let bed = bed().await;
    let alice = bed.user().await;
    let created = alice
        .chat
        .create_chat_thread("limits")
        .await
        .expect("thread");
    let thread = alice.thread(&created.chat_thread.id);
    let started = Instant::now();
    for i in 0..25 {
        thread
            .send_message(format!("message {i}"))
            .await
            .unwrap_or_else(|e| panic!("send {i}: {e}"));
    }
    // 25 sends at 10 per 500 ms need at least two waits for the window.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    // Typing: 5 per 10 s per user and thread; the sixth waits, then passes.
    for _ in 0..6 {
        thread.send_typing_notification().await.expect("typing");
    }
}

#[tokio::test]
async fn off_by_default() {
    let bed = TestBed::start().await;
    let alice = bed.user().await;
    let created = alice
        .chat
        .create_chat_thread("no limits")
        .await
        .expect("thread");
    let url = format!(
        "{}chat/threads/{}/messages?api-version=2025-03-15",
        bed.emulator.endpoint(),
        created.chat_thread.id
    );
    let http = reqwest::Client::new();
    for i in 0..40 {
        let answer = http
            .post(&url)
            .bearer_auth(&alice.token)
            .json(&serde_json::json!({"content": format!("m{i}")}))
            .send()
            .await
            .expect("sent");
        assert_eq!(answer.status(), 201, "send {i}: never throttled");
    }
}
