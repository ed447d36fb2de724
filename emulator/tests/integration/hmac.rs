//! HMAC authentication of the Identity routes.

use acs_chat_emulator::hmac_auth::{content_hash, verify, HmacError, SignedRequest};
use acs_chat_emulator::{AppState, Emulator};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use serde_json::json;

use crate::common::{error_of, hmac_b64, sha256_b64, string_to_sign, Api, Signing, DEV_ACCESS_KEY};

const VECTOR_BODY: &[u8] = br#"{"createTokenWithScopes":["chat"]}"#;
const VECTOR_DATE: &str = "Wed, 07 Sep 2022 13:34:56 GMT";
const VECTOR_PATH: &str = "/identities?api-version=2023-10-01";
const VECTOR_HOST: &str = "127.0.0.1:8080";
// Computed independently with Python's hmac/hashlib/base64.
const VECTOR_HASH: &str = "WTRvgEjjVd+bvyKw3WgXgDkU81aV8FWq+4/BE+he0+A=";
const VECTOR_SIGNATURE: &str = "Axwp76Q7MrErh6lF57sCuHoV64rGla7Yc/MxhhQIFXg=";

#[test]
fn known_vector_signer_and_verifier_agree() {
    // The test signer reproduces the independently computed vector...
    assert_eq!(sha256_b64(VECTOR_BODY), VECTOR_HASH);
    assert_eq!(content_hash(VECTOR_BODY), VECTOR_HASH);
    let sts = string_to_sign("POST", VECTOR_PATH, VECTOR_DATE, VECTOR_HOST, VECTOR_HASH);
    assert_eq!(hmac_b64(DEV_ACCESS_KEY, &sts), VECTOR_SIGNATURE);

    // ...and the emulator's verifier accepts exactly that request.
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("x-ms-date", VECTOR_DATE.to_owned()),
        ("host", VECTOR_HOST.to_owned()),
        ("x-ms-content-sha256", VECTOR_HASH.to_owned()),
        (
            "authorization",
            format!("HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={VECTOR_SIGNATURE}"),
        ),
    ] {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).expect("valid header"),
        );
    }
    let state = AppState::new(DEV_ACCESS_KEY).expect("dev key");
    let at = chrono::DateTime::parse_from_rfc2822(VECTOR_DATE)
        .expect("date")
        .with_timezone(&chrono::Utc);
    let request = SignedRequest {
        method: "POST",
        path_and_query: VECTOR_PATH,
        headers: &headers,
        authority: None,
        body: VECTOR_BODY,
    };
    assert_eq!(verify(state.keys().hmac_key(), &request, at), Ok(()));
    assert_eq!(
        verify(
            state.keys().hmac_key(),
            &request,
            at + chrono::Duration::minutes(16)
        ),
        Err(HmacError::DateOutOfRange)
    );
    let mut other_host = headers.clone();
    other_host.insert(
        HeaderName::from_static("host"),
        HeaderValue::from_static("127.0.0.1:8081"),
    );
    let request = SignedRequest {
        headers: &other_host,
        ..request
    };
    assert_eq!(
        verify(state.keys().hmac_key(), &request, at),
        Err(HmacError::SignatureMismatch)
    );
}

#[tokio::test]
async fn refusals_answer_401_denied() {
    let emulator = Emulator::start().await.expect("starts");
    let api = Api::new(emulator.endpoint());
    let path = "/identities?api-version=2023-10-01";

    // No Authorization at all.
    let response = api.http.post(api.url(path)).send().await.expect("sent");
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("ms-cv"));
    assert_eq!(error_of(response).await["code"], "Denied");

    // Signed with another key.
    let other_key = Signing {
        key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_owned(),
        ..Signing::default()
    };
    let response = api
        .signed_with(Method::POST, path, None, &other_key, &[])
        .await
        .expect("sent");
    assert_eq!(response.status(), 401);
    assert_eq!(
        error_of(response).await["message"],
        "Denied by the resource provider."
    );

    // Content hash of another body.
    let lying_hash = Signing {
        content_hash: Some(sha256_b64(b"{}")),
        ..Signing::default()
    };
    let response = api
        .signed_with(
            Method::POST,
            path,
            Some(br#"{"a":1}"#.to_vec()),
            &lying_hash,
            &[],
        )
        .await
        .expect("sent");
    assert_eq!(response.status(), 401);
    assert_eq!(
        error_of(response).await["message"],
        "Request 'x-ms-content-sha256' differs from generated content hash."
    );

    // Twenty minutes old, and twenty minutes ahead.
    for offset in [-20 * 60, 20 * 60] {
        let stale = Signing {
            date_offset_secs: offset,
            ..Signing::default()
        };
        let response = api
            .signed_with(Method::POST, path, None, &stale, &[])
            .await
            .expect("sent");
        assert_eq!(response.status(), 401, "offset {offset}");
    }

    // Signature over another path.
    let other_path = Signing {
        signed_path: Some("/identities?api-version=2022-10-01".to_owned()),
        ..Signing::default()
    };
    let response = api
        .signed_with(Method::POST, path, None, &other_path, &[])
        .await
        .expect("sent");
    assert_eq!(response.status(), 401);
    assert_eq!(api.identity_count().await, 0);
    emulator.shutdown().await;
}

#[tokio::test]
async fn accepted_variants() {
    let emulator = Emulator::start().await.expect("starts");
    let api = Api::new(emulator.endpoint());
    let path = "/identities?api-version=2023-10-01";

    // Ten minutes of clock skew is fine.
    let skewed = Signing {
        date_offset_secs: -600,
        ..Signing::default()
    };
    let response = api
        .signed_with(Method::POST, path, None, &skewed, &[])
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);

    // `Date` signed instead of `x-ms-date` (older JS SDKs in Node).
    let date = Signing {
        date_header: "date",
        ..Signing::default()
    };
    let response = api
        .signed_with(Method::POST, path, None, &date, &[])
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);

    // Python's http-endpoint quirk: path signed without its leading slash.
    let python = Signing {
        signed_path: Some(path.trim_start_matches('/').to_owned()),
        ..Signing::default()
    };
    let body = json!({"createTokenWithScopes": ["chat"]})
        .to_string()
        .into_bytes();
    let response = api
        .signed_with(Method::POST, path, Some(body), &python, &[])
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
    // The JS SDK in Node appends the port to `url.host` (which already has
    // it) and sends that as the Host header too: what is sent is what counts.
    let port = emulator.local_addr().port();
    let js_node = Signing {
        host: Some(format!("127.0.0.1:{port}:{port}")),
        ..Signing::default()
    };
    let response = api
        .signed_with(Method::POST, path, None, &js_node, &[])
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
    assert_eq!(api.identity_count().await, 4);
    emulator.shutdown().await;
}

#[tokio::test]
async fn custom_access_key() {
    let key = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0wMTIzNDU2Nzg5";
    let emulator = Emulator::builder()
        .access_key(key)
        .start()
        .await
        .expect("starts");
    assert!(emulator
        .connection_string()
        .ends_with(&format!(";accesskey={key}")));
    let api = Api::new(emulator.endpoint());
    let path = "/identities?api-version=2023-10-01";
    let response = api.signed(Method::POST, path, None).await.expect("sent");
    assert_eq!(response.status(), 401, "the dev key must not work");
    let signing = Signing {
        key: key.to_owned(),
        ..Signing::default()
    };
    let response = api
        .signed_with(Method::POST, path, None, &signing, &[])
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
    emulator.shutdown().await;
}
