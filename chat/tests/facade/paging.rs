//! Pagers: lazy, page by page, following `nextLink`s only on the client's own
//! endpoint, and resumable from a continuation token.

use std::time::Duration;

use acs_chat::{ErrorKind, Page};
use futures::{StreamExt, TryStreamExt};
use httpmock::prelude::*;
use serde_json::{json, Value};

use crate::common::*;

fn message(id: &str) -> Value {
    json!({
        "id": id,
        "type": "text",
        "sequenceId": id,
        "version": id,
        "content": {"message": format!("message {id}")},
        "createdOn": "2024-01-02T03:04:05Z"
    })
}

/// Three pages of messages on `server`: [3, 2], [1, 0], [-1]. Page 1 answers
/// the first request; its nextLink (absolute, carrying an old api-version as
/// the service's do) leads to page 2, whose nextLink leads to page 3.
struct ThreePages {
    recorder: Recorder,
    link2: String,
    link3: String,
}

async fn three_pages(server: &MockServer) -> ThreePages {
    let recorder = Recorder::new();
    let link = |token: &str| {
        format!(
            "{}?continuationToken={token}&maxPageSize=2&api-version=2021-09-07",
            server.url(thread_path("/messages"))
        )
    };
    let (link2, link3) = (link("p2"), link("p3"));
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(thread_path("/messages"))
                .query_param_missing("continuationToken")
                .is_true(recorder.hook());
            then.status(200)
                .json_body(json!({"value": [message("3"), message("2")], "nextLink": link2}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(thread_path("/messages"))
                .query_param("continuationToken", "p2")
                .is_true(recorder.hook());
            then.status(200)
                .json_body(json!({"value": [message("1"), message("0")], "nextLink": link3}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(thread_path("/messages"))
                .query_param("continuationToken", "p3")
                .is_true(recorder.hook());
            then.status(200)
                .json_body(json!({"value": [message("-1")]}));
        })
        .await;
    ThreePages {
        recorder,
        link2,
        link3,
    }
}

fn ids(messages: &[acs_chat::ChatMessage]) -> Vec<&str> {
    messages.iter().map(|m| m.id.as_str()).collect()
}

#[tokio::test]
async fn items_come_from_every_page_in_order_following_absolute_next_links() {
    let server = MockServer::start_async().await;
    let pages = three_pages(&server).await;
    let (client, token) = client(&server);

    let messages: Vec<_> = client
        .get_chat_thread_client(THREAD)
        .list_messages()
        .results_per_page(2)
        .try_collect()
        .await
        .unwrap();

    assert_eq!(ids(&messages), ["3", "2", "1", "0", "-1"]);
    let requests = pages.recorder.all();
    assert_eq!(requests.len(), 3);
    assert_eq!(
        requests[0].query_without_api_version(),
        vec![("maxPageSize".to_string(), "2".to_string())]
    );
    for (request, token_param) in requests[1..].iter().zip(["p2", "p3"]) {
        request.assert_standard(&token);
        assert_eq!(request.path, thread_path("/messages"));
        assert_eq!(
            request.query_without_api_version(),
            vec![
                ("continuationToken".to_string(), token_param.to_string()),
                ("maxPageSize".to_string(), "2".to_string()),
            ],
            "the nextLink's query is kept"
        );
        assert_eq!(
            request.query_values("api-version"),
            vec![API_VERSION],
            "the nextLink's api-version is replaced, not duplicated"
        );
    }
}

#[tokio::test]
async fn a_pager_sends_nothing_until_it_is_polled() {
    let server = MockServer::start_async().await;
    let pages = three_pages(&server).await;
    let (client, _) = client(&server);
    let thread = client.get_chat_thread_client(THREAD);

    let pager = thread.list_messages().results_per_page(2);
    let by_page = thread.list_messages().by_page();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        pages.recorder.all().is_empty(),
        "building a pager sent a request"
    );

    let mut pager = Box::pin(pager);
    let first = pager.next().await.unwrap().unwrap();
    assert_eq!(first.id, "3");
    assert_eq!(
        pages.recorder.all().len(),
        1,
        "one item needs only the first page"
    );
    drop(by_page);
}

#[tokio::test]
async fn by_page_yields_each_page_with_its_continuation_token() {
    let server = MockServer::start_async().await;
    let pages = three_pages(&server).await;
    let (client, _) = client(&server);

    let got: Vec<Page<acs_chat::ChatMessage>> = client
        .get_chat_thread_client(THREAD)
        .list_messages()
        .results_per_page(2)
        .by_page()
        .try_collect()
        .await
        .unwrap();

    assert_eq!(got.len(), 3);
    assert_eq!(ids(&got[0].items), ["3", "2"]);
    assert_eq!(
        got[0].continuation_token.as_deref(),
        Some(pages.link2.as_str())
    );
    assert_eq!(ids(&got[1].items), ["1", "0"]);
    assert_eq!(
        got[1].continuation_token.as_deref(),
        Some(pages.link3.as_str())
    );
    assert_eq!(ids(&got[2].items), ["-1"]);
    assert_eq!(got[2].continuation_token, None);
}

#[tokio::test]
async fn a_continuation_token_resumes_at_exactly_that_page() {
    let server = MockServer::start_async().await;
    let pages = three_pages(&server).await;
    let (client, token) = client(&server);

    let got: Vec<Page<acs_chat::ChatMessage>> = client
        .get_chat_thread_client(THREAD)
        .list_messages()
        .continuation_token(pages.link2.clone())
        .by_page()
        .try_collect()
        .await
        .unwrap();

    assert_eq!(got.len(), 2);
    assert_eq!(ids(&got[0].items), ["1", "0"]);
    assert_eq!(ids(&got[1].items), ["-1"]);
    let requests = pages.recorder.all();
    assert_eq!(requests.len(), 2, "the first page is not fetched again");
    requests[0].assert_standard(&token);
    assert_eq!(requests[0].query("continuationToken"), Some("p2"));
    assert_eq!(requests[1].query("continuationToken"), Some("p3"));
}

#[tokio::test]
async fn collect_all_gathers_every_page() {
    let server = MockServer::start_async().await;
    let pages = three_pages(&server).await;
    let (client, _) = client(&server);

    let messages = client
        .get_chat_thread_client(THREAD)
        .list_messages()
        .results_per_page(2)
        .collect_all()
        .await
        .unwrap();

    assert_eq!(ids(&messages), ["3", "2", "1", "0", "-1"]);
    assert_eq!(pages.recorder.all().len(), 3);
}

#[tokio::test]
async fn a_relative_next_link_is_resolved_against_the_endpoint() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    let relative = format!("{}?continuationToken=p2", thread_path("/messages"));
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(thread_path("/messages"))
                .query_param_missing("continuationToken")
                .is_true(recorder.hook());
            then.status(200)
                .json_body(json!({"value": [message("2")], "nextLink": relative}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(thread_path("/messages"))
                .query_param("continuationToken", "p2")
                .is_true(recorder.hook());
            then.status(200).json_body(json!({"value": [message("1")]}));
        })
        .await;
    let (client, _) = client(&server);

    let messages = client
        .get_chat_thread_client(THREAD)
        .list_messages()
        .collect_all()
        .await
        .unwrap();

    assert_eq!(ids(&messages), ["2", "1"]);
    assert_eq!(recorder.all().len(), 2);
}

