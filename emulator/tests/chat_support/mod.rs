//! Shared helpers of the Chat tests: an emulator on 127.0.0.1, users with
//! chat tokens (through `/admin/tokens`), and a small JSON client.
#![allow(dead_code)]

use std::time::Duration;

use acs_chat_emulator::Emulator;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The api-version used unless a test says otherwise.
pub const V: &str = "2025-03-15";

/// A user with a chat token.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub token: String,
}

/// A response, read.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// Parsed JSON, or `Value::Null` for an empty body.
    pub body: Value,
    /// The raw body.
    pub text: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the service's error shape and returns `error.code`.
    pub fn error_code(&self) -> String {
        let error = &self.body["error"];
        assert!(
            error["code"].is_string() && error["message"].is_string(),
            "not an error body: {} {}",
            self.status,
            self.text
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        error["code"].as_str().unwrap_or_default().to_owned()
    }

    /// The item of a page (`value`) whose `id` is `id`; `Null` if none.
    pub fn item(&self, id: &str) -> Value {
        self.body["value"]
            .as_array()
            .and_then(|items| items.iter().find(|item| item["id"] == id).cloned())
            .unwrap_or_default()
    }
}

/// An emulator plus a client.
pub struct Chat {
    pub emulator: Emulator,
    pub http: reqwest::Client,
    /// Without the trailing slash.
    pub base: String,
}

impl Chat {
    pub async fn start() -> Self {
        let emulator = Emulator::start().await.expect("emulator starts");
        let base = emulator.endpoint().trim_end_matches('/').to_owned();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client builds");
        Self {
            emulator,
            http,
            base,
        }
    }

    /// A new user and a chat token for it.
    pub async fn user(&self) -> User {
        self.user_with(json!({})).await
    }

    /// `POST /admin/tokens` with `body`.
    pub async fn user_with(&self, body: Value) -> User {
        let response = self
            .http
            .post(format!("{}/admin/tokens", self.base))
            .json(&body)
            .send()
            .await
            .expect("admin request");
        assert!(response.status().is_success(), "{}", response.status());
        let body: Value = response.json().await.expect("json");
        User {
            id: body["identity"]["id"].as_str().expect("id").to_owned(),
            token: body["accessToken"]["token"]
                .as_str()
                .expect("token")
                .to_owned(),
        }
    }

    /// Sends a request; `path` may hold a query, `api-version` is added
    /// unless present.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else if path.contains("api-version=") {
            format!("{}{path}", self.base)
        } else {
            let sep = if path.contains('?') { '&' } else { '?' };
            format!("{}{path}{sep}api-version={V}", self.base)
        };
        let mut request = self.http.request(method, url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            if !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            {
                request = request.header("content-type", "application/json");
            }
            request = request.body(body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body read");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text.clone()))
        };
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    /// A JSON request as `user`.
    pub async fn call(
        &self,
        user: &User,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        self.send(
            method,
            path,
            Some(&user.token),
            body.map(|b| b.to_string().into_bytes()),
            &[],
        )
        .await
    }

    pub async fn get(&self, user: &User, path: &str) -> Answer {
        self.call(user, Method::GET, path, None).await
    }

    pub async fn post(&self, user: &User, path: &str, body: Value) -> Answer {
        self.call(user, Method::POST, path, Some(body)).await
    }

    /// Creates a thread with `others` as participants; returns its id.
    pub async fn thread(&self, creator: &User, topic: &str, others: &[&User]) -> String {
        let participants: Vec<Value> = others.iter().map(|u| participant(&u.id)).collect();
        let answer = self
            .post(
                creator,
                "/chat/threads",
                json!({"topic": topic, "participants": participants}),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        answer.body["chatThread"]["id"]
            .as_str()
            .expect("thread id")
            .to_owned()
    }

    /// Sends a text message; returns its id.
    pub async fn message(&self, sender: &User, thread: &str, content: &str) -> String {
        let answer = self
            .post(
                sender,
                &format!("/chat/threads/{}/messages", enc(thread)),
                json!({"content": content, "senderDisplayName": "sender", "type": "text"}),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        answer.body["id"].as_str().expect("message id").to_owned()
    }

    /// Follows `nextLink`s from `path`, at most `max_pages` pages; returns
    /// the pages' `value`s and `nextLink`s.
    pub async fn pages(
        &self,
        user: &User,
        path: &str,
        max_pages: usize,
    ) -> Vec<(Vec<Value>, Option<String>)> {
        let mut pages = Vec::new();
        let mut next = Some(path.to_owned());
        while let Some(link) = next.take() {
            assert!(pages.len() < max_pages, "more than {max_pages} pages");
            let answer = self.get(user, &link).await;
            assert_eq!(answer.status, 200, "{link}: {}", answer.text);
            let values = answer.body["value"].as_array().cloned().unwrap_or_default();
            next = answer.body["nextLink"].as_str().map(str::to_owned);
            pages.push((values, next.clone()));
        }
        pages
    }
}

/// A `ChatParticipant` body for a user id, as the SDKs send it.
pub fn participant(id: &str) -> Value {
    json!({
        "communicationIdentifier": {"rawId": id, "communicationUser": {"id": id}},
        "displayName": "name"
    })
}

/// The identifier body of a user id.
pub fn identifier(id: &str) -> Value {
    json!({"rawId": id, "communicationUser": {"id": id}})
}

/// Percent-encodes a thread id the way the SDKs do in paths.
pub fn enc(thread_id: &str) -> String {
    thread_id.replace(':', "%3A").replace('@', "%40")
}

/// True for `2025-01-01T10:00:00Z`-shaped times (whole seconds, UTC).
pub fn whole_seconds(value: &Value) -> bool {
    value.as_str().is_some_and(|s| {
        s.len() == 20 && s.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(s).is_ok()
    })
}
