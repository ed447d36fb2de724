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
//! are the generated wire models of `openapi/events.json`.
//!
//! Snapshots are taken under the thread's lock only when a subscription
//! exists; the events are built and queued after the lock is released.

use std::collections::HashMap;
use std::num::NonZeroU64;
use std::sync::Arc;

use acs_chat_rest::types::{
    AcsChatEventVersion, AcsChatMessageDeletedEventData, AcsChatMessageDeletedInThreadEventData,
    AcsChatMessageEditedEventData, AcsChatMessageEditedInThreadEventData,
    AcsChatMessageReceivedEventData, AcsChatMessageReceivedInThreadEventData,
    AcsChatParticipantAddedToThreadEventData, AcsChatParticipantAddedToThreadWithUserEventData,
    AcsChatParticipantRemovedFromThreadEventData,
    AcsChatParticipantRemovedFromThreadWithUserEventData, AcsChatThreadCreatedEventData,
    AcsChatThreadCreatedWithUserEventData, AcsChatThreadDeletedEventData,
    AcsChatThreadParticipantProperties, AcsChatThreadPropertiesUpdatedEventData,
    AcsChatThreadPropertiesUpdatedPerUserEventData, AcsChatThreadWithUserDeletedEventData,
    ChatMessageType,
};
use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;

use crate::events::{event_time, EventHub, PendingEvent};

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
struct Events {
    topic: Arc<str>,
    transaction_id: String,
    now: Arc<str>,
    out: Vec<PendingEvent>,
}

impl Events {
    fn new(hub: &EventHub) -> Self {
        Self {
            topic: hub.topic_arc(),
            transaction_id: random_uuid().simple().to_string(),
            now: event_time(Utc::now()),
            out: Vec::new(),
        }
    }

