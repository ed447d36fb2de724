//! The Rust client for Azure Communication Services (ACS) Chat.
//!
//! Create and delete threads with [`ChatClient`]; send, list, edit and
//! delete messages, manage participants, and send typing notifications and
//! read receipts with [`ChatThreadClient`]. Every request carries a token
//! from a [`CommunicationTokenCredential`] (refreshed as needed), is retried
//! on throttling and transient failures, and fails with one typed [`Error`].
//! Lists are [`Pager`]s: `futures::Stream`s that fetch one page at a time.
//!
//! ```no_run
//! # async fn run() -> acs_chat::Result<()> {
//! use acs_chat::{ChatClient, ChatParticipant, CommunicationIdentifier, CommunicationTokenCredential};
//! use futures::TryStreamExt;
//!
//! let credential = CommunicationTokenCredential::new("<user access token>")?;
//! let client = ChatClient::new("https://contoso.communication.azure.com", credential)?;
//!
//! let bob = CommunicationIdentifier::from_raw_id("8:acs:<resource>_<bob>");
//! let created = client
//!     .create_chat_thread("Launch plan")
//!     .participants([ChatParticipant::new(bob).display_name("Bob")])
//!     .await?;
//! for failed in &created.errors {
//!     eprintln!("{} was not added: {}", failed.participant.identifier, failed.error);
//! }
//!
//! let thread = client.get_chat_thread_client(&created.chat_thread.id);
//! let sent = thread.send_message("Hello, Bob!").sender_display_name("Alice").await?;
//! let messages: Vec<_> = thread.list_messages().results_per_page(50).try_collect().await?;
//! println!("{} messages, newest {}", messages.len(), sent.id);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
pub mod credential;
mod date_time;
mod error;
pub mod events;
mod exactly_once;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
mod header_copies;
pub mod identifier;
pub mod identity;
mod models;
mod pager;
mod pipeline;
mod policy;
mod request;
mod retry;
mod sync;
mod thread;
mod transport;
#[cfg(feature = "webhook")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhook")))]
pub mod webhook;
mod wire;
mod wire_serde;

/// The raw REST client (the `acs-chat-rest` crate), as [`ChatClient::raw`]
/// returns it: its wire types and `Error` need no extra dependency.
pub use acs_chat_rest as rest;
/// `chrono`, whose `DateTime<Utc>` the models use.
pub use chrono;
pub use client::{ChatClient, ChatClientBuilder, CreateChatThread};
pub use credential::{
    AccessToken, CommunicationTokenCredential, CommunicationTokenCredentialBuilder,
};
pub use error::{ChatError, Error, ErrorKind, Result};
pub use exactly_once::CLIENT_MESSAGE_ID_KEY;
pub use identifier::{
    CommunicationCloudEnvironment, CommunicationIdentifier, CommunicationUserIdentifier,
    MicrosoftTeamsAppIdentifier, MicrosoftTeamsUserIdentifier, PhoneNumberIdentifier,
    TeamsExtensionUserIdentifier, UnknownIdentifier,
};
pub use models::{
    ChatAttachment, ChatAttachmentType, ChatMessage, ChatMessageContent, ChatMessageReadReceipt,
    ChatMessageType, ChatParticipant, ChatRetentionPolicy, ChatThreadItem, ChatThreadProperties,
    CreateChatThreadResult, FailedParticipant, Metadata, SendChatMessageResult,
};
pub use pager::{Page, Pager, MAX_PAGE_SIZE};
/// The HTTP status type of [`Error::status`] (the `http` crate's, as
/// re-exported by reqwest).
pub use reqwest::StatusCode;
pub use retry::RetryOptions;
pub use thread::{
    ChatThreadClient, SendMessage, SendTypingNotification, UpdateMessage, UpdateProperties,
};
