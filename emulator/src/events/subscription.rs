//! Event subscriptions: where events go, in which schema, which types, with
//! which delivery headers; and the validation handshake Event Grid performs
//! before it accepts a webhook.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The delivery schema of a subscription (Event Grid's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DeliverySchema {
    /// The Event Grid event schema: a JSON array of events.
    #[default]
    EventGridSchema,
    /// CloudEvents 1.0: one event per request, or a JSON array in batches.
    #[serde(rename = "CloudEventSchemaV1_0")]
    CloudEventSchemaV1_0,
}

/// A header sent with every delivery (Event Grid's static delivery
/// attributes); a secret one is masked in listings and `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAttribute {
    /// Header name.
    pub name: String,
    /// Header value (`"***"` in listings when secret).
    pub value: String,
    /// Mask the value in listings.
    #[serde(default)]
    pub is_secret: bool,
}

/// `POST /admin/eventSubscriptions` body, and the builder's input. Its
/// `Debug` output masks the URL's credentials and secret attributes.
///
/// ```
/// let subscription = acs_chat_emulator::events::NewEventSubscription::webhook("http://127.0.0.1:9000/events?code=s3cr3t");
/// assert_eq!(subscription.max_events_per_batch, 1);
/// assert!(!format!("{subscription:?}").contains("s3cr3t"));
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewEventSubscription {
    /// The webhook URL (http or https). A secret may ride in its query
    /// string (`?code=...`), as with Event Grid.
    pub endpoint_url: String,
    /// Delivery schema (default the Event Grid schema).
    #[serde(default)]
    pub event_delivery_schema: DeliverySchema,
    /// Only these event types (full names, `Microsoft.Communication.X`);
    /// all chat events when absent or empty.
    #[serde(default)]
    pub included_event_types: Vec<String>,
    /// Headers sent with every delivery, e.g. a secret key.
    #[serde(default)]
    pub delivery_attributes: Vec<DeliveryAttribute>,
    /// Events per request, 1 to 5000 (default 1, as Event Grid).
    #[serde(default = "one")]
    pub max_events_per_batch: usize,
}

fn one() -> usize {
    1
}

impl NewEventSubscription {
    /// A subscription of every chat event to `endpoint_url` in the Event
    /// Grid schema, one event per request.
    ///
    /// ```
    /// use acs_chat_emulator::events::{DeliverySchema, NewEventSubscription};
    /// let mut subscription = NewEventSubscription::webhook("http://127.0.0.1:9000/");
    /// subscription.event_delivery_schema = DeliverySchema::CloudEventSchemaV1_0;
    /// ```
    pub fn webhook(endpoint_url: impl Into<String>) -> Self {
        Self {
            endpoint_url: endpoint_url.into(),
            event_delivery_schema: DeliverySchema::EventGridSchema,
            included_event_types: Vec::new(),
            delivery_attributes: Vec::new(),
            max_events_per_batch: 1,
        }
    }
}

impl std::fmt::Debug for DeliveryAttribute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryAttribute")
            .field("name", &self.name)
            .field(
                "value",
                &if self.is_secret {
                    "***"
                } else {
                    self.value.as_str()
                },
            )
            .field("is_secret", &self.is_secret)
            .finish()
    }
}

impl std::fmt::Debug for NewEventSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewEventSubscription")
            .field("endpoint_url", &masked_url(&self.endpoint_url))
            .field("event_delivery_schema", &self.event_delivery_schema)
            .field("included_event_types", &self.included_event_types)
            .field("delivery_attributes", &self.delivery_attributes)
            .field("max_events_per_batch", &self.max_events_per_batch)
            .finish()
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("url", &self.display_url())
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

/// A URL with its user info and query string masked (either may hold a
/// secret); text that is no URL is masked whole.
fn masked_url(text: &str) -> String {
    match reqwest::Url::parse(text) {
        Ok(url) => mask(url, true),
        Err(_) => "***".into(),
    }
}

fn mask(mut url: reqwest::Url, keep_masked_query: bool) -> String {
    if !url.username().is_empty() {
        let _ = url.set_username("***");
    }
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    if url.query().is_some() {
        url.set_query(keep_masked_query.then_some("***"));
    }
    url.to_string()
}

/// Largest `maxEventsPerBatch` (Event Grid's).
pub const MAX_EVENTS_PER_BATCH: usize = 5000;

/// A subscription as listed by `GET /admin/eventSubscriptions` (secret
/// attribute values masked; the endpoint URL's query string too, since it
/// may hold a key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventSubscriptionInfo {
    /// The subscription's id.
    pub id: String,
    /// The webhook URL, query string masked.
    pub endpoint_url: String,
    /// Delivery schema.
    pub event_delivery_schema: DeliverySchema,
    /// Event type filter (empty: every chat event).
    pub included_event_types: Vec<String>,
    /// Delivery attributes, secret values masked.
    pub delivery_attributes: Vec<DeliveryAttribute>,
    /// Events per request.
    pub max_events_per_batch: usize,
}

/// A validated subscription.
#[derive(Clone)]
pub(crate) struct Subscription {
    pub(crate) id: String,
    pub(crate) url: reqwest::Url,
    pub(crate) schema: DeliverySchema,
    pub(crate) included_event_types: Vec<String>,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) attributes: Vec<DeliveryAttribute>,
    pub(crate) max_events_per_batch: usize,
}

