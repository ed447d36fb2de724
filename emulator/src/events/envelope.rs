//! One event waiting for delivery, and its rendering in either delivery
//! schema.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::value::RawValue;

use super::subscription::DeliverySchema;

/// An event as the emulator emits it, schema-neutral. `data` is serialized
/// once, when the event is made; the events of one action share their time.
#[derive(Debug)]
pub(crate) struct PendingEvent {
    pub(crate) id: uuid::Uuid,
    /// Full type, `Microsoft.Communication.X`.
    pub(crate) event_type: &'static str,
    pub(crate) subject: String,
    /// RFC 3339.
    pub(crate) time: Arc<str>,
    pub(crate) topic: Arc<str>,
    pub(crate) data: Box<RawValue>,
}

/// An event id, written without an intermediate `String`.
struct EventId(uuid::Uuid);

impl Serialize for EventId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buffer = uuid::Uuid::encode_buffer();
        serializer.serialize_str(self.0.hyphenated().encode_lower(&mut buffer))
    }
}

/// The RFC 3339 form of an event time, as every event of an action shares it.
pub(crate) fn event_time(time: DateTime<Utc>) -> Arc<str> {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true).into()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventGridEvent<'a> {
    id: EventId,
    topic: &'a str,
    subject: &'a str,
    data: &'a RawValue,
    event_type: &'a str,
    data_version: &'static str,
    metadata_version: &'static str,
    event_time: &'a str,
}

#[derive(Serialize)]
struct CloudEvent<'a> {
    id: EventId,
    source: &'a str,
    subject: &'a str,
    data: &'a RawValue,
    #[serde(rename = "type")]
    event_type: &'a str,
    time: &'a str,
    specversion: &'static str,
}

fn event_grid(event: &PendingEvent) -> EventGridEvent<'_> {
    EventGridEvent {
        id: EventId(event.id),
        topic: &event.topic,
        subject: &event.subject,
        data: &event.data,
        event_type: event.event_type,
        data_version: "1.0",
        metadata_version: "1",
        event_time: &event.time,
    }
}

fn cloud_event(event: &PendingEvent) -> CloudEvent<'_> {
    CloudEvent {
        id: EventId(event.id),
        source: &event.topic,
        subject: &event.subject,
        data: &event.data,
        event_type: event.event_type,
        time: &event.time,
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
