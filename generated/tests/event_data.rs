//! The generated Event Grid chat event models (`types::AcsChat*EventData`,
//! from `openapi/events.json`) against the upstream examples of both delivery
//! schemas (`tests/data/events/`, see `tests/data/SOURCES.md`). Every example's
//! `data` is decoded into the model whose `x-acs-event-type` in
//! `openapi/events.json` is the example's event type (`eventType` in the Event
//! Grid schema, `type` in CloudEvents), without losing a field the model knows.
//! Plus: field values, both forms of `version`, and unknown fields.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use acs_chat_rest::types;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn events_dir() -> PathBuf {
    workspace_root().join("tests/data/events")
}

fn read_json(path: &Path) -> Value {
    let text =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Every example as (`schema-folder/file.json`, parsed body), in file order.
fn examples() -> Vec<(String, Value)> {
    let mut all = Vec::new();
    for folder in ["cloud-events-schema", "event-grid-schema"] {
        let dir = events_dir().join(folder);
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .map(|entry| entry.expect("directory entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        files.sort();
        for path in files {
            let name = path.file_name().expect("file name").to_string_lossy();
            all.push((format!("{folder}/{name}"), read_json(&path)));
        }
    }
    all
}

/// The event type of an example, whichever envelope it uses: the Event Grid
/// schema has `eventType`, CloudEvents has `type` (and `specversion`).
fn event_type(example: &Value) -> &str {
    example
        .get("eventType")
        .or_else(|| example.get("type"))
        .and_then(Value::as_str)
        .expect("an event type")
}

/// Event type → schema name, read from `openapi/events.json` itself.
fn described_event_types() -> BTreeMap<String, String> {
    let events = read_json(&workspace_root().join("openapi/events.json"));
    let schemas = events
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .expect("events.json has components.schemas");
    schemas
        .iter()
        .filter_map(|(name, schema)| {
            let event_type = schema.get("x-acs-event-type")?.as_str()?;
            Some((event_type.to_string(), name.clone()))
        })
        .collect()
}

/// Decodes a body into `T` and encodes it again.
type Decoder = fn(&Value) -> Result<Value, String>;

fn decode<T: DeserializeOwned + Serialize>(body: &Value) -> Result<Value, String> {
    let value: T = serde_json::from_value(body.clone()).map_err(|e| e.to_string())?;
    serde_json::to_value(&value).map_err(|e| e.to_string())
}

fn typed<T: DeserializeOwned>(body: &Value) -> T {
    serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{e}: {body}"))
}

macro_rules! decoders {
    ($($t:ident),* $(,)?) => {
        [$((stringify!($t), decode::<types::$t> as Decoder)),*]
    };
}

/// Every generated event data model.
const DECODERS: [(&str, Decoder); 18] = decoders![
    AcsChatAzureBotCommandReceivedInThreadEventData,
    AcsChatMessageDeletedEventData,
    AcsChatMessageDeletedInThreadEventData,
    AcsChatMessageEditedEventData,
    AcsChatMessageEditedInThreadEventData,
    AcsChatMessageReceivedEventData,
    AcsChatMessageReceivedInThreadEventData,
    AcsChatParticipantAddedToThreadEventData,
    AcsChatParticipantAddedToThreadWithUserEventData,
    AcsChatParticipantRemovedFromThreadEventData,
    AcsChatParticipantRemovedFromThreadWithUserEventData,
    AcsChatThreadCreatedEventData,
    AcsChatThreadCreatedWithUserEventData,
    AcsChatThreadDeletedEventData,
    AcsChatThreadPropertiesUpdatedEventData,
    AcsChatThreadPropertiesUpdatedPerUserEventData,
    AcsChatThreadWithUserDeletedEventData,
    AcsChatTypingIndicatorReceivedInThreadEventData,
];

/// Event types of upstream examples that the description has no data schema
/// for, and the described model their data must still decode into.
/// `cloud-events-schema/chat_azure_bot_command.json` uses the type
/// `Microsoft.Communication.ChatAzureBotCommand`, which no definition names;
/// its data is that of the in-thread bot command plus the per-recipient fields.
const UNDESCRIBED: [(&str, &str); 1] = [(
    "Microsoft.Communication.ChatAzureBotCommand",
    "AcsChatAzureBotCommandReceivedInThreadEventData",
)];

/// The model an example's data belongs to.
fn model_for(event_type: &str, described: &BTreeMap<String, String>) -> Option<String> {
    described.get(event_type).cloned().or_else(|| {
        UNDESCRIBED
            .iter()
            .find(|(undescribed, _)| *undescribed == event_type)
            .map(|(_, model)| model.to_string())
    })
}

fn decoder(model: &str) -> Decoder {
    DECODERS
        .iter()
        .find(|(name, _)| *name == model)
        .map(|(_, decoder)| *decoder)
        .unwrap_or_else(|| panic!("no decoder for {model}"))
}

/// Fields of `original` whose value is lost or changed in `encoded` (the data
/// decoded and encoded again). Only fields the model knows are compared: the
/// ones `encoded` has. Date-times compare as instants, since an offset such
/// as `-08:00` comes back in UTC.
fn changed_fields(original: &Value, encoded: &Value, at: &str, out: &mut Vec<String>) {
    match (original, encoded) {
        (Value::Object(original), Value::Object(encoded)) => {
            for (key, again) in encoded {
                let path = format!("{at}/{key}");
                match original.get(key) {
                    Some(value) => changed_fields(value, again, &path, out),
                    None => out.push(format!("{path} (not in the example)")),
                }
            }
        }
        (Value::Array(original), Value::Array(encoded)) => {
            if original.len() != encoded.len() {
                out.push(format!("{at} (length)"));
            }
            for (i, (value, again)) in original.iter().zip(encoded).enumerate() {
                changed_fields(value, again, &format!("{at}/{i}"), out);
            }
        }
        (Value::String(a), Value::String(b)) if a != b => {
            let same_instant = match (
                DateTime::parse_from_rfc3339(a),
                DateTime::parse_from_rfc3339(b),
            ) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            };
            if !same_instant {
                out.push(format!("{at}: {a:?} became {b:?}"));
            }
        }
        (a, b) if a != b => out.push(format!("{at}: {a} became {b}")),
        _ => {}
    }
}

/// Known fields of `original` that `encoded` lost (ignoring empty maps, which
/// the models leave out when encoding). Unknown fields are expected to go.
fn lost_known_fields(model: &str, original: &Value, encoded: &Value) -> Vec<String> {
    let known: BTreeSet<String> = {
        let events = read_json(&workspace_root().join("openapi/events.json"));
        events
            .pointer(&format!("/components/schemas/{model}/properties"))
            .and_then(Value::as_object)
            .map(|properties| properties.keys().cloned().collect())
            .unwrap_or_default()
    };
    let (Some(original), Some(encoded)) = (original.as_object(), encoded.as_object()) else {
        return vec!["data is not an object".into()];
    };
    original
        .iter()
        .filter(|(key, _)| known.contains(*key) && !encoded.contains_key(*key))
        .filter(|(_, value)| !matches!(value, Value::Object(fields) if fields.is_empty()))
        .map(|(key, _)| key.clone())
        .collect()
}

#[test]
fn every_example_data_decodes_into_its_event_model() {
    let described = described_event_types();
    assert_eq!(
        described.len(),
        DECODERS.len(),
        "every event data schema in events.json needs a decoder here"
    );
    for model in described.values() {
        decoder(model);
    }
    let mut failures = Vec::new();
    let mut exercised = BTreeSet::new();
    let all = examples();
    assert_eq!(all.len(), 32, "the example set changed; update SOURCES.md");
    for (file, example) in &all {
        let event_type = event_type(example);
        let Some(model) = model_for(event_type, &described) else {
            failures.push(format!("{file}: no model for {event_type}"));
            continue;
        };
        let data = &example["data"];
        match decoder(&model)(data) {
            Ok(encoded) => {
                exercised.insert(model.clone());
                let mut changed = Vec::new();
                changed_fields(data, &encoded, "", &mut changed);
                let lost = lost_known_fields(&model, data, &encoded);
                if !changed.is_empty() || !lost.is_empty() {
                    failures.push(format!(
                        "{file} as {model}: changed {changed:?}, lost {lost:?}"
                    ));
                }
            }
            Err(e) => failures.push(format!("{file} as {model}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let unexercised: Vec<&str> = DECODERS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !exercised.contains(*name))
        .collect();
    assert!(
        unexercised.is_empty(),
        "models no example exercises: {unexercised:?}"
    );
}

#[test]
fn every_example_is_listed_in_sources() {
    let sources = fs::read_to_string(workspace_root().join("tests/data/SOURCES.md")).unwrap();
    for (file, _) in examples() {
        assert!(
            sources.contains(&format!("`events/{file}`")),
            "{file} is not listed in tests/data/SOURCES.md"
        );
    }
}

fn example(file: &str) -> Value {
    read_json(&events_dir().join(file))["data"].clone()
}

fn instant(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

#[test]
fn message_events_carry_their_fields() {
    let received: types::AcsChatMessageReceivedEventData =
        typed(&example("cloud-events-schema/chat_message_received.json"));
    assert_eq!(
        received.message_body.as_deref(),
        Some("Welcome to Azure Communication Services")
    );
    assert_eq!(received.message_id, "1613694358927");
    assert_eq!(received.type_, "Text");
    assert_eq!(received.sender_display_name.as_deref(), Some("Jhon"));
    assert_eq!(
        received.sender_communication_identifier.raw_id.as_deref(),
        Some("8:acs:109f0644-b956-4cd9-87b1-71024f6e2f44_00000008-578d-7caf-07fd-084822001724")
    );
    assert_eq!(
        received
            .sender_communication_identifier
            .communication_user
            .as_ref()
            .map(|user| user.id.as_str()),
        Some("8:acs:109f0644-b956-4cd9-87b1-71024f6e2f44_00000008-578d-7caf-07fd-084822001724")
    );
    assert!(received.recipient_communication_identifier.is_some());
    assert_eq!(
        received.compose_time,
        Some(instant("2021-02-19T00:25:58.927Z"))
    );
    assert_eq!(
        received.metadata.get("key").map(String::as_str),
        Some("value")
    );
    assert_eq!(
        received.version,
        Some(types::AcsChatEventVersion::Int64(1613694358927))
    );
    assert_eq!(
        received.thread_id.as_deref(),
        Some("19:6e5d6ca1d75044a49a36a7965ec4a906@thread.v2")
    );

    let deleted: types::AcsChatMessageDeletedInThreadEventData = typed(&example(
        "cloud-events-schema/chat_message_deleted_in_thread.json",
    ));
    // `-08:00` in the example; the same instant in UTC.
    assert_eq!(
        deleted.delete_time,
        Some(instant("2021-02-20T00:59:10.464Z"))
    );
    assert_eq!(
        deleted.transaction_id,
        "HqU6PeK5AkCRSpW8eAbL0A.1.1.2.1.987824181.1"
    );

    let edited: types::AcsChatMessageEditedInThreadEventData = typed(&example(
        "cloud-events-schema/chat_message_edited_in_thread.json",
    ));
    assert_eq!(edited.message_body, "8effb181-1eb2-4a58-9d03-ed48a461b19b");
    assert_eq!(edited.edit_time, Some(instant("2021-02-20T00:59:10.464Z")));
}

#[test]
fn version_decodes_from_a_number_and_from_a_string() {
    let as_number: types::AcsChatMessageDeletedEventData =
        typed(&example("event-grid-schema/chat_message_deleted.json"));
    let version = as_number.version.expect("a version");
    assert_eq!(version, types::AcsChatEventVersion::Int64(1613695390361));
    assert_eq!(version.as_i64(), Some(1613695390361));

    let as_string: types::AcsChatMessageReceivedInThreadEventData = typed(&example(
        "cloud-events-schema/chat_message_received_in_thread.json",
    ));
    let version = as_string.version.expect("a version");
    assert_eq!(
        version,
        types::AcsChatEventVersion::String("1613783230064".into())
    );
    assert_eq!(version.as_i64(), Some(1613783230064));
    assert_eq!(version.to_string(), "1613783230064");

    // Each form is written back the way it came.
    assert_eq!(
        serde_json::to_value(types::AcsChatEventVersion::Int64(7)).unwrap(),
        json!(7)
    );
    assert_eq!(
        serde_json::to_value(types::AcsChatEventVersion::String("7".into())).unwrap(),
        json!("7")
    );
    assert_eq!(
        types::AcsChatEventVersion::String("not a number".into()).as_i64(),
        None
    );
}

#[test]
fn thread_and_participant_events_carry_their_fields() {
    let created: types::AcsChatThreadCreatedEventData =
        typed(&example("event-grid-schema/chat_thread_created.json"));
    assert_eq!(created.participants.len(), 4);
    assert_eq!(
        created.participants[1].display_name.as_deref(),
        Some("Scott")
    );
    assert_eq!(
        created.participants[0]
            .metadata
            .get("key")
            .map(String::as_str),
        Some("value")
    );
    // Thread properties are free-form JSON values (the topic is a string).
    assert_eq!(
        created.properties.get("topic"),
        Some(&json!(
            "Talk about new Thread Events in commuication services"
        ))
    );
    assert_eq!(
        created.create_time,
        Some(instant("2021-02-20T00:31:54.365Z"))
    );
    assert_eq!(
        created.version.as_ref().and_then(|v| v.as_i64()),
        Some(1613781114365)
    );

    let added: types::AcsChatParticipantAddedToThreadEventData = typed(&example(
        "event-grid-schema/chat_thread_participant_added.json",
    ));
    assert_eq!(added.participant_added.display_name.as_deref(), Some("Bob"));
    assert_eq!(
        added.added_by_communication_identifier.raw_id.as_deref(),
        Some("8:acs:109f0644-b956-4cd9-87b1-71024f6e2f44_00000008-5cbb-38a0-88f7-084822002453")
    );
    assert_eq!(added.time, Some(instant("2021-02-20T00:54:42.8622646Z")));

    let removed: types::AcsChatParticipantRemovedFromThreadWithUserEventData = typed(&example(
        "event-grid-schema/chat_participant_removed_from_thread_with_user.json",
    ));
    assert_eq!(
        removed.participant_removed.display_name.as_deref(),
        Some("Bob")
    );
    assert!(removed.recipient_communication_identifier.is_some());

    let updated: types::AcsChatThreadPropertiesUpdatedPerUserEventData = typed(&example(
        "event-grid-schema/chat_thread_properties_updated_per_user.json",
    ));
    assert_eq!(
        updated.properties.get("topic"),
        Some(&json!("Communication in Azure"))
    );
    assert_eq!(
        updated.metadata.get("description").map(String::as_str),
        Some("A map of data associated with the thread")
    );

    let typing: types::AcsChatTypingIndicatorReceivedInThreadEventData = typed(&example(
        "cloud-events-schema/chat_typing_indicator_received_in_thread.json",
    ));
    assert_eq!(typing.sender_display_name.as_deref(), Some("Jhon"));
    assert_eq!(typing.message_id, None);
    assert_eq!(typing.message_body, None);
}

#[test]
fn unknown_fields_are_tolerated() {
    // The examples themselves carry fields the description does not list
    // (`senderId`, `recipientId`, `createdBy`, `members`, `reason`, and
    // `metadata` inside an identifier); they must not stop decoding.
    let with_user: types::AcsChatThreadCreatedWithUserEventData = typed(&example(
        "cloud-events-schema/chat_thread_created_withUser.json",
    ));
    assert_eq!(with_user.participants.len(), 2);
    let deleted: types::AcsChatThreadDeletedEventData =
        typed(&example("event-grid-schema/chat_thread_deleted.json"));
    assert_eq!(
        deleted
            .deleted_by_communication_identifier
            .raw_id
            .as_deref(),
        Some("8:acs:109f0644-b956-4cd9-87b1-71024f6e2f44_00000008-5c9e-a300-07fd-084822002266")
    );

    // And any field the service may add later, at the top and nested.
    let described = described_event_types();
    for (file, example) in examples() {
        let model = model_for(event_type(&example), &described).expect("a model");
        let mut data = example["data"].clone();
        data["aFieldFromTheFuture"] = json!({ "nested": [1, "two", null] });
        if let Some(identifier) = data
            .get_mut("senderCommunicationIdentifier")
            .and_then(Value::as_object_mut)
        {
            identifier.insert("newIdentifierKind".into(), json!({ "id": "x" }));
        }
        let encoded = decoder(&model)(&data)
            .unwrap_or_else(|e| panic!("{file} with unknown fields, as {model}: {e}"));
        assert!(encoded.get("aFieldFromTheFuture").is_none());
    }
}