    fn push(&mut self, event_type: &'static str, subject: String, data: &impl Serialize) {
        // The wire models serialize to JSON objects; a failure would be a
        // bug in them, and the event is then left out rather than sent broken.
        let Ok(data) = serde_json::value::to_raw_value(data) else {
            return;
        };
        self.out.push(PendingEvent {
            id: random_uuid(),
            event_type,
            subject,
            time: Arc::clone(&self.now),
            topic: Arc::clone(&self.topic),
            data,
        });
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

    fn thread_created(&mut self, thread: &ThreadSnapshot, by: &str) {
        let participants: Vec<_> = thread.participants.iter().map(participant).collect();
        let subject = format!("thread/{}/createdBy/{by}", thread.id);
        for recipient in &thread.participants {
            let data = AcsChatThreadCreatedWithUserEventData {
                create_time: Some(time(thread.created_at)),
                created_by_communication_identifier: user_model(by),
                metadata: thread.metadata.clone(),
                participants: participants.clone(),
                properties: properties(&thread.topic),
                recipient_communication_identifier: Some(user_model(&recipient.raw_id)),
                thread_id: Some(thread.id.clone()),
                transaction_id: Some(self.transaction_id.clone()),
                version: version(thread.created_at),
            };
            let subject = format!("{subject}/recipient/{}", recipient.raw_id);
            self.push(
                "Microsoft.Communication.ChatThreadCreatedWithUser",
                subject,
                &data,
            );
        }
        let data = AcsChatThreadCreatedEventData {
            create_time: Some(time(thread.created_at)),
            created_by_communication_identifier: user_model(by),
            metadata: thread.metadata.clone(),
            participants,
            properties: properties(&thread.topic),
            thread_id: thread.id.clone(),
            transaction_id: self.transaction_id.clone(),
            version: version(thread.created_at),
        };
        self.push("Microsoft.Communication.ChatThreadCreated", subject, &data);
    }

    fn thread_deleted(&mut self, thread: &ThreadSnapshot, by: &str, at: u64) {
        let subject = format!("thread/{}/deletedBy/{by}", thread.id);
        for recipient in &thread.participants {
            let data = AcsChatThreadWithUserDeletedEventData {
                create_time: Some(time(thread.created_at)),
                delete_time: Some(time(at)),
                deleted_by_communication_identifier: user_model(by),
                recipient_communication_identifier: Some(user_model(&recipient.raw_id)),
                thread_id: Some(thread.id.clone()),
                transaction_id: Some(self.transaction_id.clone()),
                version: version(at),
            };
            let subject = format!("{subject}/recipient/{}", recipient.raw_id);
            self.push(
                "Microsoft.Communication.ChatThreadWithUserDeleted",
                subject,
                &data,
            );
        }
        let data = AcsChatThreadDeletedEventData {
            create_time: Some(time(thread.created_at)),
            delete_time: Some(time(at)),
            deleted_by_communication_identifier: user_model(by),
            thread_id: thread.id.clone(),
            transaction_id: self.transaction_id.clone(),
            version: version(at),
        };
        self.push("Microsoft.Communication.ChatThreadDeleted", subject, &data);
    }

    fn properties_updated(&mut self, thread: &ThreadSnapshot, by: &str, at: u64) {
        let subject = format!("thread/{}/editedBy/{by}", thread.id);
        for recipient in &thread.participants {
            let data = AcsChatThreadPropertiesUpdatedPerUserEventData {
                create_time: Some(time(thread.created_at)),
                edit_time: Some(time(at)),
                edited_by_communication_identifier: user_model(by),
                metadata: thread.metadata.clone(),
                properties: properties(&thread.topic),
                recipient_communication_identifier: Some(user_model(&recipient.raw_id)),
                thread_id: Some(thread.id.clone()),
                transaction_id: Some(self.transaction_id.clone()),
                version: version(at),
            };
            let subject = format!("{subject}/recipient/{}", recipient.raw_id);
            self.push(
                "Microsoft.Communication.ChatThreadPropertiesUpdatedPerUser",
                subject,
                &data,
            );
        }
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
        self.push(
            "Microsoft.Communication.ChatThreadPropertiesUpdated",
            subject,
            &data,
        );
    }

    /// Everyone but the sender, with the subject of each delivery.
    fn message_recipients<'a>(
        thread: &'a ThreadSnapshot,
        message: &'a MessageSnapshot,
    ) -> impl Iterator<Item = (&'a str, String)> + 'a {
        let subject = format!("thread/{}/sender/{}", thread.id, message.sender);
        thread
            .participants
            .iter()
            .filter(move |p| p.raw_id != message.sender)
            .map(move |p| {
                (
                    p.raw_id.as_str(),
                    format!("{subject}/recipient/{}", p.raw_id),
                )
            })
    }

    fn message_sent(&mut self, thread: &ThreadSnapshot, message: &MessageSnapshot) {
        let body = message.content.clone().unwrap_or_default();
        for (recipient, subject) in Self::message_recipients(thread, message) {
            let data = AcsChatMessageReceivedEventData {
                compose_time: Some(time(message.created_at)),
                message_body: Some(body.clone()),
                message_id: message.id.to_string(),
                metadata: message.metadata.clone(),
                recipient_communication_identifier: Some(user_model(recipient)),
                sender_communication_identifier: user_model(&message.sender),
                sender_display_name: message.sender_display_name.clone(),
                thread_id: Some(thread.id.clone()),
                transaction_id: Some(self.transaction_id.clone()),
                type_: pascal(&message.kind),
                version: version(message.version),
            };
            self.push(
                "Microsoft.Communication.ChatMessageReceived",
                subject,
                &data,
            );
        }
        let data = AcsChatMessageReceivedInThreadEventData {
            compose_time: Some(time(message.created_at)),
            message_body: body,
            message_id: message.id.to_string(),
            metadata: message.metadata.clone(),
            sender_communication_identifier: user_model(&message.sender),
            sender_display_name: message.sender_display_name.clone(),
            thread_id: thread.id.clone(),
            transaction_id: self.transaction_id.clone(),
            type_: pascal(&message.kind),
            version: version(message.version),
        };
        let subject = format!("thread/{}/sender/{}", thread.id, message.sender);
        self.push(
            "Microsoft.Communication.ChatMessageReceivedInThread",
            subject,
            &data,
        );
    }

    fn message_edited(&mut self, thread: &ThreadSnapshot, message: &MessageSnapshot) {
        let body = message.content.clone().unwrap_or_default();
        let edit_time = message.edited_at.map(time);
        for (recipient, subject) in Self::message_recipients(thread, message) {
            let data = AcsChatMessageEditedEventData {
                compose_time: Some(time(message.created_at)),
                edit_time,
                message_body: body.clone(),
                message_id: message.id.to_string(),
                metadata: message.metadata.clone(),
                recipient_communication_identifier: Some(user_model(recipient)),
                sender_communication_identifier: user_model(&message.sender),
                sender_display_name: message.sender_display_name.clone(),
                thread_id: Some(thread.id.clone()),
                transaction_id: Some(self.transaction_id.clone()),
                type_: pascal(&message.kind),
                version: version(message.version),
            };
            self.push("Microsoft.Communication.ChatMessageEdited", subject, &data);
        }
        let data = AcsChatMessageEditedInThreadEventData {
            compose_time: Some(time(message.created_at)),
            edit_time,
            message_body: body,
            message_id: message.id.to_string(),
            metadata: message.metadata.clone(),
            sender_communication_identifier: user_model(&message.sender),
            sender_display_name: message.sender_display_name.clone(),
            thread_id: thread.id.clone(),
            transaction_id: self.transaction_id.clone(),
            type_: pascal(&message.kind),
            version: version(message.version),
        };
        let subject = format!("thread/{}/sender/{}", thread.id, message.sender);
        self.push(
            "Microsoft.Communication.ChatMessageEditedInThread",
            subject,
            &data,
        );
    }

    fn message_deleted(&mut self, thread: &ThreadSnapshot, message: &MessageSnapshot) {
        let delete_time = message.deleted_at.map(time);
        for (recipient, subject) in Self::message_recipients(thread, message) {
            let data = AcsChatMessageDeletedEventData {
                compose_time: Some(time(message.created_at)),
                delete_time,
                message_id: message.id.to_string(),
                recipient_communication_identifier: Some(user_model(recipient)),
                sender_communication_identifier: user_model(&message.sender),
                sender_display_name: message.sender_display_name.clone(),
                thread_id: Some(thread.id.clone()),
                transaction_id: Some(self.transaction_id.clone()),
                type_: pascal(&message.kind),
                version: version(message.version),
            };
            self.push("Microsoft.Communication.ChatMessageDeleted", subject, &data);
        }
        let data = AcsChatMessageDeletedInThreadEventData {
            compose_time: Some(time(message.created_at)),
            delete_time,
            message_id: message.id.to_string(),
            sender_communication_identifier: user_model(&message.sender),
            sender_display_name: message.sender_display_name.clone(),
            thread_id: thread.id.clone(),
            transaction_id: self.transaction_id.clone(),
            type_: pascal(&message.kind),
            version: version(message.version),
        };
        let subject = format!("thread/{}/sender/{}", thread.id, message.sender);
        self.push(
            "Microsoft.Communication.ChatMessageDeletedInThread",
            subject,
            &data,
        );
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
        for recipient in &thread.participants {
            let data = AcsChatParticipantAddedToThreadWithUserEventData {
                added_by_communication_identifier: user_model(by),
                create_time: Some(time(thread.created_at)),
                participant_added: participant(added),
                recipient_communication_identifier: Some(user_model(&recipient.raw_id)),
                thread_id: Some(thread.id.clone()),
                time: Some(time(at)),
                transaction_id: Some(self.transaction_id.clone()),
                version: version(at),
            };
            let subject = format!("{subject}/recipient/{}", recipient.raw_id);
            self.push(
                "Microsoft.Communication.ChatParticipantAddedToThreadWithUser",
                subject,
                &data,
            );
        }
        let data = AcsChatParticipantAddedToThreadEventData {
            added_by_communication_identifier: user_model(by),
            participant_added: participant(added),
            thread_id: thread.id.clone(),
            time: Some(time(at)),
            transaction_id: self.transaction_id.clone(),
            version: version(at),
        };
        self.push(
            "Microsoft.Communication.ChatThreadParticipantAdded",
            thread_subject,
            &data,
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
        for recipient in &thread.participants {
            let data = AcsChatParticipantRemovedFromThreadWithUserEventData {
                create_time: Some(time(thread.created_at)),
                participant_removed: participant(removed),
                recipient_communication_identifier: Some(user_model(&recipient.raw_id)),
                removed_by_communication_identifier: user_model(by),
                thread_id: Some(thread.id.clone()),
                time: Some(time(at)),
                transaction_id: Some(self.transaction_id.clone()),
                version: version(at),
            };
            let subject = format!("{subject}/recipient/{}", recipient.raw_id);
            self.push(
                "Microsoft.Communication.ChatParticipantRemovedFromThreadWithUser",
                subject,
                &data,
            );
        }
        let data = AcsChatParticipantRemovedFromThreadEventData {
            participant_removed: participant(removed),
            removed_by_communication_identifier: user_model(by),
            thread_id: thread.id.clone(),
            time: Some(time(at)),
            transaction_id: self.transaction_id.clone(),
            version: version(at),
        };
        self.push(
            "Microsoft.Communication.ChatThreadParticipantRemoved",
            thread_subject,
            &data,
        );
    }
}
