//! Every operation and option of the facade against a mock service: the
//! request it sends (method, path, query, headers, exact JSON body) and how it
//! decodes the response.

use acs_chat::{
    ChatAttachmentType, ChatMessageType, ChatParticipant, ChatRetentionPolicy,
    CommunicationIdentifier, CommunicationUserIdentifier, Metadata,
};
use chrono::{DateTime, TimeZone, Utc};
use futures::TryStreamExt;
use httpmock::prelude::*;
use serde_json::json;

use crate::common::*;

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("a valid RFC 3339 time")
        .with_timezone(&Utc)
}

fn metadata(pairs: &[(&str, &str)]) -> Metadata {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn thread_json(id: &str) -> serde_json::Value {
    json!({
        "id": id,
        "topic": "Launch plan",
        "createdOn": "2024-01-02T03:04:05Z",
        "createdByCommunicationIdentifier": acs_user_model("8:acs:res_alice"),
        "deletedOn": "2024-02-03T04:05:06Z",
        "metadata": {"team": "rockets"},
        "retentionPolicy": {"kind": "threadCreationDate", "deleteThreadAfterDays": 30}
    })
}

#[tokio::test]
async fn create_chat_thread_sends_topic_participants_metadata_retention_and_idempotency_token() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/chat/threads")
                .is_true(recorder.hook());
            then.status(201)
                .json_body(json!({ "chatThread": thread_json("19:new@thread.v2") }));
        })
        .await;
    let (client, token) = client(&server);

    let bob = ChatParticipant::new(CommunicationUserIdentifier::new("8:acs:res_bob"))
        .display_name("Bob")
        .share_history_time(at("2024-01-02T03:04:05Z"));
    let created = client
        .create_chat_thread("Launch plan")
        .participants([bob])
        .idempotency_token("my-idempotency-token")
        .metadata(metadata(&[("team", "rockets")]))
        .retention_policy(ChatRetentionPolicy::ThreadCreationDate {
            delete_thread_after_days: 30,
        })
        .await
        .expect("the thread is created");

    let request = recorder.only();
    request.assert_standard(&token);
    assert_eq!(
        request.header("repeatability-request-id"),
        Some("my-idempotency-token")
    );
    assert_eq!(
        request.header("content-type"),
        Some("application/json"),
        "a POST body is plain JSON"
    );
    assert_eq!(
        request.json(),
        json!({
            "topic": "Launch plan",
            "participants": [{
                "communicationIdentifier": {
                    "rawId": "8:acs:res_bob",
                    "kind": "communicationUser",
                    "communicationUser": {"id": "8:acs:res_bob"}
                },
                "displayName": "Bob",
                "shareHistoryTime": "2024-01-02T03:04:05Z"
            }],
            "metadata": {"team": "rockets"},
            "retentionPolicy": {"kind": "threadCreationDate", "deleteThreadAfterDays": 30}
        })
    );

    let thread = &created.chat_thread;
    assert_eq!(thread.id, "19:new@thread.v2");
    assert_eq!(thread.topic, "Launch plan");
    assert_eq!(thread.created_on, at("2024-01-02T03:04:05Z"));
    assert_eq!(
        thread.created_by,
        CommunicationIdentifier::from_raw_id("8:acs:res_alice")
    );
    assert_eq!(thread.deleted_on, Some(at("2024-02-03T04:05:06Z")));
    assert_eq!(thread.metadata, metadata(&[("team", "rockets")]));
    assert_eq!(
        thread.retention_policy,
        Some(ChatRetentionPolicy::ThreadCreationDate {
            delete_thread_after_days: 30
        })
    );
    assert!(created.errors.is_empty(), "{:?}", created.errors);
}

#[tokio::test]
async fn create_chat_thread_without_idempotency_token_sends_a_fresh_uuid_and_only_the_topic() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/chat/threads")
                .is_true(recorder.hook());
            then.status(201)
                .json_body(json!({ "chatThread": thread_json("19:t@thread.v2") }));
        })
        .await;
    let (client, token) = client(&server);

    client.create_chat_thread("First").await.unwrap();
    client.create_chat_thread("Second").await.unwrap();

    let requests = recorder.all();
    assert_eq!(requests.len(), 2);
    let ids: Vec<&str> = requests
        .iter()
        .map(|r| {
            r.assert_standard(&token);
            r.header("repeatability-request-id")
                .expect("a repeatability-request-id is always sent")
        })
        .collect();
    for id in &ids {
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id:?} is not a UUID");
    }
    assert_ne!(ids[0], ids[1], "each new thread gets its own key");
    assert_eq!(requests[0].json(), json!({"topic": "First"}));
}

