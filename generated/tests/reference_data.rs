//! The generated types against real-world bodies: the upstream x-ms-examples
//! of api-version 2025-03-15 and sanitized recordings of the live service
//! (`tests/data/`, see `tests/data/SOURCES.md`). Every response body is
//! mapped to its operation and decoded into that operation's success type (or
//! `CommunicationErrorResponse` for error statuses); every request body is
//! decoded into the operation's request type. Plus: unknown enum values and
//! unknown fields decode, and unknown enum values round-trip unchanged.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use acs_chat_rest::types;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data")
}

fn read_json(path: &Path) -> Value {
    let text =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned()
}

// ---------------------------------------------------------------------------
// The operations, independent of the code under test
// ---------------------------------------------------------------------------

/// Decodes a body into `T` and encodes it again.
type Decoder = fn(&Value) -> Result<Value, String>;

fn decode<T: DeserializeOwned + Serialize>(body: &Value) -> Result<Value, String> {
    let value: T = serde_json::from_value(body.clone()).map_err(|e| e.to_string())?;
    serde_json::to_value(&value).map_err(|e| e.to_string())
}

struct Operation {
    id: &'static str,
    method: &'static str,
    path: &'static str,
    success: u16,
    /// Type of the success body; `None` when the success response has none.
    response: Option<(&'static str, Decoder)>,
    /// Type of the request body; `None` when the operation takes none.
    request: Option<(&'static str, Decoder)>,
    /// Name of the body parameter in the upstream examples.
    example_body_parameter: Option<&'static str>,
}

macro_rules! ty {
    ($t:ident) => {
        Some((stringify!($t), decode::<types::$t> as Decoder))
    };
}

const OPERATIONS: [Operation; 16] = [
    Operation {
        id: "ListChatThreads",
        method: "GET",
        path: "/chat/threads",
        success: 200,
        response: ty!(ChatThreadsItemCollection),
        request: None,
        example_body_parameter: None,
    },
    Operation {
        id: "CreateChatThread",
        method: "POST",
        path: "/chat/threads",
        success: 201,
        response: ty!(CreateChatThreadResult),
        request: ty!(CreateChatThreadRequest),
        example_body_parameter: Some("createChatThreadRequest"),
    },
    Operation {
        id: "GetChatThreadProperties",
        method: "GET",
        path: "/chat/threads/{chatThreadId}",
        success: 200,
        response: ty!(ChatThreadProperties),
        request: None,
        example_body_parameter: None,
    },
    Operation {
        id: "UpdateChatThreadProperties",
        method: "PATCH",
        path: "/chat/threads/{chatThreadId}",
        success: 204,
        response: None,
        request: ty!(UpdateChatThreadRequest),
        example_body_parameter: Some("updateChatThreadRequest"),
    },
    Operation {
        id: "DeleteChatThread",
        method: "DELETE",
        path: "/chat/threads/{chatThreadId}",
        success: 204,
        response: None,
        request: None,
        example_body_parameter: None,
    },
    Operation {
        id: "SendChatMessage",
        method: "POST",
        path: "/chat/threads/{chatThreadId}/messages",
        success: 201,
        response: ty!(SendChatMessageResult),
        request: ty!(SendChatMessageRequest),
        example_body_parameter: Some("sendChatMessageRequest"),
    },
    Operation {
        id: "ListChatMessages",
        method: "GET",
        path: "/chat/threads/{chatThreadId}/messages",
        success: 200,
        response: ty!(ChatMessagesCollection),
        request: None,
        example_body_parameter: None,
    },
    Operation {
        id: "GetChatMessage",
        method: "GET",
        path: "/chat/threads/{chatThreadId}/messages/{chatMessageId}",
        success: 200,
        response: ty!(ChatMessage),
        request: None,
        example_body_parameter: None,
    },
    Operation {
        id: "UpdateChatMessage",
        method: "PATCH",
        path: "/chat/threads/{chatThreadId}/messages/{chatMessageId}",
        success: 204,
        response: None,
        request: ty!(UpdateChatMessageRequest),
        example_body_parameter: Some("updateChatMessageRequest"),
    },
    Operation {
        id: "DeleteChatMessage",
        method: "DELETE",
        path: "/chat/threads/{chatThreadId}/messages/{chatMessageId}",
        success: 204,
        response: None,
        request: None,
        example_body_parameter: None,
    },
    Operation {
        id: "ListChatParticipants",
        method: "GET",
        path: "/chat/threads/{chatThreadId}/participants",
        success: 200,
        response: ty!(ChatParticipantsCollection),
        request: None,
        example_body_parameter: None,
    },
    Operation {
        id: "AddChatParticipants",
        method: "POST",
        path: "/chat/threads/{chatThreadId}/participants/:add",
        success: 201,
        response: ty!(AddChatParticipantsResult),
        request: ty!(AddChatParticipantsRequest),
        example_body_parameter: Some("addChatParticipantsRequest"),
    },
    Operation {
        id: "RemoveChatParticipant",
        method: "POST",
        path: "/chat/threads/{chatThreadId}/participants/:remove",
        success: 204,
        response: None,
        request: ty!(CommunicationIdentifierModel),
        example_body_parameter: Some("participantCommunicationIdentifier"),
    },
    Operation {
        id: "SendChatReadReceipt",
        method: "POST",
        path: "/chat/threads/{chatThreadId}/readReceipts",
        success: 200,
        response: None,
        request: ty!(SendReadReceiptRequest),
        example_body_parameter: Some("sendReadReceiptRequest"),
    },
    Operation {
        id: "ListChatReadReceipts",
        method: "GET",
        path: "/chat/threads/{chatThreadId}/readReceipts",
        success: 200,
        response: ty!(ChatMessageReadReceiptsCollection),
        request: None,
        example_body_parameter: None,
    },
    Operation {
        id: "SendTypingNotification",
        method: "POST",
        path: "/chat/threads/{chatThreadId}/typing",
        success: 200,
        response: None,
        request: ty!(SendTypingNotificationRequest),
        example_body_parameter: Some("sendTypingNotificationRequest"),
    },
];

fn operation(id: &str) -> &'static Operation {
    OPERATIONS
        .iter()
        .find(|op| op.id == id)
        .unwrap_or_else(|| panic!("no operation {id}"))
}

/// The one operation whose method and path template fit a request. The path
/// must have exactly the template's segments (no prefix), literal segments
/// equal, parameters non-empty.
fn route(method: &str, path: &str) -> Result<&'static Operation, String> {
    let actual: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let found: Vec<&'static Operation> = OPERATIONS
        .iter()
        .filter(|op| op.method == method)
        .filter(|op| {
            let template: Vec<&str> = op.path.trim_start_matches('/').split('/').collect();
            template.len() == actual.len()
                && template.iter().zip(&actual).all(|(t, a)| {
                    if t.starts_with('{') {
                        !a.is_empty()
                    } else {
                        t == a
                    }
                })
        })
        .collect();
    match found.as_slice() {
        [op] => Ok(op),
        [] => Err(format!("no operation for {method} {path}")),
        many => Err(format!(
            "{method} {path} is ambiguous: {:?}",
            many.iter().map(|op| op.id).collect::<Vec<_>>()
        )),
    }
}

