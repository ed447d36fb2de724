//! A support bot that *receives* chat: Event Grid delivers each message to
//! its webhook, and it answers through `ChatThreadClient`. Prints the
//! conversation as a transcript.
//!
//! ```text
//! cargo run -p acs-chat --features webhook --example support_bot
//! ```
//!
//! Offline (no `ACS_CONNECTION_STRING`), it starts the embedded emulator,
//! serves the webhook on a loopback port and subscribes it to the
//! emulator's chat events. Against a real ACS resource, set
//! `ACS_CONNECTION_STRING`, `BOT_PUBLIC_URL` (the public https URL that
//! reaches this process, e.g. a tunnel) and optionally `BOT_LISTEN`
//! (default `127.0.0.1:8080`); then create an Event Grid subscription of
//! the resource's chat events to the printed URL (Azure portal or
//! `az eventgrid event-subscription create`) while the bot waits.
//!
//! Set `RUST_LOG=acs_chat=debug` to see the webhook's decisions.

use std::collections::HashMap;
use std::time::Duration;

use acs_chat::events::{ChatEvent, ChatMessageEventData};
use acs_chat::identity::{CommunicationIdentityClient, CommunicationTokenScope};
use acs_chat::webhook::{WebhookReceiver, WebhookSecret};
use acs_chat::{
    ChatClient, ChatMessageType, ChatParticipant, CommunicationIdentifier,
    CommunicationTokenCredential,
};
use futures::TryStreamExt;
use tokio::sync::mpsc;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What the customer writes, one message at a time.
const CUSTOMER_MESSAGES: [&str; 3] = [
    "Hi! My order #1234 has not arrived yet.",
    "It was due last Friday. Can you check where it is?",
    "Thank you, that helps!",
];

/// The bot's whole brain: a reply for what the customer wrote.
fn reply_to(text: &str) -> String {
    let lower = text.to_lowercase();
    if let Some(order) = lower
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '#')
        .find(|word| word.starts_with('#'))
    {
        format!("Sorry about that! I am looking up order {order} for you.")
    } else if lower.contains("where") || lower.contains("check") {
        "It left our warehouse on Monday and should reach you within two days.".to_string()
    } else if lower.contains("thank") {
        "You're welcome! Is there anything else I can do?".to_string()
    } else {
        "Thanks for your message. A human colleague will follow up shortly.".to_string()
    }
}

