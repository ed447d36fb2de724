//! Bad arguments are refused before any request is sent, and endpoints are
//! checked when the client is built.

use std::future::{Future, IntoFuture};

use acs_chat::{
    ChatClient, ChatMessageType, ChatParticipant, CommunicationIdentifier,
    CommunicationTokenCredential, CommunicationUserIdentifier, ErrorKind, Result,
};
use futures::StreamExt;
use httpmock::prelude::*;

use crate::common::*;

/// A server whose only mock, a catch-all, records every request it gets.
async fn catch_all() -> (MockServer, ChatClient, Recorder) {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.is_true(recorder.hook());
            then.status(500);
        })
        .await;
    let (client, _) = client(&server);
    (server, client, recorder)
}

/// Runs `call`, expects an InvalidArgument error, and checks the server saw nothing.
async fn expect_invalid<T: std::fmt::Debug>(
    requests: &Recorder,
    what: &str,
    call: impl Future<Output = Result<T>>,
) {
    let error = call.await.expect_err(what);
    assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{what}: {error}");
    assert!(error.is_invalid_argument());
    assert_eq!(error.status(), None, "{what}");
    let sent = requests.all();
    assert!(sent.is_empty(), "{what} sent {sent:#?}");
}

fn bob() -> ChatParticipant {
    ChatParticipant::new(CommunicationUserIdentifier::new("8:acs:res_bob"))
}

#[tokio::test]
async fn an_empty_or_blank_topic_is_refused_before_any_request() {
    let (_server, client, requests) = catch_all().await;
    expect_invalid(
        &requests,
        "empty topic",
        client.create_chat_thread("").into_future(),
    )
    .await;
    expect_invalid(
        &requests,
        "blank topic",
        client.create_chat_thread(" \t\n").into_future(),
    )
    .await;
    let thread = client.get_chat_thread_client(THREAD);
    expect_invalid(&requests, "empty new topic", thread.update_topic("")).await;
    expect_invalid(
        &requests,
        "blank new topic",
        thread.update_properties().topic("   ").into_future(),
    )
    .await;
}

#[tokio::test]
async fn an_empty_idempotency_token_is_refused_before_any_request() {
    let (_server, client, requests) = catch_all().await;
    expect_invalid(
        &requests,
        "empty idempotency token",
        client
            .create_chat_thread("topic")
            .idempotency_token(" ")
            .into_future(),
    )
    .await;
}

#[tokio::test]
async fn empty_or_whitespace_message_content_is_refused_before_any_request() {
    let (_server, client, requests) = catch_all().await;
    let thread = client.get_chat_thread_client(THREAD);
    for content in ["", " ", "\n\t "] {
        expect_invalid(
            &requests,
            &format!("content {content:?}"),
            thread.send_message(content).into_future(),
        )
        .await;
        expect_invalid(
            &requests,
            &format!("edited content {content:?}"),
            thread.update_message("1").content(content).into_future(),
        )
        .await;
    }
}

#[tokio::test]
async fn an_empty_exactly_once_id_is_refused_before_any_request() {
    let (_server, client, requests) = catch_all().await;
    let thread = client.get_chat_thread_client(THREAD);
    expect_invalid(
        &requests,
        "an empty client message id",
        thread
            .send_message("hello")
            .exactly_once_with_id("")
            .into_future(),
    )
    .await;
}

#[tokio::test]
async fn message_content_over_28_kb_is_refused_before_any_request() {
    let (_server, client, requests) = catch_all().await;
    let thread = client.get_chat_thread_client(THREAD);
    let too_long = "a".repeat(28 * 1024 + 1);
    expect_invalid(
        &requests,
        "28 KB + 1 byte",
        thread.send_message(too_long).into_future(),
    )
    .await;
    // Multi-byte characters count as bytes: 7169 four-byte characters is 28 KB + 4.
    let emoji = "😀".repeat(7 * 1024 + 1);
    expect_invalid(
        &requests,
        "28 KB of emoji + 1",
        thread.send_message(emoji).into_future(),
    )
    .await;
}