#[tokio::test]
async fn create_chat_thread_with_retention_policy_none_sends_kind_none() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/chat/threads")
                .is_true(recorder.hook());
            then.status(201)
                .json_body(json!({ "chatThread": thread_json("19:t@thread.v2") }));
        })
        .await;
    let (client, _) = client(&server);

    client
        .create_chat_thread("Keep forever")
        .retention_policy(ChatRetentionPolicy::None)
        .await
        .unwrap();

    assert_eq!(
        recorder.only().json(),
        json!({"topic": "Keep forever", "retentionPolicy": {"kind": "none"}})
    );
}

#[tokio::test]
async fn list_chat_threads_sends_max_page_size_and_start_time_and_decodes_items() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(GET).path("/chat/threads").is_true(recorder.hook());
            then.status(200).json_body(json!({"value": [
                {"id": "19:a@thread.v2", "topic": "A", "lastMessageReceivedOn": "2024-05-06T07:08:09Z"},
                {"id": "19:b@thread.v2", "topic": "B", "deletedOn": "2024-05-07T00:00:00Z"}
            ]}));
        })
        .await;
    let (client, token) = client(&server);
    let since = Utc.with_ymd_and_hms(2024, 5, 1, 12, 30, 0).unwrap();

    let threads: Vec<_> = client
        .list_chat_threads()
        .results_per_page(25)
        .start_time(since)
        .try_collect()
        .await
        .unwrap();

    let request = recorder.only();
    request.assert_standard(&token);
    assert_eq!(request.query("maxPageSize"), Some("25"));
    let start = request.query("startTime").expect("a startTime parameter");
    assert_eq!(
        DateTime::parse_from_rfc3339(start).expect("startTime is RFC 3339"),
        since
    );
    assert_eq!(threads.len(), 2);
    assert_eq!(threads[0].id, "19:a@thread.v2");
    assert_eq!(threads[0].topic, "A");
    assert_eq!(
        threads[0].last_message_received_on,
        Some(at("2024-05-06T07:08:09Z"))
    );
    assert_eq!(threads[0].deleted_on, None);
    assert_eq!(threads[1].deleted_on, Some(at("2024-05-07T00:00:00Z")));
}

#[tokio::test]
async fn list_chat_threads_without_options_sends_no_paging_parameters() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/chat/threads")
                .is_true(recorder.hook());
            then.status(200).json_body(json!({"value": []}));
        })
        .await;
    let (client, _) = client(&server);

    let threads = client.list_chat_threads().collect_all().await.unwrap();

    assert!(threads.is_empty());
    assert_eq!(recorder.only().query_without_api_version(), vec![]);
}

#[tokio::test]
async fn delete_chat_thread_sends_delete_to_the_thread_path() {
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
    let (client, token) = client(&server);

    client.delete_chat_thread(THREAD).await.unwrap();

    let request = recorder.only();
    request.assert_standard(&token);
    assert!(request.body.is_empty());
}

#[tokio::test]
async fn get_properties_decodes_every_field() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(thread_path(""))
                .is_true(recorder.hook());
            then.status(200).json_body(json!({
                "id": THREAD,
                "topic": "Launch plan",
                "createdOn": "2024-01-02T03:04:05.123Z",
                "createdByCommunicationIdentifier": {
                    "rawId": "8:orgid:45ab2481-1c1c-4005-be24-0ffb879b1130",
                    "kind": "microsoftTeamsUser",
                    "microsoftTeamsUser": {
                        "userId": "45ab2481-1c1c-4005-be24-0ffb879b1130",
                        "isAnonymous": false,
                        "cloud": "public"
                    }
                },
                "deletedOn": "2024-02-03T04:05:06Z",
                "metadata": {"team": "rockets", "tier": "gold"},
                "retentionPolicy": {"kind": "threadCreationDate", "deleteThreadAfterDays": 7}
            }));
        })
        .await;
    let (client, token) = client(&server);

    let properties = client
        .get_chat_thread_client(THREAD)
        .get_properties()
        .await
        .unwrap();

    recorder.only().assert_standard(&token);
    assert_eq!(properties.id, THREAD);
    assert_eq!(properties.topic, "Launch plan");
    assert_eq!(
        properties.created_on,
        at("2024-01-02T03:04:05.123Z"),
        "milliseconds are kept"
    );
    let CommunicationIdentifier::MicrosoftTeamsUser(creator) = &properties.created_by else {
        panic!("created_by is {:?}", properties.created_by);
    };
    assert_eq!(creator.user_id, "45ab2481-1c1c-4005-be24-0ffb879b1130");
    assert!(!creator.is_anonymous);
    assert_eq!(
        properties.created_by.raw_id(),
        "8:orgid:45ab2481-1c1c-4005-be24-0ffb879b1130"
    );
    assert_eq!(properties.deleted_on, Some(at("2024-02-03T04:05:06Z")));
    assert_eq!(
        properties.metadata,
        metadata(&[("team", "rockets"), ("tier", "gold")])
    );
    assert_eq!(
        properties.retention_policy,
        Some(ChatRetentionPolicy::ThreadCreationDate {
            delete_thread_after_days: 7
        })
    );
}