const ERROR_TYPE: (&str, Decoder) = (
    "CommunicationErrorResponse",
    decode::<types::CommunicationErrorResponse> as Decoder,
);

/// Decodes a response body of `op` with `status`; `body` is `None` when the
/// response has none.
fn check_response(
    op: &Operation,
    status: u16,
    body: Option<&Value>,
) -> Result<Option<&'static str>, String> {
    let expected = if status == op.success {
        op.response
    } else if status >= 400 {
        Some(ERROR_TYPE)
    } else {
        return Err(format!("status {status} is not a status of {}", op.id));
    };
    match (expected, body) {
        (Some((name, decoder)), Some(body)) => {
            let encoded = decoder(body).map_err(|e| format!("as {name}: {e}"))?;
            let mut dropped = Vec::new();
            dropped_fields(body, &encoded, "", &mut dropped);
            if dropped.is_empty() {
                Ok(Some(name))
            } else {
                Err(format!(
                    "as {name}: fields lost in decoding: {}",
                    dropped.join(", ")
                ))
            }
        }
        (Some((name, _)), None) => Err(format!("expected a {name} body, found none")),
        (None, Some(body)) => Err(format!("expected no body, found {body}")),
        (None, None) => Ok(None),
    }
}

fn check_request(op: &Operation, body: &Value) -> Result<&'static str, String> {
    let (name, decoder) = op
        .request
        .ok_or_else(|| format!("{} takes no request body, found {body}", op.id))?;
    let encoded = decoder(body).map_err(|e| format!("as {name}: {e}"))?;
    let mut dropped = Vec::new();
    dropped_fields(body, &encoded, "", &mut dropped);
    if dropped.is_empty() {
        Ok(name)
    } else {
        Err(format!(
            "as {name}: fields lost in decoding: {}",
            dropped.join(", ")
        ))
    }
}

