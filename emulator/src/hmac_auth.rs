//! HMAC-SHA256 request authentication, as ACS verifies access-key requests.
//!
//! # Scheme (from the official SDK signers)
//!
//! Sources: Azure/azure-sdk-for-js
//! `sdk/communication/communication-common/src/credential/communicationAccessKeyCredentialPolicy.ts`,
//! Azure/azure-sdk-for-net `sdk/communication/Shared/src/HMACAuthenticationPolicy.cs`,
//! Azure/azure-sdk-for-python `.../_shared/policy.py` (`HMACCredentialsPolicy`),
//! and the ACS "Sign an HTTP request with HMAC" tutorial.
//!
//! The client sends
//!
//! * `x-ms-date`: the request time, RFC 1123 (`Wed, 07 Sep 2022 13:34:56 GMT`);
//!   .NET also sends the same value as `Date`, and old JS versions signed
//!   `date` instead of `x-ms-date`;
//! * `x-ms-content-sha256`: base64 SHA-256 of the body (of `""` when empty);
//! * `Host`: the endpoint authority, **including a non-default port**;
//! * `Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<sig>`
//!
//! where `<sig>` is base64 HMAC-SHA256, keyed with the base64-decoded access
//! key, of the string to sign
//!
//! ```text
//! VERB "\n" PATH_AND_QUERY "\n" VALUE(h1) ";" VALUE(h2) ";" VALUE(h3)
//! ```
//!
//! for the headers named in `SignedHeaders`, in that order: with the usual
//! list, `<x-ms-date>;<host>;<content hash>`. `VERB` is uppercase and
//! `PATH_AND_QUERY` is the request target as sent (`/identities?api-version=2023-10-01`).
//!
//! # Verification (what the emulator checks, in order)
//!
//! 1. `Authorization` present, scheme `HMAC-SHA256`, with `SignedHeaders` and
//!    `Signature` parameters (other parameters such as `Credential` ignored);
//! 2. `SignedHeaders` contains `host`, `x-ms-content-sha256` and a date
//!    (`x-ms-date` or `date`), and every named header is present (`host`
//!    falls back to the HTTP/2 `:authority`);
//! 3. the signed date parses as an RFC 1123 date and is within
//!    [`MAX_CLOCK_SKEW`] (15 minutes, either direction) of the emulator's
//!    clock: the limit documented for the same HMAC scheme in Azure App
//!    Configuration; ACS does not document its own, so this is a guess;
//! 4. `x-ms-content-sha256` equals the SHA-256 of the body received (real
//!    message: `Request 'x-ms-content-sha256' differs from generated content hash.`);
//! 5. the signature matches (constant-time comparison). The path is taken
//!    as received; for compatibility with SDK quirks the emulator also
//!    accepts a signature over the percent-decoded path (Python's async
//!    clients sign the unquoted URL) and over the path without its leading
//!    `/` (the Python signer slices `len(host) + 8` characters off the URL,
//!    which assumes `https://` and drops the `/` for `http://` endpoints).
//!    The host value is the `Host` header as received, so a client that signs
//!    and sends the same (even odd) value verifies.
//!
//! Failures answer 401 `{"error":{"code":"Denied","message":...}}` (the code
//! the real service uses; its generic message is `Denied by the resource
//! provider.`) with `WWW-Authenticate: HMAC-SHA256`.

use std::time::Duration;

use aws_lc_rs::{digest, hmac};
use axum::body::Body;
use axum::extract::{OriginalUri, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, Utc};

use crate::error::ApiError;
use crate::state::AppState;

/// Largest allowed distance between the signed date and the emulator clock.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// Largest body the HMAC layer buffers (to hash it).
pub const MAX_SIGNED_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The authorization scheme name.
pub const SCHEME: &str = "HMAC-SHA256";

/// The generic message of the real service for a refused signature.
pub const DENIED_MESSAGE: &str = "Denied by the resource provider.";

/// Why a request's HMAC authentication failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HmacError {
    /// No `Authorization` header.
    #[error("The request has no Authorization header.")]
    MissingAuthorization,
    /// Not `HMAC-SHA256 SignedHeaders=...&Signature=...`.
    #[error("The Authorization header is not a valid HMAC-SHA256 authorization.")]
    MalformedAuthorization,
    /// `SignedHeaders` lacks a required header.
    #[error("SignedHeaders must include {0}.")]
    MissingRequiredSignedHeader(&'static str),
    /// A header named in `SignedHeaders` is absent or not text.
    #[error("The signed header '{0}' is missing from the request.")]
    MissingHeader(String),
    /// The signed date is not an RFC 1123 date.
    #[error("The request date header is not a valid RFC 1123 date.")]
    InvalidDate,
    /// The signed date is too far from the emulator clock.
    #[error("The request date is more than 15 minutes away from the server time.")]
    DateOutOfRange,
    /// `x-ms-content-sha256` does not match the body.
    #[error("Request 'x-ms-content-sha256' differs from generated content hash.")]
    ContentHashMismatch,
    /// The signature does not match.
    #[error("Denied by the resource provider.")]
    SignatureMismatch,
}

