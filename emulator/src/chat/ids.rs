//! Id formats of the Chat service, and the clock message ids come from.
//!
//! * Thread ids look like the service's: `19:` + 43 url-safe base64
//!   characters (32 random bytes) + `1` + `@thread.v2`, e.g.
//!   `19:alkyJxeXJYbhAMLMvGhqhz9nCzs8uA87yoQT_wi2XaY1@thread.v2`. The
//!   trailing `1` is how .NET's `UrlTokenEncode` marks one stripped padding
//!   character; every real id in the recordings ends that way.
//! * Message ids (and message versions) are epoch milliseconds, 13 digits,
//!   strictly increasing within a thread even inside one millisecond (see
//!   [`MessageClock`]).
//! * Times on the wire are whole seconds (`2023-05-27T01:38:35Z`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, TimeZone, Utc};

use crate::error::ApiError;

use super::errors::bad_request;

/// Longest path id accepted (well above any real id).
const MAX_PATH_ID_LEN: usize = 512;

/// A fresh thread id in the service's format.
pub(crate) fn new_thread_id() -> String {
    let mut bytes = [0_u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    format!("19:{}1@thread.v2", URL_SAFE_NO_PAD.encode(bytes))
}

/// Checks a thread id taken from the path (already percent-decoded): not
/// blank, not `.`/`..`, no control characters, bounded length.
pub(crate) fn check_thread_id(id: &str) -> Result<(), ApiError> {
    if id.trim().is_empty()
        || id == "."
        || id == ".."
        || id.len() > MAX_PATH_ID_LEN
        || has_control_character(id)
    {
        return Err(bad_request(
            "chatThreadId",
            format!("'{}' is not a valid chat thread id.", printable(id)),
        ));
    }
    Ok(())
}

/// Whether `text` holds a control character (`char::is_control`: C0, DEL
/// and C1), by bytes when it is ASCII, as ids nearly always are.
fn has_control_character(text: &str) -> bool {
    if text.is_ascii() {
        text.bytes().any(|b| b < 0x20 || b == 0x7f)
    } else {
        text.chars().any(char::is_control)
    }
}

/// Whether `id` has the shape of the service's thread ids:
/// `19:<letters, digits, '_', '.', '-'>@thread.v2`.
pub(crate) fn has_thread_id_shape(id: &str) -> bool {
    id.strip_prefix("19:")
        .and_then(|rest| rest.strip_suffix("@thread.v2"))
        .is_some_and(|inner| {
            !inner.is_empty()
                && inner
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        })
}

/// Parses a message id taken from the path: decimal digits only (the
/// service's ids are epoch milliseconds).
pub(crate) fn parse_message_id(id: &str) -> Result<u64, ApiError> {
    let valid = !id.is_empty() && id.len() <= 19 && id.bytes().all(|b| b.is_ascii_digit());
    valid
        .then(|| id.parse::<u64>().ok())
        .flatten()
        .ok_or_else(|| {
            bad_request(
                "chatMessageId",
                format!("'{}' is not a valid chat message id.", printable(id)),
            )
        })
}

/// `id` shortened and stripped of control characters, for error messages.
pub(crate) fn printable(id: &str) -> String {
    id.chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect::<String>()
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_millis() -> u64 {
    u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0)
}

/// Milliseconds since the epoch → a time truncated to whole seconds, as the
/// service shows times.
pub(crate) fn to_seconds(millis: u64) -> DateTime<Utc> {
    let secs = i64::try_from(millis / 1000).unwrap_or(0);
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

/// A time → milliseconds since the epoch (0 before the epoch).
pub(crate) fn to_millis(time: DateTime<Utc>) -> u64 {
    u64::try_from(time.timestamp_millis()).unwrap_or(0)
}

/// A time truncated to whole seconds.
pub(crate) fn truncate_to_seconds(time: DateTime<Utc>) -> DateTime<Utc> {
    Utc.timestamp_opt(time.timestamp(), 0)
        .single()
        .unwrap_or_default()
}

/// Per-thread source of message ids and versions: the current epoch
/// millisecond, bumped past the last value handed out so values strictly
/// increase.
#[derive(Debug, Default, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub(crate) struct MessageClock {
    last: u64,
}

impl MessageClock {
    /// Makes sure later values are above `value` (one handed out before).
    pub(crate) fn observe(&mut self, value: u64) {
        self.last = self.last.max(value);
    }

    /// The next value: `max(now, last + 1)`.
    pub(crate) fn next(&mut self, now_millis: u64) -> u64 {
        self.last = now_millis.max(self.last.saturating_add(1));
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_ids_have_the_service_shape() {
        let id = new_thread_id();
        let inner = id
            .strip_prefix("19:")
            .and_then(|rest| rest.strip_suffix("@thread.v2"));
        assert_eq!(inner.map(str::len), Some(44), "{id}");
        assert!(inner.is_some_and(|s| s.ends_with('1')
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')));
        assert_ne!(id, new_thread_id());
        assert!(check_thread_id(&id).is_ok());
    }

    #[test]
    fn control_characters_are_found_by_bytes_as_by_chars() {
        let samples = [
            "19:abc@thread.v2",
            "tab\t",
            "del\u{7f}",
            "c1 \u{85} next line",
            "c1 \u{9f}",
            "é ✓ \u{a0} no control",
            "\u{2028} is not Cc",
            "",
        ];
        for text in samples {
            assert_eq!(
                has_control_character(text),
                text.chars().any(char::is_control),
                "{text:?}"
            );
        }
        let every_char = (0u32..0x3000).filter_map(char::from_u32);
        for c in every_char {
            let text = format!("a{c}b");
            assert_eq!(has_control_character(&text), c.is_control(), "{c:?}");
        }
    }

    #[test]
    fn bad_path_ids() {
        for bad in ["", " ", ".", "..", "a\u{0}b"] {
            assert!(check_thread_id(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_message_id("1685151497027").ok(),
            Some(1_685_151_497_027)
        );
        for bad in ["", "abc", "-1", "12a", "99999999999999999999"] {
            assert!(parse_message_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn clock_strictly_increases() {
        let mut clock = MessageClock::default();
        assert_eq!(clock.next(1000), 1000);
        assert_eq!(clock.next(1000), 1001);
        assert_eq!(clock.next(999), 1002);
        assert_eq!(clock.next(5000), 5000);
    }

    #[test]
    fn seconds() {
        assert_eq!(
            to_seconds(1_685_151_486_588).to_rfc3339(),
            "2023-05-27T01:38:06+00:00"
        );
        assert_eq!(to_millis(to_seconds(1_685_151_486_588)), 1_685_151_486_000);
    }
}