#[tokio::test]
async fn every_list_operation_follows_next_links() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    let participant = json!({"communicationIdentifier": acs_user_model("8:acs:res_bob")});
    let receipt = json!({
        "senderCommunicationIdentifier": acs_user_model("8:acs:res_bob"),
        "chatMessageId": "1",
        "readOn": "2024-01-02T03:04:05Z"
    });
    let thread_item = json!({"id": "19:a@thread.v2", "topic": "A"});
    let lists = [
        ("/chat/threads".to_string(), thread_item),
        (thread_path("/participants"), participant),
        (thread_path("/readReceipts"), receipt),
        (thread_path("/messages"), message("1")),
    ];
    for (path, item) in &lists {
        let next = server.url(format!("{path}?continuationToken=next"));
        server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(path.clone())
                    .query_param_missing("continuationToken")
                    .is_true(recorder.hook());
                then.status(200)
                    .json_body(json!({"value": [item.clone()], "nextLink": next}));
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(path.clone())
                    .query_param("continuationToken", "next")
                    .is_true(recorder.hook());
                then.status(200).json_body(json!({"value": [item.clone()]}));
            })
            .await;
    }
    let (client, _) = client(&server);
    let thread = client.get_chat_thread_client(THREAD);

    assert_eq!(
        client
            .list_chat_threads()
            .collect_all()
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        thread
            .list_participants()
            .collect_all()
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        thread
            .list_read_receipts()
            .collect_all()
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(thread.list_messages().collect_all().await.unwrap().len(), 2);

    let paths: Vec<(String, Option<String>)> = recorder
        .all()
        .iter()
        .map(|r| {
            (
                r.path.clone(),
                r.query("continuationToken").map(String::from),
            )
        })
        .collect();
    let expected: Vec<(String, Option<String>)> = lists
        .iter()
        .flat_map(|(path, _)| [(path.clone(), None), (path.clone(), Some("next".into()))])
        .collect();
    assert_eq!(paths, expected);
}

