//! Identity routes over HTTP.

use acs_chat_emulator::tokens::{verify_bearer, AuthError};
use acs_chat_emulator::Emulator;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{error_of, jwt_claims, Api, Signing};

const V: &str = "api-version=2023-10-01";

fn bearer(token: &Value) -> String {
    format!("Bearer {}", token.as_str().expect("token is a string"))
}

#[tokio::test]
async fn create_identity_without_and_with_token() {
    let emulator = Emulator::start().await.expect("starts");
    let api = Api::new(emulator.endpoint());
    let resource = emulator.state().resource_id().to_owned();

    let plain = api.create_identity(None).await;
    let id = plain["identity"]["id"].as_str().expect("id");
    assert!(id.starts_with(&format!("8:acs:{resource}_")), "{id}");
    assert!(plain.get("accessToken").is_none());

    // Empty object and empty scope list: identity only.
    for body in [json!({}), json!({"createTokenWithScopes": []})] {
        let created = api.create_identity(Some(body)).await;
        assert!(created.get("accessToken").is_none());
    }

    let before = chrono::Utc::now();
    let created = api
        .create_identity(Some(
            json!({"createTokenWithScopes": ["chat", "voip"], "expiresInMinutes": 60}),
        ))
        .await;
    let id = created["identity"]["id"].as_str().expect("id").to_owned();
    let expires_on = created["accessToken"]["expiresOn"]
        .as_str()
        .expect("expiresOn");
    // Service format: 7 fractional digits and +00:00.
    assert_eq!(
        expires_on.len(),
        "2023-10-10T21:39:39.3244584+00:00".len(),
        "{expires_on}"
    );
    assert!(expires_on.ends_with("+00:00"));
    let expires = chrono::DateTime::parse_from_rfc3339(expires_on).expect("rfc3339");
    let lifetime = expires.with_timezone(&chrono::Utc) - before;
    assert!((59..=61).contains(&lifetime.num_minutes()), "{lifetime}");

    let claims = jwt_claims(created["accessToken"]["token"].as_str().expect("token"));
    assert_eq!(claims["skypeid"], id.trim_start_matches("8:"));
    assert_eq!(claims["acsScope"], "chat,voip");
    assert_eq!(claims["resourceId"], resource.as_str());
    assert_eq!(claims["exp"].as_i64(), Some(expires.timestamp()));

    let user = verify_bearer(
        emulator.state(),
        Some(&bearer(&created["accessToken"]["token"])),
    );
    assert_eq!(user.map(|u| u.user_id), Ok(id));
    assert_eq!(api.identity_count().await, 4);
    emulator.shutdown().await;
}

