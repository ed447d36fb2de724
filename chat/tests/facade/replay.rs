//! Replays real ACS Chat traffic (sanitized recordings of the official Python
//! SDK's live tests, `tests/data/recordings/*.json` at the workspace root).
//!
//! For every chat exchange the facade drives the same call against a mock
//! that serves the recorded response, then checks that its request matches
//! the recorded one (method, path, query apart from api-version, key headers,
//! and the JSON body) and that the recorded response decodes into the
//! facade's types.
//!
//! Allowed differences, each due to the recordings rather than the facade:
//! - the recorder replaced ids with `"sanitized"`: a recorded `"sanitized"`
//!   string matches any string;
//! - the recordings use api-version 2021-09-07, which had no identifier
//!   `kind`: the facade's requests (api-version 2025-03-15) may add `kind` to
//!   an identifier model, and it must agree with the model's kind-specific
//!   field;
//! - an empty list or object the Python SDK sent explicitly may be omitted;
//! - times are compared as instants (the Python SDK sends microseconds).

use std::collections::BTreeMap;
use std::path::PathBuf;

use acs_chat::{
    ChatClient, ChatMessageType, ChatParticipant, ChatRetentionPolicy, CommunicationIdentifier,
    CommunicationUserIdentifier, Metadata, PhoneNumberIdentifier,
};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use httpmock::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use crate::common::*;

#[derive(Deserialize)]
struct Recording {
    #[serde(rename = "Entries")]
    entries: Vec<Entry>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    request_uri: String,
    request_method: String,
    #[serde(default)]
    request_headers: BTreeMap<String, String>,
    #[serde(default)]
    request_body: Value,
    status_code: u16,
    #[serde(default)]
    response_headers: BTreeMap<String, String>,
    #[serde(default)]
    response_body: Value,
}

/// A recorded exchange, with its URI taken apart.
struct Exchange {
    source: String,
    entry: Entry,
    /// The percent-decoded path.
    path: String,
    /// Decoded path segments, without the empty first one.
    segments: Vec<String>,
    /// The query without `api-version`, sorted.
    query: Vec<(String, String)>,
}

impl Exchange {
    fn new(source: &str, entry: Entry) -> Self {
        let after_scheme = entry
            .request_uri
            .split_once("://")
            .map_or(entry.request_uri.as_str(), |(_, rest)| rest);
        let path_and_query = after_scheme
            .find('/')
            .map_or("/", |slash| &after_scheme[slash..]);
        let (raw_path, raw_query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let segments = raw_path
            .split('/')
            .skip(1)
            .map(decode_path)
            .collect::<Vec<_>>();
        let mut query: Vec<(String, String)> = raw_query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (decode_path(name), decode_path(value))
            })
            .filter(|(name, _)| name != "api-version")
            .collect();
        query.sort();
        Self {
            source: source.to_string(),
            path: decode_path(raw_path),
            segments,
            query,
            entry,
        }
    }

    fn is_chat(&self) -> bool {
        self.path.starts_with("/chat/")
    }

    fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn request_header(&self, name: &str) -> Option<&str> {
        header(&self.entry.request_headers, name)
    }

    /// The recorded request body as JSON (`None` when there was none).
    fn request_json(&self) -> Option<Value> {
        json_of(&self.entry.request_body)
    }

    fn response_json(&self) -> Option<Value> {
        json_of(&self.entry.response_body)
    }

    fn describe(&self) -> String {
        format!(
            "{} {} ({})",
            self.entry.request_method, self.entry.request_uri, self.source
        )
    }
}

fn header<'a>(headers: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn json_of(body: &Value) -> Option<Value> {
    match body {
        Value::Null => None,
        Value::String(text) if text.is_empty() => None,
        Value::String(text) => {
            Some(serde_json::from_str(text).unwrap_or(Value::String(text.clone())))
        }
        other => Some(other.clone()),
    }
}

