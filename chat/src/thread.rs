//! [`ChatThreadClient`]: one thread's properties, messages, participants,
//! typing notifications and read receipts.

use std::future::Future;
use std::sync::Arc;

use futures::future::Either;

use acs_chat_rest::types as wire;

use acs_chat_rest::routes;

use crate::error::{Error, Result};
use crate::exactly_once::{self, CLIENT_MESSAGE_ID_KEY};
use crate::identifier::CommunicationIdentifier;
use crate::models::{
    ChatMessage, ChatMessageReadReceipt, ChatMessageType, ChatParticipant, ChatRetentionPolicy,
    ChatThreadProperties, FailedParticipant, Metadata, SendChatMessageResult,
};
use crate::pager::Pager;
use crate::pipeline::{boxed, check_id, Pipeline};
use crate::request::request_future;
use crate::wire as convert;

/// The service's limit on a message's content (28 KB).
const MAX_CONTENT_BYTES: usize = 28 * 1024;

/// Operations on one thread. Get one from
/// [`ChatClient::get_chat_thread_client`](crate::ChatClient::get_chat_thread_client);
/// cheap to clone.
///
/// ```no_run
/// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
/// use acs_chat::ChatMessageType;
///
/// let sent = thread
///     .send_message("<b>Hi</b>")
///     .chat_message_type(ChatMessageType::Html)
///     .sender_display_name("Alice")
///     .await?;
/// thread.send_read_receipt(&sent.id).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ChatThreadClient {
    core: Arc<Pipeline>,
    thread_id: String,
}

impl std::fmt::Debug for ChatThreadClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatThreadClient")
            .field("thread_id", &self.thread_id)
            .finish_non_exhaustive()
    }
}

impl ChatThreadClient {
    pub(crate) fn new(core: Arc<Pipeline>, thread_id: String) -> Self {
        Self { core, thread_id }
    }

    /// The thread's id.
    ///
    /// ```
    /// # let credential = acs_chat::CommunicationTokenCredential::new("eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl")?;
    /// # let client = acs_chat::ChatClient::new("https://contoso.communication.azure.com", credential)?;
    /// let thread = client.get_chat_thread_client("19:a1b2c3@thread.v2");
    /// assert_eq!(thread.thread_id(), "19:a1b2c3@thread.v2");
    /// # Ok::<(), acs_chat::Error>(())
    /// ```
    pub fn thread_id(&self) -> &str {
        &self.thread_id
    }

    fn checked_thread_id(&self) -> Result<&str> {
        check_id("the thread id", &self.thread_id)?;
        Ok(&self.thread_id)
    }

    /// The thread's properties.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// let properties = thread.get_properties().await?;
    /// println!("{}, created by {} on {}", properties.topic, properties.created_by, properties.created_on);
    /// # Ok(()) }
    /// ```
    pub async fn get_properties(&self) -> Result<ChatThreadProperties> {
        let thread_id = self.checked_thread_id()?;
        let thread = self
            .core
            .call(
                routes::GET_CHAT_THREAD_PROPERTIES,
                Some(thread_id),
                |raw, _| boxed(raw.get_chat_thread_properties(thread_id)),
            )
            .await?;
        Ok(convert::thread_from_wire(*thread))
    }

