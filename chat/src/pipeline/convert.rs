//! The one conversion of what the raw client returns (a value or a raw
//! error) and of a response read directly (the identity client) into this
//! crate's results.

use acs_chat_rest::types::CommunicationErrorResponse;
use acs_chat_rest::ResponseHead;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use crate::error::{ChatError, Error, ErrorKind};

/// The raw client's error type for every operation.
pub(crate) type RawError = acs_chat_rest::Error<CommunicationErrorResponse>;

/// Converts a raw client error into ours, with the response head the
/// attempt recorded (the status of an error whose body is not JSON). Not
/// async, so that no body reader's state sits in every request's future: an
/// [`UnexpectedResponse`](acs_chat_rest::Error::UnexpectedResponse), whose
/// body must still be read, is handed back for [`unexpected`].
pub(crate) fn from_raw(
    error: RawError,
    head: Option<&ResponseHead>,
) -> Result<Error, Box<reqwest::Response>> {
    use acs_chat_rest::Error as Raw;
    Ok(match error {
        Raw::ErrorResponse(response) => {
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let service_error = ChatError::from(response.into_inner().error);
            Error::from_service(status, &headers, Some(service_error), String::new())
        }
        Raw::UnexpectedResponse(response) => return Err(Box::new(response)),
        Raw::InvalidResponsePayload(body, source) => match head {
            // An error status whose body is not the service's JSON (a proxy's page).
            Some(head) if head.status.as_u16() >= 400 => {
                Error::from_response(head.status.as_u16(), &head.headers, &body)
            }
            _ => Error::decode("the service's response could not be decoded", source),
        },
        Raw::CommunicationError(source) => from_transport(source),
        Raw::ResponseBodyError(source) => {
            Error::new(ErrorKind::Transport, "reading the response failed").with_source(source)
        }
        Raw::InvalidUpgrade(source) => from_transport(source),
        Raw::Custom(message) => Error::new(ErrorKind::Refused, message),
        Raw::InvalidRequest(message) => Error::invalid_argument(message),
    })
}

/// The error a response of a status the operation does not describe makes.
pub(crate) async fn unexpected(response: Box<reqwest::Response>) -> Error {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap_or_default();
    Error::from_response(status, &headers, &body)
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

/// A response read directly: the body on `expected` status, else the error
/// its status, headers and body describe (as [`from_raw`] does).
pub(crate) async fn read_response(
    response: reqwest::Response,
    expected: u16,
) -> Result<bytes::Bytes, Error> {
    let status = response.status().as_u16();
    let headers: Option<HeaderMap> = (status != expected).then(|| response.headers().clone());
    let body = response.bytes().await.map_err(from_transport)?;
    match headers {
        Some(headers) => Err(Error::from_response(status, &headers, &body)),
        None => Ok(body),
    }
}

/// Decodes a successful body.
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, Error> {
    serde_json::from_slice(body)
        .map_err(|e| Error::decode(format!("{what} could not be decoded"), e))
}
