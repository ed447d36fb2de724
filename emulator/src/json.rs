//! JSON request bodies and responses in the service's conventions.
//!
//! [`ApiJson`] wraps [`axum::Json`]: as an extractor, every rejection
//! (malformed JSON, wrong or missing `Content-Type`, wrong field types) becomes
//! a 400 [`ApiError`] in the service's error shape instead of axum's plain-text
//! answer; as a responder, it sends `application/json; charset=utf-8`.
//! [`OptionalApiJson`] is the same for operations whose body is optional.

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{ApiError, JSON_CONTENT_TYPE};

/// Error code used for unreadable request bodies.
///
/// A guess: the real service's code for a body it cannot parse was not found
/// in public sources; ASP.NET services commonly answer `BadRequest`.
pub const BAD_REQUEST_CODE: &str = "BadRequest";

/// JSON body extractor / responder following the service's conventions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(rejection_to_error(&rejection)),
        }
    }
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        json_response(StatusCode::OK, &self.0)
    }
}

/// The raw request body, with read failures (e.g. too large) answered in the
/// service's error shape.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawBody(pub Bytes);

/// A request's whole body, already read by the front door
/// ([`crate::request_body::read_body_first`]) and kept in the request's
/// extensions besides its body, so that [`RawBody`] and [`JsonBody`] take
/// it rather than collect the body a second time.
#[derive(Debug, Clone)]
pub(crate) struct BufferedBody(pub(crate) Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(mut req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(BufferedBody(bytes)) = req.extensions_mut().remove::<BufferedBody>() {
            return Ok(Self(bytes));
        }
        Bytes::from_request(req, state)
            .await
            .map(Self)
            .map_err(|rejection| body_read_error(rejection.status(), &rejection.body_text()))
    }
}

/// A request body as read, with whether the request's `Content-Type` is
/// JSON: all that a handler parsing the body itself needs of the headers.
/// (Taking the whole [`HeaderMap`] as an extractor would copy every header
/// of every request.) Read failures are answered as [`RawBody`]'s are.
///
/// ```
/// use acs_chat_emulator::json::JsonBody;
///
/// let body = JsonBody::new(r#"{"content":"hi"}"#.into(), true);
/// let value: serde_json::Value = body.parse().unwrap();
/// assert_eq!(value["content"], "hi");
/// // A body sent without a JSON `Content-Type` is refused as `ApiJson` refuses it.
/// assert!(JsonBody::new("{}".into(), false).parse::<serde_json::Value>().is_err());
/// assert_eq!(JsonBody::new(" ".into(), false).parse_optional::<serde_json::Value>().unwrap(), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonBody {
    bytes: Bytes,
    is_json: bool,
}

impl JsonBody {
    /// `bytes`, sent with a JSON `Content-Type` if `is_json`.
    pub fn new(bytes: Bytes, is_json: bool) -> Self {
        Self { bytes, is_json }
    }

    /// The body as read.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether the request's `Content-Type` is JSON (see [`is_json_content_type`]).
    pub fn is_json(&self) -> bool {
        self.is_json
    }

    /// The body as a required JSON `T`, with [`parse_json`]'s rules and errors.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        parse_required(self.is_json, &self.bytes)
    }

    /// The body as an optional JSON `T`, with [`parse_optional_json`]'s rules
    /// and errors.
    pub fn parse_optional<T: DeserializeOwned>(&self) -> Result<Option<T>, ApiError> {
        parse_optional(self.is_json, &self.bytes)
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = is_json_content_type(req.headers());
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        Ok(Self { bytes, is_json })
    }
}

/// Like [`ApiJson`], but an empty (or all-whitespace) body yields `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionalApiJson<T>(pub Option<T>);

impl<T, S> FromRequest<S> for OptionalApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|rejection| body_read_error(rejection.status(), &rejection.body_text()))?;
        parse_optional_json(&headers, &bytes).map(Self)
    }
}

