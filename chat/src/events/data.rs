//! The typed chat events: one [`ChatEvent`] variant per chat event type of
//! the Event Grid description (`openapi/events.json`), with data in the
//! facade's own types. Decoding goes through the generated wire models and
//! is converted here, once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::identifier::CommunicationIdentifier;
use crate::models::{setters, ChatMessageType, Metadata};

use super::error::EventParseError;

/// The prefix of every ACS event type.
pub const EVENT_TYPE_PREFIX: &str = "Microsoft.Communication.";

/// A participant as chat events describe it.
///
/// ```
/// use acs_chat::events::ChatEventParticipant;
/// use acs_chat::CommunicationIdentifier;
/// let p = ChatEventParticipant::new(CommunicationIdentifier::from_raw_id("8:acs:r_u"));
/// assert_eq!(p.display_name, None);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatEventParticipant {
    /// Who the participant is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<CommunicationIdentifier>,
    /// The participant's display name in the thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The participant's metadata.
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
}

impl ChatEventParticipant {
    /// A participant with no display name or metadata.
    ///
    /// ```
    /// # use acs_chat::{events::ChatEventParticipant, CommunicationIdentifier};
    /// let p = ChatEventParticipant::new(CommunicationIdentifier::from_raw_id("8:acs:r_u"));
    /// assert!(p.metadata.is_empty());
    /// ```
    pub fn new(identifier: impl Into<CommunicationIdentifier>) -> Self {
        Self {
            identifier: Some(identifier.into()),
            display_name: None,
            metadata: Metadata::new(),
        }
    }
}

setters!(ChatEventParticipant {
    /// Sets the display name.
    some display_name: String;
    /// Sets the participant's metadata.
    set metadata: Metadata;
});

/// A message was received, edited or deleted: the data of
/// `ChatMessage{Received,Edited,Deleted}` (one per recipient) and of
/// `ChatMessage{Received,Edited,Deleted}InThread` (once per thread).
///
/// ```
/// # fn show(data: &acs_chat::events::ChatMessageEventData) {
/// println!("{} in {}: {:?}", data.message_id, data.thread_id, data.message_body);
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatMessageEventData {
    /// Who this delivery is for (user-level events only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<CommunicationIdentifier>,
    /// The thread.
    pub thread_id: String,
    /// The service's transaction id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// The message's id.
    pub message_id: String,
    /// Who sent the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<CommunicationIdentifier>,
    /// The sender's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_display_name: Option<String>,
    /// When the message was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compose_time: Option<DateTime<Utc>>,
    /// The message's type (text, html, ...).
    pub message_type: ChatMessageType,
    /// The message's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// The content (absent on deletes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_body: Option<String>,
    /// The message's metadata.
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
    /// When the message was edited (edit events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit_time: Option<DateTime<Utc>>,
    /// When the message was deleted (delete events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_time: Option<DateTime<Utc>>,
}

impl ChatMessageEventData {
    /// The data of a text message event in `thread_id`, with nothing else set.
    ///
    /// ```
    /// use acs_chat::events::{ChatEvent, ChatMessageEventData};
    /// use acs_chat::CommunicationUserIdentifier;
    ///
    /// // An event to feed a handler under test.
    /// let event = ChatEvent::ChatMessageReceived(
    ///     ChatMessageEventData::new("19:a@thread.v2", "1714557600000")
    ///         .sender(CommunicationUserIdentifier::new("8:acs:r_alice"))
    ///         .message_body("Hello"),
    /// );
    /// assert_eq!(event.thread_id(), Some("19:a@thread.v2"));
    /// ```
    pub fn new(thread_id: impl Into<String>, message_id: impl Into<String>) -> Self {
        Self {
            recipient: None,
            thread_id: thread_id.into(),
            transaction_id: None,
            message_id: message_id.into(),
            sender: None,
            sender_display_name: None,
            compose_time: None,
            message_type: ChatMessageType::Text,
            version: None,
            message_body: None,
            metadata: Metadata::new(),
            edit_time: None,
            delete_time: None,
        }
    }
}

setters!(ChatMessageEventData {
    /// Sets who this delivery is for.
    some recipient: CommunicationIdentifier;
    /// Sets the service's transaction id.
    some transaction_id: String;
    /// Sets who sent the message.
    some sender: CommunicationIdentifier;
    /// Sets the sender's display name.
    some sender_display_name: String;
    /// Sets when the message was sent.
    some compose_time: DateTime<Utc>;
    /// Sets the message's type (text by default).
    set message_type: ChatMessageType;
    /// Sets the message's version.
    some_exact version: i64;
    /// Sets the content.
    some message_body: String;
    /// Sets the message's metadata.
    set metadata: Metadata;
    /// Sets when the message was edited.
    some edit_time: DateTime<Utc>;
    /// Sets when the message was deleted.
    some delete_time: DateTime<Utc>;
});

