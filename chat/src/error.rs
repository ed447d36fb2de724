//! The one error type of the crate, and the service's per-item [`ChatError`].

use std::fmt;
use std::time::Duration;

use acs_chat_rest::types::{CommunicationError, CommunicationErrorResponse};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An error the service reported about one item: the whole request, one
/// participant that could not be added, and so on.
///
/// Serializes as the service's error object (`code`, `message`, `target`,
/// `details`, `innerError`).
///
/// ```
/// use acs_chat::ChatError;
///
/// let error = ChatError::new("Forbidden", "not a member").target("8:acs:r_bob");
/// assert_eq!(error.to_string(), "Forbidden: not a member (target 8:acs:r_bob)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatError {
    /// The service's error code, e.g. `Forbidden`.
    pub code: String,
    /// A human-readable message.
    pub message: String,
    /// What the error is about, e.g. the raw id of a participant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Further errors that led to this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ChatError>,
    /// A more specific error, when the service gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner_error: Option<Box<ChatError>>,
}

impl ChatError {
    /// An error with a code and a message, and no target, details or inner error.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            target: None,
            details: Vec::new(),
            inner_error: None,
        }
    }

    /// Sets what the error is about.
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Sets the errors that led to this one.
    pub fn details(mut self, details: impl IntoIterator<Item = ChatError>) -> Self {
        self.details = details.into_iter().collect();
        self
    }

    /// Sets the more specific error.
    pub fn inner_error(mut self, inner: ChatError) -> Self {
        self.inner_error = Some(Box::new(inner));
        self
    }
}

impl ChatError {
    /// The same error with every JWT-shaped run in its text redacted: the
    /// service's message may echo what was sent.
    fn redacted(self) -> Self {
        Self {
            code: redact_jwts(&self.code),
            message: redact_jwts(&self.message),
            target: self.target.as_deref().map(redact_jwts),
            details: self.details.into_iter().map(Self::redacted).collect(),
            inner_error: self.inner_error.map(|inner| Box::new(inner.redacted())),
        }
    }
}

impl From<CommunicationError> for ChatError {
    fn from(wire: CommunicationError) -> Self {
        Self {
            code: wire.code,
            message: wire.message,
            target: wire.target,
            details: wire.details.into_iter().map(ChatError::from).collect(),
            inner_error: wire
                .innererror
                .map(|inner| Box::new(ChatError::from(*inner))),
        }
    }
}

impl fmt::Display for ChatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(target) = &self.target {
            write!(f, " (target {target})")?;
        }
        Ok(())
    }
}

/// `text` with every run shaped like a JWT (three or more dot-separated
/// base64url parts, 32 characters or more in all) replaced by `[REDACTED]`.
fn redact_jwts(text: &str) -> String {
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let looks_like_jwt = |run: &str| {
        let parts: Vec<&str> = run.split('.').collect();
        run.len() >= 32 && parts.len() >= 3 && parts.iter().all(|p| p.len() >= 4)
    };
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if is_token_char(c) {
            run.push(c);
            continue;
        }
        if looks_like_jwt(&run) {
            out.push_str("[REDACTED]");
        } else {
            out.push_str(&run);
        }
        run.clear();
        out.push(c);
    }
    out.pop(); // the sentinel space
    out
}

