//! Events as a `Stream`, for code that would rather pull than be called.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::mpsc;

use crate::events::ChatEventEnvelope;

/// The events a [`WebhookReceiver`](super::WebhookReceiver) received, in
/// arrival order, each once (duplicates are dropped before they get here).
/// Made by [`WebhookReceiverBuilder::stream`](super::WebhookReceiverBuilder::stream).
///
/// An event counts as handled once it is in the stream's buffer; when the
/// buffer is full, deliveries are answered 503 and Event Grid retries them.
///
/// ```no_run
/// use futures::StreamExt;
/// # async fn run() {
/// let (receiver, mut events) = acs_chat::webhook::WebhookReceiver::builder().stream(1024);
/// tokio::spawn(async move {
///     let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await.expect("bind");
///     axum::serve(listener, receiver.into_router()).await.expect("serve");
/// });
/// while let Some(envelope) = events.next().await {
///     println!("{} {}", envelope.event_type, envelope.id);
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct ChatEventStream {
    pub(crate) receiver: mpsc::Receiver<ChatEventEnvelope>,
}

impl futures::Stream for ChatEventStream {
    type Item = ChatEventEnvelope;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.receiver.poll_recv(cx)
    }
}
