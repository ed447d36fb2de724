//! How error responses become [`acs_chat::Error`]s: status, the service's
//! error with its details, the ids a support ticket needs, and whether a
//! retry may help.

use std::time::Duration;

use acs_chat::{ErrorKind, RetryOptions};
use httpmock::prelude::*;

use crate::common::*;

/// Serves `status` with the service's JSON error (and an MS-CV) to
/// get_properties, with retries off, and checks every part of the error.
async fn assert_service_error(status: u16, code: &str, retryable: bool) {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(thread_path(""))
                .is_true(recorder.hook());
            then.status(status)
                .header("MS-CV", "ZbBbK0kZ5kGa3y5NjsR8ig.0")
                .header("Retry-After", "7")
                .json_body(service_error_body(code, &format!("{code} happened")));
        })
        .await;
    let (client, _) = client_with(&server, RetryOptions::disabled());

    let error = client
        .get_chat_thread_client(THREAD)
        .get_properties()
        .await
        .expect_err("an error status fails the call");

    assert_eq!(mock.calls_async().await, 1);
    assert_eq!(error.kind(), ErrorKind::Service, "{error}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
    // The status predicates answer for exactly their status.
    assert_eq!(error.is_not_found(), status == 404, "{error}");
    assert_eq!(error.is_throttled(), status == 429, "{error}");
    assert_eq!(error.is_unauthorized(), status == 401, "{error}");
    assert_eq!(error.code(), Some(code));
    assert_eq!(error.message(), format!("{code} happened"));
    let service = error.service_error().expect("the service's error is kept");
    assert_eq!(service.code, code);
    assert_eq!(service.target.as_deref(), Some("chatThreadId"));
    assert_eq!(service.details.len(), 1);
    assert_eq!(service.details[0].code, "DetailCode");
    assert_eq!(service.details[0].message, "a detail");
    assert_eq!(service.details[0].target.as_deref(), Some("detailTarget"));
    let inner = service
        .inner_error
        .as_ref()
        .expect("the inner error is kept");
    assert_eq!(inner.code, "InnerCode");
    assert_eq!(inner.message, "the inner error");
    assert_eq!(error.ms_cv(), Some("ZbBbK0kZ5kGa3y5NjsR8ig.0"));
    let sent_id = recorder.only().client_request_id().to_string();
    assert_eq!(
        error.client_request_id(),
        Some(sent_id.as_str()),
        "the error names the request that failed"
    );
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(error.is_retryable(), retryable, "{status}");
    assert!(!error.is_invalid_argument());
    assert!(!error.is_credential());
    let text = error.to_string();
    assert!(
        text.contains(&status.to_string()) && text.contains(code),
        "{text}"
    );
    assert!(
        text.contains(&sent_id),
        "Display names the request id: {text}"
    );
    assert!(text.contains("ZbBbK0kZ5kGa3y5NjsR8ig.0"), "{text}");
}

#[tokio::test]
async fn status_400_is_a_service_error_that_is_not_retryable() {
    assert_service_error(400, "BadRequest", false).await;
}

#[tokio::test]
async fn status_401_is_a_service_error_that_is_not_retryable() {
    assert_service_error(401, "Unauthorized", false).await;
}

#[tokio::test]
async fn status_403_is_a_service_error_that_is_not_retryable() {
    assert_service_error(403, "Forbidden", false).await;
}

#[tokio::test]
async fn status_404_is_a_service_error_that_is_not_retryable() {
    assert_service_error(404, "NotFound", false).await;
}

#[tokio::test]
async fn status_409_is_a_service_error_that_is_not_retryable() {
    assert_service_error(409, "Conflict", false).await;
}

#[tokio::test]
async fn status_429_is_a_service_error_that_is_retryable() {
    assert_service_error(429, "TooManyRequests", true).await;
}

#[tokio::test]
async fn status_503_is_a_service_error_that_is_retryable() {
    assert_service_error(503, "ServiceUnavailable", true).await;
}

