//! User access tokens for Azure Communication Services.
//!
//! A Communication Services user authenticates with a JWT issued by the
//! Identity service. [`CommunicationTokenCredential`] holds that token and,
//! when given a refresher, fetches a new one before the old one runs out.
//!
//! Two modes:
//!
//! - **Static** ([`CommunicationTokenCredential::new`]): one token, used
//!   until it expires, after which [`get_token`] fails.
//! - **Refreshing** ([`CommunicationTokenCredential::with_refresher`]): the
//!   refresher is called when fewer than two minutes of the token's lifetime
//!   remain (or there is no token yet). A caller whose token still has 30
//!   seconds or more does not wait for that refresh; one call of the
//!   refresher may take at most the refresh timeout (30 s by default).
//!   Optionally the credential also refreshes *proactively* in the
//!   background, ten minutes before expiry, so that requests rarely wait.
//!
//! Concurrent callers share a single refresher call. Tokens never appear in
//! `Debug` output or in error messages.
//!
//! [`get_token`]: CommunicationTokenCredential::get_token
//!
//! ```
//! use acs_chat::credential::CommunicationTokenCredential;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A token whose payload is {"exp":4102444800} (1 January 2100).
//! let jwt = "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl";
//! let credential = CommunicationTokenCredential::new(jwt)?;
//! let token = credential.get_token().await?;
//! assert_eq!(token.token(), jwt);
//! assert_eq!(token.expires_on().timestamp(), 4_102_444_800);
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, Engine as _, GeneralPurpose, GeneralPurposeConfig};
use chrono::{DateTime, TimeDelta, Utc};
use futures::future::{BoxFuture, FutureExt, Shared};
use reqwest::header::HeaderValue;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::header_copies;
use crate::sync::lock;

type BoxError = Box<dyn StdError + Send + Sync>;
type RefreshFuture = BoxFuture<'static, std::result::Result<String, BoxError>>;
type Refresher = Arc<dyn Fn() -> RefreshFuture + Send + Sync>;

/// A token with less than this much lifetime left is refreshed by
/// `get_token` before being handed out.
const ON_DEMAND_REFRESH_WINDOW: TimeDelta = TimeDelta::minutes(2);

/// Proactive refresh aims at this long before expiry (as the official SDKs do).
const PROACTIVE_REFRESH_WINDOW: TimeDelta = TimeDelta::minutes(10);

/// A caller only skips waiting for a refresh while its token has at least
/// this long to live.
const NO_WAIT_MARGIN: TimeDelta = TimeDelta::seconds(30);

/// How long one call of the refresher may take by default before it counts
/// as failed (see [`CommunicationTokenCredentialBuilder::refresh_timeout`]).
pub const DEFAULT_REFRESH_TIMEOUT: Duration = Duration::from_secs(30);

/// Inside the proactive window the next attempt is at this fraction of the
/// remaining lifetime, so failed attempts back off towards expiry.
const PROACTIVE_RETRY_DIVISOR: i32 = 2;

/// Floor for a proactive delay, so that a token about to expire cannot make
/// the background task spin.
const MIN_PROACTIVE_DELAY: TimeDelta = TimeDelta::seconds(1);

/// Longest single sleep of the background task. Tokio timers run on the
/// monotonic clock, which stands still while the machine is suspended; waking
/// up regularly to compare against the wall clock bounds how late a refresh
/// can be after a resume.
const MAX_NAP: Duration = Duration::from_secs(60);

/// JWT payloads are base64url without padding (RFC 7515). Padding is
/// tolerated, as are non-zero trailing bits, since being strict here would
/// only reject tokens the service accepts.
const JWT_PAYLOAD_ENGINE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// A string whose `Debug` output hides it.
#[derive(Clone, PartialEq, Eq)]
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"REDACTED\"")
    }
}

/// An access token and the time it expires.
///
/// `Debug` prints `token: "REDACTED"`; read the token itself with
/// [`token`](Self::token) only to put it on the wire.
///
/// ```
/// use acs_chat::credential::AccessToken;
/// use chrono::{TimeZone, Utc};
///
/// let expires_on = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
/// let token = AccessToken::new("secret-jwt", expires_on);
/// assert_eq!(token.token(), "secret-jwt");
/// assert!(!format!("{token:?}").contains("secret-jwt"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    token: Secret,
    expires_on: DateTime<Utc>,
}

impl AccessToken {
    /// Creates an access token from its text and expiry time. Nothing is
    /// parsed or checked.
    ///
    /// ```
    /// use acs_chat::chrono::{DateTime, Utc};
    /// use acs_chat::AccessToken;
    ///
    /// // The `token` and `expiresOn` your token service returned.
    /// let expires_on: DateTime<Utc> = "2030-05-01T10:00:00Z".parse().expect("an RFC 3339 time");
    /// let token = AccessToken::new("<user access token>", expires_on);
    /// assert_eq!(token.expires_on(), expires_on);
    /// ```
    pub fn new(token: impl Into<String>, expires_on: DateTime<Utc>) -> Self {
        Self {
            token: Secret(token.into()),
            expires_on,
        }
    }

    /// The token text, for the `Authorization` header.
    ///
    /// ```
    /// use acs_chat::chrono::{Duration, Utc};
    /// use acs_chat::AccessToken;
    ///
    /// let token = AccessToken::new("eyJhbGciOi...", Utc::now() + Duration::hours(1));
    /// // E.g. for a request this crate does not make for you.
    /// let authorization = format!("Bearer {}", token.token());
    /// assert_eq!(authorization, "Bearer eyJhbGciOi...");
    /// ```
    pub fn token(&self) -> &str {
        &self.token.0
    }

    /// When the token expires.
    ///
    /// ```
    /// use acs_chat::chrono::{Duration, Utc};
    /// use acs_chat::AccessToken;
    ///
    /// let token = AccessToken::new("<user access token>", Utc::now() + Duration::minutes(90));
    /// let left = token.expires_on() - Utc::now();
    /// if left < Duration::hours(2) {
    ///     println!("the token expires in {} minutes", left.num_minutes());
    /// }
    /// ```
    pub fn expires_on(&self) -> DateTime<Utc> {
        self.expires_on
    }

    /// Reads the expiry from a JWT's `exp` claim. The reason for a failure
    /// names what is wrong, never any part of the token.
    fn from_jwt(token: String) -> std::result::Result<Self, &'static str> {
        let expires_on = jwt_expiry(&token)?;
        Ok(Self {
            token: Secret(token),
            expires_on,
        })
    }
}

pub(crate) fn jwt_expiry(token: &str) -> std::result::Result<DateTime<Utc>, &'static str> {
    let mut segments = token.split('.');
    let payload = match (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) {
        (Some(_), Some(payload), Some(_), None) => payload,
        _ => return Err("it does not have three dot-separated segments"),
    };
    // The JS SDK's decoder also accepts the standard alphabet; mapping it onto
    // base64url keeps tokens that work there working here.
    let payload = if payload.contains(['+', '/']) {
        Cow::Owned(payload.replace('+', "-").replace('/', "_"))
    } else {
        Cow::Borrowed(payload)
    };
    let bytes = JWT_PAYLOAD_ENGINE
        .decode(payload.as_bytes())
        .map_err(|_| "its payload is not valid base64url")?;
    // Parsing into `Value` rather than a typed struct keeps serde's messages
    // (which may quote claim values) out of the picture entirely.
    let claims: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| "its payload is not JSON")?;
    let exp = claims
        .as_object()
        .ok_or("its payload is not a JSON object")?
        .get("exp")
        .ok_or("its payload has no `exp` claim")?;
    let seconds = match (exp.as_i64(), exp.as_f64()) {
        (Some(seconds), _) => seconds,
        // NumericDate may have a fraction; rounding down errs on the side of
        // refreshing early. The saturating cast sends absurd values to the
        // range check below.
        (None, Some(seconds)) => seconds.floor() as i64,
        (None, None) => return Err("its `exp` claim is not a number"),
    };
    DateTime::from_timestamp(seconds, 0).ok_or("its `exp` claim is out of range")
}

