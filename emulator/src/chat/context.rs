//! What every Chat request starts with: the caller (bearer token, 401),
//! the `api-version` (400), and the base URL for `Location` / `nextLink`.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::Response;

use crate::api_version::supported_api_version;
use crate::connection::ConnectionScheme;
use crate::error::ApiError;
use crate::rate_limits::chat_operation;
use crate::state::AppState;
use crate::tokens::VerifiedUser;

use super::store::ChatStore;
use super::CHAT_API_VERSIONS;

/// An authenticated Chat request.
#[derive(Debug, Clone)]
pub(crate) struct ChatCall {
    /// The caller's user id (`8:acs:...`).
    pub(crate) user: String,
    /// The request's `api-version` (one of [`CHAT_API_VERSIONS`]).
    pub(crate) api_version: &'static str,
    /// `scheme://host[:port]`, no trailing slash.
    pub(crate) base_url: String,
    /// The raw query string.
    pub(crate) query: Option<String>,
    /// The emulator's state: its chat store and event hub.
    pub(crate) state: AppState,
}

impl FromRequestParts<AppState> for ChatCall {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = VerifiedUser::from_request_parts(parts, state).await?;
        let query = parts.uri.query().map(str::to_owned);
        let api_version = supported_api_version(query.as_deref(), CHAT_API_VERSIONS)?;
        let rate_limits = state.rate_limits();
        let limited = if rate_limits.is_enforced() {
            chat_operation(&parts.method, parts.uri.path())
        } else {
            None
        };
        if let Some((operation, thread)) = limited {
            // `19:…` and `19%3A…` name the same thread: one budget. (Most
            // clients send `:` as it is: nothing to decode.)
            let thread = thread.map(|t| {
                if t.contains('%') {
                    percent_encoding::percent_decode_str(t).decode_utf8_lossy()
                } else {
                    std::borrow::Cow::Borrowed(t)
                }
            });
            rate_limits
                .check(operation, &user.user_id, thread.as_deref())
                .map_err(ApiError::too_many_requests)?;
        }
        Ok(Self {
            user: user.user_id,
            api_version,
            base_url: base_url(parts),
            query,
            state: state.clone(),
        })
    }
}

/// `scheme://authority` of the request: the connection's scheme (HTTP/1
/// URIs carry none) and the `Host` header (HTTP/2: the URI's authority).
fn base_url(parts: &Parts) -> String {
    let scheme = parts
        .extensions
        .get::<ConnectionScheme>()
        .map(|s| s.0)
        .or_else(|| parts.uri.scheme_str().filter(|s| *s == "https"))
        .unwrap_or("http");
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .filter(|h| is_plain_authority(h))
        .unwrap_or("127.0.0.1");
    let mut url = String::with_capacity(scheme.len() + 3 + host.len());
    url.push_str(scheme);
    url.push_str("://");
    url.push_str(host);
    url
}

/// A `host[:port]` without anything that would change a URL's meaning.
fn is_plain_authority(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'))
}

impl ChatCall {
    /// The threads and messages.
    pub(crate) fn store(&self) -> &Arc<ChatStore> {
        self.state.chat_store()
    }

    /// Where chat events go.
    pub(crate) fn events(&self) -> &crate::events::EventHub {
        self.state.events()
    }

    /// The absolute URL of a thread, followed by the `rest` parts, as the
    /// service writes it in `Location`: `:` percent-encoded.
    pub(crate) fn thread_url(&self, thread_id: &str, rest: &[&str]) -> String {
        const THREADS: &str = "/chat/threads/";
        let rest_len: usize = rest.iter().map(|part| part.len()).sum();
        // `+ 8`: room for four `:` written as `%3A` (thread ids hold one).
        let mut url = String::with_capacity(
            self.base_url.len() + THREADS.len() + thread_id.len() + 8 + rest_len,
        );
        url.push_str(&self.base_url);
        url.push_str(THREADS);
        for (i, piece) in thread_id.split(':').enumerate() {
            if i > 0 {
                url.push_str("%3A");
            }
            url.push_str(piece);
        }
        for part in rest {
            url.push_str(part);
        }
        url
    }
}

/// Sets `Location` on a 201 answer. Our URLs are always valid header values;
/// an odd one is left out rather than answered with an error.
pub(crate) fn set_location(response: &mut Response, url: String) {
    // Takes the `String`'s buffer as it is, where `from_str` would copy it.
    if let Ok(value) = HeaderValue::from_maybe_shared(bytes::Bytes::from(url)) {
        response.headers_mut().insert(header::LOCATION, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_urls_encode_colons_and_append_their_parts() {
        let call = ChatCall {
            user: String::new(),
            api_version: "2025-03-15",
            base_url: "http://127.0.0.1:1".to_owned(),
            query: None,
            state: AppState::new(crate::DEV_ACCESS_KEY).expect("state"),
        };
        assert_eq!(
            call.thread_url("19:a:b@thread.v2", &["/messages/", "42"]),
            "http://127.0.0.1:1/chat/threads/19%3Aa%3Ab@thread.v2/messages/42"
        );
        assert_eq!(
            call.thread_url("plain", &[]),
            "http://127.0.0.1:1/chat/threads/plain"
        );
    }

    #[test]
    fn authorities() {
        assert!(is_plain_authority("127.0.0.1:8080"));
        assert!(is_plain_authority("[::1]:1"));
        assert!(!is_plain_authority("evil.com/x?"));
        assert!(!is_plain_authority("a@b"));
        assert!(!is_plain_authority(""));
    }
}