/// What kind of failure an [`Error`] is.
///
/// `Display` writes a short lower-case description:
///
/// ```
/// assert_eq!(acs_chat::ErrorKind::InvalidArgument.to_string(), "invalid argument");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An argument was rejected before any request was sent.
    InvalidArgument,
    /// Getting or refreshing the access token failed.
    Credential,
    /// The service answered with an error status.
    Service,
    /// The connection failed before the request was sent.
    Connection,
    /// The connection failed or timed out after the request may have reached
    /// the service, for an operation that is safe to retry.
    Transport,
    /// A non-idempotent request (sending a message) failed after it may have
    /// reached the service: it may or may not have taken effect, and was not
    /// retried so as not to duplicate it.
    OutcomeUnknown,
    /// The response could not be decoded.
    Decode,
    /// A `nextLink` pointed somewhere other than the client's endpoint.
    UntrustedNextLink,
    /// The client refused to send a request (an insecure endpoint, a request
    /// the policy could not prepare).
    Refused,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InvalidArgument => "invalid argument",
            Self::Credential => "credential error",
            Self::Service => "service error",
            Self::Connection => "connection failed",
            Self::Transport => "transport error",
            Self::OutcomeUnknown => "outcome unknown",
            Self::Decode => "undecodable response",
            Self::UntrustedNextLink => "untrusted nextLink",
            Self::Refused => "request refused",
        })
    }
}

/// Any failure of this crate: its [`kind`](Error::kind), the HTTP status and the
/// service's error when there was a response, and the request ids a support
/// ticket needs. Never contains an access token.
pub struct Error(Box<ErrorInner>);

