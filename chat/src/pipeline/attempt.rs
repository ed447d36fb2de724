//! One attempt: its request id, and the raw call sent with the credential's
//! token through a raw client made for that attempt, whose record of the
//! response is read back explicitly.

use std::future::Future;

use acs_chat_rest::Attempt;
use reqwest::header::HeaderValue;
use reqwest::StatusCode;

use super::{convert, Borrows, Pipeline, RawCall};
use crate::error::Result;

/// The `x-ms-client-request-id` of one attempt: a random UUID, kept as the
/// header value it is sent as (cloning it is a reference count).
#[derive(Clone)]
pub(crate) struct RequestId(HeaderValue);

impl RequestId {
    pub(crate) fn new() -> Self {
        Self(acs_chat_rest::new_request_id())
    }

    pub(crate) fn header(&self) -> &HeaderValue {
        &self.0
    }

    pub(crate) fn as_str(&self) -> &str {
        // A hyphenated UUID is ASCII, so this never reads as empty.
        self.0.to_str().unwrap_or_default()
    }
}

/// What one attempt came to: its result, and the status of its response if
/// one came (for the attempt's span).
pub(crate) struct Outcome<T> {
    pub(crate) result: Result<T>,
    pub(crate) status: Option<StatusCode>,
}

impl<T> Outcome<T> {
    /// An attempt that failed before anything was sent.
    pub(crate) fn unsent(error: crate::Error) -> Self {
        Self {
            result: Err(error),
            status: None,
        }
    }
}

/// One attempt of a raw call: signs it, sends it through a raw client made
/// for it, and converts what came back.
///
/// Not an `async fn`, which would keep a second copy of its arguments in
/// its state: this future sits inside every request's.
pub(crate) fn raw<'x, 'o, T, F>(
    pipeline: &'x Pipeline,
    request_id: RequestId,
    op: &'o F,
) -> impl Future<Output = Outcome<Box<T>>> + 'o
where
    'x: 'o,
    F: for<'c> Fn(&'c acs_chat_rest::Client, Borrows<'c, 'x>) -> RawCall<'c, T>,
{
    async move {
        let authorization = match pipeline.credential.bearer_header().await {
            Ok(header) => header,
            Err(error) => return Outcome::unsent(error),
        };
        let client = pipeline.raw.for_attempt(Attempt::new(
            authorization,
            request_id.header().clone(),
            pipeline.user_agent(),
        ));
        let raw = op(&client, std::marker::PhantomData).await;
        let head = client.attempt().and_then(Attempt::response);
        let status = head.map(|head| head.status);
        let result = match raw {
            Ok(value) => Ok(value),
            Err(error) => match convert::from_raw(*error, head) {
                Ok(error) => Err(error),
                // Boxed: rare, and a body reader would enlarge every attempt.
                Err(response) => Err(Box::pin(convert::unexpected(response)).await),
            },
        };
        Outcome { result, status }
    }
}
