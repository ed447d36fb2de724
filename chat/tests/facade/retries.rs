//! Retries: what is retried, how long the client waits, that every attempt is
//! a fresh, freshly signed request, and that a message is never sent twice.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use acs_chat::{ChatClient, CommunicationTokenCredential, ErrorKind, RetryOptions};
use httpmock::prelude::*;
use serde_json::json;

use crate::common::*;

fn properties() -> serde_json::Value {
    json!({
        "id": THREAD,
        "topic": "t",
        "createdOn": "2024-01-02T03:04:05Z",
        "createdByCommunicationIdentifier": acs_user_model("8:acs:res_me")
    })
}

/// get_properties answered `status` (with `headers`) the first `failures`
/// times, then 200. Returns the recorder of every attempt.
async fn flaky_get(
    server: &MockServer,
    failures: usize,
    status: u16,
    headers: &[(&str, &str)],
) -> Recorder {
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(thread_path(""))
                .is_true(recorder.first(failures));
            let mut then = then
                .status(status)
                .json_body(service_error_body("Transient", "try again"));
            for (name, value) in headers {
                then = then.header(*name, *value);
            }
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(thread_path(""))
                .is_true(recorder.hook());
            then.status(200).json_body(properties());
        })
        .await;
    recorder
}

#[tokio::test]
async fn a_429_waits_for_retry_after_ms_then_succeeds() {
    let server = MockServer::start_async().await;
    let attempts = flaky_get(&server, 1, 429, &[("retry-after-ms", "20")]).await;
    // A long backoff proves the wait came from the header, not the backoff.
    let (client, _) = client_with(
        &server,
        RetryOptions::default().initial_delay(Duration::from_secs(30)),
    );

    let started = Instant::now();
    let properties = client
        .get_chat_thread_client(THREAD)
        .get_properties()
        .await
        .unwrap();

    let elapsed = started.elapsed();
    assert_eq!(properties.id, THREAD);
    assert_eq!(attempts.all().len(), 2);
    assert!(elapsed >= Duration::from_millis(20), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[tokio::test]
async fn a_429_waits_for_retry_after_seconds_then_succeeds() {
    let server = MockServer::start_async().await;
    let attempts = flaky_get(&server, 1, 429, &[("Retry-After", "1")]).await;
    let (client, _) = client_with(
        &server,
        RetryOptions::default().initial_delay(Duration::from_secs(30)),
    );

    let started = Instant::now();
    client
        .get_chat_thread_client(THREAD)
        .get_properties()
        .await
        .unwrap();

    let elapsed = started.elapsed();
    assert_eq!(attempts.all().len(), 2);
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[tokio::test]
async fn a_retry_after_longer_than_max_delay_is_not_waited_for() {
    let server = MockServer::start_async().await;
    let attempts = flaky_get(&server, 1, 429, &[("Retry-After", "120")]).await;
    let (client, _) = client_with(&server, fast_retries().max_delay(Duration::from_secs(5)));

    let started = Instant::now();
    let error = client
        .get_chat_thread_client(THREAD)
        .get_properties()
        .await
        .unwrap_err();

    assert_eq!(
        error.status(),
        Some(acs_chat::StatusCode::TOO_MANY_REQUESTS)
    );
    assert_eq!(error.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(attempts.all().len(), 1);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_503_is_retried_and_the_next_success_is_returned() {
    let server = MockServer::start_async().await;
    let attempts = flaky_get(&server, 2, 503, &[]).await;
    let (client, _) = client(&server);

    let properties = client
        .get_chat_thread_client(THREAD)
        .get_properties()
        .await
        .unwrap();

    assert_eq!(properties.id, THREAD);
    assert_eq!(attempts.all().len(), 3);
}

#[tokio::test]
async fn each_attempt_carries_its_own_client_request_id() {
    let server = MockServer::start_async().await;
    let attempts = flaky_get(&server, 2, 503, &[]).await;
    let (client, token) = client(&server);

    client
        .get_chat_thread_client(THREAD)
        .get_properties()
        .await
        .unwrap();

    let requests = attempts.all();
    assert_eq!(requests.len(), 3);
    let mut ids: Vec<&str> = requests
        .iter()
        .map(|r| {
            r.assert_standard(&token);
            r.client_request_id()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "request ids are reused across attempts");
}

#[tokio::test]
async fn each_attempt_is_signed_with_a_token_fetched_for_it() {
    // Tokens that expire within the two-minute refresh window make the
    // credential call the refresher for every request.
    let server = MockServer::start_async().await;
    let attempts = flaky_get(&server, 1, 503, &[]).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let issued = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let credential = {
        let (calls, issued) = (calls.clone(), issued.clone());
        CommunicationTokenCredential::with_refresher(move || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            let token = jwt_with_exp_and_marker(now() + 60, &format!("attempt-{n}"));
            issued.lock().unwrap().push(token.clone());
            async move { Ok::<_, std::io::Error>(token) }
        })
        .build()
        .unwrap()
    };
    let client = ChatClient::builder(server.base_url(), credential)
        .retry(fast_retries())
        .build()
        .unwrap();

    client
        .get_chat_thread_client(THREAD)
        .get_properties()
        .await
        .unwrap();

    let sent: Vec<String> = attempts
        .all()
        .iter()
        .map(|r| r.bearer().to_string())
        .collect();
    let issued = issued.lock().unwrap().clone();
    assert_eq!(sent.len(), 2);
    assert_eq!(issued.len(), 2, "the refresher is asked once per attempt");
    assert_eq!(
        sent, issued,
        "each attempt carries the token fetched for it"
    );
}

#[tokio::test]
async fn create_chat_thread_sends_the_same_repeatability_request_id_on_every_attempt() {
    for explicit in [Some("my-key"), None] {
        let server = MockServer::start_async().await;
        let recorder = Recorder::new();
        server
            .mock_async(|when, then| {
                when.method(POST)
                    .path("/chat/threads")
                    .is_true(recorder.first(2));
                then.status(503);
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(POST)
                    .path("/chat/threads")
                    .is_true(recorder.hook());
                then.status(201)
                    .json_body(json!({"chatThread": properties()}));
            })
            .await;
        let (client, _) = client(&server);

        let mut create = client.create_chat_thread("t");
        if let Some(key) = explicit {
            create = create.idempotency_token(key);
        }
        create.await.unwrap();

        let requests = recorder.all();
        assert_eq!(requests.len(), 3);
        let keys: Vec<&str> = requests
            .iter()
            .map(|r| r.header("repeatability-request-id").unwrap())
            .collect();
        assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
        if let Some(key) = explicit {
            assert_eq!(keys[0], key);
        }
        let ids: std::collections::HashSet<&str> =
            requests.iter().map(|r| r.client_request_id()).collect();
        assert_eq!(ids.len(), 3, "but each attempt has its own request id");
    }
}

#[tokio::test]
async fn retries_stop_after_max_retries() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(thread_path(""));
            then.status(503)
                .json_body(service_error_body("ServiceUnavailable", "down"));
        })
        .await;
    let (client, _) = client_with(&server, fast_retries().max_retries(2));

    let error = client
        .get_chat_thread_client(THREAD)
        .get_properties()
        .await
        .unwrap_err();

    assert_eq!(mock.calls_async().await, 3, "1 attempt + 2 retries");
    assert_eq!(
        error.status(),
        Some(acs_chat::StatusCode::SERVICE_UNAVAILABLE)
    );
    assert_eq!(error.code(), Some("ServiceUnavailable"));
}

#[tokio::test]
async fn disabled_retries_send_once() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(thread_path(""));
            then.status(503);
        })
        .await;
    let (client, _) = client_with(&server, RetryOptions::disabled());

    client
        .get_chat_thread_client(THREAD)
        .get_properties()
        .await
        .unwrap_err();

    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn a_400_is_not_retried() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(thread_path(""));
            then.status(400)
                .json_body(service_error_body("BadRequest", "no"));
        })
        .await;
    let (client, _) = client(&server);

    let error = client
        .get_chat_thread_client(THREAD)
        .get_properties()
        .await
        .unwrap_err();

    assert_eq!(mock.calls_async().await, 1);
    assert_eq!(error.status(), Some(acs_chat::StatusCode::BAD_REQUEST));
}

