//! The facade against the emulator over real HTTP: every operation and
//! option, paging over 1,000 messages, permissions, idempotent creation, and
//! odd thread ids.

mod common;

use std::collections::{HashMap, HashSet};

use acs_chat::{
    ChatMessageType, ChatParticipant, ChatRetentionPolicy, CommunicationIdentifier,
    CommunicationTokenCredential, CommunicationUserIdentifier, ErrorKind,
};
use common::TestBed;
use futures::{StreamExt, TryStreamExt};

fn metadata(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn every_thread_operation_round_trips_through_the_emulator() {
    let bed = TestBed::start().await;
    let alice = bed.user().await;
    let bob = bed.user().await;

    let created = alice
        .chat
        .create_chat_thread("Launch plan")
        .participants([
            ChatParticipant::new(alice.user.clone()).display_name("Alice"),
            ChatParticipant::new(bob.user.clone()).display_name("Bob"),
        ])
        .metadata(metadata(&[("team", "rockets")]))
        .retention_policy(ChatRetentionPolicy::ThreadCreationDate {
            delete_thread_after_days: 30,
        })
        .await
        .expect("thread created");
    assert!(created.errors.is_empty(), "{:?}", created.errors);
    let thread_id = created.chat_thread.id.clone();
    assert!(
        thread_id.starts_with("19:") && thread_id.ends_with("@thread.v2"),
        "{thread_id}"
    );
    assert_eq!(created.chat_thread.topic, "Launch plan");
    assert_eq!(
        created.chat_thread.created_by,
        CommunicationIdentifier::from(alice.user.clone())
    );

    let thread = alice.thread(&thread_id);
    let properties = thread.get_properties().await.expect("properties");
    assert_eq!(properties.metadata["team"], "rockets");
    assert_eq!(
        properties.retention_policy,
        Some(ChatRetentionPolicy::ThreadCreationDate {
            delete_thread_after_days: 30
        })
    );

    thread
        .update_properties()
        .topic("Launch plan v2")
        .metadata(metadata(&[("stage", "beta")]))
        .retention_policy(ChatRetentionPolicy::None)
        .await
        .expect("properties updated");
    let properties = thread.get_properties().await.expect("properties");
    assert_eq!(properties.topic, "Launch plan v2");
    assert_eq!(
        properties.metadata.get("stage").map(String::as_str),
        Some("beta")
    );
    assert_eq!(properties.retention_policy, Some(ChatRetentionPolicy::None));
    thread.update_topic("Launch plan v3").await.expect("topic");
    assert_eq!(
        thread.get_properties().await.unwrap().topic,
        "Launch plan v3"
    );

    // Messages.
    let text = thread
        .send_message("hello bob")
        .sender_display_name("Alice")
        .metadata(metadata(&[("priority", "high")]))
        .await
        .expect("sent");
    let html = thread
        .send_message("<b>bold</b>")
        .chat_message_type(ChatMessageType::Html)
        .await
        .expect("sent html");
    assert!(
        html.id > text.id,
        "message ids increase: {} then {}",
        text.id,
        html.id
    );
    let got = thread.get_message(&text.id).await.expect("message");
    assert_eq!(got.message_type, ChatMessageType::Text);
    assert_eq!(got.sender_display_name.as_deref(), Some("Alice"));
    assert_eq!(got.metadata["priority"], "high");
    assert_eq!(
        got.sender,
        Some(CommunicationIdentifier::from(alice.user.clone()))
    );
    assert_eq!(
        got.content.as_ref().unwrap().message.as_deref(),
        Some("hello bob")
    );
    assert_eq!(got.version, got.id);
    assert_eq!(
        thread.get_message(&html.id).await.unwrap().message_type,
        ChatMessageType::Html
    );

    thread
        .update_message(&text.id)
        .content("hello bob, edited")
        .metadata(metadata(&[("edited", "yes")]))
        .await
        .expect("edited");
    let edited = thread.get_message(&text.id).await.expect("message");
    assert_eq!(
        edited.content.unwrap().message.as_deref(),
        Some("hello bob, edited")
    );
    assert!(edited.edited_on.is_some());
    assert_ne!(edited.version, got.version, "an edit changes the version");

    // Bob sees the thread and Alice's messages, newest version first (the
    // edited one moved to the top, as the service lists), after the system
    // messages.
    let bobs_thread = bob.thread(&thread_id);
    let messages: Vec<_> = bobs_thread
        .list_messages()
        .try_collect()
        .await
        .expect("list");
    assert_eq!(messages[0].id, text.id);
    assert_eq!(messages[1].id, html.id);
    let system: Vec<_> = messages
        .iter()
        .filter(|m| m.sender.is_none())
        .map(|m| m.message_type.clone())
        .collect();
    assert!(
        system.contains(&ChatMessageType::ParticipantAdded),
        "{system:?}"
    );
    assert!(
        system.contains(&ChatMessageType::TopicUpdated),
        "{system:?}"
    );

    thread.delete_message(&html.id).await.expect("deleted");
    let deleted = thread
        .get_message(&html.id)
        .await
        .expect("a deleted message is still listed");
    assert!(deleted.deleted_on.is_some());

    // Participants.
    let carol = bed.user().await;
    let stranger = CommunicationIdentifier::from(CommunicationUserIdentifier::new(
        "8:acs:00000000-0000-0000-0000-000000000000_00000000-0000-0000-0000-000000000001",
    ));
    let failed = thread
        .add_participants([
            ChatParticipant::new(carol.user.clone()).display_name("Carol"),
            ChatParticipant::new(stranger.clone()).display_name("Stranger"),
        ])
        .await
        .expect("add participants");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].participant.identifier, stranger);
    assert_eq!(
        failed[0].participant.display_name.as_deref(),
        Some("Stranger")
    );
    assert_eq!(
        failed[0].error.target.as_deref(),
        Some(stranger.raw_id().as_str())
    );

    let participants: Vec<_> = thread
        .list_participants()
        .try_collect()
        .await
        .expect("list");
    let names: HashSet<_> = participants
        .iter()
        .filter_map(|p| p.display_name.clone())
        .collect();
    assert!(
        names.contains("Carol") && names.contains("Bob"),
        "{names:?}"
    );
    let skipped: Vec<_> = thread
        .list_participants()
        .results_per_page(1)
        .skip(1)
        .try_collect()
        .await
        .expect("skip");
    assert_eq!(skipped.len(), participants.len() - 1);

    thread
        .remove_participant(&carol.user.clone().into())
        .await
        .expect("removed");
    let after: Vec<_> = thread.list_participants().try_collect().await.unwrap();
    assert_eq!(after.len(), participants.len() - 1);
    let carol_denied = carol.thread(&thread_id).get_properties().await.unwrap_err();
    assert_eq!(
        carol_denied.status(),
        Some(acs_chat::StatusCode::FORBIDDEN),
        "{carol_denied}"
    );
    // Like the service, a former participant still finds the thread listed.
    let carols: Vec<_> = carol.chat.list_chat_threads().try_collect().await.unwrap();
    assert!(carols.iter().any(|t| t.id == thread_id));

    // Typing and read receipts.
    thread
        .send_typing_notification()
        .sender_display_name("Alice")
        .await
        .expect("typing");
    bobs_thread
        .send_typing_notification()
        .await
        .expect("typing without a name");
    bobs_thread
        .send_read_receipt(&text.id)
        .await
        .expect("receipt");
    let receipts: Vec<_> = thread
        .list_read_receipts()
        .results_per_page(10)
        .skip(0)
        .try_collect()
        .await
        .expect("receipts");
    assert!(receipts
        .iter()
        .any(|r| r.chat_message_id == text.id && r.sender == bob.user));

    // Thread list, then deletion.
    let threads: Vec<_> = alice
        .chat
        .list_chat_threads()
        .results_per_page(5)
        .try_collect()
        .await
        .expect("threads");
    assert!(threads
        .iter()
        .any(|t| t.id == thread_id && t.topic == "Launch plan v3"));
    assert!(threads
        .iter()
        .find(|t| t.id == thread_id)
        .unwrap()
        .last_message_received_on
        .is_some());
    alice
        .chat
        .delete_chat_thread(&thread_id)
        .await
        .expect("deleted");
    let gone = thread.get_properties().await.unwrap_err();
    assert!(gone.is_not_found(), "{gone}");
}