fn recordings_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/recordings")
}

fn load_exchanges() -> Vec<Exchange> {
    let dir = recordings_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the recordings are missing from {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no recordings in {}", dir.display());
    let mut exchanges = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let recording: Recording = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not a recording: {e}", file.display()));
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        exchanges.extend(
            recording
                .entries
                .into_iter()
                .map(|entry| Exchange::new(&name, entry)),
        );
    }
    exchanges
}

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a time string"))
        .expect("an RFC 3339 time")
        .with_timezone(&Utc)
}

fn opt_str(value: &Value) -> Option<&str> {
    value.as_str()
}

fn metadata_of(value: &Value) -> Option<Metadata> {
    value.as_object().map(|map| {
        map.iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect()
    })
}

fn is_sanitized(value: &Value) -> bool {
    value.as_str() == Some("sanitized")
}

/// An identifier for a recorded identifier model. Sanitized ids are replaced
/// by made-up ones of the same kind (`n` keeps them distinct).
fn identifier_of(model: &Value, n: usize) -> CommunicationIdentifier {
    let raw_id = &model["rawId"];
    if raw_id.is_string() && !is_sanitized(raw_id) {
        return CommunicationIdentifier::from_raw_id(raw_id.as_str().unwrap());
    }
    if model.get("communicationUser").is_some() {
        return CommunicationUserIdentifier::new(format!("8:acs:replayed_{n}")).into();
    }
    if let Some(phone) = model.get("phoneNumber") {
        return PhoneNumberIdentifier::new(phone["value"].as_str().unwrap_or("+10000000000"))
            .into();
    }
    panic!("no identifier can stand in for {model}");
}

fn participant_of(recorded: &Value, n: usize) -> ChatParticipant {
    let mut participant =
        ChatParticipant::new(identifier_of(&recorded["communicationIdentifier"], n));
    if let Some(name) = opt_str(&recorded["displayName"]) {
        participant = participant.display_name(name);
    }
    if !recorded["shareHistoryTime"].is_null() {
        participant = participant.share_history_time(time(&recorded["shareHistoryTime"]));
    }
    if let Some(metadata) = metadata_of(&recorded["metadata"]) {
        participant = participant.metadata(metadata);
    }
    participant
}

fn participants_of(body: &Value) -> Vec<ChatParticipant> {
    body["participants"]
        .as_array()
        .map(|list| {
            list.iter()
                .enumerate()
                .map(|(n, p)| participant_of(p, n))
                .collect()
        })
        .unwrap_or_default()
}

fn retention_of(value: &Value) -> Option<ChatRetentionPolicy> {
    match value["kind"].as_str()? {
        "threadCreationDate" => Some(ChatRetentionPolicy::ThreadCreationDate {
            delete_thread_after_days: value["deleteThreadAfterDays"].as_i64().unwrap() as i32,
        }),
        "none" => Some(ChatRetentionPolicy::None),
        other => Some(ChatRetentionPolicy::Unknown(other.to_string())),
    }
}

fn page_size(exchange: &Exchange) -> Option<u32> {
    exchange.query("maxPageSize").map(|v| v.parse().unwrap())
}

fn skip(exchange: &Exchange) -> Option<u32> {
    exchange.query("skip").map(|v| v.parse().unwrap())
}

fn start_time(exchange: &Exchange) -> Option<DateTime<Utc>> {
    exchange
        .query("startTime")
        .map(|v| time(&Value::String(v.to_string())))
}

/// The first page of a pager (recorded list responses have no nextLink the
/// replay could follow).
async fn first_page<T: Send + 'static>(pager: acs_chat::Pager<T>) -> acs_chat::Result<Vec<T>> {
    let mut pages = Box::pin(pager.by_page());
    Ok(pages.next().await.expect("a first page")?.items)
}

