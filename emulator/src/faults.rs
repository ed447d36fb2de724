//! Opt-in fault injection for the spec routes (never for `/admin/*`).
//!
//! Configure with [`crate::EmulatorBuilder::faults`], `POST /admin/faults`,
//! or the binary's `--faults JSON`:
//!
//! ```json
//! {"rate429": 0.1, "retryAfterSeconds": 1, "rate503": 0.05, "latencyMs": 0,
//!  "dropBeforeRate": 0.0, "dropAfterRate": 0.0, "truncateRate": 0.0,
//!  "slowRate": 0.0, "slowLatencyMs": 0, "seed": 42, "pathPrefix": null}
//! ```
//!
//! Per matching request (path starts with `pathPrefix`, when set):
//!
//! 1. `latencyMs` of delay is added;
//! 2. one number `r` in `[0, 1)` is drawn from a generator seeded with `seed`
//!    (re-seeded whenever the configuration is set), and the outcome is the
//!    first band `r` falls in, in this order: `rate429` → 429, `rate503` →
//!    503, `dropBeforeRate` → connection dropped before the request is
//!    processed, `dropAfterRate` → request processed (its state changes
//!    happen) and the connection dropped instead of answering,
//!    `truncateRate` → request processed, the answer's status and headers
//!    sent (with the full `Content-Length`) but only the first half of its
//!    body, then the connection dropped, `slowRate` → request processed and
//!    its answer held back `slowLatencyMs` (to exceed a client's per-try
//!    timeout); otherwise the request proceeds normally. The rates must sum
//!    to at most 1.
//!
//! 429 and 503 answers carry `Retry-After: <retryAfterSeconds>` and
//! `retry-after-ms`, plus the service's error body (`TooManyRequests` /
//! `ServiceUnavailable`; the exact real messages are not public, these are
//! guesses). Every injected fault response also carries
//! `x-acs-emulator-fault: <kind>`. Drops are done by aborting the connection
//! through its [`ConnectionControl`] (see [`crate::connection`]).
//!
//! With the same seed and the same sequence of requests, the same faults are
//! injected (concurrent requests draw in arrival order).

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::future::Either;
use serde::{Deserialize, Serialize};
use tower::{Layer, Service, ServiceExt};

use crate::connection::ConnectionControl;
use crate::error::ApiError;
use crate::sync::lock;

/// Upper bound for `latencyMs` (one minute).
pub const MAX_LATENCY_MS: u64 = 60_000;
/// Upper bound for `retryAfterSeconds` (one hour).
pub const MAX_RETRY_AFTER_SECONDS: u64 = 3_600;
/// Header naming the injected fault on fault responses.
pub const FAULT_HEADER: &str = "x-acs-emulator-fault";

/// How long a request whose connection was aborted waits before giving up
/// (its answer goes nowhere; this only bounds the task's lifetime).
const ABORTED_REQUEST_LINGER: Duration = Duration::from_secs(10);

/// Fault injection settings (JSON field names in camelCase).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Probability of answering 429 Too Many Requests.
    pub rate429: f64,
    /// `Retry-After` seconds on 429 and 503 answers.
    pub retry_after_seconds: u64,
    /// Probability of answering 503 Service Unavailable.
    pub rate503: f64,
    /// Delay added to every matching request, in milliseconds.
    pub latency_ms: u64,
    /// Probability of dropping the connection without processing.
    pub drop_before_rate: f64,
    /// Probability of processing, then dropping the connection unanswered.
    pub drop_after_rate: f64,
    /// Probability of processing, then sending half the answer's body and
    /// dropping the connection.
    pub truncate_rate: f64,
    /// Probability of processing, then holding the answer `slow_latency_ms`.
    pub slow_rate: f64,
    /// How long a slow answer is held, in milliseconds.
    pub slow_latency_ms: u64,
    /// Seed of the random generator.
    pub seed: u64,
    /// Only requests whose path starts with this are affected (all if unset).
    pub path_prefix: Option<String>,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            rate429: 0.0,
            retry_after_seconds: 1,
            rate503: 0.0,
            latency_ms: 0,
            drop_before_rate: 0.0,
            drop_after_rate: 0.0,
            truncate_rate: 0.0,
            slow_rate: 0.0,
            slow_latency_ms: 0,
            seed: 0,
            path_prefix: None,
        }
    }
}