#[tokio::test]
async fn paging_over_a_thousand_messages_returns_each_once_newest_first() {
    let bed = TestBed::start().await;
    let alice = bed.user().await;
    let created = alice.chat.create_chat_thread("busy").await.expect("thread");
    let thread = alice.thread(&created.chat_thread.id);
    let sends = futures::stream::iter(0..1000)
        .map(|i| {
            let thread = thread.clone();
            async move { thread.send_message(format!("message {i}")).await }
        })
        .buffered(8)
        .try_collect::<Vec<_>>()
        .await
        .expect("all sent");
    assert_eq!(sends.len(), 1000);

    let mut pages = std::pin::pin!(thread.list_messages().results_per_page(100).by_page());
    let mut seen = Vec::new();
    let mut page_count = 0;
    while let Some(page) = pages.next().await {
        let page = page.expect("page");
        page_count += 1;
        assert!(page.items.len() <= 100);
        seen.extend(page.items.into_iter().filter(|m| m.sender.is_some()));
    }
    assert_eq!(seen.len(), 1000);
    assert!(page_count >= 10, "{page_count} pages");
    let ids: HashSet<_> = seen.iter().map(|m| m.id.clone()).collect();
    assert_eq!(ids.len(), 1000, "no duplicates");
    // Ids follow arrival order (8 sends are in flight at once), so newest
    // first means strictly decreasing ids, and the set is exactly what was sent.
    let listed_ids: Vec<_> = seen.iter().map(|m| m.id.clone()).collect();
    assert!(
        listed_ids.windows(2).all(|pair| pair[0] > pair[1]),
        "listed newest first"
    );
    let mut sent_ids: Vec<_> = sends.iter().map(|s| s.id.clone()).collect();
    sent_ids.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(listed_ids, sent_ids);

    // Resuming from a continuation token continues where the page ended.
    // 200 is the largest page size (the client refuses more, before any request).
    let too_big = thread
        .list_messages()
        .results_per_page(250)
        .try_collect::<Vec<_>>()
        .await;
    assert!(too_big.is_err_and(|e| e.is_invalid_argument()));
    let mut first = std::pin::pin!(thread.list_messages().results_per_page(200).by_page());
    let page = first.next().await.unwrap().unwrap();
    let token = page.continuation_token.expect("more pages");
    let rest: Vec<_> = thread
        .list_messages()
        .continuation_token(token)
        .try_collect()
        .await
        .expect("resumed");
    let resumed: Vec<_> = rest.iter().filter(|m| m.sender.is_some()).collect();
    let first_page_messages = page.items.iter().filter(|m| m.sender.is_some()).count();
    assert!(page.items.len() <= 200, "the service caps pages at 200");
    assert_eq!(resumed.len() + first_page_messages, 1000);
    assert!(resumed
        .iter()
        .all(|m| !page.items.iter().any(|p| p.id == m.id)));
}

