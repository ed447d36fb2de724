//! The identity client's requests: every constructor and option, paths,
//! bodies (custom token lifetimes, the Teams token exchange), an HMAC-SHA256
//! signature recomputed here, independently, from what the server received,
//! and (feature `entra`) Microsoft Entra ID bearer tokens from a fake
//! `TokenCredential`.

use std::time::Duration;

use acs_chat::identity::{
    CommunicationIdentityClient, CommunicationTokenScope, GetTokenForTeamsUserOptions,
};
use acs_chat::{CommunicationUserIdentifier, ErrorKind, RetryOptions};
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
    let created = identity_client(&server)
        .create_user_and_token([CommunicationTokenScope::Chat, CommunicationTokenScope::Voip])
        .await
        .expect("created");
    assert_eq!(created.user.id, "8:acs:r_u1");
    assert_eq!(created.access_token.token(), "tok.en.value");
    assert_eq!(
        created.access_token.expires_on().to_rfc3339(),
        "2030-01-01T00:00:00+00:00"
    );
    assert!(!format!("{created:?}").contains("tok.en.value"));
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
    assert_eq!(error.status().map(u16::from), Some(401));
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

/// A mock of `POST /identities` that records what it answers.
fn mock_create_user(server: &MockServer, recorder: &Recorder) {
    let hook = recorder.hook();
    server.mock(|when, then| {
        when.method(Method::POST)
            .path("/identities")
            .query_param("api-version", "2023-10-01")
            .is_true(hook);
        then.status(201)
            .json_body(json!({ "identity": { "id": "8:acs:r_u1" } }));
    });
}

#[tokio::test]
async fn every_access_key_constructor_signs_and_applies_its_options() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    mock_create_user(&server, &recorder);
    let connection_string = format!("endpoint={};accesskey={KEY_BASE64}", server.base_url());
    let with_header = reqwest::Client::builder()
        .default_headers(
            [("x-test-client", "custom".parse().expect("header value"))]
                .into_iter()
                .map(|(name, value)| (reqwest::header::HeaderName::from_static(name), value))
                .collect(),
        )
        .build()
        .expect("client");
    let clients = [
        CommunicationIdentityClient::from_connection_string(&connection_string)
            .expect("from a connection string"),
        CommunicationIdentityClient::builder_from_connection_string(&connection_string)
            .expect("a builder from a connection string")
            .user_agent("cs-app/1.0")
            .timeout(Duration::from_secs(5))
            .build()
            .expect("built from a connection string"),
        CommunicationIdentityClient::builder(server.base_url())
            .user_agent("key-app/2.0")
            .retry(RetryOptions::disabled())
            .build_with_access_key(KEY_BASE64)
            .expect("built from an endpoint and a key"),
        CommunicationIdentityClient::builder(format!("{}/", server.base_url()))
            .http_client(with_header)
            .build_with_access_key(KEY_BASE64)
            .expect("built with an HTTP client"),
    ];
    for client in &clients {
        assert!(client.endpoint().ends_with('/'), "{}", client.endpoint());
        let debug = format!("{client:?}");
        assert!(!debug.contains(KEY_BASE64), "{debug}");
        let user = client.create_user().await.expect("created");
        assert_eq!(user.id, "8:acs:r_u1");
    }
    let requests = recorder.all();
    assert_eq!(requests.len(), clients.len());
    requests.iter().for_each(assert_signed);
    let agents: Vec<&str> = requests
        .iter()
        .map(|r| r.header("user-agent").expect("a User-Agent"))
        .collect();
    let ours = concat!("acs-chat/", env!("CARGO_PKG_VERSION"));
    assert_eq!(agents[0], ours);
    assert_eq!(agents[1], format!("cs-app/1.0 {ours}"));
    assert_eq!(agents[2], format!("key-app/2.0 {ours}"));
    assert_eq!(requests[3].header("x-test-client"), Some("custom"));
    assert_eq!(requests[0].header("x-test-client"), None);
}