/// Checks an identifier decoded by the facade against the recorded model.
fn assert_identifier(decoded: &CommunicationIdentifier, recorded: &Value, what: &str) {
    if let Some(user) = recorded.get("communicationUser") {
        assert_eq!(decoded.kind(), "communicationUser", "{what}");
        assert_eq!(
            Some(decoded.raw_id().as_str()),
            user["id"].as_str(),
            "{what}: the communicationUser id"
        );
    } else if let Some(raw_id) = recorded["rawId"].as_str() {
        assert_eq!(decoded.raw_id(), raw_id, "{what}");
    }
}

fn assert_participants(decoded: &[ChatParticipant], recorded: &Value, what: &str) {
    let recorded = recorded.as_array().expect("a list of participants");
    assert_eq!(decoded.len(), recorded.len(), "{what}");
    for (participant, model) in decoded.iter().zip(recorded) {
        assert_identifier(
            &participant.identifier,
            &model["communicationIdentifier"],
            what,
        );
        assert_eq!(
            participant.display_name.as_deref(),
            opt_str(&model["displayName"]),
            "{what}"
        );
        if !model["shareHistoryTime"].is_null() {
            assert_eq!(
                participant.share_history_time,
                Some(time(&model["shareHistoryTime"])),
                "{what}"
            );
        }
    }
}