// Boxed so that `Result<T, Error>` stays small on the happy path.
struct ErrorInner {
    kind: ErrorKind,
    message: String,
    status: Option<StatusCode>,
    service_error: Option<ChatError>,
    client_request_id: Option<String>,
    ms_cv: Option<String>,
    retry_after: Option<Duration>,
    source: Option<BoxError>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self(Box::new(ErrorInner {
            kind,
            message: message.into(),
            status: None,
            service_error: None,
            client_request_id: None,
            ms_cv: None,
            retry_after: None,
            source: None,
        }))
    }

    /// A caller passed a bad argument; no request was sent.
    pub(crate) fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }

    /// Getting or refreshing a token failed (the message never holds the token).
    pub(crate) fn credential(message: impl Into<String>, source: Option<BoxError>) -> Self {
        let mut error = Self::new(ErrorKind::Credential, message);
        error.0.source = source;
        error
    }

    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.0.source = Some(source.into());
        self
    }

    pub(crate) fn with_client_request_id(mut self, id: Option<String>) -> Self {
        if self.0.client_request_id.is_none() {
            self.0.client_request_id = id;
        }
        self
    }

    /// An error response: status, the service's error (when the body holds
    /// one) and the ids from the response headers.
    pub(crate) fn from_response(status: u16, headers: &HeaderMap, body: &[u8]) -> Self {
        let service_error = serde_json::from_slice::<CommunicationErrorResponse>(body)
            .ok()
            .map(|response| ChatError::from(response.error).redacted());
        // A successful status's body is never quoted: it may be an identity
        // response holding an access token. An error body is quoted (its
        // first 512 bytes) with anything shaped like a JWT redacted.
        let fallback = if body.is_empty() || (200..300).contains(&status) {
            format!("the service answered {status}")
        } else {
            format!(
                "the service answered {status}: {}",
                redact_jwts(&String::from_utf8_lossy(&body[..body.len().min(512)]))
            )
        };
        Self::from_service(status, headers, service_error, fallback)
    }

    /// An error response whose body was already decoded.
    pub(crate) fn from_service(
        status: u16,
        headers: &HeaderMap,
        service_error: Option<ChatError>,
        fallback_message: String,
    ) -> Self {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        Self(Box::new(ErrorInner {
            kind: ErrorKind::Service,
            message: service_error
                .as_ref()
                .map_or(fallback_message, |e| e.message.clone()),
            status: StatusCode::from_u16(status).ok(),
            service_error,
            client_request_id: header("x-ms-client-request-id"),
            ms_cv: header("ms-cv"),
            retry_after: retry_after(headers),
            source: None,
        }))
    }

    /// The same error, now known to leave the outcome of a non-idempotent
    /// request unknown.
    pub(crate) fn into_outcome_unknown(mut self, operation: &str) -> Self {
        let how_to_find_out = if operation.starts_with("create_user") {
            "the Identity API cannot list users, so a user may exist that you never got"
        } else {
            "list the thread's messages to find out"
        };
        self.0.message = format!(
            "{operation} may or may not have taken effect: {} (it was not retried, to avoid a duplicate; \
             {how_to_find_out})",
            self.0.message
        );
        self.0.kind = ErrorKind::OutcomeUnknown;
        self
    }

    /// Turns a decoded success response's failure to decode into an error.
    pub(crate) fn decode(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::new(ErrorKind::Decode, message).with_source(source)
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The HTTP status, when the service answered.
    ///
    /// The type is the `http` crate's `StatusCode`, re-exported by reqwest and
    /// by this crate as [`acs_chat::StatusCode`](crate::StatusCode).
    ///
    /// ```
    /// # fn show(error: &acs_chat::Error) {
    /// use acs_chat::StatusCode;
    /// if error.status() == Some(StatusCode::FORBIDDEN) {
    ///     eprintln!("not a member of the thread");
    /// }
    /// # }
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        self.0.status
    }

    /// Whether the service answered 404 Not Found (no such thread or message,
    /// or not visible to the user).
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// match thread.get_message("1714557600000").await {
    ///     Ok(message) => println!("{:?}", message.text()),
    ///     Err(error) if error.is_not_found() => println!("no such message"),
    ///     Err(error) => return Err(error),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_not_found(&self) -> bool {
        self.has_status(StatusCode::NOT_FOUND)
    }

    /// Whether the service answered 429 Too Many Requests, after the
    /// client's retries; [`retry_after`](Self::retry_after) says how long it
    /// asked to wait.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// if let Err(error) = thread.send_message("hello").await {
    ///     if error.is_throttled() {
    ///         let wait = error.retry_after().unwrap_or(std::time::Duration::from_secs(5));
    ///         eprintln!("throttled; try again in {wait:?}");
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_throttled(&self) -> bool {
        self.has_status(StatusCode::TOO_MANY_REQUESTS)
    }

    /// Whether the service answered 401 Unauthorized: it refused the access
    /// token (expired, revoked, or for another resource). A token that could
    /// not be obtained at all is a [`ErrorKind::Credential`] error instead
    /// (see [`is_credential`](Self::is_credential)).
    ///
    /// ```no_run
    /// # async fn run(client: acs_chat::ChatClient) -> acs_chat::Result<()> {
    /// if let Err(error) = client.create_chat_thread("Launch").await {
    ///     if error.is_unauthorized() {
    ///         eprintln!("sign in again: {error}");
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_unauthorized(&self) -> bool {
        self.has_status(StatusCode::UNAUTHORIZED)
    }

    fn has_status(&self, status: StatusCode) -> bool {
        self.0.kind == ErrorKind::Service && self.0.status == Some(status)
    }

    /// The service's error code (e.g. `Forbidden`), when it sent one.
    pub fn code(&self) -> Option<&str> {
        self.0.service_error.as_ref().map(|e| e.code.as_str())
    }

    /// A human-readable description.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The service's whole error, with its target, details and inner error.
    pub fn service_error(&self) -> Option<&ChatError> {
        self.0.service_error.as_ref()
    }

    /// The `x-ms-client-request-id` of the failed request, for support tickets.
    pub fn client_request_id(&self) -> Option<&str> {
        self.0.client_request_id.as_deref()
    }

    /// The service's correlation vector (`MS-CV` header), when it sent one.
    pub fn ms_cv(&self) -> Option<&str> {
        self.0.ms_cv.as_deref()
    }

    /// How long the service asked to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// Whether trying the same request again may succeed: throttling (429),
    /// 408, 502, 503, 504, and failed connections.
    pub fn is_retryable(&self) -> bool {
        match self.0.kind {
            ErrorKind::Service => self
                .0
                .status
                .is_some_and(|status| is_retryable_status(status.as_u16())),
            ErrorKind::Connection | ErrorKind::Transport => true,
            _ => false,
        }
    }

    /// Whether this is an argument error raised before any request.
    pub fn is_invalid_argument(&self) -> bool {
        self.0.kind == ErrorKind::InvalidArgument
    }

    /// Whether this is a credential error.
    pub fn is_credential(&self) -> bool {
        self.0.kind == ErrorKind::Credential
    }
}

