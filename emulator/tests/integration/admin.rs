//! Admin routes.

use acs_chat_emulator::{Emulator, EmulatorError};
use reqwest::Method;
use serde_json::json;

use crate::common::{error_of, Api};

#[tokio::test]
async fn reset_clears_everything() {
    let emulator = Emulator::start().await.expect("starts");
    let api = Api::new(emulator.endpoint());
    let hook_runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = hook_runs.clone();
    emulator.state().on_reset(move || {
        seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    api.create_identity(None).await;
    api.create_identity(None).await;
    let response = api
        .admin_post("/admin/faults", &json!({"rate503": 0.5, "seed": 3}))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(api.identity_count().await, 2);

    let response = api
        .http
        .post(api.url("/admin/reset"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 204);
    assert_eq!(api.identity_count().await, 0);
    assert_eq!(api.admin_get("/admin/faults").await["rate503"], 0.0);
    assert_eq!(hook_runs.load(std::sync::atomic::Ordering::SeqCst), 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn mint_tokens() {
    let emulator = Emulator::start().await.expect("starts");
    let api = Api::new(emulator.endpoint());

    // Empty body: a new user with a chat token.
    let response = api
        .http
        .post(api.url("/admin/tokens"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
    let minted: serde_json::Value = response.json().await.expect("json");
    let id = minted["identity"]["id"].as_str().expect("id").to_owned();

    // Same user again: 200, user kept.
    let response = api
        .admin_post(
            "/admin/tokens",
            &json!({"userId": id, "scopes": ["chat", "voip"]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(api.identity_count().await, 1);

    // A fixed, well-formed id is created on demand and usable with Identity.
    let fixed = format!("8:acs:{}_fixed-user-1", emulator.state().resource_id());
    let response = api
        .admin_post("/admin/tokens", &json!({"userId": fixed}))
        .await;
    assert_eq!(response.status(), 201);
    let response = api
        .signed(
            Method::POST,
            &format!("/identities/{fixed}/:revokeAccessTokens?api-version=2023-10-01"),
            None,
        )
        .await
        .expect("sent");
    assert_eq!(response.status(), 204);

    for bad in [
        json!({"userId": "bob"}),
        json!({"scopes": ["everything"]}),
        json!({"unknown": 1}),
    ] {
        let response = api.admin_post("/admin/tokens", &bad).await;
        assert_eq!(response.status(), 400, "{bad}");
        assert!(error_of(response).await["message"].is_string());
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn non_loopback_needs_allow_remote() {
    let result = Emulator::builder()
        .host("0.0.0.0".parse().expect("ip"))
        .start()
        .await;
    assert!(matches!(result, Err(EmulatorError::NonLoopbackHost(_))));
}