    /// Changes the topic.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// thread.update_topic("Launch plan (final)").await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_topic(&self, topic: impl Into<String>) -> Result<()> {
        self.update_properties().topic(topic).await
    }

    /// Changes the topic, metadata or retention policy: set what changes on
    /// the returned builder, then `.await` it.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// use acs_chat::{ChatRetentionPolicy, Metadata};
    ///
    /// thread
    ///     .update_properties()
    ///     .metadata(Metadata::from([("status".to_string(), "resolved".to_string())]))
    ///     .retention_policy(ChatRetentionPolicy::ThreadCreationDate { delete_thread_after_days: 30 })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn update_properties(&self) -> UpdateProperties {
        UpdateProperties {
            thread: self.clone(),
            topic: None,
            metadata: None,
            retention_policy: None,
        }
    }

    /// Sends a message (text by default): set options, then `.await`.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// let sent = thread.send_message("Your order has shipped.").sender_display_name("Contoso").await?;
    /// println!("sent message {}", sent.id);
    /// # Ok(()) }
    /// ```
    pub fn send_message(&self, content: impl Into<String>) -> SendMessage {
        SendMessage {
            thread: self.clone(),
            content: content.into(),
            sender_display_name: None,
            message_type: ChatMessageType::Text,
            metadata: Metadata::new(),
            client_message_id: None,
        }
    }

    /// One message.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient, message_id: String) -> acs_chat::Result<()> {
    /// let message = thread.get_message(&message_id).await?;
    /// let sender = message.sender_display_name.as_deref().unwrap_or("?");
    /// println!("{sender}: {:?} (edited on {:?})", message.text(), message.edited_on);
    /// # Ok(()) }
    /// ```
    pub async fn get_message(&self, message_id: impl AsRef<str>) -> Result<ChatMessage> {
        let thread_id = self.checked_thread_id()?;
        let message_id = message_id.as_ref();
        check_id("the message id", message_id)?;
        let message = self
            .core
            .call(routes::GET_CHAT_MESSAGE, Some(thread_id), |raw, _| {
                boxed(raw.get_chat_message_as::<ChatMessage>(thread_id, message_id))
            })
            .await?;
        Ok(*message)
    }

    /// The thread's messages, newest first, system messages included.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let messages: Vec<_> = thread.list_messages().results_per_page(100).try_collect().await?;
    /// // Oldest first, and only what users wrote (`text()` is `None` for system messages).
    /// for text in messages.iter().rev().filter_map(|message| message.text()) {
    ///     println!("{text}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_messages(&self) -> Pager<ChatMessage> {
        self.core.pager(
            routes::LIST_CHAT_MESSAGES,
            Some(self.thread_id.clone()),
            Box::new(|raw, thread_id, options| {
                boxed(raw.list_chat_messages_as(
                    thread_id,
                    options.max_page_size,
                    options.start_time.as_ref(),
                ))
            }),
        )
    }

    /// Edits a message's content or metadata: set what changes, then `.await`.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// let sent = thread.send_message("See you at 10").await?;
    /// thread.update_message(&sent.id).content("See you at 11").await?;
    /// # Ok(()) }
    /// ```
    pub fn update_message(&self, message_id: impl AsRef<str>) -> UpdateMessage {
        UpdateMessage {
            thread: self.clone(),
            message_id: message_id.as_ref().to_string(),
            content: None,
            metadata: None,
        }
    }

    /// Deletes a message.
    ///
    /// Retried like every idempotent call. If an attempt was processed but
    /// its answer lost, the retry finds nothing to delete and gets 404: that
    /// counts as success. A 404 on the first attempt is an error.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// let sent = thread.send_message("oops, wrong thread").await?;
    /// thread.delete_message(&sent.id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_message(&self, message_id: impl AsRef<str>) -> Result<()> {
        let thread_id = self.checked_thread_id()?;
        let message_id = message_id.as_ref();
        check_id("the message id", message_id)?;
        self.core
            .remove(routes::DELETE_CHAT_MESSAGE, Some(thread_id), |raw, _| {
                boxed(raw.delete_chat_message(thread_id, message_id))
            })
            .await
    }

    /// The thread's participants.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let mut participants = thread.list_participants();
    /// while let Some(participant) = participants.try_next().await? {
    ///     let name = participant.display_name.as_deref().unwrap_or("no name");
    ///     println!("{} ({name})", participant.identifier);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_participants(&self) -> Pager<ChatParticipant> {
        self.core.pager(
            routes::LIST_CHAT_PARTICIPANTS,
            Some(self.thread_id.clone()),
            Box::new(|raw, thread_id, options| {
                boxed(raw.list_chat_participants_as(thread_id, options.max_page_size, options.skip))
            }),
        )
    }

    /// Adds participants. Returns only the ones that could not be added, each
    /// with the service's reason; an empty list means all were added.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// use acs_chat::{ChatParticipant, CommunicationUserIdentifier};
    ///
    /// let carol = ChatParticipant::new(CommunicationUserIdentifier::new("8:acs:r_carol"));
    /// for failed in thread.add_participants([carol.display_name("Carol")]).await? {
    ///     eprintln!("{} was not added: {}", failed.participant.identifier, failed.error);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn add_participants(
        &self,
        participants: impl IntoIterator<Item = ChatParticipant>,
    ) -> Result<Vec<FailedParticipant>> {
        let thread_id = self.checked_thread_id()?;
        let participants: Vec<ChatParticipant> = participants.into_iter().collect();
        if participants.is_empty() {
            return Err(Error::invalid_argument("no participants to add"));
        }
        let body = wire::AddChatParticipantsRequest {
            participants: participants
                .iter()
                .map(convert::participant_to_wire)
                .collect(),
        };
        let result = self
            .core
            .call(routes::ADD_CHAT_PARTICIPANTS, Some(thread_id), |raw, _| {
                boxed(raw.add_chat_participants(thread_id, &body))
            })
            .await?;
        Ok(convert::pair_participant_errors(
            &participants,
            result.invalid_participants,
        ))
    }

    /// Removes a participant.
    ///
    /// Retried like every idempotent call. If an attempt was processed but
    /// its answer lost, the retry finds nothing to remove and gets 404: that
    /// counts as success. A 404 on the first attempt is an error.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// use acs_chat::CommunicationIdentifier;
    ///
    /// let bob = CommunicationIdentifier::from_raw_id("8:acs:r_bob");
    /// thread.remove_participant(&bob).await?;
    /// # Ok(()) }
    /// ```
    pub async fn remove_participant(&self, identifier: &CommunicationIdentifier) -> Result<()> {
        let thread_id = self.checked_thread_id()?;
        if identifier.raw_id().trim().is_empty() {
            return Err(Error::invalid_argument(
                "the participant's identifier is empty",
            ));
        }
        let body = convert::identifier_to_wire(identifier);
        self.core
            .remove(
                routes::REMOVE_CHAT_PARTICIPANT,
                Some(thread_id),
                |raw, _| boxed(raw.remove_chat_participant(thread_id, &body)),
            )
            .await
    }

    /// Tells the other participants the user is typing: `.await` it, after
    /// setting a display name if wanted.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// // E.g. on a keystroke, at most once every few seconds.
    /// thread.send_typing_notification().await?;
    /// # Ok(()) }
    /// ```
    pub fn send_typing_notification(&self) -> SendTypingNotification {
        SendTypingNotification {
            thread: self.clone(),
            sender_display_name: None,
        }
    }

    /// Marks a message (and those before it) as read.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// // Mark everything up to the newest message as read.
    /// if let Some(newest) = thread.list_messages().results_per_page(1).try_next().await? {
    ///     thread.send_read_receipt(&newest.id).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn send_read_receipt(&self, message_id: impl AsRef<str>) -> Result<()> {
        let thread_id = self.checked_thread_id()?;
        let message_id = message_id.as_ref();
        check_id("the message id", message_id)?;
        let body = wire::SendReadReceiptRequest {
            chat_message_id: message_id.to_string(),
        };
        self.core
            .call(routes::SEND_CHAT_READ_RECEIPT, Some(thread_id), |raw, _| {
                boxed(raw.send_chat_read_receipt(thread_id, &body))
            })
            .await
            .map(|_| ())
    }

    /// The participants' read receipts.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let receipts: Vec<_> = thread.list_read_receipts().try_collect().await?;
    /// for receipt in &receipts {
    ///     println!("{} read up to {} at {}", receipt.sender, receipt.chat_message_id, receipt.read_on);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_read_receipts(&self) -> Pager<ChatMessageReadReceipt> {
        self.core.pager(
            routes::LIST_CHAT_READ_RECEIPTS,
            Some(self.thread_id.clone()),
            Box::new(|raw, thread_id, options| {
                boxed(raw.list_chat_read_receipts_as(
                    thread_id,
                    options.max_page_size,
                    options.skip,
                ))
            }),
        )
    }
}

