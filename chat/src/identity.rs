//! The ACS Identity operations apps use to get chat users and their tokens:
//! [`CommunicationIdentityClient`].
//!
//! It authenticates with the resource's access key (HMAC-SHA256 request
//! signing; from a connection string or an endpoint and key) or, with the
//! `entra` feature, with a Microsoft Entra ID credential
//! (`azure_core::credentials::TokenCredential`, e.g. from `azure_identity`:
//! managed identity, workload identity, Azure CLI), for resources whose
//! access keys are disabled.
//!
//! Tokens are issued by a trusted service of yours, never by the client app:
//! the access key (or the Entra ID role) grants full control of the resource.
//!
//! ```no_run
//! # async fn run() -> acs_chat::Result<()> {
//! use std::time::Duration;
//! use acs_chat::identity::{CommunicationIdentityClient, CommunicationTokenScope};
//!
//! let identity = CommunicationIdentityClient::from_connection_string(
//!     "endpoint=https://contoso.communication.azure.com/;accesskey=<base64 key>",
//! )?;
//! let created = identity
//!     .create_user_and_token([CommunicationTokenScope::Chat])
//!     .expires_in(Duration::from_secs(2 * 3600))
//!     .await?;
//! println!("{} gets a token valid until {}", created.user.id, created.access_token.expires_on());
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use reqwest::header::{HeaderMap, HeaderValue};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use acs_chat_rest::OperationRoute;

use crate::credential::AccessToken;
use crate::error::{Error, ErrorKind, Result};
use crate::identifier::CommunicationUserIdentifier;
use crate::pipeline::attempt::{Outcome, RequestId};
use crate::pipeline::{self, convert};
use crate::request::request_future;
use crate::retry::{Removal, RetryOptions};

/// The Identity api-version this client speaks.
pub const IDENTITY_API_VERSION: &str = "2023-10-01";

/// The Microsoft Entra ID scope the identity client asks its
/// `TokenCredential` for. The double slash is not a typo: it is the scope
/// every official ACS SDK (.NET, Java, JavaScript, Python) requests, the
/// resource `https://communication.azure.com/` followed by `/.default`.
pub const ENTRA_SCOPE: &str = "https://communication.azure.com//.default";

/// The shortest token lifetime the service accepts (60 minutes).
pub const MIN_TOKEN_EXPIRES_IN: Duration = Duration::from_secs(60 * 60);

/// The longest token lifetime the service accepts, and its default (24 hours).
pub const MAX_TOKEN_EXPIRES_IN: Duration = Duration::from_secs(1440 * 60);

/// The default time limit of each attempt.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

crate::models::open_enum! {
    /// What an access token allows.
    pub enum CommunicationTokenScope {
        /// Chat.
        Chat = "chat",
        /// Calls.
        Voip = "voip",
        /// Joining chats of Teams meetings.
        ChatJoin = "chat.join",
        /// Joining chats of Teams meetings, without managing participants.
        ChatJoinLimited = "chat.join.limited",
        /// Joining calls of Teams meetings.
        VoipJoin = "voip.join",
    }
}

/// A resource's endpoint and access key, as in its connection string.
#[derive(Clone)]
pub struct ConnectionString {
    endpoint: reqwest::Url,
    access_key: Vec<u8>,
}

impl ConnectionString {
    /// Parses `endpoint=https://<resource>.communication.azure.com/;accesskey=<base64>`
    /// (keys in any case, in any order).
    ///
    /// ```
    /// use acs_chat::identity::ConnectionString;
    ///
    /// let connection = ConnectionString::parse("endpoint=https://contoso.communication.azure.com/;accesskey=c2VjcmV0")?;
    /// assert_eq!(connection.endpoint(), "https://contoso.communication.azure.com/");
    /// assert!(!format!("{connection:?}").contains("c2VjcmV0")); // the key is never shown
    /// assert!(ConnectionString::parse("endpoint=https://contoso.communication.azure.com/").is_err());
    /// # Ok::<(), acs_chat::Error>(())
    /// ```
    pub fn parse(connection_string: &str) -> Result<Self> {
        let mut endpoint = None;
        let mut access_key = None;
        for part in connection_string
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let Some((key, value)) = part.split_once('=') else {
                return Err(Error::invalid_argument(
                    "the connection string must be `endpoint=...;accesskey=...`",
                ));
            };
            match key.trim().to_ascii_lowercase().as_str() {
                "endpoint" => endpoint = Some(value.trim().to_string()),
                "accesskey" => access_key = Some(value.trim().to_string()),
                _ => {}
            }
        }
        let (Some(endpoint), Some(access_key)) = (endpoint, access_key) else {
            return Err(Error::invalid_argument(
                "the connection string needs both `endpoint=` and `accesskey=`",
            ));
        };
        let endpoint = reqwest::Url::parse(&endpoint).map_err(|e| {
            Error::invalid_argument(format!(
                "the connection string's endpoint is not a URL: {e}"
            ))
        })?;
        if !acs_chat_rest::may_carry_credentials(&endpoint) {
            return Err(Error::invalid_argument(
                "the endpoint must use https (plain http is allowed only to loopback hosts)",
            ));
        }
        let access_key = BASE64
            .decode(access_key.as_bytes())
            .map_err(|_| Error::invalid_argument("the access key is not valid base64"))?;
        Ok(Self {
            endpoint,
            access_key,
        })
    }

    /// The resource's endpoint.
    ///
    /// ```
    /// use acs_chat::identity::ConnectionString;
    /// use acs_chat::{ChatClient, CommunicationTokenCredential};
    ///
    /// # let user_token = "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl";
    /// let connection = ConnectionString::parse("endpoint=https://contoso.communication.azure.com/;accesskey=c2VjcmV0")?;
    /// // A chat client of the same resource, with a user's token.
    /// let credential = CommunicationTokenCredential::new(user_token)?;
    /// let chat = ChatClient::new(connection.endpoint(), credential)?;
    /// # Ok::<(), acs_chat::Error>(())
    /// ```
    pub fn endpoint(&self) -> &str {
        self.endpoint.as_str()
    }
}

impl fmt::Debug for ConnectionString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionString")
            .field("endpoint", &self.endpoint.as_str())
            .field("access_key", &"REDACTED")
            .finish()
    }
}

