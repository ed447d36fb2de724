//! Every operation of the raw client against a local httpmock server
//! (127.0.0.1 only): method, exact raw path, query, the headers the
//! [`StandardPolicy`] adds, the exact JSON body, the decoding of the success
//! body, and the decoding of `CommunicationErrorResponse` bodies into
//! [`Error::ErrorResponse`]. Then the pluggable parts: `Client::new` with
//! `ClientState::with_token`, a custom [`RequestPolicy`], a refreshing
//! [`TokenSource`] and `Client::get_next_page`.
//!
//! The typed `acs_chat_rest::mock` helpers are exercised in the
//! `typed_mock_helpers` module at the end (feature `httpmock`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use acs_chat_rest::types;
use acs_chat_rest::{
    BoxError, BoxFuture, Client, ClientState, Error, OperationRoute, RequestPolicy, StandardPolicy,
    TokenSource, API_VERSION, CLIENT_REQUEST_ID_HEADER, OPERATION_ROUTES, USER_AGENT_PRODUCT,
};
use chrono::{DateTime, TimeZone, Utc};
use httpmock::{HttpMockRequest, Method, MockServer, Then, When};
use serde_json::{json, Value};

/// A real-looking thread id: `:` and `@` must reach the server unencoded.
const THREAD: &str = "19:abc-def@thread.v2";
const MESSAGE: &str = "1685151486588";
const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.acs-test-token";
const USER_1: &str =
    "8:acs:8540c0de-899f-5cce-acb5-3ec493af3800_c94ff260-162d-46d6-94fd-e79f4d213715";
const USER_2: &str =
    "8:acs:8540c0de-899f-5cce-acb5-3ec493af3800_0e59221d-0c1d-46ae-9544-c963ce56c10b";

const THREAD_PATH: &str = "/chat/threads/19:abc-def@thread.v2";
const MESSAGE_PATH: &str = "/chat/threads/19:abc-def@thread.v2/messages/1685151486588";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn client(server: &MockServer) -> Client {
    Client::new(&server.base_url(), ClientState::with_token(TOKEN))
}

fn header<'r>(req: &'r HttpMockRequest, name: &str) -> Option<&'r str> {
    req.headers_vec()
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

fn has_uuid_request_id(req: &HttpMockRequest) -> bool {
    header(req, CLIENT_REQUEST_ID_HEADER)
        .and_then(|id| uuid::Uuid::parse_str(id).ok())
        .is_some()
}

/// What the [`StandardPolicy`] puts on every request.
fn standard(when: When) -> When {
    when.query_param("api-version", API_VERSION)
        .query_param_count("^api-version$", ".*", 1)
        .header("authorization", format!("Bearer {TOKEN}"))
        .header_prefix("user-agent", "acs-chat-rest/")
        .header("accept", "application/json")
        // progenitor also emits an `api-version` header; the policy drops it.
        .header_missing("api-version")
        .is_true(has_uuid_request_id)
}

/// A request without a body.
fn no_body(when: When) -> When {
    when.header_missing("content-type")
        .is_true(|req| req.body_ref().is_empty())
}

/// A JSON request body, compared exactly.
fn json_request(when: When, body: Value) -> When {
    when.header("content-type", "application/json")
        .json_body(body)
}

/// A JSON merge patch request body, compared exactly.
fn merge_patch_request(when: When, body: Value) -> When {
    when.header("content-type", "application/merge-patch+json")
        .json_body(body)
}

fn json_response(then: Then, status: u16, body: Value) {
    then.status(status)
        .header("content-type", "application/json")
        .json_body(body);
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("valid RFC 3339")
        .with_timezone(&Utc)
}

fn acs_user_json(id: &str) -> Value {
    json!({ "kind": "communicationUser", "rawId": id, "communicationUser": { "id": id } })
}

fn acs_user(id: &str) -> types::CommunicationIdentifierModel {
    types::CommunicationIdentifierModel {
        kind: Some(types::CommunicationIdentifierModelKind::CommunicationUser),
        raw_id: Some(id.to_string()),
        communication_user: Some(types::CommunicationUserIdentifierModel { id: id.to_string() }),
        ..Default::default()
    }
}

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A message body with every field of `ChatMessage` and of its content set.
fn full_message_json() -> Value {
    json!({
        "id": MESSAGE,
        "type": "html",
        "sequenceId": "42",
        "version": "1685151499999",
        "content": {
            "message": "<p>Lunch?</p>",
            "topic": "Lunch plans",
            "participants": [{
                "communicationIdentifier": acs_user_json(USER_2),
                "displayName": "Alex",
                "shareHistoryTime": "2024-05-01T09:00:00Z",
                "metadata": { "team": "blue" }
            }],
            "attachments": [{
                "id": "att-1",
                "attachmentType": "image",
                "name": "menu.png",
                "url": "https://contoso.example/menu.png",
                "previewUrl": "https://contoso.example/menu-small.png"
            }, {
                "id": "att-2",
                "attachmentType": "file",
                "name": "menu.pdf",
                "url": "https://contoso.example/menu.pdf"
            }],
            "initiatorCommunicationIdentifier": acs_user_json(USER_1)
        },
        "senderDisplayName": "Jane",
        "createdOn": "2024-05-01T10:00:00.123Z",
        "senderCommunicationIdentifier": acs_user_json(USER_1),
        "deletedOn": "2024-05-03T08:00:00Z",
        "editedOn": "2024-05-02T11:30:00+02:00",
        "metadata": { "deliveryMode": "push", "priority": "high" }
    })
}

fn assert_full_message(message: &types::ChatMessage) {
    assert_eq!(message.id, MESSAGE);
    assert_eq!(message.type_, types::ChatMessageType::Html);
    assert_eq!(message.sequence_id, "42");
    assert_eq!(message.version, "1685151499999");
    assert_eq!(message.sender_display_name.as_deref(), Some("Jane"));
    assert_eq!(message.created_on, utc("2024-05-01T10:00:00.123Z"));
    assert_eq!(message.deleted_on, Some(utc("2024-05-03T08:00:00Z")));
    assert_eq!(message.edited_on, Some(utc("2024-05-02T09:30:00Z")));
    assert_eq!(
        message.sender_communication_identifier,
        Some(acs_user(USER_1))
    );
    assert_eq!(
        message.metadata,
        map(&[("deliveryMode", "push"), ("priority", "high")])
    );
    let content = message.content.as_ref().expect("content");
    assert_eq!(content.message.as_deref(), Some("<p>Lunch?</p>"));
    assert_eq!(content.topic.as_deref(), Some("Lunch plans"));
    assert_eq!(
        content.initiator_communication_identifier,
        Some(acs_user(USER_1))
    );
    assert_eq!(content.participants.len(), 1);
    let participant = &content.participants[0];
    assert_eq!(participant.communication_identifier, acs_user(USER_2));
    assert_eq!(participant.display_name.as_deref(), Some("Alex"));
    assert_eq!(
        participant.share_history_time,
        Some(utc("2024-05-01T09:00:00Z"))
    );
    assert_eq!(participant.metadata, map(&[("team", "blue")]));
    assert_eq!(content.attachments.len(), 2);
    let image = &content.attachments[0];
    assert_eq!(image.id, "att-1");
    assert_eq!(image.attachment_type, types::ChatAttachmentType::Image);
    assert_eq!(image.name.as_deref(), Some("menu.png"));
    assert_eq!(
        image.url.as_deref(),
        Some("https://contoso.example/menu.png")
    );
    assert_eq!(
        image.preview_url.as_deref(),
        Some("https://contoso.example/menu-small.png")
    );
    let file = &content.attachments[1];
    assert_eq!(file.attachment_type, types::ChatAttachmentType::File);
    assert_eq!(file.preview_url, None);
}

fn thread_properties_json() -> Value {
    json!({
        "id": THREAD,
        "topic": "Lunch",
        "createdOn": "2024-05-01T10:00:00Z",
        "createdByCommunicationIdentifier": acs_user_json(USER_1),
        "deletedOn": "2024-06-01T00:00:00Z",
        "metadata": { "project": "apollo" },
        "retentionPolicy": { "kind": "threadCreationDate", "deleteThreadAfterDays": 90 }
    })
}

fn assert_thread_properties(thread: &types::ChatThreadProperties) {
    assert_eq!(thread.id, THREAD);
    assert_eq!(thread.topic, "Lunch");
    assert_eq!(thread.created_on, utc("2024-05-01T10:00:00Z"));
    assert_eq!(thread.created_by_communication_identifier, acs_user(USER_1));
    assert_eq!(thread.deleted_on, Some(utc("2024-06-01T00:00:00Z")));
    assert_eq!(thread.metadata, map(&[("project", "apollo")]));
    let policy = thread.retention_policy.as_ref().expect("retention policy");
    assert_eq!(policy.kind, types::RetentionPolicyKind::ThreadCreationDate);
    assert_eq!(policy.delete_thread_after_days, Some(90));
}

