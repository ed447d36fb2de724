//! Raw REST client for the Azure Communication Services (ACS) Chat data plane,
//! api-version 2025-03-15.
//!
//! [`Client`] and the wire models in [`types`] are generated from
//! `openapi/chat.json` by `cargo xtask codegen` (see `generated.rs`). Most users
//! want the `acs-chat` facade instead; this crate is for endpoints and options
//! the facade does not cover.
//!
//! Every operation that answers with a JSON model has a twin, `<operation>_as`,
//! that decodes its success body into a type of the caller's choosing (any
//! type that reads the same JSON): `client.get_chat_message_as::<MyMessage>(..)`.
//! The `acs-chat` facade reads messages and list pages into its own models
//! this way, with no wire value between.
//!
//! [`types`] also holds the wire models of the chat events ACS publishes through
//! Azure Event Grid (`types::AcsChat*EventData`, the `data` of one event),
//! generated from `openapi/events.json`.
//!
//! This file is the hand-written part: every request of the generated client,
//! whatever the operation, has its path checked against the operation's
//! [`OperationRoute`] and then passes through one pluggable [`RequestPolicy`]
//! (each generated operation hands its route to this file's `prepare`). The
//! [`StandardPolicy`] sets the bearer token from a [`TokenSource`] (asked
//! afresh for every request, so tokens can be refreshed), the `api-version`
//! query parameter, the merge-patch content type, a `User-Agent` and an
//! `x-ms-client-request-id`; after the policy, every request gets the
//! `content-length` of its body and, over plain http, its `host`. A client
//! made with [`Client::for_attempt`] is
//! the exception: it sends its [`Attempt`]'s bearer header, request id and
//! user agent instead of asking the policy (whose `prepare` and `observe` it
//! does not call), for callers that sign and retry themselves, like the
//! `acs-chat` facade.
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
    mismatched_lifetime_syntaxes,
    unused_mut
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
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST, USER_AGENT};

/// Any error a policy or token source reports.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A boxed future, as the object-safe policy traits return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The request header carrying the client-chosen request id.
pub const CLIENT_REQUEST_ID_HEADER: &str = "x-ms-client-request-id";

/// [`CLIENT_REQUEST_ID_HEADER`] as a header name (parsed once, at compile time).
const CLIENT_REQUEST_ID: reqwest::header::HeaderName =
    reqwest::header::HeaderName::from_static(CLIENT_REQUEST_ID_HEADER);

/// The `User-Agent` product of this crate.
pub const USER_AGENT_PRODUCT: &str = concat!("acs-chat-rest/", env!("CARGO_PKG_VERSION"));

/// Method and path template of one operation of the description, and how
/// its requests may be repeated. One constant per operation is generated in
/// [`routes`] (e.g. [`routes::SEND_CHAT_MESSAGE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationRoute {
    /// The description's `operationId`, e.g. `CreateChatThread`.
    pub operation_id: &'static str,
    /// The generated method's name, e.g. `create_chat_thread` (the operation
    /// id progenitor's `OperationInfo` carries).
    pub name: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path template, e.g. `/chat/threads/{chatThreadId}`.
    pub path: &'static str,
    /// The template's literal text around its parameters, in order (one
    /// more than there are parameters): `["/chat/threads/", ""]` for the
    /// template above. What the per-request path check compares.
    pub path_parts: &'static [&'static str],
    /// Whether the body is a JSON merge patch (`application/merge-patch+json`).
    pub merge_patch: bool,
    /// Whether the service may process a request of this operation twice
    /// without a different outcome (GET, PUT, PATCH, DELETE; a POST with a
    /// repeatability header or marked `x-acs-idempotent` in the description).
    pub idempotent: bool,
    /// The header whose value makes a repeated request return the first
    /// one's result (`repeatability-request-id` of `CreateChatThread`).
    pub repeatability_header: Option<&'static str>,
}