#[tokio::test]
async fn message_content_of_exactly_28_kb_is_sent() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(thread_path("/messages"))
                .is_true(recorder.hook());
            then.status(201).json_body(serde_json::json!({"id": "1"}));
        })
        .await;
    let (client, _) = client(&server);

    let content = "a".repeat(28 * 1024);
    client
        .get_chat_thread_client(THREAD)
        .send_message(content.clone())
        .await
        .expect("28 KB is within the limit");

    assert_eq!(recorder.only().json()["content"], content.as_str());
}

#[tokio::test]
async fn system_and_unknown_message_types_cannot_be_sent() {
    let (_server, client, requests) = catch_all().await;
    let thread = client.get_chat_thread_client(THREAD);
    for message_type in [
        ChatMessageType::TopicUpdated,
        ChatMessageType::ParticipantAdded,
        ChatMessageType::ParticipantRemoved,
        ChatMessageType::Unknown("richText/media_card".into()),
    ] {
        expect_invalid(
            &requests,
            &format!("type {message_type}"),
            thread
                .send_message("hi")
                .chat_message_type(message_type.clone())
                .into_future(),
        )
        .await;
    }
}

#[tokio::test]
async fn an_empty_thread_id_is_refused_by_every_thread_operation() {
    let (_server, client, requests) = catch_all().await;
    for id in ["", "  "] {
        expect_invalid(
            &requests,
            "delete_chat_thread",
            client.delete_chat_thread(id),
        )
        .await;
        let thread = client.get_chat_thread_client(id);
        assert_refused_everywhere(&requests, &thread, id).await;
    }
}

#[tokio::test]
async fn dot_and_dot_dot_thread_ids_are_refused_by_every_thread_operation() {
    let (_server, client, requests) = catch_all().await;
    for id in [".", ".."] {
        expect_invalid(
            &requests,
            "delete_chat_thread",
            client.delete_chat_thread(id),
        )
        .await;
        let thread = client.get_chat_thread_client(id);
        assert_refused_everywhere(&requests, &thread, id).await;
    }
}

async fn assert_refused_everywhere(
    server: &Recorder,
    thread: &acs_chat::ChatThreadClient,
    id: &str,
) {
    let what = |op: &str| format!("{op} on thread {id:?}");
    expect_invalid(server, &what("get_properties"), thread.get_properties()).await;
    expect_invalid(server, &what("update_topic"), thread.update_topic("t")).await;
    expect_invalid(
        server,
        &what("send_message"),
        thread.send_message("hi").into_future(),
    )
    .await;
    expect_invalid(server, &what("get_message"), thread.get_message("1")).await;
    expect_invalid(
        server,
        &what("update_message"),
        thread.update_message("1").content("c").into_future(),
    )
    .await;
    expect_invalid(server, &what("delete_message"), thread.delete_message("1")).await;
    expect_invalid(
        server,
        &what("add_participants"),
        thread.add_participants([bob()]),
    )
    .await;
    expect_invalid(
        server,
        &what("remove_participant"),
        thread.remove_participant(&bob().identifier),
    )
    .await;
    expect_invalid(
        server,
        &what("send_typing_notification"),
        thread.send_typing_notification().into_future(),
    )
    .await;
    expect_invalid(
        server,
        &what("send_read_receipt"),
        thread.send_read_receipt("1"),
    )
    .await;
    expect_invalid(
        server,
        &what("list_messages"),
        first_item(thread.list_messages()),
    )
    .await;
    expect_invalid(
        server,
        &what("list_participants"),
        first_item(thread.list_participants()),
    )
    .await;
    expect_invalid(
        server,
        &what("list_read_receipts"),
        first_item(thread.list_read_receipts()),
    )
    .await;
}

/// The first item of a pager (or its error).
async fn first_item<T: Send + 'static>(mut pager: acs_chat::Pager<T>) -> Result<Option<T>> {
    pager.next().await.transpose()
}

#[tokio::test]
async fn dot_and_dot_dot_message_ids_are_refused_before_any_request() {
    let (_server, client, requests) = catch_all().await;
    let thread = client.get_chat_thread_client(THREAD);
    for id in [".", "..", "", " "] {
        let what = |op: &str| format!("{op} of message {id:?}");
        expect_invalid(&requests, &what("get_message"), thread.get_message(id)).await;
        expect_invalid(
            &requests,
            &what("delete_message"),
            thread.delete_message(id),
        )
        .await;
        expect_invalid(
            &requests,
            &what("update_message"),
            thread.update_message(id).content("c").into_future(),
        )
        .await;
        expect_invalid(
            &requests,
            &what("send_read_receipt"),
            thread.send_read_receipt(id),
        )
        .await;
    }
}