/// The error envelope of the service, with every field set.
fn error_json(code: &str) -> Value {
    json!({
        "error": {
            "code": code,
            "message": "User is not allowed to perform specified action.",
            "target": "chatThreadId",
            "details": [{
                "code": "PermissionDenied",
                "message": "The caller is not a participant.",
                "target": USER_1
            }],
            "innererror": {
                "code": "ThreadAccessDenied",
                "message": "Inner error text.",
                "innererror": { "code": "Deepest", "message": "Nested inner error." }
            }
        }
    })
}

fn assert_error_response<T: std::fmt::Debug>(
    result: Result<T, Error<types::CommunicationErrorResponse>>,
    status: u16,
    code: &str,
) {
    match result {
        Err(Error::ErrorResponse(response)) => {
            assert_eq!(response.status().as_u16(), status);
            let error = response.into_inner().error;
            assert_eq!(error.code, code);
            assert_eq!(
                error.message,
                "User is not allowed to perform specified action."
            );
            assert_eq!(error.target.as_deref(), Some("chatThreadId"));
            assert_eq!(error.details.len(), 1);
            assert_eq!(error.details[0].code, "PermissionDenied");
            assert_eq!(error.details[0].target.as_deref(), Some(USER_1));
            let inner = error.innererror.expect("innererror");
            assert_eq!(inner.code, "ThreadAccessDenied");
            assert_eq!(inner.innererror.expect("nested innererror").code, "Deepest");
        }
        other => panic!("expected ErrorResponse({status}, {code}), got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// The route table
// ---------------------------------------------------------------------------

/// `(operationId, method, path template, merge patch)` from `openapi/chat.json`.
const ROUTES: [(&str, &str, &str, bool); 16] = [
    ("ListChatThreads", "GET", "/chat/threads", false),
    ("CreateChatThread", "POST", "/chat/threads", false),
    (
        "GetChatThreadProperties",
        "GET",
        "/chat/threads/{chatThreadId}",
        false,
    ),
    (
        "DeleteChatThread",
        "DELETE",
        "/chat/threads/{chatThreadId}",
        false,
    ),
    (
        "UpdateChatThreadProperties",
        "PATCH",
        "/chat/threads/{chatThreadId}",
        true,
    ),
    (
        "ListChatMessages",
        "GET",
        "/chat/threads/{chatThreadId}/messages",
        false,
    ),
    (
        "SendChatMessage",
        "POST",
        "/chat/threads/{chatThreadId}/messages",
        false,
    ),
    (
        "GetChatMessage",
        "GET",
        "/chat/threads/{chatThreadId}/messages/{chatMessageId}",
        false,
    ),
    (
        "DeleteChatMessage",
        "DELETE",
        "/chat/threads/{chatThreadId}/messages/{chatMessageId}",
        false,
    ),
    (
        "UpdateChatMessage",
        "PATCH",
        "/chat/threads/{chatThreadId}/messages/{chatMessageId}",
        true,
    ),
    (
        "ListChatParticipants",
        "GET",
        "/chat/threads/{chatThreadId}/participants",
        false,
    ),
    (
        "AddChatParticipants",
        "POST",
        "/chat/threads/{chatThreadId}/participants/:add",
        false,
    ),
    (
        "RemoveChatParticipant",
        "POST",
        "/chat/threads/{chatThreadId}/participants/:remove",
        false,
    ),
    (
        "ListChatReadReceipts",
        "GET",
        "/chat/threads/{chatThreadId}/readReceipts",
        false,
    ),
    (
        "SendChatReadReceipt",
        "POST",
        "/chat/threads/{chatThreadId}/readReceipts",
        false,
    ),
    (
        "SendTypingNotification",
        "POST",
        "/chat/threads/{chatThreadId}/typing",
        false,
    ),
];

fn concrete_path(template: &str) -> String {
    template
        .replace("{chatThreadId}", THREAD)
        .replace("{chatMessageId}", MESSAGE)
}

fn http_method(method: &str) -> Method {
    method.parse().expect("an HTTP method")
}

#[test]
fn route_table_lists_the_sixteen_operations_of_the_description() {
    let actual: Vec<(&str, &str, &str, bool)> = OPERATION_ROUTES
        .iter()
        .map(|r| (r.operation_id, r.method, r.path, r.merge_patch))
        .collect();
    let mut expected = ROUTES.to_vec();
    let mut sorted_actual = actual.clone();
    expected.sort();
    sorted_actual.sort();
    assert_eq!(sorted_actual, expected);
    for (id, ..) in ROUTES {
        let route = OperationRoute::find(id).expect(id);
        assert_eq!(route.operation_id, id);
    }
    assert_eq!(OperationRoute::find("NoSuchOperation"), None);
}

/// Calls one operation with sample arguments; the success value is reduced to
/// its status code.
async fn invoke(
    client: &Client,
    operation_id: &str,
) -> Result<u16, Error<types::CommunicationErrorResponse>> {
    let t = utc("2024-05-01T10:00:00Z");
    Ok(match operation_id {
        "ListChatThreads" => client.list_chat_threads(None, None).await?.status(),
        "CreateChatThread" => {
            let body = types::CreateChatThreadRequest {
                topic: "Lunch".into(),
                participants: vec![],
                metadata: HashMap::new(),
                retention_policy: None,
            };
            client.create_chat_thread(None, &body).await?.status()
        }
        "GetChatThreadProperties" => client.get_chat_thread_properties(THREAD).await?.status(),
        "DeleteChatThread" => client.delete_chat_thread(THREAD).await?.status(),
        "UpdateChatThreadProperties" => {
            let body = types::UpdateChatThreadRequest {
                topic: Some("New".into()),
                ..Default::default()
            };
            client
                .update_chat_thread_properties(THREAD, &body)
                .await?
                .status()
        }
        "ListChatMessages" => client
            .list_chat_messages(THREAD, Some(1), Some(&t))
            .await?
            .status(),
        "SendChatMessage" => {
            let body = types::SendChatMessageRequest {
                content: "hi".into(),
                metadata: HashMap::new(),
                sender_display_name: None,
                type_: None,
            };
            client.send_chat_message(THREAD, &body).await?.status()
        }
        "GetChatMessage" => client.get_chat_message(THREAD, MESSAGE).await?.status(),
        "DeleteChatMessage" => client.delete_chat_message(THREAD, MESSAGE).await?.status(),
        "UpdateChatMessage" => {
            let body = types::UpdateChatMessageRequest {
                content: Some("edited".into()),
                ..Default::default()
            };
            client
                .update_chat_message(THREAD, MESSAGE, &body)
                .await?
                .status()
        }
        "ListChatParticipants" => client
            .list_chat_participants(THREAD, Some(1), Some(0))
            .await?
            .status(),
        "AddChatParticipants" => {
            let body = types::AddChatParticipantsRequest {
                participants: vec![types::ChatParticipant {
                    communication_identifier: acs_user(USER_2),
                    display_name: None,
                    metadata: HashMap::new(),
                    share_history_time: None,
                }],
            };
            client.add_chat_participants(THREAD, &body).await?.status()
        }
        "RemoveChatParticipant" => client
            .remove_chat_participant(THREAD, &acs_user(USER_2))
            .await?
            .status(),
        "ListChatReadReceipts" => client
            .list_chat_read_receipts(THREAD, Some(1), Some(0))
            .await?
            .status(),
        "SendChatReadReceipt" => {
            let body = types::SendReadReceiptRequest {
                chat_message_id: MESSAGE.into(),
            };
            client.send_chat_read_receipt(THREAD, &body).await?.status()
        }
        "SendTypingNotification" => client
            .send_typing_notification(THREAD, &Default::default())
            .await?
            .status(),
        other => panic!("no sample call for {other}"),
    }
    .as_u16())
}

// ---------------------------------------------------------------------------
// One test per operation
// ---------------------------------------------------------------------------

#[tokio::test]
async fn create_chat_thread() {
    let server = MockServer::start_async().await;
    let repeatability_id = "35dd6e71-251b-5e29-8376-ba93d09c3fbf";
    let request = types::CreateChatThreadRequest {
        topic: "Lunch".into(),
        participants: vec![types::ChatParticipant {
            communication_identifier: acs_user(USER_1),
            display_name: Some("Jane".into()),
            metadata: map(&[("role", "host")]),
            share_history_time: Some(utc("2024-01-01T00:00:00Z")),
        }],
        metadata: map(&[("project", "apollo")]),
        retention_policy: Some(types::ChatRetentionPolicy {
            kind: types::RetentionPolicyKind::ThreadCreationDate,
            delete_thread_after_days: Some(90),
        }),
    };
    let expected_body = json!({
        "topic": "Lunch",
        "participants": [{
            "communicationIdentifier": acs_user_json(USER_1),
            "displayName": "Jane",
            "metadata": { "role": "host" },
            "shareHistoryTime": "2024-01-01T00:00:00Z"
        }],
        "metadata": { "project": "apollo" },
        "retentionPolicy": { "kind": "threadCreationDate", "deleteThreadAfterDays": 90 }
    });
    let mock = server.mock(|when, then| {
        let when = standard(when.method(Method::POST).path("/chat/threads"))
            .header("repeatability-request-id", repeatability_id);
        json_request(when, expected_body.clone());
        json_response(
            then,
            201,
            json!({
                "chatThread": thread_properties_json(),
                "invalidParticipants": [{
                    "code": "403",
                    "message": "Permissions check failed",
                    "target": USER_2
                }]
            }),
        );
    });
    let response = client(&server)
        .create_chat_thread(Some(repeatability_id), &request)
        .await
        .expect("created");
    assert_eq!(response.status().as_u16(), 201);
    let result = response.into_inner();
    assert_thread_properties(result.chat_thread.as_ref().expect("chatThread"));
    assert_eq!(result.invalid_participants.len(), 1);
    assert_eq!(result.invalid_participants[0].code, "403");
    assert_eq!(
        result.invalid_participants[0].message,
        "Permissions check failed"
    );
    assert_eq!(
        result.invalid_participants[0].target.as_deref(),
        Some(USER_2)
    );
    assert_eq!(mock.calls_async().await, 1);

    // Without an idempotency key the header is absent, and a minimal body is
    // just the topic.
    let minimal = server.mock(|when, then| {
        let when = standard(when.method(Method::POST).path("/chat/threads"))
            .header_missing("repeatability-request-id");
        json_request(when, json!({ "topic": "Bare" }));
        json_response(then, 201, json!({}));
    });
    let bare = types::CreateChatThreadRequest {
        topic: "Bare".into(),
        participants: vec![],
        metadata: HashMap::new(),
        retention_policy: None,
    };
    let result = client(&server)
        .create_chat_thread(None, &bare)
        .await
        .expect("created")
        .into_inner();
    assert_eq!(result, types::CreateChatThreadResult::default());
    assert_eq!(minimal.calls_async().await, 1);
}

#[tokio::test]
async fn list_chat_threads() {
    let server = MockServer::start_async().await;
    let next_link = format!(
        "{}/chat/threads?syncState=abc&maxPageSize=2&api-version={API_VERSION}",
        server.base_url()
    );
    let paged = server.mock(|when, then| {
        no_body(standard(when.method(Method::GET).path("/chat/threads")))
            .query_param("maxPageSize", "2")
            .query_param("startTime", "2024-05-01T10:00:00.123Z");
        json_response(
            then,
            200,
            json!({
                "value": [{
                    "id": THREAD,
                    "topic": "Lunch",
                    "deletedOn": "2024-05-04T00:00:00Z",
                    "lastMessageReceivedOn": "2024-05-03T12:00:00Z"
                }, {
                    "id": "19:other@thread.v2",
                    "topic": "Dinner"
                }],
                "nextLink": next_link
            }),
        );
    });
    let start = utc("2024-05-01T10:00:00.123Z");
    let page = client(&server)
        .list_chat_threads(Some(2), Some(&start))
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(page.value.len(), 2);
    assert_eq!(page.value[0].id, THREAD);
    assert_eq!(page.value[0].topic, "Lunch");
    assert_eq!(page.value[0].deleted_on, Some(utc("2024-05-04T00:00:00Z")));
    assert_eq!(
        page.value[0].last_message_received_on,
        Some(utc("2024-05-03T12:00:00Z"))
    );
    assert_eq!(page.value[1].id, "19:other@thread.v2");
    assert_eq!(page.value[1].deleted_on, None);
    assert_eq!(page.next_link.as_deref(), Some(next_link.as_str()));
    assert_eq!(paged.calls_async().await, 1);

    // Without paging parameters the query holds only the api-version.
    let unpaged = server.mock(|when, then| {
        no_body(standard(when.method(Method::GET).path("/chat/threads")))
            .query_param_missing("maxPageSize")
            .query_param_missing("startTime");
        json_response(then, 200, json!({ "value": [] }));
    });
    let page = client(&server)
        .list_chat_threads(None, None)
        .await
        .expect("listed")
        .into_inner();
    assert!(page.value.is_empty());
    assert_eq!(page.next_link, None);
    assert_eq!(unpaged.calls_async().await, 1);
}

#[tokio::test]
async fn get_chat_thread_properties() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        no_body(standard(when.method(Method::GET).path(THREAD_PATH)));
        json_response(then, 200, thread_properties_json());
    });
    let thread = client(&server)
        .get_chat_thread_properties(THREAD)
        .await
        .expect("properties")
        .into_inner();
    assert_thread_properties(&thread);
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn update_chat_thread_properties() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        merge_patch_request(
            standard(when.method(Method::PATCH).path(THREAD_PATH)),
            json!({
                "topic": "Dinner",
                "metadata": { "project": "gemini" },
                "retentionPolicy": { "kind": "none" }
            }),
        );
        then.status(204);
    });
    let body = types::UpdateChatThreadRequest {
        topic: Some("Dinner".into()),
        metadata: map(&[("project", "gemini")]),
        retention_policy: Some(types::ChatRetentionPolicy {
            kind: types::RetentionPolicyKind::None,
            delete_thread_after_days: None,
        }),
    };
    let response = client(&server)
        .update_chat_thread_properties(THREAD, &body)
        .await
        .expect("updated");
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn delete_chat_thread() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        no_body(standard(when.method(Method::DELETE).path(THREAD_PATH)));
        then.status(204);
    });
    let response = client(&server)
        .delete_chat_thread(THREAD)
        .await
        .expect("deleted");
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn send_chat_message() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        json_request(
            standard(
                when.method(Method::POST)
                    .path(format!("{THREAD_PATH}/messages")),
            ),
            json!({
                "content": "<b>hello</b>",
                "senderDisplayName": "Jane",
                "type": "html",
                "metadata": { "tag": "greeting" }
            }),
        );
        json_response(then, 201, json!({ "id": MESSAGE }));
    });
    let body = types::SendChatMessageRequest {
        content: "<b>hello</b>".into(),
        sender_display_name: Some("Jane".into()),
        type_: Some(types::ChatMessageType::Html),
        metadata: map(&[("tag", "greeting")]),
    };
    let response = client(&server)
        .send_chat_message(THREAD, &body)
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(response.into_inner().id, MESSAGE);
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn list_chat_messages() {
    let server = MockServer::start_async().await;
    let next_link = format!(
        "{}{THREAD_PATH}/messages?syncState=s1&maxPageSize=50&api-version={API_VERSION}",
        server.base_url()
    );
    let mock = server.mock(|when, then| {
        no_body(standard(
            when.method(Method::GET)
                .path(format!("{THREAD_PATH}/messages")),
        ))
        .query_param("maxPageSize", "50")
        .query_param("startTime", "2024-05-01T00:00:00Z");
        json_response(
            then,
            200,
            json!({ "value": [full_message_json()], "nextLink": next_link }),
        );
    });
    let start = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
    let page = client(&server)
        .list_chat_messages(THREAD, Some(50), Some(&start))
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(page.value.len(), 1);
    assert_full_message(&page.value[0]);
    assert_eq!(page.next_link.as_deref(), Some(next_link.as_str()));
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn get_chat_message() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        no_body(standard(when.method(Method::GET).path(MESSAGE_PATH)));
        json_response(then, 200, full_message_json());
    });
    let message = client(&server)
        .get_chat_message(THREAD, MESSAGE)
        .await
        .expect("message")
        .into_inner();
    assert_full_message(&message);
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn update_chat_message() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        merge_patch_request(
            standard(when.method(Method::PATCH).path(MESSAGE_PATH)),
            json!({ "content": "edited", "metadata": { "edited": "yes" } }),
        );
        then.status(204);
    });
    let body = types::UpdateChatMessageRequest {
        content: Some("edited".into()),
        metadata: map(&[("edited", "yes")]),
    };
    let response = client(&server)
        .update_chat_message(THREAD, MESSAGE, &body)
        .await
        .expect("updated");
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn delete_chat_message() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        no_body(standard(when.method(Method::DELETE).path(MESSAGE_PATH)));
        then.status(204);
    });
    let response = client(&server)
        .delete_chat_message(THREAD, MESSAGE)
        .await
        .expect("deleted");
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn list_chat_participants() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        no_body(standard(
            when.method(Method::GET)
                .path(format!("{THREAD_PATH}/participants")),
        ))
        .query_param("maxPageSize", "20")
        .query_param("skip", "40");
        json_response(
            then,
            200,
            json!({
                "value": [{
                    "communicationIdentifier": acs_user_json(USER_1),
                    "displayName": "Jane",
                    "shareHistoryTime": "2024-05-01T00:00:00Z",
                    "metadata": { "role": "host" }
                }, {
                    "communicationIdentifier": {
                        "kind": "phoneNumber",
                        "rawId": "4:+14255550123",
                        "phoneNumber": { "value": "+14255550123", "isAnonymous": false, "assertedId": "leg-2" }
                    }
                }, {
                    "communicationIdentifier": {
                        "kind": "microsoftTeamsUser",
                        "rawId": "8:orgid:45ab2481-1c1c-4005-be24-0ffb879b1130",
                        "microsoftTeamsUser": {
                            "userId": "45ab2481-1c1c-4005-be24-0ffb879b1130",
                            "isAnonymous": false,
                            "cloud": "gcch"
                        }
                    }
                }, {
                    "communicationIdentifier": {
                        "kind": "microsoftTeamsApp",
                        "rawId": "28:orgid:01234567-89ab-cdef-0123-456789abcdef",
                        "microsoftTeamsApp": { "appId": "01234567-89ab-cdef-0123-456789abcdef", "cloud": "dod" }
                    }
                }, {
                    "communicationIdentifier": {
                        "kind": "teamsExtensionUser",
                        "rawId": "8:acs:resource_tenant_user",
                        "teamsExtensionUser": {
                            "userId": "user",
                            "tenantId": "tenant",
                            "resourceId": "resource",
                            "cloud": "public"
                        }
                    }
                }],
                "nextLink": "https://contoso.communication.azure.com/next"
            }),
        );
    });
    let page = client(&server)
        .list_chat_participants(THREAD, Some(20), Some(40))
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(page.value.len(), 5);
    assert_eq!(page.value[0].communication_identifier, acs_user(USER_1));
    assert_eq!(page.value[0].display_name.as_deref(), Some("Jane"));
    assert_eq!(
        page.value[0].share_history_time,
        Some(utc("2024-05-01T00:00:00Z"))
    );
    assert_eq!(page.value[0].metadata, map(&[("role", "host")]));

    let phone = &page.value[1].communication_identifier;
    assert_eq!(
        phone.kind,
        Some(types::CommunicationIdentifierModelKind::PhoneNumber)
    );
    let number = phone.phone_number.as_ref().expect("phoneNumber");
    assert_eq!(number.value, "+14255550123");
    assert_eq!(number.is_anonymous, Some(false));
    assert_eq!(number.asserted_id.as_deref(), Some("leg-2"));

    let teams = page.value[2]
        .communication_identifier
        .microsoft_teams_user
        .as_ref()
        .expect("microsoftTeamsUser");
    assert_eq!(teams.user_id, "45ab2481-1c1c-4005-be24-0ffb879b1130");
    assert_eq!(
        teams.cloud,
        Some(types::CommunicationCloudEnvironmentModel::Gcch)
    );

    let app = page.value[3]
        .communication_identifier
        .microsoft_teams_app
        .as_ref()
        .expect("microsoftTeamsApp");
    assert_eq!(app.app_id, "01234567-89ab-cdef-0123-456789abcdef");
    assert_eq!(
        app.cloud,
        Some(types::CommunicationCloudEnvironmentModel::Dod)
    );

    let extension = &page.value[4].communication_identifier;
    assert_eq!(
        extension.kind,
        Some(types::CommunicationIdentifierModelKind::TeamsExtensionUser)
    );
    let extension = extension
        .teams_extension_user
        .as_ref()
        .expect("teamsExtensionUser");
    assert_eq!(
        (
            extension.user_id.as_str(),
            extension.tenant_id.as_str(),
            extension.resource_id.as_str()
        ),
        ("user", "tenant", "resource")
    );
    assert_eq!(
        extension.cloud,
        Some(types::CommunicationCloudEnvironmentModel::Public)
    );
    assert_eq!(
        page.next_link.as_deref(),
        Some("https://contoso.communication.azure.com/next")
    );
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn add_chat_participants() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        json_request(
            standard(
                when.method(Method::POST)
                    .path(format!("{THREAD_PATH}/participants/:add")),
            ),
            json!({
                "participants": [{
                    "communicationIdentifier": acs_user_json(USER_2),
                    "displayName": "Alex",
                    "shareHistoryTime": "2024-05-01T00:00:00Z"
                }]
            }),
        );
        json_response(
            then,
            201,
            json!({
                "invalidParticipants": [{
                    "code": "404",
                    "message": "Not found",
                    "target": USER_2
                }]
            }),
        );
    });
    let body = types::AddChatParticipantsRequest {
        participants: vec![types::ChatParticipant {
            communication_identifier: acs_user(USER_2),
            display_name: Some("Alex".into()),
            metadata: HashMap::new(),
            share_history_time: Some(utc("2024-05-01T00:00:00Z")),
        }],
    };
    let response = client(&server)
        .add_chat_participants(THREAD, &body)
        .await
        .expect("added");
    assert_eq!(response.status().as_u16(), 201);
    let result = response.into_inner();
    assert_eq!(result.invalid_participants.len(), 1);
    assert_eq!(result.invalid_participants[0].code, "404");
    assert_eq!(
        result.invalid_participants[0].target.as_deref(),
        Some(USER_2)
    );
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn remove_chat_participant() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        json_request(
            standard(
                when.method(Method::POST)
                    .path(format!("{THREAD_PATH}/participants/:remove")),
            ),
            acs_user_json(USER_2),
        );
        then.status(204);
    });
    let response = client(&server)
        .remove_chat_participant(THREAD, &acs_user(USER_2))
        .await
        .expect("removed");
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn send_chat_read_receipt() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        json_request(
            standard(
                when.method(Method::POST)
                    .path(format!("{THREAD_PATH}/readReceipts")),
            ),
            json!({ "chatMessageId": MESSAGE }),
        );
        then.status(200);
    });
    let body = types::SendReadReceiptRequest {
        chat_message_id: MESSAGE.into(),
    };
    let response = client(&server)
        .send_chat_read_receipt(THREAD, &body)
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn list_chat_read_receipts() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        no_body(standard(
            when.method(Method::GET)
                .path(format!("{THREAD_PATH}/readReceipts")),
        ))
        .query_param("maxPageSize", "5")
        .query_param("skip", "0");
        json_response(
            then,
            200,
            json!({
                "value": [{
                    "senderCommunicationIdentifier": acs_user_json(USER_2),
                    "chatMessageId": MESSAGE,
                    "readOn": "2024-05-01T10:05:00Z"
                }],
                "nextLink": "https://contoso.communication.azure.com/receipts-next"
            }),
        );
    });
    let page = client(&server)
        .list_chat_read_receipts(THREAD, Some(5), Some(0))
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(page.value.len(), 1);
    assert_eq!(page.value[0].chat_message_id, MESSAGE);
    assert_eq!(page.value[0].read_on, utc("2024-05-01T10:05:00Z"));
    assert_eq!(
        page.value[0].sender_communication_identifier,
        acs_user(USER_2)
    );
    assert_eq!(
        page.next_link.as_deref(),
        Some("https://contoso.communication.azure.com/receipts-next")
    );
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn send_typing_notification() {
    let server = MockServer::start_async().await;
    let named = server.mock(|when, then| {
        json_request(
            standard(
                when.method(Method::POST)
                    .path(format!("{THREAD_PATH}/typing")),
            ),
            json!({ "senderDisplayName": "Jane" }),
        );
        then.status(200);
    });
    let body = types::SendTypingNotificationRequest {
        sender_display_name: Some("Jane".into()),
    };
    let response = client(&server)
        .send_typing_notification(THREAD, &body)
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(named.calls_async().await, 1);

    // The optional body: an empty object, as the Python SDK sends it.
    let anonymous = server.mock(|when, then| {
        json_request(
            standard(
                when.method(Method::POST)
                    .path(format!("{THREAD_PATH}/typing")),
            ),
            json!({}),
        );
        then.status(200);
    });
    client(&server)
        .send_typing_notification(THREAD, &Default::default())
        .await
        .expect("sent");
    assert_eq!(anonymous.calls_async().await, 1);
}

