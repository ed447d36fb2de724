//! Ids in paths: real ACS ids reach the server intact, ids that URL parsing
//! would resolve (`.`, `..`, empty) are refused before anything is sent, and
//! reserved characters are percent-encoded so an id stays one segment. Plain
//! http is refused for non-loopback hosts before any connection is made.
//!
//! Every server here is a local httpmock server on 127.0.0.1.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use acs_chat_rest::types;
use acs_chat_rest::{
    is_loopback, BoxError, BoxFuture, Client, ClientState, Error, StandardPolicy, TokenSource,
};
use httpmock::{Method, MockServer};
use serde_json::json;

const TOKEN: &str = "acs-test-token";
const THREAD: &str = "19:abc@thread.v2";
const MESSAGE: &str = "1685151486588";

fn client(server: &MockServer) -> Client {
    Client::new(&server.base_url(), ClientState::with_token(TOKEN))
}

/// Which path parameter a case fills with the id under test.
#[derive(Clone, Copy, Debug)]
enum Slot {
    Thread,
    Message,
}

/// The operations whose path holds a thread id.
const THREAD_OPERATIONS: [&str; 14] = [
    "GetChatThreadProperties",
    "DeleteChatThread",
    "UpdateChatThreadProperties",
    "ListChatMessages",
    "SendChatMessage",
    "GetChatMessage",
    "DeleteChatMessage",
    "UpdateChatMessage",
    "ListChatParticipants",
    "AddChatParticipants",
    "RemoveChatParticipant",
    "ListChatReadReceipts",
    "SendChatReadReceipt",
    "SendTypingNotification",
];

fn outcome<T, E>(result: Result<T, Error<E>>) -> Result<(), String> {
    match result {
        // Refused by the request policy (Custom) or by the path check (InvalidRequest).
        Err(Error::Custom(message)) | Err(Error::InvalidRequest(message)) => Err(message),
        // Sent: whatever the mock server answered.
        _ => Ok(()),
    }
}

/// Calls `operation` with `thread` and `message` as ids: `Err` with the
/// message when the policy refused it, `Ok` when it was sent.
async fn call(client: &Client, operation: &str, thread: &str, message: &str) -> Result<(), String> {
    match operation {
        "GetChatThreadProperties" => outcome(client.get_chat_thread_properties(thread).await),
        "DeleteChatThread" => outcome(client.delete_chat_thread(thread).await),
        "UpdateChatThreadProperties" => outcome(
            client
                .update_chat_thread_properties(thread, &Default::default())
                .await,
        ),
        "ListChatMessages" => outcome(client.list_chat_messages(thread, None, None).await),
        "SendChatMessage" => outcome(
            client
                .send_chat_message(
                    thread,
                    &types::SendChatMessageRequest {
                        content: "hi".into(),
                        metadata: HashMap::new(),
                        sender_display_name: None,
                        type_: None,
                    },
                )
                .await,
        ),
        "GetChatMessage" => outcome(client.get_chat_message(thread, message).await),
        "DeleteChatMessage" => outcome(client.delete_chat_message(thread, message).await),
        "UpdateChatMessage" => outcome(
            client
                .update_chat_message(thread, message, &Default::default())
                .await,
        ),
        "ListChatParticipants" => outcome(client.list_chat_participants(thread, None, None).await),
        "AddChatParticipants" => outcome(
            client
                .add_chat_participants(
                    thread,
                    &types::AddChatParticipantsRequest {
                        participants: vec![],
                    },
                )
                .await,
        ),
        "RemoveChatParticipant" => {
            let participant = types::CommunicationIdentifierModel {
                raw_id: Some("8:acs:someone".into()),
                ..Default::default()
            };
            outcome(client.remove_chat_participant(thread, &participant).await)
        }
        "ListChatReadReceipts" => outcome(client.list_chat_read_receipts(thread, None, None).await),
        "SendChatReadReceipt" => outcome(
            client
                .send_chat_read_receipt(
                    thread,
                    &types::SendReadReceiptRequest {
                        chat_message_id: message.into(),
                    },
                )
                .await,
        ),
        "SendTypingNotification" => outcome(
            client
                .send_typing_notification(thread, &Default::default())
                .await,
        ),
        other => panic!("no sample call for {other}"),
    }
}