#[tokio::test]
async fn next_links_to_another_origin_are_refused_and_never_requested() {
    let server = MockServer::start_async().await;
    // Something listening on another loopback address, to prove no request goes there.
    let elsewhere = std::net::TcpListener::bind("127.0.0.2:0").expect("bind 127.0.0.2");
    elsewhere.set_nonblocking(true).unwrap();
    let elsewhere_port = elsewhere.local_addr().unwrap().port();
    let bad_links = [
        format!(
            "http://127.0.0.2:{elsewhere_port}{}?continuationToken=p2",
            thread_path("/messages")
        ),
        format!(
            "http://127.0.0.1:{}{}?continuationToken=p2",
            closed_port(),
            thread_path("/messages")
        ),
        format!(
            "https://127.0.0.1:{}{}?continuationToken=p2",
            server.port(),
            thread_path("/messages")
        ),
        format!(
            "https://evil.example{}?continuationToken=p2",
            thread_path("/messages")
        ),
        "//evil.example/chat/threads?continuationToken=p2".to_string(),
    ];
    let (client, _) = client(&server);

    for bad in &bad_links {
        let recorder = Recorder::new();
        let mock = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(thread_path("/messages"))
                    .is_true(recorder.hook());
                then.status(200)
                    .json_body(json!({"value": [message("2")], "nextLink": bad}));
            })
            .await;

        let mut pager = client.get_chat_thread_client(THREAD).list_messages();
        let first = pager
            .next()
            .await
            .expect("an item")
            .expect("page 1 is fine");
        assert_eq!(first.id, "2");
        let error = pager
            .next()
            .await
            .expect("the refusal is reported")
            .expect_err(bad);
        assert_eq!(error.kind(), ErrorKind::UntrustedNextLink, "{bad}: {error}");
        assert!(
            pager.next().await.is_none(),
            "the stream ends after an error"
        );
        assert_eq!(recorder.all().len(), 1, "{bad} was followed");
        mock.delete_async().await;
    }
    match elsewhere.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("something connected to 127.0.0.2: {other:?}"),
    }
}

#[tokio::test]
async fn a_continuation_token_to_another_origin_is_refused_without_any_request() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.is_true(recorder.hook());
            then.status(200).json_body(json!({"value": []}));
        })
        .await;
    let (client, _) = client(&server);

    let error = client
        .get_chat_thread_client(THREAD)
        .list_messages()
        .continuation_token("https://evil.example/chat/threads/x/messages?continuationToken=p2")
        .collect_all()
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::UntrustedNextLink);
    assert!(recorder.all().is_empty());
}

#[tokio::test]
async fn a_next_link_to_another_path_on_the_endpoint_is_refused() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(thread_path("/messages"))
                .is_true(recorder.hook());
            then.status(200).json_body(
                json!({"value": [message("2")], "nextLink": server.url("/admin/keys?x=1")}),
            );
        })
        .await;
    let elsewhere = Recorder::new();
    server
        .mock_async(|when, then| {
            when.is_true(elsewhere.hook());
            then.status(200).json_body(json!({"value": []}));
        })
        .await;
    let (client, _) = client(&server);

    let mut pager = client.get_chat_thread_client(THREAD).list_messages();
    assert_eq!(pager.next().await.unwrap().unwrap().id, "2");
    let error = pager.next().await.unwrap().unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Refused, "{error}");
    assert!(elsewhere.all().is_empty(), "{:#?}", elsewhere.all());
}

#[tokio::test]
async fn an_error_on_a_later_page_is_yielded_after_the_earlier_items_and_ends_the_stream() {
    let server = MockServer::start_async().await;
    let next = server.url(format!("{}?continuationToken=p2", thread_path("/messages")));
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(thread_path("/messages"))
                .query_param_missing("continuationToken");
            then.status(200)
                .json_body(json!({"value": [message("2")], "nextLink": next}));
        })
        .await;
    let gone = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(thread_path("/messages"))
                .query_param("continuationToken", "p2");
            then.status(404)
                .json_body(service_error_body("NotFound", "The thread was deleted"));
        })
        .await;
    let (client, _) = client(&server);

    let results: Vec<_> = client
        .get_chat_thread_client(THREAD)
        .list_messages()
        .collect()
        .await;

    assert_eq!(results.len(), 2, "{results:?}");
    assert_eq!(results[0].as_ref().unwrap().id, "2");
    let error = results[1].as_ref().unwrap_err();
    assert_eq!(error.status(), Some(acs_chat::StatusCode::NOT_FOUND));
    assert_eq!(error.code(), Some("NotFound"));
    assert_eq!(gone.calls_async().await, 1, "a 404 is not retried");
}