// ---------------------------------------------------------------------------
// Error responses
// ---------------------------------------------------------------------------

#[tokio::test]
async fn every_operation_decodes_a_403_communication_error_response() {
    let server = MockServer::start_async().await;
    let client = client(&server);
    for (operation_id, method, template, _) in ROUTES {
        let mock = server.mock(|when, then| {
            standard(
                when.method(http_method(method))
                    .path(concrete_path(template)),
            );
            json_response(then, 403, error_json("Forbidden"));
        });
        let result = invoke(&client, operation_id).await;
        assert_eq!(mock.calls_async().await, 1, "{operation_id}");
        assert_error_response(result, 403, "Forbidden");
        mock.delete_async().await;
    }
}

#[tokio::test]
async fn error_statuses_decode_into_error_response() {
    // One operation per documented error status, plus 502, which the
    // description does not list: any 4xx/5xx with the error envelope decodes.
    let cases: [(&str, u16, &str); 9] = [
        ("SendChatMessage", 400, "BadRequest"),
        ("ListChatThreads", 401, "Unauthorized"),
        ("GetChatMessage", 404, "NotFound"),
        ("CreateChatThread", 409, "Conflict"),
        ("ListChatMessages", 429, "TooManyRequests"),
        ("UpdateChatThreadProperties", 500, "InternalServerError"),
        ("AddChatParticipants", 503, "ServiceUnavailable"),
        ("DeleteChatMessage", 502, "BadGateway"),
        ("SendTypingNotification", 418, "Teapot"),
    ];
    let server = MockServer::start_async().await;
    let client = client(&server);
    for (operation_id, status, code) in cases {
        let (_, method, template, _) = ROUTES
            .iter()
            .copied()
            .find(|route| route.0 == operation_id)
            .expect("route");
        let mock = server.mock(|when, then| {
            when.method(http_method(method))
                .path(concrete_path(template));
            json_response(then, status, error_json(code));
        });
        let result = invoke(&client, operation_id).await;
        assert_eq!(mock.calls_async().await, 1, "{operation_id}");
        assert_error_response(result, status, code);
        mock.delete_async().await;
    }
}