fn malformed_token_error(reason: &str) -> Error {
    Error::credential(
        format!("the access token is not a valid JWT: {reason}"),
        None,
    )
}

/// The wall clock, replaceable in tests by one that follows Tokio's paused
/// time.
#[derive(Debug, Clone, Copy)]
enum Clock {
    System,
    #[cfg(test)]
    Tokio {
        start: tokio::time::Instant,
        start_utc: DateTime<Utc>,
    },
}

impl Clock {
    fn now(self) -> DateTime<Utc> {
        match self {
            Self::System => Utc::now(),
            #[cfg(test)]
            Self::Tokio { start, start_utc } => TimeDelta::from_std(start.elapsed())
                .ok()
                .and_then(|elapsed| start_utc.checked_add_signed(elapsed))
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        }
    }
}

/// `instant - window`, saturating instead of panicking for absurd expiries.
fn minus(instant: DateTime<Utc>, window: TimeDelta) -> DateTime<Utc> {
    instant
        .checked_sub_signed(window)
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Why a refresh produced no usable token. Cloneable so that every caller
/// sharing a refresh gets the same answer.
#[derive(Debug, Clone)]
enum RefreshFailure {
    Refresher(Arc<dyn StdError + Send + Sync>),
    Panicked,
    Malformed(&'static str),
    Expired,
    TimedOut(Duration),
}

impl fmt::Display for RefreshFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refresher(_) => f.write_str("the token refresher failed"),
            Self::Panicked => f.write_str("the token refresher panicked"),
            Self::Malformed(reason) => write!(
                f,
                "the token refresher returned a token that is not a valid JWT: {reason}"
            ),
            Self::Expired => {
                f.write_str("the token refresher returned a token that has already expired")
            }
            Self::TimedOut(limit) => {
                write!(f, "the token refresher did not answer within {limit:?}")
            }
        }
    }
}

impl RefreshFailure {
    fn to_error(&self) -> Error {
        let source = match self {
            Self::Refresher(source) => Some(Box::new(Arc::clone(source)) as BoxError),
            _ => None,
        };
        Error::credential(self.to_string(), source)
    }
}

type RefreshOutcome = std::result::Result<AccessToken, RefreshFailure>;

/// A refresh in progress, shared by everyone who waits for it.
#[derive(Clone)]
struct Flight {
    id: u64,
    outcome: Shared<BoxFuture<'static, RefreshOutcome>>,
}

struct State {
    token: Option<AccessToken>,
    /// `Bearer <token>` of a token handed out before: checked against
    /// `token` when read under the lock, and dropped (with its key) when a
    /// refresh replaces the token, so a replaced token is never sent by
    /// mistake.
    bearer: Option<HeaderValue>,
    /// The [`header_copies`] key of `bearer` (0 without one).
    bearer_key: u64,
    flight: Option<Flight>,
    next_flight_id: u64,
}

struct Inner {
    state: Mutex<State>,
    /// `state.bearer_key` while that bearer is the current token's, else 0:
    /// read without the lock, so that a request on a thread holding a copy
    /// of the bearer neither locks nor shares a reference count.
    bearer_key: AtomicU64,
    /// Whether the background refresh task is running (it clears this when
    /// it ends or its runtime drops it), read so that requests do not take
    /// `proactive_task`'s lock.
    proactive_running: Arc<AtomicBool>,
    refresher: Option<Refresher>,
    refresh_proactively: bool,
    clock: Clock,
    /// The longest one refresher call may take.
    refresh_timeout: Duration,
    /// Ticks whenever a refresh stores a new token; the background task also
    /// learns from its closing that the credential is gone.
    token_changed: watch::Sender<()>,
    proactive_task: Mutex<Option<JoinHandle<()>>>,
}

impl Inner {
    /// The kept `Bearer` value, if it is the current token's and that token
    /// has more than `window` of lifetime left.
    ///
    /// This thread's copy of it, made now if the thread has none.
    fn cached_bearer(&self, now: DateTime<Utc>, window: TimeDelta) -> Option<HeaderValue> {
        let (key, header, until) = {
            let state = lock(&self.state);
            let token = state.token.as_ref()?;
            let header = state.bearer.as_ref()?;
            let current =
                header.as_bytes().strip_prefix(b"Bearer ") == Some(token.token().as_bytes());
            let until = minus(token.expires_on, window);
            if !(current && now < until) {
                return None;
            }
            (state.bearer_key, header.clone(), until)
        };
        Some(header_copies::get_or_copy(key, &header, Some(until)))
    }

    /// Returns a token with more than `window` of lifetime left, refreshing
    /// if needed. Both `get_token` and the background task come through here.
    async fn obtain(self: &Arc<Self>, window: TimeDelta) -> Result<AccessToken> {
        let now = self.clock.now();
        let (flight, started) = {
            let mut state = lock(&self.state);
            if let Some(token) = &state.token {
                if now < minus(token.expires_on, window) {
                    return Ok(token.clone());
                }
            }
            let Some(refresher) = &self.refresher else {
                return match &state.token {
                    Some(token) if now < token.expires_on => Ok(token.clone()),
                    _ => Err(Error::credential(
                        "the access token has expired and no token refresher is configured",
                        None,
                    )),
                };
            };
            match &state.flight {
                Some(flight) => {
                    // Someone else is already refreshing; a token that still
                    // works is better than waiting for them.
                    if let Some(token) = state.token.as_ref().filter(|t| now < t.expires_on) {
                        return Ok(token.clone());
                    }
                    (flight.clone(), false)
                }
                None => {
                    let flight = self.start_flight(&mut state, Arc::clone(refresher));
                    (flight, true)
                }
            }
        };

        if started {
            // Run the refresh as its own task where possible, so that it
            // completes (and caches its token) even if every caller waiting
            // for it is cancelled. Without a Tokio runtime, the callers that
            // wait for it drive it.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(flight.outcome.clone().map(drop));
            }
            // A caller whose token still works (with a margin for the
            // request's own trip) does not wait for a slow refresh: it takes
            // the new token if the refresher answers at once, and otherwise
            // the current one. The refresh goes on in its own task.
            let still_valid = lock(&self.state)
                .token
                .clone()
                .filter(|token| now < minus(token.expires_on, NO_WAIT_MARGIN));
            if let Some(token) = still_valid {
                return match flight.outcome.clone().now_or_never() {
                    Some(Ok(fresh)) => Ok(fresh),
                    _ => Ok(token),
                };
            }
        }

