//! JSON text made once by serde_json and written into event envelopes as it
//! is: an event's subject, data and topic are escaped once, when the event
//! is made, not again for every delivery attempt or subscription.

use std::sync::Arc;

use serde::Serialize;

/// A piece of JSON text, always valid JSON: serde_json makes it, or this
/// module quotes a string that needs no escaping, or joins two such pieces
/// into an object. Cloning it is a reference-count increment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonText(Arc<str>);

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
        Some(Self(text.into()))
    }

    /// `text` as a JSON string, quoted and escaped.
    pub(crate) fn string(text: &str) -> Self {
        if !needs_escape(text) {
            let mut quoted = String::with_capacity(text.len() + 2);
            quoted.push('"');
            quoted.push_str(text);
            quoted.push('"');
            return Self(quoted.into());
        }
        // Serializing a `str` cannot fail: it has no map keys to reject and
        // writes to memory. An empty string literal would still be valid.
        Self(
            serde_json::to_string(text)
                .unwrap_or_else(|_| String::from("\"\""))
                .into(),
        )
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
        Some(Self(text.into()))
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

/// Appends `text` to `out` as a JSON string, quoted and escaped.
pub(crate) fn write_string(out: &mut Vec<u8>, text: &str) {
    if needs_escape(text) {
        // Serializing a `str` into memory cannot fail: no map keys to
        // reject, no I/O.
        let _ = serde_json::to_writer(out, text);
    } else {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
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