/// Signs a request the way ACS expects: `x-ms-date`, `x-ms-content-sha256`
/// and an `Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=...`
/// header over `METHOD\npath?query\ndate;host;content-hash`.
///
/// ```
/// use acs_chat::chrono::Utc;
/// use acs_chat::identity::sign_request;
///
/// // E.g. for an operation of the resource this crate does not cover.
/// let url = reqwest::Url::parse("https://contoso.communication.azure.com/identities?api-version=2023-10-01")?;
/// let headers = sign_request(b"<decoded access key>", "POST", &url, b"{}", Utc::now())?;
/// assert!(headers["authorization"].to_str()?.starts_with("HMAC-SHA256 SignedHeaders="));
/// assert!(headers.contains_key("x-ms-date") && headers.contains_key("x-ms-content-sha256"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sign_request(
    access_key: &[u8],
    method: &str,
    url: &reqwest::Url,
    body: &[u8],
    date: DateTime<Utc>,
) -> Result<HeaderMap> {
    let content_hash = BASE64.encode(Sha256::digest(body));
    let date = date.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let host = match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        (None, _) => return Err(Error::invalid_argument("the URL has no host")),
    };
    let path_and_query = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    let string_to_sign = format!("{method}\n{path_and_query}\n{date};{host};{content_hash}");
    let mut mac = Hmac::<Sha256>::new_from_slice(access_key)
        .map_err(|_| Error::invalid_argument("the access key cannot be used as an HMAC key"))?;
    mac.update(string_to_sign.as_bytes());
    let signature = BASE64.encode(mac.finalize().into_bytes());
    let header = |value: String| {
        HeaderValue::from_str(&value)
            .map_err(|_| Error::invalid_argument("a signed header is not a valid header value"))
    };
    let mut headers = HeaderMap::new();
    headers.insert("x-ms-date", header(date)?);
    headers.insert("x-ms-content-sha256", header(content_hash)?);
    let mut authorization = header(format!(
        "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}"
    ))?;
    authorization.set_sensitive(true);
    headers.insert(reqwest::header::AUTHORIZATION, authorization);
    Ok(headers)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireIdentity {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAccessToken {
    token: String,
    expires_on: DateTime<Utc>,
}

impl From<WireAccessToken> for AccessToken {
    fn from(wire: WireAccessToken) -> Self {
        AccessToken::new(wire.token, wire.expires_on)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireIdentityWithToken {
    identity: WireIdentity,
    access_token: Option<WireAccessToken>,
}

/// Decodes a `POST /identities` answer, as `create_user_and_token` does.
#[cfg(fuzzing)]
pub(crate) fn decode_identity_response(body: &[u8]) -> bool {
    serde_json::from_slice::<WireIdentityWithToken>(body)
        .map(|created| created.access_token.map(AccessToken::from))
        .is_ok()
}

/// Decodes an `:issueAccessToken` answer, as `get_token` does.
#[cfg(fuzzing)]
pub(crate) fn decode_access_token_response(body: &[u8]) -> bool {
    serde_json::from_slice::<WireAccessToken>(body)
        .map(AccessToken::from)
        .is_ok()
}

/// A new user and its first access token, from
/// [`CommunicationIdentityClient::create_user_and_token`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommunicationUserIdentifierAndToken {
    /// The user.
    pub user: CommunicationUserIdentifier,
    /// Its token (the `Debug` output never shows the token's text).
    pub access_token: AccessToken,
}

impl CommunicationUserIdentifierAndToken {
    /// A user and its token (for tests and mocks).
    ///
    /// ```
    /// use acs_chat::identity::CommunicationUserIdentifierAndToken;
    /// use acs_chat::{AccessToken, CommunicationUserIdentifier};
    ///
    /// let created = CommunicationUserIdentifierAndToken::new(
    ///     CommunicationUserIdentifier::new("8:acs:resource_user"),
    ///     AccessToken::new("a.b.c", chrono::Utc::now()),
    /// );
    /// assert_eq!(created.user.id, "8:acs:resource_user");
    /// ```
    pub fn new(user: CommunicationUserIdentifier, access_token: AccessToken) -> Self {
        Self { user, access_token }
    }
}

/// What [`CommunicationIdentityClient::get_token_for_teams_user`] exchanges:
/// a Teams user's Microsoft Entra ID access token (with the
/// `https://auth.msft.communication.azure.com/Teams.ManageCalls` and
/// `Teams.ManageChats` scopes), the client id of the Entra application that
/// got it, and the user's object id. The service checks the last two against
/// the token's `appid` and `oid` claims. `Debug` never shows the token.
///
/// ```
/// use acs_chat::identity::GetTokenForTeamsUserOptions;
///
/// let options = GetTokenForTeamsUserOptions::new(
///     "<the Teams user's Entra ID token>",
///     "2c3e1e83-8fd7-4615-ad2b-b8c1229845ac",
///     "32c0a5db-05ec-78ea-51ab-3f06b329397e",
/// );
/// assert!(!format!("{options:?}").contains("Entra ID token"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct GetTokenForTeamsUserOptions {
    teams_user_aad_token: String,
    client_id: String,
    user_object_id: String,
}

impl GetTokenForTeamsUserOptions {
    /// The Teams user's Entra ID token, the Entra application's client id,
    /// and the user's object id.
    ///
    /// ```no_run
    /// # async fn run(identity: acs_chat::identity::CommunicationIdentityClient, entra_token: String) -> acs_chat::Result<()> {
    /// use acs_chat::identity::GetTokenForTeamsUserOptions;
    ///
    /// // `entra_token`: the Teams user signed in to your Entra application (e.g. with MSAL).
    /// let options = GetTokenForTeamsUserOptions::new(
    ///     entra_token,
    ///     "2c3e1e83-8fd7-4615-ad2b-b8c1229845ac", // the application's client id
    ///     "32c0a5db-05ec-78ea-51ab-3f06b329397e", // the user's object id
    /// );
    /// let token = identity.get_token_for_teams_user(&options).await?;
    /// # Ok(()) }
    /// ```
    pub fn new(
        teams_user_aad_token: impl Into<String>,
        client_id: impl Into<String>,
        user_object_id: impl Into<String>,
    ) -> Self {
        Self {
            teams_user_aad_token: teams_user_aad_token.into(),
            client_id: client_id.into(),
            user_object_id: user_object_id.into(),
        }
    }

    /// The Entra application's client id.
    ///
    /// ```
    /// use acs_chat::identity::GetTokenForTeamsUserOptions;
    ///
    /// let options = GetTokenForTeamsUserOptions::new(
    ///     "<the Teams user's Entra ID token>",
    ///     "2c3e1e83-8fd7-4615-ad2b-b8c1229845ac",
    ///     "32c0a5db-05ec-78ea-51ab-3f06b329397e",
    /// );
    /// assert_eq!(options.client_id(), "2c3e1e83-8fd7-4615-ad2b-b8c1229845ac");
    /// ```
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The Teams user's object id.
    ///
    /// ```
    /// use acs_chat::identity::GetTokenForTeamsUserOptions;
    ///
    /// let options = GetTokenForTeamsUserOptions::new(
    ///     "<the Teams user's Entra ID token>",
    ///     "2c3e1e83-8fd7-4615-ad2b-b8c1229845ac",
    ///     "32c0a5db-05ec-78ea-51ab-3f06b329397e",
    /// );
    /// // Safe to log, unlike the token.
    /// println!("exchanging a token for Teams user {}", options.user_object_id());
    /// # assert_eq!(options.user_object_id(), "32c0a5db-05ec-78ea-51ab-3f06b329397e");
    /// ```
    pub fn user_object_id(&self) -> &str {
        &self.user_object_id
    }
}

impl fmt::Debug for GetTokenForTeamsUserOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetTokenForTeamsUserOptions")
            .field("teams_user_aad_token", &"REDACTED")
            .field("client_id", &self.client_id)
            .field("user_object_id", &self.user_object_id)
            .finish()
    }
}

