//! What the chat and identity clients share on the way to the service: the
//! endpoint check, the user agent, and the HTTP client they build when the
//! user gives none (timeouts, no redirects, no proxy for plain-http
//! loopback endpoints).

use std::time::Duration;

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
