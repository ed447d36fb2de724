//! Values the service adds later decode as `Unknown` instead of failing, and
//! identifiers of every kind survive the trip to the wire and back.

use acs_chat::{
    ChatAttachmentType, ChatMessageType, ChatParticipant, ChatRetentionPolicy,
    CommunicationCloudEnvironment, CommunicationIdentifier, CommunicationUserIdentifier,
    MicrosoftTeamsAppIdentifier, MicrosoftTeamsUserIdentifier, PhoneNumberIdentifier,
    TeamsExtensionUserIdentifier,
};
use httpmock::prelude::*;
use serde_json::{json, Value};

use crate::common::*;

async fn get_message_answering(body: Value) -> acs_chat::ChatMessage {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(thread_path("/messages/1"));
            then.status(200).json_body(body);
        })
        .await;
    let (client, _) = client(&server);
    client
        .get_chat_thread_client(THREAD)
        .get_message("1")
        .await
        .expect("an unknown value must not fail decoding")
}

fn message_with(overrides: Value) -> Value {
    let mut message = json!({
        "id": "1",
        "type": "text",
        "sequenceId": "1",
        "version": "1",
        "createdOn": "2024-01-02T03:04:05Z"
    });
    for (key, value) in overrides.as_object().unwrap() {
        message[key] = value.clone();
    }
    message
}

#[tokio::test]
async fn an_unknown_message_type_decodes_as_unknown() {
    let message = get_message_answering(message_with(json!({"type": "somethingNew"}))).await;

    assert_eq!(
        message.message_type,
        ChatMessageType::Unknown("somethingNew".into())
    );
    assert_eq!(message.message_type.as_str(), "somethingNew");
}

#[tokio::test]
async fn an_unknown_retention_policy_kind_decodes_as_unknown() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(thread_path(""));
            then.status(200).json_body(json!({
                "id": THREAD,
                "topic": "t",
                "createdOn": "2024-01-02T03:04:05Z",
                "createdByCommunicationIdentifier": acs_user_model("8:acs:res_me"),
                "retentionPolicy": {"kind": "someday", "deleteAfterSomething": 3}
            }));
        })
        .await;
    let (client, _) = client(&server);

    let properties = client
        .get_chat_thread_client(THREAD)
        .get_properties()
        .await
        .unwrap();

    assert_eq!(
        properties.retention_policy,
        Some(ChatRetentionPolicy::Unknown("someday".into()))
    );
}

#[tokio::test]
async fn an_identifier_of_an_unknown_kind_decodes_as_unknown_with_its_raw_id() {
    let message = get_message_answering(message_with(json!({
        "senderCommunicationIdentifier": {"rawId": "99:new:thing", "kind": "futureKind"}
    })))
    .await;

    let sender = message.sender.expect("a sender");
    let CommunicationIdentifier::Unknown(unknown) = &sender else {
        panic!("decoded as {sender:?}");
    };
    assert_eq!(unknown.id, "99:new:thing");
    assert_eq!(sender.raw_id(), "99:new:thing");
}

#[tokio::test]
async fn an_unknown_attachment_type_decodes_as_unknown() {
    let message = get_message_answering(message_with(json!({
        "content": {"attachments": [{"id": "a1", "attachmentType": "inlineImage"}]}
    })))
    .await;

    let attachment = &message.content.unwrap().attachments[0];
    assert_eq!(
        attachment.attachment_type,
        ChatAttachmentType::Unknown("inlineImage".into())
    );
}

#[tokio::test]
async fn an_unknown_cloud_decodes_as_unknown() {
    let message = get_message_answering(message_with(json!({
        "senderCommunicationIdentifier": {
            "rawId": "8:orgid:u1",
            "kind": "microsoftTeamsUser",
            "microsoftTeamsUser": {"userId": "u1", "cloud": "sovereign-2"}
        }
    })))
    .await;

    let CommunicationIdentifier::MicrosoftTeamsUser(user) = message.sender.unwrap() else {
        panic!("not a Teams user");
    };
    assert_eq!(
        user.cloud,
        CommunicationCloudEnvironment::Unknown("sovereign-2".into())
    );
    assert_eq!(user.user_id, "u1");
}

