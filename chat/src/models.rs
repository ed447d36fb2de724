//! The facade's models: what users send and get back. They own their types
//! (times as `chrono`, open enums, [`CommunicationIdentifier`]s); conversions
//! from and to the raw wire types live in [`crate::wire`].
//!
//! Their serde shape is the service's JSON, and it is how the clients read
//! messages and list pages (straight into these models, with no wire value
//! between): a rename, alias or default here changes what is read from the
//! service. The tests in `crate::wire` hold both readings alike.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ChatError;
use crate::identifier::CommunicationIdentifier;

/// Defines an open string enum: known values plus `Unknown(String)` for
/// values the service adds later, with serde as the wire strings.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version does not know, kept as the service sent it.
            Unknown(String),
        }

        impl $name {
            /// The wire string.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Unknown(value) => value,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $wire => Self::$variant, )*
                    other => Self::Unknown(other.to_string()),
                }
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::from(value.as_str())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Ok(Self::from(<String as serde::Deserialize>::deserialize(deserializer)?))
            }
        }

        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "examples": [ $($wire),* ] })
            }
        }
    };
}

pub(crate) use open_enum;

/// Setter-style builder methods for a model's fields: `some` fields are
/// `Option`s set to `Some(value)`, `set` fields are replaced; `some_exact`
/// takes the type itself rather than `impl Into` (so that an integer literal
/// needs no suffix).
macro_rules! setters {
    ($ty:ty { $( $(#[$doc:meta])* $how:ident $field:ident: $t:ty; )* }) => {
        impl $ty {
            $( $crate::models::setters!(@one $(#[$doc])* $how $field: $t); )*
        }
    };
    (@one $(#[$doc:meta])* some $field:ident: $t:ty) => {
        $(#[$doc])*
        #[must_use]
        pub fn $field(mut self, value: impl Into<$t>) -> Self {
            self.$field = Some(value.into());
            self
        }
    };
    (@one $(#[$doc:meta])* some_exact $field:ident: $t:ty) => {
        $(#[$doc])*
        #[must_use]
        pub fn $field(mut self, value: $t) -> Self {
            self.$field = Some(value);
            self
        }
    };
    (@one $(#[$doc:meta])* set $field:ident: $t:ty) => {
        $(#[$doc])*
        #[must_use]
        pub fn $field(mut self, value: impl Into<$t>) -> Self {
            self.$field = value.into();
            self
        }
    };
}

pub(crate) use setters;

open_enum! {
    /// The type of a chat message.
    ///
    /// ```
    /// use acs_chat::ChatMessageType;
    /// assert_eq!(ChatMessageType::from("html"), ChatMessageType::Html);
    /// assert_eq!(ChatMessageType::TopicUpdated.to_string(), "topicUpdated");
    /// assert_eq!(ChatMessageType::from("poll"), ChatMessageType::Unknown("poll".into()));
    /// ```
    pub enum ChatMessageType {
        /// Plain text, sent by a user.
        Text = "text",
        /// HTML, sent by a user.
        Html = "html",
        /// System message: the topic changed.
        TopicUpdated = "topicUpdated",
        /// System message: participants were added.
        ParticipantAdded = "participantAdded",
        /// System message: participants were removed.
        ParticipantRemoved = "participantRemoved",
    }
}

open_enum! {
    /// The type of a message attachment.
    pub enum ChatAttachmentType {
        /// An image.
        Image = "image",
        /// A file.
        File = "file",
    }
}

/// When the service deletes a thread on its own.
///
/// Serializes as the service does: `{"kind": "threadCreationDate",
/// "deleteThreadAfterDays": 30}` or `{"kind": "none"}`.
///
/// ```
/// use acs_chat::ChatRetentionPolicy;
/// let policy = ChatRetentionPolicy::ThreadCreationDate { delete_thread_after_days: 30 };
/// let json = serde_json::to_value(&policy).unwrap();
/// assert_eq!(json, serde_json::json!({"kind": "threadCreationDate", "deleteThreadAfterDays": 30}));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChatRetentionPolicy {
    /// Delete the thread this many days after it was created.
    ThreadCreationDate {
        /// Days after creation (the service accepts 30 to 90).
        delete_thread_after_days: i32,
    },
    /// Keep the thread until it is deleted.
    None,
    /// A policy kind this version does not know, as the service sent it.
    Unknown(String),
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for ChatRetentionPolicy {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ChatRetentionPolicy".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "required": ["kind"],
            "properties": {
                "kind": { "type": "string", "examples": ["threadCreationDate", "none"] },
                "deleteThreadAfterDays": { "type": "integer", "format": "int32" }
            }
        })
    }
}

/// Metadata: string keys and values the service stores with a thread, message
/// or participant.
pub type Metadata = HashMap<String, String>;

/// A thread's properties.
///
/// Serializes with the REST API's field names (`createdOn`,
/// `createdByCommunicationIdentifier`, ...), so the service's JSON reads
/// into it too.
///
/// ```
/// use acs_chat::{ChatThreadProperties, CommunicationUserIdentifier};
/// use chrono::{TimeZone, Utc};
///
/// let created_on = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap();
/// let thread = ChatThreadProperties::new(
///     "19:a@thread.v2",
///     "Launch plan",
///     created_on,
///     CommunicationUserIdentifier::new("8:acs:r_alice"),
/// );
/// let json = serde_json::to_value(&thread).unwrap();
/// assert_eq!(json["createdByCommunicationIdentifier"]["rawId"], "8:acs:r_alice");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatThreadProperties {
    /// The thread id (`19:...@thread.v2`).
    pub id: String,
    /// The topic.
    pub topic: String,
    /// When it was created.
    #[serde(deserialize_with = "crate::date_time::required")]
    pub created_on: DateTime<Utc>,
    /// Who created it.
    #[serde(rename = "createdByCommunicationIdentifier")]
    pub created_by: CommunicationIdentifier,
    /// When it was deleted, if it was.
    #[serde(
        default,
        deserialize_with = "crate::date_time::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub deleted_on: Option<DateTime<Utc>>,
    /// The thread's metadata.
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    pub metadata: Metadata,
    /// When the service deletes the thread on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_policy: Option<ChatRetentionPolicy>,
}

impl ChatThreadProperties {
    /// A thread with no deletion time, metadata or retention policy.
    pub fn new(
        id: impl Into<String>,
        topic: impl Into<String>,
        created_on: DateTime<Utc>,
        created_by: impl Into<CommunicationIdentifier>,
    ) -> Self {
        Self {
            id: id.into(),
            topic: topic.into(),
            created_on,
            created_by: created_by.into(),
            deleted_on: None,
            metadata: Metadata::new(),
            retention_policy: None,
        }
    }
}

setters!(ChatThreadProperties {
    /// Sets when the thread was deleted.
    some deleted_on: DateTime<Utc>;
    /// Sets the thread's metadata.
    set metadata: Metadata;
    /// Sets the retention policy.
    some retention_policy: ChatRetentionPolicy;
});

/// A thread as listed by [`ChatClient::list_chat_threads`](crate::ChatClient::list_chat_threads).
///
/// ```
/// use acs_chat::ChatThreadItem;
/// let item = ChatThreadItem::new("19:a@thread.v2", "Launch plan");
/// assert_eq!(serde_json::to_value(&item).unwrap()["topic"], "Launch plan");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatThreadItem {
    /// The thread id.
    pub id: String,
    /// The topic.
    pub topic: String,
    /// When it was deleted, if it was.
    #[serde(
        default,
        deserialize_with = "crate::date_time::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub deleted_on: Option<DateTime<Utc>>,
    /// When its newest message arrived.
    #[serde(
        default,
        deserialize_with = "crate::date_time::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_message_received_on: Option<DateTime<Utc>>,
}

impl ChatThreadItem {
    /// A thread item with no deletion time and no messages.
    pub fn new(id: impl Into<String>, topic: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            topic: topic.into(),
            deleted_on: None,
            last_message_received_on: None,
        }
    }
}

setters!(ChatThreadItem {
    /// Sets when the thread was deleted.
    some deleted_on: DateTime<Utc>;
    /// Sets when the newest message arrived.
    some last_message_received_on: DateTime<Utc>;
});

/// A chat message, sent by a user or written by the service (system messages).
///
/// Serializes with the REST API's field names (`type`,
/// `senderCommunicationIdentifier`, ...). [`text`](Self::text) is the text of
/// a text or HTML message.
///
/// ```
/// use acs_chat::{ChatMessage, ChatMessageContent, ChatMessageType, CommunicationUserIdentifier};
/// use chrono::Utc;
///
/// // A message as a test double of the service would return it.
/// let message = ChatMessage::new("1", ChatMessageType::Text, "3", "1", Utc::now())
///     .content(ChatMessageContent::new().message("Hello"))
///     .sender(CommunicationUserIdentifier::new("8:acs:r_alice"))
///     .sender_display_name("Alice");
/// assert_eq!(message.text(), Some("Hello"));
/// assert_eq!(serde_json::to_value(&message).unwrap()["type"], "text");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatMessage {
    /// The message id.
    pub id: String,
    /// Text, HTML, or a system message type.
    #[serde(rename = "type")]
    pub message_type: ChatMessageType,
    /// Its position in the thread.
    pub sequence_id: String,
    /// Changes whenever the message is edited.
    pub version: String,
    /// The content (text for user messages, details for system messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<ChatMessageContent>,
    /// The sender's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_display_name: Option<String>,
    /// When it was sent.
    #[serde(deserialize_with = "crate::date_time::required")]
    pub created_on: DateTime<Utc>,
    /// Who sent it (absent for system messages).
    #[serde(
        rename = "senderCommunicationIdentifier",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sender: Option<CommunicationIdentifier>,
    /// When it was deleted, if it was.
    #[serde(
        default,
        deserialize_with = "crate::date_time::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub deleted_on: Option<DateTime<Utc>>,
    /// When it was last edited, if it was.
    #[serde(
        default,
        deserialize_with = "crate::date_time::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub edited_on: Option<DateTime<Utc>>,
    /// The message's metadata.
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    pub metadata: Metadata,
}

impl ChatMessage {
    /// A message with no content, sender, metadata, edit or deletion.
    pub fn new(
        id: impl Into<String>,
        message_type: impl Into<ChatMessageType>,
        sequence_id: impl Into<String>,
        version: impl Into<String>,
        created_on: DateTime<Utc>,
    ) -> Self {
        Self {
            id: id.into(),
            message_type: message_type.into(),
            sequence_id: sequence_id.into(),
            version: version.into(),
            content: None,
            sender_display_name: None,
            created_on,
            sender: None,
            deleted_on: None,
            edited_on: None,
            metadata: Metadata::new(),
        }
    }

    /// The text of a text or HTML message (HTML as sent, markup included);
    /// `None` for system messages (topic changes, participants added or
    /// removed), message types this version does not know, and messages
    /// without content.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let mut messages = thread.list_messages();
    /// while let Some(message) = messages.try_next().await? {
    ///     if let Some(text) = message.text() {
    ///         println!("{}: {text}", message.sender_display_name.as_deref().unwrap_or("?"));
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn text(&self) -> Option<&str> {
        match self.message_type {
            ChatMessageType::Text | ChatMessageType::Html => {
                self.content.as_ref()?.message.as_deref()
            }
            _ => None,
        }
    }
}

setters!(ChatMessage {
    /// Sets the content.
    some content: ChatMessageContent;
    /// Sets the sender's display name.
    some sender_display_name: String;
    /// Sets the sender.
    some sender: CommunicationIdentifier;
    /// Sets when the message was deleted.
    some deleted_on: DateTime<Utc>;
    /// Sets when the message was last edited.
    some edited_on: DateTime<Utc>;
    /// Sets the message's metadata.
    set metadata: Metadata;
});

/// What a message holds.
///
/// ```
/// use acs_chat::{ChatMessageContent, ChatParticipant, CommunicationUserIdentifier};
///
/// let added = ChatMessageContent::new()
///     .participants([ChatParticipant::new(CommunicationUserIdentifier::new("8:acs:r_bob"))])
///     .initiator(CommunicationUserIdentifier::new("8:acs:r_alice"));
/// assert_eq!(added.participants.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatMessageContent {
    /// The text of a text or HTML message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The new topic (`topicUpdated` messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// The participants added or removed (`participantAdded`/`participantRemoved`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<ChatParticipant>,
    /// Who added or removed participants or changed the topic.
    #[serde(
        rename = "initiatorCommunicationIdentifier",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub initiator: Option<CommunicationIdentifier>,
    /// Attachments (images and files shared from Teams).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<ChatAttachment>,
}

impl ChatMessageContent {
    /// Empty content.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the participants added or removed.
    #[must_use]
    pub fn participants(mut self, participants: impl IntoIterator<Item = ChatParticipant>) -> Self {
        self.participants = participants.into_iter().collect();
        self
    }

    /// Sets the attachments.
    #[must_use]
    pub fn attachments(mut self, attachments: impl IntoIterator<Item = ChatAttachment>) -> Self {
        self.attachments = attachments.into_iter().collect();
        self
    }
}

setters!(ChatMessageContent {
    /// Sets the text.
    some message: String;
    /// Sets the new topic.
    some topic: String;
    /// Sets who added or removed participants or changed the topic.
    some initiator: CommunicationIdentifier;
});

/// An attachment of a message.
///
/// ```
/// use acs_chat::{ChatAttachment, ChatAttachmentType};
/// let image = ChatAttachment::new("a1", ChatAttachmentType::Image).name("cat.png");
/// assert_eq!(serde_json::to_value(&image).unwrap()["attachmentType"], "image");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatAttachment {
    /// The attachment id.
    pub id: String,
    /// Image, file, or a type added later.
    pub attachment_type: ChatAttachmentType,
    /// The file name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where to download it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Where to download a preview.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_url: Option<String>,
}

impl ChatAttachment {
    /// An attachment with no name or URLs.
    pub fn new(id: impl Into<String>, attachment_type: impl Into<ChatAttachmentType>) -> Self {
        Self {
            id: id.into(),
            attachment_type: attachment_type.into(),
            name: None,
            url: None,
            preview_url: None,
        }
    }
}

setters!(ChatAttachment {
    /// Sets the file name.
    some name: String;
    /// Sets where to download it.
    some url: String;
    /// Sets where to download a preview.
    some preview_url: String;
});

/// A participant of a thread.
///
/// Serializes with the REST API's field names (`communicationIdentifier`,
/// `displayName`, `shareHistoryTime`, `metadata`).
///
/// ```
/// use acs_chat::{ChatParticipant, CommunicationIdentifier};
/// let bob = ChatParticipant::new(CommunicationIdentifier::from_raw_id("8:acs:r_bob"))
///     .display_name("Bob");
/// assert_eq!(bob.display_name.as_deref(), Some("Bob"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatParticipant {
    /// Who the participant is.
    #[serde(rename = "communicationIdentifier")]
    pub identifier: CommunicationIdentifier,
    /// The display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// From when on the participant sees the thread's history.
    #[serde(
        default,
        deserialize_with = "crate::date_time::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub share_history_time: Option<DateTime<Utc>>,
    /// The participant's metadata.
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    pub metadata: Metadata,
}

impl ChatParticipant {
    /// A participant with no display name, no history and no metadata.
    pub fn new(identifier: impl Into<CommunicationIdentifier>) -> Self {
        Self {
            identifier: identifier.into(),
            display_name: None,
            share_history_time: None,
            metadata: Metadata::new(),
        }
    }
}

setters!(ChatParticipant {
    /// Sets the display name.
    some display_name: String;
    /// Sets from when on the participant sees the history.
    some share_history_time: DateTime<Utc>;
    /// Sets the participant's metadata.
    set metadata: Metadata;
});

/// A read receipt: who read up to which message, and when.
///
/// ```
/// use acs_chat::{ChatMessageReadReceipt, CommunicationUserIdentifier};
/// use chrono::Utc;
/// let receipt = ChatMessageReadReceipt::new(CommunicationUserIdentifier::new("8:acs:r_bob"), "1", Utc::now());
/// assert_eq!(serde_json::to_value(&receipt).unwrap()["chatMessageId"], "1");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatMessageReadReceipt {
    /// Who read it.
    #[serde(rename = "senderCommunicationIdentifier")]
    pub sender: CommunicationIdentifier,
    /// The message read.
    pub chat_message_id: String,
    /// When it was read.
    #[serde(deserialize_with = "crate::date_time::required")]
    pub read_on: DateTime<Utc>,
}

impl ChatMessageReadReceipt {
    /// A receipt: `sender` read up to `chat_message_id` at `read_on`.
    pub fn new(
        sender: impl Into<CommunicationIdentifier>,
        chat_message_id: impl Into<String>,
        read_on: DateTime<Utc>,
    ) -> Self {
        Self {
            sender: sender.into(),
            chat_message_id: chat_message_id.into(),
            read_on,
        }
    }
}

/// The result of sending a message.
///
/// ```
/// let sent = acs_chat::SendChatMessageResult::new("1714557600000");
/// assert_eq!(sent.id, "1714557600000");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SendChatMessageResult {
    /// The new message's id.
    pub id: String,
}

