//! The webhook receiver: handshakes, secret, parsing, deduplication and the
//! status codes Event Grid's retries depend on. Requests go through the
//! router as a `tower::Service` (in process) and, in `over_http`, over
//! loopback TCP.
#![cfg(feature = "webhook")]

mod over_http;
mod receiver;
