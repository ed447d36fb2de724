//! Headers every response carries, errors included.
//!
//! * `MS-CV`: a correlation vector as the service sends it: 22 characters of
//!   base64 (16 random bytes, no padding) plus `.0`, e.g.
//!   `ZYh1r0FsTEGnmDL0Rl9dYQ.0`;
//! * `api-supported-versions`: set by the routes that know their versions
//!   ([`crate::api_version::with_supported_versions`]); anything else (404s,
//!   admin routes) gets the default list given to [`CommonHeaders`];
//! * `x-ms-client-request-id`: echoed when the request sent one;
//! * `Content-Type: application/json; charset=utf-8` in place of a bare
//!   `application/json` (e.g. from `axum::Json`).

use axum::http::{header, HeaderName, HeaderValue};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;

use crate::api_version::API_SUPPORTED_VERSIONS;
use crate::error::JSON_CONTENT_TYPE;

/// The correlation vector header.
pub const MS_CV: &str = "ms-cv";
/// The client request id header.
pub const CLIENT_REQUEST_ID: &str = "x-ms-client-request-id";

// As `HeaderName`s: looking a header up by a `&str` parses the name first.
pub(crate) const MS_CV_HEADER: HeaderName = HeaderName::from_static(MS_CV);
pub(crate) const CLIENT_REQUEST_ID_HEADER: HeaderName = HeaderName::from_static(CLIENT_REQUEST_ID);
const API_SUPPORTED_VERSIONS_HEADER: HeaderName = HeaderName::from_static(API_SUPPORTED_VERSIONS);

/// Settings of [`add_common_headers`].
#[derive(Debug, Clone)]
pub struct CommonHeaders {
    /// `api-supported-versions` for responses that have none.
    pub default_supported_versions: HeaderValue,
}

/// A new random correlation vector (`<22 base64 chars>.0`) as a header
/// value, built without a `String`.
pub fn new_correlation_vector() -> Option<HeaderValue> {
    // 16 random bytes are 22 characters of base64 without padding.
    let mut value = [0u8; 24];
    let written = STANDARD_NO_PAD
        .encode_slice(uuid::Uuid::new_v4().into_bytes(), &mut value)
        .ok()?;
    value.get_mut(written..written + 2)?.copy_from_slice(b".0");
    HeaderValue::from_bytes(value.get(..written + 2)?).ok()
}

/// Adds the common headers (see module docs) to `response`, the answer to a
/// request that carried `client_request_id`.
pub fn add_common_headers(
    response: &mut Response,
    settings: &CommonHeaders,
    client_request_id: Option<HeaderValue>,
) {
    let headers = response.headers_mut();

    if !headers.contains_key(&MS_CV_HEADER) {
        if let Some(value) = new_correlation_vector() {
            headers.insert(MS_CV_HEADER, value);
        }
    }
    if !headers.contains_key(&API_SUPPORTED_VERSIONS_HEADER) {
        headers.insert(
            API_SUPPORTED_VERSIONS_HEADER,
            settings.default_supported_versions.clone(),
        );
    }
    if let Some(id) = client_request_id {
        headers.entry(CLIENT_REQUEST_ID_HEADER).or_insert(id);
    }
    let bare_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if bare_json {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(JSON_CONTENT_TYPE),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_headers_fill_in_what_a_response_lacks_and_keep_the_rest() {
        let settings = CommonHeaders {
            default_supported_versions: HeaderValue::from_static("2025-03-15"),
        };
        let mut bare = Response::new(axum::body::Body::empty());
        bare.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        add_common_headers(&mut bare, &settings, Some(HeaderValue::from_static("id-1")));
        let headers = bare.headers();
        assert_eq!(headers.get(MS_CV).map(|v| v.len()), Some(24));
        assert_eq!(
            headers
                .get(API_SUPPORTED_VERSIONS)
                .and_then(|v| v.to_str().ok()),
            Some("2025-03-15")
        );
        assert_eq!(
            headers.get(CLIENT_REQUEST_ID).and_then(|v| v.to_str().ok()),
            Some("id-1")
        );
        assert_eq!(
            headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some(JSON_CONTENT_TYPE)
        );

        let mut own = Response::new(axum::body::Body::empty());
        own.headers_mut()
            .insert(MS_CV_HEADER, HeaderValue::from_static("mine.0"));
        own.headers_mut().insert(
            API_SUPPORTED_VERSIONS_HEADER,
            HeaderValue::from_static("2021-03-07"),
        );
        add_common_headers(&mut own, &settings, None);
        let headers = own.headers();
        assert_eq!(headers.get_all(MS_CV).iter().count(), 1);
        assert_eq!(
            headers.get(MS_CV).and_then(|v| v.to_str().ok()),
            Some("mine.0")
        );
        assert_eq!(
            headers
                .get(API_SUPPORTED_VERSIONS)
                .and_then(|v| v.to_str().ok()),
            Some("2021-03-07")
        );
        assert!(!headers.contains_key(CLIENT_REQUEST_ID));
    }

    #[test]
    fn correlation_vector_shape() {
        let value = new_correlation_vector().expect("a header value");
        let text = value.to_str().expect("ASCII");
        assert_eq!(text.len(), 24);
        assert!(text.ends_with(".0"));
        assert!(STANDARD_NO_PAD
            .decode(&text[..22])
            .is_ok_and(|b| b.len() == 16));
        assert_ne!(Some(value), new_correlation_vector());
    }
}