/// A thread was created: the data of `ChatThreadCreatedWithUser` (one per
/// participant) and `ChatThreadCreated` (once).
///
/// ```
/// # fn show(data: &acs_chat::events::ChatThreadCreatedEventData) {
/// println!("{} created with {} participants", data.thread_id, data.participants.len());
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatThreadCreatedEventData {
    /// Who this delivery is for (user-level events only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<CommunicationIdentifier>,
    /// The thread.
    pub thread_id: String,
    /// The service's transaction id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// When the thread was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<DateTime<Utc>>,
    /// The thread's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Who created the thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<CommunicationIdentifier>,
    /// The thread's properties (e.g. `topic`), as the service sent them.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub properties: serde_json::Map<String, Value>,
    /// The thread's metadata.
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
    /// The participants the thread was created with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<ChatEventParticipant>,
}

impl ChatThreadCreatedEventData {
    /// The data of a thread-created event for `thread_id`, with nothing else set.
    ///
    /// ```
    /// use acs_chat::events::{ChatEventParticipant, ChatThreadCreatedEventData};
    /// use acs_chat::CommunicationUserIdentifier;
    ///
    /// let data = ChatThreadCreatedEventData::new("19:a@thread.v2")
    ///     .participants([ChatEventParticipant::new(CommunicationUserIdentifier::new("8:acs:r_bob"))]);
    /// assert_eq!(data.participants.len(), 1);
    /// ```
    pub fn new(thread_id: impl Into<String>) -> Self {
        Self {
            recipient: None,
            thread_id: thread_id.into(),
            transaction_id: None,
            create_time: None,
            version: None,
            created_by: None,
            properties: serde_json::Map::new(),
            metadata: Metadata::new(),
            participants: Vec::new(),
        }
    }

    /// Sets the participants the thread was created with.
    #[must_use]
    pub fn participants(
        mut self,
        participants: impl IntoIterator<Item = ChatEventParticipant>,
    ) -> Self {
        self.participants = participants.into_iter().collect();
        self
    }
}

setters!(ChatThreadCreatedEventData {
    /// Sets who this delivery is for.
    some recipient: CommunicationIdentifier;
    /// Sets the service's transaction id.
    some transaction_id: String;
    /// Sets when the thread was created.
    some create_time: DateTime<Utc>;
    /// Sets the thread's version.
    some_exact version: i64;
    /// Sets who created the thread.
    some created_by: CommunicationIdentifier;
    /// Sets the thread's properties (e.g. `topic`).
    set properties: serde_json::Map<String, Value>;
    /// Sets the thread's metadata.
    set metadata: Metadata;
});

/// A thread was deleted: the data of `ChatThreadWithUserDeleted` (one per
/// participant) and `ChatThreadDeleted` (once).
///
/// ```
/// # fn show(data: &acs_chat::events::ChatThreadDeletedEventData) {
/// println!("{} deleted at {:?}", data.thread_id, data.delete_time);
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatThreadDeletedEventData {
    /// Who this delivery is for (user-level events only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<CommunicationIdentifier>,
    /// The thread.
    pub thread_id: String,
    /// The service's transaction id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// When the thread was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<DateTime<Utc>>,
    /// The thread's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Who deleted the thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_by: Option<CommunicationIdentifier>,
    /// When the thread was deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_time: Option<DateTime<Utc>>,
}

impl ChatThreadDeletedEventData {
    /// The data of a thread-deleted event for `thread_id`, with nothing else set.
    ///
    /// ```
    /// use acs_chat::events::ChatThreadDeletedEventData;
    /// let data = ChatThreadDeletedEventData::new("19:a@thread.v2").version(7);
    /// assert_eq!(data.version, Some(7));
    /// ```
    pub fn new(thread_id: impl Into<String>) -> Self {
        Self {
            recipient: None,
            thread_id: thread_id.into(),
            transaction_id: None,
            create_time: None,
            version: None,
            deleted_by: None,
            delete_time: None,
        }
    }
}

setters!(ChatThreadDeletedEventData {
    /// Sets who this delivery is for.
    some recipient: CommunicationIdentifier;
    /// Sets the service's transaction id.
    some transaction_id: String;
    /// Sets when the thread was created.
    some create_time: DateTime<Utc>;
    /// Sets the thread's version.
    some_exact version: i64;
    /// Sets who deleted the thread.
    some deleted_by: CommunicationIdentifier;
    /// Sets when the thread was deleted.
    some delete_time: DateTime<Utc>;
});

