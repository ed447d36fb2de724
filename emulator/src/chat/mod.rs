//! ACS **Chat** data-plane routes (spec `openapi/chat.json`, api-version
//! 2025-03-15; 2021-09-07, 2023-11-07 and 2024-03-07 are accepted too),
//! authenticated with the emulator's bearer tokens ([`crate::tokens`]).
//! Request and response bodies are the generated wire types of
//! `acs-chat-rest`, so a change of the spec breaks this crate's build.
//!
//! | operation | route | answer |
//! | --- | --- | --- |
//! | CreateChatThread | `POST /chat/threads` (`repeatability-request-id`) | 201 + `Location`, `{"chatThread", "invalidParticipants"?}` |
//! | ListChatThreads | `GET /chat/threads` (`maxPageSize`, `startTime`) | 200, most recent activity first |
//! | GetChatThreadProperties | `GET /chat/threads/{id}` | 200 |
//! | UpdateChatThreadProperties | `PATCH /chat/threads/{id}` (merge patch) | 204 |
//! | DeleteChatThread | `DELETE /chat/threads/{id}` | 204 |
//! | SendChatMessage | `POST /chat/threads/{id}/messages` | 201 + `Location`, `{"id"}` |
//! | ListChatMessages | `GET /chat/threads/{id}/messages` (`maxPageSize`, `startTime`) | 200, newest first |
//! | GetChatMessage | `GET /chat/threads/{id}/messages/{messageId}` | 200 |
//! | UpdateChatMessage | `PATCH /chat/threads/{id}/messages/{messageId}` (merge patch) | 204 |
//! | DeleteChatMessage | `DELETE /chat/threads/{id}/messages/{messageId}` | 204 |
//! | ListChatParticipants | `GET /chat/threads/{id}/participants` (`maxPageSize`, `skip`) | 200 |
//! | AddChatParticipants | `POST /chat/threads/{id}/participants/:add` | 201, `{"invalidParticipants"?}` |
//! | RemoveChatParticipant | `POST /chat/threads/{id}/participants/:remove` | 204 |
//! | SendChatReadReceipt | `POST /chat/threads/{id}/readReceipts` | 200 |
//! | ListChatReadReceipts | `GET /chat/threads/{id}/readReceipts` (`maxPageSize`, `skip`) | 200 |
//! | SendTypingNotification | `POST /chat/threads/{id}/typing` | 200 |
//!
//! Thread ids in paths may be percent-encoded (`19%3A...%40thread.v2`) or
//! raw (`19:...@thread.v2`).
//!
//! # Behaviour
//!
//! * Creating a thread adds the creator (from the token) and the valid
//!   participants, and writes `participantAdded` (sequence 1) and
//!   `topicUpdated` (sequence 2) with `content.initiatorCommunicationIdentifier`
//!   and no sender. Adding and removing participants and changing the topic
//!   write `participantAdded` / `participantRemoved` / `topicUpdated`.
//! * Ids: threads `19:<44 url-safe chars>@thread.v2`; messages 13-digit
//!   epoch milliseconds, strictly increasing per thread; `version` equals
//!   the id until an edit gives it a new, larger value; sequence ids are
//!   strings. Times are whole seconds (`2023-05-27T01:38:35Z`).
//! * Messages list newest first. Deleted messages are still returned (by
//!   get and list) with `deletedOn`, without `content`. Edits set
//!   `editedOn`. Only the sender may edit or delete a message (403).
//! * A deleted thread disappears: 404 for every operation, gone from lists.
//! * `PATCH` bodies are JSON merge patches (`application/merge-patch+json`
//!   or `application/json`): metadata keys are merged, a `null` value
//!   removes a key, `"metadata": null` clears it.
//! * `repeatability-request-id`: the same id from the same creator returns
//!   the first answer (201, same body) without creating another thread.
//! * Errors: 401 (token, see [`crate::tokens`]), 403 `Forbidden` for a
//!   non-participant, 404 `NotFound` for unknown threads/messages, 400
//!   `BadRequest` (with `target`) for invalid input; limits in
//!   [`MAX_MESSAGE_CONTENT_BYTES`], [`MAX_PARTICIPANTS`], [`MAX_TOPIC_BYTES`],
//!   [`MAX_DISPLAY_NAME_BYTES`],
//!   [`MAX_METADATA_BYTES`], [`MAX_PAGE_SIZE`], [`MAX_RETENTION_DAYS`].
//! * Paging: see the `paging` module docs; `nextLink` is absolute, built
//!   from the request's `Host`, and keeps the request's api-version.
//!
//! Chat state is cleared by `POST /admin/reset` (an [`AppState::on_reset`]
//! hook).