/// A participant of every kind, and the wire model the service expects for it.
fn identifiers_and_models() -> Vec<(CommunicationIdentifier, Value)> {
    vec![
        (
            CommunicationUserIdentifier::new("8:acs:res_user").into(),
            json!({
                "rawId": "8:acs:res_user",
                "kind": "communicationUser",
                "communicationUser": {"id": "8:acs:res_user"}
            }),
        ),
        (
            PhoneNumberIdentifier::new("+14255550123").into(),
            json!({
                "rawId": "4:+14255550123",
                "kind": "phoneNumber",
                "phoneNumber": {"value": "+14255550123"}
            }),
        ),
        (
            MicrosoftTeamsUserIdentifier::new("45ab2481")
                .with_cloud(CommunicationCloudEnvironment::Gcch)
                .into(),
            json!({
                "rawId": "8:gcch:45ab2481",
                "kind": "microsoftTeamsUser",
                "microsoftTeamsUser": {"userId": "45ab2481", "isAnonymous": false, "cloud": "gcch"}
            }),
        ),
        (
            MicrosoftTeamsUserIdentifier::anonymous("guest-1").into(),
            json!({
                "rawId": "8:teamsvisitor:guest-1",
                "kind": "microsoftTeamsUser",
                "microsoftTeamsUser": {"userId": "guest-1", "isAnonymous": true, "cloud": "public"}
            }),
        ),
        (
            MicrosoftTeamsAppIdentifier::new("01234567")
                .with_cloud(CommunicationCloudEnvironment::Dod)
                .into(),
            json!({
                "rawId": "28:dod:01234567",
                "kind": "microsoftTeamsApp",
                "microsoftTeamsApp": {"appId": "01234567", "cloud": "dod"}
            }),
        ),
        (
            TeamsExtensionUserIdentifier::new("user", "tenant", "res").into(),
            json!({
                "rawId": "8:acs:res_tenant_user",
                "kind": "teamsExtensionUser",
                "teamsExtensionUser": {
                    "userId": "user", "tenantId": "tenant", "resourceId": "res", "cloud": "public"
                }
            }),
        ),
        (
            CommunicationIdentifier::from_raw_id("99:new:thing"),
            json!({"rawId": "99:new:thing", "kind": "unknown"}),
        ),
    ]
}

#[tokio::test]
async fn identifiers_of_every_kind_are_sent_with_their_raw_id_and_kind_specific_fields() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/chat/threads")
                .is_true(recorder.hook());
            then.status(201).json_body(json!({"chatThread": {
                "id": "19:t@thread.v2",
                "topic": "t",
                "createdOn": "2024-01-02T03:04:05Z",
                "createdByCommunicationIdentifier": acs_user_model("8:acs:res_me")
            }}));
        })
        .await;
    let (client, _) = client(&server);
    let cases = identifiers_and_models();

    client
        .create_chat_thread("t")
        .participants(cases.iter().map(|(id, _)| ChatParticipant::new(id.clone())))
        .await
        .unwrap();

    let body = recorder.only().json();
    let sent: Vec<&Value> = body["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["communicationIdentifier"])
        .collect();
    assert_eq!(sent.len(), cases.len());
    for ((identifier, expected), sent) in cases.iter().zip(sent) {
        assert_eq!(sent, expected, "{identifier:?}");
    }
}

#[tokio::test]
async fn identifiers_of_every_kind_decode_back_to_the_same_participant() {
    let server = MockServer::start_async().await;
    let cases = identifiers_and_models();
    let value: Vec<Value> = cases
        .iter()
        .map(|(_, model)| json!({"communicationIdentifier": model}))
        .collect();
    server
        .mock_async(|when, then| {
            when.method(GET).path(thread_path("/participants"));
            then.status(200).json_body(json!({ "value": value }));
        })
        .await;
    let (client, _) = client(&server);

    let participants = client
        .get_chat_thread_client(THREAD)
        .list_participants()
        .collect_all()
        .await
        .unwrap();

    assert_eq!(participants.len(), cases.len());
    for ((original, _), decoded) in cases.iter().zip(&participants) {
        let decoded = &decoded.identifier;
        assert_eq!(decoded.kind(), original.kind(), "{original:?}");
        assert_eq!(decoded.raw_id(), original.raw_id(), "{original:?}");
        // Parsing the raw id gives the same identifier the caller built.
        assert_eq!(
            &CommunicationIdentifier::from_raw_id(&decoded.raw_id()),
            original
        );
        match (original, decoded) {
            (
                CommunicationIdentifier::MicrosoftTeamsUser(a),
                CommunicationIdentifier::MicrosoftTeamsUser(b),
            ) => {
                assert_eq!((&a.user_id, a.is_anonymous), (&b.user_id, b.is_anonymous));
                if !a.is_anonymous {
                    assert_eq!(a.cloud, b.cloud);
                }
            }
            (
                CommunicationIdentifier::MicrosoftTeamsApp(a),
                CommunicationIdentifier::MicrosoftTeamsApp(b),
            ) => assert_eq!((&a.app_id, &a.cloud), (&b.app_id, &b.cloud)),
            (
                CommunicationIdentifier::TeamsExtensionUser(a),
                CommunicationIdentifier::TeamsExtensionUser(b),
            ) => assert_eq!(
                (&a.user_id, &a.tenant_id, &a.resource_id, &a.cloud),
                (&b.user_id, &b.tenant_id, &b.resource_id, &b.cloud)
            ),
            (CommunicationIdentifier::PhoneNumber(a), CommunicationIdentifier::PhoneNumber(b)) => {
                assert_eq!(a.phone_number, b.phone_number)
            }
            (a, b) => assert_eq!(a, b),
        }
    }
}
