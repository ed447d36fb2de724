//! The access token: never shown (Debug, errors, tracing), refreshed when it
//! is about to expire, and a failing refresher stops the request before it
//! is sent.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use acs_chat::{ChatClient, CommunicationTokenCredential, Error, ErrorKind, RetryOptions};
use futures::StreamExt;
use httpmock::prelude::*;
use serde_json::json;

use crate::common::*;

/// Every way this test suite can make the facade fail, against `server`,
/// with a client signed by `token`.
async fn all_kinds_of_errors(server: &MockServer, token: &str) -> Vec<Error> {
    server
        .mock_async(|when, then| {
            when.method(GET).path(thread_path(""));
            then.status(401)
                .header("MS-CV", "cv.1")
                .json_body(service_error_body("Unauthorized", "the token is not valid"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(DELETE).path(thread_path(""));
            then.status(502).body("<html>bad gateway</html>");
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(thread_path("/messages"));
            then.status(201)
                .delay(Duration::from_millis(600))
                .json_body(json!({"id": "1"}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(thread_path("/messages"));
            then.status(200)
                .json_body(json!({"value": [], "nextLink": "https://evil.example/x"}));
        })
        .await;
    let credential = CommunicationTokenCredential::new(token).unwrap();
    let client = ChatClient::builder(server.base_url(), credential.clone())
        .retry(fast_retries().max_retries(1))
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let thread = client.get_chat_thread_client(THREAD);
    let refused = ChatClient::builder(format!("http://127.0.0.1:{}", closed_port()), credential)
        .retry(RetryOptions::disabled())
        .build()
        .unwrap();

    let mut errors = vec![
        thread.get_properties().await.unwrap_err(),
        client.delete_chat_thread(THREAD).await.unwrap_err(),
        thread.send_message("hi").await.unwrap_err(),
        thread.send_message("").await.unwrap_err(),
        refused.delete_chat_thread(THREAD).await.unwrap_err(),
    ];
    let mut pager = thread.list_messages();
    errors.push(pager.next().await.unwrap().unwrap_err());
    errors
}

fn assert_hides(error: &Error, token: &str) {
    let texts = [
        error.to_string(),
        format!("{error:?}"),
        format!("{error:#?}"),
        format!("{error:#}"),
    ];
    for text in texts {
        assert!(!text.contains(token), "the token leaked: {text}");
    }
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        assert!(
            !inner.to_string().contains(token),
            "a source leaked it: {inner}"
        );
        assert!(
            !format!("{inner:?}").contains(token),
            "a source leaked it: {inner:?}"
        );
        source = inner.source();
    }
}

#[tokio::test]
async fn the_token_never_appears_in_the_clients_debug_output() {
    let token = jwt();
    let credential = CommunicationTokenCredential::new(token.clone()).unwrap();
    let client = ChatClient::new(
        "https://contoso.communication.azure.com",
        credential.clone(),
    )
    .unwrap();

    for text in [
        format!("{client:?}"),
        format!("{client:#?}"),
        format!("{:?}", client.get_chat_thread_client(THREAD)),
        format!("{credential:?}"),
        format!(
            "{:?}",
            client.get_chat_thread_client(THREAD).list_messages()
        ),
    ] {
        assert!(!text.contains(&token), "{text}");
    }
}

#[tokio::test]
async fn the_token_never_appears_in_any_error() {
    let server = MockServer::start_async().await;
    let token = jwt();
    let errors = all_kinds_of_errors(&server, &token).await;
    let kinds: Vec<ErrorKind> = errors.iter().map(Error::kind).collect();
    assert_eq!(
        kinds,
        [
            ErrorKind::Service,
            ErrorKind::Service,
            ErrorKind::OutcomeUnknown,
            ErrorKind::InvalidArgument,
            ErrorKind::Connection,
            ErrorKind::UntrustedNextLink,
        ]
    );
    for error in &errors {
        assert_hides(error, &token);
    }
}

/// A `std::io::Write` into a shared buffer, for the fmt subscriber.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_token_never_appears_in_tracing_output() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let token = jwt();

    // tracing-core caches each callsite's interest. While only one dispatcher
    // is registered it asks the *registering thread's* default, so a callsite
    // first hit by another test's thread would be cached as "never" and this
    // test would see nothing. With a second registered dispatcher, interest
    // combines every registered dispatcher and `enabled` is asked per thread.
    let _second_dispatcher = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    tracing::subscriber::with_default(subscriber, || {
        // Recompute the interest of callsites registered before this point.
        tracing::callsite::rebuild_interest_cache();
        // A current-thread runtime keeps every task (connections, the
        // credential's refresh) on this thread, under this subscriber.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let server = MockServer::start_async().await;
            server
                .mock_async(|when, then| {
                    when.method(POST).path(thread_path("/messages"));
                    then.status(201).json_body(json!({"id": "1"}));
                })
                .await;
            server
                .mock_async(|when, then| {
                    when.method(GET).path(thread_path(""));
                    then.status(429)
                        .header("retry-after-ms", "5")
                        .json_body(service_error_body("TooManyRequests", "slow down"));
                })
                .await;
            let credential = CommunicationTokenCredential::new(token.clone()).unwrap();
            let client = ChatClient::builder(server.base_url(), credential)
                .retry(fast_retries().max_retries(1))
                .build()
                .unwrap();
            let thread = client.get_chat_thread_client(THREAD);
            thread.send_message("hello").await.unwrap();
            thread.get_properties().await.unwrap_err();
            let other = MockServer::start_async().await;
            for error in all_kinds_of_errors(&other, &token).await {
                tracing::error!(%error, ?error, "the test logs the error too");
            }
        });
    });

    let output = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(
        output.contains("acs_chat.request"),
        "the request spans are traced: {output}"
    );
    assert!(output.contains("send_chat_message"), "{output}");
    assert!(output.contains("retrying"), "{output}");
    assert!(
        output.contains("request done"),
        "one event per attempt: {output}"
    );
    assert!(
        output.contains("status=429"),
        "the attempt's status: {output}"
    );
    assert!(
        output.contains("outcome="),
        "the operation's outcome: {output}"
    );
    assert!(
        !output.contains(&token),
        "the token leaked into tracing output"
    );
    // Not even the signature-less part of it.
    let payload = token.split('.').nth(1).unwrap();
    assert!(!output.contains(payload), "the token's payload leaked");
}

