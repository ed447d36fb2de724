//! Retries: which failures are retried, how long to wait, and the loop that
//! runs each attempt afresh (rebuilding and re-signing the request).

use std::future::Future;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tracing::Instrument;

use crate::error::{Error, ErrorKind, Result};
use crate::policy::AttemptScope;

/// How failed requests are retried.
///
/// Throttling (429), 408, 502, 503, 504 and failed connections are retried
/// with exponential backoff and jitter, honouring the service's `Retry-After`,
/// `retry-after-ms` and `x-ms-retry-after-ms` headers.
///
/// ```
/// use std::time::Duration;
/// use acs_chat::RetryOptions;
///
/// let patient = RetryOptions::default().max_retries(5).max_delay(Duration::from_secs(30));
/// let none = RetryOptions::disabled();
/// # let _ = (patient, none);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryOptions {
    max_retries: u32,
    initial_delay: Duration,
    max_delay: Duration,
}

impl Default for RetryOptions {
    /// 3 retries, backoff from 0.8 s, at most 60 s per wait (as the official SDKs).
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(60),
        }
    }
}

impl RetryOptions {
    /// No retries at all.
    ///
    /// ```
    /// # let credential = acs_chat::CommunicationTokenCredential::new("eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl")?;
    /// use acs_chat::{ChatClient, RetryOptions};
    ///
    /// // A test against a local emulator that injects faults and wants to see each one.
    /// let client = ChatClient::builder("http://127.0.0.1:8080", credential)
    ///     .retry(RetryOptions::disabled())
    ///     .build()?;
    /// # Ok::<(), acs_chat::Error>(())
    /// ```
    pub fn disabled() -> Self {
        Self::default().max_retries(0)
    }

    /// How many times a failed request is tried again.
    ///
    /// ```
    /// use acs_chat::identity::CommunicationIdentityClient;
    /// use acs_chat::RetryOptions;
    ///
    /// # let connection_string = "endpoint=https://contoso.communication.azure.com/;accesskey=c2VjcmV0";
    /// // A nightly job that would rather wait than fail.
    /// let identity = CommunicationIdentityClient::builder_from_connection_string(connection_string)?
    ///     .retry(RetryOptions::default().max_retries(8))
    ///     .build()?;
    /// # Ok::<(), acs_chat::Error>(())
    /// ```
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The first backoff delay; each further one doubles it.
    ///
    /// ```
    /// # let credential = acs_chat::CommunicationTokenCredential::new("eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl")?;
    /// use std::time::Duration;
    /// use acs_chat::{ChatClient, RetryOptions};
    ///
    /// // Waits of about 0.2 s, 0.4 s and 0.8 s (±20%) before the three retries.
    /// let quick = RetryOptions::default().initial_delay(Duration::from_millis(200));
    /// let client = ChatClient::builder("https://contoso.communication.azure.com", credential)
    ///     .retry(quick)
    ///     .build()?;
    /// # Ok::<(), acs_chat::Error>(())
    /// ```
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// The longest single wait. A `Retry-After` longer than this is not waited
    /// for: the error is returned instead.
    ///
    /// ```
    /// # let credential = acs_chat::CommunicationTokenCredential::new("eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl")?;
    /// use std::time::Duration;
    /// use acs_chat::{ChatClient, RetryOptions};
    ///
    /// // An interactive app: fail rather than honour a `Retry-After` over 5 s.
    /// let interactive = RetryOptions::default().max_delay(Duration::from_secs(5));
    /// let client = ChatClient::builder("https://contoso.communication.azure.com", credential)
    ///     .retry(interactive)
    ///     .build()?;
    /// # Ok::<(), acs_chat::Error>(())
    /// ```
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The backoff before retry number `retry` (1-based), with ±20% jitter.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        let base = self.initial_delay.saturating_mul(1u32 << exponent);
        // `Duration::mul_f64` panics on overflow; a user may configure
        // delays near `Duration::MAX`.
        let jittered =
            Duration::try_from_secs_f64(base.as_secs_f64() * (0.8 + 0.4 * fastrand::f64()))
                .unwrap_or(Duration::MAX);
        jittered.min(self.max_delay)
    }
}

impl RetryOptions {
    /// The configured number of retries.
    pub(crate) fn retries(&self) -> u32 {
        self.max_retries
    }
}

/// Whether a status is worth retrying.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 502 | 503 | 504)
}

/// The wait the service asked for: `retry-after-ms`, `x-ms-retry-after-ms`
/// (milliseconds), or `Retry-After` (seconds or an HTTP date).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = header(name).and_then(|v| v.trim().parse::<f64>().ok()) {
            if ms.is_finite() && ms >= 0.0 {
                // Too large for a `Duration` (`1e300`): as long as possible;
                // the retry loop gives up on waits beyond `max_delay`.
                return Some(Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::MAX));
            }
        }
    }
    let value = header("retry-after")?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// One attempt of a delete. A 404 after an earlier attempt that may have