/// Parses an optional JSON body already read: empty (or all-whitespace) →
/// `None`; otherwise requires a JSON `Content-Type` and valid JSON for `T`.
pub fn parse_optional_json<T: DeserializeOwned>(
    headers: &HeaderMap,
    bytes: &[u8],
) -> Result<Option<T>, ApiError> {
    parse_optional(is_json_content_type(headers), bytes)
}

fn parse_optional<T: DeserializeOwned>(is_json: bool, bytes: &[u8]) -> Result<Option<T>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    parse_required(is_json, bytes).map(Some)
}

/// Parses a required JSON body already read (same rules and errors as the
/// [`ApiJson`] extractor).
pub fn parse_json<T: DeserializeOwned>(headers: &HeaderMap, bytes: &[u8]) -> Result<T, ApiError> {
    parse_required(is_json_content_type(headers), bytes)
}

fn parse_required<T: DeserializeOwned>(is_json: bool, bytes: &[u8]) -> Result<T, ApiError> {
    if !is_json {
        return Err(missing_content_type());
    }
    // Read without tracking where in the document it is (what axum's
    // `Json` does to name the field at fault): the same input fails or not
    // either way, and only a failure needs the path, so only a failure is
    // read again by `Json` for its message.
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    match Json::<T>::from_bytes(bytes) {
        Ok(Json(value)) => Ok(value),
        Err(rejection) => Err(rejection_to_error(&rejection)),
    }
}

/// Serializes `value` as a JSON response with `status` and the service's
/// `Content-Type`. Never panics: a serialization failure (an emulator bug)
/// becomes a 500 in the error shape.
pub fn json_response<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => json_bytes_response(status, Bytes::from(bytes)),
        Err(err) => serialization_failed(&err).into_response(),
    }
}

/// A response with `status`, the service's JSON `Content-Type` and `json`
/// (already serialized) as its body.
pub(crate) fn json_bytes_response(status: StatusCode, json: Bytes) -> Response {
    let mut response = (status, json).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(JSON_CONTENT_TYPE),
    );
    response
}

/// The 500 of an answer that does not serialize (an emulator bug).
pub(crate) fn serialization_failed(err: &serde_json::Error) -> ApiError {
    ApiError::internal(format!("response serialization failed: {err}"))
}

/// Maps an axum JSON rejection to a 400 (or 413 for an oversized body).
pub fn rejection_to_error(rejection: &JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => missing_content_type(),
        JsonRejection::JsonSyntaxError(err) => ApiError::bad_request(
            BAD_REQUEST_CODE,
            format!(
                "The request body is not valid JSON: {}",
                inner_text(&err.body_text())
            ),
        ),
        JsonRejection::JsonDataError(err) => ApiError::bad_request(
            BAD_REQUEST_CODE,
            format!(
                "The request body is invalid: {}",
                inner_text(&err.body_text())
            ),
        ),
        JsonRejection::BytesRejection(err) => body_read_error(err.status(), &err.body_text()),
        other => ApiError::bad_request(BAD_REQUEST_CODE, other.body_text()),
    }
}

fn body_read_error(status: StatusCode, text: &str) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            status,
            "RequestEntityTooLarge",
            "The request body is too large.",
        )
    } else {
        ApiError::bad_request(
            BAD_REQUEST_CODE,
            format!("The request body could not be read: {text}"),
        )
    }
}

fn missing_content_type() -> ApiError {
    ApiError::bad_request(
        BAD_REQUEST_CODE,
        "Expected request with `Content-Type: application/json`.",
    )
    .with_target("Content-Type")
}

/// axum prefixes its messages ("Failed to parse the request body as JSON: ...");
/// keep only the serde detail.
fn inner_text(text: &str) -> &str {
    text.split_once(": ").map_or(text, |(_, rest)| rest)
}

/// True if `Content-Type` is `application/json` or `application/*+json`
/// (parameters such as `charset` allowed).
pub fn is_json_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(is_json_media_type)
}