impl FaultConfig {
    /// Checks ranges: each rate in `[0, 1]`, their sum at most 1, latency and
    /// retry-after bounded.
    pub fn validate(&self) -> Result<(), ApiError> {
        let rates = [
            ("rate429", self.rate429),
            ("rate503", self.rate503),
            ("dropBeforeRate", self.drop_before_rate),
            ("dropAfterRate", self.drop_after_rate),
            ("truncateRate", self.truncate_rate),
            ("slowRate", self.slow_rate),
        ];
        for (name, rate) in rates {
            if !(0.0..=1.0).contains(&rate) {
                return Err(ApiError::validation(
                    name,
                    format!("{name} must be between 0 and 1."),
                ));
            }
        }
        let sum: f64 = rates.iter().map(|(_, r)| r).sum();
        if sum > 1.0 + 1e-9 {
            return Err(ApiError::validation(
                "rate429",
                "The sum of rate429, rate503, dropBeforeRate, dropAfterRate, truncateRate and slowRate must be at most 1.",
            ));
        }
        for (name, ms) in [
            ("latencyMs", self.latency_ms),
            ("slowLatencyMs", self.slow_latency_ms),
        ] {
            if ms > MAX_LATENCY_MS {
                return Err(ApiError::validation(
                    name,
                    format!("{name} must be at most {MAX_LATENCY_MS}."),
                ));
            }
        }
        if self.retry_after_seconds > MAX_RETRY_AFTER_SECONDS {
            return Err(ApiError::validation(
                "retryAfterSeconds",
                format!("retryAfterSeconds must be at most {MAX_RETRY_AFTER_SECONDS}."),
            ));
        }
        Ok(())
    }

    /// Whether this configuration changes any request.
    fn is_active(&self) -> bool {
        self.latency_ms > 0 || self.any_rate()
    }

    fn any_rate(&self) -> bool {
        self.rate429 > 0.0
            || self.rate503 > 0.0
            || self.drop_before_rate > 0.0
            || self.drop_after_rate > 0.0
            || self.truncate_rate > 0.0
            || self.slow_rate > 0.0
    }
}

/// What the fault layer decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// Process normally.
    Pass,
    /// Answer 429 with this `Retry-After` (seconds).
    Throttle(u64),
    /// Answer 503 with this `Retry-After` (seconds).
    Unavailable(u64),
    /// Drop the connection without processing.
    DropBefore,
    /// Process, then drop the connection without answering.
    DropAfter,
    /// Process, then send half the answer's body and drop the connection.
    Truncate,
    /// Process, then hold the answer this long.
    Slow(Duration),
}

/// A decision: delay first, then the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultDecision {
    /// Delay to add before anything else.
    pub latency: Duration,
    /// What to do after the delay.
    pub action: FaultAction,
}

struct Inner {
    config: FaultConfig,
    rng: fastrand::Rng,
}

/// The live fault configuration plus its seeded random generator.
pub struct FaultState {
    inner: Mutex<Inner>,
    /// Whether the configuration does anything: read without the lock, so
    /// that requests of an emulator without faults never contend for it.
    active: AtomicBool,
}

impl std::fmt::Debug for FaultState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultState")
            .field("config", &self.config())
            .finish()
    }
}

impl Default for FaultState {
    fn default() -> Self {
        Self::new(FaultConfig::default())
    }
}

impl FaultState {
    /// A state with `config` (not validated; see [`FaultConfig::validate`]).
    pub fn new(config: FaultConfig) -> Self {
        let rng = fastrand::Rng::with_seed(config.seed);
        Self {
            active: AtomicBool::new(config.is_active()),
            inner: Mutex::new(Inner { config, rng }),
        }
    }

    /// The current configuration.
    pub fn config(&self) -> FaultConfig {
        lock(&self.inner).config.clone()
    }

    /// Validates and installs `config`, re-seeding the generator.
    pub fn set(&self, config: FaultConfig) -> Result<(), ApiError> {
        config.validate()?;
        let mut inner = lock(&self.inner);
        inner.rng = fastrand::Rng::with_seed(config.seed);
        self.active.store(config.is_active(), Ordering::Release);
        inner.config = config;
        Ok(())
    }

    /// Back to no faults.
    pub fn clear(&self) {
        let mut inner = lock(&self.inner);
        inner.config = FaultConfig::default();
        inner.rng = fastrand::Rng::with_seed(0);
        self.active.store(false, Ordering::Release);
    }

    /// Whether any fault is configured.
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    /// Decides the fate of a request to `path`.
    pub fn decide(&self, path: &str) -> FaultDecision {
        let pass = FaultDecision {
            latency: Duration::ZERO,
            action: FaultAction::Pass,
        };
        if !self.active.load(Ordering::Acquire) {
            return pass;
        }
        let mut inner = lock(&self.inner);
        let config = &inner.config;
        if let Some(prefix) = &config.path_prefix {
            if !path.starts_with(prefix.as_str()) {
                return pass;
            }
        }
        let latency = Duration::from_millis(config.latency_ms);
        if !config.any_rate() {
            return FaultDecision { latency, ..pass };
        }
        let retry = config.retry_after_seconds;
        let bands = [
            (config.rate429, FaultAction::Throttle(retry)),
            (config.rate503, FaultAction::Unavailable(retry)),
            (config.drop_before_rate, FaultAction::DropBefore),
            (config.drop_after_rate, FaultAction::DropAfter),
            (config.truncate_rate, FaultAction::Truncate),
            (
                config.slow_rate,
                FaultAction::Slow(Duration::from_millis(config.slow_latency_ms)),
            ),
        ];
        let r = inner.rng.f64();
        let mut edge = 0.0;
        for (rate, action) in bands {
            edge += rate;
            if r < edge {
                return FaultDecision { latency, action };
            }
        }
        FaultDecision { latency, ..pass }
    }
}