impl Pager<ChatMessage> {
    /// Only messages sent at or after this time.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// use acs_chat::chrono::{Duration, Utc};
    /// use futures::TryStreamExt;
    ///
    /// let since = Utc::now() - Duration::hours(1);
    /// let last_hour: Vec<_> = thread.list_messages().start_time(since).try_collect().await?;
    /// println!("{} messages in the last hour", last_hour.len());
    /// # Ok(()) }
    /// ```
    pub fn start_time(self, time: chrono::DateTime<chrono::Utc>) -> Self {
        self.with_start_time(time)
    }
}

impl Pager<ChatParticipant> {
    /// Skips this many participants. The service takes at most `i32::MAX`;
    /// a larger value fails the first poll with an
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument)
    /// error, before any request is sent.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let rest: Vec<_> = thread.list_participants().skip(10).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn skip(self, count: u32) -> Self {
        self.with_skip(count)
    }
}

impl Pager<ChatMessageReadReceipt> {
    /// Skips this many receipts. The service takes at most `i32::MAX`; a
    /// larger value fails the first poll with an
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument)
    /// error, before any request is sent.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let receipts: Vec<_> = thread.list_read_receipts().skip(5).results_per_page(50).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn skip(self, count: u32) -> Self {
        self.with_skip(count)
    }
}

