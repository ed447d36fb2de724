//! The models from a user's side of the crate boundary: every one is built
//! through its constructor and setters (they are `#[non_exhaustive]`), with
//! every field set, and survives a round trip through JSON unchanged; the
//! JSON uses the service's camelCase names. Also the conveniences that need
//! no server: `ChatMessage::text`, `Display`, identifier equality across
//! kinds, and a credential from an `AccessToken`.

use std::fmt::Debug;

use acs_chat::events::{
    ChatEvent, ChatEventEnvelope, ChatEventParticipant, ChatMessageEventData,
    ChatParticipantEventData, ChatThreadCreatedEventData, ChatThreadDeletedEventData,
    ChatThreadPropertiesUpdatedEventData, EventSchema,
};
use acs_chat::identifier::{
    CommunicationCloudEnvironment, CommunicationIdentifier, CommunicationUserIdentifier,
    MicrosoftTeamsAppIdentifier, MicrosoftTeamsUserIdentifier, PhoneNumberIdentifier,
    TeamsExtensionUserIdentifier, UnknownIdentifier,
};
use acs_chat::{
    AccessToken, ChatAttachment, ChatAttachmentType, ChatError, ChatMessage, ChatMessageContent,
    ChatMessageReadReceipt, ChatMessageType, ChatParticipant, ChatRetentionPolicy, ChatThreadItem,
    ChatThreadProperties, CommunicationTokenCredential, CreateChatThreadResult, ErrorKind,
    FailedParticipant, Metadata, Page, SendChatMessageResult,
};
use chrono::{DateTime, TimeZone, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

/// Serializes `value`, reads it back, checks it is unchanged, and returns the
/// JSON for checks of its shape. Goes through a string too, as a store would.
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &T) -> Value {
    let text = serde_json::to_string(value).expect("serializes");
    let back: T = serde_json::from_str(&text).expect("reads back");
    assert_eq!(&back, value, "through {text}");
    let json = serde_json::to_value(value).expect("serializes");
    let back: T = serde_json::from_value(json.clone()).expect("reads back from a Value");
    assert_eq!(&back, value, "through {json}");
    json
}

fn time(second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, second)
        .single()
        .expect("a valid time")
}

fn metadata(key: &str) -> Metadata {
    Metadata::from([(key.to_string(), format!("{key} value"))])
}

fn alice() -> CommunicationUserIdentifier {
    CommunicationUserIdentifier::new("8:acs:res_alice")
}

/// One identifier of every kind, with every field set (explicit raw ids,
/// clouds, anonymity, asserted ids).
fn identifiers() -> Vec<CommunicationIdentifier> {
    let mut phone = PhoneNumberIdentifier::new("+14255550123_leg-2");
    phone.is_anonymous = true;
    vec![
        alice().into(),
        PhoneNumberIdentifier::new("+14255550123").into(),
        phone.with_raw_id("4:legacy").into(),
        PhoneNumberIdentifier::new("anonymous").into(),
        MicrosoftTeamsUserIdentifier::new("45ab2481")
            .with_cloud(CommunicationCloudEnvironment::Gcch)
            .into(),
        MicrosoftTeamsUserIdentifier::anonymous("guest-1")
            .with_cloud(CommunicationCloudEnvironment::Dod)
            .with_raw_id("8:teamsvisitor:guest-1-legacy")
            .into(),
        MicrosoftTeamsUserIdentifier::new("u1")
            .with_cloud(CommunicationCloudEnvironment::from("sovereign-2"))
            .into(),
        MicrosoftTeamsAppIdentifier::new("01234567")
            .with_cloud(CommunicationCloudEnvironment::Dod)
            .with_raw_id("28:orgid:other")
            .into(),
        TeamsExtensionUserIdentifier::new("user", "tenant", "res")
            .with_cloud(CommunicationCloudEnvironment::Gcch)
            .into(),
        TeamsExtensionUserIdentifier::new("user", "tenant", "res")
            .with_raw_id("8:acs:res_tenant_user_x")
            .into(),
        CommunicationIdentifier::from_raw_id("99:new:thing"),
        // Built by hand from a raw id that parses as another kind: kept unknown.
        UnknownIdentifier::new("8:acs:res_someone").into(),
        UnknownIdentifier::new("").into(),
    ]
}

