//! The two delivery schemas of Event Grid: its own (a JSON array of events)
//! and CloudEvents 1.0 (one event, or a JSON array in batch mode). Both are
//! read into one [`ChatEventEnvelope`]; the event's `data` is decoded by
//! [`super::data`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::data::{decode_event, ChatEvent};
use super::error::EventParseError;

/// The event type of Event Grid's subscription validation handshake.
pub const SUBSCRIPTION_VALIDATION_EVENT: &str = "Microsoft.EventGrid.SubscriptionValidationEvent";

/// Which delivery schema an event came in. Serializes as `"eventGrid"` or
/// `"cloudEvents"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum EventSchema {
    /// The Event Grid event schema (`eventType`, `eventTime`, `topic`, ...).
    EventGrid,
    /// CloudEvents 1.0 (`type`, `time`, `source`, `specversion`, ...).
    CloudEvents,
}

/// One delivered event: the envelope's fields and the typed chat event.
///
/// ```
/// let body = br#"[{"id":"1","topic":"/subscriptions/x","subject":"thread/19:a@thread.v2",
///   "eventType":"Microsoft.Communication.ChatThreadDeleted","eventTime":"2024-01-01T00:00:00Z",
///   "dataVersion":"1.0","data":{"threadId":"19:a@thread.v2","transactionId":"t1","version":7,
///   "deletedByCommunicationIdentifier":{"rawId":"8:acs:r_alice","communicationUser":{"id":"8:acs:r_alice"}}}}]"#;
/// let events = acs_chat::events::parse_event_grid(body)?;
/// assert_eq!(events[0].id, "1");
/// assert!(matches!(events[0].event, acs_chat::events::ChatEvent::ChatThreadDeleted(_)));
/// # Ok::<(), acs_chat::events::EventParseError>(())
/// ```
///
/// It serializes (e.g. to queue an event for later) with camelCase field
/// names and the event as [`ChatEvent`] does, and reads back losslessly;
/// that is this crate's shape, not Event Grid's delivery format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatEventEnvelope {
    /// The event's id; the same for every delivery of one event, which makes
    /// it the key for dropping duplicate deliveries.
    pub id: String,
    /// The full event type, e.g. `Microsoft.Communication.ChatMessageReceived`.
    pub event_type: String,
    /// What the event is about, e.g. `thread/{threadId}/sender/{rawId}/recipient/{rawId}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// When the event happened (`eventTime` or `time`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_time: Option<DateTime<Utc>>,
    /// The resource that emitted it (`topic` in the Event Grid schema,
    /// `source` in CloudEvents).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The version of the data's schema (`dataVersion`; CloudEvents has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_version: Option<String>,
    /// The schema the event came in.
    pub schema: EventSchema,
    /// The typed event.
    pub event: ChatEvent,
}

impl ChatEventEnvelope {
    /// An envelope for `event` with this id, in the Event Grid schema, with
    /// its event type taken from the event and no subject, time, source or
    /// data version; for tests of code that handles events.
    ///
    /// ```
    /// use acs_chat::events::{ChatEvent, ChatEventEnvelope, ChatMessageEventData};
    ///
    /// let envelope = ChatEventEnvelope::new(
    ///     "c13afb5f-d975-4296-a8ef-348c8fc496ee",
    ///     ChatEvent::ChatMessageReceived(ChatMessageEventData::new("19:a@thread.v2", "1")),
    /// )
    /// .subject("thread/19:a@thread.v2");
    /// assert_eq!(envelope.event_type, "Microsoft.Communication.ChatMessageReceived");
    /// ```
    pub fn new(id: impl Into<String>, event: ChatEvent) -> Self {
        Self {
            id: id.into(),
            event_type: event.event_type(),
            subject: None,
            event_time: None,
            source: None,
            data_version: None,
            schema: EventSchema::EventGrid,
            event,
        }
    }
}

crate::models::setters!(ChatEventEnvelope {
    /// Sets what the event is about.
    some subject: String;
    /// Sets when the event happened.
    some event_time: DateTime<Utc>;
    /// Sets the resource that emitted it.
    some source: String;
    /// Sets the version of the data's schema.
    some data_version: String;
    /// Sets the schema the event came in.
    set schema: EventSchema;
});

/// An Event Grid schema event as delivered, before its data is typed.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventGridEvent {
    pub(crate) id: String,
    pub(crate) event_type: String,
    #[serde(default)]
    pub(crate) subject: Option<String>,
    #[serde(default)]
    pub(crate) event_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(crate) topic: Option<String>,
    #[serde(default)]
    pub(crate) data_version: Option<String>,
    #[serde(default)]
    pub(crate) data: Value,
}

/// A CloudEvents 1.0 event (JSON format) as delivered.
#[derive(Deserialize)]
pub(crate) struct CloudEvent {
    pub(crate) id: String,
    #[serde(rename = "type")]
    pub(crate) event_type: String,
    #[serde(default)]
    pub(crate) source: Option<String>,
    #[serde(default)]
    pub(crate) subject: Option<String>,
    #[serde(default)]
    pub(crate) time: Option<DateTime<Utc>>,
    /// CloudEvents spells it `specversion`; Microsoft's own chat event
    /// examples spell it `specVersion`, so that is read too.
    #[serde(alias = "specVersion")]
    pub(crate) specversion: String,
    #[serde(default)]
    pub(crate) data: Value,
}

