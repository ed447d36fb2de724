//! The one way a request of the facade travels: [`Pipeline::call`] runs an
//! operation's attempts with retries classified by its [`OperationRoute`]
//! (`run`), each attempt signed and recorded explicitly
//! ([`attempt`]), and converts the raw outcome into ours once ([`convert`]).
//! Paging fetches ([`paging`]) and the identity client come through the
//! same loop and conversion.
//!
//! Data flows one way: `client`/`thread`/`identity` → `pipeline` →
//! `retry`, `policy`, `credential`, `error`.

pub(crate) mod attempt;
pub(crate) mod convert;
pub(crate) mod paging;

use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use acs_chat_rest::{OperationRoute, ResponseValue};
use futures::future::BoxFuture;
use reqwest::header::HeaderValue;
use tracing::Instrument;

use crate::credential::CommunicationTokenCredential;
use crate::error::{Error, Result};
use crate::retry::{verdict, Removal, RetryOptions, Verdict};

pub(crate) use attempt::RequestId;
pub(crate) use convert::RawError;

/// What a raw operation returns.
pub(crate) type RawResult<T> = std::result::Result<ResponseValue<T>, RawError>;

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
}

impl Pipeline {
    pub(crate) fn new(
        raw: acs_chat_rest::Client,
        endpoint: reqwest::Url,
        retry: RetryOptions,
        try_timeout: Duration,
        credential: CommunicationTokenCredential,
        user_agent: HeaderValue,
    ) -> Self {
        Self {
            raw,
            endpoint,
            retry,
            try_timeout,
            credential,
            user_agent,
        }
    }

    /// Runs the raw call `op` of `route` with this client's retries: each
    /// attempt gets a fresh request id and the credential's current token,
    /// and its outcome is converted once.
    ///
    /// `op` is called once per attempt with that attempt's raw client, and
    /// boxes the raw future once.
    pub(crate) async fn call<'x, T, F>(
        &'x self,
        route: &'static OperationRoute,
        thread_id: Option<&'x str>,
        op: F,
    ) -> Result<T>
    where
        F: for<'c> Fn(&'c acs_chat_rest::Client, Borrows<'c, 'x>) -> BoxFuture<'c, RawResult<T>>,
    {
        run(
            &self.retry,
            route,
            thread_id,
            std::convert::identity,
            |request_id| attempt::raw(self, request_id, &op),
        )
        .await
    }

    /// [`call`](Self::call) for a removal (a delete, or removing a
    /// participant): a 404 after an attempt whose answer was lost means that
    /// attempt removed it (see [`Removal`]).
    pub(crate) async fn remove<'x, F>(
        &'x self,
        route: &'static OperationRoute,
        thread_id: Option<&'x str>,
        op: F,
    ) -> Result<()>
    where
        F: for<'c> Fn(&'c acs_chat_rest::Client, Borrows<'c, 'x>) -> BoxFuture<'c, RawResult<()>>,
    {
        let mut removal = Removal::default();
        let settle = |outcome| removal.settle(outcome);
        run(&self.retry, route, thread_id, settle, |request_id| {
            attempt::raw(self, request_id, &op)
        })
        .await
    }
}

/// Runs `attempt` until it succeeds, fails for good, or the retries run out,
/// inside one `acs_chat.operation` span (operation, thread id, attempts,
/// outcome). Each attempt is a fresh call (a new request with a new id,
/// signed again) inside its own `acs_chat.request` span; `settle` sees each
/// attempt's result before the retry verdict.
pub(crate) async fn run<T, F, Fut>(
    options: &RetryOptions,
    route: &'static OperationRoute,
    thread_id: Option<&str>,
    mut settle: impl FnMut(Result<T>) -> Result<T>,
    mut attempt: F,
) -> Result<T>
where
    F: FnMut(RequestId) -> Fut,
    Fut: Future<Output = attempt::Outcome<T>>,
{
    let operation = route.name;
    let thread_id = thread_id.unwrap_or("");
    let operation_span = tracing::info_span!(
        "acs_chat.operation",
        operation,
        thread_id,
        attempts = tracing::field::Empty,
        outcome = tracing::field::Empty,
    );
    let mut retry = 0u32;
    let result = async {
        loop {
            operation_span.record("attempts", retry + 1);
            let span = tracing::info_span!(
                parent: &operation_span,
                "acs_chat.request",
                operation,
                thread_id,
                attempt = retry + 1,
                status = tracing::field::Empty,
                request_id = tracing::field::Empty,
            );
            let request_id = RequestId::new();
            span.record("request_id", request_id.as_str());
            let started = std::time::Instant::now();
            let outcome = attempt(request_id.clone()).instrument(span.clone()).await;
            if let Some(status) = outcome.status {
                span.record("status", status.as_u16());
            }
            // One event per attempt, so that `RUST_LOG=acs_chat=debug` lists
            // the requests (the span's fields say which).
            tracing::debug!(
                parent: &span,
                elapsed_ms = started.elapsed().as_millis() as u64,
                ok = outcome.result.is_ok(),
                "request done"
            );
            let result = settle(outcome.result);
            let error = match result {
                Ok(value) => return Ok(value),
                Err(error) => error.with_client_request_id(Some(request_id.as_str().to_owned())),
            };
            let verdict = verdict(&error, route.idempotent);
            if verdict == Verdict::OutcomeUnknown {
                tracing::warn!(parent: &span, %error, "not retried: the outcome is unknown");
                return Err(error.into_outcome_unknown(operation));
            }
            if verdict == Verdict::GiveUp || retry >= options.retries() {
                return Err(error);
            }
            retry += 1;
            let wait = error
                .retry_after()
                .unwrap_or_else(|| options.backoff(retry));
            if wait > options.max_delay_limit() {
                tracing::warn!(parent: &span, ?wait, "the service asked to wait longer than max_delay");
                return Err(error);
            }
            tracing::info!(parent: &span, %error, ?wait, "retrying");
            // Boxed: a timer makes every request's future larger, and only a
            // retry needs one.
            Box::pin(tokio::time::sleep(wait)).await;
        }
    }
    .instrument(operation_span.clone())
    .await;
    match &result {
        Ok(_) => operation_span.record("outcome", "ok"),
        Err(error) => operation_span.record("outcome", tracing::field::display(error.kind())),
    };
    result
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
