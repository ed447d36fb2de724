//! [`ChatClient`]: thread-level operations, options, and the shared core every
//! thread client uses.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use acs_chat_rest::routes;
use acs_chat_rest::types as wire;

use crate::credential::CommunicationTokenCredential;
use crate::error::{Error, ErrorKind, Result};
use crate::models::{
    ChatParticipant, ChatRetentionPolicy, ChatThreadItem, CreateChatThreadResult, Metadata,
};
use crate::pager::Pager;
use crate::pipeline::{boxed, check_id, Pipeline};
use crate::policy::raw_client_policy;
use crate::request::request_future;
use crate::retry::RetryOptions;
use crate::thread::ChatThreadClient;
use crate::wire as convert;

/// Options of a [`ChatClient`].
///
/// ```no_run
/// # fn run(credential: acs_chat::CommunicationTokenCredential) -> acs_chat::Result<()> {
/// use std::time::Duration;
/// use acs_chat::{ChatClient, RetryOptions};
///
/// let client = ChatClient::builder("https://contoso.communication.azure.com", credential)
///     .retry(RetryOptions::default().max_retries(5))
///     .timeout(Duration::from_secs(20))
///     .build()?;
/// # Ok(()) }
/// ```
#[must_use = "call build() to get the client"]
pub struct ChatClientBuilder {
    endpoint: String,
    credential: CommunicationTokenCredential,
    retry: RetryOptions,
    timeout: Duration,
    user_agent: Option<String>,
    http_client: Option<reqwest::Client>,
}

impl ChatClientBuilder {
    /// How failed requests are retried (default: 3 retries from 0.8 s).
    ///
    /// ```
    /// # let credential = acs_chat::CommunicationTokenCredential::new("eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl")?;
    /// use std::time::Duration;
    /// use acs_chat::{ChatClient, RetryOptions};
    ///
    /// // A batch job that would rather wait than fail.
    /// let client = ChatClient::builder("https://contoso.communication.azure.com", credential)
    ///     .retry(RetryOptions::default().max_retries(6).max_delay(Duration::from_secs(30)))
    ///     .build()?;
    /// # Ok::<(), acs_chat::Error>(())
    /// ```
    pub fn retry(mut self, retry: RetryOptions) -> Self {
        self.retry = retry;
        self
    }

    /// The time limit of each attempt (default 30 s).
    ///
    /// ```
    /// # let credential = acs_chat::CommunicationTokenCredential::new("eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl")?;
    /// use std::time::Duration;
    /// use acs_chat::ChatClient;
    ///
    /// let client = ChatClient::builder("https://contoso.communication.azure.com", credential)
    ///     .timeout(Duration::from_secs(10))
    ///     .build()?;
    /// # Ok::<(), acs_chat::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// An application id put before this crate's `User-Agent`.
    ///
    /// ```
    /// # let credential = acs_chat::CommunicationTokenCredential::new("eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl")?;
    /// use acs_chat::ChatClient;
    ///
    /// // Requests carry `User-Agent: contoso-support/2.1 acs-chat/<version>`.
    /// let client = ChatClient::builder("https://contoso.communication.azure.com", credential)
    ///     .user_agent("contoso-support/2.1")
    ///     .build()?;
    /// # Ok::<(), acs_chat::Error>(())
    /// ```
    pub fn user_agent(mut self, application_id: impl Into<String>) -> Self {
        self.user_agent = Some(application_id.into());
        self
    }

