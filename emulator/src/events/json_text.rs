//! JSON text made once and written into event envelopes as it is: an
//! event's subject, data and topic are escaped once, when the event is made,
//! not again for every delivery attempt or subscription. serde_json writes
//! most of it; [`JsonObject`] writes the data of the events sent most
//! (messages') by hand, and strings and times are quoted here.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

/// A piece of JSON text, always valid JSON: serde_json makes it, or this
/// module writes it (a quoted string or time, a [`JsonObject`], or members
/// put in front of an object's). Cloning it is a reference-count increment. (An
/// `Arc<String>` rather than an `Arc<str>`: made from a `String`, the
/// `Arc<str>` would copy it.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonText(Arc<String>);

impl JsonText {
    /// `value` serialized, or `None` if its `Serialize` fails (a bug in
    /// the type: the caller leaves the event out rather than send it broken).
    pub(crate) fn of(value: &impl Serialize) -> Option<Self> {
        // Event data is most of a kilobyte: one buffer that size from the
        // start, rather than serde_json's 128 bytes doubled three times.
        let mut buffer = Vec::with_capacity(1024);
        serde_json::to_writer(&mut buffer, value).ok()?;
        // serde_json writes UTF-8; a failure here would still leave the
        // event out rather than send it broken.
        let text = String::from_utf8(buffer).ok()?;
        Some(Self(Arc::new(text)))
    }

    /// `text` as a JSON string, quoted and escaped.
    pub(crate) fn string(text: &str) -> Self {
        Self::joined_string(&[text])
    }

    /// `time` as a JSON string, as chrono's `Serialize` writes it.
    pub(crate) fn time(time: DateTime<Utc>) -> Self {
        let mut quoted = String::with_capacity(32);
        push_quoted_time(&mut quoted, time);
        Self(Arc::new(quoted))
    }

    /// `parts` joined, as one JSON string, quoted and escaped.
    pub(crate) fn joined_string(parts: &[&str]) -> Self {
        let size = parts.iter().map(|part| part.len()).sum::<usize>();
        let mut quoted = String::with_capacity(size + 2);
        if parts.iter().any(|part| needs_escape(part)) {
            push_string(&mut quoted, &parts.concat());
        } else {
            quoted.push('"');
            for part in parts {
                quoted.push_str(part);
            }
            quoted.push('"');
        }
        Self(Arc::new(quoted))
    }

