//! Everything the crates trace, at TRACE level and with every span event,
//! through a whole session against the emulator (identity calls signed with
//! the access key, chat calls with user tokens, events to a webhook with a
//! secret), holds no token, key, signature or webhook secret, and shows one
//! operation span per facade call with its attempts inside.
//!
//! Its own test binary: it installs the global subscriber.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use acs_chat::identity::{CommunicationIdentityClient, CommunicationTokenScope};
use acs_chat::webhook::{WebhookReceiver, WebhookSecret};
use acs_chat::{ChatClient, ChatParticipant, CommunicationTokenCredential};
use acs_chat_emulator::events::{EventDeliveryOptions, NewEventSubscription};
use acs_chat_emulator::{Emulator, DEV_ACCESS_KEY};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const WEBHOOK_SECRET: &str = "wh-s3cr3t-value-5f2a";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_any_span_or_event_at_trace_level() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish(),
    )
    .expect("the only subscriber of this binary");

    let emulator = Emulator::builder()
        .event_delivery(EventDeliveryOptions {
            retry_time_scale: 0.001,
            ..Default::default()
        })
        .start()
        .await
        .expect("emulator");
    let receiver = WebhookReceiver::builder()
        .secret(WebhookSecret::query("code", WEBHOOK_SECRET))
        .handler(|_event| async { Ok::<_, std::io::Error>(()) });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let webhook = format!(
        "http://{}/?code={WEBHOOK_SECRET}",
        listener.local_addr().expect("addr")
    );
    tokio::spawn(async move { axum::serve(listener, receiver.into_router()).await });
    emulator
        .state()
        .events()
        .subscribe(NewEventSubscription::webhook(&webhook))
        .await
        .expect("subscribed");

    let identity =
        CommunicationIdentityClient::from_connection_string(&emulator.connection_string())
            .expect("connection string");
    let created_alice = identity
        .create_user_and_token([CommunicationTokenScope::Chat])
        .await
        .expect("alice");
    let (alice, alice_token) = (created_alice.user, created_alice.access_token);
    let bob = identity.create_user().await.expect("bob");
    let bob_token = identity
        .get_token(&bob, [CommunicationTokenScope::Chat])
        .await
        .expect("bob's token");
    let chat = ChatClient::new(
        emulator.endpoint(),
        CommunicationTokenCredential::new(alice_token.token()).expect("token"),
    )
    .expect("client");
    let created = chat
        .create_chat_thread("Traced")
        .participants([ChatParticipant::new(bob.clone())])
        .await
        .expect("thread");
    let thread = chat.get_chat_thread_client(&created.chat_thread.id);
    thread.send_message("hello").await.expect("sent");
    thread.get_message("0").await.expect_err("no such message");
    identity.revoke_tokens(&alice).await.expect("revoked");
    // Give the events time to be delivered (and traced).
    for _ in 0..200 {
        if emulator.state().events().pending_events() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    emulator.shutdown().await;

    let output = String::from_utf8_lossy(&captured.0.lock().expect("lock")).into_owned();
    assert!(
        output.len() > 1000,
        "the capture saw the session:\n{output}"
    );
    let secrets = [
        ("Alice's token", alice_token.token().to_string()),
        ("Bob's token", bob_token.token().to_string()),
        ("the access key", DEV_ACCESS_KEY.to_string()),
        ("the webhook secret", WEBHOOK_SECRET.to_string()),
    ];
    for (name, secret) in &secrets {
        // Any 24-character piece is enough to leak.
        let piece: String = secret
            .chars()
            .skip(secret.len().saturating_sub(24))
            .collect();
        assert!(
            !output.contains(piece.as_str()),
            "{name} appears in the trace output"
        );
    }
    assert!(
        !output.contains("Signature="),
        "an HMAC signature appears in the trace output"
    );
    assert!(
        !output.contains("Bearer "),
        "a bearer header appears in the trace output"
    );

    // One operation span per facade call, with its outcome, and the attempts
    // inside it carry the status and request id (identity calls too).
    assert!(output.contains("acs_chat.operation{operation=\"send_chat_message\""));
    assert!(output.contains("operation=\"send_chat_message\" thread_id=\"19:"));
    assert!(output.contains("outcome=\"ok\""));
    assert!(
        output.contains("operation=\"get_chat_message\"")
            && output.contains("outcome=service error"),
        "the failed get's outcome"
    );
    let request_lines: Vec<&str> = output
        .lines()
        .filter(|l| l.contains("acs_chat.request{") && l.contains("close"))
        .collect();
    assert!(request_lines
        .iter()
        .any(|l| l.contains("status=201") && l.contains("request_id=")));
    assert!(
        request_lines
            .iter()
            .any(|l| l.contains("operation=\"create_user_and_token\"") && l.contains("status=201")),
        "identity attempts carry their status"
    );
    let _ = std::io::stderr().write_all(b"trace capture checked\n");
}
