//! Participant operations: ListChatParticipants, AddChatParticipants
//! (`POST .../participants/:add`), RemoveChatParticipant
//! (`POST .../participants/:remove`).

use acs_chat_rest::types::{
    AddChatParticipantsRequest, AddChatParticipantsResult, ChatParticipantsCollection,
    CommunicationIdentifierModel,
};
use axum::extract::rejection::PathRejection;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::json::{json_response, JsonBody};

use super::access::{thread_id, with_thread, with_thread_mut};
use super::context::ChatCall;
use super::errors::path_error;
use super::events::{emit, ChatActivity, ThreadSnapshot};
use super::identifiers::{identify, Identified};
use super::ids::{check_thread_id, now_millis, printable};
use super::paging::{parse_query, skip_page};
use super::store::ChatStore;
use super::threads::{candidates, Candidates};
use super::{validate, wire};

/// `GET /chat/threads/{id}/participants` (`skip`, `maxPageSize`), in
/// joining order.
pub(crate) async fn list(
    call: ChatCall,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let store = call.store();
    let id = thread_id(path)?;
    let page = parse_query(call.query.as_deref())?;
    let body = with_thread(store, &id, &call.user, |thread| {
        let (value, next_link) = skip_page(
            thread.participants(),
            &page,
            &call.base_url,
            &format!("/chat/threads/{id}/participants"),
            call.api_version,
            |p| wire::participant(p, wire::Shape::of(call.api_version)),
        );
        Ok(ChatParticipantsCollection { next_link, value })
    })?;
    Ok(json_response(StatusCode::OK, &body))
}

/// `POST /chat/threads/{id}/participants/{action}`: `:add` or `:remove`.
pub(crate) async fn action(
    call: ChatCall,
    path: Result<Path<(String, String)>, PathRejection>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let store = call.store();
    let Path((id, action)) = path.map_err(|rejection| path_error(&rejection))?;
    check_thread_id(&id)?;
    match action.as_str() {
        ":add" => add(&call, store, &id, &body),
        ":remove" => remove(&call, store, &id, &body),
        other => Err(ApiError::not_found(
            "NotFound",
            format!("The operation '{}' does not exist.", printable(other)),
        )),
    }
}

/// Adds participants → 201 `{"invalidParticipants"?: [...]}`; existing
/// participants are left unchanged.
fn add(
    call: &ChatCall,
    store: &ChatStore,
    id: &str,
    body: &JsonBody,
) -> Result<Response, ApiError> {
    let request: AddChatParticipantsRequest = body.parse()?;
    let Candidates { valid, invalid } = candidates(&call.state, &request.participants)?;
    let activity = with_thread_mut(store, id, &call.user, |thread| {
        let ids: Vec<&str> = valid.iter().map(|p| p.raw_id.as_str()).collect();
        validate::participant_count(thread.participant_count() + thread.count_new(&ids))?;
        let at = now_millis();
        let added = thread.add_participants(&call.user, valid, at);
        if added.is_empty() || !call.events().is_active() {
            return Ok(None);
        }
        let added_records = thread
            .participants()
            .iter()
            .filter(|p| added.contains(&p.raw_id))
            .cloned()
            .collect();
        Ok(Some(ChatActivity::ParticipantsAdded {
            thread: ThreadSnapshot::of(thread),
            by: call.user.clone(),
            at,
            added: added_records,
        }))
    })?;
    emit(call.events(), activity);
    let result = AddChatParticipantsResult {
        invalid_participants: invalid,
    };
    Ok(json_response(StatusCode::CREATED, &result))
}

/// Removes a participant (the body is its identifier) → 204; 404 if it is
/// not a participant.
fn remove(
    call: &ChatCall,
    store: &ChatStore,
    id: &str,
    body: &JsonBody,
) -> Result<Response, ApiError> {
    let identifier: CommunicationIdentifierModel = body.parse()?;
    let identified = identify(&identifier, "participantCommunicationIdentifier")?;
    let activity = with_thread_mut(store, id, &call.user, |thread| {
        // Recipients are the participants before the removal, the removed
        // one included.
        let before = call
            .events()
            .is_active()
            .then(|| ThreadSnapshot::of(thread));
        let record = match &identified {
            Identified::AcsUser(user) => thread
                .participants()
                .iter()
                .find(|p| p.raw_id == *user)
                .cloned(),
            Identified::Other { .. } => None,
        };
        let at = now_millis();
        let removed = match &identified {
            Identified::AcsUser(user) => thread.remove_participant(&call.user, user, at),
            Identified::Other { .. } => false,
        };
        if !removed {
            // Removing someone who is not (or no longer) a participant is
            // a success, as the service answers it (2025-03-15 recordings):
            // a retried removal must not fail.
            return Ok(None);
        }
        // The thread stays in the removed user's thread list (the service
        // lists such inactive threads by design); every other access is 403.
        Ok(before
            .zip(record)
            .map(|(thread, removed)| ChatActivity::ParticipantRemoved {
                thread,
                by: call.user.clone(),
                at,
                removed,
            }))
    })?;
    emit(call.events(), activity);
    Ok(StatusCode::NO_CONTENT.into_response())
}