/// A thread's properties changed: the data of
/// `ChatThreadPropertiesUpdatedPerUser` (one per participant) and
/// `ChatThreadPropertiesUpdated` (once).
///
/// ```
/// # fn show(data: &acs_chat::events::ChatThreadPropertiesUpdatedEventData) {
/// println!("new topic: {:?}", data.properties.get("topic"));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatThreadPropertiesUpdatedEventData {
    /// Who this delivery is for (user-level events only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<CommunicationIdentifier>,
    /// The thread.
    pub thread_id: String,
    /// The service's transaction id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// When the thread was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<DateTime<Utc>>,
    /// The thread's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Who changed the properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_by: Option<CommunicationIdentifier>,
    /// When they were changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit_time: Option<DateTime<Utc>>,
    /// The thread's properties (e.g. `topic`), as the service sent them.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub properties: serde_json::Map<String, Value>,
    /// The thread's metadata.
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
}

impl ChatThreadPropertiesUpdatedEventData {
    /// The data of a properties-updated event for `thread_id`, with nothing
    /// else set.
    ///
    /// ```
    /// use acs_chat::events::ChatThreadPropertiesUpdatedEventData;
    /// let mut properties = serde_json::Map::new();
    /// properties.insert("topic".into(), "Launch (v2)".into());
    /// let data = ChatThreadPropertiesUpdatedEventData::new("19:a@thread.v2").properties(properties);
    /// assert_eq!(data.properties["topic"], "Launch (v2)");
    /// ```
    pub fn new(thread_id: impl Into<String>) -> Self {
        Self {
            recipient: None,
            thread_id: thread_id.into(),
            transaction_id: None,
            create_time: None,
            version: None,
            edited_by: None,
            edit_time: None,
            properties: serde_json::Map::new(),
            metadata: Metadata::new(),
        }
    }
}

setters!(ChatThreadPropertiesUpdatedEventData {
    /// Sets who this delivery is for.
    some recipient: CommunicationIdentifier;
    /// Sets the service's transaction id.
    some transaction_id: String;
    /// Sets when the thread was created.
    some create_time: DateTime<Utc>;
    /// Sets the thread's version.
    some_exact version: i64;
    /// Sets who changed the properties.
    some edited_by: CommunicationIdentifier;
    /// Sets when they were changed.
    some edit_time: DateTime<Utc>;
    /// Sets the thread's properties (e.g. `topic`).
    set properties: serde_json::Map<String, Value>;
    /// Sets the thread's metadata.
    set metadata: Metadata;
});

/// A participant was added to or removed from a thread: the data of
/// `ChatParticipantAddedToThreadWithUser` / `ChatParticipantRemovedFromThreadWithUser`
/// (one per participant) and `ChatThreadParticipantAdded` /
/// `ChatThreadParticipantRemoved` (once).
///
/// ```
/// # fn show(data: &acs_chat::events::ChatParticipantEventData) {
/// println!("{:?} by {:?}", data.participant, data.changed_by);
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatParticipantEventData {
    /// Who this delivery is for (user-level events only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<CommunicationIdentifier>,
    /// The thread.
    pub thread_id: String,
    /// The service's transaction id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// When the thread was created (user-level events only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<DateTime<Utc>>,
    /// The thread's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// When the participant was added or removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<DateTime<Utc>>,
    /// Who added or removed the participant
    /// (`addedByCommunicationIdentifier` / `removedByCommunicationIdentifier`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<CommunicationIdentifier>,
    /// The participant added or removed (`participantAdded` / `participantRemoved`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant: Option<ChatEventParticipant>,
}

impl ChatParticipantEventData {
    /// The data of a participant added/removed event for `thread_id`, with
    /// nothing else set.
    ///
    /// ```
    /// use acs_chat::events::{ChatEventParticipant, ChatParticipantEventData};
    /// use acs_chat::CommunicationUserIdentifier;
    ///
    /// let data = ChatParticipantEventData::new("19:a@thread.v2")
    ///     .participant(ChatEventParticipant::new(CommunicationUserIdentifier::new("8:acs:r_bob")))
    ///     .changed_by(CommunicationUserIdentifier::new("8:acs:r_alice"));
    /// assert!(data.participant.is_some());
    /// ```
    pub fn new(thread_id: impl Into<String>) -> Self {
        Self {
            recipient: None,
            thread_id: thread_id.into(),
            transaction_id: None,
            create_time: None,
            version: None,
            time: None,
            changed_by: None,
            participant: None,
        }
    }
}

setters!(ChatParticipantEventData {
    /// Sets who this delivery is for.
    some recipient: CommunicationIdentifier;
    /// Sets the service's transaction id.
    some transaction_id: String;
    /// Sets when the thread was created.
    some create_time: DateTime<Utc>;
    /// Sets the thread's version.
    some_exact version: i64;
    /// Sets when the participant was added or removed.
    some time: DateTime<Utc>;
    /// Sets who added or removed the participant.
    some changed_by: CommunicationIdentifier;
    /// Sets the participant added or removed.
    some participant: ChatEventParticipant;
});