#[tokio::test]
async fn get_properties_without_optional_fields_decodes_them_as_absent() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(thread_path(""));
            then.status(200).json_body(json!({
                "id": THREAD,
                "topic": "Bare",
                "createdOn": "2024-01-02T03:04:05Z",
                "createdByCommunicationIdentifier": {"rawId": "8:acs:res_alice"}
            }));
        })
        .await;
    let (client, _) = client(&server);

    let properties = client
        .get_chat_thread_client(THREAD)
        .get_properties()
        .await
        .unwrap();

    assert_eq!(properties.deleted_on, None);
    assert!(properties.metadata.is_empty());
    assert_eq!(properties.retention_policy, None);
    assert_eq!(
        properties.created_by,
        CommunicationIdentifier::from_raw_id("8:acs:res_alice"),
        "an identifier with only a rawId is parsed from it"
    );
}

#[tokio::test]
async fn update_topic_sends_a_merge_patch_with_only_the_topic() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path(thread_path(""))
                .is_true(recorder.hook());
            then.status(204);
        })
        .await;
    let (client, token) = client(&server);

    client
        .get_chat_thread_client(THREAD)
        .update_topic("New topic")
        .await
        .unwrap();

    let request = recorder.only();
    request.assert_standard(&token);
    assert_eq!(
        request.header("content-type"),
        Some("application/merge-patch+json")
    );
    assert_eq!(request.json(), json!({"topic": "New topic"}));
}

#[tokio::test]
async fn update_properties_sends_topic_metadata_and_retention_as_a_merge_patch() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path(thread_path(""))
                .is_true(recorder.hook());
            then.status(204);
        })
        .await;
    let (client, token) = client(&server);
    let thread = client.get_chat_thread_client(THREAD);

    thread
        .update_properties()
        .topic("Renamed")
        .metadata(metadata(&[("k", "v")]))
        .retention_policy(ChatRetentionPolicy::ThreadCreationDate {
            delete_thread_after_days: 90,
        })
        .await
        .unwrap();
    thread
        .update_properties()
        .retention_policy(ChatRetentionPolicy::None)
        .await
        .unwrap();
    thread
        .update_properties()
        .metadata(metadata(&[("only", "metadata")]))
        .await
        .unwrap();

    let requests = recorder.all();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        request.assert_standard(&token);
        assert_eq!(
            request.header("content-type"),
            Some("application/merge-patch+json")
        );
    }
    assert_eq!(
        requests[0].json(),
        json!({
            "topic": "Renamed",
            "metadata": {"k": "v"},
            "retentionPolicy": {"kind": "threadCreationDate", "deleteThreadAfterDays": 90}
        })
    );
    assert_eq!(
        requests[1].json(),
        json!({"retentionPolicy": {"kind": "none"}})
    );
    assert_eq!(
        requests[2].json(),
        json!({"metadata": {"only": "metadata"}})
    );
}

/// A server answering every send-message with `id`, recording the
/// requests, and a client of it (with its token).
async fn send_message_server(id: &str) -> (MockServer, Recorder, acs_chat::ChatClient, String) {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(thread_path("/messages"))
                .is_true(recorder.hook());
            then.status(201).json_body(json!({ "id": id }));
        })
        .await;
    let (client, token) = client(&server);
    (server, recorder, client, token)
}

