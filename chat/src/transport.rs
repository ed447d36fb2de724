//! The HTTP client both clients build when the user gives none: timeouts,
//! no redirects, and no proxy for plain-http (loopback) endpoints.

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