/// A pending [`ChatThreadClient::update_properties`].
#[must_use = "a request does nothing until it is awaited"]
pub struct UpdateProperties {
    thread: ChatThreadClient,
    topic: Option<String>,
    metadata: Option<Metadata>,
    retention_policy: Option<ChatRetentionPolicy>,
}

impl UpdateProperties {
    /// The new topic.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// thread.update_properties().topic("Launch plan (v2)").await?;
    /// # Ok(()) }
    /// ```
    pub fn topic(mut self, topic: impl Into<String>) -> Self {
        self.topic = Some(topic.into());
        self
    }

    /// Metadata to merge into the thread's.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// use acs_chat::Metadata;
    ///
    /// // Keys not named here keep their values.
    /// let metadata = Metadata::from([("priority".to_string(), "high".to_string())]);
    /// thread.update_properties().metadata(metadata).await?;
    /// # Ok(()) }
    /// ```
    pub fn metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// The new retention policy.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// use acs_chat::ChatRetentionPolicy;
    ///
    /// // Keep the thread until it is deleted.
    /// thread.update_properties().retention_policy(ChatRetentionPolicy::None).await?;
    /// # Ok(()) }
    /// ```
    pub fn retention_policy(mut self, policy: ChatRetentionPolicy) -> Self {
        self.retention_policy = Some(policy);
        self
    }

    /// Sends the request; the same as `.await`ing the builder.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// thread.update_properties().topic("Launch plan (v2)").send().await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<()> {
        let thread_id = self.thread.checked_thread_id()?;
        if self.topic.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(Error::invalid_argument("the topic must not be empty"));
        }
        if self.topic.is_none() && self.metadata.is_none() && self.retention_policy.is_none() {
            return Err(Error::invalid_argument(
                "nothing to update: set a topic, metadata or a retention policy",
            ));
        }
        let body = wire::UpdateChatThreadRequest {
            metadata: self.metadata.unwrap_or_default(),
            retention_policy: self
                .retention_policy
                .as_ref()
                .map(convert::retention_to_wire),
            topic: self.topic,
        };
        let core = &self.thread.core;
        core.call(
            routes::UPDATE_CHAT_THREAD_PROPERTIES,
            Some(thread_id),
            |raw, _| boxed(raw.update_chat_thread_properties(thread_id, &body)),
        )
        .await
        .map(|_| ())
    }
}

request_future!(UpdateProperties => ());

/// A pending [`ChatThreadClient::send_message`].
#[must_use = "a request does nothing until it is awaited"]
pub struct SendMessage {
    thread: ChatThreadClient,
    content: String,
    sender_display_name: Option<String>,
    message_type: ChatMessageType,
    metadata: Metadata,
    /// Set by `exactly_once` (a fresh id) or `exactly_once_with_id`.
    client_message_id: Option<String>,
}

impl SendMessage {
    /// The sender's display name, shown to others.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// thread.send_message("Hi, how can I help?").sender_display_name("Contoso Support").await?;
    /// # Ok(()) }
    /// ```
    pub fn sender_display_name(mut self, name: impl Into<String>) -> Self {
        self.sender_display_name = Some(name.into());
        self
    }

