use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use acs_chat::events::{ChatEvent, ChatEventEnvelope, EventSchema};
use acs_chat::webhook::{WebhookReceiver, WebhookSecret};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures::StreamExt;
use tower::ServiceExt;

const THREAD: &str = "19:abc@thread.v2";

fn thread_deleted(id: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "topic": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Communication/communicationServices/r",
        "subject": format!("thread/{THREAD}/deletedBy/8:acs:r_u"),
        "eventType": "Microsoft.Communication.ChatThreadDeleted",
        "eventTime": "2024-01-01T00:00:00Z",
        "dataVersion": "1.0",
        "metadataVersion": "1",
        "data": {
            "threadId": THREAD,
            "transactionId": "t",
            "version": 1704067200000_i64,
            "createTime": "2024-01-01T00:00:00Z",
            "deleteTime": "2024-01-01T00:00:00Z",
            "deletedByCommunicationIdentifier": {"rawId": "8:acs:r_u", "communicationUser": {"id": "8:acs:r_u"}}
        }
    })
}

fn as_cloud_event(event: &serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "id": event["id"],
        "source": event["topic"],
        "subject": event["subject"],
        "type": event["eventType"],
        "time": event["eventTime"],
        "specversion": "1.0",
        "data": event["data"],
    })
}

/// A receiver whose handler records every event and fails while `fail` > 0.
struct Recorder {
    seen: Arc<Mutex<Vec<ChatEventEnvelope>>>,
    calls: Arc<AtomicUsize>,
    fail: Arc<AtomicUsize>,
}

impl Recorder {
    fn new() -> Self {
        Self {
            seen: Arc::default(),
            calls: Arc::default(),
            fail: Arc::default(),
        }
    }

    fn receiver(&self, builder: acs_chat::webhook::WebhookReceiverBuilder) -> axum::Router {
        let seen = Arc::clone(&self.seen);
        let calls = Arc::clone(&self.calls);
        let fail = Arc::clone(&self.fail);
        builder
            .handler(move |event| {
                let seen = Arc::clone(&seen);
                let calls = Arc::clone(&calls);
                let fail = Arc::clone(&fail);
                async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    if fail
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok()
                    {
                        return Err(std::io::Error::other("handler failed"));
                    }
                    seen.lock().expect("lock").push(event);
                    Ok(())
                }
            })
            .into_router()
    }

    fn handled(&self) -> Vec<ChatEventEnvelope> {
        self.seen.lock().expect("lock").clone()
    }
}

