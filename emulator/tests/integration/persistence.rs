//! `--data-dir`: what the emulator acknowledged survives `kill -9` and a
//! restart (users, tokens, threads, messages, edits, deletions, receipts,
//! participants, repeatability records, paging), and an unusable or
//! foreign database is a clear startup error.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::Api;

const BIN: &str = env!("CARGO_BIN_EXE_acs-chat-emulator");
const V: &str = "api-version=2025-03-15";

struct Running {
    child: Child,
    api: Api,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("acs-emulator-data-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn start(dir: &Path, extra: &[&str]) -> Running {
    let mut child = Command::new(BIN)
        .args(["--port", "0", "--data-dir"])
        .arg(dir)
        .args(extra)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("ready line");
    let endpoint = line
        .split_whitespace()
        .find_map(|pair| pair.strip_prefix("endpoint="))
        .expect("endpoint on the ready line")
        .to_owned();
    Running {
        child,
        api: Api::new(&endpoint),
    }
}

/// The binary refuses to start: its exit code and stderr.
fn refused(dir: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .args(["--port", "0", "--data-dir"])
        .arg(dir)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .expect("stderr piped")
        .read_to_string(&mut stderr);
    let status = child.wait().expect("exits");
    (status.code(), stderr)
}

async fn user(api: &Api) -> (String, String) {
    let response = api
        .signed(
            Method::POST,
            "/identities?api-version=2023-10-01",
            Some(&json!({"createTokenWithScopes": ["chat"]})),
        )
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.expect("json");
    (
        body["identity"]["id"].as_str().expect("id").to_owned(),
        body["accessToken"]["token"]
            .as_str()
            .expect("token")
            .to_owned(),
    )
}

async fn call(
    api: &Api,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = api.http.request(method, api.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Everything a client can read about the thread, as JSON.
async fn snapshot(api: &Api, token: &str, thread: &str) -> Vec<Value> {
    let mut all = Vec::new();
    for path in [
        format!("/chat/threads/{thread}?{V}"),
        format!("/chat/threads/{thread}/messages?{V}"),
        format!("/chat/threads/{thread}/participants?{V}"),
        format!("/chat/threads/{thread}/readReceipts?{V}"),
        format!("/chat/threads?{V}"),
    ] {
        let (status, body) = call(api, token, Method::GET, &path, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        all.push(body);
    }
    all
}

/// A `nextLink` moved to another endpoint (the restarted emulator's port).
fn relink(next_link: &str, api: &Api) -> String {
    let url = reqwest::Url::parse(next_link).expect("absolute nextLink");
    api.url(&format!(
        "{}?{}",
        url.path(),
        url.query().unwrap_or_default()
    ))
}

#[tokio::test]
async fn everything_acknowledged_survives_kill_9_and_a_restart() {
    let dir = temp_dir();
    let first = start(&dir, &[]);
    let api = &first.api;
    let (alice, alice_token) = user(api).await;
    let (bob, bob_token) = user(api).await;
    let (carol, _) = user(api).await;
    let participant = |id: &str| json!({"communicationIdentifier": {"rawId": id, "communicationUser": {"id": id}}});

    let (status, created) = call(
        api,
        &alice_token,
        Method::POST,
        &format!("/chat/threads?{V}"),
        Some(
            json!({"topic": "kept", "participants": [participant(&bob)], "metadata": {"k": "v"},
            "retentionPolicy": {"kind": "threadCreationDate", "deleteThreadAfterDays": 40}}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let thread = created["chatThread"]["id"]
        .as_str()
        .expect("thread id")
        .to_owned();
    let t = thread.replace(':', "%3A").replace('@', "%40");
    let mut ids = Vec::new();
    for (i, kind) in ["text", "html", "text", "text"].iter().enumerate() {
        let (status, sent) = call(
            api,
            &alice_token,
            Method::POST,
            &format!("/chat/threads/{t}/messages?{V}"),
            Some(json!({"content": format!("message {i}"), "type": kind, "metadata": {"n": i.to_string()}})),
        )
        .await;
        assert_eq!(status, 201);
        ids.push(sent["id"].as_str().expect("id").to_owned());
    }
    let path = |rest: &str| format!("/chat/threads/{t}{rest}?{V}");
    let edited = call(
        api,
        &alice_token,
        Method::PATCH,
        &path(&format!("/messages/{}", ids[1])),
        Some(json!({"content": "edited"})),
    )
    .await;
    assert_eq!(edited.0, 204);
    let deleted = call(
        api,
        &alice_token,
        Method::DELETE,
        &path(&format!("/messages/{}", ids[2])),
        None,
    )
    .await;
    assert_eq!(deleted.0, 204);
    let receipt = call(
        api,
        &bob_token,
        Method::POST,
        &path("/readReceipts"),
        Some(json!({"chatMessageId": ids[3]})),
    )
    .await;
    assert_eq!(receipt.0, 200);
    let added = call(
        api,
        &alice_token,
        Method::POST,
        &path("/participants/:add"),
        Some(json!({"participants": [participant(&carol)]})),
    )
    .await;
    assert_eq!(added.0, 201);
    let renamed = call(
        api,
        &alice_token,
        Method::PATCH,
        &path(""),
        Some(json!({"topic": "still kept"})),
    )
    .await;
    assert_eq!(renamed.0, 204);
    let repeatable = api
        .http
        .post(api.url(&format!("/chat/threads?{V}")))
        .bearer_auth(&alice_token)
        .header("repeatability-request-id", "persisted-create")
        .json(&json!({"topic": "once"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(repeatable.status(), 201);
    let once: Value = repeatable.json().await.expect("json");

    let before = snapshot(api, &alice_token, &t).await;
    let (_, first_page) = call(
        api,
        &alice_token,
        Method::GET,
        &path("/messages").replace('?', "?maxPageSize=3&"),
        None,
    )
    .await;
    let next_link = first_page["nextLink"]
        .as_str()
        .expect("more pages")
        .to_owned();
    let second_page_before = api
        .http
        .get(&next_link)
        .bearer_auth(&alice_token)
        .send()
        .await
        .expect("sent")
        .json::<Value>()
        .await
        .expect("json");

    // kill -9: no chance to flush anything.
    let mut first = first;
    first.child.kill().expect("SIGKILL");
    first.child.wait().expect("exits");

    let second = start(&dir, &[]);
    let api = &second.api;
    // The old tokens are still accepted, and everything reads the same.
    let after = snapshot(api, &alice_token, &t).await;
    assert_eq!(before, after);
    let bob_view = call(api, &bob_token, Method::GET, &path(""), None).await;
    assert_eq!(bob_view.0, 200);
    assert_eq!(api.identity_count().await, 3);
    // Paging resumes where it was.
    let second_page_after = api
        .http
        .get(relink(&next_link, api))
        .bearer_auth(&alice_token)
        .send()
        .await
        .expect("sent")
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(second_page_before["value"], second_page_after["value"]);
    // The repeatability record holds: the same thread again.
    let again = api
        .http
        .post(api.url(&format!("/chat/threads?{V}")))
        .bearer_auth(&alice_token)
        .header("repeatability-request-id", "persisted-create")
        .json(&json!({"topic": "once"}))
        .send()
        .await
        .expect("sent");
    let again: Value = again.json().await.expect("json");
    assert_eq!(again["chatThread"]["id"], once["chatThread"]["id"]);
    // New ids stay unique: a newer message id, a new user.
    let (status, sent) = call(
        api,
        &alice_token,
        Method::POST,
        &path("/messages"),
        Some(json!({"content": "after"})),
    )
    .await;
    assert_eq!(status, 201);
    let newest: u64 = sent["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("numeric id");
    assert!(ids
        .iter()
        .all(|id| id.parse::<u64>().is_ok_and(|old| old < newest)));
    let (dave, _) = user(api).await;
    assert!(![&alice, &bob, &carol].contains(&&dave));
    drop(second);

    // Another access key: the database belongs to another resource.
    let (code, stderr) = refused(&dir, &["--access-key", "b3RoZXIta2V5LW9mLW1pbmU="]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("belongs to resource"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_unusable_database_is_a_clear_startup_error() {
    let dir = temp_dir();
    std::fs::write(
        dir.join("emulator.sqlite3"),
        b"definitely not an SQLite database; ".repeat(500),
    )
    .expect("write");
    let (code, stderr) = refused(&dir, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("not a usable emulator database"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Nothing was reset behind the user's back.
    let kept = std::fs::read(dir.join("emulator.sqlite3")).expect("still there");
    assert!(kept.starts_with(b"definitely not"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn revocations_and_deletions_survive_too() {
    let dir = temp_dir();
    let first = start(&dir, &[]);
    let (revoked, revoked_token) = user(&first.api).await;
    let (deleted, deleted_token) = user(&first.api).await;
    let revoke = first
        .api
        .signed(
            Method::POST,
            &format!("/identities/{revoked}/:revokeAccessTokens?api-version=2023-10-01"),
            None,
        )
        .await
        .expect("sent");
    assert_eq!(revoke.status(), 204);
    let delete = first
        .api
        .signed(
            Method::DELETE,
            &format!("/identities/{deleted}?api-version=2023-10-01"),
            None,
        )
        .await
        .expect("sent");
    assert_eq!(delete.status(), 204);
    drop(first); // SIGKILL

    let second = start(&dir, &[]);
    for token in [&revoked_token, &deleted_token] {
        let (status, _) = call(
            &second.api,
            token,
            Method::GET,
            &format!("/chat/threads?{V}"),
            None,
        )
        .await;
        assert_eq!(status, 401);
    }
    assert_eq!(second.api.identity_count().await, 1);
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}