/// Drives the facade call the recorded request stands for, and checks what
/// it returned against the recorded response.
async fn drive(client: &ChatClient, exchange: &Exchange) -> Result<(), String> {
    let body = exchange.request_json().unwrap_or(Value::Null);
    let response = exchange.response_json().unwrap_or(Value::Null);
    let segments: Vec<&str> = exchange.segments.iter().map(String::as_str).collect();
    let method = exchange.entry.request_method.as_str();
    let what = exchange.describe();
    let failed = |error: acs_chat::Error| format!("{what}: the facade failed: {error:?}");

    match (method, segments.as_slice()) {
        ("POST", ["chat", "threads"]) => {
            let mut create = client
                .create_chat_thread(body["topic"].as_str().unwrap())
                .participants(participants_of(&body));
            if let Some(metadata) = metadata_of(&body["metadata"]) {
                create = create.metadata(metadata);
            }
            if let Some(policy) = retention_of(&body["retentionPolicy"]) {
                create = create.retention_policy(policy);
            }
            let created = create.await.map_err(failed)?;
            let thread = &response["chatThread"];
            assert_eq!(
                created.chat_thread.id,
                thread["id"].as_str().unwrap(),
                "{what}"
            );
            assert_eq!(
                created.chat_thread.topic,
                thread["topic"].as_str().unwrap(),
                "{what}"
            );
            assert_eq!(
                created.chat_thread.created_on,
                time(&thread["createdOn"]),
                "{what}"
            );
            assert_identifier(
                &created.chat_thread.created_by,
                &thread["createdByCommunicationIdentifier"],
                &what,
            );
            let invalid = response["invalidParticipants"]
                .as_array()
                .map_or(0, Vec::len);
            assert_eq!(created.errors.len(), invalid, "{what}");
        }
        ("GET", ["chat", "threads"]) => {
            let mut pager = client.list_chat_threads();
            if let Some(size) = page_size(exchange) {
                pager = pager.results_per_page(size);
            }
            if let Some(since) = start_time(exchange) {
                pager = pager.start_time(since);
            }
            let threads = first_page(pager).await.map_err(failed)?;
            let recorded = response["value"].as_array().unwrap();
            assert_eq!(threads.len(), recorded.len(), "{what}");
            for (thread, model) in threads.iter().zip(recorded) {
                assert_eq!(thread.id, model["id"].as_str().unwrap(), "{what}");
                assert_eq!(thread.topic, model["topic"].as_str().unwrap(), "{what}");
                assert_eq!(
                    thread.last_message_received_on,
                    (!model["lastMessageReceivedOn"].is_null())
                        .then(|| time(&model["lastMessageReceivedOn"])),
                    "{what}"
                );
            }
        }
        ("DELETE", ["chat", "threads", thread]) => {
            client.delete_chat_thread(thread).await.map_err(failed)?;
        }
        ("GET", ["chat", "threads", thread]) => {
            let properties = client
                .get_chat_thread_client(thread)
                .get_properties()
                .await
                .map_err(failed)?;
            assert_eq!(properties.id, response["id"].as_str().unwrap(), "{what}");
            assert_eq!(
                properties.topic,
                response["topic"].as_str().unwrap(),
                "{what}"
            );
            assert_eq!(
                properties.created_on,
                time(&response["createdOn"]),
                "{what}"
            );
            assert_identifier(
                &properties.created_by,
                &response["createdByCommunicationIdentifier"],
                &what,
            );
        }
        ("PATCH", ["chat", "threads", thread]) => {
            let mut update = client.get_chat_thread_client(thread).update_properties();
            if let Some(topic) = opt_str(&body["topic"]) {
                update = update.topic(topic);
            }
            if let Some(metadata) = metadata_of(&body["metadata"]) {
                update = update.metadata(metadata);
            }
            if let Some(policy) = retention_of(&body["retentionPolicy"]) {
                update = update.retention_policy(policy);
            }
            update.await.map_err(failed)?;
        }
        ("POST", ["chat", "threads", thread, "messages"]) => {
            let mut send = client
                .get_chat_thread_client(thread)
                .send_message(body["content"].as_str().unwrap());
            if let Some(name) = opt_str(&body["senderDisplayName"]) {
                send = send.sender_display_name(name);
            }
            if let Some(kind) = opt_str(&body["type"]) {
                send = send.chat_message_type(ChatMessageType::from(kind));
            }
            if let Some(metadata) = metadata_of(&body["metadata"]) {
                send = send.metadata(metadata);
            }
            let sent = send.await.map_err(failed)?;
            assert_eq!(sent.id, response["id"].as_str().unwrap(), "{what}");
        }
        ("GET", ["chat", "threads", thread, "messages"]) => {
            let mut pager = client.get_chat_thread_client(thread).list_messages();
            if let Some(size) = page_size(exchange) {
                pager = pager.results_per_page(size);
            }
            if let Some(since) = start_time(exchange) {
                pager = pager.start_time(since);
            }
            let messages = first_page(pager).await.map_err(failed)?;
            assert_eq!(
                messages.len(),
                response["value"].as_array().unwrap().len(),
                "{what}"
            );
        }
        ("GET", ["chat", "threads", thread, "messages", message]) => {
            let got = client
                .get_chat_thread_client(thread)
                .get_message(message)
                .await
                .map_err(failed)?;
            assert_eq!(got.id, response["id"].as_str().unwrap(), "{what}");
            assert_eq!(
                got.message_type.as_str(),
                response["type"].as_str().unwrap(),
                "{what}"
            );
            assert_eq!(
                got.sequence_id,
                response["sequenceId"].as_str().unwrap(),
                "{what}"
            );
            assert_eq!(got.version, response["version"].as_str().unwrap(), "{what}");
            assert_eq!(
                got.content.as_ref().and_then(|c| c.message.as_deref()),
                opt_str(&response["content"]["message"]),
                "{what}"
            );
            assert_eq!(
                got.sender_display_name.as_deref(),
                opt_str(&response["senderDisplayName"]),
                "{what}"
            );
            assert_eq!(got.created_on, time(&response["createdOn"]), "{what}");
            let sender = got.sender.as_ref().expect("a sender");
            assert_identifier(sender, &response["senderCommunicationIdentifier"], &what);
        }
        ("PATCH", ["chat", "threads", thread, "messages", message]) => {
            let mut update = client
                .get_chat_thread_client(thread)
                .update_message(message);
            if let Some(content) = opt_str(&body["content"]) {
                update = update.content(content);
            }
            if let Some(metadata) = metadata_of(&body["metadata"]) {
                update = update.metadata(metadata);
            }
            update.await.map_err(failed)?;
        }
        ("DELETE", ["chat", "threads", thread, "messages", message]) => {
            client
                .get_chat_thread_client(thread)
                .delete_message(message)
                .await
                .map_err(failed)?;
        }
        ("POST", ["chat", "threads", thread, "participants", ":add"]) => {
            let failures = client
                .get_chat_thread_client(thread)
                .add_participants(participants_of(&body))
                .await
                .map_err(failed)?;
            let invalid = response["invalidParticipants"]
                .as_array()
                .map_or(0, Vec::len);
            assert_eq!(failures.len(), invalid, "{what}");
        }
        ("POST", ["chat", "threads", thread, "participants", ":remove"]) => {
            client
                .get_chat_thread_client(thread)
                .remove_participant(&identifier_of(&body, 0))
                .await
                .map_err(failed)?;
        }
        ("GET", ["chat", "threads", thread, "participants"]) => {
            let mut pager = client.get_chat_thread_client(thread).list_participants();
            if let Some(size) = page_size(exchange) {
                pager = pager.results_per_page(size);
            }
            if let Some(count) = skip(exchange) {
                pager = pager.skip(count);
            }
            let participants = first_page(pager).await.map_err(failed)?;
            assert_participants(&participants, &response["value"], &what);
        }
        ("POST", ["chat", "threads", thread, "readReceipts"]) => {
            let message = body["chatMessageId"].as_str().unwrap();
            let message = if message == "sanitized" {
                "1685151497027"
            } else {
                message
            };
            client
                .get_chat_thread_client(thread)
                .send_read_receipt(message)
                .await
                .map_err(failed)?;
        }
        ("GET", ["chat", "threads", thread, "readReceipts"]) => {
            let mut pager = client.get_chat_thread_client(thread).list_read_receipts();
            if let Some(size) = page_size(exchange) {
                pager = pager.results_per_page(size);
            }
            if let Some(count) = skip(exchange) {
                pager = pager.skip(count);
            }
            let receipts = first_page(pager).await.map_err(failed)?;
            let recorded = response["value"].as_array().unwrap();
            assert_eq!(receipts.len(), recorded.len(), "{what}");
            for (receipt, model) in receipts.iter().zip(recorded) {
                assert_eq!(
                    receipt.chat_message_id,
                    model["chatMessageId"].as_str().unwrap(),
                    "{what}"
                );
                assert_eq!(receipt.read_on, time(&model["readOn"]), "{what}");
                assert_identifier(
                    &receipt.sender,
                    &model["senderCommunicationIdentifier"],
                    &what,
                );
            }
        }
        ("POST", ["chat", "threads", thread, "typing"]) => {
            let mut typing = client
                .get_chat_thread_client(thread)
                .send_typing_notification();
            if let Some(name) = opt_str(&body["senderDisplayName"]) {
                typing = typing.sender_display_name(name);
            }
            typing.await.map_err(failed)?;
        }
        _ => return Err(format!("{what}: no facade call stands for this request")),
    }
    Ok(())
}