/// been processed (its answer was lost: a timeout, a dropped connection,
/// 408, 500, 502 or 504) means that attempt deleted it: a success. After
/// attempts that provably did nothing (429, 503, no connection) a 404 is
/// still an error. `maybe_done` carries that across the attempts.
pub(crate) async fn already_deleted_is_success<T: Default>(
    maybe_done: &std::sync::atomic::AtomicBool,
    attempt: impl Future<Output = Result<T>>,
) -> Result<T> {
    use std::sync::atomic::Ordering;
    let earlier_maybe_done = maybe_done.load(Ordering::Acquire);
    match attempt.await {
        Err(error) if earlier_maybe_done && error.is_not_found() => {
            tracing::info!("404 after an attempt whose answer was lost: that attempt deleted it");
            Ok(T::default())
        }
        Err(error) => {
            // Only a retried failure leads to another attempt, and every
            // retried failure but these may have been processed.
            if !provably_not_processed(&error) {
                maybe_done.store(true, Ordering::Release);
            }
            Err(error)
        }
        ok => ok,
    }
}

/// Failures the service provably did not process: no connection, or an
/// answer saying so (429, 503).
fn provably_not_processed(error: &Error) -> bool {
    match error.kind() {
        ErrorKind::Connection => true,
        ErrorKind::Service => matches!(error.status().map(|s| s.as_u16()), Some(429 | 503)),
        _ => false,
    }
}

/// Whether an operation may be repeated after it possibly reached the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// Reads, deletes, updates, and creates with a repeatability id.
    Idempotent,
    /// Sending a message: the service has no idempotency key for it, so it is
    /// retried only when the request provably did not reach the service.
    NotIdempotent,
}

/// What to do with a failed attempt.
#[derive(Debug, PartialEq)]
enum Verdict {
    Retry,
    GiveUp,
    /// A non-idempotent request may have been processed: report that.
    OutcomeUnknown,
}

fn verdict(error: &Error, idempotency: Idempotency) -> Verdict {
    if provably_not_processed(error) {
        return Verdict::Retry;
    }
    if !error.is_retryable() {
        return Verdict::GiveUp;
    }
    match idempotency {
        Idempotency::Idempotent => Verdict::Retry,
        Idempotency::NotIdempotent => Verdict::OutcomeUnknown,
    }
}

/// Runs `attempt` until it succeeds, fails for good, or the retries run out,
/// inside one `acs_chat.operation` span (operation, thread id, attempts,
/// outcome). Each attempt is a fresh call (a new request, signed again)
/// inside its own `acs_chat.request` span, a child of the operation's.
pub(crate) async fn run<T, F, Fut>(
    options: &RetryOptions,
    operation: &'static str,
    thread_id: Option<&str>,
    idempotency: Idempotency,
    attempt: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let span = tracing::info_span!(
        "acs_chat.operation",
        operation,
        thread_id = thread_id.unwrap_or(""),
        attempts = tracing::field::Empty,
        outcome = tracing::field::Empty,
    );
    let result = run_attempts(options, operation, thread_id, idempotency, attempt, &span)
        .instrument(span.clone())
        .await;
    match &result {
        Ok(_) => span.record("outcome", "ok"),
        Err(error) => span.record("outcome", tracing::field::display(error.kind())),
    };
    result
}