/// A chat event, typed by its event type.
///
/// User-level events (`ChatMessageReceived`, ...) are delivered once per
/// recipient and carry `recipient`; thread-level events (`...InThread`,
/// `ChatThread*`) once per action.
///
/// ```
/// use acs_chat::events::ChatEvent;
/// fn thread_of(event: &ChatEvent) -> Option<&str> {
///     event.thread_id()
/// }
/// ```
///
/// Events serialize (to store or forward them) in this crate's own shape:
/// `{"type": "<variant>", "data": {...}}` with the data's fields in
/// camelCase, and read back losslessly. That is not Event Grid's delivery
/// format: read deliveries with [`parse_events`](crate::events::parse_events).
///
/// ```
/// use acs_chat::events::{ChatEvent, ChatThreadDeletedEventData};
///
/// let event = ChatEvent::ChatThreadDeleted(ChatThreadDeletedEventData::new("19:a@thread.v2"));
/// let json = serde_json::to_value(&event).unwrap();
/// assert_eq!(json["type"], "ChatThreadDeleted");
/// assert_eq!(json["data"]["threadId"], "19:a@thread.v2");
/// assert_eq!(serde_json::from_value::<ChatEvent>(json).unwrap(), event);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
#[non_exhaustive]
pub enum ChatEvent {
    /// A message arrived for the recipient (not sent to its sender).
    ChatMessageReceived(ChatMessageEventData),
    /// A message the recipient can see was edited.
    ChatMessageEdited(ChatMessageEventData),
    /// A message the recipient can see was deleted.
    ChatMessageDeleted(ChatMessageEventData),
    /// The recipient is in a thread that was created.
    ChatThreadCreatedWithUser(ChatThreadCreatedEventData),
    /// A thread the recipient was in was deleted.
    ChatThreadWithUserDeleted(ChatThreadDeletedEventData),
    /// The properties of a thread the recipient is in changed.
    ChatThreadPropertiesUpdatedPerUser(ChatThreadPropertiesUpdatedEventData),
    /// A participant was added to a thread the recipient is in.
    ChatParticipantAddedToThreadWithUser(ChatParticipantEventData),
    /// A participant was removed from a thread the recipient is in.
    ChatParticipantRemovedFromThreadWithUser(ChatParticipantEventData),
    /// A thread was created.
    ChatThreadCreated(ChatThreadCreatedEventData),
    /// A thread was deleted.
    ChatThreadDeleted(ChatThreadDeletedEventData),
    /// A thread's properties changed.
    ChatThreadPropertiesUpdated(ChatThreadPropertiesUpdatedEventData),
    /// A participant was added to a thread.
    ChatThreadParticipantAdded(ChatParticipantEventData),
    /// A participant was removed from a thread.
    ChatThreadParticipantRemoved(ChatParticipantEventData),
    /// A message was sent in a thread.
    ChatMessageReceivedInThread(ChatMessageEventData),
    /// A message was edited in a thread.
    ChatMessageEditedInThread(ChatMessageEventData),
    /// A message was deleted in a thread.
    ChatMessageDeletedInThread(ChatMessageEventData),
    /// A message addressed to an Azure bot was received in a thread.
    ChatAzureBotCommandReceivedInThread(ChatMessageEventData),
    /// A typing indicator was received in a thread.
    ChatTypingIndicatorReceivedInThread(ChatMessageEventData),
    /// An event type this version does not know (or not a chat event), with
    /// its data as sent.
    Unknown {
        /// The full event type.
        #[serde(rename = "eventType")]
        event_type: String,
        /// The event's data.
        data: Value,
    },
}

impl ChatEvent {
    /// The full event type of this event, e.g.
    /// `Microsoft.Communication.ChatMessageReceived`.
    pub(crate) fn event_type(&self) -> String {
        let name = match self {
            Self::ChatMessageReceived(_) => "ChatMessageReceived",
            Self::ChatMessageEdited(_) => "ChatMessageEdited",
            Self::ChatMessageDeleted(_) => "ChatMessageDeleted",
            Self::ChatThreadCreatedWithUser(_) => "ChatThreadCreatedWithUser",
            Self::ChatThreadWithUserDeleted(_) => "ChatThreadWithUserDeleted",
            Self::ChatThreadPropertiesUpdatedPerUser(_) => "ChatThreadPropertiesUpdatedPerUser",
            Self::ChatParticipantAddedToThreadWithUser(_) => "ChatParticipantAddedToThreadWithUser",
            Self::ChatParticipantRemovedFromThreadWithUser(_) => {
                "ChatParticipantRemovedFromThreadWithUser"
            }
            Self::ChatThreadCreated(_) => "ChatThreadCreated",
            Self::ChatThreadDeleted(_) => "ChatThreadDeleted",
            Self::ChatThreadPropertiesUpdated(_) => "ChatThreadPropertiesUpdated",
            Self::ChatThreadParticipantAdded(_) => "ChatThreadParticipantAdded",
            Self::ChatThreadParticipantRemoved(_) => "ChatThreadParticipantRemoved",
            Self::ChatMessageReceivedInThread(_) => "ChatMessageReceivedInThread",
            Self::ChatMessageEditedInThread(_) => "ChatMessageEditedInThread",
            Self::ChatMessageDeletedInThread(_) => "ChatMessageDeletedInThread",
            Self::ChatAzureBotCommandReceivedInThread(_) => "ChatAzureBotCommandReceivedInThread",
            Self::ChatTypingIndicatorReceivedInThread(_) => "ChatTypingIndicatorReceivedInThread",
            Self::Unknown { event_type, .. } => return event_type.clone(),
        };
        format!("{EVENT_TYPE_PREFIX}{name}")
    }