#[tokio::test]
async fn minimal_error_envelope_decodes() {
    let server = MockServer::start_async().await;
    server.mock(|when, then| {
        when.method(Method::GET).path(THREAD_PATH);
        json_response(
            then,
            401,
            json!({ "error": { "code": "Unauthorized", "message": "Request is not authorized." } }),
        );
    });
    match client(&server).get_chat_thread_properties(THREAD).await {
        Err(Error::ErrorResponse(response)) => {
            assert_eq!(response.status().as_u16(), 401);
            let error = response.into_inner().error;
            assert_eq!(error.code, "Unauthorized");
            assert_eq!(error.message, "Request is not authorized.");
            assert_eq!(error.target, None);
            assert!(error.details.is_empty());
            assert_eq!(error.innererror, None);
        }
        other => panic!("expected ErrorResponse, got {other:?}"),
    }
}

#[tokio::test]
async fn non_json_error_and_unlisted_success_statuses() {
    let server = MockServer::start_async().await;
    // A gateway's HTML error page: the error status is kept in the payload error.
    server.mock(|when, then| {
        when.method(Method::GET).path(THREAD_PATH);
        then.status(502)
            .header("content-type", "text/html")
            .body("<html>Bad Gateway</html>");
    });
    match client(&server).get_chat_thread_properties(THREAD).await {
        Err(Error::InvalidResponsePayload(bytes, _)) => {
            assert_eq!(&bytes[..], b"<html>Bad Gateway</html>");
        }
        other => panic!("expected InvalidResponsePayload, got {other:?}"),
    }
    // A 2xx the description does not list is not mistaken for success.
    server.mock(|when, then| {
        when.method(Method::DELETE).path(THREAD_PATH);
        then.status(202);
    });
    match client(&server).delete_chat_thread(THREAD).await {
        Err(Error::UnexpectedResponse(response)) => {
            assert_eq!(response.status().as_u16(), 202);
        }
        other => panic!("expected UnexpectedResponse, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Client construction, policies, tokens, paging
// ---------------------------------------------------------------------------

#[tokio::test]
async fn client_new_with_a_token_is_all_a_user_needs() {
    let server = MockServer::start_async().await;
    let ids = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = ids.clone();
    let mock = server.mock(move |when, then| {
        standard(when.method(Method::GET).path(THREAD_PATH))
            .header("user-agent", USER_AGENT_PRODUCT)
            .is_true(move |req| {
                if let Some(id) = header(req, CLIENT_REQUEST_ID_HEADER) {
                    seen.lock().unwrap().push(id.to_string());
                }
                true
            });
        json_response(then, 200, thread_properties_json());
    });
    let client = Client::new(&server.base_url(), ClientState::with_token(TOKEN));
    for _ in 0..2 {
        let thread = client
            .get_chat_thread_properties(THREAD)
            .await
            .expect("properties")
            .into_inner();
        assert_eq!(thread.id, THREAD);
    }
    assert_eq!(mock.calls_async().await, 2);
    assert!(USER_AGENT_PRODUCT.starts_with("acs-chat-rest/"));
    // A fresh request id per request (the matcher may run more than once per
    // request, so compare distinct values).
    let mut ids = ids.lock().unwrap().clone();
    ids.sort();
    ids.dedup();
    assert_eq!(
        ids.len(),
        2,
        "one distinct x-ms-client-request-id per request"
    );
    // The token never shows in Debug output.
    let debug = format!("{:?}", ClientState::with_token(TOKEN));
    assert!(!debug.contains(TOKEN), "{debug}");
}

#[tokio::test]
async fn user_agent_prefix_goes_before_the_crate_product() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method(Method::DELETE)
            .path(THREAD_PATH)
            .header("user-agent", format!("myapp/2.1 {USER_AGENT_PRODUCT}"));
        then.status(204);
    });
    let policy = StandardPolicy::new(acs_chat_rest::StaticToken::new(TOKEN))
        .with_user_agent_prefix("myapp/2.1");
    let client = Client::new(&server.base_url(), ClientState::new(policy));
    client.delete_chat_thread(THREAD).await.expect("deleted");
    assert_eq!(mock.calls_async().await, 1);
}

