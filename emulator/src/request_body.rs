//! Reads every request's body in full before routing it, within a size
//! limit and a time limit.
//!
//! Why first: a route that answers before reading the body (401, a wrong
//! api-version, 404/405, an injected 429/503) used to leave the body on a
//! keep-alive connection, which hyper then closed without saying
//! `Connection: close`; a client that had already reused it saw the
//! connection close with no answer, and the facade reported an unknown
//! outcome for a send that was never processed. With the body read first,
//! every answer leaves the connection clean.
//!
//! Why a time limit: a client that announces a body and never sends it
//! would otherwise hold its connection (and a task) forever. The limit
//! covers the whole body, so trickling one byte at a time does not help.
//!
//! A body over the size limit answers 413 `RequestEntityTooLarge`, one not
//! received in time 408 `RequestTimeout`, a broken one 400; all three with
//! `Connection: close`, since what is left of the body is still in flight.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};

use crate::error::ApiError;
use crate::json::BAD_REQUEST_CODE;

/// Largest request body any route accepts (axum's default limit, which the
/// routes' extractors apply too).
pub const MAX_REQUEST_BODY_BYTES: usize = 2 * 1024 * 1024;
/// Default time allowed to receive a whole request body.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The limits [`read_body_first`] applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// Largest body, in bytes.
    pub max_bytes: usize,
    /// Time allowed to receive the whole body.
    pub read_timeout: Duration,
}

impl Default for BodyLimits {
    fn default() -> Self {
        Self {
            max_bytes: MAX_REQUEST_BODY_BYTES,
            read_timeout: DEFAULT_BODY_READ_TIMEOUT,
        }
    }
}

/// Middleware: buffers the body within `limits`, then routes the request
/// with the buffered body.
pub async fn read_body_first(
    State(limits): State<BodyLimits>,
    req: Request,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let announced = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|len| len > limits.max_bytes as u64) {
        return closing(too_large(limits.max_bytes));
    }
    let read = tokio::time::timeout(
        limits.read_timeout,
        Limited::new(body, limits.max_bytes).collect(),
    )
    .await;
    match read {
        Ok(Ok(collected)) => {
            let req = Request::from_parts(parts, Body::from(collected.to_bytes()));
            next.run(req).await
        }
        Ok(Err(err)) if err.downcast_ref::<LengthLimitError>().is_some() => {
            closing(too_large(limits.max_bytes))
        }
        Ok(Err(_)) => closing(ApiError::bad_request(
            BAD_REQUEST_CODE,
            "The request body could not be read.",
        )),
        Err(_elapsed) => closing(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "RequestTimeout",
            format!(
                "The request body was not received within {} seconds.",
                limits.read_timeout.as_secs_f64()
            ),
        )),
    }
}

fn too_large(max_bytes: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestEntityTooLarge",
        format!("The request body is too large; at most {max_bytes} bytes are allowed."),
    )
}

/// `error` with `Connection: close`: hyper then closes the connection after
/// the answer (HTTP/1; HTTP/2 ignores the header and resets the stream).
fn closing(error: ApiError) -> Response {
    error
        .with_header(header::CONNECTION, HeaderValue::from_static("close"))
        .into_response()
}