const MESSAGE_OPERATIONS: [&str; 3] = ["GetChatMessage", "DeleteChatMessage", "UpdateChatMessage"];

#[tokio::test]
async fn real_ids_reach_the_server_intact() {
    let server = MockServer::start_async().await;
    let thread = server.mock(|when, then| {
        when.method(Method::GET)
            .path("/chat/threads/19:abc@thread.v2");
        then.status(200).json_body(json!({
            "id": THREAD,
            "topic": "t",
            "createdOn": "2024-01-01T00:00:00Z",
            "createdByCommunicationIdentifier": { "rawId": "8:acs:x" }
        }));
    });
    let message = server.mock(|when, then| {
        when.method(Method::DELETE)
            .path("/chat/threads/19:abc@thread.v2/messages/1685151486588");
        then.status(204);
    });
    let teams = server.mock(|when, then| {
        when.method(Method::POST)
            .path("/chat/threads/19:meeting_NjNmZTEz-OTJi@thread.tacv2/typing");
        then.status(200);
    });
    let client = client(&server);
    let got = client
        .get_chat_thread_properties(THREAD)
        .await
        .expect("thread")
        .into_inner();
    assert_eq!(got.id, THREAD);
    client
        .delete_chat_message(THREAD, MESSAGE)
        .await
        .expect("deleted");
    client
        .send_typing_notification("19:meeting_NjNmZTEz-OTJi@thread.tacv2", &Default::default())
        .await
        .expect("typing");
    assert_eq!(thread.calls_async().await, 1);
    assert_eq!(message.calls_async().await, 1);
    assert_eq!(teams.calls_async().await, 1);
}

