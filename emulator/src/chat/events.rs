//! Chat events for the emulator's event subscriptions, fanned out as the
//! service's "Chat events" documentation describes:
//!
//! | action | thread-level event (once) | user-level event (per recipient) | recipients |
//! | --- | --- | --- | --- |
//! | create thread | `ChatThreadCreated` | `ChatThreadCreatedWithUser` | every participant |
//! | delete thread | `ChatThreadDeleted` | `ChatThreadWithUserDeleted` | every participant |
//! | update topic or metadata | `ChatThreadPropertiesUpdated` | `ChatThreadPropertiesUpdatedPerUser` | every participant |
//! | send message | `ChatMessageReceivedInThread` | `ChatMessageReceived` | every participant but the sender |
//! | edit message | `ChatMessageEditedInThread` | `ChatMessageEdited` | every participant but the sender |
//! | delete message | `ChatMessageDeletedInThread` | `ChatMessageDeleted` | every participant but the sender |
//! | add participants | `ChatThreadParticipantAdded` (per participant added) | `ChatParticipantAddedToThreadWithUser` | every participant after the add, per participant added |
//! | remove participant | `ChatThreadParticipantRemoved` | `ChatParticipantRemovedFromThreadWithUser` | every participant before the removal |
//!
//! Subjects follow the examples of the Event Grid description:
//! `thread/{threadId}/sender/{rawId}/recipient/{rawId}` and so on. The data
//! are the generated wire models of `openapi/events.json`, serialized; the
//! data of message events, sent most, are written by hand as serde_json
//! writes those models (`Events::message_data`, held equal by a test).
//!
//! Snapshots are taken under the thread's lock only when a subscription
//! exists; the events are built and queued after the lock is released.

use std::collections::HashMap;
use std::num::NonZeroU64;

use acs_chat_rest::types::{
    AcsChatEventVersion, AcsChatParticipantAddedToThreadEventData,
    AcsChatParticipantRemovedFromThreadEventData, AcsChatThreadCreatedEventData,
    AcsChatThreadDeletedEventData, AcsChatThreadParticipantProperties,
    AcsChatThreadPropertiesUpdatedEventData, ChatMessageType,
};
use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;

use crate::events::{EventHub, JsonObject, JsonText, PendingEvent};

use super::identifiers::user_model;
use super::thread_state::{MessageBody, MessageRecord, ParticipantRecord, ThreadState};

/// The thread as the events of one action need it.
#[derive(Debug)]
pub(crate) struct ThreadSnapshot {
    id: String,
    created_at: u64,
    topic: String,
    metadata: HashMap<String, String>,
    participants: Vec<ParticipantRecord>,
}

impl ThreadSnapshot {
    pub(crate) fn of(thread: &ThreadState) -> Self {
        Self {
            id: thread.id.clone(),
            created_at: thread.created_at,
            topic: thread.topic.clone(),
            metadata: thread.metadata.clone(),
            participants: thread.participants().to_vec(),
        }
    }
}

/// A message as the events of one action need it.
#[derive(Debug)]
pub(crate) struct MessageSnapshot {
    id: u64,
    created_at: u64,
    version: u64,
    sender: String,
    sender_display_name: Option<String>,
    kind: ChatMessageType,
    content: Option<String>,
    metadata: HashMap<String, String>,
    edited_at: Option<u64>,
    deleted_at: Option<u64>,
}

impl MessageSnapshot {
    /// A user message (system messages have no events of their own).
    pub(crate) fn of(message: &MessageRecord) -> Option<Self> {
        let MessageBody::User { kind, content } = &message.body else {
            return None;
        };
        Some(Self {
            id: message.id,
            created_at: message.created_at,
            version: message.version,
            sender: message.sender.as_deref()?.to_owned(),
            sender_display_name: message.sender_display_name.as_deref().map(str::to_owned),
            kind: (*kind).into(),
            content: content.as_deref().map(str::to_owned),
            metadata: message.metadata.to_map(),
            edited_at: message.edited_at.map(NonZeroU64::get),
            deleted_at: message.deleted_at.map(NonZeroU64::get),
        })
    }
}

/// One chat action that emits events.
#[derive(Debug)]
pub(crate) enum ChatActivity {
    ThreadCreated {
        thread: ThreadSnapshot,
        by: String,
    },
    ThreadDeleted {
        thread: ThreadSnapshot,
        by: String,
        at: u64,
    },
    ThreadPropertiesUpdated {
        thread: ThreadSnapshot,
        by: String,
        at: u64,
    },
    MessageSent {
        thread: ThreadSnapshot,
        message: MessageSnapshot,
    },
    MessageEdited {
        thread: ThreadSnapshot,
        message: MessageSnapshot,
    },
    MessageDeleted {
        thread: ThreadSnapshot,
        message: MessageSnapshot,
    },
    ParticipantsAdded {
        thread: ThreadSnapshot,
        by: String,
        at: u64,
        added: Vec<ParticipantRecord>,
    },
    ParticipantRemoved {
        thread: ThreadSnapshot,
        by: String,
        at: u64,
        removed: ParticipantRecord,
    },
}