#[test]
fn identifiers_of_every_kind_round_trip_in_the_services_wire_shape() {
    for identifier in identifiers() {
        let json = round_trip(&identifier);
        assert_eq!(json["rawId"], identifier.raw_id(), "{json}");
        assert_eq!(json["kind"], identifier.kind(), "{json}");
    }
    let json = round_trip(&CommunicationIdentifier::from(alice()));
    assert_eq!(
        json,
        json!({
            "rawId": "8:acs:res_alice",
            "kind": "communicationUser",
            "communicationUser": {"id": "8:acs:res_alice"}
        })
    );
    let teams: CommunicationIdentifier = MicrosoftTeamsUserIdentifier::new("45ab2481")
        .with_cloud(CommunicationCloudEnvironment::Gcch)
        .into();
    assert_eq!(
        round_trip(&teams),
        json!({
            "rawId": "8:gcch:45ab2481",
            "kind": "microsoftTeamsUser",
            "microsoftTeamsUser": {"userId": "45ab2481", "isAnonymous": false, "cloud": "gcch"}
        })
    );
    let phone: CommunicationIdentifier = PhoneNumberIdentifier::new("+14255550123_leg-2").into();
    assert_eq!(
        round_trip(&phone)["phoneNumber"],
        json!({"value": "+14255550123_leg-2", "assertedId": "leg-2"})
    );
}

#[test]
fn concrete_identifier_types_round_trip_in_the_same_shape_and_refuse_other_kinds() {
    let user = alice();
    let json = round_trip(&user);
    assert_eq!(
        json,
        serde_json::to_value(CommunicationIdentifier::from(user)).unwrap()
    );

    let mut phone = PhoneNumberIdentifier::new("+14255550123_leg-2").with_raw_id("4:x");
    phone.is_anonymous = true;
    assert_eq!(round_trip(&phone)["phoneNumber"]["isAnonymous"], true);
    let teams_user = MicrosoftTeamsUserIdentifier::anonymous("guest")
        .with_cloud(CommunicationCloudEnvironment::Gcch)
        .with_raw_id("8:teamsvisitor:other");
    assert_eq!(
        round_trip(&teams_user)["microsoftTeamsUser"]["isAnonymous"],
        true
    );
    let app =
        MicrosoftTeamsAppIdentifier::new("app").with_cloud(CommunicationCloudEnvironment::Dod);
    assert_eq!(round_trip(&app)["microsoftTeamsApp"]["appId"], "app");
    let extension = TeamsExtensionUserIdentifier::new("u", "t", "r")
        .with_cloud(CommunicationCloudEnvironment::Dod)
        .with_raw_id("8:dod-acs:r_t_u_legacy");
    assert_eq!(
        round_trip(&extension)["teamsExtensionUser"]["tenantId"],
        "t"
    );
    // An explicit raw id equal to the computed one says nothing more: it is
    // not kept, and the identifier reads back as the one built without it.
    let redundant = TeamsExtensionUserIdentifier::new("u", "t", "r").with_raw_id("8:acs:r_t_u");
    let back: TeamsExtensionUserIdentifier =
        serde_json::from_value(serde_json::to_value(&redundant).unwrap()).unwrap();
    assert_eq!(back, TeamsExtensionUserIdentifier::new("u", "t", "r"));
    assert_eq!(back.raw_id(), redundant.raw_id());
    let unknown = UnknownIdentifier::new("8:orgid:looks-known");
    assert_eq!(round_trip(&unknown)["kind"], "unknown");

    // A concrete type reads only its own kind.
    let error = serde_json::from_value::<PhoneNumberIdentifier>(json).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("expected a phoneNumber identifier"),
        "{error}"
    );
}

#[test]
fn identifiers_read_the_json_the_service_sends() {
    // As in a REST response: kind, raw id and the kind's object.
    let sent = json!({
        "rawId": "8:orgid:45ab2481",
        "kind": "microsoftTeamsUser",
        "microsoftTeamsUser": {"userId": "45ab2481", "isAnonymous": false, "cloud": "public"}
    });
    let identifier: CommunicationIdentifier = serde_json::from_value(sent).unwrap();
    assert_eq!(identifier, MicrosoftTeamsUserIdentifier::new("45ab2481"));
    // Only a raw id: parsed.
    let identifier: CommunicationIdentifier =
        serde_json::from_value(json!({"rawId": "4:+14255550123"})).unwrap();
    assert_eq!(identifier, PhoneNumberIdentifier::new("+14255550123"));
}