/// `.`, `..` and the empty id would make URL parsing drop or merge path
/// segments (e.g. `/chat/threads/../messages` is `/chat/messages`): such a
/// request must never be sent, whatever the operation.
#[tokio::test]
async fn dot_segment_and_empty_ids_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    let catch_all = server.mock(|when, then| {
        when.any_request();
        then.status(200).json_body(json!({}));
    });
    let client = client(&server);
    let mut failures = Vec::new();
    let mut refused = 0;
    for bad in ["..", ".", ""] {
        for slot in [Slot::Thread, Slot::Message] {
            let (thread, message, operations) = match slot {
                Slot::Thread => (bad, MESSAGE, &THREAD_OPERATIONS[..]),
                Slot::Message => (THREAD, bad, &MESSAGE_OPERATIONS[..]),
            };
            for operation in operations {
                match call(&client, operation, thread, message).await {
                    Err(text)
                        if text.contains("refusing to send") && text.contains("does not match") =>
                    {
                        refused += 1
                    }
                    other => failures.push(format!(
                        "{operation} with {slot:?} id {bad:?}: expected a refusal, got {other:?}"
                    )),
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // 3 ids x (14 thread operations + 3 message operations).
    assert_eq!(refused, 3 * (14 + 3));
    assert_eq!(
        catch_all.calls_async().await,
        0,
        "a request reached the server"
    );
}

/// Encoded dots are not dot segments once the client has encoded the `%`:
/// `%2e%2e` is sent as the literal one-segment id `%252e%252e`, so it cannot
/// change the path either.
#[tokio::test]
async fn encoded_dot_ids_stay_one_literal_segment() {
    let server = MockServer::start_async().await;
    let cases = [
        ("%2e%2e", "%252e%252e"),
        ("%2E%2E", "%252E%252E"),
        (".%2e", ".%252e"),
        ("%2e", "%252e"),
        ("...", "..."),
        ("a..b", "a..b"),
    ];
    let client = client(&server);
    for (id, encoded) in cases {
        let thread = server.mock(|when, then| {
            when.method(Method::DELETE)
                .path(format!("/chat/threads/{encoded}"));
            then.status(204);
        });
        let message = server.mock(|when, then| {
            when.method(Method::DELETE)
                .path(format!("/chat/threads/19:abc@thread.v2/messages/{encoded}"));
            then.status(204);
        });
        client.delete_chat_thread(id).await.expect(id);
        client.delete_chat_message(THREAD, id).await.expect(id);
        assert_eq!(thread.calls_async().await, 1, "{id}");
        assert_eq!(message.calls_async().await, 1, "{id}");
        thread.delete_async().await;
        message.delete_async().await;
    }
}

/// Reserved characters are percent-encoded: the id stays one segment and the
/// server receives exactly this raw path.
#[tokio::test]
async fn reserved_characters_are_encoded_and_the_id_stays_one_segment() {
    let server = MockServer::start_async().await;
    let cases = [
        ("a/b", "a%2Fb"),
        ("a?b=c", "a%3Fb=c"),
        ("a#frag", "a%23frag"),
        ("100%", "100%25"),
        ("../x", "..%2Fx"),
        ("a/../../b", "a%2F..%2F..%2Fb"),
        ("sp ace", "sp%20ace"),
        ("19:a/b?c#d%e@thread.v2", "19:a%2Fb%3Fc%23d%25e@thread.v2"),
        ("スレッド", "%E3%82%B9%E3%83%AC%E3%83%83%E3%83%89"),
    ];
    let client = client(&server);
    for (id, encoded) in cases {
        let path = format!("/chat/threads/{encoded}/messages/{encoded}");
        let mock = server.mock(|when, then| {
            when.method(Method::DELETE)
                .path(path.clone())
                .query_param("api-version", acs_chat_rest::API_VERSION)
                .query_param_count("^.*$", ".*", 1);
            then.status(204);
        });
        client
            .delete_chat_message(id, id)
            .await
            .unwrap_or_else(|e| panic!("{id:?}: {e:?}"));
        assert_eq!(mock.calls_async().await, 1, "{id:?} was not sent as {path}");
        mock.delete_async().await;
    }
}

/// Counts how often a token is requested.
struct CountingTokens(Arc<AtomicUsize>);

impl TokenSource for CountingTokens {
    fn token(&self) -> BoxFuture<'_, Result<String, BoxError>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok(TOKEN.to_string()) })
    }
}

/// A bearer token over plain http to a non-loopback host is refused before
/// any connection (and before the token is even asked for). The `.invalid`
/// names cannot resolve, so a missing check would fail with a different error
/// rather than reach the network.
#[tokio::test]
async fn plain_http_to_a_non_loopback_host_is_refused() {
    for endpoint in [
        "http://contoso.communication.example.invalid",
        "http://localhost.example.invalid",
        "http://127.0.0.1.nip.example.invalid:8080",
    ] {
        let asked = Arc::new(AtomicUsize::new(0));
        let client = Client::new(
            endpoint,
            ClientState::new(StandardPolicy::new(CountingTokens(asked.clone()))),
        );
        match client.get_chat_thread_properties(THREAD).await {
            Err(Error::Custom(message)) => {
                assert!(message.contains("https"), "{endpoint}: {message}");
                assert!(message.contains("refusing"), "{endpoint}: {message}");
            }
            other => panic!("{endpoint}: expected a refusal, got {other:?}"),
        }
        assert_eq!(
            asked.load(Ordering::SeqCst),
            0,
            "{endpoint}: the token was requested"
        );
    }
}

#[tokio::test]
async fn plain_http_to_loopback_hosts_is_allowed() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method(Method::DELETE)
            .path("/chat/threads/19:abc@thread.v2");
        then.status(204);
    });
    for host in ["127.0.0.1", "localhost"] {
        let endpoint = format!("http://{host}:{}", server.port());
        let client = Client::new(&endpoint, ClientState::with_token(TOKEN));
        client
            .delete_chat_thread(THREAD)
            .await
            .unwrap_or_else(|e| panic!("{endpoint}: {e:?}"));
    }
    assert_eq!(mock.calls_async().await, 2);
}

#[test]
fn loopback_detection() {
    let loopback = [
        "http://localhost/",
        "http://LOCALHOST:8080/",
        "http://chat.localhost/",
        "http://127.0.0.1/",
        "http://127.1.2.3/",
        "http://[::1]:8080/",
    ];
    let not_loopback = [
        "http://example.com/",
        "http://localhost.example.com/",
        "http://127.0.0.1.example.com/",
        "http://10.0.0.1/",
        "http://[::2]/",
        "http://0.0.0.0/",
        "https://contoso.communication.azure.com/",
    ];
    for url in loopback {
        assert!(is_loopback(&reqwest::Url::parse(url).unwrap()), "{url}");
    }
    for url in not_loopback {
        assert!(!is_loopback(&reqwest::Url::parse(url).unwrap()), "{url}");
    }
}