/// How the client authenticates its requests.
#[derive(Clone)]
enum Auth {
    /// HMAC-SHA256 with the decoded access key.
    AccessKey(Arc<[u8]>),
    /// `Authorization: Bearer` with a Microsoft Entra ID token.
    #[cfg(feature = "entra")]
    Entra(Arc<entra::EntraAuth>),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::AccessKey(_) => f.write_str("AccessKey(REDACTED)"),
            #[cfg(feature = "entra")]
            Auth::Entra(_) => f.write_str("EntraIdTokenCredential"),
        }
    }
}

impl Auth {
    /// The headers that authenticate one request (fresh for every attempt).
    async fn headers(&self, method: &str, url: &reqwest::Url, body: &[u8]) -> Result<HeaderMap> {
        match self {
            Auth::AccessKey(key) => sign_request(key, method, url, body, Utc::now()),
            #[cfg(feature = "entra")]
            Auth::Entra(entra) => {
                let mut headers = HeaderMap::new();
                headers.insert(reqwest::header::AUTHORIZATION, entra.authorization().await?);
                Ok(headers)
            }
        }
    }
}

#[cfg(feature = "entra")]
mod entra {
    //! Microsoft Entra ID tokens from an `azure_core` `TokenCredential`,
    //! cached until five minutes before they expire.

    use std::sync::Arc;

    use azure_core::credentials::TokenCredential;
    use chrono::{DateTime, Utc};
    use reqwest::header::HeaderValue;

    use super::ENTRA_SCOPE;
    use crate::credential::AccessToken;
    use crate::error::{Error, Result};

    /// A token this close to its expiry is replaced before use.
    const REFRESH_MARGIN: chrono::Duration = chrono::Duration::seconds(300);

    pub(super) struct EntraAuth {
        credential: Arc<dyn TokenCredential>,
        cached: tokio::sync::Mutex<Option<AccessToken>>,
    }

    impl EntraAuth {
        pub(super) fn new(credential: Arc<dyn TokenCredential>) -> Self {
            Self {
                credential,
                cached: tokio::sync::Mutex::new(None),
            }
        }

        /// `Bearer <token>`, marked sensitive (never logged by the HTTP stack).
        pub(super) async fn authorization(&self) -> Result<HeaderValue> {
            let mut cached = self.cached.lock().await;
            let token = match cached.as_ref() {
                Some(token) if token.expires_on() - Utc::now() > REFRESH_MARGIN => token.clone(),
                _ => {
                    let fresh = self.fetch().await?;
                    *cached = Some(fresh.clone());
                    fresh
                }
            };
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", token.token())).map_err(|_| {
                    Error::credential(
                        "the Microsoft Entra ID token is not a valid header value",
                        None,
                    )
                })?;
            value.set_sensitive(true);
            Ok(value)
        }

        async fn fetch(&self) -> Result<AccessToken> {
            let token = self
                .credential
                .get_token(&[ENTRA_SCOPE], None)
                .await
                .map_err(|e| {
                    Error::credential(
                        "the Microsoft Entra ID credential could not get a token",
                        Some(Box::new(e)),
                    )
                })?;
            let expires_on = DateTime::<Utc>::from_timestamp(token.expires_on.unix_timestamp(), 0)
                .unwrap_or_else(Utc::now);
            Ok(AccessToken::new(token.token.secret(), expires_on))
        }
    }
}

/// Options of a [`CommunicationIdentityClient`], finished with its credential.
///
/// ```no_run
/// # fn run() -> acs_chat::Result<()> {
/// use std::time::Duration;
/// use acs_chat::identity::CommunicationIdentityClient;
/// use acs_chat::RetryOptions;
///
/// let identity = CommunicationIdentityClient::builder("https://contoso.communication.azure.com")
///     .timeout(Duration::from_secs(10))
///     .retry(RetryOptions::default().max_retries(5))
///     .user_agent("contoso-token-service/1.2")
///     .build_with_access_key("<base64 access key>")?;
/// # Ok(()) }
/// ```
#[must_use = "finish the builder with build_with_access_key (or build_with_token_credential, or build)"]
pub struct CommunicationIdentityClientBuilder {
    endpoint: String,
    /// The access key of a builder made from a connection string.
    access_key: Option<Vec<u8>>,
    retry: RetryOptions,
    timeout: Duration,
    user_agent: Option<String>,
    http_client: Option<reqwest::Client>,
}

impl fmt::Debug for CommunicationIdentityClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommunicationIdentityClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("access_key", &self.access_key.as_ref().map(|_| "REDACTED"))
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .field("user_agent", &self.user_agent)
            .finish_non_exhaustive()
    }
}

