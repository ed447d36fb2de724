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

use std::future::Future as _;
use std::task::Poll;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body::Body as _;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};

use crate::error::ApiError;
use crate::json::{BufferedBody, BAD_REQUEST_CODE};

/// Largest request body any route accepts by default: the front door's
/// limit (see [`BodyLimits`]), and axum's own default, which the few routes
/// reading their body through axum's `Json` apply besides. (`RawBody` and
/// `JsonBody` take the body the front door read, within its limit.)
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

/// The request with its body buffered within `limits`, or the answer when
/// the body is too large, broken or too slow.
pub async fn read_body_first(req: Request, limits: BodyLimits) -> Result<Request, Response> {
    let (mut parts, body) = req.into_parts();
    // Only what this read keeps may be taken for the body.
    parts.extensions.remove::<BufferedBody>();
    if body.is_end_stream() {
        // No body (most GETs): nothing to wait for.
        return Ok(Request::from_parts(parts, Body::empty()));
    }
    let announced = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|len| len > limits.max_bytes as u64) {
        return Err(closing(too_large(limits.max_bytes)));
    }
    let mut collect = std::pin::pin!(Limited::new(body, limits.max_bytes).collect());
    // A small body has usually arrived with the head: polled once, it is
    // complete without arming a timer; otherwise the time limit applies.
    let first = std::future::poll_fn(|cx| Poll::Ready(collect.as_mut().poll(cx))).await;
    let read = match first {
        Poll::Ready(read) => Ok(read),
        Poll::Pending => tokio::time::timeout(limits.read_timeout, collect).await,
    };
    match read {
        Ok(Ok(collected)) => {
            let bytes = collected.to_bytes();
            parts.extensions.insert(BufferedBody(bytes.clone()));
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        Ok(Err(err)) if err.downcast_ref::<LengthLimitError>().is_some() => {
            Err(closing(too_large(limits.max_bytes)))
        }
        Ok(Err(_)) => Err(closing(ApiError::bad_request(
            BAD_REQUEST_CODE,
            "The request body could not be read.",
        ))),
        Err(_elapsed) => Err(closing(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "RequestTimeout",
            format!(
                "The request body was not received within {} seconds.",
                limits.read_timeout.as_secs_f64()
            ),
        ))),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::RawBody;
    use axum::extract::FromRequest as _;

    #[tokio::test]
    async fn the_body_read_first_is_handed_on_without_a_second_read() {
        let request = Request::post("/x")
            .body(Body::from(r#"{"content":"hi"}"#))
            .expect("request");
        let read = read_body_first(request, BodyLimits::default())
            .await
            .expect("read within the limits");
        // The body itself is gone: what the extractor gets is what was kept.
        let (parts, _body) = read.into_parts();
        let request = Request::from_parts(parts, Body::empty());
        let RawBody(bytes) = RawBody::from_request(request, &())
            .await
            .expect("extracted");
        assert_eq!(&bytes[..], br#"{"content":"hi"}"#);
    }
}