impl HmacError {
    /// The 401 answer for this error.
    pub fn to_api_error(&self) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "Denied", self.to_string())
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static(SCHEME))
    }
}

/// The parts of a request the signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// HTTP method (`POST`).
    pub method: &'a str,
    /// Request target as received (`/identities?api-version=2023-10-01`).
    pub path_and_query: &'a str,
    /// Request headers.
    pub headers: &'a HeaderMap,
    /// Authority to use when there is no `Host` header (HTTP/2).
    pub authority: Option<&'a str>,
    /// The body bytes.
    pub body: &'a [u8],
}

/// Base64 SHA-256 of `body` (the `x-ms-content-sha256` value).
pub fn content_hash(body: &[u8]) -> String {
    STANDARD.encode(digest::digest(&digest::SHA256, body).as_ref())
}

/// Verifies `request` against `key` at time `now`.
pub fn verify(
    key: &hmac::Key,
    request: &SignedRequest<'_>,
    now: DateTime<Utc>,
) -> Result<(), HmacError> {
    let authorization = request
        .headers
        .get(header::AUTHORIZATION)
        .ok_or(HmacError::MissingAuthorization)?
        .to_str()
        .map_err(|_| HmacError::MalformedAuthorization)?;
    let (signed_headers, signature) = parse_authorization(authorization)?;

    for required in ["host", "x-ms-content-sha256"] {
        if !signed_headers.iter().any(|h| h == required) {
            return Err(HmacError::MissingRequiredSignedHeader(required));
        }
    }
    let date_header = signed_headers
        .iter()
        .find(|h| *h == "x-ms-date" || *h == "date")
        .ok_or(HmacError::MissingRequiredSignedHeader("x-ms-date"))?
        .clone();

    let mut values = Vec::with_capacity(signed_headers.len());
    for name in &signed_headers {
        values.push(header_value(request, name)?);
    }
    let joined = values.join(";");

    let date = header_value(request, &date_header)?;
    let date = DateTime::parse_from_rfc2822(date.trim())
        .map_err(|_| HmacError::InvalidDate)?
        .with_timezone(&Utc);
    let skew = (now - date).abs();
    if skew.to_std().map_or(true, |s| s > MAX_CLOCK_SKEW) {
        return Err(HmacError::DateOutOfRange);
    }

    let sent_hash = header_value(request, "x-ms-content-sha256")?;
    if sent_hash.trim() != content_hash(request.body) {
        return Err(HmacError::ContentHashMismatch);
    }

    let signature = STANDARD
        .decode(signature.trim())
        .map_err(|_| HmacError::SignatureMismatch)?;
    let method = request.method.to_ascii_uppercase();
    for path in path_candidates(request.path_and_query) {
        let string_to_sign = format!("{method}\n{path}\n{joined}");
        if hmac::verify(key, string_to_sign.as_bytes(), &signature).is_ok() {
            return Ok(());
        }
    }
    Err(HmacError::SignatureMismatch)
}

