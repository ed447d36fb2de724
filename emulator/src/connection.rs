//! Per-connection abort handle.
//!
//! The server's accept loop gives every accepted connection a
//! [`ConnectionControl`] and inserts a clone into the extensions of each
//! request read from it. Calling [`ConnectionControl::abort`] makes the
//! connection task drop the hyper connection (and with it the socket, or the
//! TLS stream without `close_notify`) immediately: nothing more is written,
//! so a client waiting for the response sees the connection close before any
//! response byte (reqwest reports a request error, not a status).
//!
//! This is how fault injection drops connections "before" or "after"
//! processing a request (see [`crate::faults`]). On HTTP/2 every stream of the
//! connection is cut, not only the faulted one.
//!
//! Each request also carries a [`ConnectionScheme`] extension (`http` or
//! `https`), so routes can build absolute URLs (`Location`, `nextLink`):
//! HTTP/1 requests carry no scheme in their URI.

use std::sync::Arc;

use tokio::sync::Notify;

/// Handle that aborts one client connection.
#[derive(Debug, Clone, Default)]
pub struct ConnectionControl {
    abort: Arc<Notify>,
}

impl ConnectionControl {
    /// A new handle (not yet aborted).
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the connection task to drop the connection now.
    pub fn abort(&self) {
        // `notify_one` stores a permit if the task is not waiting yet, so
        // the request is never lost.
        self.abort.notify_one();
    }

    /// Completes once [`abort`](Self::abort) was called.
    pub async fn aborted(&self) {
        self.abort.notified().await;
    }
}

/// Request extension: the scheme of the connection a request arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionScheme(pub &'static str);

impl ConnectionScheme {
    /// `https` for a TLS connection, else `http`.
    pub fn of(tls: bool) -> Self {
        Self(if tls { "https" } else { "http" })
    }
}