/// Sets a fixed `x-ms-client-request-id`, then applies the standard policy.
struct FixedRequestId(StandardPolicy, &'static str);

impl RequestPolicy for FixedRequestId {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        route: &'static OperationRoute,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        request.headers_mut().insert(
            CLIENT_REQUEST_ID_HEADER,
            reqwest::header::HeaderValue::from_static(self.1),
        );
        self.0.prepare(request, route)
    }
}

#[tokio::test]
async fn a_client_request_id_set_before_the_standard_policy_is_kept() {
    let server = MockServer::start_async().await;
    let chosen = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let mock = server.mock(|when, then| {
        when.method(Method::DELETE)
            .path(THREAD_PATH)
            .header(CLIENT_REQUEST_ID_HEADER, chosen)
            .header_count(format!("^{CLIENT_REQUEST_ID_HEADER}$").as_str(), ".*", 1);
        then.status(204);
    });
    let policy = FixedRequestId(
        StandardPolicy::new(acs_chat_rest::StaticToken::new(TOKEN)),
        chosen,
    );
    let client = Client::new(&server.base_url(), ClientState::new(policy));
    client.delete_chat_thread(THREAD).await.expect("deleted");
    assert_eq!(mock.calls_async().await, 1);
}

/// Records the route of every request, then applies the standard policy.
struct RecordingPolicy {
    inner: StandardPolicy,
    seen: Arc<Mutex<Vec<Seen>>>,
    observed: Arc<Mutex<Vec<Observed>>>,
}

/// An operation and the status of its response, as `observe` saw them.
type Observed = (&'static str, Option<u16>);

#[derive(Debug, Clone, PartialEq)]
struct Seen {
    operation_id: &'static str,
    route_method: &'static str,
    route_path: &'static str,
    request_method: String,
    request_path: String,
    path_matches: bool,
}

impl RequestPolicy for RecordingPolicy {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        route: &'static OperationRoute,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        self.seen.lock().unwrap().push(Seen {
            operation_id: route.operation_id,
            route_method: route.method,
            route_path: route.path,
            request_method: request.method().to_string(),
            request_path: request.url().path().to_string(),
            path_matches: route.matches_path(request.url().path()),
        });
        self.inner.prepare(request, route)
    }

    fn observe(
        &self,
        route: &'static OperationRoute,
        outcome: &Result<reqwest::Response, reqwest::Error>,
    ) {
        let status = outcome.as_ref().ok().map(|r| r.status().as_u16());
        self.observed
            .lock()
            .unwrap()
            .push((route.operation_id, status));
    }
}

#[tokio::test]
async fn a_custom_policy_sees_every_operation_with_its_route() {
    let server = MockServer::start_async().await;
    let catch_all = server.mock(|when, then| {
        standard(when.any_request());
        json_response(then, 403, error_json("Forbidden"));
    });
    let seen = Arc::new(Mutex::new(Vec::new()));
    let observed = Arc::new(Mutex::new(Vec::new()));
    let policy = RecordingPolicy {
        inner: StandardPolicy::new(acs_chat_rest::StaticToken::new(TOKEN)),
        seen: seen.clone(),
        observed: observed.clone(),
    };
    let client = Client::new(&server.base_url(), ClientState::new(policy));
    for (operation_id, ..) in ROUTES {
        let result = invoke(&client, operation_id).await;
        assert_error_response(result, 403, "Forbidden");
    }
    assert_eq!(catch_all.calls_async().await, ROUTES.len());
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), ROUTES.len(), "{seen:#?}");
    for ((operation_id, method, template, _), seen) in ROUTES.iter().zip(&seen) {
        assert_eq!(seen.operation_id, *operation_id);
        assert_eq!(seen.route_method, *method);
        assert_eq!(seen.route_path, *template);
        assert_eq!(seen.request_method, *method);
        assert_eq!(seen.request_path, concrete_path(template));
        assert!(seen.path_matches, "{seen:?}");
    }
    // The policy also sees every outcome, with the same route.
    let observed = observed.lock().unwrap().clone();
    let expected: Vec<(&str, Option<u16>)> = ROUTES.iter().map(|r| (r.0, Some(403))).collect();
    assert_eq!(observed, expected);
}

/// Refuses every request.
struct RefusingPolicy;

impl RequestPolicy for RefusingPolicy {
    fn prepare<'a>(
        &'a self,
        _request: &'a mut reqwest::Request,
        route: &'static OperationRoute,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move { Err(format!("policy refused {}", route.operation_id).into()) })
    }
}

