//! One event waiting for delivery, and its rendering in either delivery
//! schema.
//!
//! The envelope is written by hand around JSON parts escaped once, when
//! the event was made ([`JsonText`]): a batch is then a concatenation,
//! without escaping the topic, subject and data again for every request
//! (callgrind showed that escaping cost 7,700 instructions per event).

use super::json_text::{write_string, JsonText};
use super::subscription::DeliverySchema;

/// An event as the emulator emits it, schema-neutral. The events of one
/// action share their time.
#[derive(Debug)]
pub(crate) struct PendingEvent {
    pub(crate) id: uuid::Uuid,
    /// Full type, `Microsoft.Communication.X`.
    pub(crate) event_type: &'static str,
    /// A JSON string.
    pub(crate) subject: JsonText,
    /// A JSON string, RFC 3339.
    pub(crate) time: JsonText,
    /// A JSON string: the `topic` (Event Grid) or `source` (CloudEvents).
    pub(crate) topic: JsonText,
    /// A JSON object.
    pub(crate) data: JsonText,
}

/// Appends `event` as a JSON object of `schema` to `out`.
fn write_event(out: &mut Vec<u8>, event: &PendingEvent, schema: DeliverySchema) {
    let mut buffer = uuid::Uuid::encode_buffer();
    let id = event.id.hyphenated().encode_lower(&mut buffer);
    // The schemas differ only in some names and their fixed members.
    let (topic, kind, time, fixed) = match schema {
        DeliverySchema::EventGridSchema => (
            "topic",
            "eventType",
            "eventTime",
            ",\"dataVersion\":\"1.0\",\"metadataVersion\":\"1\"",
        ),
        DeliverySchema::CloudEventSchemaV1_0 => {
            ("source", "type", "time", ",\"specversion\":\"1.0\"")
        }
    };
    let put = |out: &mut Vec<u8>, part: &str| out.extend_from_slice(part.as_bytes());
    let key = |out: &mut Vec<u8>, name: &str| {
        put(out, ",\"");
        put(out, name);
        put(out, "\":");
    };
    put(out, "{\"id\":\"");
    put(out, id);
    put(out, "\"");
    key(out, topic);
    put(out, event.topic.as_str());
    key(out, "subject");
    put(out, event.subject.as_str());
    key(out, "data");
    put(out, event.data.as_str());
    key(out, kind);
    write_string(out, event.event_type);
    key(out, time);
    put(out, event.time.as_str());
    put(out, fixed);
    put(out, "}");
}

/// The size of `event`'s JSON, give or take its fixed parts.
fn size_hint(event: &PendingEvent) -> usize {
    event.topic.as_str().len()
        + event.subject.as_str().len()
        + event.data.as_str().len()
        + event.event_type.len()
        + 200
}

/// One event as a JSON value in `schema` (for dead letters).
pub(crate) fn render_one(event: &PendingEvent, schema: DeliverySchema) -> serde_json::Value {
    let mut out = Vec::with_capacity(size_hint(event));
    write_event(&mut out, event, schema);
    // Every part is valid JSON ([`JsonText`]), so this parses; Null would
    // still be a safe answer.
    serde_json::from_slice(&out).unwrap_or(serde_json::Value::Null)
}

/// The request body and content type for a batch in `schema`: an array in
/// the Event Grid schema; for CloudEvents one object, or an array when there
/// is more than one event.
pub(crate) fn render_batch(
    batch: &[std::sync::Arc<PendingEvent>],
    schema: DeliverySchema,
) -> (&'static str, bytes::Bytes) {
    let single_cloud_event = schema == DeliverySchema::CloudEventSchemaV1_0 && batch.len() == 1;
    let content_type = match schema {
        DeliverySchema::EventGridSchema => "application/json",
        DeliverySchema::CloudEventSchemaV1_0 if single_cloud_event => {
            "application/cloudevents+json; charset=utf-8"
        }
        DeliverySchema::CloudEventSchemaV1_0 => "application/cloudevents-batch+json; charset=utf-8",
    };
    let mut out = Vec::with_capacity(batch.iter().map(|e| size_hint(e)).sum::<usize>() + 2);
    if !single_cloud_event {
        out.push(b'[');
    }
    for (i, event) in batch.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_event(&mut out, event, schema);
    }
    if !single_cloud_event {
        out.push(b']');
    }
    (content_type, bytes::Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    use std::sync::Arc;

    fn event(subject: &str) -> Arc<PendingEvent> {
        Arc::new(PendingEvent {
            id: uuid::Uuid::from_u128(0x1234),
            event_type: "Microsoft.Communication.ChatMessageReceived",
            subject: JsonText::string(subject),
            time: JsonText::time(
                chrono::DateTime::from_timestamp_millis(1_700_000_000_123).expect("time"),
            ),
            topic: JsonText::string("/subscriptions/x/\"topic\""),
            data: JsonText::of(&json!({ "messageBody": "a \"b\"\n", "version": 1 }))
                .expect("object"),
        })
    }

    fn parsed(body: &[u8]) -> Value {
        serde_json::from_slice(body).expect("valid JSON")
    }

    #[test]
    fn an_event_grid_batch_is_an_array_of_envelopes() {
        let (content_type, body) = render_batch(
            &[event("thread/1"), event("thread/\"2\"")],
            DeliverySchema::EventGridSchema,
        );
        assert_eq!(content_type, "application/json");
        let first = json!({
            "id": "00000000-0000-0000-0000-000000001234",
            "topic": "/subscriptions/x/\"topic\"",
            "subject": "thread/1",
            "data": { "messageBody": "a \"b\"\n", "version": 1 },
            "eventType": "Microsoft.Communication.ChatMessageReceived",
            "dataVersion": "1.0",
            "metadataVersion": "1",
            "eventTime": "2023-11-14T22:13:20.123Z",
        });
        let mut second = first.clone();
        second["subject"] = json!("thread/\"2\"");
        assert_eq!(parsed(&body), json!([first.clone(), second]));
        assert_eq!(
            render_one(&event("thread/1"), DeliverySchema::EventGridSchema),
            first
        );
    }

    #[test]
    fn control_characters_and_backslashes_stay_valid_json() {
        let awkward = "a\\b \u{0}\u{1f} \u{2028} \"q\" é";
        let (_, body) = render_batch(&[event(awkward)], DeliverySchema::EventGridSchema);
        assert_eq!(parsed(&body)[0]["subject"], awkward);
    }

    #[test]
    fn cloud_events_are_one_object_or_a_batch_array() {
        let expected = json!({
            "id": "00000000-0000-0000-0000-000000001234",
            "source": "/subscriptions/x/\"topic\"",
            "subject": "thread/1",
            "data": { "messageBody": "a \"b\"\n", "version": 1 },
            "type": "Microsoft.Communication.ChatMessageReceived",
            "time": "2023-11-14T22:13:20.123Z",
            "specversion": "1.0",
        });
        let one = [event("thread/1")];
        let (content_type, body) = render_batch(&one, DeliverySchema::CloudEventSchemaV1_0);
        assert_eq!(content_type, "application/cloudevents+json; charset=utf-8");
        assert_eq!(parsed(&body), expected);
        assert_eq!(
            render_one(&one[0], DeliverySchema::CloudEventSchemaV1_0),
            expected
        );
        let two = [event("thread/1"), event("thread/1")];
        let (content_type, body) = render_batch(&two, DeliverySchema::CloudEventSchemaV1_0);
        assert_eq!(
            content_type,
            "application/cloudevents-batch+json; charset=utf-8"
        );
        assert_eq!(parsed(&body), json!([expected, expected]));
    }
}
