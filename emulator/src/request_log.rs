//! One `tracing` event per request, for the binary's request log
//! (`RUST_LOG=acs_chat_emulator::requests=info`): method, path, status,
//! latency and the request id (the client request id, else the MS-CV). No
//! other header and no query string: those may
//! carry tokens, signatures or keys.

use std::time::Instant;

use axum::extract::Request;
use axum::http::Method;
use axum::response::Response;

use crate::headers::{CLIENT_REQUEST_ID_HEADER, MS_CV_HEADER};

/// The `tracing` target of the request log.
pub const TARGET: &str = "acs_chat_emulator::requests";

/// A request being answered, to log once its answer is ready; nothing when
/// the log is off.
#[derive(Debug)]
pub struct RequestLog(Option<Started>);

#[derive(Debug)]
struct Started {
    at: Instant,
    method: Method,
    path: String,
    client_request_id: Option<String>,
}

impl RequestLog {
    /// Starts logging `req`, if the log is on.
    pub fn start(req: &Request) -> Self {
        if !tracing::enabled!(target: TARGET, tracing::Level::INFO) {
            return Self(None);
        }
        Self(Some(Started {
            at: Instant::now(),
            method: req.method().clone(),
            path: req.uri().path().to_owned(),
            client_request_id: req
                .headers()
                .get(&CLIENT_REQUEST_ID_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        }))
    }

    /// Logs the request with its `response`.
    pub fn finish(self, response: &Response) {
        let Some(started) = self.0 else {
            return;
        };
        let ms_cv = response
            .headers()
            .get(&MS_CV_HEADER)
            .and_then(|v| v.to_str().ok());
        tracing::info!(
            target: TARGET,
            method = %started.method,
            path = %started.path,
            status = response.status().as_u16(),
            latency_ms = %format_args!("{:.2}", started.at.elapsed().as_secs_f64() * 1000.0),
            request_id = started.client_request_id.as_deref().or(ms_cv).unwrap_or(""),
            "request"
        );
    }
}