        match flight.outcome.await {
            Ok(token) => Ok(token),
            Err(failure) => self.fall_back(&failure),
        }
    }

    fn start_flight(self: &Arc<Self>, state: &mut State, refresher: Refresher) -> Flight {
        let id = state.next_flight_id;
        state.next_flight_id = state.next_flight_id.wrapping_add(1);
        let inner = Arc::downgrade(self);
        let clock = self.clock;
        let refresh_timeout = self.refresh_timeout;
        let outcome = async move {
            // Unwind safety: nothing the refresh touches is observed again
            // after a panic; the outcome is recorded only once it completes.
            let outcome = AssertUnwindSafe(refresh(refresher, clock, refresh_timeout))
                .catch_unwind()
                .await
                .unwrap_or(Err(RefreshFailure::Panicked));
            if let Some(inner) = inner.upgrade() {
                inner.complete_flight(id, &outcome);
            }
            outcome
        }
        .boxed()
        .shared();
        let flight = Flight { id, outcome };
        state.flight = Some(flight.clone());
        flight
    }

    fn complete_flight(&self, id: u64, outcome: &RefreshOutcome) {
        let mut state = lock(&self.state);
        if state.flight.as_ref().map(|f| f.id) != Some(id) {
            return;
        }
        state.flight = None;
        if let Ok(token) = outcome {
            state.token = Some(token.clone());
            // The next request makes the new token's bearer, under a new key.
            state.bearer = None;
            state.bearer_key = 0;
            self.bearer_key.store(0, Ordering::Release);
            drop(state);
            self.token_changed.send_replace(());
        }
    }

    /// After a failed refresh, keeps using the cached token while it lasts.
    fn fall_back(&self, failure: &RefreshFailure) -> Result<AccessToken> {
        let now = self.clock.now();
        // Clone out of the lock so that no subscriber code runs under it.
        let cached = lock(&self.state).token.clone();
        match cached {
            Some(token) if now < token.expires_on => {
                tracing::warn!(
                    expires_on = %token.expires_on,
                    error = %failure,
                    source = ?failure_source(failure),
                    "refreshing the access token failed; using the cached token until it expires"
                );
                Ok(token)
            }
            _ => Err(failure.to_error()),
        }
    }

    /// When the background task should next try to refresh; `None` means
    /// not until some other refresh stores a token.
    fn next_proactive_refresh(&self, last_attempt_failed: bool) -> Option<DateTime<Utc>> {
        let now = self.clock.now();
        let state = lock(&self.state);
        match &state.token {
            Some(token) if now < token.expires_on => {
                let lifetime = token.expires_on - now;
                let delay = if now >= minus(token.expires_on, PROACTIVE_REFRESH_WINDOW) {
                    lifetime / PROACTIVE_RETRY_DIVISOR
                } else {
                    lifetime - PROACTIVE_REFRESH_WINDOW
                };
                // Saturate rather than panic for expiries at the edge of
                // chrono's range.
                Some(
                    now.checked_add_signed(delay.max(MIN_PROACTIVE_DELAY))
                        .unwrap_or(token.expires_on),
                )
            }
            // An expired token after a failed attempt: retrying at once would
            // spin, so leave it to the next `get_token` to try again.
            _ if last_attempt_failed => None,
            _ => Some(now),
        }
    }

    fn ensure_proactive_task(self: &Arc<Self>) {
        if !self.refresh_proactively || self.proactive_running.load(Ordering::Acquire) {
            return;
        }
        let mut task = lock(&self.proactive_task);
        // A finished task means its runtime shut down (the loop itself only
        // ends with the credential), so start over on the current one.
        if task.as_ref().is_some_and(|task| !task.is_finished()) {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            self.proactive_running.store(true, Ordering::Release);
            let running = RunningFlag(Arc::clone(&self.proactive_running));
            let refresh_loop = proactive_refresh_loop(
                Arc::downgrade(self),
                self.token_changed.subscribe(),
                self.clock,
            );
            *task = Some(runtime.spawn(async move {
                let _running = running;
                refresh_loop.await;
            }));
        }
    }
}

/// Clears the flag it holds when dropped: with the background task's
/// future, whether the loop ended or its runtime shut down.
struct RunningFlag(Arc<AtomicBool>);

impl Drop for RunningFlag {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

fn failure_source(failure: &RefreshFailure) -> Option<String> {
    match failure {
        RefreshFailure::Refresher(source) => Some(source.to_string()),
        _ => None,
    }
}

async fn refresh(refresher: Refresher, clock: Clock, limit: Duration) -> RefreshOutcome {
    let call = refresher();
    // Tokio's timer needs a runtime; without one (another executor) the
    // call is awaited as is.
    let answer = if tokio::runtime::Handle::try_current().is_ok() {
        tokio::time::timeout(limit, call)
            .await
            .map_err(|_| RefreshFailure::TimedOut(limit))?
    } else {
        call.await
    };
    let token = answer.map_err(|error| RefreshFailure::Refresher(Arc::from(error)))?;
    let token = AccessToken::from_jwt(token).map_err(RefreshFailure::Malformed)?;
    if clock.now() >= token.expires_on {
        return Err(RefreshFailure::Expired);
    }
    Ok(token)
}

/// The background task of a proactively refreshing credential. It holds only
/// a `Weak` reference between refreshes, and ends when the credential's last
/// clone is dropped (the `token_changed` channel then closes).
async fn proactive_refresh_loop(
    inner: Weak<Inner>,
    mut token_changed: watch::Receiver<()>,
    clock: Clock,
) {
    let mut last_attempt_failed = false;
    'schedule: loop {
        token_changed.borrow_and_update();
        let deadline = match inner.upgrade() {
            Some(inner) => inner.next_proactive_refresh(last_attempt_failed),
            None => return,
        };

        let Some(deadline) = deadline else {
            if token_changed.changed().await.is_err() {
                return;
            }
            last_attempt_failed = false;
            continue;
        };
        // Nap towards the deadline; `to_std` fails once it has passed.
        while let Some(remaining) = (deadline - clock.now())
            .to_std()
            .ok()
            .filter(|remaining| !remaining.is_zero())
        {
            // futures' select rather than tokio's macro: the library needs no
            // tokio `macros` feature.
            let nap = std::pin::pin!(tokio::time::sleep(remaining.min(MAX_NAP)));
            let changed = std::pin::pin!(token_changed.changed());
            if let futures::future::Either::Right((changed, _)) =
                futures::future::select(nap, changed).await
            {
                if changed.is_err() {
                    return;
                }
                last_attempt_failed = false;
                continue 'schedule;
            }
        }

        let Some(inner) = inner.upgrade() else {
            return;
        };
        match inner.obtain(PROACTIVE_REFRESH_WINDOW).await {
            Ok(_) => last_attempt_failed = false,
            Err(error) => {
                tracing::warn!(%error, "proactive access token refresh failed");
                last_attempt_failed = true;
            }
        }
    }
}

/// A credential that provides Communication Services user access tokens.
///
/// Cheap to clone: clones share the cached token, the refresher and the
/// background refresh task. It is `Send + Sync`, and its `Debug` output
/// never shows the token.
///
/// Refreshing credentials are built with [`with_refresher`](Self::with_refresher):
///
/// ```
/// use acs_chat::credential::CommunicationTokenCredential;
///
/// async fn fetch_token_from_my_backend() -> Result<String, std::io::Error> {
///     // Ask your own service, which calls the Identity API.
///     Ok("eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl".to_owned())
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let credential = CommunicationTokenCredential::with_refresher(fetch_token_from_my_backend)
///     .refresh_proactively(true)
///     .build()?;
/// let token = credential.get_token().await?;
/// assert_eq!(token.expires_on().timestamp(), 4_102_444_800);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct CommunicationTokenCredential {
    inner: Arc<Inner>,
}

impl CommunicationTokenCredential {
    /// Creates a credential from a single token, which is used until it
    /// expires; after that [`get_token`](Self::get_token) fails.
    ///
    /// # Errors
    ///
    /// A credential error when the token is not a JWT whose payload has a
    /// numeric `exp` claim. An expired token is accepted here.
    ///
    /// ```
    /// use acs_chat::CommunicationTokenCredential;
    ///
    /// // A user access token your token service issued; its `exp` claim is read here.
    /// let jwt = "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl";
    /// let credential = CommunicationTokenCredential::new(jwt)?;
    /// // Anything but a JWT with an `exp` claim is refused.
    /// assert!(CommunicationTokenCredential::new("not a token").unwrap_err().is_credential());
    /// # Ok::<(), acs_chat::Error>(())
    /// ```
    pub fn new(token: impl Into<String>) -> Result<Self> {
        let token = AccessToken::from_jwt(token.into()).map_err(malformed_token_error)?;
        Ok(Self::from_parts(
            Some(token),
            None,
            false,
            Clock::System,
            DEFAULT_REFRESH_TIMEOUT,
        ))
    }

