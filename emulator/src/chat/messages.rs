//! Message operations: SendChatMessage, ListChatMessages, GetChatMessage,
//! UpdateChatMessage, DeleteChatMessage.

use bytes::Bytes;

use acs_chat_rest::types::{
    SendChatMessageRequest, SendChatMessageResult, UpdateChatMessageRequest,
};
use axum::extract::rejection::PathRejection;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::json::{json_bytes_response, json_response, serialization_failed, JsonBody};

use super::access::{message_path, thread_id, with_thread, with_thread_mut};
use super::context::{set_location, ChatCall};
use super::errors::{forbidden, message_not_found};
use super::events::{emit, ChatActivity, MessageSnapshot, ThreadSnapshot};
use super::ids::now_millis;
use super::paging::{encode_token, invalid_sync_state, parse_query, sync_link};
use super::store::ChatStore;
use super::thread_state::{MessageError, MessageRecord, ThreadState};
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
    path: Result<Path<String>, PathRejection>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let store = call.store();
    let id = thread_id(path)?;
    let request: SendChatMessageRequest = body.parse()?;
    let kind = validate::message_type(request.type_.as_ref())?;
    validate::content(&request.content)?;
    validate::metadata(&request.metadata)?;
    validate::display_name("senderDisplayName", request.sender_display_name.as_deref())?;
    let (message_id, activity) = with_thread_mut(store, &id, &call.user, |thread| {
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
        call.thread_url(&id, &["/messages/", &result.id]),
    );
    Ok(response)
}

/// `GET /chat/threads/{id}/messages`: newest first, `startTime` inclusive.
pub(crate) async fn list(
    call: ChatCall,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let store = call.store();
    let id = thread_id(path)?;
    let page = parse_query(call.query.as_deref())?;
    let before = match page.sync_state.as_deref() {
        None => None,
        Some([kind, thread, sequence]) if kind == "m" && *thread == id => {
            Some(sequence.parse::<u64>().map_err(|_| invalid_sync_state())?)
        }
        Some(_) => return Err(invalid_sync_state()),
    };
    let shape = Shape::of(call.api_version);
    let (serial, taken, next_link) = with_thread(store, &id, &call.user, |thread| {
        let (messages, more) = thread.page_messages(page.start_time, before, page.max_page_size);
        let next_link = more.then(|| messages.last()).flatten().map(|oldest| {
            let token = encode_token(&["m", &id, &oldest.version.to_string()]);
            let path = format!("/chat/threads/{id}/messages");
            sync_link(&call.base_url, &path, &token, &page, call.api_version)
        });
        let taken = take_messages(store, thread, &messages, shape);
        Ok((thread.serial, taken, next_link))
    })?;
    let messages = messages_json(store, serial, shape, taken)?;
    Ok(json_bytes_response(
        StatusCode::OK,
        page_json(&messages, next_link.as_deref())?,
    ))
}

/// A message of an answer as taken under the thread's lock: its cached
/// JSON, or a copy to serialize once the lock is released.
enum Taken {
    Cached(Bytes),
    Copied {
        version: u64,
        answer: Box<wire::MessageAnswer>,
    },
}

/// Takes `messages` (of `thread`, locked) as answered at `shape`.
fn take_messages(
    store: &ChatStore,
    thread: &ThreadState,
    messages: &[&MessageRecord],
    shape: Shape,
) -> Vec<Taken> {
    let cached =
        store
            .message_json()
            .get_all(thread.serial, shape, messages.iter().map(|m| m.version));
    messages
        .iter()
        .zip(cached)
        .map(|(message, cached)| match cached {
            Some(json) => Taken::Cached(json),
            None => Taken::Copied {
                version: message.version,
                answer: Box::new(wire::message(message, shape)),
            },
        })
        .collect()
}

