//! The ACS Identity operations apps use to get chat users and their tokens,
//! authenticated with the resource's access key (HMAC-SHA256 request signing).
//!
//! Tokens are issued by a trusted service of yours, never by the client app:
//! the access key grants full control of the resource.
//!
//! ```no_run
//! # async fn run() -> acs_chat::Result<()> {
//! use acs_chat::identity::{CommunicationIdentityClient, CommunicationTokenScope};
//!
//! let identity = CommunicationIdentityClient::from_connection_string(
//!     "endpoint=https://contoso.communication.azure.com/;accesskey=<base64 key>",
//! )?;
//! let (user, token) = identity.create_user_and_token([CommunicationTokenScope::Chat]).await?;
//! println!("{} gets a token valid until {}", user.id, token.expires_on());
//! # Ok(()) }
//! ```

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use reqwest::header::{HeaderMap, HeaderValue};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::credential::AccessToken;
use crate::error::{Error, ErrorKind, Result};
use crate::identifier::CommunicationUserIdentifier;
use crate::policy::from_transport;
use crate::retry::{self, Idempotency, RetryOptions};

/// The Identity api-version this client speaks.
pub const IDENTITY_API_VERSION: &str = "2023-10-01";

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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireIdentityWithToken {
    identity: WireIdentity,
    access_token: Option<WireAccessToken>,
}

/// Creates ACS users and issues their access tokens.
#[derive(Clone)]
pub struct CommunicationIdentityClient {
    connection: ConnectionString,
    http: reqwest::Client,
    retry: RetryOptions,
}

impl fmt::Debug for CommunicationIdentityClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommunicationIdentityClient")
            .field("connection", &self.connection)
            .finish_non_exhaustive()
    }
}

impl CommunicationIdentityClient {
    /// A client for the resource of a connection string.
    pub fn from_connection_string(connection_string: &str) -> Result<Self> {
        Ok(Self {
            connection: ConnectionString::parse(connection_string)?,
            http: reqwest::Client::new(),
            retry: RetryOptions::default(),
        })
    }

    /// Sends with this HTTP client (e.g. one trusting an emulator's certificate).
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.http = client;
        self
    }

    /// Retries failed requests this way.
    pub fn with_retry(mut self, retry: RetryOptions) -> Self {
        self.retry = retry;
        self
    }

    /// The resource's endpoint.
    pub fn endpoint(&self) -> &str {
        self.connection.endpoint()
    }

    /// A new user.
    pub async fn create_user(&self) -> Result<CommunicationUserIdentifier> {
        let created: WireIdentityWithToken = self
            .send(
                "create_user",
                reqwest::Method::POST,
                "identities",
                Some(serde_json::json!({})),
                201,
            )
            .await?;
        Ok(CommunicationUserIdentifier::new(created.identity.id))
    }

    /// A new user and a token for it, valid for 24 hours.
    pub async fn create_user_and_token(
        &self,
        scopes: impl IntoIterator<Item = CommunicationTokenScope>,
    ) -> Result<(CommunicationUserIdentifier, AccessToken)> {
        let scopes = scope_list(scopes)?;
        let created: WireIdentityWithToken = self
            .send(
                "create_user_and_token",
                reqwest::Method::POST,
                "identities",
                Some(serde_json::json!({ "createTokenWithScopes": scopes })),
                201,
            )
            .await?;
        let token = created.access_token.ok_or_else(|| {
            Error::new(
                ErrorKind::Decode,
                "the service created the user but returned no token",
            )
        })?;
        Ok((
            CommunicationUserIdentifier::new(created.identity.id),
            AccessToken::new(token.token, token.expires_on),
        ))
    }

    /// A token for an existing user, valid for 24 hours.
    pub async fn get_token(
        &self,
        user: &CommunicationUserIdentifier,
        scopes: impl IntoIterator<Item = CommunicationTokenScope>,
    ) -> Result<AccessToken> {
        let scopes = scope_list(scopes)?;
        let path = format!("identities/{}/:issueAccessToken", user_segment(user)?);
        let token: WireAccessToken = self
            .send(
                "get_token",
                reqwest::Method::POST,
                &path,
                Some(serde_json::json!({ "scopes": scopes })),
                200,
            )
            .await?;
        Ok(AccessToken::new(token.token, token.expires_on))
    }

    /// Revokes every token issued to the user so far.
    pub async fn revoke_tokens(&self, user: &CommunicationUserIdentifier) -> Result<()> {
        let path = format!("identities/{}/:revokeAccessTokens", user_segment(user)?);
        self.send_empty(
            "revoke_tokens",
            reqwest::Method::POST,
            &path,
            Some(serde_json::json!({})),
        )
        .await
    }

    /// Deletes the user and revokes its tokens.
    pub async fn delete_user(&self, user: &CommunicationUserIdentifier) -> Result<()> {
        let path = format!("identities/{}", user_segment(user)?);
        self.send_empty("delete_user", reqwest::Method::DELETE, &path, None)
            .await
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        operation: &'static str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
        expected_status: u16,
    ) -> Result<T> {
        let bytes = self
            .execute(operation, method, path, body, expected_status)
            .await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::decode("the Identity service's response could not be decoded", e))
    }

    async fn send_empty(
        &self,
        operation: &'static str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<()> {
        self.execute(operation, method, path, body, 204)
            .await
            .map(|_| ())
    }

    async fn execute(
        &self,
        operation: &'static str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
        expected_status: u16,
    ) -> Result<bytes::Bytes> {
        let mut url = self
            .connection
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
        retry::run(
            &self.retry,
            operation,
            None,
            Idempotency::Idempotent,
            || async {
                let request_id = uuid::Uuid::new_v4().to_string();
                let signed = sign_request(
                    &self.connection.access_key,
                    method.as_str(),
                    &url,
                    &body,
                    Utc::now(),
                )?;
                let mut request = self
                    .http
                    .request(method.clone(), url.clone())
                    .headers(signed)
                    .header("x-ms-client-request-id", &request_id)
                    .header(
                        reqwest::header::USER_AGENT,
                        concat!("acs-chat/", env!("CARGO_PKG_VERSION")),
                    );
                if !body.is_empty() {
                    request = request
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body(body.clone());
                }
                let response = request.send().await.map_err(from_transport)?;
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let bytes = response.bytes().await.map_err(from_transport)?;
                if status != expected_status {
                    return Err(Error::from_response(status, &headers, &bytes)
                        .with_client_request_id(Some(request_id)));
                }
                Ok(bytes)
            },
        )
        .await
    }
}

fn scope_list(scopes: impl IntoIterator<Item = CommunicationTokenScope>) -> Result<Vec<String>> {
    let scopes: Vec<String> = scopes.into_iter().map(|s| s.as_str().to_string()).collect();
    if scopes.is_empty() {
        return Err(Error::invalid_argument(
            "at least one token scope is needed",
        ));
    }
    Ok(scopes)
}

fn user_segment(user: &CommunicationUserIdentifier) -> Result<String> {
    if user.id.trim().is_empty() {
        return Err(Error::invalid_argument("the user id must not be empty"));
    }
    // Ids hold `:` but never `/`; encoding keeps any odd id inside one segment.
    Ok(user
        .id
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
