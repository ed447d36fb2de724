//! The identity client's requests: paths, bodies, and an HMAC-SHA256
//! signature recomputed here, independently, from what the server received.

use acs_chat::identity::{CommunicationIdentityClient, CommunicationTokenScope};
use acs_chat::CommunicationUserIdentifier;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use httpmock::{Method, MockServer};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::common::{Captured, Recorder};

/// The key the tests sign with (base64 of `test-access-key`).
const KEY_BASE64: &str = "dGVzdC1hY2Nlc3Mta2V5";

fn identity_client(server: &MockServer) -> CommunicationIdentityClient {
    CommunicationIdentityClient::from_connection_string(&format!(
        "endpoint={};accesskey={KEY_BASE64}",
        server.base_url()
    ))
    .expect("connection string")
}

/// Recomputes the signature from the documented algorithm: HMAC-SHA256 with
/// the decoded key over `METHOD\npath?query\ndate;host;content-hash`.
fn assert_signed(request: &Captured) {
    let body_hash = STANDARD.encode(Sha256::digest(&request.body));
    assert_eq!(
        request.header("x-ms-content-sha256"),
        Some(body_hash.as_str())
    );
    let date = request.header("x-ms-date").expect("x-ms-date");
    assert!(chrono::DateTime::parse_from_rfc2822(date).is_ok(), "{date}");
    let host = request.header("host").expect("host");
    let query: Vec<String> = request
        .query
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    let to_sign = format!(
        "{}\n{}?{}\n{date};{host};{body_hash}",
        request.method,
        request.path,
        query.join("&")
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(&STANDARD.decode(KEY_BASE64).unwrap()).unwrap();
    mac.update(to_sign.as_bytes());
    let expected = format!(
        "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={}",
        STANDARD.encode(mac.finalize().into_bytes())
    );
    assert_eq!(request.header("authorization"), Some(expected.as_str()));
}

#[tokio::test]
async fn create_user_and_token_is_signed_and_decoded() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    let hook = recorder.hook();
    server.mock(|when, then| {
        when.method(Method::POST)
            .path("/identities")
            .query_param("api-version", "2023-10-01")
            .json_body(json!({ "createTokenWithScopes": ["chat", "voip"] }))
            .is_true(hook);
        then.status(201).json_body(json!({
            "identity": { "id": "8:acs:r_u1" },
            "accessToken": { "token": "tok.en.value", "expiresOn": "2030-01-01T00:00:00Z" }
        }));
    });
    let (user, token) = identity_client(&server)
        .create_user_and_token([CommunicationTokenScope::Chat, CommunicationTokenScope::Voip])
        .await
        .expect("created");
    assert_eq!(user.id, "8:acs:r_u1");
    assert_eq!(token.token(), "tok.en.value");
    assert_eq!(token.expires_on().to_rfc3339(), "2030-01-01T00:00:00+00:00");
    let requests = recorder.all();
    assert_eq!(requests.len(), 1);
    assert_signed(&requests[0]);
}

#[tokio::test]
async fn get_token_revoke_and_delete_are_signed() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    let (issue_hook, revoke_hook, delete_hook) =
        (recorder.hook(), recorder.hook(), recorder.hook());
    server.mock(|when, then| {
        when.method(Method::POST)
            .path("/identities/8:acs:r_u1/:issueAccessToken")
            .json_body(json!({ "scopes": ["chat"] }))
            .is_true(issue_hook);
        then.status(200)
            .json_body(json!({ "token": "a.b.c", "expiresOn": "2030-01-01T00:00:00Z" }));
    });
    server.mock(|when, then| {
        when.method(Method::POST)
            .path("/identities/8:acs:r_u1/:revokeAccessTokens")
            .is_true(revoke_hook);
        then.status(204);
    });
    server.mock(|when, then| {
        when.method(Method::DELETE)
            .path("/identities/8:acs:r_u1")
            .is_true(delete_hook);
        then.status(204);
    });
    let client = identity_client(&server);
    let user = CommunicationUserIdentifier::new("8:acs:r_u1");
    let token = client
        .get_token(&user, [CommunicationTokenScope::Chat])
        .await
        .expect("token");
    assert_eq!(token.token(), "a.b.c");
    client.revoke_tokens(&user).await.expect("revoked");
    client.delete_user(&user).await.expect("deleted");
    let requests = recorder.all();
    assert_eq!(requests.len(), 3);
    requests.iter().for_each(assert_signed);
}

#[tokio::test]
async fn identity_errors_carry_the_services_code_and_never_the_key() {
    let server = MockServer::start_async().await;
    server.mock(|when, then| {
        when.method(Method::POST).path("/identities");
        then.status(401).json_body(
            json!({ "error": { "code": "Denied", "message": "Denied by the resource provider." } }),
        );
    });
    let error = identity_client(&server).create_user().await.unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert_eq!(error.code(), Some("Denied"));
    assert!(!format!("{error} {error:?}").contains(KEY_BASE64));
    assert!(error.client_request_id().is_some());
}

#[tokio::test]
async fn no_scopes_is_an_argument_error_before_any_request() {
    let server = MockServer::start_async().await;
    let any = server.mock(|when, then| {
        when.any_request();
        then.status(500);
    });
    let error = identity_client(&server)
        .create_user_and_token([])
        .await
        .unwrap_err();
    assert!(error.is_invalid_argument(), "{error}");
    assert_eq!(any.calls_async().await, 0);
}
