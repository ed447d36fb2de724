//! Request validation: limits, message types, retention policies, and the
//! JSON merge patch bodies of the two PATCH operations.
//!
//! Limits (see [`super`] for the constants): message content at most
//! 28 KiB of UTF-8 (the service's documented 28 KB); topics at most 4 KiB
//! and display names at most 1 KiB (the emulator's caps: the service
//! documents none); at most 250
//! participants per thread; metadata (threads, participants, messages) at
//! most 1 KiB in total, counting the UTF-8 bytes of every key and value (the
//! spec documents "at most 1 KB in total" for threads and participants; the
//! emulator applies the same bound to messages), with non-empty keys;
//! retention `deleteThreadAfterDays` in 30..=90; at most 200 participants
//! named in one create or `:add` request.

use std::collections::HashMap;

use acs_chat_rest::types::{ChatMessageType, ChatRetentionPolicy, RetentionPolicyKind};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;
use crate::json::JsonBody;

use super::errors::bad_request;
use super::thread_state::UserMessageKind;
use super::{
    MAX_DISPLAY_NAME_BYTES, MAX_MESSAGE_CONTENT_BYTES, MAX_METADATA_BYTES, MAX_PARTICIPANTS,
    MAX_PARTICIPANTS_PER_REQUEST, MAX_RETENTION_DAYS, MAX_TOPIC_BYTES, MIN_RETENTION_DAYS,
};

/// A non-blank topic of at most [`MAX_TOPIC_BYTES`].
pub(crate) fn topic(topic: &str) -> Result<(), ApiError> {
    if topic.trim().is_empty() {
        return Err(bad_request("topic", "The topic must not be empty."));
    }
    at_most("topic", "The topic", topic, MAX_TOPIC_BYTES)
}

/// A display name (of a participant or a sender) of at most
/// [`MAX_DISPLAY_NAME_BYTES`], when there is one.
pub(crate) fn display_name(target: &str, name: Option<&str>) -> Result<(), ApiError> {
    match name {
        Some(name) => at_most(target, "The display name", name, MAX_DISPLAY_NAME_BYTES),
        None => Ok(()),
    }
}

fn at_most(target: &str, what: &str, text: &str, limit: usize) -> Result<(), ApiError> {
    if text.len() > limit {
        return Err(bad_request(
            target,
            format!(
                "{what} is {} bytes; at most {limit} are allowed.",
                text.len()
            ),
        ));
    }
    Ok(())
}

/// Message content: non-empty, at most [`MAX_MESSAGE_CONTENT_BYTES`].
pub(crate) fn content(content: &str) -> Result<(), ApiError> {
    if content.is_empty() {
        return Err(bad_request(
            "content",
            "The message content must not be empty.",
        ));
    }
    if content.len() > MAX_MESSAGE_CONTENT_BYTES {
        return Err(bad_request(
            "content",
            format!(
                "The message content is {} bytes; at most {MAX_MESSAGE_CONTENT_BYTES} are allowed.",
                content.len()
            ),
        ));
    }
    Ok(())
}

/// Metadata: non-empty keys, at most [`MAX_METADATA_BYTES`] in total.
pub(crate) fn metadata(metadata: &HashMap<String, String>) -> Result<(), ApiError> {
    if metadata.keys().any(|key| key.trim().is_empty()) {
        return Err(bad_request("metadata", "Metadata keys must not be empty."));
    }
    let size: usize = metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > MAX_METADATA_BYTES {
        return Err(bad_request(
            "metadata",
            format!("The metadata is {size} bytes; at most {MAX_METADATA_BYTES} are allowed."),
        ));
    }
    Ok(())
}

/// At most [`MAX_PARTICIPANTS_PER_REQUEST`] participants in one request.
pub(crate) fn participants_per_request(count: usize) -> Result<(), ApiError> {
    if count > MAX_PARTICIPANTS_PER_REQUEST {
        return Err(bad_request(
            "participants",
            format!("At most {MAX_PARTICIPANTS_PER_REQUEST} participants can be added in one request; the request names {count}."),
        ));
    }
    Ok(())
}