use std::sync::Arc;

use axum::routing::{any, get, post};
use axum::Router;

use crate::api_version::with_supported_versions;
use crate::state::AppState;

mod access;
mod chunked;
mod context;
mod errors;
mod events;
mod identifiers;
mod ids;
mod json_cache;
mod messages;
mod notifications;
mod paging;
mod participants;
mod receipts;
pub(crate) mod store;
mod thread_state;
mod threads;
mod validate;
mod version_index;
mod wire;

/// Chat API versions the emulator accepts.
pub const CHAT_API_VERSIONS: &[&str] = &["2021-09-07", "2023-11-07", "2024-03-07", "2025-03-15"];

/// Largest message content, in bytes of UTF-8 (the service's 28 KB).
pub const MAX_MESSAGE_CONTENT_BYTES: usize = 28 * 1024;
/// Most participants a thread may have.
pub const MAX_PARTICIPANTS: usize = 250;
/// Most participants one create or `:add` request may name.
pub const MAX_PARTICIPANTS_PER_REQUEST: usize = 200;
/// Read receipts are not kept in threads of more participants than this.
pub const MAX_PARTICIPANTS_WITH_READ_RECEIPTS: usize = 20;
/// Smallest `deleteThreadAfterDays` of a retention policy.
pub const MIN_RETENTION_DAYS: i32 = 30;
/// Largest metadata, counting the bytes of every key and value.
pub const MAX_METADATA_BYTES: usize = 1024;
/// Largest thread topic, in bytes of UTF-8 (the service documents none;
/// no real client sends more).
pub const MAX_TOPIC_BYTES: usize = 4 * 1024;
/// Largest display name (participant, message sender, typing sender), in
/// bytes of UTF-8 (the service documents none; no real client sends more).
pub const MAX_DISPLAY_NAME_BYTES: usize = 1024;
/// Default and largest `maxPageSize`.
pub const MAX_PAGE_SIZE: usize = 200;
/// Largest `deleteThreadAfterDays` of a retention policy.
pub const MAX_RETENTION_DAYS: i32 = 90;

/// The Chat routes, whose store (`AppState::chat_store`, cleared on
/// [`AppState::reset`]) the handlers reach through their `ChatCall`, and their
/// `api-supported-versions`.
pub fn router(state: &AppState) -> Router<AppState> {
    let on_reset = Arc::clone(state.chat_store());
    state.on_reset(move || on_reset.clear());
    let routes = Router::new()
        .route("/chat/threads", post(threads::create).get(threads::list))
        .route(
            "/chat/threads/{thread_id}",
            get(threads::get)
                .patch(threads::update)
                .delete(threads::delete),
        )
        .route(
            "/chat/threads/{thread_id}/messages",
            post(messages::send).get(messages::list),
        )
        .route(
            "/chat/threads/{thread_id}/messages/{message_id}",
            get(messages::get)
                .patch(messages::update)
                .delete(messages::delete),
        )
        .route(
            "/chat/threads/{thread_id}/participants",
            get(participants::list),
        )
        .route(
            "/chat/threads/{thread_id}/participants/{action}",
            post(participants::action),
        )
        .route(
            "/chat/threads/{thread_id}/readReceipts",
            post(receipts::send).get(receipts::list),
        )
        .route(
            "/chat/threads/{thread_id}/typing",
            post(notifications::typing),
        )
        // Empty ids (clients also normalize `.`/`%2E` segments away).
        .route("/chat/threads/", any(access::empty_thread_id))
        .route("/chat/threads//{*rest}", any(access::empty_thread_id))
        .route(
            "/chat/threads/{thread_id}/messages/",
            any(access::empty_message_id),
        );
    with_supported_versions(routes, CHAT_API_VERSIONS)
}