/// A tower layer applying [`FaultState::decide`] to each request of the
/// services it wraps (the spec routes).
///
/// ```
/// use std::sync::Arc;
/// use acs_chat_emulator::faults::{FaultLayer, FaultState};
/// use acs_chat_emulator::FaultConfig;
/// use tower::ServiceExt;
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let faults = Arc::new(FaultState::new(FaultConfig { rate429: 1.0, ..Default::default() }));
/// let routes = axum::Router::new()
///     .route("/x", axum::routing::get(|| async { "ok" }))
///     .layer(FaultLayer::new(Arc::clone(&faults)));
/// let request = || axum::http::Request::get("/x").body(axum::body::Body::empty()).unwrap();
/// assert_eq!(routes.clone().oneshot(request()).await.unwrap().status(), 429);
/// faults.clear();
/// assert!(!faults.is_active());
/// assert_eq!(routes.oneshot(request()).await.unwrap().status(), 200);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct FaultLayer {
    faults: Arc<FaultState>,
}

impl FaultLayer {
    /// Faults drawn from `faults`.
    pub fn new(faults: Arc<FaultState>) -> Self {
        Self { faults }
    }
}

impl<S> Layer<S> for FaultLayer {
    type Service = FaultService<S>;

    fn layer(&self, inner: S) -> FaultService<S> {
        FaultService {
            inner,
            faults: Arc::clone(&self.faults),
        }
    }
}

/// The service of [`FaultLayer`]. With no faults configured it calls the
/// service beneath as it is: this layer adds no boxed future and no clone of
/// that service (an axum `from_fn` middleware adds both on every request).
#[derive(Debug, Clone)]
pub struct FaultService<S> {
    inner: S,
    faults: Arc<FaultState>,
}

type BoxedResponse = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl<S> Service<Request> for FaultService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<S::Future, BoxedResponse>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        if !self.faults.is_active() {
            return Either::Left(self.inner.call(req));
        }
        // The service made ready by `poll_ready` goes with the request; a
        // clone stays for the next one.
        let ready = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, ready);
        let faults = Arc::clone(&self.faults);
        Either::Right(Box::pin(async move {
            Ok(with_faults(&faults, req, inner).await)
        }))
    }
}

/// `req` through `inner` with the fault [`FaultState::decide`] draws.
async fn with_faults<S>(faults: &FaultState, req: Request, inner: S) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    let run = |req: Request| async move {
        let Ok(response) = inner.oneshot(req).await;
        response
    };
    let decision = faults.decide(req.uri().path());
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    match decision.action {
        FaultAction::Pass => run(req).await,
        FaultAction::Throttle(secs) => retry_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Too many requests; retry later.",
            secs,
            "429",
        ),
        FaultAction::Unavailable(secs) => retry_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "The service is temporarily unavailable; retry later.",
            secs,
            "503",
        ),
        FaultAction::DropBefore => {
            let control = req.extensions().get::<ConnectionControl>().cloned();
            drop_connection(control, "drop-before").await
        }
        FaultAction::DropAfter => {
            let control = req.extensions().get::<ConnectionControl>().cloned();
            // Processed for real: state changes happen, the answer is lost.
            let _unsent = run(req).await;
            drop_connection(control, "drop-after").await
        }
        FaultAction::Truncate => {
            let control = req.extensions().get::<ConnectionControl>().cloned();
            let response = run(req).await;
            truncate(response, control).await
        }
        FaultAction::Slow(delay) => {
            let response = run(req).await;
            tokio::time::sleep(delay).await;
            response
        }
    }
}

/// `response` with its full `Content-Length` but a body that stops halfway
/// with an error, which makes hyper drop the connection there. An answer
/// without a body has nothing to cut: its connection is dropped instead.
async fn truncate(response: Response, control: Option<ConnectionControl>) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return drop_connection(control, "truncate").await;
    };
    if bytes.is_empty() {
        return drop_connection(control, "truncate").await;
    }
    parts.headers.insert(
        axum::http::header::CONTENT_LENGTH,
        HeaderValue::from(bytes.len()),
    );
    parts.headers.insert(
        HeaderName::from_static(FAULT_HEADER),
        HeaderValue::from_static("truncate"),
    );
    let half = bytes.slice(..bytes.len() / 2);
    Response::from_parts(parts, axum::body::Body::new(CutShort::new(half)))
}

