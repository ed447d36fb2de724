//! Raw REST client for the Azure Communication Services (ACS) Chat data plane,
//! api-version 2025-03-15.
//!
//! [`Client`] and the wire models in [`types`] are generated from
//! `openapi/chat.json` by `cargo xtask codegen` (see `generated.rs`). Most users
//! want the `acs-chat` facade instead; this crate is for endpoints and options
//! the facade does not cover.
//!
//! [`types`] also holds the wire models of the chat events ACS publishes through
//! Azure Event Grid (`types::AcsChat*EventData`, the `data` of one event),
//! generated from `openapi/events.json`.
//!
//! This file is the hand-written part: every request of the generated client,
//! whatever the operation, passes through one pluggable [`RequestPolicy`]
//! (progenitor's `pre` hook). The [`StandardPolicy`] sets the bearer token
//! from a [`TokenSource`] (asked afresh for every request, so tokens can be
//! refreshed), the `api-version` query parameter, the merge-patch content type,
//! a `User-Agent` and an `x-ms-client-request-id`.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use acs_chat_rest::{Client, ClientState};
//!
//! let client = Client::new(
//!     "https://contoso.communication.azure.com",
//!     ClientState::with_token("<an ACS user access token>"),
//! );
//! let thread = client
//!     .get_chat_thread_properties("19:abc@thread.v2")
//!     .await?
//!     .into_inner();
//! println!("{}", thread.topic);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    unused_imports,
    irrefutable_let_patterns,
    mismatched_lifetime_syntaxes
)]
// Formatted by prettyplease in `cargo xtask codegen`; rustfmt must leave it
// byte-identical so that `--check` stays meaningful.
#[rustfmt::skip]
mod generated;
pub use generated::*;

/// Typed httpmock helpers: `MockServer::create_chat_thread(|when, then| ..)`.
#[cfg(feature = "httpmock")]
#[allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    unused_imports,
    mismatched_lifetime_syntaxes
)]
#[rustfmt::skip]
pub mod mock;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};

/// Any error a policy or token source reports.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A boxed future, as the object-safe policy traits return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The request header carrying the client-chosen request id.
pub const CLIENT_REQUEST_ID_HEADER: &str = "x-ms-client-request-id";

/// The `User-Agent` product of this crate.
pub const USER_AGENT_PRODUCT: &str = concat!("acs-chat-rest/", env!("CARGO_PKG_VERSION"));

/// Method and path template of one operation of the description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationRoute {
    /// The description's `operationId`, e.g. `CreateChatThread`.
    pub operation_id: &'static str,
    /// The generated method's name, e.g. `create_chat_thread` (what progenitor's
    /// hooks see as the operation id).
    pub name: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path template, e.g. `/chat/threads/{chatThreadId}`.
    pub path: &'static str,
    /// Whether the body is a JSON merge patch (`application/merge-patch+json`).
    pub merge_patch: bool,
}

impl OperationRoute {
    /// The route of the operation with this `operationId` or method name.
    ///
    /// ```
    /// use acs_chat_rest::OperationRoute;
    /// let route = OperationRoute::find("UpdateChatMessage").unwrap();
    /// assert!(route.merge_patch);
    /// assert_eq!(OperationRoute::find("update_chat_message"), Some(route));
    /// ```
    pub fn find(operation: &str) -> Option<&'static OperationRoute> {
        OPERATION_ROUTES
            .iter()
            .find(|route| route.operation_id == operation || route.name == operation)
    }

    /// Whether a path (relative to the endpoint) is exactly this route's
    /// template, with every parameter filled by a non-empty segment.
    ///
    /// URL parsing resolves `.` and `..` segments, so an id of `.` or `..`
    /// changes the path; this check is what catches it.
    ///
    /// ```
    /// let route = acs_chat_rest::OperationRoute::find("GetChatMessage").unwrap();
    /// assert!(route.matches_path("/chat/threads/19:a@thread.v2/messages/1"));
    /// assert!(!route.matches_path("/chat/threads/messages/1"));
    /// assert!(!route.matches_path("/chat/threads//messages/1"));
    /// ```
    pub fn matches_path(&self, path: &str) -> bool {
        let template: Vec<&str> = self.path.split('/').collect();
        let actual: Vec<&str> = path.split('/').collect();
        template.len() == actual.len()
            && template.iter().zip(&actual).all(|(expected, segment)| {
                if expected.starts_with('{') && expected.ends_with('}') {
                    !segment.is_empty()
                } else {
                    expected == segment
                }
            })
    }

    /// Checks that `request` is this route's, relative to `base_url`, before it
    /// is sent. A base URL ending in `/` makes paths like `//chat/threads`:
    /// they are collapsed to the path the service expects.
    pub fn check_request(
        &self,
        base_url: &str,
        request: &mut reqwest::Request,
    ) -> Result<(), String> {
        let base_path = reqwest::Url::parse(base_url)
            .map(|url| url.path().trim_end_matches('/').to_string())
            .unwrap_or_default();
        let path = request.url().path().to_string();
        // A path outside the endpoint's own (a nextLink elsewhere on the host)
        // is never this route's, whatever it ends with.
        let Some(mut relative) = path.strip_prefix(base_path.as_str()) else {
            return Err(format!(
                "refusing to send {} {path}: it is not under {base_url}",
                request.method()
            ));
        };
        if relative.starts_with("//") {
            relative = &relative[1..];
            let collapsed = format!("{base_path}{relative}");
            request.url_mut().set_path(&collapsed);
        }
        if request.method().as_str() == self.method && self.matches_path(relative) {
            return Ok(());
        }
        Err(format!(
            "refusing to send {} {path}: it does not match {} {} under {base_url} \
             (ids must not be empty, `.` or `..`)",
            request.method(),
            self.method,
            self.path
        ))
    }
}

