//! The identity client end to end against the emulator: every access-key
//! constructor, each operation, custom token lifetimes, and the Teams token
//! exchange, with the tokens used (or parsed) the way an app would.

use std::time::Duration;

use acs_chat::identity::{
    CommunicationIdentityClient, CommunicationTokenScope, GetTokenForTeamsUserOptions,
};
use acs_chat::{ChatClient, CommunicationTokenCredential, RetryOptions};
use acs_chat_emulator::Emulator;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::Utc;

/// A chat client signed with `token`, without retries.
fn chat_client(emulator: &Emulator, token: &str) -> ChatClient {
    let credential = CommunicationTokenCredential::new(token).expect("the token parses");
    ChatClient::builder(emulator.endpoint(), credential)
        .retry(RetryOptions::disabled())
        .build()
        .expect("chat client")
}

/// Minutes from now until `time`.
fn minutes_until(time: chrono::DateTime<Utc>) -> i64 {
    (time - Utc::now()).num_minutes()
}

#[tokio::test]
async fn every_constructor_reaches_the_emulator() {
    let emulator = Emulator::start().await.expect("emulator");
    let clients = [
        CommunicationIdentityClient::from_connection_string(&emulator.connection_string())
            .expect("from the connection string"),
        CommunicationIdentityClient::builder_from_connection_string(&emulator.connection_string())
            .expect("builder")
            .timeout(Duration::from_secs(10))
            .user_agent("identity-e2e/1.0")
            .build()
            .expect("from a builder of the connection string"),
        CommunicationIdentityClient::builder(emulator.endpoint())
            .retry(RetryOptions::disabled())
            .build_with_access_key(emulator.access_key())
            .expect("from the endpoint and key"),
    ];
    for client in &clients {
        let user = client.create_user().await.expect("created");
        assert!(user.id.starts_with("8:acs:"), "{}", user.id);
        client.delete_user(&user).await.expect("deleted");
    }
    let wrong_key = CommunicationIdentityClient::builder(emulator.endpoint())
        .build_with_access_key("d3Jvbmcga2V5")
        .expect("client");
    let error = wrong_key.create_user().await.unwrap_err();
    assert_eq!(error.status().map(u16::from), Some(401));
    assert_eq!(error.code(), Some("Denied"));
    emulator.shutdown().await;
}

#[tokio::test]
async fn each_operation_end_to_end() {
    let emulator = Emulator::start().await.expect("emulator");
    let identity =
        CommunicationIdentityClient::from_connection_string(&emulator.connection_string())
            .expect("identity client");

    // A user with a one-hour token that Chat accepts.
    let created = identity
        .create_user_and_token([CommunicationTokenScope::Chat])
        .expires_in(Duration::from_secs(3600))
        .await
        .expect("user and token");
    assert!((59..=60).contains(&minutes_until(created.access_token.expires_on())));
    let first = chat_client(&emulator, created.access_token.token());
    let thread = first
        .create_chat_thread("identity e2e")
        .await
        .expect("Chat accepts the token");

    // Another token for the same user: default lifetime 24 hours, then 2 hours.
    let default = identity
        .get_token(&created.user, [CommunicationTokenScope::Chat])
        .await
        .expect("token");
    assert!((1439..=1440).contains(&minutes_until(default.expires_on())));
    let two_hours = identity
        .get_token(
            &created.user,
            [CommunicationTokenScope::Chat, CommunicationTokenScope::Voip],
        )
        .expires_in(Duration::from_secs(2 * 3600))
        .send()
        .await
        .expect("token");
    assert!((119..=120).contains(&minutes_until(two_hours.expires_on())));
    chat_client(&emulator, two_hours.token())
        .get_chat_thread_client(&thread.chat_thread.id)
        .get_properties()
        .await
        .expect("the second token works too");

    // A lifetime out of range never reaches the emulator.
    let error = identity
        .get_token(&created.user, [CommunicationTokenScope::Chat])
        .expires_in(Duration::from_secs(1441 * 60))
        .await
        .unwrap_err();
    assert!(error.is_invalid_argument(), "{error}");

    // Revoking: tokens issued so far stop working, new ones work.
    identity
        .revoke_tokens(&created.user)
        .await
        .expect("revoked");
    let error = first
        .create_chat_thread("after revocation")
        .await
        .unwrap_err();
    assert_eq!(error.status().map(u16::from), Some(401), "{error}");
    let fresh = identity
        .get_token(&created.user, [CommunicationTokenScope::Chat])
        .await
        .expect("token after revocation");
    chat_client(&emulator, fresh.token())
        .get_chat_thread_client(&thread.chat_thread.id)
        .get_properties()
        .await
        .expect("a token issued after the revocation works");

    // A user without a token, then deleted: its tokens fail, it is gone.
    let plain = identity.create_user().await.expect("user");
    let token = identity
        .get_token(&plain, [CommunicationTokenScope::Chat])
        .await
        .expect("token");
    identity.delete_user(&plain).await.expect("deleted");
    let error = chat_client(&emulator, token.token())
        .create_chat_thread("refused")
        .await
        .unwrap_err();
    assert_eq!(error.status().map(u16::from), Some(401), "{error}");
    let error = identity
        .get_token(&plain, [CommunicationTokenScope::Chat])
        .await
        .unwrap_err();
    assert_eq!(error.status().map(u16::from), Some(404), "{error}");
    assert_eq!(error.code(), Some("IdentityNotFound"));
    emulator.shutdown().await;
}

