//! Thread operations: CreateChatThread, ListChatThreads,
//! GetChatThreadProperties, UpdateChatThreadProperties, DeleteChatThread.

use std::cmp::Reverse;
use std::collections::HashSet;

use acs_chat_rest::types::{
    ChatParticipant, ChatThreadsItemCollection, CommunicationError, CreateChatThreadRequest,
    CreateChatThreadResult, UpdateChatThreadRequest,
};
use axum::extract::rejection::PathRejection;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use crate::error::ApiError;
use crate::json::{json_response, JsonBody};
use crate::state::AppState;

use super::access::{thread_id, with_thread, with_thread_mut};
use super::context::{set_location, ChatCall};
use super::errors::bad_request;
use super::events::{emit, ChatActivity, ThreadSnapshot};
use super::identifiers::{identify, resource_of, Identified};
use super::ids::{has_thread_id_shape, new_thread_id, now_millis, printable, truncate_to_seconds};
use super::paging::{encode_token, invalid_sync_state, parse_query, sync_link};
use super::store::StoredCreate;
use super::thread_state::{NewThread, ParticipantRecord, ThreadState};
use super::{validate, wire};
use crate::sync::lock;

/// Header making thread creation idempotent.
pub(crate) const REPEATABILITY_REQUEST_ID: &str = "repeatability-request-id";

/// Participants of a create/add request, split into those that can join
/// and the `invalidParticipants` entries.
pub(crate) struct Candidates {
    /// Can join (deduplicated, request order).
    pub(crate) valid: Vec<ParticipantRecord>,
    /// Cannot join.
    pub(crate) invalid: Vec<CommunicationError>,
}

/// Sorts request participants into valid ones and `invalidParticipants`:
/// malformed identifiers are a 400; communication users of another
/// resource ("403"), users that do not exist ("404") and kinds the emulator
/// cannot add ("403") are invalid participants.
pub(crate) fn candidates(
    state: &AppState,
    participants: &[ChatParticipant],
) -> Result<Candidates, ApiError> {
    validate::participants_per_request(participants.len())?;
    let mut valid: Vec<ParticipantRecord> = Vec::new();
    let mut invalid = Vec::new();
    let mut seen = HashSet::new();
    for (i, participant) in participants.iter().enumerate() {
        let target = format!("participants[{i}].communicationIdentifier");
        let identified = identify(&participant.communication_identifier, &target)?;
        validate::metadata(&participant.metadata)?;
        validate::display_name(
            &format!("participants[{i}].displayName"),
            participant.display_name.as_deref(),
        )?;
        if !seen.insert(identified.raw_id().to_owned()) {
            continue;
        }
        match identified {
            Identified::AcsUser(id) if resource_of(&id) != Some(state.resource_id()) => {
                invalid.push(wire::invalid_participant(
                    &id,
                    "403",
                    "Permissions check failed",
                ));
            }
            Identified::AcsUser(id) if !state.identities().contains(&id) => {
                invalid.push(wire::invalid_participant(&id, "404", "Not found"));
            }
            Identified::AcsUser(id) => valid.push(ParticipantRecord {
                raw_id: id,
                display_name: participant.display_name.clone(),
                share_history_time: participant
                    .share_history_time
                    .map_or(DateTime::<Utc>::UNIX_EPOCH, truncate_to_seconds),
                metadata: participant.metadata.clone(),
            }),
            Identified::Other { raw_id, kind } => invalid.push(wire::invalid_participant(
                &raw_id,
                "403",
                &format!(
                    "Participants of kind '{}' cannot be added by the emulator.",
                    printable(&kind)
                ),
            )),
        }
    }
    Ok(Candidates { valid, invalid })
}

/// `POST /chat/threads`
pub(crate) async fn create(
    call: ChatCall,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let store = call.store();
    let repeatability = match headers.get(REPEATABILITY_REQUEST_ID) {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    bad_request(
                        REPEATABILITY_REQUEST_ID,
                        "repeatability-request-id must be a non-empty string.",
                    )
                })?
                .to_owned(),
        ),
    };
    let request: CreateChatThreadRequest = body.parse()?;
    validate::topic(&request.topic)?;
    validate::metadata(&request.metadata)?;
    if let Some(policy) = &request.retention_policy {
        validate::retention_policy(policy)?;
    }
    let Candidates { valid, invalid } = candidates(&call.state, &request.participants)?;
    let total = valid.len() + usize::from(!valid.iter().any(|p| p.raw_id == call.user));
    validate::participant_count(total)?;

    let create = || {
        let thread = ThreadState::create(
            NewThread {
                id: new_thread_id(),
                topic: request.topic.clone(),
                creator: call.user.clone(),
                participants: valid,
                metadata: request.metadata.clone(),
                retention_policy: request.retention_policy.clone(),
            },
            now_millis(),
        );
        let result = CreateChatThreadResult {
            chat_thread: Some(wire::thread_properties(
                &thread,
                wire::Shape::of(call.api_version),
            )),
            invalid_participants: invalid,
        };
        let stored = StoredCreate {
            thread_id: thread.id.clone(),
            result,
        };
        let activity = call
            .events()
            .is_active()
            .then(|| ChatActivity::ThreadCreated {
                thread: ThreadSnapshot::of(&thread),
                by: call.user.clone(),
            });
        // The thread and its repeatability record are stored together: a
        // create acknowledged or not, never half.
        let record = repeatability
            .as_deref()
            .map(|key| (call.user.as_str(), key, &stored));
        store.insert(thread, record)?;
        emit(call.events(), activity);
        Ok::<_, ApiError>(stored)
    };
    let stored = match &repeatability {
        Some(key) => store.create_once(&call.user, key, create)?,
        None => create()?,
    };
    let mut response = json_response(StatusCode::CREATED, &stored.result);
    set_location(&mut response, call.thread_url(&stored.thread_id, &[]));
    Ok(response)
}

