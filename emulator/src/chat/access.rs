//! Finding a thread for a caller: path ids, 404 for unknown or deleted
//! threads, 403 for non-participants.

use axum::extract::rejection::PathRejection;
use axum::extract::Path;

use crate::error::ApiError;

use super::context::ChatCall;
use super::errors::{bad_request, forbidden, path_error, thread_not_found};
use super::ids::{check_thread_id, parse_message_id};
use super::store::ChatStore;
use super::thread_state::ThreadState;
use crate::sync::lock;

/// The thread id of a `/chat/threads/{id}...` path (percent-decoded by
/// axum, so `19%3A...%40thread.v2` and `19:...@thread.v2` are the same).
pub(crate) fn thread_id(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    let Path(id) = path.map_err(|rejection| path_error(&rejection))?;
    check_thread_id(&id)?;
    Ok(id)
}

/// Thread and message ids of a `/chat/threads/{id}/messages/{id}` path.
pub(crate) fn message_path(
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<(String, u64), ApiError> {
    let Path((thread, message)) = path.map_err(|rejection| path_error(&rejection))?;
    check_thread_id(&thread)?;
    Ok((thread, parse_message_id(&message)?))
}

/// Runs `f` on the thread under its lock, if `user` may see it.
pub(crate) fn with_thread<R>(
    store: &ChatStore,
    thread_id: &str,
    user: &str,
    f: impl FnOnce(&mut ThreadState) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    let handle = store.get(thread_id).ok_or_else(thread_not_found)?;
    let mut thread = lock(&handle);
    if thread.deleted {
        return Err(thread_not_found());
    }
    if !thread.is_member(user) {
        return Err(forbidden());
    }
    f(&mut thread)
}

/// Like [`with_thread`], for a change: what `f` changed is stored (with
/// `--data-dir`) before the request is answered.
pub(crate) fn with_thread_mut<R>(
    store: &ChatStore,
    thread_id: &str,
    user: &str,
    f: impl FnOnce(&mut ThreadState) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    with_thread(store, thread_id, user, |thread| {
        let result = f(thread)?;
        if !thread.deleted {
            store.save(thread)?;
        }
        Ok(result)
    })
}

/// Any request to `/chat/threads/` or `/chat/threads//...`: 400 (after
/// the usual authentication and api-version checks).
pub(crate) async fn empty_thread_id(_call: ChatCall) -> ApiError {
    bad_request("chatThreadId", "The chat thread id must not be empty.")
}

/// Any request to `/chat/threads/{id}/messages/`: 400.
pub(crate) async fn empty_message_id(_call: ChatCall) -> ApiError {
    bad_request("chatMessageId", "The chat message id must not be empty.")
}