async fn run_attempts<T, F, Fut>(
    options: &RetryOptions,
    operation: &'static str,
    thread_id: Option<&str>,
    idempotency: Idempotency,
    mut attempt: F,
    operation_span: &tracing::Span,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut retry = 0u32;
    loop {
        operation_span.record("attempts", retry + 1);
        let span = tracing::info_span!(
            parent: operation_span,
            "acs_chat.request",
            operation,
            thread_id = thread_id.unwrap_or(""),
            attempt = retry + 1,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        let scope = AttemptScope::new();
        let started = std::time::Instant::now();
        let outcome = scope.run(attempt()).instrument(span.clone()).await;
        if let Some(id) = scope.client_request_id() {
            span.record("request_id", id.as_str());
        }
        if let Some(status) = scope.status() {
            span.record("status", status);
        }
        // One event per attempt, so that `RUST_LOG=acs_chat=debug` lists the
        // requests (the span's fields say which).
        tracing::debug!(
            parent: &span,
            elapsed_ms = started.elapsed().as_millis() as u64,
            ok = outcome.is_ok(),
            "request done"
        );
        let error = match outcome {
            Ok(value) => return Ok(value),
            Err(error) => error.with_client_request_id(scope.client_request_id()),
        };
        let verdict = verdict(&error, idempotency);
        if verdict == Verdict::OutcomeUnknown {
            tracing::warn!(parent: &span, %error, "not retried: the outcome is unknown");
            return Err(error.into_outcome_unknown(operation));
        }
        if verdict == Verdict::GiveUp || retry >= options.max_retries {
            return Err(error);
        }
        retry += 1;
        let wait = error
            .retry_after()
            .unwrap_or_else(|| options.backoff(retry));
        if wait > options.max_delay {
            tracing::warn!(parent: &span, ?wait, "the service asked to wait longer than max_delay");
            return Err(error);
        }
        tracing::info!(parent: &span, %error, ?wait, "retrying");
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_every_header_form() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert("x-ms-retry-after-ms", "250".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
        headers.insert("retry-after-ms", "1500".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(1500)));

        let mut dated = HeaderMap::new();
        let later = std::time::SystemTime::now() + Duration::from_secs(30);
        dated.insert(
            "retry-after",
            httpdate::fmt_http_date(later).parse().unwrap(),
        );
        let wait = retry_after(&dated).unwrap();
        assert!(
            wait > Duration::from_secs(27) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );

        let mut junk = HeaderMap::new();
        junk.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&junk), None);
    }

    #[test]
    fn hostile_retry_after_values_never_panic() {
        let cases = [
            ("retry-after-ms", "1e300", Some(Duration::MAX)),
            ("x-ms-retry-after-ms", "1e300", Some(Duration::MAX)),
            ("retry-after-ms", "1e23", Some(Duration::MAX)),
            ("retry-after-ms", "-5", None),
            ("retry-after-ms", "NaN", None),
            ("retry-after-ms", "inf", None),
            ("retry-after-ms", "0x10", None),
            ("retry-after", "-1", None),
            ("retry-after", "1e300", None),
            ("retry-after", "99999999999999999999999", None),
            (
                "retry-after",
                "18446744073709551615",
                Some(Duration::from_secs(u64::MAX)),
            ),
            ("retry-after", "Thu, 99 Foo 2026 99:99:99 GMT", None),
        ];
        for (name, value, expected) in cases {
            let mut headers = HeaderMap::new();
            headers.insert(name, value.parse().unwrap());
            assert_eq!(retry_after(&headers), expected, "{name}: {value}");
        }
    }

    #[test]
    fn backoff_with_huge_configured_delays_never_panics() {
        let options = RetryOptions::default()
            .initial_delay(Duration::MAX)
            .max_delay(Duration::MAX);
        for retry in [1, 2, 31, 1000, u32::MAX] {
            assert!(options.backoff(retry) > Duration::from_secs(1));
        }
        let capped = RetryOptions::default()
            .initial_delay(Duration::from_secs(u64::MAX / 2))
            .max_delay(Duration::from_secs(60));
        assert_eq!(capped.backoff(40), Duration::from_secs(60));
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let options = RetryOptions::default();
        for _ in 0..50 {
            let first = options.backoff(1);
            assert!(first >= Duration::from_millis(640) && first <= Duration::from_millis(960));
            let third = options.backoff(3);
            assert!(third >= Duration::from_millis(2560) && third <= Duration::from_millis(3840));
            assert!(options.backoff(20) <= Duration::from_secs(60));
        }
    }

    fn service(status: u16) -> Error {
        Error::from_response(status, &HeaderMap::new(), b"")
    }

    #[test]
    fn sends_are_retried_only_when_provably_not_processed() {
        use Idempotency::*;
        let connect = Error::new(ErrorKind::Connection, "refused");
        let timeout = Error::new(ErrorKind::Transport, "timed out");
        assert_eq!(verdict(&connect, NotIdempotent), Verdict::Retry);
        assert_eq!(verdict(&service(429), NotIdempotent), Verdict::Retry);
        assert_eq!(verdict(&service(503), NotIdempotent), Verdict::Retry);
        assert_eq!(verdict(&timeout, NotIdempotent), Verdict::OutcomeUnknown);
        assert_eq!(
            verdict(&service(502), NotIdempotent),
            Verdict::OutcomeUnknown
        );
        assert_eq!(
            verdict(&service(504), NotIdempotent),
            Verdict::OutcomeUnknown
        );
        assert_eq!(verdict(&service(400), NotIdempotent), Verdict::GiveUp);
        assert_eq!(verdict(&timeout, Idempotent), Verdict::Retry);
        assert_eq!(verdict(&service(502), Idempotent), Verdict::Retry);
        assert_eq!(verdict(&service(404), Idempotent), Verdict::GiveUp);
    }
}
