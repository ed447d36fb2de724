//! The ACS Chat quickstart, end to end, as a readable transcript.
//!
//! ```text
//! cargo run -p acs-chat --example quickstart
//! ```
//!
//! With `ACS_CONNECTION_STRING` set (`endpoint=https://...;accesskey=...`) it
//! runs against that Azure Communication Services resource. Otherwise it
//! starts the local emulator in-process and runs against it: no Azure account
//! needed.
//!
//! `RUST_LOG=acs_chat=debug` prints each operation's span and its requests
//! on stderr.

use std::collections::HashMap;
use std::time::Duration;

use acs_chat::identity::{CommunicationIdentityClient, CommunicationTokenScope};
use acs_chat::{
    ChatClient, ChatMessageType, ChatParticipant, CommunicationIdentifier,
    CommunicationTokenCredential, CommunicationUserIdentifier,
};
use futures::{StreamExt, TryStreamExt};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // `RUST_LOG=acs_chat=debug` shows every operation and request (span
    // fields: operation, thread id, attempt, status, request id, outcome).
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    // Keep the emulator (if any) alive until the end.
    let (connection_string, _emulator) = match std::env::var("ACS_CONNECTION_STRING") {
        Ok(cs) if !cs.trim().is_empty() => {
            println!("Using the ACS resource of ACS_CONNECTION_STRING.");
            (cs, None)
        }
        _ => {
            let emulator = acs_chat_emulator::Emulator::start().await?;
            println!(
                "ACS_CONNECTION_STRING is not set: started the embedded ACS emulator at {}",
                emulator.endpoint()
            );
            (emulator.connection_string(), Some(emulator))
        }
    };

    // 1. Identities: two users with chat tokens, made with the resource's access key.
    let identity = CommunicationIdentityClient::from_connection_string(&connection_string)?;
    let endpoint = identity.endpoint().to_string();
    let created = identity
        .create_user_and_token([CommunicationTokenScope::Chat])
        .await?;
    let (alice, alice_token) = (created.user, created.access_token);
    let bob = identity.create_user().await?;
    println!("Created users Alice ({}) and Bob ({})", alice.id, bob.id);
    let alice_expiry = alice_token.expires_on();

    // 2. A chat client for Alice. The credential refreshes her token through the
    //    identity client when it gets close to expiry.
    let refresh_identity = identity.clone();
    let refresh_user = alice.clone();
    let credential = CommunicationTokenCredential::with_refresher(move || {
        let identity = refresh_identity.clone();
        let user = refresh_user.clone();
        async move {
            identity
                .get_token(&user, [CommunicationTokenScope::Chat])
                .await
                .map(|token| token.token().to_string())
        }
    })
    .initial_token(alice_token.token())
    .build()?;
    let chat = ChatClient::builder(&endpoint, credential)
        .timeout(Duration::from_secs(30))
        .build()?;
    println!("Alice's token is valid until {alice_expiry}");

    // 3. A thread with Bob, created idempotently.
    let idempotency_token = uuid::Uuid::new_v4().to_string();
    let created = chat
        .create_chat_thread("Quickstart: launch plan")
        .participants([
            ChatParticipant::new(alice.clone()).display_name("Alice"),
            ChatParticipant::new(bob.clone()).display_name("Bob"),
        ])
        .idempotency_token(&idempotency_token)
        .metadata(HashMap::from([(
            "project".to_string(),
            "quickstart".to_string(),
        )]))
        .await?;
    let thread_id = created.chat_thread.id.clone();
    println!(
        "Created thread {thread_id} \"{}\" ({} participant errors)",
        created.chat_thread.topic,
        created.errors.len()
    );
    let thread = chat.get_chat_thread_client(&thread_id);

    // 4. Messages: text and HTML, with a display name and metadata.
    let text = thread
        .send_message("Hello Bob! Shall we plan the launch?")
        .sender_display_name("Alice")
        .metadata(HashMap::from([(
            "priority".to_string(),
            "high".to_string(),
        )]))
        .await?;
    let html = thread
        .send_message("<p>Agenda: <b>scope</b>, <i>dates</i></p>")
        .sender_display_name("Alice")
        .chat_message_type(ChatMessageType::Html)
        .await?;
    println!(
        "Sent a text message ({}) and an HTML message ({})",
        text.id, html.id
    );

    let fetched = thread.get_message(&text.id).await?;
    println!(
        "Got message {}: type {}, from {:?}, content {:?}, metadata {:?}",
        fetched.id,
        fetched.message_type,
        fetched.sender_display_name,
        fetched.content.as_ref().and_then(|c| c.message.as_deref()),
        fetched.metadata
    );

    println!("Messages, two per page (newest first):");
    let mut pages = std::pin::pin!(thread.list_messages().results_per_page(2).by_page());
    let mut page_number = 0;
    while let Some(page) = pages.next().await {
        page_number += 1;
        for message in page?.items {
            // User messages carry text; system messages a topic or participants.
            let text = message
                .content
                .as_ref()
                .map(|c| {
                    c.message
                        .clone()
                        .or_else(|| c.topic.clone())
                        .unwrap_or_else(|| {
                            c.participants
                                .iter()
                                .map(|p| p.display_name.clone().unwrap_or_default())
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                })
                .unwrap_or_default();
            println!(
                "  page {page_number}: #{} {} {text:?}",
                message.sequence_id, message.message_type
            );
        }
    }

    thread
        .update_message(&text.id)
        .content("Hello Bob! Shall we plan the launch today?")
        .await?;
    let edited = thread.get_message(&text.id).await?;
    println!(
        "Edited message {}: now {:?} (edited on {:?})",
        edited.id,
        edited.content.as_ref().and_then(|c| c.message.as_deref()),
        edited.edited_on
    );
    thread.delete_message(&html.id).await?;
    println!("Deleted message {}", html.id);

    // 5. Participants: add Carol and someone who does not exist; remove Carol.
    let carol = identity.create_user().await?;
    let stranger = CommunicationIdentifier::from(CommunicationUserIdentifier::new(format!(
        "8:acs:{}_{}",
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4()
    )));
    let failed = thread
        .add_participants([
            ChatParticipant::new(carol.clone()).display_name("Carol"),
            ChatParticipant::new(stranger).display_name("Stranger"),
        ])
        .await?;
    println!(
        "Added Carol; {} participant(s) could not be added:",
        failed.len()
    );
    for failed in &failed {
        println!(
            "  {} ({}): {}",
            failed.participant.display_name.as_deref().unwrap_or("?"),
            failed.participant.identifier,
            failed.error
        );
    }
    let participants: Vec<_> = thread.list_participants().try_collect().await?;
    println!(
        "Participants: {}",
        participants
            .iter()
            .map(|p| p
                .display_name
                .clone()
                .unwrap_or_else(|| p.identifier.to_string()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    thread.remove_participant(&carol.clone().into()).await?;
    println!("Removed Carol");

    // 6. Typing notification and read receipts.
    thread
        .send_typing_notification()
        .sender_display_name("Alice")
        .await?;
    println!("Sent a typing notification");
    thread.send_read_receipt(&text.id).await?;
    let receipts: Vec<_> = thread.list_read_receipts().try_collect().await?;
    for receipt in &receipts {
        println!(
            "Read receipt: {} read {} at {}",
            receipt.sender, receipt.chat_message_id, receipt.read_on
        );
    }

    // 7. Topic, thread list, and clean-up.
    thread
        .update_topic("Quickstart: launch plan (final)")
        .await?;
    let properties = thread.get_properties().await?;
    println!("Topic is now \"{}\"", properties.topic);
    let threads: Vec<_> = chat
        .list_chat_threads()
        .results_per_page(5)
        .try_collect()
        .await?;
    println!("Alice is in {} thread(s):", threads.len());
    for item in &threads {
        println!("  {} \"{}\"", item.id, item.topic);
    }
    chat.delete_chat_thread(&thread_id).await?;
    println!("Deleted thread {thread_id}");
    for user in [&alice, &bob, &carol] {
        identity.delete_user(user).await?;
    }
    println!("Deleted the users. Quickstart complete.");
    Ok(())
}