#[tokio::test]
async fn creating_with_the_same_idempotency_token_returns_the_same_thread() {
    let bed = TestBed::start().await;
    let alice = bed.user().await;
    let token = uuid::Uuid::new_v4().to_string();
    let first = alice
        .chat
        .create_chat_thread("once")
        .idempotency_token(&token)
        .await
        .expect("first");
    let second = alice
        .chat
        .create_chat_thread("once")
        .idempotency_token(&token)
        .await
        .expect("second");
    assert_eq!(first.chat_thread.id, second.chat_thread.id);
    let threads: Vec<_> = alice.chat.list_chat_threads().try_collect().await.unwrap();
    assert_eq!(threads.iter().filter(|t| t.topic == "once").count(), 1);
    let other = alice
        .chat
        .create_chat_thread("once")
        .await
        .expect("a fresh token");
    assert_ne!(other.chat_thread.id, first.chat_thread.id);
}

#[tokio::test]
async fn outsiders_bad_tokens_and_unknown_threads_get_the_services_errors() {
    let bed = TestBed::start().await;
    let alice = bed.user().await;
    let eve = bed.user().await;
    let created = alice.chat.create_chat_thread("private").await.unwrap();
    let thread_id = created.chat_thread.id;

    let denied = eve
        .thread(&thread_id)
        .send_message("let me in")
        .await
        .unwrap_err();
    assert_eq!(denied.kind(), ErrorKind::Service);
    assert_eq!(
        denied.status(),
        Some(acs_chat::StatusCode::FORBIDDEN),
        "{denied}"
    );
    assert!(denied.code().is_some());
    assert!(denied.client_request_id().is_some());
    assert!(!denied.is_retryable());

    // A well-formed JWT the emulator did not sign.
    let forged = forged_token(&alice.token);
    let credential = CommunicationTokenCredential::new(forged.clone()).unwrap();
    let forged_client = acs_chat::ChatClient::new(bed.emulator.endpoint(), credential).unwrap();
    let unauthorized = forged_client
        .get_chat_thread_client(&thread_id)
        .get_properties()
        .await
        .unwrap_err();
    assert!(unauthorized.is_unauthorized(), "{unauthorized}");
    assert!(!unauthorized.to_string().contains(&forged));

    let missing = alice
        .thread("19:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA@thread.v2")
        .get_properties()
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
    let missing_message = alice
        .thread(&thread_id)
        .get_message("1700000000000")
        .await
        .unwrap_err();
    assert!(missing_message.is_not_found(), "{missing_message}");
}

