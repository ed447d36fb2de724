//! Chat token verification as Chat routes will use it: a test route behind
//! the `VerifiedUser` extractor, plugged in with `extra_routes`.

use acs_chat_emulator::tokens::VerifiedUser;
use acs_chat_emulator::{AppState, Emulator};
use axum::routing::get;
use axum::Router;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{error_of, jwt_claims, Api};

async fn whoami(user: VerifiedUser) -> String {
    user.user_id
}

async fn start() -> (Emulator, Api) {
    let routes: Router<AppState> = Router::new().route("/test/whoami", get(whoami));
    let emulator = Emulator::builder()
        .extra_routes(routes)
        .start()
        .await
        .expect("starts");
    let api = Api::new(emulator.endpoint());
    (emulator, api)
}

async fn whoami_with(api: &Api, authorization: Option<&str>) -> reqwest::Response {
    let mut request = api.http.get(api.url("/test/whoami"));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.send().await.expect("sent")
}

async fn mint(api: &Api, body: Value) -> Value {
    let response = api.admin_post("/admin/tokens", &body).await;
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.expect("json")
}

#[tokio::test]
async fn bearer_tokens_are_verified() {
    let (emulator, api) = start().await;

    let minted = mint(&api, json!({})).await;
    let id = minted["identity"]["id"].as_str().expect("id").to_owned();
    let token = minted["accessToken"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let claims = jwt_claims(&token);
    assert_eq!(claims["scp"], 1792);
    assert!(claims["csi"].is_string());
    for name in [
        "skypeid",
        "exp",
        "iat",
        "acsScope",
        "resourceId",
        "resourceLocation",
    ] {
        assert!(claims.get(name).is_some(), "claim {name}");
    }
    let header: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            token.split('.').next().unwrap_or_default(),
        )
        .expect("header base64"),
    )
    .expect("header json");
    assert_eq!(header, json!({"alg": "HS256", "typ": "JWT"}));

    let response = whoami_with(&api, Some(&format!("Bearer {token}"))).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.expect("text"), id);

    let expired = mint(&api, json!({"userId": id, "expiresInSeconds": -5})).await;
    let voip_only = mint(&api, json!({"userId": id, "scopes": ["voip"]})).await;
    let token_of = |v: &Value| {
        format!(
            "Bearer {}",
            v["accessToken"]["token"].as_str().unwrap_or_default()
        )
    };
    // Genuine header and payload, signature of another token.
    let other_signature = voip_only["accessToken"]["token"]
        .as_str()
        .and_then(|t| t.rsplit('.').next())
        .unwrap_or_default()
        .to_owned();
    let tampered = format!(
        "{}.{other_signature}",
        token.rsplit_once('.').map_or("", |(head, _)| head)
    );
    let failures = [
        (None, "Authorization header"),
        (Some("Basic abc".to_owned()), "not a Bearer"),
        (Some("Bearer not-a-jwt".to_owned()), "malformed"),
        (Some(format!("Bearer {tampered}")), "signature is invalid"),
        (Some(token_of(&expired)), "expired"),
        (Some(token_of(&voip_only)), "'chat' scope"),
    ];
    for (authorization, reason) in failures {
        let response = whoami_with(&api, authorization.as_deref()).await;
        assert_eq!(response.status(), 401, "{reason}");
        assert_eq!(
            response
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok()),
            Some("Bearer")
        );
        let error = error_of(response).await;
        assert_eq!(error["code"], "Unauthorized");
        let message = error["message"].as_str().unwrap_or_default().to_owned();
        assert!(message.contains(reason), "{message} / {reason}");
    }

    // Revoke through the Identity API, then delete: 401 each time.
    let response = api
        .signed(
            Method::POST,
            &format!("/identities/{id}/:revokeAccessTokens?api-version=2023-10-01"),
            None,
        )
        .await
        .expect("sent");
    assert_eq!(response.status(), 204);
    let response = whoami_with(&api, Some(&format!("Bearer {token}"))).await;
    assert_eq!(
        error_of(response).await["message"],
        "The access token has been revoked."
    );

    let fresh = mint(&api, json!({"userId": id})).await;
    let response = whoami_with(&api, Some(&token_of(&fresh))).await;
    assert_eq!(response.status(), 200);
    let response = api
        .signed(
            Method::DELETE,
            &format!("/identities/{id}?api-version=2023-10-01"),
            None,
        )
        .await
        .expect("sent");
    assert_eq!(response.status(), 204);
    let response = whoami_with(&api, Some(&token_of(&fresh))).await;
    assert_eq!(response.status(), 401);
    assert!(error_of(response).await["message"]
        .as_str()
        .unwrap_or_default()
        .contains("does not exist"));
    emulator.shutdown().await;
}

#[tokio::test]
async fn tokens_survive_a_restart_with_the_same_key_only_for_known_users() {
    let (first, api) = start().await;
    let minted = mint(&api, json!({})).await;
    let id = minted["identity"]["id"].as_str().expect("id").to_owned();
    let token = minted["accessToken"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    first.shutdown().await;

    let (second, api) = start().await;
    let response = whoami_with(&api, Some(&format!("Bearer {token}"))).await;
    assert_eq!(response.status(), 401, "unknown user in the new process");
    assert!(second.state().identities().ensure(&id).expect("in memory"));
    let response = whoami_with(&api, Some(&format!("Bearer {token}"))).await;
    assert_eq!(response.status(), 200, "same key, same signature");
    second.shutdown().await;
}
