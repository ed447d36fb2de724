//! Helpers shared by the facade's tests: test tokens, clients pointed at an
//! httpmock server, and a recorder that keeps every request a mock answered.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use acs_chat::{ChatClient, CommunicationTokenCredential, RetryOptions};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use httpmock::{HttpMockRequest, MockServer};
use serde_json::Value;

/// The api-version every facade request must carry.
pub const API_VERSION: &str = "2025-03-15";

/// A thread id shaped like the service's (`:` and `@` stay unencoded in paths).
pub const THREAD: &str = "19:abc-DEF_123@thread.v2";

/// The request path of [`THREAD`], plus `rest`.
pub fn thread_path(rest: &str) -> String {
    format!("/chat/threads/{THREAD}{rest}")
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A JWT (`header.payload.sig`) whose payload is `{"exp": exp, "jti": marker}`.
/// The marker makes every token distinct and easy to search for.
pub fn jwt_with_exp_and_marker(exp: i64, marker: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"exp":{exp},"jti":"{marker}"}}"#));
    format!("{header}.{payload}.c2lnbmF0dXJl")
}

/// A JWT valid for an hour.
pub fn jwt() -> String {
    jwt_with_exp_and_marker(now() + 3600, &uuid::Uuid::new_v4().to_string())
}

/// Retries as fast as possible (1 ms backoff), 3 of them.
pub fn fast_retries() -> RetryOptions {
    RetryOptions::default().initial_delay(Duration::from_millis(1))
}

/// A client of `server` with a static one-hour token; returns the token too.
pub fn client(server: &MockServer) -> (ChatClient, String) {
    client_with(server, fast_retries())
}

/// A client of `server` with these retry options.
pub fn client_with(server: &MockServer, retry: RetryOptions) -> (ChatClient, String) {
    let token = jwt();
    let credential = CommunicationTokenCredential::new(token.clone()).expect("valid test JWT");
    let client = ChatClient::builder(server.base_url(), credential)
        .retry(retry)
        .build()
        .expect("a loopback http endpoint is accepted");
    (client, token)
}

/// Percent-decodes a URL path, so that `19%3Aa%40thread.v2` and `19:a@thread.v2` compare equal.
pub fn decode_path(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(byte) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).expect("paths are UTF-8")
}

/// One request as the mock server received it.
#[derive(Debug, Clone)]
pub struct Captured {
    pub method: String,
    /// The raw path, as sent.
    pub path: String,
    pub query: Vec<(String, String)>,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Captured {
    fn from_request(request: &HttpMockRequest) -> Self {
        Self {
            method: request.method_str().to_string(),
            path: request.uri().path().to_string(),
            query: request.query_params(),
            headers: request
                .headers_vec()
                .iter()
                .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
                .collect(),
            body: request.body_vec(),
        }
    }

    /// The single value of a header (panics if it is repeated).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .collect();
        assert!(
            values.len() <= 1,
            "header {name} sent {} times",
            values.len()
        );
        values.first().copied()
    }

    /// Every value of a query parameter.
    pub fn query_values(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The single value of a query parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        let values = self.query_values(name);
        assert!(values.len() <= 1, "query parameter {name} sent {values:?}");
        values.first().copied()
    }

    /// The query without `api-version`, sorted.
    pub fn query_without_api_version(&self) -> Vec<(String, String)> {
        let mut query: Vec<(String, String)> = self
            .query
            .iter()
            .filter(|(n, _)| n != "api-version")
            .cloned()
            .collect();
        query.sort();
        query
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "the body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The `Authorization` bearer token.
    pub fn bearer(&self) -> &str {
        self.header("authorization")
            .and_then(|v| v.strip_prefix("Bearer "))
            .expect("an Authorization: Bearer header")
    }

    /// The request id the request carried.
    pub fn client_request_id(&self) -> &str {
        self.header("x-ms-client-request-id")
            .expect("an x-ms-client-request-id header")
    }

    /// Asserts what every facade request carries: the token, the api-version
    /// (once), a request id and the User-Agent.
    pub fn assert_standard(&self, token: &str) {
        assert_eq!(
            self.header("authorization"),
            Some(format!("Bearer {token}").as_str()),
            "Authorization of {} {}",
            self.method,
            self.path
        );
        assert_eq!(
            self.query_values("api-version"),
            vec![API_VERSION],
            "api-version of {} {}",
            self.method,
            self.path
        );
        let id = self.client_request_id();
        assert!(
            uuid::Uuid::parse_str(id).is_ok(),
            "x-ms-client-request-id {id:?} is not a UUID"
        );
        let agent = self.header("user-agent").expect("a User-Agent header");
        assert!(agent.contains("acs-chat/"), "User-Agent {agent:?}");
        assert_eq!(self.header("api-version"), None, "api-version as a header");
    }
}

/// Keeps every request that reached the mocks it is hooked into.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Captured>>>);

impl Recorder {
    pub fn new() -> Self {
        Self::default()
    }

    /// A matcher for `When::is_true` that records the request and matches.
    /// httpmock evaluates custom matchers after all built-in ones, so only
    /// requests the mock otherwise matches are recorded.
    pub fn hook(&self) -> impl Fn(&HttpMockRequest) -> bool + Send + Sync + 'static {
        let requests = self.0.clone();
        move |request| {
            requests
                .lock()
                .unwrap()
                .push(Captured::from_request(request));
            true
        }
    }

    /// Like [`hook`](Self::hook), but matches (and records) only the first `n`
    /// requests that reach it: the way to answer the first attempts differently.
    pub fn first(&self, n: usize) -> impl Fn(&HttpMockRequest) -> bool + Send + Sync + 'static {
        let requests = self.0.clone();
        let seen = Arc::new(AtomicUsize::new(0));
        move |request| {
            if seen.fetch_add(1, Ordering::SeqCst) < n {
                requests
                    .lock()
                    .unwrap()
                    .push(Captured::from_request(request));
                true
            } else {
                false
            }
        }
    }

    /// Every request recorded so far, in order.
    pub fn all(&self) -> Vec<Captured> {
        self.0.lock().unwrap().clone()
    }

    /// The one request recorded.
    pub fn only(&self) -> Captured {
        let all = self.all();
        assert_eq!(all.len(), 1, "expected exactly one request, got {all:#?}");
        all.into_iter().next().unwrap()
    }
}

/// A port on 127.0.0.1 that nothing listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    port
}

/// A JSON body for a service error.
pub fn service_error_body(code: &str, message: &str) -> Value {
    serde_json::json!({
        "error": {
            "code": code,
            "message": message,
            "target": "chatThreadId",
            "details": [{"code": "DetailCode", "message": "a detail", "target": "detailTarget"}],
            "innererror": {"code": "InnerCode", "message": "the inner error"}
        }
    })
}

/// The identifier model of an ACS user, as the service sends it.
pub fn acs_user_model(raw_id: &str) -> Value {
    serde_json::json!({
        "rawId": raw_id,
        "kind": "communicationUser",
        "communicationUser": {"id": raw_id}
    })
}