/// The same header and payload with another signature.
fn forged_token(real: &str) -> String {
    let mut parts: Vec<&str> = real.split('.').collect();
    parts[2] = "c2lnbmVkLWJ5LXNvbWVib2R5LWVsc2U";
    parts.join(".")
}

#[tokio::test]
async fn odd_thread_ids_never_change_the_request_or_crash_the_service() {
    let bed = TestBed::start().await;
    let alice = bed.user().await;
    for odd in [
        "19:has space@thread.v2",
        "19:percent%2Fslash@thread.v2",
        "19:slash/inside@thread.v2",
        "19:question?mark@thread.v2",
        "19:hash#mark@thread.v2",
        "19:üñíçødé@thread.v2",
        "..%2F..%2Fadmin",
    ] {
        let error = alice.thread(odd).get_properties().await.unwrap_err();
        assert!(error.is_not_found(), "{odd}: {error}");
    }
    for refused in ["", ".", "..", "   "] {
        let error = alice.thread(refused).get_properties().await.unwrap_err();
        assert_eq!(
            error.kind(),
            ErrorKind::InvalidArgument,
            "{refused:?}: {error}"
        );
    }
    // Argument errors are raised before any request.
    let created = alice.chat.create_chat_thread("ids").await.unwrap();
    let thread = alice.thread(&created.chat_thread.id);
    assert_eq!(
        thread.send_message("").await.unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        alice.chat.create_chat_thread(" ").await.unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        thread.get_message("..").await.unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
}

#[tokio::test]
async fn start_time_filters_messages_and_threads() {
    let bed = TestBed::start().await;
    let alice = bed.user().await;
    let created = alice.chat.create_chat_thread("timeline").await.unwrap();
    let thread = alice.thread(&created.chat_thread.id);
    thread.send_message("before").await.unwrap();
    let everything: Vec<_> = thread.list_messages().try_collect().await.unwrap();
    let newest = everything[0].created_on;
    // Timestamps are whole seconds: start one second after the newest message.
    let later = newest + chrono::Duration::seconds(1);
    let none: Vec<_> = thread
        .list_messages()
        .start_time(later)
        .try_collect()
        .await
        .unwrap();
    assert!(none.is_empty(), "{none:?}");
    let all_again: Vec<_> = thread
        .list_messages()
        .start_time(newest - chrono::Duration::hours(1))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all_again.len(), everything.len());
    let threads: Vec<_> = alice
        .chat
        .list_chat_threads()
        .start_time(later)
        .try_collect()
        .await
        .unwrap();
    assert!(threads.is_empty(), "{threads:?}");
    let threads: Vec<_> = alice
        .chat
        .list_chat_threads()
        .start_time(newest - chrono::Duration::hours(1))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(threads.len(), 1);
}