    /// The thread the event is about (`None` for unknown events).
    ///
    /// ```
    /// let event = acs_chat::events::ChatEvent::Unknown { event_type: "X".into(), data: serde_json::Value::Null };
    /// assert_eq!(event.thread_id(), None);
    /// ```
    pub fn thread_id(&self) -> Option<&str> {
        match self {
            Self::ChatMessageReceived(d)
            | Self::ChatMessageEdited(d)
            | Self::ChatMessageDeleted(d)
            | Self::ChatMessageReceivedInThread(d)
            | Self::ChatMessageEditedInThread(d)
            | Self::ChatMessageDeletedInThread(d)
            | Self::ChatAzureBotCommandReceivedInThread(d)
            | Self::ChatTypingIndicatorReceivedInThread(d) => Some(&d.thread_id),
            Self::ChatThreadCreatedWithUser(d) | Self::ChatThreadCreated(d) => Some(&d.thread_id),
            Self::ChatThreadWithUserDeleted(d) | Self::ChatThreadDeleted(d) => Some(&d.thread_id),
            Self::ChatThreadPropertiesUpdatedPerUser(d) | Self::ChatThreadPropertiesUpdated(d) => {
                Some(&d.thread_id)
            }
            Self::ChatParticipantAddedToThreadWithUser(d)
            | Self::ChatParticipantRemovedFromThreadWithUser(d)
            | Self::ChatThreadParticipantAdded(d)
            | Self::ChatThreadParticipantRemoved(d) => Some(&d.thread_id),
            Self::Unknown { .. } => None,
        }
    }
}

mod decode {
    //! From the generated wire models to the facade's types. The wire
    //! models differ in which fields are required (so `T` or `Option<T>`);
    //! [`Opt`] reads both the same way.

    use std::collections::HashMap;

    use acs_chat_rest::types as wire;
    use chrono::{DateTime, Utc};
    use serde::de::DeserializeOwned;
    use serde_json::Value;

    use super::{
        ChatEventParticipant, ChatMessageEventData, ChatParticipantEventData,
        ChatThreadCreatedEventData, ChatThreadDeletedEventData,
        ChatThreadPropertiesUpdatedEventData,
    };
    use crate::identifier::CommunicationIdentifier;
    use crate::models::ChatMessageType;
    use crate::wire::identifier_from_wire;

    /// A wire field, required (`T`) or not (`Option<T>`), as an `Option`.
    pub(super) trait Opt<T> {
        fn opt(self) -> Option<T>;
    }

    impl<T> Opt<T> for Option<T> {
        fn opt(self) -> Option<T> {
            self
        }
    }

    macro_rules! required_is_some {
        ($($t:ty),*) => { $( impl Opt<$t> for $t { fn opt(self) -> Option<$t> { Some(self) } } )* };
    }
    required_is_some!(
        String,
        DateTime<Utc>,
        wire::CommunicationIdentifierModel,
        wire::AcsChatThreadParticipantProperties,
        HashMap<String, String>,
        serde_json::Map<String, Value>,
        Vec<wire::AcsChatThreadParticipantProperties>
    );

    /// Every field any chat event's data may hold, each optional.
    #[derive(Default)]
    pub(super) struct Parts {
        pub(super) recipient_communication_identifier: Option<wire::CommunicationIdentifierModel>,
        pub(super) transaction_id: Option<String>,
        pub(super) thread_id: Option<String>,
        pub(super) message_id: Option<String>,
        pub(super) sender_communication_identifier: Option<wire::CommunicationIdentifierModel>,
        pub(super) sender_display_name: Option<String>,
        pub(super) compose_time: Option<DateTime<Utc>>,
        pub(super) type_: Option<String>,
        pub(super) version: Option<wire::AcsChatEventVersion>,
        pub(super) message_body: Option<String>,
        pub(super) metadata: Option<HashMap<String, String>>,
        pub(super) edit_time: Option<DateTime<Utc>>,
        pub(super) delete_time: Option<DateTime<Utc>>,
        pub(super) create_time: Option<DateTime<Utc>>,
        pub(super) time: Option<DateTime<Utc>>,
        pub(super) created_by_communication_identifier: Option<wire::CommunicationIdentifierModel>,
        pub(super) deleted_by_communication_identifier: Option<wire::CommunicationIdentifierModel>,
        pub(super) edited_by_communication_identifier: Option<wire::CommunicationIdentifierModel>,
        pub(super) added_by_communication_identifier: Option<wire::CommunicationIdentifierModel>,
        pub(super) removed_by_communication_identifier: Option<wire::CommunicationIdentifierModel>,
        pub(super) properties: Option<serde_json::Map<String, Value>>,
        pub(super) participants: Option<Vec<wire::AcsChatThreadParticipantProperties>>,
        pub(super) participant_added: Option<wire::AcsChatThreadParticipantProperties>,
        pub(super) participant_removed: Option<wire::AcsChatThreadParticipantProperties>,
    }