    /// This JSON object with `members` in front of its own, or `None` if
    /// this is not an object. The keys are the caller's constants (plain
    /// property names, nothing to escape); this object must not hold them
    /// already.
    pub(crate) fn with_members_first(&self, members: &[(&'static str, &JsonText)]) -> Option<Self> {
        let own = self.0.strip_prefix('{')?;
        let size = members
            .iter()
            .map(|(key, value)| key.len() + value.0.len() + 4)
            .sum::<usize>();
        let mut text = String::with_capacity(self.0.len() + size + 1);
        text.push('{');
        for (i, (key, value)) in members.iter().enumerate() {
            debug_assert!(key.chars().all(|c| c.is_ascii_alphanumeric()));
            if i > 0 {
                text.push(',');
            }
            text.push('"');
            text.push_str(key);
            text.push_str("\":");
            text.push_str(&value.0);
        }
        if !members.is_empty() && own != "}" {
            text.push(',');
        }
        text.push_str(own);
        Some(Self(Arc::new(text)))
    }

    /// Whether this is a JSON object.
    pub(crate) fn is_object(&self) -> bool {
        self.0.starts_with('{')
    }

    /// The text itself.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether JSON must escape something in `text`: it escapes only control
/// characters, `"` and `\`, and ids, subjects and event types seldom hold
/// any. The check has no early exit, so that the compiler vectorizes it: a
/// fraction of the cost of serde_json's escaping loop.
fn needs_escape(text: &str) -> bool {
    text.bytes().fold(false, |found, b| {
        found | (b < 0x20) | (b == b'"') | (b == b'\\')
    })
}

/// `text` quoted and escaped by serde_json if it needs escaping; `None`
/// if quoting it as it is will do.
fn escaped(text: &str) -> Option<String> {
    // Serializing a `str` cannot fail: it has no map keys to reject and
    // writes to memory. An empty string literal would still be valid.
    needs_escape(text).then(|| serde_json::to_string(text).unwrap_or_else(|_| String::from("\"\"")))
}

/// Appends `text` to `out` as a JSON string, quoted and escaped.
fn push_string(out: &mut String, text: &str) {
    match escaped(text) {
        Some(quoted) => out.push_str(&quoted),
        None => {
            out.push('"');
            out.push_str(text);
            out.push('"');
        }
    }
}

/// Appends `text` to `out` as a JSON string, quoted and escaped.
pub(crate) fn write_string(out: &mut Vec<u8>, text: &str) {
    match escaped(text) {
        Some(quoted) => out.extend_from_slice(quoted.as_bytes()),
        None => {
            out.push(b'"');
            out.extend_from_slice(text.as_bytes());
            out.push(b'"');
        }
    }
}

/// Appends `time` to `out` as a JSON string (see [`push_time`]).
fn push_quoted_time(out: &mut String, time: DateTime<Utc>) {
    out.push('"');
    push_time(out, time);
    out.push('"');
}

/// Appends `time` as chrono's `Serialize` writes it (RFC 3339 with `Z` and
/// as many fractional digits as the time needs, in groups of three), with
/// no formatting machinery for the usual four-digit year; other times are
/// left to chrono.
fn push_time(out: &mut String, time: DateTime<Utc>) {
    use chrono::{Datelike as _, Timelike as _};
    // The accessors of a `DateTime` convert to local time at each call;
    // the naive time's read the fields.
    let naive = time.naive_utc();
    let (date, nanos) = (naive.date(), naive.nanosecond());
    let year = date.year();
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        // A leap second, or a year chrono writes with a sign.
        out.push_str(&time.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        return;
    }
    let seconds = naive.num_seconds_from_midnight();
    let fields = [
        (year.unsigned_abs(), 4, '-'),
        (date.month(), 2, '-'),
        (date.day(), 2, 'T'),
        (seconds / 3600, 2, ':'),
        (seconds / 60 % 60, 2, ':'),
        (seconds % 60, 2, '.'),
    ];
    for (value, width, separator) in fields {
        push_digits(out, value, width);
        if separator != '.' || nanos != 0 {
            out.push(separator);
        }
    }
    if nanos != 0 {
        if nanos % 1_000_000 == 0 {
            push_digits(out, nanos / 1_000_000, 3);
        } else if nanos % 1_000 == 0 {
            push_digits(out, nanos / 1_000, 6);
        } else {
            push_digits(out, nanos, 9);
        }
    }
    out.push('Z');
}

/// Appends the last `width` decimal digits of `value`, zero-padded.
fn push_digits(out: &mut String, value: u32, width: usize) {
    let mut digits = [b'0'; 10];
    let mut rest = value;
    for slot in digits[..width].iter_mut().rev() {
        // `rest % 10` is below 10: an ASCII digit.
        *slot = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    digits[..width]
        .iter()
        .for_each(|&digit| out.push(char::from(digit)));
}

/// A JSON object written member by member into one buffer, for the event
/// data made most often (a message's): serde_json escapes every key and
/// every id byte by byte, which was most of the cost of an event. Keys are
/// the caller's constants (plain property names, nothing to escape);
/// string values are escaped only when they need it.
pub(crate) struct JsonObject {
    text: String,
    /// Objects opened by [`open`](Self::open) and not closed yet.
    open: usize,
}

impl JsonObject {
    /// An empty object with room for `capacity` bytes of text.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let mut text = String::with_capacity(capacity);
        text.push('{');
        Self { text, open: 0 }
    }

    fn key(&mut self, key: &'static str) {
        debug_assert!(key.chars().all(|c| c.is_ascii_alphanumeric()));
        if !self.text.ends_with('{') {
            self.text.push(',');
        }
        self.text.push('"');
        self.text.push_str(key);
        self.text.push_str("\":");
    }

    /// A string member.
    pub(crate) fn string(&mut self, key: &'static str, value: &str) -> &mut Self {
        self.key(key);
        push_string(&mut self.text, value);
        self
    }

    /// Opens a member whose value is an object: the members that follow
    /// are its own until [`close`](Self::close).
    pub(crate) fn open(&mut self, key: &'static str) -> &mut Self {
        self.key(key);
        self.text.push('{');
        self.open += 1;
        self
    }

    /// Closes the object [`open`](Self::open) opened.
    pub(crate) fn close(&mut self) -> &mut Self {
        debug_assert!(self.open > 0, "close without open");
        self.open = self.open.saturating_sub(1);
        self.text.push('}');
        self
    }

    /// An integer member.
    pub(crate) fn integer(&mut self, key: &'static str, value: i64) -> &mut Self {
        use std::fmt::Write as _;
        self.key(key);
        // Writing into a `String` cannot fail.
        let _ = write!(self.text, "{value}");
        self
    }

    /// An integer member written as a string (an id).
    pub(crate) fn integer_string(&mut self, key: &'static str, value: u64) -> &mut Self {
        use std::fmt::Write as _;
        self.key(key);
        self.text.push('"');
        // Writing into a `String` cannot fail.
        let _ = write!(self.text, "{value}");
        self.text.push('"');
        self
    }

    /// A time member, written as chrono's `Serialize` writes it.
    pub(crate) fn time(&mut self, key: &'static str, value: DateTime<Utc>) -> &mut Self {
        self.key(key);
        push_quoted_time(&mut self.text, value);
        self
    }

    /// A member whose value is a map of strings, as an object.
    pub(crate) fn string_map(
        &mut self,
        key: &'static str,
        map: &std::collections::HashMap<String, String>,
    ) -> &mut Self {
        self.key(key);
        self.text.push('{');
        for (i, (name, value)) in map.iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            push_string(&mut self.text, name);
            self.text.push(':');
            push_string(&mut self.text, value);
        }
        self.text.push('}');
        self
    }

    /// The object, closed.
    pub(crate) fn finish(self) -> JsonText {
        debug_assert_eq!(self.open, 0, "objects left open");
        let mut text = self.text;
        // Closes what was left open too, so the text is always valid.
        for _ in 0..=self.open {
            text.push('}');
        }
        JsonText(Arc::new(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn parsed(text: &JsonText) -> Value {
        serde_json::from_str(text.as_str()).expect("valid JSON")
    }

    #[test]
    fn strings_are_escaped_once() {
        let text = JsonText::string("a \"quoted\" \\ line\n");
        assert_eq!(parsed(&text), json!("a \"quoted\" \\ line\n"));
        for text in [
            "thread/19:a@thread.v2/sender/8:acs:x_y",
            "",
            "é ✓ \u{7f}",
            "tab\t",
            "\u{1}",
        ] {
            assert_eq!(
                JsonText::string(text).as_str(),
                serde_json::to_string(text).unwrap()
            );
        }
    }

    #[test]
    fn objects_written_by_hand_are_what_serde_json_writes() {
        let time = chrono::DateTime::parse_from_rfc3339("2026-12-04T18:01:04.120Z")
            .expect("time")
            .to_utc();
        let whole_second = chrono::DateTime::parse_from_rfc3339("2026-12-04T18:01:04Z")
            .expect("time")
            .to_utc();
        let map = std::collections::HashMap::from([
            ("a\"b".to_owned(), "line\nbreak".to_owned()),
            ("plain".to_owned(), String::new()),
        ]);
        let mut object = JsonObject::with_capacity(16);
        object
            .string("s", "tab\t \u{2028} é")
            .integer("n", -42)
            .integer("big", i64::MAX)
            .integer_string("id", u64::MAX)
            .time("t", time)
            .time("w", whole_second)
            .string_map("m", &map)
            .string_map("empty", &Default::default())
            .open("o")
            .string("in", "x")
            .open("deeper")
            .close()
            .close()
            .integer("after", 1);
        let text = object.finish();
        let expected = json!({
            "s": "tab\t \u{2028} é",
            "n": -42,
            "big": i64::MAX,
            "id": u64::MAX.to_string(),
            "t": serde_json::to_value(time).unwrap(),
            "w": serde_json::to_value(whole_second).unwrap(),
            "m": map,
            "empty": {},
            "o": { "in": "x", "deeper": {} },
            "after": 1,
        });
        assert_eq!(parsed(&text), expected);
        assert_eq!(JsonObject::with_capacity(0).finish().as_str(), "{}");
    }

    #[test]
    fn times_are_written_as_chrono_serializes_them() {
        let texts = [
            "2026-12-04T18:01:04Z",
            "2026-12-04T18:01:04.1Z",
            "2026-12-04T18:01:04.120Z",
            "2026-12-04T18:01:04.000001Z",
            "2026-12-04T18:01:04.123456789Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999Z",
            "2016-12-31T23:59:60.5Z",
        ];
        let parsed_times = texts.iter().map(|text| {
            chrono::DateTime::parse_from_rfc3339(text)
                .expect("time")
                .to_utc()
        });
        let year_minus_one = chrono::NaiveDate::from_ymd_opt(-1, 6, 1)
            .and_then(|date| date.and_hms_milli_opt(1, 2, 3, 4))
            .expect("a date")
            .and_utc();
        let extremes = [-1, 0, 253_402_300_800_000]
            .map(|millis| chrono::DateTime::from_timestamp_millis(millis).expect("in range"))
            .into_iter()
            .chain([
                DateTime::<Utc>::MIN_UTC,
                DateTime::<Utc>::MAX_UTC,
                year_minus_one,
            ]);
        for time in parsed_times.chain(extremes) {
            let mut written = String::new();
            push_time(&mut written, time);
            assert_eq!(
                format!("\"{written}\""),
                serde_json::to_string(&time).unwrap(),
                "{time:?}"
            );
        }
    }

    #[test]
    fn joined_strings_are_one_string() {
        assert_eq!(
            JsonText::joined_string(&["a/", "b", "/c"]).as_str(),
            "\"a/b/c\""
        );
        assert_eq!(
            parsed(&JsonText::joined_string(&["a\"", "\n"])),
            json!("a\"\n")
        );
        assert_eq!(JsonText::joined_string(&[]).as_str(), "\"\"");
    }

    #[test]
    fn members_go_in_front_of_an_objects_own() {
        let object = JsonText::of(&json!({ "b": 2, "c": [3] })).expect("object");
        let one = JsonText::of(&1).expect("number");
        let name = JsonText::string("x\"y");
        let joined = object
            .with_members_first(&[("a", &one), ("d", &name)])
            .expect("an object");
        assert_eq!(
            parsed(&joined),
            json!({ "a": 1, "d": "x\"y", "b": 2, "c": [3] })
        );
        assert!(joined.as_str().starts_with("{\"a\":1,"));
    }

    #[test]
    fn members_join_an_empty_object_and_nothing_joins_a_non_object() {
        let empty = JsonText::of(&json!({})).expect("object");
        let one = JsonText::of(&1).expect("number");
        let joined = empty.with_members_first(&[("a", &one)]).expect("object");
        assert_eq!(parsed(&joined), json!({ "a": 1 }));
        assert_eq!(empty.with_members_first(&[]), Some(empty.clone()));
        assert_eq!(one.with_members_first(&[("a", &one)]), None);
    }
}
