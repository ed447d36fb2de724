//! A webhook that receives ACS chat events from Event Grid (or from the
//! emulator), as an `axum::Router`: mount it in any axum app, or serve it
//! as a `tower::Service`. Enabled by the `webhook` feature.
//!
//! It answers both subscription handshakes (Event Grid's validation event
//! and the CloudEvents `OPTIONS` abuse protection), checks a shared secret
//! when one is set, parses both delivery schemas into typed
//! [`ChatEventEnvelope`]s, drops duplicate deliveries, and hands each event
//! to your handler (or to a [`ChatEventStream`]).
//!
//! # Status codes, and what Event Grid does with them
//!
//! | answer | when | Event Grid |
//! | --- | --- | --- |
//! | 200 | every event handled (or a duplicate of one handled) | done |
//! | 400 | the body is not a valid delivery | no retry (dead-lettered if configured) |
//! | 401 | the secret is missing or wrong | no retry |
//! | 413 | the body is larger than the cap (default 1 MiB + 64 KiB) | no retry |
//! | 500 | the handler failed (or panicked) for an event | retried on its schedule |
//! | 503 | the event is being handled by a concurrent delivery, the stream's consumer is gone or full, or the dedup store failed | retried |
//!
//! A batch is answered as a whole: if one event fails, the delivery is
//! retried, and the events already handled are then dropped as duplicates.
//!
//! ```no_run
//! use acs_chat::events::ChatEvent;
//! use acs_chat::webhook::{WebhookReceiver, WebhookSecret};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let receiver = WebhookReceiver::builder()
//!     .secret(WebhookSecret::query("code", std::env::var("WEBHOOK_SECRET")?))
//!     .handler(|envelope| async move {
//!         if let ChatEvent::ChatMessageReceived(message) = envelope.event {
//!             println!("{:?} wrote {:?}", message.sender_display_name, message.message_body);
//!         }
//!         Ok::<(), std::convert::Infallible>(())
//!     });
//! let app = axum::Router::new().nest("/acs-events", receiver.into_router());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

mod dedup;
mod handler;
mod secret;
mod stream;

pub use dedup::{Claim, DedupError, DeliveryDeduplicator, InMemoryDeduplicator};
pub use handler::{WebhookReceiver, WebhookReceiverBuilder, DEFAULT_MAX_BODY_BYTES};
pub use secret::WebhookSecret;
pub use stream::ChatEventStream;

#[allow(unused_imports)] // used by the docs' intra-doc links
use crate::events::ChatEventEnvelope;