    /// The HTTP client to send with (e.g. one that trusts a local emulator's
    /// certificate). Its own timeout applies instead of [`timeout`](Self::timeout).
    ///
    /// The client this builder makes otherwise follows no redirects (the
    /// service never redirects; a 3xx is an error) and, for a plain-http
    /// loopback endpoint, uses no proxy, so that tokens never pass a proxy in
    /// clear. Give yours `redirect(reqwest::redirect::Policy::none())` too.
    ///
    /// ```
    /// # let credential = acs_chat::CommunicationTokenCredential::new("eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl")?;
    /// use acs_chat::ChatClient;
    ///
    /// // E.g. one that goes through a corporate proxy (and, like the
    /// // default client, follows no redirects).
    /// let http = reqwest::Client::builder()
    ///     .proxy(reqwest::Proxy::all("http://proxy.contoso.com:3128")?)
    ///     .redirect(reqwest::redirect::Policy::none())
    ///     .build()?;
    /// let client = ChatClient::builder("https://contoso.communication.azure.com", credential)
    ///     .http_client(http)
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Checks the endpoint and builds the client. The endpoint must be https,
    /// or http to a loopback host (a local emulator).
    ///
    /// ```
    /// # let credential = acs_chat::CommunicationTokenCredential::new("eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl")?;
    /// use acs_chat::ChatClient;
    ///
    /// let client = ChatClient::builder("https://contoso.communication.azure.com", credential.clone()).build()?;
    /// // Plain http goes only to a loopback host, such as a local emulator.
    /// let refused = ChatClient::builder("http://contoso.communication.azure.com", credential).build();
    /// assert!(refused.unwrap_err().is_invalid_argument());
    /// # Ok::<(), acs_chat::Error>(())
    /// ```
    pub fn build(self) -> Result<ChatClient> {
        let endpoint = crate::transport::checked_endpoint(&self.endpoint)?;
        let http = match self.http_client {
            Some(client) => client,
            None => crate::transport::default_http_client(&endpoint, self.timeout)?,
        };
        let user_agent = crate::transport::user_agent(self.user_agent.as_deref());
        let chat_user_agent = crate::transport::ChatUserAgent::new(self.user_agent.as_deref())?;
        let base_url = endpoint.as_str().trim_end_matches('/').to_string();
        let raw = acs_chat_rest::Client::new_with_client(
            &base_url,
            http,
            acs_chat_rest::ClientState::new(raw_client_policy(
                self.credential.clone(),
                &user_agent,
            )),
        );
        Ok(ChatClient {
            core: Arc::new(Pipeline::new(
                raw,
                endpoint,
                self.retry,
                self.timeout,
                self.credential,
                chat_user_agent,
            )),
        })
    }
}

/// The entry point: creates, lists and deletes threads, and hands out a
/// [`ChatThreadClient`] per thread. Cheap to clone.
///
/// ```no_run
/// # async fn run() -> acs_chat::Result<()> {
/// use acs_chat::{ChatClient, CommunicationTokenCredential};
///
/// let credential = CommunicationTokenCredential::new("<user access token>")?;
/// let client = ChatClient::new("https://contoso.communication.azure.com", credential)?;
/// let created = client.create_chat_thread("Weekly sync").await?;
/// let thread = client.get_chat_thread_client(&created.chat_thread.id);
/// thread.send_message("Hello!").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ChatClient {
    core: Arc<Pipeline>,
}

impl std::fmt::Debug for ChatClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatClient")
            .field("endpoint", &self.core.endpoint.as_str())
            .field("retry", &self.core.retry)
            .finish_non_exhaustive()
    }
}

impl ChatClient {
    /// A client of the ACS resource at `endpoint` (e.g.
    /// `https://<resource>.communication.azure.com`) with default options.
    ///
    /// ```
    /// use acs_chat::{ChatClient, CommunicationTokenCredential};
    ///
    /// # let user_token = "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl";
    /// // `user_token`: the user's access token, from your own token service.
    /// let credential = CommunicationTokenCredential::new(user_token)?;
    /// let client = ChatClient::new("https://contoso.communication.azure.com", credential)?;
    /// # Ok::<(), acs_chat::Error>(())
    /// ```
    pub fn new(
        endpoint: impl Into<String>,
        credential: CommunicationTokenCredential,
    ) -> Result<Self> {
        Self::builder(endpoint, credential).build()
    }

    /// A builder, to set options before building the client.
    ///
    /// ```
    /// # let credential = acs_chat::CommunicationTokenCredential::new("eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl")?;
    /// use std::time::Duration;
    /// use acs_chat::ChatClient;
    ///
    /// let client = ChatClient::builder("https://contoso.communication.azure.com", credential)
    ///     .timeout(Duration::from_secs(10))
    ///     .user_agent("contoso-support/2.1")
    ///     .build()?;
    /// # Ok::<(), acs_chat::Error>(())
    /// ```
    pub fn builder(
        endpoint: impl Into<String>,
        credential: CommunicationTokenCredential,
    ) -> ChatClientBuilder {
        ChatClientBuilder {
            endpoint: endpoint.into(),
            credential,
            retry: RetryOptions::default(),
            timeout: Duration::from_secs(30),
            user_agent: None,
            http_client: None,
        }
    }

    /// The endpoint requests go to.
    ///
    /// ```
    /// # let credential = acs_chat::CommunicationTokenCredential::new("eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl")?;
    /// let client = acs_chat::ChatClient::new("https://contoso.communication.azure.com", credential)?;
    /// assert_eq!(client.endpoint(), "https://contoso.communication.azure.com/");
    /// # Ok::<(), acs_chat::Error>(())
    /// ```
    pub fn endpoint(&self) -> &str {
        self.core.endpoint.as_str()
    }

    /// A client for one thread's messages, participants and receipts. The id
    /// is checked when a request is made.
    ///
    /// ```no_run
    /// # async fn run(client: acs_chat::ChatClient, thread_id: String) -> acs_chat::Result<()> {
    /// // `thread_id`: saved when the thread was created, or from a chat event.
    /// let thread = client.get_chat_thread_client(&thread_id);
    /// thread.send_message("I'm back online").await?;
    /// # Ok(()) }
    /// ```
    pub fn get_chat_thread_client(&self, thread_id: impl AsRef<str>) -> ChatThreadClient {
        ChatThreadClient::new(self.core.clone(), thread_id.as_ref().to_string())
    }

