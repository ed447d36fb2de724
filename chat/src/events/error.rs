//! Why a delivery could not be read.

use std::fmt;

/// A delivery body that is not a valid Event Grid or CloudEvents payload, or
/// a chat event whose data does not match its type.
///
/// The message names what was wrong and where; of the payload it quotes at
/// most the offending value, as serde reports it.
///
/// ```
/// let err = acs_chat::events::parse_event_grid(b"not json").unwrap_err();
/// assert!(matches!(err, acs_chat::events::EventParseError::Malformed { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventParseError {
    /// The body is not JSON of the schema's shape.
    Malformed {
        /// The schema that was expected.
        schema: &'static str,
        /// What serde found wrong, with line and column.
        reason: String,
    },
    /// A CloudEvents `specversion` other than `1.0`.
    UnsupportedSpecVersion(String),
    /// A `Content-Type` that names neither schema.
    UnsupportedContentType(String),
    /// A known chat event type whose `data` does not match it.
    InvalidData {
        /// The event's id.
        event_id: String,
        /// The event's type.
        event_type: String,
        /// What was wrong.
        reason: String,
    },
}

impl EventParseError {
    pub(crate) fn malformed(schema: &'static str, err: &serde_json::Error) -> Self {
        // serde_json's messages quote at most a short token of the input.
        Self::Malformed {
            schema,
            reason: err.to_string(),
        }
    }
}

impl fmt::Display for EventParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed { schema, reason } => {
                write!(f, "not a valid {schema} delivery: {reason}")
            }
            Self::UnsupportedSpecVersion(version) => {
                write!(
                    f,
                    "unsupported CloudEvents specversion {version:?} (expected 1.0)"
                )
            }
            Self::UnsupportedContentType(content_type) => {
                write!(f, "unsupported content type {content_type:?}")
            }
            Self::InvalidData {
                event_id,
                event_type,
                reason,
            } => write!(f, "event {event_id} ({event_type}): invalid data: {reason}"),
        }
    }
}

impl std::error::Error for EventParseError {}