    /// `From<wire type> for Parts`, copying the listed fields.
    macro_rules! parts_from {
        ($($wire:ident { $($field:ident),* $(,)? })*) => {$(
            impl From<wire::$wire> for Parts {
                fn from(data: wire::$wire) -> Self {
                    Self { $( $field: data.$field.opt(), )* ..Self::default() }
                }
            }
        )*};
    }

    parts_from! {
        AcsChatMessageReceivedEventData { recipient_communication_identifier, transaction_id, thread_id, message_id, sender_communication_identifier, sender_display_name, compose_time, type_, version, message_body, metadata }
        AcsChatMessageEditedEventData { recipient_communication_identifier, transaction_id, thread_id, message_id, sender_communication_identifier, sender_display_name, compose_time, type_, version, message_body, metadata, edit_time }
        AcsChatMessageDeletedEventData { recipient_communication_identifier, transaction_id, thread_id, message_id, sender_communication_identifier, sender_display_name, compose_time, type_, version, delete_time }
        AcsChatMessageReceivedInThreadEventData { transaction_id, thread_id, message_id, sender_communication_identifier, sender_display_name, compose_time, type_, version, message_body, metadata }
        AcsChatMessageEditedInThreadEventData { transaction_id, thread_id, message_id, sender_communication_identifier, sender_display_name, compose_time, type_, version, message_body, metadata, edit_time }
        AcsChatMessageDeletedInThreadEventData { transaction_id, thread_id, message_id, sender_communication_identifier, sender_display_name, compose_time, type_, version, delete_time }
        AcsChatAzureBotCommandReceivedInThreadEventData { transaction_id, thread_id, message_id, sender_communication_identifier, sender_display_name, compose_time, type_, version, message_body, metadata }
        AcsChatTypingIndicatorReceivedInThreadEventData { transaction_id, thread_id, message_id, sender_communication_identifier, sender_display_name, compose_time, type_, version, message_body, metadata }
        AcsChatThreadCreatedWithUserEventData { recipient_communication_identifier, transaction_id, thread_id, create_time, version, created_by_communication_identifier, properties, metadata, participants }
        AcsChatThreadCreatedEventData { transaction_id, thread_id, create_time, version, created_by_communication_identifier, properties, metadata, participants }
        AcsChatThreadWithUserDeletedEventData { recipient_communication_identifier, transaction_id, thread_id, create_time, version, deleted_by_communication_identifier, delete_time }
        AcsChatThreadDeletedEventData { transaction_id, thread_id, create_time, version, deleted_by_communication_identifier, delete_time }
        AcsChatThreadPropertiesUpdatedPerUserEventData { recipient_communication_identifier, transaction_id, thread_id, create_time, version, edited_by_communication_identifier, edit_time, metadata, properties }
        AcsChatThreadPropertiesUpdatedEventData { transaction_id, thread_id, create_time, version, edited_by_communication_identifier, edit_time, properties, metadata }
        AcsChatParticipantAddedToThreadWithUserEventData { recipient_communication_identifier, transaction_id, thread_id, create_time, version, time, added_by_communication_identifier, participant_added }
        AcsChatParticipantRemovedFromThreadWithUserEventData { recipient_communication_identifier, transaction_id, thread_id, create_time, version, time, removed_by_communication_identifier, participant_removed }
        AcsChatParticipantAddedToThreadEventData { transaction_id, thread_id, time, added_by_communication_identifier, participant_added, version }
        AcsChatParticipantRemovedFromThreadEventData { transaction_id, thread_id, time, removed_by_communication_identifier, participant_removed, version }
    }

    /// Decodes `data` as the wire model `W`, then into its parts.
    pub(super) fn parts<W: DeserializeOwned + Into<Parts>>(data: Value) -> Result<Parts, String> {
        let wire: W = serde_json::from_value(data).map_err(|e| e.to_string())?;
        Ok(wire.into())
    }

    fn identifier(
        model: Option<wire::CommunicationIdentifierModel>,
    ) -> Option<CommunicationIdentifier> {
        model.map(identifier_from_wire)
    }