impl OperationRoute {
    /// The route of the operation with this `operationId` or method name.
    ///
    /// ```
    /// use acs_chat_rest::{routes, OperationRoute};
    /// let route = OperationRoute::find("UpdateChatMessage").unwrap();
    /// assert!(route.merge_patch);
    /// assert_eq!(OperationRoute::find("update_chat_message"), Some(routes::UPDATE_CHAT_MESSAGE));
    /// ```
    pub fn find(operation: &str) -> Option<&'static OperationRoute> {
        routes::named(operation)
    }

    /// Whether a path (relative to the endpoint) is exactly this route's
    /// template, with every parameter filled by a non-empty segment.
    ///
    /// URL parsing resolves `.` and `..` segments, so an id of `.` or `..`
    /// changes the path; this check is what catches it.
    ///
    /// ```
    /// let route = acs_chat_rest::routes::GET_CHAT_MESSAGE;
    /// assert!(route.matches_path("/chat/threads/19:a@thread.v2/messages/1"));
    /// assert!(!route.matches_path("/chat/threads/messages/1"));
    /// assert!(!route.matches_path("/chat/threads//messages/1"));
    /// ```
    pub fn matches_path(&self, path: &str) -> bool {
        // The literal parts compared as slices, each parameter one whole,
        // non-empty segment: no parsing, splitting or allocation, as this runs
        // for every request.
        let Some((last, params)) = self.path_parts.split_last() else {
            return false;
        };
        let mut rest = path.as_bytes();
        for literal in params {
            let Some(after) = rest.strip_prefix(literal.as_bytes()) else {
                return false;
            };
            let end = after.iter().position(|&b| b == b'/').unwrap_or(after.len());
            if end == 0 {
                return false;
            }
            rest = &after[end..];
        }
        rest == last.as_bytes()
    }

    /// Checks that `request` is this route's, relative to `base_url`, before it
    /// is sent. A base URL ending in `/` makes paths like `//chat/threads`:
    /// they are collapsed to the path the service expects.
    ///
    /// ```
    /// let route = acs_chat_rest::routes::GET_CHAT_THREAD_PROPERTIES;
    /// let base = "https://contoso.communication.azure.com";
    /// let url = format!("{base}/chat/threads/19:a@thread.v2").parse()?;
    /// let mut request = reqwest::Request::new(reqwest::Method::GET, url);
    /// assert!(route.check_request(base, &mut request).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_request(
        &self,
        base_url: &str,
        request: &mut reqwest::Request,
    ) -> Result<(), String> {
        self.check_request_under(&Base::parse(base_url).path, base_url, request)
    }

    /// [`check_request`](Self::check_request) with the base URL's path
    /// already known (as [`ClientState`] keeps it): no parsing, no allocation
    /// unless the path must be collapsed.
    fn check_request_under(
        &self,
        base_path: &str,
        base_url: &str,
        request: &mut reqwest::Request,
    ) -> Result<(), String> {
        let path = request.url().path();
        // A path outside the endpoint's own (a nextLink elsewhere on the host)
        // is never this route's, whatever it ends with.
        let Some(relative) = path.strip_prefix(base_path) else {
            return Err(format!(
                "refusing to send {} {path}: it is not under {base_url}",
                request.method()
            ));
        };
        if let Some(collapsed) = relative.strip_prefix('/').filter(|r| r.starts_with('/')) {
            let collapsed = format!("{base_path}{collapsed}");
            request.url_mut().set_path(&collapsed);
            return self.check_request_under(base_path, base_url, request);
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
/// generated operations and anything that follows a `nextLink` both call it
/// (except on a [`Client::for_attempt`] client, which sends its [`Attempt`]'s
/// headers instead).
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

/// Decodes a response's JSON body into a [`ResponseValue`], as progenitor's
/// `ResponseValue::from_response` does, but moving the headers out of the
/// response rather than cloning them (the generated operations call this).
///
/// Not an `async fn`: that would copy the response into its state a second
/// time, and `reqwest::Response::bytes` keeps a collector of several hundred
/// bytes; this future is 392 bytes where theirs was 944, and every operation's
/// future holds it.
///
/// ```no_run
/// # async fn run(response: reqwest::Response) -> Result<(), acs_chat_rest::Error<()>> {
/// let value: acs_chat_rest::ResponseValue<serde_json::Value> =
///     acs_chat_rest::decode_response(response).await?;
/// println!("{}", value.status());
/// # Ok(()) }
/// ```
pub fn decode_response<T: serde::de::DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> impl Future<Output = Result<ResponseValue<T>, Error<E>>> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    async move {
        let body = match read_body(&mut response).await {
            Ok(body) => body,
            // With the URL, as `reqwest::Response::bytes` gives it.
            Err(error) => {
                let url = response.url().clone();
                return Err(Error::ResponseBodyError(error.with_url(url)));
            }
        };
        let inner =
            serde_json::from_slice(&body).map_err(|e| Error::InvalidResponsePayload(body, e))?;
        Ok(ResponseValue::new(inner, status, headers))
    }
}

/// The whole body of `response`: its one chunk as it came when there is
/// only one (a small JSON answer usually is), else the chunks joined.
async fn read_body(response: &mut reqwest::Response) -> reqwest::Result<bytes::Bytes> {
    let Some(first) = response.chunk().await? else {
        return Ok(bytes::Bytes::new());
    };
    let Some(second) = response.chunk().await? else {
        return Ok(first);
    };
    let mut joined = bytes::BytesMut::with_capacity(first.len() + second.len());
    joined.extend_from_slice(&first);
    joined.extend_from_slice(&second);
    while let Some(chunk) = response.chunk().await? {
        joined.extend_from_slice(&chunk);
    }
    Ok(joined.freeze())
}

/// The characters progenitor's `encode_path` escapes in a path segment.
const PATH_SEGMENT_ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%');

/// The bytes [`PATH_SEGMENT_ESCAPED`] leaves alone (printable ASCII but the
/// escaped few), as a table: one lookup per byte.
const PLAIN_IN_SEGMENT: [bool; 256] = {
    let mut plain = [false; 256];
    let mut b = 0x20;
    while b < 0x7f {
        plain[b] = !matches!(
            b as u8,
            b' ' | b'"' | b'#' | b'<' | b'>' | b'?' | b'`' | b'{' | b'}' | b'/' | b'%'
        );
        b += 1;
    }
    plain
};

/// Percent-encodes one path segment exactly as progenitor's `encode_path`
/// does, borrowing it when nothing needs escaping (the generated operations
/// call this; most ids need no escape, so most requests copy nothing).
///
/// ```
/// use acs_chat_rest::encode_path_segment;
/// assert_eq!(encode_path_segment("19:a@thread.v2"), "19:a@thread.v2");
/// assert_eq!(encode_path_segment("a/b c"), "a%2Fb%20c");
/// ```
pub fn encode_path_segment(segment: &str) -> std::borrow::Cow<'_, str> {
    // The common case first, one table lookup per byte: nothing to escape.
    if segment.bytes().all(|b| PLAIN_IN_SEGMENT[usize::from(b)]) {
        return std::borrow::Cow::Borrowed(segment);
    }
    percent_encoding::utf8_percent_encode(segment, PATH_SEGMENT_ESCAPED).into()
}