impl CommunicationIdentityClientBuilder {
    /// How failed requests are retried (default: 3 retries from 0.8 s).
    ///
    /// ```
    /// use acs_chat::identity::CommunicationIdentityClient;
    /// use acs_chat::RetryOptions;
    ///
    /// # let access_key = "c2VjcmV0";
    /// let identity = CommunicationIdentityClient::builder("https://contoso.communication.azure.com")
    ///     .retry(RetryOptions::default().max_retries(5))
    ///     .build_with_access_key(access_key)?;
    /// # Ok::<(), acs_chat::Error>(())
    /// ```
    pub fn retry(mut self, retry: RetryOptions) -> Self {
        self.retry = retry;
        self
    }

    /// The time limit of each attempt (default 30 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// use acs_chat::identity::CommunicationIdentityClient;
    ///
    /// # let access_key = "c2VjcmV0";
    /// let identity = CommunicationIdentityClient::builder("https://contoso.communication.azure.com")
    ///     .timeout(Duration::from_secs(10))
    ///     .build_with_access_key(access_key)?;
    /// # Ok::<(), acs_chat::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// An application id put before this crate's `User-Agent`.
    ///
    /// ```
    /// use acs_chat::identity::CommunicationIdentityClient;
    ///
    /// # let access_key = "c2VjcmV0";
    /// // Requests carry `User-Agent: contoso-token-service/1.2 acs-chat/<version>`.
    /// let identity = CommunicationIdentityClient::builder("https://contoso.communication.azure.com")
    ///     .user_agent("contoso-token-service/1.2")
    ///     .build_with_access_key(access_key)?;
    /// # Ok::<(), acs_chat::Error>(())
    /// ```
    pub fn user_agent(mut self, application_id: impl Into<String>) -> Self {
        self.user_agent = Some(application_id.into());
        self
    }

    /// The HTTP client to send with (e.g. one that trusts a local emulator's
    /// certificate). Its own timeout applies instead of [`timeout`](Self::timeout).
    ///
    /// ```
    /// use acs_chat::identity::CommunicationIdentityClient;
    ///
    /// # let access_key = "c2VjcmV0";
    /// // E.g. one that goes through a corporate proxy (and, like the
    /// // default client, follows no redirects).
    /// let http = reqwest::Client::builder()
    ///     .proxy(reqwest::Proxy::all("http://proxy.contoso.com:3128")?)
    ///     .redirect(reqwest::redirect::Policy::none())
    ///     .build()?;
    /// let identity = CommunicationIdentityClient::builder("https://contoso.communication.azure.com")
    ///     .http_client(http)
    ///     .build_with_access_key(access_key)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Builds a client that signs its requests with the access key of the
    /// connection string this builder was made from
    /// ([`CommunicationIdentityClient::builder_from_connection_string`]). A
    /// builder made from an endpoint has no key: this is then an
    /// argument error, use [`build_with_access_key`](Self::build_with_access_key).
    ///
    /// ```
    /// use acs_chat::identity::CommunicationIdentityClient;
    ///
    /// # let connection_string = "endpoint=https://contoso.communication.azure.com/;accesskey=c2VjcmV0";
    /// let identity = CommunicationIdentityClient::builder_from_connection_string(connection_string)?
    ///     .user_agent("contoso-token-service/1.2")
    ///     .build()?;
    /// // A builder made from an endpoint has no key to build with.
    /// let keyless = CommunicationIdentityClient::builder("https://contoso.communication.azure.com").build();
    /// assert!(keyless.unwrap_err().is_invalid_argument());
    /// # Ok::<(), acs_chat::Error>(())
    /// ```
    pub fn build(mut self) -> Result<CommunicationIdentityClient> {
        let Some(key) = self.access_key.take() else {
            return Err(Error::invalid_argument(
                "this builder has no credential: use build_with_access_key, build_with_token_credential \
                 (feature `entra`), or a builder made from a connection string",
            ));
        };
        self.finish(Auth::AccessKey(key.into()))
    }

    /// Builds a client that signs its requests (HMAC-SHA256) with the
    /// resource's access key, as base64 (as the Azure portal shows it).
    ///
    /// ```
    /// use acs_chat::identity::CommunicationIdentityClient;
    ///
    /// # let access_key = "c2VjcmV0";
    /// // `access_key`: as the Azure portal shows it (the resource's Keys, base64).
    /// let identity = CommunicationIdentityClient::builder("https://contoso.communication.azure.com")
    ///     .build_with_access_key(access_key)?;
    /// let refused = CommunicationIdentityClient::builder("https://contoso.communication.azure.com")
    ///     .build_with_access_key("not base64!");
    /// assert!(refused.unwrap_err().is_invalid_argument());
    /// # Ok::<(), acs_chat::Error>(())
    /// ```
    pub fn build_with_access_key(self, access_key: &str) -> Result<CommunicationIdentityClient> {
        let key = BASE64
            .decode(access_key.trim().as_bytes())
            .map_err(|_| Error::invalid_argument("the access key is not valid base64"))?;
        if key.is_empty() {
            return Err(Error::invalid_argument("the access key is empty"));
        }
        self.finish(Auth::AccessKey(key.into()))
    }

    /// Builds a client authenticated with Microsoft Entra ID: each request
    /// carries `Authorization: Bearer <token>`, a token the credential issues
    /// for [`ENTRA_SCOPE`] (kept until five minutes before it expires). The
    /// credential's identity needs a role on the resource that allows the
    /// Identity operations (e.g. `Contributor`).
    ///
    /// ```no_run
    /// # fn run(credential: std::sync::Arc<dyn azure_core::credentials::TokenCredential>) -> acs_chat::Result<()> {
    /// // e.g. `azure_identity::ManagedIdentityCredential::new(None)?` or
    /// // `azure_identity::DeveloperToolsCredential::new(None)?`
    /// use acs_chat::identity::CommunicationIdentityClient;
    ///
    /// let identity = CommunicationIdentityClient::builder("https://contoso.communication.azure.com")
    ///     .build_with_token_credential(credential)?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "entra")]
    #[cfg_attr(docsrs, doc(cfg(feature = "entra")))]
    pub fn build_with_token_credential(
        self,
        credential: Arc<dyn azure_core::credentials::TokenCredential>,
    ) -> Result<CommunicationIdentityClient> {
        self.finish(Auth::Entra(Arc::new(entra::EntraAuth::new(credential))))
    }