#[test]
fn cloud_environments_serialize_as_their_wire_names() {
    for (cloud, name) in [
        (CommunicationCloudEnvironment::Public, "public"),
        (CommunicationCloudEnvironment::Dod, "dod"),
        (CommunicationCloudEnvironment::Gcch, "gcch"),
        (
            CommunicationCloudEnvironment::from("sovereign-2"),
            "sovereign-2",
        ),
    ] {
        assert_eq!(round_trip(&cloud), json!(name));
    }
}

fn participant(name: &str) -> ChatParticipant {
    ChatParticipant::new(CommunicationUserIdentifier::new(format!(
        "8:acs:res_{name}"
    )))
    .display_name(name)
    .share_history_time(time(1))
    .metadata(metadata(name))
}

fn thread_properties() -> ChatThreadProperties {
    ChatThreadProperties::new("19:a@thread.v2", "Launch plan", time(0), alice())
        .deleted_on(time(9))
        .metadata(metadata("team"))
        .retention_policy(ChatRetentionPolicy::ThreadCreationDate {
            delete_thread_after_days: 30,
        })
}

fn chat_error() -> ChatError {
    ChatError::new("Forbidden", "cannot add")
        .target("8:acs:res_bob")
        .details([ChatError::new("Detail", "why").target("d")])
        .inner_error(ChatError::new("Inner", "deeper").inner_error(ChatError::new("I2", "x")))
}

#[test]
fn a_thread_round_trips_with_the_services_field_names() {
    let thread = thread_properties();
    let json = round_trip(&thread);
    assert_eq!(json["createdOn"], "2024-05-01T10:00:00Z");
    assert_eq!(
        json["createdByCommunicationIdentifier"]["rawId"],
        "8:acs:res_alice"
    );
    assert_eq!(json["deletedOn"], "2024-05-01T10:00:09Z");
    assert_eq!(
        json["retentionPolicy"],
        json!({"kind": "threadCreationDate", "deleteThreadAfterDays": 30})
    );

    let item = ChatThreadItem::new("19:a@thread.v2", "Launch plan")
        .deleted_on(time(2))
        .last_message_received_on(time(3));
    let json = round_trip(&item);
    assert_eq!(json["lastMessageReceivedOn"], "2024-05-01T10:00:03Z");

    // Defaults stay out of the JSON and come back as defaults.
    let bare = ChatThreadProperties::new("19:b@thread.v2", "t", time(0), alice());
    let json = round_trip(&bare);
    assert!(
        json.get("metadata").is_none() && json.get("deletedOn").is_none(),
        "{json}"
    );
}

#[test]
fn retention_policies_round_trip() {
    for (policy, expected) in [
        (
            ChatRetentionPolicy::ThreadCreationDate {
                delete_thread_after_days: 90,
            },
            json!({"kind": "threadCreationDate", "deleteThreadAfterDays": 90}),
        ),
        (ChatRetentionPolicy::None, json!({"kind": "none"})),
        (
            ChatRetentionPolicy::Unknown("messageAge".into()),
            json!({"kind": "messageAge"}),
        ),
    ] {
        assert_eq!(round_trip(&policy), expected);
    }
}