    /// [`ChatMessageType::Text`] (the default) or [`ChatMessageType::Html`].
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// use acs_chat::ChatMessageType;
    ///
    /// thread
    ///     .send_message("<p>Order <b>1042</b> has shipped</p>")
    ///     .chat_message_type(ChatMessageType::Html)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn chat_message_type(mut self, message_type: impl Into<ChatMessageType>) -> Self {
        self.message_type = message_type.into();
        self
    }

    /// The message's metadata.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// use acs_chat::Metadata;
    ///
    /// let metadata = Metadata::from([("orderId".to_string(), "1042".to_string())]);
    /// thread.send_message("Order 1042 has shipped").metadata(metadata).await?;
    /// # Ok(()) }
    /// ```
    pub fn metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = metadata;
        self
    }

    /// Makes the send exactly-once: after an ambiguous failure (a lost
    /// answer), the facade finds out whether the message was created, by a
    /// fresh client message id (a random UUID) it puts in the metadata
    /// under [`CLIENT_MESSAGE_ID_KEY`](crate::CLIENT_MESSAGE_ID_KEY), and
    /// sends again only if it was not. Costs nothing when the send is
    /// answered; after an ambiguous failure, a wait for the lost attempt to
    /// settle (the per-try timeout, at most 1 s) and one listing of the
    /// messages sent since five minutes before the send began. The id takes
    /// 58 bytes of the 1 KB of metadata.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// let sent = thread.send_message("Your refund is on its way").exactly_once().await?;
    /// println!("sent {} (once)", sent.id);
    /// # Ok(()) }
    /// ```
    pub fn exactly_once(mut self) -> Self {
        self.client_message_id = Some(uuid::Uuid::new_v4().to_string());
        self
    }

    /// Like [`exactly_once`](Self::exactly_once), with a client message id
    /// of your own (unique per message: for example one you stored before
    /// sending, so that a process that restarts after a crash does not send
    /// the message twice either).
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// let outbox_id = "order-1042-shipped";
    /// thread.send_message("Order 1042 has shipped").exactly_once_with_id(outbox_id).await?;
    /// # Ok(()) }
    /// ```
    pub fn exactly_once_with_id(mut self, client_message_id: impl Into<String>) -> Self {
        self.client_message_id = Some(client_message_id.into());
        self
    }

    /// Sends it; the same as `.await`ing the builder. The service has no
    /// idempotency key for messages, so the request is retried only when it
    /// provably did not reach the service; after an ambiguous failure the
    /// error's kind is [`ErrorKind::OutcomeUnknown`](crate::ErrorKind::OutcomeUnknown),
    /// unless [`exactly_once`](Self::exactly_once) finds out.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// let sent = thread.send_message("Hello!").sender_display_name("Alice").send().await?;
    /// println!("sent {}", sent.id);
    /// # Ok(()) }
    /// ```
    pub fn send(self) -> impl Future<Output = Result<SendChatMessageResult>> + Send + 'static {
        // Checked before the future is made, so that the future holds the
        // request once (an `async fn` would keep this builder besides).
        match self.checked() {
            Ok(checked) => Either::Left(checked.send()),
            Err(error) => Either::Right(std::future::ready(Err(error))),
        }
    }

    fn checked(self) -> Result<CheckedSend> {
        self.thread.checked_thread_id()?;
        if self.content.trim().is_empty() {
            return Err(Error::invalid_argument(
                "the message content must not be empty",
            ));
        }
        if self.content.len() > MAX_CONTENT_BYTES {
            return Err(Error::invalid_argument(format!(
                "the message content is {} bytes; the service accepts at most {MAX_CONTENT_BYTES}",
                self.content.len()
            )));
        }
        if !matches!(
            self.message_type,
            ChatMessageType::Text | ChatMessageType::Html
        ) {
            return Err(Error::invalid_argument(format!(
                "only text and html messages can be sent, not {}",
                self.message_type
            )));
        }
        if self.client_message_id.as_deref().is_some_and(str::is_empty) {
            return Err(Error::invalid_argument(
                "the client message id of an exactly-once send must not be empty",
            ));
        }
        let mut metadata = self.metadata;
        let client_message_id = self.client_message_id;
        if let Some(id) = &client_message_id {
            // The id given with `exactly_once*` wins over one copied into
            // the metadata (say, from a message being answered).
            metadata.insert(CLIENT_MESSAGE_ID_KEY.to_owned(), id.clone());
        }
        Ok(CheckedSend {
            thread: self.thread,
            body: wire::SendChatMessageRequest {
                content: self.content,
                metadata,
                sender_display_name: self.sender_display_name,
                type_: Some(convert::message_type_to_wire(&self.message_type)),
            },
            client_message_id,
        })
    }
}

/// A [`SendMessage`] that passed its checks: what its request needs.
struct CheckedSend {
    thread: ChatThreadClient,
    body: wire::SendChatMessageRequest,
    client_message_id: Option<String>,
}