#[tokio::test]
async fn send_message_sends_html_with_display_name_and_metadata_and_returns_the_id() {
    let (_server, recorder, client, token) = send_message_server("1700000000001").await;

    let sent = client
        .get_chat_thread_client(THREAD)
        .send_message("<b>Hello</b>")
        .sender_display_name("Alice")
        .chat_message_type(ChatMessageType::Html)
        .metadata(metadata(&[("tag", "greeting")]))
        .await
        .unwrap();

    assert_eq!(sent.id, "1700000000001");
    let request = recorder.only();
    request.assert_standard(&token);
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.json(),
        json!({
            "content": "<b>Hello</b>",
            "senderDisplayName": "Alice",
            "type": "html",
            "metadata": {"tag": "greeting"}
        })
    );
}

#[tokio::test]
async fn an_exactly_once_id_wins_over_one_copied_into_the_metadata() {
    let (_server, recorder, client, _) = send_message_server("1").await;

    client
        .get_chat_thread_client(THREAD)
        .send_message("answer")
        .metadata(metadata(&[
            (acs_chat::CLIENT_MESSAGE_ID_KEY, "copied-from-the-question"),
            ("tag", "kept"),
        ]))
        .exactly_once_with_id("outbox-7")
        .await
        .unwrap();

    assert_eq!(
        recorder.only().json()["metadata"],
        json!({ acs_chat::CLIENT_MESSAGE_ID_KEY: "outbox-7", "tag": "kept" })
    );
}

#[tokio::test]
async fn send_message_defaults_to_a_text_message() {
    let (_server, recorder, client, _) = send_message_server("1").await;

    client
        .get_chat_thread_client(THREAD)
        .send_message("hi")
        .await
        .unwrap();

    assert_eq!(
        recorder.only().json(),
        json!({"content": "hi", "type": "text"})
    );
}

#[tokio::test]
async fn get_message_decodes_every_field_of_a_user_message() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(thread_path("/messages/1700000000001"))
                .is_true(recorder.hook());
            then.status(200).json_body(json!({
                "id": "1700000000001",
                "type": "html",
                "sequenceId": "42",
                "version": "1700000000999",
                "content": {
                    "message": "<b>Hello</b>",
                    "attachments": [{
                        "id": "att-1",
                        "attachmentType": "image",
                        "name": "cat.png",
                        "url": "https://files.example/cat.png",
                        "previewUrl": "https://files.example/cat-small.png"
                    }, {
                        "id": "att-2",
                        "attachmentType": "file"
                    }]
                },
                "senderDisplayName": "Alice",
                "createdOn": "2024-01-02T03:04:05Z",
                "senderCommunicationIdentifier": acs_user_model("8:acs:res_alice"),
                "deletedOn": "2024-01-04T00:00:00Z",
                "editedOn": "2024-01-03T00:00:00Z",
                "metadata": {"tag": "greeting"}
            }));
        })
        .await;
    let (client, token) = client(&server);

    let message = client
        .get_chat_thread_client(THREAD)
        .get_message("1700000000001")
        .await
        .unwrap();

    recorder.only().assert_standard(&token);
    assert_eq!(message.id, "1700000000001");
    assert_eq!(message.message_type, ChatMessageType::Html);
    assert_eq!(message.sequence_id, "42");
    assert_eq!(message.version, "1700000000999");
    assert_eq!(message.sender_display_name.as_deref(), Some("Alice"));
    assert_eq!(message.created_on, at("2024-01-02T03:04:05Z"));
    assert_eq!(
        message.sender,
        Some(CommunicationIdentifier::from_raw_id("8:acs:res_alice"))
    );
    assert_eq!(message.deleted_on, Some(at("2024-01-04T00:00:00Z")));
    assert_eq!(message.edited_on, Some(at("2024-01-03T00:00:00Z")));
    assert_eq!(message.metadata, metadata(&[("tag", "greeting")]));
    let content = message.content.expect("the message has content");
    assert_eq!(content.message.as_deref(), Some("<b>Hello</b>"));
    assert_eq!(content.topic, None);
    assert!(content.participants.is_empty());
    assert_eq!(content.initiator, None);
    assert_eq!(content.attachments.len(), 2);
    let image = &content.attachments[0];
    assert_eq!(image.id, "att-1");
    assert_eq!(image.attachment_type, ChatAttachmentType::Image);
    assert_eq!(image.name.as_deref(), Some("cat.png"));
    assert_eq!(image.url.as_deref(), Some("https://files.example/cat.png"));
    assert_eq!(
        image.preview_url.as_deref(),
        Some("https://files.example/cat-small.png")
    );
    assert_eq!(
        content.attachments[1].attachment_type,
        ChatAttachmentType::File
    );
    assert_eq!(content.attachments[1].name, None);
}

