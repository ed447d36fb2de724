//! Test helpers: an HMAC signer written independently of the emulator's
//! verifier (RustCrypto `hmac` + `sha2`, following the SDK signers), and a
//! small signed HTTP client.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::{Method, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub use acs_chat_emulator::DEV_ACCESS_KEY;

/// Base64 SHA-256 of a body.
pub fn sha256_b64(body: &[u8]) -> String {
    STANDARD.encode(Sha256::digest(body))
}

/// The SDKs' string to sign for the usual signed headers.
pub fn string_to_sign(
    method: &str,
    path_and_query: &str,
    date: &str,
    host: &str,
    hash: &str,
) -> String {
    format!("{method}\n{path_and_query}\n{date};{host};{hash}")
}

/// base64(HMAC-SHA256(base64decode(key), text)).
pub fn hmac_b64(key_b64: &str, text: &str) -> String {
    let key = STANDARD.decode(key_b64).expect("test key is base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length works");
    mac.update(text.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// RFC 1123 date for now (+ offset seconds).
pub fn http_date(offset_secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(offset_secs))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// How to sign a request (defaults: like the SDKs).
#[derive(Clone)]
pub struct Signing {
    pub key: String,
    pub date_offset_secs: i64,
    /// Name of the signed date header: `x-ms-date` or `date`.
    pub date_header: &'static str,
    /// Override the path that is signed (default: the one sent).
    pub signed_path: Option<String>,
    /// Override the content hash header (default: the body's).
    pub content_hash: Option<String>,
    /// Send and sign this `Host` value instead of the URL's authority.
    pub host: Option<String>,
}

impl Default for Signing {
    fn default() -> Self {
        Self {
            key: DEV_ACCESS_KEY.to_owned(),
            date_offset_secs: 0,
            date_header: "x-ms-date",
            signed_path: None,
            content_hash: None,
            host: None,
        }
    }
}

/// A client for one emulator endpoint.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    /// With trailing slash.
    pub endpoint: String,
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .pool_max_idle_per_host(0)
        .build()
        .expect("client builds")
}

impl Api {
    pub fn new(endpoint: &str) -> Self {
        Self::with_client(endpoint, http_client())
    }

    pub fn with_client(endpoint: &str, http: reqwest::Client) -> Self {
        Self {
            http,
            endpoint: endpoint.to_owned(),
        }
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!(
            "{}{}",
            self.endpoint,
            path_and_query.trim_start_matches('/')
        )
    }

    /// `host[:port]` as the client will send it.
    pub fn host(&self) -> String {
        let url = reqwest::Url::parse(&self.endpoint).expect("endpoint is a URL");
        match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        }
    }

    /// Sends a signed request; `body` is serialized JSON when present.
    pub async fn signed(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> reqwest::Result<Response> {
        self.signed_with(
            method,
            path_and_query,
            body.map(|b| b.to_string().into_bytes()),
            &Signing::default(),
            &[],
        )
        .await
    }

    /// Sends a request signed per `signing`, with raw body bytes and extra headers.
    pub async fn signed_with(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Vec<u8>>,
        signing: &Signing,
        extra_headers: &[(&str, &str)],
    ) -> reqwest::Result<Response> {
        let bytes = body.clone().unwrap_or_default();
        let hash = signing
            .content_hash
            .clone()
            .unwrap_or_else(|| sha256_b64(&bytes));
        let date = http_date(signing.date_offset_secs);
        let signed_path = signing
            .signed_path
            .clone()
            .unwrap_or_else(|| format!("/{}", path_and_query.trim_start_matches('/')));
        let host = signing.host.clone().unwrap_or_else(|| self.host());
        let sts = string_to_sign(method.as_str(), &signed_path, &date, &host, &hash);
        let signature = hmac_b64(&signing.key, &sts);
        let mut request = self
            .http
            .request(method, self.url(path_and_query))
            .header(signing.date_header, date)
            .header("x-ms-content-sha256", hash)
            .header(
                "authorization",
                format!(
                    "HMAC-SHA256 SignedHeaders={};host;x-ms-content-sha256&Signature={signature}",
                    signing.date_header
                ),
            );
        if let Some(host) = &signing.host {
            request = request.header("host", host.as_str());
        }
        if let Some(body) = body {
            let custom_type = extra_headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
            if !custom_type {
                request = request.header("content-type", "application/json");
            }
            request = request.body(body);
        }
        for (name, value) in extra_headers {
            request = request.header(*name, *value);
        }
        request.send().await
    }

    /// Creates an identity (optionally with a token) and returns the body.
    pub async fn create_identity(&self, body: Option<Value>) -> Value {
        let response = self
            .signed(
                Method::POST,
                "/identities?api-version=2023-10-01",
                body.as_ref(),
            )
            .await
            .expect("request succeeds");
        assert_eq!(response.status(), 201);
        response.json().await.expect("json body")
    }

    /// Unauthenticated admin GET returning JSON.
    pub async fn admin_get(&self, path: &str) -> Value {
        let response = self
            .http
            .get(self.url(path))
            .send()
            .await
            .expect("admin request");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.expect("json")
    }

    /// Unauthenticated admin POST with a JSON body.
    pub async fn admin_post(&self, path: &str, body: &Value) -> Response {
        self.http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("admin request")
    }

    /// Number of users, from `/admin/identities`.
    pub async fn identity_count(&self) -> usize {
        self.admin_get("/admin/identities").await["identities"]
            .as_array()
            .map_or(0, Vec::len)
    }
}

/// The error body's `error` object.
pub async fn error_of(response: Response) -> Value {
    let body: Value = response.json().await.expect("error body is JSON");
    body["error"].clone()
}

/// Decodes a JWT's payload.
pub fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("three segments");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url without padding");
    serde_json::from_slice(&bytes).expect("claims are JSON")
}
