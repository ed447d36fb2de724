//! The one way a request of the facade travels: [`Pipeline::call`] runs an
//! operation's attempts with retries classified by its [`OperationRoute`]
//! (`run`), each attempt signed and recorded explicitly
//! ([`attempt`]), and converts the raw outcome into ours once ([`convert`]).
//! Paging fetches ([`paging`]) and the identity client come through the
//! same loop and conversion.
//!
//! Data flows one way: `client`/`thread`/`identity` → `pipeline` →
//! `retry`, `credential`, `error`. (`policy` serves only the raw client that
//! `ChatClient::raw` hands out.)

pub(crate) mod attempt;
pub(crate) mod convert;
pub(crate) mod paging;

use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use acs_chat_rest::{OperationRoute, ResponseValue};
use futures::future::{BoxFuture, Either};
use futures::FutureExt as _;
use reqwest::header::HeaderValue;
use tracing::Instrument;

use crate::credential::CommunicationTokenCredential;
use crate::error::{Error, Result};
use crate::retry::{verdict, Removal, RetryOptions, Verdict};
use crate::transport::ChatUserAgent;

pub(crate) use attempt::RequestId;
pub(crate) use convert::RawError;

/// What a raw operation returns.
pub(crate) type RawResult<T> = std::result::Result<ResponseValue<T>, RawError>;

/// One attempt's raw call, as an operation hands it to the pipeline: boxed
/// once, its value and its error boxed too. Values are up to half a
/// kilobyte (a message is 544 bytes) and a raw error is 200 bytes; boxed
/// where they are made, they are not copied again through every future on
/// their way up, and no future keeps room for them.
pub(crate) type RawCall<'c, T> = BoxFuture<'c, std::result::Result<Box<T>, Box<RawError>>>;

/// A raw operation's future as a [`RawCall`].
///
/// A combinator rather than an `async` block: the block would hold the raw
/// future twice (as its capture and as the future it awaits) and copy it
/// from one to the other when first polled.
pub(crate) fn boxed<'c, T: Send + 'c>(
    call: impl Future<Output = RawResult<T>> + Send + 'c,
) -> RawCall<'c, T> {
    Box::pin(call.map(|result| match result {
        Ok(response) => Ok(Box::new(response.into_inner())),
        Err(error) => Err(Box::new(error)),
    }))
}

/// Ties a raw call's borrow of its attempt client (`'c`) to the data the
/// call captures (`'x`): the type `&'c &'x ()` implies `'x: 'c`, which lets a
/// closure return a future borrowing both.
pub(crate) type Borrows<'c, 'x> = PhantomData<&'c &'x ()>;

/// What every client of one endpoint shares.
pub(crate) struct Pipeline {
    /// Every client's raw client: [`crate::ChatClient::raw`] hands it out
    /// (signed through [`crate::policy`]); attempts derive theirs from it.
    pub(crate) raw: acs_chat_rest::Client,
    pub(crate) endpoint: reqwest::Url,
    pub(crate) retry: RetryOptions,
    /// The configured time limit of one attempt.
    pub(crate) try_timeout: Duration,
    credential: CommunicationTokenCredential,
    user_agent: HeaderValue,
    /// The [`header_copies`](crate::header_copies) key of `user_agent`, or
    /// none for a static value (whose clones share nothing to copy around).
    user_agent_key: Option<u64>,
}

impl Pipeline {
    pub(crate) fn new(
        raw: acs_chat_rest::Client,
        endpoint: reqwest::Url,
        retry: RetryOptions,
        try_timeout: Duration,
        credential: CommunicationTokenCredential,
        user_agent: ChatUserAgent,
    ) -> Self {
        let user_agent_key = (!user_agent.is_static())
            .then(|| crate::header_copies::key_of_text(user_agent.value()));
        Self {
            raw,
            endpoint,
            retry,
            try_timeout,
            credential,
            user_agent: user_agent.value().clone(),
            user_agent_key,
        }
    }

    /// The user agent for one attempt, sent from this thread (see
    /// [`header_copies`](crate::header_copies)).
    pub(crate) fn user_agent(&self) -> HeaderValue {
        match self.user_agent_key {
            None => self.user_agent.clone(),
            Some(key) => crate::header_copies::get_or_copy(key, &self.user_agent, None),
        }
    }