/// Object keys of `original` that are gone from `encoded` (decoded and
/// encoded again), ignoring nulls and empty arrays or objects (which the
/// types leave out when encoding).
fn dropped_fields(original: &Value, encoded: &Value, at: &str, out: &mut Vec<String>) {
    match (original, encoded) {
        (Value::Object(original), Value::Object(encoded)) => {
            for (key, value) in original {
                let path = format!("{at}/{key}");
                let empty = match value {
                    Value::Null => true,
                    Value::Array(items) => items.is_empty(),
                    Value::Object(fields) => fields.is_empty(),
                    _ => false,
                };
                match encoded.get(key) {
                    Some(again) => dropped_fields(value, again, &path, out),
                    None if empty => {}
                    None => out.push(path),
                }
            }
        }
        (Value::Array(original), Value::Array(encoded)) => {
            for (i, (value, again)) in original.iter().zip(encoded).enumerate() {
                dropped_fields(value, again, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// Examples
// ---------------------------------------------------------------------------

/// Every example file and its operation. `None`: skipped on purpose.
const EXAMPLES: [(&str, Option<&str>); 20] = [
    (
        "Conversations_ListChatReadReceiptsWithPageSize.json",
        Some("ListChatReadReceipts"),
    ),
    (
        "Conversations_SendChatReadReceipt.json",
        Some("SendChatReadReceipt"),
    ),
    // The three image examples belong to the image operations (UploadChatImage,
    // GetChatImage, DeleteChatImage) of an earlier revision of the 2025-03-15
    // stable spec; the revision `openapi/chat.json` follows no longer has them
    // (see openapi/README.md, "Image operations"). Nothing to decode them into.
    ("Images_DeleteChatImage.json", None),
    ("Images_GetChatImage.json", None),
    ("Images_UploadChatImage.json", None),
    ("Messages_DeleteChatMessage.json", Some("DeleteChatMessage")),
    ("Messages_GetChatMessage.json", Some("GetChatMessage")),
    (
        "Messages_ListChatMessagesWithPageSize.json",
        Some("ListChatMessages"),
    ),
    ("Messages_SendChatMessage.json", Some("SendChatMessage")),
    (
        "Messages_SendTypingNotification.json",
        Some("SendTypingNotification"),
    ),
    ("Messages_UpdateChatMessage.json", Some("UpdateChatMessage")),
    (
        "Participants_AddChatParticipants.json",
        Some("AddChatParticipants"),
    ),
    (
        "Participants_ListChatParticipantsWithPageSize.json",
        Some("ListChatParticipants"),
    ),
    (
        "Participants_RemoveChatParticipant.json",
        Some("RemoveChatParticipant"),
    ),
    ("Threads_CreateChatThread.json", Some("CreateChatThread")),
    (
        "Threads_CreateChatThreadWithIdempotencyToken.json",
        Some("CreateChatThread"),
    ),
    ("Threads_DeleteChatThread.json", Some("DeleteChatThread")),
    (
        "Threads_GetChatThread.json",
        Some("GetChatThreadProperties"),
    ),
    (
        "Threads_ListChatThreadsWithPageSize.json",
        Some("ListChatThreads"),
    ),
    (
        "Threads_UpdateChatThreadTopic.json",
        Some("UpdateChatThreadProperties"),
    ),
];

/// Non-body parameters an example may give.
const EXAMPLE_PARAMETERS: [&str; 9] = [
    "endpoint",
    "api-version",
    "chatThreadId",
    "chatMessageId",
    "maxPageSize",
    "skip",
    "startTime",
    "repeatability-request-id",
    // The merge-patch media type of the two PATCH operations.
    "content-type",
];

/// Known upstream quirk: this example names the `repeatability-request-id`
/// header `idempotency-token`.
fn is_known_quirk(file: &str, parameter: &str) -> bool {
    file == "Threads_CreateChatThreadWithIdempotencyToken.json" && parameter == "idempotency-token"
}

#[derive(Default, Debug)]
struct Tally {
    responses: usize,
    errors: usize,
    requests: usize,
    empty_successes: usize,
    by_type: BTreeMap<&'static str, usize>,
    failures: Vec<String>,
}

impl Tally {
    fn response(&mut self, at: String, op: &Operation, status: u16, body: Option<&Value>) {
        match check_response(op, status, body) {
            Ok(Some(name)) => {
                *self.by_type.entry(name).or_default() += 1;
                if status >= 400 {
                    self.errors += 1;
                } else {
                    self.responses += 1;
                }
            }
            Ok(None) => self.empty_successes += 1,
            Err(e) => self.failures.push(format!("{at}: {} {status}: {e}", op.id)),
        }
    }

    fn request(&mut self, at: String, op: &Operation, body: &Value) {
        match check_request(op, body) {
            Ok(name) => {
                *self.by_type.entry(name).or_default() += 1;
                self.requests += 1;
            }
            Err(e) => self.failures.push(format!("{at}: {} request: {e}", op.id)),
        }
    }

    fn assert_no_failures(&self) {
        assert!(
            self.failures.is_empty(),
            "{} bodies did not decode:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

#[test]
fn every_example_body_decodes_into_its_operation_types() {
    let dir = data_dir().join("examples/2025-03-15");
    let files = json_files(&dir);
    let names: Vec<String> = files.iter().map(|f| file_name(f)).collect();
    let listed: Vec<String> = EXAMPLES.iter().map(|(name, _)| name.to_string()).collect();
    assert_eq!(names, listed, "the example files and the table differ");

    let mut tally = Tally::default();
    let mut skipped = 0;
    for (path, (_, op)) in files.iter().zip(EXAMPLES) {
        let name = file_name(path);
        let Some(op) = op.map(operation) else {
            skipped += 1;
            continue;
        };
        let example = read_json(path);
        let parameters = example["parameters"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: no parameters"));
        for (key, value) in parameters {
            if Some(key.as_str()) == op.example_body_parameter {
                tally.request(format!("{name} parameters.{key}"), op, value);
            } else if !EXAMPLE_PARAMETERS.contains(&key.as_str()) && !is_known_quirk(&name, key) {
                tally
                    .failures
                    .push(format!("{name}: unknown parameter {key}"));
            }
        }
        if let Some(parameter) = op.example_body_parameter {
            // The typing-notification body is optional; every other is required.
            if !parameters.contains_key(parameter) && op.id != "SendTypingNotification" {
                tally
                    .failures
                    .push(format!("{name}: no body parameter {parameter}"));
            }
        }
        let responses = example["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: no responses"));
        for (status, response) in responses {
            let status: u16 = status.parse().expect("numeric status");
            tally.response(
                format!("{name} responses.{status}.body"),
                op,
                status,
                response.get("body"),
            );
        }
    }
    tally.assert_no_failures();
    assert_eq!(skipped, 3, "the three Images_* examples");
    // From the 17 example files: 10 success bodies, 68 error bodies (401, 403,
    // 429 and 503 in each file), 9 request bodies, 7 success responses
    // without a body.
    assert_eq!(
        (
            tally.responses,
            tally.errors,
            tally.requests,
            tally.empty_successes
        ),
        (10, 68, 9, 7),
        "{tally:#?}"
    );
}

// ---------------------------------------------------------------------------
// Recordings
// ---------------------------------------------------------------------------

#[test]
fn every_recorded_body_decodes_into_its_operation_types() {
    let dir = data_dir().join("recordings");
    let files = json_files(&dir);
    assert_eq!(files.len(), 19, "recording files in {}", dir.display());
    let mut tally = Tally::default();
    let mut entries = 0;
    let mut operations_seen = BTreeMap::<&str, usize>::new();
    for path in &files {
        let name = file_name(path);
        let recording = read_json(path);
        let list = recording["Entries"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: no Entries"));
        for (i, entry) in list.iter().enumerate() {
            entries += 1;
            let at = format!("{name} Entries[{i}]");
            let method = entry["RequestMethod"].as_str().expect("RequestMethod");
            let uri = entry["RequestUri"].as_str().expect("RequestUri");
            let status = entry["StatusCode"].as_u64().expect("StatusCode") as u16;
            let url = reqwest::Url::parse(uri).unwrap_or_else(|e| panic!("{at}: {uri}: {e}"));
            let op = match route(method, url.path()) {
                Ok(op) => op,
                Err(e) => {
                    tally.failures.push(format!("{at}: {e}"));
                    continue;
                }
            };
            *operations_seen.entry(op.id).or_default() += 1;
            match &entry["RequestBody"] {
                Value::Null => {
                    if op.request.is_some() && op.id != "SendTypingNotification" {
                        tally
                            .failures
                            .push(format!("{at}: {} sent without a body", op.id));
                    }
                }
                Value::String(text) if text.is_empty() => {}
                body => tally.request(format!("{at} RequestBody"), op, body),
            }
            let body = match &entry["ResponseBody"] {
                Value::Null => None,
                Value::String(text) if text.is_empty() => None,
                body => Some(body),
            };
            tally.response(format!("{at} ResponseBody"), op, status, body);
        }
    }
    tally.assert_no_failures();
    assert_eq!(entries, 51);
    // Every recorded call succeeded: 40 success bodies, no error bodies, 40
    // request bodies, 11 success responses without a body.
    assert_eq!(
        (
            tally.responses,
            tally.errors,
            tally.requests,
            tally.empty_successes
        ),
        (40, 0, 40, 11),
        "{tally:#?}"
    );
    // 15 of the 16 operations occur (the Python tests never list messages).
    assert_eq!(operations_seen.len(), 15, "{operations_seen:?}");
}

// ---------------------------------------------------------------------------
// Forward compatibility
// ---------------------------------------------------------------------------

#[test]
fn unknown_enum_values_and_unknown_fields_decode() {
    let message = json!({
        "id": "1",
        "type": "somethingNew",
        "sequenceId": "7",
        "version": "1",
        "createdOn": "2024-05-01T10:00:00Z",
        "futureTopLevel": { "nested": [1, 2, 3] },
        "senderCommunicationIdentifier": {
            "kind": "futureKind",
            "rawId": "99:future:abc",
            "futureIdentifier": { "id": "abc" }
        },
        "content": {
            "message": "hi",
            "futureContentField": true,
            "attachments": [{
                "id": "img-1",
                "attachmentType": "inlineImage",
                "name": "cat.png",
                "futureAttachmentField": 42
            }],
            "participants": [{
                "communicationIdentifier": {
                    "kind": "microsoftTeamsUser",
                    "rawId": "8:orgid:x",
                    "microsoftTeamsUser": { "userId": "x", "cloud": "moon", "futureFlag": 1 },
                    "futureIdentifierField": "y"
                },
                "futureParticipantField": null
            }],
            "initiatorCommunicationIdentifier": {
                "kind": "communicationUser",
                "rawId": "8:acs:x",
                "communicationUser": { "id": "8:acs:x", "futureUserField": "z" }
            }
        }
    });
    let decoded: types::ChatMessage =
        serde_json::from_value(message.clone()).expect("a message with unknown values decodes");
    assert_eq!(
        decoded.type_,
        types::ChatMessageType::Unknown("somethingNew".into())
    );
    let sender = decoded.sender_communication_identifier.as_ref().unwrap();
    assert_eq!(
        sender.kind,
        Some(types::CommunicationIdentifierModelKind::Unknown(
            "futureKind".into()
        ))
    );
    assert_eq!(sender.raw_id.as_deref(), Some("99:future:abc"));
    let content = decoded.content.as_ref().unwrap();
    assert_eq!(
        content.attachments[0].attachment_type,
        types::ChatAttachmentType::Unknown("inlineImage".into())
    );
    assert_eq!(
        content.participants[0]
            .communication_identifier
            .microsoft_teams_user
            .as_ref()
            .unwrap()
            .cloud,
        Some(types::CommunicationCloudEnvironmentModel::Unknown(
            "moon".into()
        ))
    );

    // Unknown enum values are written back exactly as received.
    let encoded = serde_json::to_value(&decoded).unwrap();
    assert_eq!(encoded["type"], "somethingNew");
    assert_eq!(
        encoded["senderCommunicationIdentifier"]["kind"],
        "futureKind"
    );
    assert_eq!(
        encoded["content"]["attachments"][0]["attachmentType"],
        "inlineImage"
    );
    assert_eq!(
        encoded["content"]["participants"][0]["communicationIdentifier"]["microsoftTeamsUser"]
            ["cloud"],
        "moon"
    );
    let again: types::ChatMessage = serde_json::from_value(encoded).unwrap();
    assert_eq!(again, decoded);

    let thread = json!({
        "id": "19:a@thread.v2",
        "topic": "t",
        "createdOn": "2024-05-01T10:00:00Z",
        "createdByCommunicationIdentifier": { "kind": "futureKind", "rawId": "99:x" },
        "retentionPolicy": { "kind": "someday", "deleteThreadAfterDays": 5, "deleteAt": "2030-01-01", "policyVersion": 2 },
        "futureThreadField": ["a"]
    });
    let decoded: types::ChatThreadProperties =
        serde_json::from_value(thread).expect("a thread with unknown values decodes");
    let policy = decoded.retention_policy.as_ref().unwrap();
    assert_eq!(
        policy.kind,
        types::RetentionPolicyKind::Unknown("someday".into())
    );
    assert_eq!(policy.delete_thread_after_days, Some(5));
    let encoded = serde_json::to_value(&decoded).unwrap();
    assert_eq!(encoded["retentionPolicy"]["kind"], "someday");
    assert_eq!(
        encoded["createdByCommunicationIdentifier"]["kind"],
        "futureKind"
    );

    let errors = json!({
        "error": {
            "code": "FutureCode",
            "message": "m",
            "futureErrorField": {},
            "details": [{ "code": "c", "message": "m", "futureDetailField": 1 }],
            "innererror": { "code": "i", "message": "m", "futureInnerField": 1 }
        },
        "futureEnvelopeField": 1
    });
    let decoded: types::CommunicationErrorResponse =
        serde_json::from_value(errors).expect("an error with unknown fields decodes");
    assert_eq!(decoded.error.code, "FutureCode");
}

#[test]
fn every_open_enum_round_trips_every_value() {
    fn round_trip<T>(known: &[&str], extra: &[&str])
    where
        T: DeserializeOwned + Serialize + std::fmt::Debug,
    {
        for value in known.iter().chain(extra) {
            let decoded: T =
                serde_json::from_value(json!(value)).unwrap_or_else(|e| panic!("{value}: {e}"));
            assert_eq!(
                serde_json::to_value(&decoded).unwrap(),
                json!(value),
                "{decoded:?}"
            );
        }
    }
    let extra = ["somethingNew", "", "TEXT", "unknown"];
    round_trip::<types::ChatMessageType>(types::ChatMessageType::KNOWN, &extra);
    round_trip::<types::ChatAttachmentType>(types::ChatAttachmentType::KNOWN, &extra);
    round_trip::<types::RetentionPolicyKind>(types::RetentionPolicyKind::KNOWN, &extra);
    round_trip::<types::CommunicationIdentifierModelKind>(
        types::CommunicationIdentifierModelKind::KNOWN,
        &extra,
    );
    round_trip::<types::CommunicationCloudEnvironmentModel>(
        types::CommunicationCloudEnvironmentModel::KNOWN,
        &extra,
    );
    // Known values map to their variants, not to `Unknown`.
    assert_eq!(
        types::ChatMessageType::from("topicUpdated"),
        types::ChatMessageType::TopicUpdated
    );
    assert_eq!(
        types::RetentionPolicyKind::from("none"),
        types::RetentionPolicyKind::None
    );
    // Matching is exact: other spellings are kept as unknown values.
    assert_eq!(
        types::ChatMessageType::from("TEXT"),
        types::ChatMessageType::Unknown("TEXT".into())
    );
}