async fn post(
    router: &axum::Router,
    uri: &str,
    content_type: &str,
    headers: &[(&str, &str)],
    body: impl Into<Body>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut request = Request::post(uri).header("content-type", content_type);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = router
        .clone()
        .oneshot(request.body(body.into()).expect("request"))
        .await
        .expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn json(value: &serde_json::Value) -> String {
    value.to_string()
}

#[tokio::test]
async fn event_grid_validation_is_answered_with_the_code() {
    let recorder = Recorder::new();
    let router = recorder.receiver(WebhookReceiver::builder());
    let body = serde_json::json!([{
        "id": "v1", "topic": "t", "subject": "",
        "data": {"validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6", "validationUrl": "https://example.invalid/x"},
        "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
        "eventTime": "2024-01-01T00:00:00Z", "metadataVersion": "1", "dataVersion": "2"
    }]);
    let (status, _, text) = post(
        &router,
        "/",
        "application/json",
        &[("aeg-event-type", "SubscriptionValidation")],
        json(&body),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let answer: serde_json::Value = serde_json::from_str(&text).expect("json answer");
    assert_eq!(
        answer,
        serde_json::json!({"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"})
    );
    assert_eq!(
        recorder.calls.load(Ordering::SeqCst),
        0,
        "not an event for the handler"
    );
}

#[tokio::test]
async fn cloud_events_handshake_allows_the_origin_and_announces_the_rate() {
    let recorder = Recorder::new();
    let router = recorder.receiver(WebhookReceiver::builder().allowed_rate(120));
    let response = router
        .clone()
        .oneshot(
            Request::options("/")
                .header("WebHook-Request-Origin", "eventgrid.azure.net")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["webhook-allowed-origin"],
        "eventgrid.azure.net"
    );
    assert_eq!(response.headers()["webhook-allowed-rate"], "120");
    assert_eq!(response.headers()["allow"], "POST");

    let without_origin = router
        .oneshot(Request::options("/").body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    assert_eq!(without_origin.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_query_secret_is_required_and_checked() {
    let recorder = Recorder::new();
    let router = recorder
        .receiver(WebhookReceiver::builder().secret(WebhookSecret::query("code", "s3cr3t")));
    let body = json(&serde_json::json!([thread_deleted("e1")]));
    for uri in [
        "/",
        "/?code=wrong",
        "/?code=s3cr3",
        "/?code=s3cr3t&code=forged",
    ] {
        let (status, _, text) = post(&router, uri, "application/json", &[], body.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
        assert!(!text.contains("s3cr3t"));
    }
    assert_eq!(recorder.calls.load(Ordering::SeqCst), 0);
    let (status, _, _) = post(&router, "/?code=s3cr3t", "application/json", &[], body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(recorder.handled().len(), 1);
}

#[tokio::test]
async fn a_header_secret_guards_handshakes_too() {
    let recorder = Recorder::new();
    let secret = WebhookSecret::header("x-webhook-key", "k3y").expect("header name");
    assert!(!format!("{secret:?}").contains("k3y"));
    let router = recorder.receiver(WebhookReceiver::builder().secret(secret));
    let validation = json(&serde_json::json!([{
        "id": "v", "topic": "t", "subject": "", "data": {"validationCode": "c"},
        "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent", "eventTime": "2024-01-01T00:00:00Z"
    }]));
    let (status, _, _) = post(&router, "/", "application/json", &[], validation.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = post(
        &router,
        "/",
        "application/json",
        &[("x-webhook-key", "k3y")],
        validation,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn duplicate_deliveries_are_handled_once() {
    let recorder = Recorder::new();
    let router = recorder.receiver(WebhookReceiver::builder());
    let once = json(&serde_json::json!([thread_deleted("dup")]));
    for _ in 0..3 {
        let (status, _, _) = post(&router, "/", "application/json", &[], once.clone()).await;
        assert_eq!(status, StatusCode::OK);
    }
    let twice_in_a_batch = json(&serde_json::json!([
        thread_deleted("b"),
        thread_deleted("b")
    ]));
    let (status, _, _) = post(&router, "/", "application/json", &[], twice_in_a_batch).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<String> = recorder.handled().into_iter().map(|e| e.id).collect();
    assert_eq!(ids, ["dup", "b"]);
}

#[tokio::test]
async fn a_failing_handler_answers_500_and_the_retry_is_handled_once() {
    let recorder = Recorder::new();
    recorder.fail.store(2, Ordering::SeqCst);
    let router = recorder.receiver(WebhookReceiver::builder());
    let body = json(&serde_json::json!([thread_deleted("retry-me")]));
    for expected in [
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::OK,
        StatusCode::OK,
    ] {
        let (status, _, _) = post(&router, "/", "application/json", &[], body.clone()).await;
        assert_eq!(status, expected);
    }
    assert_eq!(
        recorder.calls.load(Ordering::SeqCst),
        3,
        "third delivery handled, fourth dropped"
    );
    assert_eq!(recorder.handled().len(), 1);
}

#[tokio::test]
async fn malformed_bodies_answer_400() {
    let recorder = Recorder::new();
    let router = recorder.receiver(WebhookReceiver::builder());
    let mut bad_data = thread_deleted("x");
    bad_data["data"]["createTime"] = serde_json::json!("yesterday");
    let mut bad_version = thread_deleted("y");
    bad_version["data"]["version"] = serde_json::json!("seven");
    let cases = [
        ("application/json", "not json".to_string()),
        ("application/json", "{}".to_string()),
        ("application/json", r#"[{"eventType":"X"}]"#.to_string()),
        ("application/json", json(&serde_json::json!([bad_data]))),
        ("application/json", json(&serde_json::json!([bad_version]))),
        (
            "application/cloudevents+json",
            r#"{"id":"1","type":"X","specversion":"0.3"}"#.to_string(),
        ),
        ("text/plain", "[]".to_string()),
    ];
    for (content_type, body) in cases {
        let (status, _, text) = post(&router, "/", content_type, &[], body.clone()).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{content_type} {body}: {text}"
        );
    }
    assert_eq!(recorder.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn bodies_above_the_cap_answer_413() {
    let recorder = Recorder::new();
    let router = recorder.receiver(WebhookReceiver::builder().max_body_bytes(1024));
    let mut event = thread_deleted("big");
    event["data"]["padding"] = serde_json::json!("x".repeat(2000));
    let body = json(&serde_json::json!([event]));
    let (status, _, _) = post(&router, "/", "application/json", &[], body.clone()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // Without a Content-Length (a stream), the cap holds while reading.
    let chunks = futures::stream::iter(
        body.into_bytes()
            .chunks(100)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let (status, _, _) = post(
        &router,
        "/",
        "application/json",
        &[],
        Body::from_stream(chunks),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(recorder.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn cloud_events_single_and_batch_are_parsed() {
    let recorder = Recorder::new();
    let router = recorder.receiver(WebhookReceiver::builder());
    let one = as_cloud_event(&thread_deleted("c1"));
    let (status, _, _) = post(
        &router,
        "/",
        "application/cloudevents+json; charset=utf-8",
        &[],
        json(&one),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let batch = serde_json::json!([
        as_cloud_event(&thread_deleted("c2")),
        as_cloud_event(&thread_deleted("c3"))
    ]);
    let (status, _, _) = post(
        &router,
        "/",
        "application/cloudevents-batch+json",
        &[],
        json(&batch),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let handled = recorder.handled();
    assert_eq!(handled.len(), 3);
    assert!(handled.iter().all(|e| e.schema == EventSchema::CloudEvents));
    assert!(handled
        .iter()
        .all(|e| matches!(&e.event, ChatEvent::ChatThreadDeleted(d) if d.thread_id == THREAD)));
    assert_eq!(handled[0].source.as_deref(), Some("/subscriptions/s/resourceGroups/g/providers/Microsoft.Communication/communicationServices/r"));
}

#[tokio::test]
async fn other_methods_answer_405() {
    let router = Recorder::new().receiver(WebhookReceiver::builder());
    let response = router
        .oneshot(Request::get("/").body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn the_stream_yields_each_event_once_and_answers_503_when_gone() {
    let (receiver, mut events) = WebhookReceiver::builder().stream(8);
    let router = receiver.into_router();
    let body = json(&serde_json::json!([
        thread_deleted("s1"),
        thread_deleted("s2")
    ]));
    let (status, _, _) = post(&router, "/", "application/json", &[], body.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = post(&router, "/", "application/json", &[], body).await;
    assert_eq!(status, StatusCode::OK);
    let first = events.next().await.expect("an event");
    let second = events.next().await.expect("an event");
    assert_eq!((first.id.as_str(), second.id.as_str()), ("s1", "s2"));
    drop(events);
    let (status, _, _) = post(
        &router,
        "/",
        "application/json",
        &[],
        json(&serde_json::json!([thread_deleted("s3")])),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn a_secret_with_plus_signs_matches_as_written_or_encoded() {
    let recorder = Recorder::new();
    let router = recorder
        .receiver(WebhookReceiver::builder().secret(WebhookSecret::query("code", "ab+c/=")));
    let body = json(&serde_json::json!([thread_deleted("p1")]));
    for uri in ["/?code=ab+c/=", "/?code=ab%2Bc%2F%3D"] {
        let (status, _, _) = post(&router, uri, "application/json", &[], body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
    }
    let (status, _, _) = post(&router, "/?code=ab%20c/=", "application/json", &[], body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_dropped_request_does_not_leave_its_event_claimed() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let router = WebhookReceiver::builder()
        .handler(move |_event| {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                Ok::<_, std::io::Error>(())
            }
        })
        .into_router();
    let body = json(&serde_json::json!([thread_deleted("slow")]));
    // Event Grid gives up waiting and drops the request.
    let dropped = tokio::time::timeout(
        std::time::Duration::from_millis(50),
        post(&router, "/", "application/json", &[], body.clone()),
    )
    .await;
    assert!(dropped.is_err());
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    // The handling finished anyway: the redelivery is a duplicate, not a 503.
    let (status, _, _) = post(&router, "/", "application/json", &[], body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_panicking_handler_answers_500_and_the_event_can_be_delivered_again() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let router = WebhookReceiver::builder()
        .handler(move |_event| {
            let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
            async move {
                assert!(!first, "the handler panics on its first call");
                Ok::<_, std::io::Error>(())
            }
        })
        .into_router();
    let body = json(&serde_json::json!([thread_deleted("boom")]));
    let (status, _, _) = post(&router, "/", "application/json", &[], body.clone()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let (status, _, _) = post(&router, "/", "application/json", &[], body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}
