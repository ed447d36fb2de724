//! Request bodies and keep-alive connections, spoken in raw HTTP/1.1 so the
//! tests see exactly what is on the wire.

use std::time::{Duration, Instant};

use acs_chat_emulator::Emulator;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads one HTTP/1.1 response (headers and a `Content-Length` body) from
/// `stream`; `None` if the connection closes first. Bounded by a timeout.
async fn read_response(stream: &mut TcpStream) -> Option<String> {
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if buf.len() >= end + 4 + length {
                    return Some(String::from_utf8_lossy(&buf[..end + 4 + length]).into_owned());
                }
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .ok()
        .flatten()
}

/// True if the peer closes the connection (bounded wait).
async fn closed_by_peer(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(Duration::from_secs(5), stream.read(&mut byte)).await,
        Ok(Ok(0)) | Ok(Err(_))
    )
}

fn post(host: &str, path: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn an_early_answer_leaves_the_keep_alive_connection_usable() {
    let emulator = Emulator::start().await.expect("starts");
    let host = emulator.local_addr().to_string();
    let mut stream = TcpStream::connect(emulator.local_addr())
        .await
        .expect("connects");
    // Each of these is answered before its body is needed: no token (401),
    // an unknown route (404), a wrong api-version (401 before it, as the
    // token is checked first).
    let body = format!(r#"{{"content":"{}"}}"#, "x".repeat(64 * 1024));
    for path in [
        "/chat/threads/19:a@thread.v2/messages?api-version=2025-03-15",
        "/no/such/route",
        "/chat/threads?api-version=1999-01-01",
    ] {
        stream
            .write_all(post(&host, path, &body).as_bytes())
            .await
            .expect("writes");
        let answer = read_response(&mut stream)
            .await
            .unwrap_or_else(|| panic!("no answer to POST {path} on a reused connection"));
        assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
        assert!(
            !answer.to_ascii_lowercase().contains("connection: close"),
            "{answer}"
        );
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_body_that_never_arrives_times_out_and_closes_the_connection() {
    let emulator = Emulator::builder()
        .body_read_timeout(Duration::from_millis(300))
        .start()
        .await
        .expect("starts");
    let host = emulator.local_addr().to_string();
    let mut stream = TcpStream::connect(emulator.local_addr())
        .await
        .expect("connects");
    let started = Instant::now();
    stream
        .write_all(
            format!(
                "POST /chat/threads?api-version=2025-03-15 HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{{"
            )
            .as_bytes(),
        )
        .await
        .expect("writes");
    // Trickling does not extend the deadline: it covers the whole body.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = stream.write_all(b" ").await;
    }
    let answer = read_response(&mut stream).await.expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"RequestTimeout\""), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert!(closed_by_peer(&mut stream).await);
    assert!(started.elapsed() < Duration::from_secs(5));
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_oversized_body_is_413_and_closes_the_connection() {
    let emulator = Emulator::start().await.expect("starts");
    let host = emulator.local_addr().to_string();
    let mut stream = TcpStream::connect(emulator.local_addr())
        .await
        .expect("connects");
    stream
        .write_all(
            format!(
                "POST /chat/threads?api-version=2025-03-15 HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nx-ms-client-request-id: big-1\r\nContent-Length: {}\r\n\r\n",
                3 * 1024 * 1024
            )
            .as_bytes(),
        )
        .await
        .expect("writes");
    let answer = read_response(&mut stream).await.expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"RequestEntityTooLarge\""), "{answer}");
    // Refused before routing, it still carries the common headers.
    let lower = answer.to_ascii_lowercase();
    assert!(lower.contains("\r\nms-cv: "), "{answer}");
    assert!(
        lower.contains("\r\nx-ms-client-request-id: big-1"),
        "{answer}"
    );
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert!(closed_by_peer(&mut stream).await);
    emulator.shutdown().await;
}
