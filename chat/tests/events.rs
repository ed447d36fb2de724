//! `acs_chat::events` against the upstream Event Grid chat examples of both
//! delivery schemas (`tests/data/events/`, see `tests/data/SOURCES.md`), and
//! against bodies that are wrong in the ways a webhook can meet.
//!
//! The examples are checked data-driven: every file is parsed (through every
//! entry point that accepts its envelope) and the typed [`ChatEvent`] is
//! compared, field by field, with the JSON of the file. Which JSON fields a
//! typed event is expected to carry is read from the event's data schema in
//! `openapi/events.json`; fields the description does not define must be
//! dropped, and must be on a short list of fields the upstream examples are
//! known to carry beyond the description.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::fs;
use std::path::{Path, PathBuf};

use acs_chat::events::{
    parse_cloud_events, parse_event_grid, parse_events, ChatEvent, ChatEventEnvelope,
    ChatEventParticipant, ChatMessageEventData, ChatParticipantEventData,
    ChatThreadCreatedEventData, ChatThreadDeletedEventData, ChatThreadPropertiesUpdatedEventData,
    EventParseError, EventSchema, EVENT_TYPE_PREFIX,
};
use acs_chat::{ChatMessageType, CommunicationIdentifier, Metadata};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

// ---------------------------------------------------------------------------
// The examples
// ---------------------------------------------------------------------------

const CLOUD_EVENTS_FOLDER: &str = "cloud-events-schema";
const EVENT_GRID_FOLDER: &str = "event-grid-schema";
/// `chat_*.json` files in `tests/data/events/cloud-events-schema/`.
const CLOUD_EVENTS_FOLDER_FILES: usize = 19;
/// `chat_*.json` files in `tests/data/events/event-grid-schema/`.
const EVENT_GRID_FOLDER_FILES: usize = 13;
/// Examples whose envelope is CloudEvents, whichever folder they are in (two
/// files of the Event Grid folder are CloudEvents envelopes upstream too).
const CLOUD_EVENTS_ENVELOPES: usize = 21;
/// Examples whose envelope is the Event Grid schema.
const EVENT_GRID_ENVELOPES: usize = 11;
/// CloudEvents examples that spell the attribute `specVersion` (upstream's
/// spelling in these files) instead of `specversion`.
const CAMEL_CASE_SPEC_VERSION: usize = 6;

/// The 18 chat event types of the description, by their name after
/// `Microsoft.Communication.`: each has the `ChatEvent` variant of that name.
const KNOWN_EVENT_TYPES: [&str; 18] = [
    "ChatMessageReceived",
    "ChatMessageEdited",
    "ChatMessageDeleted",
    "ChatThreadCreatedWithUser",
    "ChatThreadWithUserDeleted",
    "ChatThreadPropertiesUpdatedPerUser",
    "ChatParticipantAddedToThreadWithUser",
    "ChatParticipantRemovedFromThreadWithUser",
    "ChatThreadCreated",
    "ChatThreadDeleted",
    "ChatThreadPropertiesUpdated",
    "ChatThreadParticipantAdded",
    "ChatThreadParticipantRemoved",
    "ChatMessageReceivedInThread",
    "ChatMessageEditedInThread",
    "ChatMessageDeletedInThread",
    "ChatAzureBotCommandReceivedInThread",
    "ChatTypingIndicatorReceivedInThread",
];

/// Data fields the upstream examples carry that the description does not
/// define for their event type; the typed events drop them. Every entry must
/// occur in some example, so the list cannot go stale.
const UNDESCRIBED_EXAMPLE_FIELDS: [&str; 9] = [
    // Plain-string ids from before the `*CommunicationIdentifier` fields.
    "senderId",
    "recipientId",
    "createdBy",
    "editedBy",
    "deletedBy",
    // `participants` before it had that name.
    "members",
    // `ChatThreadDeleted` / `ChatThreadWithUserDeleted` in later examples.
    "reason",
    // `ChatThreadParticipantAdded` / `Removed` (thread-level) carry the
    // thread's creation time; only the per-user variants define it.
    "createTime",
    // `event-grid-schema/chat_azure_bot_command_received_in_thread.json`
    // carries a recipient; the in-thread event defines none.
    "recipientCommunicationIdentifier",
];

struct Example {
    /// `folder/file.json`.
    file: String,
    folder: &'static str,
    /// The file as stored.
    text: String,
    json: Value,
}

impl Example {
    /// The envelope's schema, by its shape: a CloudEvents spec version
    /// attribute means CloudEvents, otherwise the Event Grid schema.
    fn schema(&self) -> EventSchema {
        if self.json.get("specversion").is_some() || self.json.get("specVersion").is_some() {
            EventSchema::CloudEvents
        } else {
            EventSchema::EventGrid
        }
    }

    fn event_type(&self) -> &str {
        let key = match self.schema() {
            EventSchema::EventGrid => "eventType",
            _ => "type",
        };
        self.json[key].as_str().expect("an event type")
    }

    fn data(&self) -> &Value {
        &self.json["data"]
    }
}

fn workspace_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read_json(path: &Path) -> (String, Value) {
    let text =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    (text, json)
}

/// Every chat example of both folders, in file order.
fn examples() -> Vec<Example> {
    let mut all = Vec::new();
    for folder in [CLOUD_EVENTS_FOLDER, EVENT_GRID_FOLDER] {
        let dir = workspace_dir().join("tests/data/events").join(folder);
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .map(|entry| entry.expect("directory entry").path())
            .filter(|path| {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                name.starts_with("chat_") && name.ends_with(".json")
            })
            .collect();
        files.sort();
        for path in files {
            let (text, json) = read_json(&path);
            let name = path.file_name().expect("file name").to_string_lossy();
            all.push(Example {
                file: format!("{folder}/{name}"),
                folder,
                text,
                json,
            });
        }
    }
    all
}

/// Data field names per event type, from `openapi/events.json`.
struct Description {
    events: BTreeMap<String, BTreeSet<String>>,
    participant: BTreeSet<String>,
}