    /// Starts building a credential that gets its tokens from `refresher`.
    ///
    /// The refresher returns a fresh JWT (typically fetched from your own
    /// service, which calls the Identity API). It is called on first use
    /// unless an [`initial_token`](CommunicationTokenCredentialBuilder::initial_token)
    /// is given, and again whenever the token is about to expire. Concurrent
    /// callers share one call.
    ///
    /// ```
    /// use acs_chat::CommunicationTokenCredential;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> acs_chat::Result<()> {
    /// let user_id = "8:acs:r_alice".to_string();
    /// let credential = CommunicationTokenCredential::with_refresher(move || {
    ///     let user_id = user_id.clone();
    ///     async move { my_token_service(&user_id).await }
    /// })
    /// .build()?;
    /// let token = credential.get_token().await?; // the first call fetches a token
    /// # assert_eq!(token.token(), "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl");
    /// # Ok(()) }
    /// # async fn my_token_service(_user_id: &str) -> Result<String, std::io::Error> {
    /// #     Ok("eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl".to_owned())
    /// # }
    /// ```
    pub fn with_refresher<F, Fut, E>(refresher: F) -> CommunicationTokenCredentialBuilder
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<String, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let refresher: Refresher = Arc::new(move || {
            let token = refresher();
            async move { token.await.map_err(Into::into) }.boxed()
        });
        CommunicationTokenCredentialBuilder {
            refresher,
            initial_token: None,
            refresh_proactively: false,
            clock: Clock::System,
            refresh_timeout: DEFAULT_REFRESH_TIMEOUT,
        }
    }

    fn from_parts(
        token: Option<AccessToken>,
        refresher: Option<Refresher>,
        refresh_proactively: bool,
        clock: Clock,
        refresh_timeout: Duration,
    ) -> Self {
        let (token_changed, _) = watch::channel(());
        Self {
            inner: Arc::new(Inner {
                bearer_key: AtomicU64::new(0),
                proactive_running: Arc::new(AtomicBool::new(false)),
                state: Mutex::new(State {
                    token,
                    bearer: None,
                    bearer_key: 0,
                    flight: None,
                    next_flight_id: 0,
                }),
                refresher,
                refresh_proactively,
                clock,
                refresh_timeout,
                token_changed,
                proactive_task: Mutex::new(None),
            }),
        }
    }

    /// Returns a valid token, refreshing it first when fewer than two
    /// minutes of its lifetime remain. A caller whose token still has 30
    /// seconds or more does not wait for that refresh: it gets the new token
    /// if the refresher answers at once, otherwise the current one while the
    /// refresh finishes in the background (bounded by the refresh timeout).
    ///
    /// If a refresh fails while the cached token has not yet expired, the
    /// cached token is returned and a warning is logged; the next call tries
    /// again.
    ///
    /// # Errors
    ///
    /// A credential error when the token has expired and there is no
    /// refresher, or when a needed refresh fails (the refresher's own error
    /// is the [`source`](std::error::Error::source)) or returns an expired or
    /// malformed token.
    ///
    /// ```
    /// use acs_chat::chrono::{Duration, Utc};
    /// use acs_chat::{AccessToken, CommunicationTokenCredential};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> acs_chat::Result<()> {
    /// let token = AccessToken::new("<user access token>", Utc::now() + Duration::hours(1));
    /// let credential = CommunicationTokenCredential::from(token);
    /// println!("valid until {}", credential.get_token().await?.expires_on());
    /// // Without a refresher, an expired token cannot be renewed.
    /// let stale = AccessToken::new("<user access token>", Utc::now() - Duration::minutes(1));
    /// assert!(CommunicationTokenCredential::from(stale).get_token().await.unwrap_err().is_credential());
    /// # Ok(()) }
    /// ```
    pub async fn get_token(&self) -> Result<AccessToken> {
        self.inner.ensure_proactive_task();
        self.inner.obtain(ON_DEMAND_REFRESH_WINDOW).await
    }

    /// `Authorization: Bearer <token>` for a request, marked sensitive. The
    /// value is made once per token, and a thread sending it often keeps a
    /// copy of its own (see [`header_copies`]): while the token is valid, a
    /// request then costs neither a lock nor a shared reference count.
    pub(crate) async fn bearer_header(&self) -> Result<HeaderValue> {
        self.inner.ensure_proactive_task();
        let now = self.inner.clock.now();
        let key = self.inner.bearer_key.load(Ordering::Acquire);
        if key != 0 {
            if let Some(header) = header_copies::get(key, now) {
                return Ok(header);
            }
        }
        if let Some(header) = self.inner.cached_bearer(now, ON_DEMAND_REFRESH_WINDOW) {
            return Ok(header);
        }
        // Boxed: the refresh path is rare, and its future would otherwise
        // make every request's future larger.
        let token = Box::pin(self.inner.obtain(ON_DEMAND_REFRESH_WINDOW)).await?;
        let mut header =
            HeaderValue::try_from(format!("Bearer {}", token.token())).map_err(|_| {
                Error::credential(
                    "the access token contains characters not allowed in a header",
                    None,
                )
            })?;
        header.set_sensitive(true);
        let mut state = lock(&self.inner.state);
        // Concurrent first requests all come here: the first to store the
        // bearer gives it its key, which the others keep.
        let stored = state.bearer.as_ref() == Some(&header);
        if state.token.as_ref() == Some(&token) && !stored {
            let key = header_copies::new_key();
            state.bearer = Some(header.clone());
            state.bearer_key = key;
            self.inner.bearer_key.store(key, Ordering::Release);
        }
        Ok(header)
    }
}

impl From<AccessToken> for CommunicationTokenCredential {
    /// A static credential holding `token` until its
    /// [`expires_on`](AccessToken::expires_on), like
    /// [`CommunicationTokenCredential::new`] but without reading the expiry
    /// from the JWT: the token is used as given (the access token the
    /// Identity API returns comes with its expiry), so this cannot fail.
    ///
    /// ```
    /// use acs_chat::credential::{AccessToken, CommunicationTokenCredential};
    /// use chrono::{Duration, Utc};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> acs_chat::Result<()> {
    /// // E.g. the token and `expiresOn` an identity service handed out.
    /// let issued = AccessToken::new("<user access token>", Utc::now() + Duration::hours(24));
    /// let credential = CommunicationTokenCredential::from(issued.clone());
    /// assert_eq!(credential.get_token().await?, issued);
    /// # Ok(()) }
    /// ```
    fn from(token: AccessToken) -> Self {
        Self::from_parts(
            Some(token),
            None,
            false,
            Clock::System,
            DEFAULT_REFRESH_TIMEOUT,
        )
    }
}

impl fmt::Debug for CommunicationTokenCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let expires_on = lock(&self.inner.state)
            .token
            .as_ref()
            .map(AccessToken::expires_on);
        f.debug_struct("CommunicationTokenCredential")
            .field("expires_on", &expires_on)
            .field("has_refresher", &self.inner.refresher.is_some())
            .field("refresh_proactively", &self.inner.refresh_proactively)
            .finish_non_exhaustive()
    }
}

/// Builds a refreshing [`CommunicationTokenCredential`]; made by
/// [`CommunicationTokenCredential::with_refresher`].
#[must_use = "call .build() to get a credential"]
pub struct CommunicationTokenCredentialBuilder {
    refresher: Refresher,
    initial_token: Option<String>,
    refresh_proactively: bool,
    clock: Clock,
    refresh_timeout: Duration,
}

impl CommunicationTokenCredentialBuilder {
    /// The longest one refresher call may take (default
    /// [`DEFAULT_REFRESH_TIMEOUT`], 30 s); a slower one fails like a refresher
    /// error. Callers whose token is still valid never wait for a refresh.
    ///
    /// ```
    /// # async fn fetch_token() -> Result<String, std::io::Error> { Ok(String::new()) }
    /// use std::time::Duration;
    /// let credential = acs_chat::CommunicationTokenCredential::with_refresher(fetch_token)
    ///     .refresh_timeout(Duration::from_secs(5));
    /// ```
    pub fn refresh_timeout(mut self, limit: Duration) -> Self {
        self.refresh_timeout = limit;
        self
    }