    /// Creates a thread; set its participants and options on the returned
    /// builder, then `.await` it.
    ///
    /// ```no_run
    /// # async fn run(client: acs_chat::ChatClient) -> acs_chat::Result<()> {
    /// use acs_chat::{ChatParticipant, CommunicationIdentifier};
    ///
    /// let bob = CommunicationIdentifier::from_raw_id("8:acs:r_bob");
    /// let created = client
    ///     .create_chat_thread("Support case 4711")
    ///     .participants([ChatParticipant::new(bob).display_name("Bob")])
    ///     .await?;
    /// let thread = client.get_chat_thread_client(&created.chat_thread.id);
    /// # Ok(()) }
    /// ```
    pub fn create_chat_thread(&self, topic: impl Into<String>) -> CreateChatThread {
        CreateChatThread {
            core: self.core.clone(),
            topic: topic.into(),
            participants: Vec::new(),
            idempotency_token: None,
            metadata: HashMap::new(),
            retention_policy: None,
        }
    }

    /// The threads the user is in, newest first.
    ///
    /// ```no_run
    /// # async fn run(client: acs_chat::ChatClient) -> acs_chat::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let mut threads = client.list_chat_threads();
    /// while let Some(thread) = threads.try_next().await? {
    ///     println!("{}: {}", thread.id, thread.topic);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_chat_threads(&self) -> Pager<ChatThreadItem> {
        self.core.pager(
            routes::LIST_CHAT_THREADS,
            None,
            Box::new(|raw, _, options| {
                boxed(raw.list_chat_threads_as(options.max_page_size, options.start_time.as_ref()))
            }),
        )
    }

    /// Deletes a thread.
    ///
    /// Retried like every idempotent call. If an attempt was processed but
    /// its answer lost, the retry finds nothing to delete and gets 404: that
    /// counts as success. A 404 on the first attempt is an error.
    ///
    /// ```no_run
    /// # async fn run(client: acs_chat::ChatClient) -> acs_chat::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// // Clean up the threads a test run left behind.
    /// let threads: Vec<_> = client.list_chat_threads().try_collect().await?;
    /// for thread in threads.iter().filter(|t| t.topic.starts_with("[test]")) {
    ///     client.delete_chat_thread(&thread.id).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn delete_chat_thread(&self, thread_id: impl AsRef<str>) -> Result<()> {
        let thread_id = thread_id.as_ref();
        check_id("the thread id", thread_id)?;
        self.core
            .remove(routes::DELETE_CHAT_THREAD, Some(thread_id), |raw, _| {
                boxed(raw.delete_chat_thread(thread_id))
            })
            .await
    }

    /// The generated REST client ([`crate::rest`]), for anything the facade
    /// does not cover.
    ///
    /// A raw call gets what every request of this client gets from the
    /// request policy: a valid bearer token from the credential (refreshed
    /// as needed), `api-version=2025-03-15`, the user agent, an
    /// `x-ms-client-request-id`, and the check that its path is the
    /// operation's route under the endpoint. It does not get the facade's
    /// retries, its `acs_chat.operation` / `acs_chat.request` tracing spans,
    /// nor its conversions: it returns the raw crate's wire types and its
    /// `acs_chat::rest::Error`.
    ///
    /// ```no_run
    /// # async fn run(client: acs_chat::ChatClient) -> Result<(), Box<dyn std::error::Error>> {
    /// let properties = client.raw().get_chat_thread_properties("19:abc@thread.v2").await?;
    /// let topic: &str = &properties.topic;
    /// # let _ = topic; Ok(()) }
    /// ```
    pub fn raw(&self) -> &acs_chat_rest::Client {
        &self.core.raw
    }
}

impl Pager<ChatThreadItem> {
    /// Only threads changed at or after this time.
    ///
    /// ```no_run
    /// # async fn run(client: acs_chat::ChatClient) -> acs_chat::Result<()> {
    /// use acs_chat::chrono::{Duration, Utc};
    /// use futures::TryStreamExt;
    ///
    /// let since = Utc::now() - Duration::days(7);
    /// let recent: Vec<_> = client.list_chat_threads().start_time(since).try_collect().await?;
    /// println!("{} threads changed this week", recent.len());
    /// # Ok(()) }
    /// ```
    pub fn start_time(self, time: chrono::DateTime<chrono::Utc>) -> Self {
        self.with_start_time(time)
    }
}

