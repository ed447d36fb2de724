//! Common response behaviour: MS-CV, api-supported-versions, content type,
//! client request id, fallbacks.

use acs_chat_emulator::Emulator;
use reqwest::Method;

use crate::common::{error_of, Api, Signing};

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn every_response_carries_common_headers() {
    let emulator = Emulator::start().await.expect("starts");
    let api = Api::new(emulator.endpoint());

    let ok = api
        .signed_with(
            Method::POST,
            "/identities?api-version=2023-10-01",
            None,
            &Signing::default(),
            &[("x-ms-client-request-id", "my-request-1")],
        )
        .await
        .expect("sent");
    let unauthorized = api
        .http
        .post(api.url("/identities?api-version=2023-10-01"))
        .header("x-ms-client-request-id", "my-request-2")
        .send()
        .await
        .expect("sent");
    let not_found = api.http.get(api.url("/nope")).send().await.expect("sent");
    let wrong_method = api
        .http
        .get(api.url("/identities"))
        .send()
        .await
        .expect("sent");
    let admin = api
        .http
        .get(api.url("/admin/health"))
        .send()
        .await
        .expect("sent");

    let mut cvs = Vec::new();
    for (response, status) in [
        (&ok, 201),
        (&unauthorized, 401),
        (&not_found, 404),
        (&wrong_method, 405),
        (&admin, 200),
    ] {
        assert_eq!(response.status(), status);
        let cv = header(response, "ms-cv").expect("MS-CV present");
        assert_eq!(cv.len(), 24, "{cv}");
        assert!(cv.ends_with(".0"));
        cvs.push(cv);
        assert!(
            header(response, "api-supported-versions").is_some_and(|v| v.contains("2023-10-01"))
        );
        assert_eq!(
            header(response, "content-type").as_deref(),
            Some("application/json; charset=utf-8")
        );
    }
    cvs.sort();
    cvs.dedup();
    assert_eq!(cvs.len(), 5, "correlation vectors are unique");

    assert_eq!(
        header(&ok, "x-ms-client-request-id").as_deref(),
        Some("my-request-1")
    );
    assert_eq!(
        header(&unauthorized, "x-ms-client-request-id").as_deref(),
        Some("my-request-2")
    );
    assert_eq!(header(&not_found, "x-ms-client-request-id"), None);

    assert_eq!(error_of(not_found).await["code"], "NotFound");
    assert_eq!(error_of(wrong_method).await["code"], "MethodNotAllowed");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_route_that_panics_answers_500_in_the_error_shape_and_the_server_goes_on() {
    async fn broken() -> &'static str {
        panic!("a bug in a route");
    }
    let routes: axum::Router<acs_chat_emulator::AppState> =
        axum::Router::new().route("/test/broken", axum::routing::get(broken));
    let emulator = Emulator::builder()
        .extra_routes(routes)
        .start()
        .await
        .expect("starts");
    let api = Api::new(emulator.endpoint());

    let response = api
        .http
        .get(api.url("/test/broken"))
        .header("x-ms-client-request-id", "panic-1")
        .send()
        .await
        .expect("an answer, not a closed connection");
    assert_eq!(response.status(), 500);
    assert!(header(&response, "ms-cv").is_some(), "common headers too");
    assert_eq!(
        header(&response, "x-ms-client-request-id").as_deref(),
        Some("panic-1")
    );
    let error = error_of(response).await;
    assert_eq!(error["code"], "InternalError");

    let after = api
        .http
        .get(api.url("/nowhere"))
        .send()
        .await
        .expect("sent");
    assert_eq!(after.status(), 404, "the server still answers");
    emulator.shutdown().await;
}