    /// A token to use until it is about to expire, saving the first
    /// refresher call.
    ///
    /// ```
    /// use acs_chat::CommunicationTokenCredential;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> acs_chat::Result<()> {
    /// # let token_from_page = "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl";
    /// // The token the page was served with; later ones come from the refresher.
    /// let credential = CommunicationTokenCredential::with_refresher(fetch_token)
    ///     .initial_token(token_from_page)
    ///     .build()?;
    /// let token = credential.get_token().await?; // still valid: no refresher call
    /// # assert_eq!(token.token(), token_from_page);
    /// # Ok(()) }
    /// # async fn fetch_token() -> Result<String, std::io::Error> {
    /// #     unreachable!("the initial token is still valid")
    /// # }
    /// ```
    pub fn initial_token(mut self, token: impl Into<String>) -> Self {
        self.initial_token = Some(token.into());
        self
    }

    /// Whether to refresh in the background ten minutes before the token
    /// expires (or, when less than that remains, after half the remaining
    /// lifetime), instead of only when [`get_token`] needs a new token.
    /// Off by default.
    ///
    /// The background task runs on the Tokio runtime current when
    /// [`build`](Self::build) or [`get_token`] is called, and stops when the
    /// last clone of the credential is dropped.
    ///
    /// [`get_token`]: CommunicationTokenCredential::get_token
    ///
    /// ```
    /// use acs_chat::CommunicationTokenCredential;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> acs_chat::Result<()> {
    /// // Inside a Tokio runtime the background refresh starts here, so requests
    /// // rarely wait for a new token.
    /// let credential = CommunicationTokenCredential::with_refresher(fetch_token)
    ///     .refresh_proactively(true)
    ///     .build()?;
    /// # Ok(()) }
    /// # async fn fetch_token() -> Result<String, std::io::Error> {
    /// #     Ok("eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl".to_owned())
    /// # }
    /// ```
    pub fn refresh_proactively(mut self, refresh_proactively: bool) -> Self {
        self.refresh_proactively = refresh_proactively;
        self
    }

    #[cfg(test)]
    fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the credential, starting the background refresh task if one
    /// was asked for and a Tokio runtime is running.
    ///
    /// # Errors
    ///
    /// A credential error when the initial token is not a JWT whose payload
    /// has a numeric `exp` claim. An expired initial token is accepted and
    /// refreshed on first use.
    ///
    /// ```
    /// use acs_chat::CommunicationTokenCredential;
    ///
    /// # async fn fetch_token() -> Result<String, std::io::Error> {
    /// #     Ok("eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl".to_owned())
    /// # }
    /// let credential = CommunicationTokenCredential::with_refresher(fetch_token).build()?;
    /// // An initial token must be a JWT with an `exp` claim.
    /// let refused = CommunicationTokenCredential::with_refresher(fetch_token)
    ///     .initial_token("not a token")
    ///     .build();
    /// assert!(refused.unwrap_err().is_credential());
    /// # Ok::<(), acs_chat::Error>(())
    /// ```
    pub fn build(self) -> Result<CommunicationTokenCredential> {
        let token = self
            .initial_token
            .map(AccessToken::from_jwt)
            .transpose()
            .map_err(malformed_token_error)?;
        let credential = CommunicationTokenCredential::from_parts(
            token,
            Some(self.refresher),
            self.refresh_proactively,
            self.clock,
            self.refresh_timeout,
        );
        credential.inner.ensure_proactive_task();
        Ok(credential)
    }
}

