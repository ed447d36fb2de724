//! The receiver itself: handshakes, authentication, parsing, deduplication
//! and the answer Event Grid's retry policy expects.

use std::future::Future;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use futures::FutureExt;
use tokio::sync::mpsc;

use crate::events::envelope::{cloud_events, event_grid_events, SUBSCRIPTION_VALIDATION_EVENT};
use crate::events::{schema_for_content_type, ChatEventEnvelope, EventParseError, EventSchema};

use super::dedup::{Claim, DeliveryDeduplicator, InMemoryDeduplicator};
use super::secret::WebhookSecret;
use super::stream::ChatEventStream;

/// The default cap on a delivery's body: Event Grid's 1 MB event limit plus
/// room for the envelope.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024 + 64 * 1024;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Handler = dyn Fn(ChatEventEnvelope) -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync;

/// Configures a [`WebhookReceiver`]; finish with [`handler`](Self::handler)
/// or [`stream`](Self::stream).
///
/// ```
/// use acs_chat::webhook::{WebhookReceiver, WebhookSecret};
/// let receiver = WebhookReceiver::builder()
///     .secret(WebhookSecret::query("code", "s3cr3t"))
///     .allowed_rate(100)
///     .max_body_bytes(256 * 1024)
///     .handler(|event| async move { println!("{}", event.id); Ok::<_, std::io::Error>(()) });
/// let router: axum::Router = receiver.into_router();
/// ```
pub struct WebhookReceiverBuilder {
    secret: Option<WebhookSecret>,
    allowed_rate: Option<u32>,
    max_body_bytes: usize,
    deduplicator: Arc<dyn DeliveryDeduplicator>,
}

impl std::fmt::Debug for WebhookReceiverBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookReceiverBuilder")
            .field("secret", &self.secret)
            .field("allowed_rate", &self.allowed_rate)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl WebhookReceiverBuilder {
    /// Requires every request (deliveries and handshakes) to carry `secret`;
    /// others are answered 401.
    ///
    /// ```
    /// # use acs_chat::webhook::{WebhookReceiver, WebhookSecret};
    /// let builder = WebhookReceiver::builder().secret(WebhookSecret::query("code", "s3cr3t"));
    /// ```
    pub fn secret(mut self, secret: WebhookSecret) -> Self {
        self.secret = Some(secret);
        self
    }

    /// The request rate (per minute) announced in the CloudEvents handshake's
    /// `WebHook-Allowed-Rate` header. Unset, the header is left out.
    ///
    /// ```
    /// let builder = acs_chat::webhook::WebhookReceiver::builder().allowed_rate(120);
    /// ```
    pub fn allowed_rate(mut self, per_minute: u32) -> Self {
        self.allowed_rate = Some(per_minute);
        self
    }

    /// Deliveries with a larger body are answered 413 without being read
    /// further. Default [`DEFAULT_MAX_BODY_BYTES`].
    ///
    /// ```
    /// let builder = acs_chat::webhook::WebhookReceiver::builder().max_body_bytes(64 * 1024);
    /// ```
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Replaces the per-process [`InMemoryDeduplicator`] (a shared store for
    /// several instances, or a different window).
    ///
    /// ```
    /// use std::time::Duration;
    /// use acs_chat::webhook::{InMemoryDeduplicator, WebhookReceiver};
    /// let builder = WebhookReceiver::builder()
    ///     .deduplicator(InMemoryDeduplicator::new(Duration::from_secs(600), 1_000));
    /// ```
    pub fn deduplicator(mut self, deduplicator: impl DeliveryDeduplicator + 'static) -> Self {
        self.deduplicator = Arc::new(deduplicator);
        self
    }

    /// Finishes with an async handler, called once per event (duplicates
    /// dropped). An `Err` answers 500, so Event Grid delivers it again.
    ///
    /// ```
    /// let receiver = acs_chat::webhook::WebhookReceiver::builder()
    ///     .handler(|event| async move { println!("{}", event.event_type); Ok::<_, std::io::Error>(()) });
    /// ```
    pub fn handler<F, Fut, E>(self, handler: F) -> WebhookReceiver
    where
        F: Fn(ChatEventEnvelope) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        let handler: Arc<Handler> = Arc::new(move |event| {
            let future = handler(event);
            Box::pin(async move { future.await.map_err(Into::into) })
        });
        self.finish(handler)
    }

    /// Finishes with a [`ChatEventStream`] that buffers up to `capacity`
    /// events (at least 1); when it is full or dropped, deliveries are
    /// answered 503 and Event Grid retries them.
    ///
    /// ```
    /// let (receiver, events) = acs_chat::webhook::WebhookReceiver::builder().stream(256);
    /// ```
    pub fn stream(self, capacity: usize) -> (WebhookReceiver, ChatEventStream) {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        let handler: Arc<Handler> = Arc::new(move |event| {
            let sender = sender.clone();
            Box::pin(async move {
                sender
                    .try_send(event)
                    .map_err(|e| -> BoxError { Box::new(StreamUnavailable(e.to_string())) })
            })
        });
        (self.finish(handler), ChatEventStream { receiver })
    }

    fn finish(self, handler: Arc<Handler>) -> WebhookReceiver {
        WebhookReceiver {
            inner: Arc::new(Inner {
                secret: self.secret,
                allowed_rate: self.allowed_rate,
                max_body_bytes: self.max_body_bytes,
                deduplicator: self.deduplicator,
                handler,
            }),
        }
    }
}

