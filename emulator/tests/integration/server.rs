//! Lifecycle: endpoint, fixed port, graceful shutdown, shutdown on drop.

use std::time::Duration;

use acs_chat_emulator::Emulator;
use tokio::net::TcpStream;

use crate::common::Api;

/// True once nothing accepts on `addr` (bounded wait).
async fn eventually_refused(addr: std::net::SocketAddr) -> bool {
    for _ in 0..50 {
        if TcpStream::connect(addr).await.is_err() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn endpoint_and_connection_string() {
    let emulator = Emulator::start().await.expect("starts");
    let port = emulator.local_addr().port();
    assert_ne!(port, 0);
    assert_eq!(emulator.endpoint(), format!("http://127.0.0.1:{port}/"));
    assert_eq!(
        emulator.connection_string(),
        format!(
            "endpoint=http://127.0.0.1:{port}/;accesskey={}",
            acs_chat_emulator::DEV_ACCESS_KEY
        )
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn fixed_port_and_graceful_shutdown() {
    // Find a free port, release it, and ask for it explicitly.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe bind");
    let port = probe.local_addr().expect("addr").port();
    drop(probe);
    let emulator = Emulator::builder()
        .port(port)
        .start()
        .await
        .expect("starts");
    assert_eq!(emulator.local_addr().port(), port);
    let addr = emulator.local_addr();

    // A keep-alive client with an open connection does not block shutdown.
    let pooled = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let api = Api::with_client(emulator.endpoint(), pooled);
    assert_eq!(api.admin_get("/admin/health").await["status"], "ok");

    let started = std::time::Instant::now();
    emulator.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(eventually_refused(addr).await);
}

#[tokio::test]
async fn drop_stops_the_server() {
    let emulator = Emulator::start().await.expect("starts");
    let addr = emulator.local_addr();
    assert!(TcpStream::connect(addr).await.is_ok());
    drop(emulator);
    assert!(eventually_refused(addr).await);
}

#[tokio::test]
async fn port_in_use_is_an_error() {
    let first = Emulator::start().await.expect("starts");
    let second = Emulator::builder()
        .port(first.local_addr().port())
        .start()
        .await;
    assert!(second.is_err());
    first.shutdown().await;
}
