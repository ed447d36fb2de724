//! Request bodies (and bad methods, api-versions and content types) on every
//! emulator route, authenticated so the body is read: the answer is never a
//! 5xx, and an error is always the service's JSON error shape.
#![no_main]

use std::sync::{Mutex, OnceLock};

use acs_chat_emulator::front_door::App;
use acs_chat_emulator::router::{app, AppOptions};
use acs_chat_emulator::{AppState, DEV_ACCESS_KEY};
use acs_chat_fuzz::{hmac_headers, HOST};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use libfuzzer_sys::fuzz_target;

/// Routes, with `{t}` (a thread), `{m}` (a message), `{u}` (the caller) and
/// `{o}` (another participant) filled in per run.
const ROUTES: &[(&str, &str)] = &[
    ("POST", "/chat/threads"),
    ("GET", "/chat/threads"),
    ("GET", "/chat/threads/{t}"),
    ("PATCH", "/chat/threads/{t}"),
    ("DELETE", "/chat/threads/{t}"),
    ("POST", "/chat/threads/{t}/messages"),
    ("GET", "/chat/threads/{t}/messages"),
    ("GET", "/chat/threads/{t}/messages/{m}"),
    ("PATCH", "/chat/threads/{t}/messages/{m}"),
    ("DELETE", "/chat/threads/{t}/messages/{m}"),
    ("GET", "/chat/threads/{t}/participants"),
    ("POST", "/chat/threads/{t}/participants/:add"),
    ("POST", "/chat/threads/{t}/participants/:remove"),
    ("POST", "/chat/threads/{t}/readReceipts"),
    ("GET", "/chat/threads/{t}/readReceipts"),
    ("POST", "/chat/threads/{t}/typing"),
    ("POST", "/identities"),
    ("POST", "/identities/{o}/:issueAccessToken"),
    ("POST", "/identities/{o}/:revokeAccessTokens"),
    ("DELETE", "/identities/{o}"),
    ("POST", "/teamsUser/:exchangeAccessToken"),
    ("PUT", "/chat/threads/{t}"),
];

const QUERIES: &[&str] = &[
    "api-version=2025-03-15",
    "api-version=2021-09-07&maxPageSize=2",
    "api-version=2024-03-07&skip=1&maxPageSize=200",
    "api-version=2025-03-15&startTime=2020-01-01T00:00:00Z",
    "api-version=2023-10-01",
    "api-version=1999-01-01",
    "",
];

const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "application/merge-patch+json",
    "text/plain",
    "application/json; charset=utf-8",
];

/// How many runs share one emulator state before it is reset (bounds memory).
const RUNS_PER_STATE: u32 = 2_000;

struct World {
    runtime: tokio::runtime::Runtime,
    router: App,
    token: String,
    user: String,
    other: String,
    runs: u32,
    /// The thread and message of the last runs, while no run could have
    /// deleted them or removed the caller.
    thread: Option<(String, String)>,
}

async fn call(router: &App, request: Request<Body>) -> (StatusCode, Vec<u8>) {
    let response = router.handle(request).await;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    (status, body)
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap_or(serde_json::Value::Null)
}

