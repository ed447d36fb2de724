//! Reliability under injected faults: 10% of 2,000 sends meet a 429, a 503,
//! or a dropped connection (before or after the service did the work).
//! Retries must recover without duplicating or losing a message, and the
//! sends whose outcome cannot be known must say so.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use acs_chat::{ErrorKind, RetryOptions};
use acs_chat_emulator::FaultConfig;
use common::{set_faults, TestBed};
use futures::{StreamExt, TryStreamExt};

const SENDS: usize = 2_000;

fn faults(rate429: f64, rate503: f64, drop_before: f64, drop_after: f64) -> FaultConfig {
    FaultConfig {
        rate429,
        rate503,
        drop_before_rate: drop_before,
        drop_after_rate: drop_after,
        retry_after_seconds: 0,
        latency_ms: 0,
        seed: 20_261_123,
        path_prefix: Some("/chat".to_string()),
        ..FaultConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_recover_from_ten_percent_faults_without_duplicates_or_losses() {
    let bed = TestBed::start().await;
    let alice = bed.user().await;
    let created = alice
        .chat
        .create_chat_thread("under fire")
        .await
        .expect("thread");
    let thread = alice.thread(&created.chat_thread.id);

    set_faults(&bed.emulator, &faults(0.03, 0.03, 0.02, 0.02)).await;
    let outcomes: Vec<(String, acs_chat::Result<String>)> = futures::stream::iter(0..SENDS)
        .map(|i| {
            let thread = thread.clone();
            async move {
                let content = format!("message {i}");
                let outcome = thread
                    .send_message(content.clone())
                    .await
                    .map(|sent| sent.id);
                (content, outcome)
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;

    // Listing is idempotent: it retries through the same faults.
    let listed: Vec<_> = thread
        .list_messages()
        .results_per_page(200)
        .try_collect()
        .await
        .expect("listing recovers through retries");
    set_faults(&bed.emulator, &faults(0.0, 0.0, 0.0, 0.0)).await;

    let mut copies: HashMap<&str, Vec<&str>> = HashMap::new();
    for message in listed.iter().filter(|m| m.sender.is_some()) {
        let content = message
            .content
            .as_ref()
            .and_then(|c| c.message.as_deref())
            .unwrap_or("");
        copies.entry(content).or_default().push(message.id.as_str());
    }
    let (mut delivered, mut unknown, mut failed) = (0, 0, 0);
    for (content, outcome) in &outcomes {
        let found = copies.get(content.as_str()).map_or(&[][..], Vec::as_slice);
        match outcome {
            Ok(id) => {
                delivered += 1;
                assert_eq!(found, [id.as_str()], "{content}: sent once, listed once");
            }
            Err(error) if error.kind() == ErrorKind::OutcomeUnknown => {
                unknown += 1;
                assert!(
                    found.len() <= 1,
                    "{content}: an ambiguous send was duplicated"
                );
                assert!(error.to_string().contains("may or may not"), "{error}");
            }
            Err(error) => {
                failed += 1;
                assert!(
                    found.is_empty(),
                    "{content}: reported failed ({error}) but delivered"
                );
            }
        }
    }
    println!(
        "fault run: {SENDS} sends, {delivered} delivered, {unknown} reported outcome-unknown, {failed} failed"
    );
    assert_eq!(delivered + unknown + failed, SENDS);
    assert!(
        unknown > 0,
        "drops after processing must surface as outcome-unknown"
    );
    assert!(
        delivered > SENDS * 9 / 10,
        "retries recovered most sends: {delivered}"
    );
}

#[tokio::test]
async fn throttled_requests_wait_for_retry_after() {
    let bed = TestBed::start().await;
    let alice = bed
        .user_with(
            RetryOptions::default()
                .max_retries(2)
                .initial_delay(Duration::from_millis(1)),
        )
        .await;
    let created = alice
        .chat
        .create_chat_thread("patience")
        .await
        .expect("thread");
    let mut config = faults(1.0, 0.0, 0.0, 0.0);
    config.retry_after_seconds = 1;
    set_faults(&bed.emulator, &config).await;
    let started = Instant::now();
    let error = alice
        .thread(&created.chat_thread.id)
        .get_properties()
        .await
        .expect_err("always throttled");
    assert!(error.is_throttled(), "{error}");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "two retries, each after Retry-After: 1 s ({:?})",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_send_cut_off_after_processing_is_reported_and_not_repeated() {
    let bed = TestBed::start().await;
    let alice = bed.user().await;
    let created = alice
        .chat
        .create_chat_thread("ambiguous")
        .await
        .expect("thread");
    let thread = alice.thread(&created.chat_thread.id);
    let mut config = faults(0.0, 0.0, 0.0, 1.0);
    config.path_prefix = Some(format!("/chat/threads/{}/messages", created.chat_thread.id));
    set_faults(&bed.emulator, &config).await;
    let error = thread.send_message("only once").await.expect_err("cut off");
    assert_eq!(error.kind(), ErrorKind::OutcomeUnknown, "{error}");
    set_faults(&bed.emulator, &faults(0.0, 0.0, 0.0, 0.0)).await;
    let copies = thread
        .list_messages()
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.content.as_ref().and_then(|c| c.message.as_deref()) == Some("only once"))
        .count();
    assert_eq!(copies, 1, "processed once, never sent twice");
}