#[tokio::test]
async fn get_message_decodes_system_messages_with_participants_initiator_and_topic() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(thread_path("/messages/10"));
            then.status(200).json_body(json!({
                "id": "10",
                "type": "participantAdded",
                "sequenceId": "2",
                "version": "10",
                "content": {
                    "participants": [{
                        "communicationIdentifier": acs_user_model("8:acs:res_bob"),
                        "displayName": "Bob",
                        "shareHistoryTime": "1970-01-01T00:00:00Z",
                        "metadata": {"role": "guest"}
                    }, {
                        "communicationIdentifier": {
                            "rawId": "4:+14255550123",
                            "kind": "phoneNumber",
                            "phoneNumber": {"value": "+14255550123"}
                        }
                    }],
                    "initiatorCommunicationIdentifier": acs_user_model("8:acs:res_alice")
                },
                "createdOn": "2024-01-02T03:04:05Z"
            }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(thread_path("/messages/11"));
            then.status(200).json_body(json!({
                "id": "11",
                "type": "topicUpdated",
                "sequenceId": "3",
                "version": "11",
                "content": {
                    "topic": "New topic",
                    "initiatorCommunicationIdentifier": acs_user_model("8:acs:res_alice")
                },
                "createdOn": "2024-01-02T03:04:06Z"
            }));
        })
        .await;
    let (client, _) = client(&server);
    let thread = client.get_chat_thread_client(THREAD);

    let added = thread.get_message("10").await.unwrap();
    let renamed = thread.get_message("11").await.unwrap();

    assert_eq!(added.message_type, ChatMessageType::ParticipantAdded);
    assert_eq!(added.sender, None, "system messages have no sender");
    let content = added.content.unwrap();
    assert_eq!(content.message, None);
    assert_eq!(
        content.initiator,
        Some(CommunicationIdentifier::from_raw_id("8:acs:res_alice"))
    );
    assert_eq!(content.participants.len(), 2);
    let bob = &content.participants[0];
    assert_eq!(
        bob.identifier,
        CommunicationIdentifier::from_raw_id("8:acs:res_bob")
    );
    assert_eq!(bob.display_name.as_deref(), Some("Bob"));
    assert_eq!(
        bob.share_history_time,
        Some(at("1970-01-01T00:00:00Z")),
        "the epoch means the whole history"
    );
    assert_eq!(bob.metadata, metadata(&[("role", "guest")]));
    assert_eq!(
        content.participants[1].identifier.raw_id(),
        "4:+14255550123"
    );
    assert_eq!(content.participants[1].identifier.kind(), "phoneNumber");

    assert_eq!(renamed.message_type, ChatMessageType::TopicUpdated);
    let content = renamed.content.unwrap();
    assert_eq!(content.topic.as_deref(), Some("New topic"));
    assert_eq!(
        content.initiator,
        Some(CommunicationIdentifier::from_raw_id("8:acs:res_alice"))
    );
}

#[tokio::test]
async fn list_messages_sends_max_page_size_and_start_time_and_decodes_items() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(thread_path("/messages"))
                .is_true(recorder.hook());
            then.status(200).json_body(json!({"value": [
                {"id": "2", "type": "text", "sequenceId": "2", "version": "2",
                 "content": {"message": "second"}, "createdOn": "2024-01-02T03:04:06Z",
                 "senderCommunicationIdentifier": acs_user_model("8:acs:res_alice")},
                {"id": "1", "type": "topicUpdated", "sequenceId": "1", "version": "1",
                 "content": {"topic": "T"}, "createdOn": "2024-01-02T03:04:05Z"}
            ]}));
        })
        .await;
    let (client, token) = client(&server);
    let since = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();

    let messages: Vec<_> = client
        .get_chat_thread_client(THREAD)
        .list_messages()
        .results_per_page(50)
        .start_time(since)
        .try_collect()
        .await
        .unwrap();

    let request = recorder.only();
    request.assert_standard(&token);
    assert_eq!(request.query("maxPageSize"), Some("50"));
    assert_eq!(
        DateTime::parse_from_rfc3339(request.query("startTime").unwrap()).unwrap(),
        since
    );
    let ids: Vec<&str> = messages.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["2", "1"]);
    assert_eq!(
        messages[0].content.as_ref().unwrap().message.as_deref(),
        Some("second")
    );
    assert_eq!(messages[1].message_type, ChatMessageType::TopicUpdated);
}