/// A client whose attempts time out after 200 ms.
fn impatient_client(server: &MockServer) -> ChatClient {
    ChatClient::builder(
        server.base_url(),
        CommunicationTokenCredential::new(jwt()).unwrap(),
    )
    .retry(fast_retries())
    .timeout(Duration::from_millis(200))
    .build()
    .unwrap()
}

#[tokio::test]
async fn send_message_is_not_posted_twice_after_a_timeout_once_the_request_was_sent() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(thread_path("/messages"));
            then.status(201)
                .delay(Duration::from_millis(800))
                .json_body(json!({"id": "1"}));
        })
        .await;
    let client = impatient_client(&server);

    let error = client
        .get_chat_thread_client(THREAD)
        .send_message("hello once")
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::OutcomeUnknown, "{error:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(mock.calls_async().await, 1, "the message was sent again");
    assert!(error.client_request_id().is_some());
}

#[tokio::test]
async fn an_idempotent_request_is_retried_after_a_timeout() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(thread_path(""));
            then.status(200)
                .delay(Duration::from_millis(800))
                .json_body(properties());
        })
        .await;
    let client = ChatClient::builder(
        server.base_url(),
        CommunicationTokenCredential::new(jwt()).unwrap(),
    )
    .retry(fast_retries().max_retries(1))
    .timeout(Duration::from_millis(200))
    .build()
    .unwrap();

    let error = client
        .get_chat_thread_client(THREAD)
        .get_properties()
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Transport, "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(mock.calls_async().await, 2);
}

