//! The shared secret that authenticates deliveries.

use std::fmt;

use subtle::ConstantTimeEq;

/// Where a delivery carries the secret.
#[derive(Clone, PartialEq, Eq)]
enum SecretLocation {
    /// A query parameter of the subscription's endpoint URL (e.g. `?code=...`).
    Query(String),
    /// A header, set as a delivery attribute of the subscription.
    Header(axum::http::HeaderName),
}

/// A shared secret every delivery must carry, compared in constant time.
/// Its value never appears in `Debug` output, logs or errors.
///
/// Event Grid has two ways to carry one: a query parameter in the
/// subscription's endpoint URL, or a header set as a (secret) delivery
/// attribute of the subscription.
///
/// ```
/// use acs_chat::webhook::WebhookSecret;
/// let secret = WebhookSecret::query("code", "s3cr3t");
/// assert!(!format!("{secret:?}").contains("s3cr3t"));
/// let secret = WebhookSecret::header("x-webhook-key", "s3cr3t").expect("valid header name");
/// ```
#[derive(Clone)]
pub struct WebhookSecret {
    location: SecretLocation,
    value: Box<[u8]>,
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location = match &self.location {
            SecretLocation::Query(name) => format!("query parameter {name:?}"),
            SecretLocation::Header(name) => format!("header {name}"),
        };
        f.debug_struct("WebhookSecret")
            .field("location", &location)
            .field("value", &"REDACTED")
            .finish()
    }
}

impl WebhookSecret {
    /// A secret carried in the query parameter `name` of the endpoint URL.
    ///
    /// ```
    /// let secret = acs_chat::webhook::WebhookSecret::query("code", "s3cr3t");
    /// ```
    pub fn query(name: impl Into<String>, value: impl AsRef<[u8]>) -> Self {
        Self {
            location: SecretLocation::Query(name.into()),
            value: value.as_ref().into(),
        }
    }

    /// A secret carried in the header `name`; `None` if `name` is not a
    /// valid header name.
    ///
    /// ```
    /// assert!(acs_chat::webhook::WebhookSecret::header("bad header", "x").is_none());
    /// ```
    pub fn header(name: &str, value: impl AsRef<[u8]>) -> Option<Self> {
        let name = axum::http::HeaderName::from_bytes(name.as_bytes()).ok()?;
        Some(Self {
            location: SecretLocation::Header(name),
            value: value.as_ref().into(),
        })
    }

    /// Whether the request carries the secret.
    pub(crate) fn admits(&self, parts: &axum::http::request::Parts) -> bool {
        match &self.location {
            SecretLocation::Header(name) => parts
                .headers
                .get(name)
                .is_some_and(|value| self.matches(value.as_bytes())),
            SecretLocation::Query(name) => {
                let query = parts.uri.query().unwrap_or_default();
                // Every occurrence must match: a second, forged value must not
                // slip past a check of the first. A value matches decoded or as
                // written: a base64 secret pasted into the URL unencoded keeps
                // its `+`, which form decoding would turn into a space.
                let mut found = false;
                for pair in query.split('&') {
                    let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
                    let mut decoded = form_urlencoded::parse(pair.as_bytes());
                    let (key, value) = decoded.next().unwrap_or_default();
                    if key != name.as_str() && raw_key != name.as_str() {
                        continue;
                    }
                    if !(self.matches(value.as_bytes()) || self.matches(raw_value.as_bytes())) {
                        return false;
                    }
                    found = true;
                }
                found
            }
        }
    }

    fn matches(&self, candidate: &[u8]) -> bool {
        // `ct_eq` on slices of different lengths is false without comparing;
        // only the length can leak, not the content.
        bool::from(self.value.as_ref().ct_eq(candidate))
    }
}