/// The URL of an operation: the client's base URL (parsed once per client
/// state) with `path` (its segments already escaped) under the base URL's
/// own path, and `query`.
///
/// Cheaper than formatting the whole URL and having reqwest parse it: the
/// scheme and the host (for a domain, an IDNA pass) are not parsed again.
/// A base URL with a query or a fragment is refused: neither could be kept
/// in front of the operation's path.
#[allow(
    clippy::result_large_err,
    reason = "the error of every generated operation, which returns this one with `?`"
)]
pub(crate) fn operation_url<E>(
    client: &Client,
    path: fmt::Arguments<'_>,
    query: &str,
) -> Result<reqwest::Url, progenitor_client::Error<E>> {
    use progenitor_client::ClientInfo as _;
    let base = client.inner().base(client.baseurl());
    let url = base.url.as_ref().map_err(|why| {
        let text = match *why {
            // It holds a secret: not repeated.
            NAMES_CREDENTIALS => format!("the base URL {why}: give it without them"),
            _ => format!("the base URL {:?} {why}", client.baseurl()),
        };
        progenitor_client::Error::InvalidRequest(text)
    })?;
    // Room for the escaped path of the longest ids (a Teams meeting's thread
    // id is about 70 characters), the query, and the padding below.
    let mut reference =
        String::with_capacity(base.before_path + base.path.len() + 1 + query.len() + 160);
    reference.push_str(&base.path);
    // Writing into a `String` cannot fail.
    let _ = fmt::Write::write_fmt(&mut reference, path);
    if reference.starts_with("//") || !reference.starts_with('/') {
        // Joined, `//x/...` would name the host `x`: set the path instead,
        // which keeps the host whatever the path holds.
        let mut url = url.clone();
        url.set_path(&reference);
        url.set_query(Some(query));
        return Ok(url);
    }
    reference.push('?');
    reference.push_str(query);
    // url's parser sizes the joined URL's text by the length of what it
    // reads (`String::with_capacity(input.len())` in `ParseOptions::parse`,
    // url 2.5), and puts the base's scheme and host in front: the text
    // would be grown, a `realloc`, which takes the allocator's arena lock,
    // contended when requests run on several threads. Trailing spaces make
    // the room, and the parser strips them before it reads (WHATWG URL:
    // leading and trailing C0 controls and spaces are removed). The
    // reference's own text never ends in one: its path segments are escaped
    // and the query is the generated operation's literal.
    let unpadded = reference.len();
    reference.extend(std::iter::repeat_n(' ', base.before_path));
    url.join(&reference).map_err(|e| {
        progenitor_client::Error::InvalidRequest(format!("{}: {e}", &reference[..unpadded]))
    })
}

/// The request of a `nextLink` fetch, before [`Client::prepare`]: a GET
/// asking for JSON, as the list operations' own requests do.
fn next_page_request(url: reqwest::Url) -> reqwest::Request {
    let mut request = new_request(reqwest::Method::GET, url, 1, false);
    request.headers_mut().insert(
        reqwest::header::ACCEPT,
        HeaderValue::from_static("application/json"),
    );
    request
}

/// Headers every request gets besides its operation's own: `user-agent`,
/// `x-ms-client-request-id` and `authorization` (from the policy or the
/// attempt), and `host` (set by `prepare` over http, see
/// `set_framing_headers`; over https hyper-util adds it for HTTP/1.1).
const ADDED_HEADERS: usize = 4;

/// A request of `method` to `url` whose header map is made once, with room
/// for every header it will carry: the `headers` its operation sets, the
/// [`ADDED_HEADERS`], and `content-length` when it `has_body`.
///
/// Grown later, the map would be reallocated and rehashed, and a `realloc`
/// takes the allocator's arena lock, which the runtime's threads contend
/// for. reqwest sends a copy of this map (`Vec::clone` gives its entries no
/// spare room), which keeps this map's index table: with `host` and
/// `content-length` set before the copy (`set_framing_headers`), nothing is
/// added to it over http; over https, hyper-util's `host` (HTTP/1.1) moves
/// its entries to a larger vector once.
pub(crate) fn new_request(
    method: reqwest::Method,
    url: reqwest::Url,
    headers: usize,
    has_body: bool,
) -> reqwest::Request {
    let mut request = reqwest::Request::new(method, url);
    *request.headers_mut() =
        reqwest::header::HeaderMap::with_capacity(headers + ADDED_HEADERS + usize::from(has_body));
    request
}

/// The status of `response`, and the response handed back: a generated
/// operation chooses how to decode by it without borrowing its own
/// `response` local, which would keep the response's room in the
/// operation's future through the decoding (see `scoped_operation_locals`
/// in `cargo xtask codegen`).
pub(crate) fn status_of(response: reqwest::Response) -> (u16, reqwest::Response) {
    (response.status().as_u16(), response)
}

/// Puts `body` into `request` as JSON, as reqwest's `RequestBuilder::json`
/// does (with `content-type: application/json` unless one is set): the
/// generated operations that take no query or header parameters build their
/// request directly rather than through a `RequestBuilder`, whose every step
/// moves the whole request and a handle on the HTTP client.
#[allow(
    clippy::result_large_err,
    reason = "the error of every generated operation, which returns this one with `?`"
)]
pub(crate) fn set_json_body<B: serde::Serialize + ?Sized, E>(
    request: &mut reqwest::Request,
    body: &B,
) -> Result<(), progenitor_client::Error<E>> {
    let bytes = serde_json::to_vec(body).map_err(|e| {
        progenitor_client::Error::InvalidRequest(format!(
            "the request body cannot be written as JSON: {e}"
        ))
    })?;
    request
        .headers_mut()
        .entry(CONTENT_TYPE)
        .or_insert(HeaderValue::from_static("application/json"));
    *request.body_mut() = Some(bytes.into());
    Ok(())
}

/// Why [`unusable_base_url`] refuses a URL that names a user or a password.
const NAMES_CREDENTIALS: &str = "names a user or a password";

