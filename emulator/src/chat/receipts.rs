//! Read receipts: SendChatReadReceipt, ListChatReadReceipts.
//!
//! The list holds the latest receipt of each participant (a receipt for an
//! older message than the participant's current one is ignored), in the
//! order they were last updated. A receipt for an unknown message is a 404
//! (as the real service answers when the message is not found).

use acs_chat_rest::types::{ChatMessageReadReceiptsCollection, SendReadReceiptRequest};
use axum::extract::rejection::PathRejection;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::json::{json_response, JsonBody};

use super::access::{thread_id, with_thread, with_thread_mut};
use super::context::ChatCall;
use super::errors::message_not_found;
use super::ids::{now_millis, parse_message_id};
use super::paging::{parse_query, skip_page};
use super::wire;
use super::MAX_PARTICIPANTS_WITH_READ_RECEIPTS;

/// `POST /chat/threads/{id}/readReceipts` → 200, empty body.
pub(crate) async fn send(
    call: ChatCall,
    path: Result<Path<String>, PathRejection>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let store = call.store();
    let id = thread_id(path)?;
    let request: SendReadReceiptRequest = body.parse()?;
    let message_id = parse_message_id(&request.chat_message_id)
        .map_err(|err| err.with_target("chatMessageId"))?;
    with_thread_mut(store, &id, &call.user, |thread| {
        if thread.participant_count() > MAX_PARTICIPANTS_WITH_READ_RECEIPTS {
            // Accepted and not kept, as the service does in large threads.
            return match thread.message(message_id) {
                Some(_) => Ok(()),
                None => Err(message_not_found()),
            };
        }
        if thread.send_receipt(&call.user, message_id, now_millis()) {
            Ok(())
        } else {
            Err(message_not_found())
        }
    })?;
    Ok(StatusCode::OK.into_response())
}

/// `GET /chat/threads/{id}/readReceipts` (`skip`, `maxPageSize`).
pub(crate) async fn list(
    call: ChatCall,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let store = call.store();
    let id = thread_id(path)?;
    let page = parse_query(call.query.as_deref())?;
    let body = with_thread(store, &id, &call.user, |thread| {
        // Large threads have no read receipts (an empty list, as the service).
        let receipts = if thread.participant_count() > MAX_PARTICIPANTS_WITH_READ_RECEIPTS {
            &[]
        } else {
            thread.receipts()
        };
        let (value, next_link) = skip_page(
            receipts,
            &page,
            &call.base_url,
            &format!("/chat/threads/{id}/readReceipts"),
            call.api_version,
            wire::receipt,
        );
        Ok(ChatMessageReadReceiptsCollection { next_link, value })
    })?;
    Ok(json_response(StatusCode::OK, &body))
}
