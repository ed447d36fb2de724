//! Two resources in one emulator process: each with its own endpoint, key,
//! users and threads; a user of one is refused in the other's threads as
//! the service refuses it.

use acs_chat::identity::{CommunicationIdentityClient, CommunicationTokenScope};
use acs_chat::{ChatClient, ChatParticipant, CommunicationTokenCredential};
use acs_chat_emulator::{Emulator, EmulatorError};

const FABRIKAM_KEY: &str = "ZmFicmlrYW0tZGV2ZWxvcG1lbnQta2V5LW5vdC1hLXNlY3JldA==";

async fn user_and_client(connection_string: &str, endpoint: &str) -> (String, String, ChatClient) {
    let identity = CommunicationIdentityClient::from_connection_string(connection_string)
        .expect("connection string parses");
    let created = identity
        .create_user_and_token([CommunicationTokenScope::Chat])
        .await
        .expect("user and token");
    let token = created.access_token.token().to_owned();
    let chat = ChatClient::new(
        endpoint,
        CommunicationTokenCredential::new(token.clone()).expect("token"),
    )
    .expect("client");
    (created.user.id, token, chat)
}

#[tokio::test]
async fn a_user_of_another_resource_is_refused_as_the_service_refuses_it() {
    let emulator = Emulator::builder()
        .resource("fabrikam", FABRIKAM_KEY)
        .start()
        .await
        .expect("starts");
    let fabrikam = emulator.resource("fabrikam").expect("configured");
    assert_ne!(fabrikam.endpoint(), emulator.endpoint());
    assert!(fabrikam.connection_string().contains(FABRIKAM_KEY));

    let (alice, _, alice_chat) =
        user_and_client(&emulator.connection_string(), emulator.endpoint()).await;
    let (bob, bob_token, bob_chat) =
        user_and_client(&fabrikam.connection_string(), fabrikam.endpoint()).await;
    assert_ne!(
        alice.split('_').next(),
        bob.split('_').next(),
        "each resource has its own id in its user ids"
    );

    // Adding Bob to Alice's thread: 201, Bob reported as an invalid
    // participant with the service's "403" "Permissions check failed".
    let created = alice_chat
        .create_chat_thread("cross-resource")
        .participants([ChatParticipant::new(
            acs_chat::CommunicationUserIdentifier::new(bob.clone()),
        )])
        .await
        .expect("the thread is created");
    assert_eq!(created.errors.len(), 1, "{:?}", created.errors);
    let failed = &created.errors[0];
    assert_eq!(failed.error.code, "403");
    assert_eq!(failed.error.message, "Permissions check failed");
    assert_eq!(failed.error.target.as_deref(), Some(bob.as_str()));
    let thread = alice_chat.get_chat_thread_client(&created.chat_thread.id);
    let added = thread
        .add_participants([ChatParticipant::new(
            acs_chat::CommunicationUserIdentifier::new(bob.clone()),
        )])
        .await
        .expect("201 with the failure listed");
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].error.code, "403");

    // Bob's token means nothing at Alice's resource, and Alice's thread
    // does not exist at Bob's.
    let foreign = ChatClient::new(
        emulator.endpoint(),
        CommunicationTokenCredential::new(bob_token).expect("token"),
    )
    .expect("client");
    let refused = foreign
        .get_chat_thread_client(&created.chat_thread.id)
        .get_properties()
        .await
        .expect_err("another resource's token");
    assert!(refused.is_unauthorized(), "{refused}");
    let missing = bob_chat
        .get_chat_thread_client(&created.chat_thread.id)
        .get_properties()
        .await
        .expect_err("another resource's thread");
    assert!(missing.is_not_found(), "{missing}");

    // Each resource keeps its own users.
    assert_eq!(emulator.state().identities().len(), 1);
    assert_eq!(fabrikam.state().identities().len(), 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn resources_need_names_and_keys_of_their_own() {
    let same_key = Emulator::builder()
        .resource("twin", acs_chat_emulator::DEV_ACCESS_KEY)
        .start()
        .await
        .expect_err("the main key");
    assert!(
        matches!(same_key, EmulatorError::InvalidResource(_)),
        "{same_key}"
    );
    let bad_name = Emulator::builder()
        .resource("no spaces", FABRIKAM_KEY)
        .start()
        .await
        .expect_err("a bad name");
    assert!(
        matches!(bad_name, EmulatorError::InvalidResource(_)),
        "{bad_name}"
    );
    let twice = Emulator::builder()
        .resource("a", FABRIKAM_KEY)
        .resource("a", "YW5vdGhlci1rZXk=")
        .start()
        .await
        .expect_err("a name twice");
    assert!(
        matches!(twice, EmulatorError::InvalidResource(_)),
        "{twice}"
    );
}