impl World {
    fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a current-thread runtime builds");
        let state = AppState::new(DEV_ACCESS_KEY).expect("the development key is valid");
        let router = app(
            state,
            AppOptions {
                admin: true,
                ..AppOptions::default()
            },
        );
        let mut world = Self {
            runtime,
            router,
            token: String::new(),
            user: String::new(),
            other: String::new(),
            runs: 0,
            thread: None,
        };
        world.reset();
        world
    }

    fn admin(&self, path: &str, body: &str) -> serde_json::Value {
        let request = Request::post(path)
            .header("host", HOST)
            .header("content-type", "application/json")
            .body(Body::from(body.to_owned()))
            .expect("a valid request");
        let (status, body) = self.runtime.block_on(call(&self.router, request));
        assert!(status.is_success(), "{path}: {status}");
        json(&body)
    }

    fn reset(&mut self) {
        self.admin("/admin/reset", "");
        let me = self.admin("/admin/tokens", "{}");
        self.token = me["accessToken"]["token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.user = me["identity"]["id"].as_str().unwrap_or_default().to_owned();
        let other = self.admin("/admin/tokens", "{}");
        self.other = other["identity"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.runs = 0;
        self.thread = None;
    }

    fn chat(
        &self,
        method: &str,
        path: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> (StatusCode, Vec<u8>) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", HOST)
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", content_type)
            .body(Body::from(body))
            .expect("a valid request");
        self.runtime.block_on(call(&self.router, request))
    }

    /// A thread of the caller and one other user, with one message.
    fn thread(&self) -> (String, String) {
        let body = format!(
            r#"{{"topic":"fuzz","participants":[{{"communicationIdentifier":{{"communicationUser":{{"id":"{}"}}}}}}]}}"#,
            self.other
        );
        let (_, created) = self.chat(
            "POST",
            "/chat/threads?api-version=2025-03-15",
            body.into_bytes(),
            "application/json",
        );
        let thread = json(&created)["chatThread"]["id"]
            .as_str()
            .unwrap_or("19:none")
            .to_owned();
        let (_, sent) = self.chat(
            "POST",
            &format!("/chat/threads/{thread}/messages?api-version=2025-03-15"),
            br#"{"content":"hello"}"#.to_vec(),
            "application/json",
        );
        let message = json(&sent)["id"].as_str().unwrap_or("1").to_owned();
        (thread, message)
    }
}

fn world() -> &'static Mutex<World> {
    static WORLD: OnceLock<Mutex<World>> = OnceLock::new();
    WORLD.get_or_init(|| Mutex::new(World::new()))
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.:~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let [route, query, content_type, body @ ..] = data else {
        return;
    };
    let mut world = world()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    world.runs += 1;
    if world.runs > RUNS_PER_STATE {
        world.reset();
    }
    let (method, template) = ROUTES[usize::from(*route) % ROUTES.len()];
    let query = QUERIES[usize::from(*query) % QUERIES.len()];
    let content_type = CONTENT_TYPES[usize::from(*content_type) % CONTENT_TYPES.len()];
    let (thread, message) = match world.thread.clone() {
        Some(existing) => existing,
        None => world.thread(),
    };
    // A run that could delete the thread or message, or remove or revoke a
    // member, gets a fresh thread next time; the others reuse this one.
    world.thread = (method == "GET").then(|| (thread.clone(), message.clone()));
    let path = template
        .replace("{t}", &percent_encode(&thread))
        .replace("{m}", &message)
        .replace("{o}", &percent_encode(&world.other))
        .replace("{u}", &percent_encode(&world.user));
    let path_and_query = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };

    let (status, answer) =
        if template.starts_with("/identities") || template.starts_with("/teamsUser") {
            let (date, hash, authorization) = hmac_headers(
                DEV_ACCESS_KEY,
                method,
                &path_and_query,
                body,
                chrono::Utc::now(),
            );
            let request = Request::builder()
                .method(method)
                .uri(&path_and_query)
                .header("host", HOST)
                .header("x-ms-date", date)
                .header("x-ms-content-sha256", hash)
                .header("authorization", authorization)
                .header("content-type", content_type)
                .body(Body::from(body.to_vec()))
                .expect("a valid request");
            world.runtime.block_on(call(&world.router, request))
        } else {
            world.chat(method, &path_and_query, body.to_vec(), content_type)
        };
    assert!(
        !status.is_server_error(),
        "{method} {path_and_query} answered {status}: {}",
        String::from_utf8_lossy(&answer)
    );
    if status.is_client_error() {
        let error = json(&answer);
        assert!(
            error["error"]["code"].is_string() && error["error"]["message"].is_string(),
            "{method} {path_and_query} answered {status} without the error shape: {}",
            String::from_utf8_lossy(&answer)
        );
    }
});