/// A body that yields its one chunk, waits a moment (so hyper writes out
/// the head and that chunk), then fails.
struct CutShort {
    first: Option<bytes::Bytes>,
    pause: std::pin::Pin<Box<tokio::time::Sleep>>,
}

impl CutShort {
    fn new(first: bytes::Bytes) -> Self {
        Self {
            first: Some(first),
            pause: Box::pin(tokio::time::sleep(Duration::from_millis(20))),
        }
    }
}

impl http_body::Body for CutShort {
    type Data = bytes::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        if let Some(chunk) = self.first.take() {
            return std::task::Poll::Ready(Some(Ok(http_body::Frame::data(chunk))));
        }
        std::task::ready!(self.pause.as_mut().poll(cx));
        std::task::Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "truncated answer injected",
        ))))
    }
}

fn retry_error(
    status: StatusCode,
    code: &str,
    message: &str,
    secs: u64,
    kind: &'static str,
) -> Response {
    ApiError::new(status, code, message)
        .with_retry_after(Duration::from_secs(secs))
        .with_header(
            HeaderName::from_static(FAULT_HEADER),
            HeaderValue::from_static(kind),
        )
        .into_response()
}

async fn drop_connection(control: Option<ConnectionControl>, kind: &'static str) -> Response {
    match control {
        Some(control) => {
            control.abort();
            // The connection task drops this future together with the
            // connection; the timeout only bounds it should that not happen.
            tokio::time::sleep(ABORTED_REQUEST_LINGER).await;
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "connection drop injected",
            )
            .with_header(
                HeaderName::from_static(FAULT_HEADER),
                HeaderValue::from_static(kind),
            )
            .into_response()
        }
        // Outside the emulator's server (e.g. the router driven directly in a
        // unit test) there is no connection to drop.
        None => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "connection drop injected, but no connection control is available",
        )
        .with_header(
            HeaderName::from_static(FAULT_HEADER),
            HeaderValue::from_static(kind),
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_passes_without_latency() {
        let state = FaultState::default();
        let d = state.decide("/identities");
        assert_eq!(d.action, FaultAction::Pass);
        assert!(d.latency.is_zero());
    }

    #[test]
    fn rejects_bad_configs() {
        let state = FaultState::default();
        let bad_rate = FaultConfig {
            rate429: 1.5,
            ..FaultConfig::default()
        };
        assert!(state.set(bad_rate).is_err());
        let bad_sum = FaultConfig {
            rate429: 0.6,
            rate503: 0.6,
            ..FaultConfig::default()
        };
        assert!(state.set(bad_sum).is_err());
        let bad_latency = FaultConfig {
            latency_ms: MAX_LATENCY_MS + 1,
            ..FaultConfig::default()
        };
        assert!(state.set(bad_latency).is_err());
    }

    #[test]
    fn seeded_sequences_repeat() {
        let config = FaultConfig {
            rate429: 0.3,
            rate503: 0.2,
            drop_before_rate: 0.1,
            seed: 42,
            ..FaultConfig::default()
        };
        let run = || {
            let state = FaultState::new(config.clone());
            (0..200)
                .map(|_| state.decide("/x").action)
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let throttled = a
            .iter()
            .filter(|x| matches!(x, FaultAction::Throttle(1)))
            .count();
        assert!((30..=90).contains(&throttled), "{throttled}");
        assert!(a.contains(&FaultAction::Pass));
        assert!(a.contains(&FaultAction::DropBefore));
    }

    #[test]
    fn rate_one_always_fires_and_prefix_filters() {
        let state = FaultState::new(FaultConfig {
            rate503: 1.0,
            path_prefix: Some("/chat".to_owned()),
            ..FaultConfig::default()
        });
        assert_eq!(
            state.decide("/chat/threads").action,
            FaultAction::Unavailable(1)
        );
        assert_eq!(state.decide("/identities").action, FaultAction::Pass);
    }

    #[test]
    fn config_json_names() {
        let json = serde_json::json!({"rate429": 0.1, "retryAfterSeconds": 2, "latencyMs": 5,
            "dropBeforeRate": 0.0, "dropAfterRate": 0.0, "rate503": 0.05, "seed": 42});
        let config: Result<FaultConfig, _> = serde_json::from_value(json);
        assert!(config
            .as_ref()
            .is_ok_and(|c| c.retry_after_seconds == 2 && c.latency_ms == 5));
        let typo: Result<FaultConfig, _> =
            serde_json::from_value(serde_json::json!({"rate_429": 1}));
        assert!(typo.is_err());
    }
}