/// `GET /chat/threads`: the caller's threads, most recent activity first.
pub(crate) async fn list(call: ChatCall) -> Result<Response, ApiError> {
    let store = call.store();
    let page = parse_query(call.query.as_deref())?;
    let after = match page.sync_state.as_deref() {
        None => None,
        Some([kind, user, activity, id]) if kind == "t" && *user == call.user => {
            let activity: u64 = activity.parse().map_err(|_| invalid_sync_state())?;
            Some((Reverse(activity), id.clone()))
        }
        Some(_) => return Err(invalid_sync_state()),
    };
    let after = after.map(|(Reverse(activity), id)| (activity, id));
    // One more than a page: whether there is a next one. O(page + log n)
    // through the store's activity index, however many threads the user has.
    // A thread deleted meanwhile is skipped and the next one read instead;
    // every round moves the cursor on, so this ends.
    let wanted = page.max_page_size + 1;
    let mut cursor = after;
    let mut items: Vec<(u64, String, _)> = Vec::with_capacity(wanted);
    loop {
        let asked = wanted - items.len();
        let batch = store.threads_page(&call.user, cursor.clone(), page.start_time, asked);
        let exhausted = batch.len() < asked;
        for (activity, id, handle) in batch {
            cursor = Some((activity, id));
            let Some(handle) = handle else { continue };
            let thread = lock(&handle);
            // Former members still see the thread listed, like the service.
            if !thread.deleted {
                items.push((activity, thread.id.clone(), wire::thread_item(&thread)));
            }
        }
        if exhausted || items.len() >= wanted {
            break;
        }
    }
    let next_link = (items.len() > page.max_page_size)
        .then(|| {
            items.truncate(page.max_page_size);
            items.last()
        })
        .flatten()
        .map(|(activity, id, _)| {
            let token = encode_token(&["t", &call.user, &activity.to_string(), id]);
            sync_link(
                &call.base_url,
                "/chat/threads",
                &token,
                &page,
                call.api_version,
            )
        });
    let body = ChatThreadsItemCollection {
        next_link,
        value: items.into_iter().map(|(_, _, item)| item).collect(),
    };
    Ok(json_response(StatusCode::OK, &body))
}

/// `GET /chat/threads/{id}`
pub(crate) async fn get(
    call: ChatCall,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let store = call.store();
    let id = thread_id(path)?;
    let properties = with_thread(store, &id, &call.user, |thread| {
        Ok(wire::thread_properties(
            thread,
            wire::Shape::of(call.api_version),
        ))
    })?;
    Ok(json_response(StatusCode::OK, &properties))
}

/// `PATCH /chat/threads/{id}` (JSON merge patch: topic, metadata merged
/// key by key, retention policy replaced).
pub(crate) async fn update(
    call: ChatCall,
    path: Result<Path<String>, PathRejection>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let store = call.store();
    let id = thread_id(path)?;
    let (request, patch): (UpdateChatThreadRequest, _) = validate::merge_patch(&body, &["topic"])?;
    if let Some(topic) = &request.topic {
        validate::topic(topic)?;
    }
    if let Some(policy) = &request.retention_policy {
        validate::retention_policy(policy)?;
    }
    let changes = !patch.is_empty()
        || patch.clear_retention_policy
        || !request.metadata.is_empty()
        || request.topic.is_some()
        || request.retention_policy.is_some();
    let activity = with_thread_mut(store, &id, &call.user, |thread| {
        thread.touch_header();
        if !patch.is_empty() || !request.metadata.is_empty() {
            let metadata = patch.apply(&thread.metadata, &request.metadata);
            validate::metadata(&metadata)?;
            thread.metadata = metadata;
        }
        if let Some(policy) = request.retention_policy {
            thread.retention_policy = Some(policy);
        } else if patch.clear_retention_policy {
            thread.retention_policy = None;
        }
        if let Some(topic) = request.topic {
            thread.update_topic(&call.user, topic, now_millis());
        }
        Ok(
            (changes && call.events().is_active()).then(|| ChatActivity::ThreadPropertiesUpdated {
                thread: ThreadSnapshot::of(thread),
                by: call.user.clone(),
                at: now_millis(),
            }),
        )
    })?;
    emit(call.events(), activity);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /chat/threads/{id}`: the thread disappears for everyone. A
/// thread that is already gone (or never was) answers 204 too, as the
/// service does: a retried delete must not fail.
pub(crate) async fn delete(
    call: ChatCall,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let store = call.store();
    let id = thread_id(path)?;
    // Only a thread id of the service's shape: anything else was never a
    // thread and answers 404 as before.
    let gone = has_thread_id_shape(&id)
        && store
            .get(&id)
            .is_none_or(|handle| crate::sync::lock(&handle).deleted);
    if gone {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let activity = with_thread(store, &id, &call.user, |thread| {
        // Stored first: a thread whose deletion was not stored stays.
        let members: Vec<String> = thread.listed_for().cloned().collect();
        store.remove(&id, &members)?;
        thread.deleted = true;
        Ok(call
            .events()
            .is_active()
            .then(|| ChatActivity::ThreadDeleted {
                thread: ThreadSnapshot::of(thread),
                by: call.user.clone(),
                at: now_millis(),
            }))
    })?;
    emit(call.events(), activity);
    Ok(StatusCode::NO_CONTENT.into_response())
}