/// A participant count within [`MAX_PARTICIPANTS`].
pub(crate) fn participant_count(count: usize) -> Result<(), ApiError> {
    if count > MAX_PARTICIPANTS {
        return Err(bad_request(
            "participants",
            format!("A chat thread has at most {MAX_PARTICIPANTS} participants; the request would make {count}."),
        ));
    }
    Ok(())
}

/// The type of a message to send: `text` (default) or `html`.
pub(crate) fn message_type(kind: Option<&ChatMessageType>) -> Result<UserMessageKind, ApiError> {
    match kind {
        None | Some(ChatMessageType::Text) => Ok(UserMessageKind::Text),
        Some(ChatMessageType::Html) => Ok(UserMessageKind::Html),
        Some(other) => Err(bad_request(
            "type",
            format!(
                "'{}' is not a message type that can be sent; use 'text' or 'html'.",
                other.as_str()
            ),
        )),
    }
}

/// A retention policy: `none`, or `threadCreationDate` with
/// `deleteThreadAfterDays` in [`MIN_RETENTION_DAYS`]..=[`MAX_RETENTION_DAYS`].
pub(crate) fn retention_policy(policy: &ChatRetentionPolicy) -> Result<(), ApiError> {
    match &policy.kind {
        RetentionPolicyKind::None => Ok(()),
        RetentionPolicyKind::ThreadCreationDate => match policy.delete_thread_after_days {
            Some(days) if (MIN_RETENTION_DAYS..=MAX_RETENTION_DAYS).contains(&days) => Ok(()),
            _ => Err(bad_request(
                "retentionPolicy.deleteThreadAfterDays",
                format!(
                    "deleteThreadAfterDays must be between {MIN_RETENTION_DAYS} and {MAX_RETENTION_DAYS}."
                ),
            )),
        },
        RetentionPolicyKind::Unknown(kind) => Err(bad_request(
            "retentionPolicy.kind",
            format!(
                "'{}' is not a retention policy kind; use 'threadCreationDate' or 'none'.",
                super::ids::printable(kind)
            ),
        )),
    }
}

/// Metadata changes of a merge patch (RFC 7396): `"metadata": null` clears
/// it, `"key": null` removes a key, other keys are set.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct MetadataPatch {
    /// Remove every key first.
    pub(crate) clear: bool,
    /// Keys to remove.
    pub(crate) remove: Vec<String>,
    /// Whether the body set `retentionPolicy` to `null` (back to none).
    pub(crate) clear_retention_policy: bool,
}

impl MetadataPatch {
    /// Applies the patch: removals, then `set`. Returns the new metadata
    /// (the input is left alone, so a failed validation changes nothing).
    pub(crate) fn apply(
        &self,
        current: &HashMap<String, String>,
        set: &HashMap<String, String>,
    ) -> HashMap<String, String> {
        let mut next = if self.clear {
            HashMap::new()
        } else {
            current.clone()
        };
        for key in &self.remove {
            next.remove(key);
        }
        next.extend(set.iter().map(|(k, v)| (k.clone(), v.clone())));
        next
    }

    /// True if the patch changes nothing by itself.
    pub(crate) fn is_empty(&self) -> bool {
        !self.clear && self.remove.is_empty()
    }
}