impl Subscription {
    /// Checks a new subscription's fields.
    pub(crate) fn new(id: String, new: NewEventSubscription) -> Result<Self, String> {
        let url = reqwest::Url::parse(&new.endpoint_url)
            .map_err(|e| format!("endpointUrl is not a valid URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("endpointUrl must be an http or https URL".into());
        }
        if !(1..=MAX_EVENTS_PER_BATCH).contains(&new.max_events_per_batch) {
            return Err(format!(
                "maxEventsPerBatch must be between 1 and {MAX_EVENTS_PER_BATCH}"
            ));
        }
        let mut headers = reqwest::header::HeaderMap::new();
        for attribute in &new.delivery_attributes {
            let name = reqwest::header::HeaderName::from_bytes(attribute.name.as_bytes()).map_err(
                |_| {
                    format!(
                        "delivery attribute {:?} is not a header name",
                        attribute.name
                    )
                },
            )?;
            let mut value =
                reqwest::header::HeaderValue::from_str(&attribute.value).map_err(|_| {
                    format!(
                        "delivery attribute {:?} has an invalid value",
                        attribute.name
                    )
                })?;
            value.set_sensitive(attribute.is_secret);
            headers.insert(name, value);
        }
        Ok(Self {
            id,
            url,
            schema: new.event_delivery_schema,
            included_event_types: new.included_event_types,
            headers,
            attributes: new.delivery_attributes,
            max_events_per_batch: new.max_events_per_batch,
        })
    }

    /// Whether events of `event_type` (full name) go to this subscription.
    pub(crate) fn wants(&self, event_type: &str) -> bool {
        self.included_event_types.is_empty()
            || self
                .included_event_types
                .iter()
                .any(|t| t.eq_ignore_ascii_case(event_type))
    }

    /// The listing form, secrets masked.
    pub(crate) fn info(&self) -> EventSubscriptionInfo {
        EventSubscriptionInfo {
            id: self.id.clone(),
            endpoint_url: mask(self.url.clone(), true),
            event_delivery_schema: self.schema,
            included_event_types: self.included_event_types.clone(),
            delivery_attributes: self
                .attributes
                .iter()
                .map(|a| DeliveryAttribute {
                    name: a.name.clone(),
                    value: if a.is_secret {
                        "***".into()
                    } else {
                        a.value.clone()
                    },
                    is_secret: a.is_secret,
                })
                .collect(),
            max_events_per_batch: self.max_events_per_batch,
        }
    }

    /// The URL without its query string or credentials, for logs and errors.
    pub(crate) fn display_url(&self) -> String {
        mask(self.url.clone(), false)
    }
}

/// How long the handshake may take (Event Grid allows 30 s).
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// The origin Event Grid names in the CloudEvents handshake.
pub(crate) const HANDSHAKE_ORIGIN: &str = "eventgrid.azure.net";

/// Performs the subscription's validation handshake, as Event Grid does
/// before accepting a webhook; `Err` says why it failed.
pub(crate) async fn validate_endpoint(
    client: &reqwest::Client,
    subscription: &Subscription,
    topic: &str,
) -> Result<(), String> {
    let url = subscription.display_url();
    match subscription.schema {
        DeliverySchema::EventGridSchema => {
            let code = uuid::Uuid::new_v4().to_string();
            let body = serde_json::json!([{
                "id": uuid::Uuid::new_v4().to_string(),
                "topic": topic,
                "subject": "",
                "data": {"validationCode": code},
                "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
                "eventTime": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "metadataVersion": "1",
                "dataVersion": "2",
            }]);
            let response = client
                .post(subscription.url.clone())
                .headers(subscription.headers.clone())
                .header("aeg-event-type", "SubscriptionValidation")
                .json(&body)
                .timeout(HANDSHAKE_TIMEOUT)
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "Webhook validation handshake failed for {url}: {}",
                        short(&e)
                    )
                })?;
            let status = response.status();
            if status != reqwest::StatusCode::OK {
                return Err(format!(
                    "Webhook validation handshake failed for {url}. Http POST request failed with response code {}.",
                    status.as_u16()
                ));
            }
            let answer: serde_json::Value = response.json().await.map_err(|_| {
                format!("Webhook validation handshake failed for {url}: the answer is not JSON.")
            })?;
            if answer.get("validationResponse").and_then(|v| v.as_str()) != Some(code.as_str()) {
                return Err(format!(
                    "Webhook validation handshake failed for {url}: the validationResponse does not match the validationCode."
                ));
            }
            Ok(())
        }
        DeliverySchema::CloudEventSchemaV1_0 => {
            let response = client
                .request(reqwest::Method::OPTIONS, subscription.url.clone())
                .headers(subscription.headers.clone())
                .header("WebHook-Request-Origin", HANDSHAKE_ORIGIN)
                .timeout(HANDSHAKE_TIMEOUT)
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "Webhook validation handshake failed for {url}: {}",
                        short(&e)
                    )
                })?;
            if !response.status().is_success() {
                return Err(format!(
                    "Webhook validation handshake failed for {url}. Http OPTIONS request failed with response code {}.",
                    response.status().as_u16()
                ));
            }
            let allowed = response
                .headers()
                .get("WebHook-Allowed-Origin")
                .and_then(|v| v.to_str().ok());
            match allowed {
                Some(origin) if origin == HANDSHAKE_ORIGIN || origin == "*" => Ok(()),
                _ => Err(format!(
                    "Webhook validation handshake failed for {url}: WebHook-Allowed-Origin does not allow {HANDSHAKE_ORIGIN}."
                )),
            }
        }
    }
}

/// A transport error without the URL (which may carry a secret query).
pub(crate) fn short(err: &reqwest::Error) -> &'static str {
    if err.is_timeout() {
        "the request timed out"
    } else if err.is_connect() {
        "the connection failed"
    } else {
        "the request failed"
    }
}