#[tokio::test]
async fn a_policy_can_refuse_a_request_before_it_is_sent() {
    let server = MockServer::start_async().await;
    let catch_all = server.mock(|when, then| {
        when.any_request();
        then.status(200);
    });
    let client = Client::new(&server.base_url(), ClientState::new(RefusingPolicy));
    for (operation_id, ..) in ROUTES {
        match invoke(&client, operation_id).await {
            Err(Error::Custom(message)) => {
                assert_eq!(message, format!("policy refused {operation_id}"))
            }
            other => panic!("{operation_id}: expected Error::Custom, got {other:?}"),
        }
    }
    assert_eq!(catch_all.calls_async().await, 0);
}

/// Hands out `token-1`, `token-2`, ... one per call.
struct CountingTokens(AtomicUsize);

impl TokenSource for CountingTokens {
    fn token(&self) -> BoxFuture<'_, Result<String, BoxError>> {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        Box::pin(async move { Ok(format!("token-{n}")) })
    }
}

#[tokio::test]
async fn the_token_source_is_asked_for_every_request() {
    let server = MockServer::start_async().await;
    let first = server.mock(|when, then| {
        when.method(Method::DELETE)
            .path(THREAD_PATH)
            .header("authorization", "Bearer token-1")
            .header_count("^authorization$", ".*", 1);
        then.status(204);
    });
    let second = server.mock(|when, then| {
        when.method(Method::DELETE)
            .path(THREAD_PATH)
            .header("authorization", "Bearer token-2")
            .header_count("^authorization$", ".*", 1);
        then.status(204);
    });
    let policy = StandardPolicy::new(CountingTokens(AtomicUsize::new(0)));
    let client = Client::new(&server.base_url(), ClientState::new(policy));
    client.delete_chat_thread(THREAD).await.expect("first");
    client.delete_chat_thread(THREAD).await.expect("second");
    assert_eq!(first.calls_async().await, 1);
    assert_eq!(second.calls_async().await, 1);
}

/// Fails to produce a token.
struct BrokenTokens;

impl TokenSource for BrokenTokens {
    fn token(&self) -> BoxFuture<'_, Result<String, BoxError>> {
        Box::pin(async { Err("token endpoint unreachable".into()) })
    }
}

#[tokio::test]
async fn token_failures_and_bad_tokens_stop_the_request() {
    let server = MockServer::start_async().await;
    let catch_all = server.mock(|when, then| {
        when.any_request();
        then.status(204);
    });
    let client = Client::new(
        &server.base_url(),
        ClientState::new(StandardPolicy::new(BrokenTokens)),
    );
    match client.delete_chat_thread(THREAD).await {
        Err(Error::Custom(message)) => {
            assert!(message.contains("token endpoint unreachable"), "{message}")
        }
        other => panic!("expected Error::Custom, got {other:?}"),
    }
    // A token with a line break must not become a header (or a second header).
    let client = Client::new(
        &server.base_url(),
        ClientState::with_token("abc\r\nX-Injected: 1"),
    );
    match client.delete_chat_thread(THREAD).await {
        Err(Error::Custom(message)) => {
            assert!(message.contains("not allowed in a header"), "{message}");
            assert!(!message.contains("abc"), "the token leaks: {message}");
        }
        other => panic!("expected Error::Custom, got {other:?}"),
    }
    assert_eq!(catch_all.calls_async().await, 0);
}

#[tokio::test]
async fn get_next_page_follows_an_absolute_next_link_through_the_policy() {
    let server = MockServer::start_async().await;
    // The service's nextLink carries its own (here: an older) api-version,
    // which the policy must replace, not repeat.
    let next_link = format!(
        "{}{THREAD_PATH}/messages?syncState=a%2Bb%3D&maxPageSize=1&api-version=2021-09-07",
        server.base_url()
    );
    let first = server.mock(|when, then| {
        standard(
            when.method(Method::GET)
                .path(format!("{THREAD_PATH}/messages")),
        )
        .query_param_missing("syncState");
        json_response(
            then,
            200,
            json!({ "value": [full_message_json()], "nextLink": next_link }),
        );
    });
    let second = server.mock(|when, then| {
        no_body(standard(
            when.method(Method::GET)
                .path(format!("{THREAD_PATH}/messages")),
        ))
        .query_param("syncState", "a+b=")
        .query_param("maxPageSize", "1")
        .query_param_count("^api-version$", ".*", 1);
        json_response(then, 200, json!({ "value": [] }));
    });
    let client = client(&server);
    let page = client
        .list_chat_messages(THREAD, None, None)
        .await
        .expect("first page")
        .into_inner();
    assert_eq!(first.calls_async().await, 1);
    let link = page.next_link.expect("nextLink");
    let url = reqwest::Url::parse(&link).expect("absolute URL");
    let response = client
        .get_next_page("ListChatMessages", url.clone())
        .await
        .expect("second page");
    assert_eq!(response.status().as_u16(), 200);
    let page: types::ChatMessagesCollection = response.json().await.expect("decodes");
    assert!(page.value.is_empty());
    assert_eq!(page.next_link, None);
    // The method name works as well as the operationId.
    client
        .get_next_page("list_chat_messages", url)
        .await
        .expect("second page again");
    assert_eq!(second.calls_async().await, 2);
}

#[tokio::test]
async fn get_next_page_refuses_foreign_paths_and_non_list_operations() {
    let server = MockServer::start_async().await;
    let catch_all = server.mock(|when, then| {
        when.any_request();
        then.status(200).json_body(json!({ "value": [] }));
    });
    let client = client(&server);
    // A nextLink whose path is not the operation's.
    let foreign = reqwest::Url::parse(&format!(
        "{}{THREAD_PATH}/participants?skip=1",
        server.base_url()
    ))
    .unwrap();
    match client.get_next_page("ListChatMessages", foreign).await {
        Err(Error::InvalidRequest(message)) => assert!(message.contains("refusing"), "{message}"),
        other => panic!(
            "expected Error::InvalidRequest, got {:?}",
            other.map(|r| r.status())
        ),
    }
    // A nextLink over plain http to a non-loopback host never gets the token.
    let plain = reqwest::Url::parse(
        "http://contoso.communication.example.invalid/chat/threads/19:abc-def@thread.v2/messages?syncState=x",
    )
    .unwrap();
    match client.get_next_page("ListChatMessages", plain).await {
        Err(Error::Custom(message)) => assert!(message.contains("https"), "{message}"),
        other => panic!(
            "expected Error::Custom, got {:?}",
            other.map(|r| r.status())
        ),
    }
    // Only list operations page.
    let url = reqwest::Url::parse(&format!("{}{THREAD_PATH}", server.base_url())).unwrap();
    for not_a_list in ["DeleteChatThread", "SendChatMessage", "NoSuchOperation"] {
        match client.get_next_page(not_a_list, url.clone()).await {
            Err(Error::InvalidRequest(message)) => {
                assert!(message.contains(not_a_list), "{message}")
            }
            other => panic!(
                "{not_a_list}: expected InvalidRequest, got {:?}",
                other.map(|r| r.status())
            ),
        }
    }
    assert_eq!(catch_all.calls_async().await, 0);
}

#[tokio::test]
async fn redirects_do_not_carry_the_token_to_another_origin() {
    let server = MockServer::start_async().await;
    let elsewhere = MockServer::start_async().await;
    let target = elsewhere.mock(|when, then| {
        when.method(Method::GET)
            .path(THREAD_PATH)
            .header_missing("authorization");
        json_response(then, 200, thread_properties_json());
    });
    server.mock(|when, then| {
        when.method(Method::GET).path(THREAD_PATH);
        then.status(307)
            .header("location", format!("{}{THREAD_PATH}", elsewhere.base_url()));
    });
    let leaked = elsewhere.mock(|when, then| {
        when.header_exists("authorization");
        then.status(500);
    });
    // reqwest follows the redirect; it must drop the token on the way.
    let thread = client(&server)
        .get_chat_thread_properties(THREAD)
        .await
        .expect("redirected")
        .into_inner();
    assert_eq!(thread.id, THREAD);
    assert_eq!(leaked.calls_async().await, 0);
    assert_eq!(target.calls_async().await, 1);
}

/// Serves one connection on loopback: reads a request head, writes
/// `response` as it is, then closes. Returns the server's base URL.
async fn serve_once(response: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut head = Vec::new();
        let mut buffer = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let read = socket.read(&mut buffer).await.expect("read");
            if read == 0 {
                return;
            }
            head.extend_from_slice(&buffer[..read]);
        }
        socket.write_all(&response).await.expect("write");
        socket.shutdown().await.ok();
    });
    format!("http://{address}")
}

