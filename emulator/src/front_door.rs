//! What every request passes through first, in one middleware (each axum
//! middleware layer clones the services beneath it and boxes a future for
//! every request, so three separate ones cost more than the work they do):
//! the request log ([`crate::request_log`]), the body read in full within
//! its limits ([`crate::request_body`]) and the headers every answer
//! carries ([`crate::headers`]).

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::headers::{add_common_headers, CommonHeaders, CLIENT_REQUEST_ID};
use crate::request_body::{read_body_first, BodyLimits};
use crate::request_log::RequestLog;

/// The settings of [`front_door`].
#[derive(Debug, Clone)]
pub struct FrontDoor {
    /// Limits of request bodies.
    pub body_limits: BodyLimits,
    /// The common headers.
    pub headers: CommonHeaders,
}

/// Middleware: logs the request (when the log is on), reads its body, runs
/// it, and adds the common headers to the answer, errors included.
pub async fn front_door(State(door): State<FrontDoor>, req: Request, next: Next) -> Response {
    let log = RequestLog::start(&req);
    let client_request_id = req.headers().get(CLIENT_REQUEST_ID).cloned();
    let mut response = match read_body_first(req, door.body_limits).await {
        Ok(req) => next.run(req).await,
        Err(refused) => refused,
    };
    add_common_headers(&mut response, &door.headers, client_request_id);
    log.finish(&response);
    response
}
