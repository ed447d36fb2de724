//! SendTypingNotification: validates the caller's membership (and the
//! optional body) and answers 200 with an empty body. There is no
//! real-time channel in the emulator, so nothing is delivered.

use acs_chat_rest::types::SendTypingNotificationRequest;
use axum::extract::rejection::PathRejection;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::json::JsonBody;

use super::access::{thread_id, with_thread};
use super::context::ChatCall;
use super::validate;

/// `POST /chat/threads/{id}/typing` → 200, empty body.
pub(crate) async fn typing(
    call: ChatCall,
    path: Result<Path<String>, PathRejection>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let store = call.store();
    let id = thread_id(path)?;
    let request: Option<SendTypingNotificationRequest> = body.parse_optional()?;
    let sender = request
        .as_ref()
        .and_then(|r| r.sender_display_name.as_deref());
    validate::display_name("senderDisplayName", sender)?;
    with_thread(store, &id, &call.user, |_| Ok(()))?;
    Ok(StatusCode::OK.into_response())
}