    fn finish(self, auth: Auth) -> Result<CommunicationIdentityClient> {
        let endpoint = checked_endpoint(&self.endpoint)?;
        let http = match self.http_client {
            Some(client) => client,
            None => crate::transport::default_http_client(&endpoint, self.timeout)?,
        };
        let user_agent = crate::transport::user_agent(self.user_agent.as_deref());
        let user_agent = HeaderValue::from_str(&user_agent)
            .map_err(|_| Error::invalid_argument("the user agent is not a valid header value"))?;
        Ok(CommunicationIdentityClient {
            core: Arc::new(IdentityCore {
                endpoint,
                auth,
                http,
                retry: self.retry,
                user_agent,
            }),
        })
    }
}

/// The endpoint, checked like the chat client's (https, or http to a
/// loopback host), with a trailing `/` so that paths join below it.
/// The endpoint, checked, with a trailing `/` so that paths join below it.
fn checked_endpoint(endpoint: &str) -> Result<reqwest::Url> {
    let mut url = crate::transport::checked_endpoint(endpoint)?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// What every clone of one client shares.
struct IdentityCore {
    endpoint: reqwest::Url,
    auth: Auth,
    http: reqwest::Client,
    retry: RetryOptions,
    user_agent: HeaderValue,
}

/// Creates ACS users, issues and revokes their access tokens, and exchanges
/// Teams users' Entra ID tokens for ACS tokens. Cheap to clone.
///
/// Build it from a connection string
/// ([`from_connection_string`](Self::from_connection_string), or
/// [`builder_from_connection_string`](Self::builder_from_connection_string)
/// to set options), or from an endpoint with [`builder`](Self::builder),
/// finished with the access key or (feature `entra`) a Microsoft Entra ID
/// credential.
#[derive(Clone)]
pub struct CommunicationIdentityClient {
    core: Arc<IdentityCore>,
}

impl fmt::Debug for CommunicationIdentityClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommunicationIdentityClient")
            .field("endpoint", &self.core.endpoint.as_str())
            .field("credential", &self.core.auth)
            .field("retry", &self.core.retry)
            .finish_non_exhaustive()
    }
}

impl CommunicationIdentityClient {
    /// A client for the resource of a connection string
    /// (`endpoint=https://<resource>.communication.azure.com/;accesskey=<base64>`),
    /// with default options.
    ///
    /// ```no_run
    /// # fn run() -> acs_chat::Result<()> {
    /// use acs_chat::identity::CommunicationIdentityClient;
    ///
    /// let connection_string = std::env::var("ACS_CONNECTION_STRING").unwrap_or_default();
    /// let identity = CommunicationIdentityClient::from_connection_string(&connection_string)?;
    /// # Ok(()) }
    /// ```
    pub fn from_connection_string(connection_string: &str) -> Result<Self> {
        Self::builder_from_connection_string(connection_string)?.build()
    }

    /// A builder for the resource of a connection string: set options, then
    /// [`build`](CommunicationIdentityClientBuilder::build).
    ///
    /// ```no_run
    /// # fn run(connection_string: &str) -> acs_chat::Result<()> {
    /// use std::time::Duration;
    /// use acs_chat::identity::CommunicationIdentityClient;
    ///
    /// let identity = CommunicationIdentityClient::builder_from_connection_string(connection_string)?
    ///     .timeout(Duration::from_secs(10))
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn builder_from_connection_string(
        connection_string: &str,
    ) -> Result<CommunicationIdentityClientBuilder> {
        let connection = ConnectionString::parse(connection_string)?;
        let mut builder = Self::builder(connection.endpoint.as_str());
        builder.access_key = Some(connection.access_key);
        Ok(builder)
    }

    /// A builder for the resource at `endpoint` (e.g.
    /// `https://<resource>.communication.azure.com`): set options, then finish
    /// with [`build_with_access_key`](CommunicationIdentityClientBuilder::build_with_access_key)
    /// or (feature `entra`) `build_with_token_credential`.
    ///
    /// ```no_run
    /// # fn run() -> acs_chat::Result<()> {
    /// use acs_chat::identity::CommunicationIdentityClient;
    ///
    /// let identity = CommunicationIdentityClient::builder("https://contoso.communication.azure.com")
    ///     .build_with_access_key("<base64 access key>")?;
    /// # Ok(()) }
    /// ```
    pub fn builder(endpoint: impl Into<String>) -> CommunicationIdentityClientBuilder {
        CommunicationIdentityClientBuilder {
            endpoint: endpoint.into(),
            access_key: None,
            retry: RetryOptions::default(),
            timeout: DEFAULT_TIMEOUT,
            user_agent: None,
            http_client: None,
        }
    }

    /// The resource's endpoint (ending with `/`).
    ///
    /// ```no_run
    /// # async fn run(identity: acs_chat::identity::CommunicationIdentityClient) -> acs_chat::Result<()> {
    /// use acs_chat::identity::CommunicationTokenScope;
    /// use acs_chat::{ChatClient, CommunicationTokenCredential};
    ///
    /// // A chat client of the same resource, for a new user.
    /// let created = identity.create_user_and_token([CommunicationTokenScope::Chat]).await?;
    /// let credential = CommunicationTokenCredential::from(created.access_token);
    /// let chat = ChatClient::new(identity.endpoint(), credential)?;
    /// # Ok(()) }
    /// ```
    pub fn endpoint(&self) -> &str {
        self.core.endpoint.as_str()
    }

    /// A new user, without a token.
    ///
    /// ```no_run
    /// # async fn run(identity: acs_chat::identity::CommunicationIdentityClient) -> acs_chat::Result<()> {
    /// let user = identity.create_user().await?;
    /// println!("created {}", user.id);
    /// # Ok(()) }
    /// ```
    pub async fn create_user(&self) -> Result<CommunicationUserIdentifier> {
        let created: WireIdentityWithToken = self
            .core
            .send(
                routes::CREATE_USER,
                "identities",
                Some(serde_json::json!({})),
                201,
            )
            .await?;
        Ok(CommunicationUserIdentifier::new(created.identity.id))
    }