/// Why `url` cannot be the base of the operations' URLs, if it cannot: a
/// query or a fragment could not stay in front of an operation's path, and
/// a user or a password would travel in every request's URL (and in errors
/// naming it). The reason never repeats the URL. The one rule for the
/// generated client's base URL and the facade's endpoint.
///
/// ```
/// use acs_chat_rest::unusable_base_url;
/// let ok = "https://contoso.communication.azure.com".parse().unwrap();
/// assert_eq!(unusable_base_url(&ok), None);
/// let query = "https://contoso.communication.azure.com/?x=1".parse().unwrap();
/// assert_eq!(unusable_base_url(&query), Some("has a query or a fragment"));
/// let user = "https://me:secret@contoso.communication.azure.com".parse().unwrap();
/// assert_eq!(unusable_base_url(&user), Some("names a user or a password"));
/// ```
pub fn unusable_base_url(url: &reqwest::Url) -> Option<&'static str> {
    if url.query().is_some() || url.fragment().is_some() {
        return Some("has a query or a fragment");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some(NAMES_CREDENTIALS);
    }
    None
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
    // A generated operation's URL starts its query with the version (the
    // generator puts it there) and never names it twice.
    match url.query() {
        Some(query) => {
            let rest = query
                .strip_prefix("api-version=")
                .and_then(|rest| rest.strip_prefix(API_VERSION));
            if rest.is_some_and(|rest| {
                (rest.is_empty() || rest.starts_with('&')) && !rest.contains("api-version")
            }) {
                return;
            }
        }
        None => {
            url.query_pairs_mut()
                .append_pair("api-version", API_VERSION);
            return;
        }
    }
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

/// A request id (a random UUID) as a header value, encoded without an
/// intermediate `String`.
///
/// The value owns the encoded array with its reference count in one
/// allocation, so a clone is a count: a value copied from a slice would be
/// a second allocation, and its first clone a third.
///
/// ```
/// let id = acs_chat_rest::new_request_id();
/// let text = id.to_str().unwrap();
/// assert_eq!(uuid::Uuid::parse_str(text).unwrap().get_version_num(), 4);
/// assert_eq!(text, text.to_lowercase());
/// assert_ne!(id, acs_chat_rest::new_request_id());
/// ```
pub fn new_request_id() -> HeaderValue {
    let mut buffer = [0u8; uuid::fmt::Hyphenated::LENGTH];
    uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buffer);
    HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(buffer))
        .unwrap_or_else(|_| HeaderValue::from_static("invalid-request-id"))
}

fn refuse_plain_http(url: &reqwest::Url) -> Result<(), String> {
    if may_carry_credentials(url) {
        return Ok(());
    }
    Err(format!(
        "refusing to send a bearer token over {} to {}: use https \
         (plain http is allowed only to loopback hosts)",
        url.scheme(),
        url.host_str().unwrap_or("")
    ))
}

/// Sets what every request carries except its bearer token.
fn stamp(
    request: &mut reqwest::Request,
    route: &OperationRoute,
    user_agent: &HeaderValue,
    request_id: Option<&HeaderValue>,
) {
    set_api_version(request.url_mut());
    let has_body = request.body().is_some();
    let headers = request.headers_mut();
    // Room at once for what follows (`prepare` then sets `content-length`
    // and, over http, `host`), so the map is grown at most once, here. A request made
    // by `new_request` has it already (this asks for what it was made
    // with): nothing is done.
    headers.reserve(ADDED_HEADERS + usize::from(has_body));
    if route.merge_patch {
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/merge-patch+json"),
        );
    }
    headers.insert(USER_AGENT, user_agent.clone());
    match request_id {
        Some(id) => {
            headers.insert(CLIENT_REQUEST_ID, id.clone());
        }
        None => {
            if !headers.contains_key(&CLIENT_REQUEST_ID) {
                headers.insert(CLIENT_REQUEST_ID, new_request_id());
            }
        }
    }
}

/// Sets `content-length` to the length of a buffered body, and over plain
/// http `host` to the URL's host and port (as hyper-util writes it). Run by
/// `prepare` after everything else has shaped the request, policies
/// included, so both describe the request as sent; hyper and hyper-util
/// keep a header already set.
///
/// Added by hyper, each would be the first header added to the copy of the
/// map that reqwest sends, whose entries `Vec::clone` gave no spare room.
/// They would move to a larger allocation: for a send, 1,040 bytes, past
/// the 1,032 that glibc's per-thread cache keeps, so taken and given back
/// under an arena lock that the runtime's threads contend for. On the c=16
/// send benchmark, the facade's futex calls per request went from above
/// bare reqwest's to below them.
///
/// `host` is set only for `http`, where a token may go only to a loopback
/// host and the connection is HTTP/1.1 (which requires it) unless the
/// client was told to use HTTP/2 without negotiation, which allows it when
/// equal to `:authority` (it is). Over `https` the protocol is negotiated
/// per connection, and `host` is left to hyper-util, which adds it for
/// HTTP/1.1 only. A reqwest client that follows redirects keeps the first
/// request's headers for the next hop: the facade's own client follows
/// none, and one of your own that does would send this `host` on to a
/// redirect from a loopback http endpoint to another authority.
fn set_framing_headers(request: &mut reqwest::Request) {
    let length = request
        .body()
        .and_then(reqwest::Body::as_bytes)
        .map(<[u8]>::len);
    let host = match request.url().scheme() {
        "http" => host_header(request.url()),
        _ => None,
    };
    let headers = request.headers_mut();
    if let Some(length) = length {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
    }
    if let Some(host) = host {
        headers.entry(HOST).or_insert(host);
    }
}