#[tokio::test]
async fn update_message_sends_content_and_metadata_as_a_merge_patch() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path(thread_path("/messages/1700000000001"))
                .is_true(recorder.hook());
            then.status(204);
        })
        .await;
    let (client, token) = client(&server);
    let thread = client.get_chat_thread_client(THREAD);

    thread
        .update_message("1700000000001")
        .content("edited")
        .metadata(metadata(&[("edited", "yes")]))
        .await
        .unwrap();
    thread
        .update_message("1700000000001")
        .content("only content")
        .await
        .unwrap();

    let requests = recorder.all();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        request.assert_standard(&token);
        assert_eq!(
            request.header("content-type"),
            Some("application/merge-patch+json")
        );
    }
    assert_eq!(
        requests[0].json(),
        json!({"content": "edited", "metadata": {"edited": "yes"}})
    );
    assert_eq!(requests[1].json(), json!({"content": "only content"}));
}

#[tokio::test]
async fn delete_message_sends_delete_to_the_message_path() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path(thread_path("/messages/1700000000001"))
                .is_true(recorder.hook());
            then.status(204);
        })
        .await;
    let (client, token) = client(&server);

    client
        .get_chat_thread_client(THREAD)
        .delete_message("1700000000001")
        .await
        .unwrap();

    recorder.only().assert_standard(&token);
}

#[tokio::test]
async fn list_participants_sends_max_page_size_and_skip_and_decodes_items() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(thread_path("/participants"))
                .is_true(recorder.hook());
            then.status(200).json_body(json!({"value": [{
                "communicationIdentifier": acs_user_model("8:acs:res_bob"),
                "displayName": "Bob",
                "shareHistoryTime": "2024-01-02T03:04:05Z",
                "metadata": {"role": "host"}
            }]}));
        })
        .await;
    let (client, token) = client(&server);

    let participants: Vec<_> = client
        .get_chat_thread_client(THREAD)
        .list_participants()
        .results_per_page(10)
        .skip(5)
        .try_collect()
        .await
        .unwrap();

    let request = recorder.only();
    request.assert_standard(&token);
    assert_eq!(request.query("maxPageSize"), Some("10"));
    assert_eq!(request.query("skip"), Some("5"));
    assert_eq!(
        participants,
        vec![
            ChatParticipant::new(CommunicationUserIdentifier::new("8:acs:res_bob"))
                .display_name("Bob")
                .share_history_time(at("2024-01-02T03:04:05Z"))
                .metadata(metadata(&[("role", "host")]))
        ]
    );
}

#[tokio::test]
async fn add_participants_sends_them_and_returns_only_the_failures() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(thread_path("/participants/:add"))
                .is_true(recorder.hook());
            then.status(201).json_body(json!({"invalidParticipants": [{
                "code": "403",
                "message": "Permissions check failed",
                "target": "8:acs:res_carol"
            }]}));
        })
        .await;
    let (client, token) = client(&server);
    let bob = ChatParticipant::new(CommunicationUserIdentifier::new("8:acs:res_bob"))
        .display_name("Bob")
        .share_history_time(at("2024-01-02T03:04:05Z"))
        .metadata(metadata(&[("role", "host")]));
    let carol = ChatParticipant::new(CommunicationUserIdentifier::new("8:acs:res_carol"))
        .display_name("Carol");

    let failures = client
        .get_chat_thread_client(THREAD)
        .add_participants([bob, carol.clone()])
        .await
        .unwrap();

    let request = recorder.only();
    request.assert_standard(&token);
    assert_eq!(
        request.json(),
        json!({"participants": [{
            "communicationIdentifier": acs_user_model("8:acs:res_bob"),
            "displayName": "Bob",
            "shareHistoryTime": "2024-01-02T03:04:05Z",
            "metadata": {"role": "host"}
        }, {
            "communicationIdentifier": acs_user_model("8:acs:res_carol"),
            "displayName": "Carol"
        }]})
    );
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].participant, carol);
    assert_eq!(failures[0].error.code, "403");
    assert_eq!(failures[0].error.message, "Permissions check failed");
}

