//! Requests whose answer is lost: the server reads the request (as if it
//! processed it) and closes the connection. Deletes that are then answered
//! 404 on the retry succeeded; creating a user is never repeated blindly.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use acs_chat::identity::{CommunicationIdentityClient, CommunicationTokenScope};
use acs_chat::{ChatClient, CommunicationIdentifier, CommunicationTokenCredential, ErrorKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::*;

/// What the scripted server does with the n-th connection's request.
#[derive(Clone, Copy)]
enum Answer {
    /// Read the request, then close without answering.
    Lose,
    /// Answer with this status and a service error body.
    Status(u16),
}

/// A server that answers each connection's one request from `script`
/// (then repeats its last entry); returns its base URL and a request count.
async fn scripted(script: Vec<Answer>) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let answer = script[n.min(script.len() - 1)];
            // Read the head and the body (bounded), like a server processing it.
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while let Ok(read) = stream.read(&mut buffer).await {
                if read == 0 {
                    break;
                }
                request.extend_from_slice(&buffer[..read]);
                let text = String::from_utf8_lossy(&request).to_lowercase();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length || request.len() > 1 << 20 {
                        break;
                    }
                }
            }
            if let Answer::Status(status) = answer {
                let body = r#"{"error":{"code":"NotFound","message":"gone"}}"#;
                let response = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            }
            let _ = stream.shutdown().await;
        }
    });
    (base, count)
}

fn chat_client(base: &str) -> ChatClient {
    let credential = CommunicationTokenCredential::new(jwt()).unwrap();
    ChatClient::builder(base, credential)
        .retry(fast_retries())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_delete_whose_answer_was_lost_and_then_404s_succeeded() {
    let (base, count) = scripted(vec![Answer::Lose, Answer::Status(404)]).await;
    chat_client(&base)
        .delete_chat_thread(THREAD)
        .await
        .expect("the first attempt deleted it");
    assert_eq!(count.load(Ordering::SeqCst), 2);

    let (base, _) = scripted(vec![Answer::Lose, Answer::Status(404)]).await;
    chat_client(&base)
        .get_chat_thread_client(THREAD)
        .delete_message("1700000000000")
        .await
        .expect("the first attempt deleted it");

    let (base, _) = scripted(vec![Answer::Lose, Answer::Status(404)]).await;
    let someone = CommunicationIdentifier::from_raw_id("8:acs:res_someone");
    chat_client(&base)
        .get_chat_thread_client(THREAD)
        .remove_participant(&someone)
        .await
        .expect("the first attempt removed them");
}

#[tokio::test]
async fn a_404_on_the_first_attempt_of_a_delete_is_still_an_error() {
    let (base, count) = scripted(vec![Answer::Status(404)]).await;
    let error = chat_client(&base)
        .delete_chat_thread(THREAD)
        .await
        .expect_err("nothing was deleted");
    assert!(error.is_not_found());
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

fn identity_client(base: &str) -> CommunicationIdentityClient {
    CommunicationIdentityClient::from_connection_string(&format!(
        "endpoint={base}/;accesskey=AAAAAAAAAAAAAAAAAAAAAA=="
    ))
    .unwrap()
}

#[tokio::test]
async fn creating_a_user_is_not_repeated_after_a_lost_answer() {
    let (base, count) = scripted(vec![Answer::Lose, Answer::Status(201)]).await;
    let error = identity_client(&base)
        .create_user_and_token([CommunicationTokenScope::Chat])
        .await
        .expect_err("the outcome is unknown");
    assert_eq!(error.kind(), ErrorKind::OutcomeUnknown, "{error}");
    assert_eq!(count.load(Ordering::SeqCst), 1, "sent once: no second user");

    let (base, count) = scripted(vec![Answer::Lose, Answer::Status(201)]).await;
    let error = identity_client(&base)
        .create_user()
        .await
        .expect_err("unknown");
    assert_eq!(error.kind(), ErrorKind::OutcomeUnknown);
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn deleting_a_user_whose_answer_was_lost_and_then_404s_succeeded() {
    let (base, count) = scripted(vec![Answer::Lose, Answer::Status(404)]).await;
    let user = acs_chat::CommunicationUserIdentifier::new("8:acs:res_user");
    identity_client(&base)
        .delete_user(&user)
        .await
        .expect("the first attempt deleted the user");
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_404_after_an_attempt_that_provably_did_nothing_is_still_an_error() {
    // 429 and 503 mean "not processed": the retry's 404 is the truth.
    for first in [429, 503] {
        let (base, count) = scripted(vec![Answer::Status(first), Answer::Status(404)]).await;
        let error = chat_client(&base)
            .get_chat_thread_client(THREAD)
            .delete_message("1700000000000")
            .await
            .expect_err("nothing was deleted");
        assert!(error.is_not_found(), "{error}");
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }
}
