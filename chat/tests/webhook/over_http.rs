//! The receiver served by axum on a loopback port, reached with reqwest.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use acs_chat::webhook::{WebhookReceiver, WebhookSecret};

#[tokio::test]
async fn a_mounted_receiver_answers_over_loopback_http() {
    let handled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&handled);
    let receiver = WebhookReceiver::builder()
        .secret(WebhookSecret::query("code", "k"))
        .handler(move |_event| {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                Ok::<_, std::io::Error>(())
            }
        });
    let app = axum::Router::new().nest("/api/events", receiver.into_router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let url = format!("http://{addr}/api/events?code=k");
    let body = serde_json::json!([{
        "id": "h1", "topic": "t", "subject": "s",
        "eventType": "Microsoft.Communication.ChatThreadDeleted",
        "eventTime": "2024-01-01T00:00:00Z", "dataVersion": "1.0",
        "data": {
            "threadId": "19:a@thread.v2",
            "transactionId": "t",
            "deletedByCommunicationIdentifier": {"rawId": "8:acs:r_u", "communicationUser": {"id": "8:acs:r_u"}}
        }
    }]);
    let response = client.post(&url).json(&body).send().await.expect("send");
    assert_eq!(response.status(), 200);
    let response = client
        .post(format!("http://{addr}/api/events"))
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 401);
    assert_eq!(handled.load(Ordering::SeqCst), 1);
    server.abort();
}