/// Reads an Event Grid schema body (a JSON array of events).
pub(crate) fn event_grid_events(body: &[u8]) -> Result<Vec<EventGridEvent>, EventParseError> {
    serde_json::from_slice(body).map_err(|e| EventParseError::malformed("Event Grid", &e))
}

/// Reads a CloudEvents body: one event (`application/cloudevents+json`) or
/// an array (`application/cloudevents-batch+json`), told apart by the JSON.
pub(crate) fn cloud_events(body: &[u8]) -> Result<Vec<CloudEvent>, EventParseError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let events: Vec<CloudEvent> = if first == Some(&b'[') {
        serde_json::from_slice(body).map_err(|e| EventParseError::malformed("CloudEvents", &e))?
    } else {
        vec![serde_json::from_slice(body)
            .map_err(|e| EventParseError::malformed("CloudEvents", &e))?]
    };
    if let Some(event) = events.iter().find(|e| e.specversion != "1.0") {
        return Err(EventParseError::UnsupportedSpecVersion(
            event.specversion.chars().take(16).collect(),
        ));
    }
    Ok(events)
}

impl EventGridEvent {
    pub(crate) fn into_envelope(self) -> Result<ChatEventEnvelope, EventParseError> {
        let event = decode_event(&self.id, &self.event_type, self.data)?;
        Ok(ChatEventEnvelope {
            id: self.id,
            event_type: self.event_type,
            subject: self.subject,
            event_time: self.event_time,
            source: self.topic,
            data_version: self.data_version,
            schema: EventSchema::EventGrid,
            event,
        })
    }
}

impl CloudEvent {
    pub(crate) fn into_envelope(self) -> Result<ChatEventEnvelope, EventParseError> {
        let event = decode_event(&self.id, &self.event_type, self.data)?;
        Ok(ChatEventEnvelope {
            id: self.id,
            event_type: self.event_type,
            subject: self.subject,
            event_time: self.time,
            source: self.source,
            data_version: None,
            schema: EventSchema::CloudEvents,
            event,
        })
    }
}

/// Parses an Event Grid schema delivery: a JSON array of events.
///
/// A subscription validation event is not a chat event: it comes back as
/// [`ChatEvent::Unknown`]; the webhook receiver answers it before parsing.
///
/// ```
/// let events = acs_chat::events::parse_event_grid(b"[]")?;
/// assert!(events.is_empty());
/// assert!(acs_chat::events::parse_event_grid(b"{").is_err());
/// # Ok::<(), acs_chat::events::EventParseError>(())
/// ```
pub fn parse_event_grid(body: &[u8]) -> Result<Vec<ChatEventEnvelope>, EventParseError> {
    event_grid_events(body)?
        .into_iter()
        .map(EventGridEvent::into_envelope)
        .collect()
}

/// Parses a CloudEvents 1.0 delivery in JSON format: one event
/// (`application/cloudevents+json`) or a batch (`application/cloudevents-batch+json`).
///
/// ```
/// let body = br#"{"specversion":"1.0","id":"9","source":"/x","type":"Contoso.Custom","data":{"a":1}}"#;
/// let events = acs_chat::events::parse_cloud_events(body)?;
/// assert!(matches!(&events[0].event, acs_chat::events::ChatEvent::Unknown { event_type, .. } if event_type == "Contoso.Custom"));
/// # Ok::<(), acs_chat::events::EventParseError>(())
/// ```
pub fn parse_cloud_events(body: &[u8]) -> Result<Vec<ChatEventEnvelope>, EventParseError> {
    cloud_events(body)?
        .into_iter()
        .map(CloudEvent::into_envelope)
        .collect()
}

/// The delivery schema a `Content-Type` names: CloudEvents for
/// `application/cloudevents+json` and `application/cloudevents-batch+json`,
/// the Event Grid schema for `application/json` (or no content type).
///
/// ```
/// use acs_chat::events::{schema_for_content_type, EventSchema};
/// assert_eq!(schema_for_content_type(Some("application/cloudevents-batch+json; charset=utf-8")), Some(EventSchema::CloudEvents));
/// assert_eq!(schema_for_content_type(Some("application/json")), Some(EventSchema::EventGrid));
/// assert_eq!(schema_for_content_type(Some("text/plain")), None);
/// ```
pub fn schema_for_content_type(content_type: Option<&str>) -> Option<EventSchema> {
    let Some(content_type) = content_type else {
        return Some(EventSchema::EventGrid);
    };
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match media_type.as_str() {
        "application/cloudevents+json" | "application/cloudevents-batch+json" => {
            Some(EventSchema::CloudEvents)
        }
        "application/json" | "" => Some(EventSchema::EventGrid),
        _ => None,
    }
}

/// Parses a delivery in the schema its `Content-Type` names (see
/// [`schema_for_content_type`]).
///
/// ```
/// let events = acs_chat::events::parse_events(Some("application/json"), b"[]")?;
/// assert!(events.is_empty());
/// # Ok::<(), acs_chat::events::EventParseError>(())
/// ```
pub fn parse_events(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Vec<ChatEventEnvelope>, EventParseError> {
    match schema_for_content_type(content_type) {
        Some(EventSchema::EventGrid) => parse_event_grid(body),
        Some(EventSchema::CloudEvents) => parse_cloud_events(body),
        None => Err(EventParseError::UnsupportedContentType(
            content_type.unwrap_or_default().chars().take(64).collect(),
        )),
    }
}