/// A nextLink outside the endpoint's own path is refused even when it ends
/// like the operation's path: the endpoint's prefix is part of the route.
#[tokio::test]
async fn next_links_outside_the_endpoint_path_are_refused() {
    let server = MockServer::start_async().await;
    let catch_all = server.mock(|when, then| {
        when.any_request();
        then.status(200).json_body(json!({ "value": [] }));
    });
    let client = Client::new(
        &format!("{}/acs", server.base_url()),
        ClientState::with_token("t"),
    );
    let outside = reqwest::Url::parse(&format!(
        "{}/chat/threads/19:a@thread.v2/messages",
        server.base_url()
    ))
    .unwrap();
    match client.get_next_page("ListChatMessages", outside).await {
        Err(Error::InvalidRequest(message)) => assert!(message.contains("not under"), "{message}"),
        other => panic!("expected a refusal, got {:?}", other.map(|r| r.status())),
    }
    let inside = reqwest::Url::parse(&format!(
        "{}/acs/chat/threads/19:a@thread.v2/messages?syncState=x",
        server.base_url()
    ))
    .unwrap();
    let response = client
        .get_next_page("ListChatMessages", inside)
        .await
        .expect("a link under the endpoint is followed");
    assert_eq!(response.status(), 200);
    assert_eq!(catch_all.calls_async().await, 1);
}

/// The generated operations escape ids with `encode_path_segment`, which
/// must escape exactly as progenitor's `encode_path` (the server decodes
/// what it sends): every ASCII byte, some non-ASCII, and ids as they come.
#[test]
fn encode_path_segment_escapes_exactly_as_progenitor() {
    let mut cases: Vec<String> = (0u8..128).map(|b| char::from(b).to_string()).collect();
    cases.extend(
        [
            "19:a1b2@thread.v2",
            "1700000000000",
            "a/b c%d?e#f",
            "..",
            "",
            "é😀",
            "x\u{7f}y",
            "{id}",
            "8:acs:r_user",
        ]
        .map(String::from),
    );
    for case in cases {
        assert_eq!(
            acs_chat_rest::encode_path_segment(&case),
            progenitor_client::encode_path(&case),
            "{case:?}"
        );
    }
}

/// Each route's literal parts are its template with the parameters taken
/// out, so the path check tests what the template says.
#[test]
fn every_route_s_path_parts_rebuild_its_template() {
    for route in acs_chat_rest::OPERATION_ROUTES {
        let params = route.path.matches('{').count();
        assert_eq!(route.path_parts.len(), params + 1, "{}", route.path);
        let mut rebuilt = String::new();
        let names: Vec<&str> = route
            .path
            .split('/')
            .filter(|s| s.starts_with('{'))
            .collect();
        for (i, part) in route.path_parts.iter().enumerate() {
            rebuilt.push_str(part);
            if let Some(name) = names.get(i) {
                rebuilt.push_str(name);
            }
        }
        assert_eq!(rebuilt, route.path);
    }
}

/// `set_api_version` leaves the generated operations' query alone and
/// repairs any other.
#[test]
fn set_api_version_keeps_one_current_version() {
    let cases = [
        (
            "http://h/p?api-version=2025-03-15",
            "api-version=2025-03-15",
        ),
        (
            "http://h/p?api-version=2025-03-15&maxPageSize=5",
            "api-version=2025-03-15&maxPageSize=5",
        ),
        ("http://h/p", "api-version=2025-03-15"),
        (
            "http://h/p?syncState=x&api-version=2021-09-07",
            "syncState=x&api-version=2025-03-15",
        ),
        (
            "http://h/p?api-version=2025-03-15&api-version=1999-01-01",
            "api-version=2025-03-15",
        ),
        (
            "http://h/p?api-version=2025-03-150",
            "api-version=2025-03-15",
        ),
    ];
    for (url, query) in cases {
        let mut url = reqwest::Url::parse(url).unwrap();
        acs_chat_rest::set_api_version(&mut url);
        assert_eq!(url.query(), Some(query), "{url}");
    }
}