/// The `host` header of `url` as hyper-util writes it: the host, and the
/// port unless it is the scheme's default (which `url` leaves out).
fn host_header(url: &reqwest::Url) -> Option<HeaderValue> {
    let host = url.host_str()?;
    let value = match url.port() {
        None => HeaderValue::from_str(host),
        Some(port) => {
            let mut text = String::with_capacity(host.len() + 6);
            text.push_str(host);
            text.push(':');
            text.push_str(itoa::Buffer::new().format(port));
            HeaderValue::from_maybe_shared(bytes::Bytes::from(text))
        }
    };
    value.ok()
}

impl RequestPolicy for StandardPolicy {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        route: &'static OperationRoute,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move {
            refuse_plain_http(request.url())?;
            stamp(request, route, &self.user_agent, None);
            let token = self.token_source.token().await?;
            let mut authorization = HeaderValue::try_from(format!("Bearer {token}"))
                .map_err(|_| "the access token contains characters not allowed in a header")?;
            authorization.set_sensitive(true);
            request.headers_mut().insert(AUTHORIZATION, authorization);
            Ok(())
        })
    }
}

/// The status and (for an error, 400 and up) the headers of a response, as
/// an [`Attempt`] records them before the body is decoded.
#[derive(Debug, Clone)]
pub struct ResponseHead {
    /// The HTTP status.
    pub status: reqwest::StatusCode,
    /// The headers of an error response; empty for a success (copying them
    /// would be waste: only an error is explained by them).
    pub headers: reqwest::header::HeaderMap,
}

/// One attempt of one request, settled by the caller before it is sent: its
/// bearer header, request id and user agent. A [`Client`] made with
/// [`Client::for_attempt`] sends with these instead of asking its policy,
/// and records the response's [`ResponseHead`] here, so that a caller with
/// its own retries and credential (the `acs-chat` facade) learns what the
/// attempt did without any ambient state.
///
/// ```
/// use acs_chat_rest::{new_request_id, Attempt, Client, ClientState};
/// use reqwest::header::HeaderValue;
///
/// let shared = Client::new("https://contoso.communication.azure.com", ClientState::with_token("t"));
/// let attempt = Attempt::new(
///     HeaderValue::from_static("Bearer <token>"),
///     new_request_id(),
///     HeaderValue::from_static("my-app/1.0"),
/// );
/// let client = shared.for_attempt(attempt);
/// assert!(client.attempt().unwrap().response().is_none());
/// ```
#[derive(Debug, Clone)]
pub struct Attempt {
    authorization: HeaderValue,
    request_id: HeaderValue,
    user_agent: HeaderValue,
    response: std::sync::OnceLock<ResponseHead>,
}

impl Attempt {
    /// An attempt sending `authorization` (the whole `Bearer <token>` value,
    /// marked sensitive here), `request_id` and `user_agent`.
    ///
    /// ```
    /// use acs_chat_rest::{new_request_id, Attempt};
    /// use reqwest::header::HeaderValue;
    ///
    /// let attempt = Attempt::new(
    ///     HeaderValue::from_static("Bearer <token>"),
    ///     new_request_id(),
    ///     HeaderValue::from_static("my-app/1.0"),
    /// );
    /// assert_eq!(attempt.request_id().len(), 36);
    /// ```
    pub fn new(
        mut authorization: HeaderValue,
        request_id: HeaderValue,
        user_agent: HeaderValue,
    ) -> Self {
        authorization.set_sensitive(true);
        Self {
            authorization,
            request_id,
            user_agent,
            response: std::sync::OnceLock::new(),
        }
    }

    /// The `x-ms-client-request-id` the attempt sends.
    ///
    /// ```
    /// # use acs_chat_rest::{Attempt};
    /// # use reqwest::header::HeaderValue;
    /// let attempt = Attempt::new(
    ///     HeaderValue::from_static("Bearer t"),
    ///     HeaderValue::from_static("4f1c1b7e-0000-4000-8000-000000000000"),
    ///     HeaderValue::from_static("my-app/1.0"),
    /// );
    /// assert_eq!(attempt.request_id(), "4f1c1b7e-0000-4000-8000-000000000000");
    /// ```
    pub fn request_id(&self) -> &str {
        // Only a visible-ASCII value can be a header value made from a UUID;
        // one given otherwise reads as empty.
        self.request_id.to_str().unwrap_or_default()
    }

    /// What came back, once a response arrived (before its body was read).
    ///
    /// ```
    /// # use acs_chat_rest::{new_request_id, Attempt};
    /// # use reqwest::header::HeaderValue;
    /// let attempt = Attempt::new(HeaderValue::from_static("Bearer t"), new_request_id(), HeaderValue::from_static("a/1"));
    /// assert!(attempt.response().is_none());
    /// ```
    pub fn response(&self) -> Option<&ResponseHead> {
        self.response.get()
    }

    fn record(&self, outcome: &Result<reqwest::Response, reqwest::Error>) {
        if let Ok(response) = outcome {
            let status = response.status();
            let headers = if status.as_u16() >= 400 {
                response.headers().clone()
            } else {
                reqwest::header::HeaderMap::new()
            };
            // A second response in one attempt cannot happen (one request per
            // attempt client); if it did, the first is kept.
            let _ = self.response.set(ResponseHead { status, headers });
        }
    }
}

/// What every clone of a client's state shares.
struct SharedState {
    policy: Arc<dyn RequestPolicy>,
    /// The base URL parsed, worked out once, on the first request.
    base: std::sync::OnceLock<Base>,
}

/// A client's base URL, parsed.
#[derive(Clone)]
struct Base {
    /// The text it was parsed from.
    source: String,
    /// Why it cannot be used, when it cannot: not a URL, or refused by
    /// [`unusable_base_url`] (checked once here, not per request).
    url: Result<reqwest::Url, &'static str>,
    /// Its path without a trailing `/` (empty for the root).
    path: String,
    /// How long its text is before the path (`https://host:port`): what an
    /// operation's URL adds in front of the reference it is joined from.
    before_path: usize,
}

