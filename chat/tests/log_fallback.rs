//! With no tracing subscriber set, tracing hands a span's fields to a `log`
//! logger instead: a program that logs through `log` alone still learns
//! which operation on which thread each request belonged to. Its own test
//! binary: a `log` logger and the absence of any tracing subscriber are
//! both process-wide. Talks only to an httpmock server on 127.0.0.1.

use std::sync::Mutex;

use acs_chat::{ChatClient, CommunicationTokenCredential};
use base64::Engine as _;
use httpmock::prelude::*;

/// Keeps every record: target, level and text.
struct Keep(Mutex<Vec<String>>);

impl log::Log for Keep {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }

    fn log(&self, record: &log::Record) {
        if let Ok(mut kept) = self.0.lock() {
            kept.push(format!(
                "{} {} {}",
                record.target(),
                record.level(),
                record.args()
            ));
        }
    }

    fn flush(&self) {}
}

static KEPT: Keep = Keep(Mutex::new(Vec::new()));

const THREAD: &str = "19:log-fallback@thread.v2";

/// A token whose only claim the client reads is its expiry, in an hour.
fn token() -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let exp = chrono::Utc::now().timestamp() + 3600;
    format!(
        "{}.{}.c2ln",
        engine.encode(br#"{"alg":"none"}"#),
        engine.encode(format!(r#"{{"exp":{exp}}}"#))
    )
}

#[tokio::test]
async fn an_operation_reaches_a_log_logger_when_no_subscriber_is_set() {
    log::set_logger(&KEPT).expect("the only logger of this binary");
    log::set_max_level(log::LevelFilter::Info);
    assert!(!tracing::dispatcher::has_been_set(), "no subscriber here");

    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/chat/threads/{THREAD}/messages/7"));
            then.status(200).json_body(serde_json::json!({
                "id": "7", "type": "text", "sequenceId": "7", "version": "7",
                "createdOn": "2025-01-01T10:00:00Z",
                "content": { "message": "hi" }
            }));
        })
        .await;
    let credential = CommunicationTokenCredential::new(token()).expect("a valid token");
    let client = ChatClient::builder(server.base_url(), credential)
        .build()
        .expect("a loopback endpoint");
    let message = client
        .get_chat_thread_client(THREAD)
        .get_message("7")
        .await
        .expect("the message");
    assert_eq!(message.id, "7");

    let kept = KEPT.0.lock().expect("records").clone();
    let operation = kept
        .iter()
        .find(|record| record.contains("acs_chat.operation"))
        .unwrap_or_else(|| panic!("no operation record among {kept:#?}"));
    assert!(operation.contains("get_chat_message"), "{operation}");
    assert!(operation.contains(THREAD), "{operation}");
    // Only INFO was asked for: the DEBUG record of each request is not there.
    assert!(
        kept.iter().all(|record| !record.contains("request done")),
        "{kept:#?}"
    );
}
