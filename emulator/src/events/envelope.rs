//! One event waiting for delivery, and its rendering in either delivery
//! schema.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::value::RawValue;

use super::subscription::DeliverySchema;

/// An event as the emulator emits it, schema-neutral. `data` is serialized
/// once, when the event is made.
#[derive(Debug)]
pub(crate) struct PendingEvent {
    pub(crate) id: String,
    /// Full type, `Microsoft.Communication.X`.
    pub(crate) event_type: String,
    pub(crate) subject: String,
    pub(crate) time: DateTime<Utc>,
    pub(crate) topic: std::sync::Arc<str>,
    pub(crate) data: Box<RawValue>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventGridEvent<'a> {
    id: &'a str,
    topic: &'a str,
    subject: &'a str,
    data: &'a RawValue,
    event_type: &'a str,
    data_version: &'static str,
    metadata_version: &'static str,
    event_time: String,
}

#[derive(Serialize)]
struct CloudEvent<'a> {
    id: &'a str,
    source: &'a str,
    subject: &'a str,
    data: &'a RawValue,
    #[serde(rename = "type")]
    event_type: &'a str,
    time: String,
    specversion: &'static str,
}

fn time(event: &PendingEvent) -> String {
    event.time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn event_grid(event: &PendingEvent) -> EventGridEvent<'_> {
    EventGridEvent {
        id: &event.id,
        topic: &event.topic,
        subject: &event.subject,
        data: &event.data,
        event_type: &event.event_type,
        data_version: "1.0",
        metadata_version: "1",
        event_time: time(event),
    }
}

fn cloud_event(event: &PendingEvent) -> CloudEvent<'_> {
    CloudEvent {
        id: &event.id,
        source: &event.topic,
        subject: &event.subject,
        data: &event.data,
        event_type: &event.event_type,
        time: time(event),
        specversion: "1.0",
    }
}

/// One event as a JSON value in `schema` (for dead letters).
pub(crate) fn render_one(event: &PendingEvent, schema: DeliverySchema) -> serde_json::Value {
    let value = match schema {
        DeliverySchema::EventGridSchema => serde_json::to_value(event_grid(event)),
        DeliverySchema::CloudEventSchemaV1_0 => serde_json::to_value(cloud_event(event)),
    };
    // Serializing these borrowed fields into a Value cannot fail (string
    // keys only, valid RawValue data); Null would still be a safe answer.
    value.unwrap_or(serde_json::Value::Null)
}

/// The request body and content type for a batch in `schema`: an array in
/// the Event Grid schema; for CloudEvents one object, or an array when there
/// is more than one event.
pub(crate) fn render_batch(
    batch: &[std::sync::Arc<PendingEvent>],
    schema: DeliverySchema,
) -> (&'static str, bytes::Bytes) {
    let (content_type, body) = match schema {
        DeliverySchema::EventGridSchema => {
            let events: Vec<_> = batch.iter().map(|e| event_grid(e)).collect();
            ("application/json", serde_json::to_vec(&events))
        }
        DeliverySchema::CloudEventSchemaV1_0 if batch.len() == 1 => (
            "application/cloudevents+json; charset=utf-8",
            serde_json::to_vec(&cloud_event(&batch[0])),
        ),
        DeliverySchema::CloudEventSchemaV1_0 => {
            let events: Vec<_> = batch.iter().map(|e| cloud_event(e)).collect();
            (
                "application/cloudevents-batch+json; charset=utf-8",
                serde_json::to_vec(&events),
            )
        }
    };
    // As above: these structs always serialize.
    (content_type, bytes::Bytes::from(body.unwrap_or_default()))
}