    /// Runs the raw call `op` of `route` with this client's retries: each
    /// attempt gets a fresh request id and the credential's current token,
    /// and its outcome is converted once.
    ///
    /// `op` is called once per attempt with that attempt's raw client, and
    /// boxes the raw future once.
    ///
    /// Not an `async fn` (nor is [`remove`](Self::remove)): that would keep
    /// a second copy of the arguments in the future of every request.
    #[allow(
        clippy::manual_async_fn,
        reason = "an async fn keeps a second copy of its arguments in its future"
    )]
    pub(crate) fn call<'x, T, F>(
        &'x self,
        route: &'static OperationRoute,
        thread_id: Option<&'x str>,
        op: F,
    ) -> impl Future<Output = Result<Box<T>>> + 'x
    where
        T: 'x,
        F: for<'c> Fn(&'c acs_chat_rest::Client, Borrows<'c, 'x>) -> RawCall<'c, T> + 'x,
    {
        async move {
            run(
                &self.retry,
                route,
                thread_id,
                std::convert::identity,
                |request_id| attempt::raw(self, request_id, &op),
            )
            .await
        }
    }

    /// [`call`](Self::call) for a removal (a delete, or removing a
    /// participant): a 404 after an attempt whose answer was lost means that
    /// attempt removed it (see [`Removal`]).
    #[allow(
        clippy::manual_async_fn,
        reason = "an async fn keeps a second copy of its arguments in its future"
    )]
    pub(crate) fn remove<'x, F>(
        &'x self,
        route: &'static OperationRoute,
        thread_id: Option<&'x str>,
        op: F,
    ) -> impl Future<Output = Result<()>> + 'x
    where
        F: for<'c> Fn(&'c acs_chat_rest::Client, Borrows<'c, 'x>) -> RawCall<'c, ()> + 'x,
    {
        async move {
            let mut removal = Removal::default();
            let settle = |outcome| removal.settle(outcome);
            run(&self.retry, route, thread_id, settle, |request_id| {
                attempt::raw(self, request_id, &op)
            })
            .await
            .map(|_| ())
        }
    }
}

/// Runs `attempt` until it succeeds, fails for good, or the retries run out,
/// inside one `acs_chat.operation` span (operation, thread id, attempts,
/// outcome). Each attempt is a fresh call (a new request with a new id,
/// signed again) inside its own `acs_chat.request` span; `settle` sees each
/// attempt's result before the retry verdict.
pub(crate) fn run<'a, T, F, Fut, S>(
    options: &'a RetryOptions,
    route: &'static OperationRoute,
    thread_id: Option<&'a str>,
    mut settle: S,
    mut attempt: F,
) -> impl Future<Output = Result<T>> + 'a
where
    T: 'a,
    F: FnMut(RequestId) -> Fut + 'a,
    Fut: Future<Output = attempt::Outcome<T>> + 'a,
    S: FnMut(Result<T>) -> Result<T> + 'a,
{
    // A plain function around one async block (not an `async fn` around
    // another): every level of nesting is a future copied when it starts.
    // What is not generic (spans, events, the retry verdict) is in plain
    // functions kept out of line: compiled once rather than into every
    // operation's future (each poll of it was 10 KB of code, now 4 KB).
    let thread_id = thread_id.unwrap_or("");
    // With no subscriber ever set, a span is wanted only by tracing's `log`
    // fallback, which hands a disabled span's fields to a `log` logger that
    // takes INFO records. With neither, it is not even made: making it costs
    // that fallback's checks at every request.
    let wanted = tracing::dispatcher::has_been_set() || log::max_level() >= log::LevelFilter::Info;
    let operation_span = if wanted {
        operation_span(route, thread_id)
    } else {
        tracing::Span::none()
    };
    let traced = !operation_span.is_none();
    let instrument_with = operation_span.clone();
    let attempts = async move {
        let mut retry = 0u32;
        let result = 'attempts: loop {
            let request_id = RequestId::new();
            let span = if traced {
                request_span(&operation_span, route, thread_id, retry + 1, &request_id)
            } else {
                tracing::Span::none()
            };
            let started = std::time::Instant::now();
            // Only a span someone listens to is worth its wrapper's cost
            // at every poll.
            let outcome = if traced {
                attempt(request_id.clone()).instrument(span.clone()).await
            } else {
                attempt(request_id.clone()).await
            };
            // Always called: with tracing's `log` feature and no subscriber,
            // the event still goes to a `log` logger.
            attempt_done(&span, outcome.status, started, outcome.result.is_ok());
            let error = match settle(outcome.result) {
                Ok(value) => break 'attempts Ok(value),
                Err(error) => error,
            };
            match after_failure(error, &request_id, route, retry, options, &span) {
                Next::Stop(error) => break 'attempts Err(error),
                Next::RetryAfter(wait) => {
                    retry += 1;
                    // Boxed: a timer makes every request's future larger,
                    // and only a retry needs one.
                    Box::pin(tokio::time::sleep(wait)).await;
                }
            }
        };
        if traced {
            operation_done(&operation_span, result.as_ref().err());
        }
        result
    };
    if traced {
        Either::Left(attempts.instrument(instrument_with))
    } else {
        Either::Right(attempts)
    }
}

