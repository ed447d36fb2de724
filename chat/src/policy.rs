//! The facade's request policy (the raw client's hook, with the credential's
//! tokens and typed errors) and the per-attempt scope that lets a failed
//! attempt report its request id, status and the policy's own errors.

use std::sync::{Arc, Mutex};

use acs_chat_rest::types::CommunicationErrorResponse;
use acs_chat_rest::{
    BoxError, BoxFuture, OperationRoute, RequestPolicy, StandardPolicy, TokenSource,
    CLIENT_REQUEST_ID_HEADER,
};
use reqwest::header::{HeaderMap, HeaderValue};

use crate::credential::CommunicationTokenCredential;
use crate::error::{ChatError, Error, ErrorKind, Result};
use crate::sync::lock;

/// What one attempt learned, shared between the retry loop and the policy
/// through a task-local.
#[derive(Default)]
struct AttemptState {
    client_request_id: Mutex<Option<String>>,
    policy_error: Mutex<Option<Error>>,
    response: Mutex<Option<(u16, HeaderMap)>>,
}

tokio::task_local! {
    static ATTEMPT: Arc<AttemptState>;
}

/// One attempt of one operation.
pub(crate) struct AttemptScope {
    state: Arc<AttemptState>,
}

impl AttemptScope {
    pub(crate) fn new() -> Self {
        Self {
            state: Arc::new(AttemptState::default()),
        }
    }

    /// Runs `future` (which sends the attempt's request) inside this scope.
    pub(crate) async fn run<F: std::future::Future>(&self, future: F) -> F::Output {
        ATTEMPT.scope(self.state.clone(), future).await
    }

    /// The `x-ms-client-request-id` the attempt's request carried.
    pub(crate) fn client_request_id(&self) -> Option<String> {
        lock(&self.state.client_request_id).clone()
    }

    /// The HTTP status of the attempt's response, if one came.
    pub(crate) fn status(&self) -> Option<u16> {
        lock(&self.state.response)
            .as_ref()
            .map(|(status, _)| *status)
    }
}

fn with_attempt(update: impl FnOnce(&AttemptState)) {
    // Outside a scope (a user calling `raw()` directly) there is nothing to record.
    let _ = ATTEMPT.try_with(|state| update(state));
}

/// Serves the credential's tokens to the raw client's standard policy.
struct CredentialTokens(CommunicationTokenCredential);

impl TokenSource for CredentialTokens {
    fn token(&self) -> BoxFuture<'_, std::result::Result<String, BoxError>> {
        Box::pin(async move {
            match self.0.get_token().await {
                Ok(token) => Ok(token.token().to_string()),
                Err(error) => Err(Box::new(error) as BoxError),
            }
        })
    }
}

/// The raw client's [`StandardPolicy`] signed with a [`CommunicationTokenCredential`],
/// recording each attempt's request id, response status and typed errors.
pub(crate) struct FacadePolicy {
    standard: StandardPolicy,
}

impl FacadePolicy {
    pub(crate) fn new(credential: CommunicationTokenCredential, user_agent_prefix: &str) -> Self {
        Self {
            standard: StandardPolicy::new(CredentialTokens(credential))
                .with_user_agent_prefix(user_agent_prefix),
        }
    }
}

impl RequestPolicy for FacadePolicy {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        route: &'static OperationRoute,
    ) -> BoxFuture<'a, std::result::Result<(), BoxError>> {
        Box::pin(async move {
            let id = uuid::Uuid::new_v4().to_string();
            if let Ok(value) = HeaderValue::from_str(&id) {
                request
                    .headers_mut()
                    .insert(CLIENT_REQUEST_ID_HEADER, value);
            }
            with_attempt(|state| *lock(&state.client_request_id) = Some(id.clone()));
            match self.standard.prepare(request, route).await {
                Ok(()) => Ok(()),
                Err(error) => {
                    let message = error.to_string();
                    // A credential failure comes back as our own error: keep it typed.
                    let typed = match error.downcast::<Error>() {
                        Ok(ours) => *ours,
                        Err(other) => Error::new(ErrorKind::Refused, other.to_string()),
                    };
                    with_attempt(|state| *lock(&state.policy_error) = Some(typed));
                    Err(message.into())
                }
            }
        })
    }

    fn observe(
        &self,
        _route: &'static OperationRoute,
        outcome: &std::result::Result<reqwest::Response, reqwest::Error>,
    ) {
        if let Ok(response) = outcome {
            let status = response.status().as_u16();
            // Headers are only needed to explain an error whose body is not
            // the service's JSON; copying them for every success would be waste.
            let headers = if status >= 400 {
                response.headers().clone()
            } else {
                HeaderMap::new()
            };
            with_attempt(|state| *lock(&state.response) = Some((status, headers)));
        }
    }
}

/// The raw client's error type for every operation.
pub(crate) type RawError = acs_chat_rest::Error<CommunicationErrorResponse>;

/// Converts a raw client error into ours, with what the attempt recorded.
pub(crate) async fn from_raw(error: RawError) -> Error {
    use acs_chat_rest::Error as Raw;
    match error {
        Raw::ErrorResponse(response) => {
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let service_error = ChatError::from(response.into_inner().error);
            Error::from_service(status, &headers, Some(service_error), String::new())
        }
        Raw::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.bytes().await.unwrap_or_default();
            Error::from_response(status, &headers, &body)
        }
        Raw::InvalidResponsePayload(body, source) => match recorded_response() {
            // An error status whose body is not the service's JSON (a proxy's page).
            Some((status, headers)) if status >= 400 => {
                Error::from_response(status, &headers, &body)
            }
            _ => Error::decode("the service's response could not be decoded", source),
        },
        Raw::CommunicationError(source) => from_transport(source),
        Raw::ResponseBodyError(source) => {
            Error::new(ErrorKind::Transport, "reading the response failed").with_source(source)
        }
        Raw::InvalidUpgrade(source) => from_transport(source),
        Raw::Custom(message) => refused_by_policy(message),
        Raw::InvalidRequest(message) => Error::invalid_argument(message),
    }
}

/// The status and (for errors) headers of this attempt's response.
fn recorded_response() -> Option<(u16, HeaderMap)> {
    ATTEMPT
        .try_with(|state| lock(&state.response).clone())
        .ok()
        .flatten()
}

/// The error of a request the policy refused to prepare: the policy's own
/// typed error (a credential failure stays a credential error) when it
/// recorded one, else a refusal with the raw client's message.
pub(crate) fn refused_by_policy(message: String) -> Error {
    ATTEMPT
        .try_with(|state| lock(&state.policy_error).take())
        .ok()
        .flatten()
        .unwrap_or_else(|| Error::new(ErrorKind::Refused, message))
}

/// A transport failure: whether the request may have reached the service
/// decides if a non-idempotent operation may be retried.
pub(crate) fn from_transport(source: reqwest::Error) -> Error {
    if source.is_connect() {
        Error::new(
            ErrorKind::Connection,
            "could not connect to the service (the request was not sent)",
        )
        .with_source(source)
    } else if source.is_timeout() {
        Error::new(ErrorKind::Transport, "the request timed out").with_source(source)
    } else {
        Error::new(ErrorKind::Transport, "the connection failed").with_source(source)
    }
}

/// Awaits a raw operation and unwraps its value, converting errors.
pub(crate) async fn call<T>(
    operation: impl std::future::Future<
        Output = std::result::Result<acs_chat_rest::ResponseValue<T>, RawError>,
    >,
) -> Result<T> {
    match operation.await {
        Ok(response) => Ok(response.into_inner()),
        Err(error) => Err(from_raw(error).await),
    }
}