/// Queues the events of `activity` (nothing when there is none).
pub(crate) fn emit(hub: &EventHub, activity: Option<ChatActivity>) {
    if let Some(activity) = activity {
        hub.publish(Events::new(hub).of(activity));
    }
}

/// A random (version 4) UUID from the fast non-cryptographic generator:
/// event ids must be unique, not unpredictable, and this spares a system
/// call per event.
fn random_uuid() -> uuid::Uuid {
    uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid()
}

fn time(millis: u64) -> DateTime<Utc> {
    let millis = i64::try_from(millis).unwrap_or(i64::MAX);
    Utc.timestamp_millis_opt(millis)
        .single()
        .unwrap_or_default()
}

fn version(millis: u64) -> Option<AcsChatEventVersion> {
    Some(AcsChatEventVersion::Int64(
        i64::try_from(millis).unwrap_or(i64::MAX),
    ))
}

/// The event `type` spells message types in PascalCase (`Text`, `Html`).
fn pascal(kind: &ChatMessageType) -> String {
    let camel = kind.to_string();
    let mut chars = camel.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => camel,
    }
}

/// `user_model(raw_id)` as serde_json writes it:
/// `{"communicationUser":{"id":…},"rawId":…}`, written by hand (it is in
/// every message event and every user-level event).
fn user_json(raw_id: &str) -> JsonText {
    let mut model = JsonObject::with_capacity(2 * raw_id.len() + 48);
    write_user_members(&mut model, raw_id);
    model.finish()
}

/// `user_model(raw_id)` as the member `key` of `object`.
fn write_user(object: &mut JsonObject, key: &'static str, raw_id: &str) {
    object.open(key);
    write_user_members(object, raw_id);
    object.close();
}

fn write_user_members(object: &mut JsonObject, raw_id: &str) {
    object
        .open("communicationUser")
        .string("id", raw_id)
        .close()
        .string("rawId", raw_id);
}

/// Which message event [`Events::message_data`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MessageAction {
    Sent,
    Edited,
    Deleted,
}

fn participant(record: &ParticipantRecord) -> AcsChatThreadParticipantProperties {
    AcsChatThreadParticipantProperties {
        display_name: record.display_name.clone(),
        metadata: record.metadata.clone(),
        participant_communication_identifier: user_model(&record.raw_id),
    }
}

fn properties(topic: &str) -> serde_json::Map<String, serde_json::Value> {
    serde_json::Map::from_iter([("topic".to_owned(), serde_json::Value::from(topic))])
}

/// Builds the events of one action.
///
/// Each user-level event's data is its thread-level event's data with the
/// recipient (and, for participant changes, the thread's creation time) in
/// front: the thread-level data is serialized once per action, not once per
/// recipient. A test holds every pair's JSON equal to the user-level wire
/// model's.
struct Events {
    topic: JsonText,
    transaction_id: String,
    now: JsonText,
    out: Vec<PendingEvent>,
}

/// A user-level event type, its subject up to `/recipient/`, and who
/// receives it.
struct PerUser<'a, R> {
    event_type: &'static str,
    subject: &'a str,
    recipients: R,
}

const RECIPIENT: &str = "recipientCommunicationIdentifier";
const CREATE_TIME: &str = "createTime";

impl Events {
    fn new(hub: &EventHub) -> Self {
        Self {
            topic: hub.topic_json(),
            transaction_id: random_uuid().simple().to_string(),
            now: JsonText::time(Utc::now()),
            out: Vec::new(),
        }
    }

    fn push(&mut self, event_type: &'static str, subject: JsonText, data: JsonText) {
        self.out.push(PendingEvent {
            id: random_uuid(),
            event_type,
            subject,
            time: self.now.clone(),
            topic: self.topic.clone(),
            data,
        });
    }

