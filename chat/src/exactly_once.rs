//! Exactly-once sends, opted into with
//! [`SendMessage::exactly_once`](crate::SendMessage::exactly_once).
//!
//! The service has no idempotency key for messages, so a send whose answer
//! was lost (a dropped connection, a cut-off body, a timeout) may or may not
//! have created the message. Here every such send carries a client message
//! id in its metadata ([`CLIENT_MESSAGE_ID_KEY`]); after an ambiguous
//! failure the thread's messages since the send began are listed, and the
//! message carrying that id is the answer. Only when none does is the send
//! tried again (with the same id), at most as many times as the client's
//! retries allow.
//!
//! Cost: nothing when the send gets an answer; after an ambiguous failure,
//! one wait for the lost attempt to settle (the client's per-try timeout,
//! at most [`SETTLE_LIMIT`], and at least the retry backoff) and one listing
//! of the messages sent since five minutes before the send began (a margin
//! for clock skew; pages of 200, so a busy thread may take several). The id
//! takes 58 of the message's 1 KB of metadata.
//!
//! The one case it cannot rule out: an attempt that the service holds longer
//! than that wait before processing it, so that it lands after the listing
//! found nothing and the send was repeated.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;

use crate::error::{ErrorKind, Result};
use crate::models::{ChatMessage, SendChatMessageResult};
use crate::pager::{Pager, MAX_PAGE_SIZE};
use crate::retry::RetryOptions;

/// The metadata key holding a message's client message id, on sends made
/// with [`SendMessage::exactly_once`](crate::SendMessage::exactly_once).
///
/// ```
/// assert_eq!(acs_chat::CLIENT_MESSAGE_ID_KEY, "acsChatClientMessageId");
/// ```
pub const CLIENT_MESSAGE_ID_KEY: &str = "acsChatClientMessageId";

/// The longest wait for a lost attempt to settle before looking for it.
pub(crate) const SETTLE_LIMIT: std::time::Duration = std::time::Duration::from_secs(1);

/// How far before the send's start the listing looks, for a clock of this
/// machine ahead of the service's.
const CLOCK_SKEW_MARGIN: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// Runs `send_once` until the message exists exactly once: an answer, or,
/// after an ambiguous failure, the message found by `client_message_id`
/// among those `list_since` lists.
pub(crate) async fn send<F, Fut, L>(
    retry: &RetryOptions,
    try_timeout: std::time::Duration,
    client_message_id: &str,
    mut send_once: F,
    list_since: L,
) -> Result<SendChatMessageResult>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<SendChatMessageResult>>,
    L: Fn(DateTime<Utc>) -> Pager<ChatMessage>,
{
    let began = Utc::now();
    let mut resends = 0u32;
    loop {
        let unknown = match send_once().await {
            Err(error) if error.kind() == ErrorKind::OutcomeUnknown => error,
            answered => return answered,
        };
        // Let an attempt still on its way land before looking for it.
        let settle = try_timeout
            .min(SETTLE_LIMIT)
            .max(retry.backoff(resends + 1));
        tokio::time::sleep(settle).await;
        match find(list_since(began - CLOCK_SKEW_MARGIN), client_message_id).await {
            Ok(Some(id)) => return Ok(SendChatMessageResult { id }),
            Ok(None) if resends < retry.retries() => {
                resends += 1;
                tracing::info!(resends, "the message was not sent; sending it again");
            }
            // Out of retries, or the listing failed: still unknown.
            Ok(None) | Err(_) => return Err(unknown),
        }
    }
}

/// The id of the message among `messages` carrying `client_message_id`.
async fn find(messages: Pager<ChatMessage>, client_message_id: &str) -> Result<Option<String>> {
    let mut messages = messages.results_per_page(MAX_PAGE_SIZE);
    while let Some(message) = messages.try_next().await? {
        if message
            .metadata
            .get(CLIENT_MESSAGE_ID_KEY)
            .map(String::as_str)
            == Some(client_message_id)
        {
            return Ok(Some(message.id));
        }
    }
    Ok(None)
}