#[test]
fn a_message_with_every_field_round_trips_with_the_services_field_names() {
    let content = ChatMessageContent::new()
        .message("Hello")
        .topic("New topic")
        .participants([participant("bob"), participant("carol")])
        .initiator(alice())
        .attachments([
            ChatAttachment::new("a1", ChatAttachmentType::Image)
                .name("cat.png")
                .url("https://example.com/cat.png")
                .preview_url("https://example.com/cat-small.png"),
            ChatAttachment::new("a2", ChatAttachmentType::from("video")),
        ]);
    let message = ChatMessage::new(
        "1714557600000",
        ChatMessageType::Html,
        "3",
        "1714557600001",
        time(0),
    )
    .content(content)
    .sender_display_name("Alice")
    .sender(alice())
    .deleted_on(time(5))
    .edited_on(time(4))
    .metadata(metadata("tag"));
    let json = round_trip(&message);
    assert_eq!(json["type"], "html");
    assert_eq!(json["sequenceId"], "3");
    assert_eq!(
        json["senderCommunicationIdentifier"]["rawId"],
        "8:acs:res_alice"
    );
    assert_eq!(json["senderDisplayName"], "Alice");
    assert_eq!(json["editedOn"], "2024-05-01T10:00:04Z");
    let content = &json["content"];
    assert_eq!(
        content["initiatorCommunicationIdentifier"]["rawId"],
        "8:acs:res_alice"
    );
    assert_eq!(
        content["participants"][0]["communicationIdentifier"]["rawId"],
        "8:acs:res_bob"
    );
    assert_eq!(
        content["participants"][0]["shareHistoryTime"],
        "2024-05-01T10:00:01Z"
    );
    assert_eq!(content["attachments"][0]["attachmentType"], "image");
    assert_eq!(
        content["attachments"][0]["previewUrl"],
        "https://example.com/cat-small.png"
    );
    assert_eq!(content["attachments"][1]["attachmentType"], "video");

    let system = ChatMessage::new("2", ChatMessageType::from("poll"), "4", "2", time(1));
    round_trip(&system);
}

#[test]
fn a_message_in_the_services_json_reads_into_the_model() {
    let sent = json!({
        "id": "1",
        "type": "text",
        "sequenceId": "2",
        "version": "1",
        "content": {"message": "Hi"},
        "senderDisplayName": "Bob",
        "createdOn": "2024-05-01T10:00:00Z",
        "senderCommunicationIdentifier": {
            "rawId": "8:acs:res_bob", "kind": "communicationUser",
            "communicationUser": {"id": "8:acs:res_bob"}
        }
    });
    let message: ChatMessage = serde_json::from_value(sent).unwrap();
    assert_eq!(message.text(), Some("Hi"));
    assert_eq!(
        message.sender,
        Some(CommunicationUserIdentifier::new("8:acs:res_bob").into())
    );
    assert!(message.metadata.is_empty());
}

#[test]
fn participants_receipts_and_results_round_trip() {
    let json = round_trip(&participant("bob"));
    assert_eq!(json["displayName"], "bob");
    assert_eq!(json["metadata"]["bob"], "bob value");

    let receipt = ChatMessageReadReceipt::new(alice(), "1714557600000", time(7));
    let json = round_trip(&receipt);
    assert_eq!(json["chatMessageId"], "1714557600000");
    assert_eq!(json["readOn"], "2024-05-01T10:00:07Z");
    assert_eq!(
        json["senderCommunicationIdentifier"]["kind"],
        "communicationUser"
    );

    let sent = SendChatMessageResult::new("1714557600000");
    assert_eq!(round_trip(&sent), json!({"id": "1714557600000"}));

    let error = chat_error();
    let json = round_trip(&error);
    assert_eq!(json["innerError"]["innerError"]["code"], "I2");
    assert_eq!(json["details"][0]["target"], "d");

    let failed = FailedParticipant::new(participant("bob"), chat_error());
    let json = round_trip(&failed);
    assert_eq!(json["participant"]["displayName"], "bob");
    assert_eq!(json["error"]["code"], "Forbidden");

    let created = CreateChatThreadResult::new(thread_properties()).errors([
        failed.clone(),
        FailedParticipant::new(participant("carol"), ChatError::new("NotFound", "who?")),
    ]);
    let json = round_trip(&created);
    assert_eq!(json["chatThread"]["id"], "19:a@thread.v2");
    assert_eq!(json["errors"][0], serde_json::to_value(&failed).unwrap());
    assert_eq!(created.errors[1].error.code, "NotFound");
    round_trip(&CreateChatThreadResult::new(thread_properties()));
}