#[tokio::test]
async fn adding_no_participants_is_refused_before_any_request() {
    let (_server, client, requests) = catch_all().await;
    expect_invalid(
        &requests,
        "no participants",
        client
            .get_chat_thread_client(THREAD)
            .add_participants(Vec::<ChatParticipant>::new()),
    )
    .await;
}

#[tokio::test]
async fn removing_a_participant_with_an_empty_raw_id_is_refused_before_any_request() {
    let (_server, client, requests) = catch_all().await;
    expect_invalid(
        &requests,
        "empty identifier",
        client
            .get_chat_thread_client(THREAD)
            .remove_participant(&CommunicationIdentifier::from_raw_id("")),
    )
    .await;
}

#[tokio::test]
async fn updates_with_nothing_set_are_refused_before_any_request() {
    let (_server, client, requests) = catch_all().await;
    let thread = client.get_chat_thread_client(THREAD);
    expect_invalid(
        &requests,
        "empty update_properties",
        thread.update_properties().into_future(),
    )
    .await;
    expect_invalid(
        &requests,
        "empty update_message",
        thread.update_message("1").into_future(),
    )
    .await;
}

fn credential() -> CommunicationTokenCredential {
    CommunicationTokenCredential::new(jwt()).unwrap()
}

#[test]
fn a_plain_http_endpoint_that_is_not_loopback_is_refused() {
    for endpoint in [
        "http://example.com",
        "http://contoso.communication.azure.com/",
        "http://10.0.0.1:8080",
        "ftp://example.com",
        "not a url",
        "",
    ] {
        let error = ChatClient::new(endpoint, credential()).expect_err(endpoint);
        assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{endpoint}");
    }
}

/// An endpoint that cannot be the base of the operations' URLs is refused
/// with the reason, and the error never repeats a password it held.
#[test]
fn an_endpoint_with_a_query_a_fragment_a_user_or_a_password_is_refused() {
    for (endpoint, why) in [
        (
            "https://contoso.communication.azure.com/?x=1",
            "a query or a fragment",
        ),
        (
            "https://contoso.communication.azure.com/#part",
            "a query or a fragment",
        ),
        (
            "https://contoso.communication.azure.com/acs?",
            "a query or a fragment",
        ),
        (
            "https://user:s3cr3t-pass@contoso.communication.azure.com",
            "a user or a password",
        ),
        (
            "https://user@contoso.communication.azure.com",
            "a user or a password",
        ),
        (
            "https://:s3cr3t-pass@contoso.communication.azure.com/",
            "a user or a password",
        ),
    ] {
        let error = ChatClient::new(endpoint, credential()).expect_err(endpoint);
        assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{endpoint}");
        let text = format!("{error} {error:?}");
        assert!(text.contains(why), "{endpoint}: {text}");
        assert!(!text.contains("s3cr3t-pass"), "the password leaked: {text}");
    }
}

#[test]
fn https_endpoints_are_accepted() {
    for endpoint in [
        "https://contoso.communication.azure.com",
        "https://contoso.communication.azure.com/",
        " https://contoso.communication.azure.com ",
    ] {
        let client = ChatClient::new(endpoint, credential()).expect(endpoint);
        assert!(
            client.endpoint().starts_with("https://contoso."),
            "{endpoint}"
        );
    }
}

#[test]
fn http_to_a_loopback_host_is_accepted() {
    for endpoint in [
        "http://127.0.0.1:1",
        "http://localhost:8080",
        "http://[::1]:8080",
        "http://127.0.0.2",
    ] {
        ChatClient::new(endpoint, credential()).expect(endpoint);
    }
}

/// Every list call, as a closure over a thread client, with its name.
type ListCall = (
    &'static str,
    fn(&acs_chat::ChatThreadClient, &ChatClient, Option<u32>, Option<u32>) -> BoxedFirst,
);
type BoxedFirst = std::pin::Pin<Box<dyn Future<Output = Result<usize>> + Send>>;

/// The number of items on the first page of `pager` (or its error).
fn first_page_len<T: Send + 'static>(pager: acs_chat::Pager<T>) -> BoxedFirst {
    Box::pin(async move {
        let mut pages = Box::pin(pager.by_page());
        match pages.next().await {
            Some(page) => page.map(|page| page.items.len()),
            None => Ok(0),
        }
    })
}

