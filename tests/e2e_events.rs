//! Chat events end to end over loopback HTTP: the facade acts on the
//! emulator, the emulator delivers events to an `acs_chat::webhook`
//! receiver served by axum, and the receiver hands them to a handler.

mod common;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use acs_chat::events::{ChatEvent, ChatEventEnvelope, EventSchema};
use acs_chat::webhook::{WebhookReceiver, WebhookSecret};
use acs_chat::{ChatMessageType, ChatParticipant, CommunicationIdentifier};
use acs_chat_emulator::events::{DeliverySchema, EventDeliveryOptions, NewEventSubscription};
use acs_chat_emulator::Emulator;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use common::{TestBed, TestUser};
use tower::ServiceExt;

const SECRET: &str = "e2e-s3cr3t";

/// What the handler saw: every event it handled, and how often it ran.
#[derive(Clone, Default)]
struct Seen {
    events: Arc<Mutex<Vec<ChatEventEnvelope>>>,
    handler_runs: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
}

impl Seen {
    fn events(&self) -> Vec<ChatEventEnvelope> {
        self.events.lock().expect("lock").clone()
    }

    fn of_type(&self, name: &str) -> Vec<ChatEventEnvelope> {
        let full = format!("Microsoft.Communication.{name}");
        self.events()
            .into_iter()
            .filter(|e| e.event_type == full)
            .collect()
    }
}

/// How the endpoint in front of the receiver misbehaves.
#[derive(Clone, Copy)]
enum Endpoint {
    /// Passes every request to the receiver.
    Honest,
    /// Passes deliveries to the receiver, but answers 500 for the first
    /// `n` deliveries of each event id (as if the answer were lost).
    LosesAnswers(usize),
    /// Passes a deterministic tenth of deliveries to the receiver and then
    /// answers 503.
    LosesEveryTenth,
    /// Answers the handshake, then 400 to every delivery.
    RejectsDeliveries,
    /// Answers every request 404 (fails the handshake).
    Missing,
    /// Answers the handshake, then 500 to every delivery.
    AlwaysFails,
    /// Answers the handshake, then holds every delivery for half a second.
    Slow,
}