/// The stream's buffer is full or its consumer is gone.
#[derive(Debug)]
struct StreamUnavailable(String);

impl std::fmt::Display for StreamUnavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "event stream unavailable: {}", self.0)
    }
}

impl std::error::Error for StreamUnavailable {}

struct Inner {
    secret: Option<WebhookSecret>,
    allowed_rate: Option<u32>,
    max_body_bytes: usize,
    deduplicator: Arc<dyn DeliveryDeduplicator>,
    handler: Arc<Handler>,
}

/// A webhook endpoint for ACS chat events. See the [module docs](super)
/// for the status codes it answers.
///
/// ```
/// let receiver = acs_chat::webhook::WebhookReceiver::builder()
///     .handler(|event| async move { println!("{}", event.id); Ok::<_, std::io::Error>(()) });
/// // Mount it anywhere in an axum app:
/// let app = axum::Router::new().nest("/events", receiver.into_router());
/// ```
#[derive(Clone)]
pub struct WebhookReceiver {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for WebhookReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookReceiver")
            .field("secret", &self.inner.secret)
            .field("allowed_rate", &self.inner.allowed_rate)
            .field("max_body_bytes", &self.inner.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl WebhookReceiver {
    /// A builder with no secret, no announced rate, the default body cap and
    /// per-process deduplication.
    ///
    /// ```
    /// let builder = acs_chat::webhook::WebhookReceiver::builder();
    /// ```
    pub fn builder() -> WebhookReceiverBuilder {
        WebhookReceiverBuilder {
            secret: None,
            allowed_rate: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            deduplicator: Arc::new(InMemoryDeduplicator::default()),
        }
    }

    /// The receiver as an `axum::Router` that answers on every path it is
    /// mounted at (`POST` for deliveries, `OPTIONS` for the handshake).
    /// A `Router` is a `tower::Service`, so it can also be served directly.
    ///
    /// ```
    /// # let receiver = acs_chat::webhook::WebhookReceiver::builder().stream(1).0;
    /// let app = axum::Router::new().nest("/events", receiver.into_router());
    /// ```
    pub fn into_router(self) -> axum::Router {
        axum::Router::new().fallback(move |request: Request<Body>| {
            let receiver = self.clone();
            async move { receiver.answer(request).await }
        })
    }

    /// Answers one request (what the router calls).
    async fn answer(&self, request: Request<Body>) -> Response {
        let (parts, body) = request.into_parts();
        if let Some(secret) = &self.inner.secret {
            if !secret.admits(&parts) {
                tracing::warn!(target: "acs_chat::webhook", "refused a request without the webhook secret");
                return plain(StatusCode::UNAUTHORIZED, "missing or wrong webhook secret");
            }
        }
        match parts.method {
            Method::OPTIONS => self.abuse_protection_handshake(&parts.headers),
            Method::POST => self.delivery(&parts.headers, body).await,
            _ => {
                let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "use POST or OPTIONS");
                response
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("POST, OPTIONS"));
                response
            }
        }
    }

    /// The CloudEvents 1.0 webhook abuse-protection handshake.
    fn abuse_protection_handshake(&self, headers: &HeaderMap) -> Response {
        let Some(origin) = headers.get("webhook-request-origin") else {
            return plain(StatusCode::BAD_REQUEST, "missing WebHook-Request-Origin");
        };
        let mut response = StatusCode::OK.into_response();
        let out = response.headers_mut();
        out.insert("webhook-allowed-origin", origin.clone());
        out.insert(header::ALLOW, HeaderValue::from_static("POST"));
        if let Some(rate) = self.inner.allowed_rate {
            out.insert("webhook-allowed-rate", HeaderValue::from(rate));
        }
        response
    }