#[tokio::test]
async fn issue_token_and_validation() {
    let emulator = Emulator::start().await.expect("starts");
    let api = Api::new(emulator.endpoint());
    let id = api.create_identity(None).await["identity"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // SDKs percent-encode the id in the path.
    let encoded = id.replace(':', "%3A");
    let path = format!("/identities/{encoded}/:issueAccessToken?{V}");

    let response = api
        .signed(Method::POST, &path, Some(&json!({"scopes": ["chat"]})))
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json; charset=utf-8")
    );
    let body: Value = response.json().await.expect("json");
    let claims = jwt_claims(body["token"].as_str().expect("token"));
    assert_eq!(claims["acsScope"], "chat");
    // Default lifetime: 24 hours.
    assert_eq!(
        claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0),
        1440 * 60
    );

    // Also reachable with the raw (unencoded) id.
    let raw_path = format!("/identities/{id}/:issueAccessToken?{V}");
    let response = api
        .signed(
            Method::POST,
            &raw_path,
            Some(&json!({"scopes": ["voip.join", "chat.join.limited"], "expiresInMinutes": 1440})),
        )
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);

    let cases = [
        (
            json!({"scopes": []}),
            "scopes",
            Some("Invalid scopes - Scopes field is required."),
        ),
        (
            json!({}),
            "scopes",
            Some("Invalid scopes - Scopes field is required."),
        ),
        (json!({"scopes": ["chat", "sms"]}), "scopes", None),
        (
            json!({"scopes": ["chat"], "expiresInMinutes": 59}),
            "expiresInMinutes",
            None,
        ),
        (
            json!({"scopes": ["chat"], "expiresInMinutes": 1441}),
            "expiresInMinutes",
            None,
        ),
    ];
    for (body, target, message) in cases {
        let response = api
            .signed(Method::POST, &path, Some(&body))
            .await
            .expect("sent");
        assert_eq!(response.status(), 400, "{body}");
        let error = error_of(response).await;
        assert_eq!(error["code"], "ValidationError", "{body}");
        assert_eq!(error["target"], target, "{body}");
        if let Some(message) = message {
            assert_eq!(error["message"], message);
        }
    }

    // Malformed JSON, wrong field type, wrong content type: 400 in the error shape.
    for (bytes, content_type) in [
        (b"{\"scopes\": [".to_vec(), "application/json"),
        (br#"{"scopes": "chat"}"#.to_vec(), "application/json"),
        (br#"{"scopes": ["chat"]}"#.to_vec(), "text/plain"),
    ] {
        let response = api
            .signed_with(
                Method::POST,
                &path,
                Some(bytes),
                &Signing::default(),
                &[("content-type", content_type)],
            )
            .await
            .expect("sent");
        assert_eq!(response.status(), 400);
        assert_eq!(error_of(response).await["code"], "BadRequest");
    }

    // Unknown identity: 404.
    let unknown = format!(
        "/identities/8:acs:{}_00000000-0000-0000-0000-000000000000/:issueAccessToken?{V}",
        emulator.state().resource_id()
    );
    let response = api
        .signed(Method::POST, &unknown, Some(&json!({"scopes": ["chat"]})))
        .await
        .expect("sent");
    assert_eq!(response.status(), 404);
    assert_eq!(error_of(response).await["code"], "IdentityNotFound");
    emulator.shutdown().await;
}

#[tokio::test]
async fn revoke_and_delete() {
    let emulator = Emulator::start().await.expect("starts");
    let api = Api::new(emulator.endpoint());
    let created = api
        .create_identity(Some(json!({"createTokenWithScopes": ["chat"]})))
        .await;
    let id = created["identity"]["id"].as_str().expect("id").to_owned();
    let old = bearer(&created["accessToken"]["token"]);
    assert!(verify_bearer(emulator.state(), Some(&old)).is_ok());

    let response = api
        .signed(
            Method::POST,
            &format!("/identities/{id}/:revokeAccessTokens?{V}"),
            None,
        )
        .await
        .expect("sent");
    assert_eq!(response.status(), 204);
    assert_eq!(
        verify_bearer(emulator.state(), Some(&old)),
        Err(AuthError::Revoked)
    );

    // Tokens issued afterwards work, even within the same second.
    let response = api
        .signed(
            Method::POST,
            &format!("/identities/{id}/:issueAccessToken?{V}"),
            Some(&json!({"scopes": ["chat"]})),
        )
        .await
        .expect("sent");
    let fresh: Value = response.json().await.expect("json");
    let fresh = bearer(&fresh["token"]);
    assert!(verify_bearer(emulator.state(), Some(&fresh)).is_ok());

    let response = api
        .signed(Method::DELETE, &format!("/identities/{id}?{V}"), None)
        .await
        .expect("sent");
    assert_eq!(response.status(), 204);
    assert_eq!(
        verify_bearer(emulator.state(), Some(&fresh)),
        Err(AuthError::UnknownUser)
    );

    for (method, path) in [
        (Method::DELETE, format!("/identities/{id}?{V}")),
        (
            Method::POST,
            format!("/identities/{id}/:revokeAccessTokens?{V}"),
        ),
    ] {
        let response = api.signed(method, &path, None).await.expect("sent");
        assert_eq!(response.status(), 404, "{path}");
    }
    let response = api
        .signed(
            Method::POST,
            &format!("/identities/{id}/:unknownAction?{V}"),
            None,
        )
        .await
        .expect("sent");
    assert_eq!(response.status(), 404);
    emulator.shutdown().await;
}

#[tokio::test]
async fn api_versions() {
    let emulator = Emulator::start().await.expect("starts");
    let api = Api::new(emulator.endpoint());
    for version in [
        "2023-10-01",
        "2023-08-01",
        "2022-10-01",
        "2022-06-01",
        "2021-03-07",
    ] {
        let response = api
            .signed(
                Method::POST,
                &format!("/identities?api-version={version}"),
                None,
            )
            .await
            .expect("sent");
        assert_eq!(response.status(), 201, "{version}");
    }
    let response = api
        .signed(Method::POST, "/identities", None)
        .await
        .expect("sent");
    assert_eq!(response.status(), 400);
    assert_eq!(error_of(response).await["code"], "ApiVersionUnspecified");
    let response = api
        .signed(
            Method::POST,
            "/identities?api-version=2020-07-20-preview2",
            None,
        )
        .await
        .expect("sent");
    assert_eq!(response.status(), 400);
    let supported = response
        .headers()
        .get("api-supported-versions")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        supported.contains("2023-10-01") && supported.contains(", "),
        "{supported}"
    );
    let error = error_of(response).await;
    assert_eq!(error["code"], "UnsupportedApiVersion");
    assert!(error["message"]
        .as_str()
        .unwrap_or_default()
        .contains("2020-07-20-preview2"));
    emulator.shutdown().await;
}