/// Parses a merge patch body (`application/merge-patch+json` or
/// `application/json`) into `T`, taking the `null`s of `metadata` out first
/// (the wire types hold plain strings). `non_nullable` fields may not be
/// `null` (they cannot be removed).
pub(crate) fn merge_patch<T: DeserializeOwned>(
    body: &JsonBody,
    non_nullable: &[&str],
) -> Result<(T, MetadataPatch), ApiError> {
    // A wrong content type gets the same answer as for any JSON body.
    let mut value: Value = body.parse()?;
    let Some(object) = value.as_object_mut() else {
        return Err(bad_request(
            "body",
            "The request body must be a JSON object.",
        ));
    };
    for field in non_nullable {
        if object.get(*field).is_some_and(Value::is_null) {
            return Err(bad_request(field, format!("'{field}' cannot be removed.")));
        }
    }
    let mut patch = MetadataPatch::default();
    if object.get("retentionPolicy").is_some_and(Value::is_null) {
        patch.clear_retention_policy = true;
        object.remove("retentionPolicy");
    }
    match object.get_mut("metadata") {
        Some(Value::Null) => {
            patch.clear = true;
            object.remove("metadata");
        }
        Some(Value::Object(entries)) => {
            let nulls: Vec<String> = entries
                .iter()
                .filter(|(_, v)| v.is_null())
                .map(|(k, _)| k.clone())
                .collect();
            for key in &nulls {
                entries.remove(key);
            }
            patch.remove = nulls;
        }
        _ => {}
    }
    let parsed = serde_json::from_value(value).map_err(|err| {
        ApiError::bad_request(
            crate::json::BAD_REQUEST_CODE,
            format!("The request body is invalid: {err}"),
        )
    })?;
    Ok((parsed, patch))
}

#[cfg(test)]
mod tests {
    use super::*;
    use acs_chat_rest::types::UpdateChatThreadRequest;
    use axum::http::{header, HeaderMap, HeaderValue};

    /// `body` as read from a request sent with `Content-Type: kind`.
    fn sent_as(kind: &'static str, body: &'static [u8]) -> JsonBody {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
        JsonBody::new(
            bytes::Bytes::from_static(body),
            crate::json::is_json_content_type(&headers),
        )
    }

    #[test]
    fn limits() {
        assert!(topic("").is_err());
        assert!(topic("  ").is_err());
        assert!(topic("t").is_ok());
        assert!(content(&"a".repeat(MAX_MESSAGE_CONTENT_BYTES)).is_ok());
        assert!(content(&"a".repeat(MAX_MESSAGE_CONTENT_BYTES + 1)).is_err());
        assert!(content("").is_err());
        let mut meta = HashMap::new();
        meta.insert("k".to_owned(), "v".repeat(MAX_METADATA_BYTES - 1));
        assert!(metadata(&meta).is_ok());
        meta.insert("k2".to_owned(), "v".to_owned());
        assert!(metadata(&meta).is_err());
        assert!(participant_count(MAX_PARTICIPANTS).is_ok());
        assert!(participant_count(MAX_PARTICIPANTS + 1).is_err());
        assert!(message_type(Some(&ChatMessageType::TopicUpdated)).is_err());
        assert!(message_type(Some(&ChatMessageType::Unknown("x".into()))).is_err());
        assert_eq!(message_type(None).ok(), Some(UserMessageKind::Text));
    }

    #[test]
    fn merge_patch_nulls() {
        let body = br#"{"topic":"t","metadata":{"a":null,"b":"2"}}"#;
        for kind in ["application/merge-patch+json", "application/json"] {
            let parsed = merge_patch::<UpdateChatThreadRequest>(&sent_as(kind, body), &["topic"]);
            let Ok((request, patch)) = parsed else {
                panic!("parses with {kind}");
            };
            assert_eq!(request.topic.as_deref(), Some("t"));
            assert_eq!(patch.remove, vec!["a".to_owned()]);
            let mut current = HashMap::new();
            current.insert("a".to_owned(), "1".to_owned());
            current.insert("c".to_owned(), "3".to_owned());
            let next = patch.apply(&current, &request.metadata);
            assert_eq!(next.len(), 2);
            assert_eq!(next.get("b").map(String::as_str), Some("2"));
        }
        let cleared = merge_patch::<UpdateChatThreadRequest>(
            &sent_as("application/json", br#"{"metadata":null}"#),
            &["topic"],
        );
        assert!(cleared.is_ok_and(|(_, patch)| patch.clear));
        for bad in [&br#"{"topic":null}"#[..], b"[]", b"{", br#"{"topic":5}"#] {
            assert!(merge_patch::<UpdateChatThreadRequest>(
                &sent_as("application/json", bad),
                &["topic"]
            )
            .is_err());
        }
        assert!(
            merge_patch::<UpdateChatThreadRequest>(&sent_as("text/plain", b"{}"), &["topic"])
                .is_err()
        );
    }
}