#[tokio::test]
async fn a_502_with_an_html_body_is_still_a_service_error_with_status_502() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(thread_path(""))
                .is_true(recorder.hook());
            then.status(502)
                .header("content-type", "text/html")
                .header("MS-CV", "proxy.1")
                .body("<html><body><h1>502 Bad Gateway</h1></body></html>");
        })
        .await;
    let (client, _) = client_with(&server, RetryOptions::disabled());

    let error = client
        .get_chat_thread_client(THREAD)
        .get_properties()
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Service, "{error:?}");
    assert_eq!(error.status(), Some(acs_chat::StatusCode::BAD_GATEWAY));
    assert_eq!(error.code(), None);
    assert!(error.service_error().is_none());
    assert!(
        error.message().contains("502 Bad Gateway"),
        "{}",
        error.message()
    );
    assert_eq!(error.ms_cv(), Some("proxy.1"));
    assert_eq!(
        error.client_request_id(),
        Some(recorder.only().client_request_id())
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn an_error_status_with_an_empty_body_is_a_service_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE).path(thread_path(""));
            then.status(403);
        })
        .await;
    let (client, _) = client_with(&server, RetryOptions::disabled());

    let error = client.delete_chat_thread(THREAD).await.unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Service, "{error:?}");
    assert_eq!(error.status(), Some(acs_chat::StatusCode::FORBIDDEN));
    assert_eq!(error.code(), None);
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn errors_of_operations_without_a_response_body_carry_the_service_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(thread_path("/readReceipts"));
            then.status(404)
                .json_body(service_error_body("MessageNotFound", "no such message"));
        })
        .await;
    let (client, _) = client_with(&server, RetryOptions::disabled());

    let error = client
        .get_chat_thread_client(THREAD)
        .send_read_receipt("42")
        .await
        .unwrap_err();

    assert_eq!(error.status(), Some(acs_chat::StatusCode::NOT_FOUND));
    assert_eq!(error.code(), Some("MessageNotFound"));
    assert_eq!(error.message(), "no such message");
}

#[tokio::test]
async fn a_success_response_that_does_not_decode_is_a_decode_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(thread_path(""));
            then.status(200).body("{\"id\": 42}");
        })
        .await;
    let (client, _) = client(&server);

    let error = client
        .get_chat_thread_client(THREAD)
        .get_properties()
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Decode, "{error:?}");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn a_created_thread_missing_from_the_response_is_a_decode_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/chat/threads");
            then.status(201).json_body(serde_json::json!({}));
        })
        .await;
    let (client, _) = client(&server);

    let error = client.create_chat_thread("topic").await.unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Decode, "{error:?}");
}

#[tokio::test]
async fn a_redirect_is_an_error_and_is_never_followed_with_the_token() {
    let server = MockServer::start_async().await;
    let elsewhere = MockServer::start_async().await;
    let same_origin_target = server
        .mock_async(|when, then| {
            when.path("/somewhere/else");
            then.status(200).json_body(serde_json::json!({}));
        })
        .await;
    let cross_origin_target = elsewhere
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(serde_json::json!({}));
        })
        .await;
    for (status, location) in [
        (302, format!("{}/somewhere/else", server.base_url())),
        (307, format!("{}/steal", elsewhere.base_url())),
        (301, "/somewhere/else".to_string()),
    ] {
        let redirect = server
            .mock_async(|when, then| {
                when.method(httpmock::Method::GET).path(thread_path(""));
                then.status(status).header("location", location.as_str());
            })
            .await;
        let (client, _) = client(&server);
        let error = client
            .get_chat_thread_client(THREAD)
            .get_properties()
            .await
            .expect_err("a redirect is not followed");
        assert_eq!(error.status().map(u16::from), Some(status), "{error}");
        redirect.delete_async().await;
    }
    assert_eq!(same_origin_target.calls_async().await, 0);
    assert_eq!(cross_origin_target.calls_async().await, 0);
}