    /// The event `type` names message types in PascalCase (`Text`,
    /// `TopicUpdated`); the REST API in camelCase (`text`, `topicUpdated`).
    fn message_type(value: Option<String>) -> ChatMessageType {
        let value = value.unwrap_or_default();
        let mut chars = value.chars();
        let camel: String = match chars.next() {
            Some(first) => first.to_lowercase().chain(chars).collect(),
            None => String::new(),
        };
        match ChatMessageType::from(camel.as_str()) {
            ChatMessageType::Unknown(_) => ChatMessageType::Unknown(value),
            known => known,
        }
    }

    fn version(value: Option<wire::AcsChatEventVersion>) -> Result<Option<i64>, String> {
        let Some(value) = value else {
            return Ok(None);
        };
        super::version_number(value).map(Some)
    }

    fn participant(wire: wire::AcsChatThreadParticipantProperties) -> ChatEventParticipant {
        ChatEventParticipant {
            identifier: identifier(wire.participant_communication_identifier.opt()),
            display_name: wire.display_name,
            metadata: wire.metadata.opt().unwrap_or_default(),
        }
    }

    impl Parts {
        fn thread_id(&mut self) -> Result<String, String> {
            self.thread_id
                .take()
                .ok_or_else(|| "threadId is missing".to_string())
        }

        pub(super) fn message(mut self) -> Result<ChatMessageEventData, String> {
            Ok(ChatMessageEventData {
                thread_id: self.thread_id()?,
                recipient: identifier(self.recipient_communication_identifier),
                transaction_id: self.transaction_id,
                message_id: self.message_id.unwrap_or_default(),
                sender: identifier(self.sender_communication_identifier),
                sender_display_name: self.sender_display_name,
                compose_time: self.compose_time,
                message_type: message_type(self.type_),
                version: version(self.version)?,
                message_body: self.message_body,
                metadata: self.metadata.unwrap_or_default(),
                edit_time: self.edit_time,
                delete_time: self.delete_time,
            })
        }

        pub(super) fn thread_created(mut self) -> Result<ChatThreadCreatedEventData, String> {
            Ok(ChatThreadCreatedEventData {
                thread_id: self.thread_id()?,
                recipient: identifier(self.recipient_communication_identifier),
                transaction_id: self.transaction_id,
                create_time: self.create_time,
                version: version(self.version)?,
                created_by: identifier(self.created_by_communication_identifier),
                properties: self.properties.unwrap_or_default(),
                metadata: self.metadata.unwrap_or_default(),
                participants: self
                    .participants
                    .unwrap_or_default()
                    .into_iter()
                    .map(participant)
                    .collect(),
            })
        }

        pub(super) fn thread_deleted(mut self) -> Result<ChatThreadDeletedEventData, String> {
            Ok(ChatThreadDeletedEventData {
                thread_id: self.thread_id()?,
                recipient: identifier(self.recipient_communication_identifier),
                transaction_id: self.transaction_id,
                create_time: self.create_time,
                version: version(self.version)?,
                deleted_by: identifier(self.deleted_by_communication_identifier),
                delete_time: self.delete_time,
            })
        }

        pub(super) fn thread_properties_updated(
            mut self,
        ) -> Result<ChatThreadPropertiesUpdatedEventData, String> {
            Ok(ChatThreadPropertiesUpdatedEventData {
                thread_id: self.thread_id()?,
                recipient: identifier(self.recipient_communication_identifier),
                transaction_id: self.transaction_id,
                create_time: self.create_time,
                version: version(self.version)?,
                edited_by: identifier(self.edited_by_communication_identifier),
                edit_time: self.edit_time,
                properties: self.properties.unwrap_or_default(),
                metadata: self.metadata.unwrap_or_default(),
            })
        }

        pub(super) fn participant_changed(mut self) -> Result<ChatParticipantEventData, String> {
            Ok(ChatParticipantEventData {
                thread_id: self.thread_id()?,
                recipient: identifier(self.recipient_communication_identifier),
                transaction_id: self.transaction_id,
                create_time: self.create_time,
                version: version(self.version)?,
                time: self.time,
                changed_by: identifier(
                    self.added_by_communication_identifier
                        .or(self.removed_by_communication_identifier),
                ),
                participant: self
                    .participant_added
                    .or(self.participant_removed)
                    .map(participant),
            })
        }
    }
}

