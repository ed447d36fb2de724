//! Entry points for the `cargo fuzz` targets in the repository's `fuzz/`
//! directory: the parsers of untrusted input that are not public API.
//!
//! Compiled only under `--cfg fuzzing` (cargo-fuzz sets it), so none of this
//! is part of the crate's API or its semver promise.

use reqwest::header::HeaderMap;
use std::time::Duration;

use crate::identifier::CommunicationIdentifier;
use crate::models::ChatParticipant;
use crate::wire as convert;
use acs_chat_rest::types as wire;

/// The `exp` claim of a JWT, as the credential reads it.
pub fn jwt_expiry(token: &str) -> bool {
    crate::credential::jwt_expiry(token).is_ok()
}

/// `retry-after-ms`, `x-ms-retry-after-ms` and `Retry-After`, as the retry
/// policy reads them.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    crate::error::retry_after(headers)
}

/// The endpoint and the URL the pager would follow for `next_link`, or
/// `None` when it refuses the link (or the endpoint is no URL).
pub fn trusted_next_link(endpoint: &str, next_link: &str) -> Option<(reqwest::Url, reqwest::Url)> {
    let endpoint = reqwest::Url::parse(endpoint).ok()?;
    let followed = crate::pager::trusted_next_link(&endpoint, next_link).ok()?;
    Some((endpoint, followed))
}

/// How an error answer becomes an [`crate::Error`]; returns its text.
pub fn error_from_response(status: u16, headers: &HeaderMap, body: &[u8]) -> String {
    crate::Error::from_response(status, headers, body).to_string()
}

/// Number of response types [`decode_response`] knows.
pub const RESPONSE_KINDS: u8 = 12;

/// Decodes `body` as response type `kind % RESPONSE_KINDS` and converts it
/// into the facade's models the way the clients do; panics when a model the
/// clients read directly reads otherwise than through the wire types.
pub fn decode_response(kind: u8, body: &[u8]) {
    fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<T> {
        serde_json::from_slice(body).ok()
    }
    let probe = ChatParticipant::new(CommunicationIdentifier::from_raw_id("8:acs:probe"));
    match kind % RESPONSE_KINDS {
        0 => {
            if let Some(thread) = decode::<wire::ChatThreadProperties>(body) {
                let _ = convert::thread_from_wire(thread);
            }
        }
        // What the clients read straight into the facade's models must read
        // as the wire types and their conversion do.
        1..=5 => {
            if let Err(difference) = convert::reference::every_direct_read_alike(body) {
                panic!("read unlike the reference: {difference}");
            }
        }
        6 => {
            if let Some(created) = decode::<wire::CreateChatThreadResult>(body) {
                if let Some(thread) = created.chat_thread {
                    let _ = convert::thread_from_wire(thread);
                }
                let _ = convert::pair_participant_errors(
                    std::slice::from_ref(&probe),
                    created.invalid_participants,
                );
            }
        }
        7 => {
            if let Some(added) = decode::<wire::AddChatParticipantsResult>(body) {
                let _ = convert::pair_participant_errors(
                    std::slice::from_ref(&probe),
                    added.invalid_participants,
                );
            }
        }
        8 => {
            let _ = decode::<wire::SendChatMessageResult>(body);
        }
        9 => {
            let _ = decode::<wire::CommunicationErrorResponse>(body);
        }
        10 => {
            let _ = crate::identity::decode_identity_response(body);
        }
        _ => {
            let _ = crate::identity::decode_access_token_response(body);
        }
    }
}