/// The `acs_chat.operation` span of one operation (none when no subscriber
/// wants it).
#[inline(never)]
fn operation_span(route: &'static OperationRoute, thread_id: &str) -> tracing::Span {
    enabled(tracing::info_span!(
        "acs_chat.operation",
        operation = route.name,
        thread_id,
        attempts = tracing::field::Empty,
        outcome = tracing::field::Empty,
    ))
}

/// The `acs_chat.request` span of one attempt, counted on its operation's.
#[inline(never)]
fn request_span(
    operation_span: &tracing::Span,
    route: &'static OperationRoute,
    thread_id: &str,
    attempt: u32,
    request_id: &RequestId,
) -> tracing::Span {
    operation_span.record("attempts", attempt);
    enabled(tracing::info_span!(
        parent: operation_span,
        "acs_chat.request",
        operation = route.name,
        thread_id,
        attempt,
        status = tracing::field::Empty,
        request_id = request_id.as_str(),
    ))
}

/// Records an attempt's status on its span, and one event per attempt, so
/// that `RUST_LOG=acs_chat=debug` lists the requests (the span's fields say
/// which).
#[inline(never)]
fn attempt_done(
    span: &tracing::Span,
    status: Option<reqwest::StatusCode>,
    started: std::time::Instant,
    ok: bool,
) {
    if let (false, Some(status)) = (span.is_none(), status) {
        span.record("status", status.as_u16());
    }
    tracing::debug!(
        parent: span,
        elapsed_ms = started.elapsed().as_millis() as u64,
        ok,
        "request done"
    );
}

/// What follows a failed attempt.
enum Next {
    /// No further attempt: the operation fails with this error.
    Stop(Error),
    /// Another attempt after this wait.
    RetryAfter(Duration),
}

/// Whether and when a failed attempt (the `retry`-th retry, 0 for the first
/// attempt) is tried again: the verdict for the route, the retries left,
/// and the wait the service asked for or the backoff's.
#[inline(never)]
fn after_failure(
    error: Error,
    request_id: &RequestId,
    route: &'static OperationRoute,
    retry: u32,
    options: &RetryOptions,
    span: &tracing::Span,
) -> Next {
    let error = error.with_client_request_id(Some(request_id.as_str().to_owned()));
    let verdict = verdict(&error, route.idempotent);
    if verdict == Verdict::OutcomeUnknown {
        tracing::warn!(parent: span, %error, "not retried: the outcome is unknown");
        return Next::Stop(error.into_outcome_unknown(route.name));
    }
    if verdict == Verdict::GiveUp || retry >= options.retries() {
        return Next::Stop(error);
    }
    let wait = error
        .retry_after()
        .unwrap_or_else(|| options.backoff(retry + 1));
    if wait > options.max_delay_limit() {
        tracing::warn!(parent: span, ?wait, "the service asked to wait longer than max_delay");
        return Next::Stop(error);
    }
    tracing::info!(parent: span, %error, ?wait, "retrying");
    Next::RetryAfter(wait)
}

/// Records an operation's outcome on its span.
#[inline(never)]
fn operation_done(span: &tracing::Span, error: Option<&Error>) {
    match error {
        None => span.record("outcome", "ok"),
        Some(error) => span.record("outcome", tracing::field::display(error.kind())),
    };
}

/// `span`, or no span at all when no subscriber wants it: a disabled span
/// still costs its bookkeeping (and, with tracing's `log` feature, a check
/// of the `log` crate) at every enter, exit and record.
fn enabled(span: tracing::Span) -> tracing::Span {
    if span.is_disabled() {
        tracing::Span::none()
    } else {
        span
    }
}

/// Rejects ids that are empty or would change the request path.
pub(crate) fn check_id(what: &str, id: &str) -> Result<()> {
    if id.trim().is_empty() || id == "." || id == ".." {
        return Err(Error::invalid_argument(format!(
            "{what} must not be empty, `.` or `..`"
        )));
    }
    Ok(())
}