#[tokio::test]
async fn add_participants_that_all_succeed_returns_no_failures() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(thread_path("/participants/:add"));
            then.status(201).json_body(json!({}));
        })
        .await;
    let (client, _) = client(&server);

    let failures = client
        .get_chat_thread_client(THREAD)
        .add_participants([ChatParticipant::new(CommunicationUserIdentifier::new(
            "8:acs:res_bob",
        ))])
        .await
        .unwrap();

    assert!(failures.is_empty());
}

#[tokio::test]
async fn remove_participant_sends_the_identifier_model() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(thread_path("/participants/:remove"))
                .is_true(recorder.hook());
            then.status(204);
        })
        .await;
    let (client, token) = client(&server);

    client
        .get_chat_thread_client(THREAD)
        .remove_participant(&CommunicationUserIdentifier::new("8:acs:res_bob").into())
        .await
        .unwrap();

    let request = recorder.only();
    request.assert_standard(&token);
    assert_eq!(
        request.json(),
        json!({
            "kind": "communicationUser",
            "rawId": "8:acs:res_bob",
            "communicationUser": {"id": "8:acs:res_bob"}
        })
    );
}

#[tokio::test]
async fn send_typing_notification_without_a_display_name_sends_an_empty_object() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(thread_path("/typing"))
                .is_true(recorder.hook());
            then.status(200);
        })
        .await;
    let (client, token) = client(&server);

    client
        .get_chat_thread_client(THREAD)
        .send_typing_notification()
        .await
        .unwrap();

    let request = recorder.only();
    request.assert_standard(&token);
    assert_eq!(request.json(), json!({}));
}

#[tokio::test]
async fn send_typing_notification_with_a_display_name_sends_it() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(thread_path("/typing"))
                .is_true(recorder.hook());
            then.status(200);
        })
        .await;
    let (client, token) = client(&server);

    client
        .get_chat_thread_client(THREAD)
        .send_typing_notification()
        .sender_display_name("Alice")
        .await
        .unwrap();

    let request = recorder.only();
    request.assert_standard(&token);
    assert_eq!(request.json(), json!({"senderDisplayName": "Alice"}));
}

#[tokio::test]
async fn send_read_receipt_sends_the_message_id() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(thread_path("/readReceipts"))
                .is_true(recorder.hook());
            then.status(200);
        })
        .await;
    let (client, token) = client(&server);

    client
        .get_chat_thread_client(THREAD)
        .send_read_receipt("1700000000001")
        .await
        .unwrap();

    let request = recorder.only();
    request.assert_standard(&token);
    assert_eq!(request.json(), json!({"chatMessageId": "1700000000001"}));
}

#[tokio::test]
async fn list_read_receipts_sends_max_page_size_and_skip_and_decodes_items() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(thread_path("/readReceipts"))
                .is_true(recorder.hook());
            then.status(200).json_body(json!({"value": [{
                "senderCommunicationIdentifier": acs_user_model("8:acs:res_bob"),
                "chatMessageId": "1700000000001",
                "readOn": "2024-01-02T03:04:05Z"
            }]}));
        })
        .await;
    let (client, token) = client(&server);

    let receipts: Vec<_> = client
        .get_chat_thread_client(THREAD)
        .list_read_receipts()
        .results_per_page(3)
        .skip(2)
        .try_collect()
        .await
        .unwrap();

    let request = recorder.only();
    request.assert_standard(&token);
    assert_eq!(request.query("skip"), Some("2"));
    assert_eq!(request.query("maxPageSize"), Some("3"));
    assert_eq!(receipts.len(), 1);
    assert_eq!(
        receipts[0].sender,
        CommunicationIdentifier::from_raw_id("8:acs:res_bob")
    );
    assert_eq!(receipts[0].chat_message_id, "1700000000001");
    assert_eq!(receipts[0].read_on, at("2024-01-02T03:04:05Z"));
}

#[tokio::test]
async fn user_agent_starts_with_the_application_id_when_one_is_set() {
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
    let credential = acs_chat::CommunicationTokenCredential::new(jwt()).unwrap();
    let client = acs_chat::ChatClient::builder(server.base_url(), credential)
        .user_agent("contoso-app/2.0")
        .build()
        .unwrap();

    client.delete_chat_thread(THREAD).await.unwrap();

    let agent = recorder.only().header("user-agent").unwrap().to_string();
    assert!(
        agent.starts_with("contoso-app/2.0 acs-chat/"),
        "User-Agent {agent:?}"
    );
}