/// Supplies the bearer token of a request. Called for every request, so an
/// implementation can refresh tokens.
pub trait TokenSource: Send + Sync {
    /// The current access token (without the `Bearer ` prefix).
    fn token(&self) -> BoxFuture<'_, Result<String, BoxError>>;
}

/// A fixed token, for scripts and tests. Its `Debug` never shows the token.
#[derive(Clone)]
pub struct StaticToken(Arc<str>);

impl StaticToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(Arc::from(token.into()))
    }
}

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticToken(REDACTED)")
    }
}

impl TokenSource for StaticToken {
    fn token(&self) -> BoxFuture<'_, Result<String, BoxError>> {
        let token = self.0.to_string();
        Box::pin(async move { Ok(token) })
    }
}

/// Prepares every request before it is sent. One policy serves a client; the
/// generated operations and anything that follows a `nextLink` both call it.
pub trait RequestPolicy: Send + Sync {
    /// Adjusts `request` (headers, query) for `route`, or refuses to send it.
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        route: &'static OperationRoute,
    ) -> BoxFuture<'a, Result<(), BoxError>>;

    /// Sees the outcome of a request of `route` before the client decodes it
    /// (e.g. to record the status and headers of an error response whose body
    /// turns out not to be JSON). Does nothing by default.
    fn observe(
        &self,
        route: &'static OperationRoute,
        outcome: &Result<reqwest::Response, reqwest::Error>,
    ) {
        let _ = (route, outcome);
    }
}

/// The policy every ACS Chat request needs.
///
/// In order: refuses to send a token over plain http to anything but a
/// loopback host, sets `api-version` to [`API_VERSION`], the merge-patch
/// content type where the operation takes one, `User-Agent`, an
/// `x-ms-client-request-id` unless the request already has one, and finally
/// `Authorization: Bearer <token>`. (The client hook has already checked that
/// the path is the operation's, so ids like `..` cannot redirect a request.)
pub struct StandardPolicy {
    token_source: Arc<dyn TokenSource>,
    user_agent: HeaderValue,
}

impl StandardPolicy {
    /// A policy signing requests with tokens from `token_source`.
    pub fn new(token_source: impl TokenSource + 'static) -> Self {
        Self::from_arc(Arc::new(token_source))
    }

    /// Like [`StandardPolicy::new`], for a shared token source.
    pub fn from_arc(token_source: Arc<dyn TokenSource>) -> Self {
        Self {
            token_source,
            user_agent: HeaderValue::from_static(USER_AGENT_PRODUCT),
        }
    }

    /// Puts `product` (e.g. `acs-chat/0.1.0 myapp/2`) before this crate's own
    /// `User-Agent` product. A value that is not a valid header is ignored.
    pub fn with_user_agent_prefix(mut self, product: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(&format!("{product} {USER_AGENT_PRODUCT}")) {
            self.user_agent = value;
        }
        self
    }
}

impl fmt::Debug for StandardPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StandardPolicy")
            .field("user_agent", &self.user_agent)
            .finish_non_exhaustive()
    }
}

/// Whether credentials may be sent to `url`: over https, or over plain http
/// to a loopback host only (a local emulator). The one rule for the raw
/// client's policy, the facade's endpoint check and the identity client.
pub fn may_carry_credentials(url: &reqwest::Url) -> bool {
    url.scheme() == "https" || (url.scheme() == "http" && is_loopback(url))
}