/// Plain text of a text or HTML message body.
fn text_of(message: &ChatMessageEventData) -> String {
    message.message_body.clone().unwrap_or_default()
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    init_tracing();
    let real_resource = std::env::var("ACS_CONNECTION_STRING")
        .ok()
        .filter(|cs| !cs.trim().is_empty());

    // 1. The webhook: a secret in the query string, each event into a channel.
    let secret = uuid::Uuid::new_v4().simple().to_string();
    let (events_tx, mut events) = mpsc::channel(64);
    let receiver = WebhookReceiver::builder()
        .secret(WebhookSecret::query("code", &secret))
        .handler(move |envelope| {
            let events_tx = events_tx.clone();
            async move { events_tx.send(envelope).await }
        });
    let listen = match &real_resource {
        Some(_) => std::env::var("BOT_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into()),
        None => "127.0.0.1:0".into(),
    };
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    let local = listener.local_addr()?;
    let app = axum::Router::new().nest("/acs-events", receiver.into_router());
    tokio::spawn(async move { axum::serve(listener, app).await });

    // 2. The ACS resource (or the emulator), subscribed to the webhook.
    let (connection_string, _emulator) = match &real_resource {
        Some(cs) => {
            let public = std::env::var("BOT_PUBLIC_URL")
                .map_err(|_| "BOT_PUBLIC_URL must be set with ACS_CONNECTION_STRING")?;
            println!("Using the ACS resource of ACS_CONNECTION_STRING; webhook on {local}.");
            println!(
                "Subscribe the resource's chat events (Microsoft.Communication.ChatMessageReceived at least) to:\n  {}/acs-events?code={secret}",
                public.trim_end_matches('/')
            );
            (cs.clone(), None)
        }
        None => {
            let emulator = acs_chat_emulator::Emulator::start().await?;
            let webhook = format!("http://{local}/acs-events?code={secret}");
            let mut subscription =
                acs_chat_emulator::events::NewEventSubscription::webhook(webhook);
            subscription.included_event_types =
                vec!["Microsoft.Communication.ChatMessageReceived".into()];
            emulator.state().events().subscribe(subscription).await?;
            println!(
                "ACS_CONNECTION_STRING is not set: started the embedded ACS emulator at {} and subscribed the bot's webhook (http://{local}/acs-events) to its chat events.",
                emulator.endpoint()
            );
            (emulator.connection_string(), Some(emulator))
        }
    };

    // 3. Two users: the bot and a customer, each with a chat client.
    let identity = CommunicationIdentityClient::from_connection_string(&connection_string)?;
    let endpoint = identity.endpoint().to_string();
    let bot = identity
        .create_user_and_token([CommunicationTokenScope::Chat])
        .await?;
    let customer = identity
        .create_user_and_token([CommunicationTokenScope::Chat])
        .await?;
    let (bot, bot_token) = (bot.user, bot.access_token);
    let (customer, customer_token) = (customer.user, customer.access_token);
    let bot_chat = ChatClient::new(
        &endpoint,
        CommunicationTokenCredential::new(bot_token.token())?,
    )?;
    let customer_chat = ChatClient::new(
        &endpoint,
        CommunicationTokenCredential::new(customer_token.token())?,
    )?;

    // 4. The customer opens a support thread with the bot.
    let created = customer_chat
        .create_chat_thread("Support: order #1234")
        .participants([
            ChatParticipant::new(customer.clone()).display_name("Casey (customer)"),
            ChatParticipant::new(bot.clone()).display_name("Support bot"),
        ])
        .await?;
    let thread_id = created.chat_thread.id.clone();
    let customer_thread = customer_chat.get_chat_thread_client(&thread_id);

    // 5. The conversation: the customer writes, the bot answers each message
    //    it receives, and only those addressed to it, never its own.
    let bot_id = CommunicationIdentifier::CommunicationUser(bot.clone());
    let deadline = Duration::from_secs(30);
    for text in CUSTOMER_MESSAGES {
        customer_thread
            .send_message(text)
            .sender_display_name("Casey (customer)")
            .await?;
        let message = tokio::time::timeout(deadline, next_message_for(&mut events, &bot_id))
            .await
            .map_err(|_| "no ChatMessageReceived event reached the bot within 30 s")?
            .ok_or("the webhook stopped")?;
        bot_chat
            .get_chat_thread_client(&message.thread_id)
            .send_message(reply_to(&text_of(&message)))
            .sender_display_name("Support bot")
            .await?;
    }

    // 6. The transcript, oldest first, as the customer sees it.
    let mut messages: Vec<_> = customer_thread.list_messages().try_collect().await?;
    messages.reverse();
    let names: HashMap<String, &str> = HashMap::from([
        (customer.id.clone(), "Casey (customer)"),
        (bot.id.clone(), "Support bot"),
    ]);
    println!("Transcript of {thread_id}:");
    let mut lines = 0;
    for message in &messages {
        if !matches!(
            message.message_type,
            ChatMessageType::Text | ChatMessageType::Html
        ) {
            continue;
        }
        let who = message
            .sender
            .as_ref()
            .and_then(|s| names.get(&s.raw_id()).copied())
            .unwrap_or("someone");
        let text = message
            .content
            .as_ref()
            .and_then(|c| c.message.clone())
            .unwrap_or_default();
        println!(
            "  [{}] {who}: {text}",
            message.created_on.format("%H:%M:%S")
        );
        lines += 1;
    }
    println!(
        "{lines} messages, {} answered by the bot.",
        CUSTOMER_MESSAGES.len()
    );

    customer_chat.delete_chat_thread(&thread_id).await?;
    for user in [&bot, &customer] {
        identity.delete_user(user).await?;
    }
    Ok(())
}

/// The next `ChatMessageReceived` addressed to the bot and not sent by it.
async fn next_message_for(
    events: &mut mpsc::Receiver<acs_chat::events::ChatEventEnvelope>,
    bot: &CommunicationIdentifier,
) -> Option<ChatMessageEventData> {
    while let Some(envelope) = events.recv().await {
        let ChatEvent::ChatMessageReceived(message) = envelope.event else {
            continue;
        };
        let to_bot = message.recipient.as_ref() == Some(bot);
        let from_bot = message.sender.as_ref() == Some(bot);
        if to_bot && !from_bot {
            return Some(message);
        }
    }
    None
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