#[tokio::test]
async fn a_failing_refresher_is_a_credential_error_and_nothing_is_sent() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.is_true(recorder.hook());
            then.status(204);
        })
        .await;
    let credential = CommunicationTokenCredential::with_refresher(|| async {
        Err::<String, _>(std::io::Error::other("the token service is down"))
    })
    .build()
    .unwrap();
    let client = ChatClient::builder(server.base_url(), credential)
        .retry(fast_retries())
        .build()
        .unwrap();

    let error = client.delete_chat_thread(THREAD).await.unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Credential, "{error:?}");
    assert!(error.is_credential());
    assert!(!error.is_retryable());
    assert!(recorder.all().is_empty(), "a request went out unsigned");
    let error = client
        .get_chat_thread_client(THREAD)
        .send_message("hi")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Credential, "{error:?}");
    assert!(recorder.all().is_empty());
}

#[tokio::test]
async fn a_failing_refresher_while_following_a_next_link_is_a_credential_error() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.is_true(recorder.hook());
            then.status(200).json_body(json!({"value": []}));
        })
        .await;
    let credential = CommunicationTokenCredential::with_refresher(|| async {
        Err::<String, _>(std::io::Error::other("the token service is down"))
    })
    .build()
    .unwrap();
    let client = ChatClient::builder(server.base_url(), credential)
        .retry(fast_retries())
        .build()
        .unwrap();
    // Resuming from a continuation token makes the first request a nextLink fetch.
    let link = server.url(format!("{}?continuationToken=p2", thread_path("/messages")));

    let error = client
        .get_chat_thread_client(THREAD)
        .list_messages()
        .continuation_token(link)
        .collect_all()
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Credential, "{error:?}");
    assert!(recorder.all().is_empty(), "a request went out unsigned");
}

#[tokio::test]
async fn an_expired_static_token_is_a_credential_error_and_nothing_is_sent() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.is_true(recorder.hook());
            then.status(204);
        })
        .await;
    let expired = jwt_with_exp_and_marker(now() - 10, "expired");
    let client = ChatClient::builder(
        server.base_url(),
        CommunicationTokenCredential::new(expired.clone()).unwrap(),
    )
    .retry(fast_retries())
    .build()
    .unwrap();

    let error = client.delete_chat_thread(THREAD).await.unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Credential, "{error:?}");
    assert_hides(&error, &expired);
    assert!(recorder.all().is_empty());
}

#[tokio::test]
async fn a_token_near_expiry_is_refreshed_before_the_request_that_needs_it() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path(thread_path(""))
                .is_true(recorder.hook());
            then.status(204);
        })
        .await;
    // The first token expires in a minute (inside the refresh window); the
    // second lasts an hour.
    let short = jwt_with_exp_and_marker(now() + 60, "short-lived");
    let long = jwt_with_exp_and_marker(now() + 3600, "long-lived");
    let calls = Arc::new(AtomicUsize::new(0));
    let credential = {
        let (calls, short, long) = (calls.clone(), short.clone(), long.clone());
        CommunicationTokenCredential::with_refresher(move || {
            let token = match calls.fetch_add(1, Ordering::SeqCst) {
                0 => short.clone(),
                _ => long.clone(),
            };
            async move { Ok::<_, std::io::Error>(token) }
        })
        .build()
        .unwrap()
    };
    let client = ChatClient::builder(server.base_url(), credential)
        .retry(fast_retries())
        .build()
        .unwrap();

    client.delete_chat_thread(THREAD).await.unwrap();
    client.delete_chat_thread(THREAD).await.unwrap();
    client.delete_chat_thread(THREAD).await.unwrap();

    let sent: Vec<String> = recorder
        .all()
        .iter()
        .map(|r| r.bearer().to_string())
        .collect();
    assert_eq!(sent, [short.clone(), long.clone(), long.clone()]);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "a long-lived token is reused, not refreshed per request"
    );
}