#[tokio::test]
async fn send_message_after_a_502_is_not_retried_and_its_outcome_is_unknown() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(thread_path("/messages"));
            then.status(502).body("bad gateway");
        })
        .await;
    let (client, _) = client(&server);

    let error = client
        .get_chat_thread_client(THREAD)
        .send_message("hello")
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::OutcomeUnknown, "{error:?}");
    assert_eq!(error.status(), Some(acs_chat::StatusCode::BAD_GATEWAY));
    assert_eq!(mock.calls_async().await, 1);
}

async fn send_message_retried_after(status: u16, headers: &[(&str, &str)]) {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(thread_path("/messages"))
                .is_true(recorder.first(1));
            let mut then = then
                .status(status)
                .json_body(service_error_body("Busy", "later"));
            for (name, value) in headers {
                then = then.header(*name, *value);
            }
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(thread_path("/messages"))
                .is_true(recorder.hook());
            then.status(201).json_body(json!({"id": "1700000000001"}));
        })
        .await;
    let (client, _) = client(&server);

    let sent = client
        .get_chat_thread_client(THREAD)
        .send_message("hello")
        .await
        .unwrap();

    assert_eq!(sent.id, "1700000000001");
    let requests = recorder.all();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].json(), requests[1].json(), "the same message");
}

#[tokio::test]
async fn send_message_is_retried_after_a_503() {
    send_message_retried_after(503, &[]).await;
}

#[tokio::test]
async fn send_message_is_retried_after_a_429() {
    send_message_retried_after(429, &[("retry-after-ms", "20")]).await;
}

#[tokio::test]
async fn a_refused_connection_is_a_connection_error_after_the_retries() {
    let port = closed_port();
    let client = ChatClient::builder(
        format!("http://127.0.0.1:{port}"),
        CommunicationTokenCredential::new(jwt()).unwrap(),
    )
    .retry(fast_retries().max_retries(2))
    .build()
    .unwrap();

    let error = client
        .get_chat_thread_client(THREAD)
        .get_properties()
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Connection, "{error:?}");
    assert_eq!(error.status(), None);
    assert!(error.is_retryable());
}

#[tokio::test]
async fn send_message_over_a_refused_connection_is_a_connection_error_not_an_unknown_outcome() {
    let port = closed_port();
    let client = ChatClient::builder(
        format!("http://127.0.0.1:{port}"),
        CommunicationTokenCredential::new(jwt()).unwrap(),
    )
    .retry(fast_retries())
    .build()
    .unwrap();

    let error = client
        .get_chat_thread_client(THREAD)
        .send_message("hello")
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Connection, "{error:?}");
}

#[tokio::test]
async fn a_429_asking_for_an_absurd_wait_is_an_error_not_a_panic() {
    for (name, value) in [
        ("retry-after-ms", "1e300"),
        ("x-ms-retry-after-ms", "1e300"),
        ("retry-after", "18446744073709551615"),
    ] {
        let server = MockServer::start_async().await;
        let attempts = flaky_get(&server, 1, 429, &[(name, value)]).await;
        let (client, _) = client_with(&server, RetryOptions::default());
        let started = Instant::now();
        let error = client
            .get_chat_thread_client(THREAD)
            .get_properties()
            .await
            .expect_err("the wait is beyond max_delay");
        assert!(error.is_throttled(), "{name}: {error}");
        assert_eq!(attempts.all().len(), 1, "{name}: not retried");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}

/// The POSTs the description marks `x-acs-idempotent` (their routes say the
/// service may process them twice) are retried after an answer that may
/// have been processed, unlike a message send.
#[tokio::test]
async fn the_posts_the_description_marks_idempotent_are_retried_after_a_502() {
    let server = MockServer::start_async().await;
    let mut mocks = Vec::new();
    for (path, status) in [("/typing", 502), ("/readReceipts", 504)] {
        let recorder = Recorder::new();
        let failing = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path(thread_path(path))
                    .is_true(recorder.first(1));
                then.status(status).body("the gateway lost it");
            })
            .await;
        let passing = server
            .mock_async(|when, then| {
                when.method(POST).path(thread_path(path));
                then.status(200);
            })
            .await;
        mocks.push((failing, passing));
    }
    let (client, _) = client(&server);
    let thread = client.get_chat_thread_client(THREAD);

    thread.send_typing_notification().await.expect("retried");
    thread
        .send_read_receipt("1700000000000")
        .await
        .expect("retried");

    for (failing, passing) in mocks {
        assert_eq!(failing.calls_async().await, 1);
        assert_eq!(passing.calls_async().await, 1);
    }
}