/// Splits `HMAC-SHA256 SignedHeaders=a;b&Signature=xyz` into the lowercase
/// header names and the signature.
fn parse_authorization(value: &str) -> Result<(Vec<String>, String), HmacError> {
    let value = value.trim();
    let (scheme, params) = value
        .split_once(char::is_whitespace)
        .ok_or(HmacError::MalformedAuthorization)?;
    if !scheme.eq_ignore_ascii_case(SCHEME) {
        return Err(HmacError::MalformedAuthorization);
    }
    let mut signed_headers = None;
    let mut signature = None;
    for param in params.trim().split('&') {
        let Some((name, val)) = param.split_once('=') else {
            continue;
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("SignedHeaders") {
            signed_headers = Some(
                val.split(';')
                    .map(|h| h.trim().to_ascii_lowercase())
                    .filter(|h| !h.is_empty())
                    .collect::<Vec<_>>(),
            );
        } else if name.eq_ignore_ascii_case("Signature") {
            signature = Some(val.trim().to_owned());
        }
    }
    match (signed_headers, signature) {
        (Some(headers), Some(signature)) if !headers.is_empty() && !signature.is_empty() => {
            Ok((headers, signature))
        }
        _ => Err(HmacError::MalformedAuthorization),
    }
}

fn header_value(request: &SignedRequest<'_>, name: &str) -> Result<String, HmacError> {
    match request.headers.get(name) {
        Some(value) => value
            .to_str()
            .map(str::to_owned)
            .map_err(|_| HmacError::MissingHeader(name.to_owned())),
        None if name == "host" => request
            .authority
            .map(str::to_owned)
            .ok_or_else(|| HmacError::MissingHeader(name.to_owned())),
        None => Err(HmacError::MissingHeader(name.to_owned())),
    }
}

/// The path forms accepted (see module docs), without duplicates.
fn path_candidates(path_and_query: &str) -> Vec<String> {
    let decoded = percent_encoding::percent_decode_str(path_and_query)
        .decode_utf8_lossy()
        .into_owned();
    let mut out: Vec<String> = Vec::with_capacity(4);
    for candidate in [path_and_query.to_owned(), decoded] {
        let stripped = candidate.strip_prefix('/').map(str::to_owned);
        for c in std::iter::once(candidate).chain(stripped) {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

/// Middleware: buffers the body, verifies the HMAC signature with the
/// state's access key, and passes the request on (body restored) or answers
/// 401.
pub async fn hmac_middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_SIGNED_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return ApiError::bad_request(
                "BadRequest",
                "The request body could not be read (or exceeds 4 MiB).",
            )
            .into_response()
        }
    };
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or_else(|| parts.uri.clone(), |original| original.0.clone());
    let path_and_query = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let authority = parts.uri.authority().map(|a| a.as_str());
    let signed = SignedRequest {
        method: parts.method.as_str(),
        path_and_query,
        headers: &parts.headers,
        authority,
        body: &bytes,
    };
    if let Err(err) = verify(state.keys().hmac_key(), &signed, Utc::now()) {
        return err.to_api_error().into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::DEV_ACCESS_KEY;
    use axum::http::HeaderName;

    fn key() -> hmac::Key {
        let secret = STANDARD.decode(DEV_ACCESS_KEY).unwrap_or_default();
        hmac::Key::new(hmac::HMAC_SHA256, &secret)
    }

    fn signed_headers(path: &str, date: &str, body: &[u8], host: &str) -> HeaderMap {
        let hash = content_hash(body);
        let sts = format!("POST\n{path}\n{date};{host};{hash}");
        let sig = STANDARD.encode(hmac::sign(&key(), sts.as_bytes()).as_ref());
        let mut headers = HeaderMap::new();
        let mut put = |name: &'static str, value: String| {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), v);
            }
        };
        put("x-ms-date", date.to_owned());
        put("x-ms-content-sha256", hash);
        put("host", host.to_owned());
        put(
            "authorization",
            format!("HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={sig}"),
        );
        headers
    }

    #[test]
    fn empty_body_hash() {
        assert_eq!(
            content_hash(b""),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn accepts_and_rejects() {
        let now = Utc::now();
        let date = now.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let path = "/identities?api-version=2023-10-01";
        let headers = signed_headers(path, &date, b"{}", "127.0.0.1:8080");
        let req = SignedRequest {
            method: "POST",
            path_and_query: path,
            headers: &headers,
            authority: None,
            body: b"{}",
        };
        assert_eq!(verify(&key(), &req, now), Ok(()));
        let tampered = SignedRequest {
            body: b"{ }",
            ..req
        };
        assert_eq!(
            verify(&key(), &tampered, now),
            Err(HmacError::ContentHashMismatch)
        );
        let other_path = SignedRequest {
            path_and_query: "/identities",
            ..req
        };
        assert_eq!(
            verify(&key(), &other_path, now),
            Err(HmacError::SignatureMismatch)
        );
        let late = now + chrono::Duration::minutes(16);
        assert_eq!(verify(&key(), &req, late), Err(HmacError::DateOutOfRange));
        let early = now - chrono::Duration::minutes(14);
        assert_eq!(verify(&key(), &req, early), Ok(()));
    }

    #[test]
    fn python_http_quirk_and_decoded_paths() {
        let now = Utc::now();
        let date = now.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let sent = "/identities/8%3Aacs%3Ax_1/:revokeAccessTokens?api-version=2023-10-01";
        for signed_path in [
            "identities/8%3Aacs%3Ax_1/:revokeAccessTokens?api-version=2023-10-01",
            "/identities/8:acs:x_1/:revokeAccessTokens?api-version=2023-10-01",
        ] {
            let headers = signed_headers(signed_path, &date, b"", "localhost:1");
            let req = SignedRequest {
                method: "POST",
                path_and_query: sent,
                headers: &headers,
                authority: None,
                body: b"",
            };
            assert_eq!(verify(&key(), &req, now), Ok(()), "{signed_path}");
        }
    }

    #[test]
    fn malformed_authorizations() {
        for value in [
            "Bearer abc",
            "HMAC-SHA256",
            "HMAC-SHA256 Signature=abc",
            "HMAC-SHA256 SignedHeaders=&Signature=abc",
        ] {
            assert_eq!(
                parse_authorization(value).err(),
                Some(HmacError::MalformedAuthorization),
                "{value}"
            );
        }
        let parsed = parse_authorization(
            "hmac-sha256 Credential=x&SignedHeaders=Date;Host;x-ms-content-sha256&Signature=a=",
        );
        assert_eq!(
            parsed.ok(),
            Some((
                vec![
                    "date".to_owned(),
                    "host".to_owned(),
                    "x-ms-content-sha256".to_owned()
                ],
                "a=".to_owned()
            ))
        );
    }

    #[test]
    fn candidates_are_unique() {
        assert_eq!(path_candidates("/a"), vec!["/a".to_owned(), "a".to_owned()]);
        assert_eq!(path_candidates("/a%20b").len(), 4);
    }
}