fn description() -> Description {
    let (_, events) = read_json(&workspace_dir().join("openapi/events.json"));
    let schemas = events
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .expect("events.json has components.schemas");
    let properties = |schema: &Value| -> BTreeSet<String> {
        schema["properties"]
            .as_object()
            .map(|properties| properties.keys().cloned().collect())
            .unwrap_or_default()
    };
    Description {
        events: schemas
            .values()
            .filter_map(|schema| {
                let event_type = schema.get("x-acs-event-type")?.as_str()?;
                Some((event_type.to_owned(), properties(schema)))
            })
            .collect(),
        participant: properties(&schemas["AcsChatThreadParticipantProperties"]),
    }
}

/// An Event Grid body for an example: the file as stored when it is an
/// array, else the single event wrapped into one.
fn event_grid_body(text: &str) -> String {
    if text.trim_start().starts_with('[') {
        text.to_owned()
    } else {
        format!("[{text}]")
    }
}

/// Parses an example through every entry point that accepts its envelope and
/// checks that they agree.
fn parse_example(example: &Example) -> Result<Vec<ChatEventEnvelope>, String> {
    let fail = |how: &str, e: EventParseError| format!("{} via {how}: {e}", example.file);
    match example.schema() {
        EventSchema::EventGrid => {
            let body = event_grid_body(&example.text);
            let parsed =
                parse_event_grid(body.as_bytes()).map_err(|e| fail("parse_event_grid", e))?;
            for content_type in [
                None,
                Some("application/json"),
                Some("Application/JSON; charset=utf-8"),
            ] {
                let again = parse_events(content_type, body.as_bytes())
                    .map_err(|e| fail(&format!("parse_events({content_type:?})"), e))?;
                if again != parsed {
                    return Err(format!(
                        "{}: parse_events({content_type:?}) differs",
                        example.file
                    ));
                }
            }
            Ok(parsed)
        }
        _ => {
            let parsed = parse_cloud_events(example.text.as_bytes())
                .map_err(|e| fail("parse_cloud_events", e))?;
            let batch = format!("[{}]", example.text);
            for (content_type, body) in [
                ("application/cloudevents+json", example.text.as_str()),
                (
                    "application/cloudevents+json; charset=utf-8",
                    example.text.as_str(),
                ),
                ("application/cloudevents-batch+json", batch.as_str()),
            ] {
                let again = parse_events(Some(content_type), body.as_bytes())
                    .map_err(|e| fail(&format!("parse_events({content_type:?})"), e))?;
                if again != parsed {
                    return Err(format!(
                        "{}: parse_events({content_type:?}) differs",
                        example.file
                    ));
                }
            }
            Ok(parsed)
        }
    }
}

fn parse_one(example: &Example) -> ChatEventEnvelope {
    let mut envelopes = parse_example(example).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(envelopes.len(), 1, "{}: one event", example.file);
    envelopes.remove(0)
}

/// The name of a `ChatEvent` variant.
fn variant_name(event: &ChatEvent) -> &'static str {
    match event {
        ChatEvent::ChatMessageReceived(_) => "ChatMessageReceived",
        ChatEvent::ChatMessageEdited(_) => "ChatMessageEdited",
        ChatEvent::ChatMessageDeleted(_) => "ChatMessageDeleted",
        ChatEvent::ChatThreadCreatedWithUser(_) => "ChatThreadCreatedWithUser",
        ChatEvent::ChatThreadWithUserDeleted(_) => "ChatThreadWithUserDeleted",
        ChatEvent::ChatThreadPropertiesUpdatedPerUser(_) => "ChatThreadPropertiesUpdatedPerUser",
        ChatEvent::ChatParticipantAddedToThreadWithUser(_) => {
            "ChatParticipantAddedToThreadWithUser"
        }
        ChatEvent::ChatParticipantRemovedFromThreadWithUser(_) => {
            "ChatParticipantRemovedFromThreadWithUser"
        }
        ChatEvent::ChatThreadCreated(_) => "ChatThreadCreated",
        ChatEvent::ChatThreadDeleted(_) => "ChatThreadDeleted",
        ChatEvent::ChatThreadPropertiesUpdated(_) => "ChatThreadPropertiesUpdated",
        ChatEvent::ChatThreadParticipantAdded(_) => "ChatThreadParticipantAdded",
        ChatEvent::ChatThreadParticipantRemoved(_) => "ChatThreadParticipantRemoved",
        ChatEvent::ChatMessageReceivedInThread(_) => "ChatMessageReceivedInThread",
        ChatEvent::ChatMessageEditedInThread(_) => "ChatMessageEditedInThread",
        ChatEvent::ChatMessageDeletedInThread(_) => "ChatMessageDeletedInThread",
        ChatEvent::ChatAzureBotCommandReceivedInThread(_) => "ChatAzureBotCommandReceivedInThread",
        ChatEvent::ChatTypingIndicatorReceivedInThread(_) => "ChatTypingIndicatorReceivedInThread",
        ChatEvent::Unknown { .. } => "Unknown",
        _ => "a variant this test does not know",
    }
}

/// The variant an event type must decode into.
fn expected_variant(event_type: &str) -> &str {
    match event_type.strip_prefix(EVENT_TYPE_PREFIX) {
        Some(name) if KNOWN_EVENT_TYPES.contains(&name) => name,
        _ => "Unknown",
    }
}

/// The version of a typed event, if it has one.
fn version_of(event: &ChatEvent) -> Option<i64> {
    match event {
        ChatEvent::ChatMessageReceived(d)
        | ChatEvent::ChatMessageEdited(d)
        | ChatEvent::ChatMessageDeleted(d)
        | ChatEvent::ChatMessageReceivedInThread(d)
        | ChatEvent::ChatMessageEditedInThread(d)
        | ChatEvent::ChatMessageDeletedInThread(d)
        | ChatEvent::ChatAzureBotCommandReceivedInThread(d)
        | ChatEvent::ChatTypingIndicatorReceivedInThread(d) => d.version,
        ChatEvent::ChatThreadCreatedWithUser(d) | ChatEvent::ChatThreadCreated(d) => d.version,
        ChatEvent::ChatThreadWithUserDeleted(d) | ChatEvent::ChatThreadDeleted(d) => d.version,
        ChatEvent::ChatThreadPropertiesUpdatedPerUser(d)
        | ChatEvent::ChatThreadPropertiesUpdated(d) => d.version,
        ChatEvent::ChatParticipantAddedToThreadWithUser(d)
        | ChatEvent::ChatParticipantRemovedFromThreadWithUser(d)
        | ChatEvent::ChatThreadParticipantAdded(d)
        | ChatEvent::ChatThreadParticipantRemoved(d) => d.version,
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Comparing a typed value with the JSON it came from
// ---------------------------------------------------------------------------

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text:?} is not an RFC 3339 date-time: {e}"))
        .with_timezone(&Utc)
}

fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{value} is not a string"))
}

/// The JSON fields of one object, compared one by one with a typed value.
/// Only fields the description defines (`described`) are expected to be
/// carried; any other is expected to be dropped.
struct Fields<'a> {
    at: String,
    data: &'a Map<String, Value>,
    described: &'a BTreeSet<String>,
    compared: BTreeSet<&'static str>,
    failures: Vec<String>,
    /// Fields present in the JSON that the description does not define.
    undescribed: BTreeSet<String>,
}

impl<'a> Fields<'a> {
    fn new(at: String, data: &'a Value, described: &'a BTreeSet<String>) -> Self {
        let data = data
            .as_object()
            .unwrap_or_else(|| panic!("{at}: not an object"));
        Self {
            at,
            data,
            described,
            compared: BTreeSet::new(),
            failures: Vec::new(),
            undescribed: BTreeSet::new(),
        }
    }

    /// The JSON value a typed field must reflect: the field when the
    /// description defines it, else nothing.
    fn expected(&mut self, key: &'static str) -> Option<&'a Value> {
        self.compared.insert(key);
        if self.described.contains(key) {
            self.data.get(key).filter(|value| !value.is_null())
        } else {
            None
        }
    }

    fn same<T: PartialEq + Debug>(&mut self, key: &str, expected: T, actual: T) {
        if expected != actual {
            self.failures.push(format!(
                "{}/{key}: expected {expected:?}, got {actual:?}",
                self.at
            ));
        }
    }

    fn text(&mut self, key: &'static str, actual: Option<&str>) {
        let expected = self.expected(key).map(text);
        self.same(key, expected, actual);
    }

    /// A field the typed value holds as a plain `String`: absent reads as "".
    fn text_or_empty(&mut self, key: &'static str, actual: &str) {
        let expected = self.expected(key).map(text).unwrap_or_default();
        self.same(key, expected, actual);
    }

    fn instant(&mut self, key: &'static str, actual: Option<DateTime<Utc>>) {
        let expected = self.expected(key).map(|value| instant(text(value)));
        self.same(key, expected, actual);
    }

    /// `version` is a number or a decimal string; both give the same `i64`.
    fn version(&mut self, key: &'static str, actual: Option<i64>) {
        let expected = self.expected(key).map(|value| match value {
            Value::Number(number) => number.as_i64().expect("an i64 version"),
            Value::String(digits) => digits.parse().expect("a decimal version"),
            other => panic!("version {other} is neither a number nor a string"),
        });
        self.same(key, expected, actual);
    }

    /// The event's PascalCase `type` maps onto the facade's message types;
    /// the field is not optional, so an absent `type` (typing indicators)
    /// reads as `Unknown("")`.
    fn message_type(&mut self, key: &'static str, actual: &ChatMessageType) {
        let expected = match self.expected(key).map(text) {
            Some("Text") => ChatMessageType::Text,
            Some("Html") => ChatMessageType::Html,
            Some("TopicUpdated") => ChatMessageType::TopicUpdated,
            Some("ParticipantAdded") => ChatMessageType::ParticipantAdded,
            Some("ParticipantRemoved") => ChatMessageType::ParticipantRemoved,
            Some(other) => ChatMessageType::Unknown(other.to_owned()),
            None => ChatMessageType::Unknown(String::new()),
        };
        self.same(key, &expected, actual);
    }

    fn metadata(&mut self, key: &'static str, actual: &Metadata) {
        let expected: Metadata = self
            .expected(key)
            .map(|value| {
                value
                    .as_object()
                    .expect("metadata is an object")
                    .iter()
                    .map(|(k, v)| (k.clone(), text(v).to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        self.same(key, &expected, actual);
    }

    fn properties(&mut self, key: &'static str, actual: &Map<String, Value>) {
        let expected = self
            .expected(key)
            .map(|value| value.as_object().expect("properties is an object").clone())
            .unwrap_or_default();
        self.same(key, &expected, actual);
    }

    /// Identifiers compare by raw id; a `communicationUser` must also come
    /// out as that kind, with its id.
    fn identifier(&mut self, key: &'static str, actual: Option<&CommunicationIdentifier>) {
        let expected = self.expected(key);
        match (expected, actual) {
            (None, None) => {}
            (Some(model), Some(actual)) => {
                let raw_id = model["rawId"].as_str();
                self.same(
                    &format!("{key}/rawId"),
                    raw_id,
                    Some(actual.raw_id().as_str()),
                );
                if let Some(user) = model.get("communicationUser") {
                    let id = match actual {
                        CommunicationIdentifier::CommunicationUser(user) => Some(user.id.as_str()),
                        _ => None,
                    };
                    self.same(
                        &format!("{key}/communicationUser/id"),
                        user["id"].as_str(),
                        id,
                    );
                }
            }
            (expected, actual) => self.failures.push(format!(
                "{}/{key}: expected {expected:?}, got {actual:?}",
                self.at
            )),
        }
    }

    fn participant_fields(
        &mut self,
        at: String,
        json: &Value,
        actual: &ChatEventParticipant,
        described: &BTreeSet<String>,
    ) {
        let mut fields = Fields::new(at, json, described);
        fields.identifier(
            "participantCommunicationIdentifier",
            actual.identifier.as_ref(),
        );
        fields.text("displayName", actual.display_name.as_deref());
        fields.metadata("metadata", &actual.metadata);
        self.absorb(fields);
    }

    fn participant(
        &mut self,
        key: &'static str,
        actual: Option<&ChatEventParticipant>,
        described: &BTreeSet<String>,
    ) {
        match (self.expected(key), actual) {
            (None, None) => {}
            (Some(json), Some(actual)) => {
                let at = format!("{}/{key}", self.at);
                self.participant_fields(at, json, actual, described);
            }
            (expected, actual) => self.failures.push(format!(
                "{}/{key}: expected {expected:?}, got {actual:?}",
                self.at
            )),
        }
    }

    fn participants(
        &mut self,
        key: &'static str,
        actual: &[ChatEventParticipant],
        described: &BTreeSet<String>,
    ) {
        let expected: &[Value] = self
            .expected(key)
            .map(|value| {
                value
                    .as_array()
                    .expect("participants is an array")
                    .as_slice()
            })
            .unwrap_or_default();
        self.same(&format!("{key} (count)"), expected.len(), actual.len());
        for (i, (json, actual)) in expected.iter().zip(actual).enumerate() {
            let at = format!("{}/{key}/{i}", self.at);
            self.participant_fields(at, json, actual, described);
        }
    }

    /// Takes over the findings of a nested object's comparison.
    fn absorb(&mut self, nested: Fields<'_>) {
        let (failures, undescribed) = nested.finish();
        self.failures.extend(failures);
        self.undescribed.extend(undescribed);
    }

    /// The failures, and the undescribed fields present. A described field
    /// present in the JSON but compared with nothing is a failure of this
    /// test: the typed value has no field it was checked against.
    fn finish(mut self) -> (Vec<String>, BTreeSet<String>) {
        for key in self.data.keys() {
            if !self.described.contains(key) {
                self.undescribed.insert(key.clone());
            } else if !self.compared.contains(key.as_str()) {
                self.failures
                    .push(format!("{}/{key}: described but never compared", self.at));
            }
        }
        (self.failures, self.undescribed)
    }
}

fn check_message(f: &mut Fields<'_>, d: &ChatMessageEventData) {
    f.identifier("recipientCommunicationIdentifier", d.recipient.as_ref());
    f.text("threadId", Some(&d.thread_id));
    f.text("transactionId", d.transaction_id.as_deref());
    f.text_or_empty("messageId", &d.message_id);
    f.identifier("senderCommunicationIdentifier", d.sender.as_ref());
    f.text("senderDisplayName", d.sender_display_name.as_deref());
    f.instant("composeTime", d.compose_time);
    f.message_type("type", &d.message_type);
    f.version("version", d.version);
    f.text("messageBody", d.message_body.as_deref());
    f.metadata("metadata", &d.metadata);
    f.instant("editTime", d.edit_time);
    f.instant("deleteTime", d.delete_time);
}

fn check_thread_created(
    f: &mut Fields<'_>,
    d: &ChatThreadCreatedEventData,
    participant: &BTreeSet<String>,
) {
    f.identifier("recipientCommunicationIdentifier", d.recipient.as_ref());
    f.text("threadId", Some(&d.thread_id));
    f.text("transactionId", d.transaction_id.as_deref());
    f.instant("createTime", d.create_time);
    f.version("version", d.version);
    f.identifier("createdByCommunicationIdentifier", d.created_by.as_ref());
    f.properties("properties", &d.properties);
    f.metadata("metadata", &d.metadata);
    f.participants("participants", &d.participants, participant);
}

fn check_thread_deleted(f: &mut Fields<'_>, d: &ChatThreadDeletedEventData) {
    f.identifier("recipientCommunicationIdentifier", d.recipient.as_ref());
    f.text("threadId", Some(&d.thread_id));
    f.text("transactionId", d.transaction_id.as_deref());
    f.instant("createTime", d.create_time);
    f.version("version", d.version);
    f.identifier("deletedByCommunicationIdentifier", d.deleted_by.as_ref());
    f.instant("deleteTime", d.delete_time);
}

fn check_thread_properties_updated(f: &mut Fields<'_>, d: &ChatThreadPropertiesUpdatedEventData) {
    f.identifier("recipientCommunicationIdentifier", d.recipient.as_ref());
    f.text("threadId", Some(&d.thread_id));
    f.text("transactionId", d.transaction_id.as_deref());
    f.instant("createTime", d.create_time);
    f.version("version", d.version);
    f.identifier("editedByCommunicationIdentifier", d.edited_by.as_ref());
    f.instant("editTime", d.edit_time);
    f.properties("properties", &d.properties);
    f.metadata("metadata", &d.metadata);
}

fn check_participant_changed(
    f: &mut Fields<'_>,
    d: &ChatParticipantEventData,
    added: bool,
    participant: &BTreeSet<String>,
) {
    let (by, who) = if added {
        ("addedByCommunicationIdentifier", "participantAdded")
    } else {
        ("removedByCommunicationIdentifier", "participantRemoved")
    };
    f.identifier("recipientCommunicationIdentifier", d.recipient.as_ref());
    f.text("threadId", Some(&d.thread_id));
    f.text("transactionId", d.transaction_id.as_deref());
    f.instant("createTime", d.create_time);
    f.version("version", d.version);
    f.instant("time", d.time);
    f.identifier(by, d.changed_by.as_ref());
    f.participant(who, d.participant.as_ref(), participant);
}

/// Compares an envelope with the example it was parsed from.
fn check_envelope(example: &Example, envelope: &ChatEventEnvelope) -> Vec<String> {
    let json = &example.json;
    let schema = example.schema();
    let (type_key, time_key, source_key) = match schema {
        EventSchema::EventGrid => ("eventType", "eventTime", "topic"),
        _ => ("type", "time", "source"),
    };
    let string = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut failures = Vec::new();
    let mut same = |what: &str, expected: &dyn Debug, actual: &dyn Debug| {
        let (expected, actual) = (format!("{expected:?}"), format!("{actual:?}"));
        if expected != actual {
            failures.push(format!(
                "{}: envelope {what}: expected {expected}, got {actual}",
                example.file
            ));
        }
    };
    same("id", &string("id"), &Some(envelope.id.clone()));
    same(
        "event_type",
        &string(type_key),
        &Some(envelope.event_type.clone()),
    );
    same("subject", &string("subject"), &envelope.subject);
    same(
        "event_time",
        &string(time_key).map(|time| instant(&time)),
        &envelope.event_time,
    );
    same("source", &string(source_key), &envelope.source);
    // CloudEvents has no data version.
    let data_version = match schema {
        EventSchema::EventGrid => string("dataVersion"),
        _ => None,
    };
    same("data_version", &data_version, &envelope.data_version);
    same("schema", &schema, &envelope.schema);
    failures
}

/// Compares the typed event with the example's data. Returns the failures
/// and the undescribed data fields the example carries.
fn check_event(
    example: &Example,
    event: &ChatEvent,
    description: &Description,
) -> (Vec<String>, BTreeSet<String>) {
    let event_type = example.event_type();
    let data = example.data();
    if let ChatEvent::Unknown {
        event_type: actual_type,
        data: actual_data,
    } = event
    {
        let mut failures = Vec::new();
        if actual_type != event_type {
            failures.push(format!(
                "{}: Unknown event_type {actual_type:?}",
                example.file
            ));
        }
        if actual_data != data {
            failures.push(format!(
                "{}: Unknown data differs from the file's",
                example.file
            ));
        }
        return (failures, BTreeSet::new());
    }
    let Some(described) = description.events.get(event_type) else {
        return (
            vec![format!(
                "{}: typed, but {event_type} is not described",
                example.file
            )],
            BTreeSet::new(),
        );
    };
    let participant = &description.participant;
    let mut f = Fields::new(format!("{}: data", example.file), data, described);
    match event {
        ChatEvent::ChatMessageReceived(d)
        | ChatEvent::ChatMessageEdited(d)
        | ChatEvent::ChatMessageDeleted(d)
        | ChatEvent::ChatMessageReceivedInThread(d)
        | ChatEvent::ChatMessageEditedInThread(d)
        | ChatEvent::ChatMessageDeletedInThread(d)
        | ChatEvent::ChatAzureBotCommandReceivedInThread(d)
        | ChatEvent::ChatTypingIndicatorReceivedInThread(d) => check_message(&mut f, d),
        ChatEvent::ChatThreadCreatedWithUser(d) | ChatEvent::ChatThreadCreated(d) => {
            check_thread_created(&mut f, d, participant)
        }
        ChatEvent::ChatThreadWithUserDeleted(d) | ChatEvent::ChatThreadDeleted(d) => {
            check_thread_deleted(&mut f, d)
        }
        ChatEvent::ChatThreadPropertiesUpdatedPerUser(d)
        | ChatEvent::ChatThreadPropertiesUpdated(d) => check_thread_properties_updated(&mut f, d),
        ChatEvent::ChatParticipantAddedToThreadWithUser(d)
        | ChatEvent::ChatThreadParticipantAdded(d) => {
            check_participant_changed(&mut f, d, true, participant)
        }
        ChatEvent::ChatParticipantRemovedFromThreadWithUser(d)
        | ChatEvent::ChatThreadParticipantRemoved(d) => {
            check_participant_changed(&mut f, d, false, participant)
        }
        other => f
            .failures
            .push(format!("{}: unexpected {other:?}", example.file)),
    }
    let thread_id = data.get("threadId").and_then(Value::as_str);
    f.same("ChatEvent::thread_id()", thread_id, event.thread_id());
    f.finish()
}

// ---------------------------------------------------------------------------
// 1. Every upstream example, field by field
// ---------------------------------------------------------------------------

#[test]
fn the_example_folders_hold_the_expected_files() {
    let all = examples();
    let in_folder = |folder: &str| all.iter().filter(|e| e.folder == folder).count();
    assert_eq!(in_folder(CLOUD_EVENTS_FOLDER), CLOUD_EVENTS_FOLDER_FILES);
    assert_eq!(in_folder(EVENT_GRID_FOLDER), EVENT_GRID_FOLDER_FILES);
    assert_eq!(
        all.len(),
        CLOUD_EVENTS_FOLDER_FILES + EVENT_GRID_FOLDER_FILES
    );
    let with_schema = |schema| all.iter().filter(|e| e.schema() == schema).count();
    assert_eq!(
        with_schema(EventSchema::CloudEvents),
        CLOUD_EVENTS_ENVELOPES
    );
    assert_eq!(with_schema(EventSchema::EventGrid), EVENT_GRID_ENVELOPES);
    // Every file of the CloudEvents folder is a CloudEvents envelope.
    assert!(all
        .iter()
        .filter(|e| e.folder == CLOUD_EVENTS_FOLDER)
        .all(|e| e.schema() == EventSchema::CloudEvents));
    let camel = all
        .iter()
        .filter(|e| e.json.get("specVersion").is_some())
        .count();
    assert_eq!(camel, CAMEL_CASE_SPEC_VERSION);
    // Every Event Grid envelope has the Event Grid fields.
    for example in all.iter().filter(|e| e.schema() == EventSchema::EventGrid) {
        for key in [
            "id",
            "eventType",
            "eventTime",
            "topic",
            "dataVersion",
            "data",
        ] {
            assert!(
                example.json.get(key).is_some(),
                "{}: no {key}",
                example.file
            );
        }
    }
}

#[test]
fn every_example_parses_into_its_typed_event_with_the_file_s_fields() {
    let description = description();
    let described_types: BTreeSet<&str> = description
        .events
        .keys()
        .map(|event_type| {
            event_type
                .strip_prefix(EVENT_TYPE_PREFIX)
                .expect("an ACS event type")
        })
        .collect();
    assert_eq!(
        described_types,
        KNOWN_EVENT_TYPES.into_iter().collect::<BTreeSet<_>>(),
        "every described chat event type has its ChatEvent variant"
    );

    let all = examples();
    assert_eq!(
        all.len(),
        CLOUD_EVENTS_FOLDER_FILES + EVENT_GRID_FOLDER_FILES
    );
    let mut failures = Vec::new();
    let mut variants = BTreeSet::new();
    let mut undescribed_seen = BTreeSet::new();
    let mut parsed = 0;
    for example in &all {
        let mut envelopes = match parse_example(example) {
            Ok(envelopes) => envelopes,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        if envelopes.len() != 1 {
            failures.push(format!("{}: {} events", example.file, envelopes.len()));
            continue;
        }
        let envelope = envelopes.remove(0);
        parsed += 1;
        failures.extend(check_envelope(example, &envelope));

        let expected = expected_variant(example.event_type());
        let actual = variant_name(&envelope.event);
        if expected != actual {
            failures.push(format!(
                "{}: {} became {actual}, expected {expected}",
                example.file,
                example.event_type()
            ));
            continue;
        }
        variants.insert(actual);

        let (event_failures, undescribed) = check_event(example, &envelope.event, &description);
        failures.extend(event_failures);
        for key in undescribed {
            if UNDESCRIBED_EXAMPLE_FIELDS.contains(&key.as_str()) {
                undescribed_seen.insert(key);
            } else {
                failures.push(format!(
                    "{}: data field {key:?} is not in the description of {}; \
                     the typed event drops it",
                    example.file,
                    example.event_type()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(parsed, all.len());

    // The examples exercise every variant, and `Unknown` (ChatAzureBotCommand).
    let mut all_variants: BTreeSet<&str> = KNOWN_EVENT_TYPES.into_iter().collect();
    all_variants.insert("Unknown");
    assert_eq!(variants, all_variants);
    assert_eq!(
        undescribed_seen,
        UNDESCRIBED_EXAMPLE_FIELDS
            .iter()
            .map(|key| key.to_string())
            .collect::<BTreeSet<_>>(),
        "UNDESCRIBED_EXAMPLE_FIELDS lists a field no example carries"
    );

    // Both forms of `version` occur in the examples.
    let forms = |string: bool| {
        all.iter()
            .filter(|e| {
                e.data()
                    .get("version")
                    .is_some_and(|v| v.is_string() == string)
            })
            .count()
    };
    assert!(forms(true) > 0 && forms(false) > 0);
}

#[test]
fn examples_parse_the_same_in_one_batch() {
    let all = examples();
    for schema in [EventSchema::EventGrid, EventSchema::CloudEvents] {
        let of_schema: Vec<&Example> = all.iter().filter(|e| e.schema() == schema).collect();
        let one_by_one: Vec<ChatEventEnvelope> = of_schema.iter().map(|e| parse_one(e)).collect();
        let body = format!(
            "[{}]",
            of_schema
                .iter()
                .map(|e| e.text.as_str())
                .collect::<Vec<_>>()
                .join(",")
        );
        let batch = match schema {
            EventSchema::EventGrid => parse_event_grid(body.as_bytes()),
            _ => parse_events(Some("application/cloudevents-batch+json"), body.as_bytes()),
        }
        .unwrap_or_else(|e| panic!("{schema:?} batch: {e}"));
        assert_eq!(batch.len(), of_schema.len());
        assert_eq!(batch, one_by_one, "{schema:?} batch");
    }
}

// ---------------------------------------------------------------------------
// 2. Unknown types and fields, versions, and bodies that must be refused
// ---------------------------------------------------------------------------

fn event_grid(event_type: &str, data: Value) -> Vec<u8> {
    serde_json::to_vec(&json!([{
        "id": "e-1",
        "topic": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Communication/communicationServices/r",
        "subject": "thread/19:t@thread.v2",
        "eventType": event_type,
        "eventTime": "2024-05-01T10:00:00Z",
        "dataVersion": "1.0",
        "data": data,
    }]))
    .unwrap()
}

fn cloud_event(event_type: &str, data: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "specversion": "1.0",
        "id": "e-1",
        "source": "/subscriptions/s",
        "type": event_type,
        "time": "2024-05-01T10:00:00Z",
        "data": data,
    }))
    .unwrap()
}

/// A minimal valid `ChatMessageReceived` data.
fn message_data() -> Value {
    json!({
        "messageId": "1714557600000",
        "senderCommunicationIdentifier": {"rawId": "8:acs:r_alice", "communicationUser": {"id": "8:acs:r_alice"}},
        "type": "Text",
        "threadId": "19:t@thread.v2",
        "version": 1714557600000_i64,
    })
}

fn only_event(result: Result<Vec<ChatEventEnvelope>, EventParseError>) -> ChatEvent {
    let mut envelopes = result.expect("parses");
    assert_eq!(envelopes.len(), 1);
    envelopes.remove(0).event
}

fn unknown(event: ChatEvent) -> (String, Value) {
    match event {
        ChatEvent::Unknown { event_type, data } => (event_type, data),
        other => panic!("expected Unknown, got {other:?}"),
    }
}

#[test]
fn unknown_event_types_pass_through_with_their_data() {
    let data = json!({
        "threadId": "19:t@thread.v2",
        "nested": {"list": [1, "two", null, {"deep": true}], "number": 1.5},
        "version": "not even a number",
    });
    for event_type in [
        "Microsoft.Communication.ChatSomethingNew",
        "Microsoft.Communication.CallStarted",
        "Microsoft.EventGrid.SubscriptionValidationEvent",
        "Contoso.Items.ItemSold",
        "",
    ] {
        let body = event_grid(event_type, data.clone());
        let (actual_type, actual_data) = unknown(only_event(parse_event_grid(&body)));
        assert_eq!(actual_type, event_type);
        assert_eq!(actual_data, data);
        let body = cloud_event(event_type, data.clone());
        let (actual_type, actual_data) = unknown(only_event(parse_cloud_events(&body)));
        assert_eq!(actual_type, event_type);
        assert_eq!(actual_data, data);
    }
    // Any JSON as data, or none at all.
    for data in [json!(null), json!([1, 2]), json!("text"), json!(7)] {
        let body = event_grid("Contoso.X", data.clone());
        assert_eq!(unknown(only_event(parse_event_grid(&body))).1, data);
    }
    let body = br#"[{"id":"1","eventType":"Contoso.X"}]"#;
    let envelopes = parse_event_grid(body).unwrap();
    assert_eq!(envelopes[0].subject, None);
    assert_eq!(envelopes[0].event_time, None);
    assert_eq!(unknown(envelopes[0].event.clone()).1, Value::Null);
}

/// Adds a field this version does not know to every object of `value`,
/// except the free-form maps the typed events carry as they are
/// (`metadata`, `properties`); identifiers also get an unknown `kind`.
fn sprinkle_unknown_fields(value: &mut Value) {
    if let Value::Object(object) = value {
        for (key, child) in object.iter_mut() {
            if key != "metadata" && key != "properties" {
                sprinkle_unknown_fields(child);
            }
        }
        if object.contains_key("rawId") {
            object.insert("kind".into(), json!("aKindFromTheFuture"));
        }
        object.insert(
            "aFieldFromTheFuture".into(),
            json!({"nested": [1, "two", null, {"x": []}]}),
        );
    } else if let Value::Array(items) = value {
        items.iter_mut().for_each(sprinkle_unknown_fields);
    }
}

#[test]
fn unknown_fields_inside_known_events_are_ignored() {
    for example in examples() {
        let original = parse_one(&example);
        let mut json = example.json.clone();
        sprinkle_unknown_fields(&mut json);
        let text = serde_json::to_string(&json).unwrap();
        let result = match example.schema() {
            EventSchema::EventGrid => parse_event_grid(event_grid_body(&text).as_bytes()),
            _ => parse_cloud_events(text.as_bytes()),
        };
        let mut envelopes =
            result.unwrap_or_else(|e| panic!("{} with unknown fields: {e}", example.file));
        let envelope = envelopes.remove(0);
        if let ChatEvent::Unknown { data, .. } = &envelope.event {
            // Unknown events keep their data as sent, new fields included.
            assert_eq!(data, &json["data"], "{}", example.file);
        } else {
            assert_eq!(envelope, original, "{} with unknown fields", example.file);
        }
    }
}

#[test]
fn version_decodes_from_a_number_and_from_a_decimal_string() {
    let mut checked = 0;
    for example in examples() {
        if expected_variant(example.event_type()) == "Unknown" {
            continue;
        }
        let mut versions = Vec::new();
        for version in [json!(1613694358927_i64), json!("1613694358927")] {
            let mut json = example.json.clone();
            json["data"]["version"] = version;
            let text = serde_json::to_string(&json).unwrap();
            let result = match example.schema() {
                EventSchema::EventGrid => parse_event_grid(event_grid_body(&text).as_bytes()),
                _ => parse_cloud_events(text.as_bytes()),
            };
            let mut envelopes = result.unwrap_or_else(|e| panic!("{}: {e}", example.file));
            versions.push(envelopes.remove(0));
        }
        assert_eq!(
            version_of(&versions[0].event),
            Some(1613694358927),
            "{}",
            example.file
        );
        assert_eq!(versions[0], versions[1], "{}", example.file);
        checked += 1;
    }
    assert_eq!(
        checked,
        CLOUD_EVENTS_FOLDER_FILES + EVENT_GRID_FOLDER_FILES - 1
    );

    // The extremes of i64, and no version at all.
    for (version, expected) in [
        (json!(i64::MAX), Some(i64::MAX)),
        (json!(i64::MAX.to_string()), Some(i64::MAX)),
        (json!("0"), Some(0)),
        (json!(-1), Some(-1)),
        (Value::Null, None),
    ] {
        let mut data = message_data();
        data["version"] = version.clone();
        let event = only_event(parse_event_grid(&event_grid(
            "Microsoft.Communication.ChatMessageReceived",
            data,
        )));
        assert_eq!(version_of(&event), expected, "version {version}");
    }
    let mut data = message_data();
    data.as_object_mut().unwrap().remove("version");
    let event = only_event(parse_event_grid(&event_grid(
        "Microsoft.Communication.ChatMessageReceived",
        data,
    )));
    assert_eq!(version_of(&event), None);
}

fn invalid_data(result: Result<Vec<ChatEventEnvelope>, EventParseError>) -> (String, String) {
    match result {
        Err(EventParseError::InvalidData {
            event_id,
            event_type,
            reason,
        }) => {
            assert_eq!(event_id, "e-1");
            (event_type, reason)
        }
        other => panic!("expected InvalidData, got {other:?}"),
    }
}

#[test]
fn a_version_that_is_not_a_number_is_invalid_data() {
    for version in [
        json!("v2"),
        json!("12.5"),
        json!(""),
        json!("99999999999999999999"),
    ] {
        for event_type in [
            "Microsoft.Communication.ChatMessageReceived",
            "Microsoft.Communication.ChatThreadDeleted",
        ] {
            let mut data = message_data();
            data["transactionId"] = json!("t");
            data["deletedByCommunicationIdentifier"] = json!({"rawId": "8:acs:r_bob"});
            data["version"] = version.clone();
            let (actual_type, reason) =
                invalid_data(parse_event_grid(&event_grid(event_type, data.clone())));
            assert_eq!(actual_type, event_type);
            assert!(reason.contains("version"), "{reason}");
            let (_, reason) = invalid_data(parse_cloud_events(&cloud_event(event_type, data)));
            assert!(reason.contains("version"), "{reason}");
        }
    }
    // A version of another JSON type is refused by the wire model.
    let mut data = message_data();
    data["version"] = json!(true);
    invalid_data(parse_event_grid(&event_grid(
        "Microsoft.Communication.ChatMessageReceived",
        data,
    )));
}

#[test]
fn a_bad_date_is_refused() {
    // In the data: the event's data does not match its type.
    for bad in [json!("yesterday"), json!("2024-13-01T00:00:00Z"), json!(12)] {
        let mut data = message_data();
        data["composeTime"] = bad.clone();
        let (_, reason) = invalid_data(parse_event_grid(&event_grid(
            "Microsoft.Communication.ChatMessageReceived",
            data,
        )));
        assert!(!reason.is_empty());
    }
    // In the envelope: the delivery itself is malformed.
    let body = br#"[{"id":"1","eventType":"Contoso.X","eventTime":"not a time"}]"#;
    assert!(matches!(
        parse_event_grid(body),
        Err(EventParseError::Malformed {
            schema: "Event Grid",
            ..
        })
    ));
    let body = br#"{"specversion":"1.0","id":"1","type":"Contoso.X","time":"not a time"}"#;
    assert!(matches!(
        parse_cloud_events(body),
        Err(EventParseError::Malformed {
            schema: "CloudEvents",
            ..
        })
    ));
}

#[test]
fn a_known_event_without_thread_id_is_invalid_data() {
    let mut checked = 0;
    for example in examples() {
        if expected_variant(example.event_type()) == "Unknown" {
            continue;
        }
        let mut json = example.json.clone();
        json["data"]
            .as_object_mut()
            .unwrap()
            .remove("threadId")
            .expect("examples have a threadId");
        json["id"] = json!("e-1");
        let text = serde_json::to_string(&json).unwrap();
        let result = match example.schema() {
            EventSchema::EventGrid => parse_event_grid(event_grid_body(&text).as_bytes()),
            _ => parse_cloud_events(text.as_bytes()),
        };
        let (event_type, reason) = invalid_data(result);
        assert_eq!(event_type, example.event_type(), "{}", example.file);
        assert!(reason.contains("threadId"), "{}: {reason}", example.file);
        checked += 1;
    }
    assert_eq!(
        checked,
        CLOUD_EVENTS_FOLDER_FILES + EVENT_GRID_FOLDER_FILES - 1
    );
    // `null` is no thread id either.
    let mut data = message_data();
    data["threadId"] = Value::Null;
    invalid_data(parse_event_grid(&event_grid(
        "Microsoft.Communication.ChatMessageReceived",
        data,
    )));
}

#[test]
fn known_event_data_of_the_wrong_shape_is_invalid_data() {
    for data in [
        json!(null),
        json!([]),
        json!("text"),
        json!({"threadId": 5}),
    ] {
        invalid_data(parse_event_grid(&event_grid(
            "Microsoft.Communication.ChatThreadCreated",
            data,
        )));
    }
}

fn malformed(result: Result<Vec<ChatEventEnvelope>, EventParseError>, schema: &str) {
    match result {
        Err(EventParseError::Malformed {
            schema: actual,
            reason,
        }) => {
            assert_eq!(actual, schema);
            assert!(!reason.is_empty());
        }
        other => panic!("expected Malformed {schema}, got {other:?}"),
    }
}

#[test]
fn bodies_that_are_not_deliveries_are_malformed() {
    for body in [&b"not json"[..], b"", b"{", b"[", b"\xff\xfe", b"[{}]x"] {
        malformed(parse_event_grid(body), "Event Grid");
        malformed(parse_cloud_events(body), "CloudEvents");
        malformed(parse_events(Some("application/json"), body), "Event Grid");
        malformed(
            parse_events(Some("application/cloudevents+json"), body),
            "CloudEvents",
        );
    }
    // The Event Grid schema is always an array, even of one event.
    let single = &event_grid("Contoso.X", json!({}))[1..];
    let single = &single[..single.len() - 1];
    assert!(single.starts_with(b"{"));
    malformed(parse_event_grid(single), "Event Grid");
    for body in [&b"{}"[..], b"null", b"7", b"\"[]\"", b"[7]", b"[[]]"] {
        malformed(parse_event_grid(body), "Event Grid");
    }
    // Required envelope fields.
    malformed(parse_event_grid(br#"[{"eventType":"X"}]"#), "Event Grid");
    malformed(parse_event_grid(br#"[{"id":"1"}]"#), "Event Grid");
    malformed(
        parse_event_grid(br#"[{"id":1,"eventType":"X"}]"#),
        "Event Grid",
    );
    malformed(
        parse_cloud_events(br#"{"id":"1","type":"X"}"#),
        "CloudEvents",
    );
    malformed(
        parse_cloud_events(br#"{"specversion":"1.0","type":"X"}"#),
        "CloudEvents",
    );
    malformed(parse_cloud_events(b"[7]"), "CloudEvents");
}

#[test]
fn a_cloud_events_spec_version_other_than_1_0_is_refused() {
    for version in ["0.3", "1.1", "2.0", "", "1"] {
        let body = format!(r#"{{"specversion":"{version}","id":"1","type":"Contoso.X"}}"#);
        assert_eq!(
            parse_cloud_events(body.as_bytes()),
            Err(EventParseError::UnsupportedSpecVersion(version.to_owned()))
        );
        assert_eq!(
            parse_events(Some("application/cloudevents+json"), body.as_bytes()),
            Err(EventParseError::UnsupportedSpecVersion(version.to_owned()))
        );
        // One such event spoils its batch.
        let good = String::from_utf8(cloud_event("Contoso.X", json!({}))).unwrap();
        let batch = format!("[{good},{body}]");
        assert_eq!(
            parse_events(Some("application/cloudevents-batch+json"), batch.as_bytes()),
            Err(EventParseError::UnsupportedSpecVersion(version.to_owned()))
        );
    }
    // The version is reported cut short, never the whole attribute.
    let long = "9".repeat(1000);
    let body = format!(r#"{{"specversion":"{long}","id":"1","type":"X"}}"#);
    match parse_cloud_events(body.as_bytes()) {
        Err(EventParseError::UnsupportedSpecVersion(version)) => assert!(version.len() <= 16),
        other => panic!("{other:?}"),
    }
    // `specVersion`, as upstream's examples spell it, is read the same way.
    let body = br#"{"specVersion":"1.0","id":"1","type":"Contoso.X","data":{}}"#;
    assert_eq!(parse_cloud_events(body).unwrap().len(), 1);
    let body = br#"{"specVersion":"0.3","id":"1","type":"Contoso.X"}"#;
    assert_eq!(
        parse_cloud_events(body),
        Err(EventParseError::UnsupportedSpecVersion("0.3".into()))
    );
}

#[test]
fn an_unsupported_content_type_is_refused() {
    let body = event_grid("Contoso.X", json!({}));
    for content_type in [
        "text/plain",
        "application/xml",
        "application/cloudevents",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
    ] {
        assert_eq!(
            parse_events(Some(content_type), &body),
            Err(EventParseError::UnsupportedContentType(
                content_type.to_owned()
            )),
            "{content_type}"
        );
    }
    let long = format!("text/{}", "x".repeat(500));
    match parse_events(Some(&long), &body) {
        Err(EventParseError::UnsupportedContentType(content_type)) => {
            assert!(content_type.chars().count() <= 64)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn errors_say_what_was_wrong_without_the_payload() {
    let mut data = message_data();
    data["version"] = json!("secret-token-value");
    let err = parse_event_grid(&event_grid(
        "Microsoft.Communication.ChatMessageReceived",
        data,
    ))
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("e-1") && message.contains("ChatMessageReceived"),
        "{message}"
    );
    let body = br#"[{"id":"1","eventType":"X","data":{"messageBody":"a private message"}},"#;
    let message = parse_event_grid(body).unwrap_err().to_string();
    assert!(!message.contains("a private message"), "{message}");
}

#[test]
fn truncated_examples_never_panic() {
    for example in examples() {
        let bodies = [
            event_grid_body(&example.text).into_bytes(),
            example.text.clone().into_bytes(),
        ];
        for body in &bodies {
            for end in 0..body.len() {
                let cut = &body[..end];
                // Errors are fine; a panic fails the test.
                let _ = parse_event_grid(cut);
                let _ = parse_cloud_events(cut);
            }
        }
        // The whole bodies parse.
        parse_one(&example);
    }
}