#[test]
fn pages_round_trip() {
    let page = Page::new(vec![
        ChatThreadItem::new("19:a@thread.v2", "a"),
        ChatThreadItem::new("19:b@thread.v2", "b").last_message_received_on(time(1)),
    ])
    .continuation_token("https://contoso.communication.azure.com/chat/threads?syncState=abc");
    let json = round_trip(&page);
    assert_eq!(json["items"][1]["id"], "19:b@thread.v2");
    assert!(json["continuationToken"]
        .as_str()
        .unwrap()
        .contains("syncState"));

    let last: Page<ChatMessage> = Page::new(vec![ChatMessage::new(
        "1",
        ChatMessageType::Text,
        "1",
        "1",
        time(0),
    )]);
    let json = round_trip(&last);
    assert!(json.get("continuationToken").is_none(), "{json}");
}

fn event_participant(name: &str) -> ChatEventParticipant {
    ChatEventParticipant::new(CommunicationUserIdentifier::new(format!(
        "8:acs:res_{name}"
    )))
    .display_name(name)
    .metadata(metadata(name))
}

fn message_data() -> ChatMessageEventData {
    ChatMessageEventData::new("19:a@thread.v2", "1714557600000")
        .recipient(CommunicationUserIdentifier::new("8:acs:res_bot"))
        .transaction_id("t1")
        .sender(alice())
        .sender_display_name("Alice")
        .compose_time(time(0))
        .message_type(ChatMessageType::Html)
        .version(1714557600000)
        .message_body("<p>Hi</p>")
        .metadata(metadata("tag"))
        .edit_time(time(1))
        .delete_time(time(2))
}

fn properties() -> serde_json::Map<String, Value> {
    let mut properties = serde_json::Map::new();
    properties.insert("topic".into(), json!("Launch"));
    properties.insert("nested".into(), json!({"a": [1, 2.5, null, true]}));
    properties
}

/// Every chat event type, each with every field of its data set.
fn every_event() -> Vec<ChatEvent> {
    let created = ChatThreadCreatedEventData::new("19:a@thread.v2")
        .recipient(CommunicationUserIdentifier::new("8:acs:res_bob"))
        .transaction_id("t2")
        .create_time(time(0))
        .version(7)
        .created_by(alice())
        .properties(properties())
        .metadata(metadata("m"))
        .participants([event_participant("bob"), event_participant("carol")]);
    let deleted = ChatThreadDeletedEventData::new("19:a@thread.v2")
        .recipient(CommunicationUserIdentifier::new("8:acs:res_bob"))
        .transaction_id("t3")
        .create_time(time(0))
        .version(8)
        .deleted_by(alice())
        .delete_time(time(3));
    let updated = ChatThreadPropertiesUpdatedEventData::new("19:a@thread.v2")
        .recipient(CommunicationUserIdentifier::new("8:acs:res_bob"))
        .transaction_id("t4")
        .create_time(time(0))
        .version(9)
        .edited_by(alice())
        .edit_time(time(4))
        .properties(properties())
        .metadata(metadata("m"));
    let participant = ChatParticipantEventData::new("19:a@thread.v2")
        .recipient(CommunicationUserIdentifier::new("8:acs:res_bob"))
        .transaction_id("t5")
        .create_time(time(0))
        .version(10)
        .time(time(5))
        .changed_by(alice())
        .participant(event_participant("carol"));
    vec![
        ChatEvent::ChatMessageReceived(message_data()),
        ChatEvent::ChatMessageEdited(message_data()),
        ChatEvent::ChatMessageDeleted(message_data()),
        ChatEvent::ChatThreadCreatedWithUser(created.clone()),
        ChatEvent::ChatThreadWithUserDeleted(deleted.clone()),
        ChatEvent::ChatThreadPropertiesUpdatedPerUser(updated.clone()),
        ChatEvent::ChatParticipantAddedToThreadWithUser(participant.clone()),
        ChatEvent::ChatParticipantRemovedFromThreadWithUser(participant.clone()),
        ChatEvent::ChatThreadCreated(created),
        ChatEvent::ChatThreadDeleted(deleted),
        ChatEvent::ChatThreadPropertiesUpdated(updated),
        ChatEvent::ChatThreadParticipantAdded(participant.clone()),
        ChatEvent::ChatThreadParticipantRemoved(participant),
        ChatEvent::ChatMessageReceivedInThread(message_data()),
        ChatEvent::ChatMessageEditedInThread(message_data()),
        ChatEvent::ChatMessageDeletedInThread(message_data()),
        ChatEvent::ChatAzureBotCommandReceivedInThread(message_data()),
        ChatEvent::ChatTypingIndicatorReceivedInThread(message_data()),
        ChatEvent::Unknown {
            event_type: "Contoso.Custom".into(),
            data: json!({"anything": [1, "two"]}),
        },
    ]
}