impl SendChatMessageResult {
    /// The result for the message with this id.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }
}

/// A participant the service did not add, with its reason.
///
/// ```
/// use acs_chat::{ChatError, ChatParticipant, CommunicationUserIdentifier, FailedParticipant};
///
/// let bob = ChatParticipant::new(CommunicationUserIdentifier::new("8:acs:r_bob"));
/// let failed = FailedParticipant::new(bob, ChatError::new("Forbidden", "blocked"));
/// assert_eq!(failed.error.code, "Forbidden");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FailedParticipant {
    /// The participant, as given to the request (or, when the service's
    /// error names no participant of the request, built from the error's
    /// target).
    pub participant: ChatParticipant,
    /// Why it was not added.
    pub error: ChatError,
}

impl FailedParticipant {
    /// A participant and the service's reason for not adding it.
    pub fn new(participant: ChatParticipant, error: ChatError) -> Self {
        Self { participant, error }
    }
}

/// The result of creating a thread: the thread, and the participants that
/// could not be added, each with the service's reason.
///
/// ```no_run
/// # async fn run(client: acs_chat::ChatClient, bob: acs_chat::ChatParticipant) -> acs_chat::Result<()> {
/// let created = client.create_chat_thread("Launch plan").participants([bob]).await?;
/// for failed in &created.errors {
///     eprintln!("{} was not added: {}", failed.participant.identifier, failed.error);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CreateChatThreadResult {
    /// The new thread.
    pub chat_thread: ChatThreadProperties,
    /// The participants that were not added, with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FailedParticipant>,
}

impl CreateChatThreadResult {
    /// The result for a thread every participant was added to.
    pub fn new(chat_thread: ChatThreadProperties) -> Self {
        Self {
            chat_thread,
            errors: Vec::new(),
        }
    }

    /// Sets the participants that were not added.
    #[must_use]
    pub fn errors(mut self, errors: impl IntoIterator<Item = FailedParticipant>) -> Self {
        self.errors = errors.into_iter().collect();
        self
    }
}
