//! Message operations: SendChatMessage, ListChatMessages, GetChatMessage,
//! UpdateChatMessage, DeleteChatMessage.

use std::sync::Arc;

use acs_chat_rest::types::{
    SendChatMessageRequest, SendChatMessageResult, UpdateChatMessageRequest,
};
use axum::extract::rejection::PathRejection;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;

use crate::error::ApiError;
use crate::json::{json_response, parse_json, RawBody};

use super::access::{message_path, thread_id, with_thread, with_thread_mut};
use super::context::{set_location, ChatCall};
use super::errors::{forbidden, message_not_found};
use super::events::{emit, ChatActivity, MessageSnapshot, ThreadSnapshot};
use super::ids::now_millis;
use super::paging::{encode_token, invalid_sync_state, parse_query, sync_link};
use super::store::ChatStore;
use super::thread_state::MessageError;
use super::wire::Shape;
use super::{validate, wire};

fn message_error(err: MessageError) -> ApiError {
    match err {
        MessageError::NotFound => message_not_found(),
        MessageError::NotSender => forbidden(),
    }
}

/// `POST /chat/threads/{id}/messages` → 201 `{"id"}`.
pub(crate) async fn send(
    call: ChatCall,
    Extension(store): Extension<Arc<ChatStore>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let id = thread_id(path)?;
    let request: SendChatMessageRequest = parse_json(&headers, &body)?;
    let kind = validate::message_type(request.type_.as_ref())?;
    validate::content(&request.content)?;
    validate::metadata(&request.metadata)?;
    validate::display_name("senderDisplayName", request.sender_display_name.as_deref())?;
    let (message_id, activity) = with_thread_mut(&store, &id, &call.user, |thread| {
        let message_id = thread.send_message(
            &call.user,
            kind,
            request.content,
            request.sender_display_name,
            request.metadata,
            now_millis(),
        );
        Ok((
            message_id,
            message_activity(&call, thread, message_id, |thread, message| {
                ChatActivity::MessageSent { thread, message }
            }),
        ))
    })?;
    emit(call.events(), activity);
    let result = SendChatMessageResult {
        id: message_id.to_string(),
    };
    let mut response = json_response(StatusCode::CREATED, &result);
    set_location(
        &mut response,
        &call.thread_url(&id, &format!("/messages/{message_id}")),
    );
    Ok(response)
}

/// `GET /chat/threads/{id}/messages`: newest first, `startTime` inclusive.
pub(crate) async fn list(
    call: ChatCall,
    Extension(store): Extension<Arc<ChatStore>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = thread_id(path)?;
    let page = parse_query(call.query.as_deref())?;
    let before = match page.sync_state.as_deref() {
        None => None,
        Some([kind, thread, sequence]) if kind == "m" && *thread == id => {
            Some(sequence.parse::<u64>().map_err(|_| invalid_sync_state())?)
        }
        Some(_) => return Err(invalid_sync_state()),
    };
    let body = with_thread(&store, &id, &call.user, |thread| {
        let (messages, more) = thread.page_messages(page.start_time, before, page.max_page_size);
        let next_link = more.then(|| messages.last()).flatten().map(|oldest| {
            let token = encode_token(&["m", &id, &oldest.version.to_string()]);
            let path = format!("/chat/threads/{id}/messages");
            sync_link(&call.base_url, &path, &token, &page, &call.api_version)
        });
        let shape = Shape::of(&call.api_version);
        Ok(wire::MessagesAnswer {
            next_link,
            value: messages.iter().map(|m| wire::message(m, shape)).collect(),
        })
    })?;
    Ok(json_response(StatusCode::OK, &body))
}

/// `GET /chat/threads/{id}/messages/{messageId}`
pub(crate) async fn get(
    call: ChatCall,
    Extension(store): Extension<Arc<ChatStore>>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let (id, message_id) = message_path(path)?;
    let message = with_thread(&store, &id, &call.user, |thread| {
        thread
            .message(message_id)
            .map(|m| wire::message(m, Shape::of(&call.api_version)))
            .ok_or_else(message_not_found)
    })?;
    Ok(json_response(StatusCode::OK, &message))
}

/// `PATCH /chat/threads/{id}/messages/{messageId}` (merge patch; only the
/// sender may edit): new version, `editedOn`.
pub(crate) async fn update(
    call: ChatCall,
    Extension(store): Extension<Arc<ChatStore>>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let (id, message_id) = message_path(path)?;
    let (request, patch): (UpdateChatMessageRequest, _) =
        validate::merge_patch(&headers, &body, &["content"])?;
    if let Some(content) = &request.content {
        validate::content(content)?;
    }
    let activity = with_thread_mut(&store, &id, &call.user, |thread| {
        let message = thread.message(message_id).ok_or_else(message_not_found)?;
        if message.sender.as_deref() != Some(call.user.as_str()) {
            return Err(forbidden());
        }
        let current = message.metadata.clone();
        let metadata = if patch.is_empty() && request.metadata.is_empty() {
            None
        } else {
            let next = patch.apply(&current, &request.metadata);
            validate::metadata(&next)?;
            Some(next)
        };
        thread
            .edit_message(
                &call.user,
                message_id,
                request.content,
                metadata,
                now_millis(),
            )
            .map_err(message_error)?;
        Ok(message_activity(
            &call,
            thread,
            message_id,
            |thread, message| ChatActivity::MessageEdited { thread, message },
        ))
    })?;
    emit(call.events(), activity);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /chat/threads/{id}/messages/{messageId}` (only the sender).
pub(crate) async fn delete(
    call: ChatCall,
    Extension(store): Extension<Arc<ChatStore>>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let (id, message_id) = message_path(path)?;
    let activity = with_thread_mut(&store, &id, &call.user, |thread| {
        let already_deleted = thread
            .message(message_id)
            .is_some_and(|m| m.deleted_at.is_some());
        thread
            .delete_message(&call.user, message_id, now_millis())
            .map_err(message_error)?;
        // A repeated delete succeeds again but deletes nothing: no event.
        Ok(if already_deleted {
            None
        } else {
            message_activity(&call, thread, message_id, |thread, message| {
                ChatActivity::MessageDeleted { thread, message }
            })
        })
    })?;
    emit(call.events(), activity);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The activity of a message action, when anyone subscribes to events.
fn message_activity(
    call: &ChatCall,
    thread: &super::thread_state::ThreadState,
    message_id: u64,
    activity: impl FnOnce(ThreadSnapshot, MessageSnapshot) -> ChatActivity,
) -> Option<ChatActivity> {
    if !call.events().is_active() {
        return None;
    }
    let message = MessageSnapshot::of(thread.message(message_id)?)?;
    Some(activity(ThreadSnapshot::of(thread), message))
}