/// A pending [`ChatClient::create_chat_thread`]: set options, then `.await`.
#[must_use = "a request does nothing until it is awaited"]
pub struct CreateChatThread {
    core: Arc<Pipeline>,
    topic: String,
    participants: Vec<ChatParticipant>,
    idempotency_token: Option<String>,
    metadata: Metadata,
    retention_policy: Option<ChatRetentionPolicy>,
}

impl CreateChatThread {
    /// The thread's first participants (the creator is added by the service).
    ///
    /// ```no_run
    /// # async fn run(client: acs_chat::ChatClient) -> acs_chat::Result<()> {
    /// use acs_chat::{ChatParticipant, CommunicationUserIdentifier};
    ///
    /// let team = ["8:acs:r_bob", "8:acs:r_carol"]
    ///     .map(|id| ChatParticipant::new(CommunicationUserIdentifier::new(id)));
    /// let created = client.create_chat_thread("Team standup").participants(team).await?;
    /// for failed in &created.errors {
    ///     eprintln!("{} was not added: {}", failed.participant.identifier, failed.error);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn participants(mut self, participants: impl IntoIterator<Item = ChatParticipant>) -> Self {
        self.participants.extend(participants);
        self
    }

    /// A key that makes the request idempotent (the `repeatability-request-id`
    /// header): repeating it returns the same thread. A UUID is used when none
    /// is given, and the same one is sent on every retry.
    ///
    /// ```no_run
    /// # async fn run(client: acs_chat::ChatClient, order_id: u64) -> acs_chat::Result<()> {
    /// // Derived from the order: a repeated web request finds the same thread.
    /// let created = client
    ///     .create_chat_thread(format!("Order {order_id}"))
    ///     .idempotency_token(format!("order-{order_id}-chat"))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn idempotency_token(mut self, token: impl Into<String>) -> Self {
        self.idempotency_token = Some(token.into());
        self
    }

    /// The thread's metadata.
    ///
    /// ```no_run
    /// # async fn run(client: acs_chat::ChatClient) -> acs_chat::Result<()> {
    /// use acs_chat::Metadata;
    ///
    /// let metadata = Metadata::from([("caseId".to_string(), "4711".to_string())]);
    /// let created = client.create_chat_thread("Support case 4711").metadata(metadata).await?;
    /// println!("{:?}", created.chat_thread.metadata.get("caseId"));
    /// # Ok(()) }
    /// ```
    pub fn metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = metadata;
        self
    }

    /// When the service deletes the thread on its own.
    ///
    /// ```no_run
    /// # async fn run(client: acs_chat::ChatClient) -> acs_chat::Result<()> {
    /// use acs_chat::ChatRetentionPolicy;
    ///
    /// let created = client
    ///     .create_chat_thread("Temporary support chat")
    ///     .retention_policy(ChatRetentionPolicy::ThreadCreationDate { delete_thread_after_days: 30 })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn retention_policy(mut self, policy: ChatRetentionPolicy) -> Self {
        self.retention_policy = Some(policy);
        self
    }

    /// Sends the request; the same as `.await`ing the builder, for code that
    /// prefers a named call (or needs a future to store or spawn).
    ///
    /// ```no_run
    /// # async fn run(client: acs_chat::ChatClient) -> acs_chat::Result<()> {
    /// let request = client.create_chat_thread("Launch plan").idempotency_token("launch-1");
    /// let handle = tokio::spawn(request.send());
    /// let created = handle.await.expect("the task ran")?;
    /// println!("created {}", created.chat_thread.id);
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<CreateChatThreadResult> {
        if self.topic.trim().is_empty() {
            return Err(Error::invalid_argument("the topic must not be empty"));
        }
        let token = self
            .idempotency_token
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if token.trim().is_empty() {
            return Err(Error::invalid_argument(
                "the idempotency token must not be empty",
            ));
        }
        let body = wire::CreateChatThreadRequest {
            metadata: self.metadata,
            participants: self
                .participants
                .iter()
                .map(convert::participant_to_wire)
                .collect(),
            retention_policy: self
                .retention_policy
                .as_ref()
                .map(convert::retention_to_wire),
            topic: self.topic,
        };
        let (token, body) = (&token, &body);
        let result = self
            .core
            .call(routes::CREATE_CHAT_THREAD, None, |raw, _| {
                boxed(raw.create_chat_thread(Some(token), body))
            })
            .await?;
        let thread = result.chat_thread.ok_or_else(|| {
            Error::new(
                ErrorKind::Decode,
                "the service created no thread and gave no reason",
            )
        })?;
        Ok(CreateChatThreadResult {
            chat_thread: convert::thread_from_wire(thread),
            errors: convert::pair_participant_errors(
                &self.participants,
                result.invalid_participants,
            ),
        })
    }
}

request_future!(CreateChatThread => CreateChatThreadResult);