#[tokio::test]
async fn builder_mistakes_are_argument_errors() {
    let server = MockServer::start_async().await;
    let no_credential = CommunicationIdentityClient::builder(server.base_url())
        .build()
        .unwrap_err();
    assert!(no_credential.is_invalid_argument(), "{no_credential}");
    for (endpoint, key) in [
        (server.base_url(), "%%% not base64"),
        (server.base_url(), ""),
        ("http://contoso.example".to_string(), KEY_BASE64),
        ("not a url".to_string(), KEY_BASE64),
    ] {
        let error = CommunicationIdentityClient::builder(endpoint.clone())
            .build_with_access_key(key)
            .unwrap_err();
        assert!(error.is_invalid_argument(), "{endpoint} {key}: {error}");
        assert!(!error.to_string().contains(KEY_BASE64));
    }
    let builder = CommunicationIdentityClient::builder_from_connection_string(&format!(
        "endpoint={};accesskey={KEY_BASE64}",
        server.base_url()
    ))
    .expect("builder");
    assert!(!format!("{builder:?}").contains(KEY_BASE64));
}

#[tokio::test]
async fn the_timeout_limits_each_attempt() {
    let server = MockServer::start_async().await;
    server.mock(|when, then| {
        when.method(Method::POST).path("/identities");
        then.status(201)
            .delay(Duration::from_secs(3))
            .json_body(json!({ "identity": { "id": "8:acs:r_u1" } }));
    });
    let client = CommunicationIdentityClient::builder(server.base_url())
        .timeout(Duration::from_millis(200))
        .retry(RetryOptions::disabled())
        .build_with_access_key(KEY_BASE64)
        .expect("client");
    let started = std::time::Instant::now();
    let error = client.create_user().await.unwrap_err();
    // Creating a user is not repeated once the request may have been sent.
    assert_eq!(error.kind(), ErrorKind::OutcomeUnknown, "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_custom_token_lifetime_is_sent_in_whole_minutes() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    let (create_hook, issue_hook) = (recorder.hook(), recorder.hook());
    server.mock(|when, then| {
        when.method(Method::POST)
            .path("/identities")
            .json_body(json!({ "createTokenWithScopes": ["chat"], "expiresInMinutes": 90 }))
            .is_true(create_hook);
        then.status(201).json_body(json!({
            "identity": { "id": "8:acs:r_u1" },
            "accessToken": { "token": "a.b.c", "expiresOn": "2030-01-01T01:30:00Z" }
        }));
    });
    server.mock(|when, then| {
        when.method(Method::POST)
            .path("/identities/8:acs:r_u1/:issueAccessToken")
            .json_body(json!({ "scopes": ["chat", "voip"], "expiresInMinutes": 1440 }))
            .is_true(issue_hook);
        then.status(200)
            .json_body(json!({ "token": "d.e.f", "expiresOn": "2030-01-02T00:00:00Z" }));
    });
    let client = identity_client(&server);
    let created = client
        .create_user_and_token([CommunicationTokenScope::Chat])
        .expires_in(Duration::from_secs(90 * 60 + 59)) // the seconds are dropped
        .await
        .expect("created");
    assert_eq!(created.access_token.token(), "a.b.c");
    let token = client
        .get_token(
            &created.user,
            [CommunicationTokenScope::Chat, CommunicationTokenScope::Voip],
        )
        .expires_in(Duration::from_secs(24 * 3600))
        .send()
        .await
        .expect("issued");
    assert_eq!(token.token(), "d.e.f");
    let requests = recorder.all();
    assert_eq!(requests.len(), 2);
    requests.iter().for_each(assert_signed);
}

#[tokio::test]
async fn a_token_lifetime_out_of_range_is_rejected_before_any_request() {
    let server = MockServer::start_async().await;
    let any = server.mock(|when, then| {
        when.any_request();
        then.status(500);
    });
    let client = identity_client(&server);
    let user = CommunicationUserIdentifier::new("8:acs:r_u1");
    for lifetime in [
        Duration::ZERO,
        Duration::from_secs(59 * 60 + 59),
        Duration::from_secs(1441 * 60),
        Duration::from_secs(7 * 24 * 3600),
    ] {
        let error = client
            .create_user_and_token([CommunicationTokenScope::Chat])
            .expires_in(lifetime)
            .await
            .unwrap_err();
        assert!(error.is_invalid_argument(), "{lifetime:?}: {error}");
        let error = client
            .get_token(&user, [CommunicationTokenScope::Chat])
            .expires_in(lifetime)
            .await
            .unwrap_err();
        assert!(error.is_invalid_argument(), "{lifetime:?}: {error}");
    }
    assert_eq!(any.calls_async().await, 0);
}

const TEAMS_APP: &str = "2c3e1e83-8fd7-4615-ad2b-b8c1229845ac";
const TEAMS_USER: &str = "32c0a5db-05ec-78ea-51ab-3f06b329397e";
const ENTRA_TOKEN: &str = "eyJhbGciOiJub25lIn0.eyJvaWQiOiJ4In0.c2ln";

#[tokio::test]
async fn the_teams_token_exchange_is_signed_and_decoded() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    let hook = recorder.hook();
    server.mock(|when, then| {
        when.method(Method::POST)
            .path("/teamsUser/:exchangeAccessToken")
            .query_param("api-version", "2023-10-01")
            .header("content-type", "application/json")
            .json_body(json!({ "token": ENTRA_TOKEN, "appId": TEAMS_APP, "userId": TEAMS_USER }))
            .is_true(hook);
        then.status(200).json_body(json!({
            "token": "acs.teams.token",
            "expiresOn": "2023-10-10T21:39:39.3244584+00:00"
        }));
    });
    let options = GetTokenForTeamsUserOptions::new(ENTRA_TOKEN, TEAMS_APP, TEAMS_USER);
    assert!(!format!("{options:?}").contains(ENTRA_TOKEN));
    assert_eq!(options.client_id(), TEAMS_APP);
    assert_eq!(options.user_object_id(), TEAMS_USER);
    let token = identity_client(&server)
        .get_token_for_teams_user(&options)
        .await
        .expect("exchanged");
    assert_eq!(token.token(), "acs.teams.token");
    assert_eq!(
        token.expires_on().to_rfc3339(),
        "2023-10-10T21:39:39.324458400+00:00"
    );
    let requests = recorder.all();
    assert_eq!(requests.len(), 1);
    assert_signed(&requests[0]);
}