/// Decodes the data of an event of type `event_type`.
pub(crate) fn decode_event(
    event_id: &str,
    event_type: &str,
    data: Value,
) -> Result<ChatEvent, EventParseError> {
    use acs_chat_rest::types as wire;
    use decode::parts;

    let Some(name) = event_type.strip_prefix(EVENT_TYPE_PREFIX) else {
        return Ok(unknown(event_type, data));
    };
    let decoded = match name {
        "ChatMessageReceived" => parts::<wire::AcsChatMessageReceivedEventData>(data)
            .and_then(|p| p.message())
            .map(ChatEvent::ChatMessageReceived),
        "ChatMessageEdited" => parts::<wire::AcsChatMessageEditedEventData>(data)
            .and_then(|p| p.message())
            .map(ChatEvent::ChatMessageEdited),
        "ChatMessageDeleted" => parts::<wire::AcsChatMessageDeletedEventData>(data)
            .and_then(|p| p.message())
            .map(ChatEvent::ChatMessageDeleted),
        "ChatMessageReceivedInThread" => {
            parts::<wire::AcsChatMessageReceivedInThreadEventData>(data)
                .and_then(|p| p.message())
                .map(ChatEvent::ChatMessageReceivedInThread)
        }
        "ChatMessageEditedInThread" => parts::<wire::AcsChatMessageEditedInThreadEventData>(data)
            .and_then(|p| p.message())
            .map(ChatEvent::ChatMessageEditedInThread),
        "ChatMessageDeletedInThread" => parts::<wire::AcsChatMessageDeletedInThreadEventData>(data)
            .and_then(|p| p.message())
            .map(ChatEvent::ChatMessageDeletedInThread),
        "ChatAzureBotCommandReceivedInThread" => {
            parts::<wire::AcsChatAzureBotCommandReceivedInThreadEventData>(data)
                .and_then(|p| p.message())
                .map(ChatEvent::ChatAzureBotCommandReceivedInThread)
        }
        "ChatTypingIndicatorReceivedInThread" => {
            parts::<wire::AcsChatTypingIndicatorReceivedInThreadEventData>(data)
                .and_then(|p| p.message())
                .map(ChatEvent::ChatTypingIndicatorReceivedInThread)
        }
        "ChatThreadCreatedWithUser" => parts::<wire::AcsChatThreadCreatedWithUserEventData>(data)
            .and_then(|p| p.thread_created())
            .map(ChatEvent::ChatThreadCreatedWithUser),
        "ChatThreadCreated" => parts::<wire::AcsChatThreadCreatedEventData>(data)
            .and_then(|p| p.thread_created())
            .map(ChatEvent::ChatThreadCreated),
        "ChatThreadWithUserDeleted" => parts::<wire::AcsChatThreadWithUserDeletedEventData>(data)
            .and_then(|p| p.thread_deleted())
            .map(ChatEvent::ChatThreadWithUserDeleted),
        "ChatThreadDeleted" => parts::<wire::AcsChatThreadDeletedEventData>(data)
            .and_then(|p| p.thread_deleted())
            .map(ChatEvent::ChatThreadDeleted),
        "ChatThreadPropertiesUpdatedPerUser" => {
            parts::<wire::AcsChatThreadPropertiesUpdatedPerUserEventData>(data)
                .and_then(|p| p.thread_properties_updated())
                .map(ChatEvent::ChatThreadPropertiesUpdatedPerUser)
        }
        "ChatThreadPropertiesUpdated" => {
            parts::<wire::AcsChatThreadPropertiesUpdatedEventData>(data)
                .and_then(|p| p.thread_properties_updated())
                .map(ChatEvent::ChatThreadPropertiesUpdated)
        }
        "ChatParticipantAddedToThreadWithUser" => {
            parts::<wire::AcsChatParticipantAddedToThreadWithUserEventData>(data)
                .and_then(|p| p.participant_changed())
                .map(ChatEvent::ChatParticipantAddedToThreadWithUser)
        }
        "ChatParticipantRemovedFromThreadWithUser" => {
            parts::<wire::AcsChatParticipantRemovedFromThreadWithUserEventData>(data)
                .and_then(|p| p.participant_changed())
                .map(ChatEvent::ChatParticipantRemovedFromThreadWithUser)
        }
        "ChatThreadParticipantAdded" => {
            parts::<wire::AcsChatParticipantAddedToThreadEventData>(data)
                .and_then(|p| p.participant_changed())
                .map(ChatEvent::ChatThreadParticipantAdded)
        }
        "ChatThreadParticipantRemoved" => {
            parts::<wire::AcsChatParticipantRemovedFromThreadEventData>(data)
                .and_then(|p| p.participant_changed())
                .map(ChatEvent::ChatThreadParticipantRemoved)
        }
        _ => return Ok(unknown(event_type, data)),
    };
    decoded.map_err(|reason| EventParseError::InvalidData {
        event_id: event_id.chars().take(128).collect(),
        event_type: event_type.to_owned(),
        reason,
    })
}

fn unknown(event_type: &str, data: Value) -> ChatEvent {
    ChatEvent::Unknown {
        event_type: event_type.to_owned(),
        data,
    }
}

/// A `version` sent as a number or as a decimal string.
fn version_number(value: acs_chat_rest::types::AcsChatEventVersion) -> Result<i64, String> {
    use acs_chat_rest::types::AcsChatEventVersion as Version;
    match value {
        Version::Int64(number) => Ok(number),
        Version::String(text) => text.trim().parse().map_err(|_| {
            format!(
                "version {:?} is neither a number nor a decimal string",
                text.chars().take(32).collect::<String>()
            )
        }),
    }
}