impl fmt::Debug for CommunicationTokenCredentialBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommunicationTokenCredentialBuilder")
            .field("has_initial_token", &self.initial_token.is_some())
            .field("refresh_proactively", &self.refresh_proactively)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    use chrono::SubsecRound;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const HEADER: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9";
    const SIGNATURE: &str = "VG9wU2VjcmV0U2lnbmF0dXJl";

    fn encoded_payload(exp: &str) -> String {
        // The filler makes the encoding contain both `-` and `_`, which
        // standard base64 would reject; its alignment depends on the length
        // of `exp`, hence the few candidates.
        for filler in ["???>>>", "a???>>>", "aa???>>>"] {
            let encoded = URL_SAFE_NO_PAD.encode(format!(r#"{{"exp":{exp},"note":"{filler}"}}"#));
            if encoded.contains('-') && encoded.contains('_') {
                return encoded;
            }
        }
        panic!("no filler gave both url-safe characters for exp {exp}");
    }

    fn jwt_with_exp(exp: &str) -> String {
        format!("{HEADER}.{}.{SIGNATURE}", encoded_payload(exp))
    }

    fn jwt(expires_on: DateTime<Utc>) -> String {
        jwt_with_exp(&expires_on.timestamp().to_string())
    }

    fn test_clock() -> Clock {
        Clock::Tokio {
            start: tokio::time::Instant::now(),
            // Whole seconds, so that schedules computed from `exp` land
            // exactly on the minute marks the tests check.
            start_utc: Utc::now().trunc_subsecs(0),
        }
    }

    /// Lets spawned tasks run without moving the paused clock.
    async fn settle() {
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
    }

    async fn advance(duration: Duration) {
        tokio::time::advance(duration).await;
        settle().await;
    }

    fn minutes(m: u64) -> Duration {
        Duration::from_secs(m * 60)
    }

    /// A refresher that counts its calls and returns tokens living `lifetime`
    /// from the moment it is called.
    fn counting_refresher(
        clock: Clock,
        lifetime: TimeDelta,
    ) -> (
        Arc<AtomicUsize>,
        impl Fn() -> futures::future::Ready<std::result::Result<String, BoxError>>
            + Send
            + Sync
            + 'static,
    ) {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let refresher = move || {
            counter.fetch_add(1, Ordering::SeqCst);
            futures::future::ready(Ok(jwt(clock.now() + lifetime)))
        };
        (calls, refresher)
    }

    fn assert_no_token_text(text: &str, token: &str) {
        assert!(!text.contains(token), "token leaked into {text:?}");
        assert!(!text.contains(SIGNATURE), "signature leaked into {text:?}");
    }

    fn assert_error_hides_token(error: &Error, token: &str) {
        assert_no_token_text(&error.to_string(), token);
        assert_no_token_text(&format!("{error:?}"), token);
        let mut source = StdError::source(error);
        while let Some(inner) = source {
            assert_no_token_text(&inner.to_string(), token);
            assert_no_token_text(&format!("{inner:?}"), token);
            source = inner.source();
        }
    }

    #[test]
    fn credential_is_send_sync_clone() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        check::<CommunicationTokenCredential>();
        check::<AccessToken>();
        fn check_send<T: Send>() {}
        check_send::<CommunicationTokenCredentialBuilder>();
    }

    #[test]
    fn reads_expiry_from_base64url_payload() {
        let token = jwt_with_exp("1700000000");
        let payload = token.split('.').nth(1).unwrap();
        assert!(payload.contains('-') && payload.contains('_'));
        assert!(
            STANDARD_NO_PAD.decode(payload).is_err(),
            "test payload must need base64url"
        );

        let parsed = AccessToken::from_jwt(token.clone()).unwrap();
        assert_eq!(
            parsed.expires_on(),
            DateTime::from_timestamp(1_700_000_000, 0).unwrap()
        );
        assert_eq!(parsed.token(), token);
    }

    #[test]
    fn tolerates_padding_and_standard_alphabet() {
        let json = r#"{"exp":1700000000,"note":"???>>>"}"#;
        let padded = URL_SAFE.encode(json);
        assert!(padded.ends_with('='));
        let standard = padded.replace('-', "+").replace('_', "/");
        for payload in [padded, standard] {
            let token = format!("{HEADER}.{payload}.{SIGNATURE}");
            let parsed = AccessToken::from_jwt(token).unwrap();
            assert_eq!(parsed.expires_on().timestamp(), 1_700_000_000);
        }
    }

    #[test]
    fn fractional_exp_rounds_down() {
        let parsed = AccessToken::from_jwt(jwt_with_exp("1700000000.9")).unwrap();
        assert_eq!(parsed.expires_on().timestamp(), 1_700_000_000);
    }

    #[test]
    fn malformed_tokens_are_rejected_without_echoing_them() {
        let payload = |json: &str| format!("{HEADER}.{}.{SIGNATURE}", URL_SAFE_NO_PAD.encode(json));
        let cases = [
            (String::new(), "three dot-separated segments"),
            (SIGNATURE.to_owned(), "three dot-separated segments"),
            (
                format!("{HEADER}.{SIGNATURE}"),
                "three dot-separated segments",
            ),
            (
                format!("{}.{SIGNATURE}", jwt_with_exp("1")),
                "three dot-separated segments",
            ),
            (
                format!("{HEADER}.*{SIGNATURE}*.{SIGNATURE}"),
                "not valid base64url",
            ),
            (format!("{HEADER}.A.{SIGNATURE}"), "not valid base64url"),
            (format!("{HEADER}..{SIGNATURE}"), "not JSON"),
            (payload("not json {SIGNATURE}"), "not JSON"),
            (payload("[1700000000]"), "not a JSON object"),
            (payload(r#"{"iat":1700000000}"#), "no `exp` claim"),
            (payload(r#"{"exp":"1700000000"}"#), "not a number"),
            (payload(r#"{"exp":null}"#), "not a number"),
            (payload(r#"{"exp":1e300}"#), "out of range"),
            (payload(r#"{"exp":-9223372036854775808}"#), "out of range"),
        ];
        for (token, reason) in cases {
            let error = CommunicationTokenCredential::new(token.clone()).unwrap_err();
            assert!(error.is_credential());
            assert!(
                error.to_string().contains(reason),
                "{error} should mention {reason}"
            );
            if !token.is_empty() {
                assert_error_hides_token(&error, &token);
            }

            let error = CommunicationTokenCredential::with_refresher(|| async {
                Ok::<_, std::io::Error>(String::new())
            })
            .initial_token(token.clone())
            .build()
            .unwrap_err();
            assert!(error.is_credential());
        }
    }

    #[tokio::test]
    async fn static_token_is_returned_until_expiry() {
        let expires_on = Utc::now().trunc_subsecs(0) + TimeDelta::hours(1);
        let token = jwt(expires_on);
        let credential = CommunicationTokenCredential::new(token.clone()).unwrap();
        let access = credential.get_token().await.unwrap();
        assert_eq!(access.token(), token);
        assert_eq!(access.expires_on(), expires_on);
    }

    #[tokio::test]
    async fn static_token_close_to_expiry_is_still_returned() {
        let token = jwt(Utc::now() + TimeDelta::seconds(60));
        let credential = CommunicationTokenCredential::new(token.clone()).unwrap();
        assert_eq!(credential.get_token().await.unwrap().token(), token);
    }

    #[tokio::test]
    async fn expired_static_token_fails() {
        let token = jwt(Utc::now() - TimeDelta::seconds(10));
        let credential = CommunicationTokenCredential::new(token.clone()).unwrap();
        let error = credential.get_token().await.unwrap_err();
        assert!(error.is_credential());
        let message = error.to_string();
        assert!(
            message.contains("expired") && message.contains("no token refresher"),
            "{message}"
        );
        assert_error_hides_token(&error, &token);
    }

    #[tokio::test(start_paused = true)]
    async fn refreshes_on_demand_under_two_minutes() {
        let clock = test_clock();
        let initial = jwt(clock.now() + TimeDelta::minutes(3));
        let (calls, refresher) = counting_refresher(clock, TimeDelta::hours(1));
        let credential = CommunicationTokenCredential::with_refresher(refresher)
            .initial_token(initial.clone())
            .clock(clock)
            .build()
            .unwrap();

        assert_eq!(credential.get_token().await.unwrap().token(), initial);
        advance(Duration::from_secs(59)).await;
        assert_eq!(credential.get_token().await.unwrap().token(), initial);
        assert_eq!(calls.load(Ordering::SeqCst), 0);

        advance(Duration::from_secs(2)).await; // 1:59 left
        let refreshed = credential.get_token().await.unwrap();
        assert_ne!(refreshed.token(), initial);
        assert_eq!(refreshed.expires_on(), clock.now() + TimeDelta::hours(1));
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        // The new token is cached.
        assert_eq!(credential.get_token().await.unwrap(), refreshed);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_bearer_header_follows_a_refresh_on_a_thread_holding_a_copy() {
        let clock = test_clock();
        let initial = jwt(clock.now() + TimeDelta::minutes(3));
        let (calls, refresher) = counting_refresher(clock, TimeDelta::hours(1));
        let credential = CommunicationTokenCredential::with_refresher(refresher)
            .initial_token(initial.clone())
            .clock(clock)
            .build()
            .unwrap();
        let bearer = |token: &str| format!("Bearer {token}");

        // Made, then this thread's copy handed out.
        for _ in 0..3 {
            let header = credential.bearer_header().await.unwrap();
            assert_eq!(header.to_str().unwrap(), bearer(&initial));
            assert!(header.is_sensitive());
        }
        // Not past the copy's deadline (two minutes before expiry).
        advance(Duration::from_secs(59)).await;
        let header = credential.bearer_header().await.unwrap();
        assert_eq!(header.to_str().unwrap(), bearer(&initial));
        assert_eq!(calls.load(Ordering::SeqCst), 0);

        // Past it: the copy is not used, and the token is refreshed.
        advance(Duration::from_secs(2)).await;
        let header = credential.bearer_header().await.unwrap();
        let refreshed = credential.get_token().await.unwrap();
        assert_ne!(refreshed.token(), initial);
        assert_eq!(header.to_str().unwrap(), bearer(refreshed.token()));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        for _ in 0..3 {
            let header = credential.bearer_header().await.unwrap();
            assert_eq!(header.to_str().unwrap(), bearer(refreshed.token()));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_proactive_refresh_replaces_a_copy_still_within_its_deadline() {
        // The background refresh replaces the token ten minutes before its
        // expiry, while this thread's copy of the old bearer is still usable
        // for eight more: the next header must carry the new token.
        let clock = test_clock();
        let initial = jwt(clock.now() + TimeDelta::hours(1));
        let (calls, refresher) = counting_refresher(clock, TimeDelta::hours(1));
        let credential = CommunicationTokenCredential::with_refresher(refresher)
            .initial_token(initial.clone())
            .refresh_proactively(true)
            .clock(clock)
            .build()
            .unwrap();
        settle().await;
        // Made, then seen twice: this thread now holds a copy.
        let mut headers = Vec::new();
        for _ in 0..4 {
            headers.push(credential.bearer_header().await.unwrap());
        }
        assert!(headers.iter().all(|h| *h == format!("Bearer {initial}")));
        let buffer = |h: &HeaderValue| h.as_bytes().as_ptr();
        assert_ne!(buffer(&headers[1]), buffer(&headers[2]), "the copy");
        assert_eq!(buffer(&headers[2]), buffer(&headers[3]), "kept");

        advance(minutes(50) + Duration::from_secs(1)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let fresh = credential.get_token().await.unwrap();
        assert_ne!(fresh.token(), initial);
        for _ in 0..2 {
            let header = credential.bearer_header().await.unwrap();
            assert_eq!(
                header.to_str().unwrap(),
                format!("Bearer {}", fresh.token())
            );
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_hung_refresher_times_out_and_a_still_valid_token_never_waits_for_it() {
        let clock = test_clock();
        // Inside the two-minute window, but still valid.
        let initial = jwt(clock.now() + TimeDelta::minutes(1));
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let hung = move || {
            counter.fetch_add(1, Ordering::SeqCst);
            futures::future::pending::<std::result::Result<String, BoxError>>()
        };
        let credential = CommunicationTokenCredential::with_refresher(hung)
            .initial_token(initial.clone())
            .clock(clock)
            .refresh_timeout(Duration::from_secs(5))
            .build()
            .unwrap();

        let started = tokio::time::Instant::now();
        assert_eq!(credential.get_token().await.unwrap().token(), initial);
        assert_eq!(credential.get_token().await.unwrap().token(), initial);
        assert_eq!(started.elapsed(), Duration::ZERO, "no caller waited");
        assert_eq!(calls.load(Ordering::SeqCst), 1, "one refresh in flight");

        // Once the token has expired, a caller waits for a refresh, but no
        // longer than the refresh timeout.
        advance(Duration::from_secs(61)).await;
        let started = tokio::time::Instant::now();
        let error = credential.get_token().await.unwrap_err();
        assert!(error.is_credential());
        assert!(
            error.to_string().contains("did not answer within 5s"),
            "{error}"
        );
        assert!(started.elapsed() <= Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn no_refresh_when_far_from_expiry() {
        let clock = test_clock();
        let initial = jwt(clock.now() + TimeDelta::hours(1));
        let (calls, refresher) = counting_refresher(clock, TimeDelta::hours(1));
        let credential = CommunicationTokenCredential::with_refresher(refresher)
            .initial_token(initial.clone())
            .clock(clock)
            .build()
            .unwrap();
        for _ in 0..50 {
            assert_eq!(credential.get_token().await.unwrap().token(), initial);
            advance(Duration::from_secs(60)).await;
        }
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn first_use_without_initial_token_refreshes() {
        let clock = test_clock();
        let (calls, refresher) = counting_refresher(clock, TimeDelta::hours(1));
        let credential = CommunicationTokenCredential::with_refresher(refresher)
            .clock(clock)
            .build()
            .unwrap();
        let first = credential.get_token().await.unwrap();
        let second = credential.get_token().await.unwrap();
        assert_eq!(first, second);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_refresh() {
        let clock = test_clock();
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let credential = CommunicationTokenCredential::with_refresher(move || {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(1)).await;
                Ok::<_, std::io::Error>(jwt(clock.now() + TimeDelta::hours(1)))
            }
        })
        .clock(clock)
        .build()
        .unwrap();

        let results = futures::future::join_all((0..50).map(|_| credential.get_token())).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let first = results[0].as_ref().unwrap();
        assert!(results.iter().all(|r| r.as_ref().unwrap() == first));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_tasks_on_threads_share_one_refresh() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let credential = CommunicationTokenCredential::with_refresher(move || {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok::<_, std::io::Error>(jwt(Utc::now() + TimeDelta::hours(1)))
            }
        })
        .build()
        .unwrap();

        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let credential = credential.clone();
                tokio::spawn(async move { credential.get_token().await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_failure() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let credential = CommunicationTokenCredential::with_refresher(move || {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(1)).await;
                Err::<String, _>(std::io::Error::other("identity service unavailable"))
            }
        })
        .build()
        .unwrap();

        let results = futures::future::join_all((0..50).map(|_| credential.get_token())).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(results
            .iter()
            .all(|r| r.as_ref().is_err_and(Error::is_credential)));

        // Failures are not cached: the next call tries again.
        assert!(credential.get_token().await.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    /// A refresher that counts its calls and takes ten seconds to return a
    /// token living an hour from then.
    fn slow_refresher(
        clock: Clock,
    ) -> (
        Arc<AtomicUsize>,
        impl Fn() -> BoxFuture<'static, std::result::Result<String, BoxError>> + Send + Sync + 'static,
    ) {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let refresher = move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async move {
                tokio::time::sleep(Duration::from_secs(10)).await;
                Ok(jwt(clock.now() + TimeDelta::hours(1)))
            }
            .boxed()
        };
        (calls, refresher)
    }

    #[tokio::test(start_paused = true)]
    async fn valid_token_is_returned_while_another_caller_refreshes() {
        let clock = test_clock();
        let initial = jwt(clock.now() + TimeDelta::seconds(90));
        let (calls, refresher) = slow_refresher(clock);
        let credential = CommunicationTokenCredential::with_refresher(refresher)
            .initial_token(initial.clone())
            .clock(clock)
            .build()
            .unwrap();

        // The caller that starts the refresh does not wait for it either:
        // its token still works (issue: a slow refresher must not stall
        // requests that have a valid token).
        let first = credential.get_token().now_or_never().expect("no waiting");
        assert_eq!(first.unwrap().token(), initial);
        settle().await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        // The refresh is under way; the old token still works, so no waiting.
        let second = credential.get_token().now_or_never().expect("no waiting");
        assert_eq!(second.unwrap().token(), initial);

        // Once the refresh is done, its token is used, from one refresh.
        advance(Duration::from_secs(11)).await;
        let refreshed = credential.get_token().await.unwrap();
        assert_ne!(refreshed.token(), initial);
        assert_eq!(credential.get_token().await.unwrap(), refreshed);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn refresh_completes_even_if_its_caller_is_cancelled() {
        let clock = test_clock();
        let (calls, refresher) = slow_refresher(clock);
        let credential = CommunicationTokenCredential::with_refresher(refresher)
            .clock(clock)
            .build()
            .unwrap();

        // Start a refresh, then give up on it (as a timed-out request would).
        assert!(credential.get_token().now_or_never().is_none());
        advance(Duration::from_secs(11)).await;
        {
            let state = lock(&credential.inner.state);
            assert!(state.flight.is_none(), "refresh finished on its own");
            assert!(state.token.is_some(), "and cached its token");
        }

        // The token was fetched and cached regardless, so this is immediate.
        let token = credential.get_token().now_or_never().expect("cached");
        // Paused time jumped straight to 11 s, which is when the refresh saw
        // its sleep end.
        assert_eq!(
            token.unwrap().expires_on(),
            clock.now() + TimeDelta::hours(1)
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn refresher_error_is_the_source() {
        let credential = CommunicationTokenCredential::with_refresher(|| async {
            Err::<String, _>(std::io::Error::other("identity service unavailable"))
        })
        .build()
        .unwrap();
        let error = credential.get_token().await.unwrap_err();
        assert!(error.is_credential());
        assert!(error.to_string().contains("refresher failed"));
        let source = StdError::source(&error).expect("refresher error as source");
        assert_eq!(source.to_string(), "identity service unavailable");
    }

    #[tokio::test]
    async fn refresher_error_accepts_string_errors() {
        let credential = CommunicationTokenCredential::with_refresher(|| async {
            Err::<String, _>("no network")
        })
        .build()
        .unwrap();
        let error = credential.get_token().await.unwrap_err();
        assert_eq!(StdError::source(&error).unwrap().to_string(), "no network");
    }

    #[tokio::test(start_paused = true)]
    async fn failed_refresh_keeps_still_valid_token() {
        let clock = test_clock();
        let initial = jwt(clock.now() + TimeDelta::seconds(90));
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let credential = CommunicationTokenCredential::with_refresher(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { Err::<String, _>(std::io::Error::other("boom")) }
        })
        .initial_token(initial.clone())
        .clock(clock)
        .build()
        .unwrap();

        assert_eq!(credential.get_token().await.unwrap().token(), initial);
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        advance(Duration::from_secs(91)).await;
        let error = credential.get_token().await.unwrap_err();
        assert!(error.is_credential());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn refresher_returning_expired_token_fails() {
        let clock = test_clock();
        let expired = jwt(clock.now() - TimeDelta::seconds(1));
        let returned = expired.clone();
        let credential = CommunicationTokenCredential::with_refresher(move || {
            futures::future::ready(Ok::<_, std::io::Error>(returned.clone()))
        })
        .clock(clock)
        .build()
        .unwrap();
        let error = credential.get_token().await.unwrap_err();
        assert!(error.is_credential());
        assert!(error.to_string().contains("already expired"), "{error}");
        assert_error_hides_token(&error, &expired);
    }

    #[tokio::test]
    async fn refresher_returning_malformed_token_fails() {
        let malformed = format!("{HEADER}.{SIGNATURE}");
        let returned = malformed.clone();
        let credential = CommunicationTokenCredential::with_refresher(move || {
            futures::future::ready(Ok::<_, std::io::Error>(returned.clone()))
        })
        .build()
        .unwrap();
        let error = credential.get_token().await.unwrap_err();
        assert!(error.is_credential());
        assert!(error.to_string().contains("not a valid JWT"), "{error}");
        assert_error_hides_token(&error, &malformed);
    }

    #[tokio::test]
    async fn panicking_refresher_becomes_an_error() {
        let credential = CommunicationTokenCredential::with_refresher(|| async {
            if true {
                panic!("refresher bug");
            }
            Ok::<String, std::io::Error>(String::new())
        })
        .build()
        .unwrap();
        let error = credential.get_token().await.unwrap_err();
        assert!(error.is_credential());
        assert!(error.to_string().contains("panicked"));
    }

    #[tokio::test]
    async fn debug_output_hides_tokens() {
        let token = jwt(Utc::now() + TimeDelta::hours(1));

        let credential = CommunicationTokenCredential::new(token.clone()).unwrap();
        assert_no_token_text(&format!("{credential:?}"), &token);
        assert_no_token_text(&format!("{credential:#?}"), &token);

        let access = credential.get_token().await.unwrap();
        let debug = format!("{access:?}");
        assert!(debug.contains(r#"token: "REDACTED""#), "{debug}");
        assert_no_token_text(&debug, &token);

        let returned = token.clone();
        let builder = CommunicationTokenCredential::with_refresher(move || {
            futures::future::ready(Ok::<_, std::io::Error>(returned.clone()))
        })
        .initial_token(token.clone());
        assert_no_token_text(&format!("{builder:?}"), &token);
        let refreshing = builder.build().unwrap();
        refreshing.get_token().await.unwrap();
        assert_no_token_text(&format!("{refreshing:?}"), &token);
    }

    #[tokio::test(start_paused = true)]
    async fn proactive_refresh_fires_ten_minutes_before_expiry() {
        let clock = test_clock();
        let initial = jwt(clock.now() + TimeDelta::hours(1));
        let (calls, refresher) = counting_refresher(clock, TimeDelta::hours(1));
        let credential = CommunicationTokenCredential::with_refresher(refresher)
            .initial_token(initial.clone())
            .refresh_proactively(true)
            .clock(clock)
            .build()
            .unwrap();
        settle().await;

        advance(minutes(49) + Duration::from_secs(59)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        advance(Duration::from_secs(2)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        // `get_token` now hands out the proactively fetched token.
        let refreshed = credential.get_token().await.unwrap();
        assert_ne!(refreshed.token(), initial);
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        // Rescheduled for ten minutes before the new expiry (50:01 + 50:00).
        advance(minutes(49) + Duration::from_secs(57)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        advance(Duration::from_secs(4)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn proactive_refresh_inside_window_waits_half_the_remaining_lifetime() {
        let clock = test_clock();
        let initial = jwt(clock.now() + TimeDelta::minutes(6));
        let (calls, refresher) = counting_refresher(clock, TimeDelta::hours(1));
        let _credential = CommunicationTokenCredential::with_refresher(refresher)
            .initial_token(initial)
            .refresh_proactively(true)
            .clock(clock)
            .build()
            .unwrap();
        settle().await;

        advance(minutes(2) + Duration::from_secs(59)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        advance(Duration::from_secs(2)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn proactive_refresh_without_initial_token_fetches_at_once() {
        let clock = test_clock();
        let (calls, refresher) = counting_refresher(clock, TimeDelta::hours(1));
        let credential = CommunicationTokenCredential::with_refresher(refresher)
            .refresh_proactively(true)
            .clock(clock)
            .build()
            .unwrap();
        settle().await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        credential.get_token().await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn failing_proactive_refresh_backs_off_then_stops() {
        let clock = test_clock();
        let initial = jwt(clock.now() + TimeDelta::minutes(6));
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let _credential = CommunicationTokenCredential::with_refresher(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { Err::<String, _>(std::io::Error::other("boom")) }
        })
        .initial_token(initial)
        .refresh_proactively(true)
        .clock(clock)
        .build()
        .unwrap();
        settle().await;

        advance(minutes(3) + Duration::from_secs(1)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Next attempt after half of the remaining three minutes.
        advance(minutes(1) + Duration::from_secs(31)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);

        for _ in 0..120 {
            advance(Duration::from_secs(1)).await;
        }
        let after_expiry = calls.load(Ordering::SeqCst);
        assert!((3..20).contains(&after_expiry), "{after_expiry} attempts");
        for _ in 0..60 {
            advance(minutes(1)).await;
        }
        assert_eq!(
            calls.load(Ordering::SeqCst),
            after_expiry,
            "no attempts once expired"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn on_demand_refresh_reschedules_proactive_refresh() {
        let clock = test_clock();
        let initial = jwt(clock.now() + TimeDelta::seconds(30));
        let (calls, refresher) = counting_refresher(clock, TimeDelta::hours(1));
        let credential = CommunicationTokenCredential::with_refresher(refresher)
            .initial_token(initial)
            .refresh_proactively(true)
            .clock(clock)
            .build()
            .unwrap();
        // The on-demand refresh wins the race with the background task,
        // which is then rescheduled from the new token.
        credential.get_token().await.unwrap();
        settle().await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        advance(minutes(49) + Duration::from_secs(59)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        advance(Duration::from_secs(2)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_credential_stops_proactive_refresh() {
        let clock = test_clock();
        let initial = jwt(clock.now() + TimeDelta::hours(1));
        let (calls, refresher) = counting_refresher(clock, TimeDelta::hours(1));
        let credential = CommunicationTokenCredential::with_refresher(refresher)
            .initial_token(initial)
            .refresh_proactively(true)
            .clock(clock)
            .build()
            .unwrap();
        let clone = credential.clone();
        settle().await;
        // Let one background refresh happen first: the task must not keep
        // the credential alive after it either.
        advance(minutes(50) + Duration::from_secs(1)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let task = lock(&credential.inner.proactive_task).take().unwrap();
        assert!(!task.is_finished());

        drop(credential);
        settle().await;
        assert!(!task.is_finished(), "a clone is still alive");

        drop(clone);
        tokio::time::timeout(Duration::from_secs(1), task)
            .await
            .expect("background task ends with the credential")
            .unwrap();
        // The refresher (and its captured counter) went with the credential.
        assert_eq!(Arc::strong_count(&calls), 1);
        advance(minutes(120)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn proactive_credential_built_outside_a_runtime_starts_later() {
        let clock = Clock::System;
        let (calls, refresher) = counting_refresher(clock, TimeDelta::hours(1));
        let credential = CommunicationTokenCredential::with_refresher(refresher)
            .initial_token(jwt(Utc::now() + TimeDelta::hours(1)))
            .refresh_proactively(true)
            .build()
            .unwrap();
        assert!(lock(&credential.inner.proactive_task).is_none());

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            credential.get_token().await.unwrap();
        });
        assert!(lock(&credential.inner.proactive_task).is_some());
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        drop(runtime);

        // The task died with its runtime; a new runtime gets a new one.
        assert!(lock(&credential.inner.proactive_task)
            .as_ref()
            .is_some_and(JoinHandle::is_finished));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            credential.get_token().await.unwrap();
        });
        assert!(lock(&credential.inner.proactive_task)
            .as_ref()
            .is_some_and(|task| !task.is_finished()));
    }
}
