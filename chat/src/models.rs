//! The facade's models: what users send and get back. They own their types
//! (times as `chrono`, open enums, [`CommunicationIdentifier`]s); conversions
//! from and to the raw wire types live in [`crate::wire`].

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};

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
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChatRetentionPolicy {
    /// Delete the thread this many days after it was created.
    ThreadCreationDate {
        /// Days after creation (the service accepts 1 to 90).
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
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ChatThreadProperties {
    /// The thread id (`19:...@thread.v2`).
    pub id: String,
    /// The topic.
    pub topic: String,
    /// When it was created.
    pub created_on: DateTime<Utc>,
    /// Who created it.
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub created_by: CommunicationIdentifier,
    /// When it was deleted, if it was.
    pub deleted_on: Option<DateTime<Utc>>,
    /// The thread's metadata.
    pub metadata: Metadata,
    /// When the service deletes the thread on its own.
    pub retention_policy: Option<ChatRetentionPolicy>,
}

/// A thread as listed by [`ChatClient::list_chat_threads`](crate::ChatClient::list_chat_threads).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ChatThreadItem {
    /// The thread id.
    pub id: String,
    /// The topic.
    pub topic: String,
    /// When it was deleted, if it was.
    pub deleted_on: Option<DateTime<Utc>>,
    /// When its newest message arrived.
    pub last_message_received_on: Option<DateTime<Utc>>,
}

/// A chat message, sent by a user or written by the service (system messages).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ChatMessage {
    /// The message id.
    pub id: String,
    /// Text, HTML, or a system message type.
    pub message_type: ChatMessageType,
    /// Its position in the thread.
    pub sequence_id: String,
    /// Changes whenever the message is edited.
    pub version: String,
    /// The content (text for user messages, details for system messages).
    pub content: Option<ChatMessageContent>,
    /// The sender's display name.
    pub sender_display_name: Option<String>,
    /// When it was sent.
    pub created_on: DateTime<Utc>,
    /// Who sent it (absent for system messages).
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub sender: Option<CommunicationIdentifier>,
    /// When it was deleted, if it was.
    pub deleted_on: Option<DateTime<Utc>>,
    /// When it was last edited, if it was.
    pub edited_on: Option<DateTime<Utc>>,
    /// The message's metadata.
    pub metadata: Metadata,
}

/// What a message holds.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ChatMessageContent {
    /// The text of a text or HTML message.
    pub message: Option<String>,
    /// The new topic (`topicUpdated` messages).
    pub topic: Option<String>,
    /// The participants added or removed (`participantAdded`/`participantRemoved`).
    pub participants: Vec<ChatParticipant>,
    /// Who added or removed participants or changed the topic.
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub initiator: Option<CommunicationIdentifier>,
    /// Attachments (images and files shared from Teams).
    pub attachments: Vec<ChatAttachment>,
}

/// An attachment of a message.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ChatAttachment {
    /// The attachment id.
    pub id: String,
    /// Image, file, or a type added later.
    pub attachment_type: ChatAttachmentType,
    /// The file name.
    pub name: Option<String>,
    /// Where to download it.
    pub url: Option<String>,
    /// Where to download a preview.
    pub preview_url: Option<String>,
}

/// A participant of a thread.
///
/// ```
/// use acs_chat::{ChatParticipant, CommunicationIdentifier};
/// let bob = ChatParticipant::new(CommunicationIdentifier::from_raw_id("8:acs:r_bob"))
///     .display_name("Bob");
/// assert_eq!(bob.display_name.as_deref(), Some("Bob"));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ChatParticipant {
    /// Who the participant is.
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub identifier: CommunicationIdentifier,
    /// The display name.
    pub display_name: Option<String>,
    /// From when on the participant sees the thread's history.
    pub share_history_time: Option<DateTime<Utc>>,
    /// The participant's metadata.
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

    /// Sets the display name.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// Sets from when on the participant sees the history.
    pub fn share_history_time(mut self, time: DateTime<Utc>) -> Self {
        self.share_history_time = Some(time);
        self
    }

    /// Sets the participant's metadata.
    pub fn metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = metadata;
        self
    }
}

/// A read receipt: who read up to which message, and when.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ChatMessageReadReceipt {
    /// Who read it.
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub sender: CommunicationIdentifier,
    /// The message read.
    pub chat_message_id: String,
    /// When it was read.
    pub read_on: DateTime<Utc>,
}

/// The result of sending a message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SendChatMessageResult {
    /// The new message's id.
    pub id: String,
}

/// The result of creating a thread: the thread, and the participants that
/// could not be added, each with the service's reason.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CreateChatThreadResult {
    /// The new thread.
    pub chat_thread: ChatThreadProperties,
    /// The participants that were not added, with why.
    pub errors: Vec<(ChatParticipant, ChatError)>,
}