    /// A new user and a token for it with these scopes, valid for 24 hours
    /// unless [`expires_in`](CreateUserAndToken::expires_in) says otherwise.
    /// `.await` it (or call [`send`](CreateUserAndToken::send)).
    ///
    /// ```no_run
    /// # async fn run(identity: acs_chat::identity::CommunicationIdentityClient) -> acs_chat::Result<()> {
    /// use std::time::Duration;
    /// use acs_chat::identity::CommunicationTokenScope;
    ///
    /// let created = identity
    ///     .create_user_and_token([CommunicationTokenScope::Chat, CommunicationTokenScope::Voip])
    ///     .expires_in(Duration::from_secs(60 * 60))
    ///     .await?;
    /// println!("{} until {}", created.user.id, created.access_token.expires_on());
    /// # Ok(()) }
    /// ```
    pub fn create_user_and_token(
        &self,
        scopes: impl IntoIterator<Item = CommunicationTokenScope>,
    ) -> CreateUserAndToken {
        CreateUserAndToken {
            core: self.core.clone(),
            scopes: scopes.into_iter().collect(),
            expires_in: None,
        }
    }

    /// A token with these scopes for an existing user, valid for 24 hours
    /// unless [`expires_in`](GetToken::expires_in) says otherwise. `.await` it
    /// (or call [`send`](GetToken::send)).
    ///
    /// ```no_run
    /// # async fn run(identity: acs_chat::identity::CommunicationIdentityClient, user: acs_chat::CommunicationUserIdentifier) -> acs_chat::Result<()> {
    /// use std::time::Duration;
    /// use acs_chat::identity::CommunicationTokenScope;
    ///
    /// let token = identity
    ///     .get_token(&user, [CommunicationTokenScope::Chat])
    ///     .expires_in(Duration::from_secs(8 * 3600))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn get_token(
        &self,
        user: &CommunicationUserIdentifier,
        scopes: impl IntoIterator<Item = CommunicationTokenScope>,
    ) -> GetToken {
        GetToken {
            core: self.core.clone(),
            user_id: user.id.clone(),
            scopes: scopes.into_iter().collect(),
            expires_in: None,
        }
    }

    /// Revokes every token issued to the user so far.
    ///
    /// ```no_run
    /// # async fn run(identity: acs_chat::identity::CommunicationIdentityClient, user: acs_chat::CommunicationUserIdentifier) -> acs_chat::Result<()> {
    /// identity.revoke_tokens(&user).await?;
    /// # Ok(()) }
    /// ```
    pub async fn revoke_tokens(&self, user: &CommunicationUserIdentifier) -> Result<()> {
        let path = format!("identities/{}/:revokeAccessTokens", user_segment(&user.id)?);
        self.core
            .send_empty(routes::REVOKE_TOKENS, &path, Some(serde_json::json!({})))
            .await
    }

    /// Deletes the user and revokes its tokens.
    ///
    /// Retried like every idempotent call. If an attempt was processed but
    /// its answer lost, the retry finds nothing to delete and gets 404: that
    /// counts as success. A 404 on the first attempt is an error.
    ///
    /// ```no_run
    /// # async fn run(identity: acs_chat::identity::CommunicationIdentityClient, user: acs_chat::CommunicationUserIdentifier) -> acs_chat::Result<()> {
    /// identity.delete_user(&user).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_user(&self, user: &CommunicationUserIdentifier) -> Result<()> {
        let path = format!("identities/{}", user_segment(&user.id)?);
        self.core.send_empty(routes::DELETE_USER, &path, None).await
    }

    /// Exchanges a Teams user's Microsoft Entra ID token for an ACS access
    /// token of that Teams user, expiring when the Entra ID token does
    /// (`POST /teamsUser/:exchangeAccessToken`). Empty values are argument
    /// errors; the service checks the rest (an invalid or expired Entra ID
    /// token is its 401 `InvalidAccessToken`).
    ///
    /// ```no_run
    /// # async fn run(identity: acs_chat::identity::CommunicationIdentityClient, entra_token: String) -> acs_chat::Result<()> {
    /// use acs_chat::identity::GetTokenForTeamsUserOptions;
    ///
    /// let token = identity
    ///     .get_token_for_teams_user(&GetTokenForTeamsUserOptions::new(
    ///         entra_token,
    ///         "2c3e1e83-8fd7-4615-ad2b-b8c1229845ac", // the Entra application's client id
    ///         "32c0a5db-05ec-78ea-51ab-3f06b329397e", // the Teams user's object id
    ///     ))
    ///     .await?;
    /// println!("valid until {}", token.expires_on());
    /// # Ok(()) }
    /// ```
    pub async fn get_token_for_teams_user(
        &self,
        options: &GetTokenForTeamsUserOptions,
    ) -> Result<AccessToken> {
        for (value, what) in [
            (
                &options.teams_user_aad_token,
                "the Teams user's Entra ID token",
            ),
            (&options.client_id, "the client id"),
            (&options.user_object_id, "the user object id"),
        ] {
            if value.trim().is_empty() {
                return Err(Error::invalid_argument(format!("{what} must not be empty")));
            }
        }
        let body = serde_json::json!({
            "token": options.teams_user_aad_token,
            "appId": options.client_id,
            "userId": options.user_object_id,
        });
        let token: WireAccessToken = self
            .core
            .send(
                routes::GET_TOKEN_FOR_TEAMS_USER,
                "teamsUser/:exchangeAccessToken",
                Some(body),
                200,
            )
            .await?;
        Ok(token.into())
    }
}

/// A pending [`CommunicationIdentityClient::create_user_and_token`]: set the
/// token's lifetime, then `.await` (or [`send`](Self::send)).
#[must_use = "a request does nothing until it is awaited"]
pub struct CreateUserAndToken {
    core: Arc<IdentityCore>,
    scopes: Vec<CommunicationTokenScope>,
    expires_in: Option<Duration>,
}

