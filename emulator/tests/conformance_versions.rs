//! Conformance at today's api-versions: replays the JS SDK's recordings of
//! real service traffic at 2023-11-07, 2024-03-07 and 2025-03-15 and one .NET recording
//! at 2025-03-15 (`tests/data/recordings-js`, see its SOURCES.md) against the
//! emulator, and compares each answer with the recorded one: same status,
//! same JSON shape, the same `Content-Type`, and `MS-CV` /
//! `api-supported-versions` present where the service sent them.
//!
//! These recordings keep real ids, so the replay maps them instead of
//! guessing:
//!
//! * the files of one directory are steps of one test suite sharing state,
//!   replayed in the order of their recorded `Date` headers;
//! * `POST /identities` makes a user through `/admin/tokens` and maps the
//!   recorded id to it; `:issueAccessToken` is then already done (identity
//!   answers are not compared: the Identity API has its own tests);
//! * thread and message ids are mapped from the recorded create answers to
//!   the emulator's, in paths and in bodies, and user ids likewise;
//! * a request as its thread's creator (the suites use one client per
//!   thread), a new thread as the first user of its file (or the last
//!   actor);
//! * a follow-up page request goes to the `nextLink` the emulator gave on
//!   the previous page.
//!
//! Tolerated, and reported: the thread list's eventually consistent
//! `lastMessageReceivedOn` (see `conformance.rs`).

mod chat_support;
mod conformance_support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chat_support::{Chat, User};
use conformance_support::{compare, tolerated};
use reqwest::Method;
use serde_json::Value;

const HOSTS: [&str; 2] = [
    "https://endpoint",
    "https://sanitized.communication.azure.com",
];

/// The steps of the JS SDK's `ChatClient` and `ChatThreadClient` suites, in
/// the order the suites run them (`chatClient.spec.ts`,
/// `chatThreadClient.spec.ts`).
const SUITE_ORDER: &[&str] = &[
    "chatclient_chat_operations/recording_successfully_creates_a_thread",
    "chatclient_chat_operations/recording_successfully_deletes_a_thread",
    "recording_successfully_initializes_chatthreadclient",
    "recording_successfully_gets_the_thread_properties",
    "recording_successfully_updates_the_thread_topic",
    "recording_successfully_updates_the_thread_retention_policy_to_none_retention_policy",
    "recording_successfully_updates_the_thread_metadata",
    "recording_successfully_updates_the_thread_retention_policy.json",
    "recording_successfully_updates_the_thread_retention_policy_to_none_retention_plicy_by_setting_null",
    "recording_successfully_sends_a_message",
    "recording_successfully_sends_typing_notification",
    "recording_successfully_sends_read_receipt",
    "recording_successfully_retrieves_a_message",
    "recording_successfully_lists_messages_one_by_one_and_by_page",
    "recording_successfully_deletes_a_message",
    "recording_successfully_adds_participants",
    "recording_successfully_lists_participants",
    "recording_successfully_remove_a_participant",
    "recording_successfully_lists_read_receipts",
];

fn recordings(dir: &str) -> Vec<(String, Value)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/recordings-js")
        .join(dir);
    let mut files = Vec::new();
    collect(&root, &mut files);
    let mut loaded: Vec<(chrono::DateTime<chrono::FixedOffset>, String, Value)> = files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("recording readable");
            let recording: Value = serde_json::from_str(&text).expect("recording is JSON");
            let date = recording["Entries"][0]["ResponseHeaders"]["Date"]
                .as_str()
                .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
                .expect("a recorded Date");
            let name = path
                .strip_prefix(&root)
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            (date, name, recording)
        })
        .collect();
    // The order the suites run their steps in (several steps may share a
    // recorded second); files not listed go by their `Date`.
    let step = |name: &str| {
        SUITE_ORDER
            .iter()
            .position(|stem| name.contains(stem))
            .unwrap_or(usize::MAX)
    };
    loaded.sort_by(|a, b| {
        step(&a.1)
            .cmp(&step(&b.1))
            .then_with(|| a.0.cmp(&b.0))
            .then_with(|| a.1.cmp(&b.1))
    });
    loaded
        .into_iter()
        .map(|(_, name, rec)| (name, rec))
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir)
        .expect("recordings directory")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

fn decode(path: &str) -> String {
    path.replace("%3A", ":").replace("%40", "@")
}

fn encode(id: &str) -> String {
    id.replace(':', "%3A").replace('@', "%40")
}