/// A token shaped like a Teams user's Entra ID token, expiring at `exp`.
fn entra_token(exp: i64, object_id: &str) -> String {
    let part = |text: String| URL_SAFE_NO_PAD.encode(text);
    format!(
        "{}.{}.{}",
        part(r#"{"typ":"JWT","alg":"RS256"}"#.to_string()),
        part(format!(r#"{{"exp":{exp},"oid":"{object_id}"}}"#)),
        part("signature".to_string())
    )
}

#[tokio::test]
async fn the_teams_token_exchange_end_to_end() {
    let emulator = Emulator::start().await.expect("emulator");
    let identity =
        CommunicationIdentityClient::from_connection_string(&emulator.connection_string())
            .expect("identity client");
    let app = "2c3e1e83-8fd7-4615-ad2b-b8c1229845ac";
    let object_id = "32c0a5db-05ec-78ea-51ab-3f06b329397e";
    let exp = Utc::now().timestamp() + 75 * 60;
    let token = identity
        .get_token_for_teams_user(&GetTokenForTeamsUserOptions::new(
            entra_token(exp, object_id),
            app,
            object_id,
        ))
        .await
        .expect("exchanged");
    // The Entra token's expiry, and a JWT the credential parses to the same time.
    assert!((token.expires_on().timestamp() - exp).abs() <= 2);
    let credential = CommunicationTokenCredential::new(token.token()).expect("the token parses");
    let parsed = credential.get_token().await.expect("token");
    assert_eq!(
        parsed.expires_on().timestamp(),
        token.expires_on().timestamp()
    );
    let payload = token.token().split('.').nth(1).expect("a payload");
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url"))
            .expect("JSON claims");
    assert_eq!(claims["skypeid"], format!("orgid:{object_id}"));
    assert_eq!(claims["acsScope"], "voip");
    // The emulator's Chat does not serve Teams users (the token has no `chat` scope).
    let error = chat_client(&emulator, token.token())
        .create_chat_thread("refused")
        .await
        .unwrap_err();
    assert_eq!(error.status().map(u16::from), Some(401), "{error}");

    // The service's errors: an expired Entra token, a client id that is no GUID.
    let error = identity
        .get_token_for_teams_user(&GetTokenForTeamsUserOptions::new(
            entra_token(Utc::now().timestamp() - 60, object_id),
            app,
            object_id,
        ))
        .await
        .unwrap_err();
    assert_eq!(error.status().map(u16::from), Some(401), "{error}");
    assert_eq!(error.code(), Some("InvalidAccessToken"));
    let error = identity
        .get_token_for_teams_user(&GetTokenForTeamsUserOptions::new(
            entra_token(exp, object_id),
            "contoso-app",
            object_id,
        ))
        .await
        .unwrap_err();
    assert_eq!(error.status().map(u16::from), Some(400), "{error}");
    assert_eq!(error.code(), Some("ValidationError"));
    assert_eq!(
        error.service_error().and_then(|e| e.target.as_deref()),
        Some("appId")
    );
    emulator.shutdown().await;
}
