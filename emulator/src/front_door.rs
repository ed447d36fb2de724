//! What every request passes through first, in one place rather than as
//! axum middleware layers (each of those clones the services beneath it and
//! boxes a future for every request, and `Router::layer` puts one around
//! every route): the request log ([`crate::request_log`]), the body read in
//! full within its limits ([`crate::request_body`]), a catch for panics
//! (an emulator bug answers 500 in the error shape) and the headers every
//! answer carries ([`crate::headers`]).

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures::FutureExt as _;
use tower::{Service, ServiceExt as _};

use crate::error::ApiError;
use crate::headers::{add_common_headers, CommonHeaders, CLIENT_REQUEST_ID_HEADER};
use crate::request_body::{read_body_first, BodyLimits};
use crate::request_log::RequestLog;

/// The settings of the front door.
#[derive(Debug, Clone)]
pub struct FrontDoor {
    /// Limits of request bodies.
    pub body_limits: BodyLimits,
    /// The common headers.
    pub headers: CommonHeaders,
}

/// The emulator's whole application: the front door, then the routes. It is
/// a `tower::Service`; [`App::handle`] answers one request, and
/// `axum::serve(listener, tower::make::Shared::new(app))` serves it on a
/// listener of your own (the emulator's own server also drops connections
/// for fault injection: see [`crate::server`]).
///
/// ```
/// use tower::ServiceExt;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let state = acs_chat_emulator::AppState::new(acs_chat_emulator::DEV_ACCESS_KEY).unwrap();
/// let app = acs_chat_emulator::router::app(state, Default::default());
/// let request = axum::http::Request::get("/nowhere")
///     .body(axum::body::Body::empty())
///     .unwrap();
/// let answer = app.oneshot(request).await.unwrap();
/// assert_eq!(answer.status(), 404);
/// assert!(answer.headers().contains_key("ms-cv"));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct App {
    router: Router,
    door: Arc<FrontDoor>,
}

impl App {
    /// `router` behind a front door with `door`'s settings.
    pub fn new(router: Router, door: FrontDoor) -> Self {
        Self {
            router,
            door: Arc::new(door),
        }
    }

    /// Logs the request (when the log is on), reads its body, routes it,
    /// and adds the common headers to the answer, errors included.
    pub async fn handle(&self, req: Request) -> Response {
        let log = RequestLog::start(&req);
        let client_request_id = req.headers().get(&CLIENT_REQUEST_ID_HEADER).cloned();
        let mut response = match read_body_first(req, self.door.body_limits).await {
            Ok(req) => {
                // A panic is an emulator bug: it answers 500 rather than
                // closing the connection, and the locks it may have
                // poisoned are recovered (`crate::sync`).
                let routed = AssertUnwindSafe(self.router.clone().oneshot(req));
                match routed.catch_unwind().await {
                    Ok(Ok(response)) => response,
                    Ok(Err(never)) => match never {},
                    Err(_panic) => {
                        ApiError::internal("The emulator failed while handling the request.")
                            .into_response()
                    }
                }
            }
            Err(refused) => refused,
        };
        add_common_headers(&mut response, &self.door.headers, client_request_id);
        log.finish(&response);
        response
    }
}

impl Service<Request> for App {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let app = self.clone();
        Box::pin(async move { Ok(app.handle(req).await) })
    }
}
