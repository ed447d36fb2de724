//! The Chat service's error answers, in the `{"error": {"code", "message",
//! "target"}}` shape.
//!
//! Codes: `BadRequest` (seen in real 400 answers of the Chat service),
//! `Forbidden` and `NotFound` (the codes of the spec's examples and of real
//! 404 answers). 403 uses the examples' message verbatim; the other messages
//! are the emulator's.

use axum::extract::rejection::PathRejection;
use axum::http::StatusCode;

use crate::error::ApiError;

/// 400 `BadRequest` about `target`.
pub(crate) fn bad_request(target: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request("BadRequest", message).with_target(target)
}

/// 403: the caller is not a participant (or may not touch this message).
pub(crate) fn forbidden() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "Forbidden",
        "User is not allowed to perform specified action.",
    )
}

/// 404 for an unknown (or deleted) thread.
pub(crate) fn thread_not_found() -> ApiError {
    ApiError::not_found("NotFound", "The chat thread was not found.").with_target("chatThreadId")
}

/// 404 for an unknown message.
pub(crate) fn message_not_found() -> ApiError {
    ApiError::not_found("NotFound", "The chat message was not found.").with_target("chatMessageId")
}

/// 400 for a path that axum could not decode (e.g. invalid UTF-8).
pub(crate) fn path_error(rejection: &PathRejection) -> ApiError {
    bad_request("path", rejection.body_text())
}