/// Whether a URL's host is a loopback address (`localhost`, 127.0.0.0/8, `::1`).
pub fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => {
            domain.eq_ignore_ascii_case("localhost") || domain.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Replaces any `api-version` in the query with [`API_VERSION`].
pub fn set_api_version(url: &mut reqwest::Url) {
    let others: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| name != "api-version")
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let mut query = url.query_pairs_mut();
    query.clear();
    query.extend_pairs(others);
    query.append_pair("api-version", API_VERSION);
}

impl RequestPolicy for StandardPolicy {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        route: &'static OperationRoute,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move {
            if !may_carry_credentials(request.url()) {
                return Err(format!(
                    "refusing to send a bearer token over {} to {}: use https \
                     (plain http is allowed only to loopback hosts)",
                    request.url().scheme(),
                    request.url().host_str().unwrap_or("")
                )
                .into());
            }
            set_api_version(request.url_mut());
            let headers = request.headers_mut();
            // progenitor also sends the version as an `api-version` header; ACS
            // reads only the query parameter, so the header is dropped.
            headers.remove("api-version");
            if route.merge_patch {
                headers.insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/merge-patch+json"),
                );
            }
            headers.insert(USER_AGENT, self.user_agent.clone());
            if !headers.contains_key(CLIENT_REQUEST_ID_HEADER) {
                let id = uuid::Uuid::new_v4().to_string();
                headers.insert(CLIENT_REQUEST_ID_HEADER, HeaderValue::try_from(id)?);
            }
            let token = self.token_source.token().await?;
            let mut authorization = HeaderValue::try_from(format!("Bearer {token}"))
                .map_err(|_| "the access token contains characters not allowed in a header")?;
            authorization.set_sensitive(true);
            request.headers_mut().insert(AUTHORIZATION, authorization);
            Ok(())
        })
    }
}

/// The state every generated [`Client`] carries: its request policy.
#[derive(Clone)]
pub struct ClientState {
    policy: Arc<dyn RequestPolicy>,
}

impl ClientState {
    /// State applying `policy` to every request.
    pub fn new(policy: impl RequestPolicy + 'static) -> Self {
        Self {
            policy: Arc::new(policy),
        }
    }

    /// State signing every request with one fixed token through the [`StandardPolicy`].
    pub fn with_token(token: impl Into<String>) -> Self {
        Self::new(StandardPolicy::new(StaticToken::new(token)))
    }

    /// The policy requests pass through.
    pub fn policy(&self) -> &Arc<dyn RequestPolicy> {
        &self.policy
    }
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState").finish_non_exhaustive()
    }
}

impl ClientHooks<ClientState> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        let route = OperationRoute::find(info.operation_id)
            .ok_or_else(|| Error::Custom(format!("unknown operation {}", info.operation_id)))?;
        route
            .check_request(self.baseurl(), request)
            .map_err(Error::InvalidRequest)?;
        self.inner()
            .policy
            .prepare(request, route)
            .await
            .map_err(|e| Error::Custom(e.to_string()))
    }

    async fn post<E>(
        &self,
        outcome: &reqwest::Result<reqwest::Response>,
        info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        if let Some(route) = OperationRoute::find(info.operation_id) {
            self.inner().policy.observe(route, outcome);
        }
        Ok(())
    }
}

impl Client {
    /// Sends a GET to `url` (a `nextLink` from a page of `operation_id`'s
    /// results) through the same policy as the operation itself. The caller
    /// decides whether the URL is trusted; its path must still be the
    /// operation's.
    pub async fn get_next_page(
        &self,
        operation_id: &str,
        url: reqwest::Url,
    ) -> Result<reqwest::Response, Error<()>> {
        let route = OperationRoute::find(operation_id)
            .filter(|route| route.method == "GET")
            .ok_or_else(|| {
                Error::InvalidRequest(format!("{operation_id} is not a list operation"))
            })?;
        let mut request = reqwest::Request::new(reqwest::Method::GET, url);
        request.headers_mut().insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        route
            .check_request(self.baseurl(), &mut request)
            .map_err(Error::InvalidRequest)?;
        let policy = &self.inner().policy;
        policy
            .prepare(&mut request, route)
            .await
            .map_err(|e| Error::Custom(e.to_string()))?;
        let outcome = self.client().execute(request).await;
        policy.observe(route, &outcome);
        outcome.map_err(Error::CommunicationError)
    }
}

impl types::AcsChatEventVersion {
    /// The version as a number, whichever way the event carried it; `None`
    /// when it was a string that is not a 64-bit integer.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Int64(version) => Some(*version),
            Self::String(version) => version.parse().ok(),
        }
    }
}