/// Whether a `Content-Type` value names JSON, compared without regard to
/// ASCII case and without copying it (this runs for every request with a
/// body).
fn is_json_media_type(value: &str) -> bool {
    // What clients send (the SDKs, reqwest's `json`): no need to split it.
    if value == "application/json" {
        return true;
    }
    let essence = value.split(';').next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    if !kind.eq_ignore_ascii_case("application") {
        return false;
    }
    let suffix = subtype
        .len()
        .checked_sub(5)
        .and_then(|start| subtype.as_bytes().get(start..));
    subtype.eq_ignore_ascii_case("json") || suffix.is_some_and(|s| s.eq_ignore_ascii_case(b"+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        let mut headers = HeaderMap::new();
        assert!(!is_json_content_type(&headers));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        assert!(is_json_content_type(&headers));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/merge-patch+json"),
        );
        assert!(is_json_content_type(&headers));
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(!is_json_content_type(&headers));
    }

    /// The check before it stopped lowercasing a copy of the value.
    fn lowercased_copy_says_json(value: &str) -> bool {
        let essence = value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        essence == "application/json"
            || (essence.starts_with("application/") && essence.ends_with("+json"))
    }

    #[test]
    fn media_types_are_judged_as_by_a_lowercased_copy() {
        let values = [
            "",
            "application/json",
            "APPLICATION/JSON",
            " Application/Json ; charset=utf-8",
            "application/json;",
            ";application/json",
            "application/merge-patch+json",
            "application/ld+JSON",
            "application/+json",
            "application/a/b+json",
            "application/+jso",
            "application/json5",
            "application/jsonx",
            "application/",
            "application",
            "applicationjson",
            "application json",
            "text/json",
            "text/plain+json",
            "x/application/json",
            "json",
            "+json",
        ];
        for value in values {
            assert_eq!(
                is_json_media_type(value),
                lowercased_copy_says_json(value),
                "{value:?}"
            );
        }
    }

    #[test]
    fn bodies_are_judged_as_axum_json_judges_them() {
        #[derive(Debug, PartialEq, serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Message {
            content: String,
            sender_display_name: Option<String>,
            metadata: Option<std::collections::HashMap<String, String>>,
        }
        let bodies: [&[u8]; 10] = [
            br#"{"content":"hi"}"#,
            br#"{"content":"hi","senderDisplayName":"A","metadata":{"k":"v"}}"#,
            br#"{"content":5}"#,
            br#"{"content":"hi","metadata":{"k":1}}"#,
            br#"{"senderDisplayName":"A"}"#,
            br#"{"content":"hi"} x"#,
            br#"{"content":"#,
            b"",
            b"[]",
            "{\"content\":\"\u{e9}\"}".as_bytes(),
        ];
        for body in bodies {
            let by_axum = match Json::<Message>::from_bytes(body) {
                Ok(Json(value)) => Ok(value),
                Err(rejection) => Err(rejection_to_error(&rejection)),
            };
            assert_eq!(
                parse_required::<Message>(true, body),
                by_axum,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[tokio::test]
    async fn a_json_body_keeps_its_content_type_verdict() {
        let request = |content_type: &'static str| {
            Request::builder()
                .header(header::CONTENT_TYPE, content_type)
                .body(axum::body::Body::from(r#"{"a":1}"#))
                .expect("request")
        };
        let body = JsonBody::from_request(request("application/json"), &())
            .await
            .expect("read");
        assert!(body.is_json());
        assert_eq!(body.bytes(), br#"{"a":1}"#);
        let value: serde_json::Value = body.parse().expect("parsed");
        assert_eq!(value["a"], 1);
        let plain = JsonBody::from_request(request("text/plain"), &())
            .await
            .expect("read");
        let refused = plain.parse::<serde_json::Value>().expect_err("not JSON");
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert_eq!(refused.target.as_deref(), Some("Content-Type"));
    }
}