#[test]
fn every_chat_event_round_trips() {
    for event in every_event() {
        let json = round_trip(&event);
        assert!(json["type"].is_string(), "{json}");
        assert!(json["data"].is_object(), "{json}");
    }
    let json = round_trip(&ChatEvent::ChatMessageReceived(message_data()));
    assert_eq!(json["type"], "ChatMessageReceived");
    let data = &json["data"];
    assert_eq!(data["threadId"], "19:a@thread.v2");
    assert_eq!(data["messageId"], "1714557600000");
    assert_eq!(data["messageType"], "html");
    assert_eq!(data["composeTime"], "2024-05-01T10:00:00Z");
    assert_eq!(data["sender"]["communicationUser"]["id"], "8:acs:res_alice");

    let json = round_trip(&every_event()[3]);
    assert_eq!(json["data"]["participants"][1]["displayName"], "carol");
    assert_eq!(json["data"]["createdBy"]["rawId"], "8:acs:res_alice");

    let unknown = every_event().pop().unwrap();
    assert_eq!(
        round_trip(&unknown),
        json!({"type": "Unknown", "data": {"eventType": "Contoso.Custom", "data": {"anything": [1, "two"]}}})
    );
}

#[test]
fn envelopes_round_trip_with_every_field_set() {
    for (n, event) in every_event().into_iter().enumerate() {
        let envelope = ChatEventEnvelope::new(format!("event-{n}"), event)
            .subject("thread/19:a@thread.v2")
            .event_time(time(6))
            .source("/subscriptions/x/resourceGroups/g/providers/Microsoft.Communication/communicationServices/r")
            .data_version("1.0")
            .schema(if n % 2 == 0 {
                EventSchema::EventGrid
            } else {
                EventSchema::CloudEvents
            });
        let json = round_trip(&envelope);
        assert_eq!(json["eventTime"], "2024-05-01T10:00:06Z");
        assert_eq!(json["dataVersion"], "1.0");
        assert!(
            json["schema"] == "eventGrid" || json["schema"] == "cloudEvents",
            "{json}"
        );
        assert_eq!(json["eventType"], envelope.event_type);
    }
    let envelope = ChatEventEnvelope::new("e", every_event().remove(0));
    assert_eq!(
        envelope.event_type,
        "Microsoft.Communication.ChatMessageReceived"
    );
    assert_eq!(envelope.schema, EventSchema::EventGrid);
    let unknown = ChatEventEnvelope::new("e", every_event().pop().unwrap());
    assert_eq!(unknown.event_type, "Contoso.Custom");
}

#[test]
fn a_parsed_delivery_round_trips_through_json() {
    let body = br#"[{"id":"1","topic":"/subscriptions/x","subject":"thread/19:a@thread.v2",
      "eventType":"Microsoft.Communication.ChatThreadDeleted","eventTime":"2024-01-01T00:00:00Z",
      "dataVersion":"1.0","data":{"threadId":"19:a@thread.v2","transactionId":"t1","version":7,
      "deletedByCommunicationIdentifier":{"rawId":"8:acs:r_alice","communicationUser":{"id":"8:acs:r_alice"}}}}]"#;
    let parsed = acs_chat::events::parse_event_grid(body).unwrap();
    round_trip(&parsed);
}

#[test]
fn text_is_the_content_of_text_and_html_messages_only() {
    let with = |message_type: ChatMessageType| {
        ChatMessage::new("1", message_type, "1", "1", time(0))
            .content(ChatMessageContent::new().message("words").topic("t"))
    };
    assert_eq!(with(ChatMessageType::Text).text(), Some("words"));
    assert_eq!(with(ChatMessageType::Html).text(), Some("words"));
    for system in [
        ChatMessageType::TopicUpdated,
        ChatMessageType::ParticipantAdded,
        ChatMessageType::ParticipantRemoved,
        ChatMessageType::from("somethingNew"),
    ] {
        assert_eq!(with(system.clone()).text(), None, "{system}");
    }
    assert_eq!(
        ChatMessage::new("1", ChatMessageType::Text, "1", "1", time(0)).text(),
        None
    );
}