#[tokio::test]
async fn teams_exchange_errors() {
    let server = MockServer::start_async().await;
    let any = server.mock(|when, then| {
        when.method(Method::POST).path("/teamsUser/:exchangeAccessToken");
        // The service's answer to an invalid or expired Entra ID token.
        then.status(401).json_body(json!({
            "error": { "code": "InvalidAccessToken", "message": "Provided access token is not valid." }
        }));
    });
    let client = identity_client(&server);
    for (token, app, user) in [
        ("", TEAMS_APP, TEAMS_USER),
        (ENTRA_TOKEN, " ", TEAMS_USER),
        (ENTRA_TOKEN, TEAMS_APP, ""),
    ] {
        let error = client
            .get_token_for_teams_user(&GetTokenForTeamsUserOptions::new(token, app, user))
            .await
            .unwrap_err();
        assert!(error.is_invalid_argument(), "{error}");
    }
    assert_eq!(any.calls_async().await, 0);
    let error = client
        .get_token_for_teams_user(&GetTokenForTeamsUserOptions::new(
            ENTRA_TOKEN,
            TEAMS_APP,
            TEAMS_USER,
        ))
        .await
        .unwrap_err();
    assert_eq!(error.status().map(u16::from), Some(401));
    assert_eq!(error.code(), Some("InvalidAccessToken"));
    assert!(!format!("{error} {error:?}").contains(ENTRA_TOKEN));
    assert_eq!(any.calls_async().await, 1, "a 401 is not retried");
}

/// Microsoft Entra ID: a fake `azure_core` `TokenCredential`.
#[cfg(feature = "entra")]
mod entra {
    use std::sync::{Arc, Mutex};

    use acs_chat::identity::{CommunicationIdentityClient, CommunicationTokenScope, ENTRA_SCOPE};
    use acs_chat::{CommunicationUserIdentifier, ErrorKind};
    use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
    use azure_core::time::{Duration as TimeDuration, OffsetDateTime};
    use httpmock::{Method, MockServer};
    use serde_json::json;

    use crate::common::Recorder;

    const TOKEN: &str = "entra.access.token";

    /// Records the scopes it is asked for and returns a fixed token (or fails).
    #[derive(Debug)]
    struct FakeCredential {
        asked: Mutex<Vec<Vec<String>>>,
        lifetime: TimeDuration,
        fail: bool,
    }

    impl FakeCredential {
        fn new(lifetime: TimeDuration) -> Arc<Self> {
            Arc::new(Self {
                asked: Mutex::new(Vec::new()),
                lifetime,
                fail: false,
            })
        }

        fn asked(&self) -> Vec<Vec<String>> {
            self.asked.lock().unwrap().clone()
        }
    }