impl CheckedSend {
    #[allow(
        clippy::manual_async_fn,
        reason = "an async fn keeps a second copy of its arguments in its future"
    )]
    fn send(self) -> impl Future<Output = Result<SendChatMessageResult>> + Send + 'static {
        async move {
            // Borrowed, not moved out: moving would give each part a
            // second place in the future.
            let CheckedSend {
                thread,
                body,
                client_message_id,
            } = &self;
            let thread_id = thread.thread_id.as_str();
            let core = &thread.core;
            // `move`: the attempts' future holds the references themselves,
            // not a borrow of the closure.
            let send_once = move || async move {
                let result = core
                    .call(routes::SEND_CHAT_MESSAGE, Some(thread_id), |raw, _| {
                        boxed(raw.send_chat_message(thread_id, body))
                    })
                    .await?;
                Ok(SendChatMessageResult { id: result.id })
            };
            match client_message_id {
                None => send_once().await,
                Some(id) => {
                    let list_since = |time| thread.list_messages().start_time(time);
                    // Boxed: its state would otherwise enlarge every send's future.
                    Box::pin(exactly_once::send(
                        &core.retry,
                        core.try_timeout,
                        id,
                        send_once,
                        list_since,
                    ))
                    .await
                }
            }
        }
    }
}

request_future!(SendMessage => SendChatMessageResult);

/// A pending [`ChatThreadClient::update_message`].
#[must_use = "a request does nothing until it is awaited"]
pub struct UpdateMessage {
    thread: ChatThreadClient,
    message_id: String,
    content: Option<String>,
    metadata: Option<Metadata>,
}

impl UpdateMessage {
    /// The new content.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient, message_id: String) -> acs_chat::Result<()> {
    /// thread.update_message(&message_id).content("The meeting moved to 11:00").await?;
    /// # Ok(()) }
    /// ```
    pub fn content(mut self, content: impl Into<String>) -> Self {
        self.content = Some(content.into());
        self
    }

    /// Metadata to merge into the message's.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient, message_id: String) -> acs_chat::Result<()> {
    /// use acs_chat::Metadata;
    ///
    /// // Keys not named here keep their values.
    /// let metadata = Metadata::from([("status".to_string(), "answered".to_string())]);
    /// thread.update_message(&message_id).metadata(metadata).await?;
    /// # Ok(()) }
    /// ```
    pub fn metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// Sends the request; the same as `.await`ing the builder.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// thread.update_message("1714557600000").content("Hello, everyone!").send().await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<()> {
        let thread_id = self.thread.checked_thread_id()?;
        check_id("the message id", &self.message_id)?;
        if self.content.as_deref().is_some_and(|c| c.trim().is_empty()) {
            return Err(Error::invalid_argument(
                "the message content must not be empty",
            ));
        }
        if self.content.is_none() && self.metadata.is_none() {
            return Err(Error::invalid_argument(
                "nothing to update: set content or metadata",
            ));
        }
        let body = wire::UpdateChatMessageRequest {
            content: self.content,
            metadata: self.metadata.unwrap_or_default(),
        };
        let core = &self.thread.core;
        let message_id = self.message_id.as_str();
        core.call(routes::UPDATE_CHAT_MESSAGE, Some(thread_id), |raw, _| {
            boxed(raw.update_chat_message(thread_id, message_id, &body))
        })
        .await
        .map(|_| ())
    }
}

request_future!(UpdateMessage => ());

/// A pending [`ChatThreadClient::send_typing_notification`].
#[must_use = "a request does nothing until it is awaited"]
pub struct SendTypingNotification {
    thread: ChatThreadClient,
    sender_display_name: Option<String>,
}

impl SendTypingNotification {
    /// The display name shown while typing.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// thread.send_typing_notification().sender_display_name("Alice").await?;
    /// # Ok(()) }
    /// ```
    pub fn sender_display_name(mut self, name: impl Into<String>) -> Self {
        self.sender_display_name = Some(name.into());
        self
    }

    /// Sends the notification; the same as `.await`ing the builder.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// thread.send_typing_notification().sender_display_name("Alice").send().await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<()> {
        let thread_id = self.thread.checked_thread_id()?;
        let body = wire::SendTypingNotificationRequest {
            sender_display_name: self.sender_display_name,
        };
        let core = &self.thread.core;
        core.call(
            routes::SEND_TYPING_NOTIFICATION,
            Some(thread_id),
            |raw, _| boxed(raw.send_typing_notification(thread_id, &body)),
        )
        .await
        .map(|_| ())
    }
}

request_future!(SendTypingNotification => ());
