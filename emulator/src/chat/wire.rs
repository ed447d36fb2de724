//! Conversions from the emulator's records to the generated wire types of
//! `acs-chat-rest` (so a change of the spec breaks this build), shaped as
//! the service answers at the request's api-version ([`Shape`]).

use acs_chat_rest::types::{
    ChatMessage, ChatMessageContent, ChatMessageReadReceipt, ChatParticipant, ChatRetentionPolicy,
    ChatThreadItem, ChatThreadProperties, CommunicationError, RetentionPolicyKind,
};
use serde::Serialize;

use super::identifiers::user_model;
use super::ids::{to_seconds, truncate_to_seconds};
use super::thread_state::{
    MessageBody, MessageRecord, ParticipantRecord, ReceiptRecord, ThreadState,
};

/// How the service shapes its answers at one api-version, as its recorded
/// traffic shows (see `emulator/README.md`, "api-versions").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Shape {
    /// Thread metadata, participant metadata and retention policies exist
    /// (2025-03-15 on); a thread without a policy shows `{"kind":"none"}`.
    thread_extras: bool,
    /// Text and html messages carry `content.attachments` (`[]` when none),
    /// 2024-03-07 on.
    attachments: bool,
    /// A message sent without `senderDisplayName` shows none (2025-03-15
    /// on), not `""`; a deleted one keeps an empty `content.message` and
    /// loses `editedOn`.
    current_messages: bool,
}

impl Shape {
    /// The shape of `api_version` (one the emulator accepts; they are ISO
    /// dates, so they compare as text).
    pub(crate) fn of(api_version: &str) -> Self {
        let since = |version: &str| api_version >= version;
        Self {
            thread_extras: since("2025-03-15"),
            attachments: since("2024-03-07"),
            current_messages: since("2025-03-15"),
        }
    }
}

/// `ChatParticipant`.
pub(crate) fn participant(record: &ParticipantRecord, shape: Shape) -> ChatParticipant {
    ChatParticipant {
        communication_identifier: user_model(&record.raw_id),
        display_name: record.display_name.clone(),
        metadata: if shape.thread_extras {
            record.metadata.clone()
        } else {
            Default::default()
        },
        share_history_time: Some(truncate_to_seconds(record.share_history_time)),
    }
}

/// A `ChatMessage` as answered: the generated type, with
/// `content.attachments` written out (`[]`) where the api-version has them
/// (the generated type leaves an empty list out).
#[derive(Debug, Serialize)]
pub(crate) struct MessageAnswer {
    #[serde(flatten)]
    message: ChatMessage,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<ContentAnswer>,
}

#[derive(Debug, Serialize)]
struct ContentAnswer {
    #[serde(flatten)]
    content: ChatMessageContent,
    /// `Some([])` writes `"attachments": []`; the emulator stores none.
    #[serde(skip_serializing_if = "Option::is_none")]
    attachments: Option<[(); 0]>,
}

/// A message as the service answers it at `shape`'s api-version.
pub(crate) fn message(record: &MessageRecord, shape: Shape) -> MessageAnswer {
    let mut message = message_model(record, shape);
    let user_message = matches!(record.body, MessageBody::User { .. });
    let content = message.content.take().map(|content| ContentAnswer {
        content,
        attachments: (shape.attachments && user_message).then_some([]),
    });
    MessageAnswer { message, content }
}

/// `ChatMessage`. A deleted message keeps everything but its content (an
/// empty text at 2025-03-15 on).
fn message_model(record: &MessageRecord, shape: Shape) -> ChatMessage {
    let deleted = record.deleted_at.is_some();
    let content = match &record.body {
        MessageBody::User { content, .. } => match content {
            Some(text) => Some(ChatMessageContent {
                message: Some(text.to_string()),
                ..ChatMessageContent::default()
            }),
            None if shape.current_messages => Some(ChatMessageContent {
                message: Some(String::new()),
                ..ChatMessageContent::default()
            }),
            None => None,
        },
        // System messages list who joined or left without their metadata.
        MessageBody::Participants(change) => Some(ChatMessageContent {
            initiator_communication_identifier: Some(user_model(&change.initiator)),
            participants: change
                .participants
                .iter()
                .map(|p| ChatParticipant {
                    metadata: Default::default(),
                    ..participant(p, shape)
                })
                .collect(),
            ..ChatMessageContent::default()
        }),
        MessageBody::Topic(change) => Some(ChatMessageContent {
            initiator_communication_identifier: Some(user_model(&change.initiator)),
            topic: Some(change.topic.clone()),
            ..ChatMessageContent::default()
        }),
    };
    let sender_display_name = match record.sender_display_name.as_deref() {
        Some("") if shape.current_messages => None,
        name => name.map(str::to_owned),
    };
    ChatMessage {
        content,
        created_on: to_seconds(record.created_at),
        deleted_on: record.deleted_at.map(|at| to_seconds(at.get())),
        edited_on: if deleted && shape.current_messages {
            None
        } else {
            record.edited_at.map(|at| to_seconds(at.get()))
        },
        id: record.id.to_string(),
        metadata: record.metadata.to_map(),
        sender_communication_identifier: record.sender.as_deref().map(user_model),
        sender_display_name,
        sequence_id: record.sequence_id.to_string(),
        type_: record.kind(),
        version: record.version.to_string(),
    }
}

/// `ChatThreadProperties`.
pub(crate) fn thread_properties(thread: &ThreadState, shape: Shape) -> ChatThreadProperties {
    let (metadata, retention_policy) = if shape.thread_extras {
        let policy = thread
            .retention_policy
            .clone()
            .unwrap_or(ChatRetentionPolicy {
                delete_thread_after_days: None,
                kind: RetentionPolicyKind::None,
            });
        (thread.metadata.clone(), Some(policy))
    } else {
        (Default::default(), None)
    };
    ChatThreadProperties {
        created_by_communication_identifier: user_model(&thread.created_by),
        created_on: to_seconds(thread.created_at),
        deleted_on: None,
        id: thread.id.clone(),
        metadata,
        retention_policy,
        topic: thread.topic.clone(),
    }
}

/// `ChatThreadItem`.
pub(crate) fn thread_item(thread: &ThreadState) -> ChatThreadItem {
    ChatThreadItem {
        deleted_on: None,
        id: thread.id.clone(),
        last_message_received_on: thread.last_message_at().map(to_seconds),
        topic: thread.topic.clone(),
    }
}

/// `ChatMessageReadReceipt`.
pub(crate) fn receipt(record: &ReceiptRecord) -> ChatMessageReadReceipt {
    ChatMessageReadReceipt {
        chat_message_id: record.message_id.to_string(),
        read_on: to_seconds(record.read_at),
        sender_communication_identifier: user_model(&record.reader),
    }
}

/// One `invalidParticipants` entry: `code` is an HTTP status as a string,
/// `target` the participant's raw id (as in the spec's examples).
pub(crate) fn invalid_participant(raw_id: &str, code: &str, message: &str) -> CommunicationError {
    CommunicationError {
        code: code.to_owned(),
        details: Vec::new(),
        innererror: None,
        message: message.to_owned(),
        target: Some(raw_id.to_owned()),
    }
}
