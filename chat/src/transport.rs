//! What the chat and identity clients share on the way to the service: the
//! endpoint check, the user agent, and the HTTP client they build when the
//! user gives none (timeouts, no redirects, no proxy for plain-http
//! loopback endpoints).

use std::sync::LazyLock;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderValue;

use crate::error::{Error, ErrorKind, Result};

/// A `reqwest::Client` for `endpoint`.
///
/// - Redirects are off: the service never redirects, and following one would
///   carry the `Authorization` header past the route check (a 3xx comes back
///   as an error instead).
/// - For a plain-http endpoint (only allowed to loopback hosts) proxies are
///   bypassed: a proxy from `HTTP_PROXY` would otherwise receive every token
///   and signed request in clear. https endpoints keep the system's proxies.
pub(crate) fn default_http_client(
    endpoint: &reqwest::Url,
    timeout: Duration,
) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none());
    if endpoint.scheme() == "http" {
        builder = builder.no_proxy();
    }
    builder.build().map_err(|e| {
        Error::new(ErrorKind::Refused, "could not build the HTTP client").with_source(e)
    })
}

/// The library's own part of every `User-Agent`.
const USER_AGENT: &str = concat!("acs-chat/", env!("CARGO_PKG_VERSION"));

/// The `User-Agent`: the application's id, if given, then the library's.
pub(crate) fn user_agent(application_id: Option<&str>) -> String {
    match application_id {
        Some(app) => format!("{app} {USER_AGENT}"),
        None => USER_AGENT.to_string(),
    }
}

/// The `User-Agent` of the chat client's own requests: [`user_agent`], then
/// the raw crate's product.
pub(crate) struct ChatUserAgent {
    value: HeaderValue,
    /// Whether `value`'s bytes are static: made without an application id,
    /// it is the same text for every client, kept for the process, and a
    /// clone per request is a copy that shares no reference count between
    /// threads. A value naming an application is the client's own.
    is_static: bool,
}

impl ChatUserAgent {
    /// The user agent for `application_id` (refused if it cannot be a
    /// header value).
    pub(crate) fn new(application_id: Option<&str>) -> Result<Self> {
        static DEFAULT: LazyLock<String> =
            LazyLock::new(|| chat_user_agent_text(&user_agent(None)));
        let invalid = |_| Error::invalid_argument("the user agent is not a valid header value");
        let (value, is_static) = match application_id {
            None => (
                HeaderValue::from_maybe_shared(Bytes::from_static(DEFAULT.as_bytes())),
                true,
            ),
            Some(_) => (
                HeaderValue::try_from(chat_user_agent_text(&user_agent(application_id))),
                false,
            ),
        };
        Ok(Self {
            value: value.map_err(invalid)?,
            is_static,
        })
    }

    /// The header value.
    pub(crate) fn value(&self) -> &HeaderValue {
        &self.value
    }

    /// Whether the value's bytes are static (see [`ChatUserAgent`]).
    pub(crate) fn is_static(&self) -> bool {
        self.is_static
    }
}

/// `user_agent` followed by the raw crate's product, as the chat client's
/// requests name themselves.
fn chat_user_agent_text(user_agent: &str) -> String {
    format!("{user_agent} {}", acs_chat_rest::USER_AGENT_PRODUCT)
}

/// An endpoint credentials may be sent to: https, or plain http to a
/// loopback host only, with a host, and usable as the operations' base
/// ([`acs_chat_rest::unusable_base_url`]).
pub(crate) fn checked_endpoint(endpoint: &str) -> Result<reqwest::Url> {
    let url = reqwest::Url::parse(endpoint.trim())
        .map_err(|e| Error::invalid_argument(format!("the endpoint is not a valid URL: {e}")))?;
    if !acs_chat_rest::may_carry_credentials(&url) {
        return Err(Error::invalid_argument(format!(
            "the endpoint must use https (got {}://); plain http is allowed only to loopback hosts",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid_argument("the endpoint has no host"));
    }
    if let Some(why) = acs_chat_rest::unusable_base_url(&url) {
        return Err(Error::invalid_argument(format!("the endpoint {why}")));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(agent: &ChatUserAgent) -> &str {
        agent.value().to_str().expect("visible ASCII")
    }

    #[test]
    fn the_chat_user_agent_names_the_application_then_both_crates() {
        let both = format!("{USER_AGENT} {}", acs_chat_rest::USER_AGENT_PRODUCT);

        let default = ChatUserAgent::new(None).expect("the default");
        assert!(default.is_static());
        assert_eq!(text(&default), both);
        // Made once for the process: a second client gets the same text.
        assert_eq!(text(&ChatUserAgent::new(None).expect("again")), both);

        let app = ChatUserAgent::new(Some("contoso/2.0")).expect("an application id");
        assert!(!app.is_static());
        assert_eq!(text(&app), format!("contoso/2.0 {both}"));

        let error = ChatUserAgent::new(Some("bad\nid")).err().expect("refused");
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    }
}