impl Base {
    fn parse(base_url: &str) -> Self {
        let parsed = reqwest::Url::parse(base_url).map_err(|_| "is not a URL");
        let (path, before_path) = parsed
            .as_ref()
            .map(|url| {
                (
                    url.path().trim_end_matches('/').to_string(),
                    url[..url::Position::BeforePath].len(),
                )
            })
            .unwrap_or_default();
        let url = parsed.and_then(|url| match unusable_base_url(&url) {
            Some(why) => Err(why),
            None => Ok(url),
        });
        Self {
            source: base_url.to_owned(),
            url,
            path,
            before_path,
        }
    }
}

/// The state every generated [`Client`] carries: its request policy, and for
/// a client made by [`Client::for_attempt`], that [`Attempt`].
#[derive(Clone)]
pub struct ClientState {
    shared: Arc<SharedState>,
    attempt: Option<Attempt>,
}

impl ClientState {
    /// State applying `policy` to every request.
    pub fn new(policy: impl RequestPolicy + 'static) -> Self {
        Self {
            shared: Arc::new(SharedState {
                policy: Arc::new(policy),
                base: std::sync::OnceLock::new(),
            }),
            attempt: None,
        }
    }

    /// State signing every request with one fixed token through the [`StandardPolicy`].
    pub fn with_token(token: impl Into<String>) -> Self {
        Self::new(StandardPolicy::new(StaticToken::new(token)))
    }

    /// The policy requests pass through.
    pub fn policy(&self) -> &Arc<dyn RequestPolicy> {
        &self.shared.policy
    }

    /// `base_url` parsed: the one kept, unless this state is shared by
    /// clients of different base URLs (a cloned state given to
    /// `Client::new_with_client`) and the kept one is another's.
    fn base(&self, base_url: &str) -> std::borrow::Cow<'_, Base> {
        let kept = self.shared.base.get_or_init(|| Base::parse(base_url));
        if kept.source == base_url {
            std::borrow::Cow::Borrowed(kept)
        } else {
            std::borrow::Cow::Owned(Base::parse(base_url))
        }
    }
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState").finish_non_exhaustive()
    }
}

impl Client {
    /// A client for one attempt of one request, sharing this one's HTTP
    /// client and policy state, sending with `attempt`'s headers and
    /// recording its response head there. Cheap: reference counts and the
    /// base URL.
    ///
    /// ```
    /// use acs_chat_rest::{new_request_id, Attempt, Client, ClientState};
    /// use reqwest::header::HeaderValue;
    ///
    /// let shared = Client::new("https://contoso.communication.azure.com", ClientState::with_token("t"));
    /// let attempt = Attempt::new(HeaderValue::from_static("Bearer t"), new_request_id(), HeaderValue::from_static("a/1"));
    /// let one = shared.for_attempt(attempt);
    /// use acs_chat_rest::ClientInfo;
    /// assert_eq!(one.baseurl(), shared.baseurl());
    /// ```
    pub fn for_attempt(&self, attempt: Attempt) -> Client {
        let state = ClientState {
            shared: self.inner().shared.clone(),
            attempt: Some(attempt),
        };
        Client::new_with_client(self.baseurl(), self.client().clone(), state)
    }

    /// The attempt a [`for_attempt`](Self::for_attempt) client sends.
    ///
    /// ```
    /// use acs_chat_rest::{Client, ClientState};
    /// let client = Client::new("https://contoso.communication.azure.com", ClientState::with_token("t"));
    /// assert!(client.attempt().is_none());
    /// ```
    pub fn attempt(&self) -> Option<&Attempt> {
        self.inner().attempt.as_ref()
    }

    /// Checks and signs a request of `route` before it is sent: every
    /// generated operation calls this with its own route constant (see
    /// `hooks_by_route` in `cargo xtask codegen`), as the paging fetches do.
    async fn prepare<E>(
        &self,
        request: &mut reqwest::Request,
        route: &'static OperationRoute,
    ) -> Result<(), Error<E>> {
        let state = self.inner();
        route
            .check_request_under(&state.base(self.baseurl()).path, self.baseurl(), request)
            .map_err(Error::InvalidRequest)?;
        match &state.attempt {
            Some(attempt) => {
                refuse_plain_http(request.url()).map_err(Error::Custom)?;
                stamp(
                    request,
                    route,
                    &attempt.user_agent,
                    Some(&attempt.request_id),
                );
                request
                    .headers_mut()
                    .insert(AUTHORIZATION, attempt.authorization.clone());
            }
            None => state
                .policy()
                .prepare(request, route)
                .await
                .map_err(|e| Error::Custom(e.to_string()))?,
        }
        set_framing_headers(request);
        Ok(())
    }

    /// Shows the outcome of a request of `route` to the attempt or the
    /// policy; called by every generated operation and paging fetch.
    fn observe(
        &self,
        route: &'static OperationRoute,
        outcome: &Result<reqwest::Response, reqwest::Error>,
    ) {
        match &self.inner().attempt {
            Some(attempt) => attempt.record(outcome),
            None => self.inner().policy().observe(route, outcome),
        }
    }
}

/// Progenitor's hooks, which see only an operation's name. The generated
/// operations do not call them (`cargo xtask codegen` rewrites each to call
/// `prepare` and `observe` with its route constant, and fails if one is
/// left); they stay for code that sends its own requests through them.
impl ClientHooks<ClientState> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        let route = OperationRoute::find(info.operation_id)
            .ok_or_else(|| Error::Custom(format!("unknown operation {}", info.operation_id)))?;
        self.prepare(request, route).await
    }

    async fn post<E>(
        &self,
        outcome: &reqwest::Result<reqwest::Response>,
        info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        if let Some(route) = OperationRoute::find(info.operation_id) {
            self.observe(route, outcome);
        }
        Ok(())
    }
}

