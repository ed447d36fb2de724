//! Retries: which failures are retried and how long to wait in between. The
//! loop that runs the attempts is the pipeline's.

use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};

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

    /// The longest wait a retry may take.
    pub(crate) fn max_delay_limit(&self) -> Duration {
        self.max_delay
    }
}

/// What the attempts of a removal (a delete, or removing a participant)
/// learned so far. A 404 after an earlier attempt that may have been
/// processed (its answer was lost: a timeout, a dropped connection, 408, 500,
/// 502 or 504) means that attempt removed it: a success. After attempts that
/// provably did nothing (429, 503, no connection) a 404 is still an error.
#[derive(Debug, Default)]
pub(crate) struct Removal {
    maybe_done: bool,
}

impl Removal {
    /// The outcome of one attempt, given what the earlier ones did.
    pub(crate) fn settle<T: Default>(&mut self, outcome: Result<T>) -> Result<T> {
        match outcome {
            Err(error) if self.maybe_done && error.is_not_found() => {
                tracing::info!(
                    "404 after an attempt whose answer was lost: that attempt removed it"
                );
                Ok(T::default())
            }
            Err(error) => {
                // Only a retried failure leads to another attempt, and every
                // retried failure but these may have been processed.
                if !provably_not_processed(&error) {
                    self.maybe_done = true;
                }
                Err(error)
            }
            ok => ok,
        }
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

/// What to do with a failed attempt.
#[derive(Debug, PartialEq)]
pub(crate) enum Verdict {
    Retry,
    GiveUp,
    /// A non-idempotent request may have been processed: report that.
    OutcomeUnknown,
}

/// The verdict on `error` for an operation that is `idempotent` (its route
/// says whether the service may process it twice).
pub(crate) fn verdict(error: &Error, idempotent: bool) -> Verdict {
    if provably_not_processed(error) {
        return Verdict::Retry;
    }
    if !error.is_retryable() {
        return Verdict::GiveUp;
    }
    if idempotent {
        Verdict::Retry
    } else {
        Verdict::OutcomeUnknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        Error::from_response(status, &reqwest::header::HeaderMap::new(), b"")
    }

    #[test]
    fn sends_are_retried_only_when_provably_not_processed() {
        const NOT_IDEMPOTENT: bool = false;
        const IDEMPOTENT: bool = true;
        let connect = Error::new(ErrorKind::Connection, "refused");
        let timeout = Error::new(ErrorKind::Transport, "timed out");
        assert_eq!(verdict(&connect, NOT_IDEMPOTENT), Verdict::Retry);
        assert_eq!(verdict(&service(429), NOT_IDEMPOTENT), Verdict::Retry);
        assert_eq!(verdict(&service(503), NOT_IDEMPOTENT), Verdict::Retry);
        assert_eq!(verdict(&timeout, NOT_IDEMPOTENT), Verdict::OutcomeUnknown);
        assert_eq!(
            verdict(&service(502), NOT_IDEMPOTENT),
            Verdict::OutcomeUnknown
        );
        assert_eq!(
            verdict(&service(504), NOT_IDEMPOTENT),
            Verdict::OutcomeUnknown
        );
        assert_eq!(verdict(&service(400), NOT_IDEMPOTENT), Verdict::GiveUp);
        assert_eq!(verdict(&timeout, IDEMPOTENT), Verdict::Retry);
        assert_eq!(verdict(&service(502), IDEMPOTENT), Verdict::Retry);
        assert_eq!(verdict(&service(404), IDEMPOTENT), Verdict::GiveUp);
    }
}
