//! How the models read the service's date-times: as chrono's own
//! `Deserialize` does, accepting the same texts and giving the same values,
//! only faster for what the service sends.
//!
//! chrono's `Deserialize` (its `FromStr`) runs a general parser over a list
//! of format items, which also accepts relaxed forms (a space for the `T`);
//! its strict RFC 3339 parser is written out by hand and about five times
//! faster. Every message carries a date-time, so a page of 50 reads 50 to
//! 150 of them. The strict parser goes first; whatever it refuses goes to
//! `FromStr`, so a relaxed text still reads, and a bad one fails with
//! chrono's own message.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{Deserializer, Error, Visitor};

/// A date-time field (`#[serde(deserialize_with = "...")]`).
pub(crate) fn required<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<DateTime<Utc>, D::Error> {
    deserializer.deserialize_str(DateTimeText)
}

/// An optional date-time field (with `#[serde(default)]`): `null` is none.
pub(crate) fn optional<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    deserializer.deserialize_option(OptionalDateTimeText)
}

/// `text` as chrono's `Deserialize` reads it.
fn parse(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    match DateTime::parse_from_rfc3339(text) {
        Ok(date_time) => Ok(date_time.with_timezone(&Utc)),
        Err(_) => text.parse::<DateTime<Utc>>(),
    }
}

/// Reads a date-time from a JSON string, expecting what chrono's own
/// visitor expects (so a value of another type fails with its message).
struct DateTimeText;

impl Visitor<'_> for DateTimeText {
    type Value = DateTime<Utc>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an RFC 3339 formatted date and time string")
    }

    fn visit_str<E: Error>(self, text: &str) -> Result<Self::Value, E> {
        parse(text).map_err(E::custom)
    }
}

/// [`DateTimeText`] or `null`, as serde reads an `Option` (a value of
/// another type fails with [`DateTimeText`]'s message, as with chrono's).
struct OptionalDateTimeText;

impl<'de> Visitor<'de> for OptionalDateTimeText {
    type Value = Option<DateTime<Utc>>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an RFC 3339 formatted date and time string, or null")
    }

    fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        required(deserializer).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Fields {
        #[serde(deserialize_with = "required")]
        at: DateTime<Utc>,
        #[serde(default, deserialize_with = "optional")]
        maybe: Option<DateTime<Utc>>,
    }

    #[derive(Deserialize)]
    struct ChronoFields {
        at: DateTime<Utc>,
        #[serde(default)]
        maybe: Option<DateTime<Utc>>,
    }

    /// What chrono's own `Deserialize` makes of `text`: the value, or its
    /// error message.
    fn chrono_reads(
        text: &serde_json::Value,
    ) -> Result<(DateTime<Utc>, Option<DateTime<Utc>>), String> {
        let json = serde_json::json!({ "at": text, "maybe": text });
        serde_json::from_value::<ChronoFields>(json)
            .map(|f| (f.at, f.maybe))
            .map_err(|e| e.to_string())
    }

    fn we_read(text: &serde_json::Value) -> Result<(DateTime<Utc>, Option<DateTime<Utc>>), String> {
        let json = serde_json::json!({ "at": text, "maybe": text });
        serde_json::from_value::<Fields>(json)
            .map(|f| (f.at, f.maybe))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn reads_every_text_as_chrono_does() {
        let texts = [
            "2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05.1234567Z",
            "2024-01-02T03:04:05.123456789123Z",
            "2024-01-02t03:04:05z",
            "2024-01-02 03:04:05Z",
            "2024-01-02T03:04:05+01:30",
            "2024-01-02T03:04:05-00:00",
            "2024-01-02T03:04:05.5+14:00",
            "2016-12-31T23:59:60Z",
            "2016-12-31T23:59:60.5Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
            "2024-02-29T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-01-02T03:04:05",
            "2024-01-02T03:04Z",
            "2024-01-02T24:00:00Z",
            "2024-13-02T03:04:05Z",
            "2024-01-02T03:04:05+24:00",
            "2024-01-02T03:04:05Z ",
            " 2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05.Z",
            "+2024-01-02T03:04:05Z",
            "2024-1-2T3:4:5Z",
            "2024-01-02T03:04:05+0130",
            "",
            "not a date",
        ];
        let mut read = 0;
        for text in texts {
            let text = serde_json::Value::from(text);
            let ours = we_read(&text);
            assert_eq!(ours, chrono_reads(&text), "{text}");
            read += usize::from(ours.is_ok());
        }
        // Both kinds were compared: read ones and refused ones.
        assert!(
            read >= 10 && read < texts.len(),
            "{read} of {} read",
            texts.len()
        );
    }

    #[test]
    fn null_and_missing_are_none_and_other_json_is_refused() {
        let null = serde_json::json!({ "at": "2024-01-02T03:04:05Z", "maybe": null });
        assert_eq!(serde_json::from_value::<Fields>(null).unwrap().maybe, None);
        let missing = serde_json::json!({ "at": "2024-01-02T03:04:05Z" });
        assert_eq!(
            serde_json::from_value::<Fields>(missing).unwrap().maybe,
            None
        );
        for other in [
            serde_json::json!(17),
            serde_json::json!(null),
            serde_json::json!([]),
            serde_json::json!({}),
            serde_json::json!(true),
        ] {
            assert!(we_read(&other).is_err(), "{other}");
            assert_eq!(we_read(&other), chrono_reads(&other), "{other}");
        }
        // The same for a value of another type in an optional field only.
        for other in [serde_json::json!(17), serde_json::json!(["x"])] {
            let json = serde_json::json!({ "at": "2024-01-02T03:04:05Z", "maybe": other });
            let ours = serde_json::from_value::<Fields>(json.clone()).map(|f| f.maybe);
            let chrono = serde_json::from_value::<ChronoFields>(json).map(|f| f.maybe);
            assert_eq!(
                ours.map_err(|e| e.to_string()),
                chrono.map_err(|e| e.to_string()),
                "{other}"
            );
        }
    }
}