impl Client {
    /// Sends a GET to `url` (a `nextLink` from a page of `operation_id`'s
    /// results) through the same policy as the operation itself. The caller
    /// decides whether the URL is trusted; its path must still be the
    /// operation's.
    ///
    /// ```no_run
    /// # async fn run(client: acs_chat_rest::Client, next_link: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// let response = client.get_next_page("ListChatMessages", next_link.parse()?).await?;
    /// let page: acs_chat_rest::types::ChatMessagesCollection = response.json().await?;
    /// # Ok(()) }
    /// ```
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
        self.send_next_page(route, url).await
    }

    async fn send_next_page<E>(
        &self,
        route: &'static OperationRoute,
        url: reqwest::Url,
    ) -> Result<reqwest::Response, Error<E>> {
        // Scoped as the generated operations are (`scoped_operation_locals`
        // in `cargo xtask codegen`): a borrowed local keeps its room in the
        // future until its scope ends.
        let execute = {
            let mut request = next_page_request(url);
            self.prepare(&mut request, route).await?;
            self.client().execute(request)
        };
        let outcome = execute.await;
        self.observe(route, &outcome);
        outcome.map_err(Error::CommunicationError)
    }

    /// Fetches and decodes the page at `url` (a `nextLink` of `route`, a list
    /// operation), answering exactly like the generated operation does: the
    /// page on 200, [`Error::ErrorResponse`] with the service's error on 4xx
    /// and 5xx, [`Error::UnexpectedResponse`] otherwise.
    ///
    /// ```no_run
    /// # async fn run(client: acs_chat_rest::Client, next_link: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// use acs_chat_rest::{routes, types::ChatMessagesCollection};
    /// let page = client
    ///     .next_page::<ChatMessagesCollection>(routes::LIST_CHAT_MESSAGES, next_link.parse()?)
    ///     .await?;
    /// println!("{} messages", page.value.len());
    /// # Ok(()) }
    /// ```
    pub async fn next_page<T: serde::de::DeserializeOwned>(
        &self,
        route: &'static OperationRoute,
        url: reqwest::Url,
    ) -> Result<ResponseValue<T>, Error<types::CommunicationErrorResponse>> {
        if route.method != "GET" {
            return Err(Error::InvalidRequest(format!(
                "{} is not a list operation",
                route.operation_id
            )));
        }
        let response = self.send_next_page(route, url).await?;
        let (status, response) = status_of(response);
        match status {
            200 => decode_response(response).await,
            400..=599 => Err(Error::ErrorResponse(decode_response(response).await?)),
            _ => Err(Error::UnexpectedResponse(response)),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{ACCEPT, AUTHORIZATION};

    #[test]
    fn an_operation_url_is_the_base_joined_with_the_reference_and_no_padding_left_in_it() {
        let client = Client::new(
            "https://contoso.communication.azure.com/acs/",
            ClientState::with_token("t"),
        );
        let url = operation_url::<()>(
            &client,
            format_args!(
                "/chat/threads/{}/messages",
                encode_path_segment("19:a b@thread.v2")
            ),
            "api-version=2025-03-15",
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://contoso.communication.azure.com/acs/chat/threads/19:a%20b@thread.v2/messages?api-version=2025-03-15"
        );
    }

    /// What `prepare` adds (and, with a body, `set_json_body`) fits in the
    /// room `new_request` made, with `host` still to come over https (from
    /// hyper-util, over HTTP/1.1): the counts codegen passes for a body and
    /// for none, and the `nextLink` fetch's.
    #[tokio::test]
    async fn prepare_adds_its_headers_within_the_room_the_request_was_made_with() {
        let shared = Client::new(
            "https://contoso.communication.azure.com",
            ClientState::with_token("t"),
        );
        let client = shared.for_attempt(Attempt::new(
            HeaderValue::from_static("Bearer t"),
            new_request_id(),
            HeaderValue::from_static("a/1"),
        ));
        let message_url = || {
            operation_url::<()>(
                &client,
                format_args!("/chat/threads/{}/messages/{}", "19:t@thread.v2", "1"),
                "api-version=2025-03-15",
            )
            .unwrap()
        };
        let update = || {
            let mut request = new_request(reqwest::Method::PATCH, message_url(), 2, true);
            request
                .headers_mut()
                .append(ACCEPT, HeaderValue::from_static("application/json"));
            set_json_body::<_, ()>(&mut request, &serde_json::json!({"content": "x"})).unwrap();
            request
        };
        let get = || {
            let mut request = new_request(reqwest::Method::GET, message_url(), 1, false);
            request
                .headers_mut()
                .append(ACCEPT, HeaderValue::from_static("application/json"));
            request
        };
        let next_page = || {
            next_page_request(
                "https://contoso.communication.azure.com/chat/threads/19:t@thread.v2/messages?api-version=2025-03-15&syncState=x"
                    .parse()
                    .unwrap(),
            )
        };
        let cases: [(&str, reqwest::Request, &'static OperationRoute, usize); 3] = [
            ("update", update(), routes::UPDATE_CHAT_MESSAGE, 1),
            ("get", get(), routes::GET_CHAT_MESSAGE, 1),
            ("next page", next_page(), routes::LIST_CHAT_MESSAGES, 1),
        ];
        for (name, mut request, route, still_to_come) in cases {
            let room = request.headers().capacity();
            let has_body = request.body().is_some();
            client.prepare::<()>(&mut request, route).await.unwrap();
            let headers = request.headers();
            assert!(headers.contains_key(AUTHORIZATION), "{name}");
            assert_eq!(headers.contains_key(CONTENT_LENGTH), has_body, "{name}");
            assert_eq!(headers.capacity(), room, "{name}: the map grew");
            assert!(
                headers.len() + still_to_come <= room,
                "{name}: {} headers and {still_to_come} to come in room for {room}",
                headers.len()
            );
        }
    }

    #[test]
    fn framing_headers_carry_the_body_length_and_the_host() {
        let prepared = |url: &str, body: Option<&'static str>| {
            let mut request = reqwest::Request::new(reqwest::Method::POST, url.parse().unwrap());
            if let Some(body) = body {
                *request.body_mut() = Some(body.into());
            }
            set_framing_headers(&mut request);
            let header = |name| {
                request
                    .headers()
                    .get(name)
                    .map(|v: &HeaderValue| v.to_str().unwrap().to_owned())
            };
            (header(HOST), header(CONTENT_LENGTH))
        };
        let some = |text: &str| Some(text.to_owned());
        assert_eq!(
            prepared("http://127.0.0.1:8080/chat/threads", Some("{}")),
            (some("127.0.0.1:8080"), some("2"))
        );
        assert_eq!(
            prepared("http://localhost/x", None),
            (some("localhost"), None)
        );
        assert_eq!(
            prepared("http://localhost:80/x", None),
            (some("localhost"), None)
        );
        assert_eq!(
            prepared("http://[::1]:9/x", Some("")),
            (some("[::1]:9"), some("0"))
        );
        // Over https the protocol is negotiated: `host` is left to hyper.
        assert_eq!(
            prepared(
                "https://contoso.communication.azure.com/x",
                Some("{\"a\":1}")
            ),
            (None, some("7"))
        );
        // A `host` already set is kept.
        let mut request = reqwest::Request::new(
            reqwest::Method::GET,
            "http://127.0.0.1:1/x".parse().unwrap(),
        );
        request
            .headers_mut()
            .insert(HOST, HeaderValue::from_static("example.test"));
        set_framing_headers(&mut request);
        assert_eq!(request.headers().get(HOST).unwrap(), "example.test");
    }

    /// `prepare` frames a request after its policy has shaped it, so a policy
    /// that changes the body after the standard one still sends its length.
    #[tokio::test]
    async fn prepare_frames_what_the_policy_made() {
        struct Padding(StandardPolicy);
        impl RequestPolicy for Padding {
            fn prepare<'a>(
                &'a self,
                request: &'a mut reqwest::Request,
                route: &'static OperationRoute,
            ) -> BoxFuture<'a, Result<(), BoxError>> {
                Box::pin(async move {
                    self.0.prepare(request, route).await?;
                    *request.body_mut() = Some(r#"{"content":"x"}   "#.into());
                    Ok(())
                })
            }
        }
        let client = Client::new(
            "http://127.0.0.1:9",
            ClientState::new(Padding(StandardPolicy::new(StaticToken::new("t")))),
        );
        let url = operation_url::<()>(
            &client,
            format_args!("/chat/threads/{}/messages", "19:t@thread.v2"),
            "api-version=2025-03-15",
        )
        .unwrap();
        let mut request = new_request(reqwest::Method::POST, url, 2, true);
        set_json_body::<_, ()>(&mut request, &serde_json::json!({"content": "x"})).unwrap();
        client
            .prepare::<()>(&mut request, routes::SEND_CHAT_MESSAGE)
            .await
            .unwrap();
        let headers = request.headers();
        assert!(headers.contains_key(AUTHORIZATION));
        assert_eq!(headers[HOST], "127.0.0.1:9");
        assert_eq!(headers[CONTENT_LENGTH], "18");
    }

    /// What hyper writes for a request `prepare` set the framing headers of:
    /// each of them once, with the values of the request.
    #[tokio::test]
    async fn hyper_sends_the_framing_headers_once() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut received = Vec::new();
            let mut buffer = [0u8; 4096];
            // The head and the small body arrive together or in a few reads.
            for _ in 0..50 {
                let n = socket.read(&mut buffer).await.unwrap();
                received.extend_from_slice(&buffer[..n]);
                let text = String::from_utf8_lossy(&received);
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|line| line.strip_prefix("content-length: "))
                        .and_then(|value| value.parse::<usize>().ok())
                        .unwrap_or(0);
                    if n == 0 || body.len() >= length {
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            let reply = "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 10\r\n\r\n{\"id\":\"1\"}";
            socket.write_all(reply.as_bytes()).await.unwrap();
            String::from_utf8(received).unwrap()
        });
        let shared = Client::new(
            &format!("http://127.0.0.1:{port}"),
            ClientState::with_token("t"),
        );
        let client = shared.for_attempt(Attempt::new(
            HeaderValue::from_static("Bearer t"),
            new_request_id(),
            HeaderValue::from_static("a/1"),
        ));
        let body = types::SendChatMessageRequest {
            content: "hello".to_owned(),
            metadata: Default::default(),
            sender_display_name: None,
            type_: None,
        };
        let sent = client
            .send_chat_message("19:t@thread.v2", &body)
            .await
            .unwrap();
        assert_eq!(sent.id, "1");
        let request = server.await.unwrap();
        let (head, body_text) = request.split_once("\r\n\r\n").unwrap();
        let values = |name: &str| -> Vec<String> {
            head.lines()
                .filter_map(|line| line.split_once(": "))
                .filter(|(field, _)| field.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.to_owned())
                .collect()
        };
        assert_eq!(values("host"), [format!("127.0.0.1:{port}")], "{head}");
        assert_eq!(
            values("content-length"),
            [body_text.len().to_string()],
            "{head}"
        );
    }
}