impl CreateUserAndToken {
    /// How long the token is valid: 60 minutes to 24 hours, in whole minutes
    /// (a fraction of a minute is dropped, as the official SDKs do). Outside
    /// that range the request fails with an argument error before it is sent.
    /// Default 24 hours.
    ///
    /// ```no_run
    /// # async fn run(identity: acs_chat::identity::CommunicationIdentityClient) -> acs_chat::Result<()> {
    /// use std::time::Duration;
    /// use acs_chat::identity::CommunicationTokenScope;
    ///
    /// // A guest in a one-hour support session.
    /// let guest = identity
    ///     .create_user_and_token([CommunicationTokenScope::Chat])
    ///     .expires_in(Duration::from_secs(60 * 60))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn expires_in(mut self, expires_in: Duration) -> Self {
        self.expires_in = Some(expires_in);
        self
    }

    /// Sends the request (what `.await` does).
    ///
    /// ```no_run
    /// # async fn run(identity: acs_chat::identity::CommunicationIdentityClient) -> acs_chat::Result<()> {
    /// use acs_chat::identity::CommunicationTokenScope;
    ///
    /// // Three users for a test, created concurrently.
    /// let users = futures::future::try_join_all(
    ///     (0..3).map(|_| identity.create_user_and_token([CommunicationTokenScope::Chat]).send()),
    /// )
    /// .await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<CommunicationUserIdentifierAndToken> {
        let mut body = serde_json::json!({ "createTokenWithScopes": scope_list(self.scopes)? });
        if let Some(minutes) = expires_in_minutes(self.expires_in)? {
            body["expiresInMinutes"] = minutes.into();
        }
        let created: WireIdentityWithToken = self
            .core
            .send(routes::CREATE_USER_AND_TOKEN, "identities", Some(body), 201)
            .await?;
        let token = created.access_token.ok_or_else(|| {
            Error::new(
                ErrorKind::Decode,
                "the service created the user but returned no token",
            )
        })?;
        Ok(CommunicationUserIdentifierAndToken::new(
            CommunicationUserIdentifier::new(created.identity.id),
            token.into(),
        ))
    }
}

request_future!(CreateUserAndToken => CommunicationUserIdentifierAndToken);

/// A pending [`CommunicationIdentityClient::get_token`]: set the token's
/// lifetime, then `.await` (or [`send`](Self::send)).
#[must_use = "a request does nothing until it is awaited"]
pub struct GetToken {
    core: Arc<IdentityCore>,
    user_id: String,
    scopes: Vec<CommunicationTokenScope>,
    expires_in: Option<Duration>,
}

impl GetToken {
    /// How long the token is valid: 60 minutes to 24 hours, in whole minutes
    /// (a fraction of a minute is dropped, as the official SDKs do). Outside
    /// that range the request fails with an argument error before it is sent.
    /// Default 24 hours.
    ///
    /// ```
    /// use std::time::Duration;
    /// use acs_chat::identity::{CommunicationIdentityClient, CommunicationTokenScope};
    /// use acs_chat::CommunicationUserIdentifier;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> acs_chat::Result<()> {
    /// # let identity = CommunicationIdentityClient::from_connection_string("endpoint=https://contoso.communication.azure.com/;accesskey=c2VjcmV0")?;
    /// let user = CommunicationUserIdentifier::new("8:acs:r_alice");
    /// // The service takes 60 minutes to 24 hours: anything else fails before sending.
    /// let request = identity.get_token(&user, [CommunicationTokenScope::Chat]);
    /// let too_short = request.expires_in(Duration::from_secs(10 * 60)).await;
    /// assert!(too_short.unwrap_err().is_invalid_argument());
    /// # Ok(()) }
    /// ```
    pub fn expires_in(mut self, expires_in: Duration) -> Self {
        self.expires_in = Some(expires_in);
        self
    }

    /// Sends the request (what `.await` does).
    ///
    /// ```no_run
    /// # async fn run(identity: acs_chat::identity::CommunicationIdentityClient, user: acs_chat::CommunicationUserIdentifier) -> acs_chat::Result<()> {
    /// use acs_chat::identity::CommunicationTokenScope;
    /// use acs_chat::CommunicationTokenCredential;
    ///
    /// // In a trusted service: a credential that gets a new token whenever it needs one.
    /// let credential = CommunicationTokenCredential::with_refresher(move || {
    ///     let request = identity.get_token(&user, [CommunicationTokenScope::Chat]);
    ///     async move { request.send().await.map(|token| token.token().to_owned()) }
    /// })
    /// .build()?;
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<AccessToken> {
        let path = format!(
            "identities/{}/:issueAccessToken",
            user_segment(&self.user_id)?
        );
        let mut body = serde_json::json!({ "scopes": scope_list(self.scopes)? });
        if let Some(minutes) = expires_in_minutes(self.expires_in)? {
            body["expiresInMinutes"] = minutes.into();
        }
        let token: WireAccessToken = self
            .core
            .send(routes::GET_TOKEN, &path, Some(body), 200)
            .await?;
        Ok(token.into())
    }
}

request_future!(GetToken => AccessToken);

/// The Identity API's operations, described like the chat operations'
/// generated routes, so that the one pipeline classifies their retries.
mod routes {
    use acs_chat_rest::OperationRoute;

    const fn route(
        operation_id: &'static str,
        name: &'static str,
        method: &'static str,
        path: &'static str,
        path_parts: &'static [&'static str],
        idempotent: bool,
    ) -> OperationRoute {
        OperationRoute {
            operation_id,
            name,
            method,
            path,
            path_parts,
            merge_patch: false,
            idempotent,
            repeatability_header: None,
        }
    }

    /// Creates a user each time it is processed: never repeated once it may
    /// have reached the service.
    pub(super) const CREATE_USER: &OperationRoute = &route(
        "CommunicationIdentity_Create",
        "create_user",
        "POST",
        "/identities",
        &["/identities"],
        false,
    );
    pub(super) const CREATE_USER_AND_TOKEN: &OperationRoute = &route(
        "CommunicationIdentity_Create",
        "create_user_and_token",
        "POST",
        "/identities",
        &["/identities"],
        false,
    );
    pub(super) const DELETE_USER: &OperationRoute = &route(
        "CommunicationIdentity_Delete",
        "delete_user",
        "DELETE",
        "/identities/{id}",
        &["/identities/", ""],
        true,
    );
    pub(super) const REVOKE_TOKENS: &OperationRoute = &route(
        "CommunicationIdentity_RevokeAccessTokens",
        "revoke_tokens",
        "POST",
        "/identities/{id}/:revokeAccessTokens",
        &["/identities/", "/:revokeAccessTokens"],
        true,
    );
    /// Issuing a second token for the same user does no harm.
    pub(super) const GET_TOKEN: &OperationRoute = &route(
        "CommunicationIdentity_IssueAccessToken",
        "get_token",
        "POST",
        "/identities/{id}/:issueAccessToken",
        &["/identities/", "/:issueAccessToken"],
        true,
    );
    pub(super) const GET_TOKEN_FOR_TEAMS_USER: &OperationRoute = &route(
        "CommunicationIdentity_ExchangeTeamsUserAccessToken",
        "get_token_for_teams_user",
        "POST",
        "/teamsUser/:exchangeAccessToken",
        &["/teamsUser/:exchangeAccessToken"],
        true,
    );
}

