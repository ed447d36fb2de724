//! The service's error shape and the [`ApiError`] type every route returns.
//!
//! ACS data-plane errors are `CommunicationErrorResponse` objects (the
//! generated wire type of `acs-chat-rest`, so the shape follows the spec)
//! (`specification/communication/data-plane/Common/stable/2022-07-13/common.json`):
//!
//! ```json
//! {"error": {"code": "ValidationError", "message": "...", "target": "scopes"}}
//! ```
//!
//! `target` is omitted when there is none.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use acs_chat_rest::types::{CommunicationError, CommunicationErrorResponse};

/// `Content-Type` of every JSON body the emulator sends.
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// An error answer: HTTP status plus the service's error body (and optional
/// extra response headers such as `Retry-After`).
///
/// Implements [`IntoResponse`], so handlers can return `Result<_, ApiError>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status code.
    pub status: StatusCode,
    /// Error code (`error.code`).
    pub code: String,
    /// Error message (`error.message`).
    pub message: String,
    /// Error target (`error.target`), if any.
    pub target: Option<String>,
    /// Extra headers added to the response (a list rather than a
    /// `HeaderMap`, to keep `Result<_, ApiError>` small).
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl From<crate::persist::PersistError> for ApiError {
    /// A change the emulator could not store is not acknowledged: 500.
    fn from(err: crate::persist::PersistError) -> Self {
        tracing::error!(%err, "a change could not be stored");
        Self::internal(format!("The emulator could not store the change: {err}"))
    }
}

impl ApiError {
    /// A new error with the given status, code and message.
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            target: None,
            headers: Vec::new(),
        }
    }

    /// Sets `error.target`.
    #[must_use]
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Adds (or replaces) a response header.
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.retain(|(existing, _)| *existing != name);
        self.headers.push((name, value));
        self
    }

    /// Adds `Retry-After` (whole seconds, rounded up) and `retry-after-ms`
    /// (milliseconds, rounded up) for a wait of `wait`.
    #[must_use]
    pub fn with_retry_after(self, wait: std::time::Duration) -> Self {
        let millis = u64::try_from(wait.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX);
        self.with_header(
            HeaderName::from_static("retry-after"),
            HeaderValue::from(millis.div_ceil(1000)),
        )
        .with_header(
            HeaderName::from_static("retry-after-ms"),
            HeaderValue::from(millis),
        )
    }

    /// 429 `TooManyRequests`, to retry after `wait`.
    pub fn too_many_requests(wait: std::time::Duration) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Too many requests; retry later.",
        )
        .with_retry_after(wait)
    }

    /// 400 with the given code and message.
    pub fn bad_request(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 400 `ValidationError` about `target` (the code the Identity service
    /// uses for invalid request fields).
    pub fn validation(target: impl Into<String>, message: impl Into<String>) -> Self {
        Self::bad_request("ValidationError", message).with_target(target)
    }

    /// 404 with the given code and message.
    pub fn not_found(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 500, only for emulator bugs (never for client input).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", message)
    }

    /// The wire body of this error.
    pub fn body(&self) -> CommunicationErrorResponse {
        CommunicationErrorResponse {
            error: CommunicationError {
                code: self.code.clone(),
                details: Vec::new(),
                innererror: None,
                message: self.message.clone(),
                target: self.target.clone(),
            },
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body();
        // Serializing two strings and an optional string cannot fail; fall
        // back to a fixed body rather than panicking anyway.
        let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| {
            br#"{"error":{"code":"InternalError","message":"error serialization failed"}}"#.to_vec()
        });
        let mut response = (self.status, bytes).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(JSON_CONTENT_TYPE),
        );
        for (name, value) in self.headers {
            headers.insert(name, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_omits_missing_target() {
        let err = ApiError::bad_request("BadRequest", "nope");
        let json = serde_json::to_value(err.body()).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "BadRequest", "message": "nope"}})
        );
    }

    #[test]
    fn body_includes_target() {
        let err = ApiError::validation("scopes", "bad");
        let json = serde_json::to_value(err.body()).unwrap_or_default();
        assert_eq!(json["error"]["target"], "scopes");
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
    }
}