/// A webhook on a loopback port; its URL carries the secret.
async fn webhook(endpoint: Endpoint) -> (String, Seen) {
    let seen = Seen::default();
    let events = Arc::clone(&seen.events);
    let runs = Arc::clone(&seen.handler_runs);
    let receiver = WebhookReceiver::builder()
        .secret(WebhookSecret::query("code", SECRET))
        .handler(move |event| {
            let events = Arc::clone(&events);
            let runs = Arc::clone(&runs);
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                events.lock().expect("lock").push(event);
                Ok::<_, std::io::Error>(())
            }
        })
        .into_router();
    let requests = Arc::clone(&seen.requests);
    let lost: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let app = axum::Router::new().fallback(move |request: Request<Body>| {
        let receiver = receiver.clone();
        let requests = Arc::clone(&requests);
        let lost = Arc::clone(&lost);
        async move {
            let is_delivery = request
                .headers()
                .get("aeg-event-type")
                .is_some_and(|v| v == "Notification");
            if matches!(endpoint, Endpoint::Missing) {
                return StatusCode::NOT_FOUND.into_response();
            }
            if !is_delivery {
                return receiver.oneshot(request).await.into_response();
            }
            let n = requests.fetch_add(1, Ordering::SeqCst);
            match endpoint {
                Endpoint::RejectsDeliveries => StatusCode::BAD_REQUEST.into_response(),
                Endpoint::AlwaysFails => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                Endpoint::Slow => {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    receiver.oneshot(request).await.into_response()
                }
                Endpoint::Honest | Endpoint::Missing => {
                    receiver.oneshot(request).await.into_response()
                }
                Endpoint::LosesEveryTenth => {
                    let response: Response = receiver.oneshot(request).await.into_response();
                    if n % 10 == 3 {
                        StatusCode::SERVICE_UNAVAILABLE.into_response()
                    } else {
                        response
                    }
                }
                Endpoint::LosesAnswers(times) => {
                    let (parts, body) = request.into_parts();
                    let bytes = axum::body::to_bytes(body, 1 << 20)
                        .await
                        .unwrap_or_default();
                    let ids: Vec<String> = serde_json::from_slice::<serde_json::Value>(&bytes)
                        .ok()
                        .and_then(|v| v.as_array().cloned())
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|e| e["id"].as_str().map(str::to_owned))
                        .collect();
                    let request = Request::from_parts(parts, Body::from(bytes));
                    let response: Response = receiver.oneshot(request).await.into_response();
                    let mut lost = lost.lock().expect("lock");
                    let lose = ids.iter().any(|id| {
                        let count = lost.entry(id.clone()).or_default();
                        *count += 1;
                        *count <= times
                    });
                    if lose {
                        StatusCode::INTERNAL_SERVER_ERROR.into_response()
                    } else {
                        response
                    }
                }
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/acs/events?code={SECRET}"), seen)
}

fn fast_delivery() -> EventDeliveryOptions {
    EventDeliveryOptions {
        retry_time_scale: 0.001,
        ..Default::default()
    }
}

async fn bed() -> TestBed {
    TestBed::with(Emulator::builder().event_delivery(fast_delivery())).await
}

async fn subscribe(bed: &TestBed, url: &str, schema: DeliverySchema) {
    let mut subscription = NewEventSubscription::webhook(url);
    subscription.event_delivery_schema = schema;
    bed.emulator
        .state()
        .events()
        .subscribe(subscription)
        .await
        .expect("the webhook answers the handshake");
}

/// Waits (at most 20 s) until every published event is delivered or
/// dead-lettered.
async fn settled(bed: &TestBed) {
    for _ in 0..2000 {
        let report = bed.emulator.state().events().delivery_report();
        if report.pending == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "events still pending after 20 s: {:?}",
        bed.emulator.state().events().delivery_report().pending
    );
}

async fn thread_of(bed: &TestBed, owner: &TestUser, others: &[&TestUser]) -> String {
    let created = owner
        .chat
        .create_chat_thread("Events")
        .participants(
            others
                .iter()
                .map(|u| ChatParticipant::new(u.user.clone()).display_name("Member")),
        )
        .await
        .expect("thread created");
    settled(bed).await;
    created.chat_thread.id
}

fn id(user: &TestUser) -> CommunicationIdentifier {
    CommunicationIdentifier::CommunicationUser(user.user.clone())
}

#[tokio::test]
async fn one_message_yields_one_thread_event_and_one_per_other_participant() {
    let bed = bed().await;
    let (url, seen) = webhook(Endpoint::Honest).await;
    subscribe(&bed, &url, DeliverySchema::EventGridSchema).await;
    let users = [
        bed.user().await,
        bed.user().await,
        bed.user().await,
        bed.user().await,
    ];
    let thread = thread_of(&bed, &users[0], &[&users[1], &users[2], &users[3]]).await;
    seen.events.lock().expect("lock").clear();

    let sent = users[0]
        .thread(&thread)
        .send_message("Hello, everyone")
        .sender_display_name("Owner")
        .await
        .expect("sent");
    settled(&bed).await;

    let in_thread = seen.of_type("ChatMessageReceivedInThread");
    assert_eq!(in_thread.len(), 1);
    let ChatEvent::ChatMessageReceivedInThread(data) = &in_thread[0].event else {
        panic!("wrong variant: {:?}", in_thread[0].event);
    };
    assert_eq!(data.message_id, sent.id);
    assert_eq!(data.message_body.as_deref(), Some("Hello, everyone"));
    assert_eq!(data.sender.as_ref(), Some(&id(&users[0])));
    assert_eq!(data.recipient, None);
    assert_eq!(
        in_thread[0].subject.as_deref(),
        Some(format!("thread/{thread}/sender/{}", users[0].user.id).as_str())
    );

    let received = seen.of_type("ChatMessageReceived");
    assert_eq!(received.len(), 3, "one per participant but the sender");
    let mut recipients = HashSet::new();
    for envelope in &received {
        let ChatEvent::ChatMessageReceived(data) = &envelope.event else {
            panic!("wrong variant");
        };
        let recipient = data.recipient.clone().expect("a recipient");
        assert_ne!(recipient, id(&users[0]), "never to the sender");
        assert_eq!(
            envelope.subject.as_deref(),
            Some(
                format!(
                    "thread/{thread}/sender/{}/recipient/{}",
                    users[0].user.id,
                    recipient.raw_id()
                )
                .as_str()
            )
        );
        assert_eq!(data.thread_id, thread);
        assert_eq!(data.message_type, ChatMessageType::Text);
        assert_eq!(data.sender_display_name.as_deref(), Some("Owner"));
        assert!(data.version.is_some());
        assert_eq!(envelope.schema, EventSchema::EventGrid);
        recipients.insert(recipient.raw_id());
    }
    let expected: HashSet<String> = users[1..].iter().map(|u| u.user.id.clone()).collect();
    assert_eq!(recipients, expected);
}

#[tokio::test]
async fn every_chat_operation_yields_its_events() {
    let bed = bed().await;
    let (url, seen) = webhook(Endpoint::Honest).await;
    subscribe(&bed, &url, DeliverySchema::CloudEventSchemaV1_0).await;
    let (a, b, c) = (bed.user().await, bed.user().await, bed.user().await);
    let thread = thread_of(&bed, &a, &[&b]).await;
    let chat = a.thread(&thread);
    chat.update_topic("New topic").await.expect("topic");
    let sent = chat.send_message("first").await.expect("sent");
    chat.update_message(&sent.id)
        .content("edited")
        .await
        .expect("edited");
    chat.delete_message(&sent.id).await.expect("deleted");
    chat.delete_message(&sent.id)
        .await
        .expect("deleting twice succeeds");
    chat.add_participants([ChatParticipant::new(c.user.clone())])
        .await
        .expect("added");
    chat.remove_participant(&id(&b)).await.expect("removed");
    a.chat
        .delete_chat_thread(&thread)
        .await
        .expect("thread deleted");
    settled(&bed).await;

    let count = |name: &str| seen.of_type(name).len();
    // Created with a and b.
    assert_eq!(count("ChatThreadCreated"), 1);
    assert_eq!(count("ChatThreadCreatedWithUser"), 2);
    assert_eq!(count("ChatThreadPropertiesUpdated"), 1);
    assert_eq!(count("ChatThreadPropertiesUpdatedPerUser"), 2);
    // Message events: once per thread, once for b (not the sender a).
    for name in [
        "ChatMessageReceived",
        "ChatMessageEdited",
        "ChatMessageDeleted",
    ] {
        assert_eq!(count(name), 1, "{name}");
        assert_eq!(count(&format!("{name}InThread")), 1, "{name}InThread");
    }
    // c added: a, b and c hear of it; b removed: a, b and c hear of it.
    assert_eq!(count("ChatThreadParticipantAdded"), 1);
    assert_eq!(count("ChatParticipantAddedToThreadWithUser"), 3);
    assert_eq!(count("ChatThreadParticipantRemoved"), 1);
    assert_eq!(count("ChatParticipantRemovedFromThreadWithUser"), 3);
    // Deleted with a and c.
    assert_eq!(count("ChatThreadDeleted"), 1);
    assert_eq!(count("ChatThreadWithUserDeleted"), 2);
    assert!(seen
        .events()
        .iter()
        .all(|e| e.schema == EventSchema::CloudEvents));

    let updated = &seen.of_type("ChatThreadPropertiesUpdated")[0];
    let ChatEvent::ChatThreadPropertiesUpdated(data) = &updated.event else {
        panic!("wrong variant");
    };
    assert_eq!(
        data.properties.get("topic"),
        Some(&serde_json::json!("New topic"))
    );
    assert_eq!(data.edited_by.as_ref(), Some(&id(&a)));
    let edited = &seen.of_type("ChatMessageEditedInThread")[0];
    let ChatEvent::ChatMessageEditedInThread(data) = &edited.event else {
        panic!("wrong variant");
    };
    assert_eq!(data.message_body.as_deref(), Some("edited"));
    assert!(data.edit_time.is_some());
    let added = &seen.of_type("ChatThreadParticipantAdded")[0];
    let ChatEvent::ChatThreadParticipantAdded(data) = &added.event else {
        panic!("wrong variant");
    };
    assert_eq!(
        data.participant.as_ref().and_then(|p| p.identifier.clone()),
        Some(id(&c))
    );
    assert_eq!(data.changed_by.as_ref(), Some(&id(&a)));
    assert_eq!(
        added.subject.as_deref(),
        Some(format!("thread/{thread}/participantadded/{}", c.user.id).as_str())
    );
    let added_for_a = seen
        .of_type("ChatParticipantAddedToThreadWithUser")
        .into_iter()
        .find(|e| {
            matches!(&e.event, ChatEvent::ChatParticipantAddedToThreadWithUser(d) if d.recipient == Some(id(&a)))
        })
        .expect("a hears of c");
    assert_eq!(
        added_for_a.subject.as_deref(),
        Some(
            format!(
                "thread/{thread}/participantAdded/{}/recipient/{}",
                c.user.id, a.user.id
            )
            .as_str()
        )
    );
    let removed = &seen.of_type("ChatThreadParticipantRemoved")[0];
    let ChatEvent::ChatThreadParticipantRemoved(data) = &removed.event else {
        panic!("wrong variant");
    };
    assert_eq!(
        data.participant.as_ref().and_then(|p| p.identifier.clone()),
        Some(id(&b))
    );
}

#[tokio::test]
async fn an_endpoint_that_fails_twice_gets_the_event_three_times_and_the_handler_runs_once() {
    let bed = bed().await;
    let (url, seen) = webhook(Endpoint::LosesAnswers(2)).await;
    let mut subscription = NewEventSubscription::webhook(&url);
    subscription.included_event_types =
        vec!["Microsoft.Communication.ChatMessageReceivedInThread".into()];
    bed.emulator
        .state()
        .events()
        .subscribe(subscription)
        .await
        .expect("subscribed");
    let (a, b) = (bed.user().await, bed.user().await);
    let thread = thread_of(&bed, &a, &[&b]).await;
    a.thread(&thread).send_message("hi").await.expect("sent");
    settled(&bed).await;

    assert_eq!(
        seen.requests.load(Ordering::SeqCst),
        3,
        "delivered three times"
    );
    assert_eq!(seen.handler_runs.load(Ordering::SeqCst), 1, "handled once");
    let report = bed.emulator.state().events().delivery_report();
    let attempts: Vec<(u32, Option<u16>)> = report
        .attempts
        .iter()
        .map(|a| (a.attempt, a.status))
        .collect();
    assert_eq!(attempts, [(1, Some(500)), (2, Some(500)), (3, Some(200))]);
    assert_eq!((report.delivered, report.dead_lettered), (1, 0));
}

#[tokio::test]
async fn a_400_goes_to_dead_letters_without_retries() {
    let bed = bed().await;
    let (url, seen) = webhook(Endpoint::RejectsDeliveries).await;
    subscribe(&bed, &url, DeliverySchema::EventGridSchema).await;
    let (a, b) = (bed.user().await, bed.user().await);
    let thread = thread_of(&bed, &a, &[&b]).await;
    a.thread(&thread).send_message("hi").await.expect("sent");
    settled(&bed).await;

    let letters = bed.emulator.state().events().dead_letters().dead_letters;
    // ChatThreadCreated + 2 × WithUser, then ChatMessageReceivedInThread + 1 × Received.
    assert_eq!(letters.len(), 5);
    assert!(letters.iter().all(|l| l.reason == "RejectedByEndpoint"
        && l.attempts == 1
        && l.last_status == Some(400)));
    assert!(letters
        .iter()
        .any(|l| l.event["eventType"] == "Microsoft.Communication.ChatMessageReceived"));
    assert_eq!(seen.requests.load(Ordering::SeqCst), 5, "no retries");
    assert_eq!(seen.handler_runs.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_subscription_whose_endpoint_fails_the_handshake_is_refused() {
    let bed = bed().await;
    let (url, _) = webhook(Endpoint::Missing).await;
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    for schema in ["EventGridSchema", "CloudEventSchemaV1_0"] {
        let response = client
            .post(format!(
                "{}admin/eventSubscriptions",
                bed.emulator.endpoint()
            ))
            .json(&serde_json::json!({"endpointUrl": url, "eventDeliverySchema": schema}))
            .send()
            .await
            .expect("admin answers");
        assert_eq!(response.status(), 400, "{schema}");
        let body: serde_json::Value = response.json().await.expect("json");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("handshake"), "{message}");
        assert!(
            !message.contains(SECRET),
            "the query secret stays out of errors"
        );
    }
    // A wrong secret fails the handshake too (the receiver answers 401).
    let (url, _) = webhook(Endpoint::Honest).await;
    let wrong = url.replace(SECRET, "wrong");
    let result = bed
        .emulator
        .state()
        .events()
        .subscribe(NewEventSubscription::webhook(wrong))
        .await;
    assert!(result.is_err());
    assert!(bed.emulator.state().events().subscriptions().is_empty());

    // And a good one is listed, its secret masked.
    let response = client
        .post(format!(
            "{}admin/eventSubscriptions",
            bed.emulator.endpoint()
        ))
        .json(&serde_json::json!({"endpointUrl": url}))
        .send()
        .await
        .expect("admin answers");
    assert_eq!(response.status(), 201);
    let listed: serde_json::Value = client
        .get(format!(
            "{}admin/eventSubscriptions",
            bed.emulator.endpoint()
        ))
        .send()
        .await
        .expect("admin answers")
        .json()
        .await
        .expect("json");
    assert_eq!(listed["value"].as_array().map(Vec::len), Some(1));
    assert!(!listed.to_string().contains(SECRET));
}

#[tokio::test]
async fn a_thousand_sends_are_each_delivered_and_handled_once_despite_lost_answers() {
    let bed = bed().await;
    let (url, seen) = webhook(Endpoint::LosesEveryTenth).await;
    subscribe(&bed, &url, DeliverySchema::EventGridSchema).await;
    let users = [bed.user().await, bed.user().await, bed.user().await];
    let thread = thread_of(&bed, &users[0], &[&users[1], &users[2]]).await;
    seen.events.lock().expect("lock").clear();
    let runs_before = seen.handler_runs.load(Ordering::SeqCst);

    let mut sent = HashSet::new();
    for i in 0..1000 {
        let sender = &users[i % 3];
        let result = sender
            .thread(&thread)
            .send_message(format!("m{i}"))
            .await
            .expect("sent");
        sent.insert((result.id, sender.user.id.clone()));
    }
    settled(&bed).await;

    let events = seen.events();
    let ids: HashSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), events.len(), "no event handled twice");
    assert_eq!(seen.handler_runs.load(Ordering::SeqCst) - runs_before, 3000);
    let mut user_level = HashMap::<String, usize>::new();
    let mut thread_level = HashSet::new();
    for envelope in &events {
        match &envelope.event {
            ChatEvent::ChatMessageReceived(data) => {
                let sender = data
                    .sender
                    .as_ref()
                    .map(CommunicationIdentifier::raw_id)
                    .unwrap_or_default();
                assert!(sent.contains(&(data.message_id.clone(), sender.clone())));
                assert_ne!(
                    data.recipient.as_ref().map(CommunicationIdentifier::raw_id),
                    Some(sender)
                );
                *user_level.entry(data.message_id.clone()).or_default() += 1;
            }
            ChatEvent::ChatMessageReceivedInThread(data) => {
                assert!(thread_level.insert(data.message_id.clone()));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(thread_level.len(), 1000, "every thread-level event");
    assert_eq!(user_level.len(), 1000);
    assert!(
        user_level.values().all(|&n| n == 2),
        "two recipients per message"
    );
    let report = bed.emulator.state().events().delivery_report();
    assert_eq!(report.dead_lettered, 0);
    assert!(
        report.attempts.iter().any(|a| a.status == Some(503)),
        "some answers were lost and retried"
    );
    println!(
        "1000 sends: {} events handled, {} requests, {} of them retries",
        events.len(),
        seen.requests.load(Ordering::SeqCst),
        report.attempts.iter().filter(|a| a.attempt > 1).count()
    );
}

#[tokio::test]
async fn an_endpoint_that_always_fails_is_dead_lettered_after_the_last_attempt() {
    let options = EventDeliveryOptions {
        retry_time_scale: 0.0001,
        max_attempts: 4,
        ..Default::default()
    };
    let bed = TestBed::with(Emulator::builder().event_delivery(options)).await;
    let (url, seen) = webhook(Endpoint::AlwaysFails).await;
    let mut subscription = NewEventSubscription::webhook(&url);
    subscription.included_event_types = vec!["Microsoft.Communication.ChatThreadCreated".into()];
    bed.emulator
        .state()
        .events()
        .subscribe(subscription)
        .await
        .expect("subscribed");
    let a = bed.user().await;
    thread_of(&bed, &a, &[]).await;

    let letters = bed.emulator.state().events().dead_letters().dead_letters;
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].reason, "MaxDeliveryAttemptsExceeded");
    assert_eq!(
        (letters[0].attempts, letters[0].last_status),
        (4, Some(500))
    );
    assert_eq!(seen.requests.load(Ordering::SeqCst), 4);
    let attempts: Vec<u32> = bed
        .emulator
        .state()
        .events()
        .delivery_report()
        .attempts
        .iter()
        .map(|a| a.attempt)
        .collect();
    assert_eq!(attempts, [1, 2, 3, 4]);
}

#[tokio::test]
async fn a_full_queue_dead_letters_new_events_and_never_drops_them() {
    let options = EventDeliveryOptions {
        retry_time_scale: 0.001,
        queue_capacity: 2,
        max_concurrent_deliveries: 1,
        ..Default::default()
    };
    let bed = TestBed::with(Emulator::builder().event_delivery(options)).await;
    let (url, seen) = webhook(Endpoint::Slow).await;
    let mut subscription = NewEventSubscription::webhook(&url);
    subscription.included_event_types =
        vec!["Microsoft.Communication.ChatMessageReceivedInThread".into()];
    bed.emulator
        .state()
        .events()
        .subscribe(subscription)
        .await
        .expect("subscribed");
    let (a, b) = (bed.user().await, bed.user().await);
    let thread = thread_of(&bed, &a, &[&b]).await;
    for i in 0..5 {
        a.thread(&thread)
            .send_message(format!("m{i}"))
            .await
            .expect("sent at once, whatever the webhook does");
    }
    settled(&bed).await;

    let report = bed.emulator.state().events().delivery_report();
    let letters = bed.emulator.state().events().dead_letters().dead_letters;
    assert_eq!(report.published, 5);
    assert_eq!(
        report.delivered + report.dead_lettered,
        5,
        "every event accounted for"
    );
    assert!(report.dead_lettered >= 1, "the queue of 2 overflowed");
    assert!(letters
        .iter()
        .all(|l| l.reason == "QueueFull" && l.attempts == 0));
    assert_eq!(
        seen.handler_runs.load(Ordering::SeqCst) as u64,
        report.delivered
    );
}

#[tokio::test]
async fn an_event_subscription_survives_a_restart_on_the_same_data_directory() {
    let dir = std::env::temp_dir().join(format!("acs-emulator-events-{}", uuid::Uuid::new_v4()));
    let (url, seen) = webhook(Endpoint::Honest).await;
    let first = Emulator::builder()
        .data_dir(&dir)
        .event_delivery(fast_delivery())
        .start()
        .await
        .expect("starts");
    first
        .state()
        .events()
        .subscribe(NewEventSubscription::webhook(&url))
        .await
        .expect("the webhook answers the handshake");
    let before = first.state().events().subscriptions();
    drop(first);

    // Given again at the restart (as `--event-subscription` would be), it
    // is the stored one, not a second.
    let second = Emulator::builder()
        .data_dir(&dir)
        .event_delivery(fast_delivery())
        .event_subscription(NewEventSubscription::webhook(&url))
        .start()
        .await
        .expect("restarts");
    let bed = TestBed {
        identity: acs_chat::identity::CommunicationIdentityClient::from_connection_string(
            &second.connection_string(),
        )
        .expect("connection string"),
        emulator: second,
    };
    assert_eq!(bed.emulator.state().events().subscriptions(), before);
    // It delivers: a message sent after the restart reaches the webhook.
    let alice = bed.user().await;
    let bob = bed.user().await;
    let thread = thread_of(&bed, &alice, &[&bob]).await;
    alice
        .thread(&thread)
        .send_message("after the restart")
        .await
        .expect("sent");
    settled(&bed).await;
    let received = seen.events.lock().expect("lock").len();
    assert!(received > 0, "the restored subscription delivered nothing");
    let _ = std::fs::remove_dir_all(&dir);
}