/// Whether `ours` (the facade's body) matches `recorded`, with the allowances
/// listed at the top of this file.
fn json_matches(recorded: &Value, ours: &Value, at: &str) -> Result<(), String> {
    match (recorded, ours) {
        (Value::String(r), Value::String(_)) if r == "sanitized" => Ok(()),
        (Value::String(r), Value::String(o)) => {
            if r == o {
                return Ok(());
            }
            match (
                DateTime::parse_from_rfc3339(r),
                DateTime::parse_from_rfc3339(o),
            ) {
                (Ok(r), Ok(o)) if r == o => Ok(()),
                _ => Err(format!("{at}: recorded {r:?}, sent {o:?}")),
            }
        }
        (Value::Object(r), Value::Object(o)) => {
            for (key, recorded_value) in r {
                match o.get(key) {
                    Some(our_value) => {
                        json_matches(recorded_value, our_value, &format!("{at}.{key}"))?
                    }
                    None if is_empty_collection(recorded_value) => {}
                    None => return Err(format!("{at}.{key}: recorded {recorded_value}, not sent")),
                }
            }
            for (key, our_value) in o {
                if r.contains_key(key) {
                    continue;
                }
                if key == "kind" && o.contains_key("rawId") {
                    check_identifier_kind(o, at)?;
                    continue;
                }
                return Err(format!(
                    "{at}.{key}: sent {our_value}, not in the recording"
                ));
            }
            Ok(())
        }
        (Value::Array(r), Value::Array(o)) => {
            if r.len() != o.len() {
                return Err(format!(
                    "{at}: recorded {} items, sent {}",
                    r.len(),
                    o.len()
                ));
            }
            for (i, (r, o)) in r.iter().zip(o).enumerate() {
                json_matches(r, o, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        (r, o) if r == o => Ok(()),
        (r, o) => Err(format!("{at}: recorded {r}, sent {o}")),
    }
}

fn is_empty_collection(value: &Value) -> bool {
    match value {
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// The `kind` the 2025 api adds to an identifier model must name the
/// kind-specific field the model carries.
fn check_identifier_kind(model: &serde_json::Map<String, Value>, at: &str) -> Result<(), String> {
    let kind = model["kind"].as_str().unwrap_or_default();
    let specific = [
        "communicationUser",
        "phoneNumber",
        "microsoftTeamsUser",
        "microsoftTeamsApp",
        "teamsExtensionUser",
    ];
    let present: Vec<&str> = specific
        .iter()
        .copied()
        .filter(|field| model.contains_key(*field))
        .collect();
    match present.as_slice() {
        [field] if *field == kind => Ok(()),
        [] if kind == "unknown" => Ok(()),
        _ => Err(format!("{at}.kind: {kind:?} with {present:?}")),
    }
}

/// Checks the facade's request against the recorded one.
fn compare_request(exchange: &Exchange, sent: &Captured, token: &str) -> Result<(), String> {
    let what = exchange.describe();
    sent.assert_standard(token);
    if sent.method != exchange.entry.request_method {
        return Err(format!("{what}: sent {}", sent.method));
    }
    if decode_path(&sent.path) != exchange.path {
        return Err(format!("{what}: sent to {}", sent.path));
    }
    if sent.query_without_api_version() != exchange.query {
        return Err(format!(
            "{what}: sent the query {:?}, recorded {:?}",
            sent.query_without_api_version(),
            exchange.query
        ));
    }
    for name in ["repeatability-request-id"] {
        if exchange.request_header(name).is_some() != sent.header(name).is_some() {
            return Err(format!(
                "{what}: {name} recorded {:?}, sent {:?}",
                exchange.request_header(name),
                sent.header(name)
            ));
        }
    }
    if let Some(accept) = exchange.request_header("accept") {
        if sent.header("accept") != Some(accept) {
            return Err(format!("{what}: Accept {:?}", sent.header("accept")));
        }
    }
    match exchange.request_json() {
        None => {
            if !sent.body.is_empty() {
                return Err(format!(
                    "{what}: sent a body where none was recorded: {}",
                    String::from_utf8_lossy(&sent.body)
                ));
            }
        }
        Some(recorded) => {
            let recorded_type = exchange.request_header("content-type");
            let sent_type = sent.header("content-type");
            if recorded_type.is_some() && sent_type != recorded_type {
                return Err(format!(
                    "{what}: Content-Type {sent_type:?}, recorded {recorded_type:?}"
                ));
            }
            json_matches(&recorded, &sent.json(), "body").map_err(|e| format!("{what}: {e}"))?;
        }
    }
    Ok(())
}

#[tokio::test]
async fn recorded_chat_traffic_replays_through_the_facade() {
    let exchanges = load_exchanges();
    let chat: Vec<&Exchange> = exchanges.iter().filter(|e| e.is_chat()).collect();
    assert!(!chat.is_empty(), "the recordings hold no chat exchange");
    let skipped: Vec<String> = exchanges
        .iter()
        .filter(|e| !e.is_chat())
        .map(|e| e.describe())
        .collect();
    for description in &skipped {
        assert!(
            description.contains("/identities"),
            "only identity calls may be skipped, not {description}"
        );
    }

    let server = MockServer::start_async().await;
    let (client, token) = client(&server);
    let mut replayed = 0;
    let mut failures = Vec::new();
    for exchange in &chat {
        let recorder = Recorder::new();
        let hook = recorder.hook();
        let path = exchange.path.clone();
        let mock = server
            .mock_async(|when, then| {
                when.method(exchange.entry.request_method.as_str())
                    .is_true(move |request| {
                        decode_path(request.uri().path()) == path && hook(request)
                    });
                let mut then = then.status(exchange.entry.status_code);
                if let Some(content_type) = header(&exchange.entry.response_headers, "content-type")
                {
                    then = then.header("content-type", content_type);
                }
                if let Some(body) = exchange.response_json() {
                    then.json_body(body);
                }
            })
            .await;

        let outcome = drive(&client, exchange).await;
        let requests = recorder.all();
        mock.delete_async().await;
        let result = outcome.and_then(|()| match requests.as_slice() {
            [sent] => compare_request(exchange, sent, &token),
            other => Err(format!(
                "{}: the facade sent {} requests to the recorded path",
                exchange.describe(),
                other.len()
            )),
        });
        match result {
            Ok(()) => replayed += 1,
            Err(failure) => failures.push(failure),
        }
    }

    println!("replayed {replayed} exchanges");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        replayed >= chat.len(),
        "replayed {replayed} of {} chat exchanges",
        chat.len()
    );
}

#[test]
fn the_replay_compares_bodies_with_only_the_documented_allowances() {
    let recorded = serde_json::json!({
        "topic": "t",
        "participants": [],
        "when": "2023-05-26T21:37:43.391482Z",
        "who": {"rawId": "sanitized", "communicationUser": {"id": "sanitized"}}
    });
    let ours = serde_json::json!({
        "topic": "t",
        "when": "2023-05-26T21:37:43.391482+00:00",
        "who": {"rawId": "8:acs:x", "kind": "communicationUser", "communicationUser": {"id": "8:acs:x"}}
    });
    json_matches(&recorded, &ours, "body").unwrap();

    for (bad, why) in [
        (serde_json::json!({"topic": "other"}), "a different value"),
        (
            serde_json::json!({"topic": "t", "extra": 1}),
            "an extra field",
        ),
        (
            serde_json::json!({"topic": "t", "who": {"rawId": "x", "kind": "phoneNumber", "communicationUser": {"id": "x"}}}),
            "a kind that contradicts the model",
        ),
        (
            serde_json::json!({"when": "2023-05-26T21:37:44Z"}),
            "another time",
        ),
    ] {
        let recorded = serde_json::json!({"topic": "t", "when": "2023-05-26T21:37:43Z", "who": {"rawId": "sanitized", "communicationUser": {"id": "sanitized"}}});
        let mut merged = serde_json::json!({
            "topic": "t",
            "when": "2023-05-26T21:37:43Z",
            "who": {"rawId": "y", "communicationUser": {"id": "y"}}
        });
        for (k, v) in bad.as_object().unwrap() {
            merged[k] = v.clone();
        }
        assert!(
            json_matches(&recorded, &merged, "body").is_err(),
            "{why} was accepted"
        );
    }
    assert!(
        json_matches(
            &serde_json::json!({"participants": [1]}),
            &serde_json::json!({}),
            "b"
        )
        .is_err(),
        "a non-empty recorded list must be sent"
    );
}