#[test]
fn identifiers_display_their_raw_id() {
    assert_eq!(alice().to_string(), "8:acs:res_alice");
    assert_eq!(PhoneNumberIdentifier::new("+1425").to_string(), "4:+1425");
    assert_eq!(
        MicrosoftTeamsUserIdentifier::new("u")
            .with_cloud(CommunicationCloudEnvironment::Dod)
            .to_string(),
        "8:dod:u"
    );
    assert_eq!(
        MicrosoftTeamsAppIdentifier::new("a").to_string(),
        "28:orgid:a"
    );
    assert_eq!(
        TeamsExtensionUserIdentifier::new("u", "t", "r").to_string(),
        "8:acs:r_t_u"
    );
    assert_eq!(UnknownIdentifier::new("99:x").to_string(), "99:x");
    for identifier in identifiers() {
        assert_eq!(identifier.to_string(), identifier.raw_id());
    }
}

#[test]
fn identifiers_compare_with_their_concrete_kinds_both_ways() {
    let id = CommunicationIdentifier::from_raw_id("8:acs:res_alice");
    assert_eq!(id, alice());
    assert_eq!(alice(), id);
    assert_ne!(id, CommunicationUserIdentifier::new("8:acs:res_bob"));
    assert_ne!(CommunicationUserIdentifier::new("8:acs:res_bob"), id);
    // Another kind is never equal, even with the same raw id.
    let unknown = UnknownIdentifier::new("8:acs:res_alice");
    assert_ne!(id, unknown);
    assert_ne!(unknown, id);

    let phone = PhoneNumberIdentifier::new("+14255550123");
    assert_eq!(
        CommunicationIdentifier::from_raw_id("4:+14255550123"),
        phone
    );
    assert_eq!(
        phone,
        CommunicationIdentifier::from_raw_id("4:+14255550123")
    );
    assert_ne!(phone, id);
    let teams =
        MicrosoftTeamsUserIdentifier::new("u").with_cloud(CommunicationCloudEnvironment::Gcch);
    assert_eq!(CommunicationIdentifier::from_raw_id("8:gcch:u"), teams);
    assert_eq!(teams, CommunicationIdentifier::from_raw_id("8:gcch:u"));
    let app = MicrosoftTeamsAppIdentifier::new("a");
    assert_eq!(CommunicationIdentifier::from_raw_id("28:orgid:a"), app);
    assert_eq!(app, CommunicationIdentifier::from_raw_id("28:orgid:a"));
    let extension = TeamsExtensionUserIdentifier::new("u", "t", "r");
    assert_eq!(
        CommunicationIdentifier::from_raw_id("8:acs:r_t_u"),
        extension
    );
    assert_eq!(
        extension,
        CommunicationIdentifier::from_raw_id("8:acs:r_t_u")
    );
    let odd = UnknownIdentifier::new("99:x");
    assert_eq!(CommunicationIdentifier::from_raw_id("99:x"), odd);
    assert_eq!(odd, CommunicationIdentifier::from_raw_id("99:x"));
}

#[test]
fn error_kinds_display_as_short_descriptions() {
    assert_eq!(ErrorKind::InvalidArgument.to_string(), "invalid argument");
    assert_eq!(ErrorKind::Service.to_string(), "service error");
    assert_eq!(ErrorKind::OutcomeUnknown.to_string(), "outcome unknown");
    assert_eq!(
        ErrorKind::UntrustedNextLink.to_string(),
        "untrusted nextLink"
    );
}

#[tokio::test]
async fn a_credential_from_an_access_token_hands_out_that_token_until_it_expires() {
    // Not a JWT: the expiry comes with the token, nothing is parsed.
    let token = AccessToken::new("opaque-token", Utc::now() + chrono::Duration::hours(1));
    let credential = CommunicationTokenCredential::from(token.clone());
    assert_eq!(credential.get_token().await.unwrap(), token);
    assert!(!format!("{credential:?}").contains("opaque-token"));

    let expired = AccessToken::new("old", Utc::now() - chrono::Duration::seconds(1));
    let credential: CommunicationTokenCredential = expired.into();
    let error = credential.get_token().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Credential);
}