/// The JSON of each message taken from the thread `serial` (without its
/// lock), caching what had to be serialized.
fn messages_json(
    store: &ChatStore,
    serial: u64,
    shape: Shape,
    taken: Vec<Taken>,
) -> Result<Vec<Bytes>, ApiError> {
    let mut serialized = Vec::new();
    let json = taken
        .into_iter()
        .map(|taken| match taken {
            Taken::Cached(json) => Ok(json),
            Taken::Copied { version, answer } => {
                // Boxed, so that the cache holds no spare capacity.
                let json = Bytes::from(
                    serde_json::to_vec(&answer)
                        .map_err(|err| serialization_failed(&err))?
                        .into_boxed_slice(),
                );
                serialized.push((version, json.clone()));
                Ok(json)
            }
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    store.message_json().insert_all(serial, shape, serialized);
    Ok(json)
}

/// `{"value":[...],"nextLink":"..."}` of messages already serialized (the
/// service's order; no `nextLink` on the last page).
fn page_json(messages: &[Bytes], next_link: Option<&str>) -> Result<Bytes, ApiError> {
    let length = messages.iter().map(|m| m.len() + 1).sum::<usize>()
        + next_link.map_or(0, |link| link.len() + 16);
    let mut body = Vec::with_capacity(length + 16);
    body.extend_from_slice(b"{\"value\":[");
    for (i, message) in messages.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(message);
    }
    body.push(b']');
    if let Some(link) = next_link {
        body.extend_from_slice(b",\"nextLink\":");
        serde_json::to_writer(&mut body, link).map_err(|err| serialization_failed(&err))?;
    }
    body.push(b'}');
    Ok(Bytes::from(body))
}

/// `GET /chat/threads/{id}/messages/{messageId}`
pub(crate) async fn get(
    call: ChatCall,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let store = call.store();
    let (id, message_id) = message_path(path)?;
    let shape = Shape::of(call.api_version);
    let (serial, taken) = with_thread(store, &id, &call.user, |thread| {
        let message = thread.message(message_id).ok_or_else(message_not_found)?;
        Ok((
            thread.serial,
            take_messages(store, thread, &[message], shape),
        ))
    })?;
    let json = messages_json(store, serial, shape, taken)?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal("a message taken was not serialized"))?;
    Ok(json_bytes_response(StatusCode::OK, json))
}

/// `PATCH /chat/threads/{id}/messages/{messageId}` (merge patch; only the
/// sender may edit): new version, `editedOn`.
pub(crate) async fn update(
    call: ChatCall,
    path: Result<Path<(String, String)>, PathRejection>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let store = call.store();
    let (id, message_id) = message_path(path)?;
    let (request, patch): (UpdateChatMessageRequest, _) =
        validate::merge_patch(&body, &["content"])?;
    if let Some(content) = &request.content {
        validate::content(content)?;
    }
    let activity = with_thread_mut(store, &id, &call.user, |thread| {
        let message = thread.message(message_id).ok_or_else(message_not_found)?;
        if message.sender.as_deref() != Some(call.user.as_str()) {
            return Err(forbidden());
        }
        let current = message.metadata.to_map();
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
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let store = call.store();
    let (id, message_id) = message_path(path)?;
    let activity = with_thread_mut(store, &id, &call.user, |thread| {
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
    thread: &ThreadState,
    message_id: u64,
    activity: impl FnOnce(ThreadSnapshot, MessageSnapshot) -> ChatActivity,
) -> Option<ChatActivity> {
    if !call.events().is_active() {
        return None;
    }
    let message = MessageSnapshot::of(thread.message(message_id)?)?;
    Some(activity(ThreadSnapshot::of(thread), message))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::chat::thread_state::UserMessageKind;
    use crate::sync::lock;

    #[test]
    fn a_message_answered_once_is_then_taken_from_the_cache() {
        let store = ChatStore::default();
        let handle = store
            .insert(ThreadState::of_one("19:t@thread.v2", "8:acs:a"), None)
            .expect("in memory");
        let shape = Shape::of("2025-03-15");
        let take = || {
            let mut thread = lock(&handle);
            let id = thread.send_message(
                "8:acs:a",
                UserMessageKind::Text,
                "hi".into(),
                None,
                HashMap::new(),
                1_700_000_001_000,
            );
            let message = thread.message(id).expect("just sent");
            (
                thread.serial,
                take_messages(&store, &thread, &[message], shape),
            )
        };
        let (serial, taken) = take();
        assert!(matches!(taken[..], [Taken::Copied { .. }]));
        let json = messages_json(&store, serial, shape, taken).expect("serializes");
        let thread = lock(&handle);
        let newest = thread.page_messages(None, None, 1).0;
        let again = take_messages(&store, &thread, &newest, shape);
        match &again[..] {
            [Taken::Cached(cached)] => assert_eq!(cached, &json[0]),
            _ => panic!("not taken from the cache"),
        }
        let older = take_messages(&store, &thread, &newest, Shape::of("2021-09-07"));
        assert!(matches!(older[..], [Taken::Copied { .. }]));
    }
}