    async fn delivery(&self, headers: &HeaderMap, body: Body) -> Response {
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > self.inner.max_body_bytes as u64) {
            return too_large();
        }
        let body = match axum::body::to_bytes(body, self.inner.max_body_bytes).await {
            Ok(body) => body,
            Err(_) => return too_large(),
        };
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        match schema_for_content_type(content_type) {
            Some(EventSchema::EventGrid) => self.event_grid_delivery(headers, &body).await,
            Some(EventSchema::CloudEvents) => match cloud_events(&body) {
                Ok(events) => {
                    let envelopes = events.into_iter().map(|e| e.into_envelope()).collect();
                    self.handle_all(envelopes).await
                }
                Err(err) => bad_request(&err),
            },
            None => bad_request(&EventParseError::UnsupportedContentType(
                content_type.unwrap_or_default().chars().take(64).collect(),
            )),
        }
    }

    async fn event_grid_delivery(&self, headers: &HeaderMap, body: &Bytes) -> Response {
        let events = match event_grid_events(body) {
            Ok(events) => events,
            Err(err) => return bad_request(&err),
        };
        let validation = events
            .iter()
            .find(|e| e.event_type == SUBSCRIPTION_VALIDATION_EVENT);
        let announced = headers
            .get("aeg-event-type")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"SubscriptionValidation"));
        if let Some(validation) = validation {
            let Some(code) = validation
                .data
                .get("validationCode")
                .and_then(serde_json::Value::as_str)
            else {
                return plain(
                    StatusCode::BAD_REQUEST,
                    "validation event without a validationCode",
                );
            };
            tracing::info!(target: "acs_chat::webhook", "answered Event Grid's subscription validation");
            return axum::Json(serde_json::json!({ "validationResponse": code })).into_response();
        }
        if announced {
            return plain(
                StatusCode::BAD_REQUEST,
                "SubscriptionValidation without a validation event",
            );
        }
        let envelopes = events.into_iter().map(|e| e.into_envelope()).collect();
        self.handle_all(envelopes).await
    }

    /// Hands every event to the handler once; the answer is for the batch.
    async fn handle_all(
        &self,
        envelopes: Vec<Result<ChatEventEnvelope, EventParseError>>,
    ) -> Response {
        // Parse the whole batch first: a malformed event makes it a 400
        // before anything is handled.
        let envelopes: Vec<ChatEventEnvelope> = match envelopes.into_iter().collect() {
            Ok(envelopes) => envelopes,
            Err(err) => return bad_request(&err),
        };
        let mut failed = None;
        for envelope in envelopes {
            if let Err(status) = self.handle_once(envelope).await {
                // Keep going: the other events are handled now and dropped as
                // duplicates when Event Grid retries the batch.
                failed = Some(failed.map_or(status, |s: StatusCode| s.max(status)));
            }
        }
        match failed {
            None => StatusCode::OK.into_response(),
            Some(status) => plain(status, "an event could not be handled; deliver again"),
        }
    }

    /// Claims, handles and finishes one event in a task of its own, so that
    /// a dropped request (Event Grid gave up waiting) or a panicking handler
    /// never leaves the event claimed and unhandled.
    async fn handle_once(&self, envelope: ChatEventEnvelope) -> Result<(), StatusCode> {
        let inner = Arc::clone(&self.inner);
        match tokio::spawn(handle_claimed(inner, envelope)).await {
            Ok(outcome) => outcome,
            // The task itself cannot panic (the handler runs under
            // catch_unwind); a cancelled runtime asks for a retry.
            Err(_) => Err(StatusCode::SERVICE_UNAVAILABLE),
        }
    }
}

async fn handle_claimed(inner: Arc<Inner>, envelope: ChatEventEnvelope) -> Result<(), StatusCode> {
    let id = envelope.id.clone();
    let dedup = &inner.deduplicator;
    match dedup.claim(&id).await {
        Ok(Claim::New) => {}
        Ok(Claim::Handled) => {
            tracing::debug!(target: "acs_chat::webhook", event_id = %id, "dropped a duplicate delivery");
            return Ok(());
        }
        Ok(Claim::InFlight) => return Err(StatusCode::SERVICE_UNAVAILABLE),
        Err(err) => {
            tracing::warn!(target: "acs_chat::webhook", event_id = %id, error = %err, "deduplication store failed");
            return Err(StatusCode::SERVICE_UNAVAILABLE);
        }
    }
    let event_type = envelope.event_type.clone();
    let outcome = match std::panic::AssertUnwindSafe((inner.handler)(envelope))
        .catch_unwind()
        .await
    {
        Ok(outcome) => outcome,
        Err(_) => Err(Box::new(HandlerPanicked) as BoxError),
    };
    let handled = outcome.is_ok();
    if let Err(err) = dedup.finish(&id, handled).await {
        tracing::warn!(target: "acs_chat::webhook", event_id = %id, error = %err, "deduplication store failed");
    }
    match outcome {
        Ok(()) => Ok(()),
        Err(err) if err.is::<StreamUnavailable>() => Err(StatusCode::SERVICE_UNAVAILABLE),
        Err(err) => {
            tracing::warn!(target: "acs_chat::webhook", event_id = %id, event_type = %event_type, error = %err, "event handler failed");
            Err(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// The handler panicked: answered 500, so Event Grid delivers again.
#[derive(Debug)]
struct HandlerPanicked;

impl std::fmt::Display for HandlerPanicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the event handler panicked")
    }
}

impl std::error::Error for HandlerPanicked {}

fn plain(status: StatusCode, message: &'static str) -> Response {
    (status, message).into_response()
}

fn too_large() -> Response {
    plain(StatusCode::PAYLOAD_TOO_LARGE, "delivery body too large")
}

fn bad_request(err: &EventParseError) -> Response {
    tracing::warn!(target: "acs_chat::webhook", error = %err, "refused a malformed delivery");
    (StatusCode::BAD_REQUEST, err.to_string()).into_response()
}
