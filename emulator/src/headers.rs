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
