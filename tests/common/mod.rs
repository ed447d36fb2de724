//! Shared set-up of the end-to-end tests: an emulator on a random loopback
//! port, users made through the Identity API (HMAC-signed, as a real app
//! does), and facade clients signed with their tokens.

#![allow(dead_code)]

use std::time::Duration;

use acs_chat::identity::{CommunicationIdentityClient, CommunicationTokenScope};
use acs_chat::{
    ChatClient, ChatThreadClient, CommunicationTokenCredential, CommunicationUserIdentifier,
    RetryOptions,
};
use acs_chat_emulator::Emulator;

/// An emulator and an identity client for it.
pub struct TestBed {
    pub emulator: Emulator,
    pub identity: CommunicationIdentityClient,
}

/// A user with a chat client signed with the user's token.
pub struct TestUser {
    pub user: CommunicationUserIdentifier,
    pub token: String,
    pub chat: ChatClient,
}

impl TestBed {
    pub async fn start() -> Self {
        Self::with(Emulator::builder()).await
    }

    pub async fn with(builder: acs_chat_emulator::EmulatorBuilder) -> Self {
        let emulator = builder.start().await.expect("emulator starts");
        let identity =
            CommunicationIdentityClient::from_connection_string(&emulator.connection_string())
                .expect("the emulator's connection string parses");
        Self { emulator, identity }
    }

    /// Fast retries, so fault-injection tests do not sleep for real backoffs.
    pub fn fast_retries() -> RetryOptions {
        RetryOptions::default()
            .max_retries(3)
            .initial_delay(Duration::from_millis(2))
            .max_delay(Duration::from_secs(5))
    }

    pub async fn user(&self) -> TestUser {
        self.user_with(Self::fast_retries()).await
    }

    pub async fn user_with(&self, retry: RetryOptions) -> TestUser {
        let created = self
            .identity
            .create_user_and_token([CommunicationTokenScope::Chat])
            .await
            .expect("user and token");
        let user = created.user;
        let token = created.access_token.token().to_string();
        let credential = CommunicationTokenCredential::new(token.clone()).expect("token parses");
        let chat = ChatClient::builder(self.emulator.endpoint(), credential)
            .retry(retry)
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        TestUser { user, token, chat }
    }
}

impl TestUser {
    pub fn thread(&self, id: &str) -> ChatThreadClient {
        self.chat.get_chat_thread_client(id)
    }
}

/// Sets the emulator's fault injection through its admin route.
pub async fn set_faults(emulator: &Emulator, config: &acs_chat_emulator::FaultConfig) {
    let response = reqwest::Client::new()
        .post(format!("{}admin/faults", emulator.endpoint()))
        .json(config)
        .send()
        .await
        .expect("admin faults");
    assert!(response.status().is_success(), "{}", response.status());
}