/// Replay state of one directory.
#[derive(Default)]
struct Replay {
    /// Recorded id → emulator id (users, threads, messages).
    ids: HashMap<String, String>,
    /// Emulator user id → user.
    users: HashMap<String, User>,
    /// Emulator thread id → its creator's emulator user id.
    creators: HashMap<String, String>,
    /// Route (path without query) → the emulator's last `nextLink`.
    next_links: HashMap<String, String>,
    last_message: Option<String>,
    actor: Option<String>,
}

impl Replay {
    /// Recorded ids replaced by the emulator's, in any string.
    fn map_text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (recorded, ours) in &self.ids {
            if out.contains(recorded.as_str()) {
                out = out.replace(recorded.as_str(), ours);
            }
            let encoded = encode(recorded);
            if out.contains(&encoded) {
                out = out.replace(&encoded, &encode(ours));
            }
        }
        out
    }

    fn map_value(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.map_text(s)),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.map_value(v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (self.map_text(k), self.map_value(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// The path to send: ids mapped; an unknown message id is the last
    /// message sent; a follow-up page is the emulator's own `nextLink`.
    fn path(&self, recorded: &str, base: &str) -> String {
        let (route, query) = recorded.split_once('?').unwrap_or((recorded, ""));
        let route = self.map_text(route);
        if query.contains("syncState=") {
            if let Some(link) = self.next_links.get(&decode(&route)) {
                return link.strip_prefix(base).unwrap_or(link).to_owned();
            }
        }
        let mut segments: Vec<String> = route.split('/').map(str::to_owned).collect();
        for i in 1..segments.len() {
            if segments[i - 1] == "messages" && !self.ids.values().any(|v| *v == segments[i]) {
                if let Some(last) = &self.last_message {
                    segments[i] = last.clone();
                }
            }
        }
        format!("{}?{}", segments.join("/"), self.map_text(query))
    }

    /// Who sends a chat request: its thread's creator, else the actor.
    fn sender(&self, path: &str) -> Option<&User> {
        let thread = path
            .strip_prefix("/chat/threads/")
            .and_then(|rest| rest.split(['/', '?']).next())
            .map(|t| t.replace("%3A", ":").replace("%40", "@"));
        let creator = thread.and_then(|t| self.creators.get(&t));
        creator
            .or(self.actor.as_ref())
            .and_then(|id| self.users.get(id))
    }
}

struct Totals {
    compared: usize,
    identity_steps: usize,
    differences: Vec<String>,
    tolerated: Vec<String>,
}

async fn replay_dir(chat: &Chat, dir: &str, totals: &mut Totals) {
    let files = recordings(dir);
    assert!(!files.is_empty(), "no recordings in {dir}");
    let base = chat.base.clone();
    let mut replay = Replay::default();
    for (name, recording) in files {
        let mut first_user_of_file: Option<String> = None;
        let entries = recording["Entries"].as_array().cloned().unwrap_or_default();
        for (n, entry) in entries.iter().enumerate() {
            let method = entry["RequestMethod"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let uri = entry["RequestUri"].as_str().unwrap_or_default();
            let recorded_path = HOSTS
                .iter()
                .find_map(|h| uri.strip_prefix(h))
                .unwrap_or(uri)
                .to_owned();
            let route = recorded_path.split('?').next().unwrap_or_default();

            if route.starts_with("/identities") {
                totals.identity_steps += 1;
                if method == "POST" && route == "/identities" {
                    let user = chat.user().await;
                    if let Some(recorded) = entry["ResponseBody"]["identity"]["id"].as_str() {
                        replay.ids.insert(recorded.to_owned(), user.id.clone());
                    }
                    first_user_of_file.get_or_insert_with(|| user.id.clone());
                    replay.users.insert(user.id.clone(), user);
                }
                continue;
            }

            let path = replay.path(&recorded_path, &base);
            let is_create = method == "POST" && route == "/chat/threads";
            if is_create {
                if let Some(first) = &first_user_of_file {
                    replay.actor = Some(first.clone());
                }
            }
            let Some(user) = replay.sender(&path).cloned() else {
                panic!("{dir}/{name}: entry {n}: nobody to send {method} {recorded_path}");
            };
            let body = match &entry["RequestBody"] {
                Value::Null => None,
                recorded => Some(replay.map_value(recorded)),
            };
            let mut headers: Vec<(&str, String)> = Vec::new();
            for header in ["Content-Type", "repeatability-request-id"] {
                if let Some(value) = entry["RequestHeaders"][header].as_str() {
                    // A sanitized repeatability id would make every create
                    // a repeat of the first: each gets one of its own.
                    let value = if value.eq_ignore_ascii_case("sanitized") {
                        format!("replay-{}-{n}-{}", name, replay.ids.len())
                    } else {
                        value.to_owned()
                    };
                    headers.push((header, value));
                }
            }
            let header_refs: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            let answer = chat
                .send(
                    Method::from_bytes(method.as_bytes()).expect("method"),
                    &path,
                    Some(&user.token),
                    body.map(|b| b.to_string().into_bytes()),
                    &header_refs,
                )
                .await;
            totals.compared += 1;

            let mut found = Vec::new();
            let recorded_status = entry["StatusCode"].as_u64().unwrap_or_default();
            if u64::from(answer.status.as_u16()) != recorded_status {
                found.push(format!(
                    "status: recorded {recorded_status}, emulator {} ({})",
                    answer.status.as_u16(),
                    answer.text
                ));
            }
            match (&entry["ResponseBody"], &answer.body) {
                (Value::Null, Value::Null) => {}
                (recorded, actual) => compare("$", recorded, Some(actual), &mut found),
            }
            let recorded_headers = entry["ResponseHeaders"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for header in ["Content-Type", "MS-CV", "api-supported-versions"] {
                match (
                    recorded_headers.get(header).and_then(Value::as_str),
                    answer.header(header),
                ) {
                    (Some(_), None) => {
                        found.push(format!("header {header}: recorded, emulator missing"))
                    }
                    (Some(rec), Some(act)) if header == "Content-Type" && rec != act => {
                        found.push(format!("header {header}: recorded {rec}, emulator {act}"));
                    }
                    _ => {}
                }
            }

            // Remember what the emulator made, under the recorded ids.
            if answer.status.is_success() {
                let recorded_body = &entry["ResponseBody"];
                if is_create {
                    if let (Some(recorded), Some(ours)) = (
                        recorded_body["chatThread"]["id"].as_str(),
                        answer.body["chatThread"]["id"].as_str(),
                    ) {
                        replay.ids.insert(recorded.to_owned(), ours.to_owned());
                        replay.creators.insert(ours.to_owned(), user.id.clone());
                    }
                } else if method == "POST" && route.ends_with("/messages") {
                    if let (Some(recorded), Some(ours)) =
                        (recorded_body["id"].as_str(), answer.body["id"].as_str())
                    {
                        replay.ids.insert(recorded.to_owned(), ours.to_owned());
                        replay.last_message = Some(ours.to_owned());
                    }
                }
                if let Some(link) = answer.body["nextLink"].as_str() {
                    let our_route = path.split('?').next().unwrap_or_default();
                    replay.next_links.insert(decode(our_route), link.to_owned());
                }
            }
            for difference in found {
                let line =
                    format!("{dir}/{name}: entry {n} {method} {recorded_path}: {difference}");
                if tolerated(&method, &recorded_path, &difference) {
                    totals.tolerated.push(line);
                } else {
                    totals.differences.push(line);
                }
            }
        }
    }
}

#[tokio::test]
async fn recordings_at_2023_11_07_2024_03_07_and_2025_03_15_replay_with_the_same_shapes() {
    let mut totals = Totals {
        compared: 0,
        identity_steps: 0,
        differences: Vec::new(),
        tolerated: Vec::new(),
    };
    for dir in ["2023-11-07", "2024-03-07", "2025-03-15", "net-2025-03-15"] {
        let chat = Chat::start().await;
        let before = totals.compared;
        replay_dir(&chat, dir, &mut totals).await;
        println!(
            "conformance {dir}: {} exchanges compared",
            totals.compared - before
        );
    }
    for line in &totals.differences {
        println!("{line}");
    }
    for line in &totals.tolerated {
        println!("tolerated: {line}");
    }
    println!(
        "conformance (2023-11-07, 2024-03-07, 2025-03-15): {} exchanges compared, {} differences, {} tolerated, {} identity steps mapped",
        totals.compared,
        totals.differences.len(),
        totals.tolerated.len(),
        totals.identity_steps
    );
    assert!(totals.compared > 40, "{}", totals.compared);
    assert!(
        totals.differences.is_empty(),
        "{} differences",
        totals.differences.len()
    );
}
