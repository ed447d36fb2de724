//! Conversions from the emulator's records to the generated wire types of
//! `acs-chat-rest` (so a change of the spec breaks this build).

use acs_chat_rest::types::{
    ChatMessage, ChatMessageContent, ChatMessageReadReceipt, ChatParticipant, ChatThreadItem,
    ChatThreadProperties, CommunicationError,
};

use super::identifiers::user_model;
use super::ids::{to_seconds, truncate_to_seconds};
use super::thread_state::{
    MessageBody, MessageRecord, ParticipantRecord, ReceiptRecord, ThreadState,
};

/// `ChatParticipant`.
pub(crate) fn participant(record: &ParticipantRecord) -> ChatParticipant {
    ChatParticipant {
        communication_identifier: user_model(&record.raw_id),
        display_name: record.display_name.clone(),
        metadata: record.metadata.clone(),
        share_history_time: Some(truncate_to_seconds(record.share_history_time)),
    }
}

/// `ChatMessage`. A deleted message keeps everything but its content.
pub(crate) fn message(record: &MessageRecord) -> ChatMessage {
    let content = match &record.body {
        MessageBody::User { content, .. } => content.as_ref().map(|text| ChatMessageContent {
            message: Some(text.clone()),
            ..ChatMessageContent::default()
        }),
        MessageBody::Participants {
            initiator,
            participants,
            ..
        } => Some(ChatMessageContent {
            initiator_communication_identifier: Some(user_model(initiator)),
            participants: participants.iter().map(participant).collect(),
            ..ChatMessageContent::default()
        }),
        MessageBody::Topic { initiator, topic } => Some(ChatMessageContent {
            initiator_communication_identifier: Some(user_model(initiator)),
            topic: Some(topic.clone()),
            ..ChatMessageContent::default()
        }),
    };
    ChatMessage {
        content,
        created_on: to_seconds(record.created_at),
        deleted_on: record.deleted_at.map(to_seconds),
        edited_on: record.edited_at.map(to_seconds),
        id: record.id.to_string(),
        metadata: record.metadata.clone(),
        sender_communication_identifier: record.sender.as_deref().map(user_model),
        sender_display_name: record.sender_display_name.clone(),
        sequence_id: record.sequence_id.to_string(),
        type_: record.kind(),
        version: record.version.to_string(),
    }
}

/// `ChatThreadProperties`.
pub(crate) fn thread_properties(thread: &ThreadState) -> ChatThreadProperties {
    ChatThreadProperties {
        created_by_communication_identifier: user_model(&thread.created_by),
        created_on: to_seconds(thread.created_at),
        deleted_on: None,
        id: thread.id.clone(),
        metadata: thread.metadata.clone(),
        retention_policy: thread.retention_policy.clone(),
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