impl IdentityCore {
    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        route: &'static OperationRoute,
        path: &str,
        body: Option<serde_json::Value>,
        expected_status: u16,
    ) -> Result<T> {
        let bytes = self.execute(route, path, body, expected_status).await?;
        convert::decode(&bytes, "the Identity service's response")
    }

    async fn send_empty(
        &self,
        route: &'static OperationRoute,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<()> {
        self.execute(route, path, body, 204).await.map(|_| ())
    }

    /// One request through the pipeline's retry loop: signed afresh for
    /// every attempt, its response converted like a chat operation's. A
    /// delete answered 404 after an attempt whose answer was lost was done
    /// by that attempt.
    async fn execute(
        &self,
        route: &'static OperationRoute,
        path: &str,
        body: Option<serde_json::Value>,
        expected_status: u16,
    ) -> Result<bytes::Bytes> {
        let method = reqwest::Method::from_bytes(route.method.as_bytes())
            .map_err(|e| Error::invalid_argument(format!("invalid method: {e}")))?;
        let mut url = self
            .endpoint
            .join(path)
            .map_err(|e| Error::invalid_argument(format!("invalid request path: {e}")))?;
        url.query_pairs_mut()
            .append_pair("api-version", IDENTITY_API_VERSION);
        let body = match &body {
            Some(value) => serde_json::to_vec(value)
                .map_err(|e| Error::invalid_argument(format!("unserializable body: {e}")))?,
            None => Vec::new(),
        };
        let (method, url, body) = (&method, &url, &body);
        let attempt = |request_id: RequestId| async move {
            let auth = match self.auth.headers(method.as_str(), url, body).await {
                Ok(auth) => auth,
                Err(error) => return Outcome::unsent(error),
            };
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .headers(auth)
                .header("x-ms-client-request-id", request_id.header().clone())
                .header(reqwest::header::USER_AGENT, self.user_agent.clone());
            if !body.is_empty() {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let response = match request.send().await {
                Ok(response) => response,
                Err(error) => return Outcome::unsent(convert::from_transport(error)),
            };
            let status = Some(response.status());
            Outcome {
                result: convert::read_response(response, expected_status).await,
                status,
            }
        };
        if route.method == "DELETE" {
            let mut removal = Removal::default();
            let settle = |outcome| removal.settle(outcome);
            pipeline::run(&self.retry, route, None, settle, attempt).await
        } else {
            pipeline::run(&self.retry, route, None, std::convert::identity, attempt).await
        }
    }
}

/// `expiresInMinutes` for a lifetime: whole minutes in 60..=1440.
fn expires_in_minutes(expires_in: Option<Duration>) -> Result<Option<u64>> {
    let Some(expires_in) = expires_in else {
        return Ok(None);
    };
    let minutes = expires_in.as_secs() / 60;
    let (min, max) = (
        MIN_TOKEN_EXPIRES_IN.as_secs() / 60,
        MAX_TOKEN_EXPIRES_IN.as_secs() / 60,
    );
    if !(min..=max).contains(&minutes) {
        return Err(Error::invalid_argument(format!(
            "a token's lifetime must be between {min} and {max} minutes (1 to 24 hours); got {minutes} minute(s)"
        )));
    }
    Ok(Some(minutes))
}

fn scope_list(scopes: Vec<CommunicationTokenScope>) -> Result<Vec<String>> {
    let scopes: Vec<String> = scopes.iter().map(|s| s.as_str().to_string()).collect();
    if scopes.is_empty() {
        return Err(Error::invalid_argument(
            "at least one token scope is needed",
        ));
    }
    Ok(scopes)
}

fn user_segment(user_id: &str) -> Result<String> {
    if user_id.trim().is_empty() {
        return Err(Error::invalid_argument("the user id must not be empty"));
    }
    // Ids hold `:` but never `/`; encoding keeps any odd id inside one segment.
    Ok(user_id
        .replace('%', "%25")
        .replace('/', "%2F")
        .replace('?', "%3F")
        .replace('#', "%23"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_strings_parse_in_any_case_and_order() {
        let cs = ConnectionString::parse(
            "AccessKey=c2VjcmV0;Endpoint=https://contoso.communication.azure.com/",
        )
        .unwrap();
        assert_eq!(cs.endpoint(), "https://contoso.communication.azure.com/");
        assert_eq!(cs.access_key, b"secret");
        assert!(!format!("{cs:?}").contains("c2VjcmV0"));
    }

    #[test]
    fn bad_connection_strings_are_argument_errors() {
        for bad in [
            "",
            "endpoint=https://x.example/",
            "accesskey=c2VjcmV0",
            "endpoint=not a url;accesskey=c2VjcmV0",
            "endpoint=https://x.example/;accesskey=%%%",
            "endpoint=http://x.example/;accesskey=c2VjcmV0",
            "garbage",
        ] {
            let error = ConnectionString::parse(bad).unwrap_err();
            assert!(error.is_invalid_argument(), "{bad}");
            assert!(!error.to_string().contains("c2VjcmV0"));
        }
    }

    #[test]
    fn signing_matches_a_vector_computed_from_the_documented_algorithm() {
        // Computed independently (Python: hmac.new(b"secret", string_to_sign,
        // sha256), base64) for the string to sign
        // "POST\n/identities?api-version=2023-10-01\nTue, 01 Jul 2025 12:00:00 GMT;contoso.communication.azure.com;RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o="
        // where the content hash is base64(sha256(b"{}")).
        let url = reqwest::Url::parse(
            "https://contoso.communication.azure.com/identities?api-version=2023-10-01",
        )
        .unwrap();
        let date = DateTime::parse_from_rfc3339("2025-07-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let headers = sign_request(b"secret", "POST", &url, b"{}", date).unwrap();
        assert_eq!(headers["x-ms-date"], "Tue, 01 Jul 2025 12:00:00 GMT");
        assert_eq!(
            headers["x-ms-content-sha256"],
            "RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o="
        );
        assert_eq!(
            headers["authorization"],
            format!(
                "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={}",
                EXPECTED_SIGNATURE
            )
        );
    }

    const EXPECTED_SIGNATURE: &str = "8F+/T1YgxwcZHSoqbNtA4pJ8gAcT9bzuEk5T9CU8TtI=";
}