/// Whether a status is worth retrying.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 502 | 503 | 504)
}

/// The wait the service asked for: `retry-after-ms`, `x-ms-retry-after-ms`
/// (milliseconds), or `Retry-After` (seconds or an HTTP date).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = header(name).and_then(|v| v.trim().parse::<f64>().ok()) {
            if ms.is_finite() && ms >= 0.0 {
                // Too large for a `Duration` (`1e300`): as long as possible;
                // the retry loop gives up on waits beyond `max_delay`.
                return Some(Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::MAX));
            }
        }
    }
    let value = header("retry-after")?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("message", &self.0.message)
            .field("status", &self.0.status)
            .field("service_error", &self.0.service_error)
            .field("client_request_id", &self.0.client_request_id)
            .field("ms_cv", &self.0.ms_cv)
            .field("source", &self.0.source)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0.status.map(|s| s.as_u16()), self.code()) {
            (Some(status), Some(code)) => write!(f, "{status} {code}: {}", self.0.message)?,
            (Some(status), None) => write!(f, "{status}: {}", self.0.message)?,
            _ => f.write_str(&self.0.message)?,
        }
        if let Some(source) = &self.0.source {
            write!(f, ": {source}")?;
        }
        if let Some(id) = &self.0.client_request_id {
            write!(f, " (x-ms-client-request-id {id}")?;
            if let Some(cv) = &self.0.ms_cv {
                write!(f, ", MS-CV {cv}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_text_never_quotes_a_success_body_or_a_jwt() {
        let jwt =
            "eyJhbGciOiJIUzI1NiJ9.eyJza3lwZWlkIjoiYWNzOnUiLCJleHAiOjF9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
        let identity_body =
            format!(r#"{{"identity":{{"id":"8:acs:r_u"}},"accessToken":{{"token":"{jwt}"}}}}"#);
        let unexpected_success = super::Error::from_response(
            200,
            &reqwest::header::HeaderMap::new(),
            identity_body.as_bytes(),
        );
        assert!(!unexpected_success.to_string().contains(&jwt[..20]));
        assert!(!format!("{unexpected_success:?}").contains(&jwt[..20]));

        let proxy_error = format!("<html>upstream said: bad token {jwt}, retry</html>");
        let error = super::Error::from_response(
            502,
            &reqwest::header::HeaderMap::new(),
            proxy_error.as_bytes(),
        );
        let text = error.to_string();
        assert!(
            text.contains("upstream said: bad token [REDACTED], retry"),
            "{text}"
        );
        assert!(!text.contains(&jwt[..20]));
    }

    #[test]
    fn a_service_error_echoing_a_token_is_redacted() {
        let jwt =
            "eyJhbGciOiJIUzI1NiJ9.eyJza3lwZWlkIjoiYWNzOnUiLCJleHAiOjF9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
        let body = format!(
            r#"{{"error":{{"code":"Unauthorized","message":"token {jwt} expired","target":"{jwt}",
                "details":[{{"code":"X","message":"again {jwt}"}}],
                "innererror":{{"code":"Y","message":"{jwt}"}}}}}}"#
        );
        let error =
            super::Error::from_response(401, &reqwest::header::HeaderMap::new(), body.as_bytes());
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(!text.contains(&jwt[..20]), "{text}");
        }
        let service = error.service_error().expect("decoded");
        assert_eq!(service.message, "token [REDACTED] expired");
        assert_eq!(service.details[0].message, "again [REDACTED]");
    }

    #[test]
    fn redaction_keeps_ordinary_text() {
        assert_eq!(
            super::redact_jwts("version 1.2.3 of api 2025-03-15"),
            "version 1.2.3 of api 2025-03-15"
        );
        assert_eq!(super::redact_jwts("a.b.c"), "a.b.c");
        assert_eq!(super::redact_jwts(""), "");
    }

    #[test]
    fn retry_after_reads_every_header_form() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert("x-ms-retry-after-ms", "250".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
        headers.insert("retry-after-ms", "1500".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(1500)));

        let mut dated = HeaderMap::new();
        let later = std::time::SystemTime::now() + Duration::from_secs(30);
        dated.insert(
            "retry-after",
            httpdate::fmt_http_date(later).parse().unwrap(),
        );
        let wait = retry_after(&dated).unwrap();
        assert!(
            wait > Duration::from_secs(27) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );

        let mut junk = HeaderMap::new();
        junk.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&junk), None);
    }

    #[test]
    fn hostile_retry_after_values_never_panic() {
        let cases = [
            ("retry-after-ms", "1e300", Some(Duration::MAX)),
            ("x-ms-retry-after-ms", "1e300", Some(Duration::MAX)),
            ("retry-after-ms", "1e23", Some(Duration::MAX)),
            ("retry-after-ms", "-5", None),
            ("retry-after-ms", "NaN", None),
            ("retry-after-ms", "inf", None),
            ("retry-after-ms", "0x10", None),
            ("retry-after", "-1", None),
            ("retry-after", "1e300", None),
            ("retry-after", "99999999999999999999999", None),
            (
                "retry-after",
                "18446744073709551615",
                Some(Duration::from_secs(u64::MAX)),
            ),
            ("retry-after", "Thu, 99 Foo 2026 99:99:99 GMT", None),
        ];
        for (name, value, expected) in cases {
            let mut headers = HeaderMap::new();
            headers.insert(name, value.parse().unwrap());
            assert_eq!(retry_after(&headers), expected, "{name}: {value}");
        }
    }

    #[test]
    fn error_responses_carry_status_code_details_and_request_ids() {
        let mut headers = HeaderMap::new();
        headers.insert("ms-cv", "abc.0".parse().unwrap());
        headers.insert("x-ms-client-request-id", "req-1".parse().unwrap());
        headers.insert("retry-after", "3".parse().unwrap());
        let body = br#"{"error":{"code":"TooManyRequests","message":"slow down","target":"t",
            "details":[{"code":"D","message":"d"}],"innererror":{"code":"I","message":"i"}}}"#;
        let error = Error::from_response(429, &headers, body);
        assert_eq!(error.kind(), ErrorKind::Service);
        assert_eq!(error.status(), Some(StatusCode::TOO_MANY_REQUESTS));
        assert!(error.is_throttled());
        assert!(!error.is_not_found() && !error.is_unauthorized());
        assert_eq!(error.code(), Some("TooManyRequests"));
        assert_eq!(error.message(), "slow down");
        assert_eq!(error.ms_cv(), Some("abc.0"));
        assert_eq!(error.client_request_id(), Some("req-1"));
        assert_eq!(error.retry_after(), Some(Duration::from_secs(3)));
        let service = error.service_error().unwrap();
        assert_eq!(service.details[0].code, "D");
        assert_eq!(service.inner_error.as_ref().unwrap().code, "I");
        assert!(error.is_retryable());
        let text = error.to_string();
        assert!(text.contains("429 TooManyRequests: slow down"), "{text}");
        assert!(text.contains("req-1") && text.contains("abc.0"), "{text}");
    }

    #[test]
    fn a_body_that_is_not_a_service_error_is_kept_in_the_message() {
        let error = Error::from_response(502, &HeaderMap::new(), b"<html>bad gateway</html>");
        assert_eq!(error.code(), None);
        assert!(error.message().contains("bad gateway"));
        assert!(error.is_retryable());
    }

    #[test]
    fn client_errors_are_not_retryable() {
        for status in [400, 401, 403, 404, 409] {
            assert!(!Error::from_response(status, &HeaderMap::new(), b"").is_retryable());
        }
    }
}