    /// The user-level events of `per_user`, then the thread-level event.
    /// If `data` (the thread-level data) is missing or not a JSON object (a
    /// wire model that failed to serialize: a bug), the action's events are
    /// all left out: none is sent broken.
    fn fan_out<'a>(
        &mut self,
        per_user: PerUser<'_, impl Iterator<Item = &'a str>>,
        thread_type: &'static str,
        thread_subject: &str,
        data: Option<JsonText>,
        created_at: Option<u64>,
    ) {
        let Some(data) = data.filter(JsonText::is_object) else {
            return;
        };
        let create_time = created_at.map(|at| JsonText::time(time(at)));
        for recipient in per_user.recipients {
            let recipient_json = user_json(recipient);
            let joined = match &create_time {
                Some(create_time) => data.with_members_first(&[
                    (CREATE_TIME, create_time),
                    (RECIPIENT, &recipient_json),
                ]),
                None => data.with_members_first(&[(RECIPIENT, &recipient_json)]),
            };
            if let Some(joined) = joined {
                let subject =
                    JsonText::joined_string(&[per_user.subject, "/recipient/", recipient]);
                self.push(per_user.event_type, subject, joined);
            }
        }
        self.push(thread_type, JsonText::string(thread_subject), data);
    }

    fn of(mut self, activity: ChatActivity) -> Vec<PendingEvent> {
        match activity {
            ChatActivity::ThreadCreated { thread, by } => self.thread_created(&thread, &by),
            ChatActivity::ThreadDeleted { thread, by, at } => self.thread_deleted(&thread, &by, at),
            ChatActivity::ThreadPropertiesUpdated { thread, by, at } => {
                self.properties_updated(&thread, &by, at)
            }
            ChatActivity::MessageSent { thread, message } => self.message_sent(&thread, &message),
            ChatActivity::MessageEdited { thread, message } => {
                self.message_edited(&thread, &message)
            }
            ChatActivity::MessageDeleted { thread, message } => {
                self.message_deleted(&thread, &message)
            }
            ChatActivity::ParticipantsAdded {
                thread,
                by,
                at,
                added,
            } => {
                for participant in &added {
                    self.participant_added(&thread, &by, at, participant);
                }
            }
            ChatActivity::ParticipantRemoved {
                thread,
                by,
                at,
                removed,
            } => self.participant_removed(&thread, &by, at, &removed),
        }
        self.out
    }

    /// The events of a thread action (types: user-level, thread-level):
    /// one per participant and one for the thread, all with `subject` (plus
    /// `/recipient/{id}` for the participants').
    fn for_everyone(
        &mut self,
        (user_type, thread_type): (&'static str, &'static str),
        thread: &ThreadSnapshot,
        subject: &str,
        data: &impl Serialize,
    ) {
        let per_user = PerUser {
            event_type: user_type,
            subject,
            recipients: Self::everyone(thread),
        };
        self.fan_out(per_user, thread_type, subject, JsonText::of(data), None);
    }

    /// The events of a message action (types as for
    /// [`Events::for_everyone`]): one per participant but the sender, and
    /// one for the thread, with the subject `thread/{id}/sender/{sender}`.
    fn for_others(
        &mut self,
        (user_type, thread_type): (&'static str, &'static str),
        thread: &ThreadSnapshot,
        message: &MessageSnapshot,
        data: JsonText,
    ) {
        let subject = format!("thread/{}/sender/{}", thread.id, message.sender);
        let per_user = PerUser {
            event_type: user_type,
            subject: &subject,
            recipients: Self::others(thread, message),
        };
        self.fan_out(per_user, thread_type, &subject, Some(data), None);
    }

    /// Every participant of the thread.
    fn everyone(thread: &ThreadSnapshot) -> impl Iterator<Item = &str> {
        thread.participants.iter().map(|p| p.raw_id.as_str())
    }

    /// Everyone but the message's sender.
    fn others<'a>(
        thread: &'a ThreadSnapshot,
        message: &'a MessageSnapshot,
    ) -> impl Iterator<Item = &'a str> {
        Self::everyone(thread).filter(move |id| *id != message.sender)
    }

    fn thread_created(&mut self, thread: &ThreadSnapshot, by: &str) {
        let subject = format!("thread/{}/createdBy/{by}", thread.id);
        let data = AcsChatThreadCreatedEventData {
            create_time: Some(time(thread.created_at)),
            created_by_communication_identifier: user_model(by),
            metadata: thread.metadata.clone(),
            participants: thread.participants.iter().map(participant).collect(),
            properties: properties(&thread.topic),
            thread_id: thread.id.clone(),
            transaction_id: self.transaction_id.clone(),
            version: version(thread.created_at),
        };
        let types = (
            "Microsoft.Communication.ChatThreadCreatedWithUser",
            "Microsoft.Communication.ChatThreadCreated",
        );
        self.for_everyone(types, thread, &subject, &data);
    }

    fn thread_deleted(&mut self, thread: &ThreadSnapshot, by: &str, at: u64) {
        let subject = format!("thread/{}/deletedBy/{by}", thread.id);
        let data = AcsChatThreadDeletedEventData {
            create_time: Some(time(thread.created_at)),
            delete_time: Some(time(at)),
            deleted_by_communication_identifier: user_model(by),
            thread_id: thread.id.clone(),
            transaction_id: self.transaction_id.clone(),
            version: version(at),
        };
        let types = (
            "Microsoft.Communication.ChatThreadWithUserDeleted",
            "Microsoft.Communication.ChatThreadDeleted",
        );
        self.for_everyone(types, thread, &subject, &data);
    }

    fn properties_updated(&mut self, thread: &ThreadSnapshot, by: &str, at: u64) {
        let subject = format!("thread/{}/editedBy/{by}", thread.id);
        let data = AcsChatThreadPropertiesUpdatedEventData {
            create_time: Some(time(thread.created_at)),
            edit_time: Some(time(at)),
            edited_by_communication_identifier: user_model(by),
            metadata: thread.metadata.clone(),
            properties: properties(&thread.topic),
            thread_id: thread.id.clone(),
            transaction_id: self.transaction_id.clone(),
            version: version(at),
        };
        let types = (
            "Microsoft.Communication.ChatThreadPropertiesUpdatedPerUser",
            "Microsoft.Communication.ChatThreadPropertiesUpdated",
        );
        self.for_everyone(types, thread, &subject, &data);
    }

    fn message_sent(&mut self, thread: &ThreadSnapshot, message: &MessageSnapshot) {
        let data = self.message_data(thread, message, MessageAction::Sent);
        let types = (
            "Microsoft.Communication.ChatMessageReceived",
            "Microsoft.Communication.ChatMessageReceivedInThread",
        );
        self.for_others(types, thread, message, data);
    }

    fn message_edited(&mut self, thread: &ThreadSnapshot, message: &MessageSnapshot) {
        let data = self.message_data(thread, message, MessageAction::Edited);
        let types = (
            "Microsoft.Communication.ChatMessageEdited",
            "Microsoft.Communication.ChatMessageEditedInThread",
        );
        self.for_others(types, thread, message, data);
    }

    fn message_deleted(&mut self, thread: &ThreadSnapshot, message: &MessageSnapshot) {
        let data = self.message_data(thread, message, MessageAction::Deleted);
        let types = (
            "Microsoft.Communication.ChatMessageDeleted",
            "Microsoft.Communication.ChatMessageDeletedInThread",
        );
        self.for_others(types, thread, message, data);
    }

    /// The thread-level data of a message event, written as serde_json
    /// writes the wire model (`AcsChatMessage{Received,Edited,Deleted}InThreadEventData`:
    /// its members in the model's order, absent options left out), by hand
    /// because message events are the ones sent most. The tests hold each
    /// equal to the wire model's.
    fn message_data(
        &self,
        thread: &ThreadSnapshot,
        message: &MessageSnapshot,
        action: MessageAction,
    ) -> JsonText {
        let mut data = JsonObject::with_capacity(512);
        data.time("composeTime", time(message.created_at));
        match action {
            MessageAction::Sent => {}
            MessageAction::Edited => {
                if let Some(at) = message.edited_at {
                    data.time("editTime", time(at));
                }
            }
            MessageAction::Deleted => {
                if let Some(at) = message.deleted_at {
                    data.time("deleteTime", time(at));
                }
            }
        }
        if action != MessageAction::Deleted {
            data.string(
                "messageBody",
                message.content.as_deref().unwrap_or_default(),
            );
        }
        data.integer_string("messageId", message.id);
        if action != MessageAction::Deleted && !message.metadata.is_empty() {
            data.string_map("metadata", &message.metadata);
        }
        write_user(&mut data, "senderCommunicationIdentifier", &message.sender);
        if let Some(name) = &message.sender_display_name {
            data.string("senderDisplayName", name);
        }
        data.string("threadId", &thread.id)
            .string("transactionId", &self.transaction_id)
            .string("type", &pascal(&message.kind))
            .integer(
                "version",
                i64::try_from(message.version).unwrap_or(i64::MAX),
            );
        data.finish()
    }

    fn participant_added(
        &mut self,
        thread: &ThreadSnapshot,
        by: &str,
        at: u64,
        added: &ParticipantRecord,
    ) {
        // The examples spell the user-level subject `participantAdded` and
        // the thread-level one `participantadded`.
        let subject = format!("thread/{}/participantAdded/{}", thread.id, added.raw_id);
        let thread_subject = format!("thread/{}/participantadded/{}", thread.id, added.raw_id);
        let data = AcsChatParticipantAddedToThreadEventData {
            added_by_communication_identifier: user_model(by),
            participant_added: participant(added),
            thread_id: thread.id.clone(),
            time: Some(time(at)),
            transaction_id: self.transaction_id.clone(),
            version: version(at),
        };
        let per_user = PerUser {
            event_type: "Microsoft.Communication.ChatParticipantAddedToThreadWithUser",
            subject: &subject,
            recipients: Self::everyone(thread),
        };
        let thread_type = "Microsoft.Communication.ChatThreadParticipantAdded";
        let created_at = Some(thread.created_at);
        self.fan_out(
            per_user,
            thread_type,
            &thread_subject,
            JsonText::of(&data),
            created_at,
        );
    }

    fn participant_removed(
        &mut self,
        thread: &ThreadSnapshot,
        by: &str,
        at: u64,
        removed: &ParticipantRecord,
    ) {
        // The examples spell the user-level subject `participantRemoved` and
        // the thread-level one `participantremoved`.
        let subject = format!("thread/{}/participantRemoved/{}", thread.id, removed.raw_id);
        let thread_subject = format!("thread/{}/participantremoved/{}", thread.id, removed.raw_id);
        let data = AcsChatParticipantRemovedFromThreadEventData {
            participant_removed: participant(removed),
            removed_by_communication_identifier: user_model(by),
            thread_id: thread.id.clone(),
            time: Some(time(at)),
            transaction_id: self.transaction_id.clone(),
            version: version(at),
        };
        let per_user = PerUser {
            event_type: "Microsoft.Communication.ChatParticipantRemovedFromThreadWithUser",
            subject: &subject,
            recipients: Self::everyone(thread),
        };
        let thread_type = "Microsoft.Communication.ChatThreadParticipantRemoved";
        let created_at = Some(thread.created_at);
        self.fan_out(
            per_user,
            thread_type,
            &thread_subject,
            JsonText::of(&data),
            created_at,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EventDeliveryOptions;
    use acs_chat_rest::types::{
        AcsChatMessageDeletedEventData, AcsChatMessageDeletedInThreadEventData,
        AcsChatMessageEditedEventData, AcsChatMessageEditedInThreadEventData,
        AcsChatMessageReceivedEventData, AcsChatMessageReceivedInThreadEventData,
        AcsChatParticipantAddedToThreadWithUserEventData,
        AcsChatParticipantRemovedFromThreadWithUserEventData,
        AcsChatThreadCreatedWithUserEventData, AcsChatThreadPropertiesUpdatedPerUserEventData,
        AcsChatThreadWithUserDeletedEventData, CommunicationIdentifierModel,
    };
    use serde::de::DeserializeOwned;
    use serde_json::Value;

    const A: &str = "8:acs:resource_00000000-0000-0000-0000-00000000000a";
    const B: &str = "8:acs:resource_00000000-0000-0000-0000-00000000000b";
    const C: &str = "8:acs:resource_00000000-0000-0000-0000-00000000000c";
    const THREAD: &str = "19:abc@thread.v2";

    fn member(raw_id: &str) -> ParticipantRecord {
        ParticipantRecord {
            raw_id: raw_id.to_owned(),
            display_name: Some(format!("name \"{}\"", &raw_id[raw_id.len() - 1..])),
            share_history_time: DateTime::UNIX_EPOCH,
            metadata: HashMap::from([("role".to_owned(), "agent".to_owned())]),
        }
    }

    fn thread() -> ThreadSnapshot {
        ThreadSnapshot {
            id: THREAD.to_owned(),
            created_at: 1_700_000_000_000,
            topic: "Support \"urgent\"".to_owned(),
            metadata: HashMap::from([("team".to_owned(), "blue".to_owned())]),
            participants: vec![member(A), member(B), member(C)],
        }
    }

    fn message() -> MessageSnapshot {
        MessageSnapshot {
            id: 1_700_000_000_500,
            created_at: 1_700_000_000_500,
            version: 1_700_000_000_900,
            sender: A.to_owned(),
            sender_display_name: Some("Agent".to_owned()),
            kind: ChatMessageType::Text,
            content: Some("Hello\n\"there\"".to_owned()),
            metadata: HashMap::from([("k".to_owned(), "v".to_owned())]),
            edited_at: Some(1_700_000_000_800),
            deleted_at: Some(1_700_000_000_900),
        }
    }

    fn events_of(activity: ChatActivity) -> Vec<PendingEvent> {
        let hub = EventHub::new(EventDeliveryOptions::default(), "resource", None).expect("hub");
        Events::new(&hub).of(activity)
    }

    fn json(text: &JsonText) -> Value {
        serde_json::from_str(text.as_str()).expect("valid JSON")
    }

    /// The one thread-level event's data, typed, and each user-level event's
    /// recipient, subject and data, after checking their types.
    fn split<T: DeserializeOwned>(
        events: &[PendingEvent],
        user_type: &str,
        thread_type: &str,
    ) -> (T, Vec<(String, String, Value)>) {
        let (last, per_user) = events.split_last().expect("events");
        assert_eq!(
            last.event_type,
            format!("Microsoft.Communication.{thread_type}")
        );
        let thread_json = json(&last.data);
        // A member put in front of the thread-level data must not be there
        // already: JSON parsers keep the last of two equal keys, so the
        // comparisons below would not see a duplicate. (`createTime`, put
        // in front for participant events, is checked there.)
        assert!(
            thread_json.get(RECIPIENT).is_none(),
            "{thread_type} has a recipient"
        );
        let thread_data = serde_json::from_value(thread_json).expect("thread-level data");
        let per_user = per_user
            .iter()
            .map(|event| {
                assert_eq!(
                    event.event_type,
                    format!("Microsoft.Communication.{user_type}")
                );
                let data = json(&event.data);
                let recipient = data["recipientCommunicationIdentifier"]["rawId"]
                    .as_str()
                    .expect("a recipient")
                    .to_owned();
                let subject = serde_json::from_str(event.subject.as_str()).expect("a string");
                (recipient, subject, data)
            })
            .collect();
        (thread_data, per_user)
    }

    fn recipient(raw_id: &str) -> Option<CommunicationIdentifierModel> {
        Some(user_model(raw_id))
    }

    fn to_value(data: &impl Serialize) -> Value {
        serde_json::to_value(data).expect("serializes")
    }

    #[test]
    fn message_events_go_to_everyone_but_the_sender_as_the_wire_model_writes_them() {
        let events = events_of(ChatActivity::MessageSent {
            thread: thread(),
            message: message(),
        });
        let (t, per_user): (AcsChatMessageReceivedInThreadEventData, _) = split(
            &events,
            "ChatMessageReceived",
            "ChatMessageReceivedInThread",
        );
        assert_eq!(t.message_body, "Hello\n\"there\"");
        let recipients: Vec<_> = per_user.iter().map(|(r, _, _)| r.as_str()).collect();
        assert_eq!(recipients, [B, C]);
        for (r, subject, data) in &per_user {
            assert_eq!(
                subject,
                &format!("thread/{THREAD}/sender/{A}/recipient/{r}")
            );
            let expected = AcsChatMessageReceivedEventData {
                compose_time: t.compose_time,
                message_body: Some(t.message_body.clone()),
                message_id: t.message_id.clone(),
                metadata: t.metadata.clone(),
                recipient_communication_identifier: recipient(r),
                sender_communication_identifier: t.sender_communication_identifier.clone(),
                sender_display_name: t.sender_display_name.clone(),
                thread_id: Some(t.thread_id.clone()),
                transaction_id: Some(t.transaction_id.clone()),
                type_: t.type_.clone(),
                version: t.version.clone(),
            };
            assert_eq!(data, &to_value(&expected));
        }
        let thread_subject: String =
            serde_json::from_str(events[2].subject.as_str()).expect("string");
        assert_eq!(thread_subject, format!("thread/{THREAD}/sender/{A}"));

        let events = events_of(ChatActivity::MessageEdited {
            thread: thread(),
            message: message(),
        });
        let (t, per_user): (AcsChatMessageEditedInThreadEventData, _) =
            split(&events, "ChatMessageEdited", "ChatMessageEditedInThread");
        assert_eq!(per_user.len(), 2);
        for (r, _, data) in &per_user {
            let expected = AcsChatMessageEditedEventData {
                compose_time: t.compose_time,
                edit_time: t.edit_time,
                message_body: t.message_body.clone(),
                message_id: t.message_id.clone(),
                metadata: t.metadata.clone(),
                recipient_communication_identifier: recipient(r),
                sender_communication_identifier: t.sender_communication_identifier.clone(),
                sender_display_name: t.sender_display_name.clone(),
                thread_id: Some(t.thread_id.clone()),
                transaction_id: Some(t.transaction_id.clone()),
                type_: t.type_.clone(),
                version: t.version.clone(),
            };
            assert_eq!(data, &to_value(&expected));
        }

        let events = events_of(ChatActivity::MessageDeleted {
            thread: thread(),
            message: message(),
        });
        let (t, per_user): (AcsChatMessageDeletedInThreadEventData, _) =
            split(&events, "ChatMessageDeleted", "ChatMessageDeletedInThread");
        assert_eq!(per_user.len(), 2);
        for (r, _, data) in &per_user {
            let expected = AcsChatMessageDeletedEventData {
                compose_time: t.compose_time,
                delete_time: t.delete_time,
                message_id: t.message_id.clone(),
                recipient_communication_identifier: recipient(r),
                sender_communication_identifier: t.sender_communication_identifier.clone(),
                sender_display_name: t.sender_display_name.clone(),
                thread_id: Some(t.thread_id.clone()),
                transaction_id: Some(t.transaction_id.clone()),
                type_: t.type_.clone(),
                version: t.version.clone(),
            };
            assert_eq!(data, &to_value(&expected));
        }
    }

    #[test]
    fn thread_events_go_to_every_participant_as_the_wire_model_writes_them() {
        let events = events_of(ChatActivity::ThreadCreated {
            thread: thread(),
            by: A.to_owned(),
        });
        let (t, per_user): (AcsChatThreadCreatedEventData, _) =
            split(&events, "ChatThreadCreatedWithUser", "ChatThreadCreated");
        assert_eq!(t.participants.len(), 3);
        let recipients: Vec<_> = per_user.iter().map(|(r, _, _)| r.as_str()).collect();
        assert_eq!(recipients, [A, B, C]);
        for (r, subject, data) in &per_user {
            assert_eq!(
                subject,
                &format!("thread/{THREAD}/createdBy/{A}/recipient/{r}")
            );
            let expected = AcsChatThreadCreatedWithUserEventData {
                create_time: t.create_time,
                created_by_communication_identifier: t.created_by_communication_identifier.clone(),
                metadata: t.metadata.clone(),
                participants: t.participants.clone(),
                properties: t.properties.clone(),
                recipient_communication_identifier: recipient(r),
                thread_id: Some(t.thread_id.clone()),
                transaction_id: Some(t.transaction_id.clone()),
                version: t.version.clone(),
            };
            assert_eq!(data, &to_value(&expected));
        }

        let events = events_of(ChatActivity::ThreadDeleted {
            thread: thread(),
            by: B.to_owned(),
            at: 1_700_000_009_000,
        });
        let (t, per_user): (AcsChatThreadDeletedEventData, _) =
            split(&events, "ChatThreadWithUserDeleted", "ChatThreadDeleted");
        assert_eq!(per_user.len(), 3);
        for (r, _, data) in &per_user {
            let expected = AcsChatThreadWithUserDeletedEventData {
                create_time: t.create_time,
                delete_time: t.delete_time,
                deleted_by_communication_identifier: t.deleted_by_communication_identifier.clone(),
                recipient_communication_identifier: recipient(r),
                thread_id: Some(t.thread_id.clone()),
                transaction_id: Some(t.transaction_id.clone()),
                version: t.version.clone(),
            };
            assert_eq!(data, &to_value(&expected));
        }

        let events = events_of(ChatActivity::ThreadPropertiesUpdated {
            thread: thread(),
            by: B.to_owned(),
            at: 1_700_000_009_000,
        });
        let (t, per_user): (AcsChatThreadPropertiesUpdatedEventData, _) = split(
            &events,
            "ChatThreadPropertiesUpdatedPerUser",
            "ChatThreadPropertiesUpdated",
        );
        assert_eq!(per_user.len(), 3);
        for (r, _, data) in &per_user {
            let expected = AcsChatThreadPropertiesUpdatedPerUserEventData {
                create_time: t.create_time,
                edit_time: t.edit_time,
                edited_by_communication_identifier: t.edited_by_communication_identifier.clone(),
                metadata: t.metadata.clone(),
                properties: t.properties.clone(),
                recipient_communication_identifier: recipient(r),
                thread_id: Some(t.thread_id.clone()),
                transaction_id: Some(t.transaction_id.clone()),
                version: t.version.clone(),
            };
            assert_eq!(data, &to_value(&expected));
        }
    }

    #[test]
    fn participant_events_carry_the_threads_creation_time_per_user() {
        let created = thread().created_at;
        let events = events_of(ChatActivity::ParticipantsAdded {
            thread: thread(),
            by: A.to_owned(),
            at: 1_700_000_009_000,
            added: vec![member(C)],
        });
        assert!(json(&events[3].data).get(CREATE_TIME).is_none());
        let (t, per_user): (AcsChatParticipantAddedToThreadEventData, _) = split(
            &events,
            "ChatParticipantAddedToThreadWithUser",
            "ChatThreadParticipantAdded",
        );
        assert_eq!(per_user.len(), 3);
        let thread_subject: String =
            serde_json::from_str(events[3].subject.as_str()).expect("string");
        assert_eq!(
            thread_subject,
            format!("thread/{THREAD}/participantadded/{C}")
        );
        for (r, subject, data) in &per_user {
            assert_eq!(
                subject,
                &format!("thread/{THREAD}/participantAdded/{C}/recipient/{r}")
            );
            let expected = AcsChatParticipantAddedToThreadWithUserEventData {
                added_by_communication_identifier: t.added_by_communication_identifier.clone(),
                create_time: Some(time(created)),
                participant_added: t.participant_added.clone(),
                recipient_communication_identifier: recipient(r),
                thread_id: Some(t.thread_id.clone()),
                time: t.time,
                transaction_id: Some(t.transaction_id.clone()),
                version: t.version.clone(),
            };
            assert_eq!(data, &to_value(&expected));
        }

        let events = events_of(ChatActivity::ParticipantRemoved {
            thread: thread(),
            by: A.to_owned(),
            at: 1_700_000_009_000,
            removed: member(B),
        });
        assert!(json(&events[3].data).get(CREATE_TIME).is_none());
        let (t, per_user): (AcsChatParticipantRemovedFromThreadEventData, _) = split(
            &events,
            "ChatParticipantRemovedFromThreadWithUser",
            "ChatThreadParticipantRemoved",
        );
        assert_eq!(per_user.len(), 3);
        for (r, _, data) in &per_user {
            let expected = AcsChatParticipantRemovedFromThreadWithUserEventData {
                create_time: Some(time(created)),
                participant_removed: t.participant_removed.clone(),
                recipient_communication_identifier: recipient(r),
                removed_by_communication_identifier: t.removed_by_communication_identifier.clone(),
                thread_id: Some(t.thread_id.clone()),
                time: t.time,
                transaction_id: Some(t.transaction_id.clone()),
                version: t.version.clone(),
            };
            assert_eq!(data, &to_value(&expected));
        }
    }

    /// The thread-level data of every message event as serde_json writes
    /// the wire models (the text itself: member order, no key twice), made
    /// from `message` as the emulator made it before the data was written by
    /// hand. Exhaustive literals: a field added to the description breaks
    /// this.
    fn wire_message_data(
        thread: &ThreadSnapshot,
        message: &MessageSnapshot,
        tx: &str,
    ) -> [String; 3] {
        let sent = AcsChatMessageReceivedInThreadEventData {
            compose_time: Some(time(message.created_at)),
            message_body: message.content.clone().unwrap_or_default(),
            message_id: message.id.to_string(),
            metadata: message.metadata.clone(),
            sender_communication_identifier: user_model(&message.sender),
            sender_display_name: message.sender_display_name.clone(),
            thread_id: thread.id.clone(),
            transaction_id: tx.to_owned(),
            type_: pascal(&message.kind),
            version: version(message.version),
        };
        let edited = AcsChatMessageEditedInThreadEventData {
            compose_time: Some(time(message.created_at)),
            edit_time: message.edited_at.map(time),
            message_body: message.content.clone().unwrap_or_default(),
            message_id: message.id.to_string(),
            metadata: message.metadata.clone(),
            sender_communication_identifier: user_model(&message.sender),
            sender_display_name: message.sender_display_name.clone(),
            thread_id: thread.id.clone(),
            transaction_id: tx.to_owned(),
            type_: pascal(&message.kind),
            version: version(message.version),
        };
        let deleted = AcsChatMessageDeletedInThreadEventData {
            compose_time: Some(time(message.created_at)),
            delete_time: message.deleted_at.map(time),
            message_id: message.id.to_string(),
            sender_communication_identifier: user_model(&message.sender),
            sender_display_name: message.sender_display_name.clone(),
            thread_id: thread.id.clone(),
            transaction_id: tx.to_owned(),
            type_: pascal(&message.kind),
            version: version(message.version),
        };
        [
            serde_json::to_string(&sent).expect("serializes"),
            serde_json::to_string(&edited).expect("serializes"),
            serde_json::to_string(&deleted).expect("serializes"),
        ]
    }

    #[test]
    fn message_data_written_by_hand_is_the_wire_models() {
        let mut sparse = message();
        sparse.sender_display_name = None;
        sparse.metadata.clear();
        sparse.content = None;
        sparse.edited_at = None;
        sparse.deleted_at = None;
        sparse.kind = ChatMessageType::Html;
        let mut awkward = message();
        awkward.sender = "8:acs:\"odd\"\u{1}_\\".to_owned();
        awkward.sender_display_name = Some("\u{2028}\t".to_owned());
        awkward.metadata = HashMap::from([
            ("a\"".to_owned(), "\n".to_owned()),
            ("b".to_owned(), String::new()),
        ]);
        awkward.version = u64::MAX;
        for message in [message(), sparse, awkward] {
            let thread = thread();
            let hub =
                EventHub::new(EventDeliveryOptions::default(), "resource", None).expect("hub");
            let events = Events::new(&hub);
            let tx = events.transaction_id.clone();
            let written = [
                MessageAction::Sent,
                MessageAction::Edited,
                MessageAction::Deleted,
            ]
            .map(|action| {
                let data = events.message_data(&thread, &message, action);
                data.as_str().to_owned()
            });
            assert_eq!(
                written,
                wire_message_data(&thread, &message, &tx),
                "{message:?}"
            );
        }
        assert_eq!(
            user_json(A).as_str(),
            serde_json::to_string(&user_model(A)).expect("serializes"),
            "an identifier"
        );
    }

    #[test]
    fn sparse_and_awkward_values_still_make_exact_events() {
        let lone = || {
            let mut lone = thread();
            lone.participants.truncate(1);
            lone.topic = "back\\slash \u{1} \u{2028}".to_owned();
            lone.metadata.clear();
            lone
        };
        let mut sparse = message();
        sparse.sender_display_name = None;
        sparse.metadata.clear();
        sparse.content = Some("tab\t \"quote\" \u{0} \u{2028} é".to_owned());
        sparse.edited_at = None;
        let events = events_of(ChatActivity::MessageSent {
            thread: lone(),
            message: sparse,
        });
        let (t, per_user): (AcsChatMessageReceivedInThreadEventData, _) = split(
            &events,
            "ChatMessageReceived",
            "ChatMessageReceivedInThread",
        );
        assert!(per_user.is_empty(), "the sender alone hears nothing");
        assert_eq!(t.message_body, "tab\t \"quote\" \u{0} \u{2028} é");
        assert_eq!(t.sender_display_name, None);
        assert!(t.metadata.is_empty());

        let events = events_of(ChatActivity::ThreadPropertiesUpdated {
            thread: lone(),
            by: A.to_owned(),
            at: 1_700_000_009_000,
        });
        let (t, per_user): (AcsChatThreadPropertiesUpdatedEventData, _) = split(
            &events,
            "ChatThreadPropertiesUpdatedPerUser",
            "ChatThreadPropertiesUpdated",
        );
        assert_eq!(
            t.properties.get("topic"),
            Some(&Value::from("back\\slash \u{1} \u{2028}"))
        );
        assert_eq!(per_user.len(), 1);
        assert_eq!(per_user[0].2[RECIPIENT]["rawId"], A);
    }

    #[test]
    fn the_events_of_one_action_share_time_topic_and_transaction() {
        let events = events_of(ChatActivity::MessageSent {
            thread: thread(),
            message: message(),
        });
        assert_eq!(events.len(), 3);
        let transactions: Vec<_> = events
            .iter()
            .map(|e| json(&e.data)["transactionId"].clone())
            .collect();
        assert!(transactions
            .iter()
            .all(|t| t == &transactions[0] && t.is_string()));
        assert!(events
            .iter()
            .all(|e| e.time == events[0].time && e.topic == events[0].topic));
        let ids: std::collections::HashSet<_> = events.iter().map(|e| e.id).collect();
        assert_eq!(ids.len(), 3, "every event has its own id");
    }
}