    #[async_trait::async_trait]
    impl TokenCredential for FakeCredential {
        async fn get_token(
            &self,
            scopes: &[&str],
            _options: Option<TokenRequestOptions<'_>>,
        ) -> azure_core::Result<AccessToken> {
            self.asked
                .lock()
                .unwrap()
                .push(scopes.iter().map(|s| s.to_string()).collect());
            if self.fail {
                return Err(azure_core::Error::with_message(
                    azure_core::error::ErrorKind::Credential,
                    "no managed identity here",
                ));
            }
            Ok(AccessToken::new(
                TOKEN,
                OffsetDateTime::now_utc() + self.lifetime,
            ))
        }
    }

    fn client(server: &MockServer, credential: Arc<FakeCredential>) -> CommunicationIdentityClient {
        CommunicationIdentityClient::builder(server.base_url())
            .build_with_token_credential(credential)
            .expect("client")
    }

    #[tokio::test]
    async fn requests_carry_the_credentials_bearer_token_and_no_signature() {
        let server = MockServer::start_async().await;
        let recorder = Recorder::new();
        let (create, issue, revoke) = (recorder.hook(), recorder.hook(), recorder.hook());
        server.mock(|when, then| {
            when.method(Method::POST)
                .path("/identities")
                .header("authorization", format!("Bearer {TOKEN}"))
                .is_true(create);
            then.status(201).json_body(json!({
                "identity": { "id": "8:acs:r_u1" },
                "accessToken": { "token": "a.b.c", "expiresOn": "2030-01-01T00:00:00Z" }
            }));
        });
        server.mock(|when, then| {
            when.method(Method::POST)
                .path("/identities/8:acs:r_u1/:issueAccessToken")
                .header("authorization", format!("Bearer {TOKEN}"))
                .is_true(issue);
            then.status(200)
                .json_body(json!({ "token": "d.e.f", "expiresOn": "2030-01-01T00:00:00Z" }));
        });
        server.mock(|when, then| {
            when.method(Method::POST)
                .path("/identities/8:acs:r_u1/:revokeAccessTokens")
                .header("authorization", format!("Bearer {TOKEN}"))
                .is_true(revoke);
            then.status(204);
        });
        let credential = FakeCredential::new(TimeDuration::hours(1));
        let identity = client(&server, credential.clone());
        let debug = format!("{identity:?}");
        assert!(!debug.contains(TOKEN), "{debug}");
        let created = identity
            .create_user_and_token([CommunicationTokenScope::Chat])
            .await
            .expect("created");
        let user = CommunicationUserIdentifier::new("8:acs:r_u1");
        assert_eq!(created.user, user);
        identity
            .get_token(&user, [CommunicationTokenScope::Chat])
            .await
            .expect("issued");
        identity.revoke_tokens(&user).await.expect("revoked");

        // One token, asked once for the ACS scope, serves every request.
        assert_eq!(credential.asked(), vec![vec![ENTRA_SCOPE.to_string()]]);
        assert_eq!(ENTRA_SCOPE, "https://communication.azure.com//.default");
        let requests = recorder.all();
        assert_eq!(requests.len(), 3);
        for request in &requests {
            assert_eq!(request.bearer(), TOKEN);
            assert_eq!(request.header("x-ms-content-sha256"), None);
            assert_eq!(request.header("x-ms-date"), None);
            assert!(request.header("x-ms-client-request-id").is_some());
        }
    }

    #[tokio::test]
    async fn a_token_close_to_expiry_is_replaced() {
        let server = MockServer::start_async().await;
        server.mock(|when, then| {
            when.method(Method::POST).path("/identities");
            then.status(201)
                .json_body(json!({ "identity": { "id": "8:acs:r_u1" } }));
        });
        // Two minutes left: inside the five-minute margin, so each request asks again.
        let credential = FakeCredential::new(TimeDuration::minutes(2));
        let identity = client(&server, credential.clone());
        identity.create_user().await.expect("first");
        identity.create_user().await.expect("second");
        assert_eq!(credential.asked().len(), 2);
    }

    #[tokio::test]
    async fn a_failing_credential_is_a_credential_error_and_nothing_is_sent() {
        let server = MockServer::start_async().await;
        let any = server.mock(|when, then| {
            when.any_request();
            then.status(500);
        });
        let credential = Arc::new(FakeCredential {
            asked: Mutex::new(Vec::new()),
            lifetime: TimeDuration::hours(1),
            fail: true,
        });
        let error = client(&server, credential.clone())
            .create_user()
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Credential, "{error}");
        assert!(error.is_credential());
        assert_eq!(
            credential.asked().len(),
            1,
            "a credential error is not retried"
        );
        assert_eq!(any.calls_async().await, 0);
    }
}
