//! One `tracing` event per request, for the binary's request log
//! (`RUST_LOG=acs_chat_emulator::requests=info`): method, path, status,
//! latency and the request id (the client request id, else the MS-CV). No
//! other header and no query string: those may
//! carry tokens, signatures or keys.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use crate::headers::{CLIENT_REQUEST_ID, MS_CV};

/// The `tracing` target of the request log.
pub const TARGET: &str = "acs_chat_emulator::requests";

/// Middleware logging each request once its answer is ready.
pub async fn log_request(req: Request, next: Next) -> Response {
    if !tracing::enabled!(target: TARGET, tracing::Level::INFO) {
        return next.run(req).await;
    }
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let client_request_id = req
        .headers()
        .get(CLIENT_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = next.run(req).await;
    let ms_cv = response.headers().get(MS_CV).and_then(|v| v.to_str().ok());
    tracing::info!(
        target: TARGET,
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        latency_ms = %format_args!("{:.2}", started.elapsed().as_secs_f64() * 1000.0),
        request_id = client_request_id.as_deref().or(ms_cv).unwrap_or(""),
        "request"
    );
    response
}