fn list_calls() -> Vec<ListCall> {
    vec![
        ("list_chat_threads", |_, client, size, _| {
            let mut pager = client.list_chat_threads();
            if let Some(size) = size {
                pager = pager.results_per_page(size);
            }
            first_page_len(pager)
        }),
        ("list_messages", |thread, _, size, _| {
            let mut pager = thread.list_messages();
            if let Some(size) = size {
                pager = pager.results_per_page(size);
            }
            first_page_len(pager)
        }),
        ("list_participants", |thread, _, size, skip| {
            let mut pager = thread.list_participants();
            if let Some(size) = size {
                pager = pager.results_per_page(size);
            }
            if let Some(skip) = skip {
                pager = pager.skip(skip);
            }
            first_page_len(pager)
        }),
        ("list_read_receipts", |thread, _, size, skip| {
            let mut pager = thread.list_read_receipts();
            if let Some(size) = size {
                pager = pager.results_per_page(size);
            }
            if let Some(skip) = skip {
                pager = pager.skip(skip);
            }
            first_page_len(pager)
        }),
    ]
}

#[tokio::test]
async fn page_sizes_outside_1_to_200_are_refused_before_any_request() {
    let (_server, client, requests) = catch_all().await;
    let thread = client.get_chat_thread_client(THREAD);
    for (name, call) in list_calls() {
        for size in [0, acs_chat::MAX_PAGE_SIZE + 1, 1000, u32::MAX] {
            let what = format!("{name} with results_per_page({size})");
            expect_invalid(&requests, &what, call(&thread, &client, Some(size), None)).await;
        }
    }
    // Also when resuming from a continuation token.
    expect_invalid(
        &requests,
        "results_per_page(0) with a continuation token",
        first_page_len(
            thread
                .list_messages()
                .results_per_page(0)
                .continuation_token("/chat/threads?syncState=1"),
        ),
    )
    .await;
    // The stream of items reports it the same way, as its first item.
    let mut items = thread.list_messages().results_per_page(0);
    let error = items.next().await.expect("an item").expect_err("refused");
    assert!(error.is_invalid_argument(), "{error}");
    assert!(
        items.next().await.is_none(),
        "the stream ends after the error"
    );
    assert!(requests.all().is_empty());
}

#[tokio::test]
async fn a_skip_beyond_the_wires_int32_is_refused_before_any_request() {
    let (_server, client, requests) = catch_all().await;
    let thread = client.get_chat_thread_client(THREAD);
    for (name, call) in list_calls() {
        if !name.contains("participants") && !name.contains("receipts") {
            continue;
        }
        for skip in [i32::MAX as u32 + 1, u32::MAX] {
            let what = format!("{name} with skip({skip})");
            expect_invalid(&requests, &what, call(&thread, &client, None, Some(skip))).await;
        }
    }
}

#[tokio::test]
async fn page_sizes_of_1_and_200_and_the_largest_skip_are_sent() {
    let server = MockServer::start_async().await;
    let recorder = Recorder::new();
    server
        .mock_async(|when, then| {
            when.method(GET).is_true(recorder.hook());
            then.status(200).json_body(serde_json::json!({"value": []}));
        })
        .await;
    let (client, _) = client(&server);
    let thread = client.get_chat_thread_client(THREAD);
    for (name, call) in list_calls() {
        for size in [1, acs_chat::MAX_PAGE_SIZE] {
            let skip = name.contains("participants").then_some(i32::MAX as u32);
            let count = call(&thread, &client, Some(size), skip)
                .await
                .unwrap_or_else(|e| panic!("{name} with {size}: {e}"));
            assert_eq!(count, 0);
        }
    }
    let sent = recorder.all();
    assert_eq!(sent.len(), 8, "{sent:#?}");
    let sizes: Vec<Option<&str>> = sent.iter().map(|r| r.query("maxPageSize")).collect();
    assert_eq!(sizes, [Some("1"), Some("200")].repeat(4));
    let skips = sent
        .iter()
        .filter_map(|r| r.query("skip"))
        .collect::<Vec<_>>();
    assert_eq!(skips, ["2147483647"; 2]);
}