/// A response body in chunked transfer encoding, cut in `pieces` chunks.
fn chunked(body: &[u8], pieces: usize) -> Vec<u8> {
    let mut out = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n".to_vec();
    for chunk in body.chunks(body.len().div_ceil(pieces)) {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[tokio::test]
async fn a_body_in_several_chunks_is_joined_before_decoding() {
    let body = serde_json::to_vec(&full_message_json()).expect("json");
    for pieces in [1, 2, 5] {
        let mut response = chunked(&body, pieces);
        response.extend_from_slice(b"0\r\n\r\n");
        let base = serve_once(response).await;
        let client = Client::new(&base, ClientState::with_token(TOKEN));
        let message = client
            .get_chat_message(THREAD, MESSAGE)
            .await
            .unwrap_or_else(|e| panic!("{pieces} chunks: {e}"))
            .into_inner();
        assert_full_message(&message);
    }
}

#[tokio::test]
async fn a_body_cut_off_is_a_body_error_not_a_decoding_error() {
    let body = serde_json::to_vec(&full_message_json()).expect("json");
    // Half of the response, so no closing chunk: the connection closes
    // in the middle of the body.
    let response = chunked(&body, 4);
    let base = serve_once(response[..response.len() / 2].to_vec()).await;
    let client = Client::new(&base, ClientState::with_token(TOKEN));
    match client.get_chat_message(THREAD, MESSAGE).await {
        Err(Error::ResponseBodyError(error)) => {
            assert_eq!(
                error.url().map(|url| url.path()),
                Some(MESSAGE_PATH),
                "the error names the URL"
            );
        }
        other => panic!(
            "expected ResponseBodyError, got {:?}",
            other.map(|r| r.status())
        ),
    }
}

#[tokio::test]
async fn an_empty_body_is_a_decoding_error_with_the_empty_body() {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    let base = serve_once(head.as_bytes().to_vec()).await;
    let client = Client::new(&base, ClientState::with_token(TOKEN));
    match client.get_chat_message(THREAD, MESSAGE).await {
        Err(Error::InvalidResponsePayload(body, _)) => assert!(body.is_empty()),
        other => panic!(
            "expected InvalidResponsePayload, got {:?}",
            other.map(|r| r.status())
        ),
    }
}

// ---------------------------------------------------------------------------
// The typed httpmock helpers (`acs_chat_rest::mock`)
// ---------------------------------------------------------------------------

#[cfg(feature = "httpmock")]
mod typed_mock_helpers {
    use super::*;
    use acs_chat_rest::mock::MockServerExt;

    #[tokio::test]
    async fn typed_helpers_match_and_answer_every_kind_of_operation() {
        let server = MockServer::start_async().await;
        let client = client(&server);

        let request = types::CreateChatThreadRequest {
            topic: "Lunch".into(),
            participants: vec![],
            metadata: map(&[("k", "v")]),
            retention_policy: None,
        };
        let created: types::CreateChatThreadResult = serde_json::from_value(json!({
            "chatThread": thread_properties_json()
        }))
        .unwrap();
        let create = server.create_chat_thread(|when, then| {
            when.repeatability_request_id("rid-1").body(&request);
            then.created(&created);
        });
        let result = client
            .create_chat_thread(Some("rid-1"), &request)
            .await
            .expect("created")
            .into_inner();
        assert_eq!(result, created);
        assert_eq!(create.calls_async().await, 1);

        let message: types::ChatMessage = serde_json::from_value(full_message_json()).unwrap();
        let get = server.get_chat_message(|when, then| {
            when.chat_thread_id(THREAD).chat_message_id(MESSAGE);
            then.ok(&message);
        });
        let got = client
            .get_chat_message(THREAD, MESSAGE)
            .await
            .expect("message")
            .into_inner();
        assert_full_message(&got);
        assert_eq!(got, message);
        assert_eq!(get.calls_async().await, 1);

        let delete = server.delete_chat_thread(|when, then| {
            when.chat_thread_id(THREAD);
            then.no_content();
        });
        client.delete_chat_thread(THREAD).await.expect("deleted");
        assert_eq!(delete.calls_async().await, 1);

        let participants = server.list_chat_participants(|when, then| {
            when.chat_thread_id(THREAD).max_page_size(10).skip(None);
            then.ok(&types::ChatParticipantsCollection {
                next_link: None,
                value: vec![],
            });
        });
        client
            .list_chat_participants(THREAD, Some(10), None)
            .await
            .expect("listed");
        assert_eq!(participants.calls_async().await, 1);

        let typing = server.send_typing_notification(|when, then| {
            when.chat_thread_id(THREAD).body(&Default::default());
            then.ok();
        });
        client
            .send_typing_notification(THREAD, &Default::default())
            .await
            .expect("sent");
        assert_eq!(typing.calls_async().await, 1);

        let envelope: types::CommunicationErrorResponse =
            serde_json::from_value(error_json("Forbidden")).unwrap();
        server.get_chat_thread_properties(|when, then| {
            when.chat_thread_id(THREAD);
            then.client_error(403, &envelope);
        });
        assert_error_response(
            client.get_chat_thread_properties(THREAD).await,
            403,
            "Forbidden",
        );
        let envelope: types::CommunicationErrorResponse =
            serde_json::from_value(error_json("ServiceUnavailable")).unwrap();
        server.remove_chat_participant(|when, then| {
            when.chat_thread_id(THREAD);
            then.server_error(503, &envelope);
        });
        assert_error_response(
            client
                .remove_chat_participant(THREAD, &acs_user(USER_2))
                .await,
            503,
            "ServiceUnavailable",
        );
    }

    /// `ListChatThreadsWhen::start_time` / `ListChatMessagesWhen::start_time`
    /// must expect the value the client sends (RFC 3339, as serde writes it).
    #[tokio::test]
    async fn typed_start_time_helper_matches_what_the_client_sends() {
        let server = MockServer::start_async().await;
        let start = utc("2024-05-01T10:00:00Z");
        let mock = server.list_chat_threads(|when, then| {
            when.start_time(&start);
            then.ok(&types::ChatThreadsItemCollection {
                next_link: None,
                value: vec![],
            });
        });
        let result = client(&server).list_chat_threads(None, Some(&start)).await;
        assert_eq!(
            mock.calls_async().await,
            1,
            "the helper expects startTime={:?} but the client sends startTime=2024-05-01T10:00:00Z \
             (result: {:?})",
            start.to_string(),
            result.map(|r| r.status())
        );
    }

    /// The `chat_thread_id` helpers must match the id literally, as the
    /// client encodes it into the path.
    #[tokio::test]
    async fn typed_path_helpers_match_ids_literally() {
        let server = MockServer::start_async().await;
        let client = client(&server);
        let mut failures = Vec::new();
        // `+` is a regex quantifier; a space is percent-encoded by the client.
        for id in ["19:a+b@thread.v2", "19:my thread@thread.v2"] {
            let mock = server.delete_chat_thread(|when, then| {
                when.chat_thread_id(id);
                then.no_content();
            });
            let result = client.delete_chat_thread(id).await;
            if mock.calls_async().await != 1 {
                failures.push(format!(
                    "id {id:?}: the typed mock did not match (client got {:?})",
                    result.map(|r| r.status()).map_err(|e| e.status())
                ));
            }
            mock.delete_async().await;
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}

/// A catch-all answering 204, and the path and query of every request it
/// saw, in order.
fn record_every_request(server: &MockServer) -> (httpmock::Mock<'_>, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let record = seen.clone();
    let catch_all = server.mock(move |when, then| {
        when.is_true(move |req| {
            let uri = req.uri();
            let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
            record
                .lock()
                .unwrap()
                .push(format!("{}{query}", uri.path()));
            true
        });
        then.status(204);
    });
    (catch_all, seen)
}

/// `path` with the query every generated operation sends.
fn with_api_version(path: &str) -> String {
    format!("{path}?api-version={}", acs_chat_rest::API_VERSION)
}

/// Endpoints are often copied with a trailing slash (an ACS connection
/// string's `endpoint=https://<resource>.communication.azure.com/`): the
/// request path must still be the operation's, not `//chat/threads/...`.
#[tokio::test]
async fn an_endpoint_with_a_trailing_slash_reaches_the_operation_path() {
    let server = MockServer::start_async().await;
    let (catch_all, seen) = record_every_request(&server);
    let endpoint = format!("{}/", server.base_url());
    let client = Client::new(&endpoint, ClientState::with_token(TOKEN));
    let result = client.delete_chat_thread(THREAD).await;
    assert_eq!(
        catch_all.calls_async().await,
        1,
        "{:?}",
        result.map(|r| r.status())
    );
    let mut paths = seen.lock().unwrap().clone();
    paths.dedup();
    assert_eq!(
        paths,
        [with_api_version(THREAD_PATH)],
        "the path the server received"
    );
}

/// An endpoint behind a path (a reverse proxy's `/acs/`): an operation's
/// path goes under it, built from the base URL parsed once.
#[tokio::test]
async fn an_endpoint_with_a_path_puts_the_operation_under_it() {
    let server = MockServer::start_async().await;
    let (catch_all, seen) = record_every_request(&server);
    for endpoint in [
        format!("{}/acs", server.base_url()),
        format!("{}/acs/", server.base_url()),
    ] {
        let client = Client::new(&endpoint, ClientState::with_token(TOKEN));
        let result = client.delete_chat_thread(THREAD).await;
        assert!(
            result.is_ok(),
            "{endpoint}: {:?}",
            result.map(|r| r.status())
        );
    }
    assert_eq!(catch_all.calls_async().await, 2);
    let expected = with_api_version(&format!("/acs{THREAD_PATH}"));
    assert_eq!(*seen.lock().unwrap(), [expected.clone(), expected]);
}

/// A base URL that is not a URL is an error naming it, from every operation,
/// before anything is sent.
#[tokio::test]
async fn a_base_url_that_is_not_a_url_is_an_invalid_request() {
    let client = Client::new("not a url", ClientState::with_token(TOKEN));
    match client.delete_chat_thread(THREAD).await {
        Err(Error::InvalidRequest(message)) => {
            assert!(message.contains("\"not a url\" is not a URL"), "{message}")
        }
        other => panic!(
            "expected an invalid request, got {:?}",
            other.map(|r| r.status())
        ),
    }
}

/// A `ClientState` cloned into clients of two endpoints: each client's
/// requests go to its own endpoint, whichever sent first.
#[tokio::test]
async fn clients_sharing_a_state_each_reach_their_own_endpoint() {
    let (one, two) = (
        MockServer::start_async().await,
        MockServer::start_async().await,
    );
    let state = ClientState::with_token(TOKEN);
    let first = Client::new_with_client(&one.base_url(), reqwest::Client::new(), state.clone());
    let second = Client::new_with_client(&two.base_url(), reqwest::Client::new(), state);
    let on_one = one.mock(|when, then| {
        when.method(Method::DELETE).path(THREAD_PATH);
        then.status(204);
    });
    let on_two = two.mock(|when, then| {
        when.method(Method::DELETE).path(THREAD_PATH);
        then.status(204);
    });
    for _ in 0..2 {
        first.delete_chat_thread(THREAD).await.unwrap();
        second.delete_chat_thread(THREAD).await.unwrap();
    }
    assert_eq!(on_one.calls_async().await, 2);
    assert_eq!(on_two.calls_async().await, 2);
}

/// A base path starting with `//` stays a path on the endpoint's host (a
/// reference starting with `//` would otherwise name a host of its own).
#[tokio::test]
async fn a_base_path_starting_with_two_slashes_keeps_the_host() {
    let server = MockServer::start_async().await;
    let (catch_all, seen) = record_every_request(&server);
    let client = Client::new(
        &format!("{}//elsewhere", server.base_url()),
        ClientState::with_token(TOKEN),
    );
    let result = client.delete_chat_thread(THREAD).await;
    assert!(result.is_ok(), "{:?}", result.map(|r| r.status()));
    assert_eq!(catch_all.calls_async().await, 1);
    assert_eq!(
        *seen.lock().unwrap(),
        [with_api_version(&format!("//elsewhere{THREAD_PATH}"))]
    );
}

/// A base URL with a query or a fragment (neither could be kept in front of
/// an operation's path) or naming a user or a password is refused before
/// anything is sent, and the error never repeats the password.
#[tokio::test]
async fn a_base_url_with_a_query_a_fragment_a_user_or_a_password_is_an_invalid_request() {
    let server = MockServer::start_async().await;
    let catch_all = server.mock(|_, then| {
        then.status(204);
    });
    let with_user = server
        .base_url()
        .replace("http://", "http://user:s3cr3t-pass@");
    for (base, why) in [
        (
            format!("{}/?x=1", server.base_url()),
            "has a query or a fragment",
        ),
        (
            format!("{}/acs#part", server.base_url()),
            "has a query or a fragment",
        ),
        (with_user, "names a user or a password"),
    ] {
        let client = Client::new(&base, ClientState::with_token(TOKEN));
        match client.delete_chat_thread(THREAD).await {
            Err(error @ Error::InvalidRequest(_)) => {
                let text = format!("{error} {error:?}");
                assert!(text.contains(why), "{base}: {text}");
                assert!(!text.contains("s3cr3t-pass"), "the password leaked: {text}");
            }
            other => panic!(
                "{base}: expected an invalid request, got {:?}",
                other.map(|r| r.status())
            ),
        }
    }
    assert_eq!(catch_all.calls_async().await, 0);
}

/// The rare identifier kinds are boxed (`cargo xtask codegen`), so that a
/// message, which carries two identifiers, does not hold room for all five
/// kinds twice over; the JSON is the same either way.
#[test]
fn rare_identifier_kinds_are_boxed_and_read_as_before() {
    assert!(
        std::mem::size_of::<types::CommunicationIdentifierModel>() <= 112,
        "{} bytes",
        std::mem::size_of::<types::CommunicationIdentifierModel>()
    );
    let json =
        r#"{"rawId":"4:+14255550123","kind":"phoneNumber","phoneNumber":{"value":"+14255550123"}}"#;
    let model: types::CommunicationIdentifierModel = serde_json::from_str(json).expect("decoded");
    assert_eq!(
        model
            .phone_number
            .as_deref()
            .map(|phone| phone.value.as_str()),
        Some("+14255550123")
    );
    assert_eq!(
        serde_json::to_value(&model).expect("encoded"),
        serde_json::from_str::<serde_json::Value>(json).expect("json")
    );
}

/// Progenitor's `pre` and `post` hooks, which the generated operations no
/// longer call, still check and sign a request sent through them by name.
#[tokio::test]
async fn progenitor_hooks_still_sign_by_operation_name() {
    use progenitor_client::{ClientHooks, OperationInfo};
    let client = Client::new(
        "https://contoso.communication.azure.com",
        ClientState::with_token(TOKEN),
    );
    let url = format!(
        "https://contoso.communication.azure.com/chat/threads/{}/messages/1",
        acs_chat_rest::encode_path_segment(THREAD)
    );
    let mut request = reqwest::Request::new(reqwest::Method::GET, url.parse().expect("url"));
    let info = OperationInfo {
        operation_id: "get_chat_message",
    };
    client.pre::<()>(&mut request, &info).await.expect("signed");
    assert_eq!(
        request.headers()[reqwest::header::AUTHORIZATION],
        format!("Bearer {TOKEN}").as_str()
    );
    let unknown = OperationInfo {
        operation_id: "no_such_operation",
    };
    let mut other = reqwest::Request::new(reqwest::Method::GET, url.parse().expect("url"));
    assert!(client.pre::<()>(&mut other, &unknown).await.is_err());
    assert!(other
        .headers()
        .get(reqwest::header::AUTHORIZATION)
        .is_none());
}

/// An operation's future keeps no room for locals it is done with (`cargo
/// xtask codegen`'s `scoped_operation_locals`): the request, the result and
/// the response no longer sit beside the decoding, which halved a get's
/// future (1,000 bytes before, 464 after, in a release build). Every
/// operation, and a decoding twin, stays within 512 bytes (this test's
/// build, unoptimised, makes no smaller futures).
#[test]
fn operation_futures_hold_only_what_their_current_step_needs() {
    let client = Client::new(
        "https://contoso.communication.azure.com",
        ClientState::with_token("t"),
    );
    fn body<T: serde::de::DeserializeOwned>(json: serde_json::Value) -> T {
        serde_json::from_value(json).expect("a request body")
    }
    let create: types::CreateChatThreadRequest = body(serde_json::json!({"topic": "t"}));
    let update_thread: types::UpdateChatThreadRequest = body(serde_json::json!({}));
    let send: types::SendChatMessageRequest = body(serde_json::json!({"content": "hi"}));
    let update_message: types::UpdateChatMessageRequest = body(serde_json::json!({}));
    let add: types::AddChatParticipantsRequest = body(serde_json::json!({"participants": []}));
    let who: types::CommunicationIdentifierModel = body(serde_json::json!({"rawId": "8:acs:x"}));
    let receipt: types::SendReadReceiptRequest = body(serde_json::json!({"chatMessageId": "1"}));
    let typing: types::SendTypingNotificationRequest = body(serde_json::json!({}));
    let sizes = [
        std::mem::size_of_val(&client.list_chat_threads(Some(50), None)),
        std::mem::size_of_val(&client.create_chat_thread(Some("r"), &create)),
        std::mem::size_of_val(&client.get_chat_thread_properties("19:t")),
        std::mem::size_of_val(&client.delete_chat_thread("19:t")),
        std::mem::size_of_val(&client.update_chat_thread_properties("19:t", &update_thread)),
        std::mem::size_of_val(&client.list_chat_messages("19:t", Some(50), None)),
        std::mem::size_of_val(&client.send_chat_message("19:t", &send)),
        std::mem::size_of_val(&client.get_chat_message("19:t", "1")),
        std::mem::size_of_val(&client.get_chat_message_as::<serde_json::Value>("19:t", "1")),
        std::mem::size_of_val(&client.delete_chat_message("19:t", "1")),
        std::mem::size_of_val(&client.update_chat_message("19:t", "1", &update_message)),
        std::mem::size_of_val(&client.list_chat_participants("19:t", Some(50), None)),
        std::mem::size_of_val(&client.add_chat_participants("19:t", &add)),
        std::mem::size_of_val(&client.remove_chat_participant("19:t", &who)),
        std::mem::size_of_val(&client.list_chat_read_receipts("19:t", Some(50), None)),
        std::mem::size_of_val(&client.send_chat_read_receipt("19:t", &receipt)),
        std::mem::size_of_val(&client.send_typing_notification("19:t", &typing)),
    ];
    assert!(sizes.iter().all(|&size| size <= 512), "{sizes:?}");
}
