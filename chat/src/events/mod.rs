//! ACS chat events as Event Grid delivers them: typed, from either delivery
//! schema (Event Grid's own or CloudEvents 1.0).
//!
//! On a server, ACS delivers chat only through Azure Event Grid. Parse a
//! delivery's body with [`parse_events`] (or [`parse_event_grid`] /
//! [`parse_cloud_events`]) into [`ChatEventEnvelope`]s, and match on
//! [`ChatEvent`]. With the `webhook` feature, [`crate::webhook`] serves the
//! whole endpoint (handshakes, secret, deduplication) for you.
//!
//! Event types this version does not know arrive as [`ChatEvent::Unknown`]
//! with their data as JSON; unknown fields of known events are ignored.
//!
//! ```
//! use acs_chat::events::{parse_events, ChatEvent};
//!
//! let body = br#"[{
//!   "id": "c13afb5f-d975-4296-a8ef-348c8fc496ee",
//!   "topic": "/subscriptions/{subscription-id}/resourceGroups/{group}/providers/Microsoft.Communication/communicationServices/{resource}",
//!   "subject": "thread/19:a@thread.v2/sender/8:acs:r_alice/recipient/8:acs:r_bot",
//!   "eventType": "Microsoft.Communication.ChatMessageReceived",
//!   "eventTime": "2024-05-01T10:00:00Z",
//!   "dataVersion": "1.0",
//!   "data": {
//!     "messageBody": "Hello",
//!     "messageId": "1714557600000",
//!     "senderCommunicationIdentifier": {"rawId": "8:acs:r_alice", "communicationUser": {"id": "8:acs:r_alice"}},
//!     "senderDisplayName": "Alice",
//!     "recipientCommunicationIdentifier": {"rawId": "8:acs:r_bot", "communicationUser": {"id": "8:acs:r_bot"}},
//!     "composeTime": "2024-05-01T10:00:00Z",
//!     "type": "Text",
//!     "version": "1714557600000",
//!     "threadId": "19:a@thread.v2",
//!     "transactionId": "t1"
//!   }
//! }]"#;
//! for envelope in parse_events(Some("application/json"), body)? {
//!     if let ChatEvent::ChatMessageReceived(message) = envelope.event {
//!         assert_eq!(message.message_body.as_deref(), Some("Hello"));
//!         assert_eq!(message.version, Some(1714557600000));
//!     }
//! }
//! # Ok::<(), acs_chat::events::EventParseError>(())
//! ```

mod data;
pub(crate) mod envelope;
mod error;

pub use data::{
    ChatEvent, ChatEventParticipant, ChatMessageEventData, ChatParticipantEventData,
    ChatThreadCreatedEventData, ChatThreadDeletedEventData, ChatThreadPropertiesUpdatedEventData,
    EVENT_TYPE_PREFIX,
};
pub use envelope::{
    parse_cloud_events, parse_event_grid, parse_events, schema_for_content_type, ChatEventEnvelope,
    EventSchema, SUBSCRIPTION_VALIDATION_EVENT,
};
pub use error::EventParseError;