const TEAMS_EXCHANGE: &str = "/teamsUser/:exchangeAccessToken?api-version=2023-10-01";
const TEAMS_APP: &str = "2c3e1e83-8fd7-4615-ad2b-b8c1229845ac";
const TEAMS_USER: &str = "32C0A5DB-05EC-78EA-51AB-3F06B329397E";

/// An Entra-ID-shaped token (`header.payload.signature`, base64url) with these claims.
fn entra_token(claims: &Value) -> String {
    use base64::Engine as _;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    format!(
        "{}.{}.{}",
        b64(br#"{"typ":"JWT","alg":"RS256"}"#),
        b64(claims.to_string().as_bytes()),
        b64(b"not a real signature")
    )
}

#[tokio::test]
async fn teams_token_exchange_issues_a_teams_user_token() {
    let emulator = Emulator::start().await.expect("starts");
    let api = Api::new(emulator.endpoint());
    let entra_exp = chrono::Utc::now().timestamp() + 5400;
    let body = json!({
        "token": entra_token(&json!({"exp": entra_exp, "appid": TEAMS_APP, "oid": TEAMS_USER})),
        "appId": TEAMS_APP,
        "userId": TEAMS_USER,
    });
    let response = api
        .signed(Method::POST, TEAMS_EXCHANGE, Some(&body))
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let exchanged: Value = response.json().await.expect("json");
    let token = exchanged["token"].as_str().expect("token").to_owned();
    let expires_on = exchanged["expiresOn"].as_str().expect("expiresOn");
    assert_eq!(expires_on.len(), "2023-10-10T21:39:39.3244584+00:00".len());
    // A matching expiration time: the Entra token's `exp`.
    let expires = chrono::DateTime::parse_from_rfc3339(expires_on).expect("rfc3339");
    assert!(
        (expires.timestamp() - entra_exp).abs() <= 2,
        "{expires_on} vs {entra_exp}"
    );

    let object_id = TEAMS_USER.to_ascii_lowercase();
    let claims = jwt_claims(&token);
    assert_eq!(claims["skypeid"], format!("orgid:{object_id}"));
    assert_eq!(claims["acsScope"], "voip");
    assert_eq!(claims["resourceId"], emulator.state().resource_id());

    // The emulator's verifier knows the token's Teams user; Chat refuses it.
    let user = acs_chat_emulator::tokens::verify_token(emulator.state(), &token);
    assert_eq!(user.map(|u| u.user_id), Ok(format!("8:orgid:{object_id}")));
    assert_eq!(
        verify_bearer(emulator.state(), Some(&format!("Bearer {token}"))),
        Err(AuthError::MissingChatScope)
    );
    let chat = api
        .http
        .get(api.url("/chat/threads?api-version=2024-03-07"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent");
    assert_eq!(chat.status(), 401);
    // Exchanging makes no communication user.
    assert_eq!(api.identity_count().await, 0);

    // Without an `exp` claim (or a payload that is not JSON): 60 minutes.
    for entra in [
        entra_token(&json!({"oid": TEAMS_USER})),
        "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln".to_owned(),
    ] {
        let body = json!({ "token": entra, "appId": TEAMS_APP, "userId": TEAMS_USER });
        let before = chrono::Utc::now();
        let response = api
            .signed(Method::POST, TEAMS_EXCHANGE, Some(&body))
            .await
            .expect("sent");
        assert_eq!(response.status(), 200, "{body}");
        let exchanged: Value = response.json().await.expect("json");
        let expires = chrono::DateTime::parse_from_rfc3339(
            exchanged["expiresOn"].as_str().expect("expiresOn"),
        )
        .expect("rfc3339");
        let lifetime = expires.with_timezone(&chrono::Utc) - before;
        assert!((59..=60).contains(&lifetime.num_minutes()), "{lifetime}");
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn teams_token_exchange_rejects_bad_input_like_the_service() {
    let emulator = Emulator::start().await.expect("starts");
    let api = Api::new(emulator.endpoint());
    let good = entra_token(&json!({"exp": chrono::Utc::now().timestamp() + 3600}));
    let expired = entra_token(&json!({"exp": chrono::Utc::now().timestamp() - 60}));
    let invalid_token = (
        401,
        "InvalidAccessToken",
        None,
        "Provided access token is not valid.",
    );
    let cases = [
        (
            json!({"token": "", "appId": TEAMS_APP, "userId": TEAMS_USER}),
            invalid_token,
        ),
        (
            json!({"appId": TEAMS_APP, "userId": TEAMS_USER}),
            invalid_token,
        ),
        (
            json!({"token": "AzureActiveDirectoryAccessTokenOfATeamsUser", "appId": TEAMS_APP, "userId": TEAMS_USER}),
            invalid_token,
        ),
        (
            json!({"token": "a.b", "appId": TEAMS_APP, "userId": TEAMS_USER}),
            invalid_token,
        ),
        (
            json!({"token": "a!.b.c", "appId": TEAMS_APP, "userId": TEAMS_USER}),
            invalid_token,
        ),
        (
            json!({"token": expired, "appId": TEAMS_APP, "userId": TEAMS_USER}),
            invalid_token,
        ),
        (
            json!({"token": good, "appId": "", "userId": TEAMS_USER}),
            (
                400,
                "ValidationError",
                Some("AppId"),
                "AppId: The AppId field is required.",
            ),
        ),
        (
            json!({"token": good, "userId": TEAMS_USER}),
            (
                400,
                "ValidationError",
                Some("AppId"),
                "AppId: The AppId field is required.",
            ),
        ),
        (
            json!({"token": good, "appId": TEAMS_APP}),
            (
                400,
                "ValidationError",
                Some("UserId"),
                "UserId: The UserId field is required.",
            ),
        ),
        (
            json!({"token": good, "appId": "not-a-guid", "userId": TEAMS_USER}),
            (
                400,
                "ValidationError",
                Some("appId"),
                "Provided AppId has invalid format.",
            ),
        ),
        (
            json!({"token": good, "appId": TEAMS_APP, "userId": "8:orgid:someone"}),
            (
                400,
                "ValidationError",
                Some("userId"),
                "Provided UserId has invalid format.",
            ),
        ),
        // Required fields first, then formats, then the token.
        (
            json!({"token": "", "appId": "not-a-guid"}),
            (
                400,
                "ValidationError",
                Some("UserId"),
                "UserId: The UserId field is required.",
            ),
        ),
        (
            json!({"token": "", "appId": "not-a-guid", "userId": TEAMS_USER}),
            (
                400,
                "ValidationError",
                Some("appId"),
                "Provided AppId has invalid format.",
            ),
        ),
    ];
    for (body, (status, code, target, message)) in cases {
        let response = api
            .signed(Method::POST, TEAMS_EXCHANGE, Some(&body))
            .await
            .expect("sent");
        assert_eq!(response.status(), status, "{body}");
        let error = error_of(response).await;
        assert_eq!(error["code"], code, "{body}");
        assert_eq!(error["message"], message, "{body}");
        assert_eq!(
            error.get("target").and_then(Value::as_str),
            target,
            "{body}"
        );
    }

    let valid = json!({"token": good, "appId": TEAMS_APP, "userId": TEAMS_USER});
    // HMAC is required, as on every Identity route.
    let unsigned = api
        .http
        .post(api.url(TEAMS_EXCHANGE))
        .json(&valid)
        .send()
        .await
        .expect("sent");
    assert_eq!(unsigned.status(), 401);
    assert_eq!(error_of(unsigned).await["code"], "Denied");
    // The exchange came with api-version 2022-06-01.
    let response = api
        .signed(
            Method::POST,
            "/teamsUser/:exchangeAccessToken?api-version=2021-03-07",
            Some(&valid),
        )
        .await
        .expect("sent");
    assert_eq!(response.status(), 400);
    assert_eq!(error_of(response).await["code"], "UnsupportedApiVersion");
    for version in ["2022-06-01", "2022-10-01", "2023-08-01"] {
        let response = api
            .signed(
                Method::POST,
                &format!("/teamsUser/:exchangeAccessToken?api-version={version}"),
                Some(&valid),
            )
            .await
            .expect("sent");
        assert_eq!(response.status(), 200, "{version}");
    }
    let response = api
        .signed(
            Method::POST,
            "/teamsUser/:getToken?api-version=2023-10-01",
            Some(&valid),
        )
        .await
        .expect("sent");
    assert_eq!(response.status(), 404);
    emulator.shutdown().await;
}
