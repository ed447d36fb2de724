//! `api-version` query parameter checks and the `api-supported-versions`
//! response header.
//!
//! ACS data-plane services are ASP.NET services using API versioning; a
//! missing or unsupported `api-version` is answered with 400 and the codes of
//! that library. Observed on the real service (Azure/Communication issue 159):
//! `The HTTP resource that matches the request URI '<uri>' does not support
//! the API version '<v>'.`. The emulator leaves the URI out of the message
//! (it only sees the query here) and uses the library's well-known codes
//! `UnsupportedApiVersion` and `ApiVersionUnspecified`.

use axum::http::{HeaderName, HeaderValue};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::ApiError;

/// Name of the response header listing the versions a resource supports.
pub const API_SUPPORTED_VERSIONS: &str = "api-supported-versions";

/// Identity API versions the emulator accepts (all stable ones apps use).
pub const IDENTITY_API_VERSIONS: &[&str] = &[
    "2021-03-07",
    "2022-06-01",
    "2022-10-01",
    "2023-08-01",
    "2023-10-01",
];

/// Checks the `api-version` query parameter against `supported`.
///
/// `query` is the raw query string (`uri.query()`). Missing or empty →
/// 400 `ApiVersionUnspecified`; not in `supported` → 400
/// `UnsupportedApiVersion`, both with target `api-version`.
pub fn check_api_version(query: Option<&str>, supported: &[&str]) -> Result<(), ApiError> {
    supported_api_version(query, supported).map(|_| ())
}

/// Like [`check_api_version`], returning the version asked for (as written
/// in `supported`).
pub fn supported_api_version<'s>(
    query: Option<&str>,
    supported: &[&'s str],
) -> Result<&'s str, ApiError> {
    let query = query.unwrap_or_default();
    // The usual query names a known version in its first pair, as the
    // clients write it: the pair found below, when it has nothing to decode.
    let first = query.split_once('&').map_or(query, |(first, _)| first);
    if let Some(known) = first
        .strip_prefix("api-version=")
        .filter(|asked| !asked.contains(['%', '+']))
        .and_then(|asked| supported.iter().find(|known| **known == asked))
    {
        return Ok(known);
    }
    let asked = if query.contains(['%', '+']) {
        form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "api-version")
            .map(|(_, value)| value)
    } else {
        // Nothing to decode (the usual query): the pairs as they are,
        // split as `form_urlencoded` splits them.
        query
            .split('&')
            .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
            .find(|(name, _)| *name == "api-version")
            .map(|(_, value)| std::borrow::Cow::Borrowed(value))
    };
    match asked {
        None => Err(unspecified()),
        Some(version) if version.is_empty() => Err(unspecified()),
        Some(version) => supported
            .iter()
            .find(|known| **known == version)
            .copied()
            .ok_or_else(|| unsupported(&version)),
    }
}

fn unsupported(version: &str) -> ApiError {
    ApiError::bad_request(
        "UnsupportedApiVersion",
        format!(
            "The HTTP resource that matches the request URI does not support the API version '{version}'."
        ),
    )
    .with_target("api-version")
}

fn unspecified() -> ApiError {
    ApiError::bad_request(
        "ApiVersionUnspecified",
        "An API version is required, but was not specified.",
    )
    .with_target("api-version")
}

/// The `api-supported-versions` header value for `versions` (`", "`-joined,
/// as the service sends it).
pub fn supported_versions_value(versions: &[&str]) -> String {
    versions.join(", ")
}

/// Wraps every route of `router` so its responses (errors included) carry
/// `api-supported-versions: <versions>`.
pub fn with_supported_versions<S>(router: Router<S>, versions: &[&str]) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let value = HeaderValue::from_str(&supported_versions_value(versions))
        .unwrap_or_else(|_| HeaderValue::from_static(""));
    router.layer(SetResponseHeaderLayer::overriding(
        HeaderName::from_static(API_SUPPORTED_VERSIONS),
        value,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_supported() {
        assert!(check_api_version(Some("api-version=2023-10-01"), IDENTITY_API_VERSIONS).is_ok());
        assert!(
            check_api_version(Some("a=b&api-version=2021-03-07"), IDENTITY_API_VERSIONS).is_ok()
        );
    }

    #[test]
    fn queries_read_without_decoding_as_when_decoded() {
        let queries = [
            "api-version=2023-10-01",
            "a=b&api-version=2021-03-07",
            "api-version",
            "api-version=",
            "&&api-version=2023-10-01&",
            "api-version=2023-10-01=x",
            "api-version=2020-01-01&api-version=2023-10-01",
            "api-versions=2023-10-01",
            "api-version=2023%2D10-01",
            "api%2Dversion=2023-10-01",
            "api-version=2023-10-01+",
            "api-version=2023-10-01&api-version=2020-01-01",
            "api-version=2023-10-01&a=%41",
            "api-version=2023-10-01&",
            "api-version=2023-10-011",
            "",
        ];
        let decoded = |query: &str| {
            let asked = form_urlencoded::parse(query.as_bytes())
                .find(|(name, _)| name == "api-version")
                .map(|(_, value)| value.into_owned());
            match asked.as_deref() {
                None | Some("") => Err("ApiVersionUnspecified".to_owned()),
                Some(version) => IDENTITY_API_VERSIONS
                    .iter()
                    .find(|known| **known == version)
                    .copied()
                    .ok_or_else(|| "UnsupportedApiVersion".to_owned()),
            }
        };
        for query in queries {
            let read =
                supported_api_version(Some(query), IDENTITY_API_VERSIONS).map_err(|e| e.code);
            assert_eq!(read, decoded(query), "{query}");
        }
    }

    #[test]
    fn rejects_missing_and_unsupported() {
        let missing = check_api_version(None, IDENTITY_API_VERSIONS).err();
        assert_eq!(
            missing.map(|e| e.code),
            Some("ApiVersionUnspecified".to_owned())
        );
        let empty = check_api_version(Some("api-version="), IDENTITY_API_VERSIONS).err();
        assert_eq!(
            empty.map(|e| e.code),
            Some("ApiVersionUnspecified".to_owned())
        );
        let bad = check_api_version(Some("api-version=2020-01-01"), IDENTITY_API_VERSIONS).err();
        assert_eq!(bad.as_ref().map(|e| e.status.as_u16()), Some(400));
        assert_eq!(
            bad.map(|e| e.code),
            Some("UnsupportedApiVersion".to_owned())
        );
    }

    #[test]
    fn header_value_is_comma_space_joined() {
        assert_eq!(supported_versions_value(&["a", "b"]), "a, b");
    }
}
